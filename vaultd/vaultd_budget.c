/*
 * Budgets across a restart of vaultd.  The counters live in vaultd's
 * memory (policy_state); a crash of vaultd would give them back in full.
 * So:
 *
 *	every verdict that charged a budget: a record "budget charge"
 *	    right before the verdict's own, batched with it (durable
 *	    before its signature leaves vaultd, no sync of its own): the
 *	    counters' budgets, windows and amounts, and whose they are
 *	every checkpoint: the counters that hold something written to
 *	    $CLOBVAULT_HOME/budgets.new before it is sent to signerd
 *	    (past BUDGET_INLINE of them by a thread, from a copy), with
 *	    the vault's audit key, the seq of the last record they count
 *	    and the policy's digest, the checkpoint carrying the file's
 *	    hash under signerd's signature (so a file edited, or of
 *	    another vault, is refused at the restore); renamed to
 *	    budgets once the checkpoint is appended,
 *	    which syncs every record before it (a file naming records a
 *	    crash of the machine lost would let their seqs, used again,
 *	    go uncounted)
 *	the first unlock of a vaultd: that file put back, then the
 *	    charges recorded after its seq (a policy.applied of another
 *	    digest starts them over, as it does in a running vaultd)
 *
 * What is counted may be more than was spent, never less: a charge given
 * back after the file was written (signerd refused, stopped) counts
 * again after a crash, and a token bucket gets back only the refill up
 * to the restart, never the tokens given back.  A window that closed
 * while vaultd was down is dropped: it starts full.  Charges that cannot
 * be read back (records missing between those read, a log that cannot
 * be read) count as spent: every budget is held (policy_state_hold)
 * while one of them could count, the file carrying the holds on.
 *
 * The record's path: /ACCOUNT/WHO/DEF:WINDOW:AMOUNT,... with WHO "o" and
 * an operator's uid, "c" and a gateway client's name, or "n" (unsigned);
 * DEF is the budget's index in the policy's state, WINDOW the UTC window
 * number of a count or sum (a token bucket's is not read), AMOUNT in the
 * budget's units.  Names are of the vault's syntax, so the path is kept
 * as it is; a longer list goes on in a second record.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/audit.h"
#include "common/encode.h"
#include "common/home.h"
#include "common/log.h"
#include "common/vault_fmt.h"
#include "vaultd/vaultd.h"
#include "vaultd/vaultd_budget_copy.h"

#define BUDGET_FILE	"budgets"
#define BUDGET_PATHCUT	440		/* a record's path, then another */
#define BUDGET_INLINE	4096		/* counters written on the loop */

static size_t
put(char *buf, size_t at, const char *s, size_t n)
{
	memcpy(buf + at, s, n);
	return at + n;
}

static size_t
put_u64(char *buf, size_t at, uint64_t v)
{
	char	num[DEC_U64_MAX + 1];

	return put(buf, at, num, dec_encode_u64(v, num));
}

void
vaultd_budget_record(struct vaultd *vd, const struct sign_origin *o,
    const char *account, const struct policy_resv *resv)
{
	char	 path[AUDIT_MAX_PATH + 1];
	size_t	 i, at, head, al, cl;
	int	 first = 1;

	if (resv->n == 0 || resv->n > POLICY_RESV_MAX)
		return;
	/*
	 * A name not of the vault's syntax (an unsigned request's) would
	 * have the path escaped, unreadable at the restart: it is written
	 * empty, so that a budget per account charges the empty name's
	 * counter then, and the others their own.
	 */
	al = strnlen(account, VAULT_MAX_NAME + 1);
	if (al > 0 && !vault_fmt_name_valid(account, al))
		al = 0;
	cl = o->client != NULL ? strnlen(o->client, VAULT_MAX_NAME + 1) : 0;
	if (cl > 0 && !vault_fmt_name_valid(o->client, cl))
		cl = 0;
	at = put(path, 0, "/", 1);
	at = put(path, at, account, al);
	at = put(path, at, "/", 1);
	if (o->who == POLICY_ACTOR_OPERATOR) {
		at = put(path, at, "o", 1);
		at = put_u64(path, at, o->uid);
	} else if (o->who == POLICY_ACTOR_ANON)
		at = put(path, at, "n", 1);
	else {
		at = put(path, at, "c", 1);
		at = put(path, at, o->client != NULL ? o->client : "", cl);
	}
	at = head = put(path, at, "/", 1);
	for (i = 0; i < resv->n; i++) {
		if (at > BUDGET_PATHCUT) {
			path[at] = '\0';
			vaultd_audit_budget(vd, o->actor, account, path,
			    vd->policy.digest);
			at = head;
			first = 1;
		}
		if (!first)
			at = put(path, at, ",", 1);
		first = 0;
		at = put_u64(path, at, resv->r[i].budget);
		at = put(path, at, ":", 1);
		at = put_u64(path, at, resv->r[i].window < 0 ? 0 :
		    (uint64_t)resv->r[i].window);
		at = put(path, at, ":", 1);
		at = put_u64(path, at, resv->r[i].amount);
	}
	path[at] = '\0';
	vaultd_audit_budget(vd, o->actor, account, path, vd->policy.digest);
}

/*
 * Writing the file.  Up to PB_MAX_KEYS counters make megabytes, whose
 * formatting and fsync cost tens of ms: the loop takes only a copy of
 * the counters (less what held requests reserved) and, past
 * BUDGET_INLINE of them, the file is written and synced by a thread,
 * while signing goes on; the checkpoint that was due waits for it,
 * carries its hash and renames it once appended.  So a file is bound to
 * the first checkpoint after its seq that names it, not always the very
 * next record.  A smaller file (a few hundred KB at most) is written
 * right away, the checkpoint right after its seq: it costs the loop an
 * fsync (bench_budget), as the checkpoint's own line and the rename do,
 * and keeps a lifecycle event's checkpoint before the next signature.
 */
struct budget_job {
	pthread_t	 t;
	int		 running;	/* the thread may still write */
	int		 done;		/* tmp written and synced: hash */
	int		 err;		/* the thread's errno, 0: none */
	char		 path[PATH_MAX], tmp[PATH_MAX + 8];
	char		 head[256];
	struct vd_budget_copy copy;
	uint8_t		 hash[AUDIT_HASH_LEN];
};

/*
 * A held request was charged, but it has no record yet: what it took
 * from the counter is given back in the copy.
 */
static uint64_t
snap_held(void *arg, uint32_t def, uint32_t slot, int rate, int64_t window,
    uint64_t val, uint64_t max)
{
	const struct vaultd		*vd = arg;
	const struct vd_pending		*p;
	size_t				 i, k;

	for (i = 0; i < VAULTD_PENDING_MAX; i++) {
		p = &vd->pending[i];
		if (!p->used)
			continue;
		for (k = 0; k < p->v.resv.n && k < POLICY_RESV_MAX; k++) {
			if (p->v.resv.r[k].budget != def ||
			    p->v.resv.r[k].slot != slot ||
			    p->v.resv.r[k].window != window)
				continue;
			/*
			 * a bucket that refilled since holds no more than
			 * its size: past it, the next start would refuse
			 * the whole file
			 */
			if (rate)
				val = val >= max ||
				    p->v.resv.r[k].amount > max - val ?
				    max : val + p->v.resv.r[k].amount;
			else
				val -= p->v.resv.r[k].amount < val ?
				    p->v.resv.r[k].amount : val;
		}
	}
	return val;
}

/* The thread: the copy into tmp, synced; logs nothing. */
static void *
job_run(void *arg)
{
	struct budget_job	*j = arg;
	FILE			*f;
	int			 fd, bad;

	(void)unlink(j->tmp);
	if ((fd = open(j->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		j->err = errno ? errno : EIO;
		return NULL;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		j->err = errno ? errno : EIO;
		close(fd);
		(void)unlink(j->tmp);
		return NULL;
	}
	bad = vaultd_budget_copy_write(&j->copy, j->head, f, j->hash);
	if (fflush(f) != 0 || fsync(fileno(f)) == -1)
		bad = -1;
	if (fclose(f) != 0)
		bad = -1;
	if (bad) {
		j->err = errno ? errno : EIO;
		(void)unlink(j->tmp);
		return NULL;
	}
	j->done = 1;
	return NULL;
}

static int
budget_paths(const struct vaultd *vd, char *path, size_t len, char *tmp,
    size_t tmplen)
{
	return (size_t)snprintf(path, len, "%s/%s", vd->home, BUDGET_FILE) <
	    len && (size_t)snprintf(tmp, tmplen, "%s.new", path) < tmplen ?
	    0 : -1;
}

/*
 * The thread joined if it ended: 0 (its error, if any, logged), or 1
 * while it still writes.
 */
static int
job_reap(struct budget_job *j)
{
	if (pthread_tryjoin_np(j->t, NULL) != 0)
		return 1;
	j->running = 0;
	if (j->err != 0) {
		errno = j->err;
		log_warn("budgets: cannot write %s; the one before stays",
		    j->tmp);
		j->err = 0;
	}
	return 0;
}

/*
 * At each checkpoint, before it is sent: a copy of the counters taken
 * and its thread started, and 1 while the thread writes (the checkpoint
 * waits); then 0, the file going with it (vd->budget_new, its hash in
 * the checkpoint).  0 at once with no file to write, or one that failed.
 */
int
vaultd_budget_save(struct vaultd *vd)
{
	struct budget_job	*j = vd->budget_job;
	char			 dig[65], kid[AUDIT_HEX_HASH + 1];
	size_t			 i;
	int			 r;

	vd->budget_new = 0;
	if (j != NULL && j->running) {
		if (job_reap(j) != 0)
			return 1;			/* still writing */
		if (!j->done)
			return 0;			/* it failed */
	}
	if (j != NULL && j->done) {
		/* renamed once this checkpoint is appended */
		if (!vd->ckpt_pending) {
			memcpy(vd->budget_hash, j->hash, sizeof(j->hash));
			vd->budget_new = 1;
		}
		return 0;
	}
	if (vd->policy.st == NULL || !vd->policy.restored ||
	    !vd->have_audit_pk || vd->ckpt_pending || vd->ndeferred > 0)
		return 0;
	if (j == NULL && (j = vd->budget_job = calloc(1, sizeof(*j))) ==
	    NULL) {
		log_warnx("budgets: out of memory; the file before stays");
		return 0;
	}
	if (budget_paths(vd, j->path, sizeof(j->path), j->tmp,
	    sizeof(j->tmp)) != 0)
		return 0;
	hex_encode(vd->policy.digest, sizeof(vd->policy.digest), dig);
	audit_key_id(vd->audit_pk, kid);
	snprintf(j->head, sizeof(j->head), "%s\nkey %s\npolicy %s\nseq %llu\n",
	    BUDGET_MAGIC, kid, dig, (unsigned long long)vd->chain.seq);
	vaultd_budget_copy_reset(&j->copy);
	j->err = 0;
	j->done = 0;
	j->copy.held = NULL;
	j->copy.held_arg = vd;
	for (i = 0; i < VAULTD_PENDING_MAX; i++)
		if (vd->pending[i].used)
			j->copy.held = snap_held;
	policy_counter_each(vd->policy.st, vaultd_wall_ms(),
	    vaultd_budget_copy_one, &j->copy);
	policy_hold_each(vd->policy.st, vaultd_wall_ms(),
	    vaultd_budget_copy_hold, &j->copy);
	if (j->copy.nomem) {
		log_warnx("budgets: out of memory; the file before stays");
		return 0;
	}
	if (j->copy.n <= (vd->budget_inline_set ? vd->budget_inline :
	    BUDGET_INLINE)) {
		(void)job_run(j);
		if (j->err != 0) {
			errno = j->err;
			log_warn("budgets: cannot write %s; the one before "
			    "stays", j->tmp);
			return 0;
		}
		memcpy(vd->budget_hash, j->hash, sizeof(j->hash));
		vd->budget_new = 1;
		return 0;
	}
	if ((r = vaultd_thread_start(&j->t, job_run, j, "budgets")) != 0) {
		errno = r;
		log_warn("budgets: cannot start its thread; the file before "
		    "stays");
		return 0;
	}
	j->running = 1;
	return 1;
}

/*
 * Each loop turn: a thread that ended is joined, whether or not a
 * checkpoint can go now (the vault may have been locked meanwhile), so
 * that no wake-up waits for it any longer.
 */
void
vaultd_budget_reap(struct vaultd *vd)
{
	if (vd->budget_job != NULL && vd->budget_job->running)
		(void)job_reap(vd->budget_job);
}

int
vaultd_budget_busy(const struct vaultd *vd)
{
	return vd->budget_job != NULL && vd->budget_job->running;
}

/* The checkpoint that names the file is on the log: it is the file. */
void
vaultd_budget_commit(struct vaultd *vd)
{
	struct budget_job	*j = vd->budget_job;

	if (!vd->budget_new || j == NULL || !j->done)
		return;
	vd->budget_new = 0;
	j->done = 0;
	if (rename(j->tmp, j->path) == -1) {
		log_warn("budgets: cannot rename %s; the one before stays",
		    j->tmp);
		return;
	}
	if (home_sync(vd->home) == -1)
		log_warn("budgets: fsync %s", vd->home);
}

/* A decimal of s[0..n), all digits, into *v; -1 if it is not one. */
static int
num_parse(const char *s, size_t n, uint64_t *v)
{
	uint64_t	x = 0;
	size_t		i;

	if (n == 0 || n > DEC_U64_MAX || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* The next space-separated word of *p (up to end), or NULL. */
static const char *
word(const char **p, const char *end, size_t *n)
{
	const char	*w = *p, *sp;

	if (w >= end)
		return NULL;
	if ((sp = memchr(w, ' ', (size_t)(end - w))) == NULL)
		sp = end;
	*n = (size_t)(sp - w);
	*p = sp < end ? sp + 1 : end;
	return *n > 0 ? w : NULL;
}

/* Why a budgets file is not loaded, for vaultd's log. */
#define LOAD_BAD	(-1)	/* it does not parse */
#define LOAD_FOREIGN	(-2)	/* it names another vault's audit key */

/*
 * The file, if it is of this policy: its counters into st, its seq in
 * *seq, the BLAKE2b-256 of its bytes in hash (what its checkpoint must
 * carry).  0: read (or no file: *seq 0 and *have 0); LOAD_BAD or
 * LOAD_FOREIGN (*have 0).
 */
static int
load_file(struct vaultd *vd, struct policy_state *st, int64_t now,
    uint64_t *seq, int *have, uint8_t digest[POLICY_DIGEST_LEN],
    uint8_t hash[AUDIT_HASH_LEN])
{
	FILE				*f;
	crypto_generichash_state	 h;
	char				 path[PATH_MAX], line[BUDGET_LINE + 2];
	char				 key[BUDGET_KEY_MAX];
	char				 kid[AUDIT_HEX_HASH + 1];
	const char			*p, *end, *w[6];
	size_t				 n[6], len, kl, i;
	uint64_t			 def, win, val, last;
	int				 fd, r = LOAD_BAD, ended = 0;

	*seq = 0;
	*have = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", vd->home,
	    BUDGET_FILE) >= sizeof(path))
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	crypto_generichash_init(&h, NULL, 0, AUDIT_HASH_LEN);
	audit_key_id(vd->audit_pk, kid);
	for (i = 0; fgets(line, sizeof(line), f) != NULL; i++) {
		len = strlen(line);
		if (len == 0 || line[len - 1] != '\n' || ended)
			goto out;
		crypto_generichash_update(&h, (const uint8_t *)line, len);
		line[--len] = '\0';
		if (i == 0) {
			if (strcmp(line, BUDGET_MAGIC) != 0)
				goto out;
			continue;
		}
		if (i == 1) {
			if (len != 4 + AUDIT_HEX_HASH ||
			    strncmp(line, "key ", 4) != 0 ||
			    hex_decode(line + 4, len - 4, (uint8_t *)key,
			    sizeof(key), &kl) != 0 || kl != AUDIT_PK_LEN)
				goto out;
			if (!vd->have_audit_pk || strcmp(line + 4, kid) != 0) {
				r = LOAD_FOREIGN;
				goto out;
			}
			continue;
		}
		if (i == 2) {
			if (len != 7 + 2 * POLICY_DIGEST_LEN ||
			    strncmp(line, "policy ", 7) != 0 ||
			    hex_decode(line + 7, len - 7, digest,
			    POLICY_DIGEST_LEN, &kl) != 0 ||
			    kl != POLICY_DIGEST_LEN)
				goto out;
			continue;
		}
		if (i == 3) {
			if (strncmp(line, "seq ", 4) != 0 ||
			    num_parse(line + 4, len - 4, seq) != 0)
				goto out;
			continue;
		}
		if (strcmp(line, "end") == 0) {
			ended = 1;
			continue;
		}
		p = line;
		end = line + len;
		for (kl = 0; kl < 6; kl++)
			if ((w[kl] = word(&p, end, &n[kl])) == NULL)
				goto out;
		if (p != end || n[1] != 1 || (w[1][0] != 'r' &&
		    w[1][0] != 'w' && w[1][0] != 'h') ||
		    num_parse(w[0], n[0], &def) != 0 ||
		    def > UINT32_MAX || num_parse(w[2], n[2], &win) != 0 ||
		    win > INT64_MAX || num_parse(w[3], n[3], &val) != 0 ||
		    num_parse(w[4], n[4], &last) != 0 || last > INT64_MAX)
			goto out;
		kl = 0;
		if ((n[5] != 1 || w[5][0] != '-') && (hex_decode(w[5], n[5],
		    (uint8_t *)key, sizeof(key), &kl) != 0 || kl == 0))
			goto out;
		/* of another policy: its counters mean nothing here */
		if (sodium_memcmp(digest, vd->policy.digest,
		    POLICY_DIGEST_LEN) != 0)
			continue;
		if (w[1][0] == 'h') {
			if (val != 0 || last != 0 || kl != 0 ||
			    policy_hold_load(st, (uint32_t)def,
			    (int64_t)win) != 0)
				goto out;
			continue;
		}
		if (policy_counter_load(st, (uint32_t)def, key, kl,
		    (int64_t)win, val, (int64_t)last, now) != 0)
			goto out;
	}
	if (ferror(f) || !ended || i < 4)
		goto out;
	crypto_generichash_final(&h, hash, AUDIT_HASH_LEN);
	*have = 1;
	r = 0;
 out:
	fclose(f);
	return r;
}

/* One budget record, of the policy being restored, charged to st. */
static void
replay_one(struct policy_state *st, const struct audit_rec *rec, int64_t now)
{
	struct policy_req	 req;
	const char		*p = rec->path, *s, *acct, *who, *end;
	char			 account[VAULT_MAX_NAME + 1];
	char			 client[VAULT_MAX_NAME + 1];
	uint64_t		 v[3], uid;
	size_t			 al, wl, k;

	/* /ACCOUNT/WHO/LIST */
	if (*p++ != '/' || (s = strchr(p, '/')) == NULL)
		return;
	acct = p;
	al = (size_t)(s - p);
	who = s + 1;
	if ((s = strchr(who, '/')) == NULL || s == who)
		return;
	wl = (size_t)(s - who);
	p = s + 1;
	if (al > VAULT_MAX_NAME || wl - 1 > VAULT_MAX_NAME)
		return;
	memcpy(account, acct, al);
	account[al] = '\0';
	memset(&req, 0, sizeof(req));
	req.account = account;
	switch (who[0]) {
	case 'o':
		if (num_parse(who + 1, wl - 1, &uid) != 0 || uid > UINT32_MAX)
			return;
		req.actor = POLICY_ACTOR_OPERATOR;
		req.uid = (uint32_t)uid;
		break;
	case 'n':
		if (wl != 1)
			return;
		req.actor = POLICY_ACTOR_ANON;
		break;
	case 'c':
		memcpy(client, who + 1, wl - 1);
		client[wl - 1] = '\0';
		req.actor = POLICY_ACTOR_CLIENT;
		req.client = client;
		break;
	default:
		return;
	}
	while (*p != '\0') {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		for (k = 0; k < 3; k++) {
			s = k < 2 ? memchr(p, ':', (size_t)(end - p)) : end;
			if (s == NULL || num_parse(p, (size_t)(s - p),
			    &v[k]) != 0)
				return;
			p = s + (k < 2);
		}
		if (v[0] > UINT32_MAX || v[1] > INT64_MAX ||
		    policy_counter_charge(st, (uint32_t)v[0], &req,
		    (int64_t)v[1], v[2], now) != 0)
			return;
		p = *end == ',' ? end + 1 : end;
	}
}

/* Records missing from the log between those read: none while from is 0. */
struct gap {
	uint64_t	from, to;	/* the first span missing, in seqs */
	int64_t		at_ms;		/* the latest any missing one was made */
};

/* The seq of line[0..len), its first field, or 0. */
static uint64_t
line_seq(const char *line, size_t len)
{
	const char	*tab = memchr(line, '\t', len);
	uint64_t	 v;

	if (tab == NULL || num_parse(line, (size_t)(tab - line), &v) != 0)
		return 0;
	return v;
}

/*
 * Records from seq from to the one of line are missing: they were made
 * by the end of that record's second (or by now, if it does not parse).
 */
static void
gap_add(struct gap *g, uint64_t from, const char *line, size_t len,
    int64_t now)
{
	struct audit_rec	rec;
	time_t			t;
	int64_t			at = now;

	if (audit_record_parse(line, len, &rec) == 0 &&
	    audit_time_parse(rec.time, strnlen(rec.time, sizeof(rec.time)),
	    &t) && (int64_t)t < INT64_MAX / 1000 - 1)
		at = (int64_t)t * 1000 + 999;
	if (g->from == 0) {
		g->from = from;
		g->to = line_seq(line, len) - 1;
	}
	if (at > g->at_ms)
		g->at_ms = at;
}

/*
 * The records after seq, from the file that holds seq + 1 on (with no
 * snapshot to start from, from the file that holds every record of the
 * policy's horizon: the longest window, or the longest a bucket takes to
 * fill): budget charges of this policy, started over at a
 * policy.applied of another digest.
 *
 * A snapshot is bound to the checkpoint that made it current, the
 * first after its seq to carry its hash, signed by this vault's audit
 * key (the records between are counted, as are those after).  One
 * edited, or of another vault or another log, is refused: 1, and *why
 * says so.
 *
 * Records missing from what is read (a segment deleted, a line that
 * does not say its seq) may have charged anything: their span goes in
 * *g, the seqs running on from seq + 1 (with no snapshot: from 1, or
 * from a record older than the horizon) to the end.  -1: the log could
 * not be read.
 */
static int
replay(struct vaultd *vd, struct policy_state **stp, uint64_t seq, int have,
    const uint8_t snap[POLICY_DIGEST_LEN], const uint8_t hash[AUDIT_HASH_LEN],
    int64_t now, const char **why, struct gap *g)
{
	struct audit_log	 log;
	struct audit_iter	*it;
	struct audit_rec	 rec;
	struct policy_state	*fresh;
	const char		*line;
	char			 mine[2 * POLICY_DIGEST_LEN + 1];
	char			 cur[2 * POLICY_DIGEST_LEN + 1];
	char			 fhash[AUDIT_HEX_HASH + 1];
	size_t			 len;
	uint64_t		 first, bad = 0, next = 0, ls;
	int64_t			 h = 0, since = 0;
	int			 r, bound = !have;

	memset(g, 0, sizeof(*g));
	hex_encode(vd->policy.digest, POLICY_DIGEST_LEN, mine);
	if (have) {
		hex_encode(snap, POLICY_DIGEST_LEN, cur);
		hex_encode(hash, AUDIT_HASH_LEN, fhash);
	} else
		memcpy(cur, mine, sizeof(cur));
	vaultd_audit_sync(vd);
	if (audit_log_scan(vd->auditpath, &log) != 0 ||
	    (it = malloc(sizeof(*it))) == NULL)
		return -1;
	if (have)
		first = vaultd_audit_file_of_seq(&log, seq + 1);
	else if ((h = policy_state_horizon_ms(*stp)) == 0)
		first = log.nseg + 1;
	else {
		since = (now - h) / 1000 - 1;
		first = vaultd_audit_file_of_time(&log, (time_t)since);
	}
	if (audit_iter_open(it, &log, first) != 0) {
		free(it);
		return -1;
	}
	while ((r = audit_iter_next(it, &line, &len)) == 1) {
		/*
		 * The seqs run on, or records are missing: the first one
		 * read must be seq + 1 or before it (with no snapshot: the
		 * log's first, or one older than the horizon).
		 */
		if ((ls = line_seq(line, len)) != 0) {
			if (next != 0 && ls != next)
				gap_add(g, next, line, len, now);
			else if (next == 0 && have && ls > seq + 1)
				gap_add(g, seq + 1, line, len, now);
			else if (next == 0 && !have && h != 0 && ls > 1) {
				gap_add(g, 1, line, len, now);
				/* older than the horizon: it does not count */
				if (g->at_ms < (since + 1) * 1000)
					memset(g, 0, sizeof(*g));
			}
			next = ls + 1;
		}
		/*
		 * Only these count (and the snapshot's checkpoint): the
		 * others are not parsed (most of a day's log is signatures).
		 */
		if (!audit_line_op_is(line, len, "budget") &&
		    !audit_line_op_is(line, len, "policy.applied") &&
		    (bound || !audit_line_op_is(line, len,
		    AUDIT_OP_CHECKPOINT)))
			continue;
		if (audit_record_parse(line, len, &rec) != 0) {
			bad++;
			continue;
		}
		if (rec.seq <= seq)
			continue;
		if (audit_rec_is_checkpoint(&rec)) {
			if (!bound && strcmp(rec.digest, fhash) == 0 &&
			    audit_checkpoint_verify(&rec, vd->audit_pk) == 0)
				bound = 1;
			continue;
		}
		if (strcmp(rec.op, "policy.applied") == 0 &&
		    strcmp(rec.digest, cur) != 0) {
			memcpy(cur, rec.digest, sizeof(cur));
			if (strcmp(cur, mine) != 0)
				continue;
			if ((fresh = policy_state_new(vd->policy.pol)) ==
			    NULL) {
				r = -1;
				break;
			}
			policy_state_free(*stp);
			*stp = fresh;
			/* what went missing before counts no more */
			memset(g, 0, sizeof(*g));
			continue;
		}
		if (strcmp(rec.op, "budget") == 0 &&
		    strcmp(rec.verdict, "charge") == 0 &&
		    strcmp(rec.digest, mine) == 0 && strcmp(cur, mine) == 0)
			replay_one(*stp, &rec, now);
	}
	audit_iter_close(it);
	free(it);
	if (r == 0 && !bound) {
		*why = "is named by no checkpoint of the audit log after its "
		    "seq (edited, or of another log)";
		r = 2;
	}
	if (r == 2)
		return 1;
	if (bad > 0)
		log_warnx("budgets: %llu records of the audit log do not "
		    "parse; their charges are not counted (vaultctl audit "
		    "verify)", (unsigned long long)bad);
	return r < 0 ? -1 : 0;
}

void
vaultd_budget_restore(struct vaultd *vd)
{
	struct vd_policy	*p = &vd->policy;
	struct policy_state	*st;
	struct gap		 g;
	uint8_t			 snap[POLICY_DIGEST_LEN];
	uint8_t			 hash[AUDIT_HASH_LEN];
	const char		*why = NULL;
	uint64_t		 seq;
	int64_t			 now = vaultd_wall_ms();
	int			 have, r;

	if (p->restored || p->st == NULL)
		return;
	if ((st = policy_state_new(p->pol)) == NULL)
		fatalx("budgets: out of memory");
	memset(snap, 0, sizeof(snap));
	memset(hash, 0, sizeof(hash));
	memset(&g, 0, sizeof(g));
	if ((r = load_file(vd, st, now, &seq, &have, snap, hash)) != 0)
		why = r == LOAD_FOREIGN ? "is of another vault (its audit "
		    "key)" : "does not parse";
	else
		r = replay(vd, &st, seq, have, snap, hash, now, &why, &g);
	if (why != NULL) {
		/* from the records alone, as with no file */
		log_warnx("budgets: %s/%s %s; the budgets are counted from "
		    "the audit log's records of their longest window",
		    vd->home, BUDGET_FILE, why);
		policy_state_free(st);
		if ((st = policy_state_new(p->pol)) == NULL)
			fatalx("budgets: out of memory");
		r = replay(vd, &st, 0, 0, snap, hash, now, &why, &g);
	}
	if (r < 0) {
		/*
		 * Counters that cannot be checked against the charges
		 * recorded are not trusted: no budget admits anything until
		 * an unlock reads the log (restored stays 0 till then, and
		 * no budgets file is written).
		 */
		policy_state_free(st);
		if ((st = policy_state_new(p->pol)) == NULL)
			fatalx("budgets: out of memory");
		policy_state_hold(st, INT64_MAX);
		snprintf(p->budget_why, sizeof(p->budget_why), "the audit log "
		    "could not be read to count their charges (make audit.log "
		    "and its segments readable, then lock and unlock the "
		    "vault)");
		log_warnx("budgets: %s; every budget admits nothing until "
		    "then", p->budget_why);
		goto out;
	}
	if (g.from != 0) {
		policy_state_hold(st, g.at_ms);
		snprintf(p->budget_why, sizeof(p->budget_why), "the audit log "
		    "has no records %llu to %llu (a segment removed?), whose "
		    "charges cannot be counted", (unsigned long long)g.from,
		    (unsigned long long)g.to);
		log_warnx("budgets: %s; every budget admits nothing while a "
		    "charge among them could still count (vaultctl status)",
		    p->budget_why);
	} else
		snprintf(p->budget_why, sizeof(p->budget_why), "an earlier "
		    "start found records missing from the audit log, whose "
		    "charges cannot be counted (vaultd's log said which)");
	p->restored = 1;
 out:
	policy_state_free(p->st);
	p->st = st;
	p->gen++;
}

/* The latest a budget is held until (policy_hold_each). */
static void
trouble_until(void *arg, uint32_t def, int64_t until_ms)
{
	int64_t	*most = arg;

	if (until_ms > *most)
		*most = until_ms;
}

void
vaultd_budget_trouble(const struct vaultd *vd, char *buf, size_t len)
{
	char	until[AUDIT_TIME_LEN + 1];
	int64_t	most = 0;

	buf[0] = '\0';
	policy_hold_each(vd->policy.st, vaultd_wall_ms(), trouble_until,
	    &most);
	if (most == 0)
		return;
	if (most == INT64_MAX ||
	    audit_time_format((time_t)(most / 1000), until) != 0)
		snprintf(buf, len, "budgets admit nothing: %s",
		    vd->policy.budget_why);
	else
		snprintf(buf, len, "budgets admit nothing until %s: %s", until,
		    vd->policy.budget_why);
}
