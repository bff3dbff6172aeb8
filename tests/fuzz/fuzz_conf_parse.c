/*
 * Fuzz the configuration file's parser, vaultd.conf(5), as vaultd -n
 * runs it on a file.  A refused file must say why, at a line of it, in
 * a message of printable ASCII that ends within its buffer; a file that
 * parses has nothing said against it; the same text parses to the same
 * settings and the same errors again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vaultd/vaultd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What the operator's terminal shows: no byte of the file but ASCII. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vaultd_conf	a, b;
	size_t				i, lines = 1;
	int				r;

	if (size > VAULTD_CONF_MAX)
		return 0;		/* conf_load refuses it unread */
	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			lines++;
	memset(&a, 0, sizeof(a));
	r = conf_parse((const char *)data, size, &a);
	if (r == CV_ERR_NOMEM)
		return 0;
	if (r != 0 && r != CV_ERR_INVALID)
		abort();
	if ((r == 0) != (a.nerrs == 0 && !a.more))
		abort();
	if (a.nerrs > VAULTD_CONF_ERRS || (a.more && a.nerrs !=
	    VAULTD_CONF_ERRS))
		abort();
	for (i = 0; i < a.nerrs; i++)
		if (a.errs[i].line < 0 || (size_t)a.errs[i].line > lines ||
		    a.errs[i].col < 0 || a.errs[i].msg[0] == '\0' ||
		    memchr(a.errs[i].msg, '\0', sizeof(a.errs[i].msg)) ==
		    NULL || !printable(a.errs[i].msg))
			abort();
	if (r == 0)
		for (i = 0; i < CONF_NKEYS; i++)
			if (a.line_of[i] < 0 || (size_t)a.line_of[i] > lines)
				abort();
	memset(&b, 0, sizeof(b));
	if (conf_parse((const char *)data, size, &b) != r ||
	    memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	return 0;
}
