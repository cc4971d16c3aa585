/*
 * The simulated device's file system (group 8): one littlefs-like volume mounted at "/lfs" on
 * the storage partition, holding plain files (no subdirectories). Files live in memory and,
 * when the device has a state directory, are written through to <state_dir>/fs/lfs/<name> on
 * every change.
 */
#ifndef SIM_FS_H
#define SIM_FS_H

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

/** File system group state. */
struct sim_fs {
	struct sim_file *files;
	size_t count;
};

/**
 * Mount the volume: load the files from the state directory if the device has one.
 * @return 0, or a negative errno (nothing is left allocated then).
 */
int sim_fs_init(struct sim_device *dev);

/** Release the files. */
void sim_fs_free(struct sim_device *dev);

/**
 * Erase the volume (the storage partition is erased): every file is gone.
 * @return 0 or a negative errno from the state directory.
 */
int sim_fs_erase(struct sim_device *dev);

#endif /* SIM_FS_H */
