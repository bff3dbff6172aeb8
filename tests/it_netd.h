/*
 * Helpers for netd's integration tests: start $CLOBVAULT_BUILD/netd the
 * way vaultd does (a socketpair on fd 3, an empty environment, -u nobody
 * when root) and play vaultd's part: the handshake, MSG_NET_CALL_REQ,
 * and the signing -- with signerd's own functions (signerd_sign.h), after
 * signerd's own shape check, over a small "vault" of the test's: a
 * wallet, an invitation code, the API and builder credentials netd's
 * sealed boxes deliver (opened with the test's box key pair, which
 * proves the box).  Header-only so each test program stays one file.
 */
#ifndef CV_TESTS_IT_NETD_H
#define CV_TESTS_IT_NETD_H

#include <poll.h>
#include <sodium.h>

#include "common/catalog.h"
#include "common/child.h"
#include "common/msg.h"
#include "common/netcall.h"
#include "common/profile.h"
#include "common/vault_fmt.h"
#include "signerd/signerd_sign.h"
#include "tests/it.h"
#include "tests/testexchange/tx_test.h"

#define ND_WAIT_MS	30000		/* no answer this long: a failure */

struct nd {
	pid_t		pid;
	struct chan	c;
	char		dir[64];	/* holds empty/ and vault */
	char		log[128];	/* netd's standard error */
	uint32_t	next;
};

/* The test's vault: what signerd would hold, and its box key pair. */
struct ndvault {
	const struct profile	*prof;
	uint8_t			 sk[32];
	struct sign_wallet	 w;
	char			 invite[64];	/* "": none */
	char			 key[80], secret[200], pass[200];
	char			 bkey[80], bsecret[200], bpass[200];
	uint8_t			 box_pk[32], box_sk[32];
	int			 refuse;	/* sign: CV_ERR_LOCKED */
	int			 builder;	/* add builder headers on L2 */
	uint64_t		 call_ms;	/* a call's time; 0: 120 s */
	/* The last request netd asked to have signed. */
	int			 signs;
	uint64_t		 level, nonce;
	char			 method[8];
	char			 path[1024];
	char			 body[1024];
	char			 secrets[8][200];	/* every secret seen */
	size_t			 nsecrets;
};

/* What netd answered a call. */
struct ndans {
	int		 err;		/* 0, or the MSG_ERROR_ANS code */
	char		 text[1024];	/* the error text */
	uint64_t	 status, effect, rectype, nonce;
	char		 keyid[80];
	char		*raw;		/* the result JSON as sent */
	json_t		*result;
	size_t		 boxlen;
	int		 signs;		/* sign requests during the call */
	int64_t		 ms;		/* how long it took */
};

static inline void
ndans_free(struct ndans *a)
{
	free(a->raw);
	json_decref(a->result);
	memset(a, 0, sizeof(*a));
}

static inline void
ndvault_init(struct ndvault *v, const char *profile, const char *skhex)
{
	struct txwallet	tw;

	memset(v, 0, sizeof(*v));
	if ((v->prof = profile_find(profile)) == NULL)
		abort();
	txt_wallet(&tw, skhex);
	memcpy(v->sk, tw.sk, 32);
	if (sign_wallet_init(txt_secp, v->sk, &v->w) != 0 ||
	    crypto_box_keypair(v->box_pk, v->box_sk) != 0)
		abort();
}

static inline void
ndvault_secret(struct ndvault *v, const char *s)
{
	if (v->nsecrets < 8)
		snprintf(v->secrets[v->nsecrets++], sizeof(v->secrets[0]),
		    "%s", s);
}

static int	nd_starts;
/* The environment netd starts with; NULL: none, as vaultd gives it. */
static char	**nd_envp;

/*
 * Start netd with the extra arguments (NULL-terminated, at most 8) and
 * the listening sockets fds[0..nfds) as vaultd passes them: at
 * descriptors CHILD_GW_FD_MIN and up (the -G arguments are the
 * caller's).  0 after the handshake.
 */
static inline int
nd_start_fds(struct nd *n, const char *const *extra, const int *fds,
    size_t nfds)
{
	const char	*b = getenv("CLOBVAULT_BUILD");
	const char	*st = getenv("ND_STRACE");
	char		 path[300], exe[300], empty[96], vault[96], out[300];
	char		*argv[24], *envp[] = { NULL };
	struct msg_w	 w;
	struct msg	 m;
	uint64_t	 version;
	int		 sv[2], fd, hi[CHILD_GW_MAX], ch, i = 0;
	size_t		 k;

	memset(n, 0, sizeof(*n));
	n->c.fd = -1;
	if (nfds > CHILD_GW_MAX)
		return -1;
	snprintf(n->dir, sizeof(n->dir), "/tmp/cvnd.XXXXXX");
	if (mkdtemp(n->dir) == NULL || chmod(n->dir, 0755) == -1)
		return -1;
	snprintf(empty, sizeof(empty), "%s/empty", n->dir);
	snprintf(vault, sizeof(vault), "%s/vault", n->dir);
	snprintf(n->log, sizeof(n->log), "%s/netd.log", n->dir);
	if (mkdir(empty, 0755) == -1)
		return -1;
	/* Readable by anyone: only the sandbox may keep netd out. */
	it_write(vault, "not a vault, but readable by all\n", 0644);
	snprintf(path, sizeof(path), "%s/netd", b != NULL ? b : "build");
	snprintf(exe, sizeof(exe), "%s", path);
	/* ND_STRACE=FILE: under strace -f, how netd's allow-list was found */
	if (st != NULL) {
		snprintf(out, sizeof(out), "%s.%d.%d", st, (int)getpid(),
		    ++nd_starts);
		argv[i++] = "strace";
		argv[i++] = "-f";
		argv[i++] = "-o";
		argv[i++] = out;
		argv[i++] = "--";
		argv[i++] = path;
		snprintf(exe, sizeof(exe), "/usr/bin/strace");
	} else
		argv[i++] = "netd";
	argv[i++] = "-d";
	argv[i++] = "-T";
	argv[i++] = "-u";
	argv[i++] = "nobody";
	argv[i++] = "-C";
	argv[i++] = empty;
	for (k = 0; extra != NULL && extra[k] != NULL; k++) {
		if (k == 8)
			return -1;
		argv[i++] = (char *)(uintptr_t)extra[k];
	}
	argv[i] = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	if ((n->pid = fork()) == -1)
		return -1;
	if (n->pid == 0) {
		/* Out of the way first: a source may sit on a target. */
		if ((ch = fcntl(sv[1], F_DUPFD, 100)) == -1)
			_exit(126);
		for (k = 0; k < nfds; k++)
			if ((hi[k] = fcntl(fds[k], F_DUPFD, 100)) == -1)
				_exit(126);
		if ((fd = open(n->log, O_WRONLY | O_CREAT | O_APPEND, 0600)) ==
		    -1 || dup2(fd, STDERR_FILENO) == -1 ||
		    dup2(ch, CHILD_FD) == -1)
			_exit(126);
		for (k = 0; k < nfds; k++)
			if (dup2(hi[k], CHILD_GW_FD_MIN + (int)k) == -1)
				_exit(126);
		close(CHILD_LOG_FD);
		close_range(CHILD_GW_FD_MIN + (unsigned int)nfds, ~0U, 0);
		execve(exe, argv, nd_envp != NULL ? nd_envp : envp);
		_exit(127);
	}
	close(sv[1]);
	chan_init(&n->c, sv[0]);
	if (chan_recv(&n->c, &m) != 0 || m.type != MSG_HELLO_REQ ||
	    msg_get_u64(&m.rd, &version) != 0 || version != MSG_VERSION)
		return -1;
	msg_clear(&m);
	msg_begin(&w, MSG_HELLO_ANS, m.id);
	msg_put_u64(&w, MSG_VERSION);
	return chan_send(&n->c, &w) == 0 ? 0 : -1;
}

/* Start netd with up to two extra arguments.  0 after the handshake. */
static inline int
nd_start(struct nd *n, const char *a1, const char *a2)
{
	const char	*extra[] = { a1, a1 != NULL ? a2 : NULL, NULL };

	return nd_start_fds(n, extra, NULL, 0);
}

/* Close the channel (netd exits); its wait status, -1 if it hangs. */
static inline int
nd_stop(struct nd *n)
{
	int	status = -1, i;

	if (n->c.fd != -1)
		chan_free(&n->c);
	if (n->pid <= 0)
		return 0;
	for (i = 0; i < 500; i++) {
		if (waitpid(n->pid, &status, WNOHANG) == n->pid) {
			n->pid = 0;
			return status;
		}
		txt_sleep_ms(10);
	}
	kill(n->pid, SIGKILL);
	waitpid(n->pid, NULL, 0);
	n->pid = 0;
	return -1;
}

static inline void
nd_cleanup(struct nd *n)
{
	char	cmd[128];

	nd_stop(n);
	if (n->dir[0] != '\0' && getenv("IT_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", n->dir);
		(void)!system(cmd);
	}
}

/* 1 if netd's log holds s. */
static inline int
nd_log_has(const struct nd *n, const char *s)
{
	size_t	 len;
	char	*buf = it_slurp(n->log, &len);
	int	 r = buf != NULL && strstr(buf, s) != NULL;

	free(buf);
	return r;
}

/* Next message within ND_WAIT_MS; fails the test otherwise. */
static inline void
nd_recv(struct nd *n, struct msg *m)
{
	struct pollfd	pfd = { n->c.fd, POLLIN, 0 };
	int64_t		start = txt_ms();
	int		r;

	for (;;) {
		if ((r = chan_next(&n->c, m)) == 0)
			return;
		assert_int_equal(r, CV_ERR_AGAIN);
		assert_true(txt_ms() - start < ND_WAIT_MS);
		if (poll(&pfd, 1, 1000) > 0)
			assert_int_equal(chan_fill(&n->c), 0);
	}
}

/*
 * A bearer step (Omnia): the token request's body, {"keyId", "<secret
 * field>"} of the vault's key, sealed to the one-time key netd sent as
 * the body to sign, as signerd makes it; any other step: no header, no
 * box.
 */
static inline void
nd_sign_bearer(struct nd *n, struct ndvault *v, uint32_t id,
    const uint8_t *pk, size_t pklen)
{
	struct msg_w	w;
	char		tok[512];
	uint8_t		box[sizeof(tok) + crypto_box_SEALBYTES];
	size_t		len = 0;

	if (strcmp(v->path, "/v3/auth/token") == 0) {
		assert_int_equal(pklen, crypto_box_PUBLICKEYBYTES);
		len = (size_t)snprintf(tok, sizeof(tok), "{\"keyId\":\"%s\","
		    "\"%s\":\"%s\"}", v->key, v->prof->token_secret_field,
		    v->secret);
		assert_true(len < sizeof(tok));
		assert_int_equal(crypto_box_seal(box, (uint8_t *)tok, len, pk),
		    0);
		len += crypto_box_SEALBYTES;
		sodium_memzero(tok, sizeof(tok));
	}
	msg_begin(&w, MSG_NET_SIGN_ANS, id);
	msg_put_array(&w, 0);
	msg_put_bin(&w, box, len);
	assert_int_equal(chan_send(&n->c, &w), 0);
}

/* Sign what netd asks, as vaultd's gate and signerd would. */
static inline void
nd_sign(struct nd *n, struct ndvault *v, uint32_t call_id, struct msg *m)
{
	struct sign_req		 req;
	struct sign_headers	 h;
	struct msg_w		 w;
	const char		*path;
	const uint8_t		*body;
	uint8_t			 key[CLOB_HMAC_KEY_MAX];
	size_t			 plen, blen, klen, i;
	uint64_t		 cid;
	char			 ts[24];
	int			 r;

	memset(&h, 0, sizeof(h));
	assert_int_equal(msg_get_u64(&m->rd, &cid), 0);
	assert_int_equal(cid, call_id);
	assert_int_equal(msg_get_u64(&m->rd, &v->level), 0);
	assert_int_equal(msg_get_strbuf(&m->rd, v->method,
	    sizeof(v->method)), 0);
	assert_int_equal(msg_get_str(&m->rd, &path, &plen, 1000), 0);
	assert_int_equal(msg_get_bin(&m->rd, &body, &blen, 1000), 0);
	assert_int_equal(msg_get_u64(&m->rd, &v->nonce), 0);
	memcpy(v->path, path, plen);
	v->path[plen] = '\0';
	memcpy(v->body, body, blen);
	v->body[blen] = '\0';
	v->signs++;
	snprintf(ts, sizeof(ts), "%lld", (long long)txt_now());
	memset(&req, 0, sizeof(req));
	req.account = "acct";
	req.level = (enum catalog_auth)v->level;
	req.method = v->method;
	req.path = v->path;
	req.pathlen = plen;
	req.body = blen > 0 ? (const uint8_t *)v->body : NULL;
	req.bodylen = blen;
	req.timestamp = ts;
	req.nonce = v->nonce;
	/* netd asks only for canonical requests of the catalog. */
	assert_int_equal(sign_req_check(&req, txt_now(), 30), 0);
	if (req.level == CATALOG_BEARER) {
		nd_sign_bearer(n, v, m->id, body, blen);
		return;
	}
	if (v->refuse) {
		assert_int_equal(msg_error_ans(&n->c, m->id, CV_ERR_LOCKED,
		    "the vault is locked: vaultctl unlock"), 0);
		assert_int_equal(chan_flush(&n->c), 0);
		return;
	}
	if (req.level == CATALOG_L1)
		r = sign_l1_wallet(txt_secp, &v->w, v->prof, &req,
		    v->invite[0] != '\0' ? v->invite : NULL, &h);
	else {
		assert_int_equal(clob_hmac_key_decode(v->secret, key,
		    sizeof(key), &klen), 0);
		r = sign_l2(v->prof, v->w.addr_text, v->key, key, klen,
		    v->pass, &req, &h);
		if (r == 0 && v->builder) {
			assert_int_equal(clob_hmac_key_decode(v->bsecret, key,
			    sizeof(key), &klen), 0);
			r = sign_builder(v->prof, v->bkey, key, klen, v->bpass,
			    &req, &h);
		}
		sodium_memzero(key, sizeof(key));
	}
	assert_int_equal(r, 0);
	msg_begin(&w, MSG_NET_SIGN_ANS, m->id);
	msg_put_array(&w, (uint32_t)h.n);
	for (i = 0; i < h.n; i++) {
		msg_put_array(&w, 2);
		msg_put_str(&w, h.h[i].name);
		msg_put_str(&w, h.h[i].value);
	}
	msg_put_bin(&w, "", 0);		/* no sealed token body */
	sign_headers_clear(&h);
	assert_int_equal(chan_send(&n->c, &w), 0);
}

/* Open a STORE answer's box into the vault, as signerd would. */
static inline void
nd_open_box(struct ndvault *v, struct ndans *a, const uint8_t *box)
{
	uint8_t	pt[1024];
	size_t	len, kl, sl;
	char	*k, *s, *p;

	assert_true(a->boxlen > crypto_box_SEALBYTES &&
	    a->boxlen - crypto_box_SEALBYTES < sizeof(pt));
	len = a->boxlen - crypto_box_SEALBYTES;
	assert_int_equal(crypto_box_seal_open(pt, box, a->boxlen, v->box_pk,
	    v->box_sk), 0);
	/* "key NUL secret NUL passphrase", no trailing NUL */
	assert_non_null(memchr(pt, 0, len));
	k = (char *)pt;
	kl = strlen(k);
	s = k + kl + 1;
	assert_true(kl + 1 < len && memchr(s, 0, len - kl - 1) != NULL);
	sl = strlen(s);
	p = s + sl + 1;
	/* an Omnia key's third part, its permissions, may be empty */
	assert_true(kl + sl + 2 < len || (v->prof->auth ==
	    PROFILE_AUTH_BEARER && kl + sl + 2 == len));
	assert_null(memchr(p, 0, len - kl - sl - 2));
	assert_string_equal(k, a->keyid);
	if (a->rectype == VAULT_REC_API_CRED) {
		snprintf(v->key, sizeof(v->key), "%s", k);
		snprintf(v->secret, sizeof(v->secret), "%s", s);
		snprintf(v->pass, sizeof(v->pass), "%.*s",
		    (int)(len - kl - sl - 2), p);
		ndvault_secret(v, v->secret);
		ndvault_secret(v, v->pass);
	} else {
		snprintf(v->bkey, sizeof(v->bkey), "%s", k);
		snprintf(v->bsecret, sizeof(v->bsecret), "%s", s);
		snprintf(v->bpass, sizeof(v->bpass), "%.*s",
		    (int)(len - kl - sl - 2), p);
		ndvault_secret(v, v->bsecret);
		ndvault_secret(v, v->bpass);
	}
	sodium_memzero(pt, sizeof(pt));
}

/* Send MSG_NET_CALL_REQ with id; params is name, value, ..., NULL. */
static inline void
nd_send_call(struct nd *n, struct ndvault *v, uint32_t id, const char *url,
    const char *ca, size_t calen, const char *pin, const char *call,
    const char *const *params)
{
	struct msg_w	w;
	size_t		np = 0, i;

	while (params != NULL && params[2 * np] != NULL)
		np++;
	msg_begin(&w, MSG_NET_CALL_REQ, id);
	msg_put_str(&w, "acct");
	msg_put_str(&w, v->prof->name);
	msg_put_str(&w, url);
	msg_put_bin(&w, ca, calen);
	msg_put_str(&w, pin != NULL ? pin : "");
	msg_put_str(&w, call);
	msg_put_array(&w, (uint32_t)np);
	for (i = 0; i < np; i++) {
		msg_put_array(&w, 2);
		msg_put_str(&w, params[2 * i]);
		msg_put_str(&w, params[2 * i + 1]);
	}
	msg_put_bin(&w, v->box_pk, sizeof(v->box_pk));
	msg_put_u64(&w, v->call_ms != 0 ? v->call_ms : 120000);
	assert_int_equal(chan_send(&n->c, &w), 0);
}

/* Read the answer to call id into a, signing whatever netd asks. */
static inline void
nd_wait_answer(struct nd *n, struct ndvault *v, uint32_t id,
    struct ndans *a)
{
	struct msg	 m;
	const char	*s;
	const uint8_t	*box = NULL;
	uint8_t		 boxcopy[4096];
	size_t		 len;
	int64_t		 code, start = txt_ms();
	int		 signs = v->signs;

	for (;;) {
		nd_recv(n, &m);
		if (m.type == MSG_NET_SIGN_REQ) {
			nd_sign(n, v, id, &m);
			msg_clear(&m);
			continue;
		}
		break;
	}
	memset(a, 0, sizeof(*a));
	a->signs = v->signs - signs;
	a->ms = txt_ms() - start;
	assert_int_equal(m.id, id);
	if (m.type == MSG_ERROR_ANS) {
		assert_int_equal(msg_get_i64(&m.rd, &code), 0);
		assert_int_equal(msg_get_str(&m.rd, &s, &len, 511), 0);
		a->err = (int)code;
		snprintf(a->text, sizeof(a->text), "%.*s", (int)len, s);
		msg_clear(&m);
		return;
	}
	assert_int_equal(m.type, MSG_NET_CALL_ANS);
	assert_int_equal(msg_get_u64(&m.rd, &a->status), 0);
	assert_int_equal(msg_get_str(&m.rd, &s, &len, 512 * 1024), 0);
	a->raw = strndup(s, len);
	assert_non_null(a->raw);
	a->result = json_loads(a->raw, JSON_DECODE_ANY, NULL);
	assert_non_null(a->result);
	assert_int_equal(msg_get_u64(&m.rd, &a->effect), 0);
	assert_int_equal(msg_get_u64(&m.rd, &a->rectype), 0);
	assert_int_equal(msg_get_strbuf(&m.rd, a->keyid, sizeof(a->keyid)),
	    0);
	assert_int_equal(msg_get_u64(&m.rd, &a->nonce), 0);
	assert_int_equal(msg_get_bin(&m.rd, &box, &a->boxlen, 4096), 0);
	assert_int_equal(msg_rd_done(&m.rd), 0);
	memcpy(boxcopy, box, a->boxlen);
	msg_clear(&m);
	if (a->effect & NETCALL_STORE)
		nd_open_box(v, a, boxcopy);
	else
		assert_int_equal(a->boxlen, 0);
	if (a->effect & NETCALL_INVITE_USED)
		v->invite[0] = '\0';
}

/* One whole call. */
static inline void
nd_call_ca(struct nd *n, struct ndvault *v, const char *url, const char *ca,
    size_t calen, const char *pin, const char *call,
    const char *const *params, struct ndans *a)
{
	uint32_t	id = ++n->next;

	nd_send_call(n, v, id, url, ca, calen, pin, call, params);
	nd_wait_answer(n, v, id, a);
}

static inline void
nd_call(struct nd *n, struct ndvault *v, const char *url, const char *call,
    const char *const *params, struct ndans *a)
{
	nd_call_ca(n, v, url, NULL, 0, NULL, call, params, a);
}

/* The string field of the result, "" if absent. */
static inline const char *
nd_str(const struct ndans *a, const char *field)
{
	const char	*s = json_string_value(json_object_get(a->result,
	    field));

	return s != NULL ? s : "";
}

/* Assert an HTTP answer with no effect: status, error text, hint. */
static inline void
nd_expect_refusal(const struct ndans *a, uint64_t status, const char *err,
    const char *hint_has)
{
	if (a->err != 0 || a->status != status)
		fprintf(stderr, "got err %d (%s), status %llu %s\n", a->err,
		    a->text, (unsigned long long)a->status,
		    a->raw ? a->raw : "");
	assert_int_equal(a->err, 0);
	assert_int_equal(a->status, status);
	assert_string_equal(nd_str(a, "error"), err);
	assert_int_equal(a->effect, 0);
	if (hint_has == NULL)
		assert_null(json_object_get(a->result, "hint"));
	else if (strstr(nd_str(a, "hint"), hint_has) == NULL) {
		fprintf(stderr, "hint: %s\n", nd_str(a, "hint"));
		fail();
	}
}

/* Assert an MSG_ERROR_ANS with code and text containing has. */
static inline void
nd_expect_error(const struct ndans *a, int code, const char *has)
{
	if (a->err != code || strstr(a->text, has) == NULL)
		fprintf(stderr, "got err %d (%s), status %llu %s\n", a->err,
		    a->text, (unsigned long long)a->status,
		    a->raw ? a->raw : "");
	assert_int_equal(a->err, code);
	assert_non_null(strstr(a->text, has));
}

/* No answer text holds a secret the vault has seen. */
static inline void
nd_no_secret(const struct ndvault *v, const struct ndans *a)
{
	size_t	i;

	for (i = 0; i < v->nsecrets; i++) {
		assert_null(strstr(a->text, v->secrets[i]));
		if (a->raw != NULL)
			assert_null(strstr(a->raw, v->secrets[i]));
	}
}

/* Send a probe that must kill netd; its wait status. */
static inline int
nd_probe_kill(struct nd *n, const char *kind)
{
	struct msg_w	w;
	int		status;

	msg_begin(&w, MSG_PROBE_REQ, ++n->next);
	msg_put_str(&w, kind);
	assert_int_equal(chan_send(&n->c, &w), 0);
	assert_int_equal(waitpid(n->pid, &status, 0), n->pid);
	n->pid = 0;
	return status;
}

/* Probe netd; the answer's code (0: MSG_PROBE_ANS) and text. */
static inline int
nd_probe(struct nd *n, const char *kind, char *text, size_t len)
{
	struct msg_w	 w;
	struct msg	 m;
	const char	*s;
	size_t		 sl;
	int64_t		 code = 0;

	msg_begin(&w, MSG_PROBE_REQ, ++n->next);
	msg_put_str(&w, kind);
	assert_int_equal(chan_send(&n->c, &w), 0);
	nd_recv(n, &m);
	assert_int_equal(m.id, n->next);
	if (m.type == MSG_ERROR_ANS) {
		assert_int_equal(msg_get_i64(&m.rd, &code), 0);
		assert_int_equal(msg_get_str(&m.rd, &s, &sl, 511), 0);
		snprintf(text, len, "%.*s", (int)sl, s);
	} else {
		assert_int_equal(m.type, MSG_PROBE_ANS);
		text[0] = '\0';
	}
	msg_clear(&m);
	return (int)code;
}

/* Occurrences of s in the exchange's request log. */
static inline int
nd_txlog_count(const struct txt *t, const char *s)
{
	size_t	 len;
	char	*buf = it_slurp(t->log, &len), *p;
	int	 n = 0;

	for (p = buf; p != NULL && (p = strstr(p, s)) != NULL; p++)
		n++;
	free(buf);
	return n;
}


/* The test exchange's admin endpoint: POST path body, 200 required. */
static inline void
nd_admin(struct txt *t, const char *path, const char *body)
{
	struct txr	r;

	if (txt_admin(t, "POST", path, body, &r) != 200)
		fprintf(stderr, "admin %s: %ld %s\n", path, r.status,
		    r.body ? r.body : "");
	assert_int_equal(r.status, 200);
	txr_free(&r);
}

/* A test program's group set-up and tear-down: libsodium, libcurl. */
static inline int
nd_group_setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	curl_global_init(CURL_GLOBAL_ALL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static inline int
nd_group_teardown(void **state)
{
	(void)state;
	secp_ctx_free(txt_secp);
	curl_global_cleanup();
	return 0;
}

#endif
