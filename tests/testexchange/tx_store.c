/*
 * The state file: one JSON document (format in README.md), rewritten
 * atomically after every change (temporary file, fsync, rename), mode
 * 0600 since it holds the test exchange's issued secrets.  Loading is
 * as strict as any other input: a wrong type, an unknown profile, an
 * over-long field or a malformed address refuses the whole file.
 * Bearer tokens, fault settings, markets and heartbeats are not kept.
 * Sections added after version 1 ("orders") are optional, so older
 * files still load.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "common/encode.h"
#include "common/eth.h"
#include "tests/testexchange/tx.h"

#define STORE_VERSION	1

static int	get_str(json_t *, const char *, char *, size_t) CV_WUR;
static int	get_int(json_t *, const char *, int64_t *) CV_WUR;
static int	get_addr(json_t *, const char *, uint8_t[ETH_ADDR_LEN]) CV_WUR;
static int	load_invites(struct tx_state *, json_t *) CV_WUR;
static int	load_accounts(struct tx_state *, json_t *) CV_WUR;
static int	load_creds(struct tx_state *, json_t *) CV_WUR;
static int	load_balances(struct tx_state *, json_t *) CV_WUR;
static int	load_notifs(struct tx_state *, json_t *) CV_WUR;
static int	load_okeys(struct tx_state *, json_t *) CV_WUR;
static int	load_order(struct tx_state *, json_t *, struct tx_order *)
		    CV_WUR;
static int	load_orders(struct tx_state *, json_t *) CV_WUR;
static json_t	*order_json(const struct tx_order *);
static json_t	*dump(const struct tx_state *, const char *);
static json_t	*addr_json(const uint8_t[ETH_ADDR_LEN]);

static int
get_str(json_t *o, const char *name, char *out, size_t outlen)
{
	json_t	*v = json_object_get(o, name);

	if (!json_is_string(v) || json_string_length(v) >= outlen ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return CV_ERR_CORRUPT;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int
get_int(json_t *o, const char *name, int64_t *out)
{
	json_t	*v = json_object_get(o, name);

	if (!json_is_integer(v))
		return CV_ERR_CORRUPT;
	*out = json_integer_value(v);
	return 0;
}

static int
get_addr(json_t *o, const char *name, uint8_t addr[ETH_ADDR_LEN])
{
	char	s[ETH_ADDR_STRLEN];

	if (get_str(o, name, s, sizeof(s)) != 0 || tx_addr_parse(s, addr) != 0)
		return CV_ERR_CORRUPT;
	return 0;
}

static json_t *
addr_json(const uint8_t addr[ETH_ADDR_LEN])
{
	char	s[ETH_ADDR_STRLEN];

	eth_address_lower(addr, s);
	return json_string(s);
}

static int
load_invites(struct tx_state *st, json_t *a)
{
	char	code[TX_CODE_MAX + 1];
	json_t	*o;
	int64_t	exp, used;
	size_t	i;
	int	r = CV_ERR_CORRUPT;

	json_array_foreach(a, i, o) {
		if (get_str(o, "code", code, sizeof(code)) != 0 ||
		    get_int(o, "expires", &exp) != 0 ||
		    !json_is_boolean(json_object_get(o, "used")))
			goto out;
		used = json_is_true(json_object_get(o, "used"));
		if (tx_invite_add(st, code, exp) != 0)
			goto out;
		((struct tx_invite *)st->invites.v[st->invites.n - 1])->used =
		    (int)used;
	}
	r = 0;
 out:
	sodium_memzero(code, sizeof(code));
	return r;
}

static int
load_accounts(struct tx_state *st, json_t *a)
{
	struct tx_account	*acc;
	uint8_t			 addr[ETH_ADDR_LEN];
	json_t			*o;
	size_t			 i;

	json_array_foreach(a, i, o) {
		if (get_addr(o, "address", addr) != 0 ||
		    tx_account_get(st, addr, 0) != NULL ||
		    (acc = tx_account_get(st, addr, 1)) == NULL ||
		    get_str(o, "builder_id", acc->builder_id,
		    sizeof(acc->builder_id)) != 0 ||
		    !json_is_boolean(json_object_get(o, "registered")) ||
		    !json_is_boolean(json_object_get(o, "closed_only")))
			return CV_ERR_CORRUPT;
		acc->registered = json_is_true(json_object_get(o,
		    "registered"));
		acc->closed_only = json_is_true(json_object_get(o,
		    "closed_only"));
	}
	return 0;
}

static int
load_creds(struct tx_state *st, json_t *a)
{
	struct tx_cred	*c = NULL;
	json_t		*o;
	const char	*kind;
	int64_t		 nonce;
	size_t		 i;
	int		 r = CV_ERR_CORRUPT;

	json_array_foreach(a, i, o) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			r = CV_ERR_NOMEM;
			goto out;
		}
		kind = json_string_value(json_object_get(o, "kind"));
		if (kind != NULL && strcmp(kind, "api") == 0)
			c->kind = TX_CRED_API;
		else if (kind != NULL && strcmp(kind, "builder") == 0)
			c->kind = TX_CRED_BUILDER;
		else
			goto out;
		if (get_addr(o, "address", c->addr) != 0 ||
		    get_int(o, "nonce", &nonce) != 0 || nonce < 0 ||
		    get_str(o, "key", c->key, sizeof(c->key)) != 0 ||
		    get_str(o, "secret", c->secret, sizeof(c->secret)) != 0 ||
		    get_str(o, "passphrase", c->passphrase,
		    sizeof(c->passphrase)) != 0 ||
		    get_str(o, "builder_id", c->builder_id,
		    sizeof(c->builder_id)) != 0 ||
		    get_int(o, "created", &c->created) != 0 ||
		    get_int(o, "valid_from_ms", &c->valid_from_ms) != 0)
			goto out;
		c->nonce = (uint64_t)nonce;
		if (tx_cred_by_key(st, c->kind, c->key) != NULL ||
		    (c->kind == TX_CRED_API &&
		    tx_cred_by_nonce(st, c->addr, c->nonce) != NULL))
			goto out;
		if ((r = tx_vec_push(&st->creds, c)) != 0)
			goto out;
		c = NULL;
		r = CV_ERR_CORRUPT;
	}
	r = 0;
 out:
	if (c != NULL) {
		sodium_memzero(c, sizeof(*c));
		free(c);
	}
	return r;
}

static int
load_balances(struct tx_state *st, json_t *a)
{
	struct tx_balance	*b;
	uint8_t			 addr[ETH_ADDR_LEN];
	char			 tok[TX_TOKENID_LEN], asset[16];
	json_t			*o;
	size_t			 i;
	enum tx_asset		 as;

	json_array_foreach(a, i, o) {
		if (get_addr(o, "address", addr) != 0 ||
		    get_str(o, "asset_type", asset, sizeof(asset)) != 0 ||
		    get_str(o, "token_id", tok, sizeof(tok)) != 0)
			return CV_ERR_CORRUPT;
		if (strcmp(asset, "COLLATERAL") == 0)
			as = TX_ASSET_COLLATERAL;
		else if (strcmp(asset, "CONDITIONAL") == 0)
			as = TX_ASSET_CONDITIONAL;
		else
			return CV_ERR_CORRUPT;
		if (tx_balance_get(st, addr, as, tok, 0) != NULL ||
		    (b = tx_balance_get(st, addr, as, tok, 1)) == NULL ||
		    get_str(o, "balance", b->chain, sizeof(b->chain)) != 0 ||
		    get_str(o, "cached", b->cached, sizeof(b->cached)) != 0 ||
		    get_str(o, "allowance", b->allowance,
		    sizeof(b->allowance)) != 0)
			return CV_ERR_CORRUPT;
	}
	return 0;
}

static int
load_notifs(struct tx_state *st, json_t *a)
{
	uint8_t		 addr[ETH_ADDR_LEN];
	json_t		*o;
	int64_t		 id, type, ts;
	uint64_t	 got, next = st->next_notif;
	size_t		 i;
	char		*payload;
	int		 r;

	json_array_foreach(a, i, o) {
		if (get_addr(o, "address", addr) != 0 ||
		    get_int(o, "id", &id) != 0 || id <= 0 ||
		    get_int(o, "type", &type) != 0 || type < 0 ||
		    type > 1000 || get_int(o, "timestamp", &ts) != 0 ||
		    json_object_get(o, "payload") == NULL)
			return CV_ERR_CORRUPT;
		if ((payload = json_dumps(json_object_get(o, "payload"),
		    JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
			return CV_ERR_NOMEM;
		st->next_notif = (uint64_t)id;
		r = tx_notif_add(st, addr, (int)type, payload, ts, &got);
		free(payload);
		if (r != 0)
			return r;
		if ((uint64_t)id >= next)
			next = (uint64_t)id + 1;
		st->next_notif = next;
	}
	return 0;
}

static int
load_okeys(struct tx_state *st, json_t *a)
{
	struct tx_okey	*k = NULL;
	json_t		*o, *perms, *p;
	size_t		 i, j;
	int		 r = CV_ERR_CORRUPT;

	json_array_foreach(a, i, o) {
		if ((k = calloc(1, sizeof(*k))) == NULL) {
			r = CV_ERR_NOMEM;
			goto out;
		}
		perms = json_object_get(o, "permissions");
		if (get_str(o, "id", k->id, sizeof(k->id)) != 0 ||
		    get_str(o, "secret", k->secret, sizeof(k->secret)) != 0 ||
		    get_str(o, "account", k->account,
		    sizeof(k->account)) != 0 ||
		    get_str(o, "label", k->label, sizeof(k->label)) != 0 ||
		    get_int(o, "created", &k->created) != 0 ||
		    get_int(o, "valid_from_ms", &k->valid_from_ms) != 0 ||
		    !json_is_array(perms) ||
		    json_array_size(perms) > TX_PERM_MAX ||
		    tx_okey_by_id(st, k->id) != NULL)
			goto out;
		json_array_foreach(perms, j, p) {
			if (!json_is_string(p) ||
			    json_string_length(p) >= TX_PERM_LEN)
				goto out;
			memcpy(k->perms[j], json_string_value(p),
			    json_string_length(p) + 1);
		}
		k->nperms = json_array_size(perms);
		if ((r = tx_vec_push(&st->okeys, k)) != 0)
			goto out;
		k = NULL;
		r = CV_ERR_CORRUPT;
	}
	r = 0;
 out:
	if (k != NULL) {
		sodium_memzero(k, sizeof(*k));
		free(k);
	}
	return r;
}

static int
load_order(struct tx_state *st, json_t *o, struct tx_order *ord)
{
	char		 hash[67], side[8], status[16];
	size_t		 n;

	if (get_str(o, "id", ord->id, sizeof(ord->id)) != 0 ||
	    ord->id[0] == '\0' || tx_order_by_id(st, ord->id) != NULL ||
	    get_str(o, "hash", hash, sizeof(hash)) != 0 ||
	    strlen(hash) != 66 || strncmp(hash, "0x", 2) != 0 ||
	    hex_decode(hash, 66, ord->hash, sizeof(ord->hash), &n) != 0 ||
	    n != sizeof(ord->hash) || tx_order_by_hash(st, ord->hash) != NULL ||
	    get_str(o, "owner", ord->owner, sizeof(ord->owner)) != 0 ||
	    get_addr(o, "address", ord->addr) != 0 ||
	    get_addr(o, "maker", ord->maker) != 0 ||
	    get_str(o, "token_id", ord->token, sizeof(ord->token)) != 0 ||
	    get_str(o, "market", ord->market, sizeof(ord->market)) != 0 ||
	    get_str(o, "side", side, sizeof(side)) != 0 ||
	    get_str(o, "price", ord->price, sizeof(ord->price)) != 0 ||
	    get_str(o, "size", ord->size, sizeof(ord->size)) != 0 ||
	    get_str(o, "order_type", ord->type, sizeof(ord->type)) != 0 ||
	    get_int(o, "expiration", &ord->expiration) != 0 ||
	    ord->expiration < 0 || get_int(o, "created", &ord->created) != 0 ||
	    get_str(o, "status", status, sizeof(status)) != 0)
		return CV_ERR_CORRUPT;
	if (strcmp(side, "BUY") == 0)
		ord->side = 0;
	else if (strcmp(side, "SELL") == 0)
		ord->side = 1;
	else
		return CV_ERR_CORRUPT;
	if (strcmp(status, "LIVE") == 0)
		ord->status = TX_ORDER_LIVE;
	else if (strcmp(status, "CANCELED") == 0)
		ord->status = TX_ORDER_CANCELED;
	else
		return CV_ERR_CORRUPT;
	if (strcmp(ord->type, "GTC") != 0 && strcmp(ord->type, "GTD") != 0)
		return CV_ERR_CORRUPT;
	return 0;
}

static int
load_orders(struct tx_state *st, json_t *a)
{
	struct tx_order	*ord;
	json_t		*o;
	size_t		 i;
	int		 r;

	json_array_foreach(a, i, o) {
		if ((ord = calloc(1, sizeof(*ord))) == NULL)
			return CV_ERR_NOMEM;
		if ((r = load_order(st, o, ord)) != 0 ||
		    (r = tx_order_add(st, ord)) != 0) {
			free(ord);
			return r;
		}
	}
	return 0;
}

int
tx_store_load(struct tx_state *st, const char *path, const char *profile)
{
	json_error_t	 jerr;
	json_t		*root = NULL, *v;
	int64_t		 version, waitlist, next;
	const char	*prof;
	int		 r = CV_ERR_INTERNAL;

	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		r = access(path, F_OK) == 0 ? CV_ERR_CORRUPT : CV_ERR_NOTFOUND;
		goto out;
	}
	r = CV_ERR_CORRUPT;
	if (!json_is_object(root) || get_int(root, "version", &version) != 0)
		goto out;
	if (version != STORE_VERSION) {
		r = CV_ERR_FORMAT_VERSION;
		goto out;
	}
	prof = json_string_value(json_object_get(root, "profile"));
	if (prof == NULL || strcmp(prof, profile) != 0 ||
	    get_int(root, "waitlist", &waitlist) != 0 || waitlist < 0 ||
	    get_int(root, "next_notification", &next) != 0 || next < 1)
		goto out;
	st->waitlist = (uint64_t)waitlist;
#define SECTION(name, fn) do {						\
	v = json_object_get(root, name);				\
	if (!json_is_array(v) || (r = fn(st, v)) != 0) {		\
		if (r == 0)						\
			r = CV_ERR_CORRUPT;				\
		goto out;						\
	}								\
} while (0)
	SECTION("invites", load_invites);
	SECTION("accounts", load_accounts);
	SECTION("creds", load_creds);
	SECTION("balances", load_balances);
	SECTION("notifications", load_notifs);
	SECTION("omnia_keys", load_okeys);
	/* Newer than the format: an older file has none. */
	if (json_object_get(root, "orders") != NULL)
		SECTION("orders", load_orders);
#undef SECTION
	/* Ids of dropped notifications are never handed out again. */
	if ((uint64_t)next > st->next_notif)
		st->next_notif = (uint64_t)next;
	r = 0;
 out:
	json_decref(root);
	return r;
}

static json_t *
order_json(const struct tx_order *o)
{
	char	hash[67];

	memcpy(hash, "0x", 2);
	hex_encode(o->hash, sizeof(o->hash), hash + 2);
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, "
	    "s:s, s:s, s:I, s:I, s:s}", "id", o->id, "hash", hash, "owner",
	    o->owner, "address", addr_json(o->addr), "maker",
	    addr_json(o->maker), "token_id", o->token, "market", o->market,
	    "side", o->side == 0 ? "BUY" : "SELL", "price", o->price, "size",
	    o->size, "order_type", o->type, "expiration",
	    (json_int_t)o->expiration, "created", (json_int_t)o->created,
	    "status", o->status == TX_ORDER_LIVE ? "LIVE" : "CANCELED");
}

static json_t *
dump(const struct tx_state *st, const char *profile)
{
	json_t	*root, *a, *o, *perms, *payload;
	size_t	 i, j;

	if ((root = json_pack("{s:i, s:s, s:I, s:I}", "version",
	    STORE_VERSION, "profile", profile, "waitlist",
	    (json_int_t)st->waitlist, "next_notification",
	    (json_int_t)st->next_notif)) == NULL)
		return NULL;
	if ((a = json_array()) == NULL ||
	    json_object_set_new(root, "invites", a) != 0)
		goto fail;
	for (i = 0; i < st->invites.n; i++) {
		const struct tx_invite *inv = st->invites.v[i];

		if (json_array_append_new(a, json_pack("{s:s, s:I, s:b}",
		    "code", inv->code, "expires", (json_int_t)inv->expires,
		    "used", inv->used)) != 0)
			goto fail;
	}
	if ((a = json_array()) == NULL ||
	    json_object_set_new(root, "accounts", a) != 0)
		goto fail;
	for (i = 0; i < st->accounts.n; i++) {
		const struct tx_account *acc = st->accounts.v[i];

		if (json_array_append_new(a, json_pack("{s:o, s:b, s:b, s:s}",
		    "address", addr_json(acc->addr), "registered",
		    acc->registered, "closed_only", acc->closed_only,
		    "builder_id", acc->builder_id)) != 0)
			goto fail;
	}
	if ((a = json_array()) == NULL ||
	    json_object_set_new(root, "creds", a) != 0)
		goto fail;
	for (i = 0; i < st->creds.n; i++) {
		const struct tx_cred *c = st->creds.v[i];

		if (json_array_append_new(a, json_pack("{s:s, s:o, s:I, s:s, "
		    "s:s, s:s, s:s, s:I, s:I}", "kind", c->kind == TX_CRED_API ?
		    "api" : "builder", "address", addr_json(c->addr), "nonce",
		    (json_int_t)c->nonce, "key", c->key, "secret", c->secret,
		    "passphrase", c->passphrase, "builder_id", c->builder_id,
		    "created", (json_int_t)c->created, "valid_from_ms",
		    (json_int_t)c->valid_from_ms)) != 0)
			goto fail;
	}
	if ((a = json_array()) == NULL ||
	    json_object_set_new(root, "balances", a) != 0)
		goto fail;
	for (i = 0; i < st->balances.n; i++) {
		const struct tx_balance *b = st->balances.v[i];

		if (json_array_append_new(a, json_pack("{s:o, s:s, s:s, s:s, "
		    "s:s, s:s}", "address", addr_json(b->addr), "asset_type",
		    b->asset == TX_ASSET_COLLATERAL ? "COLLATERAL" :
		    "CONDITIONAL", "token_id", b->token_id, "balance", b->chain,
		    "cached", b->cached, "allowance", b->allowance)) != 0)
			goto fail;
	}
	if ((a = json_array()) == NULL ||
	    json_object_set_new(root, "notifications", a) != 0)
		goto fail;
	for (i = 0; i < st->notifs.n; i++) {
		const struct tx_notif *n = st->notifs.v[i];

		if ((payload = json_loads(n->payload, JSON_DECODE_ANY,
		    NULL)) == NULL)
			goto fail;
		if (json_array_append_new(a, json_pack("{s:I, s:o, s:i, s:o, "
		    "s:I}", "id", (json_int_t)n->id, "address",
		    addr_json(n->addr), "type", n->type, "payload", payload,
		    "timestamp", (json_int_t)n->ts)) != 0)
			goto fail;
	}
	if ((a = json_array()) == NULL ||
	    json_object_set_new(root, "omnia_keys", a) != 0)
		goto fail;
	for (i = 0; i < st->okeys.n; i++) {
		const struct tx_okey *k = st->okeys.v[i];

		if ((perms = json_array()) == NULL)
			goto fail;
		for (j = 0; j < k->nperms; j++)
			if (json_array_append_new(perms,
			    json_string(k->perms[j])) != 0) {
				json_decref(perms);
				goto fail;
			}
		if ((o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:I}", "id",
		    k->id, "secret", k->secret, "account", k->account, "label",
		    k->label, "permissions", perms, "created",
		    (json_int_t)k->created, "valid_from_ms",
		    (json_int_t)k->valid_from_ms)) == NULL ||
		    json_array_append_new(a, o) != 0)
			goto fail;
	}
	if ((a = json_array()) == NULL ||
	    json_object_set_new(root, "orders", a) != 0)
		goto fail;
	for (i = 0; i < st->orders.n; i++)
		if (json_array_append_new(a, order_json(st->orders.v[i])) != 0)
			goto fail;
	return root;
 fail:
	json_decref(root);
	return NULL;
}

int
tx_store_save(const struct tx_state *st, const char *path,
    const char *profile)
{
	json_t	*root = NULL;
	char	*text = NULL, *tmp = NULL;
	size_t	 len, off = 0;
	ssize_t	 n;
	int	 fd = -1, r = CV_ERR_INTERNAL;

	if ((root = dump(st, profile)) == NULL ||
	    (text = json_dumps(root, JSON_INDENT(1))) == NULL ||
	    asprintf(&tmp, "%s.tmp", path) == -1) {
		tmp = NULL;
		r = CV_ERR_NOMEM;
		goto out;
	}
	len = strlen(text);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		r = CV_ERR_IO;
		goto out;
	}
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			r = errno == ENOSPC ? CV_ERR_NOSPACE : CV_ERR_IO;
			goto out;
		}
		off += (size_t)n;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd) == -1) {
		r = CV_ERR_IO;
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		r = CV_ERR_IO;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		r = CV_ERR_IO;
		goto out;
	}
	r = 0;
 out:
	if (fd != -1)
		close(fd);
	if (r != 0 && tmp != NULL)
		unlink(tmp);
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	free(tmp);
	json_decref(root);
	return r;
}
