/*
 * common/vault_crypto.c with common/vault_fmt.c: a real vault end to end
 * under the fastest Argon2id setting.  Every damaged or forged file must
 * fail with its exact code; no test secret may appear in the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/encode.h"
#include "common/vault_crypto.h"

#define PASS		"correct horse battery staple"
#define PASS2		"a new and longer passphrase"
#define API_SECRET	"dGhpcyBpcyBhIHRlc3QgSE1BQyBzZWNyZXQ="
#define API_PASSPH	"5f0c3b9a7e1d2c4b6a8f9e0d1c2b3a4f"

static const uint8_t wallet_key[32] = {
	0x4c, 0x08, 0x83, 0xa6, 0x91, 0x02, 0x93, 0x7d, 0x62, 0x31, 0x47,
	0x1b, 0x5d, 0xbb, 0x62, 0x04, 0xfe, 0x51, 0x29, 0x61, 0x70, 0x82,
	0x79, 0x2a, 0xe4, 0x68, 0xd0, 0x1a, 0x3f, 0x36, 0x23, 0x18
};

struct fixture {
	struct vault		 v;
	struct vault_keys	 keys;
	uint8_t			*buf;
	size_t			 len;
};

static struct vault_cred
pass_cred(const char *p)
{
	struct vault_cred	c = { 0, (const uint8_t *)p, strlen(p) };

	return c;
}

static void
min_kdf(uint64_t *ops, uint64_t *mem)
{
	assert_int_equal(vault_kdf_params(VAULT_KDF_MIN, ops, mem), 0);
}

static void
add_sealed(struct vault *v, const struct vault_keys *k, uint8_t type,
    const char *acct, const char *kid, const void *pt, size_t ptlen)
{
	struct vault_rec	r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	(void)snprintf(r.account, sizeof(r.account), "%s", acct);
	(void)snprintf(r.key_id, sizeof(r.key_id), "%s", kid);
	assert_int_equal(vault_crypto_seal(k, &v->hdr, &r, pt, ptlen), 0);
	assert_int_equal(vault_add_record(v, &r), 0);
	free(r.body);
}

/* Encode v and have the MAC written, as vaultd and signerd will. */
static void
finish(struct fixture *f)
{
	free(f->buf);
	assert_int_equal(vault_fmt_encode(&f->v, &f->buf, &f->len), 0);
	assert_int_equal(vault_crypto_seal_file(&f->keys, f->buf, f->len), 0);
}

static void
make_vault(struct fixture *f, const struct vault_cred *c)
{
	uint64_t	ops = 0, mem = 0;
	char		cred[128];

	memset(f, 0, sizeof(*f));
	if (!c->keyfile)
		min_kdf(&ops, &mem);
	assert_int_equal(vault_crypto_create(&f->v.hdr, c, ops, mem,
	    &f->keys), 0);
	add_sealed(&f->v, &f->keys, VAULT_REC_WALLET_KEY, "main", "",
	    wallet_key, sizeof(wallet_key));
	(void)snprintf(cred, sizeof(cred), "{%s,%s}", API_SECRET, API_PASSPH);
	add_sealed(&f->v, &f->keys, VAULT_REC_API_CRED, "main",
	    "0b7a6e1c-52c4-4bd6-9a8f-2c0e0d9a1e11", cred, strlen(cred));
	finish(f);
}

static void
fixture_free(struct fixture *f)
{
	vault_free(&f->v);
	vault_keys_free(&f->keys);
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

static void
fix_cksum(uint8_t *buf)
{
	crypto_generichash(buf + VAULT_HEADER_LEN - VAULT_CKSUM_LEN,
	    VAULT_CKSUM_LEN, buf, VAULT_HEADER_LEN - VAULT_CKSUM_LEN, NULL, 0);
}

static int
load(const uint8_t *buf, size_t len, const struct vault_cred *c,
    uint64_t min_gen)
{
	struct vault		v;
	struct vault_keys	k;
	int			r;

	r = vault_crypto_load(buf, len, c, min_gen, &v, &k);
	if (r == 0) {
		vault_free(&v);
		vault_keys_free(&k);
	} else {
		assert_null(k.s.p);
		assert_null(v.recs);
	}
	return r;
}

static void
test_kdf_levels(void **state)
{
	uint64_t	ops, mem;

	assert_int_equal(vault_kdf_params(VAULT_KDF_INTERACTIVE, &ops, &mem),
	    0);
	assert_int_equal(ops, crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
	assert_int_equal(mem, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE);
	assert_int_equal(vault_kdf_params(VAULT_KDF_MODERATE, &ops, &mem), 0);
	assert_int_equal(ops, crypto_pwhash_argon2id_OPSLIMIT_MODERATE);
	assert_int_equal(mem, crypto_pwhash_argon2id_MEMLIMIT_MODERATE);
	assert_int_equal(vault_kdf_params(VAULT_KDF_SENSITIVE, &ops, &mem), 0);
	assert_int_equal(ops, crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE);
	assert_int_equal(mem, crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE);
	assert_int_equal(vault_kdf_params((enum vault_kdf_level)99, &ops,
	    &mem), CV_ERR_INVALID);
}

static void
test_roundtrip(void **state)
{
	struct fixture		 f;
	struct vault_cred	 c = pass_cred(PASS);
	struct vault		 v;
	struct vault_keys	 k;
	struct secret		 pt;

	make_vault(&f, &c);
	assert_int_equal(vault_crypto_load(f.buf, f.len, &c, 0, &v, &k), 0);
	assert_int_equal(v.nrecs, 2);
	assert_memory_equal(k.s.p, f.keys.s.p, VAULT_KEY_LEN);
	assert_int_equal(vault_crypto_open(&k, &v.hdr, &v.recs[0], &pt), 0);
	assert_int_equal(pt.len, sizeof(wallet_key));
	assert_memory_equal(pt.p, wallet_key, sizeof(wallet_key));
	secret_free(&pt);
	assert_int_equal(vault_crypto_open(&k, &v.hdr, &v.recs[1], &pt), 0);
	assert_memory_equal(pt.p, "{" API_SECRET ",", strlen(API_SECRET) + 2);
	secret_free(&pt);
	vault_free(&v);
	vault_keys_free(&k);
	vault_keys_free(&k);		/* twice is harmless */
	fixture_free(&f);
}

static void
test_bad_args(void **state)
{
	struct fixture		 f;
	struct vault_cred	 c = pass_cred(PASS), empty = pass_cred("");
	struct vault_hdr	 h;
	struct vault_keys	 k;
	struct vault_rec	 r;
	uint8_t			 big[VAULT_MAX_BODY + 1];
	uint64_t		 ops, mem;

	min_kdf(&ops, &mem);
	assert_int_equal(vault_crypto_create(&h, &empty, ops, mem, &k),
	    CV_ERR_INVALID);
	assert_int_equal(vault_crypto_create(&h, &c, 0, mem, &k),
	    CV_ERR_INVALID);
	assert_int_equal(vault_crypto_create(&h, &c, ops,
	    VAULT_MEMLIMIT_MAX + 1, &k), CV_ERR_INVALID);
	assert_null(k.s.p);
	make_vault(&f, &c);
	memset(&r, 0, sizeof(r));
	r.type = VAULT_REC_INVITE;
	(void)snprintf(r.account, sizeof(r.account), "main");
	memset(big, 1, sizeof(big));
	assert_int_equal(vault_crypto_seal(&f.keys, &f.v.hdr, &r, big, 0),
	    CV_ERR_INVALID);
	assert_int_equal(vault_crypto_seal(&f.keys, &f.v.hdr, &r, big,
	    sizeof(big)), CV_ERR_INVALID);
	r.account[0] = '\0';
	assert_int_equal(vault_crypto_seal(&f.keys, &f.v.hdr, &r, big, 1),
	    CV_ERR_INVALID);
	assert_null(r.body);
	fixture_free(&f);
}

static void
test_wrong_passphrase(void **state)
{
	struct fixture		 f;
	struct vault_cred	 c = pass_cred(PASS), bad = pass_cred("wrong");
	struct vault_cred	 nc = pass_cred(PASS2);
	struct vault_hdr	 before;
	uint8_t			*again;
	size_t			 len;
	uint64_t		 ops, mem;

	make_vault(&f, &c);
	assert_int_equal(load(f.buf, f.len, &bad, 0), CV_ERR_BADPASS);
	/* A failed change leaves the header, and so the file, as it was. */
	min_kdf(&ops, &mem);
	before = f.v.hdr;
	assert_int_equal(vault_crypto_rewrap(&f.v.hdr, &bad, &nc, ops, mem),
	    CV_ERR_BADPASS);
	assert_memory_equal(&before, &f.v.hdr, sizeof(before));
	assert_int_equal(vault_fmt_encode(&f.v, &again, &len), 0);
	assert_int_equal(vault_crypto_seal_file(&f.keys, again, len), 0);
	assert_int_equal(len, f.len);
	assert_memory_equal(again, f.buf, len);
	free(again);
	fixture_free(&f);
}

static void
test_rewrap(void **state)
{
	struct fixture		 f;
	struct vault_cred	 c = pass_cred(PASS), nc = pass_cred(PASS2);
	struct vault_keys	 k;
	uint8_t			*old;
	size_t			 oldlen;
	uint64_t		 ops, mem;

	make_vault(&f, &c);
	assert_non_null(old = malloc(f.len));
	memcpy(old, f.buf, f.len);
	oldlen = f.len;
	min_kdf(&ops, &mem);
	assert_int_equal(vault_crypto_rewrap(&f.v.hdr, &c, &nc, ops, mem), 0);
	finish(&f);
	assert_int_equal(load(f.buf, f.len, &c, 0), CV_ERR_BADPASS);
	assert_int_equal(load(f.buf, f.len, &nc, 0), 0);
	/* Same master key; records byte for byte as they were. */
	assert_int_equal(vault_crypto_unlock(&f.v.hdr, &nc, &k), 0);
	assert_memory_equal(k.s.p, f.keys.s.p, VAULT_KEY_LEN);
	vault_keys_free(&k);
	assert_int_equal(oldlen, f.len);
	assert_memory_equal(old + VAULT_HEADER_LEN, f.buf + VAULT_HEADER_LEN,
	    f.len - VAULT_HEADER_LEN - VAULT_MAC_LEN);
	assert_memory_not_equal(old + 44, f.buf + 44, VAULT_SALT_LEN);
	free(old);
	fixture_free(&f);
}

static void
test_keyfile(void **state)
{
	struct fixture		 f;
	struct secret		 text, key, key2;
	struct vault_cred	 kc, kc2, pc = pass_cred(PASS);
	uint64_t		 ops, mem;

	assert_int_equal(vault_crypto_keyfile_new(&text), 0);
	assert_int_equal(text.len, VAULT_KEYFILE_TEXT + 1);
	assert_int_equal(text.p[VAULT_KEYFILE_TEXT], '\n');
	assert_int_equal(vault_crypto_keyfile_key(text.p, text.len, &key), 0);
	assert_int_equal(key.len, VAULT_KEYFILE_LEN);
	kc = (struct vault_cred){ 1, key.p, key.len };
	make_vault(&f, &kc);
	assert_true(f.v.hdr.flags & VAULT_FLAG_KEYFILE);
	assert_int_equal(f.v.hdr.opslimit, 0);
	assert_int_equal(load(f.buf, f.len, &kc, 0), 0);
	assert_int_equal(load(f.buf, f.len, &pc, 0), CV_ERR_INVALID);
	/* Without its newline, as secret_read_file gives it, too. */
	assert_int_equal(vault_crypto_keyfile_key(text.p, VAULT_KEYFILE_TEXT,
	    &key2), 0);
	assert_memory_equal(key.p, key2.p, key.len);
	key2.p[0] ^= 1;
	kc2 = (struct vault_cred){ 1, key2.p, key2.len };
	assert_int_equal(load(f.buf, f.len, &kc2, 0), CV_ERR_BADPASS);
	secret_free(&key2);
	/* Keyfile to passphrase and back. */
	min_kdf(&ops, &mem);
	assert_int_equal(vault_crypto_rewrap(&f.v.hdr, &kc, &pc, ops, mem), 0);
	finish(&f);
	assert_int_equal(load(f.buf, f.len, &pc, 0), 0);
	assert_int_equal(vault_crypto_rewrap(&f.v.hdr, &pc, &kc, 0, 0), 0);
	finish(&f);
	assert_int_equal(load(f.buf, f.len, &kc, 0), 0);
	/* Not keyfiles. */
	assert_int_equal(vault_crypto_keyfile_key(text.p, 63, &key2),
	    CV_ERR_DECODE);
	text.p[5] = 'g';
	assert_int_equal(vault_crypto_keyfile_key(text.p, text.len, &key2),
	    CV_ERR_DECODE);
	text.p[0] = '0';
	text.p[1] = 'x';
	assert_int_equal(vault_crypto_keyfile_key(text.p, text.len, &key2),
	    CV_ERR_DECODE);
	assert_null(key2.p);
	secret_free(&key);
	secret_free(&text);
	fixture_free(&f);
}

/* Any flipped byte anywhere: refused with a corruption or tamper code. */
static void
test_flip_every_byte(void **state)
{
	static const uint8_t	 pat[] = { 0x01, 0x80, 0xff };
	struct fixture		 f;
	struct vault_cred	 c = pass_cred(PASS);
	size_t			 i, j;
	int			 r;

	make_vault(&f, &c);
	assert_int_equal(load(f.buf, f.len, &c, 0), 0);
	for (i = 0; i < f.len; i++) {
		for (j = 0; j < sizeof(pat); j++) {
			f.buf[i] ^= pat[j];
			r = load(f.buf, f.len, &c, 0);
			f.buf[i] ^= pat[j];
			if (i == 8 || i == 9)
				assert_int_equal(r, CV_ERR_FORMAT_VERSION);
			else if (i < VAULT_HEADER_LEN)
				assert_int_equal(r, CV_ERR_CORRUPT);
			else if (r != CV_ERR_CORRUPT)
				assert_int_equal(r, CV_ERR_TAMPERED);
		}
	}
	fixture_free(&f);
}

/*
 * Deliberate header edits with the checksum fixed up: the wrapped key's
 * associated data makes them look like a wrong passphrase, the MAC covers
 * the rest.
 */
static void
test_forged_header(void **state)
{
	struct fixture		 f;
	struct vault_cred	 c = pass_cred(PASS);
	size_t			 i;
	int			 r;

	make_vault(&f, &c);
	for (i = 10; i < VAULT_HEADER_LEN - VAULT_CKSUM_LEN; i++) {
		f.buf[i] ^= 0x01;
		fix_cksum(f.buf);
		r = load(f.buf, f.len, &c, 0);
		f.buf[i] ^= 0x01;
		if (r == CV_ERR_CORRUPT)
			continue;
		if (i < 132)
			assert_int_equal(r, CV_ERR_BADPASS);
		else
			assert_int_equal(r, CV_ERR_TAMPERED);
	}
	fix_cksum(f.buf);
	assert_int_equal(load(f.buf, f.len, &c, 0), 0);
	fixture_free(&f);
}

static void
test_truncated(void **state)
{
	struct fixture		 f;
	struct vault_cred	 c = pass_cred(PASS);
	uint8_t			*cut;
	size_t			 i;

	make_vault(&f, &c);
	for (i = 0; i < f.len; i++) {
		assert_non_null(cut = malloc(i + 1));
		memcpy(cut, f.buf, i);
		assert_int_equal(load(cut, i, &c, 0), CV_ERR_CORRUPT);
		free(cut);
	}
	fixture_free(&f);
}

/* Deleted and reordered records, well-formed otherwise: the MAC. */
static void
test_records_moved(void **state)
{
	struct fixture		 f;
	struct vault_cred	 c = pass_cred(PASS);
	struct vault_rec	 tmp;
	uint8_t			*buf;
	size_t			 len;

	make_vault(&f, &c);
	tmp = f.v.recs[0];
	f.v.recs[0] = f.v.recs[1];
	f.v.recs[1] = tmp;
	memcpy(f.v.mac, f.buf + f.len - VAULT_MAC_LEN, VAULT_MAC_LEN);
	assert_int_equal(vault_fmt_encode(&f.v, &buf, &len), 0);
	assert_int_equal(load(buf, len, &c, 0), CV_ERR_TAMPERED);
	free(buf);
	assert_int_equal(vault_del_record(&f.v, 0), 0);
	assert_int_equal(vault_fmt_encode(&f.v, &buf, &len), 0);
	assert_int_equal(load(buf, len, &c, 0), CV_ERR_TAMPERED);
	free(buf);
	fixture_free(&f);
}

/* Even with the MAC key, a body cannot move to another record. */
static void
test_body_swapped(void **state)
{
	struct fixture		 f;
	struct vault_cred	 c = pass_cred(PASS);
	struct vault_rec	*r;

	make_vault(&f, &c);
	add_sealed(&f.v, &f.keys, VAULT_REC_INVITE, "main", "", "AAAA", 4);
	add_sealed(&f.v, &f.keys, VAULT_REC_INVITE, "other", "", "BBBB", 4);
	finish(&f);
	assert_int_equal(load(f.buf, f.len, &c, 0), 0);
	r = f.v.recs;
	memcpy(r[2].body, r[3].body, r[2].body_len);
	memcpy(r[2].aead_nonce, r[3].aead_nonce, VAULT_NONCE_LEN);
	free(f.buf);
	assert_int_equal(vault_fmt_encode(&f.v, &f.buf, &f.len), 0);
	vault_crypto_mac(&f.keys, f.buf, f.len - VAULT_MAC_LEN,
	    f.buf + f.len - VAULT_MAC_LEN);
	assert_int_equal(load(f.buf, f.len, &c, 0), CV_ERR_TAMPERED);
	/* And signerd will not MAC a vault it cannot read. */
	assert_int_equal(vault_crypto_seal_file(&f.keys, f.buf, f.len),
	    CV_ERR_TAMPERED);
	fixture_free(&f);
}

/* A record of another vault, or another vault's file. */
static void
test_foreign(void **state)
{
	struct fixture		 a, b;
	struct vault_cred	 c = pass_cred(PASS);

	make_vault(&a, &c);
	make_vault(&b, &c);
	assert_int_equal(vault_add_record(&a.v, &b.v.recs[0]), 0);
	free(a.buf);
	assert_int_equal(vault_fmt_encode(&a.v, &a.buf, &a.len), 0);
	assert_int_equal(vault_crypto_seal_file(&a.keys, a.buf, a.len),
	    CV_ERR_TAMPERED);
	assert_int_equal(vault_crypto_verify(&a.keys, b.buf, b.len, 0),
	    CV_ERR_TAMPERED);
	assert_int_equal(vault_crypto_seal_file(&a.keys, b.buf, b.len),
	    CV_ERR_TAMPERED);
	/* Even one with no record to fail on. */
	while (b.v.nrecs > 0)
		assert_int_equal(vault_del_record(&b.v, 0), 0);
	free(b.buf);
	assert_int_equal(vault_fmt_encode(&b.v, &b.buf, &b.len), 0);
	assert_int_equal(vault_crypto_seal_file(&a.keys, b.buf, b.len),
	    CV_ERR_TAMPERED);
	assert_int_equal(vault_crypto_seal_file(&b.keys, b.buf, b.len), 0);
	fixture_free(&a);
	fixture_free(&b);
}

/* An older authentic file put back: refused given the last generation. */
static void
test_rollback(void **state)
{
	struct fixture		 f;
	struct vault_cred	 c = pass_cred(PASS);
	uint8_t			*old;
	size_t			 oldlen;

	make_vault(&f, &c);
	f.v.hdr.generation = 1;
	finish(&f);
	assert_non_null(old = malloc(f.len));
	memcpy(old, f.buf, f.len);
	oldlen = f.len;
	f.v.hdr.generation = 2;
	finish(&f);
	assert_int_equal(load(f.buf, f.len, &c, 2), 0);
	assert_int_equal(load(old, oldlen, &c, 0), 0);
	assert_int_equal(load(old, oldlen, &c, 2), CV_ERR_TAMPERED);
	free(old);
	fixture_free(&f);
}

/* The audit anchor rides in the header under the MAC. */
static void
test_audit_anchor(void **state)
{
	struct fixture		 f;
	struct vault_cred	 c = pass_cred(PASS);
	struct vault		 v;

	make_vault(&f, &c);
	f.v.hdr.audit_seq = 42;
	memset(f.v.hdr.audit_hash, 0xab, VAULT_HASH_LEN);
	finish(&f);
	assert_int_equal(vault_fmt_parse(f.buf, f.len, &v), 0);
	assert_int_equal(v.hdr.audit_seq, 42);
	assert_int_equal(v.hdr.audit_hash[31], 0xab);
	vault_free(&v);
	f.buf[147] = 41;
	fix_cksum(f.buf);
	assert_int_equal(load(f.buf, f.len, &c, 0), CV_ERR_TAMPERED);
	fixture_free(&f);
}

static int
contains(const uint8_t *hay, size_t n, const char *needle, size_t m)
{
	return memmem(hay, n, needle, m) != NULL;
}

/*
 * s in raw, hex (either case) and base64 (both alphabets) form, and the
 * base64 of s from its second and third byte, so the encoding of s inside
 * a longer run is caught whatever its alignment.
 */
static void
assert_absent(const uint8_t *buf, size_t len, const void *sv, size_t slen)
{
	const uint8_t	*s = sv;
	char		 enc[512];
	size_t		 k, n, i;

	assert_true(slen >= 16 && slen <= 120);
	assert_false(contains(buf, len, sv, slen));
	hex_encode(s, slen, enc);
	assert_false(contains(buf, len, enc, 2 * slen));
	for (i = 0; enc[i] != '\0'; i++)
		if (enc[i] >= 'a' && enc[i] <= 'f')
			enc[i] -= 'a' - 'A';
	assert_false(contains(buf, len, enc, 2 * slen));
	for (k = 0; k < 3; k++) {
		n = (slen - k) / 3 * 3;		/* whole groups only */
		assert_int_equal(b64_encode(s + k, n, enc, sizeof(enc)), 0);
		assert_false(contains(buf, len, enc, strlen(enc)));
		assert_int_equal(b64url_encode(s + k, n, enc, sizeof(enc)), 0);
		assert_false(contains(buf, len, enc, strlen(enc)));
	}
}

static void
test_no_secret_in_file(void **state)
{
	struct fixture		 f;
	struct vault_cred	 c = pass_cred(PASS);

	make_vault(&f, &c);
	assert_absent(f.buf, f.len, PASS, strlen(PASS));
	assert_absent(f.buf, f.len, wallet_key, sizeof(wallet_key));
	assert_absent(f.buf, f.len, API_SECRET, strlen(API_SECRET));
	assert_absent(f.buf, f.len, API_PASSPH, strlen(API_PASSPH));
	/* The master key and both subkeys. */
	assert_absent(f.buf, f.len, f.keys.s.p, VAULT_KEY_LEN);
	assert_absent(f.buf, f.len, f.keys.s.p + VAULT_KEY_LEN, VAULT_KEY_LEN);
	assert_absent(f.buf, f.len, f.keys.s.p + 2 * VAULT_KEY_LEN,
	    VAULT_KEY_LEN);
	/* The key id is not secret: it is there, so the search works. */
	assert_true(contains(f.buf, f.len, "0b7a6e1c-52c4", 13));
	fixture_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kdf_levels),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_wrong_passphrase),
		cmocka_unit_test(test_rewrap),
		cmocka_unit_test(test_keyfile),
		cmocka_unit_test(test_flip_every_byte),
		cmocka_unit_test(test_forged_header),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_records_moved),
		cmocka_unit_test(test_body_swapped),
		cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_audit_anchor),
		cmocka_unit_test(test_no_secret_in_file),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
