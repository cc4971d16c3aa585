/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the console-framing serial decoder (smp/serial.c). Input: a byte choosing
 * the buffer size, one the longest line (0: any), one whether to reset between pieces, then
 * pieces, each a length byte and that many stream bytes. Every message delivered must fit
 * the buffer, and framing it again must give a stream a fresh decoder takes back unchanged;
 * the bytes past the buffer stay untouched and the counters only grow.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/smp/serial.h>

#define GUARD 16u
#define CAP_MAX (2u + 255u * 8u)

static size_t cap_now;
static size_t line_now;
static uint8_t again[CAP_MAX];
static size_t again_len;
static unsigned again_count;

static void keep_again(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	if (len > sizeof(again)) {
		abort();
	}
	memcpy(again, msg, len);
	again_len = len;
	again_count++;
}

static void check(void *ctx, const uint8_t *msg, size_t len)
{
	static uint8_t buf[CAP_MAX];
	static uint8_t line[4096];
	struct dfu_smp_serial_encoder enc;
	struct dfu_smp_serial_decoder dec;
	size_t line_max = line_now ? line_now : 127u;
	int n;

	(void)ctx;
	if (len + 2u > cap_now) {
		abort();
	}
	if (dfu_smp_serial_encoder_init(&enc, msg, len, line_max) != 0) {
		abort();
	}
	again_len = 0;
	again_count = 0;
	dfu_smp_serial_decoder_init(&dec, buf, sizeof(buf), line_max, keep_again, NULL);
	while ((n = dfu_smp_serial_encoder_next(&enc, line, sizeof(line))) > 0) {
		if ((size_t)n > line_max) {
			abort();
		}
		dfu_smp_serial_decoder_feed(&dec, line, (size_t)n);
	}
	if (n < 0 || again_count != 1 || again_len != len || memcmp(again, msg, len) != 0) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[CAP_MAX + GUARD];
	struct dfu_smp_serial_decoder dec;
	struct dfu_smp_serial_stats before;
	size_t i = 3;

	if (size < 3) {
		return 0;
	}
	cap_now = 2u + (size_t)data[0] * 8u;
	line_now = data[1] < DFU_SMP_SERIAL_LINE_MIN ? 0u : data[1];
	memset(buf, 0xa5, sizeof(buf));
	dfu_smp_serial_decoder_init(&dec, buf, cap_now, line_now, check, NULL);
	while (i < size) {
		size_t n = data[i++];

		if (n > size - i) {
			n = size - i;
		}
		before = *dfu_smp_serial_decoder_stats(&dec);
		dfu_smp_serial_decoder_feed(&dec, data + i, n);
		i += n;
		const struct dfu_smp_serial_stats *s = dfu_smp_serial_decoder_stats(&dec);

		if (s->packets < before.packets || s->crc_errors < before.crc_errors ||
		    s->bad_frames < before.bad_frames || s->oversize < before.oversize ||
		    s->truncated < before.truncated) {
			abort();
		}
		if (data[2] & 1u && (n & 7u) == 0) {
			dfu_smp_serial_decoder_reset(&dec);
		}
	}
	for (size_t k = cap_now; k < cap_now + GUARD; k++) {
		if (buf[k] != 0xa5u) {
			abort();
		}
	}
	return 0;
}
