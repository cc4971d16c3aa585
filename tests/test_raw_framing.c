/* SPDX-License-Identifier: Apache-2.0 */
/* The raw UART framing (smp/raw.c): bare SMP messages found by their header length, bytes
 * arriving in any pieces, the input timeout dropping a half-received message, and headers
 * longer than the buffer skipped without overrunning it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/smp/header.h>
#include <dfu-smp/smp/raw.h>

/* The version 2 echo "hi" of transports.md: on a raw UART, exactly these bytes. */
static const uint8_t echo_req[] = { 0x0a, 0x00, 0x00, 0x06, 0x00, 0x00, 0x2a, 0x00,
				    0xa1, 0x61, 0x64, 0x62, 0x68, 0x69 };
/* A header with no payload (a read of group 0 id 0, seq 7). */
static const uint8_t empty_req[] = { 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00 };

#define GUARD 64u
#define TIMEOUT 100u

struct sink {
	unsigned count;
	size_t len;
	uint8_t msg[DFU_SMP_MSG_MAX];
};

static struct sink sink;
static uint8_t dec_buf[DFU_SMP_MSG_MAX + GUARD];
static struct dfu_smp_raw_decoder dec;

static void collect(void *ctx, const uint8_t *msg, size_t len)
{
	struct sink *s = ctx;

	s->count++;
	s->len = len;
	memcpy(s->msg, msg, len);
}

static struct dfu_smp_raw_decoder *decoder(size_t cap, uint64_t timeout_ms)
{
	memset(&sink, 0, sizeof(sink));
	memset(dec_buf, 0xa5, sizeof(dec_buf));
	assert_int_equal(dfu_smp_raw_decoder_init(&dec, dec_buf, cap, timeout_ms, collect, &sink),
			 0);
	return &dec;
}

static void assert_guard(size_t cap)
{
	for (size_t i = cap; i < cap + GUARD; i++) {
		assert_int_equal(dec_buf[i], 0xa5);
	}
}

static void assert_echo(void)
{
	assert_int_equal(sink.len, sizeof(echo_req));
	assert_memory_equal(sink.msg, echo_req, sizeof(echo_req));
}

static void test_msg_len(void **state)
{
	(void)state;
	assert_int_equal(dfu_smp_raw_msg_len(echo_req, sizeof(echo_req)), (int)sizeof(echo_req));
	assert_int_equal(dfu_smp_raw_msg_len(empty_req, sizeof(empty_req)), 8);
	assert_int_equal(dfu_smp_raw_msg_len(echo_req, sizeof(echo_req) - 1u), -EINVAL);
	assert_int_equal(dfu_smp_raw_msg_len(echo_req, 7), -EINVAL);
	assert_int_equal(dfu_smp_raw_msg_len(NULL, 0), -EINVAL);
}

static void test_whole_message(void **state)
{
	(void)state;
	dfu_smp_raw_decoder_feed(decoder(256, TIMEOUT), echo_req, sizeof(echo_req), 0);
	assert_int_equal(sink.count, 1);
	assert_echo();
	assert_int_equal(dfu_smp_raw_decoder_deadline(&dec), UINT64_MAX);
	dfu_smp_raw_decoder_feed(&dec, empty_req, sizeof(empty_req), 1);
	assert_int_equal(sink.count, 2);
	assert_int_equal(sink.len, 8);
	assert_memory_equal(sink.msg, empty_req, 8);
	assert_int_equal(dfu_smp_raw_decoder_stats(&dec)->messages, 2);
}

/* Three messages back to back, cut in two at every point, then one byte at a time. */
static void test_split_feeding(void **state)
{
	uint8_t three[2 * sizeof(echo_req) + sizeof(empty_req)];

	(void)state;
	memcpy(three, echo_req, sizeof(echo_req));
	memcpy(three + sizeof(echo_req), empty_req, sizeof(empty_req));
	memcpy(three + sizeof(echo_req) + sizeof(empty_req), echo_req, sizeof(echo_req));
	for (size_t cut = 0; cut <= sizeof(three); cut++) {
		unsigned before = (cut >= sizeof(echo_req)) + (cut >= sizeof(echo_req) + 8u) +
				  (cut == sizeof(three));

		decoder(sizeof(echo_req), TIMEOUT);
		dfu_smp_raw_decoder_feed(&dec, three, cut, 10);
		assert_int_equal(sink.count, before);
		dfu_smp_raw_decoder_feed(&dec, three + cut, sizeof(three) - cut, 20);
		assert_int_equal(sink.count, 3);
		assert_echo();
		assert_guard(sizeof(echo_req));
	}
	decoder(sizeof(echo_req), TIMEOUT);
	for (size_t i = 0; i < sizeof(three); i++) {
		dfu_smp_raw_decoder_feed(&dec, three + i, 1, i);
	}
	assert_int_equal(sink.count, 3);
	assert_echo();
}

/* The input timeout counts from the last byte received. */
static void test_timeout(void **state)
{
	const struct dfu_smp_raw_stats *st;

	(void)state;
	decoder(256, TIMEOUT);
	st = dfu_smp_raw_decoder_stats(&dec);
	dfu_smp_raw_decoder_feed(&dec, echo_req, 5, 1000);
	assert_int_equal(dfu_smp_raw_decoder_deadline(&dec), 1000u + TIMEOUT);
	assert_int_equal(dfu_smp_raw_decoder_expire(&dec, 1000u + TIMEOUT - 1u), 0);
	dfu_smp_raw_decoder_feed(&dec, echo_req + 5, 3, 1050);
	assert_int_equal(dfu_smp_raw_decoder_deadline(&dec), 1050u + TIMEOUT);
	assert_int_equal(dfu_smp_raw_decoder_expire(&dec, 1050u + TIMEOUT), 1);
	assert_int_equal(st->timeouts, 1);
	assert_int_equal(dfu_smp_raw_decoder_deadline(&dec), UINT64_MAX);
	assert_int_equal(dfu_smp_raw_decoder_expire(&dec, 5000), 0);
	/* after the drop, the next byte starts a header */
	dfu_smp_raw_decoder_feed(&dec, echo_req, sizeof(echo_req), 2000);
	assert_int_equal(sink.count, 1);
	assert_echo();

	/* a stale part is dropped by the next feed as well, without an expire */
	dfu_smp_raw_decoder_feed(&dec, echo_req, 10, 3000);
	dfu_smp_raw_decoder_feed(&dec, echo_req, sizeof(echo_req), 3000u + TIMEOUT);
	assert_int_equal(st->timeouts, 2);
	assert_int_equal(sink.count, 2);
	assert_echo();

	/* bytes slower than ever but each within the timeout of the one before */
	for (size_t i = 0; i < sizeof(echo_req); i++) {
		dfu_smp_raw_decoder_feed(&dec, echo_req + i, 1, 10000u + i * (TIMEOUT - 1u));
	}
	assert_int_equal(sink.count, 3);
	assert_int_equal(st->timeouts, 2);

	/* without the timeout the decoder waits for ever */
	decoder(256, 0);
	dfu_smp_raw_decoder_feed(&dec, echo_req, 9, 0);
	assert_int_equal(dfu_smp_raw_decoder_deadline(&dec), UINT64_MAX);
	assert_int_equal(dfu_smp_raw_decoder_expire(&dec, UINT64_MAX - 1u), 0);
	dfu_smp_raw_decoder_feed(&dec, echo_req + 9, sizeof(echo_req) - 9u, UINT64_MAX - 1u);
	assert_int_equal(sink.count, 1);
	assert_echo();
}

/* A header saying more than the buffer: its length is skipped, nothing past the buffer kept. */
static void test_oversize(void **state)
{
	static uint8_t big[8 + 1000];
	size_t cap = 32;
	const struct dfu_smp_raw_stats *st;

	(void)state;
	memset(big, 0x5a, sizeof(big));
	big[0] = 0x0a;
	big[1] = 0;
	big[2] = 1000u >> 8;
	big[3] = 1000u & 0xffu;
	decoder(cap, TIMEOUT);
	st = dfu_smp_raw_decoder_stats(&dec);
	for (size_t i = 0; i < sizeof(big); i += 100u) {
		size_t n = sizeof(big) - i < 100u ? sizeof(big) - i : 100u;

		dfu_smp_raw_decoder_feed(&dec, big + i, n, 10);
	}
	assert_int_equal(st->oversize, 1);
	assert_int_equal(sink.count, 0);
	assert_guard(cap);
	dfu_smp_raw_decoder_feed(&dec, echo_req, sizeof(echo_req), 20);
	assert_int_equal(sink.count, 1);
	assert_echo();

	/* the input timeout ends a skip early, counted once (as oversize) */
	dfu_smp_raw_decoder_feed(&dec, big, 50, 100);
	assert_int_equal(dfu_smp_raw_decoder_deadline(&dec), 100u + TIMEOUT);
	dfu_smp_raw_decoder_feed(&dec, echo_req, sizeof(echo_req), 100u + TIMEOUT);
	assert_int_equal(st->oversize, 2);
	assert_int_equal(st->timeouts, 0);
	assert_int_equal(sink.count, 2);
	assert_echo();
	assert_guard(cap);

	/* a message exactly the buffer's size is taken */
	decoder(sizeof(echo_req), TIMEOUT);
	dfu_smp_raw_decoder_feed(&dec, echo_req, sizeof(echo_req), 0);
	assert_int_equal(sink.count, 1);
	decoder(sizeof(echo_req) - 1u, TIMEOUT);
	dfu_smp_raw_decoder_feed(&dec, echo_req, sizeof(echo_req), 0);
	assert_int_equal(sink.count, 0);
	assert_int_equal(dfu_smp_raw_decoder_stats(&dec)->oversize, 1);
	assert_guard(sizeof(echo_req) - 1u);
}

/* The longest message a header can give. */
static void test_largest(void **state)
{
	static uint8_t msg[DFU_SMP_MSG_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++) {
		msg[i] = (uint8_t)(i * 7u);
	}
	msg[2] = 0xff;
	msg[3] = 0xff;
	assert_int_equal(dfu_smp_raw_msg_len(msg, sizeof(msg)), (int)sizeof(msg));
	decoder(DFU_SMP_MSG_MAX, TIMEOUT);
	dfu_smp_raw_decoder_feed(&dec, msg, sizeof(msg), 0);
	assert_int_equal(sink.count, 1);
	assert_int_equal(sink.len, sizeof(msg));
	assert_memory_equal(sink.msg, msg, sizeof(msg));
}

static void test_reset_and_init(void **state)
{
	(void)state;
	assert_int_equal(dfu_smp_raw_decoder_init(&dec, dec_buf, 7, 0, collect, &sink), -EINVAL);
	assert_int_equal(dfu_smp_raw_decoder_init(&dec, dec_buf, 64, 0, NULL, &sink), -EINVAL);
	decoder(256, 0);
	dfu_smp_raw_decoder_feed(&dec, echo_req, 11, 0);
	dfu_smp_raw_decoder_reset(&dec);
	dfu_smp_raw_decoder_feed(&dec, echo_req, sizeof(echo_req), 0);
	assert_int_equal(sink.count, 1);
	assert_echo();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_len),
		cmocka_unit_test(test_whole_message),
		cmocka_unit_test(test_split_feeding),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_largest),
		cmocka_unit_test(test_reset_and_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
