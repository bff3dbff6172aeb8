/*
 * Reading secrets from the operator: a file, standard input, or the
 * terminal with echo off.  The bytes go straight into guarded memory;
 * nothing is echoed, logged or left in a plain buffer.
 */
#ifndef CV_SECRET_IO_H
#define CV_SECRET_IO_H

#include "common/secmem.h"

#define SECRET_IO_MAX	4096

/*
 * The whole of path, one trailing newline removed.  The file must be a
 * regular file (CV_ERR_INVALID otherwise, a FIFO at once; CV_ERR_IO for a
 * symbolic link) that only its owner can read (CV_ERR_PERM otherwise,
 * with the fix logged).  CV_ERR_INVALID if empty, CV_ERR_TOOLONG past max.
 */
int	secret_read_file(const char *path, struct secret *, size_t max) CV_WUR;

/*
 * Standard input until EOF, one trailing newline removed; from a
 * terminal, one line read with echo off.
 */
int	secret_read_fd(int fd, struct secret *, size_t max) CV_WUR;

/*
 * Ask on the controlling terminal with echo off; with confirm, ask twice
 * and insist they match.  CV_ERR_NOTFOUND if there is no terminal.
 */
int	secret_read_tty(const char *prompt, int confirm, struct secret *,
	    size_t max) CV_WUR;

#endif
