/*
 * Reading secrets (common/secret_io.c): from a pipe or file, everything
 * to EOF less one newline; typed at a terminal, one line that is never
 * echoed, so a wallet key or an invitation code given on standard input
 * does not end up on the screen or in a session's recording.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/secret_io.h"

#define SECRET	"0123456789abcdef-secret"

static void
test_pipe(void **state)
{
	struct secret	s;
	int		p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], SECRET "\n", sizeof(SECRET)),
	    sizeof(SECRET));
	close(p[1]);
	assert_int_equal(secret_read_fd(p[0], &s, 64), 0);
	assert_int_equal(s.len, sizeof(SECRET) - 1);
	assert_memory_equal(s.p, SECRET, s.len);
	secret_free(&s);
	close(p[0]);
}

/* What the terminal shows: everything the master can read now. */
static size_t
shown(int master, char *buf, size_t len)
{
	struct pollfd	pfd = { master, POLLIN, 0 };
	size_t		n = 0;
	ssize_t		k;

	while (n < len - 1 && poll(&pfd, 1, 200) == 1 &&
	    (k = read(master, buf + n, len - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	return n;
}

static void
test_terminal(void **state)
{
	struct secret	s;
	struct termios	t;
	char		out[256];
	int		master, slave;

	alarm(10);		/* a read to EOF would wait for ever */
	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true((t.c_lflag & ECHO) != 0);	/* echoing, as a shell's */
	assert_int_equal(write(master, SECRET "\n", sizeof(SECRET)),
	    sizeof(SECRET));
	assert_int_equal(secret_read_fd(slave, &s, 64), 0);
	assert_int_equal(s.len, sizeof(SECRET) - 1);
	assert_memory_equal(s.p, SECRET, s.len);
	secret_free(&s);
	(void)shown(master, out, sizeof(out));
	assert_null(strstr(out, "secret"));
	/* the terminal echoes again afterwards */
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true((t.c_lflag & ECHO) != 0);
	close(slave);
	close(master);
	alarm(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_terminal),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
