/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GATT DFU SMP Service Client.
 *
 * Sends SMP commands to the SMP characteristic of a peer's SMP service (one Write Without
 * Response per command) and hands each notification of the response to the caller as one part,
 * with the part's offset in the whole response and the total size taken from the SMP header of
 * the first part.
 *
 * The API and its semantics are those of the nRF Connect SDK module of the same name, so code
 * written for it reads the same. The GATT operations go through a small port interface
 * (struct bt_dfu_smp_gatt): the same client runs on the simulated link, on BlueZ and on an MCU
 * stack. Beyond the original module, because real devices need it:
 *  - a response timeout (error callback with -ETIMEDOUT), with the time given by the caller;
 *  - a response whose seq, group, id or op does not answer a command is reported and dropped,
 *    never delivered as the answer;
 *  - no byte beyond what a notification carried is ever read, whatever its header claims;
 *  - opt-in, for speed: several commands waiting at once (bt_dfu_smp_set_pipeline()), each
 *    response matched to its command by header; and commands longer than one write, split
 *    across writes for peers with SMP reassembly (bt_dfu_smp_set_reassembly()).
 *
 * The writes and the cutting of notifications into responses are those of gatt_link.h, which
 * the SMP client's GATT transport (gatt.h) shares.
 *
 * Time: the client never reads a clock. bt_dfu_smp_process() gives it the current time (in
 * milliseconds, from any fixed origin); a command's timeout counts from the time last given.
 */
#ifndef BT_DFU_SMP_H
#define BT_DFU_SMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/smp/gatt_link.h>

/** A 128-bit UUID as sent on the air (little-endian). 16-bit UUIDs use the Bluetooth base. */
struct bt_dfu_smp_uuid {
	uint8_t val[16];
};

/** The SMP service: 8D53DC1D-1DB7-4CD3-868B-8A527460AA84. */
DFU_SMP_API extern const struct bt_dfu_smp_uuid BT_DFU_SMP_UUID_SERVICE;
/** The SMP characteristic: DA2E7828-FBCE-4E01-AE9E-261174997C48. */
DFU_SMP_API extern const struct bt_dfu_smp_uuid BT_DFU_SMP_UUID_CHAR;
/** The Client Characteristic Configuration descriptor (0x2902). */
DFU_SMP_API extern const struct bt_dfu_smp_uuid BT_DFU_SMP_UUID_CCC;

/* The same UUIDs as text, lower case, as BlueZ's D-Bus API writes them. */
/** The SMP service, as text. */
#define BT_DFU_SMP_UUID_SERVICE_STR "8d53dc1d-1db7-4cd3-868b-8a527460aa84"
/** The SMP characteristic, as text. */
#define BT_DFU_SMP_UUID_CHAR_STR "da2e7828-fbce-4e01-ae9e-261174997c48"
/** The CCC descriptor, as text. */
#define BT_DFU_SMP_UUID_CCC_STR "00002902-0000-1000-8000-00805f9b34fb"

/** Characteristic property bits (Bluetooth Core, Characteristic Properties). */
#define BT_DFU_SMP_CHRC_WRITE_WITHOUT_RESP 0x04u
#define BT_DFU_SMP_CHRC_NOTIFY 0x10u

/** The ATT MTU every link starts with. */
#define BT_DFU_SMP_ATT_MTU_MIN 23u
/** ATT header bytes in a Write Command or a notification: payload = ATT MTU - 3. */
#define BT_DFU_SMP_ATT_OVERHEAD 3u

/** Most commands that may wait for their responses at once. */
#define BT_DFU_SMP_PIPELINE_MAX 16u

/** Default response timeout when bt_dfu_smp_init_params.timeout_ms is 0. */
#define BT_DFU_SMP_TIMEOUT_DEFAULT_MS 10000u
/** bt_dfu_smp_init_params.timeout_ms value that turns the response timeout off. */
#define BT_DFU_SMP_TIMEOUT_NONE UINT32_MAX

struct bt_dfu_smp_gatt;

/** GATT operations a port provides. Each returns 0 or a negative errno. */
struct bt_dfu_smp_gatt_ops {
	/**
	 * Queue one ATT Write Command (Write Without Response) of @p len bytes to @p handle.
	 * Completion, if the port reports it, comes back through bt_dfu_smp_written().
	 */
	int (*write_without_rsp)(struct bt_dfu_smp_gatt *gatt, uint16_t handle,
				 const uint8_t *data, uint16_t len);
	/**
	 * Enable notifications of @p value_handle by writing 0x0001 to @p ccc_handle. The result
	 * comes back through bt_dfu_smp_subscribed(). Notifications then come in through
	 * bt_dfu_smp_notify().
	 */
	int (*subscribe)(struct bt_dfu_smp_gatt *gatt, uint16_t value_handle, uint16_t ccc_handle);
	/** The link's current ATT MTU (23 until an exchange raised it). */
	uint16_t (*get_mtu)(struct bt_dfu_smp_gatt *gatt);
};

/**
 * A connection as a port provides it: its operations and the port's own context. Owned by the
 * port; it must outlive every bt_dfu_smp object it is assigned to.
 */
struct bt_dfu_smp_gatt {
	const struct bt_dfu_smp_gatt_ops *ops;
	void *ctx;
};

/** A descriptor found by discovery. */
struct bt_dfu_smp_discovery_desc {
	struct bt_dfu_smp_uuid uuid;
	uint16_t handle;
};

/** A characteristic found by discovery, with its descriptors. A handle of 0 means absent. */
struct bt_dfu_smp_discovery_chrc {
	struct bt_dfu_smp_uuid uuid;
	uint16_t value_handle;
	uint8_t properties;
	const struct bt_dfu_smp_discovery_desc *descs;
	size_t desc_count;
};

/**
 * The result of discovering one primary service on a connection, as a port fills it in (the
 * counterpart of the nRF Connect SDK's GATT discovery manager result).
 */
struct bt_dfu_smp_discovery {
	struct bt_dfu_smp_gatt *conn;
	struct bt_dfu_smp_uuid service_uuid;
	const struct bt_dfu_smp_discovery_chrc *chrcs;
	size_t chrc_count;
};

/** The SMP header as bytes, in the seed module's layout (big-endian length and group). */
struct bt_dfu_smp_header {
	uint8_t op;       /**< Res:3 | Ver:2 | Op:3 */
	uint8_t flags;
	uint8_t len_h8;
	uint8_t len_l8;
	uint8_t group_h8;
	uint8_t group_l8;
	uint8_t seq;
	uint8_t id;
};

/** The response part being delivered, valid during the response-part callback. */
struct bt_dfu_smp_rsp_state {
	size_t offset;       /**< offset of this part in the whole response */
	size_t total_size;   /**< size of the whole response: SMP header + its length field */
	size_t chunk_size;   /**< bytes in this part */
	const uint8_t *data; /**< this part's bytes (the first part starts with the SMP header) */
};

struct bt_dfu_smp;

/** Called for each part of the response. The last part has bt_dfu_smp_rsp_total_check(). */
typedef void (*bt_dfu_smp_rsp_part_cb)(struct bt_dfu_smp *dfu_smp);

/**
 * Called on an error. These end every command waiting for a response (a new one may be sent
 * from the callback):
 *  -EINVAL     the first part of a response was shorter than an SMP header;
 *  -ENOTCONN   the connection was lost;
 *  other       the port's error from a failed subscription or write.
 * This ends the one command that waited longest:
 *  -ETIMEDOUT  no complete response within the timeout.
 * These only report bytes that were dropped; commands still waiting go on waiting:
 *  -EBADMSG    a response that answers no waiting command (seq, group, id or op differ);
 *  -EIO        a notification (or bytes after a complete response) with no command waiting.
 */
typedef void (*bt_dfu_smp_error_cb)(struct bt_dfu_smp *dfu_smp, int error);

/** Parameters of bt_dfu_smp_init(). */
struct bt_dfu_smp_init_params {
	bt_dfu_smp_error_cb error_cb; /**< required */
	/** Response timeout in ms; 0 = BT_DFU_SMP_TIMEOUT_DEFAULT_MS; BT_DFU_SMP_TIMEOUT_NONE = off. */
	uint32_t timeout_ms;
};

/** A command waiting for its response (private to the client). */
struct bt_dfu_smp_cmd {
	bt_dfu_smp_rsp_part_cb rsp_cb;
	uint64_t deadline_ms;
	uint16_t group; /* what its response must carry */
	uint8_t op;
	uint8_t seq;
	uint8_t id;
};

/**
 * The GATT DFU SMP client. Allocated by the caller; set up with bt_dfu_smp_init(). The fields
 * are private: use the functions.
 */
struct bt_dfu_smp {
	struct dfu_smp_gatt_link link; /* writes out, notifications cut into responses */
	bt_dfu_smp_error_cb error_cb;
	/* the response arriving now goes here; NULL while one is dropped or none arrives */
	bt_dfu_smp_rsp_part_cb rsp_part;
	struct bt_dfu_smp_rsp_state rsp_state;
	uint32_t timeout_ms;
	uint64_t now_ms;
	uint64_t rsp_deadline_ms; /* of the response arriving now */
	uint8_t rsp_seq;          /* the sequence number of its command */
	unsigned depth;           /* commands that may wait at once */
	struct bt_dfu_smp_cmd cmds[BT_DFU_SMP_PIPELINE_MAX]; /* waiting, oldest first */
	unsigned ncmds;
};

/**
 * Initialise @p dfu_smp: clear it and record the parameters.
 * @return 0; -EINVAL if @p dfu_smp or @p params is NULL or there is no error callback.
 */
DFU_SMP_API int bt_dfu_smp_init(struct bt_dfu_smp *dfu_smp,
				const struct bt_dfu_smp_init_params *params);

/**
 * Take the SMP handles and the connection from a discovery result.
 *
 * Any command waiting for a response is forgotten, and notifications will be enabled again on
 * the next command.
 * @return 0;
 *         -ENOTSUP if @p dm is not the SMP service;
 *         -EINVAL if an argument is NULL, or the SMP characteristic, its value handle or its CCC
 *         descriptor is missing.
 */
DFU_SMP_API int bt_dfu_smp_handles_assign(const struct bt_dfu_smp_discovery *dm,
					  struct bt_dfu_smp *dfu_smp);

/**
 * Send an SMP command (header and payload, @p cmd_size bytes) as one Write Without Response,
 * enabling notifications first if this is the first command on the connection. The response
 * comes back part by part through @p rsp_cb. @p cmd_data is not kept after the call.
 *
 * With reassembly on (bt_dfu_smp_set_reassembly()), a command longer than one write goes out
 * as several back-to-back writes of ATT MTU - 3 bytes; the port must take them all.
 *
 * @return 0;
 *         -EINVAL if @p dfu_smp, @p rsp_cb or @p cmd_data is NULL, or @p cmd_size is 0 or
 *         shorter than an SMP header;
 *         -ENXIO if no connection is assigned;
 *         -EMSGSIZE if the command does not fit one write (ATT MTU - 3 bytes), or with
 *         reassembly on, is longer than the peer takes;
 *         -EBUSY while the response to an earlier command is still arriving (with a pipeline,
 *         while as many commands as its depth wait);
 *         or the port's error from the subscription or the write.
 */
DFU_SMP_API int bt_dfu_smp_command(struct bt_dfu_smp *dfu_smp, bt_dfu_smp_rsp_part_cb rsp_cb,
		       size_t cmd_size, const void *cmd_data);

/** The connection assigned by bt_dfu_smp_handles_assign(), or NULL. */
DFU_SMP_API struct bt_dfu_smp_gatt *bt_dfu_smp_conn(const struct bt_dfu_smp *dfu_smp);

/** The response part being delivered; valid in the response-part callback. */
DFU_SMP_API const struct bt_dfu_smp_rsp_state *bt_dfu_smp_rsp_state(
	const struct bt_dfu_smp *dfu_smp);

/** True when the part being delivered is the last of the response. */
DFU_SMP_API bool bt_dfu_smp_rsp_total_check(const struct bt_dfu_smp *dfu_smp);

/**
 * Port -> client: a notification of the SMP characteristic arrived with @p len bytes. Only
 * these @p len bytes are read.
 */
DFU_SMP_API void bt_dfu_smp_notify(struct bt_dfu_smp *dfu_smp, const uint8_t *data, size_t len);

/**
 * Port -> client: the CCC write started by the subscribe operation finished. A non-zero
 * @p err ends the waiting command with that error; the next command subscribes again.
 */
DFU_SMP_API void bt_dfu_smp_subscribed(struct bt_dfu_smp *dfu_smp, int err);

/** Port -> client: a Write Without Response left (0) or failed (negative errno). */
DFU_SMP_API void bt_dfu_smp_written(struct bt_dfu_smp *dfu_smp, int err);

/**
 * Port -> client: the connection is gone. A waiting command ends with -ENOTCONN and the
 * connection is forgotten until the next bt_dfu_smp_handles_assign().
 */
DFU_SMP_API void bt_dfu_smp_disconnected(struct bt_dfu_smp *dfu_smp);

/**
 * Give the client the current time (ms): a command waiting past its timeout ends with
 * -ETIMEDOUT. Call it whenever time moves on, and at bt_dfu_smp_deadline() at the latest.
 */
DFU_SMP_API void bt_dfu_smp_process(struct bt_dfu_smp *dfu_smp, uint64_t now_ms);

/** When bt_dfu_smp_process() must next be called, or UINT64_MAX if nothing is waiting. */
DFU_SMP_API uint64_t bt_dfu_smp_deadline(const struct bt_dfu_smp *dfu_smp);

/**
 * Forget every command waiting for a response, without calling the error callback; bytes of
 * their responses that still arrive are reported as -EIO or -EBADMSG.
 */
DFU_SMP_API void bt_dfu_smp_abort(struct bt_dfu_smp *dfu_smp);

/**
 * Forget the waiting command with sequence number @p seq, without calling the error callback
 * (an owner that runs its own timeouts gave up on it), also while its response arrives (from
 * its own callback too): the rest of that response is dropped. @return 0, or -ENOENT.
 */
DFU_SMP_API int bt_dfu_smp_cancel(struct bt_dfu_smp *dfu_smp, uint8_t seq);

/**
 * Let up to @p depth commands wait for their responses at once (1, the default, is the
 * original module's behaviour). Each response is matched to its command by seq, group, id and
 * op, so a peer may answer in any order. @return 0, or -EINVAL if @p depth is 0 or more than
 * BT_DFU_SMP_PIPELINE_MAX.
 */
DFU_SMP_API int bt_dfu_smp_set_pipeline(struct bt_dfu_smp *dfu_smp, unsigned depth);

/**
 * Tell the client whether the peer reassembles SMP messages split across writes
 * (CONFIG_MCUMGR_TRANSPORT_BT_REASSEMBLY): with @p max_size > 0, commands up to that many
 * bytes (the peer's buf_size) are sent as several writes; 0 (the default) keeps one command to
 * one write.
 */
DFU_SMP_API void bt_dfu_smp_set_reassembly(struct bt_dfu_smp *dfu_smp, size_t max_size);

/** The longest command bt_dfu_smp_command() takes now; 0 without a connection. */
DFU_SMP_API size_t bt_dfu_smp_max_command(const struct bt_dfu_smp *dfu_smp);

#endif /* BT_DFU_SMP_H */
