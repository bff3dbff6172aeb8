/*
 * A key rotation's journal entry, read and written (rotation.h).  The
 * entry is the operator's and vaultd checks it before it goes into the
 * vault, so that an entry in the vault always reads back.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/cv_err.h"
#include "common/rotation.h"

static const char *const step_names[ROT_NSTEPS] = {
	"create", "verify", "use", "delete", "done", "aborted",
};

const char *
rotation_step_name(enum rot_step s)
{
	return (unsigned)s < ROT_NSTEPS ? step_names[s] : NULL;
}

int
rotation_id_valid(const char *s)
{
	size_t	i;

	if (strlen(s) != ROT_ID_LEN || strncmp(s, "rot-", 4) != 0)
		return 0;
	for (i = 4; i < ROT_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
rotation_text_ok(const char *s, size_t max)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return i <= max;
}

static int
key_ok(const char *s, int may_be_empty)
{
	return (may_be_empty && *s == '\0') ||
	    vault_fmt_name_valid(s, strlen(s));
}

#define FAIL(...) do {							\
	snprintf(why, whylen, __VA_ARGS__);				\
	goto bad;							\
} while (0)

int
rotation_parse(const char *p, size_t len, struct rotation *r, char *why,
    size_t whylen)
{
	json_t		*j;
	json_error_t	 err;
	const char	*kind, *step, *old, *new, *reason, *note, *fp, *bid;
	int		 omnia;
	json_int_t	 v, nonce, tries, resumes, started, active, drain;
	size_t		 i;

	memset(r, 0, sizeof(*r));
	snprintf(why, whylen, "not a journal entry");
	if (len > VAULT_MAX_JOURNAL || (j = json_loadb(p, len,
	    JSON_REJECT_DUPLICATES, &err)) == NULL)
		return CV_ERR_INVALID;
	/* never err.text: it names what it found, a member or a value */
	if (json_unpack_ex(j, &err, JSON_STRICT,
	    "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:s, s:s}", "v", &v, "kind", &kind, "step", &step, "old",
	    &old, "new", &new, "fp", &fp, "builder_id", &bid, "nonce", &nonce,
	    "tries", &tries, "resumes", &resumes, "started", &started,
	    "active_at", &active, "drain", &drain, "reason", &reason, "note",
	    &note) != 0)
		FAIL("a journal entry's members are v, kind, step, old, new, "
		    "fp, builder_id, nonce, tries, resumes, started, active_at, "
		    "drain, reason and note, and no other");
	if (v != 1)
		FAIL("journal entry version %lld: this build reads 1",
		    (long long)v);
	if (strcmp(kind, "apikey") != 0 && strcmp(kind, "builder") != 0 &&
	    strcmp(kind, "omnia") != 0)
		FAIL("kind is apikey, builder or omnia");
	omnia = strcmp(kind, "omnia") == 0;
	for (i = 0; i < ROT_NSTEPS; i++)
		if (strcmp(step, step_names[i]) == 0)
			break;
	if (i == ROT_NSTEPS)
		FAIL("no step %s", step);
	if (omnia && (i == ROT_USE || i == ROT_DELETE))
		FAIL("an Omnia key is rotated in place: no step %s", step);
	if (omnia ? !key_ok(old, 0) || (*new != '\0' &&
	    strcmp(old, new) != 0) : !key_ok(old, 0) || !key_ok(new, 1) ||
	    strcmp(old, new) == 0)
		FAIL("old and new are two key ids (new may be empty; "
		    "omnia: the same one)");
	if (strlen(fp) != (omnia ? 16 : 0) ||
	    strspn(fp, "0123456789abcdef") != strlen(fp))
		FAIL("fp is the old secret's fingerprint (omnia), else empty");
	if (strcmp(kind, "builder") == 0 ? !key_ok(bid, 0) : *bid != '\0')
		FAIL("builder_id names the builder (builder), else empty");
	if (i > ROT_VERIFY && i != ROT_ABORTED && *new == '\0')
		FAIL("step %s needs the new key's id", step);
	if (nonce < 0 || tries < 0 || tries > 1000 || resumes < 0 ||
	    resumes > 1000000 || started <= 0 || active < 0 || drain < 0 ||
	    drain > ROT_DRAIN_MAX)
		FAIL("a number out of range");
	if (!rotation_text_ok(reason, ROT_REASON_MAX) ||
	    !rotation_text_ok(note, ROT_NOTE_MAX))
		FAIL("reason and note are printable text of at most %d and "
		    "%d characters", ROT_REASON_MAX, ROT_NOTE_MAX);
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	r->step = (enum rot_step)i;
	snprintf(r->old_key, sizeof(r->old_key), "%s", old);
	snprintf(r->new_key, sizeof(r->new_key), "%s", new);
	snprintf(r->fp, sizeof(r->fp), "%s", fp);
	snprintf(r->builder_id, sizeof(r->builder_id), "%s", bid);
	r->nonce = (uint64_t)nonce;
	r->tries = (uint64_t)tries;
	r->resumes = (uint64_t)resumes;
	r->started = started;
	r->active_at = active;
	r->drain = (uint64_t)drain;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	snprintf(r->note, sizeof(r->note), "%s", note);
	json_decref(j);
	why[0] = '\0';
	return 0;
 bad:
	json_decref(j);
	memset(r, 0, sizeof(*r));
	return CV_ERR_INVALID;
}

int
rotation_encode(const struct rotation *r, char *out, size_t outlen,
    size_t *len)
{
	json_t	*j;
	size_t	 n;
	int	 ret = CV_ERR_TOOLONG;

	if (rotation_step_name(r->step) == NULL)
		return CV_ERR_INVALID;
	j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:s, s:s}", "v", 1, "kind", r->kind, "step",
	    rotation_step_name(r->step), "old", r->old_key, "new", r->new_key,
	    "fp", r->fp, "builder_id", r->builder_id, "nonce",
	    (json_int_t)r->nonce, "tries", (json_int_t)r->tries, "resumes",
	    (json_int_t)r->resumes, "started", (json_int_t)r->started,
	    "active_at", (json_int_t)r->active_at,
	    "drain", (json_int_t)r->drain, "reason", r->reason, "note",
	    r->note);
	if (j == NULL)
		return CV_ERR_INVALID;
	/* into out: no allocation of jansson's to free */
	n = json_dumpb(j, out, outlen, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (n > 0 && n <= VAULT_MAX_JOURNAL && n < outlen) {
		out[n] = '\0';
		*len = n;
		ret = 0;
	}
	return ret;
}
