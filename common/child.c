#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <netinet/in.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

#include "common/child.h"
#include "common/log.h"

#ifdef __SANITIZE_ADDRESS__
/*
 * make san: LeakSanitizer stops the world at exit with prctl, clone and
 * ptrace, which the children's sandboxes forbid: signerd and netd would
 * die of SIGSYS on their way out.  Only they link this file; the unit
 * tests find their leaks instead.  vaultd gives them no environment, so
 * an ASAN_OPTIONS of the caller's does not undo this.
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

/*
 * Lines to vaultd's log pipe, or to a copy of standard error there.  The
 * pipe is a write-only FIFO; anything else on fd 4 was left open by
 * whoever started us (a harness's socket, say) and is replaced.
 */
static void
child_log_setup(const char *procname)
{
	struct stat	st;
	int		fl;

	log_init(procname, 0);
	if (fstat(CHILD_LOG_FD, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    (fl = fcntl(CHILD_LOG_FD, F_GETFL)) != -1 &&
	    (fl & O_ACCMODE) == O_WRONLY)
		log_to_fd(CHILD_LOG_FD, 1);
	else {
		/* failing, lines are lost: nothing else could show them */
		(void)dup2(STDERR_FILENO, CHILD_LOG_FD);
		log_to_fd(CHILD_LOG_FD, 0);
	}
#ifdef __SANITIZE_ADDRESS__
	/* make san: reports follow the log, fd 2 is closed to us */
	__sanitizer_set_report_fd((void *)(intptr_t)CHILD_LOG_FD);
#endif
}

void
child_parse_args(const char *procname, int argc, char **argv,
    struct child_opts *o)
{
	char	*end;
	long	 n;
	int	 ch, i;

	/*
	 * vaultd runs us from the file it holds (fexecve): older kernels
	 * then name the process after the descriptor's number, which ps
	 * and top would show.
	 */
	(void)prctl(PR_SET_NAME, procname);
	child_log_setup(procname);
	memset(o, 0, sizeof(*o));
	o->user = "nobody";
	while ((ch = getopt(argc, argv, "dTu:C:t:G:W:D:V:")) != -1) {
		switch (ch) {
		case 'd':
			o->verbose++;
			break;
		case 'T':
			o->testmode = 1;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'C':
			o->chroot_dir = optarg;
			break;
		case 't':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    n < 1 || n > CHILD_SECONDS_MAX)
				fatalx("-t %s: not a number of seconds 1-%d",
				    optarg, CHILD_SECONDS_MAX);
			o->timeout = (int)n;
			break;
		case 'D':
			/* Only netd serves the gateway. */
			if (strcmp(procname, "netd") != 0)
				fatalx("-D: %s serves no gateway", procname);
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    n < 1 || n > CHILD_SECONDS_MAX)
				fatalx("-D %s: not a number of seconds 1-%d",
				    optarg, CHILD_SECONDS_MAX);
			o->gw_deadline = (int)n;
			break;
		case 'V':
			/* Only netd waits on vaultd for a bot. */
			if (strcmp(procname, "netd") != 0)
				fatalx("-V: %s serves no gateway", procname);
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    n < 1 || n > CHILD_SECONDS_MAX)
				fatalx("-V %s: not a number of seconds 1-%d",
				    optarg, CHILD_SECONDS_MAX);
			o->gw_wait = (int)n;
			break;
		case 'W':
			/* Only signerd signs. */
			if (strcmp(procname, "signerd") != 0)
				fatalx("-W: %s signs nothing", procname);
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    n < 1 || n > CHILD_WORKERS_MAX)
				fatalx("-W %s: not a number of workers 1-%d",
				    optarg, CHILD_WORKERS_MAX);
			o->workers = (int)n;
			break;
		case 'G':
			/* Only netd serves the gateway; signerd never. */
			if (strcmp(procname, "netd") != 0)
				fatalx("-G: %s serves no socket", procname);
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    n < CHILD_GW_FD_MIN || n > CHILD_GW_FD_MAX)
				fatalx("-G %s: not a descriptor %d-%d", optarg,
				    CHILD_GW_FD_MIN, CHILD_GW_FD_MAX);
			if (o->ngw == CHILD_GW_MAX)
				fatalx("-G given more than %d times",
				    CHILD_GW_MAX);
			for (i = 0; i < o->ngw; i++)
				if (o->gw_fds[i] == (int)n)
					fatalx("-G %ld given twice", n);
			o->gw_fds[o->ngw++] = (int)n;
			break;
		default:
			fprintf(stderr, "usage: %s [-dT] [-u user] [-C dir] "
			    "[-t seconds] [-D seconds] [-V seconds] [-G fd] "
			    "[-W workers]\n"
			    "%s is started by vaultd, not by hand.\n",
			    procname, procname);
			exit(2);
		}
	}
	if (optind != argc)
		fatalx("unexpected argument %s", argv[optind]);
}

void
child_hello(struct chan *c, const char *procname)
{
	struct msg_w	w;
	struct msg	m;
	uint64_t	version;
	int		r;

	msg_begin(&w, MSG_HELLO_REQ, 0);
	msg_put_u64(&w, MSG_VERSION);
	msg_put_str(&w, procname);
	if ((r = chan_send(c, &w)) != 0)
		fatalx("hello: %s", cv_strerror(r));
	if ((r = chan_recv(c, &m)) != 0)
		fatalx("hello: %s", cv_strerror(r));
	if (m.type != MSG_HELLO_ANS)
		fatalx("hello: unexpected %s", msg_name(m.type));
	if ((r = msg_get_u64(&m.rd, &version)) != 0)
		fatalx("hello: %s", cv_strerror(r));
	if (version != MSG_VERSION)
		fatalx("hello: vaultd speaks version %llu, we speak %d",
		    (unsigned long long)version, MSG_VERSION);
	msg_clear(&m);
}

int
child_status_ans(struct chan *c, uint32_t id, const struct privsep_state *st)
{
	struct msg_w	w;

	msg_begin(&w, MSG_STATUS_ANS, id);
	msg_put_u64(&w, (uint64_t)getpid());
	msg_put_u64(&w, (uint64_t)st->uid);
	msg_put_bool(&w, st->chrooted);
	msg_put_bool(&w, st->netns);
	msg_put_bool(&w, st->mntns);
	msg_put_bool(&w, st->seccomp);
	return chan_queue(c, &w);
}

/* "vaultfile": can we read the vault file next to the -C directory? */
static int
child_probe_vaultfile(struct chan *c, uint32_t id, const char *dir)
{
	struct msg_w	w;
	char		path[PATH_MAX], text[512];	/* vaultd reads 511 */
	int		fd;

	if (dir == NULL)
		return msg_error_ans(c, id, CV_ERR_INVALID,
		    "the vaultfile probe needs -C");
	if ((size_t)snprintf(path, sizeof(path), "%s/../vault", dir) >=
	    sizeof(path))
		return msg_error_ans(c, id, CV_ERR_TOOLONG, "-C too long");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(text, sizeof(text), "open %.400s: %s", path,
		    strerror(errno));
		log_info("test probe vaultfile: %s", text);
		return msg_error_ans(c, id, CV_ERR_PERM, text);
	}
	close(fd);
	log_warnx("test probe vaultfile: %s opened", path);
	msg_begin(&w, MSG_PROBE_ANS, id);
	return chan_queue(c, &w);
}

/* "rx": map anonymous memory readable and executable. */
static int
child_probe_rx(struct chan *c, uint32_t id)
{
	struct msg_w	 w;
	char		 text[128];
	void		*p;

	p = (void *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(text, sizeof(text), "mmap PROT_READ|PROT_EXEC: %s",
		    strerror(errno));
		log_info("test probe rx: %s", text);
		return msg_error_ans(c, id, CV_ERR_PERM, text);
	}
	log_warnx("test probe rx: executable memory mapped");
	msg_begin(&w, MSG_PROBE_ANS, id);
	return chan_queue(c, &w);
}

/* Log lines: a flood, or raw bytes no log_ function would write. */
static int
child_probe_log(struct chan *c, uint32_t id, const char *kind)
{
	static const char	forged[] = "test probe logforge: \x1b[31mred\r\n"
	    "2000-01-01T00:00:00Z vaultd[1]: forged\n";
	struct msg_w		w;
	char			longline[3001];
	int			i;

	if (strcmp(kind, "logflood") == 0) {
		for (i = 1; i <= CHILD_LOGFLOOD_LINES; i++)
			log_info("test probe logflood: line %d of %d", i,
			    CHILD_LOGFLOOD_LINES);
	} else {
		(void)!write(CHILD_LOG_FD, forged, sizeof(forged) - 1);
		memset(longline, 'A', sizeof(longline) - 1);
		longline[sizeof(longline) - 1] = '\n';
		(void)!write(CHILD_LOG_FD, longline, sizeof(longline));
	}
	msg_begin(&w, MSG_PROBE_ANS, id);
	return chan_queue(c, &w);
}

int
child_probe(struct chan *c, struct msg *m, const struct child_opts *o)
{
	static const uint8_t	garbage[] = {
		0x00, 0x00, 0x00, 0x05, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1
	};
	static const uint8_t	oversize[] = { 0xff, 0xff, 0xff, 0xff };
	struct msg_w		w;
	struct sockaddr_in	sin;
	char			kind[32], byte = '\n';
	void			*p;
	int			r, s, sv[2];

	if (!o->testmode)
		fatalx("%s outside test mode", msg_name(m->type));
	if ((r = msg_get_strbuf(&m->rd, kind, sizeof(kind))) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	if (strcmp(kind, "logflood") == 0 || strcmp(kind, "logforge") == 0)
		return child_probe_log(c, m->id, kind);
	log_info("test probe: %s", kind);
	if (strcmp(kind, "vaultfile") == 0)
		return child_probe_vaultfile(c, m->id, o->chroot_dir);
	if (strcmp(kind, "rx") == 0)
		return child_probe_rx(c, m->id);
	if (strcmp(kind, "open") == 0)
		(void)syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	else if (strcmp(kind, "openw") == 0)
		(void)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY);
	else if (strcmp(kind, "socket") == 0)
		(void)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	else if (strcmp(kind, "bind") == 0 || strcmp(kind, "listen") == 0) {
		/* A server of our own: only vaultd's sockets are served. */
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		if (kind[0] == 'b')
			(void)syscall(SYS_bind, s, &sin, sizeof(sin));
		else
			(void)syscall(SYS_listen, s, 1);
		if (s != -1)
			close(s);
	} else if (strcmp(kind, "fork") == 0) {
		/* A new process, not a thread; should it live, it ends. */
		if (syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0) == 0)
			_exit(0);
	} else if (strcmp(kind, "execve") == 0)
		(void)syscall(SYS_execve, "/bin/sh", NULL, NULL);
	else if (strcmp(kind, "ptrace") == 0)
		(void)syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL);
	else if (strcmp(kind, "tiocsti") == 0)
		(void)syscall(SYS_ioctl, 0, TIOCSTI, &byte);
	else if (strcmp(kind, "fsetown") == 0)
		/* a socket's SIGIO sent to another process: a kill by proxy */
		(void)syscall(SYS_fcntl, c->fd, F_SETOWN, 1);
	else if (strcmp(kind, "dgrampair") == 0) {
		/* a datagram pair, readdressed to a named socket of the host */
		if (syscall(SYS_socketpair, AF_UNIX, SOCK_DGRAM, 0, sv) == 0) {
			close(sv[0]);
			close(sv[1]);
		}
	}
	else if (strcmp(kind, "rwx") == 0)
		(void)syscall(SYS_mmap, NULL, 4096,
		    PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else if (strcmp(kind, "mprotectx") == 0 || strcmp(kind, "pkeyx") == 0) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			fatal("test probe %s: mmap", kind);
		if (kind[0] == 'm')
			(void)syscall(SYS_mprotect, p, 4096,
			    PROT_READ | PROT_WRITE | PROT_EXEC);
		else
			(void)syscall(SYS_pkey_mprotect, p, 4096, PROT_READ,
			    -1);
		(void)munmap(p, 4096);
	} else if (strcmp(kind, "stderr") == 0)
		(void)syscall(SYS_write, 2, "probe\n", 6);
	else if (strcmp(kind, "stderr64") == 0)
		(void)syscall(SYS_write, 0x100000002ULL, "probe\n", 6);
	else if (strcmp(kind, "garbage") == 0)
		(void)!write(c->fd, garbage, sizeof(garbage));
	else if (strcmp(kind, "oversize") == 0)
		(void)!write(c->fd, oversize, sizeof(oversize));
	else if (strcmp(kind, "forgesign") == 0) {
		/* a wallet signature for a call vaultd never gave us */
		msg_begin(&w, MSG_NET_SIGN_REQ, 0x7ffffff0);
		msg_put_u64(&w, 0x7ffffff0);
		msg_put_u64(&w, 1);		/* CATALOG_L1 */
		msg_put_str(&w, "POST");
		msg_put_str(&w, "/auth/api-key");
		msg_put_bin(&w, "", 0);
		msg_put_u64(&w, 0);
		if ((r = chan_queue(c, &w)) != 0)
			return r;
	} else
		fatalx("unknown probe %s", kind);
	/* Still alive: the probe was not forbidden.  Say so. */
	log_warnx("test probe %s: still alive", kind);
	msg_begin(&w, MSG_PROBE_ANS, m->id);
	return chan_queue(c, &w);
}

void
child_loop(struct chan *c,
    void (*dispatch)(struct chan *, struct msg *, void *), void *arg)
{
	struct msg	m;
	int		r;

	for (;;) {
		r = chan_next(c, &m);
		if (r == CV_ERR_AGAIN) {
			if ((r = chan_flush(c)) != 0)
				fatalx("write to vaultd: %s", cv_strerror(r));
			if ((r = chan_fill(c)) == CV_ERR_EOF)
				return;
			if (r != 0)
				fatalx("read from vaultd: %s", cv_strerror(r));
			continue;
		}
		if (r != 0)
			fatalx("malformed message from vaultd: %s",
			    cv_strerror(r));
		dispatch(c, &m, arg);
		msg_clear(&m);
	}
}

int
child_common(struct chan *c, struct msg *m, const struct child_opts *o,
    const struct privsep_state *st)
{
	int	r;

	switch (m->type) {
	case MSG_STATUS_REQ:
		r = child_status_ans(c, m->id, st);
		break;
	case MSG_PROBE_REQ:
		r = child_probe(c, m, o);
		break;
	default:
		return 0;
	}
	if (r != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	return 1;
}
