/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMP client transport over the GATT DFU SMP client: sends each request with
 * bt_dfu_smp_command() and gathers the notified parts of its response into one message for
 * the SMP client. The GATT client runs with its full pipeline, so the SMP client's window
 * decides how many requests are on the link; timeouts are the SMP client's.
 *
 * The port assigns the connection with bt_dfu_smp_handles_assign() on smp_gatt_dfu() and feeds
 * notifications and GATT completions to that same object (bt_dfu_smp_notify() and friends).
 * Whether the peer reassembles long requests is set on that object too
 * (bt_dfu_smp_set_reassembly()).
 */
#ifndef SMP_GATT_H
#define SMP_GATT_H

#include <stddef.h>
#include <stdint.h>

#include "bt_dfu_smp.h"
#include "client.h"

/** Counters of what the GATT client reported but the SMP client never saw. */
struct smp_gatt_stats {
	uint32_t stray_bytes;    /**< notifications with no command waiting (-EIO) */
	uint32_t foreign_rsps;   /**< responses that did not answer the command (-EBADMSG) */
	uint32_t oversize_rsps;  /**< responses larger than the receive buffer */
};

/** The transport. Caller-allocated; fields are private. */
struct smp_gatt {
	struct bt_dfu_smp dfu;
	struct smp_client *client;
	uint8_t *rx;
	size_t rx_cap;
	bool rx_overflow;
	uint8_t rx_hdr[SMP_HDR_SIZE]; /* the header of the response being gathered */
	struct smp_gatt_stats stats;
};

/**
 * Set up @p gatt to deliver responses to @p client, gathering them in @p rx (@p rx_cap bytes;
 * SMP_MSG_MAX holds any response). A response larger than @p rx_cap fails its request with
 * -EMSGSIZE.
 * @return 0 or -EINVAL.
 */
int smp_gatt_init(struct smp_gatt *gatt, struct smp_client *client, uint8_t *rx, size_t rx_cap);

/** The transport to give smp_client_init(). */
struct smp_transport smp_gatt_transport(struct smp_gatt *gatt);

/** The GATT DFU SMP client inside, for the port to assign handles and feed events. */
struct bt_dfu_smp *smp_gatt_dfu(struct smp_gatt *gatt);

/** Counters since init. */
const struct smp_gatt_stats *smp_gatt_stats(const struct smp_gatt *gatt);

#endif /* SMP_GATT_H */
