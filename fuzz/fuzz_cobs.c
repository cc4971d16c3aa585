/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the COBS framing (smp/cobs.c). Input: one byte choosing the decoder's buffer
 * size, then pieces, each a length byte and that many stream bytes. Every message delivered
 * must fit the buffer and frame again into bytes the decoder takes back unchanged; the bytes
 * past the buffer stay untouched. The whole input must also survive COBS encoding and decoding.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/smp/cobs.h>

#define GUARD 16u
#define CAP_MAX (3u + 255u * 8u)

static size_t cap_now;
static uint8_t again[CAP_MAX];
static size_t again_len;

static void keep_again(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	memcpy(again, msg, len);
	again_len = len;
}

static void check(void *ctx, const uint8_t *msg, size_t len)
{
	static uint8_t frame[DFU_SMP_COBS_FRAME_MAX(CAP_MAX)];
	static uint8_t buf[CAP_MAX];
	struct dfu_smp_cobs_decoder dec;
	int n;

	(void)ctx;
	if (len == 0 || len + DFU_SMP_COBS_CRC_SIZE > cap_now) {
		abort();
	}
	n = dfu_smp_cobs_frame(msg, len, frame, sizeof(frame));
	if (n <= 0 || (size_t)n > DFU_SMP_COBS_FRAME_MAX(len)) {
		abort();
	}
	again_len = 0;
	dfu_smp_cobs_decoder_init(&dec, buf, sizeof(buf), keep_again, NULL);
	dfu_smp_cobs_decoder_feed(&dec, frame, (size_t)n);
	if (again_len != len || memcmp(again, msg, len) != 0) {
		abort();
	}
}

static void round_trip(const uint8_t *data, size_t size)
{
	size_t cap = DFU_SMP_COBS_ENCODED_MAX(size);
	uint8_t *enc = malloc(cap);
	uint8_t *dec = malloc(size + 1u);
	int n;

	if (enc == NULL || dec == NULL) {
		abort();
	}
	n = dfu_smp_cobs_encode(data, size, enc, cap);
	if (n <= 0 || memchr(enc, 0, (size_t)n) != NULL ||
	    dfu_smp_cobs_decode(enc, (size_t)n, dec, size + 1u) != (int)size ||
	    memcmp(dec, data, size) != 0) {
		abort();
	}
	/* and the input read as COBS: never more bytes out than in */
	n = dfu_smp_cobs_decode(data, size, dec, size + 1u);
	if (n > (int)size) {
		abort();
	}
	free(enc);
	free(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[CAP_MAX + GUARD];
	struct dfu_smp_cobs_decoder dec;
	size_t i = 1;

	round_trip(data, size);
	if (size < 1) {
		return 0;
	}
	cap_now = 3u + (size_t)data[0] * 8u;
	memset(buf, 0xa5, sizeof(buf));
	if (dfu_smp_cobs_decoder_init(&dec, buf, cap_now, check, NULL) != 0) {
		abort();
	}
	while (i < size) {
		size_t n = data[i++];

		if (n > size - i) {
			n = size - i;
		}
		dfu_smp_cobs_decoder_feed(&dec, data + i, n);
		i += n;
	}
	for (size_t k = cap_now; k < cap_now + GUARD; k++) {
		if (buf[k] != 0xa5u) {
			abort();
		}
	}
	return 0;
}
