/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's flash: erase-before-write NOR flash (nRF52/nRF53-like) or a part that
 * writes without erasing (nRF54-like RRAM), with the time each operation takes, optionally kept
 * in a host file so that it survives the program.
 */
#ifndef SIM_FLASH_H
#define SIM_FLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** How a flash part behaves and how long it takes. */
struct sim_flash_timing {
	const char *name;
	uint32_t page_size;     /**< erase unit, bytes */
	uint32_t write_block;   /**< write unit, bytes */
	uint32_t erase_page_us; /**< time to erase one page */
	uint32_t write_block_us; /**< time to write one write unit */
	bool erase_needed;      /**< NOR: bits only go from 1 to 0 until erased */
	bool skip_blank;        /**< erasing a page that is already blank costs nothing */
};

/** nRF52840: 4 KiB pages, 85 ms per page erase, 41 us per 4-byte word. */
extern const struct sim_flash_timing SIM_FLASH_NRF52840;
/** nRF5340: 4 KiB pages, 87.5 ms per page erase, 43 us per 4-byte word. */
extern const struct sim_flash_timing SIM_FLASH_NRF5340;
/** nRF54-like RRAM: no erase, 16-byte blocks written in 8 us. */
extern const struct sim_flash_timing SIM_FLASH_NRF54;
/** nRF52840 whose slot was erased beforehand: blank pages are not erased again. */
extern const struct sim_flash_timing SIM_FLASH_NRF52840_PRE_ERASED;

/** The erased value of every byte. */
#define SIM_FLASH_ERASED 0xffu

/**
 * What the flash work is for, so that a power cut can be aimed at one step of an upgrade.
 * SIM_FLASH_PHASE_ANY counts every unit, whatever the phase.
 */
enum sim_flash_phase {
	SIM_FLASH_PHASE_ANY,
	SIM_FLASH_PHASE_UPLOAD,  /**< the image upload's erases and writes */
	SIM_FLASH_PHASE_MARK,    /**< image state test/permanent: the secondary's trailer */
	SIM_FLASH_PHASE_CONFIRM, /**< the confirm's image_ok */
	SIM_FLASH_PHASE_BOOT,    /**< the bootloader's swap or revert */
	SIM_FLASH_PHASE_ERASE,   /**< the image erase command */
	SIM_FLASH_PHASE_COUNT
};

struct sim_flash;

/** Called when an armed power cut happens (sim_flash_arm_cut()). */
typedef void (*sim_flash_cut_fn)(struct sim_flash *flash, void *user);

/** A flash device. Caller-allocated; fields are private. */
struct sim_flash {
	struct sim_flash_timing timing;
	uint8_t *mem;
	size_t size;
	int fd; /* the host file, or -1 */
	enum sim_flash_phase phase;               /* what the work is for now */
	uint64_t units[SIM_FLASH_PHASE_COUNT];    /* units done per phase since open */
	enum sim_flash_phase cut_phase;
	uint64_t cut_at;                          /* units[cut_phase] of the cut, or UINT64_MAX */
	sim_flash_cut_fn cut;
	void *cut_user;
	bool off;                                 /* power was cut: nothing changes any more */
};

/**
 * Open a flash of @p size bytes (a multiple of the page size). With @p path, its content is
 * read from that file if it has the right size, and every change is written back; *@p fresh
 * says whether it started erased. @return 0 or a negative errno.
 */
int sim_flash_open(struct sim_flash *flash, size_t size, const struct sim_flash_timing *timing,
		   const char *path, bool *fresh);

/** Close the file and free the memory. */
void sim_flash_close(struct sim_flash *flash);

/** The flash's content (read-only view). */
const uint8_t *sim_flash_data(const struct sim_flash *flash);

/**
 * Erase every page touched by [@p off, @p off + @p len). @return the time it takes in
 * microseconds, or a negative errno (-EINVAL out of range, -EIO host file).
 */
int64_t sim_flash_erase(struct sim_flash *flash, size_t off, size_t len);

/**
 * Write @p len bytes at @p off. On parts that need erasing, a bit already 0 stays 0 (as NOR
 * flash does). @return the time it takes in microseconds (whole write units), or a negative
 * errno.
 */
int64_t sim_flash_write(struct sim_flash *flash, size_t off, const uint8_t *data, size_t len);

/**
 * Say what the flash work from now on is for (units are counted per phase, and a cut can be
 * aimed at one). @return the phase before, to put back when the work is done.
 */
enum sim_flash_phase sim_flash_set_phase(struct sim_flash *flash, enum sim_flash_phase phase);

/** Flash units (pages erased, write blocks written) done in @p phase since the flash opened. */
uint64_t sim_flash_units(const struct sim_flash *flash, enum sim_flash_phase phase);

/** The name of @p phase as the power-cut option spells it ("upload", ..., "any"), or NULL. */
const char *sim_flash_phase_name(enum sim_flash_phase phase);

/**
 * Arm a power cut: after @p units more flash units of @p phase (one page erased or one write
 * block written is one unit), the power goes. The operation that the cut falls in keeps what
 * it did before (the pages it erased, the blocks it wrote, in memory and in the host file) and
 * nothing after; then @p cut runs with @p user. If @p cut returns, the flash stays without
 * power: every erase and write after it fails with -EIO and changes nothing.
 */
void sim_flash_arm_cut(struct sim_flash *flash, enum sim_flash_phase phase, uint64_t units,
		       sim_flash_cut_fn cut, void *user);

#endif /* SIM_FLASH_H */
