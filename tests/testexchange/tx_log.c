/*
 * The request log: method, target, status and verdict of every request,
 * as JSON lines to a file and in a ring the admin endpoint serves.  It
 * never holds a header value or a body, which is where secrets travel;
 * the target is kept with every byte outside printable ASCII escaped
 * and is cut at TARGET_LOG_MAX.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "tests/testexchange/tx.h"

#define TARGET_LOG_MAX	512

static char	*sanitize(const char *);
static json_t	*entry_json(const struct tx_log_entry *);

int
tx_log_open(struct tx_log *l, const char *path, int verbose)
{
	int	fd;

	memset(l, 0, sizeof(*l));
	l->verbose = verbose;
	if (path == NULL)
		return 0;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1)
		return CV_ERR_IO;
	if ((l->f = fdopen(fd, "a")) == NULL) {
		close(fd);
		return CV_ERR_IO;
	}
	setvbuf(l->f, NULL, _IOLBF, 0);
	return 0;
}

void
tx_log_close(struct tx_log *l)
{
	size_t	i;

	if (l->f != NULL)
		fclose(l->f);
	for (i = 0; i < TX_LOG_RING; i++)
		free(l->ring[i].target);
	memset(l, 0, sizeof(*l));
}

/* Printable ASCII kept, every other byte as %XX; NULL on NOMEM. */
static char *
sanitize(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 i, o = 0;
	char			*out;

	if ((out = malloc(TARGET_LOG_MAX * 3 + 4)) == NULL)
		return NULL;
	for (i = 0; s[i] != '\0' && i < TARGET_LOG_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > 0x20 && c < 0x7f) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	if (s[i] != '\0') {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static json_t *
entry_json(const struct tx_log_entry *e)
{
	json_t	*j;

	j = json_pack("{s:I, s:s, s:s, s:i, s:s}", "ts", (json_int_t)e->ms,
	    "method", e->method, "target", e->target ? e->target : "",
	    "status", (int)e->status, "verdict", e->verdict);
	if (j != NULL && e->builder &&
	    json_object_set_new(j, "builder", json_true()) != 0) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

void
tx_log_add(struct tx_log *l, int64_t ms, const char *method,
    const char *target, unsigned int status, const char *verdict,
    int builder)
{
	struct tx_log_entry	*e;
	json_t			*j;
	char			*line;
	size_t			 i;

	i = (l->head + l->n) % TX_LOG_RING;
	if (l->n == TX_LOG_RING)
		l->head = (l->head + 1) % TX_LOG_RING;
	else
		l->n++;
	e = &l->ring[i];
	free(e->target);
	e->ms = ms;
	/* Methods are tokens; anything odd is shown escaped too. */
	snprintf(e->method, sizeof(e->method), "%s", method);
	for (i = 0; e->method[i] != '\0'; i++)
		if (e->method[i] < 'A' || e->method[i] > 'Z')
			e->method[i] = '?';
	e->target = sanitize(target);
	e->status = status;
	e->verdict = verdict;
	e->builder = builder;
	if (l->verbose)
		log_info("%s %s -> %u %s", e->method,
		    e->target ? e->target : "", status, verdict);
	if (l->f == NULL || (j = entry_json(e)) == NULL)
		return;
	if ((line = json_dumps(j, JSON_COMPACT)) != NULL) {
		fprintf(l->f, "%s\n", line);
		free(line);
	}
	json_decref(j);
}

json_t *
tx_log_json(const struct tx_log *l)
{
	json_t	*a;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < l->n; i++) {
		if (json_array_append_new(a,
		    entry_json(&l->ring[(l->head + i) % TX_LOG_RING])) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}
