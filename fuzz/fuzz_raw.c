/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the raw UART decoder (smp/raw.c). Input: one byte choosing the buffer size,
 * one the input timeout, then pieces, each a length byte, a byte of milliseconds passed since
 * the piece before, and that many stream bytes. Every message delivered must be whole (its
 * header gives its length) and fit the buffer; the bytes past the buffer stay untouched.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/smp/header.h>
#include <dfu-smp/smp/raw.h>

#define GUARD 16u

static size_t cap_now;

static void check(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	if (len < DFU_SMP_HDR_SIZE || len > cap_now || dfu_smp_raw_msg_len(msg, len) != (int)len) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[DFU_SMP_HDR_SIZE + 1024u + GUARD];
	struct dfu_smp_raw_decoder dec;
	uint64_t now = 0;
	size_t i = 2;

	if (size < 2) {
		return 0;
	}
	cap_now = DFU_SMP_HDR_SIZE + (size_t)data[0] * 4u;
	memset(buf, 0xa5, sizeof(buf));
	if (dfu_smp_raw_decoder_init(&dec, buf, cap_now, data[1], check, NULL) != 0) {
		abort();
	}
	while (i + 2u <= size) {
		size_t n = data[i];

		now += data[i + 1u];
		i += 2u;
		if (n > size - i) {
			n = size - i;
		}
		if (data[i - 1u] & 1u) {
			dfu_smp_raw_decoder_expire(&dec, now);
		}
		dfu_smp_raw_decoder_feed(&dec, data + i, n, now);
		if (n != 0 && dfu_smp_raw_decoder_deadline(&dec) != UINT64_MAX &&
		    dfu_smp_raw_decoder_deadline(&dec) != now + data[1]) {
			abort();
		}
		i += n;
	}
	for (size_t k = cap_now; k < cap_now + GUARD; k++) {
		if (buf[k] != 0xa5u) {
			abort();
		}
	}
	return 0;
}
