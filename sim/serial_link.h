/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A serial link to the simulated device in virtual time: the wire (a UART at a baud rate, or a
 * USB CDC-ACM port or pseudo-terminal without one) and the device's serial transport as Zephyr
 * builds it (a few receive line buffers filled by the UART interrupt, freed by the SMP thread).
 *
 * Host to device: with a baud rate, the bytes a host writes leave one after another, 10 bits
 * each (8N1), so byte i of a burst arrives (i + 1) * 10 / baud seconds after the wire was free;
 * without one (USB CDC-ACM, a pseudo-terminal) they arrive in pieces of the host's write
 * granularity (a USB full-speed bulk packet of 64 bytes), each write_us after the one before
 * (0: at once, as on a pty). The device's interrupt takes a receive buffer when the first byte of a unit arrives:
 * a console line (to its newline), a COBS frame (to its delimiter) or a raw write, cut at the
 * buffer size. A unit that finds every receive buffer taken is lost, as Zephyr drops it, and
 * with it the SMP packet it belongs to: that request gets no answer.
 *
 * The device's SMP thread does one thing at a time, in order: it hands each received unit on
 * (base64 decoding and CRC: line_us plus line_byte_ns a byte), which frees its buffer and
 * feeds the framing's real decoder (smp/serial.c, smp/raw.c, smp/cobs.c); a whole message
 * takes one of the device's SMP buffers (buf_count of them; none free: dropped) and is then
 * handled (process_us, plus the flash work the simulated device reports), and the answer is
 * written back byte by byte at the baud rate (Zephyr's UART transport polls it out), so the
 * thread frees no receive buffer while it writes flash or sends an answer.
 */
#ifndef SIM_SERIAL_LINK_H
#define SIM_SERIAL_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/smp/cobs.h>
#include <dfu-smp/smp/raw.h>
#include <dfu-smp/smp/serial.h>
#include "device.h"
#include "flash.h"
#include "sched.h"

/** The three MCUmgr serial framings. */
enum sim_serial_framing {
	SIM_SERIAL_CONSOLE = 0, /**< base64 lines with a CRC (smp/serial.c) */
	SIM_SERIAL_RAW = 1,     /**< bare SMP messages (smp/raw.c) */
	SIM_SERIAL_COBS = 2,    /**< COBS frames with a CRC (smp/cobs.c) */
};

/** The wire and the device's serial transport; zero fields take the defaults. */
struct sim_serial_config {
	uint32_t baud;         /**< bits per second, 10 per byte; 0: no baud rate (USB, a pty) */
	uint16_t host_write;   /**< no baud rate: bytes that arrive together; default 64 */
	uint32_t write_us;     /**< no baud rate: time per piece of host_write bytes; 0: none */
	uint16_t rx_bufs;      /**< the device's receive line buffers; default 2 */
	uint16_t rx_buf_size;  /**< bytes each; default 128 */
	uint32_t line_us;      /**< SMP thread time per received unit; default 20 */
	uint32_t line_byte_ns; /**< ... and per byte of it (base64, CRC, copy); default 250 */
	uint32_t process_us;   /**< per request besides flash work; default 1000 */
	enum sim_serial_framing framing;
	uint16_t line_max;     /**< console lines the device sends back; default 127 */
};

/** Receives the device's bytes at the host end. */
typedef void (*sim_serial_rx_fn)(void *ctx, const uint8_t *data, size_t len, uint64_t now_us);

/** What happened on the link. */
struct sim_serial_stats {
	uint64_t bytes_to_device;
	uint64_t bytes_to_host;
	uint32_t units;          /**< units (lines, frames, writes) that arrived */
	uint32_t units_lost;     /**< ... lost for want of a receive buffer */
	uint32_t requests;       /**< whole messages the device's decoder delivered */
	uint32_t dropped;        /**< ... dropped for want of an SMP buffer */
	uint32_t answers;        /**< messages the device sent back */
	uint32_t most_rx_bufs;   /**< the most receive buffers ever taken at once */
};

struct sim_serial_unit;
struct sim_serial_job;

/** The link and the device's transport. Caller-allocated; fields are private. */
struct sim_serial_link {
	struct sim_sched *sched;
	struct sim_device *dev;
	struct sim_serial_config cfg;
	sim_serial_rx_fn rx;
	void *rx_ctx;
	uint64_t burst_us;             /* host to device: when the wire last started from idle */
	uint64_t burst_bytes;          /* bytes written since then */
	struct sim_serial_unit *units; /* on the wire or in a receive buffer */
	struct sim_serial_unit *open;  /* the unit the next byte continues, if any */
	unsigned rx_used;
	struct sim_serial_job *jobs;   /* the SMP thread's queue, oldest first */
	bool busy;                     /* the SMP thread is working */
	unsigned smp_used;             /* SMP buffers holding a request */
	struct sim_serial_stats stats;
	uint8_t *msg;                  /* the decoders' buffer */
	struct dfu_smp_serial_decoder dec;
	struct dfu_smp_raw_decoder raw;
	struct dfu_smp_cobs_decoder cobs;
};

/** Fill in the defaults of @p cfg. */
void sim_serial_config_defaults(struct sim_serial_config *cfg);

/**
 * Set up the link on @p sched to @p dev (which must outlive it); @p cfg may be NULL for the
 * defaults. The device's bytes go to @p rx(@p ctx, ...). @return 0 or -ENOMEM.
 */
int sim_serial_link_init(struct sim_serial_link *link, struct sim_sched *sched,
			 struct sim_device *dev, const struct sim_serial_config *cfg,
			 sim_serial_rx_fn rx, void *ctx);

/** Free what the link holds (bytes on the wire, the SMP thread's queue). */
void sim_serial_link_free(struct sim_serial_link *link);

/**
 * The host writes @p len bytes now (copied). @return 0 or -ENOMEM.
 */
int sim_serial_link_write(struct sim_serial_link *link, const uint8_t *data, size_t len);

/** When the bytes written so far have all left the host (now, without a baud rate). */
uint64_t sim_serial_link_drained_us(const struct sim_serial_link *link);

/** Counters since init. */
const struct sim_serial_stats *sim_serial_link_stats(const struct sim_serial_link *link);

/** The time @p bytes take on the wire at @p baud (10 bits each), rounded up; 0 without one. */
uint64_t sim_serial_wire_us(uint32_t baud, uint64_t bytes);

/**
 * The time @p bytes written back to back take to arrive on @p cfg's wire (defaults filled
 * in): at its baud rate, or in pieces of host_write bytes write_us apart without one.
 */
uint64_t sim_serial_link_time_us(const struct sim_serial_config *cfg, uint64_t bytes);

/**
 * The bytes a message of @p len bytes takes on the wire in @p framing (console lines of at
 * most @p line_max bytes), as the framing's encoder makes them; *@p units (may be NULL) gets
 * the units the device receives it in (lines; one raw write or COBS frame cut into receive
 * buffers of @p rx_buf_size). @return the byte count, or 0 when the framing cannot carry it.
 */
size_t sim_serial_framed_size(enum sim_serial_framing framing, const uint8_t *msg, size_t len,
			      size_t line_max, size_t rx_buf_size, size_t *units);

/** A named serial set-up of the device. */
struct sim_serial_profile {
	const char *name;
	const char *summary;
	struct sim_serial_config link;
	uint32_t buf_size;        /**< the device's SMP buffers */
	uint32_t buf_count;
	const struct sim_flash_timing *flash;
	bool progressive_erase;
	uint32_t slot_size;
};

/** The serial profile called @p name, or NULL. */
const struct sim_serial_profile *sim_serial_profile_find(const char *name);

/** The serial profiles, @p *count of them. */
const struct sim_serial_profile *sim_serial_profiles(size_t *count);

/** Set up the device as @p profile says (its SMP buffers and flash). */
void sim_serial_profile_apply(const struct sim_serial_profile *profile,
			      struct sim_device_config *dev);

/** The largest request message the profile's device takes (SMP header included). */
size_t sim_serial_profile_max_request(const struct sim_serial_profile *profile);

/** The bound on an upload over serial, and its parts. */
struct sim_serial_bound {
	uint64_t wire_us;    /**< every framed byte on the wire (sim_serial_link_time_us()) */
	uint64_t stall_us;   /**< wire time lost to erases the receive buffers cannot cover */
	uint64_t device_us;  /**< the device's own work: units, requests, flash */
	uint64_t flash_us;   /**< of which the flash */
	uint64_t bound_us;   /**< the larger of wire_us and device_us */
	uint64_t framed_bytes;
	uint32_t units;
	uint32_t requests;
	size_t request_size;
};

/**
 * The best time any client could upload @p image_size bytes in over @p profile's link in its
 * framing: requests of the largest size the device takes, framed by the real encoders; the
 * wire time of every byte plus the wire time the device's erases make useless (while the SMP
 * thread erases a page it frees no receive buffer, so no more than rx_bufs units can arrive
 * meanwhile), or the device's own time (handing every unit on, handling every request, the
 * flash work), whichever is larger, as if the one overlapped the other entirely otherwise.
 * Answers are not counted. @return 0, or -EMSGSIZE when no request can carry data.
 */
int sim_serial_bound(const struct sim_serial_profile *profile, size_t image_size,
		     struct sim_serial_bound *out);

#endif /* SIM_SERIAL_LINK_H */
