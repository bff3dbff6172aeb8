/*
 * common/log.c: a log line is one line, whatever its arguments carry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

/* What one log call wrote, bare (no time stamp, no name). */
static void
logged(char *out, size_t len, const char *account)
{
	int	p[2];
	ssize_t	n;

	assert_int_equal(pipe(p), 0);
	log_to_fd(p[1], 1);
	log_warnx("approval asked for account %s", account);
	log_to_fd(STDERR_FILENO, 0);
	close(p[1]);
	assert_true((n = read(p[0], out, len - 1)) > 0);
	out[n] = '\0';
	close(p[0]);
}

/*
 * A name a peer sent (an account in a held request, an error text a
 * child answered) cannot add a line, a carriage return or a terminal
 * escape to vaultd's log: control bytes become '?'.
 */
static void
test_one_line(void **state)
{
	char	buf[256];

	(void)state;
	logged(buf, sizeof(buf), "main");
	assert_string_equal(buf, "warning: approval asked for account main\n");
	logged(buf, sizeof(buf), "x\nvaultd[1]: the vault is unlocked");
	assert_string_equal(buf, "warning: approval asked for account "
	    "x?vaultd[1]: the vault is unlocked\n");
	logged(buf, sizeof(buf), "a\r\x1b[2Jb\x7f\t");
	assert_string_equal(buf, "warning: approval asked for account "
	    "a??[2Jb??\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
