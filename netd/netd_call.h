/*
 * What netd_calls.c (a call's requests: intake, signing, retries) and
 * netd_answer.c (what the exchange's answers mean) share: the state of
 * the one call in flight.  Private to netd.
 */
#ifndef NETD_CALL_H
#define NETD_CALL_H

#include <sodium.h>

#include "common/catalog.h"
#include "common/netcall.h"
#include "common/vault_fmt.h"
#include "netd/netd.h"

#define BOX_PK_LEN	crypto_box_PUBLICKEYBYTES
#define PARAM_MAX	NETCALL_PARAMS_MAX

enum step {
	ST_CREATE, ST_DERIVE, ST_KEYS, ST_DELETE, ST_CLOSED, ST_BCREATE,
	ST_BLIST, ST_BREVOKE, ST_BALANCE, ST_BALUPD, ST_NLIST, ST_NDROP,
	ST_WAITLIST, ST_TIME,
	ST_OTOKEN, ST_OKEYS, ST_OCREATE, ST_OROTATE,	/* Omnia */
	ST_CLOCK,		/* last: never a call's own step */
};

enum wait {
	W_NONE,
	W_SIGN,		/* for MSG_NET_SIGN_ANS */
	W_HTTP,		/* for libcurl */
	W_TIMER,	/* for a retry */
};

/* What vaultd gets back. */
struct answer {
	long		 status;
	json_t		*result;
	uint64_t	 effect;
	uint64_t	 rectype;
	const char	*keyid;
	uint64_t	 nonce;
	uint8_t		*box;
	size_t		 boxlen;
};

struct netd_call {
	uint32_t		 id;		/* of the MSG_NET_CALL_REQ */
	char			 account[VAULT_MAX_NAME + 1];
	const struct profile	*prof;
	const struct netcall	*nc;
	char			 base[NETD_URL_MAX + 1];
	char			 hostport[272];	/* host:port */
	uint8_t			*ca;		/* owned, or NULL */
	size_t			 calen;
	char			 pin[NETD_PIN_MAX + 1];
	uint8_t			 boxpk[BOX_PK_LEN];
	int			 has_box;
	struct netcall_params	 params;
	uint64_t		 nonce;		/* L1 */
	int			 or_derive;

	enum step		 step;
	enum wait		 wait;
	uint32_t		 sign_id;
	int64_t			 timer_ms;
	int64_t			 deadline_ms;	/* no request past this */
	int			 cut;		/* this request's time was cut
						   to the deadline */
	int			 retries;
	int			 backoff_ms;
	int64_t			 first401_ms;	/* propagation wait began */
	char			 path[NETD_PATH_MAX + 1];	/* as sent */
	char			 body[NETD_REQBODY_MAX + 1];
	size_t			 bodylen;
	char			 url[NETD_URL_MAX + NETD_PATH_MAX + 1];
	char			*hdrs[NETD_HDR_MAX + 1];	/* "N: v" */
	int			 invite_sent;
	char			 api_key_sent[VAULT_MAX_NAME + 1];

	long			 create_status;	/* create-or-derive */
	char			 create_err[NETD_TEXT_MAX];
	long			 held_status;	/* a 401 being explained */
	char			 held_err[NETD_TEXT_MAX];
	char			 held_hint[NETD_TEXT_MAX];
	int			 clock_checked;

	/* Omnia: the token in use and the one being bought */
	int			 bearer;	/* a bearer profile's call */
	enum step		 after_token;	/* the step the token is for */
	int			 reminted;	/* after a 401 INVALID_JWT_TOKEN */
	int			 forgotten;	/* vaultd forgot its account's
						   tokens since it began */
	char			 tok_key[VAULT_MAX_NAME + 1];
	uint8_t			 eph_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t			*eph_sk;	/* guarded, one request */
	uint8_t			*tokbody;	/* guarded: signerd's body */
	size_t			 tokbodylen;
};

/* One request of a call: its endpoint in the catalog. */
struct step_def {
	enum catalog_id		 ep;
	int			 empty_ok;	/* no body is a success */
};

/* The request of each step, indexed by enum step. */
extern const struct step_def	netd_steps[];
/* The catalog row of step: method, path, level. */
const struct catalog_entry	*step_ep(enum step);

/* netd_calls.c */
/* The value of parameter name of the call, or NULL. */
const char	*call_param(const struct netd_call *, const char *name);
/* 1 if the header line is "<prefix>name: ...". */
int	call_hdr_is(const struct netd_call *, const char *line,
	    const char *name);
/* Answer MSG_ERROR_ANS [code, text] and end the call. */
void	call_fail(struct netd *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Answer MSG_NET_CALL_ANS and end the call; a->result and box consumed. */
void	call_answer(struct netd *, struct answer *a);
/* An exchange's refusal: {"error": err, "hint": hint}; ends the call. */
void	call_answer_error(struct netd *, long status, const char *err,
	    const char *hint);
/* The same with the exchange's error code ("" or NULL: none). */
void	call_answer_error_code(struct netd *, long status, const char *err,
	    const char *code, const char *hint);
/* Go on with step st, with a fresh retry budget. */
void	call_next(struct netd *, enum step st);

/* netd_bearer.c */
/* The account's token for key_id (NULL: the active key's), if fresh. */
const struct netd_token *token_find(struct netd *, const char *account,
	    const char *key_id);
/* Keep tok (exp from its payload); CV_ERR_RESPONSE and why if bad. */
int	token_keep(struct netd *, const char *account, const char *key_id,
	    int active, const char *tok, char *why, size_t whylen) CV_WUR;
int	token_keypair(struct netd_call *) CV_WUR;
void	token_keypair_free(struct netd_call *);
int	token_open(struct netd_call *, const uint8_t *box, size_t len,
	    char *why, size_t whylen) CV_WUR;

/* netd_answer.c: each ends the call or moves it to its next step. */
void	answer_success(struct netd *, const struct http_res *);
void	answer_refusal(struct netd *, const struct http_res *);
void	answer_transport(struct netd *, const struct http_res *);
/* A 2xx answer that cannot be read, and why. */
void	answer_malformed(struct netd *, const char *why);
/* The exchange's clock (0: unknown) explains the 401 held. */
void	answer_clock(struct netd *, int64_t t);
/* 1 for a transport error worth another try (a GET only). */
int	answer_transient(int curlcode);

#endif
