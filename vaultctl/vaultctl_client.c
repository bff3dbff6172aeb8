/*
 * Gateway clients and order signing for a person:
 *
 *	client add NAME --account A	a bot's credentials, made here and
 *					shown once; sealed in the vault
 *	client list, client remove NAME	add and remove take the vault's
 *					credential: rules name clients
 *	sign order --account A		an order (or a POST /order body) on
 *					standard input, signed, on standard
 *					output
 *
 * A client's credentials are its own, not the exchange's: the bot signs
 * its requests to the gateway with them exactly as it would sign them to
 * the exchange, and signerd checks that signature.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "common/catalog.h"
#include "common/encode.h"
#include "common/order.h"
#include "common/secmem.h"
#include "common/vault_fmt.h"
#include "policy/policy.h"
#include "vaultctl/vaultctl.h"

#define CLIENT_SECRET_LEN	32
#define ORDER_IN_MAX		65536

static const struct option client_opts[] = {
	{ "account",		required_argument, NULL, 'a' },
	{ "passphrase-file",	required_argument, NULL, 'p' },
	{ "keyfile",		required_argument, NULL, 'k' },
	{ NULL, 0, NULL, 0 }
};

/* Where the vault's credential comes from: a file, or the terminal. */
struct client_cred {
	const char	*pass, *key;
};

static int
client_name_ok(const char *s)
{
	size_t	n = strlen(s);

	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* A random UUID, version 4. */
static void
client_uuid(char out[37])
{
	uint8_t	u[16];
	char	hex[33];

	randombytes_buf(u, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	hex_encode(u, sizeof(u), hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
	    hex + 12, hex + 16, hex + 20);
}

/*
 * The credential, in guarded memory: {"apiKey","secret","passphrase"},
 * the secret 32 random bytes in url-safe base64 as the exchanges issue
 * them, the passphrase 32 random bytes in hex.
 */
static int
client_make(struct secret *s, char key[37])
{
	uint8_t	raw[CLIENT_SECRET_LEN], pass[32];
	char	b64[64], phex[65];
	int	n, r = CV_ERR_INTERNAL;

	client_uuid(key);
	randombytes_buf(raw, sizeof(raw));
	randombytes_buf(pass, sizeof(pass));
	if (b64url_encode(raw, sizeof(raw), b64, sizeof(b64)) < 0)
		goto out;
	hex_encode(pass, sizeof(pass), phex);
	if ((r = secret_alloc(s, 256)) != 0)
		goto out;
	n = snprintf((char *)s->p, 256, "{\"apiKey\":\"%s\",\"secret\":"
	    "\"%s\",\"passphrase\":\"%s\"}", key, b64, phex);
	if (n < 0 || n >= 256) {
		secret_free(s);
		r = CV_ERR_INTERNAL;
		goto out;
	}
	s->len = (size_t)n;
	r = 0;
 out:
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(pass, sizeof(pass));
	sodium_memzero(b64, sizeof(b64));
	sodium_memzero(phex, sizeof(phex));
	return r;
}

/*
 * The credentials, and a newline, straight to standard output with
 * write(2): no copy is left in stdio's buffer, and a failure (a full
 * disk, a closed pipe) is known, for they are never shown again.  0, or
 * the errno.
 */
static int
show_once(const char *p, size_t len)
{
	ssize_t	n;
	int	nl = 0;

	if (fflush(stdout) == EOF)
		return errno;
	while (len > 0 || !nl) {
		if (len == 0) {
			p = "\n";
			len = 1;
			nl = 1;
		}
		if ((n = write(STDOUT_FILENO, p, len)) == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno;
		if (n == 0)
			return EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * A client's name is what the policy's rules name: adding one, or
 * removing one (which frees its name), takes the vault's credential,
 * as a policy change does.
 */
static int
client_add(struct vaultctl *vc, const char *name, const char *account,
    const struct client_cred *cc)
{
	struct secret	 s, cred;
	char		 key[37], info[VAULT_MAX_INFO + 1], *text;
	int		 keyfile, r;

	memset(&s, 0, sizeof(s));
	if ((r = vaultctl_cred_get(vc, cc->pass, cc->key, "Vault passphrase "
	    "(to add a gateway client): ", 0, 0, &cred, &keyfile)) != 0)
		return vaultctl_fail(vc, "client add", r);
	if ((r = client_make(&s, key)) != 0) {
		secret_free(&cred);
		return vaultctl_fail(vc, "client add", r);
	}
	r = vaultctl_put_rec_cred(vc, &cred, keyfile, VAULT_REC_CLIENT,
	    account, name, 0, s.p, s.len, info, sizeof(info));
	secret_free(&cred);
	if (r != 0) {
		secret_free(&s);
		return vaultctl_fail(vc, "client add", r);
	}
	/* shown once: the vault keeps it sealed and never shows it again */
	if (vc->json) {
		json_t	*j = json_loadb((const char *)s.p, s.len, 0, NULL);

		secret_free(&s);
		if (j == NULL || json_object_set_new(j, "client",
		    json_string(name)) != 0 || json_object_set_new(j,
		    "account", json_string(account)) != 0 ||
		    (text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS)) ==
		    NULL) {
			json_decref(j);
			return vaultctl_fail(vc, "client add", CV_ERR_NOMEM);
		}
		json_decref(j);
		r = show_once(text, strlen(text));
		vaultctl_json_free(text);	/* wiped */
	} else {
		fprintf(stderr, "client %s for account %s: its credentials "
		    "follow, shown this once; give them to the bot\n", name,
		    account);
		r = show_once((const char *)s.p, s.len);
		secret_free(&s);
	}
	if (r != 0) {
		snprintf(vc->errtext, sizeof(vc->errtext), "client %s is added, "
		    "but its credentials could not be written to standard "
		    "output (%s) and are not shown again: remove it (vaultctl "
		    "client remove %s) and add it again", name, strerror(r),
		    name);
		return vaultctl_fail(vc, "client add", CV_ERR_IO);
	}
	return EXIT_OK;
}

static int
client_list(struct vaultctl *vc)
{
	struct vaultctl_rec	*recs = NULL;
	json_t			*arr = NULL;
	size_t			 n = 0, i, shown = 0;
	int			 r;

	if ((r = vaultctl_list(vc, &recs, &n)) != 0)
		return vaultctl_fail(vc, "client list", r);
	if (vc->json && (arr = json_array()) == NULL) {
		free(recs);
		return vaultctl_fail(vc, "client list", CV_ERR_NOMEM);
	}
	for (i = 0; i < n; i++) {
		if (recs[i].type != VAULT_REC_CLIENT)
			continue;
		shown++;
		if (vc->json)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s}",
			    "client", recs[i].key_id, "account",
			    recs[i].account, "apiKey", recs[i].info));
		else
			printf("%s\taccount %s\tapiKey %s\n", recs[i].key_id,
			    recs[i].account, recs[i].info);
	}
	if (vc->json)
		vaultctl_print_json(arr);
	else if (shown == 0)
		printf("no clients: add one with vaultctl client add NAME "
		    "--account A\n");
	free(recs);
	return EXIT_OK;
}

static int
client_remove(struct vaultctl *vc, const char *name,
    const struct client_cred *cc)
{
	struct vaultctl_rec	*recs = NULL;
	struct secret		 cred;
	char			 account[VAULT_MAX_NAME + 1] = "";
	size_t			 n = 0, i;
	int			 keyfile, r;

	if ((r = vaultctl_list(vc, &recs, &n)) != 0)
		return vaultctl_fail(vc, "client remove", r);
	for (i = 0; i < n; i++)
		if (recs[i].type == VAULT_REC_CLIENT &&
		    strcmp(recs[i].key_id, name) == 0)
			snprintf(account, sizeof(account), "%s",
			    recs[i].account);
	free(recs);
	if (account[0] == '\0') {
		snprintf(vc->errtext, sizeof(vc->errtext), "no client %s: "
		    "vaultctl client list shows them", name);
		return vaultctl_fail(vc, "client remove", CV_ERR_NOTFOUND);
	}
	if ((r = vaultctl_cred_get(vc, cc->pass, cc->key, "Vault passphrase "
	    "(to remove a gateway client): ", 0, 0, &cred, &keyfile)) != 0)
		return vaultctl_fail(vc, "client remove", r);
	r = vaultctl_del_cred(vc, &cred, keyfile, "client remove",
	    VAULT_REC_CLIENT, account, name);
	secret_free(&cred);
	return r;
}

int
cmd_client(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl client add NAME "
	    "--account A [--passphrase-file F | --keyfile F] | client list | "
	    "client remove NAME [--passphrase-file F | --keyfile F]";
	struct client_cred	 cc;
	const char		*account = NULL, *sub;
	int			 ch;

	if (argc < 2)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	sub = argv[1];
	argc--;
	argv++;
	if (vaultctl_opt_begin(vc, argc, argv, client_opts) != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	memset(&cc, 0, sizeof(cc));
	while ((ch = vaultctl_opt_next(argc, argv, client_opts)) != -1) {
		switch (ch) {
		case 'a': account = optarg; break;
		case 'p': cc.pass = optarg; break;
		case 'k': cc.key = optarg; break;
		default:
			return vaultctl_fail(vc, use, CV_ERR_USAGE);
		}
	}
	if (cc.pass != NULL && cc.key != NULL)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if (strcmp(sub, "list") == 0 && optind == argc && account == NULL &&
	    cc.pass == NULL && cc.key == NULL)
		return client_list(vc);
	if (optind + 1 != argc)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	if (!client_name_ok(argv[optind])) {
		snprintf(vc->errtext, sizeof(vc->errtext), "a client name is "
		    "1 to 64 of A-Z a-z 0-9 . _ -");
		return vaultctl_fail(vc, "client", CV_ERR_USAGE);
	}
	if (strcmp(sub, "add") == 0 && account != NULL)
		return client_add(vc, argv[optind], account, &cc);
	if (strcmp(sub, "remove") == 0 && account == NULL)
		return client_remove(vc, argv[optind], &cc);
	return vaultctl_fail(vc, use, CV_ERR_USAGE);
}

/* sign order. */

static const struct option sign_opts[] = {
	{ "account",	required_argument, NULL, 'a' },
	{ "neg-risk",	no_argument,	   NULL, 'n' },
	{ NULL, 0, NULL, 0 }
};

/* Standard input, whole, NUL-terminated; at most max bytes. */
static char *
read_stdin(size_t max, size_t *len)
{
	char	*buf;
	ssize_t	 n;
	size_t	 got = 0;

	if ((buf = malloc(max + 1)) == NULL)
		return NULL;
	while (got <= max && (n = read(STDIN_FILENO, buf + got,
	    max + 1 - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return NULL;
		}
		got += (size_t)n;
	}
	if (got > max) {
		free(buf);
		return NULL;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/*
 * The body signerd signs: the input itself if it is a POST /order body
 * (it has "order"), else {"order": input, "owner": "", "orderType":
 * "GTC"}.  *whole: the input was a body, and the output is one.
 */
static char *
order_body(const char *in, size_t len, int *whole, char *why, size_t wl)
{
	json_t		*j, *b;
	json_error_t	 err;
	char		*s;

	/*
	 * Where it broke, never err.text: it quotes the input near the
	 * fault, and what was given may be a secret meant for another
	 * prompt (a passphrase file where the order goes).
	 */
	if ((j = json_loadb(in, len, JSON_REJECT_DUPLICATES, &err)) == NULL) {
		snprintf(why, wl, "standard input is not JSON (line %d, "
		    "column %d)", err.line, err.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(why, wl, "standard input must be an order object");
		return NULL;
	}
	if ((*whole = json_object_get(j, "order") != NULL))
		b = j;
	else if ((b = json_pack("{s:o, s:s, s:s}", "order", j, "owner", "",
	    "orderType", "GTC")) == NULL) {
		snprintf(why, wl, "out of memory");
		return NULL;
	}
	s = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(b);
	if (s == NULL)
		snprintf(why, wl, "out of memory");
	return s;
}

static int
sign_order(struct vaultctl *vc, const char *account, int negrisk)
{
	struct msg_w	 w;
	struct msg	 m;
	struct msg_rd	 list;
	const uint8_t	*out;
	json_t		*j, *o;
	char		*in, *body, *s;
	size_t		 inlen, outlen;
	int		 whole, r;

	if ((in = read_stdin(ORDER_IN_MAX, &inlen)) == NULL) {
		snprintf(vc->errtext, sizeof(vc->errtext), "cannot read the "
		    "order from standard input (at most %d bytes)",
		    ORDER_IN_MAX);
		return vaultctl_fail(vc, "sign order", CV_ERR_INVALID);
	}
	body = order_body(in, inlen, &whole, vc->errtext,
	    sizeof(vc->errtext));
	sodium_memzero(in, inlen);
	free(in);
	if (body == NULL)
		return vaultctl_fail(vc, "sign order", CV_ERR_INVALID);
	vc->timeout_ms = (POLICY_APPROVAL_TIMEOUT + 30) * 1000;
	if ((r = vaultctl_connect(vc)) != 0) {
		vaultctl_json_free(body);
		return vaultctl_fail(vc, "sign order", r);
	}
	msg_begin(&w, MSG_CTL_HEADERS_REQ, ++vc->next_id);
	msg_put_str(&w, account);
	msg_put_u64(&w, CATALOG_L2);
	msg_put_str(&w, "POST");
	msg_put_str(&w, "/order");
	msg_put_bin(&w, body, strlen(body));
	msg_put_u64(&w, 0);
	msg_put_u64(&w, SIGN_F_ORDERS | (negrisk ? SIGN_F_NEGRISK : 0));
	vaultctl_json_free(body);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_HEADERS_ANS, &m)) != 0)
		return vaultctl_fail(vc, "sign order", r);
	/* the headers are for the exchange; the signed body is ours */
	if ((r = msg_get_array(&m.rd, &list, 16)) != 0 ||
	    (r = msg_get_bin(&m.rd, &out, &outlen, 131072)) != 0 ||
	    (j = json_loadb((const char *)out, outlen, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL) {
		msg_clear(&m);
		snprintf(vc->errtext, sizeof(vc->errtext), "vaultd's answer "
		    "holds no signed order");
		return vaultctl_fail(vc, "sign order", CV_ERR_MSG_MALFORMED);
	}
	msg_clear(&m);
	o = whole ? j : json_object_get(j, "order");
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (s == NULL)
		return vaultctl_fail(vc, "sign order", CV_ERR_NOMEM);
	printf("%s\n", s);
	vaultctl_json_free(s);
	return EXIT_OK;
}

int
cmd_sign(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl sign order --account A "
	    "[--neg-risk] < order.json";
	const char		*account = NULL;
	int			 ch, negrisk = 0;

	if (argc < 2 || strcmp(argv[1], "order") != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	argc--;
	argv++;
	if (vaultctl_opt_begin(vc, argc, argv, sign_opts) != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	while ((ch = vaultctl_opt_next(argc, argv, sign_opts)) != -1) {
		switch (ch) {
		case 'a':
			account = optarg;
			break;
		case 'n':
			negrisk = 1;
			break;
		default:
			return vaultctl_fail(vc, use, CV_ERR_USAGE);
		}
	}
	if (optind != argc || account == NULL)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	return sign_order(vc, account, negrisk);
}
