/* SPDX-License-Identifier: Apache-2.0 */
/* dfu-smp command of the Zephyr basic group: storage-erase. */
#include <dfu-smp/mgmt/basic.h>
#include "cli.h"

static int cmd_storage_erase(struct cli *cli, int argc, char **argv)
{
	if (argc > 0) {
		return cli_usage(cli, "takes no arguments, got '%s'", argv[0]);
	}
	dfu_smp_mgmt_basic_erase_storage(cli_request(cli));
	/* its size is not reported: sent once, and waited for as long as a large one takes */
	return cli_simple_once(cli, cli_erase_wait_ms(0), "the storage partition is erased",
			       json_pack("{s:b}", "erased", 1));
}

static const struct cli_arg no_params[] = { { NULL, NULL, NULL, false } };

const struct cli_command cli_basic_commands[] = {
	{ NULL, "storage-erase", "", "erase the device's storage partition (settings, files)",
	  cmd_storage_erase, false, no_params,
	  "The erase is sent once, never again, and waited for "
	  "60 s (or --timeout when longer)." },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL, NULL },
};
