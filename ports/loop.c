/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE /* ppoll() */
#include <dfu-smp/ports/loop.h>

#include <errno.h>
#include <poll.h>
#include <sys/prctl.h>
#include <time.h>

#define MAX_FDS 8
/*
 * How late the kernel may end a wait (ns): 50 µs by default, as long as a line takes a device
 * to hand on, and a paced port waits to the microsecond between lines.
 */
#define TIMER_SLACK_NS 1000

uint64_t dfu_smp_port_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t dfu_smp_port_now_ms(void)
{
	return dfu_smp_port_now_us() / 1000u;
}

static dfu_smp_port_poll_fn poll_fn;
static void *poll_ctx;

void dfu_smp_port_set_poll(dfu_smp_port_poll_fn fn, void *ctx)
{
	poll_fn = fn;
	poll_ctx = ctx;
}

int dfu_smp_port_poll(struct pollfd *fds, size_t n, uint64_t deadline_us)
{
	struct timespec wait;
	uint64_t now, left;

	if (poll_fn) {
		return poll_fn(poll_ctx, fds, n, deadline_us);
	}
	if (deadline_us == UINT64_MAX) {
		return ppoll(fds, n, NULL, NULL);
	}
	now = dfu_smp_port_now_us();
	left = deadline_us <= now ? 0 : deadline_us - now > 60000000u ? 60000000u
								     : deadline_us - now;
	wait.tv_sec = (time_t)(left / 1000000u);
	wait.tv_nsec = (long)(left % 1000000u) * 1000;
	return ppoll(fds, n, &wait, NULL);
}

bool dfu_smp_port_loop_never(void *arg)
{
	(void)arg;
	return false;
}

int dfu_smp_port_loop_run(struct dfu_smp_client *client, struct dfu_smp_port_fd *fds, size_t nfds,
		  bool (*done)(void *arg), void *arg, uint64_t limit_ms)
{
	/* the limit and the client's deadlines in microseconds, as the descriptors' */
	uint64_t limit_us = limit_ms > UINT64_MAX / 1000u ? UINT64_MAX : limit_ms * 1000u;

	prctl(PR_SET_TIMERSLACK, TIMER_SLACK_NS, 0, 0, 0); /* a wish: without it, waits end later */
	dfu_smp_client_process(client, dfu_smp_port_now_ms());
	while (!done(arg)) {
		struct pollfd pfd[MAX_FDS];
		size_t from[MAX_FDS];
		uint64_t now = dfu_smp_port_now_us();
		uint64_t deadline = dfu_smp_client_deadline(client);
		size_t n = 0;
		int ret;

		deadline = deadline > UINT64_MAX / 1000u ? UINT64_MAX : deadline * 1000u;
		if (limit_us < deadline) {
			deadline = limit_us;
		}
		for (size_t i = 0; i < nfds && n < MAX_FDS; i++) {
			if (fds[i].fd >= 0) {
				from[n] = i;
				pfd[n].fd = fds[i].fd;
				pfd[n].events = fds[i].events;
				pfd[n].revents = 0;
				n++;
				if (fds[i].deadline_us && fds[i].deadline_us < deadline) {
					deadline = fds[i].deadline_us;
				}
			}
		}
		if (now >= limit_us || (deadline == UINT64_MAX && n == 0)) {
			return -ETIMEDOUT;
		}
		ret = dfu_smp_port_poll(pfd, n, deadline);
		if (ret < 0 && errno != EINTR) {
			return -errno;
		}
		dfu_smp_client_process(client, dfu_smp_port_now_ms());
		/* a callback may close a descriptor: only what is still the same is called */
		for (size_t k = 0; ret > 0 && k < n; k++) {
			struct dfu_smp_port_fd *f = &fds[from[k]];

			if (pfd[k].revents && f->fd == pfd[k].fd && f->ready) {
				f->ready(f->ctx, pfd[k].revents);
			}
		}
		now = dfu_smp_port_now_us();
		for (size_t k = 0; k < n; k++) {
			struct dfu_smp_port_fd *f = &fds[from[k]];

			if (f->fd >= 0 && f->deadline_us && f->deadline_us <= now && f->ready) {
				f->ready(f->ctx, 0);
			}
		}
		dfu_smp_client_process(client, dfu_smp_port_now_ms());
	}
	return 0;
}
