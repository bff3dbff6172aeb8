/*
 * Framing and strict decoding of clobvault's messages (see msg.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <sodium.h>

#include "common/msg.h"
#include "common/secmem.h"
#include "common/utf8.h"

#define MSG_MAX_DEPTH	4
#define MSG_W_TAIL	1024	/* room kept after a large field */

#define MSG_ROW(n, from, to, fields, doc)	[n] = { #n, from, to, fields, doc },
static const struct msg_spec msg_table[MSG_TYPE_MAX] = {
	MSG_LIST(MSG_ROW)
};
#undef MSG_ROW

const struct msg_spec *
msg_spec(uint32_t type)
{
	if (type == MSG_NONE || type >= MSG_TYPE_MAX ||
	    msg_table[type].name == NULL)
		return NULL;
	return &msg_table[type];
}

const char *
msg_name(uint32_t type)
{
	const struct msg_spec	*sp = msg_spec(type);

	return sp != NULL ? sp->name : "MSG_?";
}

/* The next token of a fields spec: its letter and bound (0: default). */
static const char *
spec_next(const char *p, char *letter, uint64_t *bound)
{
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return NULL;
	*letter = *p++;
	*bound = 0;
	while (*p >= '0' && *p <= '9')
		*bound = *bound * 10 + (uint64_t)(*p++ - '0');
	return p;
}

int
msg_nfields(uint32_t type)
{
	const struct msg_spec	*sp = msg_spec(type);
	const char		*p;
	uint64_t		 bound;
	char			 letter;
	int			 n = 0;

	if (sp == NULL)
		return -1;
	for (p = sp->fields; (p = spec_next(p, &letter, &bound)) != NULL; )
		n++;
	return n;
}

/* Each top-level field against its letter and bound in the table. */
static int
msg_check_fields(uint32_t type, const msgpack_object *f, uint32_t n)
{
	const char	*p = msg_table[type].fields;
	uint64_t	 bound;
	uint32_t	 i;
	char		 letter;

	for (i = 0; i < n; i++) {
		if ((p = spec_next(p, &letter, &bound)) == NULL)
			return CV_ERR_MSG_COUNT;
		switch (letter) {
		case 'u':
			if (f[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
				return CV_ERR_MSG_TYPE;
			break;
		case 'i':
			if (f[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER &&
			    f[i].type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
				return CV_ERR_MSG_TYPE;
			break;
		case 'b':
			if (f[i].type != MSGPACK_OBJECT_BOOLEAN)
				return CV_ERR_MSG_TYPE;
			break;
		case 's':
			if (f[i].type != MSGPACK_OBJECT_STR)
				return CV_ERR_MSG_TYPE;
			if (f[i].via.str.size > (bound ? bound : MSG_MAX_STR))
				return CV_ERR_MSG_LENGTH;
			if (!utf8_valid((const uint8_t *)f[i].via.str.ptr,
			    f[i].via.str.size))
				return CV_ERR_MSG_STRING;
			break;
		case 'x':
			if (f[i].type != MSGPACK_OBJECT_BIN)
				return CV_ERR_MSG_TYPE;
			if (f[i].via.bin.size > (bound ? bound : MSG_MAX_FRAME))
				return CV_ERR_MSG_LENGTH;
			break;
		case 'a':
			if (f[i].type != MSGPACK_OBJECT_ARRAY)
				return CV_ERR_MSG_TYPE;
			if (f[i].via.array.size > (bound ? bound :
			    MSG_MAX_ARRAY))
				return CV_ERR_MSG_LENGTH;
			break;
		default:
			return CV_ERR_INTERNAL;	/* a typo in MSG_LIST */
		}
	}
	return 0;
}

/* Buffers */

/*
 * Only the first len bytes can hold anything: bytes past len were never
 * written, or were wiped by whoever dropped them (chan_fill, chan_flush),
 * so wiping len bytes wipes everything the buffer held.
 */
void
msgbuf_free(struct msgbuf *b)
{
	uint8_t	lock = b->lock, frame = b->frame;

	if (b->data != NULL) {
		sodium_memzero(b->data, b->len);
		if (b->mapped)
			(void)munmap(b->data, b->cap);	/* unlocks too */
		else
			free(b->data);
	}
	memset(b, 0, sizeof(*b));
	b->lock = lock;
	b->frame = frame;
}

/*
 * cap bytes (at least need) for b: pages of its own, locked, when b is a
 * channel's or a frame's (lock) and need at most CHAN_KEEP; else
 * malloc's.  cap is rounded up to whole pages when mapped, and a mapped
 * channel buffer that must grow grows to CHAN_KEEP at once, as does any
 * whose cap (twice the old, or need and some) is past CHAN_KEEP while
 * need is not: a pipelined peer's bursts then fit where they are, not in
 * a buffer mapped, locked (every page faulted in) and unmapped again at
 * each, nor in malloc's.  A frame's buffer, kept for the thread's next
 * frame, grows by doubling: it is mapped again only when a frame is
 * larger than every one before.  Past CHAN_KEEP (large bodies in bulk)
 * a buffer is malloc's, and freed once empty (chan_fill, chan_flush).
 */
static uint8_t *
msgbuf_alloc(const struct msgbuf *b, size_t need, size_t *cap,
    uint8_t *mapped)
{
	size_t	 page = (size_t)sysconf(_SC_PAGESIZE);
	void	*p;

	*mapped = 0;
	if (!MSGBUF_MAPS || !b->lock || need > CHAN_KEEP)
		return malloc(*cap);
	if ((b->mapped && !b->frame) || *cap > CHAN_KEEP)
		*cap = CHAN_KEEP;
	*cap = (*cap + page - 1) & ~(page - 1);
	p = mmap(NULL, *cap, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	(void)secmem_lock(p, *cap);
	*mapped = 1;
	return p;
}

static void	frame_give(struct msgbuf *);

/*
 * Grow by copying, so no stale copy of a secret is left in freed memory:
 * to twice the capacity, or at once to what is needed if that is more,
 * so a large field costs one copy, not one per doubling, and the small
 * fields after it none.  A frame's locked pages that it outgrows past
 * CHAN_KEEP are kept, wiped, for the thread's next frame.
 */
int
msgbuf_reserve(struct msgbuf *b, size_t need)
{
	uint8_t	*n, mapped;
	size_t	 cap, len;

	if (need <= b->cap)
		return 0;
	if (need > MSG_MAX_QUEUE)
		return CV_ERR_MSG_TOOBIG;
	cap = b->cap ? 2 * b->cap : 256;
	if (cap < need)
		cap = need + 256;
	if ((n = msgbuf_alloc(b, need, &cap, &mapped)) == NULL)
		return CV_ERR_NOMEM;
	if (b->len)
		memcpy(n, b->data, b->len);
	len = b->len;
	if (b->frame && b->mapped && !mapped)
		frame_give(b);
	else
		msgbuf_free(b);
	b->data = n;
	b->len = len;
	b->cap = cap;
	b->mapped = mapped;
	return 0;
}

int
msgbuf_add(struct msgbuf *b, const void *p, size_t len)
{
	int	r;

	if (len > SIZE_MAX - b->len)
		return CV_ERR_MSG_TOOBIG;
	if ((r = msgbuf_reserve(b, b->len + len)) != 0)
		return r;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

/* Writing */

/*
 * The calling thread's frame buffer, empty and wiped, locked pages of
 * its own: taken by msg_begin, given back by chan_queue and msg_w_free,
 * so that a frame is built in locked memory without a mapping (mmap,
 * mlock, munmap) for each.  A thread that ends unmaps it (frame_key's
 * destructor).  The children start from execve, so no fork's child,
 * whose pages are not locked, builds a frame in the parent's.
 */
static _Thread_local struct msgbuf	frame_kept;
static _Thread_local int		frame_kept_set;	/* frame_key's */
static pthread_once_t	frame_once = PTHREAD_ONCE_INIT;
static pthread_key_t	frame_key;
static int		frame_key_ok;

static void
frame_end(void *b)
{
	msgbuf_free(b);
}

static void
frame_key_make(void)
{
	frame_key_ok = pthread_key_create(&frame_key, frame_end) == 0;
}

/* b, a new frame's buffer: the kept one if it is there. */
static void
frame_take(struct msgbuf *b)
{
	*b = frame_kept;
	memset(&frame_kept, 0, sizeof(frame_kept));
	b->lock = b->frame = 1;
}

/* Wipe and free b, or keep its pages for the next frame; b is left empty. */
static void
frame_give(struct msgbuf *b)
{
	if (!b->frame || !b->mapped || frame_kept.data != NULL)
		goto out;
	if (!frame_kept_set) {
		(void)pthread_once(&frame_once, frame_key_make);
		if (!frame_key_ok ||
		    pthread_setspecific(frame_key, &frame_kept) != 0)
			goto out;
		frame_kept_set = 1;
	}
	sodium_memzero(b->data, b->len);
	b->len = 0;
	frame_kept = *b;
	memset(b, 0, sizeof(*b));
	b->lock = b->frame = 1;
	return;
 out:
	msgbuf_free(b);
}

void
msg_w_release(void)
{
	msgbuf_free(&frame_kept);
}

static int
msg_w_write(void *data, const char *p, size_t len)
{
	struct msg_w	*w = data;
	int		 r;

	if (w->err)
		return -1;
	if ((r = msgbuf_add(&w->buf, p, len)) != 0) {
		w->err = r;
		return -1;
	}
	return 0;
}

void
msg_begin(struct msg_w *w, uint32_t type, uint32_t id)
{
	memset(w, 0, sizeof(*w));
	frame_take(&w->buf);
	msg_begin_at(w, &w->buf, type, id);
}

void
msg_begin_at(struct msg_w *w, struct msgbuf *b, uint32_t type, uint32_t id)
{
	static const uint8_t	zero[MSG_HDR_LEN];
	struct msgbuf		taken = *b;
	int			n = msg_nfields(type);

	memset(w, 0, sizeof(*w));
	memset(b, 0, sizeof(*b));
	b->lock = taken.lock;
	w->buf = taken;
	w->start = taken.len;
	w->type = type;
	msgpack_packer_init(&w->pk, w, msg_w_write);
	if (n < 0) {
		w->err = CV_ERR_MSG_UNKNOWN;
		return;
	}
	(void)msg_w_write(w, (const char *)zero, sizeof(zero));
	msgpack_pack_array(&w->pk, 2 + (size_t)n);
	msgpack_pack_uint32(&w->pk, type);
	msgpack_pack_uint32(&w->pk, id);
}

void
msg_put_u64(struct msg_w *w, uint64_t v)
{
	msgpack_pack_uint64(&w->pk, v);
}

void
msg_put_i64(struct msg_w *w, int64_t v)
{
	msgpack_pack_int64(&w->pk, v);
}

void
msg_put_bool(struct msg_w *w, int v)
{
	if (v)
		msgpack_pack_true(&w->pk);
	else
		msgpack_pack_false(&w->pk);
}

/*
 * Room for a large field and what may follow it (the fields after a body
 * take well under MSG_W_TAIL bytes), so the frame is copied at most once
 * more as it grows.
 */
static void
msg_w_room(struct msg_w *w, size_t len)
{
	int	r;

	if (w->err || len < MSG_W_TAIL)
		return;
	if (len > MSG_MAX_FRAME)
		len = MSG_MAX_FRAME;
	if ((r = msgbuf_reserve(&w->buf, w->buf.len + len + MSG_W_TAIL)) != 0)
		w->err = r;
}

void
msg_put_strn(struct msg_w *w, const char *s, size_t len)
{
	msg_w_room(w, len);
	msgpack_pack_str(&w->pk, len);
	msgpack_pack_str_body(&w->pk, s, len);
}

void
msg_put_str(struct msg_w *w, const char *s)
{
	msg_put_strn(w, s, strlen(s));
}

void
msg_put_bin(struct msg_w *w, const void *p, size_t len)
{
	msg_w_room(w, len);
	msgpack_pack_bin(&w->pk, len);
	msgpack_pack_bin_body(&w->pk, p, len);
}

void
msg_put_array(struct msg_w *w, uint32_t n)
{
	msgpack_pack_array(&w->pk, n);
}

int
msg_finish(struct msg_w *w)
{
	uint32_t	len;

	if (w->err)
		return w->err;
	if (w->buf.len - w->start < MSG_HDR_LEN)
		return CV_ERR_INTERNAL;
	if (w->buf.len - w->start - MSG_HDR_LEN > MSG_MAX_FRAME)
		return (w->err = CV_ERR_MSG_TOOBIG);
	len = htonl((uint32_t)(w->buf.len - w->start - MSG_HDR_LEN));
	memcpy(w->buf.data + w->start, &len, sizeof(len));
	return 0;
}

/* A msgpack unsigned integer of at most 32 bits at *p, p moved past it. */
static int
frame_uint(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
	const uint8_t	*q = *p;
	size_t		 n, i;

	if (q >= end)
		return CV_ERR_MSG_MALFORMED;
	if (*q < 0x80) {
		*v = *q;
		*p = q + 1;
		return 0;
	}
	n = *q == 0xcc ? 1 : *q == 0xcd ? 2 : *q == 0xce ? 4 : 0;
	if (n == 0 || (size_t)(end - q) < 1 + n)
		return CV_ERR_MSG_MALFORMED;
	for (*v = 0, i = 1; i <= n; i++)
		*v = *v << 8 | q[i];
	*p = q + 1 + n;
	return 0;
}

int
msg_frame_id(const uint8_t *p, size_t len, uint32_t *id, size_t *flen)
{
	const uint8_t	*q, *end;
	uint32_t	 n, type;

	if (len < MSG_HDR_LEN)
		return CV_ERR_AGAIN;
	memcpy(&n, p, sizeof(n));
	n = ntohl(n);
	if (len - MSG_HDR_LEN < n)
		return CV_ERR_AGAIN;
	*flen = MSG_HDR_LEN + (size_t)n;
	q = p + MSG_HDR_LEN;
	end = q + n;
	/* an array of at most 0xffff fields: fixarray or array 16 */
	if (q < end && (*q & 0xf0) == 0x90)
		q += 1;
	else if (end - q >= 3 && *q == 0xdc)
		q += 3;
	else
		return CV_ERR_MSG_MALFORMED;
	return frame_uint(&q, end, &type) != 0 ? CV_ERR_MSG_MALFORMED :
	    frame_uint(&q, end, id);
}

int
msg_end_at(struct msg_w *w, struct msgbuf *b)
{
	uint8_t	lock = b->lock;
	int	r;

	if ((r = msg_finish(w)) != 0 && w->buf.len > w->start) {
		sodium_memzero(w->buf.data + w->start, w->buf.len - w->start);
		w->buf.len = w->start;
	}
	msgbuf_free(b);			/* empty since msg_begin_at */
	*b = w->buf;
	b->lock = lock;
	memset(&w->buf, 0, sizeof(w->buf));
	w->start = 0;
	return r;
}

void
msg_w_free(struct msg_w *w)
{
	frame_give(&w->buf);
}

/* Reading */

/* Read a k-byte big-endian count at *off, advancing it. */
static int
prescan_be(const uint8_t *p, size_t len, size_t *off, size_t k, uint64_t *v)
{
	size_t	i;

	if (len - *off < k)
		return CV_ERR_MSG_TRUNCATED;
	*v = 0;
	for (i = 0; i < k; i++)
		*v = (*v << 8) | p[(*off)++];
	return 0;
}

/*
 * Walk the msgpack bytes before msgpack-c allocates for them: every
 * container must fit its element count in the bytes that remain (each
 * element takes at least one), nesting is bounded, and the object ends
 * exactly at len.  This keeps a hostile header from making the unpacker
 * allocate for millions of elements that are not there.
 */
static int
msg_prescan(const uint8_t *p, size_t len)
{
	uint64_t	left[MSG_MAX_DEPTH + 2];
	uint64_t	n, skip;
	size_t		off = 0, cnt;
	int		depth = 0, map, r;
	uint8_t		c;

	left[0] = 1;
	while (depth >= 0) {
		if (left[depth] == 0) {
			depth--;
			continue;
		}
		left[depth]--;
		if (off >= len)
			return CV_ERR_MSG_TRUNCATED;
		c = p[off++];
		skip = 0;
		cnt = 0;	/* bytes of a length or count field */
		map = 0;
		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 ||
		    c == 0xc3)
			continue;
		if ((c & 0xe0) == 0xa0)
			skip = c & 0x1f;
		else if ((c & 0xf0) == 0x90 || (c & 0xf0) == 0x80) {
			n = c & 0x0f;
			map = (c & 0xf0) == 0x80;
			goto container;
		} else switch (c) {
		case 0xcc: case 0xd0: skip = 1; break;
		case 0xcd: case 0xd1: skip = 2; break;
		case 0xce: case 0xd2: case 0xca: skip = 4; break;
		case 0xcf: case 0xd3: case 0xcb: skip = 8; break;
		case 0xd4: skip = 2; break;
		case 0xd5: skip = 3; break;
		case 0xd6: skip = 5; break;
		case 0xd7: skip = 9; break;
		case 0xd8: skip = 17; break;
		case 0xc4: case 0xd9: cnt = 1; break;
		case 0xc5: case 0xda: cnt = 2; break;
		case 0xc6: case 0xdb: cnt = 4; break;
		case 0xc7: cnt = 1; skip = 1; break;	/* ext: +type byte */
		case 0xc8: cnt = 2; skip = 1; break;
		case 0xc9: cnt = 4; skip = 1; break;
		case 0xdc: case 0xde: case 0xdd: case 0xdf:
			map = c == 0xde || c == 0xdf;
			if ((r = prescan_be(p, len, &off,
			    (c == 0xdc || c == 0xde) ? 2 : 4, &n)) != 0)
				return r;
			goto container;
		default:
			return CV_ERR_MSG_MALFORMED;	/* 0xc1 */
		}
		if (cnt) {
			if ((r = prescan_be(p, len, &off, cnt, &n)) != 0)
				return r;
			skip += n;
		}
		if (len - off < skip)
			return CV_ERR_MSG_TRUNCATED;
		off += skip;
		continue;
 container:
		if (map)
			n *= 2;
		if (n > len - off)
			return CV_ERR_MSG_TRUNCATED;
		if (depth == MSG_MAX_DEPTH)
			return CV_ERR_MSG_MALFORMED;
		left[++depth] = n;
	}
	return off == len ? 0 : CV_ERR_MSG_TRAILING;
}

/*
 * The zone a message's objects are decoded into, kept for the next
 * message once one is cleared: msgpack_unpack_next makes an 8 KiB zone
 * for every message and frees it after, and vaultd decodes two messages
 * for every signature (malloc and free were about 3 % of its CPU at 240
 * L2 requests in flight).  One is kept per thread; a message decoded
 * while another is live gets a zone of its own.  The objects hold
 * pointers into the frame and numbers, as before, when the zone was
 * freed unwiped.
 */
static _Thread_local msgpack_zone	*zone_kept;
/* A thread that ends frees the zone it kept (zone_key's destructor). */
static pthread_once_t	zone_once = PTHREAD_ONCE_INIT;
static pthread_key_t	zone_key;
static int		zone_key_ok;

static void
zone_end(void *z)
{
	msgpack_zone_free(z);
}

static void
zone_key_make(void)
{
	zone_key_ok = pthread_key_create(&zone_key, zone_end) == 0;
}

static msgpack_zone *
zone_take(void)
{
	msgpack_zone	*z = zone_kept;

	if (z == NULL)
		return msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
	zone_kept = NULL;
	(void)pthread_setspecific(zone_key, NULL);
	return z;
}

static void
zone_give(msgpack_zone *z)
{
	if (z == NULL)
		return;
	(void)pthread_once(&zone_once, zone_key_make);
	if (zone_kept != NULL || !zone_key_ok ||
	    pthread_setspecific(zone_key, z) != 0) {
		msgpack_zone_free(z);
		return;
	}
	msgpack_zone_clear(z);
	zone_kept = z;
}

int
msg_decode(struct msg *m, const uint8_t *p, size_t len)
{
	const msgpack_object	*o;
	size_t			 off = 0;
	int			 r, n;

	memset(m, 0, sizeof(*m));
	if (len == 0)
		return CV_ERR_MSG_TRUNCATED;
	if ((r = msg_prescan(p, len)) != 0)
		return r;
	msgpack_unpacked_init(&m->up);
	if ((m->up.zone = zone_take()) == NULL)
		return CV_ERR_NOMEM;
	m->live = 1;
	switch (msgpack_unpack((const char *)p, len, &off, m->up.zone,
	    &m->up.data)) {
	case MSGPACK_UNPACK_SUCCESS:
		break;
	case MSGPACK_UNPACK_EXTRA_BYTES:	/* msg_prescan saw none */
		r = CV_ERR_MSG_TRAILING;
		goto fail;
	case MSGPACK_UNPACK_CONTINUE:
		r = CV_ERR_MSG_TRUNCATED;
		goto fail;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		r = CV_ERR_NOMEM;
		goto fail;
	default:
		r = CV_ERR_MSG_MALFORMED;
		goto fail;
	}
	if (off != len) {
		r = CV_ERR_MSG_TRAILING;
		goto fail;
	}
	o = &m->up.data;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 2) {
		r = CV_ERR_MSG_MALFORMED;
		goto fail;
	}
	if (o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    o->via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    o->via.array.ptr[1].via.u64 > UINT32_MAX) {
		r = CV_ERR_MSG_TYPE;
		goto fail;
	}
	if (o->via.array.ptr[0].via.u64 >= MSG_TYPE_MAX ||
	    (n = msg_nfields((uint32_t)o->via.array.ptr[0].via.u64)) < 0) {
		r = CV_ERR_MSG_UNKNOWN;
		goto fail;
	}
	if (o->via.array.size != 2 + (uint32_t)n) {
		r = CV_ERR_MSG_COUNT;
		goto fail;
	}
	if ((r = msg_check_fields((uint32_t)o->via.array.ptr[0].via.u64,
	    o->via.array.ptr + 2, (uint32_t)n)) != 0)
		goto fail;
	m->type = (uint32_t)o->via.array.ptr[0].via.u64;
	m->id = (uint32_t)o->via.array.ptr[1].via.u64;
	m->rd.f = o->via.array.ptr + 2;
	m->rd.n = (uint32_t)n;
	m->rd.pos = 0;
	m->rd.checked = 1;		/* msg_check_fields */
	return 0;
 fail:
	msg_clear(m);
	return r;
}

void
msg_clear(struct msg *m)
{
	if (m->live)
		zone_give(m->up.zone);
	memset(m, 0, sizeof(*m));
}

static int
rd_next(struct msg_rd *rd, const msgpack_object **o)
{
	if (rd->pos >= rd->n)
		return CV_ERR_MSG_COUNT;
	*o = &rd->f[rd->pos];
	return 0;
}

int
msg_get_u64(struct msg_rd *rd, uint64_t *v)
{
	const msgpack_object	*o;
	int			 r;

	if ((r = rd_next(rd, &o)) != 0)
		return r;
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return CV_ERR_MSG_TYPE;
	*v = o->via.u64;
	rd->pos++;
	return 0;
}

int
msg_get_i64(struct msg_rd *rd, int64_t *v)
{
	const msgpack_object	*o;
	int			 r;

	if ((r = rd_next(rd, &o)) != 0)
		return r;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		*v = o->via.i64;
	else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.u64 <= INT64_MAX)
		*v = (int64_t)o->via.u64;
	else
		return CV_ERR_MSG_TYPE;
	rd->pos++;
	return 0;
}

int
msg_get_bool(struct msg_rd *rd, int *v)
{
	const msgpack_object	*o;
	int			 r;

	if ((r = rd_next(rd, &o)) != 0)
		return r;
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return CV_ERR_MSG_TYPE;
	*v = o->via.boolean ? 1 : 0;
	rd->pos++;
	return 0;
}

int
msg_get_str(struct msg_rd *rd, const char **s, size_t *len, size_t max)
{
	const msgpack_object	*o;
	int			 r;

	if ((r = rd_next(rd, &o)) != 0)
		return r;
	if (o->type != MSGPACK_OBJECT_STR)
		return CV_ERR_MSG_TYPE;
	if (o->via.str.size > max)
		return CV_ERR_MSG_LENGTH;
	/* at the top level msg_decode checked it: once for every field */
	if (!rd->checked &&
	    !utf8_valid((const uint8_t *)o->via.str.ptr, o->via.str.size))
		return CV_ERR_MSG_STRING;
	*s = o->via.str.ptr;
	*len = o->via.str.size;
	rd->pos++;
	return 0;
}

int
msg_get_strbuf(struct msg_rd *rd, char *buf, size_t bufsz)
{
	const char	*s;
	size_t		 len;
	int		 r;

	if (bufsz == 0)
		return CV_ERR_INTERNAL;
	if ((r = msg_get_str(rd, &s, &len, bufsz - 1)) != 0)
		return r;
	if (len > 0)		/* an empty string may come with no bytes */
		memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}

int
msg_get_bin(struct msg_rd *rd, const uint8_t **p, size_t *len, size_t max)
{
	const msgpack_object	*o;
	int			 r;

	if ((r = rd_next(rd, &o)) != 0)
		return r;
	if (o->type != MSGPACK_OBJECT_BIN)
		return CV_ERR_MSG_TYPE;
	if (o->via.bin.size > max)
		return CV_ERR_MSG_LENGTH;
	*p = (const uint8_t *)o->via.bin.ptr;
	*len = o->via.bin.size;
	rd->pos++;
	return 0;
}

int
msg_get_array(struct msg_rd *rd, struct msg_rd *sub, uint32_t max)
{
	const msgpack_object	*o;
	int			 r;

	if ((r = rd_next(rd, &o)) != 0)
		return r;
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return CV_ERR_MSG_TYPE;
	if (o->via.array.size > max)
		return CV_ERR_MSG_LENGTH;
	sub->f = o->via.array.ptr;
	sub->n = o->via.array.size;
	sub->pos = 0;
	sub->checked = 0;		/* the table checks the top level only */
	rd->pos++;
	return 0;
}

int
msg_rd_done(const struct msg_rd *rd)
{
	return rd->pos == rd->n ? 0 : CV_ERR_MSG_COUNT;
}

/* Channels */

void
chan_init(struct chan *c, int fd)
{
	size_t	i;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->in.lock = c->out.lock = 1;
	for (i = 0; i < CHAN_MORE; i++)
		c->more[i].lock = 1;
}

void
chan_free(struct chan *c)
{
	size_t	i;

	msgbuf_free(&c->in);
	msgbuf_free(&c->out);
	for (i = 0; i < CHAN_MORE; i++)
		msgbuf_free(&c->more[i]);
	c->nmore = 0;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->inoff = c->outoff = 0;
}

void
chan_drop(struct chan *c)
{
	if (c->inoff == 0)
		return;
	memmove(c->in.data, c->in.data + c->inoff, c->in.len - c->inoff);
	c->in.len -= c->inoff;
	sodium_memzero(c->in.data + c->in.len, c->inoff);
	c->inoff = 0;
}

int
chan_fill(struct chan *c)
{
	ssize_t	n;
	int	r;

	/* Drop what has been consumed before reading more. */
	chan_drop(c);
	/* as for chan_flush: an empty buffer grown for large frames goes */
	if (c->in.len == 0 && c->in.cap > CHAN_KEEP)
		msgbuf_free(&c->in);
	if ((r = msgbuf_reserve(&c->in, c->in.len + 65536)) != 0)
		return r;
	for (;;) {
		n = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len);
		if (n == -1 && errno == EINTR)
			continue;
		break;
	}
	if (n == -1)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ?
		    CV_ERR_AGAIN : CV_ERR_IO;
	if (n == 0)
		return CV_ERR_EOF;
	c->in.len += (size_t)n;
	return 0;
}

int
chan_next(struct chan *c, struct msg *m)
{
	uint32_t	len;
	size_t		avail = c->in.len - c->inoff;
	int		r;

	memset(m, 0, sizeof(*m));
	if (avail < MSG_HDR_LEN)
		goto again;
	memcpy(&len, c->in.data + c->inoff, sizeof(len));
	len = ntohl(len);
	if (len > MSG_MAX_FRAME)
		return CV_ERR_MSG_TOOBIG;
	if (avail - MSG_HDR_LEN < len)
		goto again;
	r = msg_decode(m, c->in.data + c->inoff + MSG_HDR_LEN, len);
	c->inoff += MSG_HDR_LEN + len;
	return r;
 again:
	/*
	 * Every frame taken is handled: the caller cleared its message
	 * before asking for the next.  Wipe them now, not at the next read,
	 * which may be long in coming.
	 */
	chan_drop(c);
	return CV_ERR_AGAIN;
}

/*
 * With nothing queued and frames past what the queue keeps (CHAN_KEEP),
 * their buffer becomes the queue: a frame carrying a large body is not
 * copied once more on its way out.  Behind a queue past CHAN_KEEP, which
 * is never added to (chan_flush writes it out and frees it), they wait
 * in more: such a buffer as one of its own, smaller frames copied behind
 * the last one while it has room or is small itself.  Other frames go
 * into the memory the queue keeps, locked.  *taken: 1 if b's memory
 * went into the queue, b left empty; else b is as it was, for the
 * caller to free or give back.
 */
static int
chan_put(struct chan *c, struct msgbuf *b, int *taken)
{
	struct msgbuf	*q = &c->out;
	uint8_t		 keep;
	int		 big = b->len > CHAN_KEEP || !MSGBUF_MAPS, r;

	*taken = 0;
	if (c->nmore > 0 || c->out.cap > CHAN_KEEP) {
		q = c->nmore > 0 ? &c->more[c->nmore - 1] : NULL;
		if (q == NULL || (c->nmore < CHAN_MORE &&
		    (big || (q->cap > CHAN_KEEP && q->cap - q->len < b->len))))
			q = &c->more[c->nmore++];	/* empty */
	}
	if (q->len == 0 && b->len > q->cap && big) {
		keep = b->lock;			/* b's owner's */
		msgbuf_free(q);
		b->lock = q->lock;
		b->frame = 0;
		*q = *b;
		memset(b, 0, sizeof(*b));
		b->lock = keep;
		*taken = 1;
		return 0;
	}
	r = msgbuf_add(q, b->data, b->len);
	if (q->len == 0 && c->nmore > 0 && q == &c->more[c->nmore - 1])
		c->nmore--;			/* nothing added */
	return r;
}

int
chan_queue_buf(struct chan *c, struct msgbuf *b)
{
	int	r, taken;

	r = chan_put(c, b, &taken);
	if (!taken)
		msgbuf_free(b);
	return r;
}

/* The frame's locked pages, wiped, are kept for the thread's next. */
int
chan_queue(struct chan *c, struct msg_w *w)
{
	int	r, taken;

	if ((r = msg_finish(w)) == 0)
		r = chan_put(c, &w->buf, &taken);
	msg_w_free(w);
	return r;
}

/*
 * A peer that never catches up would leave every frame ever queued in
 * front of the ones still to go: once at least half the queue is
 * written, move the rest to the front, so the queue stays within twice
 * what is unwritten and each byte moves at most once per write of as
 * many.
 */
static void
chan_compact_out(struct chan *c)
{
	size_t	left = c->out.len - c->outoff;

	/* a queue past CHAN_KEEP is not added to (chan_queue_buf) */
	if (c->outoff == 0 || c->outoff < left || c->out.cap > CHAN_KEEP)
		return;
	memmove(c->out.data, c->out.data + c->outoff, left);
	sodium_memzero(c->out.data + left, c->outoff);
	c->out.len = left;
	c->outoff = 0;
}

int
chan_flush(struct chan *c)
{
	ssize_t	n;

	for (;;) {
		while (c->outoff < c->out.len) {
			n = write(c->fd, c->out.data + c->outoff,
			    c->out.len - c->outoff);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					return CV_ERR_IO;
				chan_compact_out(c);
				return CV_ERR_AGAIN;
			}
			c->outoff += (size_t)n;
		}
		sodium_memzero(c->out.data, c->out.len);
		c->out.len = c->outoff = 0;
		/* a queue grown for a burst of large frames goes back */
		if (c->out.cap > CHAN_KEEP || c->nmore > 0)
			msgbuf_free(&c->out);
		if (c->nmore == 0)
			return 0;
		c->out = c->more[0];		/* same lock */
		memmove(&c->more[0], &c->more[1], (c->nmore - 1) *
		    sizeof(c->more[0]));
		c->nmore--;
		memset(&c->more[c->nmore], 0, sizeof(c->more[0]));
		c->more[c->nmore].lock = c->out.lock;
	}
}

int
chan_has_frame(const struct chan *c)
{
	const uint8_t	*p = c->in.data + c->inoff;
	size_t		 have = c->in.len - c->inoff;
	uint32_t	 len;

	if (have < MSG_HDR_LEN)
		return 0;
	len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	return have - MSG_HDR_LEN >= len;
}

int
chan_pending(const struct chan *c)
{
	return c->outoff < c->out.len || c->nmore > 0;
}

size_t
chan_unwritten(const struct chan *c)
{
	size_t	i, n = c->out.len - c->outoff;

	for (i = 0; i < c->nmore; i++)
		n += c->more[i].len;
	return n;
}

int
chan_send(struct chan *c, struct msg_w *w)
{
	int	r;

	if ((r = chan_queue(c, w)) != 0)
		return r;
	return chan_flush(c);
}

int
chan_recv(struct chan *c, struct msg *m)
{
	int	r;

	for (;;) {
		r = chan_next(c, m);
		if (r != CV_ERR_AGAIN)
			return r;
		if ((r = chan_fill(c)) != 0)
			return r;
	}
}

void
msg_error_begin(struct msg_w *w, uint32_t id, int code, const char *text)
{
	size_t	len = strlen(text);

	/* Cut at a character boundary: the peer refuses broken UTF-8. */
	if (len > MSG_ERROR_TEXT_MAX) {
		len = MSG_ERROR_TEXT_MAX;
		while (len > 0 && ((uint8_t)text[len] & 0xc0) == 0x80)
			len--;
	}
	msg_begin(w, MSG_ERROR_ANS, id);
	msg_put_i64(w, code);
	msg_put_strn(w, text, len);
}

int
msg_error_ans(struct chan *c, uint32_t id, int code, const char *text)
{
	struct msg_w	w;

	msg_error_begin(&w, id, code, text);
	return chan_queue(c, &w);
}

int
msg_get_error(struct msg *m, int *code, char *text, size_t textsz)
{
	const char	*t;
	size_t		 len;
	int64_t		 c;
	int		 r;

	if (m->type != MSG_ERROR_ANS || textsz == 0)
		return CV_ERR_INTERNAL;
	if ((r = msg_get_i64(&m->rd, &c)) != 0 ||
	    (r = msg_get_str(&m->rd, &t, &len, MSG_ERROR_TEXT_MAX)) != 0)
		return r;
	if (c >= 0 || c < -1000)
		return CV_ERR_MSG_STATE;
	if (len >= textsz)
		len = textsz - 1;
	memcpy(text, t, len);
	text[len] = '\0';
	*code = (int)c;
	return 0;
}
