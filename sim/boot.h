/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's bootloader: MCUboot's view of the image slots (image header, TLVs,
 * hash check, the trailer at the end of each slot) and what it does at boot in swap mode: test
 * -> swap in the new image unconfirmed; permanent -> swap it in for good; an unconfirmed image
 * is reverted at the next boot; it boots only an image whose hash checks.
 *
 * The slots of image i are primary (slot 0, where the application runs) and secondary
 * (slot 1), laid out back to back in one flash: [img0 slot0][img0 slot1][img1 slot0]...
 *
 * Other MCUboot modes (enum sim_boot_mode): overwrite-only copies the secondary over the
 * primary and erases it (no revert); direct-XIP and RAM load run the valid image of the highest
 * version from whichever slot holds it (direct-XIP with revert: only slots whose trailer magic
 * is good, an image booted once and never confirmed is dropped); single slot runs slot 0 only;
 * firmware loader runs slot 0, or a separate loader application when slot 0 holds nothing
 * valid or the loader was asked for. Downgrade prevention and, with several images, the
 * images' dependency TLVs are checked before an image is swapped in or booted (a dependency on
 * an image the device does not have is not met).
 */
#ifndef SIM_BOOT_H
#define SIM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/dfu/image.h>
#include "flash.h"

/** Most dependency TLVs an image is read with (more are ignored). */
#define SIM_IMAGE_DEPS_MAX 4

/** A dependency TLV (0x40): image @p image must run at least version @p min. */
struct sim_image_dep {
	uint8_t image;
	struct dfu_smp_image_version min;
};

/** What MCUboot reads of an image in a slot. */
struct sim_image {
	struct dfu_smp_image_header header;
	struct sim_image_dep deps[SIM_IMAGE_DEPS_MAX]; /**< its protected dependency TLVs */
	size_t dep_count;
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

/**
 * Build a valid hash-only MCUboot image (0x200-byte header, @p payload_len bytes derived from
 * @p seed, a SHA-256 TLV) into @p out. @return its length, or 0 if @p cap is too small.
 */
size_t sim_image_build(uint8_t *out, size_t cap, const struct dfu_smp_image_version *version,
		       size_t payload_len, uint32_t seed);

/** The MCUboot mode the bootloader is built for (MCUBOOT_*; zero is the default). */
enum sim_boot_mode {
	SIM_BOOT_SWAP_MOVE,      /**< swap using move (mode 3) */
	SIM_BOOT_SWAP_SCRATCH,   /**< swap using scratch (1): the same swaps here */
	SIM_BOOT_SWAP_OFFSET,    /**< swap using offset (9): the same swaps here */
	SIM_BOOT_OVERWRITE_ONLY, /**< overwrite only (2) */
	SIM_BOOT_DIRECT_XIP,     /**< direct-XIP (4) */
	SIM_BOOT_DIRECT_XIP_REVERT, /**< direct-XIP with revert (5) */
	SIM_BOOT_RAM_LOAD,       /**< RAM load (6) */
	SIM_BOOT_FIRMWARE_LOADER, /**< firmware loader (7) */
	SIM_BOOT_SINGLE_SLOT,    /**< single application slot (0) */
	SIM_BOOT_MODE_COUNT
};

/** The mode's name as dfu-smp-sim spells it ("swap-move", ...), or NULL. */
const char *sim_boot_mode_name(enum sim_boot_mode mode);

/** The `mode` number the bootloader info answers for @p mode (MCUboot's enum mcuboot_mode). */
int sim_boot_mode_number(enum sim_boot_mode mode);

/** The mode named @p name. @return 0, or -ENOENT for an unknown name. */
int sim_boot_mode_find(const char *name, enum sim_boot_mode *mode);

/** True for the swap modes (move, scratch, offset). */
bool sim_boot_mode_swaps(enum sim_boot_mode mode);

/** True for the modes that run either slot in place (direct-XIP, with revert, RAM load). */
bool sim_boot_mode_either_slot(enum sim_boot_mode mode);

/** True for the modes with one slot per image (single slot, firmware loader). */
bool sim_boot_mode_one_slot(enum sim_boot_mode mode);

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

/** Most images the bootloader handles. */
#define SIM_BOOT_IMAGES_MAX 8

/** The bootloader and its slot layout. Caller-allocated; fields are private. */
struct sim_boot {
	struct sim_flash *flash;
	size_t slot_size;
	unsigned images;
	enum sim_boot_mode mode;
	bool no_downgrade;  /* MCUBOOT_DOWNGRADE_PREVENTION */
	/* either-slot modes: the slot each image runs from (kept in RAM, set at boot) */
	unsigned running[SIM_BOOT_IMAGES_MAX];
	bool loader;        /* firmware loader mode: the loader runs, not slot 0 */
	bool want_loader;   /* firmware loader mode: the next boot runs the loader once */
};

/**
 * The flash the bootloader needs for @p images pairs of slots of @p slot_size bytes: the slots,
 * then a scratch page and the swap status that let a swap go on after a power cut.
 */
size_t sim_boot_flash_size(unsigned images, size_t slot_size,
			   const struct sim_flash_timing *timing);

/**
 * Use @p images pairs of slots of @p slot_size bytes (page multiples) at the start of @p flash,
 * for @p mode (with downgrade prevention when @p no_downgrade). In the either-slot modes the
 * running slots start as the ones the flash would boot (no flash is written).
 */
void sim_boot_init(struct sim_boot *boot, struct sim_flash *flash, unsigned images,
		   size_t slot_size, enum sim_boot_mode mode, bool no_downgrade);

/**
 * The trailer a factory image gets in @p mode (direct-XIP with revert: magic and image_ok, so
 * that it is a confirmed boot candidate). @return the flash time in us, or a negative errno.
 */
int64_t sim_boot_factory_trailer(struct sim_boot *boot, unsigned image);

/** Offset of a slot in the flash. */
size_t sim_boot_slot_offset(const struct sim_boot *boot, unsigned image, unsigned slot);

/** The largest image a slot takes: the slot minus the page holding its trailer. */
size_t sim_boot_max_image_size(const struct sim_boot *boot);

/** What MCUboot would do for @p image at the next boot (swap and overwrite modes). */
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

/**
 * Direct-XIP with revert: make @p slot of @p image a boot candidate (its trailer magic), once
 * (test) or for good (@p permanent: image_ok too). @return the flash time in us, or a negative
 * errno.
 */
int64_t sim_boot_xip_mark(struct sim_boot *boot, unsigned image, unsigned slot, bool permanent);

/** Direct-XIP with revert: true if @p slot of @p image is a boot candidate (magic good). */
bool sim_boot_xip_candidate(const struct sim_boot *boot, unsigned image, unsigned slot);

/** Why a boot left a pending image where it was. */
enum sim_boot_refusal {
	SIM_BOOT_REFUSED_NONE,
	SIM_BOOT_REFUSED_DOWNGRADE,  /**< its version is lower than the running one's */
	SIM_BOOT_REFUSED_DEPENDENCY, /**< a dependency TLV is not met */
};

/** What a boot refused for one image, for the log. */
struct sim_boot_refused {
	enum sim_boot_refusal why;
	unsigned slot;                      /**< the slot of the refused image */
	struct dfu_smp_image_version version; /**< its version */
	struct dfu_smp_image_version have;  /**< downgrade: the running version; dependency: what
					       dep_image will run, if it exists */
	unsigned dep_image;                 /**< dependency: the image depended on */
	struct dfu_smp_image_version need;  /**< dependency: the least version it needs */
	bool no_such_image;                 /**< dependency: the device has no dep_image */
};

/** What happened at a boot. */
struct sim_boot_result {
	bool bootable;           /**< every primary slot holds an image whose hash checks */
	/**
	 * What was done per image (NONE if nothing). Either-slot modes: TEST when an unconfirmed
	 * image boots for the first time (with revert), PERM when the running slot changed,
	 * REVERT when an unconfirmed image was dropped.
	 */
	enum sim_swap_type swaps[SIM_BOOT_IMAGES_MAX];
	bool rejected[SIM_BOOT_IMAGES_MAX]; /**< a pending image failed its check and was erased */
	struct sim_boot_refused refused[SIM_BOOT_IMAGES_MAX]; /**< downgrade, dependency */
	unsigned running[SIM_BOOT_IMAGES_MAX]; /**< the slot each image runs from */
	bool loader;             /**< firmware loader mode: the loader runs */
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
