/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Datagrams out to a non-blocking socket (BlueZ's AcquireWrite socket: one ATT Write Command
 * a datagram): each goes out at once when the socket has room, and is otherwise kept, in
 * order behind those already kept, until the socket drains. Nothing here waits: the owner
 * watches the socket for POLLOUT while port_dgram_waiting() and then calls port_dgram_flush().
 */
#ifndef PORTS_DGRAM_H
#define PORTS_DGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The datagrams kept. Zero it before use; release it with port_dgram_free(). */
struct port_dgram_queue {
	uint8_t *buf;  /* each datagram as a 2-byte length (host order) and its bytes */
	size_t head;   /* the oldest datagram kept */
	size_t len;    /* bytes of buf in use */
	size_t cap;
};

/**
 * Send the @p len bytes at @p data (at most 65535) as one datagram on @p fd, now when nothing
 * is kept and the socket has room, otherwise keep a copy behind what is kept.
 * @return 0 (sent or kept); -ENOMEM when it cannot be kept; or the -errno of a send that
 *         failed otherwise than for want of room (the socket is no longer usable).
 */
int port_dgram_send(struct port_dgram_queue *q, int fd, const uint8_t *data, size_t len);

/**
 * Send what is kept, oldest first, while @p fd has room.
 * @return how many datagrams went out (0 when the socket is still full), or the -errno of a
 *         failed send, as port_dgram_send().
 */
int port_dgram_flush(struct port_dgram_queue *q, int fd);

/** True while datagrams are kept. */
bool port_dgram_waiting(const struct port_dgram_queue *q);

/** Drop what is kept (the socket is gone). */
void port_dgram_clear(struct port_dgram_queue *q);

/** Release the queue's memory; it is empty and may be used again. */
void port_dgram_free(struct port_dgram_queue *q);

#endif /* PORTS_DGRAM_H */
