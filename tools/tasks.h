/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cooperative tasks under one event loop, for a fleet (tools/fleet.c): every device's command
 * runs as a task with a stack of its own, written as the blocking code every command is, and
 * every place it would wait hands what it waits for to one scheduler instead:
 *   - dfu_smp_port_loop_run() (ports/loop.h) waits through dfu_smp_port_poll(), which the
 *     scheduler takes over: all tasks' descriptors and deadlines go into one ppoll();
 *   - a simulated connection sharing a virtual clock (sim/conn.h's wait) calls
 *     tasks_wait_until(): the scheduler runs the clock to its next event while no task can go on.
 * One thread: a task runs until it waits or returns, so tasks share memory without locks, and
 * the scheduler alone decides who runs next.
 *
 * While a task runs, stdout and stderr are the streams it was given (tasks_set_output()): in
 * the GNU C library they are variables a program may set, so every printf() of a command lands
 * in its device's buffer.
 */
#ifndef TOOLS_TASKS_H
#define TOOLS_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** A virtual clock the scheduler runs instead of waiting on the wall clock. */
struct tasks_clock {
	uint64_t (*now_us)(void *ctx);
	/** when the next event is due, UINT64_MAX when none is */
	uint64_t (*next_us)(void *ctx);
	/** run every event due up to @p t_us, then set the time to @p t_us */
	void (*advance)(void *ctx, uint64_t t_us);
	void *ctx;
};

struct task;

/** The scheduler. Caller-allocated; fields are private. */
struct tasks {
	const struct tasks_clock *clock;
	size_t stack_size;
	struct task *list;    /* every task not yet reaped, in the order spawned */
	struct task *current; /* the running one; NULL in the scheduler */
	void *main_ctx;       /* the scheduler's context */
	const void *main_stack; /* for AddressSanitizer: the scheduler's stack */
	size_t main_stack_size;
	FILE *out, *err;      /* stdout and stderr of the scheduler */
};

/** Default stack of a task: room for any command (dfu-smp's deepest use a few tens of KiB). */
#define TASKS_STACK_DEFAULT (512u * 1024u)

/**
 * Set up @p ts. @p clock: run tasks in that virtual time (tasks_wait_until()); NULL: on the
 * wall clock, every task's dfu_smp_port_loop_run() waiting in one ppoll().
 * @p stack_size: bytes of each task's stack, 0 for TASKS_STACK_DEFAULT.
 * @return 0 or -ENOMEM.
 */
int tasks_init(struct tasks *ts, const struct tasks_clock *clock, size_t stack_size);

/** Free what tasks_run() left (nothing once it returned). */
void tasks_free(struct tasks *ts);

/**
 * Add a task that will run @p fn(@p arg) once tasks_run() reaches it; may be called from a task.
 * @return 0, or -ENOMEM (no stack could be had).
 */
int tasks_spawn(struct tasks *ts, void (*fn)(void *arg), void *arg);

/**
 * Run every task until each has returned, waiting for them all in one place.
 * @return 0, or -errno when ppoll() failed otherwise than by a signal.
 */
int tasks_run(struct tasks *ts);

/**
 * In a task: from now on, stdout and stderr are @p out and @p err while it runs (NULL: the
 * scheduler's).
 */
void tasks_set_output(struct tasks *ts, FILE *out, FILE *err);

/**
 * In a task, in virtual time: wait until @p done(@p arg) is true or the clock reaches
 * @p limit_us. @p ts is a struct tasks (void, to be a sim/conn.h wait()).
 * @return 0 when done; -ETIMEDOUT at the limit, or when nothing is left to happen.
 */
int tasks_wait_until(void *ts, bool (*done)(void *arg), void *arg, uint64_t limit_us);

#endif /* TOOLS_TASKS_H */
