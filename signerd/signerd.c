/*
 * signerd: the only clobvault process that will hold plaintext secrets.
 * It has no file system (chroot to an empty directory when root), no
 * network (empty namespaces where allowed, and no socket syscalls), and
 * talks only to vaultd over CHILD_FD.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <jansson.h>
#include <seccomp.h>
#include <sodium.h>

#include "common/child.h"
#include "common/log.h"
#include "common/secp.h"
#include "signerd/signerd_vault.h"

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
	{ SCMP_SYS(madvise),		"MADV_DONTDUMP on secret pages" },
	{ SCMP_SYS(mlock),		"keep secrets out of swap" },
	{ SCMP_SYS(munlock),		"sodium_free" },
	{ SCMP_SYS(getrandom),		"key generation, signing blinding" },
	{ SCMP_SYS(clock_gettime),	"timestamp freshness, log time" },
	{ SCMP_SYS(getpid),		"log lines" },
	{ SCMP_SYS(rt_sigreturn),	"return from a signal handler" },
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
};

static void
signerd_dispatch(struct chan *c, struct msg *m, void *arg)
{
	struct signerd_state	*sd = arg;

	if (child_common(c, m, &sd->opts, &sd->ps))
		return;
	/* the rest is the vault's: its table permits or it is fatal */
	signerd_vault_dispatch(&sd->vault, c, m);
}

int
main(int argc, char **argv)
{
	struct signerd_state	sd;
	struct privsep_conf	conf;
	struct privsep_more	more;
	struct chan		c;

	harden_process();
	memset(&sd, 0, sizeof(sd));
	child_parse_args("signerd", argc, argv, &sd.opts);
	log_init("signerd", sd.opts.verbose);
	if (sodium_init() < 0)
		fatalx("libsodium initialisation failed");

	if ((signerd_secp = secp_ctx_new()) == NULL)
		fatalx("cannot create the secp256k1 context");
	/* jansson would read /dev/urandom on first use: seed it now */
	json_object_seed(randombytes_random() | 1);
	json_set_alloc_funcs(json_alloc, json_free);
	chan_init(&c, CHILD_FD);
	child_hello(&c, "signerd");

	conf.user = sd.opts.user;
	conf.chroot_dir = sd.opts.chroot_dir;
	conf.unshare = 1;
	conf.rules = signerd_rules;
	conf.nrules = sizeof(signerd_rules) / sizeof(signerd_rules[0]);
	more.ro = NULL;			/* chroot instead of Landlock */
	more.conds = signerd_conds;
	more.nconds = sizeof(signerd_conds) / sizeof(signerd_conds[0]);
	privsep_enter_more(&conf, &more, &sd.ps);
	log_debug("sandboxed: uid %u chroot %d netns %d mntns %d",
	    (unsigned)sd.ps.uid, sd.ps.chrooted, sd.ps.netns, sd.ps.mntns);

	child_loop(&c, signerd_dispatch, &sd);
	signerd_vault_lock(&sd.vault);
	secp_ctx_free(signerd_secp);
	chan_free(&c);
	exit(0);
}
