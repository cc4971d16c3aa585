/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's SMP server at the message level: protocol versions, malformed and
 * partial transport units, several messages in one unit, buffer limits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/reply.h>
#include "../mgmt/reply_decode.h"
#include "../sim/device.h"
#include <dfu-smp/smp/header.h>

static struct {
	int count;
	uint8_t msg[8][512];
	size_t len[8];
} out;

static void emit(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	assert_true(out.count < 8 && len <= 512);
	memcpy(out.msg[out.count], msg, len);
	out.len[out.count++] = len;
}

static size_t msg(uint8_t *buf, uint8_t op, uint8_t version, uint16_t group, uint8_t seq,
		  uint8_t id, const uint8_t *payload, size_t len)
{
	struct dfu_smp_hdr hdr = { .op = op,
				   .version = version,
				   .len = (uint16_t)len,
				   .group = group,
				   .seq = seq,
				   .id = id };

	dfu_smp_hdr_encode(&hdr, buf);
	memcpy(buf + DFU_SMP_HDR_SIZE, payload, len);
	return DFU_SMP_HDR_SIZE + len;
}

/* Decodes response @p i: its header and its status. */
static int status(int i, struct dfu_smp_hdr *hdr, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_client_rsp rsp;
	const cbor_item_t *map;

	assert_true(i < out.count);
	assert_int_equal(dfu_smp_hdr_decode(out.msg[i], out.len[i], hdr), 0);
	assert_int_equal(hdr->len, out.len[i] - DFU_SMP_HDR_SIZE);
	rsp.hdr = *hdr;
	rsp.payload = out.msg[i] + DFU_SMP_HDR_SIZE;
	rsp.len = hdr->len;
	return dfu_smp_mgmt_reply_open(reply, &rsp, &map);
}

static const uint8_t echo_hi[] = { 0xa1, 0x61, 'd', 0x62, 'h', 'i' };

static int reset(void **state)
{
	(void)state;
	memset(&out, 0, sizeof(out));
	return 0;
}

static void answers_in_the_request_version(void **state)
{
	struct sim_device dev;
	struct dfu_smp_hdr hdr;
	struct dfu_smp_mgmt_reply reply;
	uint8_t unit[64];
	size_t n;

	(void)state;
	assert_int_equal(sim_device_init(&dev, NULL), 0);
	for (uint8_t version = 1; version <= 2; version++) {
		n = msg(unit, DFU_SMP_OP_WRITE, version, 0, 7, 0, echo_hi, sizeof(echo_hi));
		sim_device_receive(&dev, unit, n, 0, emit, NULL);
		assert_int_equal(status(out.count - 1, &hdr, &reply), 0);
		assert_int_equal(hdr.version, version);
		assert_int_equal(hdr.op, DFU_SMP_OP_WRITE_RSP);
		assert_int_equal(hdr.seq, 7);
		dfu_smp_mgmt_reply_close(&reply);
	}
	/* the documented answer to echo "hi", byte for byte */
	{
		const uint8_t expected[] = { 0x0b, 0x00, 0x00, 0x07, 0x00, 0x00, 0x2a, 0x00,
					     0xbf, 0x61, 0x72, 0x62, 0x68, 0x69, 0xff };

		n = msg(unit, DFU_SMP_OP_WRITE, 2, 0, 0x2a, 0, echo_hi, sizeof(echo_hi));
		sim_device_receive(&dev, unit, n, 0, emit, NULL);
		assert_int_equal(out.len[2], sizeof(expected));
		assert_memory_equal(out.msg[2], expected, sizeof(expected));
	}
	sim_device_free(&dev);
}

static void too_new_a_version_gets_rc_13(void **state)
{
	struct sim_device dev;
	struct dfu_smp_hdr hdr;
	struct dfu_smp_mgmt_reply reply;
	uint8_t unit[64];
	size_t n;

	(void)state;
	assert_int_equal(sim_device_init(&dev, NULL), 0);
	n = msg(unit, DFU_SMP_OP_WRITE, 3, 0, 1, 0, echo_hi, sizeof(echo_hi));
	sim_device_receive(&dev, unit, n, 0, emit, NULL);
	assert_int_equal(status(0, &hdr, &reply), -EREMOTEIO);
	assert_int_equal(reply.rc, DFU_SMP_MGMT_ERR_UNSUPPORTED_TOO_NEW);
	assert_int_equal(hdr.version, DFU_SMP_PROTO_V2);
	dfu_smp_mgmt_reply_close(&reply);
	sim_device_free(&dev);
}

static void version_1_only_device_answers_version_1(void **state)
{
	const struct sim_device_config cfg = { .v1_only = true };
	struct sim_device dev;
	struct dfu_smp_hdr hdr;
	struct dfu_smp_mgmt_reply reply;
	uint8_t unit[64];
	size_t n;

	(void)state;
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	n = msg(unit, DFU_SMP_OP_WRITE, 2, 0, 1, 0, echo_hi, sizeof(echo_hi));
	sim_device_receive(&dev, unit, n, 0, emit, NULL);
	assert_int_equal(status(0, &hdr, &reply), 0);
	assert_int_equal(hdr.version, DFU_SMP_PROTO_V1);
	dfu_smp_mgmt_reply_close(&reply);
	sim_device_free(&dev);
}

static void header_longer_than_unit_gets_ecorrupt(void **state)
{
	struct sim_device dev;
	struct dfu_smp_hdr hdr;
	struct dfu_smp_mgmt_reply reply;
	uint8_t unit[64];
	size_t n;

	(void)state;
	assert_int_equal(sim_device_init(&dev, NULL), 0);
	n = msg(unit, DFU_SMP_OP_WRITE, 2, 0, 1, 0, echo_hi, sizeof(echo_hi));
	sim_device_receive(&dev, unit, n - 2, 0, emit, NULL);
	assert_int_equal(status(0, &hdr, &reply), -EREMOTEIO);
	assert_int_equal(reply.rc, DFU_SMP_MGMT_ERR_ECORRUPT);
	dfu_smp_mgmt_reply_close(&reply);
	sim_device_free(&dev);
}

static void short_or_oversize_units_are_dropped(void **state)
{
	const struct sim_device_config cfg = { .buf_size = 32 };
	struct sim_device dev;
	uint8_t unit[64] = { 0 };
	const uint8_t payload[25] = { 0xa0 };
	size_t n;

	(void)state;
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	sim_device_receive(&dev, unit, 7, 0, emit, NULL);
	n = msg(unit, DFU_SMP_OP_WRITE, 2, 0, 1, 0, payload, sizeof(payload)); /* 33 bytes > 32 */
	sim_device_receive(&dev, unit, n, 0, emit, NULL);
	assert_int_equal(out.count, 0);
	assert_int_equal(sim_device_stats(&dev)->dropped, 2);
	sim_device_free(&dev);
}

static void several_messages_in_one_unit_get_one_answer_each(void **state)
{
	struct sim_device dev;
	struct dfu_smp_hdr hdr;
	struct dfu_smp_mgmt_reply reply;
	uint8_t unit[64];
	size_t n;

	(void)state;
	assert_int_equal(sim_device_init(&dev, NULL), 0);
	n = msg(unit, DFU_SMP_OP_WRITE, 2, 0, 1, 0, echo_hi, sizeof(echo_hi));
	n += msg(unit + n, DFU_SMP_OP_READ, 2, 0, 2, 6, (const uint8_t *)"\xa0", 1);
	sim_device_receive(&dev, unit, n, 0, emit, NULL);
	assert_int_equal(out.count, 2);
	assert_int_equal(status(0, &hdr, &reply), 0);
	assert_int_equal(hdr.seq, 1);
	dfu_smp_mgmt_reply_close(&reply);
	assert_int_equal(status(1, &hdr, &reply), 0);
	assert_int_equal(hdr.seq, 2);
	assert_int_equal(hdr.id, 6);
	dfu_smp_mgmt_reply_close(&reply);
	sim_device_free(&dev);
}

static void invalid_request_op_gets_enotsup_as_write_response(void **state)
{
	struct sim_device dev;
	struct dfu_smp_hdr hdr;
	struct dfu_smp_mgmt_reply reply;
	uint8_t unit[64];
	size_t n;

	(void)state;
	assert_int_equal(sim_device_init(&dev, NULL), 0);
	n = msg(unit, DFU_SMP_OP_READ_RSP, 2, 0, 1, 0, echo_hi, sizeof(echo_hi));
	sim_device_receive(&dev, unit, n, 0, emit, NULL);
	assert_int_equal(status(0, &hdr, &reply), -EREMOTEIO);
	assert_int_equal(reply.rc, DFU_SMP_MGMT_ERR_ENOTSUP);
	assert_int_equal(hdr.op, DFU_SMP_OP_WRITE_RSP);
	dfu_smp_mgmt_reply_close(&reply);
	sim_device_free(&dev);
}

static void response_larger_than_buffer_gets_emsgsize(void **state)
{
	const struct sim_device_config cfg = { .buf_size = 40 };
	/* a 40-byte request whose answer, one byte longer, does not fit */
	static const uint8_t long_echo[] = { 0xa1, 0x61, 'd', 0x78, 27,  'a', 'b', 'c',
					     'd',  'e',  'f', 'g',  'h', 'i', 'j', 'k',
					     'l',  'm',  'n', 'o',  'p', 'q', 'r', 's',
					     't',  'u',  'v', 'w',  'x', 'y', 'z', '!' };
	struct sim_device dev;
	struct dfu_smp_hdr hdr;
	struct dfu_smp_mgmt_reply reply;
	uint8_t unit[64];
	size_t n;

	(void)state;
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	n = msg(unit, DFU_SMP_OP_WRITE, 2, 0, 1, 0, long_echo, sizeof(long_echo));
	sim_device_receive(&dev, unit, n, 0, emit, NULL);
	assert_int_equal(status(0, &hdr, &reply), -EREMOTEIO);
	assert_int_equal(reply.rc, DFU_SMP_MGMT_ERR_EMSGSIZE);
	dfu_smp_mgmt_reply_close(&reply);
	sim_device_free(&dev);
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(answers_in_the_request_version),
		T(too_new_a_version_gets_rc_13),
		T(version_1_only_device_answers_version_1),
		T(header_longer_than_unit_gets_ecorrupt),
		T(short_or_oversize_units_are_dropped),
		T(several_messages_in_one_unit_get_one_answer_each),
		T(invalid_request_op_gets_enotsup_as_write_response),
		T(response_larger_than_buffer_gets_emsgsize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
