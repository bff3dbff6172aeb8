#include "common/cv_err.h"

const char *
cv_strerror(int e)
{
	switch (e) {
	case CV_OK:			return "success";
	case CV_ERR_INTERNAL:		return "internal error";
	case CV_ERR_NOMEM:		return "out of memory";
	case CV_ERR_IO:			return "input/output error";
	case CV_ERR_EOF:		return "peer closed the connection";
	case CV_ERR_AGAIN:		return "incomplete message";
	case CV_ERR_INVALID:		return "invalid argument";
	case CV_ERR_DECODE:		return "malformed encoding";
	case CV_ERR_CHECKSUM:		return "address checksum mismatch";
	case CV_ERR_TOOLONG:		return "value too long";
	case CV_ERR_MSG_TRUNCATED:	return "truncated message";
	case CV_ERR_MSG_TOOBIG:		return "message frame too large";
	case CV_ERR_MSG_MALFORMED:	return "malformed message";
	case CV_ERR_MSG_TRAILING:	return "trailing bytes after message";
	case CV_ERR_MSG_TYPE:		return "message field of wrong type";
	case CV_ERR_MSG_COUNT:		return "wrong number of message fields";
	case CV_ERR_MSG_UNKNOWN:	return "unknown message type";
	case CV_ERR_MSG_VERSION:	return "protocol version mismatch";
	case CV_ERR_MSG_STRING:		return "invalid string in message";
	case CV_ERR_MSG_LENGTH:		return "message field too long";
	case CV_ERR_MSG_STATE:		return "message not permitted in this state";
	case CV_ERR_PERM:		return "permissions too open or peer not allowed";
	case CV_ERR_SANDBOX:		return "sandbox could not be installed";
	case CV_ERR_PRIVDROP:		return "could not drop privileges";
	case CV_ERR_NOTRUNNING:		return "vaultd is not running";
	case CV_ERR_LOCKED:		return "vault is locked";
	case CV_ERR_DENIED:		return "denied by policy";
	case CV_ERR_NOTFOUND:		return "not found";
	case CV_ERR_EXISTS:		return "already exists";
	case CV_ERR_BADPASS:		return "wrong passphrase or keyfile";
	case CV_ERR_TAMPERED:		return "data failed authentication (tampered or corrupt)";
	case CV_ERR_CORRUPT:		return "data is corrupt";
	case CV_ERR_FORMAT_VERSION:	return "unknown file format version";
	case CV_ERR_NOSPACE:		return "no space left on device";
	case CV_ERR_STALE:		return "timestamp outside the allowed clock skew";
	case CV_ERR_TRANSPORT:		return "network or TLS failure";
	case CV_ERR_EXCHANGE:		return "exchange returned an error";
	case CV_ERR_USAGE:		return "usage error";
	case CV_ERR_BADSIG:		return "signature does not verify";
	case CV_ERR_RESPONSE:		return "malformed answer from the exchange";
	case CV_ERR_ROLLBACK:		return "vault and audit log disagree (an older copy was put back)";
	case CV_ERR_TIMEOUT:		return "deadline passed";
	case CV_ERR_AUTH:		return "client credentials refused";
	case CV_ERR_PERMISSIONS:	return "key permissions not allowed";
	case CV_ERR_NOCLIENT:		return "client credentials refused: no client has the key id";
	}
	return "unknown error";
}
