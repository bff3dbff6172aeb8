/*
 * netd's answer to vaultd for an exchange's refusal (netd/netd_answer.c),
 * with the call in flight made here rather than by MSG_NET_CALL_REQ: what
 * goes to vaultd never quotes a secret netd sent, be it a passphrase,
 * the bearer token of an Omnia call or the secret of its token request.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/profile.h"
#include "netd/netd_call.h"

/* A JWT with an exp far ahead: what an Omnia token request buys. */
#define TOKEN	"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9." \
		"Zm9vYmFyYmF6cXV4cXV1eHNlY3JldHNpZ25hdHVyZQ"
#define PASS	"pass-phrase-of-the-key-0123"
/* The body of an Omnia token request, as signerd seals it to netd. */
#define TOKBODY	"{\"keyId\":\"key-1\",\"secret\":\"Hf6Ys2TjNc0WqE8uLa\"}"

static struct netd	nd;

static int
setup(void **state)
{
	if (netd_mem_init() != 0 || sodium_init() < 0 ||
	    http_init(&nd.http) != 0)
		return -1;
	chan_init(&nd.chan, -1);
	return 0;
}

/* A call of profile's, at step st, that sent the header line hdr. */
static struct netd_call *
call_at(const char *profile, const char *call, enum step st, const char *hdr)
{
	struct netd_call	*cl;

	assert_non_null(cl = calloc(1, sizeof(*cl)));
	cl->id = 7;
	snprintf(cl->account, sizeof(cl->account), "main");
	assert_non_null(cl->prof = profile_find(profile));
	cl->bearer = cl->prof->auth == PROFILE_AUTH_BEARER;
	assert_non_null(cl->nc = netcall_find_for(call, cl->bearer));
	snprintf(cl->hostport, sizeof(cl->hostport), "127.0.0.1:9443");
	cl->step = st;
	if (hdr != NULL)
		assert_non_null(cl->hdrs[0] = strdup(hdr));
	nd.call = cl;
	return cl;
}

/* The refusal netd answers for body with status; the result's error. */
static char *
refused(long status, const char *body, char *code, size_t codelen)
{
	struct http_res	 res;
	struct chan	 c;
	struct msg	 m;
	const char	*s;
	size_t		 len;
	uint64_t	 u;
	json_t		*j;
	char		*err;

	memset(&res, 0, sizeof(res));
	res.status = status;
	res.retry_after = -1;
	res.body = (const uint8_t *)body;
	res.len = strlen(body);
	answer_refusal(&nd, &res);
	assert_null(nd.call);

	chan_init(&c, -1);
	assert_int_equal(msgbuf_add(&c.in, nd.chan.out.data,
	    nd.chan.out.len), 0);
	assert_int_equal(chan_next(&c, &m), 0);
	assert_int_equal(m.type, MSG_NET_CALL_ANS);
	assert_int_equal(msg_get_u64(&m.rd, &u), 0);
	assert_int_equal(u, status);
	assert_int_equal(msg_get_str(&m.rd, &s, &len, 524288), 0);
	assert_non_null(j = json_loadb(s, len, 0, NULL));
	assert_non_null(err = strdup(json_string_value(json_object_get(j,
	    "error"))));
	snprintf(code, codelen, "%s", json_is_string(json_object_get(j,
	    "code")) ? json_string_value(json_object_get(j, "code")) : "");
	json_decref(j);
	msg_clear(&m);
	chan_free(&c);
	chan_free(&nd.chan);
	chan_init(&nd.chan, -1);
	return err;
}

static void
test_withheld(void **state)
{
	struct netd_call	*cl;
	char			*err, code[80];

	/* a passphrase quoted by a CLOB exchange (as before) */
	call_at("polymarket", "apikey.list", ST_KEYS, "POLY_PASSPHRASE: " PASS);
	err = refused(400, "{\"error\":\"bad passphrase " PASS "\"}", code,
	    sizeof(code));
	assert_string_equal(err, "HTTP 400 (the exchange's text is withheld: "
	    "it quotes a secret)");
	free(err);

	/* Omnia: the text of a refusal is passed on ... */
	call_at("omnia", "apikey.list", ST_OKEYS, "Authorization: Bearer "
	    TOKEN);
	err = refused(400, "{\"code\":\"BAD\",\"description\":\"no way\"}",
	    code, sizeof(code));
	assert_string_equal(err, "no way");
	assert_string_equal(code, "BAD");
	free(err);
	/* ... unless it quotes the bearer token sent, whole or in part */
	call_at("omnia", "apikey.list", ST_OKEYS, "Authorization: Bearer "
	    TOKEN);
	err = refused(400, "{\"code\":\"BAD\",\"description\":\"invalid "
	    "token " TOKEN "\"}", code, sizeof(code));
	assert_null(strstr(err, "eyJleHAiOjQxMDI0NDQ4MDB9"));
	assert_string_equal(err, "HTTP 400 (the exchange's text is withheld: "
	    "it quotes a secret)");
	free(err);
	call_at("omnia", "apikey.create", ST_OCREATE, "Authorization: Bearer "
	    TOKEN);
	err = refused(403, "{\"code\":\"YmF6cXV4cXV1eHNlY3JldHNp\","
	    "\"description\":\"signature ...eHNlY3JldHNpZ25hdHVy\"}", code,
	    sizeof(code));
	assert_string_equal(err, "HTTP 403 (the exchange's text is withheld: "
	    "it quotes a secret)");
	assert_string_equal(code, "");
	free(err);

	/* the token request's refusal: never its text, nor a code that
	 * quotes the secret the request carried */
	cl = call_at("omnia", "apikey.list", ST_OTOKEN, NULL);
	assert_non_null(cl->tokbody = sodium_malloc(sizeof(TOKBODY)));
	memcpy(cl->tokbody, TOKBODY, sizeof(TOKBODY));
	cl->tokbodylen = sizeof(TOKBODY) - 1;
	err = refused(400, "{\"code\":\"INVALID_CREDENTIALS\","
	    "\"description\":\"no such key\"}", code, sizeof(code));
	assert_string_equal(err, "the exchange refused the key's token "
	    "request");
	assert_string_equal(code, "INVALID_CREDENTIALS");
	free(err);
	cl = call_at("omnia", "apikey.list", ST_OTOKEN, NULL);
	assert_non_null(cl->tokbody = sodium_malloc(sizeof(TOKBODY)));
	memcpy(cl->tokbody, TOKBODY, sizeof(TOKBODY));
	cl->tokbodylen = sizeof(TOKBODY) - 1;
	err = refused(400, "{\"code\":\"BAD_SECRET_Hf6Ys2TjNc0\","
	    "\"description\":\"no\"}", code, sizeof(code));
	assert_string_equal(err, "the exchange refused the key's token "
	    "request");
	assert_string_equal(code, "");
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_withheld),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
