/*
 * The daemons as bench_path meets them: vaultd started with arguments
 * it may refuse (the refusal kept, to be printed), the resident memory
 * of the three daemons, and a test exchange over HTTPS with a CA of
 * its own for an exchange call through netd.  Header-only so each
 * benchmark stays one file.
 */
#ifndef CV_BENCH_DAEMONS_H
#define CV_BENCH_DAEMONS_H

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <sodium.h>

#include "common/encode.h"
#include "tests/bench/bench_lib.h"
#include "tests/it.h"
#include "tests/testexchange/tx_test.h"

#define DMN_ERR		256		/* bytes of a reason kept */
#define DMN_REASON	120		/* of them printed */
#define DMN_INVITE	"INV-BENCH-0001"

/* The resident memory of vaultd, signerd and netd, KiB, at one moment. */
struct dmn_mem {
	long	rss[3], pss[3];
	int	ok;
	char	err[DMN_ERR];
};

/* CPU time used, seconds. */
struct dmn_cpu {
	double	user, sys;
};

/* A test exchange on https://127.0.0.1 and the files of its CA. */
struct dmn_tx {
	struct txt	tx;
	char		dir[64], ca[128], cert[128], key[128];
	int		started;
};

/*
 * The first line of text into out, at most DMN_REASON bytes of it
 * ("..." when cut): a reason short enough for a row.
 */
static inline void
dmn_reason(const char *text, char *out, size_t len)
{
	size_t	n = strcspn(text, "\n");

	if (n > DMN_REASON)
		snprintf(out, len, "%.*s...", DMN_REASON, text);
	else
		snprintf(out, len, "%.*s", (int)n, text);
}

/*
 * Start vaultd -f with up to two extra arguments (NULL ends them) and
 * wait until its children are up.  0, or -1 with the reason in err:
 * vaultd's own words when it exits (an argument refused), else a
 * time-out.
 */
static inline int
dmn_start(struct it *t, const char *a1, const char *a2, char *err,
    size_t errlen)
{
	struct it_proc	 procs[3];
	char		*log;
	size_t		 n;
	int		 i;

	if (it_spawn(t, a1, a2, NULL) != 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < 100; i++) {
		if (waitpid(t->vaultd, NULL, WNOHANG) == t->vaultd) {
			t->vaultd = 0;
			if ((log = it_slurp(t->log, &n)) == NULL)
				snprintf(err, errlen, "vaultd exited");
			else
				dmn_reason(log, err, errlen);
			free(log);
			return -1;
		}
		if (it_wait_up(t, procs, 0, 0, 100) >= 0)
			return 0;
	}
	snprintf(err, errlen, "vaultd did not come up in 10 s (log %s)",
	    t->log);
	return -1;
}

/*
 * On standard error, what vaultd's log says of its children ending or
 * failing (at most 10 lines): why a run through the path broke off.
 */
static inline void
dmn_log_show(struct it *t)
{
	FILE	*f;
	char	 line[512];
	int	 n = 0;

	if ((f = fopen(t->log, "r")) == NULL)
		return;
	while (n < 10 && fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, " (pid ") != NULL ||
		    strstr(line, "fatal") != NULL) {
			fprintf(stderr, "  vaultd's log: %s", line);
			n++;
		}
	fclose(f);
}

/* pid's user and system CPU time so far; -1 if it cannot be read. */
static inline int
dmn_cpu_pid(uint64_t pid, struct dmn_cpu *c)
{
	unsigned long long	 ut, st;
	double			 hz = (double)sysconf(_SC_CLK_TCK);

	c->user = c->sys = 0;
	if (bench_proc_cpu(pid, &ut, &st) != 0)
		return -1;
	c->user = (double)ut / hz;
	c->sys = (double)st / hz;
	return 0;
}

/* This process's user and system CPU time so far, all its threads. */
static inline void
dmn_cpu_self(struct dmn_cpu *c)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	c->user = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	c->sys = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Rss and Pss of pid in KiB from /proc/PID/smaps_rollup. */
static inline int
dmn_mem_pid(uint64_t pid, long *rss, long *pss)
{
	FILE	*f;
	char	 path[64], line[256];

	*rss = *pss = -1;
	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/smaps_rollup", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "Rss: %ld kB", rss) == 1)
			continue;
		(void)sscanf(line, "Pss: %ld kB", pss);
	}
	fclose(f);
	return *rss >= 0 && *pss >= 0 ? 0 : -1;
}

/* The three daemons' memory now. */
static inline void
dmn_mem(struct it *t, struct dmn_mem *m)
{
	struct it_proc	procs[3];
	int		i;

	memset(m, 0, sizeof(*m));
	if (it_status(t, procs) != 0) {
		snprintf(m->err, sizeof(m->err), "no status from vaultd");
		return;
	}
	for (i = 0; i < 3; i++)
		if (dmn_mem_pid(procs[i].pid, &m->rss[i], &m->pss[i]) != 0) {
			snprintf(m->err, sizeof(m->err), "/proc/%" PRIu64
			    "/smaps_rollup (%s): %s", procs[i].pid,
			    procs[i].name, strerror(errno));
			return;
		}
	m->ok = 1;
}

static inline long
dmn_mem_total(const struct dmn_mem *m, int pss)
{
	const long	*v = pss ? m->pss : m->rss;

	return v[0] + v[1] + v[2];
}

/* One line: each daemon's RSS/PSS and the sums, in MiB. */
static inline void
dmn_mem_print(const char *when, const struct dmn_mem *m)
{
	printf("  %-34s", when);
	if (!m->ok) {
		printf(" not available: %s\n", m->err);
		return;
	}
	printf(" %5.1f/%-5.1f %5.1f/%-5.1f %5.1f/%-5.1f %6.1f %6.1f\n",
	    m->rss[0] / 1024.0, m->pss[0] / 1024.0, m->rss[1] / 1024.0,
	    m->pss[1] / 1024.0, m->rss[2] / 1024.0, m->pss[2] / 1024.0,
	    dmn_mem_total(m, 0) / 1024.0, dmn_mem_total(m, 1) / 1024.0);
}

/*
 * A CA and a certificate for 127.0.0.1 (openssl, as the integration
 * tests make them), and an openfish test exchange serving HTTPS with
 * them and accepting DMN_INVITE.  0, or -1 with the reason in err.
 */
static inline int
dmn_tx_start(struct dmn_tx *x, char *err, size_t errlen)
{
	const char	*extra[7];

	memset(x, 0, sizeof(*x));
	snprintf(x->dir, sizeof(x->dir), "/tmp/cvbench-ca.XXXXXX");
	if (mkdtemp(x->dir) == NULL) {
		snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	snprintf(x->ca, sizeof(x->ca), "%s/ca.pem", x->dir);
	snprintf(x->cert, sizeof(x->cert), "%s/server.pem", x->dir);
	snprintf(x->key, sizeof(x->key), "%s/server.key", x->dir);
	if (it_make_ca(x->dir, "cvbench-ca", 0) != 0) {
		snprintf(err, errlen, "openssl could not make a CA");
		return -1;
	}
	extra[0] = "--tls-cert";
	extra[1] = x->cert;
	extra[2] = "--tls-key";
	extra[3] = x->key;
	extra[4] = "--invite";
	extra[5] = DMN_INVITE;
	extra[6] = NULL;
	if (txt_start_argv(&x->tx, "openfish", extra) != 0) {
		snprintf(err, errlen, "testexchange did not start");
		return -1;
	}
	x->started = 1;
	return 0;
}

static inline void
dmn_tx_cleanup(struct dmn_tx *x)
{
	char	cmd[128];

	if (x->started)
		txt_cleanup(&x->tx);
	x->started = 0;
	if (x->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
		(void)!system(cmd);
		x->dir[0] = '\0';
	}
}

/*
 * Give the vaultd of t what a trader's vault holds: a vault (passphrase
 * in passfile), an openfish account, a generated wallet, and the API
 * credential api_key whose secret is base64url of 32 random bytes.  0,
 * or -1 with the reason in err.
 */
static inline int
dmn_vault(struct it *t, const char *passfile, const char *account,
    const char *api_key, const char *passphrase, char *err, size_t errlen)
{
	uint8_t	 raw[32];
	char	 secret[B64_ENCODED_SIZE(32)], json[256], out[4096];
	int	 r = -1;

	randombytes_buf(raw, sizeof(raw));
	if (b64url_encode(raw, sizeof(raw), secret, sizeof(secret)) != 0) {
		snprintf(err, errlen, "cannot encode a secret");
		goto out;
	}
	snprintf(json, sizeof(json), "{\"apiKey\":\"%s\",\"secret\":\"%s\","
	    "\"passphrase\":\"%s\"}", api_key, secret, passphrase);
	out[0] = '\0';
	if (it_ctl(t, NULL, out, sizeof(out), "init --passphrase-file %s "
	    "--kdf interactive", passfile) != 0 ||
	    it_ctl(t, NULL, out, sizeof(out), "account add %s "
	    "--profile openfish", account) != 0 ||
	    it_ctl(t, NULL, out, sizeof(out), "wallet generate --account %s",
	    account) != 0 ||
	    it_ctl(t, json, out, sizeof(out), "apikey import --account %s",
	    account) != 0) {
		snprintf(err, errlen, "vault set-up failed: %s", out);
		goto out;
	}
	r = 0;
 out:
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(json, sizeof(json));
	return r;
}

/* Queue MSG_CTL_HEADERS_REQ [account, level, method, path, body, nonce]. */
static inline int
dmn_headers_req(struct chan *c, uint32_t id, const char *account,
    uint64_t level, const char *method, const char *path,
    const uint8_t *body, size_t bodylen)
{
	struct msg_w	w;

	msg_begin(&w, MSG_CTL_HEADERS_REQ, id);
	msg_put_str(&w, account);
	msg_put_u64(&w, level);
	msg_put_str(&w, method);
	msg_put_str(&w, path);
	msg_put_bin(&w, body != NULL ? body : (const uint8_t *)"", bodylen);
	msg_put_u64(&w, 0);
	msg_put_u64(&w, 0);		/* flags */
	return chan_queue(c, &w);
}

/*
 * 0 for a header set of nheaders, CV_ERR_AGAIN when vaultd is busy,
 * anything else a failure (said on standard error: "who what refused").
 */
static inline int
dmn_headers_ans(struct msg *m, size_t nheaders, const char *who,
    const char *what)
{
	struct msg_rd	 list;
	const char	*text;
	size_t		 len;
	int64_t		 code;
	int		 r;

	if (m->type == MSG_CTL_HEADERS_ANS) {
		if ((r = msg_get_array(&m->rd, &list, 16)) != 0)
			return r;
		return list.n == nheaders ? 0 : CV_ERR_MSG_COUNT;
	}
	if (m->type != MSG_ERROR_ANS)
		return CV_ERR_MSG_STATE;
	if ((r = msg_get_i64(&m->rd, &code)) != 0 ||
	    (r = msg_get_str(&m->rd, &text, &len, MSG_MAX_STR)) != 0)
		return r;
	if (code == CV_ERR_AGAIN)
		return CV_ERR_AGAIN;
	fprintf(stderr, "%s %s refused: %.*s\n", who, what, (int)len, text);
	return code < 0 && code > -1000 ? (int)code : CV_ERR_INTERNAL;
}

/*
 * Pipelined requests on one connection: window in flight; a request
 * vaultd answered CV_ERR_AGAIN (too busy) is held and goes again after
 * the next good answer, or after 1 ms of silence.  queue sends one more
 * request; answer says 0, CV_ERR_AGAIN or a failure.
 */
struct dmn_pipe {
	struct chan	*c;
	int		 window;
	int		(*queue)(void *);
	int		(*answer)(struct msg *, void *);
	void		*arg;
	int		 inflight, held, release;
	uint64_t	 ok, again;
};

/*
 * One turn: top the window up (while running), send, wait up to 1 ms,
 * read every answer.  0 to go on, 1 once not running and nothing is in
 * flight, else the failure.
 */
static inline int
dmn_pipe_turn(struct dmn_pipe *p, int running)
{
	struct pollfd	pfd;
	struct msg	m;
	int		r;

	for (; running && p->inflight + p->held < p->window; p->inflight++)
		if ((r = p->queue(p->arg)) != 0)
			return r;
	for (; running && p->release && p->held > 0; p->held--, p->inflight++)
		if ((r = p->queue(p->arg)) != 0)
			return r;
	p->release = 0;
	if ((r = chan_flush(p->c)) != 0 && r != CV_ERR_AGAIN)
		return r;
	if (!running && p->inflight == 0)
		return 1;
	pfd.fd = p->c->fd;
	pfd.events = POLLIN | (chan_pending(p->c) ? POLLOUT : 0);
	if ((r = poll(&pfd, 1, 1)) == -1)
		return errno == EINTR ? 0 : CV_ERR_IO;
	if (r == 0) {
		p->release = 1;
		return 0;
	}
	if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	if ((r = chan_fill(p->c)) != 0)
		return r;
	while ((r = chan_next(p->c, &m)) == 0) {
		r = p->answer(&m, p->arg);
		msg_clear(&m);
		p->inflight--;
		if (r == 0) {
			p->ok++;
			p->release = 1;
		} else if (r == CV_ERR_AGAIN) {
			p->again++;
			p->held++;
		} else
			return r;
	}
	return r == CV_ERR_AGAIN ? 0 : r;
}

#endif
