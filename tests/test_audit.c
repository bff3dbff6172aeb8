/*
 * common/audit.c: the record line format, the hash chain, checkpoint
 * signatures and verification.  Each kind of damage to a log is asserted
 * with its exact code, fault and line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/audit.h"
#include "common/encode.h"

#define T0	1767225600	/* 2026-01-01T00:00:00Z */
#define ZEROS	"00000000000000000000000000000000" \
		"00000000000000000000000000000000"

/* A log being built: its text, chain, key and line offsets. */
struct log {
	char			 text[64 * AUDIT_LINE_MAX];
	size_t			 len;
	size_t			 off[64];	/* off[i]: start of line i+1 */
	size_t			 n;
	struct audit_chain	 chain;
	struct secret		 sk;
	uint8_t			 pk[AUDIT_PK_LEN];
	struct audit_anchor	 anchor;
};

static void
event(struct audit_rec *r, uint64_t i)
{
	audit_rec_init(r);
	assert_int_equal(audit_time_format(T0 + (time_t)i, r->time), 0);
	(void)snprintf(r->actor, sizeof(r->actor), "vaultctl:uid=1000");
	(void)snprintf(r->account, sizeof(r->account), "main");
	(void)snprintf(r->op, sizeof(r->op), "l2_sign");
	(void)snprintf(r->method, sizeof(r->method), "GET");
	(void)snprintf(r->path, sizeof(r->path),
	    "/balance-allowance?asset_type=COLLATERAL&n=%llu",
	    (unsigned long long)i);
	(void)snprintf(r->verdict, sizeof(r->verdict), "allow");
	(void)snprintf(r->key_id, sizeof(r->key_id),
	    "0b7a6e1c-52c4-4bd6-9a8f-2c0e0d9a1e11");
	memset(r->digest, 'a' + (int)(i % 6), AUDIT_HEX_HASH);
	r->digest[AUDIT_HEX_HASH] = '\0';
}

static void
append(struct log *l, struct audit_rec *r)
{
	size_t	n;

	assert_true(l->n < 64);
	l->off[l->n++] = l->len;
	assert_int_equal(audit_chain_append(&l->chain, r, l->text + l->len,
	    sizeof(l->text) - l->len, &n), 0);
	l->len += n;
}

/* vaultd prepares the checkpoint, signerd signs it, vaultd anchors it. */
static void
checkpoint(struct log *l, uint64_t i)
{
	struct audit_rec	r;
	char			line[AUDIT_LINE_MAX];
	size_t			n;

	audit_rec_init(&r);
	assert_int_equal(audit_time_format(T0 + (time_t)i, r.time), 0);
	(void)snprintf(r.actor, sizeof(r.actor), "vaultd");
	(void)snprintf(r.op, sizeof(r.op), AUDIT_OP_CHECKPOINT);
	audit_key_id(l->pk, r.key_id);
	/* The unsigned form is what crosses to signerd. */
	r.seq = l->chain.seq + 1;
	hex_encode(l->chain.head, AUDIT_HASH_LEN, r.prev);
	assert_int_equal(audit_record_format(&r, line, sizeof(line), &n), 0);
	assert_int_equal(audit_record_parse(line, n, &r), 0);
	assert_int_equal(audit_checkpoint_sign(&r, &l->sk), 0);
	assert_int_equal(audit_checkpoint_verify(&r, l->pk), 0);
	append(l, &r);
	l->anchor.seq = l->chain.seq;
	memcpy(l->anchor.hash, l->chain.head, AUDIT_HASH_LEN);
}

/* Events 1-4, checkpoint 5, events 6-9, checkpoint 10, events 11-12. */
static void
build(struct log *l)
{
	struct audit_rec	r;
	uint64_t		i;

	memset(l, 0, sizeof(*l));
	audit_chain_init(&l->chain);
	assert_int_equal(audit_key_new(&l->sk, l->pk), 0);
	for (i = 1; i <= 12; i++) {
		if (i % 5 == 0)
			checkpoint(l, i);
		else {
			event(&r, i);
			append(l, &r);
		}
	}
}

static void
log_free(struct log *l)
{
	secret_free(&l->sk);
}

/* Line i (1-based) and its length. */
static char *
line_at(struct log *l, size_t i, size_t *n)
{
	*n = (i < l->n ? l->off[i] : l->len) - l->off[i - 1];
	return l->text + l->off[i - 1];
}

static int
verify(struct log *l, const char *buf, size_t len,
    const struct audit_anchor *a, struct audit_report *rep)
{
	return audit_verify(buf, len, l->pk, a, rep);
}

static void
test_line_format(void **state)
{
	struct audit_rec	 r, p;
	char			 buf[AUDIT_LINE_MAX], want[AUDIT_LINE_MAX];
	size_t			 n;

	event(&r, 1);
	r.seq = 1;
	(void)snprintf(r.prev, sizeof(r.prev), "%s", ZEROS);
	assert_int_equal(audit_record_format(&r, buf, sizeof(buf), &n), 0);
	(void)snprintf(want, sizeof(want), "1\t2026-01-01T00:00:01Z\t"
	    "vaultctl:uid=1000\tmain\tl2_sign\tGET\t"
	    "/balance-allowance?asset_type=COLLATERAL&n=1\tallow\t"
	    "0b7a6e1c-52c4-4bd6-9a8f-2c0e0d9a1e11\t%s\t%s\t-\n",
	    r.digest, ZEROS);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	assert_int_equal(audit_record_parse(buf, n, &p), 0);
	assert_memory_equal(&r, &p, sizeof(r));
	/* Too small a buffer. */
	assert_int_equal(audit_record_format(&r, buf, n, &n), CV_ERR_TOOLONG);
}

static void
test_time(void **state)
{
	char	t[AUDIT_TIME_LEN + 1];

	assert_int_equal(audit_time_format(0, t), 0);
	assert_string_equal(t, "1970-01-01T00:00:00Z");
	assert_int_equal(audit_time_format(951782400, t), 0);
	assert_string_equal(t, "2000-02-29T00:00:00Z");
	assert_int_equal(audit_time_format(-1, t), CV_ERR_INVALID);
}

/* Lines the parser must refuse, each differing from a good one by a bit. */
static void
test_parse_strict(void **state)
{
	static const char *bad[] = {
		"",
		"\n",
		"1\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t" ZEROS
		    "\t-",
		"1\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t" ZEROS
		    "\t-\n\n",
		"1\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t" ZEROS
		    "\t-\r\n",
		"1\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t" ZEROS
		    "\t-\t-\n",
		"1\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t" ZEROS "\t-\n",
		"01\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t" ZEROS
		    "\t-\n",
		"0\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t" ZEROS
		    "\t-\n",
		"+1\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t" ZEROS
		    "\t-\n",
		"18446744073709551616\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t"
		    "-\t-\t-\t" ZEROS "\t-\n",
		"1\t2026-02-29T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t" ZEROS
		    "\t-\n",
		"1\t2026-01-01 00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t" ZEROS
		    "\t-\n",
		"1\t2026-01-01T24:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t" ZEROS
		    "\t-\n",
		"1\t2026-01-01T00:00:01Z\ta b\t-\top\t-\t-\t-\t-\t-\t" ZEROS
		    "\t-\n",
		"1\t2026-01-01T00:00:01Z\t\t-\top\t-\t-\t-\t-\t-\t" ZEROS
		    "\t-\n",
		"1\t2026-01-01T00:00:01Z\ta\t-\tOp\t-\t-\t-\t-\t-\t" ZEROS
		    "\t-\n",
		"1\t2026-01-01T00:00:01Z\ta\t-\top\tget\t-\t-\t-\t-\t" ZEROS
		    "\t-\n",
		"1\t2026-01-01T00:00:01Z\ta\t-\top\tGET\tpath\t-\t-\t-\t"
		    ZEROS "\t-\n",
		"1\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\tABCD\t" ZEROS
		    "\t-\n",
		"1\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t-\t-\n",
		"1\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t"
		    "00000000000000000000000000000000"
		    "0000000000000000000000000000000A"
		    "\t-\n",
		/* A signature on an event; a checkpoint with no key. */
		"1\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t" ZEROS "\t"
		    ZEROS ZEROS "\n",
		"1\t2026-01-01T00:00:01Z\ta\t-\tcheckpoint\t-\t-\t-\t-\t-\t"
		    ZEROS "\t-\n",
	};
	static const char good[] =
	    "1\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-\t" ZEROS "\t-\n";
	struct audit_rec	r;
	char			with_nul[sizeof(good)];
	size_t			i;

	assert_int_equal(audit_record_parse(good, strlen(good), &r), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (audit_record_parse(bad[i], strlen(bad[i]), &r) !=
		    CV_ERR_CORRUPT)
			fail_msg("accepted bad line %zu", i);
	}
	memcpy(with_nul, good, sizeof(good));
	with_nul[20] = '\0';
	assert_int_equal(audit_record_parse(with_nul, strlen(good), &r),
	    CV_ERR_CORRUPT);
}

static void
test_chain_ok(void **state)
{
	struct log		*l;
	struct audit_report	 rep;
	uint8_t			 h[AUDIT_HASH_LEN];
	char			 hex[AUDIT_HEX_HASH + 1], *p;
	size_t			 n;

	assert_non_null(l = malloc(sizeof(*l)));
	build(l);
	assert_int_equal(verify(l, l->text, l->len, &l->anchor, &rep), 0);
	assert_int_equal(rep.records, 12);
	assert_int_equal(rep.checkpoints, 2);
	assert_int_equal(rep.last_checkpoint, 10);
	assert_int_equal(rep.unsigned_tail, 2);
	assert_int_equal(rep.fault, AUDIT_FAULT_NONE);
	assert_int_equal(rep.head.seq, 12);
	assert_memory_equal(rep.head.head, l->chain.head, AUDIT_HASH_LEN);
	/* prev of line 4 is the plain BLAKE2b-256 of line 3. */
	p = line_at(l, 3, &n);
	crypto_generichash(h, sizeof(h), (uint8_t *)p, n, NULL, 0);
	hex_encode(h, sizeof(h), hex);
	p = line_at(l, 4, &n);
	assert_non_null(strstr(p, hex));
	/* Without an anchor, and the empty log. */
	assert_int_equal(verify(l, l->text, l->len, NULL, &rep), 0);
	assert_int_equal(verify(l, "", 0, NULL, &rep), 0);
	assert_int_equal(rep.records, 0);
	log_free(l);
	free(l);
}

static void
test_edited(void **state)
{
	struct log		*l;
	struct audit_report	 rep;
	char			*p;
	size_t			 n;

	assert_non_null(l = malloc(sizeof(*l)));
	build(l);
	/* "allow" to "aLlow" would not parse; "allow" to "deny_" does. */
	p = line_at(l, 7, &n);
	assert_non_null(p = memmem(p, n, "\tallow\t", 7));
	memcpy(p, "\tdeny_\t", 7);
	assert_int_equal(verify(l, l->text, l->len, &l->anchor, &rep),
	    CV_ERR_TAMPERED);
	assert_int_equal(rep.fault, AUDIT_FAULT_EDITED);
	assert_int_equal(rep.fault_line, 7);
	assert_int_equal(rep.records, 7);
	log_free(l);
	free(l);
}

static void
test_deleted(void **state)
{
	struct log		*l;
	struct audit_report	 rep;
	size_t			 n;

	assert_non_null(l = malloc(sizeof(*l)));
	build(l);
	(void)line_at(l, 3, &n);
	memmove(l->text + l->off[2], l->text + l->off[3], l->len - l->off[3]);
	l->len -= n;
	assert_int_equal(verify(l, l->text, l->len, &l->anchor, &rep),
	    CV_ERR_TAMPERED);
	assert_int_equal(rep.fault, AUDIT_FAULT_DELETED);
	assert_int_equal(rep.fault_line, 3);
	log_free(l);

	/* The first line. */
	build(l);
	assert_int_equal(verify(l, l->text + l->off[1], l->len - l->off[1],
	    NULL, &rep), CV_ERR_TAMPERED);
	assert_int_equal(rep.fault, AUDIT_FAULT_DELETED);
	assert_int_equal(rep.fault_line, 1);
	log_free(l);
	free(l);
}

static void
test_reordered(void **state)
{
	struct log		*l;
	struct audit_report	 rep;
	char			 a[AUDIT_LINE_MAX], b[AUDIT_LINE_MAX];
	char			*pa, *pb;
	size_t			 na, nb;

	assert_non_null(l = malloc(sizeof(*l)));
	build(l);
	/* Swap lines 7 and 8. */
	pa = line_at(l, 7, &na);
	pb = line_at(l, 8, &nb);
	memcpy(a, pa, na);
	memcpy(b, pb, nb);
	memcpy(l->text + l->off[6], b, nb);
	memcpy(l->text + l->off[6] + nb, a, na);
	assert_int_equal(verify(l, l->text, l->len, &l->anchor, &rep),
	    CV_ERR_TAMPERED);
	assert_int_equal(rep.fault, AUDIT_FAULT_REORDERED);
	assert_int_equal(rep.fault_line, 7);
	log_free(l);

	/* Line 2 repeated in place of line 3. */
	build(l);
	pa = line_at(l, 2, &na);
	memcpy(a, pa, na);
	(void)line_at(l, 3, &nb);
	assert_int_equal(na, nb);
	memcpy(l->text + l->off[2], a, na);
	assert_int_equal(verify(l, l->text, l->len, &l->anchor, &rep),
	    CV_ERR_TAMPERED);
	assert_int_equal(rep.fault, AUDIT_FAULT_REORDERED);
	assert_int_equal(rep.fault_line, 3);
	log_free(l);
	free(l);
}

static void
test_truncated(void **state)
{
	struct log		*l;
	struct audit_report	 rep;
	size_t			 cut;
	int			 r;

	assert_non_null(l = malloc(sizeof(*l)));
	build(l);
	/* At every length: never success short of the anchored checkpoint. */
	for (cut = 0; cut < l->len; cut++) {
		r = verify(l, l->text, cut, &l->anchor, &rep);
		if (cut >= l->off[10]) {
			/* Within the unsigned tail: only a torn line fails. */
			if (l->text[cut - 1] == '\n')
				assert_int_equal(r, 0);
			else
				assert_int_equal(r, CV_ERR_CORRUPT);
		} else if (cut == 0 || l->text[cut - 1] == '\n') {
			assert_int_equal(r, CV_ERR_TAMPERED);
			assert_int_equal(rep.fault, AUDIT_FAULT_TRUNCATED);
		} else {
			assert_int_equal(r, CV_ERR_CORRUPT);
			assert_int_equal(rep.fault, AUDIT_FAULT_MALFORMED);
		}
	}
	/* Cut after line 11: one record after the last checkpoint. */
	assert_int_equal(verify(l, l->text, l->off[11], &l->anchor, &rep), 0);
	assert_int_equal(rep.unsigned_tail, 1);
	assert_int_equal(rep.last_checkpoint, 10);
	/* Cut after line 7: fine alone, caught by the anchor. */
	assert_int_equal(verify(l, l->text, l->off[7], NULL, &rep), 0);
	assert_int_equal(rep.unsigned_tail, 2);
	assert_int_equal(rep.last_checkpoint, 5);
	assert_int_equal(verify(l, l->text, l->off[7], &l->anchor, &rep),
	    CV_ERR_TAMPERED);
	assert_int_equal(rep.fault, AUDIT_FAULT_TRUNCATED);
	assert_int_equal(rep.fault_line, 8);
	log_free(l);
	free(l);
}

static void
test_badsig(void **state)
{
	struct log		*l;
	struct audit_report	 rep;
	struct audit_anchor	 a;
	uint8_t			 other[AUDIT_PK_LEN];
	char			*p;
	size_t			 n;

	assert_non_null(l = malloc(sizeof(*l)));
	build(l);
	/* Another public key. */
	memcpy(other, l->pk, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(audit_verify(l->text, l->len, other, NULL, &rep),
	    CV_ERR_BADSIG);
	assert_int_equal(rep.fault, AUDIT_FAULT_BADSIG);
	assert_int_equal(rep.fault_line, 5);
	/* A changed signature (still hex). */
	p = line_at(l, 10, &n);
	p[n - 2] = p[n - 2] == '0' ? '1' : '0';
	assert_int_equal(verify(l, l->text, l->len, NULL, &rep),
	    CV_ERR_BADSIG);
	assert_int_equal(rep.fault_line, 10);
	log_free(l);

	/* An unsigned checkpoint: line 10 with "-" for its signature. */
	build(l);
	p = line_at(l, 10, &n);
	memcpy(p + n - 1 - AUDIT_HEX_SIG, "-\n", 2);
	assert_int_equal(verify(l, l->text, l->off[9] + n - AUDIT_HEX_SIG + 1,
	    NULL, &rep), CV_ERR_BADSIG);
	assert_int_equal(rep.fault, AUDIT_FAULT_BADSIG);
	assert_int_equal(rep.fault_line, 10);
	assert_int_equal(rep.records, 9);
	log_free(l);

	/* The anchor names a different checkpoint line. */
	build(l);
	a = l->anchor;
	a.hash[0] ^= 1;
	assert_int_equal(verify(l, l->text, l->len, &a, &rep),
	    CV_ERR_TAMPERED);
	assert_int_equal(rep.fault, AUDIT_FAULT_EDITED);
	assert_int_equal(rep.fault_line, 10);
	log_free(l);
	free(l);
}

/* signerd signs only a well-formed checkpoint naming its own key. */
static void
test_sign_refuses(void **state)
{
	struct audit_rec	r;
	struct secret		sk, sk2;
	uint8_t			pk[AUDIT_PK_LEN], pk2[AUDIT_PK_LEN];

	assert_int_equal(audit_key_new(&sk, pk), 0);
	assert_int_equal(audit_key_new(&sk2, pk2), 0);
	event(&r, 1);
	r.seq = 1;
	(void)snprintf(r.prev, sizeof(r.prev), "%s", ZEROS);
	audit_key_id(pk, r.key_id);
	assert_int_equal(audit_checkpoint_sign(&r, &sk), CV_ERR_INVALID);
	audit_rec_init(&r);
	r.seq = 9;
	assert_int_equal(audit_time_format(T0, r.time), 0);
	(void)snprintf(r.actor, sizeof(r.actor), "vaultd");
	(void)snprintf(r.op, sizeof(r.op), AUDIT_OP_CHECKPOINT);
	(void)snprintf(r.prev, sizeof(r.prev), "%s", ZEROS);
	audit_key_id(pk, r.key_id);
	assert_int_equal(audit_checkpoint_sign(&r, &sk2), CV_ERR_INVALID);
	(void)snprintf(r.path, sizeof(r.path), "/x");
	assert_int_equal(audit_checkpoint_sign(&r, &sk), CV_ERR_INVALID);
	(void)snprintf(r.path, sizeof(r.path), "-");
	assert_int_equal(audit_checkpoint_sign(&r, &sk), 0);
	assert_int_equal(audit_checkpoint_verify(&r, pk), 0);
	assert_int_equal(audit_checkpoint_verify(&r, pk2), CV_ERR_BADSIG);
	/* The signature covers seq and time. */
	r.seq = 10;
	assert_int_equal(audit_checkpoint_verify(&r, pk), CV_ERR_BADSIG);
	secret_free(&sk);
	secret_free(&sk2);
}

static void
test_verify_file(void **state)
{
	struct log		*l;
	struct audit_report	 rep;
	char			 path[] = "/tmp/cvaudit.XXXXXX";
	int			 fd;

	assert_non_null(l = malloc(sizeof(*l)));
	build(l);
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, l->text, l->len), (ssize_t)l->len);
	close(fd);
	assert_int_equal(audit_verify_file(path, l->pk, &l->anchor, &rep), 0);
	assert_int_equal(rep.records, 12);
	assert_int_equal(truncate(path, (off_t)l->off[4]), 0);
	assert_int_equal(audit_verify_file(path, l->pk, &l->anchor, &rep),
	    CV_ERR_TAMPERED);
	assert_int_equal(rep.fault, AUDIT_FAULT_TRUNCATED);
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(audit_verify_file(path, l->pk, NULL, &rep), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(audit_verify_file(path, l->pk, NULL, &rep),
	    CV_ERR_NOTFOUND);
	assert_string_equal(audit_fault_str(AUDIT_FAULT_DELETED),
	    "a record is missing (sequence gap)");
	log_free(l);
	free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_format),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_parse_strict),
		cmocka_unit_test(test_chain_ok),
		cmocka_unit_test(test_edited),
		cmocka_unit_test(test_deleted),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_badsig),
		cmocka_unit_test(test_sign_refuses),
		cmocka_unit_test(test_verify_file),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
