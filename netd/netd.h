/*
 * netd's parts: the event loop and its channel to vaultd (netd.c), the
 * HTTPS client over libcurl's multi interface (netd_http.c), the
 * exchange calls and their state machine (netd_calls.c, with
 * netd_call.h), what the exchange's answers mean (netd_answer.c), the
 * parsing of those answers (netd_parse.c), the wiping allocator
 * libcurl and jansson use (netd_mem.c), and the gateway (netd_gw.c,
 * netd_gw_req.c, netd_gw_up.c, netd_negrisk.c, with netd_gw.h).
 *
 * One call is in flight at a time.  A signed request costs a round trip
 * to vaultd (MSG_NET_SIGN_REQ) for its headers; while netd waits for
 * those or for the exchange it keeps answering vaultd's status queries.
 *
 * The gateway adds many requests in flight at once, beside the call:
 * with -G, netd serves HTTP on the listening sockets vaultd passed, to
 * trading bots for which it is the exchange.  Each bot request is one
 * MSG_GW_REQ to vaultd, which decides and signs, answered by MSG_GW_ANS
 * (or MSG_ERROR_ANS); netd then sends it to the exchange on a libcurl
 * multi handle of the gateway's own and passes the answer back.  Up to
 * NETD_GW_WAIT_MAX wait on vaultd at once, each under its own message
 * id; the same single poll serves the channel, the call, the bots and
 * the gateway's transfers.
 */
#ifndef NETD_H
#define NETD_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/child.h"
#include "common/cv_err.h"
#include "common/msg.h"
#include "common/netcall.h"
#include "common/profile.h"

#define NETD_CONNECT_TIMEOUT	5		/* seconds to connect */
#define NETD_TIMEOUT		20		/* seconds for one request */
#define NETD_BODY_MAX		(256 * 1024)	/* answer bytes accepted */
#define NETD_BODY_START		(16 * 1024)	/* answer buffer at first */
#define NETD_HDRS_MAX		(64 * 1024)	/* header bytes of an answer,
						   interim answers included */
#define NETD_CA_MAX		(1024 * 1024)	/* CA PEM bytes */
#define NETD_URL_MAX		512		/* base URL */
#define NETD_PIN_MAX		1024
#define NETD_PATH_MAX		1024		/* path and query */
#define NETD_REQBODY_MAX	1024		/* bodies we send */
#define NETD_RETRIES		3		/* idempotent calls only */
#define NETD_CALL_MAX_MS	(10000LL * 1000)	/* a call's time, at most */
#define NETD_CALL_MARGIN_MS	2000		/* ended this long before
						   vaultd's deadline, at most */
#define NETD_BACKOFF_MS		250		/* first retry, then doubled */
#define NETD_BACKOFF_MAX_MS	2000
#define NETD_RETRY_AFTER_MAX	5		/* seconds of Retry-After */
#define NETD_FRESH_MS		(120 * 1000)	/* a new key may 401 ... */
#define NETD_PROPAGATION_MS	(15 * 1000)	/* ... retried this long */
#define NETD_SKEW_MAX		10		/* seconds of clock skew */
#define NETD_HDR_MAX		16		/* signed headers */
#define NETD_HDR_NAME_MAX	64
#define NETD_HDR_VALUE_MAX	512
#define NETD_TEXT_MAX		1024		/* texts being put together */
#define NETD_ERR_MAX		511		/* an error text sent */
#define NETD_RESULT_MAX		(512 * 1024)	/* a result JSON sent */
#define NETD_EXCH_TEXT_MAX	200		/* exchange's error text */
#define NETD_SYSTEM_CA		"/etc/ssl/certs/ca-certificates.crt"
#define NETD_CA_CACHE		(24 * 3600)	/* seconds libcurl keeps the
						   system bundle parsed */

#define NETD_TOKENS_MAX		8		/* Omnia bearer tokens kept */
#define NETD_TOKEN_MAX		4096		/* bytes of one */
#define NETD_TOKEN_MARGIN	30		/* seconds before exp, at most */

struct netd_http;
struct netd_call;
struct netd_gw;

/*
 * An Omnia bearer token, per account and key (netd_bearer.c): kept in
 * guarded memory until shortly before its exp, wiped when vaultd says
 * (lock, key removed, rotated or another made active), on a 401 and when
 * the key it came from is rotated.
 */
struct netd_token {
	char	 account[65];
	char	 key_id[65];
	int	 active;		/* minted by the account's active key */
	char	*tok;			/* sodium_malloc, NUL-terminated;
					   NULL: a free slot */
	int64_t	 use_until;		/* netd_time() */
};

/* A key this netd stored lately, per account: its 401s may be early. */
struct netd_fresh {
	char	account[65];
	int64_t	ms;			/* monotonic, when stored */
};

struct netd {
	struct child_opts	 opts;
	struct privsep_state	 ps;
	struct chan		 chan;
	struct netd_http	*http;
	struct netd_call	*call;		/* the one in flight, or NULL */
	struct netd_gw		*gw;		/* with -G, else NULL */
	uint32_t		 next_id;	/* of our MSG_NET_SIGN_REQs and
						   MSG_GW_*REQs */
	struct pollfd		*pfd;		/* the loop's poll set */
	size_t			 pfdcap;
	int			 timeout;	/* seconds */
	int			 connect_timeout;
	struct netd_fresh	 fresh[8];
	struct netd_token	 tokens[NETD_TOKENS_MAX];
};

/* Micro- and milliseconds on the monotonic clock; seconds of the real one. */
int64_t	netd_now_us(void);
int64_t	netd_now_ms(void);
int64_t	netd_time(void);

/*
 * netd_mem.c: route libcurl's, OpenSSL's and jansson's allocations
 * through functions that wipe every block they free (response bodies
 * and headers carry a passphrase or a new credential).  Before any
 * other use of the three; calls curl_global_init.  0 or
 * CV_ERR_INTERNAL (OpenSSL had allocated already, or libcurl failed).
 */
int	netd_mem_init(void) CV_WUR;
/* Free (and wipe) what jansson's json_dumps or libcurl returned. */
void	netd_mem_free(void *);
/* Blocks netd_mem_free wipes; realloc wipes the block it leaves. */
void	*netd_mem_malloc(size_t);
void	*netd_mem_realloc(void *, size_t);
/* The size a block of netd_mem_malloc or _realloc was made with. */
size_t	 netd_mem_size(const void *);

/* The answer to one HTTP request, as netd_http.c collects it. */
struct http_res {
	int		 curlcode;	/* CURLE_OK when an answer came */
	long		 status;	/* HTTP status, 0 if none */
	char		 statusline[96];	/* "404 Not Found", printable */
	int		 retry_after;	/* seconds, -1 if none */
	int		 too_big;	/* body over NETD_BODY_MAX */
	int		 hdrs_too_big;	/* headers over NETD_HDRS_MAX */
	int		 connected;	/* a connection was made */
	int		 sent;		/* the request may have gone out */
	long		 os_errno;
	char		 errbuf[256];	/* curl's error text, printable */
	const uint8_t	*body;		/* guarded, NUL-terminated */
	size_t		 len;
};

/* One request, every pointer borrowed until http_clear. */
struct http_req {
	const char	*method;	/* GET POST DELETE */
	const char	*url;		/* base + path?query */
	const uint8_t	*body;		/* NULL: none */
	size_t		 bodylen;
	const char	*const *hdrs;	/* "Name: value", NULL-terminated */
	const uint8_t	*ca;		/* PEM; NULL: the system bundle */
	size_t		 calen;
	const char	*pin;		/* "" or "sha256//..." */
	int64_t		 timeout_ms;
	int64_t		 connect_timeout_ms;
};

/* netd_http.c.  Set up before the sandbox; one transfer at a time. */
int	http_init(struct netd_http **) CV_WUR;
/*
 * The TLS of easy's next connection: verified with the PEM ca (borrowed
 * until the transfer is over), or with the system bundle if ca is NULL,
 * which libcurl reads once and keeps parsed; each record's plaintext
 * wiped as soon as libcurl has read it.  0 or CV_ERR_INTERNAL.
 */
int	http_tls(CURL *easy, const uint8_t *ca, size_t calen) CV_WUR;
/* Start req; CV_ERR_INTERNAL if libcurl refuses an option. */
int	http_start(struct netd_http *, const struct http_req *) CV_WUR;
/* 1 while a transfer is running. */
int	http_busy(const struct netd_http *);
/*
 * The loop's one poll: wait up to timeout_ms for the transfer or for
 * any of fds (the channel, the gateway's sockets), whose revents are
 * set.
 */
void	http_wait(struct netd_http *, struct pollfd *fds, size_t nfds,
	    int timeout_ms);
/* Drive the transfer: the result once it is over, else NULL. */
const struct http_res	*http_run(struct netd_http *);
/* Forget the transfer: wipe the body and the headers given. */
void	http_clear(struct netd_http *);

/*
 * netd_gw.c: the gateway.  gw_init, before the sandbox: check each -G
 * descriptor is a listening stream socket, make it non-blocking, start
 * libmicrohttpd on it and the gateway's libcurl handle; nd->gw stays
 * NULL without -G, and every gw_ function below does nothing then.
 * Fatal on failure.
 */
void	gw_init(struct netd *);
/* The poll set's entries the gateway wants: how many, then into pfd. */
size_t	gw_npollfd(const struct netd *);
void	gw_pollfd(const struct netd *, struct pollfd *);
/* After the poll (pfd as gw_pollfd filled it): serve bots, drive the
 * exchange's transfers, give up on what vaultd left unanswered. */
void	gw_events(struct netd *, const struct pollfd *, size_t n);
/* Milliseconds until gw_events has something to do by the clock; notes
 * when each libmicrohttpd daemon is due, so called before each poll
 * whose gw_events follows. */
int	gw_timeout(struct netd *);
/* 1 if id is one of our MSG_GW_REQ or MSG_GW_INFO_REQ waiting. */
int	gw_owns(const struct netd *, uint32_t id);
/* vaultd's MSG_GW_ANS, MSG_GW_INFO_ANS or MSG_ERROR_ANS to one. */
void	gw_vaultd_ans(struct netd *, struct msg *);
void	gw_vaultd_passed(struct netd *, struct msg *);
/* vaultd closed the channel: answer every bot 503, send, stop. */
void	gw_stop(struct netd *);

/* netd_calls.c: MSG_NET_CALL_REQ, the answers to our sign requests. */
void	call_req(struct netd *, struct msg *);
void	call_sign_ans(struct netd *, struct msg *);
/* Drive the call in flight: HTTP progress, retry timers. */
void	call_run(struct netd *);
/* MSG_NET_FORGET_REQ: wipe the tokens named; answer. */
void	token_forget_req(struct netd *, struct msg *);
/* Wipe the tokens of account's key key_id ("": any; both "": all). */
void	token_forget(struct netd *, const char *account, const char *key_id);
/* Milliseconds until call_run has something to do by the clock. */
int	call_timeout(const struct netd *);

/*
 * netd_parse.c: pure helpers, each tested in tests/test_netd_parse.c.
 */
/* Copy the printable ASCII of in (at most max bytes), '?' for others. */
void	parse_clean(const char *in, size_t inlen, char *out, size_t outlen,
	    size_t max);
/*
 * s as a JSON string, each byte outside printable ASCII a '?', cut to
 * max bytes ("..." at the end of a cut one); NULL if out of memory.
 */
json_t	*parse_clean_string(const char *s, size_t max);
/* A 2xx body as JSON: NULL and a reason in why if it is not. */
json_t	*parse_json(const uint8_t *body, size_t len, int empty_ok,
	    char *why, size_t whylen);
/* The exchange's error text of a non-2xx answer, printable, bounded. */
void	parse_error_text(const uint8_t *body, size_t len,
	    const char *statusline, long status, char *out, size_t outlen);
/* Seconds of a Retry-After value, -1 if it is not delta-seconds. */
int	parse_retry_after(const char *v, size_t len);
/* 0 if pin is "" or a curl public key pin ("sha256//" base64, ';'
 * between several); CV_ERR_INVALID otherwise. */
int	parse_pin(const char *pin) CV_WUR;
/* A canonical decimal uint64 ("0", "17"; no sign, no leading zero). */
int	parse_u64(const char *s, uint64_t *out) CV_WUR;
/*
 * The credential of a create or derive answer: apiKey (or key), secret
 * (base64 or base64url, decodable as an HMAC key), passphrase
 * (printable).  Pointers into j; CV_ERR_RESPONSE and why otherwise.
 */
int	parse_cred(json_t *j, const char **key, const char **secret,
	    const char **pass, char *why, size_t whylen) CV_WUR;
/* A balance as text: a string kept, a number written out; NULL if not. */
json_t	*parse_amount(json_t *v);
/* Normalise a balance-allowance answer; NULL and why if malformed. */
json_t	*parse_balance(json_t *j, char *why, size_t whylen);
/* {"apiKeys": [...]} from either builder list shape; NULL and why. */
json_t	*parse_builder_list(json_t *j, char *why, size_t whylen);
/* The ids of an API key list, as {"apiKeys": [...]}; NULL and why. */
json_t	*parse_key_list(json_t *j, char *why, size_t whylen);
/*
 * The "exp" claim of a JWT (three base64url parts, the middle one a JSON
 * object with an integer exp); nothing else of it is read or trusted.
 * CV_ERR_RESPONSE when tok is not one.
 */
int	parse_jwt_exp(const char *tok, int64_t *exp) CV_WUR;
/* The error code of a refusal ({"code"} or {"error_code"}), printable,
 * into out ("" if none, or if the body names a key twice). */
void	parse_error_code(const uint8_t *body, size_t len, char *out,
	    size_t outlen);
/* The exchange's clock from GET /time; CV_ERR_RESPONSE if none. */
int	parse_time(json_t *j, int64_t *t) CV_WUR;

#endif
