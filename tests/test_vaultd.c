/*
 * vaultd's trust boundaries as tables: which peer may send what in which
 * state, and which signing requests an exchange call admits; and the
 * durable audit's hold on a lone request's signature.  The entry file's
 * functions are the test's own (vaultd.c holds main).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/catalog.h"
#include "common/encode.h"
#include "vaultd/vaultd.h"
#include "tests/self_mem.h"

int64_t
vaultd_now_ms(void)
{
	return 0;
}

void
vaultd_child_up(struct vaultd *vd, enum child_id id)
{
	(void)vd;
	(void)id;
}

void
vaultd_child_lost(struct vaultd *vd, enum child_id id)
{
	(void)vd;
	(void)id;
}

void
vaultd_unattended_done(struct vaultd *vd, int code, const char *why)
{
	(void)vd;
	(void)code;
	(void)why;
}

void
vaultd_notify(const char *fixed, const char *fmt, ...)
{
	(void)fixed;
	(void)fmt;
}

static void
args(struct sign_args *a, uint64_t level, const char *method,
    const char *path, const char *body, uint64_t nonce)
{
	memset(a, 0, sizeof(*a));
	a->level = level;
	snprintf(a->method, sizeof(a->method), "%s", method);
	a->path = path;
	a->pathlen = strlen(path);
	a->body = (const uint8_t *)body;
	a->bodylen = strlen(body);
	a->nonce = nonce;
}

static int
match(const char *call, const char *pname, const char *pvalue, size_t from,
    uint64_t level, const char *method, const char *path, const char *body,
    uint64_t nonce, size_t *step)
{
	struct netcall_params	p;
	struct sign_args	a;
	char			why[160];

	memset(&p, 0, sizeof(p));
	if (pname != NULL) {
		snprintf(p.name[0], sizeof(p.name[0]), "%s", pname);
		snprintf(p.value[0], sizeof(p.value[0]), "%s", pvalue);
		p.n = 1;
	}
	args(&a, level, method, path, body, nonce);
	return vaultd_call_match(netcall_find(call), &p, from, &a, step, why,
	    sizeof(why));
}

/* What a netd playing attacker asked for during `vaultctl time`. */
static void
test_time_signs_nothing(void **state)
{
	size_t	step;

	assert_int_equal(match("time", NULL, NULL, 0, CATALOG_L1, "GET",
	    "/auth/derive-api-key", "", 0, &step), CV_ERR_DENIED);
	assert_int_equal(match("time", NULL, NULL, 0, CATALOG_L1, "GET",
	    "/auth/derive-api-key", "", 777, &step), CV_ERR_DENIED);
	assert_int_equal(match("time", NULL, NULL, 0, CATALOG_L1, "POST",
	    "/auth/api-key", "", 5, &step), CV_ERR_DENIED);
	assert_int_equal(match("time", NULL, NULL, 0, CATALOG_L2, "DELETE",
	    "/auth/api-key", "", 0, &step), CV_ERR_DENIED);
	assert_int_equal(match("time", NULL, NULL, 0, CATALOG_L2, "POST",
	    "/auth/builder-api-key", "{\"builderId\":\"x\"}", 0, &step),
	    CV_ERR_DENIED);
	/* not even its own unsigned request */
	assert_int_equal(match("time", NULL, NULL, 0, CATALOG_NONE, "GET",
	    "/time", "", 0, &step), CV_ERR_DENIED);
}

static void
test_list_exactly(void **state)
{
	size_t	step = 9;

	assert_int_equal(match("apikey.list", NULL, NULL, 0, CATALOG_L2,
	    "GET", "/auth/api-keys", "", 0, &step), 0);
	assert_int_equal(step, 0);
	assert_int_equal(match("apikey.list", NULL, NULL, 0, CATALOG_L2,
	    "GET", "/auth/api-keys?x=1", "", 0, &step), CV_ERR_DENIED);
	assert_int_equal(match("apikey.list", NULL, NULL, 0, CATALOG_L2,
	    "GET", "/auth/api-keys", "{}", 0, &step), CV_ERR_DENIED);
	assert_int_equal(match("apikey.list", NULL, NULL, 0, CATALOG_L2,
	    "get", "/auth/api-keys", "", 0, &step), CV_ERR_DENIED);
	assert_int_equal(match("apikey.list", NULL, NULL, 0, CATALOG_BUILDER,
	    "GET", "/auth/api-keys", "", 0, &step), CV_ERR_DENIED);
	assert_int_equal(match("apikey.list", NULL, NULL, 0, CATALOG_L2,
	    "GET", "/auth/api-keys", "", 1, &step), CV_ERR_DENIED);
	assert_int_equal(match("apikey.list", NULL, NULL, 0, CATALOG_L1,
	    "GET", "/auth/api-keys", "", 0, &step), CV_ERR_DENIED);
}

static void
test_create_or_derive(void **state)
{
	size_t	step = 9;

	/* the call's nonce, its steps in order, never back */
	assert_int_equal(match("apikey.create-or-derive", "nonce", "5", 0,
	    CATALOG_L1, "POST", "/auth/api-key", "", 5, &step), 0);
	assert_int_equal(step, 0);
	assert_int_equal(match("apikey.create-or-derive", "nonce", "5", 0,
	    CATALOG_L1, "GET", "/auth/derive-api-key", "", 5, &step), 0);
	assert_int_equal(step, 1);
	assert_int_equal(match("apikey.create-or-derive", "nonce", "5", 1,
	    CATALOG_L1, "POST", "/auth/api-key", "", 5, &step),
	    CV_ERR_DENIED);
	assert_int_equal(match("apikey.create-or-derive", "nonce", "5", 0,
	    CATALOG_L1, "GET", "/auth/derive-api-key", "", 0, &step),
	    CV_ERR_DENIED);
	assert_int_equal(match("apikey.derive", NULL, NULL, 0, CATALOG_L1,
	    "GET", "/auth/derive-api-key", "", 0, &step), 0);
	assert_int_equal(match("apikey.derive", NULL, NULL, 0, CATALOG_L1,
	    "GET", "/auth/derive-api-key", "", 777, &step), CV_ERR_DENIED);
	assert_int_equal(match("apikey.derive", NULL, NULL, 0, CATALOG_L1,
	    "POST", "/auth/api-key", "", 0, &step), CV_ERR_DENIED);
}

static void
test_revoke_names_its_key(void **state)
{
	size_t	step;

	assert_int_equal(match("builder.revoke", "key", "b-1", 0, CATALOG_L2,
	    "DELETE", "/auth/builder-api-key?apiKey=b-1", "", 0, &step), 0);
	assert_int_equal(match("builder.revoke", "key", "b-1", 0, CATALOG_L2,
	    "DELETE", "/auth/builder-api-key?apiKey=b-2", "", 0, &step),
	    CV_ERR_DENIED);
	assert_int_equal(match("builder.create", "builder_id", "x", 0,
	    CATALOG_L2, "POST", "/auth/builder-api-key",
	    "{\"builderId\":\"x\"}", 0, &step), 0);
	assert_int_equal(match("builder.create", "builder_id", "x", 0,
	    CATALOG_L2, "POST", "/auth/builder-api-key",
	    "{\"builderId\":\"y\"}", 0, &step), CV_ERR_DENIED);
}

/* The permission tables: each peer, each state. */
static void
test_child_tables(void **state)
{
	const struct child_perm	*p;
	uint32_t		 t;

	/* the handshake, and only before it is done */
	assert_non_null(child_perm_find(CHILD_NETD, MSG_HELLO_REQ, PS_HELLO));
	assert_null(child_perm_find(CHILD_NETD, MSG_HELLO_REQ, PS_UP));
	assert_null(child_perm_find(CHILD_NETD, MSG_STATUS_ANS, PS_HELLO));
	/* answers only to what was asked */
	assert_null(child_perm_find(CHILD_NETD, MSG_STATUS_ANS, PS_UP));
	assert_non_null(child_perm_find(CHILD_NETD, MSG_STATUS_ANS,
	    PS_UP | PS_STATUS));
	assert_null(child_perm_find(CHILD_NETD, MSG_ERROR_ANS, PS_UP));
	/* netd signs only while it holds a call */
	assert_null(child_perm_find(CHILD_NETD, MSG_NET_SIGN_REQ, PS_UP));
	assert_non_null(p = child_perm_find(CHILD_NETD, MSG_NET_SIGN_REQ,
	    PS_UP | PS_CALL));
	assert_ptr_equal(p->handle, vaultd_call_sign_req);
	assert_null(child_perm_find(CHILD_NETD, MSG_NET_CALL_ANS, PS_UP));
	assert_null(child_perm_find(CHILD_SIGNERD, MSG_NET_SIGN_REQ,
	    PS_UP | PS_WORK | PS_CALL));
	/* signerd answers only while something of ours is in flight */
	assert_null(child_perm_find(CHILD_SIGNERD, MSG_SIGN_ANS, PS_UP));
	assert_non_null(child_perm_find(CHILD_SIGNERD, MSG_SIGN_ANS,
	    PS_UP | PS_WORK));
	assert_null(child_perm_find(CHILD_NUM, MSG_HELLO_REQ, PS_HELLO));

	/*
	 * In test mode, a probe waiting: signerd's refusal of a vault
	 * operation (id 8) goes to that operation, not to the probe (id 9),
	 * which killed signerd as a broken peer.
	 */
	{
		static struct vaultd	vd;
		struct child		*ch = SIGNERD(&vd);

		ch->id = CHILD_SIGNERD;
		ch->state = CHILD_UP;
		ch->probe_id = 9;
		vd.op.active = 1;
		vd.op.id = 8;
		vd.op.sent = MSG_VAULT_PUT_REQ;
		assert_true(child_state_bits(&vd, ch) & PS_PROBE);
		assert_true(child_state_bits(&vd, ch) & PS_WORK);
		p = child_perm_find(CHILD_SIGNERD, MSG_ERROR_ANS,
		    child_msg_bits(&vd, ch, 8));
		assert_non_null(p);
		assert_ptr_equal(p->handle, vault_signerd_answer);
		p = child_perm_find(CHILD_SIGNERD, MSG_ERROR_ANS,
		    child_msg_bits(&vd, ch, 9));
		assert_non_null(p);
		assert_ptr_not_equal(p->handle, vault_signerd_answer);
	}

	/* no child sends a request meant for signerd or a control answer */
	for (t = 1; t < MSG_TYPE_MAX; t++) {
		const struct msg_spec *sp = msg_spec(t);

		p = child_perm_find(CHILD_NETD, t, ~0U);
		if (p != NULL)
			assert_true(strcmp(sp->from, "netd") == 0 ||
			    strcmp(sp->from, "child") == 0 ||
			    strcmp(sp->from, "callee") == 0);
		p = child_perm_find(CHILD_SIGNERD, t, ~0U);
		if (p != NULL)
			assert_true(strcmp(sp->from, "signerd") == 0 ||
			    strcmp(sp->from, "child") == 0 ||
			    strcmp(sp->from, "callee") == 0);
	}
}

/* And the other way: every message a peer sends has a row for it. */
static void
test_every_message_has_a_row(void **state)
{
	const struct msg_spec	*sp;
	uint32_t		 t;

	for (t = 1; t < MSG_TYPE_MAX; t++) {
		if ((sp = msg_spec(t)) == NULL)
			continue;
		if (strcmp(sp->from, "signerd") == 0 ||
		    strcmp(sp->from, "child") == 0 ||
		    strcmp(sp->from, "callee") == 0)
			assert_non_null(child_perm_find(CHILD_SIGNERD, t, ~0U));
		if (strcmp(sp->from, "netd") == 0 ||
		    strcmp(sp->from, "child") == 0 ||
		    strcmp(sp->from, "callee") == 0)
			assert_non_null(child_perm_find(CHILD_NETD, t, ~0U));
		if (strcmp(sp->from, "vaultctl") == 0)
			assert_non_null(control_perm_find(t, PS_UP) != NULL ?
			    control_perm_find(t, PS_UP) :
			    control_perm_find(t, PS_HELLO));
	}
}

static void
test_control_table(void **state)
{
	uint32_t	t;

	assert_non_null(control_perm_find(MSG_CTL_HELLO_REQ, PS_HELLO));
	assert_null(control_perm_find(MSG_CTL_HELLO_REQ, PS_UP));
	assert_null(control_perm_find(MSG_CTL_STATUS_REQ, PS_HELLO));
	assert_non_null(control_perm_find(MSG_CTL_STATUS_REQ, PS_UP));
	/* nothing meant for signerd or netd reaches through */
	assert_null(control_perm_find(MSG_SIGN_REQ, PS_UP));
	assert_null(control_perm_find(MSG_NET_SIGN_REQ, PS_UP));
	assert_null(control_perm_find(MSG_VAULT_UNLOCK_REQ, PS_UP));
	for (t = 1; t < MSG_TYPE_MAX; t++)
		if (control_perm_find(t, PS_UP) != NULL ||
		    control_perm_find(t, PS_HELLO) != NULL)
			assert_string_equal(msg_spec(t)->from, "vaultctl");
}

/*
 * A signing request alone on the path (durable mode): its record is
 * written, it goes to signerd, and the loop syncs the journal while
 * signerd signs.  The sync comes before the loop reads any answer, and
 * a failed one stops vaultd: the frame is on signerd's channel, vaultd
 * has exited 1 and never read what signerd answered.  A journal whose
 * sync works: the request has gone and nothing is left to sync.  Each
 * in a child, as fatal() exits.
 */
static void
lone_flush(int walfd, int *sp, int *status)
{
	static struct vaultd	 vd;
	static const uint8_t	 frame[] = "a held signing request";
	struct stat		 st;
	pid_t			 pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		close(sp[1]);
		SIGNERD(&vd)->state = CHILD_UP;
		chan_init(&SIGNERD(&vd)->chan, sp[0]);
		vd.audit_fd = -1;
		/* audit.log still in place: any file that stays will do */
		snprintf(vd.auditpath, sizeof(vd.auditpath), "/");
		if (lstat(vd.auditpath, &st) == -1)
			_exit(4);
		vd.audit_dev = st.st_dev;
		vd.audit_ino = st.st_ino;
		vd.wal.fd = walfd;
		vd.audit_dirty = 1;	/* its record written, not synced */
		vd.nsigns = 1;
		if (msgbuf_add(&vd.held, frame, sizeof(frame)) != 0)
			_exit(3);
		vaultd_sign_flush(&vd);
		/* the next group starts with room for as much */
		_exit(vd.held.len == 0 && !vd.audit_dirty &&
		    vd.held_last == sizeof(frame) ? 0 : 2);
	}
	close(sp[0]);
	assert_int_equal(waitpid(pid, status, 0), pid);
}

static void
test_lone_request_sync(void **state)
{
	uint8_t	buf[64];
	char	path[] = "/tmp/cvwalfd.XXXXXX";
	int	pp[2], sp[2], status, fd;

	(void)state;
	/* fdatasync of a pipe fails (EINVAL) */
	assert_int_equal(pipe(pp), 0);
	lone_flush(pp[1], sp, &status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_int_equal(read(sp[1], buf, sizeof(buf)), 23);
	assert_memory_equal(buf, "a held signing request", 23);
	close(sp[1]);
	close(pp[0]);
	close(pp[1]);

	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(unlink(path), 0);
	lone_flush(fd, sp, &status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(read(sp[1], buf, sizeof(buf)), 23);
	close(sp[1]);
	close(fd);
}

/*
 * vaultd's end of a child's socket takes a group of large requests at
 * once: VAULTD_CHILD_SNDBUF, or the most net.core.wmem_max allows (the
 * kernel doubles what it grants, for its bookkeeping).
 */
static void
test_child_sndbuf(void **state)
{
	FILE		*f;
	long		 max = -1, want = VAULTD_CHILD_SNDBUF;
	int		 sv[2], size, dflt;
	socklen_t	 len = sizeof(size);

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &dflt,
	    &len), 0);
	child_sndbuf(sv[0]);
	assert_int_equal(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size,
	    &len), 0);
	if ((f = fopen("/proc/sys/net/core/wmem_max", "r")) != NULL) {
		if (fscanf(f, "%ld", &max) != 1)
			max = -1;
		fclose(f);
	}
	if (max >= 0 && max < want)
		want = max;
	if (max >= 0)
		assert_int_equal(size, 2 * want);
	if (max < 0 || 2 * want > dflt)
		assert_true(size > dflt);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A batch (POST /orders) refused because its orders hold more budgets
 * than one request may gives back exactly what it took.  Rule g limits
 * the client's rate and its notional, 100 a day; fifteen per-token rules
 * each add a budget of their own, so a batch of one order on each of 15
 * tokens holds 17 and the last order's do not fit.  The batch's refusal used
 * to refund rule g's share of the orders before it twice, undoing what
 * signed orders had spent: 40 left after an order of 60 grew to 79.
 */
static struct policy_field	batch_f[15 * 5];
static char			batch_tok[15][8];

static void
batch_set(size_t i, const char *notional)
{
	struct policy_field	*f = &batch_f[i * 5];

	snprintf(batch_tok[i], sizeof(batch_tok[i]), "%zu", i + 1);
	f[0].name = "side";
	f[0].value = "BUY";
	f[1].name = "token";
	f[1].value = batch_tok[i];
	f[2].name = "price";
	f[2].value = "0.5";
	f[3].name = "size";
	f[3].value = "1";
	f[4].name = "notional";
	f[4].value = notional;
}

static enum policy_effect
batch_verdict(struct vaultd *vd, size_t n, struct policy_verdict *v)
{
	struct sign_origin	o;
	struct sign_args	a;

	memset(&o, 0, sizeof(o));
	o.who = POLICY_ACTOR_CLIENT;
	o.client = "bot";
	o.actor = "client:bot";
	memset(&a, 0, sizeof(a));
	a.level = CATALOG_L2;
	snprintf(a.method, sizeof(a.method), "POST");
	a.path = n > 1 ? "/orders" : "/order";
	a.pathlen = strlen(a.path);
	a.body = (const uint8_t *)"{}";
	a.bodylen = 2;
	a.kind = "order";
	a.fields = batch_f;
	a.nfields = 5;
	a.nsets = n;
	vaultd_policy_verdict(vd, &o, "main", &a, v);
	return v->effect;
}

static void
batch_left(void *arg, const struct policy_budget_left *l)
{
	if (strcmp(l->rule, "g") == 0 && strstr(l->budget, "notional") !=
	    NULL)
		snprintf(arg, 32, "%s", l->left);
}

static void
test_batch_refund(void **state)
{
	static struct vaultd	vd;
	struct policy_verdict	v;
	struct msg_rd		none;
	char			pol[4096], left[32];
	size_t			i, n;

	(void)state;
	n = (size_t)snprintf(pol, sizeof(pol), "allow client bot method POST "
	    "path { /order /orders } order side in { BUY SELL } rate 100/s "
	    "limit notional 100/day per client label g\n");
	for (i = 1; i <= 15; i++)
		n += (size_t)snprintf(pol + n, sizeof(pol) - n, "allow client "
		    "bot method POST path { /order /orders } order token = %zu "
		    "limit notional 1000/day label t%zu\n", i, i);
	assert_true(n < sizeof(pol));
	memset(&none, 0, sizeof(none));
	assert_int_equal(vaultd_policy_unlocked(&vd, 1, (const uint8_t *)pol,
	    n, &none), 0);
	assert_string_equal(vd.policy.trouble, "");

	batch_set(0, "60");
	assert_int_equal(batch_verdict(&vd, 1, &v), POLICY_ALLOW);
	policy_budget_each(vd.policy.st, vaultd_wall_ms(), batch_left, left);
	assert_string_equal(left, "40");

	for (i = 0; i < 15; i++)
		batch_set(i, i == 14 ? "39" : "0.000001");
	assert_int_equal(batch_verdict(&vd, 15, &v), POLICY_DENY);
	assert_string_equal(v.why, "the batch holds more budgets than one "
	    "request may: send fewer orders at once");
	policy_budget_each(vd.policy.st, vaultd_wall_ms(), batch_left, left);
	assert_string_equal(left, "40");

	batch_set(0, "39");
	assert_int_equal(batch_verdict(&vd, 1, &v), POLICY_ALLOW);
	assert_int_equal(batch_verdict(&vd, 1, &v), POLICY_DENY);
	policy_budget_each(vd.policy.st, vaultd_wall_ms(), batch_left, left);
	assert_string_equal(left, "1");
	vaultd_policy_free(&vd);
}

/*
 * Each order of a batch is a request to the policy: it takes one from a
 * count limit of the rule it matches (clobvault-policy(5), Predicates),
 * and a batch that does not fit takes nothing.
 */
static void
test_batch_counts(void **state)
{
	static struct vaultd	vd;
	struct policy_verdict	v;
	struct msg_rd		none;
	const char		*pol = "allow client bot method POST path "
	    "{ /order /orders } order side = BUY limit 3/day label c\n";

	(void)state;
	memset(&none, 0, sizeof(none));
	assert_int_equal(vaultd_policy_unlocked(&vd, 1, (const uint8_t *)pol,
	    strlen(pol), &none), 0);
	batch_set(0, "1");
	batch_set(1, "1");
	assert_int_equal(batch_verdict(&vd, 2, &v), POLICY_ALLOW);
	assert_int_equal(v.resv.n, 1);
	assert_int_equal(v.resv.r[0].amount, 2);
	assert_int_equal(batch_verdict(&vd, 2, &v), POLICY_DENY);
	assert_string_equal(v.why, "order 2 of the batch: denied by rule c "
	    "(line 1): budget limit 3/day exhausted");
	assert_int_equal(batch_verdict(&vd, 1, &v), POLICY_ALLOW);
	assert_int_equal(batch_verdict(&vd, 1, &v), POLICY_DENY);
	vaultd_policy_free(&vd);
}

/*
 * A vault's policy that does not parse here (another build's grammar):
 * every request is denied, and a policy change still needs the
 * approvals it asked for; the empty policy in its place let the
 * passphrase alone apply the next one.  Its approver lines unreadable
 * too, no change can be approved here at all.
 */
static void
test_policy_unparsed(void **state)
{
	static struct vaultd	vd;
	uint8_t			pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t			pk2[crypto_sign_PUBLICKEYBYTES];
	uint8_t			sk[crypto_sign_SECRETKEYBYTES];
	char			hex[2 * crypto_sign_PUBLICKEYBYTES + 1];
	char			hex2[2 * crypto_sign_PUBLICKEYBYTES + 1];
	char			text[512];
	struct msg_rd		none;
	size_t			n;

	(void)state;
	memset(&none, 0, sizeof(none));
	crypto_sign_keypair(pk, sk);
	hex_encode(pk, sizeof(pk), hex);
	n = (size_t)snprintf(text, sizeof(text), "approver alice \"%s\"\n"
	    "policy-change approve 1 of { alice }\n"
	    "allow operator catalog frobnicate\n", hex);
	assert_int_equal(vaultd_policy_unlocked(&vd, 3, (const uint8_t *)text,
	    n, &none), 0);
	assert_non_null(strstr(vd.policy.trouble, "does not parse here"));
	assert_int_equal(policy_change_k(vd.policy.pol), 1);
	vaultd_policy_free(&vd);

	n = (size_t)snprintf(text, sizeof(text), "approver alice \"%.10s\"\n"
	    "policy-change approve 1 of { alice }\n", hex);
	assert_int_equal(vaultd_policy_unlocked(&vd, 3, (const uint8_t *)text,
	    n, &none), 0);
	assert_int_equal(policy_change_k(vd.policy.pol), 1);
	vaultd_policy_free(&vd);

	/*
	 * lines continued by a backslash are kept whole (not a backslash
	 * in a comment), and a last line without its newline too; a tab
	 * separates words as a space does
	 */
	crypto_sign_keypair(pk2, sk);
	hex_encode(pk2, sizeof(pk2), hex2);
	n = (size_t)snprintf(text, sizeof(text), "allow operator frobnicate\n"
	    "approver alice \\\n  \"%s\"  # alice \\\n"
	    "allow any\n"
	    "\tapprover\tbob \"%s\"\n"
	    "policy-change approve 2 \\\r\n    of { alice \\\n bob }", hex,
	    hex2);
	assert_int_equal(vaultd_policy_unlocked(&vd, 3, (const uint8_t *)text,
	    n, &none), 0);
	assert_non_null(strstr(vd.policy.trouble, "does not parse here"));
	assert_int_equal(policy_change_k(vd.policy.pol), 2);
	assert_int_equal(policy_napprovers(vd.policy.pol), 2);
	assert_string_equal(policy_approver_name(vd.policy.pol, 0), "alice");
	assert_int_equal(policy_approver_find(vd.policy.pol, pk2, NULL), 1);
	assert_int_equal(policy_nrules(vd.policy.pol), 0);
	vaultd_policy_free(&vd);

	/* its last line without a newline: kept whole, and no byte past */
	n = (size_t)snprintf(text, sizeof(text), "policy-change approve 1 of "
	    "{ alice }");
	assert_int_equal(vaultd_policy_unlocked(&vd, 3, (const uint8_t *)text,
	    n, &none), 0);
	assert_int_equal(policy_change_k(vd.policy.pol), 1);
	assert_int_equal(policy_napprovers(vd.policy.pol), 1);
	assert_string_equal(policy_approver_name(vd.policy.pol, 0), "nobody");
	vaultd_policy_free(&vd);

	/* no change approvers asked for: none are needed */
	n = (size_t)snprintf(text, sizeof(text), "allow operator frobnicate\n");
	assert_int_equal(vaultd_policy_unlocked(&vd, 3, (const uint8_t *)text,
	    n, &none), 0);
	assert_int_equal(policy_change_k(vd.policy.pol), 0);
	vaultd_policy_free(&vd);
}

static int	body_calls;

static int
body_done(struct vaultd *vd, const struct sign_origin *o, int code,
    const char *text, const struct sign_hdrs *h)
{
	(void)vd;
	(void)o;
	(void)text;
	(void)h;
	if (code == 0)
		body_calls++;
	return 1;
}

/* signerd's MSG_SIGN_ANS with a body of n bytes, for a slot so made. */
static int
answer_with_body(uint64_t level, uint64_t flags, size_t n)
{
	static struct vaultd	vd;
	static uint8_t		body[8192];
	struct msg_w		w;
	struct msg		m;
	int			r;

	memset(&vd, 0, sizeof(vd));
	vd.signs[0].sent = MSG_SIGN_REQ;
	vd.signs[0].origin.done = body_done;
	vd.signs[0].level = level;
	vd.signs[0].flags = flags;
	vd.sign_busy[0] = 1;
	vd.sign_ids[0] = 77;
	vd.nsigns = 1;
	msg_begin(&w, MSG_SIGN_ANS, 77);
	msg_put_array(&w, 0);
	msg_put_bin(&w, body, n);
	assert_int_equal(msg_finish(&w), 0);
	assert_int_equal(msg_decode(&m, w.buf.data + 4, w.buf.len - 4), 0);
	r = vaultd_sign_answer(&vd, &m);
	msg_clear(&m);
	msg_w_free(&w);
	return r;
}

/*
 * A body in signerd's answer only where signerd makes one: orders signed
 * (SIGN_F_ORDERS), a token request sealed to netd (bearer, at most
 * SIGN_BOX_MAX).  Anything else is a broken signerd, killed by the
 * dispatcher for CV_ERR_MSG_STATE; a token's body over the bound
 * stopped vaultd itself (fatalx) before.
 */
static void
test_sign_answer_body(void **state)
{
	(void)state;
	body_calls = 0;
	/* 1: the answer was a slot's, and taken */
	assert_int_equal(answer_with_body(CATALOG_L2, 0, 0), 1);
	assert_int_equal(answer_with_body(CATALOG_BEARER, 0, 600), 1);
	assert_int_equal(answer_with_body(CATALOG_BEARER, 0, SIGN_BOX_MAX),
	    1);
	assert_int_equal(answer_with_body(CATALOG_L2, SIGN_F_ORDERS, 5000), 1);
	assert_int_equal(body_calls, 4);
	assert_int_equal(answer_with_body(CATALOG_L2, 0, 1), CV_ERR_MSG_STATE);
	assert_int_equal(answer_with_body(CATALOG_L1, 0, 64),
	    CV_ERR_MSG_STATE);
	assert_int_equal(answer_with_body(CATALOG_BEARER, 0,
	    SIGN_BOX_MAX + 1), CV_ERR_MSG_STATE);
	assert_int_equal(body_calls, 4);
}

/* A two-record vault of made-up crypto fields (vaultd never opens one). */
static void
rekey_vault(struct vault *v)
{
	struct vault_rec	r;
	uint8_t			body[48];
	int			i;

	memset(v, 0, sizeof(*v));
	v->hdr.version = VAULT_VERSION;
	memset(v->hdr.vault_id, 0x11, VAULT_ID_LEN);
	v->hdr.opslimit = crypto_pwhash_argon2id_OPSLIMIT_MIN;
	v->hdr.memlimit = crypto_pwhash_argon2id_MEMLIMIT_MIN;
	v->hdr.generation = 5;
	memset(body, 0x66, sizeof(body));
	for (i = 0; i < 2; i++) {
		memset(&r, 0, sizeof(r));
		r.type = VAULT_REC_WALLET_KEY;
		snprintf(r.account, sizeof(r.account), "acct%d", i);
		r.body = body;
		r.body_len = sizeof(body);
		assert_int_equal(vault_add_record(v, &r), 0);
	}
}

/* signerd's MSG_VAULT_REKEY_ANS with v's file, to a vaultd holding o. */
static int
rekey_answer(const struct vault *o, const struct vault *v)
{
	static struct vaultd	 vd;
	struct msg_w		 w;
	struct msg		 m;
	uint8_t			*buf;
	size_t			 len;
	int			 r;

	memset(&vd, 0, sizeof(vd));
	vault_recs_sum(o, vd.recs_sum);
	vd.kdf_ops = o->hdr.opslimit;
	vd.kdf_mem = o->hdr.memlimit;
	vd.op.active = 1;
	vd.op.id = 5;
	vd.op.sent = MSG_VAULT_REKEY_REQ;
	assert_int_equal(vault_fmt_encode(v, &buf, &len), 0);
	msg_begin(&w, MSG_VAULT_REKEY_ANS, 5);
	msg_put_bin(&w, buf, len);
	assert_int_equal(msg_finish(&w), 0);
	assert_int_equal(msg_decode(&m, w.buf.data + 4, w.buf.len - 4), 0);
	r = vault_signerd_answer(&vd, NULL, &m);
	msg_clear(&m);
	msg_w_free(&w);
	free(buf);
	return r;
}

/*
 * A rekeyed file with a record added, dropped or its clear header
 * changed, or another cost, vault id or flag, than the vault signerd
 * holds: a broken signerd (CV_ERR_MSG_STATE), nothing written.  The
 * vault it holds is what vaultd last unlocked or wrote, not the file
 * on disk (there is none here).
 */
static void
test_rekey_answer_checked(void **state)
{
	struct vault		o, v;
	struct vault_rec	r;

	(void)state;
	rekey_vault(&o);
	rekey_vault(&v);
	r = v.recs[1];
	snprintf(r.account, sizeof(r.account), "more");
	assert_int_equal(vault_add_record(&v, &r), 0);
	assert_int_equal(rekey_answer(&o, &v), CV_ERR_MSG_STATE);
	assert_int_equal(vault_del_record(&v, 2), 0);
	assert_int_equal(vault_del_record(&v, 1), 0);
	assert_int_equal(rekey_answer(&o, &v), CV_ERR_MSG_STATE);
	vault_free(&v);
	rekey_vault(&v);
	v.recs[0].flags = VAULT_RECF_REVOKED;
	assert_int_equal(rekey_answer(&o, &v), CV_ERR_MSG_STATE);
	v.recs[0].flags = 0;
	v.recs[1].nonce = 1;
	assert_int_equal(rekey_answer(&o, &v), CV_ERR_MSG_STATE);
	v.recs[1].nonce = 0;
	snprintf(v.recs[1].key_id, sizeof(v.recs[1].key_id), "k");
	assert_int_equal(rekey_answer(&o, &v), CV_ERR_MSG_STATE);
	v.recs[1].key_id[0] = '\0';
	v.hdr.vault_id[3] ^= 1;
	assert_int_equal(rekey_answer(&o, &v), CV_ERR_MSG_STATE);
	v.hdr.vault_id[3] ^= 1;
	v.hdr.opslimit++;
	assert_int_equal(rekey_answer(&o, &v), CV_ERR_MSG_STATE);
	vault_free(&v);
	vault_free(&o);
}

/*
 * /metrics with more budget counters than fit in a frame: vaultd answers
 * netd with an error it can take (503 to the scraper), where the frame
 * over the bound failed to queue and had netd killed as a broken peer,
 * at every scrape.  12,000 clients each hold a counter of rule m.
 */
static void
test_metrics_too_long(void **state)
{
	static struct vaultd	vd;
	static const char	pol[] = "allow any method GET path /time "
				    "limit 1000/day per client label m\n";
	struct policy_verdict	v;
	struct sign_origin	o;
	struct sign_args	a;
	struct msg_rd		none;
	struct msg_w		w;
	struct msg		m, ans;
	struct chan		peer;
	char			name[64], text[256];
	int			sp[2], code;
	size_t			i;

	(void)state;
	memset(&none, 0, sizeof(none));
	assert_int_equal(vaultd_policy_unlocked(&vd, 1, (const uint8_t *)pol,
	    sizeof(pol) - 1, &none), 0);
	memset(&o, 0, sizeof(o));
	o.who = POLICY_ACTOR_CLIENT;
	memset(&a, 0, sizeof(a));
	a.level = CATALOG_NONE;
	snprintf(a.method, sizeof(a.method), "GET");
	a.path = "/time";
	a.pathlen = 5;
	for (i = 0; i < 12000; i++) {
		snprintf(name, sizeof(name), "bot-%052zu", i);
		o.client = name;
		o.actor = name;
		vaultd_policy_verdict(&vd, &o, "main", &a, &v);
		assert_int_equal(v.effect, POLICY_ALLOW);
	}

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	chan_init(&NETD(&vd)->chan, sp[0]);
	chan_init(&peer, sp[1]);
	msg_begin(&w, MSG_GW_INFO_REQ, 5);
	msg_put_str(&w, "metrics");
	assert_int_equal(msg_finish(&w), 0);
	/* a netd whose sandbox vaultd has not seen: "retry", no metrics */
	assert_int_equal(msg_decode(&m, w.buf.data + 4, w.buf.len - 4), 0);
	assert_int_equal(vaultd_gw_info_req(&vd, NETD(&vd), &m), 0);
	msg_clear(&m);
	assert_int_equal(chan_flush(&NETD(&vd)->chan), 0);
	assert_int_equal(chan_recv(&peer, &ans), 0);
	assert_int_equal(ans.type, MSG_ERROR_ANS);
	assert_int_equal(ans.id, 5);
	assert_int_equal(msg_get_error(&ans, &code, text, sizeof(text)), 0);
	assert_int_equal(code, CV_ERR_AGAIN);
	assert_string_equal(text, "netd's sandbox is not seen yet; retry");
	msg_clear(&ans);
	/* up, its seccomp filter seen at its first status answer */
	NETD(&vd)->state = CHILD_UP;
	NETD(&vd)->have_status = 1;
	NETD(&vd)->proc_seccomp = 2;
	assert_int_equal(msg_decode(&m, w.buf.data + 4, w.buf.len - 4), 0);
	assert_int_equal(vaultd_gw_info_req(&vd, NETD(&vd), &m), 0);
	msg_clear(&m);
	msg_w_free(&w);
	assert_int_equal(chan_flush(&NETD(&vd)->chan), 0);
	assert_int_equal(chan_recv(&peer, &ans), 0);
	assert_int_equal(ans.type, MSG_ERROR_ANS);
	assert_int_equal(ans.id, 5);
	assert_int_equal(msg_get_error(&ans, &code, text, sizeof(text)), 0);
	assert_int_equal(code, CV_ERR_TOOLONG);
	assert_string_equal(text, "the metrics are over 1 MiB (too many "
	    "budget counters in use)");
	msg_clear(&ans);
	chan_free(&peer);
	chan_free(&NETD(&vd)->chan);
	vaultd_policy_free(&vd);
}

/*
 * A gateway request's client passphrase, while the request waits in
 * vaultd for signerd's check (signerd not up: parked, to be checked
 * again), is in locked pages and never in malloc's heap; once the
 * request ends no copy is left.  It used to be held in the request's
 * calloc'd block, swappable, its wiped bytes left in the heap.
 */
static void
test_gw_pass_locked(void **state)
{
	static struct vaultd	 vd;
	struct msg_w		 w;
	struct msg		 m;
	const char		*at;
	char			 pass[65];
	size_t			 i;
	int			 sp[2];

	(void)state;
	assert_true(sodium_init() >= 0);
	/* made here: no copy of it in the program's data */
	for (i = 0; i < sizeof(pass) - 1; i++)
		pass[i] = (char)('a' + randombytes_uniform(26));
	pass[sizeof(pass) - 1] = '\0';
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	chan_init(&NETD(&vd)->chan, sp[0]);
	NETD(&vd)->state = CHILD_UP;
	NETD(&vd)->have_status = 1;
	NETD(&vd)->proc_seccomp = 2;
	vd.unlocked = 1;

	msg_begin(&w, MSG_GW_REQ, 9);
	msg_put_str(&w, "GET");
	msg_put_str(&w, "/data/orders");
	msg_put_bin(&w, "", 0);
	msg_put_str(&w, "3f2c1b0a-9e8d-4c7b-8a69-5d4e3f2a1b0c");
	msg_put_str(&w, pass);
	msg_put_str(&w, "1700000000");
	msg_put_str(&w, "c2lnbmF0dXJl");
	msg_put_u64(&w, 0);
	msg_put_str(&w, "");
	assert_int_equal(msg_finish(&w), 0);
	assert_int_equal(msg_decode(&m, w.buf.data + 4, w.buf.len - 4), 0);
	assert_int_equal(vaultd_gw_req(&vd, NETD(&vd), &m), 0);
	msg_clear(&m);
	msg_w_free(&w);
	/* it waits, unanswered, its passphrase held once, locked */
	assert_int_equal(vd.gw.nreqs, 1);
	assert_int_equal(chan_unwritten(&NETD(&vd)->chan), 0);
	assert_false(in_heap(pass, 64));
	assert_non_null(at = copy_in_memory(pass, 64, pass));
	assert_true(range_locked(at, 64));
	assert_int_equal(copies_in_memory(pass, 64, pass), 1);

	/* netd gone: the request ends, and nothing of it is left */
	vaultd_gw_netd_lost(&vd);
	assert_int_equal(vd.gw.nreqs, 0);
	assert_int_equal(copies_in_memory(pass, 64, pass), 0);
	vaultd_gw_shutdown(&vd);
	chan_free(&NETD(&vd)->chan);
	close(sp[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_signs_nothing),
		cmocka_unit_test(test_list_exactly),
		cmocka_unit_test(test_create_or_derive),
		cmocka_unit_test(test_revoke_names_its_key),
		cmocka_unit_test(test_child_tables),
		cmocka_unit_test(test_control_table),
		cmocka_unit_test(test_every_message_has_a_row),
		cmocka_unit_test(test_lone_request_sync),
		cmocka_unit_test(test_child_sndbuf),
		cmocka_unit_test(test_batch_refund),
		cmocka_unit_test(test_batch_counts),
		cmocka_unit_test(test_policy_unparsed),
		cmocka_unit_test(test_sign_answer_body),
		cmocka_unit_test(test_rekey_answer_checked),
		cmocka_unit_test(test_metrics_too_long),
		cmocka_unit_test(test_gw_pass_locked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
