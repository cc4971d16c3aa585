/* SPDX-License-Identifier: Apache-2.0 */
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/mgmt/img.h>
#include <dfu-smp/smp/header.h>

#define ATT_HEADER 3u
#define L2CAP_HEADER 4u
/*
 * What a Cortex-M4/M33 device spends on each request besides flash work: taking the buffer,
 * decoding the CBOR, the image manager's bookkeeping and copies, encoding the answer.
 */
#define PROCESS_US 1000u

static const struct sim_profile profiles[] = {
	{
		.name = "phone-fast",
		.summary = "2M PHY, 15 ms, MTU 498, 4 x 2475 with reassembly, nRF52840 erasing as "
			   "it goes",
		.link = { .interval_us = 15000, .phy = 2, .data_length = 251 },
		.mtu = 498, .buf_size = 2475, .buf_count = 4, .reassembly = true,
		.flash = &SIM_FLASH_NRF52840, .progressive_erase = true, .slot_size = 0x80000,
		.process_us = PROCESS_US,
	},
	{
		.name = "phone-fast-no-erase",
		.summary = "phone-fast with flash that needs no erase (nRF54-like)",
		.link = { .interval_us = 15000, .phy = 2, .data_length = 251 },
		.mtu = 498, .buf_size = 2475, .buf_count = 4, .reassembly = true,
		.flash = &SIM_FLASH_NRF54, .progressive_erase = true, .slot_size = 0x80000,
		.process_us = PROCESS_US,
	},
	{
		.name = "linux-default",
		.summary = "1M PHY, 30 ms, MTU 247, 4 x 384 with reassembly, nRF5340 erasing as it "
			   "goes",
		.link = { .interval_us = 30000, .phy = 1, .data_length = 251 },
		.mtu = 247, .buf_size = 384, .buf_count = 4, .reassembly = true,
		.flash = &SIM_FLASH_NRF5340, .progressive_erase = true, .slot_size = 0x80000,
		.process_us = PROCESS_US,
	},
	{
		.name = "legacy",
		.summary = "1M PHY, data length 27, 50 ms, MTU 23, 4 x 384 with reassembly, "
			   "nRF52840 erasing as it goes",
		.link = { .interval_us = 50000, .phy = 1, .data_length = 27 },
		.mtu = 23, .buf_size = 384, .buf_count = 4, .reassembly = true,
		.flash = &SIM_FLASH_NRF52840, .progressive_erase = true, .slot_size = 0x80000,
		.process_us = PROCESS_US,
	},
	{
		.name = "zephyr-default",
		.summary = "2M PHY, 30 ms, MTU 247, 4 x 384 without reassembly, nRF52840 erasing "
			   "as it goes",
		.link = { .interval_us = 30000, .phy = 2, .data_length = 251 },
		.mtu = 247, .buf_size = 384, .buf_count = 4, .reassembly = false,
		.flash = &SIM_FLASH_NRF52840, .progressive_erase = true, .slot_size = 0x80000,
		.process_us = PROCESS_US,
	},
	/* The set-ups of published measurements, to hold the model against (bench/README.md). */
	{
		.name = "published-stop-and-wait",
		.summary = "a Linux central: 1M PHY, 30 ms, MTU 247 (244-byte writes), nRF52840",
		.link = { .interval_us = 30000, .phy = 1, .data_length = 251 },
		.mtu = 247, .buf_size = 2475, .buf_count = 4, .reassembly = false,
		.flash = &SIM_FLASH_NRF52840, .progressive_erase = true, .slot_size = 0x80000,
		.process_us = PROCESS_US,
	},
	{
		.name = "published-pipelined",
		.summary = "a phone: 2M PHY, 15 ms, MTU 498, 5 x 2475 with reassembly, nRF52840 "
			   "with its slot erased beforehand",
		.link = { .interval_us = 15000, .phy = 2, .data_length = 251 },
		.mtu = 498, .buf_size = 2475, .buf_count = 5, .reassembly = true,
		.flash = &SIM_FLASH_NRF52840_PRE_ERASED, .progressive_erase = true,
		.slot_size = 0x80000,
		.process_us = PROCESS_US,
	},
};

const struct sim_profile *sim_profile_find(const char *name)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		if (strcmp(profiles[i].name, name) == 0) {
			return &profiles[i];
		}
	}
	return NULL;
}

void sim_profile_names(char *buf, size_t cap)
{
	size_t n = 0;

	if (cap) {
		buf[0] = '\0';
	}
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]) && n < cap; i++) {
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " " : "", profiles[i].name);
	}
}

void sim_profile_apply(const struct sim_profile *profile, struct sim_device_config *dev,
		       struct sim_gatt_config *gatt, struct sim_link_config *link)
{
	*link = profile->link;
	gatt->mtu_max = profile->mtu;
	gatt->process_us = profile->process_us;
	gatt->reassembly = gatt->reassembly || profile->reassembly;
	dev->buf_size = profile->buf_size;
	dev->buf_count = profile->buf_count;
	dev->img.flash = profile->flash;
	dev->img.progressive_erase = profile->progressive_erase;
	if (!dev->img.slot_size) {
		dev->img.slot_size = profile->slot_size;
	}
}

/* Packs link-layer packets into connection events, every one filled: the best the air allows. */
struct packer {
	struct sim_link_config cfg;
	uint64_t anchor;
	uint64_t t;       /* where the next pair of packets starts */
	uint64_t last_end;
};

static void pack(struct packer *pk, size_t payload)
{
	uint32_t air = sim_link_airtime_us(&pk->cfg, payload);
	uint32_t empty = sim_link_airtime_us(&pk->cfg, 0);

	if (pk->t + air + SIM_LINK_T_IFS_US + empty > pk->anchor + pk->cfg.event_length_us) {
		pk->anchor += pk->cfg.interval_us;
		pk->t = pk->anchor;
	}
	pk->last_end = pk->t + air;
	pk->t += air + SIM_LINK_T_IFS_US + empty + SIM_LINK_T_IFS_US;
}

/* One write of @p value bytes: an ATT and an L2CAP header, cut to the data length. */
static void pack_write(struct packer *pk, size_t value)
{
	size_t frame = L2CAP_HEADER + ATT_HEADER + value;

	for (size_t off = 0; off < frame; off += pk->cfg.data_length) {
		size_t n = frame - off < pk->cfg.data_length ? frame - off : pk->cfg.data_length;

		pack(pk, n);
	}
}

void sim_profile_bound(const struct sim_profile *profile, size_t image_size,
		       struct sim_bound *out)
{
	static const uint8_t sha[32];
	const struct sim_flash_timing *flash = profile->flash;
	size_t one_write = (size_t)profile->mtu - ATT_HEADER;
	size_t request = profile->reassembly ? profile->buf_size
		       : one_write < profile->buf_size ? one_write
						       : profile->buf_size;
	struct packer pk = { .cfg = profile->link };
	uint8_t *buf = malloc(request);
	uint8_t *data = calloc(1, request); /* what the data is does not change its length */
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	out->request_size = request;
	sim_link_config_defaults(&pk.cfg);
	while (buf && data && off < image_size) {
		struct dfu_smp_request req;
		size_t n =
			sim_profile_upload_request(&req, buf, request, data, off, image_size, sha);
		size_t msg;

		if (n == 0) {
			out->link_us = UINT64_MAX; /* no request can carry data */
			break;
		}
		msg = DFU_SMP_HDR_SIZE + req.len;
		for (size_t w = 0; w < msg; w += one_write) {
			pack_write(&pk, msg - w < one_write ? msg - w : one_write);
		}
		out->requests++;
		off += n;
	}
	free(buf);
	free(data);
	if (out->link_us == 0) {
		out->link_us = pk.last_end;
	}
	out->flash_us = sim_profile_flash_us(flash, image_size);
	out->bound_us = out->link_us > out->flash_us ? out->link_us : out->flash_us;
}

size_t sim_profile_upload_request(struct dfu_smp_request *req, uint8_t *buf, size_t request,
				  const uint8_t *data, uint64_t off, uint64_t image_size,
				  const uint8_t *sha)
{
	struct dfu_smp_mgmt_img_upload_args args = {
		.off = off, .total_len = image_size, .sha = sha, .sha_len = 32,
	};
	size_t n = dfu_smp_mgmt_img_upload_max_data(&args, request);

	if (n == 0) {
		return 0;
	}
	if (n > image_size - off) {
		n = (size_t)(image_size - off);
	}
	args.data = data;
	args.len = n;
	dfu_smp_request_init(req, buf, request);
	dfu_smp_mgmt_img_upload(req, &args);
	return n;
}

uint64_t sim_profile_flash_us(const struct sim_flash_timing *flash, size_t image_size)
{
	uint64_t pages = (image_size + flash->page_size - 1) / flash->page_size;
	uint64_t words = (image_size + flash->write_block - 1) / flash->write_block;
	uint64_t us = words * flash->write_block_us;

	if (flash->erase_needed && !flash->skip_blank) {
		us += pages * flash->erase_page_us;
	}
	return us;
}
