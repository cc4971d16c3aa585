/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/mgmt/settings.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/request.h>

#include "reply_decode.h"

/* Every settings request is a map of an optional `name` and at most one more key. */
static void begin(struct dfu_smp_request *req, uint8_t op, uint8_t id, const char *name,
		  size_t more, struct dfu_smp_mgmt_cbor_writer *w)
{
	dfu_smp_mgmt_request_begin(req, op, DFU_SMP_MGMT_GROUP_SETTINGS, id, w);
	dfu_smp_mgmt_cbor_map(w, (name ? 1 : 0) + more);
	if (name) {
		dfu_smp_mgmt_cbor_text(w, "name");
		dfu_smp_mgmt_cbor_text(w, name);
	}
}

int dfu_smp_mgmt_settings_read(struct dfu_smp_request *req, const char *name, int64_t max_size)
{
	struct dfu_smp_mgmt_cbor_writer w;

	begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_SETTINGS_VALUE, name, max_size >= 0 ? 1 : 0, &w);
	if (max_size >= 0) {
		dfu_smp_mgmt_cbor_text(&w, "max_size");
		dfu_smp_mgmt_cbor_uint(&w, (uint64_t)max_size);
	}
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_settings_read_decode(const struct dfu_smp_client_rsp *rsp,
				      struct dfu_smp_mgmt_reply *reply,
				      struct dfu_smp_mgmt_settings_value *out)
{
	const cbor_item_t *map;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = dfu_smp_mgmt_reply_bytes(reply, map, "val", true, &out->val, &out->len);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "max_size", &out->max_size);
	}
	return err;
}

int dfu_smp_mgmt_settings_write(struct dfu_smp_request *req, const char *name, const uint8_t *val,
			size_t len)
{
	struct dfu_smp_mgmt_cbor_writer w;

	begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_SETTINGS_VALUE, name, 1, &w);
	dfu_smp_mgmt_cbor_text(&w, "val");
	dfu_smp_mgmt_cbor_bytes(&w, val, len);
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_settings_delete(struct dfu_smp_request *req, const char *name)
{
	struct dfu_smp_mgmt_cbor_writer w;

	begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_SETTINGS_DELETE, name, 0, &w);
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_settings_commit(struct dfu_smp_request *req)
{
	struct dfu_smp_mgmt_cbor_writer w;

	begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_SETTINGS_COMMIT, NULL, 0, &w);
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_settings_load(struct dfu_smp_request *req)
{
	struct dfu_smp_mgmt_cbor_writer w;

	begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_SETTINGS_LOAD_SAVE, NULL, 0, &w);
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_settings_save(struct dfu_smp_request *req, const char *name)
{
	struct dfu_smp_mgmt_cbor_writer w;

	begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_SETTINGS_LOAD_SAVE, name, 0, &w);
	return dfu_smp_mgmt_request_end(req, &w);
}
