/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's bootloader: MCUboot's view of the image slots (image header, TLVs,
 * hash check, the trailer at the end of each slot) and what it does at boot in swap mode: test
 * -> swap in the new image unconfirmed; permanent -> swap it in for good; an unconfirmed image
 * is reverted at the next boot; it boots only an image whose hash checks.
 *
 * The slots of image i are primary (slot 0, where the application runs) and secondary
 * (slot 1), laid out back to back in one flash: [img0 slot0][img0 slot1][img1 slot0]...
 */
#ifndef SIM_BOOT_H
#define SIM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/dfu/image.h>
#include "flash.h"

/** What MCUboot reads of an image in a slot. */
struct sim_image {
	struct dfu_smp_image_header header;
	uint8_t hash[64];   /**< the hash TLV's value */
	size_t hash_len;    /**< 32, 48 or 64 */
	size_t hashed_len;  /**< header + payload + protected TLVs */
	size_t end;         /**< end of the TLV area: the image's length */
};

/**
 * Read the image at the start of @p slot (@p size bytes): header magic, TLV areas, the one hash
 * TLV. @return 0; -ENOENT when there is no image (no magic); -EBADMSG when it is unreadable.
 */
int sim_image_parse(const uint8_t *slot, size_t size, struct sim_image *img);

/** True if the image's hash TLV matches its content. */
bool sim_image_hash_ok(const uint8_t *slot, const struct sim_image *img);

/** Compare major.minor.revision (the build number is ignored, as MCUboot does). */
int sim_image_version_cmp(const struct dfu_smp_image_version *a,
			  const struct dfu_smp_image_version *b);

/**
 * Build a valid hash-only MCUboot image (0x200-byte header, @p payload_len bytes derived from
 * @p seed, a SHA-256 TLV) into @p out. @return its length, or 0 if @p cap is too small.
 */
size_t sim_image_build(uint8_t *out, size_t cap, const struct dfu_smp_image_version *version,
		       size_t payload_len, uint32_t seed);

/** MCUboot's swap types. */
enum sim_swap_type {
	SIM_SWAP_NONE = 1,
	SIM_SWAP_TEST = 2,
	SIM_SWAP_PERM = 3,
	SIM_SWAP_REVERT = 4,
};

/** The flags a slot gets in the image state list (as Zephyr reports them). */
struct sim_slot_state {
	bool present; /**< holds a readable image */
	struct sim_image img;
	bool bootable;
	bool pending;
	bool confirmed;
	bool active;
	bool permanent;
};

/** The bootloader and its slot layout. Caller-allocated; fields are private. */
struct sim_boot {
	struct sim_flash *flash;
	size_t slot_size;
	unsigned images;
};

/**
 * The flash the bootloader needs for @p images pairs of slots of @p slot_size bytes: the slots,
 * then a scratch page and the swap status that let a swap go on after a power cut.
 */
size_t sim_boot_flash_size(unsigned images, size_t slot_size,
			   const struct sim_flash_timing *timing);

/** Use @p images pairs of slots of @p slot_size bytes (page multiples) at the start of @p flash. */
void sim_boot_init(struct sim_boot *boot, struct sim_flash *flash, unsigned images,
		   size_t slot_size);

/** Offset of a slot in the flash. */
size_t sim_boot_slot_offset(const struct sim_boot *boot, unsigned image, unsigned slot);

/** The largest image a slot takes: the slot minus the page holding its trailer. */
size_t sim_boot_max_image_size(const struct sim_boot *boot);

/** What MCUboot would do for @p image at the next boot. */
enum sim_swap_type sim_boot_swap_type(const struct sim_boot *boot, unsigned image);

/** Both slots of @p image as the state list shows them. */
void sim_boot_slot_states(const struct sim_boot *boot, unsigned image,
			  struct sim_slot_state out[2]);

/**
 * Mark the secondary slot of @p image for the next boot: once (test) or for good
 * (@p permanent). @return the flash time in us, or a negative errno.
 */
int64_t sim_boot_set_pending(struct sim_boot *boot, unsigned image, bool permanent);

/**
 * Confirm the running image of @p image (image_ok), so that it is not reverted.
 * @return the flash time in us, or a negative errno.
 */
int64_t sim_boot_confirm(struct sim_boot *boot, unsigned image);

/** What happened at a boot. */
struct sim_boot_result {
	bool bootable;           /**< every primary slot holds an image whose hash checks */
	enum sim_swap_type swaps[8]; /**< what was done per image (NONE if nothing) */
	bool rejected[8];        /**< a pending image failed its check and was erased */
	uint64_t busy_us;        /**< flash time the boot took */
};

/**
 * Boot: go on with a swap a power cut stopped (the one it was, whatever the trailers say now),
 * else swap or revert as the trailers say, then check the primary images. Every step of a swap
 * is kept in the flash as it is done, so a cut at any flash unit leaves each primary slot with
 * its old or its new image once the next boot has run. @return 0 or a negative errno.
 */
int sim_boot_run(struct sim_boot *boot, struct sim_boot_result *result);

#endif /* SIM_BOOT_H */
