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
#define AUDIT_CKPT_RECORDS	100000	/* signing records per checkpoint, */
#define AUDIT_CKPT_AGE_MS	10000	/* or the oldest unsigned one this old */

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
	uint32_t	 probe_id;	/* of the last MSG_PROBE_REQ */
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
	int		 call;		/* a step of the exchange call */
	uint64_t	 generation;
	int		 write_err;
	char		 info[512];
};

/*
 * A request to signerd that reads the committed vault and may overlap
 * with others and with a vault operation: a signature, or an account's
 * routing facts.  Its answer goes back to where it came from.
 */
#define VAULTD_SIGN_MAX		256
struct sign_slot {
	int		 used;
	uint32_t	 id;		/* of the request to signerd */
	uint32_t	 sent;		/* MSG_SIGN_REQ, MSG_VAULT_ACCOUNT_REQ */
	uint64_t	 client;	/* control client serial, or 0 */
	int		 netd;		/* asked by netd */
	uint32_t	 from_id;	/* the asker's request id */
	char		 account[65];
};

/* The one exchange call in progress (vaultd_call.c). */
enum call_state {
	CALL_NONE,
	CALL_ACCOUNT,		/* asked signerd for the account */
	CALL_NET,		/* netd is calling the exchange */
	CALL_STORE,		/* storing the new credential */
	CALL_MARK,		/* marking the invitation code used */
	CALL_REMOVE,		/* removing a key the exchange dropped */
};

struct vd_call {
	enum call_state	 state;
	int		 op_started;	/* the vault op of this state is sent */
	uint64_t	 client;
	uint32_t	 cl_id;
	uint32_t	 net_id;	/* of MSG_NET_CALL_REQ */
	char		 account[65];
	char		 name[33];
	size_t		 nparams;
	char		 pname[8][33];
	char		 pvalue[8][257];
	/* netd's answer */
	uint64_t	 status;
	char		*result;
	uint64_t	 effect;
	uint64_t	 rtype;
	char		 key_id[65];
	uint64_t	 nonce;
	uint8_t		*box;
	size_t		 boxlen;
	char		 change[512];	/* what happened in the vault */
};

struct vaultd {
	char		 home[PATH_MAX];
	char		 sockpath[PATH_MAX];
	char		 emptydir[PATH_MAX];
	const char	*user;
	int		 verbose;
	int		 testmode;
	char		 net_timeout[8];	/* -t, test mode: netd's */
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
	uint8_t		 box_pk[32];	/* signerd's, for netd's sealed boxes */

	/* Signing: overlapping requests, verdicts group-committed. */
	struct sign_slot signs[VAULTD_SIGN_MAX];
	size_t		 nsigns;
	struct msgbuf	 held;		/* frames for signerd awaiting the sync */
	struct vd_call	 call;

	/* The audit log: vaultd appends, signerd signs checkpoints. */
	int		 audit_fd;
	struct audit_chain chain;
	int		 checkpoint_due;
	int		 audit_dirty;		/* not yet fdatasync'd */
	struct msgbuf	 audit_pend;		/* this turn's signing records */
	uint64_t	 audit_unsigned;	/* records since the checkpoint */
	int64_t		 audit_first_ms;	/* when the first of them came */
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
/* Write what is queued for every client (once per loop turn). */
void	 control_flush_all(struct vaultd *);
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

/* Start a vault operation for a step of the exchange call. */
int	 vault_op_call(struct vaultd *, struct msg_w *, uint32_t id,
	    uint32_t sent, const char *what, const char *account,
	    const char *key_id) CV_WUR;
/* The key id of the account's first record of type in the vault file. */
int	 vault_file_key_id(struct vaultd *, uint8_t type, const char *account,
	    char *out, size_t outlen) CV_WUR;

/* vaultd_sign.c */
struct sign_origin {
	uint64_t	 client;	/* control client serial, or 0 */
	int		 netd;
	uint32_t	 id;		/* the asker's request id */
};
/* What a signing request asks for; path and body point into its frame. */
struct sign_args {
	uint64_t	 level;
	char		 method[8];
	const char	*path;
	size_t		 pathlen;
	const uint8_t	*body;
	size_t		 bodylen;
	uint64_t	 nonce;
};
/* Read [level, method, path, body, nonce], the tail of both requests. */
int	 vaultd_sign_args(struct msg_rd *, struct sign_args *) CV_WUR;
/* Gate, audit and queue one signing request; answers refusals itself. */
void	 vaultd_sign_request(struct vaultd *, const struct sign_origin *,
	    const char *actor, const char *account, const struct sign_args *);
/* Ask signerd for an account's routing facts (for the call). */
int	 vaultd_sign_account(struct vaultd *, const char *account) CV_WUR;
/* signerd answered: 1 if it was a slot's answer, 0 if not, or an error. */
int	 vaultd_sign_answer(struct vaultd *, struct msg *) CV_WUR;
/* Once per loop: sync the audit log, then release the held requests. */
void	 vaultd_sign_flush(struct vaultd *);
int	 vaultd_sign_busy(const struct vaultd *);
void	 vaultd_sign_lost(struct vaultd *);

/* vaultd_call.c */
int	 vaultd_call_ctl(struct vaultd *, struct client *, struct msg *) CV_WUR;
void	 vaultd_call_account(struct vaultd *, int code, const char *json,
	    size_t len);
int	 vaultd_call_netd(struct vaultd *, struct msg *) CV_WUR;
void	 vaultd_call_step(struct vaultd *, int code, const char *text,
	    const char *key_id);
void	 vaultd_call_kick(struct vaultd *);
/* netd died: the call it was making fails (signerd's loss fails the op). */
void	 vaultd_call_netd_lost(struct vaultd *);

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
/* A signing verdict, written now and fdatasync'd with its batch. */
void	 vaultd_audit_sign(struct vaultd *, const char *actor,
	    const char *account, const char *method, const char *path,
	    size_t pathlen, const uint8_t *body, size_t bodylen,
	    const char *verdict);
/* fdatasync what vaultd_audit_sign wrote; fatal if it cannot. */
void	 vaultd_audit_sync(struct vaultd *);
/* Checkpoints for signing records are periodic: due by count or age. */
void	 vaultd_audit_tick(struct vaultd *, int64_t now);
int64_t	 vaultd_audit_next_ms(const struct vaultd *);
/* Start a signed checkpoint if one is due and nothing else is running. */
void	 vaultd_audit_checkpoint(struct vaultd *);
int	 vaultd_audit_signed(struct vaultd *, const char *sig, size_t len)
	    CV_WUR;

#endif
