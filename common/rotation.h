/*
 * A key rotation's journal entry (VAULT_REC_ROTATION; ARCHITECTURE.md
 * "Rotating keys").  The record's key id is the rotation id, its nonce
 * the entry's revision, its body the JSON below: written, durably, before
 * the external effect its step names.
 */
#ifndef CLOBVAULT_ROTATION_H
#define CLOBVAULT_ROTATION_H

#include <stddef.h>
#include <stdint.h>

#include "common/vault_fmt.h"

#define ROT_ID_LEN	16		/* "rot-" and 12 hex digits */
#define ROT_REASON_MAX	100
#define ROT_NOTE_MAX	160
/* A note that begins so: an abort was deleting the new key (vaultctl). */
#define ROT_ABORTING	"aborting:"
/* A note that begins so: a run was deleting the old key (vaultctl). */
#define ROT_DELETING	"deleting:"
#define ROT_TRIES_MAX	5		/* failures of one step, then attention */
#define ROT_DRAIN_MAX	3600

/*
 * The step an entry names: what comes next.  An Omnia key ("omnia") is
 * rotated in place: create is the exchange's rotate, then verify, done.
 */
enum rot_step {
	ROT_CREATE,		/* create (or derive) the new key */
	ROT_VERIFY,		/* an L2 call signed with the new key */
	ROT_USE,		/* make it the active key */
	ROT_DELETE,		/* after the drain: delete the old key */
	ROT_DONE,		/* the last revision, then the entry goes */
	ROT_ABORTED,
	ROT_NSTEPS
};

struct rotation {
	char		kind[8];	/* "apikey", "builder" or "omnia" */
	enum rot_step	step;
	char		old_key[VAULT_MAX_NAME + 1];
	char		new_key[VAULT_MAX_NAME + 1];	/* "" until stored;
							   omnia: old_key */
	char		fp[17];		/* omnia: the old secret's
					   fingerprint, to see it replaced */
	char		builder_id[VAULT_MAX_NAME + 1];	/* builder: the
							   exchange's id */
	uint64_t	nonce;		/* apikey: the new key's L1 nonce;
					   builder: the vault's for it */
	uint64_t	tries;		/* failures of this step so far */
	uint64_t	resumes;
	int64_t		started;	/* unix seconds */
	int64_t		active_at;	/* the new key active since; 0: not */
	uint64_t	drain;		/* seconds between use and delete */
	char		reason[ROT_REASON_MAX + 1];
	char		note[ROT_NOTE_MAX + 1];	/* "": no attention needed */
};

/* "create", "verify", ...; NULL out of range. */
const char	*rotation_step_name(enum rot_step);
/* 1 if s is a rotation id: "rot-" and 12 lowercase hex digits. */
int		 rotation_id_valid(const char *s);
/* 1 if s may be a reason or a note: printable ASCII, at most max. */
int		 rotation_text_ok(const char *s, size_t max);
/*
 * Read an entry: exactly the members rotation_encode writes, each of its
 * type and range.  CV_ERR_INVALID with why.
 */
int		 rotation_parse(const char *p, size_t len, struct rotation *,
		    char *why, size_t whylen);
/* Write an entry, at most VAULT_MAX_JOURNAL bytes (CV_ERR_TOOBIG). */
int		 rotation_encode(const struct rotation *, char *out,
		    size_t outlen, size_t *len);

#endif
