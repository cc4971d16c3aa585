/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The whole firmware upgrade of one image or of several (a package's: an nRF5340's application
 * and network cores), sans I/O, made so that it cannot leave a device without a working image:
 *
 *   ask the bootloader's mode -> read the image state -> (skip what is already done) -> check,
 *   before anything is sent, that each image fits its slot, that the device has each image
 *   number, that no image is older than what runs (unless allowed, and never where the
 *   bootloader refuses it or boots the highest version), that every dependency is met by what
 *   will run after the reset -> upload each image -> check the device lists each -> mark each
 *   for a test boot (or for good) -> reset once -> wait for the device to come back -> check it
 *   runs every new image -> confirm each -> check each is confirmed.
 *
 * The bootloader's mode (os bootloader info) shapes the flow: the swap modes as above;
 * overwrite-only marks for good and has no test boot; direct-XIP and RAM load upload to the
 * slot that does not run and mark nothing (the highest version boots); direct-XIP with revert
 * uploads there and marks and confirms; a firmware loader is entered with a reset (boot_mode 1),
 * takes the application into slot 0 and boots it; a single application slot takes an image only
 * through serial recovery (via_recovery). A device that reports no mode is upgraded as a swap
 * device, and one that answers a mark with rc 8 is taken to boot what it finds.
 *
 * A new image is confirmed only when the device, after its reset, reports it running; if it
 * runs anything else, the device rolled back and the upgrade says so (and confirms nothing).
 * The owner does the I/O: it runs the SMP client, and when the device is told to reset it waits
 * for it to go and come back (ops->reset), then calls dfu_smp_upgrade_reconnected(). An upgrade
 * that ended because the link was lost carries on with dfu_smp_upgrade_resume() once the link is
 * back. dfu/session.c is such an owner, for any link.
 *
 * A device in MCUboot's serial recovery mode (the bootloader itself answering, detected by
 * dfu_smp_upgrade_is_recovery() from the state list) is upgraded otherwise: the bootloader
 * writes the upload straight into slot 0, so there is nothing to mark; the owner first checks
 * the request size (ops->check_size; dfu/session.c sends an echo of that size, halving it on
 * silence, as the bootloader may report a buf_size larger than it holds), then upload -> check
 * slot 0 lists the new hash -> reset -> wait for the application -> check it runs the new image
 * (outcome CONFIRMED: nothing can revert it).
 */
#ifndef DFU_SMP_UPGRADE_H
#define DFU_SMP_UPGRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/mgmt/img.h>
#include <dfu-smp/mgmt/reply.h>
#include <dfu-smp/smp/client.h>
#include <dfu-smp/dfu/image.h>
#include <dfu-smp/dfu/upload.h>

/** What to do once the image is on the device. */
enum dfu_smp_upgrade_mode {
	/** test boot, reset, and confirm once it runs: reverted if it never comes up */
	DFU_SMP_UPGRADE_TEST_THEN_CONFIRM,
	/** test boot and reset, no confirm: the next reset brings the old image back */
	DFU_SMP_UPGRADE_TEST_ONLY,
	/** mark it for good before the reset: no revert */
	DFU_SMP_UPGRADE_CONFIRM_NOW,
};

/** The most images one upgrade installs (a package's). */
#define DFU_SMP_UPGRADE_IMAGES_MAX 8u

/** The most dependencies of one image that are checked. */
#define DFU_SMP_UPGRADE_DEPS_MAX 4u

/** A DEPENDENCY TLV: image @p image must run @p min or newer (build number aside). */
struct dfu_smp_upgrade_dep {
	uint8_t image;
	struct dfu_smp_image_version min;
};

/** One image to install. Its bytes are the caller's, valid until the end. */
struct dfu_smp_upgrade_image {
	const uint8_t *data;   /**< the image file */
	size_t size;
	const uint8_t *hash;   /**< its hash TLV value: what the device lists */
	size_t hash_len;
	const uint8_t *sha;    /**< SHA-256 of the file (32 bytes) */
	uint32_t image;        /**< image number */
	struct dfu_smp_image_version version;
	unsigned dep_count;
	struct dfu_smp_upgrade_dep deps[DFU_SMP_UPGRADE_DEPS_MAX];
	const char *name;      /**< what messages call it (a file name), or NULL */
};

/**
 * Fill @p out from the image @p img (parsed; its data must stay valid): bytes, hash, file
 * SHA-256, version and DEPENDENCY TLVs, to be installed as image number @p image, called
 * @p name in messages (kept, may be NULL). @return 0, or -E2BIG with more than
 * DFU_SMP_UPGRADE_DEPS_MAX dependencies, -EINVAL for an image without a hash.
 */
DFU_SMP_API int dfu_smp_upgrade_image_set(struct dfu_smp_upgrade_image *out,
					  const struct dfu_smp_image *img, uint32_t image,
					  const char *name);

/** The upgrade's settings. */
struct dfu_smp_upgrade_config {
	/** the images, at most one per image number (copied; their bytes are borrowed) */
	const struct dfu_smp_upgrade_image *images;
	unsigned count;
	enum dfu_smp_upgrade_mode mode;
	bool no_reset;         /**< stop once the images are marked; they boot at the next reset */
	/** leave out each image whose number already runs the same version or a newer one */
	bool only_newer;
	/** install an older version than the one running, where the bootloader lets it boot */
	bool allow_downgrade;
	/**
	 * reset into the bootloader first (`boot_mode` 1) and install through MCUboot's serial
	 * recovery: for an application without image management
	 */
	bool via_recovery;
	/** the wait for each state, mark, reset or confirm answer; 0: the client's default */
	uint32_t timeout_ms;
	/**
	 * times a state, mark or confirm request is sent again, within timeout_ms, when its answer
	 * is lost (for links that lose messages: UDP, serial); a reset is never sent twice
	 */
	uint8_t retries;
	/** how to upload: max_request, window, timeouts (data, size, sha, image are set here) */
	struct dfu_smp_upload_config upload;
};

/** The steps, for logs. */
enum dfu_smp_upgrade_step {
	DFU_SMP_UPGRADE_STEP_READ_STATE,
	DFU_SMP_UPGRADE_STEP_CHECK_SIZE,
	DFU_SMP_UPGRADE_STEP_UPLOAD,
	DFU_SMP_UPGRADE_STEP_CHECK_UPLOAD,
	DFU_SMP_UPGRADE_STEP_MARK,
	DFU_SMP_UPGRADE_STEP_RESET,
	DFU_SMP_UPGRADE_STEP_RECONNECT,
	DFU_SMP_UPGRADE_STEP_CHECK_BOOT,
	DFU_SMP_UPGRADE_STEP_CONFIRM,
	DFU_SMP_UPGRADE_STEP_CHECK_CONFIRM,
	DFU_SMP_UPGRADE_STEP_PROBE_SIZE, /**< serial recovery: the request size is checked */
	DFU_SMP_UPGRADE_STEP_BOOT_MODE,  /**< the bootloader's mode is asked */
};

/** How it ended. */
enum dfu_smp_upgrade_outcome {
	DFU_SMP_UPGRADE_CONFIRMED,       /**< the device runs the new images, confirmed */
	DFU_SMP_UPGRADE_TESTING,         /**< it runs them, unconfirmed (test only) */
	DFU_SMP_UPGRADE_PENDING,         /**< marked; they boot at the next reset (no reset asked) */
	DFU_SMP_UPGRADE_ALREADY_RUNNING, /**< it already ran them, confirmed: nothing done */
	DFU_SMP_UPGRADE_ROLLED_BACK,     /**< after the reset it runs another image */
	DFU_SMP_UPGRADE_FAILED,
	/** --only-newer: every image number already runs that version or a newer one */
	DFU_SMP_UPGRADE_UP_TO_DATE,
};

/** What became of one image. */
struct dfu_smp_upgrade_image_result {
	uint32_t image;               /**< image number */
	bool uploaded;                /**< its upload ran (not skipped) */
	bool skipped;                 /**< only_newer: left out, the device runs as new */
	bool runs;                    /**< the device was last seen running it */
	bool confirmed;               /**< and it was confirmed */
	struct dfu_smp_upload_result upload;
	char running_version[32];     /**< what the device ran under this number, last seen */
};

/** The result. */
struct dfu_smp_upgrade_result {
	enum dfu_smp_upgrade_outcome outcome;
	enum dfu_smp_upgrade_step step;   /**< the step it ended in */
	bool uploaded;                /**< an upload ran (not skipped) */
	struct dfu_smp_upload_result upload; /**< the last upload's result */
	char running_version[32];     /**< what the device runs at the end, when known (image 0) */
	uint8_t running_hash[DFU_SMP_MGMT_IMG_HASH_MAX];
	size_t running_hash_len;
	struct dfu_smp_mgmt_reply reply;      /**< a device error or malformed answer (closed) */
	char message[320];            /**< a one-line reason when it failed */
	/** the device was in MCUboot's serial recovery: the bootloader wrote slot 0 itself */
	bool recovery;
	size_t max_request;           /**< serial recovery: the request size the upload used */
	/** the bootloader's mode as the device reported it (os bootloader info), or -1 */
	int64_t boot_mode;
	bool no_downgrade;            /**< the bootloader refuses downgrades */
	bool loader;                  /**< the upload went through MCUboot's firmware loader */
	unsigned count;               /**< images in images[] (the config's) */
	struct dfu_smp_upgrade_image_result images[DFU_SMP_UPGRADE_IMAGES_MAX];
};

/** Callbacks; @p user is dfu_smp_upgrade_start()'s. */
struct dfu_smp_upgrade_ops {
	/** A step starts; @p detail says what it does (may be NULL). */
	void (*step)(void *user, enum dfu_smp_upgrade_step step, const char *detail);
	/** Upload progress (may be NULL). */
	void (*progress)(void *user, const struct dfu_smp_upload_progress *progress);
	/**
	 * The device accepted the reset: wait until it has gone (link lost, or not answering)
	 * and come back, reconnect, then call dfu_smp_upgrade_reconnected().
	 */
	void (*reset)(void *user);
	/**
	 * The end: 0 for CONFIRMED, TESTING, PENDING, ALREADY_RUNNING and UP_TO_DATE; otherwise
	 * a negative errno (-EREMOTEIO device error, -EBADMSG malformed answer, -ETIMEDOUT,
	 * -ENOTCONN, -EFBIG an image is larger than its slot, -ENOENT the device has no such image
	 * number, -EPERM refused before anything was sent: a downgrade, an unmet dependency, a
	 * mode the bootloader cannot do, -EHOSTUNREACH the device did not come back, -EPROTO the
	 * device did not do what it answered, -ECANCELED rolled back).
	 */
	void (*done)(void *user, int err, const struct dfu_smp_upgrade_result *result);
	/**
	 * Serial recovery (may be NULL: requests of @p max_request bytes are taken to go through):
	 * find the longest request up to @p max_request bytes that the bootloader answers, then
	 * call dfu_smp_upgrade_size_checked().
	 */
	void (*check_size)(void *user, size_t max_request);
};

/** What the upgrade knows of one image number on the device (private). */
struct dfu_smp_upgrade_slots {
	int64_t active;        /* the slot it runs from, -1: none listed active */
	int64_t target;        /* the slot an upload goes to */
	bool ours_active;      /* the new image runs */
	bool ours_confirmed;
	bool ours_target;      /* the new image is in the target slot */
	bool ours_pending;     /* and marked for the next boot */
	bool ours_permanent;
};

/** Image numbers below this have their running version kept, for dependencies (private). */
#define DFU_SMP_UPGRADE_DEV_IMAGES 16u

/** The upgrade. Caller-allocated; fields are private. */
struct dfu_smp_upgrade {
	struct dfu_smp_client *client;
	struct dfu_smp_upgrade_config cfg;
	struct dfu_smp_upgrade_image images[DFU_SMP_UPGRADE_IMAGES_MAX];
	const struct dfu_smp_upgrade_ops *ops;
	void *user;
	uint8_t *buf;   /* one request's message, at the start of the caller's buffer */
	size_t buf_cap;
	uint8_t *upload_buf;
	size_t upload_buf_len;
	struct dfu_smp_request req;
	struct dfu_smp_upload upload;
	enum dfu_smp_upgrade_step step;
	unsigned cur;         /* the image the request on the link is about */
	bool running;
	bool forced_reset;
	int reset_boot_mode;  /* the reset on the link: -1 normal, 1 into the bootloader */
	bool checked;         /* slot info read and every check before the upload passed */
	bool slot_size_known[DFU_SMP_UPGRADE_IMAGES_MAX];
	uint8_t listed[32];   /* the image numbers the device has, a bit each */
	bool restarted[DFU_SMP_UPGRADE_IMAGES_MAX]; /* sent again from its start, without sha */
	bool confirm_sent[DFU_SMP_UPGRADE_IMAGES_MAX];
	bool nothing_to_mark; /* the device answered a mark with rc 8: it boots what it finds */
	bool reset_done;      /* the device was reset (or went away while told to) */
	bool resumed_after_reset; /* resumed after a lost link, once the reset was sent */
	bool reset_again;     /* and reset again, the image still marked */
	bool entered;         /* it was reset into its bootloader or firmware loader */
	bool recovery;        /* the bootloader's serial recovery answers */
	bool ran_new;         /* the device was seen running the new images after the reset */
	bool retested;        /* marked and reset again once, after a confirm that was lost */
	const char *again;    /* why the images are marked a second time, or NULL */
	bool size_probed;     /* serial recovery: the request size was checked */
	uint16_t dev_known;   /* the image numbers whose running version is known, a bit each */
	struct dfu_smp_image_version dev_version[DFU_SMP_UPGRADE_DEV_IMAGES];
	struct dfu_smp_upgrade_slots slots[DFU_SMP_UPGRADE_IMAGES_MAX];
	struct dfu_smp_upgrade_result result;
};

/**
 * Bytes at a slot's end that an image never takes: MCUboot's trailer at its smallest (the
 * overwrite-only one with 8-byte writes: magic, image_ok, copy_done). A device that reports
 * only the slot's size refuses an image that leaves less.
 */
#define DFU_SMP_UPGRADE_TRAILER_MIN 32u

/**
 * The first upload request waits while the device erases the slot: where slot info gives the
 * slot's size, as long as a slow flash takes, this many ms a 4 KiB page (nRF52840 takes 85,
 * nRF5340 88, some parts of other makers 200 and more), when that is longer than the upload's
 * first_timeout_ms.
 */
#define DFU_SMP_UPGRADE_ERASE_MS_PER_PAGE 250u

/**
 * The owner checked the request size asked for by ops->check_size: @p err 0 and the size the
 * upload uses (@p max_request), or a negative errno (the upgrade ends with it). Ignored unless
 * the upgrade waits for it.
 */
DFU_SMP_API void dfu_smp_upgrade_size_checked(struct dfu_smp_upgrade *up, int err,
					      size_t max_request);

/** The smallest request size the serial recovery size check goes down to. */
#define DFU_SMP_UPGRADE_RECOVERY_MIN_REQUEST 128u

/**
 * True if the image state list @p st is one MCUboot's serial recovery sends: no slot of any
 * image listed `active` (an application always lists the slot it runs as active; the
 * bootloader sends only true flags and has none of them) and no `splitStatus` (which every
 * Zephyr and mynewt image manager sends).
 */
DFU_SMP_API bool dfu_smp_upgrade_is_recovery(const struct dfu_smp_mgmt_img_state *st);

/** Bytes of the caller's buffer that the upgrade's own requests take (before the upload's). */
#define DFU_SMP_UPGRADE_REQUEST_BUF 128u

/**
 * Start. @p buf holds the requests: DFU_SMP_UPGRADE_REQUEST_BUF bytes, then what the upload needs
 * (window * upload.max_request). @return 0 (the end comes through ops->done), or -EINVAL.
 */
DFU_SMP_API int dfu_smp_upgrade_start(struct dfu_smp_upgrade *up, struct dfu_smp_client *client,
		      const struct dfu_smp_upgrade_config *cfg, uint8_t *buf, size_t buf_len,
		      const struct dfu_smp_upgrade_ops *ops, void *user);

/**
 * The owner is back in touch with the device after the reset (@p err 0), or could not be
 * (a negative errno, with @p why saying what happened in one line, or NULL). Ignored unless
 * the upgrade waits for it (step DFU_SMP_UPGRADE_STEP_RECONNECT).
 */
DFU_SMP_API void dfu_smp_upgrade_reconnected(struct dfu_smp_upgrade *up, int err, const char *why);

/**
 * Carry on with an upgrade that ended with -ENOTCONN or -ENXIO (the link was lost), once the
 * link is back: the image state is read again and the upgrade goes on from what the device
 * reports, as dfu_smp_upgrade_start() would (what is done is skipped; an upload resumes where the
 * device stands), except that once the device was reset, an image it no longer marks for a
 * test boot while it runs the old one is reported rolled back, not marked again. The result so
 * far is kept. The end comes through ops->done again.
 * @return 0; -EBUSY while the upgrade runs; -EINVAL if it never started.
 */
DFU_SMP_API int dfu_smp_upgrade_resume(struct dfu_smp_upgrade *up);

/**
 * Stop: the request on the link (and the upload's) is cancelled, nothing more is sent;
 * ops->done is not called. Does nothing once the upgrade has ended.
 */
DFU_SMP_API void dfu_smp_upgrade_abort(struct dfu_smp_upgrade *up);

/** A short name of a step ("upload", "reset", ...). */
DFU_SMP_API const char *dfu_smp_upgrade_step_name(enum dfu_smp_upgrade_step step);

/** A short name of an outcome ("confirmed", "rolled back", ...). */
DFU_SMP_API const char *dfu_smp_upgrade_outcome_name(enum dfu_smp_upgrade_outcome outcome);

#endif /* DFU_SMP_UPGRADE_H */
