/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transport-neutral SMP client: headers and sequence numbers, matching, timeouts and
 * retries, the queue and window, version fallback, transport errors, and the one completion
 * path: submit only queues, process() sends, and no callback ever runs from inside submit or
 * the transport's send.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/smp/client.h>

#define MAX_SENT 600

/* A fake transport that records what it is given. */
static struct {
	uint8_t msgs[MAX_SENT][64];
	size_t lens[MAX_SENT];
	int sent;
	int attempts; /* send() calls, failed ones included */
	int send_err;
	bool in_send;
	/* answer every send at once, from inside send(), as a transport must not */
	bool echo_back;
} T;

/* What came back to request callbacks. */
static struct {
	int calls;
	int err[64];
	struct dfu_smp_request *req[64];
	uint8_t payload[64][16];
	size_t payload_len[64];
} R;

static struct dfu_smp_client client;

static void respond(const uint8_t *request, size_t len, uint8_t version);

static int fake_send(void *ctx, const uint8_t *msg, size_t len)
{
	assert_ptr_equal(ctx, &T);
	T.attempts++;
	if (T.send_err) {
		return T.send_err;
	}
	assert_true(T.sent < MAX_SENT && len <= 64);
	memcpy(T.msgs[T.sent], msg, len);
	T.lens[T.sent] = len;
	T.sent++;
	if (T.echo_back) {
		T.in_send = true;
		respond(msg, len, 2);
		T.in_send = false;
	}
	return 0;
}

static size_t fake_max_size(void *ctx)
{
	(void)ctx;
	return 64;
}

static void on_done(struct dfu_smp_request *req, int err, const struct dfu_smp_client_rsp *rsp)
{
	int i = R.calls++;

	assert_false(T.in_send); /* never from inside the call that sent it */
	assert_true(i < 64);
	R.err[i] = err;
	R.req[i] = req;
	if (rsp) {
		assert_true(rsp->len <= 16);
		memcpy(R.payload[i], rsp->payload, rsp->len);
		R.payload_len[i] = rsp->len;
	} else {
		assert_int_not_equal(err, 0);
	}
}

static int setup_with(const struct dfu_smp_client_config *cfg)
{
	const struct dfu_smp_transport transport = {
		.send = fake_send, .max_size = fake_max_size, .ctx = &T,
	};

	memset(&T, 0, sizeof(T));
	memset(&R, 0, sizeof(R));
	dfu_smp_client_init(&client, &transport, cfg);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_with(NULL);
}

static uint8_t bufs[300][32];
static struct dfu_smp_request reqs[300];

/* A request with a 2-byte payload A0 A0 (not parsed by the client). */
static struct dfu_smp_request *make_req(int i, uint8_t op, uint16_t group, uint8_t id)
{
	struct dfu_smp_request *req = &reqs[i];

	dfu_smp_request_init(req, bufs[i], sizeof(bufs[i]));
	req->op = op;
	req->group = group;
	req->id = id;
	req->buf[DFU_SMP_HDR_SIZE] = 0xa0;
	req->buf[DFU_SMP_HDR_SIZE + 1] = (uint8_t)i;
	req->len = 2;
	req->cb = on_done;
	return req;
}

/* The device's answer to @p request: header copied, op turned into the response op. */
static void respond(const uint8_t *request, size_t len, uint8_t version)
{
	struct dfu_smp_hdr hdr;
	uint8_t msg[16];

	assert_int_equal(dfu_smp_hdr_decode(request, len, &hdr), 0);
	hdr.op = dfu_smp_hdr_rsp_op(hdr.op);
	hdr.version = version;
	hdr.len = 1;
	dfu_smp_hdr_encode(&hdr, msg);
	msg[DFU_SMP_HDR_SIZE] = request[DFU_SMP_HDR_SIZE + 1];
	dfu_smp_client_receive(&client, msg, DFU_SMP_HDR_SIZE + 1);
}

static void answer_sent(int i)
{
	respond(T.msgs[i], T.lens[i], 2);
}

/* Queues @p req: nothing is sent and no callback runs from inside. */
static int submit(struct dfu_smp_request *req)
{
	int calls = R.calls;
	int attempts = T.attempts;
	int err = dfu_smp_client_submit(&client, req);

	assert_int_equal(R.calls, calls);
	assert_int_equal(T.attempts, attempts);
	return err;
}

/* The event loop's turn, as dfu_smp_client_deadline() asks for it: now. */
static void flush(void)
{
	assert_int_equal(dfu_smp_client_deadline(&client), dfu_smp_client_now(&client));
	dfu_smp_client_process(&client, dfu_smp_client_now(&client));
}

static void header_is_written_with_fresh_sequence_numbers(void **state)
{
	struct dfu_smp_hdr hdr;

	(void)state;
	assert_int_equal(submit(make_req(0, DFU_SMP_OP_READ, 0x0102, 6)), 0);
	flush();
	assert_int_equal(T.sent, 1);
	assert_int_equal(T.lens[0], DFU_SMP_HDR_SIZE + 2);
	assert_int_equal(dfu_smp_hdr_decode(T.msgs[0], T.lens[0], &hdr), 0);
	assert_int_equal(hdr.op, DFU_SMP_OP_READ);
	assert_int_equal(hdr.version, DFU_SMP_PROTO_V2);
	assert_int_equal(hdr.flags, 0);
	assert_int_equal(hdr.len, 2);
	assert_int_equal(hdr.group, 0x0102);
	assert_int_equal(hdr.id, 6);
	assert_int_equal(hdr.seq, 0);
	answer_sent(0);
	assert_int_equal(R.calls, 1);
	assert_int_equal(R.err[0], 0);
	assert_int_equal(R.payload_len[0], 1);
	assert_int_equal(R.payload[0][0], 0);

	submit(make_req(1, DFU_SMP_OP_WRITE, 0, 0));
	flush();
	assert_int_equal(T.msgs[1][6], 1);
}

static void sequence_numbers_wrap_after_255(void **state)
{
	const struct dfu_smp_client_config cfg = { .first_seq = 254 };

	(void)state;
	setup_with(&cfg);
	for (int i = 0; i < 3; i++) {
		submit(make_req(i, DFU_SMP_OP_READ, 0, 0));
		flush();
		answer_sent(i);
	}
	assert_int_equal(T.msgs[0][6], 254);
	assert_int_equal(T.msgs[1][6], 255);
	assert_int_equal(T.msgs[2][6], 0);
	assert_int_equal(R.calls, 3);
}

static void mismatched_responses_are_dropped(void **state)
{
	struct dfu_smp_hdr hdr;
	uint8_t msg[16];

	(void)state;
	submit(make_req(0, DFU_SMP_OP_READ, 1, 0));
	flush();
	dfu_smp_hdr_decode(T.msgs[0], T.lens[0], &hdr);
	hdr.len = 0;
	/* wrong seq, group, id, op; then a message shorter than its header says */
	const struct dfu_smp_hdr wrong[] = {
		{ .op = 1, .version = 2, .group = 1, .seq = 9, .id = 0 },
		{ .op = 1, .version = 2, .group = 2, .seq = hdr.seq, .id = 0 },
		{ .op = 1, .version = 2, .group = 1, .seq = hdr.seq, .id = 1 },
		{ .op = 3, .version = 2, .group = 1, .seq = hdr.seq, .id = 0 },
		{ .op = 1, .version = 2, .group = 1, .seq = hdr.seq, .id = 0, .len = 5 },
	};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		dfu_smp_hdr_encode(&wrong[i], msg);
		dfu_smp_client_receive(&client, msg, DFU_SMP_HDR_SIZE);
	}
	dfu_smp_client_receive(&client, msg, 3);
	assert_int_equal(R.calls, 0);
	assert_int_equal(dfu_smp_client_stats(&client)->dropped, 6);
	/* of those, the last two are no SMP message at all */
	assert_int_equal(dfu_smp_client_stats(&client)->malformed, 2);
	answer_sent(0);
	assert_int_equal(R.calls, 1);
	assert_int_equal(R.err[0], 0);
}

static void timeout_then_late_answer_is_dropped(void **state)
{
	(void)state;
	dfu_smp_client_process(&client, 100);
	make_req(0, DFU_SMP_OP_READ, 0, 0)->timeout_ms = 50;
	submit(&reqs[0]);
	assert_int_equal(dfu_smp_client_deadline(&client), 100); /* to be sent */
	dfu_smp_client_process(&client, 100);
	assert_int_equal(dfu_smp_client_deadline(&client), 150); /* sent: its timeout */
	dfu_smp_client_process(&client, 149);
	assert_int_equal(R.calls, 0);
	dfu_smp_client_process(&client, 150);
	assert_int_equal(R.calls, 1);
	assert_int_equal(R.err[0], -ETIMEDOUT);
	assert_int_equal(dfu_smp_client_deadline(&client), UINT64_MAX);
	answer_sent(0);
	assert_int_equal(R.calls, 1);
	assert_int_equal(dfu_smp_client_stats(&client)->dropped, 1);
}

static void timeout_counts_from_the_send_not_the_submit(void **state)
{
	(void)state;
	dfu_smp_client_process(&client, 100);
	make_req(0, DFU_SMP_OP_READ, 0, 0)->timeout_ms = 50;
	submit(&reqs[0]);
	dfu_smp_client_process(&client, 130); /* the loop came round late */
	assert_int_equal(T.sent, 1);
	assert_int_equal(dfu_smp_client_deadline(&client), 180);
}

static void default_timeout_comes_from_the_config(void **state)
{
	const struct dfu_smp_client_config cfg = { .timeout_ms = 1234 };

	(void)state;
	setup_with(&cfg);
	submit(make_req(0, DFU_SMP_OP_READ, 0, 0));
	flush();
	assert_int_equal(dfu_smp_client_deadline(&client), 1234);
	setup_with(NULL);
	submit(make_req(0, DFU_SMP_OP_READ, 0, 0));
	flush();
	assert_int_equal(dfu_smp_client_deadline(&client), DFU_SMP_CLIENT_TIMEOUT_DEFAULT_MS);
}

static void retries_resend_with_the_same_sequence_number(void **state)
{
	(void)state;
	make_req(0, DFU_SMP_OP_WRITE, 1, 1)->timeout_ms = 10;
	reqs[0].retries = 2;
	submit(&reqs[0]);
	flush();
	dfu_smp_client_process(&client, 10);
	dfu_smp_client_process(&client, 20);
	assert_int_equal(T.sent, 3);
	assert_memory_equal(T.msgs[0], T.msgs[1], T.lens[0]);
	assert_memory_equal(T.msgs[0], T.msgs[2], T.lens[0]);
	assert_int_equal(R.calls, 0);
	dfu_smp_client_process(&client, 30);
	assert_int_equal(R.calls, 1);
	assert_int_equal(R.err[0], -ETIMEDOUT);
	assert_int_equal(dfu_smp_client_stats(&client)->retries, 2);
	assert_int_equal(dfu_smp_client_stats(&client)->timeouts, 3);

	/* an answer to a retried request completes it */
	make_req(1, DFU_SMP_OP_WRITE, 1, 1)->timeout_ms = 10;
	reqs[1].retries = 1;
	submit(&reqs[1]);
	flush();
	dfu_smp_client_process(&client, 40);
	answer_sent(3);
	assert_int_equal(R.calls, 2);
	assert_int_equal(R.err[1], 0);
}

static void queue_sends_one_at_a_time_by_default(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		submit(make_req(i, DFU_SMP_OP_READ, 0, 0));
	}
	flush();
	assert_int_equal(T.sent, 1);
	answer_sent(0);
	assert_int_equal(T.sent, 1); /* nothing is sent from inside receive */
	flush();
	assert_int_equal(T.sent, 2);
	answer_sent(1);
	flush();
	answer_sent(2);
	assert_int_equal(R.calls, 3);
	for (int i = 0; i < 3; i++) {
		assert_ptr_equal(R.req[i], &reqs[i]);
	}
	assert_true(dfu_smp_client_idle(&client));
}

static void deadline_says_now_while_a_request_can_be_sent(void **state)
{
	const struct dfu_smp_client_config cfg = { .timeout_ms = 500 };

	(void)state;
	setup_with(&cfg);
	dfu_smp_client_process(&client, 1000);
	assert_int_equal(dfu_smp_client_deadline(&client), UINT64_MAX);
	submit(make_req(0, DFU_SMP_OP_READ, 0, 0));
	submit(make_req(1, DFU_SMP_OP_READ, 0, 0));
	assert_int_equal(dfu_smp_client_deadline(&client), 1000);
	dfu_smp_client_process(&client, 1010);
	/* the window is full: only the first's timeout is due */
	assert_int_equal(dfu_smp_client_deadline(&client), 1510);
	answer_sent(0);
	assert_int_equal(dfu_smp_client_deadline(&client), 1010);
	dfu_smp_client_process(&client, 1020);
	assert_int_equal(T.sent, 2);
	assert_int_equal(dfu_smp_client_deadline(&client), 1520);
}

static void window_keeps_several_on_the_link(void **state)
{
	const struct dfu_smp_client_config cfg = { .window = 3 };

	(void)state;
	setup_with(&cfg);
	for (int i = 0; i < 5; i++) {
		submit(make_req(i, DFU_SMP_OP_READ, 0, 0));
	}
	flush();
	assert_int_equal(T.sent, 3);
	answer_sent(1); /* out of order is matched by seq */
	flush();
	assert_int_equal(T.sent, 4);
	assert_ptr_equal(R.req[0], &reqs[1]);
	dfu_smp_client_set_window(&client, 1);
	answer_sent(0);
	answer_sent(2);
	assert_int_equal(dfu_smp_client_deadline(&client), DFU_SMP_CLIENT_TIMEOUT_DEFAULT_MS);
	dfu_smp_client_process(&client, 0);
	assert_int_equal(T.sent, 4);
	answer_sent(3);
	flush();
	assert_int_equal(T.sent, 5);
}

static void busy_transport_waits_until_ready(void **state)
{
	(void)state;
	T.send_err = -EAGAIN;
	submit(make_req(0, DFU_SMP_OP_READ, 0, 0));
	flush();
	assert_int_equal(T.attempts, 1);
	assert_int_equal(T.sent, 0);
	assert_int_equal(R.calls, 0);
	assert_false(dfu_smp_client_idle(&client));
	/* nothing due until the transport is ready: no busy loop */
	assert_int_equal(dfu_smp_client_deadline(&client), UINT64_MAX);
	T.send_err = 0;
	dfu_smp_client_process(&client, 1);
	assert_int_equal(T.attempts, 1);
	dfu_smp_client_transport_ready(&client);
	assert_int_equal(dfu_smp_client_deadline(&client), 1);
	dfu_smp_client_process(&client, 1);
	assert_int_equal(T.sent, 1);
	answer_sent(0);
	assert_int_equal(R.err[0], 0);
	assert_int_equal(dfu_smp_client_stats(&client)->sent, 1);
}

static void a_failed_link_is_busy_no_more(void **state)
{
	(void)state;
	T.send_err = -EAGAIN;
	submit(make_req(0, DFU_SMP_OP_READ, 0, 0));
	flush();
	assert_int_equal(dfu_smp_client_deadline(&client), UINT64_MAX);
	/* the link drops and comes back: the queued request goes out on the next turn */
	dfu_smp_client_transport_error(&client, -ENOTCONN);
	T.send_err = 0;
	assert_int_equal(dfu_smp_client_deadline(&client), 0);
	dfu_smp_client_process(&client, 0);
	assert_int_equal(T.sent, 1);
	assert_int_equal(R.calls, 0); /* it was queued, not on the link: it did not end */
	answer_sent(0);
	assert_int_equal(R.calls, 1);
	assert_int_equal(R.err[0], 0);
}

static void busy_transport_leaves_the_link_to_its_timeouts(void **state)
{
	const struct dfu_smp_client_config cfg = { .window = 2 };

	(void)state;
	setup_with(&cfg);
	submit(make_req(0, DFU_SMP_OP_READ, 0, 0));
	flush();
	T.send_err = -EAGAIN;
	submit(make_req(1, DFU_SMP_OP_READ, 0, 0));
	flush();
	assert_int_equal(T.attempts, 2);
	assert_int_equal(dfu_smp_client_deadline(&client), DFU_SMP_CLIENT_TIMEOUT_DEFAULT_MS);
	/* an answer does not make it ready: only the transport says so */
	T.send_err = 0;
	answer_sent(0);
	assert_int_equal(dfu_smp_client_deadline(&client), UINT64_MAX);
	dfu_smp_client_transport_ready(&client);
	flush();
	assert_int_equal(T.sent, 2);
	assert_int_equal(T.msgs[1][6], 1); /* the sequence number it was given first */
}

static void send_error_fails_the_request(void **state)
{
	(void)state;
	T.send_err = -EMSGSIZE;
	submit(make_req(0, DFU_SMP_OP_READ, 0, 0));
	dfu_smp_client_process(&client, 0);
	/* never from inside the call that sent it: at the next process(), due now */
	assert_int_equal(T.attempts, 1);
	assert_int_equal(R.calls, 0);
	assert_false(dfu_smp_client_idle(&client));
	assert_int_equal(dfu_smp_client_deadline(&client), dfu_smp_client_now(&client));
	dfu_smp_client_process(&client, 0);
	assert_int_equal(R.calls, 1);
	assert_int_equal(R.err[0], -EMSGSIZE);
	assert_true(dfu_smp_client_idle(&client));
	assert_int_equal(dfu_smp_client_stats(&client)->sent, 0);
}

/* A transport that sees the link drop inside send(), reports it, and also fails the send. */
static int send_losing_the_link(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	(void)msg;
	(void)len;
	T.in_send = true;
	dfu_smp_client_transport_error(&client, -ENOTCONN);
	T.in_send = false;
	return -ENOTCONN;
}

static int freed_calls;

/* The owner frees the request in its callback, as dfu-smp/smp/client.h allows. */
static void free_in_callback(struct dfu_smp_request *req, int err,
			     const struct dfu_smp_client_rsp *rsp)
{
	(void)rsp;
	assert_false(T.in_send);
	assert_int_equal(err, -ENOTCONN);
	freed_calls++;
	free(req->buf);
	free(req);
}

static void a_link_lost_inside_send_ends_the_request_once(void **state)
{
	const struct dfu_smp_transport transport = {
		.send = send_losing_the_link, .max_size = fake_max_size, .ctx = &T,
	};
	struct dfu_smp_request *req = malloc(sizeof(*req));

	(void)state;
	dfu_smp_client_init(&client, &transport, NULL);
	freed_calls = 0;
	dfu_smp_request_init(req, malloc(DFU_SMP_HDR_SIZE), DFU_SMP_HDR_SIZE);
	req->cb = free_in_callback;
	assert_int_equal(dfu_smp_client_submit(&client, req), 0);
	assert_int_equal(freed_calls, 0); /* not from inside submit */
	dfu_smp_client_process(&client, 1);
	assert_int_equal(freed_calls, 0); /* nor from inside the process() that sent it */
	assert_int_equal(dfu_smp_client_deadline(&client), 1);
	dfu_smp_client_process(&client, 1);
	assert_int_equal(freed_calls, 1); /* once: a second call would touch freed memory */
	dfu_smp_client_process(&client, 2);
	assert_int_equal(freed_calls, 1);
	assert_true(dfu_smp_client_idle(&client));
}

static void a_request_failed_in_send_can_be_cancelled_before_its_callback(void **state)
{
	(void)state;
	T.send_err = -EIO;
	submit(make_req(0, DFU_SMP_OP_READ, 0, 0));
	flush();
	assert_int_equal(dfu_smp_client_cancel(&client, &reqs[0]), 0);
	dfu_smp_client_process(&client, 0);
	assert_int_equal(R.calls, 0);
	assert_true(dfu_smp_client_idle(&client));
}

static void an_answer_from_inside_send_runs_no_callback_there(void **state)
{
	(void)state;
	T.echo_back = true;
	make_req(0, DFU_SMP_OP_READ, 0, 0)->timeout_ms = 50;
	submit(&reqs[0]);
	flush();
	/* dropped (and counted), never delivered inside send: the request waits on */
	assert_int_equal(T.sent, 1);
	assert_int_equal(R.calls, 0);
	assert_int_equal(dfu_smp_client_stats(&client)->dropped, 1);
	assert_int_equal(dfu_smp_client_stats(&client)->received, 0);
	assert_int_equal(dfu_smp_client_deadline(&client), 50);
	/* the same answer later, from the event loop, is matched */
	T.echo_back = false;
	answer_sent(0);
	assert_int_equal(R.calls, 1);
	assert_int_equal(R.err[0], 0);
	assert_true(dfu_smp_client_idle(&client));
}

static void version_falls_back_when_the_device_answers_v1(void **state)
{
	struct dfu_smp_hdr hdr;
	const struct dfu_smp_client_config fixed = { .version_fixed = true };

	(void)state;
	submit(make_req(0, DFU_SMP_OP_READ, 0, 0));
	flush();
	respond(T.msgs[0], T.lens[0], 1);
	assert_int_equal(dfu_smp_client_version(&client), DFU_SMP_PROTO_V1);
	submit(make_req(1, DFU_SMP_OP_READ, 0, 0));
	flush();
	dfu_smp_hdr_decode(T.msgs[1], T.lens[1], &hdr);
	assert_int_equal(hdr.version, DFU_SMP_PROTO_V1);

	setup_with(&fixed);
	submit(make_req(0, DFU_SMP_OP_READ, 0, 0));
	flush();
	respond(T.msgs[0], T.lens[0], 1);
	assert_int_equal(dfu_smp_client_version(&client), DFU_SMP_PROTO_V2);
}

static void version_1_can_be_chosen(void **state)
{
	const struct dfu_smp_client_config cfg = { .version = DFU_SMP_PROTO_V1 };

	(void)state;
	setup_with(&cfg);
	submit(make_req(0, DFU_SMP_OP_WRITE, 0, 0));
	flush();
	assert_int_equal(T.msgs[0][0], 0x02);
	dfu_smp_client_set_version(&client, DFU_SMP_PROTO_V2);
	answer_sent(0);
	submit(make_req(1, DFU_SMP_OP_WRITE, 0, 0));
	flush();
	assert_int_equal(T.msgs[1][0], 0x0a);
}

static void transport_error_ends_requests_on_the_link_only(void **state)
{
	const struct dfu_smp_client_config cfg = { .window = 2 };

	(void)state;
	setup_with(&cfg);
	for (int i = 0; i < 3; i++) {
		submit(make_req(i, DFU_SMP_OP_READ, 0, 0));
	}
	flush();
	dfu_smp_client_transport_error(&client, -ENOTCONN);
	assert_int_equal(R.calls, 2);
	assert_int_equal(R.err[0], -ENOTCONN);
	assert_int_equal(R.err[1], -ENOTCONN);
	assert_false(dfu_smp_client_idle(&client));
	dfu_smp_client_process(&client, 0);
	assert_int_equal(T.sent, 3);
	answer_sent(2);
	assert_int_equal(R.err[2], 0);
}

static void cancel_removes_without_callback(void **state)
{
	(void)state;
	submit(make_req(0, DFU_SMP_OP_READ, 0, 0));
	submit(make_req(1, DFU_SMP_OP_READ, 0, 0));
	flush();
	assert_int_equal(dfu_smp_client_cancel(&client, &reqs[1]), 0); /* it was only queued */
	assert_int_equal(dfu_smp_client_cancel(&client, &reqs[0]), 0); /* it was on the link */
	assert_int_equal(dfu_smp_client_cancel(&client, &reqs[0]), -ENOENT);
	assert_int_equal(dfu_smp_client_max_size(&client), 64);
	assert_true(dfu_smp_client_idle(&client));
	answer_sent(0); /* late: nothing waits for it */
	assert_int_equal(R.calls, 0);
	assert_int_equal(dfu_smp_client_stats(&client)->dropped, 1);

	submit(make_req(2, DFU_SMP_OP_READ, 0, 0));
	submit(make_req(3, DFU_SMP_OP_READ, 0, 0));
	flush();
	dfu_smp_client_cancel_all(&client, -ECANCELED);
	assert_int_equal(R.calls, 2);
	assert_int_equal(R.err[0], -ECANCELED);
	assert_int_equal(R.err[1], -ECANCELED);
	assert_true(dfu_smp_client_idle(&client));
}

static void submit_rejects_bad_requests(void **state)
{
	struct dfu_smp_request req;
	uint8_t small[4];

	(void)state;
	assert_int_equal(dfu_smp_client_submit(&client, NULL), -EINVAL);
	make_req(0, DFU_SMP_OP_READ, 0, 0)->cb = NULL;
	assert_int_equal(submit(&reqs[0]), -EINVAL);
	dfu_smp_request_init(&req, small, sizeof(small));
	req.cb = on_done;
	assert_int_equal(submit(&req), -EINVAL);
	make_req(1, DFU_SMP_OP_READ, 0, 0)->len = 100; /* more than its buffer */
	assert_int_equal(submit(&reqs[1]), -EINVAL);
	assert_true(dfu_smp_client_idle(&client));
	assert_int_equal(dfu_smp_client_deadline(&client), UINT64_MAX);
}

static void window_is_bounded_by_sequence_space(void **state)
{
	const struct dfu_smp_client_config cfg = { .window = 1000 };

	(void)state;
	setup_with(&cfg);
	for (int i = 0; i < 300; i++) {
		submit(make_req(i, DFU_SMP_OP_READ, 0, 0));
	}
	flush();
	assert_int_equal(T.sent, 255);
}

/* Requests that time out together are sent again in the order they first went, before a new
 * one; with timeout_max_ms each wait doubles up to it. */
static void resends_keep_the_order_and_back_off(void **state)
{
	const struct dfu_smp_client_config cfg = { .window = 2 };

	(void)state;
	setup_with(&cfg);
	for (int i = 0; i < 3; i++) {
		make_req(i, DFU_SMP_OP_READ, 0, 0)->timeout_ms = 10;
		reqs[i].retries = 2;
	}
	dfu_smp_request_backoff(&reqs[0], 10, 30, 60);
	assert_int_equal(reqs[0].timeout_ms, 10);
	assert_int_equal(reqs[0].retries, 2); /* waits of 10, 20 and 30: 60 in all */
	submit(&reqs[0]);
	submit(&reqs[1]);
	flush();
	submit(&reqs[2]); /* waits for room in the window */
	dfu_smp_client_process(&client, 10);
	assert_int_equal(T.sent, 4);
	assert_int_equal(T.msgs[2][6], T.msgs[0][6]);
	assert_int_equal(T.msgs[3][6], T.msgs[1][6]);
	/* the first waits 20 now, the second 10 again */
	assert_int_equal(dfu_smp_client_deadline(&client), 20);
	dfu_smp_client_process(&client, 20);
	assert_int_equal(T.sent, 5);
	assert_int_equal(T.msgs[4][6], T.msgs[1][6]);
	assert_int_equal(dfu_smp_client_deadline(&client), 30);
}

#define TS(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS(header_is_written_with_fresh_sequence_numbers),
		TS(sequence_numbers_wrap_after_255),
		TS(mismatched_responses_are_dropped),
		TS(timeout_then_late_answer_is_dropped),
		TS(timeout_counts_from_the_send_not_the_submit),
		TS(default_timeout_comes_from_the_config),
		TS(retries_resend_with_the_same_sequence_number),
		TS(queue_sends_one_at_a_time_by_default),
		TS(deadline_says_now_while_a_request_can_be_sent),
		TS(resends_keep_the_order_and_back_off),
		TS(window_keeps_several_on_the_link),
		TS(busy_transport_waits_until_ready),
		TS(a_failed_link_is_busy_no_more),
		TS(busy_transport_leaves_the_link_to_its_timeouts),
		TS(send_error_fails_the_request),
		TS(a_link_lost_inside_send_ends_the_request_once),
		TS(a_request_failed_in_send_can_be_cancelled_before_its_callback),
		TS(an_answer_from_inside_send_runs_no_callback_there),
		TS(version_falls_back_when_the_device_answers_v1),
		TS(version_1_can_be_chosen),
		TS(transport_error_ends_requests_on_the_link_only),
		TS(cancel_removes_without_callback),
		TS(submit_rejects_bad_requests),
		TS(window_is_bounded_by_sequence_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
