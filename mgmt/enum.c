/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/mgmt/enum.h>

#include <errno.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/request.h>

#include "reply_decode.h"

/* Every enumeration request is a read. */
static void begin(struct dfu_smp_request *req, uint8_t id, size_t pairs,
		  struct dfu_smp_mgmt_cbor_writer *w)
{
	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_ENUM, id, w);
	dfu_smp_mgmt_cbor_map(w, pairs);
}

/* A map's `group`: a group ID, 16 bits. */
static int group_of(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map, uint16_t *out)
{
	uint64_t v;
	int err = dfu_smp_mgmt_reply_uint(reply, map, "group", true, UINT16_MAX, &v);

	if (!err) {
		*out = (uint16_t)v;
	}
	return err;
}

int dfu_smp_mgmt_enum_count(struct dfu_smp_request *req)
{
	struct dfu_smp_mgmt_cbor_writer w;

	begin(req, DFU_SMP_MGMT_ENUM_COUNT, 0, &w);
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_enum_count_decode(const struct dfu_smp_client_rsp *rsp,
				   struct dfu_smp_mgmt_reply *reply, uint64_t *count)
{
	const cbor_item_t *map;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	return dfu_smp_mgmt_reply_uint(reply, map, "count", true, UINT64_MAX, count);
}

int dfu_smp_mgmt_enum_list(struct dfu_smp_request *req)
{
	struct dfu_smp_mgmt_cbor_writer w;

	begin(req, DFU_SMP_MGMT_ENUM_LIST, 0, &w);
	return dfu_smp_mgmt_request_end(req, &w);
}

/* One entry of `groups` in a list: a group ID. */
static int decode_group_id(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *value,
			   const char *name, void *elem)
{
	uint16_t *group = elem;
	uint64_t v;

	(void)name;
	if (dfu_smp_mgmt_cbor_get_uint(value, &v) != 0) {
		return dfu_smp_mgmt_reply_wrong_type(reply, "", value, "an unsigned integer");
	}
	if (v > UINT16_MAX) {
		return dfu_smp_mgmt_reply_malformed(
			reply, "response key '%s' is %llu, more than %u", reply->where,
			(unsigned long long)v, (unsigned)UINT16_MAX);
	}
	*group = (uint16_t)v;
	return 0;
}

int dfu_smp_mgmt_enum_list_decode(const struct dfu_smp_client_rsp *rsp,
				  struct dfu_smp_mgmt_reply *reply,
				  struct dfu_smp_mgmt_enum_list *out)
{
	const cbor_item_t *map;
	void *groups = NULL;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = dfu_smp_mgmt_reply_array(reply, map, "groups", false, sizeof(*out->groups),
				       decode_group_id, &groups, &out->count);
		out->groups = groups;
	}
	return err;
}

int dfu_smp_mgmt_enum_single(struct dfu_smp_request *req, uint64_t index)
{
	struct dfu_smp_mgmt_cbor_writer w;

	begin(req, DFU_SMP_MGMT_ENUM_SINGLE, 1, &w);
	dfu_smp_mgmt_cbor_text(&w, "index");
	dfu_smp_mgmt_cbor_uint(&w, index);
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_enum_single_decode(const struct dfu_smp_client_rsp *rsp,
				    struct dfu_smp_mgmt_reply *reply,
				    struct dfu_smp_mgmt_enum_single_rsp *out)
{
	const cbor_item_t *map;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	out->end = false;
	err = group_of(reply, map, &out->group);
	if (!err) {
		err = dfu_smp_mgmt_reply_bool(reply, map, "end", false, &out->end);
	}
	return err;
}

int dfu_smp_mgmt_enum_details(struct dfu_smp_request *req, const uint16_t *groups, size_t count)
{
	struct dfu_smp_mgmt_cbor_writer w;

	begin(req, DFU_SMP_MGMT_ENUM_DETAILS, count > 0 ? 1 : 0, &w);
	if (count > 0) {
		dfu_smp_mgmt_cbor_text(&w, "groups");
		dfu_smp_mgmt_cbor_array(&w, count);
		for (size_t i = 0; i < count; i++) {
			dfu_smp_mgmt_cbor_uint(&w, groups[i]);
		}
	}
	return dfu_smp_mgmt_request_end(req, &w);
}

/* One entry of `groups` in the details: a map. */
static int decode_detail(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *value,
			 const char *name, void *elem)
{
	struct dfu_smp_mgmt_enum_detail *detail = elem;
	int err = group_of(reply, value, &detail->group);

	(void)name;
	if (!err) {
		err = dfu_smp_mgmt_reply_text(reply, value, "name", false, &detail->name);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, value, "handlers", &detail->handlers);
	}
	return err;
}

int dfu_smp_mgmt_enum_details_decode(const struct dfu_smp_client_rsp *rsp,
				     struct dfu_smp_mgmt_reply *reply,
				     struct dfu_smp_mgmt_enum_details *out)
{
	const cbor_item_t *map;
	void *groups = NULL;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = dfu_smp_mgmt_reply_array(reply, map, "groups", true, sizeof(*out->groups),
				       decode_detail, &groups, &out->count);
		out->groups = groups;
	}
	return err;
}
