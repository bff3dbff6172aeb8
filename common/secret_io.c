#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "common/log.h"
#include "common/secret_io.h"

static int	tty_line(int, const char *, struct secret *, size_t);

/*
 * The signals that may come while the terminal is quiet: each is caught
 * for that time only, so that the terminal is given back echoing before
 * the signal does what it would have done (readpassphrase(3) does the
 * same).  A stop (^Z) gives it back, stops, and asks again once
 * continued.  Every signal sent from outside whose default ends the
 * process is here, not only those a terminal sends: a kill -USR1 left
 * the operator's shell without echo; so are the real-time signals
 * (tty_sig_list adds them).  One that is ignored stays so.
 */
static const int tty_sigs[] = {
	SIGALRM, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU,
	SIGUSR1, SIGUSR2, SIGPIPE, SIGPROF, SIGVTALRM, SIGXCPU, SIGXFSZ,
	SIGPOLL, SIGPWR
};
#define TTY_NSIGS	(sizeof(tty_sigs) / sizeof(tty_sigs[0]))
#define TTY_SIGS_MAX	(TTY_NSIGS + NSIG)

static volatile sig_atomic_t	tty_caught[NSIG];	/* by number */

static void
tty_catch(int sig)
{
	if (sig > 0 && sig < NSIG)
		tty_caught[sig] = 1;
}

/* 1 if a signal was caught while the terminal was quiet. */
static int
tty_interrupted(void)
{
	int	sig;

	for (sig = 1; sig < NSIG; sig++)
		if (tty_caught[sig])
			return 1;
	return 0;
}

/* tty_sigs, then SIGRTMIN to SIGRTMAX, into list: how many. */
static size_t
tty_sig_list(int *list)
{
	size_t	n;
	int	sig;

	for (n = 0; n < TTY_NSIGS; n++)
		list[n] = tty_sigs[n];
	for (sig = SIGRTMIN; sig <= SIGRTMAX && sig < NSIG; sig++)
		list[n++] = sig;
	return n;
}

/*
 * One line typed at the terminal fd, not shown.  What was typed ahead
 * is kept (TCSANOW): a secret pasted before the line was asked for is
 * the one meant.  What is still queued once the line is read (the rest
 * of a line past max, the lines of a paste after the first) is
 * discarded as the echo comes back (TCSAFLUSH, as readpassphrase(3)):
 * left, the shell would read it next, show it, run it and keep it in
 * its history.
 */
static int
tty_quiet_line(int fd, const char *prompt, struct secret *s, size_t max)
{
	struct sigaction	sa, saved[TTY_SIGS_MAX];
	struct termios		old, quiet;
	size_t			i, nsigs;
	int			r, stopped, have[TTY_SIGS_MAX];
	int			sigs[TTY_SIGS_MAX];

	nsigs = tty_sig_list(sigs);
 again:
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = tty_catch;	/* no SA_RESTART: the read ends */
	for (i = 0; i < nsigs; i++) {
		tty_caught[sigs[i]] = 0;
		have[i] = sigaction(sigs[i], NULL, &saved[i]) == 0;
		if (have[i] && saved[i].sa_handler != SIG_IGN)
			(void)sigaction(sigs[i], &sa, NULL);
	}
	if (tcgetattr(fd, &old) == -1) {
		r = CV_ERR_IO;
		goto restore;
	}
	quiet = old;
	quiet.c_lflag &= ~(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSANOW, &quiet) == -1) {
		r = CV_ERR_IO;
		goto restore;
	}
	r = tty_line(fd, prompt, s, max);
	while (tcsetattr(fd, TCSAFLUSH, &old) == -1 && errno == EINTR)
		;
 restore:
	for (i = 0; i < nsigs; i++)
		if (have[i])
			(void)sigaction(sigs[i], &saved[i], NULL);
	if (!tty_interrupted())
		return r;
	/* the terminal echoes again: now the signal, as it was meant */
	if (r == 0)
		secret_free(s);
	stopped = 0;
	for (i = 0; i < nsigs; i++)
		if (tty_caught[sigs[i]]) {
			(void)kill(getpid(), sigs[i]);
			if (sigs[i] == SIGTSTP || sigs[i] == SIGTTIN ||
			    sigs[i] == SIGTTOU)
				stopped = 1;
		}
	if (stopped)
		goto again;		/* continued: ask again */
	return CV_ERR_IO;		/* a signal that was ignored */
}

int
secret_read_fd(int fd, struct secret *s, size_t max)
{
	size_t	n = 0;
	ssize_t	k;
	int	r;

	/* typed at a terminal: one line, never shown on it */
	if (isatty(fd))
		return tty_quiet_line(fd, "", s, max);
	if ((r = secret_alloc(s, max + 1)) != 0)
		return r;
	for (;;) {
		k = read(fd, s->p + n, max + 1 - n);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1) {
			secret_free(s);
			return CV_ERR_IO;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max) {
			secret_free(s);
			return CV_ERR_TOOLONG;
		}
	}
	if (n > 0 && s->p[n - 1] == '\n')
		n--;
	if (n > 0 && s->p[n - 1] == '\r')
		n--;
	if (n == 0) {
		secret_free(s);
		return CV_ERR_INVALID;
	}
	sodium_memzero(s->p + n, s->len - n);
	s->len = n;
	return 0;
}

int
secret_read_file(const char *path, struct secret *s, size_t max)
{
	struct stat	st;
	int		fd, r;

	memset(s, 0, sizeof(*s));
	/* O_NONBLOCK: a FIFO is refused below, not waited on */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1) {
		if (errno == ELOOP)
			log_warnx("%s is a symbolic link; name the file itself",
			    path);
		else
			log_warn("%s", path);
		return errno == ENOENT ? CV_ERR_NOTFOUND : CV_ERR_IO;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_warnx("%s is not a regular file", path);
		close(fd);
		return CV_ERR_INVALID;
	}
	if (st.st_uid != geteuid()) {
		log_warnx("%s belongs to uid %u, not to uid %u who reads it; a "
		    "secret file must be its reader's own", path,
		    (unsigned)st.st_uid, (unsigned)geteuid());
		close(fd);
		return CV_ERR_PERM;
	}
	if ((st.st_mode & 077) != 0) {
		log_warnx("%s can be read by other users (mode %03o); fix it "
		    "with: chmod 600 %s", path, (unsigned)(st.st_mode & 0777),
		    path);
		close(fd);
		return CV_ERR_PERM;
	}
	r = secret_read_fd(fd, s, max);
	close(fd);
	return r;
}

static int
tty_line(int fd, const char *prompt, struct secret *s, size_t max)
{
	size_t	n = 0;
	char	c;
	ssize_t	k;
	int	r;

	if ((r = secret_alloc(s, max)) != 0)
		return r;
	(void)!write(fd, prompt, strlen(prompt));
	for (;;) {
		if (tty_interrupted())
			break;
		k = read(fd, &c, 1);
		if (k == -1 && errno == EINTR && !tty_interrupted())
			continue;
		if (k <= 0 || c == '\n' || c == '\r')
			break;
		if (n == max) {
			sodium_memzero(&c, 1);
			secret_free(s);
			return CV_ERR_TOOLONG;
		}
		s->p[n++] = (uint8_t)c;
	}
	sodium_memzero(&c, 1);
	(void)!write(fd, "\n", 1);
	if (n == 0) {
		secret_free(s);
		return CV_ERR_INVALID;
	}
	s->len = n;
	return 0;
}

int
secret_read_tty(const char *prompt, int confirm, struct secret *s,
    size_t max)
{
	struct termios	old;
	struct secret	again;
	int		fd, r;

	memset(s, 0, sizeof(*s));
	memset(&again, 0, sizeof(again));
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1)
		return CV_ERR_NOTFOUND;
	if (tcgetattr(fd, &old) == -1) {
		close(fd);
		return CV_ERR_NOTFOUND;
	}
	r = tty_quiet_line(fd, prompt, s, max);
	if (r == 0 && confirm) {
		r = tty_quiet_line(fd, "Again: ", &again, max);
		if (r == 0 && (again.len != s->len ||
		    sodium_memcmp(again.p, s->p, s->len) != 0)) {
			(void)!write(fd, "They differ.\n", 13);
			r = CV_ERR_INVALID;
		}
		secret_free(&again);
		if (r != 0)
			secret_free(s);
	}
	close(fd);
	return r;
}
