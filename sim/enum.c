/* SPDX-License-Identifier: Apache-2.0 */
/* The simulated device's enumeration group (10): its groups, as Zephyr's enum_mgmt lists them. */
#include "../mgmt/cbor_reader.h"
#include "device.h"

#include <dfu-smp/mgmt/enum.h>
#include <dfu-smp/mgmt/err.h>

/* Enumeration group error codes (enum enum_mgmt_err_code_t). */
enum {
	ENUM_ERR_TOO_MANY_GROUP_ENTRIES = 2,
	ENUM_ERR_INDEX_TOO_LARGE = 4,
};

/* Zephyr's MAX_MCUMGR_GROUPS: a larger index is malformed rather than out of range. */
#define MAX_GROUPS 65535

static int count(struct sim_req *req)
{
	size_t n;

	sim_device_groups(&n);
	dfu_smp_mgmt_cbor_text(req->rsp, "count");
	dfu_smp_mgmt_cbor_uint(req->rsp, n);
	return 0;
}

static int list(struct sim_req *req)
{
	size_t n;
	const struct sim_group *const *groups = sim_device_groups(&n);

	dfu_smp_mgmt_cbor_text(req->rsp, "groups");
	dfu_smp_mgmt_cbor_array_indef(req->rsp);
	for (size_t i = 0; i < n; i++) {
		dfu_smp_mgmt_cbor_uint(req->rsp, groups[i]->id);
	}
	dfu_smp_mgmt_cbor_break(req->rsp);
	return 0;
}

static int single(struct sim_req *req)
{
	size_t n;
	const struct sim_group *const *groups = sim_device_groups(&n);
	uint64_t index = 0;
	int rc;

	rc = sim_req_uint(req, "index", MAX_GROUPS, &index, NULL);
	if (rc) {
		return rc;
	}
	if (index >= n) {
		return SIM_GROUP_ERR(ENUM_ERR_INDEX_TOO_LARGE);
	}
	dfu_smp_mgmt_cbor_text(req->rsp, "group");
	dfu_smp_mgmt_cbor_uint(req->rsp, groups[index]->id);
	if (index == n - 1) {
		dfu_smp_mgmt_cbor_text(req->rsp, "end");
		dfu_smp_mgmt_cbor_bool(req->rsp, true);
	}
	return 0;
}

/* The size of a group's command table: its highest command ID plus one. */
static size_t table_size(const struct sim_group *group)
{
	size_t size = 0;

	for (size_t i = 0; i < group->count; i++) {
		if (group->handlers[i].id + 1u > size) {
			size = group->handlers[i].id + 1u;
		}
	}
	return size;
}

static bool wanted(const cbor_item_t *filter, uint16_t id)
{
	for (size_t i = 0; i < cbor_array_size(filter); i++) {
		uint64_t v = 0;

		dfu_smp_mgmt_cbor_get_uint(cbor_array_handle(filter)[i], &v);
		if ((uint16_t)v == id) {
			return true;
		}
	}
	return false;
}

/*
 * Details of every group, or of those listed in `groups`. Like Zephyr, a `groups` that is not
 * an array, or is empty, asks for all of them; unknown IDs are skipped.
 */
static int details(struct sim_req *req)
{
	const cbor_item_t *filter;
	size_t n;
	const struct sim_group *const *groups = sim_device_groups(&n);
	int rc = sim_req_item(req, "groups", &filter);

	if (rc) {
		return rc;
	}
	if (filter && (!cbor_isa_array(filter) || cbor_array_size(filter) == 0)) {
		filter = NULL;
	}
	for (size_t i = 0; filter && i < cbor_array_size(filter); i++) {
		uint64_t v;

		if (dfu_smp_mgmt_cbor_get_uint(cbor_array_handle(filter)[i], &v) != 0 ||
		    v > UINT32_MAX) {
			return DFU_SMP_MGMT_ERR_EINVAL;
		}
	}
	dfu_smp_mgmt_cbor_text(req->rsp, "groups");
	dfu_smp_mgmt_cbor_array_indef(req->rsp);
	for (size_t i = 0; i < n; i++) {
		if (filter && !wanted(filter, groups[i]->id)) {
			continue;
		}
		dfu_smp_mgmt_cbor_map_indef(req->rsp);
		dfu_smp_mgmt_cbor_text(req->rsp, "group");
		dfu_smp_mgmt_cbor_uint(req->rsp, groups[i]->id);
		dfu_smp_mgmt_cbor_text(req->rsp, "name");
		dfu_smp_mgmt_cbor_text(req->rsp, groups[i]->name);
		dfu_smp_mgmt_cbor_text(req->rsp, "handlers");
		dfu_smp_mgmt_cbor_uint(req->rsp, table_size(groups[i]));
		dfu_smp_mgmt_cbor_break(req->rsp);
	}
	dfu_smp_mgmt_cbor_break(req->rsp);
	return 0;
}

/* Zephyr's version 1 folding of enumeration group errors. */
static int fold_v1(int rc)
{
	return rc == ENUM_ERR_TOO_MANY_GROUP_ENTRIES ? DFU_SMP_MGMT_ERR_EINVAL
						     : DFU_SMP_MGMT_ERR_EUNKNOWN;
}

static const struct sim_handler handlers[] = {
	{ DFU_SMP_MGMT_ENUM_COUNT, count, NULL },
	{ DFU_SMP_MGMT_ENUM_LIST, list, NULL },
	{ DFU_SMP_MGMT_ENUM_SINGLE, single, NULL },
	{ DFU_SMP_MGMT_ENUM_DETAILS, details, NULL },
};

const struct sim_group sim_group_enum = {
	.id = DFU_SMP_MGMT_GROUP_ENUM,
	.name = "enum mgmt",
	.handlers = handlers,
	.count = sizeof(handlers) / sizeof(handlers[0]),
	.fold_v1 = fold_v1,
};
