/* SPDX-License-Identifier: Apache-2.0 */
#include "fs.h"

#include <errno.h>

#include "err.h"
#include "request.h"

int mgmt_fs_download(struct smp_request *req, const char *name, uint64_t off)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_READ, MGMT_GROUP_FS, MGMT_FS_FILE, &w);
	mgmt_cbor_map(&w, 2);
	mgmt_cbor_text(&w, "name");
	mgmt_cbor_text(&w, name);
	mgmt_cbor_text(&w, "off");
	mgmt_cbor_uint(&w, off);
	return mgmt_request_end(req, &w);
}

int mgmt_fs_download_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			    struct mgmt_fs_download_rsp *out)
{
	const cbor_item_t *map;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = mgmt_reply_uint(reply, map, "off", true, UINT64_MAX, &out->off);
	}
	if (!err) {
		err = mgmt_reply_bytes(reply, map, "data", true, &out->data, &out->len);
	}
	if (!err) {
		err = mgmt_reply_uint_opt(reply, map, "len", &out->total);
	}
	return err;
}

int mgmt_fs_upload(struct smp_request *req, const char *name, uint64_t off, const uint8_t *data,
		   size_t len, int64_t total)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_WRITE, MGMT_GROUP_FS, MGMT_FS_FILE, &w);
	mgmt_cbor_map(&w, total >= 0 ? 4 : 3);
	mgmt_cbor_text(&w, "name");
	mgmt_cbor_text(&w, name);
	mgmt_cbor_text(&w, "off");
	mgmt_cbor_uint(&w, off);
	mgmt_cbor_text(&w, "data");
	mgmt_cbor_bytes(&w, data, len);
	if (total >= 0) {
		mgmt_cbor_text(&w, "len");
		mgmt_cbor_uint(&w, (uint64_t)total);
	}
	return mgmt_request_end(req, &w);
}

size_t mgmt_fs_upload_max_data(const char *name, uint64_t off, int64_t total, size_t msg_limit)
{
	/* Everything mgmt_fs_upload() writes but the data string. */
	size_t fixed = SMP_HDR_SIZE + mgmt_cbor_head_size(total >= 0 ? 4 : 3) +
		       mgmt_cbor_text_size("name") + mgmt_cbor_text_size(name) +
		       mgmt_cbor_text_size("off") + mgmt_cbor_head_size(off) +
		       mgmt_cbor_text_size("data");

	if (total >= 0) {
		fixed += mgmt_cbor_text_size("len") + mgmt_cbor_head_size((uint64_t)total);
	}
	/* No SMP message is longer than its header can say. */
	if (msg_limit > SMP_MSG_MAX) {
		msg_limit = SMP_MSG_MAX;
	}
	return msg_limit > fixed ? mgmt_cbor_bytes_fit(msg_limit - fixed) : 0;
}

int mgmt_fs_upload_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  uint64_t *off)
{
	const cbor_item_t *map;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	return mgmt_reply_uint(reply, map, "off", true, UINT64_MAX, off);
}

int mgmt_fs_status(struct smp_request *req, const char *name)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_READ, MGMT_GROUP_FS, MGMT_FS_STATUS, &w);
	mgmt_cbor_map(&w, 1);
	mgmt_cbor_text(&w, "name");
	mgmt_cbor_text(&w, name);
	return mgmt_request_end(req, &w);
}

int mgmt_fs_status_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  uint64_t *len)
{
	const cbor_item_t *map;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	return mgmt_reply_uint(reply, map, "len", true, UINT64_MAX, len);
}

int mgmt_fs_hash(struct smp_request *req, const char *name, const char *type, uint64_t off,
		 int64_t len)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_READ, MGMT_GROUP_FS, MGMT_FS_HASH, &w);
	mgmt_cbor_map(&w, 1 + (type ? 1 : 0) + (off ? 1 : 0) + (len >= 0 ? 1 : 0));
	mgmt_cbor_text(&w, "name");
	mgmt_cbor_text(&w, name);
	if (type) {
		mgmt_cbor_text(&w, "type");
		mgmt_cbor_text(&w, type);
	}
	if (off) {
		mgmt_cbor_text(&w, "off");
		mgmt_cbor_uint(&w, off);
	}
	if (len >= 0) {
		mgmt_cbor_text(&w, "len");
		mgmt_cbor_uint(&w, (uint64_t)len);
	}
	return mgmt_request_end(req, &w);
}

int mgmt_fs_hash_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			struct mgmt_fs_hash_rsp *out)
{
	const cbor_item_t *map, *output;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	out->off = 0;
	out->number = 0;
	out->bytes = NULL;
	out->bytes_len = 0;
	err = mgmt_reply_text(reply, map, "type", true, &out->type);
	if (!err) {
		err = mgmt_reply_uint(reply, map, "off", false, UINT64_MAX, &out->off);
	}
	if (!err) {
		err = mgmt_reply_uint(reply, map, "len", true, UINT64_MAX, &out->len);
	}
	if (err) {
		return err;
	}
	/* A checksum (crc32) comes as a number, a hash (sha256) as bytes. */
	output = mgmt_cbor_find(map, "output");
	out->output_is_number = output && cbor_isa_uint(output);
	if (out->output_is_number) {
		return mgmt_reply_uint(reply, map, "output", true, UINT64_MAX, &out->number);
	}
	if (output && !cbor_isa_bytestring(output)) {
		return mgmt_reply_wrong_type(reply, "output", output,
					     "an unsigned integer or a byte string");
	}
	return mgmt_reply_bytes(reply, map, "output", true, &out->bytes, &out->bytes_len);
}

int mgmt_fs_hash_types(struct smp_request *req)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_READ, MGMT_GROUP_FS, MGMT_FS_HASH_TYPES, &w);
	mgmt_cbor_map(&w, 0);
	return mgmt_request_end(req, &w);
}

/* One entry of `types`: a hash or checksum under its name. */
static int decode_hash_type(struct mgmt_reply *reply, const cbor_item_t *map, const char *name,
			    void *elem)
{
	struct mgmt_fs_hash_type *type = elem;
	int err = mgmt_reply_uint(reply, map, "format", true, UINT64_MAX, &type->format);

	type->name = name;
	if (!err) {
		err = mgmt_reply_uint(reply, map, "size", true, UINT64_MAX, &type->size);
	}
	return err;
}

int mgmt_fs_hash_types_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			      struct mgmt_fs_hash_types *out)
{
	const cbor_item_t *map;
	void *types = NULL;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = mgmt_reply_named(reply, map, "types", true, sizeof(*out->types),
				       decode_hash_type, &types, &out->count);
		out->types = types;
	}
	return err;
}

int mgmt_fs_close(struct smp_request *req)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_WRITE, MGMT_GROUP_FS, MGMT_FS_CLOSE, &w);
	mgmt_cbor_map(&w, 0);
	return mgmt_request_end(req, &w);
}
