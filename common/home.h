/*
 * $CLOBVAULT_HOME: where vaultd keeps the vault, the audit log and its
 * control socket.  Default ~/.clobvault.
 */
#ifndef CV_HOME_H
#define CV_HOME_H

#include <stddef.h>

#include "common/cv_err.h"

#define HOME_CONTROL_SOCK	"run/control.sock"
#define HOME_LOCK		"run/vaultd.lock"	/* one vaultd a home */

/* The home path, from $CLOBVAULT_HOME or $HOME/.clobvault. */
int	home_path(char *buf, size_t len) CV_WUR;

/*
 * Resolve the home, create it (0700) and its run/ directory if missing,
 * and refuse one that is not ours or that others can read (logging how
 * to fix it).  CV_ERR_PERM, CV_ERR_IO, CV_ERR_TOOLONG.
 */
int	home_prepare(char *buf, size_t len) CV_WUR;

/* Create dir (0755) if missing; it must be an empty directory. */
int	home_emptydir(const char *dir) CV_WUR;

/*
 * fsync the directory home: a file made or renamed in it lasts only
 * then.  0, or -1 with errno.
 */
int	home_sync(const char *home) CV_WUR;
/* The same for the directory that holds the file path. */
int	home_sync_parent(const char *path) CV_WUR;
/* That directory's path into dir: "." for a bare name.  CV_ERR_TOOLONG. */
int	home_dirname(const char *path, char *dir, size_t len) CV_WUR;

#endif
