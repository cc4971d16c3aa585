/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's image group and bootloader, with real imgtool images: uploads as
 * Zephyr's image manager takes them (errors, offsets, resume), the state flags through test,
 * reset, revert, confirm and permanent, MCUboot refusing a bad image, erase rules, and state
 * kept across runs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include <dfu-smp/mgmt/img.h>
#include "../mgmt/cbor_reader.h"
#include "../sim/hostfs.h"
#include "sim_harness.h"
#include "testdata.h"
#include "sim_image_harness.h"


static void open_device(struct sim_device *dev)
{
	assert_int_equal(sim_device_init(dev, NULL), 0);
}

/* ---- tests ---- */

static void fresh_device_runs_a_confirmed_factory_image(void **state_)
{
	struct sim_device dev;
	struct dfu_smp_mgmt_img_state st;
	struct dfu_smp_mgmt_reply reply;
	struct answer a;

	(void)state_;
	open_device(&dev);
	state(&dev, &st, &reply, &a);
	assert_int_equal(st.count, 1);
	assert_int_equal(st.slots[0].image, -1); /* single-image build */
	assert_string_equal(st.slots[0].version, "1.0.0");
	assert_true(st.slots[0].active && st.slots[0].confirmed && st.slots[0].bootable);
	assert_false(st.slots[0].pending || st.slots[0].permanent);
	assert_int_equal(st.split_status, 0);
	dfu_smp_mgmt_reply_close(&reply);
	answer_close(&a);
	sim_device_free(&dev);
}

static void upload_then_test_reset_confirm(void **state_)
{
	struct file f = load("02-ecdsa-p256.bin");
	struct sim_device dev;
	uint8_t hash[32], old[32];
	struct answer a;

	(void)state_;
	open_device(&dev);
	image_hash(&f, hash);
	running_hash(&dev, old);
	assert_true(upload_all(&dev, &f, 2000));
	expect_slot(&dev, 1, hash, "B"); /* uploaded: listed with no flags */
	state_write(&dev, hash, 32, false, &a);
	expect_ok(&a);
	answer_close(&a);
	expect_slot(&dev, 0, old, "ACB");
	expect_slot(&dev, 1, hash, "PB");

	sim_device_reboot(&dev, 1000);
	assert_true(sim_device_bootable(&dev));
	assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_TEST);
	expect_slot(&dev, 0, hash, "AB");  /* running the new image, not confirmed */
	expect_slot(&dev, 1, old, "CB");   /* the old one comes back unless confirmed */

	state_write(&dev, NULL, 0, true, &a);
	expect_ok(&a);
	answer_close(&a);
	expect_slot(&dev, 0, hash, "ACB");
	expect_slot(&dev, 1, old, "B");
	sim_device_reboot(&dev, 2000);
	assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_NONE);
	expect_slot(&dev, 0, hash, "ACB");
	sim_device_free(&dev);
	free(f.data);
}

static void unconfirmed_image_is_reverted(void **state_)
{
	struct file f = load("01-hash-only.bin");
	struct sim_device dev;
	uint8_t hash[32], old[32];
	struct answer a;

	(void)state_;
	open_device(&dev);
	image_hash(&f, hash);
	running_hash(&dev, old);
	assert_true(upload_all(&dev, &f, 512));
	state_write(&dev, hash, 32, false, &a);
	answer_close(&a);
	sim_device_reboot(&dev, 1000);
	expect_slot(&dev, 0, hash, "AB");
	sim_device_reboot(&dev, 2000); /* no confirm: MCUboot reverts */
	assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_REVERT);
	expect_slot(&dev, 0, old, "ACB");
	expect_slot(&dev, 1, hash, "B");
	sim_device_free(&dev);
	free(f.data);
}

static void permanent_needs_no_confirm(void **state_)
{
	struct file f = load("04-rsa2048.bin");
	struct sim_device dev;
	uint8_t hash[32];
	struct answer a;

	(void)state_;
	open_device(&dev);
	image_hash(&f, hash);
	assert_true(upload_all(&dev, &f, 1000));
	state_write(&dev, hash, 32, true, &a);
	expect_ok(&a);
	answer_close(&a);
	expect_slot(&dev, 1, hash, "PXB");
	sim_device_reboot(&dev, 1000);
	assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_PERM);
	expect_slot(&dev, 0, hash, "ACB");
	sim_device_reboot(&dev, 2000);
	expect_slot(&dev, 0, hash, "ACB");
	sim_device_free(&dev);
	free(f.data);
}

static void bootloader_refuses_an_image_whose_hash_fails(void **state_)
{
	struct file f = load("corrupt/flipped-payload-byte.bin");
	struct sim_device dev;
	uint8_t old[32], listed[32];
	struct dfu_smp_mgmt_img_state st;
	struct dfu_smp_mgmt_reply reply;
	struct answer a;

	(void)state_;
	open_device(&dev);
	running_hash(&dev, old);
	assert_true(upload_all(&dev, &f, 1024)); /* the file arrived intact: sha matches */
	state(&dev, &st, &reply, &a);
	assert_int_equal(st.count, 2);           /* listed by its (wrong) hash TLV */
	memcpy(listed, st.slots[1].hash, 32);
	dfu_smp_mgmt_reply_close(&reply);
	answer_close(&a);
	state_write(&dev, listed, 32, false, &a);
	expect_ok(&a);
	answer_close(&a);
	sim_device_reboot(&dev, 1000);
	assert_true(sim_device_last_boot(&dev)->rejected[0]);
	assert_true(sim_device_bootable(&dev));
	expect_slot(&dev, 0, old, "ACB");
	expect_slot(&dev, 1, NULL, NULL); /* erased by the bootloader */
	sim_device_free(&dev);
	free(f.data);
}

static void device_with_a_broken_running_image_answers_nothing(void **state_)
{
	struct sim_device dev;
	uint8_t junk[64];
	struct answer a = { 0 };
	struct dfu_smp_hdr hdr = { .op = DFU_SMP_OP_READ, .version = 2, .len = 1, .group = 1 };
	uint8_t unit[9];

	(void)state_;
	open_device(&dev);
	memset(junk, 0, sizeof(junk));
	/* bits of the running image's payload cleared behind the bootloader's back */
	sim_flash_write(&dev.img.flash, 0x300, junk, sizeof(junk));
	sim_device_reboot(&dev, 1000);
	assert_false(sim_device_bootable(&dev));
	dfu_smp_hdr_encode(&hdr, unit);
	unit[8] = 0xa0;
	sim_device_receive(&dev, unit, sizeof(unit), 2000, harness_emit, &a);
	assert_int_equal(a.count, 0);
	sim_device_free(&dev);
}

static void upload_errors_are_zephyrs(void **state_)
{
	struct file f = load("01-hash-only.bin");
	struct file bad = load("corrupt/bad-magic.bin");
	struct sim_device dev;
	struct dfu_smp_request req;
	struct answer a;
	uint8_t long_sha[33] = { 0 };
	struct dfu_smp_mgmt_img_upload_args args = { .data = f.data,
						     .len = 100,
						     .total_len = f.len };
	/* {"off": 0, "data": h'00'} without len; {"data": ...} without off */
	static const uint8_t no_len[] = { 0xa2, 0x63, 'o', 'f', 'f', 0x00, 0x64, 'd', 'a', 't', 'a',
					  0x41, 0x00 };
	static const uint8_t no_off[] = { 0xa1, 0x64, 'd', 'a', 't', 'a', 0x41, 0x00 };

	(void)state_;
	open_device(&dev);
	expect_both_err(&dev, DFU_SMP_OP_WRITE, 1, 1, no_off, sizeof(no_off), 20,
			DFU_SMP_MGMT_ERR_EINVAL);
	expect_both_err(&dev, DFU_SMP_OP_WRITE, 1, 1, no_len, sizeof(no_len), 21,
			DFU_SMP_MGMT_ERR_EINVAL);
	args.len = 31; /* the header is 32 bytes */
	dfu_smp_request_init(&req, req_buf, sizeof(req_buf));
	dfu_smp_mgmt_img_upload(&req, &args);
	send_req(&dev, &req, DFU_SMP_PROTO_V2, &a);
	expect_group_err(&a, 1, 22);
	answer_close(&a);
	args.data = bad.data;
	args.len = 100;
	dfu_smp_mgmt_img_upload(&req, &args);
	send_req(&dev, &req, DFU_SMP_PROTO_V2, &a);
	expect_group_err(&a, 1, 23);
	answer_close(&a);
	args.data = f.data;
	args.total_len = 0x70000; /* the slot minus its trailer page is the limit */
	dfu_smp_mgmt_img_upload(&req, &args);
	send_req(&dev, &req, DFU_SMP_PROTO_V2, &a);
	expect_group_err(&a, 1, 30);
	answer_close(&a);
	args.total_len = f.len;
	args.sha = long_sha;
	args.sha_len = 33;
	assert_int_equal(dfu_smp_mgmt_img_upload(&req, &args), -EINVAL); /* the builder refuses */
	args.sha = NULL;
	args.sha_len = 0;
	/* the overrun: a chunk running past len */
	for (uint64_t off = 0; off < f.len - 100; off += 1000) {
		size_t n = f.len - 100 - off < 1000 ? f.len - 100 - off : 1000;

		assert_int_equal(upload_chunk(&dev, &f, off, n, false, &a), (int64_t)(off + n));
		answer_close(&a);
	}
	{
		static uint8_t past_end[200];

		args.off = f.len - 100;
		args.data = past_end;
		args.len = sizeof(past_end);
	}
	dfu_smp_mgmt_img_upload(&req, &args);
	send_req(&dev, &req, DFU_SMP_PROTO_V2, &a);
	expect_group_err(&a, 1, 31);
	answer_close(&a);
	sim_device_free(&dev);
	free(f.data);
	free(bad.data);
}

static void device_offset_wins_and_resume_works(void **state_)
{
	struct file f = load("02-ecdsa-p256.bin");
	struct sim_device dev;
	struct answer a;

	(void)state_;
	open_device(&dev);
	assert_int_equal(upload_chunk(&dev, &f, 0, 1000, true, &a), 1000);
	answer_close(&a);
	/* ahead of the device, and behind it: dropped, the answer says where to go on */
	assert_int_equal(upload_chunk(&dev, &f, 5000, 1000, true, &a), 1000);
	answer_close(&a);
	assert_int_equal(upload_chunk(&dev, &f, 500, 100, true, &a), 1000);
	answer_close(&a);
	assert_int_equal(upload_chunk(&dev, &f, 1000, 1000, true, &a), 2000);
	answer_close(&a);
	/* off 0 again with the same sha: carries on from 2000 */
	assert_int_equal(upload_chunk(&dev, &f, 0, 1000, true, &a), 2000);
	answer_close(&a);
	/* without a sha it starts again */
	assert_int_equal(upload_chunk(&dev, &f, 0, 1000, false, &a), 1000);
	answer_close(&a);
	/* a reboot loses the upload: off 0 */
	sim_device_reboot(&dev, 1000);
	assert_int_equal(upload_chunk(&dev, &f, 1000, 1000, true, &a), 0);
	answer_close(&a);
	sim_device_free(&dev);
	free(f.data);
}

static void same_image_again_is_done_at_once(void **state_)
{
	struct file f = load("01-hash-only.bin");
	struct sim_device dev;
	struct answer a;

	(void)state_;
	open_device(&dev);
	assert_true(upload_all(&dev, &f, 2000));
	assert_int_equal(upload_chunk(&dev, &f, 0, 1000, true, &a), (int64_t)f.len);
	assert_true(get_bool(a.map, "match"));
	answer_close(&a);
	sim_device_free(&dev);
	free(f.data);
}

static void state_write_rules(void **state_)
{
	struct file f = load("01-hash-only.bin");
	struct sim_device dev;
	uint8_t hash[32], old[32], unknown[32] = { 1 };
	struct answer a;

	(void)state_;
	open_device(&dev);
	image_hash(&f, hash);
	running_hash(&dev, old);
	state_write(&dev, old, 32, false, &a); /* test the running image */
	expect_group_err(&a, 1, 33);
	answer_close(&a);
	state_write(&dev, unknown, 32, false, &a);
	expect_group_err(&a, 1, 8);
	answer_close(&a);
	state_write(&dev, old, 16, false, &a); /* wrong length */
	expect_group_err(&a, 1, 24);
	answer_close(&a);
	state_write(&dev, NULL, 0, false, &a); /* a test needs a hash */
	expect_group_err(&a, 1, 24);
	answer_close(&a);
	assert_true(upload_all(&dev, &f, 2000));
	state_write(&dev, hash, 32, false, &a);
	expect_ok(&a);
	answer_close(&a);
	state_write(&dev, hash, 32, false, &a); /* again: no change */
	expect_ok(&a);
	answer_close(&a);
	state_write(&dev, NULL, 0, true, &a); /* confirm while a test is pending */
	expect_group_err(&a, 1, 28);
	answer_close(&a);
	state_write(&dev, hash, 32, true, &a); /* permanent while a test is pending */
	expect_group_err(&a, 1, 28);
	answer_close(&a);
	/* an upload while the slot is pending */
	assert_int_equal(upload_chunk(&dev, &f, 0, 1000, false, &a), -1);
	expect_group_err(&a, 1, 9);
	answer_close(&a);
	sim_device_free(&dev);
	free(f.data);
}

static void erase_rules(void **state_)
{
	struct file f = load("01-hash-only.bin");
	struct sim_device dev;
	uint8_t hash[32];
	struct answer a;
	static const uint8_t slot0[] = { 0xa1, 0x64, 's', 'l', 'o', 't', 0x00 };
	static const uint8_t slot1[] = { 0xa1, 0x64, 's', 'l', 'o', 't', 0x01 };
	static const uint8_t slot9[] = { 0xa1, 0x64, 's', 'l', 'o', 't', 0x09 };

	(void)state_;
	open_device(&dev);
	image_hash(&f, hash);
	expect_both_err(&dev, DFU_SMP_OP_WRITE, 1, 5, slot0, sizeof(slot0), 9,
			DFU_SMP_MGMT_ERR_EBADSTATE);
	expect_both_err(&dev, DFU_SMP_OP_WRITE, 1, 5, slot9, sizeof(slot9), 14,
			DFU_SMP_MGMT_ERR_EINVAL);
	assert_true(upload_all(&dev, &f, 2000));
	state_write(&dev, hash, 32, false, &a);
	answer_close(&a);
	expect_both_err(&dev, DFU_SMP_OP_WRITE, 1, 5, slot1, sizeof(slot1), 9,
			DFU_SMP_MGMT_ERR_EBADSTATE);
	sim_device_reboot(&dev, 1000); /* now slot 1 holds the image to revert to */
	expect_both_err(&dev, DFU_SMP_OP_WRITE, 1, 5, slot1, sizeof(slot1), 9,
			DFU_SMP_MGMT_ERR_EBADSTATE);
	state_write(&dev, NULL, 0, true, &a);
	answer_close(&a);
	call(&dev, DFU_SMP_OP_WRITE, 2, 1, 5, (const uint8_t *)"\xa0", 1, &a);
	expect_ok(&a);
	answer_close(&a);
	expect_slot(&dev, 1, NULL, NULL);
	sim_device_free(&dev);
	free(f.data);
}

static void slots_survive_runs_and_an_upload_resumes(void **state_)
{
	char dir[] = "/tmp/dfu-smp-image-XXXXXX";
	struct sim_device_config cfg = { 0 };
	struct file f = load("02-ecdsa-p256.bin");
	struct sim_device dev;
	uint8_t hash[32];
	struct answer a;

	(void)state_;
	assert_non_null(mkdtemp(dir));
	cfg.state_dir = dir;
	image_hash(&f, hash);
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	assert_int_equal(upload_chunk(&dev, &f, 0, 2000, true, &a), 2000);
	answer_close(&a);
	assert_int_equal(sim_device_suspend(&dev, 5000), 0);
	sim_device_free(&dev);

	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	assert_int_equal(upload_chunk(&dev, &f, 0, 2000, true, &a), 2000); /* resumed */
	answer_close(&a);
	for (uint64_t off = 2000; off < f.len; off += 2000) {
		size_t n = f.len - off < 2000 ? f.len - off : 2000;

		assert_int_equal(upload_chunk(&dev, &f, off, n, true, &a), (int64_t)(off + n));
		answer_close(&a);
	}
	sim_device_free(&dev); /* not suspended: as if powered off */

	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	expect_slot(&dev, 1, hash, "B");
	sim_device_free(&dev);
	assert_int_equal(sim_hostfs_remove(dir), 0);
	free(f.data);
}

static void two_images_are_listed_with_their_numbers(void **state_)
{
	struct sim_device_config cfg = { .img = { .images = 2, .slot_size = 0x20000 } };
	struct sim_device dev;
	struct dfu_smp_mgmt_img_state st;
	struct dfu_smp_mgmt_reply reply;
	struct answer a;

	(void)state_;
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	state(&dev, &st, &reply, &a);
	assert_int_equal(st.count, 2);
	assert_int_equal(st.slots[0].image, 0);
	assert_int_equal(st.slots[1].image, 1);
	dfu_smp_mgmt_reply_close(&reply);
	answer_close(&a);
	sim_device_free(&dev);
}

static void flash_time_is_accounted(void **state_)
{
	struct file f = load("01-hash-only.bin");
	struct sim_device dev;
	struct answer a;

	(void)state_;
	open_device(&dev);
	upload_chunk(&dev, &f, 0, 1024, true, &a);
	answer_close(&a);
	/* the first chunk erased the image's pages and the trailer page, then wrote 1 KiB */
	assert_int_equal(sim_device_busy_us(&dev), 3 * 85000 + 256 * 41);
	upload_chunk(&dev, &f, 1024, 1024, true, &a);
	answer_close(&a);
	assert_int_equal(sim_device_busy_us(&dev), 256 * 41);
	sim_device_free(&dev);
	free(f.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_device_runs_a_confirmed_factory_image),
		cmocka_unit_test(upload_then_test_reset_confirm),
		cmocka_unit_test(unconfirmed_image_is_reverted),
		cmocka_unit_test(permanent_needs_no_confirm),
		cmocka_unit_test(bootloader_refuses_an_image_whose_hash_fails),
		cmocka_unit_test(device_with_a_broken_running_image_answers_nothing),
		cmocka_unit_test(upload_errors_are_zephyrs),
		cmocka_unit_test(device_offset_wins_and_resume_works),
		cmocka_unit_test(same_image_again_is_done_at_once),
		cmocka_unit_test(state_write_rules),
		cmocka_unit_test(erase_rules),
		cmocka_unit_test(slots_survive_runs_and_an_upload_resumes),
		cmocka_unit_test(two_images_are_listed_with_their_numbers),
		cmocka_unit_test(flash_time_is_accounted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
