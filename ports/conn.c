/* SPDX-License-Identifier: Apache-2.0 */
#include "conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"

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

struct run {
	struct conn *conn;
	bool (*done)(void *arg);
	void *arg;
};

/* Done, or nothing left that could make it so. */
static bool run_over(void *arg)
{
	struct run *r = arg;

	return r->done(r->arg) || (smp_client_idle(r->conn->client) && !conn_sending(r->conn));
}

int conn_run(struct conn *conn, bool (*done)(void *arg), void *arg)
{
	struct run r = { conn, done, arg };
	int err;

	if (conn->ops->run) {
		return conn->ops->run(conn, done, arg);
	}
	err = conn_run_until(conn, run_over, &r, UINT64_MAX);
	return err ? err : done(arg) ? 0 : -ETIMEDOUT;
}

void conn_explain(struct conn *conn, int err, size_t request_len, char *out, size_t cap)
{
	conn->ops->explain(conn, err, request_len, out, cap);
}

void conn_stats(struct conn *conn, struct conn_stats *out)
{
	*out = conn->stats;
	if (conn->ops->stats) {
		conn->ops->stats(conn, out);
	}
}

int conn_run_until(struct conn *conn, bool (*done)(void *arg), void *arg, uint64_t limit_ms)
{
	return conn->ops->run_until(conn, done, arg, limit_ms);
}

int conn_reconnect(struct conn *conn, uint32_t timeout_ms, char *why, size_t why_cap)
{
	return conn->ops->reconnect(conn, timeout_ms, why, why_cap);
}

bool conn_sending(struct conn *conn)
{
	return conn->ops->sending && conn->ops->sending(conn);
}

bool conn_connected(struct conn *conn)
{
	return conn->ops->connected(conn);
}

uint64_t conn_now_us(struct conn *conn)
{
	return conn->ops->now_us ? conn->ops->now_us(conn) : port_now_us();
}

uint64_t conn_now_ms(struct conn *conn)
{
	return conn_now_us(conn) / 1000u;
}

uint32_t conn_timeout_ms(const struct conn *conn)
{
	return conn->opt.timeout_ms ? conn->opt.timeout_ms : SMP_CLIENT_TIMEOUT_DEFAULT_MS;
}

void *conn_self(struct conn *conn)
{
	return conn;
}

struct smp_client_config conn_client_config(const struct conn_options *opt)
{
	struct smp_client_config cfg = {
		.timeout_ms = opt->timeout_ms,
		.version = opt->smp_version == 1 ? SMP_VERSION_1 : SMP_VERSION_2,
		.version_fixed = opt->smp_version != 0,
	};

	return cfg;
}

void conn_init(struct conn *conn, const struct conn_ops *ops, struct smp_client *client,
	       const struct conn_options *opt)
{
	memset(conn, 0, sizeof(*conn));
	conn->ops = ops;
	conn->client = client;
	conn->opt = *opt;
	conn->t0_us = conn_now_us(conn);
}

void conn_logf(struct conn *conn, const char *fmt, ...)
{
	va_list ap;

	if (!conn->opt.verbose) {
		return;
	}
	va_start(ap, fmt);
	port_vlogf(conn_now_us(conn) - conn->t0_us, conn->ops->name, fmt, ap);
	va_end(ap);
}

void conn_packet_logf(struct conn *conn, const char *fmt, ...)
{
	va_list ap;

	if (conn->opt.verbose < 2) {
		return;
	}
	va_start(ap, fmt);
	port_vlogf(conn_now_us(conn) - conn->t0_us, conn->ops->name, fmt, ap);
	va_end(ap);
}

static bool link_down(void *arg)
{
	return !conn_connected(arg);
}

int conn_await_drop(struct conn *conn, uint64_t limit_ms, uint32_t timeout_ms, char *why,
		    size_t why_cap)
{
	if (conn_connected(conn) && conn_run_until(conn, link_down, conn, limit_ms) != 0) {
		snprintf(why, why_cap, "the device did not reset: the link is still up after %u s",
			 (unsigned)(timeout_ms / 1000u));
		return -ETIMEDOUT;
	}
	return 0;
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
