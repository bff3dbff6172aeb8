/*
 * Logging, tagged with the process name.  Lines go to standard error,
 * which vaultd points at its log.  Never pass a secret to these.
 */
#ifndef CV_LOG_H
#define CV_LOG_H

/* Set the process tag ("vaultd", "signerd", ...) and verbosity. */
void	log_init(const char *procname, int verbose);

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

#endif
