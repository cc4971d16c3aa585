/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bash completion script of dfu-smp, written from the command tables and the global
 * options (`dfu-smp --help-bash`, which the build runs to make build/dfu-smp.bash): commands,
 * subcommands, each one's options, the kinds of --conn, and file names where an argument or an
 * option's value is a local file.
 */
#include <stdio.h>
#include <string.h>

#include "help.h"

/* The script before the tables: the words of the line up to the cursor, the global options. */
static const char head[] =
	"_dfu_smp()\n"
	"{\n"
	"\tlocal line=${COMP_LINE:0:COMP_POINT} words i n cur prev cmd\n"
	"\tread -ra words <<< \"$line\"\n"
	"\tif [[ ${#words[@]} -eq 0 || $line == *[[:space:]] ]]; then\n"
	"\t\twords+=(\"\")\n"
	"\tfi\n"
	"\tn=${#words[@]}\n"
	"\tcur=${words[n-1]}\n"
	"\tprev=\n"
	"\t[[ $n -gt 1 ]] && prev=${words[n-2]}\n"
	"\tCOMPREPLY=()\n"
	"\t# the global options (and their values) before the command\n"
	"\ti=1\n"
	"\twhile [[ $i -lt $((n - 1)) ]]; do\n"
	"\t\tcase ${words[i]} in\n"
	"\t\t--*=*) ;;\n"
	"\t\t-*) [[ \" $_dfu_smp_global_values \" == *\" ${words[i]} \"* ]] && i=$((i + 1)) ;;\n"
	"\t\t*) break ;;\n"
	"\t\tesac\n"
	"\t\ti=$((i + 1))\n"
	"\tdone\n"
	"\tif [[ $i -ge $((n - 1)) ]]; then\n"
	"\t\tif [[ $prev == --conn ]]; then\n"
	"\t\t\tmapfile -t COMPREPLY < <(compgen -W \"udp: serial: ble: ble:name=\" -- \"$cur\")\n"
	"\t\t\tcompopt -o nospace 2>/dev/null\n"
	"\t\t\t_dfu_smp_trim \"$cur\"\n"
	"\t\telif [[ \" $_dfu_smp_global_values \" == *\" $prev \"* ]]; then\n"
	"\t\t\tmapfile -t COMPREPLY < <(compgen -W \"$(_dfu_smp_choices \"$prev\")\" -- "
	"\"$cur\")\n"
	"\t\telif [[ $cur == -* ]]; then\n"
	"\t\t\tmapfile -t COMPREPLY < <(compgen -W \"$_dfu_smp_global_options\" -- \"$cur\")\n"
	"\t\telse\n"
	"\t\t\tmapfile -t COMPREPLY < <(compgen -W \"$_dfu_smp_commands\" -- \"$cur\")\n"
	"\t\tfi\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\tcmd=${words[i]}\n"
	"\ti=$((i + 1))\n"
	"\tif [[ \" $_dfu_smp_groups \" == *\" $cmd \"* ]]; then\n"
	"\t\tif [[ $i -ge $((n - 1)) ]]; then\n"
	"\t\t\tmapfile -t COMPREPLY < <(compgen -W \"$(_dfu_smp_subcommands \"$cmd\")\" -- \"$cur\")\n"
	"\t\t\treturn 0\n"
	"\t\tfi\n"
	"\t\tcmd=\"$cmd ${words[i]}\"\n"
	"\t\ti=$((i + 1))\n"
	"\tfi\n"
	"\tlocal opts='' values='' paths='' files='' dashes=''\n"
	"\tfor ((; i < n - 1; i++)); do\n"
	"\t\t[[ ${words[i]} == -- ]] && dashes=1\n"
	"\tdone\n"
	"\tcase $cmd in\n";

/* After the commands' cases: what to offer. */
static const char tail[] =
	"\t*) return 0 ;;\n"
	"\tesac\n"
	"\tif [[ -z $dashes && \" $values \" == *\" $prev \"* ]]; then\n"
	"\t\tif [[ \" $paths \" == *\" $prev \"* ]]; then\n"
	"\t\t\tcompopt -o filenames 2>/dev/null\n"
	"\t\t\tmapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
	"\t\telse\n"
	"\t\t\tmapfile -t COMPREPLY < <(compgen -W \"$(_dfu_smp_choices \"$cmd $prev\")\" "
	"-- \"$cur\")\n"
	"\t\tfi\n"
	"\telif [[ -z $dashes && $cur == -* ]]; then\n"
	"\t\tmapfile -t COMPREPLY < <(compgen -W \"$opts -h --help --json\" -- \"$cur\")\n"
	"\telif [[ -n $files ]]; then\n"
	"\t\tcompopt -o filenames 2>/dev/null\n"
	"\t\tmapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
	"\tfi\n"
	"\treturn 0\n"
	"}\n"
	"\n"
	"# What bash takes for the word being completed starts after its last ':' or '='.\n"
	"_dfu_smp_trim()\n"
	"{\n"
	"\tlocal before=${1%\"${1##*[:=]}\"}\n"
	"\t[[ -n $before ]] && COMPREPLY=(\"${COMPREPLY[@]#\"$before\"}\")\n"
	"}\n"
	"\n"
	"complete -F _dfu_smp dfu-smp\n";

/* The names of @p arg's kind in @p cmd, separated by spaces: options, those with a value, or
 * those whose value is a file. */
static void option_list(const struct cli_command *cmd, bool with_value, bool path)
{
	const char *sep = "";

	for (const struct cli_arg *a = cmd->params; a && a->name; a++) {
		if (a->name[0] != '-' || (with_value && !a->value) || (path && !a->path)) {
			continue;
		}
		printf("%s%s", sep, a->name);
		sep = " ";
	}
}

/* "case KEY) echo WORDS" for a value such as "read|write" or "1|2"; nothing for another. */
static void choice(const char *group, const char *name, const char *option, const char *value)
{
	if (!value || !strchr(value, '|')) {
		return;
	}
	printf("\t\"%s%s%s%s%s\") echo \"", group ? group : "", group ? " " : "",
	       name ? name : "", name ? " " : "", option);
	for (const char *p = value; *p; p++) {
		putchar(*p == '|' ? ' ' : *p);
	}
	printf("\" ;;\n");
}

/* True when an argument (not an option) of @p cmd is a local file. */
static bool takes_file(const struct cli_command *cmd)
{
	for (const struct cli_arg *a = cmd->params; a && a->name; a++) {
		if (a->name[0] != '-' && a->path) {
			return true;
		}
	}
	return false;
}

/* True when @p group was printed already, in the tables before @p upto. */
static bool group_seen(const char *group, const struct cli_command *upto)
{
	for (const struct cli_command *const *t = cli_tables; *t; t++) {
		for (const struct cli_command *c = *t; c->name; c++) {
			if (c == upto) {
				return false;
			}
			if (c->group && strcmp(c->group, group) == 0) {
				return true;
			}
		}
	}
	return false;
}

/* The top-level commands and groups (@p groups_only: the groups), separated by spaces. */
static void command_words(bool groups_only)
{
	const char *sep = "";

	for (const struct cli_command *const *t = cli_tables; *t; t++) {
		for (const struct cli_command *c = *t; c->name; c++) {
			const char *word = c->group ? c->group : c->name;

			if ((groups_only && !c->group) || (c->group && group_seen(c->group, c))) {
				continue;
			}
			printf("%s%s", sep, word);
			sep = " ";
		}
	}
}

void cli_completion(const struct cli *cli)
{
	const char *sep = "";

	printf("# SPDX-License-Identifier: Apache-2.0\n");
	printf("# bash completion for %s %s, made by '%s --help-bash' from its command tables.\n",
	       cli->prog, cli_version, cli->prog);
	printf("# Source it, or install it as bash-completion/completions/%s.\n\n", cli->prog);
	printf("_dfu_smp_subcommands()\n{\n\tcase $1 in\n");
	for (const struct cli_command *const *t = cli_tables; *t; t++) {
		for (const struct cli_command *c = *t; c->name; c++) {
			if (!c->group || group_seen(c->group, c)) {
				continue;
			}
			printf("\t%s) echo \"", c->group);
			sep = "";
			for (const struct cli_command *const *u = cli_tables; *u; u++) {
				for (const struct cli_command *d = *u; d->name; d++) {
					if (d->group && strcmp(d->group, c->group) == 0) {
						printf("%s%s", sep, d->name);
						sep = " ";
					}
				}
			}
			printf("\" ;;\n");
		}
	}
	printf("\tesac\n}\n\n");
	/* the words an option's value can be: "--smp-version", "raw --op" */
	printf("_dfu_smp_choices()\n{\n\tcase $1 in\n");
	for (const struct cli_global_option *o = cli_global_options; o->name; o++) {
		choice(NULL, NULL, o->name, o->value);
	}
	for (const struct cli_command *const *t = cli_tables; *t; t++) {
		for (const struct cli_command *c = *t; c->name; c++) {
			for (const struct cli_arg *a = c->params; a && a->name; a++) {
				if (a->name[0] == '-') {
					choice(c->group, c->name, a->name, a->value);
				}
			}
		}
	}
	printf("\tesac\n}\n\n");
	fputs(head, stdout);
	for (const struct cli_command *const *t = cli_tables; *t; t++) {
		for (const struct cli_command *c = *t; c->name; c++) {
			printf("\t\"%s%s%s\")\n\t\topts=\"", c->group ? c->group : "",
			       c->group ? " " : "", c->name);
			option_list(c, false, false);
			printf("\"\n\t\tvalues=\"");
			option_list(c, true, false);
			printf("\"\n\t\tpaths=\"");
			option_list(c, true, true);
			printf("\"\n\t\tfiles=%s\n\t\t;;\n", takes_file(c) ? "1" : "");
		}
	}
	fputs(tail, stdout);
	/* the variables the function reads, from the same tables */
	printf("\n_dfu_smp_global_options=\"");
	sep = "";
	for (const struct cli_global_option *o = cli_global_options; o->name; o++) {
		printf("%s%s%s%s", sep, o->short_name ? o->short_name : "",
		       o->short_name ? " " : "", o->name);
		sep = " ";
	}
	printf("\"\n_dfu_smp_global_values=\"");
	sep = "";
	for (const struct cli_global_option *o = cli_global_options; o->name; o++) {
		if (o->value) {
			printf("%s%s", sep, o->name);
			sep = " ";
		}
	}
	printf("\"\n_dfu_smp_commands=\"");
	command_words(false);
	printf("\"\n_dfu_smp_groups=\"");
	command_words(true);
	printf("\"\n");
}
