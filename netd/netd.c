/*
 * netd: the unprivileged, network-facing process.  It makes the
 * exchange's HTTPS calls for vaultd (MSG_NET_CALL_REQ), asks vaultd for
 * the signed headers of each request (MSG_NET_SIGN_REQ), and never holds
 * the wallet key or an HMAC secret: what it must see -- a passphrase in a
 * header, a new credential on its way to signerd, sealed to signerd's box
 * key -- it sees transiently, in memory wiped after use.  With -G it also
 * serves the gateway on the listening sockets vaultd passed: trading
 * bots' requests, each decided and signed by vaultd (MSG_GW_REQ), then
 * sent to the exchange (netd_gw.c).
 *
 * Start-up: harden, flags, handshake, then everything that needs the
 * file system or makes descriptors (libcurl and OpenSSL set-up,
 * libmicrohttpd's epoll and eventfd on each -G socket) before the
 * privilege drop, Landlock (read-only /etc and the libraries) and the
 * seccomp allow-list below.  The system CA bundle is read later, by
 * libcurl, and only if a call needs it (netd_http.c, http_tls).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <jansson.h>
#include <seccomp.h>
#include <sodium.h>

#include "common/log.h"
#include "common/pages.h"
#include "netd/netd.h"

/*
 * Everything netd may do once set up: what strace -f showed over real
 * calls (tests/test_it_netd.c with ND_STRACE=FILE: TLS, HTTP/1.1 and 2,
 * retries, the threaded resolver on /etc/hosts and on DNS; and
 * tests/test_it_netd_gw.c the same way for the gateway: bots on a Unix
 * and a TCP socket, hundreds at once, early refusals, vaultd going
 * away), and calls of glibc paths the tests cannot reach, marked so.
 * Anything else kills netd.  The gateway adds no bind, no listen and no
 * AF_UNIX socket: vaultd made the sockets it serves.
 */
static const struct sandbox_rule netd_rules[] = {
	{ SCMP_SYS(read),		"messages from vaultd, /etc files" },
	{ SCMP_SYS(exit_group),		"exit" },
	{ SCMP_SYS(exit),		"end of a resolver thread" },
	{ SCMP_SYS(brk),		"malloc" },
	{ SCMP_SYS(munmap),		"free" },
	{ SCMP_SYS(mremap),		"realloc of large buffers (keeps the "
					    "protection it had)" },
	{ SCMP_SYS(madvise),		"thread stacks, MADV_DONTDUMP; the "
					    "start-up pages given back "
					    "(drop_startup_pages)" },
	{ SCMP_SYS(mlock),		"sodium_malloc: a new credential" },
	{ SCMP_SYS(munlock),		"sodium_free" },
	{ SCMP_SYS(getrandom),		"OpenSSL" },
	{ SCMP_SYS(clock_gettime),	"time-outs, log time (if no vDSO)" },
	{ SCMP_SYS(getpid),		"log lines" },
	{ SCMP_SYS(rt_sigreturn),	"return from a signal handler" },
	{ SCMP_SYS(rt_sigprocmask),	"pthread_create" },
	{ SCMP_SYS(rt_sigaction),	"glibc's first pthread_create" },
	{ SCMP_SYS(set_robust_list),	"a new thread" },
	{ SCMP_SYS(rseq),		"a new thread" },
	{ SCMP_SYS(futex),		"threads" },
	{ SCMP_SYS(sched_getaffinity),	"malloc arenas (not reached)" },
	{ SCMP_SYS(poll),		"the loop's one poll (its own or "
					    "libcurl's), the resolver" },
	{ SCMP_SYS(restart_syscall),	"that poll, resumed after SIGSTOP" },
	{ SCMP_SYS(close),		"sockets, files" },
	{ SCMP_SYS(newfstatat),		"the resolver's /etc files, the CA "
					    "bundle" },
	{ SCMP_SYS(lseek),		"the resolver's /etc files" },
	{ SCMP_SYS(uname),		"the resolver: the host's domain" },
	{ SCMP_SYS(connect),		"to the exchange, to DNS" },
	{ SCMP_SYS(getsockopt),		"connect result" },
	{ SCMP_SYS(setsockopt),		"TCP_NODELAY, keep-alive, IP_RECVERR" },
	{ SCMP_SYS(getsockname),	"curl's connection info" },
	{ SCMP_SYS(getpeername),	"curl's connection info" },
	{ SCMP_SYS(sendto),		"HTTP, TLS, DNS" },
	{ SCMP_SYS(recvfrom),		"HTTP, TLS, DNS" },
	{ SCMP_SYS(sendmmsg),		"DNS: A and AAAA queries at once" },
	/* The gateway (-G): libmicrohttpd on vaultd's listening sockets. */
	{ SCMP_SYS(epoll_wait),		"gateway: libmicrohttpd's events" },
	{ SCMP_SYS(epoll_ctl),		"gateway: libmicrohttpd adds and drops "
					    "bot connections" },
	{ SCMP_SYS(accept4),		"gateway: a bot connects (no bind, "
					    "listen: vaultd made the socket)" },
	{ SCMP_SYS(shutdown),		"gateway: libmicrohttpd closes a bot "
					    "connection, netd one that makes "
					    "room (gw_conn_evict)" },
};

#define RO_OPEN_FLAGS	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)

/*
 * The calls netd may make only with some arguments, or not at all.
 * strace shows writes to the channel, the log pipe and (the gateway)
 * libmicrohttpd's eventfd, and answers to bots by sendmsg on accepted
 * sockets; libcurl's wake-up of its own loop and glibc's DNS over TCP
 * may write to what they made, never to 0, 1 or 2.  Nothing is ever
 * mapped executable: a library glibc would load in the sandbox (an NSS
 * module named in nsswitch.conf) is refused and skipped, a writable and
 * executable mapping kills.
 */
static const struct sandbox_cond netd_conds[] = {
	SANDBOX_ALLOW_FD_GE(write, 0, 3,
	    "the channel, the log pipe, libcurl's wake-up, libmicrohttpd's "
	    "resume eventfd: never 0, 1, 2"),
	SANDBOX_ALLOW_FD_GE(writev, 0, 3,
	    "glibc: DNS over TCP (not reached): never 0, 1, 2"),
	SANDBOX_ALLOW_FD_GE(sendmsg, 0, 3,
	    "gateway: an answer's head and body to a bot at once: never 0, "
	    "1, 2"),
	SANDBOX_ALLOW_EQ(ioctl, 1, FIONREAD,
	    "glibc's resolver sizes a DNS answer (not reached); no other "
	    "request: TIOCSTI kills"),
	SANDBOX_ALLOW_MASKED(mmap, 2, PROT_EXEC, 0,
	    "malloc, stacks, sodium_malloc: never executable"),
	SANDBOX_ERRNO_MASKED(mmap, 2, PROT_WRITE | PROT_EXEC, PROT_EXEC, EPERM,
	    "dlopen of an NSS module: refused, glibc does without"),
	SANDBOX_ALLOW_MASKED(mprotect, 2, PROT_EXEC, 0,
	    "guard pages: never executable"),
	SANDBOX_ERRNO_MASKED(mprotect, 2, PROT_WRITE | PROT_EXEC, PROT_EXEC,
	    EPERM, "dlopen of an NSS module: refused, glibc does without"),
	SANDBOX_ALLOW_MASKED(openat, 2, RO_OPEN_FLAGS, 0,
	    "read /etc/hosts, resolv.conf, nsswitch.conf, the system CA "
	    "bundle: never to write"),
	SANDBOX_ALLOW_EQ(socket, 0, AF_INET,	"connect to the exchange"),
	SANDBOX_ALLOW_EQ(socket, 0, AF_INET6,	"connect to the exchange"),
	SANDBOX_ERRNO_EQ(socket, 0, AF_UNIX, EACCES,
	    "glibc asks nscd first: refused, it does without"),
	SANDBOX_ERRNO_EQ(socket, 0, AF_NETLINK, EACCES,
	    "getaddrinfo lists interfaces: refused, it does without"),
	SANDBOX_ALLOW_EQ_MASKED(socketpair, 0, AF_UNIX, 1,
	    ~(uint64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC), SOCK_STREAM,
	    "curl's resolver thread wakes the loop: a stream pair only, no "
	    "datagrams to send to a named socket of the host"),
	SANDBOX_ALLOW_EQ(fcntl, 1, F_GETFL, "non-blocking sockets"),
	SANDBOX_ALLOW_EQ(fcntl, 1, F_SETFL, "non-blocking sockets"),
	SANDBOX_ALLOW_EQ(fcntl, 1, F_GETFD, "close-on-exec"),
	SANDBOX_ALLOW_EQ(fcntl, 1, F_SETFD, "close-on-exec: no F_SETOWN, so "
	    "no socket signals another process"),
	SANDBOX_ALLOW_MASKED(clone, 0, CLONE_THREAD, CLONE_THREAD,
	    "curl's resolver thread; never a new process"),
	SANDBOX_ERRNO(clone3, ENOSYS,
	    "flags out of seccomp's sight: glibc falls back to clone"),
};

/*
 * GnuTLS is loaded into netd only because Debian builds libcurl (through
 * librtmp and libldap) and libmicrohttpd with it, and it initialises
 * itself when loaded, and again when libmicrohttpd's constructor calls
 * gnutls_global_init: its crypto back end, its ASN.1 trees, about
 * 0.9 MiB resident (tests/bench/bench_mem.sh).  netd never uses it:
 * libcurl does TLS with OpenSSL for http and https only, and the gateway
 * serves plain HTTP on vaultd's sockets.  So GnuTLS's constructor is told
 * to skip (gnutls.h's GNUTLS_SKIP_GLOBAL_INIT) and libmicrohttpd's call
 * finds these instead; an uninitialised GnuTLS answers its use
 * (gnutls_init and the like) with an error.  The Makefile exports the
 * three from netd so the libraries see them; without GnuTLS they are
 * never called.
 */
int	_gnutls_global_init_skip(void);
int	gnutls_global_init(void);
void	gnutls_global_deinit(void);

int
_gnutls_global_init_skip(void)
{
	return 1;
}

int
gnutls_global_init(void)
{
	return 0;
}

void
gnutls_global_deinit(void)
{
}

/*
 * netd's file system once set up: read-only, only what glibc and
 * libcurl read (the resolver's files, the system CA bundle).
 */
static const char *const netd_ro[] = {
	"/etc", "/usr", "/lib", "/lib64", NULL
};

/*
 * The resolver's files and the CA bundle, which a host may link to
 * elsewhere: /etc/resolv.conf into /run under systemd-resolved or
 * resolvconf.  Unreadable, glibc would ask 127.0.0.1 and fail.
 */
static const char *const netd_ro_links[] = {
	"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf",
	"/etc/host.conf", "/etc/gai.conf", NETD_SYSTEM_CA, NULL
};

static void
netd_dispatch(struct netd *nd, struct msg *m)
{
	if (child_common(&nd->chan, m, &nd->opts, &nd->ps))
		return;
	switch (m->type) {
	case MSG_NET_CALL_REQ:
		call_req(nd, m);
		break;
	case MSG_ERROR_ANS:
		/* our ids are unique: a gateway request's, or the call's */
		if (gw_owns(nd, m->id))
			gw_vaultd_ans(nd, m);
		else
			call_sign_ans(nd, m);
		break;
	case MSG_NET_SIGN_ANS:
		call_sign_ans(nd, m);
		break;
	case MSG_NET_FORGET_REQ:
		token_forget_req(nd, m);
		break;
	case MSG_GW_ANS:
	case MSG_GW_INFO_ANS:
		gw_vaultd_ans(nd, m);
		break;
	case MSG_GW_PASSED:
		gw_vaultd_passed(nd, m);
		break;
	default:
		fatalx("unexpected %s from vaultd", msg_name(m->type));
	}
}

/* The poll set: the channel first, then the gateway's.  Its size. */
static size_t
netd_pollset(struct netd *nd)
{
	struct pollfd	*p;
	size_t		 n = 1 + gw_npollfd(nd);

	if (n > nd->pfdcap) {
		if ((p = reallocarray(nd->pfd, n, sizeof(*p))) == NULL)
			fatalx("out of memory");
		nd->pfd = p;
		nd->pfdcap = n;
	}
	nd->pfd[0].fd = nd->chan.fd;
	nd->pfd[0].events = POLLIN | (chan_pending(&nd->chan) ? POLLOUT : 0);
	nd->pfd[0].revents = 0;
	gw_pollfd(nd, nd->pfd + 1);
	return n;
}

/*
 * Serve vaultd, drive the call in flight and the gateway: one poll over
 * the channel, libcurl's sockets and the gateway's, never a blocking
 * transfer, so status queries are answered while the exchange is slow.
 * Returns when vaultd closes.
 */
static void
netd_loop(struct netd *nd)
{
	struct msg	m;
	size_t		n;
	int		r, t, g;

	for (;;) {
		while ((r = chan_next(&nd->chan, &m)) == 0) {
			netd_dispatch(nd, &m);
			msg_clear(&m);
		}
		if (r != CV_ERR_AGAIN)
			fatalx("malformed message from vaultd: %s",
			    cv_strerror(r));
		/*
		 * What was read (signed headers: a passphrase) has been
		 * copied out, and chan_next's AGAIN wiped it: now, not at
		 * the next read, which waits for vaultd to write again when
		 * a call ends in this turn.
		 */
		call_run(nd);
		if ((r = chan_flush(&nd->chan)) != 0 && r != CV_ERR_AGAIN)
			fatalx("write to vaultd: %s", cv_strerror(r));
		n = netd_pollset(nd);
		t = call_timeout(nd);
		if ((g = gw_timeout(nd)) < t)
			t = g;
		http_wait(nd->http, nd->pfd, n, t);
		gw_events(nd, nd->pfd + 1, n - 1);
		/*
		 * A read poll did not call readable finds nothing; an end
		 * or an error is read too (chan_fill says which).
		 */
		if ((nd->pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;
		if ((r = chan_fill(&nd->chan)) == CV_ERR_EOF)
			return;
		if (r != 0 && r != CV_ERR_AGAIN)
			fatalx("read from vaultd: %s", cv_strerror(r));
	}
}

/*
 * libcurl reads the system CA bundle when a call first needs it
 * (http_tls); say now, once, if it will not find one.
 */
static void
netd_check_ca(void)
{
	if (access(NETD_SYSTEM_CA, R_OK) == -1)
		log_warn("%s (calls without a CA of their own will fail TLS)",
		    NETD_SYSTEM_CA);
}

int
main(int argc, char **argv)
{
	static struct netd	nd;
	struct privsep_conf	conf;
	struct privsep_more	more;
	int			flags;

	harden_process();
	child_parse_args("netd", argc, argv, &nd.opts);
	/* not dumpable now: no tracer of our user may have come in */
	harden_untraced(-1);
	log_init("netd", nd.opts.verbose);
	/*
	 * vaultd gives netd no environment.  Started another way it could
	 * carry what libcurl, OpenSSL and the resolver obey: SSLKEYLOGFILE
	 * (each connection's TLS secrets written out, and with them the
	 * passphrase headers and new credentials of a capture),
	 * OPENSSL_CONF, HOSTALIASES.  netd reads nothing from it.
	 */
	if (clearenv() != 0)
		fatalx("cannot clear the environment");
	if (nd.opts.timeout != 0 && !nd.opts.testmode)
		fatalx("-t is for tests: it needs -T");
	if (nd.opts.gw_deadline != 0 && !nd.opts.testmode)
		fatalx("-D is for tests: it needs -T");
	if (nd.opts.gw_wait != 0 && !nd.opts.testmode)
		fatalx("-V is for tests: it needs -T");
	if (sodium_init() < 0)
		fatalx("libsodium initialisation failed");
	/* jansson would read /dev/urandom on first use: seed it now */
	json_object_seed(randombytes_random() | 1);
	nd.timeout = nd.opts.timeout != 0 ? nd.opts.timeout : NETD_TIMEOUT;
	nd.connect_timeout = nd.timeout < NETD_CONNECT_TIMEOUT ? nd.timeout :
	    NETD_CONNECT_TIMEOUT;

	chan_init(&nd.chan, CHILD_FD);
	child_hello(&nd.chan, "netd");

	netd_check_ca();
	if (netd_mem_init() != 0)
		fatalx("libcurl and OpenSSL initialisation failed");
	if (http_init(&nd.http) != 0)
		fatalx("cannot set up the HTTP client");
	gw_init(&nd);
	if ((flags = fcntl(CHILD_FD, F_GETFL)) == -1 ||
	    fcntl(CHILD_FD, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("non-blocking channel");

	conf.user = nd.opts.user;
	conf.chroot_dir = NULL;		/* glibc's resolver reads /etc */
	conf.unshare = 0;		/* needs the network */
	conf.rules = netd_rules;
	conf.nrules = sizeof(netd_rules) / sizeof(netd_rules[0]);
	more.ro = netd_ro;
	more.ro_links = netd_ro_links;
	more.conds = netd_conds;
	more.nconds = sizeof(netd_conds) / sizeof(netd_conds[0]);
	more.before_filter = NULL;
	more.arg = NULL;
	privsep_enter_more(&conf, &more, &nd.ps);
	/* set up: its libraries' start-up pages go (common/pages.c) */
	drop_startup_pages();
	log_debug("sandboxed: uid %u landlock ABI %d seccomp %d",
	    (unsigned)nd.ps.uid, nd.ps.landlock, nd.ps.seccomp);

	netd_loop(&nd);
	gw_stop(&nd);
	chan_free(&nd.chan);
	exit(0);
}
