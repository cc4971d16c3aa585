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

int sim_image_version_cmp(const struct dfu_smp_image_version *a,
			  const struct dfu_smp_image_version *b)
{
	if (a->major != b->major) {
		return a->major < b->major ? -1 : 1;
	}
	if (a->minor != b->minor) {
		return a->minor < b->minor ? -1 : 1;
	}
	if (a->revision != b->revision) {
		return a->revision < b->revision ? -1 : 1;
	}
	return 0;
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

void sim_boot_init(struct sim_boot *boot, struct sim_flash *flash, unsigned images,
		   size_t slot_size)
{
	boot->flash = flash;
	boot->images = images;
	boot->slot_size = slot_size;
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

void sim_boot_slot_states(const struct sim_boot *boot, unsigned image,
			  struct sim_slot_state out[2])
{
	enum sim_swap_type swap = sim_boot_swap_type(boot, image);

	for (unsigned slot = 0; slot < 2; slot++) {
		struct sim_slot_state *s = &out[slot];
		bool active = slot == 0;

		memset(s, 0, sizeof(*s));
		s->present = sim_image_parse(slot_data(boot, image, slot), boot->slot_size,
					     &s->img) == 0;
		if (!s->present) {
			continue;
		}
		s->bootable = !(s->img.header.flags & DFU_SMP_IMAGE_F_NON_BOOTABLE);
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
	struct trailer primary = read_trailer(boot, image, 0);
	const uint8_t ok = FLAG_SET;

	if (!primary.magic_good || primary.image_ok != UNSET) {
		return 0; /* nothing pending a revert: already confirmed */
	}
	return write_trailer(boot, image, 0, TRAILER_IMAGE_OK_OFF, &ok, 1);
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

int sim_boot_run(struct sim_boot *boot, struct sim_boot_result *result)
{
	memset(result, 0, sizeof(*result));
	result->bootable = true;
	for (unsigned image = 0; image < boot->images && image < 8; image++) {
		enum sim_swap_type swap = sim_boot_swap_type(boot, image), status_type;
		unsigned status_image;
		size_t status_pages;
		struct sim_image img;
		int err = 0;

		result->swaps[image] = SIM_SWAP_NONE;
		if (status_read(boot, &status_image, &status_type, &status_pages) &&
		    status_image == image) {
			/* a swap a power cut stopped: the same one goes on, with no check */
			err = swap_resume(boot, image, status_type, status_pages,
					  &result->busy_us);
			result->swaps[image] = status_type;
		} else if (swap == SIM_SWAP_TEST || swap == SIM_SWAP_PERM) {
			const uint8_t *secondary = slot_data(boot, image, 1);

			if (sim_image_parse(secondary, boot->slot_size, &img) != 0 ||
			    !sim_image_hash_ok(secondary, &img)) {
				/* MCUboot erases an image that fails its check and boots on */
				int64_t t = sim_flash_erase(boot->flash,
							    sim_boot_slot_offset(boot, image, 1),
							    boot->slot_size);

				if (t < 0) {
					return (int)t;
				}
				result->busy_us += (uint64_t)t;
				result->rejected[image] = true;
			} else {
				err = swap_slots(boot, image, swap, &result->busy_us);
				result->swaps[image] = swap;
			}
		} else if (swap == SIM_SWAP_REVERT) {
			err = swap_slots(boot, image, swap, &result->busy_us);
			result->swaps[image] = swap;
		}
		if (err) {
			return err;
		}
		if (sim_image_parse(slot_data(boot, image, 0), boot->slot_size, &img) != 0 ||
		    !sim_image_hash_ok(slot_data(boot, image, 0), &img)) {
			result->bootable = false;
		}
	}
	return 0;
}
