/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's settings (group 3), modelled on Zephyr's settings subsystem: the
 * values the handlers hold in RAM (what read and write use) and the storage partition behind
 * them (what save, delete and load use). Only save and delete change storage, which is
 * mirrored to <state_dir>/settings; a reboot starts from the firmware's defaults with the
 * stored values loaded on top.
 */
#ifndef SIM_SETTINGS_H
#define SIM_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

struct sim_device;

/** One setting: its full name ("bt/name") and raw value. */
struct sim_setting {
	char *name;
	uint8_t *val;
	size_t len;
};

/** A set of settings, sorted by name. */
struct sim_setting_list {
	struct sim_setting *items;
	size_t count;
};

/** Settings group state. */
struct sim_settings {
	struct sim_setting_list ram;     /* the handlers' values */
	struct sim_setting_list storage; /* what the storage partition holds */
};

/**
 * Load the stored settings (from the state directory if the device has one) and boot with
 * them. @return 0, or a negative errno (nothing is left allocated then).
 */
int sim_settings_init(struct sim_device *dev);

/** Release the settings. */
void sim_settings_free(struct sim_device *dev);

/** Reboot: the RAM values are lost; defaults, then storage, are loaded again. */
void sim_settings_reboot(struct sim_device *dev);

/**
 * Erase the stored settings (the storage partition is erased); RAM values stay until the next
 * reboot, as on a device. @return 0 or a negative errno from the state directory.
 */
int sim_settings_erase(struct sim_device *dev);

/**
 * Put a RAM value back as it was before the client last went away (sim/ram.c), without
 * touching storage. @return 0 or -ENOMEM.
 */
int sim_settings_restore(struct sim_device *dev, const char *name, const uint8_t *val,
			 size_t len);

/**
 * The RAM value of setting @p name, or NULL (with *len 0) when there is none. It stays valid
 * until the settings change.
 */
const uint8_t *sim_settings_value(const struct sim_device *dev, const char *name, size_t *len);

#endif /* SIM_SETTINGS_H */
