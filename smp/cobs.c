/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/smp/cobs.h>

#include <errno.h>
#include <string.h>

#include <dfu-smp/smp/serial.h>

/* An encoder writing into a caller's buffer, fed any number of pieces. */
struct stuffer {
	uint8_t *out;
	size_t cap;
	size_t len;  /* bytes written, the open block's code byte included */
	size_t code; /* where the open block's code byte goes */
	int full;    /* out of room */
};

static void stuff_open(struct stuffer *s)
{
	if (s->len >= s->cap) {
		s->full = 1;
		return;
	}
	s->code = s->len;
	s->out[s->len++] = 1;
}

static void stuff(struct stuffer *s, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n && !s->full; i++) {
		if (in[i] == 0) {
			stuff_open(s); /* the open block ends with this 0x00 */
			continue;
		}
		if (s->len >= s->cap) {
			s->full = 1;
			return;
		}
		s->out[s->len++] = in[i];
		if (++s->out[s->code] == 0xffu) {
			/* a full block, no 0x00 after it; at the very end the empty block opened
			 * here stays (254 non-zero bytes -> FF, the bytes, 01) */
			stuff_open(s);
		}
	}
}

int dfu_smp_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	struct stuffer s = { out, cap, 0, 0, 0 };

	stuff_open(&s);
	stuff(&s, in, len);
	return s.full ? -ENOBUFS : (int)s.len;
}

int dfu_smp_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;
	size_t i = 0;

	while (i < len) {
		uint8_t code = in[i++];

		if (code == 0 || (size_t)(code - 1u) > len - i) {
			return -EINVAL;
		}
		for (uint8_t k = 1; k < code; k++, i++) {
			if (in[i] == 0) {
				return -EINVAL;
			}
			if (o >= cap) {
				return -ENOBUFS;
			}
			out[o++] = in[i];
		}
		if (code != 0xffu && i < len) {
			if (o >= cap) {
				return -ENOBUFS;
			}
			out[o++] = 0;
		}
	}
	return (int)o;
}

int dfu_smp_cobs_frame(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
	uint16_t crc = dfu_smp_serial_crc16(0, msg, len);
	uint8_t tail[DFU_SMP_COBS_CRC_SIZE] = { (uint8_t)(crc >> 8), (uint8_t)crc };
	struct stuffer s = { out, cap, 0, 0, 0 };

	stuff_open(&s);
	stuff(&s, msg, len);
	stuff(&s, tail, sizeof(tail));
	if (s.full || s.len >= cap) {
		return -ENOBUFS;
	}
	out[s.len++] = 0;
	return (int)s.len;
}

int dfu_smp_cobs_decoder_init(struct dfu_smp_cobs_decoder *dec, uint8_t *buf, size_t cap,
			  dfu_smp_cobs_msg_cb cb, void *ctx)
{
	if (buf == NULL || cap < 3u || cb == NULL) {
		return -EINVAL;
	}
	memset(dec, 0, sizeof(*dec));
	dec->buf = buf;
	dec->cap = cap;
	dec->cb = cb;
	dec->ctx = ctx;
	return 0;
}

void dfu_smp_cobs_decoder_reset(struct dfu_smp_cobs_decoder *dec)
{
	dec->got = 0;
	dec->seen = 0;
	dec->left = 0;
	dec->code = 0;
	dec->skipping = 0;
}

const struct dfu_smp_cobs_stats *dfu_smp_cobs_decoder_stats(const struct dfu_smp_cobs_decoder *dec)
{
	return &dec->stats;
}

/* A delimiter: the frame so far is complete. */
static void end_frame(struct dfu_smp_cobs_decoder *dec)
{
	size_t got = dec->got;
	size_t seen = dec->seen;
	int skipped = dec->skipping;
	int cut = dec->left != 0;

	dfu_smp_cobs_decoder_reset(dec);
	if (seen == 0 || skipped) {
		return; /* an empty frame, or one counted as oversize already */
	}
	if (cut || got < 3u) {
		dec->stats.bad_frames++;
		return;
	}
	if (dfu_smp_serial_crc16(0, dec->buf, got) != 0) {
		dec->stats.crc_errors++;
		return;
	}
	dec->stats.frames++;
	dec->cb(dec->ctx, dec->buf, got - DFU_SMP_COBS_CRC_SIZE);
}

/* One decoded byte; drops the frame when the buffer is full. */
static void keep(struct dfu_smp_cobs_decoder *dec, uint8_t b)
{
	if (dec->got >= dec->cap) {
		dec->stats.oversize++;
		dec->skipping = 1;
		return;
	}
	dec->buf[dec->got++] = b;
}

void dfu_smp_cobs_decoder_feed(struct dfu_smp_cobs_decoder *dec, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = data[i];

		if (c == 0) {
			end_frame(dec);
			continue;
		}
		if (dec->skipping) {
			continue;
		}
		dec->seen++;
		if (dec->left != 0) {
			dec->left--;
			keep(dec, c);
			continue;
		}
		/* a code byte: the block before it, unless full or the first, ended with 0x00 */
		if (dec->code != 0 && dec->code != 0xffu) {
			keep(dec, 0);
			if (dec->skipping) {
				continue;
			}
		}
		dec->code = c;
		dec->left = (uint8_t)(c - 1u);
	}
}
