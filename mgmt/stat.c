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

/* One entry of `stat_list`: a group's name. */
static int decode_group_name(struct mgmt_reply *reply, const cbor_item_t *value,
			     const char *name, void *elem)
{
	(void)name;
	return mgmt_reply_text_item(reply, value, "", elem);
}

int mgmt_stat_list_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  struct mgmt_stat_list *out)
{
	const cbor_item_t *map;
	void *names = NULL;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = mgmt_reply_array(reply, map, "stat_list", false, sizeof(*out->names),
				       decode_group_name, &names, &out->count);
		out->names = names;
	}
	return err;
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

/* One entry of `fields`: a counter's value under its name. */
static int decode_field(struct mgmt_reply *reply, const cbor_item_t *value, const char *name,
			void *elem)
{
	struct mgmt_stat_field *field = elem;

	field->name = name;
	if (mgmt_cbor_get_uint(value, &field->value) != 0) {
		return mgmt_reply_wrong_type(reply, name, value, "an unsigned integer");
	}
	return 0;
}

int mgmt_stat_show_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  struct mgmt_stat_group *out)
{
	const cbor_item_t *map;
	void *fields = NULL;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = mgmt_reply_text(reply, map, "name", true, &out->name);
	}
	if (!err) {
		err = mgmt_reply_named(reply, map, "fields", false, sizeof(*out->fields),
				       decode_field, &fields, &out->count);
		out->fields = fields;
	}
	return err;
}
