/* SPDX-License-Identifier: Apache-2.0 */
/* One upload of an image to a fresh simulated device with a given strategy, in virtual time. */
#ifndef BENCH_RUN_H
#define BENCH_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../dfu/upload.h"

/** An upload's end, as the ops below record it (their user pointer). */
struct bench_upload_end {
	bool done;
	int err;
	struct dfu_upload_result result;
};

/** Upload callbacks that only record the end in a struct bench_upload_end. */
extern const struct dfu_upload_ops bench_upload_ops;

/** How it went. */
struct bench_result {
	bool moved;           /**< the strategy could upload at all */
	double seconds;       /**< virtual seconds from the first request to the last answer */
	uint64_t air_bytes;   /**< bytes on air both ways */
	uint32_t requests;
	uint32_t recoveries;
	uint32_t dropped;     /**< requests the device dropped for want of a buffer */
	size_t request_size;
	unsigned window;
	char why[200];        /**< when it could not */
};

/**
 * Upload @p image (@p size bytes, SHA-256 @p sha) to a fresh simulated device on @p profile
 * with @p strategy: "naive" (one write per request, one at a time), "reassembly" (the largest
 * request the device takes, one at a time) or "auto" (tuned: dfu_upload_tune()). A non-zero
 * @p window replaces the strategy's window.
 * @return 0 (also when the strategy cannot move data: result->moved is false), or a negative
 *         errno when the upload failed otherwise.
 */
int bench_run(const char *profile, const char *strategy, const uint8_t *image, size_t size,
	      const uint8_t sha[32], unsigned window, struct bench_result *result);

#endif /* BENCH_RUN_H */
