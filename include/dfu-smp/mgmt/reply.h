/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One decoded SMP response: whether the device succeeded, failed with a generic `rc` (SMP
 * version 1 and SMP-level errors) or with a group error `err: {group, rc}` (version 2), or sent
 * something that could not be read; and the memory the decoded values live in.
 *
 * Every group decoder takes a struct dfu_smp_mgmt_reply: the values it hands back (strings,
 * byte strings, arrays) point into memory owned by the reply, released by
 * dfu_smp_mgmt_reply_close(). The getters group decoders read the payload with are internal
 * (mgmt/reply_decode.h).
 */
#ifndef DFU_SMP_MGMT_REPLY_H
#define DFU_SMP_MGMT_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/smp/client.h>

/** How the response came out. */
enum dfu_smp_mgmt_reply_kind {
	DFU_SMP_MGMT_REPLY_OK, /**< success */
	DFU_SMP_MGMT_REPLY_RC, /**< generic error: `rc` (enum dfu_smp_mgmt_err), `detail` holds any `rsn` */
	DFU_SMP_MGMT_REPLY_GROUP_ERR, /**< group error: `group` and `rc` from `err` */
	DFU_SMP_MGMT_REPLY_MALFORMED, /**< unreadable or unexpected shape; `detail` says what */
};

struct dfu_smp_mgmt_reply_block;

/** A decoded response. Zero it (or the decoder does) before use. */
struct dfu_smp_mgmt_reply {
	enum dfu_smp_mgmt_reply_kind kind;
	uint16_t
		group; /**< the response's group; for DFU_SMP_MGMT_REPLY_GROUP_ERR the `err.group` */
	int64_t rc;    /**< error code for DFU_SMP_MGMT_REPLY_RC and DFU_SMP_MGMT_REPLY_GROUP_ERR */
	char detail[200]; /**< the device's `rsn`, or what was malformed */
	char where[64];   /**< prefix of key names in messages, e.g. "images[1]." */
	void *root;                            /* private: the loaded payload (a libcbor item) */
	struct dfu_smp_mgmt_reply_block *mem;  /* private: copies handed out */
};

/**
 * Decode a response whose success carries nothing the caller needs (e.g. `{}` after a reset):
 * only the outcome. @return 0 on success; -EREMOTEIO when the device reported an error (kind
 * RC or GROUP_ERR); -EBADMSG when the payload is not a CBOR map or its error keys are malformed.
 */
DFU_SMP_API int dfu_smp_mgmt_reply_status(const struct dfu_smp_client_rsp *rsp,
					  struct dfu_smp_mgmt_reply *reply);

/** Release everything the reply holds; values read from it become invalid. */
DFU_SMP_API void dfu_smp_mgmt_reply_close(struct dfu_smp_mgmt_reply *reply);

#endif /* DFU_SMP_MGMT_REPLY_H */
