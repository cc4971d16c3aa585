/* SPDX-License-Identifier: Apache-2.0 */
/* The progress display of long commands: see progress.h. */
#include "progress.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The phase's name takes this many columns, then a space, on every line. */
#define NAME_COLS 12
/* The rate is measured over spans of at least this long, and smoothed over about this long. */
#define SAMPLE_MS 250u
#define SMOOTH_MS 2000.0
/* A terminal's bar: at least this many cells, or none; at most this many. */
#define BAR_MIN 10u
#define BAR_MAX 50u
/* The erase to the end of the line. */
#define EL "\033[K"

/* The display whose line is on the terminal, without its newline (for progress_break()). */
static struct progress *on_screen; /* or whose phase runs, not on a terminal */

void progress_init(struct progress *p, FILE *out, bool tty, unsigned width, bool quiet)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->tty = tty;
	p->quiet = quiet;
	p->width = width >= 2 ? width : 2;
}

void progress_watch(struct progress *p, void (*watch)(void *user, const struct progress *p),
		    void *user)
{
	p->watch = watch;
	p->watch_user = user;
}

static void tell(const struct progress *p)
{
	if (p->watch) {
		p->watch(p->watch_user, p);
	}
}

void progress_init_stderr(struct progress *p, bool plain, bool quiet)
{
	progress_init(p, stderr, isatty(STDERR_FILENO) && !plain, progress_width(STDERR_FILENO),
		      quiet);
}

void progress_break(void)
{
	struct progress *p = on_screen;

	if (p && p->live) {
		fputc('\n', p->out);
		fflush(p->out);
		p->live = false;
	}
	if (p) {
		p->phase = NULL;
		p->transfer = false;
	}
	on_screen = NULL;
}

unsigned progress_width(int fd)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");

	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		return ws.ws_col;
	}
	if (env && *env) {
		char *end;
		long n = strtol(env, &end, 10);

		if (*end == '\0' && n > 0 && n < 100000) {
			return (unsigned)n;
		}
	}
	return 80;
}

double progress_rate(const struct progress *p)
{
	if (p->rated) {
		return p->rate;
	}
	if (p->now_ms > p->phase_ms && p->done > p->base) {
		return (double)(p->done - p->base) * 1000.0 / (double)(p->now_ms - p->phase_ms);
	}
	return 0.0;
}

/* Appends to @p buf (of @p cap, holding *@p len) what fits. */
static void add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len + 1 >= cap) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n > 0) {
		*len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
	}
}

/* "ETA m:ss" (h:mm:ss past an hour), "ETA --:--" when the rate is not known. */
static void eta(const struct progress *p, char *buf, size_t cap)
{
	double rate = progress_rate(p);
	unsigned long long s;

	if (p->total && p->done >= p->total) {
		s = 0;
	} else if (!p->total || rate <= 0.0) {
		snprintf(buf, cap, "ETA --:--");
		return;
	} else {
		s = (unsigned long long)((double)(p->total - p->done) / rate + 0.999);
	}
	if (s >= 3600) {
		snprintf(buf, cap, "ETA %llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
	} else {
		snprintf(buf, cap, "ETA %llu:%02llu", s / 60, s % 60);
	}
}

static unsigned percent(const struct progress *p)
{
	if (!p->total) {
		return 0;
	}
	return p->done >= p->total ? 100u : (unsigned)(p->done * 100u / p->total);
}

static void rate_str(const struct progress *p, char *buf, size_t cap)
{
	double rate = progress_rate(p);

	if (rate > 0.0) {
		snprintf(buf, cap, "%.1f kB/s", rate / 1000.0);
	} else {
		snprintf(buf, cap, "-- kB/s");
	}
}

size_t progress_format_bar(const struct progress *p, unsigned width, char *buf, size_t cap)
{
	char stats[4][96], rate[32], left[32], name[NAME_COLS + 8];
	size_t max = width > 1 ? width - 1 : 0, len = 0, name_len, stats_len = 0;
	unsigned pct = percent(p);
	int pick = -1;

	if (cap == 0) {
		return 0;
	}
	buf[0] = '\0';
	if (max >= cap) {
		max = cap - 1;
	}
	rate_str(p, rate, sizeof(rate));
	eta(p, left, sizeof(left));
	snprintf(name, sizeof(name), width >= 60 ? "%-*s " : "%.*s ", NAME_COLS,
		 p->phase ? p->phase : "");
	name_len = strlen(name);
	/* what there is room for: everything, then less and less */
	if (p->total) {
		snprintf(stats[0], sizeof(stats[0]), "%3u%% %.1f/%.1f KiB %s %s", pct,
			 (double)p->done / 1024.0, (double)p->total / 1024.0, rate, left);
		snprintf(stats[1], sizeof(stats[1]), "%3u%% %.1f/%.1f KiB %s", pct,
			 (double)p->done / 1024.0, (double)p->total / 1024.0, left);
		snprintf(stats[2], sizeof(stats[2]), "%3u%% %s", pct, left);
		snprintf(stats[3], sizeof(stats[3]), "%3u%%", pct);
	} else {
		snprintf(stats[0], sizeof(stats[0]), "%.1f KiB %s", (double)p->done / 1024.0, rate);
		snprintf(stats[1], sizeof(stats[1]), "%.1f KiB", (double)p->done / 1024.0);
		snprintf(stats[2], sizeof(stats[2]), "%.1f KiB", (double)p->done / 1024.0);
		snprintf(stats[3], sizeof(stats[3]), "%.1f KiB", (double)p->done / 1024.0);
	}
	for (int i = 0; i < 4 && pick < 0; i++) {
		if (name_len + strlen(stats[i]) <= max) {
			pick = i;
			stats_len = strlen(stats[i]);
		}
	}
	if (pick < 0) {
		pick = 3;
		stats_len = strlen(stats[3]);
	}
	add(buf, cap, &len, "%s", name);
	if (p->total && name_len + stats_len + 3 + BAR_MIN <= max) {
		size_t cells = max - name_len - stats_len - 3;
		size_t filled;

		if (cells > BAR_MAX) {
			cells = BAR_MAX;
		}
		filled = (size_t)((double)cells * (double)pct / 100.0);
		add(buf, cap, &len, "[");
		for (size_t i = 0; i < cells; i++) {
			add(buf, cap, &len, "%c", i < filled ? '#' : '.');
		}
		add(buf, cap, &len, "] ");
	}
	add(buf, cap, &len, "%s", stats[pick]);
	if (len > max) {
		len = max;
		buf[len] = '\0';
	}
	return len;
}

size_t progress_format_end(const struct progress *p, uint64_t now_ms, bool finished, char *buf,
			   size_t cap)
{
	uint64_t ms = now_ms > p->phase_ms ? now_ms - p->phase_ms : 0;
	double s = (double)ms / 1000.0;
	size_t len = 0;

	if (cap == 0) {
		return 0;
	}
	buf[0] = '\0';
	add(buf, cap, &len, "%-*s ", NAME_COLS, p->phase ? p->phase : "");
	if (!p->transfer) {
		add(buf, cap, &len, finished ? "%.1f s" : "stopped after %.1f s", s);
		return len;
	}
	if (p->total && p->done < p->total) {
		add(buf, cap, &len, "%.1f of %.1f KiB", (double)p->done / 1024.0,
		    (double)p->total / 1024.0);
	} else {
		add(buf, cap, &len, "%.1f KiB", (double)p->done / 1024.0);
	}
	add(buf, cap, &len, " in %.1f s", s);
	if (ms > 0 && p->done > p->base) {
		add(buf, cap, &len, " (%.1f kB/s)", (double)(p->done - p->base) / (double)ms);
	}
	if (!finished) {
		add(buf, cap, &len, ", stopped");
	}
	return len;
}

/* On a terminal: the running phase's line, in place of what is on it. */
static void draw(struct progress *p)
{
	char line[PROGRESS_LINE_MAX];

	if (p->transfer) {
		progress_format_bar(p, p->width, line, sizeof(line));
		p->drawn = true;
		p->drawn_ms = p->now_ms;
		p->drawn_done = p->done;
	} else {
		size_t max = p->width - 1 < sizeof(line) - 1 ? p->width - 1 : sizeof(line) - 1;

		snprintf(line, sizeof(line), "%-*s ...", NAME_COLS, p->phase ? p->phase : "");
		line[max] = '\0';
	}
	fprintf(p->out, "\r%s" EL, line);
	fflush(p->out);
	p->live = true;
	on_screen = p;
}

void progress_end(struct progress *p, uint64_t now_ms, bool finished)
{
	char line[PROGRESS_LINE_MAX];
	size_t len;

	if (p->quiet || !p->phase) {
		p->phase = NULL;
		return;
	}
	len = progress_format_end(p, now_ms, finished, line, sizeof(line));
	if (p->tty) {
		if (len > p->width - 1) {
			line[p->width - 1] = '\0';
		}
		fprintf(p->out, "\r%s" EL "\n", line);
	} else {
		fprintf(p->out, "%s\n", line);
	}
	fflush(p->out);
	p->live = false;
	p->phase = NULL;
	p->transfer = false;
	if (on_screen == p) {
		on_screen = NULL;
	}
}

static void begin(struct progress *p, const char *name, uint64_t now_ms)
{
	progress_end(p, now_ms, true);
	p->phase = name;
	p->phase_ms = now_ms;
	p->now_ms = now_ms;
	p->transfer = false;
	p->drawn = false;
	p->rated = false;
	p->rate = 0.0;
	if (!p->quiet) {
		on_screen = p;
	}
}

void progress_phase(struct progress *p, const char *name, uint64_t now_ms)
{
	if (p->phase && strcmp(p->phase, name) == 0 && !p->transfer) {
		return;
	}
	begin(p, name, now_ms);
	tell(p);
	if (!p->quiet && p->tty) {
		draw(p);
	}
}

bool progress_rename(struct progress *p, const char *from, const char *to)
{
	if (!p->phase || p->transfer || strcmp(p->phase, from) != 0) {
		return false;
	}
	p->phase = to;
	tell(p);
	if (!p->quiet && p->tty) {
		draw(p);
	}
	return true;
}

/* The first tenth at or past @p p->base that prints a line (never the tenth of the start). */
static unsigned first_tenth(const struct progress *p)
{
	return p->total ? (unsigned)(p->base * 10u / p->total) + 1u : 0u;
}

void progress_transfer(struct progress *p, const char *name, uint64_t base, uint64_t total,
		       uint64_t now_ms)
{
	begin(p, name, now_ms);
	p->transfer = true;
	p->base = base;
	p->done = base;
	p->total = total;
	p->sample_ms = now_ms;
	p->sample_done = base;
	p->next_tenth = first_tenth(p);
	tell(p);
	if (!p->quiet && p->tty) {
		draw(p);
	}
}

/* A span of SAMPLE_MS or more since the last sample: its rate goes into the smoothed one. */
static void sample(struct progress *p)
{
	uint64_t dt = p->now_ms - p->sample_ms;
	double inst;

	if (p->now_ms < p->sample_ms || dt < SAMPLE_MS || p->done < p->sample_done) {
		return;
	}
	inst = (double)(p->done - p->sample_done) * 1000.0 / (double)dt;
	if (!p->rated) {
		p->rate = inst;
		p->rated = true;
	} else {
		p->rate += (inst - p->rate) * (double)dt / ((double)dt + SMOOTH_MS);
	}
	p->sample_ms = p->now_ms;
	p->sample_done = p->done;
}

void progress_update(struct progress *p, uint64_t done, uint64_t total, uint64_t now_ms)
{
	bool first_total = total && !p->total;

	if (!p->transfer) {
		return;
	}
	p->done = done;
	p->total = total;
	p->now_ms = now_ms;
	if (first_total) {
		p->next_tenth = first_tenth(p);
	}
	sample(p);
	tell(p);
	if (p->quiet) {
		return;
	}
	if (p->tty) {
		bool at_end = p->total && p->done >= p->total && p->drawn_done != p->done;

		if (!p->drawn || now_ms - p->drawn_ms >= PROGRESS_REDRAW_MS || at_end) {
			draw(p);
		}
		return;
	}
	if (p->total && p->done < p->total) {
		unsigned tenth = (unsigned)(p->done * 10u / p->total);

		if (tenth >= p->next_tenth) {
			char rate[32], left[32];

			rate_str(p, rate, sizeof(rate));
			eta(p, left, sizeof(left));
			fprintf(p->out, "%-*s %llu of %llu bytes (%u%%), %s, %s\n", NAME_COLS,
				p->phase, (unsigned long long)p->done,
				(unsigned long long)p->total, percent(p), rate, left);
			fflush(p->out);
			p->next_tenth = tenth + 1u;
		}
	}
}

void progress_note(struct progress *p, const char *fmt, ...)
{
	va_list ap;

	if (p->quiet) {
		return;
	}
	if (p->live) {
		fputs("\r" EL, p->out);
	}
	va_start(ap, fmt);
	vfprintf(p->out, fmt, ap);
	va_end(ap);
	fputc('\n', p->out);
	if (p->live) {
		draw(p);
	}
	fflush(p->out);
}
