/*
 * What the exchange answers, read tolerantly (doc/exchanges.md:
 * "apiKey" or "key", balances as strings or numbers, empty bodies on
 * deletes) and strictly at once: every byte is the network's, so texts
 * are cut to printable ASCII and a bounded length (key ids in a list
 * to printable ASCII; parse_clean_string for Omnia's ids, labels and
 * permissions), and a reason given for a refusal never quotes
 * the body (it may hold a credential).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/vault_fmt.h"
#include "netd/netd.h"

#define PASS_MAX	160	/* an API passphrase is a header value */
#define AMOUNT_MAX	80

void
parse_clean(const char *in, size_t inlen, char *out, size_t outlen,
    size_t max)
{
	size_t	n, i;

	if (outlen == 0)
		return;
	n = inlen < max ? inlen : max;
	if (n > outlen - 1)
		n = outlen - 1;
	for (i = 0; i < n; i++)
		out[i] = in[i] >= 0x20 && in[i] <= 0x7e ? in[i] : '?';
	if (n < inlen && n >= 3)
		memcpy(out + n - 3, "...", 3);
	out[n] = '\0';
}

json_t *
parse_json(const uint8_t *body, size_t len, int empty_ok, char *why,
    size_t whylen)
{
	json_error_t	 err;
	json_t		*j;
	size_t		 i;

	for (i = 0; i < len; i++)
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' &&
		    body[i] != '\n')
			break;
	if (i == len) {
		if (empty_ok)
			return json_null();
		snprintf(why, whylen, "is empty");
		return NULL;
	}
	/* Never err.text: it quotes the input near the fault. */
	if ((j = json_loadb((const char *)body, len, JSON_DECODE_ANY |
	    JSON_REJECT_DUPLICATES, &err)) == NULL)
		snprintf(why, whylen, "is not JSON (fault at line %d, column "
		    "%d)", err.line, err.column);
	return j;
}

void
parse_error_text(const uint8_t *body, size_t len, const char *statusline,
    long status, char *out, size_t outlen)
{
	static const char *const fields[] = { "error", "message",
	    "description", "error_message", NULL };
	json_t		*j, *v;
	const char	*s = NULL;
	size_t		 i;

	/*
	 * Duplicate keys tolerated: the text decides nothing, it is only
	 * shown (cleaned, bounded), and an exchange's refusal should read
	 * whatever its body's shape.  parse_error_code, whose code decides
	 * a retry, refuses them.
	 */
	j = len > 0 ? json_loadb((const char *)body, len, JSON_DECODE_ANY,
	    NULL) : NULL;
	if (json_is_string(j))
		s = json_string_value(j);
	for (i = 0; s == NULL && json_is_object(j) && fields[i] != NULL;
	    i++) {
		v = json_object_get(j, fields[i]);
		if (json_is_string(v) && json_string_length(v) > 0)
			s = json_string_value(v);
		else if (json_is_object(v) && json_is_string(json_object_get(v,
		    "message")))
			s = json_string_value(json_object_get(v, "message"));
	}
	if (s != NULL && s[0] != '\0')
		parse_clean(s, strlen(s), out, outlen, NETD_EXCH_TEXT_MAX);
	else if (statusline != NULL && statusline[0] != '\0')
		parse_clean(statusline, strlen(statusline), out, outlen,
		    NETD_EXCH_TEXT_MAX);
	else
		snprintf(out, outlen, "HTTP %ld", status);
	json_decref(j);
}

int
parse_retry_after(const char *v, size_t len)
{
	size_t	i;
	int	n = 0;

	if (len == 0 || len > 9)
		return -1;		/* an HTTP date, or nonsense */
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	return n;
}

int
parse_u64(const char *s, uint64_t *out)
{
	return dec_decode_u64(s, strlen(s), out);
}

static int
printable(const char *s, size_t max)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

int
parse_cred(json_t *j, const char **key, const char **secret,
    const char **pass, char *why, size_t whylen)
{
	uint8_t		 k[CLOB_HMAC_KEY_MAX];
	size_t		 klen;
	json_t		*v;
	int		 r;

	*key = *secret = *pass = NULL;
	if (!json_is_object(j)) {
		snprintf(why, whylen, "is not a JSON object");
		return CV_ERR_RESPONSE;
	}
	if ((v = json_object_get(j, "apiKey")) == NULL)
		v = json_object_get(j, "key");
	if (!json_is_string(v)) {
		snprintf(why, whylen, "has no apiKey");
		return CV_ERR_RESPONSE;
	}
	if (!vault_fmt_name_valid(json_string_value(v),
	    json_string_length(v)) ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(why, whylen, "has an apiKey that is not a key id "
		    "(1-%d of A-Z a-z 0-9 . _ : @ -)", VAULT_MAX_NAME);
		return CV_ERR_RESPONSE;
	}
	*key = json_string_value(v);
	v = json_object_get(j, "secret");
	if (!json_is_string(v) || json_string_length(v) == 0) {
		snprintf(why, whylen, "has no secret");
		return CV_ERR_RESPONSE;
	}
	/* Decoded only to prove it decodes; the copy is wiped at once. */
	r = strlen(json_string_value(v)) == json_string_length(v) ?
	    clob_hmac_key_decode(json_string_value(v), k, sizeof(k), &klen) :
	    CV_ERR_DECODE;
	sodium_memzero(k, sizeof(k));
	if (r != 0) {
		snprintf(why, whylen, "has a secret that is not base64");
		return CV_ERR_RESPONSE;
	}
	*secret = json_string_value(v);
	v = json_object_get(j, "passphrase");
	if (!json_is_string(v)) {
		snprintf(why, whylen, "has no passphrase");
		return CV_ERR_RESPONSE;
	}
	if (!printable(json_string_value(v), PASS_MAX) ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(why, whylen, "has a passphrase that is not 1-%d "
		    "printable characters", PASS_MAX);
		return CV_ERR_RESPONSE;
	}
	*pass = json_string_value(v);
	return 0;
}

json_t *
parse_amount(json_t *v)
{
	char	buf[64];

	if (json_is_string(v))
		return printable(json_string_value(v), AMOUNT_MAX) ?
		    json_string(json_string_value(v)) : NULL;
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(v));
		return json_string(buf);
	}
	if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%.15g", json_real_value(v));
		return json_string(buf);
	}
	return NULL;
}

json_t *
parse_balance(json_t *j, char *why, size_t whylen)
{
	json_t		*out = NULL, *al = NULL, *v, *a, *n;
	const char	*k, *ak;

	if (!json_is_object(j)) {
		snprintf(why, whylen, "is not a JSON object");
		return NULL;
	}
	if (json_object_get(j, "balance") == NULL) {
		snprintf(why, whylen, "has no balance");
		return NULL;
	}
	if ((out = json_object()) == NULL)
		goto nomem;
	json_object_foreach(j, k, v) {
		if (strcmp(k, "allowances") == 0 && json_is_object(v)) {
			if ((al = json_object()) == NULL)
				goto nomem;
			json_object_foreach(v, ak, a) {
				if ((n = parse_amount(a)) == NULL) {
					snprintf(why, whylen, "has an "
					    "allowance that is not an amount");
					goto fail;
				}
				if (json_object_set_new(al, ak, n) != 0)
					goto nomem;
			}
			if (json_object_set_new(out, k, al) != 0) {
				al = NULL;
				goto nomem;
			}
			al = NULL;
			continue;
		}
		if (json_is_number(v) || strcmp(k, "balance") == 0) {
			if ((n = parse_amount(v)) == NULL) {
				snprintf(why, whylen, "has a %s that is not an "
				    "amount", strcmp(k, "balance") == 0 ?
				    "balance" : "field");
				goto fail;
			}
		} else if ((n = json_deep_copy(v)) == NULL)
			goto nomem;
		if (json_object_set_new(out, k, n) != 0)
			goto nomem;
	}
	return out;
 nomem:
	snprintf(why, whylen, "cannot be copied (out of memory)");
 fail:
	json_decref(al);
	json_decref(out);
	return NULL;
}

json_t *
parse_clean_string(const char *s, size_t max)
{
	size_t	 n = strlen(s), cut = n < max ? n : max;
	char	*b;
	json_t	*j;

	if ((b = malloc(cut + 1)) == NULL)
		return NULL;
	parse_clean(s, n, b, cut + 1, cut);
	j = json_string(b);
	free(b);
	return j;
}

/*
 * A text of the exchange's as a JSON string, every byte outside
 * printable ASCII a '?', not cut: a key id a rotation prints and
 * compares with the vault's (which are all printable).
 */
static json_t *
clean_string(const char *s)
{
	return parse_clean_string(s, SIZE_MAX);
}

/* The id of an element of a key list: a string, or {apiKey} / {key}. */
static const char *
key_of(json_t *e)
{
	json_t	*v;

	if (json_is_string(e))
		return json_string_value(e);
	if ((v = json_object_get(e, "apiKey")) == NULL)
		v = json_object_get(e, "key");
	return json_string_value(v);
}

/* The array of keys: {apiKeys: [...]} or a bare array. */
static json_t *
keys_array(json_t *j)
{
	if (json_is_array(j))
		return j;
	if (json_is_object(j) && json_is_array(json_object_get(j, "apiKeys")))
		return json_object_get(j, "apiKeys");
	return NULL;
}

json_t *
parse_key_list(json_t *j, char *why, size_t whylen)
{
	json_t		*a, *e, *ids;
	const char	*id;
	size_t		 i;

	if ((a = keys_array(j)) == NULL) {
		snprintf(why, whylen, "has no apiKeys list");
		return NULL;
	}
	if ((ids = json_array()) == NULL)
		goto nomem;
	json_array_foreach(a, i, e) {
		if ((id = key_of(e)) == NULL) {
			snprintf(why, whylen, "has a key without an id");
			json_decref(ids);
			return NULL;
		}
		if (json_array_append_new(ids, clean_string(id)) != 0)
			goto nomem;
	}
	return json_pack("{s:o}", "apiKeys", ids);
 nomem:
	json_decref(ids);
	snprintf(why, whylen, "cannot be copied (out of memory)");
	return NULL;
}

json_t *
parse_builder_list(json_t *j, char *why, size_t whylen)
{
	static const char *const fields[] = { "builderId", "createdAt",
	    "revokedAt", NULL };
	json_t		*a, *e, *out, *o = NULL, *v;
	const char	*id;
	size_t		 i, f;

	if ((a = keys_array(j)) == NULL) {
		snprintf(why, whylen, "has no apiKeys list");
		return NULL;
	}
	if ((out = json_array()) == NULL)
		goto nomem;
	json_array_foreach(a, i, e) {
		if (!json_is_object(e) || (id = key_of(e)) == NULL) {
			snprintf(why, whylen, "has a builder key without an "
			    "id");
			json_decref(out);
			return NULL;
		}
		if ((o = json_pack("{s:o}", "apiKey", clean_string(id))) ==
		    NULL)
			goto nomem;
		for (f = 0; fields[f] != NULL; f++) {
			v = json_object_get(e, fields[f]);
			if ((json_is_string(v) && json_object_set_new(o,
			    fields[f], clean_string(json_string_value(v))) !=
			    0) || (json_is_number(v) && json_object_set(o,
			    fields[f], v) != 0))
				goto nomem;
		}
		if (json_array_append_new(out, o) != 0) {
			o = NULL;
			goto nomem;
		}
		o = NULL;
	}
	return json_pack("{s:o}", "apiKeys", out);
 nomem:
	json_decref(o);
	json_decref(out);
	snprintf(why, whylen, "cannot be copied (out of memory)");
	return NULL;
}

int
parse_time(json_t *j, int64_t *t)
{
	uint64_t	u;

	if (json_is_object(j))
		j = json_object_get(j, "time");
	if (json_is_integer(j) && json_integer_value(j) > 0) {
		*t = json_integer_value(j);
		return 0;
	}
	/* at least a whole second: a fraction would read as 0 */
	if (json_is_real(j) && json_real_value(j) >= 1 &&
	    json_real_value(j) < 1e15) {
		*t = (int64_t)json_real_value(j);
		return 0;
	}
	if (json_is_string(j) && parse_u64(json_string_value(j), &u) == 0 &&
	    u > 0 && u < (1ULL << 62)) {
		*t = (int64_t)u;
		return 0;
	}
	return CV_ERR_RESPONSE;
}

int
parse_pin(const char *pin)
{
	size_t	i;

	if (pin[0] == '\0')
		return 0;
	if (strncmp(pin, "sha256//", 8) != 0)
		return CV_ERR_INVALID;
	for (i = 8; pin[i] != '\0'; i++)
		if (!((pin[i] >= 'a' && pin[i] <= 'z') ||
		    (pin[i] >= 'A' && pin[i] <= 'Z') ||
		    (pin[i] >= '0' && pin[i] <= '9') || pin[i] == '+' ||
		    pin[i] == '/' || pin[i] == '=' || pin[i] == ';'))
			return CV_ERR_INVALID;
	return 0;
}

int
parse_jwt_exp(const char *tok, int64_t *exp)
{
	const char	*d1, *d2;
	unsigned char	 buf[2048];
	size_t		 i, n, blen;
	json_t		*j, *v;
	int		 r = CV_ERR_RESPONSE;

	n = strlen(tok);
	if (n == 0 || n >= NETD_TOKEN_MAX)
		return CV_ERR_RESPONSE;
	for (i = 0; i < n; i++)
		if (!((tok[i] >= 'a' && tok[i] <= 'z') || (tok[i] >= 'A' &&
		    tok[i] <= 'Z') || (tok[i] >= '0' && tok[i] <= '9') ||
		    tok[i] == '-' || tok[i] == '_' || tok[i] == '.'))
			return CV_ERR_RESPONSE;
	if ((d1 = strchr(tok, '.')) == NULL || d1 == tok ||
	    (d2 = strchr(d1 + 1, '.')) == NULL || d2 == d1 + 1 ||
	    strchr(d2 + 1, '.') != NULL || d2[1] == '\0')
		return CV_ERR_RESPONSE;
	if (sodium_base642bin(buf, sizeof(buf), d1 + 1, (size_t)(d2 - d1 - 1),
	    NULL, &blen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return CV_ERR_RESPONSE;
	j = json_loadb((const char *)buf, blen, JSON_REJECT_DUPLICATES, NULL);
	v = json_object_get(j, "exp");
	if (json_is_object(j) && json_is_integer(v) &&
	    json_integer_value(v) > 0) {
		*exp = (int64_t)json_integer_value(v);
		r = 0;
	}
	json_decref(j);
	sodium_memzero(buf, sizeof(buf));
	return r;
}

void
parse_error_code(const uint8_t *body, size_t len, char *out, size_t outlen)
{
	json_t		*j, *v;
	const char	*s = NULL;
	size_t		 i;

	out[0] = '\0';
	/* two codes: neither (INVALID_JWT_TOKEN buys a token again) */
	j = len > 0 ? json_loadb((const char *)body, len,
	    JSON_REJECT_DUPLICATES, NULL) : NULL;
	if ((v = json_object_get(j, "code")) == NULL)
		v = json_object_get(j, "error_code");
	if (json_is_string(v))
		s = json_string_value(v);
	/* a code is a word: A-Z 0-9 _ (anything else is not shown) */
	for (i = 0; s != NULL && s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_') || i >= 64)
			s = NULL;
	if (s != NULL && s[0] != '\0')
		snprintf(out, outlen, "%s", s);
	json_decref(j);
}
