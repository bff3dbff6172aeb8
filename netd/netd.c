/*
 * netd: the unprivileged, network-facing process.  It makes the
 * exchange's HTTPS calls and never holds the wallet key or an HMAC
 * secret.  It talks to vaultd over CHILD_FD.
 */
#include <stdlib.h>
#include <unistd.h>

#include <seccomp.h>
#include <sodium.h>

#include "common/child.h"
#include "common/log.h"

/*
 * Everything netd may do once set up.  The network calls libcurl needs
 * are added with the HTTPS client; until then netd has none.
 */
static const struct sandbox_rule netd_rules[] = {
	{ SCMP_SYS(read),		"messages from vaultd" },
	{ SCMP_SYS(write),		"answers to vaultd, log lines" },
	{ SCMP_SYS(exit_group),		"exit" },
	{ SCMP_SYS(exit),		"exit" },
	{ SCMP_SYS(brk),		"malloc" },
	{ SCMP_SYS(mmap),		"malloc" },
	{ SCMP_SYS(munmap),		"free" },
	{ SCMP_SYS(mremap),		"realloc of large buffers" },
	{ SCMP_SYS(mprotect),		"sodium_malloc guard pages" },
	{ SCMP_SYS(madvise),		"malloc trimming" },
	{ SCMP_SYS(getrandom),		"random request nonces" },
	{ SCMP_SYS(clock_gettime),	"timestamps, log time" },
	{ SCMP_SYS(getpid),		"log lines" },
	{ SCMP_SYS(rt_sigreturn),	"return from a signal handler" },
};

struct netd_state {
	struct child_opts	opts;
	struct privsep_state	ps;
};

static void
netd_dispatch(struct chan *c, struct msg *m, void *arg)
{
	struct netd_state	*sd = arg;

	if (!child_common(c, m, &sd->opts, &sd->ps))
		fatalx("unexpected %s from vaultd", msg_name(m->type));
}

int
main(int argc, char **argv)
{
	struct netd_state	sd;
	struct privsep_conf	conf;
	struct chan		c;

	harden_process();
	child_parse_args("netd", argc, argv, &sd.opts);
	log_init("netd", sd.opts.verbose);
	if (sodium_init() < 0)
		fatalx("libsodium initialisation failed");

	chan_init(&c, CHILD_FD);
	child_hello(&c, "netd");

	conf.user = sd.opts.user;
	conf.chroot_dir = NULL;		/* will need the CA bundle */
	conf.unshare = 0;		/* needs the network */
	conf.rules = netd_rules;
	conf.nrules = sizeof(netd_rules) / sizeof(netd_rules[0]);
	privsep_enter(&conf, &sd.ps);

	child_loop(&c, netd_dispatch, &sd);
	chan_free(&c);
	exit(0);
}
