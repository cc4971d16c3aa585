/* SPDX-License-Identifier: Apache-2.0 */
#include "enum.h"

#include <errno.h>

#include "err.h"
#include "request.h"

/* Every enumeration request is a read. */
static void begin(struct smp_request *req, uint8_t id, size_t pairs,
		  struct mgmt_cbor_writer *w)
{
	mgmt_request_begin(req, SMP_OP_READ, MGMT_GROUP_ENUM, id, w);
	mgmt_cbor_map(w, pairs);
}

/* A map's `group`: a group ID, 16 bits. */
static int group_of(struct mgmt_reply *reply, const cbor_item_t *map, uint16_t *out)
{
	uint64_t v;
	int err = mgmt_reply_uint(reply, map, "group", true, UINT16_MAX, &v);

	if (!err) {
		*out = (uint16_t)v;
	}
	return err;
}

int mgmt_enum_count(struct smp_request *req)
{
	struct mgmt_cbor_writer w;

	begin(req, MGMT_ENUM_COUNT, 0, &w);
	return mgmt_request_end(req, &w);
}

int mgmt_enum_count_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			   uint64_t *count)
{
	const cbor_item_t *map;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	return mgmt_reply_uint(reply, map, "count", true, UINT64_MAX, count);
}

int mgmt_enum_list(struct smp_request *req)
{
	struct mgmt_cbor_writer w;

	begin(req, MGMT_ENUM_LIST, 0, &w);
	return mgmt_request_end(req, &w);
}

int mgmt_enum_list_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  struct mgmt_enum_list *out)
{
	const cbor_item_t *map, *groups;
	cbor_item_t **items;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = mgmt_reply_item(reply, map, "groups", true, CBOR_TYPE_ARRAY, &groups);
	}
	if (err) {
		return err;
	}
	out->count = cbor_array_size(groups);
	out->groups = mgmt_reply_alloc(reply, out->count * sizeof(*out->groups));
	if (!out->groups) {
		return -ENOMEM;
	}
	items = cbor_array_handle(groups);
	for (size_t i = 0; i < out->count; i++) {
		uint64_t v;

		mgmt_reply_where(reply, "groups[%zu]", i);
		if (mgmt_cbor_get_uint(items[i], &v) != 0) {
			return mgmt_reply_wrong_type(reply, "", items[i], "an unsigned integer");
		}
		if (v > UINT16_MAX) {
			return mgmt_reply_malformed(reply, "response key '%s' is %llu, more than "
						    "%u", reply->where, (unsigned long long)v,
						    (unsigned)UINT16_MAX);
		}
		out->groups[i] = (uint16_t)v;
	}
	return 0;
}

int mgmt_enum_single(struct smp_request *req, uint64_t index)
{
	struct mgmt_cbor_writer w;

	begin(req, MGMT_ENUM_SINGLE, 1, &w);
	mgmt_cbor_text(&w, "index");
	mgmt_cbor_uint(&w, index);
	return mgmt_request_end(req, &w);
}

int mgmt_enum_single_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			    struct mgmt_enum_single_rsp *out)
{
	const cbor_item_t *map;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	out->end = false;
	err = group_of(reply, map, &out->group);
	if (!err) {
		err = mgmt_reply_bool(reply, map, "end", false, &out->end);
	}
	return err;
}

int mgmt_enum_details(struct smp_request *req, const uint16_t *groups, size_t count)
{
	struct mgmt_cbor_writer w;

	begin(req, MGMT_ENUM_DETAILS, count > 0 ? 1 : 0, &w);
	if (count > 0) {
		mgmt_cbor_text(&w, "groups");
		mgmt_cbor_array(&w, count);
		for (size_t i = 0; i < count; i++) {
			mgmt_cbor_uint(&w, groups[i]);
		}
	}
	return mgmt_request_end(req, &w);
}

int mgmt_enum_details_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			     struct mgmt_enum_details *out)
{
	const cbor_item_t *map, *groups;
	cbor_item_t **items;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = mgmt_reply_item(reply, map, "groups", true, CBOR_TYPE_ARRAY, &groups);
	}
	if (err) {
		return err;
	}
	out->count = cbor_array_size(groups);
	out->groups = mgmt_reply_alloc(reply, out->count * sizeof(*out->groups));
	if (!out->groups) {
		return -ENOMEM;
	}
	items = cbor_array_handle(groups);
	for (size_t i = 0; i < out->count; i++) {
		struct mgmt_enum_detail *detail = &out->groups[i];

		mgmt_reply_where(reply, "groups[%zu]", i);
		if (!cbor_isa_map(items[i])) {
			return mgmt_reply_wrong_type(reply, "", items[i], "a map");
		}
		mgmt_reply_where(reply, "groups[%zu].", i);
		err = group_of(reply, items[i], &detail->group);
		if (!err) {
			err = mgmt_reply_text(reply, items[i], "name", false, &detail->name);
		}
		if (!err) {
			err = mgmt_reply_uint_opt(reply, items[i], "handlers", &detail->handlers);
		}
		if (err) {
			return err;
		}
	}
	return 0;
}
