/*
 * The audit log: one text line per record, fields separated by one TAB,
 * in this order (a field with no value is "-"):
 *
 *	seq time actor account op method path verdict key_id digest prev sig
 *
 * seq counts from 1 with no gaps; time is UTC "YYYY-MM-DDTHH:MM:SSZ";
 * digest is the hex BLAKE2b-256 of the canonical request; prev is the hex
 * BLAKE2b-256 of the whole previous line including its newline (64 zeros
 * on the first line), so `sed -n Np | b2sum -l 256` checks a link by hand.
 * A record whose op is "checkpoint" carries in key_id the hex Ed25519
 * public key and in sig the hex signature, by the audit key that only
 * signerd holds, of AUDIT_SIG_DOMAIN followed by the BLAKE2b-256 of the
 * line up to and including the TAB before sig: it commits to the
 * checkpoint's own seq and time and, through prev, to every earlier line.
 * No field ever holds a secret.
 *
 * Truncation: records after the last checkpoint are unsigned, and a log
 * cut at any point before it still verifies on its own.  So vaultd keeps
 * the seq and line hash of the latest checkpoint in the vault file header
 * (struct audit_anchor; authenticated there by the vault MAC), updated
 * with each checkpoint; audit_verify given that anchor fails with
 * AUDIT_FAULT_TRUNCATED if the log ends before it, and reports how many
 * records follow the last checkpoint so the unsigned tail is visible.
 */
#ifndef CV_AUDIT_H
#define CV_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/cv_err.h"
#include "common/secmem.h"

#define AUDIT_FIELDS		12
#define AUDIT_HASH_LEN		32		/* BLAKE2b-256 */
#define AUDIT_HEX_HASH		64
#define AUDIT_PK_LEN		32		/* Ed25519 */
#define AUDIT_SK_LEN		64
#define AUDIT_SIG_LEN		64
#define AUDIT_HEX_SIG		128
#define AUDIT_TIME_LEN		20
#define AUDIT_MAX_NAME		64		/* actor, account, key id */
#define AUDIT_MAX_OP		32
#define AUDIT_MAX_METHOD	10
#define AUDIT_MAX_PATH		512
#define AUDIT_MAX_VERDICT	16
#define AUDIT_LINE_MAX		1200		/* fits the longest record */
#define AUDIT_MAX_FILE		(1ULL << 32)

#define AUDIT_OP_CHECKPOINT	"checkpoint"
#define AUDIT_SIG_DOMAIN	"clobvault audit checkpoint v1"

/*
 * One record as text fields, each NUL-terminated and "-" when empty.
 * actor, account, key_id and path are printable ASCII without spaces;
 * op and verdict [a-z0-9_.-]; method upper-case letters; path starts with
 * '/'; digest, prev and sig lower-case hex.
 */
struct audit_rec {
	uint64_t	seq;
	char		time[AUDIT_TIME_LEN + 1];
	char		actor[AUDIT_MAX_NAME + 1];
	char		account[AUDIT_MAX_NAME + 1];
	char		op[AUDIT_MAX_OP + 1];
	char		method[AUDIT_MAX_METHOD + 1];
	char		path[AUDIT_MAX_PATH + 1];
	char		verdict[AUDIT_MAX_VERDICT + 1];
	char		key_id[AUDIT_MAX_NAME + 1];
	char		digest[AUDIT_HEX_HASH + 1];
	char		prev[AUDIT_HEX_HASH + 1];
	char		sig[AUDIT_HEX_SIG + 1];
};

/* Where a log ends: the last seq and the hash of its line (0 / zeros). */
struct audit_chain {
	uint64_t	seq;
	uint8_t		head[AUDIT_HASH_LEN];
};

/* The latest checkpoint as recorded in the vault header; seq 0: none. */
struct audit_anchor {
	uint64_t	seq;
	uint8_t		hash[AUDIT_HASH_LEN];
};

enum audit_fault {
	AUDIT_FAULT_NONE = 0,
	AUDIT_FAULT_MALFORMED,	/* a line does not parse: CV_ERR_CORRUPT */
	AUDIT_FAULT_EDITED,	/* a line's hash is not the next prev */
	AUDIT_FAULT_DELETED,	/* a seq is missing */
	AUDIT_FAULT_REORDERED,	/* a seq comes out of order or twice */
	AUDIT_FAULT_TRUNCATED,	/* the log ends before the anchor */
	AUDIT_FAULT_BADSIG	/* checkpoint unsigned, badly signed or by
				   another key: CV_ERR_BADSIG */
};

struct audit_report {
	uint64_t		records;	/* lines verified */
	uint64_t		checkpoints;
	uint64_t		last_checkpoint;	/* its seq, 0: none */
	uint64_t		unsigned_tail;	/* records after it */
	struct audit_chain	head;		/* resume appending here */
	enum audit_fault	fault;
	uint64_t		fault_line;	/* 1-based, 0 if none */
};

/* Every field "-", seq 0: a record to fill in. */
void	audit_rec_init(struct audit_rec *rec);

/* t as "YYYY-MM-DDTHH:MM:SSZ" into out.  CV_ERR_INVALID if out of range. */
int	audit_time_format(time_t t, char out[AUDIT_TIME_LEN + 1]) CV_WUR;

/*
 * The line of rec, newline included, into buf[0..max), its length in
 * *len (no NUL counted; one is written).  A checkpoint may have sig "-"
 * (the form sent to signerd).  CV_ERR_INVALID for a field out of its
 * syntax, CV_ERR_TOOLONG if max is too small.
 */
int	audit_record_format(const struct audit_rec *rec, char *buf,
	    size_t max, size_t *len) CV_WUR;

/*
 * Parse exactly one line, line[0..len) ending in its newline, into rec.
 * Strict: field count, syntax and bounds, canonical numbers, nothing
 * after the newline; formatting rec again gives the same bytes.
 * CV_ERR_CORRUPT otherwise.
 */
int	audit_record_parse(const char *line, size_t len, struct audit_rec *rec)
	    CV_WUR;

/* BLAKE2b-256 of line[0..len) (the whole line with its newline). */
void	audit_chain_hash(const char *line, size_t len,
	    uint8_t out[AUDIT_HASH_LEN]);

/* An empty log: seq 0, zero head. */
void	audit_chain_init(struct audit_chain *c);

/*
 * vaultd's append step: set rec->seq and rec->prev from c, format the
 * line into buf as audit_record_format, and advance c.  c is unchanged
 * on failure.  The caller writes and fsyncs the line.
 */
int	audit_chain_append(struct audit_chain *c, struct audit_rec *rec,
	    char *buf, size_t max, size_t *len) CV_WUR;

/*
 * A new audit key pair: the secret key (AUDIT_SK_LEN bytes, libsodium's
 * seed || public key form) into guarded memory the caller frees, the
 * public key into pk.
 */
int	audit_key_new(struct secret *sk, uint8_t pk[AUDIT_PK_LEN]) CV_WUR;

/* The key_id of a checkpoint by pk: its lower-case hex. */
void	audit_key_id(const uint8_t pk[AUDIT_PK_LEN],
	    char out[AUDIT_HEX_HASH + 1]);

/*
 * signerd's side: sign the checkpoint rec in place (rec->sig set).  Only
 * a well-formed checkpoint whose key_id names this key is signed; the
 * caller should also refuse a seq not above the last one it signed.
 * CV_ERR_INVALID otherwise.
 */
int	audit_checkpoint_sign(struct audit_rec *rec, const struct secret *sk)
	    CV_WUR;

/* 0 if the checkpoint rec is signed by pk, CV_ERR_BADSIG otherwise. */
int	audit_checkpoint_verify(const struct audit_rec *rec,
	    const uint8_t pk[AUDIT_PK_LEN]) CV_WUR;

/*
 * Verify the log buf[0..len) against the audit public key pk and, unless
 * NULL, the anchor from the vault header: every line parses, seqs run
 * 1, 2, ... with no gap, each prev is the hash of the line before, every
 * checkpoint is signed by pk, and the anchor's checkpoint is present and
 * unchanged.  rep says what was checked and, on failure, the fault and
 * the line where it shows.  Returns 0, CV_ERR_CORRUPT (malformed),
 * CV_ERR_BADSIG, or CV_ERR_TAMPERED (edited, deleted, reordered,
 * truncated: see rep->fault).
 */
int	audit_verify(const char *buf, size_t len,
	    const uint8_t pk[AUDIT_PK_LEN], const struct audit_anchor *anchor,
	    struct audit_report *rep) CV_WUR;

/* The same for the file at path (regular, not a symlink); CV_ERR_IO. */
int	audit_verify_file(const char *path, const uint8_t pk[AUDIT_PK_LEN],
	    const struct audit_anchor *anchor, struct audit_report *rep) CV_WUR;

/* A short description of a fault, for people. */
const char *audit_fault_str(enum audit_fault);

#endif
