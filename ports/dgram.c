/* SPDX-License-Identifier: Apache-2.0 */
#include "dgram.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CAP_FIRST 4096u

/* 0 sent, 1 no room now, or -errno. */
static int send_one(int fd, const uint8_t *data, size_t len)
{
	for (;;) {
		ssize_t n = send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n == (ssize_t)len) {
			return 0;
		}
		if (n >= 0) {
			return -EMSGSIZE; /* a datagram socket takes all or nothing */
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return 1;
		}
		if (errno != EINTR) {
			return -errno;
		}
	}
}

static int keep(struct port_dgram_queue *q, const uint8_t *data, size_t len)
{
	uint16_t n = (uint16_t)len;
	size_t need = sizeof(n) + len;

	if (q->head > 0 && q->cap - q->len < need) {
		memmove(q->buf, q->buf + q->head, q->len - q->head);
		q->len -= q->head;
		q->head = 0;
	}
	if (q->cap - q->len < need) {
		size_t cap = q->cap ? q->cap : CAP_FIRST;
		uint8_t *grown;

		while (cap - q->len < need) {
			cap *= 2;
		}
		grown = realloc(q->buf, cap);
		if (!grown) {
			return -ENOMEM;
		}
		q->buf = grown;
		q->cap = cap;
	}
	memcpy(q->buf + q->len, &n, sizeof(n));
	memcpy(q->buf + q->len + sizeof(n), data, len);
	q->len += need;
	return 0;
}

int port_dgram_send(struct port_dgram_queue *q, int fd, const uint8_t *data, size_t len)
{
	if (len > UINT16_MAX) {
		return -EMSGSIZE;
	}
	if (!port_dgram_waiting(q)) {
		int r = send_one(fd, data, len);

		if (r <= 0) {
			return r;
		}
	}
	return keep(q, data, len);
}

int port_dgram_flush(struct port_dgram_queue *q, int fd)
{
	int sent = 0;

	while (port_dgram_waiting(q)) {
		uint16_t n;
		int r;

		memcpy(&n, q->buf + q->head, sizeof(n));
		r = send_one(fd, q->buf + q->head + sizeof(n), n);
		if (r < 0) {
			return r;
		}
		if (r > 0) {
			break;
		}
		q->head += sizeof(n) + n;
		sent++;
	}
	if (!port_dgram_waiting(q)) {
		q->head = q->len = 0;
	}
	return sent;
}

bool port_dgram_waiting(const struct port_dgram_queue *q)
{
	return q->head < q->len;
}

void port_dgram_clear(struct port_dgram_queue *q)
{
	q->head = q->len = 0;
}

void port_dgram_free(struct port_dgram_queue *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}
