/* SPDX-License-Identifier: Apache-2.0 */
/* dfu-smp commands of the OS group: echo, reset, params, info, datetime, taskstat, mpstat, bootloader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/mgmt/os.h>
#include "cli.h"

static int cmd_echo(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_request *req = cli_request(cli);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	const char *text = NULL;
	size_t len = 1;
	char *joined;
	int status;

	if (argc < 1) {
		return cli_usage(cli, "give the TEXT to send");
	}
	for (int i = 0; i < argc; i++) {
		len += strlen(argv[i]) + 1;
	}
	joined = malloc(len);
	if (!joined) {
		return cli_fail(cli, "out of memory");
	}
	joined[0] = '\0';
	for (int i = 0; i < argc; i++) {
		strcat(strcat(joined, i ? " " : ""), argv[i]);
	}
	status = dfu_smp_mgmt_os_echo(req, joined);
	free(joined);
	if (status) {
		return cli_too_large(cli);
	}
	status = cli_exchange(cli, req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_os_echo_decode(&rsp, &reply, &text) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		status = cli_print_json(cli, json_pack("{s:s}", "r", text));
	} else {
		printf("%s\n", text);
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static int cmd_reset(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_request *req = cli_request(cli);
	bool force = false;
	int boot_mode = -1;

	for (int i = 0; i < argc; i++) {
		uint64_t mode;

		if (strcmp(argv[i], "--force") == 0) {
			force = true;
		} else if (strcmp(argv[i], "--boot-mode") == 0 && i + 1 < argc &&
			   args_u64(argv[i + 1], 255, &mode) == 0) {
			boot_mode = (int)mode;
			i++;
		} else {
			return cli_usage(cli, "unexpected '%s' (takes --force and --boot-mode N)",
					 argv[i]);
		}
	}
	dfu_smp_mgmt_os_reset(req, force, boot_mode);
	/* sent once: a second one would reset the device again once it is back */
	return cli_simple_once(cli, cli->opt.timeout_ms ? cli->opt.timeout_ms
							: DFU_SMP_CLIENT_TIMEOUT_DEFAULT_MS,
			       "the device is resetting", json_pack("{s:b}", "reset", 1));
}

static int cmd_params(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_request *req = cli_request(cli);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_os_params params;
	int status = 0;

	if (argc > 0) {
		return cli_usage(cli, "takes no arguments, got '%s'", argv[0]);
	}
	dfu_smp_mgmt_os_params(req);
	status = cli_exchange(cli, req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_os_params_decode(&rsp, &reply, &params) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		status = cli_print_json(cli, json_pack("{s:I, s:I}", "buf_size",
						       (json_int_t)params.buf_size, "buf_count",
						       (json_int_t)params.buf_count));
	} else {
		printf("buf_size: %u\nbuf_count: %u\n", (unsigned)params.buf_size,
		       (unsigned)params.buf_count);
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static int cmd_info(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_request *req = cli_request(cli);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	const char *output = NULL;
	int status = 0;

	if (argc > 1) {
		return cli_usage(cli, "takes at most one FORMAT, got '%s'", argv[1]);
	}
	if (dfu_smp_mgmt_os_info(req, argc ? argv[0] : NULL) != 0) {
		return cli_too_large(cli);
	}
	status = cli_exchange(cli, req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_os_info_decode(&rsp, &reply, &output) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		status = cli_print_json(cli, json_pack("{s:s}", "output", output));
	} else {
		printf("%s\n", output);
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static int cmd_datetime(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_request *req = cli_request(cli);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	const char *datetime = NULL;
	int status = 0;

	if (argc > 1) {
		return cli_usage(cli, "takes at most one date-time to set, got '%s'", argv[1]);
	}
	if (argc == 1) {
		if (dfu_smp_mgmt_os_datetime_set(req, argv[0]) != 0) {
			return cli_too_large(cli);
		}
		status = cli_exchange(cli, req, &rsp);
	if (status) {
		return status;
	}
		if (dfu_smp_mgmt_reply_status(&rsp, &reply) != 0) {
			status = cli_reply_failed(cli, &reply);
		} else if (cli->json) {
			status = cli_print_json(cli, json_pack("{s:s}", "datetime", argv[0]));
		} else {
			printf("set to %s\n", argv[0]);
		}
		dfu_smp_mgmt_reply_close(&reply);
		return status;
	}
	dfu_smp_mgmt_os_datetime_get(req);
	status = cli_exchange(cli, req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_os_datetime_get_decode(&rsp, &reply, &datetime) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		status = cli_print_json(cli, json_pack("{s:s}", "datetime", datetime));
	} else {
		printf("%s\n", datetime);
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

/* An optional count: JSON null and "-" in text when the device left it out. */
static json_t *opt_json(int64_t v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static int cmd_taskstat(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_request *req = cli_request(cli);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_os_taskstat ts;
	int status = 0;

	if (argc > 0) {
		return cli_usage(cli, "takes no arguments, got '%s'", argv[0]);
	}
	dfu_smp_mgmt_os_taskstat(req);
	status = cli_exchange(cli, req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_os_taskstat_decode(&rsp, &reply, &ts) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		json_t *tasks = json_object();

		for (size_t i = 0; i < ts.count; i++) {
			const struct dfu_smp_mgmt_os_task *t = &ts.tasks[i];
			char key[96];

			/* builds without thread names use the priority, which threads share: every
			 * thread is kept, a repeated name taking its thread id after a '#' */
			snprintf(key, sizeof(key), "%s", t->name);
			if (json_object_get(tasks, key)) {
				snprintf(key, sizeof(key), "%.60s#%llu", t->name,
					 (unsigned long long)t->tid);
			}
			for (unsigned n = 2; json_object_get(tasks, key); n++) {
				snprintf(key, sizeof(key), "%.60s#%llu-%u", t->name,
					 (unsigned long long)t->tid, n);
			}
			json_object_set_new(tasks, key, json_pack(
				"{s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}",
				"prio", (json_int_t)t->prio, "tid", (json_int_t)t->tid,
				"state", (json_int_t)t->state, "stksiz", opt_json(t->stksiz),
				"stkuse", opt_json(t->stkuse), "runtime", opt_json(t->runtime),
				"cswcnt", opt_json(t->cswcnt),
				"last_checkin", opt_json(t->last_checkin),
				"next_checkin", opt_json(t->next_checkin)));
		}
		status = cli_print_json(cli, json_pack("{s:o}", "tasks", tasks));
	} else {
		printf("%-16s %5s %4s %6s %8s %8s %10s %8s\n", "task", "prio", "tid", "state",
		       "stk use", "stk size", "runtime", "switches");
		for (size_t i = 0; i < ts.count; i++) {
			const struct dfu_smp_mgmt_os_task *t = &ts.tasks[i];

			printf("%-16s %5lld %4llu %6llx %8lld %8lld %10lld %8lld\n", t->name,
			       (long long)t->prio, (unsigned long long)t->tid,
			       (unsigned long long)t->state, (long long)t->stkuse,
			       (long long)t->stksiz, (long long)t->runtime, (long long)t->cswcnt);
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static int cmd_mpstat(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_request *req = cli_request(cli);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_os_mpstat mp;
	int status = 0;

	if (argc > 0) {
		return cli_usage(cli, "takes no arguments, got '%s'", argv[0]);
	}
	dfu_smp_mgmt_os_mpstat(req);
	status = cli_exchange(cli, req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_os_mpstat_decode(&rsp, &reply, &mp) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		json_t *pools = json_object();

		for (size_t i = 0; i < mp.count; i++) {
			const struct dfu_smp_mgmt_os_mpool *p = &mp.pools[i];

			json_object_set_new(pools, p->name, json_pack(
				"{s:o, s:I, s:I, s:o}", "blksiz", opt_json(p->blksiz), "nblks",
				(json_int_t)p->nblks, "nfree", (json_int_t)p->nfree, "min",
				opt_json(p->min)));
		}
		status = cli_print_json(cli, json_pack("{s:o}", "mpools", pools));
	} else {
		printf("%-12s %8s %8s %8s %8s\n", "pool", "blksiz", "blocks", "free", "min");
		for (size_t i = 0; i < mp.count; i++) {
			const struct dfu_smp_mgmt_os_mpool *p = &mp.pools[i];

			printf("%-12s %8lld %8llu %8llu %8lld\n", p->name, (long long)p->blksiz,
			       (unsigned long long)p->nblks, (unsigned long long)p->nfree,
			       (long long)p->min);
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static int cmd_bootloader(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_request *req = cli_request(cli);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_os_bootloader bl;
	int status = 0;

	if (argc > 1) {
		return cli_usage(cli, "takes at most one QUERY (e.g. mode), got '%s'", argv[1]);
	}
	if (dfu_smp_mgmt_os_bootloader(req, argc ? argv[0] : NULL) != 0) {
		return cli_too_large(cli);
	}
	status = cli_exchange(cli, req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_os_bootloader_decode(&rsp, &reply, &bl) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		json_t *doc = json_object();

		if (bl.name) {
			json_object_set_new(doc, "bootloader", json_string(bl.name));
		}
		if (bl.has_mode) {
			json_object_set_new(doc, "mode", json_integer(bl.mode));
			json_object_set_new(
				doc, "mode_name",
				json_string(dfu_smp_mgmt_os_bootloader_mode_name(bl.mode)));
			json_object_set_new(doc, "no-downgrade", json_boolean(bl.no_downgrade));
		}
		status = cli_print_json(cli, doc);
	} else {
		if (bl.name) {
			printf("bootloader: %s\n", bl.name);
		}
		if (bl.has_mode) {
			printf("mode: %lld (%s)%s\n", (long long)bl.mode,
			       dfu_smp_mgmt_os_bootloader_mode_name(bl.mode),
			       bl.no_downgrade ? ", downgrades refused" : "");
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static const struct cli_arg no_params[] = { { NULL, NULL, NULL, false } };

static const struct cli_arg echo_params[] = {
	{ "TEXT", NULL, "the text to send; several words go joined by single spaces", false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg reset_params[] = {
	{ "--force", NULL, "reset even when the application would refuse", false },
	{ "--boot-mode", "N", "the boot mode to reset into, 0..255", false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg info_params[] = {
	{ "FORMAT", NULL, "letters naming what to show: s kernel name, n node name, r release, "
	  "v version, b build time, m machine, p processor, i hardware platform, o operating "
	  "system, a all of them (default: s)", false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg datetime_params[] = {
	{ "DATETIME", NULL, "the date and time to set, ISO 8601: 2026-01-31T12:00:00 (default: "
	  "read the clock)", false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg bootloader_params[] = {
	{ "QUERY", NULL, "what to ask the bootloader, e.g. mode (default: its name)", false },
	{ NULL, NULL, NULL, false },
};

const struct cli_command cli_os_commands[] = {
	{ NULL, "echo", "TEXT", "send TEXT; print what the device echoes", cmd_echo,
	  true, echo_params,
	  "Text that starts with '-' is read as an option of dfu-smp: put '--' before it to send "
	  "it as it is. 'dfu-smp echo --help' shows this help; 'dfu-smp echo -- --help' sends the "
	  "text --help." },
	{ NULL, "reset", "[--force] [--boot-mode N]", "reset the device", cmd_reset, false,
	  reset_params, NULL },
	{ NULL, "params", "", "the device's SMP buffer size and count", cmd_params, false,
	  no_params, NULL },
	{ NULL, "info", "[FORMAT]", "OS/application info (format letters snrvbmpioa)",
	  cmd_info, false, info_params, NULL },
	{ NULL, "datetime", "[DATETIME]", "read, or set, the device's clock", cmd_datetime, false,
	  datetime_params, NULL },
	{ NULL, "taskstat", "", "thread statistics", cmd_taskstat, false, no_params, NULL },
	{ NULL, "mpstat", "", "memory pool statistics", cmd_mpstat, false, no_params, NULL },
	{ NULL, "bootloader", "[QUERY]", "bootloader name, or its mode with 'mode'",
	  cmd_bootloader, false, bootloader_params, NULL },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL, NULL },
};
