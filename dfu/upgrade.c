/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The upgrade is a planner: after every image list the device sends, learn() records what each
 * image number holds (where it runs from, where an upload goes, whether the new image is there,
 * marked, running, confirmed), and next() takes the one step left to do, in this order: ask the
 * bootloader's mode, check everything that can be checked before anything is sent, enter the
 * bootloader or the firmware loader where the flow goes through one, upload what is missing,
 * mark what is not marked, reset once, confirm what runs. Running it again, after a lost link
 * or in a new process, goes on from what the device reports.
 */
#include <dfu-smp/dfu/upgrade.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/os.h>

/* IMG group error: the device confirms no image of another number than the one it runs. */
#define IMG_ERR_CONFIRMATION_DENIED 32

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
	[DFU_SMP_UPGRADE_STEP_BOOT_MODE] = "boot mode",
};

static const char *const outcome_names[] = {
	[DFU_SMP_UPGRADE_CONFIRMED] = "confirmed",
	[DFU_SMP_UPGRADE_TESTING] = "testing",
	[DFU_SMP_UPGRADE_PENDING] = "pending",
	[DFU_SMP_UPGRADE_ALREADY_RUNNING] = "already running",
	[DFU_SMP_UPGRADE_ROLLED_BACK] = "rolled back",
	[DFU_SMP_UPGRADE_FAILED] = "failed",
	[DFU_SMP_UPGRADE_UP_TO_DATE] = "up to date",
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

int dfu_smp_upgrade_image_set(struct dfu_smp_upgrade_image *out, const struct dfu_smp_image *img,
			      uint32_t image, const char *name)
{
	if (!out || !img || img->hash_len == 0 || img->hash_len > DFU_SMP_MGMT_IMG_HASH_MAX) {
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	out->data = img->data;
	out->size = img->size;
	out->hash = img->hash;
	out->hash_len = img->hash_len;
	out->sha = img->file_sha256;
	out->image = image;
	out->version = img->header.version;
	out->name = name;
	for (size_t i = 0; i < img->tlv_count; i++) {
		const struct dfu_smp_image_tlv *t = &img->tlvs[i];
		struct dfu_smp_upgrade_dep *d;

		if (t->type != DFU_SMP_IMAGE_TLV_DEPENDENCY || t->len != 12) {
			continue;
		}
		if (out->dep_count == DFU_SMP_UPGRADE_DEPS_MAX) {
			return -E2BIG;
		}
		/* image_id, 3 pad bytes, then the version as the header lays it out */
		d = &out->deps[out->dep_count++];
		d->image = t->value[0];
		d->min.major = t->value[4];
		d->min.minor = t->value[5];
		d->min.revision = (uint16_t)(t->value[6] | t->value[7] << 8);
		d->min.build = (uint32_t)t->value[8] | (uint32_t)t->value[9] << 8 |
			       (uint32_t)t->value[10] << 16 | (uint32_t)t->value[11] << 24;
	}
	return 0;
}

/* ---- the end ---- */

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

/* ---- what the device reports ---- */

static const struct dfu_smp_upgrade_image *img_of(const struct dfu_smp_upgrade *up, unsigned i)
{
	return &up->images[i];
}

static int64_t mode(const struct dfu_smp_upgrade *up)
{
	return up->result.boot_mode;
}

static bool has_image(const uint8_t set[32], uint64_t image)
{
	return image < 256 && (set[image / 8u] & (1u << (image % 8u)));
}

static void add_image(uint8_t set[32], uint64_t image)
{
	if (image < 256) {
		set[image / 8u] |= (uint8_t)(1u << (image % 8u));
	}
}

/* The image number a list entry belongs to (single-image builds leave it out). */
static uint64_t entry_image(const struct dfu_smp_mgmt_img_slot *s)
{
	return s->image < 0 ? 0 : (uint64_t)s->image;
}

static bool is_ours(const struct dfu_smp_upgrade_image *im, const struct dfu_smp_mgmt_img_slot *s)
{
	return s && s->hash_len == im->hash_len && memcmp(s->hash, im->hash, im->hash_len) == 0;
}

bool dfu_smp_upgrade_is_recovery(const struct dfu_smp_mgmt_img_state *st)
{
	for (size_t i = 0; i < st->count; i++) {
		if (st->slots[i].active) {
			return false;
		}
	}
	return st->split_status < 0;
}

/* The slot an upload of an image number goes to, given the slot it runs from (or -1). */
static int64_t target_slot(const struct dfu_smp_upgrade *up, int64_t active)
{
	if (up->recovery || mode(up) == DFU_SMP_MGMT_OS_BOOT_FIRMWARE_LOADER || up->cfg.via_recovery) {
		return 0; /* written in place: the bootloader, or the loader, runs from elsewhere */
	}
	/* direct-XIP and RAM load run either slot; every other mode runs slot 0 */
	return active == 1 ? 0 : 1;
}

/* Records what the list @p st says of every image number, ours and the others. */
static void learn(struct dfu_smp_upgrade *up, const struct dfu_smp_mgmt_img_state *st)
{
	up->dev_known = 0;
	for (unsigned i = 0; st->count == 0 && i < up->cfg.count; i++) {
		add_image(up->listed, img_of(up, i)->image); /* an empty list tells of none */
	}
	for (size_t k = 0; k < st->count; k++) {
		const struct dfu_smp_mgmt_img_slot *s = &st->slots[k];
		uint64_t image = entry_image(s);
		/* serial recovery flags nothing: slot 0 holds what would run */
		bool runs = up->recovery ? s->slot == 0 : s->active;

		add_image(up->listed, image);
		if (runs && image < DFU_SMP_UPGRADE_DEV_IMAGES && s->version &&
		    dfu_smp_image_version_parse(s->version, &up->dev_version[image]) == 0) {
			up->dev_known |= (uint16_t)(1u << image);
		}
	}
	for (unsigned i = 0; i < up->cfg.count; i++) {
		const struct dfu_smp_upgrade_image *im = img_of(up, i);
		struct dfu_smp_upgrade_slots *sl = &up->slots[i];
		struct dfu_smp_upgrade_image_result *r = &up->result.images[i];

		memset(sl, 0, sizeof(*sl));
		sl->active = -1;
		for (size_t k = 0; k < st->count; k++) {
			const struct dfu_smp_mgmt_img_slot *s = &st->slots[k];

			if (entry_image(s) != im->image) {
				continue;
			}
			if (s->active && !up->recovery) {
				sl->active = (int64_t)s->slot;
				sl->ours_active = is_ours(im, s);
				sl->ours_confirmed = sl->ours_active && s->confirmed;
				snprintf(r->running_version, sizeof(r->running_version), "%s",
					 s->version ? s->version : "?");
				if (i == 0) {
					memcpy(up->result.running_hash, s->hash, s->hash_len);
					up->result.running_hash_len = s->hash_len;
				}
			}
		}
		sl->target = target_slot(up, sl->active);
		for (size_t k = 0; k < st->count; k++) {
			const struct dfu_smp_mgmt_img_slot *s = &st->slots[k];

			if (entry_image(s) == im->image && (int64_t)s->slot == sl->target &&
			    is_ours(im, s)) {
				sl->ours_target = true;
				sl->ours_pending = s->pending;
				sl->ours_permanent = s->permanent;
			}
		}
		r->runs = sl->ours_active;
		r->confirmed = sl->ours_confirmed;
	}
	if (up->cfg.count) {
		snprintf(up->result.running_version, sizeof(up->result.running_version), "%s",
			 up->result.images[0].running_version);
	}
}

/* ---- sending ---- */

static void on_answer(struct dfu_smp_request *req, int err, const struct dfu_smp_client_rsp *rsp);
static void next(struct dfu_smp_upgrade *up);

static void enter(struct dfu_smp_upgrade *up, enum dfu_smp_upgrade_step step, const char *detail)
{
	up->step = step;
	if (up->ops->step) {
		up->ops->step(up->user, step, detail);
	}
}

/* What messages call image @p i: "image 1 (net.bin)", or "image 0". */
static const char *image_label(const struct dfu_smp_upgrade *up, unsigned i, char *buf,
			       size_t cap)
{
	const struct dfu_smp_upgrade_image *im = img_of(up, i);

	if (im->name) {
		snprintf(buf, cap, "image %u (%s)", (unsigned)im->image, im->name);
	} else {
		snprintf(buf, cap, "image %u", (unsigned)im->image);
	}
	return buf;
}

/* Enters @p step for image @p i, the detail naming the image when there are several. */
static void enter_image(struct dfu_smp_upgrade *up, enum dfu_smp_upgrade_step step, unsigned i,
			const char *detail)
{
	char text[200], label[160];

	up->cur = i;
	if (up->cfg.count < 2) {
		enter(up, step, detail);
		return;
	}
	snprintf(text, sizeof(text), "%s%s%s", image_label(up, i, label, sizeof(label)),
		 detail ? ": " : "", detail ? detail : "");
	enter(up, step, text);
}

/* Sends the request built in up->req for the current step. */
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

static void ask_mode(struct dfu_smp_upgrade *up)
{
	enter(up, DFU_SMP_UPGRADE_STEP_BOOT_MODE, NULL);
	dfu_smp_request_init(&up->req, up->buf, up->buf_cap);
	dfu_smp_mgmt_os_bootloader(&up->req, "mode");
	send(up);
}

static void check_size(struct dfu_smp_upgrade *up)
{
	enter(up, DFU_SMP_UPGRADE_STEP_CHECK_SIZE, NULL);
	dfu_smp_request_init(&up->req, up->buf, up->buf_cap);
	dfu_smp_mgmt_img_slot_info(&up->req);
	send(up);
}

static void reset(struct dfu_smp_upgrade *up, bool force, int boot_mode, const char *why)
{
	enter(up, DFU_SMP_UPGRADE_STEP_RESET, force ? "forced" : why);
	up->forced_reset = force;
	up->reset_boot_mode = boot_mode;
	dfu_smp_request_init(&up->req, up->buf, up->buf_cap);
	dfu_smp_mgmt_os_reset(&up->req, force, boot_mode);
	send(up);
}

/* ---- upload ---- */

static void start_upload(struct dfu_smp_upgrade *up, unsigned i, bool fresh);

static void upload_progress(void *user, const struct dfu_smp_upload_progress *progress)
{
	struct dfu_smp_upgrade *up = user;

	if (up->ops->progress) {
		up->ops->progress(up->user, progress);
	}
}

/*
 * A resumed upload did not leave the image in the slot: the device "resumed" an upload it
 * kept in RAM, over a slot erased since. Start over from offset 0 without the sha, once.
 * @return true when it did.
 */
static bool restarted(struct dfu_smp_upgrade *up, unsigned i)
{
	if (!up->result.images[i].upload.resumed_at || up->restarted[i]) {
		return false;
	}
	up->restarted[i] = true;
	start_upload(up, i, true);
	return true;
}

static void upload_done(void *user, int err, const struct dfu_smp_upload_result *result)
{
	struct dfu_smp_upgrade *up = user;
	unsigned i = up->cur;

	up->result.upload = *result;
	up->result.images[i].upload = *result;
	if (err == -EBADMSG && result->has_match && restarted(up, i)) {
		return;
	}
	if (err == -EREMOTEIO && result->reply.kind == DFU_SMP_MGMT_REPLY_RC &&
	    result->reply.rc == DFU_SMP_MGMT_ERR_EUNKNOWN && !up->slot_size_known[i]) {
		/* some devices check the length only when a write runs past the slot's end */
		up->result.reply = result->reply;
		fail(up, err, DFU_SMP_UPGRADE_FAILED, "the image (%zu bytes) may not fit slot %lld "
		     "of image %u, whose size the device does not report", img_of(up, i)->size,
		     (long long)up->slots[i].target, (unsigned)img_of(up, i)->image);
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
 * Uploads image @p i; @p fresh: without its sha, so that the device starts from offset 0 even
 * if it kept an earlier upload of the same file in RAM.
 */
static void start_upload(struct dfu_smp_upgrade *up, unsigned i, bool fresh)
{
	static const struct dfu_smp_upload_ops ops = { upload_progress, upload_done };
	const struct dfu_smp_upgrade_image *im = img_of(up, i);
	struct dfu_smp_upload_config cfg = up->cfg.upload;
	int err;

	enter_image(up, DFU_SMP_UPGRADE_STEP_UPLOAD, i, fresh ? "again from the start" : NULL);
	up->result.uploaded = true;
	up->result.images[i].uploaded = true;
	cfg.data = im->data;
	cfg.size = im->size;
	cfg.sha = fresh ? NULL : im->sha;
	cfg.image = im->image;
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

/* ---- mark, confirm ---- */

/* The mode marks an image before the reset that boots it (else the bootloader finds it). */
static bool marks(const struct dfu_smp_upgrade *up)
{
	int64_t m = mode(up);

	return !up->recovery && !up->nothing_to_mark && m != DFU_SMP_MGMT_OS_BOOT_DIRECT_XIP &&
	       m != DFU_SMP_MGMT_OS_BOOT_RAM_LOAD && m != DFU_SMP_MGMT_OS_BOOT_SINGLE_SLOT && m != DFU_SMP_MGMT_OS_BOOT_SINGLE_SLOT_RAM_LOAD &&
	       m != DFU_SMP_MGMT_OS_BOOT_FIRMWARE_LOADER;
}

/*
 * The mode reverts an image that runs unconfirmed, so a running image is confirmed; not one
 * that serial recovery wrote in place, which nothing reverts.
 */
static bool confirms(const struct dfu_smp_upgrade *up)
{
	return marks(up) && mode(up) != DFU_SMP_MGMT_OS_BOOT_OVERWRITE_ONLY && !up->result.recovery;
}

/* Marked for good: asked for, or the mode has no test boot. */
static bool permanent_mark(const struct dfu_smp_upgrade *up)
{
	return up->cfg.mode == DFU_SMP_UPGRADE_CONFIRM_NOW || mode(up) == DFU_SMP_MGMT_OS_BOOT_OVERWRITE_ONLY;
}

/* @p again: why it is marked a second time, or NULL. */
static void mark(struct dfu_smp_upgrade *up, unsigned i, const char *again)
{
	bool permanent = permanent_mark(up);
	const struct dfu_smp_upgrade_image *im = img_of(up, i);

	enter_image(up, DFU_SMP_UPGRADE_STEP_MARK, i,
		    again ? again : permanent ? "for good" : "for a test boot");
	dfu_smp_request_init(&up->req, up->buf, up->buf_cap);
	dfu_smp_mgmt_img_state_write(&up->req, im->hash, im->hash_len, permanent);
	send(up);
}

/* The lowest image number the device has: the one its SMP server runs from. */
static uint64_t active_image(const struct dfu_smp_upgrade *up)
{
	for (unsigned k = 0; k < 256; k++) {
		if (has_image(up->listed, k)) {
			return k;
		}
	}
	return 0;
}

/*
 * Confirms the running image @p i: the image the SMP server runs from as "the running image"
 * (no hash), any other by its hash, as the device names no other running image.
 */
static void confirm(struct dfu_smp_upgrade *up, unsigned i)
{
	const struct dfu_smp_upgrade_image *im = img_of(up, i);

	enter_image(up, DFU_SMP_UPGRADE_STEP_CONFIRM, i, NULL);
	up->confirm_sent[i] = true;
	dfu_smp_request_init(&up->req, up->buf, up->buf_cap);
	if (im->image == active_image(up)) {
		dfu_smp_mgmt_img_state_write(&up->req, NULL, 0, true);
	} else {
		dfu_smp_mgmt_img_state_write(&up->req, im->hash, im->hash_len, true);
	}
	send(up);
}

/* ---- the checks before anything is sent ---- */

/* The version image number @p image will run after the reset, or NULL when unknown. */
static const struct dfu_smp_image_version *version_after(const struct dfu_smp_upgrade *up,
							 unsigned image, bool *from_package)
{
	for (unsigned i = 0; i < up->cfg.count; i++) {
		if (img_of(up, i)->image == image && !up->result.images[i].skipped) {
			*from_package = true;
			return &img_of(up, i)->version;
		}
	}
	*from_package = false;
	if (image < DFU_SMP_UPGRADE_DEV_IMAGES && (up->dev_known & (1u << image))) {
		return &up->dev_version[image];
	}
	return NULL;
}

/* The device has one image number only. */
static bool single_image(const struct dfu_smp_upgrade *up)
{
	unsigned n = 0;

	for (unsigned k = 0; k < 256; k++) {
		n += has_image(up->listed, k);
	}
	return n <= 1;
}

/* Every dependency of every image is met by what runs after the reset. @return false if not. */
static bool dependencies_met(struct dfu_smp_upgrade *up)
{
	char label[160], need[32], have[32];

	for (unsigned i = 0; i < up->cfg.count; i++) {
		const struct dfu_smp_upgrade_image *im = img_of(up, i);

		if (up->result.images[i].skipped) {
			continue;
		}
		for (unsigned d = 0; d < im->dep_count; d++) {
			const struct dfu_smp_upgrade_dep *dep = &im->deps[d];
			bool from_package;
			const struct dfu_smp_image_version *v =
				version_after(up, dep->image, &from_package);

			up->cur = i;
			dfu_smp_image_version_smp_str(&dep->min, need, sizeof(need));
			if (!v && !has_image(up->listed, dep->image) && single_image(up)) {
				continue; /* MCUboot checks dependencies only when built for several */
			}
			if (!v) {
				fail(up, -EPERM, DFU_SMP_UPGRADE_FAILED,
				     "%s needs image %u >= %s, and the device has no image %u "
				     "(nor does the package); nothing was sent",
				     image_label(up, i, label, sizeof(label)), dep->image, need,
				     dep->image);
				return false;
			}
			/* MCUboot compares major.minor.revision */
			if (dfu_smp_image_version_cmp(v, &dep->min, false) < 0) {
				dfu_smp_image_version_smp_str(v, have, sizeof(have));
				fail(up, -EPERM, DFU_SMP_UPGRADE_FAILED,
				     "%s needs image %u >= %s, and image %u will run %s after the "
				     "reset (%s): MCUboot would not boot it; nothing was sent",
				     image_label(up, i, label, sizeof(label)), dep->image, need,
				     dep->image, have,
				     from_package ? "the package's" : "the package does not update it");
				return false;
			}
		}
	}
	return true;
}

/*
 * What the bootloader's mode rules out, older versions, and --only-newer.
 * @return false when the upgrade ended.
 */
static bool policy_ok(struct dfu_smp_upgrade *up)
{
	int64_t m = mode(up);
	bool by_version = m == DFU_SMP_MGMT_OS_BOOT_DIRECT_XIP || m == DFU_SMP_MGMT_OS_BOOT_DIRECT_XIP_REVERT ||
			  m == DFU_SMP_MGMT_OS_BOOT_RAM_LOAD;
	char label[160], have[32], want[32];
	unsigned left = 0;

	if (up->cfg.mode == DFU_SMP_UPGRADE_TEST_ONLY &&
	    (m == DFU_SMP_MGMT_OS_BOOT_OVERWRITE_ONLY || m == DFU_SMP_MGMT_OS_BOOT_DIRECT_XIP || m == DFU_SMP_MGMT_OS_BOOT_RAM_LOAD ||
	     m == DFU_SMP_MGMT_OS_BOOT_FIRMWARE_LOADER || m == DFU_SMP_MGMT_OS_BOOT_SINGLE_SLOT || up->recovery ||
	     up->cfg.via_recovery)) {
		fail(up, -EPERM, DFU_SMP_UPGRADE_FAILED,
		     "--test-only needs a bootloader that can go back to the old image, and this "
		     "one (%s%s) cannot: what it boots stays; nothing was sent",
		     up->recovery ? "serial recovery" : dfu_smp_mgmt_os_bootloader_mode_name(m),
		     up->recovery || m == DFU_SMP_MGMT_OS_BOOT_UNKNOWN ? "" : " mode");
		return false;
	}
	if ((m == DFU_SMP_MGMT_OS_BOOT_SINGLE_SLOT || m == DFU_SMP_MGMT_OS_BOOT_SINGLE_SLOT_RAM_LOAD) && !up->cfg.via_recovery &&
	    !up->recovery) {
		fail(up, -EPERM, DFU_SMP_UPGRADE_FAILED,
		     "the device's bootloader has a single application slot (%s mode): the "
		     "application cannot take a new image while it runs; use --via-recovery to "
		     "install it through MCUboot's serial recovery; nothing was sent",
		     dfu_smp_mgmt_os_bootloader_mode_name(m));
		return false;
	}
	for (unsigned i = 0; i < up->cfg.count; i++) {
		const struct dfu_smp_upgrade_image *im = img_of(up, i);
		const struct dfu_smp_upgrade_slots *sl = &up->slots[i];
		const struct dfu_smp_image_version *run =
			im->image < DFU_SMP_UPGRADE_DEV_IMAGES &&
					(up->dev_known & (1u << im->image))
				? &up->dev_version[im->image]
				: NULL;
		int cmp;

		if (sl->ours_active || !run) {
			left++;
			continue; /* it runs already (to be confirmed), or nothing is known to run */
		}
		cmp = dfu_smp_image_version_cmp(&im->version, run, true);
		dfu_smp_image_version_smp_str(run, have, sizeof(have));
		dfu_smp_image_version_smp_str(&im->version, want, sizeof(want));
		if (up->cfg.only_newer && cmp <= 0) {
			up->result.images[i].skipped = true;
			continue;
		}
		left++;
		up->cur = i;
		if (by_version && dfu_smp_image_version_cmp(&im->version, run, false) <= 0) {
			fail(up, -EPERM, DFU_SMP_UPGRADE_FAILED,
			     "%s: the device runs %s and the new image is %s, but its bootloader (%s) "
			     "boots the highest version it holds, so the new image would never run; "
			     "nothing was sent",
			     image_label(up, i, label, sizeof(label)), have, want,
			     dfu_smp_mgmt_os_bootloader_mode_name(m));
			return false;
		}
		if (cmp < 0 && up->result.no_downgrade) {
			fail(up, -EPERM, DFU_SMP_UPGRADE_FAILED,
			     "%s: %s is older than the %s the device runs, and its bootloader refuses "
			     "downgrades (no-downgrade), with or without --allow-downgrade; nothing "
			     "was sent", image_label(up, i, label, sizeof(label)), want, have);
			return false;
		}
		if (cmp < 0 && !up->cfg.allow_downgrade) {
			fail(up, -EPERM, DFU_SMP_UPGRADE_FAILED,
			     "%s: %s is older than the %s the device runs: give --allow-downgrade to "
			     "install it anyway; nothing was sent",
			     image_label(up, i, label, sizeof(label)), want, have);
			return false;
		}
	}
	if (!left) {
		finish(up, 0, DFU_SMP_UPGRADE_UP_TO_DATE);
		return false;
	}
	return dependencies_met(up);
}

/*
 * The device lacks an image number the upgrade names (the images it has are in @p have, a bit
 * each): refused before anything is sent. @return true when it was.
 */
static bool refused_image(struct dfu_smp_upgrade *up, const uint8_t have[32], const char *source)
{
	char list[200] = "", label[160];
	size_t n = 0;

	for (unsigned i = 0; i < up->cfg.count; i++) {
		if (has_image(have, img_of(up, i)->image)) {
			continue;
		}
		for (unsigned k = 0; k < 256 && n + 8 < sizeof(list); k++) {
			if (has_image(have, k)) {
				n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%u",
						      n ? ", " : "", k);
			}
		}
		up->cur = i;
		if (up->cfg.count > 1) {
			fail(up, -ENOENT, DFU_SMP_UPGRADE_FAILED,
			     "the package has %s, and the device has no image %u (%s lists "
			     "image%s %s); nothing was sent",
			     image_label(up, i, label, sizeof(label)),
			     (unsigned)img_of(up, i)->image, source, strchr(list, ',') ? "s" : "",
			     list);
		} else {
			fail(up, -ENOENT, DFU_SMP_UPGRADE_FAILED,
			     "the device has no image %u (%s lists image%s %s): "
			     "give --image with one of them; nothing was sent",
			     (unsigned)img_of(up, i)->image, source, strchr(list, ',') ? "s" : "",
			     list);
		}
		return true;
	}
	return false;
}

/* Slot info: the images the device has, and the room in each target slot. */
static void check_size_answer(struct dfu_smp_upgrade *up, const struct dfu_smp_client_rsp *rsp)
{
	struct dfu_smp_mgmt_img_slot_info info;
	struct dfu_smp_mgmt_reply reply;
	uint8_t have[32] = { 0 };
	bool any = false;
	int64_t room[DFU_SMP_UPGRADE_IMAGES_MAX];
	const char *why[DFU_SMP_UPGRADE_IMAGES_MAX];
	uint64_t erase_ms = 0;

	for (unsigned i = 0; i < up->cfg.count; i++) {
		room[i] = -1;
		why[i] = "";
	}
	if (dfu_smp_mgmt_img_slot_info_decode(rsp, &reply, &info) == 0) {
		for (size_t k = 0; k < info.count; k++) {
			add_image(have, info.images[k].image);
			any = true;
		}
		for (unsigned i = 0; i < up->cfg.count; i++) {
			for (size_t k = 0; k < info.count; k++) {
				const struct dfu_smp_mgmt_img_slot_info_image *im = &info.images[k];

				if (im->image != img_of(up, i)->image) {
					continue;
				}
				for (size_t j = 0; j < im->count; j++) {
					int64_t size = im->slots[j].size;

					if ((int64_t)im->slots[j].slot != up->slots[i].target ||
					    size < 0) {
						continue;
					}
					if (((uint64_t)size + 4095u) / 4096u *
						    DFU_SMP_UPGRADE_ERASE_MS_PER_PAGE > erase_ms) {
						erase_ms = ((uint64_t)size + 4095u) / 4096u *
							   DFU_SMP_UPGRADE_ERASE_MS_PER_PAGE;
					}
					/* the trailer takes the slot's last bytes */
					room[i] = size > DFU_SMP_UPGRADE_TRAILER_MIN
							  ? size - DFU_SMP_UPGRADE_TRAILER_MIN
							  : 0;
					why[i] = ", the slot less MCUboot's trailer";
				}
				if (im->max_image_size >= 0) {
					room[i] = im->max_image_size;
					why[i] = "";
				}
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
	for (unsigned i = 0; i < up->cfg.count; i++) {
		up->slot_size_known[i] = room[i] >= 0;
		if (room[i] >= 0 && img_of(up, i)->size > (uint64_t)room[i]) {
			up->cur = i;
			fail(up, -EFBIG, DFU_SMP_UPGRADE_FAILED,
			     "the image (%zu bytes) is larger than what slot %lld of image %u takes "
			     "(%lld bytes%s); nothing was sent",
			     img_of(up, i)->size, (long long)up->slots[i].target,
			     (unsigned)img_of(up, i)->image, (long long)room[i], why[i]);
			return;
		}
	}
	if (policy_ok(up)) {
		up->checked = true;
		next(up);
	}
}

/* ---- serial recovery ---- */

void dfu_smp_upgrade_size_checked(struct dfu_smp_upgrade *up, int err, size_t max_request)
{
	if (!up->running || up->step != DFU_SMP_UPGRADE_STEP_PROBE_SIZE) {
		return;
	}
	if (err) {
		fail(up, err, DFU_SMP_UPGRADE_FAILED,
		     "the bootloader answers no request of %zu bytes or more: %s",
		     up->result.max_request, strerror(-err));
		return;
	}
	up->result.max_request = max_request;
	up->size_probed = true;
	next(up);
}

/* Serial recovery takes requests no longer than it holds: the owner finds out how long. */
static void probe_size(struct dfu_smp_upgrade *up)
{
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

/* ---- the plan ---- */

static bool all_run(const struct dfu_smp_upgrade *up)
{
	for (unsigned i = 0; i < up->cfg.count; i++) {
		if (!up->result.images[i].skipped && !up->slots[i].ours_active) {
			return false;
		}
	}
	return true;
}

/* Every image runs: confirm what is not confirmed, or end. */
static void after_boot(struct dfu_smp_upgrade *up)
{
	bool already = !up->reset_done && !up->result.uploaded;

	for (unsigned i = 0; i < up->cfg.count; i++) {
		already = already && !up->confirm_sent[i];
	}

	up->ran_new = up->reset_done;
	for (unsigned i = 0; i < up->cfg.count; i++) {
		if (up->result.images[i].skipped || up->slots[i].ours_confirmed ||
		    !confirms(up)) {
			continue;
		}
		if (up->cfg.mode == DFU_SMP_UPGRADE_TEST_ONLY) {
			finish(up, 0, DFU_SMP_UPGRADE_TESTING);
			return;
		}
		if (up->confirm_sent[i]) {
			char label[160];

			up->cur = i;
			fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED, "the device answered the confirm "
			     "request but does not list %s as running and confirmed",
			     up->cfg.count > 1 ? image_label(up, i, label, sizeof(label))
					       : "the new image");
			return;
		}
		confirm(up, i);
		return;
	}
	finish(up, 0, already ? DFU_SMP_UPGRADE_ALREADY_RUNNING : DFU_SMP_UPGRADE_CONFIRMED);
}

/*
 * The device ran the new images after the reset, then was found with one back on the old
 * image and the new one in its slot, unmarked: it lost power (or reset) before the confirm was
 * written, and MCUboot reverted the unconfirmed image. The images were verified and booted, so
 * they are tested once more: marked, reset, confirmed. A second revert is a rollback.
 * @return true if so.
 */
static bool retest(struct dfu_smp_upgrade *up)
{
	if (!up->ran_new || up->retested || up->cfg.mode == DFU_SMP_UPGRADE_TEST_ONLY) {
		return false;
	}
	for (unsigned i = 0; i < up->cfg.count; i++) {
		const struct dfu_smp_upgrade_slots *sl = &up->slots[i];

		if (!up->result.images[i].skipped && !sl->ours_active &&
		    (!sl->ours_target || sl->ours_pending)) {
			return false;
		}
	}
	up->retested = true;
	up->ran_new = false;
	up->reset_done = false;
	up->again = "again: the device reverted the new image before its confirm was written";
	memset(up->confirm_sent, 0, sizeof(up->confirm_sent));
	return true;
}

/* After the reset not every image runs: the device did not reset, or it rolled back. */
static void not_booted(struct dfu_smp_upgrade *up)
{
	char label[160];
	bool confirming = false;

	for (unsigned i = 0; i < up->cfg.count; i++) {
		confirming = confirming || up->confirm_sent[i];
	}

	if (up->recovery) {
		fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED, "after the reset the device is still in "
		     "serial recovery: the bootloader did not boot the image in slot 0");
		return;
	}
	if (retest(up)) {
		next(up);
		return;
	}
	for (unsigned i = 0; i < up->cfg.count; i++) {
		const struct dfu_smp_upgrade_slots *sl = &up->slots[i];
		const char *what = up->cfg.count > 1 ? image_label(up, i, label, sizeof(label))
						     : NULL;
		const char *runs = up->result.images[i].running_version;

		if (up->result.images[i].skipped || sl->ours_active) {
			continue;
		}
		up->cur = i;
		if (sl->ours_target && sl->ours_pending && up->resumed_after_reset &&
		    !up->reset_again) {
			/* the link went with the reset: it may never have reached the device */
			up->reset_again = true;
			up->reset_done = false;
			next(up);
			return;
		}
		if (sl->ours_target && sl->ours_pending) {
			/* MCUboot clears the mark when it boots the image, and again when it reverts */
			fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED,
			     "the device did not reset%s%s%s: it runs version %s with the new image "
			     "still marked for the next boot; nothing was confirmed",
			     what ? ", or its bootloader did not take " : "", what ? what : "",
			     what ? " (an unmet dependency, a refused downgrade)" : "",
			     runs[0] ? runs : "?");
			return;
		}
		if (confirming) {
			/* it reset before the confirm was written (a power loss): MCUboot reverted */
			fail(up, -ECANCELED, DFU_SMP_UPGRADE_ROLLED_BACK,
			     "the device rolled back before the confirm took%s%s: it runs version "
			     "%s, not the new image; the new image was not confirmed",
			     what ? ": " : "", what ? what : "", runs[0] ? runs : "?");
			return;
		}
		fail(up, -ECANCELED, DFU_SMP_UPGRADE_ROLLED_BACK,
		     "the device rolled back%s%s: after the reset it runs version %s%s, not the new "
		     "image; nothing was confirmed",
		     what ? " " : "", what ? what : "", runs[0] ? runs : "?",
		     what ? " there" : "");
		return;
	}
}

/* The first image not running that the plan must upload, or mark; count if none. */
static unsigned first_missing(const struct dfu_smp_upgrade *up, bool marked)
{
	for (unsigned i = 0; i < up->cfg.count; i++) {
		const struct dfu_smp_upgrade_slots *sl = &up->slots[i];

		if (up->result.images[i].skipped || sl->ours_active) {
			continue;
		}
		if (!marked && !sl->ours_target) {
			return i;
		}
		/* a test mark made permanent now is left: the device refuses to mark it again */
		if (marked && (!sl->ours_pending || (!permanent_mark(up) && sl->ours_permanent))) {
			return i;
		}
	}
	return up->cfg.count;
}

/* A mode whose flow enters the bootloader or the firmware loader first: do it once. */
static bool entering(struct dfu_smp_upgrade *up)
{
	bool app = up->slots[0].active >= 0;

	if (up->entered || up->reset_done || up->recovery) {
		return false;
	}
	if (up->cfg.via_recovery) {
		up->entered = true;
		reset(up, false, 1, "into the bootloader's serial recovery");
		return true;
	}
	if (mode(up) == DFU_SMP_MGMT_OS_BOOT_FIRMWARE_LOADER && app) {
		up->entered = true;
		reset(up, false, 1, "into the firmware loader");
		return true;
	}
	return false;
}

/* After a reset into the bootloader or the loader: it must be the one answering now. */
static bool entered_wrong(struct dfu_smp_upgrade *up)
{
	if (!up->entered || up->reset_done) {
		return false;
	}
	if (up->cfg.via_recovery && !up->recovery) {
		fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED,
		     "after a reset with boot_mode 1 the device runs its application, not "
		     "MCUboot's serial recovery: it cannot reset into its bootloader (that takes "
		     "CONFIG_MCUMGR_GRP_OS_RESET_BOOT_MODE and a retention boot mode), or it has "
		     "none over this link; nothing was sent");
		return true;
	}
	if (mode(up) == DFU_SMP_MGMT_OS_BOOT_FIRMWARE_LOADER && up->slots[0].active >= 0) {
		fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED,
		     "after a reset with boot_mode 1 the device runs its application, not its "
		     "firmware loader: it cannot reset into it (that takes "
		     "CONFIG_MCUMGR_GRP_OS_RESET_BOOT_MODE); start the loader another way (a "
		     "button at power-on) and run again; nothing was sent");
		return true;
	}
	if (mode(up) == DFU_SMP_MGMT_OS_BOOT_FIRMWARE_LOADER) {
		up->result.loader = true;
	}
	return false;
}

/* Takes the one step that is left, from what the device reported last. */
static void next(struct dfu_smp_upgrade *up)
{
	unsigned i;

	if (!up->running) {
		return;
	}
	if (entered_wrong(up)) {
		return;
	}
	if (all_run(up) && (up->reset_done || !up->entered)) {
		after_boot(up);
		return;
	}
	if (up->reset_done) {
		not_booted(up);
		return;
	}
	if (!up->checked) {
		/* slot info tells the room for an upload: nothing to ask when none is left */
		if (up->recovery || first_missing(up, false) == up->cfg.count) {
			if (policy_ok(up)) {
				up->checked = true;
				next(up);
			}
			return;
		}
		check_size(up);
		return;
	}
	if (entering(up)) {
		return;
	}
	if (up->recovery && !up->size_probed) {
		probe_size(up);
		return;
	}
	i = first_missing(up, false);
	if (i < up->cfg.count) {
		start_upload(up, i, false);
		return;
	}
	i = first_missing(up, true);
	if (marks(up) && i < up->cfg.count) {
		mark(up, i, up->again);
		return;
	}
	if (up->cfg.no_reset) {
		finish(up, 0, DFU_SMP_UPGRADE_PENDING);
		return;
	}
	reset(up, false, -1, NULL);
}

/* ---- the answers ---- */

/* The upload is done: the device must list the new image where it went. */
static void check_upload(struct dfu_smp_upgrade *up)
{
	unsigned i = up->cur;
	char label[160];

	if (up->slots[i].ours_target || up->slots[i].ours_active) {
		next(up);
		return;
	}
	if (restarted(up, i)) {
		return;
	}
	fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED,
	     up->recovery ? "after the upload the bootloader does not list the new image in slot "
			    "%lld of image %u%s%s"
			  : "after the upload the device does not list the new image in slot %lld "
			    "of image %u%s%s: it may have rejected it; nothing was marked",
	     (long long)up->slots[i].target, (unsigned)img_of(up, i)->image,
	     up->cfg.count > 1 ? ", " : "",
	     up->cfg.count > 1 ? image_label(up, i, label, sizeof(label)) : "");
}

/* The mark's answer lists the state after it: the image must be pending, as asked. */
static void check_mark(struct dfu_smp_upgrade *up)
{
	const struct dfu_smp_upgrade_slots *sl = &up->slots[up->cur];
	bool permanent = permanent_mark(up);

	if (!sl->ours_target || !sl->ours_pending || sl->ours_permanent != permanent) {
		fail(up, -EPROTO, DFU_SMP_UPGRADE_FAILED, "the device answered the %s request but "
		     "does not list the new image as pending%s; the device was not reset",
		     permanent ? "confirm" : "test", permanent ? " and permanent" : "");
		return;
	}
	next(up);
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
			reset(up, true, up->reset_boot_mode, NULL); /* an application hook refused */
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
	if (up->reset_boot_mode < 0) {
		up->reset_done = true;
	}
	enter(up, DFU_SMP_UPGRADE_STEP_RECONNECT, NULL);
	up->ops->reset(up->user);
}

/* Bootloader info: the mode decides the flow; a device that reports none keeps the default. */
static void mode_answer(struct dfu_smp_upgrade *up, int err, const struct dfu_smp_client_rsp *rsp)
{
	struct dfu_smp_mgmt_os_bootloader info;
	struct dfu_smp_mgmt_reply reply;

	if (err) {
		fail(up, err, DFU_SMP_UPGRADE_FAILED, "the boot mode request failed: %s",
		     strerror(-err));
		return;
	}
	if (dfu_smp_mgmt_os_bootloader_decode(rsp, &reply, &info) == 0 && info.has_mode) {
		up->result.boot_mode = info.mode;
		up->result.no_downgrade = info.no_downgrade;
	}
	dfu_smp_mgmt_reply_close(&reply);
	read_state(up, DFU_SMP_UPGRADE_STEP_READ_STATE, NULL);
}

/* A mark answered rc 8: the device has nothing to mark (RAM load, direct-XIP): it boots it. */
static bool mark_unsupported(struct dfu_smp_upgrade *up, const struct dfu_smp_client_rsp *rsp)
{
	struct dfu_smp_mgmt_reply reply;
	bool unsupported = dfu_smp_mgmt_reply_status(rsp, &reply) == -EREMOTEIO &&
			   reply.kind == DFU_SMP_MGMT_REPLY_RC &&
			   reply.rc == DFU_SMP_MGMT_ERR_ENOTSUP;

	dfu_smp_mgmt_reply_close(&reply);
	if (!unsupported || up->cfg.mode == DFU_SMP_UPGRADE_TEST_ONLY) {
		return false;
	}
	up->nothing_to_mark = true;
	next(up);
	return true;
}

/* The device refused to confirm an image other than the one it runs from (IMG err 32). */
static bool confirm_denied(struct dfu_smp_upgrade *up, const struct dfu_smp_mgmt_reply *reply)
{
	char label[160];

	if (up->step != DFU_SMP_UPGRADE_STEP_CONFIRM ||
	    img_of(up, up->cur)->image == active_image(up) ||
	    reply->kind != DFU_SMP_MGMT_REPLY_GROUP_ERR || reply->rc != IMG_ERR_CONFIRMATION_DENIED) {
		return false;
	}
	up->result.reply = *reply;
	fail(up, -EREMOTEIO, DFU_SMP_UPGRADE_FAILED,
	     "%s runs the new image, but the device does not let it be confirmed (it confirms "
	     "only image 0 unless built with CONFIG_MCUMGR_GRP_IMG_ALLOW_CONFIRM_NON_ACTIVE_IMAGE"
	     "_ANY): MCUboot brings its old image back at the next reset unless the application "
	     "confirms it", image_label(up, up->cur, label, sizeof(label)));
	return true;
}

static void on_answer(struct dfu_smp_request *req, int err, const struct dfu_smp_client_rsp *rsp)
{
	struct dfu_smp_upgrade *up = req->user;
	struct dfu_smp_mgmt_img_state st;
	struct dfu_smp_mgmt_reply reply;

	if (!up->running) {
		return;
	}
	switch (up->step) {
	case DFU_SMP_UPGRADE_STEP_RESET:
		after_reset(up, err, rsp);
		return;
	case DFU_SMP_UPGRADE_STEP_BOOT_MODE:
		mode_answer(up, err, rsp);
		return;
	case DFU_SMP_UPGRADE_STEP_CHECK_SIZE:
		if (!err) {
			check_size_answer(up, rsp); /* a device without slot info is fine too */
			return;
		}
		break;
	case DFU_SMP_UPGRADE_STEP_MARK:
		if (!err && mark_unsupported(up, rsp)) {
			return;
		}
		break;
	default:
		break;
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
		if (confirm_denied(up, &reply)) {
			return;
		}
		up->result.reply = reply;
		fail(up, err, DFU_SMP_UPGRADE_FAILED, "the device did not answer the %s request "
		     "with its image list", dfu_smp_upgrade_step_name(up->step));
		return;
	}
	if (up->step == DFU_SMP_UPGRADE_STEP_READ_STATE ||
	    up->step == DFU_SMP_UPGRADE_STEP_CHECK_BOOT) {
		/* serial recovery answers until a reset boots the application */
		up->recovery = dfu_smp_upgrade_is_recovery(&st) &&
			       (!up->reset_done || up->recovery);
		up->result.recovery = up->result.recovery || up->recovery;
	}
	learn(up, &st);
	switch (up->step) {
	case DFU_SMP_UPGRADE_STEP_CHECK_UPLOAD:
		check_upload(up);
		break;
	case DFU_SMP_UPGRADE_STEP_MARK:
		check_mark(up);
		break;
	case DFU_SMP_UPGRADE_STEP_CONFIRM:
		read_state(up, DFU_SMP_UPGRADE_STEP_CHECK_CONFIRM, "the device runs it, confirmed");
		break;
	default:
		next(up);
		break;
	}
	dfu_smp_mgmt_reply_close(&reply);
}

/* ---- the owner's calls ---- */

void dfu_smp_upgrade_reconnected(struct dfu_smp_upgrade *up, int err, const char *why)
{
	if (!up->running || up->step != DFU_SMP_UPGRADE_STEP_RECONNECT) {
		return;
	}
	if (err) {
		fail(up, -EHOSTUNREACH, DFU_SMP_UPGRADE_FAILED,
		     "the device did not come back after its reset (%s); it may still be booting, "
		     "or it failed to boot", why ? why : strerror(-err));
		return;
	}
	read_state(up, DFU_SMP_UPGRADE_STEP_CHECK_BOOT,
		   up->reset_done ? "the device runs the new image"
				  : up->cfg.via_recovery ? "the bootloader answers"
							 : "the firmware loader answers");
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
	/* a confirm lost with the link is sent again; a reset may not have reached the device */
	memset(up->confirm_sent, 0, sizeof(up->confirm_sent));
	up->resumed_after_reset = up->reset_done;
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

/* The images are well formed, one per image number. */
static bool images_ok(const struct dfu_smp_upgrade_config *cfg)
{
	if (!cfg->images || cfg->count == 0 || cfg->count > DFU_SMP_UPGRADE_IMAGES_MAX) {
		return false;
	}
	for (unsigned i = 0; i < cfg->count; i++) {
		const struct dfu_smp_upgrade_image *im = &cfg->images[i];

		if (!im->data || !im->hash || im->hash_len == 0 ||
		    im->hash_len > DFU_SMP_MGMT_IMG_HASH_MAX || im->dep_count > DFU_SMP_UPGRADE_DEPS_MAX) {
			return false;
		}
		for (unsigned k = 0; k < i; k++) {
			if (cfg->images[k].image == im->image) {
				return false;
			}
		}
	}
	return true;
}

int dfu_smp_upgrade_start(struct dfu_smp_upgrade *up, struct dfu_smp_client *client,
			  const struct dfu_smp_upgrade_config *cfg, uint8_t *buf, size_t buf_len,
			  const struct dfu_smp_upgrade_ops *ops, void *user)
{
	if (!up || !client || !cfg || !images_ok(cfg) || !ops || !ops->reset || !ops->done ||
	    !buf || buf_len <= DFU_SMP_UPGRADE_REQUEST_BUF) {
		return -EINVAL;
	}
	memset(up, 0, sizeof(*up));
	up->client = client;
	up->cfg = *cfg;
	memcpy(up->images, cfg->images, cfg->count * sizeof(cfg->images[0]));
	up->cfg.images = up->images;
	up->ops = ops;
	up->user = user;
	up->buf = buf;
	up->buf_cap = DFU_SMP_UPGRADE_REQUEST_BUF;
	up->upload_buf = buf + DFU_SMP_UPGRADE_REQUEST_BUF;
	up->upload_buf_len = buf_len - DFU_SMP_UPGRADE_REQUEST_BUF;
	up->result.boot_mode = DFU_SMP_MGMT_OS_BOOT_UNKNOWN;
	up->result.count = cfg->count;
	for (unsigned i = 0; i < cfg->count; i++) {
		up->result.images[i].image = cfg->images[i].image;
	}
	up->running = true;
	ask_mode(up);
	return 0;
}
