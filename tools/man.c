/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dfu-smp(1) man page, written as roff (man macros) from the tables --help prints
 * (tools/help.c): `dfu-smp --help-man`, which the build runs to make build/dfu-smp.1.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "help.h"

/* @p text escaped for roff: backslashes, minus signs, and a leading '.' or '\''. */
static void roff(const char *text)
{
	if (*text == '.' || *text == '\'') {
		fputs("\\&", stdout);
	}
	for (const char *p = text; *p; p++) {
		if (*p == '\\') {
			fputs("\\e", stdout);
		} else if (*p == '-') {
			fputs("\\-", stdout);
		} else {
			putchar(*p);
		}
	}
}

/* A line of text with a full stop at its end. */
static void sentence(const char *text)
{
	size_t n = strlen(text);

	roff(text);
	puts(n && text[n - 1] == '.' ? "" : ".");
}

/* ".TP", then @p term in bold and its value in italics, then @p help. */
static void tagged(const char *short_name, const char *name, const char *value, const char *help)
{
	puts(".TP");
	if (short_name) {
		fputs("\\fB", stdout);
		roff(short_name);
		fputs("\\fR, ", stdout);
	}
	fputs("\\fB", stdout);
	roff(name);
	fputs("\\fR", stdout);
	if (value) {
		fputs(" \\fI", stdout);
		roff(value);
		fputs("\\fR", stdout);
	}
	putchar('\n');
	sentence(help);
}

static void command(const struct cli_command *c)
{
	puts(".TP");
	fputs("\\fB", stdout);
	if (c->group) {
		roff(c->group);
		putchar(' ');
	}
	roff(c->name);
	fputs("\\fR", stdout);
	if (c->args[0]) {
		putchar(' ');
		roff(c->args);
	}
	putchar('\n');
	sentence(c->help);
	if (c->more) {
		puts(".IP");
		sentence(c->more);
	}
	if (c->params && c->params->name) {
		puts(".RS");
		for (const struct cli_arg *a = c->params; a->name; a++) {
			if (a->name[0] == '-') {
				tagged(NULL, a->name, a->value, a->help);
			} else {
				puts(".TP");
				fputs("\\fI", stdout);
				roff(a->name);
				puts("\\fR");
				sentence(a->help);
			}
		}
		puts(".RE");
	}
}

void cli_man(const struct cli *cli)
{
	(void)cli;
	printf(".TH DFU\\-SMP 1 \"\" \"dfu\\-smp %s\" \"User Commands\"\n", cli_version);
	puts(".SH NAME");
	/* "manage and update ...", no full stop */
	printf("dfu\\-smp \\- %c", tolower((unsigned char)cli_help_description[0]));
	printf("%.*s\n", (int)(strlen(cli_help_description) - 2), cli_help_description + 1);
	puts(".SH SYNOPSIS");
	puts(".B dfu\\-smp");
	puts("[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR...]");
	puts(".br");
	puts(".B dfu\\-smp");
	puts("\\fICOMMAND\\fR \\fB\\-\\-help\\fR");
	puts(".br");
	puts(".B dfu\\-smp \\-\\-version");
	puts(".SH DESCRIPTION");
	puts(".B dfu\\-smp");
	puts("talks to a device running MCUmgr (Zephyr, MCUboot) over SMP, the Simple Management");
	puts("Protocol, on UDP, a serial port or BLE: one command per run.");
	puts(".PP");
	roff(cli_help_placement);
	puts("\n.IP");
	fputs("\\fB", stdout);
	roff(cli_help_placement_example);
	puts("\\fR");
	puts(".SH OPTIONS");
	for (const struct cli_global_option *o = cli_global_options; o->name; o++) {
		tagged(o->short_name, o->name, o->value, o->help);
	}
	puts(".SH COMMANDS");
	puts("Every command takes \\fB\\-h\\fR, \\fB\\-\\-help\\fR: it prints its arguments and");
	puts("options and exits, touching no device.");
	for (const struct cli_command *const *t = cli_tables; *t; t++) {
		for (const struct cli_command *c = *t; c->name; c++) {
			command(c);
		}
	}
	puts(".SH CONNECTIONS");
	printf("\\fB\\-\\-conn\\fR \\fISPEC\\fR or \\fB%s\\fR=\\fISPEC\\fR, where \\fISPEC\\fR is one of:\n",
	       CLI_CONN_ENV);
	for (const struct cli_help_item *c = cli_help_connections; c->term; c++) {
		puts(".TP");
		fputs("\\fB", stdout);
		roff(c->term);
		puts("\\fR");
		sentence(c->help);
	}
	puts(".PP");
	printf("The simulated device is a program of its own, \\fB%s\\fR.\n", CLI_SIM_PROGRAM);
	puts(".SH ENVIRONMENT");
	for (const struct cli_help_item *e = cli_help_environment; e->term; e++) {
		tagged(NULL, e->term, NULL, e->help);
	}
	puts(".SH EXIT STATUS");
	for (const struct cli_help_exit *e = cli_help_exits; e->meaning; e++) {
		printf(".TP\n.B %d\n", e->status);
		sentence(e->meaning);
	}
	puts(".PP");
	puts("With \\fB\\-\\-json\\fR every failure, a usage error too, prints");
	puts("\\fB{\"error\": {\"kind\": \\fIKIND\\fB, \"code\": \\fICODE\\fB, \"message\": \\fITEXT\\fB}}\\fR,");
	puts("\\fIKIND\\fR one of:");
	for (const struct cli_help_item *k = cli_help_error_kinds; k->term; k++) {
		tagged(NULL, k->term, NULL, k->help);
	}
	puts(".SH EXAMPLES");
	for (const struct cli_help_item *e = cli_help_examples; e->term; e++) {
		puts(".TP");
		fputs("\\fB", stdout);
		roff(e->term);
		puts("\\fR");
		sentence(e->help);
	}
}
