/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fleet upgraded at once, in virtual time: N simulated devices of one profile behind one
 * central (sim/central.h) on one clock, each running `dfu-smp upgrade IMAGE` as a task of the
 * fleet engine (tools/fleet.h), the engine running the shared clock.
 */
#ifndef BENCH_FLEET_H
#define BENCH_FLEET_H

#include <stddef.h>
#include <stdint.h>

/** How a fleet's upgrade went, on the fleet's clock. */
struct bench_fleet_result {
	unsigned devices;
	unsigned ok;            /**< devices whose upgrade succeeded */
	double upload_seconds;  /**< from the first start to the last upload's end */
	double upgrade_seconds; /**< from the first start to the last upgrade's end */
	double link_seconds;    /**< one device's link time, on a link of its own (its bound) */
	double air_seconds;     /**< one device's air time with every pair back to back */
	double flash_seconds;   /**< one device's flash time */
	double bound_seconds;   /**< max(every device's air time summed, one's flash time) */
	uint64_t lost_events;   /**< connection events lost to another link's */
	char why[300];          /**< a device that failed: its name and reason */
};

/**
 * Upgrade @p devices fresh simulated devices of @p profile at once to the image at
 * @p image_path (@p size bytes) behind one central.
 * @return 0 (result->ok says how many succeeded), or a negative errno when the fleet could not
 *         run (an unknown profile, out of memory).
 */
int bench_fleet_run(const char *profile, const char *image_path, size_t size, unsigned devices,
		    struct bench_fleet_result *result);

#endif /* BENCH_FLEET_H */
