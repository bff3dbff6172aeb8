/*
 * The vault file: its on-disk layout, a strict parser and encoder, and the
 * atomic file I/O.  This is vaultd's side: it handles ciphertext only and
 * needs no key.  Authentication (the wrapped master key, the sealed record
 * bodies, the whole-file MAC) is checked by signerd with vault_crypto.h.
 *
 * Layout, integers big-endian:
 *
 *	off  len  header
 *	0    8    magic "CLOBVLT\0"
 *	8    2    format version (1)
 *	10   2    flags (VAULT_FLAG_KEYFILE)
 *	12   16   vault id (random, fixed for the life of the vault)
 *	28   8    Argon2id opslimit (0 in keyfile mode)
 *	36   8    Argon2id memlimit in bytes (0 in keyfile mode)
 *	44   16   KDF salt
 *	60   24   XChaCha20 nonce of the wrapped master key
 *	84   48   wrapped master key: ciphertext (32) + Poly1305 tag (16)
 *	132  8    generation counter, +1 on every write
 *	140  8    audit anchor: seq of the last audit checkpoint (0: none)
 *	148  32   audit anchor: BLAKE2b-256 of that checkpoint's line
 *	180  4    record count
 *	184  16   header checksum: unkeyed BLAKE2b-128 of bytes 0..183
 *	200       records, each:
 *		  1  type, 1 flags, 1 account length, account,
 *		  1  key id length, key id, 8 nonce, 4 body length,
 *		  24 XChaCha20 nonce, body (ciphertext + 16-byte tag)
 *	len-32    MAC: BLAKE2b-256 keyed with a master-key subkey over
 *		  bytes 0..len-33
 *
 * The header checksum only catches accidental damage, so that a flipped
 * bit reads as "corrupt" rather than as a wrong passphrase; deliberate
 * edits are caught by the AEAD and the MAC.
 */
#ifndef CV_VAULT_FMT_H
#define CV_VAULT_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "common/cv_err.h"

#define VAULT_MAGIC		"CLOBVLT"	/* 8 bytes with its NUL */
#define VAULT_MAGIC_LEN		8
#define VAULT_VERSION		1

#define VAULT_FLAG_KEYFILE	0x0001		/* KEK from a keyfile */
#define VAULT_FLAGS_KNOWN	VAULT_FLAG_KEYFILE

#define VAULT_ID_LEN		16
#define VAULT_SALT_LEN		16
#define VAULT_NONCE_LEN		24		/* XChaCha20 */
#define VAULT_KEY_LEN		32
#define VAULT_TAG_LEN		16		/* Poly1305 */
#define VAULT_WRAPPED_LEN	(VAULT_KEY_LEN + VAULT_TAG_LEN)
#define VAULT_HASH_LEN		32
#define VAULT_MAC_LEN		32
#define VAULT_CKSUM_LEN		16

#define VAULT_WRAP_AD_LEN	60		/* header bytes 0..59 */
#define VAULT_HEADER_LEN	200
#define VAULT_MIN_FILE		(VAULT_HEADER_LEN + VAULT_MAC_LEN)

/* Bounds the parser enforces. */
#define VAULT_MAX_RECORDS	1024
#define VAULT_MAX_NAME		64		/* account name, key id */
#define VAULT_MAX_BODY		4096		/* plaintext of one record */
#define VAULT_MAX_JOURNAL	1000		/* a rotation's journal entry */
#define VAULT_MAX_OMNIA_SECRET	256		/* an Omnia key's secret */
#define VAULT_MAX_INFO		1024		/* a record's public info */
#define VAULT_MAX_INFO_LIST	512		/* ... in a listing, but for a
						   journal entry: 1,024 records
						   fit one message */
#define VAULT_MAX_POLICY	(256 * 1024)	/* of the policy record */
#define VAULT_MAX_FILE		(4 * 1024 * 1024)
#define VAULT_OPSLIMIT_MAX	32ULL
#define VAULT_MEMLIMIT_MAX	(4ULL * 1024 * 1024 * 1024)

/* The cleartext header of a record plus its AEAD nonce and body length. */
#define VAULT_REC_FIXED		(1 + 1 + 1 + 1 + 8 + 4 + VAULT_NONCE_LEN)
/* Record associated data: magic, version, vault id, cleartext header. */
#define VAULT_REC_AD_MAX	(VAULT_MAGIC_LEN + 2 + VAULT_ID_LEN + \
				 1 + 1 + 1 + VAULT_MAX_NAME + 1 + \
				 VAULT_MAX_NAME + 8 + 4)

enum vault_rec_type {
	VAULT_REC_ACCOUNT = 1,		/* profile, base URL, address */
	VAULT_REC_WALLET_KEY = 2,	/* secp256k1 private key */
	VAULT_REC_API_CRED = 3,		/* API key, secret, passphrase */
	VAULT_REC_BUILDER_CRED = 4,	/* builder key, secret, passphrase */
	VAULT_REC_INVITE = 5,		/* Openfish invitation code */
	VAULT_REC_AUDIT_KEY = 6,	/* Ed25519 checkpoint signing key */
	VAULT_REC_POLICY = 7,		/* the active policy's text */
	VAULT_REC_CLIENT = 8,		/* gateway client: key, secret,
					    passphrase; key id = its name */
	VAULT_REC_ROTATION = 9,		/* a key rotation's journal entry;
					    key id = the rotation id */
	VAULT_REC_MAX = VAULT_REC_ROTATION
};

/*
 * The policy record: one per vault, account POLICY_ACCOUNT, key id "",
 * nonce its version (monotonic, from 1), body the text as applied.  Not
 * secret, but sealed like the rest so that an edit is refused.
 */
#define POLICY_ACCOUNT		"@policy"

/* The largest plaintext a record of type may hold. */
size_t	vault_fmt_body_max(uint8_t type);

#define VAULT_RECF_REVOKED	0x01	/* kept for history, not for use */
#define VAULT_RECF_USED		0x02	/* an invitation code spent */
/*
 * The API or builder key that signs for its account: at most one of each
 * kind per account.  A vault written before the flag has none; an
 * account's only key of a kind then signs as if it were flagged.
 */
#define VAULT_RECF_ACTIVE	0x04
#define VAULT_RECF_KNOWN	(VAULT_RECF_REVOKED | VAULT_RECF_USED | \
				 VAULT_RECF_ACTIVE)

struct vault_hdr {
	uint16_t	version;
	uint16_t	flags;
	uint8_t		vault_id[VAULT_ID_LEN];
	uint64_t	opslimit;
	uint64_t	memlimit;
	uint8_t		salt[VAULT_SALT_LEN];
	uint8_t		wrap_nonce[VAULT_NONCE_LEN];
	uint8_t		wrapped_key[VAULT_WRAPPED_LEN];
	uint64_t	generation;
	uint64_t	audit_seq;
	uint8_t		audit_hash[VAULT_HASH_LEN];
};

/*
 * One record.  account and key_id are NUL-terminated, of the characters
 * [A-Za-z0-9._:@-]; account is never empty.  body is the sealed body
 * (ciphertext and tag), malloc'd and owned by the record.
 */
struct vault_rec {
	uint8_t		 type;
	uint8_t		 flags;
	char		 account[VAULT_MAX_NAME + 1];
	char		 key_id[VAULT_MAX_NAME + 1];
	uint64_t	 nonce;		/* the exchange's key nonce */
	uint8_t		 aead_nonce[VAULT_NONCE_LEN];
	uint8_t		*body;
	size_t		 body_len;
};

struct vault {
	struct vault_hdr	 hdr;
	struct vault_rec	*recs;
	size_t			 nrecs;
	uint8_t			 mac[VAULT_MAC_LEN];
};

/*
 * Parse the bytes of a vault file into v, which the caller frees with
 * vault_free() on success (on failure v is left empty).  Checks structure
 * only: magic, version, bounds, exact sizes, the header checksum, no
 * trailing bytes.  Returns 0, CV_ERR_FORMAT_VERSION for an unknown version,
 * CV_ERR_CORRUPT for anything truncated or malformed, CV_ERR_NOMEM.
 */
int	vault_fmt_parse(const uint8_t *buf, size_t len, struct vault *v)
	    CV_WUR;

/*
 * Encode v into a malloc'd buffer *out of *outlen bytes (caller frees),
 * ending with v->mac as it stands; the header checksum is computed here.
 * Refuses (CV_ERR_INVALID) anything vault_fmt_parse would refuse.
 */
int	vault_fmt_encode(const struct vault *v, uint8_t **out, size_t *outlen)
	    CV_WUR;

/* Free the records of v and empty it; accepts an empty vault. */
void	vault_free(struct vault *v);

/*
 * Append a copy of rec (body duplicated) to v.  CV_ERR_TOOLONG past
 * VAULT_MAX_RECORDS, CV_ERR_INVALID if the record is malformed.
 */
int	vault_add_record(struct vault *v, const struct vault_rec *rec) CV_WUR;

/* Remove record i (body freed), keeping the order of the others. */
int	vault_del_record(struct vault *v, size_t i) CV_WUR;

/* Index of the first record of that type, account and key id, or -1. */
long	vault_find_record(const struct vault *v, uint8_t type,
	    const char *account, const char *key_id);

/* 1 if s[0..len) is a valid account name or key id (len 0 excluded). */
int	vault_fmt_name_valid(const char *s, size_t len);
/* 1 if s (len bytes) is an Omnia key's secret: 1 to VAULT_MAX_OMNIA_SECRET
 * printable ASCII bytes, no space. */
int	vault_fmt_omnia_secret_valid(const void *s, size_t len);

/* The associated data of the wrapped master key: header bytes 0..59. */
void	vault_fmt_wrap_ad(const struct vault_hdr *h,
	    uint8_t ad[VAULT_WRAP_AD_LEN]);

/*
 * An API or builder key's body may end in NUL "created=T", T the unix
 * second signerd stored it (a third part: "secret NUL passphrase NUL
 * created=T", Omnia's "secret NUL permissions NUL created=T").  The
 * body's length without it, and T into *created (0 when there is none;
 * created may be NULL).
 */
#define VAULT_CREATED_TAG	"created="
size_t	vault_fmt_cred_len(const uint8_t *p, size_t len, int64_t *created);

/* A journal entry's text: 1..VAULT_MAX_JOURNAL bytes of 0x20..0x7e. */
int	vault_fmt_journal_valid(const uint8_t *p, size_t len);

/*
 * The associated data of a record body into ad (VAULT_REC_AD_MAX bytes):
 * magic, version and vault id, then the record's cleartext header with
 * body_len as given.  Returns its length, 0 if rec is malformed.
 */
size_t	vault_fmt_rec_ad(const struct vault_hdr *h, const struct vault_rec *rec,
	    uint8_t ad[VAULT_REC_AD_MAX]);

/*
 * Read a vault file into a malloc'd *buf (caller frees).  The file must be
 * a regular file (not a symlink) owned by the caller and closed to group
 * and others: otherwise CV_ERR_PERM with the fix logged (chmod 600).
 * CV_ERR_NOTFOUND if absent, CV_ERR_CORRUPT over VAULT_MAX_FILE,
 * CV_ERR_IO otherwise.
 */
int	vault_fmt_read(const char *path, uint8_t **buf, size_t *len) CV_WUR;

/*
 * Replace the file name (no '/') in directory dirfd by buf atomically: a
 * temporary file in the same directory, created 0600 with O_EXCL, written
 * in full, fsync'd, renamed over name, then the directory fsync'd.  On any
 * failure before the rename the temporary file is removed and the old
 * file is untouched: CV_ERR_NOSPACE when the disk or quota is full,
 * CV_ERR_IO otherwise.  After the rename, a directory that cannot be
 * synced is fatal: the new file is in place.
 */
int	vault_fmt_write_atomic(int dirfd, const char *name, const uint8_t *buf,
	    size_t len) CV_WUR;

/* The same for a path: its directory is opened for the caller. */
int	vault_fmt_write_file(const char *path, const uint8_t *buf, size_t len)
	    CV_WUR;

/*
 * Remove the temporary files of name (".NAME.XXXXXXXX.tmp", regular
 * files) in directory dir that a vault_fmt_write_atomic left when its
 * process died before the rename: each is a whole copy of what was
 * being written.  Each removal is logged; only for a process that holds
 * the directory's writers off (vaultd, under its home lock).  The
 * number removed, or -1 if dir cannot be read.
 */
int	vault_fmt_tmp_sweep(const char *dir, const char *name);

/*
 * Tests only: make the next vault_fmt_write_atomic fail at step (1 write,
 * 2 fsync, 3 rename, 4 the directory's fsync) as if the system call had
 * set errno to err.
 */
void	vault_fmt_test_fail(int step, int err);

#endif
