/*
 * dfu-smp: manage and update Zephyr/MCUboot devices over SMP.
 *
 *   dfu-smp [--conn SPEC] [--mtu N] [--timeout SECONDS] [-v] COMMAND [ARGS...]
 *
 * Exit status: 0 success, 1 the exchange or the device failed, 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mgmt/err.h"
#include "../mgmt/os.h"
#include "../ports/conn.h"
#include "../smp/client.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct cli {
	const char *prog;
	const char *conn_spec;
	struct conn_options opt;
	struct conn *conn;
	uint8_t *req_buf;
	uint8_t *rsp_buf;
};

struct command {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(struct cli *cli, int argc, char **argv);
};

static int usage_error(const struct cli *cli, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", cli->prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see '%s --help')\n", cli->prog);
	return EXIT_USAGE;
}

static int fail(const struct cli *cli, const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", cli->prog, what, why);
	return EXIT_FAIL;
}

/* Connects on first use. Returns 0 or an exit status. */
static int connect_once(struct cli *cli)
{
	char why[256] = "";
	int err;

	if (cli->conn) {
		return 0;
	}
	err = conn_open(cli->conn_spec, &cli->opt, &cli->conn, why, sizeof(why));
	if (err == -EINVAL) {
		fprintf(stderr, "%s: %s\n", cli->prog, why);
		return EXIT_USAGE;
	}
	if (err) {
		return fail(cli, "cannot connect", why);
	}
	return 0;
}

/*
 * Sends the request prepared in cli->req_buf and waits for the answer.
 * Returns 0 or an exit status after printing why it failed.
 */
static int exchange(struct cli *cli, struct smp_request *req, const char *what,
		    struct smp_client_rsp *rsp)
{
	char why[256];
	int status = connect_once(cli);
	int err;

	if (status) {
		return status;
	}
	err = conn_transact(cli->conn, req, cli->rsp_buf, SMP_MSG_MAX, rsp);
	if (err) {
		conn_explain(cli->conn, err, SMP_HDR_SIZE + req->len, why, sizeof(why));
		return fail(cli, what, why);
	}
	return 0;
}

/* Reports a decoder's failure; returns the exit status. */
static int decode_failed(const struct cli *cli, const char *what, const struct mgmt_reply *reply)
{
	char why[320];

	return fail(cli, what, mgmt_err_describe(reply, why, sizeof(why)));
}

/* Prepares a request on the CLI's buffer; a builder that overflows is reported here. */
static void new_request(struct cli *cli, struct smp_request *req)
{
	smp_request_init(req, cli->req_buf, SMP_MSG_MAX);
}

static int cmd_echo(struct cli *cli, int argc, char **argv)
{
	struct smp_request req;
	struct smp_client_rsp rsp;
	struct mgmt_reply reply;
	const char *text = NULL;
	size_t len = 0;
	char *joined;
	int status;

	if (argc < 1) {
		return usage_error(cli, "echo needs the %s to send", "TEXT");
	}
	for (int i = 0; i < argc; i++) {
		len += strlen(argv[i]) + 1;
	}
	joined = malloc(len);
	if (!joined) {
		return fail(cli, "echo", "out of memory");
	}
	joined[0] = '\0';
	for (int i = 0; i < argc; i++) {
		strcat(strcat(joined, i ? " " : ""), argv[i]);
	}
	new_request(cli, &req);
	if (mgmt_os_echo(&req, joined) != 0) {
		free(joined);
		return fail(cli, "echo", "the text is longer than an SMP message can carry");
	}
	free(joined);
	status = exchange(cli, &req, "echo", &rsp);
	if (status) {
		return status;
	}
	if (mgmt_os_echo_decode(&rsp, &reply, &text) != 0) {
		status = decode_failed(cli, "echo", &reply);
	} else {
		printf("%s\n", text);
	}
	mgmt_reply_close(&reply);
	return status;
}

static int cmd_params(struct cli *cli, int argc, char **argv)
{
	struct smp_request req;
	struct smp_client_rsp rsp;
	struct mgmt_reply reply;
	struct mgmt_os_params params;
	int status;

	(void)argv;
	if (argc > 0) {
		return usage_error(cli, "params takes no arguments, got '%s'", argv[0]);
	}
	new_request(cli, &req);
	mgmt_os_params(&req);
	status = exchange(cli, &req, "params", &rsp);
	if (status) {
		return status;
	}
	if (mgmt_os_params_decode(&rsp, &reply, &params) != 0) {
		status = decode_failed(cli, "params", &reply);
	} else {
		printf("buf_size: %u\nbuf_count: %u\n", (unsigned)params.buf_size,
		       (unsigned)params.buf_count);
	}
	mgmt_reply_close(&reply);
	return status;
}

static const struct command commands[] = {
	{ "echo", "TEXT", "send TEXT to the device and print what it echoes", cmd_echo },
	{ "params", "", "print the device's SMP buffer size and count", cmd_params },
};

static void help(const char *prog)
{
	printf("usage: %s [OPTIONS] COMMAND [ARGS...]\n\n", prog);
	printf("Manage and update Zephyr/MCUboot devices over SMP (MCUmgr).\n\n");
	printf("options:\n");
	printf("  --conn SPEC        how to reach the device: sim (the simulated device; default)\n");
	printf("  --mtu N            ATT MTU to ask for on BLE links, 23..517 (default 517)\n");
	printf("  --timeout SECONDS  response timeout per request (default 10)\n");
	printf("  -v, --verbose      log each write and notification with its size\n");
	printf("  -h, --help         show this help\n\n");
	printf("commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		printf("  %-8s %-10s %s\n", commands[i].name, commands[i].args, commands[i].help);
	}
	printf("\nexit status: 0 success, 1 failure, 2 usage error\n");
}

/* Reads the value of an option given as "--opt VALUE" or "--opt=VALUE". */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		return argv[*i] + n + 1;
	}
	if (strcmp(argv[*i], name) == 0) {
		return *i + 1 < argc ? argv[++*i] : NULL;
	}
	return NULL;
}

static bool is_option(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* Parses the global options; returns the index of the command, or -exit status. */
static int parse_options(struct cli *cli, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *arg = argv[i];
		const char *value;
		char *end;

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			help(cli->prog);
			return -EXIT_SUCCESS;
		} else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
			cli->opt.verbose++;
		} else if (is_option(arg, "--conn")) {
			value = option_value(argc, argv, &i, "--conn");
			if (!value || !*value) {
				return -usage_error(cli, "%s needs a value such as 'sim'", "--conn");
			}
			cli->conn_spec = value;
		} else if (is_option(arg, "--mtu")) {
			long mtu;

			value = option_value(argc, argv, &i, "--mtu");
			mtu = value ? strtol(value, &end, 10) : 0;
			if (!value || *end || mtu < 23 || mtu > 517) {
				return -usage_error(cli, "--mtu takes a number from 23 to 517, got '%s'",
						    value ? value : "");
			}
			cli->opt.mtu = (uint16_t)mtu;
		} else if (is_option(arg, "--timeout")) {
			double s;

			value = option_value(argc, argv, &i, "--timeout");
			s = value ? strtod(value, &end) : 0;
			if (!value || *end || !(s > 0) || s > 3600) {
				return -usage_error(cli, "--timeout takes seconds, more than 0 and at "
						    "most 3600, got '%s'", value ? value : "");
			}
			cli->opt.timeout_ms = (uint32_t)(s * 1000.0 + 0.5);
			if (cli->opt.timeout_ms == 0) {
				cli->opt.timeout_ms = 1;
			}
		} else {
			return -usage_error(cli, "unknown option '%s'", arg);
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	struct cli cli = { .prog = "dfu-smp", .conn_spec = "sim" };
	const struct command *cmd = NULL;
	int first, status;

	first = parse_options(&cli, argc, argv);
	if (first <= 0) {
		return -first;
	}
	if (first >= argc) {
		return usage_error(&cli, "no command given%s", "");
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[first], commands[i].name) == 0) {
			cmd = &commands[i];
		}
	}
	if (!cmd) {
		return usage_error(&cli, "unknown command '%s'", argv[first]);
	}
	cli.req_buf = malloc(SMP_MSG_MAX);
	cli.rsp_buf = malloc(SMP_MSG_MAX);
	if (!cli.req_buf || !cli.rsp_buf) {
		status = fail(&cli, cmd->name, "out of memory");
	} else {
		status = cmd->run(&cli, argc - first - 1, argv + first + 1);
	}
	conn_close(cli.conn);
	free(cli.req_buf);
	free(cli.rsp_buf);
	return status;
}
