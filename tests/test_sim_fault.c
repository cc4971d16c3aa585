/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fault plans of dfu-smp-sim --fault (sim/fault.h): the spec's syntax and its errors,
 * which answers a fault covers, the damage a corrupt fault does, and the error answer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../sim/fault.h"

static void test_specs_and_their_answers(void **state)
{
	struct sim_fault_plan plan = { 0 };
	char why[200];
	struct sim_fault f;

	(void)state;
	assert_int_equal(sim_fault_add(&plan, "drop@5", why, sizeof(why)), 0);
	assert_int_equal(sim_fault_add(&plan, "delay@10x3:250", why, sizeof(why)), 0);
	assert_int_equal(sim_fault_add(&plan, "error@20", why, sizeof(why)), 0);
	assert_int_equal(sim_fault_add(&plan, "outage@30", why, sizeof(why)), 0);
	assert_int_equal(sim_fault_for(&plan, 4).kind, SIM_FAULT_NONE);
	assert_int_equal(sim_fault_for(&plan, 5).kind, SIM_FAULT_DROP);
	assert_int_equal(sim_fault_for(&plan, 6).kind, SIM_FAULT_NONE);
	for (uint32_t n = 10; n < 13; n++) {
		f = sim_fault_for(&plan, n);
		assert_int_equal(f.kind, SIM_FAULT_DELAY);
		assert_int_equal(f.arg, 250);
	}
	assert_int_equal(sim_fault_for(&plan, 13).kind, SIM_FAULT_NONE);
	/* the defaults: rc 1, an outage of 2 s */
	assert_int_equal(sim_fault_for(&plan, 20).arg, 1);
	assert_int_equal(sim_fault_for(&plan, 30).arg, 2000);
	assert_string_equal(sim_fault_name(sim_fault_for(&plan, 30).kind), "outage");
}

static void test_bad_specs_say_what_is_wrong(void **state)
{
	static const struct {
		const char *spec;
		const char *says;
	} bad[] = {
		{ "lose@3", "the kind is one of" }, { "drop", "give the first answer" },
		{ "drop@0", "give the first answer" }, { "drop@3x0", "xCOUNT" },
		{ "drop@3:5", "takes no :ARG" }, { "error@3:256", "from 0 to 255" },
		{ "dup@3y", "unexpected 'y'" },
	};
	struct sim_fault_plan plan = { 0 };
	char why[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = 0;
		assert_int_equal(sim_fault_add(&plan, bad[i].spec, why, sizeof(why)), -EINVAL);
		assert_non_null(strstr(why, bad[i].says));
	}
	assert_int_equal(plan.n, 0);
	for (int i = 0; i < SIM_FAULT_MAX; i++) {
		assert_int_equal(sim_fault_add(&plan, "dup@1", why, sizeof(why)), 0);
	}
	assert_int_equal(sim_fault_add(&plan, "dup@1", why, sizeof(why)), -ENOSPC);
}

static void test_corrupt_changes_one_byte_the_same_every_run(void **state)
{
	uint8_t a[64], b[64];
	size_t changed = 0;

	(void)state;
	for (uint32_t n = 1; n < 200; n++) {
		memset(a, 0x33, sizeof(a));
		memset(b, 0x33, sizeof(b));
		sim_fault_corrupt(a, sizeof(a), n);
		sim_fault_corrupt(b, sizeof(b), n);
		assert_memory_equal(a, b, sizeof(a));
		changed = 0;
		for (size_t i = 0; i < sizeof(a); i++) {
			changed += a[i] != 0x33;
		}
		assert_int_equal(changed, 1);
	}
}

static void test_error_answer_keeps_the_header(void **state)
{
	static const uint8_t answer[8] = { 0x09, 0x00, 0x00, 0x30, 0x00, 0x01, 0x2a, 0x01 };
	uint8_t out[32];
	size_t len;

	(void)state;
	len = sim_fault_error_answer(answer, 10, out, sizeof(out));
	assert_int_equal(len, 8 + 5);
	assert_memory_equal(out, answer, 2);
	assert_int_equal(out[2] << 8 | out[3], 5);
	assert_memory_equal(out + 4, answer + 4, 4);
	assert_memory_equal(out + 8, "\xa1\x62rc\x0a", 5);
	len = sim_fault_error_answer(answer, 200, out, sizeof(out));
	assert_int_equal(len, 8 + 6);
	assert_memory_equal(out + 8, "\xa1\x62rc\x18\xc8", 6);
	assert_int_equal(sim_fault_error_answer(answer, 1, out, 12), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs_and_their_answers),
		cmocka_unit_test(test_bad_specs_say_what_is_wrong),
		cmocka_unit_test(test_corrupt_changes_one_byte_the_same_every_run),
		cmocka_unit_test(test_error_answer_keeps_the_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
