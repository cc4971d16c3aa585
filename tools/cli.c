/* SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <dfu-smp/dfu/image.h>
#include <dfu-smp/mgmt/err.h>
#include "progress.h"

static void json_error(struct cli *cli, json_t *error)
{
	if (cli->json) {
		cli_print_json(cli, json_pack("{s:o}", "error", error));
	} else {
		json_decref(error);
	}
}

/* The message of a failure, in @p msg: its line on stderr, its JSON error on stdout. */
static void report(struct cli *cli, int status, const char *kind, const char *msg)
{
	progress_break(); /* on a line of its own, not after a progress bar */
	fprintf(stderr, "%s: %s%s%s\n", cli->prog, cli->what ? cli->what : "",
		cli->what ? ": " : "", msg);
	json_error(cli, json_pack("{s:s, s:i, s:s}", "kind", kind, "code", status, "message",
				  msg));
}

int cli_usage(struct cli *cli, const char *fmt, ...)
{
	char msg[800];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	snprintf(msg + n, sizeof(msg) - n, " (see '%s --help')", cli->prog);
	report(cli, CLI_EXIT_USAGE, CLI_KIND_USAGE, msg);
	return CLI_EXIT_USAGE;
}

/* report() of the message @p fmt and @p ap make. @return @p status. */
static int vfail(struct cli *cli, int status, const char *kind, const char *fmt, va_list ap)
{
	char msg[800];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	report(cli, status, kind, msg);
	return status;
}

int cli_fail(struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	int status;

	va_start(ap, fmt);
	status = vfail(cli, CLI_EXIT_FAIL, CLI_KIND_FAILED, fmt, ap);
	va_end(ap);
	return status;
}

int cli_fail_as(struct cli *cli, int status, const char *kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	status = vfail(cli, status, kind, fmt, ap);
	va_end(ap);
	return status;
}

int cli_link_status(int err, const char **kind)
{
	if (err == -EMSGSIZE || err == -E2BIG) {
		*kind = CLI_KIND_REFUSED;
		return CLI_EXIT_FAIL;
	}
	*kind = CLI_KIND_LINK;
	return CLI_EXIT_LINK;
}

int cli_reply_failed(struct cli *cli, const struct dfu_smp_mgmt_reply *reply)
{
	return cli_reply_failed_in(cli, reply, NULL);
}

int cli_reply_failed_in(struct cli *cli, const struct dfu_smp_mgmt_reply *reply,
			const char *context)
{
	return cli_reply_failed_say(cli, reply, NULL, context);
}

/* The JSON error object of the device's error @p reply, its message @p line. */
static json_t *reply_error(const struct dfu_smp_mgmt_reply *reply, const char *line)
{
	json_t *error;

	switch (reply->kind) {
	case DFU_SMP_MGMT_REPLY_RC:
		error = json_pack("{s:s, s:s?, s:I, s:s?, s:s}", "kind", CLI_KIND_DEVICE, "code",
				  dfu_smp_mgmt_err_name(reply->rc), "rc", (json_int_t)reply->rc,
				  "name", dfu_smp_mgmt_err_name(reply->rc), "message", line);
		if (!dfu_smp_mgmt_err_name(reply->rc)) {
			json_object_set_new(error, "code", json_integer(reply->rc));
		}
		if (reply->detail[0]) {
			json_object_set_new(error, "rsn", json_string(reply->detail));
		}
		break;
	case DFU_SMP_MGMT_REPLY_GROUP_ERR:
		error = json_pack("{s:s, s:s?, s:i, s:I, s:s?, s:s}", "kind", CLI_KIND_DEVICE,
				  "code", dfu_smp_mgmt_err_group_name(reply->group, reply->rc),
				  "group", (int)reply->group, "rc", (json_int_t)reply->rc, "name",
				  dfu_smp_mgmt_err_group_name(reply->group, reply->rc), "message",
				  line);
		if (!dfu_smp_mgmt_err_group_name(reply->group, reply->rc)) {
			json_object_set_new(error, "code", json_integer(reply->rc));
		}
		break;
	default:
		error = json_pack("{s:s, s:i, s:s}", "kind", CLI_KIND_FAILED, "code", CLI_EXIT_FAIL,
				  "message", line);
		break;
	}
	return error;
}

json_t *cli_reply_error_json(const struct dfu_smp_mgmt_reply *reply)
{
	char line[800];

	dfu_smp_mgmt_err_describe(reply, line, sizeof(line));
	return reply_error(reply, line);
}

int cli_reply_failed_say(struct cli *cli, const struct dfu_smp_mgmt_reply *reply,
			 const char *instead, const char *context)
{
	char line[800];
	json_t *error;

	dfu_smp_mgmt_err_describe(reply, line, sizeof(line));
	if (instead &&
	    (reply->kind == DFU_SMP_MGMT_REPLY_RC || reply->kind == DFU_SMP_MGMT_REPLY_GROUP_ERR)) {
		const char *name = reply->kind == DFU_SMP_MGMT_REPLY_RC
					   ? dfu_smp_mgmt_err_name(reply->rc)
					   : dfu_smp_mgmt_err_group_name(reply->group, reply->rc);

		snprintf(line, sizeof(line), "%s (the device answered %s, rc %lld)", instead,
			 name ? name : "an unknown error", (long long)reply->rc);
	}
	if (context) {
		size_t n = strlen(line);

		snprintf(line + n, sizeof(line) - n, " (%s)", context);
	}
	progress_break();
	fprintf(stderr, "%s: %s: %s\n", cli->prog, cli->what, line);
	error = reply_error(reply, line);
	json_error(cli, error);
	return CLI_EXIT_FAIL;
}

int cli_print_json(struct cli *cli, json_t *doc)
{
	if (cli->simulated) {
		json_t *marked = json_pack("{s:b}", "simulated", 1);

		if (json_is_object(doc)) {
			json_object_update(marked, doc);
			json_decref(doc);
		} else {
			json_object_set_new(marked, "value", doc);
		}
		doc = marked;
	}
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(doc);
	return CLI_EXIT_OK;
}

struct dfu_smp_request *cli_request(struct cli *cli)
{
	dfu_smp_request_init(&cli->req, cli->req_buf, DFU_SMP_MSG_MAX);
	return &cli->req;
}

int cli_too_large(struct cli *cli)
{
	return cli_fail(cli, "the request is larger than an SMP message can carry (65535 bytes)");
}

int cli_connect(struct cli *cli)
{
	char why[300] = "";
	int err;

	if (cli->conn) {
		return 0;
	}
	if (!cli->open && !cli->conn_spec) {
		return cli_usage(cli,
				 "no connection given: put --conn SPEC before the command, or "
				 "set %s=SPEC; SPEC is %s (the simulated device is %s)",
				 CLI_CONN_ENV, CLI_CONN_KINDS, CLI_SIM_PROGRAM);
	}
	err = cli->open
		      ? cli->open(cli, &cli->conn, why, sizeof(why))
		      : dfu_smp_conn_open(cli->conn_spec, &cli->opt, &cli->conn, why, sizeof(why));
	if (err == -EINVAL) {
		const char *what = cli->what;

		cli->what = NULL;
		report(cli, CLI_EXIT_USAGE, CLI_KIND_USAGE, why);
		cli->what = what;
		return CLI_EXIT_USAGE;
	}
	if (err) {
		return cli_fail_as(cli, CLI_EXIT_LINK, CLI_KIND_LINK, "cannot connect: %s", why);
	}
	if (cli->simulated && !cli->json) {
		printf("%s\n", CLI_SIMULATED_LINE);
	}
	return 0;
}

/* A version 1 request the device refuses as too old (rc 12). */
static bool refused_as_too_old(const struct dfu_smp_client_rsp *rsp)
{
	struct dfu_smp_mgmt_reply reply;
	bool refused;

	if (rsp->hdr.version != DFU_SMP_PROTO_V1) {
		return false;
	}
	refused = dfu_smp_mgmt_reply_status(rsp, &reply) != 0 &&
		  reply.kind == DFU_SMP_MGMT_REPLY_RC &&
		  reply.rc == DFU_SMP_MGMT_ERR_UNSUPPORTED_TOO_OLD;
	dfu_smp_mgmt_reply_close(&reply);
	return refused;
}

int cli_limits(struct cli *cli, const struct dfu_smp_session_limits **limits)
{
	struct dfu_smp_session *s = &cli->session.session;
	char why[512];
	int status = cli_session_begin(cli);
	int err;

	if (status) {
		return status;
	}
	*limits = dfu_smp_session_limits(s);
	if (*limits) {
		return 0;
	}
	err = dfu_smp_session_learn_limits(s);
	if (!err) {
		cli_session_run(cli);
		err = cli->session.err;
	}
	if (err && cli->session.result.aborted) {
		return cli_fail_as(cli, CLI_EXIT_ABORTED, CLI_KIND_INTERRUPTED, "interrupted: %s",
				   cli->session.result.message);
	}
	if (err) {
		const char *kind;

		status = cli_link_status(err, &kind);
		dfu_smp_conn_explain(cli->conn, err, 0, why, sizeof(why));
		return cli_fail_as(cli, status, kind, "%s (while asking the device's MCUmgr "
				   "parameters)", why);
	}
	*limits = dfu_smp_session_limits(s);
	return 0;
}

/* cli_exchange(), and with @p once the request is sent once only, with its own timeout. */
static int exchange(struct cli *cli, struct dfu_smp_request *req, struct dfu_smp_client_rsp *rsp,
		    bool once)
{
	const struct dfu_smp_session_limits *limits;
	size_t len = DFU_SMP_HDR_SIZE + req->len;
	uint64_t start_us;
	char why[512];
	int status = cli_connect(cli);
	int err;

	if (status) {
		return status;
	}
	/* a longer request than every device takes is sent only once this device's limit is known:
	 * one the device cannot hold is refused here, not lost on the way */
	if (!cli->conn->limits_known &&
	    (len > CLI_REQUEST_FITS_ANY ||
	     len > dfu_smp_client_max_size(dfu_smp_conn_client(cli->conn)))) {
		status = cli_limits(cli, &limits);
		if (status) {
			return status;
		}
	}
	start_us = dfu_smp_conn_now_us(cli->conn);
	err = once ? dfu_smp_conn_transact_once(cli->conn, req, cli->rsp_buf, DFU_SMP_MSG_MAX, rsp)
		   : dfu_smp_conn_transact(cli->conn, req, cli->rsp_buf, DFU_SMP_MSG_MAX, rsp);
	if (err == 0 && cli->opt.smp_version == 0 && refused_as_too_old(rsp)) {
		dfu_smp_client_set_version(dfu_smp_conn_client(cli->conn), DFU_SMP_PROTO_V2);
		err = dfu_smp_conn_transact(cli->conn, req, cli->rsp_buf, DFU_SMP_MSG_MAX, rsp);
	}
	/* -v: each request's time (-vv adds its packets) */
	dfu_smp_conn_logf(cli->conn,
			  "%s request (group %u, command %u, %zu bytes): %s after %.1f ms",
			  req->op == DFU_SMP_OP_READ ? "read" : "write", (unsigned)req->group,
			  (unsigned)req->id, len, err ? "failed" : "answered",
			  (double)(dfu_smp_conn_now_us(cli->conn) - start_us) / 1000.0);
	if (err) {
		const char *kind;

		status = cli_link_status(err, &kind);
		dfu_smp_conn_explain(cli->conn, err, len, why, sizeof(why));
		if (once && err == -ETIMEDOUT) {
			return cli_fail_as(
				cli, status, kind,
				"%s; it was sent once and waited for "
				"%.0f s: the device may still be at work, so wait before "
				"the next command",
				why, req->timeout_ms / 1000.0);
		}
		return cli_fail_as(cli, status, kind, "%s", why);
	}
	return 0;
}

int cli_exchange(struct cli *cli, struct dfu_smp_request *req, struct dfu_smp_client_rsp *rsp)
{
	return exchange(cli, req, rsp, false);
}

int cli_exchange_once(struct cli *cli, struct dfu_smp_request *req, struct dfu_smp_client_rsp *rsp,
		      uint32_t wait_ms)
{
	uint32_t timeout =
		cli->opt.timeout_ms ? cli->opt.timeout_ms : DFU_SMP_CLIENT_TIMEOUT_DEFAULT_MS;

	req->timeout_ms = wait_ms > timeout ? wait_ms : timeout;
	req->retries = 0;
	return exchange(cli, req, rsp, true);
}

uint32_t cli_erase_wait_ms(uint64_t bytes)
{
	uint64_t ms = (bytes + 4095u) / 4096u * CLI_ERASE_MS_PER_PAGE;

	return ms > CLI_ERASE_WAIT_MIN_MS ? (ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms)
					  : CLI_ERASE_WAIT_MIN_MS;
}

/* cli_simple(), or with @p wait_ms non-zero sent once and waited for that long. */
static int simple(struct cli *cli, uint32_t wait_ms, const char *done, json_t *doc)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	int status = wait_ms ? cli_exchange_once(cli, &cli->req, &rsp, wait_ms)
			     : cli_exchange(cli, &cli->req, &rsp);

	if (status) {
		json_decref(doc);
		return status;
	}
	if (dfu_smp_mgmt_reply_status(&rsp, &reply) != 0) {
		json_decref(doc);
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		status = cli_print_json(cli, doc);
	} else {
		json_decref(doc);
		printf("%s\n", done);
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

int cli_simple(struct cli *cli, const char *done, json_t *doc)
{
	return simple(cli, 0, done, doc);
}

int cli_simple_once(struct cli *cli, uint32_t wait_ms, const char *done, json_t *doc)
{
	return simple(cli, wait_ms, done, doc);
}

int cli_read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	*data = NULL;
	*size = 0;
	if (!f) {
		return -errno;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *more = realloc(buf, cap ? 2 * cap : 65536);

			if (!more) {
				err = -ENOMEM;
				break;
			}
			buf = more;
			cap = cap ? 2 * cap : 65536;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				err = -EIO;
			}
			break;
		}
	}
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*data = buf;
	*size = len;
	return 0;
}

int cli_read_image(struct cli *cli, const char *path, uint8_t **data, size_t *size)
{
	struct stat st;
	int err;

	*data = NULL;
	*size = 0;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		return cli_fail_as(cli, CLI_EXIT_IMAGE, CLI_KIND_IMAGE,
				   "'%s' is a directory, not an "
				   "image file: give the signed .bin (imgtool's output, such as "
				   "zephyr.signed.bin in the build's zephyr/ folder)",
				   path);
	}
	err = cli_read_file(path, data, size);
	if (err) {
		return cli_fail_as(cli, CLI_EXIT_IMAGE, CLI_KIND_IMAGE, "cannot read '%s': %s",
				   path, strerror(-err));
	}
	return 0;
}

const char *cli_image_format_hint(const uint8_t *data, size_t size)
{
	if (size >= 4 && memcmp(data, "\x7f" "ELF", 4) == 0) {
		return "it is an ELF file (zephyr.elf?), not an MCUboot image: give the signed .bin "
		       "(imgtool's output, such as zephyr.signed.bin)";
	}
	if (size >= 1 && data[0] == ':') {
		return "it is an Intel HEX file, not an MCUboot image: give the signed .bin "
		       "(imgtool's output, such as zephyr.signed.bin, not zephyr.signed.hex)";
	}
	return NULL;
}

int cli_check_image(struct cli *cli, const char *name, const uint8_t *data, size_t size,
		    const char *key, struct dfu_smp_image *img)
{
	uint8_t *pem = NULL;
	size_t pem_len;
	int err;

	if (dfu_smp_image_parse(img, data, size) != 0) {
		const char *hint = cli_image_format_hint(data, size);

		if (hint) {
			return cli_fail_as(cli, CLI_EXIT_IMAGE, CLI_KIND_IMAGE, "%s is not a valid "
					   "MCUboot image: %s; nothing was sent", name, hint);
		}
		return cli_fail_as(cli, CLI_EXIT_IMAGE, CLI_KIND_IMAGE, "%s is not a valid MCUboot "
				   "image (%s): %s; nothing was sent", name,
				   dfu_smp_image_status_name(img->status), img->message);
	}
	if (!key) {
		return 0;
	}
	err = cli_read_file(key, &pem, &pem_len);
	if (err) {
		return cli_usage(cli, "cannot read the key '%s': %s", key, strerror(-err));
	}
	err = dfu_smp_image_verify_key(img, pem, pem_len);
	free(pem);
	if (err) {
		return cli_fail_as(cli, CLI_EXIT_IMAGE, CLI_KIND_IMAGE,
				   "%s does not verify with %s (%s): %s; nothing was sent", name,
				   key, dfu_smp_image_status_name(img->sig_status),
				   img->sig_message);
	}
	return 0;
}

void cli_hex(const uint8_t *data, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0xf];
	}
	out[2 * n] = '\0';
}

json_t *cli_json_hex(const uint8_t *data, size_t n)
{
	char *hex = malloc(2 * n + 1);
	json_t *s;

	if (!hex) {
		return json_null();
	}
	cli_hex(data, n, hex);
	s = json_string(hex);
	free(hex);
	return s;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

long cli_parse_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 > cap) {
		return -1;
	}
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			return -1;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

bool cli_is_text(const uint8_t *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((data[i] < 0x20 && data[i] != '\t' && data[i] != '\n' && data[i] != '\r') ||
		    data[i] == 0x7f) {
			return false;
		}
	}
	return true;
}
