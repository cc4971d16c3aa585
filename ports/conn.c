/* SPDX-License-Identifier: Apache-2.0 */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mgmt/os.h"
#include "../mgmt/reply.h"
#include "loop.h"

/* A probe needs no more than this to be answered or not. */
#define PROBE_TIMEOUT_MS 3000u

/* After a reset: Zephyr answers, then resets 250 ms later; some devices wedge on input while
 * they boot. Then echoes, each waiting longer for its answer. */
#define REBOOT_SETTLE_MS 500u
#define REBOOT_PROBE_FIRST_MS 250u
#define REBOOT_PROBE_MAX_MS 1000u

int conn_open(const char *spec, const struct conn_options *opt, struct conn **out, char *why,
	      size_t why_cap)
{
	if (strncmp(spec, "udp:", 4) == 0) {
		return conn_udp_open(spec + 4, opt, out, why, why_cap);
	}
	if (strncmp(spec, "serial:", 7) == 0) {
		return conn_serial_open(spec + 7, opt, out, why, why_cap);
	}
	if (strncmp(spec, "ble:", 4) == 0) {
		return conn_ble_open(spec + 4, opt, out, why, why_cap);
	}
	snprintf(why, why_cap, "unknown connection '%s': use udp:HOST[:PORT], serial:PATH[@BAUD], "
		 "ble:ADDRESS or ble:name=NAME", spec);
	return -EINVAL;
}

void conn_close(struct conn *conn)
{
	if (conn) {
		conn->ops->close(conn);
	}
}

struct smp_client *conn_client(struct conn *conn)
{
	return conn->client;
}

int conn_run(struct conn *conn, bool (*done)(void *arg), void *arg)
{
	return conn->ops->run(conn, done, arg);
}

void conn_explain(struct conn *conn, int err, size_t request_len, char *out, size_t cap)
{
	conn->ops->explain(conn, err, request_len, out, cap);
}

void conn_stats(struct conn *conn, struct conn_stats *out)
{
	conn->ops->stats(conn, out);
}

int conn_reconnect(struct conn *conn, uint32_t timeout_ms, char *why, size_t why_cap)
{
	conn->limits_known = false; /* another firmware may take other sizes */
	return conn->ops->reconnect(conn, timeout_ms, why, why_cap);
}

bool conn_connected(struct conn *conn)
{
	return conn->ops->connected(conn);
}

uint64_t conn_now_ms(struct conn *conn)
{
	return conn->ops->now_ms ? conn->ops->now_ms(conn) : port_now_ms();
}

uint32_t conn_timeout_ms(const struct conn *conn)
{
	return conn->opt.timeout_ms ? conn->opt.timeout_ms : SMP_CLIENT_TIMEOUT_DEFAULT_MS;
}

struct transaction {
	bool done;
	int err;
	uint8_t *buf;
	size_t cap;
	struct smp_client_rsp *rsp;
};

static void transaction_done(struct smp_request *req, int err, const struct smp_client_rsp *rsp)
{
	struct transaction *t = req->user;

	t->done = true;
	t->err = err;
	if (err) {
		return;
	}
	if (rsp->len > t->cap) {
		t->err = -ENOBUFS;
		return;
	}
	*t->rsp = *rsp;
	if (rsp->len) {
		memcpy(t->buf, rsp->payload, rsp->len);
	}
	t->rsp->payload = t->buf;
}

static bool transaction_finished(void *arg)
{
	return ((struct transaction *)arg)->done;
}

int conn_transact_once(struct conn *conn, struct smp_request *req, uint8_t *rsp_buf, size_t cap,
		    struct smp_client_rsp *rsp)
{
	struct transaction t = { .buf = rsp_buf, .cap = cap, .rsp = rsp };
	int err;

	req->cb = transaction_done;
	req->user = &t;
	/* the timeout counts from now, however long the caller took since the last run */
	smp_client_process(conn->client, conn_now_ms(conn));
	err = smp_client_submit(conn->client, req);
	if (err) {
		return err;
	}
	err = conn_run(conn, transaction_finished, &t);
	if (err) {
		smp_client_cancel(conn->client, req);
		return err;
	}
	return t.err;
}

int conn_transact(struct conn *conn, struct smp_request *req, uint8_t *rsp_buf, size_t cap,
		  struct smp_client_rsp *rsp)
{
	uint32_t timeout_ms = req->timeout_ms;
	uint8_t retries = req->retries;
	uint32_t total;
	int err;

	if (retries || !conn->retries) {
		return conn_transact_once(conn, req, rsp_buf, cap, rsp);
	}
	/* the caller's wait stays what it was: a lost datagram or frame costs only a share */
	total = timeout_ms ? timeout_ms : conn_timeout_ms(conn);
	smp_request_spread(req, total, conn->retries);
	err = conn_transact_once(conn, req, rsp_buf, cap, rsp);
	req->retries = retries;
	req->timeout_ms = timeout_ms;
	return err;
}

/* Answers the MCUmgr parameters request; 0, -ENOTSUP when the device does not know it. */
static int read_params(struct conn *conn, struct conn_limits *limits)
{
	static uint8_t req_buf[SMP_HDR_SIZE + 16];
	struct smp_request req;
	struct smp_client_rsp rsp;
	struct mgmt_reply reply;
	struct mgmt_os_params params;
	uint8_t rsp_buf[128];
	int err;

	smp_request_init(&req, req_buf, sizeof(req_buf));
	mgmt_os_params(&req);
	err = conn_transact(conn, &req, rsp_buf, sizeof(rsp_buf), &rsp);
	if (err == -ENOBUFS) {
		return -ENOTSUP; /* not what a parameters answer looks like */
	}
	if (err) {
		return err;
	}
	err = mgmt_os_params_decode(&rsp, &reply, &params);
	mgmt_reply_close(&reply);
	if (err) {
		return -ENOTSUP; /* older devices answer rc 8; anything else is no answer either */
	}
	limits->have_params = true;
	limits->buf_size = params.buf_size;
	limits->buf_count = params.buf_count;
	return 0;
}

/*
 * Sends an echo just longer than one write, split in two. A device that reassembles answers
 * it; one that does not reads the first write as a message shorter than its header says
 * (answered with MGMT_ERR_ECORRUPT) and drops the second, shorter than a header.
 */
static bool probe_reassembly(struct conn *conn, size_t one_write, size_t max)
{
	struct smp_request req;
	struct smp_client_rsp rsp;
	struct mgmt_reply reply;
	const char *echoed;
	uint8_t *buf = malloc(2 * max + 2);
	char *text;
	size_t len;
	bool ok = false;

	if (!buf) {
		return false;
	}
	text = (char *)buf + max + 1;
	/* the message must end 1 to 7 bytes into the second write */
	for (len = one_write; len > 0; len--) {
		memset(text, 'r', len);
		text[len] = '\0';
		smp_request_init(&req, buf, max + 1);
		if (mgmt_os_echo(&req, text) == 0 && SMP_HDR_SIZE + req.len <= one_write + 7 &&
		    SMP_HDR_SIZE + req.len > one_write) {
			break;
		}
	}
	if (len > 0 && SMP_HDR_SIZE + req.len <= max) {
		conn->ops->set_reassembly(conn, max);
		req.timeout_ms = conn->opt.timeout_ms && conn->opt.timeout_ms < PROBE_TIMEOUT_MS
					 ? conn->opt.timeout_ms
					 : PROBE_TIMEOUT_MS;
		if (conn_transact(conn, &req, buf, max + 1, &rsp) == 0) {
			ok = mgmt_os_echo_decode(&rsp, &reply, &echoed) == 0 &&
			     strcmp(echoed, text) == 0;
			mgmt_reply_close(&reply);
		}
		if (!ok) {
			conn->ops->set_reassembly(conn, 0);
		}
	}
	free(buf);
	return ok;
}

int conn_limits(struct conn *conn, const struct conn_limits **out)
{
	struct conn_limits limits = { 0 };
	size_t link;
	int err;

	if (conn->limits_known) {
		*out = &conn->limits;
		return 0;
	}
	err = read_params(conn, &limits);
	if (err && err != -ENOTSUP) {
		return err;
	}
	if (conn->ops->set_device_limits) {
		conn->ops->set_device_limits(conn, &limits);
	}
	link = smp_client_max_size(conn->client);
	if (limits.have_params && limits.buf_size > link && conn->ops->set_reassembly) {
		limits.reassembly = probe_reassembly(conn, link, limits.buf_size);
		link = smp_client_max_size(conn->client);
	}
	limits.max_request = limits.have_params && limits.buf_size < link ? limits.buf_size : link;
	conn->limits = limits;
	conn->limits_known = true;
	*out = &conn->limits;
	return 0;
}

int conn_await_reboot(struct conn *conn, void (*pause)(struct conn *conn, uint32_t ms),
		      uint32_t timeout_ms, char *why, size_t why_cap)
{
	uint64_t limit = conn_now_ms(conn) + timeout_ms;
	uint32_t wait = REBOOT_PROBE_FIRST_MS;
	uint8_t req_buf[SMP_HDR_SIZE + 16];
	uint8_t rsp_buf[64];

	pause(conn, timeout_ms < REBOOT_SETTLE_MS ? timeout_ms : REBOOT_SETTLE_MS);
	for (uint64_t now; (now = conn_now_ms(conn)) < limit;) {
		struct smp_request req;
		struct smp_client_rsp rsp;
		int err;

		if (wait > limit - now) {
			wait = (uint32_t)(limit - now);
		}
		smp_request_init(&req, req_buf, sizeof(req_buf));
		mgmt_os_echo(&req, "up?");
		req.timeout_ms = wait;
		err = conn_transact_once(conn, &req, rsp_buf, sizeof(rsp_buf), &rsp);
		if (err == 0 || err == -ENOBUFS) {
			return 0; /* any answer: the device is up */
		}
		if (err != -ETIMEDOUT) {
			pause(conn, wait); /* refused at once: give it the time it did not take */
		}
		wait = wait * 2u < REBOOT_PROBE_MAX_MS ? wait * 2u : REBOOT_PROBE_MAX_MS;
	}
	snprintf(why, why_cap, "the device did not answer within %u s of waiting for it to come "
		 "back", (unsigned)((timeout_ms + 999u) / 1000u));
	return -EHOSTUNREACH;
}
