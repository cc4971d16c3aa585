/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/mgmt/fs.h>

#include <errno.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/request.h>

#include "reply_decode.h"

int dfu_smp_mgmt_fs_download(struct dfu_smp_request *req, const char *name, uint64_t off)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_FS,
				   DFU_SMP_MGMT_FS_FILE, &w);
	dfu_smp_mgmt_cbor_map(&w, 2);
	dfu_smp_mgmt_cbor_text(&w, "name");
	dfu_smp_mgmt_cbor_text(&w, name);
	dfu_smp_mgmt_cbor_text(&w, "off");
	dfu_smp_mgmt_cbor_uint(&w, off);
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_fs_download_decode(const struct dfu_smp_client_rsp *rsp,
				    struct dfu_smp_mgmt_reply *reply,
				    struct dfu_smp_mgmt_fs_download_rsp *out)
{
	const cbor_item_t *map;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = dfu_smp_mgmt_reply_uint(reply, map, "off", true, UINT64_MAX, &out->off);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_bytes(reply, map, "data", true, &out->data, &out->len);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "len", &out->total);
	}
	return err;
}

int dfu_smp_mgmt_fs_upload(struct dfu_smp_request *req, const char *name, uint64_t off,
			   const uint8_t *data, size_t len, int64_t total)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_FS,
				   DFU_SMP_MGMT_FS_FILE, &w);
	dfu_smp_mgmt_cbor_map(&w, total >= 0 ? 4 : 3);
	dfu_smp_mgmt_cbor_text(&w, "name");
	dfu_smp_mgmt_cbor_text(&w, name);
	dfu_smp_mgmt_cbor_text(&w, "off");
	dfu_smp_mgmt_cbor_uint(&w, off);
	dfu_smp_mgmt_cbor_text(&w, "data");
	dfu_smp_mgmt_cbor_bytes(&w, data, len);
	if (total >= 0) {
		dfu_smp_mgmt_cbor_text(&w, "len");
		dfu_smp_mgmt_cbor_uint(&w, (uint64_t)total);
	}
	return dfu_smp_mgmt_request_end(req, &w);
}

size_t dfu_smp_mgmt_fs_upload_max_data(const char *name, uint64_t off, int64_t total,
				       size_t msg_limit)
{
	/* Everything dfu_smp_mgmt_fs_upload() writes but the data string. */
	size_t fixed = DFU_SMP_HDR_SIZE + dfu_smp_mgmt_cbor_head_size(total >= 0 ? 4 : 3) +
		       dfu_smp_mgmt_cbor_text_size("name") + dfu_smp_mgmt_cbor_text_size(name) +
		       dfu_smp_mgmt_cbor_text_size("off") + dfu_smp_mgmt_cbor_head_size(off) +
		       dfu_smp_mgmt_cbor_text_size("data");

	if (total >= 0) {
		fixed += dfu_smp_mgmt_cbor_text_size("len") +
			 dfu_smp_mgmt_cbor_head_size((uint64_t)total);
	}
	/* No SMP message is longer than its header can say. */
	if (msg_limit > DFU_SMP_MSG_MAX) {
		msg_limit = DFU_SMP_MSG_MAX;
	}
	return msg_limit > fixed ? dfu_smp_mgmt_cbor_bytes_fit(msg_limit - fixed) : 0;
}

int dfu_smp_mgmt_fs_upload_decode(const struct dfu_smp_client_rsp *rsp,
				  struct dfu_smp_mgmt_reply *reply, uint64_t *off)
{
	const cbor_item_t *map;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	return dfu_smp_mgmt_reply_uint(reply, map, "off", true, UINT64_MAX, off);
}

int dfu_smp_mgmt_fs_status(struct dfu_smp_request *req, const char *name)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_FS,
				   DFU_SMP_MGMT_FS_STATUS, &w);
	dfu_smp_mgmt_cbor_map(&w, 1);
	dfu_smp_mgmt_cbor_text(&w, "name");
	dfu_smp_mgmt_cbor_text(&w, name);
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_fs_status_decode(const struct dfu_smp_client_rsp *rsp,
				  struct dfu_smp_mgmt_reply *reply, uint64_t *len)
{
	const cbor_item_t *map;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	return dfu_smp_mgmt_reply_uint(reply, map, "len", true, UINT64_MAX, len);
}

int dfu_smp_mgmt_fs_hash(struct dfu_smp_request *req, const char *name, const char *type,
			 uint64_t off, int64_t len)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_FS,
				   DFU_SMP_MGMT_FS_HASH, &w);
	dfu_smp_mgmt_cbor_map(&w, 1 + (type ? 1 : 0) + (off ? 1 : 0) + (len >= 0 ? 1 : 0));
	dfu_smp_mgmt_cbor_text(&w, "name");
	dfu_smp_mgmt_cbor_text(&w, name);
	if (type) {
		dfu_smp_mgmt_cbor_text(&w, "type");
		dfu_smp_mgmt_cbor_text(&w, type);
	}
	if (off) {
		dfu_smp_mgmt_cbor_text(&w, "off");
		dfu_smp_mgmt_cbor_uint(&w, off);
	}
	if (len >= 0) {
		dfu_smp_mgmt_cbor_text(&w, "len");
		dfu_smp_mgmt_cbor_uint(&w, (uint64_t)len);
	}
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_fs_hash_decode(const struct dfu_smp_client_rsp *rsp,
				struct dfu_smp_mgmt_reply *reply,
				struct dfu_smp_mgmt_fs_hash_rsp *out)
{
	const cbor_item_t *map, *output;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	out->off = 0;
	out->number = 0;
	out->bytes = NULL;
	out->bytes_len = 0;
	err = dfu_smp_mgmt_reply_text(reply, map, "type", true, &out->type);
	if (!err) {
		err = dfu_smp_mgmt_reply_uint(reply, map, "off", false, UINT64_MAX, &out->off);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint(reply, map, "len", true, UINT64_MAX, &out->len);
	}
	if (err) {
		return err;
	}
	/* A checksum (crc32) comes as a number, a hash (sha256) as bytes. */
	output = dfu_smp_mgmt_cbor_find(map, "output");
	out->output_is_number = output && cbor_isa_uint(output);
	if (out->output_is_number) {
		return dfu_smp_mgmt_reply_uint(reply, map, "output", true, UINT64_MAX,
					       &out->number);
	}
	if (output && !cbor_isa_bytestring(output)) {
		return dfu_smp_mgmt_reply_wrong_type(reply, "output", output,
					     "an unsigned integer or a byte string");
	}
	return dfu_smp_mgmt_reply_bytes(reply, map, "output", true, &out->bytes, &out->bytes_len);
}

int dfu_smp_mgmt_fs_hash_types(struct dfu_smp_request *req)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_FS,
				   DFU_SMP_MGMT_FS_HASH_TYPES, &w);
	dfu_smp_mgmt_cbor_map(&w, 0);
	return dfu_smp_mgmt_request_end(req, &w);
}

/* One entry of `types`: a hash or checksum under its name. */
static int decode_hash_type(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			    const char *name, void *elem)
{
	struct dfu_smp_mgmt_fs_hash_type *type = elem;
	int err = dfu_smp_mgmt_reply_uint(reply, map, "format", true, UINT64_MAX, &type->format);

	type->name = name;
	if (!err) {
		err = dfu_smp_mgmt_reply_uint(reply, map, "size", true, UINT64_MAX, &type->size);
	}
	return err;
}

int dfu_smp_mgmt_fs_hash_types_decode(const struct dfu_smp_client_rsp *rsp,
				      struct dfu_smp_mgmt_reply *reply,
				      struct dfu_smp_mgmt_fs_hash_types *out)
{
	const cbor_item_t *map;
	void *types = NULL;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = dfu_smp_mgmt_reply_named(reply, map, "types", true, sizeof(*out->types),
				       decode_hash_type, &types, &out->count);
		out->types = types;
	}
	return err;
}

int dfu_smp_mgmt_fs_close(struct dfu_smp_request *req)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_FS,
				   DFU_SMP_MGMT_FS_CLOSE, &w);
	dfu_smp_mgmt_cbor_map(&w, 0);
	return dfu_smp_mgmt_request_end(req, &w);
}
