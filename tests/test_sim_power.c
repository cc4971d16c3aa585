/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's power loss: a cut at every flash unit (a page erased, a write block
 * written) of an upload, of marking an image for test or for good, of the confirm, and of the
 * bootloader's test swap, revert and permanent swap, each followed by a power-on on the flash
 * file as the cut left it. After each, the device boots, slot 0 holds the old or the new image
 * whole, and the upgrade ends as it would have without the cut.
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

#include "../sim/boot.h"
#include "../sim/flash.h"

/* Small pages and 4-byte write blocks: few units per swap, and a trailer magic of 4 units. */
static const struct sim_flash_timing small_flash = {
	.name = "small", .page_size = 512, .write_block = 4, .erase_page_us = 1000,
	.write_block_us = 10, .erase_needed = true,
};

#define SLOT_SIZE (6u * 512u)
#define IMAGE_CAP 4096u

struct rig {
	char path[64];
	struct sim_flash flash;
	struct sim_boot boot;
	uint8_t old_img[IMAGE_CAP], new_img[IMAGE_CAP];
	size_t old_len, new_len;
	unsigned cuts; /* how often the power went */
};

static void on_cut(struct sim_flash *flash, void *user)
{
	struct rig *r = user;

	(void)flash;
	r->cuts++;
}

/* Opens the flash file as a power-on does: what the file holds, nothing else. */
static void power_on(struct rig *r)
{
	bool fresh;

	assert_int_equal(sim_flash_open(&r->flash, sim_boot_flash_size(1, SLOT_SIZE, &small_flash),
					&small_flash, r->path, &fresh),
			 0);
	assert_false(fresh);
	sim_boot_init(&r->boot, &r->flash, 1, SLOT_SIZE, SIM_BOOT_SWAP_MOVE, false);
}

static size_t slot_off(const struct rig *r, unsigned slot)
{
	return sim_boot_slot_offset(&r->boot, 0, slot);
}

/* A new flash file: the old image confirmed in slot 0, the new one in slot 1 if @p uploaded. */
static void start(struct rig *r, bool uploaded)
{
	const struct dfu_smp_image_version v1 = { 1, 0, 0, 0 }, v2 = { 2, 0, 0, 0 };
	bool fresh;

	r->old_len = sim_image_build(r->old_img, sizeof(r->old_img), &v1, 1100, 1);
	r->new_len = sim_image_build(r->new_img, sizeof(r->new_img), &v2, 1300, 2);
	assert_true(r->old_len > 0 && r->new_len > 0);
	unlink(r->path);
	assert_int_equal(sim_flash_open(&r->flash, sim_boot_flash_size(1, SLOT_SIZE, &small_flash),
					&small_flash, r->path, &fresh),
			 0);
	sim_boot_init(&r->boot, &r->flash, 1, SLOT_SIZE, SIM_BOOT_SWAP_MOVE, false);
	assert_true(sim_flash_write(&r->flash, slot_off(r, 0), r->old_img, r->old_len) >= 0);
	if (uploaded) {
		assert_true(sim_flash_write(&r->flash, slot_off(r, 1), r->new_img, r->new_len) >=
			    0);
	}
}

static int64_t booted(struct rig *r)
{
	struct sim_boot_result res;
	enum sim_flash_phase was = sim_flash_set_phase(&r->flash, SIM_FLASH_PHASE_BOOT);
	int err = sim_boot_run(&r->boot, &res);

	sim_flash_set_phase(&r->flash, was);
	if (err) {
		return err;
	}
	return res.bootable ? (int64_t)res.swaps[0] : -ENOEXEC;
}

static void boot_ok(struct rig *r)
{
	assert_true(booted(r) > 0);
}

/* The image group's upload of the new image: trailer page, image pages, then the chunks. */
static int upload(struct rig *r)
{
	size_t off1 = slot_off(r, 1);

	if (sim_flash_erase(&r->flash, off1 + SLOT_SIZE - 1, 1) < 0 ||
	    sim_flash_erase(&r->flash, off1, r->new_len) < 0) {
		return -EIO;
	}
	for (size_t at = 0; at < r->new_len; at += 128) {
		size_t n = r->new_len - at < 128 ? r->new_len - at : 128;

		if (sim_flash_write(&r->flash, off1 + at, r->new_img + at, n) < 0) {
			return -EIO;
		}
	}
	return 0;
}

/* 1 if slot 0 holds the new image, 0 the old one; it fails if neither, whole and good. */
static int slot0_new(struct rig *r)
{
	const uint8_t *s0 = sim_flash_data(&r->flash) + slot_off(r, 0);
	struct sim_image img;

	assert_int_equal(sim_image_parse(s0, SLOT_SIZE, &img), 0);
	assert_true(sim_image_hash_ok(s0, &img));
	if (img.end == r->new_len && memcmp(s0, r->new_img, r->new_len) == 0) {
		return 1;
	}
	assert_int_equal(img.end, r->old_len);
	assert_memory_equal(s0, r->old_img, r->old_len);
	return 0;
}

/* The state a phase starts from. */
enum setup { BLANK, UPLOADED, TESTING, RUNNING_TEST, PERM_MARKED };

static void prepare(struct rig *r, enum setup setup)
{
	start(r, setup != BLANK);
	if (setup == TESTING || setup == RUNNING_TEST) {
		assert_true(sim_boot_set_pending(&r->boot, 0, false) >= 0);
	}
	if (setup == RUNNING_TEST) {
		assert_int_equal(booted(r), SIM_SWAP_TEST);
	}
	if (setup == PERM_MARKED) {
		assert_true(sim_boot_set_pending(&r->boot, 0, true) >= 0);
	}
}

/* What is cut: one phase's work. @return 0 or the error the cut gave. */
typedef int (*work_fn)(struct rig *r);

static int do_upload(struct rig *r)
{
	return upload(r);
}

static int do_test(struct rig *r)
{
	int64_t t = sim_boot_set_pending(&r->boot, 0, false);

	return t < 0 ? (int)t : 0;
}

static int do_perm(struct rig *r)
{
	int64_t t = sim_boot_set_pending(&r->boot, 0, true);

	return t < 0 ? (int)t : 0;
}

static int do_confirm(struct rig *r)
{
	int64_t t = sim_boot_confirm(&r->boot, 0);

	return t < 0 ? (int)t : 0;
}

static int do_boot(struct rig *r)
{
	int64_t t = booted(r);

	return t < 0 ? (int)t : 0;
}

/* Units @p work takes in @p phase from @p setup, without a cut. */
static uint64_t units_of(struct rig *r, enum setup setup, enum sim_flash_phase phase,
			 work_fn work)
{
	uint64_t before, n;
	enum sim_flash_phase was;

	prepare(r, setup);
	before = sim_flash_units(&r->flash, phase);
	was = sim_flash_set_phase(&r->flash, phase);
	assert_int_equal(work(r), 0);
	sim_flash_set_phase(&r->flash, was);
	n = sim_flash_units(&r->flash, phase) - before;
	sim_flash_close(&r->flash);
	assert_true(n > 0);
	return n;
}

/* Runs @p work from @p setup with the power cut at its unit @p k, then powers on. */
static void cut_at(struct rig *r, enum setup setup, enum sim_flash_phase phase, work_fn work,
		   uint64_t k)
{
	enum sim_flash_phase was;
	uint64_t all;

	prepare(r, setup);
	r->cuts = 0;
	all = sim_flash_units(&r->flash, SIM_FLASH_PHASE_ANY);
	sim_flash_arm_cut(&r->flash, phase, k, on_cut, r);
	was = sim_flash_set_phase(&r->flash, phase);
	assert_int_equal(work(r), -EIO);
	sim_flash_set_phase(&r->flash, was);
	assert_int_equal(r->cuts, 1);
	/* exactly k units were done, and nothing changes without power */
	assert_int_equal(sim_flash_units(&r->flash, SIM_FLASH_PHASE_ANY) - all, k);
	assert_int_equal(sim_flash_write(&r->flash, 0, r->old_img, 4), -EIO);
	assert_int_equal(sim_flash_erase(&r->flash, 0, 1), -EIO);
	sim_flash_close(&r->flash);
	power_on(r);
}

static struct rig *rig(void **state)
{
	struct rig *r = *state;

	return r;
}

static void test_cut_upload(void **state)
{
	struct rig *r = rig(state);
	uint64_t n = units_of(r, BLANK, SIM_FLASH_PHASE_UPLOAD, do_upload);

	for (uint64_t k = 0; k < n; k++) {
		cut_at(r, BLANK, SIM_FLASH_PHASE_UPLOAD, do_upload, k);
		assert_int_equal(sim_boot_swap_type(&r->boot, 0), SIM_SWAP_NONE);
		assert_int_equal(booted(r), SIM_SWAP_NONE);
		assert_int_equal(slot0_new(r), 0);
		/* marked anyway, the cut image fails its check and is erased */
		assert_true(sim_boot_set_pending(&r->boot, 0, false) >= 0);
		boot_ok(r);
		assert_int_equal(slot0_new(r), 0);
		assert_int_equal(sim_boot_swap_type(&r->boot, 0), SIM_SWAP_NONE);
		sim_flash_close(&r->flash);
	}
}

/* A mark cut before its magic is whole leaves nothing pending. */
static void cut_mark(struct rig *r, work_fn work)
{
	uint64_t n = units_of(r, UPLOADED, SIM_FLASH_PHASE_MARK, work);

	assert_true(n >= 4); /* the 16-byte magic alone is 4 blocks: some cuts halve it */
	for (uint64_t k = 0; k < n; k++) {
		cut_at(r, UPLOADED, SIM_FLASH_PHASE_MARK, work, k);
		assert_int_equal(sim_boot_swap_type(&r->boot, 0), SIM_SWAP_NONE);
		assert_int_equal(booted(r), SIM_SWAP_NONE);
		assert_int_equal(slot0_new(r), 0);
		/* marked again after the power-on, it goes through */
		assert_int_equal(work(r), 0);
		boot_ok(r);
		assert_int_equal(slot0_new(r), 1);
		sim_flash_close(&r->flash);
	}
}

static void test_cut_mark_test(void **state)
{
	cut_mark(rig(state), do_test);
}

static void test_cut_mark_permanent(void **state)
{
	cut_mark(rig(state), do_perm);
}

static void test_cut_confirm(void **state)
{
	struct rig *r = rig(state);
	uint64_t n = units_of(r, RUNNING_TEST, SIM_FLASH_PHASE_CONFIRM, do_confirm);

	for (uint64_t k = 0; k < n; k++) {
		cut_at(r, RUNNING_TEST, SIM_FLASH_PHASE_CONFIRM, do_confirm, k);
		/* not confirmed: the power-on reverts */
		assert_int_equal(booted(r), SIM_SWAP_REVERT);
		assert_int_equal(slot0_new(r), 0);
		sim_flash_close(&r->flash);
	}
}

/* After a test swap: the new image runs unconfirmed, the next boot reverts it. */
static void check_tested(struct rig *r)
{
	assert_int_equal(slot0_new(r), 1);
	assert_int_equal(sim_boot_swap_type(&r->boot, 0), SIM_SWAP_REVERT);
	assert_int_equal(booted(r), SIM_SWAP_REVERT);
	assert_int_equal(slot0_new(r), 0);
	assert_int_equal(sim_boot_swap_type(&r->boot, 0), SIM_SWAP_NONE);
	assert_int_equal(booted(r), SIM_SWAP_NONE);
}

static void test_cut_test_swap(void **state)
{
	struct rig *r = rig(state);
	uint64_t n = units_of(r, TESTING, SIM_FLASH_PHASE_BOOT, do_boot);

	for (uint64_t k = 0; k < n; k++) {
		cut_at(r, TESTING, SIM_FLASH_PHASE_BOOT, do_boot, k);
		assert_int_equal(booted(r), SIM_SWAP_TEST); /* the same swap, finished */
		check_tested(r);
		sim_flash_close(&r->flash);
	}
}

static void test_cut_revert(void **state)
{
	struct rig *r = rig(state);
	uint64_t n = units_of(r, RUNNING_TEST, SIM_FLASH_PHASE_BOOT, do_boot);

	for (uint64_t k = 0; k < n; k++) {
		cut_at(r, RUNNING_TEST, SIM_FLASH_PHASE_BOOT, do_boot, k);
		assert_int_equal(booted(r), SIM_SWAP_REVERT);
		assert_int_equal(slot0_new(r), 0);
		assert_int_equal(sim_boot_swap_type(&r->boot, 0), SIM_SWAP_NONE);
		sim_flash_close(&r->flash);
	}
}

static void test_cut_permanent_swap(void **state)
{
	struct rig *r = rig(state);
	uint64_t n = units_of(r, PERM_MARKED, SIM_FLASH_PHASE_BOOT, do_boot);

	for (uint64_t k = 0; k < n; k++) {
		cut_at(r, PERM_MARKED, SIM_FLASH_PHASE_BOOT, do_boot, k);
		assert_int_equal(booted(r), SIM_SWAP_PERM);
		assert_int_equal(slot0_new(r), 1);
		assert_int_equal(sim_boot_swap_type(&r->boot, 0), SIM_SWAP_NONE);
		assert_int_equal(booted(r), SIM_SWAP_NONE);
		assert_int_equal(slot0_new(r), 1);
		sim_flash_close(&r->flash);
	}
}

/* A second cut while the power-on goes on with the first cut's swap. */
static void test_cut_resumed_swap(void **state)
{
	struct rig *r = rig(state);
	uint64_t n = units_of(r, TESTING, SIM_FLASH_PHASE_BOOT, do_boot);
	unsigned second = 0;

	for (uint64_t k = 0; k < n; k += 3) {
		uint64_t before, m;

		/* how much the resumed swap has left */
		cut_at(r, TESTING, SIM_FLASH_PHASE_BOOT, do_boot, k);
		before = sim_flash_units(&r->flash, SIM_FLASH_PHASE_BOOT);
		assert_int_equal(booted(r), SIM_SWAP_TEST);
		m = sim_flash_units(&r->flash, SIM_FLASH_PHASE_BOOT) - before;
		sim_flash_close(&r->flash);
		for (uint64_t j = 0; j < m; j += 29) {
			cut_at(r, TESTING, SIM_FLASH_PHASE_BOOT, do_boot, k);
			r->cuts = 0;
			sim_flash_arm_cut(&r->flash, SIM_FLASH_PHASE_BOOT, j, on_cut, r);
			assert_int_equal(booted(r), -EIO);
			assert_int_equal(r->cuts, 1);
			sim_flash_close(&r->flash);
			power_on(r);
			assert_int_equal(booted(r), SIM_SWAP_TEST);
			check_tested(r);
			sim_flash_close(&r->flash);
			second++;
		}
	}
	assert_true(second > 100);
}

/* The host file holds exactly what was done before a cut: a page erased and not written. */
static void test_cut_keeps_partial_state(void **state)
{
	struct rig *r = rig(state);
	const uint8_t *mem;
	uint8_t data[64];

	start(r, false);
	memset(data, 0x5a, sizeof(data));
	/* three blocks of the write go through, the fourth does not */
	sim_flash_arm_cut(&r->flash, SIM_FLASH_PHASE_ANY, 3, on_cut, r);
	r->cuts = 0;
	assert_int_equal(sim_flash_write(&r->flash, slot_off(r, 1) + 2, data, 20), -EIO);
	assert_int_equal(r->cuts, 1);
	sim_flash_close(&r->flash);
	power_on(r);
	mem = sim_flash_data(&r->flash) + slot_off(r, 1);
	/* blocks [0,4) [4,8) [8,12): bytes 2..11 written, 12.. not */
	assert_int_equal(mem[1], 0xff);
	assert_memory_equal(mem + 2, data, 10);
	assert_int_equal(mem[12], 0xff);
	/* one page of an erase of two: the old image's first page blank, its second kept */
	sim_flash_arm_cut(&r->flash, SIM_FLASH_PHASE_ANY, 1, on_cut, r);
	assert_int_equal(sim_flash_erase(&r->flash, slot_off(r, 0), 1024), -EIO);
	sim_flash_close(&r->flash);
	power_on(r);
	mem = sim_flash_data(&r->flash) + slot_off(r, 0);
	for (size_t i = 0; i < 512; i++) {
		assert_int_equal(mem[i], 0xff);
	}
	assert_memory_equal(mem + 512, r->old_img + 512, 512);
	/* a cut in another phase than the one armed does not happen */
	sim_flash_arm_cut(&r->flash, SIM_FLASH_PHASE_MARK, 0, on_cut, r);
	r->cuts = 0;
	assert_true(sim_flash_write(&r->flash, slot_off(r, 1) + 512, data, 8) >= 0);
	assert_int_equal(r->cuts, 0);
	sim_flash_close(&r->flash);
}

static int setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));

	if (!r) {
		return -1;
	}
	snprintf(r->path, sizeof(r->path), "/tmp/test_sim_power.%ld.bin", (long)getpid());
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;

	unlink(r->path);
	free(r);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_keeps_partial_state),
		cmocka_unit_test(test_cut_upload),
		cmocka_unit_test(test_cut_mark_test),
		cmocka_unit_test(test_cut_mark_permanent),
		cmocka_unit_test(test_cut_confirm),
		cmocka_unit_test(test_cut_test_swap),
		cmocka_unit_test(test_cut_revert),
		cmocka_unit_test(test_cut_permanent_swap),
		cmocka_unit_test(test_cut_resumed_swap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
