/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The radio between a central (the client's port) and the simulated peripheral: a model of a
 * Bluetooth LE connection in virtual time.
 *
 * ATT PDUs go in at one end as L2CAP frames (4-byte header), are cut into link-layer packets of
 * at most the data length, and travel in connection events: every connection interval the
 * central and the peripheral take turns (a packet each, T_IFS apart), sending an empty packet
 * when they have nothing; the event goes on while either side has data ready (the more-data
 * rule) and the next pair of packets fits the event's length. Each packet takes its air time:
 * preamble, access address, header, payload, MIC when encrypted, CRC, at 8 us a byte on the 1M
 * PHY and 4 us on the 2M PHY. A frame arrives at the other end when its last packet has.
 *
 * Data a side's host queues reaches its controller after that side's latency (the HCI and the
 * host stack); the central's controller holds at most a set number of frames (its transmit
 * buffers), and takes the next one from the host when one of them has gone out.
 *
 * A link attached to a central (sim/central.h) shares that central's radio with its other
 * links: its anchor points, and when its events end, follow the central's schedule.
 */
#ifndef SIM_LINK_H
#define SIM_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched.h"

/** The two ends of the link. */
enum sim_link_side {
	SIM_LINK_CENTRAL = 0,
	SIM_LINK_PERIPHERAL = 1,
};

/** Receives one PDU at its end of the link. */
typedef void (*sim_link_rx_fn)(void *ctx, const uint8_t *pdu, size_t len, uint64_t now_us);

/** Called when the last packet of a frame has gone out. */
typedef void (*sim_link_sent_fn)(void *ctx, uint64_t now_us);

/** Link settings; zero fields take the defaults. */
struct sim_link_config {
	uint32_t interval_us;       /**< connection interval, 7500..4000000; default 30000 */
	uint8_t phy;                /**< 1 (1M) or 2 (2M); default 2 */
	uint16_t data_length;       /**< largest link-layer payload, 27..251; default 251 */
	uint32_t event_length_us;   /**< longest connection event; default the whole interval */
	bool encrypted;             /**< a 4-byte MIC in every packet with a payload */
	uint16_t central_buffers;   /**< frames the central's controller holds; default unlimited */
	uint32_t central_latency_us;    /**< central host to controller; default 1000 */
	uint32_t peripheral_latency_us; /**< peripheral host to controller; default 100 */
};

/** T_IFS: the gap between two packets of a connection event. */
#define SIM_LINK_T_IFS_US 150u

/** What crossed the link, per direction (index: the sending side). */
struct sim_link_stats {
	uint64_t frames[2];   /**< L2CAP frames (ATT PDUs) sent */
	uint64_t packets[2];  /**< link-layer packets with a payload */
	uint64_t empty[2];    /**< empty packets */
	uint64_t air_bytes[2]; /**< bytes on air: every packet, headers and CRC included */
	uint64_t air_us[2];   /**< time on air */
	uint64_t events;      /**< connection events held */
	uint64_t lost_events; /**< anchors lost to another link's event (behind a central) */
};

struct sim_link_frame;
struct sim_link_arrival;
struct sim_central;

/** One direction's queue (private). */
struct sim_link_queue {
	struct sim_link_frame *head;
	struct sim_link_frame *tail;
	unsigned in_controller; /* frames handed to the controller, not yet sent */
};

/** The link. Caller-allocated; fields are private. */
struct sim_link {
	struct sim_sched *sched;
	struct sim_link_config cfg;
	sim_link_rx_fn rx[2];
	void *rx_ctx[2];
	struct sim_link_queue q[2]; /* frames waiting to be sent by side i */
	struct sim_link_arrival *arrivals; /* frames whose last packet is in the air */
	bool connected;
	bool in_event;              /* a connection event is under way */
	bool scheduled;             /* the next step is scheduled */
	uint64_t origin_us;         /* the first anchor point */
	uint64_t event_end_us;
	unsigned event_packets;     /* central data packets in this event */
	struct sim_link_stats stats;
	/* behind a shared central (sim/central.h); NULL: the radio is this link's alone */
	struct sim_central *central;
	struct sim_link *central_next; /* the central's next connected link */
	uint64_t pending_us;        /* the anchor its next event is scheduled at, or UINT64_MAX */
	unsigned lost;              /* events lost in a row */
	unsigned prio;              /* what lost was when the current event began */
};

/** Set up a connected link on @p sched. @p cfg may be NULL for the defaults. */
void sim_link_init(struct sim_link *link, struct sim_sched *sched,
		   const struct sim_link_config *cfg);

/** Drop what is queued and free it; a link attached to a central leaves it. */
void sim_link_free(struct sim_link *link);

/** Deliver PDUs arriving at @p side to @p rx(@p ctx, ...). */
void sim_link_attach(struct sim_link *link, enum sim_link_side side, sim_link_rx_fn rx, void *ctx);

/**
 * Queue a PDU from @p from to the other side; @p sent (may be NULL) is called when its last
 * packet went out. @return 0, -ENOTCONN when the link is down, or -ENOMEM.
 */
int sim_link_send(struct sim_link *link, enum sim_link_side from, const uint8_t *pdu, size_t len,
		  sim_link_sent_fn sent, void *ctx);

/** Take the link down (what is queued is lost) or up again (a new connection). */
void sim_link_set_connected(struct sim_link *link, bool connected);

/** The settings in use (after defaults). */
const struct sim_link_config *sim_link_config(const struct sim_link *link);

/** Air time of one link-layer packet carrying @p payload bytes (0: an empty packet). */
uint32_t sim_link_airtime_us(const struct sim_link_config *cfg, size_t payload);

/** Fill in the defaults of @p cfg. */
void sim_link_config_defaults(struct sim_link_config *cfg);

/** Counters since init. */
const struct sim_link_stats *sim_link_stats(const struct sim_link *link);

#endif /* SIM_LINK_H */
