/*
 * common/msg.c: framing and strict decoding.  Every refusal is asserted
 * with its exact CV_ERR_MSG_* code.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/log.h"
#include "common/msg.h"
#include "common/secmem.h"
#include "common/utf8.h"
#include "tests/self_mem.h"

/* Decode raw msgpack bytes as a frame payload. */
static int
decode(const uint8_t *p, size_t len)
{
	struct msg	m;
	int		r;

	r = msg_decode(&m, p, len);
	if (r == 0)
		msg_clear(&m);
	return r;
}

/* Build a HELLO_REQ frame; return its payload in buf. */
static size_t
hello_frame(uint8_t *buf, size_t len, uint64_t version, const char *name)
{
	struct msg_w	w;
	size_t		n;

	msg_begin(&w, MSG_HELLO_REQ, 7);
	msg_put_u64(&w, version);
	msg_put_str(&w, name);
	assert_int_equal(msg_finish(&w), 0);
	n = w.buf.len - MSG_HDR_LEN;
	assert_true(n <= len);
	memcpy(buf, w.buf.data + MSG_HDR_LEN, n);
	msg_w_free(&w);
	return n;
}

static void
test_roundtrip(void **state)
{
	uint8_t		buf[64];
	struct msg	m;
	uint64_t	v;
	char		name[16];
	size_t		n = hello_frame(buf, sizeof(buf), MSG_VERSION, "signerd");

	/* [2, 7, MSG_VERSION, "signerd"] exactly */
	static const uint8_t want[] = { 0x94, 0x02, 0x07, MSG_VERSION, 0xa7,
	    's', 'i', 'g', 'n', 'e', 'r', 'd' };
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	assert_int_equal(msg_decode(&m, buf, n), 0);
	assert_int_equal(m.type, MSG_HELLO_REQ);
	assert_int_equal(m.id, 7);
	assert_int_equal(msg_get_u64(&m.rd, &v), 0);
	assert_int_equal(v, MSG_VERSION);
	assert_int_equal(msg_get_strbuf(&m.rd, name, sizeof(name)), 0);
	assert_string_equal(name, "signerd");
	assert_int_equal(msg_rd_done(&m.rd), 0);
	assert_int_equal(msg_get_u64(&m.rd, &v), CV_ERR_MSG_COUNT);
	msg_clear(&m);
}

static void
test_truncated(void **state)
{
	uint8_t	buf[64];
	size_t	n = hello_frame(buf, sizeof(buf), MSG_VERSION, "signerd");
	size_t	i;

	assert_int_equal(decode(buf, 0), CV_ERR_MSG_TRUNCATED);
	for (i = 1; i < n; i++)
		assert_int_equal(decode(buf, i), CV_ERR_MSG_TRUNCATED);
}

static void
test_trailing(void **state)
{
	uint8_t	buf[64];
	size_t	n = hello_frame(buf, sizeof(buf), MSG_VERSION, "signerd");

	buf[n] = 0xc0;
	assert_int_equal(decode(buf, n + 1), CV_ERR_MSG_TRAILING);
}

static void
test_not_array(void **state)
{
	static const uint8_t	intval[] = { 0x05 };
	static const uint8_t	short_arr[] = { 0x91, 0x02 };
	static const uint8_t	bad_byte[] = { 0x92, 0x02, 0xc1 };

	assert_int_equal(decode(intval, sizeof(intval)), CV_ERR_MSG_MALFORMED);
	assert_int_equal(decode(short_arr, sizeof(short_arr)),
	    CV_ERR_MSG_MALFORMED);
	assert_int_equal(decode(bad_byte, sizeof(bad_byte)),
	    CV_ERR_MSG_MALFORMED);
}

static void
test_wrong_type(void **state)
{
	/* type as a string, id negative, id past 32 bits */
	static const uint8_t	strtype[] = { 0x92, 0xa1, 'x', 0x00 };
	static const uint8_t	negid[] = { 0x93, 0x03, 0xff, 0xc0 };
	static const uint8_t	bigid[] = { 0x92, 0x04, 0xcf, 0, 0, 0, 1, 0,
	    0, 0, 0 };
	/* HELLO_REQ with a string version and an int name */
	static const uint8_t	fields[] = { 0x94, 0x02, 0x00, 0xa1, '1',
	    0x05 };
	struct msg		m;
	uint64_t		v;
	const char		*s;
	size_t			len;

	assert_int_equal(decode(strtype, sizeof(strtype)), CV_ERR_MSG_TYPE);
	assert_int_equal(decode(negid, sizeof(negid)), CV_ERR_MSG_TYPE);
	assert_int_equal(decode(bigid, sizeof(bigid)), CV_ERR_MSG_TYPE);
	/* the protocol table's types are checked by the decoder itself */
	assert_int_equal(decode(fields, sizeof(fields)), CV_ERR_MSG_TYPE);
	(void)m; (void)v; (void)s; (void)len;
}

static void
test_unknown_and_count(void **state)
{
	static const uint8_t	zero[] = { 0x92, 0x00, 0x00 };
	static const uint8_t	big[] = { 0x92, 0xcd, 0x03, 0xe7, 0x00 };
	static const uint8_t	few[] = { 0x93, 0x02, 0x00, 0x01 };
	static const uint8_t	many[] = { 0x93, 0x04, 0x00, 0x01 };

	assert_int_equal(decode(zero, sizeof(zero)), CV_ERR_MSG_UNKNOWN);
	assert_int_equal(decode(big, sizeof(big)), CV_ERR_MSG_UNKNOWN);
	assert_int_equal(decode(few, sizeof(few)), CV_ERR_MSG_COUNT);
	assert_int_equal(decode(many, sizeof(many)), CV_ERR_MSG_COUNT);
}

static void
test_strings(void **state)
{
	uint8_t		buf[64];
	struct msg	m;
	uint64_t	v;
	const char	*s;
	size_t		len, n;
	char		small[4];

	n = hello_frame(buf, sizeof(buf), 1, "signerd");
	assert_int_equal(msg_decode(&m, buf, n), 0);
	assert_int_equal(msg_get_u64(&m.rd, &v), 0);
	assert_int_equal(msg_get_str(&m.rd, &s, &len, 6), CV_ERR_MSG_LENGTH);
	assert_int_equal(msg_get_strbuf(&m.rd, small, sizeof(small)),
	    CV_ERR_MSG_LENGTH);
	msg_clear(&m);

	/* an empty string: "" in the buffer (msgpack gives no bytes) */
	n = hello_frame(buf, sizeof(buf), 1, "");
	assert_int_equal(msg_decode(&m, buf, n), 0);
	assert_int_equal(msg_get_u64(&m.rd, &v), 0);
	memset(small, 'x', sizeof(small));
	assert_int_equal(msg_get_strbuf(&m.rd, small, sizeof(small)), 0);
	assert_string_equal(small, "");
	msg_clear(&m);

	/* past the table's bound (s15): refused by the decoder */
	n = hello_frame(buf, sizeof(buf), 1, "0123456789abcdef");
	assert_int_equal(decode(buf, n), CV_ERR_MSG_LENGTH);

	/* an embedded NUL, an overlong '/', a lone surrogate */
	n = hello_frame(buf, sizeof(buf), 1, "ab");
	buf[n - 1] = 0x00;
	assert_int_equal(decode(buf, n), CV_ERR_MSG_STRING);
	buf[n - 2] = 0xc0;
	buf[n - 1] = 0xaf;
	assert_int_equal(decode(buf, n), CV_ERR_MSG_STRING);
	n = hello_frame(buf, sizeof(buf), 1, "abc");
	memcpy(buf + n - 3, "\xed\xa0\x80", 3);
	assert_int_equal(decode(buf, n), CV_ERR_MSG_STRING);
}

/*
 * utf8_valid takes ASCII 8 bytes a step: a NUL, a stray continuation
 * byte, a sequence cut short or a valid one, at every place of strings
 * up to past three such steps, in and across the steps.
 */
static void
test_utf8_steps(void **state)
{
	uint8_t	s[40];
	size_t	len, at;

	for (len = 0; len <= sizeof(s); len++) {
		memset(s, 'a', sizeof(s));
		assert_int_equal(utf8_valid(s, len), 1);
		for (at = 0; at < len; at++) {
			memset(s, 'a', sizeof(s));
			s[at] = 0x7f;
			assert_int_equal(utf8_valid(s, len), 1);
			s[at] = 0x01;
			assert_int_equal(utf8_valid(s, len), 1);
			s[at] = 0x00;
			assert_int_equal(utf8_valid(s, len), 0);
			s[at] = 0x80;
			assert_int_equal(utf8_valid(s, len), 0);
			s[at] = 0xff;
			assert_int_equal(utf8_valid(s, len), 0);
			/* U+1F600, four bytes, cut short at the end */
			memcpy(s + at, "\xf0\x9f\x98\x80",
			    len - at < 4 ? len - at : 4);
			assert_int_equal(utf8_valid(s, len), len - at >= 4);
			/* é, and after it a NUL in the next step */
			memset(s, 'a', sizeof(s));
			if (len - at >= 2) {
				memcpy(s + at, "\xc3\xa9", 2);
				assert_int_equal(utf8_valid(s, len), 1);
				if (len - at >= 11) {
					s[at + 10] = 0x00;
					assert_int_equal(utf8_valid(s, len),
					    0);
				}
			}
		}
	}
}

/*
 * A top-level string is checked once, by msg_decode against the table;
 * one in a nested array by msg_get_str: a NUL or a bad sequence there
 * is still refused.
 */
static void
test_nested_strings(void **state)
{
	static const char	*bad[] = { "a\0b", "\xc0\xaf", "\xed\xa0\x80",
				    "0123456789\xff" };
	static const size_t	 badlen[] = { 3, 2, 3, 11 };
	struct msg_w		 w;
	struct msg		 m;
	struct msg_rd		 list, e;
	const char		*s;
	size_t			 len, i;

	for (i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		msg_begin(&w, MSG_SIGN_ANS, 9);
		msg_put_array(&w, 1);
		msg_put_array(&w, 2);
		msg_put_str(&w, "POLY_SIGNATURE");
		if (i < sizeof(bad) / sizeof(bad[0]))
			msg_put_strn(&w, bad[i], badlen[i]);
		else
			msg_put_str(&w, "ok");
		msg_put_bin(&w, "", 0);
		assert_int_equal(msg_finish(&w), 0);
		assert_int_equal(msg_decode(&m, w.buf.data + MSG_HDR_LEN,
		    w.buf.len - MSG_HDR_LEN), 0);
		assert_int_equal(msg_get_array(&m.rd, &list, 16), 0);
		assert_int_equal(msg_get_array(&list, &e, 2), 0);
		assert_int_equal(msg_get_str(&e, &s, &len, 64), 0);
		assert_int_equal(msg_get_str(&e, &s, &len, 64),
		    i < sizeof(bad) / sizeof(bad[0]) ? CV_ERR_MSG_STRING : 0);
		msg_clear(&m);
		msg_w_free(&w);
	}
}

/* MSG_ERROR_ANS: the one reader and the one writer. */
static void
test_error_ans(void **state)
{
	struct chan	c[2];
	struct msg	m;
	char		big[MSG_ERROR_TEXT_MAX + 10], text[16];
	int		sv[2], code;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	chan_init(&c[0], sv[0]);
	chan_init(&c[1], sv[1]);

	assert_int_equal(msg_error_ans(&c[0], 9, CV_ERR_DENIED, "no"), 0);
	assert_int_equal(chan_flush(&c[0]), 0);
	assert_int_equal(chan_recv(&c[1], &m), 0);
	assert_int_equal(m.type, MSG_ERROR_ANS);
	assert_int_equal(m.id, 9);
	assert_int_equal(msg_get_error(&m, &code, text, sizeof(text)), 0);
	assert_int_equal(code, CV_ERR_DENIED);
	assert_string_equal(text, "no");
	msg_clear(&m);

	/* a long text is cut at the bound, at a character boundary */
	memset(big, 'a', sizeof(big));
	memcpy(big + MSG_ERROR_TEXT_MAX - 1, "\xc3\xa9", 2);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(msg_error_ans(&c[0], 10, CV_ERR_INVALID, big), 0);
	assert_int_equal(chan_flush(&c[0]), 0);
	assert_int_equal(chan_recv(&c[1], &m), 0);
	assert_int_equal(m.rd.f[1].via.str.size, MSG_ERROR_TEXT_MAX - 1);
	assert_int_equal(msg_get_error(&m, &code, text, sizeof(text)), 0);
	assert_int_equal(strlen(text), sizeof(text) - 1);
	msg_clear(&m);

	/* a code that is not an error is a broken peer */
	assert_int_equal(msg_error_ans(&c[0], 11, 5, "five"), 0);
	assert_int_equal(chan_flush(&c[0]), 0);
	assert_int_equal(chan_recv(&c[1], &m), 0);
	assert_int_equal(msg_get_error(&m, &code, text, sizeof(text)),
	    CV_ERR_MSG_STATE);
	msg_clear(&m);
	chan_free(&c[0]);
	chan_free(&c[1]);
}

static void
test_hostile_counts(void **state)
{
	/* array32 of 4 billion elements in 9 bytes: refused before allocating */
	static const uint8_t	arr[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x02,
	    0x00, 0x00, 0x00 };
	static const uint8_t	str[] = { 0x93, 0x02, 0x00, 0xdb, 0xff,
	    0xff, 0xff, 0xff, 'a' };
	static const uint8_t	deep[] = { 0x91, 0x91, 0x91, 0x91, 0x91,
	    0x91, 0x00 };

	assert_int_equal(decode(arr, sizeof(arr)), CV_ERR_MSG_TRUNCATED);
	assert_int_equal(decode(str, sizeof(str)), CV_ERR_MSG_TRUNCATED);
	assert_int_equal(decode(deep, sizeof(deep)), CV_ERR_MSG_MALFORMED);
}

static void
test_frames(void **state)
{
	struct chan	a, b;
	struct msg_w	w;
	struct msg	m;
	uint64_t	v;
	int		sv[2], i;
	static const uint8_t	oversize[] = { 0x00, 0x10, 0x00, 0x01 };
	static const uint8_t	partial[] = { 0x00, 0x00, 0x00, 0x03, 0x92 };

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);

	/* pipelined: three frames in one write, three messages out */
	for (i = 0; i < 3; i++) {
		msg_begin(&w, MSG_HELLO_ANS, (uint32_t)i);
		msg_put_u64(&w, (uint64_t)i + 10);
		assert_int_equal(chan_queue(&a, &w), 0);
	}
	assert_int_equal(chan_flush(&a), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(chan_recv(&b, &m), 0);
		assert_int_equal(m.type, MSG_HELLO_ANS);
		assert_int_equal(m.id, i);
		assert_int_equal(msg_get_u64(&m.rd, &v), 0);
		assert_int_equal(v, (uint64_t)i + 10);
		msg_clear(&m);
	}
	assert_int_equal(chan_next(&b, &m), CV_ERR_AGAIN);

	/* a partial frame waits; an oversized header is refused at once */
	assert_int_equal(write(sv[0], partial, sizeof(partial)),
	    (ssize_t)sizeof(partial));
	assert_int_equal(chan_fill(&b), 0);
	assert_int_equal(chan_next(&b, &m), CV_ERR_AGAIN);
	chan_free(&a);
	chan_free(&b);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);
	assert_int_equal(write(sv[0], oversize, sizeof(oversize)),
	    (ssize_t)sizeof(oversize));
	assert_int_equal(chan_fill(&b), 0);
	assert_int_equal(chan_next(&b, &m), CV_ERR_MSG_TOOBIG);

	/* EOF */
	chan_free(&a);
	assert_int_equal(chan_fill(&b), CV_ERR_EOF);
	chan_free(&b);
}

/*
 * msg_frame_id reads back the ids of frames msg_begin_at packed one
 * behind the other (vaultd's signing requests, stamped as they go to
 * signerd): every width msgpack gives an id, each frame's length; a
 * cut frame is not whole, and bytes msg_begin never makes are refused.
 */
static void
test_frame_id(void **state)
{
	static const uint32_t	ids[] = { 0, 5, 127, 128, 255, 256, 65535,
	    65536, 0x7fffffff, 0xffffffff };
	static const uint8_t	notarray[] = { 0x00, 0x00, 0x00, 0x03, 0x01,
	    0x02, 0x03 };
	static const uint8_t	wide[] = { 0x00, 0x00, 0x00, 0x0b, 0x92,
	    0x01, 0xcf, 0, 0, 0, 0, 0, 0, 0, 7 };
	static const uint8_t	body[16];
	struct msgbuf	 b = { 0 };
	struct msg_w	 w;
	size_t		 off, flen, i, n = sizeof(ids) / sizeof(ids[0]);
	uint32_t	 id;

	(void)state;
	for (i = 0; i < n; i++) {
		msg_begin_at(&w, &b, MSG_SIGN_REQ, ids[i]);
		msg_put_str(&w, "A");
		msg_put_u64(&w, 2);
		msg_put_str(&w, "GET");
		msg_put_str(&w, "/auth/api-keys");
		msg_put_bin(&w, body, i);
		msg_put_str(&w, "1700000000");
		msg_put_u64(&w, 0);
		msg_put_u64(&w, 0);
		msg_put_str(&w, "");
		assert_int_equal(msg_end_at(&w, &b), 0);
	}
	for (off = 0, i = 0; off < b.len; off += flen, i++) {
		assert_int_equal(msg_frame_id(b.data + off, b.len - off, &id,
		    &flen), 0);
		assert_true(i < n);
		assert_int_equal(id, ids[i]);
	}
	assert_int_equal(i, n);
	assert_int_equal(off, b.len);
	/* the last frame cut by a byte: not whole */
	assert_int_equal(msg_frame_id(b.data + b.len - flen, flen - 1, &id,
	    &flen), CV_ERR_AGAIN);
	assert_int_equal(msg_frame_id(b.data, 3, &id, &flen), CV_ERR_AGAIN);
	msgbuf_free(&b);
	assert_int_equal(msg_frame_id(notarray, sizeof(notarray), &id, &flen),
	    CV_ERR_MSG_MALFORMED);
	assert_int_equal(msg_frame_id(wide, sizeof(wide), &id, &flen),
	    CV_ERR_MSG_MALFORMED);
}

/*
 * chan_drop wipes the frames taken and keeps the one behind them, so a
 * reader that waits long for its next read keeps nothing it has read.
 */
static void
test_drop(void **state)
{
	struct chan	 a, b;
	struct msg_w	 w;
	struct msg	 m;
	const char	*s;
	size_t		 len, i;
	int64_t		 code;
	int		 sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);
	msg_error_begin(&w, 1, CV_ERR_INVALID, "a-passphrase-1");
	assert_int_equal(chan_queue(&a, &w), 0);
	msg_error_begin(&w, 2, CV_ERR_INVALID, "the-next-frame");
	assert_int_equal(chan_queue(&a, &w), 0);
	assert_int_equal(chan_flush(&a), 0);
	assert_int_equal(chan_recv(&b, &m), 0);
	assert_int_equal(m.id, 1);
	msg_clear(&m);
	assert_true(b.inoff > 0);
	chan_drop(&b);
	assert_int_equal(b.inoff, 0);
	for (i = 0; i + 14 <= b.in.cap; i++)
		assert_false(memcmp(b.in.data + i, "a-passphrase-1", 14) == 0);
	/* the frame behind is whole */
	assert_int_equal(chan_next(&b, &m), 0);
	assert_int_equal(m.id, 2);
	assert_int_equal(msg_get_i64(&m.rd, &code), 0);
	assert_int_equal(msg_get_str(&m.rd, &s, &len, 100), 0);
	assert_int_equal(len, 14);
	assert_memory_equal(s, "the-next-frame", 14);
	msg_clear(&m);
	chan_drop(&b);
	assert_int_equal(b.in.len, 0);
	chan_drop(&b);		/* nothing taken: nothing to do */
	assert_int_equal(chan_next(&b, &m), CV_ERR_AGAIN);

	/*
	 * chan_next wipes what was taken when no whole frame is left: a
	 * reader that then waits for its peer keeps no handled frame, and
	 * the part of a frame behind moves to the front, whole.
	 */
	msg_error_begin(&w, 3, CV_ERR_INVALID, "a-passphrase-3");
	assert_int_equal(chan_queue(&a, &w), 0);
	msg_error_begin(&w, 4, CV_ERR_INVALID, "the-last-frame");
	assert_int_equal(msg_finish(&w), 0);
	assert_int_equal(msgbuf_add(&a.out, w.buf.data, w.buf.len - 3), 0);
	assert_int_equal(chan_flush(&a), 0);
	assert_int_equal(chan_recv(&b, &m), 0);
	assert_int_equal(m.id, 3);
	msg_clear(&m);
	assert_int_equal(chan_next(&b, &m), CV_ERR_AGAIN);
	assert_int_equal(b.inoff, 0);
	assert_int_equal(b.in.len, w.buf.len - 3);
	for (i = 0; i + 14 <= b.in.cap; i++)
		assert_false(memcmp(b.in.data + i, "a-passphrase-3", 14) == 0);
	assert_int_equal(msgbuf_add(&a.out, w.buf.data + w.buf.len - 3, 3),
	    0);
	msg_w_free(&w);
	assert_int_equal(chan_flush(&a), 0);
	assert_int_equal(chan_recv(&b, &m), 0);
	assert_int_equal(m.id, 4);
	assert_int_equal(msg_get_i64(&m.rd, &code), 0);
	assert_int_equal(msg_get_str(&m.rd, &s, &len, 100), 0);
	assert_memory_equal(s, "the-last-frame", 14);
	msg_clear(&m);
	chan_free(&a);
	chan_free(&b);
}

/* Bytes a channel's queue holds, written or not. */
static size_t
queued(const struct chan *c)
{
	size_t	i, n = c->out.len;

	for (i = 0; i < c->nmore; i++)
		n += c->more[i].len;
	return n;
}

/*
 * A reader that never quite catches up: the writer's queue holds what is
 * still to go, not every frame ever queued (it once grew until a frame
 * could no longer be added), and every frame arrives whole, in order.
 * A queue within CHAN_KEEP is moved down once half is written; one past
 * it is only written from, never moved down or added to (each byte of a
 * large body moved once more, and wiped twice), with the frames queued
 * meanwhile behind it: at most what was queued when it grew, plus what
 * is still to go.
 */
static void
test_flush_behind(void **state)
{
	static uint8_t	body[60000];
	struct chan	a;
	struct msg_w	w;
	struct msg	m;
	const uint8_t	*p, *big = NULL;
	uint8_t		*got;
	size_t		len, have = 0, off, max = 200 * 61000;
	size_t		peak = 0, biglen = 0;
	uint32_t	flen;
	ssize_t		n;
	int		sv[2], i, r, moved = 0;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	assert_non_null(got = malloc(max));
	chan_init(&a, sv[0]);
	memset(body, 'b', sizeof(body));
	for (i = 0; i < 200; i++) {
		msg_begin(&w, MSG_VAULT_UNLOCK_REQ, (uint32_t)i);
		msg_put_bin(&w, body, sizeof(body));
		msg_put_bin(&w, "", 0);
		msg_put_bool(&w, 0);
		assert_int_equal(chan_queue(&a, &w), 0);
		if (chan_unwritten(&a) > peak)
			peak = chan_unwritten(&a);
		/* a large queue still there: nothing added, nothing moved */
		if (big != NULL && a.out.data == big)
			assert_int_equal(a.out.len, biglen);
		big = a.out.cap > CHAN_KEEP ? a.out.data : NULL;
		biglen = a.out.len;
		r = chan_flush(&a);
		assert_true(r == 0 || r == CV_ERR_AGAIN);
		if (big != NULL && a.out.data == big)
			assert_int_equal(a.out.len, biglen);
		if (a.out.cap <= CHAN_KEEP)
			assert_true(a.out.len <= 2 * (a.out.len - a.outoff));
		else {
			if (a.out.data != big)
				moved++;
			big = a.out.data;
			biglen = a.out.len;
		}
		assert_true(queued(&a) <= 3 * peak);
		assert_int_equal(queued(&a) - a.outoff, chan_unwritten(&a));
		/* less read than queued, every time */
		assert_true((n = read(sv[1], got + have, 50000)) > 0);
		have += (size_t)n;
	}
	do {
		r = chan_flush(&a);
		assert_true(r == 0 || r == CV_ERR_AGAIN);
		while ((n = read(sv[1], got + have, max - have)) > 0)
			have += (size_t)n;
	} while (r != 0);
	assert_int_equal(a.out.len, 0);
	for (i = 0, off = 0; off < have; i++) {
		assert_true(have - off >= MSG_HDR_LEN);
		flen = (uint32_t)got[off] << 24 | (uint32_t)got[off + 1] << 16 |
		    (uint32_t)got[off + 2] << 8 | got[off + 3];
		off += MSG_HDR_LEN;
		assert_true(have - off >= flen);
		assert_int_equal(msg_decode(&m, got + off, flen), 0);
		assert_int_equal(m.id, (uint32_t)i);
		assert_int_equal(msg_get_bin(&m.rd, &p, &len, sizeof(body)), 0);
		assert_int_equal(len, sizeof(body));
		assert_memory_equal(p, body, len);
		msg_clear(&m);
		off += flen;
	}
	assert_int_equal(i, 200);
	/* queues past CHAN_KEEP, taken in turn from behind each other */
	assert_true(moved >= 2);
	/*
	 * the queues grown to megabytes went back once empty; what is
	 * left is at most the locked memory a queue keeps
	 */
	assert_true(a.out.cap <= CHAN_KEEP);
	assert_int_equal(a.out.len, 0);
	assert_int_equal(a.nmore, 0);
	chan_free(&a);
	close(sv[1]);
	free(got);
}

/* The input buffer, grown for large frames, goes back once empty too. */
/*
 * chan_queue_buf: into an empty queue with less memory, frames past
 * CHAN_KEEP bring their memory, which becomes the queue, uncopied, and
 * goes back once sent; behind queued frames, or into the memory of an
 * empty queue, they are copied; either way the buffer given is left
 * empty and the peer reads every frame in order.
 */
static void
test_queue_buf(void **state)
{
	static uint8_t	 body[140000];
	struct msgbuf	 b = { 0 };
	struct chan	 a, c;
	struct msg_w	 w;
	struct msg	 m;
	const uint8_t	*p;
	uint8_t		*taken;
	size_t		 len;
	uint32_t	 id;
	int		 sv[2], r;

	(void)state;
	memset(body, 0x5a, sizeof(body));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	chan_init(&a, sv[0]);
	chan_init(&c, sv[1]);
	for (id = 1; id <= 2; id++) {
		msg_begin(&w, MSG_VAULT_UNLOCK_REQ, id);
		msg_put_bin(&w, body, sizeof(body));
		msg_put_bin(&w, "", 0);
		msg_put_bool(&w, 0);
		assert_int_equal(msg_finish(&w), 0);
		assert_int_equal(msgbuf_add(&b, w.buf.data, w.buf.len), 0);
		msg_w_free(&w);
	}
	taken = b.data;
	assert_int_equal(chan_queue_buf(&a, &b), 0);
	assert_ptr_equal(a.out.data, taken);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	msg_begin(&w, MSG_VAULT_LOCK_REQ, 3);
	assert_int_equal(msg_finish(&w), 0);
	assert_int_equal(msgbuf_add(&b, w.buf.data, w.buf.len), 0);
	msg_w_free(&w);
	assert_int_equal(chan_queue_buf(&a, &b), 0);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	/* behind a queue past CHAN_KEEP: queued apart, the queue unchanged */
	assert_ptr_equal(a.out.data, taken);
	assert_int_equal(a.nmore, 1);
	assert_int_equal(chan_unwritten(&a), a.out.len - a.outoff +
	    a.more[0].len);
	assert_true(a.more[0].len > 0 && a.more[0].len < 64);
	assert_int_equal(a.more[0].mapped, MSGBUF_MAPS);
	while ((r = chan_flush(&a)) == CV_ERR_AGAIN)
		assert_int_equal(chan_fill(&c), 0);
	assert_int_equal(r, 0);
	/*
	 * past CHAN_KEEP, the queue's memory went back once it was sent;
	 * the small frame's locked memory is the queue's now
	 */
	assert_true(a.out.data != taken);
	assert_true(a.out.cap <= CHAN_KEEP);
	assert_int_equal(a.out.len, 0);
	assert_int_equal(a.nmore, 0);
	assert_null(a.more[0].data);
	assert_int_equal(a.more[0].cap, 0);
	assert_false(chan_pending(&a));
	/* a small frame is copied into new memory, locked */
	msg_begin(&w, MSG_VAULT_LOCK_REQ, 4);
	assert_int_equal(msg_finish(&w), 0);
	assert_int_equal(msgbuf_add(&b, w.buf.data, w.buf.len), 0);
	msg_w_free(&w);
	assert_int_equal(chan_queue_buf(&a, &b), 0);
	assert_int_equal(a.out.mapped, MSGBUF_MAPS);
	assert_null(b.data);
	while ((r = chan_flush(&a)) == CV_ERR_AGAIN)
		assert_int_equal(chan_fill(&c), 0);
	assert_int_equal(r, 0);
	for (id = 1; id <= 4; id++) {
		while ((r = chan_next(&c, &m)) == CV_ERR_AGAIN)
			assert_int_equal(chan_fill(&c), 0);
		assert_int_equal(r, 0);
		assert_int_equal(m.id, id);
		if (id < 3) {
			assert_int_equal(msg_get_bin(&m.rd, &p, &len,
			    sizeof(body)), 0);
			assert_int_equal(len, sizeof(body));
			assert_memory_equal(p, body, len);
		}
		msg_clear(&m);
	}
	chan_free(&a);
	chan_free(&c);
}

/* A frame of MSG_VAULT_UNLOCK_REQ with body filled with id's byte. */
static void
frame_at(struct msgbuf *b, uint32_t id, uint8_t *body, size_t len)
{
	struct msg_w	w;

	memset(body, (int)id, len);
	msg_begin_at(&w, b, MSG_VAULT_UNLOCK_REQ, id);
	msg_put_bin(&w, body, len);
	msg_put_bin(&w, "", 0);
	msg_put_bool(&w, 0);
	assert_int_equal(msg_end_at(&w, b), 0);
}

/*
 * Behind a queue past CHAN_KEEP: each buffer past CHAN_KEEP is kept
 * whole, uncopied, in order (up to CHAN_MORE); a small frame goes into
 * the room the last one has; past CHAN_MORE buffers, frames are copied
 * behind the last.  The peer reads every frame in order, and every
 * buffer goes back once written.
 */
static void
test_queue_more(void **state)
{
	static uint8_t	 body[300000];
	struct msgbuf	 b = { 0 };
	struct chan	 a, c;
	struct msg	 m;
	const uint8_t	*p, *given[CHAN_MORE + 2];
	size_t		 len, i, last;
	uint32_t	 id, n = 0;
	int		 sv[2], r;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	chan_init(&a, sv[0]);
	chan_init(&c, sv[1]);
	for (i = 0; i < CHAN_MORE + 1; i++) {
		frame_at(&b, ++n, body, sizeof(body));
		given[i] = b.data;
		assert_int_equal(chan_queue_buf(&a, &b), 0);
		assert_null(b.data);
		assert_int_equal(b.len, 0);
		if (i == 0)
			assert_ptr_equal(a.out.data, given[0]);
		else
			assert_ptr_equal(a.more[i - 1].data, given[i]);
		assert_int_equal(a.nmore, i);
	}
	/* a small frame: into the last one's room, not a buffer of its own */
	last = a.more[CHAN_MORE - 1].len;
	frame_at(&b, ++n, body, 16);
	len = b.len;
	assert_true(a.more[CHAN_MORE - 1].cap - last >= len);
	assert_int_equal(chan_queue_buf(&a, &b), 0);
	assert_int_equal(a.nmore, CHAN_MORE);
	assert_ptr_equal(a.more[CHAN_MORE - 1].data, given[CHAN_MORE]);
	assert_int_equal(a.more[CHAN_MORE - 1].len, last + len);
	/* more full: a large one copied behind the last */
	frame_at(&b, ++n, body, sizeof(body));
	given[CHAN_MORE + 1] = b.data;
	assert_int_equal(chan_queue_buf(&a, &b), 0);
	assert_null(b.data);
	assert_int_equal(a.nmore, CHAN_MORE);
	for (i = 0; i < CHAN_MORE; i++)
		assert_true(a.more[i].data != given[CHAN_MORE + 1]);
	/* nothing was moved down or added to the queue being written */
	assert_ptr_equal(a.out.data, given[0]);
	for (id = 1; id <= n; id++) {
		for (;;) {
			r = chan_flush(&a);
			assert_true(r == 0 || r == CV_ERR_AGAIN);
			if ((r = chan_next(&c, &m)) != CV_ERR_AGAIN)
				break;
			assert_int_equal(chan_fill(&c), 0);
		}
		assert_int_equal(r, 0);
		assert_int_equal(m.id, id);
		assert_int_equal(msg_get_bin(&m.rd, &p, &len, sizeof(body)), 0);
		assert_int_equal(len, id == CHAN_MORE + 2 ? 16 : sizeof(body));
		for (i = 0; i < len; i++)
			if (p[i] != (uint8_t)id)
				fail_msg("frame %u: byte %zu", id, i);
		msg_clear(&m);
	}
	assert_int_equal(chan_flush(&a), 0);
	assert_false(chan_pending(&a));
	assert_int_equal(chan_unwritten(&a), 0);
	assert_int_equal(a.nmore, 0);
	assert_null(a.out.data);
	for (i = 0; i < CHAN_MORE; i++)
		assert_null(a.more[i].data);
	chan_free(&a);
	chan_free(&c);
}

/*
 * msg_begin_at packs a frame behind those a buffer holds, byte for byte
 * as msg_begin does; a frame that fails leaves the buffer as it was, and
 * what it had written past it wiped.
 */
static void
test_begin_at(void **state)
{
	static uint8_t	 body[70000], big[MSG_MAX_FRAME];
	struct msgbuf	 b = { 0 };
	struct msg_w	 w;
	uint8_t		*before;
	size_t		 len, i;
	uint32_t	 id;

	(void)state;
	for (id = 1; id <= 3; id++) {
		len = b.len;
		frame_at(&b, id, body, id == 2 ? 5 : sizeof(body));
		msg_begin(&w, MSG_VAULT_UNLOCK_REQ, id);
		msg_put_bin(&w, body, id == 2 ? 5 : sizeof(body));
		msg_put_bin(&w, "", 0);
		msg_put_bool(&w, 0);
		assert_int_equal(msg_finish(&w), 0);
		assert_int_equal(b.len - len, w.buf.len);
		assert_memory_equal(b.data + len, w.buf.data, w.buf.len);
		msg_w_free(&w);
	}
	len = b.len;
	assert_non_null(before = malloc(len));
	memcpy(before, b.data, len);
	memset(big, 0x77, sizeof(big));
	msg_begin_at(&w, &b, MSG_HELLO_REQ, 4);
	assert_null(b.data);			/* the frame's now */
	msg_put_u64(&w, 1);
	msg_put_bin(&w, big, sizeof(big));
	assert_int_equal(msg_end_at(&w, &b), CV_ERR_MSG_TOOBIG);
	assert_null(w.buf.data);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, before, len);
	assert_true(b.cap >= len + sizeof(big));
	for (i = len; i < len + sizeof(big); i++)
		if (b.data[i] != 0)
			fail_msg("byte %zu past the frames left unwiped", i);
	msg_begin_at(&w, &b, 999, 5);
	assert_int_equal(msg_end_at(&w, &b), CV_ERR_MSG_UNKNOWN);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, before, len);
	free(before);
	msgbuf_free(&b);
}

static void
test_fill_shrinks(void **state)
{
	static uint8_t	body[600000];
	struct chan	a, b;
	struct msg_w	w;
	struct msg	m;
	int		sv[2], r;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);
	msg_begin(&w, MSG_VAULT_UNLOCK_REQ, 1);
	msg_put_bin(&w, body, sizeof(body));
	msg_put_bin(&w, "", 0);
	msg_put_bool(&w, 0);
	assert_int_equal(chan_queue(&a, &w), 0);
	msg_begin(&w, MSG_VAULT_LOCK_REQ, 2);
	assert_int_equal(chan_queue(&a, &w), 0);
	while ((r = chan_flush(&a)) == CV_ERR_AGAIN)
		assert_int_equal(chan_fill(&b), 0);
	assert_int_equal(r, 0);
	/* over CHAN_KEEP: freed; the small frame behind it, kept's */
	assert_true(a.out.cap <= CHAN_KEEP);
	assert_int_equal(a.nmore, 0);
	while ((r = chan_next(&b, &m)) == CV_ERR_AGAIN)
		assert_int_equal(chan_fill(&b), 0);
	assert_int_equal(r, 0);
	assert_int_equal(m.id, 1);
	assert_true(b.in.cap > CHAN_KEEP);
	msg_clear(&m);
	while ((r = chan_next(&b, &m)) == CV_ERR_AGAIN)
		assert_int_equal(chan_fill(&b), 0);
	assert_int_equal(r, 0);
	assert_int_equal(m.id, 2);
	msg_clear(&m);
	/* all consumed: the next fill starts from a small buffer */
	msg_begin(&w, MSG_VAULT_LOCK_REQ, 3);
	assert_int_equal(chan_send(&a, &w), 0);
	assert_int_equal(chan_fill(&b), 0);
	assert_true(b.in.cap <= CHAN_KEEP);
	assert_int_equal(chan_next(&b, &m), 0);
	assert_int_equal(m.id, 3);
	msg_clear(&m);
	chan_free(&a);
	chan_free(&b);
}

static void
test_finish_toobig(void **state)
{
	static uint8_t	big[MSG_MAX_FRAME];
	struct msg_w	w;

	msg_begin(&w, MSG_HELLO_REQ, 1);
	msg_put_u64(&w, 1);
	msg_put_bin(&w, big, sizeof(big));
	assert_int_equal(msg_finish(&w), CV_ERR_MSG_TOOBIG);
	msg_w_free(&w);

	msg_begin(&w, 999, 1);
	assert_int_equal(msg_finish(&w), CV_ERR_MSG_UNKNOWN);
	msg_w_free(&w);
}

/*
 * ARCHITECTURE.md's message table is the protocol table: the rows between
 * its markers are exactly what MSG_LIST says, in its order.
 */
static void
test_doc_table(void **state)
{
	const struct msg_spec	*sp;
	FILE			*f;
	char			 want[1024], line[1024];
	int			 t, in = 0, row = 1;

	assert_non_null(f = fopen("ARCHITECTURE.md", "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "<!-- msg table begin", 20) == 0) {
			in = 1;
			continue;
		}
		if (strncmp(line, "<!-- msg table end", 18) == 0)
			break;
		if (!in || strncmp(line, "| MSG_", 6) != 0)
			continue;
		while (row < MSG_TYPE_MAX && msg_spec((uint32_t)row) == NULL)
			row++;
		assert_true(row < MSG_TYPE_MAX);
		sp = msg_spec((uint32_t)row++);
		snprintf(want, sizeof(want), "| %s | %s \xe2\x86\x92 %s | %s | "
		    "`%s` |\n", sp->name, sp->from, sp->to, sp->doc,
		    sp->fields[0] ? sp->fields : "-");
		if (strcmp(line, want) != 0)
			print_error("ARCHITECTURE.md has\n%swhere the protocol "
			    "table says\n%s", line, want);
		assert_string_equal(line, want);
	}
	fclose(f);
	for (t = row; t < MSG_TYPE_MAX; t++)
		if (msg_spec((uint32_t)t) != NULL)
			print_error("ARCHITECTURE.md lacks %s\n",
			    msg_name((uint32_t)t));
	assert_int_equal(row, MSG_TYPE_MAX);
}

static void
test_names(void **state)
{
	int	t;

	assert_string_equal(msg_name(MSG_HELLO_REQ), "MSG_HELLO_REQ");
	assert_string_equal(msg_name(MSG_TYPE_MAX), "MSG_?");
	for (t = 1; t < MSG_TYPE_MAX; t++) {
		assert_true(msg_nfields((uint32_t)t) >= 0);
		assert_int_equal(strncmp(msg_name((uint32_t)t), "MSG_", 4), 0);
	}
}

/* This process's locked memory, in kB (VmLck). */
static long
vmlck_kb(void)
{
	char	 line[256];
	long	 kb = -1;
	FILE	*f;

	assert_non_null(f = fopen("/proc/self/status", "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	assert_true(kb >= 0);
	return kb;
}

/* A credential's frame, as vaultctl queues it for vaultd. */
static void
queue_unlock(struct chan *c, uint32_t id)
{
	struct msg_w	w;

	msg_begin(&w, MSG_CTL_UNLOCK_REQ, id);
	msg_put_bin(&w, "correct horse battery", 21);
	msg_put_bool(&w, 0);
	assert_int_equal(chan_queue(c, &w), 0);
}

/*
 * A gateway answer with bodylen bytes of body and an API passphrase
 * header, begun in w, not finished.
 */
static void
gw_ans_frame(struct msg_w *w, uint32_t id, size_t bodylen)
{
	static uint8_t	pem[300000];

	assert_true(bodylen <= sizeof(pem));
	msg_begin(w, MSG_GW_ANS, id);
	msg_put_str(w, "main");
	msg_put_str(w, "https://clob.example");
	msg_put_bin(w, pem, bodylen);
	msg_put_str(w, "");
	msg_put_array(w, 1);
	msg_put_array(w, 2);
	msg_put_str(w, "POLY_PASSPHRASE");
	msg_put_str(w, "correct horse battery");
	msg_put_bool(w, 0);
	msg_put_bin(w, "", 0);
}

/* That frame queued on c. */
static void
queue_body(struct chan *c, uint32_t id, size_t bodylen)
{
	struct msg_w	w;

	gw_ans_frame(&w, id, bodylen);
	assert_int_equal(chan_queue(c, &w), 0);
}

/*
 * A channel's input and queue carry passphrases (an unlock's, a signed
 * request's API passphrase): their pages are locked, their own, and
 * unlocked with them, while they are at most CHAN_KEEP.  So is the
 * page the frames are built in, kept (4 kB here) until released.
 */
static void
test_chan_locked(void **state)
{
	struct rlimit	 rl;
	struct chan	 a, b;
	struct msg_w	 w;
	struct msg	 m;
	uint8_t		*taken;
	long		 base;
	int		 sv[2];

	(void)state;
	/* the pages this takes need a limit of 512 KiB, or root's */
	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	if (!MSGBUF_MAPS || (geteuid() != 0 && rl.rlim_cur < 512 * 1024))
		skip();
	msg_w_release();
	base = vmlck_kb();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);
	queue_unlock(&a, 1);
	assert_true(a.out.mapped);
	assert_int_equal(a.out.cap, 4096);
	assert_int_equal(vmlck_kb(), base + 4 + 4);
	assert_int_equal(chan_flush(&a), 0);
	assert_int_equal(chan_recv(&b, &m), 0);
	assert_int_equal(m.type, MSG_CTL_UNLOCK_REQ);
	msg_clear(&m);
	assert_true(b.in.mapped);
	assert_int_equal(b.in.cap % 4096, 0);
	assert_int_equal(vmlck_kb(), base + 8 + (long)b.in.cap / 1024);

	/*
	 * A queue past CHAN_KEEP (a burst of large bodies) is malloc's,
	 * not locked, until sent: locked memory is the queue that stays.
	 */
	gw_ans_frame(&w, 2, 300000);
	assert_int_equal(msg_finish(&w), 0);
	assert_false(w.buf.mapped);
	taken = w.buf.data;
	assert_int_equal(chan_queue_buf(&b, &w.buf), 0);
	assert_ptr_equal(b.out.data, taken);
	assert_false(b.out.mapped);
	assert_true(b.out.lock);
	assert_int_equal(vmlck_kb(), base + 8 + (long)b.in.cap / 1024);
	msg_w_free(&w);
	/* sent, it goes; a frame after it is in locked memory again */
	while (chan_flush(&b) == CV_ERR_AGAIN)
		assert_int_equal(chan_fill(&a), 0);
	assert_null(b.out.data);
	queue_unlock(&b, 3);
	assert_true(b.out.mapped);
	/* a read part of it into its input, locked while at most CHAN_KEEP */
	assert_int_equal(vmlck_kb(), base + 8 + (long)(b.in.cap +
	    b.out.cap + (a.in.mapped ? a.in.cap : 0)) / 1024);

	chan_free(&a);
	chan_free(&b);
	assert_int_equal(vmlck_kb(), base + 4);
	msg_w_release();
	assert_int_equal(vmlck_kb(), base);
	/* freed, a channel's buffers are still ones to lock */
	assert_true(a.in.lock && a.out.lock && b.in.lock && b.out.lock);
}

/*
 * A locked queue of more than half CHAN_KEEP that must grow, still
 * within CHAN_KEEP, grows to CHAN_KEEP in locked pages, not to twice
 * its size in malloc's: what it holds (an API passphrase) stays locked.
 */
static void
test_chan_grow_locked(void **state)
{
	struct chan	c;

	(void)state;
	if (!MSGBUF_MAPS)
		skip();
	chan_init(&c, -1);
	queue_body(&c, 1, 140000);
	assert_true(c.out.mapped);
	assert_true(c.out.cap > CHAN_KEEP / 2 && c.out.cap < CHAN_KEEP);
	queue_body(&c, 2, 60000);
	assert_true(c.out.len <= CHAN_KEEP);
	assert_true(c.out.mapped);
	assert_int_equal(c.out.cap, CHAN_KEEP);
	chan_free(&c);
}

/*
 * A buffer whose memory becomes the channel's queue is left empty with
 * its owner's lock as it was: the next frames its owner puts there are
 * locked as before.  The lock used to be cleared with the rest.
 */
static void
test_queue_buf_keeps_lock(void **state)
{
	static uint8_t	big[CHAN_KEEP + 1];
	struct msgbuf	b;
	struct chan	c;

	(void)state;
	chan_init(&c, -1);
	memset(&b, 0, sizeof(b));
	b.lock = 1;
	assert_int_equal(msgbuf_add(&b, big, sizeof(big)), 0);
	assert_int_equal(chan_queue_buf(&c, &b), 0);
	assert_int_equal(c.out.len, sizeof(big));
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.lock, 1);
	chan_free(&c);
}

/* test_msg's argument to be test_lock_failure_told's process. */
#define LOCK_CHILD	"--lock-failure-child"

/*
 * test_lock_failure_told's process, its log on standard output: the
 * memory lock limit 0, root (CAP_IPC_LOCK, which no limit binds) nobody
 * first.  0 if each lock failed and was counted, from none.
 */
static int
lock_failure_child(void)
{
	struct rlimit	 rl = { 0, 0 };
	struct secret	 sec;
	struct chan	 a;
	int		 fail;

	fail = setrlimit(RLIMIT_MEMLOCK, &rl) != 0 ||
	    (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) ||
	    sodium_init() < 0;
	log_to_fd(STDOUT_FILENO, 1);
	fail |= secmem_lock_failures() != 0;
	/* a secret first: sodium_malloc alone says nothing */
	fail |= secret_alloc(&sec, 32) != 0;
	fail |= secmem_lock_failures() != 1;
	/* the frame's page and the queue's, each told once */
	chan_init(&a, -1);
	queue_unlock(&a, 1);
	fail |= !a.out.mapped || secmem_lock_failures() != 3;
	chan_free(&a);
	secret_free(&sec);
	return fail;
}

/*
 * A frame carrying a secret (a bot's passphrase to signerd) is built in
 * locked pages, never in malloc's memory, and so is every copy of it on
 * its way: the queue, the peer's input, whose decoded string points into
 * it (msgpack-c does not copy strings into its zone).  Once sent and
 * handled, no copy is left in the process but the caller's.  The frame's
 * pages are kept, wiped, for the next frame; one past CHAN_KEEP is
 * malloc's, wiped when freed, and gives them back.
 */
static void
test_frame_locked(void **state)
{
	struct rlimit	 rl;
	struct chan	 a, b;
	struct msg_w	 w, w2;
	struct msg	 m;
	const char	*s;
	const uint8_t	*p;
	uint8_t		*kept;
	char		 secret[33];
	size_t		 len, i;
	int		 sv[2];

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	if (!MSGBUF_MAPS || (geteuid() != 0 && rl.rlim_cur < 512 * 1024))
		skip();
	/* made here: no copy of it in the program's data */
	for (i = 0; i < sizeof(secret) - 1; i++)
		secret[i] = (char)('a' + randombytes_uniform(26));
	secret[sizeof(secret) - 1] = '\0';
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);

	msg_begin(&w, MSG_CLIENT_CHECK_REQ, 1);
	msg_put_str(&w, "bot-key");
	msg_put_str(&w, secret);
	msg_put_str(&w, "1700000000");
	msg_put_str(&w, "c2lnbmF0dXJl");
	msg_put_str(&w, "GET");
	msg_put_str(&w, "/orders");
	msg_put_bin(&w, "", 0);
	assert_int_equal(msg_finish(&w), 0);
	assert_non_null(s = memmem(w.buf.data, w.buf.len, secret, 32));
	assert_true(w.buf.mapped);
	assert_true(range_locked(s, 32));
	assert_false(in_heap(secret, 32));
	kept = w.buf.data;
	assert_int_equal(chan_queue(&a, &w), 0);
	assert_true(range_locked(a.out.data, a.out.len));
	assert_int_equal(copies_in_memory(secret, 32, secret), 1);
	assert_int_equal(chan_flush(&a), 0);
	assert_int_equal(copies_in_memory(secret, 32, secret), 0);
	assert_int_equal(chan_recv(&b, &m), 0);
	assert_int_equal(m.type, MSG_CLIENT_CHECK_REQ);
	m.rd.pos = 1;
	assert_int_equal(msg_get_str(&m.rd, &s, &len, 256), 0);
	assert_int_equal(len, 32);
	assert_memory_equal(s, secret, 32);
	assert_true((const uint8_t *)s > b.in.data &&
	    (const uint8_t *)s + len <= b.in.data + b.in.len);
	assert_true(range_locked(s, len));
	assert_false(in_heap(secret, 32));
	msg_clear(&m);
	assert_int_equal(chan_next(&b, &m), CV_ERR_AGAIN);
	assert_int_equal(copies_in_memory(secret, 32, secret), 0);
	/* a bin (an unlock's credential) the same */
	msg_begin(&w, MSG_CTL_UNLOCK_REQ, 2);
	msg_put_bin(&w, secret, 32);
	msg_put_bool(&w, 0);
	assert_int_equal(chan_send(&a, &w), 0);
	assert_int_equal(chan_recv(&b, &m), 0);
	assert_int_equal(msg_get_bin(&m.rd, &p, &len, 1024), 0);
	assert_int_equal(len, 32);
	assert_true(p > b.in.data && p + len <= b.in.data + b.in.len);
	assert_false(in_heap(secret, 32));
	msg_clear(&m);
	assert_int_equal(chan_next(&b, &m), CV_ERR_AGAIN);
	assert_int_equal(copies_in_memory(secret, 32, secret), 0);

	/* the next frame is built in the same pages, wiped */
	msg_begin(&w, MSG_CLIENT_CHECK_REQ, 2);
	assert_ptr_equal(w.buf.data, kept);
	assert_null(memmem(w.buf.data, w.buf.cap, secret, 32));
	msg_put_str(&w, "bot-key");
	msg_put_str(&w, secret);
	assert_true(range_locked(w.buf.data, w.buf.len));
	/* one begun meanwhile has locked pages of its own */
	msg_error_begin(&w2, 2, CV_ERR_INVALID, secret);
	assert_true(w2.buf.data != kept);
	assert_true(range_locked(w2.buf.data, w2.buf.len));
	msg_w_free(&w);
	msg_w_free(&w2);
	assert_int_equal(copies_in_memory(secret, 32, secret), 0);

	/* past CHAN_KEEP: malloc's, wiped, the locked pages given back */
	gw_ans_frame(&w, 3, 300000);
	assert_false(w.buf.mapped);
	assert_non_null(memmem(w.buf.data, w.buf.len, "correct horse", 13));
	assert_int_equal(msg_finish(&w), 0);
	msg_w_free(&w);
	msg_begin(&w, MSG_VAULT_LOCK_REQ, 4);
	assert_ptr_equal(w.buf.data, kept);
	assert_null(memmem(w.buf.data, w.buf.cap, "correct horse", 13));
	msg_w_free(&w);

	chan_free(&a);
	chan_free(&b);
}

static void *
frame_thread(void *arg)
{
	struct msg_w	w;

	(void)arg;
	msg_begin(&w, MSG_VAULT_LOCK_REQ, 1);
	msg_w_free(&w);
	return NULL;
}

/* A thread that ends unmaps the frame pages it kept. */
static void
test_frame_thread_ends(void **state)
{
	pthread_t	t;
	long		base;

	(void)state;
	if (!MSGBUF_MAPS)
		skip();
	base = vmlck_kb();
	assert_int_equal(pthread_create(&t, NULL, frame_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(vmlck_kb(), base);
}

/*
 * Past the memory lock limit sodium_malloc and the channels go on with
 * swappable pages; the process says so once, naming nothing it holds.
 * A process of its own, this program run anew (lock_failure_child): a
 * child only forked carried this one's count of lock failures, and its
 * warning if told already, so that a lock failed by a test before (a
 * small limit, not root) failed this one.
 */
static void
test_lock_failure_told(void **state)
{
	static const char	want[] = "warning: cannot lock memory that "
	    "holds secrets (mlock: Operation not permitted): it may be "
	    "written to swap; raise the memory lock limit (LimitMEMLOCK=, "
	    "ulimit -l) or run without swap\n";
	char		 buf[1024], self[PATH_MAX];
	ssize_t		 n;
	size_t		 got = 0;
	pid_t		 pid;
	int		 p[2], status;

	(void)state;
	/* AddressSanitizer makes mlock succeed without locking */
	if (!MSGBUF_MAPS)
		skip();
	assert_true((n = readlink("/proc/self/exe", self, sizeof(self) - 1))
	    > 0);
	self[n] = '\0';
	assert_int_equal(pipe(p), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) == -1)
			_exit(126);
		close(p[0]);
		close(p[1]);
		execl(self, "test_msg", LOCK_CHILD, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(buf, want);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_not_array),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_unknown_and_count),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_utf8_steps),
		cmocka_unit_test(test_nested_strings),
		cmocka_unit_test(test_hostile_counts),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_flush_behind),
		cmocka_unit_test(test_queue_buf),
		cmocka_unit_test(test_queue_more),
		cmocka_unit_test(test_begin_at),
		cmocka_unit_test(test_frame_id),
		cmocka_unit_test(test_queue_buf_keeps_lock),
		cmocka_unit_test(test_fill_shrinks),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_finish_toobig),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_error_ans),
		cmocka_unit_test(test_doc_table),
		cmocka_unit_test(test_chan_locked),
		cmocka_unit_test(test_chan_grow_locked),
		cmocka_unit_test(test_frame_locked),
		cmocka_unit_test(test_frame_thread_ends),
		cmocka_unit_test(test_lock_failure_told),
	};

	if (argc == 2 && strcmp(argv[1], LOCK_CHILD) == 0)
		return lock_failure_child();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
