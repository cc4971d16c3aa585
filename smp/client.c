/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/smp/client.h>

#include <errno.h>
#include <string.h>

/* Largest window: sequence numbers must stay unique among requests on the link. */
#define WINDOW_MAX 255u

static void list_append(struct dfu_smp_request **head, struct dfu_smp_request *req)
{
	while (*head) {
		head = &(*head)->next;
	}
	req->next = NULL;
	*head = req;
}

static bool list_remove(struct dfu_smp_request **head, struct dfu_smp_request *req)
{
	for (; *head; head = &(*head)->next) {
		if (*head == req) {
			*head = req->next;
			req->next = NULL;
			return true;
		}
	}
	return false;
}

void dfu_smp_client_init(struct dfu_smp_client *client, const struct dfu_smp_transport *transport,
		     const struct dfu_smp_client_config *config)
{
	memset(client, 0, sizeof(*client));
	client->transport = *transport;
	client->timeout_ms = DFU_SMP_CLIENT_TIMEOUT_DEFAULT_MS;
	client->window = 1;
	client->version = DFU_SMP_PROTO_V2;
	if (config) {
		if (config->timeout_ms) {
			client->timeout_ms = config->timeout_ms;
		}
		dfu_smp_client_set_window(client, config->window ? config->window : 1);
		client->next_seq = config->first_seq;
		if (config->version == DFU_SMP_PROTO_V1) {
			client->version = DFU_SMP_PROTO_V1;
		}
		client->version_fixed = config->version_fixed;
	}
}

void dfu_smp_request_init(struct dfu_smp_request *req, uint8_t *buf, size_t cap)
{
	memset(req, 0, sizeof(*req));
	req->buf = buf;
	req->cap = cap;
}

void dfu_smp_request_spread(struct dfu_smp_request *req, uint32_t total_ms, uint8_t retries)
{
	uint32_t each = total_ms / (retries + 1u);

	req->retries = retries;
	req->timeout_ms = each ? each : 1u;
}

void dfu_smp_request_backoff(struct dfu_smp_request *req, uint32_t first_ms, uint32_t max_ms,
			 uint32_t total_ms)
{
	uint64_t wait = first_ms ? first_ms : 1u, sum = 0;
	unsigned tries = 0;

	if (max_ms < wait) {
		max_ms = (uint32_t)wait;
	}
	req->timeout_ms = (uint32_t)wait;
	req->timeout_max_ms = max_ms;
	while (sum < total_ms && tries < 256u) {
		sum += wait;
		tries++;
		wait = wait * 2u > max_ms ? max_ms : wait * 2u;
	}
	req->retries = (uint8_t)(tries ? tries - 1u : 0u);
}

static void write_header(const struct dfu_smp_client *client, struct dfu_smp_request *req)
{
	struct dfu_smp_hdr hdr = {
		.op = req->op,
		.version = client->version,
		.len = (uint16_t)req->len,
		.group = req->group,
		.seq = req->seq,
		.id = req->id,
	};

	dfu_smp_hdr_encode(&hdr, req->buf);
}

/* A queued request can go to the transport now. */
static bool sendable(const struct dfu_smp_client *client)
{
	return client->queue && client->in_flight < client->window && !client->blocked;
}

/*
 * Sends queued requests while the window and the transport allow; only dfu_smp_client_process()
 * calls it. A request goes on the link list before the transport sees it, so that a link loss
 * reported from inside send() ends it there, once.
 */
static void pump(struct dfu_smp_client *client)
{
	while (sendable(client)) {
		struct dfu_smp_request *req = client->queue;
		uint32_t timeout = req->timeout_ms ? req->timeout_ms : client->timeout_ms;
		int err;

		if (!req->has_seq) {
			req->seq = client->next_seq++;
			req->has_seq = true;
		}
		write_header(client, req);
		client->queue = req->next;
		list_append(&client->flight, req);
		client->in_flight++;
		req->deadline_ms = client->now_ms + timeout;
		client->stats.sent++;

		client->sending = true;
		err = client->transport.send(client->transport.ctx, req->buf,
					     DFU_SMP_HDR_SIZE + req->len);
		client->sending = false;
		if (err == 0) {
			continue;
		}
		client->stats.sent--;
		if (!list_remove(&client->flight, req)) {
			continue; /* the transport already failed it (dfu_smp_client_transport_error) */
		}
		client->in_flight--;
		if (err == -EAGAIN) {
			req->next = client->queue; /* first again, with its sequence number */
			client->queue = req;
			client->blocked = true;
			break;
		}
		req->err = err;
		list_append(&client->ended, req);
	}
}

int dfu_smp_client_submit(struct dfu_smp_client *client, struct dfu_smp_request *req)
{
	if (!req || !req->cb || !req->buf || req->cap < DFU_SMP_HDR_SIZE ||
	    req->len > req->cap - DFU_SMP_HDR_SIZE) {
		return -EINVAL;
	}
	if (req->len > 0xffffu) {
		return -EMSGSIZE;
	}
	req->has_seq = false;
	req->tries = 0;
	list_append(&client->queue, req);
	return 0;
}

static struct dfu_smp_request *find_in_flight(const struct dfu_smp_client *client, uint8_t seq)
{
	for (struct dfu_smp_request *req = client->flight; req; req = req->next) {
		if (req->seq == seq) {
			return req;
		}
	}
	return NULL;
}

/* The request on the link that @p hdr answers, taken off the link; NULL (counted) if none. */
static struct dfu_smp_request *take_answered(struct dfu_smp_client *client,
					     const struct dfu_smp_hdr *hdr)
{
	struct dfu_smp_request *req = find_in_flight(client, hdr->seq);

	if (!req || hdr->group != req->group || hdr->id != req->id ||
	    hdr->op != dfu_smp_hdr_rsp_op(req->op)) {
		client->stats.dropped++;
		return NULL;
	}
	list_remove(&client->flight, req);
	client->in_flight--;
	return req;
}

void dfu_smp_client_reject(struct dfu_smp_client *client, const uint8_t *hdr, int err)
{
	struct dfu_smp_hdr h;
	struct dfu_smp_request *req;

	if (client->sending || dfu_smp_hdr_decode(hdr, DFU_SMP_HDR_SIZE, &h) != 0) {
		client->stats.dropped++;
		return;
	}
	req = take_answered(client, &h);
	if (req) {
		req->cb(req, err, NULL);
	}
}

void dfu_smp_client_receive(struct dfu_smp_client *client, const uint8_t *msg, size_t len)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_request *req;

	/* from inside send(): no callback from within the call that sent */
	if (client->sending) {
		client->stats.dropped++;
		return;
	}
	if (dfu_smp_hdr_decode(msg, len, &rsp.hdr) != 0 || len - DFU_SMP_HDR_SIZE < rsp.hdr.len) {
		client->stats.dropped++;
		client->stats.malformed++;
		return;
	}
	req = take_answered(client, &rsp.hdr);
	if (!req) {
		return;
	}
	client->stats.received++;
	if (!client->version_fixed && client->version == DFU_SMP_PROTO_V2 &&
	    rsp.hdr.version == DFU_SMP_PROTO_V1) {
		/* A device that answers version 2 in version 1 only speaks version 1. */
		client->version = DFU_SMP_PROTO_V1;
	}
	rsp.payload = msg + DFU_SMP_HDR_SIZE;
	rsp.len = rsp.hdr.len;
	req->cb(req, 0, &rsp);
}

/*
 * Ends every request of a detached list with @p err, or with the error each carries when
 * @p err is 0; callbacks may submit or cancel freely.
 */
static void end_list(struct dfu_smp_request *list, int err)
{
	while (list) {
		struct dfu_smp_request *req = list;

		list = req->next;
		req->next = NULL;
		req->cb(req, err ? err : req->err, NULL);
	}
}

void dfu_smp_client_transport_error(struct dfu_smp_client *client, int err)
{
	struct dfu_smp_request *list = client->flight;

	client->flight = NULL;
	client->in_flight = 0;
	client->blocked = false; /* a busy link that failed is busy no more: the next send tells */
	if (!client->sending) {
		end_list(list, err);
		return;
	}
	/* inside send(): no callback from within the call that sent */
	while (list) {
		struct dfu_smp_request *req = list;

		list = req->next;
		req->err = err;
		list_append(&client->ended, req);
	}
}

void dfu_smp_client_transport_ready(struct dfu_smp_client *client)
{
	client->blocked = false;
}

static struct dfu_smp_request *first_expired(const struct dfu_smp_client *client)
{
	for (struct dfu_smp_request *req = client->flight; req; req = req->next) {
		if (client->now_ms >= req->deadline_ms) {
			return req;
		}
	}
	return NULL;
}

void dfu_smp_client_process(struct dfu_smp_client *client, uint64_t now_ms)
{
	struct dfu_smp_request *req, *next;
	struct dfu_smp_request *ended = client->ended;
	struct dfu_smp_request **at = &client->queue;

	if (client->sending) {
		return;
	}
	client->now_ms = now_ms;
	client->ended = NULL;
	end_list(ended, 0);
	/* those with a try left go first, before anything new and in the order they were sent
	 * (the link's order), with no callback in between: it could change the lists */
	for (req = client->flight; req; req = next) {
		next = req->next;
		if (now_ms < req->deadline_ms || req->tries >= req->retries) {
			continue;
		}
		list_remove(&client->flight, req);
		client->in_flight--;
		client->stats.timeouts++;
		req->tries++;
		client->stats.retries++;
		if (req->timeout_max_ms && req->timeout_ms) {
			uint64_t longer = (uint64_t)req->timeout_ms * 2u;

			req->timeout_ms = longer > req->timeout_max_ms ? req->timeout_max_ms
								       : (uint32_t)longer;
		}
		req->next = *at; /* keeps its sequence number */
		*at = req;
		at = &req->next;
	}
	/* the rest have none: scan again after each callback, it may have changed the list */
	while ((req = first_expired(client)) != NULL) {
		list_remove(&client->flight, req);
		client->in_flight--;
		client->stats.timeouts++;
		req->cb(req, -ETIMEDOUT, NULL);
	}
	pump(client);
}

uint64_t dfu_smp_client_deadline(const struct dfu_smp_client *client)
{
	uint64_t deadline = client->ended || sendable(client) ? client->now_ms : UINT64_MAX;

	for (const struct dfu_smp_request *req = client->flight; req; req = req->next) {
		if (req->deadline_ms < deadline) {
			deadline = req->deadline_ms;
		}
	}
	return deadline;
}

int dfu_smp_client_cancel(struct dfu_smp_client *client, struct dfu_smp_request *req)
{
	if (list_remove(&client->queue, req) || list_remove(&client->ended, req)) {
		return 0;
	}
	if (list_remove(&client->flight, req)) {
		client->in_flight--; /* a late answer is dropped: nothing waits for it */
		return 0;
	}
	return -ENOENT;
}

void dfu_smp_client_cancel_all(struct dfu_smp_client *client, int err)
{
	struct dfu_smp_request *flight = client->flight;
	struct dfu_smp_request *queue = client->queue;
	struct dfu_smp_request *ended = client->ended;

	client->flight = NULL;
	client->queue = NULL;
	client->ended = NULL;
	client->in_flight = 0;
	end_list(flight, err);
	end_list(ended, err);
	end_list(queue, err);
}

bool dfu_smp_client_idle(const struct dfu_smp_client *client)
{
	return !client->queue && !client->flight && !client->ended;
}

uint8_t dfu_smp_client_version(const struct dfu_smp_client *client)
{
	return client->version;
}

void dfu_smp_client_set_version(struct dfu_smp_client *client, uint8_t version)
{
	client->version = version == DFU_SMP_PROTO_V1 ? DFU_SMP_PROTO_V1 : DFU_SMP_PROTO_V2;
}

void dfu_smp_client_set_window(struct dfu_smp_client *client, unsigned window)
{
	if (window < 1) {
		window = 1;
	}
	client->window = window > WINDOW_MAX ? WINDOW_MAX : window;
}

unsigned dfu_smp_client_window(const struct dfu_smp_client *client)
{
	return client->window;
}

uint64_t dfu_smp_client_now(const struct dfu_smp_client *client)
{
	return client->now_ms;
}

size_t dfu_smp_client_max_size(const struct dfu_smp_client *client)
{
	return client->transport.max_size(client->transport.ctx);
}

const struct dfu_smp_client_stats *dfu_smp_client_stats(const struct dfu_smp_client *client)
{
	return &client->stats;
}
