/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/tasks.c: tasks with stacks of their own whose waits go into one ppoll() (wall clock)
 * or run a virtual clock, and whose stdout is their own.
 */
#define _GNU_SOURCE /* open_memstream() */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <dfu-smp/ports/loop.h>
#include "../tools/tasks.h"

/* What happened, in order: one letter an event. */
static char trace[64];

static void mark(char c)
{
	size_t n = strlen(trace);

	if (n + 1 < sizeof(trace)) {
		trace[n] = c;
	}
}

struct pipe_pair {
	int fds[2];
	short revents;
	int ret;
};

/* Waits for the pipe to be readable, with a deadline far off. */
static void reader(void *arg)
{
	struct pipe_pair *p = arg;
	struct pollfd pfd = { .fd = p->fds[0], .events = POLLIN };

	mark('r');
	p->ret = dfu_smp_port_poll(&pfd, 1, dfu_smp_port_now_us() + 10000000u);
	p->revents = pfd.revents;
	mark('R');
}

/* Writes to the pipe while the reader waits, then waits out a short deadline itself. */
static void writer(void *arg)
{
	struct pipe_pair *p = arg;

	mark('w');
	assert_int_equal(write(p->fds[1], "x", 1), 1);
	mark('W');
	assert_int_equal(dfu_smp_port_poll(NULL, 0, dfu_smp_port_now_us() + 1000u), 0);
	mark('D');
}

/* A task waiting on a descriptor does not hold up another: one poll serves both. */
static void test_waits_share_one_poll(void **state)
{
	struct tasks ts;
	struct pipe_pair p = { 0 };

	(void)state;
	trace[0] = '\0';
	assert_int_equal(pipe(p.fds), 0);
	assert_int_equal(tasks_init(&ts, NULL, 0), 0);
	assert_int_equal(tasks_spawn(&ts, reader, &p), 0);
	assert_int_equal(tasks_spawn(&ts, writer, &p), 0);
	assert_int_equal(tasks_run(&ts), 0);
	tasks_free(&ts);
	/* the reader waited; the writer ran meanwhile; the reader woke readable */
	assert_int_equal(p.ret, 1);
	assert_true(p.revents & POLLIN);
	assert_int_equal(trace[0], 'r');
	assert_int_equal(trace[1], 'w');
	assert_int_equal(trace[2], 'W');
	assert_non_null(strchr(trace, 'R'));
	assert_non_null(strchr(trace, 'D'));
	close(p.fds[0]);
	close(p.fds[1]);
}

struct output {
	char *buf;
	size_t len;
	FILE *stream;
};

struct printer_arg {
	struct output o;
	struct tasks *ts;
};

static void printer(void *arg)
{
	struct printer_arg *a = arg;
	struct tasks *ts = a->ts;

	tasks_set_output(ts, a->o.stream, NULL);
	printf("one ");
	/* a wait: others run, with their own stdout */
	dfu_smp_port_poll(NULL, 0, dfu_smp_port_now_us() + 1000u);
	printf("two");
	tasks_set_output(ts, NULL, NULL);
}

/* Each task's printf() lands in its own stream; the program's stdout is back after. */
static void test_output_is_the_task_own(void **state)
{
	struct tasks ts;
	struct printer_arg a[2];
	FILE *before = stdout;

	(void)state;
	assert_int_equal(tasks_init(&ts, NULL, 0), 0);
	for (int i = 0; i < 2; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].o.stream = open_memstream(&a[i].o.buf, &a[i].o.len);
		a[i].ts = &ts;
		assert_non_null(a[i].o.stream);
		assert_int_equal(tasks_spawn(&ts, printer, &a[i]), 0);
	}
	assert_int_equal(tasks_run(&ts), 0);
	tasks_free(&ts);
	assert_ptr_equal(stdout, before);
	for (int i = 0; i < 2; i++) {
		fclose(a[i].o.stream);
		assert_string_equal(a[i].o.buf, "one two");
		free(a[i].o.buf);
	}
}

/* A virtual clock: events at given times, each setting a flag. */
struct fake_clock {
	uint64_t now;
	uint64_t at[4];
	bool *flag[4];
	size_t n;
};

static uint64_t fake_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->now;
}

static uint64_t fake_next(void *ctx)
{
	struct fake_clock *c = ctx;
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < c->n; i++) {
		if (c->flag[i] && c->at[i] < next) {
			next = c->at[i];
		}
	}
	return next;
}

static void fake_advance(void *ctx, uint64_t t)
{
	struct fake_clock *c = ctx;

	for (size_t i = 0; i < c->n; i++) {
		if (c->flag[i] && c->at[i] <= t) {
			*c->flag[i] = true;
			c->flag[i] = NULL;
		}
	}
	c->now = t;
}

static bool is_set(void *arg)
{
	return *(bool *)arg;
}

struct waiter {
	struct tasks *ts;
	struct fake_clock *clock;
	bool flag;
	uint64_t limit;
	int ret;
	uint64_t woke_at;
};

static void wait_for_flag(void *arg)
{
	struct waiter *w = arg;

	w->ret = tasks_wait_until(w->ts, is_set, &w->flag, w->limit);
	w->woke_at = w->clock->now;
}

/* In virtual time a wait ends when its condition holds or at its limit, at that time. */
static void test_virtual_time(void **state)
{
	struct fake_clock c = { 0 };
	const struct tasks_clock clock = { fake_now, fake_next, fake_advance, &c };
	struct tasks ts;
	struct waiter w[3];

	(void)state;
	assert_int_equal(tasks_init(&ts, &clock, 0), 0);
	for (int i = 0; i < 3; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].ts = &ts;
		w[i].clock = &c;
		w[i].limit = UINT64_MAX;
	}
	/* 0: its flag at 5000; 1: its limit at 3000 comes first; 2: its flag never comes */
	c.at[0] = 5000;
	c.flag[0] = &w[0].flag;
	c.at[1] = 9000;
	c.flag[1] = &w[1].flag;
	c.n = 2;
	w[1].limit = 3000;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(tasks_spawn(&ts, wait_for_flag, &w[i]), 0);
	}
	assert_int_equal(tasks_run(&ts), 0);
	tasks_free(&ts);
	assert_int_equal(w[0].ret, 0);
	assert_int_equal(w[0].woke_at, 5000);
	assert_int_equal(w[1].ret, -ETIMEDOUT);
	assert_int_equal(w[1].woke_at, 3000);
	/* nothing left to happen after 9000: the last wait ends rather than hangs */
	assert_int_equal(w[2].ret, -ETIMEDOUT);
}

static int spawned;

static void child(void *arg)
{
	(void)arg;
	spawned++;
}

static void parent(void *arg)
{
	struct tasks *ts = arg;

	assert_int_equal(tasks_spawn(ts, child, NULL), 0);
	assert_int_equal(tasks_spawn(ts, child, NULL), 0);
}

/* A task may start others; the run ends when all have. */
static void test_spawn_from_a_task(void **state)
{
	struct tasks ts;

	(void)state;
	spawned = 0;
	assert_int_equal(tasks_init(&ts, NULL, 0), 0);
	assert_int_equal(tasks_spawn(&ts, parent, &ts), 0);
	assert_int_equal(tasks_run(&ts), 0);
	tasks_free(&ts);
	assert_int_equal(spawned, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waits_share_one_poll),
		cmocka_unit_test(test_output_is_the_task_own),
		cmocka_unit_test(test_virtual_time),
		cmocka_unit_test(test_spawn_from_a_task),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
