/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Datagrams out to a non-blocking socket (ports/dgram.c), on a real AF_UNIX SOCK_SEQPACKET
 * pair like BlueZ's AcquireWrite socket: a full socket keeps them in order and never blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../ports/dgram.h"

#define DGRAM 100u
/* Far more than any socket buffer here takes. */
#define MOST 100000u

/* A pair whose writing end [0] has the smallest send buffer, both ends non-blocking. */
static void small_pair(int sv[2])
{
	int size = 1;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(fcntl(sv[i], F_SETFL, fcntl(sv[i], F_GETFL) | O_NONBLOCK), 0);
	}
}

/* Datagram number @p i: its number, then a pattern. */
static void datagram(uint8_t out[DGRAM], uint32_t i)
{
	memcpy(out, &i, sizeof(i));
	for (size_t k = sizeof(i); k < DGRAM; k++) {
		out[k] = (uint8_t)(i + k);
	}
}

/* Reads what the socket holds, checking each datagram is the next one. */
static void receive_in_order(int fd, uint32_t *next)
{
	uint8_t got[DGRAM + 1], want[DGRAM];
	ssize_t n;

	while ((n = recv(fd, got, sizeof(got), 0)) > 0) {
		assert_int_equal(n, DGRAM);
		datagram(want, *next);
		assert_memory_equal(got, want, DGRAM);
		(*next)++;
	}
	assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

static void a_full_socket_keeps_datagrams_in_order_until_it_drains(void **state)
{
	struct port_dgram_queue q = { 0 };
	uint8_t d[DGRAM];
	uint32_t sent = 0, next = 0, first_kept;
	int sv[2];

	(void)state;
	small_pair(sv);
	while (!port_dgram_waiting(&q)) {
		assert_true(sent < MOST);
		datagram(d, sent++);
		assert_int_equal(port_dgram_send(&q, sv[0], d, DGRAM), 0);
	}
	first_kept = sent - 1;
	assert_true(first_kept > 0); /* the socket took some at once */
	for (int i = 0; i < 50; i++) {
		datagram(d, sent++);
		assert_int_equal(port_dgram_send(&q, sv[0], d, DGRAM), 0);
	}
	assert_int_equal(port_dgram_flush(&q, sv[0]), 0); /* still full: nothing goes */
	while (port_dgram_waiting(&q)) {
		int n;

		receive_in_order(sv[1], &next);
		n = port_dgram_flush(&q, sv[0]);
		assert_true(n > 0);
	}
	receive_in_order(sv[1], &next);
	assert_int_equal(next, sent);
	/* empty again: the next one goes out at once */
	datagram(d, sent++);
	assert_int_equal(port_dgram_send(&q, sv[0], d, DGRAM), 0);
	assert_false(port_dgram_waiting(&q));
	receive_in_order(sv[1], &next);
	assert_int_equal(next, sent);
	port_dgram_free(&q);
	close(sv[0]);
	close(sv[1]);
}

static void a_socket_whose_peer_is_gone_fails_and_clear_drops_the_rest(void **state)
{
	struct port_dgram_queue q = { 0 };
	uint8_t d[DGRAM] = { 0 };
	int sv[2];
	int r;

	(void)state;
	small_pair(sv);
	while (!port_dgram_waiting(&q)) {
		assert_int_equal(port_dgram_send(&q, sv[0], d, DGRAM), 0);
	}
	close(sv[1]);
	r = port_dgram_flush(&q, sv[0]);
	assert_true(r < 0 && r != -ENOMEM);
	assert_true(port_dgram_waiting(&q));
	port_dgram_clear(&q);
	assert_false(port_dgram_waiting(&q));
	r = port_dgram_send(&q, sv[0], d, DGRAM);
	assert_true(r < 0 && r != -ENOMEM);
	assert_false(port_dgram_waiting(&q));
	port_dgram_free(&q);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_full_socket_keeps_datagrams_in_order_until_it_drains),
		cmocka_unit_test(a_socket_whose_peer_is_gone_fails_and_clear_drops_the_rest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
