/*
 * The gateway, vaultd's side.  netd serves bots on sockets vaultd made
 * (run/gateway.sock, and loopback addresses when configured) and brings
 * each request here as MSG_GW_REQ; vaultd decides it and signs it, and
 * netd sends it to the exchange:
 *
 *	netd MSG_GW_REQ -> signerd checks the client's own signature
 *	    (MSG_CLIENT_CHECK_REQ: the client's secret never leaves signerd;
 *	    MSG_GW_PASSED tells netd it passed) -> the replay window
 *	    -> the account's routing facts (cached)
 *	    -> the policy, as "client NAME", with an order's fields
 *	    -> the signing path (audit first, then signerd; orders signed
 *	    with the wallet key, the body signerd made comes back)
 *	-> MSG_GW_ANS: where to send it, the headers, the body to send.
 *
 * A request with no client credentials is an unsigned one: the policy
 * sees it as "any" only, at level none, and nothing is signed.  netd
 * holds no secret: it gets the headers of one request at a time.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "common/catalog.h"
#include "common/log.h"
#include "common/netcall.h"
#include "common/order.h"
#include "common/profile.h"
#include "vaultd/vaultd.h"
#include "vaultd/vaultd_order.h"

#define GW_SOCK		"run/gateway.sock"
#define GW_ADDR		"run/gateway.addr"
#define GW_ANON_ACTOR	"gateway:unsigned"
#define GW_TS_MAX	100000000000LL	/* a signed time, s (year 5138) */

/* One bot request netd brought, until it is answered. */
struct gw_req {
	uint64_t		 cookie;	/* names it to callbacks */
	uint32_t		 id;		/* netd's message id */
	pid_t			 pid;		/* of that netd */
	char			 method[8];
	char			*path;
	size_t			 pathlen;
	uint8_t			*body;
	size_t			 bodylen;
	char			 key[65];
	char			*pass;		/* a slot of vd->gw.passes */
	uint16_t		 passslot;
	char			 ts[24];
	char			 sig[129];
	uint64_t		 negrisk;
	int			 anon;
	/* waiting out a busy vault (a checkpoint being signed): until
	 * then, to do again the client check (stage 0) or the rest (1) */
	int			 parked, stage;
	/* netd gave it up (MSG_GW_GONE) while signerd had work of it: it
	 * ends, answered, when that work comes back (gw_gone_done) */
	int			 gone;
	int64_t			 park_until;
	char			 prefix[65];	/* a /@NAME prefix's */
	char			 client[65];
	char			 account[65];
	char			 actor[80];
	/*
	 * an order's (or a batch's) fields, as the policy sees them: 12
	 * KiB, made for a POST alone (gw_orders), not zeroed for each GET
	 */
	struct vaultd_orders	*orders;
};

static uint64_t	gw_next_cookie = 1;

/* Listening sockets. */

static int
gw_unix(struct vaultd *vd)
{
	int	fd;

	if ((size_t)snprintf(vd->gw.sockpath, sizeof(vd->gw.sockpath),
	    "%s/%s", vd->home, GW_SOCK) >= sizeof(vd->gw.sockpath))
		fatalx("gateway socket path too long: %s/%s", vd->home,
		    GW_SOCK);
	/* the control socket is ours already: no other vaultd serves this */
	if (unlink(vd->gw.sockpath) == -1 && errno != ENOENT)
		fatal("unlink stale %s", vd->gw.sockpath);
	/* bots of the socket group may connect; their credentials decide */
	if (vaultd_unix_listen(vd, vd->gw.sockpath, 128, &fd) != 0)
		fatalx("cannot serve the gateway socket %s", vd->gw.sockpath);
	return fd;
}

/* 127.0.0.1:PORT or [::1]:PORT (vaultd.conf(5) checked the form). */
static int
gw_tcp(const char *spec, char *bound, size_t boundlen)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sl;
	const char		*colon = strrchr(spec, ':');
	int			 fd, on = 1, v6;
	unsigned long		 port;

	if (colon == NULL)
		fatalx("gateway %s: not ADDRESS:PORT", spec);
	port = strtoul(colon + 1, NULL, 10);
	v6 = spec[0] == '[';
	memset(&ss, 0, sizeof(ss));
	if (v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		sin6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons((uint16_t)port);
		sl = sizeof(*sin);
	}
	if ((fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
	    sizeof(on)) == -1))
		fatal("setsockopt");
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1)
		fatal("gateway %s: bind", spec);
	if (listen(fd, 128) == -1)
		fatal("gateway %s: listen", spec);
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		fatal("getsockname");
	snprintf(bound, boundlen, "%s:%u", v6 ? "[::1]" : "127.0.0.1",
	    (unsigned)ntohs(v6 ? sin6->sin6_port : sin->sin_port));
	return fd;
}

int
vaultd_gw_listen(struct vaultd *vd)
{
	char	 text[64 + GW_FDS_MAX * (VAULTD_GATEWAY_LEN + 8) +
		     PATH_MAX];
	char	 bound[VAULTD_GATEWAY_LEN + 8], tmp[PATH_MAX + 8];
	size_t	 i, n;
	int	 fd;

	vd->gw.fds[vd->gw.nfds++] = gw_unix(vd);
	n = (size_t)snprintf(text, sizeof(text), "unix %s\n",
	    vd->gw.sockpath);
	for (i = 0; i < vd->ngateways; i++) {
		vd->gw.fds[vd->gw.nfds++] = gw_tcp(vd->gateways[i], bound,
		    sizeof(bound));
		log_info("gateway listening on %s", bound);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "tcp %s\n",
		    bound);
	}
	/* where bots connect, for them and for scripts: made whole */
	if ((size_t)snprintf(vd->gw.addrpath, sizeof(vd->gw.addrpath),
	    "%s/%s", vd->home, GW_ADDR) >= sizeof(vd->gw.addrpath) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", vd->gw.addrpath) >=
	    sizeof(tmp))
		fatalx("CLOBVAULT_HOME path too long");
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) == -1 || write(fd, text, n) != (ssize_t)n ||
	    close(fd) == -1 || rename(tmp, vd->gw.addrpath) == -1)
		fatal("write %s", vd->gw.addrpath);
	return 0;
}

void
vaultd_gw_shutdown(struct vaultd *vd)
{
	size_t	i;

	for (i = 0; i < vd->gw.nfds; i++)
		close(vd->gw.fds[i]);
	vd->gw.nfds = 0;
	if (vd->gw.sockpath[0] != '\0')
		unlink(vd->gw.sockpath);
	if (vd->gw.addrpath[0] != '\0')
		unlink(vd->gw.addrpath);
	/* the audit log is closed: what netd had was told when it died */
	memset(vd->gw.handed, 0, sizeof(vd->gw.handed));
	vaultd_gw_netd_lost(vd);
	for (i = 0; i < GW_ACCTS_MAX; i++)
		free(vd->gw.accts[i].ca);
	free(vd->gw.replay);
	vd->gw.replay = NULL;
	secret_free(&vd->gw.passes);
	vd->gw.npass_free = 0;
}

/* Requests. */

/*
 * A slot for a request's client passphrase, in vd->gw.passes: locked
 * memory, made once, never malloc's, where a passphrase could be
 * swapped out or left in a freed block.  NULL if it cannot be made.
 */
static char *
gw_pass_take(struct vaultd *vd, uint16_t *slot)
{
	size_t	i;

	if (vd->gw.passes.p == NULL) {
		if (secret_alloc(&vd->gw.passes, (GW_REQS_MAX + 1) *
		    GW_PASS_SIZE) != 0)
			return NULL;
		for (i = 0; i <= GW_REQS_MAX; i++)
			vd->gw.pass_free[i] = (uint16_t)(GW_REQS_MAX - i);
		vd->gw.npass_free = GW_REQS_MAX + 1;
	}
	/* one a request, and at most GW_REQS_MAX + 1 of them at once */
	if (vd->gw.npass_free == 0)
		fatalx("gateway passphrase slots exhausted");
	*slot = vd->gw.pass_free[--vd->gw.npass_free];
	return (char *)vd->gw.passes.p + (size_t)*slot * GW_PASS_SIZE;
}

/* The slot back, wiped. */
static void
gw_pass_give(struct vaultd *vd, struct gw_req *r)
{
	if (r->pass == NULL)
		return;
	sodium_memzero(r->pass, GW_PASS_SIZE);
	vd->gw.pass_free[vd->gw.npass_free++] = r->passslot;
	r->pass = NULL;
}

/* A request not (or no longer) in vd->gw.reqs, freed. */
static void
gw_req_free(struct vaultd *vd, struct gw_req *r)
{
	gw_pass_give(vd, r);
	free(r->path);
	free(r->body);
	free(r->orders);
	free(r);
}

static void
gw_free(struct vaultd *vd, size_t i)
{
	gw_req_free(vd, vd->gw.reqs[i]);
	vd->gw.reqs[i] = vd->gw.reqs[--vd->gw.nreqs];
	vd->gw.reqs[vd->gw.nreqs] = NULL;
}

static struct gw_req *
gw_find(struct vaultd *vd, uint64_t cookie, size_t *at)
{
	size_t	i;

	for (i = 0; i < vd->gw.nreqs; i++)
		if (vd->gw.reqs[i]->cookie == cookie) {
			if (at != NULL)
				*at = i;
			return vd->gw.reqs[i];
		}
	return NULL;
}

/* Send netd a refusal for r, and forget r. */
static void
gw_fail(struct vaultd *vd, uint64_t cookie, int code, const char *why)
{
	struct gw_req	*r;
	size_t		 at;

	if ((r = gw_find(vd, cookie, &at)) == NULL)
		return;
	/* queued: vaultd's loop sends it */
	if (NETD(vd)->state == CHILD_UP && NETD(vd)->pid == r->pid &&
	    msg_error_ans(&NETD(vd)->chan, r->id, code, why) != 0)
		child_kill(NETD(vd), "cannot send it a gateway answer");
	gw_free(vd, at);
}

/*
 * netd gave r up while signerd had work of it (gw_sign_done, its client
 * check or account): now that the work is back, r ends.  netd's place
 * for it was kept until this answer, so that a bot that leaves at once
 * cannot have more of signerd's work under way than netd lets wait.
 */
static int
gw_gone_done(struct vaultd *vd, struct gw_req *r)
{
	if (!r->gone)
		return 0;
	gw_fail(vd, r->cookie, CV_ERR_EOF, "the bot went away");
	return 1;
}

/*
 * Tell netd that r's credentials passed signerd's check: netd gives the
 * credentials of a request it sent (its own keyed hash of them) a
 * share of the places waiting on vaultd of their own from then on,
 * where made-up ones share one (NETD_GW_WAIT_NEW).  Nothing of the
 * client's goes with it, only the request's id.
 */
static void
gw_passed(struct vaultd *vd, const struct gw_req *r)
{
	struct msg_w	w;

	if (NETD(vd)->state != CHILD_UP || NETD(vd)->pid != r->pid)
		return;
	msg_begin(&w, MSG_GW_PASSED, r->id);
	if (chan_queue(&NETD(vd)->chan, &w) != 0)
		child_kill(NETD(vd), "cannot tell it a client passed");
}

/* The audit record of a request refused before the policy saw it. */
static void
gw_deny_as(struct vaultd *vd, const struct gw_req *r, const char *actor,
    const char *account, const char *rule)
{
	struct sign_args	a;

	memset(&a, 0, sizeof(a));
	a.level = r->anon ? CATALOG_NONE : CATALOG_L2;
	memcpy(a.method, r->method, sizeof(a.method));
	a.path = r->path;
	a.pathlen = r->pathlen;
	a.body = r->body;
	a.bodylen = r->bodylen;
	vaultd_sign_deny_rule(vd, actor, account, &a, rule);
}

static void
gw_deny_rule(struct vaultd *vd, const struct gw_req *r, const char *account,
    const char *rule)
{
	gw_deny_as(vd, r, r->actor, account, rule);
}

static void
gw_deny(struct vaultd *vd, const struct gw_req *r, const char *account)
{
	gw_deny_rule(vd, r, account, "-");
}

/*
 * A keyed hash of the key id of a client signerd let pass: its place
 * among the clients with signatures in the replay window
 * (replay_clients).
 */
static uint64_t
gw_real_hash(struct vaultd *vd, const char *key)
{
	uint8_t		out[8];
	uint64_t	h = 0;
	size_t		i;

	if (!vd->gw.real_keyed) {
		crypto_shorthash_keygen(vd->gw.real_key);
		vd->gw.real_keyed = 1;
	}
	crypto_shorthash(out, (const uint8_t *)key, strlen(key),
	    vd->gw.real_key);
	for (i = 0; i < sizeof(out); i++)
		h = h << 8 | out[i];
	return h != 0 ? h : 1;
}

/*
 * The actor of a credential failure's record: "gateway:key:" and the
 * key id the request named, which anyone may have chosen: of A-Z a-z
 * 0-9 . - _ (any other byte an "_"), at most GW_AUTHFAIL_ID_MAX bytes
 * ("~" last if cut).  NULL: the key ids of the shared allowance, "*".
 */
static void
gw_authfail_actor(char *out, size_t len, const char *key)
{
	char	id[GW_AUTHFAIL_ID_MAX + 1];
	size_t	i;
	int	c;

	if (key == NULL) {
		snprintf(out, len, "gateway:key:*");
		return;
	}
	for (i = 0; key[i] != '\0' && i < GW_AUTHFAIL_ID_MAX; i++) {
		c = (unsigned char)key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-'))
			c = '_';
		id[i] = (char)c;
	}
	if (key[i] != '\0')
		id[i - 1] = '~';
	id[i] = '\0';
	snprintf(out, len, "gateway:key:%s", id);
}

/*
 * Credential failures.  Anyone who can reach the gateway can send them,
 * and each used to be a record: a flood of the audit log.  Each client
 * key id a request names has at most one record every GW_AUTHFAIL_MS
 * (GW_AUTHFAIL_KEYS of them; the key ids past those share one more),
 * and the failures in between are counted: "+N" in the key id field of
 * its next record, or of a record of their own (method and path "-")
 * once the key id has been quiet that long (gw_authfail_flush).
 *
 * Whether a client has the key id changes nothing here: the records are
 * counted in the public /metrics (clobvault_audit_records_total), so a
 * record made for a client's key id where a made-up one's would only
 * be counted (the allowances once kept for clients' key ids did that,
 * made-up key ids having taken the others) told anyone who can reach
 * the gateway whether a key id is a client's.  The cost: in a flood of
 * made-up key ids a client's failures may be counted in the shared
 * allowance ("gateway:key:*") as any.
 */
static struct gw_authfail *
gw_authfail_find(struct vaultd *vd, const char *key, int64_t now)
{
	struct gw_authfail	*f, *spare = NULL;
	size_t			 i;

	for (i = 0; i < GW_AUTHFAIL_KEYS; i++) {
		f = &vd->gw.authfail[i];
		if (f->used && strcmp(f->key, key) == 0)
			return f;
		/* free, or quiet with nothing left to tell */
		if (spare == NULL && (!f->used ||
		    (f->suppressed == 0 && now - f->last_ms >=
		    GW_AUTHFAIL_MS)))
			spare = f;
	}
	if (spare == NULL)
		return &vd->gw.authfail[GW_AUTHFAIL_KEYS];
	memset(spare, 0, sizeof(*spare));
	snprintf(spare->key, sizeof(spare->key), "%s", key);
	return spare;
}

static void
gw_authfail(struct vaultd *vd, const struct gw_req *r)
{
	struct gw_authfail	*f;
	int64_t			 now = vaultd_now_ms();
	char			 rule[24] = "-", actor[80];

	f = gw_authfail_find(vd, r->key, now);
	if (f->used && now - f->last_ms < GW_AUTHFAIL_MS) {
		f->suppressed++;
		return;
	}
	if (f->suppressed > 0)
		snprintf(rule, sizeof(rule), "+%llu",
		    (unsigned long long)f->suppressed);
	gw_authfail_actor(actor, sizeof(actor), r->key);
	gw_deny_as(vd, r, actor, "-", rule);
	f->used = 1;
	f->last_ms = now;
	f->suppressed = 0;
}

/* The counts of the key ids quiet for GW_AUTHFAIL_MS, recorded. */
static void
gw_authfail_flush(struct vaultd *vd, int64_t now)
{
	struct gw_authfail	*f;
	char			 rule[24], actor[80];
	size_t			 i;

	for (i = 0; i <= GW_AUTHFAIL_KEYS; i++) {
		f = &vd->gw.authfail[i];
		if (f->suppressed == 0 || now - f->last_ms < GW_AUTHFAIL_MS)
			continue;
		snprintf(rule, sizeof(rule), "+%llu",
		    (unsigned long long)f->suppressed);
		gw_authfail_actor(actor, sizeof(actor),
		    i < GW_AUTHFAIL_KEYS ? f->key : NULL);
		vaultd_audit_sign_summary(vd, actor, "-", "deny", rule);
		f->last_ms = now;
		f->suppressed = 0;
	}
}

static struct gw_acct *
gw_acct_find(struct vaultd *vd, const char *account, int fresh)
{
	size_t	i;

	for (i = 0; i < GW_ACCTS_MAX; i++)
		if (vd->gw.accts[i].used &&
		    strcmp(vd->gw.accts[i].account, account) == 0 &&
		    (!fresh || vd->gw.accts[i].gen == vd->generation))
			return &vd->gw.accts[i];
	return NULL;
}

static void	gw_decide(struct vaultd *, struct gw_req *,
		    struct gw_acct *);
static void	gw_check(struct vaultd *, struct gw_req *);
static void	gw_anon_route(struct vaultd *, struct gw_req *);

/* 1 if the vault holds an account of that name. */
static int
gw_known(const struct vaultd *vd, const char *account)
{
	size_t	i;

	for (i = 0; i < vd->policy.nprofiles; i++)
		if (strcmp(vd->policy.profiles[i].account, account) == 0)
			return 1;
	return 0;
}

/*
 * The vault is busy for a moment (a checkpoint is being signed and
 * written, signerd restarts and unlocks again): rather than send the
 * bot a 503 for a wait of milliseconds, r waits, up to GW_PARK_MS,
 * and starts again at stage.  1 if it waits, 0 if its time is up.
 */
static int
gw_park(struct vaultd *vd, struct gw_req *r, int stage)
{
	int64_t	now = vaultd_now_ms();

	if (r->park_until == 0)
		r->park_until = now + GW_PARK_MS;
	else if (now >= r->park_until)
		return 0;
	r->parked = 1;
	r->stage = stage;
	return 1;
}

/*
 * A signature went to netd for r: kept, with the record that names it,
 * until GW_REQS_MAX more went, in case netd's notice that r's bot went
 * away crossed it (gw_gone).
 */
static void
gw_handed_put(struct vaultd *vd, const struct gw_req *r,
    const struct sign_seen *seen)
{
	struct gw_handed	*e;

	if (seen == NULL)
		return;
	e = &vd->gw.handed[vd->gw.handed_next];
	vd->gw.handed_next = (vd->gw.handed_next + 1) % GW_REQS_MAX;
	e->pid = r->pid;
	e->id = r->id;
	e->before = NETD(vd)->next_id;
	snprintf(e->account, sizeof(e->account), "%s", r->account);
	e->seen = *seen;
}

static void	gw_gone(struct vaultd *, pid_t, uint32_t);

/*
 * The signature is made (or refused): tell netd what to send.  1 if a
 * signature went to netd, 0 if it was withheld.
 */
static int
gw_sign_done(struct vaultd *vd, const struct sign_origin *o, int code,
    const char *text, const struct sign_hdrs *h)
{
	struct gw_req	*r;
	struct gw_acct	*ac;
	struct msg_w	 w;
	size_t		 at;
	uint32_t	 id;
	int		 sent;

	if ((r = gw_find(vd, o->peer, &at)) == NULL || gw_gone_done(vd, r))
		return 0;
	/* parked, a granted request would go to its approvers anew */
	if (code == CV_ERR_AGAIN && !o->approved && gw_park(vd, r, 1))
		return 0;
	if (code != 0) {
		gw_fail(vd, r->cookie, code, text);
		return 0;
	}
	if ((ac = gw_acct_find(vd, r->account, 0)) == NULL) {
		gw_fail(vd, r->cookie, CV_ERR_AGAIN, "the account changed "
		    "meanwhile; retry");
		return 0;
	}
	if (NETD(vd)->state != CHILD_UP || NETD(vd)->pid != r->pid) {
		gw_free(vd, at);
		return 0;
	}
	msg_begin(&w, MSG_GW_ANS, r->id);
	msg_put_str(&w, r->account);
	msg_put_str(&w, ac->url);
	msg_put_bin(&w, ac->ca, ac->calen);
	msg_put_str(&w, ac->pin);
	if (h != NULL) {
		vaultd_sign_hdrs_put(&w, h);
		msg_put_bool(&w, h->body != NULL);
		msg_put_bin(&w, h->body, h->bodylen);
	} else {
		msg_put_array(&w, 0);
		msg_put_bool(&w, 0);
		msg_put_bin(&w, NULL, 0);
	}
	sent = child_queue(NETD(vd), &w) == 0;
	if (!sent)
		child_kill(NETD(vd), "cannot send it a gateway answer");
	else if (h != NULL)
		gw_handed_put(vd, r, o->seen);
	gw_free(vd, at);
	/* -T probe gone-late: the notice held comes after this answer */
	if (vd->gw.gone_late != 0) {
		id = vd->gw.gone_late;
		vd->gw.gone_late = 0;
		gw_gone(vd, NETD(vd)->pid, id);
	}
	return sent && h != NULL;
}

/* signerd's routing facts of the account, into the cache. */
static void
gw_account_done(struct vaultd *vd, uint64_t cookie, int code,
    const char *json, size_t len)
{
	struct gw_req		*r;
	struct gw_acct		*ac = NULL;
	const struct profile	*p;
	json_t			*j;
	json_error_t		 err;
	const char		*pname = NULL, *url = NULL, *ca = NULL;
	const char		*pin = NULL;
	char			 why[512];
	json_int_t		 orders = 0;
	int			 builder = 0;
	size_t			 i;
	int			 rc;

	if ((r = gw_find(vd, cookie, NULL)) == NULL || gw_gone_done(vd, r))
		return;
	if (code == CV_ERR_AGAIN && gw_park(vd, r, 1))
		return;
	if (code != 0) {
		gw_fail(vd, cookie, code, code == CV_ERR_NOTFOUND ?
		    "the client's account is not in the vault" : json);
		return;
	}
	j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL || json_unpack(j, "{s:s, s?s, s?s, s?s, s?I, s?b}",
	    "profile", &pname, "url", &url, "ca_file", &ca, "pin", &pin,
	    "orders", &orders, "builder", &builder) != 0 ||
	    (p = profile_find(pname)) == NULL) {
		json_decref(j);
		gw_fail(vd, cookie, CV_ERR_CORRUPT, "the account record is "
		    "not understood");
		return;
	}
	/* a stale entry of this account, else a free one, else the first */
	for (i = 0; i < GW_ACCTS_MAX && ac == NULL; i++)
		if (vd->gw.accts[i].used &&
		    strcmp(vd->gw.accts[i].account, r->account) == 0)
			ac = &vd->gw.accts[i];
	for (i = 0; i < GW_ACCTS_MAX && ac == NULL; i++)
		if (!vd->gw.accts[i].used ||
		    vd->gw.accts[i].gen != vd->generation)
			ac = &vd->gw.accts[i];
	if (ac == NULL)
		ac = &vd->gw.accts[0];
	free(ac->ca);
	memset(ac, 0, sizeof(*ac));
	if (ca != NULL && *ca != '\0' &&
	    (rc = vaultd_read_ca(ca, &ac->ca, &ac->calen, why,
	    sizeof(why))) != 0) {
		json_decref(j);
		gw_fail(vd, cookie, rc, why);
		return;
	}
	ac->used = 1;
	ac->gen = vd->generation;
	snprintf(ac->account, sizeof(ac->account), "%s", r->account);
	snprintf(ac->profile, sizeof(ac->profile), "%s", p->name);
	snprintf(ac->url, sizeof(ac->url), "%s", url != NULL ? url :
	    p->base_url);
	snprintf(ac->pin, sizeof(ac->pin), "%s", pin != NULL ? pin : "");
	ac->orders = orders != 0 ? (int)orders :
	    strcmp(p->name, "polymarket") == 0 ? ORDER_V2 : ORDER_V1;
	ac->builder = builder;
	json_decref(j);
	gw_decide(vd, r, ac);
}

/* The account's facts, from the cache or from signerd. */
static void
gw_account(struct vaultd *vd, struct gw_req *r)
{
	struct gw_acct	*ac;
	int		 code;

	if ((ac = gw_acct_find(vd, r->account, 1)) != NULL) {
		gw_decide(vd, r, ac);
		return;
	}
	if ((code = vaultd_sign_account(vd, r->account, gw_account_done,
	    r->cookie)) != 0 && !(code == CV_ERR_AGAIN && gw_park(vd, r, 1)))
		gw_fail(vd, r->cookie, code, code == CV_ERR_AGAIN ? "the vault "
		    "stayed busy; retry" : "signerd is not running; retry");
}

/*
 * The replay table: open addressing, linear probing; an expired entry
 * keeps its slot (a probe goes on past it) until the table is rebuilt,
 * which drops them and sizes it to what is live.  Rebuilt when its
 * filled slots (live or not) would pass half of it, or three quarters
 * at its largest size, where up to half are live: each rebuild, a pass
 * over every slot, comes after a quarter of the slots were filled anew.
 *
 * Each client with entries in it has a tag of its own, its place in
 * replay_clients (open addressing by gw_real_hash of its key id), which
 * counts its entries.  An expired entry is counted off once, when a
 * probe or the sweep comes by it (GW_REPLAY_OFF); a client whose count
 * is 0 holds no entry, and its place goes to the next new client that
 * comes by it.  replay_held counts the entries not counted off, every
 * client's and the strays (GW_REPLAY_STRAY), so it is never below what
 * is live but after the wall clock went back.  -Q (tests): so many
 * places, every hash starting at the first.
 */
static size_t
gw_replay_ntags(struct vaultd *vd)
{
	return vd->gw.replay_tags != 0 ? vd->gw.replay_tags : GW_REPLAY_TAGS;
}

/* The tag of the client of hash h in t, a new one if need be; -1: none
 * free, every place holds another client's entries. */
static int
gw_replay_tag(struct vaultd *vd, struct gw_rclient *t, uint64_t h)
{
	size_t	n = gw_replay_ntags(vd), k, i;
	int	free = -1;

	k = vd->gw.replay_tags != 0 ? 0 : h % n;
	for (i = 0; i < n; i++, k = (k + 1) % n) {
		if (t[k].hash == h)
			return (int)k;
		if (t[k].count == 0 && free == -1)
			free = (int)k;
		if (t[k].hash == 0)
			break;
	}
	if (free != -1)
		t[free].hash = h;
	return free;
}

/* The table's largest size: GW_REPLAY_MAX, or -M in tests. */
static size_t
gw_replay_most(struct vaultd *vd)
{
	return vd->gw.replay_most != 0 ? vd->gw.replay_most : GW_REPLAY_MAX;
}

/*
 * Each client's reserve: its first entries, which no other client's
 * can crowd out.  Every client's together take at most half of what the
 * table holds live (half its largest size): 256 entries each at the
 * largest size and 1024 clients.  0 (no reserve) if the table is too
 * small for one each (-M in tests).
 */
static size_t
gw_replay_reserve(struct vaultd *vd)
{
	return gw_replay_most(vd) / 2 / (2 * gw_replay_ntags(vd));
}

/*
 * The shared part: what the clients may hold past their reserve, the
 * rest of what the table holds live but one entry, so that the table
 * never holds all it may (a rebuild's room); with no reserve, all of it.
 */
static size_t
gw_replay_pool(struct vaultd *vd)
{
	size_t	live = gw_replay_most(vd) / 2;
	size_t	resv = gw_replay_reserve(vd) * gw_replay_ntags(vd);

	return resv == 0 ? live : live - resv - 1;
}

/* An expired entry counts no longer against its client. */
static void
gw_replay_off(struct vaultd *vd, struct gw_replay *e, int64_t now)
{
	if (e->until_ms != 0 && e->until_ms <= now &&
	    e->tag != GW_REPLAY_OFF) {
		if (e->tag != GW_REPLAY_STRAY &&
		    vd->gw.replay_clients[e->tag].count-- >
		    gw_replay_reserve(vd))
			vd->gw.replay_shared--;
		vd->gw.replay_held--;
		e->tag = GW_REPLAY_OFF;
	}
}

/* Look n slots further over for expired entries to count off. */
static void
gw_replay_sweep(struct vaultd *vd, int64_t now, size_t n)
{
	size_t	k = vd->gw.replay_sweep;

	if (vd->gw.replay == NULL)
		return;
	if (n > vd->gw.replay_cap)
		n = vd->gw.replay_cap;
	while (n-- > 0) {
		k &= vd->gw.replay_cap - 1;
		gw_replay_off(vd, &vd->gw.replay[k++], now);
	}
	vd->gw.replay_sweep = k & (vd->gw.replay_cap - 1);
}

/* 1 if one more entry needs the table rebuilt first (or made). */
static int
gw_replay_crowded(struct vaultd *vd)
{
	size_t	cap = vd->gw.replay_cap, used = vd->gw.replay_used + 1;

	if (vd->gw.replay == NULL)
		return 1;
	return cap < gw_replay_most(vd) ? 2 * used > cap : 4 * used > 3 * cap;
}

static int
gw_replay_build(struct vaultd *vd, int64_t now)
{
	struct gw_rclient	 nc[GW_REPLAY_TAGS];
	uint16_t		 map[GW_REPLAY_TAGS];
	struct gw_replay	*nt, *e;
	size_t			 live = 0, cap, i, k, most = gw_replay_most(vd);
	int			 t;

	vd->gw.replay_scans++;
	for (i = 0; i < vd->gw.replay_cap; i++) {
		e = &vd->gw.replay[i];
		/*
		 * Let go of: its signed time is fresh again should the wall
		 * clock step back, so it goes below the floor.  A whole
		 * second is (ts + window + 1) s, of a time the window
		 * admitted; the others (stale, or ahead) were refused.
		 */
		if (e->until_ms != 0 && e->until_ms <= now &&
		    e->until_ms % 1000 == 0 && e->until_ms / 1000 -
		    vd->gw.replay_window - 1 > vd->gw.replay_floor)
			vd->gw.replay_floor = e->until_ms / 1000 -
			    vd->gw.replay_window - 1;
		if (e->until_ms <= now)
			continue;
		live++;
		/* counted off, and live again: the wall clock went back;
		 * held from now on, no client's, until it expires anew */
		if (e->tag == GW_REPLAY_OFF) {
			e->tag = GW_REPLAY_STRAY;
			vd->gw.replay_held++;
		}
	}
	for (cap = GW_REPLAY_MIN < most ? GW_REPLAY_MIN : most;
	    cap < 4 * (live + 1) && cap < most; cap *= 2)
		;
	if (2 * (live + 1) > cap)
		return CV_ERR_AGAIN;		/* full of live signatures */
	if ((nt = calloc(cap, sizeof(*nt))) == NULL)
		return CV_ERR_NOMEM;
	/* the live entries' clients, given places anew */
	memset(nc, 0, sizeof(nc));
	for (i = 0; i < GW_REPLAY_TAGS; i++)
		map[i] = GW_REPLAY_OFF;
	for (i = 0; i < vd->gw.replay_cap; i++) {
		e = &vd->gw.replay[i];
		if (e->until_ms <= now)
			continue;
		if (e->tag != GW_REPLAY_STRAY) {
			if (map[e->tag] == GW_REPLAY_OFF) {
				/* no more clients than before: one free */
				if ((t = gw_replay_tag(vd, nc, vd->gw.
				    replay_clients[e->tag].hash)) < 0)
					fatalx("%s: no tag", __func__);
				map[e->tag] = (uint16_t)t;
			}
			e->tag = map[e->tag];
			nc[e->tag].count++;
		}
		k = ((size_t)e->key[0] | (size_t)e->key[1] << 8 |
		    (size_t)e->key[2] << 16) & (cap - 1);
		while (nt[k].until_ms != 0)
			k = (k + 1) & (cap - 1);
		nt[k] = *e;
	}
	memcpy(vd->gw.replay_clients, nc, sizeof(nc));
	vd->gw.replay_shared = 0;
	for (i = 0; i < GW_REPLAY_TAGS; i++)
		if (nc[i].count > gw_replay_reserve(vd))
			vd->gw.replay_shared += nc[i].count -
			    gw_replay_reserve(vd);
	free(vd->gw.replay);
	vd->gw.replay = nt;
	vd->gw.replay_cap = cap;
	vd->gw.replay_used = live;
	vd->gw.replay_held = live;
	vd->gw.replay_sweep = 0;
	return 0;
}

/*
 * The policy's skew grew past the window: what the table kept only for
 * the old one stays for the new one too, and what it may have dropped
 * already (its window ended by now) is below the floor from now on.
 */
static void
gw_replay_widen(struct vaultd *vd, int64_t now, int64_t skew)
{
	int64_t	old = vd->gw.replay_window, lost = now / 1000 - old - 1;
	size_t	i;

	if (lost > vd->gw.replay_floor)
		vd->gw.replay_floor = lost;
	vd->gw.replay_scans++;
	for (i = 0; i < vd->gw.replay_cap; i++)
		if (vd->gw.replay[i].until_ms > now)
			vd->gw.replay[i].until_ms += (skew - old) * 1000;
	vd->gw.replay_window = skew;
}

/*
 * 1 if client c may hold no more: it is at its share (GW_REPLAY_CLIENT,
 * -R in tests); or past its reserve, the shared part is full, or the
 * client holds 1/GW_REPLAY_LIGHT of it past its reserve and the shared
 * part is half full.  Within its reserve a client below its share
 * takes more whatever the others hold.  With no reserve (a table of
 * -M too small for one), the table holding half its live most and the
 * client 1/GW_REPLAY_LIGHT of that.
 */
static int
gw_replay_heavy(struct vaultd *vd, const struct gw_rclient *c)
{
	size_t	pool = gw_replay_pool(vd), resv = gw_replay_reserve(vd);
	size_t	light, share;

	light = pool / GW_REPLAY_LIGHT > 0 ? pool / GW_REPLAY_LIGHT : 1;
	share = vd->gw.replay_client != 0 ? vd->gw.replay_client :
	    GW_REPLAY_CLIENT;
	if (c->count >= share)
		return 1;
	if (resv == 0)		/* the whole table shared */
		return c->count >= light && vd->gw.replay_held >= pool / 2;
	if (c->count < resv)
		return 0;
	return vd->gw.replay_shared >= pool ||
	    (c->count - resv >= light && vd->gw.replay_shared >= pool / 2);
}

/*
 * The live entry of key, or else the free slot it goes in; NULL if there
 * is no table yet.  Expired entries the probe passes are counted off.
 */
static struct gw_replay *
gw_replay_seen(struct vaultd *vd, const uint8_t key[16], int64_t now)
{
	struct gw_replay	*e;
	size_t			 k;

	if (vd->gw.replay == NULL)
		return NULL;
	k = ((size_t)key[0] | (size_t)key[1] << 8 | (size_t)key[2] << 16) &
	    (vd->gw.replay_cap - 1);
	for (;; k = (k + 1) & (vd->gw.replay_cap - 1)) {
		e = &vd->gw.replay[k];
		if (e->until_ms == 0)
			return e;
		gw_replay_off(vd, e, now);
		if (e->until_ms > now &&
		    sodium_memcmp(e->key, key, sizeof(e->key)) == 0)
			return e;
	}
}

/*
 * A signature seen before in its window is a replay: refused.  Only
 * requests that change something: a bot may read the same page twice
 * in one second and sign both alike.  The window is the policy's skew:
 * past it the timestamp itself is refused.  A skew made larger keeps
 * the live entries for the new window (gw_replay_widen); a signed time
 * at or below the floor (the last audit record before this vaultd
 * started, what a larger skew found dropped, or the latest a rebuild
 * let go of) may have been seen by a table that is gone, and is refused
 * while it is inside the window (the last's only after the wall clock
 * stepped back).
 *
 * Room: the table holds at most half its largest size live.  Each
 * client has a reserve of it (gw_replay_reserve), which takes half of
 * that for every client together, and the rest is shared: a client
 * within its reserve always gets its requests in, whatever the others
 * hold, so that no client, nor any number of them, keeps another out.
 * Past its reserve a client takes from the shared part while it is
 * not full, below its share, and, once the shared part is half full,
 * while it holds less than 1/GW_REPLAY_LIGHT of it (gw_replay_heavy).
 * No entry goes before its time: a full share or pool refuses the
 * request, never lets a replay through.  A client's count is its own (a tag per
 * client, taken after signerd let the request pass), and replay_held
 * counts every client's, counted down as entries are found expired: a
 * few slots each request, GW_REPLAY_SWEEP_MORE more before a request is
 * refused for room.  No refusal makes vaultd go over the whole table:
 * a rebuild is done only for a request that gets in, and it succeeds
 * (replay_held is below what the table holds) but after the wall clock
 * went back, which it counts in replay_held.  rh: gw_real_hash of the
 * client's key id.  *why says which refusal.
 */
static int
gw_replayed(struct vaultd *vd, const struct gw_req *r, int64_t ts,
    uint64_t rh, const char **why)
{
	crypto_generichash_state h;
	struct gw_replay *e;
	struct gw_rclient *c;
	uint8_t		 key[16];
	int64_t		 now = vaultd_wall_ms(), skew;
	int		 tag, rc;

	*why = "too many signed requests in the replay window; retry";
	if (strcmp(r->method, "GET") == 0)
		return 0;
	skew = vd->policy.pol != NULL ? policy_skew(vd->policy.pol) :
	    POLICY_SKEW_DEFAULT;
	if (vd->gw.replay_window > 0 && skew > vd->gw.replay_window)
		gw_replay_widen(vd, now, skew);
	vd->gw.replay_window = skew;
	if (ts <= vd->gw.replay_floor && (ts + skew + 1) * 1000 > now) {
		*why = "signed too close to a restart of vaultd, a larger "
		    "skew or a step back of the system clock for vaultd to "
		    "rule out a replay; sign it anew";
		return CV_ERR_DENIED;
	}
	crypto_generichash_init(&h, NULL, 0, sizeof(key));
	crypto_generichash_update(&h, (const uint8_t *)r->key,
	    strlen(r->key) + 1);
	crypto_generichash_update(&h, (const uint8_t *)r->sig,
	    strlen(r->sig) + 1);
	crypto_generichash_update(&h, (const uint8_t *)r->ts,
	    strlen(r->ts) + 1);
	crypto_generichash_final(&h, key, sizeof(key));
	/* a replay is one whatever room there is: not told to retry */
	if ((e = gw_replay_seen(vd, key, now)) != NULL && e->until_ms != 0) {
		*why = "replayed request: this signature was used already; "
		    "sign each request anew";
		return CV_ERR_DENIED;
	}
	gw_replay_sweep(vd, now, GW_REPLAY_SWEEP);
	if ((tag = gw_replay_tag(vd, vd->gw.replay_clients, rh)) < 0) {
		gw_replay_sweep(vd, now, GW_REPLAY_SWEEP_MORE);
		tag = gw_replay_tag(vd, vd->gw.replay_clients, rh);
	}
	if (tag < 0) {
		*why = "too many clients have signed requests in the replay "
		    "window; retry";
		return CV_ERR_AGAIN;
	}
	if (gw_replay_heavy(vd, &vd->gw.replay_clients[tag]))
		gw_replay_sweep(vd, now, GW_REPLAY_SWEEP_MORE);
	if (gw_replay_heavy(vd, &vd->gw.replay_clients[tag])) {
		*why = "this client has too many signed requests in the "
		    "replay window; retry";
		return CV_ERR_AGAIN;
	}
	if (vd->gw.replay_held >= gw_replay_most(vd) / 2)
		gw_replay_sweep(vd, now, GW_REPLAY_SWEEP_MORE);
	if (vd->gw.replay_held >= gw_replay_most(vd) / 2)
		return CV_ERR_AGAIN;
	if (gw_replay_crowded(vd)) {
		if ((rc = gw_replay_build(vd, now)) != 0)
			return rc;
		/* places given anew; the client's is there, or one free */
		if ((tag = gw_replay_tag(vd, vd->gw.replay_clients, rh)) < 0)
			return CV_ERR_AGAIN;
	}
	c = &vd->gw.replay_clients[tag];
	/* not seen above, and a rebuild keeps every live entry */
	if ((e = gw_replay_seen(vd, key, now)) == NULL || e->until_ms != 0) {
		*why = "replayed request: this signature was used already; "
		    "sign each request anew";
		return CV_ERR_DENIED;
	}
	memcpy(e->key, key, sizeof(e->key));
	e->tag = (uint16_t)tag;
	if (c->count++ >= gw_replay_reserve(vd))
		vd->gw.replay_shared++;
	e->until_ms = (ts + skew + 1) * 1000;
	if (e->until_ms <= now)		/* stale: the policy refuses it */
		e->until_ms = now + 1;
	/*
	 * Ahead of the window the policy refuses it too: kept no longer
	 * than one just inside may need, with the wait before its verdict
	 * (GW_PARK_MS), so that a time far ahead holds no slot for ever.
	 */
	if (e->until_ms > now + (2 * skew + 2) * 1000 + GW_PARK_MS)
		e->until_ms = now + (2 * skew + 2) * 1000 + GW_PARK_MS;
	/* a whole second only for a time the window admits (gw_replay_build) */
	if (e->until_ms != (ts + skew + 1) * 1000 && e->until_ms % 1000 == 0)
		e->until_ms++;
	vd->gw.replay_used++;
	vd->gw.replay_held++;
	return 0;
}

/* The client's name, account and actor: r's credentials passed. */
static void
gw_named(struct gw_req *r, const char *name, const char *account)
{
	snprintf(r->client, sizeof(r->client), "%s", name);
	snprintf(r->account, sizeof(r->account), "%s", account);
	snprintf(r->actor, sizeof(r->actor), "client:%s", name);
}

/*
 * The client's credentials passed, but its account cannot sign: its
 * record is damaged (another version of vaultd let it in), or the
 * account is gone and the client left behind.  No credential failure:
 * recorded as the client's request refused, its account named, and the
 * bot is told why (404 for an account not in the vault, 500 for any
 * other reason: nothing the bot can change).
 */
static void
gw_unusable(struct vaultd *vd, struct gw_req *r, int code, const char *why,
    const char *name, const char *account)
{
	uint64_t	cookie = r->cookie;

	gw_passed(vd, r);
	if (gw_gone_done(vd, r))
		return;
	gw_named(r, name, account);
	log_debug("gateway request of %s: account %s cannot sign: %s",
	    r->actor, r->account, why);
	vd->gw.refused_account++;
	gw_deny(vd, r, r->account);
	if (code == CV_ERR_NOTFOUND)
		gw_fail(vd, cookie, code, "the client's account is not in "
		    "the vault");
	else
		gw_fail(vd, cookie, CV_ERR_CORRUPT, why);
}

/* signerd checked the client's signature. */
static void
gw_client_done(struct vaultd *vd, uint64_t cookie, int code,
    const char *text, const char *name, const char *account)
{
	struct gw_req	*r;
	const char	*why;
	uint64_t	 rh;
	int64_t		 ts;
	int		 rc;

	if ((r = gw_find(vd, cookie, NULL)) == NULL)
		return;
	/* checked: the passphrase is of no more use */
	gw_pass_give(vd, r);
	/*
	 * signerd stopped (vaultd_sign_lost), or the vault was locked or
	 * busy, before the check was made: nothing is known of the
	 * credentials, and the bot retries.  Not a credential failure.
	 */
	if (code == CV_ERR_NOTRUNNING || code == CV_ERR_LOCKED ||
	    code == CV_ERR_AGAIN) {
		gw_fail(vd, cookie, code, text);
		return;
	}
	if (code != 0 && name[0] != '\0') {
		gw_unusable(vd, r, code, text, name, account);
		return;
	}
	if (code != 0) {
		/*
		 * signerd says whether a client has the key id: netd, and
		 * so the bot, gets one refusal either way, and the failure
		 * is recorded and counted alike (gw_authfail).
		 */
		if (code == CV_ERR_NOCLIENT) {
			code = CV_ERR_AUTH;
			text = cv_strerror(CV_ERR_AUTH);
		}
		vd->gw.refused_auth++;
		gw_authfail(vd, r);
		gw_fail(vd, cookie, code, text);
		return;
	}
	rh = gw_real_hash(vd, r->key);
	gw_passed(vd, r);
	if (gw_gone_done(vd, r))
		return;
	gw_named(r, name, account);
	if (r->prefix[0] != '\0' && strcmp(r->prefix, account) != 0) {
		gw_deny(vd, r, r->account);
		gw_fail(vd, cookie, CV_ERR_DENIED, "this client trades for "
		    "another account than the path's /@ACCOUNT");
		return;
	}
	/*
	 * The time the client signed, in seconds.  0 would read as none to
	 * the policy's skew ceiling, and past GW_TS_MAX the end of the
	 * replay window would overflow; no bot signs either now.
	 */
	ts = strtoll(r->ts, NULL, 10);
	if (ts <= 0 || ts > GW_TS_MAX) {
		gw_deny(vd, r, r->account);
		gw_fail(vd, cookie, CV_ERR_DENIED, "the signed timestamp is "
		    "not a time in seconds");
		return;
	}
	if ((rc = gw_replayed(vd, r, ts, rh, &why)) != 0) {
		if (rc == CV_ERR_DENIED)
			vd->gw.refused_replay++;
		gw_deny(vd, r, r->account);
		gw_fail(vd, cookie, rc, why);
		return;
	}
	gw_account(vd, r);
}

/* POST /order or /orders: the orders' fields for the policy. */
static int
gw_orders(struct gw_req *r, const struct gw_acct *ac, struct sign_args *a,
    char *why, size_t whylen)
{
	int	rc;

	/* only a POST carries orders (vaultd_orders_view) */
	if (strcmp(r->method, "POST") != 0)
		return 0;
	if (r->orders == NULL &&
	    (r->orders = calloc(1, sizeof(*r->orders))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return CV_ERR_NOMEM;
	}
	if ((rc = vaultd_orders_view(r->orders, r->method, r->path,
	    r->pathlen, r->body, r->bodylen, ac->orders, a, why,
	    whylen)) != 0 || a->kind == NULL)
		return rc;
	/*
	 * One signing request is for one exchange: the neg-risk one's
	 * orders would go out signed for the other, which refuses them
	 * after the policy charged the budgets.
	 */
	if (r->negrisk == GW_NEGRISK_MIXED) {
		snprintf(why, whylen, "this batch mixes neg-risk and other "
		    "tokens, whose orders are signed for different exchanges: "
		    "post them in separate batches");
		return CV_ERR_INVALID;
	}
	a->flags = SIGN_F_ORDERS | (r->negrisk == GW_NEGRISK_YES ?
	    SIGN_F_NEGRISK : 0);
	return 0;
}

/*
 * 1 for an endpoint that makes, hands out or removes one of the
 * account's credentials: a step of an exchange call whose answer stores
 * or removes a vault record (common/netcall.c).  The account's keys are
 * the vault's, made and dropped by vaultctl: through the gateway the
 * exchange's answer goes to the bot whole (a new builder key's secret
 * with it), and a bot that deleted the API key the vault signs with
 * would stop every client.  No policy admits these for a client; the L1
 * ones signerd would refuse at l2 anyway, and are named here for one
 * clear refusal.
 */
static int
gw_key_endpoint(const struct gw_req *r)
{
	const struct catalog_entry	*e;

	return (e = catalog_findn(r->method, r->path, r->pathlen)) != NULL &&
	    netcall_keys_endpoint(e->id);
}

/* An unsigned request: a verdict and its record, nothing to sign. */
static void
gw_anon(struct vaultd *vd, struct gw_req *r, const struct sign_origin *o,
    const struct sign_args *a)
{
	struct policy_verdict	v;

	vaultd_policy_verdict(vd, o, r->account, a, &v);
	if (v.effect == POLICY_APPROVE) {
		vaultd_policy_refund(vd, &v);
		v.effect = POLICY_DENY;
		snprintf(v.why, sizeof(v.why), "rule %s (line %d) asks for "
		    "approval, which an unsigned request cannot wait for",
		    v.id, v.line);
	}
	vaultd_gw_verdict(vd, &v);
	if (v.effect == POLICY_ALLOW)
		vaultd_budget_record(vd, o, r->account, &v.resv);
	vaultd_sign_verdict(vd, r->actor, r->account, a, &v,
	    v.effect == POLICY_ALLOW ? "allow" : "deny");
	if (v.effect != POLICY_ALLOW) {
		gw_fail(vd, r->cookie, CV_ERR_DENIED, v.why);
		return;
	}
	gw_sign_done(vd, o, 0, NULL, NULL);
}

/* The request, as the policy and the signing path see it. */
static void
gw_decide(struct vaultd *vd, struct gw_req *r, struct gw_acct *ac)
{
	struct sign_origin	 o;
	struct sign_args	 a;
	const struct profile	*p = profile_find(ac->profile);
	char			 why[400];
	int			 rc;

	if (p == NULL || p->auth != PROFILE_AUTH_CLOB) {
		gw_deny(vd, r, r->account);
		gw_fail(vd, r->cookie, CV_ERR_INVALID, "the gateway serves "
		    "Openfish and Polymarket accounts");
		return;
	}
	memset(&o, 0, sizeof(o));
	o.done = gw_sign_done;
	o.peer = r->cookie;
	o.id = r->id;
	o.actor = r->actor;
	o.who = r->anon ? POLICY_ACTOR_ANON : POLICY_ACTOR_CLIENT;
	o.client = r->anon ? NULL : r->client;
	memset(&a, 0, sizeof(a));
	a.level = r->anon ? CATALOG_NONE : CATALOG_L2;
	memcpy(a.method, r->method, sizeof(a.method));
	a.path = r->path;
	a.pathlen = r->pathlen;
	a.body = r->body;
	a.bodylen = r->bodylen;
	a.signed_ts = r->anon ? 0 : strtoll(r->ts, NULL, 10);
	if (!r->anon && gw_key_endpoint(r)) {
		gw_deny(vd, r, r->account);
		gw_fail(vd, r->cookie, CV_ERR_DENIED, "the gateway does not "
		    "pass on key management (API and builder keys are made "
		    "and removed with vaultctl)");
		return;
	}
	if (!r->anon && (rc = gw_orders(r, ac, &a, why, sizeof(why))) != 0) {
		gw_deny(vd, r, r->account);
		gw_fail(vd, r->cookie, rc == CV_ERR_NOMEM ? rc :
		    CV_ERR_INVALID, why);
		return;
	}
	if (r->anon) {
		gw_anon(vd, r, &o, &a);
		return;
	}
	/*
	 * Builder headers too when the account holds a builder key and the
	 * policy allows the request at level builder (a rule that denies
	 * that level, or admits only l2, keeps them off) and at level l2:
	 * the builder set rides on an L2 set, so a rule that denies l2 or
	 * holds it for approval keeps the request at l2, where it decides,
	 * and the budgets of both levels are charged.
	 */
	if (ac->builder)
		vaultd_sign_request_builder(vd, &o, r->account, &a);
	else
		vaultd_sign_request(vd, &o, r->account, &a);
}

/* Ask signerd whether the client signed r (or wait out a busy vault). */
static void
gw_check(struct vaultd *vd, struct gw_req *r)
{
	struct client_check	 cc;
	const char		*why;
	int			 code;

	memset(&cc, 0, sizeof(cc));
	cc.key = r->key;
	cc.passphrase = r->pass;
	cc.timestamp = r->ts;
	cc.signature = r->sig;
	cc.method = r->method;
	cc.path = r->path;
	cc.pathlen = r->pathlen;
	cc.body = r->body;
	cc.bodylen = r->bodylen;
	if ((code = vaultd_sign_client(vd, &cc, gw_client_done, r->cookie,
	    &why)) != 0 && !(code == CV_ERR_AGAIN && gw_park(vd, r, 0)))
		gw_fail(vd, r->cookie, code, why);
}

int
vaultd_gw_req(struct vaultd *vd, struct child *ch, struct msg *m)
{
	struct gw_req		*r;
	const char		*path;
	const uint8_t		*body;
	size_t			 pathlen, bodylen;
	int			 code;

	/* what a MSG_GW_GONE may name, whatever the answer */
	if (vd->gw.top_pid != ch->pid || m->id > vd->gw.top) {
		vd->gw.top_pid = ch->pid;
		vd->gw.top = m->id;
	}
	/* work only for a netd whose sandbox vaultd has seen (/proc) */
	if (!child_ready(ch))
		return msg_error_ans(&ch->chan, m->id, CV_ERR_AGAIN, "netd's "
		    "sandbox is not seen yet; retry");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return CV_ERR_NOMEM;
	if ((r->pass = gw_pass_take(vd, &r->passslot)) == NULL) {
		free(r);
		return CV_ERR_NOMEM;
	}
	if ((code = msg_get_strbuf(&m->rd, r->method,
	    sizeof(r->method))) != 0 ||
	    (code = msg_get_str(&m->rd, &path, &pathlen, 4096)) != 0 ||
	    (code = msg_get_bin(&m->rd, &body, &bodylen, 65536)) != 0 ||
	    (code = msg_get_strbuf(&m->rd, r->key, sizeof(r->key))) != 0 ||
	    (code = msg_get_strbuf(&m->rd, r->pass, GW_PASS_SIZE)) != 0 ||
	    (code = msg_get_strbuf(&m->rd, r->ts, sizeof(r->ts))) != 0 ||
	    (code = msg_get_strbuf(&m->rd, r->sig, sizeof(r->sig))) != 0 ||
	    (code = msg_get_u64(&m->rd, &r->negrisk)) != 0 ||
	    (code = msg_get_strbuf(&m->rd, r->prefix,
	    sizeof(r->prefix))) != 0 || r->negrisk > GW_NEGRISK_MIXED ||
	    (r->key[0] == '\0' && (r->pass[0] != '\0' ||
	    r->ts[0] != '\0' || r->sig[0] != '\0'))) {
		/* netd sends what its own checks let through: broken peer */
		gw_req_free(vd, r);
		return code != 0 ? code : CV_ERR_MSG_TYPE;
	}
	r->id = m->id;
	r->pid = ch->pid;
	r->cookie = gw_next_cookie++;
	r->anon = r->key[0] == '\0';
	snprintf(r->actor, sizeof(r->actor), "%s", GW_ANON_ACTOR);
	if ((r->path = malloc(pathlen + 1)) == NULL ||
	    (r->body = malloc(bodylen + 1)) == NULL) {
		gw_req_free(vd, r);
		return CV_ERR_NOMEM;
	}
	memcpy(r->path, path, pathlen);
	r->path[pathlen] = '\0';
	r->pathlen = pathlen;
	memcpy(r->body, body, bodylen);
	r->bodylen = bodylen;
	vd->gw.requests++;
	if (vd->gw.nreqs == GW_REQS_MAX) {
		code = msg_error_ans(&ch->chan, m->id, CV_ERR_AGAIN, "the "
		    "gateway is busy: too many requests wait; retry");
		gw_req_free(vd, r);
		return code;
	}
	vd->gw.reqs[vd->gw.nreqs++] = r;

	if (!vd->unlocked && vault_unlock_coming(vd) &&
	    gw_park(vd, r, r->anon ? 2 : 0))
		return 0;
	if (!vd->unlocked) {
		gw_fail(vd, r->cookie, vault_unlock_coming(vd) ?
		    CV_ERR_AGAIN : CV_ERR_LOCKED, vault_unlock_coming(vd) ?
		    "the vault is unlocking; retry in a moment" :
		    "the vault is locked");
		return 0;
	}
	if (r->anon) {
		gw_anon_route(vd, r);
		return 0;
	}
	gw_check(vd, r);
	return 0;
}

/* An unsigned request: to the account its /@ACCOUNT names, or the one
 * account of the vault. */
static void
gw_anon_route(struct vaultd *vd, struct gw_req *r)
{
	if (r->prefix[0] != '\0') {
		if (!gw_known(vd, r->prefix)) {
			gw_deny(vd, r, "-");
			gw_fail(vd, r->cookie, CV_ERR_NOTFOUND, "no account "
			    "of that name in the vault (/@ACCOUNT)");
			return;
		}
		snprintf(r->account, sizeof(r->account), "%s", r->prefix);
		gw_account(vd, r);
		return;
	}
	if (vd->policy.nprofiles != 1) {
		gw_deny(vd, r, "-");
		gw_fail(vd, r->cookie, CV_ERR_DENIED, vd->policy.nprofiles ==
		    0 ? "the vault holds no account" : "this vault holds "
		    "several accounts: say which in the path, "
		    "/@ACCOUNT/..., or sign the request with client "
		    "credentials");
		return;
	}
	snprintf(r->account, sizeof(r->account), "%s",
	    vd->policy.profiles[0].account);
	gw_account(vd, r);
}

/* Each loop turn: the parked requests go on once the vault can sign. */
void
vaultd_gw_tick(struct vaultd *vd, int64_t now)
{
	uint64_t	 cookies[GW_REQS_MAX];
	struct gw_req	*r;
	size_t		 i, n = 0;
	int		 ready = vaultd_sign_ready(vd);

	gw_authfail_flush(vd, now);
	for (i = 0; i < vd->gw.nreqs; i++)
		if (vd->gw.reqs[i]->parked)
			cookies[n++] = vd->gw.reqs[i]->cookie;
	/* each may end (and move the others) as it goes on */
	for (i = 0; i < n; i++) {
		if ((r = gw_find(vd, cookies[i], NULL)) == NULL)
			continue;
		if (now >= r->park_until) {
			gw_fail(vd, r->cookie, CV_ERR_AGAIN, "the vault stayed "
			    "busy; retry");
			continue;
		}
		if (!ready)
			continue;
		r->parked = 0;
		if (r->stage == 0)
			gw_check(vd, r);
		else if (r->stage == 1)
			gw_account(vd, r);
		else
			gw_anon_route(vd, r);
	}
}

int64_t
vaultd_gw_next_ms(const struct vaultd *vd)
{
	const struct gw_authfail	*f;
	int64_t				 next = -1;
	size_t				 i;

	for (i = 0; i < vd->gw.nreqs; i++)
		if (vd->gw.reqs[i]->parked)
			return vaultd_now_ms() + 2;
	for (i = 0; i <= GW_AUTHFAIL_KEYS; i++) {
		f = &vd->gw.authfail[i];
		if (f->suppressed > 0 && (next < 0 ||
		    f->last_ms + GW_AUTHFAIL_MS < next))
			next = f->last_ms + GW_AUTHFAIL_MS;
	}
	return next;
}

/*
 * netd is gone: the signatures sent to it that it was not seen to read
 * (no answer to a status query sent after them, netd reading its
 * channel in turn) may have gone on to the exchange, or never left the
 * socket.  The log says that it is not known, rather than let the allow
 * record stand for a hand-over.  In the order they were sent.
 */
static void
gw_handed_unknown(struct vaultd *vd)
{
	struct gw_handed	*e;
	uint32_t		 read = NETD(vd)->status_read;
	size_t			 i, n = 0;

	for (i = 0; i < GW_REQS_MAX; i++) {
		e = &vd->gw.handed[(vd->gw.handed_next + i) % GW_REQS_MAX];
		if (e->pid == 0 || (int32_t)(read - e->before) > 0)
			continue;
		vaultd_audit_unknown(vd, e->account, &e->seen);
		n++;
	}
	if (n > 0)
		log_warnx("netd died before it was seen to read %zu "
		    "signature%s: whether they went on is unknown", n,
		    n == 1 ? "" : "s");
	vd->gw.unknown += n;
}

void
vaultd_gw_netd_lost(struct vaultd *vd)
{
	gw_handed_unknown(vd);
	/* the callbacks of their slots find nothing and say nothing */
	while (vd->gw.nreqs > 0)
		gw_free(vd, vd->gw.nreqs - 1);
	/* a next netd's notices name none of this one's answers */
	memset(vd->gw.handed, 0, sizeof(vd->gw.handed));
	vd->gw.gone_late = 0;
	vd->gw.top = 0;
	vd->gw.top_pid = 0;
}

/*
 * MSG_GW_GONE: netd gave up on its request m->id, the bot gone (or told
 * 504 while it waited).  A request held for approval is cancelled (on
 * the log as such), and one waiting out a busy vault ends; netd is
 * answered as for any end, which frees its wait slot.  A request with
 * work at signerd (its client check, its account, its signature) ends
 * when that comes back (gw_gone_done; a signature is then withheld),
 * and only then is netd answered: signerd's work under way stays
 * within what netd lets wait.  A request vaultd no longer has was
 * answered already, the answer and the notice crossing: there is
 * nothing to end, but a signature in that answer, which netd drops
 * unread, is withheld (gw_gone).  An id above every MSG_GW_REQ of this netd names
 * nothing it sent: a broken peer.
 */
int
vaultd_gw_gone(struct vaultd *vd, struct child *ch, struct msg *m)
{
	if (m->id == 0 || vd->gw.top_pid != ch->pid || m->id > vd->gw.top)
		return CV_ERR_MSG_STATE;
	/* -T probe gone-late: held until vaultd's next answer is sent */
	if (vd->gw.probe_gone_late && vd->gw.gone_late == 0) {
		vd->gw.probe_gone_late = 0;
		vd->gw.gone_late = m->id;
		return 0;
	}
	gw_gone(vd, ch->pid, m->id);
	return 0;
}

static void
gw_gone(struct vaultd *vd, pid_t pid, uint32_t id)
{
	struct gw_handed	*e;
	struct gw_req		*r;
	size_t			 i;

	for (i = 0; i < vd->gw.nreqs; i++) {
		r = vd->gw.reqs[i];
		if (r->id == id && r->pid == pid) {
			log_debug("gateway request %u of %s: netd gave it up, "
			    "its bot gone", r->id, r->actor);
			if (vaultd_approve_gw_gone(vd, r->cookie) || r->parked)
				gw_fail(vd, r->cookie, CV_ERR_EOF, "the bot went "
				    "away");
			else
				r->gone = 1;
			return;
		}
	}
	/*
	 * Answered already: netd gave the request up before it read the
	 * answer, which it drops unread.  A signature in it never went to
	 * the exchange, if netd tells the truth: withheld, on the log as
	 * such but of actor netd, whose word it is (a netd that sent the
	 * signature on could say the same; vaultd handed it over).  Its
	 * budget stays spent, as a withheld one's does.
	 */
	for (i = 0; i < GW_REQS_MAX; i++) {
		e = &vd->gw.handed[i];
		if (e->pid == pid && e->id == id) {
			log_debug("gateway request %u: netd gave it up as its "
			    "signature came: withheld", id);
			vaultd_audit_dropped(vd, e->account, &e->seen);
			vd->gw.dropped++;
			e->pid = 0;
			return;
		}
	}
}

/*
 * Whether the gateway request of cookie still waits for its answer: a
 * request held for approval keeps its slot while the approvers decide,
 * and is cancelled once netd, and with it the bot, is gone.
 */
int
vaultd_gw_waiting(struct vaultd *vd, uint64_t cookie)
{
	struct gw_req	*r;

	return (r = gw_find(vd, cookie, NULL)) != NULL &&
	    NETD(vd)->state == CHILD_UP && NETD(vd)->pid == r->pid;
}

/* Counters. */

void
vaultd_gw_verdict(struct vaultd *vd, const struct policy_verdict *v)
{
	const char	*id = v->id;
	size_t		 i, e;

	e = v->effect == POLICY_ALLOW ? 0 : v->effect == POLICY_APPROVE ?
	    2 : 1;
	/* /metrics is anyone's: as the answer says, as no rule's */
	if (v->case_clash)
		id = "none";
	for (i = 0; i < vd->gw.nrules; i++)
		if (strcmp(vd->gw.rules[i].id, id) == 0) {
			vd->gw.rules[i].n[e]++;
			return;
		}
	if (vd->gw.nrules == GW_RULES_MAX) {
		vd->gw.rules_other[e]++;
		return;
	}
	snprintf(vd->gw.rules[vd->gw.nrules].id, POLICY_ID_MAX, "%s", id);
	vd->gw.rules[vd->gw.nrules++].n[e] = 1;
}

void
vaultd_gw_signed(struct vaultd *vd, uint64_t level, uint64_t flags,
    int released)
{
	if (!released)
		vd->gw.withheld++;
	else if (flags & SIGN_F_ORDERS)
		vd->gw.signatures[3]++;
	else if (level >= CATALOG_L1 && level <= CATALOG_BUILDER)
		vd->gw.signatures[level - CATALOG_L1]++;
}

/* Prometheus text, into a growing buffer. */
/* /metrics and /readyz: at most this, with room for the frame around */
#define GW_TEXT_MAX	(MSG_MAX_FRAME - 1024)

struct gw_text {
	char	*p;
	size_t	 len, cap;
	int	 err;		/* CV_ERR_NOMEM, CV_ERR_TOOLONG */
};

static void __attribute__((format(printf, 2, 3)))
gw_put(struct gw_text *t, const char *fmt, ...)
{
	va_list	 ap;
	char	*np;
	int	 n;

	if (t->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->err = CV_ERR_NOMEM;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			if (t->len > GW_TEXT_MAX)
				t->err = CV_ERR_TOOLONG;
			return;
		}
		if ((np = realloc(t->p, t->cap * 2)) == NULL) {
			t->err = CV_ERR_NOMEM;
			return;
		}
		t->p = np;
		t->cap *= 2;
	}
}

/* One budget counter (names and budgets hold no '"' or '\\'). */
static void
gw_budget(void *arg, const struct policy_budget_left *l)
{
	gw_put(arg, "clobvault_budget_remaining{rule=\"%s\",budget=\"%s\","
	    "account=\"%s\",who=\"%s\"} %s\n", l->rule, l->budget, l->account,
	    l->who, l->left);
}

static void
gw_metrics(struct vaultd *vd, struct gw_text *t)
{
	static const char *const effects[3] = { "allow", "deny", "approve" };
	static const char *const kinds[4] = { "l1", "l2", "builder",
	    "order" };
	static const char *const ends[CHILD_END_NUM] = { "crash",
	    "stalled", "deadline", "refused", "sandbox", "io" };
	size_t	i, e, npend = 0;

	for (i = 0; i < VAULTD_PENDING_MAX; i++)
		npend += vd->pending[i].used != 0;
	gw_put(t, "# HELP clobvault_vault_unlocked 1 while the vault is "
	    "unlocked.\n# TYPE clobvault_vault_unlocked gauge\n"
	    "clobvault_vault_unlocked %d\n", vd->unlocked ? 1 : 0);
	gw_put(t, "# HELP clobvault_child_up 1 while the child runs "
	    "sandboxed and answers.\n# TYPE clobvault_child_up gauge\n");
	for (i = 0; i < CHILD_NUM; i++)
		gw_put(t, "clobvault_child_up{child=\"%s\"} %d\n",
		    vd->children[i].name, child_ready(&vd->children[i]));
	gw_put(t, "# HELP clobvault_child_restarts_total Restarts of each "
	    "child since vaultd started, by why it ended: crash (it died or "
	    "exited by itself), stalled (a status query, its handshake or "
	    "its work left unanswered), deadline (an exchange call past "
	    "its deadline), refused (a malformed or out-of-turn message), "
	    "sandbox (no seccomp filter, or traced at start), io (vaultd "
	    "could not write to it or read from it).\n# TYPE "
	    "clobvault_child_restarts_total counter\n");
	for (i = 0; i < CHILD_NUM; i++)
		for (e = 0; e < CHILD_END_NUM; e++)
			gw_put(t, "clobvault_child_restarts_total{child=\"%s\","
			    "reason=\"%s\"} %u\n", vd->children[i].name,
			    ends[e], vd->children[i].restarts_by[e]);
	gw_put(t, "# HELP clobvault_verdicts_total Policy verdicts by "
	    "deciding rule and effect.\n# TYPE clobvault_verdicts_total "
	    "counter\n");
	for (i = 0; i < vd->gw.nrules; i++)
		for (e = 0; e < 3; e++)
			if (vd->gw.rules[i].n[e] != 0)
				gw_put(t, "clobvault_verdicts_total{rule="
				    "\"%s\",effect=\"%s\"} %llu\n",
				    vd->gw.rules[i].id,
				    effects[e],
				    (unsigned long long)vd->gw.rules[i].n[e]);
	for (e = 0; e < 3; e++)
		if (vd->gw.rules_other[e] != 0)
			gw_put(t, "clobvault_verdicts_total{rule=\"(other)\","
			    "effect=\"%s\"} %llu\n", effects[e],
			    (unsigned long long)vd->gw.rules_other[e]);
	gw_put(t, "# HELP clobvault_signatures_total Signatures signerd "
	    "made and vaultd handed over, by kind.\n# TYPE clobvault_"
	    "signatures_total counter\n");
	for (i = 0; i < 4; i++)
		gw_put(t, "clobvault_signatures_total{kind=\"%s\"} %llu\n",
		    kinds[i], (unsigned long long)vd->gw.signatures[i]);
	/* netd's: counted in signatures_total too, which never goes back */
	gw_put(t, "# HELP clobvault_signatures_withheld_total Signatures "
	    "signerd made that went no further: by vaultd, their asker gone "
	    "before it handed them over; by netd, handed over (and counted "
	    "in clobvault_signatures_total) and dropped unread, on netd's "
	    "word.\n# TYPE clobvault_signatures_withheld_total counter\n"
	    "clobvault_signatures_withheld_total{by=\"vaultd\"} %llu\n"
	    "clobvault_signatures_withheld_total{by=\"netd\"} %llu\n",
	    (unsigned long long)vd->gw.withheld,
	    (unsigned long long)vd->gw.dropped);
	gw_put(t, "# HELP clobvault_signatures_unknown_total Signatures "
	    "handed to a netd that died before it was seen to read them "
	    "(counted in clobvault_signatures_total): whether they went on "
	    "is unknown.\n# TYPE clobvault_signatures_unknown_total counter\n"
	    "clobvault_signatures_unknown_total %llu\n",
	    (unsigned long long)vd->gw.unknown);
	gw_put(t, "# HELP clobvault_approvals_pending Requests held for "
	    "approval.\n# TYPE clobvault_approvals_pending gauge\n"
	    "clobvault_approvals_pending %zu\n", npend);
	gw_put(t, "# HELP clobvault_budget_remaining What is left of each "
	    "policy budget counter in use (requests, or the summed field).\n"
	    "# TYPE clobvault_budget_remaining gauge\n");
	if (vd->policy.st != NULL)
		policy_budget_each(vd->policy.st, vaultd_wall_ms(),
		    gw_budget, t);
	gw_put(t, "# HELP clobvault_gateway_refused_total Gateway requests "
	    "refused before the policy: credentials, replay, account (the "
	    "client's credentials passed, its account cannot sign).\n"
	    "# TYPE clobvault_gateway_refused_total counter\n"
	    "clobvault_gateway_refused_total{reason=\"credentials\"} %llu\n"
	    "clobvault_gateway_refused_total{reason=\"replay\"} %llu\n"
	    "clobvault_gateway_refused_total{reason=\"account\"} %llu\n",
	    (unsigned long long)vd->gw.refused_auth,
	    (unsigned long long)vd->gw.refused_replay,
	    (unsigned long long)vd->gw.refused_account);
	gw_put(t, "# HELP clobvault_gateway_replay_scans_total Passes vaultd "
	    "made over every slot of the replay table (rebuilds, a larger "
	    "skew).\n# TYPE clobvault_gateway_replay_scans_total counter\n"
	    "clobvault_gateway_replay_scans_total %llu\n",
	    (unsigned long long)vd->gw.replay_scans);
	gw_put(t, "# HELP clobvault_audit_records_total Records in the "
	    "audit log's chain.\n# TYPE clobvault_audit_records_total "
	    "counter\nclobvault_audit_records_total %llu\n",
	    (unsigned long long)vd->chain.seq);
	/* a failed audit write, or audit.log found renamed, removed or
	 * replaced, stops vaultd (fail-closed): a running one has none to
	 * count; its log says which */
	gw_put(t, "# HELP clobvault_audit_write_failures_total Audit "
	    "writes that failed, audit.log replaced included (vaultd stops "
	    "on the first).\n# TYPE "
	    "clobvault_audit_write_failures_total counter\n"
	    "clobvault_audit_write_failures_total 0\n");
}

int
vaultd_gw_info_req(struct vaultd *vd, struct child *ch, struct msg *m)
{
	struct gw_text	 t;
	struct msg_w	 w;
	char		 kind[16];
	const char	*why = NULL;
	int		 r, ready;

	/*
	 * As for a gateway request: nothing, not even readiness, for a
	 * netd whose sandbox vaultd has not seen; "retry", which netd
	 * gives the bot as 503 with the text (/readyz: not ready).
	 */
	if (!child_ready(ch))
		return msg_error_ans(&ch->chan, m->id, CV_ERR_AGAIN, "netd's "
		    "sandbox is not seen yet; retry");
	if ((r = msg_get_strbuf(&m->rd, kind, sizeof(kind))) != 0)
		return r;
	memset(&t, 0, sizeof(t));
	t.cap = 4096;
	if ((t.p = malloc(t.cap)) == NULL)
		return CV_ERR_NOMEM;
	t.p[0] = '\0';
	/* ready as the requests see it: each sandbox seen (netd's is) */
	ready = vd->unlocked && child_ready(SIGNERD(vd));
	if (strcmp(kind, "ready") == 0) {
		why = ready ? "ready" : !vd->unlocked ? (vault_unlock_coming(vd)
		    ? "the vault is unlocking" : "the vault is locked") :
		    "signerd is not up";
		gw_put(&t, "%s", why);
	} else if (strcmp(kind, "metrics") == 0)
		gw_metrics(vd, &t);
	else {
		free(t.p);
		return CV_ERR_MSG_TYPE;
	}
	if (t.err) {
		free(t.p);
		/* an answer netd can take: never a frame over the bound */
		return msg_error_ans(&ch->chan, m->id, t.err,
		    t.err == CV_ERR_TOOLONG ? "the metrics are over 1 MiB (too "
		    "many budget counters in use)" : "out of memory");
	}
	msg_begin(&w, MSG_GW_INFO_ANS, m->id);
	msg_put_bool(&w, ready);
	msg_put_strn(&w, t.p, t.len);
	free(t.p);
	return chan_queue(&ch->chan, &w);
}
