/* SPDX-License-Identifier: Apache-2.0 */
/* The SMP console framing (smp/serial.c): the spec's examples byte for byte, every size around
 * frame and line boundaries, console noise, damaged input of every kind, and bytes arriving in
 * any pieces. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/smp/serial.h>

#define BIG (DFU_SMP_SERIAL_MSG_MAX + 2u)
#define B64 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

/* The version 2 echo "hi" of transports.md, and Zephyr's reply to it. */
static const uint8_t echo_req[] = { 0x0a, 0x00, 0x00, 0x06, 0x00, 0x00, 0x2a, 0x00,
				    0xa1, 0x61, 0x64, 0x62, 0x68, 0x69 };
static const char echo_req_frame[] = "\x06\x09" "ABAKAAAGAAAqAKFhZGJoaQho\n";
static const uint8_t echo_rsp[] = { 0x0b, 0x00, 0x00, 0x07, 0x00, 0x00, 0x2a, 0x00,
				    0xbf, 0x61, 0x72, 0x62, 0x68, 0x69, 0xff };
static const char echo_rsp_frame[] = "\x06\x09" "ABELAAAHAAAqAL9hcmJoaf+WXQ==\n";

/* What the decoder delivered. */
struct sink {
	unsigned count;
	size_t len;
	uint8_t msg[BIG];
};

static void collect(void *ctx, const uint8_t *msg, size_t len)
{
	struct sink *s = ctx;

	s->count++;
	s->len = len;
	memcpy(s->msg, msg, len);
}

static uint8_t dec_buf[BIG];
static uint8_t frames[4 * BIG];
static uint8_t message[BIG];
static struct sink sink;

static struct dfu_smp_serial_decoder *decoder(size_t cap, size_t line_max)
{
	static struct dfu_smp_serial_decoder dec;

	memset(&sink, 0, sizeof(sink));
	dfu_smp_serial_decoder_init(&dec, dec_buf, cap, line_max, collect, &sink);
	return &dec;
}

static void feed_str(struct dfu_smp_serial_decoder *dec, const char *s)
{
	dfu_smp_serial_decoder_feed(dec, (const uint8_t *)s, strlen(s));
}

/* Every frame of a message, back to back; checks each line's shape on the way. */
static size_t encode_all(const uint8_t *msg, size_t len, size_t line_max, uint8_t *out,
			 size_t cap)
{
	struct dfu_smp_serial_encoder enc;
	size_t chunk_line = 3 + (line_max - 3) / 4 * 4;
	size_t off = 0, lines = 0, want = dfu_smp_serial_lines(len, line_max);
	int n;

	assert_int_equal(dfu_smp_serial_encoder_init(&enc, msg, len, line_max), 0);
	while ((n = dfu_smp_serial_encoder_next(&enc, out + off, cap - off)) > 0) {
		const uint8_t *line = out + off;
		bool last = lines + 1 == want;

		assert_true((size_t)n <= line_max);
		assert_int_equal((n - 3) % 4, 0);
		assert_int_equal(line[0], lines == 0 ? 0x06 : 0x04);
		assert_int_equal(line[1], lines == 0 ? 0x09 : 0x14);
		assert_int_equal(line[n - 1], '\n');
		if (!last) {
			assert_int_equal((size_t)n, chunk_line); /* full lines until the last */
		}
		for (int i = 2; i < n - 1; i++) {
			if (line[i] == '=') {
				assert_true(last && i >= n - 3);
			} else {
				assert_non_null(strchr(B64, line[i]));
			}
		}
		off += (size_t)n;
		lines++;
	}
	assert_int_equal(n, 0);
	assert_int_equal(lines, want);
	return off;
}

static uint32_t rng_state = 0x12345678u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)rng();
	}
}

static void crc_check_value(void **state)
{
	uint8_t with_crc[16];

	(void)state;
	assert_int_equal(dfu_smp_serial_crc16(0, (const uint8_t *)"123456789", 9), 0x31c3);
	assert_int_equal(dfu_smp_serial_crc16(0, echo_req, sizeof(echo_req)), 0x0868);
	assert_int_equal(dfu_smp_serial_crc16(0, echo_rsp, sizeof(echo_rsp)), 0x965d);
	/* piecewise, and zero over the message followed by its CRC */
	assert_int_equal(dfu_smp_serial_crc16(dfu_smp_serial_crc16(0, (const uint8_t *)"1234", 4),
					  (const uint8_t *)"56789", 5), 0x31c3);
	memcpy(with_crc, echo_req, sizeof(echo_req));
	with_crc[sizeof(echo_req)] = 0x08;
	with_crc[sizeof(echo_req) + 1] = 0x68;
	assert_int_equal(dfu_smp_serial_crc16(0, with_crc, sizeof(echo_req) + 2), 0);
}

static void encodes_spec_request(void **state)
{
	size_t n;

	(void)state;
	n = encode_all(echo_req, sizeof(echo_req), DFU_SMP_SERIAL_LINE_MAX_DEFAULT, frames,
		       sizeof(frames));
	assert_int_equal(n, strlen(echo_req_frame));
	assert_memory_equal(frames, echo_req_frame, n);
	n = encode_all(echo_rsp, sizeof(echo_rsp), DFU_SMP_SERIAL_LINE_MAX_DEFAULT, frames,
		       sizeof(frames));
	assert_int_equal(n, strlen(echo_rsp_frame));
	assert_memory_equal(frames, echo_rsp_frame, n);
}

static void decodes_spec_frames(void **state)
{
	struct dfu_smp_serial_decoder *dec =
		decoder(sizeof(dec_buf), DFU_SMP_SERIAL_LINE_MAX_DEFAULT);

	(void)state;
	feed_str(dec, echo_rsp_frame);
	assert_int_equal(sink.count, 1);
	assert_int_equal(sink.len, sizeof(echo_rsp));
	assert_memory_equal(sink.msg, echo_rsp, sizeof(echo_rsp));
	feed_str(dec, echo_req_frame);
	assert_int_equal(sink.count, 2);
	assert_int_equal(sink.len, sizeof(echo_req));
	assert_memory_equal(sink.msg, echo_req, sizeof(echo_req));
	assert_int_equal(dfu_smp_serial_decoder_stats(dec)->packets, 2);
}

/* Every size from empty to several lines, at line lengths around the quad boundaries. */
static void round_trips_every_size(void **state)
{
	static const size_t line_maxes[] = { 7, 8, 9, 10, 11, 12, 64, 126, 127, 128, 131 };

	(void)state;
	for (size_t l = 0; l < sizeof(line_maxes) / sizeof(line_maxes[0]); l++) {
		for (size_t len = 0; len <= 700; len++) {
			struct dfu_smp_serial_decoder *dec =
				decoder(sizeof(dec_buf), line_maxes[l]);
			size_t n;

			fill(message, len);
			n = encode_all(message, len, line_maxes[l], frames, sizeof(frames));
			dfu_smp_serial_decoder_feed(dec, frames, n);
			assert_int_equal(sink.count, 1);
			assert_int_equal(sink.len, len);
			assert_memory_equal(sink.msg, message, len);
		}
	}
}

/* The first line holds 93 stream bytes at 127: 89 message bytes with the length field, then
 * the CRC spills over. */
static void frame_boundaries_at_the_default_line(void **state)
{
	(void)state;
	assert_int_equal(dfu_smp_serial_lines(0, 127), 1);
	assert_int_equal(dfu_smp_serial_lines(89, 127), 1);
	assert_int_equal(dfu_smp_serial_lines(90, 127), 2);
	assert_int_equal(dfu_smp_serial_lines(182, 127), 2);
	assert_int_equal(dfu_smp_serial_lines(183, 127), 3);
	assert_int_equal(dfu_smp_serial_lines(2475, 127), 27);
	assert_int_equal(dfu_smp_serial_lines(10, 6), 0);
	assert_int_equal(encode_all(message, 89, 127, frames, sizeof(frames)), 127);
	assert_int_equal(encode_all(message, 90, 127, frames, sizeof(frames)), 127 + 7);
}

static void largest_message(void **state)
{
	struct dfu_smp_serial_decoder *dec = decoder(sizeof(dec_buf), 0);
	struct dfu_smp_serial_encoder enc;
	size_t n;

	(void)state;
	fill(message, DFU_SMP_SERIAL_MSG_MAX);
	n = encode_all(message, DFU_SMP_SERIAL_MSG_MAX, 127, frames, sizeof(frames));
	dfu_smp_serial_decoder_feed(dec, frames, n);
	assert_int_equal(sink.count, 1);
	assert_int_equal(sink.len, DFU_SMP_SERIAL_MSG_MAX);
	assert_memory_equal(sink.msg, message, DFU_SMP_SERIAL_MSG_MAX);
	assert_int_equal(
		dfu_smp_serial_encoder_init(&enc, message, DFU_SMP_SERIAL_MSG_MAX + 1, 127),
		-EMSGSIZE);
	assert_int_equal(dfu_smp_serial_encoder_init(&enc, message, 10, 6), -EINVAL);
	assert_int_equal(dfu_smp_serial_encoder_init(&enc, message, 10, 127), 0);
	assert_int_equal(dfu_smp_serial_encoder_next(&enc, frames, 22), -ENOBUFS);
	assert_int_equal(dfu_smp_serial_encoder_next(&enc, frames, 23), 23);
	assert_int_equal(dfu_smp_serial_encoder_next(&enc, frames, 23), 0);
}

static void console_noise_is_skipped(void **state)
{
	struct dfu_smp_serial_decoder *dec = decoder(sizeof(dec_buf), 127);
	size_t n;

	(void)state;
	fill(message, 300);
	n = encode_all(message, 300, 127, frames, sizeof(frames));
	feed_str(dec, "*** Booting Zephyr OS build v4.4.0 ***\r\n");
	feed_str(dec, "[00:00:00.010,000] <inf> main: up\r\n");
	feed_str(dec, "\x1b[1;32muart:~$ \x1b[m"); /* the shell prompt, then the frame */
	dfu_smp_serial_decoder_feed(dec, frames, 127);
	feed_str(dec, "[00:00:00.020,000] <dbg> log line between frames\r\n\r\n\n");
	dfu_smp_serial_decoder_feed(dec, frames + 127, n - 127);
	feed_str(dec, "uart:~$ ");
	assert_int_equal(sink.count, 1);
	assert_int_equal(sink.len, 300);
	assert_memory_equal(sink.msg, message, 300);
	feed_str(dec, echo_rsp_frame);
	assert_int_equal(sink.count, 2);
	assert_int_equal(dfu_smp_serial_decoder_stats(dec)->bad_frames, 0);
}

static void crlf_line_ends(void **state)
{
	struct dfu_smp_serial_decoder *dec = decoder(sizeof(dec_buf), 127);
	size_t n, o = 0;
	static uint8_t crlf[sizeof(frames) + 1024];

	(void)state;
	fill(message, 250);
	n = encode_all(message, 250, 126, frames, sizeof(frames)); /* with the CR, 127 at most */
	for (size_t i = 0; i < n; i++) {
		if (frames[i] == '\n') {
			crlf[o++] = '\r';
		}
		crlf[o++] = frames[i];
	}
	dfu_smp_serial_decoder_feed(dec, crlf, o);
	assert_int_equal(sink.count, 1);
	assert_memory_equal(sink.msg, message, 250);
}

static void bad_crc_is_dropped(void **state)
{
	struct dfu_smp_serial_decoder *dec = decoder(sizeof(dec_buf), 127);
	char frame[sizeof(echo_rsp_frame)];

	(void)state;
	memcpy(frame, echo_rsp_frame, sizeof(frame));
	frame[strlen(frame) - 5] = frame[strlen(frame) - 5] == 'A' ? 'B' : 'A'; /* in the CRC */
	feed_str(dec, frame);
	assert_int_equal(sink.count, 0);
	assert_int_equal(dfu_smp_serial_decoder_stats(dec)->crc_errors, 1);
	feed_str(dec, echo_rsp_frame);
	assert_int_equal(sink.count, 1);
}

static void bad_base64_drops_the_packet(void **state)
{
	struct dfu_smp_serial_decoder *dec = decoder(sizeof(dec_buf), 127);
	static const char *bad[] = {
		"\x06\x09" "ABEL*AAHAAAqAL9hcmJoaf+WXQ==\n",  /* not base64 */
		"\x06\x09" "ABELAAAHAAAqAL9hcmJoaf+WXQ=\n",   /* half a quad */
		"\x06\x09" "ABELAA==AAAqAL9hcmJoaf+WXQ==\n",  /* padding in the middle */
		"\x06\x09" "ABELAAAHAAAqAL9hcmJoaf+WX=A=\n",  /* '=' then a character */
		"\x06\x09" "ABELAAAHAAAqAL9hcmJoaf+W===\n",   /* three '=' */
		"\x06\x09" "ABELAAAHAAAqAL9hcmJoaf+WXQ== x\n", /* text after the frame */
		"\x06\x09" "AAE=\n",                          /* a length that leaves no CRC */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		feed_str(dec, bad[i]);
		assert_int_equal(sink.count, 0);
		assert_int_equal(dfu_smp_serial_decoder_stats(dec)->bad_frames, i + 1);
	}
	feed_str(dec, echo_rsp_frame);
	assert_int_equal(sink.count, 1);
}

static void continuations_of_a_dropped_packet_are_skipped(void **state)
{
	struct dfu_smp_serial_decoder *dec = decoder(sizeof(dec_buf), 127);
	size_t n;

	(void)state;
	fill(message, 400);
	n = encode_all(message, 400, 127, frames, sizeof(frames));
	frames[10] = '!';
	dfu_smp_serial_decoder_feed(dec, frames, n);
	assert_int_equal(sink.count, 0);
	assert_int_equal(dfu_smp_serial_decoder_stats(dec)->bad_frames, 1);
	feed_str(dec, echo_req_frame);
	assert_int_equal(sink.count, 1);
	/* continuations with no start at all: one bad frame for them all */
	dfu_smp_serial_decoder_feed(dec, frames + 127, n - 127);
	assert_int_equal(dfu_smp_serial_decoder_stats(dec)->bad_frames, 2);
	feed_str(dec, echo_req_frame);
	assert_int_equal(sink.count, 2);
}

static void truncated_packets(void **state)
{
	struct dfu_smp_serial_decoder *dec = decoder(sizeof(dec_buf), 127);
	size_t n;

	(void)state;
	fill(message, 200);
	n = encode_all(message, 200, 127, frames, sizeof(frames));
	/* the first frame only, then a whole other packet */
	dfu_smp_serial_decoder_feed(dec, frames, 127);
	feed_str(dec, echo_rsp_frame);
	assert_int_equal(sink.count, 1);
	assert_int_equal(sink.len, sizeof(echo_rsp));
	assert_int_equal(dfu_smp_serial_decoder_stats(dec)->truncated, 1);
	/* cut in the middle of a line: half a quad, a bad frame, and its continuations skipped */
	dfu_smp_serial_decoder_feed(dec, frames, 60);
	feed_str(dec, "\n");
	dfu_smp_serial_decoder_feed(dec, frames + 127, n - 127);
	assert_int_equal(sink.count, 1);
	/* more data than its length field says */
	feed_str(dec, "\x06\x09" "AAMAAAAA\n");
	assert_int_equal(sink.count, 1);
	assert_int_equal(dfu_smp_serial_decoder_stats(dec)->truncated, 2);
	assert_int_equal(dfu_smp_serial_decoder_stats(dec)->bad_frames, 1);
	dfu_smp_serial_decoder_feed(dec, frames, n);
	assert_int_equal(sink.count, 2);
	assert_memory_equal(sink.msg, message, 200);
}

static void oversize_packets_and_lines(void **state)
{
	struct dfu_smp_serial_decoder *dec = decoder(100, 127);
	size_t n;

	(void)state;
	fill(message, 99);
	n = encode_all(message, 99, 127, frames, sizeof(frames)); /* 101 bytes with the CRC */
	dfu_smp_serial_decoder_feed(dec, frames, n);
	assert_int_equal(sink.count, 0);
	assert_int_equal(dfu_smp_serial_decoder_stats(dec)->oversize, 1);
	assert_int_equal(dfu_smp_serial_decoder_stats(dec)->bad_frames, 0);
	n = encode_all(message, 98, 127, frames, sizeof(frames)); /* just fits */
	dfu_smp_serial_decoder_feed(dec, frames, n);
	assert_int_equal(sink.count, 1);

	/* a device with a 127-byte line buffer drops longer lines */
	dec = decoder(sizeof(dec_buf), 127);
	n = encode_all(message, 92, 131, frames, sizeof(frames)); /* one 131-byte line */
	assert_int_equal(n, 131);
	dfu_smp_serial_decoder_feed(dec, frames, n);
	assert_int_equal(sink.count, 0);
	assert_int_equal(dfu_smp_serial_decoder_stats(dec)->oversize, 1);
	n = encode_all(message, 89, 127, frames, sizeof(frames));
	dfu_smp_serial_decoder_feed(dec, frames, n);
	assert_int_equal(sink.count, 1);
}

static void reset_forgets_a_partial_packet(void **state)
{
	struct dfu_smp_serial_decoder *dec = decoder(sizeof(dec_buf), 127);
	size_t n;

	(void)state;
	fill(message, 200);
	n = encode_all(message, 200, 127, frames, sizeof(frames));
	dfu_smp_serial_decoder_feed(dec, frames, 127 + 40);
	dfu_smp_serial_decoder_reset(dec);
	dfu_smp_serial_decoder_feed(dec, frames, n);
	assert_int_equal(sink.count, 1);
	assert_int_equal(dfu_smp_serial_decoder_stats(dec)->truncated, 0);
}

/* A packet of three frames with noise, split into two reads at every position, then fed one
 * byte at a time. */
static void split_at_every_position(void **state)
{
	static uint8_t stream[1024];
	size_t n, len = 0;
	const char *noise = "log\r\nuart:~$ ";

	(void)state;
	fill(message, 250);
	memcpy(stream, noise, strlen(noise));
	len = strlen(noise);
	n = encode_all(message, 250, 127, frames, sizeof(frames));
	memcpy(stream + len, frames, 127);
	len += 127;
	memcpy(stream + len, "noise\r\n", 7);
	len += 7;
	memcpy(stream + len, frames + 127, n - 127);
	len += n - 127;
	for (size_t cut = 0; cut <= len; cut++) {
		struct dfu_smp_serial_decoder *dec = decoder(sizeof(dec_buf), 127);

		dfu_smp_serial_decoder_feed(dec, stream, cut);
		dfu_smp_serial_decoder_feed(dec, stream + cut, len - cut);
		assert_int_equal(sink.count, 1);
		assert_memory_equal(sink.msg, message, 250);
	}
	{
		struct dfu_smp_serial_decoder *dec = decoder(sizeof(dec_buf), 127);

		for (size_t i = 0; i < len; i++) {
			dfu_smp_serial_decoder_feed(dec, stream + i, 1);
		}
		assert_int_equal(sink.count, 1);
	}
}

/* Random bytes, rich in markers, base64 and newlines, with small and large buffers: nothing
 * is read or written out of bounds, and a good packet after a newline always gets through. */
static void random_input(void **state)
{
	static const uint8_t alphabet[] = { 0x06, 0x09, 0x04, 0x14, '\n', '\r', '=', 'A', 'Q',
					    '/', '+', 'z', '0', 0x00, 0xff };
	static uint8_t junk[2048];
	static uint8_t small_buf[8];

	(void)state;
	for (int round = 0; round < 3000; round++) {
		size_t cap = round % 3 == 0 ? sizeof(small_buf) : sizeof(dec_buf);
		struct dfu_smp_serial_decoder dec;
		size_t len = rng() % sizeof(junk);

		memset(&sink, 0, sizeof(sink));
		dfu_smp_serial_decoder_init(&dec, round % 3 == 0 ? small_buf : dec_buf, cap,
					round % 2 ? 127 : 0, collect, &sink);
		for (size_t i = 0; i < len; i++) {
			junk[i] = rng() % 4 ? alphabet[rng() % sizeof(alphabet)] : (uint8_t)rng();
		}
		/* half the time, pieces of a real packet in the mix */
		if (round % 2) {
			size_t n = encode_all(echo_rsp, sizeof(echo_rsp), 127, frames,
					      sizeof(frames));
			size_t at = len > n ? rng() % (len - n) : 0;

			if (len > n) {
				memcpy(junk + at, frames, n - rng() % n);
			}
		}
		for (size_t off = 0; off < len;) {
			size_t piece = 1 + rng() % 200;

			if (piece > len - off) {
				piece = len - off;
			}
			dfu_smp_serial_decoder_feed(&dec, junk + off, piece);
			off += piece;
		}
		sink.count = 0;
		feed_str(&dec, "\n");
		feed_str(&dec, echo_req_frame);
		if (cap >= sizeof(echo_req) + 2) {
			assert_int_equal(sink.count, 1);
			assert_memory_equal(sink.msg, echo_req, sizeof(echo_req));
		} else {
			assert_int_equal(sink.count, 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc_check_value),
		cmocka_unit_test(encodes_spec_request),
		cmocka_unit_test(decodes_spec_frames),
		cmocka_unit_test(round_trips_every_size),
		cmocka_unit_test(frame_boundaries_at_the_default_line),
		cmocka_unit_test(largest_message),
		cmocka_unit_test(console_noise_is_skipped),
		cmocka_unit_test(crlf_line_ends),
		cmocka_unit_test(bad_crc_is_dropped),
		cmocka_unit_test(bad_base64_drops_the_packet),
		cmocka_unit_test(continuations_of_a_dropped_packet_are_skipped),
		cmocka_unit_test(truncated_packets),
		cmocka_unit_test(oversize_packets_and_lines),
		cmocka_unit_test(reset_forgets_a_partial_packet),
		cmocka_unit_test(split_at_every_position),
		cmocka_unit_test(random_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
