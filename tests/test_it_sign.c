/*
 * Signing end to end.  Through vaultctl: an L1 header set whose signature
 * recovers to the account's address, L2 for both profiles (query signed
 * for openfish only), the verdict gate denying and auditing.  Against a
 * real signerd on its socketpair, this test playing vaultd: malformed,
 * unknown account, L1 for a non-L1 path, stale and future timestamps,
 * CR/LF in a path -- each refused with its exact code, no signature
 * produced; an oversized body or a request while locked stops signerd.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "common/catalog.h"
#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/order.h"
#include "common/secp.h"
#include "common/vault_crypto.h"
#include "tests/it.h"

#define WALLET_KEY	"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define WALLET_ADDR	"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define SECRET		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

struct st {
	struct it	it;
	char		pass[128];
	char		out[16384];
};

#define CTL(s, in, ...)	it_ctl(&(s)->it, in, (s)->out, sizeof((s)->out), \
			    __VA_ARGS__)

static int
setup(void **state)
{
	static struct st	s;
	const char		*acct[] = { "pm", "of" };
	int			 i;

	it_init(&s.it);
	snprintf(s.pass, sizeof(s.pass), "%s.pass", s.it.home);
	it_write(s.pass, "sign test passphrase\n", 0600);
	*state = &s;
	if (it_start(&s.it, "-T", NULL) != 0 ||
	    CTL(&s, NULL, "init --passphrase-file %s --kdf min", s.pass) != 0 ||
	    CTL(&s, NULL, "account add pm --profile polymarket") != 0 ||
	    CTL(&s, NULL, "account add of --profile openfish") != 0)
		return -1;
	for (i = 0; i < 2; i++)
		if (CTL(&s, WALLET_KEY, "wallet import --account %s",
		    acct[i]) != 0 ||
		    CTL(&s, "{\"apiKey\":\"k-1\",\"secret\":\"" SECRET "\","
		    "\"passphrase\":\"pp\"}", "apikey import --account %s",
		    acct[i]) != 0)
			return -1;
	return CTL(&s, "CODE-1", "invite set --account of");
}

static int
teardown(void **state)
{
	struct st	*s = *state;

	it_cleanup(&s->it);
	unlink(s->pass);
	return 0;
}

/* vaultctl --json headers LEVEL --account A [--method M --path P]. */
static json_t *
headers(struct st *s, int want, const char *level, const char *acct,
    const char *method, const char *path)
{
	json_error_t	err;
	json_t		*j;

	if (method != NULL)
		assert_int_equal(CTL(s, NULL, "--json headers %s --account %s "
		    "--method %s --path '%s'", level, acct, method, path), want);
	else
		assert_int_equal(CTL(s, NULL, "--json headers %s --account %s",
		    level, acct), want);
	j = json_loads(s->out, 0, &err);
	if (j == NULL)
		fail_msg("not JSON: %s", s->out);
	return j;
}

static const char *
get(json_t *j, const char *k)
{
	const char	*v = json_string_value(json_object_get(j, k));

	if (v == NULL)
		fail_msg("no header %s", k);
	return v;
}

/* The L1 signature recovers to the account's address, per chain id. */
static void
check_l1(json_t *j, const char *prefix, uint64_t chain)
{
	struct secp256k1_context_struct	*ctx = secp_ctx_new();
	uint8_t				 sig[65], digest[32], addr[20];
	uint8_t				 want[20];
	char				 k[64];
	size_t				 len;

	snprintf(k, sizeof(k), "%sSIGNATURE", prefix);
	assert_int_equal(hex_decode(get(j, k), strlen(get(j, k)), sig,
	    sizeof(sig), &len), 0);
	assert_int_equal(len, 65);
	assert_int_equal(eth_address_parse(WALLET_ADDR, want), 0);
	snprintf(k, sizeof(k), "%sTIMESTAMP", prefix);
	clob_auth_digest(chain, want, get(j, k), 0, digest);
	assert_int_equal(secp_recover(ctx, sig, digest, addr), 0);
	assert_memory_equal(addr, want, 20);
	snprintf(k, sizeof(k), "%sADDRESS", prefix);
	assert_string_equal(get(j, k), WALLET_ADDR);
	snprintf(k, sizeof(k), "%sNONCE", prefix);
	assert_string_equal(get(j, k), "0");
	secp_ctx_free(ctx);
}

static void
test_l1(void **state)
{
	struct st	*s = *state;
	json_t		*j;

	j = headers(s, 0, "l1", "pm", "GET", "/auth/derive-api-key");
	check_l1(j, "POLY_", 137);
	assert_int_equal(json_object_size(j), 4);
	json_decref(j);
	/* openfish: chain 56, and the invitation code on create only */
	j = headers(s, 0, "l1", "of", NULL, NULL);
	check_l1(j, "OPENFISH_", 56);
	assert_string_equal(get(j, "OPENFISH_INVITATION_CODE"), "CODE-1");
	json_decref(j);
	j = headers(s, 0, "l1", "of", "GET", "/auth/derive-api-key");
	assert_null(json_object_get(j, "OPENFISH_INVITATION_CODE"));
	json_decref(j);
}

/* The HMAC over exactly what the profile signs. */
static void
check_l2(json_t *j, const char *prefix, const char *signed_path)
{
	uint8_t	key[64];
	size_t	klen;
	char	sig[CLOB_HMAC_SIG_LEN], k[64];

	assert_int_equal(clob_hmac_key_decode(SECRET, key, sizeof(key),
	    &klen), 0);
	snprintf(k, sizeof(k), "%sTIMESTAMP", prefix);
	assert_int_equal(clob_hmac_sign(key, klen, get(j, k), "GET",
	    signed_path, NULL, 0, sig), 0);
	snprintf(k, sizeof(k), "%sSIGNATURE", prefix);
	assert_string_equal(get(j, k), sig);
	snprintf(k, sizeof(k), "%sAPI_KEY", prefix);
	assert_string_equal(get(j, k), "k-1");
	snprintf(k, sizeof(k), "%sPASSPHRASE", prefix);
	assert_string_equal(get(j, k), "pp");
}

static void
test_l2(void **state)
{
	struct st	*s = *state;
	json_t		*j;

	j = headers(s, 0, "l2", "of", "GET", "/balance-allowance?asset_type=X");
	check_l2(j, "OPENFISH_", "/balance-allowance?asset_type=X");
	json_decref(j);
	j = headers(s, 0, "l2", "pm", "GET", "/balance-allowance?asset_type=X");
	check_l2(j, "POLY_", "/balance-allowance");
	json_decref(j);
}

/*
 * signerd refused what the policy allowed: its record names the method,
 * path, digest and rule the allow record named, the actor signerd.  It
 * used to carry none of them.
 */
static void
assert_refused_as_allowed(const char *log, const char *account,
    const char *method, const char *path)
{
	char		 key[256], want[512], rule[80], digest[65];
	const char	*p, *q;

	snprintf(key, sizeof(key), "\t%s\tsign\t%s\t%s\tallow\t", account,
	    method, path);
	assert_non_null(p = strstr(log, key));
	p += strlen(key);
	/* rule, gen (-), digest */
	assert_non_null(q = strchr(p, '\t'));
	assert_true(q - p > 0 && (size_t)(q - p) < sizeof(rule));
	snprintf(rule, sizeof(rule), "%.*s", (int)(q - p), p);
	assert_int_equal(strncmp(q, "\t-\t", 3), 0);
	p = q + 3;
	assert_non_null(q = strchr(p, '\t'));
	assert_int_equal(q - p, 64);
	snprintf(digest, sizeof(digest), "%.*s", 64, p);
	snprintf(want, sizeof(want), "\tsignerd\t%s\tsign\t%s\t%s\trefused\t"
	    "%s\t-\t%s\t", account, method, path, rule, digest);
	assert_non_null(strstr(log, want));
	/* and none without them */
	snprintf(want, sizeof(want), "\tsignerd\t%s\tsign\t-\t-\trefused",
	    account);
	assert_null(strstr(log, want));
}

static void
test_gate(void **state)
{
	struct st	*s = *state;
	json_t		*j;
	char		*log;
	size_t		 len;

	j = headers(s, 4, "l1", "pm", "GET", "/auth/api-keys");
	/* the default policy admits the catalog at its level, no more */
	assert_string_equal(json_string_value(json_object_get(j, "detail")),
	    "no rule allows it");
	json_decref(j);
	j = headers(s, 4, "l2", "pm", "POST", "/withdraw");
	json_decref(j);
	/* the catalog has it; vaultd lets through only orders it can read
	 * for the policy */
	j = headers(s, 1, "l2", "pm", "POST", "/order");
	assert_string_equal(json_string_value(json_object_get(j, "detail")),
	    "body: not JSON (at byte 0)");
	json_decref(j);
	j = headers(s, 8, "builder", "pm", "GET", "/auth/api-keys");
	json_decref(j);
	j = headers(s, 8, "l2", "nosuch", "GET", "/auth/api-keys");
	json_decref(j);
	assert_int_equal(CTL(s, NULL, "lock"), 0);
	j = headers(s, 5, "l2", "pm", "GET", "/auth/api-keys");
	json_decref(j);
	assert_int_equal(CTL(s, NULL, "unlock --passphrase-file %s", s->pass),
	    0);

	snprintf(s->out, sizeof(s->out), "%s/audit.log", s->it.home);
	log = it_slurp(s->out, &len);
	assert_non_null(log);
	assert_non_null(strstr(log, "\tpm\tsign\tGET\t/auth/api-keys\tdeny\t"));
	assert_non_null(strstr(log, "\tpm\tsign\tPOST\t/withdraw\tdeny\t"));
	assert_non_null(strstr(log, "\tpm\tsign\tPOST\t/order\tdeny\t"));
	assert_non_null(strstr(log, "\tsign\tGET\t/auth/api-keys\tallow\t"));
	assert_refused_as_allowed(log, "nosuch", "GET", "/auth/api-keys");
	free(log);
	assert_int_equal(CTL(s, NULL, "audit verify"), 0);
}

/* Hostile peer: this test is vaultd, a real signerd the other end. */
#define PM_ACCOUNT	"{\"profile\":\"polymarket\"," \
			"\"url\":\"https://clob.polymarket.com\"}"

struct peer {
	struct chan	c;
	pid_t		pid;
	uint32_t	id;
	uint8_t		box_pk[32];	/* signerd's, from MSG_VAULT_CREATE_ANS */
	uint64_t	gen;		/* of the committed vault */
};

static void
peer_send(struct peer *p, struct msg_w *w)
{
	assert_int_equal(chan_send(&p->c, w), 0);
}

/* The next answer; its error code (0 if not MSG_ERROR_ANS). */
static int64_t
peer_answer(struct peer *p, uint32_t type)
{
	struct msg	m;
	int64_t		code = 0;

	assert_int_equal(chan_recv(&p->c, &m), 0);
	assert_int_equal(m.id, p->id);
	if (m.type == MSG_ERROR_ANS)
		assert_int_equal(msg_get_i64(&m.rd, &code), 0);
	else
		assert_int_equal(m.type, type);
	msg_clear(&m);
	return code;
}

static void
peer_commit(struct peer *p, uint64_t gen)
{
	struct msg_w	w;

	msg_begin(&w, MSG_VAULT_COMMIT_REQ, ++p->id);
	msg_put_u64(&w, gen);
	msg_put_bool(&w, 1);
	peer_send(p, &w);
	assert_int_equal(peer_answer(p, MSG_VAULT_COMMIT_ANS), 0);
}

static void
peer_put(struct peer *p, uint64_t type, const char *acct, const void *b,
    size_t len, uint64_t gen)
{
	struct msg_w	w;

	msg_begin(&w, MSG_VAULT_PUT_REQ, ++p->id);
	msg_put_u64(&w, type);
	msg_put_str(&w, acct);
	msg_put_str(&w, "");
	msg_put_u64(&w, 0);
	msg_put_bin(&w, b, len);
	msg_put_bin(&w, "", 0);		/* no credential */
	msg_put_bool(&w, 0);
	peer_send(p, &w);
	assert_int_equal(peer_answer(p, MSG_VAULT_PUT_ANS), 0);
	peer_commit(p, gen);
}

static void
peer_start_w(struct peer *p, const char *workers)
{
	struct msg_w	w;
	struct msg	m;
	uint64_t	ops, mem;
	uint8_t		key[32];
	size_t		len;
	char		path[300];
	int		sv[2];
	static const char acct[] = PM_ACCOUNT;

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	snprintf(path, sizeof(path), "%s/signerd",
	    getenv("CLOBVAULT_BUILD") ? getenv("CLOBVAULT_BUILD") : "build");
	if ((p->pid = fork()) == 0) {
		dup2(sv[1], 3);
		/* under make san, LeakSanitizer at exit would trip seccomp */
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		if (workers != NULL)
			execl(path, "signerd", "-T", "-W", workers,
			    (char *)NULL);
		else
			execl(path, "signerd", "-T", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	chan_init(&p->c, sv[0]);
	assert_int_equal(chan_recv(&p->c, &m), 0);
	assert_int_equal(m.type, MSG_HELLO_REQ);
	msg_clear(&m);
	msg_begin(&w, MSG_HELLO_ANS, 0);
	msg_put_u64(&w, MSG_VERSION);
	peer_send(p, &w);

	assert_int_equal(vault_kdf_params(VAULT_KDF_MIN, &ops, &mem), 0);
	msg_begin(&w, MSG_VAULT_CREATE_REQ, ++p->id);
	msg_put_bin(&w, "pw", 2);
	msg_put_bool(&w, 0);
	msg_put_u64(&w, ops);
	msg_put_u64(&w, mem);
	msg_put_bin(&w, "", 0);		/* no policy record */
	peer_send(p, &w);
	{
		const uint8_t	*b;
		size_t		 blen;

		assert_int_equal(chan_recv(&p->c, &m), 0);
		assert_int_equal(m.type, MSG_VAULT_CREATE_ANS);
		assert_int_equal(msg_get_bin(&m.rd, &b, &blen, 1 << 20), 0);
		assert_int_equal(msg_get_bin(&m.rd, &b, &blen, 32), 0);
		assert_int_equal(msg_get_bin(&m.rd, &b, &blen, 32), 0);
		assert_int_equal(blen, 32);
		memcpy(p->box_pk, b, 32);
		msg_clear(&m);
	}
	peer_commit(p, 1);
	peer_put(p, 1, "pm", acct, strlen(acct), 2);
	assert_int_equal(hex_decode(WALLET_KEY, 64, key, 32, &len), 0);
	peer_put(p, 2, "pm", key, 32, 3);
	p->gen = 3;
}

static void
peer_start(struct peer *p)
{
	peer_start_w(p, NULL);
}

static int64_t
peer_sign(struct peer *p, const char *acct, uint64_t level,
    const char *method, const char *path, size_t bodylen, int64_t skew)
{
	static uint8_t	body[70000];
	struct msg_w	w;
	char		ts[32];

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL) + skew);
	msg_begin(&w, MSG_SIGN_REQ, ++p->id);
	msg_put_str(&w, acct);
	msg_put_u64(&w, level);
	msg_put_str(&w, method);
	msg_put_str(&w, path);
	body[0] = '{';			/* a body is JSON (signerd_sign.c) */
	msg_put_bin(&w, body, bodylen);
	msg_put_str(&w, ts);
	msg_put_u64(&w, 0);
	msg_put_u64(&w, 0);		/* flags */
	msg_put_str(&w, "");		/* the active API key */
	peer_send(p, &w);
	return peer_answer(p, MSG_SIGN_ANS);
}

/*
 * The signing workers (signerd -W): a burst of requests, sent at once so
 * that they wait behind each other and go to the workers, is answered
 * frame for frame as a signerd without workers answers it: L1
 * signatures (deterministic, RFC 6979), L2 refusals (no API key),
 * refusals made before a worker sees them (a stale timestamp, an
 * unknown account).  The workers are threads of signerd, each under
 * the seccomp filter, and they did the work.
 */
#define BURST		600

/* An answer as text: "E code text" or "S name=value ... |body|". */
static char *
burst_text(struct msg *m)
{
	struct msg_rd	 list, e;
	const char	*name, *val;
	const uint8_t	*body;
	char		 text[256], *out;
	size_t		 nl, vl, bl, len;
	uint32_t	 k;
	int		 code;

	if (m->type == MSG_ERROR_ANS) {
		assert_int_equal(msg_get_error(m, &code, text, sizeof(text)),
		    0);
		assert_true(asprintf(&out, "E %d %s", code, text) > 0);
		return out;
	}
	assert_int_equal(m->type, MSG_SIGN_ANS);
	assert_non_null(out = strdup("S"));
	assert_int_equal(msg_get_array(&m->rd, &list, 16), 0);
	for (k = 0; k < list.n; k++) {
		assert_int_equal(msg_get_array(&list, &e, 2), 0);
		assert_int_equal(msg_get_str(&e, &name, &nl, 64), 0);
		assert_int_equal(msg_get_str(&e, &val, &vl, 256), 0);
		len = strlen(out);
		assert_non_null(out = realloc(out, len + nl + vl + 3));
		snprintf(out + len, nl + vl + 3, " %.*s=%.*s", (int)nl, name,
		    (int)vl, val);
	}
	assert_int_equal(msg_get_bin(&m->rd, &body, &bl, 1 << 20), 0);
	assert_int_equal(bl, 0);
	return out;
}

static void
burst(const char *workers, const char *ts, const char *stale, char **ans)
{
	struct peer	p;
	struct msg_w	w;
	struct msg	m;
	uint32_t	i, first;
	int		status;

	peer_start_w(&p, workers);
	first = p.id + 1;
	for (i = 0; i < BURST; i++) {
		msg_begin(&w, MSG_SIGN_REQ, ++p.id);
		msg_put_str(&w, i % 50 == 7 ? "nosuch" : "pm");
		msg_put_u64(&w, i % 10 == 3 ? CATALOG_L2 : CATALOG_L1);
		msg_put_str(&w, "GET");
		msg_put_str(&w, i % 10 == 3 ? "/auth/api-keys" :
		    "/auth/derive-api-key");
		msg_put_bin(&w, "", 0);
		msg_put_str(&w, i % 50 == 9 ? stale : ts);
		msg_put_u64(&w, i % 4);		/* the L1 nonce */
		msg_put_u64(&w, 0);
		msg_put_str(&w, "");
		assert_int_equal(chan_queue(&p.c, &w), 0);
	}
	assert_int_equal(chan_flush(&p.c), 0);
	for (i = 0; i < BURST; i++) {
		assert_int_equal(chan_recv(&p.c, &m), 0);
		assert_true(m.id >= first && m.id < first + BURST);
		assert_null(ans[m.id - first]);
		ans[m.id - first] = burst_text(&m);
		msg_clear(&m);
	}
	if (workers != NULL) {
		char		 path[320], line[256];
		unsigned long	 ns, worked = 0;
		long		 seccomp;
		int		 ntask = 0;
		DIR		*d;
		struct dirent	*de;
		FILE		*f;

		snprintf(path, sizeof(path), "/proc/%d/task", (int)p.pid);
		assert_non_null(d = opendir(path));
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			ntask++;
			snprintf(path, sizeof(path), "/proc/%d/task/%s/status",
			    (int)p.pid, de->d_name);
			assert_non_null(f = fopen(path, "r"));
			seccomp = -1;
			while (fgets(line, sizeof(line), f) != NULL)
				if (strncmp(line, "Seccomp:", 8) == 0)
					seccomp = strtol(line + 8, NULL, 10);
			fclose(f);
			assert_int_equal(seccomp, 2);
			if (atoi(de->d_name) == (int)p.pid)
				continue;
			/* a worker's time on a CPU, ns (schedstat) */
			snprintf(path, sizeof(path),
			    "/proc/%d/task/%s/schedstat", (int)p.pid,
			    de->d_name);
			assert_non_null(f = fopen(path, "r"));
			assert_int_equal(fscanf(f, "%lu", &ns), 1);
			fclose(f);
			worked += ns;
		}
		closedir(d);
		assert_int_equal(ntask, 1 + atoi(workers));
		/* the workers made most of the 516 signatures (20-80 us
		 * each), not the main thread: more than 10 ms on a CPU */
		assert_true(worked > 10000000);
	}
	chan_free(&p.c);
	assert_int_equal(waitpid(p.pid, &status, 0), p.pid);
	if (!WIFEXITED(status))
		fail_msg("signerd: status %#x", status);
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_workers(void **state)
{
	static char	*one[BURST], *three[BURST];
	struct secp256k1_context_struct *ctx = secp_ctx_new();
	const char	*v;
	char		 ts[32], stale[32], want_e[64];
	uint8_t		 want[20], addr[20], sig[65], digest[32];
	size_t		 len;
	int		 i, nsig = 0, ndeny = 0;

	(void)state;
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	snprintf(stale, sizeof(stale), "%lld", (long long)time(NULL) - 3600);
	burst(NULL, ts, stale, one);
	burst("3", ts, stale, three);
	assert_int_equal(eth_address_parse(WALLET_ADDR, want), 0);
	for (i = 0; i < BURST; i++) {
		assert_string_equal(one[i], three[i]);
		if (i % 50 == 7 || i % 50 == 9 || i % 10 == 3) {
			/* no such account, stale, no API key for L2 */
			snprintf(want_e, sizeof(want_e), "E %d ",
			    i % 50 == 9 ? CV_ERR_STALE : CV_ERR_NOTFOUND);
			assert_memory_equal(one[i], want_e, strlen(want_e));
			ndeny++;
			continue;
		}
		assert_non_null(v = strstr(one[i], " POLY_SIGNATURE=0x"));
		v += strlen(" POLY_SIGNATURE=");
		assert_int_equal(hex_decode(v, 132, sig, sizeof(sig), &len),
		    0);
		assert_int_equal(len, 65);
		clob_auth_digest(137, want, ts, (uint64_t)(i % 4), digest);
		assert_int_equal(secp_recover(ctx, sig, digest, addr), 0);
		assert_memory_equal(addr, want, 20);
		nsig++;
	}
	assert_int_equal(ndeny, 12 + 12 + 60);
	assert_int_equal(nsig, BURST - ndeny);
	for (i = 0; i < BURST; i++) {
		free(one[i]);
		free(three[i]);
	}
	secp_ctx_free(ctx);
}

static int64_t	peer_put_rec(struct peer *, uint64_t, const char *,
		    const char *, const void *, size_t, char *);

static void
test_hostile_peer(void **state)
{
	struct peer	p;
	struct msg_w	w;
	char		info[513];
	int		status;

	peer_start(&p);
	/* an account record that is not text (it goes out as a string) */
	assert_int_equal(peer_put_rec(&p, VAULT_REC_ACCOUNT, "x", "",
	    "{\"profile\":\"\xff\"}", 15, info), CV_ERR_INVALID);
	/* one rotation of an account at a time, two started at once too */
	assert_int_equal(peer_put_rec(&p, VAULT_REC_ROTATION, "pm",
	    "rot-aaaaaaaaaaaa", "{}", 2, info), 0);
	assert_int_equal(peer_put_rec(&p, VAULT_REC_ROTATION, "pm",
	    "rot-bbbbbbbbbbbb", "{}", 2, info), CV_ERR_EXISTS);
	assert_int_equal(peer_sign(&p, "pm", CATALOG_L1, "GET",
	    "/auth/derive-api-key", 0, 0), 0);
	assert_int_equal(peer_sign(&p, "nosuch", CATALOG_L1, "GET",
	    "/auth/derive-api-key", 0, 0), CV_ERR_NOTFOUND);
	assert_int_equal(peer_sign(&p, "pm", CATALOG_L1, "GET",
	    "/auth/api-keys", 0, 0), CV_ERR_DENIED);
	assert_int_equal(peer_sign(&p, "pm", CATALOG_L2, "GET",
	    "/not/in/catalog", 0, 0), CV_ERR_DENIED);
	assert_int_equal(peer_sign(&p, "pm", CATALOG_L1, "GET",
	    "/auth/derive-api-key", 0, -31), CV_ERR_STALE);
	assert_int_equal(peer_sign(&p, "pm", CATALOG_L1, "GET",
	    "/auth/derive-api-key", 0, 31), CV_ERR_STALE);
	assert_int_equal(peer_sign(&p, "pm", CATALOG_L2, "GET",
	    "/auth/api-keys\r\nX: y", 0, 0), CV_ERR_INVALID);
	assert_int_equal(peer_sign(&p, "pm", CATALOG_L2, "get",
	    "/auth/api-keys", 0, 0), CV_ERR_INVALID);
	assert_int_equal(peer_sign(&p, "pm", 9, "GET", "/auth/api-keys", 0,
	    0), CV_ERR_INVALID);
	/* 64 KiB passes the shape check; this vault has no API key */
	assert_int_equal(peer_sign(&p, "pm", CATALOG_L2, "POST",
	    "/auth/builder-api-key", 65536, 0), CV_ERR_NOTFOUND);

	/*
	 * A body over 64 KiB breaks the message's own bound: a broken
	 * peer, so signerd stops (vaultd's gate never sends one).
	 */
	msg_begin(&w, MSG_SIGN_REQ, ++p.id);
	msg_put_str(&w, "pm");
	msg_put_u64(&w, CATALOG_L2);
	msg_put_str(&w, "POST");
	msg_put_str(&w, "/auth/builder-api-key");
	{
		static uint8_t big[65537];

		msg_put_bin(&w, big, sizeof(big));
	}
	msg_put_str(&w, "1");
	msg_put_u64(&w, 0);
	msg_put_u64(&w, 0);		/* flags */
	msg_put_str(&w, "");		/* the active API key */
	peer_send(&p, &w);
	assert_int_equal(waitpid(p.pid, &status, 0), p.pid);
	if (!WIFEXITED(status))
		fail_msg("signerd died of signal %d", WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	chan_free(&p.c);

	/* so does a signing request before any vault is unlocked */
	{
		int		sv[2];
		char		path[300];
		struct msg	m;

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		snprintf(path, sizeof(path), "%s/signerd",
		    getenv("CLOBVAULT_BUILD") ? getenv("CLOBVAULT_BUILD") :
		    "build");
		if ((p.pid = fork()) == 0) {
			dup2(sv[1], 3);
			setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
			execl(path, "signerd", (char *)NULL);
			_exit(127);
		}
		close(sv[1]);
		chan_init(&p.c, sv[0]);
		assert_int_equal(chan_recv(&p.c, &m), 0);
		msg_clear(&m);
		msg_begin(&w, MSG_HELLO_ANS, 0);
		msg_put_u64(&w, MSG_VERSION);
		peer_send(&p, &w);
		p.id = 0;
		msg_begin(&w, MSG_SIGN_REQ, 1);
		msg_put_str(&w, "pm");
		msg_put_u64(&w, CATALOG_L1);
		msg_put_str(&w, "GET");
		msg_put_str(&w, "/auth/derive-api-key");
		msg_put_bin(&w, "", 0);
		msg_put_str(&w, "1");
		msg_put_u64(&w, 0);
		msg_put_u64(&w, 0);		/* flags */
		msg_put_str(&w, "");		/* the active API key */
		peer_send(&p, &w);
		assert_int_equal(chan_recv(&p.c, &m), CV_ERR_EOF);
		assert_int_equal(waitpid(p.pid, &status, 0), p.pid);
		assert_int_equal(WEXITSTATUS(status), 1);
		chan_free(&p.c);
	}
}

/* The permissions a store says its create asked for (Omnia only). */
static const char	*store_asked = "";

/* MSG_VAULT_STORE_REQ with a box of plaintext pt sealed to pk. */
static int64_t
peer_store(struct peer *p, uint64_t type, const char *acct, uint64_t nonce,
    const uint8_t *pk, const void *pt, size_t ptlen, int flip, char *key_id)
{
	struct msg_w	 w;
	struct msg	 m;
	uint8_t		 box[512];
	const uint8_t	*f;
	size_t		 flen;
	int64_t		 code = 0;

	assert_true(ptlen + crypto_box_SEALBYTES <= sizeof(box));
	assert_int_equal(crypto_box_seal(box, pt, ptlen, pk), 0);
	if (flip)
		box[ptlen + crypto_box_SEALBYTES - 1] ^= 1;
	msg_begin(&w, MSG_VAULT_STORE_REQ, ++p->id);
	msg_put_u64(&w, type);
	msg_put_str(&w, acct);
	msg_put_u64(&w, nonce);
	msg_put_bin(&w, box, ptlen + crypto_box_SEALBYTES);
	msg_put_str(&w, "");		/* a new key, replacing none */
	msg_put_str(&w, store_asked);
	peer_send(p, &w);
	assert_int_equal(chan_recv(&p->c, &m), 0);
	assert_int_equal(m.id, p->id);
	if (m.type == MSG_ERROR_ANS)
		assert_int_equal(msg_get_i64(&m.rd, &code), 0);
	else {
		assert_int_equal(m.type, MSG_VAULT_STORE_ANS);
		assert_int_equal(msg_get_bin(&m.rd, &f, &flen, 1 << 20), 0);
		assert_int_equal(msg_get_strbuf(&m.rd, key_id, 65), 0);
	}
	msg_clear(&m);
	return code;
}

/* MSG_VAULT_MARK_REQ of acct's invitation code; the answer's code. */
static int64_t
peer_mark_invite(struct peer *p, const char *acct, uint64_t flags)
{
	struct msg_w	w;

	msg_begin(&w, MSG_VAULT_MARK_REQ, ++p->id);
	msg_put_u64(&w, VAULT_REC_INVITE);
	msg_put_str(&w, acct);
	msg_put_str(&w, "");
	msg_put_u64(&w, flags);
	peer_send(p, &w);
	return peer_answer(p, MSG_VAULT_MARK_ANS);
}

/* The header value called name in a MSG_SIGN_ANS for request p->id. */
static int
peer_sign_has(struct peer *p, const char *acct, uint64_t level,
    const char *method, const char *path, const char *name, char *val)
{
	struct msg_w	 w;
	struct msg	 m;
	struct msg_rd	 list, e;
	const char	*n, *v;
	size_t		 nl, vl;
	char		 ts[32];
	uint32_t	 i;
	int		 found = 0;

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	msg_begin(&w, MSG_SIGN_REQ, ++p->id);
	msg_put_str(&w, acct);
	msg_put_u64(&w, level);
	msg_put_str(&w, method);
	msg_put_str(&w, path);
	msg_put_bin(&w, "", 0);
	msg_put_str(&w, ts);
	msg_put_u64(&w, 0);
	msg_put_u64(&w, 0);		/* flags */
	msg_put_str(&w, "");		/* the active API key */
	peer_send(p, &w);
	assert_int_equal(chan_recv(&p->c, &m), 0);
	assert_int_equal(m.type, MSG_SIGN_ANS);
	assert_int_equal(msg_get_array(&m.rd, &list, 16), 0);
	for (i = 0; i < list.n; i++) {
		assert_int_equal(msg_get_array(&list, &e, 2), 0);
		assert_int_equal(msg_get_str(&e, &n, &nl, 64), 0);
		assert_int_equal(msg_get_str(&e, &v, &vl, 256), 0);
		if (nl == strlen(name) && memcmp(n, name, nl) == 0) {
			snprintf(val, 257, "%.*s", (int)vl, v);
			found = 1;
		}
	}
	msg_clear(&m);
	return found;
}

/*
 * Credentials from the exchange: only a box sealed to signerd's key for
 * this unlock is opened; a flipped byte, another key, a malformed
 * plaintext, a second copy are refused with their codes and store
 * nothing.  Signing works while a change is pending.  An invitation code
 * marked used no longer goes out with L1.
 */
static void
test_store_box(void **state)
{
	static const char cred[] = "key-1\0" SECRET "\0pass-1";
	static const char of[] = "{\"profile\":\"openfish\","
	    "\"url\":\"https://127.0.0.1:1\"}";
	struct peer	p;
	struct msg_w	w;
	struct msg	m;
	uint8_t		other_pk[32], other_sk[32], key[32];
	const char	*json;
	size_t		len;
	char		id[65], val[257];

	(void)state;
	peer_start(&p);
	crypto_box_keypair(other_pk, other_sk);
	assert_int_equal(peer_store(&p, VAULT_REC_API_CRED, "pm", 0, p.box_pk,
	    cred, sizeof(cred) - 1, 1, id), CV_ERR_TAMPERED);
	assert_int_equal(peer_store(&p, VAULT_REC_API_CRED, "pm", 0, other_pk,
	    cred, sizeof(cred) - 1, 0, id), CV_ERR_TAMPERED);
	assert_int_equal(peer_store(&p, VAULT_REC_API_CRED, "pm", 0, p.box_pk,
	    "key-1", 5, 0, id), CV_ERR_INVALID);
	assert_int_equal(peer_store(&p, VAULT_REC_API_CRED, "pm", 0, p.box_pk,
	    "bad key\0" SECRET "\0p", 10 + sizeof(SECRET), 0, id),
	    CV_ERR_INVALID);
	assert_int_equal(peer_store(&p, VAULT_REC_WALLET_KEY, "pm", 0,
	    p.box_pk, cred, sizeof(cred) - 1, 0, id), CV_ERR_INVALID);
	assert_int_equal(peer_store(&p, VAULT_REC_API_CRED, "nosuch", 0,
	    p.box_pk, cred, sizeof(cred) - 1, 0, id), CV_ERR_NOTFOUND);
	/* permissions asked for: only an Omnia create names them */
	store_asked = "trade";
	assert_int_equal(peer_store(&p, VAULT_REC_API_CRED, "pm", 0, p.box_pk,
	    cred, sizeof(cred) - 1, 0, id), CV_ERR_INVALID);
	store_asked = "";
	/* nothing stored: L2 has no key yet */
	assert_int_equal(peer_sign(&p, "pm", CATALOG_L2, "GET",
	    "/auth/api-keys", 0, 0), CV_ERR_NOTFOUND);

	assert_int_equal(peer_store(&p, VAULT_REC_API_CRED, "pm", 0, p.box_pk,
	    cred, sizeof(cred) - 1, 0, id), 0);
	assert_string_equal(id, "key-1");
	/* pending: a signature still comes, from the committed vault */
	assert_int_equal(peer_sign(&p, "pm", CATALOG_L2, "GET",
	    "/auth/api-keys", 0, 0), CV_ERR_NOTFOUND);
	msg_begin(&w, MSG_VAULT_ACCOUNT_REQ, ++p.id);
	msg_put_str(&w, "pm");
	peer_send(&p, &w);
	assert_int_equal(chan_recv(&p.c, &m), 0);
	assert_int_equal(m.type, MSG_VAULT_ACCOUNT_ANS);
	assert_int_equal(msg_get_str(&m.rd, &json, &len, 4096), 0);
	assert_int_equal(len, strlen(PM_ACCOUNT));
	assert_memory_equal(json, PM_ACCOUNT, len);
	msg_clear(&m);
	peer_commit(&p, 4);
	assert_true(peer_sign_has(&p, "pm", CATALOG_L2, "GET",
	    "/auth/api-keys", "POLY_API_KEY", val));
	assert_string_equal(val, "key-1");
	assert_int_equal(peer_store(&p, VAULT_REC_API_CRED, "pm", 0, p.box_pk,
	    cred, sizeof(cred) - 1, 0, id), CV_ERR_EXISTS);

	/* the invitation code: sent on create until marked used */
	peer_put(&p, VAULT_REC_ACCOUNT, "of", of, strlen(of), 5);
	assert_int_equal(hex_decode(WALLET_KEY, 64, key, 32, &len), 0);
	peer_put(&p, VAULT_REC_WALLET_KEY, "of", key, 32, 6);
	peer_put(&p, VAULT_REC_INVITE, "of", "INVITE-42", 9, 7);
	assert_true(peer_sign_has(&p, "of", CATALOG_L1, "POST",
	    "/auth/api-key", "OPENFISH_INVITATION_CODE", val));
	assert_string_equal(val, "INVITE-42");
	assert_int_equal(peer_mark_invite(&p, "of", VAULT_RECF_REVOKED),
	    CV_ERR_INVALID);
	assert_int_equal(peer_mark_invite(&p, "pm", VAULT_RECF_USED),
	    CV_ERR_NOTFOUND);
	assert_int_equal(peer_mark_invite(&p, "of", VAULT_RECF_USED), 0);
	peer_commit(&p, 8);
	assert_false(peer_sign_has(&p, "of", CATALOG_L1, "POST",
	    "/auth/api-key", "OPENFISH_INVITATION_CODE", val));
	assert_true(peer_sign_has(&p, "of", CATALOG_L1, "POST",
	    "/auth/api-key", "OPENFISH_SIGNATURE", val));
	chan_free(&p.c);
	assert_int_equal(waitpid(p.pid, NULL, 0), p.pid);
}

/*
 * Orders (SIGN_F_ORDERS) and gateway clients, this test playing vaultd.
 * The orders are the published vectors' (tests/vectors/orders.json), in
 * their wire form.
 */
#define ZERO_ADDR	"0x0000000000000000000000000000000000000000"
#define OTHER_ADDR	"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define FUNDER		"0x995c9b1f779c04e65AF8ea3360F96c43b5e62316"
#define URL		"\"url\":\"https://127.0.0.1:1\""
/* vector A's order without its closing brace, salt and signer given */
#define ORDER_A(salt, signer)						\
	"{\"salt\":" salt ",\"maker\":\"" WALLET_ADDR "\",\"signer\":\"" \
	signer "\",\"taker\":\"" ZERO_ADDR "\",\"tokenId\":\"1234\","	\
	"\"makerAmount\":\"100000000\",\"takerAmount\":\"50000000\","	\
	"\"expiration\":\"0\",\"nonce\":\"0\",\"feeRateBps\":\"100\","	\
	"\"side\":\"BUY\",\"signatureType\":0"
/* vector D: a proxy wallet (type 1) as maker, V1 */
#define ORDER_D								\
	"{\"salt\":1,\"maker\":\"" FUNDER "\",\"signer\":\"" WALLET_ADDR \
	"\",\"taker\":\"0xf7fB45986800e2D259BAa25B56466bd02dA37a44\","	\
	"\"tokenId\":\"123\",\"makerAmount\":\"51200000\","		\
	"\"takerAmount\":\"100000000\",\"expiration\":\"0\","		\
	"\"nonce\":\"2\",\"feeRateBps\":\"0\",\"side\":\"BUY\","	\
	"\"signatureType\":1}"
/* vector V2-2: a safe (type 2) as maker, V2, the neg-risk exchange */
#define ORDER_V2_2							\
	"{\"salt\":9007199254740991,\"maker\":\"" FUNDER "\",\"signer\":\"" \
	WALLET_ADDR "\",\"taker\":\"" ZERO_ADDR "\",\"tokenId\":\"71321" \
	"045679252212594626385532706912750332728571942532289631379312455" \
	"583992563\",\"makerAmount\":\"2435890000\",\"takerAmount\":"	\
	"\"949997100\",\"expiration\":\"0\",\"side\":\"SELL\","		\
	"\"signatureType\":2,\"timestamp\":\"1767225600123\","		\
	"\"metadata\":\"0x" "1111111111111111" "1111111111111111"	\
	"1111111111111111" "1111111111111111" "\",\"builder\":\"0x"	\
	"abababababababab" "abababababababab" "abababababababab"	\
	"ababababababab" "cd\"}"

/* The signature of the order vector whose name begins with prefix. */
static void
order_vector_sig(const char *list, const char *prefix, char out[133])
{
	json_error_t	 err;
	json_t		*root, *v;
	const char	*name, *sig;
	size_t		 i;

	root = json_load_file("tests/vectors/orders.json",
	    JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		fail_msg("tests/vectors/orders.json: %s", err.text);
	json_array_foreach(json_object_get(root, list), i, v) {
		name = json_string_value(json_object_get(v, "name"));
		sig = json_string_value(json_object_get(v, "signature"));
		if (name != NULL && sig != NULL &&
		    strncmp(name, prefix, strlen(prefix)) == 0) {
			assert_int_equal(strlen(sig), 132);
			memcpy(out, sig, 133);
			json_decref(root);
			return;
		}
	}
	fail_msg("no order vector %s", prefix);
}

/*
 * MSG_VAULT_PUT_REQ at revision nonce with the vault credential cred
 * ("": none), committed if it succeeds; its code and info.
 */
static int64_t
peer_put_cred(struct peer *p, const char *cred, uint64_t type,
    const char *acct, const char *key_id, uint64_t nonce, const void *b,
    size_t len, char *info)
{
	struct msg_w	 w;
	struct msg	 m;
	const uint8_t	*f;
	size_t		 flen;
	int64_t		 code = 0;

	msg_begin(&w, MSG_VAULT_PUT_REQ, ++p->id);
	msg_put_u64(&w, type);
	msg_put_str(&w, acct);
	msg_put_str(&w, key_id);
	msg_put_u64(&w, nonce);
	msg_put_bin(&w, b, len);
	msg_put_bin(&w, cred, strlen(cred));
	msg_put_bool(&w, 0);
	peer_send(p, &w);
	assert_int_equal(chan_recv(&p->c, &m), 0);
	assert_int_equal(m.id, p->id);
	info[0] = '\0';
	if (m.type == MSG_ERROR_ANS)
		assert_int_equal(msg_get_i64(&m.rd, &code), 0);
	else {
		assert_int_equal(m.type, MSG_VAULT_PUT_ANS);
		assert_int_equal(msg_get_bin(&m.rd, &f, &flen, 1 << 20), 0);
		assert_int_equal(msg_get_strbuf(&m.rd, info, 513), 0);
	}
	msg_clear(&m);
	if (code == 0)
		peer_commit(p, ++p->gen);
	return code;
}

/* The same at revision 0; a client's record with the vault's credential. */
static int64_t
peer_put_rec(struct peer *p, uint64_t type, const char *acct,
    const char *key_id, const void *b, size_t len, char *info)
{
	return peer_put_cred(p, type == VAULT_REC_CLIENT ? "pw" : "", type,
	    acct, key_id, 0, b, len, info);
}

/*
 * MSG_VAULT_DEL_REQ with the vault credential cred, committed if done;
 * gone: as vaultd's removal of a key a call deleted at the exchange.
 */
static int64_t
peer_del_gone(struct peer *p, const char *cred, int gone, uint64_t type,
    const char *acct, const char *key_id)
{
	struct msg_w	w;
	int64_t		code;

	msg_begin(&w, MSG_VAULT_DEL_REQ, ++p->id);
	msg_put_u64(&w, type);
	msg_put_str(&w, acct);
	msg_put_str(&w, key_id);
	msg_put_bin(&w, cred, strlen(cred));
	msg_put_bool(&w, 0);
	msg_put_bool(&w, gone);
	peer_send(p, &w);
	if ((code = peer_answer(p, MSG_VAULT_DEL_ANS)) == 0)
		peer_commit(p, ++p->gen);
	return code;
}

/* The same for the operator (gone false). */
static int64_t
peer_del_cred(struct peer *p, const char *cred, uint64_t type,
    const char *acct, const char *key_id)
{
	return peer_del_gone(p, cred, 0, type, acct, key_id);
}

/* An account record; with keys, the test wallet and API key "k-1". */
static void
peer_account(struct peer *p, const char *name, const char *json, int keys)
{
	static const char	cred[] = SECRET "\0pp";
	uint8_t			key[32];
	size_t			len;
	char			info[513];

	assert_int_equal(peer_put_rec(p, VAULT_REC_ACCOUNT, name, "", json,
	    strlen(json), info), 0);
	if (!keys)
		return;
	assert_int_equal(hex_decode(WALLET_KEY, 64, key, 32, &len), 0);
	assert_int_equal(peer_put_rec(p, VAULT_REC_WALLET_KEY, name, "", key,
	    32, info), 0);
	assert_int_equal(peer_put_rec(p, VAULT_REC_API_CRED, name, "k-1",
	    cred, sizeof(cred) - 1, info), 0);
}

/* A MSG_SIGN_REQ's answer: a code and text, or headers and a body. */
struct sans {
	int		 code;
	char		 text[MSG_ERROR_TEXT_MAX + 1];
	json_t		*hdrs;
	char		*body;		/* NUL-terminated */
	size_t		 bodylen;
	char		 ts[32];
};

static void
sans_free(struct sans *a)
{
	json_decref(a->hdrs);
	free(a->body);
	memset(a, 0, sizeof(*a));
}

static void
peer_sign_flags(struct peer *p, const char *acct, uint64_t level,
    const char *method, const char *path, const char *body, uint64_t flags,
    struct sans *a)
{
	struct msg_w	 w;
	struct msg	 m;
	struct msg_rd	 list, e;
	const char	*n, *v;
	const uint8_t	*b;
	size_t		 nl, vl, bl;
	char		 name[65];
	uint32_t	 i;

	memset(a, 0, sizeof(*a));
	snprintf(a->ts, sizeof(a->ts), "%lld", (long long)time(NULL));
	msg_begin(&w, MSG_SIGN_REQ, ++p->id);
	msg_put_str(&w, acct);
	msg_put_u64(&w, level);
	msg_put_str(&w, method);
	msg_put_str(&w, path);
	msg_put_bin(&w, body, strlen(body));
	msg_put_str(&w, a->ts);
	msg_put_u64(&w, 0);
	msg_put_u64(&w, flags);
	msg_put_str(&w, "");		/* the active API key */
	peer_send(p, &w);
	assert_int_equal(chan_recv(&p->c, &m), 0);
	assert_int_equal(m.id, p->id);
	if (m.type == MSG_ERROR_ANS) {
		assert_int_equal(msg_get_error(&m, &a->code, a->text,
		    sizeof(a->text)), 0);
		msg_clear(&m);
		return;
	}
	assert_int_equal(m.type, MSG_SIGN_ANS);
	a->hdrs = json_object();
	assert_int_equal(msg_get_array(&m.rd, &list, 16), 0);
	for (i = 0; i < list.n; i++) {
		assert_int_equal(msg_get_array(&list, &e, 2), 0);
		assert_int_equal(msg_get_str(&e, &n, &nl, 64), 0);
		assert_int_equal(msg_get_str(&e, &v, &vl, 256), 0);
		snprintf(name, sizeof(name), "%.*s", (int)nl, n);
		json_object_set_new(a->hdrs, name, json_stringn(v, vl));
	}
	assert_int_equal(msg_get_bin(&m.rd, &b, &bl, 131072), 0);
	assert_non_null(a->body = malloc(bl + 1));
	memcpy(a->body, b, bl);
	a->body[bl] = '\0';
	a->bodylen = bl;
	msg_clear(&m);
}

/* The L2 set of a: the account's, its HMAC over exactly a's body. */
static void
check_l2_body(const struct sans *a, const char *prefix, const char *path)
{
	uint8_t	key[64];
	size_t	klen;
	char	sig[CLOB_HMAC_SIG_LEN], k[64];

	if (a->code != 0)
		fail_msg("refused (%d): %s", a->code, a->text);
	assert_int_equal(json_object_size(a->hdrs), 5);
	assert_int_equal(clob_hmac_key_decode(SECRET, key, sizeof(key),
	    &klen), 0);
	snprintf(k, sizeof(k), "%sTIMESTAMP", prefix);
	assert_string_equal(get(a->hdrs, k), a->ts);
	assert_int_equal(clob_hmac_sign(key, klen, a->ts, "POST", path,
	    (const uint8_t *)a->body, a->bodylen, sig), 0);
	snprintf(k, sizeof(k), "%sSIGNATURE", prefix);
	assert_string_equal(get(a->hdrs, k), sig);
	snprintf(k, sizeof(k), "%sAPI_KEY", prefix);
	assert_string_equal(get(a->hdrs, k), "k-1");
	snprintf(k, sizeof(k), "%sADDRESS", prefix);
	assert_string_equal(get(a->hdrs, k), WALLET_ADDR);
}

/* sig (0x + 130 hex) over order o of profile's domain recovers to us. */
static void
check_order_sig(const char *profile, enum order_version ver, json_t *o)
{
	struct secp256k1_context_struct	*ctx = secp_ctx_new();
	struct order_domain		 dom;
	struct order			 ord;
	uint8_t				 digest[32], sig[65], addr[20];
	uint8_t				 want[20];
	const char			*hex;
	char				 why[256];
	size_t				 len;

	hex = json_string_value(json_object_get(o, "signature"));
	assert_non_null(hex);
	assert_int_equal(hex_decode(hex, strlen(hex), sig, sizeof(sig),
	    &len), 0);
	assert_int_equal(len, 65);
	assert_int_equal(order_domain_for(profile, ver, 0, &dom), 0);
	assert_int_equal(order_from_json(o, ver, &ord, why, sizeof(why)), 0);
	order_digest(&dom, &ord, digest);
	assert_int_equal(secp_recover(ctx, sig, digest, addr), 0);
	assert_int_equal(eth_address_parse(WALLET_ADDR, want), 0);
	assert_memory_equal(addr, want, 20);
	secp_ctx_free(ctx);
}

/*
 * SIGN_F_ORDERS: each order signed by the wallet key as the published
 * vectors sign it, owner set to the API key, the L2 set over the body
 * that comes back; the account's funder as maker; refusals naming the
 * order and field; the flag only on POST /order and /orders at L2.
 */
static void
test_orders(void **state)
{
	static const char of[] = "{\"profile\":\"openfish\"," URL "}";
	static const char pmf[] = "{\"profile\":\"polymarket\"," URL
	    ",\"funder\":\"" FUNDER "\",\"orders\":1}";
	static const char pm1[] = "{\"profile\":\"polymarket\"," URL
	    ",\"orders\":1}";
	static const char pm2[] = "{\"profile\":\"polymarket\"," URL
	    ",\"funder\":\"" FUNDER "\"}";
	static const char *const bad[][2] = {
		{ "{\"profile\":\"polymarket\"," URL ",\"funder\":\"0x123\"}",
		  "the account record's funder is not an address (0x and 40 "
		  "hex digits, mixed case only as EIP-55): set it again with "
		  "vaultctl" },
		{ "{\"profile\":\"polymarket\"," URL ",\"funder\":\""
		  "0x995C9b1f779c04e65AF8ea3360F96c43b5e62316\"}",
		  "the account record's funder is not an address (0x and 40 "
		  "hex digits, mixed case only as EIP-55): set it again with "
		  "vaultctl" },
		{ "{\"profile\":\"polymarket\"," URL ",\"orders\":3}",
		  "the account record's orders is not 1 or 2 (the order "
		  "version): set it again with vaultctl" },
		{ "{\"profile\":\"polymarket\"," URL ",\"orders\":\"2\"}",
		  "the account record's orders is not 1 or 2 (the order "
		  "version): set it again with vaultctl" },
		{ "{\"profile\":\"openfish\"," URL ",\"orders\":2}",
		  "the account record asks for orders of version 2, which "
		  "openfish does not sign: set orders to 1 with vaultctl" },
	};
	const char	*one = "{\"order\":" ORDER_A("479249096354",
			    WALLET_ADDR) "},\"owner\":\"\","
			    "\"orderType\":\"GTC\"}";
	struct peer	 p;
	struct sans	 a;
	json_t		*j, *el;
	char		 o1[133], d[133], v22[133], want[2048], name[16];
	size_t		 i;

	(void)state;
	order_vector_sig("vectors", "O1:", o1);
	order_vector_sig("vectors", "D:", d);
	order_vector_sig("v2_vectors", "V2-2:", v22);
	peer_start(&p);
	peer_account(&p, "of", of, 1);
	peer_account(&p, "pmf", pmf, 1);
	peer_account(&p, "pm1", pm1, 1);
	peer_account(&p, "pm2", pm2, 1);

	/* vector A's order under the Openfish domain: vector O1 */
	peer_sign_flags(&p, "of", CATALOG_L2, "POST", "/order", one,
	    SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, 0);
	snprintf(want, sizeof(want), "{\"order\":" ORDER_A("479249096354",
	    WALLET_ADDR) ",\"signature\":\"%s\"},\"owner\":\"k-1\","
	    "\"orderType\":\"GTC\"}", o1);
	assert_string_equal(a.body, want);
	check_l2_body(&a, "OPENFISH_", "/order");
	sans_free(&a);

	/* a batch: every order signed, every element owned */
	peer_sign_flags(&p, "of", CATALOG_L2, "POST", "/orders", "[{\"order\":"
	    ORDER_A("479249096354", WALLET_ADDR) "},\"orderType\":\"GTC\"},"
	    "{\"order\":" ORDER_A("\"2\"", WALLET_ADDR) ",\"signature\":\"\"},"
	    "\"orderType\":\"FOK\"}]", SIGN_F_ORDERS, &a);
	check_l2_body(&a, "OPENFISH_", "/orders");
	assert_non_null(j = json_loads(a.body, JSON_REJECT_DUPLICATES, NULL));
	assert_int_equal(json_array_size(j), 2);
	json_array_foreach(j, i, el) {
		assert_string_equal(get(el, "owner"), "k-1");
		check_order_sig("openfish", ORDER_V1,
		    json_object_get(el, "order"));
	}
	assert_string_equal(get(json_object_get(json_array_get(j, 0),
	    "order"), "signature"), o1);
	assert_string_not_equal(get(json_object_get(json_array_get(j, 1),
	    "order"), "signature"), o1);
	json_decref(j);
	sans_free(&a);

	/* the signer must be the account */
	peer_sign_flags(&p, "of", CATALOG_L2, "POST", "/order", "{\"order\":"
	    ORDER_A("1", OTHER_ADDR) "}}", SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, CV_ERR_DENIED);
	assert_string_equal(a.text, "order 1: signer " OTHER_ADDR " is not "
	    "the account's address " WALLET_ADDR);
	sans_free(&a);
	peer_sign_flags(&p, "of", CATALOG_L2, "POST", "/orders", "[{\"order\":"
	    ORDER_A("1", WALLET_ADDR) "}},{\"order\":" ORDER_A("2", OTHER_ADDR)
	    "}}]", SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, CV_ERR_DENIED);
	assert_string_equal(a.text, "order 2: signer " OTHER_ADDR " is not "
	    "the account's address " WALLET_ADDR);
	sans_free(&a);

	/* the funder as maker: vectors D (V1 proxy) and V2-2 (safe) */
	peer_sign_flags(&p, "pmf", CATALOG_L2, "POST", "/order",
	    "{\"order\":" ORDER_D ",\"owner\":\"someone\"}", SIGN_F_ORDERS, &a);
	check_l2_body(&a, "POLY_", "/order");
	assert_non_null(j = json_loads(a.body, JSON_REJECT_DUPLICATES, NULL));
	assert_string_equal(get(json_object_get(j, "order"), "signature"), d);
	assert_string_equal(get(j, "owner"), "k-1");
	json_decref(j);
	sans_free(&a);
	peer_sign_flags(&p, "pm2", CATALOG_L2, "POST", "/order",
	    "{\"order\":" ORDER_V2_2 "}", SIGN_F_ORDERS | SIGN_F_NEGRISK, &a);
	check_l2_body(&a, "POLY_", "/order");
	assert_non_null(j = json_loads(a.body, JSON_REJECT_DUPLICATES, NULL));
	assert_string_equal(get(json_object_get(j, "order"), "signature"),
	    v22);
	json_decref(j);
	sans_free(&a);
	/* the same order for the other exchange is another signature */
	peer_sign_flags(&p, "pm2", CATALOG_L2, "POST", "/order",
	    "{\"order\":" ORDER_V2_2 "}", SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, 0);
	assert_null(strstr(a.body, v22));
	sans_free(&a);
	/* without a funder, or with V1 fields for a V2 account: refused */
	peer_sign_flags(&p, "pm1", CATALOG_L2, "POST", "/order",
	    "{\"order\":" ORDER_D "}", SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, CV_ERR_DENIED);
	assert_string_equal(a.text, "order 1: maker " FUNDER " is not the "
	    "account's address " WALLET_ADDR ", and the account has no "
	    "funder");
	sans_free(&a);
	peer_sign_flags(&p, "pm2", CATALOG_L2, "POST", "/order",
	    "{\"order\":" ORDER_D "}", SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, CV_ERR_INVALID);
	assert_string_not_equal(a.text, "");
	sans_free(&a);
	peer_sign_flags(&p, "of", CATALOG_L2, "POST", "/order", "{}",
	    SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, CV_ERR_INVALID);
	sans_free(&a);
	/* no API key: nothing to own the orders */
	peer_sign_flags(&p, "pm", CATALOG_L2, "POST", "/order", one,
	    SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, CV_ERR_NOTFOUND);
	assert_string_equal(a.text, "the account has no API key in the "
	    "vault: vaultctl apikey create-or-derive");
	sans_free(&a);

	/* the flag is for POST /order and /orders at L2, exactly */
	peer_sign_flags(&p, "of", CATALOG_L2, "GET", "/order", "",
	    SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, CV_ERR_INVALID);
	peer_sign_flags(&p, "of", CATALOG_L2, "GET", "/auth/api-keys", "",
	    SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, CV_ERR_INVALID);
	peer_sign_flags(&p, "of", CATALOG_L2, "POST", "/auth/api-keys", one,
	    SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, CV_ERR_INVALID);
	peer_sign_flags(&p, "of", CATALOG_L2, "POST", "/order?x=1", one,
	    SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, CV_ERR_INVALID);
	/* builder headers ride on orders too, from a builder key only */
	peer_sign_flags(&p, "of", CATALOG_BUILDER, "POST", "/order", one,
	    SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, CV_ERR_NOTFOUND);
	assert_string_equal(a.text, "the account has no builder key in the "
	    "vault: vaultctl builder create");
	peer_sign_flags(&p, "of", CATALOG_L1, "POST", "/order", one,
	    SIGN_F_ORDERS, &a);
	assert_int_equal(a.code, CV_ERR_INVALID);
	/* unknown flags, and neg-risk without orders */
	peer_sign_flags(&p, "of", CATALOG_L2, "GET", "/auth/api-keys", "",
	    0x4, &a);
	assert_int_equal(a.code, CV_ERR_INVALID);
	peer_sign_flags(&p, "of", CATALOG_L2, "GET", "/auth/api-keys", "",
	    1ULL << 63, &a);
	assert_int_equal(a.code, CV_ERR_INVALID);
	peer_sign_flags(&p, "of", CATALOG_L2, "POST", "/order", one,
	    SIGN_F_ORDERS | 0x4, &a);
	assert_int_equal(a.code, CV_ERR_INVALID);
	peer_sign_flags(&p, "of", CATALOG_L2, "GET", "/auth/api-keys", "",
	    SIGN_F_NEGRISK, &a);
	assert_int_equal(a.code, CV_ERR_INVALID);
	/* and an order body is signed only with its orders signed here */
	peer_sign_flags(&p, "of", CATALOG_L2, "POST", "/order", one, 0, &a);
	assert_int_equal(a.code, CV_ERR_DENIED);
	assert_string_equal(a.text, "POST /order and /orders are signed "
	    "only as orders, each signed by clobvault itself (SIGN_F_ORDERS)");
	peer_sign_flags(&p, "of", CATALOG_L2, "POST", "/orders?x=1", one, 0,
	    &a);
	assert_int_equal(a.code, CV_ERR_DENIED);
	peer_sign_flags(&p, "of", CATALOG_BUILDER, "POST", "/orders", one, 0,
	    &a);
	assert_int_equal(a.code, CV_ERR_DENIED);
	/* without the flag the answer's body is empty */
	peer_sign_flags(&p, "of", CATALOG_L2, "GET", "/auth/api-keys", "", 0,
	    &a);
	assert_int_equal(a.code, 0);
	assert_int_equal(a.bodylen, 0);
	sans_free(&a);

	/* a malformed funder or order version refuses the whole account */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "bad%zu", i);
		peer_account(&p, name, bad[i][0], 0);
		peer_sign_flags(&p, name, CATALOG_L1, "GET",
		    "/auth/derive-api-key", "", 0, &a);
		assert_int_equal(a.code, CV_ERR_CORRUPT);
		assert_string_equal(a.text, bad[i][1]);
	}
	chan_free(&p.c);
	assert_int_equal(waitpid(p.pid, NULL, 0), p.pid);
}

/* Gateway clients' credentials. */
#define CLIENT_KEY1	"3f2c1b0a-9e8d-4c7b-8a69-5d4e3f2a1b0c"
#define CLIENT_KEY2	"0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
#define CLIENT_KEY3	"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
#define REFUSED		"client credentials refused"

struct client {
	const char	*key;
	uint8_t		 secret[32];
	char		 stext[64];	/* base64url */
	char		 pass[65];
	char		 json[256];
};

static void
client_make(struct client *cl, const char *key, uint8_t seed)
{
	uint8_t	p[32];
	size_t	i;

	cl->key = key;
	for (i = 0; i < 32; i++) {
		cl->secret[i] = (uint8_t)(seed * 31 + i * 7 + 0xf8);
		p[i] = (uint8_t)(seed + i * 13);
	}
	assert_int_equal(b64url_encode(cl->secret, 32, cl->stext,
	    sizeof(cl->stext)), 0);
	hex_encode(p, 32, cl->pass);
	snprintf(cl->json, sizeof(cl->json), "{\"apiKey\":\"%s\","
	    "\"secret\":\"%s\",\"passphrase\":\"%s\"}", key, cl->stext,
	    cl->pass);
}

/*
 * MSG_CLIENT_CHECK_REQ of a request path, its signature made with
 * secret over spath (what the client signed); the code, and the text
 * or [name, account] (and, its account unable to sign, that account's
 * code and text).
 */
static int
peer_client(struct peer *p, const char *key, const char *pass,
    const char *ts, const uint8_t *secret, const char *method,
    const char *path, const char *spath, const char *body, char *text,
    char *name, char *acct)
{
	struct msg_w	w;
	struct msg	m;
	char		sig[CLOB_HMAC_SIG_LEN];
	int		code = 0;

	/* a malformed timestamp is sent with a signature over another */
	if (clob_hmac_sign(secret, 32, strspn(ts, "0123456789") ==
	    strlen(ts) && strlen(ts) <= 20 && ts[0] != '\0' ? ts : "1",
	    method, spath, (const uint8_t *)body, strlen(body), sig) != 0)
		fail_msg("cannot sign");
	msg_begin(&w, MSG_CLIENT_CHECK_REQ, ++p->id);
	msg_put_str(&w, key);
	msg_put_str(&w, pass);
	msg_put_str(&w, ts);
	msg_put_str(&w, sig);
	msg_put_str(&w, method);
	msg_put_str(&w, path);
	msg_put_bin(&w, body, strlen(body));
	peer_send(p, &w);
	assert_int_equal(chan_recv(&p->c, &m), 0);
	assert_int_equal(m.id, p->id);
	text[0] = name[0] = acct[0] = '\0';
	if (m.type == MSG_ERROR_ANS)
		assert_int_equal(msg_get_error(&m, &code, text,
		    MSG_ERROR_TEXT_MAX + 1), 0);
	else {
		int64_t	acode;

		assert_int_equal(m.type, MSG_CLIENT_CHECK_ANS);
		assert_int_equal(msg_get_strbuf(&m.rd, name, 65), 0);
		assert_int_equal(msg_get_strbuf(&m.rd, acct, 65), 0);
		assert_int_equal(msg_get_i64(&m.rd, &acode), 0);
		assert_int_equal(msg_get_strbuf(&m.rd, text,
		    MSG_ERROR_TEXT_MAX + 1), 0);
		code = (int)acode;
	}
	msg_clear(&m);
	return code;
}

/* A gateway client's record, checked; its code and info. */
static int64_t
peer_put_client(struct peer *p, const char *acct, const char *name,
    const char *json, char *info)
{
	return peer_put_rec(p, VAULT_REC_CLIENT, acct, name, json,
	    strlen(json), info);
}

/*
 * Gateway clients: records checked strictly and unique; a listing shows
 * the apiKey and never the secret or passphrase; MSG_CLIENT_CHECK_REQ
 * names the client whose key, passphrase and L2 signature (as its
 * account's exchange makes it) match, and answers one code and text
 * for any of the three wrong.
 */
static void
test_clients(void **state)
{
	static const char of[] = "{\"profile\":\"openfish\"," URL "}";
	static const char body[] = "{\"order\":{}}";
	struct peer	 p;
	struct client	 c1, c2, c3, bad;
	struct msg_w	 w;
	struct msg	 m;
	struct msg_rd	 list, e;
	uint64_t	 type, u;
	char		 info[513], text[MSG_ERROR_TEXT_MAX + 1], name[65];
	char		 acct[65], ts[32], json[256], kid[65];
	uint32_t	 i;
	int		 seen = 0;

	(void)state;
	client_make(&c1, CLIENT_KEY1, 1);
	client_make(&c2, CLIENT_KEY2, 2);
	client_make(&c3, CLIENT_KEY3, 3);
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	peer_start(&p);
	peer_account(&p, "of", of, 0);

	assert_int_equal(peer_put_client(&p, "pm", "bot-1", c1.json, info),
	    0);
	assert_string_equal(info, CLIENT_KEY1);
	assert_int_equal(peer_put_client(&p, "of", "bot_2.x", c2.json, info),
	    0);
	assert_string_equal(info, CLIENT_KEY2);
	/* a name or apiKey that a client has already */
	assert_int_equal(peer_put_client(&p, "pm", "bot-3", c1.json, info),
	    CV_ERR_EXISTS);
	assert_int_equal(peer_put_client(&p, "of", "bot-1", c3.json, info),
	    CV_ERR_EXISTS);
	/* malformed records */
	assert_int_equal(peer_put_client(&p, "nosuch", "bot-3", c3.json,
	    info), CV_ERR_NOTFOUND);
	peer_account(&p, "om", "{\"profile\":\"omnia\"," URL "}", 0);
	assert_int_equal(peer_put_client(&p, "om", "bot-3", c3.json, info),
	    CV_ERR_INVALID);
	assert_int_equal(peer_put_client(&p, "pm", "bot 3", c3.json, info),
	    CV_ERR_INVALID);
	assert_int_equal(peer_put_client(&p, "pm", "bot:3", c3.json, info),
	    CV_ERR_INVALID);
	assert_int_equal(peer_put_client(&p, "pm", "", c3.json, info),
	    CV_ERR_INVALID);
	snprintf(json, sizeof(json), "{\"apiKey\":\"%s\",\"secret\":\"%s\","
	    "\"passphrase\":\"%s\",\"x\":1}", c3.key, c3.stext, c3.pass);
	assert_int_equal(peer_put_client(&p, "pm", "bot-3", json, info),
	    CV_ERR_INVALID);
	snprintf(json, sizeof(json), "{\"apiKey\":\"%s\",\"secret\":\"%s\","
	    "\"passphrase\":\"%s\",\"apiKey\":\"%s\"}", c3.key, c3.stext,
	    c3.pass, c3.key);
	assert_int_equal(peer_put_client(&p, "pm", "bot-3", json, info),
	    CV_ERR_INVALID);
	snprintf(json, sizeof(json), "{\"apiKey\":\"%s\",\"secret\":\"%s\"}",
	    c3.key, c3.stext);
	assert_int_equal(peer_put_client(&p, "pm", "bot-3", json, info),
	    CV_ERR_INVALID);
	bad = c3;			/* 31 bytes of secret */
	assert_int_equal(b64url_encode(bad.secret, 31, bad.stext,
	    sizeof(bad.stext)), 0);
	snprintf(json, sizeof(json), "{\"apiKey\":\"%s\",\"secret\":\"%s\","
	    "\"passphrase\":\"%s\"}", c3.key, bad.stext, c3.pass);
	assert_int_equal(peer_put_client(&p, "pm", "bot-3", json, info),
	    CV_ERR_INVALID);
	snprintf(json, sizeof(json), "{\"apiKey\":\"%s\",\"secret\":\"%s\","
	    "\"passphrase\":\"%.63s\"}", c3.key, c3.stext, c3.pass);
	assert_int_equal(peer_put_client(&p, "pm", "bot-3", json, info),
	    CV_ERR_INVALID);
	snprintf(json, sizeof(json), "{\"apiKey\":\"%s\",\"secret\":\"%s\","
	    "\"passphrase\":\"%s\"}", "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE",
	    c3.stext, c3.pass);
	assert_int_equal(peer_put_client(&p, "pm", "bot-3", json, info),
	    CV_ERR_INVALID);
	snprintf(json, sizeof(json), "{\"apiKey\":\"%s\",\"secret\":\"%s\","
	    "\"passphrase\":\"%s\"}", "not-a-uuid", c3.stext, c3.pass);
	assert_int_equal(peer_put_client(&p, "pm", "bot-3", json, info),
	    CV_ERR_INVALID);

	/* the listing: the apiKey, never the secret or passphrase */
	msg_begin(&w, MSG_VAULT_LIST_REQ, ++p.id);
	peer_send(&p, &w);
	assert_int_equal(chan_recv(&p.c, &m), 0);
	assert_int_equal(m.type, MSG_VAULT_LIST_ANS);
	assert_null(memmem(p.c.in.data, p.c.in.len, c1.stext, 43));
	assert_null(memmem(p.c.in.data, p.c.in.len, c1.secret, 32));
	assert_null(memmem(p.c.in.data, p.c.in.len, c1.pass, 64));
	assert_null(memmem(p.c.in.data, p.c.in.len, c2.stext, 43));
	assert_null(memmem(p.c.in.data, p.c.in.len, c2.secret, 32));
	assert_null(memmem(p.c.in.data, p.c.in.len, c2.pass, 64));
	assert_int_equal(msg_get_array(&m.rd, &list, 1024), 0);
	for (i = 0; i < list.n; i++) {
		assert_int_equal(msg_get_array(&list, &e, 6), 0);
		assert_int_equal(msg_get_u64(&e, &type), 0);
		assert_int_equal(msg_get_u64(&e, &u), 0);
		assert_int_equal(msg_get_strbuf(&e, acct, sizeof(acct)), 0);
		assert_int_equal(msg_get_strbuf(&e, kid, sizeof(kid)), 0);
		assert_int_equal(msg_get_u64(&e, &u), 0);
		assert_int_equal(msg_get_strbuf(&e, info, sizeof(info)), 0);
		if (type != VAULT_REC_CLIENT)
			continue;
		seen++;
		assert_string_equal(info, strcmp(kid, "bot-1") == 0 ?
		    CLIENT_KEY1 : CLIENT_KEY2);
	}
	assert_int_equal(seen, 2);
	msg_clear(&m);

	/* the right signature names the client and its account */
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "POST", "/order", "/order", body, text, name, acct), 0);
	assert_string_equal(name, "bot-1");
	assert_string_equal(acct, "pm");
	assert_int_equal(peer_client(&p, CLIENT_KEY2, c2.pass, ts, c2.secret,
	    "DELETE", "/order", "/order", body, text, name, acct), 0);
	assert_string_equal(name, "bot_2.x");
	assert_string_equal(acct, "of");
	/* Polymarket signs the bare path, Openfish the query too */
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "GET", "/data/orders?market=1", "/data/orders", "", text, name,
	    acct), 0);
	assert_string_equal(name, "bot-1");
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "GET", "/data/orders?market=1", "/data/orders?market=1", "", text,
	    name, acct), CV_ERR_AUTH);
	assert_string_equal(text, REFUSED);
	assert_int_equal(peer_client(&p, CLIENT_KEY2, c2.pass, ts, c2.secret,
	    "GET", "/data/orders?market=1", "/data/orders?market=1", "", text,
	    name, acct), 0);
	assert_string_equal(name, "bot_2.x");
	assert_int_equal(peer_client(&p, CLIENT_KEY2, c2.pass, ts, c2.secret,
	    "GET", "/data/orders?market=1", "/data/orders", "", text, name,
	    acct), CV_ERR_AUTH);
	assert_string_equal(text, REFUSED);

	/*
	 * wrong secret, passphrase, key: one text; the code tells vaultd
	 * alone whether a client has the key id (its records)
	 */
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c2.secret,
	    "POST", "/order", "/order", body, text, name, acct), CV_ERR_AUTH);
	assert_string_equal(text, REFUSED);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c2.pass, ts, c1.secret,
	    "POST", "/order", "/order", body, text, name, acct), CV_ERR_AUTH);
	assert_string_equal(text, REFUSED);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, "", ts, c1.secret,
	    "POST", "/order", "/order", body, text, name, acct), CV_ERR_AUTH);
	assert_string_equal(text, REFUSED);
	assert_int_equal(peer_client(&p, CLIENT_KEY3, c1.pass, ts, c1.secret,
	    "POST", "/order", "/order", body, text, name, acct),
	    CV_ERR_NOCLIENT);
	assert_string_equal(text, REFUSED);
	assert_int_equal(peer_client(&p, "", c1.pass, ts, c1.secret,
	    "POST", "/order", "/order", body, text, name, acct),
	    CV_ERR_NOCLIENT);
	assert_string_equal(text, REFUSED);
	/* the body is signed too */
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "POST", "/order", "/order", "", text, name, acct), 0);

	/* a timestamp must be 1 to 20 decimal digits; freshness is vaultd's */
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, "1", c1.secret,
	    "POST", "/order", "/order", body, text, name, acct), 0);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass,
	    "00000000000000000001", c1.secret, "POST", "/order", "/order", body,
	    text, name, acct), 0);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass,
	    "000000000000000000001", c1.secret, "POST", "/order", "/order",
	    body, text, name, acct), CV_ERR_INVALID);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, "", c1.secret,
	    "POST", "/order", "/order", body, text, name, acct),
	    CV_ERR_INVALID);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, "-1", c1.secret,
	    "POST", "/order", "/order", body, text, name, acct),
	    CV_ERR_INVALID);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, "1.5",
	    c1.secret, "POST", "/order", "/order", body, text, name, acct),
	    CV_ERR_INVALID);

	/* while a change is pending, from the committed vault */
	msg_begin(&w, MSG_VAULT_PUT_REQ, ++p.id);
	msg_put_u64(&w, VAULT_REC_CLIENT);
	msg_put_str(&w, "pm");
	msg_put_str(&w, "bot-3");
	msg_put_u64(&w, 0);
	msg_put_bin(&w, c3.json, strlen(c3.json));
	msg_put_bin(&w, "pw", 2);
	msg_put_bool(&w, 0);
	peer_send(&p, &w);
	assert_int_equal(peer_answer(&p, MSG_VAULT_PUT_ANS), 0);
	assert_int_equal(peer_client(&p, CLIENT_KEY3, c3.pass, ts, c3.secret,
	    "POST", "/order", "/order", body, text, name, acct),
	    CV_ERR_NOCLIENT);
	peer_commit(&p, ++p.gen);
	assert_int_equal(peer_client(&p, CLIENT_KEY3, c3.pass, ts, c3.secret,
	    "POST", "/order", "/order", body, text, name, acct), 0);
	assert_string_equal(name, "bot-3");

	/* a client removed is refused at once */
	assert_int_equal(peer_del_cred(&p, "pw", VAULT_REC_CLIENT, "pm",
	    "bot-1"), 0);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "POST", "/order", "/order", body, text, name, acct),
	    CV_ERR_NOCLIENT);
	assert_string_equal(text, REFUSED);
	/* and its apiKey may be given to a client again */
	assert_int_equal(peer_put_client(&p, "of", "bot-1b", c1.json, info),
	    0);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "GET", "/data/orders?a=b", "/data/orders?a=b", "", text, name,
	    acct), 0);
	assert_string_equal(name, "bot-1b");
	assert_string_equal(acct, "of");
	chan_free(&p.c);
	assert_int_equal(waitpid(p.pid, NULL, 0), p.pid);
}

/*
 * A client whose account cannot sign (its record damaged after the
 * client was added): credentials that do not pass get the answer of
 * any client's wrong ones, the text and the work of a key id no client
 * has; only its own credentials learn what is wrong with the account,
 * signed in either exchange's form, its profile unknown.
 */
static void
test_client_account_broken(void **state)
{
	static const char ok[] = "{\"profile\":\"polymarket\"," URL "}";
	static const char broken[] = "{\"orders\":3,\"profile\":"
	    "\"polymarket\"," URL "}";
	static const char why[] = "the account record's orders is not 1 or "
	    "2 (the order version): set it again with vaultctl";
	static const char body[] = "{\"order\":{}}";
	struct peer	 p;
	struct client	 c1, c2;
	char		 info[513], text[MSG_ERROR_TEXT_MAX + 1], name[65];
	char		 acct[65], ts[32];

	(void)state;
	client_make(&c1, CLIENT_KEY1, 1);
	client_make(&c2, CLIENT_KEY2, 2);
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	peer_start(&p);
	peer_account(&p, "cx", ok, 0);
	assert_int_equal(peer_put_client(&p, "cx", "bot-x", c1.json, info),
	    0);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "POST", "/order", "/order", body, text, name, acct), 0);
	assert_string_equal(name, "bot-x");
	assert_int_equal(peer_put_cred(&p, "", VAULT_REC_ACCOUNT, "cx", "", 1,
	    broken, strlen(broken), info), 0);

	/* a wrong secret, a wrong passphrase: refused as any */
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c2.secret,
	    "POST", "/order", "/order", body, text, name, acct), CV_ERR_AUTH);
	assert_string_equal(text, REFUSED);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c2.pass, ts, c1.secret,
	    "POST", "/order", "/order", body, text, name, acct), CV_ERR_AUTH);
	assert_string_equal(text, REFUSED);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, "", ts, c1.secret,
	    "GET", "/data/orders", "/data/orders", "", text, name, acct),
	    CV_ERR_AUTH);
	assert_string_equal(text, REFUSED);
	/* as a key id no client has (the code is for vaultd's records) */
	assert_int_equal(peer_client(&p, CLIENT_KEY3, c1.pass, ts, c1.secret,
	    "POST", "/order", "/order", body, text, name, acct),
	    CV_ERR_NOCLIENT);
	assert_string_equal(text, REFUSED);
	/* a malformed request is malformed for either */
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, "x", c2.secret,
	    "POST", "/order", "/order", body, text, name, acct),
	    CV_ERR_INVALID);
	assert_int_equal(peer_client(&p, CLIENT_KEY3, c1.pass, "x", c2.secret,
	    "POST", "/order", "/order", body, text, name, acct),
	    CV_ERR_INVALID);

	/*
	 * its own credentials, in either form: what the account lacks, in
	 * the answer that names the client and its account (an error
	 * answer, which vaultd could not tell from a malformed request's,
	 * it used to be)
	 */
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "POST", "/order", "/order", body, text, name, acct),
	    CV_ERR_CORRUPT);
	assert_string_equal(text, why);
	assert_string_equal(name, "bot-x");
	assert_string_equal(acct, "cx");
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "GET", "/data/orders?market=1", "/data/orders", "", text, name,
	    acct), CV_ERR_CORRUPT);
	assert_string_equal(text, why);
	assert_string_equal(name, "bot-x");
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "GET", "/data/orders?market=1", "/data/orders?market=1", "", text,
	    name, acct), CV_ERR_CORRUPT);
	assert_string_equal(text, why);
	assert_string_equal(acct, "cx");
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "GET", "/data/orders?market=1", "/data/orders?market=2", "", text,
	    name, acct), CV_ERR_AUTH);
	assert_string_equal(text, REFUSED);

	/* set right again, the client signs */
	assert_int_equal(peer_put_cred(&p, "", VAULT_REC_ACCOUNT, "cx", "", 2,
	    ok, strlen(ok), info), 0);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "POST", "/order", "/order", body, text, name, acct), 0);
	assert_string_equal(name, "bot-x");
	assert_string_equal(acct, "cx");
	chan_free(&p.c);
	assert_int_equal(waitpid(p.pid, NULL, 0), p.pid);
}

/* The account record of acct as signerd answers MSG_VAULT_ACCOUNT_REQ. */
static void
peer_account_is(struct peer *p, const char *acct, const char *want)
{
	struct msg_w	 w;
	struct msg	 m;
	const char	*json;
	size_t		 len;

	msg_begin(&w, MSG_VAULT_ACCOUNT_REQ, ++p->id);
	msg_put_str(&w, acct);
	peer_send(p, &w);
	assert_int_equal(chan_recv(&p->c, &m), 0);
	assert_int_equal(m.type, MSG_VAULT_ACCOUNT_ANS);
	assert_int_equal(msg_get_str(&m.rd, &json, &len, 4096), 0);
	if (len != strlen(want) || memcmp(json, want, len) != 0)
		fail_msg("account %s is %.*s, wanted %s", acct, (int)len, json,
		    want);
	msg_clear(&m);
}

#define PM_MOVED	"{\"profile\":\"polymarket\"," \
			"\"url\":\"https://127.0.0.1:9/\"}"
#define PM_CA		"{\"ca_file\":\"/etc/ssl/evil.pem\"," \
			"\"profile\":\"polymarket\"," \
			"\"url\":\"https://clob.polymarket.com\"}"
#define PM_PIN		"{\"pin\":\"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
			"AAAAAAAAAAAAAA=\",\"profile\":\"polymarket\"," \
			"\"url\":\"https://clob.polymarket.com\"}"
#define PM_AGED		"{\"max_key_age\":30,\"profile\":\"polymarket\"," \
			"\"url\":\"https://clob.polymarket.com\"}"

/*
 * What only the vault credential's holder changes, checked by signerd
 * itself whatever vaultd asks: a gateway client added or removed, an
 * account's URL, CA file or pin.  Without the credential CV_ERR_DENIED,
 * with a wrong one CV_ERR_BADPASS, and nothing changes; with the right
 * one the change is made.  Other settings of an account need none.
 */
static void
test_cred_gate(void **state)
{
	static const char	 apikey[] = SECRET "\0pp";
	static const uint64_t	 keys[] = { VAULT_REC_WALLET_KEY,
				    VAULT_REC_API_CRED, VAULT_REC_BUILDER_CRED,
				    VAULT_REC_INVITE };
	static const char	*ids[] = { "", "k-1", "b-1", "" };
	struct peer		 p;
	struct client		 c1;
	char			 info[513], text[MSG_ERROR_TEXT_MAX + 1];
	char			 name[65], acct[65], ts[32];
	uint64_t		 gen;
	size_t			 i;

	(void)state;
	client_make(&c1, CLIENT_KEY1, 1);
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	peer_start(&p);
	gen = p.gen;

	/* a client added: none, a wrong credential, then the vault's */
	assert_int_equal(peer_put_cred(&p, "", VAULT_REC_CLIENT, "pm",
	    "bot-1", 0, c1.json, strlen(c1.json), info), CV_ERR_DENIED);
	assert_int_equal(peer_put_cred(&p, "px", VAULT_REC_CLIENT, "pm",
	    "bot-1", 0, c1.json, strlen(c1.json), info), CV_ERR_BADPASS);
	assert_int_equal(p.gen, gen);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "GET", "/data/orders", "/data/orders", "", text, name, acct),
	    CV_ERR_NOCLIENT);
	assert_int_equal(peer_put_cred(&p, "pw", VAULT_REC_CLIENT, "pm",
	    "bot-1", 0, c1.json, strlen(c1.json), info), 0);
	assert_string_equal(info, CLIENT_KEY1);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "GET", "/data/orders", "/data/orders", "", text, name, acct), 0);
	assert_string_equal(name, "bot-1");

	/* removed: the same, and the client stays until it is */
	gen = p.gen;
	assert_int_equal(peer_del_cred(&p, "", VAULT_REC_CLIENT, "pm",
	    "bot-1"), CV_ERR_DENIED);
	assert_int_equal(peer_del_cred(&p, "px", VAULT_REC_CLIENT, "pm",
	    "bot-1"), CV_ERR_BADPASS);
	assert_int_equal(p.gen, gen);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "GET", "/data/orders", "/data/orders", "", text, name, acct), 0);
	assert_string_equal(name, "bot-1");
	assert_int_equal(peer_del_cred(&p, "pw", VAULT_REC_CLIENT, "pm",
	    "bot-1"), 0);
	assert_int_equal(peer_client(&p, CLIENT_KEY1, c1.pass, ts, c1.secret,
	    "GET", "/data/orders", "/data/orders", "", text, name, acct),
	    CV_ERR_NOCLIENT);

	/* an account's URL, CA file or pin (revision 1 updates revision 0) */
	gen = p.gen;
	assert_int_equal(peer_put_cred(&p, "", VAULT_REC_ACCOUNT, "pm", "", 1,
	    PM_MOVED, strlen(PM_MOVED), info), CV_ERR_DENIED);
	assert_int_equal(peer_put_cred(&p, "px", VAULT_REC_ACCOUNT, "pm", "",
	    1, PM_MOVED, strlen(PM_MOVED), info), CV_ERR_BADPASS);
	assert_int_equal(peer_put_cred(&p, "", VAULT_REC_ACCOUNT, "pm", "", 1,
	    PM_CA, strlen(PM_CA), info), CV_ERR_DENIED);
	assert_int_equal(peer_put_cred(&p, "", VAULT_REC_ACCOUNT, "pm", "", 1,
	    PM_PIN, strlen(PM_PIN), info), CV_ERR_DENIED);
	assert_int_equal(p.gen, gen);
	peer_account_is(&p, "pm", PM_ACCOUNT);
	/* another setting needs none; a credential given is checked */
	assert_int_equal(peer_put_cred(&p, "px", VAULT_REC_ACCOUNT, "pm", "",
	    1, PM_AGED, strlen(PM_AGED), info), CV_ERR_BADPASS);
	assert_int_equal(peer_put_cred(&p, "", VAULT_REC_ACCOUNT, "pm", "", 1,
	    PM_AGED, strlen(PM_AGED), info), 0);
	peer_account_is(&p, "pm", PM_AGED);
	/* taking a CA file or pin away is a change too */
	assert_int_equal(peer_put_cred(&p, "pw", VAULT_REC_ACCOUNT, "pm", "",
	    2, PM_PIN, strlen(PM_PIN), info), 0);
	assert_int_equal(peer_put_cred(&p, "", VAULT_REC_ACCOUNT, "pm", "", 3,
	    PM_AGED, strlen(PM_AGED), info), CV_ERR_DENIED);
	peer_account_is(&p, "pm", PM_PIN);
	assert_int_equal(peer_put_cred(&p, "pw", VAULT_REC_ACCOUNT, "pm", "",
	    3, PM_MOVED, strlen(PM_MOVED), info), 0);
	peer_account_is(&p, "pm", PM_MOVED);

	/* a key or a code removed: none, a wrong one, the vault's */
	assert_int_equal(peer_put_rec(&p, VAULT_REC_API_CRED, "pm", "k-1",
	    apikey, sizeof(apikey) - 1, info), 0);
	assert_int_equal(peer_put_rec(&p, VAULT_REC_BUILDER_CRED, "pm", "b-1",
	    apikey, sizeof(apikey) - 1, info), 0);
	assert_int_equal(peer_put_rec(&p, VAULT_REC_INVITE, "pm", "",
	    "CODE-1", 6, info), 0);
	gen = p.gen;
	for (i = 0; i < 4; i++) {
		assert_int_equal(peer_del_cred(&p, "", keys[i], "pm", ids[i]),
		    CV_ERR_DENIED);
		assert_int_equal(peer_del_cred(&p, "px", keys[i], "pm",
		    ids[i]), CV_ERR_BADPASS);
	}
	assert_int_equal(p.gen, gen);
	for (i = 0; i < 4; i++) {
		assert_int_equal(peer_del_cred(&p, "pw", keys[i], "pm",
		    ids[i]), 0);
		assert_int_equal(peer_del_cred(&p, "pw", keys[i], "pm",
		    ids[i]), CV_ERR_NOTFOUND);
	}
	/* vaultd's removal of a key a call deleted at the exchange: none */
	assert_int_equal(peer_put_rec(&p, VAULT_REC_API_CRED, "pm", "k-2",
	    apikey, sizeof(apikey) - 1, info), 0);
	assert_int_equal(peer_put_rec(&p, VAULT_REC_BUILDER_CRED, "pm", "b-2",
	    apikey, sizeof(apikey) - 1, info), 0);
	assert_int_equal(peer_del_gone(&p, "", 1, VAULT_REC_API_CRED, "pm",
	    "k-2"), 0);
	assert_int_equal(peer_del_gone(&p, "", 1, VAULT_REC_BUILDER_CRED,
	    "pm", "b-2"), 0);
	assert_int_equal(peer_del_gone(&p, "", 1, VAULT_REC_API_CRED, "pm",
	    "k-2"), CV_ERR_NOTFOUND);
	chan_free(&p.c);
	assert_int_equal(waitpid(p.pid, NULL, 0), p.pid);
}

/* A control client cannot speak the signing channel's messages. */
static void
test_control_cannot_sign(void **state)
{
	struct st	*s = *state;
	struct chan	 c;
	struct msg_w	 w;
	struct msg	 m;

	assert_int_equal(it_connect(&s->it, &c), 0);
	msg_begin(&w, MSG_SIGN_REQ, 5);
	msg_put_str(&w, "pm");
	msg_put_u64(&w, CATALOG_L1);
	msg_put_str(&w, "GET");
	msg_put_str(&w, "/auth/derive-api-key");
	msg_put_bin(&w, "", 0);
	msg_put_str(&w, "1");
	msg_put_u64(&w, 0);
	msg_put_u64(&w, 0);		/* flags */
	msg_put_str(&w, "");		/* the active API key */
	assert_int_equal(chan_send(&c, &w), 0);
	assert_int_equal(chan_recv(&c, &m), CV_ERR_EOF);
	chan_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_l1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_cannot_sign,
		    setup, teardown),
		cmocka_unit_test(test_hostile_peer),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_store_box),
		cmocka_unit_test(test_orders),
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_client_account_broken),
		cmocka_unit_test(test_cred_gate),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
