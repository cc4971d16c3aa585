/* SPDX-License-Identifier: Apache-2.0 */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

#define MAX_FDS 8

uint64_t port_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t port_now_ms(void)
{
	return port_now_us() / 1000u;
}

bool port_loop_never(void *arg)
{
	(void)arg;
	return false;
}

int port_loop_run(struct smp_client *client, struct port_fd *fds, size_t nfds,
		  bool (*done)(void *arg), void *arg, uint64_t limit_ms)
{
	smp_client_process(client, port_now_ms());
	while (!done(arg)) {
		struct pollfd pfd[MAX_FDS];
		size_t from[MAX_FDS];
		uint64_t now = port_now_ms();
		uint64_t deadline = smp_client_deadline(client);
		size_t n = 0;
		int timeout, ret;

		if (limit_ms < deadline) {
			deadline = limit_ms;
		}
		for (size_t i = 0; i < nfds && n < MAX_FDS; i++) {
			if (fds[i].fd >= 0) {
				from[n] = i;
				pfd[n].fd = fds[i].fd;
				pfd[n].events = fds[i].events;
				pfd[n].revents = 0;
				n++;
				if (fds[i].deadline_ms && fds[i].deadline_ms < deadline) {
					deadline = fds[i].deadline_ms;
				}
			}
		}
		if (now >= limit_ms || (deadline == UINT64_MAX && n == 0)) {
			return -ETIMEDOUT;
		}
		timeout = deadline == UINT64_MAX ? -1
			  : deadline <= now	 ? 0
			  : deadline - now > 60000 ? 60000
						   : (int)(deadline - now);
		ret = poll(pfd, n, timeout);
		if (ret < 0 && errno != EINTR) {
			return -errno;
		}
		smp_client_process(client, port_now_ms());
		/* a callback may close a descriptor: only what is still the same is called */
		for (size_t k = 0; ret > 0 && k < n; k++) {
			struct port_fd *f = &fds[from[k]];

			if (pfd[k].revents && f->fd == pfd[k].fd && f->ready) {
				f->ready(f->ctx, pfd[k].revents);
			}
		}
		now = port_now_ms();
		for (size_t k = 0; k < n; k++) {
			struct port_fd *f = &fds[from[k]];

			if (f->fd >= 0 && f->deadline_ms && f->deadline_ms <= now && f->ready) {
				f->ready(f->ctx, 0);
			}
		}
		smp_client_process(client, port_now_ms());
	}
	return 0;
}
