/*
 * vaultctl account, wallet, apikey, invite: what the vault holds.  Keys
 * and codes are read from standard input (or a private file), never from
 * argv; what is printed is public: addresses, key ids, fingerprints,
 * masked codes.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/encode.h"
#include "common/profile.h"
#include "common/secret_io.h"
#include "common/url.h"
#include "common/vault_fmt.h"
#include "vaultctl/vaultctl.h"

struct rec_args {
	const char	*account, *profile, *url, *ca, *file, *pin;
	uint64_t	 nonce;
	int		 local;
};

static const struct option rec_opts[] = {
	{ "account",	required_argument, NULL, 'a' },
	{ "profile",	required_argument, NULL, 'p' },
	{ "url",	required_argument, NULL, 'u' },
	{ "ca-file",	required_argument, NULL, 'c' },
	{ "from-file",	required_argument, NULL, 'f' },
	{ "nonce",	required_argument, NULL, 'n' },
	{ "pin",	required_argument, NULL, 'P' },
	{ "local",	no_argument, NULL, 'l' },
	{ NULL, 0, NULL, 0 }
};

/*
 * Parse options after argv[first]; positional words are not allowed.
 * -1 on a usage error (what is wrong in errtext, when known).
 */
static int
rec_args(struct vaultctl *vc, int argc, char **argv, int first,
    struct rec_args *a)
{
	char	*end;
	int	 ch;

	memset(a, 0, sizeof(*a));
	argc -= first - 1;
	argv += first - 1;
	if (vaultctl_opt_begin(vc, argc, argv, rec_opts) != 0)
		return -1;
	while ((ch = vaultctl_opt_next(argc, argv, rec_opts)) != -1) {
		switch (ch) {
		case 'a': a->account = optarg; break;
		case 'p': a->profile = optarg; break;
		case 'u': a->url = optarg; break;
		case 'c': a->ca = optarg; break;
		case 'f': a->file = optarg; break;
		case 'P': a->pin = optarg; break;
		case 'l': a->local = 1; break;
		case 'n':
			errno = 0;
			a->nonce = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *optarg == '-' || *end != '\0' ||
			    errno != 0) {
				snprintf(vc->errtext, sizeof(vc->errtext),
				    "--nonce takes a decimal number");
				return -1;
			}
			break;
		default:
			return -1;
		}
	}
	if (optind != argc) {
		/* not echoed: it may be a key typed where none belongs */
		snprintf(vc->errtext, sizeof(vc->errtext), "a word this "
		    "command does not take (keys and codes go on standard "
		    "input)");
		return -1;
	}
	return 0;
}

/* Send a PUT; print its public answer (address, fingerprint). */
static int
put(struct vaultctl *vc, const char *what, uint8_t type, const char *account,
    const char *key_id, uint64_t nonce, const uint8_t *p, size_t len,
    const char *human)
{
	struct msg_w	 w;
	struct msg	 m;
	const char	*info;
	size_t		 ilen;
	int		 r;

	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, what, r);
	msg_begin(&w, MSG_CTL_PUT_REQ, ++vc->next_id);
	msg_put_u64(&w, type);
	msg_put_str(&w, account);
	msg_put_str(&w, key_id);
	msg_put_u64(&w, nonce);
	msg_put_bin(&w, p, len);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_PUT_ANS, &m)) != 0)
		return vaultctl_fail(vc, what, r);
	if ((r = msg_get_str(&m.rd, &info, &ilen, 512)) != 0) {
		msg_clear(&m);
		return vaultctl_fail(vc, what, r);
	}
	if (vc->json)
		vaultctl_print_json(json_pack("{s:s, s:s, s:s, s:s%}",
		    "result", what, "account", account, "key_id", key_id,
		    "info", info, ilen));
	else
		printf("%s: %.*s\n", human, (int)ilen, info);
	msg_clear(&m);
	return EXIT_OK;
}

static int
del(struct vaultctl *vc, const char *what, uint8_t type, const char *account,
    const char *key_id)
{
	struct msg_w	w;
	struct msg	m;
	int		r;

	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, what, r);
	msg_begin(&w, MSG_CTL_DEL_REQ, ++vc->next_id);
	msg_put_u64(&w, type);
	msg_put_str(&w, account);
	msg_put_str(&w, key_id);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_DEL_ANS, &m)) != 0)
		return vaultctl_fail(vc, what, r);
	msg_clear(&m);
	if (vc->json)
		vaultctl_print_json(json_pack("{s:s, s:s, s:s, s:b}", "result",
		    what, "account", account, "key_id", key_id, "ok", 1));
	else
		printf("%s: done\n", what);
	return EXIT_OK;
}

struct entry {
	uint64_t	type, flags, nonce;
	char		account[VAULT_MAX_NAME + 1], key_id[VAULT_MAX_NAME + 1];
	char		info[513];
};

/* Fetch the listing; *n entries into a malloc'd *out. */
static int
list(struct vaultctl *vc, struct entry **out, size_t *n)
{
	struct msg_w	 w;
	struct msg	 m;
	struct msg_rd	 l, e;
	struct entry	*v = NULL;
	uint32_t	 i;
	int		 r;

	*out = NULL;
	*n = 0;
	if ((r = vaultctl_connect(vc)) != 0)
		return r;
	msg_begin(&w, MSG_CTL_LIST_REQ, ++vc->next_id);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_LIST_ANS, &m)) != 0)
		return r;
	if ((r = msg_get_array(&m.rd, &l, VAULT_MAX_RECORDS)) != 0)
		goto out;
	if ((v = calloc(l.n + 1, sizeof(*v))) == NULL) {
		r = CV_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		if ((r = msg_get_array(&l, &e, 6)) != 0 ||
		    (r = msg_get_u64(&e, &v[i].type)) != 0 ||
		    (r = msg_get_u64(&e, &v[i].flags)) != 0 ||
		    (r = msg_get_strbuf(&e, v[i].account,
		    sizeof(v[i].account))) != 0 ||
		    (r = msg_get_strbuf(&e, v[i].key_id,
		    sizeof(v[i].key_id))) != 0 ||
		    (r = msg_get_u64(&e, &v[i].nonce)) != 0 ||
		    (r = msg_get_strbuf(&e, v[i].info, sizeof(v[i].info))) != 0)
			goto out;
	}
	*out = v;
	*n = l.n;
	v = NULL;
 out:
	free(v);
	msg_clear(&m);
	return r;
}

static const char	*type_name(uint64_t);

/*
 * account remove NAME [--force]: an account goes with every key it
 * holds, so while it holds any (a wallet key, API or builder
 * credentials, an invitation code) it is removed only with --force,
 * and what is destroyed is listed first.
 */
static int
account_remove(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl account remove NAME "
	    "[--force]";
	struct entry		*v = NULL;
	const char		*name = NULL;
	size_t			 n, i, held = 0;
	int			 force = 0, found = 0, k, r;

	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--force") == 0 && !force)
			force = 1;
		else if (argv[k][0] != '-' && name == NULL)
			name = argv[k];
		else
			return vaultctl_fail(vc, use, CV_ERR_USAGE);
	}
	if (name == NULL)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if ((r = list(vc, &v, &n)) != 0)
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
		    name, held, held == 1 ? "" : "s", force ? "are destroyed" :
		    "would be destroyed");
		for (i = 0; i < n; i++)
			if (strcmp(v[i].account, name) == 0 &&
			    v[i].type != VAULT_REC_ACCOUNT)
				fprintf(stderr, "  %-8s %s%s%s\n",
				    type_name(v[i].type), v[i].key_id,
				    v[i].key_id[0] ? " " : "", v[i].info);
	}
	free(v);
	if (held > 0 && !force) {
		snprintf(vc->errtext, sizeof(vc->errtext), "account %s holds "
		    "%zu key%s (a generated wallet key cannot be recovered): "
		    "add --force to destroy them with it", name, held,
		    held == 1 ? "" : "s");
		return vaultctl_fail(vc, "account remove", CV_ERR_EXISTS);
	}
	return del(vc, "account remove", VAULT_REC_ACCOUNT, name, "");
}

static const char *
type_name(uint64_t t)
{
	switch (t) {
	case VAULT_REC_ACCOUNT:		return "account";
	case VAULT_REC_WALLET_KEY:	return "wallet";
	case VAULT_REC_API_CRED:	return "apikey";
	case VAULT_REC_BUILDER_CRED:	return "builder";
	case VAULT_REC_INVITE:		return "invite";
	}
	return "?";
}

/*
 * Print the entries of type (0: every type) for account (NULL: all).
 * CV_ERR_NOTFOUND when one account was asked for and it is not there.
 */
static int
show(struct vaultctl *vc, const char *what, uint64_t type,
    const char *account)
{
	struct entry	*v;
	json_t		*arr, *o;
	size_t		 n, i, shown = 0;
	int		 r, found = account == NULL;

	if ((r = list(vc, &v, &n)) != 0)
		return vaultctl_fail(vc, what, r);
	arr = json_array();
	for (i = 0; i < n; i++) {
		if (account != NULL && strcmp(v[i].account, account) != 0)
			continue;
		if (v[i].type == VAULT_REC_ACCOUNT)
			found = 1;
		if (type != 0 && v[i].type != type)
			continue;
		shown++;
		if (vc->json) {
			o = json_pack("{s:s, s:s, s:s, s:I, s:s}", "type",
			    type_name(v[i].type), "account", v[i].account,
			    "key_id", v[i].key_id, "nonce",
			    (json_int_t)v[i].nonce, "info", v[i].info);
			json_array_append_new(arr, o);
		} else
			printf("%-8s %-16s %-38s %6llu  %s\n",
			    type_name(v[i].type), v[i].account,
			    v[i].key_id[0] ? v[i].key_id : "-",
			    (unsigned long long)v[i].nonce, v[i].info);
	}
	free(v);
	if (!found) {
		json_decref(arr);
		snprintf(vc->errtext, sizeof(vc->errtext), "no account %s",
		    account);
		return vaultctl_fail(vc, what, CV_ERR_NOTFOUND);
	}
	if (vc->json)
		vaultctl_print_json(json_pack("{s:s, s:o}", "result", what,
		    "entries", arr));
	else {
		json_decref(arr);
		if (shown == 0)
			printf("(none)\n");
	}
	return EXIT_OK;
}

/* What the listing says of one account: its settings, its keys counted. */
static json_t *
account_row(const struct entry *v, size_t n, const struct entry *acct)
{
	json_t		*info, *o;
	const char	*address = NULL, *invite = "none";
	json_int_t	 api = 0, builder = 0;
	size_t		 i;

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
	o = json_pack("{s:s, s:s, s:s, s:b, s:s?, s:I, s:I, s:s}", "name",
	    acct->account, "profile", json_is_string(json_object_get(info,
	    "profile")) ? json_string_value(json_object_get(info, "profile")) :
	    "?", "url", json_is_string(json_object_get(info, "url")) ?
	    json_string_value(json_object_get(info, "url")) : "",
	    "wallet", address != NULL, "address", address, "api_keys", api,
	    "builder_keys", builder, "invite", invite);
	if (o != NULL && json_is_string(json_object_get(info, "ca_file")))
		json_object_set(o, "ca_file", json_object_get(info, "ca_file"));
	if (o != NULL && json_is_string(json_object_get(info, "pin")))
		json_object_set(o, "pin", json_object_get(info, "pin"));
	json_decref(info);
	return o;
}

/* account list: the accounts only, one row each, a header row. */
static int
account_list(struct vaultctl *vc)
{
	struct entry	*v = NULL;
	json_t		*arr = NULL, *o;
	size_t		 n, i;
	int		 r;

	if ((r = list(vc, &v, &n)) != 0)
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

/*
 * keys list [--account A]: every record but the accounts, one row each:
 * its type, account, key id, nonce and public fact.
 */
int
cmd_keys(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl keys list "
	    "[--account A]";
	struct rec_args		 a;
	struct entry		*v = NULL;
	json_t			*arr = NULL, *o;
	size_t			 n, i;
	int			 r, found;

	if (argc < 2 || strcmp(argv[1], "list") != 0 ||
	    rec_args(vc, argc, argv, 2, &a) != 0 || a.profile != NULL ||
	    a.url != NULL || a.ca != NULL || a.file != NULL ||
	    a.pin != NULL || a.local || a.nonce != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if ((r = list(vc, &v, &n)) != 0)
		goto out;
	r = CV_ERR_NOMEM;
	if ((arr = json_array()) == NULL)
		goto out;
	found = a.account == NULL;
	for (i = 0; i < n; i++) {
		if (a.account != NULL && strcmp(v[i].account, a.account) != 0)
			continue;
		if (v[i].type == VAULT_REC_ACCOUNT) {
			found = 1;
			continue;
		}
		o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:b, s:b}", "type",
		    type_name(v[i].type), "account", v[i].account, "key_id",
		    v[i].key_id, "nonce", (json_int_t)v[i].nonce, "info",
		    v[i].info, "revoked", (v[i].flags & VAULT_RECF_REVOKED) !=
		    0, "used", (v[i].flags & VAULT_RECF_USED) != 0);
		if (json_array_append_new(arr, o) != 0)
			goto out;
	}
	if (!found) {
		snprintf(vc->errtext, sizeof(vc->errtext), "no account %s",
		    a.account);
		r = CV_ERR_NOTFOUND;
		goto out;
	}
	r = 0;
	if (vc->json) {
		vaultctl_print_json(arr);
		arr = NULL;
		goto out;
	}
	if (json_array_size(arr) == 0)
		printf("no keys\n");
	else
		printf("%-8s %-16s %-38s %6s  %s\n", "TYPE", "ACCOUNT",
		    "KEY ID", "NONCE", "INFO");
	json_array_foreach(arr, i, o)
		printf("%-8s %-16s %-38s %6lld  %s%s\n",
		    json_string_value(json_object_get(o, "type")),
		    json_string_value(json_object_get(o, "account")),
		    *json_string_value(json_object_get(o, "key_id")) ?
		    json_string_value(json_object_get(o, "key_id")) : "-",
		    (long long)json_integer_value(json_object_get(o, "nonce")),
		    json_string_value(json_object_get(o, "info")),
		    json_is_true(json_object_get(o, "revoked")) ?
		    " (revoked)" : "");
 out:
	free(v);
	json_decref(arr);
	return r == 0 ? EXIT_OK : vaultctl_fail(vc, "keys list", r);
}

/*
 * A public key pin as libcurl takes it (CURLOPT_PINNEDPUBLICKEY):
 * "sha256//" and the base64 of 32 bytes, several joined with ';'.
 */
static int
pin_valid(const char *s)
{
	size_t	i;

	for (;;) {
		if (strncmp(s, "sha256//", 8) != 0)
			return 0;
		s += 8;
		for (i = 0; i < 43; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
			    s[i] != '/')
				return 0;
		if (s[43] != '=')
			return 0;
		s += 44;
		if (*s == '\0')
			return 1;
		if (*s++ != ';')
			return 0;
	}
}

/* 0 if --account was given (the caller reports its absence). */
static int
need_account(struct vaultctl *vc, const struct rec_args *a, const char *use)
{
	if (a->account != NULL)
		return 0;
	snprintf(vc->errtext, sizeof(vc->errtext), "--account A is required");
	return -1;
}

int
cmd_account(struct vaultctl *vc, int argc, char **argv)
{
	const struct profile	*p;
	struct rec_args		 a;
	struct url_parts	 up;
	json_t			*j;
	char			*payload, ca[4096], why[160];
	int			 r;

	if (argc >= 3 && strcmp(argv[1], "add") == 0 &&
	    rec_args(vc, argc, argv, 3, &a) == 0 && a.profile != NULL &&
	    a.file == NULL && !a.local) {
		if ((p = profile_find(a.profile)) == NULL)
			return vaultctl_fail(vc, "account add: unknown profile "
			    "(openfish, polymarket or omnia)", CV_ERR_USAGE);
		if (a.pin != NULL && !pin_valid(a.pin))
			return vaultctl_fail(vc, "account add: --pin takes "
			    "sha256//BASE64 (the base64 SHA-256 of the server's "
			    "public key; several joined with ;)", CV_ERR_USAGE);
		/* vaultd checks it again: this is for a clear message */
		if (a.url != NULL &&
		    url_parse(a.url, &up, why, sizeof(why)) != 0) {
			snprintf(vc->errtext, sizeof(vc->errtext), "%.80s: %.150s",
			    a.url, why);
			return vaultctl_fail(vc, "account add", CV_ERR_INVALID);
		}
		if (a.pin != NULL && a.url != NULL &&
		    strcmp(up.scheme, "https") != 0)
			return vaultctl_fail(vc, "account add: --pin needs an "
			    "https:// URL", CV_ERR_USAGE);
		if (a.ca != NULL && realpath(a.ca, ca) == NULL) {
			snprintf(vc->errtext, sizeof(vc->errtext), "%s: %s",
			    a.ca, strerror(errno));
			return vaultctl_fail(vc, "account add", CV_ERR_NOTFOUND);
		}
		j = json_pack("{s:s, s:s}", "profile", p->name, "url",
		    a.url ? a.url : p->base_url);
		if (a.ca != NULL)
			json_object_set_new(j, "ca_file", json_string(ca));
		if (a.pin != NULL)
			json_object_set_new(j, "pin", json_string(a.pin));
		payload = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(j);
		if (payload == NULL)
			return vaultctl_fail(vc, "account add", CV_ERR_NOMEM);
		r = put(vc, "account add", VAULT_REC_ACCOUNT, argv[2], "", 0,
		    (const uint8_t *)payload, strlen(payload), "added account");
		vaultctl_json_free(payload);
		return r;
	}
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return account_list(vc);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "remove") == 0)
		return account_remove(vc, argc - 1, argv + 1);
	return vaultctl_fail(vc, "usage: vaultctl account add NAME --profile "
	    "openfish|polymarket|omnia [--url URL] [--ca-file F] "
	    "[--pin sha256//BASE64] | account list | account remove NAME "
	    "[--force]", CV_ERR_USAGE);
}

int
cmd_wallet(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl wallet generate|"
	    "address --account A | wallet import --account A [--from-file F] "
	    "(hex key on standard input)";
	struct rec_args		 a;
	struct secret		 text, key;
	size_t			 len;
	int			 r;

	if (argc < 2 || rec_args(vc, argc, argv, 2, &a) != 0 ||
	    need_account(vc, &a, use) != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if (strcmp(argv[1], "generate") == 0 && a.file == NULL)
		return put(vc, "wallet generate", VAULT_REC_WALLET_KEY,
		    a.account, "", 0, NULL, 0, "wallet address");
	if (strcmp(argv[1], "address") == 0 && a.file == NULL)
		return show(vc, "wallet address", VAULT_REC_WALLET_KEY,
		    a.account);
	if (strcmp(argv[1], "import") != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	r = a.file ? secret_read_file(a.file, &text, 256) :
	    secret_read_fd(STDIN_FILENO, &text, 256);
	if (r != 0) {
		snprintf(vc->errtext, sizeof(vc->errtext), "cannot read the "
		    "key: %s", cv_strerror(r));
		return vaultctl_fail(vc, "wallet import", r);
	}
	if ((r = secret_alloc(&key, 32)) == 0 &&
	    (r = hex_decode((const char *)text.p, text.len, key.p, 32,
	    &len)) == 0 && len != 32)
		r = CV_ERR_DECODE;
	secret_free(&text);
	if (r != 0) {
		secret_free(&key);
		snprintf(vc->errtext, sizeof(vc->errtext), "the key must be "
		    "64 hex digits (0x optional)");
		return vaultctl_fail(vc, "wallet import", CV_ERR_INVALID);
	}
	r = put(vc, "wallet import", VAULT_REC_WALLET_KEY, a.account, "", 0,
	    key.p, 32, "wallet address");
	secret_free(&key);
	return r;
}

/*
 * One string field of the imported object into *out (NULL if absent).
 * -1 with the reason in why when it is there but not a non-empty string.
 */
static int
cred_field(json_t *j, const char *name, const char **out, char *why,
    size_t wlen)
{
	json_t	*v;

	*out = NULL;
	if ((v = json_object_get(j, name)) == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0) {
		snprintf(why, wlen, "\"%s\" must be a non-empty string",
		    name);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/*
 * {"apiKey" (or "key"), "secret", "passphrase"} from text: the key id
 * into key_id, "secret\0passphrase" into guarded memory.  jansson's
 * blocks are wiped when freed (main sets the allocator for the whole
 * run).  -1 with the reason in why, which never quotes the input.
 */
static int
cred_payload(struct secret *text, char *key_id, size_t klen,
    struct secret *payload, char *why, size_t wlen)
{
	json_t		*j;
	json_error_t	 err;
	const char	*k, *k2, *s, *p;
	size_t		 sl, pl;
	int		 r = -1;

	memset(payload, 0, sizeof(*payload));
	j = json_loadb((const char *)text->p, text->len,
	    JSON_REJECT_DUPLICATES, &err);
	/* err.text may hold a piece of the input: only where it broke */
	if (j == NULL) {
		snprintf(why, wlen, "the input is not JSON (line %d, column "
		    "%d)", err.line, err.column);
		goto out;
	}
	if (!json_is_object(j)) {
		snprintf(why, wlen, "the input must be one JSON object");
		goto out;
	}
	if (cred_field(j, "apiKey", &k, why, wlen) != 0 ||
	    cred_field(j, "key", &k2, why, wlen) != 0 ||
	    cred_field(j, "secret", &s, why, wlen) != 0 ||
	    cred_field(j, "passphrase", &p, why, wlen) != 0)
		goto out;
	if (k == NULL)
		k = k2;
	if (k == NULL || s == NULL || p == NULL) {
		snprintf(why, wlen, "\"%s\" is missing", k == NULL ?
		    "apiKey" : s == NULL ? "secret" : "passphrase");
		goto out;
	}
	if (strlen(k) >= klen || !vault_fmt_name_valid(k, strlen(k))) {
		snprintf(why, wlen, "\"apiKey\" must be 1 to %d letters, "
		    "digits or . _ : @ -", VAULT_MAX_NAME);
		goto out;
	}
	snprintf(key_id, klen, "%s", k);
	sl = strlen(s);
	pl = strlen(p);
	if (secret_alloc(payload, sl + 1 + pl) != 0) {
		snprintf(why, wlen, "out of memory");
		goto out;
	}
	memcpy(payload->p, s, sl);
	payload->p[sl] = '\0';
	memcpy(payload->p + sl + 1, p, pl);
	r = 0;
 out:
	json_decref(j);
	return r;
}

static int
cred_import(struct vaultctl *vc, const char *what, uint8_t type,
    const struct rec_args *a)
{
	struct secret	text, payload;
	char		key_id[VAULT_MAX_NAME + 1], why[128];
	int		r;

	r = a->file ? secret_read_file(a->file, &text, SECRET_IO_MAX) :
	    secret_read_fd(STDIN_FILENO, &text, SECRET_IO_MAX);
	if (r == CV_ERR_TOOLONG || r == CV_ERR_INVALID) {
		snprintf(vc->errtext, sizeof(vc->errtext), "%s: expected JSON "
		    "{\"apiKey\", \"secret\", \"passphrase\"} %s",
		    r == CV_ERR_INVALID ? "nothing to read" :
		    "more than 4096 bytes", a->file ? "in the file" :
		    "on standard input");
		return vaultctl_fail(vc, what, CV_ERR_USAGE);
	}
	if (r != 0) {
		snprintf(vc->errtext, sizeof(vc->errtext), "cannot read the "
		    "key: %s", cv_strerror(r));
		return vaultctl_fail(vc, what, r);
	}
	r = cred_payload(&text, key_id, sizeof(key_id), &payload, why,
	    sizeof(why));
	secret_free(&text);
	if (r != 0) {
		snprintf(vc->errtext, sizeof(vc->errtext), "%s: expected JSON "
		    "{\"apiKey\", \"secret\", \"passphrase\"}", why);
		return vaultctl_fail(vc, what, CV_ERR_USAGE);
	}
	r = put(vc, what, type, a->account, key_id, a->nonce, payload.p,
	    payload.len, "stored key, fingerprint");
	secret_free(&payload);
	return r;
}

/* The vault's own API keys: import one, or list them (--local). */
int
rec_apikey(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl apikey import "
	    "--account A [--nonce N] [--from-file F] (JSON on standard "
	    "input) | apikey list --local --account A";
	struct rec_args		 a;

	if (argc < 2 || rec_args(vc, argc, argv, 2, &a) != 0 ||
	    need_account(vc, &a, use) != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if (strcmp(argv[1], "import") == 0 && !a.local)
		return cred_import(vc, "apikey import", VAULT_REC_API_CRED, &a);
	if (strcmp(argv[1], "list") == 0 && a.local && a.file == NULL)
		return show(vc, "apikey list", VAULT_REC_API_CRED, a.account);
	return vaultctl_fail(vc, use, CV_ERR_USAGE);
}

/* The vault's builder keys (--local). */
int
rec_builder(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl builder list --local "
	    "--account A";
	struct rec_args		 a;

	if (argc < 2 || strcmp(argv[1], "list") != 0 ||
	    rec_args(vc, argc, argv, 2, &a) != 0 || !a.local ||
	    a.file != NULL || need_account(vc, &a, use) != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	return show(vc, "builder list", VAULT_REC_BUILDER_CRED, a.account);
}

int
cmd_invite(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl invite set|show|clear "
	    "--account A (set reads the code on standard input)";
	struct rec_args		 a;
	struct secret		 code;
	int			 r;

	if (argc < 2 || rec_args(vc, argc, argv, 2, &a) != 0 ||
	    need_account(vc, &a, use) != 0 || a.file != NULL)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if (strcmp(argv[1], "show") == 0)
		return show(vc, "invite show", VAULT_REC_INVITE, a.account);
	if (strcmp(argv[1], "clear") == 0)
		return del(vc, "invite clear", VAULT_REC_INVITE, a.account, "");
	if (strcmp(argv[1], "set") != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if ((r = secret_read_fd(STDIN_FILENO, &code, 256)) != 0)
		return vaultctl_fail(vc, "invite set", r);
	r = put(vc, "invite set", VAULT_REC_INVITE, a.account, "", 0, code.p,
	    code.len, "invitation code stored");
	secret_free(&code);
	return r;
}
