#include "link.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LATENCY_US 1000u

struct sim_link_pdu {
	struct sim_link_pdu *next;
	uint64_t arrive_us;
	size_t len;
	uint8_t data[];
};

static void drop_all(struct sim_link *link, int side)
{
	while (link->head[side]) {
		struct sim_link_pdu *p = link->head[side];

		link->head[side] = p->next;
		free(p);
	}
	link->tail[side] = NULL;
}

static void deliver_central(void *ctx, uint64_t now_us);
static void deliver_peripheral(void *ctx, uint64_t now_us);

static sim_event_fn deliver_fn(int to)
{
	return to == SIM_LINK_CENTRAL ? deliver_central : deliver_peripheral;
}

/* Delivers every PDU due towards @p to, then waits for the next one. */
static void deliver(struct sim_link *link, int to, uint64_t now_us)
{
	while (link->head[to] && link->head[to]->arrive_us <= now_us) {
		struct sim_link_pdu *p = link->head[to];

		link->head[to] = p->next;
		if (!link->head[to]) {
			link->tail[to] = NULL;
		}
		if (link->rx[to]) {
			link->rx[to](link->rx_ctx[to], p->data, p->len, now_us);
		}
		free(p);
	}
	if (link->head[to]) {
		sim_sched_at(link->sched, link->head[to]->arrive_us, deliver_fn(to), link);
	}
}

static void deliver_central(void *ctx, uint64_t now_us)
{
	deliver(ctx, SIM_LINK_CENTRAL, now_us);
}

static void deliver_peripheral(void *ctx, uint64_t now_us)
{
	deliver(ctx, SIM_LINK_PERIPHERAL, now_us);
}

void sim_link_init(struct sim_link *link, struct sim_sched *sched, const struct sim_link_config *cfg)
{
	memset(link, 0, sizeof(*link));
	link->sched = sched;
	link->cfg.latency_us = cfg && cfg->latency_us ? cfg->latency_us : DEFAULT_LATENCY_US;
	link->connected = true;
}

void sim_link_free(struct sim_link *link)
{
	sim_sched_cancel(link->sched, deliver_central, link);
	sim_sched_cancel(link->sched, deliver_peripheral, link);
	drop_all(link, SIM_LINK_CENTRAL);
	drop_all(link, SIM_LINK_PERIPHERAL);
}

void sim_link_attach(struct sim_link *link, enum sim_link_side side, sim_link_rx_fn rx, void *ctx)
{
	link->rx[side] = rx;
	link->rx_ctx[side] = ctx;
}

int sim_link_send(struct sim_link *link, enum sim_link_side from, const uint8_t *pdu, size_t len)
{
	int to = from == SIM_LINK_CENTRAL ? SIM_LINK_PERIPHERAL : SIM_LINK_CENTRAL;
	struct sim_link_pdu *p;

	if (!link->connected) {
		return -ENOTCONN;
	}
	p = malloc(sizeof(*p) + len);
	if (!p) {
		return -ENOMEM;
	}
	p->next = NULL;
	p->len = len;
	p->arrive_us = sim_sched_now(link->sched) + link->cfg.latency_us;
	if (len) {
		memcpy(p->data, pdu, len);
	}
	if (link->tail[to]) {
		link->tail[to]->next = p;
	} else {
		link->head[to] = p;
		if (sim_sched_at(link->sched, p->arrive_us, deliver_fn(to), link) != 0) {
			link->head[to] = NULL;
			free(p);
			return -ENOMEM;
		}
	}
	link->tail[to] = p;
	link->stats.pdus[from]++;
	link->stats.bytes[from] += len;
	return 0;
}

void sim_link_set_connected(struct sim_link *link, bool connected)
{
	if (!connected) {
		sim_sched_cancel(link->sched, deliver_central, link);
		sim_sched_cancel(link->sched, deliver_peripheral, link);
		drop_all(link, SIM_LINK_CENTRAL);
		drop_all(link, SIM_LINK_PERIPHERAL);
	}
	link->connected = connected;
}

const struct sim_link_stats *sim_link_stats(const struct sim_link *link)
{
	return &link->stats;
}
