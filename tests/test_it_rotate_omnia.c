/*
 * vaultctl rotate for an Omnia account, end to end against the test
 * exchange's omnia profile: the key is rotated in place, its new secret
 * sealed into the vault before anything else, checked with a token it
 * buys.  A crash at every step boundary (vaultctl stopped, then vaultd,
 * netd or signerd SIGKILLed) and resume; and the rotation whose answer
 * is lost in flight: the old secret is dead, the new one unknown, and
 * vaultctl says so and what to do instead of failing on and on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tests/it_rotate.h"

#define PASSPHRASE	"omnia rotate passphrase 51c0"
#define PERMS		"[\"keys:read\",\"keys:write\",\"trade\"]"

static struct rt	ro;

static void
admin(struct rt *o, const char *path, const char *body, long want,
    struct txr *r)
{
	if (txt_admin(&o->tx, "POST", path, body, r) != want)
		fail_msg("admin %s %s: %ld", path, body, r->status);
}

/* A key made at the exchange (as its web interface would), imported. */
static void
seed_import(struct rt *o, char *id, size_t idlen)
{
	struct txr	r;
	char		in[512];

	admin(o, "omnia/keys", "{\"label\":\"seed\",\"permissions\":" PERMS
	    "}", 201, &r);
	snprintf(id, idlen, "%s", json_string_value(json_object_get(r.json,
	    "apiKeyId")));
	snprintf(in, sizeof(in), "{\"apiKeyId\":\"%s\",\"apiKeySecret\":"
	    "\"%s\",\"permissions\":" PERMS "}", id, json_string_value(
	    json_object_get(r.json, "apiKeySecret")));
	txr_free(&r);
	if (ctl_in(o, in, "apikey import --account main") != 0)
		fail_msg("import: %s", o->out);
}

/* The fingerprint the vault shows for key id. */
static void
fingerprint(struct rt *o, const char *id, char fp[17])
{
	json_t	*j, *e;
	size_t	 i;

	fp[0] = '\0';
	run(o, 0, "--json apikey list --local --account main");
	j = out_json(o);
	json_array_foreach(json_object_get(j, "entries"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "key_id")),
		    id) == 0)
			snprintf(fp, 17, "%.16s", json_string_value(
			    json_object_get(e, "info")));
	json_decref(j);
	assert_int_equal(strlen(fp), 16);
}

static int
setup(void **state)
{
	struct rt	*o = &ro;

	*state = o;
	if (rt_start(o, "omnia", PASSPHRASE "\n") != 0)
		return -1;
	seed_import(o, o->key, sizeof(o->key));
	return 0;
}

/* The key has a new secret that works; the rotation's story is told. */
static void
rotated(struct rt *o, const char *id, const char *fp_before)
{
	static const char *const steps[] = { "rotate.create",
	    "rotate.verify", "rotate.done" };
	char		 fp[17];
	json_t		*j, *r;
	const char	*op;
	size_t		 i, k = 0;

	fingerprint(o, o->key, fp);
	assert_string_not_equal(fp, fp_before);
	/* the same permissions as before: a rotation widens nothing */
	run(o, 0, "--json apikey list --local --account main");
	j = out_json(o);
	json_array_foreach(json_object_get(j, "entries"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "key_id")),
		    o->key) == 0 && strstr(json_string_value(json_object_get(r,
		    "info")), " permissions keys:read,keys:write,trade") !=
		    NULL)
			k = 1;
	json_decref(j);
	if (k != 1)
		fail_msg("key %s lost its permissions: %s", o->key, o->out);
	k = 0;
	run(o, 0, "apikey list --account main");
	run(o, 0, "--json rotate status");
	has(o, "\"rotations\": []");
	run(o, 0, "--json audit show --rotation %s --tail 500", id);
	j = out_json(o);
	json_array_foreach(j, i, r) {
		op = json_string_value(json_object_get(r, "op"));
		if (strncmp(op, "rotate.", 7) != 0 ||
		    (k > 0 && strcmp(op, steps[k - 1]) == 0))
			continue;
		if (k >= 3 || strcmp(op, steps[k]) != 0)
			fail_msg("record %s out of order", op);
		k++;
	}
	assert_int_equal(k, 3);
	json_decref(j);
}

static void
test_rotate(void **state)
{
	struct rt	*o = *state;
	char		 fp[17], id[32];
	json_t		*j;

	fingerprint(o, o->key, fp);
	run(o, 0, "rotate apikey --account main --reason scheduled");
	has(o, "'s Omnia key ");
	has(o, "has a new secret, sealed in the vault; the old one is dead");
	run(o, 0, "--json audit show --op rotate --tail 1");
	j = out_json(o);
	snprintf(id, sizeof(id), "%s", strrchr(json_string_value(
	    json_object_get(json_array_get(j, 0), "actor")), ':') + 1);
	json_decref(j);
	rotated(o, id, fp);
}

static void
test_crash_table(void **state)
{
	static const char *const steps[] = { "create", "verify" };
	static const enum victim victims[] = { V_NONE, V_VAULTD, V_NETD,
	    V_SIGNERD };
	struct rt	*o = *state;
	char		 cmd[1024], fp[17], id[32];
	json_t		*j;
	size_t		 s, v;

	for (s = 0; s < 2; s++)
		for (v = 0; v < 4; v++) {
			fingerprint(o, o->key, fp);
			snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_ROTATE_STOP="
			    "%s %s/vaultctl rotate apikey --account main 2>&1",
			    steps[s], o->it.build);
			if (it_run(o->out, sizeof(o->out), cmd) != 99)
				fail_msg("stop at %s: %s", steps[s], o->out);
			run(o, 0, "--json rotate status");
			j = out_json(o);
			snprintf(id, sizeof(id), "%s", json_string_value(
			    json_object_get(json_array_get(json_object_get(j,
			    "rotations"), 0), "id")));
			json_decref(j);
			crash(o, victims[v]);
			run(o, 0, "rotate resume %s", id);
			has(o, "has a new secret");
			rotated(o, id, fp);
		}
}

/*
 * The answer to the rotate lost, and the run stopped before it could
 * look (CLOBVAULT_TEST_ROTATE_STOP=rotate-sent, as a kill there): the
 * entry has no "lost:" note, yet the vault's secret is dead.  abort
 * asks the exchange with it rather than say the key keeps its secret,
 * and, the dead key being the active one, names the key to make active.
 */
static void
test_abort_lost_unseen(void **state)
{
	struct rt	*o = *state;
	char		 other[64], id[32], cmd[1024], want[1024];
	json_t		*j;

	seed_import(o, other, sizeof(other));
	faults(o, "{\"lose_rotate_next\": 1}");
	snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_ROTATE_STOP=rotate-sent "
	    "%s/vaultctl rotate apikey --account main 2>&1", o->it.build);
	if (it_run(o->out, sizeof(o->out), cmd) != 99)
		fail_msg("stop after the rotate: %s", o->out);
	run(o, 0, "--json rotate status");
	j = out_json(o);
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(
	    json_array_get(json_object_get(j, "rotations"), 0), "id")));
	json_decref(j);
	run(o, 0, "rotate abort %s", id);
	snprintf(want, sizeof(want), "rotation %s aborted: key %s was rotated "
	    "and its new secret lost: it is dead; remove its copy with "
	    "vaultctl apikey delete --local --account main --key-id %s; make "
	    "another key active: vaultctl apikey use --account main --key-id "
	    "%s\n", id, o->key, o->key, other);
	assert_string_equal(o->out, want);
	run(o, 0, "apikey use --account main --key-id %s", other);
	run(o, 0, "apikey delete --local --account main --key-id %s "
	    "--passphrase-file %s", o->key, o->pass);
	run(o, 0, "rotate status");
	has(o, "no rotation in progress");
	run(o, 0, "apikey list --account main");
	snprintf(o->key, sizeof(o->key), "%s", other);
}

/*
 * The exchange rotates the key and the answer never arrives: the
 * vault's secret is dead and the new one unknown.  vaultctl finds out,
 * stops, and names the way out; the operator takes it.
 */
static void
test_lost_answer(void **state)
{
	struct rt	*o = *state;
	char		 other[64], id[32], cmd[256];
	json_t		*j, *e;

	seed_import(o, other, sizeof(other));
	faults(o, "{\"lose_rotate_next\": 1}");
	run(o, 10, "rotate apikey --account main");
	has(o, "lost: key ");
	has(o, "was rotated but the answer was lost");
	has(o, "vaultctl apikey use --account main --key-id ");
	has(o, other);
	run(o, 0, "--json rotate status");
	j = out_json(o);
	e = json_array_get(json_object_get(j, "rotations"), 0);
	assert_true(json_is_true(json_object_get(e, "attention")));
	assert_string_equal(json_string_value(json_object_get(e, "step")),
	    "create");
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(e,
	    "id")));
	json_decref(j);
	/* resume looks again, and stops again: it never rotates blindly */
	run(o, 10, "rotate resume %s", id);
	has(o, "was rotated but the answer was lost");
	/* the way out: the other key makes a replacement */
	run(o, 0, "apikey use --account main --key-id %s", other);
	run(o, 0, "apikey create --account main --label replacement "
	    "--permission keys:read --permission trade");
	run(o, 0, "rotate abort %s", id);
	has(o, "was rotated and its new secret lost: it is dead");
	/* the command it names removes the dead copy */
	snprintf(cmd, sizeof(cmd), "remove its copy with vaultctl apikey "
	    "delete --local --account main --key-id %s\n", o->key);
	has(o, cmd);
	run(o, 0, "apikey delete --local --account main --key-id %s "
	    "--passphrase-file %s", o->key, o->pass);
	run(o, 0, "--json apikey list --local --account main");
	assert_null(strstr(o->out, o->key));
	run(o, 0, "rotate status");
	has(o, "no rotation in progress");
	run(o, 0, "apikey list --account main");
	snprintf(o->key, sizeof(o->key), "%s", other);
}

/*
 * The answer lost, and another key made the active one before a resume
 * (the first half of the way out): the check of the rotated key is made
 * with that key, not with whichever key is active, so resume still says
 * the rotated key is dead, and abort does not say it keeps its secret.
 */
static void
test_lost_other_active(void **state)
{
	struct rt	*o = *state;
	char		 other[64], id[32];
	json_t		*j, *e;

	seed_import(o, other, sizeof(other));
	faults(o, "{\"lose_rotate_next\": 1}");
	run(o, 10, "rotate apikey --account main");
	has(o, "was rotated but the answer was lost");
	run(o, 0, "--json rotate status");
	j = out_json(o);
	e = json_array_get(json_object_get(j, "rotations"), 0);
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(e,
	    "id")));
	json_decref(j);
	run(o, 0, "apikey use --account main --key-id %s", other);
	run(o, 10, "rotate resume %s", id);
	has(o, "was rotated but the answer was lost");
	run(o, 0, "rotate abort %s", id);
	has(o, "was rotated and its new secret lost: it is dead");
	/* the rotated key is the dead one; the other key still works */
	run(o, 0, "apikey list --account main");
	snprintf(o->key, sizeof(o->key), "%s", other);
}

/*
 * The exchange does not take the rotated secret: verify stops after its
 * tries.  The old secret is dead by then, so neither vaultctl's message
 * nor rotate status says the old key still signs.
 */
static void
test_verify_refused(void **state)
{
	struct rt	*o = *state;
	char		 id[32];
	json_t		*j, *e;

	faults(o, "{\"propagation_ms\": 600000}");
	run(o, 10, "rotate apikey --account main");
	has(o, "stopped at step verify: verify: the exchange does not take "
	    "the new secret yet (HTTP 401) (the old secret is dead; the key "
	    "signs again once the exchange takes the new one: resume to "
	    "check)\n");
	assert_null(strstr(o->out, "still signs"));
	run(o, 0, "--json rotate status");
	j = out_json(o);
	e = json_array_get(json_object_get(j, "rotations"), 0);
	assert_true(json_is_true(json_object_get(e, "attention")));
	assert_string_equal(json_string_value(json_object_get(e, "step")),
	    "verify");
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(e,
	    "id")));
	json_decref(j);
	run(o, 0, "rotate status");
	has(o, "NEEDS ATTENTION: verify: the exchange does not take the new "
	    "secret yet (HTTP 401)\n    the old secret is dead; the key "
	    "signs again once the exchange takes the new one: resume to "
	    "check\n");
	assert_null(strstr(o->out, "still signs"));
	/* the exchange still refuses it: resume stops the same way */
	run(o, 10, "rotate resume %s", id);
	has(o, "(the old secret is dead; the key signs again once the "
	    "exchange takes the new one: resume to check)\n");
	run(o, 0, "rotate abort %s", id);
	has(o, "has its new secret in the vault");
	run(o, 0, "rotate status");
	has(o, "no rotation in progress");
}

/* A key the exchange lists with escape sequences and C1 controls. */
#define HOSTILE_ID	"k\\u001b]0;t\\u0007\\u009b2J\\r-1"
#define HOSTILE_LABEL	"l\\u001b[31m\\u0085\\u009b\\u202e-1"

/*
 * The exchange lists a key the vault does not hold, its id and label
 * full of escape sequences, C1 controls and a bidi override: the
 * rotation names it, and neither its text nor its JSON report holds
 * any of those bytes.  vaultctl cleans the ids itself, whatever netd
 * passed (netd makes each byte outside printable ASCII a '?', so the
 * two-byte C1 CSI is two; vaultctl alone makes it one).
 */
static void
test_unknown_hostile(void **state)
{
	struct rt	*o = *state;
	struct txr	 r;
	char		 key[64], body[512], want[1024], id[32];
	const char	*p;
	json_t		*j;
	size_t		 held;

	faults(o, "{\"propagation_ms\": 0}");
	seed_import(o, key, sizeof(key));
	run(o, 0, "apikey use --account main --key-id %s", key);
	snprintf(body, sizeof(body), "{\"label\":\"" HOSTILE_LABEL "\","
	    "\"permissions\":[\"trade\"],\"with\":\"%s\",\"id\":\""
	    HOSTILE_ID "\"}", key);
	admin(o, "omnia/keys", body, 201, &r);
	txr_free(&r);
	run(o, 0, "--json apikey list --local --account main");
	j = out_json(o);
	held = json_array_size(json_object_get(j, "entries"));
	json_decref(j);
	run(o, 0, "rotate apikey --account main");
	p = strstr(o->out, "rotation rot-");
	assert_non_null(p);
	snprintf(id, sizeof(id), "%.16s", p + 9);
	snprintf(want, sizeof(want), "vaultctl: rotate %s: rotating API key "
	    "%s of main (%zu keys held)\n"
	    "vaultctl: rotate %s: rotating Omnia key %s at the exchange\n"
	    "vaultctl: rotate %s: checking key %s's new secret with a call\n"
	    "rotation %s done: main's Omnia key %s has a new secret, sealed "
	    "in the vault; the old one is dead\n"
	    "the exchange also lists API keys the vault does not hold: "
	    "k?]0;t???2J?-1 (remove them at the exchange, or import them)\n",
	    id, key, held, id, key, id, key, id, key);
	assert_string_equal(o->out, want);
	run(o, 0, "--json rotate apikey --account main");
	j = out_json(o);
	assert_string_equal(json_string_value(json_object_get(j,
	    "unknown_keys")), "k?]0;t???2J?-1");
	json_decref(j);
	for (p = o->out; *p != '\0'; p++)
		if (*p == 0x1b || *p == 0x07 || *p == '\r' ||
		    (unsigned char)*p >= 0x80)
			fail_msg("byte 0x%02x in %s", (unsigned char)*p, o->out);
}

/*
 * netd hands on an Omnia key list's ids and labels with each byte
 * outside printable ASCII a '?' (a label cut to 64 bytes), so that no
 * consumer (vaultctl's text and --json, vaultd's audit log) gets the
 * exchange's controls raw.
 */
static void
test_list_hostile(void **state)
{
	struct rt	*o = *state;
	struct txr	 r;
	char		 key[64], body[512], want[2048];

	seed_import(o, key, sizeof(key));
	run(o, 0, "apikey use --account main --key-id %s", key);
	snprintf(body, sizeof(body), "{\"label\":\"" HOSTILE_LABEL
	    "\\u001b]8;;x\\u0007yyyyyyyyyy\",\"permissions\":[\"trade\"],"
	    "\"with\":\"%s\",\"id\":\"" HOSTILE_ID "2\"}", key);
	admin(o, "omnia/keys", body, 201, &r);
	txr_free(&r);
	run(o, 0, "--json apikey list --account main");
	snprintf(want, sizeof(want), "{\n"
	    "  \"account\": \"main\",\n"
	    "  \"call\": \"apikey.list\",\n"
	    "  \"result\": {\n"
	    "    \"apiKeys\": [\n"
	    "      {\n"
	    "        \"apiKeyId\": \"%s\",\n"
	    "        \"label\": \"seed\",\n"
	    "        \"permissions\": [\n"
	    "          \"keys:read\",\n"
	    "          \"keys:write\",\n"
	    "          \"trade\"\n"
	    "        ]\n"
	    "      },\n"
	    "      {\n"
	    "        \"apiKeyId\": \"k?]0;t???2J?-12\",\n"
	    "        \"label\": \"l?[31m???????" "-1?]8;;x?yyyyyyyyyy\",\n"
	    "        \"permissions\": [\n"
	    "          \"trade\"\n"
	    "        ]\n"
	    "      }\n"
	    "    ]\n"
	    "  },\n"
	    "  \"status\": 200,\n"
	    "  \"vault\": \"\"\n"
	    "}\n", key);
	assert_string_equal(o->out, want);
	run(o, 0, "apikey list --account main");
	snprintf(want, sizeof(want), "apiKeys:\n"
	    "  apiKeyId=%s  label=seed  permissions=[\"keys:read\","
	    "\"keys:write\",\"trade\"]\n"
	    "  apiKeyId=k?]0;t???2J?-12  label=l?[31m???????" "-1?]8;;x?"
	    "yyyyyyyyyy  permissions=[\"trade\"]\n", key);
	assert_string_equal(o->out, want);
}

/*
 * rotate --due names the keys the exchange lists that the vault does
 * not hold, as a rotation's own report does, cleaned the same way, in
 * its text and its JSON.
 */
static void
test_due_unknown(void **state)
{
	struct rt	*o = *state;
	struct txr	 r;
	char		 body[512], cmd[1024];
	const char	*p;
	json_t		*j, *e;

	faults(o, "{\"propagation_ms\": 0}");
	/* a key of its own: the exchange lists the keys made with it */
	seed_import(o, o->key, sizeof(o->key));
	run(o, 0, "apikey use --account main --key-id %s", o->key);
	snprintf(body, sizeof(body), "{\"label\":\"due\",\"permissions\":"
	    "[\"trade\"],\"with\":\"%s\",\"id\":\"d\\u001b[2J\\u009bx-1\"}",
	    o->key);
	admin(o, "omnia/keys", body, 201, &r);
	txr_free(&r);
	run(o, 0, "account update main --max-key-age 30");
	snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_DAYS_AHEAD=31 "
	    "%s/vaultctl rotate --due --drain 0 2>/dev/null", o->it.build);
	assert_int_equal(it_run(o->out, sizeof(o->out), cmd), 0);
	p = strstr(o->out, "main: rotated\n");
	assert_non_null(p);
	assert_string_equal(p, "main: rotated\nmain: the exchange also lists "
	    "API keys the vault does not hold: d?[2J??x-1 (remove them at the "
	    "exchange, or import them)\n");
	snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_DAYS_AHEAD=31 "
	    "%s/vaultctl --json rotate --due --drain 0 2>/dev/null",
	    o->it.build);
	assert_int_equal(it_run(o->out, sizeof(o->out), cmd), 0);
	j = out_json(o);
	e = json_array_get(json_object_get(j, "due"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "result")),
	    "rotated");
	assert_string_equal(json_string_value(json_object_get(e,
	    "unknown_keys")), "d?[2J??x-1");
	json_decref(j);
	for (p = o->out; *p != '\0'; p++)
		if (*p == 0x1b || (unsigned char)*p >= 0x80)
			fail_msg("byte 0x%02x in %s", (unsigned char)*p, o->out);
	run(o, 0, "account update main --no-max-key-age");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotate),
		cmocka_unit_test(test_crash_table),
		cmocka_unit_test(test_abort_lost_unseen),
		cmocka_unit_test(test_lost_answer),
		cmocka_unit_test(test_lost_other_active),
		cmocka_unit_test(test_verify_refused),
		cmocka_unit_test(test_unknown_hostile),
		cmocka_unit_test(test_list_hostile),
		cmocka_unit_test(test_due_unknown),
	};

	/* ROTATE_TEST=name: that test alone */
	if (getenv("ROTATE_TEST") != NULL)
		cmocka_set_test_filter(getenv("ROTATE_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
