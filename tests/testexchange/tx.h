/*
 * testexchange: a local exchange that authenticates exactly as the real
 * ones do (doc/exchanges.md), for the tests and the demo.
 *
 * One process, one profile.  libmicrohttpd runs a thread per connection;
 * every handler runs under the one lock in struct tx, so the state below
 * needs no locking of its own.  Nothing here ever logs a secret.
 */
#ifndef TX_H
#define TX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "common/cv_err.h"
#include "common/eth.h"
#include "common/profile.h"

#define TX_BODY_MAX		(64 * 1024)	/* body cap: 413 past it */
#define TX_TARGET_MAX		4096		/* request target cap: 414 */
#define TX_HDR_MAX		64		/* header count cap: 431 */
#define TX_WINDOW_DEFAULT	30		/* seconds of timestamp skew */
#define TX_TOKEN_LIFETIME	86400		/* Omnia token, seconds */
#define TX_UUID_LEN		37		/* 36 + NUL */
#define TX_SECRET_LEN		45		/* base64url of 32 B + NUL */
#define TX_PASS_LEN		65		/* hex of 32 bytes + NUL */
#define TX_CODE_MAX		128		/* invitation code bytes */
#define TX_ID_MAX		64		/* builder id bytes */
#define TX_LABEL_MAX		64		/* Omnia key label bytes */
#define TX_PERM_MAX		32		/* Omnia permissions per key */
#define TX_PERM_LEN		65		/* one permission + NUL */
#define TX_AMOUNT_LEN		40		/* decimal amount + NUL */
#define TX_TOKENID_LEN		80		/* decimal token id + NUL */
#define TX_LOG_RING		1024		/* request log entries kept */
#define TX_MARKET_LEN		67		/* condition id 0x..., NUL */
#define TX_ORDER_ID_LEN		67		/* 0x + 64 hex, or UUID; NUL */
#define TX_PRICE_LEN		100		/* decimal price + NUL */
#define TX_HEARTBEAT_MS		10000		/* heartbeat deadline */

/* A growable array of owned pointers; elements never move. */
struct tx_vec {
	void	**v;
	size_t	  n, cap;
};

int	tx_vec_push(struct tx_vec *, void *) CV_WUR;
/* Remove element i (order is kept); the caller frees it. */
void	tx_vec_remove(struct tx_vec *, size_t i);

/*
 * State (tx_state.c).  Every credential the exchange issues, the
 * invitation codes, per-address flags, balances and notifications, and
 * Omnia's keys and tokens.
 */
enum tx_cred_kind {
	TX_CRED_API,		/* L2 key: one per (address, nonce) */
	TX_CRED_BUILDER,	/* builder key */
};

struct tx_cred {
	enum tx_cred_kind	 kind;
	uint8_t			 addr[ETH_ADDR_LEN];
	uint64_t		 nonce;		/* API keys */
	char			 key[TX_UUID_LEN];
	char			 secret[TX_SECRET_LEN];
	char			 passphrase[TX_PASS_LEN];
	char			 builder_id[TX_ID_MAX + 1];	/* builder */
	int64_t			 created;	/* unix seconds */
	int64_t			 valid_from_ms;	/* propagation delay */
	/* Heartbeats (not kept in the state file): 0 when not started. */
	char			 hb_id[TX_UUID_LEN];
	int64_t			 hb_deadline_ms;
};

struct tx_invite {
	char	 code[TX_CODE_MAX + 1];
	int64_t	 expires;	/* unix seconds; 0: never */
	int	 used;
};

struct tx_account {
	uint8_t	 addr[ETH_ADDR_LEN];
	int	 registered;	/* has passed the invitation gate */
	int	 closed_only;
	char	 builder_id[TX_UUID_LEN];	/* default builder id */
};

enum tx_asset {
	TX_ASSET_COLLATERAL,
	TX_ASSET_CONDITIONAL,
};

struct tx_balance {
	uint8_t		addr[ETH_ADDR_LEN];
	enum tx_asset	asset;
	char		token_id[TX_TOKENID_LEN];	/* "" for collateral */
	char		chain[TX_AMOUNT_LEN];	/* "on chain", set by admin */
	char		cached[TX_AMOUNT_LEN];	/* what the API reports */
	char		allowance[TX_AMOUNT_LEN];
};

struct tx_notif {
	uint64_t	 id;
	uint8_t		 addr[ETH_ADDR_LEN];
	int		 type;
	char		*payload;	/* JSON text */
	int64_t		 ts;
};

struct tx_okey {
	char	 id[TX_UUID_LEN];
	char	 secret[TX_SECRET_LEN];
	char	 account[TX_UUID_LEN];
	char	 label[TX_LABEL_MAX + 1];
	char	 perms[TX_PERM_MAX][TX_PERM_LEN];
	size_t	 nperms;
	int64_t	 created;
	int64_t	 valid_from_ms;
};

/* Omnia bearer tokens are kept only as a hash. */
struct tx_token {
	uint8_t	 hash[32];
	char	 key_id[TX_UUID_LEN];
	int64_t	 exp;
};

/*
 * A market, by its token: what /tick-size, /neg-risk, /fee-rate and
 * /book report and what an order is checked against.  Markets come from
 * the flags and the admin endpoint, not from the state file.
 */
struct tx_market {
	char		 token[TX_TOKENID_LEN];	/* canonical decimal */
	char		 market[TX_MARKET_LEN];	/* its condition id */
	int		 tick_dec;	/* tick size 10^-tick_dec, 1..4 */
	int		 neg_risk;
	unsigned int	 fee_bps;	/* base fee, 0..1000 */
};

enum tx_order_status {
	TX_ORDER_LIVE,
	TX_ORDER_CANCELED,
};

/* An order the exchange accepted. */
struct tx_order {
	char			 id[TX_ORDER_ID_LEN];
	uint8_t			 hash[32];	/* EIP-712 digest */
	char			 owner[TX_UUID_LEN];	/* the API key */
	uint8_t			 addr[ETH_ADDR_LEN];	/* its signer */
	uint8_t			 maker[ETH_ADDR_LEN];
	char			 token[TX_TOKENID_LEN];
	char			 market[TX_MARKET_LEN];
	int			 side;		/* 0 BUY, 1 SELL */
	char			 price[TX_PRICE_LEN];	/* decimal */
	char			 size[TX_AMOUNT_LEN];	/* shares, decimal */
	char			 type[4];	/* GTC, GTD */
	int64_t			 expiration;	/* unix seconds; 0: none */
	int64_t			 created;
	enum tx_order_status	 status;
};

struct tx_state {
	struct tx_vec	 invites, accounts, creds, balances, notifs;
	struct tx_vec	 okeys, tokens;
	struct tx_vec	 markets, orders;
	uint64_t	 next_notif;
	uint64_t	 waitlist;
};

void	tx_state_init(struct tx_state *);
void	tx_state_free(struct tx_state *);

/* Random identifiers and secrets in the exchanges' shapes. */
void	tx_uuid(char out[TX_UUID_LEN]);
void	tx_new_secret(char out[TX_SECRET_LEN]);
void	tx_new_passphrase(char out[TX_PASS_LEN]);

/* The account of addr; created when create is set (NULL on NOMEM). */
struct tx_account	*tx_account_get(struct tx_state *,
			    const uint8_t addr[ETH_ADDR_LEN], int create);

/*
 * Add an invitation code (1..TX_CODE_MAX printable ASCII bytes).
 * CV_ERR_INVALID for a bad code, CV_ERR_EXISTS if known.
 */
int	tx_invite_add(struct tx_state *, const char *code, int64_t expires)
	    CV_WUR;
/*
 * Check code at time now and, if valid, mark it used.  CV_ERR_NOTFOUND
 * for an unknown or used code, CV_ERR_STALE for an expired one.
 */
int	tx_invite_use(struct tx_state *, const char *code, int64_t now) CV_WUR;

/* The API key of (addr, nonce), or NULL. */
struct tx_cred	*tx_cred_by_nonce(struct tx_state *,
		    const uint8_t addr[ETH_ADDR_LEN], uint64_t nonce);
/* The key of that kind called key, or NULL. */
struct tx_cred	*tx_cred_by_key(struct tx_state *, enum tx_cred_kind,
		    const char *key);
/*
 * A fresh credential of kind for addr (nonce for API keys, builder_id
 * for builder keys), valid from valid_from_ms.  The state owns it.
 */
int	tx_cred_new(struct tx_state *, enum tx_cred_kind,
	    const uint8_t addr[ETH_ADDR_LEN], uint64_t nonce,
	    const char *builder_id, int64_t now, int64_t valid_from_ms,
	    struct tx_cred **) CV_WUR;
/* Remove and wipe a credential. */
void	tx_cred_delete(struct tx_state *, struct tx_cred *);

/* The balance row; created with "0" amounts when create is set. */
struct tx_balance	*tx_balance_get(struct tx_state *,
			    const uint8_t addr[ETH_ADDR_LEN], enum tx_asset,
			    const char *token_id, int create);

/* Add a notification (payload: JSON text, copied); its id in *id. */
int	tx_notif_add(struct tx_state *, const uint8_t addr[ETH_ADDR_LEN],
	    int type, const char *payload, int64_t ts, uint64_t *id) CV_WUR;
/* Drop addr's notifications with the given ids (nids 0: all); count. */
size_t	tx_notif_drop(struct tx_state *, const uint8_t addr[ETH_ADDR_LEN],
	    const uint64_t *ids, size_t nids);

struct tx_okey	*tx_okey_by_id(struct tx_state *, const char *id);
/*
 * A new Omnia key in account (NULL: a new account) with the given
 * permissions (already validated).  The state owns it.
 */
int	tx_okey_new(struct tx_state *, const char *account, const char *label,
	    char perms[][TX_PERM_LEN], size_t nperms, int64_t now,
	    int64_t valid_from_ms, struct tx_okey **) CV_WUR;
/* New secret for k; every token minted from k stops working at once. */
void	tx_okey_rotate(struct tx_state *, struct tx_okey *,
	    int64_t valid_from_ms);
/*
 * Mint a bearer token for k valid until *exp (now + lifetime).  *token
 * is allocated; the caller frees it.
 */
int	tx_token_new(struct tx_state *, const struct tx_okey *, int64_t now,
	    int64_t lifetime, char **token, int64_t *exp) CV_WUR;
/*
 * The key behind token.  CV_ERR_NOTFOUND for an unknown token (or one
 * of a rotated key), CV_ERR_STALE for an expired one.
 */
int	tx_token_check(struct tx_state *, const char *token, int64_t now,
	    struct tx_okey **) CV_WUR;

/*
 * Add or replace the market of token (canonical decimal, at most 78
 * digits) with tick 10^-tick_dec (1..4), its neg-risk flag and base fee
 * (0..1000 bps).  CV_ERR_INVALID.
 */
int	tx_market_set(struct tx_state *, const char *token, int tick_dec,
	    int neg_risk, unsigned int fee_bps) CV_WUR;
/* The market of token, or NULL. */
struct tx_market	*tx_market_get(struct tx_state *, const char *token);
/*
 * A --market flag: TOKEN[:TICK[:negrisk][:fee=BPS]], TICK one of 0.1,
 * 0.01 (the default), 0.001, 0.0001.  CV_ERR_INVALID.
 */
int	tx_market_spec(struct tx_state *, const char *spec) CV_WUR;
/* The decimal places of a tick size "0.1".."0.0001"; -1 otherwise. */
int	tx_tick_parse(const char *);
/* The tick size of m as text ("0.01"). */
const char	*tx_tick_str(const struct tx_market *);

/* The order called id, or the one whose digest is hash; NULL. */
struct tx_order	*tx_order_by_id(struct tx_state *, const char *id);
struct tx_order	*tx_order_by_hash(struct tx_state *, const uint8_t hash[32]);
/* Take o into the state, which owns it then; CV_ERR_NOMEM (still the
 * caller's). */
int	tx_order_add(struct tx_state *, struct tx_order *) CV_WUR;

/* State file (tx_store.c): JSON, written atomically, mode 0600. */
int	tx_store_load(struct tx_state *, const char *path,
	    const char *profile) CV_WUR;
int	tx_store_save(const struct tx_state *, const char *path,
	    const char *profile) CV_WUR;

/*
 * Verification (tx_auth.c), as a server does it.  Each returns 0 or a
 * CV_ERR_* code and points *why at a static reason for the request log.
 */
struct secp256k1_context_struct;

struct tx_l1_hdrs {
	const char	*address, *signature, *timestamp, *nonce;
};

/*
 * Parse a decimal Unix-seconds timestamp and check it lies within
 * window seconds of now.  CV_ERR_INVALID if malformed, CV_ERR_STALE.
 */
int	tx_ts_check(const char *ts, int64_t now, int64_t window,
	    const char **why) CV_WUR;
/*
 * Parse "0x" + 40 hex digits, case ignored (servers compare addresses
 * case-insensitively).  CV_ERR_DECODE otherwise.
 */
int	tx_addr_parse(const char *s, uint8_t addr[ETH_ADDR_LEN]) CV_WUR;
/*
 * L1: recover the signer of the EIP-712 ClobAuth digest for chain_id
 * and compare with the address header.  On success addr and nonce are
 * set.  CV_ERR_INVALID (missing or malformed header), CV_ERR_DECODE
 * (address), CV_ERR_STALE, CV_ERR_BADSIG (signer is not the address).
 */
int	tx_l1_verify(struct secp256k1_context_struct *, uint64_t chain_id,
	    const struct tx_l1_hdrs *, int64_t now, int64_t window,
	    uint8_t addr[ETH_ADDR_LEN], uint64_t *nonce, const char **why)
	    CV_WUR;
/*
 * HMAC: recompute base64url(HMAC-SHA256(secret, ts + method + path +
 * body)) and compare in constant time with sig.  CV_ERR_BADSIG.
 */
int	tx_hmac_check(const char *secret, const char *ts, const char *method,
	    const char *path, const uint8_t *body, size_t bodylen,
	    const char *sig, const char **why) CV_WUR;
/* Constant-time string equality (length is not secret). */
int	tx_streq_ct(const char *, const char *);

/* Fault injection (tx_fault.c). */
struct tx_fault {
	int64_t		 latency_ms;
	int64_t		 fail_next;
	unsigned int	 fail_status;
	int64_t		 drop_next;
	int64_t		 clock_offset;	/* seconds */
	int64_t		 propagation_ms;
	int64_t		 rate_limit;	/* requests per second; 0 off */
	/* Omnia: the next N bearer requests get 401 INVALID_JWT_TOKEN */
	int64_t		 jwt_reject_next;
	/* Omnia: the next N rotations are made, their answers lost */
	int64_t		 lose_rotate_next;
	/* the next N requests are handled, their answers lost */
	int64_t		 lose_next;
	/* Omnia: the next N creates grant every permission of the caller */
	int64_t		 grant_all_next;
	int64_t		*rl_ring;	/* accepted request times, ms */
	size_t		 rl_cap, rl_n, rl_head;
};

/* Request log (tx_log.c): JSON lines to a file and a ring in memory. */
struct tx_log_entry {
	int64_t		 ms;
	char		 method[16];
	char		*target;	/* sanitized */
	unsigned int	 status;
	const char	*verdict;
	int		 builder;	/* it carried builder headers */
};

struct tx_log {
	FILE			*f;
	struct tx_log_entry	 ring[TX_LOG_RING];
	size_t			 n, head;
	int			 verbose;
};

int	tx_log_open(struct tx_log *, const char *path, int verbose) CV_WUR;
void	tx_log_add(struct tx_log *, int64_t ms, const char *method,
	    const char *target, unsigned int status, const char *verdict,
	    int builder);
json_t	*tx_log_json(const struct tx_log *);
void	tx_log_close(struct tx_log *);

/* The server. */
enum tx_kind {
	TX_OPENFISH,
	TX_POLYMARKET,
	TX_OMNIA,
};

struct tx {
	const struct profile		*prof;
	enum tx_kind			 kind;
	uint64_t			 chain_id;
	int64_t				 window;
	int64_t				 token_lifetime;
	const char			*secret_field;	/* Omnia token body */
	const char			*state_path;	/* NULL: memory only */
	int				 admin;		/* /__tx/ enabled */
	struct secp256k1_context_struct	*secp;
	pthread_mutex_t			 lock;		/* all below */
	struct tx_state			 st;
	struct tx_fault			 fault;
	struct tx_log			 log;
};

/* A request as received.  Strings stay valid while it is handled. */
struct tx_hdr {
	const char	*name, *value;
};

struct tx_req {
	const char	*method;
	const char	*target;	/* path[?query], exactly as received */
	char		*path;		/* target up to '?' */
	const char	*query;		/* after '?', NULL if none */
	const uint8_t	*body;
	size_t		 bodylen;
	struct tx_hdr	 hdrs[TX_HDR_MAX];
	size_t		 nhdrs;
	int64_t		 now;		/* server clock, offset applied */
	int64_t		 now_ms;
};

struct tx_resp {
	unsigned int	 status;
	char		*body;		/* owned */
	size_t		 len;
	const char	*ctype;
	const char	*verdict;	/* static, for the log */
	int		 retry_after;	/* seconds; 0: no header */
	int		 drop;		/* close without answering */
	int		 builder;	/* builder headers verified */
};

/* Server clock: real time plus the fault clock offset. */
int64_t	tx_now_ms(const struct tx *);

/*
 * The value of header name (case-insensitive), NULL when absent or
 * present more than once: a duplicated auth header is never guessed at.
 */
const char	*tx_hdr(const struct tx_req *, const char *name);
/* Same for prefix + name ("POLY_" "ADDRESS"). */
const char	*tx_phdr(const struct tx_req *, const char *prefix,
		    const char *name);
/*
 * The percent-decoded value of query parameter name into out.
 * CV_ERR_NOTFOUND, CV_ERR_EXISTS (given twice), CV_ERR_DECODE (bad
 * escape or a NUL), CV_ERR_TOOLONG.
 */
int	tx_query_get(const struct tx_req *, const char *name, char *out,
	    size_t outlen) CV_WUR;
/* 1 if the query has a parameter not in the NULL-terminated list. */
int	tx_query_unknown(const struct tx_req *, const char *const *known);

/* Parse the body as one JSON value (duplicate keys refused); NULL. */
json_t	*tx_body_json(const struct tx_req *);

/* Responses.  Each replaces what resp held; NOMEM becomes a 500. */
void	tx_resp_json(struct tx_resp *, unsigned int status, json_t *steal,
	    const char *verdict);
void	tx_resp_err(struct tx_resp *, unsigned int status, const char *msg,
	    const char *verdict);
void	tx_resp_oerr(struct tx_resp *, unsigned int status, const char *code,
	    const char *desc, const char *verdict);
void	tx_resp_free(struct tx_resp *);

/*
 * Omnia permissions from a JSON array: at most TX_PERM_MAX distinct
 * strings of [a-z0-9:._-], 1..TX_PERM_LEN-1 bytes.  CV_ERR_INVALID.
 */
int	tx_omnia_perms(json_t *, char perms[][TX_PERM_LEN], size_t *n)
	    CV_WUR;

/*
 * One Openfish / Polymarket request being handled (tx_clob.c): the
 * route's authentication has passed before a handler sees it.
 */
struct tx_call {
	struct tx		*tx;
	const struct tx_req	*req;
	struct tx_resp		*resp;
	const char		*p;		/* header prefix */
	uint8_t			 addr[ETH_ADDR_LEN];	/* L1, L2 */
	uint64_t		 nonce;		/* L1 */
	struct tx_cred		*cred;		/* L2: the key used */
};

/*
 * Trading endpoints (tx_orders.c), doc/exchanges.md "Trading": the
 * public market lookups, then orders, cancels, queries and heartbeats
 * (L2).  Called with tx->lock held.
 */
void	tx_orders_tick_size(struct tx_call *);
void	tx_orders_neg_risk(struct tx_call *);
void	tx_orders_fee_rate(struct tx_call *);
void	tx_orders_book(struct tx_call *);
void	tx_orders_post(struct tx_call *);
void	tx_orders_post_batch(struct tx_call *);
void	tx_orders_cancel(struct tx_call *);
void	tx_orders_cancel_batch(struct tx_call *);
void	tx_orders_cancel_all(struct tx_call *);
void	tx_orders_cancel_market(struct tx_call *);
void	tx_orders_get(struct tx_call *);
void	tx_orders_list(struct tx_call *);
void	tx_orders_trades(struct tx_call *);
void	tx_orders_heartbeat(struct tx_call *);
/*
 * What time does to orders, applied before each request is handled:
 * a key whose heartbeat deadline has passed loses its live orders, and
 * GTD orders expire.  Persists the state if anything changed.
 */
void	tx_orders_sweep(struct tx *, int64_t now_ms);

/* Endpoint sets.  Called with tx->lock held. */
void	tx_clob_handle(struct tx *, const struct tx_req *, struct tx_resp *);
void	tx_omnia_handle(struct tx *, const struct tx_req *, struct tx_resp *);
void	tx_admin_handle(struct tx *, const struct tx_req *, struct tx_resp *);

/* Persist the state if a state file is set; a failure is logged. */
void	tx_persist(struct tx *);

/*
 * Faults: decide what happens to a request before it is handled (0:
 * handle it; else resp is filled: drop, injected 5xx or 429), and the
 * latency to add.  Called with tx->lock held.
 */
int	tx_fault_gate(struct tx *, int64_t now_ms, struct tx_resp *,
	    int64_t *latency_ms);
int	tx_fault_init(struct tx_fault *) CV_WUR;
void	tx_fault_free(struct tx_fault *);
/* Apply the fields of obj; *err names the bad one.  CV_ERR_INVALID. */
int	tx_fault_set(struct tx_fault *, json_t *obj, const char **err) CV_WUR;
json_t	*tx_fault_json(const struct tx_fault *);
/* Set the rate limit (0: off), resetting its window. */
int	tx_fault_rate(struct tx_fault *, int64_t per_second) CV_WUR;

/* HTTP server (tx_http.c). */
struct tx_server;
int	tx_http_start(struct tx *, int listen_fd, const char *cert_pem,
	    const char *key_pem, struct tx_server **) CV_WUR;
void	tx_http_stop(struct tx_server *);

#endif
