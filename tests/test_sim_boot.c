/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's MCUboot modes, with real imgtool images: per mode the state list, the
 * slot an upload goes to, the state writes' answers and what the bootloader boots; several
 * images with their dependency TLVs, downgrade prevention, which slots of other images may be
 * confirmed, a power cut in the middle of an overwrite, the firmware loader, and a reset into
 * the bootloader's serial recovery.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/img.h>
#include <dfu-smp/mgmt/os.h>
#include "sim_harness.h"
#include "testdata.h"
#include "sim_image_harness.h"

#define V1 DFU_SMP_PROTO_V1
#define V2 DFU_SMP_PROTO_V2
#define IMG DFU_SMP_MGMT_GROUP_IMAGE

/* IMG err codes the tests expect. */
enum {
	IMG_NO_FREE_SLOT = 9,
	IMG_IMAGE_CONFIRMATION_DENIED = 32,
	IMG_SETTING_TEST_TO_ACTIVE_DENIED = 33,
};

static void open_mode(struct sim_device *dev, enum sim_boot_mode mode, unsigned images)
{
	struct sim_device_config cfg = {
		.img = { .mode = mode, .images = images, .slot_size = 0x20000 },
	};

	assert_int_equal(sim_device_init(dev, &cfg), 0);
}

/* The hash of the image in @p slot of @p image, read from the flash. */
static void slot_hash(struct sim_device *dev, unsigned image, unsigned slot, uint8_t out[32])
{
	struct sim_slot_state st[2];

	sim_boot_slot_states(&dev->img.boot, image, st);
	assert_true(st[slot].present);
	memcpy(out, st[slot].img.hash, 32);
}

/* A state write of @p hash (NULL: none) answered with @p rc: 0 ok, > 0 IMG err, < 0 -rc. */
static void state_write_is(struct sim_device *dev, const uint8_t *hash, bool confirm, int rc)
{
	struct answer a;

	state_write(dev, hash, hash ? 32 : 0, confirm, &a);
	if (rc == 0) {
		expect_ok(&a);
	} else if (rc > 0) {
		expect_group_err(&a, IMG, rc);
	} else {
		expect_rc(&a, -rc);
	}
	answer_close(&a);
}

/* The first upload request for @p f answers IMG err @p rc (v2) and `rc` @p v1_rc (v1). */
static void upload_refused(struct sim_device *dev, const struct file *f, int rc, int v1_rc)
{
	struct dfu_smp_mgmt_img_upload_args args = {
		.data = f->data, .len = 512, .total_len = f->len,
	};
	struct dfu_smp_request req;

	dfu_smp_request_init(&req, req_buf, sizeof(req_buf));
	assert_int_equal(dfu_smp_mgmt_img_upload(&req, &args), 0);
	expect_both_err(dev, req.op, IMG, DFU_SMP_MGMT_IMG_UPLOAD, req.buf + DFU_SMP_HDR_SIZE,
			req.len, rc, v1_rc);
}

/* The reset command with `boot_mode` @p boot_mode, then the reboot it asks for. */
static void reset_into(struct sim_device *dev, uint64_t boot_mode)
{
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w = payload_map(&p, 1);
	struct answer a;

	dfu_smp_mgmt_cbor_text(w, "boot_mode");
	dfu_smp_mgmt_cbor_uint(w, boot_mode);
	call(dev, DFU_SMP_OP_WRITE, V2, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_RESET, p.buf, w->len,
	     &a);
	expect_ok(&a);
	answer_close(&a);
	assert_int_not_equal(sim_device_reset_at(dev), UINT64_MAX);
	sim_device_reboot(dev, sim_device_reset_at(dev));
}

/* The bootloader info's `mode` and whether it says `no-downgrade`. */
static int64_t bootloader_mode(struct sim_device *dev, bool *no_downgrade)
{
	struct payload p;
	size_t n = payload_text(&p, "query", "mode");
	const cbor_item_t *nd;
	struct answer a;
	int64_t mode;

	call(dev, DFU_SMP_OP_READ, V2, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_BOOTLOADER, p.buf, n,
	     &a);
	expect_ok(&a);
	mode = get_int(a.map, "mode");
	nd = dfu_smp_mgmt_cbor_find(a.map, "no-downgrade");
	*no_downgrade = nd && cbor_get_bool(nd);
	answer_close(&a);
	return mode;
}

/* Slot info: how many slots image 0 lists, and which one has upload_image_id (-1: none). */
static int slot_info_upload_slot(struct sim_device *dev, size_t *slots)
{
	struct answer a;
	const cbor_item_t *images, *list;
	int upload = -1;

	call(dev, DFU_SMP_OP_READ, V2, IMG, DFU_SMP_MGMT_IMG_SLOT_INFO, empty, sizeof(empty), &a);
	expect_ok(&a);
	images = get(a.map, "images");
	list = get(cbor_array_handle(images)[0], "slots");
	*slots = cbor_array_size(list);
	for (size_t i = 0; i < *slots; i++) {
		const cbor_item_t *s = cbor_array_handle(list)[i];

		if (dfu_smp_mgmt_cbor_find(s, "upload_image_id")) {
			upload = (int)get_uint(s, "slot");
		}
	}
	answer_close(&a);
	return upload;
}

/*
 * Makes the dependency TLV of the image in @p f name image @p on instead, and its SHA-256 TLV
 * match again (the simulated bootloader checks no signature); @p hash gets the new hash.
 */
static void depend_on(struct file *f, uint8_t on, uint8_t hash[32])
{
	size_t hdr = (size_t)(f->data[8] | f->data[9] << 8);
	size_t prot = (size_t)(f->data[10] | f->data[11] << 8);
	size_t img = (size_t)f->data[12] | (size_t)f->data[13] << 8 |
		     (size_t)f->data[14] << 16 | (size_t)f->data[15] << 24;
	size_t off = hdr + img + 4, end = hdr + img + prot, hashed = end;
	bool changed = false;
	unsigned int n;

	for (; off + 4 <= end; off += 4u + (size_t)(f->data[off + 2] | f->data[off + 3] << 8)) {
		if (f->data[off] == DFU_SMP_IMAGE_TLV_DEPENDENCY && f->data[off + 1] == 0) {
			f->data[off + 4] = on;
			changed = true;
		}
	}
	assert_true(changed);
	assert_true(EVP_Digest(f->data, hashed, hash, &n, EVP_sha256(), NULL));
	for (off = hashed + 4; off + 4 <= f->len;
	     off += 4u + (size_t)(f->data[off + 2] | f->data[off + 3] << 8)) {
		if (f->data[off] == DFU_SMP_IMAGE_TLV_SHA256 && f->data[off + 1] == 0) {
			memcpy(f->data + off + 4, hash, 32);
			return;
		}
	}
	fail_msg("no SHA-256 TLV");
}

/* ---- every mode ---- */

static void bootloader_info_reports_the_mode(void **state)
{
	static const int numbers[SIM_BOOT_MODE_COUNT] = {
		[SIM_BOOT_SWAP_MOVE] = 3,      [SIM_BOOT_SWAP_SCRATCH] = 1,
		[SIM_BOOT_SWAP_OFFSET] = 9,    [SIM_BOOT_OVERWRITE_ONLY] = 2,
		[SIM_BOOT_DIRECT_XIP] = 4,     [SIM_BOOT_DIRECT_XIP_REVERT] = 5,
		[SIM_BOOT_RAM_LOAD] = 6,       [SIM_BOOT_FIRMWARE_LOADER] = 7,
		[SIM_BOOT_SINGLE_SLOT] = 0,
	};
	struct sim_device dev;
	bool nd;

	(void)state;
	for (unsigned m = 0; m < SIM_BOOT_MODE_COUNT; m++) {
		struct sim_device_config cfg = { .img = { .mode = (enum sim_boot_mode)m,
							  .no_downgrade = m % 2 == 1 } };
		enum sim_boot_mode found;

		assert_int_equal(sim_device_init(&dev, &cfg), 0);
		assert_int_equal(bootloader_mode(&dev, &nd), numbers[m]);
		assert_int_equal(nd, m % 2 == 1);
		expect_slot(&dev, 0, NULL, "ACB"); /* every mode starts on its factory image */
		assert_int_equal(sim_boot_mode_find(sim_boot_mode_name((enum sim_boot_mode)m),
						    &found), 0);
		assert_int_equal(found, m);
		sim_device_free(&dev);
	}
	assert_int_equal(sim_boot_mode_find("swap", &(enum sim_boot_mode){ 0 }), -ENOENT);
}

static void swap_scratch_and_offset_swap_as_move_does(void **state)
{
	static const enum sim_boot_mode swaps[] = { SIM_BOOT_SWAP_SCRATCH, SIM_BOOT_SWAP_OFFSET };
	struct file f = load("01-hash-only.bin");
	uint8_t hash[32], old[32];
	struct sim_device dev;

	(void)state;
	image_hash(&f, hash);
	for (size_t i = 0; i < 2; i++) {
		open_mode(&dev, swaps[i], 1);
		running_hash(&dev, old);
		assert_true(upload_all(&dev, &f, 1000));
		expect_slot(&dev, 1, hash, "B");
		state_write_is(&dev, hash, false, 0);
		expect_slot(&dev, 1, hash, "PB");
		sim_device_reboot(&dev, 1000);
		assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_TEST);
		expect_slot(&dev, 0, hash, "AB");
		expect_slot(&dev, 1, old, "CB");
		sim_device_reboot(&dev, 2000); /* not confirmed: reverted */
		expect_slot(&dev, 0, old, "ACB");
		sim_device_free(&dev);
	}
	free(f.data);
}

/* ---- overwrite only ---- */

static void overwrite_only_copies_and_never_reverts(void **state)
{
	struct file f = load("01-hash-only.bin"), g = load("04-rsa2048.bin");
	uint8_t hash[32], hash_g[32];
	struct sim_device dev;

	(void)state;
	image_hash(&f, hash);
	image_hash(&g, hash_g);
	open_mode(&dev, SIM_BOOT_OVERWRITE_ONLY, 1);
	assert_true(upload_all(&dev, &f, 1000));
	state_write_is(&dev, hash, false, 0);
	expect_slot(&dev, 1, hash, "PB");
	sim_device_reboot(&dev, 1000);
	assert_true(sim_device_bootable(&dev));
	assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_TEST);
	/* copied over slot 0 and confirmed; slot 1 erased */
	expect_slot(&dev, 0, hash, "ACB");
	expect_slot(&dev, 1, NULL, NULL);
	state_write_is(&dev, NULL, true, 0); /* nothing to confirm: done */
	sim_device_reboot(&dev, 2000);     /* no revert */
	assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_NONE);
	expect_slot(&dev, 0, hash, "ACB");

	/* a permanent mark is listed so, and ends the same */
	assert_true(upload_all(&dev, &g, 2000));
	state_write_is(&dev, hash_g, true, 0);
	expect_slot(&dev, 1, hash_g, "PXB");
	sim_device_reboot(&dev, 3000);
	expect_slot(&dev, 0, hash_g, "ACB");
	expect_slot(&dev, 1, NULL, NULL);
	sim_device_free(&dev);
	free(f.data);
	free(g.data);
}

/* Small pages: a copy of a few dozen units. */
static const struct sim_flash_timing small_flash = {
	.name = "small", .page_size = 512, .write_block = 4, .erase_page_us = 1000,
	.write_block_us = 10, .erase_needed = true,
};

#define CUT_SLOT (8u * 512u)

static void count_cut(struct sim_flash *flash, void *user)
{
	(void)flash;
	++*(unsigned *)user;
}

/*
 * A flash file with two images, 1.0.0 in each primary and a newer one marked for a test in
 * each secondary, booted with the power cut at @p cut (UINT64_MAX: none). @return the boot
 * units used.
 */
static uint64_t overwrite_cut(const char *path, uint64_t cut, uint8_t new_hash[2][32])
{
	const struct dfu_smp_image_version v1 = { 1, 0, 0, 0 }, v2 = { 2, 0, 0, 0 };
	uint8_t buf[3000];
	struct sim_flash flash;
	struct sim_boot boot;
	struct sim_boot_result res;
	struct sim_image img;
	unsigned cuts = 0;
	uint64_t units;
	bool fresh;

	unlink(path);
	assert_int_equal(sim_flash_open(&flash, sim_boot_flash_size(2, CUT_SLOT, &small_flash),
					&small_flash, path, &fresh),
			 0);
	sim_boot_init(&boot, &flash, 2, CUT_SLOT, SIM_BOOT_OVERWRITE_ONLY, false);
	for (unsigned i = 0; i < 2; i++) {
		size_t n = sim_image_build(buf, sizeof(buf), &v1, 1000, 10 + i);

		assert_true(sim_flash_write(&flash, sim_boot_slot_offset(&boot, i, 0), buf, n) >=
			    0);
		n = sim_image_build(buf, sizeof(buf), &v2, 1900 - 300 * i, 20 + i);
		assert_true(sim_flash_write(&flash, sim_boot_slot_offset(&boot, i, 1), buf, n) >=
			    0);
		assert_int_equal(sim_image_parse(buf, n, &img), 0);
		memcpy(new_hash[i], img.hash, 32);
		assert_true(sim_boot_set_pending(&boot, i, false) >= 0);
	}
	units = sim_flash_units(&flash, SIM_FLASH_PHASE_BOOT);
	if (cut != UINT64_MAX) {
		sim_flash_arm_cut(&flash, SIM_FLASH_PHASE_BOOT, cut, count_cut, &cuts);
	}
	sim_flash_set_phase(&flash, SIM_FLASH_PHASE_BOOT);
	if (sim_boot_run(&boot, &res) == 0) {
		assert_true(res.bootable);
	}
	assert_int_equal(cuts, cut != UINT64_MAX);
	units = sim_flash_units(&flash, SIM_FLASH_PHASE_BOOT) - units;
	sim_flash_close(&flash);
	return units;
}

static void overwrite_only_survives_a_cut_anywhere_in_the_copy(void **state)
{
	char path[] = "/tmp/dfu-smp-overwrite-XXXXXX";
	int fd = mkstemp(path);
	uint8_t new_hash[2][32];
	uint64_t units;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	units = overwrite_cut(path, UINT64_MAX, new_hash);
	assert_true(units > 20);
	for (uint64_t cut = 0; cut < units; cut++) {
		struct sim_flash flash;
		struct sim_boot boot;
		struct sim_boot_result res;
		bool fresh;

		overwrite_cut(path, cut, new_hash);
		/* power on: the next boot finishes the job, both images end up new */
		assert_int_equal(sim_flash_open(&flash,
						sim_boot_flash_size(2, CUT_SLOT, &small_flash),
						&small_flash, path, &fresh),
				 0);
		sim_boot_init(&boot, &flash, 2, CUT_SLOT, SIM_BOOT_OVERWRITE_ONLY, false);
		assert_int_equal(sim_boot_run(&boot, &res), 0);
		assert_true(res.bootable);
		for (unsigned i = 0; i < 2; i++) {
			struct sim_slot_state st[2];

			sim_boot_slot_states(&boot, i, st);
			assert_true(st[0].present && st[0].active && st[0].confirmed);
			assert_memory_equal(st[0].img.hash, new_hash[i], 32);
			assert_false(st[1].present);
		}
		sim_flash_close(&flash);
	}
	unlink(path);
}

/* ---- direct-XIP, RAM load ---- */

static void either_slot_runs_the_highest_version(void **state)
{
	static const enum sim_boot_mode modes[] = { SIM_BOOT_DIRECT_XIP, SIM_BOOT_RAM_LOAD };
	struct file f = load("01-hash-only.bin"), g = load("04-rsa2048.bin");
	uint8_t hash[32], hash_g[32], old[32];
	struct sim_device dev;
	size_t slots;

	(void)state;
	image_hash(&f, hash);
	image_hash(&g, hash_g);
	for (size_t m = 0; m < 2; m++) {
		open_mode(&dev, modes[m], 1);
		running_hash(&dev, old);
		assert_int_equal(slot_info_upload_slot(&dev, &slots), 1);
		assert_int_equal(slots, 2);
		/* 1.2.3 into slot 1: higher, so it boots next */
		assert_true(upload_all(&dev, &f, 1000));
		expect_slot(&dev, 1, hash, "PXB");
		expect_slot(&dev, 0, old, "ACB");
		state_write_is(&dev, hash, false, -DFU_SMP_MGMT_ERR_ENOTSUP);
		state_write_is(&dev, NULL, true, -DFU_SMP_MGMT_ERR_ENOTSUP);
		sim_device_reboot(&dev, 1000);
		assert_true(sim_device_bootable(&dev));
		assert_int_equal(sim_device_last_boot(&dev)->running[0], 1);
		expect_slot(&dev, 1, hash, "ACB");
		expect_slot(&dev, 0, old, "B");
		/* the next upload goes to slot 0, the one not running */
		assert_int_equal(slot_info_upload_slot(&dev, &slots), 0);
		assert_true(upload_all(&dev, &g, 2000));
		expect_slot(&dev, 0, hash_g, "PXB");
		sim_device_reboot(&dev, 2000);
		expect_slot(&dev, 0, hash_g, "ACB");
		expect_slot(&dev, 1, hash, "B");
		/* the older image in the other slot never boots; erase takes the other slot */
		sim_device_reboot(&dev, 3000);
		expect_slot(&dev, 0, hash_g, "ACB");
		{
			struct answer a;

			call(&dev, DFU_SMP_OP_WRITE, V2, IMG, DFU_SMP_MGMT_IMG_ERASE, empty,
			     sizeof(empty), &a);
			expect_ok(&a);
			answer_close(&a);
		}
		expect_slot(&dev, 1, NULL, NULL);
		expect_slot(&dev, 0, hash_g, "ACB");
		sim_device_free(&dev);
	}
	free(f.data);
	free(g.data);
}

static void direct_xip_revert_drops_an_unconfirmed_image(void **state)
{
	struct file f = load("01-hash-only.bin");
	uint8_t hash[32], old[32];
	struct sim_device dev;

	(void)state;
	image_hash(&f, hash);
	open_mode(&dev, SIM_BOOT_DIRECT_XIP_REVERT, 1);
	running_hash(&dev, old);
	assert_true(upload_all(&dev, &f, 1000));
	expect_slot(&dev, 1, hash, "B"); /* no magic: not a candidate yet */
	sim_device_reboot(&dev, 500);
	expect_slot(&dev, 0, old, "ACB");
	state_write_is(&dev, old, false, IMG_SETTING_TEST_TO_ACTIVE_DENIED);
	state_write_is(&dev, hash, false, 0);
	expect_slot(&dev, 1, hash, "PB");
	sim_device_reboot(&dev, 1000);
	assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_TEST);
	expect_slot(&dev, 1, hash, "AB");  /* running, unconfirmed */
	expect_slot(&dev, 0, old, "CB");   /* what comes back */
	sim_device_reboot(&dev, 2000);      /* never confirmed: dropped */
	assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_REVERT);
	expect_slot(&dev, 0, old, "ACB");
	expect_slot(&dev, 1, hash, "B");

	/* again, confirmed this time: it stays */
	state_write_is(&dev, hash, false, 0);
	sim_device_reboot(&dev, 3000);
	expect_slot(&dev, 1, hash, "AB");
	state_write_is(&dev, NULL, true, 0);
	expect_slot(&dev, 1, hash, "ACB");
	expect_slot(&dev, 0, old, "B");
	sim_device_reboot(&dev, 4000);
	expect_slot(&dev, 1, hash, "ACB");
	/* slot 0 is the one not running now: the upload target */
	{
		size_t slots;

		assert_int_equal(slot_info_upload_slot(&dev, &slots), 0);
	}
	sim_device_free(&dev);
	free(f.data);
}

static void direct_xip_revert_permanent_needs_no_confirm(void **state)
{
	struct file f = load("01-hash-only.bin");
	uint8_t hash[32];
	struct sim_device dev;

	(void)state;
	image_hash(&f, hash);
	open_mode(&dev, SIM_BOOT_DIRECT_XIP_REVERT, 1);
	assert_true(upload_all(&dev, &f, 1000));
	state_write_is(&dev, hash, true, 0);
	expect_slot(&dev, 1, hash, "PXB");
	sim_device_reboot(&dev, 1000);
	assert_int_not_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_TEST);
	expect_slot(&dev, 1, hash, "ACB");
	sim_device_reboot(&dev, 2000);
	expect_slot(&dev, 1, hash, "ACB");
	sim_device_free(&dev);
	free(f.data);
}

/* ---- one slot: single slot, firmware loader ---- */

static void single_slot_takes_no_upload(void **state)
{
	struct file f = load("01-hash-only.bin");
	struct sim_device dev;
	size_t slots;

	(void)state;
	open_mode(&dev, SIM_BOOT_SINGLE_SLOT, 1);
	expect_slot(&dev, 0, NULL, "ACB");
	upload_refused(&dev, &f, IMG_NO_FREE_SLOT, DFU_SMP_MGMT_ERR_EBADSTATE);
	state_write_is(&dev, NULL, true, -DFU_SMP_MGMT_ERR_ENOTSUP);
	assert_int_equal(slot_info_upload_slot(&dev, &slots), -1);
	assert_int_equal(slots, 1);
	sim_device_free(&dev);
	free(f.data);
}

static void firmware_loader_is_entered_and_left(void **state)
{
	struct file f = load("01-hash-only.bin");
	uint8_t hash[32], old[32];
	struct sim_device dev;
	size_t slots;
	bool nd;

	(void)state;
	image_hash(&f, hash);
	open_mode(&dev, SIM_BOOT_FIRMWARE_LOADER, 1);
	running_hash(&dev, old);
	assert_false(sim_device_in_loader(&dev));
	expect_slot(&dev, 0, old, "ACB");
	upload_refused(&dev, &f, IMG_NO_FREE_SLOT, DFU_SMP_MGMT_ERR_EBADSTATE);
	state_write_is(&dev, NULL, true, -DFU_SMP_MGMT_ERR_ENOTSUP);

	/* boot_mode 1: the loader, which takes the upload into slot 0 */
	reset_into(&dev, 1);
	assert_true(sim_device_in_loader(&dev));
	assert_false(sim_device_in_recovery(&dev));
	expect_slot(&dev, 0, old, "B");
	assert_int_equal(bootloader_mode(&dev, &nd), 7);
	assert_int_equal(slot_info_upload_slot(&dev, &slots), 0);
	assert_int_equal(slots, 1);
	state_write_is(&dev, NULL, true, -DFU_SMP_MGMT_ERR_ENOTSUP);
	assert_true(upload_all(&dev, &f, 1000));
	expect_slot(&dev, 0, hash, "B");
	{
		struct answer a;

		call(&dev, DFU_SMP_OP_READ, V2, IMG, DFU_SMP_MGMT_IMG_STATE, empty, sizeof(empty),
		     &a);
		expect_ok(&a);
		assert_int_equal(get_uint(a.map, "splitStatus"), 0);
		answer_close(&a);
	}
	/* a normal reset runs the new application */
	reset_into(&dev, 0);
	assert_false(sim_device_in_loader(&dev));
	expect_slot(&dev, 0, hash, "ACB");

	/* nothing valid in slot 0: the loader runs */
	reset_into(&dev, 1);
	{
		struct payload p;
		struct dfu_smp_mgmt_cbor_writer *w = payload_map(&p, 1);
		struct answer a;

		dfu_smp_mgmt_cbor_text(w, "slot");
		dfu_smp_mgmt_cbor_uint(w, 0);
		call(&dev, DFU_SMP_OP_WRITE, V2, IMG, DFU_SMP_MGMT_IMG_ERASE, p.buf, w->len, &a);
		expect_ok(&a);
		answer_close(&a);
	}
	expect_slot(&dev, 0, NULL, NULL);
	reset_into(&dev, 0);
	assert_true(sim_device_bootable(&dev));
	assert_true(sim_device_in_loader(&dev));
	sim_device_free(&dev);
	free(f.data);
}

/* ---- reset into the bootloader ---- */

static void reset_boot_mode_1_enters_serial_recovery(void **state)
{
	struct sim_device_config cfg = { .serial_recovery = true };
	struct sim_device dev;

	(void)state;
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	reset_into(&dev, 1);
	assert_true(sim_device_in_recovery(&dev));
	/* a reset from recovery boots the application */
	sim_device_reboot(&dev, 5000000);
	assert_false(sim_device_in_recovery(&dev));
	expect_slot(&dev, 0, NULL, "ACB");
	reset_into(&dev, 0);
	assert_false(sim_device_in_recovery(&dev));
	sim_device_free(&dev);

	/* not reached over serial (UDP, BLE): boot_mode 1 boots as usual */
	cfg.serial_recovery = false;
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	reset_into(&dev, 1);
	assert_false(sim_device_in_recovery(&dev));
	expect_slot(&dev, 0, NULL, "ACB");
	sim_device_free(&dev);
}

/* ---- several images, dependencies, downgrades ---- */

static void dependencies_decide_what_is_swapped(void **state)
{
	struct file dep = load("06a-dependency.bin"); /* 1.1.0, needs image 1 >= 1.2.3 */
	struct file one = load("01-hash-only.bin");   /* 1.2.3+4 */
	uint8_t dep_hash[32], one_hash[32];
	const struct sim_boot_refused *r;
	struct sim_device dev;

	(void)state;
	image_hash(&dep, dep_hash);
	image_hash(&one, one_hash);
	open_mode(&dev, SIM_BOOT_SWAP_MOVE, 2);
	assert_true(upload_all_to(&dev, &dep, 0, 1000));
	state_write_is(&dev, dep_hash, false, 0);
	sim_device_reboot(&dev, 1000);
	/* image 1 still runs 1.0.0: not swapped, left pending */
	assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_NONE);
	r = &sim_device_last_boot(&dev)->refused[0];
	assert_int_equal(r->why, SIM_BOOT_REFUSED_DEPENDENCY);
	assert_int_equal(r->dep_image, 1);
	assert_int_equal(r->need.major, 1);
	assert_int_equal(r->need.minor, 2);
	assert_int_equal(r->need.revision, 3);
	assert_int_equal(r->have.major, 1);
	assert_int_equal(r->have.minor, 0);
	expect_image_slot(&dev, 0, 1, dep_hash, "PB");
	/* with 1.2.3 pending for image 1 both go in at the same boot */
	assert_true(upload_all_to(&dev, &one, 1, 1000));
	state_write_is(&dev, one_hash, false, 0);
	expect_image_slot(&dev, 1, 1, one_hash, "PB");
	sim_device_reboot(&dev, 2000);
	assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_TEST);
	assert_int_equal(sim_device_last_boot(&dev)->swaps[1], SIM_SWAP_TEST);
	assert_int_equal(sim_device_last_boot(&dev)->refused[0].why, SIM_BOOT_REFUSED_NONE);
	expect_image_slot(&dev, 0, 0, dep_hash, "AB");
	expect_image_slot(&dev, 1, 0, one_hash, "AB");
	/* each image confirmed on its own; the other one reverts */
	state_write_is(&dev, NULL, true, 0);
	sim_device_reboot(&dev, 3000);
	assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_NONE);
	assert_int_equal(sim_device_last_boot(&dev)->swaps[1], SIM_SWAP_REVERT);
	expect_image_slot(&dev, 0, 0, dep_hash, "ACB");
	sim_device_free(&dev);

	/* a dependency on an image the device does not have is never met */
	depend_on(&dep, 3, dep_hash);
	open_mode(&dev, SIM_BOOT_SWAP_MOVE, 2);
	assert_true(upload_all(&dev, &dep, 1000));
	state_write_is(&dev, dep_hash, false, 0);
	sim_device_reboot(&dev, 1000);
	assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_NONE);
	assert_true(sim_device_last_boot(&dev)->refused[0].no_such_image);
	assert_int_equal(sim_device_last_boot(&dev)->refused[0].dep_image, 3);
	sim_device_free(&dev);

	/* a single-image MCUboot checks no dependencies */
	open_mode(&dev, SIM_BOOT_SWAP_MOVE, 1);
	assert_true(upload_all(&dev, &dep, 1000));
	state_write_is(&dev, dep_hash, false, 0);
	sim_device_reboot(&dev, 1000);
	assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_TEST);
	sim_device_free(&dev);
	free(dep.data);
	free(one.data);
}

static void dependencies_pick_the_slot_in_direct_xip(void **state)
{
	struct file dep = load("06a-dependency.bin");
	struct file one = load("01-hash-only.bin");
	struct sim_device dev;

	(void)state;
	open_mode(&dev, SIM_BOOT_DIRECT_XIP, 2);
	assert_true(upload_all_to(&dev, &dep, 0, 1000));
	sim_device_reboot(&dev, 1000);
	/* 1.1.0 is the highest but needs image 1 >= 1.2.3: slot 0 runs */
	assert_int_equal(sim_device_last_boot(&dev)->running[0], 0);
	assert_int_equal(sim_device_last_boot(&dev)->refused[0].why, SIM_BOOT_REFUSED_DEPENDENCY);
	assert_true(upload_all_to(&dev, &one, 1, 1000));
	sim_device_reboot(&dev, 2000);
	assert_int_equal(sim_device_last_boot(&dev)->running[0], 1);
	assert_int_equal(sim_device_last_boot(&dev)->running[1], 1);
	sim_device_free(&dev);
	free(dep.data);
	free(one.data);
}

static void no_downgrade_keeps_an_older_image_out(void **state)
{
	struct file older = load("03-ed25519.bin"); /* 0.9.1 */
	struct file newer = load("01-hash-only.bin");
	uint8_t older_hash[32], newer_hash[32], old[32];
	struct sim_device dev;

	(void)state;
	image_hash(&older, older_hash);
	image_hash(&newer, newer_hash);
	for (int prevent = 0; prevent < 2; prevent++) {
		struct sim_device_config cfg = { .img = { .no_downgrade = prevent } };

		assert_int_equal(sim_device_init(&dev, &cfg), 0);
		running_hash(&dev, old);
		assert_true(upload_all(&dev, &older, 2000));
		state_write_is(&dev, older_hash, true, 0);
		sim_device_reboot(&dev, 1000);
		if (prevent) {
			const struct sim_boot_refused *r = &sim_device_last_boot(&dev)->refused[0];

			assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_NONE);
			assert_int_equal(r->why, SIM_BOOT_REFUSED_DOWNGRADE);
			assert_int_equal(r->version.minor, 9);
			assert_int_equal(r->have.major, 1);
			expect_slot(&dev, 0, old, "ACB");
			/* no longer marked, but still there */
			expect_slot(&dev, 1, older_hash, "B");
			/* a newer one goes in */
			assert_true(upload_all(&dev, &newer, 2000));
			state_write_is(&dev, newer_hash, true, 0);
			sim_device_reboot(&dev, 2000);
			assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_PERM);
			expect_slot(&dev, 0, newer_hash, "ACB");
		} else {
			assert_int_equal(sim_device_last_boot(&dev)->swaps[0], SIM_SWAP_PERM);
			expect_slot(&dev, 0, older_hash, "ACB");
		}
		sim_device_free(&dev);
	}
	free(older.data);
	free(newer.data);
}

/* On a fresh 2-image device with @p rule: image 1's secondary holds @p f. */
static void open_confirm_other(struct sim_device *dev, enum sim_confirm_other rule,
			       const struct file *f)
{
	struct sim_device_config cfg = {
		.img = { .images = 2, .slot_size = 0x20000, .confirm_other = rule },
	};

	assert_int_equal(sim_device_init(dev, &cfg), 0);
	assert_true(upload_all_to(dev, f, 1, 1000));
}

static void confirm_other_images_as_configured(void **state)
{
	static const struct {
		enum sim_confirm_other rule;
		int secondary, primary; /* answers to confirming image 1's slots */
	} cases[] = {
		{ SIM_CONFIRM_OTHER_NONE, IMG_IMAGE_CONFIRMATION_DENIED,
		  IMG_IMAGE_CONFIRMATION_DENIED },
		{ SIM_CONFIRM_OTHER_SECONDARY, 0, IMG_IMAGE_CONFIRMATION_DENIED },
		{ SIM_CONFIRM_OTHER_ANY, 0, 0 },
	};
	struct file f = load("01-hash-only.bin");
	uint8_t hash[32], primary[32];
	struct sim_device dev;

	(void)state;
	image_hash(&f, hash);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		open_confirm_other(&dev, cases[i].rule, &f);
		state_write_is(&dev, hash, true, cases[i].secondary);
		expect_image_slot(&dev, 1, 1, hash, cases[i].secondary ? "B" : "PXB");
		sim_device_free(&dev);

		open_confirm_other(&dev, cases[i].rule, &f);
		slot_hash(&dev, 1, 0, primary);
		state_write_is(&dev, primary, true, cases[i].primary);
		/* a test is always allowed; image 0 is not concerned */
		state_write_is(&dev, hash, false, 0);
		expect_image_slot(&dev, 1, 1, hash, "PB");
		slot_hash(&dev, 0, 0, primary);
		state_write_is(&dev, primary, true, 0);
		sim_device_free(&dev);
	}
	free(f.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bootloader_info_reports_the_mode),
		cmocka_unit_test(swap_scratch_and_offset_swap_as_move_does),
		cmocka_unit_test(overwrite_only_copies_and_never_reverts),
		cmocka_unit_test(overwrite_only_survives_a_cut_anywhere_in_the_copy),
		cmocka_unit_test(either_slot_runs_the_highest_version),
		cmocka_unit_test(direct_xip_revert_drops_an_unconfirmed_image),
		cmocka_unit_test(direct_xip_revert_permanent_needs_no_confirm),
		cmocka_unit_test(single_slot_takes_no_upload),
		cmocka_unit_test(firmware_loader_is_entered_and_left),
		cmocka_unit_test(reset_boot_mode_1_enters_serial_recovery),
		cmocka_unit_test(dependencies_decide_what_is_swapped),
		cmocka_unit_test(dependencies_pick_the_slot_in_direct_xip),
		cmocka_unit_test(no_downgrade_keeps_an_older_image_out),
		cmocka_unit_test(confirm_other_images_as_configured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
