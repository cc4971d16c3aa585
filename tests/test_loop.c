/* SPDX-License-Identifier: Apache-2.0 */
/* The event loop of the real connections (ports/loop.c): descriptors and their deadlines. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <dfu-smp/ports/loop.h>

/* Bounds every wait of these tests, far beyond what they need. */
#define LIMIT_MS 10000u

struct watch {
	struct dfu_smp_port_fd *fd;
	short revents[4]; /* of the calls, in order */
	unsigned calls;
};

static int no_send(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	(void)msg;
	(void)len;
	return -ENOTCONN;
}

static size_t no_room(void *ctx)
{
	(void)ctx;
	return 0;
}

/* A client with nothing to send: it sets no deadline of its own. */
static void idle_client(struct dfu_smp_client *client)
{
	const struct dfu_smp_transport transport = { .send = no_send, .max_size = no_room };

	dfu_smp_client_init(client, &transport, NULL);
	assert_int_equal(dfu_smp_client_deadline(client), UINT64_MAX);
}

/* Records the call; the deadline is cleared, as an owner that handled it does. */
static void on_ready(void *ctx, short revents)
{
	struct watch *w = ctx;

	if (w->calls < 4) {
		w->revents[w->calls] = revents;
	}
	w->calls++;
	w->fd->deadline_us = 0;
}

static bool called(void *arg)
{
	return ((struct watch *)arg)->calls > 0;
}

/*
 * Runs the loop on one end of a socket pair, watched for POLLIN with @p deadline_ms, until
 * ready() is called or @p limit_ms; @p pending bytes wait on it first.
 * @return what dfu_smp_port_loop_run() returned; *w says what was called.
 */
static int run_once(struct watch *w, uint64_t deadline_ms, uint64_t limit_ms, size_t pending)
{
	struct dfu_smp_client client;
	struct dfu_smp_port_fd fd;
	int sv[2], ret;

	idle_client(&client);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	if (pending) {
		assert_int_equal(send(sv[1], "x", pending, 0), (ssize_t)pending);
	}
	fd = (struct dfu_smp_port_fd){ .fd = sv[0], .events = POLLIN, .ready = on_ready, .ctx = w,
			       .deadline_us = deadline_ms * 1000u };
	*w = (struct watch){ .fd = &fd };
	ret = dfu_smp_port_loop_run(&client, &fd, 1, called, w, limit_ms);
	w->fd = NULL;
	close(sv[0]);
	close(sv[1]);
	return ret;
}

/* Nothing will ever be ready on the descriptor: only its deadline can end the wait. */
static void a_deadline_wakes_the_loop_and_is_reported_as_revents_0(void **state)
{
	struct watch w;

	(void)state;
	assert_int_equal(
		run_once(&w, dfu_smp_port_now_ms() + 20, dfu_smp_port_now_ms() + LIMIT_MS, 0), 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.revents[0], 0);
}

/* Without a deadline the same wait lasts until the loop's own limit. */
static void without_a_deadline_nothing_is_called(void **state)
{
	struct watch w;

	(void)state;
	assert_int_equal(run_once(&w, 0, dfu_smp_port_now_ms() + 20, 0), -ETIMEDOUT);
	assert_int_equal(w.calls, 0);
}

/* Readiness is reported with its revents; a deadline not yet due adds no call. */
static void readiness_comes_before_a_later_deadline(void **state)
{
	struct watch w;

	(void)state;
	assert_int_equal(
		run_once(&w, dfu_smp_port_now_ms() + LIMIT_MS, dfu_smp_port_now_ms() + LIMIT_MS, 1),
		0);
	assert_int_equal(w.calls, 1);
	assert_true(w.revents[0] & POLLIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_deadline_wakes_the_loop_and_is_reported_as_revents_0),
		cmocka_unit_test(without_a_deadline_nothing_is_called),
		cmocka_unit_test(readiness_comes_before_a_later_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
