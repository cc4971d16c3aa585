/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs a fuzz target's LLVMFuzzerTestOneInput over every file of the directories given, for
 * builds without libFuzzer: the targets compile and run on their seed corpus in every build.
 * Exit status 0 when every file ran (the target aborts on a failed check), 1 when a directory
 * or file could not be read or a directory held no file.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *more = realloc(data, cap ? cap * 2u : 4096u);

			if (more == NULL) {
				free(data);
				fclose(f);
				return -1;
			}
			data = more;
			cap = cap ? cap * 2u : 4096u;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			break;
		}
	}
	if (ferror(f)) {
		perror(path);
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	for (int a = 1; a < argc; a++) {
		DIR *dir = opendir(argv[a]);
		struct dirent *e;
		unsigned files = 0;

		if (dir == NULL) {
			perror(argv[a]);
			return 1;
		}
		while ((e = readdir(dir)) != NULL) {
			char path[4096];

			if (e->d_name[0] == '.') {
				continue;
			}
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", argv[a], e->d_name) >=
			    sizeof(path)) {
				fprintf(stderr, "%s/%s: path too long\n", argv[a], e->d_name);
				closedir(dir);
				return 1;
			}
			if (run_file(path) != 0) {
				closedir(dir);
				return 1;
			}
			files++;
		}
		closedir(dir);
		if (files == 0) {
			fprintf(stderr, "%s: no seed files\n", argv[a]);
			return 1;
		}
		printf("%s: %u inputs\n", argv[a], files);
	}
	return 0;
}
