/* SPDX-License-Identifier: Apache-2.0 */
/* Enumeration group codecs: request bytes, and group IDs that must fit 16 bits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/enum.h>
#include <dfu-smp/mgmt/err.h>
#include "mgmt_test.h"

static uint8_t buf[256];

static void requests_bytes(void **state)
{
	const uint16_t ids[] = { 0, 63, 65535 };
	const uint8_t empty[] = { 0xa0 };
	const uint8_t single[] = { 0xa1, 0x65, 'i', 'n', 'd', 'e', 'x', 0x18, 0x18 };
	const uint8_t details[] = { 0xa1, 0x66, 'g', 'r', 'o', 'u', 'p', 's', 0x83, 0x00, 0x18,
				    0x3f, 0x19, 0xff, 0xff };
	struct dfu_smp_request req;

	(void)state;
	dfu_smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(dfu_smp_mgmt_enum_count(&req), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_COUNT,
		       empty, 1);
	assert_int_equal(dfu_smp_mgmt_enum_list(&req), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_LIST,
		       empty, 1);
	assert_int_equal(dfu_smp_mgmt_enum_single(&req, 24), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_SINGLE,
		       single, sizeof(single));
	assert_int_equal(dfu_smp_mgmt_enum_details(&req, NULL, 0), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_DETAILS,
		       empty, 1);
	assert_int_equal(dfu_smp_mgmt_enum_details(&req, ids, 3), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_DETAILS,
		       details, sizeof(details));
	dfu_smp_request_init(&req, buf, DFU_SMP_HDR_SIZE + sizeof(details) - 1);
	assert_int_equal(dfu_smp_mgmt_enum_details(&req, ids, 3), -ENOBUFS);
}

static void count_and_single(void **state)
{
	const uint8_t count[] = { 0xbf, 0x65, 'c', 'o', 'u', 'n', 't', 0x1a, 0, 0, 0, 0x06, 0xff };
	const uint8_t last[] = { 0xa2, 0x63, 'e', 'n', 'd', 0xf5, 0x65, 'g', 'r', 'o', 'u', 'p',
				 0x18, 0x3f };
	const uint8_t first[] = { 0xa1, 0x65, 'g', 'r', 'o', 'u', 'p', 0x00 };
	const uint8_t too_big[] = { 0xa1, 0x65, 'g', 'r', 'o', 'u', 'p', 0x1a, 0x00, 0x01, 0x11,
				    0x70 };
	const uint8_t end_number[] = { 0xa2, 0x63, 'e', 'n', 'd', 0x01, 0x65, 'g', 'r', 'o', 'u',
				       'p', 0x00 };
	const uint8_t too_large_index[] = { 0xa1, 0x63, 'e', 'r', 'r', 0xa2, 0x65, 'g', 'r', 'o',
					    'u', 'p', 0x0a, 0x62, 'r', 'c', 0x04 };
	struct dfu_smp_client_rsp rsp = bytes_rsp(count, sizeof(count));
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_enum_single_rsp s;
	uint64_t n;

	(void)state;
	assert_int_equal(dfu_smp_mgmt_enum_count_decode(&rsp, &reply, &n), 0);
	assert_int_equal(n, 6);
	dfu_smp_mgmt_reply_close(&reply);
	assert_malformed(dfu_smp_mgmt_enum_single_decode(&rsp, &reply, &s), &reply,
			 "response key 'group' is missing");

	rsp = bytes_rsp(last, sizeof(last));
	assert_int_equal(dfu_smp_mgmt_enum_single_decode(&rsp, &reply, &s), 0);
	assert_int_equal(s.group, 63);
	assert_true(s.end);
	dfu_smp_mgmt_reply_close(&reply);
	assert_malformed(dfu_smp_mgmt_enum_count_decode(&rsp, &reply, &n), &reply,
			 "response key 'count' is missing");

	rsp = bytes_rsp(first, sizeof(first));
	assert_int_equal(dfu_smp_mgmt_enum_single_decode(&rsp, &reply, &s), 0);
	assert_int_equal(s.group, 0);
	assert_false(s.end);
	dfu_smp_mgmt_reply_close(&reply);

	rsp = bytes_rsp(too_big, sizeof(too_big));
	assert_malformed(dfu_smp_mgmt_enum_single_decode(&rsp, &reply, &s), &reply,
			 "response key 'group' is 70000, more than 65535");
	rsp = bytes_rsp(end_number, sizeof(end_number));
	assert_malformed(dfu_smp_mgmt_enum_single_decode(&rsp, &reply, &s), &reply,
			 "response key 'end' is an unsigned integer, expected a boolean");
	rsp = bytes_rsp(too_large_index, sizeof(too_large_index));
	assert_device_error(dfu_smp_mgmt_enum_single_decode(&rsp, &reply, &s), &reply,
			    DFU_SMP_MGMT_REPLY_GROUP_ERR, 4);
}

static void group_lists(void **state)
{
	const uint8_t empty[] = { 0xa1, 0x66, 'g', 'r', 'o', 'u', 'p', 's', 0x80 };
	const uint8_t too_big[] = { 0xa1, 0x66, 'g', 'r', 'o', 'u', 'p', 's', 0x82, 0x00, 0x1a,
				    0x00, 0x01, 0x00, 0x00 };
	const uint8_t text[] = { 0xa1, 0x66, 'g', 'r', 'o', 'u', 'p', 's', 0x81, 0x61, '0' };
	const uint8_t map[] = { 0xa1, 0x66, 'g', 'r', 'o', 'u', 'p', 's', 0xa0 };
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(&p);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_enum_list l;

	(void)state;
	dfu_smp_mgmt_cbor_map_indef(w);
	unknown_pairs(w);
	dfu_smp_mgmt_cbor_text(w, "groups");
	dfu_smp_mgmt_cbor_array_indef(w);
	dfu_smp_mgmt_cbor_uint(w, 0);
	wide_uint(w, 63);
	dfu_smp_mgmt_cbor_uint(w, 65535);
	dfu_smp_mgmt_cbor_uint(w, 9);
	dfu_smp_mgmt_cbor_break(w);
	dfu_smp_mgmt_cbor_break(w);
	rsp = payload_rsp(&p);
	assert_int_equal(dfu_smp_mgmt_enum_list_decode(&rsp, &reply, &l), 0);
	assert_int_equal(l.count, 4);
	assert_int_equal(l.groups[0], 0);
	assert_int_equal(l.groups[1], 63);
	assert_int_equal(l.groups[2], 65535);
	assert_int_equal(l.groups[3], 9);
	dfu_smp_mgmt_reply_close(&reply);

	rsp = bytes_rsp(empty, sizeof(empty));
	assert_int_equal(dfu_smp_mgmt_enum_list_decode(&rsp, &reply, &l), 0);
	assert_int_equal(l.count, 0);
	dfu_smp_mgmt_reply_close(&reply);

	rsp = bytes_rsp(too_big, sizeof(too_big));
	assert_malformed(dfu_smp_mgmt_enum_list_decode(&rsp, &reply, &l), &reply,
			 "response key 'groups[1]' is 65536, more than 65535");
	rsp = bytes_rsp(text, sizeof(text));
	assert_malformed(dfu_smp_mgmt_enum_list_decode(&rsp, &reply, &l), &reply,
			 "response key 'groups[0]' is a text string, expected an unsigned integer");
	rsp = bytes_rsp(map, sizeof(map));
	assert_malformed(dfu_smp_mgmt_enum_list_decode(&rsp, &reply, &l), &reply,
			 "response key 'groups' is a map, expected an array");
}

/* Details of three groups; @p bad (1..4) spoils one entry. */
static struct dfu_smp_client_rsp details(struct payload *p, int bad)
{
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(p);

	dfu_smp_mgmt_cbor_map_indef(w);
	dfu_smp_mgmt_cbor_text(w, "groups");
	dfu_smp_mgmt_cbor_array(w, 3);
	dfu_smp_mgmt_cbor_map_indef(w);
	kv_uint(w, "group", 0);
	dfu_smp_mgmt_cbor_text(w, "name");
	chunked_text(w, "os");
	kv_uint(w, "handlers", 9);
	unknown_pairs(w);
	dfu_smp_mgmt_cbor_break(w);
	if (bad == 1) {
		dfu_smp_mgmt_cbor_uint(w, 1);
	} else {
		dfu_smp_mgmt_cbor_map(w, 1);
		kv_uint(w, "group", bad == 2 ? 65536 : 64);
	}
	dfu_smp_mgmt_cbor_map(w, 2);
	kv_uint(w, bad == 3 ? "grp" : "group", 63);
	if (bad == 4) {
		kv_int(w, "handlers", -1);
	} else {
		kv_text(w, "name", "zephyr_basic");
	}
	dfu_smp_mgmt_cbor_break(w);
	return payload_rsp(p);
}

static void group_details(void **state)
{
	static const char *const needles[] = {
		"response key 'groups[1]' is an unsigned integer, expected a map",
		"response key 'groups[1].group' is 65536, more than 65535",
		"response key 'groups[2].group' is missing",
		("response key 'groups[2].handlers' is a negative integer, expected an unsigned "
		 "integer"),
	};
	struct payload p;
	struct dfu_smp_client_rsp rsp = details(&p, 0);
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_enum_details d;

	(void)state;
	assert_int_equal(dfu_smp_mgmt_enum_details_decode(&rsp, &reply, &d), 0);
	assert_int_equal(d.count, 3);
	assert_int_equal(d.groups[0].group, 0);
	assert_string_equal(d.groups[0].name, "os");
	assert_int_equal(d.groups[0].handlers, 9);
	assert_int_equal(d.groups[1].group, 64);
	assert_null(d.groups[1].name);
	assert_int_equal(d.groups[1].handlers, -1);
	assert_int_equal(d.groups[2].group, 63);
	assert_string_equal(d.groups[2].name, "zephyr_basic");
	dfu_smp_mgmt_reply_close(&reply);
	for (int bad = 1; bad <= 4; bad++) {
		rsp = details(&p, bad);
		assert_malformed(dfu_smp_mgmt_enum_details_decode(&rsp, &reply, &d), &reply,
				 needles[bad - 1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requests_bytes),
		cmocka_unit_test(count_and_single),
		cmocka_unit_test(group_lists),
		cmocka_unit_test(group_details),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
