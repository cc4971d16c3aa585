/* SPDX-License-Identifier: Apache-2.0 */
#include "fleet_view.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "progress.h"

/* The terminal's block is redrawn at most this often, but at once for a phase or an end. */
#define REDRAW_US 200000u

/* The streams of the program: a device's task has its own stdout and stderr. */
static FILE *out_stream, *err_stream;

void fleet_view_init(struct fleet_view *v, struct fleet *f, bool json, bool quiet, bool verbose,
		     bool outputs)
{
	struct winsize ws;

	memset(v, 0, sizeof(*v));
	out_stream = stdout;
	err_stream = stderr;
	v->fleet = f;
	v->json = json;
	v->quiet = quiet;
	v->verbose = verbose;
	v->outputs = outputs;
	v->tty = !json && !quiet && !verbose && isatty(STDERR_FILENO);
	v->width = 80;
	v->rows = 24;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 && ws.ws_row > 4) {
		v->width = ws.ws_col;
		v->rows = ws.ws_row;
	}
	v->t0_us = fleet_now_us(f);
	f->observer = &fleet_view_observer;
	f->user = v;
}

/* Seconds from the start to @p t_us, to the millisecond. */
static double since(const struct fleet_view *v, uint64_t t_us)
{
	return t_us > v->t0_us ? (double)((t_us - v->t0_us) / 1000u) / 1e3 : 0.0;
}

/* One JSON Lines event on stdout. */
static void emit(json_t *event)
{
	if (event) {
		json_dumpf(event, out_stream,
			   JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
		fputc('\n', out_stream);
		fflush(out_stream);
		json_decref(event);
	}
}

/* "uploading 45% 123.4 kB/s" or "rebooting", into @p buf. */
static void describe(const struct fleet_device *d, char *buf, size_t cap)
{
	const char *phase = d->phase ? d->phase : "connecting";

	if (d->total && d->done) {
		int n = snprintf(buf, cap, "%-10s %3u%%  %.1f/%.1f KiB", phase,
				 (unsigned)(d->done * 100u / d->total), (double)d->done / 1024.0,
				 (double)d->total / 1024.0);

		if (d->rate > 0 && n > 0 && (size_t)n < cap) {
			snprintf(buf + n, cap - (size_t)n, "  %.1f kB/s", d->rate / 1000.0);
		}
	} else {
		snprintf(buf, cap, "%s", phase);
	}
}

/* A device's outcome in one line, without its name. */
static void outcome(const struct fleet_view *v, const struct fleet_device *d, char *buf,
		    size_t cap)
{
	double s = d->ended_us > d->started_us ? (double)(d->ended_us - d->started_us) / 1e6 : 0;

	(void)v;
	switch (d->state) {
	case FLEET_OK:
		snprintf(buf, cap, "ok in %.1f s", s);
		break;
	case FLEET_SKIPPED:
		snprintf(buf, cap, "skipped: %s", d->reason);
		break;
	case FLEET_FAILED:
		snprintf(buf, cap, "failed (%s): %s", d->kind[0] ? d->kind : "failed", d->reason);
		break;
	case FLEET_RUNNING:
		snprintf(buf, cap, "cut short while %s", d->phase ? d->phase : "connecting");
		break;
	default:
		snprintf(buf, cap, "not started");
		break;
	}
}

static size_t name_width(const struct fleet *f)
{
	size_t w = 4;

	for (size_t i = 0; i < f->count; i++) {
		size_t n = strlen(f->devices[i].name);

		w = n > w ? n : w;
	}
	return w > 24 ? 24 : w;
}

/* One line for the terminal, cut to its width. */
static void put_line(const struct fleet_view *v, const char *text)
{
	fprintf(err_stream, "\r%.*s\033[K\n", (int)(v->width - 1), text);
}

/* The terminal's block: the running devices and the totals, redrawn over the last one. */
static void redraw(struct fleet_view *v, const struct fleet_device *ended)
{
	const struct fleet *f = v->fleet;
	unsigned counts[5] = { 0 };
	unsigned room = v->rows > 4 ? v->rows - 3 : 1, shown = 0, lines = 0;
	int w = (int)name_width(f);
	char line[512], what[400];

	if (v->live) {
		fprintf(err_stream, "\033[%uA\r\033[J", v->live);
	}
	if (ended) {
		outcome(v, ended, what, sizeof(what));
		snprintf(line, sizeof(line), "%-*s  %s", w, ended->name, what);
		put_line(v, line);
	}
	for (size_t i = 0; i < f->count; i++) {
		const struct fleet_device *d = &f->devices[i];

		counts[d->state]++;
		if (d->state != FLEET_RUNNING) {
			continue;
		}
		if (shown < room) {
			describe(d, what, sizeof(what));
			snprintf(line, sizeof(line), "%-*s  %s", w, d->name, what);
			put_line(v, line);
			shown++;
			lines++;
		}
	}
	if (counts[FLEET_RUNNING] > shown) {
		snprintf(line, sizeof(line), "... and %u more running", counts[FLEET_RUNNING] - shown);
		put_line(v, line);
		lines++;
	}
	snprintf(line, sizeof(line), "%u ok, %u skipped, %u failed, %u running, %u waiting; %.1f s",
		 counts[FLEET_OK], counts[FLEET_SKIPPED], counts[FLEET_FAILED],
		 counts[FLEET_RUNNING], counts[FLEET_WAITING], since(v, fleet_now_us(f)));
	put_line(v, line);
	lines++;
	fflush(err_stream);
	v->live = lines;
	v->drawn_us = fleet_now_us(f);
}

/* Each line of @p text, after "NAME: ", on @p stream. */
static void prefixed(FILE *stream, const char *name, const char *text)
{
	while (text && *text) {
		const char *nl = strchr(text, '\n');
		int n = nl ? (int)(nl - text) : (int)strlen(text);

		fprintf(stream, "%s: %.*s\n", name, n, text);
		text += n + (nl ? 1 : 0);
	}
}

static void on_started(void *user, struct fleet_device *d)
{
	struct fleet_view *v = user;

	if (v->json) {
		emit(json_pack("{s:s, s:s, s:s, s:f}", "event", "start", "device", d->name, "conn",
			       d->conn ? d->conn : "", "time", since(v, d->started_us)));
	} else if (v->tty) {
		redraw(v, NULL);
	}
}

static void on_phase(void *user, struct fleet_device *d)
{
	struct fleet_view *v = user;

	if (v->json) {
		emit(json_pack("{s:s, s:s, s:s, s:f}", "event", "phase", "device", d->name, "phase",
			       d->phase, "time", since(v, fleet_now_us(v->fleet))));
	} else if (v->tty) {
		redraw(v, NULL);
	} else if (!v->quiet && !v->outputs) {
		fprintf(err_stream, "%s: %s\n", d->name, d->phase);
		fflush(err_stream);
	}
}

static void on_progress(void *user, struct fleet_device *d)
{
	struct fleet_view *v = user;

	(void)d;
	if (v->tty && fleet_now_us(v->fleet) - v->drawn_us >= REDRAW_US) {
		redraw(v, NULL);
	}
}

static void on_ended(void *user, struct fleet_device *d)
{
	struct fleet_view *v = user;
	char what[600];

	if (v->json) {
		json_t *event = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f}", "event", "result",
					  "device", d->name, "conn", d->conn ? d->conn : "",
					  "status", fleet_state_name(d->state), "exit", d->status,
					  "seconds", (double)((d->ended_us - d->started_us) / 1000u) / 1e3);

		json_object_set_new(event, "error",
				    d->state == FLEET_FAILED
					    ? json_pack("{s:s, s:s}", "kind", d->kind, "message",
							d->reason)
					    : json_null());
		if (d->state == FLEET_SKIPPED) {
			json_object_set_new(event, "reason", json_string(d->reason));
		}
		json_object_set_new(event, "result", d->doc ? json_incref(d->doc) : json_null());
		emit(event);
		return;
	}
	if (v->verbose && d->err && d->err[0]) {
		prefixed(err_stream, d->name, d->err);
	}
	if (v->outputs && d->out && (!v->quiet || d->state == FLEET_FAILED)) {
		if (v->tty && v->live) {
			fprintf(err_stream, "\033[%uA\r\033[J", v->live);
			v->live = 0;
		}
		prefixed(out_stream, d->name, d->out);
		fflush(out_stream);
	}
	if (v->tty) {
		redraw(v, d);
	} else if ((!v->quiet && !v->outputs) || d->state == FLEET_FAILED) {
		outcome(v, d, what, sizeof(what));
		fprintf(err_stream, "%s: %s\n", d->name, what);
		fflush(err_stream);
	}
}

const struct fleet_observer fleet_view_observer = {
	.started = on_started,
	.phase = on_phase,
	.progress = on_progress,
	.ended = on_ended,
};

void fleet_view_summary(struct fleet_view *v, bool interrupted)
{
	const struct fleet *f = v->fleet;
	unsigned counts[5] = { 0 };
	double total = since(v, fleet_now_us(f));
	int w = (int)name_width(f);
	char what[600];
	bool brief;

	for (size_t i = 0; i < f->count; i++) {
		counts[f->devices[i].state]++;
	}
	if (v->json) {
		emit(json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:b}", "event", "summary",
			       "devices", (json_int_t)f->count, "ok", (json_int_t)counts[FLEET_OK],
			       "skipped", (json_int_t)counts[FLEET_SKIPPED], "failed",
			       (json_int_t)counts[FLEET_FAILED], "not_started",
			       (json_int_t)(counts[FLEET_WAITING] + counts[FLEET_RUNNING]),
			       "seconds", total, "interrupted", interrupted));
		return;
	}
	if (v->tty && v->live) {
		fprintf(err_stream, "\033[%uA\r\033[J", v->live);
		fflush(err_stream);
		v->live = 0;
	}
	/* on the terminal every device's line is on the screen already: the failures again */
	brief = v->quiet || (v->tty && isatty(STDOUT_FILENO));
	for (size_t i = 0; i < f->count; i++) {
		const struct fleet_device *d = &f->devices[i];

		if (brief && d->state != FLEET_FAILED) {
			continue;
		}
		outcome(v, d, what, sizeof(what));
		fprintf(out_stream, "%-*s  %s\n", w, d->name, what);
	}
	fprintf(out_stream, "%zu device%s in %.1f s: %u ok, %u skipped, %u failed", f->count,
		f->count == 1 ? "" : "s", total, counts[FLEET_OK], counts[FLEET_SKIPPED],
		counts[FLEET_FAILED]);
	if (counts[FLEET_WAITING] + counts[FLEET_RUNNING]) {
		fprintf(out_stream, ", %u not done", counts[FLEET_WAITING] + counts[FLEET_RUNNING]);
	}
	fprintf(out_stream, "%s\n", interrupted ? " (interrupted)" : "");
	fflush(out_stream);
}
