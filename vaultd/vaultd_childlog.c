/*
 * What the children log.  A child's standard error is /dev/null; it
 * writes its lines to a pipe of its own (CHILD_LOG_FD), and vaultd
 * writes them to its log under the name and pid it knows, never under
 * one the child claims.  A child is not trusted with vaultd's log any
 * more than with anything else: its bytes are cleaned, its lines cut to
 * a bound, and its rate limited, so that it can neither forge a line of
 * vaultd's nor bury one under its own.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "vaultd/vaultd.h"

#define CHILDLOG_READ_MAX	65536	/* bytes read per loop turn */
#define CHILDLOG_CUT		" [cut]"

void
childlog_open(struct child *ch, int fd)
{
	ch->log_fd = fd;
	ch->log_len = 0;
	ch->log_cut = 0;
	ch->log_tokens = (int64_t)VAULTD_CHILDLOG_BURST * 1000;
	ch->log_fill_ms = vaultd_now_ms();
}

/* A token bucket of lines: 1 if one more may be logged now. */
static int
childlog_take(struct child *ch, int64_t now)
{
	const int64_t	cap = (int64_t)VAULTD_CHILDLOG_BURST * 1000;

	if (now > ch->log_fill_ms) {
		ch->log_tokens += (now - ch->log_fill_ms) *
		    VAULTD_CHILDLOG_RATE;
		if (ch->log_tokens > cap)
			ch->log_tokens = cap;
		ch->log_fill_ms = now;
	}
	if (ch->log_tokens < 1000)
		return 0;
	ch->log_tokens -= 1000;
	return 1;
}

/* Say how many lines were dropped: when due, or now if force. */
static void
childlog_report(struct child *ch, int64_t now, int force)
{
	if (ch->log_dropped == 0)
		return;
	if (!force && ch->log_report_ms != 0 &&
	    now - ch->log_report_ms < VAULTD_CHILDLOG_REPORT_MS)
		return;
	log_warnx("%llu lines from %s dropped: pid %ld logged more than %d "
	    "a second", (unsigned long long)ch->log_dropped, ch->name,
	    (long)ch->pid, VAULTD_CHILDLOG_RATE);
	ch->log_dropped = 0;
	ch->log_report_ms = now;
}

/* Log the line in log_buf, if the rate allows; cut: it went on. */
static void
childlog_line(struct child *ch, int cut)
{
	char		 text[VAULTD_CHILDLOG_LINE * 4 + sizeof(CHILDLOG_CUT)];
	static const char hex[] = "0123456789abcdef";
	int64_t		 now = vaultd_now_ms();
	unsigned char	 b;
	size_t		 i, n = 0;

	if (ch->log_len == 0 && !cut)
		return;
	if (!childlog_take(ch, now)) {
		ch->log_dropped++;
		return;
	}
	childlog_report(ch, now, 0);
	for (i = 0; i < ch->log_len; i++) {
		b = (unsigned char)ch->log_buf[i];
		if (b >= 0x20 && b < 0x7f && b != '\\') {
			text[n++] = (char)b;
			continue;
		}
		text[n++] = '\\';
		text[n++] = 'x';
		text[n++] = hex[b >> 4];
		text[n++] = hex[b & 0xf];
	}
	if (cut) {
		memcpy(text + n, CHILDLOG_CUT, sizeof(CHILDLOG_CUT) - 1);
		n += sizeof(CHILDLOG_CUT) - 1;
	}
	text[n] = '\0';
	log_relay(ch->name, (long)ch->pid, text);
}

/* Split what came into lines; a line past the bound is cut there. */
static void
childlog_feed(struct child *ch, const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n') {
			if (!ch->log_cut)
				childlog_line(ch, 0);
			ch->log_len = 0;
			ch->log_cut = 0;
		} else if (ch->log_cut)
			continue;
		else if (ch->log_len == sizeof(ch->log_buf)) {
			childlog_line(ch, 1);
			ch->log_len = 0;
			ch->log_cut = 1;
		} else
			ch->log_buf[ch->log_len++] = p[i];
	}
}

/* The end of the pipe: the last partial line, the count, the fd. */
static void
childlog_end(struct child *ch)
{
	if (!ch->log_cut)
		childlog_line(ch, 0);
	ch->log_len = 0;
	ch->log_cut = 0;
	childlog_report(ch, vaultd_now_ms(), 1);
	if (ch->log_fd != -1)
		close(ch->log_fd);
	ch->log_fd = -1;
}

/* Read up to max bytes; at the end of the pipe or on an error, end it. */
static void
childlog_read(struct child *ch, size_t max)
{
	char	buf[4096];
	size_t	total = 0;
	ssize_t	n;

	while (ch->log_fd != -1 && total < max) {
		n = read(ch->log_fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == -1)
			log_warn("log pipe of %s", ch->name);
		if (n <= 0) {
			childlog_end(ch);
			return;
		}
		childlog_feed(ch, buf, (size_t)n);
		total += (size_t)n;
	}
}

void
childlog_readable(struct child *ch)
{
	childlog_read(ch, CHILDLOG_READ_MAX);
}

void
childlog_tick(struct child *ch)
{
	childlog_report(ch, vaultd_now_ms(), 0);
}

void
childlog_close(struct child *ch)
{
	/* It is gone: what is in the pipe is all there will be. */
	childlog_read(ch, SIZE_MAX);
	if (ch->log_fd != -1)
		childlog_end(ch);
	else
		childlog_report(ch, vaultd_now_ms(), 1);
}
