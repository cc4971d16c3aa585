/* SPDX-License-Identifier: Apache-2.0 */
/* MCUboot's serial recovery: the bootloader's own SMP server (sim/recovery.h). */
#include "../mgmt/cbor_reader.h"
#include "recovery.h"

#include <stdlib.h>
#include <string.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/smp/header.h>

#define GROUP_OS 0u
#define GROUP_IMG 1u
#define RESET_DELAY_US 250000u
#define DEFAULT_BUF_SIZE SIM_RECOVERY_RECEIVE_MAX

/* The image state list: what bs_list() of MCUboot sends without image-state support. */
static void list(struct sim_device *dev, struct dfu_smp_mgmt_cbor_writer *w)
{
	sim_img_write_list(&dev->img, w, false);
}

static void busy(struct sim_device *dev, int64_t us)
{
	if (us > 0) {
		dev->busy_us += (uint64_t)us;
	}
}

/* The upload, into the primary slot; returns 0 (the answer written) or an `rc`. */
static int upload(struct sim_device *dev, const cbor_item_t *map,
		  struct dfu_smp_mgmt_cbor_writer *w)
{
	struct sim_img *img = &dev->img;
	struct sim_img_upload *up = &img->upload;
	const cbor_item_t *data = dfu_smp_mgmt_cbor_find(map, "data");
	const cbor_item_t *off_item = dfu_smp_mgmt_cbor_find(map, "off");
	const cbor_item_t *len_item = dfu_smp_mgmt_cbor_find(map, "len");
	const cbor_item_t *image_item = dfu_smp_mgmt_cbor_find(map, "image");
	uint64_t off, len = 0, image = 0;
	size_t n, slot_off;
	uint8_t *buf;

	if (!data || !cbor_isa_bytestring(data) || !off_item ||
	    dfu_smp_mgmt_cbor_get_uint(off_item, &off) != 0 ||
	    (image_item && (dfu_smp_mgmt_cbor_get_uint(image_item, &image) != 0 ||
			    image >= img->cfg.images))) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	n = dfu_smp_mgmt_cbor_string_size(data);
	if (off == 0) {
		if (!len_item || dfu_smp_mgmt_cbor_get_uint(len_item, &len) != 0 ||
		    len > sim_boot_max_image_size(&img->boot)) {
			return DFU_SMP_MGMT_ERR_EINVAL;
		}
		memset(up, 0, sizeof(*up));
		up->active = true;
		up->image = (unsigned)image;
		up->len = len;
		slot_off = sim_boot_slot_offset(&img->boot, up->image, 0);
		/* the whole slot, trailer included: the old image is gone from here on */
		busy(dev, sim_flash_erase(&img->flash, slot_off, img->cfg.slot_size));
	}
	if (!up->active || off != up->off) {
		/* another offset: nothing written, the answer says where to go on */
		goto answer;
	}
	if (off + n > up->len) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	buf = malloc(n ? n : 1);
	if (!buf) {
		return DFU_SMP_MGMT_ERR_ENOMEM;
	}
	dfu_smp_mgmt_cbor_string_copy(data, buf);
	slot_off = sim_boot_slot_offset(&img->boot, up->image, 0);
	busy(dev, sim_flash_write(&img->flash, slot_off + (size_t)off, buf, n));
	free(buf);
	up->off += n;
	if (up->off == up->len) {
		up->active = false;
	}
answer:
	dfu_smp_mgmt_cbor_text(w, "rc");
	dfu_smp_mgmt_cbor_uint(w, 0);
	dfu_smp_mgmt_cbor_text(w, "off");
	dfu_smp_mgmt_cbor_uint(w, up->off);
	return 0;
}

/* Writes the answer's keys; returns 0 or the `rc` of an error answer. */
static int handle(struct sim_device *dev, const struct dfu_smp_hdr *hdr, const cbor_item_t *map,
		  struct dfu_smp_mgmt_cbor_writer *w, uint64_t now_us)
{
	bool read = hdr->op == DFU_SMP_OP_READ, write = hdr->op == DFU_SMP_OP_WRITE;

	if (hdr->group == GROUP_OS && hdr->id == 0 && (read || write)) {
		const cbor_item_t *d = dfu_smp_mgmt_cbor_find(map, "d");
		size_t n;
		uint8_t *s;

		if (!d || !cbor_isa_string(d)) {
			return DFU_SMP_MGMT_ERR_EINVAL;
		}
		n = dfu_smp_mgmt_cbor_string_size(d);
		s = malloc(n + 1);
		if (!s) {
			return DFU_SMP_MGMT_ERR_ENOMEM;
		}
		dfu_smp_mgmt_cbor_string_copy(d, s);
		s[n] = '\0';
		dfu_smp_mgmt_cbor_text(w, "r");
		dfu_smp_mgmt_cbor_text(w, (const char *)s);
		free(s);
		return 0;
	}
	if (hdr->group == GROUP_OS && hdr->id == 1 && (read || write)) {
		dfu_smp_mgmt_cbor_text(w, "rc");
		dfu_smp_mgmt_cbor_uint(w, 0);
		return 0;
	}
	if (hdr->group == GROUP_OS && hdr->id == 5 && write) {
		dfu_smp_mgmt_cbor_text(w, "rc");
		dfu_smp_mgmt_cbor_uint(w, 0);
		sim_device_request_reset(dev, now_us + RESET_DELAY_US);
		return 0;
	}
	if (hdr->group == GROUP_OS && hdr->id == 6 && read) {
		dfu_smp_mgmt_cbor_text(w, "buf_size");
		dfu_smp_mgmt_cbor_uint(w, dev->cfg.recovery_buf_size ? dev->cfg.recovery_buf_size
							     : DEFAULT_BUF_SIZE);
		dfu_smp_mgmt_cbor_text(w, "buf_count");
		dfu_smp_mgmt_cbor_uint(w, 1);
		return 0;
	}
	if (hdr->group == GROUP_IMG && hdr->id == 0 && (read || write)) {
		list(dev, w);
		return 0;
	}
	if (hdr->group == GROUP_IMG && hdr->id == 1 && write) {
		return upload(dev, map, w);
	}
	return DFU_SMP_MGMT_ERR_ENOTSUP;
}

void sim_recovery_receive(struct sim_device *dev, const uint8_t *unit, size_t len,
			  uint64_t now_us, sim_device_emit_fn emit, void *ctx)
{
	uint8_t out[SIM_RECOVERY_RECEIVE_MAX];
	struct dfu_smp_mgmt_cbor_writer w;
	struct dfu_smp_hdr hdr, rsp;
	cbor_item_t *map = NULL;
	char why[120];
	size_t used;
	int rc;

	dev->busy_us = 0;
	if (len < DFU_SMP_HDR_SIZE || len > SIM_RECOVERY_RECEIVE_MAX) {
		dev->stats.dropped++;
		return;
	}
	dfu_smp_hdr_decode(unit, len, &hdr);
	if (DFU_SMP_HDR_SIZE + (size_t)hdr.len > len) {
		dev->stats.dropped++;
		return;
	}
	dev->stats.requests++;
	if (hdr.len) {
		map = dfu_smp_mgmt_cbor_load_first(unit + DFU_SMP_HDR_SIZE, hdr.len, &used, why,
						   sizeof(why));
	}
	dfu_smp_mgmt_cbor_writer_init(&w, out + DFU_SMP_HDR_SIZE, sizeof(out) - DFU_SMP_HDR_SIZE);
	dfu_smp_mgmt_cbor_map_indef(&w);
	rc = map && cbor_isa_map(map) ? handle(dev, &hdr, map, &w, now_us)
				      : DFU_SMP_MGMT_ERR_EINVAL;
	if (rc == 0) {
		dfu_smp_mgmt_cbor_break(&w);
	}
	if (rc != 0 || w.overflow) {
		dfu_smp_mgmt_cbor_writer_init(&w, out + DFU_SMP_HDR_SIZE,
					      sizeof(out) - DFU_SMP_HDR_SIZE);
		dfu_smp_mgmt_cbor_map_indef(&w);
		dfu_smp_mgmt_cbor_text(&w, "rc");
		dfu_smp_mgmt_cbor_int(&w, rc ? rc : DFU_SMP_MGMT_ERR_EMSGSIZE);
		dfu_smp_mgmt_cbor_break(&w);
	}
	if (map) {
		cbor_decref(&map);
	}
	/* MCUboot copies the request's header: its version bits stay */
	rsp = hdr;
	rsp.op = dfu_smp_hdr_rsp_op(hdr.op);
	rsp.len = (uint16_t)w.len;
	dfu_smp_hdr_encode(&rsp, out);
	emit(ctx, out, DFU_SMP_HDR_SIZE + w.len);
}
