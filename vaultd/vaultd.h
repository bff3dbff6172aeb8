/*
 * vaultd: parent and supervisor.  Shared state of its subsystems.
 */
#ifndef VAULTD_H
#define VAULTD_H

#include <limits.h>
#include <sys/types.h>
#include <time.h>

#include "common/msg.h"

#define VAULTD_MAX_CLIENTS	16
#define VAULTD_STATUS_EVERY_MS	5000	/* liveness query of each child */
#define VAULTD_STATUS_DEADLINE	15000	/* no answer this long: restart */
#define VAULTD_BACKOFF_MIN_MS	100
#define VAULTD_BACKOFF_MAX_MS	30000
#define VAULTD_STABLE_MS	10000	/* up this long: backoff resets */

enum child_state {
	CHILD_DOWN,		/* waiting for its restart time */
	CHILD_HELLO,		/* started, handshake not done */
	CHILD_UP,
	CHILD_DYING,		/* killed, not yet reaped */
};

struct child {
	const char	*name;		/* "signerd", "netd" */
	char		 path[PATH_MAX];
	enum child_state state;
	pid_t		 pid;
	struct chan	 chan;
	int64_t		 started_ms;	/* monotonic */
	int64_t		 restart_at_ms;
	int64_t		 status_sent_ms;	/* 0: no query outstanding */
	int64_t		 status_next_ms;
	unsigned	 backoff_ms;
	unsigned	 restarts;
	uint32_t	 next_id;
	char		 last_exit[160];
	/* From the child's MSG_STATUS_ANS and from /proc. */
	int		 have_status;
	uint64_t	 uid;
	int		 chrooted, netns, mntns, seccomp_self;
	int		 proc_seccomp;	/* /proc/PID/status Seccomp: */
	int		 proc_nnp;	/* /proc/PID/status NoNewPrivs: */
};

struct client {
	struct chan	 chan;
	int		 hello;
	uid_t		 uid;
};

struct vaultd {
	char		 home[PATH_MAX];
	char		 sockpath[PATH_MAX];
	char		 emptydir[PATH_MAX];
	const char	*user;
	int		 verbose;
	int		 testmode;
	int		 stopping;
	int64_t		 started_ms;
	int		 listen_fd;
	int		 sig_fd;
	struct child	 children[2];
	struct client	 clients[VAULTD_MAX_CLIENTS];
};

int64_t	 vaultd_now_ms(void);

/* vaultd_child.c */
void	 child_setup(struct vaultd *, struct child *, const char *name,
	    const char *exedir);
int	 child_start(struct vaultd *, struct child *) CV_WUR;
void	 child_kill(struct child *, const char *why);
void	 child_reaped(struct vaultd *, pid_t, int status);
void	 child_readable(struct vaultd *, struct child *);
void	 child_timers(struct vaultd *, struct child *, int64_t now);
int64_t	 child_next_timer(const struct child *);
struct child *child_by_name(struct vaultd *, const char *);
int	 child_send_probe(struct child *, const char *kind) CV_WUR;

/* vaultd_control.c */
int	 control_listen(struct vaultd *) CV_WUR;
void	 control_accept(struct vaultd *);
void	 control_readable(struct vaultd *, struct client *);
void	 control_close(struct client *);
void	 control_shutdown(struct vaultd *);

#endif
