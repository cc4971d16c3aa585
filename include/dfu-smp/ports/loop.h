/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event loop of the real connections: ppoll() over a connection's file descriptors, the
 * wall clock (CLOCK_MONOTONIC) for the SMP client's timeouts (in milliseconds) and for the
 * descriptors' own deadlines (in microseconds: a serial port paces lines a fraction of a
 * millisecond apart). A connection to a device
 * modelled in this process runs its own loop in virtual time instead.
 */
#ifndef DFU_SMP_PORTS_LOOP_H
#define DFU_SMP_PORTS_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/smp/client.h>

/** Milliseconds on the monotonic clock. */
DFU_SMP_API uint64_t dfu_smp_port_now_ms(void);

/** Microseconds on the monotonic clock (CLOCK_MONOTONIC, as sd-bus's timeouts are). */
DFU_SMP_API uint64_t dfu_smp_port_now_us(void);

/** A file descriptor the loop watches, and what to call when it is ready. */
struct dfu_smp_port_fd {
	int fd;          /**< -1: skipped */
	short events;    /**< POLLIN, POLLOUT */
	/**
	 * 0: none. Otherwise a time (dfu_smp_port_now_us()) by which the loop wakes, to the microsecond as
	 * far as the kernel's timers go; once it has passed, ready() is called with revents 0, on
	 * every turn until the owner clears or moves it.
	 */
	uint64_t deadline_us;
	/** Called with the revents poll() gave (POLLHUP and POLLERR included), or 0: see above. */
	void (*ready)(void *ctx, short revents);
	void *ctx;
};

struct pollfd; /* <poll.h> */

/**
 * Wait as ppoll() does, for events on @p fds (@p n of them) or until @p deadline_us (on
 * dfu_smp_port_now_us()'s clock; UINT64_MAX: no deadline). Every wait of ports/ goes through
 * here, so that a scheduler of many loops (dfu_smp_port_set_poll()) can take them all.
 * @return the number of descriptors with events, 0 at the deadline, or -1 with errno set
 *         (EINTR: a signal came).
 */
DFU_SMP_API int dfu_smp_port_poll(struct pollfd *fds, size_t n, uint64_t deadline_us);

/** A wait that replaces ppoll(): arguments and return as dfu_smp_port_poll()'s. */
typedef int (*dfu_smp_port_poll_fn)(void *ctx, struct pollfd *fds, size_t n,
				    uint64_t deadline_us);

/**
 * From now on dfu_smp_port_poll() calls @p fn(@p ctx, ...) instead of ppoll(): one scheduler
 * waits for the loops of many connections at once (tools/tasks.c). NULL puts ppoll() back.
 */
DFU_SMP_API void dfu_smp_port_set_poll(dfu_smp_port_poll_fn fn, void *ctx);

/** A done() of dfu_smp_port_loop_run() that is never true: to wait out a time, serving the link. */
DFU_SMP_API bool dfu_smp_port_loop_never(void *arg);

/**
 * Run until @p done(@p arg) is true: wait on @p fds (re-read before each wait, so callbacks
 * may change them) and their deadlines, give @p client the time, let it send and time out;
 * never later than @p limit_ms (UINT64_MAX: no limit) and never without a deadline when
 * nothing is waiting.
 * @return 0 when done; -ETIMEDOUT when @p limit_ms passed, or when nothing is waiting for a
 *         descriptor or a deadline; -errno if poll() fails.
 */
DFU_SMP_API int dfu_smp_port_loop_run(struct dfu_smp_client *client, struct dfu_smp_port_fd *fds,
				      size_t nfds, bool (*done)(void *arg), void *arg,
				      uint64_t limit_ms);

#endif /* DFU_SMP_PORTS_LOOP_H */
