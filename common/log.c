#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/utf8.h"

static const char	*log_proc = "clobvault";
static int		 log_verbose;
static int		 log_fd = STDERR_FILENO;
static int		 log_bare;
static char		 log_path[PATH_MAX];	/* log_limit's file */
static unsigned long long log_max;
static int		 log_rotating;

void
log_init(const char *procname, int verbose)
{
	log_proc = procname;
	log_verbose = verbose;
	/* glibc reads the zone file once, lazily: do it before any sandbox. */
	tzset();
}

void
log_to_fd(int fd, int bare)
{
	log_fd = fd;
	log_bare = bare;
}

void
log_limit(const char *path, unsigned long long max)
{
	if (strlen(path) + sizeof(".1") > sizeof(log_path))
		return;
	snprintf(log_path, sizeof(log_path), "%s", path);
	log_max = max;
}

/*
 * Past twice the limit, a log no longer at its path (a rotation found
 * the name taken, or the file was moved away and no SIGHUP followed)
 * goes on in a new file at the path if none is there (O_EXCL: a file
 * put there is not vaultd's log), each file saying so.  Else it gets
 * one last line, and standard error then goes to /dev/null until a
 * SIGHUP or a restart opens the path anew.  Without /dev/null the file
 * is emptied instead: the bound holds either way.  The audit log is
 * another file, not touched by this.
 */
static void
log_stop(void)
{
	int	fd;

	log_rotating = 1;
	fd = open(log_path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
	    O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
	if (fd != -1) {
		log_warnx("this log is past %llu bytes, twice log-max-size, "
		    "and no longer at %s: lines go on in a new %s",
		    2 * log_max, log_path, log_path);
		if (fd != log_fd) {
			(void)dup2(fd, log_fd);
			close(fd);
		}
		log_info("the log before this one was moved away from %s and "
		    "grew past twice log-max-size", log_path);
		log_rotating = 0;
		return;
	}
	log_warnx("this log is past %llu bytes, twice log-max-size, and no "
	    "longer at %s: no more lines until a SIGHUP or a restart opens %s "
	    "anew", 2 * log_max, log_path, log_path);
	log_rotating = 0;
	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
	    dup2(fd, log_fd) == -1)
		(void)!ftruncate(log_fd, 0);
	if (fd != -1 && fd != log_fd)
		close(fd);
}

/* The rename that log_limit promises, once a line took the file past it. */
static void
log_size_check(void)
{
	struct stat	fst, pst;
	char		old[PATH_MAX + 3];
	int		fd;

	if (log_max == 0 || log_rotating || log_fd != STDERR_FILENO ||
	    fstat(log_fd, &fst) == -1 || !S_ISREG(fst.st_mode) ||
	    (unsigned long long)fst.st_size <= log_max)
		return;
	/* the file written must be the one at the path, not a moved one */
	if (stat(log_path, &pst) == -1 || pst.st_dev != fst.st_dev ||
	    pst.st_ino != fst.st_ino) {
		if ((unsigned long long)fst.st_size - log_max > log_max)
			log_stop();
		return;
	}
	snprintf(old, sizeof(old), "%s.1", log_path);
	if (rename(log_path, old) == -1)
		return;
	log_rotating = 1;
	/* a file put at the path since the rename is not vaultd's log */
	fd = open(log_path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
	    O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
	if (fd == -1)
		log_warnx("cannot open %s anew: %s; logging on in %s up to "
		    "%llu bytes", log_path, strerror(errno), old, 2 * log_max);
	else {
		if (fd != log_fd) {
			(void)dup2(fd, log_fd);
			close(fd);
		}
		log_info("log past %llu bytes: the lines before are in %s",
		    log_max, old);
	}
	log_rotating = 0;
}

/* "TIME name[pid]: " into line; its length, or -1 if it does not fit. */
static int
log_stamp(char *line, size_t len, const char *name, long pid)
{
	struct timespec	 ts;
	struct tm	 tm;
	int		 n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, len, "%04d-%02d-%02dT%02d:%02d:%02dZ %s[%ld]: ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, name, pid);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

/*
 * One write(2) per line, so that a reader (vaultd, for a child's pipe)
 * gets whole lines, and so that the sandboxes need only write.  A line
 * is one line whatever its arguments carry: text from a peer (an error
 * a child answered, an account name a client sent) could otherwise add
 * lines of its own, move the cursor of whoever reads the log, or
 * reorder what the line shows.  Each of its C0 and C1 controls, line
 * and paragraph separators, bidi controls and bytes that are not UTF-8
 * becomes one '?' (utf8_clean, common/utf8.h).
 */
static void
vlog(const char *level, int saved_errno, const char *fmt, va_list ap)
{
	char	line[1024];
	int	n = 0, m;

	if (!log_bare &&
	    (n = log_stamp(line, sizeof(line), log_proc, (long)getpid())) < 0)
		return;
	m = snprintf(line + n, sizeof(line) - n, "%s", level);
	if (m < 0 || (size_t)(n + m) >= sizeof(line))
		return;
	n += m;
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m < 0)
		return;
	n = (size_t)(n + m) >= sizeof(line) - 2 ? (int)sizeof(line) - 2 :
	    n + m;
	if (saved_errno && (size_t)n < sizeof(line) - 4) {
		m = snprintf(line + n, sizeof(line) - 1 - n, ": %s",
		    strerror(saved_errno));
		if (m > 0)
			n = (size_t)(n + m) >= sizeof(line) - 2 ?
			    (int)sizeof(line) - 2 : n + m;
	}
	n = (int)utf8_clean(line, (size_t)n);
	line[n++] = '\n';
	(void)!write(log_fd, line, n);
	log_size_check();
}

void
log_relay(const char *name, long pid, const char *text)
{
	char	line[4608];
	size_t	tlen = strlen(text);
	int	n;

	if ((n = log_stamp(line, sizeof(line), name, pid)) < 0)
		return;
	if (tlen > sizeof(line) - 1 - (size_t)n)
		tlen = sizeof(line) - 1 - (size_t)n;
	memcpy(line + n, text, tlen);
	n += (int)tlen;
	line[n++] = '\n';
	(void)!write(log_fd, line, n);
	log_size_check();
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

/* What fatal() logs, kept for whoever must hear it before the exit. */
static char	fatal_text[256];

static void
fatal_keep(int saved_errno, const char *fmt, va_list ap)
{
	int	n;

	n = vsnprintf(fatal_text, sizeof(fatal_text), fmt, ap);
	if (saved_errno != 0 && n >= 0 && (size_t)n < sizeof(fatal_text))
		snprintf(fatal_text + n, sizeof(fatal_text) - n, ": %s",
		    strerror(saved_errno));
}

const char *
log_fatal_text(void)
{
	return fatal_text;
}

void
fatal(const char *fmt, ...)
{
	va_list	ap, aq;
	int	e = errno;

	va_start(ap, fmt);
	va_copy(aq, ap);
	vlog("fatal: ", e, fmt, ap);
	fatal_keep(e, fmt, aq);
	va_end(aq);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap, aq;

	va_start(ap, fmt);
	va_copy(aq, ap);
	vlog("fatal: ", 0, fmt, ap);
	fatal_keep(0, fmt, aq);
	va_end(aq);
	va_end(ap);
	exit(1);
}
