/*
 * vaultctl: the operator's command line.  Human output by default, one
 * JSON document with --json (anywhere on the line), and exit codes by
 * class of failure.  The table below is the one list of commands and
 * their options: `vaultctl help [COMMAND]` prints it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/log.h"
#include "common/privsep.h"
#include "common/version.h"
#include "vaultctl/vaultctl.h"

/*
 * usage: one synopsis a line, each after "vaultctl "; a line that starts
 * with a space continues the one above.
 */
static const struct command {
	const char	*name;
	int		(*fn)(struct vaultctl *, int, char **);
	const char	*what;
	const char	*usage;
} commands[] = {
	{ "status", cmd_status,
	    "processes, pids, uptime, restarts, sandbox",
	    "status" },
	{ "wait", cmd_wait,
	    "wait until vaultd is ready (its children up; with --unlocked, "
	    "the vault too)",
	    "wait [--unlocked] [--timeout SECONDS]" },
	{ "init", cmd_init,
	    "create the vault (passphrase asked twice, or from a file)",
	    "init [--passphrase-file F | --keyfile F]\n"
	    "     [--kdf interactive|moderate|sensitive]" },
	{ "unlock", cmd_unlock,
	    "open the vault",
	    "unlock [--passphrase-file F | --keyfile F]" },
	{ "lock", cmd_lock,
	    "forget every key in memory",
	    "lock" },
	{ "passwd", cmd_passwd,
	    "change what unlocks the vault",
	    "passwd [--passphrase-file F | --keyfile F]\n"
	    "       [--new-passphrase-file F | --new-keyfile F]\n"
	    "       [--kdf interactive|moderate|sensitive]" },
	{ "rekey", cmd_rekey,
	    "make a new master key and reseal every record under it",
	    "rekey [--passphrase-file F | --keyfile F]" },
	{ "account", cmd_account,
	    "the exchange accounts: one row each, its keys counted",
	    "account add NAME --profile openfish|polymarket|omnia [--url URL]\n"
	    "     [--ca-file F] [--pin sha256//BASE64] [--funder ADDRESS]\n"
	    "     [--order-version 1|2] [--max-key-age DAYS]\n"
	    "account update NAME [--url URL] [--ca-file F | --no-ca-file]\n"
	    "     [--pin sha256//BASE64 | --no-pin]\n"
	    "     [--funder ADDRESS | --no-funder] [--order-version 1|2]\n"
	    "     [--max-key-age DAYS | --no-max-key-age]\n"
	    "     [--passphrase-file F | --keyfile F]\n"
	    "account list\n"
	    "account remove NAME\n"
	    "     [--force [--passphrase-file F | --keyfile F]]" },
	{ "keys", cmd_keys,
	    "the vault's keys and codes: wallet, apikey, builder, invite, "
	    "client",
	    "keys list [--account A]" },
	{ "wallet", cmd_wallet,
	    "an account's wallet key (hex key on standard input)",
	    "wallet generate --account A\n"
	    "wallet import --account A [--from-file F]\n"
	    "wallet address --account A" },
	{ "invite", cmd_invite,
	    "an account's invitation code (on standard input)",
	    "invite set --account A\n"
	    "invite show --account A\n"
	    "invite clear --account A [--passphrase-file F | --keyfile F]" },
	{ "apikey", cmd_apikey,
	    "API keys at the exchange, and the vault's own (--local, import)",
	    "apikey create|derive|create-or-derive --account A [--nonce N]\n"
	    "apikey list --account A\n"
	    "apikey delete --account A [--key-id ID] (none: the active key)\n"
	    "apikey create --account A --label L [--permission P]... (Omnia)\n"
	    "apikey rotate --account A [--key-id ID] (Omnia; none: active)\n"
	    "apikey import --account A [--nonce N] [--from-file F]\n"
	    "     ({\"apiKey\", \"secret\", \"passphrase\"} on stdin; Omnia:\n"
	    "     {\"apiKeyId\", \"apiKeySecret\", \"permissions\"?})\n"
	    "apikey list --local --account A\n"
	    "apikey use --account A --key-id ID\n"
	    "apikey delete --local --account A --key-id ID\n"
	    "     [--passphrase-file F | --keyfile F] (the vault's copy "
	    "only)" },
	{ "builder", cmd_builder,
	    "builder keys at the exchange, and the vault's own (--local)",
	    "builder create --account A --builder-id ID\n"
	    "builder list --account A\n"
	    "builder revoke --account A [KEY]\n"
	    "builder list --local --account A\n"
	    "builder use --account A --key-id ID\n"
	    "builder revoke --local --account A --key-id ID\n"
	    "     [--passphrase-file F | --keyfile F] (the vault's copy "
	    "only)" },
	{ "closed-only", cmd_call,
	    "whether the account may only close positions",
	    "closed-only --account A" },
	{ "balance", cmd_call,
	    "balance and allowance (update: refresh it at the exchange)",
	    "balance [update] --account A\n"
	    "     [--asset-type COLLATERAL|CONDITIONAL] [--token-id ID]\n"
	    "     [--signature-type 0|1|2]" },
	{ "notifications", cmd_call,
	    "the account's notifications",
	    "notifications list --account A [--signature-type 0|1|2]\n"
	    "notifications drop --account A [--id ID]...   (no --id: all)" },
	{ "waitlist", cmd_call,
	    "join the exchange's waitlist",
	    "waitlist join EMAIL --account A" },
	{ "time", cmd_call,
	    "the exchange's clock",
	    "time --account A" },
	{ "audit", cmd_audit,
	    "the audit log: show (the last 20 records unless --tail N or "
	    "--all), verify, anchor, export-key, mode",
	    "audit show [--tail N | --all] [--account A] [--actor S]\n"
	    "     [--op OP] [--verdict V] [--rotation ID]\n"
	    "     [--since TIME] [--until TIME]\n"
	    "audit verify [--anchor SEQ:HASH]\n"
	    "audit verify --offline --key-file FILE [--anchor SEQ:HASH]\n"
	    "     LOG...\n"
	    "audit anchor\n"
	    "audit export-key\n"
	    "audit mode [durable | relaxed [--group-ms MS]]" },
	{ "headers", cmd_headers,
	    "the exact headers an account would send now (a secret for l2)",
	    "headers l1 --account A [--nonce N] [--method M --path P]\n"
	    "headers l2|builder --account A --method M --path P [--body B]" },
	{ "policy", cmd_policy,
	    "the signing policy: show, check, try, apply, sign a change",
	    "policy show\n"
	    "policy lint FILE\n"
	    "policy diff FILE\n"
	    "policy test [FILE] --account A\n"
	    "     --actor operator[:UID]|client:NAME\n"
	    "     --level none|l1|l2|builder|bearer --method M --path P\n"
	    "     [--body B] [--nonce N] [--profile P] [--catalog]\n"
	    "     [--kind K --field NAME=VALUE...] [--signed-ts SECONDS]\n"
	    "policy apply FILE [--passphrase-file F | --keyfile F]\n"
	    "     [--approval FILE]...\n"
	    "policy sign FILE --key-file KEYFILE [--version N]" },
	{ "approve", cmd_approve,
	    "requests held for approval: list, grant, deny",
	    "approve list\n"
	    "approve grant ID --key-file KEYFILE\n"
	    "approve deny ID --key-file KEYFILE" },
	{ "client", cmd_client,
	    "the gateway's clients: bots' own credentials (shown once)",
	    "client add NAME --account A [--passphrase-file F | --keyfile F]\n"
	    "client list\n"
	    "client remove NAME [--passphrase-file F | --keyfile F]" },
	{ "sign", cmd_sign,
	    "sign an order (JSON on standard input) for the account's "
	    "wallet",
	    "sign order --account A [--neg-risk] < order.json" },
	{ "rotate", cmd_rotate,
	    "replace an account's API or builder key: create, verify, use, "
	    "delete the old; journaled, resumable; --due for a timer",
	    "rotate apikey --account A [--reason TEXT] [--drain SECONDS]\n"
	    "rotate builder --account A --builder-id ID [--reason TEXT] "
	    "[--drain SECONDS]\n"
	    "rotate --due [--dry-run] [--drain SECONDS]\n"
	    "rotate status\n"
	    "rotate resume ID\n"
	    "rotate abort ID" },
	{ "approver", cmd_approver,
	    "make an approver's Ed25519 key",
	    "approver keygen FILE" },
	{ "debug", cmd_debug,
	    "make a child misbehave (vaultd -T only)",
	    "debug probe signerd|netd\n"
	    "     open|socket|execve|ptrace|garbage|oversize" },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

/* Option names that look like they carry a secret: refused, unread. */
static const char *const secret_opts[] = {
	"passphrase", "pass", "password", "secret", "key", "token",
	"api-secret",
};

#define SECRET_REFUSED	"secrets are never taken from the command line; " \
			"use --passphrase-file FILE, --keyfile FILE or " \
			"standard input"

static const char exit_codes[] =
    "exit codes: 0 ok, 1 failure, 2 usage, 3 vaultd not running, 4 denied,\n"
    "  5 locked, 6 wrong passphrase, 7 tampered or corrupt, 8 not found,\n"
    "  9 transport, 10 exchange error, 11 malformed answer from the "
    "exchange,\n  12 key permissions not allowed\n";

static const struct command *
command_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* Levenshtein distance, capped: only "at most 2" matters. */
static size_t
distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, d[33], prev, tmp;

	if (la > 32 || lb > 32)
		return 99;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = d[j];
			d[j] = prev + (a[i - 1] != b[j - 1]);
			if (d[j] > d[j - 1] + 1)
				d[j] = d[j - 1] + 1;
			if (d[j] > tmp + 1)
				d[j] = tmp + 1;
			prev = tmp;
		}
	}
	return d[lb];
}

/* The command word meant a unique prefix of, or 2 edits from; or NULL. */
static const char *
command_guess(const char *word)
{
	const char	*best = NULL;
	size_t		 i, n = 0, d, bestd = 3;
	int		 tie = 0;

	for (i = 0; i < NCOMMANDS; i++)
		if (word[0] != '\0' && strncmp(commands[i].name, word,
		    strlen(word)) == 0) {
			best = commands[i].name;
			n++;
		}
	if (n > 0)		/* approve and approver: no one guess */
		return n == 1 ? best : NULL;
	best = NULL;
	for (i = 0; i < NCOMMANDS; i++) {
		if ((d = distance(word, commands[i].name)) < bestd) {
			bestd = d;
			best = commands[i].name;
			tie = 0;
		} else if (d == bestd)
			tie = 1;
	}
	return tie ? NULL : best;
}

/* One command's synopsis lines: the first after first, the rest after next. */
static void
print_usage(FILE *f, const struct command *c, const char *first,
    const char *next)
{
	const char	*s = c->usage, *prefix = first;
	int		 n, cont;

	while (*s != '\0') {
		/* a continuation lines up after "vaultctl NAME " */
		if ((cont = *s == ' '))
			s += strspn(s, " ");
		n = (int)strcspn(s, "\n");
		if (cont)
			fprintf(f, "%*s%.*s\n", (int)(strlen(next) +
			    strlen("vaultctl ") + strlen(c->name) + 1), "",
			    n, s);
		else
			fprintf(f, "%svaultctl %.*s\n", prefix, n, s);
		prefix = next;
		s += n;
		if (*s == '\n')
			s++;
	}
}

/* The synopses as an array of one line each, continuations joined. */
static json_t *
command_json(const struct command *c)
{
	json_t		*arr = json_array();
	const char	*s = c->usage;
	char		 line[512];
	size_t		 off = 0;
	int		 n;

	while (*s != '\0') {
		if (*s == ' ') {
			s += strspn(s, " ");
			n = (int)strcspn(s, "\n");
			off += (size_t)snprintf(line + off, sizeof(line) - off,
			    " %.*s", n, s);
		} else {
			if (off > 0)
				json_array_append_new(arr, json_string(line));
			n = (int)strcspn(s, "\n");
			off = (size_t)snprintf(line, sizeof(line),
			    "vaultctl %.*s", n, s);
		}
		if (off >= sizeof(line))
			off = sizeof(line) - 1;
		s += n;
		if (*s == '\n')
			s++;
	}
	if (off > 0)
		json_array_append_new(arr, json_string(line));
	return json_pack("{s:s, s:s, s:o}", "command", c->name,
	    "description", c->what, "usage", arr);
}

/* vaultctl help, --help: everything, on f. */
static void
help_all(struct vaultctl *vc, FILE *f)
{
	json_t	*arr;
	size_t	 i;

	if (vc->json) {
		arr = json_array();
		for (i = 0; i < NCOMMANDS; i++)
			json_array_append_new(arr, command_json(&commands[i]));
		vaultctl_print_json(json_pack("{s:b, s:s, s:o}", "ok", 1,
		    "version", CLOBVAULT_VERSION, "commands", arr));
		return;
	}
	fprintf(f, "usage: vaultctl [--json] COMMAND [ARGS]\n"
	    "       vaultctl help [COMMAND] | COMMAND --help | --version\n\n"
	    "--json may stand anywhere: one JSON document on standard "
	    "output, errors too.\nSecrets are read from files, standard "
	    "input or the terminal, never from\nthe command line.\n\n");
	for (i = 0; i < NCOMMANDS; i++)
		print_usage(f, &commands[i], "  ", "  ");
	fprintf(f, "\n%s", exit_codes);
}

/* vaultctl help COMMAND, COMMAND --help: that command, on stdout. */
static int
help_one(struct vaultctl *vc, const struct command *c)
{
	if (vc->json) {
		vaultctl_print_json(json_pack("{s:b, s:o}", "ok", 1, "help",
		    command_json(c)));
		return EXIT_OK;
	}
	printf("%s: %s\n\n", c->name, c->what);
	print_usage(stdout, c, "usage: ", "       ");
	return EXIT_OK;
}

/*
 * A usage error found before any command ran: text on stderr, or as
 * the one JSON document; exit 2.  guess is a command to suggest.
 */
static int
usage_fail(struct vaultctl *vc, const char *text, const char *guess)
{
	json_t	*j;

	if (vc->json) {
		j = json_pack("{s:b, s:s, s:s, s:i, s:s, s:i}", "ok", 0,
		    "error", text, "reason", cv_strerror(CV_ERR_USAGE), "code",
		    CV_ERR_USAGE, "detail", text, "exit", EXIT_USAGE);
		if (guess != NULL)
			json_object_set_new(j, "did_you_mean",
			    json_string(guess));
		vaultctl_print_json(j);
	} else if (guess != NULL)
		fprintf(stderr, "vaultctl: %s; did you mean %s?\n", text,
		    guess);
	else
		fprintf(stderr, "vaultctl: %s (vaultctl help lists the "
		    "commands)\n", text);
	return EXIT_USAGE;
}

static int
unknown_command(struct vaultctl *vc, const char *word)
{
	char	text[128];

	snprintf(text, sizeof(text), "unknown command %.64s", word);
	return usage_fail(vc, text, command_guess(word));
}

/* 1 if word is --NAME or --NAME=... for a name that carries a secret. */
static int
secret_option(const char *word)
{
	size_t	i, len;

	if (strncmp(word, "--", 2) != 0)
		return 0;
	word += 2;
	len = strcspn(word, "=");
	for (i = 0; i < sizeof(secret_opts) / sizeof(secret_opts[0]); i++)
		if (strlen(secret_opts[i]) == len &&
		    strncmp(word, secret_opts[i], len) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	const struct command	*c;
	struct vaultctl		 vc;
	int			 i, n, r;

	harden_process();
	/* vaultd may close on us (a refusal): an error to report, not death */
	signal(SIGPIPE, SIG_IGN);
	log_init("vaultctl", 0);
	/* before any JSON value exists: one allocator for all of them */
	json_set_alloc_funcs(vaultctl_json_malloc, vaultctl_json_free);
	memset(&vc, 0, sizeof(vc));
	vc.chan.fd = -1;

	/* --json anywhere on the line; the rest keep their order */
	for (i = 1, n = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			vc.json = 1;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	argc = n - 1;
	argv++;

	/* before anything reads it: a secret on the command line */
	for (i = 0; i < argc; i++)
		if (secret_option(argv[i])) {
			if (vc.json)
				vaultctl_print_json(json_pack("{s:b, s:s, "
				    "s:s, s:i, s:s, s:i}", "ok", 0, "error",
				    SECRET_REFUSED, "reason",
				    cv_strerror(CV_ERR_USAGE), "code",
				    CV_ERR_USAGE, "detail", SECRET_REFUSED,
				    "exit", EXIT_USAGE));
			else
				fprintf(stderr, "vaultctl: %s\n",
				    SECRET_REFUSED);
			return EXIT_USAGE;
		}

	if (sodium_init() < 0) {
		snprintf(vc.errtext, sizeof(vc.errtext), "libsodium "
		    "initialisation failed");
		return vaultctl_fail(&vc, "vaultctl", CV_ERR_INTERNAL);
	}
	if (argc == 0) {
		if (vc.json)
			return usage_fail(&vc, "a command is required", NULL);
		help_all(&vc, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
	    (strcmp(argv[0], "help") == 0 && argc == 1)) {
		help_all(&vc, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[0], "--version") == 0 && argc == 1) {
		if (vc.json)
			vaultctl_print_json(json_pack("{s:b, s:s, s:s}", "ok",
			    1, "program", "vaultctl", "version",
			    CLOBVAULT_VERSION));
		else
			printf("vaultctl %s\n", CLOBVAULT_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (argc != 2)
			return usage_fail(&vc, "usage: vaultctl help [COMMAND]",
			    NULL);
		if ((c = command_find(argv[1])) == NULL)
			return unknown_command(&vc, argv[1]);
		return help_one(&vc, c);
	}
	if (argv[0][0] == '-') {
		char	text[80];

		/* its name only: never what follows '=' */
		n = (int)strcspn(argv[0], "=");
		snprintf(text, sizeof(text), "unknown option %.*s",
		    n > 40 ? 40 : n, argv[0]);
		return usage_fail(&vc, text, NULL);
	}
	if ((c = command_find(argv[0])) == NULL)
		return unknown_command(&vc, argv[0]);
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return help_one(&vc, c);
	r = c->fn(&vc, argc, argv);
	if (vc.chan.fd != -1)
		chan_free(&vc.chan);
	return r;
}
