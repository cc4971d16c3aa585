/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's file system group (8), answered as Zephyr's fs_mgmt does over a
 * littlefs volume mounted at "/lfs".
 */
#include "device.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <zlib.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/fs.h>
#include <dfu-smp/smp/header.h>
#include "hostfs.h"

/* FS group error codes (enum fs_mgmt_err_code_t). */
enum {
	FS_ERR_UNKNOWN = 1,
	FS_ERR_FILE_INVALID_NAME = 2,
	FS_ERR_FILE_NOT_FOUND = 3,
	FS_ERR_FILE_IS_DIRECTORY = 4,
	FS_ERR_FILE_WRITE_FAILED = 10,
	FS_ERR_FILE_OFFSET_NOT_VALID = 11,
	FS_ERR_FILE_OFFSET_LARGER_THAN_FILE = 12,
	FS_ERR_CHECKSUM_HASH_NOT_FOUND = 13,
	FS_ERR_MOUNT_POINT_NOT_FOUND = 14,
	FS_ERR_FILE_EMPTY = 16,
};

#define MOUNT_POINT "/lfs"
/* CONFIG_MCUMGR_GRP_FS_PATH_LEN: the longest path a request may name. */
#define PATH_LEN 64
/* The volume's size: the storage partition less what littlefs keeps for itself. */
#define VOLUME_SIZE (4u << 20)
/* CONFIG_MCUMGR_GRP_FS_FILE_AUTOMATIC_IDLE_CLOSE_TIME (observed: about 4 s) */
#define IDLE_CLOSE_US 4000000u
/* Longest hash/checksum type name Zephyr takes. */
#define TYPE_LEN 8

/* Host directory of the volume, under the state directory. */
#define HOST_DIR "fs"
#define HOST_MOUNT "fs/lfs"

/* Where a path leads on this device. */
enum place {
	PLACE_INVALID,  /* not an absolute path */
	PLACE_NO_MOUNT, /* no file system mounted there */
	PLACE_ROOT,     /* the volume's root directory */
	PLACE_NO_DIR,   /* below a directory that does not exist */
	PLACE_FILE,     /* a file name in the root directory, *name */
};

static enum place locate(const char *path, const char **name)
{
	size_t m = strlen(MOUNT_POINT);
	const char *rest;

	/* fs_open() and fs_stat() refuse these outright */
	if (strlen(path) <= 1 || path[0] != '/') {
		return PLACE_INVALID;
	}
	if (strncmp(path, MOUNT_POINT, m) != 0 || (path[m] != '\0' && path[m] != '/')) {
		return PLACE_NO_MOUNT;
	}
	rest = path[m] ? path + m + 1 : path + m;
	if (!*rest || strcmp(rest, ".") == 0 || strcmp(rest, "..") == 0) {
		return PLACE_ROOT;
	}
	if (strchr(rest, '/')) {
		return PLACE_NO_DIR;
	}
	*name = rest;
	return PLACE_FILE;
}

static struct sim_file *find(struct sim_fs *fs, const char *name)
{
	for (size_t i = 0; i < fs->count; i++) {
		if (strcmp(fs->files[i].name, name) == 0) {
			return &fs->files[i];
		}
	}
	return NULL;
}

/* fs_stat() as fs_mgmt reports it: the file, or a group error code. */
/*
 * fs_stat() as fs_mgmt reports it: the file, or a group error code. The file system's VFS
 * answers for the mount point itself and for paths outside every mount; littlefs for the rest,
 * failing (FS_ERR_UNKNOWN, observed) on a volume erased under it.
 */
static int stat_file(struct sim_fs *fs, const char *path, struct sim_file **file)
{
	const char *name = NULL;

	switch (locate(path, &name)) {
	case PLACE_INVALID:
		return FS_ERR_FILE_INVALID_NAME;
	case PLACE_ROOT:
		return FS_ERR_FILE_IS_DIRECTORY;
	case PLACE_NO_MOUNT:
		return FS_ERR_FILE_NOT_FOUND;
	default:
		if (fs->erased) {
			return FS_ERR_UNKNOWN;
		}
		*file = name ? find(fs, name) : NULL;
		return *file ? 0 : FS_ERR_FILE_NOT_FOUND;
	}
}

static size_t volume_used(const struct sim_fs *fs)
{
	size_t used = 0;

	for (size_t i = 0; i < fs->count; i++) {
		used += fs->files[i].len;
	}
	return used;
}

static struct sim_file *add(struct sim_fs *fs, const char *name)
{
	struct sim_file *files = realloc(fs->files, (fs->count + 1) * sizeof(*files));
	struct sim_file *f;

	if (!files) {
		return NULL;
	}
	fs->files = files;
	f = &files[fs->count];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	if (!f->name) {
		return NULL;
	}
	fs->count++;
	return f;
}

/* Forgets the open file and what was written to it. */
static void drop_open(struct sim_fs *fs)
{
	free(fs->open.path);
	free(fs->open.data);
	memset(&fs->open, 0, sizeof(fs->open));
}

static void clear(struct sim_fs *fs)
{
	drop_open(fs);
	for (size_t i = 0; i < fs->count; i++) {
		free(fs->files[i].name);
		free(fs->files[i].data);
	}
	free(fs->files);
	memset(fs, 0, sizeof(*fs));
}

/* The host file mirroring @p name, or NULL when the device keeps files in memory only. */
static char *host_path(const struct sim_device *dev, const char *name, int *err)
{
	char *dir, *path;

	*err = 0;
	if (!dev->state_dir) {
		return NULL;
	}
	dir = sim_hostfs_join(dev->state_dir, HOST_MOUNT);
	path = dir ? sim_hostfs_join(dir, name) : NULL;
	free(dir);
	if (!path) {
		*err = -ENOMEM;
	}
	return path;
}

static int host_write(const struct sim_device *dev, const char *name, uint64_t off,
		      const uint8_t *data, size_t len, bool truncate)
{
	int err;
	char *path = host_path(dev, name, &err);

	if (path) {
		err = sim_hostfs_write_at(path, off, data, len, truncate);
		free(path);
	}
	return err;
}

static int load_file(struct sim_fs *fs, const char *dir, const char *name)
{
	char *path = sim_hostfs_join(dir, name);
	struct sim_file *f;
	struct stat st;
	int err;

	if (!path) {
		return -ENOMEM;
	}
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(path);
		return 0;
	}
	f = add(fs, name);
	if (!f) {
		free(path);
		return -ENOMEM;
	}
	err = sim_hostfs_read(path, &f->data, &f->len);
	f->cap = f->len;
	free(path);
	return err;
}

static int load(struct sim_device *dev)
{
	char *dir = sim_hostfs_join(dev->state_dir, HOST_MOUNT);
	struct dirent *ent;
	DIR *d;
	int err;

	if (!dir) {
		return -ENOMEM;
	}
	err = sim_hostfs_mkdirs(dir);
	d = err ? NULL : opendir(dir);
	if (!err && !d) {
		err = -errno;
	}
	while (d && !err && (ent = readdir(d))) {
		if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0) {
			err = load_file(&dev->fs, dir, ent->d_name);
		}
	}
	if (d) {
		closedir(d);
	}
	free(dir);
	return err;
}

int sim_fs_init(struct sim_device *dev)
{
	int err = dev->state_dir ? load(dev) : 0;

	if (err) {
		sim_fs_free(dev);
	}
	return err;
}

void sim_fs_free(struct sim_device *dev)
{
	clear(&dev->fs);
}

int sim_fs_erase(struct sim_device *dev)
{
	char *dir, *mount;
	int err;

	clear(&dev->fs);
	dev->fs.erased = true;
	if (!dev->state_dir) {
		return 0;
	}
	dir = sim_hostfs_join(dev->state_dir, HOST_DIR);
	mount = sim_hostfs_join(dev->state_dir, HOST_MOUNT);
	err = dir && mount ? sim_hostfs_remove(dir) : -ENOMEM;
	if (!err) {
		err = sim_hostfs_mkdirs(mount);
	}
	free(dir);
	free(mount);
	return err;
}

void sim_fs_reboot(struct sim_device *dev)
{
	drop_open(&dev->fs);
	dev->fs.erased = false;
}

/* The open file's name on the volume (its path is always a file of the volume). */
static const char *open_name(const struct sim_fs_open *o)
{
	return o->path + strlen(MOUNT_POINT) + 1;
}

/*
 * fs_close(): what was written becomes the file, on the host too. @return 0 or a negative
 * errno from the state directory.
 */
static int close_open(struct sim_device *dev)
{
	struct sim_fs_open *o = &dev->fs.open;
	struct sim_file *f;
	int err;

	if (!o->path) {
		return 0;
	}
	f = find(&dev->fs, open_name(o));
	if (!f) {
		f = add(&dev->fs, open_name(o));
	}
	if (!f) {
		drop_open(&dev->fs);
		return -ENOMEM;
	}
	free(f->data);
	f->data = o->data;
	f->len = o->size;
	f->cap = o->cap;
	o->data = NULL;
	err = host_write(dev, f->name, 0, f->data, f->len, true);
	drop_open(&dev->fs);
	return err;
}

int sim_fs_close_idle(struct sim_device *dev)
{
	return close_open(dev);
}

/* fs_mgmt's idle timer (CONFIG_MCUMGR_GRP_FS_FILE_AUTOMATIC_IDLE_CLOSE_TIME) ran out. */
static void expire(struct sim_device *dev, uint64_t now_us)
{
	if (dev->fs.open.path && now_us >= dev->fs.open.idle_at_us) {
		close_open(dev);
	}
}

/* ---- handlers ---- */

/* Reads `name`: present, not empty and at most PATH_LEN bytes, as a C string. */
static int get_path(struct sim_req *req, char path[PATH_LEN + 1])
{
	const char *s = NULL;
	size_t n = 0;
	int rc = sim_req_text(req, "name", &s, &n, NULL);

	if (rc) {
		return rc;
	}
	if (n == 0 || !sim_copy_text(path, PATH_LEN + 1, s, n)) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	return 0;
}

/*
 * Zephyr's download chunk (MCUMGR_GRP_FS_DL_CHUNK_SIZE, fs_mgmt_config.h): the buffer less a
 * pessimistic reckoning of the header and the keys around the data, whatever the offset
 * (observed: 340 bytes with a 384-byte buffer, 2004 with 2048).
 */
#define DL_OVERHEAD                                                                         \
	(DFU_SMP_HDR_SIZE + (9 + 1) + (1 + 3 + MAX_OFFSET_LEN) + (1 + 4 + MAX_OFFSET_LEN) +    \
	 (1 + 2 + 1) + (1 + 3 + MAX_OFFSET_LEN))
/* CONFIG_MCUMGR_GRP_FS_MAX_OFFSET_LEN */
#define MAX_OFFSET_LEN 3

static size_t chunk_size(const struct sim_device *dev)
{
	uint32_t buf = sim_device_config(dev)->buf_size;

	return buf > DL_OVERHEAD ? buf - DL_OVERHEAD : 0;
}

static int download(struct sim_req *req)
{
	char path[PATH_LEN + 1];
	struct sim_file *f = NULL;
	uint64_t off = 0;
	size_t n = 0;
	bool has_off;
	int rc;

	expire(req->dev, req->now_us);
	rc = sim_req_uint(req, "off", UINT64_MAX, &off, &has_off);
	if (!rc) {
		rc = get_path(req, path);
	}
	if (rc || !has_off) {
		return rc ? rc : DFU_SMP_MGMT_ERR_EINVAL;
	}
	/* the one transfer context: a download ends the upload */
	close_open(req->dev);
	rc = stat_file(&req->dev->fs, path, &f);
	if (rc) {
		return SIM_GROUP_ERR(rc);
	}
	if (off < f->len) {
		n = chunk_size(req->dev);
		if (n == 0) {
			return DFU_SMP_MGMT_ERR_EMSGSIZE;
		}
		if (n > f->len - off) {
			n = f->len - (size_t)off;
		}
	}
	dfu_smp_mgmt_cbor_text(req->rsp, "off");
	dfu_smp_mgmt_cbor_uint(req->rsp, off);
	dfu_smp_mgmt_cbor_text(req->rsp, "data");
	dfu_smp_mgmt_cbor_bytes(req->rsp, n ? f->data + off : NULL, n);
	if (off == 0) {
		dfu_smp_mgmt_cbor_text(req->rsp, "len");
		dfu_smp_mgmt_cbor_uint(req->rsp, f->len);
	}
	req->dev->storage.reads++;
	req->dev->storage.bytes_read += (uint32_t)n;
	return 0;
}

/* Where fs_open() with FS_O_CREATE fails, the group error code fs_mgmt gives; else 0. */
static int check_writable(const struct sim_fs *fs, const char *path, const char **name)
{
	switch (locate(path, name)) {
	case PLACE_INVALID:
		return FS_ERR_FILE_INVALID_NAME;
	case PLACE_ROOT:
		/* littlefs says EISDIR, which fs_mgmt does not name */
		return FS_ERR_UNKNOWN;
	case PLACE_NO_MOUNT:
		/* fs_mgmt reads any ENOENT here as a missing mount point */
		return FS_ERR_MOUNT_POINT_NOT_FOUND;
	case PLACE_FILE:
		return fs->erased ? FS_ERR_UNKNOWN : 0;
	default:
		return fs->erased ? FS_ERR_UNKNOWN : FS_ERR_MOUNT_POINT_NOT_FOUND;
	}
}

/*
 * fs_open(FS_O_CREATE | FS_O_WRITE): littlefs creates a missing file (empty) at once; the handle
 * starts with the file's contents, at position 0. @return 0 or a group error code.
 */
static int open_file(struct sim_device *dev, const char *path, const char *name)
{
	struct sim_fs_open *o = &dev->fs.open;
	struct sim_file *f = find(&dev->fs, name);

	if (!f) {
		f = add(&dev->fs, name);
		if (!f || host_write(dev, name, 0, NULL, 0, true) != 0) {
			return FS_ERR_UNKNOWN;
		}
	}
	memset(o, 0, sizeof(*o));
	o->path = strdup(path);
	o->data = malloc(f->len ? f->len : 1);
	if (!o->path || !o->data) {
		drop_open(&dev->fs);
		return FS_ERR_UNKNOWN;
	}
	if (f->len) {
		memcpy(o->data, f->data, f->len);
	}
	o->size = o->cap = f->len;
	return 0;
}

/* fs_write() at the handle's position. */
static bool write_open(struct sim_fs_open *o, const uint8_t *data, size_t n)
{
	if (o->pos + n > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		uint8_t *p;

		while (cap < o->pos + n) {
			cap *= 2;
		}
		p = realloc(o->data, cap);
		if (!p) {
			return false;
		}
		o->data = p;
		o->cap = cap;
	}
	memcpy(o->data + o->pos, data, n);
	o->pos += n;
	if (o->pos > o->size) {
		o->size = o->pos;
	}
	return true;
}

/* Closes the open file after an error of the upload (fs_mgmt_cleanup()); @return @p rc. */
static int upload_failed(struct sim_device *dev, int rc)
{
	close_open(dev);
	return SIM_GROUP_ERR(rc);
}

/*
 * fs_mgmt_file_upload() step by step. The first request of a transfer opens the file; `off`
 * 0 takes the new length and empties a file that has data; the expected offset of a fresh
 * transfer is the file's length as last closed; a request at another offset gets the expected
 * one back as `len` and ends the transfer. As in Zephyr, `off` 0 on a transfer of the same file
 * still open empties the file but does not start the count again.
 */
static int upload(struct sim_req *req)
{
	struct sim_device *dev = req->dev;
	struct sim_fs_open *o = &dev->fs.open;
	char path[PATH_LEN + 1];
	const char *name = NULL;
	const uint8_t *data = NULL;
	struct sim_file *f = NULL;
	uint64_t off = 0, total = 0, at;
	size_t n = 0, existing = 0, used;
	bool has_off, has_len;
	int rc;

	expire(dev, req->now_us);
	rc = sim_req_uint(req, "off", UINT64_MAX, &off, &has_off);
	if (!rc) {
		rc = sim_req_bytes(req, "data", &data, &n, NULL);
	}
	if (!rc) {
		rc = sim_req_uint(req, "len", UINT64_MAX, &total, &has_len);
	}
	if (!rc) {
		rc = get_path(req, path);
	}
	if (rc || !has_off || (off == 0 && !has_len)) {
		return rc ? rc : DFU_SMP_MGMT_ERR_EINVAL;
	}
	if (o->path && strcmp(o->path, path) != 0) {
		close_open(dev);
	}
	if (!o->path) {
		rc = check_writable(&dev->fs, path, &name);
		if (!rc) {
			rc = open_file(dev, path, name);
		}
		if (rc) {
			return SIM_GROUP_ERR(rc);
		}
	}
	if (off == 0) {
		o->len = total;
		rc = stat_file(&dev->fs, path, &f);
		if (rc) {
			return upload_failed(dev, rc);
		}
		existing = f->len;
	} else if (o->off == 0) {
		rc = stat_file(&dev->fs, path, &f);
		if (rc) {
			return upload_failed(dev, rc);
		}
		o->off = f->len;
	}
	if (off > 0 && off != o->off) {
		at = o->off;
		close_open(dev);
		sim_req_group_err(req, FS_ERR_FILE_OFFSET_NOT_VALID);
		dfu_smp_mgmt_cbor_text(req->rsp, "len");
		dfu_smp_mgmt_cbor_uint(req->rsp, at);
		return 0;
	}
	if (n > 0) {
		if (off == 0 && existing != 0) {
			o->size = o->pos = 0; /* fs_truncate() */
		} else if (o->pos != off) {
			o->pos = o->size; /* fs_seek() to the end */
		}
		f = find(&dev->fs, open_name(o));
		used = volume_used(&dev->fs) - (f ? f->len : 0);
		if (used + (o->pos + n > o->size ? o->pos + n : o->size) > VOLUME_SIZE ||
		    !write_open(o, data, n)) {
			return upload_failed(dev, FS_ERR_FILE_WRITE_FAILED);
		}
		o->off += n;
		dev->storage.writes++;
		dev->storage.bytes_written += (uint32_t)n;
	}
	at = o->off;
	if (o->len > 0 && o->off >= o->len) {
		if (close_open(dev) != 0) {
			return SIM_GROUP_ERR(FS_ERR_FILE_WRITE_FAILED);
		}
	} else {
		o->idle_at_us = req->now_us + IDLE_CLOSE_US;
	}
	dfu_smp_mgmt_cbor_text(req->rsp, "off");
	dfu_smp_mgmt_cbor_uint(req->rsp, at);
	return 0;
}

static int status(struct sim_req *req)
{
	char path[PATH_LEN + 1];
	struct sim_file *f = NULL;
	int rc = get_path(req, path);

	expire(req->dev, req->now_us);
	if (rc) {
		return rc;
	}
	rc = stat_file(&req->dev->fs, path, &f);
	if (rc) {
		return SIM_GROUP_ERR(rc);
	}
	dfu_smp_mgmt_cbor_text(req->rsp, "len");
	dfu_smp_mgmt_cbor_uint(req->rsp, f->len);
	return 0;
}

/* The hash and checksum types, in registration order; crc32 is the default. */
static const struct hash_type {
	const char *name;
	bool bytes; /* output as a byte string, else as a number */
	size_t size;
} hash_types[] = {
	{ "crc32", false, 4 },
	{ "sha256", true, 32 },
};

#define HASH_TYPE_COUNT (sizeof(hash_types) / sizeof(hash_types[0]))

static int hash(struct sim_req *req)
{
	char path[PATH_LEN + 1], type[TYPE_LEN + 1] = "crc32";
	const char *t = NULL;
	const struct hash_type *ht = NULL;
	struct sim_file *f = NULL;
	uint64_t off = 0, len = UINT64_MAX;
	size_t tn = 0, n;
	int rc;

	expire(req->dev, req->now_us);
	rc = sim_req_text(req, "type", &t, &tn, NULL);
	if (!rc) {
		rc = sim_req_uint(req, "off", UINT64_MAX, &off, NULL);
	}
	if (!rc) {
		rc = sim_req_uint(req, "len", UINT64_MAX, &len, NULL);
	}
	if (!rc) {
		rc = get_path(req, path);
	}
	if (rc || tn > TYPE_LEN || len == 0) {
		return rc ? rc : DFU_SMP_MGMT_ERR_EINVAL;
	}
	if (tn) {
		sim_copy_text(type, sizeof(type), t, tn);
	}
	for (size_t i = 0; i < HASH_TYPE_COUNT; i++) {
		if (strcmp(hash_types[i].name, type) == 0) {
			ht = &hash_types[i];
		}
	}
	if (!ht) {
		return SIM_GROUP_ERR(FS_ERR_CHECKSUM_HASH_NOT_FOUND);
	}
	rc = stat_file(&req->dev->fs, path, &f);
	if (rc) {
		return SIM_GROUP_ERR(rc);
	}
	if (f->len <= off) {
		return SIM_GROUP_ERR(f->len == 0 ? FS_ERR_FILE_EMPTY
						 : FS_ERR_FILE_OFFSET_LARGER_THAN_FILE);
	}
	n = f->len - (size_t)off;
	if (len < n) {
		n = (size_t)len;
	}
	dfu_smp_mgmt_cbor_text(req->rsp, "type");
	dfu_smp_mgmt_cbor_text(req->rsp, ht->name);
	if (off) {
		dfu_smp_mgmt_cbor_text(req->rsp, "off");
		dfu_smp_mgmt_cbor_uint(req->rsp, off);
	}
	dfu_smp_mgmt_cbor_text(req->rsp, "len");
	dfu_smp_mgmt_cbor_uint(req->rsp, n);
	dfu_smp_mgmt_cbor_text(req->rsp, "output");
	if (ht->bytes) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int md_len = 0;

		if (!EVP_Digest(f->data + off, n, md, &md_len, EVP_sha256(), NULL)) {
			return SIM_GROUP_ERR(FS_ERR_UNKNOWN);
		}
		dfu_smp_mgmt_cbor_bytes(req->rsp, md, md_len);
	} else {
		uLong crc = crc32(0L, Z_NULL, 0);

		/* zlib takes at most a uInt at a time */
		for (size_t done = 0; done < n;) {
			uInt step = n - done > 0x40000000u ? 0x40000000u : (uInt)(n - done);

			crc = crc32(crc, f->data + off + done, step);
			done += step;
		}
		dfu_smp_mgmt_cbor_uint(req->rsp, crc);
	}
	req->dev->storage.reads++;
	req->dev->storage.bytes_read += (uint32_t)n;
	return 0;
}

static int hash_types_handler(struct sim_req *req)
{
	dfu_smp_mgmt_cbor_text(req->rsp, "types");
	dfu_smp_mgmt_cbor_map_indef(req->rsp);
	for (size_t i = 0; i < HASH_TYPE_COUNT; i++) {
		dfu_smp_mgmt_cbor_text(req->rsp, hash_types[i].name);
		dfu_smp_mgmt_cbor_map_indef(req->rsp);
		dfu_smp_mgmt_cbor_text(req->rsp, "format");
		dfu_smp_mgmt_cbor_uint(req->rsp, hash_types[i].bytes);
		dfu_smp_mgmt_cbor_text(req->rsp, "size");
		dfu_smp_mgmt_cbor_uint(req->rsp, hash_types[i].size);
		dfu_smp_mgmt_cbor_break(req->rsp);
	}
	dfu_smp_mgmt_cbor_break(req->rsp);
	return 0;
}

static int close_handler(struct sim_req *req)
{
	close_open(req->dev);
	return 0;
}

/* Zephyr's version 1 folding of file system group errors. */
static int fold_v1(int rc)
{
	switch (rc) {
	case FS_ERR_FILE_INVALID_NAME:
	case FS_ERR_CHECKSUM_HASH_NOT_FOUND:
		return DFU_SMP_MGMT_ERR_EINVAL;
	case FS_ERR_FILE_NOT_FOUND:
	case FS_ERR_MOUNT_POINT_NOT_FOUND:
		return DFU_SMP_MGMT_ERR_ENOENT;
	default:
		return DFU_SMP_MGMT_ERR_EUNKNOWN;
	}
}

static const struct sim_handler handlers[] = {
	{ DFU_SMP_MGMT_FS_FILE, download, upload },
	{ DFU_SMP_MGMT_FS_STATUS, status, NULL },
	{ DFU_SMP_MGMT_FS_HASH, hash, NULL },
	{ DFU_SMP_MGMT_FS_HASH_TYPES, hash_types_handler, NULL },
	{ DFU_SMP_MGMT_FS_CLOSE, NULL, close_handler },
};

const struct sim_group sim_group_fs = {
	.id = DFU_SMP_MGMT_GROUP_FS,
	.name = "fs mgmt",
	.handlers = handlers,
	.count = sizeof(handlers) / sizeof(handlers[0]),
	.fold_v1 = fold_v1,
};
