/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's SMP server: takes SMP messages as a transport delivers them, answers
 * them the way Zephyr's MCUmgr does (or, when told, like an older version-1-only server), and
 * keeps the device's state. Each group lives in its own file (sim/os.c, ...) as a table of
 * handlers.
 */
#ifndef SIM_DEVICE_H
#define SIM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

#include <dfu-smp/mgmt/cbor.h>
#include "fs.h"
#include "img.h"
#include "settings.h"

/** Device settings; zero fields take the defaults. */
struct sim_device_config {
	uint32_t buf_size;  /**< SMP buffer bytes, header included; default 2475 */
	uint32_t buf_count; /**< SMP buffers; default 4 */
	bool v1_only;       /**< answer like older firmware: version bits 0, only `rc` errors */
	/**
	 * Answer like the older MCUmgr library (mynewt-mcumgr, device-behaviour.md): MCUmgr
	 * parameters and slot info answer `rc` 8; upload `data` longer than 512 bytes answers
	 * `rc` 3; the first upload request is not checked against the slot (a write past its end
	 * answers `rc` 1); the upload's offset and sha stay in RAM across an erase.
	 */
	bool legacy_mcumgr;
	/**
	 * Start in MCUboot's serial recovery mode (sim/recovery.h), as if its recovery pin were
	 * held at power-on: the bootloader answers until a reset boots a valid primary image.
	 */
	bool recovery;
	/**
	 * The buf_size the recovery bootloader reports in its parameters; 0: 1024. It still
	 * takes no request longer than SIM_RECOVERY_RECEIVE_MAX (1024) bytes.
	 */
	uint32_t recovery_buf_size;
	/**
	 * The device is reached over its serial port, where MCUboot's serial recovery answers:
	 * a reset with `boot_mode` 1 then boots into it (Zephyr's retention boot mode). Without
	 * it that boot_mode is decoded and ignored (recovery is a serial feature). In the
	 * firmware loader mode boot_mode 1 boots the loader instead, on any transport.
	 */
	bool serial_recovery;
	/**
	 * Host directory keeping the device's persistent state (settings, files, flash) across
	 * runs; NULL keeps everything in memory. Created if missing. Layout: "settings" (the
	 * stored settings), "fs/lfs/<name>" (the files of the volume mounted at /lfs); names
	 * starting with "flash" or "slot" belong to the image group ("flash.bin": the image
	 * slots).
	 */
	const char *state_dir;
	struct sim_img_config img; /**< flash part, images, slot size, erase strategy */
};

/** Counters of what the device did. */
struct sim_device_stats {
	uint32_t requests;   /**< messages handled */
	uint32_t dropped;    /**< transport units dropped unanswered */
	uint32_t confirms;   /**< image state writes that confirmed a running image */
	uint32_t marks;      /**< image state writes that marked a secondary slot */
	uint32_t permanent_marks; /**< of the marks, those for good (no test first) */
	/** the hash of the image the last confirm or mark named (its first 32 bytes) */
	uint8_t state_hash[32];
	unsigned state_image; /**< the image of the last confirm or mark */
	unsigned state_slot;  /**< its slot */
};

/** SMP traffic since the last boot: RAM counters the statistics group shows. */
struct sim_smp_counters {
	uint32_t rx_msgs;  /**< requests handled */
	uint32_t tx_msgs;  /**< responses sent */
	uint32_t rx_bytes; /**< request bytes, headers included */
	uint32_t tx_bytes; /**< response bytes, headers included */
	uint32_t errors;   /**< responses that carried an error */
	uint32_t rx_max;   /**< largest request, header included */
};

/** Storage partition activity (settings and files) since the last boot. */
struct sim_storage_counters {
	uint32_t reads;         /**< reads of stored data */
	uint32_t bytes_read;
	uint32_t writes;        /**< writes of stored data */
	uint32_t bytes_written;
	uint32_t erases;        /**< whole-partition erases */
};

/** OS group state (sim/os.c). */
struct sim_os {
	/* The RTC runs from a fixed factory time (sim/os.c); setting it moves it by this much. */
	int64_t rtc_offset_us;
};

/** The device. Caller-allocated; fields are private. */
struct sim_device {
	struct sim_device_config cfg;
	struct sim_device_stats stats;
	uint64_t reset_at_us; /* a reboot asked for by the reset command, or UINT64_MAX */
	uint8_t reset_boot_mode; /* the reset command's boot_mode: 1 boots into the bootloader */
	uint32_t boots;       /* reboots since init */
	char *state_dir;      /* the device's own copy of cfg.state_dir */
	uint64_t boot_us;     /* virtual time of the last boot */
	uint64_t uptime_base_us; /* uptime already run before this virtual clock started */
	struct sim_smp_counters smp;
	struct sim_storage_counters storage;
	struct sim_os os;
	struct sim_img img;
	struct sim_boot_result last_boot;
	struct sim_settings settings;
	struct sim_fs fs;
	uint64_t busy_us;     /* flash time of the request being handled */
	bool in_recovery;     /* the bootloader's serial recovery answers, not the application */
	bool ram_kept;        /* init found DIR/ram: the device kept running */
};

/** One request as a handler sees it. */
struct sim_req {
	struct sim_device *dev;
	uint8_t op;                 /**< DFU_SMP_OP_READ or DFU_SMP_OP_WRITE */
	uint8_t version;            /**< the request's SMP version */
	/**
	 * The request's payload: its first CBOR item (what follows it is ignored, as Zephyr's
	 * decoder ignores it), or NULL when the payload holds no well-formed item. Zephyr decodes
	 * the payload only in the handlers that read keys, so a handler that reads none answers
	 * whatever the payload; the readers below refuse (DFU_SMP_MGMT_ERR_EINVAL) a payload that is not
	 * a map with text keys, as zcbor_map_decode_bulk() does.
	 */
	const cbor_item_t *map;
	bool keys_ok;               /**< map is a map whose keys are all definite text strings */
	struct dfu_smp_mgmt_cbor_writer *rsp; /**< the open response map: write keys and values */
	uint64_t now_us;
	uint16_t group;             /**< the request's group */
	int group_err;              /**< set by sim_req_group_err() */
};

/**
 * A handler: 0 on success (its keys written), a generic MGMT_ERR code (1..255), or
 * SIM_GROUP_ERR(rc) for a group error. On error whatever it wrote is discarded.
 */
typedef int (*sim_handler_fn)(struct sim_req *req);

/** Marks a group-specific error code in a handler's return value. */
#define SIM_GROUP_ERR(rc) (0x10000 | (rc))

/**
 * Write group error @p rc into the response now, as Zephyr's smp_add_cmd_err() does, for a
 * handler that adds keys after it (a failed file upload adds `len`); the handler then writes
 * those keys and returns 0. A version 1 answer still becomes the folded `rc` alone.
 */
void sim_req_group_err(struct sim_req *req, int rc);

/*
 * Request readers (sim/req.c) that take what Zephyr's decoders take: each returns 0 with the
 * value, or 0 with *found false when the key is absent, and DFU_SMP_MGMT_ERR_EINVAL when the value has
 * the wrong type or range, when the key comes twice, or when the payload is not a map with
 * text keys (Zephyr's answers to a malformed request). @p found may be NULL when the caller
 * tells absence by other means (a NULL pointer, a default left in place).
 */

/** Any value: *item is NULL when the key is absent. */
int sim_req_item(const struct sim_req *req, const char *key, const cbor_item_t **item);

/** A definite-length text string (Zephyr refuses chunked ones); *s points into the request. */
int sim_req_text(const struct sim_req *req, const char *key, const char **s, size_t *n,
		 bool *found);

/** A definite-length byte string; *b points into the request. */
int sim_req_bytes(const struct sim_req *req, const char *key, const uint8_t **b, size_t *n,
		  bool *found);

/** An unsigned integer of at most @p max. */
int sim_req_uint(const struct sim_req *req, const char *key, uint64_t max, uint64_t *v,
		 bool *found);

/** A boolean. */
int sim_req_bool(const struct sim_req *req, const char *key, bool *v, bool *found);

/** Copy text @p s of @p n bytes to @p out (@p cap bytes) NUL-terminated; false if too long. */
bool sim_copy_text(char *out, size_t cap, const char *s, size_t n);

/** One command of a group; a NULL function means the op is not supported. */
struct sim_handler {
	uint8_t id;
	sim_handler_fn read;
	sim_handler_fn write;
};

/** A group the device supports. */
struct sim_group {
	uint16_t id;
	const char *name; /**< as enumeration details name it (Zephyr's mg_group_name) */
	const struct sim_handler *handlers;
	size_t count;
	/** The generic code a group error becomes in a version 1 answer. */
	int (*fold_v1)(int group_rc);
};

/**
 * Set up the device, loading its persistent state from cfg->state_dir if given. @p cfg may be
 * NULL for the defaults (in memory). @return 0, or a negative errno when the state directory
 * cannot be used (nothing is left allocated then).
 */
int sim_device_init(struct sim_device *dev, const struct sim_device_config *cfg);

/** Release what the device holds. */
void sim_device_free(struct sim_device *dev);

/** Receives each response message the device sends. */
typedef void (*sim_device_emit_fn)(void *ctx, const uint8_t *msg, size_t len);

/**
 * Handle one transport unit (a write, a datagram, a decoded serial packet) holding one or more
 * SMP messages, answering each through @p emit. A unit shorter than a header, or larger than
 * the device's buffer, is dropped unanswered; a header that claims more bytes than the unit
 * holds gets DFU_SMP_MGMT_ERR_ECORRUPT. As in Zephyr, an answer that is an SMP-level error (`rc`)
 * ends the unit: the messages after it get no answer.
 */
void sim_device_receive(struct sim_device *dev, const uint8_t *unit, size_t len, uint64_t now_us,
			sim_device_emit_fn emit, void *ctx);

/**
 * Ask for a reboot at @p at_us (the reset command answers first, as Zephyr does, and reboots
 * about 250 ms later). The transport glue sees it with sim_device_reset_at() and calls
 * sim_device_reboot() then.
 */
void sim_device_request_reset(struct sim_device *dev, uint64_t at_us);

/**
 * Ask for a reboot at @p at_us, as sim_device_request_reset(), into @p boot_mode: 0 normal,
 * 1 the bootloader (serial recovery with cfg.serial_recovery, the firmware loader in that
 * mode; otherwise a normal boot).
 */
void sim_device_request_reset_mode(struct sim_device *dev, uint64_t at_us, uint8_t boot_mode);

/** When the device will reboot, or UINT64_MAX. */
uint64_t sim_device_reset_at(const struct sim_device *dev);

/**
 * Reboot now: what lives in RAM is lost; what is persistent stays; the bootloader swaps or
 * reverts images as their trailers say. A device left without a valid image to run answers
 * nothing any more (sim_device_bootable()).
 */
void sim_device_reboot(struct sim_device *dev, uint64_t now_us);

/**
 * The client goes away but the device keeps running: with a state directory, what lives in
 * RAM (an upload in progress, settings not yet saved, the clock, the uptime) is kept in
 * DIR/ram, so that the next sim_device_init() on that directory carries on where this one
 * stood, as a powered device would. @return 0 or a negative errno.
 */
int sim_device_suspend(struct sim_device *dev, uint64_t now_us);

/**
 * For a program that can die without sim_device_suspend() (killed, or its power cut): call it
 * once after sim_device_init(). It forgets DIR/ram at once, so that a start after a death
 * finds none; and if init found none (the last run did not suspend), this start is a
 * power-on: RAM is lost and the bootloader runs (sim_device_reboot()), swapping a pending
 * image, reverting an unconfirmed one, going on with a swap a cut stopped. Without a state
 * directory it does nothing. A device made to start in serial recovery (cfg.recovery) is in it
 * after a power-on too. @return 1 if the bootloader ran, 0 if not, or a negative errno.
 */
int sim_device_power_on(struct sim_device *dev, uint64_t now_us);

/** The device's flash (the image slots), e.g. to arm a power cut in it. */
struct sim_flash *sim_device_flash(struct sim_device *dev);

/** What the bootloader did at the last reboot. */
const struct sim_boot_result *sim_device_last_boot(const struct sim_device *dev);

/**
 * False once a reboot found no valid image to run (and the bootloader does not answer in its
 * serial recovery mode instead).
 */
bool sim_device_bootable(const struct sim_device *dev);

/** True while MCUboot's serial recovery answers instead of the application. */
bool sim_device_in_recovery(const struct sim_device *dev);

/** True while the firmware loader runs instead of the application (firmware loader mode). */
bool sim_device_in_loader(const struct sim_device *dev);

/**
 * Flash time the last message handled by sim_device_receive() took (erasing and writing), so
 * that a transport can hold its answer back that long.
 */
uint64_t sim_device_busy_us(const struct sim_device *dev);

/** The groups the device supports, in registration order (for the enumeration group). */
const struct sim_group *const *sim_device_groups(size_t *count);

/** The device's settings (after defaults). */
const struct sim_device_config *sim_device_config(const struct sim_device *dev);

/** Counters since init. */
const struct sim_device_stats *sim_device_stats(const struct sim_device *dev);

/** Microseconds since the last boot. */
uint64_t sim_device_uptime_us(const struct sim_device *dev, uint64_t now_us);

/*
 * The groups, one file each. Zephyr registers them in the order of their handler names
 * (MCUMGR_HANDLER_DEFINE(enum_mgmt, ...), fs_mgmt, img_mgmt, os_mgmt, ...), and so does the
 * device (sim/device.c).
 */
extern const struct sim_group sim_group_os;
extern const struct sim_group sim_group_img;
extern const struct sim_group sim_group_stat;
extern const struct sim_group sim_group_settings;
extern const struct sim_group sim_group_fs;
extern const struct sim_group sim_group_shell;
extern const struct sim_group sim_group_enum;
extern const struct sim_group sim_group_basic;

#endif /* SIM_DEVICE_H */
