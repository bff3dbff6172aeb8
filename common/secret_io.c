#include <errno.h>
#include <fcntl.h>
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
 * One line typed at the terminal fd, not shown.  What was typed ahead
 * is kept (TCSANOW): a secret pasted before the line was asked for is
 * the one meant.
 */
static int
tty_quiet_line(int fd, const char *prompt, struct secret *s, size_t max)
{
	struct termios	old, quiet;
	int		r;

	if (tcgetattr(fd, &old) == -1)
		return CV_ERR_IO;
	quiet = old;
	quiet.c_lflag &= ~(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSANOW, &quiet) == -1)
		return CV_ERR_IO;
	r = tty_line(fd, prompt, s, max);
	tcsetattr(fd, TCSANOW, &old);
	return r;
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
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		log_warn("%s", path);
		return errno == ENOENT ? CV_ERR_NOTFOUND : CV_ERR_IO;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_warnx("%s is not a regular file", path);
		close(fd);
		return CV_ERR_INVALID;
	}
	if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
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
		k = read(fd, &c, 1);
		if (k == -1 && errno == EINTR)
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
