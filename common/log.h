/*
 * Logging, tagged with the process name.  vaultd's lines go to standard
 * error, which it points at its log; a child's go to the log pipe vaultd
 * gave it (log_to_fd), and vaultd writes them to its log under the
 * child's name.  Never pass a secret to these.
 */
#ifndef CV_LOG_H
#define CV_LOG_H

/* Set the process tag ("vaultd", "signerd", ...) and verbosity. */
void	log_init(const char *procname, int verbose);

/*
 * Children: write every line to fd instead of standard error.  bare: the
 * line is only the level and the text ("warning: ...\n"), for a reader
 * that adds the time, the name and the pid it knows itself (vaultd);
 * otherwise the whole line as log_init's tag makes it.
 */
void	log_to_fd(int fd, int bare);

/*
 * vaultd: its standard error is the log file path.  After a line takes
 * that file past max bytes, the file is renamed path.1 (replacing an
 * older one) and path is opened anew, 0600, for the lines that follow.
 * Only the file still at path is renamed (one logrotate moved away is
 * left for SIGHUP); if a file took path between the rename and the
 * open, the lines go on in path.1.  A file written that is no longer at
 * path gets lines up to twice max, then a last one saying so, and
 * standard error goes to /dev/null until a SIGHUP or a restart opens
 * path anew.  max 0: no limit.
 */
void	log_limit(const char *path, unsigned long long max);

/*
 * vaultd: write one line "TIME name[pid]: text" for a child.  text is
 * already cleaned (printable, no newline) by the caller; it is cut to
 * fit one line.
 */
void	log_relay(const char *name, long pid, const char *text);

void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Something a user, a peer or the exchange did wrong; errno appended. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* A broken invariant: log and exit(1). */
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* The message of the fatal() or fatalx() under way (for an atexit
 * handler), or "". */
const char	*log_fatal_text(void);

#endif
