/*
 * common/audit.c: the record line format, the hash chain, checkpoint
 * signatures and verification.  Each kind of damage to a log is asserted
 * with its exact code, fault and line.
 */
#include <fcntl.h>
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
#include "common/msg.h"

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
	audit_field_gen(&r, i);
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
	    "0b7a6e1c-52c4-4bd6-9a8f-2c0e0d9a1e11\t-\t%s\t%s\t-\n",
	    r.digest, ZEROS);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	assert_int_equal(audit_record_parse(buf, n, &p), 0);
	assert_memory_equal(&r, &p, sizeof(r));
	/* Too small a buffer. */
	assert_int_equal(audit_record_format(&r, buf, n, &n), CV_ERR_TOOLONG);
	/* The largest sequence number, all twenty digits. */
	r.seq = UINT64_MAX;
	assert_int_equal(audit_record_format(&r, buf, sizeof(buf), &n), 0);
	assert_int_equal(strncmp(buf, "18446744073709551615\t2026-", 26), 0);
	assert_int_equal(audit_record_parse(buf, n, &p), 0);
	assert_memory_equal(&r, &p, sizeof(r));
}

static void
test_time(void **state)
{
	char	t[AUDIT_TIME_LEN + 1];
	time_t	tt;

	assert_int_equal(audit_time_format(0, t), 0);
	assert_string_equal(t, "1970-01-01T00:00:00Z");
	assert_int_equal(audit_time_format(951782400, t), 0);
	assert_string_equal(t, "2000-02-29T00:00:00Z");
	assert_int_equal(audit_time_format(-1, t), CV_ERR_INVALID);
	/* the same second again (kept), another, then back */
	memset(t, 0, sizeof(t));
	assert_int_equal(audit_time_format(951782400, t), 0);
	assert_string_equal(t, "2000-02-29T00:00:00Z");
	assert_int_equal(audit_time_format(951782401, t), 0);
	assert_string_equal(t, "2000-02-29T00:00:01Z");
	/* year 10000 does not fit; what was kept is not given instead */
	assert_int_equal(audit_time_format(253402300800, t), CV_ERR_INVALID);
	assert_int_equal(audit_time_format(951782401, t), 0);
	assert_string_equal(t, "2000-02-29T00:00:01Z");
	assert_int_equal(audit_time_format(0, t), 0);
	assert_string_equal(t, "1970-01-01T00:00:00Z");

	/* and back, the one form only */
	tt = 1;
	assert_int_equal(audit_time_parse("1970-01-01T00:00:00Z", 20, &tt), 1);
	assert_int_equal(tt, 0);
	assert_int_equal(audit_time_parse("2000-02-29T00:00:01Z", 20, &tt), 1);
	assert_int_equal(tt, 951782401);
	assert_int_equal(audit_time_parse("2000-02-29T00:00:01Z", 20, NULL),
	    1);
	tt = 7;
	assert_int_equal(audit_time_parse("2001-02-29T00:00:01Z", 20, &tt), 0);
	assert_int_equal(audit_time_parse("2000-02-29T00:00:01", 19, &tt), 0);
	assert_int_equal(audit_time_parse("1969-12-31T23:59:59Z", 20, &tt), 0);
	assert_int_equal(tt, 7);
}

/* Lines the parser must refuse, each differing from a good one by a bit. */
static void
test_parse_strict(void **state)
{
#define L0	"1\t2026-01-01T00:00:01Z\ta\t-\top\t"	/* to method */
#define L1	"\t-\t" ZEROS "\t-\n"		/* digest on */
	static const char *bad[] = {
		"",
		"\n",
		L0 "-\t-\t-\t-\t-\t-\t" ZEROS "\t-",
		L0 "-\t-\t-\t-\t-" L1 "\n",
		L0 "-\t-\t-\t-\t-\t-\t" ZEROS "\t-\r\n",
		L0 "-\t-\t-\t-\t-" L1 "\t-\n",
		/* the 12 fields of the old format */
		L0 "-\t-\t-\t-\t-\t" ZEROS "\t-\n",
		"01\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-" L1,
		"0\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-" L1,
		"+1\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-" L1,
		"18446744073709551616\t2026-01-01T00:00:01Z\ta\t-\top\t-\t-\t"
		    "-\t-\t-" L1,
		"1\t2026-02-29T00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-" L1,
		"1\t2026-01-01 00:00:01Z\ta\t-\top\t-\t-\t-\t-\t-" L1,
		"1\t2026-01-01T24:00:01Z\ta\t-\top\t-\t-\t-\t-\t-" L1,
		"1\t2026-01-01T00:00:01Z\ta b\t-\top\t-\t-\t-\t-\t-" L1,
		"1\t2026-01-01T00:00:01Z\t\t-\top\t-\t-\t-\t-\t-" L1,
		"1\t2026-01-01T00:00:01Z\ta\t-\tOp\t-\t-\t-\t-\t-" L1,
		/* methods and paths outside their syntax, badly escaped */
		L0 "get\t-\t-\t-\t-" L1,
		L0 "GETGETGETGE\t-\t-\t-\t-" L1,
		L0 "!GET\t-\t-\t-\t-" L1,
		L0 "!%47ET\t-\t-\t-\t-" L1,
		L0 "!%6g\t-\t-\t-\t-" L1,
		L0 "!get\t-\t-\t-\t-" L1,
		L0 "!%00~\t-\t-\t-\t-" L1,
		L0 "!%6\t-\t-\t-\t-" L1,
		L0 "!g\t-\t-\t-\t-" L1,
		L0 "GET\tpath\t-\t-\t-" L1,
		L0 "GET\t!/a\t-\t-\t-" L1,
		L0 "GET\t!%2Fa%20\t-\t-\t-" L1,
		L0 "GET\t!%25%7e\t-\t-\t-" L1,
		L0 "GET\t!a~b\t-\t-\t-" L1,
		/* gen: canonical decimal */
		L0 "-\t-\t-\t-\t01" L1,
		L0 "-\t-\t-\t-\tx" L1,
		L0 "-\t-\t-\t-\t18446744073709551616" L1,
		/* an intent names its generation */
		L0 "-\t-\tintent\t-\t-" L1,
		L0 "-\t-\t-\t-\t-\tABCD\t" ZEROS "\t-\n",
		L0 "-\t-\t-\t-\t-\t-\t-\t-\n",
		L0 "-\t-\t-\t-\t-\t-\t"
		    "00000000000000000000000000000000"
		    "0000000000000000000000000000000A"
		    "\t-\n",
		/* A signature on an event; a checkpoint with no key or gen. */
		L0 "-\t-\t-\t-\t-\t-\t" ZEROS "\t" ZEROS ZEROS "\n",
		"1\t2026-01-01T00:00:01Z\ta\t-\tcheckpoint\t-\t-\t-\t-\t1" L1,
		"1\t2026-01-01T00:00:01Z\ta\t-\tcheckpoint\t-\t-\t-\t" ZEROS
		    "\t-" L1,
	};
	static const char *good_too[] = {
		L0 "!%67%65%74\t!path\t-\t-\t0" L1,
		L0 "!%00%09%0A%FF\t!%25%7E~\t-\t-\t18446744073709551615" L1,
		L0 "!ABCDEFGHIJK\t/a%20b~\tintent\t-\t3" L1,
		L0 "!\t!\t-\t-\t-" L1,
	};
	static const char good[] = L0 "-\t-\t-\t-\t-" L1;
	struct audit_rec	r;
	char			with_nul[sizeof(good)];
	size_t			i;

	assert_int_equal(audit_record_parse(good, strlen(good), &r), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (audit_record_parse(bad[i], strlen(bad[i]), &r) !=
		    CV_ERR_CORRUPT)
			fail_msg("accepted bad line %zu", i);
	}
	for (i = 0; i < sizeof(good_too) / sizeof(good_too[0]); i++) {
		if (audit_record_parse(good_too[i], strlen(good_too[i]), &r)
		    != 0)
			fail_msg("refused good line %zu", i);
	}
#undef L0
#undef L1
	memcpy(with_nul, good, sizeof(good));
	with_nul[20] = '\0';
	assert_int_equal(audit_record_parse(with_nul, strlen(good), &r),
	    CV_ERR_CORRUPT);
}

/*
 * The hashes' digits are checked 8 at a time: each byte of the digest
 * and of prev, in turn, set to digits' neighbours (and past ASCII).
 */
static void
test_parse_hex(void **state)
{
	static const char	 hex[] =
	    "0123456789abcdef0123456789abcdef"
	    "fedcba9876543210fedcba9876543210";
	static const char	 bad[] = "/:@AFG`g \x80\xff";
	static const char	 ok[] = "09af";
	struct audit_rec	 r;
	const char		*c;
	char			 line[256];
	size_t			 n, field, at, i, start;

	n = (size_t)snprintf(line, sizeof(line), "1\t2026-01-01T00:00:01Z"
	    "\ta\t-\top\t-\t-\t-\t-\t-\t%s\t%s\t-\n", hex, hex);
	assert_int_equal(audit_record_parse(line, n, &r), 0);
	start = (size_t)(strstr(line, hex) - line);
	for (field = 0; field < 2; field++)
		for (at = 0; at < AUDIT_HEX_HASH; at++) {
			i = start + field * (AUDIT_HEX_HASH + 1) + at;
			for (c = bad; *c != '\0'; c++) {
				line[i] = *c;
				if (audit_record_parse(line, n, &r) !=
				    CV_ERR_CORRUPT)
					fail_msg("accepted 0x%02x at %zu",
					    (unsigned char)*c, i);
			}
			for (c = ok; *c != '\0'; c++) {
				line[i] = *c;
				assert_int_equal(audit_record_parse(line, n,
				    &r), 0);
			}
			line[i] = hex[at];
		}
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

/* The op of a line, told without parsing it (the budgets' replay). */
static void
test_line_op(void **state)
{
	static const char	l[] = "7\t2026-01-01T00:00:01Z\tvaultctl:0:9\t"
	    "pm\tbudget\t-\t/pm/o0/0:1:1\tcharge\t-\t-\t-\t-\t-\n";

	assert_int_equal(audit_line_op_is(l, sizeof(l) - 1, "budget"), 1);
	assert_int_equal(audit_line_op_is(l, sizeof(l) - 1, "budge"), 0);
	assert_int_equal(audit_line_op_is(l, sizeof(l) - 1, "budgets"), 0);
	assert_int_equal(audit_line_op_is(l, sizeof(l) - 1, "sign"), 0);
	/* the account field is not the op */
	assert_int_equal(audit_line_op_is(l, sizeof(l) - 1, "pm"), 0);
	/* cut before the op ends, or before its TAB */
	assert_int_equal(audit_line_op_is(l, 44, "budget"), 0);
	assert_int_equal(audit_line_op_is(l, 45, "budget"), 0);
	assert_int_equal(audit_line_op_is(l, 46, "budget"), 1);
	assert_int_equal(audit_line_op_is("a\tb\tc\n", 6, "c"), 0);
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
	/* a checkpoint names the generation of the vault carrying it */
	assert_int_equal(audit_checkpoint_sign(&r, &sk), CV_ERR_INVALID);
	audit_field_gen(&r, 7);
	assert_int_equal(audit_checkpoint_sign(&r, &sk), 0);
	assert_int_equal(audit_checkpoint_verify(&r, pk), 0);
	assert_int_equal(audit_checkpoint_verify(&r, pk2), CV_ERR_BADSIG);
	/* The signature covers seq, time and gen. */
	audit_field_gen(&r, 8);
	assert_int_equal(audit_checkpoint_verify(&r, pk), CV_ERR_BADSIG);
	audit_field_gen(&r, 7);
	assert_int_equal(audit_checkpoint_verify(&r, pk), 0);
	r.seq = 10;
	assert_int_equal(audit_checkpoint_verify(&r, pk), CV_ERR_BADSIG);
	/* it may carry the budgets file's hash, which it signs too */
	r.seq = 9;
	(void)snprintf(r.digest, sizeof(r.digest), "%s", ZEROS);
	assert_int_equal(audit_checkpoint_verify(&r, pk), CV_ERR_BADSIG);
	assert_int_equal(audit_checkpoint_sign(&r, &sk), 0);
	assert_int_equal(audit_checkpoint_verify(&r, pk), 0);
	r.digest[0] = '1';
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

/* Fields from a peer format to exact bytes, whatever they hold. */
/*
 * A snapshot of a log being written (vaultd's audit scanner): the current
 * file is read from a descriptor and only as far as it was when taken,
 * whatever is appended after and wherever the file is renamed.
 */
static void
test_verify_snapshot(void **state)
{
	struct log		*l;
	struct audit_log	 alog;
	struct audit_report	 rep;
	char			 dir[] = "/tmp/cvsnap.XXXXXX", path[64], moved[64];
	int			 fd, nfd;

	assert_non_null(l = malloc(sizeof(*l)));
	build(l);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	snprintf(moved, sizeof(moved), "%s/audit.log.000001", dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0);
	assert_int_equal(write(fd, l->text, l->off[6] + 5),
	    (ssize_t)l->off[6] + 5);	/* six lines and a half */
	close(fd);
	assert_int_equal(audit_log_scan(path, &alog), 0);
	assert_int_equal(alog.nseg, 0);

	/* six lines: the half written one is not read, nor what follows */
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(rename(path, moved), 0);
	assert_true((nfd = creat(path, 0600)) >= 0);
	close(nfd);
	assert_int_equal(audit_verify_log(&alog, fd, l->off[6], l->pk, NULL,
	    &rep), 0);
	assert_int_equal(rep.records, 6);
	assert_int_equal(rep.segments, 1);

	/* bounded mid-line: the cut line is read, and is malformed */
	assert_true((fd = open(moved, O_RDONLY)) >= 0);
	assert_int_equal(audit_verify_log(&alog, fd, l->off[6] + 5, l->pk,
	    NULL, &rep), CV_ERR_CORRUPT);
	assert_int_equal(rep.fault_line, 7);

	/* no current file when taken: none read */
	assert_int_equal(audit_verify_log(&alog, -1, 100, l->pk, NULL, &rep),
	    0);
	assert_int_equal(rep.records, 0);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(unlink(moved), 0);
	assert_int_equal(rmdir(dir), 0);
	log_free(l);
	free(l);
}

static void
test_hostile_fields(void **state)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*method, *path;
	} c[] = {
		{ "GET", 3, "GET", "!GET" },
		{ "get", 3, "!%67%65%74", "!get" },
		{ "G\0T", 3, "!G%00T", "!G%00T" },
		{ "G\tT", 3, "!G%09T", "!G%09T" },
		{ "/a\nb", 4, "!%2F%61%0A%62", "!/a%0Ab" },
		{ "\xff\x80", 2, "!%FF%80", "!%FF%80" },
		{ "", 0, "!", "!" },
		{ "ABCDEFGHIJK", 11, "!ABCDEFGHIJK", "!ABCDEFGHIJK" },
		{ "ABCDEFGHIJKLMNOPQ", 17, "!ABCDEFGHIJKLMNOP~",
		    "!ABCDEFGHIJKLMNOPQ" },
		{ "/x?a=%20&b=~", 12, "!%2F%78%3F%61%3D%25%32%30%26%62%3D%7E",
		    "/x?a=%20&b=~" },
		{ "/x y", 4, "!%2F%78%20%79", "!/x%20y" },
		{ "x%~", 3, "!%78%25%7E", "!x%25%7E" },
	};
	struct audit_rec	r, p;
	char			line[AUDIT_LINE_MAX + 1], big[5000];
	size_t			i, n;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		audit_rec_init(&r);
		r.seq = 1;
		assert_int_equal(audit_time_format(T0, r.time), 0);
		(void)snprintf(r.prev, sizeof(r.prev), "%s", ZEROS);
		audit_field_method(r.method, c[i].in, c[i].len);
		audit_field_path(r.path, c[i].in, c[i].len);
		assert_string_equal(r.method, c[i].method);
		assert_string_equal(r.path, c[i].path);
		/* and the record formats and parses back */
		assert_int_equal(audit_record_format(&r, line, sizeof(line),
		    &n), 0);
		assert_int_equal(audit_record_parse(line, n, &p), 0);
		assert_memory_equal(&r, &p, sizeof(r));
	}
	/* overlong paths are cut to fit, marked */
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	audit_field_path(r.path, big, sizeof(big));
	assert_int_equal(strlen(r.path), 512);
	assert_memory_equal(r.path, "!/aaa", 5);
	assert_int_equal(r.path[511], '~');
	big[1] = '\t';
	audit_field_path(r.path, big, sizeof(big));
	assert_memory_equal(r.path, "!/%09aa", 7);
	assert_int_equal(r.path[strlen(r.path) - 1], '~');
	audit_field_path(r.path, big, 512);
	assert_int_equal(r.path[strlen(r.path) - 1], '~');
	big[1] = 'a';
	audit_field_path(r.path, big, 512);		/* fits: kept */
	assert_int_equal(strlen(r.path), 512);
	assert_int_equal(r.path[0], '/');
	/* names and words: mapped, cut, never empty */
	audit_field_name(r.account, sizeof(r.account), "a b\tc\n\xff-");
	assert_string_equal(r.account, "a_b_c__-");
	audit_field_name(r.account, sizeof(r.account), "");
	assert_string_equal(r.account, "-");
	audit_field_name(r.account, sizeof(r.account), NULL);
	assert_string_equal(r.account, "-");
	audit_field_name(r.account, sizeof(r.account), big);
	assert_int_equal(strlen(r.account), AUDIT_MAX_NAME);
	audit_field_word(r.op, sizeof(r.op), "Account add/x");
	assert_string_equal(r.op, "account_add_x");
	audit_field_word(r.verdict, sizeof(r.verdict), "http_404");
	assert_string_equal(r.verdict, "http_404");
	audit_field_word(r.verdict, sizeof(r.verdict), big);
	assert_int_equal(strlen(r.verdict), AUDIT_MAX_VERDICT);
	/* the longest record still fits a line */
	audit_rec_init(&r);
	r.seq = UINT64_MAX - 1;
	assert_int_equal(audit_time_format(T0, r.time), 0);
	(void)snprintf(r.prev, sizeof(r.prev), "%s", ZEROS);
	(void)snprintf(r.digest, sizeof(r.digest), "%s", ZEROS);
	audit_field_name(r.actor, sizeof(r.actor), big);
	audit_field_name(r.account, sizeof(r.account), big);
	audit_field_word(r.op, sizeof(r.op), big);
	audit_field_method(r.method, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
	    "\xff\xff\xff\xff\xff\xff\xff", 17);
	big[1] = '\t';
	audit_field_path(r.path, big, sizeof(big));
	audit_field_word(r.verdict, sizeof(r.verdict), big);
	audit_field_name(r.key_id, sizeof(r.key_id), big);
	audit_field_gen(&r, UINT64_MAX);
	assert_int_equal(audit_record_format(&r, line, sizeof(line), &n), 0);
	assert_true(n <= AUDIT_LINE_MAX);
}

static void
digest_of(uint64_t level, const char *m, const char *path, const char *body,
    uint64_t nonce, const char *ts, uint8_t out[AUDIT_HASH_LEN])
{
	struct audit_req	q;

	memset(&q, 0, sizeof(q));
	q.level = level;
	q.method = m;
	q.methodlen = strlen(m);
	q.path = path;
	q.pathlen = strlen(path);
	q.body = (const uint8_t *)body;
	q.bodylen = strlen(body);
	q.nonce = nonce;
	q.timestamp = ts;
	audit_request_digest(&q, out);
}

/* Every field that changes what a signature authorises changes it. */
static void
test_request_digest(void **state)
{
	static const uint8_t	canon[] =
	    "clobvault request v1\0"
	    "\0\0\0\0\0\0\0\1"
	    "\0\0\0\3GET"
	    "\0\0\0\4/x?a"
	    "\0\0\0\2{}"
	    "\0\0\0\0\0\0\3\11"
	    "\0\0\0\12" "1767225600";
	uint8_t	a[AUDIT_HASH_LEN], b[AUDIT_HASH_LEN];

	digest_of(1, "GET", "/x?a", "{}", 777, "1767225600", a);
	crypto_generichash(b, sizeof(b), canon, sizeof(canon) - 1, NULL, 0);
	assert_memory_equal(a, b, sizeof(a));
	digest_of(1, "GET", "/x?a", "{}", 0, "1767225600", b);
	assert_memory_not_equal(a, b, sizeof(a));	/* the L1 nonce */
	digest_of(2, "GET", "/x?a", "{}", 777, "1767225600", b);
	assert_memory_not_equal(a, b, sizeof(a));	/* the level */
	digest_of(1, "GET", "/x?a", "{}", 777, "1767225601", b);
	assert_memory_not_equal(a, b, sizeof(a));	/* the timestamp */
	digest_of(1, "GET", "/x?b", "{}", 777, "1767225600", b);
	assert_memory_not_equal(a, b, sizeof(a));	/* the query */
	digest_of(1, "GET", "/x?a", "{ }", 777, "1767225600", b);
	assert_memory_not_equal(a, b, sizeof(a));	/* the body */
	/* framing: no field can borrow bytes from the next */
	digest_of(1, "GE", "T/x?a", "{}", 777, "1767225600", b);
	assert_memory_not_equal(a, b, sizeof(a));
	digest_of(1, "GET", "/x?a{", "}", 777, "1767225600", b);
	assert_memory_not_equal(a, b, sizeof(a));
}

/*
 * The same request signed with other material is another digest: the
 * wallet signing the body's orders, for one exchange or the other
 * (SIGN_F_ORDERS, SIGN_F_NEGRISK), or a named API key.  They used to
 * leave the digest as it was, so the record of an order signed for the
 * neg-risk exchange read as that of the same body signed for the other.
 */
static void
test_request_digest_material(void **state)
{
	struct audit_req	q;
	uint8_t			plain[AUDIT_HASH_LEN], a[AUDIT_HASH_LEN];
	uint8_t			b[AUDIT_HASH_LEN], c[AUDIT_HASH_LEN];
	uint8_t			d[AUDIT_HASH_LEN];

	memset(&q, 0, sizeof(q));
	q.level = 2;
	q.method = "POST";
	q.methodlen = 4;
	q.path = "/order";
	q.pathlen = 6;
	q.body = (const uint8_t *)"{}";
	q.bodylen = 2;
	q.timestamp = "1767225600";
	audit_request_digest(&q, plain);
	q.key_id = "";
	audit_request_digest(&q, a);
	assert_memory_equal(plain, a, sizeof(a));	/* "" is none */
	q.flags = SIGN_F_ORDERS;
	audit_request_digest(&q, a);
	q.flags = SIGN_F_ORDERS | SIGN_F_NEGRISK;
	audit_request_digest(&q, b);
	q.flags = 0;
	q.key_id = "k1";
	audit_request_digest(&q, c);
	q.key_id = "k2";
	audit_request_digest(&q, d);
	assert_memory_not_equal(plain, a, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(plain, c, sizeof(a));
	assert_memory_not_equal(c, d, sizeof(a));
	assert_memory_not_equal(a, c, sizeof(a));
}

static void
write_file(const char *path, const char *p, size_t n)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* A log in three files: segments 1 and 2, then the current file. */
static void
test_segments(void **state)
{
	struct log		*l;
	struct audit_report	 rep;
	struct audit_log	 log;
	char			 dir[] = "/tmp/cvseg.XXXXXX", path[64], seg[80];

	assert_non_null(l = malloc(sizeof(*l)));
	build(l);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	/* lines 1-5 (ending with checkpoint 5), 6-10, 11-12 */
	snprintf(seg, sizeof(seg), "%s.000001", path);
	write_file(seg, l->text, l->off[5]);
	snprintf(seg, sizeof(seg), "%s.000002", path);
	write_file(seg, l->text + l->off[5], l->off[10] - l->off[5]);
	write_file(path, l->text + l->off[10], l->len - l->off[10]);
	assert_int_equal(audit_log_scan(path, &log), 0);
	assert_int_equal(log.nseg, 2);
	assert_int_equal(log.gap, 0);
	assert_int_equal(audit_verify_file(path, l->pk, &l->anchor, &rep), 0);
	assert_int_equal(rep.records, 12);
	assert_int_equal(rep.segments, 3);
	assert_int_equal(rep.checkpoints, 2);
	/* no current file (a crash mid-rotation): still the whole log */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(audit_verify_file(path, l->pk, NULL, &rep), 0);
	assert_int_equal(rep.records, 10);
	/* an edit in a segment is named with its file and line */
	write_file(path, l->text + l->off[10], l->len - l->off[10]);
	snprintf(seg, sizeof(seg), "%s.000002", path);
	l->text[l->off[6] + 30] ^= 1;
	write_file(seg, l->text + l->off[5], l->off[10] - l->off[5]);
	l->text[l->off[6] + 30] ^= 1;
	assert_int_equal(audit_verify_file(path, l->pk, &l->anchor, &rep),
	    CV_ERR_TAMPERED);
	assert_int_equal(rep.fault, AUDIT_FAULT_EDITED);
	assert_string_equal(rep.fault_file, "audit.log.000002");
	assert_int_equal(rep.fault_line, 2);
	/* the last segment missing: the gap shows where the seqs jump */
	assert_int_equal(unlink(seg), 0);
	assert_int_equal(audit_verify_file(path, l->pk, &l->anchor, &rep),
	    CV_ERR_TAMPERED);
	assert_int_equal(rep.fault, AUDIT_FAULT_DELETED);
	assert_string_equal(rep.fault_file, "audit.log");
	assert_int_equal(rep.fault_line, 1);
	/* a missing middle segment: deleted, named */
	snprintf(seg, sizeof(seg), "%s.000003", path);
	write_file(seg, "", 0);
	assert_int_equal(audit_verify_file(path, l->pk, &l->anchor, &rep),
	    CV_ERR_TAMPERED);
	assert_int_equal(rep.fault, AUDIT_FAULT_DELETED);
	assert_string_equal(rep.fault_file, "audit.log.000002");
	assert_int_equal(unlink(seg), 0);
	snprintf(seg, sizeof(seg), "%s.000001", path);
	assert_int_equal(unlink(seg), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	log_free(l);
	free(l);
}

/* A record with op, verdict and gen, appended to l. */
static void
gen_event(struct log *l, const char *op, const char *verdict, uint64_t gen)
{
	struct audit_rec	r;

	audit_rec_init(&r);
	assert_int_equal(audit_time_format(T0, r.time), 0);
	(void)snprintf(r.actor, sizeof(r.actor), "vaultctl");
	(void)snprintf(r.op, sizeof(r.op), "%s", op);
	(void)snprintf(r.verdict, sizeof(r.verdict), "%s", verdict);
	if (gen != 0)
		audit_field_gen(&r, gen);
	append(l, &r);
}

/* A write-ahead intent with no outcome is reported, not a fault. */
static void
test_interrupted(void **state)
{
	struct log		*l;
	struct audit_report	 rep;

	assert_non_null(l = malloc(sizeof(*l)));
	memset(l, 0, sizeof(*l));
	assert_int_equal(audit_key_new(&l->sk, l->pk), 0);
	gen_event(l, "account_add", "intent", 3);
	gen_event(l, "account_add", "ok", 3);
	gen_event(l, "invite_set", "intent", 4);	/* line 3: crashed */
	gen_event(l, "unlock", "ok", 0);
	checkpoint(l, 5);
	gen_event(l, "invite_set", "intent", 5);
	gen_event(l, "sign", "allow", 0);
	gen_event(l, "invite_set", "written", 5);
	gen_event(l, "invite_set", "intent", 6);	/* line 9: at the end */
	assert_int_equal(verify(l, l->text, l->len, NULL, &rep), 0);
	assert_int_equal(rep.interrupted, 2);
	assert_int_equal(rep.interrupted_line, 3);
	log_free(l);
	free(l);
}

/*
 * What a verification found, for people: the same words online
 * (vaultd) and offline (vaultctl audit verify --offline).
 */
static void
test_report_text(void **state)
{
	struct log		*l;
	struct audit_report	 rep;
	char			 text[768], *p;
	size_t			 n;

	assert_non_null(l = malloc(sizeof(*l)));
	build(l);
	assert_int_equal(verify(l, l->text, l->len, &l->anchor, &rep), 0);
	audit_report_text(0, &rep, text, sizeof(text));
	assert_string_equal(text, "audit log verified: 12 records in 0 files, "
	    "2 checkpoints, last checkpoint at 10, 2 records after it");
	p = line_at(l, 7, &n);
	assert_non_null(p = memmem(p, n, "\tallow\t", 7));
	memcpy(p, "\tdeny_\t", 7);
	audit_report_text(verify(l, l->text, l->len, &l->anchor, &rep), &rep,
	    text, sizeof(text));
	assert_string_equal(text, "audit log FAILED verification: a record "
	    "was edited (its hash is not the next prev) at audit.log line 7");
	memset(&rep, 0, sizeof(rep));
	audit_report_text(CV_ERR_NOTFOUND, &rep, text, sizeof(text));
	assert_string_equal(text, "cannot read the audit log: not found");
	log_free(l);
	free(l);

	/* a crash between an intent and its outcome is said, not failed */
	assert_non_null(l = malloc(sizeof(*l)));
	memset(l, 0, sizeof(*l));
	assert_int_equal(audit_key_new(&l->sk, l->pk), 0);
	gen_event(l, "account_add", "intent", 3);
	checkpoint(l, 4);
	assert_int_equal(verify(l, l->text, l->len, NULL, &rep), 0);
	audit_report_text(0, &rep, text, sizeof(text));
	assert_string_equal(text, "audit log verified: 2 records in 0 files, "
	    "1 checkpoints, last checkpoint at 2, 0 records after it; 1 "
	    "interrupted vault write (an intent with no outcome: a crash "
	    "between the intent and its record; the vault's generation shows "
	    "whether it was written), the first at  line 1");
	log_free(l);
	free(l);
}

/* Feed the whole log l to the cross-check of a vault. */
static enum audit_gen_verdict
gen_upto(struct log *l, const struct audit_anchor *a, uint64_t vault_gen,
    size_t upto)
{
	struct audit_gen_check	g;
	struct audit_rec	r;
	uint8_t			h[AUDIT_HASH_LEN];
	size_t			i, n;
	char			*p;

	audit_gen_init(&g, a, vault_gen, l->pk);
	for (i = 1; i <= upto; i++) {
		p = line_at(l, i, &n);
		assert_int_equal(audit_record_parse(p, n, &r), 0);
		audit_chain_hash(p, n, h);
		if (audit_gen_record(&g, &r, h))
			break;
	}
	return audit_gen_end(&g);
}

static enum audit_gen_verdict
gen_check(struct log *l, const struct audit_anchor *a, uint64_t vault_gen)
{
	return gen_upto(l, a, vault_gen, l->n);
}

/* A log of a new vault: its key, and init's intent and outcome. */
static struct log *
gen_log_init(void)
{
	struct log	*l;

	assert_non_null(l = malloc(sizeof(*l)));
	memset(l, 0, sizeof(*l));
	assert_int_equal(audit_key_new(&l->sk, l->pk), 0);
	gen_event(l, "init", "intent", 1);
	gen_event(l, "init", "ok", 1);
	return l;
}

/* Rollback of the vault or of the log, each way, and what is allowed. */
static void
test_gen_check(void **state)
{
	struct log		*l;
	struct audit_anchor	 a2, a5, none;

	memset(&none, 0, sizeof(none));
	l = gen_log_init();
	/* before any checkpoint, a vault with no anchor is fine */
	assert_int_equal(gen_check(l, &none, 1), AUDIT_GEN_OK);
	checkpoint(l, 2);			/* seq 3, gen 2 */
	a2 = l->anchor;
	/* the first checkpoint synced, its vault write never made */
	assert_int_equal(gen_check(l, &none, 1), AUDIT_GEN_OK);
	assert_int_equal(gen_check(l, &none, 2), AUDIT_GEN_LOG_OLDER);
	gen_event(l, "account_add", "intent", 3);
	/* ... but a next generation proves it written */
	assert_int_equal(gen_check(l, &none, 1), AUDIT_GEN_VAULT_OLDER);
	gen_event(l, "account_add", "ok", 3);
	/* crash after the write, before its checkpoint was written */
	assert_int_equal(gen_check(l, &a2, 3), AUDIT_GEN_OK);
	assert_int_equal(gen_check(l, &a2, 2), AUDIT_GEN_VAULT_OLDER);
	assert_int_equal(gen_check(l, &none, 1), AUDIT_GEN_VAULT_OLDER);
	checkpoint(l, 4);			/* seq 6, gen 4 */
	/* the log one unwritten checkpoint ahead */
	assert_int_equal(gen_check(l, &a2, 3), AUDIT_GEN_OK);
	a5 = l->anchor;
	assert_int_equal(gen_check(l, &a5, 4), AUDIT_GEN_OK);
	gen_event(l, "passwd", "intent", 5);	/* seq 7, crashed */
	assert_int_equal(gen_check(l, &a5, 4), AUDIT_GEN_OK);
	assert_int_equal(gen_check(l, &a5, 5), AUDIT_GEN_OK);
	assert_int_equal(gen_check(l, &a5, 6), AUDIT_GEN_LOG_OLDER);
	gen_event(l, "unlock", "ok", 0);
	gen_event(l, "passwd", "intent", 5);	/* seq 9: so 7 was not */
	gen_event(l, "passwd", "ok", 5);
	assert_int_equal(gen_check(l, &a5, 5), AUDIT_GEN_OK);
	assert_int_equal(gen_check(l, &a5, 4), AUDIT_GEN_VAULT_OLDER);
	/* an older vault whose anchor's checkpoint was written after */
	assert_int_equal(gen_check(l, &a2, 3), AUDIT_GEN_VAULT_OLDER);
	/* a write that failed does not count */
	gen_event(l, "invite_set", "intent", 6);
	gen_event(l, "invite_set", "fail", 6);
	assert_int_equal(gen_check(l, &a5, 5), AUDIT_GEN_OK);
	assert_int_equal(gen_check(l, &a5, 6), AUDIT_GEN_LOG_OLDER);
	/* two checkpoints, the first proven unwritten by the second */
	checkpoint(l, 6);
	gen_event(l, "unlock", "ok", 0);
	checkpoint(l, 6);
	assert_int_equal(gen_check(l, &a5, 5), AUDIT_GEN_OK);
	/* the log cut before the vault's anchor, or another anchor */
	assert_int_equal(gen_upto(l, &a5, 4, 5), AUDIT_GEN_LOG_OLDER);
	a5.hash[0] ^= 1;
	assert_int_equal(gen_upto(l, &a5, 4, 7), AUDIT_GEN_MISMATCH);
	log_free(l);
	free(l);
}

/*
 * A vault whose first checkpoint was never written into it: the change
 * after it took that checkpoint's generation, and the vault of that
 * change (no anchor yet) is the one to unlock; the one before it is
 * older.  Its next checkpoint, written, anchors it as usual.
 */
static void
test_gen_first_checkpoint(void **state)
{
	struct log		*l;
	struct audit_anchor	 none, a;

	memset(&none, 0, sizeof(none));
	l = gen_log_init();
	checkpoint(l, 2);			/* the write failed */
	checkpoint(l, 2);			/* and again */
	gen_event(l, "account_add", "intent", 2);
	gen_event(l, "account_add", "ok", 2);
	assert_int_equal(gen_check(l, &none, 2), AUDIT_GEN_OK);
	assert_int_equal(gen_check(l, &none, 1), AUDIT_GEN_VAULT_OLDER);
	assert_int_equal(gen_check(l, &none, 3), AUDIT_GEN_LOG_OLDER);
	checkpoint(l, 3);
	a = l->anchor;
	gen_event(l, "unlock", "ok", 0);
	assert_int_equal(gen_check(l, &a, 3), AUDIT_GEN_OK);
	assert_int_equal(gen_check(l, &none, 2), AUDIT_GEN_OK);
	gen_event(l, "passwd", "intent", 4);
	assert_int_equal(gen_check(l, &none, 2), AUDIT_GEN_VAULT_OLDER);
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
		cmocka_unit_test(test_parse_hex),
		cmocka_unit_test(test_chain_ok),
		cmocka_unit_test(test_edited),
		cmocka_unit_test(test_deleted),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_badsig),
		cmocka_unit_test(test_sign_refuses),
		cmocka_unit_test(test_verify_file),
		cmocka_unit_test(test_verify_snapshot),
		cmocka_unit_test(test_hostile_fields),
		cmocka_unit_test(test_request_digest),
		cmocka_unit_test(test_request_digest_material),
		cmocka_unit_test(test_line_op),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_report_text),
		cmocka_unit_test(test_gen_check),
		cmocka_unit_test(test_gen_first_checkpoint),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
