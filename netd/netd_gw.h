/*
 * What the gateway's parts share: the bot side over libmicrohttpd and
 * the conversation with vaultd (netd_gw.c), a bot's request read and
 * checked as it arrives (netd_gw_req.c), the requests to the exchange
 * over a libcurl multi handle of their own (netd_gw_up.c), and the
 * neg-risk facts learnt from the exchange's answers (netd_negrisk.c).
 * Private to netd.
 *
 * A bot request lives from the URI callback of libmicrohttpd to its
 * completion callback:
 *
 *	GS_HEAD		the request line and headers arrived: early
 *			refusals (401, 413, 414) are answered here
 *	GS_BODY		the body comes in, at most NETD_GW_BODY_MAX bytes
 *	GS_VAULTD	MSG_GW_REQ or MSG_GW_INFO_REQ is at vaultd; the
 *			connection is suspended
 *	GS_UP		MSG_GW_ANS came: the exchange is asked; still
 *			suspended
 *	GS_DONE		the answer is made; the connection is resumed and
 *			libmicrohttpd sends it
 */
#ifndef NETD_GW_H
#define NETD_GW_H

#include <poll.h>
#include <stdint.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "common/url.h"
#include "netd/netd.h"

#define NETD_GW_BODY_MAX	65536	/* a bot's request body */
#define NETD_GW_TARGET_MAX	4096	/* its path?query (MSG_GW_REQ: s4096) */
#define NETD_GW_WAIT_MAX	256	/* requests waiting on vaultd */
/*
 * ... of which one client's credentials (its key id and passphrase:
 * gw_who) hold at most this many, requests without credentials
 * (anyone's to send) together at most NETD_GW_WAIT_UNSIGNED, and
 * requests whose credentials vaultd has not said passed signerd's check
 * since netd started (MSG_GW_PASSED; made-up ones, anyone's to send)
 * together at most NETD_GW_WAIT_NEW.  The credentials that passed are
 * remembered by gw_who, one of NETD_GW_PASSED_SLOTS places each (one
 * that collides takes the place; the other is new again), until vaultd
 * refuses them (gw_unpass).
 */
#define NETD_GW_WAIT_CLIENT	32
#define NETD_GW_WAIT_UNSIGNED	64
#define NETD_GW_WAIT_NEW	64
#define NETD_GW_PASSED_SLOTS	1024
#define NETD_GW_CONNS		512	/* bot connections, all sockets */
#define NETD_GW_IDLE		60	/* seconds a bot connection may idle */
/*
 * Deadlines, seconds (all of them -D's in tests): a connection has
 * NETD_GW_IDLE from its start or its last request's end for the next
 * request's line, then NETD_GW_HEAD for its headers and NETD_GW_BODY
 * for its body, or it is closed (gw_deadlines).  An answer the bot has
 * not read in NETD_GW_SLOW counts as no work (gw_conn_evict).
 */
#define NETD_GW_HEAD		20
#define NETD_GW_BODY		60
#define NETD_GW_SLOW		10
#define NETD_GW_SWEEP_MS	250	/* how often the deadlines are seen to */
/*
 * libmicrohttpd's memory per bot connection: the request's line and
 * headers, then the answer's headers (at most NETD_GW_ANSWER_HDRBYTES
 * of the exchange's) beside them; a body streams through in pieces.
 * libmicrohttpd zeroes all of it after every request, so it is no
 * larger than that needs (its own default).
 */
#define NETD_GW_CONN_MEM	(32 * 1024)
/*
 * A request vaultd holds for approvers may wait up to the policy's
 * longest approval-timeout (3600 s); beyond that vaultd is not
 * answering, and the bot gets 504.  netd's -V SECONDS shortens it, for
 * tests (with -T only).
 */
#define NETD_GW_VAULTD_MS	(3900 * 1000)
#define NETD_GW_UP_CONNS	64	/* connections to exchanges */
#define NETD_GW_UP_MAXAGE	50	/* seconds an idle one is reused */
#define NETD_GW_ANSWER_MAX	(4 * 1024 * 1024)	/* an exchange's body */
/*
 * The answers netd holds at once, the exchange's and its own, from the
 * first byte to the last one a bot read: a bot that asks for large
 * answers on many connections and reads none held 4 MB each (764 MB
 * for 200), or 1 MiB each of /metrics.  An exchange's answer's first
 * NETD_GW_ANSWER_SMALL bytes always fit (at most NETD_GW_CONNS of
 * them): an order's answer, far smaller, is never refused for room;
 * nor is netd's own but /metrics (netd_gw.c, gw_answer).
 */
#define NETD_GW_ANSWERS_MAX	(64 * 1024 * 1024)
#define NETD_GW_ANSWER_SMALL	(64 * 1024)
#define NETD_GW_ANSWER_HDRS	64	/* its headers passed on ... */
#define NETD_GW_ANSWER_HDRBYTES	(16 * 1024)	/* ... and their bytes */
#define NETD_GW_CONN_OPTS	512	/* its Connection values' bytes */
#define NETD_GW_CLIENT_HDR_MAX	1024	/* Content-Type, Accept, User-Agent */
#define NETD_GW_STOP_MS		1000	/* to send the last answers */

/* MSG_GW_REQ's bounds of the client's credentials. */
#define GW_KEY_MAX		64
#define GW_PASS_MAX		256
#define GW_TS_MAX		23
#define GW_SIG_MAX		128

enum gw_state { GS_HEAD, GS_BODY, GS_VAULTD, GS_UP, GS_DONE };
enum gw_kind { GK_PROXY, GK_READY, GK_METRICS, GK_LOCAL };

struct gw_req;

/*
 * A bot connection (libmicrohttpd's socket context), so that a new one
 * beyond a socket's share of NETD_GW_CONNS can take the place of one
 * that does no work: no request, one still arriving, or an answer the
 * bot has left unread for NETD_GW_SLOW; and so that a request arriving
 * too slowly is cut off (gw_deadlines).
 */
struct gw_conn {
	struct gw_conn		*prev, *next;
	struct gw_daemon	*d;
	int			 fd;
	int			 closing;	/* shut down by netd */
	uint64_t		 since;		/* gw_daemon's tick at its
						   start, its last request's
						   start or end */
	int64_t			 at_ms;		/* monotonic: its start, its
						   request's line, headers,
						   answer made, or end */
	struct gw_req		*r;		/* its request, or NULL */
};

struct gw_req {
	struct netd_gw		*gw;
	struct gw_req		*prev, *next;
	struct MHD_Connection	*conn;
	struct gw_conn		*gc;		/* its connection's, or NULL */
	enum gw_state		 state;
	enum gw_kind		 kind;
	int			 suspended;
	int64_t			 t0_us;		/* arrival, monotonic */
	int64_t			 due_ms;	/* vaultd's answer by then */
	uint32_t		 id;		/* of our MSG_GW_*REQ */
	uint64_t		 who;		/* gw_who, 0: unsigned */
	char			*target;	/* path?query as sent */
	size_t			 targetlen;
	char			 prefix[65];	/* NAME of a /@NAME prefix */
	char			 method[8];
	uint8_t			*body;		/* netd_mem, or NULL */
	size_t			 len, cap;
	int			 body_over;
	/* The client's credentials, for vaultd to check; wiped. */
	char			 key[GW_KEY_MAX + 1];
	char			 pass[GW_PASS_MAX + 1];
	char			 ts[GW_TS_MAX + 1];
	char			 sig[GW_SIG_MAX + 1];
	/* The client's headers that go on to the exchange, or NULL. */
	char			*ctype, *accept, *agent;

	/* The answer, once made (GS_DONE). */
	unsigned int		 status;
	struct MHD_Response	*resp;

	/* The exchange (netd_gw_up.c). */
	char			 account[65];
	char			 pin[NETD_PIN_MAX + 1];
	CURL			*easy;
	struct curl_slist	*hdrs;
	char			*url;
	uint8_t			*upbody;	/* vaultd's body, or NULL */
	size_t			 upbodylen;
	uint8_t			*ca;		/* vaultd's CA, or NULL */
	size_t			 calen;
	uint8_t			*abody;		/* the answer's body */
	size_t			 alen, acap;
	int			 a_over;	/* over NETD_GW_ANSWER_MAX */
	int			 a_full;	/* NETD_GW_ANSWERS_MAX held */
	char			**ahdr;		/* "name\0value" pairs */
	size_t			 nahdr, ahdrbytes;
	int			 ahdr_over;
	/* The answer's Connection values: more headers not passed on. */
	char			 connopts[NETD_GW_CONN_OPTS + 1];
	size_t			 connoptslen;
	char			 errbuf[CURL_ERROR_SIZE];
	int			 sends;		/* times libcurl began it */
	char			*learn;		/* a token id whose answer
						   tells its neg-risk */
	int			 learn_book;	/* from /book, else /neg-risk */
};

/* A request of ours vaultd has not answered; r NULL: given up on. */
struct gw_wait {
	uint32_t		 id;
	uint64_t		 who;		/* its request's gw_who */
	int			 passed;	/* who passed signerd's check
						   (NETD_GW_WAIT_NEW) */
	struct gw_req		*r;
};

struct gw_daemon {
	struct netd_gw		*gw;
	struct MHD_Daemon	*d;
	int			 lfd;		/* listening, vaultd's */
	int			 epfd;		/* libmicrohttpd's epoll */
	struct gw_conn		*conns;		/* every connection */
	size_t			 nconns, nclosing;
	size_t			 share;		/* of NETD_GW_CONNS */
	uint64_t		 tick;		/* orders gw_conn.since */
	int64_t			 run_ms;	/* MHD_run due without an
						   event (gw_timeout); -1:
						   none */
};

/* A socket libcurl wants watched (CURLMOPT_SOCKETFUNCTION). */
struct gw_sock {
	curl_socket_t		 fd;
	short			 events;
};

/* The neg-risk facts (netd_negrisk.c): keyed SipHash of token ids. */
#define NEGRISK_SLOTS		8192
#define NEGRISK_MAX		4096	/* then the table starts anew */
#define NEGRISK_TOKEN_MAX	100	/* bytes of a token id */
#define NEGRISK_ORDERS_MAX	64	/* token ids read from one body */
struct negrisk {
	uint8_t			 key[16];
	uint64_t		 h[NEGRISK_SLOTS];
	uint8_t			 v[NEGRISK_SLOTS];	/* 0 empty, 1 no,
							   2 yes */
	size_t			 n;
};

#define GW_HIST_BUCKETS		13
struct gw_metrics {
	uint64_t		 codes[600];	/* answers by status */
	uint64_t		 up[600];	/* the exchange's, by status */
	uint64_t		 hist[GW_HIST_BUCKETS + 1];
	uint64_t		 count;
	double			 sum;
};

struct netd_gw {
	struct netd		*nd;
	struct gw_daemon	 d[CHILD_GW_MAX];
	size_t			 nd_;
	CURLM			*multi;
	/* easy handles of finished transfers, reset, for the next ones */
	CURL			*spare[NETD_GW_UP_CONNS];
	size_t			 nspare;
	struct gw_sock		*socks;
	size_t			 nsocks, capsocks;
	int64_t			 curl_due_ms;	/* -1: no libcurl timer */
	struct gw_wait		 wait[NETD_GW_WAIT_MAX];
	size_t			 nwait;
	struct gw_req		*reqs;		/* every live request */
	size_t			 nreqs;
	size_t			 ninflight;	/* not answered yet */
	size_t			 held;		/* bytes of the answers
						   (NETD_GW_ANSWERS_MAX) */
	int			 stopping;
	int			 resumed;	/* a connection resumed since
						   libmicrohttpd last ran */
	/* The deadlines, ms (NETD_GW_IDLE ... NETD_GW_SLOW, or -D's). */
	int64_t			 line_ms, head_ms, body_ms, slow_ms;
	/* The wait for vaultd's answer, ms (NETD_GW_VAULTD_MS, or -V's). */
	int64_t			 vaultd_ms;
	int64_t			 sweep_ms;	/* the next gw_deadlines */
	uint8_t			 who_key[16];	/* gw_who's SipHash key */
	/* the gw_who of credentials that passed, by gw_who % the slots */
	uint64_t		 passed[NETD_GW_PASSED_SLOTS];
	struct negrisk		 neg;
	struct gw_metrics	 m;
	/*
	 * The last exchange URL url_parse admitted, and its parts: vaultd
	 * sends the account's URL with every MSG_GW_ANS, and libcurl's URL
	 * parser is a tenth of netd's work for a small GET.
	 */
	char			 url_ok[NETD_URL_MAX + 1];
	struct url_parts	 url_parts;
};

/* netd_gw.c */
/* Make r's answer: status and body (netd_mem, consumed; NULL: none;
 * counted in held until libmicrohttpd frees it), the content type,
 * then resume the connection.  Returns r's response so the caller may
 * add headers before the next loop sends it. */
struct MHD_Response	*gw_answer(struct gw_req *r, unsigned int status,
	    uint8_t *body, size_t len, const char *ctype);
/* The same with an answer of the exchange's (gw_up_body_cb's buffer,
 * already counted in held), and no content type. */
struct MHD_Response	*gw_answer_up(struct gw_req *r, unsigned int status,
	    uint8_t *body, size_t len);
/* The same with {"error": text} (JSON) as the body. */
void	gw_answer_error(struct gw_req *r, unsigned int status,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The status a bot gets for vaultd's refusal code. */
unsigned int	gw_status_of(int code);
/* 1 if the header name may not go from the exchange to the bot. */
int	gw_hop_header(const char *name, size_t len);
/* 1 if name is one of the options of list (Connection values, each
 * followed by a comma): a header the exchange's hop alone was to read. */
int	gw_conn_option(const char *list, const char *name);
/* 1 if name (len bytes) is a token of RFC 9110, as a header name is. */
int	gw_token(const char *name, size_t len);

/* netd_gw_req.c */
/* What is known once the headers are in: 1 if r was answered (a
 * refusal), 0 if its body may come. */
int	gw_head(struct gw_req *r, const char *method);
/* A chunk of r's body; -1 past NETD_GW_BODY_MAX (close the connection). */
int	gw_body_add(struct gw_req *r, const char *p, size_t len);
/* Forget the client's credentials r holds. */
void	gw_creds_wipe(struct gw_req *r);

/* netd_gw_up.c */
int	gw_up_init(struct netd_gw *) CV_WUR;
/* MSG_GW_ANS for r: ask the exchange (r is answered when it has). */
void	gw_up_start(struct gw_req *r, struct msg *m);
/* Forget r's transfer, if any, and what it held. */
void	gw_up_clear(struct gw_req *r);
/* The sockets libcurl watches: how many, then into pfd. */
size_t	gw_up_npollfd(const struct netd_gw *);
void	gw_up_pollfd(const struct netd_gw *, struct pollfd *);
/* After the poll: drive libcurl with what pfd says, end transfers. */
void	gw_up_events(struct netd_gw *, const struct pollfd *, size_t n);
/* Milliseconds until libcurl's timer, -1 if none. */
int64_t	gw_up_timeout(const struct netd_gw *);

/* netd_negrisk.c */
void	negrisk_init(struct negrisk *);
/* Remember a token's neg-risk. */
void	negrisk_set(struct negrisk *, const char *token, size_t len,
	    int yes);
/* 1 yes, 0 no, -1 unknown. */
int	negrisk_get(const struct negrisk *, const char *token, size_t len);
/*
 * The neg-risk of a POST /order or /orders body: GW_NEGRISK_YES if
 * every order's token is known neg-risk, _NO if every one is known
 * not, _MIXED if every one is known and some are and some are not,
 * _UNKNOWN otherwise (a token not known, no order, a body that is not
 * JSON).
 */
int	negrisk_orders(const struct negrisk *, const uint8_t *body,
	    size_t len);
/*
 * The token id of "GET /neg-risk?token_id=X" or "/book?token_id=X"
 * (book set to 1 for the latter), copied into out; 0 if target is
 * neither, or its query is anything but token_id and one plain value.
 */
int	negrisk_target(const char *target, size_t len, char *out,
	    size_t outlen, int *book);
/* Learn from a 200 answer of such a request: {"neg_risk": bool}. */
void	negrisk_learn(struct negrisk *, const char *token,
	    const uint8_t *body, size_t len);

#endif
