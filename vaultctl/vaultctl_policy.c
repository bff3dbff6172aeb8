/*
 * vaultctl policy show|lint|diff|test|apply|sign: the operator's side of
 * the policy (the approvers' is vaultctl_approve.c).  lint, test and
 * sign read files only and need no vaultd; show, diff and test without
 * a FILE read the policy in force from vaultd.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/encode.h"
#include "common/secret_io.h"
#include "common/vault_crypto.h"
#include "policy/policy.h"
#include "vaultctl/vaultctl.h"

#define APPROVALS_MAX	64

/* The whole of a policy file into *out (NUL-terminated; caller frees). */
static int
read_text(struct vaultctl *vc, const char *path, char **out, size_t *len)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(vc->errtext, sizeof(vc->errtext), "cannot read %s: %s",
		    path, strerror(errno));
		return errno == ENOENT ? CV_ERR_NOTFOUND : CV_ERR_IO;
	}
	if ((buf = malloc(POLICY_MAX_TEXT + 2)) == NULL) {
		fclose(f);
		return CV_ERR_NOMEM;
	}
	n = fread(buf, 1, POLICY_MAX_TEXT + 1, f);
	if (ferror(f)) {
		snprintf(vc->errtext, sizeof(vc->errtext), "cannot read %s",
		    path);
		fclose(f);
		free(buf);
		return CV_ERR_IO;
	}
	fclose(f);
	if (n > POLICY_MAX_TEXT) {
		snprintf(vc->errtext, sizeof(vc->errtext), "%s is larger than "
		    "%d bytes", path, POLICY_MAX_TEXT);
		free(buf);
		return CV_ERR_TOOLONG;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* Parse text; on failure print every error as FILE:LINE:COL: message. */
static int
parse_or_report(struct vaultctl *vc, const char *name, const char *text,
    size_t len, struct policy **pol)
{
	struct policy_errors	errs;
	json_t			*arr;
	size_t			 i;
	int			 r;

	/* vaultd applies no empty file: lint says so too */
	if (len == 0) {
		*pol = NULL;
		if (vc->json)
			vaultctl_print_json(json_pack("{s:b, s:s, s:[], s:b, "
			    "s:i}", "ok", 0, "error", POLICY_EMPTY_WHY,
			    "errors", "more", 0, "exit", EXIT_FAIL));
		else
			fprintf(stderr, "%s: %s\n", name, POLICY_EMPTY_WHY);
		return CV_ERR_INVALID;
	}
	if ((r = policy_parse(text, len, pol, &errs)) == 0)
		return 0;
	if (vc->json) {
		arr = json_array();
		for (i = 0; i < errs.n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:i, s:i, "
			    "s:s}", "file", name, "line", errs.e[i].line,
			    "column", errs.e[i].col, "error", errs.e[i].msg));
		vaultctl_print_json(json_pack("{s:b, s:s, s:o, s:b, s:i}",
		    "ok", 0, "error", "the policy has errors", "errors", arr,
		    "more", errs.more, "exit", EXIT_FAIL));
	} else {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s:%d:%d: %s\n", name,
			    errs.e[i].line, errs.e[i].col, errs.e[i].msg);
		if (errs.more)
			fprintf(stderr, "%s: more errors not shown\n", name);
		if (errs.n == 0)
			fprintf(stderr, "%s: %s\n", name, cv_strerror(r));
	}
	return r;
}

struct active {
	uint64_t	 version;
	uint8_t		 digest[POLICY_DIGEST_LEN];
	char		*text;
	size_t		 len;
	char		 trouble[513];
};

/* The policy in force, from vaultd. */
static int
get_active(struct vaultctl *vc, struct active *a)
{
	struct msg_w	 w;
	struct msg	 m;
	const uint8_t	*d;
	const char	*t;
	size_t		 dl, tl;
	int		 r;

	memset(a, 0, sizeof(*a));
	if ((r = vaultctl_connect(vc)) != 0)
		return r;
	msg_begin(&w, MSG_CTL_POLICY_SHOW_REQ, ++vc->next_id);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_POLICY_SHOW_ANS, &m)) != 0)
		return r;
	if ((r = msg_get_u64(&m.rd, &a->version)) != 0 ||
	    (r = msg_get_bin(&m.rd, &d, &dl, POLICY_DIGEST_LEN)) != 0 ||
	    (r = msg_get_str(&m.rd, &t, &tl, POLICY_MAX_TEXT)) != 0 ||
	    (r = msg_get_strbuf(&m.rd, a->trouble, sizeof(a->trouble))) != 0)
		goto out;
	if (dl != POLICY_DIGEST_LEN) {
		r = CV_ERR_MSG_LENGTH;
		goto out;
	}
	memcpy(a->digest, d, dl);
	if ((a->text = malloc(tl + 1)) == NULL) {
		r = CV_ERR_NOMEM;
		goto out;
	}
	memcpy(a->text, t, tl);
	a->text[tl] = '\0';
	a->len = tl;
 out:
	msg_clear(&m);
	return r;
}

static const char *
effect_name(enum policy_effect e)
{
	return e == POLICY_ALLOW ? "allow" : e == POLICY_APPROVE ? "approve" :
	    "deny";
}

static json_t *
rules_json(const struct policy *pol)
{
	struct policy_rule_info	 ri;
	json_t			*arr = json_array();
	size_t			 i;

	for (i = 0; policy_rule(pol, i, &ri) == 0; i++)
		json_array_append_new(arr, json_pack("{s:s, s:i, s:s, s:s}",
		    "id", ri.id, "line", ri.line, "effect",
		    effect_name(ri.effect), "rule", ri.canon));
	return arr;
}

static int
policy_show(struct vaultctl *vc, int argc, char **argv)
{
	struct active		 a;
	struct policy		*pol = NULL;
	struct policy_errors	 errs;
	char			 hex[POLICY_DIGEST_LEN * 2 + 1];
	int			 r;

	if (argc != 1)
		return vaultctl_fail(vc, "usage: vaultctl policy show",
		    CV_ERR_USAGE);
	if ((r = get_active(vc, &a)) != 0)
		return vaultctl_fail(vc, "policy show", r);
	hex_encode(a.digest, sizeof(a.digest), hex);
	if (vc->json) {
		if (policy_parse(a.text, a.len, &pol, &errs) != 0)
			pol = NULL;
		vaultctl_print_json(json_pack("{s:I, s:s, s:s, s:s, s:o}",
		    "version", (json_int_t)a.version, "sha256", hex,
		    "text", a.text, "trouble", a.trouble,
		    "rules", pol ? rules_json(pol) : json_array()));
		policy_free(pol);
	} else {
		printf("# policy version %llu%s, sha256 %s\n",
		    (unsigned long long)a.version, a.version == 0 ?
		    " (the built-in default: none applied yet)" : "", hex);
		if (a.trouble[0] != '\0')
			printf("# NOT IN FORCE: %s\n", a.trouble);
		fwrite(a.text, 1, a.len, stdout);
		if (a.len > 0 && a.text[a.len - 1] != '\n')
			putchar('\n');
	}
	free(a.text);
	return EXIT_OK;
}

static int
policy_lint(struct vaultctl *vc, int argc, char **argv)
{
	struct policy	*pol;
	char		*text;
	size_t		 len;
	int		 r;

	if (argc != 2)
		return vaultctl_fail(vc, "usage: vaultctl policy lint FILE",
		    CV_ERR_USAGE);
	if ((r = read_text(vc, argv[1], &text, &len)) != 0)
		return vaultctl_fail(vc, "policy lint", r);
	r = parse_or_report(vc, argv[1], text, len, &pol);
	free(text);
	if (r != 0)
		return EXIT_FAIL;
	if (vc->json)
		vaultctl_print_json(json_pack("{s:b, s:o}", "ok", 1, "rules",
		    rules_json(pol)));
	else
		printf("%s: %zu rule%s, no errors\n", argv[1],
		    policy_nrules(pol), policy_nrules(pol) == 1 ? "" : "s");
	policy_free(pol);
	return EXIT_OK;
}

struct diff_out {
	json_t	*arr;
	int	 json;
};

static void
diff_line(void *arg, char sign, const struct policy_rule_info *o,
    const struct policy_rule_info *n)
{
	struct diff_out	*d = arg;

	if (d->json) {
		json_array_append_new(d->arr, json_pack("{s:s, s:s?, s:s?, "
		    "s:i, s:i}", "change", sign == '+' ? "added" : sign == '-' ?
		    "removed" : "changed", "old", o ? o->canon : NULL,
		    "new", n ? n->canon : NULL, "old_line", o ? o->line : 0,
		    "new_line", n ? n->line : 0));
		return;
	}
	if (sign == '~') {
		printf("~ %s (line %d -> %d)\n  - %s\n  + %s\n", n->id,
		    o->line, n->line, o->canon, n->canon);
	} else if (sign == '-')
		printf("- %s (line %d): %s\n", o->id, o->line, o->canon);
	else
		printf("+ %s (line %d): %s\n", n->id, n->line, n->canon);
}

/*
 * The change from the policy in force to pol, told to d; the count.  A
 * text in force that does not parse here counts as the empty policy.
 */
static int
run_diff(const struct active *a, const struct policy *pol,
    struct diff_out *d, size_t *count)
{
	struct policy		*old = NULL;
	struct policy_errors	 errs;

	if (policy_parse(a->text, a->len, &old, &errs) != 0 &&
	    policy_parse("", 0, &old, &errs) != 0)
		return CV_ERR_NOMEM;
	*count = policy_diff(old, pol, diff_line, d);
	policy_free(old);
	return 0;
}

/* Print the change from the policy in force to pol; the count. */
static int
print_diff(const struct active *a, const struct policy *pol, size_t *count)
{
	struct diff_out	d = { NULL, 0 };
	int		r;

	if ((r = run_diff(a, pol, &d, count)) != 0)
		return r;
	if (*count == 0)
		printf("no change to the rules of version %llu\n",
		    (unsigned long long)a->version);
	return 0;
}

static int
policy_diff_cmd(struct vaultctl *vc, int argc, char **argv)
{
	struct active	 a;
	struct policy	*pol = NULL;
	struct diff_out	 d;
	char		*text;
	size_t		 len, n;
	int		 r;

	if (argc != 2)
		return vaultctl_fail(vc, "usage: vaultctl policy diff FILE",
		    CV_ERR_USAGE);
	if ((r = read_text(vc, argv[1], &text, &len)) != 0)
		return vaultctl_fail(vc, "policy diff", r);
	r = parse_or_report(vc, argv[1], text, len, &pol);
	free(text);
	if (r != 0)
		return EXIT_FAIL;
	if ((r = get_active(vc, &a)) != 0) {
		policy_free(pol);
		return vaultctl_fail(vc, "policy diff", r);
	}
	if (vc->json) {
		d.json = 1;
		d.arr = json_array();
		if ((r = run_diff(&a, pol, &d, &n)) == 0) {
			vaultctl_print_json(json_pack("{s:I, s:I, s:o}",
			    "version", (json_int_t)a.version, "changes",
			    (json_int_t)n, "diff", d.arr));
			d.arr = NULL;
		}
		json_decref(d.arr);
	} else
		r = print_diff(&a, pol, &n);
	policy_free(pol);
	free(a.text);
	return r == 0 ? EXIT_OK : vaultctl_fail(vc, "policy diff", r);
}

static void
explain_line(void *arg, const char *line)
{
	(void)arg;
	printf("%s\n", line);
}

static void
explain_json(void *arg, const char *line)
{
	json_array_append_new((json_t *)arg, json_string(line));
}

static int
parse_level(const char *s, enum policy_level *l)
{
	static const char	*names[] = { "none", "l1", "l2", "builder",
				    "bearer" };
	size_t			 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0) {
			*l = (enum policy_level)i;
			return 0;
		}
	return -1;
}

static const struct option test_opts[] = {
	{ "account",	required_argument, NULL, 'a' },
	{ "actor",	required_argument, NULL, 'A' },
	{ "profile",	required_argument, NULL, 'P' },
	{ "level",	required_argument, NULL, 'l' },
	{ "method",	required_argument, NULL, 'm' },
	{ "path",	required_argument, NULL, 'p' },
	{ "body",	required_argument, NULL, 'b' },
	{ "nonce",	required_argument, NULL, 'n' },
	{ "catalog",	no_argument,	   NULL, 'c' },
	{ "kind",	required_argument, NULL, 'k' },
	{ "field",	required_argument, NULL, 'f' },
	{ "signed-ts",	required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 }
};

#define TEST_FIELDS	16

static int
policy_test(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl policy test [FILE] "
	    "--account A --actor operator[:UID]|client:NAME --level "
	    "none|l1|l2|builder|bearer --method M --path P [--body B] "
	    "[--nonce N] [--profile P] [--catalog] [--kind K --field "
	    "NAME=VALUE...] [--signed-ts SECONDS]";
	struct policy_req	 req;
	struct policy_field	 fields[TEST_FIELDS];
	struct policy_verdict	 v;
	struct policy		*pol = NULL;
	struct active		 a;
	const char		*actor = NULL, *file = NULL;
	char			*text = NULL, *eq, *end;
	json_t			*lines = NULL;
	size_t			 len, nf = 0;
	int			 ch, r, level = 0;

	memset(&req, 0, sizeof(req));
	memset(&a, 0, sizeof(a));
	req.profile = "";
	req.level = POLICY_L_NONE;
	if (vaultctl_opt_begin(vc, argc, argv, test_opts) != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	while ((ch = vaultctl_opt_next(argc, argv, test_opts)) != -1) {
		switch (ch) {
		case 'a': req.account = optarg; break;
		case 'A': actor = optarg; break;
		case 'P': req.profile = optarg; break;
		case 'l':
			if (parse_level(optarg, &req.level) != 0)
				return vaultctl_fail(vc, use, CV_ERR_USAGE);
			level = 1;
			break;
		case 'm': req.method = optarg; break;
		case 'p': req.path = optarg; break;
		case 'b':
			req.body = (const uint8_t *)optarg;
			req.bodylen = strlen(optarg);
			break;
		case 'n':
			if (dec_decode_u64(optarg, strlen(optarg),
			    &req.nonce) != 0)
				return vaultctl_fail(vc, use, CV_ERR_USAGE);
			break;
		case 'c': req.in_catalog = 1; break;
		case 'k': req.kind = optarg; break;
		case 'f':
			if ((eq = strchr(optarg, '=')) == NULL ||
			    nf == TEST_FIELDS)
				return vaultctl_fail(vc, use, CV_ERR_USAGE);
			*eq = '\0';
			fields[nf].name = optarg;
			fields[nf++].value = eq + 1;
			break;
		case 't':
			errno = 0;
			req.signed_ts = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg)
				return vaultctl_fail(vc, use, CV_ERR_USAGE);
			break;
		default:
			return vaultctl_fail(vc, use, CV_ERR_USAGE);
		}
	}
	if (optind + 1 == argc)
		file = argv[optind];
	else if (optind != argc)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if (req.account == NULL || actor == NULL || !level ||
	    req.method == NULL || req.path == NULL || (nf > 0 &&
	    req.kind == NULL))
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if (strncmp(actor, "client:", 7) == 0 && actor[7] != '\0') {
		req.actor = POLICY_ACTOR_CLIENT;
		req.client = actor + 7;
	} else if (strcmp(actor, "operator") == 0)
		req.actor = POLICY_ACTOR_OPERATOR, req.uid = (uint32_t)getuid();
	else if (strncmp(actor, "operator:", 9) == 0) {
		uint64_t uid;

		if (dec_decode_u64(actor + 9, strlen(actor + 9), &uid) != 0 ||
		    uid > UINT32_MAX)
			return vaultctl_fail(vc, use, CV_ERR_USAGE);
		req.actor = POLICY_ACTOR_OPERATOR;
		req.uid = (uint32_t)uid;
	} else
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	req.pathlen = strlen(req.path);
	req.fields = fields;
	req.nfields = nf;
	if (file != NULL) {
		if ((r = read_text(vc, file, &text, &len)) != 0)
			return vaultctl_fail(vc, "policy test", r);
		r = parse_or_report(vc, file, text, len, &pol);
		free(text);
		if (r != 0)
			return EXIT_FAIL;
	} else {
		if ((r = get_active(vc, &a)) != 0)
			return vaultctl_fail(vc, "policy test", r);
		r = parse_or_report(vc, "(policy in force)", a.text, a.len,
		    &pol);
		free(a.text);
		if (r != 0)
			return EXIT_FAIL;
	}
	if (vc->json)
		lines = json_array();
	r = policy_explain(pol, NULL, &req, (int64_t)time(NULL) * 1000,
	    vc->json ? explain_json : explain_line, lines);
	if (r == 0)
		r = policy_eval(pol, NULL, &req, (int64_t)time(NULL) * 1000,
		    &v);
	policy_free(pol);
	if (r != 0) {
		json_decref(lines);
		return vaultctl_fail(vc, "policy test", r);
	}
	if (vc->json)
		vaultctl_print_json(json_pack("{s:s, s:s, s:i, s:s, s:o, "
		    "s:i}", "verdict", effect_name(v.effect), "rule", v.id,
		    "line", v.line, "why", v.why, "trace", lines, "exit",
		    v.effect == POLICY_DENY ? EXIT_DENIED : EXIT_OK));
	/* in text, the explanation's last line was the verdict */
	return v.effect == POLICY_DENY ? EXIT_DENIED : EXIT_OK;
}

static const struct option apply_opts[] = {
	{ "passphrase-file",	required_argument, NULL, 'p' },
	{ "keyfile",		required_argument, NULL, 'k' },
	{ "approval",		required_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 }
};

/* An approval file: lines "approval PUBKEYHEX SIGHEX". */
static int
read_approvals(struct vaultctl *vc, const char *path, uint8_t pks[][32],
    uint8_t sigs[][64], size_t *n)
{
	FILE	*f;
	char	 line[512], pkh[80], sigh[160];
	size_t	 l1, l2;
	int	 r = 0;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(vc->errtext, sizeof(vc->errtext), "cannot read %s: %s",
		    path, strerror(errno));
		return CV_ERR_NOTFOUND;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (*n == APPROVALS_MAX || sscanf(line, "approval %79s %159s",
		    pkh, sigh) != 2 || hex_decode(pkh, strlen(pkh), pks[*n],
		    32, &l1) != 0 || l1 != 32 || hex_decode(sigh, strlen(sigh),
		    sigs[*n], 64, &l2) != 0 || l2 != 64) {
			snprintf(vc->errtext, sizeof(vc->errtext), "%s: not an "
			    "approval line (vaultctl policy sign prints them)",
			    path);
			r = CV_ERR_INVALID;
			break;
		}
		(*n)++;
	}
	fclose(f);
	return r;
}

static int
policy_apply(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl policy apply FILE "
	    "[--passphrase-file F | --keyfile F] [--approval FILE]...";
	static uint8_t		 pks[APPROVALS_MAX][32], sigs[APPROVALS_MAX][64];
	struct policy		*pol = NULL;
	struct active		 a;
	struct secret		 cred;
	struct msg_w		 w;
	struct msg		 m;
	const char		*pass = NULL, *key = NULL, *file;
	const uint8_t		*d1, *d2;
	char			*text = NULL, h1[65], h2[65];
	size_t			 len, napp = 0, i, l1, l2, count;
	uint64_t		 version;
	int			 ch, keyfile, r;

	if (vaultctl_opt_begin(vc, argc, argv, apply_opts) != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	while ((ch = vaultctl_opt_next(argc, argv, apply_opts)) != -1) {
		switch (ch) {
		case 'p': pass = optarg; break;
		case 'k': key = optarg; break;
		case 'a':
			if ((r = read_approvals(vc, optarg, pks, sigs,
			    &napp)) != 0)
				return vaultctl_fail(vc, "policy apply", r);
			break;
		default:
			return vaultctl_fail(vc, use, CV_ERR_USAGE);
		}
	}
	if (optind + 1 != argc || (pass != NULL && key != NULL))
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	file = argv[optind];
	if ((r = read_text(vc, file, &text, &len)) != 0)
		return vaultctl_fail(vc, "policy apply", r);
	if (parse_or_report(vc, file, text, len, &pol) != 0) {
		free(text);
		return EXIT_FAIL;
	}
	if ((r = get_active(vc, &a)) != 0) {
		policy_free(pol);
		free(text);
		return vaultctl_fail(vc, "policy apply", r);
	}
	if (!vc->json) {
		printf("changes from version %llu to %llu:\n",
		    (unsigned long long)a.version,
		    (unsigned long long)a.version + 1);
		if ((r = print_diff(&a, pol, &count)) != 0)
			goto fail;
	}
	free(a.text);
	a.text = NULL;
	policy_free(pol);
	pol = NULL;
	if ((r = vaultctl_cred_get(vc, pass, key, "Vault passphrase (to "
	    "apply the policy): ", 0, 0, &cred, &keyfile)) != 0)
		goto fail;
	msg_begin(&w, MSG_CTL_POLICY_APPLY_REQ, ++vc->next_id);
	msg_put_bin(&w, cred.p, cred.len);
	msg_put_bool(&w, keyfile);
	secret_free(&cred);
	msg_put_strn(&w, text, len);
	msg_put_array(&w, (uint32_t)napp);
	for (i = 0; i < napp; i++) {
		msg_put_array(&w, 2);
		msg_put_bin(&w, pks[i], 32);
		msg_put_bin(&w, sigs[i], 64);
	}
	free(text);
	text = NULL;
	if ((r = vaultctl_call(vc, &w, MSG_CTL_POLICY_APPLY_ANS, &m)) != 0)
		goto fail;
	if ((r = msg_get_u64(&m.rd, &version)) != 0 ||
	    (r = msg_get_bin(&m.rd, &d1, &l1, 32)) != 0 ||
	    (r = msg_get_bin(&m.rd, &d2, &l2, 32)) != 0 || l1 != 32 ||
	    l2 != 32) {
		msg_clear(&m);
		r = r != 0 ? r : CV_ERR_MSG_LENGTH;
		goto fail;
	}
	hex_encode(d1, 32, h1);
	hex_encode(d2, 32, h2);
	msg_clear(&m);
	if (vc->json)
		vaultctl_print_json(json_pack("{s:b, s:I, s:s, s:s}", "ok", 1,
		    "version", (json_int_t)version, "old_sha256", h1,
		    "sha256", h2));
	else
		printf("policy version %llu in force (sha256 %s)\n",
		    (unsigned long long)version, h2);
	return EXIT_OK;
 fail:
	free(a.text);
	free(text);
	policy_free(pol);
	return vaultctl_fail(vc, "policy apply", r);
}

/* --key-file names a file: a bare --key is refused as a secret in argv */
static const struct option sign_opts[] = {
	{ "key-file",	required_argument, NULL, 'k' },
	{ "version",	required_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 }
};

/* An approver signs a new policy text for the next version. */
static int
policy_sign(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl policy sign FILE "
	    "--key-file KEYFILE [--version N]";
	struct secret		 sk;
	struct active		 a;
	struct policy		*pol;
	const char		*key = NULL;
	uint8_t			 pk[32], digest[32], sig[64];
	uint8_t			 msg[POLICY_CHANGE_MSG_LEN];
	char			*text, pkh[65], sigh[129], dh[65];
	uint64_t		 version = 0;
	size_t			 len;
	int			 ch, r;

	if (vaultctl_opt_begin(vc, argc, argv, sign_opts) != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	while ((ch = vaultctl_opt_next(argc, argv, sign_opts)) != -1) {
		switch (ch) {
		case 'k': key = optarg; break;
		case 'v':
			if (dec_decode_u64(optarg, strlen(optarg), &version) !=
			    0 || version == 0)
				return vaultctl_fail(vc, use, CV_ERR_USAGE);
			break;
		default:
			return vaultctl_fail(vc, use, CV_ERR_USAGE);
		}
	}
	if (optind + 1 != argc || key == NULL)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if ((r = read_text(vc, argv[optind], &text, &len)) != 0)
		return vaultctl_fail(vc, "policy sign", r);
	if (parse_or_report(vc, argv[optind], text, len, &pol) != 0) {
		free(text);
		return EXIT_FAIL;
	}
	policy_free(pol);
	if (version == 0) {		/* the next one after the one in force */
		if ((r = get_active(vc, &a)) != 0) {
			free(text);
			return vaultctl_fail(vc, "policy sign (or give "
			    "--version N)", r);
		}
		free(a.text);
		version = a.version + 1;
	}
	policy_digest(text, len, digest);
	free(text);
	if ((r = vaultctl_approver_key(vc, key, &sk, pk)) != 0)
		return vaultctl_fail(vc, "policy sign", r);
	policy_change_msg(digest, version, msg);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk.p);
	secret_free(&sk);
	hex_encode(pk, 32, pkh);
	hex_encode(sig, 64, sigh);
	hex_encode(digest, 32, dh);
	if (vc->json)
		vaultctl_print_json(json_pack("{s:s, s:s, s:I, s:s}",
		    "public_key", pkh, "signature", sigh, "version",
		    (json_int_t)version, "sha256", dh));
	else
		printf("# policy sha256 %s as version %llu\napproval %s %s\n",
		    dh, (unsigned long long)version, pkh, sigh);
	return EXIT_OK;
}

int
cmd_policy(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl policy "
	    "show | lint FILE | diff FILE | test [FILE] ... | "
	    "apply FILE [...] | sign FILE --key-file KEYFILE";

	if (argc < 2)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if (strcmp(argv[1], "show") == 0)
		return policy_show(vc, argc - 1, argv + 1);
	if (strcmp(argv[1], "lint") == 0)
		return policy_lint(vc, argc - 1, argv + 1);
	if (strcmp(argv[1], "diff") == 0)
		return policy_diff_cmd(vc, argc - 1, argv + 1);
	if (strcmp(argv[1], "test") == 0)
		return policy_test(vc, argc - 1, argv + 1);
	if (strcmp(argv[1], "apply") == 0)
		return policy_apply(vc, argc - 1, argv + 1);
	if (strcmp(argv[1], "sign") == 0)
		return policy_sign(vc, argc - 1, argv + 1);
	return vaultctl_fail(vc, use, CV_ERR_USAGE);
}
