#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static const char	*log_proc = "clobvault";
static int		 log_verbose;

void
log_init(const char *procname, int verbose)
{
	log_proc = procname;
	log_verbose = verbose;
	/* glibc reads the zone file once, lazily: do it before any sandbox. */
	tzset();
}

/*
 * One write(2) per line so lines of the three processes sharing one
 * descriptor do not interleave, and so the sandboxes need only write.
 */
static void
vlog(const char *level, int saved_errno, const char *fmt, va_list ap)
{
	char		 line[1024];
	struct timespec	 ts;
	struct tm	 tm;
	int		 n, m;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02dZ %s[%ld]: %s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, log_proc, (long)getpid(), level);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m < 0)
		return;
	n = (size_t)(n + m) >= sizeof(line) - 2 ? (int)sizeof(line) - 2 :
	    n + m;
	if (saved_errno) {
		m = snprintf(line + n, sizeof(line) - 1 - n, ": %s",
		    strerror(saved_errno));
		if (m > 0)
			n = (size_t)(n + m) >= sizeof(line) - 2 ?
			    (int)sizeof(line) - 2 : n + m;
	}
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

#define LOGFN(name, level, useerrno, cond)		\
void							\
name(const char *fmt, ...)				\
{							\
	va_list	ap;					\
	int	e = errno;				\
							\
	if (!(cond))					\
		return;					\
	va_start(ap, fmt);				\
	vlog(level, (useerrno) ? e : 0, fmt, ap);	\
	va_end(ap);					\
	errno = e;					\
}

LOGFN(log_info, "", 0, 1)
LOGFN(log_debug, "debug: ", 0, log_verbose > 0)
LOGFN(log_warn, "warning: ", 1, 1)
LOGFN(log_warnx, "warning: ", 0, 1)

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	e = errno;

	va_start(ap, fmt);
	vlog("fatal: ", e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog("fatal: ", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
