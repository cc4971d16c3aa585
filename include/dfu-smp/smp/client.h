/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transport-neutral SMP client: builds request headers, assigns sequence numbers, matches
 * responses to requests, runs per-request timeouts and retries, and keeps a queue so callers
 * can submit many requests; at most `window` of them are on the link at once.
 *
 * The client owns no buffer and no clock. Each request is a caller-owned struct dfu_smp_request
 * with its own message buffer; whole response messages come in through
 * dfu_smp_client_receive() and time through dfu_smp_client_process(). Messages go out through a
 * struct dfu_smp_transport (GATT, UDP, serial framing).
 *
 * One completion path: a request's callback runs exactly once, and never from inside the call
 * that sent it. dfu_smp_client_submit() only queues; requests go to the transport in
 * dfu_smp_client_process(), which the caller's event loop runs whenever dfu_smp_client_deadline()
 * says so (at once while a request can be sent). A callback runs from dfu_smp_client_receive(),
 * dfu_smp_client_reject(), dfu_smp_client_transport_error(), dfu_smp_client_process() or the cancels;
 * an error found while sending is kept for the next dfu_smp_client_process(), never returned too.
 *
 * Time is in milliseconds from any fixed origin; a request's timeout counts from the time
 * given to the dfu_smp_client_process() that sent it.
 */
#ifndef DFU_SMP_CLIENT_H
#define DFU_SMP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/smp/header.h>

/** Default response timeout when neither the request nor the config gives one. */
#define DFU_SMP_CLIENT_TIMEOUT_DEFAULT_MS 10000u

/** A response, valid only during the request callback. */
struct dfu_smp_client_rsp {
	struct dfu_smp_hdr hdr;
	const uint8_t *payload; /**< hdr.len bytes of CBOR */
	size_t len;
};

struct dfu_smp_request;

/**
 * Called once per request: @p err is 0 with the response, or a negative errno with @p rsp
 * NULL: -ETIMEDOUT (no answer after every retry), -ENOTCONN (link lost), -ECANCELED, or the
 * transport's error from sending (e.g. -EMSGSIZE). The request may be reused or freed from the
 * callback.
 */
typedef void (*dfu_smp_request_cb)(struct dfu_smp_request *req, int err,
				   const struct dfu_smp_client_rsp *rsp);

/**
 * One request. The caller fills the public fields (dfu_smp_request_init() and a mgmt/ builder do
 * it) and keeps the struct and its buffer alive until the callback.
 */
struct dfu_smp_request {
	uint8_t op;          /**< DFU_SMP_OP_READ or DFU_SMP_OP_WRITE */
	uint16_t group;
	uint8_t id;
	uint8_t *buf; /**< the message: DFU_SMP_HDR_SIZE bytes the client fills, then the payload */
	size_t cap;          /**< size of buf */
	size_t len;          /**< payload bytes at buf + DFU_SMP_HDR_SIZE */
	uint32_t timeout_ms; /**< 0: the client's default */
	uint8_t retries;     /**< times to send again after a timeout */
	/** 0: every try waits timeout_ms; otherwise each wait twice the one before, at most this */
	uint32_t timeout_max_ms;
	dfu_smp_request_cb cb;
	void *user;

	/* Private to the client. */
	struct dfu_smp_request *next;
	uint64_t deadline_ms;
	uint8_t seq;
	uint8_t tries;
	bool has_seq;
	int err;             /* why it ended, while its callback waits (client->ended) */
};

/**
 * How the client reaches the device.
 *
 * send() takes one whole SMP message (not kept after the call) and returns 0; -EAGAIN when it
 * cannot take one now: the client then sends nothing more until the transport calls
 * dfu_smp_client_transport_ready(); or another negative errno, which fails the request. From
 * inside send() a transport may call dfu_smp_client_transport_error() and
 * dfu_smp_client_transport_ready(), never dfu_smp_client_receive() or dfu_smp_client_reject(): an
 * in-process link queues its answer and delivers it later, as a radio would.
 */
struct dfu_smp_transport {
	int (*send)(void *ctx, const uint8_t *msg, size_t len);
	/** The longest message send() takes now. */
	size_t (*max_size)(void *ctx);
	void *ctx;
};

/** Settings of dfu_smp_client_init(); zero fields take the defaults. */
struct dfu_smp_client_config {
	uint32_t timeout_ms; /**< default DFU_SMP_CLIENT_TIMEOUT_DEFAULT_MS */
	unsigned window;     /**< requests on the link at once; default 1 */
	uint8_t first_seq;
	/** Protocol version to send: DFU_SMP_PROTO_V2 (default) or DFU_SMP_PROTO_V1. */
	uint8_t version;
	/** Keep `version` even when the device answers in another one. */
	bool version_fixed;
};

/** What happened, for logs and tests. */
struct dfu_smp_client_stats {
	uint32_t sent;      /**< messages handed to the transport, retries included */
	uint32_t received;  /**< responses matched to a request */
	/** messages matching no request (late, foreign, malformed, or from inside send()) */
	uint32_t dropped;
	uint32_t timeouts;
	uint32_t retries;
	/** of those dropped: no SMP message (shorter than a header or than its length says) */
	uint32_t malformed;
};

/** The client. Caller-allocated; fields are private. */
struct dfu_smp_client {
	struct dfu_smp_transport transport;
	struct dfu_smp_request *queue;  /* waiting to be sent, oldest first */
	struct dfu_smp_request *flight; /* sent, waiting for a response, oldest first */
	/* failed while being sent: their callbacks run in the next dfu_smp_client_process() */
	struct dfu_smp_request *ended;
	unsigned in_flight;
	unsigned window;
	uint32_t timeout_ms;
	uint64_t now_ms;
	uint8_t next_seq;
	uint8_t version;
	bool version_fixed;
	bool sending;               /* inside transport.send() */
	bool blocked; /* send() said -EAGAIN; until dfu_smp_client_transport_ready() */
	struct dfu_smp_client_stats stats;
};

/** Set up @p client to send through @p transport (copied). @p config may be NULL. */
DFU_SMP_API void dfu_smp_client_init(struct dfu_smp_client *client,
				     const struct dfu_smp_transport *transport,
				     const struct dfu_smp_client_config *config);

/**
 * Point @p req at @p buf (@p cap bytes, at least DFU_SMP_HDR_SIZE) and clear the rest of it.
 * The caller then sets op, group, id, len (payload bytes at buf + DFU_SMP_HDR_SIZE) and cb.
 */
DFU_SMP_API void dfu_smp_request_init(struct dfu_smp_request *req, uint8_t *buf, size_t cap);

/**
 * Share a wait of @p total_ms between @p retries + 1 tries of @p req: for links that lose
 * messages, where a request is sent again before the whole wait is over. Each try waits
 * @p total_ms / (@p retries + 1), at least 1 ms.
 */
DFU_SMP_API void dfu_smp_request_spread(struct dfu_smp_request *req, uint32_t total_ms,
					uint8_t retries);

/**
 * Wait @p first_ms for the first answer to @p req, then twice as long before each resend, at
 * most @p max_ms a try, with as many tries as the waits take to make @p total_ms (at most
 * 256): for a link whose answers come in a time the caller knows (a measured round trip),
 * where a lost message then costs little more than that time.
 */
DFU_SMP_API void dfu_smp_request_backoff(struct dfu_smp_request *req, uint32_t first_ms,
					 uint32_t max_ms, uint32_t total_ms);

/**
 * Queue @p req. Nothing is sent and no callback runs from inside this call: the request goes
 * to the transport in a later dfu_smp_client_process() (dfu_smp_client_deadline() then says now), as
 * soon as the window and the transport allow. @p req stays the caller's; it must live until
 * its callback or dfu_smp_client_cancel().
 * @return 0; -EINVAL if it has no callback or buffer, or its payload does not fit its buffer;
 *         -EMSGSIZE if the payload is longer than an SMP header can say (65535). A request
 *         refused here is not queued and its callback never runs.
 */
DFU_SMP_API int dfu_smp_client_submit(struct dfu_smp_client *client, struct dfu_smp_request *req);

/**
 * Transport -> client: one whole SMP message arrived (@p len bytes at @p msg, read during this
 * call only). A response is matched by sequence number, then group, id and op, and its
 * request's callback runs from here; anything else is dropped (and counted). Nothing is sent
 * from here: a request the callback submits waits for dfu_smp_client_process(). A message given
 * from inside the transport's send() is dropped (and counted): its request then times out.
 */
DFU_SMP_API void dfu_smp_client_receive(struct dfu_smp_client *client, const uint8_t *msg,
					size_t len);

/**
 * Transport -> client: a response arrived that the transport could not take whole (longer
 * than its receive buffer); @p hdr is its DFU_SMP_HDR_SIZE-byte header. The request it answers
 * ends with @p err (its callback runs from here); every other request stays as it is. Given
 * from inside send(), the header is dropped (and counted) like dfu_smp_client_receive()'s.
 */
DFU_SMP_API void dfu_smp_client_reject(struct dfu_smp_client *client, const uint8_t *hdr, int err);

/**
 * Transport -> client: the link failed (e.g. -ENOTCONN, or a response that could not be
 * read). Every request on the link ends with @p err; queued ones stay queued, and a -EAGAIN
 * from send() holds them back no more (the next send() says what the link takes). Called from
 * inside the transport's send(), the callbacks wait for the next dfu_smp_client_process(), and
 * the error send() then returns changes nothing: each request ends once.
 */
DFU_SMP_API void dfu_smp_client_transport_error(struct dfu_smp_client *client, int err);

/**
 * Transport -> client: the transport can take a message again after its send() said -EAGAIN
 * (its queue drained, its descriptor is writable). Sends nothing itself: queued requests go in
 * the next dfu_smp_client_process(), which dfu_smp_client_deadline() then asks for at once.
 */
DFU_SMP_API void dfu_smp_client_transport_ready(struct dfu_smp_client *client);

/**
 * Give the client the current time @p now_ms: callbacks of requests that failed while being
 * sent run, requests past their deadline are sent again or end with -ETIMEDOUT, then queued
 * requests go to the transport while the window allows and send() takes them. Called from
 * inside the transport's send(), it does nothing.
 */
DFU_SMP_API void dfu_smp_client_process(struct dfu_smp_client *client, uint64_t now_ms);

/**
 * When dfu_smp_client_process() must next be called: the time last given to it (that is, now)
 * while a request can be sent or a failed one waits for its callback; otherwise the earliest
 * timeout of a request on the link, or UINT64_MAX if there is none. A transport that said
 * -EAGAIN makes nothing due until dfu_smp_client_transport_ready().
 */
DFU_SMP_API uint64_t dfu_smp_client_deadline(const struct dfu_smp_client *client);

/**
 * Remove @p req, queued or on the link, without calling its callback; an answer to it that
 * still comes is dropped (and counted). @return 0 or -ENOENT.
 */
DFU_SMP_API int dfu_smp_client_cancel(struct dfu_smp_client *client, struct dfu_smp_request *req);

/** End every request, queued or on the link, with @p err. */
DFU_SMP_API void dfu_smp_client_cancel_all(struct dfu_smp_client *client, int err);

/** True when no request is queued or waiting. */
DFU_SMP_API bool dfu_smp_client_idle(const struct dfu_smp_client *client);

/** The protocol version the client sends now (DFU_SMP_PROTO_V1 or DFU_SMP_PROTO_V2). */
DFU_SMP_API uint8_t dfu_smp_client_version(const struct dfu_smp_client *client);

/** Switch the protocol version sent from now on. */
DFU_SMP_API void dfu_smp_client_set_version(struct dfu_smp_client *client, uint8_t version);

/** Change how many requests may be on the link at once (at least 1). */
DFU_SMP_API void dfu_smp_client_set_window(struct dfu_smp_client *client, unsigned window);

/** How many requests may be on the link at once now. */
DFU_SMP_API unsigned dfu_smp_client_window(const struct dfu_smp_client *client);

/** The time last given to dfu_smp_client_process(). */
DFU_SMP_API uint64_t dfu_smp_client_now(const struct dfu_smp_client *client);

/** The longest request message (header included) the transport takes now. */
DFU_SMP_API size_t dfu_smp_client_max_size(const struct dfu_smp_client *client);

/** Counters since init. */
DFU_SMP_API const struct dfu_smp_client_stats *dfu_smp_client_stats(
	const struct dfu_smp_client *client);

#endif /* DFU_SMP_CLIENT_H */
