/* SPDX-License-Identifier: Apache-2.0 */
#include "hostfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *sim_hostfs_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + 1 + strlen(name) + 1;
	char *path = malloc(n);

	if (path) {
		snprintf(path, n, "%s/%s", dir, name);
	}
	return path;
}

static int make_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0777) == 0) {
		return 0;
	}
	if (errno != EEXIST) {
		return -errno;
	}
	if (stat(path, &st) != 0) {
		return -errno;
	}
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int sim_hostfs_mkdirs(const char *path)
{
	char *copy = strdup(path);
	int err = 0;

	if (!copy) {
		return -ENOMEM;
	}
	/* Each parent in turn, skipping the root and doubled slashes. */
	for (char *p = copy + 1; *p && !err; p++) {
		if (*p == '/' && p[-1] != '/') {
			*p = '\0';
			err = make_dir(copy);
			*p = '/';
		}
	}
	if (!err) {
		err = make_dir(copy);
	}
	free(copy);
	return err;
}

int sim_hostfs_check_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		return -ENOTDIR;
	}
	return access(path, R_OK | W_OK | X_OK) == 0 ? 0 : -errno;
}

int sim_hostfs_read(const char *path, uint8_t **data, size_t *len)
{
	int fd = open(path, O_RDONLY);
	uint8_t *buf = NULL;
	size_t used = 0, cap = 0;
	int err = 0;

	*data = NULL;
	*len = 0;
	if (fd < 0) {
		return -errno;
	}
	for (;;) {
		ssize_t n;

		if (used == cap) {
			size_t grown = cap ? cap * 2 : 4096;
			uint8_t *p = realloc(buf, grown);

			if (!p) {
				err = -ENOMEM;
				break;
			}
			buf = p;
			cap = grown;
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0) {
			break;
		}
		used += (size_t)n;
	}
	close(fd);
	if (err || used == 0) {
		free(buf);
		return err;
	}
	*data = buf;
	*len = used;
	return 0;
}

static int write_all(int fd, const uint8_t *data, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, data, len, off);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -errno;
		}
		data += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int sim_hostfs_replace(const char *path, const uint8_t *data, size_t len)
{
	char *tmp = malloc(strlen(path) + sizeof(".new"));
	int fd, err;

	if (!tmp) {
		return -ENOMEM;
	}
	strcpy(tmp, path);
	strcat(tmp, ".new");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	err = write_all(fd, data, len, 0);
	if (close(fd) != 0 && !err) {
		err = -errno;
	}
	if (!err && rename(tmp, path) != 0) {
		err = -errno;
	}
	if (err) {
		unlink(tmp);
	}
	free(tmp);
	return err;
}

int sim_hostfs_write_at(const char *path, uint64_t off, const uint8_t *data, size_t len,
			bool truncate)
{
	int fd = open(path, O_WRONLY | O_CREAT | (truncate ? O_TRUNC : 0), 0666);
	int err;

	if (fd < 0) {
		return -errno;
	}
	err = write_all(fd, data, len, (off_t)off);
	if (close(fd) != 0 && !err) {
		err = -errno;
	}
	return err;
}

int sim_hostfs_remove(const char *path)
{
	struct stat st;
	DIR *dir;
	struct dirent *ent;
	int err = 0;

	if (lstat(path, &st) != 0) {
		return errno == ENOENT ? 0 : -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		return unlink(path) == 0 ? 0 : -errno;
	}
	dir = opendir(path);
	if (!dir) {
		return -errno;
	}
	while (!err && (ent = readdir(dir))) {
		char *child;

		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) {
			continue;
		}
		child = sim_hostfs_join(path, ent->d_name);
		err = child ? sim_hostfs_remove(child) : -ENOMEM;
		free(child);
	}
	closedir(dir);
	if (!err && rmdir(path) != 0) {
		err = -errno;
	}
	return err;
}
