/*
 * What a process holds in memory, read as a debugger would, through
 * /proc/PID/maps and /proc/PID/mem: the daemons run as another user or
 * are not dumpable, so only root (CAP_SYS_PTRACE) may.  Header-only, as
 * it.h.
 */
#ifndef CV_TESTS_IT_MEM_H
#define CV_TESTS_IT_MEM_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK	(1024 * 1024)

/* Where a copy is, and the 24 bytes before it: what kind of buffer. */
static inline void
mem_tell(pid_t pid, const char *what, unsigned long at, const char *mapping,
    const uint8_t *buf, size_t i)
{
	size_t	k = i < 24 ? 0 : i - 24;

	fprintf(stderr, "pid %d holds the %s at %#lx, after \"", (int)pid,
	    what, at);
	for (; k < i; k++)
		fputc(buf[k] >= 0x20 && buf[k] < 0x7f ? buf[k] : '.', stderr);
	fprintf(stderr, "\", in %s", mapping);
}

/*
 * Occurrences of needle in pid's readable mappings; with what, the
 * first few are told on stderr with their mapping, so that a failure
 * says where the copy is.  -1 if the memory cannot be read at all.
 */
static inline int
mem_count(pid_t pid, const char *what, const char *needle)
{
	char		 path[64], line[512];
	unsigned long	 lo, hi, a, at;
	size_t		 nl = strlen(needle), got, i;
	char		 perms[8];
	uint8_t		*buf;
	FILE		*maps;
	ssize_t		 r;
	int		 fd, n = 0, read_any = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((maps = fopen(path, "r")) == NULL)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	if ((fd = open(path, O_RDONLY)) == -1) {
		fclose(maps);
		return -1;
	}
	if ((buf = malloc(CHUNK + nl)) == NULL)
		abort();
	while (fgets(line, sizeof(line), maps) != NULL) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    perms[0] != 'r')
			continue;
		/* [vvar] and the like cannot be read: nothing of its own */
		for (a = lo; a < hi; a += CHUNK) {
			got = hi - a < CHUNK + nl - 1 ? hi - a : CHUNK + nl - 1;
			if ((r = pread(fd, buf, got, (off_t)a)) <= 0)
				break;
			read_any = 1;
			for (i = 0; i + nl <= (size_t)r; i++) {
				if (buf[i] != (uint8_t)needle[0] ||
				    memcmp(buf + i, needle, nl) != 0)
					continue;
				/* a hit in the overlap is the next chunk's */
				if (i >= CHUNK)
					break;
				at = a + i;
				if (n++ < 8 && what != NULL)
					mem_tell(pid, what, at, line, buf,
					    i);
			}
		}
	}
	free(buf);
	close(fd);
	fclose(maps);
	return read_any ? n : -1;
}

#endif
