/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's RAM kept across client runs: a real device stays powered while one
 * client disconnects and the next connects, so what it holds in RAM (an upload in progress,
 * settings written but not saved, its clock and uptime) is still there. With a state
 * directory it is written to DIR/ram when the client goes away and read back at the next
 * start; a reboot starts from nothing, as it should.
 */
#ifndef SIM_RAM_H
#define SIM_RAM_H

#include <stdint.h>

struct sim_device;

/** Write the device's RAM to DIR/ram (nothing without a state directory). @return 0 or -errno. */
int sim_ram_suspend(struct sim_device *dev, uint64_t now_us);

/**
 * Read DIR/ram back into a device just set up (nothing if there is none). Lines it cannot read
 * are skipped: a damaged file costs RAM state, never the device. @return 0 or -ENOMEM.
 */
int sim_ram_resume(struct sim_device *dev);

/** Remove DIR/ram (nothing without a state directory or a file). @return 0 or -errno. */
int sim_ram_forget(struct sim_device *dev);

#endif /* SIM_RAM_H */
