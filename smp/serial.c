/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/smp/serial.h>

#include <errno.h>
#include <string.h>

#define MARK_START_0 0x06u
#define MARK_START_1 0x09u
#define MARK_CONT_0 0x04u
#define MARK_CONT_1 0x14u

/* Decoder states. */
enum {
	ST_SEEK,  /* outside a frame: looking for a marker */
	ST_FRAME, /* in a frame's base64 */
	ST_SKIP,  /* in a frame being dropped: up to the end of its line */
};

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

uint16_t dfu_smp_serial_crc16(uint16_t crc, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)(data[i] << 8);
		for (int bit = 0; bit < 8; bit++) {
			if (crc & 0x8000u) {
				crc = (uint16_t)((crc << 1) ^ 0x1021u);
			} else {
				crc = (uint16_t)(crc << 1);
			}
		}
	}
	return crc;
}

/* Packet stream bytes one line carries: whole base64 quads between marker and newline. */
static size_t chunk_size(size_t line_max)
{
	return (line_max - 3u) / 4u * 3u;
}

size_t dfu_smp_serial_msg_max(size_t buf_size)
{
	if (buf_size <= DFU_SMP_SERIAL_OVERHEAD) {
		return 0;
	}
	return buf_size - DFU_SMP_SERIAL_OVERHEAD > DFU_SMP_SERIAL_MSG_MAX
		       ? DFU_SMP_SERIAL_MSG_MAX
		       : buf_size - DFU_SMP_SERIAL_OVERHEAD;
}

size_t dfu_smp_serial_lines(size_t msg_len, size_t line_max)
{
	size_t chunk;

	if (line_max < DFU_SMP_SERIAL_LINE_MIN) {
		return 0;
	}
	chunk = chunk_size(line_max);
	return (msg_len + DFU_SMP_SERIAL_OVERHEAD + chunk - 1u) / chunk;
}

int dfu_smp_serial_encoder_init(struct dfu_smp_serial_encoder *enc, const uint8_t *msg, size_t len,
			    size_t line_max)
{
	uint16_t crc;

	if (line_max < DFU_SMP_SERIAL_LINE_MIN) {
		return -EINVAL;
	}
	if (len > DFU_SMP_SERIAL_MSG_MAX) {
		return -EMSGSIZE;
	}
	crc = dfu_smp_serial_crc16(0, msg, len);
	enc->msg = msg;
	enc->len = len;
	enc->pos = 0;
	enc->chunk = chunk_size(line_max);
	enc->head[0] = (uint8_t)((len + 2u) >> 8);
	enc->head[1] = (uint8_t)(len + 2u);
	enc->crc[0] = (uint8_t)(crc >> 8);
	enc->crc[1] = (uint8_t)crc;
	return 0;
}

static uint8_t stream_byte(const struct dfu_smp_serial_encoder *enc, size_t i)
{
	if (i < 2u) {
		return enc->head[i];
	}
	if (i - 2u < enc->len) {
		return enc->msg[i - 2u];
	}
	return enc->crc[i - 2u - enc->len];
}

int dfu_smp_serial_encoder_next(struct dfu_smp_serial_encoder *enc, uint8_t *out, size_t cap)
{
	size_t left = enc->len + DFU_SMP_SERIAL_OVERHEAD - enc->pos;
	size_t n = left < enc->chunk ? left : enc->chunk;
	size_t line = 2u + (n + 2u) / 3u * 4u + 1u;
	size_t o = 2;

	if (n == 0) {
		return 0;
	}
	if (cap < line) {
		return -ENOBUFS;
	}
	out[0] = enc->pos == 0 ? MARK_START_0 : MARK_CONT_0;
	out[1] = enc->pos == 0 ? MARK_START_1 : MARK_CONT_1;
	for (size_t i = 0; i < n; i += 3u) {
		size_t k = n - i < 3u ? n - i : 3u;
		uint32_t v = (uint32_t)stream_byte(enc, enc->pos + i) << 16;

		if (k > 1u) {
			v |= (uint32_t)stream_byte(enc, enc->pos + i + 1u) << 8;
		}
		if (k > 2u) {
			v |= stream_byte(enc, enc->pos + i + 2u);
		}
		out[o++] = (uint8_t)b64_chars[(v >> 18) & 0x3fu];
		out[o++] = (uint8_t)b64_chars[(v >> 12) & 0x3fu];
		out[o++] = k > 1u ? (uint8_t)b64_chars[(v >> 6) & 0x3fu] : (uint8_t)'=';
		out[o++] = k > 2u ? (uint8_t)b64_chars[v & 0x3fu] : (uint8_t)'=';
	}
	out[o++] = '\n';
	enc->pos += n;
	return (int)o;
}

void dfu_smp_serial_decoder_init(struct dfu_smp_serial_decoder *dec, uint8_t *buf, size_t cap,
			     size_t line_max, dfu_smp_serial_msg_cb cb, void *ctx)
{
	memset(dec, 0, sizeof(*dec));
	dec->buf = buf;
	dec->cap = cap;
	dec->line_max = line_max;
	dec->cb = cb;
	dec->ctx = ctx;
	dec->state = ST_SEEK;
}

void dfu_smp_serial_decoder_reset(struct dfu_smp_serial_decoder *dec)
{
	dec->state = ST_SEEK;
	dec->prev = 0;
	dec->in_packet = false;
	dec->skip_packet = false;
}

const struct dfu_smp_serial_stats *dfu_smp_serial_decoder_stats(
	const struct dfu_smp_serial_decoder *dec)
{
	return &dec->stats;
}

/* The value of a base64 character, or -1. */
static int b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	if (c == '+') {
		return 62;
	}
	if (c == '/') {
		return 63;
	}
	return -1;
}

/* The rest of the packet is lost: skip its line and every continuation until a new start. */
static void drop_packet(struct dfu_smp_serial_decoder *dec, uint32_t *counter)
{
	(*counter)++;
	dec->in_packet = false;
	dec->skip_packet = true;
	dec->state = ST_SKIP;
}

/* One decoded byte of the packet; false when the packet was dropped. */
static bool append(struct dfu_smp_serial_decoder *dec, uint8_t b)
{
	if (dec->head_len < 2u) {
		dec->total = (uint16_t)((dec->total << 8) | b);
		if (++dec->head_len == 2u) {
			if (dec->total < 2u) {
				drop_packet(dec, &dec->stats.bad_frames); /* no room for its CRC */
				return false;
			}
			if (dec->total > dec->cap) {
				drop_packet(dec, &dec->stats.oversize);
				return false;
			}
		}
		return true;
	}
	if (dec->got >= dec->total) {
		drop_packet(dec, &dec->stats.truncated); /* more data than its length said */
		return false;
	}
	dec->buf[dec->got++] = b;
	return true;
}

/* Four base64 characters; false when they are not valid or the packet was dropped. */
static bool decode_quad(struct dfu_smp_serial_decoder *dec)
{
	int v[4];
	size_t n = 3;

	for (size_t i = 0; i < 4u; i++) {
		v[i] = dec->quad[i] == '=' ? 0 : b64_value((uint8_t)dec->quad[i]);
	}
	if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 || dec->quad[0] == '=' ||
	    dec->quad[1] == '=' || (dec->quad[2] == '=' && dec->quad[3] != '=')) {
		drop_packet(dec, &dec->stats.bad_frames);
		return false;
	}
	if (dec->quad[2] == '=') {
		n = 1;
	} else if (dec->quad[3] == '=') {
		n = 2;
	}
	dec->padded = n < 3u;
	if (!append(dec, (uint8_t)((v[0] << 2) | (v[1] >> 4)))) {
		return false;
	}
	if (n > 1u && !append(dec, (uint8_t)(((v[1] & 0xf) << 4) | (v[2] >> 2)))) {
		return false;
	}
	return n < 3u || append(dec, (uint8_t)(((v[2] & 0x3) << 6) | v[3]));
}

/* A frame's newline: the packet is complete when every byte its length said has come. */
static void end_frame(struct dfu_smp_serial_decoder *dec)
{
	dec->state = ST_SEEK;
	if (dec->quad_len != 0u) {
		drop_packet(dec, &dec->stats.bad_frames);
		dec->state = ST_SEEK;
		return;
	}
	if (!dec->in_packet || dec->head_len < 2u || dec->got < dec->total) {
		return; /* more frames to come */
	}
	dec->in_packet = false;
	if (dfu_smp_serial_crc16(0, dec->buf, dec->got) != 0) {
		dec->stats.crc_errors++;
		return;
	}
	dec->stats.packets++;
	dec->cb(dec->ctx, dec->buf, dec->got - 2u);
}

static void start_frame(struct dfu_smp_serial_decoder *dec, bool first)
{
	dec->line_len = 2;
	dec->quad_len = 0;
	dec->padded = false;
	if (first) {
		if (dec->in_packet) {
			dec->stats.truncated++;
		}
		dec->in_packet = true;
		dec->skip_packet = false;
		dec->head_len = 0;
		dec->total = 0;
		dec->got = 0;
	} else if (!dec->in_packet) {
		if (!dec->skip_packet) {
			dec->stats.bad_frames++; /* once for the rest of that packet */
			dec->skip_packet = true;
		}
		dec->state = ST_SKIP;
		return;
	}
	dec->state = ST_FRAME;
}

static void frame_byte(struct dfu_smp_serial_decoder *dec, uint8_t c)
{
	if (dec->line_max && ++dec->line_len > dec->line_max) {
		drop_packet(dec, &dec->stats.oversize);
		if (c == '\n') {
			dec->state = ST_SEEK;
		}
		return;
	}
	if (c == '\n') {
		end_frame(dec);
		return;
	}
	if (c == '\r') {
		return;
	}
	if (dec->padded || (c != '=' && b64_value(c) < 0)) {
		drop_packet(dec, &dec->stats.bad_frames);
		return;
	}
	dec->quad[dec->quad_len++] = (char)c;
	if (dec->quad_len == 4u) {
		dec->quad_len = 0;
		decode_quad(dec);
	}
}

void dfu_smp_serial_decoder_feed(struct dfu_smp_serial_decoder *dec, const uint8_t *data,
				 size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = data[i];

		switch (dec->state) {
		case ST_FRAME:
			frame_byte(dec, c);
			break;
		case ST_SKIP:
			if (c == '\n') {
				dec->state = ST_SEEK;
			}
			break;
		default:
			if (dec->prev == MARK_START_0 && c == MARK_START_1) {
				start_frame(dec, true);
				c = 0;
			} else if (dec->prev == MARK_CONT_0 && c == MARK_CONT_1) {
				start_frame(dec, false);
				c = 0;
			}
			break;
		}
		dec->prev = c == '\n' ? 0 : c;
	}
}
