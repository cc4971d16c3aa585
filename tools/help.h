/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What dfu-smp says of itself, all from the command tables (struct cli_command) and the tables
 * here: --help, COMMAND --help, --version, the man page (--help-man, tools/man.c) and the bash
 * completion script (--help-bash, tools/completion.c). The build makes the last two from the
 * program, so that none of them can say something the others do not.
 */
#ifndef TOOLS_HELP_H
#define TOOLS_HELP_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"

/** One global option (before the command), as tools/run.c reads it. */
struct cli_global_option {
	const char *short_name; /**< "-v", or NULL */
	const char *name;       /**< "--verbose" */
	const char *value;      /**< what it takes ("N"), or NULL for a flag */
	const char *help;       /**< what it does, in sentences, not wrapped */
	bool real_only;         /**< not taken by dfu-smp-sim, whose device is its own */
};

/** The global options, ended by an entry with a NULL name (tools/run.c). */
extern const struct cli_global_option cli_global_options[];

/** A term and what it means, for the lists of connections, environment and examples. */
struct cli_help_item {
	const char *term;
	const char *help;
};

/** The kinds of --conn, the environment variables, the examples: each ended by a NULL term. */
extern const struct cli_help_item cli_help_connections[];
extern const struct cli_help_item cli_help_environment[];
extern const struct cli_help_item cli_help_examples[];

/** One exit status and its meaning (CLI_EXIT_*); the list ends with a NULL meaning. */
struct cli_help_exit {
	int status;
	const char *meaning;
};

/** The exit statuses, ended by an entry with a NULL meaning. */
extern const struct cli_help_exit cli_help_exits[];

/**
 * The kinds of a --json error ({"error": {"kind": ..., "code": ..., "message": ...}}), each
 * with what it means, ended by an entry with a NULL term.
 */
extern const struct cli_help_item cli_help_error_kinds[];

/** The program's description, one line. */
extern const char cli_help_description[];

/** Where global options go and what '--' does, in sentences, then an example command line. */
extern const char cli_help_placement[];
extern const char cli_help_placement_example[];

/** The version, from CMakeLists.txt's project(). */
extern const char cli_version[];

/** Print the whole --help of @p cli's program on stdout. */
void cli_help(const struct cli *cli);

/** Print @p cmd's usage, arguments, options and notes on stdout (COMMAND --help). */
void cli_help_command(const struct cli *cli, const struct cli_command *cmd);

/** Print the subcommands of @p group on stdout (GROUP --help). */
void cli_help_group(const struct cli *cli, const char *group);

/** Print the dfu-smp(1) man page, roff, on stdout (tools/man.c). */
void cli_man(const struct cli *cli);

/** Print the bash completion script for dfu-smp on stdout (tools/completion.c). */
void cli_completion(const struct cli *cli);

#endif /* TOOLS_HELP_H */
