#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/capability.h>
#include <linux/landlock.h>
#include <seccomp.h>

#include "common/log.h"
#include "common/privsep.h"

/*
 * Landlock rights newer than the system's headers: the kernel tells its
 * ABI at run time and we hand it only the rights that ABI knows.
 */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER		(1ULL << 13)	/* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET	(1ULL << 0)	/* ABI 6 */
#define LANDLOCK_SCOPE_SIGNAL			(1ULL << 1)	/* ABI 6 */
#endif

/* The ruleset as of ABI 6; an older kernel is given the prefix it knows. */
struct ll_ruleset {
	uint64_t	fs;
	uint64_t	net;
	uint64_t	scoped;
};

/*
 * A descriptor argument in [min, 2^31) with the upper 32 bits clear: one
 * masked-equality rule per aligned power-of-two block of the range, so
 * that bits the kernel ignores cannot turn fd 2 into "fd 2^32 + 2".
 */
static int
sandbox_add_fd_ge(scmp_filter_ctx ctx, uint32_t action,
    const struct sandbox_cond *c)
{
	const uint64_t		 end = 1ULL << 31;
	struct scmp_arg_cmp	 cmp;
	uint64_t		 lo = c->value, size;

	if (lo >= end)
		return -1;
	while (lo < end) {
		size = lo == 0 ? end : lo & (~lo + 1);	/* its alignment */
		while (lo + size > end)
			size >>= 1;
		memset(&cmp, 0, sizeof(cmp));
		cmp.arg = c->arg;
		cmp.op = SCMP_CMP_MASKED_EQ;
		cmp.datum_a = ~(size - 1);
		cmp.datum_b = lo;
		if (seccomp_rule_add_array(ctx, action, c->nr, 1, &cmp) != 0)
			return -1;
		lo += size;
	}
	return 0;
}

static int
sandbox_add_cond(scmp_filter_ctx ctx, const struct sandbox_cond *c)
{
	uint32_t		 action;
	struct scmp_arg_cmp	 cmp[2];

	action = c->err != 0 ? SCMP_ACT_ERRNO((uint32_t)c->err) :
	    SCMP_ACT_ALLOW;
	if (c->arg > 5 || (c->two && (c->arg2 > 5 || c->arg2 == c->arg ||
	    (c->cmp != SANDBOX_EQ && c->cmp != SANDBOX_MASKED_EQ))))
		return -1;
	memset(cmp, 0, sizeof(cmp));
	cmp[0].arg = c->arg;
	cmp[1].arg = c->arg2;
	cmp[1].op = SCMP_CMP_MASKED_EQ;
	cmp[1].datum_a = c->mask2;
	cmp[1].datum_b = c->value2;
	switch (c->cmp) {
	case SANDBOX_ANY:
		/* Unconditional only as a refusal: allowing is a rule. */
		if (c->err == 0)
			return -1;
		return seccomp_rule_add(ctx, action, c->nr, 0);
	case SANDBOX_EQ:
		cmp[0].op = SCMP_CMP_EQ;
		cmp[0].datum_a = c->value;
		break;
	case SANDBOX_MASKED_EQ:
		cmp[0].op = SCMP_CMP_MASKED_EQ;
		cmp[0].datum_a = c->mask;
		cmp[0].datum_b = c->value;
		break;
	case SANDBOX_FD_GE:
		return sandbox_add_fd_ge(ctx, action, c);
	default:
		return -1;
	}
	return seccomp_rule_add_array(ctx, action, c->nr, c->two ? 2 : 1,
	    cmp);
}

int
sandbox_install_conds(const struct sandbox_rule *rules, size_t n,
    const struct sandbox_cond *conds, size_t nconds)
{
	scmp_filter_ctx	ctx;
	size_t		i;
	int		r = CV_ERR_SANDBOX;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return CV_ERR_SANDBOX;
	/* Every thread, including any a library started already. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0)
		goto out;
	/*
	 * A call of another architecture (int 0x80, x32) kills the process,
	 * said here rather than left to libseccomp's default for it.
	 */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, rules[i].nr,
		    0) != 0) {
			log_warnx("seccomp: cannot allow syscall %d (%s)",
			    rules[i].nr, rules[i].why);
			goto out;
		}
	for (i = 0; i < nconds; i++)
		if (sandbox_add_cond(ctx, &conds[i]) != 0) {
			log_warnx("seccomp: cannot add the rule on syscall %d "
			    "(%s)", conds[i].nr, conds[i].why);
			goto out;
		}
#ifdef __SANITIZE_ADDRESS__
	/* ASan's runtime asks before every noreturn call (make san only) */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sigaltstack), 0))
		goto out;
	/* ... and names each thread it registers (netd's resolver) */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(gettid), 0))
		goto out;
#endif
	if (seccomp_load(ctx) != 0)
		goto out;
	r = 0;
 out:
	seccomp_release(ctx);
	return r;
}

int
sandbox_install(const struct sandbox_rule *rules, size_t n)
{
	return sandbox_install_conds(rules, n, NULL, 0);
}

/* Whether the file real (a real path) is in the directory dir or under it. */
static int
path_under(const char *real, const char *dir)
{
	char	rdir[PATH_MAX];
	size_t	n;

	if (realpath(dir, rdir) == NULL)
		return 0;
	n = strlen(rdir);
	if (n == 1)			/* "/" */
		return 1;
	return strncmp(real, rdir, n) == 0 && real[n] == '/';
}

int
landlock_link_dir(const char *path, const char *const *ro, char *dir,
    size_t len)
{
	char	 real[PATH_MAX], *slash;
	size_t	 i;

	if (realpath(path, real) == NULL) {
		if (errno != ENOENT)
			log_warn("landlock: %s, left unreadable", path);
		return 0;
	}
	for (i = 0; ro[i] != NULL; i++)
		if (path_under(real, ro[i]))
			return 0;
	/* never a rule for / */
	if ((slash = strrchr(real, '/')) == NULL || slash == real ||
	    (size_t)(slash - real) >= len) {
		log_warnx("landlock: %s leads to %s, left unreadable", path,
		    real);
		return 0;
	}
	memcpy(dir, real, (size_t)(slash - real));
	dir[slash - real] = '\0';
	return 1;
}

/* Let the domain fd read under path: 0, ENOENT skipped, or -1. */
static int
landlock_add_ro(int fd, const char *path)
{
	struct landlock_path_beneath_attr	 pb;
	int					 pfd;

	if ((pfd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			log_debug("landlock: no %s, skipped", path);
			return 0;
		}
		log_warn("landlock: %s", path);
		return -1;
	}
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE |
	    LANDLOCK_ACCESS_FS_READ_DIR;
	pb.parent_fd = pfd;
	if (syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0) != 0) {
		log_warn("landlock: rule for %s", path);
		close(pfd);
		return -1;
	}
	close(pfd);
	return 0;
}

int
landlock_restrict_ro(const char *const *ro, const char *const *links,
    int *abi)
{
	struct ll_ruleset			 rs;
	char					 dir[PATH_MAX];
	size_t					 rslen, i;
	long					 v;
	int					 fd;
	int					 r = CV_ERR_SANDBOX;

	*abi = 0;
	v = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (v < 0) {
		if (errno == ENOSYS || errno == EOPNOTSUPP) {
			log_warnx("no Landlock in this kernel (%s): the file "
			    "system is not restricted", strerror(errno));
			return 0;
		}
		log_warn("landlock_create_ruleset(VERSION)");
		return CV_ERR_SANDBOX;
	}

	memset(&rs, 0, sizeof(rs));
	rs.fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;		/* ABI 1 */
	if (v >= 2)
		rs.fs |= LANDLOCK_ACCESS_FS_REFER;
	if (v >= 3)
		rs.fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (v >= 5)
		rs.fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	rslen = sizeof(rs.fs);
	if (v >= 4) {
		/* Never listen; connect stays open (any port may serve). */
		rs.net = LANDLOCK_ACCESS_NET_BIND_TCP;
		rslen = offsetof(struct ll_ruleset, scoped);
	}
	if (v >= 6) {
		rs.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET |
		    LANDLOCK_SCOPE_SIGNAL;
		rslen = sizeof(rs);
	}
	if ((fd = (int)syscall(SYS_landlock_create_ruleset, &rs, rslen,
	    0)) < 0) {
		log_warn("landlock_create_ruleset");
		return CV_ERR_SANDBOX;
	}
	for (i = 0; ro[i] != NULL; i++)
		if (landlock_add_ro(fd, ro[i]) != 0)
			goto out;
	for (i = 0; links != NULL && links[i] != NULL; i++) {
		if (landlock_link_dir(links[i], ro, dir, sizeof(dir)) == 1) {
			log_debug("landlock: %s is in %s", links[i], dir);
			if (landlock_add_ro(fd, dir) != 0)
				goto out;
		}
	}
	if (syscall(SYS_landlock_restrict_self, fd, 0) != 0) {
		log_warn("landlock_restrict_self");
		goto out;
	}
	*abi = (int)v;
	r = 0;
 out:
	close(fd);
	return r;
}

/*
 * No capability left, whatever the child was given: a vaultd not root
 * but started with ambient capabilities (a unit's AmbientCapabilities=)
 * would pass them on.  Emptying the permitted set empties the ambient
 * one too.
 */
static void
drop_caps(void)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[_LINUX_CAPABILITY_U32S_3];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		fatal("cannot clear the ambient capabilities");
	if (syscall(SYS_capset, &hdr, data) == -1)
		fatal("cannot drop the capabilities");
}

void
privsep_enter_more(const struct privsep_conf *conf,
    const struct privsep_more *more, struct privsep_state *st)
{
	struct passwd	*pw = NULL;
	uid_t		 uid = 0;
	gid_t		 gid = 0;
	pid_t		 ppid = getppid();
	int		 pers, deathsig = 0, status;

	memset(st, 0, sizeof(*st));
	harden_process();
	/* read again after the drop, from inside the chroot */
	if ((status = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) == -1)
		fatal("cannot tell whether we are traced: /proc/self/status");
	if (prctl(PR_GET_PDEATHSIG, &deathsig, 0, 0, 0) == -1)
		fatal("prctl(PR_GET_PDEATHSIG)");
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
	drop_caps();
	/*
	 * A change of user clears the death signal the parent asked for,
	 * and sets dumpable to fs.suid_dumpable (2 on some systems): both
	 * are set again, and a parent gone meanwhile is noticed.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
	/* dumpable under fs.suid_dumpable 1 until now: anyone attached? */
	harden_untraced(status);
	close(status);
	if (deathsig != 0) {
		if (prctl(PR_SET_PDEATHSIG, deathsig, 0, 0, 0) == -1)
			fatal("prctl(PR_SET_PDEATHSIG)");
		if (getppid() != ppid)
			fatalx("the parent is gone");
	}
	st->uid = getuid();

	if (more != NULL && more->ro != NULL &&
	    landlock_restrict_ro(more->ro, more->ro_links,
	    &st->landlock) != 0)
		fatalx("cannot restrict the file system with Landlock");

	/* Inherited, it would make PROT_READ mean PROT_EXEC as well. */
	if ((pers = personality(0xffffffff)) == -1)
		fatal("personality");
	if ((pers & READ_IMPLIES_EXEC) &&
	    personality((unsigned long)pers & ~READ_IMPLIES_EXEC) == -1)
		fatal("cannot clear READ_IMPLIES_EXEC");

	/* threads started now are filtered with this one (TSYNC) */
	if (more != NULL && more->before_filter != NULL)
		more->before_filter(more->arg);
	if (sandbox_install_conds(conf->rules, conf->nrules,
	    more != NULL ? more->conds : NULL,
	    more != NULL ? more->nconds : 0) != 0)
		fatalx("cannot install the seccomp sandbox");
	st->seccomp = 1;
}

void
privsep_enter(const struct privsep_conf *conf, struct privsep_state *st)
{
	privsep_enter_more(conf, NULL, st);
}
