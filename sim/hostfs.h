/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host files behind the simulated device's persistent state (struct sim_device_config
 * state_dir): small POSIX helpers the groups share. Every change goes to the host at once and
 * whole-file rewrites are atomic, because the device may be killed at any time.
 */
#ifndef SIM_HOSTFS_H
#define SIM_HOSTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @p dir and @p name joined by a '/', in memory the caller frees.
 * @return the path, or NULL when out of memory.
 */
char *sim_hostfs_join(const char *dir, const char *name);

/**
 * Create directory @p path and any missing parents.
 * @return 0 (also when it exists), -ENOTDIR when @p path or a parent is not a directory, or
 *         another negative errno from mkdir().
 */
int sim_hostfs_mkdirs(const char *path);

/**
 * Check that @p path is a directory the device can write to.
 * @return 0, or a negative errno (-ENOTDIR, -EACCES, ...).
 */
int sim_hostfs_check_dir(const char *path);

/**
 * Read the whole of file @p path into memory the caller frees (*data is NULL for an empty
 * file). @return 0, or a negative errno (-ENOENT when it does not exist).
 */
int sim_hostfs_read(const char *path, uint8_t **data, size_t *len);

/**
 * Replace the contents of file @p path in one step: the bytes go to "<path>.new" first, which
 * is then renamed over @p path, so a kill leaves either the old or the new contents.
 * @return 0 or a negative errno.
 */
int sim_hostfs_replace(const char *path, const uint8_t *data, size_t len);

/**
 * Write @p len bytes at offset @p off of file @p path, creating it if missing; @p truncate
 * empties it first. @return 0 or a negative errno.
 */
int sim_hostfs_write_at(const char *path, uint64_t off, const uint8_t *data, size_t len,
			bool truncate);

/**
 * Remove @p path: a file, or a directory with everything in it. A missing path is not an
 * error. @return 0 or a negative errno.
 */
int sim_hostfs_remove(const char *path);

#endif /* SIM_HOSTFS_H */
