#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/home.h"
#include "common/log.h"

int
home_path(char *buf, size_t len)
{
	const char	*env = getenv("CLOBVAULT_HOME");
	const char	*h;
	struct passwd	*pw;
	int		 n;

	if (env != NULL && *env != '\0')
		n = snprintf(buf, len, "%s", env);
	else {
		if ((h = getenv("HOME")) == NULL || *h == '\0') {
			if ((pw = getpwuid(getuid())) == NULL)
				return CV_ERR_NOTFOUND;
			h = pw->pw_dir;
		}
		n = snprintf(buf, len, "%s/.clobvault", h);
	}
	if (n < 0 || (size_t)n >= len)
		return CV_ERR_TOOLONG;
	return 0;
}

/* An existing directory must be ours and closed to everyone else. */
static int
dir_check(const char *dir, mode_t mode)
{
	struct stat	st;

	if (mkdir(dir, mode) == -1 && errno != EEXIST) {
		log_warn("cannot create %s", dir);
		return CV_ERR_IO;
	}
	if (lstat(dir, &st) == -1) {
		log_warn("%s", dir);
		return CV_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("%s is not a directory", dir);
		return CV_ERR_PERM;
	}
	if (st.st_uid != geteuid()) {
		log_warnx("%s belongs to uid %u, not to us (uid %u)", dir,
		    (unsigned)st.st_uid, (unsigned)geteuid());
		return CV_ERR_PERM;
	}
	if ((st.st_mode & 077) != 0) {
		log_warnx("%s is open to other users (mode %03o); "
		    "fix it with: chmod 700 %s", dir,
		    (unsigned)(st.st_mode & 0777), dir);
		return CV_ERR_PERM;
	}
	return 0;
}

int
home_prepare(char *buf, size_t len)
{
	char	run[4096];
	int	r;

	if ((r = home_path(buf, len)) != 0) {
		log_warnx("cannot find CLOBVAULT_HOME: %s", cv_strerror(r));
		return r;
	}
	if ((r = dir_check(buf, 0700)) != 0)
		return r;
	if ((size_t)snprintf(run, sizeof(run), "%s/run", buf) >= sizeof(run))
		return CV_ERR_TOOLONG;
	return dir_check(run, 0700);
}

int
home_emptydir(const char *dir)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 r = 0;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		log_warn("cannot create %s", dir);
		return CV_ERR_IO;
	}
	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		log_warnx("%s must be a directory of ours, writable by no one "
		    "else", dir);
		return CV_ERR_PERM;
	}
	if ((d = opendir(dir)) == NULL) {
		log_warn("%s", dir);
		return CV_ERR_IO;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			log_warnx("%s must be empty (signerd's root); "
			    "found %s", dir, de->d_name);
			r = CV_ERR_PERM;
			break;
		}
	closedir(d);
	return r;
}

int
home_sync(const char *home)
{
	int	fd, e;

	if ((fd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (fsync(fd) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

int
home_dirname(const char *path, char *dir, size_t len)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return snprintf(dir, len, ".") < (int)len ? 0 : CV_ERR_TOOLONG;
	if (slash == path)
		return snprintf(dir, len, "/") < (int)len ? 0 : CV_ERR_TOOLONG;
	if ((size_t)(slash - path) >= len)
		return CV_ERR_TOOLONG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return 0;
}

int
home_sync_parent(const char *path)
{
	char	dir[PATH_MAX];

	if (home_dirname(path, dir, sizeof(dir)) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return home_sync(dir);
}
