/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --help and COMMAND --help: the command tables and the tables here, wrapped to 80 columns
 * (a long term moves its text to the next line; nothing is cut). The man page (tools/man.c)
 * and the completion (tools/completion.c) say the same from the same tables.
 */
#include "help.h"

#include <string.h>

#define WIDTH 80u      /* columns of --help */
#define TERM_COL 23u   /* where an option's text starts */
#define COMMAND_COL 36u /* where a command's text starts in the list */

const char cli_help_description[] = "Manage and update Zephyr/MCUboot devices over SMP (MCUmgr).";

const char cli_help_placement[] =
	"Global options go before the command: one given after it is refused (exit 2), but for a "
	"last --json and the command's own options. '--' after the command passes what follows as "
	"it is, for text that looks like an option; this sends the text '--json is text':";

const char cli_help_placement_example[] = "dfu-smp echo -- --json is text";

const struct cli_help_item cli_help_connections[] = {
	{ "udp:HOST[:PORT]", "UDP, port 1337 by default; udp:[::1]:1337 for IPv6" },
	{ "serial:PATH[@BAUD][?framing=F]", "a serial port at 115200 baud by default; F is "
	  "console (the default: Zephyr's SMP console lines), raw (bare SMP messages) or cobs" },
	{ "ble:ADDRESS", "BLE through BlueZ, the device at ADDRESS (AA:BB:CC:DD:EE:FF)" },
	{ "ble:name=NAME", "BLE through BlueZ, the first device advertising NAME" },
	{ NULL, NULL },
};

const struct cli_help_item cli_help_environment[] = {
	{ CLI_CONN_ENV, "the connection (as --conn SPEC) when --conn is not given" },
	{ NULL, NULL },
};

const struct cli_help_item cli_help_error_kinds[] = {
	{ CLI_KIND_USAGE, "the command line is wrong; code 2" },
	{ CLI_KIND_LINK, "the device was not found, the link could not be opened or was lost, or "
	  "nothing answered in time; code 3" },
	{ CLI_KIND_DEVICE, "the device answered with an error; code is its name "
	  "(\"MGMT_ERR_EINVAL\", \"IMG_MGMT_ERR_NO_FREE_SLOT\", ...), with rc, group and name "
	  "beside it" },
	{ CLI_KIND_IMAGE, "the image file cannot be read or is no valid image; code 4" },
	{ CLI_KIND_ROLLED_BACK, "after the reset the device runs the old image; code 5" },
	{ CLI_KIND_INTERRUPTED, "interrupted by SIGINT; code 130" },
	{ CLI_KIND_REFUSED, "a check before sending refused the request (too large, an image "
	  "number the device has not); code 1" },
	{ CLI_KIND_FAILED, "anything else that went wrong (a malformed answer, the device did not "
	  "do what it answered, out of memory); code 1" },
	{ NULL, NULL },
};

const struct cli_help_item cli_help_examples[] = {
	{ "dfu-smp --conn udp:192.0.2.1 image list", "the images and slots of a device on UDP" },
	{ "dfu-smp --conn serial:/dev/ttyACM0 upgrade app.signed.bin",
	  "update the firmware over a serial port: check, upload, test boot, confirm" },
	{ "dfu-smp --conn ble:name=sensor -v upgrade --key key.pem app.signed.bin",
	  "the same over BLE, the signature checked first, each step logged" },
	{ "dfu-smp inspect app.signed.bin", "check an image file, without a device" },
	{ "dfu-smp upgrade --help", "the arguments and options of upgrade" },
	{ NULL, NULL },
};

const struct cli_help_exit cli_help_exits[] = {
	{ CLI_EXIT_OK, "success (and for --help, --version)" },
	{ CLI_EXIT_FAIL, "the exchange or the device failed (the device answered with an error, "
	  "or refused the request)" },
	{ CLI_EXIT_USAGE, "the command line is wrong" },
	{ CLI_EXIT_LINK, "the device was not found, the link could not be opened or was lost, or "
	  "nothing answered in time" },
	{ CLI_EXIT_IMAGE, "the image file cannot be read or is no valid signed MCUboot image; "
	  "nothing was sent" },
	{ CLI_EXIT_ROLLED_BACK, "the device rolled back: after the reset it runs the old image" },
	{ CLI_EXIT_ABORTED, "interrupted (SIGINT): the run was aborted; an upload or upgrade run "
	  "again resumes at the device's offset" },
	{ 0, NULL },
};

/*
 * Prints @p text from column *col (the cursor's), wrapping at WIDTH: a line that would pass it
 * goes on at column @p indent. Words are never cut, nor "[--key PEM]" in a usage; runs of spaces
 * print as one.
 */
static void wrap(const char *text, size_t *col, size_t indent)
{
	bool first = true;

	while (*text) {
		size_t n;

		int depth = 0;

		text += strspn(text, " ");
		for (n = 0; text[n] && (text[n] != ' ' || depth > 0); n++) {
			depth += text[n] == '[' ? 1 : text[n] == ']' && depth > 0 ? -1 : 0;
		}
		if (n == 0) {
			break;
		}
		if (!first && *col + 1 + n > WIDTH && *col > indent) {
			printf("\n%*s", (int)indent, "");
			*col = indent;
		} else if (!first) {
			putchar(' ');
			(*col)++;
		}
		printf("%.*s", (int)n, text);
		*col += n;
		text += n;
		first = false;
	}
}

/* "  TERM   text", the text at column @p text_col (the next line when TERM is longer). */
static void item(const char *term, const char *text, size_t text_col)
{
	size_t col = 2;

	printf("  ");
	wrap(term, &col, 6);
	if (col + 2 > text_col) {
		printf("\n");
		col = 0;
	}
	printf("%*s", (int)(text_col - col), "");
	col = text_col;
	wrap(text, &col, text_col);
	printf("\n");
}

/* A paragraph wrapped at WIDTH. */
static void paragraph(const char *text)
{
	size_t col = 0;

	wrap(text, &col, 0);
	printf("\n");
}

/* "--mtu N", "-v, --verbose" in @p out. */
static void option_term(char *out, size_t cap, const char *short_name, const char *name,
			const char *value)
{
	snprintf(out, cap, "%s%s%s%s%s", short_name ? short_name : "", short_name ? ", " : "",
		 name, value ? " " : "", value ? value : "");
}

/* "image upload" or "echo" in @p out. */
static void command_name(char *out, size_t cap, const struct cli_command *cmd)
{
	snprintf(out, cap, "%s%s%s", cmd->group ? cmd->group : "", cmd->group ? " " : "",
		 cmd->name);
}

/* "usage: dfu-smp [OPTIONS] " or dfu-smp-sim's, with *col after it. */
static void usage_start(const struct cli *cli, size_t *col)
{
	int n = cli->open ? printf("usage: %s [DEVICE OPTIONS] -- [OPTIONS] ", cli->prog)
			  : printf("usage: %s [OPTIONS] ", cli->prog);

	*col = n > 0 ? (size_t)n : 0;
}

void cli_help(const struct cli *cli)
{
	size_t col;

	usage_start(cli, &col);
	printf("COMMAND [ARGS...]\n");
	printf("       %s COMMAND --help\n\n", cli->prog);
	if (cli->open) {
		printf("Run one dfu-smp command against the simulated device of %s, over the\n",
		       cli->prog);
		printf("simulated BLE link in virtual time (DEVICE OPTIONS: see '%s --help').\n\n",
		       cli->prog);
	} else {
		printf("%s\n\n", cli_help_description);
	}
	printf("options (before the command):\n");
	for (const struct cli_global_option *o = cli_global_options; o->name; o++) {
		char term[64];

		if (o->real_only && cli->open) {
			continue;
		}
		option_term(term, sizeof(term), o->short_name, o->name, o->value);
		item(term, o->help, TERM_COL);
	}
	printf("\n");
	paragraph(cli_help_placement);
	printf("  %s\n", cli_help_placement_example);
	if (!cli->open) {
		printf("\nconnections (--conn SPEC or %s=SPEC; the simulated device is a program\n"
		       "of its own, %s):\n", CLI_CONN_ENV, CLI_SIM_PROGRAM);
		for (const struct cli_help_item *c = cli_help_connections; c->term; c++) {
			item(c->term, c->help, COMMAND_COL);
		}
	}
	printf("\ncommands ('%s%s COMMAND --help' shows one's arguments and options):\n",
	       cli->prog, cli->open ? " --" : "");
	for (const struct cli_command *const *t = cli_tables; *t; t++) {
		for (const struct cli_command *c = *t; c->name; c++) {
			char name[64];
			char term[256];

			command_name(name, sizeof(name), c);
			snprintf(term, sizeof(term), "%s%s%s", name, c->args[0] ? " " : "",
				 c->args);
			item(term, c->help, COMMAND_COL);
		}
	}
	if (cli->simulated) {
		char note[256];

		snprintf(note, sizeof(note),
			 "Output says the device is simulated: text starts with "
			 "the line '%s' once connected; every JSON document has \"simulated\": "
			 "true.",
			 CLI_SIMULATED_LINE);
		printf("\n");
		paragraph(note);
	}
	if (!cli->open) {
		printf("\nenvironment:\n");
		for (const struct cli_help_item *e = cli_help_environment; e->term; e++) {
			item(e->term, e->help, TERM_COL);
		}
		printf("\nexamples:\n");
		for (const struct cli_help_item *e = cli_help_examples; e->term; e++) {
			printf("  %s\n", e->term);
			item("", e->help, 6);
		}
	}
	printf("\nexit status:\n");
	for (const struct cli_help_exit *e = cli_help_exits; e->meaning; e++) {
		char status[8];

		snprintf(status, sizeof(status), "%d", e->status);
		item(status, e->meaning, 8);
	}
}

/* The arguments (@p options false) or the options of @p cmd, under @p title; none: nothing. */
static void params(const struct cli_command *cmd, bool options, const char *title)
{
	bool any = false;

	for (const struct cli_arg *a = cmd->params; a && a->name; a++) {
		char term[64];

		if ((a->name[0] == '-') != options) {
			continue;
		}
		if (!any) {
			printf("\n%s:\n", title);
			any = true;
		}
		option_term(term, sizeof(term), NULL, a->name, a->value);
		item(term, a->help, TERM_COL);
	}
	if (options) {
		if (!any) {
			printf("\n%s:\n", title);
		}
		item("-h, --help", "show this help", TERM_COL);
	}
}

void cli_help_command(const struct cli *cli, const struct cli_command *cmd)
{
	char name[64];
	size_t col;

	command_name(name, sizeof(name), cmd);
	usage_start(cli, &col);
	wrap(name, &col, 8);
	if (cmd->args[0]) {
		putchar(' ');
		col++;
		wrap(cmd->args, &col, 8);
	}
	printf("\n\n");
	paragraph(cmd->help);
	params(cmd, false, "arguments");
	params(cmd, true, "options");
	if (cmd->more) {
		printf("\n");
		paragraph(cmd->more);
	}
	printf("\nThe global OPTIONS (%s--json, -q, -v, ...) are those of '%s --help'.\n",
	       cli->open ? "" : "--conn, ", cli->prog);
}

void cli_help_group(const struct cli *cli, const char *group)
{
	size_t col;

	usage_start(cli, &col);
	printf("%s SUBCOMMAND [ARGS...]\n\nsubcommands:\n", group);
	for (const struct cli_command *const *t = cli_tables; *t; t++) {
		for (const struct cli_command *c = *t; c->name; c++) {
			char term[256];

			if (!c->group || strcmp(c->group, group) != 0) {
				continue;
			}
			snprintf(term, sizeof(term), "%s%s%s", c->name, c->args[0] ? " " : "",
				 c->args);
			item(term, c->help, COMMAND_COL);
		}
	}
	printf("\n'%s%s %s SUBCOMMAND --help' shows one's arguments and options.\n", cli->prog,
	       cli->open ? " --" : "", group);
}
