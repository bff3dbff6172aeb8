#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <seccomp.h>

#include "common/log.h"
#include "common/privsep.h"

void
harden_process(void)
{
	struct rlimit	rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit(RLIMIT_CORE)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
}

int
sandbox_install(const struct sandbox_rule *rules, size_t n)
{
	scmp_filter_ctx	ctx;
	size_t		i;
	int		r = CV_ERR_SANDBOX;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return CV_ERR_SANDBOX;
	for (i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, rules[i].nr, 0) != 0) {
			log_warnx("seccomp: cannot allow syscall %d (%s)",
			    rules[i].nr, rules[i].why);
			goto out;
		}
#ifdef __SANITIZE_ADDRESS__
	/* ASan's runtime asks before every noreturn call (make san only) */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sigaltstack), 0))
		goto out;
#endif
	if (seccomp_load(ctx) != 0)
		goto out;
	r = 0;
 out:
	seccomp_release(ctx);
	return r;
}

void
privsep_enter(const struct privsep_conf *conf, struct privsep_state *st)
{
	struct passwd	*pw = NULL;
	uid_t		 uid = 0;
	gid_t		 gid = 0;

	memset(st, 0, sizeof(*st));
	harden_process();
	if (geteuid() == 0) {
		if ((pw = getpwnam(conf->user)) == NULL)
			fatalx("unknown user %s: create it or pass -u USER",
			    conf->user);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		if (uid == 0)
			fatalx("refusing to run children as root (-u %s)",
			    conf->user);
	}

	/* Empty network and mount namespaces where the kernel allows. */
	if (conf->unshare) {
		if (unshare(CLONE_NEWNET) == 0)
			st->netns = 1;
		else
			log_debug("no network namespace: %s", strerror(errno));
		if (unshare(CLONE_NEWNS) == 0)
			st->mntns = 1;
		else
			log_debug("no mount namespace: %s", strerror(errno));
	}

	if (geteuid() == 0) {
		if (conf->chroot_dir != NULL) {
			if (chroot(conf->chroot_dir) == -1)
				fatal("chroot %s", conf->chroot_dir);
			if (chdir("/") == -1)
				fatal("chdir /");
			st->chrooted = 1;
		}
		if (setgroups(1, &gid) == -1 ||
		    setresgid(gid, gid, gid) == -1 ||
		    setresuid(uid, uid, uid) == -1)
			fatal("cannot drop privileges to %s", conf->user);
		if (setuid(0) != -1)
			fatalx("privilege drop did not stick");
	}
	st->uid = getuid();

	if (sandbox_install(conf->rules, conf->nrules) != 0)
		fatalx("cannot install the seccomp sandbox");
	st->seccomp = 1;
}
