/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fleet: one command run on many devices at once from one process, in one event loop.
 * Every device's command is the ordinary dfu-smp command (cli_run()), run as a task of its own
 * (tools/tasks.h) with its output kept in memory, at most `parallel` of them at a time; a
 * device that fails never stops the others. What each device is doing (its phase, a
 * transfer's progress) and how each ended is told to an observer as it happens.
 */
#ifndef TOOLS_FLEET_H
#define TOOLS_FLEET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cli.h"
#include "tasks.h"

/** Where a device of a fleet stands. */
enum fleet_state {
	FLEET_WAITING = 0, /**< not started yet */
	FLEET_RUNNING,
	FLEET_OK,          /**< its command succeeded */
	FLEET_SKIPPED,     /**< nothing to do: it was up to date already */
	FLEET_FAILED,      /**< its command failed: reason says why */
};

/** The word a state is shown and written (JSON, the journal) as: "ok", "failed"... */
const char *fleet_state_name(enum fleet_state state);

/** One device of a fleet. */
struct fleet_device {
	/* given by the caller */
	const char *name;
	const char *conn;      /**< its --conn; NULL when @p open is set */
	int argc;              /**< its own global options (--mtu 247, --timeout 20...) */
	char **argv;
	/** opens the device instead of @p conn (a program with devices of its own) */
	int (*open)(struct cli *cli, struct dfu_smp_conn **out, char *why, size_t why_cap);
	void *user;            /**< for @p open: becomes cli->user */
	bool simulated;        /**< cli->simulated */
	/**
	 * what it holds while it runs, that no other device may (a serial port, a UDP host and
	 * port): devices with the same key run one after the other; NULL: nothing
	 */
	const char *key;
	/** the BLE adapter it is reached through ("hci0"), whose connections are counted; NULL */
	const char *adapter;

	/* kept up to date while it runs */
	enum fleet_state state;
	const char *phase;     /**< the running phase ("uploading"); NULL before the first */
	uint64_t done, total;  /**< a transfer's bytes */
	double rate;           /**< its bytes per second, 0 while unknown */
	uint64_t started_us, ended_us; /**< on the fleet's clock */

	/* at its end */
	int status;            /**< its command's exit status (CLI_EXIT_*) */
	json_t *doc;           /**< the JSON document its last command printed, or NULL */
	char *out;             /**< what its last command printed on stdout (NUL-ended) */
	char *err;             /**< ... and on stderr */
	char kind[24];         /**< failed: the error's kind (CLI_KIND_*) */
	char reason[512];      /**< failed: why, in one line; skipped: why */
	void *data;            /**< the caller's */
	struct fleet *fleet;   /* private */
};

struct fleet;

/** What the caller hears of, as it happens; each may be NULL. */
struct fleet_observer {
	void (*started)(void *user, struct fleet_device *d);
	/** d->phase changed */
	void (*phase)(void *user, struct fleet_device *d);
	/** d->done moved on (at most every few hundred milliseconds) */
	void (*progress)(void *user, struct fleet_device *d);
	/** d has ended: state, status, doc, out, err, reason set */
	void (*ended)(void *user, struct fleet_device *d);
};

/** The fleet. Caller-allocated: set the fields above `private`, zero the rest. */
struct fleet {
	const char *prog;
	struct fleet_device *devices;
	size_t count;
	/** at most this many at once; 0: all */
	unsigned parallel;
	/** at most this many at once through one BLE adapter; 0: no limit */
	unsigned adapter_max;
	/** the command line run on every device: global options, the command and its arguments */
	int argc;
	char **argv;
	/** upgrade: the package, read and checked once (cli->files) */
	const struct package *files;
	/** when it becomes non-zero, every running command is aborted and no more start */
	const volatile sig_atomic_t *stop;
	/**
	 * What is done with a device, in its task; NULL: fleet_command() with argc, argv, then
	 * fleet_settle(). @return nothing: the device's state says how it ended.
	 */
	void (*job)(struct fleet *f, struct fleet_device *d);
	const struct fleet_observer *observer;
	void *user;

	/* private */
	struct tasks tasks;
	unsigned running;
};

/**
 * Run the fleet's job on every device, each in its task, until all have ended: at most
 * f->parallel at once, f->adapter_max per adapter, one at a time per key, in the order given
 * as far as those allow. A device not started when f->stop became non-zero stays waiting. @p clock: virtual time (the devices are simulated on that clock; their waits
 * call tasks_wait_until() with &f->tasks); NULL: the wall clock.
 * @return 0, or a negative errno when the fleet itself could not run (out of memory, poll()).
 */
int fleet_run(struct fleet *f, const struct tasks_clock *clock);

/**
 * In a device's task: run one command line on @p d (@p argc words: global options, command,
 * arguments; its --conn and own options go first), keeping its output in d->out, d->err and,
 * if it is JSON, d->doc (those of an earlier command are freed).
 * @return the command's exit status.
 */
int fleet_command(struct fleet *f, struct fleet_device *d, int argc, char **argv);

/**
 * Set d->state from the last command's exit status and output: ok, or failed with its kind and
 * reason (the JSON error's, else the last line on stderr).
 */
void fleet_settle(struct fleet_device *d);

/** The fleet's clock in microseconds (virtual when it runs on a clock). */
uint64_t fleet_now_us(const struct fleet *f);

/** Free what the devices' runs left (out, err, doc). */
void fleet_free(struct fleet *f);

#endif /* TOOLS_FLEET_H */
