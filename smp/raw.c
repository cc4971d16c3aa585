/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/smp/raw.h>

#include <errno.h>
#include <string.h>

#include <dfu-smp/smp/header.h>

/* The message length a header gives: the header and its payload. */
static size_t header_total(const uint8_t *hdr)
{
	return DFU_SMP_HDR_SIZE + (((size_t)hdr[2] << 8) | hdr[3]);
}

int dfu_smp_raw_msg_len(const uint8_t *msg, size_t len)
{
	if (msg == NULL || len < DFU_SMP_HDR_SIZE || len > DFU_SMP_MSG_MAX ||
	    header_total(msg) != len) {
		return -EINVAL;
	}
	return (int)len;
}

int dfu_smp_raw_decoder_init(struct dfu_smp_raw_decoder *dec, uint8_t *buf, size_t cap,
			 uint64_t timeout_ms, dfu_smp_raw_msg_cb cb, void *ctx)
{
	if (buf == NULL || cap < DFU_SMP_HDR_SIZE || cb == NULL) {
		return -EINVAL;
	}
	memset(dec, 0, sizeof(*dec));
	dec->buf = buf;
	dec->cap = cap;
	dec->timeout_ms = timeout_ms;
	dec->cb = cb;
	dec->ctx = ctx;
	return 0;
}

void dfu_smp_raw_decoder_reset(struct dfu_smp_raw_decoder *dec)
{
	dec->got = 0;
	dec->total = 0;
	dec->skipping = 0;
}

const struct dfu_smp_raw_stats *dfu_smp_raw_decoder_stats(const struct dfu_smp_raw_decoder *dec)
{
	return &dec->stats;
}

uint64_t dfu_smp_raw_decoder_deadline(const struct dfu_smp_raw_decoder *dec)
{
	if (dec->got == 0 || dec->timeout_ms == 0 || dec->last_ms > UINT64_MAX - dec->timeout_ms) {
		return UINT64_MAX;
	}
	return dec->last_ms + dec->timeout_ms;
}

int dfu_smp_raw_decoder_expire(struct dfu_smp_raw_decoder *dec, uint64_t now_ms)
{
	if (now_ms < dfu_smp_raw_decoder_deadline(dec)) {
		return 0;
	}
	if (!dec->skipping) {
		dec->stats.timeouts++; /* a skip already counted as oversize */
	}
	dfu_smp_raw_decoder_reset(dec);
	return 1;
}

void dfu_smp_raw_decoder_feed(struct dfu_smp_raw_decoder *dec, const uint8_t *data, size_t len,
			  uint64_t now_ms)
{
	size_t i = 0;

	if (len == 0) {
		return;
	}
	dfu_smp_raw_decoder_expire(dec, now_ms);
	dec->last_ms = now_ms;
	while (i < len) {
		size_t want, n;

		if (dec->total == 0) {
			/* the header, a byte at a time */
			dec->buf[dec->got++] = data[i++];
			if (dec->got < DFU_SMP_HDR_SIZE) {
				continue;
			}
			dec->total = header_total(dec->buf);
			if (dec->total > dec->cap) {
				dec->stats.oversize++;
				dec->skipping = 1;
			}
		}
		want = dec->total - dec->got;
		n = len - i < want ? len - i : want;
		if (!dec->skipping) {
			memcpy(dec->buf + dec->got, data + i, n);
		}
		dec->got += n;
		i += n;
		if (dec->got == dec->total) {
			int skipped = dec->skipping;
			size_t total = dec->total;

			dfu_smp_raw_decoder_reset(dec);
			if (!skipped) {
				dec->stats.messages++;
				dec->cb(dec->ctx, dec->buf, total);
			}
		}
	}
}
