/* SPDX-License-Identifier: Apache-2.0 */
#include "fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/central.h"
#include "../sim/conn.h"
#include "../sim/profile.h"
#include "../tools/fleet.h"
#include "../tools/tasks.h"

/* One device of the fleet: its simulated device and link, and when its upload ended. */
struct device {
	struct sim_fleet *fleet;
	struct sim_conn_config cfg; /* outlives its connection */
	char name[16];
	uint64_t upload_end_us;
};

struct sim_fleet {
	const struct sim_profile *profile;
	struct sim_sched sched;
	struct sim_central central;
	struct fleet f;
	struct tasks_clock clock;
};

static uint64_t clock_now(void *ctx)
{
	return sim_sched_now(ctx);
}

static uint64_t clock_next(void *ctx)
{
	return sim_sched_next(ctx);
}

static void clock_advance(void *ctx, uint64_t t_us)
{
	sim_sched_run_until(ctx, t_us);
}

/* A device's connection: a fresh device of the profile, behind the fleet's central. */
static int open_device(struct cli *cli, struct dfu_smp_conn **out, char *why, size_t why_cap)
{
	struct device *d = cli->user;
	struct sim_fleet *fl = d->fleet;

	memset(&d->cfg, 0, sizeof(d->cfg));
	sim_profile_apply(fl->profile, &d->cfg.dev, &d->cfg.gatt, &d->cfg.link);
	d->cfg.central = &fl->central;
	d->cfg.wait = tasks_wait_until;
	d->cfg.wait_ctx = &fl->f.tasks;
	return sim_conn_open(&d->cfg, &cli->opt, out, why, why_cap);
}

/* The upload ends when the device's phase moves on from it. */
static void phase(void *user, struct fleet_device *fd)
{
	struct device *d = fd->user;

	(void)user;
	if (!d->upload_end_us && fd->phase && strcmp(fd->phase, "uploading") != 0 &&
	    strcmp(fd->phase, "connecting") != 0 && strcmp(fd->phase, "checking") != 0 &&
	    strcmp(fd->phase, "erasing") != 0) {
		d->upload_end_us = fleet_now_us(fd->fleet);
	}
}

static const struct fleet_observer observer = { .phase = phase };

int bench_fleet_run(const char *profile, const char *image_path, size_t size, unsigned devices,
		    struct bench_fleet_result *out)
{
	struct sim_fleet *fl = calloc(1, sizeof(*fl));
	struct fleet_device *fds = calloc(devices, sizeof(*fds));
	struct device *ds = calloc(devices, sizeof(*ds));
	char *argv[] = { "upgrade", (char *)image_path };
	uint64_t start = UINT64_MAX, upload_end = 0, end = 0;
	struct sim_bound bound, air;
	struct sim_profile back_to_back;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->devices = devices;
	if (!fl || !fds || !ds) {
		err = -ENOMEM;
		goto done;
	}
	fl->profile = sim_profile_find(profile);
	if (!fl->profile) {
		err = -EINVAL;
		goto done;
	}
	sim_sched_init(&fl->sched);
	sim_central_init(&fl->central, &fl->sched, NULL);
	fl->clock = (struct tasks_clock){ clock_now, clock_next, clock_advance, &fl->sched };
	for (unsigned i = 0; i < devices; i++) {
		ds[i].fleet = fl;
		snprintf(ds[i].name, sizeof(ds[i].name), "sim-%u", i + 1);
		fds[i].name = ds[i].name;
		fds[i].open = open_device;
		fds[i].user = &ds[i];
		fds[i].simulated = true;
	}
	fl->f.prog = "dfu-smp";
	fl->f.devices = fds;
	fl->f.count = devices;
	fl->f.argc = 2;
	fl->f.argv = argv;
	fl->f.observer = &observer;
	err = fleet_run(&fl->f, &fl->clock);
	for (unsigned i = 0; !err && i < devices; i++) {
		const struct fleet_device *d = &fds[i];

		start = d->started_us < start ? d->started_us : start;
		end = d->ended_us > end ? d->ended_us : end;
		upload_end = ds[i].upload_end_us > upload_end ? ds[i].upload_end_us : upload_end;
		if (d->state == FLEET_OK) {
			out->ok++;
		} else if (!out->why[0]) {
			snprintf(out->why, sizeof(out->why), "%s: %.200s", d->name, d->reason);
		}
	}
	if (!err) {
		/*
		 * One link's bound leaves the end of every interval idle, where no further pair
		 * fits; behind a central another link's event can use it. The shared radio's
		 * capacity is every pair back to back: the same bound on one 4-second event.
		 */
		sim_profile_bound(fl->profile, size, &bound);
		back_to_back = *fl->profile;
		back_to_back.link.interval_us = 4000000;
		back_to_back.link.event_length_us = 0;
		sim_profile_bound(&back_to_back, size, &air);
		out->upload_seconds = (double)(upload_end - start) / 1e6;
		out->upgrade_seconds = (double)(end - start) / 1e6;
		out->link_seconds = (double)bound.link_us / 1e6;
		out->air_seconds = (double)air.link_us / 1e6;
		out->flash_seconds = (double)bound.flash_us / 1e6;
		out->bound_seconds = (double)(air.link_us * devices > bound.flash_us
						      ? air.link_us * devices
						      : bound.flash_us) / 1e6;
		out->lost_events = sim_central_stats(&fl->central)->lost;
	}
	fleet_free(&fl->f);
	sim_sched_free(&fl->sched);
done:
	free(ds);
	free(fds);
	free(fl);
	return err;
}
