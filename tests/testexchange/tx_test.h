/*
 * Helpers for the integration tests of the test exchange
 * (tests/test_it_tx_*.c): start $CLOBVAULT_BUILD/testexchange on a port
 * the kernel picks (--listen 127.0.0.1:0 --port-file), send requests
 * with libcurl, sign them with common/ (the code signerd uses).
 * Header-only so each test program stays one file.
 */
#ifndef TX_TEST_H
#define TX_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/eth.h"
#include "common/order.h"
#include "common/secp.h"

#define TXT_ARGS_MAX	32

/* The wallets of tests/vectors/clob_auth.json. */
#define TXT_SK1	"0xac0974bec39a17e36ba4a6b4d238ff94" \
		"4bacb478cbed5efcae784d7bf4f2ff80"
#define TXT_SK2	"0x59c6995e998f97a5a0044976f094538f" \
		"4f0eb6e095e3875038fc2b94efc60e77"

struct txt {
	pid_t	pid;
	int	port;
	int	tls;
	char	dir[64];
	char	url[64];
	char	build[256];
	char	log[128];
	char	cacert[128];
};

struct txr {
	long	 status;	/* 0: no answer */
	int	 curlcode;
	char	*body;
	size_t	 len;
	json_t	*json;
	char	 retry_after[16];
};

struct txcreds {
	char	key[64], secret[64], passphrase[80];
};

struct txwallet {
	uint8_t	sk[32];
	uint8_t	addr[ETH_ADDR_LEN];
	char	eip55[ETH_ADDR_STRLEN];
	char	lower[ETH_ADDR_STRLEN];
};

/* The fields of a test order, as JSON text; V2 when timestamp is set. */
struct txorder {
	const char	*salt;		/* 12345 or "12345" */
	const char	*maker, *signer, *taker, *token;
	const char	*making, *taking, *side;
	const char	*expiration, *nonce, *fee;	/* V1 */
	int		 sigtype;
	const char	*timestamp;	/* V2 */
};

static struct secp256k1_context_struct	*txt_secp;

static inline int64_t
txt_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t
txt_now(void)
{
	return txt_ms() / 1000;
}

static inline void
txt_sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static inline void
txt_wallet(struct txwallet *w, const char *skhex)
{
	size_t	n;

	if (txt_secp == NULL && (txt_secp = secp_ctx_new()) == NULL)
		abort();
	if (hex_decode(skhex, strlen(skhex), w->sk, 32, &n) != 0 || n != 32 ||
	    secp_address(txt_secp, w->sk, w->addr) != 0)
		abort();
	eth_address_eip55(w->addr, w->eip55);
	eth_address_lower(w->addr, w->lower);
}

/*
 * Start testexchange with the given profile and extra arguments (NULL
 * terminated).  0 once it listens, -1 if it does not start in 5 s.
 */
static inline int
txt_start_argv(struct txt *t, const char *profile, const char *const *extra)
{
	const char	*argv[TXT_ARGS_MAX];
	const char	*b = getenv("CLOBVAULT_BUILD");
	char		 path[300], portfile[128], errfile[128];
	FILE		*f;
	size_t		 n = 0, i;
	int		 fd, i2;

	memset(t, 0, sizeof(*t));
	snprintf(t->build, sizeof(t->build), "%s", b ? b : "build");
	snprintf(t->dir, sizeof(t->dir), "/tmp/cvtx.XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/testexchange", t->build);
	snprintf(portfile, sizeof(portfile), "%s/port", t->dir);
	snprintf(errfile, sizeof(errfile), "%s/stderr", t->dir);
	snprintf(t->log, sizeof(t->log), "%s/requests.log", t->dir);
	argv[n++] = "testexchange";
	argv[n++] = "--profile";
	argv[n++] = profile;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--port-file";
	argv[n++] = portfile;
	argv[n++] = "--log";
	argv[n++] = t->log;
	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		if (n == TXT_ARGS_MAX - 1)
			return -1;
		if (strcmp(extra[i], "--tls-cert") == 0)
			t->tls = 1;
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
	if ((t->pid = fork()) == -1)
		return -1;
	if (t->pid == 0) {
		if ((fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600)) !=
		    -1)
			dup2(fd, STDERR_FILENO);
		execv(path, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	for (i2 = 0; i2 < 500; i2++) {
		if ((f = fopen(portfile, "r")) != NULL) {
			if (fscanf(f, "%d", &t->port) != 1)
				t->port = 0;
			fclose(f);
			if (t->port > 0)
				break;
		}
		if (waitpid(t->pid, NULL, WNOHANG) == t->pid) {
			t->pid = 0;
			return -1;
		}
		txt_sleep_ms(10);
	}
	if (t->port <= 0)
		return -1;
	snprintf(t->url, sizeof(t->url), "%s://127.0.0.1:%d",
	    t->tls ? "https" : "http", t->port);
	return 0;
}

/* Up to 8 extra arguments, NULL terminated. */
static inline int
txt_start(struct txt *t, const char *profile, const char *a1,
    const char *a2, const char *a3, const char *a4)
{
	const char	*extra[] = { a1, a2, a3, a4, NULL };

	return txt_start_argv(t, profile, extra);
}

/* SIGTERM and wait; the exit status, -1 if it had to be killed. */
static inline int
txt_stop(struct txt *t)
{
	int	status, i, r = -1;

	if (t->pid <= 0)
		return 0;
	kill(t->pid, SIGTERM);
	for (i = 0; i < 500; i++) {
		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			r = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
			t->pid = 0;
			return r;
		}
		txt_sleep_ms(10);
	}
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	t->pid = 0;
	return r;
}

static inline void
txt_cleanup(struct txt *t)
{
	char	cmd[128];

	txt_stop(t);
	if (t->dir[0] != '\0' && getenv("IT_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
		(void)!system(cmd);
	}
}

static inline size_t
txt_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct txr	*r = arg;
	char		*nb;

	if ((nb = realloc(r->body, r->len + size * n + 1)) == NULL)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, p, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

static inline size_t
txt_header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct txr	*r = arg;
	size_t		 len = size * n;

	if (len > 13 && strncasecmp(p, "Retry-After: ", 13) == 0)
		snprintf(r->retry_after, sizeof(r->retry_after), "%.*s",
		    (int)strcspn(p + 13, "\r\n"), p + 13);
	return len;
}

static inline void
txr_free(struct txr *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/*
 * Send method target (exactly as given) with headers and body (NULL:
 * none).  Fills r; returns the CURLcode.
 */
static inline int
txt_req(struct txt *t, const char *method, const char *target,
    struct curl_slist *hdrs, const char *body, struct txr *r)
{
	CURL	*c;
	char	 url[8192];
	int	 cc;

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "%s%s", t->url, target);
	if ((c = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, txt_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, txt_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (hdrs != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	if (t->tls)
		curl_easy_setopt(c, CURLOPT_CAINFO, t->cacert);
	cc = curl_easy_perform(c);
	r->curlcode = cc;
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	if (r->body != NULL)
		r->json = json_loads(r->body, JSON_DECODE_ANY, NULL);
	return cc;
}

/* An admin call; the body text is JSON or NULL. */
static inline long
txt_admin(struct txt *t, const char *method, const char *path,
    const char *body, struct txr *r)
{
	struct curl_slist	*h;
	char			 target[256];

	snprintf(target, sizeof(target), "/__tx/%s", path);
	h = curl_slist_append(NULL, "Content-Type: application/json");
	txt_req(t, method, target, h, body, r);
	curl_slist_free_all(h);
	return r->status;
}

static inline struct curl_slist *
txt_hdr(struct curl_slist *l, const char *prefix, const char *name,
    const char *value)
{
	char	line[512];

	snprintf(line, sizeof(line), "%s%s: %s", prefix, name, value);
	return curl_slist_append(l, line);
}

/* L1 headers of wallet w for chain, timestamp ts and nonce. */
static inline struct curl_slist *
txt_l1(const char *prefix, const struct txwallet *w, uint64_t chain,
    int64_t ts, uint64_t nonce)
{
	struct curl_slist	*l = NULL;
	uint8_t			 digest[32], sig[65];
	char			 hex[CLOB_SIG_HEX_LEN], tss[24], ns[24];

	snprintf(tss, sizeof(tss), "%lld", (long long)ts);
	snprintf(ns, sizeof(ns), "%llu", (unsigned long long)nonce);
	clob_auth_digest(chain, w->addr, tss, nonce, digest);
	if (secp_sign(txt_secp, w->sk, digest, sig) != 0)
		abort();
	memcpy(hex, "0x", 2);
	hex_encode(sig, sizeof(sig), hex + 2);
	l = txt_hdr(l, prefix, "ADDRESS", w->eip55);
	l = txt_hdr(l, prefix, "SIGNATURE", hex);
	l = txt_hdr(l, prefix, "TIMESTAMP", tss);
	l = txt_hdr(l, prefix, "NONCE", ns);
	return l;
}

/* base64url HMAC of secret over ts + method + path + body. */
static inline void
txt_hmac(const char *secret, int64_t ts, const char *method,
    const char *path, const char *body, char out[CLOB_HMAC_SIG_LEN])
{
	uint8_t	key[CLOB_HMAC_KEY_MAX];
	size_t	keylen;
	char	tss[24];

	snprintf(tss, sizeof(tss), "%lld", (long long)ts);
	if (clob_hmac_key_decode(secret, key, sizeof(key), &keylen) != 0 ||
	    clob_hmac_sign(key, keylen, tss, method, path,
	    (const uint8_t *)(body ? body : ""), body ? strlen(body) : 0,
	    out) != 0)
		abort();
}

/*
 * L2 headers (infix "" ) or builder headers (infix "BUILDER_") signing
 * signpath, appended to l.  addr NULL: no ADDRESS header.
 */
static inline struct curl_slist *
txt_hmac_hdrs(struct curl_slist *l, const char *prefix, const char *infix,
    const struct txcreds *c, const char *addr, int64_t ts,
    const char *method, const char *signpath, const char *body)
{
	char	sig[CLOB_HMAC_SIG_LEN], tss[24], n[64];

	txt_hmac(c->secret, ts, method, signpath, body, sig);
	snprintf(tss, sizeof(tss), "%lld", (long long)ts);
	if (addr != NULL)
		l = txt_hdr(l, prefix, "ADDRESS", addr);
	snprintf(n, sizeof(n), "%sAPI_KEY", infix);
	l = txt_hdr(l, prefix, n, c->key);
	snprintf(n, sizeof(n), "%sPASSPHRASE", infix);
	l = txt_hdr(l, prefix, n, c->passphrase);
	snprintf(n, sizeof(n), "%sSIGNATURE", infix);
	l = txt_hdr(l, prefix, n, sig);
	snprintf(n, sizeof(n), "%sTIMESTAMP", infix);
	l = txt_hdr(l, prefix, n, tss);
	return l;
}

static inline struct curl_slist *
txt_l2(const char *prefix, const struct txcreds *c, const char *addr,
    int64_t ts, const char *method, const char *signpath, const char *body)
{
	return txt_hmac_hdrs(NULL, prefix, "", c, addr, ts, method, signpath,
	    body);
}

/*
 * Credentials from a {apiKey, secret, passphrase} answer (or {key, ...},
 * Polymarket's builder keys); 0 if whole.
 */
static inline int
txt_creds(json_t *o, struct txcreds *c)
{
	const char	*k = json_string_value(json_object_get(o, "apiKey") ?
	    json_object_get(o, "apiKey") : json_object_get(o, "key"));
	const char	*s = json_string_value(json_object_get(o, "secret"));
	const char	*p = json_string_value(json_object_get(o,
	    "passphrase"));

	memset(c, 0, sizeof(*c));
	if (k == NULL || s == NULL || p == NULL)
		return -1;
	snprintf(c->key, sizeof(c->key), "%s", k);
	snprintf(c->secret, sizeof(c->secret), "%s", s);
	snprintf(c->passphrase, sizeof(c->passphrase), "%s", p);
	return 0;
}

/* Buy 10 shares of token 1234 at 0.5 (GTC terms), made and signed by w. */
static inline void
txt_order_init(struct txorder *o, const struct txwallet *w)
{
	memset(o, 0, sizeof(*o));
	o->salt = "12345";
	o->maker = w->eip55;
	o->signer = w->eip55;
	o->taker = "0x0000000000000000000000000000000000000000";
	o->token = "1234";
	o->making = "5000000";
	o->taking = "10000000";
	o->side = "BUY";
	o->expiration = "0";
	o->nonce = "0";
	o->fee = "0";
}

/* The "order" object of o as JSON text, without a signature. */
static inline void
txt_order_text(const struct txorder *o, char *buf, size_t len)
{
	if (o->timestamp != NULL)
		snprintf(buf, len, "{\"salt\":%s,\"maker\":\"%s\","
		    "\"signer\":\"%s\",\"taker\":\"%s\",\"tokenId\":\"%s\","
		    "\"makerAmount\":\"%s\",\"takerAmount\":\"%s\","
		    "\"side\":\"%s\","
		    "\"signatureType\":%d,\"timestamp\":\"%s\",\"expiration\":"
		    "\"%s\",\"metadata\":\"0x%064d\",\"builder\":\"0x%064d\"}",
		    o->salt, o->maker, o->signer, o->taker, o->token, o->making,
		    o->taking, o->side, o->sigtype, o->timestamp, o->expiration,
		    0, 0);
	else
		snprintf(buf, len, "{\"salt\":%s,\"maker\":\"%s\","
		    "\"signer\":\"%s\",\"taker\":\"%s\",\"tokenId\":\"%s\","
		    "\"makerAmount\":\"%s\",\"takerAmount\":\"%s\","
		    "\"side\":\"%s\","
		    "\"expiration\":\"%s\",\"nonce\":\"%s\",\"feeRateBps\":"
		    "\"%s\",\"signatureType\":%d}", o->salt, o->maker,
		    o->signer, o->taker, o->token, o->making, o->taking,
		    o->side, o->expiration, o->nonce, o->fee, o->sigtype);
}

/*
 * One element of a POST /order(s) body, shaped as the official
 * TypeScript client sends it: o signed by w under profile's order
 * domain (neg_risk's exchange, chain instead of the profile's unless
 * 0), then {deferExec, order, owner, orderType, postOnly}; owner NULL
 * leaves it out.  id gets the order hash "0x..." (Polymarket's order
 * id).  An order common/order.c refuses, or one of a version the
 * profile lacks, gets a zero signature.  The caller decrefs.
 */
static inline json_t *
txt_order_json(const char *profile, uint64_t chain, int neg_risk,
    const struct txwallet *w, const struct txorder *o, const char *owner,
    const char *type, char id[67])
{
	struct order_domain	 dom;
	struct order		 ord;
	uint8_t			 digest[32], sig[65];
	char			 text[2048], why[256], hex[133];
	json_t			*oj, *el;

	txt_order_text(o, text, sizeof(text));
	if ((oj = json_loads(text, 0, NULL)) == NULL)
		abort();
	memset(sig, 0, sizeof(sig));
	memset(digest, 0, sizeof(digest));
	if (order_from_json(oj, o->timestamp != NULL ? ORDER_V2 : ORDER_V1,
	    &ord, why, sizeof(why)) == 0 &&
	    order_domain_for(profile, ord.version, neg_risk, &dom) == 0) {
		if (chain != 0)
			dom.chain_id = chain;
		order_digest(&dom, &ord, digest);
		if (secp_sign(txt_secp, w->sk, digest, sig) != 0)
			abort();
	}
	memcpy(hex, "0x", 2);
	hex_encode(sig, sizeof(sig), hex + 2);
	memcpy(id, "0x", 2);
	hex_encode(digest, sizeof(digest), id + 2);
	json_object_set_new(oj, "signature", json_string(hex));
	el = json_pack("{s:b, s:o}", "deferExec", 0, "order", oj);
	if (owner != NULL)
		json_object_set_new(el, "owner", json_string(owner));
	json_object_set_new(el, "orderType", json_string(type));
	json_object_set_new(el, "postOnly", json_false());
	return el;
}

/* The same as a POST /order body (compact JSON; the caller frees). */
static inline char *
txt_order_body(const char *profile, uint64_t chain, int neg_risk,
    const struct txwallet *w, const struct txorder *o, const char *owner,
    const char *type, char id[67])
{
	json_t	*el = txt_order_json(profile, chain, neg_risk, w, o, owner,
	    type, id);
	char	*s = json_dumps(el, JSON_COMPACT);

	json_decref(el);
	if (s == NULL)
		abort();
	return s;
}

/* 1 if the request log file contains s. */
static inline int
txt_log_has(const struct txt *t, const char *s)
{
	char	 buf[1 << 18];
	size_t	 n;
	FILE	*f;

	if ((f = fopen(t->log, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, s) != NULL;
}

/*
 * Requests in the request log from its line `from` on (0: all) with
 * method and target, and with verdict unless it is NULL.
 */
static inline int
txt_log_count(const struct txt *t, int from, const char *method,
    const char *target, const char *verdict)
{
	char	 line[2048];
	FILE	*f;
	json_t	*j;
	int	 n = 0, i = 0;

	if ((f = fopen(t->log, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (i++ < from || (j = json_loads(line, 0, NULL)) == NULL)
			continue;
		if (strcmp(json_string_value(json_object_get(j, "method")),
		    method) == 0 && strcmp(json_string_value(
		    json_object_get(j, "target")), target) == 0 &&
		    (verdict == NULL || strcmp(json_string_value(
		    json_object_get(j, "verdict")), verdict) == 0))
			n++;
		json_decref(j);
	}
	fclose(f);
	return n;
}

/* Lines in the request log now: a `from` for txt_log_count. */
static inline int
txt_log_lines(const struct txt *t)
{
	char	 line[2048];
	FILE	*f;
	int	 n = 0;

	if ((f = fopen(t->log, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	return n;
}

/* The verdict logged for the last request whose target is target. */
static inline const char *
txt_verdict(const struct txt *t, const char *target, char *out, size_t len)
{
	char	 line[2048];
	FILE	*f;
	json_t	*j;

	out[0] = '\0';
	if ((f = fopen(t->log, "r")) == NULL)
		return out;
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((j = json_loads(line, 0, NULL)) == NULL)
			continue;
		if (strcmp(json_string_value(json_object_get(j, "target")),
		    target) == 0)
			snprintf(out, len, "%s", json_string_value(
			    json_object_get(j, "verdict")));
		json_decref(j);
	}
	fclose(f);
	return out;
}

#ifdef cmocka_unit_test
/* CMocka teardown: stop the exchange and remove its files. */
static inline int
txt_fixture_stop(void **state)
{
	txt_cleanup(*state);
	return 0;
}

/* Assert the status and, unless NULL, the exact body of an answer. */
static inline void
txt_expect(const struct txr *r, long status, const char *body)
{
	if (r->status != status || (body != NULL &&
	    (r->body == NULL || strcmp(r->body, body) != 0)))
		fprintf(stderr, "got %ld %s\n", r->status,
		    r->body ? r->body : "(none)");
	assert_int_equal(r->status, status);
	if (body != NULL) {
		assert_non_null(r->body);
		assert_string_equal(r->body, body);
	}
}
#endif

#endif
