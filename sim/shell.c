/*
 * The simulated device's shell group (9): the command line is put together from `argv` as
 * Zephyr's shell_mgmt does (joined by spaces, then split again by the shell) and run by a
 * small shell with a few of Zephyr's commands, its output collected as the dummy backend does.
 */
#include "device.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../mgmt/err.h"
#include "../mgmt/shell.h"

/* Shell group error codes (enum shell_mgmt_err_code_t). */
enum {
	SHELL_ERR_COMMAND_TOO_LONG = 2,
	SHELL_ERR_EMPTY_COMMAND = 3,
};

/* Zephyr's errno values, which the shell returns negated, whatever the host's are. */
#define Z_EINVAL 22
#define Z_ENOEXEC 8

/* CONFIG_SHELL_CMD_BUFF_SIZE */
#define LINE_LEN 256
/* CONFIG_SHELL_ARGC_MAX */
#define ARGC_MAX 12
/* CONFIG_SHELL_BACKEND_DUMMY_BUF_SIZE: longer output is cut */
#define OUT_LEN 300

struct shell {
	const struct sim_req *req;
	char out[OUT_LEN + 1];
	size_t len;
};

/* The shell writes lines ending in "\n", which the backend turns into CR LF. */
static void print(struct shell *sh, const char *fmt, ...)
{
	char text[OUT_LEN + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
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

static int cmd_uptime(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print(sh, "Uptime: %llu ms\n",
	      (unsigned long long)(sim_device_uptime_us(sh->req->dev, sh->req->now_us) / 1000));
	return 0;
}

static int cmd_version(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print(sh, "Zephyr version 4.4.0\n");
	return 0;
}

static int cmd_devices(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print(sh, "devices:\n"
		  "- clock@40000000 (READY)\n"
		  "- gpio@50000000 (READY)\n"
		  "- rtc@4000b000 (READY)\n"
		  "- uart@40002000 (READY)\n"
		  "- flash-controller@4001e000 (READY)\n");
	return 0;
}

struct command {
	const char *name;
	int (*fn)(struct shell *sh, int argc, char **argv);
	int max_args; /* arguments after the name; -1 any */
	const struct command *subs;
};

static const struct command kernel_cmds[] = {
	{ "uptime", cmd_uptime, 0, NULL },
	{ "version", cmd_version, 0, NULL },
	{ NULL, NULL, 0, NULL },
};

static const struct command device_cmds[] = {
	{ "list", cmd_devices, 0, NULL },
	{ NULL, NULL, 0, NULL },
};

static const struct command root_cmds[] = {
	{ "device", NULL, 0, device_cmds },
	{ "echo", cmd_echo, -1, NULL },
	{ "help", cmd_help, -1, NULL },
	{ "kernel", NULL, 0, kernel_cmds },
	{ NULL, NULL, 0, NULL },
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

/* shell_execute_cmd(): split the line, find the command, check its arguments, run it. */
static int execute(struct shell *sh, char *line)
{
	char *argv[ARGC_MAX + 1], *save = NULL;
	const struct command *cmd;
	int argc = 0, depth = 0;

	for (char *tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (argc == ARGC_MAX) {
			print(sh, "Too many arguments in the command.\n");
			return -Z_ENOEXEC;
		}
		argv[argc++] = tok;
	}
	if (argc == 0) {
		return -Z_ENOEXEC;
	}
	cmd = lookup(root_cmds, argv[0]);
	if (!cmd) {
		print(sh, "%s: command not found\n", argv[0]);
		return -Z_ENOEXEC;
	}
	while (cmd->subs) {
		const struct command *sub;

		if (argc == depth + 1) {
			print(sh, "%s: please specify subcommand\n", argv[depth]);
			return -Z_ENOEXEC;
		}
		sub = lookup(cmd->subs, argv[depth + 1]);
		if (!sub) {
			print(sh, "%s: unknown parameter: %s\n", argv[depth], argv[depth + 1]);
			return -Z_EINVAL;
		}
		cmd = sub;
		depth++;
	}
	if (cmd->max_args >= 0 && argc - depth - 1 > cmd->max_args) {
		print(sh, "%s: wrong parameter count\n", argv[depth]);
		return -Z_EINVAL;
	}
	return cmd->fn(sh, argc - depth, argv + depth);
}

static int exec(struct sim_req *req)
{
	const cbor_item_t *args = mgmt_cbor_find(req->map, "argv");
	struct shell sh = { .req = req };
	char line[LINE_LEN + 1];
	size_t len = 0, count;
	int ret;

	if (!args || !cbor_isa_array(args)) {
		return MGMT_ERR_EINVAL;
	}
	count = cbor_array_size(args);
	for (size_t i = 0; i < count; i++) {
		const cbor_item_t *arg = cbor_array_handle(args)[i];
		size_t n;

		if (!cbor_isa_string(arg) || !cbor_string_is_definite(arg)) {
			return MGMT_ERR_EINVAL;
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
	ret = execute(&sh, line);
	mgmt_cbor_text(req->rsp, "o");
	mgmt_cbor_text_n(req->rsp, sh.out, sh.len);
	mgmt_cbor_text(req->rsp, "ret");
	mgmt_cbor_int(req->rsp, ret);
	return 0;
}

/* Zephyr's version 1 folding of shell group errors. */
static int fold_v1(int rc)
{
	switch (rc) {
	case SHELL_ERR_COMMAND_TOO_LONG:
	case SHELL_ERR_EMPTY_COMMAND:
		return MGMT_ERR_EINVAL;
	default:
		return MGMT_ERR_EUNKNOWN;
	}
}

static const struct sim_handler handlers[] = {
	{ MGMT_SHELL_EXEC, NULL, exec },
};

const struct sim_group sim_group_shell = {
	.id = MGMT_GROUP_SHELL,
	.name = "shell",
	.handlers = handlers,
	.count = sizeof(handlers) / sizeof(handlers[0]),
	.fold_v1 = fold_v1,
};
