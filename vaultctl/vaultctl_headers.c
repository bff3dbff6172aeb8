/*
 * vaultctl headers l1|l2|builder: the exact header set an account would
 * send now, for debugging a 401 or driving curl.  Gated and audited like
 * every signature.  The L2 and builder sets carry the API passphrase,
 * which the exchanges take as a header: treat the output as a secret.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/catalog.h"
#include "policy/policy.h"
#include "vaultctl/vaultctl.h"

static const struct option hdr_opts[] = {
	{ "account",	required_argument, NULL, 'a' },
	{ "method",	required_argument, NULL, 'm' },
	{ "path",	required_argument, NULL, 'p' },
	{ "body",	required_argument, NULL, 'b' },
	{ "nonce",	required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 }
};

int
cmd_headers(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl headers l1 --account A "
	    "[--nonce N] [--method M --path P] | headers l2|builder "
	    "--account A --method M --path P [--body B]";
	const char		*account = NULL, *method = NULL, *path = NULL;
	const char		*body = "", *n, *v;
	struct msg_w		 w;
	struct msg		 m;
	struct msg_rd		 list, e;
	json_t			*j;
	uint64_t		 nonce = 0, level;
	size_t			 nl, vl;
	uint32_t		 i;
	char			*end, name[65];
	int			 ch, r;

	if (argc < 2)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if (strcmp(argv[1], "l1") == 0)
		level = CATALOG_L1;
	else if (strcmp(argv[1], "l2") == 0)
		level = CATALOG_L2;
	else if (strcmp(argv[1], "builder") == 0)
		level = CATALOG_BUILDER;
	else
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	argc--;
	argv++;
	if (vaultctl_opt_begin(vc, argc, argv, hdr_opts) != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	while ((ch = vaultctl_opt_next(argc, argv, hdr_opts)) != -1) {
		switch (ch) {
		case 'a': account = optarg; break;
		case 'm': method = optarg; break;
		case 'p': path = optarg; break;
		case 'b': body = optarg; break;
		case 'n':
			errno = 0;
			nonce = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *optarg == '-' || *end != '\0' ||
			    errno != 0)
				return vaultctl_fail(vc, use, CV_ERR_USAGE);
			break;
		default:
			return vaultctl_fail(vc, use, CV_ERR_USAGE);
		}
	}
	if (level == CATALOG_L1 && method == NULL && path == NULL) {
		method = "POST";	/* create_api_key */
		path = "/auth/api-key";
	}
	if (optind != argc || account == NULL || method == NULL ||
	    path == NULL)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	/* a request held for approval waits up to the policy's timeout */
	vc->timeout_ms = (POLICY_APPROVAL_TIMEOUT + 30) * 1000;
	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "headers", r);
	msg_begin(&w, MSG_CTL_HEADERS_REQ, ++vc->next_id);
	msg_put_str(&w, account);
	msg_put_u64(&w, level);
	msg_put_str(&w, method);
	msg_put_str(&w, path);
	msg_put_bin(&w, body, strlen(body));
	msg_put_u64(&w, nonce);
	msg_put_u64(&w, 0);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_HEADERS_ANS, &m)) != 0)
		return vaultctl_fail(vc, "headers", r);
	if ((r = msg_get_array(&m.rd, &list, 16)) != 0)
		goto bad;
	j = json_object();
	for (i = 0; i < list.n; i++) {
		if ((r = msg_get_array(&list, &e, 2)) != 0 ||
		    (r = msg_get_str(&e, &n, &nl, 64)) != 0 ||
		    (r = msg_get_str(&e, &v, &vl, 256)) != 0) {
			json_decref(j);
			goto bad;
		}
		if (vc->json) {
			snprintf(name, sizeof(name), "%.*s", (int)nl, n);
			json_object_set_new(j, name, json_stringn(v, vl));
		}
		else
			printf("%.*s: %.*s\n", (int)nl, n, (int)vl, v);
	}
	msg_clear(&m);
	if (vc->json)
		vaultctl_print_json(j);
	else
		json_decref(j);
	return EXIT_OK;
 bad:
	msg_clear(&m);
	return vaultctl_fail(vc, "headers: bad answer from vaultd", r);
}
