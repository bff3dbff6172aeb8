/*
 * What a call leaves in netd's memory: after an HTTPS `apikey.create`
 * to the test exchange, the secret and passphrase it returned must be
 * nowhere in netd's readable mappings, live or freed; nor the
 * passphrase after calls that had it from vaultd (MSG_NET_SIGN_ANS) and
 * sent it to the exchange in a header.
 *
 * The memory is read as a debugger would, through /proc/PID/maps and
 * /proc/PID/mem: netd runs as another user and is not dumpable, so
 * only root (CAP_SYS_PTRACE) may; the test is skipped when not root,
 * and fails as root if the memory cannot be read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/it_mem.h"
#include "tests/it_netd.h"

static char	certdir[64], ca[96], cert[96], key[96];
static struct txt	tx;
static struct nd	netd;

/*
 * A check of the check: netd's memory is read, and a string it always
 * holds (its user agent, in its image and in libcurl's heap) is found.
 */
static void
mem_readable(pid_t pid)
{
	assert_true(mem_count(pid, NULL, "clobvault-netd") > 0);
}

/* Neither the secret nor the passphrase v holds is in netd. */
static void
mem_none(pid_t pid, const struct ndvault *v)
{
	int	s = mem_count(pid, "secret", v->secret);
	int	p = mem_count(pid, "passphrase", v->pass);

	assert_int_equal(s, 0);
	assert_int_equal(p, 0);
}

static int
group_setup(void **state)
{
	if (nd_group_setup(state) != 0)
		return -1;
	snprintf(certdir, sizeof(certdir), "/tmp/cvndmem.XXXXXX");
	if (mkdtemp(certdir) == NULL)
		return -1;
	snprintf(ca, sizeof(ca), "%s/ca.pem", certdir);
	snprintf(cert, sizeof(cert), "%s/server.pem", certdir);
	snprintf(key, sizeof(key), "%s/server.key", certdir);
	if (it_make_ca(certdir, "cvtest-ca", 0) != 0) {
		fprintf(stderr, "openssl failed: no CA for the HTTPS test\n");
		return -1;
	}
	return 0;
}

/* Whatever a failed test left running. */
static int
teardown(void **state)
{
	if (netd.dir[0] != '\0')
		nd_cleanup(&netd);
	if (tx.dir[0] != '\0')
		txt_cleanup(&tx);
	memset(&netd, 0, sizeof(netd));
	memset(&tx, 0, sizeof(tx));
	return 0;
}

static int
group_teardown(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certdir);
	(void)!system(cmd);
	return nd_group_teardown(state);
}

/* One call over TLS with the test CA, which must answer 200. */
static void
call_ok(struct nd *n, struct ndvault *v, struct txt *t, const char *capem,
    size_t calen, const char *name, const char *const *params)
{
	struct ndans	a;

	nd_call_ca(n, v, t->url, capem, calen, NULL, name, params, &a);
	if (a.err != 0 || a.status != 200)
		fprintf(stderr, "%s: err %d (%s), status %llu %s\n", name,
		    a.err, a.text, (unsigned long long)a.status,
		    a.raw != NULL ? a.raw : "");
	assert_int_equal(a.err, 0);
	assert_int_equal(a.status, 200);
	ndans_free(&a);
}

static void
test_nothing_kept(void **state)
{
	static const char *const p0[] = { "nonce", "0", NULL };
	struct txt	*t = &tx;
	struct nd	*n = &netd;
	struct ndvault	 v;
	struct ndans	 a;
	char		*capem;
	size_t		 calen = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "not root: netd's memory cannot be read, "
		    "test skipped\n");
		skip();
	}
#if defined(__SANITIZE_ADDRESS__)
	/*
	 * Under make san netd's mappings take in the sanitizer's shadow,
	 * terabytes of it readable: the read would not end.
	 */
	fprintf(stderr, "a sanitizer build: netd's memory is its shadow's "
	    "too, test skipped\n");
	skip();
#endif
	assert_non_null(capem = it_slurp(ca, &calen));
	ndvault_init(&v, "polymarket", TXT_SK1);
	assert_int_equal(txt_start(t, "polymarket", "--tls-cert", cert,
	    "--tls-key", key), 0);
	assert_int_equal(nd_start(n, NULL, NULL), 0);

	/* The answer carries a new secret and passphrase. */
	call_ok(n, &v, t, capem, calen, "apikey.create", p0);
	assert_true(strlen(v.secret) >= 16 && strlen(v.pass) >= 16);
	mem_readable(n->pid);
	mem_none(n->pid, &v);

	/*
	 * The passphrase comes from vaultd among the signed headers: a
	 * call that fails as soon as they came (nothing listens on port 1),
	 * often in the same turn of netd's loop.
	 */
	nd_call(n, &v, "http://127.0.0.1:1", "apikey.delete", NULL, &a);
	nd_expect_error(&a, CV_ERR_TRANSPORT, "127.0.0.1:1");
	assert_int_equal(a.signs, 1);
	ndans_free(&a);
	mem_none(n->pid, &v);

	/*
	 * A request that carries the passphrase in a header: HTTP/1.1, as
	 * the test exchange speaks no HTTP/2 (nghttp2's copies stay).
	 */
	call_ok(n, &v, t, capem, calen, "apikey.list", NULL);
	mem_none(n->pid, &v);

	/* After a further call and a while, still none. */
	call_ok(n, &v, t, capem, calen, "time", NULL);
	it_sleep_ms(500);
	mem_none(n->pid, &v);

	free(capem);
	assert_int_equal(nd_stop(n), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_nothing_kept, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
