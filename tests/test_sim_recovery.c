/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device in MCUboot's serial recovery mode (sim/recovery.h): its v1-style
 * subset with the request's header copied, the image list without flags, the upload straight
 * into slot 0, the receive limit, and the reset that boots the application or stays.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/cbor.h>
#include <dfu-smp/mgmt/err.h>
#include "../mgmt/cbor_reader.h"
#include "../sim/device.h"
#include "../sim/recovery.h"
#include <dfu-smp/smp/header.h>

static struct {
	int count;
	uint8_t msg[1024];
	size_t len;
} out;

static void emit(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	assert_true(len <= sizeof(out.msg));
	memcpy(out.msg, msg, len);
	out.len = len;
	out.count++;
}

static struct sim_device dev;
static uint8_t req[4096];
static cbor_item_t *answer;
static struct dfu_smp_hdr answer_hdr;

/* Sends the message built in req (@p payload_len bytes of payload) and loads its answer. */
static bool send(uint8_t op, uint8_t version, uint16_t group, uint8_t id, size_t payload_len,
		 uint64_t now_us)
{
	struct dfu_smp_hdr hdr = { .op = op, .version = version, .len = (uint16_t)payload_len,
			       .group = group, .seq = 42, .id = id };
	char why[100];

	dfu_smp_hdr_encode(&hdr, req);
	if (answer) {
		cbor_decref(&answer);
	}
	out.count = 0;
	sim_device_receive(&dev, req, DFU_SMP_HDR_SIZE + payload_len, now_us, emit, NULL);
	if (out.count == 0) {
		return false;
	}
	assert_int_equal(out.count, 1);
	assert_int_equal(dfu_smp_hdr_decode(out.msg, out.len, &answer_hdr), 0);
	assert_int_equal(answer_hdr.seq, 42);
	assert_int_equal(answer_hdr.version, version); /* copied from the request */
	assert_int_equal(answer_hdr.op, dfu_smp_hdr_rsp_op(op));
	answer = dfu_smp_mgmt_cbor_load(out.msg + DFU_SMP_HDR_SIZE, answer_hdr.len, why,
					sizeof(why));
	assert_non_null(answer);
	assert_null(dfu_smp_mgmt_cbor_find(answer, "err")); /* never version 2 errors */
	return true;
}

static int64_t answer_uint(const char *key)
{
	uint64_t v;

	if (dfu_smp_mgmt_cbor_get_uint(dfu_smp_mgmt_cbor_find(answer, key), &v) != 0) {
		return -1;
	}
	return (int64_t)v;
}

static struct dfu_smp_mgmt_cbor_writer w;

static void begin(void)
{
	dfu_smp_mgmt_cbor_writer_init(&w, req + DFU_SMP_HDR_SIZE, sizeof(req) - DFU_SMP_HDR_SIZE);
}

static bool empty(uint8_t op, uint16_t group, uint8_t id)
{
	begin();
	dfu_smp_mgmt_cbor_map(&w, 0);
	return send(op, DFU_SMP_PROTO_V2, group, id, w.len, 0);
}

static uint8_t image[0x3000];
static size_t image_len;
static const struct dfu_smp_image_version v2 = { 2, 0, 0, 0 };

static int setup(void **state)
{
	struct sim_device_config cfg = { .recovery = true };

	(void)state;
	memset(&out, 0, sizeof(out));
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	image_len = sim_image_build(image, sizeof(image), &v2, 0x2000, 7);
	assert_true(image_len > 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (answer) {
		cbor_decref(&answer);
	}
	sim_device_free(&dev);
	return 0;
}

/* Uploads the image in chunks of @p chunk bytes; returns the last `off`. */
static int64_t upload(size_t chunk, size_t upto)
{
	for (size_t off = 0; off < upto; off += chunk) {
		size_t n = upto - off < chunk ? upto - off : chunk;

		begin();
		dfu_smp_mgmt_cbor_map(&w, off ? 2 : 3);
		if (!off) {
			dfu_smp_mgmt_cbor_text(&w, "len");
			dfu_smp_mgmt_cbor_uint(&w, image_len);
		}
		dfu_smp_mgmt_cbor_text(&w, "off");
		dfu_smp_mgmt_cbor_uint(&w, off);
		dfu_smp_mgmt_cbor_text(&w, "data");
		dfu_smp_mgmt_cbor_bytes(&w, image + off, n);
		assert_true(send(DFU_SMP_OP_WRITE, DFU_SMP_PROTO_V1, 1, 1, w.len, 0));
		assert_int_equal(answer_uint("rc"), 0); /* upload answers carry rc 0 */
		assert_int_equal(answer_uint("off"), (int64_t)(off + n));
	}
	return answer_uint("off");
}

static void answers_its_subset_v1_style(void **state)
{
	(void)state;
	assert_true(sim_device_in_recovery(&dev));
	assert_true(empty(DFU_SMP_OP_READ, 0, 6)); /* parameters */
	assert_int_equal(answer_uint("buf_size"), 1024);
	assert_int_equal(answer_uint("buf_count"), 1);
	assert_null(dfu_smp_mgmt_cbor_find(answer, "rc"));
	assert_true(empty(DFU_SMP_OP_WRITE, 0, 1)); /* console echo */
	assert_int_equal(answer_uint("rc"), 0);
	assert_true(empty(DFU_SMP_OP_READ, 0, 2)); /* task statistics: not in the bootloader */
	assert_int_equal(answer_uint("rc"), DFU_SMP_MGMT_ERR_ENOTSUP);
	assert_true(empty(DFU_SMP_OP_READ, 1, 5)); /* erase */
	assert_int_equal(answer_uint("rc"), DFU_SMP_MGMT_ERR_ENOTSUP);
	assert_true(empty(DFU_SMP_OP_READ, 63, 0));
	assert_int_equal(answer_uint("rc"), DFU_SMP_MGMT_ERR_ENOTSUP);
	begin();
	dfu_smp_mgmt_cbor_map(&w, 1);
	dfu_smp_mgmt_cbor_text(&w, "d");
	dfu_smp_mgmt_cbor_text(&w, "hi");
	assert_true(send(DFU_SMP_OP_WRITE, DFU_SMP_PROTO_V1, 0, 0, w.len, 0));
	assert_true(dfu_smp_mgmt_cbor_text_equals(dfu_smp_mgmt_cbor_find(answer, "r"), "hi"));
}

static void lists_slot_version_and_hash_only(void **state)
{
	const cbor_item_t *images;
	cbor_item_t *slot;

	(void)state;
	assert_true(empty(DFU_SMP_OP_READ, 1, 0));
	assert_null(dfu_smp_mgmt_cbor_find(answer, "splitStatus"));
	images = dfu_smp_mgmt_cbor_find(answer, "images");
	assert_non_null(images);
	assert_int_equal(cbor_array_size(images), 1);
	slot = cbor_array_get(images, 0);
	assert_int_equal(cbor_map_size(slot), 3);
	assert_non_null(dfu_smp_mgmt_cbor_find(slot, "slot"));
	assert_true(
		dfu_smp_mgmt_cbor_text_equals(dfu_smp_mgmt_cbor_find(slot, "version"), "1.0.0"));
	assert_non_null(dfu_smp_mgmt_cbor_find(slot, "hash"));
	assert_null(dfu_smp_mgmt_cbor_find(slot, "active"));
	cbor_decref(&slot);
}

static void requests_over_1024_bytes_get_no_answer(void **state)
{
	struct sim_device_config cfg = { .recovery = true, .recovery_buf_size = 2048 };

	(void)state;
	sim_device_free(&dev);
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	assert_true(empty(DFU_SMP_OP_READ, 0, 6));
	assert_int_equal(answer_uint("buf_size"), 2048); /* what it reports */
	begin();
	dfu_smp_mgmt_cbor_map(&w, 1);
	dfu_smp_mgmt_cbor_text(&w, "d");
	dfu_smp_mgmt_cbor_text_n(&w, (const char *)image, 1100); /* any bytes: never looked at */
	assert_false(send(DFU_SMP_OP_WRITE, DFU_SMP_PROTO_V1, 0, 0, w.len, 0));
	assert_int_equal(sim_device_stats(&dev)->dropped, 1);
}

static void upload_writes_slot_0_and_reset_boots_it(void **state)
{
	const cbor_item_t *images;
	cbor_item_t *slot;

	(void)state;
	assert_int_equal(upload(900, image_len), (int64_t)image_len);
	assert_true(empty(DFU_SMP_OP_READ, 1, 0));
	images = dfu_smp_mgmt_cbor_find(answer, "images");
	assert_int_equal(cbor_array_size(images), 1); /* slot 1 is untouched and empty */
	slot = cbor_array_get(images, 0);
	assert_int_equal(answer_uint("rc"), -1);
	assert_true(
		dfu_smp_mgmt_cbor_text_equals(dfu_smp_mgmt_cbor_find(slot, "version"), "2.0.0"));
	assert_int_equal(dfu_smp_mgmt_cbor_string_size(dfu_smp_mgmt_cbor_find(slot, "hash")), 32);
	cbor_decref(&slot);
	assert_true(empty(DFU_SMP_OP_WRITE, 0, 5)); /* reset */
	assert_int_equal(answer_uint("rc"), 0);
	assert_true(sim_device_reset_at(&dev) > 0 && sim_device_reset_at(&dev) != UINT64_MAX);
	sim_device_reboot(&dev, sim_device_reset_at(&dev));
	assert_false(sim_device_in_recovery(&dev));
	assert_true(sim_device_bootable(&dev));
	/* the application answers now: Zephyr's list, slot 0 active */
	assert_true(empty(DFU_SMP_OP_READ, 1, 0));
	assert_non_null(dfu_smp_mgmt_cbor_find(answer, "splitStatus"));
	slot = cbor_array_get(dfu_smp_mgmt_cbor_find(answer, "images"), 0);
	assert_true(cbor_get_bool(dfu_smp_mgmt_cbor_find(slot, "active")));
	cbor_decref(&slot);
}

static void reset_with_a_partial_image_stays_in_recovery(void **state)
{
	(void)state;
	upload(900, 1800); /* slot 0 erased, a part written */
	assert_true(empty(DFU_SMP_OP_WRITE, 0, 5));
	sim_device_reboot(&dev, sim_device_reset_at(&dev));
	assert_true(sim_device_in_recovery(&dev));
	assert_true(sim_device_bootable(&dev)); /* the bootloader still answers */
	assert_true(empty(DFU_SMP_OP_READ, 0, 6));
	assert_int_equal(answer_uint("buf_count"), 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(answers_its_subset_v1_style),
		T(lists_slot_version_and_hash_only),
		T(requests_over_1024_bytes_get_no_answer),
		T(upload_writes_slot_0_and_reset_boots_it),
		T(reset_with_a_partial_image_stays_in_recovery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
