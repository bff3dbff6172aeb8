#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/encode.h"
#include "common/vault_crypto.h"

/* Offsets of the three keys in struct vault_keys. */
#define K_MASTER	0
#define K_RECORD	VAULT_KEY_LEN
#define K_MAC		(2 * VAULT_KEY_LEN)
#define K_TOTAL		(3 * VAULT_KEY_LEN)

#define KDF_CONTEXT	"clobvlt1"
#define SUBKEY_RECORD	1
#define SUBKEY_MAC	2

/* Domain of the keyfile KEK, so the keyfile key is used for nothing else. */
#define KEYFILE_DOMAIN	"clobvault keyfile KEK v1"

static int	cred_valid(const struct vault_cred *, uint64_t, uint64_t);
static int	kek_derive(const struct vault_hdr *, const struct vault_cred *,
		    struct secret *) CV_WUR;
static int	keys_alloc(struct vault_keys *, const struct vault_hdr *)
		    CV_WUR;
static void	keys_derive(struct vault_keys *);
static int	wrap(struct vault_hdr *, const struct vault_cred *,
		    const struct vault_keys *) CV_WUR;
static int	check_file(const struct vault_keys *, const uint8_t *, size_t,
		    int, uint64_t) CV_WUR;

int
vault_kdf_params(enum vault_kdf_level lvl, uint64_t *ops, uint64_t *mem)
{
	switch (lvl) {
	case VAULT_KDF_MIN:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_MIN;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_MIN;
		return 0;
	case VAULT_KDF_INTERACTIVE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
		return 0;
	case VAULT_KDF_MODERATE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
		return 0;
	case VAULT_KDF_SENSITIVE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
		return 0;
	}
	return CV_ERR_INVALID;
}

/* A credential and the KDF parameters that go with it, as the parser allows. */
static int
cred_valid(const struct vault_cred *c, uint64_t ops, uint64_t mem)
{
	if (c == NULL || c->p == NULL)
		return 0;
	if (c->keyfile)
		return c->len == VAULT_KEYFILE_LEN && ops == 0 && mem == 0;
	return c->len > 0 && c->len <= VAULT_MAX_PASS &&
	    ops >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
	    ops <= VAULT_OPSLIMIT_MAX &&
	    mem >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
	    mem <= VAULT_MEMLIMIT_MAX && (uint64_t)(size_t)mem == mem;
}

/* The KEK for h and c into kek (guarded; the caller frees). */
static int
kek_derive(const struct vault_hdr *h, const struct vault_cred *c,
    struct secret *kek)
{
	crypto_generichash_state	st;
	int				r;

	if ((r = secret_alloc(kek, VAULT_KEY_LEN)) != 0)
		return r;
	if (c->keyfile) {
		/* A keyfile is already uniformly random: no stretching. */
		crypto_generichash_init(&st, c->p, c->len, kek->len);
		crypto_generichash_update(&st, (const uint8_t *)KEYFILE_DOMAIN,
		    sizeof(KEYFILE_DOMAIN));
		crypto_generichash_update(&st, h->vault_id,
		    sizeof(h->vault_id));
		crypto_generichash_update(&st, h->salt, sizeof(h->salt));
		crypto_generichash_final(&st, kek->p, kek->len);
		sodium_memzero(&st, sizeof(st));
		return 0;
	}
	/* Fails only when the memory cannot be had. */
	if (crypto_pwhash(kek->p, kek->len, (const char *)c->p, c->len,
	    h->salt, h->opslimit, (size_t)h->memlimit,
	    crypto_pwhash_ALG_ARGON2ID13) != 0) {
		secret_free(kek);
		return CV_ERR_NOMEM;
	}
	return 0;
}

static int
keys_alloc(struct vault_keys *k, const struct vault_hdr *h)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->vault_id, h->vault_id, sizeof(k->vault_id));
	return secret_alloc(&k->s, K_TOTAL);
}

/* The record and MAC subkeys from the master key. */
static void
keys_derive(struct vault_keys *k)
{
	crypto_kdf_derive_from_key(k->s.p + K_RECORD, VAULT_KEY_LEN,
	    SUBKEY_RECORD, KDF_CONTEXT, k->s.p + K_MASTER);
	crypto_kdf_derive_from_key(k->s.p + K_MAC, VAULT_KEY_LEN,
	    SUBKEY_MAC, KDF_CONTEXT, k->s.p + K_MASTER);
}

void
vault_keys_free(struct vault_keys *k)
{
	if (k == NULL)
		return;
	secret_free(&k->s);
	memset(k, 0, sizeof(*k));
}

/* Wrap the master key of k under c with a fresh nonce into h. */
static int
wrap(struct vault_hdr *h, const struct vault_cred *c,
    const struct vault_keys *k)
{
	struct secret	kek = { NULL, 0 };
	uint8_t		ad[VAULT_WRAP_AD_LEN];
	int		r;

	if ((r = kek_derive(h, c, &kek)) != 0)
		goto out;
	vault_fmt_wrap_ad(h, ad);
	randombytes_buf(h->wrap_nonce, sizeof(h->wrap_nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(h->wrapped_key, NULL,
	    k->s.p + K_MASTER, VAULT_KEY_LEN, ad, sizeof(ad), NULL,
	    h->wrap_nonce, kek.p);
	r = 0;
 out:
	secret_free(&kek);
	return r;
}

int
vault_crypto_create(struct vault_hdr *h, const struct vault_cred *c,
    uint64_t ops, uint64_t mem, struct vault_keys *keys)
{
	struct vault_hdr	nh;
	int			r = CV_ERR_INVALID;

	memset(keys, 0, sizeof(*keys));
	memset(&nh, 0, sizeof(nh));
	if (!cred_valid(c, ops, mem))
		goto out;
	nh.version = VAULT_VERSION;
	nh.flags = c->keyfile ? VAULT_FLAG_KEYFILE : 0;
	randombytes_buf(nh.vault_id, sizeof(nh.vault_id));
	nh.opslimit = ops;
	nh.memlimit = mem;
	randombytes_buf(nh.salt, sizeof(nh.salt));
	if ((r = keys_alloc(keys, &nh)) != 0)
		goto out;
	randombytes_buf(keys->s.p + K_MASTER, VAULT_KEY_LEN);
	keys_derive(keys);
	if ((r = wrap(&nh, c, keys)) != 0)
		goto out;
	*h = nh;
	r = 0;
 out:
	if (r != 0)
		vault_keys_free(keys);
	return r;
}

int
vault_crypto_unlock(const struct vault_hdr *h, const struct vault_cred *c,
    struct vault_keys *keys)
{
	struct secret	kek = { NULL, 0 };
	uint8_t		ad[VAULT_WRAP_AD_LEN];
	int		r = CV_ERR_INVALID;

	memset(keys, 0, sizeof(*keys));
	if (c == NULL || !!c->keyfile != !!(h->flags & VAULT_FLAG_KEYFILE) ||
	    !cred_valid(c, h->opslimit, h->memlimit))
		goto out;
	if ((r = kek_derive(h, c, &kek)) != 0)
		goto out;
	if ((r = keys_alloc(keys, h)) != 0)
		goto out;
	vault_fmt_wrap_ad(h, ad);
	/* Decrypt straight into guarded memory. */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(keys->s.p + K_MASTER,
	    NULL, NULL, h->wrapped_key, sizeof(h->wrapped_key), ad,
	    sizeof(ad), h->wrap_nonce, kek.p) != 0) {
		r = CV_ERR_BADPASS;
		goto out;
	}
	keys_derive(keys);
	r = 0;
 out:
	secret_free(&kek);
	if (r != 0)
		vault_keys_free(keys);
	return r;
}

int
vault_crypto_rewrap(struct vault_hdr *h, const struct vault_cred *old,
    const struct vault_cred *newc, uint64_t ops, uint64_t mem)
{
	struct vault_keys	keys;
	struct vault_hdr	nh;
	int			r;

	memset(&keys, 0, sizeof(keys));
	if (!cred_valid(newc, ops, mem))
		return CV_ERR_INVALID;
	if ((r = vault_crypto_unlock(h, old, &keys)) != 0)
		goto out;
	nh = *h;
	nh.flags = (uint16_t)((nh.flags & ~VAULT_FLAG_KEYFILE) |
	    (newc->keyfile ? VAULT_FLAG_KEYFILE : 0));
	nh.opslimit = ops;
	nh.memlimit = mem;
	randombytes_buf(nh.salt, sizeof(nh.salt));
	if ((r = wrap(&nh, newc, &keys)) != 0)
		goto out;
	*h = nh;
	r = 0;
 out:
	vault_keys_free(&keys);
	return r;
}

int
vault_crypto_rekey(struct vault_hdr *h, const struct vault_cred *c,
    struct vault_keys *newkeys)
{
	struct vault_keys	old;
	struct vault_hdr	nh;
	int			r;

	memset(&old, 0, sizeof(old));
	memset(newkeys, 0, sizeof(*newkeys));
	if ((r = vault_crypto_unlock(h, c, &old)) != 0)
		goto out;
	nh = *h;
	randombytes_buf(nh.salt, sizeof(nh.salt));
	if ((r = keys_alloc(newkeys, &nh)) != 0)
		goto out;
	randombytes_buf(newkeys->s.p + K_MASTER, VAULT_KEY_LEN);
	keys_derive(newkeys);
	/* a random key equal to the old one would be a broken RNG */
	if (sodium_memcmp(newkeys->s.p + K_MASTER, old.s.p + K_MASTER,
	    VAULT_KEY_LEN) == 0) {
		r = CV_ERR_INTERNAL;
		goto out;
	}
	if ((r = wrap(&nh, c, newkeys)) != 0)
		goto out;
	*h = nh;
	r = 0;
 out:
	vault_keys_free(&old);
	if (r != 0)
		vault_keys_free(newkeys);
	return r;
}

int
vault_crypto_seal(const struct vault_keys *keys, const struct vault_hdr *h,
    struct vault_rec *rec, const uint8_t *pt, size_t ptlen)
{
	struct vault_rec	 nr;
	uint8_t			 ad[VAULT_REC_AD_MAX];
	size_t			 adlen;

	if (ptlen == 0 || ptlen > vault_fmt_body_max(rec->type) ||
	    keys->s.p == NULL)
		return CV_ERR_INVALID;
	nr = *rec;
	nr.body_len = ptlen + VAULT_TAG_LEN;
	if ((adlen = vault_fmt_rec_ad(h, &nr, ad)) == 0)
		return CV_ERR_INVALID;
	if ((nr.body = malloc(nr.body_len)) == NULL)
		return CV_ERR_NOMEM;
	randombytes_buf(nr.aead_nonce, sizeof(nr.aead_nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(nr.body, NULL, pt, ptlen,
	    ad, adlen, NULL, nr.aead_nonce, keys->s.p + K_RECORD);
	free(rec->body);
	*rec = nr;
	return 0;
}

int
vault_crypto_open(const struct vault_keys *keys, const struct vault_hdr *h,
    const struct vault_rec *rec, struct secret *pt)
{
	uint8_t	ad[VAULT_REC_AD_MAX];
	size_t	adlen;
	int	r = CV_ERR_INVALID;

	memset(pt, 0, sizeof(*pt));
	if (keys->s.p == NULL || rec->body == NULL ||
	    (adlen = vault_fmt_rec_ad(h, rec, ad)) == 0)
		goto out;
	if ((r = secret_alloc(pt, rec->body_len - VAULT_TAG_LEN)) != 0)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt->p, NULL, NULL,
	    rec->body, rec->body_len, ad, adlen, rec->aead_nonce,
	    keys->s.p + K_RECORD) != 0) {
		r = CV_ERR_TAMPERED;
		goto out;
	}
	r = 0;
 out:
	if (r != 0)
		secret_free(pt);
	return r;
}

void
vault_crypto_mac(const struct vault_keys *keys, const uint8_t *buf,
    size_t len, uint8_t mac[VAULT_MAC_LEN])
{
	crypto_generichash(mac, VAULT_MAC_LEN, buf, len, keys->s.p + K_MAC,
	    VAULT_KEY_LEN);
}

/*
 * The checks shared by verify and seal_file; the MAC and the generation
 * only when check_mac is set, since seal_file is about to write the MAC.
 */
static int
check_file(const struct vault_keys *keys, const uint8_t *buf, size_t len,
    int check_mac, uint64_t min_generation)
{
	struct vault	v;
	struct secret	pt = { NULL, 0 };
	uint8_t		mac[VAULT_MAC_LEN];
	size_t		i;
	int		r;

	if (keys->s.p == NULL)
		return CV_ERR_INVALID;
	if ((r = vault_fmt_parse(buf, len, &v)) != 0)
		return r;
	r = CV_ERR_TAMPERED;
	if (memcmp(v.hdr.vault_id, keys->vault_id, VAULT_ID_LEN) != 0)
		goto out;
	if (check_mac) {
		vault_crypto_mac(keys, buf, len - VAULT_MAC_LEN, mac);
		if (sodium_memcmp(mac, v.mac, sizeof(mac)) != 0)
			goto out;
		/* Rollback to an older, authentic file. */
		if (v.hdr.generation < min_generation)
			goto out;
	}
	for (i = 0; i < v.nrecs; i++) {
		if ((r = vault_crypto_open(keys, &v.hdr, &v.recs[i], &pt)) != 0)
			goto out;
		secret_free(&pt);
	}
	r = 0;
 out:
	vault_free(&v);
	return r;
}

int
vault_crypto_verify(const struct vault_keys *keys, const uint8_t *buf,
    size_t len, uint64_t min_generation)
{
	return check_file(keys, buf, len, 1, min_generation);
}

int
vault_crypto_seal_file(const struct vault_keys *keys, uint8_t *buf,
    size_t len)
{
	int	r;

	if ((r = check_file(keys, buf, len, 0, 0)) != 0)
		return r;
	vault_crypto_mac(keys, buf, len - VAULT_MAC_LEN,
	    buf + len - VAULT_MAC_LEN);
	return 0;
}

int
vault_crypto_load(const uint8_t *buf, size_t len, const struct vault_cred *c,
    uint64_t min_generation, struct vault *v, struct vault_keys *keys)
{
	int	r;

	memset(keys, 0, sizeof(*keys));
	if ((r = vault_fmt_parse(buf, len, v)) != 0)
		return r;
	if ((r = vault_crypto_unlock(&v->hdr, c, keys)) != 0)
		goto out;
	r = vault_crypto_verify(keys, buf, len, min_generation);
 out:
	if (r != 0) {
		vault_keys_free(keys);
		vault_free(v);
	}
	return r;
}

int
vault_crypto_keyfile_new(struct secret *text)
{
	struct secret	key = { NULL, 0 };
	int		r;

	memset(text, 0, sizeof(*text));
	if ((r = secret_alloc(&key, VAULT_KEYFILE_LEN)) != 0)
		goto out;
	if ((r = secret_alloc(text, VAULT_KEYFILE_TEXT + 1)) != 0)
		goto out;
	randombytes_buf(key.p, key.len);
	/* hex_encode ends with a NUL, which the newline replaces. */
	hex_encode(key.p, key.len, (char *)text->p);
	text->p[VAULT_KEYFILE_TEXT] = '\n';
	r = 0;
 out:
	secret_free(&key);
	if (r != 0)
		secret_free(text);
	return r;
}

int
vault_crypto_keyfile_key(const uint8_t *text, size_t len, struct secret *key)
{
	size_t	n;
	int	r;

	memset(key, 0, sizeof(*key));
	if (len == VAULT_KEYFILE_TEXT + 1 && text[len - 1] == '\n')
		len--;
	if (len != VAULT_KEYFILE_TEXT || (text[0] == '0' && text[1] == 'x'))
		return CV_ERR_DECODE;
	if ((r = secret_alloc(key, VAULT_KEYFILE_LEN)) != 0)
		return r;
	if ((r = hex_decode((const char *)text, len, key->p, key->len,
	    &n)) != 0 || n != VAULT_KEYFILE_LEN) {
		secret_free(key);
		return r != 0 ? r : CV_ERR_DECODE;
	}
	return 0;
}
