/* SPDX-License-Identifier: Apache-2.0 */
/* SMP header encoding and decoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/smp/header.h>

/* The version 2 echo request of smp-protocol.md: seq 0x2A, payload {"d": "hi"}. */
static void encodes_documented_echo_request(void **state)
{
	const uint8_t expected[8] = { 0x0a, 0x00, 0x00, 0x06, 0x00, 0x00, 0x2a, 0x00 };
	struct dfu_smp_hdr hdr = {
		.op = DFU_SMP_OP_WRITE,
		.version = DFU_SMP_PROTO_V2,
		.len = 6,
		.group = 0,
		.seq = 0x2a,
		.id = 0,
	};
	uint8_t out[8];

	(void)state;
	dfu_smp_hdr_encode(&hdr, out);
	assert_memory_equal(out, expected, 8);
}

static void decodes_documented_echo_response(void **state)
{
	const uint8_t in[8] = { 0x0b, 0x00, 0x00, 0x07, 0x00, 0x00, 0x2a, 0x00 };
	struct dfu_smp_hdr hdr;

	(void)state;
	assert_int_equal(dfu_smp_hdr_decode(in, sizeof(in), &hdr), 0);
	assert_int_equal(hdr.op, DFU_SMP_OP_WRITE_RSP);
	assert_int_equal(hdr.version, DFU_SMP_PROTO_V2);
	assert_int_equal(hdr.flags, 0);
	assert_int_equal(hdr.len, 7);
	assert_int_equal(hdr.group, 0);
	assert_int_equal(hdr.seq, 0x2a);
	assert_int_equal(hdr.id, 0);
}

static void version_bits_sit_in_bits_4_and_3(void **state)
{
	struct dfu_smp_hdr hdr = { .op = DFU_SMP_OP_READ, .version = DFU_SMP_PROTO_V1 };
	uint8_t out[8];

	(void)state;
	dfu_smp_hdr_encode(&hdr, out);
	assert_int_equal(out[0], 0x00);
	hdr.version = DFU_SMP_PROTO_V2;
	dfu_smp_hdr_encode(&hdr, out);
	assert_int_equal(out[0], 0x08);
	hdr.op = DFU_SMP_OP_WRITE;
	hdr.version = DFU_SMP_PROTO_V1;
	dfu_smp_hdr_encode(&hdr, out);
	assert_int_equal(out[0], 0x02);
}

static void length_and_group_are_big_endian(void **state)
{
	struct dfu_smp_hdr hdr = {
		.op = DFU_SMP_OP_READ_RSP,
		.version = DFU_SMP_PROTO_V1,
		.flags = 0x5a,
		.len = 0x1234,
		.group = 0xbeef,
		.seq = 0xff,
		.id = 0x7f,
	};
	const uint8_t expected[8] = { 0x01, 0x5a, 0x12, 0x34, 0xbe, 0xef, 0xff, 0x7f };
	struct dfu_smp_hdr back;
	uint8_t out[8];

	(void)state;
	dfu_smp_hdr_encode(&hdr, out);
	assert_memory_equal(out, expected, 8);
	assert_int_equal(dfu_smp_hdr_decode(out, 8, &back), 0);
	assert_int_equal(back.op, hdr.op);
	assert_int_equal(back.version, hdr.version);
	assert_int_equal(back.flags, hdr.flags);
	assert_int_equal(back.len, hdr.len);
	assert_int_equal(back.group, hdr.group);
	assert_int_equal(back.seq, hdr.seq);
	assert_int_equal(back.id, hdr.id);
}

static void every_op_and_version_round_trips(void **state)
{
	(void)state;
	for (uint8_t op = 0; op < 8; op++) {
		for (uint8_t version = 1; version <= 4; version++) {
			struct dfu_smp_hdr hdr = { .op = op, .version = version, .len = 65535,
					       .group = 65535, .seq = 1, .id = 2 };
			struct dfu_smp_hdr back;
			uint8_t out[8];

			dfu_smp_hdr_encode(&hdr, out);
			assert_int_equal(out[0] & 0xe0, 0); /* reserved bits sent as 0 */
			assert_int_equal(dfu_smp_hdr_decode(out, 8, &back), 0);
			assert_int_equal(back.op, op);
			assert_int_equal(back.version, version);
		}
	}
}

static void reserved_bits_are_ignored_on_decode(void **state)
{
	const uint8_t in[8] = { 0xe0 | 0x08 | 0x03, 0, 0, 0, 0, 1, 0, 0 };
	struct dfu_smp_hdr hdr;

	(void)state;
	assert_int_equal(dfu_smp_hdr_decode(in, 8, &hdr), 0);
	assert_int_equal(hdr.op, DFU_SMP_OP_WRITE_RSP);
	assert_int_equal(hdr.version, DFU_SMP_PROTO_V2);
	assert_int_equal(hdr.group, 1);
}

static void short_input_is_rejected(void **state)
{
	const uint8_t in[8] = { 0 };
	struct dfu_smp_hdr hdr;

	(void)state;
	for (size_t len = 0; len < 8; len++) {
		assert_int_equal(dfu_smp_hdr_decode(in, len, &hdr), -EINVAL);
	}
	assert_int_equal(dfu_smp_hdr_decode(in, 9, &hdr), 0);
}

static void response_op_follows_zephyr(void **state)
{
	(void)state;
	assert_int_equal(dfu_smp_hdr_rsp_op(DFU_SMP_OP_READ), DFU_SMP_OP_READ_RSP);
	assert_int_equal(dfu_smp_hdr_rsp_op(DFU_SMP_OP_WRITE), DFU_SMP_OP_WRITE_RSP);
	for (uint8_t op = 3; op < 8; op++) {
		assert_int_equal(dfu_smp_hdr_rsp_op(op), DFU_SMP_OP_WRITE_RSP);
	}
	assert_int_equal(dfu_smp_hdr_rsp_op(DFU_SMP_OP_READ_RSP), DFU_SMP_OP_WRITE_RSP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encodes_documented_echo_request),
		cmocka_unit_test(decodes_documented_echo_response),
		cmocka_unit_test(version_bits_sit_in_bits_4_and_3),
		cmocka_unit_test(length_and_group_are_big_endian),
		cmocka_unit_test(every_op_and_version_round_trips),
		cmocka_unit_test(reserved_bits_are_ignored_on_decode),
		cmocka_unit_test(short_input_is_rejected),
		cmocka_unit_test(response_op_follows_zephyr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
