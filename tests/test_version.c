/* SPDX-License-Identifier: Apache-2.0 */
/* The library's version (dfu-smp/version.h): the macros and dfu_smp_version() agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/version.h>

static void the_string_is_major_minor_patch(void **state)
{
	char expected[32];

	(void)state;
	snprintf(expected, sizeof(expected), "%d.%d.%d", DFU_SMP_VERSION_MAJOR,
		 DFU_SMP_VERSION_MINOR, DFU_SMP_VERSION_PATCH);
	assert_string_equal(DFU_SMP_VERSION, expected);
}

static void the_library_linked_is_the_headers_version(void **state)
{
	(void)state;
	assert_non_null(dfu_smp_version());
	assert_string_equal(dfu_smp_version(), DFU_SMP_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_string_is_major_minor_patch),
		cmocka_unit_test(the_library_linked_is_the_headers_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
