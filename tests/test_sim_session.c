/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whole sessions against the simulated device over the simulated BLE link: the real client
 * stack (SMP client, GATT DFU SMP client, ATT discovery) at every MTU.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/os.h>
#include <dfu-smp/ports/conn.h>
#include "../mgmt/reply_decode.h"
#include "../sim/conn.h"

static uint8_t req_buf[DFU_SMP_MSG_MAX];
static uint8_t rsp_buf[DFU_SMP_MSG_MAX];

static struct dfu_smp_conn *open_sim(uint16_t mtu)
{
	static const struct sim_conn_config sim; /* the defaults; it outlives the connection */
	struct dfu_smp_conn_options opt = { .mtu = mtu };
	struct dfu_smp_conn *conn = NULL;
	char why[200];

	assert_int_equal(sim_conn_open(&sim, &opt, &conn, why, sizeof(why)), 0);
	return conn;
}

/* Echoes @p len x's; returns the transaction's result and checks the echo on success. */
static int echo(struct dfu_smp_conn *conn, size_t len, size_t *request_len)
{
	struct dfu_smp_request req;
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	const char *text;
	char *sent = malloc(len + 1);
	int err;

	assert_non_null(sent);
	memset(sent, 'x', len);
	sent[len] = '\0';
	dfu_smp_request_init(&req, req_buf, sizeof(req_buf));
	assert_int_equal(dfu_smp_mgmt_os_echo(&req, sent), 0);
	*request_len = DFU_SMP_HDR_SIZE + req.len;
	err = dfu_smp_conn_transact(conn, &req, rsp_buf, sizeof(rsp_buf), &rsp);
	if (err == 0) {
		assert_int_equal(dfu_smp_mgmt_os_echo_decode(&rsp, &reply, &text), 0);
		assert_string_equal(text, sent);
		dfu_smp_mgmt_reply_close(&reply);
	}
	free(sent);
	return err;
}

/* The longest echo text whose request fits one write at @p mtu. */
static size_t longest_echo(uint16_t mtu)
{
	size_t len = 0;

	for (;;) {
		struct dfu_smp_request req;
		char text[600];

		memset(text, 'x', len + 1);
		text[len + 1] = '\0';
		dfu_smp_request_init(&req, req_buf, sizeof(req_buf));
		dfu_smp_mgmt_os_echo(&req, text);
		if (DFU_SMP_HDR_SIZE + req.len > mtu - 3u) {
			return len;
		}
		len++;
	}
}

static void echo_lengths_at_every_mtu(void **state)
{
	static const uint16_t asked[] = { 23, 64, 247, 498, 517 };

	(void)state;
	for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
		struct dfu_smp_conn *conn = open_sim(asked[i]);
		/* the device's own limit is 498 */
		uint16_t mtu = asked[i] < 498 ? asked[i] : 498;
		size_t longest = longest_echo(mtu);
		struct dfu_smp_conn_stats before, after;
		size_t request_len;
		char why[200];

		dfu_smp_conn_stats(conn, &before);
		assert_int_equal(before.mtu, mtu);
		assert_int_equal(echo(conn, 0, &request_len), 0);
		assert_int_equal(echo(conn, 1, &request_len), 0);

		dfu_smp_conn_stats(conn, &before);
		assert_int_equal(echo(conn, longest, &request_len), 0);
		assert_int_equal(request_len, mtu - 3u);
		dfu_smp_conn_stats(conn, &after);
		assert_int_equal(after.writes - before.writes, 1);
		/* the answer is one byte longer (indefinite map): two notifications */
		assert_int_equal(after.notifications - before.notifications, 2);

		assert_int_equal(echo(conn, longest + 1, &request_len), -EMSGSIZE);
		dfu_smp_conn_stats(conn, &after);
		assert_int_equal(after.writes - before.writes, 1); /* nothing was sent */
		dfu_smp_conn_explain(conn, -EMSGSIZE, request_len, why, sizeof(why));
		assert_non_null(strstr(why, "ATT MTU"));

		/* and the link still works */
		assert_int_equal(echo(conn, 3, &request_len), 0);
		dfu_smp_conn_close(conn);
	}
}

static void params_arrive_in_several_notifications_at_mtu_23(void **state)
{
	struct dfu_smp_conn *conn = open_sim(23);
	struct dfu_smp_request req;
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_os_params params;
	struct dfu_smp_conn_stats before, after;

	(void)state;
	dfu_smp_conn_stats(conn, &before);
	dfu_smp_request_init(&req, req_buf, sizeof(req_buf));
	dfu_smp_mgmt_os_params(&req);
	assert_int_equal(dfu_smp_conn_transact(conn, &req, rsp_buf, sizeof(rsp_buf), &rsp), 0);
	dfu_smp_conn_stats(conn, &after);
	assert_true(after.notifications - before.notifications >= 2);
	assert_int_equal(dfu_smp_mgmt_os_params_decode(&rsp, &reply, &params), 0);
	assert_int_equal(params.buf_size, 2475);
	assert_int_equal(params.buf_count, 4);
	dfu_smp_mgmt_reply_close(&reply);
	dfu_smp_conn_close(conn);
}

/* Sends a raw request and decodes only its status. */
static int raw_status(struct dfu_smp_conn *conn, uint8_t op, uint16_t group, uint8_t id,
		      const uint8_t *payload, size_t len, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_request req;
	struct dfu_smp_client_rsp rsp;
	const cbor_item_t *map;
	int err;

	dfu_smp_request_init(&req, req_buf, sizeof(req_buf));
	req.op = op;
	req.group = group;
	req.id = id;
	memcpy(req_buf + DFU_SMP_HDR_SIZE, payload, len);
	req.len = len;
	err = dfu_smp_conn_transact(conn, &req, rsp_buf, sizeof(rsp_buf), &rsp);
	assert_int_equal(err, 0);
	return dfu_smp_mgmt_reply_open(reply, &rsp, &map);
}

static void device_errors_come_back_as_rc(void **state)
{
	static const uint8_t empty_map[] = { 0xa0 };
	static const uint8_t garbage[] = { 0xff, 0x00 };
	static const uint8_t echo_bytes[] = { 0xa1, 0x61, 'd', 0x42, 'h', 'i' };
	static const uint8_t dup_keys[] = { 0xa2, 0x61, 'd', 0x61, 'a', 0x61, 'd', 0x61, 'b' };
	static const uint8_t indef_text[] = { 0xa1, 0x61, 'd', 0x7f, 0x61, 'h', 0xff };
	static const uint8_t array[] = { 0x80 };
	const struct {
		uint8_t op;
		uint16_t group;
		uint8_t id;
		const uint8_t *payload;
		size_t len;
		int64_t rc;
	} cases[] = {
		{ DFU_SMP_OP_READ, 99, 0, empty_map, 1, DFU_SMP_MGMT_ERR_ENOTSUP },
		{ DFU_SMP_OP_READ, 0, 99, empty_map, 1, DFU_SMP_MGMT_ERR_ENOTSUP },
		{ DFU_SMP_OP_WRITE, 0, DFU_SMP_MGMT_OS_PARAMS, empty_map, 1,
		  DFU_SMP_MGMT_ERR_ENOTSUP },
		{ DFU_SMP_OP_WRITE, 0, DFU_SMP_MGMT_OS_ECHO, garbage, 2, DFU_SMP_MGMT_ERR_EINVAL },
		{ DFU_SMP_OP_WRITE, 0, DFU_SMP_MGMT_OS_ECHO, empty_map, 0,
		  DFU_SMP_MGMT_ERR_EINVAL },
		{ DFU_SMP_OP_WRITE, 0, DFU_SMP_MGMT_OS_ECHO, echo_bytes, sizeof(echo_bytes),
		  DFU_SMP_MGMT_ERR_EINVAL },
		{ DFU_SMP_OP_WRITE, 0, DFU_SMP_MGMT_OS_ECHO, dup_keys, sizeof(dup_keys),
		  DFU_SMP_MGMT_ERR_EINVAL },
		{ DFU_SMP_OP_WRITE, 0, DFU_SMP_MGMT_OS_ECHO, indef_text, sizeof(indef_text),
		  DFU_SMP_MGMT_ERR_EINVAL },
		{ DFU_SMP_OP_WRITE, 0, DFU_SMP_MGMT_OS_ECHO, array, 1, DFU_SMP_MGMT_ERR_EINVAL },
	};
	struct dfu_smp_conn *conn = open_sim(247);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfu_smp_mgmt_reply reply;

		assert_int_equal(raw_status(conn, cases[i].op, cases[i].group, cases[i].id,
					    cases[i].payload, cases[i].len, &reply),
				 -EREMOTEIO);
		assert_int_equal(reply.kind, DFU_SMP_MGMT_REPLY_RC);
		assert_int_equal(reply.rc, cases[i].rc);
		dfu_smp_mgmt_reply_close(&reply);
	}
	dfu_smp_conn_close(conn);
}

static void echo_of_an_empty_map_is_empty(void **state)
{
	static const uint8_t empty_map[] = { 0xa0 };
	struct dfu_smp_conn *conn = open_sim(247);
	struct dfu_smp_mgmt_reply reply;

	(void)state;
	assert_int_equal(
		raw_status(conn, DFU_SMP_OP_READ, 0, DFU_SMP_MGMT_OS_ECHO, empty_map, 1, &reply),
		0);
	dfu_smp_mgmt_reply_close(&reply);
	dfu_smp_conn_close(conn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(echo_lengths_at_every_mtu),
		cmocka_unit_test(params_arrive_in_several_notifications_at_mtu_23),
		cmocka_unit_test(device_errors_come_back_as_rc),
		cmocka_unit_test(echo_of_an_empty_map_is_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
