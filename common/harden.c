/*
 * harden_process and harden_untraced (common/privsep.h), apart from the
 * sandbox: vaultd and vaultctl call only harden_process, and so link no
 * libseccomp.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "common/log.h"
#include "common/privsep.h"

/* The tracer accepted at start (root only: see harden_untraced), or 0. */
static long	harden_tracer;

void
harden_process(void)
{
	struct rlimit	rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit(RLIMIT_CORE)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
}

long
harden_tracer_pid(int fd)
{
	char	 buf[4096], *p, *end;
	ssize_t	 n;
	long	 pid;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strstr(buf, "\nTracerPid:")) == NULL)
		return -1;
	p += 11;
	while (*p == ' ' || *p == '\t')
		p++;
	errno = 0;
	pid = strtol(p, &end, 10);
	if (errno != 0 || end == p || *end != '\n' || pid < 0)
		return -1;
	return pid;
}

void
harden_untraced(int fd)
{
	long	tracer;
	int	own = fd == -1;

	if (own && (fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) ==
	    -1)
		fatal("cannot tell whether we are traced: /proc/self/status");
	tracer = harden_tracer_pid(fd);
	if (own)
		close(fd);
	if (tracer == -1)
		fatalx("cannot tell whether we are traced: no TracerPid in "
		    "/proc/self/status");
	if (tracer == harden_tracer)
		return;
	/*
	 * Root at start: whoever traces us held CAP_SYS_PTRACE over us and
	 * could attach at any time; refusing it would protect nothing (and
	 * a harness may run us under strace as root).  It is remembered:
	 * after the drop only that tracer is accepted.
	 */
	if (harden_tracer == 0 && geteuid() == 0) {
		harden_tracer = tracer;
		return;
	}
	fatalx("traced by process %ld: refusing to run (it could read our "
	    "memory); stop that process and restart vaultd", tracer);
}
