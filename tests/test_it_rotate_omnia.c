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

#include <cmocka.h>

#include "tests/it.h"
#include "tests/testexchange/tx_test.h"

#define PASSPHRASE	"omnia rotate passphrase 51c0"
#define PERMS		"[\"keys:read\",\"keys:write\",\"trade\"]"

enum victim { V_NONE, V_VAULTD, V_NETD, V_SIGNERD };

struct ro {
	struct it	 it;
	struct txt	 tx;
	char		 pass[128];
	char		 id[64], secret[128];	/* the key rotated */
	char		 out[65536];
};

static struct ro	ro;

static int
ctl(struct ro *o, const char *in, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ctl(struct ro *o, const char *in, const char *fmt, ...)
{
	char	 args[2048];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return it_ctl(&o->it, in, o->out, sizeof(o->out), "%s", args);
}

#define run(o, want, ...)	run_expect((o), (want), __LINE__, __VA_ARGS__)

static void
run_expect(struct ro *o, int want, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
run_expect(struct ro *o, int want, int line, const char *fmt, ...)
{
	char	 args[2048];
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if ((r = ctl(o, NULL, "%s", args)) != want)
		fail_msg("line %d: vaultctl %s: exit %d, not %d:\n%s", line,
		    args, r, want, o->out);
}

static void
has(struct ro *o, const char *want)
{
	if (strstr(o->out, want) == NULL)
		fail_msg("output \"%s\" lacks \"%s\"", o->out, want);
}

static json_t *
out_json(struct ro *o)
{
	json_t	*j = json_loads(o->out, 0, NULL);

	if (j == NULL)
		fail_msg("not JSON: %s", o->out);
	return j;
}

static void
admin(struct ro *o, const char *path, const char *body, long want,
    struct txr *r)
{
	if (txt_admin(&o->tx, "POST", path, body, r) != want)
		fail_msg("admin %s %s: %ld", path, body, r->status);
}

/* A key made at the exchange (as its web interface would), imported. */
static void
seed_import(struct ro *o, char *id, size_t idlen)
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
	if (ctl(o, in, "apikey import --account main") != 0)
		fail_msg("import: %s", o->out);
}

/* The fingerprint the vault shows for key id. */
static void
fingerprint(struct ro *o, const char *id, char fp[17])
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

static void
kill_child(struct ro *o, int which)
{
	struct it_proc	procs[3];
	uint64_t	old;

	assert_int_equal(it_status(&o->it, procs), 0);
	old = procs[which].pid;
	kill((pid_t)old, SIGKILL);
	if (it_wait_up(&o->it, procs, which == 1 ? old : 0,
	    which == 2 ? old : 0, 10000) < 0)
		fail_msg("child %d did not come back", which);
}

static void
crash(struct ro *o, enum victim v)
{
	switch (v) {
	case V_NONE:
		break;
	case V_VAULTD:
		kill(o->it.vaultd, SIGKILL);
		waitpid(o->it.vaultd, NULL, 0);
		o->it.vaultd = 0;
		it_sleep_ms(200);
		assert_int_equal(it_start_args(&o->it, "-T", NULL, NULL), 0);
		break;
	case V_NETD:
		kill_child(o, 2);
		break;
	case V_SIGNERD:
		kill_child(o, 1);
		break;
	}
	if (ctl(o, NULL, "unlock --passphrase-file %s", o->pass) != 0)
		fail_msg("unlock: %s", o->out);
}

static int
setup(void **state)
{
	struct ro	*o = &ro;
	const char	*extra[] = { NULL };

	memset(o, 0, sizeof(*o));
	*state = o;
	it_init(&o->it);
	snprintf(o->pass, sizeof(o->pass), "%.100s.pass", o->it.home);
	it_write(o->pass, PASSPHRASE "\n", 0600);
	if (txt_start_argv(&o->tx, "omnia", extra) != 0 ||
	    it_start_args(&o->it, "-T", NULL, NULL) != 0)
		return -1;
	if (ctl(o, NULL, "init --passphrase-file %s --kdf min", o->pass) ||
	    ctl(o, NULL, "account add main --profile omnia --url %s",
	    o->tx.url))
		return -1;
	seed_import(o, o->id, sizeof(o->id));
	return 0;
}

static int
teardown(void **state)
{
	struct ro	*o = *state;

	it_cleanup(&o->it);
	txt_stop(&o->tx);
	txt_cleanup(&o->tx);
	return 0;
}

/* The key has a new secret that works; the rotation's story is told. */
static void
rotated(struct ro *o, const char *id, const char *fp_before)
{
	static const char *const steps[] = { "rotate.create",
	    "rotate.verify", "rotate.done" };
	char		 fp[17];
	json_t		*j, *r;
	const char	*op;
	size_t		 i, k = 0;

	fingerprint(o, o->id, fp);
	assert_string_not_equal(fp, fp_before);
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
	struct ro	*o = *state;
	char		 fp[17], id[32];
	json_t		*j;

	fingerprint(o, o->id, fp);
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
	struct ro	*o = *state;
	char		 cmd[1024], fp[17], id[32];
	json_t		*j;
	size_t		 s, v;

	for (s = 0; s < 2; s++)
		for (v = 0; v < 4; v++) {
			fingerprint(o, o->id, fp);
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
 * The exchange rotates the key and the answer never arrives: the
 * vault's secret is dead and the new one unknown.  vaultctl finds out,
 * stops, and names the way out; the operator takes it.
 */
static void
test_lost_answer(void **state)
{
	struct ro	*o = *state;
	struct txr	 r;
	char		 other[64], id[32];
	json_t		*j, *e;

	seed_import(o, other, sizeof(other));
	admin(o, "faults", "{\"lose_rotate_next\": 1}", 200, &r);
	txr_free(&r);
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
	run(o, 0, "rotate status");
	has(o, "no rotation in progress");
	run(o, 0, "apikey list --account main");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotate),
		cmocka_unit_test(test_crash_table),
		cmocka_unit_test(test_lost_answer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
