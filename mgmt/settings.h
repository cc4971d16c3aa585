/* SPDX-License-Identifier: Apache-2.0 */
/* Settings group (3): request builders and response decoders. */
#ifndef MGMT_SETTINGS_H
#define MGMT_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "../smp/client.h"
#include "reply.h"

/** Command IDs of the settings group. */
enum mgmt_settings_id {
	MGMT_SETTINGS_VALUE = 0,     /**< read (op read) or write (op write) one setting */
	MGMT_SETTINGS_DELETE = 1,
	MGMT_SETTINGS_COMMIT = 2,
	MGMT_SETTINGS_LOAD_SAVE = 3, /**< load (op read) or save (op write) */
};

/**
 * Read request (read, `{"name": name}`, plus `max_size` when @p max_size >= 0).
 * @return 0 or -ENOBUFS.
 */
int mgmt_settings_read(struct smp_request *req, const char *name, int64_t max_size);

/** A setting's value: raw bytes; the caller knows their type. */
struct mgmt_settings_value {
	const uint8_t *val;
	size_t len;
	int64_t max_size; /**< the device's limit when smaller than asked, or -1 */
};

/** Decode a read (`val` bstr; `max_size` optional). @return 0, -EREMOTEIO or -EBADMSG. */
int mgmt_settings_read_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			      struct mgmt_settings_value *out);

/** Write request (write, `{"name", "val"}`). Decode with mgmt_reply_status(). */
int mgmt_settings_write(struct smp_request *req, const char *name, const uint8_t *val,
			size_t len);

/** Delete request (write, `{"name"}`). Decode with mgmt_reply_status(). */
int mgmt_settings_delete(struct smp_request *req, const char *name);

/** Commit request (write, `{}`). Decode with mgmt_reply_status(). */
int mgmt_settings_commit(struct smp_request *req);

/** Load-from-storage request (read, `{}`). Decode with mgmt_reply_status(). */
int mgmt_settings_load(struct smp_request *req);

/** Save-to-storage request (write); @p name limits it to a subtree, NULL saves all. */
int mgmt_settings_save(struct smp_request *req, const char *name);

#endif /* MGMT_SETTINGS_H */
