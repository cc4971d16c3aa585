/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The BLE link and device model held against published measurements (bench/README.md gives
 * the sources), and the properties the benchmark relies on: the bound is a bound, the tuned
 * upload never makes the device drop a request, and a run is the same every time.
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

#include "../bench/fleet.h"
#include "../bench/run.h"
#include "bench_image.h"
#include "../sim/profile.h"

/* Published figures vary with phones, controllers and firmware: the model must land within
 * this much of them. */
#define TOLERANCE 0.20

static double rate_kBps(const struct bench_result *r)
{
	return (double)img.size / r->seconds / 1000.0;
}

static void assert_near(double value, double low, double high)
{
	if (value < low * (1.0 - TOLERANCE) || value > high * (1.0 + TOLERANCE)) {
		fail_msg("%.1f kB/s is not within %.0f%% of %.1f..%.1f kB/s", value,
			 TOLERANCE * 100, low, high);
	}
}

/* The Go mcumgr CLI on Linux: 244-byte writes, each waiting for its answer, 30 ms: ~4 kB/s. */
static void stop_and_wait_moves_about_4_kBps(void **state)
{
	struct bench_result r;

	(void)state;
	assert_int_equal(
		bench_run("published-stop-and-wait", "naive", img.data, img.size, img.sha, 0, &r),
		0);
	assert_true(r.moved);
	assert_int_equal(r.request_size, 244);
	assert_near(rate_kBps(&r), 4.0, 4.0);
}

/* nRF Connect Device Manager on a phone, window 4, 2475-byte requests, 2M/15 ms: 60-86 kB/s. */
static void pipelined_window_of_4_moves_60_to_86_kBps(void **state)
{
	struct bench_result r;

	(void)state;
	assert_int_equal(
		bench_run("published-pipelined", "reassembly", img.data, img.size, img.sha, 4, &r),
		0);
	assert_true(r.moved);
	assert_int_equal(r.request_size, 2475);
	assert_near(rate_kBps(&r), 60.0, 86.0);
}

static void tuned_upload_is_within_the_bound_and_drops_nothing(void **state)
{
	static const char *const names[] = { "phone-fast", "phone-fast-no-erase", "linux-default",
					     "legacy", "zephyr-default" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct bench_result r;
		struct sim_bound bound;

		sim_profile_bound(sim_profile_find(names[i]), img.size, &bound);
		assert_int_equal(bench_run(names[i], "auto", img.data, img.size, img.sha, 0, &r),
				 0);
		assert_true(r.moved);
		assert_int_equal(r.dropped, 0);
		assert_int_equal(r.recoveries, 0);
		if (r.seconds * 1e6 < (double)bound.bound_us) {
			fail_msg("%s: %.3f s is faster than the bound %.3f s", names[i], r.seconds,
				 (double)bound.bound_us / 1e6);
		}
	}
}

static void a_full_window_makes_the_device_drop_requests(void **state)
{
	struct bench_result r;

	(void)state;
	/* every buffer a request: no buffer is left for an answer */
	assert_int_equal(bench_run("phone-fast", "auto", img.data, img.size, img.sha, 4, &r), 0);
	assert_true(r.dropped > 0);
}

static void runs_are_identical(void **state)
{
	struct bench_result a, b;

	(void)state;
	assert_int_equal(bench_run("linux-default", "auto", img.data, img.size, img.sha, 0, &a), 0);
	assert_int_equal(bench_run("linux-default", "auto", img.data, img.size, img.sha, 0, &b), 0);
	assert_true(a.seconds == b.seconds);
	assert_int_equal(a.air_bytes, b.air_bytes);
	assert_int_equal(a.requests, b.requests);
}

static void naive_cannot_move_data_on_the_legacy_link(void **state)
{
	struct bench_result r;

	(void)state;
	assert_int_equal(bench_run("legacy", "naive", img.data, img.size, img.sha, 0, &r), 0);
	assert_false(r.moved);
	assert_int_equal(r.request_size, 20);
}

/*
 * One answer in ten lost: the tuned upload keeps at least 0.75 of the rate it has without loss
 * (a lost answer is acknowledged by the next, so nothing waits for a timeout but the last).
 */
static void one_answer_in_ten_lost_keeps_three_quarters_of_the_rate(void **state)
{
	static const char *const names[] = { "phone-fast", "linux-default" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct bench_result clean, lossy;

		assert_int_equal(bench_run_lossy(names[i], img.data, img.size, img.sha, 0, &clean),
				 0);
		assert_int_equal(bench_run_lossy(names[i], img.data, img.size, img.sha, 10, &lossy),
				 0);
		assert_true(clean.moved && lossy.moved);
		assert_true(lossy.covered > 0); /* answers were lost */
		if (clean.seconds / lossy.seconds < 0.75) {
			fail_msg("%s: %.2f s with 1 answer in 10 lost against %.2f s without: "
				 "%.2f of the rate", names[i], lossy.seconds, clean.seconds,
				 clean.seconds / lossy.seconds);
		}
	}
}

/*
 * Eight phone-fast devices upgraded at once behind one central (the fleet engine on one
 * virtual clock): their uploads end within 1/0.85 of the bound (every device's air time
 * summed, or one's flash time) and at least 4 times sooner than one after another; and the
 * bound holds at 16 devices, where the radio is shared the most.
 */
static void a_fleet_of_eight_shares_the_radio_within_the_targets(void **state)
{
	static const char *const names[] = { "phone-fast", "linux-default" };
	struct bench_fleet_result one, eight, many;
	double efficiency, speedup;

	(void)state;
	assert_int_equal(bench_fleet_run("phone-fast", BENCH_IMAGE, img.size, 1, &one), 0);
	assert_int_equal(one.ok, 1);
	assert_int_equal(bench_fleet_run("phone-fast", BENCH_IMAGE, img.size, 8, &eight), 0);
	assert_int_equal(eight.ok, 8);
	efficiency = eight.bound_seconds / eight.upload_seconds;
	speedup = 8 * one.upload_seconds / eight.upload_seconds;
	if (efficiency < 0.85 || efficiency > 1.0 || speedup < 4.0) {
		fail_msg("8 phone-fast devices: %.2f s against a bound of %.2f s (%.2f), %.1fx "
			 "one after another", eight.upload_seconds, eight.bound_seconds,
			 efficiency, speedup);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(bench_fleet_run(names[i], BENCH_IMAGE, img.size, 16, &many), 0);
		assert_int_equal(many.ok, 16);
		if (many.bound_seconds > many.upload_seconds) {
			fail_msg("16 %s devices: %.2f s, under the bound of %.2f s", names[i],
				 many.upload_seconds, many.bound_seconds);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stop_and_wait_moves_about_4_kBps),
		cmocka_unit_test(pipelined_window_of_4_moves_60_to_86_kBps),
		cmocka_unit_test(tuned_upload_is_within_the_bound_and_drops_nothing),
		cmocka_unit_test(a_full_window_makes_the_device_drop_requests),
		cmocka_unit_test(runs_are_identical),
		cmocka_unit_test(naive_cannot_move_data_on_the_legacy_link),
		cmocka_unit_test(one_answer_in_ten_lost_keeps_three_quarters_of_the_rate),
		cmocka_unit_test(a_fleet_of_eight_shares_the_radio_within_the_targets),
	};

	return cmocka_run_group_tests(tests, bench_image_setup, bench_image_teardown);
}
