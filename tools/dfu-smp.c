/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dfu-smp: manage and update Zephyr/MCUboot devices over SMP.
 *
 *   dfu-smp [OPTIONS] COMMAND [ARGS...]
 *
 * Exit status: 0 success, 1 the exchange or the device failed, 2 usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cli_command *const tables[] = {
	cli_os_commands, cli_image_commands, cli_stat_commands, cli_settings_commands,
	cli_fs_commands, cli_shell_commands, cli_enum_commands, cli_basic_commands,
	cli_raw_commands, cli_upgrade_commands, cli_inspect_commands,
};

#define TABLES (sizeof(tables) / sizeof(tables[0]))

static void help(const char *prog)
{
	printf("usage: %s [OPTIONS] COMMAND [ARGS...]\n\n", prog);
	printf("Manage and update Zephyr/MCUboot devices over SMP (MCUmgr).\n\n");
	printf("options:\n");
	printf("  --conn SPEC          how to reach the device: sim (the simulated device; default),\n");
	printf("                       udp:HOST[:PORT] (port 1337; udp:[::1]:1337 for IPv6),\n");
	printf("                       serial:PATH[@BAUD] (115200 baud),\n");
	printf("                       ble:AA:BB:CC:DD:EE:FF or ble:name=NAME (BLE through BlueZ)\n");
	printf("  --adapter hciN       ble: the Bluetooth adapter to use (default: the first)\n");
	printf("  --mtu N              ATT MTU to ask for on BLE links, 23..517 (default 517)\n");
	printf("  --timeout SECONDS    response timeout per request (default 10); ble: also how\n");
	printf("                       long to scan for the device\n");
	printf("  --tries N            udp, serial: send a request up to N times when no answer\n");
	printf("                       comes, all within --timeout (default 3)\n");
	printf("  --serial-line-max N  serial: longest line sent, marker and newline included\n");
	printf("                       (default 127, Zephyr's limit)\n");
	printf("  --serial-lines N     serial: lines the device buffers; a pause follows every N\n");
	printf("                       lines (default 2, Zephyr's default)\n");
	printf("  --smp-version 1|2    send this SMP version only (default: 2, following the\n");
	printf("                       device down to 1)\n");
	printf("  --json               print one JSON document (errors too: {\"error\": ...});\n");
	printf("                       also taken last, after the command's arguments\n");
	printf("  -v, --verbose        log each write and notification with its size\n");
	printf("  --sim-state DIR      sim: keep the device's flash, settings and files in DIR\n");
	printf("  --sim-reassembly     sim: the device reassembles requests split across writes\n");
	printf("  --sim-v1             sim: the device speaks SMP version 1 only\n");
	printf("  --sim-drop-after N   sim: the link drops once, after N bytes were written\n");
	printf("  --sim-rollback       sim: a new image crashes before it is confirmed (revert)\n");
	printf("  --sim-slot-size N    sim: bytes per image slot (default 0x70000)\n");
	printf("  --sim-profile NAME   sim: a set-up of link and device (phone-fast,\n");
	printf("                       phone-fast-no-erase, linux-default, legacy, zephyr-default)\n");
	printf("  -h, --help           show this help\n\ncommands:\n");
	for (size_t t = 0; t < TABLES; t++) {
		for (const struct cli_command *c = tables[t]; c->name; c++) {
			char name[64];

			snprintf(name, sizeof(name), "%s%s%s %s", c->group ? c->group : "",
				 c->group ? " " : "", c->name, c->args);
			printf("  %-44s %s\n", name, c->help);
		}
	}
	printf("\nexit status: 0 success, 1 failure, 2 usage error\n");
}

/* Parses the global options; returns the index of the command, or -(exit status + 1). */
static int parse_options(struct cli *cli, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *arg = argv[i];
		const char *value;
		uint64_t n;

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			help(cli->prog);
			return -(CLI_EXIT_OK + 1);
		} else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
			cli->opt.verbose++;
		} else if (strcmp(arg, "--json") == 0) {
			cli->json = true;
		} else if (strcmp(arg, "--sim-reassembly") == 0) {
			cli->opt.sim_reassembly = true;
		} else if (strcmp(arg, "--sim-v1") == 0) {
			cli->opt.sim_v1_only = true;
		} else if (strcmp(arg, "--sim-rollback") == 0) {
			cli->opt.sim_rollback = true;
		} else if (args_is(arg, "--sim-profile")) {
			value = args_value(argc, argv, &i, "--sim-profile");
			if (!value || !*value) {
				return -(cli_usage(cli, "--sim-profile needs a name (see --help)") + 1);
			}
			cli->opt.sim_profile = value;
		} else if (args_is(arg, "--sim-slot-size")) {
			value = args_value(argc, argv, &i, "--sim-slot-size");
			if (args_u64(value, 0x4000000, &n) != 0 || n < 0x4000 || n % 4096) {
				return -(cli_usage(cli, "--sim-slot-size takes a multiple of 4096 from "
						   "0x4000 to 0x4000000, got '%s'", value ? value : "")
					 + 1);
			}
			cli->opt.sim_slot_size = (uint32_t)n;
		} else if (args_is(arg, "--sim-drop-after")) {
			value = args_value(argc, argv, &i, "--sim-drop-after");
			if (args_u64(value, UINT64_MAX, &n) != 0 || n == 0) {
				return -(cli_usage(cli, "--sim-drop-after takes a byte count, got '%s'",
						   value ? value : "") + 1);
			}
			cli->opt.sim_drop_after = n;
		} else if (args_is(arg, "--adapter")) {
			value = args_value(argc, argv, &i, "--adapter");
			if (!value || strncmp(value, "hci", 3) != 0 || !value[3] ||
			    strspn(value + 3, "0123456789") != strlen(value + 3)) {
				return -(cli_usage(cli, "--adapter takes an adapter name such as hci0, "
						   "got '%s'", value ? value : "") + 1);
			}
			cli->opt.adapter = value;
		} else if (args_is(arg, "--conn")) {
			value = args_value(argc, argv, &i, "--conn");
			if (!value || !*value) {
				return -(cli_usage(cli, "--conn needs a value such as 'sim'") + 1);
			}
			cli->conn_spec = value;
		} else if (args_is(arg, "--sim-state")) {
			value = args_value(argc, argv, &i, "--sim-state");
			if (!value || !*value) {
				return -(cli_usage(cli, "--sim-state needs a directory") + 1);
			}
			cli->opt.sim_state = value;
		} else if (args_is(arg, "--mtu")) {
			value = args_value(argc, argv, &i, "--mtu");
			if (args_u64(value, 517, &n) != 0 || n < 23) {
				return -(cli_usage(cli, "--mtu takes a number from 23 to 517, got '%s'",
						   value ? value : "") + 1);
			}
			cli->opt.mtu = (uint16_t)n;
		} else if (args_is(arg, "--tries")) {
			value = args_value(argc, argv, &i, "--tries");
			if (args_u64(value, 100, &n) != 0 || n < 1) {
				return -(cli_usage(cli, "--tries takes a number from 1 to 100, got '%s'",
						   value ? value : "") + 1);
			}
			cli->opt.tries = (uint8_t)n;
		} else if (args_is(arg, "--serial-line-max")) {
			value = args_value(argc, argv, &i, "--serial-line-max");
			if (args_u64(value, 4096, &n) != 0 || n < 7) {
				return -(cli_usage(cli, "--serial-line-max takes a byte count from 7 to "
						   "4096, got '%s'", value ? value : "") + 1);
			}
			cli->opt.serial_line_max = (uint16_t)n;
		} else if (args_is(arg, "--serial-lines")) {
			value = args_value(argc, argv, &i, "--serial-lines");
			if (args_u64(value, 1000, &n) != 0 || n < 1) {
				return -(cli_usage(cli, "--serial-lines takes a number from 1 to 1000, "
						   "got '%s'", value ? value : "") + 1);
			}
			cli->opt.serial_lines = (uint16_t)n;
		} else if (args_is(arg, "--smp-version")) {
			value = args_value(argc, argv, &i, "--smp-version");
			if (args_u64(value, 2, &n) != 0 || n < 1) {
				return -(cli_usage(cli, "--smp-version takes 1 or 2, got '%s'",
						   value ? value : "") + 1);
			}
			cli->opt.smp_version = (uint8_t)n;
		} else if (args_is(arg, "--timeout")) {
			char *end;
			double s;

			value = args_value(argc, argv, &i, "--timeout");
			s = value ? strtod(value, &end) : 0;
			if (!value || *end || !(s > 0) || s > 3600) {
				return -(cli_usage(cli, "--timeout takes seconds, more than 0 and at "
						   "most 3600, got '%s'", value ? value : "") + 1);
			}
			cli->opt.timeout_ms = (uint32_t)(s * 1000.0 + 0.5);
			if (cli->opt.timeout_ms == 0) {
				cli->opt.timeout_ms = 1;
			}
		} else {
			return -(cli_usage(cli, "unknown option '%s'", arg) + 1);
		}
	}
	return i;
}

/* The command named by argv (one or two words); sets *used to the words it took. */
static const struct cli_command *find_command(int argc, char **argv, int *used)
{
	bool group_known = false;

	for (size_t t = 0; t < TABLES; t++) {
		for (const struct cli_command *c = tables[t]; c->name; c++) {
			if (!c->group && strcmp(argv[0], c->name) == 0) {
				*used = 1;
				return c;
			}
			if (c->group && strcmp(argv[0], c->group) == 0) {
				group_known = true;
				if (argc > 1 && strcmp(argv[1], c->name) == 0) {
					*used = 2;
					return c;
				}
			}
		}
	}
	*used = group_known ? 2 : 1;
	return NULL;
}

int main(int argc, char **argv)
{
	struct cli cli = { .prog = "dfu-smp", .conn_spec = "sim" };
	const struct cli_command *cmd;
	char what[64];
	int first, used, status;

	first = parse_options(&cli, argc, argv);
	if (first < 0) {
		return -first - 1;
	}
	if (first >= argc) {
		return cli_usage(&cli, "no command given");
	}
	cmd = find_command(argc - first, argv + first, &used);
	if (!cmd) {
		if (used == 2) {
			return cli_usage(&cli, "'%s' needs a known subcommand, got '%s'", argv[first],
					 first + 1 < argc ? argv[first + 1] : "");
		}
		return cli_usage(&cli, "unknown command '%s'", argv[first]);
	}
	/* scripts write `image list --json` as often as `--json image list` */
	if (!cmd->verbatim && argc - first > used && strcmp(argv[argc - 1], "--json") == 0) {
		cli.json = true;
		argc--;
	}
	snprintf(what, sizeof(what), "%s%s%s", cmd->group ? cmd->group : "",
		 cmd->group ? " " : "", cmd->name);
	cli.what = what;
	cli.req_buf = malloc(SMP_MSG_MAX);
	cli.rsp_buf = malloc(SMP_MSG_MAX);
	if (!cli.req_buf || !cli.rsp_buf) {
		status = cli_fail(&cli, "out of memory");
	} else {
		status = cmd->run(&cli, argc - first - used, argv + first + used);
	}
	conn_close(cli.conn);
	free(cli.req_buf);
	free(cli.rsp_buf);
	return status;
}
