/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's shell group (9): the command line is put together from `argv` as
 * Zephyr's shell_mgmt does (joined by spaces, then split again by the shell) and run by a
 * small shell with a few of Zephyr's commands, its output collected as the dummy backend does.
 */
#include "device.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <cbor.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/shell.h>

/* Shell group error codes (enum shell_mgmt_err_code_t). */
enum {
	SHELL_ERR_COMMAND_TOO_LONG = 2,
	SHELL_ERR_EMPTY_COMMAND = 3,
};

/* Zephyr's errno values, which the shell returns negated, whatever the host's are. */
#define Z_EIO 5
#define Z_EINVAL 22
#define Z_ENOEXEC 8
/* What a command that only printed its help returns (SHELL_CMD_HELP_PRINTED). */
#define HELP_PRINTED 1

/* CONFIG_SHELL_CMD_BUFF_SIZE */
#define LINE_LEN 256
/* CONFIG_SHELL_ARGC_MAX */
#define ARGC_MAX 20
/* CONFIG_SHELL_BACKEND_DUMMY_BUF_SIZE: longer output is cut */
#define OUT_LEN 300

/* The VT100 colour of shell_error() text, and the reset after it (CONFIG_SHELL_VT100_COLORS). */
#define COLOR_ERROR "\x1b[1;31m"
#define COLOR_RESET "\x1b[m"

struct shell {
	const struct sim_req *req;
	char out[OUT_LEN + 1];
	size_t len;
};

/* Output as it is, cut at the backend's buffer. */
static void put(struct shell *sh, const char *s)
{
	for (; *s && sh->len < OUT_LEN; s++) {
		sh->out[sh->len++] = *s;
	}
}

/* The shell writes lines ending in "\n", which the backend turns into CR LF. */
static void vprint(struct shell *sh, const char *fmt, va_list ap)
{
	char text[OUT_LEN + 1];

	vsnprintf(text, sizeof(text), fmt, ap);
	for (const char *p = text; *p && sh->len < OUT_LEN; p++) {
		if (*p == '\n') {
			sh->out[sh->len++] = '\r';
			if (sh->len == OUT_LEN) {
				break;
			}
		}
		sh->out[sh->len++] = *p;
	}
}

static void print(struct shell *sh, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(sh, fmt, ap);
	va_end(ap);
}

/* shell_error(): the same, in the error colour. */
static void print_error(struct shell *sh, const char *fmt, ...)
{
	va_list ap;

	put(sh, COLOR_ERROR);
	va_start(ap, fmt);
	vprint(sh, fmt, ap);
	va_end(ap);
	put(sh, COLOR_RESET);
}

static int cmd_help(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print(sh, "Please press the <Tab> button to see all available commands.\n"
		  "Available commands:\n"
		  "  device  : Device commands\n"
		  "  echo    : Print the arguments\n"
		  "  help    : Prints the help message.\n"
		  "  kernel  : Kernel commands\n");
	return 0;
}

static int cmd_echo(struct shell *sh, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		print(sh, "%s%s", i > 1 ? " " : "", argv[i]);
	}
	print(sh, "\n");
	return 0;
}

/* Zephyr's kernel uptime: milliseconds, or with -p / --pretty in days down to milliseconds. */
static int cmd_uptime(struct shell *sh, int argc, char **argv)
{
	unsigned long long ms = sim_device_uptime_us(sh->req->dev, sh->req->now_us) / 1000;

	if (argc == 1) {
		print(sh, "Uptime: %llu ms\n", ms);
		return 0;
	}
	if (strcmp(argv[1], "-p") != 0 && strcmp(argv[1], "--pretty") != 0) {
		print_error(sh, "Unsupported option: %s\n", argv[1]);
		return -Z_EIO;
	}
	print(sh, "uptime: %llu days, %llu hours, %llu minutes, %llu seconds, %llu milliseconds\n",
	      ms / 86400000, ms / 3600000 % 24, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
	return 0;
}

static int cmd_version(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print(sh, "Zephyr version 4.4.0\n");
	return 0;
}

/* The devices whose names hold the filter, if one is given. */
static int cmd_devices(struct shell *sh, int argc, char **argv)
{
	static const char *const devices[] = { "clock@40000000", "gpio@50000000", "rtc@4000b000",
					       "uart@40002000", "flash-controller@4001e000" };

	print(sh, "devices:\n");
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		if (argc < 2 || strstr(devices[i], argv[1])) {
			print(sh, "- %s (READY)\n", devices[i]);
		}
	}
	return 0;
}

struct command {
	const char *name;
	const char *help;
	int (*fn)(struct shell *sh, int argc, char **argv);
	/* SHELL_CMD_ARG()'s counts, the command itself included; 0 mandatory: not checked */
	int mandatory, optional;
	const struct command *subs;
};

static const struct command kernel_cmds[] = {
	{ "uptime", "Kernel uptime. Can be called with the -p or --pretty options", cmd_uptime,
	  1, 1, NULL },
	{ "version", "Kernel version.", cmd_version, 0, 0, NULL },
	{ NULL, NULL, NULL, 0, 0, NULL },
};

static const struct command device_cmds[] = {
	{ "list", "List configured devices, with an optional filter\n"
		  "Usage: list [<device filter>]", cmd_devices, 1, 1, NULL },
	{ NULL, NULL, NULL, 0, 0, NULL },
};

static const struct command root_cmds[] = {
	{ "device", "Device commands", NULL, 0, 0, device_cmds },
	{ "echo", "Print the arguments", cmd_echo, 0, 0, NULL },
	{ "help", "Prints the help message.", cmd_help, 0, 0, NULL },
	{ "kernel", "Kernel commands", NULL, 0, 0, kernel_cmds },
	{ NULL, NULL, NULL, 0, 0, NULL },
};

static const struct command *lookup(const struct command *table, const char *name)
{
	for (; table->name; table++) {
		if (strcmp(table->name, name) == 0) {
			return table;
		}
	}
	return NULL;
}

/*
 * What Zephyr prints for a command with subcommands and no handler of its own: its help and
 * its subcommands', names padded to the longest, later lines of a help text indented.
 */
static int print_help(struct shell *sh, const struct command *cmd)
{
	size_t width = 0;

	print(sh, "%s - %s\nSubcommands:\n", cmd->name, cmd->help);
	for (const struct command *sub = cmd->subs; sub->name; sub++) {
		if (strlen(sub->name) > width) {
			width = strlen(sub->name);
		}
	}
	width += 2;
	for (const struct command *sub = cmd->subs; sub->name; sub++) {
		const char *text = sub->help, *nl;

		print(sh, "  %-*s: ", (int)width, sub->name);
		while ((nl = strchr(text, '\n'))) {
			print(sh, "%.*s\n\x1b[%zuC", (int)(nl - text), text, width + 4);
			text = nl + 1;
		}
		print(sh, "%s\n", text);
	}
	return HELP_PRINTED;
}

/* shell_execute_cmd(): split the line, find the command, check its arguments, run it. */
static int execute(struct shell *sh, char *line)
{
	char *argv[ARGC_MAX + 1], *save = NULL;
	const struct command *cmd;
	int argc = 0, depth = 0;

	for (char *tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (argc == ARGC_MAX) {
			print_error(sh, "Too many arguments in the command.\n");
			return -Z_ENOEXEC;
		}
		argv[argc++] = tok;
	}
	if (argc == 0) {
		return -Z_ENOEXEC;
	}
	cmd = lookup(root_cmds, argv[0]);
	if (!cmd) {
		print_error(sh, "%s: command not found\n", argv[0]);
		return -Z_ENOEXEC;
	}
	while (cmd->subs) {
		const struct command *sub = argc > depth + 1 ? lookup(cmd->subs, argv[depth + 1])
							     : NULL;

		if (!sub) {
			return print_help(sh, cmd);
		}
		cmd = sub;
		depth++;
	}
	argc -= depth;
	if (cmd->mandatory &&
	    (argc < cmd->mandatory || argc > cmd->mandatory + cmd->optional)) {
		print_error(sh, "%s: wrong parameter count\n", argv[depth]);
		return -Z_EINVAL;
	}
	return cmd->fn(sh, argc, argv + depth);
}

/*
 * shell_mgmt's own decoder: the keys are read in order up to `argv` (any other value is
 * skipped; a key that is not text ends the request), which must be a list; its leading text
 * strings make the command line, the first item of another type ends it.
 */
static int get_argv(const struct sim_req *req, const cbor_item_t **args)
{
	const struct cbor_pair *pairs;

	if (!req->map || !cbor_isa_map(req->map)) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	pairs = cbor_map_handle(req->map);
	for (size_t i = 0; i < cbor_map_size(req->map); i++) {
		const cbor_item_t *k = pairs[i].key;

		if (!cbor_isa_string(k) || !cbor_string_is_definite(k)) {
			return DFU_SMP_MGMT_ERR_EINVAL;
		}
		if (cbor_string_length(k) == 4 && memcmp(cbor_string_handle(k), "argv", 4) == 0) {
			*args = pairs[i].value;
			return cbor_isa_array(*args) ? 0 : DFU_SMP_MGMT_ERR_EINVAL;
		}
	}
	return DFU_SMP_MGMT_ERR_EINVAL;
}

/* Runs the command; its output starts on a new line, as the shell's after a command line. */
static int exec(struct sim_req *req)
{
	const cbor_item_t *args = NULL;
	struct shell sh = { .req = req };
	char line[LINE_LEN + 1];
	size_t len = 0, count;
	int ret = get_argv(req, &args);

	if (ret) {
		return ret;
	}
	count = cbor_array_size(args);
	for (size_t i = 0; i < count; i++) {
		const cbor_item_t *arg = cbor_array_handle(args)[i];
		size_t n;

		if (!cbor_isa_string(arg) || !cbor_string_is_definite(arg)) {
			break;
		}
		n = cbor_string_length(arg);
		if (len + n >= LINE_LEN) {
			return SIM_GROUP_ERR(SHELL_ERR_COMMAND_TOO_LONG);
		}
		if (n) {
			memcpy(line + len, cbor_string_handle(arg), n);
		}
		len += n;
		line[len++] = ' ';
	}
	if (len == 0) {
		return SIM_GROUP_ERR(SHELL_ERR_EMPTY_COMMAND);
	}
	line[len - 1] = '\0';
	print(&sh, "\n");
	ret = execute(&sh, line);
	dfu_smp_mgmt_cbor_text(req->rsp, "o");
	dfu_smp_mgmt_cbor_text_n(req->rsp, sh.out, sh.len);
	dfu_smp_mgmt_cbor_text(req->rsp, "ret");
	dfu_smp_mgmt_cbor_int(req->rsp, ret);
	return 0;
}

/* Zephyr's version 1 folding of shell group errors. */
static int fold_v1(int rc)
{
	switch (rc) {
	case SHELL_ERR_COMMAND_TOO_LONG:
	case SHELL_ERR_EMPTY_COMMAND:
		return DFU_SMP_MGMT_ERR_EINVAL;
	default:
		return DFU_SMP_MGMT_ERR_EUNKNOWN;
	}
}

static const struct sim_handler handlers[] = {
	{ DFU_SMP_MGMT_SHELL_EXEC, NULL, exec },
};

const struct sim_group sim_group_shell = {
	.id = DFU_SMP_MGMT_GROUP_SHELL,
	.name = "shell mgmt",
	.handlers = handlers,
	.count = sizeof(handlers) / sizeof(handlers[0]),
	.fold_v1 = fold_v1,
};
