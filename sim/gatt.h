/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's GATT server: a real attribute table (GAP, GATT and the SMP service
 * with its characteristic and CCC) and the ATT requests a client uses on it: MTU exchange,
 * discovery by UUID (Find By Type Value, Read By Type, Find Information), Write Request to a
 * CCC, Write Command to the SMP characteristic, and notifications back.
 *
 * Without SMP reassembly (the default, as in Zephyr's default build), each write to the SMP
 * characteristic is taken as one SMP packet. With it, a message may come split across
 * back-to-back writes and is put together by its header's length, with Zephyr's rules: a first
 * write shorter than a header, a write past the message's end, or a message larger than the
 * device's buffer are dropped silently. Responses go out as notifications of at most
 * ATT_MTU - 3 bytes, so a long one arrives in several parts.
 *
 * The device handles one request at a time: a request waits in one of the device's SMP
 * buffers until the previous one is done, and its answer leaves only after the flash work it
 * caused (erasing, writing), holding a buffer until its last notification has gone out. As in
 * Zephyr, a request that finds every buffer taken (by requests waiting and answers not yet
 * sent) is dropped, and so is one that finds no buffer free for its answer when its turn comes.
 */
#ifndef SIM_GATT_H
#define SIM_GATT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "link.h"

/** ATT opcodes used by the simulator and its clients. */
enum sim_att_op {
	SIM_ATT_ERROR_RSP = 0x01,
	SIM_ATT_MTU_REQ = 0x02,
	SIM_ATT_MTU_RSP = 0x03,
	SIM_ATT_FIND_INFO_REQ = 0x04,
	SIM_ATT_FIND_INFO_RSP = 0x05,
	SIM_ATT_FIND_BY_TYPE_REQ = 0x06,
	SIM_ATT_FIND_BY_TYPE_RSP = 0x07,
	SIM_ATT_READ_BY_TYPE_REQ = 0x08,
	SIM_ATT_READ_BY_TYPE_RSP = 0x09,
	SIM_ATT_WRITE_REQ = 0x12,
	SIM_ATT_WRITE_RSP = 0x13,
	SIM_ATT_NOTIFY = 0x1b,
	SIM_ATT_WRITE_CMD = 0x52,
};

/** ATT error codes used by the simulator. */
enum sim_att_err {
	SIM_ATT_ERR_INVALID_HANDLE = 0x01,
	SIM_ATT_ERR_WRITE_NOT_PERMITTED = 0x03,
	SIM_ATT_ERR_INVALID_PDU = 0x04,
	SIM_ATT_ERR_NOT_SUPPORTED = 0x06,
	SIM_ATT_ERR_NOT_FOUND = 0x0a,
	SIM_ATT_ERR_VALUE_LENGTH = 0x0d,
};

/** Largest ATT MTU. */
#define SIM_ATT_MTU_MAX 517u

/** GATT server settings; zero fields take the defaults. */
struct sim_gatt_config {
	uint16_t mtu_max; /**< the device's own ATT MTU limit; default 498 */
	bool reassembly;  /**< SMP messages may be split across writes */
	uint32_t process_us; /**< CPU time per request besides flash work; default 0 */
};

/** What the GATT server saw. */
struct sim_gatt_stats {
	uint32_t writes;         /**< Write Commands to the SMP characteristic */
	uint32_t notifications;  /**< notifications sent */
	uint32_t lost_responses; /**< responses not sent because notifications were off */
	uint32_t dropped_fragments; /**< writes dropped by the reassembly rules */
	uint32_t dropped_requests;  /**< requests dropped because every SMP buffer was taken */
	uint32_t most_buffers;      /**< the most SMP buffers ever in use at once */
};

struct sim_gatt_msg;

/** One attribute of the table. */
struct sim_gatt_attr {
	uint16_t handle;
	uint8_t type[16]; /**< attribute type, little-endian */
	uint8_t type_len; /**< 2 or 16 */
	uint8_t value[24];
	uint8_t value_len;
};

/** The GATT server. Caller-allocated; fields are private. */
struct sim_gatt {
	struct sim_gatt_config cfg;
	struct sim_device *dev;
	struct sim_link *link;
	struct sim_gatt_attr attrs[12];
	size_t attr_count;
	uint16_t mtu;
	bool mtu_exchanged;
	uint16_t smp_ccc_value;
	uint16_t gatt_ccc_value;
	uint8_t *reasm;        /* a message being put together, buf_size bytes */
	size_t reasm_len;
	size_t reasm_expected; /* 0: none under way */
	struct sim_gatt_msg *requests;  /* waiting for the device, oldest first */
	struct sim_gatt_msg *answers;   /* waiting to be sent, oldest first */
	unsigned buffers;               /* SMP buffers in use: requests and answers */
	uint64_t busy_until_us;         /* the device is working until then */
	bool processing;                /* a process event is scheduled */
	struct sim_gatt_stats stats;
};

/** Handles of the attribute table (fixed by its layout). */
enum {
	SIM_GATT_HANDLE_GATT_CCC = 7,
	SIM_GATT_HANDLE_SMP_SERVICE = 8,
	SIM_GATT_HANDLE_SMP_VALUE = 10,
	SIM_GATT_HANDLE_SMP_CCC = 11,
};

/**
 * Set up the server for @p dev, answering on the peripheral side of @p link (it attaches
 * itself there). @p cfg may be NULL for the defaults. @return 0 or -ENOMEM.
 */
int sim_gatt_init(struct sim_gatt *gatt, struct sim_device *dev, struct sim_link *link,
		  const struct sim_gatt_config *cfg);

/** Free what the server holds. */
void sim_gatt_free(struct sim_gatt *gatt);

/** Forget the connection's state (MTU, CCCs, a half-assembled message), as a new one starts with. */
void sim_gatt_reset(struct sim_gatt *gatt);

/** Counters since init. */
const struct sim_gatt_stats *sim_gatt_stats(const struct sim_gatt *gatt);

#endif /* SIM_GATT_H */
