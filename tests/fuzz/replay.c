/*
 * Replay a fuzz target's corpus without libFuzzer: every file in the
 * directory argv[1] is passed to LLVMFuzzerTestOneInput once.  Built with
 * the ordinary compiler, so `make check` runs every saved input.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
main(int argc, char **argv)
{
	struct dirent	*de;
	DIR		*d;
	FILE		*f;
	uint8_t		*buf;
	char		 path[4096];
	size_t		 n, cap = 1 << 22;
	int		 count = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s corpus-dir\n", argv[0]);
		return 2;
	}
	if ((d = opendir(argv[1])) == NULL) {
		perror(argv[1]);
		return 1;
	}
	if ((buf = malloc(cap)) == NULL)
		return 1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
		if ((f = fopen(path, "rb")) == NULL) {
			perror(path);
			return 1;
		}
		n = fread(buf, 1, cap, f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		count++;
	}
	closedir(d);
	free(buf);
	if (count == 0) {
		fprintf(stderr, "%s: empty corpus\n", argv[1]);
		return 1;
	}
	printf("%s: replayed %d inputs\n", argv[1], count);
	return 0;
}
