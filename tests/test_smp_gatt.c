/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SMP client over GATT (smp/gatt.c): requests on the link at once, answers gathered from
 * notifications, one matcher and one timeout (the SMP client's: a late answer is dropped once),
 * an answer too long for the receive buffer failing its own request only, and link loss.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/smp/gatt.h>
#include <dfu-smp/smp/header.h>

#define REQUESTS 3

static struct bt_dfu_smp_gatt port;
static struct dfu_smp_client client;
static struct dfu_smp_gatt gatt;
static uint8_t rx[64];
static uint8_t req_bufs[REQUESTS][DFU_SMP_HDR_SIZE + 4];
static struct dfu_smp_request reqs[REQUESTS];
static struct {
	int calls;
	int err;
	size_t len;
} R[REQUESTS];
static int writes;
static bool lose_link_in_write; /* the port finds the link gone while writing */
static bool in_write;

static int fake_write(struct bt_dfu_smp_gatt *g, uint16_t handle, const uint8_t *data,
		      uint16_t len)
{
	(void)g;
	(void)data;
	(void)len;
	assert_int_equal(handle, 11);
	writes++;
	if (lose_link_in_write) {
		in_write = true;
		dfu_smp_gatt_disconnected(&gatt);
		in_write = false;
		return -ENOTCONN;
	}
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

static void on_done(struct dfu_smp_request *req, int err, const struct dfu_smp_client_rsp *rsp)
{
	int i = (int)(req - reqs);

	assert_false(in_write);
	R[i].calls++;
	R[i].err = err;
	R[i].len = rsp ? rsp->len : 0;
}

static struct bt_dfu_smp_discovery_desc desc;
static struct bt_dfu_smp_discovery_chrc chrc;
static struct bt_dfu_smp_discovery dm;

static int setup(void **state)
{
	struct dfu_smp_transport transport;
	const struct dfu_smp_client_config cfg = { .window = REQUESTS, .timeout_ms = 100 };

	(void)state;
	memset(R, 0, sizeof(R));
	writes = 0;
	lose_link_in_write = false;
	port.ops = &ops;
	desc = (struct bt_dfu_smp_discovery_desc){ .uuid = BT_DFU_SMP_UUID_CCC, .handle = 12 };
	chrc = (struct bt_dfu_smp_discovery_chrc){
		.uuid = BT_DFU_SMP_UUID_CHAR, .value_handle = 11, .descs = &desc, .desc_count = 1,
		.properties = BT_DFU_SMP_CHRC_WRITE_WITHOUT_RESP | BT_DFU_SMP_CHRC_NOTIFY,
	};
	dm = (struct bt_dfu_smp_discovery){ .conn = &port, .service_uuid = BT_DFU_SMP_UUID_SERVICE,
					    .chrcs = &chrc, .chrc_count = 1 };
	assert_int_equal(dfu_smp_gatt_init(&gatt, &client, rx, sizeof(rx)), 0);
	transport = dfu_smp_gatt_transport(&gatt);
	dfu_smp_client_init(&client, &transport, &cfg);
	assert_int_equal(dfu_smp_gatt_handles_assign(&gatt, &dm), 0);
	assert_int_equal(dfu_smp_gatt_handle(&gatt), 11);
	for (int i = 0; i < REQUESTS; i++) {
		dfu_smp_request_init(&reqs[i], req_bufs[i], sizeof(req_bufs[i]));
		reqs[i].op = DFU_SMP_OP_READ;
		reqs[i].cb = on_done;
		assert_int_equal(dfu_smp_client_submit(&client, &reqs[i]), 0);
	}
	assert_int_equal(writes, 0); /* submit only queues */
	dfu_smp_client_process(&client, 0);
	assert_int_equal(writes, REQUESTS); /* all on the link at once */
	return 0;
}

/* The device's answer to request @p i, @p payload_len bytes, in notifications of @p chunk. */
static void answer_in_parts(int i, size_t payload_len, size_t chunk)
{
	struct dfu_smp_hdr hdr = { .op = DFU_SMP_OP_READ_RSP,
				   .version = 1,
				   .len = (uint16_t)payload_len,
				   .group = 0,
				   .seq = reqs[i].seq,
				   .id = 0 };
	size_t total = DFU_SMP_HDR_SIZE + payload_len;
	uint8_t *msg = calloc(1, total);

	assert_non_null(msg);
	dfu_smp_hdr_encode(&hdr, msg);
	for (size_t off = 0; off < total; off += chunk) {
		dfu_smp_gatt_notify(&gatt, msg + off, total - off < chunk ? total - off : chunk);
	}
	free(msg);
}

/* The device's answer to request @p i, @p payload_len bytes, in one notification. */
static void answer(int i, size_t payload_len)
{
	answer_in_parts(i, payload_len, DFU_SMP_HDR_SIZE + payload_len);
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
	assert_true(dfu_smp_client_idle(&client));
}

static void an_oversize_answer_fails_its_own_request_only(void **state)
{
	(void)state;
	answer(1, sizeof(rx)); /* 8 + 64 bytes: longer than the receive buffer */
	assert_int_equal(R[1].calls, 1);
	assert_int_equal(R[1].err, -EMSGSIZE);
	assert_int_equal(R[0].calls, 0);
	assert_int_equal(R[2].calls, 0);
	assert_int_equal(dfu_smp_client_stats(&client)->received, 0);
	answer(0, 10);
	answer(2, 10);
	assert_int_equal(R[0].err, 0);
	assert_int_equal(R[0].calls, 1);
	assert_int_equal(R[2].err, 0);
	assert_int_equal(R[2].calls, 1);
	assert_true(dfu_smp_client_idle(&client));
}

static void answers_are_gathered_from_parts_and_cut_from_one_stream(void **state)
{
	struct dfu_smp_hdr h0 = {
		.op = DFU_SMP_OP_READ_RSP, .version = 2, .len = 3, .seq = reqs[0].seq
	};
	struct dfu_smp_hdr h1 = {
		.op = DFU_SMP_OP_READ_RSP, .version = 2, .len = 2, .seq = reqs[1].seq
	};
	uint8_t two[2 * DFU_SMP_HDR_SIZE + 5] = { 0 };

	(void)state;
	answer_in_parts(2, 40, 7 + DFU_SMP_HDR_SIZE); /* the header whole, then any cuts */
	assert_int_equal(R[2].calls, 1);
	assert_int_equal(R[2].len, 40);
	/* two answers in one notification */
	dfu_smp_hdr_encode(&h0, two);
	dfu_smp_hdr_encode(&h1, two + DFU_SMP_HDR_SIZE + 3);
	dfu_smp_gatt_notify(&gatt, two, sizeof(two));
	assert_int_equal(R[0].calls, 1);
	assert_int_equal(R[0].len, 3);
	assert_int_equal(R[1].calls, 1);
	assert_int_equal(R[1].len, 2);
	assert_int_equal(dfu_smp_client_stats(&client)->dropped, 0);
}

static void a_late_answer_after_a_timeout_is_dropped_once(void **state)
{
	struct dfu_smp_hdr hdr = {
		.op = DFU_SMP_OP_READ_RSP, .version = 2, .len = 30, .seq = reqs[0].seq
	};
	uint8_t late[DFU_SMP_HDR_SIZE + 30] = { 0 };

	(void)state;
	dfu_smp_hdr_encode(&hdr, late);
	dfu_smp_gatt_notify(&gatt, late, 18); /* its first part only, then time runs out */
	dfu_smp_client_process(&client, 99);
	assert_int_equal(R[1].calls, 0);
	dfu_smp_client_process(&client, 100);
	for (int i = 0; i < REQUESTS; i++) {
		assert_int_equal(R[i].calls, 1); /* the SMP client's timeout, once each */
		assert_int_equal(R[i].err, -ETIMEDOUT);
	}
	assert_int_equal(dfu_smp_client_stats(&client)->timeouts, REQUESTS);
	/* the rest of the first, then the second in three parts: each dropped once, whole */
	dfu_smp_gatt_notify(&gatt, late + 18, sizeof(late) - 18);
	assert_int_equal(dfu_smp_client_stats(&client)->dropped, 1);
	answer_in_parts(1, 30, 12);
	assert_int_equal(dfu_smp_client_stats(&client)->dropped, 2);
	assert_int_equal(R[1].calls, 1);
	/* the stream is still in step: a new request's answer reaches it */
	R[0].calls = 0;
	assert_int_equal(dfu_smp_client_submit(&client, &reqs[0]), 0);
	dfu_smp_client_process(&client, 100);
	answer(0, 5);
	assert_int_equal(R[0].calls, 1);
	assert_int_equal(R[0].err, 0);
	assert_int_equal(dfu_smp_client_stats(&client)->received, 1);
}

static void a_notification_without_a_whole_header_ends_the_requests_on_the_link(void **state)
{
	static const uint8_t short_part[5];

	(void)state;
	dfu_smp_gatt_notify(&gatt, short_part, sizeof(short_part));
	for (int i = 0; i < REQUESTS; i++) {
		assert_int_equal(R[i].calls, 1);
		assert_int_equal(R[i].err, -EINVAL);
	}
}

static void link_loss_ends_the_requests_on_the_link_then_the_queued_ones(void **state)
{
	(void)state;
	dfu_smp_gatt_disconnected(&gatt);
	for (int i = 0; i < REQUESTS; i++) {
		assert_int_equal(R[i].calls, 1);
		assert_int_equal(R[i].err, -ENOTCONN);
	}
	assert_int_equal(dfu_smp_client_max_size(&client), 0);
	R[0].calls = 0;
	assert_int_equal(dfu_smp_client_submit(&client, &reqs[0]), 0);
	dfu_smp_client_process(&client, 1);
	assert_int_equal(R[0].calls, 0); /* failed while being sent: reported next time */
	dfu_smp_client_process(&client, 1);
	assert_int_equal(R[0].calls, 1);
	assert_int_equal(R[0].err, -ENXIO);
	assert_int_equal(writes, REQUESTS);
}

static int freed_calls;

/* The owner frees the request in its callback, as dfu-smp/smp/client.h allows. */
static void free_in_callback(struct dfu_smp_request *req, int err,
			     const struct dfu_smp_client_rsp *rsp)
{
	(void)rsp;
	assert_false(in_write);
	assert_int_equal(err, -ENOTCONN);
	freed_calls++;
	free(req->buf);
	free(req);
}

static void a_link_lost_inside_a_write_ends_each_request_once(void **state)
{
	struct dfu_smp_request *req = malloc(sizeof(*req));

	(void)state;
	/* the link comes back (a new connection), then drops again while writing */
	dfu_smp_gatt_disconnected(&gatt);
	assert_int_equal(dfu_smp_gatt_handles_assign(&gatt, &dm), 0);
	memset(R, 0, sizeof(R));
	freed_calls = 0;
	lose_link_in_write = true;
	dfu_smp_request_init(req, malloc(DFU_SMP_HDR_SIZE), DFU_SMP_HDR_SIZE);
	req->cb = free_in_callback;
	assert_int_equal(dfu_smp_client_submit(&client, req), 0);
	dfu_smp_client_process(&client, 1);
	assert_int_equal(freed_calls, 0);
	dfu_smp_client_process(&client, 1);
	assert_int_equal(freed_calls, 1); /* once: a second call would touch freed memory */
	dfu_smp_client_process(&client, 2);
	assert_int_equal(freed_calls, 1);
	assert_true(dfu_smp_client_idle(&client));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(answers_reach_their_requests, setup),
		cmocka_unit_test_setup(an_oversize_answer_fails_its_own_request_only, setup),
		cmocka_unit_test_setup(answers_are_gathered_from_parts_and_cut_from_one_stream,
				       setup),
		cmocka_unit_test_setup(a_late_answer_after_a_timeout_is_dropped_once, setup),
		cmocka_unit_test_setup(
			a_notification_without_a_whole_header_ends_the_requests_on_the_link, setup),
		cmocka_unit_test_setup(
			link_loss_ends_the_requests_on_the_link_then_the_queued_ones, setup),
		cmocka_unit_test_setup(a_link_lost_inside_a_write_ends_each_request_once, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
