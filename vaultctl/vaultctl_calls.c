/*
 * vaultctl's exchange calls (doc/exchanges.md): apikey create, derive,
 * create-or-derive, list, delete; closed-only; builder create, list,
 * revoke; balance [update]; notifications list, drop; waitlist join;
 * time.  vaultctl names the call and its parameters (common/netcall.c);
 * vaultd checks them and routes the call, netd makes the request with
 * signatures only signerd can make, and a credential the exchange
 * returns goes sealed into the vault before the answer comes back.
 *
 * Answers carry no secret.  Should one ever carry a field named like a
 * secret, vaultctl withholds it rather than print it.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/netcall.h"
#include "vaultctl/vaultctl.h"

/* Options and words a command takes. */
#define CO_NONCE	0x01	/* --nonce N */
#define CO_BUILDER_ID	0x02	/* --builder-id ID */
#define CO_BALANCE	0x04	/* --asset-type, --token-id, --signature-type */
#define CO_SIGTYPE	0x08	/* --signature-type */
#define CO_IDS		0x10	/* --id ID, repeatable */
#define CO_KEY		0x20	/* an optional KEY word */
#define CO_EMAIL	0x40	/* an EMAIL word */
#define CO_KEYID	0x80	/* --key-id ID */
#define CO_LABEL	0x100	/* --label L (Omnia create) */
#define CO_PERMS	0x200	/* --permission P, repeatable (Omnia create) */

static const struct call_cmd {
	const char	*word;		/* "apikey" */
	const char	*sub;		/* "create"; NULL: the word alone */
	const char	*call;		/* the netcall name */
	int		 opts;
	const char	*args;		/* for the usage line */
} call_cmds[] = {
	{ "apikey", "create", "apikey.create", CO_NONCE | CO_LABEL | CO_PERMS,
	    "[--nonce N] | (Omnia) --label L [--permission P]..." },
	{ "apikey", "derive", "apikey.derive", CO_NONCE, "[--nonce N]" },
	{ "apikey", "create-or-derive", "apikey.create-or-derive", CO_NONCE,
	    "[--nonce N]" },
	{ "apikey", "list", "apikey.list", 0,
	    "(the vault's own: apikey list --local)" },
	{ "apikey", "delete", "apikey.delete", CO_KEYID,
	    "[--key-id ID] (none: the active key)" },
	{ "apikey", "rotate", "apikey.rotate", CO_KEYID,
	    "[--key-id ID] (Omnia; none: the active key)" },
	{ "closed-only", NULL, "closed-only", 0, "" },
	{ "builder", "create", "builder.create", CO_BUILDER_ID,
	    "--builder-id ID" },
	{ "builder", "list", "builder.list", 0,
	    "(the vault's own: builder list --local)" },
	{ "builder", "revoke", "builder.revoke", CO_KEY, "[KEY]" },
	{ "balance", NULL, "balance", CO_BALANCE,
	    "[--asset-type COLLATERAL (default)|CONDITIONAL --token-id ID] "
	    "[--signature-type 0|1|2]" },
	{ "balance", "update", "balance.update", CO_BALANCE,
	    "[--asset-type COLLATERAL (default)|CONDITIONAL --token-id ID] "
	    "[--signature-type 0|1|2]" },
	{ "notifications", "list", "notifications.list", CO_SIGTYPE,
	    "[--signature-type 0|1|2]" },
	{ "notifications", "drop", "notifications.drop", CO_IDS,
	    "[--id ID]... (none: all)" },
	{ "waitlist", "join", "waitlist.join", CO_EMAIL, "EMAIL" },
	{ "time", NULL, "time", 0, "" },
};

#define NCALL_CMDS	(sizeof(call_cmds) / sizeof(call_cmds[0]))

static const struct option call_opts[] = {
	{ "account",		required_argument, NULL, 'a' },
	{ "nonce",		required_argument, NULL, 'n' },
	{ "builder-id",		required_argument, NULL, 'b' },
	{ "asset-type",		required_argument, NULL, 't' },
	{ "token-id",		required_argument, NULL, 'T' },
	{ "signature-type",	required_argument, NULL, 's' },
	{ "id",			required_argument, NULL, 'i' },
	{ "key-id",		required_argument, NULL, 'k' },
	{ "label",		required_argument, NULL, 'l' },
	{ "permission",		required_argument, NULL, 'p' },
	{ NULL, 0, NULL, 0 }
};

/* Field names vaultctl never prints, whatever the answer holds. */
static const char *const withheld[] = {
	"secret", "passphrase", "apiKeySecret", "privateKey", "token",
};

struct call_req {
	const char	*account;
	const char	*names[NETCALL_PARAMS_MAX];
	const char	*values[NETCALL_PARAMS_MAX];
	size_t		 n;
	char		 nonce[24];
	char		 ids[NETCALL_VALUE_MAX + 1];
	char		 perms[NETCALL_VALUE_MAX + 1];
};

static void
req_add(struct call_req *q, const char *name, const char *value)
{
	if (q->n < NETCALL_PARAMS_MAX) {
		q->names[q->n] = name;
		q->values[q->n++] = value;
	}
}

static int
all_digits(const char *s, size_t max)
{
	size_t	n;

	for (n = 0; s[n] != '\0'; n++)
		if (!isdigit((unsigned char)s[n]))
			return 0;
	return n > 0 && n <= max;
}

/* A notification id: letters, digits, '-' and '_' (ids are joined by ,). */
static int
id_valid(const char *s)
{
	size_t	n;

	for (n = 0; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' &&
		    s[n] != '_')
			return 0;
	return n > 0 && n <= 64;
}

static int
email_valid(const char *s)
{
	const char	*at = strchr(s, '@');

	return netcall_value_ok(s, strlen(s)) && at != NULL && at != s &&
	    at[1] != '\0' && strchr(at + 1, '@') == NULL && strlen(s) <= 254;
}

/* Usage of command c (NULL: every command of word) and why, as an error. */
static int
call_usage(struct vaultctl *vc, const struct call_cmd *c, const char *word,
    const char *why)
{
	char	 line[1024];
	size_t	 i, off = 0;
	int	 n;

	for (i = 0; i < NCALL_CMDS; i++) {
		if (strcmp(call_cmds[i].word, word) != 0 ||
		    (c != NULL && c != &call_cmds[i]))
			continue;
		n = snprintf(line + off, sizeof(line) - off, "%svaultctl %s%s%s "
		    "--account A%s%s", off ? " | " : "usage: ", word,
		    call_cmds[i].sub ? " " : "",
		    call_cmds[i].sub ? call_cmds[i].sub : "",
		    call_cmds[i].args[0] ? " " : "", call_cmds[i].args);
		if (n < 0 || (size_t)n >= sizeof(line) - off)
			break;
		off += (size_t)n;
	}
	if (why != NULL && why != vc->errtext)
		snprintf(vc->errtext, sizeof(vc->errtext), "%s", why);
	return vaultctl_fail(vc, line, CV_ERR_USAGE);
}

/*
 * Parse the options after the command words into q; NULL on success,
 * otherwise what is wrong.
 */
static const char *
call_parse(struct vaultctl *vc, const struct call_cmd *c, int argc,
    char **argv, struct call_req *q)
{
	const char		*asset = NULL, *token = NULL, *sigtype = NULL;
	const char		*builder = NULL, *word = NULL, *keyid = NULL;
	const char		*label = NULL;
	unsigned long long	 nonce;
	size_t			 len;
	char			*end;
	int			 ch, given = 0;

	memset(q, 0, sizeof(*q));
	if (vaultctl_opt_begin(vc, argc, argv, call_opts) != 0)
		return vc->errtext;
	while ((ch = vaultctl_opt_next(argc, argv, call_opts)) != -1) {
		switch (ch) {
		case 'a':
			q->account = optarg;
			break;
		case 'n':
			given |= CO_NONCE;
			errno = 0;
			nonce = strtoull(optarg, &end, 10);
			if (!all_digits(optarg, 20) || *end != '\0' ||
			    errno != 0)
				return "--nonce takes a decimal number "
				    "(0 to 2^64-1)";
			snprintf(q->nonce, sizeof(q->nonce), "%llu", nonce);
			break;
		case 'k':
			given |= CO_KEYID;
			keyid = optarg;
			if (!vault_fmt_name_valid(optarg, strlen(optarg)))
				return "--key-id takes a key id (1 to 64 of "
				    "A-Z a-z 0-9 . _ : @ -)";
			break;
		case 'b':
			given |= CO_BUILDER_ID;
			builder = optarg;
			if (!netcall_value_ok(optarg, strlen(optarg)))
				return "--builder-id takes 1 to 256 printable "
				    "characters, no spaces";
			break;
		case 't':
			given |= CO_BALANCE;
			asset = optarg;
			if (strcmp(optarg, "COLLATERAL") != 0 &&
			    strcmp(optarg, "CONDITIONAL") != 0)
				return "--asset-type is COLLATERAL or "
				    "CONDITIONAL";
			break;
		case 'T':
			given |= CO_BALANCE;
			token = optarg;
			if (!all_digits(optarg, 78))
				return "--token-id takes a decimal token id";
			break;
		case 's':
			given |= CO_SIGTYPE;
			sigtype = optarg;
			if (strcmp(optarg, "0") != 0 && strcmp(optarg, "1") != 0 &&
			    strcmp(optarg, "2") != 0)
				return "--signature-type is 0 (EOA), 1 (proxy) "
				    "or 2 (safe)";
			break;
		case 'i':
			given |= CO_IDS;
			if (!id_valid(optarg))
				return "--id takes a notification id (letters, "
				    "digits, - and _)";
			len = strlen(q->ids);
			if (len + 1 + strlen(optarg) > NETCALL_VALUE_MAX)
				return "too many --id: drop them in several "
				    "calls";
			snprintf(q->ids + len, sizeof(q->ids) - len, "%s%s",
			    len ? "," : "", optarg);
			break;
		case 'l':
			given |= CO_LABEL;
			label = optarg;
			if (!netcall_value_ok(optarg, strlen(optarg)) ||
			    strlen(optarg) > 64)
				return "--label takes 1 to 64 printable "
				    "characters, no spaces";
			break;
		case 'p':
			given |= CO_PERMS;
			len = strlen(q->perms);
			if (len + 1 + strlen(optarg) > NETCALL_VALUE_MAX)
				return "too many --permission";
			snprintf(q->perms + len, sizeof(q->perms) - len, "%s%s",
			    len ? "," : "", optarg);
			break;
		default:
			return "unknown option or missing value";
		}
	}
	if ((given & CO_PERMS) && !(given & CO_LABEL))
		return "--permission goes with --label (Omnia create)";
	/* --signature-type belongs to the balance calls as well. */
	if ((c->opts & CO_BALANCE) && (given & CO_SIGTYPE))
		given = (given & ~CO_SIGTYPE) | CO_BALANCE;
	if (given & ~c->opts)
		return "an option this command does not take";
	if (q->account == NULL)
		return "--account A is required (it names the exchange)";
	if (!netcall_value_ok(q->account, strlen(q->account)))
		return "invalid account name";
	if (optind < argc)
		word = argv[optind++];
	if (optind < argc)
		return "too many words";
	if ((c->opts & CO_EMAIL) && word == NULL)
		return "the email address is required";
	if (word != NULL && !(c->opts & (CO_KEY | CO_EMAIL)))
		return "unexpected word";
	if ((c->opts & CO_EMAIL) && !email_valid(word))
		return "not an email address";
	if ((c->opts & CO_KEY) && word != NULL &&
	    !netcall_value_ok(word, strlen(word)))
		return "KEY takes 1 to 256 printable characters, no spaces";
	if (token != NULL && (asset == NULL ||
	    strcmp(asset, "CONDITIONAL") != 0))
		return "--token-id goes with --asset-type CONDITIONAL";
	if (asset != NULL && strcmp(asset, "CONDITIONAL") == 0 &&
	    token == NULL)
		return "--asset-type CONDITIONAL needs --token-id";
	if ((c->opts & CO_BUILDER_ID) && builder == NULL)
		return "--builder-id ID is required";
	/* The exchanges want an asset type: collateral (USDC) by default. */
	if ((c->opts & CO_BALANCE) && asset == NULL)
		asset = "COLLATERAL";

	if (q->nonce[0] != '\0')
		req_add(q, "nonce", q->nonce);
	if (builder != NULL)
		req_add(q, "builder_id", builder);
	if ((c->opts & CO_KEY) && word != NULL)
		req_add(q, "key", word);
	if (keyid != NULL)
		req_add(q, "key", keyid);
	if (asset != NULL)
		req_add(q, "asset_type", asset);
	if (token != NULL)
		req_add(q, "token_id", token);
	if (sigtype != NULL)
		req_add(q, "signature_type", sigtype);
	if (q->ids[0] != '\0')
		req_add(q, "ids", q->ids);
	if (label != NULL)
		req_add(q, "label", label);
	if (q->perms[0] != '\0')
		req_add(q, "permissions", q->perms);
	if (c->opts & CO_EMAIL)
		req_add(q, "email", word);
	return NULL;
}

/* Remove every field named like a secret, at any depth; how many. */
static size_t
withhold(json_t *j)
{
	const char	*k;
	json_t		*v;
	size_t		 i, n = 0;
	void		*tmp;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			n += withhold(v);
		return n;
	}
	if (!json_is_object(j))
		return 0;
	json_object_foreach_safe(j, tmp, k, v) {
		for (i = 0; i < sizeof(withheld) / sizeof(withheld[0]); i++)
			if (strcmp(k, withheld[i]) == 0)
				break;
		if (i < sizeof(withheld) / sizeof(withheld[0])) {
			json_object_del(j, k);
			n++;
		} else
			n += withhold(v);
	}
	return n;
}

static void
put_text(const char *s)
{
	vaultctl_fput_text(stdout, s);
}

static void
put_scalar(const json_t *v)
{
	char	*s;

	if (json_is_string(v))
		put_text(json_string_value(v));
	else if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) != NULL) {
		put_text(s);
		vaultctl_json_free(s);
	}
}

/* One element of a list on one line: an object as k=v pairs. */
static void
put_item(const json_t *v)
{
	const char	*k;
	json_t		*e;
	int		 first = 1;

	if (!json_is_object(v)) {
		put_scalar(v);
		return;
	}
	json_object_foreach((json_t *)v, k, e) {
		printf("%s", first ? "" : "  ");
		put_text(k);
		putchar('=');
		put_scalar(e);
		first = 0;
	}
}

/* A result for people: "key: value" lines, lists one item a line. */
static void
render(const json_t *j, int indent)
{
	const char	*k;
	json_t		*v, *e;
	size_t		 i;

	if (json_is_array(j)) {
		json_array_foreach(j, i, e) {
			printf("%*s", indent, "");
			put_item(e);
			putchar('\n');
		}
		return;
	}
	if (!json_is_object(j)) {
		printf("%*s", indent, "");
		put_scalar(j);
		putchar('\n');
		return;
	}
	json_object_foreach((json_t *)j, k, v) {
		printf("%*s", indent, "");
		put_text(k);
		putchar(':');
		if ((json_is_array(v) && json_array_size(v) == 0) ||
		    (json_is_object(v) && json_object_size(v) == 0))
			printf(" (none)\n");
		else if (json_is_array(v) || json_is_object(v)) {
			putchar('\n');
			render(v, indent + 2);
		} else {
			putchar(' ');
			put_scalar(v);
			putchar('\n');
		}
	}
}

static int
empty(const json_t *j)
{
	return json_is_null(j) || (json_is_object(j) &&
	    json_object_size(j) == 0) || (json_is_array(j) &&
	    json_array_size(j) == 0);
}

/* Print the answer; the exit code for its HTTP status. */
static int
call_print(struct vaultctl *vc, const char *what, const char *call,
    const char *account, uint64_t status, json_t *result,
    const char *change, size_t clen)
{
	const char	*err, *hint, *code;
	json_t		*j;
	char		 text[64];
	int		 ok = status >= 200 && status <= 299;

	if (vc->json) {
		j = json_pack("{s:s, s:s, s:I, s:O, s:s%}", "call", call,
		    "account", account, "status", (json_int_t)status,
		    "result", result, "vault", change, clen);
		/* a failure, like every other: ok, error and the exit code */
		if (!ok && j != NULL) {
			/* the exchange's own text is in result.error */
			snprintf(text, sizeof(text), "the exchange answered "
			    "HTTP %llu", (unsigned long long)status);
			json_object_set_new(j, "ok", json_false());
			json_object_set_new(j, "error", json_string(text));
			json_object_set_new(j, "exit",
			    json_integer(EXIT_EXCHANGE));
		}
		vaultctl_print_json(j);
		return ok ? EXIT_OK : EXIT_EXCHANGE;
	}
	if (ok) {
		if (json_is_array(result) && json_array_size(result) == 0)
			printf("(none)\n");
		else if (empty(result))
			printf("%s: done\n", what);
		else
			render(result, 0);
	}
	if (clen > 0)
		printf("vault: %.*s\n", (int)clen, change);
	if (ok)
		return EXIT_OK;
	fflush(stdout);
	err = json_string_value(json_object_get(result, "error"));
	hint = json_string_value(json_object_get(result, "hint"));
	code = json_string_value(json_object_get(result, "code"));
	fprintf(stderr, "vaultctl: %s: the exchange answered HTTP %llu", what,
	    (unsigned long long)status);
	if (code != NULL) {
		fputs(" ", stderr);
		vaultctl_fput_text(stderr, code);
	}
	if (err != NULL) {
		fputs(": ", stderr);
		vaultctl_fput_text(stderr, err);
	}
	fputc('\n', stderr);
	if (hint != NULL) {
		fputs("vaultctl: hint: ", stderr);
		vaultctl_fput_text(stderr, hint);
		fputc('\n', stderr);
	}
	return EXIT_EXCHANGE;
}

int
vaultctl_netcall(struct vaultctl *vc, const char *account, const char *call,
    const char *const *names, const char *const *values, size_t n,
    uint64_t *status, json_t **result, char *change, size_t changelen)
{
	struct msg_w	 w;
	struct msg	 m;
	json_error_t	 jerr;
	const char	*text, *ch;
	size_t		 tlen, clen, i, k;
	int		 r;

	*result = NULL;
	if ((r = vaultctl_connect(vc)) != 0)
		return r;
	vc->timeout_ms = VAULTCTL_CALL_TIMEOUT_MS;
	vc->again_ms = VAULTCTL_CALL_AGAIN_MS;
	msg_begin(&w, MSG_CTL_CALL_REQ, ++vc->next_id);
	msg_put_str(&w, account);
	msg_put_str(&w, call);
	msg_put_array(&w, (uint32_t)n);
	for (i = 0; i < n; i++) {
		msg_put_array(&w, 2);
		msg_put_str(&w, names[i]);
		msg_put_str(&w, values[i]);
	}
	if ((r = vaultctl_call(vc, &w, MSG_CTL_CALL_ANS, &m)) != 0)
		return r;
	if ((r = msg_get_u64(&m.rd, status)) != 0 ||
	    (r = msg_get_str(&m.rd, &text, &tlen, MSG_MAX_FRAME)) != 0 ||
	    (r = msg_get_str(&m.rd, &ch, &clen, 512)) != 0 ||
	    (r = msg_rd_done(&m.rd)) != 0) {
		msg_clear(&m);
		snprintf(vc->errtext, sizeof(vc->errtext), "bad answer from "
		    "vaultd (%s)", cv_strerror(r));
		return r;
	}
	*result = json_loadb(text, tlen, JSON_DECODE_ANY |
	    JSON_REJECT_DUPLICATES, &jerr);
	snprintf(change, changelen, "%.*s", (int)clen, ch);
	msg_clear(&m);
	if (*result == NULL || *status > 999) {
		json_decref(*result);
		*result = NULL;
		snprintf(vc->errtext, sizeof(vc->errtext), "bad answer from "
		    "vaultd (the result is not JSON)");
		return CV_ERR_MSG_MALFORMED;
	}
	if ((k = withhold(*result)) > 0)
		fprintf(stderr, "vaultctl: %s: withheld %zu secret field%s of "
		    "the answer (a bug: please report it)\n", call, k,
		    k == 1 ? "" : "s");
	return 0;
}

static int
call_run(struct vaultctl *vc, const char *what, const struct call_cmd *c,
    const struct call_req *q)
{
	json_t		*result;
	uint64_t	 status;
	char		 change[513];
	int		 r;

	if ((r = vaultctl_netcall(vc, q->account, c->call, q->names,
	    q->values, q->n, &status, &result, change, sizeof(change))) != 0)
		return vaultctl_fail(vc, what, r);
	r = call_print(vc, what, c->call, q->account, status, result, change,
	    strlen(change));
	json_decref(result);
	return r;
}

static const char *
netcall_req_value(const struct call_req *q, const char *name)
{
	size_t	i;

	for (i = 0; i < q->n; i++)
		if (strcmp(q->names[i], name) == 0)
			return q->values[i];
	return NULL;
}

/*
 * apikey delete without --key-id: the account's active key, named on
 * stderr before the exchange is asked, and then named in the call.
 */
static int
delete_active(struct vaultctl *vc, const char *what,
    const struct call_cmd *c, struct call_req *q)
{
	struct vaultctl_rec	*v = NULL;
	const char		*key_id;
	char			 id[VAULT_MAX_NAME + 1];
	size_t			 n;
	int			 r;

	if ((r = vaultctl_list(vc, &v, &n)) != 0)
		return vaultctl_fail(vc, what, r);
	r = vaultctl_active_key(v, n, VAULT_REC_API_CRED, q->account,
	    &key_id);
	if (r == 0)
		snprintf(id, sizeof(id), "%s", key_id);
	free(v);
	if (r == CV_ERR_EXISTS) {
		snprintf(vc->errtext, sizeof(vc->errtext), "account %s holds "
		    "several API keys and none is active: name one with "
		    "--key-id ID", q->account);
		return vaultctl_fail(vc, what, CV_ERR_NOTFOUND);
	}
	if (r != 0) {
		snprintf(vc->errtext, sizeof(vc->errtext), "account %s holds "
		    "no API key in the vault", q->account);
		return vaultctl_fail(vc, what, CV_ERR_NOTFOUND);
	}
	/* with --json, the answer's vault change names it */
	if (!vc->json)
		fprintf(stderr, "vaultctl: %s: %s the active key %s\n",
		    what, strcmp(c->call, "apikey.rotate") == 0 ? "rotating" :
		    "deleting", id);
	req_add(q, "key", id);
	return call_run(vc, what, c, q);
}

int
cmd_call(struct vaultctl *vc, int argc, char **argv)
{
	const struct call_cmd	*c = NULL;
	struct call_req		 q;
	const char		*why, *word = argv[0];
	char			 what[64];
	size_t			 i;
	int			 skip = 1;

	for (i = 0; i < NCALL_CMDS && c == NULL; i++) {
		if (strcmp(call_cmds[i].word, word) != 0)
			continue;
		if (call_cmds[i].sub == NULL) {
			/* "balance" alone, or "balance --opt"... */
			if (argc < 2 || argv[1][0] == '-')
				c = &call_cmds[i];
		} else if (argc >= 2 && strcmp(argv[1], call_cmds[i].sub) == 0) {
			c = &call_cmds[i];
			skip = 2;
		}
	}
	if (c == NULL)
		return call_usage(vc, NULL, word, argc < 2 ? "which one?" :
		    "unknown subcommand");
	snprintf(what, sizeof(what), "%s%s%s", c->word, c->sub ? " " : "",
	    c->sub ? c->sub : "");
	/* getopt_long starts after argv[0]: make the last word argv[0]. */
	if ((why = call_parse(vc, c, argc - (skip - 1), argv + (skip - 1),
	    &q)) != NULL)
		return call_usage(vc, c, word, why);
	if ((c->opts & CO_KEYID) && netcall_req_value(&q, "key") == NULL)
		return delete_active(vc, what, c, &q);
	return call_run(vc, what, c, &q);
}

/* apikey: the vault's own keys (import, list --local), or the exchange's. */
int
cmd_apikey(struct vaultctl *vc, int argc, char **argv)
{
	int	i;

	if (argc >= 2 && (strcmp(argv[1], "import") == 0 ||
	    strcmp(argv[1], "use") == 0))
		return rec_apikey(vc, argc, argv);
	for (i = 2; i < argc; i++)
		if (strcmp(argv[i], "--local") == 0)
			return rec_apikey(vc, argc, argv);
	return cmd_call(vc, argc, argv);
}

/* builder use and list --local: the vault's; the rest: exchange calls. */
int
cmd_builder(struct vaultctl *vc, int argc, char **argv)
{
	int	i;

	if (argc >= 2 && strcmp(argv[1], "use") == 0)
		return rec_builder(vc, argc, argv);
	for (i = 2; i < argc; i++)
		if (strcmp(argv[i], "--local") == 0)
			return rec_builder(vc, argc, argv);
	return cmd_call(vc, argc, argv);
}
