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
#include <dfu-smp/mgmt/os.h>
#include <dfu-smp/ports/loop.h>
#include "cli.h"
#include "package.h"
#include "progress.h"

/* What both commands are given: FILE, --image N and, for upgrade only, --key PEM. */
struct job_args {
	const char *path;
	const char *key;
	uint64_t image;
	bool image_given;
};

/*
 * Reads and checks the job's FILE into @p files: one image (numbered as --image says), or,
 * when @p packages and FILE is a zip, the package's images. @return 0 or an exit status after
 * saying why.
 */
static int load_files(struct cli *cli, const struct job_args *a, bool packages,
		      struct package *files)
{
	struct package_image *one = &files->images[0];
	uint8_t *data;
	size_t size;
	int status = cli_read_image(cli, a->path, &data, &size);

	memset(files, 0, sizeof(*files));
	if (status) {
		return status;
	}
	if (package_is_zip(data, size)) {
		if (!packages) {
			free(data);
			return cli_usage(cli, "%s is a package (a zip): 'image upload' sends one image; "
					 "'upgrade' installs a package", a->path);
		}
		if (a->image_given) {
			free(data);
			return cli_usage(cli, "--image is for a single image: the package's "
					 "manifest gives each image's number");
		}
		status = package_load(cli, a->path, data, size, a->key, files);
		free(data);
		return status;
	}
	files->format_version = -1;
	files->count = 1;
	one->image = (unsigned)a->image;
	one->data = data;
	one->size = size;
	return cli_check_image(cli, a->path, data, size, a->key, &one->img);
}

int package_read(struct cli *cli, const char *path, const char *key, struct package *pkg)
{
	const struct job_args a = { .path = path, .key = key };

	return load_files(cli, &a, true, pkg);
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

/* "sent N bytes (resumed at M) in S s, R kB/s", without a newline. */
static void print_sent(const struct dfu_smp_upload_result *r)
{
	double s = (double)r->elapsed_ms / 1000.0;

	printf("sent %llu bytes", (unsigned long long)(r->size - r->resumed_at));
	if (r->resumed_at) {
		printf(" (resumed at %llu)", (unsigned long long)r->resumed_at);
	}
	if (s > 0) {
		printf(" in %.1f s, %.1f kB/s", s, (double)(r->size - r->resumed_at) / s / 1000.0);
	}
}

static void print_upload(const struct cli *cli, const struct dfu_smp_upload_result *r)
{
	print_sent(r);
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
	progress_init_stderr(&r->progress, r->verbose, cli->json || cli->quiet || cli->watch);
	progress_watch(&r->progress, cli->watch, cli->watch_user);
	if (!cli->stop) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_interrupt;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESETHAND;
		interrupted = 0;
		sigaction(SIGINT, &sa, old);
	}
	cli->session.step = on_step;
	cli->session.progress = on_progress;
	cli->session.lost = on_lost;
	cli->session.user = r;
	cli->session.stop = cli->stop ? cli->stop : &interrupted;
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
	if (!cli->stop) {
		sigaction(SIGINT, old, NULL);
	}
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
			a->image_given = true;
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
 * Runs on the device session the upgrade @p upgrade of @p files or, when NULL, the upload
 * @p upload of its one image. How it ended is in cli->session.err and .result.
 * @return 0, or an exit status after saying why.
 */
static int run_files(struct cli *cli, const struct package *files,
		     struct dfu_smp_upgrade_config *upgrade, struct dfu_smp_upload_config *upload)
{
	struct dfu_smp_upgrade_image images[DFU_SMP_UPGRADE_IMAGES_MAX];
	const struct package_image *one = &files->images[0];
	struct run run;
	struct sigaction old;
	uint8_t *buf = NULL;
	size_t buf_len = 0;
	int status;

	for (unsigned i = 0; upgrade && i < files->count; i++) {
		const struct package_image *p = &files->images[i];

		if (dfu_smp_upgrade_image_set(&images[i], &p->img, p->image, p->file) == -E2BIG) {
			return cli_fail_as(cli, CLI_EXIT_IMAGE, CLI_KIND_IMAGE, "%s has more than %u "
					   "dependencies, more than dfu-smp checks; nothing was "
					   "sent", p->file ? p->file : "the image",
					   DFU_SMP_UPGRADE_DEPS_MAX);
		}
	}
	status = run_begin(cli, &run, &old, upgrade ? &upgrade->upload : upload,
			   upgrade ? DFU_SMP_UPGRADE_REQUEST_BUF : 0, &buf, &buf_len);
	if (!status && upgrade) {
		upgrade->images = images;
		upgrade->count = files->count;
	} else if (!status) {
		upload->data = one->data;
		upload->size = one->size;
		upload->sha = one->img.file_sha256;
		upload->image = one->image;
	}
	if (!status) {
		run_job(cli, &run, upgrade, upload, buf, buf_len);
	}
	run_end(cli, &run, &old);
	free(buf);
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
	if (err == -EFBIG || err == -ENOENT || err == -EPERM) {
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
			    const struct package *files, const char *path)
{
	const struct dfu_smp_image *img = &files->images[0].img;
	char version[DFU_SMP_IMAGE_VERSION_STR_MAX];
	json_t *doc, *images = json_array();

	dfu_smp_image_version_smp_str(&img->header.version, version, sizeof(version));
	doc = json_pack("{s:s, s:{s:s, s:s, s:o}}", "outcome",
			dfu_smp_upgrade_outcome_name(r->outcome), "image", "file", path,
			"version", version, "hash", cli_json_hex(img->hash, img->hash_len));
	json_object_set_new(doc, "upload", r->uploaded ? upload_json(cli, &r->upload)
						       : json_null());
	json_object_set_new(doc, "recovery", json_boolean(r->recovery));
	json_object_set_new(doc, "loader", json_boolean(r->loader));
	json_object_set_new(doc, "boot_mode",
			    r->boot_mode < 0 ? json_null()
					     : json_pack("{s:I, s:s, s:b}", "mode",
							 (json_int_t)r->boot_mode, "name",
							 dfu_smp_mgmt_os_bootloader_mode_name(
								 r->boot_mode),
							 "no_downgrade", r->no_downgrade));
	if (r->running_hash_len) {
		json_object_set_new(doc, "running",
				    json_pack("{s:s, s:o}", "version", r->running_version,
					      "hash", cli_json_hex(r->running_hash,
								   r->running_hash_len)));
	}
	for (unsigned i = 0; i < files->count && i < r->count; i++) {
		const struct package_image *p = &files->images[i];
		const struct dfu_smp_upgrade_image_result *ir = &r->images[i];

		dfu_smp_image_version_smp_str(&p->img.header.version, version, sizeof(version));
		json_array_append_new(
			images, json_pack("{s:I, s:s, s:s, s:o, s:b, s:b, s:b, s:o, s:s?}", "image",
					  (json_int_t)p->image, "file", p->file ? p->file : path,
					  "version", version, "hash",
					  cli_json_hex(p->img.hash, p->img.hash_len), "skipped",
					  ir->skipped, "runs", ir->runs, "confirmed", ir->confirmed,
					  "upload", ir->uploaded ? upload_json(cli, &ir->upload)
								 : json_null(),
					  "running_version",
					  ir->running_version[0] ? ir->running_version : NULL));
	}
	json_object_set_new(doc, "images", images);
	return doc;
}

/* What the bootloader's mode made of the flow, for modes other than a swap. */
static void print_mode(const struct dfu_smp_upgrade_result *r)
{
	switch (r->boot_mode) {
	case DFU_SMP_MGMT_OS_BOOT_OVERWRITE_ONLY:
		printf("the bootloader is overwrite-only: it copied the new image over the old one, "
		       "which is gone (no revert)\n");
		break;
	case DFU_SMP_MGMT_OS_BOOT_DIRECT_XIP:
	case DFU_SMP_MGMT_OS_BOOT_RAM_LOAD:
		printf("the bootloader (%s) boots the highest version it holds: nothing to mark or "
		       "confirm\n", dfu_smp_mgmt_os_bootloader_mode_name(r->boot_mode));
		break;
	case DFU_SMP_MGMT_OS_BOOT_DIRECT_XIP_REVERT:
		printf("the bootloader (direct-XIP with revert) runs the new image from the slot it "
		       "was written to\n");
		break;
	default:
		break;
	}
	if (r->loader) {
		printf("the device's firmware loader wrote the application; it boots it\n");
	}
}

/* A package's outcome: one line per image, then the end. */
static void print_images(const struct dfu_smp_upgrade_result *r, const struct package *files)
{
	for (unsigned i = 0; i < files->count && i < r->count; i++) {
		const struct package_image *p = &files->images[i];
		const struct dfu_smp_upgrade_image_result *ir = &r->images[i];
		char version[DFU_SMP_IMAGE_VERSION_STR_MAX];

		dfu_smp_image_version_smp_str(&p->img.header.version, version, sizeof(version));
		printf("image %u (%s) %s: ", p->image, p->file ? p->file : "?", version);
		if (ir->skipped) {
			printf("skipped: the device runs %s\n", ir->running_version);
		} else if (ir->runs) {
			printf("runs%s", ir->confirmed ? ", confirmed" : ", not confirmed");
			if (ir->uploaded) {
				printf(" (");
				print_sent(&ir->upload);
				printf(")");
			}
			printf("\n");
		} else {
			printf("%s\n", ir->uploaded ? "uploaded" : "in place");
		}
	}
}

static int report_upgrade(struct cli *cli, const struct package *files, const char *path)
{
	const struct dfu_smp_session_result *r = &cli->session.result;
	const struct dfu_smp_image *img = &files->images[0].img;
	char version[DFU_SMP_IMAGE_VERSION_STR_MAX];
	bool many = files->count > 1;

	if (cli->session.err && r->aborted) {
		return report_aborted(cli, r, true);
	}
	if (cli->session.err) {
		char during[360];

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
		return cli_print_json(cli, upgrade_json(cli, &r->upgrade, files, path));
	}
	if (r->upgrade.recovery) {
		printf("the device is in MCUboot's serial recovery: the bootloader writes slot 0 "
		       "directly (requests of %zu bytes), nothing to mark\n",
		       r->upgrade.max_request);
	}
	print_mode(&r->upgrade);
	if (many) {
		print_images(&r->upgrade, files);
	} else if (r->upgrade.uploaded) {
		print_upload(cli, &r->upgrade.upload);
	}
	dfu_smp_image_version_smp_str(&img->header.version, version, sizeof(version));
	if (many) {
		snprintf(version, sizeof(version), "the package");
	}
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
		printf("the device runs %s, not confirmed: the next reset brings the old image%s "
		       "back ('image confirm' keeps it)\n", version, many ? "s" : "");
		break;
	case DFU_SMP_UPGRADE_PENDING:
		printf("%s is marked %s; it boots at the next reset\n", version,
		       "for the next boot");
		break;
	case DFU_SMP_UPGRADE_ALREADY_RUNNING:
		printf("the device already runs %s, confirmed: nothing to do\n", version);
		break;
	case DFU_SMP_UPGRADE_UP_TO_DATE:
		printf("the device already runs %s or newer: nothing to do (--only-newer)\n",
		       many ? "every image of the package" : version);
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

/*
 * --key PEM, --test-only, --confirm-now, --no-reset, --only-newer, --allow-downgrade,
 * --via-recovery: true when argv[*i] was one of them.
 */
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
	} else if (strcmp(argv[*i], "--only-newer") == 0) {
		u->cfg->only_newer = true;
	} else if (strcmp(argv[*i], "--allow-downgrade") == 0) {
		u->cfg->allow_downgrade = true;
	} else if (strcmp(argv[*i], "--via-recovery") == 0) {
		u->cfg->via_recovery = true;
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
	struct package *files = calloc(1, sizeof(*files));
	int status = files ? parse_job(cli, argc, argv, &cfg.upload, &job, upgrade_option, &u)
			   : cli_fail(cli, "out of memory");

	if (!status && cfg.via_recovery && cfg.no_reset) {
		status = cli_usage(cli, "--via-recovery and --no-reset: the bootloader's serial "
				   "recovery is left by a reset");
	}
	if (!status && cli->files) {
		/* a fleet's: read and checked once for all its devices */
		free(files);
		files = NULL;
	} else if (!status) {
		status = load_files(cli, &job, true, files);
	}
	if (!status) {
		status = run_files(cli, files ? files : cli->files, &cfg, NULL);
	}
	if (!status) {
		status = report_upgrade(cli, files ? files : cli->files, job.path);
	}
	if (files) {
		package_free(files);
		free(files);
	}
	return status;
}

/* ---- image upload ---- */

static int cmd_upload(struct cli *cli, int argc, char **argv)
{
	const struct dfu_smp_session_result *r = &cli->session.result;
	char hash[2 * DFU_SMP_IMAGE_HASH_MAX + 1];
	struct dfu_smp_upload_config cfg = { 0 };
	struct job_args job = { 0 };
	struct package *files = calloc(1, sizeof(*files));
	int status = files ? parse_job(cli, argc, argv, &cfg, &job, NULL, NULL)
			   : cli_fail(cli, "out of memory");

	if (!status) {
		status = load_files(cli, &job, false, files);
	}
	if (!status) {
		status = run_files(cli, files, NULL, &cfg);
	}
	if (status) {
		goto out;
	}
	if (cli->session.err && r->aborted) {
		status = report_aborted(cli, r, false);
		goto out;
	}
	if (cli->session.err) {
		if (r->reply.kind == DFU_SMP_MGMT_REPLY_RC &&
		    r->reply.rc == DFU_SMP_MGMT_ERR_EUNKNOWN) {
			/* some devices check the length only when a write runs past the slot's end */
			status = cli_reply_failed_in(cli, &r->reply, "the image may not fit "
						     "the slot: 'image slots' shows its size where "
						     "the device reports it");
		} else {
			status = report_failed(cli, r, cli->session.err, NULL, &r->reply,
					       r->message);
		}
		goto out;
	}
	if (cli->json) {
		json_t *doc = upload_json(cli, &r->upload);

		json_object_set_new(doc, "recovery", json_boolean(r->recovery));
		json_object_set_new(doc, "hash", cli_json_hex(files->images[0].img.hash,
							     files->images[0].img.hash_len));
		status = cli_print_json(cli, doc);
		goto out;
	}
	print_upload(cli, &r->upload);
	cli_hex(files->images[0].img.hash, files->images[0].img.hash_len, hash);
	if (r->recovery) {
		printf("the bootloader's serial recovery wrote %s into slot 0 of image %u directly "
		       "('os reset' boots it)\n", job.path, (unsigned)job.image);
	} else {
		printf("the device holds %s in slot 1 of image %u, hash %s\n", job.path,
		       (unsigned)job.image, hash);
		printf("next: %s%s image test %s (boots it once at the next reset), then os reset\n",
		       cli->prog, cli->open ? " [DEVICE OPTIONS] --" : "", hash);
	}
out:
	if (files) {
		package_free(files);
		free(files);
	}
	return status;
}

/* For --help, the man page and the completion (tools/help.c). */
static const struct cli_arg upgrade_params[] = {
	{ "FILE", NULL,
	  "the signed MCUboot image to install, or a package of images (the "
	  "dfu_application.zip of a sysbuild build)",
	  true },
	{ "--image", "N", "the image number on devices with several, 0..255 (default 0)", false },
	{ "--key", "PEM",
	  "check the signature of every image with this public key (a PEM file) before "
	  "anything is sent",
	  true },
	{ "--test-only", NULL,
	  "boot the new image once for a test and leave it unconfirmed: the "
	  "next reset goes back to the old one",
	  false },
	{ "--confirm-now", NULL,
	  "make the new image permanent before the reset, without a test boot", false },
	{ "--no-reset", NULL, "stop once the image is marked; it boots at the next reset", false },
	{ "--only-newer", NULL,
	  "leave out each image whose number already runs the same version or a newer one",
	  false },
	{ "--allow-downgrade", NULL,
	  "install an older version than the one running (refused where the "
	  "bootloader refuses downgrades or boots the highest version)",
	  false },
	{ "--via-recovery", NULL,
	  "reset into the bootloader (boot_mode 1) and install through MCUboot's "
	  "serial recovery: for an application without image management",
	  false },
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
	  "FILE [--image N] [--key PEM] [--test-only|--confirm-now] [--no-reset] [--only-newer] "
	  "[--allow-downgrade] [--via-recovery] [--window N] [--chunk N]",
	  "update the firmware: check, upload, test, reset, confirm", cmd_upgrade, false,
	  upgrade_params,
	  "The file is checked first: an invalid image is never sent. The flow follows the "
	  "bootloader's mode (swap, overwrite-only, direct-XIP, RAM load, firmware loader, "
	  "serial recovery); a package's images are uploaded, marked and confirmed together, "
	  "with one reset. An upload that stopped "
	  "resumes where the device stands; a lost link is got back. Ctrl-C aborts cleanly: "
	  "nothing more is sent, nothing is confirmed." },
	{ "image", "upload", "FILE [--image N] [--window N] [--chunk N]",
	  "upload an image to the non-running slot",
	  cmd_upload, false, upload_params, NULL },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL, NULL },
};
