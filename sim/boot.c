/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This bootloader reads images with code of its own, not with the client's parser
 * (dfu/image.c), on purpose: it stands for MCUboot, another program on another machine, so that
 * every test through the simulated device holds the client's reading of an image against a
 * second one; with one parser for both, a misreading would be agreed with by construction.
 * Its reading is checked on its own against imgtool's images (tests/test_sim_image.c). It is
 * also only what MCUboot looks at when it boots (the header, the TLV areas, the one hash TLV),
 * on a slot or on the first chunk of an upload, where dfu_smp_image_parse() wants a whole file and
 * says much more. What the two share is what is not a reading: the format's numbers and the
 * header's fixed layout (dfu-smp/dfu/image.h: dfu_smp_image_header_read()) and little-endian access
 * (dfu-smp/smp/bytes.h); every check of what the fields say is this file's own.
 */
#include "boot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <dfu-smp/dfu/image.h>
#include <dfu-smp/smp/bytes.h>

/* Trailer layout with an 8-byte write alignment, from the end of the slot. */
#define TRAILER_MAGIC_OFF 16u
#define TRAILER_IMAGE_OK_OFF 24u
#define TRAILER_COPY_DONE_OFF 32u
#define TRAILER_SWAP_INFO_OFF 40u
#define FLAG_SET 0x01u
#define UNSET 0xffu

static const uint8_t trailer_magic[DFU_SMP_IMAGE_BOOT_MAGIC_SIZE] = DFU_SMP_IMAGE_BOOT_MAGIC;

/* Reads one TLV area header at @p off; returns its end, or 0 if it does not fit. */
static size_t tlv_area(const uint8_t *slot, size_t size, size_t off, uint16_t magic)
{
	size_t tot;

	if (off > size || size - off < 4 || dfu_smp_get_le16(slot + off) != magic) {
		return 0;
	}
	tot = dfu_smp_get_le16(slot + off + 2);
	if (tot < 4 || tot > size - off) {
		return 0;
	}
	return off + tot;
}

/* The dependency TLVs among the protected ones in [@p off, @p end). */
static void read_deps(const uint8_t *slot, size_t off, size_t end, struct sim_image *img)
{
	while (off + 4 <= end) {
		uint16_t type = dfu_smp_get_le16(slot + off);
		uint16_t len = dfu_smp_get_le16(slot + off + 2);
		const uint8_t *v = slot + off + 4;

		if (len > end - off - 4) {
			return;
		}
		if (type == DFU_SMP_IMAGE_TLV_DEPENDENCY && len == 12 &&
		    img->dep_count < SIM_IMAGE_DEPS_MAX) {
			struct sim_image_dep *d = &img->deps[img->dep_count++];

			d->image = v[0];
			d->min.major = v[4];
			d->min.minor = v[5];
			d->min.revision = dfu_smp_get_le16(v + 6);
			d->min.build = dfu_smp_get_le32(v + 8);
		}
		off += 4u + len;
	}
}

int sim_image_parse(const uint8_t *slot, size_t size, struct sim_image *img)
{
	size_t off, end;
	int hashes = 0;

	memset(img, 0, sizeof(*img));
	if (size < DFU_SMP_IMAGE_HEADER_SIZE || dfu_smp_get_le32(slot) != DFU_SMP_IMAGE_MAGIC) {
		return -ENOENT;
	}
	dfu_smp_image_header_read(slot, &img->header);
	if (img->header.hdr_size < DFU_SMP_IMAGE_HEADER_SIZE ||
	    (uint64_t)img->header.hdr_size + img->header.img_size > size) {
		return -EBADMSG;
	}
	off = (size_t)img->header.hdr_size + img->header.img_size;
	if (img->header.protect_tlv_size) {
		end = tlv_area(slot, size, off, DFU_SMP_IMAGE_TLV_PROT_INFO_MAGIC);
		if (!end || end - off != img->header.protect_tlv_size) {
			return -EBADMSG;
		}
		read_deps(slot, off + 4, end, img);
		off = end;
	}
	img->hashed_len = off;
	end = tlv_area(slot, size, off, DFU_SMP_IMAGE_TLV_INFO_MAGIC);
	if (!end) {
		return -EBADMSG;
	}
	img->end = end;
	for (off += 4; off + 4 <= end;) {
		uint16_t type = dfu_smp_get_le16(slot + off);
		uint16_t len = dfu_smp_get_le16(slot + off + 2);

		if (type == 0xffffu || len > end - off - 4) {
			return -EBADMSG;
		}
		if ((type == DFU_SMP_IMAGE_TLV_SHA256 && len == 32) ||
		    (type == DFU_SMP_IMAGE_TLV_SHA384 && len == 48) ||
		    (type == DFU_SMP_IMAGE_TLV_SHA512 && len == 64)) {
			memcpy(img->hash, slot + off + 4, len);
			img->hash_len = len;
			hashes++;
		}
		off += 4u + len;
	}
	return hashes == 1 ? 0 : -EBADMSG;
}

static const EVP_MD *digest_for(size_t hash_len)
{
	switch (hash_len) {
	case 32:
		return EVP_sha256();
	case 48:
		return EVP_sha384();
	case 64:
		return EVP_sha512();
	default:
		return NULL;
	}
}

bool sim_image_hash_ok(const uint8_t *slot, const struct sim_image *img)
{
	const EVP_MD *md = digest_for(img->hash_len);
	uint8_t out[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!md || !EVP_Digest(slot, img->hashed_len, out, &n, md, NULL)) {
		return false;
	}
	return n == img->hash_len && memcmp(out, img->hash, n) == 0;
}

size_t sim_image_build(uint8_t *out, size_t cap, const struct dfu_smp_image_version *version,
		       size_t payload_len, uint32_t seed)
{
	const size_t hdr = 0x200;
	size_t hashed = hdr + payload_len;
	size_t total = hashed + 4 + 4 + 32;
	uint32_t x = seed ? seed : 1;
	unsigned int n;

	if (total > cap || payload_len > UINT32_MAX) {
		return 0;
	}
	memset(out, 0xff, hdr);
	memset(out, 0, DFU_SMP_IMAGE_HEADER_SIZE);
	dfu_smp_put_le32(out, DFU_SMP_IMAGE_MAGIC);
	dfu_smp_put_le16(out + 8, (uint16_t)hdr);
	dfu_smp_put_le32(out + 12, (uint32_t)payload_len);
	out[20] = version->major;
	out[21] = version->minor;
	dfu_smp_put_le16(out + 22, version->revision);
	dfu_smp_put_le32(out + 24, version->build);
	for (size_t i = 0; i < payload_len; i++) {
		/* xorshift32: deterministic filler standing for firmware */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		out[hdr + i] = (uint8_t)x;
	}
	dfu_smp_put_le16(out + hashed, DFU_SMP_IMAGE_TLV_INFO_MAGIC);
	dfu_smp_put_le16(out + hashed + 2, 4 + 4 + 32);
	dfu_smp_put_le16(out + hashed + 4, DFU_SMP_IMAGE_TLV_SHA256);
	dfu_smp_put_le16(out + hashed + 6, 32);
	EVP_Digest(out, hashed, out + hashed + 8, &n, EVP_sha256(), NULL);
	return total;
}

/* ---- slots and trailers ---- */

/* ---- modes ---- */

static const struct {
	const char *name;
	int number;
} modes[SIM_BOOT_MODE_COUNT] = {
	[SIM_BOOT_SWAP_MOVE] = { "swap-move", 3 },
	[SIM_BOOT_SWAP_SCRATCH] = { "swap-scratch", 1 },
	[SIM_BOOT_SWAP_OFFSET] = { "swap-offset", 9 },
	[SIM_BOOT_OVERWRITE_ONLY] = { "overwrite-only", 2 },
	[SIM_BOOT_DIRECT_XIP] = { "direct-xip", 4 },
	[SIM_BOOT_DIRECT_XIP_REVERT] = { "direct-xip-revert", 5 },
	[SIM_BOOT_RAM_LOAD] = { "ram-load", 6 },
	[SIM_BOOT_FIRMWARE_LOADER] = { "firmware-loader", 7 },
	[SIM_BOOT_SINGLE_SLOT] = { "single-slot", 0 },
};

const char *sim_boot_mode_name(enum sim_boot_mode mode)
{
	return (unsigned)mode < SIM_BOOT_MODE_COUNT ? modes[mode].name : NULL;
}

int sim_boot_mode_number(enum sim_boot_mode mode)
{
	return (unsigned)mode < SIM_BOOT_MODE_COUNT ? modes[mode].number : -1;
}

int sim_boot_mode_find(const char *name, enum sim_boot_mode *mode)
{
	for (unsigned m = 0; m < SIM_BOOT_MODE_COUNT; m++) {
		if (strcmp(name, modes[m].name) == 0) {
			*mode = (enum sim_boot_mode)m;
			return 0;
		}
	}
	return -ENOENT;
}

bool sim_boot_mode_swaps(enum sim_boot_mode mode)
{
	return mode == SIM_BOOT_SWAP_MOVE || mode == SIM_BOOT_SWAP_SCRATCH ||
	       mode == SIM_BOOT_SWAP_OFFSET;
}

bool sim_boot_mode_either_slot(enum sim_boot_mode mode)
{
	return mode == SIM_BOOT_DIRECT_XIP || mode == SIM_BOOT_DIRECT_XIP_REVERT ||
	       mode == SIM_BOOT_RAM_LOAD;
}

bool sim_boot_mode_one_slot(enum sim_boot_mode mode)
{
	return mode == SIM_BOOT_SINGLE_SLOT || mode == SIM_BOOT_FIRMWARE_LOADER;
}

static unsigned xip_choose(const struct sim_boot *boot, unsigned image, unsigned excluded);

void sim_boot_init(struct sim_boot *boot, struct sim_flash *flash, unsigned images,
		   size_t slot_size, enum sim_boot_mode mode, bool no_downgrade)
{
	memset(boot, 0, sizeof(*boot));
	boot->flash = flash;
	boot->images = images < SIM_BOOT_IMAGES_MAX ? images : SIM_BOOT_IMAGES_MAX;
	boot->slot_size = slot_size;
	boot->mode = mode;
	boot->no_downgrade = no_downgrade;
	for (unsigned i = 0; i < boot->images && sim_boot_mode_either_slot(mode); i++) {
		unsigned slot = xip_choose(boot, i, 0);

		boot->running[i] = slot < 2 ? slot : 0;
	}
}

size_t sim_boot_slot_offset(const struct sim_boot *boot, unsigned image, unsigned slot)
{
	return (2u * image + slot) * boot->slot_size;
}

size_t sim_boot_max_image_size(const struct sim_boot *boot)
{
	return boot->slot_size - boot->flash->timing.page_size;
}

static const uint8_t *slot_data(const struct sim_boot *boot, unsigned image, unsigned slot)
{
	return sim_flash_data(boot->flash) + sim_boot_slot_offset(boot, image, slot);
}

struct trailer {
	bool magic_good;
	uint8_t image_ok;
	uint8_t copy_done;
};

static struct trailer read_trailer(const struct sim_boot *boot, unsigned image, unsigned slot)
{
	const uint8_t *end = slot_data(boot, image, slot) + boot->slot_size;
	struct trailer t = {
		.magic_good =
			memcmp(end - TRAILER_MAGIC_OFF, trailer_magic, sizeof(trailer_magic)) == 0,
		.image_ok = *(end - TRAILER_IMAGE_OK_OFF),
		.copy_done = *(end - TRAILER_COPY_DONE_OFF),
	};

	return t;
}

/* Writes one trailer byte, @p from_end bytes before the end of the slot. */
static int64_t write_trailer(struct sim_boot *boot, unsigned image, unsigned slot,
			     size_t from_end, const uint8_t *data, size_t len)
{
	size_t off = sim_boot_slot_offset(boot, image, slot) + boot->slot_size - from_end;

	return sim_flash_write(boot->flash, off, data, len);
}

int64_t sim_boot_factory_trailer(struct sim_boot *boot, unsigned image)
{
	const uint8_t ok = FLAG_SET;
	int64_t t;

	if (boot->mode != SIM_BOOT_DIRECT_XIP_REVERT) {
		return 0;
	}
	t = write_trailer(boot, image, 0, TRAILER_IMAGE_OK_OFF, &ok, 1);
	if (t < 0) {
		return t;
	}
	return t + write_trailer(boot, image, 0, TRAILER_MAGIC_OFF, trailer_magic,
				 sizeof(trailer_magic));
}

/* @p slot of @p image holds an image whose hash checks. */
static bool slot_valid(const struct sim_boot *boot, unsigned image, unsigned slot,
		       struct sim_image *img)
{
	const uint8_t *data = slot_data(boot, image, slot);

	return sim_image_parse(data, boot->slot_size, img) == 0 && sim_image_hash_ok(data, img);
}

bool sim_boot_xip_candidate(const struct sim_boot *boot, unsigned image, unsigned slot)
{
	return read_trailer(boot, image, slot).magic_good;
}

/*
 * The slot the either-slot modes boot for @p image, of those not in the bit mask
 * @p excluded: a valid image (with revert: whose magic is good) of the highest version, the
 * lower slot on a tie. @return the slot, or 2 if there is none.
 */
static unsigned xip_choose(const struct sim_boot *boot, unsigned image, unsigned excluded)
{
	struct sim_image best = { 0 }, img;
	unsigned chosen = 2;

	for (unsigned slot = 0; slot < 2; slot++) {
		if ((excluded & (1u << slot)) || !slot_valid(boot, image, slot, &img) ||
		    (boot->mode == SIM_BOOT_DIRECT_XIP_REVERT &&
		     !sim_boot_xip_candidate(boot, image, slot))) {
			continue;
		}
		if (chosen == 2 ||
		    dfu_smp_image_version_cmp(&img.header.version, &best.header.version, false) > 0) {
			chosen = slot;
			best = img;
		}
	}
	return chosen;
}

int64_t sim_boot_xip_mark(struct sim_boot *boot, unsigned image, unsigned slot, bool permanent)
{
	const uint8_t ok = FLAG_SET;
	struct trailer t = read_trailer(boot, image, slot);
	int64_t spent_us = 0, n;

	if (permanent && t.image_ok != FLAG_SET) {
		n = write_trailer(boot, image, slot, TRAILER_IMAGE_OK_OFF, &ok, 1);
		if (n < 0) {
			return n;
		}
		spent_us += n;
	}
	if (!t.magic_good) {
		n = write_trailer(boot, image, slot, TRAILER_MAGIC_OFF, trailer_magic,
				  sizeof(trailer_magic));
		if (n < 0) {
			return n;
		}
		spent_us += n;
	}
	return spent_us;
}

enum sim_swap_type sim_boot_swap_type(const struct sim_boot *boot, unsigned image)
{
	struct trailer primary = read_trailer(boot, image, 0);
	struct trailer secondary = read_trailer(boot, image, 1);

	if (secondary.magic_good && secondary.image_ok == UNSET) {
		return SIM_SWAP_TEST;
	}
	if (secondary.magic_good && secondary.image_ok == FLAG_SET) {
		return SIM_SWAP_PERM;
	}
	if (primary.magic_good && primary.image_ok == UNSET && primary.copy_done == FLAG_SET) {
		return SIM_SWAP_REVERT;
	}
	return SIM_SWAP_NONE;
}

/* Flags of the either-slot modes: the running slot and the other one. */
static void xip_states(const struct sim_boot *boot, unsigned image, struct sim_slot_state out[2])
{
	unsigned r = boot->running[image] & 1u, o = r ^ 1u;
	bool revert = boot->mode == SIM_BOOT_DIRECT_XIP_REVERT;
	struct trailer tr = read_trailer(boot, image, r), to = read_trailer(boot, image, o);
	struct sim_image other;

	if (out[r].present) {
		out[r].active = true;
		out[r].confirmed = !revert || tr.image_ok == FLAG_SET;
	}
	if (!out[o].present || !slot_valid(boot, image, o, &other)) {
		return;
	}
	if (!revert) {
		out[o].pending = !out[r].present ||
				 dfu_smp_image_version_cmp(&other.header.version,
						       &out[r].img.header.version, false) > 0;
		out[o].permanent = out[o].pending;
		return;
	}
	if (!to.magic_good) {
		return;
	}
	out[o].pending = to.copy_done != FLAG_SET &&
			 (!out[r].present || dfu_smp_image_version_cmp(&other.header.version,
								   &out[r].img.header.version, false) > 0);
	out[o].permanent = out[o].pending && to.image_ok == FLAG_SET;
	/* the running image unconfirmed: this one comes back */
	out[o].confirmed = out[r].present && !out[r].confirmed;
}

void sim_boot_slot_states(const struct sim_boot *boot, unsigned image,
			  struct sim_slot_state out[2])
{
	enum sim_swap_type swap = sim_boot_swap_type(boot, image);
	unsigned slots = sim_boot_mode_one_slot(boot->mode) ? 1 : 2;

	memset(out, 0, 2 * sizeof(*out));
	for (unsigned slot = 0; slot < slots; slot++) {
		struct sim_slot_state *s = &out[slot];
		bool active = slot == 0;

		s->present = sim_image_parse(slot_data(boot, image, slot), boot->slot_size,
					     &s->img) == 0;
		if (!s->present) {
			continue;
		}
		s->bootable = !(s->img.header.flags & DFU_SMP_IMAGE_F_NON_BOOTABLE);
		if (sim_boot_mode_either_slot(boot->mode)) {
			continue;
		}
		if (sim_boot_mode_one_slot(boot->mode)) {
			/* the firmware loader runs from its own partition */
			s->active = !boot->loader;
			s->confirmed = !boot->loader;
			continue;
		}
		s->active = active;
		switch (swap) {
		case SIM_SWAP_NONE:
			s->confirmed = active;
			break;
		case SIM_SWAP_TEST:
			s->confirmed = active;
			s->pending = !active;
			break;
		case SIM_SWAP_PERM:
			s->confirmed = active;
			s->pending = !active;
			s->permanent = !active;
			break;
		case SIM_SWAP_REVERT:
			s->confirmed = !active;
			break;
		}
	}
	if (sim_boot_mode_either_slot(boot->mode)) {
		xip_states(boot, image, out);
	}
}

int64_t sim_boot_set_pending(struct sim_boot *boot, unsigned image, bool permanent)
{
	const uint8_t ok = FLAG_SET;
	uint8_t swap_info = (uint8_t)(((image & 0xfu) << 4) |
				      (permanent ? SIM_SWAP_PERM : SIM_SWAP_TEST));
	int64_t t, total = 0;

	/* flags first, magic last: a power cut never leaves a magic with half its flags */
	if (permanent) {
		t = write_trailer(boot, image, 1, TRAILER_IMAGE_OK_OFF, &ok, 1);
		if (t < 0) {
			return t;
		}
		total += t;
	}
	t = write_trailer(boot, image, 1, TRAILER_SWAP_INFO_OFF, &swap_info, 1);
	if (t < 0) {
		return t;
	}
	total += t;
	t = write_trailer(boot, image, 1, TRAILER_MAGIC_OFF, trailer_magic, sizeof(trailer_magic));
	return t < 0 ? t : total + t;
}

int64_t sim_boot_confirm(struct sim_boot *boot, unsigned image)
{
	unsigned slot = sim_boot_mode_either_slot(boot->mode) ? boot->running[image] : 0;
	struct trailer running = read_trailer(boot, image, slot);
	const uint8_t ok = FLAG_SET;

	if (!running.magic_good || running.image_ok != UNSET) {
		return 0; /* nothing pending a revert: already confirmed */
	}
	return write_trailer(boot, image, slot, TRAILER_IMAGE_OK_OFF, &ok, 1);
}

/* Bytes of a slot worth copying: the image's length, or nothing. */
static size_t used(const struct sim_boot *boot, unsigned image, unsigned slot)
{
	struct sim_image img;

	if (sim_image_parse(slot_data(boot, image, slot), boot->slot_size, &img) != 0) {
		return 0;
	}
	return img.end < sim_boot_max_image_size(boot) ? img.end : sim_boot_max_image_size(boot);
}

/*
 * ---- a swap that survives a power cut ----
 *
 * After the slots comes one scratch page, then the swap status: one write unit each of
 * [the swap's image, type and page count][that record is whole][the swap is done], then one
 * flag per step. A page i of the images is exchanged in three steps, each of which can be done
 * again as long as the next one has not been: secondary page -> scratch; erase secondary page,
 * primary page -> it; erase primary page, scratch -> it. Then the secondary's trailer page is
 * erased (one more step) and the primary's is rewritten for the swap's type, which sets the
 * done flag. A boot finding a whole record goes on from the first step not flagged; the status
 * is erased last, the record's page last of all.
 */
#define STATUS_FIELDS 0u
#define STATUS_VALID 1u
#define STATUS_DONE 2u
#define STATUS_STEPS 3u

static size_t status_unit(const struct sim_boot *boot)
{
	size_t wb = boot->flash->timing.write_block;

	return wb < 4 ? 4 : wb;
}

static size_t status_bytes(size_t slot_size, size_t page, size_t unit)
{
	size_t steps = 3u * (slot_size / page - 1u) + 1u;

	return (STATUS_STEPS + steps) * unit;
}

size_t sim_boot_flash_size(unsigned images, size_t slot_size,
			   const struct sim_flash_timing *timing)
{
	size_t page = timing->page_size;
	size_t unit = timing->write_block < 4 ? 4 : timing->write_block;
	size_t status = status_bytes(slot_size, page, unit);

	return 2u * images * slot_size + page + (status + page - 1u) / page * page;
}

static size_t scratch_offset(const struct sim_boot *boot)
{
	return 2u * boot->images * boot->slot_size;
}

static size_t status_offset(const struct sim_boot *boot)
{
	return scratch_offset(boot) + boot->flash->timing.page_size;
}

static size_t status_size(const struct sim_boot *boot)
{
	size_t page = boot->flash->timing.page_size;

	return (status_bytes(boot->slot_size, page, status_unit(boot)) + page - 1u) / page * page;
}

static bool status_set(const struct sim_boot *boot, size_t index)
{
	return sim_flash_data(boot->flash)[status_offset(boot) + index * status_unit(boot)] ==
	       FLAG_SET;
}

static int64_t status_flag(struct sim_boot *boot, size_t index)
{
	const uint8_t set = FLAG_SET;

	return sim_flash_write(boot->flash, status_offset(boot) + index * status_unit(boot), &set,
			       1);
}

/* Adds @p t to @p busy_us. @return 0 or the negative errno @p t is. */
static int spent(int64_t t, uint64_t *busy_us)
{
	if (t < 0) {
		return (int)t;
	}
	*busy_us += (uint64_t)t;
	return 0;
}

/* The swap a whole status record stands for. @return false if there is none. */
static bool status_read(const struct sim_boot *boot, unsigned *image, enum sim_swap_type *type,
			size_t *pages)
{
	const uint8_t *rec = sim_flash_data(boot->flash) + status_offset(boot);

	if (!status_set(boot, STATUS_VALID)) {
		return false;
	}
	*image = rec[0];
	*type = (enum sim_swap_type)rec[1];
	*pages = dfu_smp_get_le16(rec + 2);
	return *image < boot->images && *pages < boot->slot_size / boot->flash->timing.page_size &&
	       (*type == SIM_SWAP_TEST || *type == SIM_SWAP_PERM || *type == SIM_SWAP_REVERT);
}

/* Erases the status, the record's page last: until then the record says how far it went. */
static int status_clear(struct sim_boot *boot, uint64_t *busy_us)
{
	size_t page = boot->flash->timing.page_size;
	size_t off = status_offset(boot);
	int err = 0;

	for (size_t p = status_size(boot); p > 0 && !err; p -= page) {
		err = spent(sim_flash_erase(boot->flash, off + p - page, page), busy_us);
	}
	return err;
}

/* Erases the page at @p dst and copies the page at @p src there. */
static int copy_page(struct sim_boot *boot, size_t dst, size_t src, uint64_t *busy_us)
{
	size_t page = boot->flash->timing.page_size;
	uint8_t *buf = malloc(page);
	int err;

	if (!buf) {
		return -ENOMEM;
	}
	memcpy(buf, sim_flash_data(boot->flash) + src, page);
	err = spent(sim_flash_erase(boot->flash, dst, page), busy_us);
	if (!err) {
		err = spent(sim_flash_write(boot->flash, dst, buf, page), busy_us);
	}
	free(buf);
	return err;
}

/* Does the steps of the swap in the status that are not flagged done yet. */
static int swap_resume(struct sim_boot *boot, unsigned image, enum sim_swap_type type,
		       size_t pages, uint64_t *busy_us)
{
	size_t page = boot->flash->timing.page_size;
	size_t off0 = sim_boot_slot_offset(boot, image, 0);
	size_t off1 = sim_boot_slot_offset(boot, image, 1);
	size_t trailer = boot->slot_size - page;
	const uint8_t done = FLAG_SET;
	int err = 0;

	if (status_set(boot, STATUS_DONE)) {
		return status_clear(boot, busy_us); /* the flags may be erased already */
	}
	for (size_t step = 0; step < 3u * pages && !err; step++) {
		size_t at = step / 3u * page;

		if (status_set(boot, STATUS_STEPS + step)) {
			continue;
		}
		switch (step % 3u) {
		case 0:
			err = copy_page(boot, scratch_offset(boot), off1 + at, busy_us);
			break;
		case 1:
			err = copy_page(boot, off1 + at, off0 + at, busy_us);
			break;
		default:
			err = copy_page(boot, off0 + at, scratch_offset(boot), busy_us);
			break;
		}
		if (!err) {
			err = spent(status_flag(boot, STATUS_STEPS + step), busy_us);
		}
	}
	if (!err && !status_set(boot, STATUS_STEPS + 3u * pages)) {
		err = spent(sim_flash_erase(boot->flash, off1 + trailer, page), busy_us);
		if (!err) {
			err = spent(status_flag(boot, STATUS_STEPS + 3u * pages), busy_us);
		}
	}
	if (!err) {
		/* the primary's trailer for the swap's type, its magic last */
		err = spent(sim_flash_erase(boot->flash, off0 + trailer, page), busy_us);
		if (!err) {
			err = spent(write_trailer(boot, image, 0, TRAILER_COPY_DONE_OFF, &done, 1),
				    busy_us);
		}
		if (!err && type != SIM_SWAP_TEST) {
			err = spent(write_trailer(boot, image, 0, TRAILER_IMAGE_OK_OFF, &done, 1),
				    busy_us);
		}
		if (!err) {
			err = spent(write_trailer(boot, image, 0, TRAILER_MAGIC_OFF, trailer_magic,
						  sizeof(trailer_magic)),
				    busy_us);
		}
		if (!err) {
			err = spent(status_flag(boot, STATUS_DONE), busy_us);
		}
	}
	return err ? err : status_clear(boot, busy_us);
}

/* Starts exchanging the images of both slots for @p type: the status first, then the steps. */
static int swap_slots(struct sim_boot *boot, unsigned image, enum sim_swap_type type,
		      uint64_t *busy_us)
{
	size_t page = boot->flash->timing.page_size;
	size_t n0 = used(boot, image, 0), n1 = used(boot, image, 1);
	size_t moved = n0 > n1 ? n0 : n1;
	size_t pages = (moved + page - 1u) / page;
	uint8_t rec[4] = { (uint8_t)image, (uint8_t)type, 0, 0 };
	size_t off = status_offset(boot);
	int err = 0;

	/* a record left by a cut while the status was cleared: the record's page first */
	for (size_t p = 0; p < status_size(boot) && !err; p += page) {
		if (sim_flash_data(boot->flash)[off + p] != SIM_FLASH_ERASED ||
		    memcmp(sim_flash_data(boot->flash) + off + p,
			   sim_flash_data(boot->flash) + off + p + 1, page - 1u) != 0) {
			err = spent(sim_flash_erase(boot->flash, off + p, page), busy_us);
		}
	}
	dfu_smp_put_le16(rec + 2, (uint16_t)pages);
	if (!err) {
		err = spent(sim_flash_write(boot->flash, off, rec, sizeof(rec)), busy_us);
	}
	if (!err) {
		err = spent(status_flag(boot, STATUS_VALID), busy_us);
	}
	return err ? err : swap_resume(boot, image, type, pages, busy_us);
}

/*
 * ---- overwrite only ----
 *
 * The secondary's pages are copied over the primary's one by one, then the primary gets a
 * confirmed trailer and the secondary is erased, its trailer last. Until the copy is whole the
 * secondary stays marked and intact, so a cut there makes the next boot copy it all again.
 */
static int overwrite(struct sim_boot *boot, unsigned image, uint64_t *busy_us)
{
	size_t page = boot->flash->timing.page_size;
	size_t off0 = sim_boot_slot_offset(boot, image, 0);
	size_t off1 = sim_boot_slot_offset(boot, image, 1);
	size_t trailer = boot->slot_size - page;
	size_t pages = (used(boot, image, 1) + page - 1u) / page;
	const uint8_t ok = FLAG_SET;
	int err = 0;

	for (size_t p = 0; p < pages && !err; p++) {
		err = copy_page(boot, off0 + p * page, off1 + p * page, busy_us);
	}
	if (!err) {
		err = spent(sim_flash_erase(boot->flash, off0 + trailer, page), busy_us);
	}
	if (!err) {
		err = spent(write_trailer(boot, image, 0, TRAILER_IMAGE_OK_OFF, &ok, 1), busy_us);
	}
	if (!err) {
		err = spent(write_trailer(boot, image, 0, TRAILER_MAGIC_OFF, trailer_magic,
					  sizeof(trailer_magic)),
			    busy_us);
	}
	/* the image first: a cut before the trailer goes leaves a marked slot that fails its
	 * check, which the next boot erases */
	if (!err && pages) {
		err = spent(sim_flash_erase(boot->flash, off1, pages * page), busy_us);
	}
	if (!err) {
		err = spent(sim_flash_erase(boot->flash, off1 + trailer, page), busy_us);
	}
	return err;
}

/* ---- downgrade prevention and dependencies ---- */

/* The version @p image will run after this boot (@p next: per image, the slot it boots). */
static bool version_after(const struct sim_boot *boot, unsigned image, const unsigned *next,
			  struct dfu_smp_image_version *out)
{
	struct sim_image img;

	if (image >= boot->images || next[image] > 1 ||
	    sim_image_parse(slot_data(boot, image, next[image]), boot->slot_size, &img) != 0) {
		return false;
	}
	*out = img.header.version;
	return true;
}

/*
 * Checks the dependencies of the image @p image would boot from next[image] against what the
 * other images boot; an unmet one is written to @p refused. @return true if all are met.
 */
static bool deps_met(const struct sim_boot *boot, unsigned image, const unsigned *next,
		     struct sim_boot_refused *refused)
{
	struct sim_image img;

	/* a single-image MCUboot is built without the dependency check */
	if (boot->images < 2 ||
	    sim_image_parse(slot_data(boot, image, next[image]), boot->slot_size, &img) != 0) {
		return true;
	}
	for (size_t d = 0; d < img.dep_count; d++) {
		struct dfu_smp_image_version have = { 0 };
		bool exists = version_after(boot, img.deps[d].image, next, &have);

		if (!exists || dfu_smp_image_version_cmp(&have, &img.deps[d].min, false) < 0) {
			memset(refused, 0, sizeof(*refused));
			refused->why = SIM_BOOT_REFUSED_DEPENDENCY;
			refused->slot = next[image];
			refused->version = img.header.version;
			refused->dep_image = img.deps[d].image;
			refused->need = img.deps[d].min;
			refused->have = have;
			refused->no_such_image = !exists;
			return false;
		}
	}
	return true;
}

/* ---- the boot, per mode ---- */

/* Every image's primary (or running) slot holds an image whose hash checks. */
static void check_running(struct sim_boot *boot, struct sim_boot_result *result)
{
	struct sim_image img;

	for (unsigned image = 0; image < boot->images; image++) {
		unsigned slot = sim_boot_mode_either_slot(boot->mode) ? boot->running[image] : 0;

		if (slot > 1 || !slot_valid(boot, image, slot, &img)) {
			result->bootable = false;
		}
		result->running[image] = slot;
	}
}

/* Swap and overwrite modes: go on with a cut swap, then swap what the trailers say. */
static int run_swaps(struct sim_boot *boot, struct sim_boot_result *result)
{
	unsigned next[SIM_BOOT_IMAGES_MAX];
	bool resumed[SIM_BOOT_IMAGES_MAX] = { false };
	enum sim_swap_type plan[SIM_BOOT_IMAGES_MAX];
	unsigned status_image;
	enum sim_swap_type status_type;
	size_t status_pages;
	bool changed = true;
	int err = 0;

	if (sim_boot_mode_swaps(boot->mode) &&
	    status_read(boot, &status_image, &status_type, &status_pages)) {
		/* a swap a power cut stopped: the same one goes on, with no check */
		err = swap_resume(boot, status_image, status_type, status_pages,
				  &result->busy_us);
		if (err) {
			return err;
		}
		result->swaps[status_image] = status_type;
		resumed[status_image] = true;
	}
	for (unsigned image = 0; image < boot->images; image++) {
		enum sim_swap_type swap = sim_boot_swap_type(boot, image);
		struct sim_image img, now;

		plan[image] = SIM_SWAP_NONE;
		next[image] = 0;
		if (resumed[image]) {
			continue;
		}
		if (swap == SIM_SWAP_TEST || swap == SIM_SWAP_PERM) {
			if (!slot_valid(boot, image, 1, &img)) {
				/* MCUboot erases an image that fails its check and boots on */
				err = spent(sim_flash_erase(boot->flash,
							    sim_boot_slot_offset(boot, image, 1),
							    boot->slot_size),
					    &result->busy_us);
				if (err) {
					return err;
				}
				result->rejected[image] = true;
				continue;
			}
			if (boot->no_downgrade &&
			    sim_image_parse(slot_data(boot, image, 0), boot->slot_size, &now) ==
				    0 &&
			    dfu_smp_image_version_cmp(&img.header.version, &now.header.version, false) < 0) {
				struct sim_boot_refused *r = &result->refused[image];
				size_t page = boot->flash->timing.page_size;

				r->why = SIM_BOOT_REFUSED_DOWNGRADE;
				r->slot = 1;
				r->version = img.header.version;
				r->have = now.header.version;
				/* no longer pending (swap type NONE from now on); it stays */
				err = spent(sim_flash_erase(boot->flash,
							    sim_boot_slot_offset(boot, image, 1) +
								    boot->slot_size - page,
							    page),
					    &result->busy_us);
				if (err) {
					return err;
				}
				continue;
			}
			plan[image] = swap;
			next[image] = 1;
		} else if (swap == SIM_SWAP_REVERT && boot->mode != SIM_BOOT_OVERWRITE_ONLY) {
			plan[image] = swap;
			next[image] = 1;
		}
	}
	/* an unmet dependency keeps an image where it is, which may unmeet another's */
	while (changed) {
		changed = false;
		for (unsigned image = 0; image < boot->images; image++) {
			if ((plan[image] == SIM_SWAP_TEST || plan[image] == SIM_SWAP_PERM) &&
			    !deps_met(boot, image, next, &result->refused[image])) {
				plan[image] = SIM_SWAP_NONE;
				next[image] = 0;
				changed = true;
			}
		}
	}
	for (unsigned image = 0; image < boot->images && !err; image++) {
		if (plan[image] == SIM_SWAP_NONE) {
			continue;
		}
		err = boot->mode == SIM_BOOT_OVERWRITE_ONLY
			      ? overwrite(boot, image, &result->busy_us)
			      : swap_slots(boot, image, plan[image], &result->busy_us);
		result->swaps[image] = plan[image];
	}
	return err;
}

/* Either-slot modes: drop unconfirmed images booted once, then boot the best of the rest. */
static int run_either_slot(struct sim_boot *boot, struct sim_boot_result *result)
{
	bool revert = boot->mode == SIM_BOOT_DIRECT_XIP_REVERT;
	size_t page = boot->flash->timing.page_size;
	unsigned excluded[SIM_BOOT_IMAGES_MAX] = { 0 }, next[SIM_BOOT_IMAGES_MAX];
	bool changed = true;
	int err = 0;

	for (unsigned image = 0; image < boot->images && !err; image++) {
		for (;;) {
			unsigned slot = xip_choose(boot, image, 0);
			struct trailer t;

			if (!revert || slot > 1) {
				break;
			}
			t = read_trailer(boot, image, slot);
			if (t.image_ok == FLAG_SET || t.copy_done != FLAG_SET) {
				break;
			}
			/* booted once and never confirmed: no longer a candidate */
			err = spent(sim_flash_erase(boot->flash,
						    sim_boot_slot_offset(boot, image, slot) +
							    boot->slot_size - page,
						    page),
				    &result->busy_us);
			result->swaps[image] = SIM_SWAP_REVERT;
			if (err) {
				break;
			}
		}
		next[image] = xip_choose(boot, image, 0);
	}
	while (changed && !err) {
		changed = false;
		for (unsigned image = 0; image < boot->images; image++) {
			if (next[image] <= 1 &&
			    !deps_met(boot, image, next, &result->refused[image])) {
				excluded[image] |= 1u << next[image];
				next[image] = xip_choose(boot, image, excluded[image]);
				changed = true;
			}
		}
	}
	for (unsigned image = 0; image < boot->images && !err; image++) {
		struct trailer t;
		const uint8_t done = FLAG_SET;

		if (next[image] > 1) {
			result->bootable = false;
			continue;
		}
		if (next[image] != boot->running[image] && result->swaps[image] == SIM_SWAP_NONE) {
			result->swaps[image] = SIM_SWAP_PERM;
		}
		boot->running[image] = next[image];
		t = read_trailer(boot, image, next[image]);
		if (revert && t.image_ok != FLAG_SET) {
			/* first boot of an unconfirmed image: the next one reverts it */
			err = spent(write_trailer(boot, image, next[image], TRAILER_COPY_DONE_OFF,
						  &done, 1),
				    &result->busy_us);
			result->swaps[image] = SIM_SWAP_TEST;
		}
	}
	return err;
}

int sim_boot_run(struct sim_boot *boot, struct sim_boot_result *result)
{
	bool want_loader = boot->want_loader;
	struct sim_image img;
	int err = 0;

	memset(result, 0, sizeof(*result));
	result->bootable = true;
	for (unsigned image = 0; image < SIM_BOOT_IMAGES_MAX; image++) {
		result->swaps[image] = SIM_SWAP_NONE;
	}
	boot->want_loader = false;
	boot->loader = false;
	if (sim_boot_mode_either_slot(boot->mode)) {
		err = run_either_slot(boot, result);
	} else if (!sim_boot_mode_one_slot(boot->mode)) {
		err = run_swaps(boot, result);
	}
	if (err) {
		return err;
	}
	if (boot->mode == SIM_BOOT_FIRMWARE_LOADER &&
	    (want_loader || !slot_valid(boot, 0, 0, &img))) {
		boot->loader = true;
		result->loader = true;
		return 0;
	}
	check_running(boot, result);
	return 0;
}
