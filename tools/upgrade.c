/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dfu-smp upgrade and image upload: firmware updates.
 *
 * The file is checked offline first (an invalid image never reaches the device). Progress goes
 * to stderr: a bar on a terminal, a line per tenth otherwise, nothing with --json (which prints
 * one result at the end). A link lost during the upload is recovered from: dfu-smp reconnects
 * and the device carries on from where it stood.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dfu/image.h"
#include "../dfu/upgrade.h"
#include "../dfu/upload.h"
#include "../mgmt/err.h"
#include "cli.h"

/* Times a lost link is reconnected before the run is given up. */
#define MAX_RECONNECTS 3
#define RECONNECT_TIMEOUT_MS 60000u

/* Progress display. */
struct meter {
	bool quiet;   /* --json */
	bool tty;
	int last_tenth;
	bool drawn;   /* a bar is on the line */
};

static void meter_init(struct meter *m, const struct cli *cli)
{
	memset(m, 0, sizeof(*m));
	m->quiet = cli->json;
	m->tty = isatty(STDERR_FILENO);
	m->last_tenth = -1;
}

static void meter_end_line(struct meter *m)
{
	if (m->drawn) {
		fputc('\n', stderr);
		m->drawn = false;
	}
}

static void meter_show(struct meter *m, const struct dfu_upload_progress *p)
{
	double pct = p->total ? 100.0 * (double)p->offset / (double)p->total : 100.0;
	unsigned long long left = (unsigned long long)(p->eta_ms / 1000u);
	int tenth = (int)(pct / 10.0);

	if (m->quiet) {
		return;
	}
	if (m->tty) {
		char bar[31];
		int filled = (int)(pct * 30.0 / 100.0);

		memset(bar, '#', (size_t)filled);
		memset(bar + filled, '.', (size_t)(30 - filled));
		bar[30] = '\0';
		fprintf(stderr, "\r[%s] %5.1f%% %8.1f/%.1f KiB %7.1f kB/s %2llu:%02llu left ", bar,
			pct, (double)p->offset / 1024.0, (double)p->total / 1024.0,
			p->rate_bps / 1000.0, left / 60, left % 60);
		m->drawn = true;
	} else if (tenth > m->last_tenth) {
		fprintf(stderr, "uploaded %llu of %llu bytes (%d%%), %.1f kB/s\n",
			(unsigned long long)p->offset, (unsigned long long)p->total, tenth * 10,
			p->rate_bps / 1000.0);
	}
	m->last_tenth = tenth;
	fflush(stderr);
}

/* Reads and checks the image file; returns 0 or an exit status after saying why. */
static int load_image(struct cli *cli, const char *path, const char *key, uint8_t **data,
		      struct dfu_image *img)
{
	uint8_t *pem = NULL;
	size_t size, pem_len;
	int err = cli_read_file(path, data, &size);

	if (err) {
		return cli_fail(cli, "cannot read '%s': %s", path, strerror(-err));
	}
	if (dfu_image_parse(img, *data, size) != 0) {
		return cli_fail(cli, "%s is not a valid MCUboot image (%s): %s; nothing was sent",
				path, dfu_image_status_name(img->status), img->message);
	}
	if (!key) {
		return 0;
	}
	err = cli_read_file(key, &pem, &pem_len);
	if (err) {
		return cli_usage(cli, "cannot read the key '%s': %s", key, strerror(-err));
	}
	err = dfu_image_verify_key(img, pem, pem_len);
	free(pem);
	if (err) {
		return cli_fail(cli, "%s does not verify with %s (%s): %s; nothing was sent", path,
				key, dfu_image_status_name(img->sig_status), img->sig_message);
	}
	return 0;
}

/* Tunes the upload to what the link and the device take (keeping --window, --chunk). */
static int tune_upload(struct cli *cli, struct dfu_upload_config *cfg)
{
	const struct conn_limits *limits;
	struct dfu_upload_limits tuning;
	int status = cli_limits(cli, &limits);

	if (status) {
		return status;
	}
	tuning.max_request = limits->max_request;
	tuning.have_params = limits->have_params;
	tuning.buf_count = limits->buf_count;
	tuning.window_max = cli->conn->window_max;
	dfu_upload_tune(cfg, &tuning);
	return 0;
}

/* --window N and --chunk N: overrides for experiments. Returns true if argv[*i] was one. */
static bool tuning_option(int argc, char **argv, int *i, struct dfu_upload_config *cfg, int *bad)
{
	uint64_t n;

	if ((strcmp(argv[*i], "--window") == 0 || strcmp(argv[*i], "--chunk") == 0) &&
	    *i + 1 < argc) {
		bool window = strcmp(argv[*i], "--window") == 0;

		if (args_u64(argv[*i + 1], window ? DFU_UPLOAD_WINDOW_MAX : 65535, &n) != 0 ||
		    n == 0) {
			*bad = 1;
		} else if (window) {
			cfg->window = (unsigned)n;
		} else {
			cfg->max_chunk = (size_t)n;
		}
		(*i)++;
		return true;
	}
	return false;
}

static json_t *upload_json(const struct cli *cli, const struct dfu_upload_result *r)
{
	double s = (double)r->elapsed_ms / 1000.0;
	json_t *doc = json_pack("{s:I, s:I, s:I, s:f, s:I, s:I}", "bytes", (json_int_t)r->size,
				"resumed_at", (json_int_t)r->resumed_at, "data_sent",
				(json_int_t)r->data_sent, "seconds", s, "requests",
				(json_int_t)r->requests, "recoveries", (json_int_t)r->recoveries);

	json_object_set_new(doc, "rate_kBps",
			    s > 0 ? json_real((double)(r->size - r->resumed_at) / s / 1000.0)
				  : json_null());
	json_object_set_new(doc, "match", r->has_match ? json_boolean(r->match) : json_null());
	if (cli->upload_report) {
		cli->upload_report(cli, r, doc);
	}
	return doc;
}

static void print_upload(const struct cli *cli, const struct dfu_upload_result *r)
{
	double s = (double)r->elapsed_ms / 1000.0;

	printf("sent %llu bytes", (unsigned long long)(r->size - r->resumed_at));
	if (r->resumed_at) {
		printf(" (resumed at %llu)", (unsigned long long)r->resumed_at);
	}
	if (s > 0) {
		printf(" in %.1f s, %.1f kB/s", s, (double)(r->size - r->resumed_at) / s / 1000.0);
	}
	printf("\n");
	if (cli->upload_report) {
		cli->upload_report(cli, r, NULL);
	}
}

/* ---- upgrade ---- */

struct run {
	struct meter meter;
	bool done;
	bool reset;
	int err;
	struct dfu_upgrade_result result;
	bool verbose;
};

static void on_step(void *user, enum dfu_upgrade_step step, const char *detail)
{
	struct run *r = user;

	if (r->verbose && !r->meter.quiet) {
		meter_end_line(&r->meter);
		fprintf(stderr, "%s%s%s\n", dfu_upgrade_step_name(step), detail ? ": " : "",
			detail ? detail : "");
	}
}

static void on_progress(void *user, const struct dfu_upload_progress *p)
{
	meter_show(&((struct run *)user)->meter, p);
}

static void on_reset(void *user)
{
	((struct run *)user)->reset = true;
}

static void on_done(void *user, int err, const struct dfu_upgrade_result *result)
{
	struct run *r = user;

	r->done = true;
	r->err = err;
	r->result = *result;
}

static bool run_waits(void *arg)
{
	struct run *r = arg;

	return r->done || r->reset;
}

static const struct dfu_upgrade_ops upgrade_ops = { on_step, on_progress, on_reset, on_done };

/* Runs one upgrade attempt to its end. */
static void run_upgrade(struct cli *cli, struct run *r, const struct dfu_upgrade_config *cfg,
			uint8_t *buf, size_t buf_len)
{
	struct dfu_upgrade up;
	char why[300];
	int err;

	r->done = false;
	r->reset = false;
	err = dfu_upgrade_start(&up, conn_client(cli->conn), cfg, buf, buf_len, &upgrade_ops, r);
	if (err) {
		r->done = true;
		r->err = err;
		snprintf(r->result.message, sizeof(r->result.message), "cannot start: %s",
			 strerror(-err));
		return;
	}
	while (!r->done) {
		if (conn_run(cli->conn, run_waits, r) != 0 && !r->done && !r->reset) {
			/* nothing left to wait for: whatever the step, it ends now */
			dfu_upgrade_reconnected(&up, -ETIMEDOUT);
			if (!r->done) {
				smp_client_cancel_all(conn_client(cli->conn), -ETIMEDOUT);
			}
			if (!r->done) {
				r->done = true;
				r->err = -ETIMEDOUT;
				snprintf(r->result.message, sizeof(r->result.message),
					 "nothing more happens on the link");
			}
			continue;
		}
		if (r->reset) {
			r->reset = false;
			meter_end_line(&r->meter);
			err = conn_reconnect(cli->conn, RECONNECT_TIMEOUT_MS, why, sizeof(why));
			if (err && r->verbose) {
				fprintf(stderr, "%s\n", why);
			}
			dfu_upgrade_reconnected(&up, err);
		}
	}
	meter_end_line(&r->meter);
}

static json_t *upgrade_json(const struct cli *cli, const struct run *r,
			    const struct dfu_image *img, const char *path)
{
	char version[DFU_IMAGE_VERSION_STR_MAX];
	json_t *doc;

	dfu_image_version_smp_str(&img->header.version, version, sizeof(version));
	doc = json_pack("{s:s, s:{s:s, s:s, s:o}}", "outcome",
			dfu_upgrade_outcome_name(r->result.outcome), "image", "file", path,
			"version", version, "hash", cli_json_hex(img->hash, img->hash_len));
	json_object_set_new(doc, "upload", r->result.uploaded ? upload_json(cli, &r->result.upload)
							      : json_null());
	if (r->result.running_hash_len) {
		json_object_set_new(doc, "running",
				    json_pack("{s:s, s:o}", "version", r->result.running_version,
					      "hash", cli_json_hex(r->result.running_hash,
								   r->result.running_hash_len)));
	}
	return doc;
}

static int report_upgrade(struct cli *cli, const struct run *r, const struct dfu_image *img,
			  const char *path)
{
	char version[DFU_IMAGE_VERSION_STR_MAX];

	if (r->err) {
		char during[320];

		snprintf(during, sizeof(during), "during %s%s%s",
			 dfu_upgrade_step_name(r->result.step), r->result.message[0] ? ": " : "",
			 r->result.message);
		if (r->result.reply.kind != MGMT_REPLY_OK) {
			return cli_reply_failed_in(cli, &r->result.reply, during);
		}
		snprintf(during, sizeof(during), "during %s", dfu_upgrade_step_name(r->result.step));
		return cli_fail(cli, "%s (%s)", r->result.message, during);
	}
	if (cli->json) {
		return cli_print_json(cli, upgrade_json(cli, r, img, path));
	}
	if (r->result.uploaded) {
		print_upload(cli, &r->result.upload);
	}
	dfu_image_version_smp_str(&img->header.version, version, sizeof(version));
	switch (r->result.outcome) {
	case DFU_UPGRADE_CONFIRMED:
		printf("the device runs %s, confirmed\n", version);
		break;
	case DFU_UPGRADE_TESTING:
		printf("the device runs %s, not confirmed: the next reset brings the old image "
		       "back ('image confirm' keeps it)\n", version);
		break;
	case DFU_UPGRADE_PENDING:
		printf("%s is marked %s; it boots at the next reset\n", version,
		       "for the next boot");
		break;
	case DFU_UPGRADE_ALREADY_RUNNING:
		printf("the device already runs %s, confirmed: nothing to do\n", version);
		break;
	default:
		break;
	}
	return 0;
}

static int cmd_upgrade(struct cli *cli, int argc, char **argv)
{
	struct dfu_upgrade_config cfg = { 0 };
	const char *path = NULL, *key = NULL;
	struct dfu_image img;
	struct run run = { 0 };
	uint8_t *data = NULL, *buf = NULL;
	uint64_t image = 0;
	size_t buf_len;
	int status;

	for (int i = 0; i < argc; i++) {
		int bad = 0;

		if (tuning_option(argc, argv, &i, &cfg.upload, &bad)) {
			if (bad) {
				return cli_usage(cli, "--window takes 1..%u and --chunk 1..65535",
						 DFU_UPLOAD_WINDOW_MAX);
			}
		} else if (strcmp(argv[i], "--image") == 0 && i + 1 < argc &&
		    args_u64(argv[i + 1], 255, &image) == 0) {
			i++;
		} else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
			key = argv[++i];
		} else if (strcmp(argv[i], "--test-only") == 0) {
			cfg.mode = DFU_UPGRADE_TEST_ONLY;
		} else if (strcmp(argv[i], "--confirm-now") == 0) {
			cfg.mode = DFU_UPGRADE_CONFIRM_NOW;
		} else if (strcmp(argv[i], "--no-reset") == 0) {
			cfg.no_reset = true;
		} else if (!path && argv[i][0] != '-') {
			path = argv[i];
		} else {
			return cli_usage(cli, "unexpected '%s'", argv[i]);
		}
	}
	if (!path) {
		return cli_usage(cli, "give the image FILE");
	}
	status = load_image(cli, path, key, &data, &img);
	if (!status) {
		status = tune_upload(cli, &cfg.upload);
	}
	if (status) {
		free(data);
		return status;
	}
	cfg.data = data;
	cfg.size = img.size;
	cfg.hash = img.hash;
	cfg.hash_len = img.hash_len;
	cfg.sha = img.file_sha256;
	cfg.image = (uint32_t)image;
	cfg.upload.timeout_ms = cli->opt.timeout_ms;
	cfg.upload.retries = cli->conn->retries;
	cfg.timeout_ms = cli->opt.timeout_ms;
	cfg.retries = cli->conn->retries;
	buf_len = DFU_UPGRADE_REQUEST_BUF + DFU_UPLOAD_WINDOW_MAX * cfg.upload.max_request;
	buf = malloc(buf_len);
	if (!buf) {
		free(data);
		return cli_fail(cli, "out of memory");
	}
	meter_init(&run.meter, cli);
	run.verbose = cli->opt.verbose > 0;
	for (int attempt = 0;; attempt++) {
		char why[300];

		run_upgrade(cli, &run, &cfg, buf, buf_len);
		if (!(run.err == -ENOTCONN || run.err == -ENXIO) || attempt == MAX_RECONNECTS) {
			break;
		}
		/* the link dropped: get it back, the device keeps what it received */
		if (!run.meter.quiet) {
			fprintf(stderr, "the link was lost during %s; reconnecting\n",
				dfu_upgrade_step_name(run.result.step));
		}
		if (conn_reconnect(cli->conn, RECONNECT_TIMEOUT_MS, why, sizeof(why)) != 0) {
			snprintf(run.result.message, sizeof(run.result.message), "%.250s", why);
			break;
		}
	}
	status = report_upgrade(cli, &run, &img, path);
	free(buf);
	free(data);
	return status;
}

/* ---- image upload ---- */

struct upload_run {
	struct meter meter;
	bool done;
	int err;
	struct dfu_upload_result result;
};

static void upload_progress(void *user, const struct dfu_upload_progress *p)
{
	meter_show(&((struct upload_run *)user)->meter, p);
}

static void upload_done(void *user, int err, const struct dfu_upload_result *result)
{
	struct upload_run *r = user;

	r->done = true;
	r->err = err;
	r->result = *result;
}

static bool upload_finished(void *arg)
{
	return ((struct upload_run *)arg)->done;
}

static int cmd_upload(struct cli *cli, int argc, char **argv)
{
	static const struct dfu_upload_ops ops = { upload_progress, upload_done };
	struct dfu_upload_config cfg = { 0 };
	struct upload_run run = { 0 };
	const char *path = NULL;
	struct dfu_image img;
	struct dfu_upload up;
	uint8_t *data = NULL, *buf = NULL;
	uint64_t image = 0;
	int status, start_err;

	for (int i = 0; i < argc; i++) {
		int bad = 0;

		if (tuning_option(argc, argv, &i, &cfg, &bad)) {
			if (bad) {
				return cli_usage(cli, "--window takes 1..%u and --chunk 1..65535",
						 DFU_UPLOAD_WINDOW_MAX);
			}
		} else if (strcmp(argv[i], "--image") == 0 && i + 1 < argc &&
		    args_u64(argv[i + 1], 255, &image) == 0) {
			i++;
		} else if (!path && argv[i][0] != '-') {
			path = argv[i];
		} else {
			return cli_usage(cli, "unexpected '%s'", argv[i]);
		}
	}
	if (!path) {
		return cli_usage(cli, "give the image FILE");
	}
	status = load_image(cli, path, NULL, &data, &img);
	if (!status) {
		status = tune_upload(cli, &cfg);
	}
	if (status) {
		free(data);
		return status;
	}
	cfg.data = data;
	cfg.size = img.size;
	cfg.sha = img.file_sha256;
	cfg.image = (uint32_t)image;
	cfg.timeout_ms = cli->opt.timeout_ms;
	cfg.retries = cli->conn->retries;
	buf = malloc(DFU_UPLOAD_WINDOW_MAX * cfg.max_request);
	start_err = buf ? 0 : -ENOMEM;
	meter_init(&run.meter, cli);
	for (int attempt = 0; !start_err; attempt++) {
		char why[300];

		run.done = false;
		start_err = dfu_upload_start(&up, conn_client(cli->conn), &cfg, buf,
					     DFU_UPLOAD_WINDOW_MAX * cfg.max_request, &ops, &run);
		if (start_err) {
			break;
		}
		while (!run.done && conn_run(cli->conn, upload_finished, &run) == 0) {
		}
		meter_end_line(&run.meter);
		if (!run.done) {
			dfu_upload_abort(&up);
			run.done = true;
			run.err = -ETIMEDOUT;
			snprintf(run.result.message, sizeof(run.result.message),
				 "nothing more happens on the link");
		}
		if (!(run.err == -ENOTCONN || run.err == -ENXIO) || attempt == MAX_RECONNECTS ||
		    conn_reconnect(cli->conn, RECONNECT_TIMEOUT_MS, why, sizeof(why)) != 0) {
			break;
		}
	}
	free(buf);
	free(data);
	if (start_err) {
		return cli_fail(cli, "cannot start the upload: %s", strerror(-start_err));
	}
	if (run.err) {
		if (run.result.reply.kind == MGMT_REPLY_RC && run.result.reply.rc == MGMT_ERR_EUNKNOWN) {
			/* some devices check the length only when a write runs past the slot's end */
			return cli_reply_failed_in(cli, &run.result.reply, "the image may not fit "
						   "the slot: 'image slots' shows its size where "
						   "the device reports it");
		}
		if (run.result.reply.kind != MGMT_REPLY_OK) {
			return cli_reply_failed(cli, &run.result.reply);
		}
		return cli_fail(cli, "%s", run.result.message);
	}
	if (cli->json) {
		return cli_print_json(cli, upload_json(cli, &run.result));
	}
	print_upload(cli, &run.result);
	printf("the device holds %s in slot 1 of image %u ('image test' marks it to boot)\n", path,
	       (unsigned)image);
	return 0;
}

const struct cli_command cli_upgrade_commands[] = {
	{ NULL, "upgrade",
	  "FILE [--image N] [--key PEM] [--test-only|--confirm-now] [--no-reset] [--window N] "
	  "[--chunk N]",
	  "update the firmware: check, upload, test, reset, confirm", cmd_upgrade, false },
	{ "image", "upload", "FILE [--image N] [--window N] [--chunk N]",
	  "upload an image to the non-running slot",
	  cmd_upload, false },
	{ NULL, NULL, NULL, NULL, NULL, false },
};
