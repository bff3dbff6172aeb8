#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "common/child.h"
#include "common/log.h"

void
child_parse_args(const char *procname, int argc, char **argv,
    struct child_opts *o)
{
	char	*end;
	long	 n;
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->user = "nobody";
	while ((ch = getopt(argc, argv, "dTu:C:t:")) != -1) {
		switch (ch) {
		case 'd':
			o->verbose++;
			break;
		case 'T':
			o->testmode = 1;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'C':
			o->chroot_dir = optarg;
			break;
		case 't':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    n < 1 || n > 600)
				fatalx("-t %s: not a number of seconds 1-600",
				    optarg);
			o->timeout = (int)n;
			break;
		default:
			fprintf(stderr, "usage: %s [-dT] [-u user] [-C dir] "
			    "[-t seconds]\n"
			    "%s is started by vaultd, not by hand.\n",
			    procname, procname);
			exit(2);
		}
	}
	if (optind != argc)
		fatalx("unexpected argument %s", argv[optind]);
}

void
child_hello(struct chan *c, const char *procname)
{
	struct msg_w	w;
	struct msg	m;
	uint64_t	version;
	int		r;

	msg_begin(&w, MSG_HELLO_REQ, 0);
	msg_put_u64(&w, MSG_VERSION);
	msg_put_str(&w, procname);
	if ((r = chan_send(c, &w)) != 0)
		fatalx("hello: %s", cv_strerror(r));
	if ((r = chan_recv(c, &m)) != 0)
		fatalx("hello: %s", cv_strerror(r));
	if (m.type != MSG_HELLO_ANS)
		fatalx("hello: unexpected %s", msg_name(m.type));
	if ((r = msg_get_u64(&m.rd, &version)) != 0)
		fatalx("hello: %s", cv_strerror(r));
	if (version != MSG_VERSION)
		fatalx("hello: vaultd speaks version %llu, we speak %d",
		    (unsigned long long)version, MSG_VERSION);
	msg_clear(&m);
}

int
child_status_ans(struct chan *c, uint32_t id, const struct privsep_state *st)
{
	struct msg_w	w;

	msg_begin(&w, MSG_STATUS_ANS, id);
	msg_put_u64(&w, (uint64_t)getpid());
	msg_put_u64(&w, (uint64_t)st->uid);
	msg_put_bool(&w, st->chrooted);
	msg_put_bool(&w, st->netns);
	msg_put_bool(&w, st->mntns);
	msg_put_bool(&w, st->seccomp);
	return chan_queue(c, &w);
}

/* "vaultfile": can we read the vault file next to the -C directory? */
static int
child_probe_vaultfile(struct chan *c, uint32_t id, const char *dir)
{
	struct msg_w	w;
	char		path[PATH_MAX], text[512];	/* vaultd reads 511 */
	int		fd;

	if (dir == NULL)
		return msg_error_ans(c, id, CV_ERR_INVALID,
		    "the vaultfile probe needs -C");
	if ((size_t)snprintf(path, sizeof(path), "%s/../vault", dir) >=
	    sizeof(path))
		return msg_error_ans(c, id, CV_ERR_TOOLONG, "-C too long");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(text, sizeof(text), "open %.400s: %s", path,
		    strerror(errno));
		log_info("test probe vaultfile: %s", text);
		return msg_error_ans(c, id, CV_ERR_PERM, text);
	}
	close(fd);
	log_warnx("test probe vaultfile: %s opened", path);
	msg_begin(&w, MSG_PROBE_ANS, id);
	return chan_queue(c, &w);
}

int
child_probe(struct chan *c, struct msg *m, const struct child_opts *o)
{
	static const uint8_t	garbage[] = {
		0x00, 0x00, 0x00, 0x05, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1
	};
	static const uint8_t	oversize[] = { 0xff, 0xff, 0xff, 0xff };
	struct msg_w		w;
	char			kind[32];
	int			r;

	if (!o->testmode)
		fatalx("%s outside test mode", msg_name(m->type));
	if ((r = msg_get_strbuf(&m->rd, kind, sizeof(kind))) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	log_info("test probe: %s", kind);
	if (strcmp(kind, "vaultfile") == 0)
		return child_probe_vaultfile(c, m->id, o->chroot_dir);
	if (strcmp(kind, "open") == 0)
		(void)syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	else if (strcmp(kind, "openw") == 0)
		(void)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY);
	else if (strcmp(kind, "socket") == 0)
		(void)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	else if (strcmp(kind, "fork") == 0) {
		/* A new process, not a thread; should it live, it ends. */
		if (syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0) == 0)
			_exit(0);
	} else if (strcmp(kind, "execve") == 0)
		(void)syscall(SYS_execve, "/bin/sh", NULL, NULL);
	else if (strcmp(kind, "ptrace") == 0)
		(void)syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL);
	else if (strcmp(kind, "garbage") == 0)
		(void)!write(c->fd, garbage, sizeof(garbage));
	else if (strcmp(kind, "oversize") == 0)
		(void)!write(c->fd, oversize, sizeof(oversize));
	else if (strcmp(kind, "forgesign") == 0) {
		/* a wallet signature for a call vaultd never gave us */
		msg_begin(&w, MSG_NET_SIGN_REQ, 0x7ffffff0);
		msg_put_u64(&w, 0x7ffffff0);
		msg_put_u64(&w, 1);		/* CATALOG_L1 */
		msg_put_str(&w, "POST");
		msg_put_str(&w, "/auth/api-key");
		msg_put_bin(&w, "", 0);
		msg_put_u64(&w, 0);
		if ((r = chan_queue(c, &w)) != 0)
			return r;
	} else
		fatalx("unknown probe %s", kind);
	/* Still alive: the probe was not forbidden.  Say so. */
	log_warnx("test probe %s: still alive", kind);
	msg_begin(&w, MSG_PROBE_ANS, m->id);
	return chan_queue(c, &w);
}

void
child_loop(struct chan *c,
    void (*dispatch)(struct chan *, struct msg *, void *), void *arg)
{
	struct msg	m;
	int		r;

	for (;;) {
		r = chan_next(c, &m);
		if (r == CV_ERR_AGAIN) {
			if ((r = chan_flush(c)) != 0)
				fatalx("write to vaultd: %s", cv_strerror(r));
			if ((r = chan_fill(c)) == CV_ERR_EOF)
				return;
			if (r != 0)
				fatalx("read from vaultd: %s", cv_strerror(r));
			continue;
		}
		if (r != 0)
			fatalx("malformed message from vaultd: %s",
			    cv_strerror(r));
		dispatch(c, &m, arg);
		msg_clear(&m);
	}
}

int
child_common(struct chan *c, struct msg *m, const struct child_opts *o,
    const struct privsep_state *st)
{
	int	r;

	switch (m->type) {
	case MSG_STATUS_REQ:
		r = child_status_ans(c, m->id, st);
		break;
	case MSG_PROBE_REQ:
		r = child_probe(c, m, o);
		break;
	default:
		return 0;
	}
	if (r != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	return 1;
}
