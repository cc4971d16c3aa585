/* SPDX-License-Identifier: Apache-2.0 */
/* Little-endian integers in byte buffers (dfu-smp/smp/bytes.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/smp/bytes.h>

/* An MCUboot header's first bytes: the magic 0x96f3b83d, then ih_hdr_size 0x0200. */
static void reads_the_low_byte_first(void **state)
{
	const uint8_t bytes[] = { 0x3d, 0xb8, 0xf3, 0x96, 0x00, 0x02 };

	(void)state;
	assert_int_equal(dfu_smp_get_le32(bytes), 0x96f3b83du);
	assert_int_equal(dfu_smp_get_le16(bytes + 4), 0x0200u);
	assert_int_equal(dfu_smp_get_le16(bytes + 1), 0xf3b8u); /* at any alignment */
}

static void writes_the_low_byte_first_and_nothing_else(void **state)
{
	const uint8_t expected[] = { 0xaa, 0x3d, 0xb8, 0xf3, 0x96, 0x34, 0x12, 0xaa };
	uint8_t out[8];

	(void)state;
	memset(out, 0xaa, sizeof(out));
	dfu_smp_put_le32(out + 1, 0x96f3b83du);
	dfu_smp_put_le16(out + 5, 0x1234u);
	assert_memory_equal(out, expected, sizeof(out));
	assert_int_equal(dfu_smp_get_le32(out + 1), 0x96f3b83du);
	assert_int_equal(dfu_smp_get_le16(out + 5), 0x1234u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_the_low_byte_first),
		cmocka_unit_test(writes_the_low_byte_first_and_nothing_else),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
