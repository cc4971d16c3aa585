/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a person and a script see of a fleet (tools/fleet.h), as its observer:
 *   - on a terminal (stderr): one line per running device (name, phase, progress, rate)
 *     redrawn in place under a line of totals; a device's final line goes above them when it
 *     ends, so the scrollback keeps one line per device;
 *   - otherwise: a plain line on stderr per phase change and per end;
 *   - --json: JSON Lines on stdout, one event per phase change and one result per device;
 * and at the end a summary on stdout: a line per device (only those that failed when -q, or
 * when the terminal shows the others' already) and the totals with the time taken, or with
 * --json a "summary" event.
 */
#ifndef TOOLS_FLEET_VIEW_H
#define TOOLS_FLEET_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fleet.h"

/** The view. Caller-allocated; set up by fleet_view_init(). */
struct fleet_view {
	struct fleet *fleet;
	bool json;
	bool quiet;     /* -q: errors only */
	bool tty;       /* stderr is a terminal: redrawn in place */
	bool verbose;   /* -v: each device's log goes to stderr when it ends */
	bool outputs;   /* a device's output is shown when it ends (fleet run) */
	unsigned width, rows;
	unsigned live;  /* lines of the block on the terminal */
	uint64_t drawn_us;
	uint64_t t0_us;
};

/** The observer that shows a fleet through a struct fleet_view (its user). */
extern const struct fleet_observer fleet_view_observer;

/**
 * Set up @p v for @p f (whose observer and user it becomes) as the run's options say.
 * @p outputs: show each device's own output when it ends (fleet run), else only its outcome.
 */
void fleet_view_init(struct fleet_view *v, struct fleet *f, bool json, bool quiet, bool verbose,
		     bool outputs);

/**
 * The summary, once the fleet has run: text on stdout, or a JSON "summary" event.
 * @p interrupted: the run was stopped before every device had its turn.
 */
void fleet_view_summary(struct fleet_view *v, bool interrupted);

#endif /* TOOLS_FLEET_VIEW_H */
