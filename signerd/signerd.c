/*
 * signerd: the only clobvault process that will hold plaintext secrets.
 * It has no file system (chroot to an empty directory when root), no
 * network (empty namespaces where allowed, and no socket syscalls), and
 * talks only to vaultd over CHILD_FD.
 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <jansson.h>
#include <seccomp.h>
#include <sodium.h>

#include "common/child.h"
#include "common/log.h"
#include "common/pages.h"
#include "common/secp.h"
#include "signerd/signerd_pool.h"
#include "signerd/signerd_vault.h"

/*
 * The keys stay readable this long after the last message, so that a
 * bot's requests a few milliseconds apart pay no page-protection change
 * each; then they are closed again (signerd_vault_idle).
 */
#define SIGNERD_IDLE_MS	250

struct secp256k1_context_struct	*signerd_secp;

/*
 * Everything signerd may do once set up.  Anything else kills it: any
 * ioctl, a write to any descriptor but its two, executable memory.
 */
static const struct sandbox_rule signerd_rules[] = {
	{ SCMP_SYS(read),		"messages from vaultd" },
	{ SCMP_SYS(exit_group),		"exit" },
	{ SCMP_SYS(exit),		"exit" },
	{ SCMP_SYS(brk),		"malloc" },
	{ SCMP_SYS(munmap),		"free, sodium_free" },
	{ SCMP_SYS(mremap),		"realloc of large buffers (keeps the "
					    "protection it had)" },
	{ SCMP_SYS(madvise),		"MADV_DONTDUMP on secret pages; the "
					    "start-up pages given back "
					    "(drop_startup_pages)" },
	{ SCMP_SYS(mlock),		"keep secrets out of swap" },
	{ SCMP_SYS(munlock),		"sodium_free" },
	{ SCMP_SYS(getrandom),		"key generation, signing blinding" },
	{ SCMP_SYS(clock_gettime),	"timestamp freshness, log time" },
	{ SCMP_SYS(getpid),		"log lines" },
	{ SCMP_SYS(rt_sigreturn),	"return from a signal handler" },
	{ SCMP_SYS(futex),		"the signing workers' queue" },
	{ SCMP_SYS(poll),		"close the keys after an idle time" },
	{ SCMP_SYS(ppoll),		"close the keys after an idle time" },
	{ SCMP_SYS(restart_syscall),	"that poll, resumed after SIGSTOP" },
};

/* ... and these only with these arguments. */
static const struct sandbox_cond signerd_conds[] = {
	SANDBOX_ALLOW_EQ(write, 0, CHILD_FD,	"answers to vaultd"),
	SANDBOX_ALLOW_EQ(write, 0, CHILD_LOG_FD,	"log lines to vaultd"),
	SANDBOX_ALLOW_MASKED(mmap, 2, PROT_EXEC, 0,
	    "malloc, sodium_malloc: never executable"),
	SANDBOX_ALLOW_MASKED(mprotect, 2, PROT_EXEC, 0,
	    "guard pages, noaccess while idle: never executable"),
};

/*
 * jansson's allocations, wiped when freed: a gateway client's secret and
 * passphrase pass through the strings of the record's JSON (the
 * decoded secret is then kept in guarded memory), and jansson never
 * reallocates.  The size is kept in front of the block.
 */
static void *
json_alloc(size_t n)
{
	uint8_t	*p;

	if (n > SIZE_MAX - sizeof(max_align_t) ||
	    (p = malloc(sizeof(max_align_t) + n)) == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + sizeof(max_align_t);
}

static void
json_free(void *q)
{
	uint8_t	*p;
	size_t	 n;

	if (q == NULL)
		return;
	p = (uint8_t *)q - sizeof(max_align_t);
	memcpy(&n, p, sizeof(n));
	sodium_memzero(p, sizeof(max_align_t) + n);
	free(p);
}

struct signerd_state {
	struct child_opts	opts;
	struct privsep_state	ps;
	struct signerd_vault	vault;
	struct signerd_pool	pool;
	struct chan		c;
	int			swallow;	/* test probe: drop one */
};

/* Test mode: a forbidden system call made by a signing worker. */
struct probe_job {
	struct pool_job	pj;
	uint32_t	id;
	char		kind[32];
};

/*
 * Test mode: a worker's heap grown by a megabyte in blocks malloc keeps
 * in its arena, then given back, as a burst of large answers does.
 */
static void
probe_heap(void)
{
	void	*b[16];
	size_t	 i;

	for (i = 0; i < 16; i++)
		if ((b[i] = malloc(64 * 1024)) != NULL)
			memset(b[i], 1, 64 * 1024);
	for (i = 16; i > 0; i--)
		free(b[i - 1]);
}

static void
probe_run(struct pool_job *pj, struct secp256k1_context_struct *ctx,
    struct msg_w *w)
{
	struct probe_job	*p = (struct probe_job *)pj;

	(void)ctx;
	log_info("test probe: %s", p->kind);
	if (strcmp(p->kind, "worker-socket") == 0)
		(void)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	if (strcmp(p->kind, "worker-heap") == 0)
		probe_heap();
	msg_begin(w, MSG_PROBE_ANS, p->id);
}

static void
probe_free(struct pool_job *pj)
{
	free(pj);
}

static int
probe_worker(struct signerd_state *sd, struct msg *m)
{
	struct msg_rd		 rd = m->rd;
	struct probe_job	*p;
	char			 kind[32];

	if (!sd->opts.testmode || msg_get_strbuf(&rd, kind, sizeof(kind)) ||
	    strncmp(kind, "worker-", 7) != 0)
		return 0;
	if (!signerd_pool_on(&sd->pool)) {
		if (msg_error_ans(&sd->c, m->id, CV_ERR_INVALID, "signerd "
		    "runs no signing workers (-W 1)") != 0)
			fatalx("cannot answer %s", msg_name(m->type));
		return 1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatalx("out of memory");
	p->pj.run = probe_run;
	p->pj.free = probe_free;
	p->id = m->id;
	snprintf(p->kind, sizeof(p->kind), "%s", kind);
	signerd_pool_submit(&sd->pool, &p->pj);
	return 1;
}

/*
 * Test mode, probe swallow: the next signing request is dropped, never
 * answered, while the ones after it are, as a signerd with a bug could
 * (vaultd's watchdog of the oldest request owed).
 */
static int
probe_swallow(struct signerd_state *sd, struct msg *m)
{
	struct msg_rd	rd = m->rd;
	struct msg_w	w;
	char		kind[32];

	if (!sd->opts.testmode || msg_get_strbuf(&rd, kind, sizeof(kind)) ||
	    strcmp(kind, "swallow") != 0)
		return 0;
	log_info("test probe: %s", kind);
	sd->swallow = 1;
	msg_begin(&w, MSG_PROBE_ANS, m->id);
	if (chan_queue(&sd->c, &w) != 0)
		fatalx("cannot answer %s", msg_name(m->type));
	return 1;
}

/* Called with the pool's lock held. */
static void
signerd_dispatch(struct signerd_state *sd, struct msg *m)
{
	/* only a signature may be made while the workers sign */
	if (m->type != MSG_SIGN_REQ)
		signerd_pool_drain(&sd->pool);
	if (m->type == MSG_PROBE_REQ &&
	    (probe_worker(sd, m) || probe_swallow(sd, m)))
		return;
	if (m->type == MSG_SIGN_REQ && sd->swallow) {
		sd->swallow = 0;
		log_warnx("test probe swallow: request %u dropped", m->id);
		return;
	}
	if (child_common(&sd->c, m, &sd->opts, &sd->ps))
		return;
	/* the rest is the vault's: its table permits or it is fatal */
	signerd_vault_dispatch(&sd->vault, &sd->c, m);
}

/*
 * Serve vaultd until it closes the channel.  The pool's lock is held
 * except while blocked for input; the keys are closed once no message
 * has come for SIGNERD_IDLE_MS and no worker is busy.
 */
static void
signerd_loop(struct signerd_state *sd)
{
	struct chan	*c = &sd->c;
	struct pollfd	 pfd;
	struct msg	 m;
	int		 r;

	signerd_pool_lock(&sd->pool);
	for (;;) {
		r = chan_next(c, &m);
		if (r != 0 && r != CV_ERR_AGAIN)
			fatalx("malformed message from vaultd: %s",
			    cv_strerror(r));
		if (r == 0) {
			signerd_dispatch(sd, &m);
			msg_clear(&m);
			continue;
		}
		/* what was handled went, wiped, with the AGAIN (chan_next) */
		if ((r = chan_flush(c)) != 0)
			fatalx("write to vaultd: %s", cv_strerror(r));
		signerd_pool_unlock(&sd->pool);
		if (sd->vault.open) {
			pfd.fd = c->fd;
			pfd.events = POLLIN;
			pfd.revents = 0;
			if ((r = poll(&pfd, 1, SIGNERD_IDLE_MS)) == -1 &&
			    errno != EINTR)
				fatal("poll");
			if (r <= 0) {
				signerd_pool_lock(&sd->pool);
				if (r == 0) {
					signerd_pool_drain(&sd->pool);
					signerd_vault_idle(&sd->vault);
				}
				continue;
			}
		}
		r = chan_fill(c);
		signerd_pool_lock(&sd->pool);
		if (r == CV_ERR_EOF)
			break;
		if (r != 0)
			fatalx("read from vaultd: %s", cv_strerror(r));
	}
	signerd_pool_drain(&sd->pool);
	signerd_pool_unlock(&sd->pool);
}

static void
start_workers(void *arg)
{
	struct signerd_state	*sd = arg;

	signerd_pool_start(&sd->pool, sd->opts.workers, &sd->c);
	if (signerd_pool_on(&sd->pool))
		log_debug("%d signing workers", sd->pool.n);
}

int
main(int argc, char **argv)
{
	static struct signerd_state sd;
	struct privsep_conf	conf;
	struct privsep_more	more;

	harden_process();
	/*
	 * One malloc arena for every thread.  A worker's own arena gives
	 * memory back by shrinking its heap, and glibc first reads
	 * /proc/sys/vm/overcommit_memory to learn whether it may: an
	 * openat the sandbox kills.  The main arena shrinks with brk.  A
	 * malloc that is not glibc's (a sanitizer's) has no such arenas,
	 * and refuses the setting.
	 */
	(void)mallopt(M_ARENA_MAX, 1);
	child_parse_args("signerd", argc, argv, &sd.opts);
	/* not dumpable now: no tracer of our user may have come in */
	harden_untraced(-1);
	log_init("signerd", sd.opts.verbose);
	if (sodium_init() < 0)
		fatalx("libsodium initialisation failed");

	if ((signerd_secp = secp_ctx_new()) == NULL)
		fatalx("cannot create the secp256k1 context");
	/* jansson would read /dev/urandom on first use: seed it now */
	json_object_seed(randombytes_random() | 1);
	json_set_alloc_funcs(json_alloc, json_free);
	chan_init(&sd.c, CHILD_FD);
	sd.vault.pool = &sd.pool;
	child_hello(&sd.c, "signerd");

	conf.user = sd.opts.user;
	conf.chroot_dir = sd.opts.chroot_dir;
	conf.unshare = 1;
	conf.rules = signerd_rules;
	conf.nrules = sizeof(signerd_rules) / sizeof(signerd_rules[0]);
	more.ro = NULL;			/* chroot instead of Landlock */
	more.ro_links = NULL;
	more.conds = signerd_conds;
	more.nconds = sizeof(signerd_conds) / sizeof(signerd_conds[0]);
	more.before_filter = start_workers;
	more.arg = &sd;
	privsep_enter_more(&conf, &more, &sd.ps);
	/* set up: its libraries' start-up pages go (common/pages.c) */
	drop_startup_pages();
	log_debug("sandboxed: uid %u chroot %d netns %d mntns %d",
	    (unsigned)sd.ps.uid, sd.ps.chrooted, sd.ps.netns, sd.ps.mntns);

	signerd_loop(&sd);
	signerd_vault_lock(&sd.vault);
	secp_ctx_free(signerd_secp);
	sd.c.fd = -1;			/* close(2) is not ours: exit closes */
	chan_free(&sd.c);		/* wipes the buffers */
	exit(0);
}
