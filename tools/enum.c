/* SPDX-License-Identifier: Apache-2.0 */
/* dfu-smp commands of the enumeration group: enum count, list, single, details. */
#include <stdio.h>
#include <stdlib.h>

#include <dfu-smp/mgmt/enum.h>
#include <dfu-smp/mgmt/err.h>
#include "cli.h"

static int cmd_count(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	uint64_t count;
	int status;

	if (argc > 0) {
		return cli_usage(cli, "takes no arguments, got '%s'", argv[0]);
	}
	dfu_smp_mgmt_enum_count(cli_request(cli));
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_enum_count_decode(&rsp, &reply, &count) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		status = cli_print_json(cli, json_pack("{s:I}", "count", (json_int_t)count));
	} else {
		printf("%llu\n", (unsigned long long)count);
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static const char *group_label(uint16_t group)
{
	const char *name = dfu_smp_mgmt_group_name(group);

	return name ? name : "";
}

static int cmd_list(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_enum_list list;
	int status;

	if (argc > 0) {
		return cli_usage(cli, "takes no arguments, got '%s'", argv[0]);
	}
	dfu_smp_mgmt_enum_list(cli_request(cli));
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_enum_list_decode(&rsp, &reply, &list) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		json_t *groups = json_array();

		for (size_t i = 0; i < list.count; i++) {
			json_array_append_new(groups, json_integer(list.groups[i]));
		}
		status = cli_print_json(cli, json_pack("{s:o}", "groups", groups));
	} else {
		for (size_t i = 0; i < list.count; i++) {
			printf("%u %s\n", (unsigned)list.groups[i], group_label(list.groups[i]));
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static int cmd_single(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_enum_single_rsp one;
	uint64_t index;
	int status;

	if (argc != 1 || args_u64(argv[0], UINT32_MAX, &index) != 0) {
		return cli_usage(cli, "give the INDEX of the group (from 0)");
	}
	dfu_smp_mgmt_enum_single(cli_request(cli), index);
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_enum_single_decode(&rsp, &reply, &one) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		status = cli_print_json(cli, json_pack("{s:i, s:b}", "group", (int)one.group,
						       "end", one.end));
	} else {
		printf("%u %s%s\n", (unsigned)one.group, group_label(one.group),
		       one.end ? " (last)" : "");
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static int cmd_details(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_enum_details details;
	uint16_t *ids = calloc((size_t)argc + 1, sizeof(*ids));
	int status;

	if (!ids) {
		return cli_fail(cli, "out of memory");
	}
	for (int i = 0; i < argc; i++) {
		uint64_t id;

		if (args_u64(argv[i], UINT16_MAX, &id) != 0) {
			free(ids);
			return cli_usage(cli, "'%s' is not a group ID", argv[i]);
		}
		ids[i] = (uint16_t)id;
	}
	status = dfu_smp_mgmt_enum_details(cli_request(cli), ids, (size_t)argc);
	free(ids);
	if (status) {
		return cli_too_large(cli);
	}
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_enum_details_decode(&rsp, &reply, &details) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		json_t *groups = json_array();

		for (size_t i = 0; i < details.count; i++) {
			const struct dfu_smp_mgmt_enum_detail *d = &details.groups[i];
			json_t *e = json_pack("{s:i}", "group", (int)d->group);

			if (d->name) {
				json_object_set_new(e, "name", json_string(d->name));
			}
			if (d->handlers >= 0) {
				json_object_set_new(e, "handlers", json_integer(d->handlers));
			}
			json_array_append_new(groups, e);
		}
		status = cli_print_json(cli, json_pack("{s:o}", "groups", groups));
	} else {
		for (size_t i = 0; i < details.count; i++) {
			const struct dfu_smp_mgmt_enum_detail *d = &details.groups[i];

			printf("%u %s", (unsigned)d->group,
			       d->name ? d->name : group_label(d->group));
			if (d->handlers >= 0) {
				printf(" (%lld commands)", (long long)d->handlers);
			}
			printf("\n");
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static const struct cli_arg no_params[] = { { NULL, NULL, NULL, false } };

static const struct cli_arg single_params[] = {
	{ "INDEX", NULL, "the group's index in the device's list, from 0", false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg details_params[] = {
	{ "GROUP", NULL, "the ID of a group to describe (default: every group)", false },
	{ NULL, NULL, NULL, false },
};

const struct cli_command cli_enum_commands[] = {
	{ "enum", "count", "", "how many management groups the device has", cmd_count, false,
	  no_params, NULL },
	{ "enum", "list", "", "the device's management groups", cmd_list, false, no_params, NULL },
	{ "enum", "single", "INDEX", "one group by its index", cmd_single, false, single_params,
	  NULL },
	{ "enum", "details", "[GROUP...]", "names and command counts of groups", cmd_details, false,
	  details_params, NULL },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL, NULL },
};
