/*
 * Helpers for integration tests: a temporary CLOBVAULT_HOME, the real
 * vaultd started from $CLOBVAULT_BUILD, and the control protocol spoken
 * directly.  Header-only so each test program stays one file.
 */
#ifndef CV_TESTS_IT_H
#define CV_TESTS_IT_H

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "common/msg.h"

struct it_proc {
	char		name[16], state[16], last_exit[160];
	uint64_t	pid, uptime, restarts, uid;
	int64_t		seccomp, nnp;
	int		chroot, netns, mntns;
};

struct it {
	char	home[48];
	char	build[256];
	char	log[128];
	char	sock[100];
	pid_t	vaultd;
};

static inline int64_t
it_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void
it_sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A fresh home; the build directory from $CLOBVAULT_BUILD. */
static inline void
it_init(struct it *t)
{
	const char	*b = getenv("CLOBVAULT_BUILD");

	memset(t, 0, sizeof(*t));
	snprintf(t->build, sizeof(t->build), "%s", b ? b : "build");
	snprintf(t->home, sizeof(t->home), "/tmp/cvit.XXXXXX");
	if (mkdtemp(t->home) == NULL)
		abort();
	snprintf(t->log, sizeof(t->log), "%s.log", t->home);
	snprintf(t->sock, sizeof(t->sock), "%s/run/control.sock", t->home);
	setenv("CLOBVAULT_HOME", t->home, 1);
}

/*
 * A MSG_CTL_HEADERS_REQ begun in w: the headers of level (1 L1, 2 L2)
 * for method and path of account, no body, nonce 0, no flags.
 */
static inline void
it_headers_req(struct msg_w *w, uint32_t id, const char *account,
    uint64_t level, const char *method, const char *path)
{
	msg_begin(w, MSG_CTL_HEADERS_REQ, id);
	msg_put_str(w, account);
	msg_put_u64(w, level);
	msg_put_str(w, method);
	msg_put_str(w, path);
	msg_put_bin(w, "", 0);
	msg_put_u64(w, 0);
	msg_put_u64(w, 0);
}

/* Connect to the control socket and shake hands; -1 if nobody answers. */
static inline int
it_connect(struct it *t, struct chan *c)
{
	struct sockaddr_un	sun;
	struct msg_w		w;
	struct msg		m;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", t->sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	chan_init(c, fd);
	msg_begin(&w, MSG_CTL_HELLO_REQ, 1);
	msg_put_u64(&w, MSG_VERSION);
	if (chan_send(c, &w) != 0 || chan_recv(c, &m) != 0) {
		chan_free(c);
		return -1;
	}
	msg_clear(&m);
	return 0;
}

/*
 * The answer to a control request, as chan_recv, past the MSG_CTL_WAIT
 * vaultd sends before it when the request derives a key.
 */
static inline int
it_recv_answer(struct chan *c, struct msg *m)
{
	int	r;

	while ((r = chan_recv(c, m)) == 0 && m->type == MSG_CTL_WAIT)
		msg_clear(m);
	return r;
}

/*
 * Send the control request w (finished here, and freed) on a connection
 * of its own, again while vaultd answers "retry" (busy a moment with a
 * checkpoint: vaultctl retries too), for up to 5 s.  0 for an answer of
 * type want, its code (and text) for an error, CV_ERR_MSG_TYPE for an
 * answer of another type, CV_ERR_IO if the connection failed.
 */
static inline int
it_ctl_frame(struct it *t, struct msg_w *w, uint32_t want, char *text,
    size_t len)
{
	struct chan	ch;
	struct msgbuf	b = { 0 };
	struct msg	m;
	int64_t		start = it_ms();
	int		code = CV_ERR_IO;

	text[0] = '\0';
	if (msg_finish(w) != 0 || it_connect(t, &ch) != 0) {
		msg_w_free(w);
		return CV_ERR_IO;
	}
	for (;;) {
		code = CV_ERR_IO;
		if (msgbuf_add(&b, w->buf.data, w->buf.len) != 0 ||
		    chan_queue_buf(&ch, &b) != 0 || chan_flush(&ch) != 0 ||
		    it_recv_answer(&ch, &m) != 0)
			break;
		code = m.type == want ? 0 : CV_ERR_MSG_TYPE;
		if (m.type == MSG_ERROR_ANS &&
		    msg_get_error(&m, &code, text, len) != 0)
			code = CV_ERR_IO;
		msg_clear(&m);
		if (code != CV_ERR_AGAIN || it_ms() - start >= 5000)
			break;
		it_sleep_ms(50);
	}
	msg_w_free(w);
	chan_free(&ch);
	return code;
}

/* Query status; fills procs[3] (vaultd, signerd, netd).  0 on success. */
static inline int
it_status(struct it *t, struct it_proc *procs)
{
	struct chan	c;
	struct msg_w	w;
	struct msg	m;
	struct msg_rd	list, rd;
	char		home[256], vault[16];
	int		testmode, r = -1;
	uint32_t	i;

	if (it_connect(t, &c) != 0)
		return -1;
	msg_begin(&w, MSG_CTL_STATUS_REQ, 2);
	if (chan_send(&c, &w) != 0 || chan_recv(&c, &m) != 0)
		goto out;
	if (m.type != MSG_CTL_STATUS_ANS ||
	    msg_get_strbuf(&m.rd, home, sizeof(home)) != 0 ||
	    msg_get_bool(&m.rd, &testmode) != 0 ||
	    msg_get_strbuf(&m.rd, vault, sizeof(vault)) != 0 ||
	    msg_get_array(&m.rd, &list, 3) != 0 || list.n != 3)
		goto clear;
	for (i = 0; i < 3; i++) {
		struct it_proc *p = &procs[i];

		if (msg_get_array(&list, &rd, 12) != 0 ||
		    msg_get_strbuf(&rd, p->name, sizeof(p->name)) != 0 ||
		    msg_get_u64(&rd, &p->pid) != 0 ||
		    msg_get_u64(&rd, &p->uptime) != 0 ||
		    msg_get_u64(&rd, &p->restarts) != 0 ||
		    msg_get_strbuf(&rd, p->state, sizeof(p->state)) != 0 ||
		    msg_get_i64(&rd, &p->seccomp) != 0 ||
		    msg_get_i64(&rd, &p->nnp) != 0 ||
		    msg_get_u64(&rd, &p->uid) != 0 ||
		    msg_get_bool(&rd, &p->chroot) != 0 ||
		    msg_get_bool(&rd, &p->netns) != 0 ||
		    msg_get_bool(&rd, &p->mntns) != 0 ||
		    msg_get_strbuf(&rd, p->last_exit,
		    sizeof(p->last_exit)) != 0)
			goto clear;
	}
	r = 0;
 clear:
	msg_clear(&m);
 out:
	chan_free(&c);
	return r;
}

/*
 * Wait until both children report up with pids other than the ones
 * given (0: any).  Returns the milliseconds it took, -1 on time-out.
 */
static inline int
it_wait_up(struct it *t, struct it_proc *procs, uint64_t not_signerd,
    uint64_t not_netd, int timeout_ms)
{
	int64_t	start = it_ms();

	while (it_ms() - start < timeout_ms) {
		if (it_status(t, procs) == 0 &&
		    strcmp(procs[1].state, "up") == 0 &&
		    strcmp(procs[2].state, "up") == 0 && procs[1].pid != 0 &&
		    procs[2].pid != 0 && procs[1].pid != not_signerd &&
		    procs[2].pid != not_netd)
			return (int)(it_ms() - start);
		it_sleep_ms(20);
	}
	return -1;
}

/*
 * Run vaultd -f with up to three extra arguments (NULL ends them), its
 * standard error appended to t->log; -1 if it cannot fork.
 */
static inline int
it_spawn(struct it *t, const char *a1, const char *a2, const char *a3)
{
	char	path[300];
	int	fd;

	snprintf(path, sizeof(path), "%s/vaultd", t->build);
	if ((t->vaultd = fork()) == -1)
		return -1;
	if (t->vaultd == 0) {
		fd = open(t->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd == -1)
			_exit(126);
		dup2(fd, STDERR_FILENO);
		execl(path, "vaultd", "-f", a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	return 0;
}

/* Start vaultd -f with up to three extra arguments (NULL ends them). */
static inline int
it_start_args(struct it *t, const char *a1, const char *a2, const char *a3)
{
	struct it_proc	procs[3];

	if (it_spawn(t, a1, a2, a3) != 0)
		return -1;
	return it_wait_up(t, procs, 0, 0, 5000) < 0 ? -1 : 0;
}

/* Start vaultd -f with extra args; wait for both children.  0 on success. */
static inline int
it_start(struct it *t, const char *arg1, const char *arg2)
{
	return it_start_args(t, arg1, arg2, NULL);
}

/*
 * The number after "key:" in /proc/PID/status (Seccomp, Uid, VmHWM in
 * kB, ...), -1 if there is no such line or no such process.
 */
static inline long
it_proc_field(uint64_t pid, const char *key)
{
	char	 path[64], line[256];
	size_t	 k = strlen(key);
	long	 v = -1;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%llu/status",
	    (unsigned long long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, k) == 0 && line[k] == ':')
			v = strtol(line + k + 1, NULL, 10);
	fclose(f);
	return v;
}

/* 1 if vaultd's log contains s. */
static inline int
it_log_has(struct it *t, const char *s)
{
	char	 buf[65536];
	size_t	 n;
	FILE	*f;

	if ((f = fopen(t->log, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, s) != NULL;
}

/* SIGTERM vaultd; its exit status, or -1 if it is not gone in ms. */
static inline int
it_stop(struct it *t, int ms)
{
	int64_t	start = it_ms();
	int	status;
	pid_t	p;

	if (t->vaultd <= 0)
		return 0;
	kill(t->vaultd, SIGTERM);
	while (it_ms() - start < ms) {
		p = waitpid(t->vaultd, &status, WNOHANG);
		if (p == t->vaultd) {
			t->vaultd = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		}
		it_sleep_ms(10);
	}
	return -1;
}

/* SIGKILL vaultd, no clean stop: what a crash leaves (its socket gone). */
static inline void
it_kill(struct it *t)
{
	kill(t->vaultd, SIGKILL);
	waitpid(t->vaultd, NULL, 0);
	t->vaultd = 0;
	unlink(t->sock);
}

/* Stop whatever is left and remove the home. */
static inline void
it_cleanup(struct it *t)
{
	char	cmd[300];

	if (t->vaultd > 0 && it_stop(t, 5000) == -1) {
		kill(t->vaultd, SIGKILL);
		waitpid(t->vaultd, NULL, 0);
	}
	if (getenv("IT_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", t->home, t->log);
		(void)!system(cmd);
	}
}

/* Run a command, capturing stdout into out; returns its exit status. */
static inline int
it_run(char *out, size_t outlen, const char *cmd)
{
	FILE	*f;
	size_t	 n = 0;
	int	 st;

	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	if (out != NULL) {
		n = fread(out, 1, outlen - 1, f);
		out[n] = '\0';
	} else {
		char buf[4096];
		while (fread(buf, 1, sizeof(buf), f) > 0)
			;
	}
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Run vaultctl with args (a printf format), standard input from the bytes
 * in, output (stdout and stderr) into out.  Returns the exit status.
 */
static inline int
it_ctl(struct it *t, const char *in, char *out, size_t outlen,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static inline int
it_ctl(struct it *t, const char *in, char *out, size_t outlen,
    const char *fmt, ...)
{
	char	 args[2048], cmd[4096], inpath[128];
	va_list	 ap;
	FILE	*f;
	int	 r;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(inpath, sizeof(inpath), "%s.stdin", t->home);
	if ((f = fopen(inpath, "w")) == NULL)
		return -1;
	if (in != NULL)
		fputs(in, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/vaultctl %s <%s 2>&1", t->build, args,
	    inpath);
	r = it_run(out, outlen, cmd);
	unlink(inpath);
	return r;
}

/*
 * Start vaultctl with args in a child while the test goes on, standard
 * input empty, its output (stdout and stderr) into outpath.  The pid to
 * wait for, whose exit status is vaultctl's; -1 if it cannot start.
 */
static inline pid_t
it_ctl_spawn(struct it *t, const char *outpath, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline pid_t
it_ctl_spawn(struct it *t, const char *outpath, const char *fmt, ...)
{
	char	 args[2048], cmd[4096];
	va_list	 ap;
	pid_t	 pid;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "exec %s/vaultctl %s </dev/null >%s 2>&1",
	    t->build, args, outpath);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/*
 * A test CA and a server certificate for 127.0.0.1 it signed, made with
 * openssl(1) in dir: ca.pem (readable by all, as vaultd wants a CA
 * file), server.pem, server.key; with pin, the
 * server key's public key pin in the file pin as well.  0, or -1.
 */
static inline int
it_make_ca(const char *dir, const char *cn, int pin)
{
	char	cmd[1536];

	snprintf(cmd, sizeof(cmd), "(cd %s && printf '%%s\\n' "
	    "subjectAltName=IP:127.0.0.1 basicConstraints=critical,CA:FALSE "
	    "extendedKeyUsage=serverAuth >ext && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
	    "-nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=%s "
	    "-addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,keyCertSign && "
	    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
	    "-nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 && "
	    "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
	    "-set_serial 7 -days 1 -extfile ext -out server.pem && "
	    "chmod a+r ca.pem%s) "
	    ">/dev/null 2>&1", dir, cn, pin ? " && "
	    "openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin "
	    "-outform der | openssl dgst -sha256 -binary | openssl enc -base64 "
	    ">pin" : "");
	return system(cmd) == 0 ? 0 : -1;
}

/* Write s to path with mode. */
static inline void
it_write(const char *path, const char *s, mode_t mode)
{
	FILE	*f;

	unlink(path);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs(s, f);
	fclose(f);
	chmod(path, mode);
}

/* Read a whole file into a malloc'd buffer; NULL if absent. */
static inline char *
it_slurp(const char *path, size_t *len)
{
	struct stat	 st;
	char		*buf;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (fstat(fileno(f), &st) == -1 ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, (size_t)st.st_size, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

#endif
