/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake BlueZ for tests and demos: on the D-Bus bus named by DBUS_SYSTEM_BUS_ADDRESS it takes
 * the name org.bluez and exports, as bluetoothd does, one adapter (/org/bluez/hci0), one
 * device (or several, each on its own) that advertises while the adapter discovers, and each
 * device's SMP service, characteristic and CCC descriptor, with the standard ObjectManager and
 * Properties interfaces. Behind the GATT objects runs the simulated device (device.h), reached
 * over the simulated link (link.h) in virtual time that follows the wall clock: this side is
 * the link's central, as bluetoothd is on a real radio (ATT MTU exchange asking for 517, Write
 * Commands for writes, notifications out to AcquireNotify sockets or PropertiesChanged
 * signals). Several clients may scan at once (their discovery sessions are one scan, as
 * BlueZ merges them) and hold connections to different devices at once.
 *
 * What a client sees is what BlueZ 5.66 shows (../shared/spec/bluez-gatt-client.md): method
 * names, signatures, property names, error names and messages. A device reset drops the
 * connection (Connected false, acquired sockets hung up); the device then boots and can be
 * found and connected again.
 */
#ifndef SIM_BLUEZ_H
#define SIM_BLUEZ_H

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "gatt.h"
#include "link.h"

/** The device's address when none is given (a random static address). */
#define SIM_BLUEZ_DEFAULT_ADDRESS "C2:53:4D:50:00:01"
/** The device's advertised name when none is given. */
#define SIM_BLUEZ_DEFAULT_NAME "dfu-smp-sim"
/** The most devices one fake serves. */
#define SIM_BLUEZ_DEVICES_MAX 256u

/** Settings of sim_bluez_run(); zero fields take the defaults. */
struct sim_bluez_config {
	const char *address;  /**< the device's address, AA:BB:CC:DD:EE:FF; NULL for the default */
	const char *name;     /**< the device's advertised name; NULL for the default */
	/**
	 * Independent devices behind the adapter, 1 to SIM_BLUEZ_DEVICES_MAX (0: 1), each with
	 * the settings below. With more than one, device I is at @p address plus I, named
	 * "NAME-I", and keeps its state in the directory I inside @p dev.state_dir.
	 */
	unsigned count;
	/**
	 * Called once the fake owns org.bluez and printed its line, before it serves, with the
	 * devices' @p addresses (AA:BB:CC:DD:EE:FF, @p n of them, valid during the call) and
	 * @p ready_ctx; may be NULL. A negative errno it returns ends the run with it, @p why
	 * (@p why_cap bytes) saying why.
	 */
	int (*ready)(void *ctx, const char *const *addresses, unsigned n, char *why,
		     size_t why_cap);
	void *ready_ctx;
	/** AcquireWrite and AcquireNotify answer org.bluez.Error.NotPermitted, as some setups do */
	bool refuse_acquire;
	bool adapter_off;     /**< the adapter starts powered off */
	/** a newly swapped-in image crashes before it is confirmed, so MCUboot reverts it */
	bool rollback;
	/** the link drops once, after this many bytes were written (fault injection); 0 never */
	uint64_t drop_after;
	int verbose;          /**< log D-Bus calls and ATT traffic to stderr */
	/**
	 * A descriptor that becomes readable when the run is to end (the read end of the
	 * program's signal pipe): sim_bluez_run() returns then, without reading it. Required.
	 */
	int stop_fd;
	struct sim_device_config dev;  /**< the simulated device (state directory, slots...) */
	struct sim_gatt_config gatt;   /**< its GATT server (reassembly, MTU limit...) */
	struct sim_link_config link;   /**< the radio link (connection interval, PHY...) */
};

/**
 * Run the fake BlueZ until @p cfg->stop_fd is readable. It installs no signal handlers: the
 * program that runs it does, and makes stop_fd readable from them. It prints one line to
 * stdout once it owns org.bluez (the adapter, the device's address and name; with several,
 * the first's and the last's), so a test knows when to start, then calls @p cfg->ready. With a
 * state directory, each device's RAM is kept there at the end.
 * @return 0 once stopped; a negative errno when the device, the bus or the name cannot be set
 *         up or the bus fails, with @p why (@p why_cap bytes) saying why in one line.
 */
int sim_bluez_run(const struct sim_bluez_config *cfg, char *why, size_t why_cap);

#endif /* SIM_BLUEZ_H */
