/* SPDX-License-Identifier: Apache-2.0 */
#include "link.h"
#include "central.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_INTERVAL_US 30000u
#define DEFAULT_PHY 2u
#define DEFAULT_DATA_LENGTH 251u
#define DEFAULT_CENTRAL_LATENCY_US 1000u
#define DEFAULT_PERIPHERAL_LATENCY_US 100u
#define L2CAP_HEADER 4u
#define MIC_SIZE 4u

/* A frame on its way: an L2CAP header and an ATT PDU. */
struct sim_link_frame {
	struct sim_link_frame *next;
	uint64_t queued_us;  /* when its host queued it */
	uint64_t ready_us;   /* when its controller may send it; UINT64_MAX: not yet there */
	size_t len;          /* L2CAP frame bytes */
	size_t sent;         /* bytes of it sent so far */
	sim_link_sent_fn sent_cb;
	void *sent_ctx;
	size_t pdu_len;
	uint8_t pdu[];
};

/* A frame whose last packet is in the air: it arrives when that packet ends. */
struct sim_link_arrival {
	struct sim_link *link;
	int to;
	struct sim_link_frame *frame;
	struct sim_link_arrival *next;
};

void sim_link_config_defaults(struct sim_link_config *cfg)
{
	if (cfg->interval_us == 0) {
		cfg->interval_us = DEFAULT_INTERVAL_US;
	}
	if (cfg->phy != 1 && cfg->phy != 2) {
		cfg->phy = DEFAULT_PHY;
	}
	if (cfg->data_length < 27 || cfg->data_length > 251) {
		cfg->data_length = DEFAULT_DATA_LENGTH;
	}
	if (cfg->event_length_us == 0 || cfg->event_length_us > cfg->interval_us) {
		cfg->event_length_us = cfg->interval_us;
	}
	if (cfg->central_latency_us == 0) {
		cfg->central_latency_us = DEFAULT_CENTRAL_LATENCY_US;
	}
	if (cfg->peripheral_latency_us == 0) {
		cfg->peripheral_latency_us = DEFAULT_PERIPHERAL_LATENCY_US;
	}
}

uint32_t sim_link_airtime_us(const struct sim_link_config *cfg, size_t payload)
{
	/* preamble (1 byte on 1M, 2 on 2M), access address 4, header 2, CRC 3 */
	size_t bytes = (cfg->phy == 2 ? 2u : 1u) + 4u + 2u + payload + 3u;

	if (payload && cfg->encrypted) {
		bytes += MIC_SIZE;
	}
	return (uint32_t)(bytes * (cfg->phy == 2 ? 4u : 8u));
}

static uint32_t latency(const struct sim_link *link, int side)
{
	return side == SIM_LINK_CENTRAL ? link->cfg.central_latency_us
					: link->cfg.peripheral_latency_us;
}

/* Hands frames to the central's controller while it has room (the peripheral's has always). */
static void fill_controller(struct sim_link *link, int side, uint64_t now_us)
{
	struct sim_link_queue *q = &link->q[side];

	for (struct sim_link_frame *f = q->head; f; f = f->next) {
		if (f->ready_us != UINT64_MAX) {
			continue;
		}
		if (side == SIM_LINK_CENTRAL && link->cfg.central_buffers &&
		    q->in_controller >= link->cfg.central_buffers) {
			return;
		}
		f->ready_us = (f->queued_us > now_us ? f->queued_us : now_us) + latency(link, side);
		q->in_controller++;
	}
}

static void step(void *ctx, uint64_t now_us);

/* The first anchor point at or after @p t. */
static uint64_t next_anchor(const struct sim_link *link, uint64_t t)
{
	uint64_t interval = link->cfg.interval_us;

	if (t <= link->origin_us) {
		return link->origin_us;
	}
	return link->origin_us + (t - link->origin_us + interval - 1) / interval * interval;
}

/* The earliest time a queued frame is ready on either side, or UINT64_MAX. */
static uint64_t first_ready(const struct sim_link *link)
{
	uint64_t t = UINT64_MAX;

	for (int side = 0; side < 2; side++) {
		const struct sim_link_frame *f = link->q[side].head;

		if (f && f->ready_us < t) {
			t = f->ready_us;
		}
	}
	return t;
}

static void start_event(void *ctx, uint64_t now_us);

/* Makes sure a connection event comes for data waiting outside one. */
static void kick(struct sim_link *link)
{
	uint64_t t;

	if (!link->connected || link->in_event || link->scheduled) {
		return;
	}
	t = first_ready(link);
	if (t == UINT64_MAX) {
		return;
	}
	if (t < sim_sched_now(link->sched)) {
		t = sim_sched_now(link->sched); /* an anchor that has passed is gone */
	}
	link->scheduled = true;
	link->pending_us = next_anchor(link, t);
	sim_sched_at(link->sched, link->pending_us, start_event, link);
}

static void start_event(void *ctx, uint64_t now_us)
{
	struct sim_link *link = ctx;

	link->scheduled = false;
	link->pending_us = UINT64_MAX;
	if (link->central && !sim_central_claim(link->central, link, now_us)) {
		/* the central's radio is another link's: this event is lost */
		link->stats.lost_events++;
		link->scheduled = true;
		link->pending_us = next_anchor(link, now_us + 1);
		sim_sched_at(link->sched, link->pending_us, start_event, link);
		return;
	}
	link->in_event = true;
	link->event_end_us = now_us + link->cfg.event_length_us;
	link->event_packets = 0;
	link->stats.events++;
	step(link, now_us);
}

static void arrive(void *ctx, uint64_t now_us)
{
	struct sim_link_arrival *a = ctx;
	struct sim_link *link = a->link;
	struct sim_link_arrival **p;

	for (p = &link->arrivals; *p && *p != a; p = &(*p)->next) {
	}
	if (*p) {
		*p = a->next;
	}
	if (link->connected) {
		if (a->frame->sent_cb) {
			a->frame->sent_cb(a->frame->sent_ctx, now_us);
		}
		if (link->rx[a->to]) {
			link->rx[a->to](link->rx_ctx[a->to], a->frame->pdu, a->frame->pdu_len,
					now_us);
		}
	}
	free(a->frame);
	free(a);
}

/* The head frame of @p side if its controller may send it at @p t. */
static struct sim_link_frame *ready_frame(struct sim_link *link, int side, uint64_t t)
{
	struct sim_link_frame *f = link->q[side].head;

	return f && f->ready_us <= t ? f : NULL;
}

/* Sends @p n bytes of @p side's head frame in a packet ending at @p end_us. */
static void transmit(struct sim_link *link, int side, size_t n, uint64_t end_us)
{
	struct sim_link_queue *q = &link->q[side];
	struct sim_link_frame *f = q->head;
	struct sim_link_arrival *a;

	f->sent += n;
	if (f->sent < f->len) {
		return;
	}
	q->head = f->next;
	if (!q->head) {
		q->tail = NULL;
	}
	q->in_controller--;
	fill_controller(link, side, end_us); /* a buffer is free: the host hears of it */
	a = malloc(sizeof(*a));
	if (!a) {
		free(f);
		return;
	}
	a->link = link;
	a->to = side == SIM_LINK_CENTRAL ? SIM_LINK_PERIPHERAL : SIM_LINK_CENTRAL;
	a->frame = f;
	a->next = link->arrivals;
	link->arrivals = a;
	sim_sched_at(link->sched, end_us, arrive, a);
}

/*
 * One pair of packets: the central's, then the peripheral's T_IFS later. The event ends when
 * neither has data ready or the pair no longer fits.
 */
static void step(void *ctx, uint64_t now_us)
{
	struct sim_link *link = ctx;
	const struct sim_link_config *cfg = &link->cfg;
	struct sim_link_frame *c = ready_frame(link, SIM_LINK_CENTRAL, now_us);
	size_t c_len = c ? c->len - c->sent : 0;
	uint64_t c_air, p_at, p_air;
	uint64_t limit = link->event_end_us;
	struct sim_link_frame *p;
	size_t p_len;

	link->scheduled = false;
	if (link->central) {
		uint64_t central_limit = sim_central_limit(link->central, link);

		limit = central_limit < limit ? central_limit : limit;
	}
	if (c_len > cfg->data_length) {
		c_len = cfg->data_length;
	}
	c_air = sim_link_airtime_us(cfg, c_len);
	p_at = now_us + c_air + SIM_LINK_T_IFS_US;
	p = ready_frame(link, SIM_LINK_PERIPHERAL, p_at);
	p_len = p ? p->len - p->sent : 0;
	if (p_len > cfg->data_length) {
		p_len = cfg->data_length;
	}
	p_air = sim_link_airtime_us(cfg, p_len);
	if ((!c && !p && link->event_packets > 0) || p_at + p_air > limit) {
		/* nothing more to say, or no room left: the event closes */
		link->in_event = false;
		if (link->central) {
			if (link->event_packets == 0) {
				link->stats.events--; /* not one pair fitted: it was lost */
				link->stats.lost_events++;
			}
			sim_central_release(link->central, link, link->event_packets);
		}
		kick(link);
		return;
	}
	link->event_packets++;
	if (link->central) {
		sim_central_busy(link->central, link, p_at + p_air);
	}
	for (int side = 0; side < 2; side++) {
		size_t n = side == SIM_LINK_CENTRAL ? c_len : p_len;
		uint64_t air = side == SIM_LINK_CENTRAL ? c_air : p_air;

		link->stats.air_us[side] += air;
		link->stats.air_bytes[side] += air / (cfg->phy == 2 ? 4u : 8u);
		if (n) {
			link->stats.packets[side]++;
			transmit(link, side, n,
				 side == SIM_LINK_CENTRAL ? now_us + c_air : p_at + p_air);
		} else {
			link->stats.empty[side]++;
		}
	}
	link->scheduled = true;
	sim_sched_at(link->sched, p_at + p_air + SIM_LINK_T_IFS_US, step, link);
}

static void drop_queue(struct sim_link_queue *q)
{
	while (q->head) {
		struct sim_link_frame *f = q->head;

		q->head = f->next;
		free(f);
	}
	q->tail = NULL;
	q->in_controller = 0;
}

static void drop_arrivals(struct sim_link *link)
{
	while (link->arrivals) {
		struct sim_link_arrival *a = link->arrivals;

		link->arrivals = a->next;
		sim_sched_cancel(link->sched, arrive, a);
		free(a->frame);
		free(a);
	}
}

void sim_link_init(struct sim_link *link, struct sim_sched *sched,
		   const struct sim_link_config *cfg)
{
	memset(link, 0, sizeof(*link));
	link->sched = sched;
	if (cfg) {
		link->cfg = *cfg;
	}
	sim_link_config_defaults(&link->cfg);
	link->connected = true;
	link->origin_us = sim_sched_now(sched);
	link->pending_us = UINT64_MAX;
}

void sim_link_free(struct sim_link *link)
{
	if (link->central) {
		sim_central_set_connected(link->central, link, false);
		link->central = NULL;
	}
	sim_sched_cancel(link->sched, step, link);
	sim_sched_cancel(link->sched, start_event, link);
	drop_arrivals(link);
	drop_queue(&link->q[SIM_LINK_CENTRAL]);
	drop_queue(&link->q[SIM_LINK_PERIPHERAL]);
}

void sim_link_attach(struct sim_link *link, enum sim_link_side side, sim_link_rx_fn rx, void *ctx)
{
	link->rx[side] = rx;
	link->rx_ctx[side] = ctx;
}

int sim_link_send(struct sim_link *link, enum sim_link_side from, const uint8_t *pdu, size_t len,
		  sim_link_sent_fn sent, void *ctx)
{
	struct sim_link_queue *q = &link->q[from];
	struct sim_link_frame *f;

	if (!link->connected) {
		return -ENOTCONN;
	}
	f = malloc(sizeof(*f) + len);
	if (!f) {
		return -ENOMEM;
	}
	memset(f, 0, sizeof(*f));
	f->queued_us = sim_sched_now(link->sched);
	f->ready_us = UINT64_MAX;
	f->len = L2CAP_HEADER + len;
	f->sent_cb = sent;
	f->sent_ctx = ctx;
	f->pdu_len = len;
	if (len) {
		memcpy(f->pdu, pdu, len);
	}
	if (q->tail) {
		q->tail->next = f;
	} else {
		q->head = f;
	}
	q->tail = f;
	link->stats.frames[from]++;
	fill_controller(link, from, f->queued_us);
	kick(link);
	return 0;
}

void sim_link_set_connected(struct sim_link *link, bool connected)
{
	if (!connected) {
		sim_sched_cancel(link->sched, step, link);
		sim_sched_cancel(link->sched, start_event, link);
		drop_arrivals(link);
		drop_queue(&link->q[SIM_LINK_CENTRAL]);
		drop_queue(&link->q[SIM_LINK_PERIPHERAL]);
		link->in_event = false;
		link->scheduled = false;
		link->pending_us = UINT64_MAX;
		if (link->central) {
			sim_central_set_connected(link->central, link, false);
		}
	} else if (!link->connected) {
		/* a new connection's anchors */
		link->origin_us = link->central ? sim_central_place(link->central, link,
								    sim_sched_now(link->sched))
					       : sim_sched_now(link->sched);
		if (link->central) {
			sim_central_set_connected(link->central, link, true);
		}
	}
	link->connected = connected;
}

const struct sim_link_config *sim_link_config(const struct sim_link *link)
{
	return &link->cfg;
}

const struct sim_link_stats *sim_link_stats(const struct sim_link *link)
{
	return &link->stats;
}
