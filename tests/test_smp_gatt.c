/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SMP client over the GATT DFU SMP client (smp/gatt.c): requests on the link at once,
 * answers gathered from notifications, and an answer too long for the receive buffer failing
 * its own request only.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../smp/gatt.h"
#include "../smp/header.h"

#define REQUESTS 3

static struct bt_dfu_smp_gatt port;
static struct smp_client client;
static struct smp_gatt gatt;
static uint8_t rx[64];
static uint8_t req_bufs[REQUESTS][SMP_HDR_SIZE + 4];
static struct smp_request reqs[REQUESTS];
static struct {
	int calls;
	int err;
	size_t len;
} R[REQUESTS];
static int writes;

static int fake_write(struct bt_dfu_smp_gatt *g, uint16_t handle, const uint8_t *data,
		      uint16_t len)
{
	(void)g;
	(void)handle;
	(void)data;
	(void)len;
	writes++;
	return 0;
}

static int fake_subscribe(struct bt_dfu_smp_gatt *g, uint16_t value, uint16_t ccc)
{
	(void)g;
	(void)value;
	(void)ccc;
	return 0;
}

static uint16_t fake_mtu(struct bt_dfu_smp_gatt *g)
{
	(void)g;
	return 247;
}

static const struct bt_dfu_smp_gatt_ops ops = {
	.write_without_rsp = fake_write, .subscribe = fake_subscribe, .get_mtu = fake_mtu,
};

static void on_done(struct smp_request *req, int err, const struct smp_client_rsp *rsp)
{
	int i = (int)(req - reqs);

	R[i].calls++;
	R[i].err = err;
	R[i].len = rsp ? rsp->len : 0;
}

static int setup(void **state)
{
	static struct bt_dfu_smp_discovery_desc desc;
	static struct bt_dfu_smp_discovery_chrc chrc;
	static struct bt_dfu_smp_discovery dm;
	struct smp_transport transport;
	const struct smp_client_config cfg = { .window = REQUESTS };

	(void)state;
	memset(R, 0, sizeof(R));
	writes = 0;
	port.ops = &ops;
	desc = (struct bt_dfu_smp_discovery_desc){ .uuid = BT_DFU_SMP_UUID_CCC, .handle = 12 };
	chrc = (struct bt_dfu_smp_discovery_chrc){
		.uuid = BT_DFU_SMP_UUID_CHAR, .value_handle = 11, .descs = &desc, .desc_count = 1,
		.properties = BT_DFU_SMP_CHRC_WRITE_WITHOUT_RESP | BT_DFU_SMP_CHRC_NOTIFY,
	};
	dm = (struct bt_dfu_smp_discovery){ .conn = &port, .service_uuid = BT_DFU_SMP_UUID_SERVICE,
					    .chrcs = &chrc, .chrc_count = 1 };
	assert_int_equal(smp_gatt_init(&gatt, &client, rx, sizeof(rx)), 0);
	transport = smp_gatt_transport(&gatt);
	smp_client_init(&client, &transport, &cfg);
	assert_int_equal(bt_dfu_smp_handles_assign(&dm, smp_gatt_dfu(&gatt)), 0);
	for (int i = 0; i < REQUESTS; i++) {
		smp_request_init(&reqs[i], req_bufs[i], sizeof(req_bufs[i]));
		reqs[i].op = SMP_OP_READ;
		reqs[i].cb = on_done;
		assert_int_equal(smp_client_submit(&client, &reqs[i]), 0);
	}
	assert_int_equal(writes, REQUESTS); /* all on the link at once */
	return 0;
}

/* The device's answer to request @p i, @p payload_len bytes, in one notification. */
static void answer(int i, size_t payload_len)
{
	struct smp_hdr hdr = { .op = SMP_OP_READ_RSP, .version = 1, .len = (uint16_t)payload_len,
			       .group = 0, .seq = reqs[i].seq, .id = 0 };
	uint8_t *msg = calloc(1, SMP_HDR_SIZE + payload_len);

	assert_non_null(msg);
	smp_hdr_encode(&hdr, msg);
	bt_dfu_smp_notify(smp_gatt_dfu(&gatt), msg, SMP_HDR_SIZE + payload_len);
	free(msg);
}

static void answers_reach_their_requests(void **state)
{
	(void)state;
	for (int i = 0; i < REQUESTS; i++) {
		answer(i, 10);
		assert_int_equal(R[i].calls, 1);
		assert_int_equal(R[i].err, 0);
		assert_int_equal(R[i].len, 10);
	}
	assert_true(smp_client_idle(&client));
}

static void an_oversize_answer_fails_its_own_request_only(void **state)
{
	(void)state;
	answer(1, sizeof(rx)); /* 8 + 64 bytes: longer than the receive buffer */
	assert_int_equal(R[1].calls, 1);
	assert_int_equal(R[1].err, -EMSGSIZE);
	assert_int_equal(R[0].calls, 0);
	assert_int_equal(R[2].calls, 0);
	assert_int_equal(smp_gatt_stats(&gatt)->oversize_rsps, 1);
	answer(0, 10);
	answer(2, 10);
	assert_int_equal(R[0].err, 0);
	assert_int_equal(R[0].calls, 1);
	assert_int_equal(R[2].err, 0);
	assert_int_equal(R[2].calls, 1);
	assert_true(smp_client_idle(&client));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(answers_reach_their_requests, setup),
		cmocka_unit_test_setup(an_oversize_answer_fails_its_own_request_only, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
