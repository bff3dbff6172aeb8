/*
 * Fuzz the gateway's reading of what bots and the exchange send it
 * (netd/netd_gw.c, netd_gw_req.c, netd_gw_up.c), with libmicrohttpd's
 * side played here.  The first byte picks the input's meaning:
 *
 *   even: a bot's request as libmicrohttpd hands it over, the method
 *	and the target on the first two lines, then "Name: value" header
 *	lines up to an empty one, then the body, given in chunks of a
 *	size the first byte also picks.  The request is routed as netd
 *	routes it; a MSG_GW_REQ it makes must decode as vaultd reads it,
 *	with the target a path as sent;
 *   odd: the header lines of the exchange's answer, as libcurl hands
 *	them to the gateway (and to netd's own calls): every one kept
 *	for the bot must be a header that may pass, within the bounds.
 *
 * Any disagreement aborts.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netd/netd_clock.c"
#include "netd/netd_gw.c"
#include "netd/netd_gw_req.c"
#include "netd/netd_gw_up.c"
#undef SETOPT		/* netd_http.c's own */
#include "netd/netd_http.c"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* libmicrohttpd's part: one connection, its headers, its answers. */
#define HDRS_MAX	64
static struct {
	const char	*name[HDRS_MAX];
	const char	*value[HDRS_MAX];
	size_t		 n;
	int		 suspended;
} conn;

struct MHD_Response {
	void				*buf;
	MHD_ContentReaderFreeCallback	 crfc;
};

int
MHD_get_connection_values(struct MHD_Connection *c, enum MHD_ValueKind kind,
    MHD_KeyValueIterator it, void *cls)
{
	size_t	i;

	for (i = 0; i < conn.n; i++)
		if (it != NULL && it(cls, kind, conn.name[i],
		    conn.value[i]) != MHD_YES)
			return (int)i + 1;
	return (int)conn.n;
}

const char *
MHD_lookup_connection_value(struct MHD_Connection *c, enum MHD_ValueKind kind,
    const char *key)
{
	size_t	i;

	for (i = 0; i < conn.n; i++)
		if (strcasecmp(conn.name[i], key) == 0)
			return conn.value[i];
	return NULL;
}

struct MHD_Response *
MHD_create_response_from_buffer_with_free_callback(size_t size, void *buf,
    MHD_ContentReaderFreeCallback crfc)
{
	struct MHD_Response	*resp;

	if ((resp = calloc(1, sizeof(*resp))) == NULL)
		abort();
	resp->buf = buf;
	resp->crfc = crfc;
	return resp;
}

struct MHD_Response *
MHD_create_response_from_buffer(size_t size, void *buf,
    enum MHD_ResponseMemoryMode mode)
{
	if (mode != MHD_RESPMEM_PERSISTENT)
		abort();
	return MHD_create_response_from_buffer_with_free_callback(size, NULL,
	    NULL);
}

void
MHD_destroy_response(struct MHD_Response *resp)
{
	if (resp->crfc != NULL)
		resp->crfc(resp->buf);
	free(resp);
}

enum MHD_Result
MHD_add_response_header(struct MHD_Response *resp, const char *name,
    const char *value)
{
	return MHD_YES;
}

enum MHD_Result
MHD_queue_response(struct MHD_Connection *c, unsigned int status,
    struct MHD_Response *resp)
{
	if (status < 100 || status > 599)
		abort();
	return MHD_YES;
}

void
MHD_suspend_connection(struct MHD_Connection *c)
{
	if (conn.suspended)
		abort();
	conn.suspended = 1;
}

void
MHD_resume_connection(struct MHD_Connection *c)
{
	if (!conn.suspended)
		abort();
	conn.suspended = 0;
}

static struct netd	 nd;
static struct netd_gw	*gw;

/* The next line of data[*off..size), without its CR LF; NULL at the end. */
static char *
next_line(const uint8_t *data, size_t size, size_t *off)
{
	const uint8_t	*nl;
	char		*s;
	size_t		 n;

	if (*off >= size)
		return NULL;
	nl = memchr(data + *off, '\n', size - *off);
	n = nl != NULL ? (size_t)(nl - (data + *off)) : size - *off;
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, data + *off, n);
	s[n] = '\0';
	*off += n + (nl != NULL);
	if (n > 0 && s[n - 1] == '\r')
		s[n - 1] = '\0';
	/* a NUL ends a line as it ends libmicrohttpd's strings */
	return s;
}

/* vaultd's reading of MSG_GW_REQ (vaultd_gw.c), and what it must say. */
static void
check_gw_req(const struct gw_req *r)
{
	struct chan	 c;
	struct msg	 m;
	const char	*s;
	const uint8_t	*b;
	char		 buf[4097];
	size_t		 len, i;
	uint64_t	 u;

	chan_init(&c, -1);
	if (msgbuf_add(&c.in, nd.chan.out.data, nd.chan.out.len) != 0 ||
	    chan_next(&c, &m) != 0)
		abort();
	if (m.type == MSG_GW_INFO_REQ) {
		if (msg_get_strbuf(&m.rd, buf, 16) != 0)
			abort();
	} else if (m.type == MSG_GW_REQ) {
		if (msg_get_strbuf(&m.rd, buf, 8) != 0 ||
		    strcmp(buf, r->method) != 0)
			abort();
		if (msg_get_str(&m.rd, &s, &len, 4096) != 0 || len == 0 ||
		    s[0] != '/' || len != r->targetlen ||
		    memcmp(s, r->target, len) != 0)
			abort();
		for (i = 0; i < len; i++)
			if (s[i] <= 0x20 || s[i] > 0x7e || s[i] == '#')
				abort();
		if (msg_get_bin(&m.rd, &b, &len, 65536) != 0 ||
		    len != r->len ||
		    msg_get_strbuf(&m.rd, buf, 65) != 0 ||
		    msg_get_strbuf(&m.rd, buf, 257) != 0 ||
		    msg_get_strbuf(&m.rd, buf, 24) != 0 ||
		    msg_get_strbuf(&m.rd, buf, 129) != 0 ||
		    msg_get_u64(&m.rd, &u) != 0 || u > GW_NEGRISK_MIXED ||
		    msg_get_strbuf(&m.rd, buf, 65) != 0 ||
		    strcmp(buf, r->prefix) != 0 || msg_rd_done(&m.rd) != 0)
			abort();
		for (i = 0; buf[i] != '\0'; i++)
			if (strchr(".-_", buf[i]) == NULL &&
			    !((buf[i] >= 'a' && buf[i] <= 'z') ||
			    (buf[i] >= 'A' && buf[i] <= 'Z') ||
			    (buf[i] >= '0' && buf[i] <= '9')))
				abort();
	} else
		abort();
	msg_clear(&m);
	chan_free(&c);
}

/* A bot's request, from libmicrohttpd's first call to its last. */
static void
request(const uint8_t *data, size_t size, size_t chunk)
{
	struct gw_req	*r;
	char		*method, *target, *line[HDRS_MAX], *colon;
	size_t		 off = 0, nline = 0, up, n, i;
	enum MHD_Result	 ret;
	void		*ctx;

	memset(&conn, 0, sizeof(conn));
	if ((method = next_line(data, size, &off)) == NULL)
		return;
	if ((target = next_line(data, size, &off)) == NULL) {
		free(method);
		return;
	}
	while (nline < HDRS_MAX &&
	    (line[nline] = next_line(data, size, &off)) != NULL) {
		if (line[nline][0] == '\0') {
			free(line[nline]);
			break;
		}
		if ((colon = strchr(line[nline], ':')) != NULL) {
			*colon++ = '\0';
			while (*colon == ' ' || *colon == '\t')
				colon++;
			conn.name[conn.n] = line[nline];
			conn.value[conn.n++] = colon;
		}
		nline++;
	}

	ctx = gw_uri_cb(gw, target, (struct MHD_Connection *)&conn);
	r = ctx;
	if (r == NULL)
		abort();
	up = 0;
	ret = gw_handler(gw, r->conn, target, method, "HTTP/1.1", NULL, &up,
	    &ctx);
	while (ret == MHD_YES && r->state == GS_BODY) {
		/* a chunk, then none: the body is whole */
		up = n = size - off < chunk ? size - off : chunk;
		ret = gw_handler(gw, r->conn, target, method, "HTTP/1.1",
		    (const char *)data + off, &up, &ctx);
		/* taken whole, or the connection closes */
		if (up != 0 && ret == MHD_YES)
			abort();
		if (n == 0)
			break;
		off += n;
	}
	if (r->state == GS_VAULTD) {
		if (!conn.suspended || r->key[0] != '\0' || r->sig[0] != '\0')
			abort();
		check_gw_req(r);
	} else if (r->state != GS_BODY && r->state != GS_DONE)
		abort();
	if (r->state == GS_DONE && conn.suspended)
		abort();
	gw_completed_cb(gw, r->conn, &ctx, MHD_REQUEST_TERMINATED_COMPLETED_OK);

	if (gw->reqs != NULL || gw->nreqs != 0 || gw->ninflight != 0)
		abort();
	gw->nwait = 0;
	chan_free(&nd.chan);
	chan_init(&nd.chan, -1);
	for (i = 0; i < nline; i++)
		free(line[i]);
	free(method);
	free(target);
}

/* The exchange's header lines, as libcurl hands each to its callbacks. */
static void
answer_headers(const uint8_t *data, size_t size)
{
	struct gw_req		 r;
	struct netd_http	 h;
	const uint8_t		*nl;
	char			*line;
	size_t			 off, n, i, nlen, bytes = 0;

	memset(&r, 0, sizeof(r));
	memset(&h, 0, sizeof(h));
	for (off = 0; off < size; off += n) {
		nl = memchr(data + off, '\n', size - off);
		n = nl != NULL ? (size_t)(nl - (data + off)) + 1 : size - off;
		/* libcurl's buffer: exactly the line, no NUL after it */
		if ((line = malloc(n)) == NULL)
			abort();
		memcpy(line, data + off, n);
		if (gw_up_hdr_cb(line, 1, n, &r) != n)
			abort();
		if (http_header_cb(line, 1, n, &h) != n)
			abort();
		free(line);
	}
	if (r.nahdr > NETD_GW_ANSWER_HDRS)
		abort();
	for (i = 0; i < r.nahdr; i++) {
		nlen = strlen(r.ahdr[i]);
		if (!gw_token(r.ahdr[i], nlen) ||
		    gw_hop_header(r.ahdr[i], nlen))
			abort();
		for (n = 0; r.ahdr[i][nlen + 1 + n] != '\0'; n++)
			if ((unsigned char)r.ahdr[i][nlen + 1 + n] < 0x20 &&
			    r.ahdr[i][nlen + 1 + n] != '\t')
				abort();
		bytes += nlen + n + 2;
	}
	if (bytes > NETD_GW_ANSWER_HDRBYTES || bytes != r.ahdrbytes)
		abort();
	gw_up_hdrs_free(&r);
	if (h.res.retry_after < -1)
		abort();
	for (i = 0; h.res.statusline[i] != '\0'; i++)
		if (h.res.statusline[i] < 0x20 || h.res.statusline[i] > 0x7e)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int	devnull;

	if (gw == NULL) {
		/* netd's allocators: jansson's texts are freed as netd's */
		if (netd_mem_init() != 0 || sodium_init() < 0 ||
		    (gw = calloc(1, sizeof(*gw))) == NULL)
			abort();
		gw->nd = &nd;
		nd.gw = gw;
		chan_init(&nd.chan, -1);
		negrisk_init(&gw->neg);
		log_init("fuzz", 0);
		/* netd's log says what happened to each input: not here */
		if ((devnull = open("/dev/null", O_WRONLY)) == -1)
			abort();
		log_to_fd(devnull, 1);
	}
	if (size == 0)
		return 0;
	if (data[0] & 1)
		answer_headers(data + 1, size - 1);
	else
		request(data + 1, size - 1, 1 + (data[0] >> 1) * 97);
	return 0;
}
