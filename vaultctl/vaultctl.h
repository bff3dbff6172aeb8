/*
 * vaultctl: the operator's CLI over vaultd's control socket.
 */
#ifndef VAULTCTL_H
#define VAULTCTL_H

#include <getopt.h>

#include <jansson.h>

#include "common/msg.h"
#include "common/secmem.h"
#include "common/vault_fmt.h"

/* Exit codes: one per class of failure a script may act on. */
enum vaultctl_exit {
	EXIT_OK		= 0,
	EXIT_FAIL	= 1,	/* anything not below */
	EXIT_USAGE	= 2,
	EXIT_NOTRUNNING	= 3,	/* vaultd not reachable */
	EXIT_DENIED	= 4,	/* refused by policy */
	EXIT_LOCKED	= 5,
	EXIT_BADPASS	= 6,
	EXIT_TAMPERED	= 7,	/* vault or audit log fails authentication */
	EXIT_NOTFOUND	= 8,
	EXIT_TRANSPORT	= 9,	/* cannot reach the exchange */
	EXIT_EXCHANGE	= 10,	/* the exchange answered with an error */
	EXIT_RESPONSE	= 11,	/* the exchange's answer was malformed */
	EXIT_PERMISSIONS = 12,	/* key permissions asked for not allowed */
};

/*
 * How long vaultctl waits for vaultd.  A vault operation answers within
 * seconds (Argon2id, the wrong-passphrase delay); one whose key
 * derivation vaultd allows longer says so (MSG_CTL_WAIT), and vaultctl
 * waits that much more, up to VAULTCTL_WAIT_MAX_MS (the most vaultd
 * allows, 64 units of 120 s, with room).  An exchange call may take a
 * minute (netd retries with backoff).  While vaultd is busy with
 * another operation or call it answers CV_ERR_AGAIN and vaultctl resends
 * for the "again" window.
 */
#define VAULTCTL_OP_TIMEOUT_MS		60000
#define VAULTCTL_WAIT_MAX_MS		(3LL * 3600 * 1000)
#define VAULTCTL_OP_AGAIN_MS		5000
#define VAULTCTL_CALL_TIMEOUT_MS	150000
#define VAULTCTL_CALL_AGAIN_MS		90000
/* vaultd reads the log for one verify or filtered show at a time */
#define VAULTCTL_SCAN_AGAIN_MS		60000

struct vaultctl {
	int		 json;
	struct chan	 chan;
	uint32_t	 next_id;
	int		 timeout_ms;	/* 0: VAULTCTL_OP_TIMEOUT_MS, more
					   as MSG_CTL_WAIT says */
	int		 again_ms;	/* 0: VAULTCTL_OP_AGAIN_MS */
	/* vaultd's text for the last error, whole */
	char		 errtext[MSG_ERROR_TEXT_MAX + 1];
	int		 answered;	/* the last error was vaultd's answer */
	/* the keyfile vaultctl_cred_get made this run, NULL: none */
	const char	*made_keyfile;
	int		 mute;		/* vaultctl_fail prints nothing */
	/*
	 * While vaultctl_call waits for an answer, called once a second
	 * with tick_arg (the Argon2id progress on a terminal); NULL: none.
	 */
	void		(*tick)(void *tick_arg);
	void		*tick_arg;
};

/* The exit code for a CV_ERR_* code. */
int	vaultctl_exit_code(int err);

/* Connect to vaultd and shake hands.  CV_ERR_NOTRUNNING if nobody answers. */
int	vaultctl_connect(struct vaultctl *) CV_WUR;

/*
 * Send w and wait for the answer of type ans, decoded into m (clear it
 * after).  An MSG_ERROR_ANS becomes its code, with its text in errtext.
 */
int	vaultctl_call(struct vaultctl *, struct msg_w *w, uint32_t ans,
	    struct msg *m) CV_WUR;

/*
 * jansson's allocator for the whole run, set in main before any JSON
 * value exists: every block is wiped when freed, since imported JSON
 * holds secrets.  Text from json_dumps() goes back through
 * vaultctl_json_free(), never free().
 */
void	*vaultctl_json_malloc(size_t);
void	 vaultctl_json_free(void *);

/* Print j as the one JSON document of this run, in ASCII (any other
 * character and DEL as \u escapes), and free it. */
void	vaultctl_print_json(json_t *j);
/* Text a daemon or the exchange gave, to f, each unsafe character
 * (utf8_char: controls, bidi controls, bytes not UTF-8) shown as '?'. */
void	vaultctl_fput_text(FILE *f, const char *s);

/*
 * Report err for what (to stderr, or as JSON with "ok": false and the
 * "exit" code) and return its exit code.
 */
int	vaultctl_fail(struct vaultctl *, const char *what, int err);

/*
 * Options are matched by their whole name, never by a prefix.  Check
 * argv[1..argc-1] against opts (long options only, "--name VALUE" or
 * "--name=VALUE") and reset getopt; CV_ERR_USAGE with the option's name
 * (never its value) in errtext when one is unknown, lacks its value or
 * has one it does not take.  Then call vaultctl_opt_next() until -1.
 */
int	vaultctl_opt_begin(struct vaultctl *, int argc, char **argv,
	    const struct option *opts) CV_WUR;
int	vaultctl_opt_next(int argc, char **argv, const struct option *opts);

/*
 * Where a credential comes from: --passphrase-file, --keyfile, or the
 * terminal (prompt; confirm: ask twice).  create: a keyfile that does
 * not exist is made (init).  *out is guarded memory the caller frees.
 */
int	vaultctl_cred_get(struct vaultctl *, const char *passfile,
	    const char *keyfile, const char *prompt, int confirm, int create,
	    struct secret *out, int *is_keyfile) CV_WUR;

/* Commands: argv[0] is the command word. */
int	cmd_status(struct vaultctl *, int argc, char **argv);
int	cmd_wait(struct vaultctl *, int argc, char **argv);
int	cmd_debug(struct vaultctl *, int argc, char **argv);
int	cmd_init(struct vaultctl *, int argc, char **argv);
int	cmd_unlock(struct vaultctl *, int argc, char **argv);
int	cmd_lock(struct vaultctl *, int argc, char **argv);
int	cmd_passwd(struct vaultctl *, int argc, char **argv);
int	cmd_rekey(struct vaultctl *, int argc, char **argv);
int	cmd_audit(struct vaultctl *, int argc, char **argv);
int	cmd_wallet(struct vaultctl *, int argc, char **argv);
int	cmd_invite(struct vaultctl *, int argc, char **argv);
int	cmd_headers(struct vaultctl *, int argc, char **argv);
int	cmd_keys(struct vaultctl *, int argc, char **argv);
/* The policy and its approvals (vaultctl_policy.c). */
int	cmd_policy(struct vaultctl *, int argc, char **argv);
int	cmd_approve(struct vaultctl *, int argc, char **argv);
int	cmd_approver(struct vaultctl *, int argc, char **argv);
/* vaultctl_client.c: gateway clients; an order signed for a person. */
int	cmd_client(struct vaultctl *, int argc, char **argv);
int	cmd_sign(struct vaultctl *, int argc, char **argv);
/*
 * An approver's key file (vaultctl approver keygen): the Ed25519 secret
 * key into guarded memory sk (the caller frees it) and its public key.
 */
int	vaultctl_approver_key(struct vaultctl *, const char *path,
	    struct secret *sk, uint8_t pk[32]) CV_WUR;
/*
 * The accounts (vaultctl_account.c): add, list, update, remove.  Their
 * settings are the account record's JSON: profile, url, ca_file, pin,
 * funder, orders.
 */
int	cmd_account(struct vaultctl *, int argc, char **argv);

/* One record of the vault's listing (MSG_CTL_LIST_ANS): public facts. */
struct vaultctl_rec {
	uint64_t	type, flags, nonce;
	char		account[VAULT_MAX_NAME + 1], key_id[VAULT_MAX_NAME + 1];
	char		info[VAULT_MAX_INFO + 1];
	int64_t		created;	/* a key's: unix seconds; 0 unknown */
};

/* A key's age for people: "created 2026-11-30 (3 d)", or "". */
void	vaultctl_age_text(int64_t created, char *out, size_t len);

/*
 * The active key of type (API or builder) of account in a listing: the
 * one flagged VAULT_RECF_ACTIVE, else the account's only one.  *key_id
 * points into v.  CV_ERR_NOTFOUND when it holds none, CV_ERR_EXISTS when
 * it holds several and none is active.
 */
int	vaultctl_active_key(const struct vaultctl_rec *v, size_t n,
	    uint64_t type, const char *account, const char **key_id) CV_WUR;
/* The record of type, account and key id in a listing, or NULL. */
const struct vaultctl_rec *vaultctl_rec_find(const struct vaultctl_rec *v,
	    size_t n, uint64_t type, const char *account, const char *key_id);
/* Whole days from created to now (0 if not after it). */
int64_t	vaultctl_age_days(int64_t created, int64_t now);
/* The vault's listing: *n records in *out, malloc'd (the caller frees). */
int	vaultctl_list(struct vaultctl *, struct vaultctl_rec **out, size_t *n)
	    CV_WUR;
/*
 * Put one record (MSG_CTL_PUT_REQ): vaultd's public answer (an address,
 * a fingerprint) into info.  A CV_ERR_* code.
 */
int	vaultctl_put_rec(struct vaultctl *, uint8_t type, const char *account,
	    const char *key_id, uint64_t nonce, const uint8_t *p, size_t len,
	    char *info, size_t infolen) CV_WUR;
/*
 * The same with the vault's credential (guarded memory; the caller wipes
 * it), for a change only its holder makes: a gateway client's record,
 * an account's URL, CA file or pin.  cred NULL: none.
 */
int	vaultctl_put_rec_cred(struct vaultctl *, const struct secret *cred,
	    int keyfile, uint8_t type, const char *account,
	    const char *key_id, uint64_t nonce, const uint8_t *p, size_t len,
	    char *info, size_t infolen) CV_WUR;
/*
 * The same, printed: "human: info", or JSON {result: what, account,
 * key_id, info}.  Returns the exit code.
 */
int	vaultctl_put(struct vaultctl *, const char *what, uint8_t type,
	    const char *account, const char *key_id, uint64_t nonce,
	    const uint8_t *p, size_t len, const char *human);
/*
 * Delete one record (MSG_CTL_DEL_REQ) with the vault's credential (NULL:
 * none), as vaultctl_put_rec_cred; printed as "what: done".  Exit code.
 */
int	vaultctl_del_cred(struct vaultctl *, const struct secret *cred,
	    int keyfile, const char *what, uint8_t type, const char *account,
	    const char *key_id);
/* "account", "wallet", "apikey", "builder", "invite"; "?" otherwise. */
const char *vaultctl_type_name(uint64_t type);

/*
 * One exchange call (MSG_CTL_CALL_REQ), printing nothing: the HTTP status,
 * the result (the caller decrefs it) and the vault's change.  A CV_ERR_*
 * code when there is no answer from the exchange, with vaultd's text in
 * errtext.
 */
int	vaultctl_netcall(struct vaultctl *, const char *account,
	    const char *call, const char *const *names,
	    const char *const *values, size_t n, uint64_t *status,
	    json_t **result, char *change, size_t changelen) CV_WUR;
/* Key rotation (vaultctl_rotate.c). */
int	cmd_rotate(struct vaultctl *, int argc, char **argv);

/* Exchange calls (vaultctl_calls.c); apikey and builder mix in the local. */
int	cmd_call(struct vaultctl *, int argc, char **argv);
int	cmd_apikey(struct vaultctl *, int argc, char **argv);
int	cmd_builder(struct vaultctl *, int argc, char **argv);

/* What the vault holds: apikey import|list --local, builder list --local. */
int	rec_apikey(struct vaultctl *, int argc, char **argv);
int	rec_builder(struct vaultctl *, int argc, char **argv);

#endif
