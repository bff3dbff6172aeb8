/*
 * vaultctl account add, list, update, remove.  An account's settings are
 * its record's JSON: profile, url, ca_file, pin, funder (the order maker
 * when it is not the wallet) and orders (the EIP-712 order version it
 * signs).  None of them is secret; vaultd checks them again before they
 * go into the vault, and this side checks them for a clear message.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/eth.h"
#include "common/profile.h"
#include "common/url.h"
#include "common/vault_fmt.h"
#include "vaultctl/vaultctl.h"

struct acct_args {
	const char	*profile, *url, *ca, *pin, *funder, *orders, *age;
	const char	*pass, *key;	/* the vault's credential (update) */
	int		 no_ca, no_pin, no_funder, no_age, force;
};

static const struct option acct_opts[] = {
	{ "profile",		required_argument, NULL, 'p' },
	{ "url",		required_argument, NULL, 'u' },
	{ "ca-file",		required_argument, NULL, 'c' },
	{ "no-ca-file",		no_argument, NULL, 'C' },
	{ "pin",		required_argument, NULL, 'P' },
	{ "no-pin",		no_argument, NULL, 'N' },
	{ "funder",		required_argument, NULL, 'f' },
	{ "no-funder",		no_argument, NULL, 'F' },
	{ "order-version",	required_argument, NULL, 'o' },
	{ "max-key-age",	required_argument, NULL, 'm' },
	{ "no-max-key-age",	no_argument, NULL, 'M' },
	{ "force",		no_argument, NULL, 'x' },
	{ "passphrase-file",	required_argument, NULL, 'z' },
	{ "keyfile",		required_argument, NULL, 'K' },
	{ NULL, 0, NULL, 0 }
};

#define ACCOUNT_USAGE	"usage: vaultctl account add NAME --profile " \
	"openfish|polymarket|omnia [--url URL] [--ca-file F] " \
	"[--pin sha256//BASE64] [--funder ADDR] [--order-version 1|2] " \
	"[--max-key-age DAYS] | " \
	"account update NAME [--url URL] [--ca-file F | --no-ca-file] " \
	"[--pin P | --no-pin] [--funder ADDR | --no-funder] " \
	"[--order-version N] [--max-key-age DAYS | --no-max-key-age] " \
	"[--passphrase-file F | --keyfile F] | " \
	"account list | account remove NAME [--force " \
	"[--passphrase-file F | --keyfile F]]"

/*
 * The options after the subcommand (argv[1]) and its one word, the
 * account's name, into *name.  -1 on a usage error (what is wrong in
 * errtext, when known).
 */
static int
acct_args(struct vaultctl *vc, int argc, char **argv, const char **name,
    struct acct_args *a)
{
	int	ch;

	memset(a, 0, sizeof(*a));
	argc--;
	argv++;
	if (vaultctl_opt_begin(vc, argc, argv, acct_opts) != 0)
		return -1;
	while ((ch = vaultctl_opt_next(argc, argv, acct_opts)) != -1) {
		switch (ch) {
		case 'p': a->profile = optarg; break;
		case 'u': a->url = optarg; break;
		case 'c': a->ca = optarg; break;
		case 'C': a->no_ca = 1; break;
		case 'P': a->pin = optarg; break;
		case 'N': a->no_pin = 1; break;
		case 'f': a->funder = optarg; break;
		case 'F': a->no_funder = 1; break;
		case 'o': a->orders = optarg; break;
		case 'm': a->age = optarg; break;
		case 'M': a->no_age = 1; break;
		case 'x': a->force = 1; break;
		case 'z': a->pass = optarg; break;
		case 'K': a->key = optarg; break;
		default: return -1;
		}
	}
	/* getopt moved the words after the options */
	if (optind + 1 != argc) {
		snprintf(vc->errtext, sizeof(vc->errtext), "one account name, "
		    "then options");
		return -1;
	}
	*name = argv[optind];
	return 0;
}

/*
 * A public key pin as libcurl takes it (CURLOPT_PINNEDPUBLICKEY):
 * "sha256//" and the base64 of 32 bytes, several joined with ';'.
 */
static int
pin_valid(const char *s)
{
	size_t	i;
	int	c;

	for (;;) {
		if (strncmp(s, "sha256//", 8) != 0)
			return 0;
		s += 8;
		for (i = 0; i < 43; i++) {
			c = (unsigned char)s[i];
			if (!((c >= 'A' && c <= 'Z') ||
			    (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '+' || c == '/'))
				return 0;
		}
		if (s[43] != '=')
			return 0;
		s += 44;
		if (*s == '\0')
			return 1;
		if (*s++ != ';')
			return 0;
	}
}

/*
 * An order maker's address: "0x" and 40 hex digits, all lower case or
 * with its EIP-55 checksum.  0, or CV_ERR_INVALID with why in errtext.
 */
static int
funder_check(struct vaultctl *vc, const char *s)
{
	uint8_t	addr[ETH_ADDR_LEN];
	char	lower[ETH_ADDR_STRLEN], sum[ETH_ADDR_STRLEN];
	int	r;

	if ((r = eth_address_parse(s, addr)) == 0) {
		eth_address_lower(addr, lower);
		eth_address_eip55(addr, sum);
		if (strcmp(s, lower) == 0 || strcmp(s, sum) == 0)
			return 0;
		r = CV_ERR_CHECKSUM;
	}
	/* an address is not secret, but a mistyped key could be: unquoted */
	snprintf(vc->errtext, sizeof(vc->errtext), "--funder %s", r ==
	    CV_ERR_CHECKSUM ? "has mixed case that is not its EIP-55 "
	    "checksum: check the address, or write it in lower case" :
	    "must be an Ethereum address: 0x and 40 hex digits");
	return CV_ERR_INVALID;
}

/* The order version a profile signs by default; 0 if it signs none. */
static int
orders_default(const struct profile *p)
{
	if (p->auth != PROFILE_AUTH_CLOB)
		return 0;
	return strcmp(p->name, "polymarket") == 0 ? 2 : 1;
}

/*
 * --order-version for profile p: 1 or 2 for polymarket, 1 for openfish.
 * 0 and *n, or CV_ERR_USAGE with why in errtext.
 */
static int
orders_check(struct vaultctl *vc, const struct profile *p, const char *s,
    json_int_t *n)
{
	if (strcmp(s, "1") != 0 && strcmp(s, "2") != 0) {
		snprintf(vc->errtext, sizeof(vc->errtext), "--order-version "
		    "takes 1 or 2");
		return CV_ERR_USAGE;
	}
	*n = s[0] - '0';
	if (*n == 2 && strcmp(p->name, "polymarket") != 0) {
		snprintf(vc->errtext, sizeof(vc->errtext), "--order-version 2 "
		    "is for polymarket accounts: %s signs orders of version 1",
		    p->name);
		return CV_ERR_USAGE;
	}
	return 0;
}

/* --funder and --order-version only where orders are signed. */
static int
orders_apply(struct vaultctl *vc, const struct profile *p,
    const struct acct_args *a, json_t *j)
{
	json_int_t	n;
	int		r;

	if (orders_default(p) == 0 && (a->funder != NULL || a->orders !=
	    NULL)) {
		snprintf(vc->errtext, sizeof(vc->errtext), "--funder and "
		    "--order-version are for openfish and polymarket accounts "
		    "(%s accounts sign no orders)", p->name);
		return CV_ERR_USAGE;
	}
	if (a->funder != NULL) {
		if ((r = funder_check(vc, a->funder)) != 0)
			return r;
		json_object_set_new(j, "funder", json_string(a->funder));
	} else if (a->no_funder)
		json_object_del(j, "funder");
	if (a->orders != NULL) {
		if ((r = orders_check(vc, p, a->orders, &n)) != 0)
			return r;
		json_object_set_new(j, "orders", json_integer(n));
	}
	return 0;
}

/*
 * --max-key-age DAYS: how old the active API key may grow before
 * vaultctl rotate --due rotates it (1 to 3650); --no-max-key-age.
 */
static int
age_apply(struct vaultctl *vc, const struct acct_args *a, json_t *j)
{
	char		*end;
	unsigned long	 d;

	if (a->age != NULL) {
		errno = 0;
		d = strtoul(a->age, &end, 10);
		if (a->age[0] < '0' || a->age[0] > '9' || *end != '\0' ||
		    errno != 0 || d < 1 || d > 3650) {
			snprintf(vc->errtext, sizeof(vc->errtext),
			    "--max-key-age takes days, 1 to 3650");
			return CV_ERR_USAGE;
		}
		json_object_set_new(j, "max_key_age",
		    json_integer((json_int_t)d));
	} else if (a->no_age)
		json_object_del(j, "max_key_age");
	return 0;
}

/* The URL's rule (common/url.h), and a pin only over https. */
static int
url_apply(struct vaultctl *vc, const struct acct_args *a, json_t *j)
{
	struct url_parts	 up;
	const char		*url;
	char			 why[160];

	if (a->pin != NULL && !pin_valid(a->pin)) {
		snprintf(vc->errtext, sizeof(vc->errtext), "--pin takes "
		    "sha256//BASE64 (the base64 SHA-256 of the server's public "
		    "key; several joined with ;)");
		return CV_ERR_USAGE;
	}
	if (a->url != NULL)
		json_object_set_new(j, "url", json_string(a->url));
	if (a->pin != NULL)
		json_object_set_new(j, "pin", json_string(a->pin));
	else if (a->no_pin)
		json_object_del(j, "pin");
	if ((url = json_string_value(json_object_get(j, "url"))) == NULL) {
		snprintf(vc->errtext, sizeof(vc->errtext), "the account has "
		    "no URL");
		return CV_ERR_INVALID;
	}
	/*
	 * vaultd checks it again: this is for a clear message, which
	 * quotes the URL only if it holds no user, password, query or
	 * fragment (a password or a token would be printed).
	 */
	if (url_parse(url, &up, why, sizeof(why)) != 0) {
		if (strpbrk(url, "@?#") != NULL)
			snprintf(vc->errtext, sizeof(vc->errtext), "--url: "
			    "%.150s", why);
		else
			snprintf(vc->errtext, sizeof(vc->errtext), "%.80s: "
			    "%.150s", url, why);
		return CV_ERR_INVALID;
	}
	if (json_object_get(j, "pin") != NULL &&
	    strcmp(up.scheme, "https") != 0) {
		snprintf(vc->errtext, sizeof(vc->errtext), "--pin needs an "
		    "https:// URL");
		return CV_ERR_USAGE;
	}
	return 0;
}

/* --ca-file as an absolute path, or --no-ca-file. */
static int
ca_apply(struct vaultctl *vc, const struct acct_args *a, json_t *j)
{
	char	ca[4096];

	if (a->no_ca)
		json_object_del(j, "ca_file");
	if (a->ca == NULL)
		return 0;
	if (realpath(a->ca, ca) == NULL) {
		snprintf(vc->errtext, sizeof(vc->errtext), "%s: %s", a->ca,
		    strerror(errno));
		return CV_ERR_NOTFOUND;
	}
	json_object_set_new(j, "ca_file", json_string(ca));
	return 0;
}

/*
 * j as the record's text, keys in order; put at revision nonce, with
 * the vault's credential cred (NULL: none).
 */
static int
account_put(struct vaultctl *vc, const char *name, json_t *j,
    uint64_t nonce, const struct secret *cred, int keyfile)
{
	char	*payload, info[VAULT_MAX_INFO + 1];
	int	 r;

	if ((payload = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return CV_ERR_NOMEM;
	r = vaultctl_put_rec_cred(vc, cred, keyfile, VAULT_REC_ACCOUNT, name,
	    "", nonce, (const uint8_t *)payload, strlen(payload), info,
	    sizeof(info));
	vaultctl_json_free(payload);
	return r;
}

/*
 * Whether an update moves where the account's calls and gateway traffic
 * go, or whom they trust: its url, ca_file or pin.  Such a change takes
 * the vault's credential (signerd decides, and checks it).
 */
static int
route_changed(json_t *old, json_t *j)
{
	static const char *const keys[] = { "url", "ca_file", "pin" };
	json_t			*x, *y;
	size_t			 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		x = json_object_get(old, keys[i]);
		y = json_object_get(j, keys[i]);
		if ((x == NULL) != (y == NULL) ||
		    (x != NULL && !json_equal(x, y)))
			return 1;
	}
	return 0;
}

static int
account_add(struct vaultctl *vc, const char *name, const struct acct_args *a)
{
	const struct profile	*p;
	json_t			*j = NULL;
	int			 r;

	if (a->profile == NULL || a->no_ca || a->no_pin || a->no_funder ||
	    a->no_age || a->force || a->pass || a->key)
		return vaultctl_fail(vc, ACCOUNT_USAGE, CV_ERR_USAGE);
	if ((p = profile_find(a->profile)) == NULL)
		return vaultctl_fail(vc, "account add: unknown profile "
		    "(openfish, polymarket or omnia)", CV_ERR_USAGE);
	r = CV_ERR_NOMEM;
	if ((j = json_pack("{s:s, s:s}", "profile", p->name, "url",
	    p->base_url)) == NULL)
		goto out;
	if (orders_default(p) != 0)
		json_object_set_new(j, "orders",
		    json_integer(orders_default(p)));
	if ((r = url_apply(vc, a, j)) != 0 || (r = ca_apply(vc, a, j)) != 0 ||
	    (r = orders_apply(vc, p, a, j)) != 0 ||
	    (r = age_apply(vc, a, j)) != 0)
		goto out;
	if ((r = account_put(vc, name, j, 0, NULL, 0)) != 0)
		goto out;
	if (vc->json)
		vaultctl_print_json(json_pack("{s:s, s:s, s:s, s:s}",
		    "result", "account add", "account", name, "key_id", "",
		    "info", name));
	else
		printf("added account: %s\n", name);
 out:
	json_decref(j);
	return r == 0 ? EXIT_OK : vaultctl_fail(vc, "account add", r);
}

/* The account record of name in the listing, or NULL. */
static const struct vaultctl_rec *
account_find(const struct vaultctl_rec *v, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (v[i].type == VAULT_REC_ACCOUNT &&
		    strcmp(v[i].account, name) == 0)
			return &v[i];
	return NULL;
}

/* The settings as "key: value" lines, keys in order. */
static void
settings_print(json_t *j)
{
	const char	*k;
	json_t		*sorted, *val;
	char		*text;
	void		*it;

	/* jansson keeps the order keys came in: the sorted text's */
	if ((text = json_dumps(j, JSON_SORT_KEYS)) == NULL)
		return;
	sorted = json_loads(text, 0, NULL);
	vaultctl_json_free(text);
	for (it = json_object_iter(sorted); it != NULL;
	    it = json_object_iter_next(sorted, it)) {
		k = json_object_iter_key(it);
		val = json_object_iter_value(it);
		if (json_is_string(val))
			printf("%s: %s\n", k, json_string_value(val));
		else if (json_is_integer(val))
			printf("%s: %lld\n", k,
			    (long long)json_integer_value(val));
	}
	json_decref(sorted);
}

/*
 * account update NAME: the record is put again at its next revision (the
 * record's nonce), which replaces it and keeps every other record of the
 * account: its keys, codes and credentials.  The profile never changes:
 * the keys were made for it.  A new URL, CA file or pin takes the
 * vault's credential: the account's signed headers would go there.
 */
static int
account_update(struct vaultctl *vc, const char *name,
    const struct acct_args *a)
{
	const struct vaultctl_rec	*rec;
	const struct profile		*p;
	struct vaultctl_rec		*v = NULL;
	struct secret			 cred;
	json_t				*j = NULL, *old = NULL, *orig;
	size_t				 n;
	int				 keyfile = 0, given, r;

	if (a->profile != NULL) {
		snprintf(vc->errtext, sizeof(vc->errtext), "the profile of an "
		    "account cannot change (its keys were made for it): remove "
		    "the account and add it again");
		return vaultctl_fail(vc, "account update", CV_ERR_USAGE);
	}
	memset(&cred, 0, sizeof(cred));
	if ((a->ca && a->no_ca) || (a->pin && a->no_pin) ||
	    (a->funder && a->no_funder) || (a->age && a->no_age) ||
	    a->force || (a->pass && a->key))
		return vaultctl_fail(vc, ACCOUNT_USAGE, CV_ERR_USAGE);
	if (!a->url && !a->ca && !a->no_ca && !a->pin && !a->no_pin &&
	    !a->funder && !a->no_funder && !a->orders && !a->age &&
	    !a->no_age) {
		snprintf(vc->errtext, sizeof(vc->errtext), "nothing to change: "
		    "give --url, --ca-file, --no-ca-file, --pin, --no-pin, "
		    "--funder, --no-funder, --order-version, --max-key-age or "
		    "--no-max-key-age");
		return vaultctl_fail(vc, "account update", CV_ERR_USAGE);
	}
	if ((r = vaultctl_list(vc, &v, &n)) != 0)
		goto out;
	if ((rec = account_find(v, n, name)) == NULL) {
		snprintf(vc->errtext, sizeof(vc->errtext), "no account %s",
		    name);
		r = CV_ERR_NOTFOUND;
		goto out;
	}
	r = CV_ERR_INVALID;
	orig = json_loads(rec->info, JSON_REJECT_DUPLICATES, NULL);
	if (orig == NULL || !json_is_object(orig) ||
	    (p = profile_find(json_string_value(json_object_get(orig,
	    "profile")))) == NULL) {
		json_decref(orig);
		snprintf(vc->errtext, sizeof(vc->errtext), "the settings of "
		    "account %s cannot be read back", name);
		goto out;
	}
	old = orig;
	if ((j = json_deep_copy(old)) == NULL) {
		r = CV_ERR_NOMEM;
		goto out;
	}
	if ((r = url_apply(vc, a, j)) != 0 || (r = ca_apply(vc, a, j)) != 0 ||
	    (r = orders_apply(vc, p, a, j)) != 0 ||
	    (r = age_apply(vc, a, j)) != 0)
		goto out;
	if (json_equal(j, old)) {
		if (vc->json)
			vaultctl_print_json(json_pack("{s:s, s:s, s:b, s:O}",
			    "result", "account update", "account", name,
			    "changed", 0, "settings", j));
		else
			printf("account %s: unchanged\n", name);
		goto out;
	}
	/* a credential given is sent (and checked) whatever the change */
	given = a->pass != NULL || a->key != NULL;
	if ((given || route_changed(old, j)) &&
	    (r = vaultctl_cred_get(vc, a->pass, a->key, "Vault passphrase (to "
	    "change the account's URL, CA file or pin): ", 0, 0, &cred,
	    &keyfile)) != 0)
		goto out;
	if ((r = account_put(vc, name, j, rec->nonce + 1, cred.p != NULL ?
	    &cred : NULL, keyfile)) != 0) {
		/* a revision other than the one read: changed meanwhile */
		if (r == CV_ERR_EXISTS)
			snprintf(vc->errtext, sizeof(vc->errtext), "account %s "
			    "changed while this update was made: run it "
			    "again", name);
		goto out;
	}
	if (vc->json)
		vaultctl_print_json(json_pack("{s:s, s:s, s:b, s:O}", "result",
		    "account update", "account", name, "changed", 1,
		    "settings", j));
	else {
		printf("updated account %s\n", name);
		settings_print(j);
	}
 out:
	secret_free(&cred);
	free(v);
	json_decref(old);
	json_decref(j);
	return r == 0 ? EXIT_OK : vaultctl_fail(vc, "account update", r);
}

/*
 * account remove NAME [--force]: an account goes with every key it
 * holds, so while it holds any (a wallet key, API or builder
 * credentials, an invitation code, a gateway client) it is removed only
 * with --force, and what is destroyed is listed first.  Such a removal
 * takes the vault's credential too, as client remove does (signerd
 * checks it): it would drop the account's gateway clients, which the
 * policy names, and keys nothing brings back.  vaultd audits each key
 * it destroys.
 */
static int
account_remove(struct vaultctl *vc, const char *name,
    const struct acct_args *a)
{
	struct vaultctl_rec	*v = NULL;
	struct secret		 cred;
	size_t			 n, i, held = 0;
	int			 found = 0, keyfile = 0, r;

	if (a->profile || a->url || a->ca || a->no_ca || a->pin ||
	    a->no_pin || a->funder || a->no_funder || a->orders || a->age ||
	    a->no_age || (a->pass && a->key))
		return vaultctl_fail(vc, "usage: vaultctl account remove NAME "
		    "[--force [--passphrase-file F | --keyfile F]]",
		    CV_ERR_USAGE);
	if ((r = vaultctl_list(vc, &v, &n)) != 0)
		return vaultctl_fail(vc, "account remove", r);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].account, name) != 0)
			continue;
		if (v[i].type == VAULT_REC_ACCOUNT)
			found = 1;
		else
			held++;
	}
	if (!found) {
		free(v);
		snprintf(vc->errtext, sizeof(vc->errtext), "no account %s",
		    name);
		return vaultctl_fail(vc, "account remove", CV_ERR_NOTFOUND);
	}
	if (held > 0 && !vc->json) {
		fprintf(stderr, "account %s holds %zu key%s that %s with it:\n",
		    name, held, held == 1 ? "" : "s", a->force ?
		    "are destroyed" : "would be destroyed");
		for (i = 0; i < n; i++)
			if (strcmp(v[i].account, name) == 0 &&
			    v[i].type != VAULT_REC_ACCOUNT)
				fprintf(stderr, "  %-8s %s%s%s\n",
				    vaultctl_type_name(v[i].type),
				    v[i].key_id, v[i].key_id[0] ? " " : "",
				    v[i].info);
	}
	free(v);
	if (held > 0 && !a->force) {
		snprintf(vc->errtext, sizeof(vc->errtext), "account %s holds "
		    "%zu key%s (a generated wallet key cannot be recovered): "
		    "add --force to destroy them with it", name, held,
		    held == 1 ? "" : "s");
		return vaultctl_fail(vc, "account remove", CV_ERR_EXISTS);
	}
	/* a credential given is sent (and checked) whatever it holds */
	memset(&cred, 0, sizeof(cred));
	if ((held > 0 || a->pass != NULL || a->key != NULL) &&
	    (r = vaultctl_cred_get(vc, a->pass, a->key, "Vault passphrase (to "
	    "remove an account with what it holds): ", 0, 0, &cred,
	    &keyfile)) != 0)
		return vaultctl_fail(vc, "account remove", r);
	r = vaultctl_del_cred(vc, cred.p != NULL ? &cred : NULL, keyfile,
	    "account remove", VAULT_REC_ACCOUNT, name, "");
	secret_free(&cred);
	return r;
}

/* What the listing says of one account: its settings, its keys counted. */
static json_t *
account_row(const struct vaultctl_rec *v, size_t n,
    const struct vaultctl_rec *acct)
{
	const struct profile	*p;
	json_t			*info, *o;
	const char		*address = NULL, *invite = "none", *pname;
	json_int_t		 api = 0, builder = 0;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i].account, acct->account) != 0 ||
		    (v[i].flags & VAULT_RECF_REVOKED))
			continue;
		switch (v[i].type) {
		case VAULT_REC_WALLET_KEY:
			address = v[i].info;
			break;
		case VAULT_REC_API_CRED:
			api++;
			break;
		case VAULT_REC_BUILDER_CRED:
			builder++;
			break;
		case VAULT_REC_INVITE:
			invite = (v[i].flags & VAULT_RECF_USED) ? "used" :
			    "set";
			break;
		}
	}
	/* the account record's text is its settings, as account add wrote */
	if ((info = json_loads(acct->info, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL || !json_is_object(info)) {
		json_decref(info);
		info = json_object();
	}
	pname = json_string_value(json_object_get(info, "profile"));
	o = json_pack("{s:s, s:s, s:s, s:b, s:s?, s:I, s:I, s:s}", "name",
	    acct->account, "profile", pname ? pname : "?", "url",
	    json_is_string(json_object_get(info, "url")) ?
	    json_string_value(json_object_get(info, "url")) : "",
	    "wallet", address != NULL, "address", address, "api_keys", api,
	    "builder_keys", builder, "invite", invite);
	if (o != NULL && json_is_string(json_object_get(info, "ca_file")))
		json_object_set(o, "ca_file", json_object_get(info, "ca_file"));
	if (o != NULL && json_is_string(json_object_get(info, "pin")))
		json_object_set(o, "pin", json_object_get(info, "pin"));
	if (o != NULL && json_is_string(json_object_get(info, "funder")))
		json_object_set(o, "funder", json_object_get(info, "funder"));
	/* a record from before order versions: its profile's default */
	if (o != NULL && json_is_integer(json_object_get(info, "orders")))
		json_object_set(o, "orders", json_object_get(info, "orders"));
	else if (o != NULL && pname != NULL &&
	    (p = profile_find(pname)) != NULL && orders_default(p) != 0)
		json_object_set_new(o, "orders",
		    json_integer(orders_default(p)));
	json_decref(info);
	return o;
}

/* account list: the accounts only, one row each, a header row. */
static int
account_list(struct vaultctl *vc)
{
	struct vaultctl_rec	*v = NULL;
	json_t			*arr = NULL, *o;
	size_t			 n, i;
	int			 r;

	if ((r = vaultctl_list(vc, &v, &n)) != 0)
		goto out;
	r = CV_ERR_NOMEM;
	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if (v[i].type == VAULT_REC_ACCOUNT &&
		    json_array_append_new(arr, account_row(v, n, &v[i])) != 0)
			goto out;
	r = 0;
	if (vc->json) {
		vaultctl_print_json(arr);
		arr = NULL;
		goto out;
	}
	if (json_array_size(arr) == 0)
		printf("no accounts (vaultctl account add NAME --profile P)\n");
	else
		printf("%-16s %-10s %-6s %7s %7s %-6s %s\n", "NAME", "PROFILE",
		    "WALLET", "APIKEYS", "BUILDER", "INVITE", "URL");
	json_array_foreach(arr, i, o)
		printf("%-16s %-10s %-6s %7lld %7lld %-6s %s\n",
		    json_string_value(json_object_get(o, "name")),
		    json_string_value(json_object_get(o, "profile")),
		    json_is_true(json_object_get(o, "wallet")) ? "yes" : "no",
		    (long long)json_integer_value(json_object_get(o,
		    "api_keys")),
		    (long long)json_integer_value(json_object_get(o,
		    "builder_keys")),
		    json_string_value(json_object_get(o, "invite")),
		    json_string_value(json_object_get(o, "url")));
 out:
	free(v);
	json_decref(arr);
	return r == 0 ? EXIT_OK : vaultctl_fail(vc, "account list", r);
}

int
cmd_account(struct vaultctl *vc, int argc, char **argv)
{
	struct acct_args	 a;
	const char		*name;

	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return account_list(vc);
	if (argc < 3 || acct_args(vc, argc, argv, &name, &a) != 0)
		return vaultctl_fail(vc, ACCOUNT_USAGE, CV_ERR_USAGE);
	if (strcmp(argv[1], "add") == 0)
		return account_add(vc, name, &a);
	if (strcmp(argv[1], "update") == 0)
		return account_update(vc, name, &a);
	if (strcmp(argv[1], "remove") == 0)
		return account_remove(vc, name, &a);
	return vaultctl_fail(vc, ACCOUNT_USAGE, CV_ERR_USAGE);
}
