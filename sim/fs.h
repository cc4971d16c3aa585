/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's file system (group 8): one littlefs-like volume mounted at "/lfs" on
 * the storage partition, holding plain files (no subdirectories). Files live in memory and,
 * when the device has a state directory, are written through to <state_dir>/fs/lfs/<name>
 * each time a file is created or closed (littlefs makes what was written to a file part of it
 * when the file is closed).
 */
#ifndef SIM_FS_H
#define SIM_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_device;

/** One file of the volume. */
struct sim_file {
	char *name; /* without the mount point: "hello.txt" */
	uint8_t *data;
	size_t len;
	size_t cap;
};

/**
 * fs_mgmt's upload context: the one file it keeps open for writing between requests, with what
 * was written to it. As littlefs does, everyone else (status, hash, the next run of a killed
 * device) sees the file as it was last closed until the handle is closed: when the upload
 * reaches its `len`, on close (command 4), when a transfer of another file (or any download)
 * starts, after an upload error, or after IDLE_CLOSE_US without a request.
 */
struct sim_fs_open {
	char *path;          /* the file's path; NULL when no file is open */
	uint64_t off;        /* the offset the upload expects next */
	uint64_t len;        /* the length its first request gave */
	uint8_t *data;       /* the open file's contents */
	size_t size, cap;
	size_t pos;          /* the handle's position */
	uint64_t idle_at_us; /* closed by itself then */
};

/** File system group state. */
struct sim_fs {
	struct sim_file *files; /* the files as last closed */
	size_t count;
	struct sim_fs_open open;
	/*
	 * The storage partition was erased under the mounted volume: littlefs finds no valid
	 * metadata, and every file operation fails until the next boot mounts (and formats) it.
	 */
	bool erased;
};

/**
 * Mount the volume: load the files from the state directory if the device has one.
 * @return 0, or a negative errno (nothing is left allocated then).
 */
int sim_fs_init(struct sim_device *dev);

/** Release the files. */
void sim_fs_free(struct sim_device *dev);

/**
 * Erase the volume (the storage partition is erased): every file is gone, and, as on Zephyr,
 * the mounted file system fails every file operation (FS_MGMT_ERR_UNKNOWN) until the next
 * boot. @return 0 or a negative errno from the state directory.
 */
int sim_fs_erase(struct sim_device *dev);

/**
 * A reboot: the volume is mounted again (an erased one is formatted, empty); what was written
 * to a file still open is lost.
 */
void sim_fs_reboot(struct sim_device *dev);

/**
 * The device runs on without a client (sim_device_suspend()): the file left open is closed,
 * as fs_mgmt's idle timer would close it. @return 0 or a negative errno from the state
 * directory.
 */
int sim_fs_close_idle(struct sim_device *dev);

#endif /* SIM_FS_H */
