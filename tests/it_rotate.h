/*
 * What the rotation tests (test_it_rotate.c, test_it_rotate_omnia.c)
 * share: vaultd and the test exchange in a fresh home with the account
 * "main", vaultctl runs with their exit codes, and the crashes a
 * rotation must survive.
 */
#ifndef CV_TESTS_IT_ROTATE_H
#define CV_TESTS_IT_ROTATE_H

#include "tests/it.h"
#include "tests/testexchange/tx_test.h"

enum victim { V_NONE, V_VAULTD, V_NETD, V_SIGNERD };

struct rt {
	struct it	 it;
	struct txt	 tx;
	char		 pass[128];
	char		 out[65536];
	uint64_t	 nonce;		/* of the key that signs now */
	char		 key[80];	/* that key */
};

/* vaultctl with args (a printf format), in on its standard input. */
static int
ctl_in(struct rt *c, const char *in, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ctl_in(struct rt *c, const char *in, const char *fmt, ...)
{
	char	 args[2048];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return it_ctl(&c->it, in, c->out, sizeof(c->out), "%s", args);
}

#define ctl(c, ...)		ctl_in((c), NULL, __VA_ARGS__)
#define run(c, want, ...)	run_expect((c), (want), __LINE__, __VA_ARGS__)

static void
run_expect(struct rt *c, int want, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* vaultctl, and insist on its exit status. */
static void
run_expect(struct rt *c, int want, int line, const char *fmt, ...)
{
	char	 args[2048];
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if ((r = ctl(c, "%s", args)) != want)
		fail_msg("line %d: vaultctl %s: exit %d, not %d:\n%s", line,
		    args, r, want, c->out);
}

static void
has(struct rt *c, const char *want)
{
	if (strstr(c->out, want) == NULL)
		fail_msg("output \"%s\" lacks \"%s\"", c->out, want);
}

static json_t *
out_json(struct rt *c)
{
	json_t	*j = json_loads(c->out, 0, NULL);

	if (j == NULL)
		fail_msg("not JSON: %s", c->out);
	return j;
}

/* The test exchange's faults (tests/testexchange/README.md). */
static void
faults(struct rt *c, const char *body)
{
	struct txr	r;

	if (txt_admin(&c->tx, "POST", "faults", body, &r) != 200)
		fail_msg("faults %s: %ld", body, r.status);
	txr_free(&r);
}

/* SIGKILL a child of vaultd (1 signerd, 2 netd); wait for the next. */
static void
kill_child(struct rt *c, int which)
{
	struct it_proc	procs[3];
	uint64_t	old;

	assert_int_equal(it_status(&c->it, procs), 0);
	old = procs[which].pid;
	kill((pid_t)old, SIGKILL);
	if (it_wait_up(&c->it, procs, which == 1 ? old : 0,
	    which == 2 ? old : 0, 10000) < 0)
		fail_msg("%s did not come back", which == 1 ? "signerd" :
		    "netd");
}

/* A crash of v, and the vault unlocked again. */
static void
crash(struct rt *c, enum victim v)
{
	switch (v) {
	case V_NONE:
		break;
	case V_VAULTD:
		kill(c->it.vaultd, SIGKILL);
		waitpid(c->it.vaultd, NULL, 0);
		c->it.vaultd = 0;
		it_sleep_ms(200);	/* its children follow it */
		assert_int_equal(it_start_args(&c->it, "-T", NULL, NULL), 0);
		break;
	case V_NETD:
		kill_child(c, 2);
		break;
	case V_SIGNERD:
		kill_child(c, 1);
		break;
	}
	/* a new signerd or vaultd holds no keys until unlocked */
	if (ctl(c, "unlock --passphrase-file %s", c->pass) != 0)
		fail_msg("unlock: %s", c->out);
}

/* vaultd and the exchange with profile, the vault, the account main. */
static int
rt_start(struct rt *c, const char *profile, const char *passphrase)
{
	const char	*extra[] = { NULL };

	memset(c, 0, sizeof(*c));
	it_init(&c->it);
	snprintf(c->pass, sizeof(c->pass), "%.100s.pass", c->it.home);
	it_write(c->pass, passphrase, 0600);
	if (txt_start_argv(&c->tx, profile, extra) != 0 ||
	    it_start_args(&c->it, "-T", NULL, NULL) != 0)
		return -1;
	if (ctl(c, "init --passphrase-file %s --kdf min", c->pass) ||
	    ctl(c, "account add main --profile %s --url %s", profile,
	    c->tx.url))
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	struct rt	*c = *state;

	it_cleanup(&c->it);
	txt_stop(&c->tx);
	txt_cleanup(&c->tx);
	return 0;
}

#endif
