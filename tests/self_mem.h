/*
 * What this process holds where, read through /proc/self/maps and
 * /proc/self/smaps: whether a secret is in locked pages, in malloc's
 * heap, and how many copies of it there are.  Header-only, after
 * cmocka.h.
 */
#ifndef CV_TESTS_SELF_MEM_H
#define CV_TESTS_SELF_MEM_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* 1 if [p, p + len) is within one mapping whose pages are locked. */
static inline int
range_locked(const void *p, size_t len)
{
	char		 line[512];
	unsigned long	 lo, hi;
	uintptr_t	 a = (uintptr_t)p;
	FILE		*f;
	int		 in = 0, locked = 0;

	assert_non_null(f = fopen("/proc/self/smaps", "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = a >= lo && a < hi && a + len <= hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			locked = strstr(line, " lo") != NULL;
			break;
		}
	}
	fclose(f);
	return locked;
}

/*
 * How many copies of s are in this process's writable private memory,
 * the one at skip (the caller's) left out.
 */
static inline int
copies_in_memory(const char *s, size_t len, const void *skip)
{
	char		 line[512], perm[5];
	unsigned long	 lo, hi;
	const char	*p, *end;
	FILE		*f;
	int		 n = 0;

	assert_non_null(f = fopen("/proc/self/maps", "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) != 3 ||
		    strcmp(perm, "rw-p") != 0 || strstr(line, "[v") != NULL)
			continue;
		p = (const char *)lo;
		end = (const char *)hi;
		while ((p = memmem(p, (size_t)(end - p), s, len)) != NULL) {
			n += p != skip;
			p++;
		}
	}
	fclose(f);
	return n;
}

/* Whether the process's heap (malloc's arena, brk) holds s. */
static inline int
in_heap(const char *s, size_t len)
{
	char		 line[512];
	unsigned long	 lo, hi;
	int		 found = 0;
	FILE		*f;

	assert_non_null(f = fopen("/proc/self/maps", "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "[heap]") != NULL &&
		    sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			found |= memmem((const void *)lo, hi - lo, s, len) !=
			    NULL;
	fclose(f);
	return found;
}

/*
 * The first copy of s in this process's writable private memory but the
 * one at skip (the caller's), or NULL.
 */
static inline const char *
copy_in_memory(const char *s, size_t len, const void *skip)
{
	char		 line[512], perm[5];
	unsigned long	 lo, hi;
	const char	*p, *end, *at = NULL;
	FILE		*f;

	assert_non_null(f = fopen("/proc/self/maps", "r"));
	while (at == NULL && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) != 3 ||
		    strcmp(perm, "rw-p") != 0 || strstr(line, "[v") != NULL)
			continue;
		p = (const char *)lo;
		end = (const char *)hi;
		while ((p = memmem(p, (size_t)(end - p), s, len)) != NULL) {
			if (p != skip) {
				at = p;
				break;
			}
			p++;
		}
	}
	fclose(f);
	return at;
}

#endif
