/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device session (dfu-smp/dfu/session.h) under the CLI's blocking event loop: dfu_smp_conn_run_until()
 * serves the link until the session has something to do, a reconnection it asks for is made
 * with dfu_smp_conn_reconnect() (which blocks), a link that drops is reported to it, and a stop flag
 * (set by a signal handler of the command) aborts the job.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static size_t on_max_size(void *user)
{
	struct cli *cli = user;
	size_t max = dfu_smp_client_max_size(dfu_smp_conn_client(cli->conn));

	return cli->conn->request_best && cli->conn->request_best < max ? cli->conn->request_best
									    : max;
}

static void on_set_reassembly(void *user, size_t max)
{
	struct cli *cli = user;

	cli->conn->ops->set_reassembly(cli->conn, max);
}

static void on_set_device_limits(void *user, const struct dfu_smp_session_limits *limits)
{
	struct cli *cli = user;

	cli->conn->ops->set_device_limits(cli->conn, limits);
}

static void on_reconnect(void *user, enum dfu_smp_session_reconnect why, uint32_t timeout_ms)
{
	struct cli_session *cs = &((struct cli *)user)->session;

	cs->reconnect = true;
	cs->reconnect_why = why;
	cs->reconnect_ms = timeout_ms;
	cs->link_up = false;
}

static void on_step(void *user, enum dfu_smp_upgrade_step step, const char *detail)
{
	struct cli_session *cs = &((struct cli *)user)->session;

	if (cs->step) {
		cs->step(cs->user, step, detail);
	}
}

static void on_progress(void *user, const struct dfu_smp_upload_progress *progress)
{
	struct cli_session *cs = &((struct cli *)user)->session;

	if (cs->progress) {
		cs->progress(cs->user, progress);
	}
}

static void on_done(void *user, int err, const struct dfu_smp_session_result *result)
{
	struct cli_session *cs = &((struct cli *)user)->session;

	cs->done = true;
	cs->err = err;
	cs->result = *result;
}

int cli_session_begin(struct cli *cli)
{
	struct cli_session *cs = &cli->session;
	int status = cli_connect(cli);

	if (status) {
		return status;
	}
	if (!cs->ready) {
		const struct dfu_smp_session_config cfg = {
			.link_stays_up = cli->conn->link_stays_up,
			.timeout_ms = cli->opt.timeout_ms,
			.retries = cli->conn->retries,
			.window_max = cli->conn->window_max,
			.reboot_timeout_ms = cli->reboot_timeout_ms,
			/* a device gone in the middle of a job has as long to come back */
			.reconnect_timeout_ms = cli->reboot_timeout_ms,
		};

		cs->ops = (struct dfu_smp_session_ops){
			.max_size = on_max_size,
			.set_reassembly = cli->conn->ops->set_reassembly ? on_set_reassembly : NULL,
			.set_device_limits =
				cli->conn->ops->set_device_limits ? on_set_device_limits : NULL,
			.reconnect = on_reconnect,
			.step = on_step,
			.progress = on_progress,
			.done = on_done,
		};
		dfu_smp_session_init(&cs->session, dfu_smp_conn_client(cli->conn), &cfg, &cs->ops,
				     cli);
		cs->ready = true;
		cs->link_up = true;
	}
	cs->done = false;
	cs->err = 0;
	cs->reconnect = false;
	memset(&cs->result, 0, sizeof(cs->result));
	/* a request's wait counts from now, however long the command took since the last run */
	dfu_smp_client_process(dfu_smp_conn_client(cli->conn), dfu_smp_conn_now_ms(cli->conn));
	return 0;
}

/* The loop has something to hand the session, or the session something new to wait for. */
static bool wake(void *arg)
{
	struct cli *cli = arg;
	struct cli_session *cs = &cli->session;

	return cs->done || cs->reconnect || (cs->stop && *cs->stop) ||
	       (cs->link_up && !dfu_smp_conn_connected(cli->conn)) ||
	       dfu_smp_session_deadline(&cs->session) < cs->limit_ms;
}

static void reconnect(struct cli *cli)
{
	struct cli_session *cs = &cli->session;
	char why[300] = "";
	int err;

	cs->reconnect = false;
	if (cs->reconnect_why == DFU_SMP_SESSION_RECONNECT_LOST && cs->lost) {
		cs->lost(cs->user, dfu_smp_session_step(&cs->session));
	}
	err = dfu_smp_conn_reconnect(cli->conn, cs->reconnect_ms, why, sizeof(why));
	/* the time it took counts, not against the requests sent next */
	dfu_smp_client_process(dfu_smp_conn_client(cli->conn), dfu_smp_conn_now_ms(cli->conn));
	if (err) {
		if (cli->opt.verbose) {
			fprintf(stderr, "%s\n", why);
		}
		dfu_smp_session_link_down(&cs->session, err, why[0] ? why : NULL);
		return;
	}
	cs->link_up = true;
	dfu_smp_session_link_up(&cs->session);
}

/* Nothing the loop can do moves the job on: it ends with @p err. */
static void stalled(struct cli *cli, int err)
{
	struct cli_session *cs = &cli->session;

	dfu_smp_session_abort(&cs->session);
	cs->err = err;
	cs->result.aborted = false;
	snprintf(cs->result.message, sizeof(cs->result.message), "%s",
		 err == -ETIMEDOUT ? "nothing more happens on the link" : strerror(-err));
	snprintf(cs->result.upgrade.message, sizeof(cs->result.upgrade.message), "%s",
		 cs->result.message);
}

void cli_session_run(struct cli *cli)
{
	struct cli_session *cs = &cli->session;
	struct dfu_smp_session *s = &cs->session;
	const struct dfu_smp_session_limits *limits;
	bool aborted = false;

	while (!cs->done) {
		uint64_t deadline;
		int err;

		if (cs->stop && *cs->stop && !aborted) {
			aborted = true;
			dfu_smp_session_abort(s);
			continue;
		}
		if (cs->reconnect) {
			reconnect(cli);
			continue;
		}
		if (cs->link_up && !dfu_smp_conn_connected(cli->conn)) {
			cs->link_up = false;
			dfu_smp_session_link_down(s, -ENOTCONN, NULL);
			continue;
		}
		deadline = dfu_smp_session_deadline(s);
		if (deadline == UINT64_MAX && dfu_smp_conn_sending(cli->conn)) {
			/* requests wait behind bytes the port still paces out: their time has not
			 * begun; the port's own pacing wakes the loop */
			deadline =
				dfu_smp_conn_now_ms(cli->conn) + dfu_smp_conn_timeout_ms(cli->conn);
		} else if (deadline == UINT64_MAX) {
			stalled(cli, -ETIMEDOUT);
			break;
		}
		cs->limit_ms = deadline;
		err = dfu_smp_conn_run_until(cli->conn, wake, cli, deadline);
		dfu_smp_session_process(s, dfu_smp_conn_now_ms(cli->conn));
		if (err && err != -ETIMEDOUT && !cs->done) {
			stalled(cli, err);
		}
	}
	/* the connection's messages name the limits it works with */
	limits = dfu_smp_session_limits(s);
	cli->conn->limits_known = limits != NULL;
	if (limits) {
		cli->conn->limits = *limits;
	}
}
