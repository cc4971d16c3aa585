/* SPDX-License-Identifier: Apache-2.0 */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/ports/conn.h>
#include "../sim/conn.h"
#include "../sim/profile.h"

/* Resends of a request whose answer is lost, as ports/conn_udp.c makes by default. */
#define LOSSY_RETRIES 3u

static void done(void *user, int err, const struct dfu_smp_upload_result *result)
{
	struct bench_upload_end *end = user;

	end->done = true;
	end->err = err;
	end->result = *result;
}

const struct dfu_smp_upload_ops bench_upload_ops = { NULL, done };

static bool finished(void *arg)
{
	return ((struct bench_upload_end *)arg)->done;
}

/* Learning the limits through the device session, the connection's loop pumping it. */
struct learning {
	struct dfu_smp_conn *conn;
	bool done;
	int err;
};

static void set_reassembly(void *user, size_t max)
{
	struct dfu_smp_conn *conn = ((struct learning *)user)->conn;

	conn->ops->set_reassembly(conn, max);
}

static void set_device_limits(void *user, const struct dfu_smp_session_limits *limits)
{
	struct dfu_smp_conn *conn = ((struct learning *)user)->conn;

	conn->ops->set_device_limits(conn, limits);
}

static void learned(void *user, int err, const struct dfu_smp_session_result *result)
{
	struct learning *l = user;

	(void)result;
	l->done = true;
	l->err = err;
}

static bool learning_over(void *arg)
{
	return ((struct learning *)arg)->done;
}

/* What the device and the link take; the link is set up for them. @return 0 or an errno. */
static int learn_limits(struct dfu_smp_conn *conn, struct dfu_smp_session *s,
			const struct dfu_smp_session_limits **out)
{
	const struct dfu_smp_session_ops ops = {
		.set_reassembly = conn->ops->set_reassembly ? set_reassembly : NULL,
		.set_device_limits = conn->ops->set_device_limits ? set_device_limits : NULL,
		.done = learned,
	};
	const struct dfu_smp_session_config cfg = { .timeout_ms = dfu_smp_conn_timeout_ms(conn) };
	struct learning l = { .conn = conn };
	int err;

	dfu_smp_session_init(s, dfu_smp_conn_client(conn), &cfg, &ops, &l);
	dfu_smp_client_process(dfu_smp_conn_client(conn), dfu_smp_conn_now_ms(conn));
	err = dfu_smp_session_learn_limits(s);
	while (!err && !l.done) {
		uint64_t deadline = dfu_smp_session_deadline(s);

		if (deadline == UINT64_MAX) {
			return -ETIMEDOUT;
		}
		dfu_smp_conn_run_until(conn, learning_over, &l, deadline);
		dfu_smp_session_process(s, dfu_smp_conn_now_ms(conn));
	}
	*out = dfu_smp_session_limits(s);
	return err ? err : l.err;
}

/* One upload; every @p drop_every-th answer of the upload lost (0: none), resent as on UDP. */
static int run_upload(const char *profile, const char *strategy, const uint8_t *image,
		      size_t size, const uint8_t sha[32], unsigned window, unsigned drop_every,
		      struct bench_result *out)
{
	const struct sim_profile *p = sim_profile_find(profile);
	struct dfu_smp_conn_options opt = { .timeout_ms = 10000 };
	struct sim_conn_config sim = { 0 };
	struct dfu_smp_upload_config cfg = { .data = image, .size = size, .sha = sha };
	const struct dfu_smp_session_limits *limits;
	struct dfu_smp_upload_limits tuning;
	struct dfu_smp_session session;
	struct dfu_smp_conn_stats before, after;
	struct bench_upload_end w = { 0 };
	struct dfu_smp_upload up;
	struct dfu_smp_conn *conn;
	uint64_t start;
	uint8_t *buf;
	char why[300];
	int err;

	memset(out, 0, sizeof(*out));
	if (!p) {
		fprintf(stderr, "dfu-smp-bench: no profile '%s'\n", profile);
		return -EINVAL;
	}
	sim_profile_apply(p, &sim.dev, &sim.gatt, &sim.link);
	err = sim_conn_open(&sim, &opt, &conn, why, sizeof(why));
	if (err) {
		fprintf(stderr, "dfu-smp-bench: %s on %s: cannot connect: %s\n", strategy, profile,
			why);
		return err;
	}
	err = learn_limits(conn, &session, &limits);
	if (err) {
		fprintf(stderr, "dfu-smp-bench: %s on %s: cannot learn the device's limits: %s\n",
			strategy, profile, strerror(-err));
		dfu_smp_conn_close(conn);
		return err;
	}
	dfu_smp_conn_stats(conn, &before);
	if (strcmp(strategy, "naive") == 0) {
		/* one write per request, one request at a time, like the seed's sample */
		cfg.max_request = (size_t)before.mtu - 3u;
		if (limits->have_params && limits->buf_size < cfg.max_request) {
			cfg.max_request = limits->buf_size;
		}
		cfg.window = 1;
	} else {
		tuning.max_request = limits->max_request;
		tuning.have_params = limits->have_params;
		tuning.buf_count = limits->buf_count;
		tuning.window_max = 0;
		if (strcmp(strategy, "reassembly") == 0) {
			cfg.window = 1; /* the largest requests, one at a time, like smpclient */
		}
		dfu_smp_upload_tune(&cfg, &tuning);
	}
	if (window) {
		cfg.window = window;
	}
	if (drop_every) {
		cfg.retries = LOSSY_RETRIES;
		sim.drop_every = drop_every; /* from the upload's first answer on */
	}
	out->request_size = cfg.max_request;
	out->window = cfg.window;
	buf = malloc(cfg.window * cfg.max_request);
	start = dfu_smp_conn_now_ms(conn);
	err = buf ? dfu_smp_upload_start(&up, dfu_smp_conn_client(conn), &cfg, buf,
					 cfg.window * cfg.max_request, &bench_upload_ops, &w)
		  : -ENOMEM;
	while (!err && !w.done && dfu_smp_conn_run(conn, finished, &w) == 0) {
	}
	dfu_smp_conn_stats(conn, &after);
	if (!err && w.done) {
		err = w.err;
		out->moved = w.err == 0;
		out->seconds = (double)(dfu_smp_conn_now_ms(conn) - start) / 1000.0;
		out->requests = w.result.requests;
		out->recoveries = w.result.recoveries;
		out->covered = w.result.covered;
		snprintf(out->why, sizeof(out->why), "%s", w.result.message);
	}
	out->air_bytes = after.air_bytes - before.air_bytes;
	out->dropped = after.device_dropped - before.device_dropped;
	dfu_smp_conn_close(conn);
	free(buf);
	return err == -EMSGSIZE ? 0 : err; /* a strategy that cannot move data is a result */
}


int bench_run(const char *profile, const char *strategy, const uint8_t *image, size_t size,
	      const uint8_t sha[32], unsigned window, struct bench_result *out)
{
	return run_upload(profile, strategy, image, size, sha, window, 0, out);
}

int bench_run_lossy(const char *profile, const uint8_t *image, size_t size, const uint8_t sha[32],
		    unsigned drop_every, struct bench_result *out)
{
	return run_upload(profile, "auto", image, size, sha, 0, drop_every, out);
}
