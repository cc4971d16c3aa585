/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE /* ppoll(), MAP_STACK */
#include "tasks.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <dfu-smp/ports/loop.h>

/*
 * AddressSanitizer must be told when the stack changes, or it takes the task's stack for a
 * buffer overflow of the scheduler's.
 */
#if defined(__SANITIZE_ADDRESS__)
#define TASKS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TASKS_ASAN 1
#endif
#endif
#ifdef TASKS_ASAN
#include <sanitizer/common_interface_defs.h>
#define SWITCH_START(save, bottom, size) __sanitizer_start_switch_fiber(save, bottom, size)
#define SWITCH_FINISH(save, bottom, size) __sanitizer_finish_switch_fiber(save, bottom, size)
#else
#define SWITCH_START(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define SWITCH_FINISH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#endif

enum task_state {
	TASK_READY,      /* runs at the scheduler's next turn */
	TASK_POLLING,    /* waits for descriptors or a deadline (dfu_smp_port_poll()) */
	TASK_WAITING,    /* waits for a condition or a virtual time (tasks_wait_until()) */
	TASK_ENDED,
};

struct task {
	struct tasks *ts;
	ucontext_t ctx;
	void *map; /* the stack, a guard page below it */
	size_t map_size;
	void (*fn)(void *arg);
	void *arg;
	enum task_state state;
	bool started;
	FILE *out, *err;
	/* TASK_POLLING */
	struct pollfd *fds;
	size_t nfds;
	uint64_t deadline_us;
	/* TASK_WAITING */
	bool (*done)(void *arg);
	void *done_arg;
	uint64_t limit_us;
	/* what the wait returns */
	int result;
	int result_errno;
	struct task *next;
};

/* makecontext() passes ints only: the task starting, handed over here. */
static struct task *starting;

static size_t page_size(void)
{
	long n = sysconf(_SC_PAGESIZE);

	return n > 0 ? (size_t)n : 4096u;
}

int tasks_init(struct tasks *ts, const struct tasks_clock *clock, size_t stack_size)
{
	size_t page = page_size();

	memset(ts, 0, sizeof(*ts));
	ts->clock = clock;
	stack_size = stack_size ? stack_size : TASKS_STACK_DEFAULT;
	ts->stack_size = (stack_size + page - 1) / page * page;
	ts->main_ctx = calloc(1, sizeof(ucontext_t));
	return ts->main_ctx ? 0 : -ENOMEM;
}

static void task_free(struct task *t)
{
	munmap(t->map, t->map_size);
	free(t);
}

void tasks_free(struct tasks *ts)
{
	while (ts->list) {
		struct task *t = ts->list;

		ts->list = t->next;
		task_free(t);
	}
	free(ts->main_ctx);
	ts->main_ctx = NULL;
}

/* Into the task @p t, from the scheduler; back when it waits or ends. */
static void switch_in(struct tasks *ts, struct task *t)
{
	void *fake = NULL;

	ts->current = t;
	ts->out = stdout;
	ts->err = stderr;
	if (t->out) {
		stdout = t->out;
	}
	if (t->err) {
		stderr = t->err;
	}
	SWITCH_START(&fake, (char *)t->map + page_size(), t->map_size - page_size());
	swapcontext(ts->main_ctx, &t->ctx);
	SWITCH_FINISH(fake, NULL, NULL);
	stdout = ts->out;
	stderr = ts->err;
	ts->current = NULL;
}

/* Out of the running task, to the scheduler; back when the scheduler resumes it. */
static void switch_out(struct task *t)
{
	struct tasks *ts = t->ts;
	void *fake = NULL;
	bool ending = t->state == TASK_ENDED;

	SWITCH_START(ending ? NULL : &fake, ts->main_stack, ts->main_stack_size);
	swapcontext(&t->ctx, ts->main_ctx);
	SWITCH_FINISH(fake, &ts->main_stack, &ts->main_stack_size);
}

static void trampoline(void)
{
	struct task *t = starting;

	SWITCH_FINISH(NULL, &t->ts->main_stack, &t->ts->main_stack_size);
	t->fn(t->arg);
	t->state = TASK_ENDED;
	switch_out(t);
	/* never resumed */
	abort();
}

int tasks_spawn(struct tasks *ts, void (*fn)(void *arg), void *arg)
{
	size_t page = page_size();
	struct task *t = calloc(1, sizeof(*t));
	struct task **tail;

	if (!t) {
		return -ENOMEM;
	}
	t->map_size = ts->stack_size + page;
	/* untouched pages of the stack cost no memory */
	t->map = mmap(NULL, t->map_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (t->map == MAP_FAILED) {
		free(t);
		return -ENOMEM;
	}
	mprotect(t->map, page, PROT_NONE); /* a stack overflow faults, not corrupts */
	getcontext(&t->ctx);
	t->ctx.uc_stack.ss_sp = (char *)t->map + page;
	t->ctx.uc_stack.ss_size = ts->stack_size;
	t->ctx.uc_link = NULL;
	t->ts = ts;
	t->fn = fn;
	t->arg = arg;
	t->state = TASK_READY;
	for (tail = &ts->list; *tail; tail = &(*tail)->next) {
	}
	*tail = t;
	return 0;
}

void tasks_set_output(struct tasks *ts, FILE *out, FILE *err)
{
	struct task *t = ts->current;

	if (!t) {
		return;
	}
	t->out = out;
	t->err = err;
	stdout = out ? out : ts->out;
	stderr = err ? err : ts->err;
}

/* dfu_smp_port_poll() of a task: the scheduler polls for it, with every other task's. */
static int task_poll(void *ctx, struct pollfd *fds, size_t n, uint64_t deadline_us)
{
	struct tasks *ts = ctx;
	struct task *t = ts->current;

	int ret;

	if (!t) {
		/* the scheduler's own wait (nothing of a task): as ppoll() */
		dfu_smp_port_set_poll(NULL, NULL);
		ret = dfu_smp_port_poll(fds, n, deadline_us);
		dfu_smp_port_set_poll(task_poll, ts);
		return ret;
	}
	t->fds = fds;
	t->nfds = n;
	t->deadline_us = deadline_us;
	t->state = TASK_POLLING;
	switch_out(t);
	errno = t->result_errno;
	return t->result;
}

int tasks_wait_until(void *arg, bool (*done)(void *arg), void *done_arg, uint64_t limit_us)
{
	struct tasks *ts = arg;
	struct task *t = ts->current;

	if (done(done_arg)) {
		return 0;
	}
	t->done = done;
	t->done_arg = done_arg;
	t->limit_us = limit_us;
	t->state = TASK_WAITING;
	switch_out(t);
	return t->result;
}

static void wake(struct task *t, int result, int err)
{
	t->state = TASK_READY;
	t->result = result;
	t->result_errno = err;
}

/* Run every ready task until it waits or ends; reap the ended. @return tasks left. */
static size_t run_ready(struct tasks *ts)
{
	size_t left = 0;
	bool again = true;

	while (again) {
		again = false;
		for (struct task *t = ts->list; t; t = t->next) {
			if (t->state != TASK_READY) {
				continue;
			}
			again = true;
			if (!t->started) {
				t->started = true;
				makecontext(&t->ctx, trampoline, 0);
			}
			starting = t;
			switch_in(ts, t);
		}
	}
	for (struct task **p = &ts->list; *p;) {
		struct task *t = *p;

		if (t->state == TASK_ENDED) {
			*p = t->next;
			task_free(t);
		} else {
			left++;
			p = &t->next;
		}
	}
	return left;
}

/* Wall clock: one ppoll() for the descriptors and deadlines of every polling task. */
static int poll_all(struct tasks *ts)
{
	struct pollfd *all;
	size_t n = 0, k = 0;
	uint64_t deadline = UINT64_MAX, now;
	int ret;

	for (struct task *t = ts->list; t; t = t->next) {
		if (t->state == TASK_POLLING) {
			n += t->nfds;
			deadline = t->deadline_us < deadline ? t->deadline_us : deadline;
		}
	}
	all = calloc(n ? n : 1, sizeof(*all));
	if (!all) {
		return -ENOMEM;
	}
	for (struct task *t = ts->list; t; t = t->next) {
		if (t->state == TASK_POLLING && t->nfds) {
			memcpy(all + k, t->fds, t->nfds * sizeof(*all));
			k += t->nfds;
		}
	}
	if (n == 0 && deadline == UINT64_MAX) {
		/* nothing could ever wake them: as a wait that timed out, each loop decides */
		ret = 0;
	} else {
		dfu_smp_port_set_poll(NULL, NULL);
		ret = dfu_smp_port_poll(all, n, deadline);
		dfu_smp_port_set_poll(task_poll, ts);
	}
	if (ret < 0 && errno != EINTR) {
		ret = -errno;
		free(all);
		return ret;
	}
	now = dfu_smp_port_now_us();
	k = 0;
	for (struct task *t = ts->list; t; t = t->next) {
		int ready = 0;

		if (t->state != TASK_POLLING) {
			continue;
		}
		for (size_t i = 0; i < t->nfds; i++) {
			t->fds[i].revents = ret > 0 ? all[k + i].revents : 0;
			ready += t->fds[i].revents != 0;
		}
		k += t->nfds;
		if (ret < 0) {
			wake(t, -1, EINTR); /* a signal: every loop looks at what it set */
		} else if (ready || t->deadline_us <= now || (n == 0 && deadline == UINT64_MAX)) {
			wake(t, ready, 0);
		}
	}
	free(all);
	return 0;
}

/* Virtual time: wake who can go on, else run the clock to the next event or limit. */
static void advance_clock(struct tasks *ts)
{
	const struct tasks_clock *c = ts->clock;
	uint64_t t_us = c->next_us(c->ctx);
	bool woke = false;

	for (struct task *t = ts->list; t; t = t->next) {
		if (t->state == TASK_WAITING && t->done(t->done_arg)) {
			wake(t, 0, 0);
			woke = true;
		} else if (t->state == TASK_WAITING && t->limit_us < t_us) {
			t_us = t->limit_us;
		}
	}
	if (woke) {
		return;
	}
	if (t_us == UINT64_MAX) {
		/* nothing is left to happen: every wait ends */
		for (struct task *t = ts->list; t; t = t->next) {
			if (t->state == TASK_WAITING) {
				wake(t, -ETIMEDOUT, 0);
			}
		}
		return;
	}
	c->advance(c->ctx, t_us);
	for (struct task *t = ts->list; t; t = t->next) {
		if (t->state != TASK_WAITING) {
			continue;
		}
		if (t->done(t->done_arg)) {
			wake(t, 0, 0);
		} else if (t->limit_us <= c->now_us(c->ctx)) {
			wake(t, -ETIMEDOUT, 0);
		}
	}
}

int tasks_run(struct tasks *ts)
{
	int err = 0;

	dfu_smp_port_set_poll(task_poll, ts);
	while (run_ready(ts) > 0) {
		if (ts->clock) {
			advance_clock(ts);
			continue;
		}
		err = poll_all(ts);
		if (err) {
			break;
		}
	}
	dfu_smp_port_set_poll(NULL, NULL);
	return err;
}
