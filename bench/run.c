/* SPDX-License-Identifier: Apache-2.0 */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ports/conn.h"
#include "../sim/conn.h"
#include "../sim/profile.h"

static void done(void *user, int err, const struct dfu_upload_result *result)
{
	struct bench_upload_end *end = user;

	end->done = true;
	end->err = err;
	end->result = *result;
}

const struct dfu_upload_ops bench_upload_ops = { NULL, done };

static bool finished(void *arg)
{
	return ((struct bench_upload_end *)arg)->done;
}

int bench_run(const char *profile, const char *strategy, const uint8_t *image, size_t size,
	      const uint8_t sha[32], unsigned window, struct bench_result *out)
{
	const struct sim_profile *p = sim_profile_find(profile);
	struct conn_options opt = { .timeout_ms = 10000 };
	struct sim_conn_config sim = { 0 };
	struct dfu_upload_config cfg = { .data = image, .size = size, .sha = sha };
	const struct conn_limits *limits;
	struct dfu_upload_limits tuning;
	struct conn_stats before, after;
	struct bench_upload_end w = { 0 };
	struct dfu_upload up;
	struct conn *conn;
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
	if (err || (err = conn_limits(conn, &limits)) != 0) {
		fprintf(stderr, "dfu-smp-bench: %s on %s: cannot connect: %s\n", strategy, profile,
			err ? why : "");
		return err;
	}
	conn_stats(conn, &before);
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
		dfu_upload_tune(&cfg, &tuning);
	}
	if (window) {
		cfg.window = window;
	}
	out->request_size = cfg.max_request;
	out->window = cfg.window;
	buf = malloc(cfg.window * cfg.max_request);
	start = conn_now_ms(conn);
	err = buf ? dfu_upload_start(&up, conn_client(conn), &cfg, buf, cfg.window * cfg.max_request,
				      &bench_upload_ops, &w)
		  : -ENOMEM;
	while (!err && !w.done && conn_run(conn, finished, &w) == 0) {
	}
	conn_stats(conn, &after);
	if (!err && w.done) {
		err = w.err;
		out->moved = w.err == 0;
		out->seconds = (double)(conn_now_ms(conn) - start) / 1000.0;
		out->requests = w.result.requests;
		out->recoveries = w.result.recoveries;
		snprintf(out->why, sizeof(out->why), "%s", w.result.message);
	}
	out->air_bytes = after.air_bytes - before.air_bytes;
	out->dropped = after.device_dropped - before.device_dropped;
	conn_close(conn);
	free(buf);
	return err == -EMSGSIZE ? 0 : err; /* a strategy that cannot move data is a result */
}

