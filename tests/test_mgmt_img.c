/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image group codecs: exact request bytes, the largest upload chunk, and the state lists,
 * upload answers and slot info that Zephyr, mynewt and MCUboot serial recovery send.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/img.h>
#include "mgmt_test.h"

static uint8_t buf[512];
static uint8_t msg[DFU_SMP_MSG_MAX];
static uint8_t data[DFU_SMP_MSG_MAX];

static void state_requests(void **state)
{
	const uint8_t read[] = { 0xa0 };
	const uint8_t confirm[] = { 0xa1, 0x67, 'c', 'o', 'n', 'f', 'i', 'r', 'm', 0xf5 };
	uint8_t test[1 + 5 + 2 + 32 + 9] = { 0xa2, 0x64, 'h', 'a', 's', 'h', 0x58, 0x20 };
	uint8_t hash[32];
	struct dfu_smp_request req;

	(void)state;
	for (size_t i = 0; i < sizeof(hash); i++) {
		hash[i] = (uint8_t)(0xa0 + i);
	}
	memcpy(test + 8, hash, sizeof(hash));
	memcpy(test + 40, (const uint8_t[]){ 0x67, 'c', 'o', 'n', 'f', 'i', 'r', 'm', 0xf4 }, 9);

	dfu_smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(dfu_smp_mgmt_img_state_read(&req), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_IMAGE, DFU_SMP_MGMT_IMG_STATE,
		       read, sizeof(read));
	assert_int_equal(dfu_smp_mgmt_img_state_write(&req, NULL, 0, true), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_IMAGE, DFU_SMP_MGMT_IMG_STATE,
		       confirm, sizeof(confirm));
	assert_int_equal(dfu_smp_mgmt_img_state_write(&req, hash, sizeof(hash), false), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_IMAGE, DFU_SMP_MGMT_IMG_STATE,
		       test, sizeof(test));
}

static void erase_and_slot_info_requests(void **state)
{
	const uint8_t any[] = { 0xa0 };
	const uint8_t slot1[] = { 0xa1, 0x64, 's', 'l', 'o', 't', 0x01 };
	const uint8_t slot300[] = { 0xa1, 0x64, 's', 'l', 'o', 't', 0x19, 0x01, 0x2c };
	struct dfu_smp_request req;

	(void)state;
	dfu_smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(dfu_smp_mgmt_img_erase(&req, -1), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_IMAGE, DFU_SMP_MGMT_IMG_ERASE,
		       any, sizeof(any));
	assert_int_equal(dfu_smp_mgmt_img_erase(&req, 1), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_IMAGE, DFU_SMP_MGMT_IMG_ERASE,
		       slot1, sizeof(slot1));
	assert_int_equal(dfu_smp_mgmt_img_erase(&req, 300), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_IMAGE, DFU_SMP_MGMT_IMG_ERASE,
		       slot300, sizeof(slot300));
	assert_int_equal(dfu_smp_mgmt_img_slot_info(&req), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_IMAGE, DFU_SMP_MGMT_IMG_SLOT_INFO,
		       any, sizeof(any));
}

static void upload_requests(void **state)
{
	const uint8_t chunk[] = { 1, 2, 3 };
	const uint8_t sha[] = { 0xaa, 0xbb, 0xcc, 0xdd };
	const uint8_t first[] = { 0xa6, 0x63, 'o', 'f', 'f', 0x00, 0x64, 'd', 'a', 't', 'a', 0x43,
				  1, 2, 3, 0x63, 'l', 'e', 'n', 0x19, 0x03, 0xe8, 0x65, 'i', 'm',
				  'a', 'g', 'e', 0x01, 0x63, 's', 'h', 'a', 0x44, 0xaa, 0xbb, 0xcc,
				  0xdd, 0x67, 'u', 'p', 'g', 'r', 'a', 'd', 'e', 0xf5 };
	const uint8_t first_plain[] = { 0xa3, 0x63, 'o', 'f', 'f', 0x00, 0x64, 'd', 'a', 't', 'a',
					0x43, 1, 2, 3, 0x63, 'l', 'e', 'n', 0x18, 0x18 };
	const uint8_t later[] = { 0xa2, 0x63, 'o', 'f', 'f', 0x1a, 0x00, 0x01, 0x00, 0x00, 0x64,
				  'd', 'a', 't', 'a', 0x43, 1, 2, 3 };
	struct dfu_smp_mgmt_img_upload_args args = {
		.image = 1, .data = chunk, .len = sizeof(chunk), .total_len = 1000, .sha = sha,
		.sha_len = sizeof(sha), .upgrade = true,
	};
	struct dfu_smp_request req;

	(void)state;
	dfu_smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(dfu_smp_mgmt_img_upload(&req, &args), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_IMAGE, DFU_SMP_MGMT_IMG_UPLOAD,
		       first, sizeof(first));

	/* the first-chunk keys stay out of later chunks */
	args.off = 65536;
	assert_int_equal(dfu_smp_mgmt_img_upload(&req, &args), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_IMAGE, DFU_SMP_MGMT_IMG_UPLOAD,
		       later, sizeof(later));

	/* image 0, no sha and no upgrade are left out */
	args = (struct dfu_smp_mgmt_img_upload_args){ .data = chunk, .len = sizeof(chunk),
					      .total_len = 24 };
	assert_int_equal(dfu_smp_mgmt_img_upload(&req, &args), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_IMAGE, DFU_SMP_MGMT_IMG_UPLOAD,
		       first_plain, sizeof(first_plain));
}

static void upload_refuses_bad_arguments_and_small_buffers(void **state)
{
	uint8_t sha[33] = { 0 };
	struct dfu_smp_mgmt_img_upload_args args = {
		.data = data, .len = 10, .total_len = 10, .sha = sha, .sha_len = sizeof(sha)
	};
	struct dfu_smp_request req;

	(void)state;
	dfu_smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(dfu_smp_mgmt_img_upload(&req, &args), -EINVAL);
	assert_int_equal(dfu_smp_mgmt_img_upload_max_data(&args, 1000), 0);
	args.sha_len = 32;
	assert_int_equal(dfu_smp_mgmt_img_upload(&req, &args), 0);

	dfu_smp_request_init(&req, buf, DFU_SMP_HDR_SIZE + req.len - 1);
	assert_int_equal(dfu_smp_mgmt_img_upload(&req, &args), -ENOBUFS);
	dfu_smp_request_init(&req, buf, DFU_SMP_HDR_SIZE - 1);
	assert_int_equal(dfu_smp_mgmt_img_state_read(&req), -ENOBUFS);
}

/* Whether an upload with @p n data bytes fits a message of @p limit bytes, by the builder. */
static bool upload_fits(struct dfu_smp_mgmt_img_upload_args args, size_t n, size_t limit)
{
	struct dfu_smp_request req;

	dfu_smp_request_init(&req, msg, limit);
	args.data = data;
	args.len = n;
	return dfu_smp_mgmt_img_upload(&req, &args) == 0;
}

static void check_max_data(const struct dfu_smp_mgmt_img_upload_args *args, size_t limit)
{
	size_t n = dfu_smp_mgmt_img_upload_max_data(args, limit);

	if (n > 0 && !upload_fits(*args, n, limit)) {
		fail_msg("limit %zu: %zu bytes said to fit but do not", limit, n);
	}
	if (upload_fits(*args, n + 1, limit)) {
		fail_msg("limit %zu: %zu bytes fit, more than the %zu said", limit, n + 1, n);
	}
}

static void upload_max_data_is_exact(void **state)
{
	static const uint8_t sha[32];
	const struct dfu_smp_mgmt_img_upload_args cases[] = {
		{ .total_len = 1000 },
		{ .total_len = 1ull << 32, .image = 3, .sha = sha, .sha_len = 32, .upgrade = true },
		{ .total_len = 70000, .image = UINT32_MAX, .sha = sha, .sha_len = 0 },
		{ .off = 23, .total_len = 1000, .sha = sha, .sha_len = 32 },
		{ .off = 4096 },
		{ .off = UINT64_MAX },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		/* every limit up to where the data needs a 3-byte length, then the largest */
		for (size_t limit = 0; limit <= 1200; limit++) {
			check_max_data(&cases[c], limit);
		}
		for (size_t limit = DFU_SMP_MSG_MAX - 300; limit <= DFU_SMP_MSG_MAX; limit++) {
			check_max_data(&cases[c], limit);
		}
		/* no message is longer than an SMP header can say */
		assert_int_equal(dfu_smp_mgmt_img_upload_max_data(&cases[c], DFU_SMP_MSG_MAX + 1),
				 dfu_smp_mgmt_img_upload_max_data(&cases[c], DFU_SMP_MSG_MAX));
		assert_int_equal(dfu_smp_mgmt_img_upload_max_data(&cases[c], SIZE_MAX),
				 dfu_smp_mgmt_img_upload_max_data(&cases[c], DFU_SMP_MSG_MAX));
	}
}

/* One slot map as Zephyr sends it; @p shape 1 adds what other encoders do. */
static void slot_map(struct dfu_smp_mgmt_cbor_writer *w, int shape, uint64_t image, uint64_t slot,
		     const char *version, uint8_t fill, bool active)
{
	uint8_t hash[32];

	memset(hash, fill, sizeof(hash));
	if (shape == 0) {
		dfu_smp_mgmt_cbor_map(w, 9);
	} else {
		dfu_smp_mgmt_cbor_map_indef(w);
		unknown_pairs(w);
	}
	dfu_smp_mgmt_cbor_text(w, "image");
	if (shape == 0) {
		dfu_smp_mgmt_cbor_uint(w, image);
	} else {
		wide_uint(w, image);
	}
	kv_uint(w, "slot", slot);
	dfu_smp_mgmt_cbor_text(w, "version");
	if (shape == 0) {
		dfu_smp_mgmt_cbor_text(w, version);
	} else {
		chunked_text(w, version);
	}
	dfu_smp_mgmt_cbor_text(w, "hash");
	if (shape == 0) {
		dfu_smp_mgmt_cbor_bytes(w, hash, sizeof(hash));
	} else {
		chunked_bytes(w, hash, sizeof(hash));
	}
	kv_bool(w, "bootable", true);
	kv_bool(w, "pending", !active);
	kv_bool(w, "confirmed", active);
	kv_bool(w, "active", active);
	kv_bool(w, "permanent", false);
	if (shape == 1) {
		dfu_smp_mgmt_cbor_break(w);
	}
}

static void state_list_in_every_shape(void **state)
{
	(void)state;
	for (int shape = 0; shape < 2; shape++) {
		struct payload p;
		struct dfu_smp_mgmt_cbor_writer *w = payload_start(&p);
		struct dfu_smp_client_rsp rsp;
		struct dfu_smp_mgmt_reply reply;
		struct dfu_smp_mgmt_img_state s;

		if (shape == 0) {
			dfu_smp_mgmt_cbor_map(w, 2);
			dfu_smp_mgmt_cbor_text(w, "images");
			dfu_smp_mgmt_cbor_array(w, 2);
		} else {
			dfu_smp_mgmt_cbor_map_indef(w);
			kv_int(w, "splitStatus", 0);
			dfu_smp_mgmt_cbor_text(w, "images");
			dfu_smp_mgmt_cbor_array_indef(w);
		}
		slot_map(w, shape, 0, 0, "1.0.0", 0x11, true);
		slot_map(w, shape, 0, 1, "2.0.0.7", 0x22, false);
		if (shape == 0) {
			kv_int(w, "splitStatus", 0);
		} else {
			dfu_smp_mgmt_cbor_break(w);
			unknown_pairs(w);
			dfu_smp_mgmt_cbor_break(w);
		}
		rsp = payload_rsp(&p);

		assert_int_equal(dfu_smp_mgmt_img_state_decode(&rsp, &reply, &s), 0);
		assert_int_equal(s.count, 2);
		assert_int_equal(s.split_status, 0);
		assert_int_equal(s.slots[0].image, 0);
		assert_int_equal(s.slots[0].slot, 0);
		assert_string_equal(s.slots[0].version, "1.0.0");
		assert_int_equal(s.slots[0].hash_len, 32);
		assert_int_equal(s.slots[0].hash[31], 0x11);
		assert_true(s.slots[0].active && s.slots[0].confirmed && s.slots[0].bootable);
		assert_false(s.slots[0].pending || s.slots[0].permanent);
		assert_int_equal(s.slots[1].slot, 1);
		assert_string_equal(s.slots[1].version, "2.0.0.7");
		assert_int_equal(s.slots[1].hash[0], 0x22);
		assert_true(s.slots[1].pending);
		assert_false(s.slots[1].active || s.slots[1].confirmed);
		dfu_smp_mgmt_reply_close(&reply);
	}
}

static void frugal_and_recovery_lists_default_to_false(void **state)
{
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(&p);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_img_state s;
	uint8_t hash48[48] = { 0x48 };

	(void)state;
	/* MCUboot serial recovery: slot, version, a hash (any supported size); no splitStatus */
	dfu_smp_mgmt_cbor_map(w, 1);
	dfu_smp_mgmt_cbor_text(w, "images");
	dfu_smp_mgmt_cbor_array(w, 3);
	dfu_smp_mgmt_cbor_map(w, 3);
	kv_uint(w, "slot", 0);
	kv_text(w, "version", "0.0.0");
	kv_bytes(w, "hash", hash48, sizeof(hash48));
	dfu_smp_mgmt_cbor_map(w, 3);
	kv_uint(w, "slot", 1);
	kv_bool(w, "active", true);
	kv_bool(w, "confirmed", true);
	dfu_smp_mgmt_cbor_map(w, 2);
	kv_uint(w, "slot", 1);
	kv_uint(w, "image", 1);
	rsp = payload_rsp(&p);

	assert_int_equal(dfu_smp_mgmt_img_state_decode(&rsp, &reply, &s), 0);
	assert_int_equal(s.count, 3);
	assert_int_equal(s.split_status, -1);
	assert_int_equal(s.slots[0].image, -1);
	assert_int_equal(s.slots[0].hash_len, 48);
	assert_int_equal(s.slots[0].hash[0], 0x48);
	assert_false(s.slots[0].bootable || s.slots[0].pending || s.slots[0].confirmed ||
		     s.slots[0].active || s.slots[0].permanent);
	assert_null(s.slots[1].version);
	assert_int_equal(s.slots[1].hash_len, 0);
	assert_true(s.slots[1].active && s.slots[1].confirmed);
	assert_false(s.slots[1].bootable || s.slots[1].pending || s.slots[1].permanent);
	assert_int_equal(s.slots[2].image, 1);
	dfu_smp_mgmt_reply_close(&reply);
}

/* A state list whose second entry @p entry writes: decoding must fail naming @p needle. */
static void expect_bad_state(void (*entry)(struct dfu_smp_mgmt_cbor_writer *w), const char *needle)
{
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(&p);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_img_state s;

	dfu_smp_mgmt_cbor_map_indef(w);
	dfu_smp_mgmt_cbor_text(w, "images");
	dfu_smp_mgmt_cbor_array_indef(w);
	dfu_smp_mgmt_cbor_map(w, 1);
	kv_uint(w, "slot", 0);
	entry(w);
	dfu_smp_mgmt_cbor_break(w);
	dfu_smp_mgmt_cbor_break(w);
	rsp = payload_rsp(&p);
	assert_malformed(dfu_smp_mgmt_img_state_decode(&rsp, &reply, &s), &reply, needle);
}

static void hash_too_long(struct dfu_smp_mgmt_cbor_writer *w)
{
	uint8_t hash[65] = { 0 };

	dfu_smp_mgmt_cbor_map(w, 2);
	kv_uint(w, "slot", 1);
	kv_bytes(w, "hash", hash, sizeof(hash));
}

static void hash_as_text(struct dfu_smp_mgmt_cbor_writer *w)
{
	dfu_smp_mgmt_cbor_map(w, 2);
	kv_uint(w, "slot", 1);
	kv_text(w, "hash", "ab");
}

static void entry_not_a_map(struct dfu_smp_mgmt_cbor_writer *w)
{
	dfu_smp_mgmt_cbor_text(w, "slot");
}

static void slot_missing(struct dfu_smp_mgmt_cbor_writer *w)
{
	dfu_smp_mgmt_cbor_map(w, 1);
	kv_text(w, "version", "1.0.0");
}

static void slot_negative(struct dfu_smp_mgmt_cbor_writer *w)
{
	dfu_smp_mgmt_cbor_map(w, 1);
	kv_int(w, "slot", -1);
}

static void flag_as_number(struct dfu_smp_mgmt_cbor_writer *w)
{
	dfu_smp_mgmt_cbor_map(w, 2);
	kv_uint(w, "slot", 1);
	kv_uint(w, "pending", 1);
}

static void flag_as_float(struct dfu_smp_mgmt_cbor_writer *w)
{
	const uint8_t one[] = { 0xf9, 0x3c, 0x00 };

	dfu_smp_mgmt_cbor_map(w, 2);
	kv_uint(w, "slot", 1);
	dfu_smp_mgmt_cbor_text(w, "confirmed");
	dfu_smp_mgmt_cbor_raw(w, one, sizeof(one));
}

static void version_as_bytes(struct dfu_smp_mgmt_cbor_writer *w)
{
	dfu_smp_mgmt_cbor_map(w, 2);
	kv_uint(w, "slot", 1);
	kv_bytes(w, "version", (const uint8_t *)"1", 1);
}

static void image_too_large(struct dfu_smp_mgmt_cbor_writer *w)
{
	dfu_smp_mgmt_cbor_map(w, 2);
	kv_uint(w, "slot", 1);
	kv_uint(w, "image", (uint64_t)INT64_MAX + 1);
}

static void malformed_state_lists_name_the_key(void **state)
{
	(void)state;
	expect_bad_state(hash_too_long, "response key 'images[1].hash' is 65 bytes, more than 64");
	expect_bad_state(hash_as_text, "response key 'images[1].hash' is a text string, expected "
				       "a byte string");
	expect_bad_state(entry_not_a_map, "response key 'images[1]' is a text string, expected a "
					  "map");
	expect_bad_state(slot_missing, "response key 'images[1].slot' is missing");
	expect_bad_state(slot_negative, "response key 'images[1].slot' is a negative integer");
	expect_bad_state(flag_as_number, "response key 'images[1].pending' is an unsigned "
					 "integer, expected a boolean");
	expect_bad_state(flag_as_float, "response key 'images[1].confirmed' is a float");
	expect_bad_state(version_as_bytes, "response key 'images[1].version' is a byte string");
	expect_bad_state(image_too_large, "response key 'images[1].image' is "
					  "9223372036854775808, more than 9223372036854775807");
}

static void malformed_state_list_tops(void **state)
{
	const uint8_t missing[] = { 0xa1, 0x6b, 's', 'p', 'l', 'i', 't', 'S', 't', 'a', 't', 'u',
				    's', 0x00 };
	const uint8_t images_map[] = { 0xa1, 0x66, 'i', 'm', 'a', 'g', 'e', 's', 0xa0 };
	const uint8_t split_text[] = { 0xa2, 0x66, 'i', 'm', 'a', 'g', 'e', 's', 0x80, 0x6b, 's',
				       'p', 'l', 'i', 't', 'S', 't', 'a', 't', 'u', 's', 0x60 };
	const uint8_t rc[] = { 0xa1, 0x62, 'r', 'c', 0x08 };
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_img_state s;

	(void)state;
	rsp = bytes_rsp(missing, sizeof(missing));
	assert_malformed(dfu_smp_mgmt_img_state_decode(&rsp, &reply, &s), &reply,
			 "response key 'images' is missing");
	rsp = bytes_rsp(images_map, sizeof(images_map));
	assert_malformed(dfu_smp_mgmt_img_state_decode(&rsp, &reply, &s), &reply,
			 "response key 'images' is a map, expected an array");
	rsp = bytes_rsp(split_text, sizeof(split_text));
	assert_malformed(dfu_smp_mgmt_img_state_decode(&rsp, &reply, &s), &reply,
			 "response key 'splitStatus' is a text string, expected an integer");
	rsp = bytes_rsp(rc, sizeof(rc));
	assert_device_error(dfu_smp_mgmt_img_state_decode(&rsp, &reply, &s), &reply,
			    DFU_SMP_MGMT_REPLY_RC, 8);
}

static void upload_answers(void **state)
{
	const uint8_t plain[] = { 0xa1, 0x63, 'o', 'f', 'f', 0x19, 0x10, 0x00 };
	const uint8_t with_rc[] = { 0xbf, 0x62, 'r', 'c', 0x00, 0x63, 'o', 'f', 'f', 0x1b, 0, 0, 0,
				    0, 0, 0, 0x02, 0x00, 0x65, 'm', 'a', 't', 'c', 'h', 0xf5,
				    0xff };
	const uint8_t rc_error[] = { 0xa2, 0x62, 'r', 'c', 0x03, 0x63, 'o', 'f', 'f', 0x00 };
	const uint8_t group_error[] = { 0xa1, 0x63, 'e', 'r', 'r', 0xa2, 0x65, 'g', 'r', 'o', 'u',
					'p', 0x01, 0x62, 'r', 'c', 0x16 };
	const uint8_t missing[] = { 0xa1, 0x65, 'm', 'a', 't', 'c', 'h', 0xf4 };
	const uint8_t negative[] = { 0xa1, 0x63, 'o', 'f', 'f', 0x20 };
	const uint8_t match_number[] = { 0xa2, 0x63, 'o', 'f', 'f', 0x00, 0x65, 'm', 'a', 't', 'c',
					 'h', 0x01 };
	struct dfu_smp_client_rsp rsp = bytes_rsp(plain, sizeof(plain));
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_img_upload_rsp u;

	(void)state;
	assert_int_equal(dfu_smp_mgmt_img_upload_decode(&rsp, &reply, &u), 0);
	assert_int_equal(u.off, 4096);
	assert_false(u.has_match);
	dfu_smp_mgmt_reply_close(&reply);

	/* MCUboot serial recovery and the legacy rc option add rc 0: success */
	rsp = bytes_rsp(with_rc, sizeof(with_rc));
	assert_int_equal(dfu_smp_mgmt_img_upload_decode(&rsp, &reply, &u), 0);
	assert_int_equal(u.off, 512);
	assert_true(u.has_match && u.match);
	dfu_smp_mgmt_reply_close(&reply);

	rsp = bytes_rsp(rc_error, sizeof(rc_error));
	assert_device_error(dfu_smp_mgmt_img_upload_decode(&rsp, &reply, &u), &reply,
			    DFU_SMP_MGMT_REPLY_RC, 3);
	rsp = bytes_rsp(group_error, sizeof(group_error));
	assert_device_error(dfu_smp_mgmt_img_upload_decode(&rsp, &reply, &u), &reply,
			    DFU_SMP_MGMT_REPLY_GROUP_ERR, 22);
	rsp = bytes_rsp(missing, sizeof(missing));
	assert_malformed(dfu_smp_mgmt_img_upload_decode(&rsp, &reply, &u), &reply,
			 "response key 'off' is missing");
	rsp = bytes_rsp(negative, sizeof(negative));
	assert_malformed(dfu_smp_mgmt_img_upload_decode(&rsp, &reply, &u), &reply,
			 "response key 'off' is a negative integer, expected an unsigned integer");
	rsp = bytes_rsp(match_number, sizeof(match_number));
	assert_malformed(dfu_smp_mgmt_img_upload_decode(&rsp, &reply, &u), &reply,
			 "response key 'match' is an unsigned integer, expected a boolean");
}

/* Slot info of two images; @p bad (1..3) spoils one value. */
static struct dfu_smp_client_rsp slot_info(struct payload *p, int bad)
{
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(p);

	dfu_smp_mgmt_cbor_map_indef(w);
	dfu_smp_mgmt_cbor_text(w, "images");
	dfu_smp_mgmt_cbor_array(w, 2);

	dfu_smp_mgmt_cbor_map(w, 3);
	kv_uint(w, "image", 0);
	dfu_smp_mgmt_cbor_text(w, "slots");
	dfu_smp_mgmt_cbor_array_indef(w);
	dfu_smp_mgmt_cbor_map(w, 2);
	kv_uint(w, "slot", 0);
	kv_uint(w, "size", 0x40000);
	if (bad == 1) {
		dfu_smp_mgmt_cbor_text(w, "slot");
	} else {
		dfu_smp_mgmt_cbor_map(w, 3);
		kv_uint(w, "slot", 1);
		if (bad == 2) {
			kv_text(w, "size", "big");
		} else {
			kv_uint(w, "size", 0x40000);
		}
		kv_uint(w, "upload_image_id", 0);
	}
	dfu_smp_mgmt_cbor_break(w);
	kv_uint(w, "max_image_size", 0x3f000);

	dfu_smp_mgmt_cbor_map_indef(w);
	unknown_pairs(w);
	if (bad != 3) {
		kv_uint(w, "image", 1);
	}
	dfu_smp_mgmt_cbor_text(w, "slots");
	dfu_smp_mgmt_cbor_array(w, 1);
	dfu_smp_mgmt_cbor_map(w, 2);
	kv_uint(w, "slot", 0);
	kv_int(w, "rc", -5);
	dfu_smp_mgmt_cbor_break(w);
	dfu_smp_mgmt_cbor_break(w);
	return payload_rsp(p);
}

static void slot_info_nested_arrays(void **state)
{
	struct payload p;
	struct dfu_smp_client_rsp rsp = slot_info(&p, 0);
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_img_slot_info info;

	(void)state;
	assert_int_equal(dfu_smp_mgmt_img_slot_info_decode(&rsp, &reply, &info), 0);
	assert_int_equal(info.count, 2);
	assert_int_equal(info.images[0].image, 0);
	assert_int_equal(info.images[0].max_image_size, 0x3f000);
	assert_int_equal(info.images[0].count, 2);
	assert_int_equal(info.images[0].slots[0].size, 0x40000);
	assert_int_equal(info.images[0].slots[0].upload_image_id, -1);
	assert_int_equal(info.images[0].slots[0].rc, 0);
	assert_int_equal(info.images[0].slots[1].slot, 1);
	assert_int_equal(info.images[0].slots[1].upload_image_id, 0);
	assert_int_equal(info.images[1].image, 1);
	assert_int_equal(info.images[1].max_image_size, -1);
	assert_int_equal(info.images[1].count, 1);
	assert_int_equal(info.images[1].slots[0].size, -1);
	assert_int_equal(info.images[1].slots[0].rc, -5);
	dfu_smp_mgmt_reply_close(&reply);
}

static void malformed_slot_info_names_the_path(void **state)
{
	static const char *const needles[] = {
		"response key 'images[0].slots[1]' is a text string, expected a map",
		("response key 'images[0].slots[1].size' is a text string, expected an unsigned "
		 "integer"),
		"response key 'images[1].image' is missing",
	};
	struct payload p;
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_img_slot_info info;

	(void)state;
	for (int bad = 1; bad <= 3; bad++) {
		rsp = slot_info(&p, bad);
		assert_malformed(dfu_smp_mgmt_img_slot_info_decode(&rsp, &reply, &info), &reply,
				 needles[bad - 1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(state_requests),
		cmocka_unit_test(erase_and_slot_info_requests),
		cmocka_unit_test(upload_requests),
		cmocka_unit_test(upload_refuses_bad_arguments_and_small_buffers),
		cmocka_unit_test(upload_max_data_is_exact),
		cmocka_unit_test(state_list_in_every_shape),
		cmocka_unit_test(frugal_and_recovery_lists_default_to_false),
		cmocka_unit_test(malformed_state_lists_name_the_key),
		cmocka_unit_test(malformed_state_list_tops),
		cmocka_unit_test(upload_answers),
		cmocka_unit_test(slot_info_nested_arrays),
		cmocka_unit_test(malformed_slot_info_names_the_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
