/*
 * signerd's custody of the vault: the keys of the unlocked vault, the
 * authenticated record table, and a change that vaultd is writing to disk
 * but has not yet confirmed.
 */
#ifndef SIGNERD_VAULT_H
#define SIGNERD_VAULT_H

#include "common/msg.h"
#include "common/vault_crypto.h"

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
	int			 open;		/* the keys are readable now */

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

/*
 * Check a canonical signing request's shape and sign it with the named
 * account's keys; queue MSG_SIGN_ANS (signerd_req.c).  A refusal is
 * returned for the caller to answer with MSG_ERROR_ANS.
 */
int	signerd_sign(struct signerd_vault *, struct chan *c, struct msg *m)
	    CV_WUR;

/* The account record's JSON, for vaultd to route a call (not secret). */
int	signerd_account(struct signerd_vault *, struct chan *c, struct msg *m)
	    CV_WUR;

/* Forget the decoded signing material (the vault changed or locked). */
void	signerd_sign_forget(struct signerd_vault *);

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
 * MSG_VAULT_POLICY_REQ: the operator's credential again, then the new
 * policy record at exactly the next version.  vaultd has checked the
 * text; signerd checks who may change it.
 */
int	signerd_policy_put(struct signerd_vault *, struct chan *c,
	    struct msg *m) CV_WUR;

#endif
