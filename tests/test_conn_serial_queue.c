/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The serial connection's transmit queue (ports/conn_serial.c) on a real pseudo-terminal, the
 * test at its other end: a request sent again before its lines have left (the port paces them
 * slower than the tries come) is not queued a second time behind itself. With every try
 * queued, a slow port's queue grows faster than it drains, every request behind waits longer
 * than its own timeout, and the command has been seen to send nothing new for minutes.
 */
#define _XOPEN_SOURCE 600 /* posix_openpt() */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <dfu-smp/ports/conn.h>
#include <dfu-smp/ports/loop.h>
#include <dfu-smp/smp/header.h>

/* Each run of the loop, and how many runs at most: far beyond what the test needs. */
#define SLICE_MS 20u
#define SLICES_MAX 3000u
#define PAYLOAD 1500u
#define TRIES 20u

struct pty {
	int master;
	char path[128];
};

static void open_pty(struct pty *p)
{
	char *name;

	p->master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(p->master >= 0);
	assert_int_equal(grantpt(p->master), 0);
	assert_int_equal(unlockpt(p->master), 0);
	name = ptsname(p->master);
	assert_non_null(name);
	strncpy(p->path, name, sizeof(p->path) - 1u);
	assert_int_equal(fcntl(p->master, F_SETFL, fcntl(p->master, F_GETFL) | O_NONBLOCK), 0);
}

/* Frames begun in @p n bytes read from the port (a frame's first line starts 0x06 0x09). */
static unsigned frames_begun(const uint8_t *data, size_t n, bool *line_start)
{
	unsigned frames = 0;

	for (size_t i = 0; i < n; i++) {
		if (*line_start && data[i] == 0x06 && i + 1u < n && data[i + 1u] == 0x09) {
			frames++;
		}
		*line_start = data[i] == '\n';
	}
	return frames;
}

struct ended {
	bool done;
	int err;
};

static void on_answer(struct dfu_smp_request *req, int err, const struct dfu_smp_client_rsp *rsp)
{
	struct ended *e = req->user;

	(void)rsp;
	e->done = true;
	e->err = err;
}

static bool never(void *arg)
{
	(void)arg;
	return false;
}

static void a_request_sent_again_before_it_left_is_queued_once(void **state)
{
	static uint8_t buf[DFU_SMP_HDR_SIZE + PAYLOAD];
	const struct dfu_smp_conn_options opt = { .timeout_ms = 1000 };
	const struct dfu_smp_session_limits limits = {
		.have_params = true, .buf_size = 2475, .buf_count = 4,
	};
	struct dfu_smp_request req;
	struct dfu_smp_conn *conn = NULL;
	struct ended ended = { 0 };
	struct pty p;
	char why[256];
	uint8_t rx[4096];
	unsigned frames = 0, slices = 0;
	bool line_start = true;

	(void)state;
	open_pty(&p);
	assert_int_equal(dfu_smp_conn_serial_open(p.path, &opt, &conn, why, sizeof(why)), 0);
	conn->ops->set_device_limits(conn, &limits);

	dfu_smp_request_init(&req, buf, sizeof(buf));
	req.op = DFU_SMP_OP_WRITE;
	req.group = 64; /* a vendor group: the content does not matter, nothing answers */
	req.id = 1;
	req.len = PAYLOAD;
	memset(buf + DFU_SMP_HDR_SIZE, 0xa5, PAYLOAD);
	req.cb = on_answer;
	req.user = &ended;
	/* every try within a few ms: far sooner than the port lets a frame's lines go */
	dfu_smp_request_spread(&req, 2u * TRIES, TRIES - 1u);
	dfu_smp_client_process(dfu_smp_conn_client(conn), dfu_smp_conn_now_ms(conn));
	assert_int_equal(dfu_smp_client_submit(dfu_smp_conn_client(conn), &req), 0);

	while ((!ended.done || dfu_smp_conn_sending(conn)) && slices++ < SLICES_MAX) {
		ssize_t n;

		dfu_smp_conn_run_until(conn, never, NULL, dfu_smp_conn_now_ms(conn) + SLICE_MS);
		while ((n = read(p.master, rx, sizeof(rx))) > 0) {
			frames += frames_begun(rx, (size_t)n, &line_start);
		}
	}
	assert_true(ended.done);
	assert_int_equal(ended.err, -ETIMEDOUT);
	assert_false(dfu_smp_conn_sending(conn));
	assert_int_equal(dfu_smp_client_stats(dfu_smp_conn_client(conn))->sent, TRIES);
	/* the first copy, begun at once, and at most one more queued behind it */
	assert_true(frames >= 1u);
	assert_true(frames <= 2u);

	dfu_smp_conn_close(conn);
	close(p.master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_request_sent_again_before_it_left_is_queued_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
