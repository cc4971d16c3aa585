/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMP client transport over GATT: each request goes to the peer's SMP characteristic as
 * MTU-bounded writes, and the notified parts of each response are gathered into one message
 * for the SMP client, which alone matches answers to requests and times them out (gatt_link.h
 * holds the writes and the cutting of notifications, shared with the seed's bt_dfu_smp_*).
 *
 * The port provides the GATT operations (struct bt_dfu_smp_gatt of bt_dfu_smp.h), assigns the
 * connection with dfu_smp_gatt_handles_assign() and feeds the link's events in: notifications
 * (dfu_smp_gatt_notify()), completions (dfu_smp_gatt_subscribed(), dfu_smp_gatt_written()) and link loss
 * (dfu_smp_gatt_disconnected()). A port must not deliver a notification from inside its write
 * operation (see dfu_smp_client_receive()); a link loss found there may be reported from inside.
 */
#ifndef DFU_SMP_GATT_H
#define DFU_SMP_GATT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/smp/bt_dfu_smp.h>
#include <dfu-smp/smp/client.h>
#include <dfu-smp/smp/gatt_link.h>
#include <dfu-smp/smp/header.h>

/** The transport. Caller-allocated; fields are private. */
struct dfu_smp_gatt {
	struct dfu_smp_gatt_link link;
	struct dfu_smp_client *client;
	uint8_t *rx;
	size_t rx_cap;
	bool rx_overflow;             /* the response being gathered does not fit rx */
	uint8_t rx_hdr[DFU_SMP_HDR_SIZE]; /* its header */
};

/**
 * Set up @p gatt to deliver responses to @p client, gathering them in @p rx (@p rx_cap bytes;
 * DFU_SMP_MSG_MAX holds any response), with no connection yet. A response larger than @p rx_cap
 * fails its own request with -EMSGSIZE. @p client and @p rx stay the caller's and must outlive
 * @p gatt.
 * @return 0, or -EINVAL if an argument is NULL or @p rx_cap is shorter than an SMP header.
 */
DFU_SMP_API int dfu_smp_gatt_init(struct dfu_smp_gatt *gatt, struct dfu_smp_client *client,
				  uint8_t *rx, size_t rx_cap);

/** The transport to give dfu_smp_client_init(). */
DFU_SMP_API struct dfu_smp_transport dfu_smp_gatt_transport(struct dfu_smp_gatt *gatt);

/**
 * Take the connection and the SMP characteristic's handles from the port's discovery result
 * @p dm; notifications are enabled before the next request.
 * @return 0; -ENOTSUP if @p dm is not the SMP service; -EINVAL if it is NULL, has no
 *         connection, or lacks the SMP characteristic, its value handle or its CCC descriptor.
 */
DFU_SMP_API int dfu_smp_gatt_handles_assign(struct dfu_smp_gatt *gatt,
					    const struct bt_dfu_smp_discovery *dm);

/**
 * The value handle of the SMP characteristic assigned (0 before any): the port gives
 * dfu_smp_gatt_notify() the notifications of this handle.
 */
DFU_SMP_API uint16_t dfu_smp_gatt_handle(const struct dfu_smp_gatt *gatt);

/**
 * Whether the peer reassembles SMP messages split across writes
 * (CONFIG_MCUMGR_TRANSPORT_BT_REASSEMBLY): with @p max_size > 0 (the peer's SMP buffer),
 * requests up to that size go as several writes; 0 (the default) keeps one request to one
 * write.
 */
DFU_SMP_API void dfu_smp_gatt_set_reassembly(struct dfu_smp_gatt *gatt, size_t max_size);

/**
 * Port -> transport: a notification of the SMP characteristic with @p len bytes (only these
 * are read). Each whole response goes to dfu_smp_client_receive(); one that starts with less than
 * an SMP header ends every request on the link with -EINVAL (dfu_smp_client_transport_error()).
 */
DFU_SMP_API void dfu_smp_gatt_notify(struct dfu_smp_gatt *gatt, const uint8_t *data, size_t len);

/**
 * Port -> transport: the subscription the transport started finished; a non-zero @p err ends
 * every request on the link with it, and the next request subscribes again.
 */
DFU_SMP_API void dfu_smp_gatt_subscribed(struct dfu_smp_gatt *gatt, int err);

/**
 * Port -> transport: a write left (0) or failed (a negative errno, which ends every request on
 * the link).
 */
DFU_SMP_API void dfu_smp_gatt_written(struct dfu_smp_gatt *gatt, int err);

/**
 * Port -> transport: the connection is gone. Every request on the link ends with -ENOTCONN;
 * queued ones then fail with -ENXIO when sent, until the next dfu_smp_gatt_handles_assign().
 */
DFU_SMP_API void dfu_smp_gatt_disconnected(struct dfu_smp_gatt *gatt);

#endif /* DFU_SMP_GATT_H */
