/*
 * Fuzz netd's reading of the exchange's answers (netd/netd_parse.c) and
 * the neg-risk facts it learns from them and reads from bots' order
 * bodies (netd/netd_negrisk.c).  The input is an answer body: it is
 * read as each 2xx answer is (credential, balance, key lists, time) and
 * as a refusal (error text and code), its first line as a Retry-After
 * value, a token, a /neg-risk or /book target, and as an order body.
 * What is passed on must be as promised: printable, bounded texts, an
 * error code of A-Z a-z 0-9 _, amounts as strings; anything else
 * aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "common/vault_fmt.h"
#include "netd/netd.h"
#include "netd/netd_gw.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct negrisk	neg;
static int		neg_ready;

/* Printable ASCII, at most max bytes, NUL-terminated. */
static void
check_text(const char *s, size_t max)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || i >= max)
			abort();
}

static void
check_balance(json_t *b)
{
	json_t		*v, *a;
	const char	*k, *ak;

	if (!json_is_string(json_object_get(b, "balance")))
		abort();
	json_object_foreach(b, k, v) {
		if (json_is_number(v))
			abort();	/* amounts are passed on as strings */
		if (strcmp(k, "allowances") == 0 && json_is_object(v))
			json_object_foreach(v, ak, a)
				if (!json_is_string(a))
					abort();
	}
}

static void
check_list(json_t *l, int builder)
{
	json_t	*a, *e;
	size_t	 i;

	if (!json_is_array(a = json_object_get(l, "apiKeys")))
		abort();
	json_array_foreach(a, i, e)
		if (builder ? !json_is_string(json_object_get(e, "apiKey")) :
		    !json_is_string(e))
			abort();
}

/* Each 2xx reading of the body, as answer_success makes them. */
static void
answers(const uint8_t *data, size_t size)
{
	json_t		*j, *out;
	const char	*key, *secret, *pass;
	char		 why[NETD_TEXT_MAX];
	int64_t		 t;

	why[0] = '\0';
	if ((j = parse_json(data, size, size & 1, why, sizeof(why))) == NULL) {
		check_text(why, sizeof(why) - 1);
		return;
	}
	if (parse_cred(j, &key, &secret, &pass, why, sizeof(why)) == 0) {
		if (key == NULL || secret == NULL || pass == NULL ||
		    strlen(pass) == 0)
			abort();
		check_text(key, VAULT_MAX_NAME);
		check_text(pass, 160);
	}
	if ((out = parse_balance(j, why, sizeof(why))) != NULL)
		check_balance(out);
	json_decref(out);
	if ((out = parse_key_list(j, why, sizeof(why))) != NULL)
		check_list(out, 0);
	json_decref(out);
	if ((out = parse_builder_list(j, why, sizeof(why))) != NULL)
		check_list(out, 1);
	json_decref(out);
	if (parse_time(j, &t) == 0 && t <= 0)
		abort();
	check_text(why, sizeof(why) - 1);
	json_decref(j);
}

/* A refusal's body: the text and code a person or a bot is shown. */
static void
refusals(const uint8_t *data, size_t size)
{
	char	text[NETD_TEXT_MAX], code[80], clean[64];
	size_t	i;

	parse_error_text(data, size, "418 I'm a teapot", 418, text,
	    sizeof(text));
	check_text(text, NETD_EXCH_TEXT_MAX);
	parse_error_text(data, size, NULL, 500, text, sizeof(text));
	check_text(text, NETD_EXCH_TEXT_MAX);
	parse_error_code(data, size, code, sizeof(code));
	for (i = 0; code[i] != '\0'; i++)
		if (!((code[i] >= 'A' && code[i] <= 'Z') || (code[i] >= 'a' &&
		    code[i] <= 'z') || (code[i] >= '0' && code[i] <= '9') ||
		    code[i] == '_') || i >= 64)
			abort();
	parse_clean((const char *)data, size, clean, sizeof(clean),
	    size % 80);
	check_text(clean, sizeof(clean) - 1);
}

/* The first line as a header value, a token and a target. */
static void
line(const uint8_t *data, size_t size)
{
	char		*s, out[NEGRISK_TOKEN_MAX + 1];
	const uint8_t	*nl;
	size_t		 n;
	int64_t		 exp;
	int		 book = -1, r;

	nl = memchr(data, '\n', size);
	n = nl != NULL ? (size_t)(nl - data) : size;
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	if ((r = parse_retry_after(s, n)) < -1)
		abort();
	if (parse_jwt_exp(s, &exp) == 0 && exp <= 0)
		abort();
	(void)!parse_pin(s);
	if (negrisk_target(s, strlen(s), out, sizeof(out), &book)) {
		if (book != 0 && book != 1)
			abort();
		check_text(out, NEGRISK_TOKEN_MAX);
		/* as an answer to that request, then as orders */
		negrisk_learn(&neg, out, data, size);
	}
	free(s);
	r = negrisk_orders(&neg, data, size);
	if (r != GW_NEGRISK_NO && r != GW_NEGRISK_YES &&
	    r != GW_NEGRISK_UNKNOWN && r != GW_NEGRISK_MIXED)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!neg_ready) {
		if (sodium_init() < 0)
			abort();
		negrisk_init(&neg);
		neg_ready = 1;
	}
	answers(data, size);
	refusals(data, size);
	line(data, size);
	return 0;
}
