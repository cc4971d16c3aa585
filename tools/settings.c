/* SPDX-License-Identifier: Apache-2.0 */
/* dfu-smp commands of the settings group: settings get, set, delete, commit, load, save. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/mgmt/settings.h>
#include "cli.h"

static int cmd_get(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_settings_value value;
	uint64_t max_size = 0;
	bool has_max = false;
	const char *name = NULL;
	int status;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--max-size") == 0 && i + 1 < argc &&
		    args_u64(argv[i + 1], UINT32_MAX, &max_size) == 0) {
			has_max = true;
			i++;
		} else if (!name && argv[i][0] != '-') {
			name = argv[i];
		} else {
			return cli_usage(cli, "unexpected '%s' (takes NAME [--max-size N])",
					 argv[i]);
		}
	}
	if (!name) {
		return cli_usage(cli, "give the NAME of the setting");
	}
	if (dfu_smp_mgmt_settings_read(cli_request(cli), name, has_max ? (int64_t)max_size : -1) !=
	    0) {
		return cli_too_large(cli);
	}
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_settings_read_decode(&rsp, &reply, &value) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		json_t *doc = json_pack("{s:s, s:o}", "name", name, "val",
					cli_json_hex(value.val, value.len));

		if (cli_is_text(value.val, value.len)) {
			json_object_set_new(doc, "text", json_stringn((const char *)value.val,
								      value.len));
		}
		if (value.max_size >= 0) {
			json_object_set_new(doc, "max_size", json_integer(value.max_size));
		}
		status = cli_print_json(cli, doc);
	} else if (cli_is_text(value.val, value.len)) {
		printf("%.*s\n", (int)value.len, (const char *)value.val);
	} else {
		char *hex = malloc(2 * value.len + 1);

		if (hex) {
			cli_hex(value.val, value.len, hex);
			printf("hex: %s\n", hex);
			free(hex);
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static int cmd_set(struct cli *cli, int argc, char **argv)
{
	static uint8_t value[DFU_SMP_MSG_MAX];
	bool hex = argc == 3 && strcmp(argv[0], "--hex") == 0;
	const char *name, *text;
	long len;

	if (argc != 2 && !hex) {
		return cli_usage(cli, "give NAME and VALUE (text), or --hex NAME HEX");
	}
	name = argv[hex ? 1 : 0];
	text = argv[hex ? 2 : 1];
	if (hex) {
		len = cli_parse_hex(text, value, sizeof(value));
		if (len < 0) {
			return cli_usage(cli, "the value '%s' is not hex", text);
		}
	} else {
		len = (long)strlen(text);
		memcpy(value, text, (size_t)len);
	}
	if (dfu_smp_mgmt_settings_write(cli_request(cli), name, value, (size_t)len) != 0) {
		return cli_too_large(cli);
	}
	return cli_simple(cli, "set", json_pack("{s:s, s:o}", "name", name, "val",
					    cli_json_hex(value, (size_t)len)));
}

static int cmd_delete(struct cli *cli, int argc, char **argv)
{
	if (argc != 1) {
		return cli_usage(cli, "give the NAME of the setting");
	}
	if (dfu_smp_mgmt_settings_delete(cli_request(cli), argv[0]) != 0) {
		return cli_too_large(cli);
	}
	return cli_simple(cli, "deleted", json_pack("{s:s}", "deleted", argv[0]));
}

static int cmd_commit(struct cli *cli, int argc, char **argv)
{
	if (argc > 0) {
		return cli_usage(cli, "takes no arguments, got '%s'", argv[0]);
	}
	dfu_smp_mgmt_settings_commit(cli_request(cli));
	return cli_simple(cli, "committed", json_pack("{s:b}", "committed", 1));
}

static int cmd_load(struct cli *cli, int argc, char **argv)
{
	if (argc > 0) {
		return cli_usage(cli, "takes no arguments, got '%s'", argv[0]);
	}
	dfu_smp_mgmt_settings_load(cli_request(cli));
	return cli_simple(cli, "loaded", json_pack("{s:b}", "loaded", 1));
}

static int cmd_save(struct cli *cli, int argc, char **argv)
{
	if (argc > 1) {
		return cli_usage(cli, "takes at most one NAME (a subtree), got '%s'", argv[1]);
	}
	if (dfu_smp_mgmt_settings_save(cli_request(cli), argc ? argv[0] : NULL) != 0) {
		return cli_too_large(cli);
	}
	return cli_simple(cli, "saved", json_pack("{s:b}", "saved", 1));
}

static const struct cli_arg no_params[] = { { NULL, NULL, NULL, false } };

static const struct cli_arg get_params[] = {
	{ "NAME", NULL, "the setting's name, e.g. app/mode", false },
	{ "--max-size", "N", "the longest value to ask the device for, in bytes", false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg set_params[] = {
	{ "NAME", NULL, "the setting's name", false },
	{ "VALUE", NULL, "its value, as text", false },
	{ "--hex", NULL, "the value is given as HEX", false },
	{ "HEX", NULL, "its value as bytes in hex, e.g. 0102ff", false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg name_params[] = {
	{ "NAME", NULL, "the setting's name", false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg save_params[] = {
	{ "NAME", NULL, "a subtree to save (default: every setting)", false },
	{ NULL, NULL, NULL, false },
};

const struct cli_command cli_settings_commands[] = {
	{ "settings", "get", "NAME [--max-size N]", "read a setting", cmd_get, false, get_params,
	  NULL },
	{ "settings", "set", "NAME VALUE | --hex NAME HEX", "write a setting", cmd_set, false,
	  set_params, NULL },
	{ "settings", "delete", "NAME", "delete a setting", cmd_delete, false, name_params, NULL },
	{ "settings", "commit", "", "apply written settings", cmd_commit, false, no_params, NULL },
	{ "settings", "load", "", "load settings from storage", cmd_load, false, no_params, NULL },
	{ "settings", "save", "[NAME]", "save settings to storage", cmd_save, false, save_params,
	  NULL },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL, NULL },
};
