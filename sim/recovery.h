/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's bootloader in MCUboot's serial recovery mode: MCUboot itself answers
 * SMP on the UART, before any application runs. It speaks the subset of smp-groups.md
 * ("MCUboot serial recovery"), always in version 1 style (`rc` only, never `err`), and copies
 * each request's header into its answer (the version bits too):
 *   - OS 0 echo; OS 1 console echo (`{"rc":0}`); OS 5 reset (`{"rc":0}`, then the reboot
 *     250 ms later: the application boots if the primary slot holds a valid image, else the
 *     bootloader stays in recovery); OS 6 parameters (buf_size as configured, default
 *     BOOT_SERIAL_MAX_RECEIVE_SIZE 1024; buf_count 1);
 *   - IMG 0 state read and write (a write changes nothing): per slot that holds an image only
 *     `slot`, `version` and `hash` (`image` too with several images), no flags, no
 *     `splitStatus`; IMG 1 upload, written straight into the primary slot of the image asked
 *     (default image 0), answered `{"rc":0,"off":N}`;
 *   - anything else `{"rc":8}`.
 * A request longer than BOOT_SERIAL_MAX_RECEIVE_SIZE gets no answer, whatever buf_size says.
 */
#ifndef SIM_RECOVERY_H
#define SIM_RECOVERY_H

#include <stddef.h>
#include <stdint.h>

#include "device.h"

/** MCUboot's BOOT_SERIAL_MAX_RECEIVE_SIZE: the longest request it takes, header included. */
#define SIM_RECOVERY_RECEIVE_MAX 1024u

/**
 * Answer one decoded serial packet @p unit of @p len bytes as the recovery bootloader does
 * (one SMP message; what follows it is ignored), through @p emit. Too short or too long a
 * packet is dropped unanswered (dev's dropped counter).
 */
void sim_recovery_receive(struct sim_device *dev, const uint8_t *unit, size_t len,
			  uint64_t now_us, sim_device_emit_fn emit, void *ctx);

#endif /* SIM_RECOVERY_H */
