/* SPDX-License-Identifier: Apache-2.0 */
#include "settings.h"

#include "err.h"
#include "request.h"

/* Every settings request is a map of an optional `name` and at most one more key. */
static void begin(struct smp_request *req, uint8_t op, uint8_t id, const char *name,
		  size_t more, struct mgmt_cbor_writer *w)
{
	mgmt_request_begin(req, op, MGMT_GROUP_SETTINGS, id, w);
	mgmt_cbor_map(w, (name ? 1 : 0) + more);
	if (name) {
		mgmt_cbor_text(w, "name");
		mgmt_cbor_text(w, name);
	}
}

int mgmt_settings_read(struct smp_request *req, const char *name, int64_t max_size)
{
	struct mgmt_cbor_writer w;

	begin(req, SMP_OP_READ, MGMT_SETTINGS_VALUE, name, max_size >= 0 ? 1 : 0, &w);
	if (max_size >= 0) {
		mgmt_cbor_text(&w, "max_size");
		mgmt_cbor_uint(&w, (uint64_t)max_size);
	}
	return mgmt_request_end(req, &w);
}

int mgmt_settings_read_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			      struct mgmt_settings_value *out)
{
	const cbor_item_t *map;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = mgmt_reply_bytes(reply, map, "val", true, &out->val, &out->len);
	}
	if (!err) {
		err = mgmt_reply_uint_opt(reply, map, "max_size", &out->max_size);
	}
	return err;
}

int mgmt_settings_write(struct smp_request *req, const char *name, const uint8_t *val,
			size_t len)
{
	struct mgmt_cbor_writer w;

	begin(req, SMP_OP_WRITE, MGMT_SETTINGS_VALUE, name, 1, &w);
	mgmt_cbor_text(&w, "val");
	mgmt_cbor_bytes(&w, val, len);
	return mgmt_request_end(req, &w);
}

int mgmt_settings_delete(struct smp_request *req, const char *name)
{
	struct mgmt_cbor_writer w;

	begin(req, SMP_OP_WRITE, MGMT_SETTINGS_DELETE, name, 0, &w);
	return mgmt_request_end(req, &w);
}

int mgmt_settings_commit(struct smp_request *req)
{
	struct mgmt_cbor_writer w;

	begin(req, SMP_OP_WRITE, MGMT_SETTINGS_COMMIT, NULL, 0, &w);
	return mgmt_request_end(req, &w);
}

int mgmt_settings_load(struct smp_request *req)
{
	struct mgmt_cbor_writer w;

	begin(req, SMP_OP_READ, MGMT_SETTINGS_LOAD_SAVE, NULL, 0, &w);
	return mgmt_request_end(req, &w);
}

int mgmt_settings_save(struct smp_request *req, const char *name)
{
	struct mgmt_cbor_writer w;

	begin(req, SMP_OP_WRITE, MGMT_SETTINGS_LOAD_SAVE, name, 0, &w);
	return mgmt_request_end(req, &w);
}
