/* SPDX-License-Identifier: Apache-2.0 */
#include "sched.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct sim_event {
	uint64_t at_us;
	uint64_t order;
	sim_event_fn fn;
	void *ctx;
};

static bool before(const struct sim_event *a, const struct sim_event *b)
{
	return a->at_us < b->at_us || (a->at_us == b->at_us && a->order < b->order);
}

static void swap(struct sim_event *a, struct sim_event *b)
{
	struct sim_event t = *a;

	*a = *b;
	*b = t;
}

static void sift_up(struct sim_event *heap, size_t i)
{
	while (i > 0 && before(&heap[i], &heap[(i - 1) / 2])) {
		swap(&heap[i], &heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct sim_event *heap, size_t count, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < count && before(&heap[l], &heap[m])) {
			m = l;
		}
		if (r < count && before(&heap[r], &heap[m])) {
			m = r;
		}
		if (m == i) {
			return;
		}
		swap(&heap[i], &heap[m]);
		i = m;
	}
}

void sim_sched_init(struct sim_sched *sched)
{
	memset(sched, 0, sizeof(*sched));
}

void sim_sched_free(struct sim_sched *sched)
{
	free(sched->heap);
	memset(sched, 0, sizeof(*sched));
}

int sim_sched_at(struct sim_sched *sched, uint64_t at_us, sim_event_fn fn, void *ctx)
{
	if (sched->count == sched->cap) {
		size_t cap = sched->cap ? 2 * sched->cap : 64;
		struct sim_event *heap = realloc(sched->heap, cap * sizeof(*heap));

		if (!heap) {
			return -ENOMEM;
		}
		sched->heap = heap;
		sched->cap = cap;
	}
	sched->heap[sched->count] = (struct sim_event){
		.at_us = at_us < sched->now_us ? sched->now_us : at_us,
		.order = sched->added++,
		.fn = fn,
		.ctx = ctx,
	};
	sift_up(sched->heap, sched->count);
	sched->count++;
	return 0;
}

void sim_sched_cancel(struct sim_sched *sched, sim_event_fn fn, void *ctx)
{
	size_t kept = 0;

	for (size_t i = 0; i < sched->count; i++) {
		if (sched->heap[i].fn != fn || sched->heap[i].ctx != ctx) {
			sched->heap[kept++] = sched->heap[i];
		}
	}
	sched->count = kept;
	for (size_t i = kept / 2 + 1; i-- > 0;) {
		sift_down(sched->heap, sched->count, i);
	}
}

uint64_t sim_sched_next(const struct sim_sched *sched)
{
	return sched->count ? sched->heap[0].at_us : UINT64_MAX;
}

void sim_sched_run_until(struct sim_sched *sched, uint64_t t_us)
{
	while (sched->count && sched->heap[0].at_us <= t_us) {
		struct sim_event ev = sched->heap[0];

		sched->heap[0] = sched->heap[--sched->count];
		sift_down(sched->heap, sched->count, 0);
		sched->now_us = ev.at_us;
		ev.fn(ev.ctx, ev.at_us);
	}
	if (t_us > sched->now_us) {
		sched->now_us = t_us;
	}
}

uint64_t sim_sched_now(const struct sim_sched *sched)
{
	return sched->now_us;
}
