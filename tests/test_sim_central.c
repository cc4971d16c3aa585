/* SPDX-License-Identifier: Apache-2.0 */
/* Several simulated links behind one central (sim/central.c): how they share its radio. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../sim/central.h"

#define MAX_LINKS 8
#define WRITE_LEN 495u  /* a write of an ATT MTU of 498 */
#define QUEUED 3u       /* writes each busy link keeps queued */
#define SECONDS(s) ((uint64_t)(s) * 1000000u)

struct flow {
	struct sim_link link;
	bool busy;          /* keeps writes queued */
	uint64_t received;  /* bytes that reached the peripheral */
	uint64_t stop_us;   /* no more writes from then on */
};

struct bench {
	struct sim_sched sched;
	struct sim_central central;
	struct flow flows[MAX_LINKS];
	size_t n;
	/* every event seen, in the order they ended */
	uint64_t starts[20000];
	uint64_t ends[20000];
	size_t events;
};

static const uint8_t payload[WRITE_LEN];

static void written(void *ctx, uint64_t now_us);

static void queue_write(struct flow *f)
{
	assert_int_equal(sim_link_send(&f->link, SIM_LINK_CENTRAL, payload, sizeof(payload),
				       written, f),
			 0);
}

static void written(void *ctx, uint64_t now_us)
{
	struct flow *f = ctx;

	if (f->busy && now_us < f->stop_us) {
		queue_write(f);
	}
}

static void received(void *ctx, const uint8_t *pdu, size_t len, uint64_t now_us)
{
	(void)pdu;
	(void)now_us;
	((struct flow *)ctx)->received += len;
}

static void seen(void *ctx, const struct sim_link *link, uint64_t start_us, uint64_t end_us)
{
	struct bench *b = ctx;

	(void)link;
	if (b->events < sizeof(b->starts) / sizeof(b->starts[0])) {
		b->starts[b->events] = start_us;
		b->ends[b->events] = end_us;
		b->events++;
	}
}

/* @p n links of @p interval_us behind one central (or none: @p central false); busy ones first. */
static struct bench *setup(size_t n, size_t busy, const uint32_t *intervals, bool central)
{
	struct bench *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	sim_sched_init(&b->sched);
	sim_central_init(&b->central, &b->sched, NULL);
	sim_central_observe(&b->central, seen, b);
	b->n = n;
	for (size_t i = 0; i < n; i++) {
		struct flow *f = &b->flows[i];
		struct sim_link_config cfg = {
			.interval_us = intervals ? intervals[i] : 15000, .phy = 2, .data_length = 251,
		};

		sim_link_init(&f->link, &b->sched, &cfg);
		if (central) {
			sim_central_attach(&b->central, &f->link);
		}
		sim_link_attach(&f->link, SIM_LINK_PERIPHERAL, received, f);
		f->stop_us = UINT64_MAX;
		/* the links connect one after another, as a fleet's devices are found */
		sim_sched_run_until(&b->sched, sim_sched_now(&b->sched) + 1000);
	}
	for (size_t i = 0; i < busy; i++) {
		b->flows[i].busy = true;
		for (unsigned q = 0; q < QUEUED; q++) {
			queue_write(&b->flows[i]);
		}
	}
	return b;
}

static void teardown_bench(struct bench *b)
{
	for (size_t i = 0; i < b->n; i++) {
		sim_link_free(&b->flows[i].link);
	}
	sim_sched_free(&b->sched);
	free(b);
}

/* Bytes one busy link alone moves in @p seconds. */
static uint64_t alone(unsigned seconds)
{
	struct bench *b = setup(1, 1, NULL, false);
	uint64_t bytes;

	sim_sched_run_until(&b->sched, sim_sched_now(&b->sched) + SECONDS(seconds));
	bytes = b->flows[0].received;
	teardown_bench(b);
	return bytes;
}

static void assert_share(uint64_t got, uint64_t whole, double low, double high)
{
	double share = (double)got / (double)whole;

	if (share < low || share > high) {
		fail_msg("share %.3f outside %.3f..%.3f", share, low, high);
	}
}

static void busy_links_share(size_t n)
{
	uint64_t one = alone(10);
	struct bench *b = setup(n, n, NULL, true);
	uint64_t total = 0;

	sim_sched_run_until(&b->sched, sim_sched_now(&b->sched) + SECONDS(10));
	for (size_t i = 0; i < n; i++) {
		assert_share(b->flows[i].received, one, 0.8 / (double)n, 1.2 / (double)n);
		total += b->flows[i].received;
	}
	assert_share(total, one, 0.9, 1.02);
	teardown_bench(b);
}

static void two_busy_links_get_half_each(void **state)
{
	(void)state;
	busy_links_share(2);
}

static void eight_busy_links_get_an_eighth_each(void **state)
{
	(void)state;
	busy_links_share(8);
}

static void one_link_behind_a_central_is_a_link_alone(void **state)
{
	struct bench *b = setup(1, 1, NULL, true);

	(void)state;
	sim_sched_run_until(&b->sched, sim_sched_now(&b->sched) + SECONDS(10));
	assert_int_equal(b->flows[0].received, alone(10));
	teardown_bench(b);
}

static void an_idle_link_costs_little(void **state)
{
	uint64_t one = alone(10);
	struct bench *b = setup(2, 1, NULL, true);

	(void)state;
	sim_sched_run_until(&b->sched, sim_sched_now(&b->sched) + SECONDS(10));
	assert_share(b->flows[0].received, one, 0.98, 1.0);
	assert_int_equal(b->flows[1].received, 0);
	teardown_bench(b);
}

static void a_link_writing_now_and_then_costs_little(void **state)
{
	uint64_t one = alone(10);
	struct bench *b = setup(2, 1, NULL, true);
	uint64_t t0 = sim_sched_now(&b->sched);

	(void)state;
	/* one write every 100 ms on the second link, each delivered within a few intervals */
	for (unsigned i = 0; i < 100; i++) {
		uint64_t before = b->flows[1].received;

		queue_write(&b->flows[1]);
		sim_sched_run_until(&b->sched, sim_sched_now(&b->sched) + 60000);
		assert_int_equal(b->flows[1].received, before + WRITE_LEN);
		sim_sched_run_until(&b->sched, t0 + (i + 1) * 100000u);
	}
	assert_share(b->flows[0].received, one, 0.9, 1.0);
	teardown_bench(b);
}

static void events_never_overlap(void **state)
{
	/* links of three intervals, so that anchors also collide */
	static const uint32_t intervals[MAX_LINKS] = { 15000, 30000, 7500, 15000,
						       45000, 15000, 30000, 11250 };
	struct bench *b = setup(MAX_LINKS, MAX_LINKS, intervals, true);
	uint64_t total = 0;

	(void)state;
	sim_sched_run_until(&b->sched, sim_sched_now(&b->sched) + SECONDS(5));
	assert_true(b->events > 300);
	for (size_t i = 0; i < b->events; i++) {
		assert_true(b->starts[i] <= b->ends[i]);
		if (i > 0 && b->starts[i] < b->ends[i - 1]) {
			fail_msg("event %zu starts at %llu, before the one before ends (%llu)", i,
				 (unsigned long long)b->starts[i],
				 (unsigned long long)b->ends[i - 1]);
		}
	}
	for (size_t i = 0; i < MAX_LINKS; i++) {
		assert_true(b->flows[i].received > 0); /* none starves */
		total += b->flows[i].received;
	}
	assert_true(sim_central_stats(&b->central)->lost > 0);
	assert_share(total, alone(5), 0.8, 1.05); /* against a 15 ms link */
	teardown_bench(b);
}

static void a_link_that_disconnects_frees_its_time(void **state)
{
	uint64_t one = alone(5);
	struct bench *b = setup(2, 2, NULL, true);
	uint64_t before;

	(void)state;
	sim_sched_run_until(&b->sched, sim_sched_now(&b->sched) + SECONDS(5));
	assert_share(b->flows[0].received, one, 0.4, 0.6);
	sim_link_set_connected(&b->flows[1].link, false);
	before = b->flows[0].received;
	sim_sched_run_until(&b->sched, sim_sched_now(&b->sched) + SECONDS(5));
	assert_share(b->flows[0].received - before, one, 0.98, 1.01);
	teardown_bench(b);
}

static void a_link_that_reconnects_gets_a_free_offset(void **state)
{
	struct bench *b = setup(2, 0, NULL, true);
	uint64_t first, second;

	(void)state;
	first = b->flows[0].link.origin_us % 15000u;
	second = b->flows[1].link.origin_us % 15000u;
	assert_int_equal((second + 15000u - first) % 15000u, 7500u);
	sim_link_set_connected(&b->flows[1].link, false);
	sim_sched_run_until(&b->sched, sim_sched_now(&b->sched) + 3333);
	sim_link_set_connected(&b->flows[1].link, true);
	second = b->flows[1].link.origin_us % 15000u;
	assert_int_equal((second + 15000u - first) % 15000u, 7500u);
	assert_true(b->flows[1].link.origin_us >= sim_sched_now(&b->sched));
	teardown_bench(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_busy_links_get_half_each),
		cmocka_unit_test(eight_busy_links_get_an_eighth_each),
		cmocka_unit_test(one_link_behind_a_central_is_a_link_alone),
		cmocka_unit_test(an_idle_link_costs_little),
		cmocka_unit_test(a_link_writing_now_and_then_costs_little),
		cmocka_unit_test(events_never_overlap),
		cmocka_unit_test(a_link_that_disconnects_frees_its_time),
		cmocka_unit_test(a_link_that_reconnects_gets_a_free_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
