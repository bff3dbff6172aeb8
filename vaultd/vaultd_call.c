/*
 * An exchange call from vaultctl, one at a time:
 *
 *	vaultctl -> MSG_CTL_CALL_REQ -> vaultd checks the call and params
 *	vaultd -> MSG_VAULT_ACCOUNT_REQ -> signerd: profile, URL, CA file
 *	vaultd reads the CA file -> MSG_NET_CALL_REQ -> netd
 *	netd -> MSG_NET_SIGN_REQ -> vaultd's gate (vaultd_sign.c) -> signerd
 *	netd -> MSG_NET_CALL_ANS: status, result, and what the vault must do
 *	vaultd -> STORE (a box sealed to signerd), MARK (invitation code
 *	    used) or DEL (a key the exchange dropped), each written and
 *	    audited like every vault change
 *	vaultd -> MSG_CTL_CALL_ANS -> vaultctl
 *
 * vaultd never reads a credential: netd seals it to signerd's box key
 * and vaultd passes the box along.  The call is on the audit log, and so
 * is every signature it needed.
 *
 * netd is not trusted to stay within its call.  A signing request is
 * admitted only if it is exactly the request of the call's next step
 * (common/netcall.c builds it from the call's parameters: level, method,
 * path with query, body, nonce), at most NETCALL_SIGN_MAX of them; an
 * answer's vault change only if the call can have it, for the key it
 * concerns.  Anything else is recorded, refused, and netd is killed and
 * restarted.  A call that has not ended by its deadline ends the same
 * way, with a time-out for the client.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "common/catalog.h"
#include "common/log.h"
#include "common/netcall.h"
#include "common/profile.h"
#include "common/vault_fmt.h"
#include "vaultd/vaultd.h"

#define CA_MAX		(256 * 1024)
#define RESULT_MAX	(512 * 1024)
#define BOX_MAX		4096	/* a credential netd sealed to signerd */

static void
call_clear(struct vaultd *vd)
{
	free(vd->call.result);
	if (vd->call.box != NULL)
		sodium_memzero(vd->call.box, vd->call.boxlen);
	free(vd->call.box);
	memset(&vd->call, 0, sizeof(vd->call));
}

/*
 * A call's record.  One that can change nothing, in the vault or at the
 * exchange (no vault effect, every request a GET but a token request),
 * is no lifecycle event: its record joins the signing records, synced
 * before the answer, without a checkpoint and vault write of its own.
 */
static void
call_audit(struct vaultd *vd, const char *verdict)
{
	const struct netcall	*nc = vd->call.nc;
	const char		*actor = vd->call.actor[0] ? vd->call.actor :
				    "vaultctl";
	char			 op[8 + NETCALL_NAME_MAX];	/* longest: 28 */

	snprintf(op, sizeof(op), "call.%s", nc->name);
	if (netcall_read_only(nc))
		vaultd_audit_light(vd, actor, vd->call.account, op, verdict,
		    vd->call.key_id);
	else
		vaultd_audit(vd, actor, vd->call.account, op, verdict,
		    vd->call.key_id);
}

static void
call_fail(struct vaultd *vd, int code, const char *text)
{
	call_audit(vd, "fail");
	control_error(vd, vd->call.client, vd->call.cl_id, code, text);
	call_clear(vd);
	vaultd_audit_checkpoint(vd);
}

static void
call_finish(struct vaultd *vd)
{
	struct msg_w	w;
	char		verdict[16];

	if (vd->call.status >= 200 && vd->call.status < 300)
		snprintf(verdict, sizeof(verdict), "ok");
	else
		snprintf(verdict, sizeof(verdict), "http_%llu",
		    (unsigned long long)vd->call.status);
	call_audit(vd, verdict);
	msg_begin(&w, MSG_CTL_CALL_ANS, vd->call.cl_id);
	msg_put_u64(&w, vd->call.status);
	msg_put_str(&w, vd->call.result != NULL ? vd->call.result : "{}");
	msg_put_str(&w, vd->call.change);
	control_answer(vd, vd->call.client, &w);
	call_clear(vd);
	vaultd_audit_checkpoint(vd);
}

static void
change_add(struct vaultd *vd, const char *text)
{
	size_t	n = strlen(vd->call.change);

	snprintf(vd->call.change + n, sizeof(vd->call.change) - n, "%s%s",
	    n > 0 ? "; " : "", text);
}

static void	call_account(struct vaultd *, uint64_t, int, const char *, size_t);

int
vaultd_call_ctl(struct vaultd *vd, struct client *cl, struct msg *m)
{
	const struct netcall	*nc, *nc2;
	struct vd_call		*c = &vd->call;
	struct netcall_params	 p;
	struct msg_rd		 list, e;
	char			 account[VAULT_MAX_NAME + 1];
	char			 name[NETCALL_NAME_MAX + 1];
	char			 why[256], why2[256];
	uint32_t		 k;
	int			 r, code = CV_ERR_INVALID;

	memset(&p, 0, sizeof(p));
	if ((r = msg_get_strbuf(&m->rd, account, sizeof(account))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, name, sizeof(name))) != 0 ||
	    (r = msg_get_array(&m->rd, &list, NETCALL_PARAMS_MAX)) != 0)
		return r;
	for (k = 0; k < list.n; k++) {
		if ((r = msg_get_array(&list, &e, 2)) != 0)
			return r;
		if (e.n != 2)
			return CV_ERR_MSG_COUNT;
		if ((r = msg_get_strbuf(&e, p.name[k], sizeof(p.name[k]))) != 0 ||
		    (r = msg_get_strbuf(&e, p.value[k],
		    sizeof(p.value[k]))) != 0)
			return r;
		p.n = k + 1;
	}
	why[0] = '\0';
	if ((nc = netcall_find(name)) == NULL)
		snprintf(why, sizeof(why), "no such exchange call");
	else if (!vault_fmt_name_valid(account, strlen(account)))
		snprintf(why, sizeof(why), "invalid account name");
	else if (strcmp(nc->name, "builder.revoke") == 0 &&
	    netcall_param(&p, "key") == NULL && p.n < NETCALL_PARAMS_MAX) {
		/* revoke without a key: the one the vault holds */
		if (vault_file_key_id(vd, VAULT_REC_BUILDER_CRED, account,
		    p.value[p.n], sizeof(p.value[p.n])) != 0) {
			code = CV_ERR_NOTFOUND;
			snprintf(why, sizeof(why), "the vault holds no builder "
			    "key for this account: name the key to revoke");
		} else
			snprintf(p.name[p.n++], sizeof(p.name[0]), "key");
	}
	/* an Omnia account's row takes other parameters: either will do
	 * here, the account's profile chooses (call_account) */
	if (why[0] == '\0' && netcall_check(nc, &p, why, sizeof(why)) != 0 &&
	    (nc2 = netcall_find_for(name, !nc->bearer)) != NULL &&
	    netcall_check(nc2, &p, why2, sizeof(why2)) == 0)
		why[0] = '\0';
	if (why[0] == '\0') {
		code = CV_ERR_AGAIN;
		if (c->state != CALL_NONE)
			snprintf(why, sizeof(why), "another exchange call is in "
			    "progress; retry");
		else if (!child_ready(NETD(vd)) || !child_ready(SIGNERD(vd)))
			snprintf(why, sizeof(why), "netd or signerd is "
			    "(re)starting; retry");
		else if (vault_unlock_coming(vd))
			snprintf(why, sizeof(why), "the vault is unlocking; "
			    "retry in a moment");
		else if (!vd->unlocked) {
			code = CV_ERR_LOCKED;
			snprintf(why, sizeof(why), "the vault is locked: "
			    "unlock it with vaultctl unlock");
		}
	}
	if (why[0] != '\0') {
		control_error(vd, cl->serial, m->id, code, why);
		return 0;
	}
	if ((r = vaultd_sign_account(vd, account, call_account, 0)) != 0) {
		control_error(vd, cl->serial, m->id, r,
		    "signerd is busy; retry");
		return 0;
	}
	memset(c, 0, sizeof(*c));
	c->nc = nc;
	c->params = p;
	c->client = cl->serial;
	c->uid = cl->uid;
	snprintf(c->actor, sizeof(c->actor), "%s", cl->actor);
	c->cl_id = m->id;
	c->deadline_ms = vaultd_now_ms() + vd->call_deadline_ms;
	snprintf(c->account, sizeof(c->account), "%s", account);
	c->state = CALL_ACCOUNT;
	return 0;
}

/* Read a CA bundle the operator named (not secret, but bounded). */
int
vaultd_read_ca(const char *path, uint8_t **out, size_t *outlen, char *why,
    size_t whylen)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(why, whylen, "cannot read the CA file %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return CV_ERR_NOTFOUND;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > CA_MAX) {
		snprintf(why, whylen, "the CA file %s is not a regular file "
		    "of 1 to %d bytes", path, CA_MAX);
		close(fd);
		return CV_ERR_INVALID;
	}
	/*
	 * vaultd may run as root and reads the file for whoever named it:
	 * only a file its mode says anyone may read, as a CA bundle is, so
	 * that no operator can have vaultd put a file it cannot read
	 * itself into netd's memory.
	 */
	if ((st.st_mode & S_IROTH) == 0) {
		snprintf(why, whylen, "the CA file %s is not readable by "
		    "everyone: a CA bundle is public (chmod a+r it)", path);
		close(fd);
		return CV_ERR_INVALID;
	}
	if ((buf = malloc((size_t)st.st_size)) == NULL) {
		close(fd);
		return CV_ERR_NOMEM;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		snprintf(why, whylen, "cannot read the CA file %s", path);
		free(buf);
		return CV_ERR_IO;
	}
	*out = buf;
	*outlen = got;
	return 0;
}

/*
 * An Omnia key create asks for permissions: each must be within the
 * policy's key-permissions ceiling and held by the key that creates it
 * (signerd's account JSON names the active key's permissions when the
 * vault knows them).  Checked here, before anything goes out; the
 * exchange checks the second again (403 INVALID_PERMISSIONS).
 */
static int
perms_check(struct vaultd *vd, json_t *acct, char *why, size_t whylen)
{
	char		 perms[NETCALL_PERMS_MAX][NETCALL_PERM_MAX + 1];
	char		 ceiling[256], bad[512], notheld[512];
	const char	*list = netcall_param(&vd->call.params, "permissions");
	json_t		*held = json_object_get(acct, "key_permissions"), *v;
	size_t		 n, i, k, lb = 0, ln = 0;

	if (list == NULL)
		return 0;
	if (netcall_perms_split(list, perms, &n) != 0) {
		snprintf(why, whylen, "permissions must be a-z 0-9 : . _ - "
		    "separated by commas");
		return CV_ERR_INVALID;
	}
	bad[0] = notheld[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!policy_perm_allowed(vd->policy.pol, perms[i], ceiling,
		    sizeof(ceiling)))
			lb += (size_t)snprintf(bad + lb, lb < sizeof(bad) ?
			    sizeof(bad) - lb : 0, "%s%s", lb ? ", " : "",
			    perms[i]);
		if (!json_is_array(held))
			continue;
		json_array_foreach(held, k, v)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), perms[i]) == 0)
				break;
		if (k == json_array_size(held))
			ln += (size_t)snprintf(notheld + ln, ln <
			    sizeof(notheld) ? sizeof(notheld) - ln : 0, "%s%s",
			    ln ? ", " : "", perms[i]);
	}
	if (bad[0] != '\0') {
		snprintf(why, whylen, "permissions not allowed by the policy's "
		    "key-permissions ceiling (%s): %s", ceiling, bad);
		return CV_ERR_PERMISSIONS;
	}
	if (notheld[0] != '\0') {
		snprintf(why, whylen, "permissions the calling key does not "
		    "hold: %s (a key grants only what it holds)", notheld);
		return CV_ERR_PERMISSIONS;
	}
	return 0;
}

/* signerd's answer to MSG_VAULT_ACCOUNT_REQ: route the call to netd. */
static void
call_account(struct vaultd *vd, uint64_t cookie, int code, const char *json,
    size_t len)
{
	struct vd_call		*c = &vd->call;
	const struct profile	*p;
	const struct netcall	*nc;
	struct msg_w		 w;
	json_t			*j;
	json_error_t		 err;
	const char		*pname = NULL, *url = NULL, *ca = NULL;
	const char		*pin = NULL;
	uint8_t			*cabuf = NULL;
	size_t			 calen = 0, i;
	int64_t			 left;
	char			 why[512];
	int			 r;

	(void)cookie;
	if (c->state != CALL_ACCOUNT)
		return;
	if (code != 0) {
		if (code == CV_ERR_NOTFOUND)
			snprintf(why, sizeof(why), "no account %s in the vault",
			    c->account);
		else
			snprintf(why, sizeof(why), "%s", json);
		call_fail(vd, code, why);
		return;
	}
	j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL || json_unpack(j, "{s:s, s?s, s?s, s?s}", "profile",
	    &pname, "url", &url, "ca_file", &ca, "pin", &pin) != 0 ||
	    (p = profile_find(pname)) == NULL) {
		json_decref(j);
		call_fail(vd, CV_ERR_CORRUPT, "the account record is not "
		    "understood");
		return;
	}
	/* the call's row for this kind of account, its parameters again */
	if ((nc = netcall_find_for(c->nc->name,
	    p->auth == PROFILE_AUTH_BEARER)) == NULL) {
		json_decref(j);
		snprintf(why, sizeof(why), "%s is an %s account: %s is for %s "
		    "accounts", c->account, p->name, c->nc->name,
		    p->auth == PROFILE_AUTH_BEARER ? "Openfish and Polymarket" :
		    "Omnia");
		call_fail(vd, CV_ERR_INVALID, why);
		return;
	}
	c->nc = nc;
	if (netcall_check(nc, &c->params, why, sizeof(why)) != 0) {
		json_decref(j);
		call_fail(vd, CV_ERR_INVALID, why);
		return;
	}
	if (nc->bearer && (r = perms_check(vd, j, why, sizeof(why))) != 0) {
		json_decref(j);
		call_fail(vd, r, why);
		return;
	}
	if (ca != NULL && *ca != '\0' &&
	    (r = vaultd_read_ca(ca, &cabuf, &calen, why, sizeof(why))) != 0) {
		json_decref(j);
		call_fail(vd, r, why);
		return;
	}
	if (!child_ready(NETD(vd))) {
		json_decref(j);
		free(cabuf);
		call_fail(vd, CV_ERR_AGAIN, "netd is (re)starting; retry");
		return;
	}
	c->net_id = child_new_id(NETD(vd));
	msg_begin(&w, MSG_NET_CALL_REQ, c->net_id);
	msg_put_str(&w, c->account);
	msg_put_str(&w, p->name);
	msg_put_str(&w, url != NULL ? url : p->base_url);
	msg_put_bin(&w, cabuf, calen);
	msg_put_str(&w, pin != NULL ? pin : "");
	msg_put_str(&w, c->nc->name);
	msg_put_array(&w, (uint32_t)c->params.n);
	for (i = 0; i < c->params.n; i++) {
		msg_put_array(&w, 2);
		msg_put_str(&w, c->params.name[i]);
		msg_put_str(&w, c->params.value[i]);
	}
	msg_put_bin(&w, vd->box_pk, sizeof(vd->box_pk));
	/* netd ends the call, retries and all, before our deadline */
	left = c->deadline_ms - vaultd_now_ms();
	msg_put_u64(&w, left > 0 ? (uint64_t)left : 0);
	json_decref(j);
	free(cabuf);
	if (child_send(NETD(vd), &w) != 0) {
		child_kill(NETD(vd), "cannot send it the call");
		call_fail(vd, CV_ERR_AGAIN, "netd is (re)starting; retry");
		return;
	}
	c->net_pid = NETD(vd)->pid;
	c->state = CALL_NET;
}

int
vaultd_call_at_netd(const struct vaultd *vd)
{
	return vd->call.state == CALL_NET;
}

/*
 * 1 if a signing request of netd's (its pid, the tag vaultd gave it) is
 * of the call still at netd.  A step's signature goes to netd only
 * then: once the call has its answer (or failed), a step held for
 * approval or still at signerd is no longer the call's, and netd could
 * use it at the exchange with nothing in the vault the wiser.
 */
int
vaultd_call_owns(const struct vaultd *vd, uint64_t peer, uint64_t tag)
{
	const struct vd_call	*c = &vd->call;

	return c->state == CALL_NET && (uint64_t)c->net_pid == peer &&
	    tag >> 8 == c->net_id && (tag & 0xff) != 0;
}

int
vaultd_call_match(const struct netcall *c, const struct netcall_params *p,
    size_t from, const struct sign_args *a, size_t *step, char *why,
    size_t whylen)
{
	const struct catalog_entry	*e;
	char				 path[NETCALL_PATH_MAX + 1];
	char				 body[NETCALL_BODY_MAX + 1];
	size_t				 k, blen;
	uint64_t			 nonce;
	int				 mint;

	snprintf(why, whylen, "not a request of %s", c->name);
	for (k = 0; k < c->nsteps; k++) {
		mint = netcall_is_mint(c->steps[k]);
		/* a bearer token may be minted again (after a 401) */
		if ((k < from && !mint) ||
		    (e = catalog_get(c->steps[k])) == NULL ||
		    e->auth == CATALOG_NONE || a->level != e->auth ||
		    strcmp(a->method, e->method) != 0)
			continue;
		if (netcall_request(c->steps[k], p, path, sizeof(path), body,
		    sizeof(body), &blen) != 0)
			continue;
		/* its body is netd's one-time box key, nothing else */
		if (mint && a->bodylen == crypto_box_PUBLICKEYBYTES) {
			memcpy(body, a->body, a->bodylen);
			blen = a->bodylen;
		} else if (mint) {
			snprintf(why, whylen, "%s %s: not a box public key",
			    e->method, e->path);
			continue;
		}
		nonce = e->auth == CATALOG_L1 ? netcall_nonce(p) : 0;
		if (a->pathlen != strlen(path) ||
		    memcmp(a->path, path, a->pathlen) != 0) {
			snprintf(why, whylen, "%s %s: not the path %s builds",
			    e->method, e->path, c->name);
			continue;
		}
		if (a->bodylen != blen || (blen > 0 &&
		    memcmp(a->body, body, blen) != 0)) {
			snprintf(why, whylen, "%s %s: not the body %s builds",
			    e->method, e->path, c->name);
			continue;
		}
		if (a->nonce != nonce) {
			snprintf(why, whylen, "%s %s: not the nonce of %s",
			    e->method, e->path, c->name);
			continue;
		}
		*step = k;
		return 0;
	}
	return CV_ERR_DENIED;
}

/* 1 if header i's name ends in suffix ("<PREFIX>API_KEY"). */
static int
hdr_named(const struct sign_hdrs *h, uint32_t i, const char *suffix)
{
	size_t	n = strlen(suffix);

	return h->h[i].nlen >= n &&
	    memcmp(h->h[i].name + h->h[i].nlen - n, suffix, n) == 0;
}

/* What a signature of the call shows: the API key, the code sent. */
static void
call_note_hdrs(struct vd_call *c, const struct sign_hdrs *h)
{
	uint32_t	i;

	for (i = 0; i < h->n; i++) {
		if (hdr_named(h, i, "API_KEY") &&
		    !hdr_named(h, i, "BUILDER_API_KEY") &&
		    h->h[i].vlen < sizeof(c->api_key_used)) {
			memcpy(c->api_key_used, h->h[i].value, h->h[i].vlen);
			c->api_key_used[h->h[i].vlen] = '\0';
		}
		if (hdr_named(h, i, "INVITATION_CODE"))
			c->invite_signed = 1;
	}
}

/*
 * signerd's answer to a signature of the call: to netd, noted.  1 if a
 * signature went to netd, 0 if it was withheld.
 */
static int
net_sign_done(struct vaultd *vd, const struct sign_origin *o, int code,
    const char *text, const struct sign_hdrs *h)
{
	struct vd_call	*c = &vd->call;
	struct msg_w	 w;
	int		 r, sent = 0;

	/* a netd that died meanwhile is not answered, nor its successor */
	if (NETD(vd)->state != CHILD_UP || (uint64_t)NETD(vd)->pid != o->peer)
		return 0;
	if (code == 0 && !vaultd_call_owns(vd, o->peer, o->tag)) {
		code = CV_ERR_MSG_STATE;
		text = "the call this signature was for is over";
	}
	if (code != 0)
		r = msg_error_ans(&NETD(vd)->chan, o->id, code, text);
	else {
		/* the step is signed, for the call that asked */
		c->signed_steps |= 1U << ((o->tag & 0xff) - 1);
		call_note_hdrs(c, h);
		msg_begin(&w, MSG_NET_SIGN_ANS, o->id);
		vaultd_sign_hdrs_put(&w, h);
		/* a token request's body, sealed to netd: passed unread
		 * (vaultd_sign_answer bounds it) */
		msg_put_bin(&w, h->body, h->bodylen);
		r = chan_queue(&NETD(vd)->chan, &w);
		sent = r == 0;
	}
	if (r != 0 || ((r = chan_flush(&NETD(vd)->chan)) != 0 &&
	    r != CV_ERR_AGAIN))
		child_kill(NETD(vd), "cannot answer its request");
	return sent;
}

int
vaultd_call_sign_req(struct vaultd *vd, struct child *ch, struct msg *m)
{
	struct vd_call		*c = &vd->call;
	/* the call's signatures are the operator's who started it */
	struct sign_origin	 o = { net_sign_done, (uint64_t)ch->pid, m->id,
				    "netd", POLICY_ACTOR_OPERATOR,
				    (uint32_t)vd->call.uid, NULL, 0, 0, NULL };
	struct sign_args	 a;
	uint64_t		 call_id;
	size_t			 step;
	char			 why[160];
	int			 r;

	if ((r = msg_get_u64(&m->rd, &call_id)) != 0 ||
	    (r = vaultd_sign_args(&m->rd, &a)) != 0)
		return r;
	r = CV_ERR_DENIED;
	if (call_id != c->net_id) {
		snprintf(why, sizeof(why), "for call %llu, not the call in "
		    "progress", (unsigned long long)call_id);
		r = CV_ERR_MSG_STATE;
	} else if (c->nsigned >= NETCALL_SIGN_MAX)
		snprintf(why, sizeof(why), "more than %d in one call",
		    NETCALL_SIGN_MAX);
	else if (vaultd_call_match(c->nc, &c->params, c->step, &a, &step,
	    why, sizeof(why)) == 0) {
		r = 0;
		if (netcall_is_mint(c->nc->steps[step]) &&
		    c->nminted >= NETCALL_MINT_MAX) {
			snprintf(why, sizeof(why), "more than %d bearer tokens "
			    "in one call", NETCALL_MINT_MAX);
			r = CV_ERR_DENIED;
		}
	}
	if (r != 0) {
		/* recorded; the caller kills netd for it */
		vaultd_sign_deny(vd, "netd", c->account, &a);
		log_warnx("netd asked for a signature outside %s: %s",
		    c->nc->name, why);
		return r;
	}
	c->step = step;
	c->nsigned++;
	/* signed only once signerd signs it: a policy may deny or hold it */
	o.tag = (uint64_t)c->net_id << 8 | (step + 1);
	if (netcall_is_mint(c->nc->steps[step]))
		c->nminted++;
	/*
	 * An Omnia key's create: the policy sees the request as the kind
	 * key, its permissions the field (clobvault-policy(5)), as for the
	 * ceiling; perms_check split the same list before the call began.
	 */
	if (c->nc->steps[step] == EP_OMNIA_CREATE) {
		const char	*list = netcall_param(&c->params,
				    "permissions");
		size_t		 i, n = 0;

		if (list != NULL && netcall_perms_split(list, c->perms,
		    &n) != 0)
			return CV_ERR_INVALID;
		for (i = 0; i < n; i++) {
			c->perm_fields[i].name = "permissions";
			c->perm_fields[i].value = c->perms[i];
		}
		a.kind = "key";
		a.fields = c->perm_fields;
		a.nfields = n;
		a.nsets = 1;
	}
	/* a call about one API key (apikey.delete, apikey.verify) is
	 * signed with it */
	if (c->nc->rtype == VAULT_REC_API_CRED &&
	    netcall_param(&c->params, "key") != NULL)
		snprintf(a.key_id, sizeof(a.key_id), "%s",
		    netcall_param(&c->params, "key"));
	vaultd_sign_request(vd, &o, c->account, &a);
	return 0;
}

/* Why the answer's vault change is not one this call can have, or NULL. */
static const char *
effect_refused(struct vaultd *vd, const struct vd_call *c)
{
	const struct netcall	*nc = c->nc;
	const char		*key;

	if (c->status < 100 || c->status > 599)
		return "an HTTP status out of range";
	if (c->effect == 0)
		return NULL;
	/* netd makes a change only of a success (netd_answer.c) */
	if (c->status < 200 || c->status > 299)
		return "a vault change with a failed HTTP status";
	if ((c->effect & ~nc->effects) != 0)
		return "a vault change this call cannot make";
	if (c->rtype != nc->rtype)
		return "a change to another kind of key";
	/* a token request changes nothing: the step that can must be signed */
	if ((c->signed_steps & ~netcall_mint_steps(nc)) == 0)
		return "a vault change without a signed request";
	if ((c->effect & NETCALL_STORE) && (c->effect & NETCALL_REMOVE))
		return "a store and a removal at once";
	if ((c->effect & NETCALL_REPLACE) && !(c->effect & NETCALL_STORE))
		return "a replacement without a store";
	/* rotate: the store replaces the key the call names, only it */
	if ((nc->effects & NETCALL_REPLACE) && (c->effect & NETCALL_STORE)) {
		key = netcall_param(&c->params, "key");
		if (!(c->effect & NETCALL_REPLACE) || key == NULL ||
		    strcmp(key, c->key_id) != 0)
			return "a store of another key than the one rotated";
	}
	/* create: a new key, never one the call signed with */
	if (nc->bearer && (c->effect & NETCALL_STORE) &&
	    !(nc->effects & NETCALL_REPLACE) &&
	    (c->key_id[0] == '\0' ||
	    vault_file_has_key(vd, c->account, c->key_id)))
		return "a store over a key the vault holds";
	if (c->effect & NETCALL_STORE) {
		if (c->boxlen == 0)
			return "a store without a sealed credential";
		if (c->rtype == VAULT_REC_API_CRED &&
		    c->nonce != netcall_nonce(&c->params))
			return "a key at another nonce than the call's";
	}
	if ((c->effect & NETCALL_INVITE_USED) && !c->invite_signed)
		return "an invitation code that was not sent";
	if (c->effect & NETCALL_REMOVE) {
		key = c->rtype == VAULT_REC_API_CRED ? c->api_key_used :
		    netcall_param(&c->params, "key");
		if (key == NULL || key[0] == '\0' ||
		    strcmp(key, c->key_id) != 0)
			return "the removal of a key the call did not delete";
	}
	return NULL;
}

int
vaultd_call_ans(struct vaultd *vd, struct child *ch, struct msg *m)
{
	struct vd_call	*c = &vd->call;
	const char	*res, *why;
	const uint8_t	*box;
	size_t		 rlen, blen;
	char		 text[256];
	int		 r;

	if (m->id != c->net_id)
		return CV_ERR_MSG_STATE;
	if ((r = msg_get_u64(&m->rd, &c->status)) != 0 ||
	    (r = msg_get_str(&m->rd, &res, &rlen, RESULT_MAX)) != 0 ||
	    (r = msg_get_u64(&m->rd, &c->effect)) != 0 ||
	    (r = msg_get_u64(&m->rd, &c->rtype)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, c->key_id, sizeof(c->key_id))) != 0 ||
	    (r = msg_get_u64(&m->rd, &c->nonce)) != 0 ||
	    (r = msg_get_bin(&m->rd, &box, &blen, BOX_MAX)) != 0)
		return r;
	c->boxlen = blen;
	/*
	 * netd names a key, and seals one, only with the change that
	 * concerns it: else the call's record would carry a key netd chose.
	 */
	if (c->effect == 0 && (c->key_id[0] != '\0' || blen > 0))
		why = "a key id without a vault change";
	else if ((c->effect & (NETCALL_REMOVE | NETCALL_STORE)) &&
	    c->key_id[0] != '\0' &&
	    !vault_fmt_name_valid(c->key_id, strlen(c->key_id)))
		why = "a key id that is not one";
	else if ((c->effect & NETCALL_REMOVE) &&
	    !vault_fmt_name_valid(c->key_id, strlen(c->key_id)))
		why = "the removal of a key id that is not one";
	else
		why = effect_refused(vd, c);
	if (why != NULL) {
		c->boxlen = 0;
		c->key_id[0] = '\0';
		log_warnx("netd answered %s with %s", c->nc->name, why);
		call_audit(vd, "forged");
		snprintf(text, sizeof(text), "netd answered with %s; nothing "
		    "was changed in the vault and netd was restarted", why);
		control_error(vd, c->client, c->cl_id, CV_ERR_RESPONSE, text);
		call_clear(vd);
		vaultd_audit_checkpoint(vd);
		return CV_ERR_MSG_STATE;
	}
	if ((c->result = strndup(res, rlen)) == NULL)
		fatal("strndup");
	if (blen > 0) {
		if ((c->box = malloc(blen)) == NULL)
			fatal("malloc");
		memcpy(c->box, box, blen);
	}
	if (c->effect & NETCALL_STORE)
		c->state = CALL_STORE;
	else if (c->effect & NETCALL_REMOVE)
		c->state = CALL_REMOVE;
	else {
		call_finish(vd);
		return 0;
	}
	vaultd_call_kick(vd);
	return 0;
}

int
vaultd_call_error(struct vaultd *vd, struct child *ch, struct msg *m)
{
	char	text[MSG_ERROR_TEXT_MAX + 1];
	int	code, r;

	if (m->id != vd->call.net_id)
		return CV_ERR_MSG_STATE;
	if ((r = msg_get_error(m, &code, text, sizeof(text))) != 0)
		return r;
	call_fail(vd, code, text);
	return 0;
}

void
vaultd_call_tick(struct vaultd *vd, int64_t now)
{
	struct vd_call	*c = &vd->call;
	char		 text[256];

	if ((c->state != CALL_ACCOUNT && c->state != CALL_NET) ||
	    now < c->deadline_ms)
		return;
	snprintf(text, sizeof(text), "the exchange call did not finish within "
	    "%lld s%s", (long long)(vd->call_deadline_ms / 1000),
	    c->state == CALL_NET ? ": netd was restarted, and whether the "
	    "exchange acted is unknown" : "");
	if (c->state == CALL_NET)
		child_stalled(vd, NETD(vd), "call",
		    "the exchange call passed its deadline");
	call_fail(vd, CV_ERR_TIMEOUT, text);
}

int64_t
vaultd_call_next_ms(const struct vaultd *vd)
{
	if (vd->call.state != CALL_ACCOUNT && vd->call.state != CALL_NET)
		return -1;
	return vd->call.deadline_ms;
}

static void	call_step(struct vaultd *, int, const char *, const char *);

/* Start the vault step the call waits for, once the vault is free. */
void
vaultd_call_kick(struct vaultd *vd)
{
	struct vd_call	*c = &vd->call;
	struct msg_w	 w;
	const char	*what, *perms;
	uint32_t	 id, sent;
	int		 api = c->rtype == VAULT_REC_API_CRED;

	if ((c->state != CALL_STORE && c->state != CALL_MARK &&
	    c->state != CALL_REMOVE) || c->op_started || vault_busy(vd))
		return;
	if (!vd->unlocked || !child_ready(SIGNERD(vd))) {
		call_step(vd, CV_ERR_LOCKED, "the vault was locked "
		    "meanwhile", c->key_id);
		return;
	}
	id = child_new_id(SIGNERD(vd));
	switch (c->state) {
	case CALL_STORE:
		sent = MSG_VAULT_STORE_REQ;
		what = (c->effect & NETCALL_REPLACE) ? "apikey rotate" :
		    api ? "apikey store" : "builder store";
		msg_begin(&w, sent, id);
		msg_put_u64(&w, c->rtype);
		msg_put_str(&w, c->account);
		msg_put_u64(&w, c->nonce);
		msg_put_bin(&w, c->box, c->boxlen);
		msg_put_str(&w, (c->effect & NETCALL_REPLACE) ? c->key_id : "");
		/* an Omnia create's key holds at most what it asked for */
		perms = c->nc->bearer && !(c->effect & NETCALL_REPLACE) ?
		    netcall_param(&c->params, "permissions") : NULL;
		msg_put_str(&w, perms != NULL ? perms : "");
		break;
	case CALL_MARK:
		sent = MSG_VAULT_MARK_REQ;
		what = "invite used";
		msg_begin(&w, sent, id);
		msg_put_u64(&w, VAULT_REC_INVITE);
		msg_put_str(&w, c->account);
		msg_put_str(&w, "");
		msg_put_u64(&w, VAULT_RECF_USED);
		break;
	default:
		sent = MSG_VAULT_DEL_REQ;
		what = api ? "apikey remove" : "builder remove";
		msg_begin(&w, sent, id);
		msg_put_u64(&w, c->rtype);
		msg_put_str(&w, c->account);
		msg_put_str(&w, c->key_id);
		/*
		 * The copy of a key this call deleted at the exchange (netd's
		 * word checked, effect_refused): dead, and gone, for which
		 * signerd takes no credential.
		 */
		msg_put_bin(&w, "", 0);
		msg_put_bool(&w, 0);
		msg_put_bool(&w, 1);	/* gone */
		break;
	}
	c->op_started = 1;
	/*
	 * A new key's id is the one signerd reads in the box (its answer
	 * names it): the one netd named beside the box is only its word.
	 */
	if (vault_op_call(vd, &w, id, sent, what, c->account,
	    c->state == CALL_MARK || (c->state == CALL_STORE &&
	    !(c->effect & NETCALL_REPLACE)) ? "" : c->key_id, call_step) != 0)
		call_step(vd, CV_ERR_NOTRUNNING, "signerd is not "
		    "reachable", c->key_id);
	else		/* the vault write is the client's, on the log */
		snprintf(vd->op.actor, sizeof(vd->op.actor), "%s", c->actor);
}

/* The vault step finished with code; text is its info or error. */
static void
call_step(struct vaultd *vd, int code, const char *text,
    const char *key_id)
{
	struct vd_call	*c = &vd->call;
	const char	*kind = c->rtype == VAULT_REC_API_CRED ? "API" :
			    "builder";
	char		 why[900], todo[300];

	switch (c->state) {
	case CALL_STORE:
		/*
		 * A new key is the one signerd read in the box: its answer
		 * names it, and so does its refusal of a key the vault holds
		 * or of permissions not asked for (the text is the key id).
		 */
		if (!(c->effect & NETCALL_REPLACE))
			snprintf(c->key_id, sizeof(c->key_id), "%s",
			    (code == CV_ERR_EXISTS ||
			    code == CV_ERR_PERMISSIONS) &&
			    vault_fmt_name_valid(text, strlen(text)) ? text :
			    key_id != NULL ? key_id : "");
		if (code == CV_ERR_EXISTS) {
			snprintf(why, sizeof(why), "the vault already holds "
			    "%s key %s", kind, c->key_id);
			change_add(vd, why);
		} else if (code == CV_ERR_PERMISSIONS) {
			snprintf(why, sizeof(why), "the exchange issued %s key "
			    "%s with permissions the call did not ask for; the "
			    "vault discarded its secret: remove the key at the "
			    "exchange (apikey list --account %s shows it)",
			    kind, c->key_id, c->account);
			call_fail(vd, code, why);
			return;
		} else if (code != 0) {
			/*
			 * No id when signerd could not read the box.  An
			 * Omnia secret cannot be fetched again, and a key is
			 * rotated only with its own secret: what is left is
			 * to replace the key.
			 */
			if (c->nc->bearer && (c->effect & NETCALL_REPLACE))
				snprintf(todo, sizeof(todo), ": its old secret "
				    "is dead and the new one lost; with another "
				    "key of %s that holds enough permissions, "
				    "apikey use it and apikey create a "
				    "replacement, or make a key at the exchange "
				    "and apikey import it", c->account);
			else if (c->nc->bearer)
				snprintf(todo, sizeof(todo), ": its secret is "
				    "lost; remove the key at the exchange "
				    "(apikey list --account %s shows it)",
				    c->account);
			else
				snprintf(todo, sizeof(todo), "%s",
				    c->rtype == VAULT_REC_API_CRED ? ": fetch "
				    "it again with vaultctl apikey derive" : "");
			snprintf(why, sizeof(why), "the exchange issued %s "
			    "key%s%s but the vault could not store it (%s)%s",
			    kind, c->key_id[0] != '\0' ? " " : "", c->key_id,
			    text, todo);
			call_fail(vd, code, why);
			return;
		} else if (c->effect & NETCALL_REPLACE) {
			snprintf(why, sizeof(why), "replaced the secret of %s "
			    "key %s (fingerprint %s)", kind, c->key_id, text);
			change_add(vd, why);
		} else {
			snprintf(why, sizeof(why), "stored %s key %s "
			    "(fingerprint %s)", kind, c->key_id, text);
			change_add(vd, why);
		}
		/* the old secret's tokens are dead at the exchange */
		if (c->effect & NETCALL_REPLACE)
			vaultd_net_forget(vd, c->account, c->key_id);
		if (c->effect & NETCALL_INVITE_USED) {
			c->state = CALL_MARK;
			c->op_started = 0;
			vaultd_call_kick(vd);
			return;
		}
		break;
	case CALL_MARK:
		if (code == 0)
			change_add(vd, "invitation code marked used");
		else {
			log_warnx("%s: cannot mark the invitation code used: "
			    "%s", c->account, text);
			snprintf(why, sizeof(why), "the invitation code could "
			    "not be marked used: %s", text);
			change_add(vd, why);
		}
		break;
	case CALL_REMOVE:
		if (code == 0)
			snprintf(why, sizeof(why), "removed %s key %s from the "
			    "vault", kind, c->key_id);
		else if (code == CV_ERR_NOTFOUND)
			snprintf(why, sizeof(why), "the vault did not hold %s "
			    "key %s", kind, c->key_id);
		else {
			/* not done: the vault still lists a dead key */
			snprintf(why, sizeof(why), "%s key %s is gone at the "
			    "exchange but could not be removed from the vault:"
			    " %s; remove it with vaultctl %s --local --account "
			    "%s --key-id %s", kind, c->key_id, text,
			    c->rtype == VAULT_REC_API_CRED ? "apikey delete" :
			    "builder revoke", c->account, c->key_id);
			call_fail(vd, code, why);
			return;
		}
		change_add(vd, why);
		break;
	default:
		return;
	}
	call_finish(vd);
}

void
vaultd_call_netd_lost(struct vaultd *vd)
{
	if (vd->call.state == CALL_NET)
		call_fail(vd, CV_ERR_TRANSPORT, "netd stopped during the call;"
		    " whether the exchange acted is unknown");
}

void
vaultd_net_forget(struct vaultd *vd, const char *account, const char *key_id)
{
	struct msg_w	w;

	/* a netd (re)starting holds no token; one stopping takes them */
	if (!child_ready(NETD(vd)) || vd->stopping)
		return;
	msg_begin(&w, MSG_NET_FORGET_REQ, child_new_id(NETD(vd)));
	msg_put_str(&w, account);
	msg_put_str(&w, key_id);
	if (child_send(NETD(vd), &w) != 0)
		child_kill(NETD(vd), "cannot tell it to wipe its tokens");
}

int
vaultd_net_forget_ans(struct vaultd *vd, struct child *ch, struct msg *m)
{
	(void)vd;
	(void)ch;
	(void)m;
	return 0;
}
