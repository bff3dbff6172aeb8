/*
 * What signerd and netd share as children of vaultd: their command line,
 * the handshake, and the answers every child gives (status, test probes).
 * The channel to vaultd is always file descriptor CHILD_FD, the write end
 * of the log pipe CHILD_LOG_FD; 0, 1 and 2 are /dev/null.
 */
#ifndef CV_CHILD_H
#define CV_CHILD_H

#include "common/msg.h"
#include "common/privsep.h"

#define CHILD_FD	3
#define CHILD_LOG_FD	4
#define CHILD_GW_FD_MIN	5	/* -G: vaultd passes listening sockets from 5 */
#define CHILD_GW_FD_MAX	1023
#define CHILD_WORKERS_MAX 8	/* -W: signerd's signing threads */
#define CHILD_SECONDS_MAX 600	/* -t, -D, -V: seconds, for tests */
#define CHILD_GW_MAX	5	/* -G at most this often: vaultd's
				   run/gateway.sock and its loopback
				   addresses (vaultd/vaultd.h GW_FDS_MAX) */

struct child_opts {
	int		 verbose;
	int		 testmode;	/* -T: answer MSG_PROBE_REQ */
	const char	*user;		/* -u: unprivileged user */
	const char	*chroot_dir;	/* -C: empty directory */
	int		 timeout;	/* -t: netd's HTTP time-out in seconds
					    (tests: honoured with -T only) */
	int		 gw_deadline;	/* -D: netd's gateway deadlines in
					    seconds (tests: with -T only) */
	int		 gw_wait;	/* -V: netd's wait for vaultd's
					    answer to a bot's request, in
					    seconds (tests: with -T only) */
	int		 gw_fds[CHILD_GW_MAX];	/* -G: netd's sockets */
	int		 ngw;
	int		 workers;	/* -W: signerd's signing threads */
};

/*
 * Point the log at CHILD_LOG_FD, then parse "-d -T -u USER -C DIR -t
 * SECONDS -D SECONDS -V SECONDS -G FD -W N"; exits with a message on
 * misuse.  -W (signerd only) is the number of signing threads, 1 to
 * CHILD_WORKERS_MAX.  -D (netd only) shortens the gateway's deadlines,
 * -V (netd only) its wait for vaultd's answer to a bot's request
 * (NETD_GW_VAULTD_MS), each 1 to 600 seconds, for tests (netd needs -T
 * with them).  -G
 * (netd only; fatal
 * for any other procname) names a listening socket vaultd left open for
 * the gateway, a descriptor from CHILD_GW_FD_MIN to CHILD_GW_FD_MAX, at
 * most CHILD_GW_MAX of them, each once; what it is, netd checks.  A
 * write-only pipe on CHILD_LOG_FD at start is vaultd's log pipe: lines
 * go there bare, and vaultd adds the time, our name and our pid.
 * Anything else (started by hand or by a test harness): CHILD_LOG_FD
 * becomes a copy of standard error with whole lines, so that the
 * sandbox never needs to let us write to 0, 1 or 2.
 */
void	child_parse_args(const char *procname, int argc, char **argv,
	    struct child_opts *);

/* Send MSG_HELLO_REQ and check vaultd's MSG_HELLO_ANS; fatal on mismatch. */
void	child_hello(struct chan *, const char *procname);

/* Queue MSG_STATUS_ANS describing this process's sandbox. */
int	child_status_ans(struct chan *, uint32_t id,
	    const struct privsep_state *) CV_WUR;

/*
 * Test mode only: do what MSG_PROBE_REQ asks -- a system call the sandbox
 * may forbid (open: /etc/passwd for reading, openw: /dev/null for
 * writing, socket, fork, execve, ptrace; bind, listen: a TCP socket
 * bound to 127.0.0.1 or made to listen; tiocsti: push a byte into the
 * input of the terminal on fd 0; rwx: map memory writable and
 * executable; mprotectx: make a writable page executable too; pkeyx:
 * pkey_mprotect; stderr: write to fd 2; stderr64: the same with bits
 * above 32 set in the descriptor, which the kernel ignores), which kills
 * us, a malformed frame to vaultd, "rx": map anonymous memory readable
 * and executable, "vaultfile": open <-C dir>/../vault (the vault file)
 * for reading, or log lines: "logflood" logs CHILD_LOGFLOOD_LINES lines
 * at once, "logforge" writes raw bytes to the log pipe (a terminal
 * escape, a carriage return, a line dressed as vaultd's, a line longer
 * than vaultd keeps).  Queues the answer: MSG_PROBE_ANS if we are still
 * alive and, for "vaultfile" and "rx", the call succeeded; MSG_ERROR_ANS
 * [CV_ERR_PERM, "CALL: reason"] when it was refused.  Returns
 * chan_queue's result.  Fatal outside test mode: vaultd never sends it
 * then.
 */
int	child_probe(struct chan *, struct msg *, const struct child_opts *)
	    CV_WUR;
#define CHILD_LOGFLOOD_LINES	500

/*
 * Answer what every child answers alike: MSG_STATUS_REQ and, in test
 * mode, MSG_PROBE_REQ.  Returns 1 if m was one of them (fatal if the
 * answer cannot be queued), 0 if the caller must handle it.
 */
int	child_common(struct chan *, struct msg *, const struct child_opts *,
	    const struct privsep_state *);

/*
 * Serve vaultd until it closes the channel: decode each frame and hand it
 * to dispatch, flush answers when input runs dry.  A malformed frame from
 * vaultd is fatal.  Returns on EOF.
 */
void	child_loop(struct chan *,
	    void (*dispatch)(struct chan *, struct msg *, void *), void *arg);

#endif
