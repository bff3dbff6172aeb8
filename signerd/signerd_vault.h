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

#endif
