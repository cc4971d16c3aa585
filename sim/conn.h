/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device in this process, reached over the simulated BLE link in virtual time,
 * as a connection of dfu-smp/ports/conn.h (struct dfu_smp_conn): what `dfu-smp-sim -- COMMAND`, the tests and
 * the benchmark talk to. The central side here is what a BLE port does on a real stack:
 * exchange the MTU, discover the SMP service by UUID with ATT requests, then carry the GATT
 * DFU SMP client's writes and notifications. A reset the device was asked for drops the link;
 * the device boots (MCUboot's swap or revert included) and dfu_smp_conn_reconnect() finds it again.
 *
 * Several connections may share one virtual clock and one central's radio (sim/central.h), as
 * one process upgrading a fleet does: their config's sched, central and wait.
 */
#ifndef SIM_CONN_H
#define SIM_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/ports/conn.h>
#include "central.h"
#include "device.h"
#include "gatt.h"
#include "link.h"

/** The simulated device and its link; zero fields take the defaults. */
struct sim_conn_config {
	struct sim_device_config dev; /**< the device (state directory, slots, buffers...) */
	struct sim_gatt_config gatt;  /**< its GATT server (reassembly, MTU limit...) */
	struct sim_link_config link;  /**< the radio link (connection interval, PHY...) */
	/** a newly swapped-in image crashes before it is confirmed, so MCUboot reverts it */
	bool rollback;
	/** the link drops once, after this many bytes were written (fault injection); 0 never */
	uint64_t drop_after;
	/**
	 * every Nth answer that comes in one notification is lost (fault injection, as
	 * `dfu-smp-sim --drop-every`); 0 never. Read as answers come: it may be set once
	 * connected, for what follows only.
	 */
	unsigned drop_every;
	/**
	 * the virtual clock to run on, shared with other connections (NULL: one of its own, or
	 * the central's when @c central is set). Whoever owns a shared clock runs it: the
	 * connection then needs @c wait.
	 */
	struct sim_sched *sched;
	/**
	 * the central whose radio the link shares with the central's other links (NULL: a radio
	 * of its own); it runs on the central's clock, which @c sched must be if set.
	 */
	struct sim_central *central;
	/**
	 * NULL: the connection runs its clock forward itself whenever it waits for something (an
	 * answer, the device's reset, an ATT response...). Set: it calls wait(@c wait_ctx, done,
	 * arg, limit_us) instead, which must return 0 once done(arg) is true, or -ETIMEDOUT once
	 * the shared clock has reached limit_us (or when nothing will ever make done() true),
	 * while its owner runs the clock (sim_sched_run_until()) meanwhile. done() may schedule
	 * events of this connection on the clock: ask it again after running the clock and
	 * before looking for the clock's next event.
	 */
	int (*wait)(void *ctx, bool (*done)(void *arg), void *arg, uint64_t limit_us);
	void *wait_ctx; /**< the first argument of @c wait */
};

/**
 * Start the simulated device of @p cfg and connect to it as @p opt says (its mtu,
 * timeout_ms, verbose, smp_version apply; the other fields are for real links).
 * @p cfg and the strings it points to must outlive the connection. The device's state is kept
 * in its state directory, if it has one, when the connection is closed (dfu_smp_conn_close()).
 * @return 0 with *@p out set; a negative errno with @p why (@p why_cap bytes) saying why in one
 *         line: the state directory cannot be used, out of memory, the device is not found
 *         on the link (no SMP service), or (-EINVAL) @p cfg's sched is not its central's.
 */
int sim_conn_open(const struct sim_conn_config *cfg, const struct dfu_smp_conn_options *opt,
		  struct dfu_smp_conn **out, char *why, size_t why_cap);

#endif /* SIM_CONN_H */
