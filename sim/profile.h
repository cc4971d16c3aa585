/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Named set-ups of the simulated device and its BLE link (connection interval, PHY, data
 * length, ATT MTU, SMP buffers, reassembly, flash part), and the best time any client could
 * upload an image in on one of them: the bound that efficiencies are measured against.
 */
#ifndef SIM_PROFILE_H
#define SIM_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/smp/client.h>
#include "device.h"
#include "flash.h"
#include "gatt.h"
#include "link.h"

/** A named set-up. */
struct sim_profile {
	const char *name;
	const char *summary;
	struct sim_link_config link;
	uint16_t mtu;              /**< the ATT MTU the connection ends up with */
	uint32_t buf_size;         /**< the device's SMP buffers */
	uint32_t buf_count;
	bool reassembly;           /**< the device reassembles requests split across writes */
	const struct sim_flash_timing *flash;
	bool progressive_erase;    /**< pages are erased as the upload reaches them */
	uint32_t slot_size;
	uint32_t process_us;       /**< the device's CPU time per request besides flash work */
};

/** The profile called @p name, or NULL. */
const struct sim_profile *sim_profile_find(const char *name);

/** Write the profiles' names, space-separated, into @p buf (@p cap bytes, always ended). */
void sim_profile_names(char *buf, size_t cap);

/**
 * Set up the device, its GATT server and the link as @p profile says. A slot size already in
 * @p dev and reassembly already asked for in @p gatt are kept: options given with a profile
 * change it.
 */
void sim_profile_apply(const struct sim_profile *profile, struct sim_device_config *dev,
		       struct sim_gatt_config *gatt, struct sim_link_config *link);

/** The bound on an upload, and its two parts. */
struct sim_bound {
	uint64_t link_us;   /**< every connection event filled with requests of the largest size */
	uint64_t flash_us;  /**< erasing every page the image touches, writing every word */
	uint64_t bound_us;  /**< the larger */
	size_t request_size; /**< the largest request the device takes, SMP header included */
	uint32_t requests;
};

/**
 * The best time any client could upload @p image_size bytes in on @p profile: the air time of
 * the image's bytes plus every request's SMP, CBOR, ATT and L2CAP overhead at the largest
 * request size the device takes, with every connection event filled, or the flash's own time,
 * whichever is larger.
 */
void sim_profile_bound(const struct sim_profile *profile, size_t image_size,
		       struct sim_bound *out);

/**
 * Build into @p req (on @p buf, @p request bytes) the upload request at @p off of an image of
 * @p image_size bytes whose data is @p data (at least @p request bytes) and SHA-256 @p sha, as
 * long as @p request allows: what a bound counts for each request.
 * @return the data bytes it carries; 0 when no request of that size can carry any.
 */
size_t sim_profile_upload_request(struct dfu_smp_request *req, uint8_t *buf, size_t request,
				  const uint8_t *data, uint64_t off, uint64_t image_size,
				  const uint8_t *sha);

/**
 * The flash's own time for an upload of @p image_size bytes on @p flash: erasing every page it
 * touches (unless the part needs no erase or skips blank pages) and writing every write unit.
 */
uint64_t sim_profile_flash_us(const struct sim_flash_timing *flash, size_t image_size);

#endif /* SIM_PROFILE_H */
