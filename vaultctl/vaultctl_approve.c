/*
 * vaultctl approve list|grant|deny and approver keygen: the approvers'
 * side of requests held by the policy (vaultd/vaultd_approve.c).  An
 * approver's key stays in their own key file; vaultctl signs the held
 * request's digest, policy version and decision with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/encode.h"
#include "common/home.h"
#include "common/secret_io.h"
#include "policy/policy.h"
#include "vaultctl/vaultctl.h"

#define KEYFILE_TAG	"clobvault-approver-v1 "
#define LIST_FIELDS	15	/* of a held request in the list answer */

static const struct option decide_opts[] = {
	{ "key-file",	required_argument, NULL, 'k' },
	{ NULL, 0, NULL, 0 }
};

/* An approver's key file: the tag and 64 hex digits of the seed. */
int
vaultctl_approver_key(struct vaultctl *vc, const char *path, struct secret *sk,
    uint8_t pk[POLICY_PK_LEN])
{
	struct secret	text, seed;
	size_t		tl = strlen(KEYFILE_TAG), n;
	int		r;

	memset(sk, 0, sizeof(*sk));
	memset(&seed, 0, sizeof(seed));
	if ((r = secret_read_file(path, &text, 256)) != 0) {
		snprintf(vc->errtext, sizeof(vc->errtext), "cannot read the "
		    "approver key %s: %s", path, cv_strerror(r));
		return r;
	}
	r = CV_ERR_INVALID;
	if (text.len != tl + 64 || memcmp(text.p, KEYFILE_TAG, tl) != 0)
		goto out;
	if ((r = secret_alloc(&seed, crypto_sign_SEEDBYTES)) != 0 ||
	    (r = secret_alloc(sk, crypto_sign_SECRETKEYBYTES)) != 0)
		goto out;
	if (hex_decode((const char *)text.p + tl, 64, seed.p, seed.len,
	    &n) != 0 || n != crypto_sign_SEEDBYTES) {
		r = CV_ERR_INVALID;
		goto out;
	}
	crypto_sign_seed_keypair(pk, sk->p, seed.p);
	r = 0;
 out:
	if (r == CV_ERR_INVALID)
		snprintf(vc->errtext, sizeof(vc->errtext), "%s is not a "
		    "clobvault approver key (vaultctl approver keygen)", path);
	if (r != 0)
		secret_free(sk);
	secret_free(&seed);
	secret_free(&text);
	return r;
}

static const char *
idhex(uint64_t id)
{
	static char	buf[17];

	snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)id);
	return buf;
}

static const char *
level_name(uint64_t l)
{
	static const char	*names[] = { "none", "l1", "l2", "builder",
				    "bearer" };

	return l < sizeof(names) / sizeof(names[0]) ? names[l] : "?";
}

static int
approve_list(struct vaultctl *vc)
{
	struct msg_w	 w;
	struct msg	 m;
	struct msg_rd	 list, e;
	json_t		*arr = NULL;
	uint64_t	 version, id, age, left, level, flags;
	const uint8_t	*d;
	const char	*orders;
	char		 dh[65], actor[81], account[65], method[8];
	char		 path[4097], body[1024], why[POLICY_WHY_MAX + 1];
	char		 granted[513], key_id[65], decoded[1024];
	size_t		 dl;
	uint32_t	 i;
	int		 r;

	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "approve list", r);
	msg_begin(&w, MSG_CTL_APPROVE_LIST_REQ, ++vc->next_id);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_APPROVE_LIST_ANS, &m)) != 0)
		return vaultctl_fail(vc, "approve list", r);
	if ((r = msg_get_u64(&m.rd, &version)) != 0 ||
	    (r = msg_get_array(&m.rd, &list, 32)) != 0)
		goto out;
	if (vc->json)
		arr = json_array();
	else if (list.n == 0)
		printf("no request waits for approval (policy version %llu)\n",
		    (unsigned long long)version);
	for (i = 0; i < list.n; i++) {
		if ((r = msg_get_array(&list, &e, LIST_FIELDS)) != 0)
			goto out;
		if (e.n != LIST_FIELDS) {
			r = CV_ERR_MSG_COUNT;
			goto out;
		}
		if ((r = msg_get_u64(&e, &id)) != 0 ||
		    (r = msg_get_u64(&e, &age)) != 0 ||
		    (r = msg_get_u64(&e, &left)) != 0 ||
		    (r = msg_get_bin(&e, &d, &dl, 32)) != 0 ||
		    (r = msg_get_strbuf(&e, actor, sizeof(actor))) != 0 ||
		    (r = msg_get_strbuf(&e, account, sizeof(account))) != 0 ||
		    (r = msg_get_u64(&e, &level)) != 0 ||
		    (r = msg_get_strbuf(&e, method, sizeof(method))) != 0 ||
		    (r = msg_get_strbuf(&e, path, sizeof(path))) != 0 ||
		    (r = msg_get_strbuf(&e, body, sizeof(body))) != 0 ||
		    (r = msg_get_strbuf(&e, why, sizeof(why))) != 0 ||
		    (r = msg_get_strbuf(&e, granted, sizeof(granted))) != 0 ||
		    (r = msg_get_strbuf(&e, key_id, sizeof(key_id))) != 0 ||
		    (r = msg_get_u64(&e, &flags)) != 0 ||
		    (r = msg_get_strbuf(&e, decoded, sizeof(decoded))) != 0)
			goto out;
		if (dl != 32) {
			r = CV_ERR_MSG_LENGTH;
			goto out;
		}
		hex_encode(d, 32, dh);
		/* the wallet signs the body's orders too (neg-risk: for
		 * the neg-risk exchange) */
		orders = (flags & SIGN_F_ORDERS) ? ((flags & SIGN_F_NEGRISK) ?
		    "orders signed (neg-risk)" : "orders signed") : "";
		if (vc->json)
			json_array_append_new(arr, json_pack("{s:s%, s:I, s:I, "
			    "s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
			    "s:I, s:s, s:b, s:b, s:s}", "id", idhex(id),
			    (size_t)16,
			    "age_ms", (json_int_t)age, "left_ms",
			    (json_int_t)left, "digest", dh, "actor", actor,
			    "account", account, "level", level_name(level),
			    "method", method, "path", path, "body", body,
			    "why", why, "granted", granted, "policy_version",
			    (json_int_t)version, "key_id", key_id,
			    "orders_signed", (flags & SIGN_F_ORDERS) != 0,
			    "neg_risk", (flags & SIGN_F_NEGRISK) != 0,
			    "decoded", decoded));
		else
			printf("%s  %s %s %s %s %s%s%s%s%s\n    body: %s\n"
			    "%s%s%s    %s\n    digest %s, policy version %llu, "
			    "age %llu s, %llu s left, granted: %s\n",
			    idhex(id), actor, account, level_name(level),
			    method, path, key_id[0] ? ", key " : "", key_id,
			    orders[0] ? ", " : "", orders,
			    body[0] ? body : "(empty)", decoded[0] ?
			    "    decoded: " : "", decoded, decoded[0] ? "\n" :
			    "", why, dh,
			    (unsigned long long)version,
			    (unsigned long long)age / 1000,
			    (unsigned long long)left / 1000,
			    granted[0] ? granted : "none");
	}
	if (vc->json) {
		vaultctl_print_json(json_pack("{s:I, s:o}", "policy_version",
		    (json_int_t)version, "pending", arr));
		arr = NULL;
	}
 out:
	json_decref(arr);
	msg_clear(&m);
	return r == 0 ? EXIT_OK : vaultctl_fail(vc, "approve list", r);
}

/* Find the held request id in vaultd's list: its digest and version. */
static int
approve_find(struct vaultctl *vc, uint64_t want, uint8_t digest[32],
    uint64_t *version)
{
	struct msg_w	 w;
	struct msg	 m;
	struct msg_rd	 list, e;
	const uint8_t	*d;
	uint64_t	 id, skip;
	size_t		 dl;
	uint32_t	 i;
	int		 r;

	msg_begin(&w, MSG_CTL_APPROVE_LIST_REQ, ++vc->next_id);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_APPROVE_LIST_ANS, &m)) != 0)
		return r;
	if ((r = msg_get_u64(&m.rd, version)) != 0 ||
	    (r = msg_get_array(&m.rd, &list, 32)) != 0)
		goto out;
	r = CV_ERR_NOTFOUND;
	snprintf(vc->errtext, sizeof(vc->errtext), "no request %016llx "
	    "waits for approval (vaultctl approve list)",
	    (unsigned long long)want);
	for (i = 0; i < list.n; i++) {
		int rr;

		if ((rr = msg_get_array(&list, &e, LIST_FIELDS)) != 0 ||
		    e.n != LIST_FIELDS ||
		    (rr = msg_get_u64(&e, &id)) != 0 ||
		    (rr = msg_get_u64(&e, &skip)) != 0 ||
		    (rr = msg_get_u64(&e, &skip)) != 0 ||
		    (rr = msg_get_bin(&e, &d, &dl, 32)) != 0 || dl != 32) {
			r = rr != 0 ? rr : CV_ERR_MSG_COUNT;
			goto out;
		}
		if (id == want) {
			memcpy(digest, d, 32);
			vc->errtext[0] = '\0';
			r = 0;
			break;
		}
	}
 out:
	msg_clear(&m);
	return r;
}

static int
approve_decide(struct vaultctl *vc, int argc, char **argv, int grant)
{
	static const char	*use = "usage: vaultctl approve grant|deny ID "
	    "--key-file KEYFILE";
	struct secret		 sk;
	struct msg_w		 w;
	struct msg		 m;
	const char		*key = NULL, *outcome;
	uint8_t			 pk[32], digest[32], sig[64];
	uint8_t			 msg[POLICY_APPROVAL_MSG_LEN], idb[8];
	uint64_t		 id = 0, version, missing;
	size_t			 n, i, ol;
	int			 ch, r;

	if (vaultctl_opt_begin(vc, argc, argv, decide_opts) != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	while ((ch = vaultctl_opt_next(argc, argv, decide_opts)) != -1) {
		if (ch != 'k')
			return vaultctl_fail(vc, use, CV_ERR_USAGE);
		key = optarg;
	}
	if (optind + 1 != argc || key == NULL ||
	    strlen(argv[optind]) != 16 || hex_decode(argv[optind], 16, idb,
	    sizeof(idb), &n) != 0 || n != 8)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	for (i = 0; i < 8; i++)
		id = id << 8 | idb[i];
	if ((r = vaultctl_approver_key(vc, key, &sk, pk)) != 0)
		return vaultctl_fail(vc, "approve", r);
	if ((r = vaultctl_connect(vc)) != 0 ||
	    (r = approve_find(vc, id, digest, &version)) != 0) {
		secret_free(&sk);
		return vaultctl_fail(vc, "approve", r);
	}
	policy_approval_msg(digest, version, grant, msg);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk.p);
	secret_free(&sk);
	msg_begin(&w, MSG_CTL_APPROVE_REQ, ++vc->next_id);
	msg_put_u64(&w, id);
	msg_put_bool(&w, grant);
	msg_put_bin(&w, pk, sizeof(pk));
	msg_put_bin(&w, sig, sizeof(sig));
	if ((r = vaultctl_call(vc, &w, MSG_CTL_APPROVE_ANS, &m)) != 0)
		return vaultctl_fail(vc, "approve", r);
	if ((r = msg_get_u64(&m.rd, &missing)) != 0 ||
	    (r = msg_get_str(&m.rd, &outcome, &ol, 256)) != 0) {
		msg_clear(&m);
		return vaultctl_fail(vc, "approve", r);
	}
	if (vc->json)
		vaultctl_print_json(json_pack("{s:b, s:s%, s:I}", "ok", 1,
		    "outcome", outcome, ol, "missing", (json_int_t)missing));
	else if (missing > 0)
		printf("%.*s (%llu more)\n", (int)ol, outcome,
		    (unsigned long long)missing);
	else
		printf("%.*s\n", (int)ol, outcome);
	msg_clear(&m);
	return EXIT_OK;
}

int
cmd_approve(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl approve list | "
	    "grant|deny ID --key-file KEYFILE";

	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return approve_list(vc);
	if (argc >= 2 && strcmp(argv[1], "grant") == 0)
		return approve_decide(vc, argc - 1, argv + 1, 1);
	if (argc >= 2 && strcmp(argv[1], "deny") == 0)
		return approve_decide(vc, argc - 1, argv + 1, 0);
	return vaultctl_fail(vc, use, CV_ERR_USAGE);
}

/* vaultctl approver keygen FILE: a new Ed25519 key, its public half shown. */
int
cmd_approver(struct vaultctl *vc, int argc, char **argv)
{
	struct secret	seed, sk;
	uint8_t		pk[32];
	char		hex[65], line[sizeof(KEYFILE_TAG) + 66];
	size_t		n;
	int		fd, r;

	if (argc != 3 || strcmp(argv[1], "keygen") != 0)
		return vaultctl_fail(vc, "usage: vaultctl approver keygen FILE",
		    CV_ERR_USAGE);
	memset(&seed, 0, sizeof(seed));
	memset(&sk, 0, sizeof(sk));
	if ((r = secret_alloc(&seed, crypto_sign_SEEDBYTES)) != 0 ||
	    (r = secret_alloc(&sk, crypto_sign_SECRETKEYBYTES)) != 0)
		goto out;
	randombytes_buf(seed.p, seed.len);
	crypto_sign_seed_keypair(pk, sk.p, seed.p);
	/* the seed goes through a stack line into the file: wiped after */
	n = (size_t)snprintf(line, sizeof(line), "%s", KEYFILE_TAG);
	hex_encode(seed.p, seed.len, line + n);
	n += 64;
	line[n++] = '\n';
	fd = open(argv[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, line, n) != (ssize_t)n || fsync(fd) == -1 ||
	    home_sync_parent(argv[2]) == -1) {
		snprintf(vc->errtext, sizeof(vc->errtext), "cannot write %s: "
		    "%s", argv[2], errno == EEXIST ? "it exists (keygen never "
		    "overwrites a key)" : strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(argv[2]);
		}
		r = errno == EEXIST ? CV_ERR_EXISTS : CV_ERR_IO;
		sodium_memzero(line, sizeof(line));
		goto out;
	}
	close(fd);
	sodium_memzero(line, sizeof(line));
	hex_encode(pk, sizeof(pk), hex);
	if (vc->json)
		vaultctl_print_json(json_pack("{s:s, s:s}", "public_key", hex,
		    "file", argv[2]));
	else
		printf("%s\n# in the policy: approver NAME \"%s\"\n", hex, hex);
	r = 0;
 out:
	secret_free(&seed);
	secret_free(&sk);
	return r == 0 ? EXIT_OK : vaultctl_fail(vc, "approver keygen", r);
}
