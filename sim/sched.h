/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Virtual time for the simulator: a queue of timed events run in time order (ties in the order
 * they were added), so that a whole session runs deterministically and as fast as the host
 * allows. Time is in microseconds from the start of the simulation.
 */
#ifndef SIM_SCHED_H
#define SIM_SCHED_H

#include <stddef.h>
#include <stdint.h>

/** An event: called with its context and the time it runs at. */
typedef void (*sim_event_fn)(void *ctx, uint64_t now_us);

struct sim_event;

/** The scheduler. Caller-allocated; fields are private. */
struct sim_sched {
	uint64_t now_us;
	struct sim_event *heap;
	size_t count;
	size_t cap;
	uint64_t added;
};

/** Start at time 0 with no events. */
void sim_sched_init(struct sim_sched *sched);

/** Drop every event and free the queue. */
void sim_sched_free(struct sim_sched *sched);

/**
 * Run @p fn(@p ctx) at @p at_us (or now, if that is in the past).
 * @return 0 or -ENOMEM.
 */
int sim_sched_at(struct sim_sched *sched, uint64_t at_us, sim_event_fn fn, void *ctx);

/** Remove every event of @p fn with @p ctx. */
void sim_sched_cancel(struct sim_sched *sched, sim_event_fn fn, void *ctx);

/** Time of the next event, or UINT64_MAX when there is none. */
uint64_t sim_sched_next(const struct sim_sched *sched);

/** Run every event due at or before @p t_us, in order (new ones too), then set now to @p t_us. */
void sim_sched_run_until(struct sim_sched *sched, uint64_t t_us);

/** The current virtual time. */
uint64_t sim_sched_now(const struct sim_sched *sched);

#endif /* SIM_SCHED_H */
