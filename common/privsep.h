/*
 * The fixed start-up order every child daemon follows, in one place:
 * harden the process, enter empty namespaces where asked and allowed,
 * chroot (when root), drop privileges (when root), install the seccomp
 * allow-list.  Each step that fails is fatal; the sandbox is never
 * optional.  The caller opens whatever it needs before calling.
 */
#ifndef CV_PRIVSEP_H
#define CV_PRIVSEP_H

#include <stddef.h>
#include <sys/types.h>

#include "common/cv_err.h"

/* One allowed system call and the reason it is allowed. */
struct sandbox_rule {
	int		 nr;		/* SCMP_SYS(name) */
	const char	*why;
};

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
};

/*
 * RLIMIT_CORE 0, PR_SET_DUMPABLE 0, PR_SET_NO_NEW_PRIVS 1.  Every daemon
 * and vaultctl call it first thing; failure is fatal.
 */
void	harden_process(void);

/* Run the whole start-up order; fatal on any failure. */
void	privsep_enter(const struct privsep_conf *, struct privsep_state *);

/*
 * Install a seccomp filter that kills the process on any system call not
 * in rules.  CV_ERR_SANDBOX on failure.
 */
int	sandbox_install(const struct sandbox_rule *, size_t) CV_WUR;

#endif
