/*
 * Fuzz the frame decoder: the input is a byte stream as a peer would send
 * it.  Every whole frame is decoded and every field read with each getter,
 * as a handler might.
 */
#include <stdint.h>
#include <string.h>

#include "common/msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
walk(struct msg_rd *rd, int depth)
{
	struct msg_rd	 sub;
	const char	*s;
	const uint8_t	*b;
	size_t		 len;
	uint64_t	 u;
	int64_t		 i;
	int		 v;

	while (rd->pos < rd->n) {
		if (msg_get_u64(rd, &u) == 0 || msg_get_i64(rd, &i) == 0 ||
		    msg_get_bool(rd, &v) == 0 ||
		    msg_get_str(rd, &s, &len, MSG_MAX_STR) == 0 ||
		    msg_get_bin(rd, &b, &len, MSG_MAX_FRAME) == 0)
			continue;
		if (depth < 4 && msg_get_array(rd, &sub, MSG_MAX_ARRAY) == 0) {
			walk(&sub, depth + 1);
			continue;
		}
		rd->pos++;	/* a type no getter takes: skip it */
	}
	(void)!msg_rd_done(rd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chan	c;
	struct msg	m;
	int		r;

	chan_init(&c, -1);
	if (msgbuf_add(&c.in, data, size) != 0)
		return 0;
	while ((r = chan_next(&c, &m)) != CV_ERR_AGAIN) {
		if (r != 0)
			break;
		walk(&m.rd, 0);
		msg_clear(&m);
	}
	chan_free(&c);
	return 0;
}
