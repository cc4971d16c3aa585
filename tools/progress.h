/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The progress display of long commands (upgrade, image upload, fs upload and download), on
 * stderr: one line per phase of the job ("uploading    480.6 KiB in 15.4 s (31.2 kB/s)"),
 * printed when the phase ends with how long it took, and during a transfer its progress.
 *
 * On a terminal the running phase is one line redrawn in place ('\r', then erase to the end of
 * the line), never wider than the terminal less one column: its name while it runs, a bar with
 * bytes, percent, rate and time left during a transfer (redrawn at most every
 * PROGRESS_REDRAW_MS, and at 100%), then the phase's line: the scrollback keeps one line per
 * phase. Otherwise (a file, a pipe) plain lines: a transfer's progress at each tenth, then the
 * phase's line. Quiet (--json): nothing.
 *
 * The display reads no clock: every call takes the time (ms, of any monotonic clock; the same
 * one for a phase from its start to its end).
 */
#ifndef TOOLS_PROGRESS_H
#define TOOLS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/** A terminal's bar is redrawn at most this often. */
#define PROGRESS_REDRAW_MS 100u

/** Room for one line of the display (longer terminals get this much). */
#define PROGRESS_LINE_MAX 256u

/** The display. Caller-allocated; fields are private. */
struct progress {
	FILE *out;
	bool tty;
	bool quiet;
	unsigned width;         /* the terminal's columns */
	const char *phase;      /* the running phase's name, NULL between phases */
	uint64_t phase_ms;      /* when it began */
	bool live;              /* a line without its newline is on the terminal */
	/* the running phase's transfer */
	bool transfer;
	uint64_t base;          /* bytes done when it began */
	uint64_t done;
	uint64_t total;         /* 0 while unknown */
	uint64_t now_ms;        /* of the last update */
	bool drawn;             /* the bar was drawn once */
	uint64_t drawn_ms;
	uint64_t drawn_done;
	unsigned next_tenth;    /* not a terminal: the next tenth that prints a line */
	double rate;            /* smoothed bytes per second */
	bool rated;             /* rate holds a measure */
	uint64_t sample_ms;     /* the last rate sample */
	uint64_t sample_done;
	/* told of every phase and of a transfer's progress (progress_watch()) */
	void (*watch)(void *user, const struct progress *p);
	void *watch_user;
};

/**
 * From now on @p watch(@p user, @p p) is called whenever a phase begins or a transfer moves on
 * (a fleet shows each device's phase, tools/fleet.c): the phase is @p p->phase, a transfer's
 * bytes @p p->done of @p p->total, its rate progress_rate(). NULL: no one watches.
 */
void progress_watch(struct progress *p, void (*watch)(void *user, const struct progress *p),
		    void *user);

/**
 * Set up @p p, writing to @p out (not closed). @p tty: @p out is a terminal, of @p width
 * columns (progress_width()). @p quiet: print nothing at all.
 */
void progress_init(struct progress *p, FILE *out, bool tty, unsigned width, bool quiet);

/**
 * The columns of the terminal @p fd is: its window size, else the COLUMNS environment
 * variable, else 80.
 */
unsigned progress_width(int fd);

/**
 * The phase @p name (a string that outlives it, e.g. "resetting") begins at @p now_ms; the
 * running one, unless it has that name already (then nothing changes), ends first, as by
 * progress_end() with @p finished true. On a terminal, the name is shown while it runs.
 */
void progress_phase(struct progress *p, const char *name, uint64_t now_ms);

/**
 * If the running phase is @p from (not a transfer), it is called @p to (a string that
 * outlives it) from now on, and keeps its start. @return true if it was.
 */
bool progress_rename(struct progress *p, const char *from, const char *to);

/**
 * A transfer phase @p name begins at @p now_ms (the running phase ends first, as by
 * progress_phase()), at @p base bytes of @p total (0: not known yet). Its rate counts the
 * bytes from @p base.
 */
void progress_transfer(struct progress *p, const char *name, uint64_t base, uint64_t total,
		       uint64_t now_ms);

/**
 * The running transfer has @p done bytes of @p total (0: still not known) at @p now_ms:
 * the terminal's bar is redrawn (at most every PROGRESS_REDRAW_MS, and when it reaches the
 * total), or a line printed at each tenth passed. Ignored outside a transfer phase.
 */
void progress_update(struct progress *p, uint64_t done, uint64_t total, uint64_t now_ms);

/**
 * The running phase ends at @p now_ms: its line is printed, how long it took (and for a
 * transfer the bytes, with " of TOTAL" while short of it, and the rate); @p finished false
 * says it stopped there (the job failed or was interrupted). Nothing without a phase.
 */
void progress_end(struct progress *p, uint64_t now_ms, bool finished);

/**
 * A line of its own (@p fmt, printf's; no newline), shown above the running phase's: on a
 * terminal that one is cleared first and drawn again after.
 */
void progress_note(struct progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Something else is about to be written to the terminal (an error): the line of the display
 * on it, if any, is left as it stands and ended, and its phase forgotten (no line ends it).
 * For the messages of tools/cli.c, which know no display.
 */
void progress_break(void);

/**
 * Set up @p p as progress_init() does for stderr: a terminal (of progress_width() columns)
 * unless it is not one or @p plain (the link's log lines, with -v, come between), nothing at
 * all when @p quiet.
 */
void progress_init_stderr(struct progress *p, bool plain, bool quiet);

/**
 * Formats the terminal's line of the running transfer into @p buf (@p cap bytes), at most
 * @p width - 1 characters: name, bar (where there is room), percent, bytes, rate, time left.
 * @return its length.
 */
size_t progress_format_bar(const struct progress *p, unsigned width, char *buf, size_t cap);

/**
 * Formats the line a phase ends with (see progress_end()) into @p buf (@p cap bytes), without
 * its newline. @return its length.
 */
size_t progress_format_end(const struct progress *p, uint64_t now_ms, bool finished, char *buf,
			   size_t cap);

/** The smoothed rate of the running transfer at its last update, in bytes per second (0: not
 * known). */
double progress_rate(const struct progress *p);

#endif /* TOOLS_PROGRESS_H */
