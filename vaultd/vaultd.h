/*
 * vaultd: parent and supervisor.  Shared state of its subsystems.
 */
#ifndef VAULTD_H
#define VAULTD_H

#include <limits.h>
#include <sys/types.h>
#include <time.h>

#include "common/audit.h"
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
	uint32_t	 status_id;	/* of the outstanding MSG_STATUS_REQ */
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
	uint64_t	 serial;	/* names it across slot reuse */
};

/* The one vault operation in flight between vaultd and signerd. */
struct vault_op {
	int		 active;
	int		 committing;	/* file written, commit sent */
	uint32_t	 id;		/* of the request to signerd */
	uint32_t	 sent;		/* its type */
	uint64_t	 client;	/* serial; 0 for vaultd's own */
	uint32_t	 cl_id;
	const char	*what;		/* audit operation name */
	char		 account[65];
	char		 key_id[65];
	uint64_t	 nonce;
	uint8_t		 rtype;
	uint64_t	 generation;
	int		 write_err;
	char		 info[512];
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
	uint64_t	 next_serial;

	/* The vault: ciphertext on disk, keys in signerd. */
	char		 vaultpath[PATH_MAX];
	char		 auditpath[PATH_MAX];
	const char	*unlock_file;	/* -p or -k: unlock unattended */
	int		 unlock_keyfile;
	int		 unlocked;
	uint64_t	 generation;
	uint8_t		 audit_pk[32];
	int		 have_audit_pk;
	unsigned	 bad_unlocks;
	int64_t		 unlock_after_ms;
	struct vault_op	 op;

	/* The audit log: vaultd appends, signerd signs checkpoints. */
	int		 audit_fd;
	struct audit_chain chain;
	int		 checkpoint_due;
	struct audit_rec ckpt;		/* the checkpoint being signed */
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
uint32_t child_new_id(struct child *);
int	 child_send(struct child *, struct msg_w *) CV_WUR;

/* vaultd_control.c */
int	 control_listen(struct vaultd *) CV_WUR;
void	 control_accept(struct vaultd *);
void	 control_readable(struct vaultd *, struct client *);
void	 control_close(struct client *);
void	 control_shutdown(struct vaultd *);
/* Answer the client called serial, if it is still connected. */
void	 control_answer(struct vaultd *, uint64_t serial, struct msg_w *);
void	 control_error(struct vaultd *, uint64_t serial, uint32_t id, int code,
	    const char *text);

/* vaultd_vault.c */
void	 vault_setup(struct vaultd *);
int	 vault_control(struct vaultd *, struct client *, struct msg *) CV_WUR;
int	 vaultd_audit_ctl(struct vaultd *, struct client *, struct msg *) CV_WUR;
int	 vault_signerd_answer(struct vaultd *, struct msg *) CV_WUR;
void	 vault_signerd_up(struct vaultd *);
void	 vault_signerd_lost(struct vaultd *);
const char *vault_state(struct vaultd *);

/* vaultd_audit.c */
void	 vaultd_audit_open(struct vaultd *);
/* Append one record; key_id may be "" or NULL.  Fatal if it cannot. */
void	 vaultd_audit(struct vaultd *, const char *actor, const char *account,
	    const char *op, const char *verdict, const char *key_id);
/* The same for a signing verdict: method, path as sent, body digest. */
void	 vaultd_audit_req(struct vaultd *, const char *actor,
	    const char *account, const char *op, const char *method,
	    const char *path, size_t pathlen, const uint8_t *body,
	    size_t bodylen, const char *verdict, const char *key_id);
/* Start a signed checkpoint if one is due and nothing else is running. */
void	 vaultd_audit_checkpoint(struct vaultd *);
int	 vaultd_audit_signed(struct vaultd *, const char *sig, size_t len)
	    CV_WUR;

#endif
