/* SPDX-License-Identifier: Apache-2.0 */
/* dfu-smp command of the shell group: shell exec CMD... */
#include <stdio.h>
#include <string.h>

#include <dfu-smp/mgmt/shell.h>
#include "cli.h"

static int cmd_exec(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_shell_rsp out;
	int status;

	if (argc < 1) {
		return cli_usage(cli, "give the shell command to run");
	}
	if (dfu_smp_mgmt_shell_exec(cli_request(cli), (size_t)argc, (const char *const *)argv) !=
	    0) {
		return cli_too_large(cli);
	}
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_shell_exec_decode(&rsp, &reply, &out) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		status = cli_print_json(cli, json_pack("{s:s, s:I}", "o", out.output, "ret",
						       (json_int_t)out.ret));
	} else {
		size_t n = strlen(out.output);

		fputs(out.output, stdout);
		if (n && out.output[n - 1] != '\n') {
			fputc('\n', stdout);
		}
		if (out.ret != 0) {
			fprintf(stderr, "%s: %s: the command returned %lld\n", cli->prog, cli->what,
				(long long)out.ret);
			status = CLI_EXIT_FAIL;
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static const struct cli_arg exec_params[] = {
	{ "CMD", NULL, "the shell command", false },
	{ "ARGS", NULL, "its arguments, each one word of the command line", false },
	{ NULL, NULL, NULL, false },
};

const struct cli_command cli_shell_commands[] = {
	{ "shell", "exec", "CMD [ARGS...]", "run a command in the device's shell", cmd_exec,
	  true, exec_params,
	  "Prints what the command printed; the exit status is 1 when the command returned "
	  "non-zero. An argument that starts with '-' and is a dfu-smp option needs '--' before "
	  "it: 'dfu-smp shell exec -- log -h'." },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL, NULL },
};
