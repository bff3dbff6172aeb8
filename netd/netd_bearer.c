/*
 * Omnia's bearer tokens in netd (doc/exchanges.md, "Omnia").
 *
 * A token is bought with an API key's id and long-lived secret (POST
 * /v3/auth/token).  netd never holds that secret but for the one
 * request: for each token it makes a one-time X25519 key pair and sends
 * the public key as the body of its signing request; signerd answers
 * the request's body sealed to it (crypto_box_seal), vaultd passes the
 * box unread, and netd opens it into guarded memory, sends it, and
 * wipes it and the key pair when the request is over.
 *
 * The token it buys is kept here, per account and key, in guarded
 * memory, and used until shortly before its "exp" (the one claim read;
 * the token is otherwise opaque).  It is wiped when vaultd says (lock,
 * a key removed or made active), when the exchange answers 401, and when
 * the key it came from is rotated.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/log.h"
#include "netd/netd_call.h"

static void
token_wipe(struct netd_token *t)
{
	if (t->tok != NULL)
		sodium_free(t->tok);	/* wipes */
	memset(t, 0, sizeof(*t));
}

void
token_forget(struct netd *nd, const char *account, const char *key_id)
{
	size_t	i;

	for (i = 0; i < NETD_TOKENS_MAX; i++) {
		struct netd_token *t = &nd->tokens[i];

		if (t->tok == NULL ||
		    (*account != '\0' && strcmp(t->account, account) != 0) ||
		    (*key_id != '\0' && strcmp(t->key_id, key_id) != 0))
			continue;
		log_debug("bearer token of %s key %s wiped", t->account,
		    t->key_id);
		token_wipe(t);
	}
}

void
token_forget_req(struct netd *nd, struct msg *m)
{
	struct msg_w	w;
	char		account[VAULT_MAX_NAME + 1], key_id[VAULT_MAX_NAME + 1];
	int		r;

	if ((r = msg_get_strbuf(&m->rd, account, sizeof(account))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, key_id, sizeof(key_id))) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	token_forget(nd, account, key_id);
	/* a token the call in flight buys meanwhile is not kept */
	if (nd->call != NULL && (*account == '\0' ||
	    strcmp(nd->call->account, account) == 0))
		nd->call->forgotten = 1;
	msg_begin(&w, MSG_NET_FORGET_ANS, m->id);
	if ((r = chan_queue(&nd->chan, &w)) != 0)
		fatalx("MSG_NET_FORGET_ANS: %s", cv_strerror(r));
}

const struct netd_token *
token_find(struct netd *nd, const char *account, const char *key_id)
{
	int64_t	now = netd_time();
	size_t	i;

	for (i = 0; i < NETD_TOKENS_MAX; i++) {
		struct netd_token *t = &nd->tokens[i];

		if (t->tok == NULL || strcmp(t->account, account) != 0)
			continue;
		if (now >= t->use_until) {
			token_wipe(t);		/* spent */
			continue;
		}
		if (key_id != NULL ? strcmp(t->key_id, key_id) == 0 :
		    t->active)
			return t;
	}
	return NULL;
}

int
token_keep(struct netd *nd, const char *account, const char *key_id,
    int active, const char *tok, char *why, size_t whylen)
{
	struct netd_token	*t = NULL;
	int64_t			 exp, now = netd_time(), margin;
	size_t			 i, len = strlen(tok);

	if (parse_jwt_exp(tok, &exp) != 0) {
		snprintf(why, whylen, "is not a JWT with an exp claim");
		return CV_ERR_RESPONSE;
	}
	if (exp <= now) {
		snprintf(why, whylen, "is a token already expired");
		return CV_ERR_RESPONSE;
	}
	/* refresh before it runs out: 30 s, or half its life if shorter */
	margin = (exp - now) / 2;
	if (margin > NETD_TOKEN_MARGIN)
		margin = NETD_TOKEN_MARGIN;
	token_forget(nd, account, key_id);
	if (active)
		for (i = 0; i < NETD_TOKENS_MAX; i++)
			if (nd->tokens[i].tok != NULL && nd->tokens[i].active &&
			    strcmp(nd->tokens[i].account, account) == 0)
				token_wipe(&nd->tokens[i]);
	for (i = 0; i < NETD_TOKENS_MAX && t == NULL; i++)
		if (nd->tokens[i].tok == NULL)
			t = &nd->tokens[i];
	if (t == NULL) {		/* full: the one to expire first goes */
		t = &nd->tokens[0];
		for (i = 1; i < NETD_TOKENS_MAX; i++)
			if (nd->tokens[i].use_until < t->use_until)
				t = &nd->tokens[i];
		token_wipe(t);
	}
	if ((t->tok = sodium_malloc(len + 1)) == NULL)
		fatalx("out of memory");
	memcpy(t->tok, tok, len + 1);
	snprintf(t->account, sizeof(t->account), "%s", account);
	snprintf(t->key_id, sizeof(t->key_id), "%s", key_id);
	t->active = active;
	t->use_until = exp - margin;
	return 0;
}

/* The call's one-time key pair, made anew for each token request. */
int
token_keypair(struct netd_call *cl)
{
	token_keypair_free(cl);
	if ((cl->eph_sk = sodium_malloc(crypto_box_SECRETKEYBYTES)) == NULL)
		return CV_ERR_NOMEM;
	crypto_box_keypair(cl->eph_pk, cl->eph_sk);
	return 0;
}

void
token_keypair_free(struct netd_call *cl)
{
	if (cl->eph_sk != NULL)
		sodium_free(cl->eph_sk);
	cl->eph_sk = NULL;
	if (cl->tokbody != NULL)
		sodium_free(cl->tokbody);
	cl->tokbody = NULL;
	cl->tokbodylen = 0;
}

/*
 * Open signerd's box into the token request's body (guarded), and read
 * the key id it names, for the token's place in the cache.
 */
int
token_open(struct netd_call *cl, const uint8_t *box, size_t len, char *why,
    size_t whylen)
{
	json_t		*j;
	const char	*id;
	size_t		 n;

	if (cl->eph_sk == NULL || len <= crypto_box_SEALBYTES ||
	    len - crypto_box_SEALBYTES > NETD_REQBODY_MAX) {
		snprintf(why, whylen, "no token request body to open");
		return CV_ERR_INVALID;
	}
	n = len - crypto_box_SEALBYTES;
	if ((cl->tokbody = sodium_malloc(n + 1)) == NULL)
		return CV_ERR_NOMEM;
	if (crypto_box_seal_open(cl->tokbody, box, len, cl->eph_pk,
	    cl->eph_sk) != 0) {
		snprintf(why, whylen, "the token request body does not open");
		return CV_ERR_TAMPERED;
	}
	cl->tokbody[n] = '\0';
	cl->tokbodylen = n;
	/* the key pair did its one job */
	sodium_free(cl->eph_sk);
	cl->eph_sk = NULL;
	j = json_loadb((const char *)cl->tokbody, n, JSON_REJECT_DUPLICATES,
	    NULL);
	id = json_string_value(json_object_get(j, "keyId"));
	if (id == NULL || !vault_fmt_name_valid(id, strlen(id))) {
		json_decref(j);
		snprintf(why, whylen, "the token request body names no key");
		return CV_ERR_INVALID;
	}
	snprintf(cl->tok_key, sizeof(cl->tok_key), "%s", id);
	json_decref(j);		/* wiped by the allocator */
	return 0;
}
