/*
 * The fixed start-up order every child daemon follows, in one place:
 * harden the process, enter empty namespaces where asked and allowed,
 * chroot (when root), drop privileges (when root), restrict the file
 * system with Landlock (where asked), install the seccomp allow-list.
 * Each step that fails is fatal; the sandbox is never optional.  The
 * caller opens whatever it needs before calling.
 */
#ifndef CV_PRIVSEP_H
#define CV_PRIVSEP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/cv_err.h"

/* One allowed system call and the reason it is allowed. */
struct sandbox_rule {
	int		 nr;		/* SCMP_SYS(name) */
	const char	*why;
};

/* What a conditional rule looks at in one argument of the call. */
enum sandbox_cmp {
	SANDBOX_EQ = 1,		/* argument == value */
	SANDBOX_MASKED_EQ,	/* (argument & mask) == value */
	SANDBOX_ANY,		/* whatever the arguments (with err) */
	SANDBOX_FD_GE,		/* a descriptor >= value, as the kernel
				   reads it (see below) */
};

/*
 * A system call allowed only when one argument passes cmp -- or, with
 * err, refused with that errno instead of killing the process (for
 * what a library tries and does without).  Write them with the macros.
 *
 * Comparisons read all 64 bits of the argument, while the kernel reads
 * a descriptor as 32 bits: write(0x100000002, ...) writes to fd 2.
 * Equality is safe (extra bits fail it); for "fd >= n" use SANDBOX_FD_GE,
 * which admits only values in [n, 2^31) with the upper 32 bits clear
 * (libseccomp allows one comparison per argument and rule, so it is a
 * few masked-equality rules, one per power-of-two block of the range).
 */
struct sandbox_cond {
	int		 nr;		/* SCMP_SYS(name) */
	enum sandbox_cmp cmp;
	unsigned int	 arg;		/* 0..5: which argument cmp reads */
	uint64_t	 mask;
	uint64_t	 value;
	int		 err;		/* 0: allow; else fail with errno err */
	const char	*why;
	/* and, with an EQ or MASKED_EQ: (argument arg2 & mask2) == value2 */
	int		 two;
	unsigned int	 arg2;
	uint64_t	 mask2;
	uint64_t	 value2;
};

#define SANDBOX_COND(sys, cmp, arg, mask, v, e, why)			\
	{ SCMP_SYS(sys), (cmp), (arg), (mask), (v), (e), (why), 0, 0, 0, 0 }
#define SANDBOX_ALLOW_EQ(sys, arg, v, why)				\
	SANDBOX_COND(sys, SANDBOX_EQ, arg, 0, v, 0, why)
#define SANDBOX_ALLOW_MASKED(sys, arg, mask, v, why)			\
	SANDBOX_COND(sys, SANDBOX_MASKED_EQ, arg, mask, v, 0, why)
#define SANDBOX_ERRNO(sys, e, why)					\
	SANDBOX_COND(sys, SANDBOX_ANY, 0, 0, 0, e, why)
#define SANDBOX_ERRNO_EQ(sys, arg, v, e, why)				\
	SANDBOX_COND(sys, SANDBOX_EQ, arg, 0, v, e, why)
#define SANDBOX_ERRNO_MASKED(sys, arg, mask, v, e, why)			\
	SANDBOX_COND(sys, SANDBOX_MASKED_EQ, arg, mask, v, e, why)
#define SANDBOX_ALLOW_FD_GE(sys, arg, min, why)				\
	SANDBOX_COND(sys, SANDBOX_FD_GE, arg, 0, min, 0, why)
/* arg == v and (arg2 & mask2) == v2 */
#define SANDBOX_ALLOW_EQ_MASKED(sys, arg, v, arg2, mask2, v2, why)	\
	{ SCMP_SYS(sys), SANDBOX_EQ, (arg), 0, (v), 0, (why), 1, (arg2),	\
	    (mask2), (v2) }

struct privsep_conf {
	const char			*user;		/* drop to, when root */
	const char			*chroot_dir;	/* NULL: no chroot */
	int				 unshare;	/* empty net+mount ns */
	const struct sandbox_rule	*rules;
	size_t				 nrules;
};

/* What was actually done, for status reports. */
struct privsep_state {
	uid_t	uid;
	int	chrooted;
	int	netns;
	int	mntns;
	int	seccomp;
	int	landlock;	/* Landlock ABI enforced, 0: none */
};

/*
 * RLIMIT_CORE 0, PR_SET_DUMPABLE 0, PR_SET_NO_NEW_PRIVS 1.  Every daemon
 * and vaultctl call it first thing; failure is fatal.
 */
void	harden_process(void);

/*
 * A child daemon's refusal to run traced.  Between its execve and
 * harden_process a child of a vaultd that is not root runs as vaultd's
 * user and dumpable: a process of that user could PTRACE_ATTACH then
 * and stay attached, driving it later.  Once harden_process has made us
 * not dumpable no such process can attach any more, so the tracer
 * /proc/self/status names now (fd, opened on it, or -1: open it here)
 * is one that came in that window, or one privileged over us.  Fatal
 * if there is one, unless we run as root (only a process privileged
 * over us could have attached: it is accepted, and remembered); fatal
 * too when the status cannot be read.  Called by signerd and netd
 * right after harden_process, and by privsep_enter_more after the
 * privilege drop (which briefly made us dumpable again): then only the
 * tracer accepted as root, if any, may still be there.
 */
void	harden_untraced(int fd);

/* TracerPid: of the /proc status file open on fd (read with pread), 0
 * for none, -1 if it does not say. */
long	harden_tracer_pid(int fd);

/*
 * Run the whole start-up order; fatal on any failure.  Before seccomp it
 * also clears the READ_IMPLIES_EXEC personality (inherited across exec,
 * it would make every readable mapping executable).
 */
void	privsep_enter(const struct privsep_conf *, struct privsep_state *);

/*
 * More of the sandbox, for a daemon that needs it (netd): rules on
 * system call arguments, and a Landlock domain.  A separate structure so
 * that a daemon that fills privsep_conf field by field never leaves one
 * of these unset.
 */
struct privsep_more {
	const char *const		*ro;	/* NULL-terminated, or NULL */
	/* files read under ro that a link may put elsewhere, or NULL */
	const char *const		*ro_links;
	const struct sandbox_cond	*conds;
	size_t				 nconds;
	/* run last before the filter, or NULL (signerd's workers start) */
	void				(*before_filter)(void *);
	void				*arg;
};

/*
 * The same, with more->conds added to the seccomp filter and, before
 * seccomp, a Landlock domain in which the process
 * may read files and list directories under the paths of ro (a
 * NULL-terminated list; a path that does not exist is skipped) and
 * nothing else: no write, create, remove, rename, truncate, execute or
 * device ioctl anywhere, no TCP bind, no signal or abstract socket
 * outside the domain -- as far as the kernel's Landlock ABI knows those
 * rights.  A kernel without Landlock gets a warning and st->landlock 0;
 * any other Landlock failure is fatal.  more->ro NULL: no Landlock.
 * Each file of more->ro_links that a symbolic link takes out of ro
 * (landlock_link_dir) may be read too, with its directory's other files.
 */
void	privsep_enter_more(const struct privsep_conf *,
	    const struct privsep_more *more, struct privsep_state *);

/*
 * Install a seccomp filter that kills the process on any system call not
 * in rules (all threads).  CV_ERR_SANDBOX on failure.
 */
int	sandbox_install(const struct sandbox_rule *, size_t) CV_WUR;
/* The same, with the conditional rules of conds as well. */
int	sandbox_install_conds(const struct sandbox_rule *, size_t,
	    const struct sandbox_cond *conds, size_t nconds) CV_WUR;

/*
 * Enter the Landlock domain privsep_enter_more describes.  0 with *abi the
 * ABI enforced, or 0 with *abi 0 when the kernel has no Landlock;
 * CV_ERR_SANDBOX when a path or the domain cannot be set up.
 */
int	landlock_restrict_ro(const char *const *ro, const char *const *links,
	    int *abi) CV_WUR;

/*
 * The directory of the file path names once its links are followed, in
 * dir (len bytes), when that file is under none of the directories of
 * ro: Landlock checks the file a link leads to, so /etc/resolv.conf
 * linked to /run/systemd/resolve/stub-resolv.conf (systemd-resolved) or
 * /run/resolvconf/resolv.conf (resolvconf) is outside a rule for /etc.
 * The directory, not the file: those files are replaced by a rename.
 * 1 with dir set; 0 when path is under ro, or does not exist, or cannot
 * be looked at or leads to a file in / (said in the log): left
 * unreadable then, as without this.
 */
int	landlock_link_dir(const char *path, const char *const *ro, char *dir,
	    size_t len) CV_WUR;

#endif
