/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMP over a serial console ("SMP console" framing, transports.md (b)): the encoder that cuts
 * an SMP message into frames and the decoder that finds frames in what a UART delivers.
 *
 * A packet is the stream `length (2 bytes, big-endian) | SMP message | CRC-16/XMODEM of the
 * message (big-endian)`, where length counts the message and the CRC. It travels base64-encoded
 * in lines of at most a given length (127 bytes by default, marker and newline included): the
 * first line starts with the marker 06 09, the others with 04 14; each line carries whole
 * base64 quads.
 *
 * No allocation and no clock: the caller owns every buffer, so the same code runs on a host and
 * on a microcontroller.
 */
#ifndef DFU_SMP_SERIAL_H
#define DFU_SMP_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>

/** Zephyr's frame limit (MCUMGR_SERIAL_MAX_FRAME): a line, marker and newline included. */
#define DFU_SMP_SERIAL_LINE_MAX_DEFAULT 127u
/** The shortest line that carries data: marker, one base64 quad, newline. */
#define DFU_SMP_SERIAL_LINE_MIN 7u
/** The longest message a packet can carry: its length field counts the CRC too. */
#define DFU_SMP_SERIAL_MSG_MAX (0xffffu - 2u)
/** Bytes a packet adds around its message: the length field and the CRC. */
#define DFU_SMP_SERIAL_OVERHEAD 4u

/**
 * The longest message a device whose SMP buffer holds @p buf_size bytes takes over serial.
 * Zephyr decodes the whole packet, length field and CRC included, into that buffer, so a
 * message may take @p buf_size - DFU_SMP_SERIAL_OVERHEAD bytes (a longer one is dropped without
 * an answer). @return that, capped at DFU_SMP_SERIAL_MSG_MAX; 0 when @p buf_size leaves no room.
 */
DFU_SMP_API size_t dfu_smp_serial_msg_max(size_t buf_size);

/**
 * CRC-16/XMODEM (polynomial 0x1021, no reflection, no final XOR; Zephyr's crc16_itu_t) of
 * @p len bytes at @p data, continuing from @p crc (0 to start). Over a message followed by its
 * big-endian CRC the result is 0.
 */
DFU_SMP_API uint16_t dfu_smp_serial_crc16(uint16_t crc, const uint8_t *data, size_t len);

/**
 * How many lines a message of @p msg_len bytes takes with lines of at most @p line_max bytes.
 * @return the count, or 0 when @p line_max is shorter than DFU_SMP_SERIAL_LINE_MIN.
 */
DFU_SMP_API size_t dfu_smp_serial_lines(size_t msg_len, size_t line_max);

/** Cuts one message into lines. Caller-allocated; fields are private. */
struct dfu_smp_serial_encoder {
	const uint8_t *msg;
	size_t len;
	size_t pos;     /* next byte of the packet stream, 0 .. len + 4 */
	size_t chunk;   /* stream bytes per line */
	uint8_t head[2]; /* the length field */
	uint8_t crc[2];
};

/**
 * Start encoding @p len bytes at @p msg (kept by the caller until the last line is out) in
 * lines of at most @p line_max bytes.
 * @return 0; -EINVAL when @p line_max is shorter than DFU_SMP_SERIAL_LINE_MIN; -EMSGSIZE when
 *         @p len exceeds DFU_SMP_SERIAL_MSG_MAX.
 */
DFU_SMP_API int dfu_smp_serial_encoder_init(struct dfu_smp_serial_encoder *enc, const uint8_t *msg,
					    size_t len, size_t line_max);

/**
 * Write the next line (marker, base64, newline) at @p out.
 * @return its length; 0 once every line was written; -ENOBUFS when @p cap is shorter than the
 *         line (the line_max given to the encoder is always enough).
 */
DFU_SMP_API int dfu_smp_serial_encoder_next(struct dfu_smp_serial_encoder *enc, uint8_t *out,
					    size_t cap);

/** Called with each packet whose length and CRC are right: the message, CRC removed. */
typedef void (*dfu_smp_serial_msg_cb)(void *ctx, const uint8_t *msg, size_t len);

/** What the decoder dropped, for logs and tests. */
struct dfu_smp_serial_stats {
	uint32_t packets;     /**< messages delivered */
	uint32_t crc_errors;  /**< whole packets with a wrong CRC */
	uint32_t bad_frames;  /**< frames with bad base64, or a continuation without a start */
	uint32_t oversize;    /**< packets longer than the buffer, or lines longer than allowed */
	uint32_t truncated;   /**< packets cut short by a new start or by more data than said */
};

/** Finds packets in a byte stream. Caller-allocated; fields are private. */
struct dfu_smp_serial_decoder {
	uint8_t *buf;         /* the packet after its length field: message and CRC */
	size_t cap;
	size_t line_max;      /* 0: any length */
	dfu_smp_serial_msg_cb cb;
	void *ctx;
	struct dfu_smp_serial_stats stats;

	uint8_t state;
	uint8_t prev;         /* the byte before, to spot a marker */
	size_t line_len;      /* bytes of the current frame so far, marker included */
	char quad[4];
	uint8_t quad_len;
	bool padded;          /* the frame's last quad had padding: only its end may follow */
	bool in_packet;       /* a packet started and is not complete */
	bool skip_packet;     /* drop every continuation until the next start */
	uint8_t head_len;     /* bytes of the length field seen */
	uint16_t total;       /* the length field: message + CRC */
	size_t got;           /* bytes of message + CRC so far */
};

/**
 * Set up @p dec to gather packets in @p buf (@p cap bytes: the longest message accepted plus
 * its 2 CRC bytes) and hand each good one to @p cb. Frames on lines longer than @p line_max
 * bytes (marker, CR and newline included) are dropped, as a device with a fixed line buffer
 * does; 0 takes lines of any length.
 */
DFU_SMP_API void dfu_smp_serial_decoder_init(struct dfu_smp_serial_decoder *dec, uint8_t *buf,
					     size_t cap, size_t line_max, dfu_smp_serial_msg_cb cb,
					     void *ctx);

/**
 * Feed @p len received bytes, in pieces of any size. Lines without a marker (console output)
 * are skipped, a marker is found anywhere in a line, a CR before the newline is ignored. Each
 * complete packet with the right length and CRC goes to the callback (from inside this call);
 * anything else is dropped and counted.
 */
DFU_SMP_API void dfu_smp_serial_decoder_feed(struct dfu_smp_serial_decoder *dec,
					     const uint8_t *data, size_t len);

/** Forget any partial line and packet (after a device reset, or a reopened port). */
DFU_SMP_API void dfu_smp_serial_decoder_reset(struct dfu_smp_serial_decoder *dec);

/** Counters since init. */
DFU_SMP_API const struct dfu_smp_serial_stats *dfu_smp_serial_decoder_stats(
	const struct dfu_smp_serial_decoder *dec);

#endif /* DFU_SMP_SERIAL_H */
