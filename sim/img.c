/* SPDX-License-Identifier: Apache-2.0 */
/* The simulated device's image group (1), as Zephyr's image manager answers it. */
#include "../mgmt/cbor_reader.h"
#include "img.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/img.h>
#include "device.h"

#define DEFAULT_SLOT_SIZE 0x70000u
#define FACTORY_PAYLOAD 0x6000u

/* Image group error codes used here. */
enum {
	IMG_NO_IMAGE = 3,
	IMG_HASH_NOT_FOUND = 8,
	IMG_NO_FREE_SLOT = 9,
	IMG_INVALID_SLOT = 14,
	IMG_INVALID_OFFSET = 20,
	IMG_INVALID_LENGTH = 21,
	IMG_INVALID_IMAGE_HEADER = 22,
	IMG_INVALID_IMAGE_HEADER_MAGIC = 23,
	IMG_INVALID_HASH = 24,
	IMG_CURRENT_VERSION_IS_NEWER = 27,
	IMG_IMAGE_ALREADY_PENDING = 28,
	IMG_INVALID_IMAGE_TOO_LARGE = 30,
	IMG_INVALID_IMAGE_DATA_OVERRUN = 31,
	IMG_IMAGE_CONFIRMATION_DENIED = 32,
	IMG_SETTING_TEST_TO_ACTIVE_DENIED = 33,
};

int sim_img_open(struct sim_img *img, const struct sim_img_config *cfg, const char *state_dir)
{
	char path[PATH_MAX];
	bool fresh;
	int err;

	memset(img, 0, sizeof(*img));
	if (cfg) {
		img->cfg = *cfg;
	}
	if (!img->cfg.flash) {
		img->cfg.flash = &SIM_FLASH_NRF52840;
	}
	if (img->cfg.images == 0) {
		img->cfg.images = 1;
	}
	if (img->cfg.slot_size == 0) {
		img->cfg.slot_size = DEFAULT_SLOT_SIZE;
	}
	if (state_dir) {
		snprintf(path, sizeof(path), "%s/flash.bin", state_dir);
	}
	err = sim_flash_open(&img->flash,
			     sim_boot_flash_size(img->cfg.images, img->cfg.slot_size,
						 img->cfg.flash),
			     img->cfg.flash, state_dir ? path : NULL, &fresh);
	if (err) {
		return err;
	}
	if (fresh) {
		sim_boot_init(&img->boot, &img->flash, img->cfg.images, img->cfg.slot_size,
			      img->cfg.mode, img->cfg.no_downgrade);
		const struct dfu_smp_image_version factory = { 1, 0, 0, 0 };
		size_t cap = FACTORY_PAYLOAD + 0x400;
		uint8_t *buf = malloc(cap);

		if (!buf) {
			sim_img_close(img);
			return -ENOMEM;
		}
		for (unsigned i = 0; i < img->cfg.images; i++) {
			size_t n = sim_image_build(buf, cap, &factory, FACTORY_PAYLOAD, 0x5eed + i);

			sim_flash_write(&img->flash, sim_boot_slot_offset(&img->boot, i, 0), buf,
					n);
			sim_boot_factory_trailer(&img->boot, i);
		}
		free(buf);
	}
	/* the running slots as the flash says, now that it holds the factory images */
	sim_boot_init(&img->boot, &img->flash, img->cfg.images, img->cfg.slot_size, img->cfg.mode,
		      img->cfg.no_downgrade);
	img->bootable = true;
	return 0;
}

void sim_img_close(struct sim_img *img)
{
	sim_flash_close(&img->flash);
}

int sim_img_reboot(struct sim_img *img, struct sim_boot_result *result)
{
	int err;

	enum sim_flash_phase was = sim_flash_set_phase(&img->flash, SIM_FLASH_PHASE_BOOT);

	memset(&img->upload, 0, sizeof(img->upload));
	err = sim_boot_run(&img->boot, result);
	sim_flash_set_phase(&img->flash, was);
	img->bootable = err == 0 && result->bootable;
	return err;
}

int sim_img_upload_slot(const struct sim_img *img, unsigned image)
{
	if (sim_boot_mode_either_slot(img->cfg.mode)) {
		return (int)(img->boot.running[image] ^ 1u);
	}
	if (sim_boot_mode_one_slot(img->cfg.mode)) {
		return img->boot.loader ? 0 : -1;
	}
	return 1;
}

/* Adds flash time to what the device is busy with. */
static void busy(struct sim_req *req, int64_t us)
{
	if (us > 0) {
		req->dev->busy_us += (uint64_t)us;
	}
}

/* ---- state ---- */

void sim_img_write_list(const struct sim_img *img, struct dfu_smp_mgmt_cbor_writer *w, bool flags)
{
	dfu_smp_mgmt_cbor_text(w, "images");
	dfu_smp_mgmt_cbor_array_indef(w);
	for (unsigned image = 0; image < img->cfg.images; image++) {
		struct sim_slot_state slots[2];

		sim_boot_slot_states(&img->boot, image, slots);
		for (unsigned slot = 0; slot < 2; slot++) {
			const struct sim_slot_state *s = &slots[slot];
			char version[48];

			if (!s->present) {
				continue;
			}
			dfu_smp_image_version_smp_str(&s->img.header.version, version,
						      sizeof(version));
			dfu_smp_mgmt_cbor_map_indef(w);
			if (img->cfg.images > 1) {
				dfu_smp_mgmt_cbor_text(w, "image");
				dfu_smp_mgmt_cbor_uint(w, image);
			}
			dfu_smp_mgmt_cbor_text(w, "slot");
			dfu_smp_mgmt_cbor_uint(w, slot);
			dfu_smp_mgmt_cbor_text(w, "version");
			dfu_smp_mgmt_cbor_text(w, version);
			dfu_smp_mgmt_cbor_text(w, "hash");
			dfu_smp_mgmt_cbor_bytes(w, s->img.hash, s->img.hash_len);
			if (flags) {
				dfu_smp_mgmt_cbor_text(w, "bootable");
				dfu_smp_mgmt_cbor_bool(w, s->bootable);
				dfu_smp_mgmt_cbor_text(w, "pending");
				dfu_smp_mgmt_cbor_bool(w, s->pending);
				dfu_smp_mgmt_cbor_text(w, "confirmed");
				dfu_smp_mgmt_cbor_bool(w, s->confirmed);
				dfu_smp_mgmt_cbor_text(w, "active");
				dfu_smp_mgmt_cbor_bool(w, s->active);
				dfu_smp_mgmt_cbor_text(w, "permanent");
				dfu_smp_mgmt_cbor_bool(w, s->permanent);
			}
			dfu_smp_mgmt_cbor_break(w);
		}
	}
	dfu_smp_mgmt_cbor_break(w);
}

static void write_state(struct sim_req *req)
{
	sim_img_write_list(&req->dev->img, req->rsp, true);
	dfu_smp_mgmt_cbor_text(req->rsp, "splitStatus");
	dfu_smp_mgmt_cbor_uint(req->rsp, 0);
}

static int state_read(struct sim_req *req)
{
	write_state(req);
	return 0;
}

/* Finds the slot listing @p hash; returns 0 or an image group error. */
static int find_hash(struct sim_img *img, const uint8_t *hash, size_t len, unsigned *image,
		     unsigned *slot)
{
	bool length_matched = false;

	for (unsigned i = 0; i < img->cfg.images; i++) {
		struct sim_slot_state slots[2];

		sim_boot_slot_states(&img->boot, i, slots);
		for (unsigned s = 0; s < 2; s++) {
			if (!slots[s].present || slots[s].img.hash_len != len) {
				continue;
			}
			length_matched = true;
			if (memcmp(slots[s].img.hash, hash, len) == 0) {
				*image = i;
				*slot = s;
				return 0;
			}
		}
	}
	return SIM_GROUP_ERR(length_matched ? IMG_HASH_NOT_FOUND : IMG_INVALID_HASH);
}

/* The rules of Zephyr's image state write for the running image of @p image. */
static int confirm_running(struct sim_req *req, unsigned image)
{
	struct sim_img *img = &req->dev->img;
	enum sim_swap_type swap = sim_boot_swap_type(&img->boot, image);
	enum sim_flash_phase was;

	if (!sim_boot_mode_either_slot(img->cfg.mode) &&
	    (swap == SIM_SWAP_TEST || swap == SIM_SWAP_PERM)) {
		return SIM_GROUP_ERR(IMG_IMAGE_ALREADY_PENDING);
	}
	was = sim_flash_set_phase(&img->flash, SIM_FLASH_PHASE_CONFIRM);
	busy(req, sim_boot_confirm(&img->boot, image));
	sim_flash_set_phase(&img->flash, was);
	return 0;
}

/* The rules of Zephyr's image state write for the secondary slot of @p image. */
static int mark_secondary(struct sim_req *req, unsigned image, bool permanent)
{
	struct sim_img *img = &req->dev->img;
	enum sim_swap_type swap = sim_boot_swap_type(&img->boot, image);
	enum sim_flash_phase was;

	switch (swap) {
	case SIM_SWAP_TEST:
		/* re-testing the slot already under test changes nothing */
		return permanent ? SIM_GROUP_ERR(IMG_IMAGE_ALREADY_PENDING) : 0;
	case SIM_SWAP_PERM:
		/* confirming the slot already scheduled changes nothing */
		return permanent ? 0 : SIM_GROUP_ERR(IMG_IMAGE_ALREADY_PENDING);
	case SIM_SWAP_REVERT:
		if (!permanent) {
			return SIM_GROUP_ERR(IMG_IMAGE_ALREADY_PENDING);
		}
		break;
	case SIM_SWAP_NONE:
		break;
	}
	if (img->upload.active && img->upload.image == image) {
		return SIM_GROUP_ERR(IMG_NO_IMAGE); /* still being written */
	}
	was = sim_flash_set_phase(&img->flash, SIM_FLASH_PHASE_MARK);
	busy(req, sim_boot_set_pending(&img->boot, image, permanent));
	sim_flash_set_phase(&img->flash, was);
	return 0;
}

/* Request key @p name, or NULL; a malformed request sets *rc (when it is still 0). */
static const cbor_item_t *key(const struct sim_req *req, const char *name, int *rc)
{
	const cbor_item_t *item;
	int err = sim_req_item(req, name, &item);

	if (err && !*rc) {
		*rc = err;
	}
	return item;
}

/* Counts a state write that was done, for the fault tests' checks (sim_device_stats()). */
static void note_state_write(struct sim_device *dev, unsigned image, unsigned slot, bool confirm,
			     bool permanent)
{
	struct sim_slot_state st[2];

	sim_boot_slot_states(&dev->img.boot, image, st);
	memcpy(dev->stats.state_hash, st[slot].img.hash, sizeof(dev->stats.state_hash));
	dev->stats.state_image = image;
	dev->stats.state_slot = slot;
	if (confirm) {
		dev->stats.confirms++;
	} else {
		dev->stats.marks++;
		dev->stats.permanent_marks += permanent;
	}
}

/* Direct-XIP with revert: a test or permanent mark of the other slot, or a confirm. */
static int xip_state_write(struct sim_req *req, unsigned image, unsigned slot, bool permanent,
			   bool *confirm)
{
	struct sim_img *img = &req->dev->img;
	enum sim_flash_phase was;

	*confirm = slot == img->boot.running[image];
	if (*confirm) {
		return permanent ? confirm_running(req, image)
				 : SIM_GROUP_ERR(IMG_SETTING_TEST_TO_ACTIVE_DENIED);
	}
	if (img->upload.active && img->upload.image == image) {
		return SIM_GROUP_ERR(IMG_NO_IMAGE); /* still being written */
	}
	was = sim_flash_set_phase(&img->flash, SIM_FLASH_PHASE_MARK);
	busy(req, sim_boot_xip_mark(&img->boot, image, slot, permanent));
	sim_flash_set_phase(&img->flash, was);
	return 0;
}

static int state_write(struct sim_req *req)
{
	struct sim_img *img = &req->dev->img;
	enum sim_boot_mode mode = img->cfg.mode;
	bool xip = mode == SIM_BOOT_DIRECT_XIP_REVERT;
	int bad = 0;
	const cbor_item_t *hash = key(req, "hash", &bad);
	const cbor_item_t *confirm = key(req, "confirm", &bad);
	bool permanent = false, confirms;
	unsigned image = 0, slot = xip ? img->boot.running[0] : 0;
	int rc;

	if (sim_boot_mode_one_slot(mode) || (sim_boot_mode_either_slot(mode) && !xip)) {
		return DFU_SMP_MGMT_ERR_ENOTSUP; /* no test or confirm in this mode */
	}
	if (bad || (hash && !cbor_isa_bytestring(hash)) ||
	    (confirm && !dfu_smp_mgmt_cbor_is_bool(confirm))) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	if (confirm) {
		permanent = cbor_get_bool(confirm);
	}
	if (hash) {
		size_t len = dfu_smp_mgmt_cbor_string_size(hash);
		uint8_t value[64];

		if (len > sizeof(value)) {
			return SIM_GROUP_ERR(IMG_INVALID_HASH);
		}
		dfu_smp_mgmt_cbor_string_copy(hash, value);
		rc = find_hash(img, value, len, &image, &slot);
		if (rc) {
			return rc;
		}
	} else if (!permanent) {
		return SIM_GROUP_ERR(IMG_INVALID_HASH); /* a test needs a hash */
	}
	/* img_mgmt_set_next_boot_slot(): confirming a slot of an image that is not the SMP
	 * server's own, as the Kconfig allows */
	if (permanent && image > 0 &&
	    (img->cfg.confirm_other == SIM_CONFIRM_OTHER_NONE ||
	     (img->cfg.confirm_other == SIM_CONFIRM_OTHER_SECONDARY && slot == 0))) {
		return SIM_GROUP_ERR(IMG_IMAGE_CONFIRMATION_DENIED);
	}
	if (xip) {
		rc = xip_state_write(req, image, slot, permanent, &confirms);
	} else if (slot == 0) {
		confirms = true;
		rc = permanent ? confirm_running(req, image)
			       : SIM_GROUP_ERR(IMG_SETTING_TEST_TO_ACTIVE_DENIED);
	} else {
		confirms = false;
		rc = mark_secondary(req, image, permanent);
	}
	if (rc) {
		return rc;
	}
	note_state_write(req->dev, image, slot, confirms, permanent);
	write_state(req);
	return 0;
}

/* ---- upload ---- */

/* Where the upload slot of @p image starts in the flash (its primary if it has none). */
static size_t upload_offset(const struct sim_img *img, unsigned image)
{
	int target = sim_img_upload_slot(img, image);

	return sim_boot_slot_offset(&img->boot, image, target < 0 ? 0 : (unsigned)target);
}

static bool sha256_of_slot(const struct sim_img *img, unsigned image, uint64_t len,
			   uint8_t out[32])
{
	const uint8_t *slot = sim_flash_data(&img->flash) + upload_offset(img, image);
	unsigned int n;

	return sim_img_upload_slot(img, image) >= 0 && len <= img->cfg.slot_size &&
	       EVP_Digest(slot, (size_t)len, out, &n, EVP_sha256(), NULL) && n == 32;
}

/* The older MCUmgr library decodes an upload's data into a buffer of this size. */
#define LEGACY_DATA_MAX 512u

/* Reads the first request's keys and starts (or resumes) an upload; 0 or an error code. */
static int upload_start(struct sim_req *req, const uint8_t *data, size_t data_len)
{
	struct sim_img *img = &req->dev->img;
	struct sim_img_upload *up = &img->upload;
	enum sim_flash_phase was;
	int bad = 0;
	const cbor_item_t *len_item = key(req, "len", &bad);
	const cbor_item_t *image_item = key(req, "image", &bad);
	const cbor_item_t *sha_item = key(req, "sha", &bad);
	const cbor_item_t *upgrade_item = key(req, "upgrade", &bad);
	uint64_t len, image = 0;
	uint8_t sha[32], have[32];
	size_t sha_len = 0;
	struct sim_image hdr;
	struct sim_slot_state slots[2];
	size_t slot_off;
	int target;

	if (bad) {
		return bad;
	}
	if (!len_item) {
		return SIM_GROUP_ERR(IMG_INVALID_LENGTH);
	}
	if (dfu_smp_mgmt_cbor_get_uint(len_item, &len) != 0 ||
	    (image_item && dfu_smp_mgmt_cbor_get_uint(image_item, &image) != 0) ||
	    (sha_item && !cbor_isa_bytestring(sha_item)) ||
	    (upgrade_item && !dfu_smp_mgmt_cbor_is_bool(upgrade_item)) ||
	    image >= img->cfg.images) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	if (sha_item) {
		sha_len = dfu_smp_mgmt_cbor_string_size(sha_item);
		if (sha_len > sizeof(sha)) {
			return SIM_GROUP_ERR(IMG_INVALID_HASH);
		}
		dfu_smp_mgmt_cbor_string_copy(sha_item, sha);
	}
	/* the same upload again: carry on where it stands */
	if (up->active && up->image == image && up->len == len && sha_len &&
	    up->sha_len == sha_len && memcmp(up->sha, sha, sha_len) == 0) {
		return 0;
	}
	if (data_len < 32) {
		return SIM_GROUP_ERR(IMG_INVALID_IMAGE_HEADER);
	}
	if (sim_image_parse(data, data_len, &hdr) == -ENOENT) {
		return SIM_GROUP_ERR(IMG_INVALID_IMAGE_HEADER_MAGIC);
	}
	if (len > sim_boot_max_image_size(&img->boot) && !req->dev->cfg.legacy_mcumgr) {
		return SIM_GROUP_ERR(IMG_INVALID_IMAGE_TOO_LARGE);
	}
	target = sim_img_upload_slot(img, (unsigned)image);
	sim_boot_slot_states(&img->boot, (unsigned)image, slots);
	if (target < 0 ||
	    (!sim_boot_mode_either_slot(img->cfg.mode) && !sim_boot_mode_one_slot(img->cfg.mode) &&
	     sim_boot_swap_type(&img->boot, (unsigned)image) != SIM_SWAP_NONE) ||
	    (img->cfg.mode == SIM_BOOT_DIRECT_XIP_REVERT &&
	     (slots[target].pending || slots[target].confirmed))) {
		/* the running application's own slot, or one marked for the next boot or a
		 * revert */
		return SIM_GROUP_ERR(IMG_NO_FREE_SLOT);
	}
	if (upgrade_item && cbor_get_bool(upgrade_item) && slots[target ^ 1].present &&
	    slots[target ^ 1].active &&
	    dfu_smp_image_version_cmp(&hdr.header.version, &slots[target ^ 1].img.header.version, false) <=
		    0) {
		return SIM_GROUP_ERR(IMG_CURRENT_VERSION_IS_NEWER);
	}
	memset(up, 0, sizeof(*up));
	up->image = (unsigned)image;
	up->len = len;
	up->sha_len = sha_len;
	memcpy(up->sha, sha, sha_len);
	/* the slot already holds exactly this image: nothing to send */
	if (sha_len == 32 && sha256_of_slot(img, up->image, len, have) &&
	    memcmp(have, sha, 32) == 0) {
		up->off = len;
		return 0;
	}
	up->active = true;
	slot_off = sim_boot_slot_offset(&img->boot, up->image, (unsigned)target);
	was = sim_flash_set_phase(&img->flash, SIM_FLASH_PHASE_UPLOAD);
	/* the trailer goes first: a stale one must not make the new image look pending */
	busy(req, sim_flash_erase(&img->flash, slot_off + img->cfg.slot_size - 1, 1));
	if (!img->cfg.progressive_erase) {
		size_t n = len < img->cfg.slot_size ? (size_t)len : img->cfg.slot_size;

		busy(req, sim_flash_erase(&img->flash, slot_off, n));
		up->erased_to = n;
	}
	sim_flash_set_phase(&img->flash, was);
	return 0;
}

/* Writes a chunk at the upload's offset, erasing ahead of it when erasing progressively. */
static void upload_write(struct sim_req *req, const uint8_t *data, size_t len)
{
	struct sim_img *img = &req->dev->img;
	struct sim_img_upload *up = &img->upload;
	size_t slot_off = upload_offset(img, up->image);
	size_t end = (size_t)up->off + len;
	enum sim_flash_phase was = sim_flash_set_phase(&img->flash, SIM_FLASH_PHASE_UPLOAD);

	if (end > up->erased_to) {
		size_t page = img->flash.timing.page_size;
		size_t to = (end + page - 1) / page * page;

		busy(req,
		     sim_flash_erase(&img->flash, slot_off + up->erased_to, to - up->erased_to));
		up->erased_to = to;
	}
	busy(req, sim_flash_write(&img->flash, slot_off + (size_t)up->off, data, len));
	sim_flash_set_phase(&img->flash, was);
	up->off += len;
}

static int upload(struct sim_req *req)
{
	struct sim_img *img = &req->dev->img;
	struct sim_img_upload *up = &img->upload;
	int bad = 0;
	const cbor_item_t *off_item = key(req, "off", &bad);
	const cbor_item_t *data_item = key(req, "data", &bad);
	bool finished = false;
	uint8_t *data = NULL;
	size_t data_len;
	uint64_t off;
	int rc = 0;

	if (bad) {
		return bad;
	}
	if (!off_item) {
		return SIM_GROUP_ERR(IMG_INVALID_OFFSET);
	}
	if (dfu_smp_mgmt_cbor_get_uint(off_item, &off) != 0 || !data_item ||
	    !cbor_isa_bytestring(data_item)) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	data_len = dfu_smp_mgmt_cbor_string_size(data_item);
	data = malloc(data_len ? data_len : 1);
	if (!data) {
		return DFU_SMP_MGMT_ERR_ENOMEM;
	}
	dfu_smp_mgmt_cbor_string_copy(data_item, data);
	if (req->dev->cfg.legacy_mcumgr && data_len > LEGACY_DATA_MAX) {
		free(data);
		return DFU_SMP_MGMT_ERR_EINVAL; /* its fixed buffer for `data` */
	}
	if (off == 0) {
		rc = upload_start(req, data, data_len);
	}
	if (rc == 0 && up->active && off == up->off) {
		if (off + data_len > up->len) {
			rc = SIM_GROUP_ERR(IMG_INVALID_IMAGE_DATA_OVERRUN);
		} else if (off + data_len > img->cfg.slot_size) {
			rc = DFU_SMP_MGMT_ERR_EUNKNOWN; /* the flash write past the slot fails */
		} else {
			upload_write(req, data, data_len);
			finished = up->off == up->len;
		}
	}
	free(data);
	if (rc) {
		return rc;
	}
	/* a chunk at another offset is dropped; the answer says where to go on */
	dfu_smp_mgmt_cbor_text(req->rsp, "off");
	dfu_smp_mgmt_cbor_uint(req->rsp, up->off);
	if ((finished || (!up->active && up->len && up->off == up->len)) && up->sha_len == 32) {
		uint8_t have[32];

		dfu_smp_mgmt_cbor_text(req->rsp, "match");
		dfu_smp_mgmt_cbor_bool(req->rsp, sha256_of_slot(img, up->image, up->len, have) &&
						 memcmp(have, up->sha, 32) == 0);
	}
	if (finished) {
		up->active = false;
	}
	return 0;
}

/* ---- erase and slot info ---- */

static int erase(struct sim_req *req)
{
	struct sim_img *img = &req->dev->img;
	enum sim_flash_phase was;
	int bad = 0;
	const cbor_item_t *slot_item = key(req, "slot", &bad);
	int target = sim_img_upload_slot(img, 0);
	uint64_t slot = target < 0 ? 0 : (uint64_t)target;
	unsigned image;
	bool in_use;

	if (bad || (slot_item && dfu_smp_mgmt_cbor_get_uint(slot_item, &slot) != 0)) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	if (slot >= 2u * img->cfg.images) {
		return SIM_GROUP_ERR(IMG_INVALID_SLOT);
	}
	/* slot numbers count across images: image i has slots 2i and 2i + 1 */
	image = (unsigned)(slot / 2);
	target = sim_img_upload_slot(img, image);
	if (sim_boot_mode_either_slot(img->cfg.mode)) {
		in_use = slot % 2 != (unsigned)target;
	} else if (sim_boot_mode_one_slot(img->cfg.mode)) {
		in_use = target < 0 || slot % 2 != 0;
	} else {
		in_use = slot % 2 == 0 || sim_boot_swap_type(&img->boot, image) != SIM_SWAP_NONE;
	}
	if (in_use) {
		return SIM_GROUP_ERR(IMG_NO_FREE_SLOT);
	}
	was = sim_flash_set_phase(&img->flash, SIM_FLASH_PHASE_ERASE);
	busy(req, sim_flash_erase(&img->flash, sim_boot_slot_offset(&img->boot, 0, 0) +
						      (size_t)slot * img->cfg.slot_size,
				  img->cfg.slot_size));
	sim_flash_set_phase(&img->flash, was);
	if (!req->dev->cfg.legacy_mcumgr) {
		memset(&img->upload, 0, sizeof(img->upload));
	}
	return 0;
}

static int slot_info(struct sim_req *req)
{
	struct sim_img *img = &req->dev->img;
	struct dfu_smp_mgmt_cbor_writer *w = req->rsp;
	unsigned slots = sim_boot_mode_one_slot(img->cfg.mode) ? 1 : 2;

	if (req->dev->cfg.legacy_mcumgr) {
		return DFU_SMP_MGMT_ERR_ENOTSUP;
	}
	dfu_smp_mgmt_cbor_text(w, "images");
	dfu_smp_mgmt_cbor_array_indef(w);
	for (unsigned image = 0; image < img->cfg.images; image++) {
		int target = sim_img_upload_slot(img, image);

		dfu_smp_mgmt_cbor_map_indef(w);
		dfu_smp_mgmt_cbor_text(w, "image");
		dfu_smp_mgmt_cbor_uint(w, image);
		dfu_smp_mgmt_cbor_text(w, "slots");
		dfu_smp_mgmt_cbor_array_indef(w);
		for (unsigned slot = 0; slot < slots; slot++) {
			dfu_smp_mgmt_cbor_map_indef(w);
			dfu_smp_mgmt_cbor_text(w, "slot");
			dfu_smp_mgmt_cbor_uint(w, slot);
			dfu_smp_mgmt_cbor_text(w, "size");
			dfu_smp_mgmt_cbor_uint(w, img->cfg.slot_size);
			if (target >= 0 && slot == (unsigned)target) {
				dfu_smp_mgmt_cbor_text(w, "upload_image_id");
				dfu_smp_mgmt_cbor_uint(w, image);
			}
			dfu_smp_mgmt_cbor_break(w);
		}
		dfu_smp_mgmt_cbor_break(w);
		/* no max_image_size: Zephyr sends it only with its "too large" options */
		dfu_smp_mgmt_cbor_break(w);
	}
	dfu_smp_mgmt_cbor_break(w);
	return 0;
}

/* Zephyr's version 1 folding of image group errors. */
static int fold_v1(int rc)
{
	switch (rc) {
	case 3:  /* NO_IMAGE */
	case 4:  /* NO_TLVS */
		return DFU_SMP_MGMT_ERR_ENOENT;
	case 9:  /* NO_FREE_SLOT */
	case 27: /* CURRENT_VERSION_IS_NEWER */
	case 28: /* IMAGE_ALREADY_PENDING */
		return DFU_SMP_MGMT_ERR_EBADSTATE;
	case 15: /* NO_FREE_MEMORY */
		return DFU_SMP_MGMT_ERR_ENOMEM;
	case 14: /* INVALID_SLOT */
	case 19: /* INVALID_PAGE_OFFSET */
	case 20: /* INVALID_OFFSET */
	case 21: /* INVALID_LENGTH */
	case 22: /* INVALID_IMAGE_HEADER */
	case 24: /* INVALID_HASH */
	case 25: /* INVALID_FLASH_ADDRESS */
		return DFU_SMP_MGMT_ERR_EINVAL;
	default:
		return DFU_SMP_MGMT_ERR_EUNKNOWN;
	}
}

static const struct sim_handler handlers[] = {
	{ DFU_SMP_MGMT_IMG_STATE, state_read, state_write },
	{ DFU_SMP_MGMT_IMG_UPLOAD, NULL, upload },
	{ DFU_SMP_MGMT_IMG_ERASE, NULL, erase },
	{ DFU_SMP_MGMT_IMG_SLOT_INFO, slot_info, NULL },
};

const struct sim_group sim_group_img = {
	.id = DFU_SMP_MGMT_GROUP_IMAGE,
	.name = "img mgmt",
	.handlers = handlers,
	.count = sizeof(handlers) / sizeof(handlers[0]),
	.fold_v1 = fold_v1,
};
