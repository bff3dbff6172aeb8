/*
 * vaultctl wallet, apikey, invite, keys: what the vault holds, and the
 * record requests every command of it shares (list, put, del).  Keys and
 * codes are read from standard input (or a private file), never from
 * argv; what is printed is public: addresses, key ids, fingerprints,
 * masked codes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/encode.h"
#include "common/netcall.h"
#include "common/profile.h"
#include "common/secret_io.h"
#include "common/vault_fmt.h"
#include "vaultctl/vaultctl.h"

struct rec_args {
	const char	*account, *file, *key_id;
	const char	*pass, *key;	/* the vault's credential, from files */
	uint64_t	 nonce;
	int		 local;
};

static const struct option rec_opts[] = {
	{ "account",	required_argument, NULL, 'a' },
	{ "from-file",	required_argument, NULL, 'f' },
	{ "nonce",	required_argument, NULL, 'n' },
	{ "local",	no_argument, NULL, 'l' },
	{ "key-id",	required_argument, NULL, 'k' },
	{ "passphrase-file", required_argument, NULL, 'p' },
	{ "keyfile",	required_argument, NULL, 'K' },
	{ NULL, 0, NULL, 0 }
};

/*
 * Parse options after argv[first]; positional words are not allowed,
 * nor the vault's credential unless cred (a removal: it takes it).
 * -1 on a usage error (what is wrong in errtext, when known).
 */
static int
rec_args(struct vaultctl *vc, int argc, char **argv, int first,
    struct rec_args *a, int cred)
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
		case 'f': a->file = optarg; break;
		case 'l': a->local = 1; break;
		case 'k': a->key_id = optarg; break;
		case 'p': a->pass = optarg; break;
		case 'K': a->key = optarg; break;
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
	if ((a->pass != NULL || a->key != NULL) && !cred) {
		snprintf(vc->errtext, sizeof(vc->errtext), "--passphrase-file "
		    "and --keyfile go with a removal from the vault only");
		return -1;
	}
	if (a->pass != NULL && a->key != NULL) {
		snprintf(vc->errtext, sizeof(vc->errtext), "--passphrase-file "
		    "or --keyfile, not both");
		return -1;
	}
	return 0;
}

int
vaultctl_put_rec(struct vaultctl *vc, uint8_t type, const char *account,
    const char *key_id, uint64_t nonce, const uint8_t *p, size_t len,
    char *info, size_t infolen)
{
	return vaultctl_put_rec_cred(vc, NULL, 0, type, account, key_id,
	    nonce, p, len, info, infolen);
}

int
vaultctl_put_rec_cred(struct vaultctl *vc, const struct secret *cred,
    int keyfile, uint8_t type, const char *account, const char *key_id,
    uint64_t nonce, const uint8_t *p, size_t len, char *info,
    size_t infolen)
{
	struct msg_w	 w;
	struct msg	 m;
	int		 r;

	if ((r = vaultctl_connect(vc)) != 0)
		return r;
	msg_begin(&w, MSG_CTL_PUT_REQ, ++vc->next_id);
	msg_put_u64(&w, type);
	msg_put_str(&w, account);
	msg_put_str(&w, key_id);
	msg_put_u64(&w, nonce);
	msg_put_bin(&w, p, len);
	if (cred != NULL)
		msg_put_bin(&w, cred->p, cred->len);
	else
		msg_put_bin(&w, "", 0);		/* none */
	msg_put_bool(&w, cred != NULL && keyfile);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_PUT_ANS, &m)) != 0)
		return r;
	r = msg_get_strbuf(&m.rd, info, infolen);
	msg_clear(&m);
	return r;
}

int
vaultctl_put(struct vaultctl *vc, const char *what, uint8_t type,
    const char *account, const char *key_id, uint64_t nonce,
    const uint8_t *p, size_t len, const char *human)
{
	char	info[VAULT_MAX_INFO + 1];
	int	r;

	if ((r = vaultctl_put_rec(vc, type, account, key_id, nonce, p, len,
	    info, sizeof(info))) != 0)
		return vaultctl_fail(vc, what, r);
	if (vc->json)
		vaultctl_print_json(json_pack("{s:s, s:s, s:s, s:s}",
		    "result", what, "account", account, "key_id", key_id,
		    "info", info));
	else
		printf("%s: %s\n", human, info);
	return EXIT_OK;
}

int
vaultctl_del_cred(struct vaultctl *vc, const struct secret *cred,
    int keyfile, const char *what, uint8_t type, const char *account,
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
	if (cred != NULL)
		msg_put_bin(&w, cred->p, cred->len);
	else
		msg_put_bin(&w, "", 0);		/* none */
	msg_put_bool(&w, cred != NULL && keyfile);
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

int
vaultctl_active_key(const struct vaultctl_rec *v, size_t n, uint64_t type,
    const char *account, const char **key_id)
{
	const char	*only = NULL;
	size_t		 i, keys = 0;

	*key_id = NULL;
	for (i = 0; i < n; i++) {
		if (v[i].type != type || strcmp(v[i].account, account) != 0)
			continue;
		if (v[i].flags & VAULT_RECF_ACTIVE) {
			*key_id = v[i].key_id;
			return 0;
		}
		only = v[i].key_id;
		keys++;
	}
	if (keys == 1) {
		*key_id = only;
		return 0;
	}
	return keys == 0 ? CV_ERR_NOTFOUND : CV_ERR_EXISTS;
}

const struct vaultctl_rec *
vaultctl_rec_find(const struct vaultctl_rec *v, size_t n, uint64_t type,
    const char *account, const char *key_id)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (v[i].type == type && strcmp(v[i].account, account) == 0 &&
		    strcmp(v[i].key_id, key_id) == 0)
			return &v[i];
	return NULL;
}

int64_t
vaultctl_age_days(int64_t created, int64_t now)
{
	return now > created ? (now - created) / 86400 : 0;
}

/* 1 if v[i] is the active key of its kind (vaultctl_active_key). */
static int
is_active(const struct vaultctl_rec *v, size_t n, size_t i)
{
	const char	*k;

	if ((v[i].type != VAULT_REC_API_CRED &&
	    v[i].type != VAULT_REC_BUILDER_CRED) ||
	    vaultctl_active_key(v, n, v[i].type, v[i].account, &k) != 0)
		return 0;
	return k == v[i].key_id;
}

/* apikey use, builder use: make key_id the account's active key. */
static int
use_key(struct vaultctl *vc, const char *what, uint8_t type,
    const char *account, const char *key_id)
{
	struct vaultctl_rec	*v = NULL;
	struct msg_w		 w;
	struct msg		 m;
	size_t			 n;
	int			 r, held;

	if ((r = vaultctl_list(vc, &v, &n)) != 0)
		return vaultctl_fail(vc, what, r);
	held = vaultctl_rec_find(v, n, type, account, key_id) != NULL;
	free(v);
	if (!held) {
		snprintf(vc->errtext, sizeof(vc->errtext), "account %s holds "
		    "no %s key %s: see vaultctl %s list --local --account %s",
		    account, type == VAULT_REC_API_CRED ? "API" : "builder",
		    key_id, vaultctl_type_name(type), account);
		return vaultctl_fail(vc, what, CV_ERR_NOTFOUND);
	}
	msg_begin(&w, MSG_CTL_USE_REQ, ++vc->next_id);
	msg_put_u64(&w, type);
	msg_put_str(&w, account);
	msg_put_str(&w, key_id);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_USE_ANS, &m)) != 0)
		return vaultctl_fail(vc, what, r);
	msg_clear(&m);
	if (vc->json)
		vaultctl_print_json(json_pack("{s:s, s:s, s:s, s:b}", "result",
		    what, "account", account, "key_id", key_id, "ok", 1));
	else
		printf("%s: %s is the active %s key of %s\n", what, key_id,
		    type == VAULT_REC_API_CRED ? "API" : "builder", account);
	return EXIT_OK;
}

/* A key's info ends in " created=T" when signerd knows: into created. */
static void
created_split(struct vaultctl_rec *v)
{
	char		*p;
	long long	 t;
	int		 end = 0;

	v->created = 0;
	if ((v->type != VAULT_REC_API_CRED &&
	    v->type != VAULT_REC_BUILDER_CRED) ||
	    (p = strrchr(v->info, ' ')) == NULL ||
	    strncmp(p + 1, VAULT_CREATED_TAG, strlen(VAULT_CREATED_TAG)) != 0)
		return;
	if (sscanf(p + 1 + strlen(VAULT_CREATED_TAG), "%18lld%n", &t,
	    &end) != 1 || p[1 + strlen(VAULT_CREATED_TAG) + end] != '\0' ||
	    t <= 0)
		return;
	v->created = t;
	*p = '\0';
}

void
vaultctl_age_text(int64_t created, char *out, size_t len)
{
	struct tm	tm;
	time_t		t = (time_t)created, now = time(NULL);
	char		day[16];

	out[0] = '\0';
	if (created <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
		return;
	snprintf(out, len, "created %s (%lld d)", day,
	    (long long)vaultctl_age_days(created, now));
}

int
vaultctl_list(struct vaultctl *vc, struct vaultctl_rec **out, size_t *n)
{
	struct msg_w		 w;
	struct msg		 m;
	struct msg_rd		 l, e;
	struct vaultctl_rec	*v = NULL;
	uint32_t		 i;
	int			 r;

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
		created_split(&v[i]);
	}
	*out = v;
	*n = l.n;
	v = NULL;
 out:
	free(v);
	msg_clear(&m);
	return r;
}

const char *
vaultctl_type_name(uint64_t t)
{
	switch (t) {
	case VAULT_REC_ACCOUNT:		return "account";
	case VAULT_REC_WALLET_KEY:	return "wallet";
	case VAULT_REC_API_CRED:	return "apikey";
	case VAULT_REC_BUILDER_CRED:	return "builder";
	case VAULT_REC_INVITE:		return "invite";
	case VAULT_REC_CLIENT:		return "client";
	}
	return "?";
}

/* "created" (unix seconds) and "age_days" of a key, when known. */
static void
key_age_json(json_t *o, int64_t created)
{
	time_t	now = time(NULL);

	if (created <= 0)
		return;
	json_object_set_new(o, "created", json_integer(created));
	json_object_set_new(o, "age_days", json_integer(
	    vaultctl_age_days(created, now)));
}

/*
 * Print the entries of type (0: every type) for account (NULL: all).
 * CV_ERR_NOTFOUND when one account was asked for and it is not there.
 */
static int
show(struct vaultctl *vc, const char *what, uint64_t type,
    const char *account)
{
	struct vaultctl_rec	*v;
	json_t			*arr, *o;
	char			 age[64];
	size_t			 n, i, shown = 0;
	int			 r, found = account == NULL;

	if ((r = vaultctl_list(vc, &v, &n)) != 0)
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
			    vaultctl_type_name(v[i].type), "account",
			    v[i].account, "key_id", v[i].key_id, "nonce",
			    (json_int_t)v[i].nonce, "info", v[i].info);
			if (o != NULL && (v[i].type == VAULT_REC_API_CRED ||
			    v[i].type == VAULT_REC_BUILDER_CRED)) {
				json_object_set_new(o, "active",
				    json_boolean(is_active(v, n, i)));
				key_age_json(o, v[i].created);
			}
			json_array_append_new(arr, o);
		} else {
			vaultctl_age_text(v[i].created, age, sizeof(age));
			printf("%-8s %-16s %-38s %6llu  %s%s%s%s\n",
			    vaultctl_type_name(v[i].type), v[i].account,
			    v[i].key_id[0] ? v[i].key_id : "-",
			    (unsigned long long)v[i].nonce, v[i].info,
			    age[0] ? "  " : "", age,
			    is_active(v, n, i) ? "  (active)" : "");
		}
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
	struct vaultctl_rec	*v = NULL;
	json_t			*arr = NULL, *o;
	char			 age[64];
	size_t			 n, i;
	int			 r, found;

	if (argc < 2 || strcmp(argv[1], "list") != 0 ||
	    rec_args(vc, argc, argv, 2, &a, 0) != 0 || a.file != NULL ||
	    a.key_id != NULL ||
	    a.local || a.nonce != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if ((r = vaultctl_list(vc, &v, &n)) != 0)
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
		    vaultctl_type_name(v[i].type), "account", v[i].account,
		    "key_id", v[i].key_id, "nonce", (json_int_t)v[i].nonce,
		    "info", v[i].info, "revoked", (v[i].flags &
		    VAULT_RECF_REVOKED) != 0, "used", (v[i].flags &
		    VAULT_RECF_USED) != 0);
		if (o != NULL && (v[i].type == VAULT_REC_API_CRED ||
		    v[i].type == VAULT_REC_BUILDER_CRED)) {
			json_object_set_new(o, "active",
			    json_boolean(is_active(v, n, i)));
			key_age_json(o, v[i].created);
		}
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
	json_array_foreach(arr, i, o) {
		vaultctl_age_text(json_integer_value(json_object_get(o,
		    "created")), age, sizeof(age));
		printf("%-8s %-16s %-38s %6lld  %s%s%s%s\n",
		    json_string_value(json_object_get(o, "type")),
		    json_string_value(json_object_get(o, "account")),
		    *json_string_value(json_object_get(o, "key_id")) ?
		    json_string_value(json_object_get(o, "key_id")) : "-",
		    (long long)json_integer_value(json_object_get(o, "nonce")),
		    json_string_value(json_object_get(o, "info")),
		    age[0] ? "  " : "", age,
		    json_is_true(json_object_get(o, "revoked")) ?
		    " (revoked)" : json_is_true(json_object_get(o, "active")) ?
		    "  (active)" : "");
	}
 out:
	free(v);
	json_decref(arr);
	return r == 0 ? EXIT_OK : vaultctl_fail(vc, "keys list", r);
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
cmd_wallet(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl wallet generate|"
	    "address --account A | wallet import --account A [--from-file F] "
	    "(hex key on standard input)";
	struct rec_args		 a;
	struct secret		 text, key;
	size_t			 len;
	int			 r;

	if (argc < 2 || rec_args(vc, argc, argv, 2, &a, 0) != 0 ||
	    need_account(vc, &a, use) != 0 || a.key_id != NULL)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if (strcmp(argv[1], "generate") == 0 && a.file == NULL)
		return vaultctl_put(vc, "wallet generate", VAULT_REC_WALLET_KEY,
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
	r = vaultctl_put(vc, "wallet import", VAULT_REC_WALLET_KEY, a.account,
	    "", 0, key.p, 32, "wallet address");
	secret_free(&key);
	return r;
}

/*
 * One string field of the imported object into *out (NULL if absent).
 * -1 with the reason in why when it is there but not a non-empty string.
 */
static int	omnia_payload(json_t *, char *, size_t, struct secret *, char *,
		    size_t);

#define OMNIA_SHAPE	"{\"apiKeyId\", \"apiKeySecret\", \"permissions\"?}"

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
    struct secret *payload, char *why, size_t wlen, int bearer)
{
	json_t		*j;
	json_error_t	 err;
	const char	*k, *k2, *s, *p;
	size_t		 sl, pl;
	int		 r = -1, omnia;

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
	/* the shape must be the account's: never one read as the other */
	omnia = json_object_get(j, "apiKeyId") != NULL ||
	    json_object_get(j, "apiKeySecret") != NULL;
	if (omnia != bearer) {
		snprintf(why, wlen, "%s", bearer ? "an Openfish or Polymarket "
		    "key for an Omnia account" : "an Omnia key (apiKeyId) for "
		    "an Openfish or Polymarket account");
		goto out;
	}
	if (bearer) {
		r = omnia_payload(j, key_id, klen, payload, why, wlen);
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

/*
 * Omnia's {"apiKeyId", "apiKeySecret", "permissions"?}: the key id into
 * key_id, "secret\0perm,perm" into guarded memory.  -1 and why.
 */
static int
omnia_payload(json_t *j, char *key_id, size_t klen, struct secret *payload,
    char *why, size_t wlen)
{
	char		 list[NETCALL_VALUE_MAX + 1];
	char		 one[NETCALL_PERMS_MAX][NETCALL_PERM_MAX + 1];
	const char	*k, *s, *key;
	json_t		*perms, *v;
	size_t		 sl, ll = 0, i, n;

	if (cred_field(j, "apiKeyId", &k, why, wlen) != 0 ||
	    cred_field(j, "apiKeySecret", &s, why, wlen) != 0)
		return -1;
	json_object_foreach(j, key, v)
		if (strcmp(key, "apiKeyId") != 0 &&
		    strcmp(key, "apiKeySecret") != 0 &&
		    strcmp(key, "permissions") != 0) {
			snprintf(why, wlen, "unknown member \"%.32s\"", key);
			return -1;
		}
	if (k == NULL || s == NULL) {
		snprintf(why, wlen, "\"%s\" is missing", k == NULL ?
		    "apiKeyId" : "apiKeySecret");
		return -1;
	}
	if (strlen(k) >= klen || !vault_fmt_name_valid(k, strlen(k))) {
		snprintf(why, wlen, "\"apiKeyId\" must be 1 to %d letters, "
		    "digits or . _ : @ -", VAULT_MAX_NAME);
		return -1;
	}
	sl = strlen(s);
	for (i = 0; i < sl; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || sl > 256) {
			snprintf(why, wlen, "\"apiKeySecret\" must be 1 to 256 "
			    "printable characters, no spaces");
			return -1;
		}
	list[0] = '\0';
	perms = json_object_get(j, "permissions");
	if (perms != NULL && !json_is_array(perms))
		goto badperms;
	json_array_foreach(perms, i, v) {
		if (!json_is_string(v) || ll + 1 + json_string_length(v) >=
		    sizeof(list))
			goto badperms;
		ll += (size_t)snprintf(list + ll, sizeof(list) - ll, "%s%s",
		    ll ? "," : "", json_string_value(v));
	}
	if (netcall_perms_split(list, one, &n) != 0 ||
	    (perms != NULL && strlen(list) != ll))
		goto badperms;
	snprintf(key_id, klen, "%s", k);
	if (secret_alloc(payload, sl + 1 + ll) != 0) {
		snprintf(why, wlen, "out of memory");
		return -1;
	}
	memcpy(payload->p, s, sl);
	payload->p[sl] = '\0';
	memcpy(payload->p + sl + 1, list, ll);
	return 0;
 badperms:
	snprintf(why, wlen, "\"permissions\" must be a list of distinct "
	    "strings of a-z 0-9 : . _ - (at most %d)", NETCALL_PERMS_MAX);
	return -1;
}

/* 1 if the vault's account is an Omnia (bearer) one, 0 if another,
 * CV_ERR_NOTFOUND if the vault has no such account. */
static int
account_bearer(struct vaultctl *vc, const char *account)
{
	struct vaultctl_rec	*v = NULL;
	const struct profile	*p;
	json_t			*j;
	const char		*name = NULL;
	size_t			 n, i;
	int			 bearer = CV_ERR_NOTFOUND;

	if (vaultctl_list(vc, &v, &n) != 0)
		return 0;	/* vaultd answers the import itself */
	for (i = 0; i < n; i++) {
		if (v[i].type != VAULT_REC_ACCOUNT ||
		    strcmp(v[i].account, account) != 0)
			continue;
		bearer = 0;
		j = json_loads(v[i].info, JSON_REJECT_DUPLICATES, NULL);
		if (json_unpack(j, "{s:s}", "profile", &name) == 0 &&
		    (p = profile_find(name)) != NULL)
			bearer = p->auth == PROFILE_AUTH_BEARER;
		json_decref(j);
	}
	free(v);
	return bearer;
}

static int
cred_import(struct vaultctl *vc, const char *what, uint8_t type,
    const struct rec_args *a)
{
	struct secret	text, payload;
	char		key_id[VAULT_MAX_NAME + 1], why[128];
	int		r, bearer;

	/* the account first: what to give depends on its exchange */
	bearer = 0;
	if (type == VAULT_REC_API_CRED &&
	    (bearer = account_bearer(vc, a->account)) < 0) {
		snprintf(vc->errtext, sizeof(vc->errtext), "no account %s in "
		    "the vault", a->account);
		return vaultctl_fail(vc, what, bearer);
	}
	r = a->file ? secret_read_file(a->file, &text, SECRET_IO_MAX) :
	    secret_read_fd(STDIN_FILENO, &text, SECRET_IO_MAX);
	if (r == CV_ERR_TOOLONG || r == CV_ERR_INVALID) {
		snprintf(vc->errtext, sizeof(vc->errtext), "%s: expected JSON "
		    "%s %s", r == CV_ERR_INVALID ? "nothing to read" :
		    "more than 4096 bytes", bearer ? OMNIA_SHAPE :
		    "{\"apiKey\", \"secret\", \"passphrase\"}", a->file ?
		    "in the file" : "on standard input");
		return vaultctl_fail(vc, what, CV_ERR_USAGE);
	}
	if (r != 0) {
		snprintf(vc->errtext, sizeof(vc->errtext), "cannot read the "
		    "key: %s", cv_strerror(r));
		return vaultctl_fail(vc, what, r);
	}
	r = cred_payload(&text, key_id, sizeof(key_id), &payload, why,
	    sizeof(why), bearer);
	secret_free(&text);
	if (r != 0) {
		snprintf(vc->errtext, sizeof(vc->errtext), "%s: expected JSON "
		    "%s", why, bearer ? OMNIA_SHAPE " (account is an Omnia "
		    "account)" : "{\"apiKey\", \"secret\", \"passphrase\"}");
		return vaultctl_fail(vc, what, CV_ERR_USAGE);
	}
	r = vaultctl_put(vc, what, type, a->account, key_id, a->nonce,
	    payload.p, payload.len, "stored key, fingerprint");
	secret_free(&payload);
	return r;
}

/*
 * apikey delete --local, builder revoke --local, invite clear: the
 * vault's copy of a key or a code goes, which nothing brings back (an
 * invitation code is good once; a key deleted at the exchange goes from
 * the vault with the call), so only for the vault's credential, asked
 * for on the terminal or given as for unlock; signerd checks it.  What
 * the vault does not hold is not asked for.
 */
static int
del_key(struct vaultctl *vc, const char *what, uint8_t type,
    const struct rec_args *a, const char *key_id)
{
	struct vaultctl_rec	*v = NULL;
	struct secret		 cred;
	size_t			 n;
	int			 found, keyfile = 0, r;

	if ((r = vaultctl_list(vc, &v, &n)) != 0)
		return vaultctl_fail(vc, what, r);
	found = vaultctl_rec_find(v, n, type, a->account, key_id) != NULL;
	free(v);
	if (!found) {
		snprintf(vc->errtext, sizeof(vc->errtext), "account %s holds "
		    "no %s%s: vaultctl keys list shows what it holds",
		    a->account, type == VAULT_REC_INVITE ? "invitation code" :
		    type == VAULT_REC_API_CRED ? "API key " : "builder key ",
		    key_id);
		return vaultctl_fail(vc, what, CV_ERR_NOTFOUND);
	}
	if ((r = vaultctl_cred_get(vc, a->pass, a->key, type ==
	    VAULT_REC_INVITE ? "Vault passphrase (to clear an invitation "
	    "code): " : "Vault passphrase (to remove a key from the vault): ",
	    0, 0, &cred, &keyfile)) != 0)
		return vaultctl_fail(vc, what, r);
	r = vaultctl_del_cred(vc, &cred, keyfile, what, type, a->account,
	    key_id);
	secret_free(&cred);
	return r;
}

/* The vault's own API keys: import one, or list them (--local). */
int
rec_apikey(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl apikey import "
	    "--account A [--nonce N] [--from-file F] (JSON on standard "
	    "input) | apikey list --local --account A | apikey use --account A "
	    "--key-id ID | apikey delete --local --account A --key-id ID "
	    "[--passphrase-file F | --keyfile F]";
	struct rec_args		 a;

	if (argc < 2 || rec_args(vc, argc, argv, 2, &a,
	    strcmp(argv[1], "delete") == 0) != 0 ||
	    need_account(vc, &a, use) != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if (strcmp(argv[1], "use") == 0 && !a.local && a.file == NULL &&
	    a.nonce == 0 && a.key_id != NULL)
		return use_key(vc, "apikey use", VAULT_REC_API_CRED, a.account,
		    a.key_id);
	/* the vault's copy of a key the exchange no longer has */
	if (strcmp(argv[1], "delete") == 0 && a.local && a.file == NULL &&
	    a.nonce == 0 && a.key_id != NULL)
		return del_key(vc, "apikey delete --local",
		    VAULT_REC_API_CRED, &a, a.key_id);
	if (a.key_id != NULL)
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
	    "--account A | builder use --account A --key-id ID | builder "
	    "revoke --local --account A --key-id ID [--passphrase-file F | "
	    "--keyfile F]";
	struct rec_args		 a;

	/* the vault's copy of a key the exchange no longer has */
	if (argc >= 2 && strcmp(argv[1], "revoke") == 0) {
		if (rec_args(vc, argc, argv, 2, &a, 1) != 0 || !a.local ||
		    a.file != NULL || a.nonce != 0 || a.key_id == NULL ||
		    need_account(vc, &a, use) != 0)
			return vaultctl_fail(vc, use, CV_ERR_USAGE);
		return del_key(vc, "builder revoke --local",
		    VAULT_REC_BUILDER_CRED, &a, a.key_id);
	}
	if (argc >= 2 && strcmp(argv[1], "use") == 0) {
		if (rec_args(vc, argc, argv, 2, &a, 0) != 0 || a.local ||
		    a.file != NULL || a.nonce != 0 || a.key_id == NULL ||
		    need_account(vc, &a, use) != 0)
			return vaultctl_fail(vc, use, CV_ERR_USAGE);
		return use_key(vc, "builder use", VAULT_REC_BUILDER_CRED,
		    a.account, a.key_id);
	}
	if (argc < 2 || strcmp(argv[1], "list") != 0 ||
	    rec_args(vc, argc, argv, 2, &a, 0) != 0 || !a.local ||
	    a.file != NULL || a.key_id != NULL ||
	    need_account(vc, &a, use) != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	return show(vc, "builder list", VAULT_REC_BUILDER_CRED, a.account);
}

int
cmd_invite(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl invite set|show|clear "
	    "--account A (set reads the code on standard input; clear takes "
	    "[--passphrase-file F | --keyfile F])";
	struct rec_args		 a;
	struct secret		 code;
	int			 r;

	if (argc < 2 || rec_args(vc, argc, argv, 2, &a,
	    strcmp(argv[1], "clear") == 0) != 0 ||
	    need_account(vc, &a, use) != 0 || a.file != NULL ||
	    a.key_id != NULL)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if (strcmp(argv[1], "show") == 0)
		return show(vc, "invite show", VAULT_REC_INVITE, a.account);
	if (strcmp(argv[1], "clear") == 0)
		return del_key(vc, "invite clear", VAULT_REC_INVITE, &a, "");
	if (strcmp(argv[1], "set") != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if ((r = secret_read_fd(STDIN_FILENO, &code, 256)) != 0)
		return vaultctl_fail(vc, "invite set", r);
	r = vaultctl_put(vc, "invite set", VAULT_REC_INVITE, a.account, "", 0,
	    code.p, code.len, "invitation code stored");
	secret_free(&code);
	return r;
}
