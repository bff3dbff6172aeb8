/*
 * The exchange calls by name (see netcall.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/encode.h"
#include "common/netcall.h"
#include "common/vault_fmt.h"

#define API	VAULT_REC_API_CRED
#define BLD	VAULT_REC_BUILDER_CRED

static const struct netcall netcalls[] = {
	{ "apikey.create", { "nonce" }, NULL,
	    { EP_CREATE_API_KEY }, 1, NETCALL_STORE | NETCALL_INVITE_USED,
	    API, 0 },
	{ "apikey.derive", { "nonce" }, NULL,
	    { EP_DERIVE_API_KEY }, 1, NETCALL_STORE, API, 0 },
	/* create, then derive on an HTTP 4xx (doc/exchanges.md) */
	{ "apikey.create-or-derive", { "nonce" }, NULL,
	    { EP_CREATE_API_KEY, EP_DERIVE_API_KEY }, 2,
	    NETCALL_STORE | NETCALL_INVITE_USED, API, 0 },
	{ "apikey.list", { NULL }, NULL, { EP_GET_API_KEYS }, 1, 0, 0, 0 },
	/* key: the API key the list is signed with (a rotation's check) */
	{ "apikey.verify", { "key" }, "key", { EP_GET_API_KEYS }, 1, 0, API,
	    0 },
	/* key: the API key to delete, which signs its own deletion */
	{ "apikey.delete", { "key" }, NULL, { EP_DELETE_API_KEY }, 1,
	    NETCALL_REMOVE, API, 0 },
	{ "closed-only", { NULL }, NULL, { EP_CLOSED_ONLY }, 1, 0, 0, 0 },
	{ "builder.create", { "builder_id" }, "builder_id",
	    { EP_CREATE_BUILDER_KEY }, 1, NETCALL_STORE, BLD, 0 },
	{ "builder.list", { NULL }, NULL, { EP_GET_BUILDER_KEYS }, 1, 0, 0, 0 },
	{ "builder.revoke", { "key" }, "key", { EP_REVOKE_BUILDER_KEY }, 1,
	    NETCALL_REMOVE, BLD, 0 },
	{ "balance", { "asset_type", "token_id", "signature_type" }, NULL,
	    { EP_BALANCE }, 1, 0, 0, 0 },
	{ "balance.update", { "asset_type", "token_id", "signature_type" },
	    NULL, { EP_BALANCE_UPDATE }, 1, 0, 0, 0 },
	{ "notifications.list", { "signature_type" }, NULL,
	    { EP_NOTIFICATIONS }, 1, 0, 0, 0 },
	{ "notifications.drop", { "ids" }, NULL, { EP_DROP_NOTIFICATIONS }, 1,
	    0, 0, 0 },
	{ "waitlist.join", { "email" }, "email", { EP_WAITLIST }, 1, 0, 0, 0 },
	{ "time", { NULL }, NULL, { EP_TIME }, 1, 0, 0, 0 },
	/*
	 * Omnia: each call mints a bearer token first unless netd holds
	 * one (its request may come again after a 401 INVALID_JWT_TOKEN).
	 * rotate's "key" is the key rotated, which mints the token.
	 */
	/* key: the key whose token the list is read with (a rotation's
	 * check of the key it rotates), else the active one */
	{ "apikey.list", { "key" }, NULL, { EP_OMNIA_TOKEN, EP_OMNIA_KEYS },
	    2, 0, API, 1 },
	{ "apikey.create", { "label", "permissions" }, "label",
	    { EP_OMNIA_TOKEN, EP_OMNIA_CREATE }, 2, NETCALL_STORE, API, 1 },
	{ "apikey.rotate", { "key" }, "key",
	    { EP_OMNIA_TOKEN, EP_OMNIA_ROTATE }, 2,
	    NETCALL_STORE | NETCALL_REPLACE, API, 1 },
};

#define NETCALLS	(sizeof(netcalls) / sizeof(netcalls[0]))

const struct netcall *
netcall_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NETCALLS; i++)
		if (strcmp(netcalls[i].name, name) == 0)
			return &netcalls[i];
	return NULL;
}

const struct netcall *
netcall_find_for(const char *name, int bearer)
{
	size_t	i;

	for (i = 0; i < NETCALLS; i++)
		if (strcmp(netcalls[i].name, name) == 0 &&
		    netcalls[i].bearer == (bearer != 0))
			return &netcalls[i];
	return NULL;
}

int
netcall_is_mint(enum catalog_id ep)
{
	return ep == EP_OMNIA_TOKEN;
}

int
netcall_read_only(const struct netcall *c)
{
	const struct catalog_entry	*e;
	size_t				 k;

	if (c->effects != 0)
		return 0;
	for (k = 0; k < c->nsteps; k++)
		if (!netcall_is_mint(c->steps[k]) &&
		    ((e = catalog_get(c->steps[k])) == NULL ||
		    strcmp(e->method, "GET") != 0))
			return 0;
	return 1;
}

int
netcall_keys_endpoint(enum catalog_id ep)
{
	size_t	i, k;

	for (i = 0; i < NETCALLS; i++)
		if (netcalls[i].effects & (NETCALL_STORE | NETCALL_REMOVE))
			for (k = 0; k < netcalls[i].nsteps; k++)
				if (netcalls[i].steps[k] == ep)
					return 1;
	return 0;
}

uint32_t
netcall_mint_steps(const struct netcall *c)
{
	uint32_t	m = 0;
	size_t		k;

	for (k = 0; k < c->nsteps; k++)
		if (netcall_is_mint(c->steps[k]))
			m |= 1U << k;
	return m;
}

const struct netcall *
netcall_at(size_t i)
{
	return i < NETCALLS ? &netcalls[i] : NULL;
}

int
netcall_takes(const struct netcall *c, const char *param)
{
	size_t	i;

	for (i = 0; i < NETCALL_PARAMS_MAX && c->params[i] != NULL; i++)
		if (strcmp(c->params[i], param) == 0)
			return 1;
	return 0;
}

int
netcall_value_ok(const char *v, size_t len)
{
	size_t	i;

	if (len == 0 || len > NETCALL_VALUE_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (v[i] < 0x21 || v[i] > 0x7e)
			return 0;
	return 1;
}

const char *
netcall_param(const struct netcall_params *p, const char *name)
{
	size_t	i;

	for (i = 0; i < p->n && i < NETCALL_PARAMS_MAX; i++)
		if (strcmp(p->name[i], name) == 0)
			return p->value[i];
	return NULL;
}

uint64_t
netcall_nonce(const struct netcall_params *p)
{
	const char	*v = netcall_param(p, "nonce");
	uint64_t	 u;

	return v != NULL && dec_decode_u64(v, strlen(v), &u) == 0 ? u : 0;
}

/* Each kind of value: what it must be, for the check and for people. */
static int
is_nonce(const char *v, size_t n)
{
	uint64_t	u;

	return dec_decode_u64(v, n, &u) == 0;
}

static int
is_builder_id(const char *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' &&
		    v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
		    v[i] == '-' || v[i] == '_' || v[i] == '.'))
			return 0;
	return n <= VAULT_MAX_NAME;
}

static int
is_asset_type(const char *v, size_t n)
{
	return strcmp(v, "COLLATERAL") == 0 || strcmp(v, "CONDITIONAL") == 0;
}

static int
is_token_id(const char *v, size_t n)
{
	return n <= 78 && strspn(v, "0123456789") == n;
}

static int
is_signature_type(const char *v, size_t n)
{
	return n == 1 && v[0] >= '0' && v[0] <= '2';
}

/* 1,2,3: decimal ids, comma-separated */
static int
is_ids(const char *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] == ',' &&
		    i > 0 && i + 1 < n && v[i + 1] != ',')))
			return 0;
	return 1;
}

static int
is_email(const char *v, size_t n)
{
	return strchr(v, '@') != NULL;
}

/* 1..64 printable ASCII bytes (no space: netcall_value_ok) */
static int
is_label(const char *v, size_t n)
{
	return n <= 64;
}

int
netcall_perms_split(const char *list, char perms[][NETCALL_PERM_MAX + 1],
    size_t *n)
{
	const char	*p = list, *e;
	size_t		 len, i, j;

	*n = 0;
	if (*p == '\0')
		return 0;
	for (;;) {
		e = strchr(p, ',');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (len == 0 || len > NETCALL_PERM_MAX ||
		    *n >= NETCALL_PERMS_MAX)
			return CV_ERR_INVALID;
		for (i = 0; i < len; i++)
			if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' &&
			    p[i] <= '9') || p[i] == ':' || p[i] == '.' ||
			    p[i] == '_' || p[i] == '-'))
				return CV_ERR_INVALID;
		memcpy(perms[*n], p, len);
		perms[*n][len] = '\0';
		for (j = 0; j < *n; j++)
			if (strcmp(perms[j], perms[*n]) == 0)
				return CV_ERR_INVALID;
		(*n)++;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

static int
is_permissions(const char *v, size_t n)
{
	char	perms[NETCALL_PERMS_MAX][NETCALL_PERM_MAX + 1];
	size_t	np;

	return netcall_perms_split(v, perms, &np) == 0 && np > 0;
}

static const struct kind {
	const char	*name;
	int		(*ok)(const char *, size_t);
	const char	*meaning;
} kinds[] = {
	{ "nonce", is_nonce, "a decimal number below 2^64" },
	{ "builder_id", is_builder_id, "1-64 of A-Z a-z 0-9 - _ ." },
	{ "key", vault_fmt_name_valid, "a key id" },
	{ "asset_type", is_asset_type, "COLLATERAL or CONDITIONAL" },
	{ "token_id", is_token_id, "a decimal token id" },
	{ "signature_type", is_signature_type, "0, 1 or 2" },
	{ "ids", is_ids, "decimal ids separated by commas" },
	{ "email", is_email, "an email address" },
	{ "label", is_label, "1-64 printable characters, no spaces" },
	{ "permissions", is_permissions, "permissions (a-z 0-9 : . _ -) "
	    "separated by commas, each once, at most 32" },
};

static const struct kind *
kind_of(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

int
netcall_check(const struct netcall *c, const struct netcall_params *p,
    char *why, size_t whylen)
{
	const struct kind	*k;
	size_t			 i, j;

	if (p->n > NETCALL_PARAMS_MAX) {
		snprintf(why, whylen, "too many parameters");
		return CV_ERR_INVALID;
	}
	for (i = 0; i < p->n; i++) {
		if (!netcall_takes(c, p->name[i])) {
			snprintf(why, whylen, "%s takes no parameter %s",
			    c->name, p->name[i]);
			return CV_ERR_INVALID;
		}
		for (j = 0; j < i; j++)
			if (strcmp(p->name[i], p->name[j]) == 0) {
				snprintf(why, whylen, "parameter %s given "
				    "twice", p->name[i]);
				return CV_ERR_INVALID;
			}
		k = kind_of(p->name[i]);
		if (k == NULL || !netcall_value_ok(p->value[i],
		    strlen(p->value[i])) || !k->ok(p->value[i],
		    strlen(p->value[i]))) {
			snprintf(why, whylen, "%s must be %s", p->name[i],
			    k != NULL ? k->meaning : "?");
			return CV_ERR_INVALID;
		}
	}
	if (c->needs != NULL && netcall_param(p, c->needs) == NULL) {
		snprintf(why, whylen, "%s needs %s", c->name, c->needs);
		return CV_ERR_INVALID;
	}
	return 0;
}

int
netcall_urlencode(const char *v, char *out, size_t outlen)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			o = strlen(out);
	unsigned char		c;

	for (; *v != '\0'; v++) {
		c = (unsigned char)*v;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || c == ',') {
			if (outlen - o < 2)
				return CV_ERR_TOOLONG;
			out[o++] = (char)c;
		} else {
			if (outlen - o < 4)
				return CV_ERR_TOOLONG;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

/* Append s to the string in dst of size len; CV_ERR_TOOLONG if no room. */
static int
append(char *dst, size_t len, const char *s)
{
	size_t	d = strlen(dst), n = strlen(s);

	if (n >= len - d)
		return CV_ERR_TOOLONG;
	memcpy(dst + d, s, n + 1);
	return 0;
}

/* Append "?name=value&..." for the parameters named, in that order. */
static int
query_add(const struct netcall_params *p, char *path, size_t len,
    const char *const *names)
{
	const char	*v;
	size_t		 i;
	int		 first = 1, r;

	for (i = 0; names[i] != NULL; i++) {
		if ((v = netcall_param(p, names[i])) == NULL)
			continue;
		if (append(path, len, first ? "?" : "&") != 0 ||
		    append(path, len, names[i]) != 0 ||
		    append(path, len, "=") != 0)
			return CV_ERR_TOOLONG;
		if ((r = netcall_urlencode(v, path, len)) != 0)
			return r;
		first = 0;
	}
	return 0;
}

/*
 * {"name":"value"} as a compact JSON encoder writes it: the value is
 * printable ASCII (netcall_value_ok), so only '"' and '\' are escaped.
 */
static int
json_one(const char *name, const char *v, char *body, size_t bodysz,
    size_t *bodylen)
{
	size_t	o = 0, i;
	int	n;

	n = snprintf(body, bodysz, "{\"%s\":\"", name);
	if (n < 0 || (size_t)n >= bodysz)
		return CV_ERR_TOOLONG;
	o = (size_t)n;
	for (i = 0; v[i] != '\0'; i++) {
		if (o + 3 >= bodysz)
			return CV_ERR_TOOLONG;
		if (v[i] == '"' || v[i] == '\\')
			body[o++] = '\\';
		body[o++] = v[i];
	}
	if (o + 3 > bodysz)
		return CV_ERR_TOOLONG;
	memcpy(body + o, "\"}", 3);
	*bodylen = o + 2;
	return 0;
}

/*
 * {"label":"L","permissions":["a","b"]}: compact, in that order.  Labels
 * are printable ASCII, permissions [a-z0-9:._-]: only '"' and '\'
 * need escaping.
 */
static int
omnia_create_body(const struct netcall_params *p, char *body, size_t bodysz,
    size_t *bodylen)
{
	char		 perms[NETCALL_PERMS_MAX][NETCALL_PERM_MAX + 1];
	char		 esc[2 * NETCALL_VALUE_MAX + 1];
	const char	*label, *list;
	size_t		 n, i, o;

	if ((label = netcall_param(p, "label")) == NULL)
		return CV_ERR_INVALID;
	list = netcall_param(p, "permissions");
	if (netcall_perms_split(list != NULL ? list : "", perms, &n) != 0)
		return CV_ERR_INVALID;
	for (i = 0, o = 0; label[i] != '\0' && o + 2 < sizeof(esc); i++) {
		if (label[i] == '"' || label[i] == '\\')
			esc[o++] = '\\';
		esc[o++] = label[i];
	}
	esc[o] = '\0';
	body[0] = '\0';
	if (append(body, bodysz, "{\"label\":\"") != 0 ||
	    append(body, bodysz, esc) != 0 ||
	    append(body, bodysz, "\",\"permissions\":[") != 0)
		return CV_ERR_TOOLONG;
	for (i = 0; i < n; i++)
		if (append(body, bodysz, i > 0 ? ",\"" : "\"") != 0 ||
		    append(body, bodysz, perms[i]) != 0 ||
		    append(body, bodysz, "\"") != 0)
			return CV_ERR_TOOLONG;
	if (append(body, bodysz, "]}") != 0)
		return CV_ERR_TOOLONG;
	*bodylen = strlen(body);
	return 0;
}

int
netcall_request(enum catalog_id ep, const struct netcall_params *p,
    char *path, size_t pathsz, char *body, size_t bodysz, size_t *bodylen)
{
	static const char *const balance_q[] = { "asset_type", "token_id",
	    "signature_type", NULL };
	static const char *const sigtype_q[] = { "signature_type", NULL };
	static const char *const ids_q[] = { "ids", NULL };
	const struct catalog_entry	*e;
	const char			*v;
	int				 r = 0;

	if ((e = catalog_get(ep)) == NULL || pathsz == 0 || bodysz == 0)
		return CV_ERR_INVALID;
	if ((size_t)snprintf(path, pathsz, "%s", e->path) >= pathsz)
		return CV_ERR_TOOLONG;
	body[0] = '\0';
	*bodylen = 0;
	switch (ep) {
	case EP_BALANCE:
	case EP_BALANCE_UPDATE:
		r = query_add(p, path, pathsz, balance_q);
		break;
	case EP_NOTIFICATIONS:
		r = query_add(p, path, pathsz, sigtype_q);
		break;
	case EP_DROP_NOTIFICATIONS:
		r = query_add(p, path, pathsz, ids_q);
		break;
	case EP_REVOKE_BUILDER_KEY:
		/* The exchange's name for our "key" parameter. */
		if ((v = netcall_param(p, "key")) == NULL)
			return CV_ERR_INVALID;
		if ((r = append(path, pathsz, "?apiKey=")) == 0)
			r = netcall_urlencode(v, path, pathsz);
		break;
	case EP_CREATE_BUILDER_KEY:
		if ((v = netcall_param(p, "builder_id")) == NULL)
			return CV_ERR_INVALID;
		r = json_one("builderId", v, body, bodysz, bodylen);
		break;
	case EP_WAITLIST:
		if ((v = netcall_param(p, "email")) == NULL)
			return CV_ERR_INVALID;
		r = json_one("email", v, body, bodysz, bodylen);
		break;
	case EP_OMNIA_CREATE:
		r = omnia_create_body(p, body, bodysz, bodylen);
		break;
	case EP_OMNIA_ROTATE:
		/* /v3/api-keys/ID/rotate: the row's star is the key id */
		if ((v = netcall_param(p, "key")) == NULL)
			return CV_ERR_INVALID;
		path[0] = '\0';
		if ((r = append(path, pathsz, "/v3/api-keys/")) == 0 &&
		    (r = netcall_urlencode(v, path, pathsz)) == 0)
			r = append(path, pathsz, "/rotate");
		break;
	default:
		break;
	}
	return r;
}
