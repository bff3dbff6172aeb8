/*
 * clobvault error convention: 0 on success, a negative CV_ERR_* on failure.
 * cv_strerror() gives the one human text for each code.  Numbers are stable:
 * vaultctl maps classes of them to exit codes, and tests assert them.
 */
#ifndef CV_ERR_H
#define CV_ERR_H

#define CV_WUR __attribute__((warn_unused_result))

enum cv_err {
	CV_OK			= 0,
	CV_ERR_INTERNAL		= -1,	/* broken invariant */
	CV_ERR_NOMEM		= -2,
	CV_ERR_IO		= -3,	/* a system call failed; errno kept */
	CV_ERR_EOF		= -4,	/* peer closed the channel */
	CV_ERR_AGAIN		= -5,	/* no complete frame yet */
	CV_ERR_INVALID		= -6,	/* bad argument or input */
	CV_ERR_DECODE		= -7,	/* bad hex / base64 / number text */
	CV_ERR_CHECKSUM		= -8,	/* EIP-55 checksum mismatch */
	CV_ERR_TOOLONG		= -9,	/* output buffer or bound exceeded */

	/* peer messages */
	CV_ERR_MSG_TRUNCATED	= -20,	/* frame shorter than its header says */
	CV_ERR_MSG_TOOBIG	= -21,	/* frame over MSG_MAX_FRAME */
	CV_ERR_MSG_MALFORMED	= -22,	/* not one msgpack object */
	CV_ERR_MSG_TRAILING	= -23,	/* bytes after the object */
	CV_ERR_MSG_TYPE		= -24,	/* a field has the wrong msgpack type */
	CV_ERR_MSG_COUNT	= -25,	/* wrong number of fields */
	CV_ERR_MSG_UNKNOWN	= -26,	/* unknown message type */
	CV_ERR_MSG_VERSION	= -27,	/* MSG_VERSION mismatch */
	CV_ERR_MSG_STRING	= -28,	/* string not valid UTF-8 or has NUL */
	CV_ERR_MSG_LENGTH	= -29,	/* string/bin/array over its bound */
	CV_ERR_MSG_STATE	= -30,	/* message not permitted now */

	/* system and policy */
	CV_ERR_PERM		= -40,	/* file or peer permissions wrong */
	CV_ERR_SANDBOX		= -41,	/* sandbox could not be installed */
	CV_ERR_PRIVDROP		= -42,	/* chroot / setuid failed */
	CV_ERR_NOTRUNNING	= -43,	/* vaultd not reachable */
	CV_ERR_LOCKED		= -44,	/* vault locked */
	CV_ERR_DENIED		= -45,	/* refused by policy */
	CV_ERR_NOTFOUND		= -46,
	CV_ERR_EXISTS		= -47,
	CV_ERR_BADPASS		= -48,	/* wrong passphrase or keyfile */
	CV_ERR_TAMPERED		= -49,	/* authentication failed on stored data */
	CV_ERR_CORRUPT		= -50,	/* stored data malformed */
	CV_ERR_FORMAT_VERSION	= -51,	/* unknown file format version */
	CV_ERR_NOSPACE		= -52,	/* disk full during a write */
	CV_ERR_STALE		= -53,	/* timestamp outside the allowed skew */
	CV_ERR_TRANSPORT	= -54,	/* connect / TLS / timeout */
	CV_ERR_EXCHANGE		= -55,	/* exchange answered with an error */
	CV_ERR_USAGE		= -56,	/* command line misuse */
	CV_ERR_BADSIG		= -57,	/* signature does not verify */
	CV_ERR_RESPONSE		= -58,	/* the exchange's answer is malformed */
	CV_ERR_ROLLBACK		= -59,	/* vault and audit log disagree: one
					   of them was put back to an older copy */
	CV_ERR_TIMEOUT		= -60,	/* a deadline passed */
	CV_ERR_AUTH		= -61,	/* a client's credentials refused */
	CV_ERR_PERMISSIONS	= -62,	/* key permissions asked for are not
					   allowed (policy or calling key) */
	CV_ERR_NOCLIENT		= -63,	/* client credentials refused, and no
					   client has the key id (signerd to
					   vaultd only) */
};

const char	*cv_strerror(int) CV_WUR;

#endif
