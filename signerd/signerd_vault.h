/*
 * signerd's custody of the vault: the keys of the unlocked vault, the
 * authenticated record table, and a change that vaultd is writing to disk
 * but has not yet confirmed.
 */
#ifndef SIGNERD_VAULT_H
#define SIGNERD_VAULT_H

#include "common/msg.h"
#include "common/vault_crypto.h"

struct signerd_pool;

struct signerd_vault {
	int			 unlocked;
	struct vault		 v;		/* current, authenticated */
	struct vault_keys	 keys;
	struct secret		 audit_sk;	/* Ed25519, noaccess idle */
	uint8_t			 audit_pk[32];
	/* Credentials from the exchange reach us sealed to this key. */
	struct secret		 box_sk;	/* X25519, noaccess idle */
	uint8_t			 box_pk[32];

	/* Each account's signing material, decoded on first use. */
	struct secret		 cache;		/* noaccess idle */
	size_t			 ncache;
	/* The gateway clients' credentials, decoded on first use. */
	struct secret		 clients;	/* noaccess idle */
	size_t			 nclients;
	int			 clients_loaded;
	int			 open;		/* the keys are readable now */
	struct signerd_pool	*pool;		/* the signing workers */

	int			 pending;	/* awaiting MSG_VAULT_COMMIT_REQ */
	int			 pending_create;
	struct vault		 pv;
	struct vault_keys	 pkeys;		/* for a vault being created */
};

/*
 * Handle one vault message from vaultd and queue its answer on c.  A
 * message out of turn (an edit while locked, anything but a commit while
 * a change is pending) is a broken vaultd: fatal.
 */
void	signerd_vault_dispatch(struct signerd_vault *, struct chan *c,
	    struct msg *m);
/* Close the keys (noaccess) until the next message. */
void	signerd_vault_idle(struct signerd_vault *);

/*
 * Check a canonical signing request's shape and sign it with the named
 * account's keys; queue MSG_SIGN_ANS (signerd_req.c).  A refusal is
 * returned for the caller to answer with MSG_ERROR_ANS.
 */
int	signerd_sign(struct signerd_vault *, struct chan *c, struct msg *m)
	    CV_WUR;

/*
 * The account record's JSON, for vaultd to route a call (not secret);
 * CV_ERR_CORRUPT for a stored record that is not a JSON object with
 * each key once.
 */
int	signerd_account(struct signerd_vault *, struct chan *c, struct msg *m)
	    CV_WUR;

/* signerd_bearer.c: Omnia (bearer) accounts. */
struct sign_req;
/*
 * 1 if account's profile is a bearer one, 0 if not, or CV_ERR_*
 * (CV_ERR_CORRUPT: the record names no known profile, or a key twice).
 */
int	signerd_account_bearer(struct signerd_vault *, const char *account);
/*
 * Check an Omnia key body "secret NUL permissions" (p, len): 0 with the
 * secret's fingerprint in fp and the permissions ("a,b") in perms (each
 * may be NULL), or CV_ERR_INVALID.
 */
int	signerd_omnia_check(const uint8_t *p, size_t len, char fp[17],
	    char *perms, size_t permslen) CV_WUR;
/*
 * A bearer request (req->level CATALOG_BEARER) for the key key_id (""
 * the active one): queue MSG_SIGN_ANS with no header, and for the token
 * request the body sealed to the box key that is req's body.  A refusal
 * is answered here, or returned for the caller to answer.
 */
int	signerd_bearer(struct signerd_vault *, struct chan *c, uint32_t id,
	    const struct sign_req *req, const char *key_id) CV_WUR;
/* The active Omnia key's permissions as a JSON array into *out, NULL
 * when unknown. */
struct json_t;
int	signerd_bearer_perms(struct signerd_vault *, const char *account,
	    struct json_t **out) CV_WUR;

/*
 * The profile of an account that may sign (signerd_req.c): 0, or the
 * refusal MSG_SIGN_REQ would answer for the account itself
 * (CV_ERR_NOTFOUND, CV_ERR_INVALID, CV_ERR_CORRUPT) with *why its text
 * (static) or NULL.
 */
struct profile;
int	signerd_account_profile(struct signerd_vault *, const char *account,
	    const struct profile **p, const char **why) CV_WUR;

/*
 * An account record's update keeps its profile (the keys were made for
 * it): 0, or CV_ERR_INVALID when payload names another profile or is
 * not a JSON object naming one, each key once; CV_ERR_CORRUPT when the
 * stored record is not (vaultd never stores one).
 */
int	signerd_account_same_profile(struct signerd_vault *,
	    const char *account, const uint8_t *payload, size_t len) CV_WUR;

/*
 * Whether an account record's update keeps where the account's calls go
 * and whom they trust: 1 if payload's url, ca_file and pin are the
 * stored record's (a member absent from both is the same), 0 if any
 * differs or either record is not a JSON object, or a CV_ERR_* from
 * opening the stored record.
 */
int	signerd_account_route_same(struct signerd_vault *,
	    const char *account, const uint8_t *payload, size_t len) CV_WUR;

/*
 * Forget the decoded signing material and the clients' credentials (the
 * vault changed or locked).
 */
void	signerd_sign_forget(struct signerd_vault *);

/*
 * Gateway clients (signerd_client.c).  A record of type VAULT_REC_CLIENT
 * for MSG_VAULT_PUT_REQ: its name (the key id) and payload checked
 * strictly (CV_ERR_INVALID), its name and apiKey unique among the
 * clients (CV_ERR_EXISTS), its account one that can sign
 * (signerd_account_profile's refusal); info gets its public part, the
 * apiKey.
 */
int	signerd_client_put_check(struct signerd_vault *, const char *account,
	    const char *name, const uint8_t *payload, size_t len, char *info,
	    size_t infolen) CV_WUR;
/* The public part (the apiKey) of a stored client record's body. */
int	signerd_client_info(const uint8_t *pt, size_t len, char *info,
	    size_t infolen) CV_WUR;
/*
 * MSG_CLIENT_CHECK_REQ: is this request signed by a gateway client, as
 * the exchange would check it?  Queues MSG_CLIENT_CHECK_ANS [name,
 * account, 0 or why the account cannot sign: its code and text], or
 * MSG_ERROR_ANS CV_ERR_AUTH "client credentials refused"
 * whichever of key, passphrase and signature was wrong; a malformed
 * request (CV_ERR_INVALID, CV_ERR_TOOLONG) or a broken record is
 * returned.
 */
int	signerd_client_check(struct signerd_vault *, struct chan *c,
	    struct msg *m) CV_WUR;
/* Wipe and drop the clients' decoded credentials. */
void	signerd_client_forget(struct signerd_vault *);

/* Forget every key and secret (lock). */
void	signerd_vault_lock(struct signerd_vault *);

/*
 * The pieces of a vault change, for the files that make one
 * (signerd_vault.c, signerd_policy.c).  A change is made on sv->pv, a
 * copy of the committed vault, then sealed and sent to vaultd as a file
 * to write; it becomes the vault when vaultd commits it.
 */
/* dst = a copy of src (freed with vault_free). */
int	sv_vault_copy(const struct vault *src, struct vault *dst) CV_WUR;
/* Seal pt as a record of pv, replacing one with the same identity. */
int	sv_put_record(struct vault *pv, const struct vault_keys *keys,
	    uint8_t type, uint8_t flags, const char *account,
	    const char *key_id, uint64_t nonce, const uint8_t *pt,
	    size_t ptlen) CV_WUR;
/* Encode pv with the next generation, MAC it, and answer with the file. */
int	sv_seal_and_answer(struct signerd_vault *, struct chan *c,
	    uint32_t type, uint32_t id, const struct vault_keys *keys,
	    const char *info) CV_WUR;
/* A credential and its keyfile flag from a request. */
int	sv_get_cred(struct msg_rd *rd, struct vault_cred *cred) CV_WUR;

/*
 * signerd_policy.c.  What vaultd learns at unlock besides the keys: the
 * policy record's version and text (0 and "" when the vault has none)
 * and each account's profile, put on w.
 */
int	signerd_policy_put_facts(struct signerd_vault *, struct msg_w *w)
	    CV_WUR;
/*
 * The vault's credential presented again, for a change only its holder
 * makes (the policy, a gateway client, an account's URL, CA or pin):
 * 0 if cred unwraps the vault's master key; CV_ERR_DENIED if cred is
 * empty (none was given), CV_ERR_BADPASS if it is wrong or of the other
 * kind than the vault's.
 */
int	signerd_cred_check(struct signerd_vault *, const struct vault_cred *)
	    CV_WUR;
/*
 * MSG_VAULT_POLICY_REQ: the operator's credential again, then the new
 * policy record at exactly the next version.  vaultd has checked the
 * text; signerd checks who may change it.
 */
int	signerd_policy_put(struct signerd_vault *, struct chan *c,
	    struct msg *m) CV_WUR;

#endif
