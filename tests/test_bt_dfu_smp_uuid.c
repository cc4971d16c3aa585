/* SPDX-License-Identifier: Apache-2.0 */
/* The GATT DFU SMP UUIDs as text (BlueZ's form) name the same UUIDs as the bytes on the air. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/smp/bt_dfu_smp.h>

/* @p uuid as text: the bytes on the air are little-endian, the text big-endian. */
static void to_text(const struct bt_dfu_smp_uuid *uuid, char out[37])
{
	size_t n = 0;

	for (int i = 15; i >= 0; i--) {
		n += (size_t)snprintf(out + n, 37 - n, "%02x", uuid->val[i]);
		if (i == 12 || i == 10 || i == 8 || i == 6) {
			out[n++] = '-';
		}
	}
	out[n] = '\0';
}

static void text_and_bytes_agree(void **state)
{
	char text[37];

	(void)state;
	to_text(&BT_DFU_SMP_UUID_SERVICE, text);
	assert_string_equal(text, BT_DFU_SMP_UUID_SERVICE_STR);
	to_text(&BT_DFU_SMP_UUID_CHAR, text);
	assert_string_equal(text, BT_DFU_SMP_UUID_CHAR_STR);
	to_text(&BT_DFU_SMP_UUID_CCC, text);
	assert_string_equal(text, BT_DFU_SMP_UUID_CCC_STR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_and_bytes_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
