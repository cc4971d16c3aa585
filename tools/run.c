/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One dfu-smp command line: the global options (before the command), the command and its
 * arguments, the connection it needs, and its run. dfu-smp runs it against real devices;
 * dfu-smp-sim against its own simulated one.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dfu-smp/ports/log.h>
#include <dfu-smp/ports/loop.h>
#include <dfu-smp/version.h>
#include "cli.h"
#include "help.h"

const char cli_version[] = DFU_SMP_VERSION;

const struct cli_command *const cli_tables[] = {
	cli_os_commands, cli_image_commands, cli_stat_commands, cli_settings_commands,
	cli_fs_commands, cli_shell_commands, cli_enum_commands, cli_basic_commands,
	cli_raw_commands, cli_upgrade_commands, cli_fleet_commands, cli_inspect_commands, NULL,
};

/* Every global option parse_options() knows, for --help and to find one after the command. */
const struct cli_global_option cli_global_options[] = {
	{ NULL, "--conn", "SPEC", "how to reach the device (see connections); every command but "
	  "inspect needs it, or the environment variable " CLI_CONN_ENV, true },
	{ NULL, "--adapter", "hciN", "ble: the Bluetooth adapter to use (default: the first)",
	  true },
	{ NULL, "--mtu", "N", "ATT MTU to ask for on BLE links, 23..517 (default 517)", false },
	{ NULL, "--timeout", "SECONDS", "response timeout per request (default 10); ble: also how "
	  "long to scan for the device", false },
	{ NULL, "--reboot-timeout", "SECONDS", "how long a device that was reset, or went away "
	  "in the middle of a command, has to answer again, 1..3600 (default 60)", false },
	{ NULL, "--tries", "N", "udp, serial: send a request up to N times when no answer comes, "
	  "all within --timeout (default 3)", true },
	{ NULL, "--serial-line-max", "N", "serial: longest line sent, marker and newline included "
	  "(default 127, Zephyr's limit)", true },
	{ NULL, "--serial-lines", "N", "serial: lines the device buffers, fixed (by default "
	  "dfu-smp starts from 2, Zephyr's default, and learns them)", true },
	{ NULL, "--smp-version", "1|2", "send this SMP version only (default: 2, following the "
	  "device down to 1)", false },
	{ NULL, "--json", NULL, "print one JSON document (errors too: {\"error\": ...}); also "
	  "taken last, after the command's arguments", false },
	{ "-q", "--quiet", NULL, "print errors only: no progress, no log", false },
	{ "-v", "--verbose", NULL, "log the steps and how long they took on stderr; given twice "
	  "(-vv), also every packet sent and received with its size", false },
	{ "-V", "--version", NULL, "print the version and exit", false },
	{ "-h", "--help", NULL, "show this help; after a command, that command's", false },
	{ NULL, NULL, NULL, NULL, false },
};

/* A connection string naming the simulator, which dfu-smp does not have. */
static bool names_the_simulator(const char *spec)
{
	return strcmp(spec, "sim") == 0 || strncmp(spec, "sim:", 4) == 0;
}

static int simulator_refused(struct cli *cli, const char *spec, const char *where)
{
	return cli_usage(cli,
			 "%s '%s' is no kind of connection dfu-smp knows: use %s; the simulated "
			 "device is a program of its own, %s (%s -- COMMAND, or %s --udp HOST:PORT "
			 "with --conn udp:HOST:PORT)",
			 where, spec, CLI_CONN_KINDS, CLI_SIM_PROGRAM, CLI_SIM_PROGRAM,
			 CLI_SIM_PROGRAM);
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
			cli_help(cli);
			return -(CLI_EXIT_OK + 1);
		} else if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
			printf("%s %s\n", cli->prog, cli_version);
			return -(CLI_EXIT_OK + 1);
		} else if (strcmp(arg, "--help-man") == 0) {
			/* hidden: the build makes the man page with it */
			cli_man(cli);
			return -(CLI_EXIT_OK + 1);
		} else if (strcmp(arg, "--help-bash") == 0) {
			/* hidden: the build makes the bash completion script with it */
			cli_completion(cli);
			return -(CLI_EXIT_OK + 1);
		} else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
			cli->quiet = true;
			cli->opt.verbose = 0;
		} else if (strcmp(arg, "--verbose") == 0 ||
			   (arg[1] == 'v' && strspn(arg + 1, "v") == strlen(arg + 1))) {
			/* -v, -vv, -v -v, --verbose --verbose */
			cli->opt.verbose +=
				strcmp(arg, "--verbose") == 0 ? 1 : (int)strlen(arg + 1);
			cli->quiet = false;
		} else if (strcmp(arg, "--json") == 0) {
			cli->json = true;
		} else if (args_is(arg, "--adapter")) {
			value = args_value(argc, argv, &i, "--adapter");
			if (!value || strncmp(value, "hci", 3) != 0 || !value[3] ||
			    strspn(value + 3, "0123456789") != strlen(value + 3)) {
				return -(cli_usage(cli,
						   "--adapter takes an adapter name such as hci0, "
						   "got '%s'",
						   value ? value : "") +
					 1);
			}
			cli->opt.adapter = value;
		} else if (args_is(arg, "--conn")) {
			value = args_value(argc, argv, &i, "--conn");
			if (cli->open) {
				return -(
					cli_usage(
						cli,
						"--conn is not taken here: the command runs against "
						"the simulated device of %s",
						cli->prog) +
					1);
			}
			if (!value || !*value) {
				return -(
					cli_usage(cli, "--conn needs a value: %s", CLI_CONN_KINDS) +
					1);
			}
			if (names_the_simulator(value)) {
				return -(simulator_refused(cli, value, "--conn") + 1);
			}
			cli->conn_spec = value;
		} else if (args_is(arg, "--mtu")) {
			value = args_value(argc, argv, &i, "--mtu");
			if (args_u64(value, 517, &n) != 0 || n < 23) {
				return -(cli_usage(cli,
						   "--mtu takes a number from 23 to 517, got '%s'",
						   value ? value : "") +
					 1);
			}
			cli->opt.mtu = (uint16_t)n;
		} else if (args_is(arg, "--tries")) {
			value = args_value(argc, argv, &i, "--tries");
			if (args_u64(value, 100, &n) != 0 || n < 1) {
				return -(cli_usage(cli,
						   "--tries takes a number from 1 to 100, got '%s'",
						   value ? value : "") +
					 1);
			}
			cli->opt.tries = (uint8_t)n;
		} else if (args_is(arg, "--serial-line-max")) {
			value = args_value(argc, argv, &i, "--serial-line-max");
			if (args_u64(value, 4096, &n) != 0 || n < 7) {
				return -(cli_usage(cli,
						   "--serial-line-max takes a byte count from 7 to "
						   "4096, got '%s'",
						   value ? value : "") +
					 1);
			}
			cli->opt.serial_line_max = (uint16_t)n;
		} else if (args_is(arg, "--serial-lines")) {
			value = args_value(argc, argv, &i, "--serial-lines");
			if (args_u64(value, 1000, &n) != 0 || n < 1) {
				return -(cli_usage(cli,
						   "--serial-lines takes a number from 1 to 1000, "
						   "got '%s'",
						   value ? value : "") +
					 1);
			}
			cli->opt.serial_lines = (uint16_t)n;
		} else if (args_is(arg, "--smp-version")) {
			value = args_value(argc, argv, &i, "--smp-version");
			if (args_u64(value, 2, &n) != 0 || n < 1) {
				return -(cli_usage(cli, "--smp-version takes 1 or 2, got '%s'",
						   value ? value : "") + 1);
			}
			cli->opt.smp_version = (uint8_t)n;
		} else if (args_is(arg, "--reboot-timeout")) {
			value = args_value(argc, argv, &i, "--reboot-timeout");
			if (args_u64(value, 3600, &n) != 0 || n < 1) {
				return -(cli_usage(cli,
						   "--reboot-timeout takes seconds from 1 to 3600, "
						   "got '%s'",
						   value ? value : "") +
					 1);
			}
			cli->reboot_timeout_ms = (uint32_t)n * 1000u;
		} else if (args_is(arg, "--timeout")) {
			char *end;
			double s;

			value = args_value(argc, argv, &i, "--timeout");
			s = value ? strtod(value, &end) : 0;
			if (!value || *end || !(s > 0) || s > 3600) {
				return -(cli_usage(cli,
						   "--timeout takes seconds, more than 0 and at "
						   "most 3600, got '%s'",
						   value ? value : "") +
					 1);
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

/*
 * Ctrl-C (SIGINT) during a command that has no clean abort of its own (upgrade and image
 * upload have one, tools/upgrade.c): the run ends at once with a word of what was cut short,
 * on stderr and, with --json, as the run's JSON document. Written before the signal can come:
 * the handler only writes them.
 */
static char interrupted_line[400];
static char *interrupted_json;
static size_t interrupted_line_len;

static void on_interrupt(int sig)
{
	ssize_t n;

	(void)sig;
	n = write(STDERR_FILENO, interrupted_line, interrupted_line_len);
	if (interrupted_json) {
		n = write(STDOUT_FILENO, interrupted_json, strlen(interrupted_json));
	}
	(void)n;
	_exit(CLI_EXIT_ABORTED);
}

static void catch_interrupt(struct cli *cli, struct sigaction *old)
{
	char message[300];
	struct sigaction sa;
	int n;

	snprintf(message, sizeof(message), "interrupted (SIGINT) before it finished: what was "
		 "sent may or may not have been done; run it again");
	n = snprintf(interrupted_line, sizeof(interrupted_line), "\n%s: %s: %s\n", cli->prog,
		     cli->what, message);
	interrupted_line_len = n < 0 ? 0 : strlen(interrupted_line);
	free(interrupted_json);
	interrupted_json = NULL;
	if (cli->json) {
		json_t *doc = cli->simulated ? json_pack("{s:b}", "simulated", 1) : json_object();
		char *text;

		json_object_set_new(doc, "error", json_pack("{s:s, s:i, s:s}", "kind",
							    CLI_KIND_INTERRUPTED, "code",
							    CLI_EXIT_ABORTED, "message", message));
		text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(doc);
		if (text) {
			interrupted_json = malloc(strlen(text) + 2);
			if (interrupted_json) {
				sprintf(interrupted_json, "%s\n", text);
			}
			free(text);
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, old);
}

static void release_interrupt(const struct sigaction *old)
{
	sigaction(SIGINT, old, NULL);
	free(interrupted_json);
	interrupted_json = NULL;
}

/* The command named by argv (one or two words); sets *used to the words it took. */
static const struct cli_command *find_command(int argc, char **argv, int *used)
{
	bool group_known = false;

	for (const struct cli_command *const *t = cli_tables; *t; t++) {
		for (const struct cli_command *c = *t; c->name; c++) {
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

/* The global option @p arg is ("--mtu" for "--mtu=64"), or NULL. */
static const char *global_option(const char *arg)
{
	for (const struct cli_global_option *o = cli_global_options; o->name; o++) {
		if (args_is(arg, o->name)) {
			return o->name;
		}
		if (o->short_name && (strcmp(arg, o->short_name) == 0 ||
				      (strcmp(o->short_name, "-v") == 0 && arg[0] == '-' &&
				       arg[1] == 'v' && strspn(arg + 1, "v") == strlen(arg + 1)))) {
			return o->short_name;
		}
	}
	return NULL;
}

/* True when @p cmd's usage names the option @p name as one of its own (inspect's --json). */
static bool own_option(const struct cli_command *cmd, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(cmd->args, name); p; p = strstr(p + 1, name)) {
		char next = p[n];

		if ((p == cmd->args || p[-1] == ' ' || p[-1] == '[') &&
		    (next == '\0' || next == ' ' || next == ']' || next == '|')) {
			return true;
		}
	}
	return false;
}

/*
 * The command's arguments, argv[0..*argc): a last --json is the global option; a global option
 * elsewhere is refused; the first "--" is taken out and ends the search.
 * @return 0, or an exit status after saying why.
 */
static int command_arguments(struct cli *cli, const struct cli_command *cmd, int *argc,
			     char **argv)
{
	for (int k = 0; k < *argc; k++) {
		const char *name;

		if (strcmp(argv[k], "--") == 0) {
			memmove(argv + k, argv + k + 1, (size_t)(*argc - k - 1) * sizeof(*argv));
			(*argc)--;
			return 0;
		}
		if (k == *argc - 1 && strcmp(argv[k], "--json") == 0) {
			cli->json = true;
			(*argc)--;
			return 0;
		}
		name = global_option(argv[k]);
		if (name && !own_option(cmd, name)) {
			return cli_usage(
				cli,
				"'%s' is a global option: give it before the command "
				"(%s%s [OPTIONS] %s%s%s ...)%s",
				argv[k], cli->prog, cli->open ? " --" : "",
				cmd->group ? cmd->group : "", cmd->group ? " " : "", cmd->name,
				cmd->verbatim ? "; to send it as it is, put '--' before it" : "");
		}
	}
	return 0;
}

/* True when -h or --help comes among the command's arguments, before any "--". */
static bool asks_help(int argc, char **argv)
{
	for (int k = 0; k < argc && strcmp(argv[k], "--") != 0; k++) {
		if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
			return true;
		}
	}
	return false;
}

int cli_run(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *cmd;
	char what[64];
	int first, used, status, cmd_argc;

	/* a usage error found before a --json further on is reported in JSON too */
	for (int k = 1; k < argc && strcmp(argv[k], "--") != 0; k++) {
		if (strcmp(argv[k], "--json") == 0) {
			cli->json = true;
		}
	}
	first = parse_options(cli, argc, argv);
	if (first < 0) {
		return -first - 1;
	}
	if (first >= argc) {
		return cli_usage(cli, "no command given");
	}
	cmd = find_command(argc - first, argv + first, &used);
	if (!cmd && used == 2 && asks_help(argc - first - 1, argv + first + 1)) {
		cli_help_group(cli, argv[first]);
		return CLI_EXIT_OK;
	}
	if (!cmd) {
		if (used == 2) {
			return cli_usage(cli, "'%s' needs a known subcommand, got '%s'",
					 argv[first], first + 1 < argc ? argv[first + 1] : "");
		}
		return cli_usage(cli, "unknown command '%s'", argv[first]);
	}
	snprintf(what, sizeof(what), "%s%s%s", cmd->group ? cmd->group : "",
		 cmd->group ? " " : "", cmd->name);
	cli->what = what;
	cmd_argc = argc - first - used;
	if (asks_help(cmd_argc, argv + first + used)) {
		/* before anything is opened or sent */
		cli_help_command(cli, cmd);
		cli->what = NULL;
		return CLI_EXIT_OK;
	}
	status = command_arguments(cli, cmd, &cmd_argc, argv + first + used);
	if (status) {
		return status;
	}
	if (!cli->open && !cli->conn_spec) {
		const char *env = getenv(CLI_CONN_ENV);

		if (env && *env && names_the_simulator(env)) {
			return simulator_refused(cli, env, CLI_CONN_ENV);
		}
		cli->conn_spec = env && *env ? env : NULL;
	}
	cli->req_buf = malloc(DFU_SMP_MSG_MAX);
	cli->rsp_buf = malloc(DFU_SMP_MSG_MAX);
	if (!cli->req_buf || !cli->rsp_buf) {
		status = cli_fail(cli, "out of memory");
	} else {
		struct dfu_smp_port_log log = { .verbose = cli->opt.verbose > 0, .who = cli->prog,
					.t0_us = dfu_smp_port_now_us() };
		struct sigaction old;

		if (!cli->stop) {
			catch_interrupt(cli, &old);
		}
		status = cmd->run(cli, cmd_argc, argv + first + used);
		if (!cli->stop) {
			release_interrupt(&old);
		}
		/* -v: on the connection's clock (virtual on a simulated link) when there is one */
		if (cli->conn) {
			dfu_smp_conn_logf(cli->conn, "%s: exit status %d", what, status);
		} else {
			dfu_smp_port_logf(&log, "%s: exit status %d", what, status);
		}
	}
	dfu_smp_conn_close(cli->conn);
	cli->conn = NULL;
	free(cli->req_buf);
	free(cli->rsp_buf);
	cli->req_buf = cli->rsp_buf = NULL;
	cli->what = NULL;
	return status;
}
