/* SPDX-License-Identifier: Apache-2.0 */
/* Several links sharing one central's radio (see central.h). */
#include "central.h"

#include <string.h>

#define DEFAULT_SLOT_US 7500u

void sim_central_init(struct sim_central *central, struct sim_sched *sched,
		      const struct sim_central_config *cfg)
{
	memset(central, 0, sizeof(*central));
	central->sched = sched;
	if (cfg) {
		central->cfg = *cfg;
	}
	if (central->cfg.slot_us == 0) {
		central->cfg.slot_us = DEFAULT_SLOT_US;
	}
}

void sim_central_observe(struct sim_central *central, sim_central_event_fn fn, void *ctx)
{
	central->on_event = fn;
	central->on_event_ctx = ctx;
}

const struct sim_central_stats *sim_central_stats(const struct sim_central *central)
{
	return &central->stats;
}

void sim_central_attach(struct sim_central *central, struct sim_link *link)
{
	link->central = central;
	if (link->connected) {
		link->origin_us = sim_central_place(central, link, sim_sched_now(central->sched));
		sim_central_set_connected(central, link, true);
	}
}

uint64_t sim_central_place(struct sim_central *central, const struct sim_link *link,
			   uint64_t now_us)
{
	uint64_t interval = link->cfg.interval_us;
	uint64_t phases[64];
	size_t n = 0;
	uint64_t best_start = 0, best_gap = 0, phase;

	for (const struct sim_link *l = central->links; l && n < 64; l = l->central_next) {
		if (l != link && l->cfg.interval_us == interval) {
			uint64_t p = l->origin_us % interval;
			size_t i = n++;

			/* kept in order: few links */
			while (i > 0 && phases[i - 1] > p) {
				phases[i] = phases[i - 1];
				i--;
			}
			phases[i] = p;
		}
	}
	if (n == 0) {
		return now_us;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t next = i + 1 < n ? phases[i + 1] : phases[0] + interval;

		if (next - phases[i] > best_gap) {
			best_gap = next - phases[i];
			best_start = phases[i];
		}
	}
	phase = (best_start + best_gap / 2) % interval;
	return now_us + (phase + interval - now_us % interval) % interval;
}

/* The owner's event is over: report it. */
static void finish(struct sim_central *central)
{
	struct sim_link *owner = central->owner;

	central->owner = NULL;
	central->stats.events++;
	central->stats.air_us += central->busy_until_us - central->start_us;
	if (central->on_event) {
		central->on_event(central->on_event_ctx, owner, central->start_us,
				  central->busy_until_us);
	}
}

void sim_central_set_connected(struct sim_central *central, struct sim_link *link,
			       bool connected)
{
	struct sim_link **p;

	for (p = &central->links; *p && *p != link; p = &(*p)->central_next) {
	}
	if (*p) {
		*p = link->central_next; /* out, then in again at the end when connected */
	}
	link->central_next = NULL;
	link->lost = 0;
	if (central->owner == link) {
		finish(central);
	}
	if (connected) {
		for (p = &central->links; *p; p = &(*p)->central_next) {
		}
		*p = link;
	}
}

/* Whether @p link's anchor may take the radio from the event of @p owner's reservation. */
static bool outranks(const struct sim_link *link, const struct sim_link *owner)
{
	return link->lost > owner->prio;
}

bool sim_central_claim(struct sim_central *central, struct sim_link *link, uint64_t now_us)
{
	struct sim_link *owner = central->owner;

	if (owner && owner != link) {
		if (central->busy_until_us > now_us ||
		    (now_us < central->reserved_us && !outranks(link, owner))) {
			link->lost++;
			central->stats.lost++;
			return false;
		}
		finish(central); /* past its reservation, between packets: it ends here */
	}
	central->owner = link;
	central->start_us = now_us;
	central->busy_until_us = now_us;
	central->reserved_us = now_us + central->cfg.slot_us;
	link->prio = link->lost;
	link->lost = 0;
	return true;
}

uint64_t sim_central_limit(const struct sim_central *central, const struct sim_link *link)
{
	uint64_t limit = UINT64_MAX;

	if (central->owner != link) {
		return 0;
	}
	for (const struct sim_link *l = central->links; l; l = l->central_next) {
		if (l == link || l->pending_us == UINT64_MAX || l->pending_us >= limit) {
			continue;
		}
		if (l->pending_us < central->reserved_us && !outranks(l, link)) {
			continue; /* it loses its event to this one */
		}
		limit = l->pending_us;
	}
	return limit;
}

void sim_central_busy(struct sim_central *central, const struct sim_link *link, uint64_t end_us)
{
	if (central->owner == link) {
		central->busy_until_us = end_us;
	}
}

void sim_central_release(struct sim_central *central, struct sim_link *link, unsigned pairs)
{
	if (central->owner != link) {
		return; /* another link's anchor ended it already */
	}
	if (pairs == 0) {
		/* not even one pair fitted: the event was lost, and the link keeps its rank */
		link->lost = link->prio + 1;
		central->stats.lost++;
		central->owner = NULL;
		return;
	}
	finish(central);
}
