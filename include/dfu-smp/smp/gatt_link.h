/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The peer's SMP characteristic on one connection, as both GATT clients use it: the SMP
 * client's GATT transport (gatt.c) and the seed's GATT DFU SMP client (bt_dfu_smp.c).
 *
 * Out: an SMP message goes as ATT Write Commands (Write Without Response) of at most ATT MTU - 3
 * bytes; a longer one is split across writes only for a peer that reassembles them
 * (dfu_smp_gatt_link_set_reassembly()). Notifications are enabled before the first message.
 * In: notifications are read as one stream of SMP messages, cut by the length field of each
 * message's header, a part per notification at most.
 *
 * It matches no answer to a request and times nothing out: its owner does. It reads no clock.
 * The port's operations and the discovery result are those of bt_dfu_smp.h.
 */
#ifndef DFU_SMP_GATT_LINK_H
#define DFU_SMP_GATT_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>

struct bt_dfu_smp_gatt;
struct bt_dfu_smp_discovery;

/** The link, inside its owner; all zero is no connection. Fields are private. */
struct dfu_smp_gatt_link {
	struct bt_dfu_smp_gatt *conn; /* NULL: no connection */
	uint16_t smp_handle;          /* value handle of the SMP characteristic */
	uint16_t ccc_handle;          /* its Client Characteristic Configuration descriptor */
	bool subscribed;
	size_t reassembly_max;        /* 0: one message, one write */
	size_t rx_total;              /* size of the message being read; 0 between messages */
	size_t rx_offset;             /* its bytes read so far */
};

/** What one notification holds of an incoming SMP message. */
struct dfu_smp_gatt_link_part {
	const uint8_t *data; /**< the part's bytes (the first part starts with the SMP header) */
	size_t len;          /**< bytes in this part */
	size_t offset;       /**< where they go in the message */
	size_t total;        /**< the message's size: SMP header and its length field */
};

/**
 * Take the connection and the SMP characteristic's handles from a discovery result;
 * notifications are enabled again before the next message, and the message being read is
 * forgotten.
 * @return 0; -ENOTSUP if @p dm is not the SMP service; -EINVAL if @p dm or its connection is
 *         NULL, or the SMP characteristic, its value handle or its CCC descriptor is missing
 *         (@p link is then left as it was).
 */
DFU_SMP_API int dfu_smp_gatt_link_assign(struct dfu_smp_gatt_link *link,
					 const struct bt_dfu_smp_discovery *dm);

/**
 * The connection is gone: forget it (until the next dfu_smp_gatt_link_assign()), the subscription
 * and the message being read.
 */
DFU_SMP_API void dfu_smp_gatt_link_lost(struct dfu_smp_gatt_link *link);

/**
 * Whether the peer reassembles SMP messages split across writes: with @p max_size > 0
 * (the peer's SMP buffer), messages up to that size may go as several writes; 0 keeps one
 * message to one write.
 */
DFU_SMP_API void dfu_smp_gatt_link_set_reassembly(struct dfu_smp_gatt_link *link, size_t max_size);

/** The longest message dfu_smp_gatt_link_send() takes now; 0 without a connection. */
DFU_SMP_API size_t dfu_smp_gatt_link_max_size(const struct dfu_smp_gatt_link *link);

/**
 * Enable notifications of the SMP characteristic, unless already done on this connection;
 * the peer's answer, which the port reports to the owner, goes to dfu_smp_gatt_link_subscribed().
 * @return 0; -ENXIO without a connection; or the port's error.
 */
DFU_SMP_API int dfu_smp_gatt_link_subscribe(struct dfu_smp_gatt_link *link);

/**
 * Send the SMP message @p msg (@p len bytes, not kept after the call): subscribe first if not
 * yet done on this connection (dfu_smp_gatt_link_subscribe()), then write it, split at ATT MTU - 3
 * bytes.
 * @return 0; -ENXIO without a connection; -EMSGSIZE if it is longer than
 *         dfu_smp_gatt_link_max_size(); -ENOTCONN if the port reported the connection lost
 *         between two writes; or the port's error from the subscription or a write (part of a
 *         split message may have left: the peer drops an incomplete one).
 */
DFU_SMP_API int dfu_smp_gatt_link_send(struct dfu_smp_gatt_link *link, const uint8_t *msg,
				       size_t len);

/**
 * The peer answered the subscription: with @p err non-zero, the next message subscribes
 * again.
 */
DFU_SMP_API void dfu_smp_gatt_link_subscribed(struct dfu_smp_gatt_link *link, int err);

/**
 * Cut the next part of an SMP message from a notification's @p len bytes at @p data (@p len
 * > 0). A message starts with its header, which must arrive whole; it ends after the length
 * its header gives, and what follows in the same notification starts the next one. Only
 * these @p len bytes are read.
 * @return 0 with @p part filled (its @p len bytes used: call again for the rest); -EINVAL if
 *         a message would start with fewer bytes than an SMP header (nothing is used).
 */
DFU_SMP_API int dfu_smp_gatt_link_take(struct dfu_smp_gatt_link *link, const uint8_t *data,
				       size_t len, struct dfu_smp_gatt_link_part *part);

/** True while a message is being read (its header came, its end did not). */
DFU_SMP_API bool dfu_smp_gatt_link_receiving(const struct dfu_smp_gatt_link *link);

/** Forget the message being read: the next notification starts a new one. */
DFU_SMP_API void dfu_smp_gatt_link_restart(struct dfu_smp_gatt_link *link);

/** True when @p part is the last of its message. */
DFU_SMP_API bool dfu_smp_gatt_link_part_is_last(const struct dfu_smp_gatt_link_part *part);

#endif /* DFU_SMP_GATT_LINK_H */
