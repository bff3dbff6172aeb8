/*
 * vaultd's configuration file, vaultd.conf(5): reading it (conf_load),
 * what each key's value may be (conf_set, called by the grammar in
 * conf.y), its errors; then the settings vaultd starts with, the
 * command line's over the file's over the defaults (conf_settle), and
 * the checks of what they name: users, the socket group, the home.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common/log.h"
#include "common/secret_io.h"
#include "vaultd/vaultd.h"

/* log-max-size: vaultd.log past this is renamed vaultd.log.1 */
#define LOG_MAX_DEFAULT		(64ULL << 20)
#define LOG_MAX_MIN		(4ULL << 10)
#define LOG_MAX_MAX		(1ULL << 40)

static const char *const key_names[CONF_NKEYS] = {
	[CONF_HOME] = "home",
	[CONF_USER] = "user",
	[CONF_SOCKET_GROUP] = "socket-group",
	[CONF_LOG_LEVEL] = "log-level",
	[CONF_LOG_FILE] = "log-file",
	[CONF_AUDIT_SEGMENT_SIZE] = "audit-segment-size",
	[CONF_GATEWAY] = "gateway",
	[CONF_LOG_MAX_SIZE] = "log-max-size",
	[CONF_CPU_LATENCY] = "cpu-latency",
};

const char *
conf_key_name(enum conf_key k)
{
	return k < CONF_NKEYS ? key_names[k] : "?";
}

void
conf_error(struct vaultd_conf *c, int line, int col, const char *fmt, ...)
{
	va_list	ap;

	if (c->nerrs == VAULTD_CONF_ERRS) {
		c->more = 1;
		return;
	}
	c->errs[c->nerrs].line = line;
	c->errs[c->nerrs].col = col;
	va_start(ap, fmt);
	vsnprintf(c->errs[c->nerrs].msg, sizeof(c->errs[0].msg), fmt, ap);
	va_end(ap);
	c->nerrs++;
}

void
conf_print_errors(const struct vaultd_conf *c, FILE *f)
{
	const char	*path = c->path[0] != '\0' ? c->path : "vaultd.conf";
	size_t		 i;

	for (i = 0; i < c->nerrs; i++) {
		if (c->errs[i].line > 0)
			fprintf(f, "%s:%d:%d: %s\n", path, c->errs[i].line,
			    c->errs[i].col, c->errs[i].msg);
		else
			fprintf(f, "%s: %s\n", path, c->errs[i].msg);
	}
	if (c->more)
		fprintf(f, "%s: more errors than these %d\n", path,
		    VAULTD_CONF_ERRS);
}

/* An absolute path without "." or ".." components, under max bytes. */
static const char *
path_bad(const char *v, size_t max)
{
	const char	*p;

	if (v[0] != '/')
		return "must be an absolute path";
	if (strlen(v) >= max)
		return "is too long";
	for (p = v; (p = strchr(p, '/')) != NULL; p++)
		if ((p[1] == '.' && (p[2] == '/' || p[2] == '\0')) ||
		    (p[1] == '.' && p[2] == '.' && (p[3] == '/' ||
		    p[3] == '\0')))
			return "must not hold . or .. components";
	return NULL;
}

/* A user or group name as useradd(8) makes them. */
static int
name_ok(const char *v)
{
	size_t	i, n = strlen(v);

	if (n == 0 || n > VAULTD_NAME_MAX || v[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		    (v[i] >= 'A' && v[i] <= 'Z') ||
		    (v[i] >= '0' && v[i] <= '9') ||
		    v[i] == '_' || v[i] == '-' || v[i] == '.' ||
		    (v[i] == '$' && i == n - 1)))
			return 0;
	return 1;
}

/* Bytes with an optional K, M or G (powers of 1024); 0 if malformed. */
static uint64_t
size_value(const char *v)
{
	uint64_t	n = 0;
	size_t		i;
	int		shift = 0;

	for (i = 0; v[i] >= '0' && v[i] <= '9'; i++) {
		if (i == 13)
			return 0;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	if (i == 0)
		return 0;
	switch (v[i]) {
	case '\0':
		return n;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	default:
		return 0;
	}
	if (v[i + 1] != '\0' || n > (UINT64_MAX >> shift))
		return 0;
	return n << shift;
}

/*
 * 127.0.0.1:PORT or [::1]:PORT.  Anything else is refused, and an
 * address that is not loopback says why.
 */
const char *
conf_gateway_bad(const char *v)
{
	const char	*colon = strrchr(v, ':'), *port;
	size_t		 alen, i;
	unsigned long	 p;

	if (colon == NULL || colon == v || colon[1] == '\0')
		return "must be ADDRESS:PORT (127.0.0.1:PORT or [::1]:PORT)";
	port = colon + 1;
	alen = (size_t)(colon - v);
	for (i = 0; port[i] != '\0'; i++)
		if (port[i] < '0' || port[i] > '9' || i == 5)
			return "needs a port from 0 to 65535";
	p = strtoul(port, NULL, 10);
	/* 0: the kernel chooses; run/gateway.addr says which */
	if (p > 65535)
		return "needs a port from 0 to 65535";
	if ((alen == 9 && memcmp(v, "127.0.0.1", 9) == 0) ||
	    (alen == 5 && memcmp(v, "[::1]", 5) == 0))
		return NULL;
	return "is not a loopback address: only 127.0.0.1 and [::1] may be "
	    "used, since any other would need TLS and client certificates, "
	    "which vaultd does not have";
}

int
conf_cpu_latency(const char *v)
{
	int	n = 0;
	size_t	i;

	for (i = 0; v[i] >= '0' && v[i] <= '9'; i++) {
		if (i == 7)
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	if (i == 0 || v[i] != '\0' || n > VAULTD_CPU_LATENCY_MAX)
		return -1;
	return n;
}

void
conf_set(struct vaultd_conf *c, enum conf_key k, int kline, int kcol,
    const char *v, int vline, int vcol)
{
	const char	*why = NULL;
	uint64_t	 n;
	size_t		 i;

	if (k != CONF_GATEWAY && c->line_of[k] != 0) {
		conf_error(c, kline, kcol, "%s is set twice (first at line %d)",
		    key_names[k], c->line_of[k]);
		return;
	}
	switch (k) {
	case CONF_HOME:
		if ((why = path_bad(v, VAULTD_HOME_MAX + 1)) == NULL)
			snprintf(c->home, sizeof(c->home), "%s", v);
		else if (strcmp(why, "is too long") == 0)
			why = "is too long for the control socket's path (at "
			    "most 90 bytes)";
		break;
	case CONF_USER:
		if (!name_ok(v))
			why = "is not a user name";
		else
			snprintf(c->user, sizeof(c->user), "%s", v);
		break;
	case CONF_SOCKET_GROUP:
		if (!name_ok(v))
			why = "is not a group name";
		else
			snprintf(c->group, sizeof(c->group), "%s", v);
		break;
	case CONF_LOG_LEVEL:
		if (strcmp(v, "info") == 0)
			c->debug = 0;
		else if (strcmp(v, "debug") == 0)
			c->debug = 1;
		else
			why = "must be info or debug";
		break;
	case CONF_LOG_FILE:
		if ((why = path_bad(v, sizeof(c->log_file))) == NULL)
			snprintf(c->log_file, sizeof(c->log_file), "%s", v);
		break;
	case CONF_AUDIT_SEGMENT_SIZE:
		if ((n = size_value(v)) == 0)
			why = "must be a number of bytes, with K, M or G for "
			    "KiB, MiB or GiB";
		else if (n < VAULTD_SEG_MIN || n > VAULTD_SEG_MAX)
			why = "must be from 64K to 1024G";
		else
			c->seg_size = n;
		break;
	case CONF_LOG_MAX_SIZE:
		/* "0" is no limit; size_value reads anything malformed as 0 */
		if (strcmp(v, "0") == 0)
			c->log_max = 0;
		else if ((n = size_value(v)) == 0)
			why = "must be a number of bytes, with K, M or G for "
			    "KiB, MiB or GiB (0: no limit)";
		else if (n < LOG_MAX_MIN || n > LOG_MAX_MAX)
			why = "must be 0 (no limit) or from 4K to 1024G";
		else
			c->log_max = n;
		break;
	case CONF_CPU_LATENCY:
		if ((c->cpu_latency = conf_cpu_latency(v)) < 0)
			why = "must be a number of microseconds from 0 to "
			    "1000000";
		break;
	case CONF_GATEWAY:
		if ((why = conf_gateway_bad(v)) != NULL)
			break;
		for (i = 0; i < c->ngateways; i++)
			if (strcmp(c->gateways[i], v) == 0) {
				conf_error(c, vline, vcol, "gateway %s is "
				    "set twice", v);
				return;
			}
		if (c->ngateways == VAULTD_GATEWAYS) {
			conf_error(c, kline, kcol, "at most %d gateway "
			    "lines", VAULTD_GATEWAYS);
			return;
		}
		snprintf(c->gateways[c->ngateways++], VAULTD_GATEWAY_LEN,
		    "%s", v);
		break;
	default:
		why = "is not a key";
		break;
	}
	if (why != NULL) {
		conf_error(c, vline, vcol, "%s %.80s%s %s", key_names[k], v,
		    strlen(v) > 80 ? "..." : "", why);
		return;
	}
	c->line_of[k] = kline;
}

int
conf_load(const char *path, struct vaultd_conf *c)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd = -1, r = CV_ERR_IO;

	memset(c, 0, sizeof(*c));
	if (strlen(path) >= sizeof(c->path)) {
		snprintf(c->path, sizeof(c->path), "vaultd.conf");
		conf_error(c, 0, 0, "path too long");
		return CV_ERR_TOOLONG;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	/* O_NONBLOCK: a FIFO at path is refused below, not waited on */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1 ||
	    fstat(fd, &st) == -1) {
		conf_error(c, 0, 0, "cannot read it: %s", strerror(errno));
		goto out;
	}
	/* it names the home and the users: as trusted as vaultd itself */
	if (!S_ISREG(st.st_mode)) {
		conf_error(c, 0, 0, "not a regular file");
		r = CV_ERR_PERM;
		goto out;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 022) != 0) {
		conf_error(c, 0, 0, "must belong to root or to uid %u and be "
		    "writable by no one else (mode %03o, uid %u): fix it with "
		    "chmod go-w", (unsigned)geteuid(),
		    (unsigned)(st.st_mode & 0777), (unsigned)st.st_uid);
		r = CV_ERR_PERM;
		goto out;
	}
	if (st.st_size > VAULTD_CONF_MAX) {
		conf_error(c, 0, 0, "larger than %d bytes", VAULTD_CONF_MAX);
		r = CV_ERR_TOOLONG;
		goto out;
	}
	if ((buf = malloc(VAULTD_CONF_MAX + 1)) == NULL) {
		r = CV_ERR_NOMEM;
		conf_error(c, 0, 0, "out of memory");
		goto out;
	}
	while (got <= VAULTD_CONF_MAX && (n = read(fd, buf + got,
	    VAULTD_CONF_MAX + 1 - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			conf_error(c, 0, 0, "cannot read it: %s",
			    strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	if (got > VAULTD_CONF_MAX) {
		conf_error(c, 0, 0, "larger than %d bytes", VAULTD_CONF_MAX);
		r = CV_ERR_TOOLONG;
		goto out;
	}
	if ((r = conf_parse(buf, got, c)) == CV_ERR_NOMEM)
		conf_error(c, 0, 0, "out of memory");
 out:
	if (fd != -1)
		close(fd);
	free(buf);
	return r;
}

int
conf_abspath(const char *path, char *buf, size_t len)
{
	char	 rel[PATH_MAX], dir[PATH_MAX];
	char	*slash;
	size_t	 n;

	if (path[0] == '/')
		return (size_t)snprintf(buf, len, "%s", path) < len ? 0 :
		    CV_ERR_TOOLONG;
	if ((n = strlen(path)) >= sizeof(rel))
		return CV_ERR_TOOLONG;
	memcpy(rel, path, n + 1);
	while (n > 1 && rel[n - 1] == '/')
		rel[--n] = '\0';
	slash = strrchr(rel, '/');
	/* "." and "..", as the last name, are directories: resolved whole */
	if (strcmp(slash ? slash + 1 : rel, ".") == 0 ||
	    strcmp(slash ? slash + 1 : rel, "..") == 0) {
		if (realpath(rel, dir) == NULL)
			return CV_ERR_IO;
		return (size_t)snprintf(buf, len, "%s", dir) < len ? 0 :
		    CV_ERR_TOOLONG;
	}
	if (slash != NULL)
		*slash = '\0';
	if (realpath(slash != NULL ? rel : ".", dir) == NULL)
		return CV_ERR_IO;
	return (size_t)snprintf(buf, len, "%s%s%s", dir,
	    strcmp(dir, "/") == 0 ? "" : "/", slash != NULL ? slash + 1 :
	    rel) < len ? 0 : CV_ERR_TOOLONG;
}

/* One directory of the home: see conf_home_check. */
static int
home_dir(const char *dir, const gid_t *gid, int how, char *why,
    size_t whylen)
{
	struct stat	st;
	mode_t		want = gid != NULL ? 0710 : 0700;

	if (lstat(dir, &st) == -1 && errno == ENOENT) {
		if (!(how & CONF_HOME_MAKE)) {
			snprintf(why, whylen, "%s does not exist yet (vaultd "
			    "creates it)", dir);
			return CV_ERR_NOTFOUND;
		}
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			snprintf(why, whylen, "cannot create %s: %s", dir,
			    strerror(errno));
			return CV_ERR_IO;
		}
	}
	if (lstat(dir, &st) == -1) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return CV_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a directory", dir);
		return CV_ERR_PERM;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, whylen, "%s belongs to uid %u, not to us (uid "
		    "%u)", dir, (unsigned)st.st_uid, (unsigned)geteuid());
		return CV_ERR_PERM;
	}
	/* the socket group may pass through, never read or write */
	if ((st.st_mode & 067) != 0 || (gid == NULL && (st.st_mode & 070))) {
		snprintf(why, whylen, "%s is open to other users (mode %03o); "
		    "fix it with: chmod %03o %s", dir,
		    (unsigned)(st.st_mode & 0777), (unsigned)want, dir);
		return CV_ERR_PERM;
	}
	if (gid == NULL || (st.st_gid == *gid && (st.st_mode & 0777) == want))
		return 0;
	if (!(how & CONF_HOME_GIVE))
		return 0;		/* vaultd will give it to the group */
	if (chown(dir, (uid_t)-1, *gid) == -1 || chmod(dir, want) == -1) {
		snprintf(why, whylen, "cannot give %s to the socket group "
		    "(gid %u): %s", dir, (unsigned)*gid, strerror(errno));
		return CV_ERR_PERM;
	}
	return 0;
}

int
vaultd_log_bad_st(const struct stat *st, const char *path, char *why,
    size_t whylen)
{
	if (S_ISLNK(st->st_mode)) {
		snprintf(why, whylen, "the log %s is a symbolic link, which "
		    "vaultd does not follow: give -l (log-file) the file's "
		    "own path", path);
		return CV_ERR_PERM;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, whylen, "the log %s is not a regular file",
		    path);
		return CV_ERR_PERM;
	}
	/*
	 * A hard link is a link too: the file's other name may be any
	 * file of vaultd's user (another's vault, a system file when root)
	 * that someone who may write the log's directory linked there.
	 */
	if (st->st_nlink > 1) {
		snprintf(why, whylen, "the log %s has other names (hard "
		    "links), and another file's lines are not vaultd's to "
		    "append to: give -l (log-file) a file of its own", path);
		return CV_ERR_PERM;
	}
	if (st->st_uid != geteuid()) {
		snprintf(why, whylen, "the log %s belongs to uid %u, not to "
		    "us (uid %u); fix it with: chown %u %s", path,
		    (unsigned)st->st_uid, (unsigned)geteuid(),
		    (unsigned)geteuid(), path);
		return CV_ERR_PERM;
	}
	/* its group may read it (a log reader's), no more */
	if ((st->st_mode & 027) != 0) {
		snprintf(why, whylen, "the log %s is open to other users "
		    "(mode %03o); fix it with: chmod 600 %s", path,
		    (unsigned)(st->st_mode & 0777), path);
		return CV_ERR_PERM;
	}
	return 0;
}

int
vaultd_log_bad(const char *path, char *why, size_t whylen)
{
	struct stat	st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "cannot open the log %s: %s", path,
		    strerror(errno));
		return CV_ERR_IO;
	}
	return vaultd_log_bad_st(&st, path, why, whylen);
}

int
conf_home_check(const char *home, const gid_t *gid, int how, char *why,
    size_t whylen)
{
	char	run[PATH_MAX];
	int	r;

	if (strlen(home) > VAULTD_HOME_MAX) {
		snprintf(why, whylen, "the home %s is too long for the control "
		    "socket's path (at most %zu bytes)", home,
		    (size_t)VAULTD_HOME_MAX);
		return CV_ERR_TOOLONG;
	}
	if ((r = home_dir(home, gid, how, why, whylen)) != 0)
		return r;
	if ((size_t)snprintf(run, sizeof(run), "%s/run", home) >= sizeof(run))
		return CV_ERR_TOOLONG;
	return home_dir(run, gid, how, why, whylen);
}

static void __attribute__((format(printf, 2, 3)))
problem(struct conf_problems *pb, const char *fmt, ...)
{
	va_list	ap;

	if (pb->n == VAULTD_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(pb->msg[pb->n++], sizeof(pb->msg[0]), fmt, ap);
	va_end(ap);
}

/*
 * Whether user exists, asked in a child that exits with the answer.  A
 * name not in /etc/passwd sends glibc on to the next module in
 * nsswitch.conf (systemd's, LDAP's), and a module once loaded stays
 * mapped for good with the libraries it needs: systemd's, with libm and
 * libcap, kept 0.75 MiB of vaultd resident (tests/bench/bench_mem.sh)
 * for a question asked once.  The children look the user up again
 * themselves.
 */
static int
user_exists(const char *user)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0)
		_exit(getpwnam(user) != NULL ? 0 : 1);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			fatal("waitpid");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * Whether gid is the primary group of user, the one group the children
 * keep when they drop to it (common/privsep.c): asked in a child, as
 * user_exists is.
 */
static int
user_group_is(const char *user, gid_t gid)
{
	struct passwd	*pw;
	pid_t		 pid;
	int		 status;

	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0)
		_exit((pw = getpwnam(user)) != NULL && pw->pw_gid == gid ?
		    0 : 1);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			fatal("waitpid");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void
conf_settle(struct vaultd *vd, const struct vaultd_conf *conf,
    const char *group, const char *logfile, int foreground, int check,
    struct conf_problems *pb, int *shared)
{
	const char	*env = getenv("CLOBVAULT_HOME");
	struct group	*gr;
	struct secret	 s;
	char		 why[400], dir[PATH_MAX], *slash;
	int		 r;

	/* nobody is everyone's: its other processes could signal ours */
	if (vd->user == NULL && conf->user[0] != '\0')
		vd->user = conf->user;
	if (vd->user == NULL && user_exists(VAULTD_USER))
		vd->user = VAULTD_USER;
	else if (vd->user == NULL) {
		vd->user = "nobody";
		*shared = geteuid() == 0;	/* else there is no drop */
	}
	if (geteuid() == 0 && !user_exists(vd->user))
		problem(pb, "user %s does not exist: create it or pass -u USER",
		    vd->user);
	if (group == NULL && conf->group[0] != '\0')
		group = conf->group;
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL)
			problem(pb, "group %s does not exist: create it with "
			    "groupadd --system %s, or name another", group,
			    group);
		else {
			vd->sock_gid = gr->gr_gid;
			vd->have_sock_gid = 1;
		}
	}
	/* the children's own group would let signerd and netd in */
	if (vd->have_sock_gid && geteuid() == 0 &&
	    user_group_is(vd->user, vd->sock_gid)) {
		problem(pb, "socket-group %s is the group of %s, the user "
		    "signerd and netd run as: vaultd would admit them to the "
		    "control socket; give the operators a group of their own "
		    "(groupadd --system clobvault-ops)", group, vd->user);
		vd->have_sock_gid = 0;	/* nor is the home given to it */
	}
	if (vd->audit_seg_max == 0)
		vd->audit_seg_max = conf->seg_size;
	if (vd->cpu_latency < 0 && conf->line_of[CONF_CPU_LATENCY] != 0)
		vd->cpu_latency = conf->cpu_latency;
	if (vd->ngateways == 0) {	/* --gateway beats the file */
		memcpy(vd->gateways, conf->gateways, sizeof(vd->gateways));
		vd->ngateways = conf->ngateways;
	}

	/* $CLOBVAULT_HOME is this run's, and so beats the file */
	if ((env == NULL || *env == '\0') && conf->home[0] != '\0')
		snprintf(vd->home, sizeof(vd->home), "%s", conf->home);
	else if ((r = home_path(dir, sizeof(dir))) != 0)
		problem(pb, "cannot find CLOBVAULT_HOME: %s", cv_strerror(r));
	/* from where vaultd starts: it works from / */
	else if ((r = conf_abspath(dir, vd->home, sizeof(vd->home))) != 0) {
		problem(pb, "CLOBVAULT_HOME %s: %s", dir, r == CV_ERR_IO ?
		    strerror(errno) : cv_strerror(r));
		vd->home[0] = '\0';
	}
	/* read again at each signerd start, after vaultd moved to / */
	if (vd->unlock_file != NULL && vd->unlock_file[0] != '/') {
		if ((r = conf_abspath(vd->unlock_file, vd->unlock_abs,
		    sizeof(vd->unlock_abs))) != 0)
			problem(pb, "cannot read %s: %s", vd->unlock_file,
			    r == CV_ERR_IO ? strerror(errno) : cv_strerror(r));
		else
			vd->unlock_file = vd->unlock_abs;
	}
	/* only checked: a start refused for anything leaves it as it was */
	if (vd->home[0] != '\0' && (r = conf_home_check(vd->home,
	    vd->have_sock_gid ? &vd->sock_gid : NULL, 0, why,
	    sizeof(why))) != 0 && r != CV_ERR_NOTFOUND)
		problem(pb, "%s", why);

	if (logfile == NULL && conf->log_file[0] != '\0')
		logfile = conf->log_file;
	if (logfile != NULL && logfile[0] != '/')
		problem(pb, "-l needs an absolute path (vaultd reopens it on "
		    "SIGHUP)");
	else if (logfile != NULL)
		snprintf(vd->logpath, sizeof(vd->logpath), "%s", logfile);
	else if (!foreground && (size_t)snprintf(vd->logpath,
	    sizeof(vd->logpath), "%s/vaultd.log", vd->home) >=
	    sizeof(vd->logpath))
		problem(pb, "CLOBVAULT_HOME path too long");
	/* an existing log is vaultd's own, closed to others, no link */
	if (vd->logpath[0] != '\0' && vaultd_log_bad(vd->logpath, why,
	    sizeof(why)) != 0)
		problem(pb, "%s", why);
	/* a log file of vaultd's own is kept to a size (none on stderr) */
	if (!check && vd->logpath[0] != '\0')
		log_limit(vd->logpath, conf->line_of[CONF_LOG_MAX_SIZE] != 0 ?
		    conf->log_max : LOG_MAX_DEFAULT);
	if (!check)
		return;
	/* what only a start would find out otherwise */
	if (logfile != NULL && vd->logpath[0] != '\0') {
		snprintf(dir, sizeof(dir), "%s", vd->logpath);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
			*slash = '\0';
		if (access(dir, W_OK | X_OK) == -1)
			problem(pb, "cannot write the log %s: %s: %s",
			    vd->logpath, dir, strerror(errno));
	}
	if (vd->cpu_latency >= 0 &&
	    access(VAULTD_CPU_LATENCY_DEV, W_OK) == -1)
		problem(pb, "cpu-latency: cannot write %s: %s",
		    VAULTD_CPU_LATENCY_DEV, strerror(errno));
	if (vd->unlock_file != NULL) {
		if ((r = secret_read_file(vd->unlock_file, &s,
		    SECRET_IO_MAX)) != 0)
			problem(pb, "cannot read %s: %s", vd->unlock_file,
			    cv_strerror(r));
		else
			secret_free(&s);
	}
}
