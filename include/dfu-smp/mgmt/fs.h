/* SPDX-License-Identifier: Apache-2.0 */
/* File system group (8): request builders and response decoders. */
#ifndef DFU_SMP_MGMT_FS_H
#define DFU_SMP_MGMT_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/smp/client.h>
#include <dfu-smp/mgmt/reply.h>

/** Command IDs of the file system group. */
enum dfu_smp_mgmt_fs_id {
	DFU_SMP_MGMT_FS_FILE = 0,       /**< download (op read) or upload (op write) */
	DFU_SMP_MGMT_FS_STATUS = 1,
	DFU_SMP_MGMT_FS_HASH = 2,
	DFU_SMP_MGMT_FS_HASH_TYPES = 3,
	DFU_SMP_MGMT_FS_CLOSE = 4,
};

/** Download request (read, `{"name", "off"}`); the device picks the chunk size. */
DFU_SMP_API int dfu_smp_mgmt_fs_download(struct dfu_smp_request *req, const char *name,
					 uint64_t off);

/** A download chunk. */
struct dfu_smp_mgmt_fs_download_rsp {
	uint64_t off;
	const uint8_t *data;
	size_t len;
	int64_t total; /**< the file's size (`len`, sent with off 0), or -1 when absent */
};

/** Decode a download chunk (`off`, `data` required; `len` optional). */
DFU_SMP_API int dfu_smp_mgmt_fs_download_decode(const struct dfu_smp_client_rsp *rsp,
						struct dfu_smp_mgmt_reply *reply,
						struct dfu_smp_mgmt_fs_download_rsp *out);

/**
 * Upload request (write, `{"name", "off", "data"}` plus `len` = @p total when @p total >= 0;
 * the device needs it with off 0). @return 0 or -ENOBUFS.
 */
DFU_SMP_API int dfu_smp_mgmt_fs_upload(struct dfu_smp_request *req, const char *name, uint64_t off,
				       const uint8_t *data, size_t len, int64_t total);

/**
 * The largest number of data bytes an upload request for @p name at @p off (with `len` when
 * @p total >= 0) can carry when the whole SMP message is at most @p msg_limit bytes; 0 if none.
 */
DFU_SMP_API size_t dfu_smp_mgmt_fs_upload_max_data(const char *name, uint64_t off, int64_t total,
						   size_t msg_limit);

/** Decode an upload answer: the next offset (`off`). */
DFU_SMP_API int dfu_smp_mgmt_fs_upload_decode(const struct dfu_smp_client_rsp *rsp,
					      struct dfu_smp_mgmt_reply *reply, uint64_t *off);

/** Status request (read, `{"name"}`). */
DFU_SMP_API int dfu_smp_mgmt_fs_status(struct dfu_smp_request *req, const char *name);

/** Decode a status answer: the file's size (`len`). */
DFU_SMP_API int dfu_smp_mgmt_fs_status_decode(const struct dfu_smp_client_rsp *rsp,
					      struct dfu_smp_mgmt_reply *reply, uint64_t *len);

/**
 * Hash/checksum request (read, `{"name"}` plus `type` when not NULL, `off` when not 0 and
 * `len` when @p len >= 0).
 */
DFU_SMP_API int dfu_smp_mgmt_fs_hash(struct dfu_smp_request *req, const char *name,
				     const char *type, uint64_t off, int64_t len);

/** A hash or checksum answer: `output` is a number (crc32) or bytes (sha256). */
struct dfu_smp_mgmt_fs_hash_rsp {
	const char *type;
	uint64_t off;          /**< 0 when absent */
	uint64_t len;          /**< bytes hashed */
	bool output_is_number;
	uint64_t number;       /**< when output_is_number */
	const uint8_t *bytes;  /**< otherwise */
	size_t bytes_len;
};

/** Decode a hash answer. */
DFU_SMP_API int dfu_smp_mgmt_fs_hash_decode(const struct dfu_smp_client_rsp *rsp,
					    struct dfu_smp_mgmt_reply *reply,
					    struct dfu_smp_mgmt_fs_hash_rsp *out);

/** Supported-types request (read, `{}`). */
DFU_SMP_API int dfu_smp_mgmt_fs_hash_types(struct dfu_smp_request *req);

/** One supported hash/checksum type. */
struct dfu_smp_mgmt_fs_hash_type {
	const char *name;
	uint64_t format; /**< 0 number, 1 byte string */
	uint64_t size;   /**< bytes */
};

/** The supported types. */
struct dfu_smp_mgmt_fs_hash_types {
	struct dfu_smp_mgmt_fs_hash_type *types;
	size_t count;
};

/** Decode the supported types (`types`: map name -> {format, size}). */
DFU_SMP_API int dfu_smp_mgmt_fs_hash_types_decode(const struct dfu_smp_client_rsp *rsp,
						  struct dfu_smp_mgmt_reply *reply,
						  struct dfu_smp_mgmt_fs_hash_types *out);

/** Close request (write, `{}`): ends the device's upload/download context. */
DFU_SMP_API int dfu_smp_mgmt_fs_close(struct dfu_smp_request *req);

#endif /* DFU_SMP_MGMT_FS_H */
