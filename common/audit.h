/*
 * The audit log: one text line per record, fields separated by one TAB,
 * in this order (a field with no value is "-"):
 *
 *	seq time actor account op method path verdict key_id gen digest
 *	prev sig
 *
 * seq counts from 1 with no gaps; time is UTC "YYYY-MM-DDTHH:MM:SSZ";
 * gen is a vault generation in decimal: on a checkpoint, the generation
 * of the vault file that will carry it as its anchor; on a write-ahead
 * intent (verdict "intent") and on its outcome ("ok", "written" or
 * "fail"), the generation the vault write makes.  digest is the hex
 * audit_request_digest of a signing request; prev is the hex BLAKE2b-256
 * of the whole previous line including its newline (64 zeros on the
 * first line), so `sed -n Np | b2sum -l 256` checks a link by hand.
 * A record whose op is "checkpoint" carries in key_id the hex Ed25519
 * public key and in sig the hex signature, by the audit key that only
 * signerd holds, of AUDIT_SIG_DOMAIN followed by the BLAKE2b-256 of the
 * line up to and including the TAB before sig: it commits to the
 * checkpoint's own seq, time and gen and, through prev, to every earlier
 * line.  A checkpoint's digest is "-" or the BLAKE2b-256 of the budgets
 * file vaultd wrote for it (vaultd/vaultd_budget.c), so the signature
 * binds that file to this log and key; logs of earlier builds have "-"
 * there and verify as before.  No field ever holds a secret.
 *
 * Fields from a peer never make a line fail to format: the audit_field_*
 * functions map names and words to their syntax and escape a method or
 * a path that is not of its syntax ('!' first, then every byte outside
 * it as %XX, '~' last if the field had to be cut); the digest still
 * covers the bytes as received.
 *
 * The request digest is BLAKE2b-256 of these canonical bytes, integers
 * big-endian, each variable field preceded by its length as a u32:
 *
 *	"clobvault request v1" NUL
 *	u64 auth level (catalog.h: 1 L1, 2 L2, 3 builder; others as sent)
 *	u32 len, method    u32 len, path with its query, as sent
 *	u32 len, body      u64 L1 nonce
 *	u32 len, timestamp (the decimal seconds signerd receives)
 *
 * so two requests whose signatures authorise different things never
 * share a digest.
 *
 * Segments: the log is `audit.log` plus, once it has rotated, the older
 * segments `audit.log.000001`, `audit.log.000002`, ... in that order; the
 * chain runs on across files (seq and prev continue), and rotation
 * happens right after a checkpoint, so every segment ends with one.
 *
 * Truncation: records after the last checkpoint are unsigned, and a log
 * cut at any point before it still verifies on its own.  So vaultd keeps
 * the seq and line hash of the latest checkpoint in the vault file header
 * (struct audit_anchor; authenticated there by the vault MAC), updated
 * with each checkpoint; audit_verify given that anchor fails with
 * AUDIT_FAULT_TRUNCATED if the log ends before it, and reports how many
 * records follow the last checkpoint so the unsigned tail is visible.
 * audit_gen_check at unlock cross-checks the vault's generation and
 * anchor with the log in both directions (rollback of either file).
 */
#ifndef CV_AUDIT_H
#define CV_AUDIT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/cv_err.h"
#include "common/secmem.h"

#define AUDIT_FIELDS		13
#define AUDIT_HASH_LEN		32		/* BLAKE2b-256 */
#define AUDIT_HEX_HASH		64
#define AUDIT_PK_LEN		32		/* Ed25519 */
#define AUDIT_SK_LEN		64
#define AUDIT_SIG_LEN		64
#define AUDIT_HEX_SIG		128
#define AUDIT_TIME_LEN		20
#define AUDIT_MAX_NAME		64		/* actor, account, key id */
#define AUDIT_MAX_OP		32
#define AUDIT_METHOD_PLAIN	10		/* [A-Z]{1,10} as it is */
#define AUDIT_METHOD_SRC	16		/* bytes an escaped form keeps */
#define AUDIT_MAX_METHOD	(2 + 3 * AUDIT_METHOD_SRC)
#define AUDIT_MAX_PATH		512
#define AUDIT_MAX_VERDICT	16
#define AUDIT_MAX_GEN		20
#define AUDIT_LINE_MAX		1200		/* fits the longest record */
#define AUDIT_SEGMENT_MAX	(64ULL << 20)	/* rotate past this size */

#define AUDIT_OP_CHECKPOINT	"checkpoint"
#define AUDIT_SIG_DOMAIN	"clobvault audit checkpoint v2"
#define AUDIT_REQ_DOMAIN	"clobvault request v1"
#define AUDIT_V_INTENT		"intent"	/* write-ahead: before a write */
#define AUDIT_V_OK		"ok"
#define AUDIT_V_WRITTEN		"written"	/* on disk, op reported failed */
#define AUDIT_V_FAIL		"fail"

/*
 * One record as text fields, each NUL-terminated and "-" when empty.
 * actor, account and key_id are printable ASCII without spaces; op and
 * verdict [a-z0-9_.-]; method [A-Z]{1,10} or its escaped form; path
 * '/' then printable ASCII, or its escaped form; gen a decimal number;
 * digest, prev and sig lower-case hex.
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
	char		gen[AUDIT_MAX_GEN + 1];
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

/* What a signature authorises, for audit_request_digest. */
struct audit_req {
	uint64_t	 level;
	const char	*method;
	size_t		 methodlen;
	const char	*path;		/* with its query, as sent */
	size_t		 pathlen;
	const uint8_t	*body;
	size_t		 bodylen;
	uint64_t	 nonce;		/* the L1 nonce */
	const char	*timestamp;	/* NUL-terminated */
	/*
	 * What else the signature is made with: SIGN_F_* (the body's orders
	 * signed by the wallet, for the neg-risk exchange or not) and the
	 * API key named (NULL or "": the account's active one).  Hashed
	 * only when one is set, so that a request without either keeps the
	 * digest it always had.
	 */
	uint64_t	 flags;
	const char	*key_id;
};

enum audit_fault {
	AUDIT_FAULT_NONE = 0,
	AUDIT_FAULT_MALFORMED,	/* a line does not parse: CV_ERR_CORRUPT */
	AUDIT_FAULT_EDITED,	/* a line's hash is not the next prev */
	AUDIT_FAULT_DELETED,	/* a seq or a segment is missing */
	AUDIT_FAULT_REORDERED,	/* a seq comes out of order or twice */
	AUDIT_FAULT_TRUNCATED,	/* the log ends before the anchor */
	AUDIT_FAULT_BADSIG	/* checkpoint unsigned, badly signed or by
				   another key: CV_ERR_BADSIG */
};

struct audit_report {
	uint64_t		records;	/* lines verified */
	uint64_t		checkpoints;
	uint64_t		last_checkpoint;	/* its seq, 0: none */
	uint8_t			last_hash[AUDIT_HASH_LEN];	/* its line's */
	uint64_t		unsigned_tail;	/* records after it */
	uint64_t		segments;	/* files read */
	struct audit_chain	head;		/* resume appending here */
	enum audit_fault	fault;
	uint64_t		fault_line;	/* 1-based in its file, 0: none */
	char			fault_file[32];	/* "audit.log.000002", or "" */
	/* Write-ahead intents with no outcome: a crash mid-write. */
	uint64_t		interrupted;
	uint64_t		interrupted_line;	/* the first one's */
	char			interrupted_file[32];
};

/* Every field "-", seq 0: a record to fill in. */
void	audit_rec_init(struct audit_rec *rec);

/* t as "YYYY-MM-DDTHH:MM:SSZ" into out.  CV_ERR_INVALID if out of range. */
int	audit_time_format(time_t t, char out[AUDIT_TIME_LEN + 1]) CV_WUR;
/*
 * 1 if s (n bytes) is "YYYY-MM-DDTHH:MM:SSZ", a real UTC calendar time
 * from 1970, with *t (unless NULL) its seconds; else 0.
 */
int	audit_time_parse(const char *s, size_t n, time_t *t);

/*
 * Fill a field of rec from bytes a peer chose; never fails.  A name
 * (actor, account, key id) keeps printable ASCII without spaces, any
 * other byte becomes '_', cut to size - 1; a word (op, verdict) the same
 * with [a-z0-9_.-]; NULL or "" gives "-".  A method of [A-Z]{1,10} is
 * kept as it is, any other (lower case, empty, too long, any other byte)
 * is "!" followed by its first AUDIT_METHOD_SRC bytes, those outside
 * [A-Z] as %XX, and "~" if it was longer.  A path of '/' and printable
 * ASCII that fits is kept, any other is "!" followed by its bytes with
 * those outside printable ASCII and '%', '~' as %XX, cut with "~" to fit.
 */
void	audit_field_name(char *dst, size_t size, const char *src);
void	audit_field_word(char *dst, size_t size, const char *src);
void	audit_field_method(char dst[AUDIT_MAX_METHOD + 1], const char *src,
	    size_t len);
void	audit_field_path(char dst[AUDIT_MAX_PATH + 1], const char *src,
	    size_t len);
/* gen as decimal into rec->gen. */
void	audit_field_gen(struct audit_rec *rec, uint64_t gen);
/* rec->gen as a number: 0 and *gen set, or CV_ERR_INVALID for "-". */
int	audit_rec_gen(const struct audit_rec *rec, uint64_t *gen) CV_WUR;

/* The number of TAB-separated fields of line[0..len). */
size_t	audit_line_fields(const char *line, size_t len);
/*
 * 1 if the op field of line[0..len) (its fifth) is op, without parsing
 * the line: a reader after one kind of record skips the others cheaply.
 * The line still has to parse to be read.
 */
int	audit_line_op_is(const char *line, size_t len, const char *op);

/* The request digest (canonical bytes above) into out. */
void	audit_request_digest(const struct audit_req *req,
	    uint8_t out[AUDIT_HASH_LEN]);

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

/* 1 if rec is a checkpoint. */
int	audit_rec_is_checkpoint(const struct audit_rec *rec);

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
 * a well-formed checkpoint whose key_id names this key and that states a
 * generation is signed; the caller should also refuse a seq not above
 * the last one it signed and a gen other than the one it writes.
 * CV_ERR_INVALID otherwise.
 */
int	audit_checkpoint_sign(struct audit_rec *rec, const struct secret *sk)
	    CV_WUR;

/* 0 if the checkpoint rec is signed by pk, CV_ERR_BADSIG otherwise. */
int	audit_checkpoint_verify(const struct audit_rec *rec,
	    const uint8_t pk[AUDIT_PK_LEN]) CV_WUR;

/*
 * Streaming verification, one line at a time, across segments: every
 * line parses, seqs run 1, 2, ... with no gap, each prev is the hash of
 * the line before, every checkpoint is signed by pk, the anchor's
 * checkpoint (unless NULL or seq 0) is present and unchanged, and every
 * write-ahead intent has its outcome (else it counts as interrupted: a
 * report, not a fault).  audit_verify_line returns 0 to go on, or the
 * code of the first fault; audit_verify_end the final code.
 */
struct audit_verifier {
	uint8_t			pk[AUDIT_PK_LEN];
	struct audit_anchor	anchor;
	struct audit_report	*rep;
	const char		*file;		/* name for reports */
	uint64_t		line;		/* in the current file */
	int			done;		/* a fault was found */
	int			code;
	uint64_t		missing;	/* a gap: looking for this seq */
	uint64_t		missing_line;
	char			missing_file[32];
	int			intent;		/* an intent is open */
	uint64_t		intent_line;
	char			intent_file[32];
	struct audit_rec	intent_rec;
};
void	audit_verify_init(struct audit_verifier *v,
	    const uint8_t pk[AUDIT_PK_LEN], const struct audit_anchor *anchor,
	    struct audit_report *rep);
/* The lines that follow are of the file called name (for reports). */
void	audit_verify_file_start(struct audit_verifier *v, const char *name);
int	audit_verify_line(struct audit_verifier *v, const char *line,
	    size_t len) CV_WUR;
int	audit_verify_end(struct audit_verifier *v) CV_WUR;

/*
 * Verify the log buf[0..len) (one file) against the audit public key pk
 * and, unless NULL, the anchor from the vault header.  rep says what
 * was checked and, on failure, the fault and the line where it shows.
 * Returns 0, CV_ERR_CORRUPT (malformed), CV_ERR_BADSIG, or
 * CV_ERR_TAMPERED (edited, deleted, reordered, truncated: rep->fault).
 */
int	audit_verify(const char *buf, size_t len,
	    const uint8_t pk[AUDIT_PK_LEN], const struct audit_anchor *anchor,
	    struct audit_report *rep) CV_WUR;

/*
 * The same for the whole log whose current file is path (a regular file,
 * not a symlink): its segments path.000001 ... in order, then path; a
 * missing segment is AUDIT_FAULT_DELETED.  Read as a stream, never whole.
 * CV_ERR_IO, CV_ERR_NOTFOUND if neither path nor a segment exists.
 */
int	audit_verify_file(const char *path, const uint8_t pk[AUDIT_PK_LEN],
	    const struct audit_anchor *anchor, struct audit_report *rep) CV_WUR;
struct audit_log;
/*
 * The same for a log already scanned (audit_log_scan), its current file
 * read from lastfd and only its first lastmax bytes (audit_iter_bound;
 * lastfd -1: it was absent, -2: read whole by its path).  Closes lastfd.
 * Logs nothing: a thread may call it.
 */
int	audit_verify_log(const struct audit_log *log, int lastfd,
	    uint64_t lastmax, const uint8_t pk[AUDIT_PK_LEN],
	    const struct audit_anchor *anchor, struct audit_report *rep) CV_WUR;

/* A short description of a fault, for people. */
const char *audit_fault_str(enum audit_fault);

/*
 * What a verification found, for people, into text: "audit log verified:
 * N records in F files, ..." and any interrupted vault writes, or "audit
 * log FAILED verification: FAULT at FILE line L", or why the log could
 * not be read.  r is what audit_verify_file returned.
 */
void	audit_report_text(int r, const struct audit_report *rep, char *text,
	    size_t len);

/*
 * The files of the log whose current file is path: segments numbered
 * 1..nseg (audit_log_segment names them), then path itself.
 * audit_log_scan counts them; a number missing between the lowest and
 * the highest is reported in *gap (0: none).  The current file may be
 * absent (a crash mid-rotation).
 */
struct audit_log {
	char		path[PATH_MAX];
	uint64_t	nseg;
	uint64_t	gap;
};
int	audit_log_scan(const char *path, struct audit_log *log) CV_WUR;
/* The path of file i: 1..nseg a segment, nseg + 1 the current file. */
int	audit_log_file(const struct audit_log *log, uint64_t i, char *out,
	    size_t outlen) CV_WUR;

/*
 * Reading a log's lines in order across its files, in 64 KiB reads.
 * A line longer than AUDIT_LINE_MAX comes back cut, and a last line with
 * no newline as it is: neither parses.
 */
struct audit_iter {
	const struct audit_log	*log;
	uint64_t		 file;		/* 1..nseg + 1 */
	int			 fd;
	char			 name[32];	/* of the current file */
	uint64_t		 line;		/* in the current file */
	char			 buf[65536];
	size_t			 off, len;
	char			 linebuf[AUDIT_LINE_MAX + 2];
	int			 newfile;	/* the last line began a file */
	int			 bounded;	/* audit_iter_bound was called */
	int			 lastfd;	/* its fd, until the iterator
						   reaches the current file */
	uint64_t		 lastleft;	/* bytes of it still to read */
};
/* Start at file first (1-based; 1 for the whole log). */
int	audit_iter_open(struct audit_iter *it, const struct audit_log *log,
	    uint64_t first) CV_WUR;
/*
 * A snapshot of a log that grows while it is read: the current file is
 * read from fd (opened by its writer; -1: it was absent) and only its
 * first max bytes, so a line being written, or a rotation that renames
 * the file, does not change what is read.  The iterator closes fd.
 */
void	audit_iter_bound(struct audit_iter *it, int fd, uint64_t max);
/* The next line: 1 and *line, *len; 0 at the end; or an error. */
int	audit_iter_next(struct audit_iter *it, const char **line, size_t *len)
	    CV_WUR;
void	audit_iter_close(struct audit_iter *it);

/*
 * The cross-check of a vault (its authenticated generation, its anchor)
 * with the log at unlock, fed the log's records from the file that holds
 * the anchor on (earlier ones are skipped).  The anchor's checkpoint must
 * be in the log, unchanged, stating the generation that carried it; the
 * write attempts after it (intents and checkpoints, each naming the
 * generation it makes) must follow on from it, and the vault must be at
 * exactly the generation they reach.  An attempt's success is its outcome
 * record, or the generation the next attempt names, or for the last one
 * the vault's own generation — except a checkpoint, which written would
 * be the anchor: so the log may be one unwritten checkpoint ahead.
 * Refusals: AUDIT_GEN_VAULT_OLDER (the log shows writes the vault does
 * not have), AUDIT_GEN_LOG_OLDER (the vault has writes, or an anchor, the
 * log does not show), AUDIT_GEN_MISMATCH (they do not belong together).
 */
enum audit_gen_verdict {
	AUDIT_GEN_OK = 0,
	AUDIT_GEN_VAULT_OLDER,
	AUDIT_GEN_LOG_OLDER,
	AUDIT_GEN_MISMATCH
};
struct audit_gen_check {
	struct audit_anchor	anchor;
	uint64_t		vault_gen;
	char			key_id[AUDIT_HEX_HASH + 1];
	int			found;		/* passed the anchor */
	uint64_t		cur;		/* generation the log implies */
	int			open;		/* an attempt not yet resolved */
	int			open_ckpt;
	int			open_outcome;	/* -1 none, 0 fail, 1 written */
	uint64_t		open_gen;
	uint64_t		open_seq;
	struct audit_rec	open_rec;
	enum audit_gen_verdict	verdict;
	uint64_t		bad_seq;	/* where it shows, 0: end */
	uint64_t		last_checkpoint;	/* the log's latest */
	uint8_t			last_hash[AUDIT_HASH_LEN];
};
void	audit_gen_init(struct audit_gen_check *g,
	    const struct audit_anchor *anchor, uint64_t vault_gen,
	    const uint8_t pk[AUDIT_PK_LEN]);
/* One record in order, with its line hash; 0 to go on, 1 when decided. */
int	audit_gen_record(struct audit_gen_check *g, const struct audit_rec *r,
	    const uint8_t hash[AUDIT_HASH_LEN]);
/* After the last record: the verdict. */
enum audit_gen_verdict audit_gen_end(struct audit_gen_check *g);

#endif
