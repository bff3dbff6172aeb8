/*
 * vaultctl rotate: an account's API key replaced by a new one, as a
 * workflow that survives a crash of anything at any point.
 *
 *	create	create-or-derive the key at the next nonce (a key is per
 *		address and nonce: after a lost answer, derive finds it)
 *	verify	an L2 call signed with the new key, retried through the
 *		exchange's propagation delay
 *	use	the new key becomes the active one (one vault change)
 *	delete	after the drain, the old key is deleted at the exchange,
 *		signed with itself, and removed from the vault
 *
 * Before each step's external effect its journal entry (a sealed vault
 * record, common/rotation.h) names the step, durably; resume reads it
 * and carries on, and every step is safe to do twice.  A step that fails
 * ROT_TRIES_MAX times is marked for the operator with what to do.
 * vaultd tags every record made for this connection with the rotation
 * id (audit show --rotation ID).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/rotation.h"
#include "common/utf8.h"
#include "vaultctl/vaultctl.h"

#define ROT_USAGE	"usage: vaultctl rotate apikey --account A " \
	"[--reason TEXT] [--drain SECONDS] | rotate builder --account A " \
	"--builder-id ID [--reason TEXT] [--drain SECONDS] | " \
	"rotate --due [--dry-run] " \
	"[--drain SECONDS] | rotate status | rotate resume ID | " \
	"rotate abort ID"
#define DRAIN_DEFAULT	25	/* netd's per-request limit is 20 s */
/* a delete stopped because the new key does not sign (step_delete) */
#define ROT_NOT_ACTIVE	"delete: new key"

/* How a step ended. */
enum outcome {
	STEP_OK,		/* done: the next step */
	STEP_RETRY,		/* transient: counted, retried */
	STEP_STOP,		/* the operator must act (note says what) */
	STEP_GONE		/* vaultd is gone: resume later */
};

struct rot_run {
	struct vaultctl	*vc;
	char		 account[VAULT_MAX_NAME + 1];
	char		 id[ROT_ID_LEN + 1];
	uint64_t	 rev;		/* the entry's next revision */
	struct rotation	 r;
	int		 code;		/* the CV_ERR_* of a stop */
	char		 unknown[256];	/* keys the exchange lists, the
					   vault does not hold */
	char		 dead[VAULT_MAX_NAME + 1];	/* a key gone at the
					   exchange whose copy stays */
};

/* 1 if an account record's info (its JSON) names profile. */
static int
profile_is(const char *info, const char *profile)
{
	json_t		*j = json_loads(info, JSON_REJECT_DUPLICATES, NULL);
	const char	*p = json_string_value(json_object_get(j, "profile"));
	int		 r = p != NULL && strcmp(p, profile) == 0;

	json_decref(j);
	return r;
}

static int
omnia(const struct rot_run *rr)
{
	return strcmp(rr->r.kind, "omnia") == 0;
}

static int
builder(const struct rot_run *rr)
{
	return strcmp(rr->r.kind, "builder") == 0;
}

/* The vault record type of the keys the rotation is about. */
static uint64_t
rtype(const struct rot_run *rr)
{
	return builder(rr) ? VAULT_REC_BUILDER_CRED : VAULT_REC_API_CRED;
}

static const struct option rot_opts[] = {
	{ "account",	required_argument, NULL, 'a' },
	{ "reason",	required_argument, NULL, 'r' },
	{ "drain",	required_argument, NULL, 'd' },
	{ "due",	no_argument, NULL, 'D' },
	{ "dry-run",	no_argument, NULL, 'n' },
	{ "builder-id",	required_argument, NULL, 'b' },
	{ NULL, 0, NULL, 0 }
};

/* snprintf, for texts that may be cut (a note, an error). */
static void
textf(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
textf(char *out, size_t len, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

static int
usage(struct vaultctl *vc, const char *why)
{
	if (why != NULL)
		textf(vc->errtext, sizeof(vc->errtext), "%s", why);
	return vaultctl_fail(vc, ROT_USAGE, CV_ERR_USAGE);
}

/* Say what happens, on stderr (stdout stays the result). */
static void
say(const struct rot_run *rr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(const struct rot_run *rr, const char *fmt, ...)
{
	va_list	ap;

	if (rr->vc->json)
		return;
	fprintf(stderr, "vaultctl: rotate %s: ", rr->id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * For the crash tests: stop (as a kill would) at point: right after the
 * entry naming a step is durable, before its effect (the step's name),
 * or right after the exchange answered the old key's delete or an Omnia
 * key's rotate, or did not ("delete-sent", "rotate-sent").
 */
static void
test_stop_at(const char *point)
{
	const char	*s = getenv("CLOBVAULT_TEST_ROTATE_STOP");

	if (s != NULL && strcmp(s, point) == 0)
		_exit(99);
}

static void
test_stop(const struct rot_run *rr)
{
	test_stop_at(rotation_step_name(rr->r.step));
}

/*
 * For the race tests: CLOBVAULT_TEST_ROTATE_PAUSE=POINT:FIFO waits at
 * point until a byte comes from the FIFO: 'c' goes on, anything else
 * (or none) stops as a kill would.  The test, whose open of the FIFO
 * returns once this one's has, acts while the run waits there.
 */
static void
test_pause(const char *point)
{
	const char	*s = getenv("CLOBVAULT_TEST_ROTATE_PAUSE");
	size_t		 len = strlen(point);
	char		 c = 0;
	int		 fd;

	if (s == NULL || strncmp(s, point, len) != 0 || s[len] != ':')
		return;
	if ((fd = open(s + len + 1, O_RDONLY)) == -1 ||
	    read(fd, &c, 1) != 1 || c != 'c')
		_exit(99);
	close(fd);
}

/* Put the entry at its next revision: durable before anything else. */
static int
journal_put(struct rot_run *rr)
{
	char	body[VAULT_MAX_JOURNAL + 1], info[VAULT_MAX_INFO + 1];
	size_t	len;
	int	r;

	if ((r = rotation_encode(&rr->r, body, sizeof(body), &len)) != 0)
		return r;
	if ((r = vaultctl_put_rec(rr->vc, VAULT_REC_ROTATION, rr->account,
	    rr->id, rr->rev, (const uint8_t *)body, len, info,
	    sizeof(info))) != 0)
		return r;
	rr->rev++;
	test_stop(rr);
	return 0;
}

/* The rotation is over: its last revision, then the entry goes. */
static int
journal_end(struct rot_run *rr, enum rot_step last)
{
	struct msg_w	w;
	struct msg	m;
	int		r;

	rr->r.step = last;
	rr->r.tries = 0;
	if ((r = journal_put(rr)) != 0)
		return r;
	msg_begin(&w, MSG_CTL_DEL_REQ, ++rr->vc->next_id);
	msg_put_u64(&w, VAULT_REC_ROTATION);
	msg_put_str(&w, rr->account);
	msg_put_str(&w, rr->id);
	msg_put_bin(&w, "", 0);		/* no credential: none needed */
	msg_put_bool(&w, 0);
	if ((r = vaultctl_call(rr->vc, &w, MSG_CTL_DEL_ANS, &m)) != 0)
		return r;
	msg_clear(&m);
	return 0;
}

/* The API key of the account at nonce (its id into out), 0 if there is. */
static int
key_at_nonce(struct vaultctl *vc, uint64_t type, const char *account,
    uint64_t nonce, char *out, size_t outlen)
{
	struct vaultctl_rec	*v;
	size_t			 n, i;
	int			 r;

	if ((r = vaultctl_list(vc, &v, &n)) != 0)
		return r;
	r = CV_ERR_NOTFOUND;
	for (i = 0; i < n; i++)
		if (v[i].type == type && v[i].nonce == nonce &&
		    strcmp(v[i].account, account) == 0) {
			snprintf(out, outlen, "%s", v[i].key_id);
			r = 0;
		}
	free(v);
	return r;
}

/* 1 if the vault holds API key id of the account, 0 if not, or an error. */
static int
key_held(struct vaultctl *vc, uint64_t type, const char *account,
    const char *id, uint64_t *flags)
{
	struct vaultctl_rec		*v;
	const struct vaultctl_rec	*k;
	size_t				 n;
	int				 r;

	if ((r = vaultctl_list(vc, &v, &n)) != 0)
		return r;
	if ((k = vaultctl_rec_find(v, n, type, account, id)) != NULL &&
	    flags != NULL)
		*flags = k->flags;
	r = k != NULL;
	free(v);
	return r;
}

/* How a failed call counts: a transport failure is retried. */
static enum outcome
call_failed(struct rot_run *rr, int code, const char *step)
{
	rr->code = code;
	switch (code) {
	case CV_ERR_NOTRUNNING:
	case CV_ERR_EOF:
		return STEP_GONE;
	case CV_ERR_TRANSPORT:
	case CV_ERR_TIMEOUT:
	case CV_ERR_AGAIN:
	case CV_ERR_RESPONSE:
	case CV_ERR_IO:
		textf(rr->r.note, sizeof(rr->r.note), "%s failed: %.120s",
		    step, rr->vc->errtext);
		return STEP_RETRY;
	}
	textf(rr->r.note, sizeof(rr->r.note), "%s refused: %.110s; fix "
	    "that, then resume", step, rr->vc->errtext);
	return STEP_STOP;
}

/* An HTTP answer other than 2xx: 5xx and 429 are retried. */
static enum outcome
http_failed(struct rot_run *rr, uint64_t status, const json_t *res,
    const char *step)
{
	const char	*err = json_string_value(json_object_get(res, "error"));

	textf(rr->r.note, sizeof(rr->r.note), "%s: the exchange answered "
	    "HTTP %llu%s%.100s", step, (unsigned long long)status,
	    err != NULL ? ": " : "", err != NULL ? err : "");
	rr->code = CV_ERR_EXCHANGE;
	if (status >= 500 || status == 429)
		return STEP_RETRY;
	return STEP_STOP;
}

/* One exchange call with up to two parameters. */
static int
call(struct rot_run *rr, const char *name, const char *p1, const char *v1,
    uint64_t *status, json_t **res)
{
	const char	*names[1] = { p1 }, *values[1] = { v1 };
	char		 change[513];

	return vaultctl_netcall(rr->vc, rr->account, name, names, values,
	    p1 != NULL ? 1 : 0, status, res, change, sizeof(change));
}

/*
 * The key an entry of an apiKeys list names: a string (API keys),
 * {"apiKeyId", ...} (Omnia keys), or {"apiKey", ..., "revokedAt"}
 * (builder keys; NULL once revoked).
 */
static const char *
list_key(const json_t *v)
{
	const json_t	*rev;

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_string(json_object_get(v, "apiKeyId")))
		return json_string_value(json_object_get(v, "apiKeyId"));
	rev = json_object_get(v, "revokedAt");
	if (rev != NULL && !json_is_null(rev) &&
	    !(json_is_string(rev) && *json_string_value(rev) == '\0'))
		return NULL;
	return json_string_value(json_object_get(v, "apiKey"));
}

/*
 * The exchange's list of the rotation's kind of keys: API keys signed
 * with the new key (apikey.verify), builder keys (builder.list).
 */
static int
list_call(struct rot_run *rr, uint64_t *status, json_t **res)
{
	if (builder(rr))
		return call(rr, "builder.list", NULL, NULL, status, res);
	return call(rr, "apikey.verify", "key", rr->r.new_key, status, res);
}

/* 1 if the list of apiKeys in res holds id (and it is not revoked). */
static int
listed(const json_t *res, const char *id)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(json_object_get(res, "apiKeys"), i, v)
		if (list_key(v) != NULL && strcmp(list_key(v), id) == 0)
			return 1;
	return 0;
}

/*
 * Keys the exchange lists that the vault does not hold, into unknown.
 * They are the exchange's bytes: each that a terminal would take for
 * more than a printed character is a '?' here (utf8_clean, the rule
 * vaultctl_fput_text prints by), whatever netd let through, and the
 * list is cut whole at an id.
 */
static void
note_unknown(struct rot_run *rr, const json_t *res)
{
	struct vaultctl_rec	*recs;
	json_t			*v;
	size_t			 i, o = 0, nrecs;
	int			 n;

	rr->unknown[0] = '\0';
	if (vaultctl_list(rr->vc, &recs, &nrecs) != 0)
		return;
	json_array_foreach(json_object_get(res, "apiKeys"), i, v) {
		if (list_key(v) == NULL || vaultctl_rec_find(recs, nrecs,
		    rtype(rr), rr->account, list_key(v)) != NULL)
			continue;
		n = snprintf(rr->unknown + o, sizeof(rr->unknown) - o, "%s%s",
		    o ? ", " : "", list_key(v));
		if (n < 0 || (size_t)n >= sizeof(rr->unknown) - o) {
			rr->unknown[o] = '\0';
			break;
		}
		o += utf8_clean(rr->unknown + o, (size_t)n);
		rr->unknown[o] = '\0';
	}
	free(recs);
}

/* The fingerprint the vault shows for API key id ("" if not held). */
static int
key_fp(struct vaultctl *vc, const char *account, const char *id,
    char fp[17])
{
	struct vaultctl_rec		*v;
	const struct vaultctl_rec	*k;
	size_t				 n;
	int				 r;

	fp[0] = '\0';
	if ((r = vaultctl_list(vc, &v, &n)) != 0)
		return r;
	if ((k = vaultctl_rec_find(v, n, VAULT_REC_API_CRED, account,
	    id)) != NULL && strlen(k->info) >= 16)
		snprintf(fp, 17, "%.16s", k->info);
	free(v);
	return 0;
}

/* Another Omnia key of the account the vault holds, into out ("": none). */
static void
other_key(struct rot_run *rr, char *out, size_t outlen)
{
	struct vaultctl_rec	*v;
	size_t			 n, i;

	out[0] = '\0';
	if (vaultctl_list(rr->vc, &v, &n) != 0)
		return;
	for (i = 0; i < n; i++)
		if (v[i].type == VAULT_REC_API_CRED &&
		    strcmp(v[i].account, rr->account) == 0 &&
		    strcmp(v[i].key_id, rr->r.old_key) != 0)
			snprintf(out, outlen, "%s", v[i].key_id);
	free(v);
}

/*
 * An Omnia key is rotated in place: the exchange answers the new secret
 * and invalidates the old one at once, and the answer goes sealed into
 * the vault before vaultd answers.  If the vault's secret is no longer
 * the one the entry names, that happened.  Otherwise, after an attempt
 * whose answer may be lost, a call with the vault's secret tells: it
 * works (nothing was rotated: again), or it is refused (rotated, the
 * new secret lost: the operator must replace the key).
 */
static enum outcome
step_rotate(struct rot_run *rr)
{
	char		 fp[17], other[VAULT_MAX_NAME + 1];
	uint64_t	 status;
	json_t		*res;
	int		 r;

	if ((r = key_fp(rr->vc, rr->account, rr->r.old_key, fp)) != 0)
		return call_failed(rr, r, "rotate");
	if (fp[0] == '\0') {
		textf(rr->r.note, sizeof(rr->r.note), "rotate: key %s is no "
		    "longer in the vault", rr->r.old_key);
		rr->code = CV_ERR_NOTFOUND;
		return STEP_STOP;
	}
	if (strcmp(fp, rr->r.fp) != 0)
		goto stored;
	if (rr->r.tries > 0 || rr->r.resumes > 0) {
		/* with that key's token, whichever key is active now */
		if ((r = call(rr, "apikey.list", "key", rr->r.old_key,
		    &status, &res)) != 0)
			return call_failed(rr, r, "rotate");
		json_decref(res);
		if (status == 401) {
			other_key(rr, other, sizeof(other));
			textf(rr->r.note, sizeof(rr->r.note), "lost: key %s "
			    "was rotated but the answer was lost; its secret "
			    "is dead and the new one unknown", rr->r.old_key);
			if (other[0] != '\0')
				textf(rr->vc->errtext, sizeof(rr->vc->errtext),
				    "%s.  Replace it: vaultctl apikey use "
				    "--account %s --key-id %s; vaultctl apikey "
				    "create --account %s --label L --permission "
				    "P...; then rotate abort %s", rr->r.note,
				    rr->account, other, rr->account, rr->id);
			else
				textf(rr->vc->errtext, sizeof(rr->vc->errtext),
				    "%s.  The vault holds no other key of %s: "
				    "make one at the exchange, vaultctl apikey "
				    "import it, then rotate abort %s",
				    rr->r.note, rr->account, rr->id);
			rr->code = CV_ERR_EXCHANGE;
			return STEP_STOP;
		}
		if (status < 200 || status > 299)
			return http_failed(rr, status, NULL, "rotate");
	}
	say(rr, "rotating Omnia key %s at the exchange", rr->r.old_key);
	r = call(rr, "apikey.rotate", "key", rr->r.old_key, &status, &res);
	test_stop_at("rotate-sent");
	if (r != 0)
		return call_failed(rr, r, "rotate");
	if (status < 200 || status > 299) {
		r = http_failed(rr, status, res, "rotate");
		json_decref(res);
		/* a refusal of the key itself: the next try looks first */
		return status == 401 ? STEP_RETRY : r;
	}
	json_decref(res);
	if ((r = key_fp(rr->vc, rr->account, rr->r.old_key, fp)) != 0)
		return call_failed(rr, r, "rotate");
	if (strcmp(fp, rr->r.fp) == 0) {
		textf(rr->r.note, sizeof(rr->r.note), "rotate: the exchange "
		    "answered but the vault holds the old secret");
		rr->code = CV_ERR_RESPONSE;
		return STEP_STOP;
	}
 stored:
	snprintf(rr->r.new_key, sizeof(rr->r.new_key), "%s", rr->r.old_key);
	return STEP_OK;
}

/* The rotated Omnia key buys a token and lists the keys with it. */
static enum outcome
step_verify_omnia(struct rot_run *rr)
{
	uint64_t	 status;
	json_t		*res;
	int		 r;

	say(rr, "checking key %s's new secret with a call", rr->r.new_key);
	if ((r = call(rr, "apikey.list", "key", rr->r.new_key, &status,
	    &res)) != 0)
		return call_failed(rr, r, "verify");
	if (status == 401) {
		json_decref(res);
		textf(rr->r.note, sizeof(rr->r.note), "verify: the exchange "
		    "does not take the new secret yet (HTTP 401)");
		rr->code = CV_ERR_EXCHANGE;
		return STEP_RETRY;
	}
	if (status < 200 || status > 299) {
		r = http_failed(rr, status, res, "verify");
		json_decref(res);
		return r;
	}
	/* keys made at the exchange that the vault does not hold */
	note_unknown(rr, res);
	json_decref(res);
	return STEP_OK;
}

/* The key of the rotation's kind active for the account now ("": none). */
static void
active_now(struct rot_run *rr, char *out, size_t outlen)
{
	struct vaultctl_rec	*v;
	const char		*active;
	size_t			 n;

	out[0] = '\0';
	if (vaultctl_list(rr->vc, &v, &n) != 0)
		return;
	if (vaultctl_active_key(v, n, rtype(rr), rr->account, &active) == 0)
		snprintf(out, outlen, "%s", active);
	free(v);
}

/*
 * Before the use step, a key other than the old and the new one made
 * active by hand (apikey use) is the operator's choice: the use step
 * would replace it, and the delete step delete the old key, so the run
 * stops and advice says how to go either way.
 */
static enum outcome
check_active(struct rot_run *rr)
{
	char	active[VAULT_MAX_NAME + 1];

	active_now(rr, active, sizeof(active));
	if (active[0] == '\0' || strcmp(active, rr->r.old_key) == 0 ||
	    strcmp(active, rr->r.new_key) == 0)
		return STEP_OK;
	textf(rr->r.note, sizeof(rr->r.note), "another key was made active "
	    "during the rotation");
	rr->code = CV_ERR_EXISTS;
	return STEP_STOP;
}

static enum outcome
step_create(struct rot_run *rr)
{
	char		 nonce[24];
	uint64_t	 status;
	json_t		*res;
	enum outcome	 o;
	int		 r;

	if ((o = check_active(rr)) != STEP_OK)
		return o;
	/* done before a crash: the key at the nonce is in the vault */
	if (key_at_nonce(rr->vc, rtype(rr), rr->account, rr->r.nonce,
	    rr->r.new_key, sizeof(rr->r.new_key)) == 0)
		return STEP_OK;
	snprintf(nonce, sizeof(nonce), "%llu", (unsigned long long)rr->r.nonce);
	if (builder(rr)) {
		/* no derive for builder keys: one lost answer is an orphan,
		 * which the end of the rotation reports */
		say(rr, "creating a builder key for %s", rr->r.builder_id);
		r = call(rr, "builder.create", "builder_id", rr->r.builder_id,
		    &status, &res);
	} else {
		say(rr, "creating API key at nonce %s", nonce);
		r = call(rr, "apikey.create-or-derive", "nonce", nonce,
		    &status, &res);
	}
	if (r != 0)
		return call_failed(rr, r, "create");
	if (status < 200 || status > 299) {
		r = http_failed(rr, status, res, "create");
		json_decref(res);
		return r;
	}
	json_decref(res);
	if ((r = key_at_nonce(rr->vc, rtype(rr), rr->account, rr->r.nonce,
	    rr->r.new_key, sizeof(rr->r.new_key))) != 0) {
		/* issued but not stored: derive fetches it next time */
		textf(rr->r.note, sizeof(rr->r.note), "create: the key at "
		    "nonce %s is not in the vault", nonce);
		rr->code = CV_ERR_NOTFOUND;
		return STEP_RETRY;
	}
	return STEP_OK;
}

static enum outcome
step_verify(struct rot_run *rr)
{
	uint64_t	 status;
	json_t		*res;
	enum outcome	 o;
	int		 r;

	if ((o = check_active(rr)) != STEP_OK)
		return o;
	say(rr, "checking new key %s with the exchange's list",
	    rr->r.new_key);
	if ((r = list_call(rr, &status, &res)) != 0)
		return call_failed(rr, r, "verify");
	if (status == 401) {
		/* new keys take a while to become valid at the exchange */
		json_decref(res);
		textf(rr->r.note, sizeof(rr->r.note), "verify: the exchange "
		    "does not take key %s yet (HTTP 401)", rr->r.new_key);
		rr->code = CV_ERR_EXCHANGE;
		return STEP_RETRY;
	}
	if (status < 200 || status > 299) {
		r = http_failed(rr, status, res, "verify");
		json_decref(res);
		return r;
	}
	r = listed(res, rr->r.new_key);
	json_decref(res);
	if (!r) {
		textf(rr->r.note, sizeof(rr->r.note), "verify: the "
		    "exchange's list does not hold key %s", rr->r.new_key);
		rr->code = CV_ERR_RESPONSE;
		return STEP_RETRY;
	}
	return STEP_OK;
}

static enum outcome
step_use(struct rot_run *rr)
{
	struct msg_w	w;
	struct msg	m;
	enum outcome	o;
	int		r;

	if ((o = check_active(rr)) != STEP_OK)
		return o;
	msg_begin(&w, MSG_CTL_USE_REQ, ++rr->vc->next_id);
	msg_put_u64(&w, rtype(rr));
	msg_put_str(&w, rr->account);
	msg_put_str(&w, rr->r.new_key);
	if ((r = vaultctl_call(rr->vc, &w, MSG_CTL_USE_ANS, &m)) != 0)
		return call_failed(rr, r, "use");
	msg_clear(&m);
	say(rr, "key %s is the active %s key", rr->r.new_key,
	    builder(rr) ? "builder" : "API");
	rr->r.active_at = time(NULL);
	return STEP_OK;
}

/*
 * A key gone at the exchange whose copy the vault still holds (the
 * answer to its delete lost, or a crash before vaultd removed it): the
 * copy is dead, and stays.  A removal from the vault takes the vault's
 * credential (an operator could say any key is gone), which a rotation,
 * unattended under clobvault-rotate.timer, does not hold; the operator
 * is told how to remove it.
 */
static void
vault_keeps(struct rot_run *rr, const char *id)
{
	snprintf(rr->dead, sizeof(rr->dead), "%s", id);
	say(rr, "key %s is gone at the exchange; its dead copy stays in the "
	    "vault: remove it with vaultctl %s --local --account %s "
	    "--key-id %s (that takes the vault's passphrase or keyfile)", id,
	    builder(rr) ? "builder revoke" : "apikey delete", rr->account,
	    id);
}

#define DRAIN_PING_S	60

static int	entries_rev(struct vaultctl *, const char *, uint64_t *);

/*
 * 0 if the entry is still at the revision this run wrote last; else
 * another vaultctl (an abort, a resume) wrote it or ended the rotation
 * meanwhile -- during a drain, say -- and this run must not act on what
 * it read before: errtext says so, and the code is in rr->code.
 */
static int
journal_same(struct rot_run *rr)
{
	uint64_t	rev = 0;
	int		r;

	if ((r = entries_rev(rr->vc, rr->id, &rev)) != 0 &&
	    r != CV_ERR_NOTFOUND)
		return r;
	if (r == 0 && rev == rr->rev)
		return 0;
	textf(rr->vc->errtext, sizeof(rr->vc->errtext), "rotation %s was "
	    "%s by another vaultctl while this run waited: it deletes "
	    "nothing and stops (see vaultctl rotate status)", rr->id,
	    r == 0 ? "changed" : "ended");
	rr->code = CV_ERR_EXISTS;
	return CV_ERR_EXISTS;
}

/* A request that keeps the connection from idling: vaultd's status. */
static int
drain_ping(struct rot_run *rr)
{
	struct msg_w	w;
	struct msg	m;
	int		r;

	msg_begin(&w, MSG_CTL_STATUS_REQ, ++rr->vc->next_id);
	if ((r = vaultctl_call(rr->vc, &w, MSG_CTL_STATUS_ANS, &m)) != 0)
		return r;
	msg_clear(&m);
	return 0;
}

static enum outcome
step_delete(struct rot_run *rr)
{
	uint64_t	 status, flags = 0;
	json_t		*res;
	int64_t		 wait;
	int		 r;

	wait = rr->r.active_at + (int64_t)rr->r.drain - time(NULL);
	if (wait > (int64_t)rr->r.drain)
		wait = (int64_t)rr->r.drain;	/* a clock set back */
	if (wait > 0)
		say(rr, "waiting %lld s for requests signed with key %s to "
		    "finish", (long long)wait, rr->r.old_key);
	/*
	 * vaultd closes a connection idle VAULTD_IDLE_MS (300 s), and the
	 * run keeps one: a drain longer than that asks vaultd's status now
	 * and then, so that the connection is there for the delete.
	 */
	while (wait > 0) {
		sleep((unsigned)(wait > DRAIN_PING_S ? DRAIN_PING_S : wait));
		if ((wait -= DRAIN_PING_S) > 0 && (r = drain_ping(rr)) != 0)
			return call_failed(rr, r, "delete");
	}
	/* an abort during the drain kept the old key, and said so */
	if ((r = journal_same(rr)) == CV_ERR_EXISTS)
		return STEP_GONE;
	if (r != 0)
		return call_failed(rr, r, "delete");
	if ((r = key_held(rr->vc, rtype(rr), rr->account, rr->r.old_key,
	    NULL)) < 0)
		return call_failed(rr, r, "delete");
	if (r == 0)
		return STEP_OK;		/* deleted and removed before */
	/*
	 * The old key goes only while the new one signs: made the active
	 * one by the use step, it may since have been deleted or another
	 * made active, and the old key would then be the one that works.
	 */
	if ((r = key_held(rr->vc, rtype(rr), rr->account, rr->r.new_key,
	    &flags)) < 0)
		return call_failed(rr, r, "delete");
	if (r == 0 || !(flags & VAULT_RECF_ACTIVE)) {
		textf(rr->r.note, sizeof(rr->r.note), "%s %s is not the "
		    "active key (%s); the old key is kept", ROT_NOT_ACTIVE,
		    rr->r.new_key, r == 0 ? "gone from the vault" :
		    "another is");
		rr->code = CV_ERR_NOTFOUND;
		return STEP_STOP;
	}
	/*
	 * The delete is claimed in the entry, at the revision this run
	 * wrote last: an abort or resume by another vaultctl meanwhile
	 * (during the drain, say) made that revision stale and the put
	 * fails, so nothing is deleted; one after it finds the claim
	 * (rotate_abort) and does not say the old key is kept.
	 */
	test_pause("delete");
	textf(rr->r.note, sizeof(rr->r.note), "%s the old key",
	    ROT_DELETING);
	if ((r = journal_put(rr)) != 0) {
		if (journal_same(rr) == CV_ERR_EXISTS)
			return STEP_GONE;
		return call_failed(rr, r, "delete");
	}
	say(rr, "deleting old key %s at the exchange", rr->r.old_key);
	r = call(rr, builder(rr) ? "builder.revoke" : "apikey.delete", "key",
	    rr->r.old_key, &status, &res);
	test_stop_at("delete-sent");
	if (r != 0)
		return call_failed(rr, r, "delete");
	json_decref(res);
	if (status >= 200 && status <= 299)
		return STEP_OK;
	if (status >= 500 || status == 429)
		return http_failed(rr, status, NULL, "delete");
	/* refused: gone at the exchange already (a crash after the delete)? */
	if ((r = list_call(rr, &status, &res)) != 0)
		return call_failed(rr, r, "delete");
	if (status < 200 || status > 299) {
		r = http_failed(rr, status, res, "delete");
		json_decref(res);
		return r;
	}
	r = listed(res, rr->r.old_key);
	json_decref(res);
	if (r) {
		textf(rr->r.note, sizeof(rr->r.note), "delete: the exchange "
		    "refuses key %s but still lists it", rr->r.old_key);
		rr->code = CV_ERR_EXCHANGE;
		return STEP_RETRY;
	}
	vault_keeps(rr, rr->r.old_key);
	return STEP_OK;
}

/* After a delete: what the exchange lists that the vault does not hold. */
static void
final_check(struct rot_run *rr)
{
	uint64_t	 status;
	json_t		*res;

	rr->unknown[0] = '\0';
	if (list_call(rr, &status, &res) != 0)
		return;
	if (status >= 200 && status <= 299)
		note_unknown(rr, res);
	json_decref(res);
}

/*
 * What the operator can do about a stopped step, and what signs
 * meanwhile.  An Omnia key is rotated in place: once its new secret is
 * in the vault (verify), the old one is dead, and until the exchange
 * takes the new one nothing of that key signs.
 */
static const char *
advice(const struct rotation *r, const char *account, const char *active,
    char *buf, size_t len)
{
	int	omnia = strcmp(r->kind, "omnia") == 0;

	/*
	 * Before use, the account's active key signs: the old one unless
	 * another was made active meanwhile (active: the vault's now).
	 * The new one goes on with resume; a third, made so by hand, is
	 * the operator's to keep (check_active).
	 */
	if (!omnia && r->step <= ROT_USE && active != NULL &&
	    strcmp(active, r->old_key) != 0 && strcmp(active,
	    r->new_key) == 0) {
		textf(buf, len, "key %s signs, not the old key %s; resume "
		    "(its use step makes the new key the active one), or "
		    "abort", active, r->old_key);
		return buf;
	}
	if (!omnia && r->step <= ROT_USE && active != NULL &&
	    strcmp(active, r->old_key) != 0) {
		textf(buf, len, "key %s signs, not the old key %s: abort to "
		    "keep it, or make %s active again with vaultctl %s use "
		    "--account %s --key-id %s and resume", active, r->old_key,
		    r->old_key, strcmp(r->kind, "builder") == 0 ? "builder" :
		    "apikey", account, r->old_key);
		return buf;
	}
	switch (r->step) {
	case ROT_CREATE:
		if (omnia && strncmp(r->note, "lost:", 5) == 0)
			return "nothing signs with the key: make another with "
			    "a key that holds enough permissions (or import "
			    "one), then abort";
		return omnia ? "resume (it first checks with a call whether "
		    "the vault's secret still works), or abort" :
		    "the old key still signs; resume, or abort";
	case ROT_VERIFY:
		return omnia ? "the old secret is dead; the key signs again "
		    "once the exchange takes the new one: resume to check" :
		    "the old key still signs; resume, or abort";
	case ROT_USE:
		return "the old key still signs; resume";
	case ROT_DELETE:
		if (strncmp(r->note, ROT_NOT_ACTIVE,
		    strlen(ROT_NOT_ACTIVE)) == 0)
			return "make the new key active with apikey use and "
			    "resume, or abort to keep the old key";
		/* FALLTHROUGH */
	default:
		return "the new key signs; resume to delete the old key, or "
		    "abort to keep it";
	}
}

/* Run the rotation from its current step to the end. */
static int
run(struct rot_run *rr)
{
	enum outcome	o;
	unsigned	backoff = 1;
	char		active[VAULT_MAX_NAME + 1], buf[512];
	int		r;

	for (;;) {
		switch (rr->r.step) {
		case ROT_CREATE:
			o = omnia(rr) ? step_rotate(rr) : step_create(rr);
			break;
		case ROT_VERIFY:
			o = omnia(rr) ? step_verify_omnia(rr) :
			    step_verify(rr);
			break;
		case ROT_USE:
			o = step_use(rr);
			break;
		case ROT_DELETE:
			o = step_delete(rr);
			break;
		default:
			return vaultctl_fail(rr->vc, "rotate", CV_ERR_INTERNAL);
		}
		if (o == STEP_GONE)
			return vaultctl_fail(rr->vc, "rotate", rr->code);
		if (o == STEP_OK) {
			rr->r.tries = 0;
			rr->r.note[0] = '\0';
			backoff = 1;
			if (rr->r.step == ROT_DELETE || (omnia(rr) &&
			    rr->r.step == ROT_VERIFY)) {
				if (!omnia(rr))
					final_check(rr);
				if ((r = journal_end(rr, ROT_DONE)) != 0)
					return vaultctl_fail(rr->vc, "rotate",
					    r);
				return 0;
			}
			rr->r.step++;
		} else if (o == STEP_RETRY &&
		    ++rr->r.tries < ROT_TRIES_MAX) {
			say(rr, "%s; retrying in %u s", rr->r.note, backoff);
		} else {
			/* attention, whether retried out or stopped */
			rr->r.tries = ROT_TRIES_MAX;
			/* attention: the note says what went wrong */
			if ((r = journal_put(rr)) != 0)
				return vaultctl_fail(rr->vc, "rotate", r);
			if (strncmp(rr->r.note, "lost:", 5) != 0) {
				active_now(rr, active, sizeof(active));
				textf(rr->vc->errtext, sizeof(rr->vc->errtext),
				    "rotation %s stopped at step %s: %s (%s)",
				    rr->id, rotation_step_name(rr->r.step),
				    rr->r.note, advice(&rr->r, rr->account,
				    active[0] != '\0' ? active : NULL, buf,
				    sizeof(buf)));
			}
			return vaultctl_fail(rr->vc, "rotate", rr->code != 0 ?
			    rr->code : CV_ERR_EXCHANGE);
		}
		if ((r = journal_put(rr)) != 0)
			return vaultctl_fail(rr->vc, "rotate", r);
		if (o == STEP_RETRY) {
			sleep(backoff);
			backoff = backoff < 8 ? backoff * 2 : 8;
		}
	}
}

/* The keys the exchange lists that the vault does not, after what. */
static void
print_unknown(const struct rot_run *rr, const char *what)
{
	if (rr->unknown[0] == '\0')
		return;
	printf("%sthe exchange also lists API keys the vault does not hold: ",
	    what);
	vaultctl_fput_text(stdout, rr->unknown);
	printf(" (%s, or import them)\n", omnia(rr) ? "remove them at the "
	    "exchange" : "delete them with apikey delete --key-id");
}

/* Print the end of a rotation that ran to its end. */
static int
report(struct rot_run *rr, const char *how)
{
	if (rr->vc->json) {
		vaultctl_print_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, "
		    "s:s, s:s?, s:b}", "rotation", rr->id, "account",
		    rr->account, "result", how, "old_key", rr->r.old_key,
		    "new_key", rr->r.new_key, "nonce", (json_int_t)rr->r.nonce,
		    "unknown_keys", rr->unknown, "dead_copy", rr->dead[0] !=
		    '\0' ? rr->dead : NULL, "ok", 1));
		return EXIT_OK;
	}
	if (strcmp(how, "done") == 0 && omnia(rr))
		printf("rotation %s done: %s's Omnia key %s has a new secret, "
		    "sealed in the vault; the old one is dead\n", rr->id,
		    rr->account, rr->r.old_key);
	else if (strcmp(how, "done") == 0 && builder(rr))
		printf("rotation %s done: %s's builder key is now %s; key %s "
		    "is revoked\n", rr->id, rr->account, rr->r.new_key,
		    rr->r.old_key);
	else if (strcmp(how, "done") == 0)
		printf("rotation %s done: %s now signs with API key %s (nonce "
		    "%llu); key %s is deleted\n", rr->id, rr->account,
		    rr->r.new_key, (unsigned long long)rr->r.nonce,
		    rr->r.old_key);
	else
		printf("rotation %s aborted: %s\n", rr->id, how);
	print_unknown(rr, "");
	return EXIT_OK;
}

/* The journal entries in the vault: *n of them, malloc'd into *out. */
struct entry {
	char		account[VAULT_MAX_NAME + 1];
	char		id[VAULT_MAX_NAME + 1];
	uint64_t	rev;
	int		ok;
	struct rotation	r;
	char		why[160];
};

static int
entries(struct vaultctl *vc, struct entry **out, size_t *n)
{
	struct vaultctl_rec	*v;
	struct entry		*e;
	size_t			 nv, i;
	int			 r;

	*out = NULL;
	*n = 0;
	if ((r = vaultctl_list(vc, &v, &nv)) != 0)
		return r;
	if ((e = calloc(nv + 1, sizeof(*e))) == NULL) {
		free(v);
		return CV_ERR_NOMEM;
	}
	for (i = 0; i < nv; i++) {
		if (v[i].type != VAULT_REC_ROTATION)
			continue;
		snprintf(e[*n].account, sizeof(e[*n].account), "%s",
		    v[i].account);
		snprintf(e[*n].id, sizeof(e[*n].id), "%s", v[i].key_id);
		e[*n].rev = v[i].nonce + 1;
		e[*n].ok = rotation_parse(v[i].info, strlen(v[i].info),
		    &e[*n].r, e[*n].why, sizeof(e[*n].why)) == 0;
		(*n)++;
	}
	free(v);
	*out = e;
	return 0;
}

/* The next revision of rotation id's entry, CV_ERR_NOTFOUND if none. */
static int
entries_rev(struct vaultctl *vc, const char *id, uint64_t *rev)
{
	struct entry	*e;
	size_t		 n, i;
	int		 r;

	if ((r = entries(vc, &e, &n)) != 0)
		return r;
	r = CV_ERR_NOTFOUND;
	for (i = 0; i < n; i++)
		if (strcmp(e[i].id, id) == 0) {
			*rev = e[i].rev;
			r = 0;
		}
	free(e);
	return r;
}

/* The entry of rotation id into rr; an exit code if there is none. */
static int
load(struct vaultctl *vc, const char *id, struct rot_run *rr)
{
	struct entry	*e;
	size_t		 n, i;
	int		 r;

	memset(rr, 0, sizeof(*rr));
	rr->vc = vc;
	if (!rotation_id_valid(id))
		return usage(vc, "a rotation id is rot- and 12 hex digits "
		    "(see vaultctl rotate status)");
	if ((r = entries(vc, &e, &n)) != 0)
		return vaultctl_fail(vc, "rotate", r);
	for (i = 0; i < n && strcmp(e[i].id, id) != 0; i++)
		;
	if (i == n) {
		free(e);
		textf(vc->errtext, sizeof(vc->errtext), "no rotation %s in "
		    "progress (see vaultctl rotate status)", id);
		return vaultctl_fail(vc, "rotate", CV_ERR_NOTFOUND);
	}
	if (!e[i].ok) {
		textf(vc->errtext, sizeof(vc->errtext), "the journal entry "
		    "of %s does not read: %s", id, e[i].why);
		free(e);
		return vaultctl_fail(vc, "rotate", CV_ERR_CORRUPT);
	}
	snprintf(rr->account, sizeof(rr->account), "%s", e[i].account);
	snprintf(rr->id, sizeof(rr->id), "%s", id);
	rr->rev = e[i].rev;
	rr->r = e[i].r;
	free(e);
	return -1;
}

static int
parse_drain(const char *s, uint64_t *out)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v > ROT_DRAIN_MAX)
		return -1;
	*out = v;
	return 0;
}

/* The options of rotate apikey and rotate --due. */
struct start_args {
	const char	*account, *reason, *builder_id;
	uint64_t	 drain;
	int		 due, dry_run;
};

static int
start_args(struct vaultctl *vc, int argc, char **argv, struct start_args *a)
{
	int	ch;

	memset(a, 0, sizeof(*a));
	a->reason = "";
	a->drain = DRAIN_DEFAULT;
	if (vaultctl_opt_begin(vc, argc, argv, rot_opts) != 0)
		return -1;
	while ((ch = vaultctl_opt_next(argc, argv, rot_opts)) != -1) {
		switch (ch) {
		case 'a':
			a->account = optarg;
			break;
		case 'r':
			a->reason = optarg;
			if (!rotation_text_ok(a->reason, ROT_REASON_MAX)) {
				textf(vc->errtext, sizeof(vc->errtext),
				    "--reason takes printable text of at most "
				    "100 characters");
				return -1;
			}
			break;
		case 'd':
			if (parse_drain(optarg, &a->drain) != 0) {
				textf(vc->errtext, sizeof(vc->errtext),
				    "--drain takes seconds, 0 to 3600");
				return -1;
			}
			break;
		case 'D':
			a->due = 1;
			break;
		case 'b':
			a->builder_id = optarg;
			if (!vault_fmt_name_valid(optarg, strlen(optarg))) {
				textf(vc->errtext, sizeof(vc->errtext),
				    "--builder-id takes 1 to 64 of A-Z a-z 0-9 "
				    ". _ : @ -");
				return -1;
			}
			break;
		case 'n':
			a->dry_run = 1;
			break;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		textf(vc->errtext, sizeof(vc->errtext), "too many words");
		return -1;
	}
	return 0;
}

static int	rotate_account(struct vaultctl *, const char *, const char *,
		    uint64_t, const char *, struct rot_run *);

static int
rotate_start(struct vaultctl *vc, int argc, char **argv, int builder_kind)
{
	struct start_args	a;

	if (start_args(vc, argc, argv, &a) != 0)
		return usage(vc, NULL);
	if (a.due || a.dry_run)
		return usage(vc, "--due and --dry-run go with rotate alone: "
		    "vaultctl rotate --due [--dry-run]");
	if (a.account == NULL ||
	    !vault_fmt_name_valid(a.account, strlen(a.account)))
		return usage(vc, "--account A is required");
	if (builder_kind && a.builder_id == NULL)
		return usage(vc, "--builder-id ID is required: the exchange's "
		    "builder the key is for");
	if (!builder_kind && a.builder_id != NULL)
		return usage(vc, "--builder-id goes with rotate builder");
	return rotate_account(vc, a.account, a.reason, a.drain, a.builder_id,
	    NULL);
}

/*
 * Rotate account's active API key: a new rotation, run to its end, and
 * reported; or, with done, the run is left there for the caller's own
 * report (rotate --due).
 */
static int
rotate_account(struct vaultctl *vc, const char *account, const char *reason,
    uint64_t drain, const char *builder_id, struct rot_run *done)
{
	struct vaultctl_rec	*v;
	struct entry		*e;
	struct rot_run		 rr;
	const char		*active, *what = builder_id ? "builder" : "API";
	uint8_t			 rnd[6];
	size_t			 n, i;
	uint64_t		 maxn = 0, type;
	int			 r, keys = 0, is_omnia = 0;

	memset(&rr, 0, sizeof(rr));
	rr.vc = vc;
	rr.r.drain = drain;
	type = builder_id ? VAULT_REC_BUILDER_CRED : VAULT_REC_API_CRED;
	/* one rotation of an account at a time */
	if ((r = entries(vc, &e, &n)) != 0)
		return vaultctl_fail(vc, "rotate", r);
	for (i = 0; i < n; i++)
		if (strcmp(e[i].account, account) == 0) {
			textf(vc->errtext, sizeof(vc->errtext), "rotation "
			    "%s of %s is in progress: vaultctl rotate resume "
			    "%s, or rotate abort %s", e[i].id, account,
			    e[i].id, e[i].id);
			free(e);
			return vaultctl_fail(vc, "rotate", CV_ERR_EXISTS);
		}
	free(e);
	if ((r = vaultctl_list(vc, &v, &n)) != 0)
		return vaultctl_fail(vc, "rotate", r);
	for (i = 0; i < n; i++) {
		if (v[i].type == VAULT_REC_ACCOUNT &&
		    strcmp(v[i].account, account) == 0)
			is_omnia = profile_is(v[i].info, "omnia");
		if (v[i].type == type && strcmp(v[i].account, account) == 0) {
			keys++;
			if (v[i].nonce > maxn)
				maxn = v[i].nonce;
		}
	}
	r = vaultctl_active_key(v, n, type, account, &active);
	if (r == 0)
		snprintf(rr.r.old_key, sizeof(rr.r.old_key), "%s", active);
	/* Omnia: rotated in place; the secret's fingerprint tells when */
	if (r == 0 && is_omnia)
		snprintf(rr.r.fp, sizeof(rr.r.fp), "%.16s",
		    vaultctl_rec_find(v, n, type, account, active)->info);
	/* builder keys are numbered in the vault: the first free number */
	if (builder_id != NULL)
		for (maxn = 0; ; maxn++) {
			for (i = 0; i < n; i++)
				if (v[i].type == type && v[i].nonce == maxn &&
				    strcmp(v[i].account, account) == 0)
					break;
			if (i == n)
				break;
		}
	free(v);
	if (is_omnia && builder_id != NULL) {
		textf(vc->errtext, sizeof(vc->errtext), "%s is an Omnia "
		    "account: it has no builder keys", account);
		return vaultctl_fail(vc, "rotate", CV_ERR_INVALID);
	}
	if (r == CV_ERR_EXISTS) {
		textf(vc->errtext, sizeof(vc->errtext), "%s holds several "
		    "%s keys and none is active: choose one with vaultctl "
		    "%s use", account, what, builder_id ? "builder" : "apikey");
		return vaultctl_fail(vc, "rotate", CV_ERR_NOTFOUND);
	}
	if (r != 0) {
		textf(vc->errtext, sizeof(vc->errtext), "%s holds no %s key "
		    "to rotate (create one with vaultctl %s create)", account,
		    what, builder_id ? "builder" : "apikey");
		return vaultctl_fail(vc, "rotate", CV_ERR_NOTFOUND);
	}
	if (maxn == UINT64_MAX)
		return vaultctl_fail(vc, "rotate", CV_ERR_TOOLONG);
	randombytes_buf(rnd, sizeof(rnd));
	snprintf(rr.id, sizeof(rr.id), "rot-%02x%02x%02x%02x%02x%02x", rnd[0],
	    rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	snprintf(rr.account, sizeof(rr.account), "%s", account);
	snprintf(rr.r.kind, sizeof(rr.r.kind), "%s", builder_id ? "builder" :
	    is_omnia ? "omnia" : "apikey");
	if (builder_id != NULL)
		snprintf(rr.r.builder_id, sizeof(rr.r.builder_id), "%s",
		    builder_id);
	snprintf(rr.r.reason, sizeof(rr.r.reason), "%s", reason);
	rr.r.step = ROT_CREATE;
	rr.r.nonce = is_omnia ? 0 : builder_id ? maxn : maxn + 1;
	rr.r.started = time(NULL);
	say(&rr, "rotating %s key %s of %s (%d key%s held)", what,
	    rr.r.old_key, account, keys, keys == 1 ? "" : "s");
	if ((r = journal_put(&rr)) != 0)
		return vaultctl_fail(vc, "rotate", r);
	if ((r = run(&rr)) != 0)
		return r;
	if (done == NULL)
		return report(&rr, "done");
	*done = rr;
	return EXIT_OK;
}

static int
rotate_resume(struct vaultctl *vc, const char *id)
{
	struct rot_run	rr;
	int		r;

	if ((r = load(vc, id, &rr)) != -1)
		return r;
	/* over, but its entry not yet removed (a crash in between) */
	if (rr.r.step == ROT_DONE || rr.r.step == ROT_ABORTED) {
		if ((r = journal_end(&rr, rr.r.step)) != 0)
			return vaultctl_fail(vc, "rotate", r);
		return report(&rr, rr.r.step == ROT_DONE ? "done" :
		    rr.r.note[0] != '\0' ? rr.r.note : "aborted");
	}
	/*
	 * An abort that was deleting the new key when it stopped: the new
	 * key may be dead at the exchange, so it is never made the active
	 * one (and the old one deleted with it); the abort is finished.
	 */
	if (strncmp(rr.r.note, ROT_ABORTING, strlen(ROT_ABORTING)) == 0) {
		textf(vc->errtext, sizeof(vc->errtext), "an abort of this "
		    "rotation was deleting the new key %s when it stopped: "
		    "finish it with vaultctl rotate abort %s", rr.r.new_key,
		    id);
		return vaultctl_fail(vc, "rotate resume", CV_ERR_EXISTS);
	}
	/* the operator's word: the step gets its tries again */
	rr.r.resumes++;
	rr.r.tries = 0;
	rr.r.note[0] = '\0';
	say(&rr, "resuming at step %s", rotation_step_name(rr.r.step));
	if ((r = journal_put(&rr)) != 0)
		return vaultctl_fail(vc, "rotate", r);
	if ((r = run(&rr)) != 0)
		return r;
	return report(&rr, "done");
}

/*
 * Abort: before the new key is active, it is deleted (found by derive
 * when its answer was lost) and the old key goes on; after, both are
 * kept and the operator is told which one to delete.
 */
/*
 * Abort an Omnia rotation: nothing to undo at the exchange (a rotation
 * cannot be taken back); what the vault holds is said.
 */
static int
abort_omnia(struct rot_run *rr)
{
	char		 fp[17], how[512], tail[256];
	char		 other[VAULT_MAX_NAME + 1], active[VAULT_MAX_NAME + 1];
	uint64_t	 status = 0;
	json_t		*res;
	int		 r, lost;

	if ((r = key_fp(rr->vc, rr->account, rr->r.old_key, fp)) != 0)
		return vaultctl_fail(rr->vc, "rotate abort", r);
	lost = strncmp(rr->r.note, "lost:", 5) == 0;
	/*
	 * The vault's secret unchanged: a rotate whose answer was lost (a
	 * run stopped or killed before it could look) killed it all the
	 * same.  A call with it tells, as step_rotate's does.
	 */
	if (fp[0] != '\0' && strcmp(fp, rr->r.fp) == 0 && !lost) {
		if ((r = call(rr, "apikey.list", "key", rr->r.old_key,
		    &status, &res)) != 0)
			return vaultctl_fail(rr->vc, "rotate abort", r);
		json_decref(res);
		lost = status == 401;
		if (!lost && (status < 200 || status > 299)) {
			textf(rr->vc->errtext, sizeof(rr->vc->errtext),
			    "cannot tell whether key %s was rotated (HTTP "
			    "%llu): abort again later", rr->r.old_key,
			    (unsigned long long)status);
			return vaultctl_fail(rr->vc, "rotate abort",
			    CV_ERR_EXCHANGE);
		}
	}
	if (fp[0] == '\0')
		textf(how, sizeof(how), "key %s is no longer in the vault",
		    rr->r.old_key);
	else if (strcmp(fp, rr->r.fp) != 0)
		textf(how, sizeof(how), "key %s has its new secret in the "
		    "vault", rr->r.old_key);
	else if (lost) {
		/* the dead key still the active one: nothing signs */
		active_now(rr, active, sizeof(active));
		other_key(rr, other, sizeof(other));
		tail[0] = '\0';
		if (strcmp(active, rr->r.old_key) == 0 && other[0] != '\0')
			textf(tail, sizeof(tail), "; make another key active: "
			    "vaultctl apikey use --account %s --key-id %s",
			    rr->account, other);
		else if (strcmp(active, rr->r.old_key) == 0)
			textf(tail, sizeof(tail), "; the vault holds no other "
			    "key of %s: make one at the exchange and vaultctl "
			    "apikey import it", rr->account);
		textf(how, sizeof(how), "key %s was rotated and its new secret "
		    "lost: it is dead; remove its copy with vaultctl apikey "
		    "delete --local --account %s --key-id %s%s", rr->r.old_key,
		    rr->account, rr->r.old_key, tail);
	} else
		textf(how, sizeof(how), "key %s keeps the secret the vault "
		    "holds", rr->r.old_key);
	textf(rr->r.note, sizeof(rr->r.note), "%.*s", ROT_NOTE_MAX, how);
	if ((r = journal_end(rr, ROT_ABORTED)) != 0)
		return vaultctl_fail(rr->vc, "rotate abort", r);
	return report(rr, how);
}

/*
 * The exchange refused to delete the new key: is it gone already (an
 * abort whose answer was lost)?  Then the abort is done, the vault
 * keeping its dead copy.  0, or vaultctl's exit with the reason set.
 */
static int
abort_gone(struct rot_run *rr, uint64_t status)
{
	json_t	*res;
	int	 r;

	/* the list as the old key, which still signs, sees it */
	if (status < 500 && status != 429 && !builder(rr) &&
	    call(rr, "apikey.verify", "key", rr->r.old_key, &status,
	    &res) == 0) {
		r = status >= 200 && status <= 299 ? listed(res,
		    rr->r.new_key) : -1;
		json_decref(res);
		if (r == 0) {
			vault_keeps(rr, rr->r.new_key);
			return 0;
		}
	}
	textf(rr->vc->errtext, sizeof(rr->vc->errtext), "the new key %s "
	    "could not be deleted (HTTP %llu): abort again later",
	    rr->r.new_key, (unsigned long long)status);
	return vaultctl_fail(rr->vc, "rotate abort", CV_ERR_EXCHANGE);
}

/*
 * What signs for the account once an abort is over, into out: the
 * account's active key as the vault holds it now, not the rotation's
 * old key (another may have been made active meanwhile, or the old one
 * deleted).  0, 1 if another key than the old one is active (the text
 * then comes first: a note is cut at ROT_NOTE_MAX), or an error.
 */
static int
abort_signer(struct rot_run *rr, char *out, size_t outlen)
{
	struct vaultctl_rec	*v;
	const char		*active;
	const char		*what = builder(rr) ? "builder" : "API";
	size_t			 n;
	int			 r;

	if ((r = vaultctl_list(rr->vc, &v, &n)) != 0)
		return r;
	if (vaultctl_active_key(v, n, rtype(rr), rr->account, &active) != 0)
		textf(out, outlen, "no %s key of %s is active: choose one "
		    "with vaultctl %s use", what, rr->account,
		    builder(rr) ? "builder" : "apikey");
	else if (strcmp(active, rr->r.old_key) == 0)
		textf(out, outlen, "%s still signs with %s", rr->account,
		    active);
	else {
		textf(out, outlen, "%s signs with %s, not the old key %s",
		    rr->account, active, rr->r.old_key);
		r = 1;
	}
	free(v);
	return r;
}

/*
 * What became of the old key of a rotation whose new key signs, into
 * how: deleted (0), gone at the exchange, its delete's answer lost (0,
 * and the command that removes its dead copy said), or kept: listed
 * (1), or the exchange could not tell (2).  Or an error.
 */
static int
abort_old_key(struct rot_run *rr, char *how, size_t len)
{
	uint64_t	 status;
	json_t		*res;
	const char	*del = builder(rr) ? "builder revoke" : "apikey delete";
	const char	*kid = builder(rr) ? "" : "--key-id ";
	int		 r;

	if ((r = key_held(rr->vc, rtype(rr), rr->account, rr->r.old_key,
	    NULL)) < 0)
		return r;
	if (r == 0) {
		textf(how, len, "%s signs with the new key %s; the old key %s "
		    "is deleted", rr->account, rr->r.new_key, rr->r.old_key);
		return 0;
	}
	r = 2;
	if (list_call(rr, &status, &res) == 0) {
		if (status >= 200 && status <= 299)
			r = listed(res, rr->r.old_key);
		json_decref(res);
	}
	if (r == 0) {
		snprintf(rr->dead, sizeof(rr->dead), "%s", rr->r.old_key);
		textf(how, len, "%s signs with the new key %s; the old key %s "
		    "is gone at the exchange (remove its dead copy with "
		    "vaultctl %s --local --account %s --key-id %s)",
		    rr->account, rr->r.new_key, rr->r.old_key, del,
		    rr->account, rr->r.old_key);
		return 0;
	}
	textf(how, len, "%s signs with the new key %s; the old key %s is "
	    "kept (delete it with vaultctl %s --account %s %s%s)",
	    rr->account, rr->r.new_key, rr->r.old_key, del, rr->account, kid,
	    rr->r.old_key);
	return r;
}

static int
rotate_abort(struct vaultctl *vc, const char *id)
{
	struct rot_run	 rr;
	uint64_t	 status, flags = 0;
	json_t		*res;
	char		 nonce[24], how[300], signs[200];
	int		 r, held, other, deleting;

	if ((r = load(vc, id, &rr)) != -1)
		return r;
	/*
	 * A run claimed the old key's delete (step_delete): it may be
	 * deleting it now, or have stopped after, the answer lost.  The
	 * abort ends the rotation only once the key is found gone; it
	 * writes nothing before, so as not to stop such a run half done.
	 * Without the claim, its own write (at the revision it read)
	 * makes a run's later claim fail.
	 */
	deleting = !omnia(&rr) && rr.r.step == ROT_DELETE &&
	    strncmp(rr.r.note, ROT_DELETING, strlen(ROT_DELETING)) == 0;
	if (!deleting) {
		rr.r.resumes++;
		if ((r = journal_put(&rr)) != 0)
			return vaultctl_fail(vc, "rotate abort", r);
	}
	if (omnia(&rr))
		return abort_omnia(&rr);
	if (rr.r.new_key[0] == '\0' && rr.r.step == ROT_CREATE &&
	    key_at_nonce(vc, rtype(&rr), rr.account, rr.r.nonce,
	    rr.r.new_key, sizeof(rr.r.new_key)) != 0 && !builder(&rr)) {
		/* the exchange may have made it: derive tells */
		snprintf(nonce, sizeof(nonce), "%llu",
		    (unsigned long long)rr.r.nonce);
		if ((r = call(&rr, "apikey.derive", "nonce", nonce, &status,
		    &res)) != 0)
			return vaultctl_fail(vc, "rotate abort", r);
		json_decref(res);
		if (status >= 500 || status == 429 || status == 401) {
			textf(vc->errtext, sizeof(vc->errtext), "cannot "
			    "tell whether the exchange made the key at nonce "
			    "%s (HTTP %llu): abort again later", nonce,
			    (unsigned long long)status);
			return vaultctl_fail(vc, "rotate abort",
			    CV_ERR_EXCHANGE);
		}
		if (key_at_nonce(vc, rtype(&rr), rr.account, rr.r.nonce,
		    rr.r.new_key, sizeof(rr.r.new_key)) != 0)
			rr.r.new_key[0] = '\0';
	}
	held = 0;
	if (rr.r.new_key[0] != '\0' && (held = key_held(vc, rtype(&rr),
	    rr.account, rr.r.new_key, &flags)) < 0)
		return vaultctl_fail(vc, "rotate abort", held);
	r = 0;
	if (held && (flags & VAULT_RECF_ACTIVE) &&
	    (r = abort_old_key(&rr, how, sizeof(how))) < 0)
		return vaultctl_fail(vc, "rotate abort", r);
	if (deleting && (!held || !(flags & VAULT_RECF_ACTIVE) || r != 0)) {
		textf(vc->errtext, sizeof(vc->errtext), "rotation %s was "
		    "deleting the old key %s when it stopped, or another "
		    "vaultctl is deleting it now: finish it with vaultctl "
		    "rotate resume %s", id, rr.r.old_key, id);
		return vaultctl_fail(vc, "rotate abort", CV_ERR_EXISTS);
	}
	if (!held && (other = abort_signer(&rr, signs, sizeof(signs))) < 0)
		return vaultctl_fail(vc, "rotate abort", other);
	if (!held && builder(&rr))
		textf(how, sizeof(how), "no new key is in the vault; %s (a "
		    "key the exchange made whose answer was lost shows in "
		    "vaultctl builder list: revoke it)", signs);
	else if (!held && other)
		textf(how, sizeof(how), "%s; no new key was made", signs);
	else if (!held)
		textf(how, sizeof(how), "no new key was made; %s", signs);
	else if (!(flags & VAULT_RECF_ACTIVE)) {
		/*
		 * Durably first: a resume must not make it active now.  The
		 * note is short (the key is the entry's "new"), so that an
		 * entry that fits still fits with it.
		 */
		textf(rr.r.note, sizeof(rr.r.note), "%s deleting the new key",
		    ROT_ABORTING);
		if ((r = journal_put(&rr)) != 0)
			return vaultctl_fail(vc, "rotate abort", r);
		if ((r = call(&rr, builder(&rr) ? "builder.revoke" :
		    "apikey.delete", "key", rr.r.new_key, &status, &res)) != 0)
			return vaultctl_fail(vc, "rotate abort", r);
		json_decref(res);
		if ((status < 200 || status > 299) && (r = abort_gone(&rr,
		    status)) != 0)
			return r;
		if ((other = abort_signer(&rr, signs, sizeof(signs))) < 0)
			return vaultctl_fail(vc, "rotate abort", other);
		if (other)
			textf(how, sizeof(how), "%s; new key %s deleted",
			    signs, rr.r.new_key);
		else
			textf(how, sizeof(how), "the new key %s is deleted; %s",
			    rr.r.new_key, signs);
	}
	snprintf(rr.r.note, sizeof(rr.r.note), "%.*s", ROT_NOTE_MAX, how);
	if ((r = journal_end(&rr, ROT_ABORTED)) != 0)
		return vaultctl_fail(vc, "rotate abort", r);
	return report(&rr, how);
}

/*
 * Now, for key ages.  For tests only: CLOBVAULT_TEST_DAYS_AHEAD=N makes
 * the keys N days older (they were stored now, and --due must be seen).
 */
static time_t
age_now(void)
{
	const char	*s = getenv("CLOBVAULT_TEST_DAYS_AHEAD");
	long		 d = 0;

	if (s != NULL && strspn(s, "0123456789") == strlen(s) &&
	    strlen(s) >= 1 && strlen(s) <= 4)
		d = strtol(s, NULL, 10);
	return time(NULL) + (time_t)d * 86400;
}

/* One account's active API key and how old it may grow. */
struct key_age {
	char		account[VAULT_MAX_NAME + 1];
	char		key_id[VAULT_MAX_NAME + 1];
	int64_t		created;	/* 0: unknown */
	int64_t		max_days;	/* 0: no maximum */
	int		due, busy;	/* busy: a rotation in progress */
};

/* The accounts' active API keys, their ages and whether due. */
static int
key_ages(struct vaultctl *vc, struct key_age **out, size_t *nout)
{
	struct vaultctl_rec	*v;
	struct key_age		*k;
	json_t			*j;
	const char		*active;
	size_t			 n, i, m;
	time_t			 now = age_now();
	int			 r;

	*out = NULL;
	*nout = 0;
	if ((r = vaultctl_list(vc, &v, &n)) != 0)
		return r;
	if ((k = calloc(n + 1, sizeof(*k))) == NULL) {
		free(v);
		return CV_ERR_NOMEM;
	}
	for (i = 0; i < n; i++) {
		if (v[i].type != VAULT_REC_ACCOUNT ||
		    vaultctl_active_key(v, n, VAULT_REC_API_CRED,
		    v[i].account, &active) != 0)
			continue;
		snprintf(k[*nout].account, sizeof(k[0].account), "%s",
		    v[i].account);
		snprintf(k[*nout].key_id, sizeof(k[0].key_id), "%s", active);
		if ((j = json_loads(v[i].info, JSON_REJECT_DUPLICATES,
		    NULL)) != NULL)
			k[*nout].max_days = json_integer_value(
			    json_object_get(j, "max_key_age"));
		json_decref(j);
		k[*nout].created = vaultctl_rec_find(v, n, VAULT_REC_API_CRED,
		    v[i].account, active)->created;
		for (m = 0; m < n; m++)
			if (v[m].type == VAULT_REC_ROTATION &&
			    strcmp(v[m].account, v[i].account) == 0)
				k[*nout].busy = 1;
		k[*nout].due = k[*nout].max_days > 0 &&
		    k[*nout].created > 0 && now - k[*nout].created >=
		    k[*nout].max_days * 86400;
		(*nout)++;
	}
	free(v);
	*out = k;
	return 0;
}

static int64_t
age_days(int64_t created)
{
	return created > 0 ? vaultctl_age_days(created, age_now()) : 0;
}

/*
 * rotate --due [--dry-run]: every account whose active API key is at
 * least its max_key_age old is rotated (for a timer).  A key of unknown
 * age (stored before keys were dated) is named, never rotated blindly.
 */
static int
rotate_due(struct vaultctl *vc, const struct start_args *a)
{
	struct key_age	*k;
	struct rot_run	 done;
	json_t		*arr = NULL;
	const char	*what;
	char		 reason[ROT_REASON_MAX + 1];
	char		 what_acct[VAULT_MAX_NAME + 3];
	size_t		 n, i;
	int		 r, rc = EXIT_OK;

	if ((r = key_ages(vc, &k, &n)) != 0)
		return vaultctl_fail(vc, "rotate --due", r);
	if (vc->json)
		arr = json_array();
	for (i = 0; i < n; i++) {
		if (k[i].max_days == 0)
			continue;
		what = k[i].busy ? "a rotation is in progress: resume it" :
		    k[i].created == 0 ? "age unknown (stored before keys were "
		    "dated): rotate it by hand once" : !k[i].due ? "not due" :
		    a->dry_run ? "due (dry run)" : "due: rotating";
		if (arr != NULL)
			json_array_append_new(arr, json_pack("{s:s, s:s, "
			    "s:I, s:I, s:b, s:s}", "account", k[i].account,
			    "key_id", k[i].key_id, "age_days",
			    (json_int_t)age_days(k[i].created), "max_key_age",
			    (json_int_t)k[i].max_days, "due", k[i].due,
			    "action", what));
		else
			printf("%s: API key %s, %lld d old%s, max %lld d: %s\n",
			    k[i].account, k[i].key_id,
			    (long long)age_days(k[i].created),
			    k[i].created == 0 ? " (unknown)" : "",
			    (long long)k[i].max_days, what);
		/*
		 * A due key a rotation in progress holds back (one that
		 * stopped for the operator, or a run that was killed) is
		 * a failure too: else the timer's unit would pass every
		 * day after while the key grows older.
		 */
		if (k[i].due && k[i].busy && !a->dry_run && rc == EXIT_OK)
			rc = EXIT_FAIL;
		if (!k[i].due || k[i].busy || a->dry_run)
			continue;
		fflush(stdout);
		snprintf(reason, sizeof(reason), "due: %lld d old, max %lld d",
		    (long long)age_days(k[i].created),
		    (long long)k[i].max_days);
		/* one report for all: the rotation's own is not printed */
		vc->mute = 1;
		vc->errtext[0] = '\0';
		memset(&done, 0, sizeof(done));
		r = rotate_account(vc, k[i].account, reason, a->drain, NULL,
		    &done);
		vc->mute = 0;
		if (r != EXIT_OK && rc == EXIT_OK)
			rc = r;
		/* as a rotation's own report, keys the vault does not hold */
		if (arr != NULL) {
			json_object_set_new(json_array_get(arr,
			    json_array_size(arr) - 1), "result", json_string(
			    r == EXIT_OK ? "rotated" : vc->errtext));
			if (r == EXIT_OK)
				json_object_set_new(json_array_get(arr,
				    json_array_size(arr) - 1), "unknown_keys",
				    json_string(done.unknown));
		} else if (r == EXIT_OK) {
			printf("%s: rotated\n", k[i].account);
			snprintf(what_acct, sizeof(what_acct), "%s: ",
			    k[i].account);
			print_unknown(&done, what_acct);
		} else
			printf("%s: rotation failed: %s\n", k[i].account,
			    vc->errtext);
	}
	free(k);
	if (arr != NULL)
		vaultctl_print_json(json_pack("{s:o, s:b}", "due", arr, "ok",
		    rc == EXIT_OK));
	return rc;
}

/* 1 if a note is a mark of what a run was doing, not a failure. */
static int
marked(const char *note)
{
	return strncmp(note, ROT_DELETING, strlen(ROT_DELETING)) == 0 ||
	    strncmp(note, ROT_ABORTING, strlen(ROT_ABORTING)) == 0;
}

/* The API key active for an entry's account now (NULL: none, builder). */
static const char *
key_of(const struct key_age *k, size_t nk, const struct entry *e)
{
	size_t	i;

	if (strcmp(e->r.kind, "builder") == 0)
		return NULL;
	for (i = 0; i < nk; i++)
		if (strcmp(k[i].account, e->account) == 0)
			return k[i].key_id;
	return NULL;
}

static int
rotate_status(struct vaultctl *vc)
{
	struct entry	*e;
	struct key_age	*k;
	json_t		*a, *ka;
	char		 buf[512];
	size_t		 n, i, nk;
	time_t		 now = time(NULL);
	int		 r;

	if ((r = entries(vc, &e, &n)) != 0)
		return vaultctl_fail(vc, "rotate status", r);
	if ((r = key_ages(vc, &k, &nk)) != 0) {
		free(e);
		return vaultctl_fail(vc, "rotate status", r);
	}
	if (vc->json) {
		a = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(a, e[i].ok ?
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, "
			    "s:I, s:I, s:I, s:I, s:s, s:s, s:b}", "id",
			    e[i].id, "account", e[i].account, "kind",
			    e[i].r.kind, "step", rotation_step_name(e[i].r.step),
			    "old_key", e[i].r.old_key, "new_key",
			    e[i].r.new_key, "nonce", (json_int_t)e[i].r.nonce,
			    "tries", (json_int_t)e[i].r.tries, "resumes",
			    (json_int_t)e[i].r.resumes, "started",
			    (json_int_t)e[i].r.started, "drain",
			    (json_int_t)e[i].r.drain, "reason", e[i].r.reason,
			    "note", e[i].r.note, "attention",
			    e[i].r.tries >= ROT_TRIES_MAX) :
			    json_pack("{s:s, s:s, s:s}", "id", e[i].id,
			    "account", e[i].account, "error", e[i].why));
		ka = json_array();
		for (i = 0; i < nk; i++)
			json_array_append_new(ka, json_pack("{s:s, s:s, s:o, "
			    "s:o, s:I, s:b}", "account", k[i].account, "key_id",
			    k[i].key_id, "age_days", k[i].created > 0 ?
			    json_integer(age_days(k[i].created)) : json_null(),
			    "created", k[i].created > 0 ?
			    json_integer(k[i].created) : json_null(),
			    "max_key_age", (json_int_t)k[i].max_days, "due",
			    k[i].due));
		vaultctl_print_json(json_pack("{s:o, s:o}", "rotations", a,
		    "keys", ka));
		free(e);
		free(k);
		return EXIT_OK;
	}
	if (n == 0)
		printf("no rotation in progress\n");
	for (i = 0; i < n; i++) {
		if (!e[i].ok) {
			printf("%s  %s  unreadable: %s\n", e[i].id,
			    e[i].account, e[i].why);
			continue;
		}
		printf("%s  %s  %s %s -> %s  step %s  started %llds ago%s%s\n",
		    e[i].id, e[i].account, e[i].r.kind, e[i].r.old_key,
		    e[i].r.new_key[0] ? e[i].r.new_key : "(not made yet)",
		    rotation_step_name(e[i].r.step),
		    (long long)(now - e[i].r.started),
		    e[i].r.reason[0] ? "  reason: " : "", e[i].r.reason);
		if (e[i].r.note[0] != '\0')
			printf("    %s: %s\n", e[i].r.tries >= ROT_TRIES_MAX ?
			    "NEEDS ATTENTION" : marked(e[i].r.note) ? "note" :
			    "last failure", e[i].r.note);
		if (e[i].r.tries >= ROT_TRIES_MAX)
			printf("    %s\n", advice(&e[i].r, e[i].account,
			    key_of(k, nk, &e[i]), buf, sizeof(buf)));
		printf("    next: vaultctl rotate resume %s  (or rotate abort "
		    "%s)\n", e[i].id, e[i].id);
	}
	for (i = 0; i < nk; i++) {
		printf("%s  API key %s  ", k[i].account, k[i].key_id);
		if (k[i].created > 0)
			printf("%lld d old", (long long)age_days(k[i].created));
		else
			printf("age unknown");
		if (k[i].max_days > 0)
			printf(", max %lld d%s", (long long)k[i].max_days,
			    k[i].due ? ": DUE (vaultctl rotate --due)" : "");
		putchar('\n');
	}
	free(e);
	free(k);
	return EXIT_OK;
}

int
cmd_rotate(struct vaultctl *vc, int argc, char **argv)
{
	struct start_args	a;

	if (argc < 2)
		return usage(vc, "which one?");
	if (argv[1][0] == '-') {
		if (start_args(vc, argc, argv, &a) != 0)
			return usage(vc, NULL);
		if (!a.due || a.account != NULL || a.reason[0] != '\0' ||
		    a.builder_id != NULL)
			return usage(vc, "rotate alone takes --due [--dry-run] "
			    "[--drain SECONDS]");
		return rotate_due(vc, &a);
	}
	if (strcmp(argv[1], "apikey") == 0 || strcmp(argv[1], "builder") == 0)
		return rotate_start(vc, argc - 1, argv + 1,
		    argv[1][0] == 'b');
	if (strcmp(argv[1], "status") == 0)
		return argc == 2 ? rotate_status(vc) : usage(vc, "rotate "
		    "status takes no words");
	if (strcmp(argv[1], "resume") == 0 || strcmp(argv[1], "abort") == 0) {
		if (argc != 3)
			return usage(vc, "the rotation id is required");
		return argv[1][0] == 'r' ? rotate_resume(vc, argv[2]) :
		    rotate_abort(vc, argv[2]);
	}
	return usage(vc, "unknown subcommand");
}
