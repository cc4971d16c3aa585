/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMP in COBS frames (transports.md (b), "COBS framing"; MCUboot's raw serial recovery built
 * with COBS): each frame is COBS-encode(SMP message || CRC-16/XMODEM of the message, big-endian)
 * followed by one 0x00 delimiter.
 *
 * COBS (Consistent Overhead Byte Stuffing) leaves no 0x00 in its output: it is a series of
 * blocks, each a code byte N (1..255) and N - 1 non-zero bytes; a block with N < 255 stands for
 * those bytes and one 0x00, except at the very end.
 *
 * The decoder splits what a UART delivers, in pieces of any size, at 0x00. It drops a frame
 * that does not decode (a block cut short by the delimiter), is shorter than 3 bytes decoded,
 * fails the CRC or is longer than the caller's buffer, and starts again after the next
 * delimiter; while no delimiter comes it keeps at most the buffer's size, skipping the rest.
 * Two delimiters in a row (an empty frame, which senders use to flush a line) are no error.
 *
 * No allocation and no clock: the caller owns every buffer.
 */
#ifndef DFU_SMP_COBS_H
#define DFU_SMP_COBS_H

#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>

/** Bytes of CRC after the message inside a frame. */
#define DFU_SMP_COBS_CRC_SIZE 2u

/** The most bytes COBS turns @p len bytes into: one code byte per 254 bytes and one more. */
#define DFU_SMP_COBS_ENCODED_MAX(len) ((len) + (len) / 254u + 1u)

/** The longest frame, delimiter included, a message of @p len bytes takes. */
#define DFU_SMP_COBS_FRAME_MAX(len) (DFU_SMP_COBS_ENCODED_MAX((len) + DFU_SMP_COBS_CRC_SIZE) + 1u)

/**
 * COBS-encode @p len bytes at @p in into @p out (@p cap bytes; DFU_SMP_COBS_ENCODED_MAX(len) is
 * always enough), with no delimiter.
 * @return the encoded length; -ENOBUFS when @p cap is too short.
 */
DFU_SMP_API int dfu_smp_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/**
 * Decode the @p len COBS bytes at @p in (no delimiter) into @p out (@p cap bytes; @p len is
 * always enough).
 * @return the decoded length; -EINVAL when @p in holds a 0x00 or a block cut short;
 *         -ENOBUFS when @p cap is too short.
 */
DFU_SMP_API int dfu_smp_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/**
 * Write the frame of the @p len byte SMP message at @p msg into @p out (@p cap bytes;
 * DFU_SMP_COBS_FRAME_MAX(len) is always enough): message and CRC COBS-encoded, then 0x00.
 * @return the frame's length; -ENOBUFS when @p cap is too short.
 */
DFU_SMP_API int dfu_smp_cobs_frame(const uint8_t *msg, size_t len, uint8_t *out, size_t cap);

/** Called with each good frame's message, CRC removed; @p msg lives until the call returns. */
typedef void (*dfu_smp_cobs_msg_cb)(void *ctx, const uint8_t *msg, size_t len);

/** What the decoder delivered and dropped, for logs and tests. */
struct dfu_smp_cobs_stats {
	uint32_t frames;     /**< messages delivered */
	uint32_t bad_frames; /**< frames that do not decode or are shorter than 3 bytes */
	uint32_t crc_errors; /**< frames with a wrong CRC */
	uint32_t oversize;   /**< frames longer than the buffer */
};

/** Finds frames in a byte stream. Caller-allocated; fields are private. */
struct dfu_smp_cobs_decoder {
	uint8_t *buf;        /* the decoded frame: message and CRC */
	size_t cap;
	dfu_smp_cobs_msg_cb cb;
	void *ctx;
	struct dfu_smp_cobs_stats stats;

	size_t got;          /* decoded bytes so far */
	size_t seen;         /* encoded bytes of this frame so far */
	uint8_t left;        /* data bytes still due in the current block */
	uint8_t code;        /* the current block's code byte; 0 before the first */
	uint8_t skipping;    /* the frame overflowed: skip to the next delimiter */
};

/**
 * Set up @p dec to gather frames in @p buf (@p cap bytes: the longest message accepted plus
 * its DFU_SMP_COBS_CRC_SIZE CRC bytes) and hand each good one to @p cb with @p ctx.
 * @return 0; -EINVAL when @p cap is shorter than 3 bytes or @p cb is NULL.
 */
DFU_SMP_API int dfu_smp_cobs_decoder_init(struct dfu_smp_cobs_decoder *dec, uint8_t *buf,
					  size_t cap, dfu_smp_cobs_msg_cb cb, void *ctx);

/**
 * Feed @p len received bytes, in pieces of any size. Each good frame goes to the callback from
 * inside this call; anything else is dropped and counted.
 */
DFU_SMP_API void dfu_smp_cobs_decoder_feed(struct dfu_smp_cobs_decoder *dec, const uint8_t *data,
					   size_t len);

/** Forget any partial frame: what comes next is read as the start of one. */
DFU_SMP_API void dfu_smp_cobs_decoder_reset(struct dfu_smp_cobs_decoder *dec);

/** Counters since init. */
DFU_SMP_API const struct dfu_smp_cobs_stats *dfu_smp_cobs_decoder_stats(
	const struct dfu_smp_cobs_decoder *dec);

#endif /* DFU_SMP_COBS_H */
