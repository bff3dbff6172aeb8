/*
 * The vault's cryptography, signerd's side: the KEK from a passphrase
 * (Argon2id) or a keyfile, the wrapped master key, sealed record bodies
 * and the whole-file MAC.  No file system access: bytes come in and go
 * out through the caller.  Every key and plaintext lives in guarded memory
 * (common/secmem.h) and is wiped on every path.
 *
 * Keys: the master key (random, 32 bytes) is wrapped with XChaCha20-
 * Poly1305 under the KEK, the associated data being header bytes 0..59
 * (magic, version, flags, vault id, KDF parameters, salt).  Two subkeys
 * come from it with crypto_kdf (context "clobvlt1"): 1 seals record bodies,
 * 2 keys the BLAKE2b file MAC.  A passphrase change rewraps the master key
 * only, so records are untouched; a rekey makes a new master key, and
 * its caller reseals every record.
 */
#ifndef CV_VAULT_CRYPTO_H
#define CV_VAULT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/cv_err.h"
#include "common/secmem.h"
#include "common/vault_fmt.h"

#define VAULT_MAX_PASS		1024
#define VAULT_KEYFILE_LEN	32	/* random bytes */
#define VAULT_KEYFILE_TEXT	64	/* their lowercase hex in the file */

enum vault_kdf_level {
	VAULT_KDF_MIN,			/* tests only */
	VAULT_KDF_INTERACTIVE,
	VAULT_KDF_MODERATE,
	VAULT_KDF_SENSITIVE
};

/*
 * What unlocks a vault: a passphrase (1..VAULT_MAX_PASS bytes) or, with
 * keyfile set, the VAULT_KEYFILE_LEN bytes from vault_crypto_keyfile_key.
 * p is borrowed, and should point into guarded memory.
 */
struct vault_cred {
	int		 keyfile;
	const uint8_t	*p;
	size_t		 len;
};

/*
 * An unlocked vault's keys, in one guarded allocation: the master key,
 * the record key and the MAC key.  vault_id ties them to their file.
 */
struct vault_keys {
	struct secret	s;
	uint8_t		vault_id[VAULT_ID_LEN];
};

/*
 * Argon2id opslimit and memlimit (bytes) for a level, libsodium's
 * INTERACTIVE / MODERATE / SENSITIVE, or its minimum for tests.
 * CV_ERR_INVALID for an unknown level.
 */
int	vault_kdf_params(enum vault_kdf_level, uint64_t *ops, uint64_t *mem)
	    CV_WUR;

/*
 * Start a new vault: fill h (version, flags from the credential, a random
 * vault id and salt, ops/mem, which must be 0 for a keyfile, generation 0,
 * no audit anchor), make a random master key into keys and wrap it.
 * The caller frees keys with vault_keys_free.  CV_ERR_INVALID on bad
 * parameters, CV_ERR_NOMEM.
 */
int	vault_crypto_create(struct vault_hdr *h, const struct vault_cred *c,
	    uint64_t ops, uint64_t mem, struct vault_keys *keys) CV_WUR;

/*
 * Unwrap the master key of h with c into keys (freed by the caller with
 * vault_keys_free; left empty on failure).  CV_ERR_BADPASS if the
 * passphrase or keyfile is wrong (or the header was forged),
 * CV_ERR_INVALID if c is of the other kind than the vault uses.
 */
int	vault_crypto_unlock(const struct vault_hdr *h,
	    const struct vault_cred *c, struct vault_keys *keys) CV_WUR;

/*
 * Change what unlocks h: unwrap with old, then wrap the same master key
 * under newc with a fresh salt and ops/mem (0 for a keyfile).  Records
 * stay as they are; the caller re-encodes and re-MACs the file.  h is
 * changed only on success.  CV_ERR_BADPASS if old is wrong.
 */
int	vault_crypto_rewrap(struct vault_hdr *h, const struct vault_cred *old,
	    const struct vault_cred *newc, uint64_t ops, uint64_t mem) CV_WUR;

/*
 * Make a new master key for h: unwrap with c (proof that it is what
 * unlocks h), then a random master key and its subkeys into newkeys,
 * wrapped under c with a fresh salt at h's ops/mem.  The vault id stays.
 * The caller reseals every record with newkeys and re-MACs the file; it
 * frees newkeys with vault_keys_free (empty on failure).  h is changed
 * only on success.  CV_ERR_BADPASS if c is wrong, CV_ERR_INVALID if it
 * is of the other kind than the vault uses.
 */
int	vault_crypto_rekey(struct vault_hdr *h, const struct vault_cred *c,
	    struct vault_keys *newkeys) CV_WUR;

/* Wipe and free the keys; accepts empty keys. */
void	vault_keys_free(struct vault_keys *keys);

/*
 * Seal pt[0..ptlen) (1..vault_fmt_body_max(rec->type) bytes) into rec, whose cleartext
 * fields the caller has set: a fresh random nonce, body_len, and a
 * malloc'd body replacing rec->body.  h gives the vault id bound into the
 * associated data.  CV_ERR_INVALID for a malformed record.
 */
int	vault_crypto_seal(const struct vault_keys *keys,
	    const struct vault_hdr *h, struct vault_rec *rec, const uint8_t *pt,
	    size_t ptlen) CV_WUR;

/*
 * Open the body of rec into pt, allocated here in guarded memory and
 * freed by the caller with secret_free.  CV_ERR_TAMPERED if the body or
 * any cleartext field it is bound to was changed.
 */
int	vault_crypto_open(const struct vault_keys *keys,
	    const struct vault_hdr *h, const struct vault_rec *rec,
	    struct secret *pt) CV_WUR;

/* The file MAC of buf[0..len) into mac. */
void	vault_crypto_mac(const struct vault_keys *keys, const uint8_t *buf,
	    size_t len, uint8_t mac[VAULT_MAC_LEN]);

/*
 * Authenticate the encoded vault buf[0..len): it must parse, belong to
 * these keys, carry a valid MAC, have every record open, and have a
 * generation of at least min_generation (the one the caller last saw;
 * 0 to skip).  Returns 0, the parse error, or CV_ERR_TAMPERED.
 */
int	vault_crypto_verify(const struct vault_keys *keys, const uint8_t *buf,
	    size_t len, uint64_t min_generation) CV_WUR;

/*
 * Write the MAC into the last VAULT_MAC_LEN bytes of the encoded vault
 * buf, after checking that it parses, belongs to these keys and that
 * every record opens: signerd authenticates only a vault it can read.
 */
int	vault_crypto_seal_file(const struct vault_keys *keys, uint8_t *buf,
	    size_t len) CV_WUR;

/*
 * Unlock: parse buf, unwrap with c and verify as vault_crypto_verify.
 * On success v (vault_free) and keys (vault_keys_free) belong to the
 * caller; on failure both are empty.
 */
int	vault_crypto_load(const uint8_t *buf, size_t len,
	    const struct vault_cred *c, uint64_t min_generation,
	    struct vault *v, struct vault_keys *keys) CV_WUR;

/*
 * A new keyfile's content into text (guarded, caller frees): the hex of
 * VAULT_KEYFILE_LEN random bytes and a newline.
 */
int	vault_crypto_keyfile_new(struct secret *text) CV_WUR;

/*
 * The key in a keyfile's content (exactly VAULT_KEYFILE_TEXT hex digits,
 * one newline allowed after) into key (guarded, caller frees).
 * CV_ERR_DECODE if it is not a keyfile.
 */
int	vault_crypto_keyfile_key(const uint8_t *text, size_t len,
	    struct secret *key) CV_WUR;

#endif
