/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dfu-smp upgrade and image upload: firmware updates.
 *
 * The file is checked offline first (an invalid image never reaches the device). Progress goes
 * to stderr (tools/progress.h): a line per phase of the job (connecting, checking, erasing: the
 * first chunk's wait, uploading, verifying, marking, resetting, rebooting: the wait for the
 * device to come back, confirming), a bar while uploading on a terminal, a line per tenth
 * otherwise; nothing with --json (which prints one result at the end). Both run on the device
 * session (dfu-smp/dfu/session.h, tools/session.c): a lost link is recovered from (dfu-smp reconnects
 * and the device carries on from where it stood), and Ctrl-C aborts the run cleanly: nothing
 * more is sent, nothing is confirmed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dfu-smp/dfu/image.h>
#include <dfu-smp/dfu/upgrade.h>
#include <dfu-smp/dfu/upload.h>
#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/ports/loop.h>
#include "cli.h"
#include "progress.h"

/* Reads and checks the image file; returns 0 or an exit status after saying why. */
static int load_image(struct cli *cli, const char *path, const char *key, uint8_t **data,
		      struct dfu_smp_image *img)
{
	size_t size;
	int err = cli_read_image(cli, path, data, &size);

	return err ? err : cli_check_image(cli, path, *data, size, key, img);
}

/* --window N and --chunk N: overrides for experiments. Returns true if argv[*i] was one. */
static bool tuning_option(int argc, char **argv, int *i, struct dfu_smp_upload_config *cfg,
			  int *bad)
{
	uint64_t n;

	if ((strcmp(argv[*i], "--window") == 0 || strcmp(argv[*i], "--chunk") == 0) &&
	    *i + 1 < argc) {
		bool window = strcmp(argv[*i], "--window") == 0;

		if (args_u64(argv[*i + 1], window ? DFU_SMP_UPLOAD_WINDOW_MAX : 65535, &n) != 0 ||
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

static json_t *upload_json(const struct cli *cli, const struct dfu_smp_upload_result *r)
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

static void print_upload(const struct cli *cli, const struct dfu_smp_upload_result *r)
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

/* ---- the run, for both commands ---- */

struct run {
	struct cli *cli;
	struct progress progress;
	bool verbose;
};

/* The phase of the display a step of the flow belongs to. */
static const char *step_phase(enum dfu_smp_upgrade_step step)
{
	switch (step) {
	case DFU_SMP_UPGRADE_STEP_UPLOAD:
		return "erasing"; /* until the first chunk is answered */
	case DFU_SMP_UPGRADE_STEP_CHECK_UPLOAD:
		return "verifying";
	case DFU_SMP_UPGRADE_STEP_MARK:
		return "marking";
	case DFU_SMP_UPGRADE_STEP_RESET:
		return "resetting";
	case DFU_SMP_UPGRADE_STEP_RECONNECT:
	case DFU_SMP_UPGRADE_STEP_CHECK_BOOT:
		return "rebooting"; /* until the device is back, running the new image */
	case DFU_SMP_UPGRADE_STEP_CONFIRM:
	case DFU_SMP_UPGRADE_STEP_CHECK_CONFIRM:
		return "confirming";
	default:
		return "checking"; /* the image state, the slot's size, the request size */
	}
}

static uint64_t run_now(const struct run *r)
{
	return dfu_smp_conn_now_ms(r->cli->conn);
}

static void on_step(void *user, enum dfu_smp_upgrade_step step, const char *detail)
{
	struct run *r = user;
	const char *phase = step_phase(step);

	/* an image upload, erasing from its start, checks the bootloader's request size first */
	if (step != DFU_SMP_UPGRADE_STEP_PROBE_SIZE ||
	    !progress_rename(&r->progress, step_phase(DFU_SMP_UPGRADE_STEP_UPLOAD), phase)) {
		progress_phase(&r->progress, phase, run_now(r));
	}
	if (r->verbose) {
		progress_note(&r->progress, "%s%s%s", dfu_smp_upgrade_step_name(step),
			      detail ? ": " : "", detail ? detail : "");
	}
}

static void on_progress(void *user, const struct dfu_smp_upload_progress *p)
{
	struct run *r = user;
	uint64_t now = run_now(r);

	if (!r->progress.transfer) {
		progress_transfer(&r->progress, "uploading", p->offset, p->total, now);
	}
	progress_update(&r->progress, p->offset, p->total, now);
}

static void on_lost(void *user, enum dfu_smp_upgrade_step step)
{
	struct run *r = user;
	uint64_t now = run_now(r);

	progress_end(&r->progress, now, false);
	progress_note(&r->progress, "the link was lost during %s; reconnecting",
		      dfu_smp_upgrade_step_name(step));
	progress_phase(&r->progress, "reconnecting", now);
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/*
 * From now on the device session reports to @p r, and Ctrl-C (SIGINT) aborts its job (once: a
 * second one ends the program at once). Then the limits are learned and *@p buf allocated:
 * @p head bytes, then room for the most requests @p upload can have on the link.
 * @return 0, or an exit status after saying why.
 */
static int run_begin(struct cli *cli, struct run *r, struct sigaction *old,
		     const struct dfu_smp_upload_config *upload, size_t head, uint8_t **buf,
		     size_t *buf_len)
{
	const struct dfu_smp_session_limits *limits;
	struct sigaction sa;
	uint64_t t0 = dfu_smp_port_now_ms();
	int status;

	r->cli = cli;
	r->verbose = cli->opt.verbose > 0;
	progress_init_stderr(&r->progress, r->verbose, cli->json || cli->quiet);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	interrupted = 0;
	sigaction(SIGINT, &sa, old);
	cli->session.step = on_step;
	cli->session.progress = on_progress;
	cli->session.lost = on_lost;
	cli->session.user = r;
	cli->session.stop = &interrupted;
	status = cli_limits(cli, &limits);
	if (status) {
		return status;
	}
	/* on the program's clock: the connection's may be virtual, and only runs once it is up */
	progress_phase(&r->progress, "connecting", t0);
	progress_end(&r->progress, dfu_smp_port_now_ms(), true);
	*buf_len = head + DFU_SMP_UPLOAD_WINDOW_MAX * (upload->max_request ? upload->max_request
								: limits->max_request);
	*buf = malloc(*buf_len);
	return *buf ? 0 : cli_fail(cli, "out of memory");
}

static void run_end(struct cli *cli, struct run *r, const struct sigaction *old)
{
	if (cli->conn) {
		progress_end(&r->progress, run_now(r), cli->session.done && !cli->session.err);
	}
	sigaction(SIGINT, old, NULL);
	cli->session.step = NULL;
	cli->session.progress = NULL;
	cli->session.lost = NULL;
	cli->session.user = NULL;
	cli->session.stop = NULL;
}

/*
 * Runs one job on the device session to its end: the upgrade @p upgrade, or (NULL) the upload
 * @p upload. How it ended is in cli->session.err and .result.
 */
static void run_job(struct cli *cli, struct run *r, const struct dfu_smp_upgrade_config *upgrade,
		    const struct dfu_smp_upload_config *upload, uint8_t *buf, size_t buf_len)
{
	struct cli_session *cs = &cli->session;
	int err = cli_session_begin(cli) ? -ENOTCONN : 0;

	if (!err && !upgrade) {
		progress_phase(&r->progress, step_phase(DFU_SMP_UPGRADE_STEP_UPLOAD), run_now(r));
	}
	if (!err) {
		err = upgrade ? dfu_smp_session_upgrade(&cs->session, upgrade, buf, buf_len)
			      : dfu_smp_session_upload(&cs->session, upload, buf, buf_len);
	}
	if (err) {
		cs->err = err;
		snprintf(cs->result.message, sizeof(cs->result.message), "cannot start: %s",
			 strerror(-err));
		return;
	}
	cli_session_run(cli);
}

/* What both commands are given: FILE, --image N and, for upgrade only, --key PEM. */
struct job_args {
	const char *path;
	const char *key;
	uint64_t image;
};

/*
 * Reads the options: --window, --chunk (into @p tuning), --image and FILE, which both commands
 * take, and through @p extra (true when it took argv[*i], and any value after it) those of one.
 * @return 0, or an exit status after saying why.
 */
static int parse_job(struct cli *cli, int argc, char **argv, struct dfu_smp_upload_config *tuning,
		     struct job_args *a, bool (*extra)(int argc, char **argv, int *i, void *ctx),
		     void *ctx)
{
	for (int i = 0; i < argc; i++) {
		int bad = 0;

		if (tuning_option(argc, argv, &i, tuning, &bad)) {
			if (bad) {
				return cli_usage(cli, "--window takes 1..%u and --chunk 1..65535",
						 DFU_SMP_UPLOAD_WINDOW_MAX);
			}
		} else if (strcmp(argv[i], "--image") == 0 && i + 1 < argc &&
		    args_u64(argv[i + 1], 255, &a->image) == 0) {
			i++;
		} else if (extra && extra(argc, argv, &i, ctx)) {
			continue;
		} else if (!a->path && argv[i][0] != '-') {
			a->path = argv[i];
		} else {
			return cli_usage(cli, "unexpected '%s'", argv[i]);
		}
	}
	return a->path ? 0 : cli_usage(cli, "give the image FILE");
}

/*
 * Reads and checks FILE (@p img describes it), then runs on the device session the upgrade
 * @p upgrade or, when NULL, the upload @p upload, each given the file here. How it ended is in
 * cli->session.err and .result. @return 0, or an exit status after saying why.
 */
static int run_file(struct cli *cli, const struct job_args *a,
		    struct dfu_smp_upgrade_config *upgrade, struct dfu_smp_upload_config *upload,
		    struct dfu_smp_image *img)
{
	struct run run;
	struct sigaction old;
	uint8_t *data = NULL, *buf = NULL;
	size_t buf_len = 0;
	int status = load_image(cli, a->path, a->key, &data, img);

	if (status) {
		free(data);
		return status;
	}
	status = run_begin(cli, &run, &old, upgrade ? &upgrade->upload : upload,
			   upgrade ? DFU_SMP_UPGRADE_REQUEST_BUF : 0, &buf, &buf_len);
	if (!status && upgrade) {
		upgrade->data = data;
		upgrade->size = img->size;
		upgrade->hash = img->hash;
		upgrade->hash_len = img->hash_len;
		upgrade->sha = img->file_sha256;
		upgrade->image = (uint32_t)a->image;
	} else if (!status) {
		upload->data = data;
		upload->size = img->size;
		upload->sha = img->file_sha256;
		upload->image = (uint32_t)a->image;
	}
	if (!status) {
		run_job(cli, &run, upgrade, upload, buf, buf_len);
	}
	run_end(cli, &run, &old);
	free(buf);
	free(data);
	return status;
}

/* What an upload that stopped, for whatever reason, is told. */
static const char resume_hint[] = "; run the same command again: it resumes at the offset the "
				  "device has";

/* An aborted run: what was done, how to go on, and the status that says it was interrupted. */
static int report_aborted(struct cli *cli, const struct dfu_smp_session_result *r, bool upgrade)
{
	bool uploading = r->step == DFU_SMP_UPGRADE_STEP_UPLOAD;

	return cli_fail_as(cli, CLI_EXIT_ABORTED, CLI_KIND_INTERRUPTED, "interrupted: %s%s%s",
			   r->message, upgrade && r->step < DFU_SMP_UPGRADE_STEP_CONFIRM
					       ? "; nothing was confirmed" : "",
			   uploading ? resume_hint
				     : "; run the same command again: it goes on from where the "
				       "device stands");
}

/* True when @p err says the link failed or nothing answered, rather than the device. */
static bool link_error(int err)
{
	return err == -ETIMEDOUT || err == -ENOTCONN || err == -EHOSTUNREACH ||
	       err == -ECONNREFUSED || err == -ECONNRESET || err == -EPIPE || err == -ENODEV ||
	       err == -ENXIO || err == -EIO;
}

/*
 * A job that failed: the device's error, a refusal before anything was sent, a rolled-back
 * device, or a failed link (with what the connection knows of it: its address and a hint),
 * and, when an upload stopped, that running the command again resumes it.
 * @p during names the step ("during upload"), or NULL.
 */
static int report_failed(struct cli *cli, const struct dfu_smp_session_result *r, int err,
			 const char *during, const struct dfu_smp_mgmt_reply *reply,
			 const char *message)
{
	const char *resume = r->step == DFU_SMP_UPGRADE_STEP_UPLOAD ? resume_hint : "";
	char line[700];

	snprintf(line, sizeof(line), "%s%s%s%s", message, during ? " (" : "",
		 during ? during : "", during ? ")" : "");
	if (reply->kind != DFU_SMP_MGMT_REPLY_OK) {
		return cli_reply_failed_in(cli, reply, during);
	}
	if (r->link_not_back) { /* whatever the reconnection last saw */
		return cli_fail_as(cli, CLI_EXIT_LINK, CLI_KIND_LINK, "%s; --reboot-timeout SECONDS "
				   "gives the device longer to come back%s", line, resume);
	}
	if (r->upgrade.outcome == DFU_SMP_UPGRADE_ROLLED_BACK) {
		return cli_fail_as(cli, CLI_EXIT_ROLLED_BACK, CLI_KIND_ROLLED_BACK, "%s", line);
	}
	if (err == -EFBIG || err == -ENOENT) {
		return cli_fail_as(cli, CLI_EXIT_FAIL, CLI_KIND_REFUSED, "%s", line);
	}
	if (link_error(err)) {
		char why[512];

		dfu_smp_conn_explain(cli->conn, err, 0, why, sizeof(why));
		return cli_fail_as(cli, CLI_EXIT_LINK, CLI_KIND_LINK, "%s: %s%s", line, why,
				   resume);
	}
	return cli_fail_as(cli, CLI_EXIT_FAIL, CLI_KIND_FAILED, "%s%s", line, resume);
}

/* ---- upgrade ---- */

static json_t *upgrade_json(const struct cli *cli, const struct dfu_smp_upgrade_result *r,
			    const struct dfu_smp_image *img, const char *path)
{
	char version[DFU_SMP_IMAGE_VERSION_STR_MAX];
	json_t *doc;

	dfu_smp_image_version_smp_str(&img->header.version, version, sizeof(version));
	doc = json_pack("{s:s, s:{s:s, s:s, s:o}}", "outcome",
			dfu_smp_upgrade_outcome_name(r->outcome), "image", "file", path,
			"version", version, "hash", cli_json_hex(img->hash, img->hash_len));
	json_object_set_new(doc, "upload", r->uploaded ? upload_json(cli, &r->upload)
						       : json_null());
	json_object_set_new(doc, "recovery", json_boolean(r->recovery));
	if (r->running_hash_len) {
		json_object_set_new(doc, "running",
				    json_pack("{s:s, s:o}", "version", r->running_version,
					      "hash", cli_json_hex(r->running_hash,
								   r->running_hash_len)));
	}
	return doc;
}

static int report_upgrade(struct cli *cli, const struct dfu_smp_image *img, const char *path)
{
	const struct dfu_smp_session_result *r = &cli->session.result;
	char version[DFU_SMP_IMAGE_VERSION_STR_MAX];

	if (cli->session.err && r->aborted) {
		return report_aborted(cli, r, true);
	}
	if (cli->session.err) {
		char during[320];

		if (r->reply.kind != DFU_SMP_MGMT_REPLY_OK) {
			snprintf(during, sizeof(during), "during %s%s%s",
				 dfu_smp_upgrade_step_name(r->step), r->message[0] ? ": " : "",
				 r->message);
		} else {
			snprintf(during, sizeof(during), "during %s",
				 dfu_smp_upgrade_step_name(r->step));
		}
		return report_failed(cli, r, cli->session.err, during, &r->reply, r->message);
	}
	if (cli->json) {
		return cli_print_json(cli, upgrade_json(cli, &r->upgrade, img, path));
	}
	if (r->upgrade.recovery) {
		printf("the device is in MCUboot's serial recovery: the bootloader writes slot 0 "
		       "directly (requests of %zu bytes), nothing to mark\n",
		       r->upgrade.max_request);
	}
	if (r->upgrade.uploaded) {
		print_upload(cli, &r->upgrade.upload);
	}
	dfu_smp_image_version_smp_str(&img->header.version, version, sizeof(version));
	if (r->upgrade.recovery && r->upgrade.outcome == DFU_SMP_UPGRADE_CONFIRMED) {
		printf("the device runs %s (written by the bootloader's serial recovery)\n",
		       version);
		return 0;
	}
	if (r->upgrade.recovery && r->upgrade.outcome == DFU_SMP_UPGRADE_PENDING) {
		printf("%s is in slot 0; it boots at the next reset\n", version);
		return 0;
	}
	switch (r->upgrade.outcome) {
	case DFU_SMP_UPGRADE_CONFIRMED:
		printf("the device runs %s, confirmed\n", version);
		break;
	case DFU_SMP_UPGRADE_TESTING:
		printf("the device runs %s, not confirmed: the next reset brings the old image "
		       "back ('image confirm' keeps it)\n", version);
		break;
	case DFU_SMP_UPGRADE_PENDING:
		printf("%s is marked %s; it boots at the next reset\n", version,
		       "for the next boot");
		break;
	case DFU_SMP_UPGRADE_ALREADY_RUNNING:
		printf("the device already runs %s, confirmed: nothing to do\n", version);
		break;
	default:
		break;
	}
	return 0;
}

/* What upgrade's own options set. */
struct upgrade_args {
	struct dfu_smp_upgrade_config *cfg;
	struct job_args *job;
};

/* --key PEM, --test-only, --confirm-now, --no-reset: true when argv[*i] was one of them. */
static bool upgrade_option(int argc, char **argv, int *i, void *ctx)
{
	struct upgrade_args *u = ctx;

	if (strcmp(argv[*i], "--key") == 0 && *i + 1 < argc) {
		u->job->key = argv[++*i];
	} else if (strcmp(argv[*i], "--test-only") == 0) {
		u->cfg->mode = DFU_SMP_UPGRADE_TEST_ONLY;
	} else if (strcmp(argv[*i], "--confirm-now") == 0) {
		u->cfg->mode = DFU_SMP_UPGRADE_CONFIRM_NOW;
	} else if (strcmp(argv[*i], "--no-reset") == 0) {
		u->cfg->no_reset = true;
	} else {
		return false;
	}
	return true;
}

static int cmd_upgrade(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_upgrade_config cfg = { 0 };
	struct job_args job = { 0 };
	struct upgrade_args u = { &cfg, &job };
	struct dfu_smp_image img;
	int status = parse_job(cli, argc, argv, &cfg.upload, &job, upgrade_option, &u);

	if (!status) {
		status = run_file(cli, &job, &cfg, NULL, &img);
	}
	return status ? status : report_upgrade(cli, &img, job.path);
}

/* ---- image upload ---- */

static int cmd_upload(struct cli *cli, int argc, char **argv)
{
	const struct dfu_smp_session_result *r = &cli->session.result;
	char hash[2 * DFU_SMP_IMAGE_HASH_MAX + 1];
	struct dfu_smp_upload_config cfg = { 0 };
	struct job_args job = { 0 };
	struct dfu_smp_image img;
	int status = parse_job(cli, argc, argv, &cfg, &job, NULL, NULL);

	if (!status) {
		status = run_file(cli, &job, NULL, &cfg, &img);
	}
	if (status) {
		return status;
	}
	if (cli->session.err && r->aborted) {
		return report_aborted(cli, r, false);
	}
	if (cli->session.err) {
		if (r->reply.kind == DFU_SMP_MGMT_REPLY_RC &&
		    r->reply.rc == DFU_SMP_MGMT_ERR_EUNKNOWN) {
			/* some devices check the length only when a write runs past the slot's end */
			return cli_reply_failed_in(cli, &r->reply, "the image may not fit "
						   "the slot: 'image slots' shows its size where "
						   "the device reports it");
		}
		return report_failed(cli, r, cli->session.err, NULL, &r->reply, r->message);
	}
	if (cli->json) {
		json_t *doc = upload_json(cli, &r->upload);

		json_object_set_new(doc, "recovery", json_boolean(r->recovery));
		json_object_set_new(doc, "hash", cli_json_hex(img.hash, img.hash_len));
		return cli_print_json(cli, doc);
	}
	print_upload(cli, &r->upload);
	cli_hex(img.hash, img.hash_len, hash);
	if (r->recovery) {
		printf("the bootloader's serial recovery wrote %s into slot 0 of image %u directly "
		       "('os reset' boots it)\n", job.path, (unsigned)job.image);
	} else {
		printf("the device holds %s in slot 1 of image %u, hash %s\n", job.path,
		       (unsigned)job.image, hash);
		printf("next: %s%s image test %s (boots it once at the next reset), then os reset\n",
		       cli->prog, cli->open ? " [DEVICE OPTIONS] --" : "", hash);
	}
	return 0;
}

/* For --help, the man page and the completion (tools/help.c). */
static const struct cli_arg upgrade_params[] = {
	{ "FILE", NULL, "the signed MCUboot image to install", true },
	{ "--image", "N", "the image number on devices with several, 0..255 (default 0)", false },
	{ "--key", "PEM",
	  "check the image's signature with this public key (a PEM file) before "
	  "anything is sent",
	  true },
	{ "--test-only", NULL,
	  "boot the new image once for a test and leave it unconfirmed: the "
	  "next reset goes back to the old one",
	  false },
	{ "--confirm-now", NULL,
	  "make the new image permanent before the reset, without a test boot", false },
	{ "--no-reset", NULL, "stop once the image is marked; it boots at the next reset", false },
	{ "--window", "N", "requests in flight at once, 1..16 (default: as the link allows)",
	  false },
	{ "--chunk", "N", "most image bytes per request, 1..65535 (default: as the device allows)",
	  false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg upload_params[] = {
	{ "FILE", NULL, "the MCUboot image to upload", true },
	{ "--image", "N", "the image number on devices with several, 0..255 (default 0)", false },
	{ "--window", "N", "requests in flight at once, 1..16 (default: as the link allows)",
	  false },
	{ "--chunk", "N", "most image bytes per request, 1..65535 (default: as the device allows)",
	  false },
	{ NULL, NULL, NULL, false },
};

const struct cli_command cli_upgrade_commands[] = {
	{ NULL, "upgrade",
	  "FILE [--image N] [--key PEM] [--test-only|--confirm-now] [--no-reset] [--window N] "
	  "[--chunk N]",
	  "update the firmware: check, upload, test, reset, confirm", cmd_upgrade, false,
	  upgrade_params,
	  "The file is checked first: an invalid image is never sent. An upload that stopped "
	  "resumes where the device stands; a lost link is got back. Ctrl-C aborts cleanly: "
	  "nothing more is sent, nothing is confirmed." },
	{ "image", "upload", "FILE [--image N] [--window N] [--chunk N]",
	  "upload an image to the non-running slot",
	  cmd_upload, false, upload_params, NULL },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL, NULL },
};
