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
#define MSG_VERSION		4

#define MSG_HDR_LEN		4
#define MSG_MAX_FRAME		(1024 * 1024)	/* payload bytes */
#define MSG_MAX_STR		4096		/* default string bound */
#define MSG_MAX_ARRAY		256		/* default nested array bound */

/* Messages come in _REQ/_ANS pairs; the comment says who sends the _REQ. */
enum msg_type {
	MSG_NONE = 0,
	MSG_ERROR_ANS,		/* any callee: a _REQ failed: [code, text] */
	MSG_HELLO_REQ,		/* child -> vaultd: [version, procname] */
	MSG_HELLO_ANS,		/* [version] */
	MSG_STATUS_REQ,		/* vaultd -> child: [] */
	MSG_STATUS_ANS,		/* [pid, uid, chroot, netns, mntns, seccomp] */
	MSG_PROBE_REQ,		/* vaultd -> child, test mode only: [kind] */
	MSG_PROBE_ANS,		/* [] */
	MSG_CTL_HELLO_REQ,	/* vaultctl -> vaultd: [version] */
	MSG_CTL_HELLO_ANS,	/* [version] */
	MSG_CTL_STATUS_REQ,	/* vaultctl -> vaultd: [] */
	MSG_CTL_STATUS_ANS,	/* [home, testmode, vault, [[name, pid, uptime,
				    restarts, state, sandbox, last_exit]...]] */
	MSG_CTL_PROBE_REQ,	/* vaultctl -> vaultd, test mode: [child, kind] */
	MSG_CTL_PROBE_ANS,	/* [] */

	/* The vault.  vaultd holds ciphertext; signerd holds the keys. */
	MSG_VAULT_CREATE_REQ,	/* vaultd -> signerd: [cred, keyfile, ops, mem] */
	MSG_VAULT_CREATE_ANS,	/* [file, audit public key, box public key] */
	MSG_VAULT_UNLOCK_REQ,	/* vaultd -> signerd: [file, cred, keyfile] */
	MSG_VAULT_UNLOCK_ANS,	/* [audit public key, generation, box public
				    key] */
	MSG_VAULT_LOCK_REQ,	/* vaultd -> signerd: [] */
	MSG_VAULT_LOCK_ANS,	/* [] */
	MSG_VAULT_PUT_REQ,	/* vaultd -> signerd: [type, account, key id,
				    nonce, payload] */
	MSG_VAULT_PUT_ANS,	/* [file, info] */
	MSG_VAULT_DEL_REQ,	/* vaultd -> signerd: [type, account, key id] */
	MSG_VAULT_DEL_ANS,	/* [file] */
	MSG_VAULT_PASSWD_REQ,	/* vaultd -> signerd: [old, new, keyfile, ops,
				    mem] */
	MSG_VAULT_PASSWD_ANS,	/* [file] */
	MSG_VAULT_COMMIT_REQ,	/* vaultd -> signerd: [generation, written] */
	MSG_VAULT_COMMIT_ANS,	/* [] */
	MSG_VAULT_LIST_REQ,	/* vaultd -> signerd: [] */
	MSG_VAULT_LIST_ANS,	/* [[type, flags, account, key id, nonce,
				    info]...] */
	MSG_AUDIT_SIGN_REQ,	/* vaultd -> signerd: [checkpoint line] */
	MSG_AUDIT_SIGN_ANS,	/* [signature hex, file with the new anchor] */

	MSG_CTL_INIT_REQ,	/* vaultctl -> vaultd: [cred, keyfile, kdf] */
	MSG_CTL_INIT_ANS,	/* [] */
	MSG_CTL_UNLOCK_REQ,	/* vaultctl -> vaultd: [cred, keyfile] */
	MSG_CTL_UNLOCK_ANS,	/* [was already unlocked] */
	MSG_CTL_LOCK_REQ,	/* vaultctl -> vaultd: [] */
	MSG_CTL_LOCK_ANS,	/* [was already locked] */
	MSG_CTL_PASSWD_REQ,	/* vaultctl -> vaultd: [old, new, keyfile, kdf] */
	MSG_CTL_PASSWD_ANS,	/* [] */
	MSG_CTL_PUT_REQ,	/* vaultctl -> vaultd: as MSG_VAULT_PUT_REQ */
	MSG_CTL_PUT_ANS,	/* [info] */
	MSG_CTL_DEL_REQ,	/* vaultctl -> vaultd: as MSG_VAULT_DEL_REQ */
	MSG_CTL_DEL_ANS,	/* [] */
	MSG_CTL_LIST_REQ,	/* vaultctl -> vaultd: [] */
	MSG_CTL_LIST_ANS,	/* as MSG_VAULT_LIST_ANS */
	MSG_CTL_AUDIT_REQ,	/* vaultctl -> vaultd: [verify, tail] */
	MSG_CTL_AUDIT_ANS,	/* [result, text] */

	/* Signing: a canonical request, gated and audited by vaultd. */
	MSG_SIGN_REQ,		/* vaultd -> signerd: [account, level, method,
				    path, body, timestamp, nonce] */
	MSG_SIGN_ANS,		/* [[name, value]...] */
	MSG_CTL_HEADERS_REQ,	/* vaultctl -> vaultd: [account, level,
				    method, path, body, nonce] */
	MSG_CTL_HEADERS_ANS,	/* [[name, value]...] */

	/* The vault, continued: what the exchange gives and takes. */
	MSG_VAULT_STORE_REQ,	/* vaultd -> signerd: [type, account, nonce,
				    sealed box from netd] */
	MSG_VAULT_STORE_ANS,	/* [file, key id, info] */
	MSG_VAULT_MARK_REQ,	/* vaultd -> signerd: [type, account, key id,
				    record flags] */
	MSG_VAULT_MARK_ANS,	/* [file] */
	MSG_VAULT_ACCOUNT_REQ,	/* vaultd -> signerd: [account] */
	MSG_VAULT_ACCOUNT_ANS,	/* [account JSON: profile, url, ca_file, pin] */

	/* Exchange calls: vaultctl asks, vaultd routes, netd calls. */
	MSG_CTL_CALL_REQ,	/* vaultctl -> vaultd: [account, call,
				    [[name, value]...]] */
	MSG_CTL_CALL_ANS,	/* [http status, result JSON, vault change] */
	MSG_NET_CALL_REQ,	/* vaultd -> netd: [account, profile, url,
				    CA PEM, pin, call, [[name, value]...],
				    box public key] */
	MSG_NET_CALL_ANS,	/* [http status, result JSON, effect, record
				    type, key id, nonce, sealed box] */
	MSG_NET_SIGN_REQ,	/* netd -> vaultd: [call id, level, method,
				    path, body, nonce] */
	MSG_NET_SIGN_ANS,	/* [[name, value]...] */
	MSG_TYPE_MAX
};

/* The message's name for logs ("MSG_HELLO_REQ"), "MSG_?" if unknown. */
const char	*msg_name(uint32_t type);

/* A growable byte buffer that wipes what it frees or leaves behind. */
struct msgbuf {
	uint8_t	*data;
	size_t	 len;
	size_t	 cap;
};

void	msgbuf_free(struct msgbuf *);		/* wipes; accepts empty */
int	msgbuf_add(struct msgbuf *, const void *, size_t) CV_WUR;

/* Builds one frame.  Errors are sticky and reported by msg_finish. */
struct msg_w {
	struct msgbuf	 buf;
	msgpack_packer	 pk;
	uint32_t	 type;
	int		 err;
};

/* Start a frame of type with request id; the field count is msg_nfields. */
void	msg_begin(struct msg_w *, uint32_t type, uint32_t id);
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

/* Reads fields in order from one array (top level or nested). */
struct msg_rd {
	const msgpack_object	*f;
	uint32_t		 n;
	uint32_t		 pos;
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
 * frame is there; output is queued and flushed.  Both buffers are wiped.
 */
struct chan {
	int		 fd;
	struct msgbuf	 in;
	size_t		 inoff;
	struct msgbuf	 out;
	size_t		 outoff;
};

void	chan_init(struct chan *, int fd);
void	chan_free(struct chan *);	/* wipes and closes fd */
/* One read(2): 0, CV_ERR_AGAIN (nonblocking, nothing there), CV_ERR_EOF, CV_ERR_IO. */
int	chan_fill(struct chan *) CV_WUR;
/*
 * Take the next whole frame from the input: 0 with m decoded,
 * CV_ERR_AGAIN when no whole frame is buffered, CV_ERR_MSG_TOOBIG as soon
 * as a header announces more than MSG_MAX_FRAME, or msg_decode's error.
 * m stays valid until the next chan_next or chan_fill.
 */
int	chan_next(struct chan *, struct msg *m) CV_WUR;
/* Queue a finished frame (and free w). */
int	chan_queue(struct chan *, struct msg_w *w) CV_WUR;
/* Write what is queued: 0 when all is out, CV_ERR_AGAIN, CV_ERR_IO. */
int	chan_flush(struct chan *) CV_WUR;
int	chan_pending(const struct chan *);
/* 1 if a whole frame is buffered: chan_next will not need to read. */
int	chan_has_frame(const struct chan *);

/*
 * Blocking helpers for simple peers: send w (freeing it) and flush; read
 * until one message arrives.
 */
int	chan_send(struct chan *, struct msg_w *w) CV_WUR;
int	chan_recv(struct chan *, struct msg *m) CV_WUR;

/* Answer request id with MSG_ERROR_ANS [code, text]. */
int	msg_error_ans(struct chan *, uint32_t id, int code, const char *text)
	    CV_WUR;

#endif
