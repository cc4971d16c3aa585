/* SPDX-License-Identifier: Apache-2.0 */
/* Zephyr basic group codec: the erase-storage request and its answers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/basic.h>
#include <dfu-smp/mgmt/err.h>
#include "mgmt_test.h"

static uint8_t buf[64];

static void erase_storage_request(void **state)
{
	const uint8_t empty[] = { 0xa0 };
	struct dfu_smp_request req;

	(void)state;
	dfu_smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(dfu_smp_mgmt_basic_erase_storage(&req), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_ZEPHYR_BASIC,
		       DFU_SMP_MGMT_BASIC_ERASE_STORAGE, empty, sizeof(empty));
	dfu_smp_request_init(&req, buf, DFU_SMP_HDR_SIZE);
	assert_int_equal(dfu_smp_mgmt_basic_erase_storage(&req), -ENOBUFS);
}

static void erase_storage_answers(void **state)
{
	const uint8_t done[] = { 0xbf, 0xff };
	const uint8_t failed[] = { 0xa1, 0x63, 'e', 'r', 'r', 0xa2, 0x65, 'g', 'r', 'o', 'u', 'p',
				   0x18, 0x3f, 0x62, 'r', 'c', 0x04 };
	struct dfu_smp_client_rsp rsp = bytes_rsp(done, sizeof(done));
	struct dfu_smp_mgmt_reply reply;
	char line[200];

	(void)state;
	assert_int_equal(dfu_smp_mgmt_reply_status(&rsp, &reply), 0);
	dfu_smp_mgmt_reply_close(&reply);
	rsp = bytes_rsp(failed, sizeof(failed));
	assert_int_equal(dfu_smp_mgmt_reply_status(&rsp, &reply), -EREMOTEIO);
	assert_int_equal(reply.group, DFU_SMP_MGMT_GROUP_ZEPHYR_BASIC);
	dfu_smp_mgmt_err_describe(&reply, line, sizeof(line));
	assert_non_null(strstr(line, "ZEPHYRBASIC_MGMT_ERR_FLASH_ERASE_FAILED (rc 4)"));
	dfu_smp_mgmt_reply_close(&reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(erase_storage_request),
		cmocka_unit_test(erase_storage_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
