/*
 * What signerd and netd share as children of vaultd: their command line,
 * the handshake, and the answers every child gives (status, test probes).
 * The channel to vaultd is always file descriptor CHILD_FD.
 */
#ifndef CV_CHILD_H
#define CV_CHILD_H

#include "common/msg.h"
#include "common/privsep.h"

#define CHILD_FD	3

struct child_opts {
	int		 verbose;
	int		 testmode;	/* -T: answer MSG_PROBE_REQ */
	const char	*user;		/* -u: unprivileged user */
	const char	*chroot_dir;	/* -C: empty directory */
	int		 timeout;	/* -t: netd's HTTP time-out in seconds
					    (tests: honoured with -T only) */
};

/* Parse "-d -T -u USER -C DIR -t SECONDS"; exits with a message on misuse. */
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
 * writing, socket, fork, execve, ptrace), which kills us, a malformed
 * frame to vaultd, or "vaultfile": open <-C dir>/../vault (the vault
 * file) for reading.  Queues the answer: MSG_PROBE_ANS if we are still
 * alive and, for "vaultfile", the file opened; MSG_ERROR_ANS
 * [CV_ERR_PERM, "open PATH: reason"] when it did not open.  Returns chan_queue's result.
 * Fatal outside test mode: vaultd never sends it then.
 */
int	child_probe(struct chan *, struct msg *, const struct child_opts *)
	    CV_WUR;

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
