/* SPDX-License-Identifier: Apache-2.0 */
#include "stat.h"

#include <errno.h>

#include "err.h"
#include "request.h"

int mgmt_stat_list(struct smp_request *req)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_READ, MGMT_GROUP_STAT, MGMT_STAT_LIST, &w);
	mgmt_cbor_map(&w, 0);
	return mgmt_request_end(req, &w);
}

int mgmt_stat_list_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  struct mgmt_stat_list *out)
{
	const cbor_item_t *map, *list;
	cbor_item_t **items;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = mgmt_reply_item(reply, map, "stat_list", true, CBOR_TYPE_ARRAY, &list);
	}
	if (err) {
		return err;
	}
	out->count = cbor_array_size(list);
	out->names = mgmt_reply_alloc(reply, out->count * sizeof(*out->names));
	if (!out->names) {
		return -ENOMEM;
	}
	items = cbor_array_handle(list);
	for (size_t i = 0; i < out->count; i++) {
		mgmt_reply_where(reply, "stat_list[%zu]", i);
		err = mgmt_reply_text_item(reply, items[i], "", &out->names[i]);
		if (err) {
			return err;
		}
	}
	return 0;
}

int mgmt_stat_show(struct smp_request *req, const char *name)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_READ, MGMT_GROUP_STAT, MGMT_STAT_SHOW, &w);
	mgmt_cbor_map(&w, 1);
	mgmt_cbor_text(&w, "name");
	mgmt_cbor_text(&w, name);
	return mgmt_request_end(req, &w);
}

int mgmt_stat_show_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  struct mgmt_stat_group *out)
{
	const cbor_item_t *map, *fields;
	struct cbor_pair *pairs;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = mgmt_reply_text(reply, map, "name", true, &out->name);
	}
	if (!err) {
		err = mgmt_reply_item(reply, map, "fields", true, CBOR_TYPE_MAP, &fields);
	}
	if (err) {
		return err;
	}
	out->count = cbor_map_size(fields);
	out->fields = mgmt_reply_alloc(reply, out->count * sizeof(*out->fields));
	if (!out->fields) {
		return -ENOMEM;
	}
	pairs = cbor_map_handle(fields);
	for (size_t i = 0; i < out->count; i++) {
		struct mgmt_stat_field *field = &out->fields[i];

		mgmt_reply_where(reply, "");
		err = mgmt_reply_key(reply, "fields", pairs[i].key, &field->name);
		if (err) {
			return err;
		}
		if (mgmt_cbor_get_uint(pairs[i].value, &field->value) != 0) {
			mgmt_reply_where(reply, "fields.");
			return mgmt_reply_wrong_type(reply, field->name, pairs[i].value,
						     "an unsigned integer");
		}
	}
	return 0;
}
