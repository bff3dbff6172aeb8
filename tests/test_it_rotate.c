/*
 * vaultctl rotate end to end: vaultctl -> vaultd -> netd -> the local
 * test exchange (polymarket profile).  A crash at every step boundary of
 * the workflow -- vaultctl stopped right after the step's journal entry
 * is durable, then vaultd, netd or signerd SIGKILLed -- and rotate
 * resume: the account ends with exactly one key, active, at the new
 * nonce, the only one the exchange lists, and the audit log tells the
 * rotation's story.  The exchange failing (5xx, dropped connections, a
 * propagation delay), a step that keeps failing until the operator is
 * asked, and abort before and after the new key is active.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "common/vault_fmt.h"
#include "tests/it_rotate.h"

#define PASSPHRASE	"rotate test passphrase 8d2e"

static struct rt	rt;

/* vaultctl rotate apikey, stopped after the entry naming step: its id. */
static void
start_stopped(struct rt *c, const char *step, char id[32])
{
	char	 cmd[1024];
	json_t	*j, *e;
	int	 r;

	snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_ROTATE_STOP=%s %s/vaultctl "
	    "rotate apikey --account main --drain 0 --reason 'test %s' 2>&1",
	    step, c->it.build, step);
	if ((r = it_run(c->out, sizeof(c->out), cmd)) != 99)
		fail_msg("rotate stopped at %s: exit %d:\n%s", step, r, c->out);
	run(c, 0, "--json rotate status");
	j = out_json(c);
	assert_int_equal(json_array_size(json_object_get(j, "rotations")), 1);
	e = json_array_get(json_object_get(j, "rotations"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "step")),
	    step);
	assert_string_equal(json_string_value(json_object_get(e, "old_key")),
	    c->key);
	assert_int_equal(json_integer_value(json_object_get(e, "nonce")),
	    c->nonce + 1);
	snprintf(id, 32, "%s", json_string_value(json_object_get(e, "id")));
	json_decref(j);
}

/* The key the vault holds for main: exactly one, active; its id. */
static void
one_key(struct rt *c, uint64_t nonce, char *id, size_t idlen)
{
	json_t	*j, *e, *l;

	run(c, 0, "--json apikey list --local --account main");
	j = out_json(c);
	l = json_object_get(j, "entries");
	if (json_array_size(l) != 1)
		fail_msg("the vault holds %zu keys: %s", json_array_size(l),
		    c->out);
	e = json_array_get(l, 0);
	assert_true(json_is_true(json_object_get(e, "active")));
	assert_int_equal(json_integer_value(json_object_get(e, "nonce")),
	    nonce);
	snprintf(id, idlen, "%s", json_string_value(json_object_get(e,
	    "key_id")));
	json_decref(j);
	/* the exchange lists it and nothing else, and takes it */
	run(c, 0, "--json apikey list --account main");
	j = out_json(c);
	l = json_object_get(json_object_get(j, "result"), "apiKeys");
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(json_string_value(json_array_get(l, 0)), id);
	json_decref(j);
}

/* The rotation's records: each step's, in order, then its end. */
static void
story(struct rt *c, const char *id, const char *first)
{
	static const char *const steps[] = { "rotate.create",
	    "rotate.verify", "rotate.use", "rotate.delete", "rotate.done" };
	json_t		*j, *r;
	const char	*op;
	size_t		 i, k = 0;

	run(c, 0, "--json audit show --rotation %s --tail 500", id);
	j = out_json(c);
	while (strcmp(steps[k], first) != 0)
		k++;
	json_array_foreach(j, i, r) {
		op = json_string_value(json_object_get(r, "op"));
		if (strncmp(op, "rotate.", 7) != 0)
			continue;
		/* a step's entry may be written again (a resume, a retry) */
		if (k > 0 && strcmp(op, steps[k - 1]) == 0)
			continue;
		if (k >= 5 || strcmp(op, steps[k]) != 0)
			fail_msg("record %s, expected %s", op,
			    k < 5 ? steps[k] : "nothing");
		k++;
	}
	assert_int_equal(k, 5);
	json_decref(j);
	run(c, 0, "audit verify");
}

static int
setup(void **state)
{
	struct rt	*c = &rt;
	json_t		*j;

	*state = c;
	if (rt_start(c, "polymarket", PASSPHRASE "\n") != 0 ||
	    ctl(c, "wallet generate --account main") ||
	    ctl(c, "--json apikey create --account main"))
		return -1;
	if ((j = json_loads(c->out, 0, NULL)) == NULL)
		return -1;
	snprintf(c->key, sizeof(c->key), "%s", json_string_value(
	    json_object_get(json_object_get(j, "result"), "apiKey")));
	json_decref(j);
	return 0;
}

/* The new key signs, the old one is gone everywhere. */
static void
rotated(struct rt *c, const char *id, const char *first)
{
	char	key[80];

	one_key(c, c->nonce + 1, key, sizeof(key));
	assert_string_not_equal(key, c->key);
	story(c, id, first);
	run(c, 0, "--json rotate status");
	has(c, "\"rotations\": []");
	c->nonce++;
	snprintf(c->key, sizeof(c->key), "%s", key);
}

/* Every step boundary, every process killed there, then resume. */
static void
test_crash_table(void **state)
{
	static const char *const steps[] = { "create", "verify", "use",
	    "delete" };
	static const enum victim victims[] = { V_NONE, V_VAULTD, V_NETD,
	    V_SIGNERD };
	struct rt	*c = *state;
	char		 id[32];
	size_t		 s, v;

	for (s = 0; s < 4; s++)
		for (v = 0; v < 4; v++) {
			start_stopped(c, steps[s], id);
			crash(c, victims[v]);
			if (ctl(c, "rotate resume %s", id) != 0)
				fail_msg("step %s, victim %zu: resume: %s",
				    steps[s], v, c->out);
			has(c, "done: main now signs with API key");
			rotated(c, id, "rotate.create");
		}
}

/* Over, but stopped before its entry went: resume removes it. */
static void
test_stop_at_done(void **state)
{
	struct rt	*c = *state;
	char		 id[32];

	start_stopped(c, "done", id);
	crash(c, V_VAULTD);
	run(c, 0, "rotate resume %s", id);
	has(c, "done: main now signs with API key");
	rotated(c, id, "rotate.create");
}

/* The exchange fails on the way: retried within the run, no resume. */
static void
test_exchange_faults(void **state)
{
	struct rt	*c = *state;
	json_t		*j;
	char		 id[32];

	/* two 503s on create */
	faults(c, "{\"fail_next\": 2}");
	run(c, 0, "--json rotate apikey --account main --drain 0");
	j = out_json(c);
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(j,
	    "rotation")));
	assert_string_equal(json_string_value(json_object_get(j, "result")),
	    "done");
	json_decref(j);
	rotated(c, id, "rotate.create");
	/* a dropped connection */
	faults(c, "{\"drop_next\": 1}");
	run(c, 0, "--json rotate apikey --account main --drain 0");
	j = out_json(c);
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(j,
	    "rotation")));
	json_decref(j);
	rotated(c, id, "rotate.create");
	/* new keys are refused for 2.5 s: verify waits them out */
	faults(c, "{\"propagation_ms\": 2500}");
	run(c, 0, "--json rotate apikey --account main --drain 0");
	j = out_json(c);
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(j,
	    "rotation")));
	json_decref(j);
	faults(c, "{\"propagation_ms\": 0}");
	rotated(c, id, "rotate.create");
}

/*
 * The exchange does a step's work and its answer is lost (lose_next):
 * the create (a key made that the vault never heard of: derive finds
 * it), the verify, the delete of the old key (gone at the exchange, still
 * in the vault: the exchange's list tells, and the dead copy stays until
 * the credential's holder removes it).  Each resumed run ends as a clean
 * rotation, one key, the new one.
 */
static void
test_lost_answers(void **state)
{
	static const char *const steps[] = { "create", "verify", "delete" };
	struct rt	*c = *state;
	json_t		*j;
	char		 id[32];
	size_t		 s;

	for (s = 0; s < 3; s++) {
		start_stopped(c, steps[s], id);
		faults(c, "{\"lose_next\": 1}");
		if (ctl(c, "rotate resume %s", id) != 0)
			fail_msg("step %s, its answer lost: resume: %s",
			    steps[s], c->out);
		has(c, "done: main now signs with API key");
		if (s == 2) {
			/*
			 * The old key is gone at the exchange; its dead copy
			 * stays until the credential's holder removes it.
			 */
			has(c, " is gone at the exchange; its dead copy stays "
			    "in the vault: remove it with vaultctl apikey "
			    "delete --local --account main --key-id ");
			assert_non_null(strstr(c->out, c->key));
			run(c, 0, "apikey delete --local --account main "
			    "--key-id %s --passphrase-file %s", c->key,
			    c->pass);
		}
		rotated(c, id, "rotate.create");
	}
	/* the JSON report names the dead copy, or null */
	for (s = 1; s < 3; s++) {
		start_stopped(c, steps[s], id);
		faults(c, "{\"lose_next\": 1}");
		run(c, 0, "--json rotate resume %s", id);
		j = out_json(c);
		assert_string_equal(json_string_value(json_object_get(j,
		    "result")), "done");
		if (s == 2)
			assert_string_equal(json_string_value(
			    json_object_get(j, "dead_copy")), c->key);
		else
			assert_true(json_is_null(json_object_get(j,
			    "dead_copy")));
		json_decref(j);
		if (s == 2)
			run(c, 0, "apikey delete --local --account main "
			    "--key-id %s --passphrase-file %s", c->key,
			    c->pass);
		rotated(c, id, "rotate.create");
	}
}

/* The new key of the rotation in progress, from rotate status. */
static void
new_key_of(struct rt *c, char *key, size_t keylen)
{
	json_t	*j, *e;

	run(c, 0, "--json rotate status");
	j = out_json(c);
	e = json_array_get(json_object_get(j, "rotations"), 0);
	snprintf(key, keylen, "%s", json_string_value(json_object_get(e,
	    "new_key")));
	json_decref(j);
	assert_true(key[0] != '\0');
}

/*
 * Stopped before the delete, and the new key is no longer the one that
 * signs when the run resumes: the operator deleted it, or made the old
 * key active again.  The old key is then the account's only working
 * key, and resume must not delete it; it stops and says why, and abort
 * ends the rotation with the old key signing.
 */
static void
test_delete_new_not_active(void **state)
{
	struct rt	*c = *state;
	char		 id[32], nk[80], key[80];

	/* the new key deleted meanwhile */
	start_stopped(c, "delete", id);
	new_key_of(c, nk, sizeof(nk));
	run(c, 0, "apikey delete --account main --key-id %s", nk);
	if (ctl(c, "rotate resume %s", id) == 0)
		fail_msg("resume deleted the last key: %s", c->out);
	has(c, "is not the active key");
	has(c, "make the new key active with apikey use and resume");
	one_key(c, c->nonce, key, sizeof(key));
	assert_string_equal(key, c->key);
	run(c, 0, "rotate abort %s", id);
	has(c, "still signs with");
	one_key(c, c->nonce, key, sizeof(key));
	assert_string_equal(key, c->key);

	/* the old key made active again meanwhile */
	start_stopped(c, "delete", id);
	new_key_of(c, nk, sizeof(nk));
	run(c, 0, "apikey use --account main --key-id %s", c->key);
	if (ctl(c, "rotate resume %s", id) == 0)
		fail_msg("resume deleted the active key: %s", c->out);
	has(c, "is not the active key");
	has(c, "make the new key active with apikey use and resume");
	run(c, 0, "rotate abort %s", id);
	has(c, "still signs with");
	one_key(c, c->nonce, key, sizeof(key));
	assert_string_equal(key, c->key);
	run(c, 0, "--json rotate status");
	has(c, "\"rotations\": []");
}

/*
 * An abort whose answer was lost after the exchange deleted the new key
 * (the test exchange's lose_next: the key is gone there, the vault
 * still holds it).  resume used to make the
 * dead key the active one and delete the old key with it, leaving the
 * account no key; it now says to finish the abort.  abort again is
 * refused by the exchange for a key it no longer has, finds it gone
 * from the exchange's list, and the old key signs on.  The vault keeps
 * the dead key's copy: its removal takes the vault's credential, which
 * the rotation does not hold, so it says how.
 */
static void
test_abort_lost(void **state)
{
	struct rt	*c = *state;
	json_t		*j, *l, *e;
	char		 id[32], key[80], cmd[512], dead[80] = "";
	size_t		 i;
	int		 r;

	start_stopped(c, "use", id);
	/* the exchange deletes the new key; its answer never comes */
	faults(c, "{\"lose_next\": 1}");
	snprintf(cmd, sizeof(cmd), "%s/vaultctl rotate abort %s 2>&1",
	    c->it.build, id);
	if ((r = it_run(c->out, sizeof(c->out), cmd)) == 0)
		fail_msg("abort with its answer lost: exit 0:\n%s", c->out);
	run(c, 1, "rotate resume %s", id);
	has(c, "an abort of this rotation was deleting the new key");
	has(c, "finish it with vaultctl rotate abort");
	run(c, 0, "rotate abort %s", id);
	has(c, "is deleted; main still signs with");
	has(c, " is gone at the exchange; its dead copy stays in the vault: "
	    "remove it with vaultctl apikey delete --local --account main "
	    "--key-id ");
	has(c, " (that takes the vault's passphrase or keyfile)\n");
	/* the dead key is still in the vault, not active; it goes so */
	run(c, 0, "--json apikey list --local --account main");
	j = out_json(c);
	l = json_object_get(j, "entries");
	assert_int_equal(json_array_size(l), 2);
	for (i = 0; i < 2; i++) {
		e = json_array_get(l, i);
		if (strcmp(json_string_value(json_object_get(e, "key_id")),
		    c->key) == 0)
			continue;
		assert_false(json_is_true(json_object_get(e, "active")));
		snprintf(dead, sizeof(dead), "%s", json_string_value(
		    json_object_get(e, "key_id")));
	}
	json_decref(j);
	assert_string_not_equal(dead, "");
	run(c, 0, "apikey delete --local --account main --key-id %s "
	    "--passphrase-file %s", dead, c->pass);
	one_key(c, c->nonce, key, sizeof(key));
	assert_string_equal(key, c->key);
	run(c, 0, "apikey list --account main");
}

/* A step that keeps failing stops for the operator, then resumes. */
static void
test_attention(void **state)
{
	struct rt	*c = *state;
	json_t		*j, *e;
	char		 id[32];

	/* the longest reason, with bytes JSON escapes, kept whole */
	faults(c, "{\"fail_next\": 1000}");
	run(c, 10, "rotate apikey --account main --drain 0 --reason '"
	    "a reason of a hundred characters, \\\"quoted\\\" and all, "
	    "as an operator might write one: xxxxxxxxxxxxxx'");
	has(c, "stopped at step create");
	has(c, "HTTP 503");
	has(c, "the old key still signs; resume, or abort");
	faults(c, "{\"fail_next\": 0}");
	run(c, 0, "--json rotate status");
	j = out_json(c);
	e = json_array_get(json_object_get(j, "rotations"), 0);
	assert_true(json_is_true(json_object_get(e, "attention")));
	assert_int_equal(json_integer_value(json_object_get(e, "tries")), 5);
	assert_string_equal(json_string_value(json_object_get(e, "reason")),
	    "a reason of a hundred characters, \\\"quoted\\\" and all, as an "
	    "operator might write one: xxxxxxxxxxxxxx");
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(e,
	    "id")));
	json_decref(j);
	run(c, 0, "rotate status");
	has(c, "NEEDS ATTENTION");
	/* the old key still signs meanwhile */
	run(c, 0, "apikey list --account main");
	run(c, 0, "rotate resume %s", id);
	rotated(c, id, "rotate.create");
}

/* abort before the new key is made, before and after it is active. */
static void
test_abort(void **state)
{
	struct rt	*c = *state;
	char		 id[32], key[80];

	/* before create: nothing was made, nothing to undo */
	start_stopped(c, "create", id);
	run(c, 0, "rotate abort %s", id);
	has(c, "no new key was made; main still signs with");
	one_key(c, c->nonce, key, sizeof(key));
	assert_string_equal(key, c->key);
	/* after create: the new key is deleted at the exchange and here */
	start_stopped(c, "verify", id);
	run(c, 0, "rotate abort %s", id);
	has(c, "is deleted; main still signs with");
	one_key(c, c->nonce, key, sizeof(key));
	assert_string_equal(key, c->key);
	/* the new key active: both kept, the operator told which to drop */
	start_stopped(c, "delete", id);
	run(c, 0, "rotate abort %s", id);
	has(c, "the old key");
	has(c, "is kept (delete it with vaultctl apikey delete");
	run(c, 0, "apikey delete --account main --key-id %s", c->key);
	/* the aborted rotations left no key: the next nonce signs */
	c->nonce++;
	one_key(c, c->nonce, key, sizeof(key));
	snprintf(c->key, sizeof(c->key), "%s", key);
	run(c, 0, "--json audit show --rotation %s", id);
	has(c, "\"op\": \"rotate.aborted\"");
	/* unknown and malformed ids */
	run(c, 8, "rotate resume rot-000000000000");
	run(c, 2, "rotate resume nope");
	run(c, 2, "audit show --rotation nope");
	run(c, 2, "rotate apikey --account main --drain 9999");
}

/*
 * A rotation stopped after create, a third key made the active one
 * meanwhile (apikey create, apikey use), then abort: the new key is
 * deleted, and the abort names the key that signs now, not the
 * rotation's old key, in what it prints and in its audit record.
 */
static void
test_abort_third_key(void **state)
{
	struct rt	*c = *state;
	json_t		*j, *r;
	char		 id[32], nk[80], third[80], want[1024], key[80];
	const char	*op, *path = NULL;
	size_t		 i;

	start_stopped(c, "verify", id);
	new_key_of(c, nk, sizeof(nk));
	run(c, 0, "--json apikey create --account main --nonce %llu",
	    (unsigned long long)c->nonce + 2);
	j = out_json(c);
	snprintf(third, sizeof(third), "%s", json_string_value(
	    json_object_get(json_object_get(j, "result"), "apiKey")));
	json_decref(j);
	run(c, 0, "apikey use --account main --key-id %s", third);
	run(c, 0, "rotate abort %s", id);
	snprintf(want, sizeof(want), "rotation %s aborted: main signs with %s, "
	    "not the old key %s; new key %s deleted\n", id, third, c->key,
	    nk);
	assert_string_equal(c->out, want);
	/* its audit record says the same */
	run(c, 0, "--json audit show --rotation %s", id);
	j = out_json(c);
	json_array_foreach(j, i, r) {
		op = json_string_value(json_object_get(r, "op"));
		if (op != NULL && strcmp(op, "rotate.aborted") == 0)
			path = json_string_value(json_object_get(r, "path"));
	}
	assert_non_null(path);
	snprintf(want, sizeof(want), "&note=main%%20signs%%20with%%20%s%%2C%%20"
	    "not%%20the%%20old%%20key%%20%s%%3B%%20new%%20key%%20%s%%20"
	    "deleted", third, c->key, nk);
	if (strstr(path, want) == NULL)
		fail_msg("rotate.aborted's path %s lacks %s", path, want);
	json_decref(j);
	/* the old key goes; the third one is the account's only key */
	run(c, 0, "apikey delete --account main --key-id %s", c->key);
	c->nonce += 2;
	snprintf(c->key, sizeof(c->key), "%s", third);
	one_key(c, c->nonce, key, sizeof(key));
	assert_string_equal(key, third);
}

/* The step of the one rotation in progress ("" if none) and its id. */
static void
step_of(struct rt *c, char *step, size_t steplen, char id[32])
{
	json_t	*j, *e;

	run(c, 0, "--json rotate status");
	j = out_json(c);
	e = json_array_get(json_object_get(j, "rotations"), 0);
	snprintf(step, steplen, "%s", e != NULL ? json_string_value(
	    json_object_get(e, "step")) : "");
	snprintf(id, 32, "%s", e != NULL ? json_string_value(
	    json_object_get(e, "id")) : "");
	json_decref(j);
}

/*
 * A run that found its rotation ended by another vaultctl's abort: its
 * output ends saying so, both keys stay in the vault and at the
 * exchange, as the abort said, and the operator deletes the old one.
 */
static void
ended_kept(struct rt *c, const char *id, const char *nk, const char *outp)
{
	char	want[1024], step[80], *got;
	size_t	len = 0;

	got = it_slurp(outp, &len);
	assert_non_null(got);
	snprintf(want, sizeof(want), "vaultctl: rotate: rotation %s was ended "
	    "by another vaultctl while this run waited: it deletes nothing "
	    "and stops (see vaultctl rotate status)\n", id);
	if (len < strlen(want) || strcmp(got + len - strlen(want), want) != 0)
		fail_msg("the run's output does not end in %s:\n%s", want, got);
	free(got);
	run(c, 0, "--json apikey list --local --account main");
	has(c, c->key);
	has(c, nk);
	run(c, 0, "--json apikey list --account main");
	has(c, c->key);
	has(c, nk);
	run(c, 0, "apikey delete --account main --key-id %s", c->key);
	c->nonce++;
	snprintf(c->key, sizeof(c->key), "%s", nk);
	one_key(c, c->nonce, step, sizeof(step));
}

/*
 * An abort while another vaultctl's run of the rotation waits out the
 * drain: the abort keeps the old key and says so, and the run, waking,
 * finds the entry ended and deletes nothing (it used to delete the old
 * key the abort had just said was kept).
 */
static void
test_abort_during_drain(void **state)
{
	struct rt	*c = *state;
	char		 cmd[2048], outp[256], rcp[256], id[32], step[80];
	char		 nk[80], *got;
	size_t		 len = 0;
	int		 i;

	snprintf(outp, sizeof(outp), "%.200s.bg", c->it.home);
	snprintf(rcp, sizeof(rcp), "%.200s.bgrc", c->it.home);
	unlink(rcp);
	snprintf(cmd, sizeof(cmd), "(%s/vaultctl rotate apikey --account main "
	    "--drain 30 >%s 2>&1; echo $? >%s.tmp; mv %s.tmp %s) "
	    "</dev/null >/dev/null 2>&1 &", c->it.build, outp, rcp, rcp, rcp);
	assert_int_equal(system(cmd), 0);
	/* the run made the new key active and waits */
	for (i = 0; i < 600; i++) {
		step_of(c, step, sizeof(step), id);
		if (strcmp(step, "delete") == 0)
			break;
		it_sleep_ms(100);
	}
	if (strcmp(step, "delete") != 0)
		fail_msg("the run never reached the delete step");
	new_key_of(c, nk, sizeof(nk));
	run(c, 0, "rotate abort %s", id);
	has(c, "is kept (delete it with vaultctl apikey delete");
	/* the run wakes, finds the rotation ended, and deletes nothing */
	for (i = 0; i < 1200 && access(rcp, F_OK) != 0; i++)
		it_sleep_ms(100);
	if ((got = it_slurp(rcp, &len)) == NULL)
		fail_msg("the run did not end");
	assert_string_equal(got, "1\n");
	free(got);
	ended_kept(c, id, nk, outp);
}

/*
 * vaultctl with args in a child, its output into outp, told to wait at
 * point (CLOBVAULT_TEST_ROTATE_PAUSE) until the test writes to fifo.
 */
static pid_t
spawn_paused(struct rt *c, const char *point, const char *fifo,
    const char *outp, const char *args)
{
	char	cmd[2048];
	pid_t	pid;

	unlink(fifo);
	if (mkfifo(fifo, 0600) != 0)
		fail_msg("mkfifo %s: %s", fifo, strerror(errno));
	snprintf(cmd, sizeof(cmd), "exec env CLOBVAULT_TEST_ROTATE_PAUSE=%s:%s "
	    "%s/vaultctl %s </dev/null >%s 2>&1", point, fifo, c->it.build,
	    args, outp);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/*
 * The run waits at its point once the FIFO has a reader: the end to
 * write to.  The bound only keeps a run that never gets there from
 * hanging the test.
 */
static int
paused(pid_t pid, const char *fifo, const char *outp)
{
	size_t	len;
	int	fd, i;

	for (i = 0; i < 2400; i++) {
		if ((fd = open(fifo, O_WRONLY | O_NONBLOCK)) != -1)
			return fd;
		if (errno != ENXIO)
			fail_msg("open %s: %s", fifo, strerror(errno));
		if (waitpid(pid, NULL, WNOHANG) == pid)
			fail_msg("the run ended before its pause:\n%s",
			    it_slurp(outp, &len));
		it_sleep_ms(50);
	}
	fail_msg("the run never reached its pause");
	return -1;
}

/* Let a paused run go on: its exit status. */
static int
go_on(pid_t pid, int fd)
{
	int	st;

	if (write(fd, "c", 1) != 1)
		fail_msg("write: %s", strerror(errno));
	close(fd);
	if (waitpid(pid, &st, 0) != pid)
		fail_msg("waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * An abort that lands after the run has checked the entry after its
 * drain and before it deletes the old key: the abort says the old key
 * is kept, and it is; the run, claiming the delete in the entry at the
 * revision the abort made stale, deletes nothing.  The run waits there
 * for the test (CLOBVAULT_TEST_ROTATE_PAUSE), not for a clock.
 */
static void
test_abort_before_delete(void **state)
{
	struct rt	*c = *state;
	char		 fifo[256], outp[256], id[32], step[80], nk[80];
	char		 want[1024];
	pid_t		 pid;
	int		 fd;

	snprintf(fifo, sizeof(fifo), "%.200s.fifo", c->it.home);
	snprintf(outp, sizeof(outp), "%.200s.bg", c->it.home);
	pid = spawn_paused(c, "delete", fifo, outp,
	    "rotate apikey --account main --drain 0");
	fd = paused(pid, fifo, outp);
	step_of(c, step, sizeof(step), id);
	assert_string_equal(step, "delete");
	new_key_of(c, nk, sizeof(nk));
	run(c, 0, "rotate abort %s", id);
	snprintf(want, sizeof(want), "rotation %s aborted: main signs with the "
	    "new key %s; the old key %s is kept (delete it with vaultctl "
	    "apikey delete --account main --key-id %s)\n", id, nk, c->key,
	    c->key);
	assert_string_equal(c->out, want);
	assert_int_equal(go_on(pid, fd), 1);
	unlink(fifo);
	ended_kept(c, id, nk, outp);
}

/*
 * A run stopped right after the old key's delete was sent: its claim
 * is in the entry.  The exchange refused (5xx): the key is still
 * listed, and abort will not say it is kept (a run may be deleting it
 * now), but says to finish with resume.
 */
static void
test_abort_delete_claimed(void **state)
{
	struct rt	*c = *state;
	char		 cmd[1024], id[32], nk[80], want[1024];
	int		 r;

	start_stopped(c, "delete", id);
	new_key_of(c, nk, sizeof(nk));
	faults(c, "{\"fail_next\": 1000}");
	snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_ROTATE_STOP=delete-sent "
	    "%s/vaultctl rotate resume %s 2>&1", c->it.build, id);
	if ((r = it_run(c->out, sizeof(c->out), cmd)) != 99)
		fail_msg("resume stopped after the delete: exit %d:\n%s", r,
		    c->out);
	faults(c, "{\"fail_next\": 0}");
	run(c, 1, "rotate abort %s", id);
	snprintf(want, sizeof(want), "vaultctl: rotate abort: rotation %s was "
	    "deleting the old key %s when it stopped, or another vaultctl is "
	    "deleting it now: finish it with vaultctl rotate resume %s\n", id,
	    c->key, id);
	assert_string_equal(c->out, want);
	run(c, 0, "rotate resume %s", id);
	has(c, "done: main now signs with API key");
	rotated(c, id, "rotate.create");
}

/*
 * The answer to the old key's delete lost after the exchange deleted
 * it, and the run stopped: abort finds the key gone from the list and
 * names the local removal of its dead copy, not an exchange delete
 * that a dead key cannot sign.
 */
static void
test_abort_lost_delete(void **state)
{
	struct rt	*c = *state;
	char		 cmd[1024], id[32], nk[80], want[1024], key[80];
	int		 r;

	start_stopped(c, "delete", id);
	new_key_of(c, nk, sizeof(nk));
	faults(c, "{\"lose_next\": 1}");
	snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_ROTATE_STOP=delete-sent "
	    "%s/vaultctl rotate resume %s 2>&1", c->it.build, id);
	if ((r = it_run(c->out, sizeof(c->out), cmd)) != 99)
		fail_msg("resume stopped after the delete: exit %d:\n%s", r,
		    c->out);
	run(c, 0, "rotate abort %s", id);
	snprintf(want, sizeof(want), "rotation %s aborted: main signs with the "
	    "new key %s; the old key %s is gone at the exchange (remove its "
	    "dead copy with vaultctl apikey delete --local --account main "
	    "--key-id %s)\n", id, nk, c->key, c->key);
	assert_string_equal(c->out, want);
	run(c, 0, "apikey delete --local --account main --key-id %s "
	    "--passphrase-file %s", c->key, c->pass);
	c->nonce++;
	snprintf(c->key, sizeof(c->key), "%s", nk);
	one_key(c, c->nonce, key, sizeof(key));
	assert_string_equal(key, nk);
	run(c, 0, "--json rotate status");
	has(c, "\"rotations\": []");
}

/*
 * A rotation stopped for the operator before its use step, and another
 * key made the active one meanwhile: rotate status and a resume that
 * stops again name the key that signs, not "the old key still signs".
 */
static void
test_attention_third_key(void **state)
{
	struct rt	*c = *state;
	char		 id[32], step[80], third[80], want[1024];
	json_t		*j;

	run(c, 0, "--json apikey create --account main --nonce %llu",
	    (unsigned long long)c->nonce + 2);
	j = out_json(c);
	snprintf(third, sizeof(third), "%s", json_string_value(
	    json_object_get(json_object_get(j, "result"), "apiKey")));
	json_decref(j);
	faults(c, "{\"fail_next\": 1000}");
	run(c, 10, "rotate apikey --account main --drain 0");
	has(c, "(the old key still signs; resume, or abort)\n");
	step_of(c, step, sizeof(step), id);
	assert_string_equal(step, "create");
	run(c, 0, "apikey use --account main --key-id %s", third);
	snprintf(want, sizeof(want), "\n    key %s signs, not the old key %s: "
	    "abort to keep it, or make %s active again with vaultctl apikey "
	    "use --account main --key-id %s and resume\n", third, c->key,
	    c->key, c->key);
	run(c, 0, "rotate status");
	has(c, want);
	assert_null(strstr(c->out, "still signs"));
	/* resume does not take the third key's place: it stops first */
	run(c, 1, "rotate resume %s", id);
	snprintf(want, sizeof(want), "vaultctl: rotate: rotation %s stopped at "
	    "step create: another key was made active during the rotation "
	    "(key %s signs, not the old key %s: abort to keep it, or make %s "
	    "active again with vaultctl apikey use --account main --key-id "
	    "%s and resume)\n", id, third, c->key, c->key, c->key);
	has(c, want);
	faults(c, "{\"fail_next\": 0}");
	run(c, 0, "rotate abort %s", id);
	snprintf(want, sizeof(want), "rotation %s aborted: main signs with %s, "
	    "not the old key %s; no new key was made\n", id, third, c->key);
	assert_string_equal(c->out, want);
	run(c, 0, "apikey delete --account main --key-id %s", c->key);
	c->nonce += 2;
	snprintf(c->key, sizeof(c->key), "%s", third);
	one_key(c, c->nonce, step, sizeof(step));
}

/*
 * A rotation stopped before its use step, and the operator made a third
 * key the active one by hand: resume stops and says how to go either
 * way, rather than make the new key active over it and delete the old
 * one.  Abort then keeps the third key signing.
 */
static void
test_resume_third_key(void **state)
{
	struct rt	*c = *state;
	char		 id[32], nk[80], third[80], want[1024], key[80];
	json_t		*j;

	start_stopped(c, "use", id);
	new_key_of(c, nk, sizeof(nk));
	run(c, 0, "--json apikey create --account main --nonce %llu",
	    (unsigned long long)c->nonce + 2);
	j = out_json(c);
	snprintf(third, sizeof(third), "%s", json_string_value(
	    json_object_get(json_object_get(j, "result"), "apiKey")));
	json_decref(j);
	run(c, 0, "apikey use --account main --key-id %s", third);
	run(c, 1, "rotate resume %s", id);
	snprintf(want, sizeof(want), "vaultctl: rotate %s: resuming at step "
	    "use\nvaultctl: rotate: rotation %s stopped at step use: another "
	    "key was made active during the rotation (key %s signs, not the "
	    "old key %s: abort to keep it, or make %s active again with "
	    "vaultctl apikey use --account main --key-id %s and resume)\n",
	    id, id, third, c->key, c->key, c->key);
	assert_string_equal(c->out, want);
	/* the third key still signs; the old and new keys are kept */
	run(c, 0, "--json apikey list --local --account main");
	has(c, c->key);
	has(c, nk);
	run(c, 0, "rotate abort %s", id);
	snprintf(want, sizeof(want), "rotation %s aborted: main signs with %s, "
	    "not the old key %s; new key %s deleted\n", id, third, c->key,
	    nk);
	assert_string_equal(c->out, want);
	run(c, 0, "apikey delete --account main --key-id %s", c->key);
	c->nonce += 2;
	snprintf(c->key, sizeof(c->key), "%s", third);
	one_key(c, c->nonce, key, sizeof(key));
	assert_string_equal(key, third);
}

/* Put a journal entry as a raw control request: the error code. */
static int
raw_put(struct rt *c, const char *id, uint64_t rev, const char *body,
    char *text, size_t textlen)
{
	struct chan	ch;
	struct msg_w	w;
	struct msg	m;
	int64_t		start = it_ms();
	int		code;

	if (it_connect(&c->it, &ch) != 0)
		fail_msg("cannot connect");
	/* busy (a checkpoint being written): again, as vaultctl does */
	do {
		code = 1;
		msg_begin(&w, MSG_CTL_PUT_REQ, 7);
		msg_put_u64(&w, VAULT_REC_ROTATION);
		msg_put_str(&w, "main");
		msg_put_str(&w, id);
		msg_put_u64(&w, rev);
		msg_put_bin(&w, body, strlen(body));
		msg_put_bin(&w, "", 0);		/* no credential */
		msg_put_bool(&w, 0);
		if (chan_send(&ch, &w) != 0 || it_recv_answer(&ch, &m) != 0)
			fail_msg("no answer");
		text[0] = '\0';
		if (m.type == MSG_ERROR_ANS &&
		    msg_get_error(&m, &code, text, textlen) != 0)
			fail_msg("bad error answer");
		if (m.type == MSG_CTL_PUT_ANS)
			code = 0;
		msg_clear(&m);
		if (code == CV_ERR_AGAIN)
			it_sleep_ms(20);
	} while (code == CV_ERR_AGAIN && it_ms() - start < 5000);
	chan_free(&ch);
	return code;
}

/* vaultd refuses a journal entry that does not read, and a bad id. */
static void
test_journal_refused(void **state)
{
	struct rt	*c = *state;
	char		 text[1100], good[512];

	snprintf(good, sizeof(good), "{\"v\":1,\"kind\":\"apikey\","
	    "\"step\":\"create\",\"old\":\"%s\",\"new\":\"\","
	    "\"fp\":\"\",\"builder_id\":\"\",\"nonce\":99,\"tries\":0,"
	    "\"resumes\":0,\"started\":1,\"active_at\":0,\"drain\":0,"
	    "\"reason\":\"\",\"note\":\"\"}",
	    c->key);
	assert_int_equal(raw_put(c, "rot-0123456789ab", 0, "{}", text,
	    sizeof(text)), CV_ERR_INVALID);
	assert_non_null(strstr(text, "members are v, kind, step"));
	assert_int_equal(raw_put(c, "rot-0123456789AB", 0, good, text,
	    sizeof(text)), CV_ERR_INVALID);
	assert_string_equal(text, "a rotation id is rot- and 12 hex digits");
	assert_int_equal(raw_put(c, "rot-0123456789ab", 0,
	    "{\"v\":1,\"kind\":\"apikey\",\"step\":\"use\",\"old\":\"a\","
	    "\"new\":\"\",\"fp\":\"\",\"builder_id\":\"\",\"nonce\":1,"
	    "\"tries\":0,\"resumes\":0,\"started\":1,\"active_at\":0,"
	    "\"drain\":0,\"reason\":\"\",\"note\":\"\"}", text,
	    sizeof(text)), CV_ERR_INVALID);
	assert_string_equal(text, "step use needs the new key's id");
	/* a good entry goes in at revision 0, and only at the next after */
	assert_int_equal(raw_put(c, "rot-0123456789ab", 0, good, text,
	    sizeof(text)), 0);
	assert_int_equal(raw_put(c, "rot-0123456789ab", 0, good, text,
	    sizeof(text)), CV_ERR_EXISTS);
	assert_int_equal(raw_put(c, "rot-0123456789ab", 2, good, text,
	    sizeof(text)), CV_ERR_EXISTS);
	run(c, 0, "rotate status");
	has(c, "rot-0123456789ab  main  apikey");
	run(c, 0, "rotate abort rot-0123456789ab");
	run(c, 0, "rotate status");
	has(c, "no rotation in progress");
}

/* Keys are dated; an account's maximum age makes rotate --due act. */
static void
test_due(void **state)
{
	struct rt	*c = *state;
	char		 cmd[1024], id[32];
	json_t		*j, *e;

	run(c, 0, "--json apikey list --local --account main");
	j = out_json(c);
	e = json_array_get(json_object_get(j, "entries"), 0);
	assert_true(json_integer_value(json_object_get(e, "created")) >
	    1700000000);
	assert_int_equal(json_integer_value(json_object_get(e, "age_days")),
	    0);
	json_decref(j);
	run(c, 2, "account update main --max-key-age 0");
	has(c, "--max-key-age takes days, 1 to 3650");
	run(c, 0, "account update main --max-key-age 30");
	run(c, 0, "--json rotate status");
	j = out_json(c);
	e = json_array_get(json_object_get(j, "keys"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "key_id")),
	    c->key);
	assert_int_equal(json_integer_value(json_object_get(e,
	    "max_key_age")), 30);
	assert_true(json_is_false(json_object_get(e, "due")));
	json_decref(j);
	run(c, 0, "rotate --due --dry-run");
	has(c, "0 d old, max 30 d: not due");
	run(c, 2, "rotate --due --account main");
	/* 31 days on: due; a dry run changes nothing */
	snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_DAYS_AHEAD=31 "
	    "%s/vaultctl rotate --due --dry-run 2>&1", c->it.build);
	assert_int_equal(it_run(c->out, sizeof(c->out), cmd), 0);
	has(c, "31 d old, max 30 d: due (dry run)");
	run(c, 0, "--json rotate status");
	has(c, "\"rotations\": []");
	snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_DAYS_AHEAD=31 "
	    "%s/vaultctl rotate --due --drain 0 2>&1", c->it.build);
	assert_int_equal(it_run(c->out, sizeof(c->out), cmd), 0);
	has(c, "31 d old, max 30 d: due: rotating");
	has(c, "main: rotated");
	run(c, 0, "--json audit show --op rotate.done --tail 1");
	j = out_json(c);
	snprintf(id, sizeof(id), "%s", strrchr(json_string_value(
	    json_object_get(json_array_get(j, 0), "actor")), ':') + 1);
	json_decref(j);
	rotated(c, id, "rotate.create");
	run(c, 0, "--json audit show --rotation %s --op rotate.create", id);
	has(c, "reason=due%3A%2031%20d%20old%2C%20max%2030%20d");
	/*
	 * A run killed in the middle leaves its rotation in progress: a
	 * due key it holds back fails --due (the timer's unit) until the
	 * rotation is resumed or aborted; a dry run only says so.
	 */
	snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_ROTATE_STOP=create "
	    "%s/vaultctl rotate apikey --account main 2>&1", c->it.build);
	assert_int_equal(it_run(c->out, sizeof(c->out), cmd), 99);
	snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_DAYS_AHEAD=31 "
	    "%s/vaultctl rotate --due --drain 0 2>&1", c->it.build);
	assert_int_equal(it_run(c->out, sizeof(c->out), cmd), 1);
	has(c, "31 d old, max 30 d: a rotation is in progress: resume it\n");
	snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_DAYS_AHEAD=31 "
	    "%s/vaultctl rotate --due --dry-run 2>&1", c->it.build);
	assert_int_equal(it_run(c->out, sizeof(c->out), cmd), 0);
	run(c, 0, "--json rotate status");
	j = out_json(c);
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(
	    json_array_get(json_object_get(j, "rotations"), 0), "id")));
	json_decref(j);
	run(c, 0, "rotate abort %s", id);
	run(c, 0, "account update main --no-max-key-age");
	run(c, 0, "rotate --due");
}

/* The builder keys the vault holds for main: their ids, the active one. */
static size_t
builder_keys(struct rt *c, char active[80])
{
	json_t	*j, *e;
	size_t	 i, n;

	active[0] = '\0';
	run(c, 0, "--json builder list --local --account main");
	j = out_json(c);
	n = json_array_size(json_object_get(j, "entries"));
	json_array_foreach(json_object_get(j, "entries"), i, e)
		if (json_is_true(json_object_get(e, "active")))
			snprintf(active, 80, "%s", json_string_value(
			    json_object_get(e, "key_id")));
	json_decref(j);
	return n;
}

/* A builder key, rotated; and after a crash at its delete step. */
static void
test_builder(void **state)
{
	struct rt	*c = *state;
	char		 old[80], now[80], id[32], cmd[1024];
	json_t		*j;

	run(c, 2, "rotate builder --account main");
	has(c, "--builder-id ID is required");
	run(c, 2, "rotate apikey --account main --builder-id b1");
	run(c, 8, "rotate builder --account main --builder-id b1");
	has(c, "main holds no builder key to rotate");
	run(c, 0, "builder create --account main --builder-id b1");
	assert_int_equal(builder_keys(c, old), 1);
	run(c, 0, "rotate builder --account main --builder-id b1 --drain 0 "
	    "--reason 'builder rotation'");
	has(c, "'s builder key is now ");
	assert_int_equal(builder_keys(c, now), 1);
	assert_string_not_equal(now, old);
	/* the exchange: the new key live, the old one revoked */
	run(c, 0, "--json builder list --account main");
	j = out_json(c);
	assert_non_null(strstr(c->out, now));
	json_decref(j);
	run(c, 0, "--json audit show --op rotate.done --tail 1");
	j = out_json(c);
	snprintf(id, sizeof(id), "%s", strrchr(json_string_value(
	    json_object_get(json_array_get(j, 0), "actor")), ':') + 1);
	json_decref(j);
	run(c, 0, "--json audit show --rotation %s --op rotate", id);
	has(c, "kind=builder");
	has(c, "\"op\": \"rotate.use\"");
	/* stopped before the old key's revocation, vaultd killed: resume */
	snprintf(old, sizeof(old), "%s", now);
	snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_ROTATE_STOP=delete "
	    "%s/vaultctl rotate builder --account main --builder-id b1 "
	    "--drain 0 2>&1", c->it.build);
	assert_int_equal(it_run(c->out, sizeof(c->out), cmd), 99);
	assert_int_equal(builder_keys(c, now), 2);
	assert_string_not_equal(now, old);	/* the new one is active */
	run(c, 0, "--json rotate status");
	j = out_json(c);
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(
	    json_array_get(json_object_get(j, "rotations"), 0), "id")));
	json_decref(j);
	crash(c, V_VAULTD);
	run(c, 0, "rotate resume %s", id);
	has(c, "is revoked");
	assert_int_equal(builder_keys(c, now), 1);
	assert_string_not_equal(now, old);
	/* the API key was never touched */
	one_key(c, c->nonce, now, sizeof(now));
	assert_string_equal(now, c->key);
}

/*
 * make soak: ROTATE_SOAK rotations, each stopped at a random step,
 * a random process killed there, the exchange failing at random
 * (5xx, dropped connections, a propagation delay), then resumed until
 * done.  ROTATE_SEED repeats a run; the seed is printed.
 */
static void
test_soak(void **state)
{
	static const char *const steps[] = { "create", "verify", "use",
	    "delete", "none" };
	struct rt	*c = *state;
	char		 cmd[1024], id[32], body[128];
	const char	*e;
	unsigned	 seed, i, n, tries;
	json_t		*j;
	int		 r;

	n = (unsigned)strtoul(getenv("ROTATE_SOAK"), NULL, 10);
	seed = (e = getenv("ROTATE_SEED")) != NULL ?
	    (unsigned)strtoul(e, NULL, 10) : (unsigned)time(NULL);
	fprintf(stderr, "soak: %u rotations, ROTATE_SEED=%u\n", n, seed);
	srandom(seed);
	for (i = 0; i < n; i++) {
		snprintf(body, sizeof(body), "{\"fail_next\": %ld, "
		    "\"drop_next\": %ld, \"propagation_ms\": %ld}",
		    random() % 3, random() % 2, (random() % 3) * 700);
		faults(c, body);
		e = steps[random() % 5];
		snprintf(cmd, sizeof(cmd), "CLOBVAULT_TEST_ROTATE_STOP=%s "
		    "%s/vaultctl rotate apikey --account main --drain 0 2>&1",
		    e, c->it.build);
		r = it_run(c->out, sizeof(c->out), cmd);
		if (r != 99 && r != 0)
			fail_msg("round %u (stop at %s): exit %d: %s", i, e, r,
			    c->out);
		if (r == 99) {
			run(c, 0, "--json rotate status");
			j = out_json(c);
			snprintf(id, sizeof(id), "%s", json_string_value(
			    json_object_get(json_array_get(json_object_get(j,
			    "rotations"), 0), "id")));
			json_decref(j);
			crash(c, (enum victim)(random() % 4));
			for (tries = 0; ctl(c, "rotate resume %s", id) != 0;
			    tries++)
				if (tries == 3)
					fail_msg("round %u: resume: %s", i,
					    c->out);
		} else {
			run(c, 0, "--json audit show --op rotate.done --tail 1");
			j = out_json(c);
			snprintf(id, sizeof(id), "%s", strrchr(
			    json_string_value(json_object_get(json_array_get(j,
			    0), "actor")), ':') + 1);
			json_decref(j);
		}
		faults(c, "{\"fail_next\": 0, \"drop_next\": 0, "
		    "\"propagation_ms\": 0}");
		rotated(c, id, "rotate.create");
	}
}

int
main(void)
{
	const struct CMUnitTest soak[] = {
		cmocka_unit_test(test_soak),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_table),
		cmocka_unit_test(test_stop_at_done),
		cmocka_unit_test(test_exchange_faults),
		cmocka_unit_test(test_attention),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_abort_lost),
		cmocka_unit_test(test_abort_third_key),
		cmocka_unit_test(test_abort_during_drain),
		cmocka_unit_test(test_abort_before_delete),
		cmocka_unit_test(test_abort_delete_claimed),
		cmocka_unit_test(test_abort_lost_delete),
		cmocka_unit_test(test_attention_third_key),
		cmocka_unit_test(test_resume_third_key),
		cmocka_unit_test(test_lost_answers),
		cmocka_unit_test(test_delete_new_not_active),
		cmocka_unit_test(test_journal_refused),
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_builder),
	};

	if (getenv("ROTATE_SOAK") != NULL)
		return cmocka_run_group_tests(soak, setup, teardown);
	/* ROTATE_TEST=name: that test alone */
	if (getenv("ROTATE_TEST") != NULL)
		cmocka_set_test_filter(getenv("ROTATE_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
