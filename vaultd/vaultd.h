/*
 * vaultd: parent and supervisor.  Shared state of its subsystems.
 */
#ifndef VAULTD_H
#define VAULTD_H

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "common/audit.h"
#include "common/home.h"
#include "common/msg.h"
#include "common/netcall.h"
#include "common/secmem.h"
#include "common/vault_fmt.h"
#include "policy/policy.h"

struct vaultd;

/* What a signing request is told while signerd is not up (CV_ERR_AGAIN). */
#define VAULTD_SIGNERD_AGAIN	"signerd is (re)starting; retry in a moment"
/*
 * What a change that takes the vault's credential is told when it came
 * without one (CV_ERR_DENIED) or with a wrong one (CV_ERR_BADPASS).
 */
#define VAULTD_CRED_CLIENT	"adding or removing a gateway client takes " \
	"the vault's passphrase or keyfile (vaultctl asks for it, or give " \
	"--passphrase-file F or --keyfile F); nothing changed"
#define VAULTD_CRED_ACCOUNT	"changing an account's URL, CA file or pin " \
	"takes the vault's passphrase or keyfile (vaultctl asks for it, or " \
	"give --passphrase-file F or --keyfile F); nothing changed"
#define VAULTD_CRED_REMOVE	"removing an account that holds keys or " \
	"gateway clients takes the vault's passphrase or keyfile (vaultctl " \
	"asks for it, or give --passphrase-file F or --keyfile F); nothing " \
	"changed"
#define VAULTD_CRED_KEY		"removing a key or an invitation code from " \
	"the vault takes the vault's passphrase or keyfile (vaultctl asks " \
	"for it, or give --passphrase-file F or --keyfile F); nothing changed"
#define VAULTD_CRED_WRONG	"wrong passphrase or keyfile; nothing changed"
#define VAULTD_MAX_CLIENTS	64
#define VAULTD_CLIENTS_PER_PID	8	/* one script cannot hold them all */
#define VAULTD_HELLO_MS		5000	/* a new client's handshake */
#define VAULTD_IDLE_MS		300000	/* a client with nothing in flight,
						   or reading none of its
						   answers (-I in tests) */
#define VAULTD_IDLE_TEST_MAX	3600	/* -I: seconds, test mode */
#define VAULTD_CLIENT_QUEUE	(1 << 20)	/* a client's unread answers
						   past this: its requests
						   wait (control_paused) */
#define VAULTD_DENY_BURST	50	/* denials a client may have at once, */
#define VAULTD_DENY_PER_S	10	/* refilled at this rate */
#define VAULTD_CALL_DEADLINE_MS	120000	/* one exchange call, all steps */
#define VAULTD_STATUS_EVERY_MS	5000	/* liveness query of each child */
#define VAULTD_STATUS_DEADLINE	15000	/* no answer this long: restart */
#define VAULTD_ANSWER_MS	10000	/* signerd owes answers to requests
					   and gives none this long: it is
					   killed and restarted (-X in tests) */
#define VAULTD_ANSWER_OP_TIMES	12	/* ... a vault operation that
					   derives keys this many times as
					   long, 120 s, for each unit of its
					   Argon2id work: */
#define VAULTD_KDF_UNIT		(4ULL << 30)	/* passes x bytes:
					   the sensitive level's derivation,
					   4 passes over 1 GiB (-K in tests) */
#define VAULTD_ANSWER_TEST_MAX	600	/* -X: seconds, test mode */
#define VAULTD_SYNC_SLOW_MS	3000	/* -T probe sync-slow: a slow disk */
#define VAULTD_CHILDLOG_LINE	1024	/* a child's log line, longer: cut */
#define VAULTD_CHILDLOG_RATE	20	/* lines a second a child may log, */
#define VAULTD_CHILDLOG_BURST	100	/* and at once */
#define VAULTD_CHILDLOG_REPORT_MS 5000	/* dropped lines: one report per */
#define VAULTD_BACKOFF_MIN_MS	100
#define VAULTD_BACKOFF_MAX_MS	30000
#define VAULTD_STABLE_MS	10000	/* up this long: backoff resets */
#define VAULTD_TRIM_MS		250	/* signing idle this long: trim */
#define VAULTD_HEAP_KEEP	(64 << 20)	/* free heap kept till then */
#define VAULTD_MMAP_MIN		(32 << 20)	/* mapped apart: glibc's most */
#define AUDIT_CKPT_RECORDS	100000	/* signing records per checkpoint, */
#define AUDIT_CKPT_AGE_MS	10000	/* or the oldest unsigned one this old */
#define AUDIT_GROUP_MS_DEFAULT	5	/* relaxed mode: group sync period */
#define AUDIT_GROUP_MS_MAX	1000
#define VAULTD_GATEWAYS		4	/* gateway lines of vaultd.conf */
#define VAULTD_GATEWAY_LEN	48	/* "[::1]:65535" and then some */
#define VAULTD_READY_WAIT_MS	120000	/* vaultd without -f waits this */

/* The children, by index into vd->children. */
enum child_id {
	CHILD_SIGNERD,
	CHILD_NETD,
	CHILD_NUM
};
#define SIGNERD(vd)	(&(vd)->children[CHILD_SIGNERD])
#define NETD(vd)	(&(vd)->children[CHILD_NETD])

enum child_state {
	CHILD_DOWN,		/* waiting for its restart time */
	CHILD_HELLO,		/* started, handshake not done */
	CHILD_UP,
	CHILD_DYING,		/* killed, not yet reaped */
};

/* Why a child ended, for its restarts' counts (/metrics). */
enum child_end {
	CHILD_END_CRASH,	/* it died or exited by itself (its end
				   of the channel closed) */
	CHILD_END_STALLED,	/* a status query, handshake or work owed
				   left unanswered (child_stalled) */
	CHILD_END_DEADLINE,	/* an exchange call past its deadline */
	CHILD_END_REFUSED,	/* a malformed or out-of-turn message */
	CHILD_END_SANDBOX,	/* no seccomp filter, or traced at start */
	CHILD_END_IO,		/* vaultd could not write to it or read
				   from it */
	CHILD_END_NUM
};

struct child {
	enum child_id	 id;
	const char	*name;		/* "signerd", "netd": for logs */
	char		 path[PATH_MAX];
	/*
	 * Its program, opened at vaultd's start and run at each start of
	 * the child, whatever path names by then (child_start): its size
	 * and modification time then.
	 */
	int		 exe_fd;
	off_t		 exe_size;
	struct timespec	 exe_mtime;
	enum child_state state;
	pid_t		 pid;
	struct chan	 chan;
	int64_t		 started_ms;	/* monotonic */
	int64_t		 restart_at_ms;
	int64_t		 status_sent_ms;	/* 0: no query outstanding */
	int64_t		 status_next_ms;
	int64_t		 owed_ms;	/* owes answers to work and gave none
					   since; 0: owes none (child_watch) */
	int64_t		 owed_bound;	/* ... then killed past this long */
	int64_t		 oldest_ms;	/* at or before the oldest request
					   it owes went; 0: not known */
	unsigned	 backoff_ms;
	unsigned	 restarts;
	unsigned	 restarts_by[CHILD_END_NUM];	/* ... by why it ended */
	enum child_end	 end;		/* why the last one ended */
	int		 killed;	/* by vaultd: end says why */
	uint32_t	 next_id;
	uint32_t	 status_id;	/* of the outstanding MSG_STATUS_REQ */
	uint32_t	 status_read;	/* of the last one answered: the
					   child read all sent before it */
	uint32_t	 probe_id;	/* of the last MSG_PROBE_REQ */
	char		 last_exit[160];
	/* From the child's MSG_STATUS_ANS and from /proc. */
	int		 have_status;
	uint64_t	 uid;
	int		 chrooted, netns, mntns, seccomp_self;
	int		 proc_seccomp;	/* /proc/PID/status Seccomp: */
	int		 proc_nnp;	/* /proc/PID/status NoNewPrivs: */
	long		 proc_tracer;	/* /proc/PID/status TracerPid: */
	/* Its log pipe (vaultd_childlog.c): read end, -1 while down. */
	int		 log_fd;
	size_t		 log_len;	/* bytes of a line in log_buf */
	int		 log_cut;	/* dropping the rest of a long line */
	int64_t		 log_tokens;	/* lines it may log now, x1000 */
	int64_t		 log_fill_ms;	/* log_tokens were counted then */
	uint64_t	 log_dropped;	/* lines over the rate, not reported */
	int64_t		 log_report_ms;	/* the last report of dropped lines */
	char		 log_buf[VAULTD_CHILDLOG_LINE];
};

struct client {
	struct chan	 chan;
	int		 hello;
	uid_t		 uid;
	pid_t		 pid;
	uint64_t	 serial;	/* names it across slot reuse */
	int64_t		 since_ms;	/* connected */
	int64_t		 last_ms;	/* last byte from it */
	int64_t		 out_ms;	/* last byte to it, or answers queued */
	int		 out_waits;	/* answers waited at the last turn */
	int64_t		 deny_ms;	/* deny_tokens were counted then */
	int		 deny_tokens;
	char		 actor[AUDIT_MAX_NAME + 1];	/* vaultctl:UID:PID */
	int		 queue_fail;	/* -T probe: control_answer fails */
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
	int64_t		 sent_ms;	/* its request to signerd went */
	uint64_t	 kdf_work;	/* Argon2id work of its derivations:
					   passes x bytes, summed */
	char		 account[65];
	char		 key_id[65];
	uint64_t	 nonce;
	uint8_t		 rtype;
	char		 profile[16];	/* an account record's, on put */
	/* who learns the outcome besides the client: the exchange call */
	void		(*done)(struct vaultd *, int code, const char *text,
			    const char *key_id);
	uint64_t	 generation;
	uint64_t	 ops, mem;	/* the Argon2id cost of the file it
					   unlocks or writes */
	uint8_t		 recs_sum[32];	/* ... and vault_recs_sum of it */
	int		 write_err;
	int		 rollback;	/* unlock refused: locking signerd */
	int		 deny;		/* its outcome is audited "deny" */
	char		 info[VAULT_MAX_INFO + 1];
	char		 actor[AUDIT_MAX_NAME + 1];	/* "": vaultd's own */
	/* a rotation's journal entry: its step's record, once written */
	const char	*step_op;	/* "rotate.create"; NULL: none */
	char		 step_key[65];
	char		 step_path[AUDIT_MAX_PATH + 1];
};

/* The header list of a signature, pointing into signerd's answer. */
#define SIGN_HDRS_MAX	16
/* A bearer token request's body, sealed by signerd to netd's key */
#define SIGN_BOX_MAX	4096
struct sign_hdrs {
	uint32_t	 n;
	struct {
		const char	*name;
		size_t		 nlen;
		const char	*value;
		size_t		 vlen;
	}		 h[SIGN_HDRS_MAX];
	/* SIGN_F_ORDERS: the body signerd made; else NULL, 0 */
	const uint8_t	*body;
	size_t		 bodylen;
};

/*
 * Who asked for a signature, and what to call with the outcome: code 0
 * with the headers, or a refusal (code, text, hdrs NULL).  The feature
 * that asked answers its own peer; the signing path knows none of them.
 * It returns 1 if the signature (code 0) went to the asker, 0 if it was
 * withheld (the asker gone, its call over): audited as "withheld".
 */
struct sign_origin;
struct sign_args;
typedef int sign_done_fn(struct vaultd *, const struct sign_origin *,
    int code, const char *text, const struct sign_hdrs *);
struct sign_origin {
	sign_done_fn	*done;
	uint64_t	 peer;		/* client serial, or netd's pid */
	uint32_t	 id;		/* the asker's request id */
	const char	*actor;		/* for the audit record */
	/* who the policy sees: an operator by uid, or a gateway client */
	enum policy_actor who;
	uint32_t	 uid;
	const char	*client;	/* POLICY_ACTOR_CLIENT: its name */
	uint64_t	 tag;		/* the asker's (a call: its step) */
	int		 approved;	/* its approvers granted it: the
					   limits against a flood pass it,
					   and it is not asked again */
	/* for done: the request's verdict record, as a withheld
	 * signature's names it (vaultd_audit_withheld) */
	const struct sign_seen *seen;
};
/*
 * An account's routing facts: code 0 with signerd's JSON, or a refusal.
 * cookie: the asker's, given back.
 */
typedef void account_done_fn(struct vaultd *, uint64_t cookie, int code,
    const char *text, size_t len);
/*
 * A gateway client's credentials checked: code 0 with its name and
 * account; its credentials passed but its account cannot sign: the
 * account's refusal (code, text) with its name and account; or a
 * refusal (code, text), name and account empty.
 */
typedef void client_done_fn(struct vaultd *, uint64_t cookie, int code,
    const char *text, const char *name, const char *account);

/*
 * A request to signerd that reads the committed vault and may overlap
 * with others and with a vault operation: a signature, or an account's
 * routing facts.  Its answer goes to the callback of the one who asked.
 */
#define VAULTD_SIGN_MAX		256
#define VAULTD_SIGN_SLOTS	(VAULTD_SIGN_MAX + VAULTD_PENDING_MAX)
					/* the rest: granted requests' */
#define VAULTD_HELD_MAX		(20 << 20)	/* bytes of requests waiting
						   for signerd: 256 of the
						   largest; twice that (a
						   queue half sent) stays
						   under MSG_MAX_QUEUE */
#define VAULTD_DEFER_MAX	4096	/* records waiting for a checkpoint */
#define VAULTD_CHILD_SNDBUF	(4 << 20)	/* SO_SNDBUF toward a child */
/*
 * What a signing verdict's record said of the request it admitted, as
 * formatted there: signerd's refusal of it is recorded with the same.
 */
struct sign_seen {
	char		 method[AUDIT_MAX_METHOD + 1];
	char		 path[AUDIT_MAX_PATH + 1];
	char		 digest[AUDIT_HEX_HASH + 1];
	char		 rule[AUDIT_MAX_NAME + 1];	/* the key id field */
};

struct sign_slot {
	/* taken and the request id: vd->sign_busy, vd->sign_ids */
	uint32_t	 sent;		/* MSG_SIGN_REQ, MSG_VAULT_ACCOUNT_REQ,
					    MSG_CLIENT_CHECK_REQ */
	struct sign_origin origin;	/* MSG_SIGN_REQ */
	uint64_t	 level, flags;	/* MSG_SIGN_REQ: what it signs */
	account_done_fn	*account_done;	/* MSG_VAULT_ACCOUNT_REQ */
	client_done_fn	*client_done;	/* MSG_CLIENT_CHECK_REQ */
	uint64_t	 cookie;		/* theirs */
	char		 account[65];
	struct policy_resv resv;	/* budgets, given back if unsigned */
	uint64_t	 resv_gen;	/* of the budget state they are in */
	uint64_t	 gen;		/* MSG_VAULT_ACCOUNT_REQ: the vault's */
	int		 cached;	/* ... answered from vd->acache */
	struct sign_seen seen;		/* MSG_SIGN_REQ: its verdict's record */
	int64_t		 sent_ms;	/* handed to signerd (loop clock);
					   0: waiting in vaultd */
};

/*
 * Accounts' records as signerd last gave them (MSG_VAULT_ACCOUNT_ANS),
 * each for the vault generation it was read at: an exchange call or a
 * gateway request of the same generation is answered from here, at the
 * end of the loop turn, instead of signerd opening the record again.
 * Wiped when the vault locks and when signerd stops.
 */
#define VAULTD_ACACHE		16
#define VAULTD_ACACHE_JSON	4096	/* MSG_VAULT_ACCOUNT_ANS's bound */
struct acct_cache {
	int		 used;
	uint64_t	 gen;
	char		 account[65];
	char		 json[VAULTD_ACACHE_JSON + 1];
	size_t		 len;
};

/*
 * The policy in force (vaultd_policy.c): parsed from the vault's record
 * at unlock, replaced by `vaultctl policy apply` once the new record is
 * on disk.  While the vault's record does not parse (a newer vaultd
 * wrote it), pol is the empty policy, which denies everything, and
 * trouble says why.
 */
#define VAULTD_PROFILES_MAX	1024
struct vd_policy {
	struct policy		*pol;
	struct policy_state	*st;
	int			 restored;	/* budgets put back once */
	char			 budget_why[300];	/* why they are held */
	uint64_t		 gen;		/* +1 with every new state */
	uint64_t		 version;
	uint8_t			 digest[POLICY_DIGEST_LEN];
	char			*text;
	size_t			 len;
	char			 trouble[400];
	/* an apply waiting for its vault write */
	struct policy		*next;
	char			*next_text;
	size_t			 next_len;
	uint64_t		 apply_client;
	uint32_t		 apply_id;
	char			 apply_actor[AUDIT_MAX_NAME + 1];
	/* each account's profile, for the profile predicate */
	size_t			 nprofiles;
	struct {
		char	 account[65];
		char	 profile[16];
	}			 profiles[VAULTD_PROFILES_MAX];
};

/*
 * A signing request held for approval (vaultd_approve.c): the request
 * itself (path and body copied), who waits for it, and the grants so far.
 */
#define VAULTD_PENDING_MAX	32
/* held for one gateway client: the others, and the operators, keep room */
#define VAULTD_PENDING_CLIENT_MAX	8
#define VAULTD_DECODED_MAX	800	/* an order's fields, as text */
struct vd_pending {
	int			 used;
	uint64_t		 id;		/* random: names it to approvers */
	int64_t			 since_ms, deadline_ms;	/* monotonic */
	uint64_t		 version;	/* of the policy that held it */
	struct sign_origin	 origin;
	char			 actor[80];	/* who, for the list */
	char			 client[65];	/* origin.client points here */
	char			 account[65];
	struct sign_args_copy {
		uint64_t	 level;
		char		 method[8];
		char		*path;
		size_t		 pathlen;
		uint8_t		*body;
		size_t		 bodylen;
		uint64_t	 nonce;
		uint64_t	 flags;
		char		 key_id[65];
	}			 a;
	struct policy_verdict	 v;
	uint8_t			 digest[32];
	uint8_t			 granted[8];
	char			 origin_actor[AUDIT_MAX_NAME + 1];
	/* what the policy judged of the body: "order side BUY ..." */
	char			 decoded[VAULTD_DECODED_MAX];
};

/*
 * The gateway (vaultd_gw.c): the listening sockets netd serves, the bot
 * requests netd brought that wait on signerd, each account's routing
 * facts, the replay window, and the counters /metrics shows.
 */
#define GW_FDS_MAX		(1 + VAULTD_GATEWAYS)
#define GW_FD_FIRST		(CHILD_LOG_FD + 1)	/* netd's: -G FD */
#define GW_REQS_MAX		256	/* requests waiting in vaultd */
#define GW_PASS_SIZE		257	/* a request's client passphrase, its
					   NUL too (MSG_GW_REQ's bound) */
#define GW_ACCTS_MAX		16	/* accounts' routing facts kept */
#define GW_REPLAY_MIN		1024	/* the replay table's first size */
#define GW_REPLAY_MAX		(1 << 20)	/* its largest size: slots, half
					   of them live at most */
#define GW_REPLAY_CLIENT	(GW_REPLAY_MAX / 16)	/* ... one client's */
#define GW_REPLAY_TAGS		1024	/* clients with signatures in the
					   window, each its own count */
#define GW_REPLAY_LIGHT		64	/* a client holding 1/64 of the
					   shared part or more takes none
					   past half of it */
#define GW_REPLAY_OFF		0xffff	/* an expired entry, counted off */
#define GW_REPLAY_STRAY		0xfffe	/* one live again (the wall clock
					   went back): held, no client's */
#define GW_REPLAY_SWEEP		4	/* slots looked over a request */
#define GW_REPLAY_SWEEP_MORE	16384	/* ... before a refusal for room */
#define GW_PARK_MS		3000	/* a request waits out a busy vault */
#define GW_RULES_MAX		128	/* verdict counters by rule */
#define GW_AUTHFAIL_KEYS	16	/* key ids with their own
					   credential-failure records, any
					   (a client's or not) */
#define GW_AUTHFAIL_ID_MAX	40	/* bytes of a key id a record names */
#define GW_AUTHFAIL_MS		1000	/* at most one record in this */
struct gw_req;
struct gw_acct {
	int		 used;
	uint64_t	 gen;		/* the vault generation read */
	char		 account[65];
	char		 profile[16];
	char		 url[513];
	char		 pin[1025];
	uint8_t		*ca;
	size_t		 calen;
	int		 orders;	/* order version: 1, 2 */
	int		 builder;	/* it holds a builder key */
};
struct gw_replay {
	uint8_t		 key[14];	/* BLAKE2b of key, signature, time */
	uint16_t	 tag;		/* its client's, GW_REPLAY_OFF */
	int64_t		 until_ms;	/* wall clock: then it is stale */
};
/* A client with signatures in the window: its tag is its place. */
struct gw_rclient {
	uint64_t	 hash;		/* gw_real_hash of its key id, 0 none */
	uint32_t	 count;		/* its entries not counted off */
};
/* Credential failures of one client key id, recorded at most once in
 * GW_AUTHFAIL_MS; the rest counted into the next record. */
struct gw_authfail {
	int		 used;
	char		 key[65];	/* as the request named it; "" others */
	int64_t		 last_ms;	/* monotonic: its last record */
	uint64_t	 suppressed;	/* failures since, not recorded */
};
struct vd_gw {
	int		 fds[GW_FDS_MAX];
	size_t		 nfds;
	char		 sockpath[PATH_MAX];	/* run/gateway.sock */
	char		 addrpath[PATH_MAX];	/* run/gateway.addr */
	struct gw_req	*reqs[GW_REQS_MAX];
	size_t		 nreqs;
	/*
	 * The client passphrases of the requests, until signerd has
	 * checked them: a slot of GW_PASS_SIZE each in one guarded,
	 * locked region (one request more than reqs holds, the one
	 * refused for room), the free slots' numbers a stack.
	 */
	struct secret	 passes;
	uint16_t	 pass_free[GW_REQS_MAX + 1];
	size_t		 npass_free;
	/* the highest MSG_GW_REQ id of the netd of top_pid: a MSG_GW_GONE
	 * above it names a request that netd never sent */
	uint32_t	 top;
	pid_t		 top_pid;
	struct gw_acct	 accts[GW_ACCTS_MAX];
	struct gw_replay *replay;		/* replay_cap entries, or NULL */
	size_t		 replay_cap;		/* a power of two */
	size_t		 replay_used;		/* slots ever filled since the
						    last rebuild */
	size_t		 replay_held;		/* entries not counted off:
						    the live ones and more */
	size_t		 replay_shared;		/* of them, the clients' past
						    their reserve (each
						    client's count past
						    gw_replay_reserve) */
	int64_t		 replay_window;		/* s: the skew the table's
						    entries last took, 0: none */
	int64_t		 replay_floor;		/* s: a signed time at or below
						    it may have been seen and
						    forgotten: refused */
	struct gw_rclient replay_clients[GW_REPLAY_TAGS];
	size_t		 replay_client;		/* a client's most (-R, -T) */
	size_t		 replay_tags;		/* -Q, -T: so many clients,
						    their hashes colliding */
	size_t		 replay_sweep;		/* the slot the sweep is at */
	size_t		 replay_most;		/* -M, -T: the table's largest
						    size, instead of
						    GW_REPLAY_MAX */
	uint64_t	 replay_scans;		/* passes over every slot of
						    the table, for /metrics */
	/*
	 * The last GW_REQS_MAX signatures sent to netd, until a
	 * MSG_GW_GONE that crossed one's answer says netd dropped it
	 * (gw_handed_gone): every answer netd has not read yet is among
	 * them, netd having no more requests than that waiting on vaultd.
	 * Those a netd that died was not seen to read are put on the log
	 * as such (gw_handed_unknown).
	 */
	struct gw_handed {
		pid_t		 pid;		/* of that netd; 0: none */
		uint32_t	 id;		/* its MSG_GW_REQ's */
		uint32_t	 before;	/* netd's next_id when sent: a
						   status query past it
						   answered, netd read it */
		char		 account[65];
		struct sign_seen seen;
	}		 handed[GW_REQS_MAX];
	size_t		 handed_next;
	int		 probe_gone_late;	/* -T probe gone-late */
	uint32_t	 gone_late;		/* a MSG_GW_GONE it holds */
	/* counters, for /metrics */
	uint64_t	 requests, refused_auth, refused_replay;
	uint64_t	 refused_account;	/* its account cannot sign */
	uint64_t	 signatures[4];		/* L1, L2, builder, orders */
	uint64_t	 withheld;		/* made, not handed over */
	uint64_t	 dropped;		/* handed over, and netd says
						   it dropped them unread */
	uint64_t	 unknown;		/* handed to a netd that died
						   before it was seen to read
						   them */
	size_t		 nrules;
	struct {
		char	 id[POLICY_ID_MAX];
		uint64_t n[3];			/* allow, deny, approve */
	}		 rules[GW_RULES_MAX];
	uint64_t	 rules_other[3];
	/* the last: every key id the others have no room for */
	struct gw_authfail authfail[GW_AUTHFAIL_KEYS + 1];
	/* the key of gw_real_hash (replay_clients) */
	uint8_t		 real_key[16];
	int		 real_keyed;
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
	uid_t		 uid;		/* of the client: the policy's operator */
	uint32_t	 net_id;	/* of MSG_NET_CALL_REQ */
	pid_t		 net_pid;	/* the netd it was given to */
	int64_t		 deadline_ms;
	char		 account[65];
	const struct netcall *nc;	/* the call, by its row */
	struct netcall_params params;
	/* What netd was given signatures for in this call. */
	size_t		 step;		/* the step it is at */
	unsigned	 signed_steps;	/* bit k: step k was signed */
	unsigned	 nsigned;
	unsigned	 nminted;	/* bearer tokens (NETCALL_MINT_MAX) */
	int		 invite_signed;	/* an L1 create carried the code */
	char		 api_key_used[65];	/* the L2 key of the signatures */
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
	char		 actor[AUDIT_MAX_NAME + 1];	/* the client's */
	/* an Omnia create's permissions: the policy's key fields */
	char		 perms[NETCALL_PERMS_MAX][NETCALL_PERM_MAX + 1];
	struct policy_field perm_fields[NETCALL_PERMS_MAX];
};

/*
 * The audit syncer (vaultd_sync.c): a thread that fdatasyncs the log
 * while the loop goes on.  job, fd and err are shared under mu; the
 * rest is the loop's.
 */
struct vd_syncer {
	pthread_t	 t;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 job;		/* a sync is asked (shared) */
	int		 fd;		/* of the journal (shared) */
	int		 logfd;		/* of audit.log, or -1 (shared) */
	int		 err;		/* errno of the last one (shared) */
	int		 errlog;	/* ... of audit.log's sync (shared) */
	int		 slow;		/* -T probe sync-slow: the next one
					   waits VAULTD_SYNC_SLOW_MS first
					   (shared) */
	int		 pipe[2];	/* a byte when one is done */
	int		 on, busy, ended;
};

/*
 * The audit scanner (vaultd_scan.c): a thread that reads the whole log
 * for audit verify and a filtered audit show.  A scan is given as a job:
 * run is called in the thread and may touch nothing of vaultd but the
 * job; done is called in the loop once run returned, answers the client
 * and frees the job.  job is shared under mu; the rest is the loop's.
 */
struct vd_scan_job {
	int	(*run)(struct vd_scan_job *);
	void	(*done)(struct vaultd *, struct vd_scan_job *);
	uint64_t	 serial;	/* the client to answer */
	uint32_t	 id;
	int		 r;		/* what run returned (shared) */
};
struct vd_scanner {
	pthread_t		 t;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct vd_scan_job	*job;		/* given, not yet taken (shared) */
	struct vd_scan_job	*running;	/* given, not yet done */
	int			 pipe[2];	/* a byte when one is done */
	int			 on;
};

/*
 * The audit journal, audit.wal (vaultd_wal.c): offsets are audit.log's
 * bytes unless they say otherwise.
 */
struct vd_wal {
	char		 path[PATH_MAX];
	int		 fd;
	uint64_t	 conf;		/* its size asked (-J, tests), or 0 */
	uint64_t	 size;		/* of the file */
	uint32_t	 epoch;		/* of this start's frames */
	int		 half;		/* the half written now (0, 1) */
	uint64_t	 off;		/* in the journal: the next frame */
	uint64_t	 need[2];	/* on disk before the half is reused */
	uint64_t	 logsize;	/* audit.log's size */
	uint64_t	 durable;	/* audit.log known on disk up to here */
	uint64_t	 syncing;	/* a sync of it to here under way, or 0 */
};

struct vaultd {
	char		 home[PATH_MAX];
	char		 sockpath[PATH_MAX];
	char		 emptydir[PATH_MAX];
	const char	*user;
	int		 verbose;
	int		 testmode;
	int		 probe_busy;		/* -T probes busy (1: as too many
						   records wait for a checkpoint)
						   and busy-all (2: as the vault
						   being locked); 0: busy-off */
	int		 probe_lost_sync;	/* -T probe lost-sync-fail: the
						   .lost copy's sync fails */
	int		 probe_account_raw;	/* -T probe account-raw: the next
						   account update goes to signerd
						   unchecked by vaultd */
	char		 net_timeout[8];	/* -t, test mode: netd's */
	char		 gw_wait[8];		/* -V, test mode: netd's wait
						   for a gateway answer */
	char		 sign_workers[4];	/* -W: signerd's threads */
	int		 cpu_latency;		/* us to hold; -1: none */
	int		 cpu_latency_fd;	/* held while open */
	int64_t		 call_deadline_ms;	/* -D, test mode */
	int64_t		 idle_ms;		/* -I, test mode */
	int64_t		 answer_ms;		/* -X, test mode */
	uint64_t	 kdf_unit;		/* -K, test mode */
	char		 netd_path[PATH_MAX];	/* -N, test mode: a stand-in */
	int		 stopping;
	int64_t		 started_ms;
	int64_t		 now_ms;	/* the loop's clock: at the turn's
					   start, again when poll returns */
	int64_t		 op_answered_ms; /* signerd's last answer to a
					   vault operation */
	int		 listen_fd;
	int		 sig_fd;
	struct child	 children[CHILD_NUM];
	struct client	 clients[VAULTD_MAX_CLIENTS];
	uint64_t	 next_serial;

	/* The vault: ciphertext on disk, keys in signerd. */
	char		 vaultpath[PATH_MAX];
	char		 auditpath[PATH_MAX];
	const char	*unlock_file;	/* -p or -k: unlock unattended */
	char		 unlock_abs[PATH_MAX];	/* ... made absolute */
	int		 unlock_keyfile;
	int		 unlocked;
	uint64_t	 generation;
	/*
	 * The Argon2id cost of the vault signerd holds, from the file it
	 * unlocked (the wrapped key's associated data covers it) or the
	 * one last written: never from the file on disk, which may have
	 * been edited since.
	 */
	uint64_t	 kdf_ops, kdf_mem;
	uint8_t		 recs_sum[32];	/* its records, vault_recs_sum */
	uint8_t		 audit_pk[32];
	int		 have_audit_pk;
	unsigned	 bad_unlocks;
	int64_t		 unlock_after_ms;
	struct vault_op	 op;
	uint8_t		 box_pk[32];	/* signerd's, for netd's sealed boxes */

	/* Signing: overlapping requests, verdicts group-committed. */
	struct sign_slot signs[VAULTD_SIGN_SLOTS];
	/*
	 * Beside the slots, small enough to scan for every request and
	 * every answer: which are taken, and each one's request id (to
	 * signerd; 0 before it is asked).
	 */
	uint8_t		 sign_busy[VAULTD_SIGN_SLOTS];
	uint32_t	 sign_ids[VAULTD_SIGN_SLOTS];
	size_t		 nsigns;
	size_t		 ncached;	/* slots answered at the turn's end */
	struct acct_cache acache[VAULTD_ACACHE];
	size_t		 acache_next;	/* the next one to replace */
	struct msgbuf	 held;		/* frames for signerd: records written
					   at the turn's end, not yet synced */
	struct msgbuf	 syncing;	/* frames whose records the syncer is
					   syncing now */
	struct msgbuf	 held_ckpt;	/* frames admitted while a checkpoint
					   is signed: their records follow it */
	size_t		 held_last;	/* bytes of the last group synced */
	/* frames in held, syncing, held_ckpt: not yet signerd's to answer */
	size_t		 held_n, syncing_n, ckpt_n;
	int64_t		 trim_at;	/* memory back to the kernel, or 0 */
	struct vd_call	 call;
	struct vd_policy policy;
	struct vd_pending pending[VAULTD_PENDING_MAX];
	size_t		 npending;

	/* The audit log: vaultd appends, signerd signs checkpoints. */
	int		 audit_fd;
	dev_t		 audit_dev;	/* audit_fd's file: still at auditpath? */
	ino_t		 audit_ino;
	struct vd_wal	 wal;
	struct audit_chain chain;
	int		 checkpoint_due;
	int		 audit_dirty;		/* not yet fdatasync'd */
	struct msgbuf	 audit_pend;		/* this turn's signing records */
	uint64_t	 audit_unsigned;	/* records since the checkpoint */
	int64_t		 audit_first_ms;	/* when the first of them came */
	struct audit_rec ckpt;		/* the checkpoint being signed */
	int		 ckpt_pending;		/* ckpt sent, not yet appended */
	int		 budget_new;		/* budgets.new is its budgets */
	uint8_t		 budget_hash[32];	/* budgets.new's BLAKE2b-256 */
	struct budget_job *budget_job;		/* its copy, its thread */
	struct audit_rec *deferred;		/* verdict records meanwhile */
	size_t		 ndeferred, deferred_cap;
	uint64_t	 audit_wseq;		/* batches written so far */
	uint64_t	 sync_wseq;		/* ... when the sync began */
	struct vd_syncer syncer;
	struct vd_scanner scanner;
	int		 audit_relaxed;		/* vaultctl audit mode relaxed */
	int64_t		 audit_group_ms;	/* its sync period */
	int64_t		 relaxed_due;		/* when the next group syncs */
	uint64_t	 audit_seg_max;		/* rotate past this (-S, -T) */
	int		 budget_inline_set;	/* -B, -T: ... */
	uint64_t	 budget_inline;		/* counters written on the loop */
	uint64_t	 audit_nseg;		/* segments audit.log.N so far */
	int		 audit_intent;		/* an intent awaits its outcome */
	uint64_t	 audit_intent_gen;
	struct audit_anchor unlock_anchor;	/* of the file being unlocked */
	uint64_t	 unlock_file_gen;
	int		 have_unlock_anchor;
	struct audit_anchor last_ckpt;		/* the log's latest, if known */

	/* Operations (vaultd.c, vaultd_conf.c; vaultd.conf(5)). */
	char		 logpath[PATH_MAX];	/* "": standard error */
	int		 have_sock_gid;		/* -g, socket-group */
	gid_t		 sock_gid;
	int		 start_locked;		/* -L */
	int		 unattended;		/* a credential to unlock with */
	int		 unattended_done;	/* its first unlock ended */
	int		 unattended_failed;	/* its last unlock failed */
	int		 ready;			/* told the waiting parent */
	int		 ready_fd;		/* to it; -1: nobody waits */
	int		 exit_code;		/* a failed start's */
	char		 start_error[256];
	size_t		 ngateways;		/* loopback addresses to serve */
	char		 gateways[VAULTD_GATEWAYS][VAULTD_GATEWAY_LEN];
	struct vd_gw	 gw;
};

int64_t	 vaultd_now_ms(void);
/* Wall-clock milliseconds (vaultd_policy.c): budget windows are UTC. */
int64_t	 vaultd_wall_ms(void);
/* -T probes clock-ahead and clock-back: vaultd_wall_ms reads ms later. */
void	 vaultd_wall_step(int64_t ms);

/* vaultd.c: what the features hear of the children. */
void	 vaultd_child_up(struct vaultd *, enum child_id);
void	 vaultd_child_lost(struct vaultd *, enum child_id);
/*
 * vaultd.c: an unlock vaultd made by itself (-p, -k, the systemd
 * credential) ended with code (0: unlocked) and why.  The first one
 * decides the start: ready, or (without -L) vaultd stops with exit 6 for
 * a wrong credential, 7 for a rollback, 1 for anything else.
 */
void	 vaultd_unattended_done(struct vaultd *, int code, const char *why);
/*
 * Tell systemd a state: one datagram to $NOTIFY_SOCKET, if vaultd was
 * started with one, of fixed ("READY=1\nSTATUS=", "STOPPING=1") and
 * then fmt's text (NULL: none), whose control bytes become '?'.
 */
void	 vaultd_notify(const char *fixed, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * vaultd_conf.c, conf.y: the configuration file, vaultd.conf(5).  One
 * "key value" a line; conf_parse records every error with its line and
 * column (line 0: about the file as a whole) and goes on to the next
 * line.  Values are checked as they are set (conf_set); that users and
 * groups exist, and the home, is checked by the caller.
 */
#ifndef CLOBVAULT_SYSCONFDIR
#define CLOBVAULT_SYSCONFDIR	"/etc"
#endif
#define VAULTD_CONF_DEFAULT	CLOBVAULT_SYSCONFDIR "/clobvault/vaultd.conf"
#define VAULTD_CONF_MAX		65536	/* bytes of a configuration file */
#define VAULTD_CONF_VALUE	4096	/* bytes of one value */
#define VAULTD_CONF_ERRS	20	/* errors kept; then "and more" */
#define VAULTD_NAME_MAX		32	/* a user or group name */
#define VAULTD_SEG_MIN		(64ULL << 10)	/* audit-segment-size */
#define VAULTD_SEG_MAX		(1ULL << 40)
#define VAULTD_CPU_LATENCY_MAX	1000000		/* cpu-latency, us */
#define VAULTD_CPU_LATENCY_DEV	"/dev/cpu_dma_latency"
/* The control socket's path must fit sockaddr_un: the home's bound. */
#define VAULTD_HOME_MAX		(108 - sizeof("/" HOME_CONTROL_SOCK))
enum conf_key {
	CONF_HOME,
	CONF_USER,
	CONF_SOCKET_GROUP,
	CONF_LOG_LEVEL,
	CONF_LOG_FILE,
	CONF_AUDIT_SEGMENT_SIZE,
	CONF_GATEWAY,
	CONF_LOG_MAX_SIZE,
	CONF_CPU_LATENCY,
	CONF_NKEYS
};
struct vaultd_conf {
	char		 path[PATH_MAX];	/* the file; "" if none */
	char		 home[PATH_MAX];	/* "": not set */
	char		 user[VAULTD_NAME_MAX + 1];
	char		 group[VAULTD_NAME_MAX + 1];
	char		 log_file[PATH_MAX];
	int		 debug;			/* log-level debug */
	uint64_t	 seg_size;		/* 0: not set */
	uint64_t	 log_max;		/* log-max-size; 0: no limit */
	int		 cpu_latency;		/* us, if line_of says set */
	size_t		 ngateways;
	char		 gateways[VAULTD_GATEWAYS][VAULTD_GATEWAY_LEN];
	int		 line_of[CONF_NKEYS];	/* where each was set */
	size_t		 nerrs;
	int		 more;			/* errors past the ones kept */
	struct {
		int	 line, col;
		char	 msg[200];
	}		 errs[VAULTD_CONF_ERRS];
};
/* NULL if v is a gateway address vaultd serves (127.0.0.1:PORT,
 * [::1]:PORT; port 0: any), else why not. */
const char *conf_gateway_bad(const char *v);
/* cpu-latency's value: microseconds, 0 to VAULTD_CPU_LATENCY_MAX in
 * decimal digits; -1 if v is anything else. */
int	 conf_cpu_latency(const char *v);
/* The key's name in the file ("socket-group"). */
const char *conf_key_name(enum conf_key);
/*
 * Read and parse path into c (zeroed first).  The file must be a
 * regular file of at most VAULTD_CONF_MAX bytes, root's or ours,
 * writable by no one else.  0, CV_ERR_INVALID (errors in c), or the
 * error of reading it (also in c, at line 0).
 */
int	 conf_load(const char *path, struct vaultd_conf *c) CV_WUR;
/* Parse text (conf.y); 0 or CV_ERR_INVALID with c->errs filled. */
int	 conf_parse(const char *text, size_t len, struct vaultd_conf *c)
	    CV_WUR;
/* The grammar's actions: set key from value, or record why not. */
void	 conf_set(struct vaultd_conf *, enum conf_key, int kline, int kcol,
	    const char *value, int vline, int vcol);
/* Record an error at line:col (printf format). */
void	 conf_error(struct vaultd_conf *, int line, int col, const char *fmt,
	    ...) __attribute__((format(printf, 4, 5)));
/* Print c's errors as "FILE:LINE:COL: text" lines to f. */
void	 conf_print_errors(const struct vaultd_conf *c, FILE *f);
/* What the checks before a start found: every one is reported. */
#define VAULTD_PROBLEMS		8
struct conf_problems {
	size_t	 n;
	char	 msg[VAULTD_PROBLEMS][400];
};
#define VAULTD_USER		"clobvault"	/* the children's, if it exists */
/*
 * Settle vd's settings: the command line's (already in vd, and group
 * and logfile), else c's, else the defaults; then check what they name,
 * changing nothing on disk (the home is made by conf_home_check).
 * *shared: the children would run as the shared nobody.
 */
void	 conf_settle(struct vaultd *vd, const struct vaultd_conf *c,
	    const char *group, const char *logfile, int foreground, int check,
	    struct conf_problems *pb, int *shared);
/*
 * path as an absolute path into buf: as it is, or from the working
 * directory, the directory it names resolved (realpath) and its last
 * name kept as it is (it need not exist yet; a link there stays a link,
 * for the checks to see).  vaultd works from / once started; a path it
 * keeps (the home, -p, -k) is made absolute first.  0, CV_ERR_TOOLONG,
 * or CV_ERR_IO with errno (the directory cannot be resolved).
 */
int	 conf_abspath(const char *path, char *buf, size_t len) CV_WUR;
/*
 * Check the home and its run/ directory: ours, a directory, closed to
 * others; with a socket group (gid non-NULL) its members may pass
 * through (0710, that group), without one 0700.  how: 0 to check only;
 * CONF_HOME_MAKE also creates them (0700) if missing; CONF_HOME_GIVE
 * also gives them to the socket group.  0, or CV_ERR_PERM / CV_ERR_IO /
 * CV_ERR_NOTFOUND (missing, without CONF_HOME_MAKE) with why.
 */
#define CONF_HOME_MAKE	0x1
#define CONF_HOME_GIVE	0x2
int	 conf_home_check(const char *home, const gid_t *gid, int how,
	    char *why, size_t whylen) CV_WUR;
/*
 * The log file at path (-l, log-file, the home's vaultd.log), as found:
 * 0 if missing (vaultd creates it 0600) or a regular file of vaultd's
 * user closed to others but its group, which
 * may read it (0640 at most); else CV_ERR_PERM with why, saying how to fix
 * it (a symbolic or hard link, another owner, a mode open to others).
 * vaultd_log_bad_st checks an open file's stat the same way.
 */
struct stat;
int	 vaultd_log_bad(const char *path, char *why, size_t whylen) CV_WUR;
int	 vaultd_log_bad_st(const struct stat *st, const char *path, char *why,
	    size_t whylen) CV_WUR;

/* vaultd_child.c */
void	 child_setup(struct vaultd *, struct child *, enum child_id,
	    const char *exedir);
int	 child_start(struct vaultd *, struct child *) CV_WUR;
void	 child_sndbuf(int fd);		/* room toward a child's socket */
void	 child_kill(struct child *, const char *why);
/* A read or write on the child's channel failed (errno): killed; a
 * crash if the child's end was closed (EPIPE, ECONNRESET), else counted
 * as vaultd's failure. */
void	 child_io_failed(struct child *, const char *why);
/*
 * A child that owes an answer past its bound: audited peer_stalled,
 * what went unanswered as the key id, then killed (child_kill).
 */
void	 child_stalled(struct vaultd *, struct child *, const char *what,
	    const char *why);
void	 child_reaped(struct vaultd *, pid_t, int status);
void	 child_readable(struct vaultd *, struct child *);
void	 child_timers(struct vaultd *, struct child *, int64_t now);
int64_t	 child_next_timer(const struct child *);
struct child *child_by_name(struct vaultd *, const char *);
int	 child_send_probe(struct child *, const char *kind) CV_WUR;
uint32_t child_new_id(struct child *);
int	 child_send(struct child *, struct msg_w *) CV_WUR;
/*
 * Queue w for the child without writing it: the loop writes what each
 * child's channel holds once a turn, before it polls (children_flush),
 * so that the frames of a burst go in one write and wake the child
 * once.  For the gateway's many small frames; 0 or chan_queue's error.
 */
int	 child_queue(struct child *, struct msg_w *) CV_WUR;
/* Write what each live child's channel holds; a failed write kills it. */
void	 children_flush(struct vaultd *);
/* 1 if the child is up, shook hands and shows its seccomp filter. */
int	 child_ready(const struct child *);
/*
 * A sandbox layer the child would have and runs without (vaultd not
 * root, no CAP_SYS_ADMIN, no Landlock in the kernel, a program its user
 * can read), and why: static text.  Fills at most CHILD_GAPS_MAX from its last status answer (none
 * before one) and returns how many; vaultctl status shows them.
 */
#define CHILD_GAPS_MAX	6
struct child_gap {
	const char	*layer;		/* "chroot", "Landlock", ... */
	const char	*why;
};
size_t	 child_sandbox_gaps(const struct child *,
	    struct child_gap gaps[CHILD_GAPS_MAX]);

/*
 * The permission tables (vaultd_child.c, vaultd_control.c): what a peer
 * may send, in which of its states, and who handles it.  A message not
 * in the peer's table, or sent in another state, is a broken peer.
 */
#define PS_HELLO	0x01	/* handshake not done */
#define PS_UP		0x02	/* handshake done */
#define PS_STATUS	0x04	/* child: a status query outstanding */
#define PS_PROBE	0x08	/* child: a test probe outstanding */
#define PS_WORK		0x10	/* signerd: a request of ours in flight */
#define PS_CALL		0x20	/* netd: an exchange call at netd */
struct child_perm {
	uint32_t	 type;
	unsigned	 need;		/* every bit set in the peer's state */
	int		(*handle)(struct vaultd *, struct child *,
			    struct msg *);
};
/* The state bits of ch now. */
unsigned	 child_state_bits(const struct vaultd *, const struct child *);
/*
 * ... for a message with request id id: a test probe waits for the
 * answer of its own id only, so another (a refusal of a vault operation
 * or of a call) goes to what it answers.
 */
unsigned	 child_msg_bits(const struct vaultd *, const struct child *,
		    uint32_t id);
/* The row of ch's table that admits type in state, or NULL. */
const struct child_perm *child_perm_find(enum child_id, uint32_t type,
	    unsigned state);

/*
 * vaultd_childlog.c: what a child logs, through a pipe of its own.  Each
 * line is written to vaultd's log as "TIME NAME[PID]: text" with the
 * name and pid vaultd knows, bytes other than printable ASCII as \xHH
 * (so a child cannot start a line of its own or move a terminal's
 * cursor), cut at VAULTD_CHILDLOG_LINE bytes, at most
 * VAULTD_CHILDLOG_RATE lines a second after a burst of
 * VAULTD_CHILDLOG_BURST; lines over that are dropped and counted, and
 * the count is logged at most every VAULTD_CHILDLOG_REPORT_MS, and when
 * the pipe closes.
 */
/* Start reading fd, the read end of ch's new pipe (non-blocking). */
void	 childlog_open(struct child *ch, int fd);
/* The pipe is readable: log what came, a bounded amount per call. */
void	 childlog_readable(struct child *ch);
/* Report dropped lines if one is due (called as the child answers). */
void	 childlog_tick(struct child *ch);
/* ch is gone: log the rest, report what was dropped, close the pipe. */
void	 childlog_close(struct child *ch);

/* vaultd_control.c */
int	 control_listen(struct vaultd *) CV_WUR;
/*
 * A listening Unix socket at path (which must not exist): mode 0600, or
 * 0660 and the socket group's when vaultd has one; its fd in *fdp.  0, or
 * CV_ERR_TOOLONG / CV_ERR_PERM / CV_ERR_IO, logged, nothing left behind.
 */
int	 vaultd_unix_listen(struct vaultd *, const char *path, int backlog,
	    int *fdp) CV_WUR;
void	 control_accept(struct vaultd *);
/* Handle a client's frames: what it sent before, then what it sends. */
void	 control_readable(struct vaultd *, struct client *);
/* 1 if a client has whole frames read and not handled: the next turn. */
int	 control_waiting(const struct client *);
/*
 * 1 while a client has more than VAULTD_CLIENT_QUEUE bytes of answers it
 * has not read: its requests wait, neither read nor handled, until it
 * reads (the loop polls it for POLLOUT only).
 */
int	 control_paused(const struct client *);
void	 control_close(struct client *);
void	 control_shutdown(struct vaultd *);
/* Write what is queued for every client (once per loop turn). */
void	 control_flush_all(struct vaultd *);
/*
 * Write what is queued for cl, noting when any of it went (out_ms); a
 * client that fails is closed.  0, or CV_ERR_AGAIN (some is left), or
 * the error it was closed for.
 */
int	 control_flush(struct client *cl);
/*
 * Answer the client called serial, if it is still connected; w is
 * freed.  0 if the answer is queued; CV_ERR_NOTFOUND if the client is
 * gone; else the queue's error, the client closed.  Only an asker
 * that must know whether its answer went (a signature) reads it.
 */
int	 control_answer(struct vaultd *, uint64_t serial, struct msg_w *);
/* 1 if the client called serial is still connected. */
int	 control_connected(struct vaultd *, uint64_t serial);
void	 control_error(struct vaultd *, uint64_t serial, uint32_t id, int code,
	    const char *text);
/* Count a denial against the client; past its budget it is dropped. */
void	 control_denied(struct vaultd *, uint64_t serial);
/*
 * Handshake deadlines and idle time-outs: a client with nothing in
 * flight that sends nothing, or one that has read none of the answers
 * waiting for it, for vd->idle_ms.
 */
void	 control_timers(struct vaultd *, int64_t now);
int64_t	 control_next_timer(const struct vaultd *);
struct ctl_perm {
	uint32_t	 type;
	unsigned	 need;		/* PS_HELLO or PS_UP */
	int		(*handle)(struct vaultd *, struct client *,
			    struct msg *);
};
const struct ctl_perm *control_perm_find(uint32_t type, unsigned state);

/* vaultd_vault.c, vaultd_vault_ctl.c: the vault */
void	 vault_setup(struct vaultd *);
int	 vault_ctl_init(struct vaultd *, struct client *, struct msg *) CV_WUR;
int	 vault_ctl_unlock(struct vaultd *, struct client *, struct msg *)
	    CV_WUR;
int	 vault_ctl_lock(struct vaultd *, struct client *, struct msg *) CV_WUR;
int	 vault_ctl_passwd(struct vaultd *, struct client *, struct msg *)
	    CV_WUR;
int	 vault_ctl_rekey(struct vaultd *, struct client *, struct msg *)
	    CV_WUR;
int	 vault_ctl_put(struct vaultd *, struct client *, struct msg *) CV_WUR;
int	 vault_ctl_del(struct vaultd *, struct client *, struct msg *) CV_WUR;
int	 vault_ctl_use(struct vaultd *, struct client *, struct msg *) CV_WUR;
int	 vault_ctl_list(struct vaultd *, struct client *, struct msg *) CV_WUR;
int	 vaultd_audit_ctl(struct vaultd *, struct client *, struct msg *) CV_WUR;
/* vaultctl audit show with its filters; audit export-key. */
int	 vaultd_audit_show_ctl(struct vaultd *, struct client *, struct msg *)
	    CV_WUR;
int	 vaultd_audit_key_ctl(struct vaultd *, struct client *, struct msg *)
	    CV_WUR;
/* signerd's answer to a vault operation or a slot's request. */
int	 vault_signerd_answer(struct vaultd *, struct child *, struct msg *)
	    CV_WUR;
void	 vault_signerd_up(struct vaultd *);
void	 vault_signerd_lost(struct vaultd *);
const char *vault_state(struct vaultd *);
/* 1 while a vault operation waits for signerd. */
int	 vault_busy(const struct vaultd *);
/*
 * 1 while signerd may be deriving a key from a passphrase (Argon2id) for
 * the vault operation: seconds of work, and what comes behind it waits.
 */
int	 vault_deriving(const struct vaultd *);
/*
 * The units of Argon2id work (vd->kdf_unit) of the operation's
 * derivations, rounded up, at least 1: its watchdog bound's multiple.
 */
int64_t	 vault_derive_units(const struct vaultd *);
/*
 * How long signerd may take over the operation's derivations before the
 * watchdog kills it: VAULTD_ANSWER_OP_TIMES answer bounds a unit.
 */
int64_t	 vault_derive_ms(const struct vaultd *);
/*
 * The Argon2id work (passes x bytes) of one derivation at the unlocked
 * vault's cost (vd->kdf_ops, vd->kdf_mem); a keyfile's vault has none.
 */
uint64_t vault_kdf_work(struct vaultd *);
/*
 * 1, and what to say into text, when a credential of kind keyfile is not
 * of the kind the vault takes (kf: its header's keyfile flag): told before
 * anything is derived, no guess, so no wait after it.  own: for vaultd's
 * own unlock, whose options are its own.
 */
int	 vault_cred_kind_wrong(int kf, int keyfile, int own, char *text,
	    size_t len);
/*
 * A digest of what a rekey keeps: the vault id and flags, and each
 * record's clear header (type, flags, account, key id, nonce), in order.
 */
void	 vault_recs_sum(const struct vault *, uint8_t out[32]);
/* The operation in flight, for the control requests (vaultd_vault_ctl.c). */
int	 vault_exists(struct vaultd *);
void	 vault_op_from(struct vaultd *, struct client *, struct msg *);
int	 vault_op_send(struct vaultd *, struct msg_w *, uint32_t id,
	    uint32_t sent) CV_WUR;
/*
 * Tell the control client called serial, waiting for request id, how
 * long the operation just sent may take (MSG_CTL_WAIT), when it derives
 * a key: its wait follows the watchdog's bound, not a fixed one.
 */
void	 vault_op_wait_notice(struct vaultd *, uint64_t serial, uint32_t id);
void	 vault_op_fail(struct vaultd *, int code, const char *text);
/* Unlock with cred; client NULL: vaultd unlocks itself (-p, -k). */
void	 vault_unlock_start(struct vaultd *, struct client *, struct msg *,
	    const uint8_t *cred, size_t len, int keyfile);

/*
 * Start a vault operation for a step of the exchange call; done hears
 * its outcome.
 */
int	 vault_op_call(struct vaultd *, struct msg_w *, uint32_t id,
	    uint32_t sent, const char *what, const char *account,
	    const char *key_id, void (*done)(struct vaultd *, int,
	    const char *, const char *)) CV_WUR;
/* The key id of the account's first record of type in the vault file. */
/* 1 if the vault file holds API key key_id of account (or cannot be
 * read), else 0. */
int	 vault_file_has_key(struct vaultd *, const char *account,
	    const char *key_id);
int	 vault_file_key_id(struct vaultd *, uint8_t type, const char *account,
	    char *out, size_t outlen) CV_WUR;

/* A wrong passphrase or keyfile: the next try waits (1 s, doubling). */
void	 vault_bad_credential(struct vaultd *);
/*
 * The credential vaultd unlocks with by itself: -p, -k, or the systemd
 * credential $CREDENTIALS_DIRECTORY/clobvault-passphrase if readable
 * (into buf); NULL if none.  *keyfile: it is a keyfile.
 */
const char *vault_unattended_path(struct vaultd *, char *buf, size_t len,
	    int *keyfile);
/*
 * 1 if the vault is locked only for a moment: vaultd will unlock it by
 * itself (signerd is restarting, or its unattended unlock is running).
 */
int	 vault_unlock_coming(struct vaultd *);

/* vaultd_vault_ctl.c: refuse what cannot start now (need: 1 a vault,
 * 2 an unlocked one); 1 if refused (the client is answered). */
int	 vault_ctl_refuse(struct vaultd *, struct client *, struct msg *,
	    int need);
/* Refuse a credential during the wrong-passphrase wait; 1 if refused. */
int	 vault_ctl_backoff(struct vaultd *, struct client *, struct msg *);

/* vaultd_policy.c: the policy in force, its changes, its verdicts. */
/* At unlock: the vault's policy record (version 0: none) and profiles. */
/*
 * Budgets across a restart of vaultd (vaultd_budget.c): what a verdict
 * charged, recorded before its own record; the budgets written to
 * $CLOBVAULT_HOME/budgets with every checkpoint; and put back at the
 * first unlock of a vaultd from that file and the records after it.
 */
void	 vaultd_budget_record(struct vaultd *, const struct sign_origin *,
	    const char *account, const struct policy_resv *);
/*
 * With a checkpoint sent: the budgets as the records up to it charged
 * them, into budgets.new; once it is appended (so that every record they
 * count is on disk), budgets.new becomes the file.
 */
int	 vaultd_budget_save(struct vaultd *);
int	 vaultd_budget_busy(const struct vaultd *);
void	 vaultd_budget_reap(struct vaultd *);
void	 vaultd_budget_commit(struct vaultd *);
void	 vaultd_budget_restore(struct vaultd *);
/*
 * Why every budget admits nothing now (their charges could not all be
 * read back at the restore), for vaultctl status; "" if none is held.
 */
void	 vaultd_budget_trouble(const struct vaultd *, char *buf, size_t len);
/* The file of log from which the record seq on can be read. */
uint64_t vaultd_audit_file_of_seq(const struct audit_log *, uint64_t seq);
/* The file of log from which every record of time since on can be read. */
uint64_t vaultd_audit_file_of_time(const struct audit_log *, time_t since);
int	 vaultd_policy_unlocked(struct vaultd *, uint64_t version,
	    const uint8_t *text, size_t len, struct msg_rd *profiles) CV_WUR;
/* vaultd stops: free the policy and what is held (nobody is told). */
void	 vaultd_policy_free(struct vaultd *);
/* A new vault: its policy is the default, version 1. */
int	 vaultd_policy_created(struct vaultd *) CV_WUR;
/* A committed change of an account record: keep its profile known. */
void	 vaultd_policy_profile(struct vaultd *, const char *account,
	    const char *profile);
int	 vaultd_policy_show_ctl(struct vaultd *, struct client *,
	    struct msg *) CV_WUR;
int	 vaultd_policy_apply_ctl(struct vaultd *, struct client *,
	    struct msg *) CV_WUR;
/* 1 while a policy apply of the control client serial is in flight. */
int	 vaultd_policy_applying(const struct vaultd *, uint64_t serial);
/*
 * The verdict on a signing request: the policy's, with the request as
 * the policy sees it (catalog and profile filled in).  Budgets are
 * reserved in v->resv when it admits or holds.
 */
void	 vaultd_policy_verdict(struct vaultd *, const struct sign_origin *,
	    const char *account, const struct sign_args *,
	    struct policy_verdict *v);
/*
 * The verdict on a request of an account with a builder key: at level l2
 * (a->level set so), and at level builder (a->level set so) when the
 * policy allows it at both, the budgets of both held in v->resv.  v is
 * then the builder level's verdict, and l2rule the l2 level's deciding
 * rule as vaultd_sign_rule writes it if another rule decided there, ""
 * otherwise.
 */
void	 vaultd_policy_verdict_builder(struct vaultd *,
	    const struct sign_origin *, const char *account,
	    struct sign_args *a, struct policy_verdict *v, char *l2rule,
	    size_t l2len);
/* Give back a verdict's budgets: the request did not go out. */
void	 vaultd_policy_refund(struct vaultd *, const struct policy_verdict *);
/* The same for a slot's budgets, if its state (gen) is still in force. */
void	 vaultd_policy_refund_resv(struct vaultd *, const struct policy_resv *,
	    uint64_t gen);
/* The request as the policy sees it (pointers into o, account, a). */
void	 vaultd_policy_req(struct vaultd *, const struct sign_origin *,
	    const char *account, const struct sign_args *,
	    struct policy_req *req);

/* vaultd_gw.c: the gateway's vaultd side. */
/* Make the listening sockets netd will serve: run/gateway.sock and the
 * loopback addresses; their fds go to netd at exec.  0 or fatal. */
int	 vaultd_gw_listen(struct vaultd *) CV_WUR;
/* vaultd stops: remove the socket and the address file. */
void	 vaultd_gw_shutdown(struct vaultd *);
/* netd's MSG_GW_REQ and MSG_GW_INFO_REQ. */
int	 vaultd_gw_req(struct vaultd *, struct child *, struct msg *) CV_WUR;
int	 vaultd_gw_info_req(struct vaultd *, struct child *, struct msg *)
	    CV_WUR;
/* netd went away: forget what it asked. */
void	 vaultd_gw_netd_lost(struct vaultd *);
/* netd's MSG_GW_GONE: it gave up on a request (its bot gone). */
int	 vaultd_gw_gone(struct vaultd *, struct child *, struct msg *) CV_WUR;
/* 1 if the request of cookie (a sign_origin's peer) still waits. */
int	 vaultd_gw_waiting(struct vaultd *, uint64_t cookie);
/* Each loop turn: the requests that waited out a busy vault go on;
 * and when the next one is due (-1: none waits). */
void	 vaultd_gw_tick(struct vaultd *, int64_t now);
int64_t	 vaultd_gw_next_ms(const struct vaultd *);
/*
 * A verdict and a signature, counted for /metrics: a signature by its
 * kind once it went to its asker, apart (released 0) if it was withheld.
 */
void	 vaultd_gw_verdict(struct vaultd *, const struct policy_verdict *);
void	 vaultd_gw_signed(struct vaultd *, uint64_t level, uint64_t flags,
	    int released);
/* vaultd_call.c: read a CA bundle an account names (bounded). */
int	 vaultd_read_ca(const char *path, uint8_t **out, size_t *outlen,
	    char *why, size_t whylen) CV_WUR;

/* vaultd_approve.c: requests held until approvers sign them. */
/* Hold the request; o->done hears the outcome later. */
void	 vaultd_approve_hold(struct vaultd *, const struct sign_origin *o,
	    const char *account, const struct sign_args *,
	    const struct policy_verdict *);
int	 vaultd_approve_list_ctl(struct vaultd *, struct client *,
	    struct msg *) CV_WUR;
int	 vaultd_approve_ctl(struct vaultd *, struct client *, struct msg *)
	    CV_WUR;
/* Free every held request without a word (vaultd stops). */
void	 vaultd_approve_free(struct vaultd *);
/* Refuse every held request (a policy change, a lock), with why. */
void	 vaultd_approve_cancel_all(struct vaultd *, const char *why);
/* Cancel the held request of a gateway request's cookie, if one is:
 * 1 if one was. */
int	 vaultd_approve_gw_gone(struct vaultd *, uint64_t cookie);
void	 vaultd_approve_tick(struct vaultd *, int64_t now);
/* 1 if a request of the control client serial is held. */
int	 vaultd_approve_for_client(const struct vaultd *, uint64_t serial);
int64_t	 vaultd_approve_next_ms(const struct vaultd *);

/*
 * Tell netd to wipe the bearer tokens it holds for account's key key_id
 * ("": every key of account; both "": all).  Nothing if netd is not up.
 */
void	 vaultd_net_forget(struct vaultd *, const char *account,
	    const char *key_id);
int	 vaultd_net_forget_ans(struct vaultd *, struct child *, struct msg *);

/* vaultd_sign.c */
/* What a signing request asks for; path and body point into its frame. */
struct sign_args {
	uint64_t	 level;
	char		 method[8];
	const char	*path;
	size_t		 pathlen;
	const uint8_t	*body;
	size_t		 bodylen;
	uint64_t	 nonce;
	uint64_t	 flags;		/* SIGN_F_*; 0 for netd's calls */
	char		 key_id[65];	/* the API key to sign L2 with; "":
					    the account's active one */
	/* what the policy sees besides: a decoded kind (an order's
	 * fields), the timestamp a gateway client signed (0: none) */
	const char			*kind;
	const struct policy_field	*fields;
	size_t				 nfields;
	size_t				 nsets;	/* > 1: a batch, nfields
						    each, all to be admitted */
	int64_t				 signed_ts;
};
/* Read [level, method, path, body, nonce], the tail of both requests. */
int	 vaultd_sign_args(struct msg_rd *, struct sign_args *) CV_WUR;
/*
 * Gate, audit and queue one signing request.  o->done hears the outcome,
 * a refusal at once or the headers when signerd answers.
 */
void	 vaultd_sign_request(struct vaultd *, const struct sign_origin *o,
	    const char *account, const struct sign_args *);
/*
 * The same for an L2 request of an account with a builder key: signed
 * with builder headers too when the policy allows it at both levels
 * (vaultd_policy_verdict_builder), else as at level l2.
 */
void	 vaultd_sign_request_builder(struct vaultd *,
	    const struct sign_origin *o, const char *account,
	    const struct sign_args *);
/*
 * Record an approved request's verdict ("approved") and sign it (v: its
 * verdict, whose budgets are given back if the signature is not made),
 * with one timestamp for both, so the record's digest is that of what
 * is signed.
 */
void	 vaultd_sign_approved(struct vaultd *, const struct sign_origin *o,
	    const char *account, const struct sign_args *,
	    const struct policy_verdict *v);
/* "ID@LINE" of the deciding rule ("none" when none did): the record's. */
void	 vaultd_sign_rule(const struct policy_verdict *, char *out,
	    size_t len);
/* Record a verdict on a (held) request: verdict "held", "approved"... */
void	 vaultd_sign_verdict(struct vaultd *, const char *actor,
	    const char *account, const struct sign_args *,
	    const struct policy_verdict *, const char *verdict);
/* Record a request refused before the gate (by its caller's own check). */
void	 vaultd_sign_deny(struct vaultd *, const char *actor,
	    const char *account, const struct sign_args *);
/* The same, with rule in the record's key id field instead of "-". */
void	 vaultd_sign_deny_rule(struct vaultd *, const char *actor,
	    const char *account, const struct sign_args *, const char *rule);
/* MSG_CTL_HEADERS_REQ: the signing path for a person. */
int	 vaultd_sign_ctl(struct vaultd *, struct client *, struct msg *) CV_WUR;
/* Ask signerd for an account's routing facts; done hears the answer. */
int	 vaultd_sign_account(struct vaultd *, const char *account,
	    account_done_fn *done, uint64_t cookie) CV_WUR;
/* What MSG_CLIENT_CHECK_REQ asks signerd: a gateway client's request. */
struct client_check {
	const char	*key, *passphrase, *timestamp, *signature;
	const char	*method;
	const char	*path;
	size_t		 pathlen;
	const uint8_t	*body;
	size_t		 bodylen;
};
/* Ask signerd whether a gateway client signed its request; done hears
 * it.  0, or why it cannot be asked now (CV_ERR_AGAIN, _LOCKED...). */
int	 vaultd_sign_client(struct vaultd *, const struct client_check *,
	    client_done_fn *done, uint64_t cookie, const char **why) CV_WUR;
/* 1 if a signing request could start now (nothing makes it wait). */
int	 vaultd_sign_ready(struct vaultd *);
/* signerd answered: 1 if it was a slot's answer, 0 if not, or an error. */
int	 vaultd_sign_answer(struct vaultd *, struct msg *) CV_WUR;
/* Once per loop: sync the audit log, then release the held requests. */
void	 vaultd_sign_flush(struct vaultd *);
/* The syncer ended a sync: release what waited for it, start the next. */
void	 vaultd_sign_synced(struct vaultd *);
int	 vaultd_sign_busy(const struct vaultd *);
void	 vaultd_sign_forget(struct vaultd *);
/* 1 if a slot of ours waits for signerd. */
int	 vaultd_sign_waiting(const struct vaultd *);
/*
 * How many slots' requests signerd has been handed (in its channel or
 * read by it) and not answered: not those whose frames still wait in
 * vaultd for their audit records' sync, nor those answered from the
 * cache.
 */
size_t	 vaultd_sign_at_signerd(const struct vaultd *);
/*
 * When the oldest request signerd still owes of the slots' was handed to
 * it (vd->now_ms then), or 0 when it owes none: a scan of the slots.
 */
int64_t	 vaultd_sign_oldest_ms(const struct vaultd *);
/* 1 if a signature the control client serial asked for is in flight. */
int	 vaultd_sign_for_client(const struct vaultd *, uint64_t serial);
/* Put a header list ([[name, value]...]) into an answer. */
void	 vaultd_sign_hdrs_put(struct msg_w *, const struct sign_hdrs *);
void	 vaultd_sign_lost(struct vaultd *);

/* vaultd_call.c */
int	 vaultd_call_ctl(struct vaultd *, struct client *, struct msg *) CV_WUR;
/* netd's messages of a call: its signing requests, its answer. */
int	 vaultd_call_sign_req(struct vaultd *, struct child *, struct msg *)
	    CV_WUR;
int	 vaultd_call_ans(struct vaultd *, struct child *, struct msg *) CV_WUR;
int	 vaultd_call_error(struct vaultd *, struct child *, struct msg *)
	    CV_WUR;
/* 1 while a call is at netd (its messages are permitted). */
int	 vaultd_call_at_netd(const struct vaultd *);
/* 1 if netd's signing request (its pid, its tag) is of the call at netd. */
int	 vaultd_call_owns(const struct vaultd *, uint64_t peer, uint64_t tag);
/* Start the vault step the call waits for, if the vault is free. */
void	 vaultd_call_kick(struct vaultd *);
void	 vaultd_call_tick(struct vaultd *, int64_t now);
int64_t	 vaultd_call_next_ms(const struct vaultd *);
/* netd died: the call it was making fails (signerd's loss fails the op). */
void	 vaultd_call_netd_lost(struct vaultd *);
/*
 * Which step of call c, from step from on, the signing request is:
 * exactly that step's level, method, path with query, body and nonce.
 * 0 with *step set, CV_ERR_DENIED with why filled in otherwise.
 */
int	 vaultd_call_match(const struct netcall *c,
	    const struct netcall_params *p, size_t from,
	    const struct sign_args *a, size_t *step, char *why,
	    size_t whylen) CV_WUR;

/* vaultd_audit.c */
void	 vaultd_audit_open(struct vaultd *);
/*
 * Append a lifecycle record, fsync'd at once, and make a checkpoint due;
 * key_id may be "" or NULL.  Fields are mapped to their syntax, so only
 * a failed write stops vaultd (fail-closed).
 */
void	 vaultd_audit(struct vaultd *, const char *actor, const char *account,
	    const char *op, const char *verdict, const char *key_id);
/*
 * A signing verdict (allow, deny, approved): method and path escaped as
 * needed, the digest of everything the signature would authorise
 * (level, method, path, body, nonce, timestamp), the deciding rule in
 * the key id field; those fields into seen too, unless it is NULL.
 * Batched: fdatasync'd with the loop turn's others by
 * vaultd_audit_sync; never a checkpoint of its own.
 */
void	 vaultd_audit_sign(struct vaultd *, const char *actor,
	    const char *account, const struct audit_req *req,
	    const char *verdict, const char *rule, struct sign_seen *seen);
/*
 * signerd refused a request a verdict admitted: a record of actor
 * "signerd", verdict "refused", with the method, path, digest and rule
 * the verdict's record had (seen, which that call filled in).  Batched
 * like the verdicts.
 */
void	 vaultd_audit_refused(struct vaultd *, const char *account,
	    const struct sign_seen *seen);
/*
 * signerd made a signature vaultd did not release (its asker gone, its
 * call over): a record of actor "vaultd", verdict "withheld", with the
 * verdict record's method, path, digest and rule.  Batched likewise.
 */
void	 vaultd_audit_withheld(struct vaultd *, const char *account,
	    const struct sign_seen *seen);
/*
 * netd says it dropped, unread, the answer that carried a signature
 * vaultd had sent it (its MSG_GW_GONE crossed that answer): the record
 * vaultd_audit_withheld writes, but of actor "netd".  vaultd cannot
 * tell this from a netd that sent the signature on and says otherwise,
 * so the record is on netd's word, and names it.
 */
void	 vaultd_audit_dropped(struct vaultd *, const char *account,
	    const struct sign_seen *seen);
/*
 * netd died before it was seen to read the answer that carried a
 * signature vaultd had sent it (no status answer after it): whether the
 * signature went on is unknown.  The record vaultd_audit_withheld
 * writes, but of verdict "unknown".
 */
void	 vaultd_audit_unknown(struct vaultd *, const char *account,
	    const struct sign_seen *seen);
/* A lifecycle record with a digest (a policy's), fsync'd at once. */
void	 vaultd_audit_digest(struct vaultd *, const char *actor,
	    const char *account, const char *op, const char *verdict,
	    const char *key_id, const uint8_t digest[32]);
/*
 * A signing verdict of no one request (actor, account, op "sign",
 * verdict, rule in the key id field; method, path and digest "-"): the
 * gateway's count of the refusals it did not record one by one.
 * Batched like a verdict.
 */
void	 vaultd_audit_sign_summary(struct vaultd *, const char *actor,
	    const char *account, const char *verdict, const char *rule);
/*
 * What a verdict charged the budgets (vaultd_budget.c): op "budget",
 * verdict "charge", path the counters and amounts, digest the policy's.
 * Batched like a verdict, right before it.
 */
void	 vaultd_audit_budget(struct vaultd *, const char *actor,
	    const char *account, const char *path,
	    const uint8_t digest[32]);
/*
 * A refusal that is not a signing verdict (a control client dropped for
 * what it sent): batched like one, never a checkpoint of its own.
 */
void	 vaultd_audit_refusal(struct vaultd *, const char *actor,
	    const char *account, const char *op, const char *verdict);
/*
 * A record of something that changed nothing (a read-only exchange
 * call): synced now with the turn's batch, checkpointed by count or age
 * like a signing verdict, never a checkpoint and vault write of its own.
 */
void	 vaultd_audit_light(struct vaultd *, const char *actor,
	    const char *account, const char *op, const char *verdict,
	    const char *key_id);
/* A lifecycle record naming a path (a rotation's step), fsync'd at once. */
void	 vaultd_audit_path(struct vaultd *, const char *actor,
	    const char *account, const char *op, const char *verdict,
	    const char *key_id, const char *path);
/* Write-ahead: the intent of a vault write, durable before the write. */
void	 vaultd_audit_intent(struct vaultd *, const char *actor,
	    const char *account, const char *op, const char *key_id,
	    uint64_t gen);
/*
 * The outcome of an operation; carries the generation of its intent.
 * After an account's removal (ok or written), one record more for each
 * key vaultd_audit_destroying found.
 */
void	 vaultd_audit_outcome(struct vaultd *, const char *actor,
	    const char *account, const char *op, const char *verdict,
	    const char *key_id);
/*
 * account remove is starting: note the keys the vault file holds for
 * account (type and key id, from the records' clear headers), for
 * vaultd_audit_outcome to audit one by one as "account_remove.TYPE".
 */
void	 vaultd_audit_destroying(struct vaultd *, const char *account);
/* The anchor and generation of the vault file handed to signerd. */
void	 vaultd_audit_vault_read(struct vaultd *, const uint8_t *file,
	    size_t len);
/*
 * At unlock: cross-check the vault (its authenticated generation gen and
 * the anchor vaultd_audit_vault_read saw) with the log.  0, or
 * CV_ERR_ROLLBACK with a text for the operator.
 */
int	 vaultd_audit_rollback(struct vaultd *, uint64_t gen, char *text,
	    size_t len) CV_WUR;
/*
 * Write what vaultd_audit_sign batched and make it durable (the journal's
 * fdatasync); fatal if it cannot.
 */
void	 vaultd_audit_sync(struct vaultd *);
/* At the end: the same, and audit.log itself on disk. */
void	 vaultd_audit_close(struct vaultd *);
/*
 * The group commit (vaultd_sign_flush): write the batch now (before any
 * of its requests leaves vaultd), sync it in the syncer (begin), and take
 * note when that sync has ended (synced).
 */
void	 vaultd_audit_write(struct vaultd *);
void	 vaultd_audit_sync_begin(struct vaultd *);
int	 vaultd_audit_covered(const struct vaultd *);
void	 vaultd_audit_synced(struct vaultd *);
/*
 * A checkpoint is being signed: verdict records wait (deferred) and the
 * requests they admit with them (vd->held_ckpt); 1 if so.
 */
int	 vaultd_audit_deferring(const struct vaultd *);
/* vaultctl audit mode: MSG_CTL_AUDIT_MODE_REQ. */
int	 vaultd_audit_mode_ctl(struct vaultd *, struct client *,
	    struct msg *) CV_WUR;
/* Checkpoints for signing records are periodic: due by count or age. */
void	 vaultd_audit_tick(struct vaultd *, int64_t now);
int64_t	 vaultd_audit_next_ms(const struct vaultd *);
/*
 * vaultd_wal.c: the audit journal.  open: at start, with audit.log open
 * and size bytes long, before its last line is read.  write: n bytes
 * just appended to audit.log, framed into the journal; skip: n appended
 * that it need not hold (synced at once).  log_synced: audit.log was
 * fsync'd to its end.  sync_log: as a sync begins, audit.log's
 * descriptor if the syncer should sync it too, else -1; synced: that
 * sync ended.  new_log: a new, empty audit.log (a segment began).
 */
#define VAULTD_WAL_SIZE	(8ULL << 20)
#define VAULTD_WAL_MIN	(64ULL << 10)
#define VAULTD_WAL_MAX	(1ULL << 30)
void	 vaultd_wal_open(struct vaultd *, uint64_t size);
int	 vaultd_wal_write(struct vaultd *, const uint8_t *, size_t n) CV_WUR;
void	 vaultd_wal_skip(struct vaultd *, size_t n);
void	 vaultd_wal_log_synced(struct vaultd *);
int	 vaultd_wal_sync_log(struct vaultd *);
void	 vaultd_wal_synced(struct vaultd *);
void	 vaultd_wal_new_log(struct vaultd *);

/*
 * vaultd_scan.c: the audit scanner thread.  begin: CV_ERR_AGAIN while a
 * scan runs (the job stays the caller's), else the job is the
 * scanner's until done.
 */
int	 vaultd_scan_begin(struct vaultd *, struct vd_scan_job *) CV_WUR;
int	 vaultd_scan_pollfd(const struct vaultd *);
void	 vaultd_scan_end(struct vaultd *);

/*
 * vaultd_thread.c: what the threads beside the loop share.  start: fn
 * in a thread with every signal blocked (the loop's, through signalfd),
 * 0 or pthread_create's error; wake, the thread's side of its pipe: a
 * byte; woken, the loop's: 1 if it took a byte, 0 if none is there yet
 * (what names the thread in a fatal error).
 */
int	 vaultd_thread_start(pthread_t *, void *(*)(void *), void *,
	    const char *what);
void	 vaultd_thread_wake(int fd);
int	 vaultd_thread_woken(int fd, const char *what);

/* vaultd_sync.c: the audit syncer thread. */
void	 vaultd_sync_start(struct vaultd *);
/* begin: a sync of fd, and of logfd first unless it is -1. */
void	 vaultd_sync_begin(struct vaultd *, int fd, int logfd);
int	 vaultd_sync_busy(const struct vaultd *);
/* Test mode (probe sync-slow): the next sync waits, as a slow disk. */
void	 vaultd_sync_slow(struct vaultd *);
int	 vaultd_sync_pollfd(const struct vaultd *);
void	 vaultd_sync_end(struct vaultd *, int block);
int	 vaultd_sync_take(struct vaultd *);
int	 vaultd_sync_ended(const struct vaultd *);
/* Start a signed checkpoint if one is due and nothing else is running. */
void	 vaultd_audit_checkpoint(struct vaultd *);
int	 vaultd_audit_signed(struct vaultd *, const char *sig, size_t len)
	    CV_WUR;

#endif
