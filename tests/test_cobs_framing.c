/* SPDX-License-Identifier: Apache-2.0 */
/* The COBS framing (smp/cobs.c): the spec's COBS examples and an SMP echo framed byte for byte,
 * encoding and decoding round trips, bytes arriving in any pieces, damaged and short frames
 * dropped with the next one received, and a stream without delimiters kept within the buffer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/smp/cobs.h>
#include <dfu-smp/smp/header.h>

/* The version 2 echo "hi" of transports.md (CRC 0x0868), and its COBS frame. */
static const uint8_t echo_req[] = { 0x0a, 0x00, 0x00, 0x06, 0x00, 0x00, 0x2a, 0x00,
				    0xa1, 0x61, 0x64, 0x62, 0x68, 0x69 };
static const uint8_t echo_frame[] = { 0x02, 0x0a, 0x01, 0x02, 0x06, 0x01, 0x02, 0x2a, 0x09,
				      0xa1, 0x61, 0x64, 0x62, 0x68, 0x69, 0x08, 0x68, 0x00 };

#define BIG 4096u
#define GUARD 64u

struct sink {
	unsigned count;
	size_t len;
	uint8_t msg[BIG];
};

static struct sink sink;
static uint8_t dec_buf[BIG + GUARD];
static struct dfu_smp_cobs_decoder dec;

static void collect(void *ctx, const uint8_t *msg, size_t len)
{
	struct sink *s = ctx;

	s->count++;
	s->len = len;
	memcpy(s->msg, msg, len);
}

/* A decoder keeping @p cap bytes, with a guard pattern after them. */
static struct dfu_smp_cobs_decoder *decoder(size_t cap)
{
	memset(&sink, 0, sizeof(sink));
	memset(dec_buf, 0xa5, sizeof(dec_buf));
	assert_int_equal(dfu_smp_cobs_decoder_init(&dec, dec_buf, cap, collect, &sink), 0);
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

static void check_encoding(const uint8_t *in, size_t len, const uint8_t *want, size_t want_len)
{
	uint8_t out[300];
	uint8_t back[300];

	assert_int_equal(dfu_smp_cobs_encode(in, len, out, sizeof(out)), (int)want_len);
	assert_memory_equal(out, want, want_len);
	assert_true(want_len <= DFU_SMP_COBS_ENCODED_MAX(len));
	assert_int_equal(dfu_smp_cobs_encode(in, len, out, want_len - 1u), -ENOBUFS);
	assert_int_equal(dfu_smp_cobs_decode(want, want_len, back, sizeof(back)), (int)len);
	assert_memory_equal(back, in, len);
}

static void test_spec_examples(void **state)
{
	static const uint8_t e1[] = { 0x01 };
	static const uint8_t i2[] = { 0x01, 0x02, 0x03 }, e2[] = { 0x04, 0x01, 0x02, 0x03 };
	static const uint8_t i3[] = { 0x00 }, e3[] = { 0x01, 0x01 };
	static const uint8_t i4[] = { 0x11, 0x00, 0x22 }, e4[] = { 0x02, 0x11, 0x02, 0x22 };
	uint8_t i5[254], e5[256];

	(void)state;
	check_encoding(NULL, 0, e1, sizeof(e1));
	check_encoding(i2, sizeof(i2), e2, sizeof(e2));
	check_encoding(i3, sizeof(i3), e3, sizeof(e3));
	check_encoding(i4, sizeof(i4), e4, sizeof(e4));
	for (size_t i = 0; i < sizeof(i5); i++) {
		i5[i] = (uint8_t)(i % 255u + 1u);
	}
	e5[0] = 0xff;
	memcpy(e5 + 1, i5, sizeof(i5));
	e5[255] = 0x01;
	check_encoding(i5, sizeof(i5), e5, sizeof(e5));
}

static void test_echo_frame(void **state)
{
	uint8_t out[64];

	(void)state;
	assert_int_equal(dfu_smp_cobs_frame(echo_req, sizeof(echo_req), out, sizeof(out)),
			 (int)sizeof(echo_frame));
	assert_memory_equal(out, echo_frame, sizeof(echo_frame));
	assert_true(sizeof(echo_frame) <= DFU_SMP_COBS_FRAME_MAX(sizeof(echo_req)));
	for (size_t cap = 0; cap < sizeof(echo_frame); cap++) {
		assert_int_equal(dfu_smp_cobs_frame(echo_req, sizeof(echo_req), out, cap),
				 -ENOBUFS);
	}
	dfu_smp_cobs_decoder_feed(decoder(BIG), echo_frame, sizeof(echo_frame));
	assert_int_equal(sink.count, 1);
	assert_echo();
	assert_int_equal(dfu_smp_cobs_decoder_stats(&dec)->frames, 1);
}

/* Every length around the 254-byte block size, zeros and non-zeros, runs of both. */
static void test_round_trip(void **state)
{
	static uint8_t in[1200], enc[1300], out[1300], back[1200];
	uint32_t x = 1;

	(void)state;
	for (size_t len = 0; len <= sizeof(in); len++) {
		for (unsigned mode = 0; mode < 3; mode++) {
			int n, f;

			for (size_t i = 0; i < len; i++) {
				x = x * 1103515245u + 12345u;
				in[i] = mode == 0 ? (uint8_t)(x >> 16)
					: mode == 1 ? (uint8_t)((x >> 16) % 255u + 1u)
						    : (uint8_t)((x >> 24) < 16 ? 0 : 0x55);
			}
			n = dfu_smp_cobs_encode(in, len, enc, sizeof(enc));
			assert_true(n > 0 && (size_t)n <= DFU_SMP_COBS_ENCODED_MAX(len));
			assert_null(memchr(enc, 0, (size_t)n));
			assert_int_equal(dfu_smp_cobs_decode(enc, (size_t)n, back, sizeof(back)),
					 (int)len);
			assert_memory_equal(back, in, len);
			if (len == 0) {
				continue;
			}
			f = dfu_smp_cobs_frame(in, len, out, sizeof(out));
			assert_true(f > 0 && (size_t)f <= DFU_SMP_COBS_FRAME_MAX(len));
			assert_null(memchr(out, 0, (size_t)f - 1u));
			dfu_smp_cobs_decoder_feed(decoder(len + DFU_SMP_COBS_CRC_SIZE), out,
						  (size_t)f);
			assert_int_equal(sink.count, 1);
			assert_int_equal(sink.len, len);
			assert_memory_equal(sink.msg, in, len);
			assert_guard(len + DFU_SMP_COBS_CRC_SIZE);
		}
	}
}

static void test_decode_rejects(void **state)
{
	static const uint8_t zero[] = { 0x02, 0x00 }, cut[] = { 0x03, 0x11 };
	static const uint8_t lead_zero[] = { 0x00, 0x01 };
	static const uint8_t two[] = { 0x02, 0x11, 0x02, 0x22 };
	uint8_t out[8];

	(void)state;
	assert_int_equal(dfu_smp_cobs_decode(zero, sizeof(zero), out, sizeof(out)), -EINVAL);
	assert_int_equal(dfu_smp_cobs_decode(cut, sizeof(cut), out, sizeof(out)), -EINVAL);
	assert_int_equal(dfu_smp_cobs_decode(lead_zero, sizeof(lead_zero), out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(dfu_smp_cobs_decode(two, sizeof(two), out, 2), -ENOBUFS);
	assert_int_equal(dfu_smp_cobs_decode(two, sizeof(two), out, 3), 3);
}

/* The echo frame twice, cut in two at every point, and one byte at a time. */
static void test_split_feeding(void **state)
{
	uint8_t two[2 * sizeof(echo_frame)];

	(void)state;
	memcpy(two, echo_frame, sizeof(echo_frame));
	memcpy(two + sizeof(echo_frame), echo_frame, sizeof(echo_frame));
	for (size_t cut = 0; cut <= sizeof(two); cut++) {
		decoder(BIG);
		dfu_smp_cobs_decoder_feed(&dec, two, cut);
		assert_int_equal(sink.count, cut / sizeof(echo_frame));
		dfu_smp_cobs_decoder_feed(&dec, two + cut, sizeof(two) - cut);
		assert_int_equal(sink.count, 2);
		assert_echo();
	}
	decoder(BIG);
	for (size_t i = 0; i < sizeof(two); i++) {
		dfu_smp_cobs_decoder_feed(&dec, two + i, 1);
	}
	assert_int_equal(sink.count, 2);
	assert_echo();
}

/* A frame with any one byte damaged is dropped; the good frame after it comes through. */
static void test_corrupt_then_good(void **state)
{
	uint8_t bad[sizeof(echo_frame)];

	(void)state;
	for (size_t pos = 0; pos + 1u < sizeof(echo_frame); pos++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			const struct dfu_smp_cobs_stats *st;

			memcpy(bad, echo_frame, sizeof(bad));
			bad[pos] ^= (uint8_t)(1u << bit);
			decoder(BIG);
			dfu_smp_cobs_decoder_feed(&dec, bad, sizeof(bad));
			assert_int_equal(sink.count, 0);
			st = dfu_smp_cobs_decoder_stats(&dec);
			assert_true(st->bad_frames + st->crc_errors >= 1);
			dfu_smp_cobs_decoder_feed(&dec, echo_frame, sizeof(echo_frame));
			assert_int_equal(sink.count, 1);
			assert_echo();
		}
	}
}

static void test_short_cut_and_crc(void **state)
{
	static const uint8_t noise[] = {
		0x00, 0x00,             /* empty frames: no error */
		0x01, 0x00,             /* decodes to nothing */
		0x02, 0x11, 0x00,       /* one byte */
		0x03, 0x11, 0x22, 0x00, /* two bytes: a CRC and no message */
		0x05, 0x11, 0x22, 0x00, /* a block cut short by the delimiter */
	};
	uint8_t wrong[sizeof(echo_req) + 2u], frame[64];
	int n;
	const struct dfu_smp_cobs_stats *st;

	(void)state;
	decoder(BIG);
	dfu_smp_cobs_decoder_feed(&dec, noise, sizeof(noise));
	st = dfu_smp_cobs_decoder_stats(&dec);
	assert_int_equal(st->bad_frames, 4);
	assert_int_equal(st->crc_errors, 0);
	memcpy(wrong, echo_req, sizeof(echo_req));
	wrong[sizeof(echo_req)] = 0x08;
	wrong[sizeof(echo_req) + 1u] = 0x69; /* 0x0868 is right */
	n = dfu_smp_cobs_encode(wrong, sizeof(wrong), frame, sizeof(frame));
	assert_true(n > 0);
	frame[n] = 0;
	dfu_smp_cobs_decoder_feed(&dec, frame, (size_t)n + 1u);
	assert_int_equal(st->crc_errors, 1);
	assert_int_equal(sink.count, 0);
	dfu_smp_cobs_decoder_feed(&dec, echo_frame, sizeof(echo_frame));
	assert_int_equal(sink.count, 1);
	assert_echo();
	assert_int_equal(st->frames, 1);
	assert_int_equal(st->bad_frames, 4);
}

/* "A" and its CRC 0x58E5 is 04 41 58 E5; with the code byte one too high the delimiter cuts
 * the block, though the bytes before it would pass the CRC. */
static void test_cut_block(void **state)
{
	static const uint8_t good[] = { 0x04, 0x41, 0x58, 0xe5, 0x00 };
	static const uint8_t cut[] = { 0x05, 0x41, 0x58, 0xe5, 0x00 };
	uint8_t out[8];

	(void)state;
	assert_int_equal(dfu_smp_cobs_frame((const uint8_t *)"A", 1, out, sizeof(out)), 5);
	assert_memory_equal(out, good, sizeof(good));
	decoder(BIG);
	dfu_smp_cobs_decoder_feed(&dec, cut, sizeof(cut));
	assert_int_equal(sink.count, 0);
	assert_int_equal(dfu_smp_cobs_decoder_stats(&dec)->bad_frames, 1);
	dfu_smp_cobs_decoder_feed(&dec, good, sizeof(good));
	assert_int_equal(sink.count, 1);
	assert_int_equal(sink.len, 1);
	assert_int_equal(sink.msg[0], 0x41);
}

/* No delimiter for a long time: the decoder keeps its buffer's size, then resumes. */
static void test_overlong_bounded(void **state)
{
	static uint8_t junk[20000];
	size_t cap = sizeof(echo_req) + DFU_SMP_COBS_CRC_SIZE;
	const struct dfu_smp_cobs_stats *st;

	(void)state;
	memset(junk, 0x42, sizeof(junk));
	decoder(cap);
	for (size_t i = 0; i < sizeof(junk); i += 1000u) {
		dfu_smp_cobs_decoder_feed(&dec, junk + i, 1000u);
	}
	assert_guard(cap);
	st = dfu_smp_cobs_decoder_stats(&dec);
	assert_int_equal(st->oversize, 1);
	dfu_smp_cobs_decoder_feed(&dec, echo_frame, sizeof(echo_frame)); /* its 00 ends the junk */
	assert_int_equal(sink.count, 0);
	dfu_smp_cobs_decoder_feed(&dec, echo_frame, sizeof(echo_frame));
	assert_int_equal(sink.count, 1);
	assert_echo();
	/* a frame one byte longer than the buffer is dropped; one that fits is not */
	decoder(cap - 1u);
	dfu_smp_cobs_decoder_feed(&dec, echo_frame, sizeof(echo_frame));
	assert_int_equal(sink.count, 0);
	assert_int_equal(dfu_smp_cobs_decoder_stats(&dec)->oversize, 1);
	assert_guard(cap - 1u);
}

static void test_reset_and_init(void **state)
{
	(void)state;
	assert_int_equal(dfu_smp_cobs_decoder_init(&dec, dec_buf, 2, collect, &sink), -EINVAL);
	assert_int_equal(dfu_smp_cobs_decoder_init(&dec, dec_buf, BIG, NULL, &sink), -EINVAL);
	decoder(BIG);
	dfu_smp_cobs_decoder_feed(&dec, echo_frame, 7);
	dfu_smp_cobs_decoder_reset(&dec);
	dfu_smp_cobs_decoder_feed(&dec, echo_frame, sizeof(echo_frame));
	assert_int_equal(sink.count, 1);
	assert_echo();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_examples),
		cmocka_unit_test(test_echo_frame),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_split_feeding),
		cmocka_unit_test(test_corrupt_then_good),
		cmocka_unit_test(test_short_cut_and_crc),
		cmocka_unit_test(test_cut_block),
		cmocka_unit_test(test_overlong_bounded),
		cmocka_unit_test(test_reset_and_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
