/* SPDX-License-Identifier: Apache-2.0 */
/* Settings group (3): request builders and response decoders. */
#ifndef DFU_SMP_MGMT_SETTINGS_H
#define DFU_SMP_MGMT_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/smp/client.h>
#include <dfu-smp/mgmt/reply.h>

/** Command IDs of the settings group. */
enum dfu_smp_mgmt_settings_id {
	DFU_SMP_MGMT_SETTINGS_VALUE = 0,     /**< read (op read) or write (op write) one setting */
	DFU_SMP_MGMT_SETTINGS_DELETE = 1,
	DFU_SMP_MGMT_SETTINGS_COMMIT = 2,
	DFU_SMP_MGMT_SETTINGS_LOAD_SAVE = 3, /**< load (op read) or save (op write) */
};

/**
 * Read request (read, `{"name": name}`, plus `max_size` when @p max_size >= 0).
 * @return 0 or -ENOBUFS.
 */
DFU_SMP_API int dfu_smp_mgmt_settings_read(struct dfu_smp_request *req, const char *name,
					   int64_t max_size);

/** A setting's value: raw bytes; the caller knows their type. */
struct dfu_smp_mgmt_settings_value {
	const uint8_t *val;
	size_t len;
	int64_t max_size; /**< the device's limit when smaller than asked, or -1 */
};

/** Decode a read (`val` bstr; `max_size` optional). @return 0, -EREMOTEIO or -EBADMSG. */
DFU_SMP_API int dfu_smp_mgmt_settings_read_decode(const struct dfu_smp_client_rsp *rsp,
						  struct dfu_smp_mgmt_reply *reply,
						  struct dfu_smp_mgmt_settings_value *out);

/** Write request (write, `{"name", "val"}`). Decode with dfu_smp_mgmt_reply_status(). */
DFU_SMP_API int dfu_smp_mgmt_settings_write(struct dfu_smp_request *req, const char *name,
					    const uint8_t *val, size_t len);

/** Delete request (write, `{"name"}`). Decode with dfu_smp_mgmt_reply_status(). */
DFU_SMP_API int dfu_smp_mgmt_settings_delete(struct dfu_smp_request *req, const char *name);

/** Commit request (write, `{}`). Decode with dfu_smp_mgmt_reply_status(). */
DFU_SMP_API int dfu_smp_mgmt_settings_commit(struct dfu_smp_request *req);

/** Load-from-storage request (read, `{}`). Decode with dfu_smp_mgmt_reply_status(). */
DFU_SMP_API int dfu_smp_mgmt_settings_load(struct dfu_smp_request *req);

/** Save-to-storage request (write); @p name limits it to a subtree, NULL saves all. */
DFU_SMP_API int dfu_smp_mgmt_settings_save(struct dfu_smp_request *req, const char *name);

#endif /* DFU_SMP_MGMT_SETTINGS_H */
