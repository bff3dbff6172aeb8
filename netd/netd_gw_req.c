/*
 * The gateway, a bot's request as it arrives (libmicrohttpd's first
 * calls of netd_gw.c's handler): the method, the target as sent, the
 * body's announced length, the client's credentials and the three
 * headers that may go upstream, then the body, bounded.  Refusals here
 * are answered before vaultd hears of the request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "common/log.h"
#include "netd/netd_gw.h"

/* The client's credential headers, by prefix and field. */
static const char *const gw_prefixes[] = { "POLY_", "OPENFISH_" };
enum { F_KEY, F_PASS, F_SIG, F_TS, F_ADDR, F_N };
static const char *const gw_fields[] = {
	"API_KEY", "PASSPHRASE", "SIGNATURE", "TIMESTAMP", "ADDRESS"
};
static const size_t gw_field_max[] = {
	GW_KEY_MAX, GW_PASS_MAX, GW_SIG_MAX, GW_TS_MAX, 0
};

/* What one walk over a request's headers found. */
struct gw_hwalk {
	struct gw_req	*r;
	unsigned int	 seen[2];	/* bit per field, per prefix */
	unsigned int	 status;	/* 0, or the refusal's */
	char		 why[200];
};

void
gw_creds_wipe(struct gw_req *r)
{
	sodium_memzero(r->key, sizeof(r->key));
	sodium_memzero(r->pass, sizeof(r->pass));
	sodium_memzero(r->ts, sizeof(r->ts));
	sodium_memzero(r->sig, sizeof(r->sig));
}

/* A value that may go into msgpack and an HTTP header: printable. */
static int
gw_printable(const char *v, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return 0;
	return 1;
}

/* The client's headers that go upstream: no control byte but tab. */
static int
gw_passable(const char *v)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

static int
gw_keep(struct gw_hwalk *w, char **dst, const char *name, const char *v)
{
	if (*dst != NULL) {
		w->status = 400;
		snprintf(w->why, sizeof(w->why), "header %s given twice",
		    name);
		return 0;
	}
	if (strlen(v) > NETD_GW_CLIENT_HDR_MAX || !gw_passable(v)) {
		w->status = 400;
		snprintf(w->why, sizeof(w->why), "header %s is too long or "
		    "holds a control character", name);
		return 0;
	}
	if ((*dst = strdup(v)) == NULL)
		fatalx("out of memory");
	return 1;
}

static enum MHD_Result
gw_hdr_cb(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct gw_hwalk	*w = cls;
	struct gw_req	*r = w->r;
	char		*dst[F_N];
	size_t		 p, f, plen, vlen;
	const char	*v = value != NULL ? value : "";

	if (strcasecmp(key, "Content-Type") == 0)
		return gw_keep(w, &r->ctype, "Content-Type", v) ? MHD_YES :
		    MHD_NO;
	if (strcasecmp(key, "Accept") == 0)
		return gw_keep(w, &r->accept, "Accept", v) ? MHD_YES : MHD_NO;
	if (strcasecmp(key, "User-Agent") == 0)
		return gw_keep(w, &r->agent, "User-Agent", v) ? MHD_YES :
		    MHD_NO;
	dst[F_KEY] = r->key;
	dst[F_PASS] = r->pass;
	dst[F_SIG] = r->sig;
	dst[F_TS] = r->ts;
	for (p = 0; p < 2; p++) {
		plen = strlen(gw_prefixes[p]);
		if (strncasecmp(key, gw_prefixes[p], plen) != 0)
			continue;
		for (f = 0; f < F_N; f++)
			if (strcasecmp(key + plen, gw_fields[f]) == 0)
				break;
		/* _ADDRESS is read and ignored: vaultd knows the account. */
		if (f == F_N || f == F_ADDR)
			return MHD_YES;
		vlen = strlen(v);
		if (w->seen[p] & (1u << f)) {
			w->status = 400;
			snprintf(w->why, sizeof(w->why), "header %s%s given "
			    "twice", gw_prefixes[p], gw_fields[f]);
			return MHD_NO;
		}
		if (vlen == 0 || vlen > gw_field_max[f] ||
		    !gw_printable(v, vlen)) {
			w->status = 400;
			snprintf(w->why, sizeof(w->why), "header %s%s must be "
			    "1 to %zu printable characters", gw_prefixes[p],
			    gw_fields[f], gw_field_max[f]);
			return MHD_NO;
		}
		w->seen[p] |= 1u << f;
		/* Another prefix's value is refused below, never sent. */
		memcpy(dst[f], v, vlen + 1);
		return MHD_YES;
	}
	return MHD_YES;
}

/*
 * The client's credentials: all four of one prefix (sent to vaultd),
 * none (an anonymous request: vaultd's policy decides), anything else
 * refused here.
 */
static int
gw_client_hdrs(struct gw_req *r, struct gw_hwalk *w)
{
	const unsigned int	 all = (1u << F_KEY) | (1u << F_PASS) |
	    (1u << F_SIG) | (1u << F_TS);
	const char		*sep;
	size_t			 p, f, n;

	memset(w, 0, sizeof(*w));
	w->r = r;
	(void)MHD_get_connection_values(r->conn, MHD_HEADER_KIND, gw_hdr_cb,
	    w);
	if (w->status != 0)
		return -1;
	if (w->seen[0] != 0 && w->seen[1] != 0) {
		w->status = 401;
		snprintf(w->why, sizeof(w->why), "incomplete client "
		    "credentials: both POLY_ and OPENFISH_ headers");
		return -1;
	}
	for (p = 0; p < 2; p++) {
		if (w->seen[p] == 0 || w->seen[p] == all)
			continue;
		w->status = 401;
		n = (size_t)snprintf(w->why, sizeof(w->why), "incomplete "
		    "client credentials: missing");
		for (f = 0, sep = " "; f < F_ADDR; f++)
			if (!(w->seen[p] & (1u << f)) && n < sizeof(w->why)) {
				n += (size_t)snprintf(w->why + n,
				    sizeof(w->why) - n, "%s%s%s", sep,
				    gw_prefixes[p], gw_fields[f]);
				sep = ", ";
			}
		return -1;
	}
	return 0;
}

int
gw_head(struct gw_req *r, const char *method)
{
	struct gw_hwalk	 w;
	const char	*cl;
	char		*end;
	unsigned long long n;
	size_t		 i, mlen = strlen(method);

	for (i = 0; i < mlen && i < sizeof(r->method) - 1; i++)
		if (method[i] < 'A' || method[i] > 'Z')
			break;
	if (mlen == 0 || i != mlen) {
		snprintf(r->method, sizeof(r->method), "?");
		gw_answer_error(r, 405, "gateway: method not allowed");
		return 1;
	}
	memcpy(r->method, method, mlen + 1);
	if (r->target == NULL) {
		gw_answer_error(r, 414, "gateway: the request target is over "
		    "%d bytes", NETD_GW_TARGET_MAX);
		return 1;
	}
	/* Printable, no space; no fragment, which libcurl would drop. */
	for (i = 0; i < r->targetlen; i++)
		if (r->target[i] <= 0x20 || r->target[i] > 0x7e ||
		    r->target[i] == '#')
			break;
	if (r->target[0] != '/' || i != r->targetlen) {
		gw_answer_error(r, 400, "gateway: the request target must be "
		    "a path of printable characters without '#'");
		return 1;
	}
	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno != 0 || end == cl || n > NETD_GW_BODY_MAX) {
			gw_answer_error(r, 413, "gateway: the body is over %d "
			    "bytes", NETD_GW_BODY_MAX);
			return 1;
		}
	}
	if (gw_client_hdrs(r, &w) != 0) {
		gw_answer_error(r, w.status, "%s", w.why);
		gw_creds_wipe(r);
		return 1;
	}
	return 0;
}

int
gw_body_add(struct gw_req *r, const char *p, size_t len)
{
	size_t	 cap;
	uint8_t	*nb;

	if (len > NETD_GW_BODY_MAX - r->len)
		return -1;
	if (r->len + len > r->cap) {
		cap = r->cap == 0 ? 1024 : r->cap;
		while (cap < r->len + len)
			cap *= 2;
		if (cap > NETD_GW_BODY_MAX)
			cap = NETD_GW_BODY_MAX;
		if ((nb = netd_mem_realloc(r->body, cap)) == NULL)
			fatalx("out of memory");
		r->body = nb;
		r->cap = cap;
	}
	memcpy(r->body + r->len, p, len);
	r->len += len;
	return 0;
}

