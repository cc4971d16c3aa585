/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's image management: its flash with the image slots, the bootloader that
 * runs at each reboot, and the image group (1) of its SMP server, which handles uploads the way
 * Zephyr's image manager does.
 */
#ifndef SIM_IMG_H
#define SIM_IMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "flash.h"

struct dfu_smp_mgmt_cbor_writer;

/**
 * Zephyr's MCUMGR_GRP_IMG_ALLOW_CONFIRM_NON_ACTIVE_IMAGE_*: which slots of the images other
 * than image 0 (whose application runs the SMP server) a state write may confirm.
 */
enum sim_confirm_other {
	SIM_CONFIRM_OTHER_ANY,       /**< both slots (the default) */
	SIM_CONFIRM_OTHER_NONE,      /**< neither: IMG err 32 */
	SIM_CONFIRM_OTHER_SECONDARY, /**< only the secondary (a permanent mark) */
};

/** Image settings; zero fields take the defaults. */
struct sim_img_config {
	enum sim_boot_mode mode;              /**< default swap-move */
	bool no_downgrade;                    /**< MCUboot refuses an older image */
	enum sim_confirm_other confirm_other; /**< default any */
	const struct sim_flash_timing *flash; /**< default SIM_FLASH_NRF52840 */
	unsigned images;                      /**< updatable images; default 1 */
	size_t slot_size;                     /**< bytes per slot; default 0x70000 */
	/** Erase each page just before writing it, instead of the whole image at the start. */
	bool progressive_erase;
};

/** An upload in progress (kept in RAM only, as on the device). */
struct sim_img_upload {
	bool active;
	unsigned image;
	uint64_t len;
	uint64_t off;
	uint8_t sha[32];
	size_t sha_len;
	size_t erased_to; /* progressive erase: bytes of the slot erased so far */
};

/** The device's image state. Caller-allocated; fields are private. */
struct sim_img {
	struct sim_img_config cfg;
	struct sim_flash flash;
	struct sim_boot boot;
	struct sim_img_upload upload;
	bool bootable; /* the last boot found a valid image to run */
};

/**
 * Write the image state list ("images": one map per image in a slot: image when there are
 * several, slot, version, hash) into @p w; with @p flags also each slot's bootable, pending,
 * confirmed, active and permanent, as an application answers (MCUboot's serial recovery sends
 * none of them).
 */
void sim_img_write_list(const struct sim_img *img, struct dfu_smp_mgmt_cbor_writer *w, bool flags);

/**
 * Open the flash (in memory, or the file DIR/flash.bin with @p state_dir) and, when it starts
 * erased, write a factory image (version 1.0.0) into the primary slot of every image.
 * @return 0 or a negative errno.
 */
int sim_img_open(struct sim_img *img, const struct sim_img_config *cfg, const char *state_dir);

/** Free the flash. */
void sim_img_close(struct sim_img *img);

/**
 * The slot an upload to @p image writes: the secondary in the swap and overwrite modes, the
 * slot not running in the either-slot modes, slot 0 while the firmware loader runs.
 * @return the slot, or -1 when the running application cannot take one (single slot, the
 * firmware loader mode's application).
 */
int sim_img_upload_slot(const struct sim_img *img, unsigned image);

/**
 * Reboot: the upload in progress is lost and the bootloader runs (swap, revert, checks).
 * @return 0 or a negative errno; @p result says what the bootloader did.
 */
int sim_img_reboot(struct sim_img *img, struct sim_boot_result *result);

#endif /* SIM_IMG_H */
