/*
 * Fuzz signerd's gate and its L2 signatures (signerd/signerd_sign.h) on
 * a request as vaultd passes one on from a bot: the first byte picks
 * the level and the profile, then come lines of method, path, timestamp
 * and a client's signature, then the body.  The path is handed over with
 * its length and no NUL after it, as it lies in vaultd's message.
 * A request the gate admits at L2 is signed; the signature must verify
 * as a gateway client's (sign_client_verify), and fail with one byte of
 * the body or of the path before its query changed.  The client's
 * signature from the input must not verify unless it is that one.  Any
 * disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/profile.h"
#include "signerd/signerd_sign.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
#define ADDRESS		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"

/* The next line of data, NUL-terminated (a NUL in it ends it early). */
static char *
field(const uint8_t *data, size_t size, size_t *off, size_t *len)
{
	const uint8_t	*nl;
	char		*s;
	size_t		 n;

	nl = *off < size ? memchr(data + *off, '\n', size - *off) : NULL;
	n = nl != NULL ? (size_t)(nl - (data + *off)) : size - *off;
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, data + *off, n);
	s[n] = '\0';
	*off += n + (nl != NULL);
	if (len != NULL)
		*len = n;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum catalog_auth levels[] = { CATALOG_L1, CATALOG_L2,
	    CATALOG_BUILDER, CATALOG_BEARER };
	static const char *const profiles[] = { "polymarket", "openfish" };
	const struct profile	*p;
	struct sign_headers	 h;
	struct sign_req		 req;
	const char		*sig, *q;
	char			*method, *path, *ts, *client, *line;
	uint8_t			*body = NULL, *pcopy;
	size_t			 off = 1, pathlen, len, i;
	int64_t			 now = 1700000000;
	int			 r, ro;

	if (size == 0 || sodium_init() < 0)
		return 0;
	if ((p = profile_find(profiles[(data[0] >> 2) & 1])) == NULL)
		abort();
	method = field(data, size, &off, NULL);
	line = field(data, size, &off, &pathlen);
	/* the path exactly as long as it is: an overread shows */
	if ((path = malloc(pathlen > 0 ? pathlen : 1)) == NULL)
		abort();
	memcpy(path, line, pathlen);
	free(line);
	ts = field(data, size, &off, NULL);
	client = field(data, size, &off, NULL);
	len = size - off;
	if (len > 0) {
		if ((body = malloc(len)) == NULL)
			abort();
		memcpy(body, data + off, len);
	}

	memset(&req, 0, sizeof(req));
	req.account = "main";
	req.level = levels[data[0] & 3];
	req.method = method;
	req.path = path;
	req.pathlen = pathlen;
	req.body = body;
	req.bodylen = len;
	req.timestamp = ts;
	if (data[0] & 8)
		now = (int64_t)strtoll(ts, NULL, 10);
	r = sign_req_check(&req, now, SIGN_SKEW_DEFAULT);
	ro = sign_order_req_check(&req, now, SIGN_SKEW_DEFAULT);
	if (ro == 0 && (r != 0 || !sign_order_endpoint(&req)))
		abort();
	(void)!sign_client_verify(p, key, sizeof(key), ts, method, path,
	    pathlen, body, len, client);

	memset(&h, 0, sizeof(h));
	if ((r == 0 || ro == 0) && req.level == CATALOG_L2 &&
	    sign_l2(p, ADDRESS, "key-1", key, sizeof(key), "pass", &req,
	    &h) == 0) {
		char	name[SIGN_HDR_NAME_MAX + 1];

		snprintf(name, sizeof(name), "%sSIGNATURE", p->hdr_prefix);
		if ((sig = sign_headers_get(&h, name)) == NULL)
			abort();
		if (sign_client_verify(p, key, sizeof(key), ts, method, path,
		    pathlen, body, len, sig) != 0)
			abort();
		if (strcmp(client, sig) != 0 && sign_client_verify(p, key,
		    sizeof(key), ts, method, path, pathlen, body, len,
		    client) == 0)
			abort();
		if (len > 0) {
			body[len - 1] ^= 1;
			if (sign_client_verify(p, key, sizeof(key), ts,
			    method, path, pathlen, body, len, sig) == 0)
				abort();
		}
		/* the path before any query: a query is signed or not by
		 * the profile */
		q = memchr(path, '?', pathlen);
		i = (q != NULL ? (size_t)(q - path) : pathlen) - 1;
		if ((pcopy = malloc(pathlen)) == NULL)
			abort();
		memcpy(pcopy, path, pathlen);
		pcopy[i] ^= 1;
		if (pcopy[i] > 0x20 && pcopy[i] < 0x7f && pcopy[i] != '#' &&
		    sign_client_verify(p, key, sizeof(key), ts, method,
		    (const char *)pcopy, pathlen, body, len, sig) == 0)
			abort();
		free(pcopy);
	}
	sign_headers_clear(&h);
	free(method);
	free(path);
	free(ts);
	free(client);
	free(body);
	return 0;
}
