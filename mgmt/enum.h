/* SPDX-License-Identifier: Apache-2.0 */
/* Enumeration group (10): request builders and response decoders. */
#ifndef MGMT_ENUM_H
#define MGMT_ENUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../smp/client.h"
#include "reply.h"

/** Command IDs of the enumeration group. */
enum mgmt_enum_id {
	MGMT_ENUM_COUNT = 0,
	MGMT_ENUM_LIST = 1,
	MGMT_ENUM_SINGLE = 2,
	MGMT_ENUM_DETAILS = 3,
};

/** Count request (read, `{}`). */
int mgmt_enum_count(struct smp_request *req);

/** Decode the number of groups (`count`). */
int mgmt_enum_count_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			   uint64_t *count);

/** The group IDs, in the device's order. */
struct mgmt_enum_list {
	uint16_t *groups;
	size_t count;
};

/** List request (read, `{}`). */
int mgmt_enum_list(struct smp_request *req);

/** Decode the list (`groups`: array of uint, each at most 65535). */
int mgmt_enum_list_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  struct mgmt_enum_list *out);

/** Single-group request (read, `{"index": index}`). */
int mgmt_enum_single(struct smp_request *req, uint64_t index);

/** One group by index. */
struct mgmt_enum_single_rsp {
	uint16_t group;
	bool end; /**< true on the last group */
};

/** Decode a single-group answer (`group`; `end` optional). */
int mgmt_enum_single_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			    struct mgmt_enum_single_rsp *out);

/** Details request (read): `{}`, or `{"groups": [...]}` for @p count > 0 IDs. */
int mgmt_enum_details(struct smp_request *req, const uint16_t *groups, size_t count);

/** Details of one group. */
struct mgmt_enum_detail {
	uint16_t group;
	const char *name;  /**< or NULL when absent */
	int64_t handlers;  /**< size of its command table, or -1 when absent */
};

/** Details of every group asked for. */
struct mgmt_enum_details {
	struct mgmt_enum_detail *groups;
	size_t count;
};

/** Decode details (`groups`: array of maps). */
int mgmt_enum_details_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			     struct mgmt_enum_details *out);

#endif /* MGMT_ENUM_H */
