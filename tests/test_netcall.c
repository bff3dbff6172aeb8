/*
 * common/netcall.c: the exchange calls, their steps and the exact bytes
 * of each request, which netd sends and vaultd expects alike.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/netcall.h"
#include "common/vault_fmt.h"

static void
params(struct netcall_params *p, ...)
{
	va_list		 ap;
	const char	*n;

	memset(p, 0, sizeof(*p));
	va_start(ap, p);
	while ((n = va_arg(ap, const char *)) != NULL) {
		snprintf(p->name[p->n], sizeof(p->name[0]), "%s", n);
		snprintf(p->value[p->n], sizeof(p->value[0]), "%s",
		    va_arg(ap, const char *));
		p->n++;
	}
	va_end(ap);
}

/* The request of ep for p: path and body as sent. */
static void
req(enum catalog_id ep, const struct netcall_params *p, const char *path,
    const char *body)
{
	char	pbuf[NETCALL_PATH_MAX + 1], bbuf[NETCALL_BODY_MAX + 1];
	size_t	blen;

	assert_int_equal(netcall_request(ep, p, pbuf, sizeof(pbuf), bbuf,
	    sizeof(bbuf), &blen), 0);
	assert_string_equal(pbuf, path);
	assert_int_equal(blen, strlen(body));
	assert_memory_equal(bbuf, body, blen);
}

/* Omnia: the exact bytes, and permissions checked as a list. */
static void
test_omnia_requests(void **state)
{
	struct netcall_params	 p;
	const struct netcall	*c;
	char			 perms[NETCALL_PERMS_MAX][NETCALL_PERM_MAX + 1];
	char			 why[256];
	size_t			 n;

	params(&p, NULL);
	req(EP_OMNIA_TOKEN, &p, "/v3/auth/token", "");
	req(EP_OMNIA_KEYS, &p, "/v3/api-keys", "");
	params(&p, "label", "bot\"1", "permissions", "keys:read,trade", NULL);
	req(EP_OMNIA_CREATE, &p, "/v3/api-keys",
	    "{\"label\":\"bot\\\"1\",\"permissions\":[\"keys:read\",\"trade\"]}");
	params(&p, "label", "x", NULL);
	req(EP_OMNIA_CREATE, &p, "/v3/api-keys",
	    "{\"label\":\"x\",\"permissions\":[]}");
	params(&p, "key", "0198-ab.c:d@e", NULL);
	req(EP_OMNIA_ROTATE, &p, "/v3/api-keys/0198-ab.c%3Ad%40e/rotate", "");

	assert_int_equal(netcall_perms_split("a,b:c", perms, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(perms[1], "b:c");
	assert_int_equal(netcall_perms_split("", perms, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(netcall_perms_split("a,a", perms, &n),
	    CV_ERR_INVALID);
	assert_int_equal(netcall_perms_split("a,,b", perms, &n),
	    CV_ERR_INVALID);
	assert_int_equal(netcall_perms_split("A", perms, &n), CV_ERR_INVALID);
	assert_int_equal(netcall_perms_split("a,", perms, &n), CV_ERR_INVALID);

	c = netcall_find_for("apikey.create", 1);
	params(&p, "label", "bot", "permissions", "a,a", NULL);
	assert_int_equal(netcall_check(c, &p, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why, "permissions must be permissions (a-z 0-9 "
	    ": . _ -) separated by commas, each once, at most 32");
	params(&p, "permissions", "a", NULL);
	assert_int_equal(netcall_check(c, &p, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why, "apikey.create needs label");
	params(&p, "nonce", "1", NULL);
	assert_int_equal(netcall_check(c, &p, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why, "apikey.create takes no parameter nonce");
}

static void
test_requests(void **state)
{
	struct netcall_params	p;

	params(&p, NULL);
	req(EP_TIME, &p, "/time", "");
	req(EP_GET_API_KEYS, &p, "/auth/api-keys", "");
	req(EP_DELETE_API_KEY, &p, "/auth/api-key", "");
	params(&p, "signature_type", "1", "token_id", "123", "asset_type",
	    "CONDITIONAL", NULL);
	req(EP_BALANCE, &p, "/balance-allowance?asset_type=CONDITIONAL&"
	    "token_id=123&signature_type=1", "");
	req(EP_BALANCE_UPDATE, &p, "/balance-allowance/update?asset_type="
	    "CONDITIONAL&token_id=123&signature_type=1", "");
	req(EP_NOTIFICATIONS, &p, "/notifications?signature_type=1", "");
	params(&p, "ids", "1,2,3", NULL);
	req(EP_DROP_NOTIFICATIONS, &p, "/notifications?ids=1,2,3", "");
	params(&p, "key", "k:1@x", NULL);
	req(EP_REVOKE_BUILDER_KEY, &p, "/auth/builder-api-key?apiKey=k%3A1%40x",
	    "");
	params(&p, "builder_id", "pm-1", NULL);
	req(EP_CREATE_BUILDER_KEY, &p, "/auth/builder-api-key",
	    "{\"builderId\":\"pm-1\"}");
	params(&p, "email", "a\"b\\c@d", NULL);
	req(EP_WAITLIST, &p, "/waitlist", "{\"email\":\"a\\\"b\\\\c@d\"}");
}

static void
test_request_refusals(void **state)
{
	struct netcall_params	p;
	char			path[64], body[8];
	size_t			blen;

	params(&p, NULL);
	assert_int_equal(netcall_request(EP_REVOKE_BUILDER_KEY, &p, path,
	    sizeof(path), body, sizeof(body), &blen), CV_ERR_INVALID);
	assert_int_equal(netcall_request(EP_COUNT, &p, path, sizeof(path),
	    body, sizeof(body), &blen), CV_ERR_INVALID);
	params(&p, "builder_id", "0123456789", NULL);
	assert_int_equal(netcall_request(EP_CREATE_BUILDER_KEY, &p, path,
	    sizeof(path), body, sizeof(body), &blen), CV_ERR_TOOLONG);
	assert_int_equal(netcall_request(EP_GET_BUILDER_KEYS, &p, path,
	    16, body, sizeof(body), &blen), CV_ERR_TOOLONG);
}

static void
test_checks(void **state)
{
	const struct netcall	*c;
	struct netcall_params	 p;
	char			 why[128];

	assert_non_null(c = netcall_find("apikey.create"));
	params(&p, "nonce", "5", NULL);
	assert_int_equal(netcall_check(c, &p, why, sizeof(why)), 0);
	assert_int_equal(netcall_nonce(&p), 5);
	params(&p, "nonce", "05", NULL);
	assert_int_equal(netcall_check(c, &p, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why, "nonce must be a decimal number below 2^64");
	assert_int_equal(netcall_nonce(&p), 0);
	params(&p, "nonce", "18446744073709551616", NULL);
	assert_int_equal(netcall_check(c, &p, why, sizeof(why)),
	    CV_ERR_INVALID);
	params(&p, "nonce", "1", "nonce", "2", NULL);
	assert_int_equal(netcall_check(c, &p, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why, "parameter nonce given twice");
	params(&p, "email", "a@b", NULL);
	assert_int_equal(netcall_check(c, &p, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why, "apikey.create takes no parameter email");

	assert_non_null(c = netcall_find("builder.revoke"));
	params(&p, NULL);
	assert_int_equal(netcall_check(c, &p, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why, "builder.revoke needs key");
	params(&p, "key", "a b", NULL);
	assert_int_equal(netcall_check(c, &p, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why, "key must be a key id");
	assert_null(netcall_find("apikey.steal"));
}

/* Every call's steps are catalog rows; effects name their record type. */
static void
test_table(void **state)
{
	const struct netcall	*c;
	size_t			 i, k;

	for (i = 0; (c = netcall_at(i)) != NULL; i++) {
		assert_true(c->nsteps >= 1 && c->nsteps <= NETCALL_STEPS_MAX);
		for (k = 0; k < c->nsteps; k++)
			assert_non_null(catalog_get(c->steps[k]));
		if (c->effects != 0)
			assert_true(c->rtype == VAULT_REC_API_CRED ||
			    c->rtype == VAULT_REC_BUILDER_CRED);
		if (c->needs != NULL)
			assert_true(netcall_takes(c, c->needs));
	}
	assert_int_equal(i, 19);
	/* Omnia's rows: the token first, a store that replaces on rotate */
	c = netcall_find_for("apikey.rotate", 1);
	assert_non_null(c);
	assert_int_equal(c->steps[0], EP_OMNIA_TOKEN);
	assert_int_equal(c->steps[1], EP_OMNIA_ROTATE);
	assert_int_equal(c->effects, NETCALL_STORE | NETCALL_REPLACE);
	assert_null(netcall_find_for("apikey.rotate", 0));
	assert_null(netcall_find_for("apikey.derive", 1));
	assert_int_equal(netcall_find_for("apikey.create", 1)->effects,
	    NETCALL_STORE);
	assert_int_equal(netcall_find("apikey.list")->bearer, 0);
	assert_true(netcall_is_mint(EP_OMNIA_TOKEN));
	assert_false(netcall_is_mint(EP_OMNIA_KEYS));
	/* read-only: no vault effect, GETs (and token requests) only */
	assert_true(netcall_read_only(netcall_find("apikey.list")));
	assert_true(netcall_read_only(netcall_find("apikey.verify")));
	assert_true(netcall_read_only(netcall_find("balance.update")));
	assert_true(netcall_read_only(netcall_find("time")));
	assert_true(netcall_read_only(netcall_find_for("apikey.list", 1)));
	assert_false(netcall_read_only(netcall_find("apikey.delete")));
	assert_false(netcall_read_only(netcall_find("apikey.derive")));
	assert_false(netcall_read_only(netcall_find("notifications.drop")));
	assert_false(netcall_read_only(netcall_find("waitlist.join")));
	assert_false(netcall_read_only(netcall_find_for("apikey.rotate", 1)));
	/* the endpoints of the calls that store or remove a credential */
	for (i = 0; i < EP_COUNT; i++)
		assert_int_equal(netcall_keys_endpoint((enum catalog_id)i),
		    i == EP_CREATE_API_KEY || i == EP_DERIVE_API_KEY ||
		    i == EP_DELETE_API_KEY || i == EP_CREATE_BUILDER_KEY ||
		    i == EP_REVOKE_BUILDER_KEY || i == EP_OMNIA_TOKEN ||
		    i == EP_OMNIA_CREATE || i == EP_OMNIA_ROTATE);
	c = netcall_find("apikey.create-or-derive");
	assert_int_equal(c->nsteps, 2);
	assert_int_equal(c->steps[0], EP_CREATE_API_KEY);
	assert_int_equal(c->steps[1], EP_DERIVE_API_KEY);
	assert_int_equal(netcall_find("time")->effects, 0);
	assert_int_equal(netcall_find("apikey.delete")->effects,
	    NETCALL_REMOVE);
	/* a rotation's check: the list, signed with the key it names */
	c = netcall_find("apikey.verify");
	assert_int_equal(c->nsteps, 1);
	assert_int_equal(c->steps[0], EP_GET_API_KEYS);
	assert_int_equal(c->effects, 0);
	assert_int_equal(c->rtype, VAULT_REC_API_CRED);
	assert_string_equal(c->needs, "key");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_omnia_requests),
		cmocka_unit_test(test_request_refusals),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
