/*
 * The radio between a central (the client's port) and the simulated peripheral, in virtual
 * time: ATT PDUs go in at one end and come out at the other, in order, some time later.
 *
 * This is the ideal link: every PDU arrives a fixed latency after it was sent, with no limit on
 * how many are in the air.
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

/** Link settings. */
struct sim_link_config {
	uint32_t latency_us; /**< time from send to arrival; default 1000 */
};

/** What crossed the link, per direction (index: the sending side). */
struct sim_link_stats {
	uint64_t pdus[2];
	uint64_t bytes[2];
};

struct sim_link_pdu;

/** The link. Caller-allocated; fields are private. */
struct sim_link {
	struct sim_sched *sched;
	struct sim_link_config cfg;
	sim_link_rx_fn rx[2];
	void *rx_ctx[2];
	struct sim_link_pdu *head[2]; /* in the air towards side i, oldest first */
	struct sim_link_pdu *tail[2];
	bool connected;
	struct sim_link_stats stats;
};

/** Set up a connected link on @p sched. @p cfg may be NULL for the defaults. */
void sim_link_init(struct sim_link *link, struct sim_sched *sched, const struct sim_link_config *cfg);

/** Drop what is in the air and free it. */
void sim_link_free(struct sim_link *link);

/** Deliver PDUs arriving at @p side to @p rx(@p ctx, ...). */
void sim_link_attach(struct sim_link *link, enum sim_link_side side, sim_link_rx_fn rx, void *ctx);

/**
 * Send a PDU from @p from to the other side.
 * @return 0, -ENOTCONN when the link is down, or -ENOMEM.
 */
int sim_link_send(struct sim_link *link, enum sim_link_side from, const uint8_t *pdu, size_t len);

/** Take the link down (what is in the air is lost) or up again. */
void sim_link_set_connected(struct sim_link *link, bool connected);

/** Counters since init. */
const struct sim_link_stats *sim_link_stats(const struct sim_link *link);

#endif /* SIM_LINK_H */
