/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/dfu/upgrade.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/os.h>

static const char *const step_names[] = {
	[DFU_SMP_UPGRADE_STEP_READ_STATE] = "read state",
	[DFU_SMP_UPGRADE_STEP_CHECK_SIZE] = "check size",
	[DFU_SMP_UPGRADE_STEP_UPLOAD] = "upload",
	[DFU_SMP_UPGRADE_STEP_CHECK_UPLOAD] = "check upload",
	[DFU_SMP_UPGRADE_STEP_MARK] = "mark",
	[DFU_SMP_UPGRADE_STEP_RESET] = "reset",
	[DFU_SMP_UPGRADE_STEP_RECONNECT] = "reconnect",
	[DFU_SMP_UPGRADE_STEP_CHECK_BOOT] = "check boot",
	[DFU_SMP_UPGRADE_STEP_CONFIRM] = "confirm",
	[DFU_SMP_UPGRADE_STEP_CHECK_CONFIRM] = "check confirm",
	[DFU_SMP_UPGRADE_STEP_PROBE_SIZE] = "probe size",
};

static const char *const outcome_names[] = {
	[DFU_SMP_UPGRADE_CONFIRMED] = "confirmed",
	[DFU_SMP_UPGRADE_TESTING] = "testing",
	[DFU_SMP_UPGRADE_PENDING] = "pending",
	[DFU_SMP_UPGRADE_ALREADY_RUNNING] = "already running",
	[DFU_SMP_UPGRADE_ROLLED_BACK] = "rolled back",
	[DFU_SMP_UPGRADE_FAILED] = "failed",
};

const char *dfu_smp_upgrade_step_name(enum dfu_smp_upgrade_step step)
{
	return (unsigned)step < sizeof(step_names) / sizeof(step_names[0]) ? step_names[step] : "?";
}

const char *dfu_smp_upgrade_outcome_name(enum dfu_smp_upgrade_outcome outcome)
{
	return (unsigned)outcome < sizeof(outcome_names) / sizeof(outcome_names[0])
		       ? outcome_names[outcome]
		       : "?";
}

static void finish(struct dfu_smp_upgrade *up, int err, enum dfu_smp_upgrade_outcome outcome)
{
	if (!up->running) {
		return;
	}
	up->running = false;
	up->result.outcome = outcome;
	up->result.step = up->step;
	up->ops->done(up->user, err, &up->result);
}

/* Ends the upgrade as failed (or rolled back) with a one-line reason. */
static void fail(struct dfu_smp_upgrade *up, int err, enum dfu_smp_upgrade_outcome outcome,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(up->result.message, sizeof(up->result.message), fmt, ap);
	va_end(ap);
	finish(up, err, outcome);
}

static void on_answer(struct dfu_smp_request *req, int err, const struct dfu_smp_client_rsp *rsp);
static void start_upload(struct dfu_smp_upgrade *up, bool fresh);

/*
 * A resumed upload did not leave the image in the slot: the device "resumed" an upload it
 * kept in RAM, over a slot erased since. Start over from offset 0 without the sha, once.
 * @return true when it did.
 */
static bool restarted(struct dfu_smp_upgrade *up)
{
	if (!up->result.upload.resumed_at || up->restarted) {
		return false;
	}
	up->restarted = true;
	start_upload(up, true);
	return true;
}

static void enter(struct dfu_smp_upgrade *up, enum dfu_smp_upgrade_step step, const char *detail)
{
	up->step = step;
	if (up->ops->step) {
		up->ops->step(up->user, step, detail);
	}
}

/* Sends the request built in up->req for @p step. */
static void send(struct dfu_smp_upgrade *up)
{
	int err;

	up->req.cb = on_answer;
	up->req.user = up;
	up->req.timeout_ms = up->cfg.timeout_ms;
	if (up->step != DFU_SMP_UPGRADE_STEP_RESET && up->cfg.retries) {
		uint32_t total = up->cfg.timeout_ms ? up->cfg.timeout_ms
						     : DFU_SMP_CLIENT_TIMEOUT_DEFAULT_MS;

		/* reading and marking twice does no harm; the tries share the wait */
		dfu_smp_request_spread(&up->req, total, up->cfg.retries);
	}
	err = dfu_smp_client_submit(up->client, &up->req);
	if (err) {
		fail(up, err, DFU_SMP_UPGRADE_FAILED, "cannot send the %s request: %s",
		     dfu_smp_upgrade_step_name(up->step), strerror(-err));
	}
}

static void read_state(struct dfu_smp_upgrade *up, enum dfu_smp_upgrade_step step,
		       const char *detail)
{
	enter(up, step, detail);
	dfu_smp_request_init(&up->req, up->buf, up->buf_cap);
	dfu_smp_mgmt_img_state_read(&up->req);
	send(up);
}

/* The entry of slot @p slot of our image in a state list, or NULL. */
static const struct dfu_smp_mgmt_img_slot *find_slot(const struct dfu_smp_upgrade *up,
					     const struct dfu_smp_mgmt_img_state *st, uint64_t slot)
{
	for (size_t i = 0; i < st->count; i++) {
		int64_t image = st->slots[i].image < 0 ? 0 : st->slots[i].image;

		if ((uint64_t)image == up->cfg.image && st->slots[i].slot == slot) {
			return &st->slots[i];
		}
	}
	return NULL;
}

static bool is_ours(const struct dfu_smp_upgrade *up, const struct dfu_smp_mgmt_img_slot *s)
{
	return s && s->hash_len == up->cfg.hash_len &&
	       memcmp(s->hash, up->cfg.hash, up->cfg.hash_len) == 0;
}

/* The slot the device runs our image number from. */
static const struct dfu_smp_mgmt_img_slot *running(const struct dfu_smp_upgrade *up,
					   const struct dfu_smp_mgmt_img_state *st)
{
	for (size_t i = 0; i < st->count; i++) {
		int64_t image = st->slots[i].image < 0 ? 0 : st->slots[i].image;

		if ((uint64_t)image == up->cfg.image && st->slots[i].active) {
			return &st->slots[i];
		}
	}
	return NULL;
}

static void note_running(struct dfu_smp_upgrade *up, const struct dfu_smp_mgmt_img_slot *s)
{
	if (!s) {
		return;
	}
	snprintf(up->result.running_version, sizeof(up->result.running_version), "%s",
		 s->version ? s->version : "?");
	memcpy(up->result.running_hash, s->hash, s->hash_len);
	up->result.running_hash_len = s->hash_len;
}

/* ---- the steps ---- */

static void upload_progress(void *user, const struct dfu_smp_upload_progress *progress)
{
	struct dfu_smp_upgrade *up = user;

	if (up->ops->progress) {
		up->ops->progress(up->user, progress);
	}
}

static void upload_done(void *user, int err, const struct dfu_smp_upload_result *result)
{
	struct dfu_smp_upgrade *up = user;

	up->result.upload = *result;
	if (err == -EBADMSG && result->has_match && restarted(up)) {
		return;
	}
	if (err == -EREMOTEIO && result->reply.kind == DFU_SMP_MGMT_REPLY_RC &&
	    result->reply.rc == DFU_SMP_MGMT_ERR_EUNKNOWN && !up->slot_size_known) {
		/* some devices check the length only when a write runs past the slot's end */
		up->result.reply = result->reply;
		fail(up, err, DFU_SMP_UPGRADE_FAILED, "the image (%zu bytes) may not fit slot 1 of "
		     "image %u, whose size the device does not report", up->cfg.size,
		     (unsigned)up->cfg.image);
		return;
	}
	if (err) {
		up->result.reply = result->reply;
		fail(up, err, DFU_SMP_UPGRADE_FAILED, "%s", result->message);
		return;
	}
	read_state(up, DFU_SMP_UPGRADE_STEP_CHECK_UPLOAD, "the device lists the new image");
}

/*
 * Uploads the image; @p fresh: without its sha, so that the device starts from offset 0 even
 * if it kept an earlier upload of the same file in RAM.
 */
static void start_upload(struct dfu_smp_upgrade *up, bool fresh)
{
	static const struct dfu_smp_upload_ops ops = { upload_progress, upload_done };
	struct dfu_smp_upload_config cfg = up->cfg.upload;
	int err;

	enter(up, DFU_SMP_UPGRADE_STEP_UPLOAD, fresh ? "again from the start" : NULL);
	up->result.uploaded = true;
	cfg.data = up->cfg.data;
	cfg.size = up->cfg.size;
	cfg.sha = fresh ? NULL : up->cfg.sha;
	cfg.image = up->cfg.image;
	if (up->recovery) {
		cfg.max_request = up->result.max_request;
	}
	err = dfu_smp_upload_start(&up->upload, up->client, &cfg, up->upload_buf,
				   up->upload_buf_len, &ops, up);
	if (err) {
		fail(up, err, DFU_SMP_UPGRADE_FAILED, "cannot start the upload: %s",
		     strerror(-err));
	}
}

/* @p again: why it is marked a second time, or NULL. */
static void mark(struct dfu_smp_upgrade *up, const char *again)
{
	bool permanent = up->cfg.mode == DFU_SMP_UPGRADE_CONFIRM_NOW;

	enter(up, DFU_SMP_UPGRADE_STEP_MARK,
	      again ? again : permanent ? "for good" : "for a test boot");
	dfu_smp_request_init(&up->req, up->buf, up->buf_cap);
	dfu_smp_mgmt_img_state_write(&up->req, up->cfg.hash, up->cfg.hash_len, permanent);
	send(up);
}

static void reset(struct dfu_smp_upgrade *up, bool force)
{
	enter(up, DFU_SMP_UPGRADE_STEP_RESET, force ? "forced" : NULL);
	up->forced_reset = force;
	dfu_smp_request_init(&up->req, up->buf, up->buf_cap);
	dfu_smp_mgmt_os_reset(&up->req, force, -1);
	send(up);
}

static void confirm(struct dfu_smp_upgrade *up)
{
	enter(up, DFU_SMP_UPGRADE_STEP_CONFIRM, NULL);
	dfu_smp_request_init(&up->req, up->buf, up->buf_cap);
	dfu_smp_mgmt_img_state_write(&up->req, NULL, 0, true);
	send(up);
}

/*
 * Not every device checks the length against its slot at the first request; some fail only
 * when a write runs past the slot's end. Slot info says how large the slot is, where the
 * device supports it.
 */
static void check_size(struct dfu_smp_upgrade *up)
{
	enter(up, DFU_SMP_UPGRADE_STEP_CHECK_SIZE, NULL);
	dfu_smp_request_init(&up->req, up->buf, up->buf_cap);
	dfu_smp_mgmt_img_slot_info(&up->req);
	send(up);
}

/*
 * The device has no image number cfg.image (the images it has are in @p have, a bit each): the
 * upgrade is refused before anything is sent. @return true when it was.
 */
static bool refused_image(struct dfu_smp_upgrade *up, const uint8_t have[32], const char *source)
{
	char list[200] = "";
	size_t n = 0;

	if (have[up->cfg.image / 8u] & (1u << (up->cfg.image % 8u))) {
		return false;
	}
	for (unsigned i = 0; i < 256 && n + 8 < sizeof(list); i++) {
		if (have[i / 8u] & (1u << (i % 8u))) {
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%u", n ? ", " : "", i);
		}
	}
	fail(up, -ENOENT, DFU_SMP_UPGRADE_FAILED,
	     "the device has no image %u (%s lists image%s %s): "
	     "give --image with one of them; nothing was sent",
	     (unsigned)up->cfg.image, source, strchr(list, ',') ? "s" : "", list);
	return true;
}

static void check_size_answer(struct dfu_smp_upgrade *up, const struct dfu_smp_client_rsp *rsp)
{
	struct dfu_smp_mgmt_img_slot_info info;
	struct dfu_smp_mgmt_reply reply;
	int64_t room = -1;
	const char *why = "";
	uint8_t have[32] = { 0 };
	uint64_t erase_ms = 0;
	bool any = false;

	if (dfu_smp_mgmt_img_slot_info_decode(rsp, &reply, &info) == 0) {
		for (size_t i = 0; i < info.count; i++) {
			if (info.images[i].image < 256) {
				have[info.images[i].image / 8u] |=
					(uint8_t)(1u << (info.images[i].image % 8u));
				any = true;
			}
		}
		for (size_t i = 0; i < info.count; i++) {
			const struct dfu_smp_mgmt_img_slot_info_image *im = &info.images[i];

			if (im->image != up->cfg.image) {
				continue;
			}
			for (size_t j = 0; j < im->count; j++) {
				if (im->slots[j].slot == 1 && im->slots[j].size > 0) {
					erase_ms = ((uint64_t)im->slots[j].size + 4095u) / 4096u *
						   DFU_SMP_UPGRADE_ERASE_MS_PER_PAGE;
				}
				if (im->slots[j].slot == 1 && im->slots[j].size >= 0) {
					/* the trailer takes the slot's last bytes */
					room = im->slots[j].size > DFU_SMP_UPGRADE_TRAILER_MIN
						       ? im->slots[j].size -
								 DFU_SMP_UPGRADE_TRAILER_MIN
						       : 0;
					why = ", the slot less MCUboot's trailer";
				}
			}
			if (im->max_image_size >= 0) {
				room = im->max_image_size;
				why = "";
			}
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	/* slot info names the images the device has; without it, the state list does */
	if (refused_image(up, any ? have : up->listed, any ? "its slot info" : "its image list")) {
		return;
	}
	if (erase_ms > (up->cfg.upload.first_timeout_ms ? up->cfg.upload.first_timeout_ms
							: DFU_SMP_UPLOAD_FIRST_TIMEOUT_MS)) {
		up->cfg.upload.first_timeout_ms = erase_ms > UINT32_MAX ? UINT32_MAX
									: (uint32_t)erase_ms;
	}
	up->slot_size_known = room >= 0;
	if (room >= 0 && up->cfg.size > (uint64_t)room) {
		fail(up, -EFBIG, DFU_SMP_UPGRADE_FAILED,
		     "the image (%zu bytes) is larger than what "
		     "slot 1 of image %u takes (%lld bytes%s); nothing was sent",
		     up->cfg.size, (unsigned)up->cfg.image, (long long)room, why);
		return;
	}
	start_upload(up, false);
}

/* After the upload, or when it was already there: mark, then reset (or stop). */
static void after_upload(struct dfu_smp_upgrade *up, const struct dfu_smp_mgmt_img_slot *secondary)
{
	bool permanent = up->cfg.mode == DFU_SMP_UPGRADE_CONFIRM_NOW;

	/*
	 * Marked already, by an earlier run: as asked, or for a test boot where it is to be made
	 * permanent now (the device refuses to mark it again; it is confirmed once it runs).
	 */
	if (secondary->pending && (secondary->permanent == permanent || permanent)) {
		if (up->cfg.no_reset) {
			finish(up, 0, DFU_SMP_UPGRADE_PENDING);
		} else {
			reset(up, false);
		}
		return;
	}
	mark(up, NULL);
}

static void check_boot(struct dfu_smp_upgrade *up, const struct dfu_smp_mgmt_img_state *st);

bool dfu_smp_upgrade_is_recovery(const struct dfu_smp_mgmt_img_state *st)
{
	for (size_t i = 0; i < st->count; i++) {
		if (st->slots[i].active) {
			return false;
		}
	}
	return st->split_status < 0;
}

void dfu_smp_upgrade_size_checked(struct dfu_smp_upgrade *up, int err, size_t max_request)
{
	if (!up->running || up->step != DFU_SMP_UPGRADE_STEP_PROBE_SIZE) {
		return;
	}
	if (err) {
		fail(up, err, DFU_SMP_UPGRADE_FAILED,
		     "the bootloader answers no request of %zu bytes "
		     "or more: %s",
		     up->result.max_request, strerror(-err));
		return;
	}
	up->result.max_request = max_request;
	start_upload(up, false);
}

/* Serial recovery: slot 0 is written directly, nothing is marked. */
static void plan_recovery(struct dfu_smp_upgrade *up, const struct dfu_smp_mgmt_img_state *st)
{
	const struct dfu_smp_mgmt_img_slot *primary = find_slot(up, st, 0);

	up->recovery = true;
	up->result.recovery = true;
	if (up->reset_done) {
		check_boot(up, st);
		return;
	}
	if (is_ours(up, primary)) {
		note_running(up, primary);
		if (up->cfg.no_reset) {
			finish(up, 0, DFU_SMP_UPGRADE_PENDING);
		} else {
			reset(up, false);
		}
		return;
	}
	if (!up->result.max_request) {
		up->result.max_request = up->cfg.upload.max_request;
	}
	if (up->upload_buf_len < 2 * up->result.max_request) {
		up->result.max_request = up->upload_buf_len / 2;
	}
	up->step = DFU_SMP_UPGRADE_STEP_PROBE_SIZE; /* the owner reports the check's steps */
	if (up->ops->check_size) {
		up->ops->check_size(up->user, up->result.max_request);
	} else {
		dfu_smp_upgrade_size_checked(up, 0, up->result.max_request);
	}
}

/*
 * The first state read (and the one after a lost link): what is there decides what is left to
 * do.
 */
static void plan(struct dfu_smp_upgrade *up, const struct dfu_smp_mgmt_img_state *st)
{
	const struct dfu_smp_mgmt_img_slot *active = running(up, st);
	const struct dfu_smp_mgmt_img_slot *secondary = find_slot(up, st, 1);

	if (dfu_smp_upgrade_is_recovery(st) && (!up->reset_done || up->recovery)) {
		plan_recovery(up, st);
		return;
	}
	note_running(up, active);
	if (up->reset_done && !(is_ours(up, secondary) && secondary->pending)) {
		check_boot(up, st); /* reset by this upgrade: it runs the image, or rolled back */
		return;
	}
	if (is_ours(up, active) && active->slot == 0) {
		if (active->confirmed) {
			finish(up, 0, DFU_SMP_UPGRADE_ALREADY_RUNNING);
		} else if (up->cfg.mode == DFU_SMP_UPGRADE_TEST_ONLY) {
			finish(up, 0, DFU_SMP_UPGRADE_TESTING);
		} else {
			confirm(up); /* it booted after an earlier run's reset: finish that upgrade */
		}
		return;
	}
	if (is_ours(up, secondary)) {
		after_upload(up, secondary);
		return;
	}
	memset(up->listed, 0, sizeof(up->listed));
	for (size_t i = 0; i < st->count; i++) {
		uint64_t image = st->slots[i].image < 0 ? 0 : (uint64_t)st->slots[i].image;

		if (image < 256) {
			up->listed[image / 8u] |= (uint8_t)(1u << (image % 8u));
		}
	}
	if (st->count == 0) {
		up->listed[up->cfg.image / 8u] |= (uint8_t)(1u << (up->cfg.image % 8u));
	}
	check_size(up);
}

static void check_upload(struct dfu_smp_upgrade *up, const struct dfu_smp_mgmt_img_state *st)
{
	const struct dfu_smp_mgmt_img_slot *secondary = find_slot(up, st, 1);

	if (up->recovery) {
		if (!is_ours(up, find_slot(up, st, 0))) {
			fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED,
			     "after the upload the bootloader does "
			     "not list the new image in slot 0 of image %u",
			     (unsigned)up->cfg.image);
		} else if (up->cfg.no_reset) {
			finish(up, 0, DFU_SMP_UPGRADE_PENDING);
		} else {
			reset(up, false);
		}
		return;
	}

	if (!is_ours(up, secondary) && restarted(up)) {
		return;
	}
	if (!is_ours(up, secondary)) {
		fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED,
		     "after the upload the device does not list "
		     "the new image in slot 1 of image %u: it may have rejected it; nothing was "
		     "marked",
		     (unsigned)up->cfg.image);
		return;
	}
	after_upload(up, secondary);
}

static void check_mark(struct dfu_smp_upgrade *up, const struct dfu_smp_mgmt_img_state *st)
{
	const struct dfu_smp_mgmt_img_slot *secondary = find_slot(up, st, 1);
	bool permanent = up->cfg.mode == DFU_SMP_UPGRADE_CONFIRM_NOW;

	if (!is_ours(up, secondary) || !secondary->pending || secondary->permanent != permanent) {
		fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED, "the device answered the %s request but "
		     "does not list the new image as pending%s; the device was not reset",
		     permanent ? "confirm" : "test", permanent ? " and permanent" : "");
		return;
	}
	if (up->cfg.no_reset) {
		finish(up, 0, DFU_SMP_UPGRADE_PENDING);
		return;
	}
	reset(up, false);
}

/*
 * The device ran the new image after the reset, then was found on the old one with the new one
 * back in slot 1, unmarked: it lost power (or reset) before the confirm was written, and
 * MCUboot reverted the unconfirmed image. The image was verified and booted, so it is tested
 * once more: marked, reset, confirmed. A second revert is a rollback. @return true if so.
 */
static bool retest(struct dfu_smp_upgrade *up, const struct dfu_smp_mgmt_img_slot *secondary)
{
	if (!up->ran_new || up->retested || up->cfg.mode == DFU_SMP_UPGRADE_TEST_ONLY ||
	    !is_ours(up, secondary) || secondary->pending) {
		return false;
	}
	up->retested = true;
	up->ran_new = false;
	up->reset_done = false;
	mark(up, "again: the device reverted the new image before its confirm was written");
	return true;
}

static void check_boot(struct dfu_smp_upgrade *up, const struct dfu_smp_mgmt_img_state *st)
{
	const struct dfu_smp_mgmt_img_slot *active = running(up, st);
	const struct dfu_smp_mgmt_img_slot *secondary = find_slot(up, st, 1);

	note_running(up, active);
	if (up->recovery) {
		if (dfu_smp_upgrade_is_recovery(st)) {
			fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED,
			     "after the reset the device is still in "
			     "serial recovery: the bootloader did not boot the image in slot 0");
		} else if (!is_ours(up, active)) {
			fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED, "after the reset the device runs "
			     "version %s, not the new image", active && active->version
								  ? active->version : "?");
		} else {
			finish(up, 0,
			       DFU_SMP_UPGRADE_CONFIRMED); /* written in place: nothing reverts it */
		}
		return;
	}
	if (!is_ours(up, active) && is_ours(up, secondary) && secondary->pending) {
		/* MCUboot clears the mark when it boots the image, and again when it reverts it */
		fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED,
		     "the device did not reset: it runs version "
		     "%s with the new image still marked for the next boot; nothing was confirmed",
		     active && active->version ? active->version : "?");
		return;
	}
	if (!is_ours(up, active) && retest(up, secondary)) {
		return;
	}
	if (!is_ours(up, active)) {
		fail(up, -ECANCELED, DFU_SMP_UPGRADE_ROLLED_BACK,
		     "the device rolled back: after the "
		     "reset it runs version %s, not the new image; nothing was confirmed",
		     active && active->version ? active->version : "?");
		return;
	}
	up->ran_new = true;
	switch (up->cfg.mode) {
	case DFU_SMP_UPGRADE_TEST_ONLY:
		finish(up, 0,
		       active->confirmed ? DFU_SMP_UPGRADE_CONFIRMED : DFU_SMP_UPGRADE_TESTING);
		break;
	case DFU_SMP_UPGRADE_CONFIRM_NOW:
		if (active->confirmed) {
			finish(up, 0, DFU_SMP_UPGRADE_CONFIRMED);
		} else {
			confirm(up);
		}
		break;
	case DFU_SMP_UPGRADE_TEST_THEN_CONFIRM:
		confirm(up);
		break;
	}
}

static void check_confirm(struct dfu_smp_upgrade *up, const struct dfu_smp_mgmt_img_state *st)
{
	const struct dfu_smp_mgmt_img_slot *active = running(up, st);

	note_running(up, active);
	if (!is_ours(up, active) && retest(up, find_slot(up, st, 1))) {
		return;
	}
	if (!is_ours(up, active)) {
		/* it reset before the confirm was written (a power loss): MCUboot reverted */
		fail(up, -ECANCELED, DFU_SMP_UPGRADE_ROLLED_BACK,
		     "the device rolled back before the confirm took: it runs version %s, not the "
		     "new image; the new image was not confirmed",
		     active && active->version ? active->version : "?");
		return;
	}
	if (!active->confirmed) {
		fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED, "the device answered the confirm request "
		     "but does not list the new image as running and confirmed");
		return;
	}
	finish(up, 0, DFU_SMP_UPGRADE_CONFIRMED);
}

/* The answer to the reset: a device may reset before its answer leaves. */
static void after_reset(struct dfu_smp_upgrade *up, int err, const struct dfu_smp_client_rsp *rsp)
{
	struct dfu_smp_mgmt_reply reply;

	if (err == 0) {
		err = dfu_smp_mgmt_reply_status(rsp, &reply);
		dfu_smp_mgmt_reply_close(&reply);
		if (err == -EREMOTEIO && reply.kind == DFU_SMP_MGMT_REPLY_RC &&
		    reply.rc == DFU_SMP_MGMT_ERR_EBUSY && !up->forced_reset) {
			reset(up, true); /* an application hook refused it */
			return;
		}
		if (err) {
			up->result.reply = reply;
			fail(up, err, DFU_SMP_UPGRADE_FAILED, "the device refused to reset");
			return;
		}
	} else if (err != -ETIMEDOUT && err != -ENOTCONN) {
		fail(up, err, DFU_SMP_UPGRADE_FAILED, "the reset request failed: %s",
		     strerror(-err));
		return;
	}
	up->reset_done = true;
	enter(up, DFU_SMP_UPGRADE_STEP_RECONNECT, NULL);
	up->ops->reset(up->user);
}

static void on_answer(struct dfu_smp_request *req, int err, const struct dfu_smp_client_rsp *rsp)
{
	struct dfu_smp_upgrade *up = req->user;
	struct dfu_smp_mgmt_img_state st;
	struct dfu_smp_mgmt_reply reply;

	if (!up->running) {
		return;
	}
	if (up->step == DFU_SMP_UPGRADE_STEP_RESET) {
		after_reset(up, err, rsp);
		return;
	}
	if (up->step == DFU_SMP_UPGRADE_STEP_CHECK_SIZE && !err) {
		check_size_answer(up, rsp); /* a device without slot info is fine too */
		return;
	}
	if (err) {
		fail(up, err, DFU_SMP_UPGRADE_FAILED, "the %s request failed: %s",
		     dfu_smp_upgrade_step_name(up->step), strerror(-err));
		return;
	}
	/* every other step answers with the image state list */
	err = dfu_smp_mgmt_img_state_decode(rsp, &reply, &st);
	if (err) {
		dfu_smp_mgmt_reply_close(&reply);
		up->result.reply = reply;
		fail(up, err, DFU_SMP_UPGRADE_FAILED, "the device did not answer the %s request "
		     "with its image list", dfu_smp_upgrade_step_name(up->step));
		return;
	}
	switch (up->step) {
	case DFU_SMP_UPGRADE_STEP_READ_STATE:
		plan(up, &st);
		break;
	case DFU_SMP_UPGRADE_STEP_CHECK_UPLOAD:
		check_upload(up, &st);
		break;
	case DFU_SMP_UPGRADE_STEP_MARK:
		check_mark(up, &st);
		break;
	case DFU_SMP_UPGRADE_STEP_CHECK_BOOT:
		check_boot(up, &st);
		break;
	case DFU_SMP_UPGRADE_STEP_CONFIRM:
		read_state(up, DFU_SMP_UPGRADE_STEP_CHECK_CONFIRM, "the device runs it, confirmed");
		break;
	case DFU_SMP_UPGRADE_STEP_CHECK_CONFIRM:
		check_confirm(up, &st);
		break;
	default:
		break;
	}
	dfu_smp_mgmt_reply_close(&reply);
}

void dfu_smp_upgrade_reconnected(struct dfu_smp_upgrade *up, int err, const char *why)
{
	if (!up->running || up->step != DFU_SMP_UPGRADE_STEP_RECONNECT) {
		return;
	}
	if (err) {
		fail(up, -EHOSTUNREACH, DFU_SMP_UPGRADE_FAILED,
		     "the device did not come back after "
		     "its reset (%s); it may still be booting, or it failed to boot",
		     why ? why : strerror(-err));
		return;
	}
	read_state(up, DFU_SMP_UPGRADE_STEP_CHECK_BOOT, "the device runs the new image");
}

int dfu_smp_upgrade_resume(struct dfu_smp_upgrade *up)
{
	if (!up->client) {
		return -EINVAL;
	}
	if (up->running) {
		return -EBUSY;
	}
	up->running = true;
	up->result.message[0] = '\0';
	memset(&up->result.reply, 0, sizeof(up->result.reply));
	read_state(up, DFU_SMP_UPGRADE_STEP_READ_STATE, "again, after the link came back");
	return 0;
}

void dfu_smp_upgrade_abort(struct dfu_smp_upgrade *up)
{
	if (!up->running) {
		return;
	}
	up->running = false;
	dfu_smp_client_cancel(up->client, &up->req);
	if (up->step == DFU_SMP_UPGRADE_STEP_UPLOAD) {
		dfu_smp_upload_abort(&up->upload);
	}
}

int dfu_smp_upgrade_start(struct dfu_smp_upgrade *up, struct dfu_smp_client *client,
		      const struct dfu_smp_upgrade_config *cfg, uint8_t *buf, size_t buf_len,
		      const struct dfu_smp_upgrade_ops *ops, void *user)
{
	if (!up || !client || !cfg || !cfg->data || !cfg->hash || cfg->hash_len == 0 ||
	    cfg->hash_len > DFU_SMP_MGMT_IMG_HASH_MAX || !ops || !ops->reset || !ops->done ||
	    !buf || buf_len <= DFU_SMP_UPGRADE_REQUEST_BUF) {
		return -EINVAL;
	}
	memset(up, 0, sizeof(*up));
	up->client = client;
	up->cfg = *cfg;
	up->ops = ops;
	up->user = user;
	up->buf = buf;
	up->buf_cap = DFU_SMP_UPGRADE_REQUEST_BUF;
	up->upload_buf = buf + DFU_SMP_UPGRADE_REQUEST_BUF;
	up->upload_buf_len = buf_len - DFU_SMP_UPGRADE_REQUEST_BUF;
	up->running = true;
	read_state(up, DFU_SMP_UPGRADE_STEP_READ_STATE, NULL);
	return 0;
}
