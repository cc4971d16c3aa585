/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dfu-smp: manage and update Zephyr/MCUboot devices over SMP, through the real connections
 * of ports/ only (the simulated device is dfu-smp-sim's).
 *
 *   dfu-smp [OPTIONS] COMMAND [ARGS...]
 *
 * Exit status: 0 success, 1 the exchange or the device failed, 2 usage error.
 */
#include "cli.h"

int main(int argc, char **argv)
{
	struct cli cli = { .prog = "dfu-smp" };

	return cli_run(&cli, argc, argv);
}
