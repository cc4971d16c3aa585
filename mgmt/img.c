/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/mgmt/img.h>

#include <errno.h>
#include <string.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/request.h>

#include "reply_decode.h"

/* The device refuses a longer `sha` (IMG err 24). */
#define UPLOAD_SHA_MAX 32u

int dfu_smp_mgmt_img_state_read(struct dfu_smp_request *req)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_IMAGE,
				   DFU_SMP_MGMT_IMG_STATE, &w);
	dfu_smp_mgmt_cbor_map(&w, 0);
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_img_state_write(struct dfu_smp_request *req, const uint8_t *hash, size_t hash_len,
			 bool confirm)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_IMAGE,
				   DFU_SMP_MGMT_IMG_STATE, &w);
	dfu_smp_mgmt_cbor_map(&w, hash ? 2 : 1);
	if (hash) {
		dfu_smp_mgmt_cbor_text(&w, "hash");
		dfu_smp_mgmt_cbor_bytes(&w, hash, hash_len);
	}
	dfu_smp_mgmt_cbor_text(&w, "confirm");
	dfu_smp_mgmt_cbor_bool(&w, confirm);
	return dfu_smp_mgmt_request_end(req, &w);
}

/* One entry of `images` in the state list. */
static int decode_slot(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map, const char *name,
		       void *elem)
{
	struct dfu_smp_mgmt_img_slot *slot = elem;
	const uint8_t *hash = NULL;
	int err;

	(void)name;
	slot->version = NULL;
	slot->hash_len = 0;
	err = dfu_smp_mgmt_reply_uint(reply, map, "slot", true, UINT64_MAX, &slot->slot);
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "image", &slot->image);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_text(reply, map, "version", false, &slot->version);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_bytes(reply, map, "hash", false, &hash, &slot->hash_len);
	}
	if (!err && slot->hash_len > DFU_SMP_MGMT_IMG_HASH_MAX) {
		err = dfu_smp_mgmt_reply_malformed(reply,
						   "response key '%shash' is %zu bytes, more "
						   "than %u",
						   reply->where, slot->hash_len,
						   DFU_SMP_MGMT_IMG_HASH_MAX);
	}
	if (err) {
		return err;
	}
	if (hash) {
		memcpy(slot->hash, hash, slot->hash_len);
	}
	/* Frugal lists (mynewt, MCUboot serial recovery) send only the true flags. */
	slot->bootable = false;
	slot->pending = false;
	slot->confirmed = false;
	slot->active = false;
	slot->permanent = false;
	err = dfu_smp_mgmt_reply_bool(reply, map, "bootable", false, &slot->bootable);
	if (!err) {
		err = dfu_smp_mgmt_reply_bool(reply, map, "pending", false, &slot->pending);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_bool(reply, map, "confirmed", false, &slot->confirmed);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_bool(reply, map, "active", false, &slot->active);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_bool(reply, map, "permanent", false, &slot->permanent);
	}
	return err;
}

int dfu_smp_mgmt_img_state_decode(const struct dfu_smp_client_rsp *rsp,
				  struct dfu_smp_mgmt_reply *reply,
				  struct dfu_smp_mgmt_img_state *out)
{
	const cbor_item_t *map;
	void *slots = NULL;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	out->split_status = -1;
	err = dfu_smp_mgmt_reply_int(reply, map, "splitStatus", false, &out->split_status);
	if (!err) {
		err = dfu_smp_mgmt_reply_array(reply, map, "images", true, sizeof(*out->slots),
					       decode_slot, &slots, &out->count);
		out->slots = slots;
	}
	return err;
}

static bool first_chunk(const struct dfu_smp_mgmt_img_upload_args *args)
{
	return args->off == 0;
}

/* Key/value pairs of an upload request. */
static size_t upload_pairs(const struct dfu_smp_mgmt_img_upload_args *args)
{
	if (!first_chunk(args)) {
		return 2;
	}
	return 3 + (args->image != 0) + (args->sha != NULL) + args->upgrade;
}

int dfu_smp_mgmt_img_upload(struct dfu_smp_request *req,
			    const struct dfu_smp_mgmt_img_upload_args *args)
{
	struct dfu_smp_mgmt_cbor_writer w;

	if (args->sha && args->sha_len > UPLOAD_SHA_MAX) {
		return -EINVAL;
	}
	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_IMAGE,
				   DFU_SMP_MGMT_IMG_UPLOAD, &w);
	dfu_smp_mgmt_cbor_map(&w, upload_pairs(args));
	dfu_smp_mgmt_cbor_text(&w, "off");
	dfu_smp_mgmt_cbor_uint(&w, args->off);
	dfu_smp_mgmt_cbor_text(&w, "data");
	dfu_smp_mgmt_cbor_bytes(&w, args->data, args->len);
	if (first_chunk(args)) {
		dfu_smp_mgmt_cbor_text(&w, "len");
		dfu_smp_mgmt_cbor_uint(&w, args->total_len);
		if (args->image) {
			dfu_smp_mgmt_cbor_text(&w, "image");
			dfu_smp_mgmt_cbor_uint(&w, args->image);
		}
		if (args->sha) {
			dfu_smp_mgmt_cbor_text(&w, "sha");
			dfu_smp_mgmt_cbor_bytes(&w, args->sha, args->sha_len);
		}
		if (args->upgrade) {
			dfu_smp_mgmt_cbor_text(&w, "upgrade");
			dfu_smp_mgmt_cbor_bool(&w, true);
		}
	}
	return dfu_smp_mgmt_request_end(req, &w);
}

size_t dfu_smp_mgmt_img_upload_max_data(const struct dfu_smp_mgmt_img_upload_args *args,
					size_t msg_limit)
{
	/* Everything dfu_smp_mgmt_img_upload() writes but the data string. */
	size_t fixed = DFU_SMP_HDR_SIZE + dfu_smp_mgmt_cbor_head_size(upload_pairs(args)) +
		       dfu_smp_mgmt_cbor_text_size("off") + dfu_smp_mgmt_cbor_head_size(args->off) +
		       dfu_smp_mgmt_cbor_text_size("data");

	if (args->sha && args->sha_len > UPLOAD_SHA_MAX) {
		return 0;
	}
	if (first_chunk(args)) {
		fixed += dfu_smp_mgmt_cbor_text_size("len") +
			 dfu_smp_mgmt_cbor_head_size(args->total_len);
		if (args->image) {
			fixed += dfu_smp_mgmt_cbor_text_size("image") +
				 dfu_smp_mgmt_cbor_head_size(args->image);
		}
		if (args->sha) {
			fixed += dfu_smp_mgmt_cbor_text_size("sha") +
				 dfu_smp_mgmt_cbor_head_size(args->sha_len) + args->sha_len;
		}
		if (args->upgrade) {
			fixed += dfu_smp_mgmt_cbor_text_size("upgrade") + 1;
		}
	}
	/* No SMP message is longer than its header can say. */
	if (msg_limit > DFU_SMP_MSG_MAX) {
		msg_limit = DFU_SMP_MSG_MAX;
	}
	return msg_limit > fixed ? dfu_smp_mgmt_cbor_bytes_fit(msg_limit - fixed) : 0;
}

int dfu_smp_mgmt_img_upload_decode(const struct dfu_smp_client_rsp *rsp,
				   struct dfu_smp_mgmt_reply *reply,
				   struct dfu_smp_mgmt_img_upload_rsp *out)
{
	const cbor_item_t *map;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	out->has_match = dfu_smp_mgmt_cbor_find(map, "match") != NULL;
	out->match = false;
	err = dfu_smp_mgmt_reply_uint(reply, map, "off", true, UINT64_MAX, &out->off);
	if (!err) {
		err = dfu_smp_mgmt_reply_bool(reply, map, "match", false, &out->match);
	}
	return err;
}

int dfu_smp_mgmt_img_erase(struct dfu_smp_request *req, int64_t slot)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_IMAGE,
				   DFU_SMP_MGMT_IMG_ERASE, &w);
	dfu_smp_mgmt_cbor_map(&w, slot >= 0 ? 1 : 0);
	if (slot >= 0) {
		dfu_smp_mgmt_cbor_text(&w, "slot");
		dfu_smp_mgmt_cbor_uint(&w, (uint64_t)slot);
	}
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_img_slot_info(struct dfu_smp_request *req)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_IMAGE,
				   DFU_SMP_MGMT_IMG_SLOT_INFO, &w);
	dfu_smp_mgmt_cbor_map(&w, 0);
	return dfu_smp_mgmt_request_end(req, &w);
}

/* One entry of an image's `slots` in the slot information. */
static int decode_info_slot(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			    const char *name, void *elem)
{
	struct dfu_smp_mgmt_img_slot_info_slot *slot = elem;
	int err = dfu_smp_mgmt_reply_uint(reply, map, "slot", true, UINT64_MAX, &slot->slot);

	(void)name;
	slot->rc = 0;
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "size", &slot->size);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_int(reply, map, "rc", false, &slot->rc);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "upload_image_id",
						  &slot->upload_image_id);
	}
	return err;
}

/* One entry of `images` in the slot information. */
static int decode_info_image(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			     const char *name, void *elem)
{
	struct dfu_smp_mgmt_img_slot_info_image *image = elem;
	void *slots = NULL;
	int err = dfu_smp_mgmt_reply_uint(reply, map, "image", true, UINT64_MAX, &image->image);

	(void)name;
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "max_image_size",
						  &image->max_image_size);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_array(reply, map, "slots", true, sizeof(*image->slots),
				       decode_info_slot, &slots, &image->count);
		image->slots = slots;
	}
	return err;
}

int dfu_smp_mgmt_img_slot_info_decode(const struct dfu_smp_client_rsp *rsp,
				      struct dfu_smp_mgmt_reply *reply,
				      struct dfu_smp_mgmt_img_slot_info *out)
{
	const cbor_item_t *map;
	void *images = NULL;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = dfu_smp_mgmt_reply_array(reply, map, "images", true, sizeof(*out->images),
				       decode_info_image, &images, &out->count);
		out->images = images;
	}
	return err;
}
