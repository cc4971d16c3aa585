/* SPDX-License-Identifier: Apache-2.0 */
/* Settings group codecs: the op and ID of each command, request bytes, read answers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/settings.h>
#include "mgmt_test.h"

static uint8_t buf[256];

static void requests_bytes(void **state)
{
	const uint8_t empty[] = { 0xa0 };
	const uint8_t read[] = { 0xa1, 0x64, 'n', 'a', 'm', 'e', 0x67, 'b', 't', '/', 'n', 'a', 'm',
				 'e' };
	const uint8_t read_max[] = { 0xa2, 0x64, 'n', 'a', 'm', 'e', 0x61, 'x', 0x68, 'm', 'a', 'x',
				     '_', 's', 'i', 'z', 'e', 0x19, 0x01, 0x00 };
	const uint8_t write[] = { 0xa2, 0x64, 'n', 'a', 'm', 'e', 0x61, 'x', 0x63, 'v', 'a', 'l',
				  0x42, 0x00, 0xff };
	const uint8_t name_only[] = { 0xa1, 0x64, 'n', 'a', 'm', 'e', 0x62, 'b', 't' };
	const uint8_t value[] = { 0x00, 0xff };
	struct dfu_smp_request req;

	(void)state;
	dfu_smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(dfu_smp_mgmt_settings_read(&req, "bt/name", -1), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_SETTINGS,
		       DFU_SMP_MGMT_SETTINGS_VALUE, read, sizeof(read));
	assert_int_equal(dfu_smp_mgmt_settings_read(&req, "x", 256), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_SETTINGS,
		       DFU_SMP_MGMT_SETTINGS_VALUE, read_max, sizeof(read_max));
	assert_int_equal(dfu_smp_mgmt_settings_write(&req, "x", value, sizeof(value)), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_SETTINGS,
		       DFU_SMP_MGMT_SETTINGS_VALUE, write, sizeof(write));
	assert_int_equal(dfu_smp_mgmt_settings_delete(&req, "bt"), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_SETTINGS,
		       DFU_SMP_MGMT_SETTINGS_DELETE, name_only, sizeof(name_only));
	assert_int_equal(dfu_smp_mgmt_settings_commit(&req), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_SETTINGS,
		       DFU_SMP_MGMT_SETTINGS_COMMIT, empty, 1);
	assert_int_equal(dfu_smp_mgmt_settings_load(&req), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_SETTINGS,
		       DFU_SMP_MGMT_SETTINGS_LOAD_SAVE, empty, 1);
	assert_int_equal(dfu_smp_mgmt_settings_save(&req, NULL), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_SETTINGS,
		       DFU_SMP_MGMT_SETTINGS_LOAD_SAVE, empty, 1);
	assert_int_equal(dfu_smp_mgmt_settings_save(&req, "bt"), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_SETTINGS,
		       DFU_SMP_MGMT_SETTINGS_LOAD_SAVE, name_only, sizeof(name_only));

	dfu_smp_request_init(&req, buf, DFU_SMP_HDR_SIZE + sizeof(write) - 1);
	assert_int_equal(dfu_smp_mgmt_settings_write(&req, "x", value, sizeof(value)), -ENOBUFS);
}

static void read_answers(void **state)
{
	const uint8_t value[] = { 'd', 'f', 'u', 0 };
	const uint8_t empty[] = { 0xa1, 0x63, 'v', 'a', 'l', 0x40 };
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(&p);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_settings_value v;

	(void)state;
	dfu_smp_mgmt_cbor_map_indef(w);
	dfu_smp_mgmt_cbor_text(w, "max_size");
	wide_uint(w, 64);
	unknown_pairs(w);
	dfu_smp_mgmt_cbor_text(w, "val");
	chunked_bytes(w, value, sizeof(value));
	dfu_smp_mgmt_cbor_break(w);
	rsp = payload_rsp(&p);
	assert_int_equal(dfu_smp_mgmt_settings_read_decode(&rsp, &reply, &v), 0);
	assert_int_equal(v.len, sizeof(value));
	assert_memory_equal(v.val, value, sizeof(value));
	assert_int_equal(v.max_size, 64);
	dfu_smp_mgmt_reply_close(&reply);

	rsp = bytes_rsp(empty, sizeof(empty));
	assert_int_equal(dfu_smp_mgmt_settings_read_decode(&rsp, &reply, &v), 0);
	assert_int_equal(v.len, 0);
	assert_int_equal(v.max_size, -1);
	dfu_smp_mgmt_reply_close(&reply);
}

static void malformed_and_failed_reads(void **state)
{
	const uint8_t text[] = { 0xa1, 0x63, 'v', 'a', 'l', 0x61, '1' };
	const uint8_t missing[] = { 0xa1, 0x68, 'm', 'a', 'x', '_', 's', 'i', 'z', 'e', 0x01 };
	const uint8_t max_text[] = { 0xa2, 0x63, 'v', 'a', 'l', 0x40, 0x68, 'm', 'a', 'x', '_', 's',
				     'i', 'z', 'e', 0x61, '1' };
	const uint8_t not_found[] = { 0xbf, 0x63, 'e', 'r', 'r', 0xbf, 0x65, 'g', 'r', 'o', 'u',
				      'p', 0x03, 0x62, 'r', 'c', 0x03, 0xff, 0xff };
	struct dfu_smp_client_rsp rsp = bytes_rsp(text, sizeof(text));
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_settings_value v;

	(void)state;
	assert_malformed(dfu_smp_mgmt_settings_read_decode(&rsp, &reply, &v), &reply,
			 "response key 'val' is a text string, expected a byte string");
	rsp = bytes_rsp(missing, sizeof(missing));
	assert_malformed(dfu_smp_mgmt_settings_read_decode(&rsp, &reply, &v), &reply,
			 "response key 'val' is missing");
	rsp = bytes_rsp(max_text, sizeof(max_text));
	assert_malformed(dfu_smp_mgmt_settings_read_decode(&rsp, &reply, &v), &reply,
			 "response key 'max_size' is a text string, expected an unsigned integer");
	rsp = bytes_rsp(not_found, sizeof(not_found));
	assert_device_error(dfu_smp_mgmt_settings_read_decode(&rsp, &reply, &v), &reply,
			    DFU_SMP_MGMT_REPLY_GROUP_ERR, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requests_bytes),
		cmocka_unit_test(read_answers),
		cmocka_unit_test(malformed_and_failed_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
