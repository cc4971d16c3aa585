#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int conn_open(const char *spec, const struct conn_options *opt, struct conn **out, char *why,
	      size_t why_cap)
{
	if (strcmp(spec, "sim") == 0) {
		return conn_sim_open("", opt, out, why, why_cap);
	}
	snprintf(why, why_cap, "unknown connection '%s': the only kind in this build is 'sim' "
		 "(the simulated device)", spec);
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

int conn_transact(struct conn *conn, struct smp_request *req, uint8_t *rsp_buf, size_t cap,
		  struct smp_client_rsp *rsp)
{
	struct transaction t = { .buf = rsp_buf, .cap = cap, .rsp = rsp };
	int err;

	req->cb = transaction_done;
	req->user = &t;
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
