/* SPDX-License-Identifier: Apache-2.0 */
/* One upload of an image to a fresh simulated device with a given strategy, in virtual time. */
#ifndef BENCH_RUN_H
#define BENCH_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/dfu/upload.h>

/** An upload's end, as the ops below record it (their user pointer). */
struct bench_upload_end {
	bool done;
	int err;
	struct dfu_smp_upload_result result;
};

/** Upload callbacks that only record the end in a struct bench_upload_end. */
extern const struct dfu_smp_upload_ops bench_upload_ops;

/** How it went. */
struct bench_result {
	bool moved;           /**< the strategy could upload at all */
	double seconds;       /**< virtual seconds from the first request to the last answer */
	uint64_t air_bytes;   /**< bytes on air both ways */
	uint32_t requests;
	uint32_t recoveries;
	uint32_t covered;     /**< chunks whose lost answer a later one acknowledged */
	uint32_t dropped;     /**< requests the device dropped for want of a buffer */
	size_t request_size;
	unsigned window;
	char why[200];        /**< when it could not */
};

/**
 * Upload @p image (@p size bytes, SHA-256 @p sha) to a fresh simulated device on @p profile
 * with @p strategy: "naive" (one write per request, one at a time), "reassembly" (the largest
 * request the device takes, one at a time) or "auto" (tuned: dfu_smp_upload_tune()). A non-zero
 * @p window replaces the strategy's window.
 * @return 0 (also when the strategy cannot move data: result->moved is false), or a negative
 *         errno when the upload failed otherwise.
 */
int bench_run(const char *profile, const char *strategy, const uint8_t *image, size_t size,
	      const uint8_t sha[32], unsigned window, struct bench_result *result);

/**
 * Upload as bench_run() does with the "auto" strategy, but every @p drop_every-th answer of
 * the upload is lost (sim_conn_config.drop_every; 0: none) and a request whose answer is lost
 * is sent again as on UDP (the upload's retries).
 * @return as bench_run().
 */
int bench_run_lossy(const char *profile, const uint8_t *image, size_t size, const uint8_t sha[32],
		    unsigned drop_every, struct bench_result *result);

/** How an upload over the simulated serial link went. */
struct bench_serial_result {
	bool moved;            /**< the upload finished */
	int err;               /**< the upload's end: 0 or a negative errno */
	double seconds;        /**< virtual seconds from the first request to the last answer */
	uint32_t requests;     /**< upload requests the engine made */
	uint32_t recoveries;
	uint32_t sent;         /**< requests written to the link, resends included */
	uint32_t unanswered;   /**< ... that got no answer */
	uint32_t units;        /**< lines (or frames) that reached the device */
	uint32_t units_lost;   /**< ... lost for want of a receive buffer */
	uint32_t dropped;      /**< whole requests dropped for want of an SMP buffer */
	uint64_t bytes_to_device;
	size_t request_size;
	unsigned window;
	unsigned pace_lines;   /**< adaptive: the receive line buffers the pacer ended with */
	uint32_t pace_line_us; /**< ... and the device's time per line */
	uint32_t pace_losses;  /**< ... and the requests it took for lost */
	char why[200];
};

/**
 * Upload @p image (@p size bytes, SHA-256 @p sha) to a fresh simulated device over the serial
 * @p profile (sim/serial_link.h) with @p strategy: "unpaced" (every line as fast as the port
 * takes it, buf_count - 1 requests at once) or "baud-paced" (ports/conn_serial.c's pauses,
 * one request at a time). Requests are as large as the profile's device takes.
 * @return 0 (result->moved says whether it finished), or a negative errno when it could not
 *         run (an unknown profile or strategy, out of memory).
 */
int bench_serial_run(const char *profile, const char *strategy, const uint8_t *image, size_t size,
		     const uint8_t sha[32], struct bench_serial_result *result);

#endif /* BENCH_RUN_H */
