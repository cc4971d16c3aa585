/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's OS group: task and heap statistics that move with time and traffic,
 * the RTC, reset, OS and bootloader info, each with its errors in both protocol versions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/os.h>
#include <dfu-smp/mgmt/settings.h>
#include "../mgmt/cbor_reader.h"
#include "sim_harness.h"

#define G DFU_SMP_MGMT_GROUP_OS
#define V1 DFU_SMP_PROTO_V1
#define V2 DFU_SMP_PROTO_V2
#define R DFU_SMP_OP_READ
#define W DFU_SMP_OP_WRITE
#define S 1000000ull

struct task {
	int64_t prio;
	uint64_t tid, state, stksiz, stkuse;
};

/* Reads task statistics at @p now_us into @p tasks (by name order as sent). */
static size_t taskstat(struct sim_device *dev, uint64_t now_us, char names[][16],
		       struct task *tasks, size_t cap)
{
	struct answer a;
	const cbor_item_t *map;
	struct cbor_pair *pairs;
	size_t n;

	call_at(dev, now_us, R, V2, G, DFU_SMP_MGMT_OS_TASKSTAT, empty, sizeof(empty), &a);
	expect_ok(&a);
	/* Zephyr's indefinite-length maps, outer and inner */
	assert_int_equal(a.msg[DFU_SMP_HDR_SIZE], 0xbf);
	map = get(a.map, "tasks");
	assert_true(cbor_isa_map(map) && cbor_map_is_indefinite(map));
	n = cbor_map_size(map);
	assert_true(n <= cap);
	pairs = cbor_map_handle(map);
	for (size_t i = 0; i < n; i++) {
		const cbor_item_t *t = pairs[i].value;
		size_t len = dfu_smp_mgmt_cbor_string_size(pairs[i].key);

		assert_true(cbor_isa_string(pairs[i].key) && len < 16);
		dfu_smp_mgmt_cbor_string_copy(pairs[i].key, (uint8_t *)names[i]);
		names[i][len] = '\0';
		assert_true(cbor_map_is_indefinite(t));
		tasks[i].prio = get_int(t, "prio");
		tasks[i].tid = get_uint(t, "tid");
		tasks[i].state = get_uint(t, "state");
		tasks[i].stksiz = get_uint(t, "stksiz");
		tasks[i].stkuse = get_uint(t, "stkuse");
		/* only the statistics Zephyr 4.4 reports by default (observed) */
		assert_int_equal(cbor_map_size(t), 5);
	}
	answer_close(&a);
	return n;
}

static size_t find_task(char names[][16], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0) {
			return i;
		}
	}
	fail_msg("no thread '%s'", name);
	return 0;
}

static void taskstat_lists_threads_whose_stacks_grow(void **state)
{
	struct sim_device *dev = *state;
	char names[16][16], later_names[16][16];
	struct task t[16], later[16];
	size_t n, idle, smp, main_thread, n_req;
	struct payload p;
	char text[900];
	struct answer a;
	bool negative = false;

	n = taskstat(dev, 1 * S, names, t, 16);
	assert_true(n >= 5);
	idle = find_task(names, n, "idle");
	main_thread = find_task(names, n, "main");
	smp = find_task(names, n, "mcumgr smp");
	find_task(names, n, "sysworkq");
	find_task(names, n, "logging");
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(t[i].tid, i);
		assert_true(t[i].stksiz > 0);
		assert_true(t[i].stkuse <= t[i].stksiz);
		negative |= t[i].prio < 0;
	}
	assert_true(negative); /* cooperative BT threads: signed priorities */
	assert_int_equal(t[idle].prio, 15);
	assert_int_equal(t[main_thread].state, 0x04); /* sleeping */
	assert_int_equal(t[smp].state, 0);           /* running: it answers this request */

	/* a larger request takes more of the stacks on the SMP path to decode */
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	n_req = payload_text(&p, "d", text);
	call_at(dev, 2 * S, W, V2, G, DFU_SMP_MGMT_OS_ECHO, p.buf, n_req, &a);
	expect_ok(&a);
	answer_close(&a);
	assert_int_equal(taskstat(dev, 11 * S, later_names, later, 16), n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(later_names[i], names[i]);
		assert_true(later[i].stkuse >= t[i].stkuse);
		assert_true(later[i].stkuse <= later[i].stksiz);
	}
	assert_true(later[smp].stkuse > t[smp].stkuse);
	assert_int_equal(later[idle].stkuse, t[idle].stkuse);

	/* a reboot starts again: as after the first request */
	sim_device_reboot(dev, 20 * S);
	assert_int_equal(taskstat(dev, 20 * S, later_names, later, 16), n);
	assert_int_equal(later[smp].stkuse, t[smp].stkuse);
}

/* All the threads fit the 384-byte buffer of Zephyr's serial build, as its own 6 do. */
static void taskstat_fits_a_small_buffer(void **state)
{
	struct sim_device_config cfg = { .buf_size = 384, .buf_count = 4 };
	struct sim_device dev;
	struct answer a;

	(void)state;
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	call(&dev, R, V2, G, DFU_SMP_MGMT_OS_ECHO, empty, sizeof(empty), &a);
	answer_close(&a);
	call(&dev, R, V2, G, DFU_SMP_MGMT_OS_TASKSTAT, empty, sizeof(empty), &a);
	expect_ok(&a);
	assert_true(a.len <= 384);
	answer_close(&a);
	sim_device_free(&dev);
}

static void taskstat_is_read_only(void **state)
{
	expect_both_rc(*state, W, G, DFU_SMP_MGMT_OS_TASKSTAT, empty, sizeof(empty),
		       DFU_SMP_MGMT_ERR_ENOTSUP);
}

static void mpstat_reports_heaps_under_tasks(void **state)
{
	struct sim_device *dev = *state;
	uint8_t big[600];
	struct answer a;
	const cbor_item_t *pools, *heap;
	uint64_t min_before;

	call(dev, R, V2, G, DFU_SMP_MGMT_OS_MPSTAT, empty, sizeof(empty), &a);
	expect_ok(&a);
	pools = get(a.map, "tasks");
	assert_int_equal(cbor_map_size(pools), 2);
	for (int i = 0; i < 2; i++) {
		heap = get(pools, i ? "1" : "0");
		assert_int_equal(get_uint(heap, "blksiz"), 1);
		assert_true(get_uint(heap, "nfree") <= get_uint(heap, "nblks"));
		assert_true(get_uint(heap, "min") <= get_uint(heap, "nfree"));
	}
	min_before = get_uint(get(pools, "0"), "min");
	answer_close(&a);

	/* a larger request needs a larger buffer copy: the low-water mark drops */
	memset(big, 0, sizeof(big));
	big[0] = 0xa1;
	big[1] = 0x61;
	big[2] = 'd';
	big[3] = 0x79; /* text, 2-byte length */
	big[4] = (sizeof(big) - 6) >> 8;
	big[5] = (sizeof(big) - 6) & 0xff;
	memset(big + 6, 'x', sizeof(big) - 6);
	call(dev, W, V2, G, DFU_SMP_MGMT_OS_ECHO, big, sizeof(big), &a);
	expect_ok(&a);
	answer_close(&a);
	call(dev, R, V2, G, DFU_SMP_MGMT_OS_MPSTAT, empty, sizeof(empty), &a);
	expect_ok(&a);
	assert_true(get_uint(get(get(a.map, "tasks"), "0"), "min") < min_before);
	answer_close(&a);
}

static void datetime_get_at(struct sim_device *dev, uint64_t now_us, const char *expected)
{
	struct answer a;
	char text[40];

	call_at(dev, now_us, R, V2, G, DFU_SMP_MGMT_OS_DATETIME, empty, sizeof(empty), &a);
	expect_ok(&a);
	assert_string_equal(get_text(a.map, "datetime", text, sizeof(text)), expected);
	answer_close(&a);
}

static void datetime_set_at(struct sim_device *dev, uint64_t now_us, const char *datetime)
{
	struct payload p;
	struct answer a;
	size_t n = payload_text(&p, "datetime", datetime);

	call_at(dev, now_us, W, V2, G, DFU_SMP_MGMT_OS_DATETIME, p.buf, n, &a);
	expect_ok(&a);
	assert_int_equal(cbor_map_size(a.map), 0);
	answer_close(&a);
}

static void datetime_runs_from_factory_time_and_can_be_set(void **state)
{
	struct sim_device *dev = *state;

	datetime_get_at(dev, 0, "2026-01-01T00:00:00");
	datetime_get_at(dev, 61 * S + 500000, "2026-01-01T00:01:01");
	datetime_get_at(dev, 86400 * S * 59, "2026-03-01T00:00:00");

	datetime_set_at(dev, 10 * S, "2025-11-20T11:56:05");
	datetime_get_at(dev, 10 * S, "2025-11-20T11:56:05");
	datetime_get_at(dev, 12 * S + 700000, "2025-11-20T11:56:07");

	/* a zone is ignored, milliseconds too (no millisecond support) */
	datetime_set_at(dev, 0, "2025-11-20T11:56:05+01:00");
	datetime_get_at(dev, 0, "2025-11-20T11:56:05");
	datetime_set_at(dev, 0, "2025-11-20T11:56:05.987");
	datetime_get_at(dev, 999999, "2025-11-20T11:56:05");
	/* any single character separates the fields */
	datetime_set_at(dev, 0, "2024/02/29 23:59:59");
	datetime_get_at(dev, 1 * S, "2024-03-01T00:00:00");
	datetime_set_at(dev, 0, "1900-01-01T00:00:00");
	datetime_get_at(dev, 0, "1900-01-01T00:00:00");
	datetime_set_at(dev, 0, "11899-12-31T23:59:59");
	datetime_get_at(dev, 0, "11899-12-31T23:59:59");

	/* the RTC keeps running through a reboot */
	datetime_set_at(dev, 0, "2025-06-01T12:00:00");
	sim_device_reboot(dev, 5 * S);
	datetime_get_at(dev, 65 * S, "2025-06-01T12:01:05");
}

static void datetime_refuses_bad_strings(void **state)
{
	static const char *const bad[] = {
		"2025-11-20T11:56",                /* 16: too short */
		"2025-11-20T11:56:05.123+01:00",   /* 29: too long */
		"2025-13-20T11:56:05",             /* month */
		"2025-11-00T11:56:05",             /* day */
		"2025-11-20T24:56:05",             /* hour */
		"2025-11-20T11:60:05",             /* minute */
		"2025-11-20T11:56:60",             /* second */
		"1899-11-20T11:56:05",             /* year */
		"abcd-11-20T11:56:05",             /* not a number */
		"2025-11-20T11:56:xx",
		"2025-11-20T11:56:05678901",       /* six fields, but the last out of range */
		"2025-11-20T11:56    ",            /* a field missing */
	};
	struct sim_device *dev = *state;
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = payload_text(&p, "datetime", bad[i]);
		expect_both_rc(dev, W, G, DFU_SMP_MGMT_OS_DATETIME, p.buf, n,
			       DFU_SMP_MGMT_ERR_EINVAL);
	}
	/* no datetime, or not a text string */
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_OS_DATETIME, empty, sizeof(empty),
		       DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "datetime");
	dfu_smp_mgmt_cbor_uint(w, 1763639765);
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_OS_DATETIME, p.buf, w->len, DFU_SMP_MGMT_ERR_EINVAL);
	/* well formed, but no such day: the RTC driver refuses it */
	n = payload_text(&p, "datetime", "2025-02-29T00:00:00");
	expect_both_err(dev, W, G, DFU_SMP_MGMT_OS_DATETIME, p.buf, n, 5,
			DFU_SMP_MGMT_ERR_EUNKNOWN);
	/* nothing of that moved the clock */
	datetime_get_at(dev, 0, "2026-01-01T00:00:00");
}

static void reset_answers_then_reboots_after_250_ms(void **state)
{
	struct sim_device *dev = *state;
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	struct answer a;

	assert_int_equal(sim_device_reset_at(dev), UINT64_MAX);
	call_at(dev, 3 * S, W, V2, G, DFU_SMP_MGMT_OS_RESET, empty, sizeof(empty), &a);
	expect_ok(&a);
	assert_int_equal(cbor_map_size(a.map), 0);
	answer_close(&a);
	assert_int_equal(sim_device_reset_at(dev), 3 * S + 250000);
	sim_device_reboot(dev, 3 * S + 250000);
	assert_int_equal(sim_device_reset_at(dev), UINT64_MAX);

	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "force");
	dfu_smp_mgmt_cbor_bool(w, true);
	dfu_smp_mgmt_cbor_text(w, "boot_mode");
	dfu_smp_mgmt_cbor_uint(w, 1);
	call_at(dev, 4 * S, W, V1, G, DFU_SMP_MGMT_OS_RESET, p.buf, w->len, &a);
	expect_ok(&a);
	answer_close(&a);
	assert_int_equal(sim_device_reset_at(dev), 4 * S + 250000);
}

static void reset_refuses_wrong_types(void **state)
{
	struct sim_device *dev = *state;
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;

	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "force");
	dfu_smp_mgmt_cbor_uint(w, 1); /* the documentation's int; Zephyr decodes a bool */
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_OS_RESET, p.buf, w->len, DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "boot_mode");
	dfu_smp_mgmt_cbor_text(w, "bootloader");
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_OS_RESET, p.buf, w->len, DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "boot_mode");
	dfu_smp_mgmt_cbor_int(w, -1);
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_OS_RESET, p.buf, w->len, DFU_SMP_MGMT_ERR_EINVAL);
	/* reset is a write; nothing of that asked for a reboot */
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_OS_RESET, empty, sizeof(empty),
		       DFU_SMP_MGMT_ERR_ENOTSUP);
	assert_int_equal(sim_device_reset_at(dev), UINT64_MAX);
}

static void info_is(struct sim_device *dev, const char *format, const char *expected)
{
	struct payload p;
	struct answer a;
	char text[300];
	size_t n = format ? payload_text(&p, "format", format) : 1;

	if (!format) {
		p.buf[0] = 0xa0;
	}
	call(dev, R, V2, G, DFU_SMP_MGMT_OS_INFO, p.buf, n, &a);
	expect_ok(&a);
	assert_string_equal(get_text(a.map, "output", text, sizeof(text)), expected);
	answer_close(&a);
}

static void info_prints_fields_in_fixed_order(void **state)
{
	struct sim_device *dev = *state;
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	size_t n;

	info_is(dev, NULL, "Zephyr");
	info_is(dev, "", "Zephyr");
	info_is(dev, "s", "Zephyr");
	info_is(dev, "vs", "Zephyr 4.4.0");
	info_is(dev, "nn", "dfu-smp-sim");
	info_is(dev, "a", "Zephyr dfu-smp-sim v4.4.0 4.4.0 Tue Nov 24 06:12:53 2026 arm cortex-m4 "
			  "nrf52840dk/nrf52840 Zephyr");
	info_is(dev, "oipmbvrns", "Zephyr dfu-smp-sim v4.4.0 4.4.0 Tue Nov 24 06:12:53 2026 arm "
				  "cortex-m4 nrf52840dk/nrf52840 Zephyr");

	/* the node name is the Bluetooth device name setting */
	settings_write(dev, "bt/name", "kitchen", 7);
	info_is(dev, "sn", "Zephyr kitchen");

	n = payload_text(&p, "format", "sx");
	expect_both_err(dev, R, G, DFU_SMP_MGMT_OS_INFO, p.buf, n, 2, DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "format");
	dfu_smp_mgmt_cbor_bytes(w, (const uint8_t *)"s", 1);
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_OS_INFO, p.buf, w->len, DFU_SMP_MGMT_ERR_EINVAL);
}

static void bootloader_info_and_mode(void **state)
{
	struct sim_device *dev = *state;
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	struct answer a;
	char text[16];
	size_t n;

	call(dev, R, V2, G, DFU_SMP_MGMT_OS_BOOTLOADER, empty, sizeof(empty), &a);
	expect_ok(&a);
	assert_string_equal(get_text(a.map, "bootloader", text, sizeof(text)), "MCUboot");
	answer_close(&a);

	n = payload_text(&p, "query", "mode");
	call(dev, R, V1, G, DFU_SMP_MGMT_OS_BOOTLOADER, p.buf, n, &a);
	expect_ok(&a);
	assert_int_equal(get_int(a.map, "mode"), 3); /* swap without scratch */
	assert_null(dfu_smp_mgmt_cbor_find(a.map, "no-downgrade"));
	answer_close(&a);

	n = payload_text(&p, "query", "modes");
	expect_both_err(dev, R, G, DFU_SMP_MGMT_OS_BOOTLOADER, p.buf, n, 3,
			DFU_SMP_MGMT_ERR_ENOENT);
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "query");
	dfu_smp_mgmt_cbor_uint(w, 0);
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_OS_BOOTLOADER, p.buf, w->len,
		       DFU_SMP_MGMT_ERR_EINVAL);
}

static void version_1_only_device_folds_os_errors(void **state)
{
	const struct sim_device_config cfg = { .v1_only = true };
	struct sim_device dev;
	struct payload p;
	struct answer a;
	size_t n;

	(void)state;
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	n = payload_text(&p, "format", "q");
	call(&dev, R, V2, G, DFU_SMP_MGMT_OS_INFO, p.buf, n, &a);
	assert_int_equal(a.hdr.version, V1);
	expect_rc(&a, DFU_SMP_MGMT_ERR_EINVAL);
	answer_close(&a);
	n = payload_text(&p, "query", "version");
	call(&dev, R, V2, G, DFU_SMP_MGMT_OS_BOOTLOADER, p.buf, n, &a);
	assert_int_equal(a.hdr.version, V1);
	expect_rc(&a, DFU_SMP_MGMT_ERR_ENOENT);
	answer_close(&a);
	call(&dev, R, V2, G, DFU_SMP_MGMT_OS_TASKSTAT, empty, sizeof(empty), &a);
	expect_ok(&a);
	assert_int_equal(a.hdr.version, V1);
	answer_close(&a);
	sim_device_free(&dev);
}

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(taskstat_lists_threads_whose_stacks_grow),
		cmocka_unit_test(taskstat_fits_a_small_buffer),
		T(taskstat_is_read_only),
		T(mpstat_reports_heaps_under_tasks),
		T(datetime_runs_from_factory_time_and_can_be_set),
		T(datetime_refuses_bad_strings),
		T(reset_answers_then_reboots_after_250_ms),
		T(reset_refuses_wrong_types),
		T(info_prints_fields_in_fixed_order),
		T(bootloader_info_and_mode),
		cmocka_unit_test(version_1_only_device_folds_os_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
