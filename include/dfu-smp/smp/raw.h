/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMP over a raw UART (transports.md (b), "Raw UART"; Zephyr's CONFIG_MCUMGR_TRANSPORT_RAW_UART,
 * MCUboot's BOOT_SERIAL_RAW_PROTOCOL): bare SMP messages back to back, no marker, no CRC, no
 * delimiter. The receiver learns where a message ends from its header's length field.
 *
 * Sending needs no encoding: the message goes out as it is (dfu_smp_raw_msg_len() checks that its
 * header says its length). The decoder finds messages in the bytes a UART delivers, in pieces
 * of any size, together with the time they came:
 *
 * - A message that stops arriving half-way (nothing for the input timeout) is dropped, so the
 *   next byte is read as the start of a new header. dfu_smp_raw_decoder_deadline() says when that
 *   happens; the caller calls dfu_smp_raw_decoder_expire() then (or simply feeds the next bytes
 *   with their time, which drops a stale part first).
 * - A header whose message would not fit the caller's buffer: the format has no way to find a
 *   message start other than by counting, so the decoder keeps counting. It skips the length
 *   that header gives (keeping none of it) and reads the byte after it as the next header; the
 *   input timeout ends the skip early. A sender whose message really was too long thus stays
 *   in step; garbage taken for a header loses at most what it claimed, or one timeout.
 *
 * No allocation and no clock: the caller owns the buffer and gives the time (milliseconds, any
 * origin).
 */
#ifndef DFU_SMP_RAW_H
#define DFU_SMP_RAW_H

#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>

/** MCUboot's default input timeout for the raw protocol. */
#define DFU_SMP_RAW_TIMEOUT_DEFAULT_MS 3000u

/**
 * Check that the @p len bytes at @p msg are one whole SMP message: a header whose length field
 * counts exactly the bytes after it.
 * @return @p len (what to write to the UART); -EINVAL when they are not.
 */
DFU_SMP_API int dfu_smp_raw_msg_len(const uint8_t *msg, size_t len);

/** Called with each whole message (header included); @p msg lives until the call returns. */
typedef void (*dfu_smp_raw_msg_cb)(void *ctx, const uint8_t *msg, size_t len);

/** What the decoder delivered and dropped, for logs and tests. */
struct dfu_smp_raw_stats {
	uint32_t messages; /**< messages delivered */
	uint32_t timeouts; /**< half-received messages dropped after the input timeout */
	uint32_t oversize; /**< headers whose message was longer than the buffer */
};

/** Finds messages in a byte stream. Caller-allocated; fields are private. */
struct dfu_smp_raw_decoder {
	uint8_t *buf;
	size_t cap;
	uint64_t timeout_ms;  /* 0: none */
	dfu_smp_raw_msg_cb cb;
	void *ctx;
	struct dfu_smp_raw_stats stats;

	size_t got;           /* bytes of the current message kept (or skipped) so far */
	size_t total;         /* its length from its header; 0 until the header is in */
	int skipping;         /* the current message is too long: counted, not kept */
	uint64_t last_ms;     /* when its last byte came */
};

/**
 * Set up @p dec to gather messages in @p buf (@p cap bytes: the longest message accepted,
 * header included; at least DFU_SMP_HDR_SIZE) and hand each one to @p cb with @p ctx.
 * @p timeout_ms: how long a half-received message may wait for its next byte before it is
 * dropped; 0 waits for ever.
 * @return 0; -EINVAL when @p cap is shorter than a header or @p cb is NULL.
 */
DFU_SMP_API int dfu_smp_raw_decoder_init(struct dfu_smp_raw_decoder *dec, uint8_t *buf, size_t cap,
			 uint64_t timeout_ms, dfu_smp_raw_msg_cb cb, void *ctx);

/**
 * Feed @p len bytes received at @p now_ms (not earlier than any time given before). A part
 * message older than the timeout is dropped first. Each message completed goes to the callback
 * from inside this call.
 */
DFU_SMP_API void dfu_smp_raw_decoder_feed(struct dfu_smp_raw_decoder *dec, const uint8_t *data,
					  size_t len, uint64_t now_ms);

/**
 * The time is @p now_ms: drop a half-received message whose timeout has passed.
 * @return 1 when one was dropped, else 0.
 */
DFU_SMP_API int dfu_smp_raw_decoder_expire(struct dfu_smp_raw_decoder *dec, uint64_t now_ms);

/**
 * When the half-received message will be dropped (call dfu_smp_raw_decoder_expire() then);
 * UINT64_MAX when nothing waits or there is no timeout.
 */
DFU_SMP_API uint64_t dfu_smp_raw_decoder_deadline(const struct dfu_smp_raw_decoder *dec);

/** Forget any partial message (after a device reset, or a reopened port). */
DFU_SMP_API void dfu_smp_raw_decoder_reset(struct dfu_smp_raw_decoder *dec);

/** Counters since init. */
DFU_SMP_API const struct dfu_smp_raw_stats *dfu_smp_raw_decoder_stats(
	const struct dfu_smp_raw_decoder *dec);

#endif /* DFU_SMP_RAW_H */
