/* SPDX-License-Identifier: Apache-2.0 */
/* Enumeration group (10): request builders and response decoders. */
#ifndef DFU_SMP_MGMT_ENUM_H
#define DFU_SMP_MGMT_ENUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/smp/client.h>
#include <dfu-smp/mgmt/reply.h>

/** Command IDs of the enumeration group. */
enum dfu_smp_mgmt_enum_id {
	DFU_SMP_MGMT_ENUM_COUNT = 0,
	DFU_SMP_MGMT_ENUM_LIST = 1,
	DFU_SMP_MGMT_ENUM_SINGLE = 2,
	DFU_SMP_MGMT_ENUM_DETAILS = 3,
};

/** Count request (read, `{}`). */
DFU_SMP_API int dfu_smp_mgmt_enum_count(struct dfu_smp_request *req);

/** Decode the number of groups (`count`). */
DFU_SMP_API int dfu_smp_mgmt_enum_count_decode(const struct dfu_smp_client_rsp *rsp,
					       struct dfu_smp_mgmt_reply *reply, uint64_t *count);

/** The group IDs, in the device's order. */
struct dfu_smp_mgmt_enum_list {
	uint16_t *groups;
	size_t count;
};

/** List request (read, `{}`). */
DFU_SMP_API int dfu_smp_mgmt_enum_list(struct dfu_smp_request *req);

/** Decode the list (`groups`: array of uint, each at most 65535). */
DFU_SMP_API int dfu_smp_mgmt_enum_list_decode(const struct dfu_smp_client_rsp *rsp,
					      struct dfu_smp_mgmt_reply *reply,
					      struct dfu_smp_mgmt_enum_list *out);

/** Single-group request (read, `{"index": index}`). */
DFU_SMP_API int dfu_smp_mgmt_enum_single(struct dfu_smp_request *req, uint64_t index);

/** One group by index. */
struct dfu_smp_mgmt_enum_single_rsp {
	uint16_t group;
	bool end; /**< true on the last group */
};

/** Decode a single-group answer (`group`; `end` optional). */
DFU_SMP_API int dfu_smp_mgmt_enum_single_decode(const struct dfu_smp_client_rsp *rsp,
						struct dfu_smp_mgmt_reply *reply,
						struct dfu_smp_mgmt_enum_single_rsp *out);

/** Details request (read): `{}`, or `{"groups": [...]}` for @p count > 0 IDs. */
DFU_SMP_API int dfu_smp_mgmt_enum_details(struct dfu_smp_request *req, const uint16_t *groups,
					  size_t count);

/** Details of one group. */
struct dfu_smp_mgmt_enum_detail {
	uint16_t group;
	const char *name;  /**< or NULL when absent */
	int64_t handlers;  /**< size of its command table, or -1 when absent */
};

/** Details of every group asked for. */
struct dfu_smp_mgmt_enum_details {
	struct dfu_smp_mgmt_enum_detail *groups;
	size_t count;
};

/** Decode details (`groups`: array of maps). */
DFU_SMP_API int dfu_smp_mgmt_enum_details_decode(const struct dfu_smp_client_rsp *rsp,
						 struct dfu_smp_mgmt_reply *reply,
						 struct dfu_smp_mgmt_enum_details *out);

#endif /* DFU_SMP_MGMT_ENUM_H */
