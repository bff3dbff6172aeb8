/*
 * The one protocol header: every message between clobvault processes
 * (vaultd <-> signerd, vaultd <-> netd, vaultctl <-> vaultd).
 *
 * A frame is a 4-byte big-endian length followed by exactly one msgpack
 * array: [type, id, field...].  The number of fields is fixed per type
 * (msg_nfields) and checked before a handler sees the message; handlers
 * then read each field with an exact-type getter.  Anything else -- a
 * short or oversized frame, trailing bytes, a wrong type, count or length,
 * an invalid string -- is refused with its own CV_ERR_MSG_* code, and a
 * peer that sends it is treated as broken.
 */
#ifndef CV_MSG_H
#define CV_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "common/cv_err.h"

/* Bump when any message changes; checked by MSG_HELLO_REQ. */
#define MSG_VERSION		22

#define MSG_HDR_LEN		4
#define MSG_MAX_FRAME		(1024 * 1024)	/* payload bytes */
#define MSG_MAX_STR		4096		/* default string bound */
#define MSG_MAX_ARRAY		256		/* default nested array bound */
/*
 * The most one buffer may hold: far above any working peer's queue.
 * vaultd's 256 signing requests in flight, each with the largest path
 * and body, take 18 MiB, and a queue may hold as much again already
 * written before it is moved down (chan_flush).
 */
#define CHAN_KEEP		(256 * 1024)	/* an empty chan buffer larger
						   than this is freed */
#define MSG_MAX_QUEUE		(48 * (MSG_MAX_FRAME + MSG_HDR_LEN))

/*
 * MSG_GW_REQ's neg-risk: what netd learnt of the tokens of a POST /order
 * or /orders body.  A batch of both kinds (MIXED) cannot be signed for
 * one exchange, and vaultd refuses it.
 */
#define GW_NEGRISK_NO		0	/* none is neg-risk */
#define GW_NEGRISK_YES		1	/* every one is */
#define GW_NEGRISK_UNKNOWN	2	/* a token not known, or no order */
#define GW_NEGRISK_MIXED	3	/* some are, some are not */

/*
 * The protocol table: every message, once.  X(name, sender, receiver,
 * fields, meaning) -- the enum, msg_name(), the decoder's field count,
 * field types and bounds, and ARCHITECTURE.md's message table (checked by
 * tests/test_msg.c) all come from this list.
 *
 * fields: one token per field, separated by a space: a type letter and an
 * optional bound.  u unsigned, i signed, b bool, s string (bound: bytes,
 * default MSG_MAX_STR), x bin (bytes, default the frame), a array
 * (elements, default MSG_MAX_ARRAY).  The decoder refuses a message
 * whose fields do not have these types and bounds before any handler
 * sees it; a handler may bound a field more tightly.
 *
 * Messages come in _REQ/_ANS pairs, _ANS right after its _REQ; any
 * callee may answer a _REQ with MSG_ERROR_ANS instead.  MSG_GW_GONE is
 * a notice that nothing answers (its MSG_GW_REQ is answered, as ever);
 * MSG_GW_PASSED and MSG_CTL_WAIT are notices that go before their
 * request's answer.
 */
#define MSG_LIST(X)							\
X(MSG_ERROR_ANS, "callee", "caller", "i s1024", "code, text")		\
X(MSG_HELLO_REQ, "child", "vaultd", "u s15", "version, process name")	\
X(MSG_HELLO_ANS, "vaultd", "child", "u", "version")			\
X(MSG_STATUS_REQ, "vaultd", "child", "", "-")				\
X(MSG_STATUS_ANS, "child", "vaultd", "u u b b b b",			\
    "pid, uid, chrooted, netns, mntns, seccomp")			\
X(MSG_PROBE_REQ, "vaultd", "child", "s31",				\
    "kind (test mode only)")						\
X(MSG_PROBE_ANS, "child", "vaultd", "", "-")				\
X(MSG_CTL_HELLO_REQ, "vaultctl", "vaultd", "u", "version")		\
X(MSG_CTL_HELLO_ANS, "vaultd", "vaultctl", "u", "version")		\
X(MSG_CTL_STATUS_REQ, "vaultctl", "vaultd", "", "-")			\
X(MSG_CTL_STATUS_ANS, "vaultd", "vaultctl", "s4096 b s16 a8 s32 a8 i s512",\
    "home, testmode, vault state, [[name, pid, uptime, restarts, state,"\
    " seccomp, nnp, uid, chroot, netns, mntns, last exit]...], vaultd's "\
    "version, [[process, sandbox layer it runs without, why]...], "	\
    "the idle cores' wake-up latency held (us; -1: none), why the "	\
    "budgets admit nothing (empty: they are checked)")			\
X(MSG_CTL_PROBE_REQ, "vaultctl", "vaultd", "s15 s31",			\
    "child, kind (test mode only)")					\
X(MSG_CTL_PROBE_ANS, "vaultd", "vaultctl", "", "-")			\
X(MSG_VAULT_CREATE_REQ, "vaultd", "signerd", "x1024 b u u x262144",	\
    "credential, keyfile, ops, mem, default policy text")		\
X(MSG_VAULT_CREATE_ANS, "signerd", "vaultd", "x x32 x32",		\
    "file, audit public key, box public key")				\
X(MSG_VAULT_UNLOCK_REQ, "vaultd", "signerd", "x x1024 b",		\
    "file, credential, keyfile")					\
X(MSG_VAULT_UNLOCK_ANS, "signerd", "vaultd", "x32 u x32 u x262144 a1024",\
    "audit public key, generation, box public key, policy version, "	\
    "policy text, [[account, profile]...]")				\
X(MSG_VAULT_LOCK_REQ, "vaultd", "signerd", "", "-")			\
X(MSG_VAULT_LOCK_ANS, "signerd", "vaultd", "", "-")			\
X(MSG_VAULT_PUT_REQ, "vaultd", "signerd", "u s64 s64 u x4096 x1024 b",	\
    "type, account, key id, nonce, payload, the vault's credential "	\
    "(empty: none; a client's record, or an account's URL, CA or pin "	\
    "changed, needs it), keyfile")					\
X(MSG_VAULT_PUT_ANS, "signerd", "vaultd", "x s1024", "file, public info") \
X(MSG_VAULT_DEL_REQ, "vaultd", "signerd", "u s64 s64 x1024 b b",	\
    "type, account, key id, the vault's credential (empty: none; a "	\
    "client's record, a key or code, an account holding any needs "	\
    "it), keyfile, gone (vaultd's own removal of an API or builder "	\
    "key a call deleted at the exchange: none needed)")			\
X(MSG_VAULT_DEL_ANS, "signerd", "vaultd", "x", "file")			\
X(MSG_VAULT_PASSWD_REQ, "vaultd", "signerd", "x1024 x1024 b u u",	\
    "old, new, keyfile, ops, mem")					\
X(MSG_VAULT_PASSWD_ANS, "signerd", "vaultd", "x", "file")		\
X(MSG_VAULT_COMMIT_REQ, "vaultd", "signerd", "u b",			\
    "generation, written")						\
X(MSG_VAULT_COMMIT_ANS, "signerd", "vaultd", "", "-")			\
X(MSG_VAULT_LIST_REQ, "vaultd", "signerd", "", "-")			\
X(MSG_VAULT_LIST_ANS, "signerd", "vaultd", "a1024",			\
    "[[type, flags, account, key id, nonce, info]...]")			\
X(MSG_AUDIT_SIGN_REQ, "vaultd", "signerd", "s1200", "checkpoint line")	\
X(MSG_AUDIT_SIGN_ANS, "signerd", "vaultd", "s128 x",			\
    "signature, file with the new anchor")				\
X(MSG_CTL_INIT_REQ, "vaultctl", "vaultd", "x1024 b s15",		\
    "credential, keyfile, kdf")						\
X(MSG_CTL_INIT_ANS, "vaultd", "vaultctl", "", "-")			\
X(MSG_CTL_UNLOCK_REQ, "vaultctl", "vaultd", "x1024 b",			\
    "credential, keyfile")						\
X(MSG_CTL_UNLOCK_ANS, "vaultd", "vaultctl", "b", "was already unlocked") \
X(MSG_CTL_LOCK_REQ, "vaultctl", "vaultd", "", "-")			\
X(MSG_CTL_LOCK_ANS, "vaultd", "vaultctl", "b", "was already locked")	\
X(MSG_CTL_PASSWD_REQ, "vaultctl", "vaultd", "x1024 x1024 b s15",	\
    "old, new, keyfile, kdf (\"\": the vault's cost kept)")		\
X(MSG_CTL_PASSWD_ANS, "vaultd", "vaultctl", "", "-")			\
X(MSG_CTL_PUT_REQ, "vaultctl", "vaultd", "u s64 s64 u x4096 x1024 b",	\
    "type, account, key id, nonce, payload, credential, keyfile (as "	\
    "MSG_VAULT_PUT_REQ)")						\
X(MSG_CTL_PUT_ANS, "vaultd", "vaultctl", "s1024", "public info")		\
X(MSG_CTL_DEL_REQ, "vaultctl", "vaultd", "u s64 s64 x1024 b",		\
    "type, account, key id, credential, keyfile (as "			\
    "MSG_VAULT_DEL_REQ, which vaultd sends with gone false)")		\
X(MSG_CTL_DEL_ANS, "vaultd", "vaultctl", "", "-")			\
X(MSG_CTL_LIST_REQ, "vaultctl", "vaultd", "", "-")			\
X(MSG_CTL_LIST_ANS, "vaultd", "vaultctl", "a1024",			\
    "as MSG_VAULT_LIST_ANS")						\
X(MSG_CTL_AUDIT_REQ, "vaultctl", "vaultd", "u u",			\
    "mode (0 show, 1 verify, 2 anchor), tail")				\
X(MSG_CTL_AUDIT_ANS, "vaultd", "vaultctl", "i s1048576", "code, text")	\
X(MSG_SIGN_REQ, "vaultd", "signerd",					\
    "s64 u s7 s4096 x65536 s23 u u s64",				\
    "account, level, method, path, body, timestamp, nonce, flags, "	\
    "API key id (L2 and bearer; empty: the active key)")		\
X(MSG_SIGN_ANS, "signerd", "vaultd", "a16 x131072",			\
    "[[name, value]...], body with its orders signed (SIGN_F_ORDERS), "	\
    "or a bearer token request's body sealed to netd (at most 4096 "	\
    "bytes); none else")						\
X(MSG_CTL_HEADERS_REQ, "vaultctl", "vaultd",				\
    "s64 u s7 s4096 x65536 u u",					\
    "account, level, method, path, body, nonce, flags")			\
X(MSG_CTL_HEADERS_ANS, "vaultd", "vaultctl", "a16 x131072",		\
    "[[name, value]...], body with its orders signed (SIGN_F_ORDERS)")	\
X(MSG_VAULT_STORE_REQ, "vaultd", "signerd", "u s64 u x4096 s64 s2079", \
    "record type, account, nonce, box sealed by netd, key id it "	\
    "replaces (empty: a new key), permissions an Omnia create asked "	\
    "for (else empty)")							\
X(MSG_VAULT_STORE_ANS, "signerd", "vaultd", "x s64 s512",		\
    "file, key id, public info")					\
X(MSG_VAULT_MARK_REQ, "vaultd", "signerd", "u s64 s64 u",		\
    "record type, account, key id, record flags")			\
X(MSG_VAULT_MARK_ANS, "signerd", "vaultd", "x", "file")			\
X(MSG_VAULT_ACCOUNT_REQ, "vaultd", "signerd", "s64", "account")		\
X(MSG_VAULT_ACCOUNT_ANS, "signerd", "vaultd", "s4096",			\
    "account JSON: profile, url, ca_file, pin, funder, orders; builder "	\
    "(true: it holds a builder key)")					\
X(MSG_CTL_CALL_REQ, "vaultctl", "vaultd", "s64 s32 a8",			\
    "account, call, [[name, value]...]")				\
X(MSG_CTL_CALL_ANS, "vaultd", "vaultctl", "u s524288 s512",		\
    "HTTP status, result JSON, vault change")				\
X(MSG_NET_CALL_REQ, "vaultd", "netd",					\
    "s64 s31 s512 x1048576 s1024 s32 a8 x32 u",				\
    "account, profile, URL, CA PEM, pin, call, [[name, value]...], "	\
    "box public key, milliseconds the call has")				\
X(MSG_NET_CALL_ANS, "netd", "vaultd", "u s524288 u u s64 u x4096",	\
    "HTTP status, result JSON, effect, record type, key id, nonce, "	\
    "sealed box")							\
X(MSG_NET_SIGN_REQ, "netd", "vaultd", "u u s7 s4096 x65536 u",		\
    "call id, level, method, path, body, nonce")			\
X(MSG_NET_SIGN_ANS, "vaultd", "netd", "a16 x4096",			\
    "[[name, value]...], token request body sealed to netd's key "	\
    "(bearer token request only; else empty)")				\
X(MSG_VAULT_POLICY_REQ, "vaultd", "signerd", "x1024 b u x262144",	\
    "credential, keyfile, version, policy text")				\
X(MSG_VAULT_POLICY_ANS, "signerd", "vaultd", "x", "file")		\
X(MSG_CTL_POLICY_SHOW_REQ, "vaultctl", "vaultd", "", "-")		\
X(MSG_CTL_POLICY_SHOW_ANS, "vaultd", "vaultctl", "u x32 s262144 s512",	\
    "version, digest, text, trouble (empty: none)")			\
X(MSG_CTL_POLICY_APPLY_REQ, "vaultctl", "vaultd", "x1024 b s262144 a64",\
    "credential, keyfile, text, [[public key, signature]...]")		\
X(MSG_CTL_POLICY_APPLY_ANS, "vaultd", "vaultctl", "u x32 x32",		\
    "new version, old digest, new digest")				\
X(MSG_CTL_APPROVE_LIST_REQ, "vaultctl", "vaultd", "", "-")		\
X(MSG_CTL_APPROVE_LIST_ANS, "vaultd", "vaultctl", "u a32",		\
    "policy version, [[id, age ms, left ms, digest, actor, account, "	\
    "level, method, path, body, rules, granted, key id (empty: the "	\
    "active one), flags (SIGN_F_*), what the policy decoded (an "	\
    "order's fields)]...]")						\
X(MSG_CTL_APPROVE_REQ, "vaultctl", "vaultd", "u b x32 x64",		\
    "id, grant, approver public key, signature")			\
X(MSG_CTL_APPROVE_ANS, "vaultd", "vaultctl", "u s256",			\
    "grants still missing, outcome")					\
X(MSG_CLIENT_CHECK_REQ, "vaultd", "signerd",				\
    "s64 s256 s23 s128 s7 s4096 x65536",				\
    "client API key, passphrase, timestamp, signature, method, path, "	\
    "body")								\
X(MSG_CLIENT_CHECK_ANS, "signerd", "vaultd", "s64 s64 i s1024",	\
    "client name, account, why the account cannot sign: a code (0: it "	\
    "can) and its text")						\
X(MSG_GW_REQ, "netd", "vaultd",					\
    "s7 s4096 x65536 s64 s256 s23 s128 u s64",				\
    "method, path, body, client API key, passphrase, timestamp, "	\
    "signature, neg-risk (0 no, 1 yes, 2 unknown, 3 mixed), account "	\
    "of a /@NAME prefix (empty: none)")					\
X(MSG_GW_ANS, "vaultd", "netd", "s64 s512 x1048576 s1024 a16 b x131072",\
    "account, URL, CA PEM, pin, [[name, value]...], body replaced, "	\
    "body")								\
X(MSG_GW_INFO_REQ, "netd", "vaultd", "s15", "kind (ready, metrics)")	\
X(MSG_GW_INFO_ANS, "vaultd", "netd", "b s1048576", "ready, text")	\
X(MSG_CTL_AUDIT_SHOW_REQ, "vaultctl", "vaultd",			\
    "u s64 s64 s32 s16 u u s64",					\
    "tail (0: 20), account, actor, op, verdict (empty: any), since, "	\
    "until (unix seconds, 0: none), rotation id (empty: any)")		\
X(MSG_CTL_AUDIT_SHOW_ANS, "vaultd", "vaultctl", "u s1048576",		\
    "matching records left out, lines")					\
X(MSG_CTL_AUDIT_KEY_REQ, "vaultctl", "vaultd", "", "-")		\
X(MSG_CTL_AUDIT_KEY_ANS, "vaultd", "vaultctl", "x32",			\
    "audit public key")							\
X(MSG_CTL_USE_REQ, "vaultctl", "vaultd", "u s64 s64",			\
    "record type (API or builder key), account, key id")		\
X(MSG_CTL_USE_ANS, "vaultd", "vaultctl", "", "-")			\
X(MSG_NET_FORGET_REQ, "vaultd", "netd", "s64 s64",			\
    "account, key id: the bearer tokens to wipe (empty: all of them)")	\
X(MSG_NET_FORGET_ANS, "netd", "vaultd", "", "-")			\
X(MSG_VAULT_REKEY_REQ, "vaultd", "signerd", "x1024 b",			\
    "credential, keyfile")						\
X(MSG_VAULT_REKEY_ANS, "signerd", "vaultd", "x",			\
    "file: every record sealed under a new master key")			\
X(MSG_CTL_REKEY_REQ, "vaultctl", "vaultd", "x1024 b",			\
    "credential, keyfile")						\
X(MSG_CTL_REKEY_ANS, "vaultd", "vaultctl", "u", "records resealed")	\
X(MSG_CTL_AUDIT_MODE_REQ, "vaultctl", "vaultd", "s8 u",		\
    "mode (durable, relaxed; empty: only ask), group sync period in ms "\
    "(relaxed; 0: 5)")							\
X(MSG_CTL_AUDIT_MODE_ANS, "vaultd", "vaultctl", "s8 u",		\
    "mode, group sync period in ms (0 when durable)")			\
X(MSG_GW_GONE, "netd", "vaultd", "",					\
    "- (a notice, never answered: its id is a MSG_GW_REQ's that netd "	\
    "gave up on, its bot gone or told 504; vaultd ends that request)")	\
X(MSG_GW_PASSED, "vaultd", "netd", "",					\
    "- (its id's MSG_GW_REQ passed signerd's client check; its answer "	\
    "follows)")							\
X(MSG_CTL_WAIT, "vaultd", "vaultctl", "u",				\
    "ms: the most its id's vault operation may take at signerd, the "	\
    "watchdog's bound on its key derivations (a notice, never answered; "\
    "the operation's answer follows)")

#define MSG_ENUM(name, from, to, fields, doc)	name,
enum msg_type {
	MSG_NONE = 0,
	MSG_LIST(MSG_ENUM)
	MSG_TYPE_MAX
};
#undef MSG_ENUM

/*
 * MSG_SIGN_REQ and MSG_CTL_HEADERS_REQ flags.  SIGN_F_ORDERS: the request
 * is POST /order or /orders at level L2; signerd signs each order in the
 * body with the account's wallet key (EIP-712, common/order.h), writes
 * its signature and the account's API key as owner, and signs the body
 * it made, which comes back in the answer.  SIGN_F_NEGRISK: the orders
 * are for a neg-risk market (the profile's neg-risk exchange signs).
 */
#define SIGN_F_ORDERS		0x1u
#define SIGN_F_NEGRISK		0x2u
#define SIGN_F_ALL		(SIGN_F_ORDERS | SIGN_F_NEGRISK)

/* The bound of MSG_ERROR_ANS's text; longer texts are cut by the sender. */
#define MSG_ERROR_TEXT_MAX	1024

/* One row of the protocol table, for tests and documentation. */
struct msg_spec {
	const char	*name;
	const char	*from;
	const char	*to;
	const char	*fields;
	const char	*doc;
};

/* The row of type, NULL if unknown. */
const struct msg_spec	*msg_spec(uint32_t type);

/* The message's name for logs ("MSG_HELLO_REQ"), "MSG_?" if unknown. */
const char	*msg_name(uint32_t type);

/*
 * A growable byte buffer that wipes what it frees or leaves behind.  The
 * bytes past len hold nothing: whoever makes len smaller wipes what it
 * drops, so freeing wipes len bytes, not the whole capacity.
 *
 * A buffer whose owner set lock (a channel's input and queue, a frame
 * being built) is pages of its own (mapped), mlock'd (secmem_lock: best
 * effort, its failure logged once), while it is at most CHAN_KEEP bytes,
 * so the frames it holds -- an unlock's passphrase, a signature's API
 * passphrase header -- do not reach swap.  Past CHAN_KEEP (large bodies
 * in bulk) it is malloc's until it is empty and freed; so is every
 * buffer without lock.  A channel's grows to CHAN_KEEP at once; a
 * frame's (frame) by doubling, as it is kept for the thread's next
 * frame (msg_begin).
 *
 * Built with AddressSanitizer (make san, the fuzzers), every buffer is
 * malloc's and none locked (MSGBUF_MAPS 0), so that a read or write past
 * a frame is caught at its first byte, not only past the last page.
 */
#if defined(__SANITIZE_ADDRESS__)
#define MSGBUF_MAPS		0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MSGBUF_MAPS		0
#endif
#endif
#ifndef MSGBUF_MAPS
#define MSGBUF_MAPS		1
#endif
struct msgbuf {
	uint8_t	*data;
	size_t	 len;
	size_t	 cap;
	uint8_t	 mapped;	/* data is cap bytes of its own pages */
	uint8_t	 lock;		/* kept by msgbuf_free */
	uint8_t	 frame;		/* a frame's (struct msg_w) */
};

void	msgbuf_free(struct msgbuf *);		/* wipes; accepts empty */
int	msgbuf_add(struct msgbuf *, const void *, size_t) CV_WUR;
/* Room for need bytes in all (len included): grown once, by copying. */
int	msgbuf_reserve(struct msgbuf *, size_t need) CV_WUR;

/*
 * Builds one frame.  Errors are sticky and reported by msg_finish.
 *
 * The frame is packed into locked pages (buf: lock and frame), so that
 * a passphrase it carries is not in swappable memory while a handler
 * builds it.  Each thread keeps one such buffer, empty and wiped, for
 * its next frame: msg_begin takes it, chan_queue (which copies the
 * frame into the channel's locked queue) and msg_w_free wipe it and
 * give it back.  A frame begun while another is being built gets pages
 * of its own.  Past CHAN_KEEP a frame is malloc's, wiped when freed.
 */
struct msg_w {
	struct msgbuf	 buf;
	size_t		 start;		/* where the frame begins in buf */
	msgpack_packer	 pk;
	uint32_t	 type;
	int		 err;
};

/* Start a frame of type with request id; the field count is msg_nfields. */
void	msg_begin(struct msg_w *, uint32_t type, uint32_t id);
/*
 * The same, built in place after the frames b holds, with b's memory:
 * a frame carrying a large body is packed once, not packed and then
 * copied behind them.  msg_end_at gives the memory back to b, with the
 * frame finished behind the others, or (an error) b as it was.
 */
void	msg_begin_at(struct msg_w *, struct msgbuf *b, uint32_t type,
	    uint32_t id);
int	msg_end_at(struct msg_w *, struct msgbuf *b) CV_WUR;
/*
 * The request id of the whole frame at the start of p (len bytes), as
 * msg_begin built it: for the builder's own frames (vaultd's queue to
 * signerd), never a peer's, which msg_decode checks.  Its length with
 * its header in *flen.  CV_ERR_AGAIN when p holds no whole frame,
 * CV_ERR_MSG_MALFORMED when it does not begin as msg_begin's do.
 */
int	msg_frame_id(const uint8_t *p, size_t len, uint32_t *id,
	    size_t *flen) CV_WUR;
void	msg_put_u64(struct msg_w *, uint64_t);
void	msg_put_i64(struct msg_w *, int64_t);
void	msg_put_bool(struct msg_w *, int);
void	msg_put_str(struct msg_w *, const char *);	/* NUL-terminated */
void	msg_put_strn(struct msg_w *, const char *, size_t);
void	msg_put_bin(struct msg_w *, const void *, size_t);
void	msg_put_array(struct msg_w *, uint32_t n);	/* n elements follow */
/* Patch the length; CV_ERR_MSG_TOOBIG past MSG_MAX_FRAME. */
int	msg_finish(struct msg_w *) CV_WUR;
void	msg_w_free(struct msg_w *);			/* wipes */
/* Unmap the calling thread's kept frame buffer (it is empty and wiped). */
void	msg_w_release(void);

/* Reads fields in order from one array (top level or nested). */
struct msg_rd {
	const msgpack_object	*f;
	uint32_t		 n;
	uint32_t		 pos;
	/*
	 * 1 for a message's top level only: msg_decode checked each of
	 * its strings against the table (UTF-8, no NUL), and msg_get_str
	 * checks only the length there; 0 (nested arrays): both.
	 */
	int			 checked;
};

/* One decoded message.  Strings and bins point into the frame bytes. */
struct msg {
	uint32_t		 type;
	uint32_t		 id;
	struct msg_rd		 rd;
	msgpack_unpacked	 up;
	int			 live;
};

/* Fixed field count of a message type, -1 for an unknown type. */
int	msg_nfields(uint32_t type);

/*
 * Decode one frame payload (without the length header) into m.  Checks:
 * one msgpack object, nothing after it, an array whose first two elements
 * are unsigned (a known type and a 32-bit id) and whose field count is the
 * type's.  The payload must outlive m.  Call msg_clear after success.
 */
int	msg_decode(struct msg *m, const uint8_t *p, size_t len) CV_WUR;
void	msg_clear(struct msg *);

int	msg_get_u64(struct msg_rd *, uint64_t *) CV_WUR;
int	msg_get_i64(struct msg_rd *, int64_t *) CV_WUR;
int	msg_get_bool(struct msg_rd *, int *) CV_WUR;
/* A valid UTF-8 string with no NUL, at most max bytes; not terminated. */
int	msg_get_str(struct msg_rd *, const char **, size_t *, size_t max)
	    CV_WUR;
/* The same, copied NUL-terminated into buf (bufsz includes the NUL). */
int	msg_get_strbuf(struct msg_rd *, char *buf, size_t bufsz) CV_WUR;
int	msg_get_bin(struct msg_rd *, const uint8_t **, size_t *, size_t max)
	    CV_WUR;
/* Enter a nested array of at most max elements. */
int	msg_get_array(struct msg_rd *, struct msg_rd *sub, uint32_t max)
	    CV_WUR;
/* CV_ERR_MSG_COUNT unless every element of rd was read. */
int	msg_rd_done(const struct msg_rd *) CV_WUR;

/*
 * A framed channel over one socket.  Input is buffered until a whole
 * frame is there; output is queued and flushed.  Every buffer is wiped,
 * and locked (struct msgbuf's lock).  A queue grown past CHAN_KEEP is
 * only written from, never moved down or added to: frames queued behind
 * it wait in more, in order, each buffer past CHAN_KEEP given there
 * kept whole and uncopied (up to CHAN_MORE of them; then, and for
 * smaller frames, copied behind the last); the first becomes the queue
 * once the one before is all written.
 */
#define CHAN_MORE		8
struct chan {
	int		 fd;
	struct msgbuf	 in;
	size_t		 inoff;
	struct msgbuf	 out;
	size_t		 outoff;
	struct msgbuf	 more[CHAN_MORE];	/* behind a large out */
	size_t		 nmore;
};

void	chan_init(struct chan *, int fd);
void	chan_free(struct chan *);	/* wipes and closes fd */
/* One read(2): 0, CV_ERR_AGAIN (nonblocking, nothing there), CV_ERR_EOF, CV_ERR_IO. */
int	chan_fill(struct chan *) CV_WUR;
/*
 * Take the next whole frame from the input: 0 with m decoded,
 * CV_ERR_AGAIN when no whole frame is buffered, CV_ERR_MSG_TOOBIG as soon
 * as a header announces more than MSG_MAX_FRAME, or msg_decode's error.
 * m stays valid until the next chan_next, chan_drop or chan_fill: with
 * CV_ERR_AGAIN, chan_next wipes the frames taken before (chan_drop), so
 * no message of c may be live when it is called.
 */
int	chan_next(struct chan *, struct msg *m) CV_WUR;
/*
 * Wipe the frames chan_next has taken, as chan_fill does before it
 * reads and chan_next when no whole frame is left: for a reader that
 * stops taking frames before that (vaultd's turn of a control client),
 * so that what they carried is not kept meanwhile.  Their messages must
 * be cleared.
 */
void	chan_drop(struct chan *);
/* Queue a finished frame (and free w). */
int	chan_queue(struct chan *, struct msg_w *w) CV_WUR;
/*
 * Queue b's finished frames, taking its memory (locking it) when
 * nothing is queued, the queue's own memory is smaller and b's is pages
 * of its own, or when b's frames are past CHAN_KEEP and go behind a
 * large queue (more); b is left empty (wiped and freed) either way.
 */
int	chan_queue_buf(struct chan *, struct msgbuf *b) CV_WUR;
/* Write what is queued: 0 when all is out, CV_ERR_AGAIN, CV_ERR_IO. */
int	chan_flush(struct chan *) CV_WUR;
int	chan_pending(const struct chan *);
/* The bytes queued and not yet written. */
size_t	chan_unwritten(const struct chan *);
/* 1 if a whole frame is buffered: chan_next will not need to read. */
int	chan_has_frame(const struct chan *);

/*
 * Blocking helpers for simple peers: send w (freeing it) and flush; read
 * until one message arrives.
 */
int	chan_send(struct chan *, struct msg_w *w) CV_WUR;
int	chan_recv(struct chan *, struct msg *m) CV_WUR;

/*
 * Read MSG_ERROR_ANS's fields: a code in [-1000, -1] and its text (at
 * most MSG_ERROR_TEXT_MAX bytes), copied NUL-terminated into text,
 * truncated to textsz.  CV_ERR_MSG_STATE for a code out of range.
 */
int	msg_get_error(struct msg *m, int *code, char *text, size_t textsz)
	    CV_WUR;

/* Answer request id with MSG_ERROR_ANS [code, text]; text is cut to
 * MSG_ERROR_TEXT_MAX bytes at a character boundary.  msg_error_begin
 * makes the same frame in w, for the caller to queue. */
void	msg_error_begin(struct msg_w *, uint32_t id, int code,
	    const char *text);
int	msg_error_ans(struct chan *, uint32_t id, int code, const char *text)
	    CV_WUR;

#endif
