/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The GATT DFU SMP client (seed API): every error path of the original module, response
 * reassembly across notifications at several MTUs, and what it adds (timeout, matching, never
 * reading past a notification).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/smp/bt_dfu_smp.h>
#include <dfu-smp/smp/header.h>

#define MAX_PARTS 4096

/* A fake GATT port and a recorder of the client's callbacks. */
static struct fake {
	struct bt_dfu_smp_gatt gatt;
	uint16_t mtu;
	int subscribe_calls;
	uint16_t sub_value, sub_ccc;
	int subscribe_err;
	int write_calls;
	uint16_t write_handle;
	uint8_t written[600];
	size_t written_len;
	int write_err;
	int fail_write_at; /* fail the write with this call number (1-based), 0 never */
	uint8_t stream[8192]; /* every write, back to back */
	size_t stream_len;
	size_t longest_write;

	int errors[32];
	int error_count;
	uint8_t rsp[70000];
	size_t rsp_len;
	size_t parts;
	size_t offsets[MAX_PARTS];
	size_t chunk_sizes[MAX_PARTS];
	bool last[MAX_PARTS];
	size_t total;
	/* sends this command from the last part's callback */
	const uint8_t *chain_cmd;
	size_t chain_len;
	int chain_result;
} F;

static struct bt_dfu_smp dfu;

static int fake_write(struct bt_dfu_smp_gatt *gatt, uint16_t handle, const uint8_t *data,
		      uint16_t len)
{
	assert_ptr_equal(gatt, &F.gatt);
	F.write_calls++;
	if (F.fail_write_at && F.write_calls == F.fail_write_at) {
		return -ENOBUFS;
	}
	F.write_handle = handle;
	assert_true(len <= sizeof(F.written));
	assert_true(len <= F.mtu - 3u);
	memcpy(F.written, data, len);
	F.written_len = len;
	assert_true(F.stream_len + len <= sizeof(F.stream));
	memcpy(F.stream + F.stream_len, data, len);
	F.stream_len += len;
	if (len > F.longest_write) {
		F.longest_write = len;
	}
	return F.write_err;
}

static int fake_subscribe(struct bt_dfu_smp_gatt *gatt, uint16_t value_handle, uint16_t ccc_handle)
{
	assert_ptr_equal(gatt, &F.gatt);
	F.subscribe_calls++;
	F.sub_value = value_handle;
	F.sub_ccc = ccc_handle;
	return F.subscribe_err;
}

static uint16_t fake_mtu(struct bt_dfu_smp_gatt *gatt)
{
	(void)gatt;
	return F.mtu;
}

static const struct bt_dfu_smp_gatt_ops fake_ops = {
	.write_without_rsp = fake_write,
	.subscribe = fake_subscribe,
	.get_mtu = fake_mtu,
};

static void on_error(struct bt_dfu_smp *d, int err)
{
	assert_ptr_equal(d, &dfu);
	assert_true(F.error_count < 32);
	F.errors[F.error_count++] = err;
}

static void on_part(struct bt_dfu_smp *d)
{
	const struct bt_dfu_smp_rsp_state *s = bt_dfu_smp_rsp_state(d);

	assert_true(F.parts < MAX_PARTS);
	F.offsets[F.parts] = s->offset;
	F.chunk_sizes[F.parts] = s->chunk_size;
	F.last[F.parts] = bt_dfu_smp_rsp_total_check(d);
	F.total = s->total_size;
	assert_true(s->offset + s->chunk_size <= sizeof(F.rsp));
	memcpy(F.rsp + s->offset, s->data, s->chunk_size);
	F.rsp_len = s->offset + s->chunk_size;
	F.parts++;
	if (F.last[F.parts - 1] && F.chain_cmd) {
		F.chain_result = bt_dfu_smp_command(d, on_part, F.chain_len, F.chain_cmd);
		F.chain_cmd = NULL;
	}
}

static struct bt_dfu_smp_discovery_desc descs[2];
static struct bt_dfu_smp_discovery_chrc chrcs[2];
static struct bt_dfu_smp_discovery dm;

/* A discovery result as a port fills it: another characteristic, then the SMP one. */
static void make_discovery(void)
{
	memset(&dm, 0, sizeof(dm));
	memset(chrcs, 0, sizeof(chrcs));
	memset(descs, 0, sizeof(descs));
	chrcs[0].uuid = BT_DFU_SMP_UUID_CCC; /* any other UUID */
	chrcs[0].uuid.val[12] = 0x00;
	chrcs[0].uuid.val[13] = 0x2a;
	chrcs[0].value_handle = 9;
	descs[0].uuid = BT_DFU_SMP_UUID_CCC;
	descs[0].handle = 12;
	chrcs[1].uuid = BT_DFU_SMP_UUID_CHAR;
	chrcs[1].value_handle = 11;
	chrcs[1].properties = BT_DFU_SMP_CHRC_WRITE_WITHOUT_RESP | BT_DFU_SMP_CHRC_NOTIFY;
	chrcs[1].descs = descs;
	chrcs[1].desc_count = 1;
	dm.conn = &F.gatt;
	dm.service_uuid = BT_DFU_SMP_UUID_SERVICE;
	dm.chrcs = chrcs;
	dm.chrc_count = 2;
}

static int setup(void **state)
{
	const struct bt_dfu_smp_init_params params = { .error_cb = on_error };

	(void)state;
	memset(&F, 0, sizeof(F));
	F.gatt.ops = &fake_ops;
	F.mtu = 23;
	make_discovery();
	assert_int_equal(bt_dfu_smp_init(&dfu, &params), 0);
	assert_int_equal(bt_dfu_smp_handles_assign(&dm, &dfu), 0);
	return 0;
}

/* An SMP message of @p payload_len pattern bytes. */
static size_t make_msg(uint8_t *out, uint8_t op, uint16_t group, uint8_t seq, uint8_t id,
		       size_t payload_len)
{
	struct dfu_smp_hdr hdr = { .op = op, .version = 2, .len = (uint16_t)payload_len,
			       .group = group, .seq = seq, .id = id };

	dfu_smp_hdr_encode(&hdr, out);
	for (size_t i = 0; i < payload_len; i++) {
		out[DFU_SMP_HDR_SIZE + i] = (uint8_t)(i * 7 + 3);
	}
	return DFU_SMP_HDR_SIZE + payload_len;
}

/* Delivers a notification from a buffer of exactly @p len bytes (ASan catches over-reads). */
static void notify(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	if (len) {
		memcpy(copy, data, len);
	}
	bt_dfu_smp_notify(&dfu, copy, len);
	free(copy);
}

static uint8_t cmd[600];
static size_t cmd_len;

static void send_cmd(uint8_t op, uint16_t group, uint8_t seq, uint8_t id)
{
	cmd_len = make_msg(cmd, op, group, seq, id, 4);
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, cmd_len, cmd), 0);
}

/* ---- init ---- */

static void init_needs_an_error_callback(void **state)
{
	const struct bt_dfu_smp_init_params none = { 0 };
	const struct bt_dfu_smp_init_params ok = { .error_cb = on_error };
	struct bt_dfu_smp d;

	(void)state;
	assert_int_equal(bt_dfu_smp_init(&d, &none), -EINVAL);
	assert_int_equal(bt_dfu_smp_init(&d, NULL), -EINVAL);
	assert_int_equal(bt_dfu_smp_init(NULL, &ok), -EINVAL);
}

static void init_clears_the_object(void **state)
{
	const struct bt_dfu_smp_init_params ok = { .error_cb = on_error };
	struct bt_dfu_smp d;

	(void)state;
	memset(&d, 0xa5, sizeof(d));
	assert_int_equal(bt_dfu_smp_init(&d, &ok), 0);
	assert_null(bt_dfu_smp_conn(&d));
	assert_null(d.rsp_part);
	assert_int_equal(d.link.smp_handle, 0);
	assert_int_equal(d.link.ccc_handle, 0);
	assert_false(d.link.subscribed);
	assert_int_equal(bt_dfu_smp_deadline(&d), UINT64_MAX);
}

/* ---- handles_assign ---- */

static void assign_records_handles_and_connection(void **state)
{
	(void)state;
	assert_ptr_equal(bt_dfu_smp_conn(&dfu), &F.gatt);
	assert_int_equal(dfu.link.smp_handle, 11);
	assert_int_equal(dfu.link.ccc_handle, 12);
}

static void assign_rejects_another_service(void **state)
{
	struct bt_dfu_smp fresh;
	const struct bt_dfu_smp_init_params ok = { .error_cb = on_error };

	(void)state;
	bt_dfu_smp_init(&fresh, &ok);
	dm.service_uuid.val[0] ^= 1;
	assert_int_equal(bt_dfu_smp_handles_assign(&dm, &fresh), -ENOTSUP);
	assert_null(bt_dfu_smp_conn(&fresh));
}

static void assign_needs_the_characteristic(void **state)
{
	(void)state;
	dm.chrc_count = 1; /* only the other characteristic */
	assert_int_equal(bt_dfu_smp_handles_assign(&dm, &dfu), -EINVAL);
	dm.chrc_count = 0;
	assert_int_equal(bt_dfu_smp_handles_assign(&dm, &dfu), -EINVAL);
}

static void assign_needs_the_value_handle(void **state)
{
	(void)state;
	chrcs[1].value_handle = 0;
	assert_int_equal(bt_dfu_smp_handles_assign(&dm, &dfu), -EINVAL);
}

static void assign_needs_the_ccc(void **state)
{
	(void)state;
	chrcs[1].desc_count = 0;
	assert_int_equal(bt_dfu_smp_handles_assign(&dm, &dfu), -EINVAL);
	chrcs[1].desc_count = 1;
	descs[0].uuid.val[12] = 0x01; /* 0x2901, not the CCC */
	assert_int_equal(bt_dfu_smp_handles_assign(&dm, &dfu), -EINVAL);
	descs[0].uuid = BT_DFU_SMP_UUID_CCC;
	descs[0].handle = 0;
	assert_int_equal(bt_dfu_smp_handles_assign(&dm, &dfu), -EINVAL);
}

static void assign_rejects_null_arguments(void **state)
{
	(void)state;
	assert_int_equal(bt_dfu_smp_handles_assign(NULL, &dfu), -EINVAL);
	assert_int_equal(bt_dfu_smp_handles_assign(&dm, NULL), -EINVAL);
	dm.conn = NULL;
	assert_int_equal(bt_dfu_smp_handles_assign(&dm, &dfu), -EINVAL);
}

/* ---- command ---- */

static void command_rejects_bad_arguments(void **state)
{
	uint8_t m[16];
	size_t n = make_msg(m, DFU_SMP_OP_WRITE, 0, 1, 0, 4);

	(void)state;
	assert_int_equal(bt_dfu_smp_command(NULL, on_part, n, m), -EINVAL);
	assert_int_equal(bt_dfu_smp_command(&dfu, NULL, n, m), -EINVAL);
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, n, NULL), -EINVAL);
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, 0, m), -EINVAL);
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, DFU_SMP_HDR_SIZE - 1, m), -EINVAL);
	assert_int_equal(F.write_calls, 0);
}

static void command_needs_a_connection(void **state)
{
	const struct bt_dfu_smp_init_params ok = { .error_cb = on_error };
	struct bt_dfu_smp fresh;
	uint8_t m[16];
	size_t n = make_msg(m, DFU_SMP_OP_WRITE, 0, 1, 0, 4);

	(void)state;
	bt_dfu_smp_init(&fresh, &ok);
	assert_int_equal(bt_dfu_smp_command(&fresh, on_part, n, m), -ENXIO);
}

static void command_must_fit_one_write(void **state)
{
	static const uint16_t mtus[] = { 23, 64, 247, 498, 517 };
	uint8_t m[600];

	(void)state;
	for (size_t i = 0; i < sizeof(mtus) / sizeof(mtus[0]); i++) {
		size_t fits = mtus[i] - 3u;

		F.mtu = mtus[i];
		make_msg(m, DFU_SMP_OP_WRITE, 0, 1, 0, fits - DFU_SMP_HDR_SIZE + 1);
		assert_int_equal(bt_dfu_smp_command(&dfu, on_part, fits + 1, m), -EMSGSIZE);
		make_msg(m, DFU_SMP_OP_WRITE, 0, 1, 0, fits - DFU_SMP_HDR_SIZE);
		assert_int_equal(bt_dfu_smp_command(&dfu, on_part, fits, m), 0);
		assert_int_equal(F.written_len, fits);
		assert_memory_equal(F.written, m, fits);
		bt_dfu_smp_abort(&dfu);
	}
}

static void command_sends_one_write_and_subscribes_once(void **state)
{
	(void)state;
	send_cmd(DFU_SMP_OP_WRITE, 0, 1, 0);
	assert_int_equal(F.subscribe_calls, 1);
	assert_int_equal(F.sub_value, 11);
	assert_int_equal(F.sub_ccc, 12);
	assert_int_equal(F.write_calls, 1);
	assert_int_equal(F.write_handle, 11);
	assert_int_equal(F.written_len, cmd_len);
	assert_memory_equal(F.written, cmd, cmd_len);

	bt_dfu_smp_abort(&dfu);
	send_cmd(DFU_SMP_OP_WRITE, 0, 2, 0);
	assert_int_equal(F.subscribe_calls, 1);
	assert_int_equal(F.write_calls, 2);
}

static void command_is_busy_while_a_response_arrives(void **state)
{
	uint8_t rsp[64];
	size_t n;

	(void)state;
	send_cmd(DFU_SMP_OP_READ, 0, 1, 6);
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, cmd_len, cmd), -EBUSY);
	n = make_msg(rsp, DFU_SMP_OP_READ_RSP, 0, 1, 6, 30);
	notify(rsp, 20); /* first part only */
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, cmd_len, cmd), -EBUSY);
	notify(rsp + 20, n - 20);
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, cmd_len, cmd), 0);
	assert_int_equal(F.error_count, 0);
}

static void failed_subscription_is_returned(void **state)
{
	(void)state;
	F.subscribe_err = -EACCES;
	cmd_len = make_msg(cmd, DFU_SMP_OP_WRITE, 0, 1, 0, 4);
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, cmd_len, cmd), -EACCES);
	assert_int_equal(F.write_calls, 0);
	F.subscribe_err = 0;
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, cmd_len, cmd), 0);
	assert_int_equal(F.subscribe_calls, 2);
}

static void failed_write_is_returned_and_frees_the_client(void **state)
{
	(void)state;
	F.write_err = -ENOMEM;
	cmd_len = make_msg(cmd, DFU_SMP_OP_WRITE, 0, 1, 0, 4);
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, cmd_len, cmd), -ENOMEM);
	F.write_err = 0;
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, cmd_len, cmd), 0);
}

/* ---- responses ---- */

/* Splits @p msg into notifications of at most @p chunk bytes. */
static void notify_in_parts(const uint8_t *msg, size_t len, size_t chunk)
{
	for (size_t off = 0; off < len; off += chunk) {
		notify(msg + off, len - off < chunk ? len - off : chunk);
	}
}

static void long_response_is_reassembled_at_every_mtu(void **state)
{
	static const uint16_t mtus[] = { 23, 64, 247, 498, 517 };
	static uint8_t rsp[1200];

	(void)state;
	for (size_t i = 0; i < sizeof(mtus) / sizeof(mtus[0]); i++) {
		size_t chunk = mtus[i] - 3u;
		size_t n = make_msg(rsp, DFU_SMP_OP_READ_RSP, 8, (uint8_t)i, 0, 1100);
		size_t expected_parts = (n + chunk - 1) / chunk;

		F.parts = 0;
		send_cmd(DFU_SMP_OP_READ, 8, (uint8_t)i, 0);
		notify_in_parts(rsp, n, chunk);
		assert_int_equal(F.parts, expected_parts);
		assert_int_equal(F.total, n);
		assert_int_equal(F.rsp_len, n);
		assert_memory_equal(F.rsp, rsp, n);
		for (size_t p = 0; p < F.parts; p++) {
			assert_int_equal(F.offsets[p], p * chunk);
			assert_int_equal(F.last[p], p + 1 == F.parts);
		}
	}
	assert_int_equal(F.error_count, 0);
}

static void notification_without_a_command_is_eio(void **state)
{
	uint8_t rsp[32];
	size_t n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 0, 1, 0, 4);

	(void)state;
	notify(rsp, n);
	assert_int_equal(F.error_count, 1);
	assert_int_equal(F.errors[0], -EIO);
	assert_int_equal(F.parts, 0);
}

static void first_part_shorter_than_header_is_einval_and_resets(void **state)
{
	uint8_t rsp[32];
	size_t n;

	(void)state;
	send_cmd(DFU_SMP_OP_WRITE, 0, 1, 0);
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 0, 1, 0, 4);
	notify(rsp, 7);
	assert_int_equal(F.error_count, 1);
	assert_int_equal(F.errors[0], -EINVAL);
	assert_int_equal(F.parts, 0);
	/* reset: a new command can go, and the rest of that response is stray */
	notify(rsp + 7, n - 7);
	assert_int_equal(F.errors[1], -EIO);
	send_cmd(DFU_SMP_OP_WRITE, 0, 2, 0);
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 0, 2, 0, 4);
	notify(rsp, n);
	assert_int_equal(F.parts, 1);
	assert_true(F.last[0]);
}

static void empty_notification_while_waiting_is_einval(void **state)
{
	(void)state;
	send_cmd(DFU_SMP_OP_WRITE, 0, 1, 0);
	notify(NULL, 0);
	assert_int_equal(F.error_count, 1);
	assert_int_equal(F.errors[0], -EINVAL);
	send_cmd(DFU_SMP_OP_WRITE, 0, 2, 0);
}

static void timeout_reports_and_recovers(void **state)
{
	uint8_t rsp[32];
	size_t n;

	(void)state;
	bt_dfu_smp_process(&dfu, 1000);
	send_cmd(DFU_SMP_OP_WRITE, 0, 1, 0);
	assert_int_equal(bt_dfu_smp_deadline(&dfu), 1000 + BT_DFU_SMP_TIMEOUT_DEFAULT_MS);
	bt_dfu_smp_process(&dfu, 1000 + BT_DFU_SMP_TIMEOUT_DEFAULT_MS - 1);
	assert_int_equal(F.error_count, 0);
	bt_dfu_smp_process(&dfu, 1000 + BT_DFU_SMP_TIMEOUT_DEFAULT_MS);
	assert_int_equal(F.error_count, 1);
	assert_int_equal(F.errors[0], -ETIMEDOUT);
	assert_int_equal(bt_dfu_smp_deadline(&dfu), UINT64_MAX);
	/* the late answer is stray, and the next command works */
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 0, 1, 0, 4);
	notify(rsp, n);
	assert_int_equal(F.errors[1], -EIO);
	send_cmd(DFU_SMP_OP_WRITE, 0, 2, 0);
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 0, 2, 0, 4);
	notify(rsp, n);
	assert_int_equal(F.parts, 1);
}

static void timeout_can_be_set_or_turned_off(void **state)
{
	const struct bt_dfu_smp_init_params shorter = { .error_cb = on_error, .timeout_ms = 250 };
	const struct bt_dfu_smp_init_params never = { .error_cb = on_error,
						      .timeout_ms = BT_DFU_SMP_TIMEOUT_NONE };

	(void)state;
	bt_dfu_smp_init(&dfu, &shorter);
	bt_dfu_smp_handles_assign(&dm, &dfu);
	send_cmd(DFU_SMP_OP_WRITE, 0, 1, 0);
	bt_dfu_smp_process(&dfu, 250);
	assert_int_equal(F.errors[0], -ETIMEDOUT);

	bt_dfu_smp_init(&dfu, &never);
	bt_dfu_smp_handles_assign(&dm, &dfu);
	send_cmd(DFU_SMP_OP_WRITE, 0, 1, 0);
	assert_int_equal(bt_dfu_smp_deadline(&dfu), UINT64_MAX);
	bt_dfu_smp_process(&dfu, UINT64_MAX - 1);
	assert_int_equal(F.error_count, 1);
}

static void response_to_another_command_is_not_delivered(void **state)
{
	uint8_t rsp[64];
	size_t n;

	(void)state;
	send_cmd(DFU_SMP_OP_READ, 1, 5, 0);
	/* wrong seq, wrong group, wrong id, wrong op: each dropped whole, across parts */
	n = make_msg(rsp, DFU_SMP_OP_READ_RSP, 1, 4, 0, 30);
	notify_in_parts(rsp, n, 20);
	n = make_msg(rsp, DFU_SMP_OP_READ_RSP, 2, 5, 0, 30);
	notify_in_parts(rsp, n, 20);
	n = make_msg(rsp, DFU_SMP_OP_READ_RSP, 1, 5, 1, 4);
	notify(rsp, n);
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 1, 5, 0, 4);
	notify(rsp, n);
	assert_int_equal(F.parts, 0);
	assert_int_equal(F.error_count, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(F.errors[i], -EBADMSG);
	}
	/* still waiting: the real answer is delivered */
	n = make_msg(rsp, DFU_SMP_OP_READ_RSP, 1, 5, 0, 30);
	notify_in_parts(rsp, n, 20);
	assert_int_equal(F.parts, 2);
	assert_true(F.last[1]);
	assert_memory_equal(F.rsp, rsp, n);
}

static void bytes_beyond_the_response_are_not_delivered(void **state)
{
	uint8_t rsp[64];
	size_t n;

	(void)state;
	send_cmd(DFU_SMP_OP_WRITE, 0, 1, 0);
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 0, 1, 0, 4);
	memset(rsp + n, 0xee, 10);
	notify(rsp, n + 10);
	assert_int_equal(F.parts, 1);
	assert_int_equal(F.chunk_sizes[0], n);
	assert_int_equal(F.total, n);
	assert_int_equal(F.error_count, 1);
	assert_int_equal(F.errors[0], -EIO);
}

static void header_claiming_more_than_arrives_waits_then_times_out(void **state)
{
	uint8_t rsp[64];

	(void)state;
	bt_dfu_smp_process(&dfu, 0);
	send_cmd(DFU_SMP_OP_WRITE, 0, 1, 0);
	make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 0, 1, 0, 4);
	rsp[2] = 0xff; /* claims 65535+ bytes; only 12 arrive */
	rsp[3] = 0xff;
	notify(rsp, 12);
	assert_int_equal(F.parts, 1);
	assert_int_equal(F.chunk_sizes[0], 12);
	assert_false(F.last[0]);
	assert_int_equal(F.total, DFU_SMP_HDR_SIZE + 0xffffu);
	bt_dfu_smp_process(&dfu, BT_DFU_SMP_TIMEOUT_DEFAULT_MS);
	assert_int_equal(F.errors[0], -ETIMEDOUT);
}

static void next_command_may_be_sent_from_the_last_part(void **state)
{
	uint8_t rsp[32], next[16];
	size_t n;

	(void)state;
	send_cmd(DFU_SMP_OP_WRITE, 0, 1, 0);
	F.chain_len = make_msg(next, DFU_SMP_OP_WRITE, 0, 2, 0, 4);
	F.chain_cmd = next;
	F.chain_result = 1;
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 0, 1, 0, 4);
	notify(rsp, n);
	assert_int_equal(F.chain_result, 0);
	assert_int_equal(F.written_len, F.chain_len);
	assert_memory_equal(F.written, next, F.chain_len);
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 0, 2, 0, 4);
	notify(rsp, n);
	assert_int_equal(F.parts, 2);
	assert_int_equal(F.error_count, 0);
}

static void port_errors_end_the_command(void **state)
{
	(void)state;
	send_cmd(DFU_SMP_OP_WRITE, 0, 1, 0);
	bt_dfu_smp_subscribed(&dfu, 0);
	bt_dfu_smp_written(&dfu, 0);
	assert_int_equal(F.error_count, 0);
	bt_dfu_smp_written(&dfu, -EIO);
	assert_int_equal(F.errors[0], -EIO);

	send_cmd(DFU_SMP_OP_WRITE, 0, 2, 0);
	bt_dfu_smp_subscribed(&dfu, -EACCES);
	assert_int_equal(F.errors[1], -EACCES);
	send_cmd(DFU_SMP_OP_WRITE, 0, 3, 0);
	assert_int_equal(F.subscribe_calls, 2); /* subscribes again */
}

static void disconnection_ends_the_command_and_forgets_the_link(void **state)
{
	(void)state;
	send_cmd(DFU_SMP_OP_WRITE, 0, 1, 0);
	bt_dfu_smp_disconnected(&dfu);
	assert_int_equal(F.errors[0], -ENOTCONN);
	assert_null(bt_dfu_smp_conn(&dfu));
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, cmd_len, cmd), -ENXIO);
	assert_int_equal(bt_dfu_smp_handles_assign(&dm, &dfu), 0);
	send_cmd(DFU_SMP_OP_WRITE, 0, 2, 0);
	assert_int_equal(F.subscribe_calls, 2);
}

/* ---- beyond the seed: pipeline and reassembly ---- */

/* Records which callback got each complete response. */
static int pipeline_order[8];
static int pipeline_done;

static void on_part_a(struct bt_dfu_smp *d)
{
	if (bt_dfu_smp_rsp_total_check(d)) {
		pipeline_order[pipeline_done++] = 'a';
	}
}

static void on_part_b(struct bt_dfu_smp *d)
{
	if (bt_dfu_smp_rsp_total_check(d)) {
		pipeline_order[pipeline_done++] = 'b';
	}
}

static void pipeline_depth_is_checked(void **state)
{
	(void)state;
	assert_int_equal(bt_dfu_smp_set_pipeline(&dfu, 0), -EINVAL);
	assert_int_equal(bt_dfu_smp_set_pipeline(&dfu, BT_DFU_SMP_PIPELINE_MAX + 1), -EINVAL);
	assert_int_equal(bt_dfu_smp_set_pipeline(&dfu, BT_DFU_SMP_PIPELINE_MAX), 0);
	for (unsigned i = 0; i < BT_DFU_SMP_PIPELINE_MAX; i++) {
		send_cmd(DFU_SMP_OP_WRITE, 1, (uint8_t)i, 1);
	}
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, cmd_len, cmd), -EBUSY);
}

static void pipelined_responses_reach_their_commands_in_any_order(void **state)
{
	uint8_t a[16], b[16], rsp[64];
	size_t na, nb, n;

	(void)state;
	pipeline_done = 0;
	assert_int_equal(bt_dfu_smp_set_pipeline(&dfu, 2), 0);
	na = make_msg(a, DFU_SMP_OP_WRITE, 1, 10, 1, 4);
	nb = make_msg(b, DFU_SMP_OP_WRITE, 1, 11, 1, 4);
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part_a, na, a), 0);
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part_b, nb, b), 0);
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, na, a), -EBUSY);
	/* b answered first, over two notifications; then a stray; then a */
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 1, 11, 1, 30);
	notify(rsp, 20);
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, na, a), -EBUSY); /* b still arriving */
	notify(rsp + 20, n - 20);
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 1, 12, 1, 4);
	notify(rsp, n);
	assert_int_equal(F.errors[0], -EBADMSG);
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 1, 10, 1, 4);
	notify(rsp, n);
	assert_int_equal(pipeline_done, 2);
	assert_int_equal(pipeline_order[0], 'b');
	assert_int_equal(pipeline_order[1], 'a');
	assert_int_equal(F.error_count, 1);
}

static void pipelined_timeouts_end_the_oldest_first(void **state)
{
	const struct bt_dfu_smp_init_params p = { .error_cb = on_error, .timeout_ms = 100 };
	uint8_t rsp[32];
	size_t n;

	(void)state;
	bt_dfu_smp_init(&dfu, &p);
	bt_dfu_smp_handles_assign(&dm, &dfu);
	bt_dfu_smp_set_pipeline(&dfu, 4);
	send_cmd(DFU_SMP_OP_WRITE, 1, 1, 1);
	bt_dfu_smp_process(&dfu, 50);
	send_cmd(DFU_SMP_OP_WRITE, 1, 2, 1);
	assert_int_equal(bt_dfu_smp_deadline(&dfu), 100);
	bt_dfu_smp_process(&dfu, 100);
	assert_int_equal(F.error_count, 1);
	assert_int_equal(F.errors[0], -ETIMEDOUT);
	assert_int_equal(bt_dfu_smp_deadline(&dfu), 150);
	/* the late answer of the first is dropped; the second's is delivered */
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 1, 1, 1, 4);
	notify(rsp, n);
	assert_int_equal(F.errors[1], -EBADMSG);
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 1, 2, 1, 4);
	notify(rsp, n);
	assert_int_equal(F.parts, 1);
	assert_int_equal(bt_dfu_smp_deadline(&dfu), UINT64_MAX);
}

static void cancel_forgets_one_command(void **state)
{
	uint8_t rsp[32];
	size_t n;

	(void)state;
	bt_dfu_smp_set_pipeline(&dfu, 2);
	send_cmd(DFU_SMP_OP_WRITE, 1, 1, 1);
	send_cmd(DFU_SMP_OP_WRITE, 1, 2, 1);
	assert_int_equal(bt_dfu_smp_cancel(&dfu, 1), 0);
	assert_int_equal(bt_dfu_smp_cancel(&dfu, 1), -ENOENT);
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 1, 1, 1, 4);
	notify(rsp, n);
	assert_int_equal(F.errors[0], -EBADMSG);
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 1, 2, 1, 4);
	notify(rsp, n);
	assert_int_equal(F.parts, 1);
	bt_dfu_smp_abort(&dfu);
	notify(rsp, n);
	assert_int_equal(F.errors[1], -EIO);
}

static void long_command_is_split_only_with_reassembly(void **state)
{
	static const uint16_t mtus[] = { 23, 64, 247 };
	static uint8_t big[2475];

	(void)state;
	for (size_t i = 0; i < sizeof(mtus) / sizeof(mtus[0]); i++) {
		size_t n = make_msg(big, DFU_SMP_OP_WRITE, 1, (uint8_t)i, 1, 1000);

		F.mtu = mtus[i];
		F.stream_len = 0;
		F.longest_write = 0;
		F.write_calls = 0;
		bt_dfu_smp_set_reassembly(&dfu, 0);
		assert_int_equal(bt_dfu_smp_max_command(&dfu), mtus[i] - 3u);
		assert_int_equal(bt_dfu_smp_command(&dfu, on_part, n, big), -EMSGSIZE);
		bt_dfu_smp_set_reassembly(&dfu, 2475);
		assert_int_equal(bt_dfu_smp_max_command(&dfu), 2475);
		assert_int_equal(bt_dfu_smp_command(&dfu, on_part, n, big), 0);
		assert_int_equal(F.write_calls, (int)((n + mtus[i] - 4) / (mtus[i] - 3u)));
		assert_int_equal(F.longest_write, mtus[i] - 3u);
		assert_int_equal(F.stream_len, n);
		assert_memory_equal(F.stream, big, n);
		bt_dfu_smp_abort(&dfu);
	}
	/* longer than the peer takes */
	bt_dfu_smp_set_reassembly(&dfu, 500);
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, 501, big), -EMSGSIZE);
}

static void failed_write_in_a_split_command_cancels_it(void **state)
{
	static uint8_t big[400];
	size_t n = make_msg(big, DFU_SMP_OP_WRITE, 1, 7, 1, 300);

	(void)state;
	F.mtu = 23;
	bt_dfu_smp_set_reassembly(&dfu, 2475);
	F.fail_write_at = 3;
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part, n, big), -ENOBUFS);
	F.fail_write_at = 0;
	assert_int_equal(bt_dfu_smp_cancel(&dfu, 7), -ENOENT);
	send_cmd(DFU_SMP_OP_WRITE, 1, 8, 1); /* not busy */
}

/* ---- a command ended while its response arrives ---- */

/* What the callback below does from the first part's callback. */
static bool end_by_cancel; /* bt_dfu_smp_cancel() of its own command, else bt_dfu_smp_abort() */
static int end_result;
static uint8_t end_next[16]; /* sent from there too when end_next_len > 0 */
static size_t end_next_len;
static int end_next_result;

static void on_part_ending_itself(struct bt_dfu_smp *d)
{
	on_part(d);
	if (F.parts != 1) {
		return;
	}
	if (end_by_cancel) {
		end_result = bt_dfu_smp_cancel(d, 1);
	} else {
		bt_dfu_smp_abort(d);
	}
	if (end_next_len) {
		end_next_result = bt_dfu_smp_command(d, on_part, end_next_len, end_next);
	}
}

/* Command seq 1, whose 38-byte response ends it from its first part's callback. */
static void send_self_ending(bool by_cancel, bool send_next, uint8_t *rsp, size_t *rsp_len)
{
	uint8_t m[16];
	size_t n = make_msg(m, DFU_SMP_OP_READ, 0, 1, 6, 4);

	end_by_cancel = by_cancel;
	end_result = 1;
	end_next_len = send_next ? make_msg(end_next, DFU_SMP_OP_WRITE, 1, 2, 1, 4) : 0;
	end_next_result = 1;
	assert_int_equal(bt_dfu_smp_command(&dfu, on_part_ending_itself, n, m), 0);
	*rsp_len = make_msg(rsp, DFU_SMP_OP_READ_RSP, 0, 1, 6, 30);
	notify(rsp, 20);
	assert_int_equal(F.parts, 1);
}

static void next_response_after_one_ended_in_its_callback_is_delivered(void **state)
{
	uint8_t rsp[64];
	size_t n;

	(void)state;
	for (int by_cancel = 0; by_cancel < 2; by_cancel++) {
		F.parts = 0;
		send_self_ending(by_cancel, true, rsp, &n);
		assert_int_equal(end_next_result, 0);
		if (by_cancel) {
			assert_int_equal(end_result, 0);
		}
		/* the rest of the ended response never comes: the next command's does */
		n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 1, 2, 1, 4);
		notify(rsp, n);
		assert_int_equal(F.parts, 2);
		assert_int_equal(F.offsets[1], 0);
		assert_int_equal(F.chunk_sizes[1], n);
		assert_true(F.last[1]);
		assert_memory_equal(F.rsp, rsp, n);
		assert_int_equal(F.error_count, 0);
	}
}

static void rest_of_a_response_ended_in_its_callback_is_dropped(void **state)
{
	uint8_t rsp[64];
	size_t n;

	(void)state;
	for (int by_cancel = 0; by_cancel < 2; by_cancel++) {
		F.parts = 0;
		send_self_ending(by_cancel, false, rsp, &n);
		notify(rsp + 20, n - 20); /* the rest comes: no more parts of it */
		assert_int_equal(F.parts, 1);
		send_cmd(DFU_SMP_OP_WRITE, 1, 2, 1);
		n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 1, 2, 1, 4);
		notify(rsp, n);
		assert_int_equal(F.parts, 2);
		assert_int_equal(F.chunk_sizes[1], n);
		assert_int_equal(F.error_count, 0);
	}
}

static void response_timed_out_half_way_does_not_swallow_the_next(void **state)
{
	uint8_t rsp[64];
	size_t n;

	(void)state;
	bt_dfu_smp_process(&dfu, 0);
	send_cmd(DFU_SMP_OP_READ, 0, 1, 6);
	n = make_msg(rsp, DFU_SMP_OP_READ_RSP, 0, 1, 6, 30);
	notify(rsp, 20);
	bt_dfu_smp_process(&dfu, BT_DFU_SMP_TIMEOUT_DEFAULT_MS);
	assert_int_equal(F.errors[0], -ETIMEDOUT);
	send_cmd(DFU_SMP_OP_WRITE, 1, 2, 1);
	n = make_msg(rsp, DFU_SMP_OP_WRITE_RSP, 1, 2, 1, 4);
	notify(rsp, n);
	assert_int_equal(F.parts, 2);
	assert_int_equal(F.chunk_sizes[1], n);
	assert_true(F.last[1]);
	assert_int_equal(F.error_count, 1);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(init_needs_an_error_callback),
		T(init_clears_the_object),
		T(assign_records_handles_and_connection),
		T(assign_rejects_another_service),
		T(assign_needs_the_characteristic),
		T(assign_needs_the_value_handle),
		T(assign_needs_the_ccc),
		T(assign_rejects_null_arguments),
		T(command_rejects_bad_arguments),
		T(command_needs_a_connection),
		T(command_must_fit_one_write),
		T(command_sends_one_write_and_subscribes_once),
		T(command_is_busy_while_a_response_arrives),
		T(failed_subscription_is_returned),
		T(failed_write_is_returned_and_frees_the_client),
		T(long_response_is_reassembled_at_every_mtu),
		T(notification_without_a_command_is_eio),
		T(first_part_shorter_than_header_is_einval_and_resets),
		T(empty_notification_while_waiting_is_einval),
		T(timeout_reports_and_recovers),
		T(timeout_can_be_set_or_turned_off),
		T(response_to_another_command_is_not_delivered),
		T(bytes_beyond_the_response_are_not_delivered),
		T(header_claiming_more_than_arrives_waits_then_times_out),
		T(next_command_may_be_sent_from_the_last_part),
		T(port_errors_end_the_command),
		T(disconnection_ends_the_command_and_forgets_the_link),
		T(pipeline_depth_is_checked),
		T(pipelined_responses_reach_their_commands_in_any_order),
		T(pipelined_timeouts_end_the_oldest_first),
		T(cancel_forgets_one_command),
		T(long_command_is_split_only_with_reassembly),
		T(failed_write_in_a_split_command_cancels_it),
		T(next_response_after_one_ended_in_its_callback_is_delivered),
		T(rest_of_a_response_ended_in_its_callback_is_dropped),
		T(response_timed_out_half_way_does_not_swallow_the_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
