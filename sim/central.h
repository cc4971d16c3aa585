/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One central's radio shared by several simulated links (sim/link.h) on one virtual clock, as
 * a controller schedules the connection events of several connections.
 *
 * The model:
 * - Anchor points. When a link connects, the controller picks a free offset for it: among the
 *   links of the same interval, the middle of the largest gap between their anchor points (the
 *   first link keeps the time it connects at). Links of other intervals drift against it.
 * - One event at a time. An event holds the radio from its anchor to the end of its last
 *   packet; no other link's event overlaps it. A link whose anchor comes while the radio is
 *   busy loses that event and tries again at its next anchor.
 * - Reservation. The controller reserves `slot_us` (its configured event length; 7.5 ms by
 *   default, the SoftDevice Controller's CONFIG_BT_CTLR_SDC_MAX_CONN_EVENT_LEN_DEFAULT) at
 *   every event it starts: anchors of other links that come within it lose their event,
 *   unless that link has lost more events in a row than the one holding the radio had when
 *   its event began (the controller raises a connection's priority each time it misses an
 *   event, so that every busy link gets its turn); the event then ends before that anchor.
 * - Extension. Past its reservation an event goes on while the radio is not claimed (as the
 *   SoftDevice's connection event extension does): it ends at its own length limit
 *   (sim_link_config.event_length_us), when neither side has more data (the more-data rule),
 *   or before the next anchor of another link that has data waiting.
 * - Idle links. A link with nothing to send on either side claims no event: its empty polls
 *   (a pair of empty packets, some 0.2 to 0.4 ms) are not modelled, as they take only air time
 *   no busy link claims. The central is taken to know when either side has data (its own queue,
 *   and the peripheral's more-data bit).
 * - Leaving. A link that disconnects holds no anchor any more: its time goes to the others.
 *
 * With N links busy at once each gets about 1/N of the air time, and together about what one
 * link alone gets. A link that is not attached to a central keeps its radio to itself.
 */
#ifndef SIM_CENTRAL_H
#define SIM_CENTRAL_H

#include <stdbool.h>
#include <stdint.h>

#include "link.h"
#include "sched.h"

/** The central's settings; zero fields take the defaults. */
struct sim_central_config {
	uint32_t slot_us; /**< the event length reserved at every event; default 7500 */
};

/** Called when a connection event ends: its link, its first and last moment on air. */
typedef void (*sim_central_event_fn)(void *ctx, const struct sim_link *link, uint64_t start_us,
				     uint64_t end_us);

/** What the central's radio did. */
struct sim_central_stats {
	uint64_t events; /**< connection events held (with at least one pair of packets) */
	uint64_t lost;   /**< anchors that found the radio taken */
	uint64_t air_us; /**< time the radio was in an event, first packet to last */
};

/** The central. Caller-allocated; fields are private. */
struct sim_central {
	struct sim_sched *sched;
	struct sim_central_config cfg;
	struct sim_link *links;    /* the connected links, through central_next */
	struct sim_link *owner;    /* the link whose event holds the radio, or NULL */
	uint64_t start_us;         /* when the owner's event began */
	uint64_t reserved_us;      /* the end of its reservation */
	uint64_t busy_until_us;    /* the end of its last packet */
	sim_central_event_fn on_event;
	void *on_event_ctx;
	struct sim_central_stats stats;
};

/**
 * Set up a central with no link on @p sched (which must outlive it); @p cfg may be NULL for the
 * defaults.
 */
void sim_central_init(struct sim_central *central, struct sim_sched *sched,
		      const struct sim_central_config *cfg);

/**
 * Make @p link (set up with sim_link_init() on the central's scheduler) one of @p central's:
 * from now on its events share the central's radio, and a connected link gets a free offset.
 * The link leaves the central when it is freed (sim_link_free()).
 */
void sim_central_attach(struct sim_central *central, struct sim_link *link);

/** Report every connection event that ends to @p fn(@p ctx, ...); NULL stops it. */
void sim_central_observe(struct sim_central *central, sim_central_event_fn fn, void *ctx);

/** Counters since init. */
const struct sim_central_stats *sim_central_stats(const struct sim_central *central);

/* ---- for sim/link.c ---- */

/** The first anchor point, at or after @p now_us, of @p link connecting now. */
uint64_t sim_central_place(struct sim_central *central, const struct sim_link *link,
			   uint64_t now_us);

/** @p link connected (true) or disconnected (false): it holds an anchor or no longer does. */
void sim_central_set_connected(struct sim_central *central, struct sim_link *link,
			       bool connected);

/** At @p link's anchor @p now_us: true if its event may start (it then holds the radio). */
bool sim_central_claim(struct sim_central *central, struct sim_link *link, uint64_t now_us);

/**
 * The latest time a packet of @p link's event may end, UINT64_MAX for no limit; 0 when the
 * radio has gone to another link.
 */
uint64_t sim_central_limit(const struct sim_central *central, const struct sim_link *link);

/** A pair of @p link's packets is on air until @p end_us. */
void sim_central_busy(struct sim_central *central, const struct sim_link *link, uint64_t end_us);

/** @p link's event ends, after @p pairs pairs of packets. */
void sim_central_release(struct sim_central *central, struct sim_link *link, unsigned pairs);

#endif /* SIM_CENTRAL_H */
