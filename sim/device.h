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

#include "../mgmt/cbor.h"

/** Device settings; zero fields take the defaults. */
struct sim_device_config {
	uint32_t buf_size;  /**< SMP buffer bytes, header included; default 2475 */
	uint32_t buf_count; /**< SMP buffers; default 4 */
	bool v1_only;       /**< answer like older firmware: version bits 0, only `rc` errors */
	/**
	 * Host directory keeping the device's persistent state (settings, files, flash) across
	 * runs; NULL keeps everything in memory. Created if missing.
	 */
	const char *state_dir;
};

/** Counters of what the device did. */
struct sim_device_stats {
	uint32_t requests;   /**< messages handled */
	uint32_t dropped;    /**< transport units dropped unanswered */
};

/** The device. Caller-allocated; fields are private. */
struct sim_device {
	struct sim_device_config cfg;
	struct sim_device_stats stats;
	uint64_t reset_at_us; /* a reboot asked for by the reset command, or UINT64_MAX */
	uint32_t boots;       /* reboots since init */
};

/** One request as a handler sees it. */
struct sim_req {
	struct sim_device *dev;
	uint8_t op;                 /**< SMP_OP_READ or SMP_OP_WRITE */
	uint8_t version;            /**< the request's SMP version */
	const cbor_item_t *map;     /**< the request's payload, a map */
	struct mgmt_cbor_writer *rsp; /**< the open response map: write keys and values */
	uint64_t now_us;
};

/**
 * A handler: 0 on success (its keys written), a generic MGMT_ERR code (1..255), or
 * SIM_GROUP_ERR(rc) for a group error. On error whatever it wrote is discarded.
 */
typedef int (*sim_handler_fn)(struct sim_req *req);

/** Marks a group-specific error code in a handler's return value. */
#define SIM_GROUP_ERR(rc) (0x10000 | (rc))

/** One command of a group; a NULL function means the op is not supported. */
struct sim_handler {
	uint8_t id;
	sim_handler_fn read;
	sim_handler_fn write;
};

/** A group the device supports. */
struct sim_group {
	uint16_t id;
	const char *name;
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
 * holds gets MGMT_ERR_ECORRUPT.
 */
void sim_device_receive(struct sim_device *dev, const uint8_t *unit, size_t len, uint64_t now_us,
			sim_device_emit_fn emit, void *ctx);

/**
 * Ask for a reboot at @p at_us (the reset command answers first, as Zephyr does, and reboots
 * about 250 ms later). The transport glue sees it with sim_device_reset_at() and calls
 * sim_device_reboot() then.
 */
void sim_device_request_reset(struct sim_device *dev, uint64_t at_us);

/** When the device will reboot, or UINT64_MAX. */
uint64_t sim_device_reset_at(const struct sim_device *dev);

/** Reboot now: what lives in RAM is lost; what is persistent stays. */
void sim_device_reboot(struct sim_device *dev, uint64_t now_us);

/** The groups the device supports, in registration order (for the enumeration group). */
const struct sim_group *const *sim_device_groups(size_t *count);

/** The device's settings (after defaults). */
const struct sim_device_config *sim_device_config(const struct sim_device *dev);

/** Counters since init. */
const struct sim_device_stats *sim_device_stats(const struct sim_device *dev);

/* The groups, one file each. */
extern const struct sim_group sim_group_os;

#endif /* SIM_DEVICE_H */
