/*
 * A rotation's journal entry (common/rotation.c): the exact bytes it is
 * written as, and every entry that must not read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/cv_err.h"
#include "common/rotation.h"

static const char	entry[] = "{\"v\":1,\"kind\":\"apikey\","
    "\"step\":\"delete\",\"old\":\"k-old\",\"new\":\"k-new\",\"fp\":\"\","
    "\"builder_id\":\"\",\"nonce\":7,"
    "\"tries\":2,\"resumes\":1,\"started\":1764540000,"
    "\"active_at\":1764540009,\"drain\":25,\"reason\":\"a \\\"b\\\"\","
    "\"note\":\"\"}";

static void
test_round_trip(void **state)
{
	struct rotation	r;
	char		why[256], out[VAULT_MAX_JOURNAL + 1];
	size_t		len;

	(void)state;
	assert_int_equal(rotation_parse(entry, strlen(entry), &r, why,
	    sizeof(why)), 0);
	assert_string_equal(r.kind, "apikey");
	assert_int_equal(r.step, ROT_DELETE);
	assert_string_equal(r.old_key, "k-old");
	assert_string_equal(r.new_key, "k-new");
	assert_string_equal(r.fp, "");
	assert_int_equal(r.nonce, 7);
	assert_int_equal(r.tries, 2);
	assert_int_equal(r.resumes, 1);
	assert_int_equal(r.started, 1764540000);
	assert_int_equal(r.active_at, 1764540009);
	assert_int_equal(r.drain, 25);
	assert_string_equal(r.reason, "a \"b\"");
	assert_int_equal(rotation_encode(&r, out, sizeof(out), &len), 0);
	assert_int_equal(len, strlen(entry));
	assert_string_equal(out, entry);
}

/*
 * The largest entry there can be: names of 64 bytes, numbers at their
 * largest, a reason and a note at their longest, each byte one JSON
 * writes as two.  It fits, is a journal entry, and reads back.
 */
static void
test_largest(void **state)
{
	struct rotation	r, back;
	char		why[256], out[VAULT_MAX_JOURNAL + 1];
	size_t		len;

	(void)state;
	memset(&r, 0, sizeof(r));
	snprintf(r.kind, sizeof(r.kind), "builder");
	r.step = ROT_VERIFY;
	memset(r.old_key, 'o', VAULT_MAX_NAME);
	memset(r.new_key, 'n', VAULT_MAX_NAME);
	memset(r.builder_id, 'b', VAULT_MAX_NAME);
	r.nonce = INT64_MAX;		/* what a JSON integer holds */
	r.tries = 1000;			/* the bounds rotation_parse reads */
	r.resumes = 1000000;
	r.started = INT64_MAX;
	r.active_at = INT64_MAX;
	r.drain = ROT_DRAIN_MAX;
	memset(r.reason, '"', ROT_REASON_MAX);
	memset(r.note, '\\', ROT_NOTE_MAX);
	assert_int_equal(rotation_encode(&r, out, sizeof(out), &len), 0);
	assert_true(vault_fmt_journal_valid((const uint8_t *)out, len));
	assert_int_equal(rotation_parse(out, len, &back, why, sizeof(why)),
	    0);
	assert_string_equal(back.reason, r.reason);
	assert_string_equal(back.note, r.note);
	assert_string_equal(back.builder_id, r.builder_id);
}

static void
refused(const char *text, const char *why_part)
{
	struct rotation	r;
	char		why[256];

	assert_int_equal(rotation_parse(text, strlen(text), &r, why,
	    sizeof(why)), CV_ERR_INVALID);
	if (strstr(why, why_part) == NULL)
		fail_msg("\"%s\": why \"%s\" lacks \"%s\"", text, why,
		    why_part);
	assert_int_equal(r.nonce, 0);
}

/* entry with the member name set to value, as text */
static void
refused_with(const char *name, const char *value, const char *why_part)
{
	char	 text[1024], *p, *q;

	snprintf(text, sizeof(text), "%s", entry);
	p = strstr(text, name);
	assert_non_null(p);
	p += strlen(name) + 1;		/* past the name and its colon */
	q = p;
	if (*q == '"')
		for (q++; *q != '"'; q++)
			if (*q == '\\')
				q++;
	for (; *q != ',' && *q != '}'; q++)
		;
	memmove(p + strlen(value), q, strlen(q) + 1);
	memcpy(p, value, strlen(value));
	refused(text, why_part);
}

static void
test_refused(void **state)
{
	(void)state;
	refused("", "not a journal entry");
	refused("[]", "members are");
	refused("{\"v\":1}", "members are");
	refused_with("\"v\"", "2", "version 2");
	refused_with("\"kind\"", "\"other\"",
	    "kind is apikey, builder or omnia");
	refused_with("\"kind\"", "\"omnia\"", "no step delete");
	refused_with("\"fp\"", "\"0123456789abcdef\"", "fp is the old");
	refused_with("\"builder_id\"", "\"b1\"", "builder_id names");
	refused_with("\"kind\"", "\"builder\"", "builder_id names");
	refused_with("\"step\"", "\"later\"", "no step later");
	refused_with("\"old\"", "\"\"", "two key ids");
	refused_with("\"new\"", "\"k-old\"", "two key ids");
	refused_with("\"new\"", "\"\"", "step delete needs the new key's id");
	refused_with("\"new\"", "\"a b\"", "two key ids");
	refused_with("\"nonce\"", "-1", "out of range");
	refused_with("\"drain\"", "3601", "out of range");
	refused_with("\"started\"", "0", "out of range");
	refused_with("\"tries\"", "\"1\"", "members are");
	refused_with("\"reason\"", "\"\\u0007\"", "printable");
	/* an unknown member, a duplicate */
	refused("{\"v\":1,\"kind\":\"apikey\",\"step\":\"create\",\"old\":\"a\","
	    "\"new\":\"\",\"fp\":\"\",\"builder_id\":\"\",\"nonce\":1,"
	    "\"tries\":0,\"resumes\":0,\"started\":1,\"active_at\":0,"
	    "\"drain\":0,\"reason\":\"\",\"note\":\"\","
	    "\"x\":1}", "members are");
	refused("{\"v\":1,\"v\":1}", "not a journal entry");
}

/*
 * The why of a member refused names none of what was found: jansson's
 * text quotes an unknown member's name or a value's type, and the entry
 * may have been given something else (a secret) by mistake.
 */
static void
test_refused_quotes_nothing(void **state)
{
	static const char	*const bad[] = {
		"{\"v\":1,\"kind\":\"apikey\",\"step\":\"create\","
		    "\"old\":\"a\",\"new\":\"\",\"fp\":\"\","
		    "\"builder_id\":\"\",\"nonce\":1,\"tries\":0,"
		    "\"resumes\":0,\"started\":1,\"active_at\":0,"
		    "\"drain\":0,\"reason\":\"\",\"note\":\"\","
		    "\"Hunter2\":1}",
		"{\"v\":\"Hunter2\"}",
		"{\"v\":1,\"Hunter2\":1}",
	};
	struct rotation	r;
	char		why[256];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rotation_parse(bad[i], strlen(bad[i]), &r,
		    why, sizeof(why)), CV_ERR_INVALID);
		assert_string_equal(why, "a journal entry's members are v, "
		    "kind, step, old, new, fp, builder_id, nonce, tries, "
		    "resumes, started, active_at, drain, reason and note, "
		    "and no other");
	}
}

/* an Omnia key: rotated in place, its old secret's fingerprint kept */
static void
test_omnia(void **state)
{
	static const char	e[] = "{\"v\":1,\"kind\":\"omnia\","
	    "\"step\":\"verify\",\"old\":\"k1\",\"new\":\"k1\","
	    "\"fp\":\"00112233445566ff\",\"builder_id\":\"\",\"nonce\":0,"
	    "\"tries\":0,\"resumes\":0,\"started\":5,\"active_at\":0,\"drain\":0,"
	    "\"reason\":\"\",\"note\":\"\"}";
	struct rotation	r;
	char		why[256], out[VAULT_MAX_JOURNAL + 1];
	size_t		len;

	(void)state;
	assert_int_equal(rotation_parse(e, strlen(e), &r, why, sizeof(why)),
	    0);
	assert_string_equal(r.fp, "00112233445566ff");
	assert_int_equal(rotation_encode(&r, out, sizeof(out), &len), 0);
	assert_string_equal(out, e);
	refused("{\"v\":1,\"kind\":\"omnia\",\"step\":\"verify\","
	    "\"old\":\"k1\",\"new\":\"k2\",\"fp\":\"00112233445566ff\","
	    "\"builder_id\":\"\",\"nonce\":0,\"tries\":0,\"resumes\":0,\"started\":5,"
	    "\"active_at\":0,\"drain\":0,\"reason\":\"\",\"note\":\"\"}",
	    "omnia: the same one");
	refused("{\"v\":1,\"kind\":\"omnia\",\"step\":\"verify\","
	    "\"old\":\"k1\",\"new\":\"k1\",\"fp\":\"\",\"builder_id\":\"\","
	    "\"nonce\":0,\"tries\":0,\"resumes\":0,\"started\":5,"
	    "\"active_at\":0,\"drain\":0,\"reason\":\"\",\"note\":\"\"}",
	    "fp is the old");
}

static void
test_ids(void **state)
{
	(void)state;
	assert_true(rotation_id_valid("rot-0123456789ab"));
	assert_false(rotation_id_valid("rot-0123456789AB"));
	assert_false(rotation_id_valid("rot-0123456789a"));
	assert_false(rotation_id_valid("rot-0123456789abc"));
	assert_false(rotation_id_valid("rox-0123456789ab"));
	assert_true(rotation_text_ok("", 0));
	assert_false(rotation_text_ok("ab", 1));
	assert_false(rotation_text_ok("\t", 10));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_largest),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_refused_quotes_nothing),
		cmocka_unit_test(test_omnia),
		cmocka_unit_test(test_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
