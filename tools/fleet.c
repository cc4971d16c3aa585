/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE /* open_memstream() */
#include "fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/ports/loop.h>
#include "progress.h"

/* A transfer's progress is told at most this often (fleet clock), and at its end. */
#define PROGRESS_TELL_US 250000u

const char *fleet_state_name(enum fleet_state state)
{
	switch (state) {
	case FLEET_RUNNING:
		return "running";
	case FLEET_OK:
		return "ok";
	case FLEET_SKIPPED:
		return "skipped";
	case FLEET_FAILED:
		return "failed";
	default:
		return "waiting";
	}
}

uint64_t fleet_now_us(const struct fleet *f)
{
	const struct tasks_clock *c = f->tasks.clock;

	return c ? c->now_us(c->ctx) : dfu_smp_port_now_us();
}

/* A device whose command runs, and what its watch last told. */
struct running {
	struct fleet *f;
	struct fleet_device *d;
	uint64_t told_us;
};

static void watch(void *user, const struct progress *p)
{
	struct running *r = user;
	struct fleet_device *d = r->d;
	const struct fleet_observer *o = r->f->observer;
	uint64_t now = fleet_now_us(r->f);

	if (!p->phase) {
		return;
	}
	if (!d->phase || strcmp(d->phase, p->phase) != 0) {
		d->phase = p->phase;
		d->done = p->transfer ? p->done : 0;
		d->total = p->transfer ? p->total : 0;
		d->rate = 0;
		r->told_us = now;
		if (o && o->phase) {
			o->phase(r->f->user, d);
		}
		return;
	}
	if (!p->transfer) {
		return;
	}
	d->done = p->done;
	d->total = p->total;
	d->rate = progress_rate(p);
	if (now - r->told_us >= PROGRESS_TELL_US || (p->total && p->done >= p->total)) {
		r->told_us = now;
		if (o && o->progress) {
			o->progress(r->f->user, d);
		}
	}
}

/* Read what a stream kept in memory into a NUL-ended string (never NULL). */
static char *take(FILE *stream, char **buf)
{
	if (stream) {
		fclose(stream);
	}
	if (!*buf) {
		*buf = calloc(1, 1);
	}
	return *buf;
}

int fleet_command(struct fleet *f, struct fleet_device *d, int argc, char **argv)
{
	struct running r = { f, d, 0 };
	char **words = calloc((size_t)(argc + d->argc + 4), sizeof(*words));
	struct cli *cli = calloc(1, sizeof(*cli));
	char *out = NULL, *err = NULL;
	size_t out_len, err_len;
	FILE *out_stream, *err_stream;
	int n = 0;

	free(d->out);
	free(d->err);
	json_decref(d->doc);
	d->out = d->err = NULL;
	d->doc = NULL;
	out_stream = open_memstream(&out, &out_len);
	err_stream = open_memstream(&err, &err_len);
	if (!words || !cli || !out_stream || !err_stream) {
		free(words);
		free(cli);
		d->out = take(out_stream, &out);
		d->err = take(err_stream, &err);
		snprintf(d->reason, sizeof(d->reason), "out of memory");
		d->status = CLI_EXIT_FAIL;
		return d->status;
	}
	words[n++] = (char *)f->prog;
	if (d->conn) {
		words[n++] = "--conn";
		words[n++] = (char *)d->conn;
	}
	for (int i = 0; i < d->argc; i++) {
		words[n++] = d->argv[i];
	}
	for (int i = 0; i < argc; i++) {
		words[n++] = argv[i];
	}
	cli->prog = f->prog;
	cli->open = d->open;
	cli->user = d->user;
	cli->simulated = d->simulated;
	cli->watch = watch;
	cli->watch_user = &r;
	cli->stop = f->stop;
	cli->files = f->files;
	tasks_set_output(&f->tasks, out_stream, err_stream);
	d->status = cli_run(cli, n, words);
	tasks_set_output(&f->tasks, NULL, NULL);
	d->out = take(out_stream, &out);
	d->err = take(err_stream, &err);
	if (d->out[0] == '{') {
		d->doc = json_loads(d->out, 0, NULL);
	}
	free(cli);
	free(words);
	return d->status;
}

/* The last line of @p text that holds something, into @p out. */
static void last_line(const char *text, char *out, size_t cap)
{
	const char *end = text + strlen(text);

	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ')) {
		end--;
	}
	const char *start = end;

	while (start > text && start[-1] != '\n' && start[-1] != '\r') {
		start--;
	}
	snprintf(out, cap, "%.*s", (int)(end - start), start);
}

void fleet_settle(struct fleet_device *d)
{
	json_t *error = d->doc ? json_object_get(d->doc, "error") : NULL;
	const char *outcome = d->doc ? json_string_value(json_object_get(d->doc, "outcome"))
				     : NULL;

	d->kind[0] = '\0';
	d->reason[0] = '\0';
	if (d->status == CLI_EXIT_OK) {
		d->state = FLEET_OK;
		if (outcome && (strcmp(outcome, "up to date") == 0 ||
				strcmp(outcome, "already running") == 0)) {
			d->state = FLEET_SKIPPED;
			snprintf(d->reason, sizeof(d->reason), "%s",
				 strcmp(outcome, "up to date") == 0
					 ? "it runs this version or a newer one"
					 : "it runs the package already, confirmed");
		}
		return;
	}
	d->state = FLEET_FAILED;
	if (json_is_object(error)) {
		const char *kind = json_string_value(json_object_get(error, "kind"));
		const char *message = json_string_value(json_object_get(error, "message"));

		snprintf(d->kind, sizeof(d->kind), "%s", kind ? kind : CLI_KIND_FAILED);
		snprintf(d->reason, sizeof(d->reason), "%s", message ? message : "");
	} else {
		snprintf(d->kind, sizeof(d->kind), "%s",
			 d->status == CLI_EXIT_USAGE  ? CLI_KIND_USAGE
			 : d->status == CLI_EXIT_LINK ? CLI_KIND_LINK
						      : CLI_KIND_FAILED);
		last_line(d->err ? d->err : "", d->reason, sizeof(d->reason));
	}
	if (!d->reason[0]) {
		snprintf(d->reason, sizeof(d->reason), "exit status %d", d->status);
	}
}

/* Whether @p d may start now, beside the devices running. */
static bool startable(const struct fleet *f, const struct fleet_device *d)
{
	unsigned on_adapter = 0;

	if (d->state != FLEET_WAITING) {
		return false;
	}
	for (size_t i = 0; i < f->count; i++) {
		const struct fleet_device *r = &f->devices[i];

		if (r->state != FLEET_RUNNING) {
			continue;
		}
		if (d->key && r->key && strcmp(d->key, r->key) == 0) {
			return false;
		}
		on_adapter += d->adapter && r->adapter && strcmp(d->adapter, r->adapter) == 0;
	}
	return !f->adapter_max || !d->adapter || on_adapter < f->adapter_max;
}

static void device_task(void *arg);

/* Start what may start, as far as the limits allow. */
static void start_more(struct fleet *f)
{
	for (size_t i = 0; i < f->count && !(f->stop && *f->stop); i++) {
		struct fleet_device *d = &f->devices[i];
		int err;

		if (f->parallel && f->running >= f->parallel) {
			return;
		}
		if (!startable(f, d)) {
			continue;
		}
		d->fleet = f;
		d->state = FLEET_RUNNING;
		f->running++;
		err = tasks_spawn(&f->tasks, device_task, d);
		if (err) {
			f->running--;
			d->state = FLEET_FAILED;
			snprintf(d->kind, sizeof(d->kind), "%s", CLI_KIND_FAILED);
			snprintf(d->reason, sizeof(d->reason), "no task could be made: %s",
				 strerror(-err));
		}
	}
}

/* A device's task: its job, then what its end lets start. */
static void device_task(void *arg)
{
	struct fleet_device *d = arg;
	struct fleet *f = d->fleet;
	const struct fleet_observer *o = f->observer;

	d->phase = NULL;
	d->started_us = fleet_now_us(f);
	if (o && o->started) {
		o->started(f->user, d);
	}
	if (f->job) {
		f->job(f, d);
	} else {
		fleet_command(f, d, f->argc, f->argv);
		fleet_settle(d);
	}
	if (d->state == FLEET_RUNNING) {
		d->state = FLEET_FAILED;
		snprintf(d->reason, sizeof(d->reason), "its run ended without an outcome");
	}
	d->ended_us = fleet_now_us(f);
	f->running--;
	if (o && o->ended) {
		o->ended(f->user, d);
	}
	start_more(f);
}

int fleet_run(struct fleet *f, const struct tasks_clock *clock)
{
	int err = tasks_init(&f->tasks, clock, 0);

	f->running = 0;
	if (!err) {
		start_more(f);
		err = tasks_run(&f->tasks);
	}
	tasks_free(&f->tasks);
	return err;
}

void fleet_free(struct fleet *f)
{
	for (size_t i = 0; i < f->count; i++) {
		struct fleet_device *d = &f->devices[i];

		free(d->out);
		free(d->err);
		json_decref(d->doc);
		d->out = d->err = NULL;
		d->doc = NULL;
	}
}
