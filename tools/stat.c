/* SPDX-License-Identifier: Apache-2.0 */
/* dfu-smp commands of the statistics group: stat list, stat show GROUP. */
#include <stdio.h>

#include <dfu-smp/mgmt/stat.h>
#include "cli.h"

static int cmd_list(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_stat_list list;
	int status;

	if (argc > 0) {
		return cli_usage(cli, "takes no arguments, got '%s'", argv[0]);
	}
	dfu_smp_mgmt_stat_list(cli_request(cli));
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_stat_list_decode(&rsp, &reply, &list) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		json_t *names = json_array();

		for (size_t i = 0; i < list.count; i++) {
			json_array_append_new(names, json_string(list.names[i]));
		}
		status = cli_print_json(cli, json_pack("{s:o}", "stat_list", names));
	} else {
		for (size_t i = 0; i < list.count; i++) {
			printf("%s\n", list.names[i]);
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static int cmd_show(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_stat_group group;
	int status;

	if (argc != 1) {
		return cli_usage(cli, "give the GROUP to show ('stat list' names them)");
	}
	if (dfu_smp_mgmt_stat_show(cli_request(cli), argv[0]) != 0) {
		return cli_too_large(cli);
	}
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_stat_show_decode(&rsp, &reply, &group) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		json_t *fields = json_object();

		for (size_t i = 0; i < group.count; i++) {
			json_object_set_new(fields, group.fields[i].name,
					    json_integer((json_int_t)group.fields[i].value));
		}
		status = cli_print_json(cli, json_pack("{s:s, s:o}", "name", group.name, "fields",
						       fields));
	} else {
		printf("%s\n", group.name);
		for (size_t i = 0; i < group.count; i++) {
			printf("  %-24s %llu\n", group.fields[i].name,
			       (unsigned long long)group.fields[i].value);
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static const struct cli_arg no_params[] = { { NULL, NULL, NULL, false } };

static const struct cli_arg show_params[] = {
	{ "GROUP", NULL, "the group's name, as 'stat list' prints it", false },
	{ NULL, NULL, NULL, false },
};

const struct cli_command cli_stat_commands[] = {
	{ "stat", "list", "", "the statistics groups", cmd_list, false, no_params, NULL },
	{ "stat", "show", "GROUP", "the counters of one group", cmd_show, false, show_params,
	  NULL },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL, NULL },
};
