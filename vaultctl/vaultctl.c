/*
 * vaultctl: the operator's command line.  Human output by default, one
 * JSON document with --json, and exit codes by class of failure.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/log.h"
#include "common/privsep.h"
#include "vaultctl/vaultctl.h"

static const struct {
	const char	*name;
	int		(*fn)(struct vaultctl *, int, char **);
	const char	*help;
} commands[] = {
	{ "status",	cmd_status,	"processes, pids, uptime, restarts, sandbox" },
	{ "init",	cmd_init,	"[--passphrase-file F | --keyfile F] [--kdf L]" },
	{ "unlock",	cmd_unlock,	"[--passphrase-file F | --keyfile F]" },
	{ "lock",	cmd_lock,	"forget every key in memory" },
	{ "passwd",	cmd_passwd,	"change what unlocks the vault" },
	{ "account",	cmd_account,	"add NAME --profile P [--url U] [--ca-file F] [--pin sha256//B64]\n"
					"                 | list | remove NAME" },
	{ "wallet",	cmd_wallet,	"generate | import | address --account A" },
	{ "invite",	cmd_invite,	"set | show | clear --account A" },
	{ "apikey",	cmd_apikey,	"create|derive|create-or-derive [--nonce N] | list | delete\n"
					"                 | import | list --local   (each --account A)" },
	{ "builder",	cmd_builder,	"create --builder-id ID | list | revoke [KEY] | list --local" },
	{ "closed-only", cmd_call,	"--account A" },
	{ "balance",	cmd_call,	"[update] --account A [--asset-type COLLATERAL|CONDITIONAL] [--token-id ID]\n"
					"                 [--signature-type 0|1|2]" },
	{ "notifications", cmd_call,	"list [--signature-type N] | drop [--id ID]... --account A" },
	{ "waitlist",	cmd_call,	"join EMAIL --account A" },
	{ "time",	cmd_call,	"--account A (the exchange's clock)" },
	{ "audit",	cmd_audit,	"show [--tail N] | verify [--anchor S:H] | anchor" },
	{ "headers",	cmd_headers,	"l1|l2|builder --account A [--method M --path P] [--body B] [--nonce N]" },
	{ "policy",	cmd_policy,	"show | lint FILE | diff FILE | test [FILE] --account A --actor W --level L\n"
					"                 --method M --path P [...] | apply FILE [--approval F]...\n"
					"                 | sign FILE --key KEYFILE" },
	{ "approve",	cmd_approve,	"list | grant|deny ID --key KEYFILE" },
	{ "approver",	cmd_approver,	"keygen FILE (an approver's Ed25519 key)" },
	{ "debug",	cmd_debug,	"debug probe CHILD KIND (vaultd -T only)" },
};

static int
usage(void)
{
	size_t	i;

	fprintf(stderr, "usage: vaultctl [--json] command [args]\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  %-14s %s\n", commands[i].name,
		    commands[i].help);
	fprintf(stderr, "exit codes: 0 ok, 1 failure, 2 usage, 3 vaultd not "
	    "running, 4 denied, 5 locked,\n  6 wrong passphrase, 7 tampered "
	    "or corrupt, 8 not found, 9 transport, 10 exchange error,\n"
	    "  11 malformed answer from the exchange\n");
	return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	struct vaultctl	vc;
	size_t		i;
	int		r;

	harden_process();
	/* vaultd may close on us (a refusal): an error to report, not death */
	signal(SIGPIPE, SIG_IGN);
	log_init("vaultctl", 0);
	if (sodium_init() < 0) {
		fprintf(stderr, "vaultctl: libsodium initialisation failed\n");
		return EXIT_FAIL;
	}
	memset(&vc, 0, sizeof(vc));
	vc.chan.fd = -1;
	argc--;
	argv++;
	while (argc > 0 && argv[0][0] == '-') {
		if (strcmp(argv[0], "--json") == 0)
			vc.json = 1;
		else if (strcmp(argv[0], "--help") == 0 ||
		    strcmp(argv[0], "-h") == 0)
			return usage();
		else {
			fprintf(stderr, "vaultctl: unknown option %s\n",
			    argv[0]);
			return usage();
		}
		argc--;
		argv++;
	}
	if (argc == 0)
		return usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0) {
			r = commands[i].fn(&vc, argc, argv);
			if (vc.chan.fd != -1)
				chan_free(&vc.chan);
			return r;
		}
	fprintf(stderr, "vaultctl: unknown command %s\n", argv[0]);
	return usage();
}
