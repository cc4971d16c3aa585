/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/ports/conn.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/ports/log.h>
#include <dfu-smp/ports/loop.h>

int dfu_smp_conn_open(const char *spec, const struct dfu_smp_conn_options *opt,
		      struct dfu_smp_conn **out, char *why, size_t why_cap)
{
	if (strncmp(spec, "udp:", 4) == 0) {
		return dfu_smp_conn_udp_open(spec + 4, opt, out, why, why_cap);
	}
	if (strncmp(spec, "serial:", 7) == 0) {
		return dfu_smp_conn_serial_open(spec + 7, opt, out, why, why_cap);
	}
	if (strncmp(spec, "ble:", 4) == 0) {
		return dfu_smp_conn_ble_open(spec + 4, opt, out, why, why_cap);
	}
	snprintf(why, why_cap, "unknown connection '%s': use udp:HOST[:PORT], serial:PATH[@BAUD], "
		 "ble:ADDRESS or ble:name=NAME", spec);
	return -EINVAL;
}

void dfu_smp_conn_close(struct dfu_smp_conn *conn)
{
	if (conn) {
		conn->ops->close(conn);
	}
}

struct dfu_smp_client *dfu_smp_conn_client(struct dfu_smp_conn *conn)
{
	return conn->client;
}

struct run {
	struct dfu_smp_conn *conn;
	bool (*done)(void *arg);
	void *arg;
};

/* Done, or nothing left that could make it so. */
static bool run_over(void *arg)
{
	struct run *r = arg;

	return r->done(r->arg) ||
	       (dfu_smp_client_idle(r->conn->client) && !dfu_smp_conn_sending(r->conn));
}

int dfu_smp_conn_run(struct dfu_smp_conn *conn, bool (*done)(void *arg), void *arg)
{
	struct run r = { conn, done, arg };
	int err;

	if (conn->ops->run) {
		return conn->ops->run(conn, done, arg);
	}
	err = dfu_smp_conn_run_until(conn, run_over, &r, UINT64_MAX);
	return err ? err : done(arg) ? 0 : -ETIMEDOUT;
}

void dfu_smp_conn_explain(struct dfu_smp_conn *conn, int err, size_t request_len, char *out,
			  size_t cap)
{
	const struct dfu_smp_client_stats *st = dfu_smp_client_stats(conn->client);
	uint32_t unmatched = st->dropped - st->malformed;
	size_t n;

	conn->ops->explain(conn, err, request_len, out, cap);
	if (err != -ETIMEDOUT || st->dropped == 0) {
		return;
	}
	/* the device did speak: what it said was no answer to what was asked */
	n = strlen(out);
	if (st->malformed && n < cap) {
		n += (size_t)snprintf(out + n, cap - n, "; %u messages came back that are no SMP "
				      "message (shorter than a header or than the length it gives)",
				      (unsigned)st->malformed);
	}
	if (unmatched && n < cap) {
		snprintf(out + n, cap - n, "; %u messages came back that answered no request "
			 "sent (another sequence number, group, command or op)",
			 (unsigned)unmatched);
	}
}

void dfu_smp_conn_stats(struct dfu_smp_conn *conn, struct dfu_smp_conn_stats *out)
{
	*out = conn->stats;
	if (conn->ops->stats) {
		conn->ops->stats(conn, out);
	}
}

int dfu_smp_conn_run_until(struct dfu_smp_conn *conn, bool (*done)(void *arg), void *arg,
			   uint64_t limit_ms)
{
	return conn->ops->run_until(conn, done, arg, limit_ms);
}

int dfu_smp_conn_reconnect(struct dfu_smp_conn *conn, uint32_t timeout_ms, char *why,
			   size_t why_cap)
{
	return conn->ops->reconnect(conn, timeout_ms, why, why_cap);
}

bool dfu_smp_conn_sending(struct dfu_smp_conn *conn)
{
	return conn->ops->sending && conn->ops->sending(conn);
}

bool dfu_smp_conn_connected(struct dfu_smp_conn *conn)
{
	return conn->ops->connected(conn);
}

uint64_t dfu_smp_conn_now_us(struct dfu_smp_conn *conn)
{
	return conn->ops->now_us ? conn->ops->now_us(conn) : dfu_smp_port_now_us();
}

uint64_t dfu_smp_conn_now_ms(struct dfu_smp_conn *conn)
{
	return dfu_smp_conn_now_us(conn) / 1000u;
}

uint32_t dfu_smp_conn_timeout_ms(const struct dfu_smp_conn *conn)
{
	return conn->opt.timeout_ms ? conn->opt.timeout_ms : DFU_SMP_CLIENT_TIMEOUT_DEFAULT_MS;
}

void *dfu_smp_conn_self(struct dfu_smp_conn *conn)
{
	return conn;
}

struct dfu_smp_client_config dfu_smp_conn_client_config(const struct dfu_smp_conn_options *opt)
{
	struct dfu_smp_client_config cfg = {
		.timeout_ms = opt->timeout_ms,
		.version = opt->smp_version == 1 ? DFU_SMP_PROTO_V1 : DFU_SMP_PROTO_V2,
		.version_fixed = opt->smp_version != 0,
	};

	return cfg;
}

void dfu_smp_conn_init(struct dfu_smp_conn *conn, const struct dfu_smp_conn_ops *ops,
		       struct dfu_smp_client *client, const struct dfu_smp_conn_options *opt)
{
	memset(conn, 0, sizeof(*conn));
	conn->ops = ops;
	conn->client = client;
	conn->opt = *opt;
	conn->t0_us = dfu_smp_conn_now_us(conn);
}

void dfu_smp_conn_logf(struct dfu_smp_conn *conn, const char *fmt, ...)
{
	va_list ap;

	if (!conn->opt.verbose) {
		return;
	}
	va_start(ap, fmt);
	dfu_smp_port_vlogf(dfu_smp_conn_now_us(conn) - conn->t0_us, conn->ops->name, fmt, ap);
	va_end(ap);
}

void dfu_smp_conn_packet_logf(struct dfu_smp_conn *conn, const char *fmt, ...)
{
	va_list ap;

	if (conn->opt.verbose < 2) {
		return;
	}
	va_start(ap, fmt);
	dfu_smp_port_vlogf(dfu_smp_conn_now_us(conn) - conn->t0_us, conn->ops->name, fmt, ap);
	va_end(ap);
}

static bool link_down(void *arg)
{
	return !dfu_smp_conn_connected(arg);
}

int dfu_smp_conn_await_drop(struct dfu_smp_conn *conn, uint64_t limit_ms, uint32_t timeout_ms,
			    char *why, size_t why_cap)
{
	if (dfu_smp_conn_connected(conn) &&
	    dfu_smp_conn_run_until(conn, link_down, conn, limit_ms) != 0) {
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
	struct dfu_smp_client_rsp *rsp;
};

static void transaction_done(struct dfu_smp_request *req, int err,
			     const struct dfu_smp_client_rsp *rsp)
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

int dfu_smp_conn_transact_once(struct dfu_smp_conn *conn, struct dfu_smp_request *req,
			       uint8_t *rsp_buf, size_t cap, struct dfu_smp_client_rsp *rsp)
{
	struct transaction t = { .buf = rsp_buf, .cap = cap, .rsp = rsp };
	int err;

	req->cb = transaction_done;
	req->user = &t;
	/* the timeout counts from now, however long the caller took since the last run */
	dfu_smp_client_process(conn->client, dfu_smp_conn_now_ms(conn));
	err = dfu_smp_client_submit(conn->client, req);
	if (err) {
		return err;
	}
	err = dfu_smp_conn_run(conn, transaction_finished, &t);
	if (err) {
		dfu_smp_client_cancel(conn->client, req);
		return err;
	}
	return t.err;
}

int dfu_smp_conn_transact(struct dfu_smp_conn *conn, struct dfu_smp_request *req, uint8_t *rsp_buf,
			  size_t cap, struct dfu_smp_client_rsp *rsp)
{
	uint32_t timeout_ms = req->timeout_ms;
	uint8_t retries = req->retries;
	uint32_t total;
	int err;

	if (retries || !conn->retries) {
		return dfu_smp_conn_transact_once(conn, req, rsp_buf, cap, rsp);
	}
	/* the caller's wait stays what it was: a lost datagram or frame costs only a share */
	total = timeout_ms ? timeout_ms : dfu_smp_conn_timeout_ms(conn);
	dfu_smp_request_spread(req, total, conn->retries);
	err = dfu_smp_conn_transact_once(conn, req, rsp_buf, cap, rsp);
	req->retries = retries;
	req->timeout_ms = timeout_ms;
	return err;
}
