/*
 * Signing end to end.  Through vaultctl: an L1 header set whose signature
 * recovers to the account's address, L2 for both profiles (query signed
 * for openfish only), the verdict gate denying and auditing.  Against a
 * real signerd on its socketpair, this test playing vaultd: malformed,
 * unknown account, L1 for a non-L1 path, stale and future timestamps,
 * CR/LF in a path -- each refused with its exact code, no signature
 * produced; an oversized body or a request while locked stops signerd.
 */
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
	j = headers(s, 4, "l2", "pm", "POST", "/order");
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
	assert_non_null(strstr(log, "\tpm\tsign\tPOST\t/order\tdeny\t"));
	assert_non_null(strstr(log, "\tsign\tGET\t/auth/api-keys\tallow\t"));
	assert_non_null(strstr(log, "\tsignerd\tnosuch\tsign\t-\t-\trefused"));
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
	peer_send(p, &w);
	assert_int_equal(peer_answer(p, MSG_VAULT_PUT_ANS), 0);
	peer_commit(p, gen);
}

static void
peer_start(struct peer *p)
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
	msg_put_bin(&w, body, bodylen);
	msg_put_str(&w, ts);
	msg_put_u64(&w, 0);
	peer_send(p, &w);
	return peer_answer(p, MSG_SIGN_ANS);
}

static void
test_hostile_peer(void **state)
{
	struct peer	p;
	struct msg_w	w;
	int		status;

	peer_start(&p);
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
		peer_send(&p, &w);
		assert_int_equal(chan_recv(&p.c, &m), CV_ERR_EOF);
		assert_int_equal(waitpid(p.pid, &status, 0), p.pid);
		assert_int_equal(WEXITSTATUS(status), 1);
		chan_free(&p.c);
	}
}

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
		cmocka_unit_test(test_store_box),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
