/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/mgmt/stat.h>

#include <errno.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/request.h>

#include "reply_decode.h"

int dfu_smp_mgmt_stat_list(struct dfu_smp_request *req)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_STAT,
				   DFU_SMP_MGMT_STAT_LIST, &w);
	dfu_smp_mgmt_cbor_map(&w, 0);
	return dfu_smp_mgmt_request_end(req, &w);
}

/* One entry of `stat_list`: a group's name. */
static int decode_group_name(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *value,
			     const char *name, void *elem)
{
	(void)name;
	return dfu_smp_mgmt_reply_text_item(reply, value, "", elem);
}

int dfu_smp_mgmt_stat_list_decode(const struct dfu_smp_client_rsp *rsp,
				  struct dfu_smp_mgmt_reply *reply,
				  struct dfu_smp_mgmt_stat_list *out)
{
	const cbor_item_t *map;
	void *names = NULL;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = dfu_smp_mgmt_reply_array(reply, map, "stat_list", false, sizeof(*out->names),
				       decode_group_name, &names, &out->count);
		out->names = names;
	}
	return err;
}

int dfu_smp_mgmt_stat_show(struct dfu_smp_request *req, const char *name)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_STAT,
				   DFU_SMP_MGMT_STAT_SHOW, &w);
	dfu_smp_mgmt_cbor_map(&w, 1);
	dfu_smp_mgmt_cbor_text(&w, "name");
	dfu_smp_mgmt_cbor_text(&w, name);
	return dfu_smp_mgmt_request_end(req, &w);
}

/* One entry of `fields`: a counter's value under its name. */
static int decode_field(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *value,
			const char *name, void *elem)
{
	struct dfu_smp_mgmt_stat_field *field = elem;

	field->name = name;
	if (dfu_smp_mgmt_cbor_get_uint(value, &field->value) != 0) {
		return dfu_smp_mgmt_reply_wrong_type(reply, name, value, "an unsigned integer");
	}
	return 0;
}

int dfu_smp_mgmt_stat_show_decode(const struct dfu_smp_client_rsp *rsp,
				  struct dfu_smp_mgmt_reply *reply,
				  struct dfu_smp_mgmt_stat_group *out)
{
	const cbor_item_t *map;
	void *fields = NULL;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = dfu_smp_mgmt_reply_text(reply, map, "name", true, &out->name);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_named(reply, map, "fields", false, sizeof(*out->fields),
				       decode_field, &fields, &out->count);
		out->fields = fields;
	}
	return err;
}
