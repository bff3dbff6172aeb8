/*
 * Gateway clients (VAULT_REC_CLIENT): the credentials a trading bot
 * signs its requests to the gateway with, one record each.  Its account
 * is the account it trades for, its key id its name, its body
 * {"apiKey": a UUID, "secret": the base64url of 32 random bytes,
 * "passphrase": 64 hex digits}.  signerd checks a record before it is
 * sealed, shows only its apiKey, and answers MSG_CLIENT_CHECK_REQ: which
 * client signed this request, checked as the exchange of the account's
 * profile checks an L2 signature.  Whether the timestamp is fresh, and
 * whether the request was seen before, is vaultd's to say.
 *
 * The decoded credentials are kept in one guarded region (sv->clients,
 * noaccess between messages) from the first check until the vault
 * changes or locks.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/log.h"
#include "common/profile.h"
#include "common/vault_fmt.h"
#include "signerd/signerd_sign.h"
#include "signerd/signerd_vault.h"

#define CLIENT_KEY_LEN		36	/* a UUID, 8-4-4-4-12 */
#define CLIENT_SECRET_LEN	32
#define CLIENT_PASS_LEN		64
#define CLIENT_SIG_MAX		128	/* MSG_CLIENT_CHECK_REQ's bound */
#define CLIENT_PASS_MAX		256	/* ditto */
#define CLIENT_REFUSED		"client credentials refused"
#define CLIENT_MALFORMED	"malformed client request: the timestamp " \
				"must be 1 to 20 decimal digits, the method " \
				"GET, POST, PUT or DELETE, the path visible " \
				"ASCII from '/' without '#'"

struct client_ent {
	char	name[VAULT_MAX_NAME + 1];
	char	account[VAULT_MAX_NAME + 1];
	char	api_key[CLIENT_KEY_LEN + 1];
	uint8_t	secret[CLIENT_SECRET_LEN];
	char	pass[CLIENT_PASS_LEN];
};

static int	name_valid(const char *);
static int	uuid_valid(const char *, size_t);
static int	hex_valid(const char *, size_t, size_t);
static int	client_parse(const uint8_t *, size_t, struct client_ent *)
		    CV_WUR;
static int	clients_load(struct signerd_vault *) CV_WUR;

/* A client's name: 1 to 64 of [A-Za-z0-9._-]. */
static int
name_valid(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= VAULT_MAX_NAME ||
		    !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return i > 0;
}

/* len lowercase hex digits, exactly n of them. */
static int
hex_valid(const char *s, size_t len, size_t n)
{
	size_t	i;

	if (len != n)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * A UUID as text, lowercase: one spelling per key, so "unique" means
 * what it says.
 */
static int
uuid_valid(const char *s, size_t len)
{
	return len == CLIENT_KEY_LEN && s[8] == '-' && s[13] == '-' &&
	    s[18] == '-' && s[23] == '-' && hex_valid(s, 8, 8) &&
	    hex_valid(s + 9, 4, 4) && hex_valid(s + 14, 4, 4) &&
	    hex_valid(s + 19, 4, 4) && hex_valid(s + 24, 12, 12);
}

/*
 * Decode a client record's body into e (guarded memory: the secret and
 * passphrase land there), strictly: one JSON object with exactly the
 * three members, no duplicates.  jansson's copies of the strings are
 * wiped when freed (signerd.c installs its allocator).  CV_ERR_INVALID.
 */
static int
client_parse(const uint8_t *p, size_t len, struct client_ent *e)
{
	json_t		*j;
	const char	*key, *secret, *pass;
	size_t		 klen, slen, plen, dlen, i;
	int		 r = CV_ERR_INVALID;

	if ((j = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL)
		return CV_ERR_INVALID;
	if (json_unpack(j, "{s:s%, s:s%, s:s% !}", "apiKey", &key, &klen,
	    "secret", &secret, &slen, "passphrase", &pass, &plen) != 0)
		goto out;
	if (!uuid_valid(key, klen) || !hex_valid(pass, plen, CLIENT_PASS_LEN))
		goto out;
	/* base64url only: the other alphabet is another text of the key */
	for (i = 0; i < slen; i++)
		if (secret[i] == '+' || secret[i] == '/')
			goto out;
	if (b64_decode(secret, slen, e->secret, sizeof(e->secret),
	    &dlen) != 0 || dlen != CLIENT_SECRET_LEN)
		goto out;
	memcpy(e->api_key, key, klen);
	e->api_key[klen] = '\0';
	memcpy(e->pass, pass, CLIENT_PASS_LEN);
	r = 0;
 out:
	json_decref(j);
	return r;
}

void
signerd_client_forget(struct signerd_vault *sv)
{
	secret_free(&sv->clients);	/* wipes */
	sv->nclients = 0;
	sv->clients_loaded = 0;
}

/* Decode every client record of the committed vault, once. */
static int
clients_load(struct signerd_vault *sv)
{
	struct client_ent	*e;
	struct secret		 pt;
	size_t			 i, n = 0;
	int			 r;

	if (sv->clients_loaded)
		return 0;
	signerd_client_forget(sv);
	for (i = 0; i < sv->v.nrecs; i++)
		n += sv->v.recs[i].type == VAULT_REC_CLIENT;
	/* one entry at least: an empty region is still a region */
	if ((r = secret_alloc(&sv->clients,
	    (n > 0 ? n : 1) * sizeof(*e))) != 0)
		return r;
	e = (struct client_ent *)sv->clients.p;
	for (i = 0; i < sv->v.nrecs; i++) {
		const struct vault_rec *rec = &sv->v.recs[i];

		if (rec->type != VAULT_REC_CLIENT)
			continue;
		if ((r = vault_crypto_open(&sv->keys, &sv->v.hdr, rec,
		    &pt)) != 0)
			goto fail;
		r = client_parse(pt.p, pt.len, &e[sv->nclients]);
		secret_free(&pt);
		if (r != 0) {
			r = CV_ERR_CORRUPT;	/* it was checked when stored */
			goto fail;
		}
		snprintf(e[sv->nclients].name, sizeof(e->name), "%s",
		    rec->key_id);
		snprintf(e[sv->nclients].account, sizeof(e->account), "%s",
		    rec->account);
		sv->nclients++;
	}
	sv->clients_loaded = 1;
	return 0;
 fail:
	signerd_client_forget(sv);
	return r;
}

int
signerd_client_put_check(struct signerd_vault *sv, const char *account,
    const char *name, const uint8_t *payload, size_t len, char *info,
    size_t infolen)
{
	const struct profile	*p;
	struct client_ent	*have;
	struct secret		 t;
	const char		*why;
	size_t			 i;
	int			 r;

	if (!name_valid(name))
		return CV_ERR_INVALID;
	/* a client trades for an account that can sign */
	if ((r = signerd_account_profile(sv, account, &p, &why)) != 0)
		return r;
	if ((r = secret_alloc(&t, sizeof(struct client_ent))) != 0)
		return r;
	if ((r = client_parse(payload, len, (struct client_ent *)t.p)) != 0)
		goto out;
	if ((r = clients_load(sv)) != 0)
		goto out;
	have = (struct client_ent *)sv->clients.p;
	for (i = 0; i < sv->nclients; i++)
		if (strcmp(have[i].name, name) == 0 ||
		    strcmp(have[i].api_key,
		    ((struct client_ent *)t.p)->api_key) == 0) {
			r = CV_ERR_EXISTS;
			goto out;
		}
	snprintf(info, infolen, "%s", ((struct client_ent *)t.p)->api_key);
	r = 0;
 out:
	secret_free(&t);
	return r;
}

int
signerd_client_info(const uint8_t *pt, size_t len, char *info,
    size_t infolen)
{
	struct secret	t;
	int		r;

	info[0] = '\0';
	if ((r = secret_alloc(&t, sizeof(struct client_ent))) != 0)
		return r;
	if ((r = client_parse(pt, len, (struct client_ent *)t.p)) == 0)
		snprintf(info, infolen, "%s",
		    ((struct client_ent *)t.p)->api_key);
	else
		r = CV_ERR_CORRUPT;
	secret_free(&t);
	return r;
}

/*
 * The signature of a client whose account cannot sign, so that its
 * profile is not known: checked in the form of each exchange
 * (Polymarket over the path, Openfish over the query too), both always.
 */
static int
client_verify_any(const uint8_t *secret, size_t len, const char *ts,
    const char *method, const char *path, size_t pathlen,
    const uint8_t *body, size_t bodylen, const char *sig)
{
	int	a, b;

	a = sign_client_verify(profile_find("polymarket"), secret, len, ts,
	    method, path, pathlen, body, bodylen, sig);
	b = sign_client_verify(profile_find("openfish"), secret, len, ts,
	    method, path, pathlen, body, bodylen, sig);
	if (a != 0 && a != CV_ERR_AUTH)
		return a;
	return a == 0 || b == 0 ? 0 : CV_ERR_AUTH;
}

/*
 * Key, passphrase and signature are all checked, whichever fails, and
 * the one answer says only that the credentials were refused: neither
 * the text nor the work done tells which part was wrong.  Whether the
 * client's account can sign is told only to a request whose credentials
 * passed: for any other, a client whose account cannot sign is checked
 * and refused as a key id no client has, but for the code (vaultd's
 * records alone).
 */
int
signerd_client_check(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	static const struct client_ent	 nobody;
	const struct client_ent		*e = &nobody, *all;
	const struct profile		*p = NULL;
	const char			*kp, *path, *why = NULL;
	const uint8_t			*body;
	struct msg_w			 w;
	char				 key[CLIENT_KEY_LEN + 2];
	char				 pass[CLIENT_PASS_MAX + 1];
	char				 ts[CLOB_TIMESTAMP_MAX + 4];
	char				 sig[CLIENT_SIG_MAX + 1], method[8];
	size_t				 i, pathlen, bodylen, klen;
	int				 found = 0, ok, v, r, ar = 0;

	memset(pass, 0, sizeof(pass));
	if ((r = msg_get_str(&m->rd, &kp, &klen, SIGN_ACCOUNT_MAX)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	/* a key of any other length is no client's: compared as empty */
	snprintf(key, sizeof(key), "%.*s", klen == CLIENT_KEY_LEN ?
	    (int)klen : 0, kp);
	if ((r = msg_get_strbuf(&m->rd, pass, sizeof(pass))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, ts, sizeof(ts))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, sig, sizeof(sig))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, method, sizeof(method))) != 0 ||
	    (r = msg_get_str(&m->rd, &path, &pathlen, SIGN_PATH_MAX)) != 0 ||
	    (r = msg_get_bin(&m->rd, &body, &bodylen, SIGN_BODY_MAX)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));

	if ((r = clients_load(sv)) != 0)
		goto out;
	all = (const struct client_ent *)sv->clients.p;
	for (i = 0; i < sv->nclients; i++)
		if (key[0] != '\0' && strcmp(all[i].api_key, key) == 0) {
			e = &all[i];
			found = 1;
		}
	/*
	 * The account's refusal waits for the credentials to pass.  A key
	 * id no client has is checked as a client's of one profile is, one
	 * signature's work, so that the time taken does not tell them apart.
	 */
	if (found)
		ar = signerd_account_profile(sv, e->account, &p, &why);
	else
		p = profile_find("polymarket");

	ok = found;
	ok &= strlen(pass) == CLIENT_PASS_LEN;
	ok &= sodium_memcmp(pass, e->pass, CLIENT_PASS_LEN) == 0;
	if (p != NULL)
		v = sign_client_verify(p, e->secret, sizeof(e->secret), ts,
		    method, path, pathlen, body, bodylen, sig);
	else
		v = client_verify_any(e->secret, sizeof(e->secret), ts,
		    method, path, pathlen, body, bodylen, sig);
	if (v != 0 && v != CV_ERR_AUTH) {
		/* not a request at all: nothing about the client in it */
		if (msg_error_ans(c, m->id, v, CLIENT_MALFORMED) != 0)
			fatalx("cannot answer %s", msg_name(m->type));
		r = 0;
		goto out;
	}
	ok &= v == 0;
	if (!ok) {
		/*
		 * Whether a client has the key id is for vaultd's records
		 * alone (gw_authfail): vaultd answers netd, and so the
		 * bot, the one refusal either way.
		 */
		if (msg_error_ans(c, m->id, found ? CV_ERR_AUTH :
		    CV_ERR_NOCLIENT, CLIENT_REFUSED) != 0)
			fatalx("cannot answer %s", msg_name(m->type));
		r = 0;
		goto out;
	}
	/*
	 * The client's own credentials: the answer names it and its
	 * account, and says why the account cannot sign, if it cannot, so
	 * that vaultd tells it from a credential failure or a malformed
	 * request.
	 */
	if (ar != 0 && why == NULL)
		why = cv_strerror(ar);
	msg_begin(&w, MSG_CLIENT_CHECK_ANS, m->id);
	msg_put_str(&w, e->name);
	msg_put_str(&w, e->account);
	msg_put_i64(&w, ar);
	msg_put_str(&w, ar != 0 ? why : "");
	r = chan_queue(c, &w);
 out:
	sodium_memzero(pass, sizeof(pass));
	sodium_memzero(sig, sizeof(sig));
	return r;
}
