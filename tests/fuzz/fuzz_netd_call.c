/*
 * Fuzz netd's calls to the exchange (netd/netd_calls.c, netd_answer.c)
 * with the exchange played by the input and vaultd and libcurl by the
 * target.  The first byte picks the call (a CLOB or an Omnia one); each
 * request the call makes is then answered by the next record of the
 * input, which starts with a byte K:
 *
 *	K even, C S	a transport failure: libcurl's code C, S odd if the
 *			request may have gone out
 *	K odd, Hs Ls R L1 L0 body
 *			an answer: status Hs * 256 + Ls, Retry-After R (255:
 *			none), a body of L1 * 256 + L0 bytes
 *
 * Signed steps get the profile's headers with a known passphrase and
 * invitation code, the Omnia token request a body sealed to netd's key.
 * What netd sends vaultd must decode, and no refusal may quote a
 * secret the refused request carried (8 bytes of it in a row).  Any
 * disagreement aborts.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netd/netd_answer.c"
#include "netd/netd_bearer.c"
#include "netd/netd_calls.c"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* the secrets netd sends: no run of 8 bytes of them in netd's words */
#define PASS		"Pz8qK1wXv7rTn5yMb3s"
#define INVITE		"Q7xZk9vRwLm2PdG4"
#define SECRET		"Hf6Ys2TjNc0WqE8uLa"

static struct netd	 nd;
static int		 ready;
static int64_t		 now_ms = 1;
static int		 http_pending;
static const char	*tok_sent;	/* the bearer token netd sent */
static int		 pass_sent, invite_sent, secret_sent;
static char		 tok_copy[NETD_TOKEN_MAX + 1];

/* libcurl's part: the request is checked and held. */
int
http_start(struct netd_http *h, const struct http_req *rq)
{
	size_t	i, j;

	if (http_pending || rq->method == NULL || rq->url == NULL)
		abort();
	tok_sent = NULL;
	for (i = 0; rq->hdrs[i] != NULL; i++) {
		for (j = 0; rq->hdrs[i][j] != '\0'; j++)
			if (rq->hdrs[i][j] < 0x20 || rq->hdrs[i][j] > 0x7e)
				abort();
		if (strncmp(rq->hdrs[i], "Authorization: Bearer ", 22) == 0) {
			snprintf(tok_copy, sizeof(tok_copy), "%s",
			    rq->hdrs[i] + 22);
			tok_sent = tok_copy;
		}
	}
	http_pending = 1;
	return 0;
}

const struct http_res *
http_run(struct netd_http *h)
{
	return NULL;
}

void
http_clear(struct netd_http *h)
{
	http_pending = 0;
}

int64_t
netd_now_ms(void)
{
	return now_ms;
}

int64_t
netd_time(void)
{
	return 1700000000;
}

/* A message as netd reads it from its channel. */
static void
deliver(struct msg_w *w, void (*fn)(struct netd *, struct msg *))
{
	struct chan	c;
	struct msg	m;

	chan_init(&c, -1);
	if (msg_finish(w) != 0 || msgbuf_add(&c.in, w->buf.data,
	    w->buf.len) != 0 || chan_next(&c, &m) != 0)
		abort();
	msg_w_free(w);
	fn(&nd, &m);
	msg_clear(&m);
	chan_free(&c);
}

static void
put_hdr(struct msg_w *w, const char *prefix, const char *name,
    const char *value)
{
	char	n[NETD_HDR_NAME_MAX + 1];

	snprintf(n, sizeof(n), "%s%s", prefix, name);
	msg_put_array(w, 2);
	msg_put_str(w, n);
	msg_put_str(w, value);
}

/* vaultd's MSG_NET_SIGN_ANS to the signing request netd sent. */
static void
sign_answer(void)
{
	struct netd_call	*cl = nd.call;
	const struct catalog_entry *e = step_ep(cl->step);
	const char		*p = cl->prof->hdr_prefix;
	struct msg_w		 w;
	uint8_t			 box[256];
	char			 body[128];
	size_t			 blen;

	/* what the request being answered carries */
	pass_sent = invite_sent = secret_sent = 0;
	msg_begin(&w, MSG_NET_SIGN_ANS, cl->sign_id);
	if (cl->bearer) {
		msg_put_array(&w, 0);
		if (cl->step == ST_OTOKEN) {
			blen = (size_t)snprintf(body, sizeof(body),
			    "{\"keyId\":\"%s\",\"secret\":\"%s\"}",
			    call_param(cl, "key") != NULL ?
			    call_param(cl, "key") : "key-1", SECRET);
			crypto_box_seal(box, (const uint8_t *)body, blen,
			    cl->eph_pk);
			secret_sent = 1;
			msg_put_bin(&w, box, blen + crypto_box_SEALBYTES);
		} else
			msg_put_bin(&w, NULL, 0);
	} else {
		msg_put_array(&w, 5);
		put_hdr(&w, p, "ADDRESS",
		    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
		put_hdr(&w, p, "SIGNATURE", "c2lnbmF0dXJl");
		put_hdr(&w, p, "TIMESTAMP", "1700000000");
		if (e->auth == CATALOG_L1) {
			put_hdr(&w, p, "NONCE", "0");
			put_hdr(&w, p, "INVITATION_CODE", INVITE);
			invite_sent = 1;
		} else {
			put_hdr(&w, p, "API_KEY", "key-1");
			put_hdr(&w, p, "PASSPHRASE", PASS);
			pass_sent = 1;
		}
		msg_put_bin(&w, NULL, 0);
	}
	deliver(&w, call_sign_ans);
}

/* Whether text quotes 8 bytes in a row of a secret netd sent. */
static int
quotes_one(const char *text, size_t len, const char *secret)
{
	size_t	n = strlen(secret), i;

	for (i = 0; i + 8 <= n; i++)
		if (memmem(text, len, secret + i, 8) != NULL)
			return 1;
	return 0;
}

static int
quotes(const char *text, size_t len)
{
	return (pass_sent && quotes_one(text, len, PASS)) ||
	    (invite_sent && quotes_one(text, len, INVITE)) ||
	    (secret_sent && quotes_one(text, len, SECRET)) ||
	    (tok_sent != NULL && quotes_one(text, len, tok_sent));
}

/* What netd sent vaultd: every frame decodes, no refusal quotes. */
static void
check_out(void)
{
	struct chan	 c;
	struct msg	 m;
	const char	*s;
	const uint8_t	*b;
	size_t		 len;
	uint64_t	 status, u;
	int64_t		 code;
	json_t		*j;
	int		 r;

	chan_init(&c, -1);
	if (msgbuf_add(&c.in, nd.chan.out.data, nd.chan.out.len) != 0)
		abort();
	while ((r = chan_next(&c, &m)) != CV_ERR_AGAIN) {
		if (r != 0)
			abort();
		switch (m.type) {
		case MSG_NET_SIGN_REQ:
			break;
		case MSG_ERROR_ANS:
			if (msg_get_i64(&m.rd, &code) != 0 || code >= 0 ||
			    msg_get_str(&m.rd, &s, &len, MSG_MAX_STR) != 0 ||
			    len > NETD_ERR_MAX || quotes(s, len))
				abort();
			break;
		case MSG_NET_CALL_ANS:
			if (msg_get_u64(&m.rd, &status) != 0 ||
			    msg_get_str(&m.rd, &s, &len, 524288) != 0 ||
			    (j = json_loadb(s, len, JSON_DECODE_ANY,
			    NULL)) == NULL)
				abort();
			json_decref(j);
			if ((status < 200 || status > 299) && quotes(s, len))
				abort();
			if (msg_get_u64(&m.rd, &u) != 0 ||
			    msg_get_u64(&m.rd, &u) != 0 ||
			    msg_get_str(&m.rd, &s, &len, 64) != 0 ||
			    msg_get_u64(&m.rd, &u) != 0 ||
			    msg_get_bin(&m.rd, &b, &len, 4096) != 0)
				abort();
			break;
		default:
			abort();
		}
		msg_clear(&m);
	}
	chan_free(&c);
}

/* The calls, as vaultd asks for them. */
static const struct {
	const char	*profile, *call, *params[3][2];
} calls[] = {
	{ "polymarket", "apikey.create-or-derive", { { "nonce", "7" } } },
	{ "openfish", "apikey.create", { { "nonce", "0" } } },
	{ "polymarket", "apikey.list", { { NULL } } },
	{ "polymarket", "apikey.delete", { { "key", "key-1" } } },
	{ "polymarket", "closed-only", { { NULL } } },
	{ "polymarket", "builder.create", { { "builder_id", "b-1" } } },
	{ "polymarket", "builder.list", { { NULL } } },
	{ "polymarket", "builder.revoke", { { "key", "bk-1" } } },
	{ "polymarket", "balance", { { "asset_type", "CONDITIONAL" },
	    { "token_id", "123" }, { "signature_type", "1" } } },
	{ "openfish", "notifications.list", { { NULL } } },
	{ "openfish", "notifications.drop", { { "ids", "1,2" } } },
	{ "openfish", "waitlist.join", { { "email", "a@b.c" } } },
	{ "polymarket", "time", { { NULL } } },
	{ "omnia", "apikey.list", { { NULL } } },
	{ "omnia", "apikey.create", { { "label", "bot" },
	    { "permissions", "read,trade" } } },
	{ "omnia", "apikey.rotate", { { "key", "key-1" } } },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t	 boxpk[BOX_PK_LEN] = { 9 };
	struct msg_w		 w;
	struct http_res		 res;
	size_t			 off = 1, i, n, blen;
	uint8_t			*body;
	int			 c, rounds, devnull;

	if (!ready) {
		if (netd_mem_init() != 0 || sodium_init() < 0)
			abort();
		ready = 1;
		log_init("fuzz", 0);
		/* netd's log says what happened to each input: not here */
		if ((devnull = open("/dev/null", O_WRONLY)) == -1)
			abort();
		log_to_fd(devnull, 1);
		chan_init(&nd.chan, -1);
		nd.timeout = 10;
		nd.connect_timeout = 5;
	}
	if (size == 0)
		return 0;
	c = data[0] % (sizeof(calls) / sizeof(calls[0]));
	for (n = 0; n < 3 && calls[c].params[n][0] != NULL; n++)
		;
	msg_begin(&w, MSG_NET_CALL_REQ, 1);
	msg_put_str(&w, "main");
	msg_put_str(&w, calls[c].profile);
	msg_put_str(&w, "https://127.0.0.1:9443/api");
	msg_put_bin(&w, NULL, 0);
	msg_put_str(&w, "");
	msg_put_str(&w, calls[c].call);
	msg_put_array(&w, (uint32_t)n);
	for (i = 0; i < n; i++) {
		msg_put_array(&w, 2);
		msg_put_str(&w, calls[c].params[i][0]);
		msg_put_str(&w, calls[c].params[i][1]);
	}
	msg_put_bin(&w, boxpk, sizeof(boxpk));
	msg_put_u64(&w, 120000);		/* the call's time, ms */
	deliver(&w, call_req);

	for (rounds = 0; nd.call != NULL && rounds < 64; rounds++) {
		switch (nd.call->wait) {
		case W_SIGN:
			sign_answer();
			continue;
		case W_TIMER:
			now_ms += 10000;
			call_run(&nd);
			continue;
		case W_HTTP:
			break;
		default:
			abort();
		}
		if (!http_pending)
			abort();
		if (off >= size)
			break;
		memset(&res, 0, sizeof(res));
		res.retry_after = -1;
		res.connected = 1;
		body = NULL;
		if ((data[off++] & 1) == 0) {
			res.curlcode = off < size ? data[off++] : 7;
			if (res.curlcode == CURLE_OK)
				res.curlcode = CURLE_RECV_ERROR;
			res.sent = off < size ? data[off++] & 1 : 1;
			snprintf(res.errbuf, sizeof(res.errbuf), "fuzz");
		} else {
			if (size - off < 5)
				break;
			res.status = data[off] * 256 + data[off + 1];
			res.retry_after = data[off + 2] == 255 ? -1 :
			    data[off + 2];
			blen = data[off + 3] * 256 + data[off + 4];
			off += 5;
			if (blen > size - off)
				blen = size - off;
			/* the body as netd_http.c keeps it: NUL after it */
			if ((body = malloc(blen + 1)) == NULL)
				abort();
			memcpy(body, data + off, blen);
			body[blen] = '\0';
			off += blen;
			res.body = body;
			res.len = blen;
			snprintf(res.statusline, sizeof(res.statusline),
			    "%ld Fuzz", res.status);
		}
		http_pending = 0;
		call_done(&nd, &res);
		free(body);
	}
	if (nd.call != NULL)
		call_end(&nd);
	check_out();
	chan_free(&nd.chan);
	chan_init(&nd.chan, -1);
	token_forget(&nd, "", "");
	memset(nd.fresh, 0, sizeof(nd.fresh));
	tok_sent = NULL;
	pass_sent = invite_sent = secret_sent = 0;
	http_pending = 0;
	return 0;
}
