/* SPDX-License-Identifier: Apache-2.0 */
#include "../mgmt/cbor_reader.h"
#include "device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/smp/header.h>
#include "hostfs.h"
#include "ram.h"
#include "recovery.h"

#define DEFAULT_BUF_SIZE 2475u
#define DEFAULT_BUF_COUNT 4u

/*
 * Zephyr registers its groups from an iterable section sorted by the handlers' names
 * (enum_mgmt, fs_mgmt, img_mgmt, os_mgmt, settings_mgmt, shell_mgmt, stat_mgmt,
 * zephyr_basic_mgmt): the enumeration group lists them in that order (observed: 10, 8, 0, 3, 9,
 * 2, 63 on the 4.4.0 builds without the image group).
 */
static const struct sim_group *const groups[] = {
	&sim_group_enum,
	&sim_group_fs,
	&sim_group_img,
	&sim_group_os,
	&sim_group_settings,
	&sim_group_shell,
	&sim_group_stat,
	&sim_group_basic,
};

int sim_device_init(struct sim_device *dev, const struct sim_device_config *cfg)
{
	int err = 0;

	memset(dev, 0, sizeof(*dev));
	if (cfg) {
		dev->cfg = *cfg;
	}
	if (dev->cfg.buf_size < DFU_SMP_HDR_SIZE + 1) {
		dev->cfg.buf_size = DEFAULT_BUF_SIZE;
	}
	if (dev->cfg.buf_count == 0) {
		dev->cfg.buf_count = DEFAULT_BUF_COUNT;
	}
	dev->reset_at_us = UINT64_MAX;
	dev->cfg.state_dir = NULL;
	if (cfg && cfg->state_dir) {
		dev->state_dir = strdup(cfg->state_dir);
		if (!dev->state_dir) {
			return -ENOMEM;
		}
		dev->cfg.state_dir = dev->state_dir;
		err = sim_hostfs_mkdirs(dev->state_dir);
		if (!err) {
			err = sim_hostfs_check_dir(dev->state_dir);
		}
	}
	if (!err) {
		err = sim_img_open(&dev->img, &dev->cfg.img, dev->state_dir);
	}
	if (!err) {
		err = sim_settings_init(dev);
	}
	if (!err) {
		err = sim_fs_init(dev);
	}
	if (!err) {
		err = sim_ram_resume(dev);
	}
	if (err) {
		sim_device_free(dev);
	}
	dev->in_recovery = !err && dev->cfg.recovery;
	return err;
}

void sim_device_request_reset(struct sim_device *dev, uint64_t at_us)
{
	sim_device_request_reset_mode(dev, at_us, 0);
}

void sim_device_request_reset_mode(struct sim_device *dev, uint64_t at_us, uint8_t boot_mode)
{
	dev->reset_at_us = at_us;
	dev->reset_boot_mode = boot_mode;
}

uint64_t sim_device_reset_at(const struct sim_device *dev)
{
	return dev->reset_at_us;
}

void sim_device_reboot(struct sim_device *dev, uint64_t now_us)
{
	bool to_bootloader = dev->reset_boot_mode == 1;
	bool to_recovery = to_bootloader && dev->cfg.serial_recovery &&
			   dev->cfg.img.mode != SIM_BOOT_FIRMWARE_LOADER;

	dev->reset_boot_mode = 0;
	dev->img.boot.want_loader = to_bootloader && dev->cfg.img.mode == SIM_BOOT_FIRMWARE_LOADER;
	dev->reset_at_us = UINT64_MAX;
	dev->boots++;
	dev->boot_us = now_us;
	dev->uptime_base_us = 0;
	memset(&dev->smp, 0, sizeof(dev->smp));
	memset(&dev->storage, 0, sizeof(dev->storage));
	if (sim_img_reboot(&dev->img, &dev->last_boot) != 0) {
		dev->img.bootable = false;
	}
	/*
	 * a recovery build stays in its serial recovery while there is nothing valid to boot;
	 * a reset into the bootloader stays there once (the retention boot mode is cleared)
	 */
	dev->in_recovery = to_recovery || (dev->cfg.recovery && !dev->img.bootable);
	sim_settings_reboot(dev);
	sim_fs_reboot(dev);
}

int sim_device_suspend(struct sim_device *dev, uint64_t now_us)
{
	int err = sim_fs_close_idle(dev);

	return err ? err : sim_ram_suspend(dev, now_us);
}

int sim_device_power_on(struct sim_device *dev, uint64_t now_us)
{
	int err;

	if (!dev->state_dir) {
		return 0;
	}
	err = sim_ram_forget(dev);
	if (err) {
		return err;
	}
	if (dev->ram_kept) {
		return 0;
	}
	sim_device_reboot(dev, now_us);
	/* the recovery pin is held at power-on: the bootloader stays in its serial recovery */
	dev->in_recovery = dev->in_recovery || dev->cfg.recovery;
	return 1;
}

struct sim_flash *sim_device_flash(struct sim_device *dev)
{
	return &dev->img.flash;
}

const struct sim_boot_result *sim_device_last_boot(const struct sim_device *dev)
{
	return &dev->last_boot;
}

bool sim_device_bootable(const struct sim_device *dev)
{
	return dev->img.bootable || dev->in_recovery;
}

bool sim_device_in_recovery(const struct sim_device *dev)
{
	return dev->in_recovery;
}

bool sim_device_in_loader(const struct sim_device *dev)
{
	return dev->img.boot.loader;
}

uint64_t sim_device_busy_us(const struct sim_device *dev)
{
	return dev->busy_us;
}

uint64_t sim_device_uptime_us(const struct sim_device *dev, uint64_t now_us)
{
	return dev->uptime_base_us + (now_us > dev->boot_us ? now_us - dev->boot_us : 0);
}

const struct sim_group *const *sim_device_groups(size_t *count)
{
	*count = sizeof(groups) / sizeof(groups[0]);
	return groups;
}

void sim_device_free(struct sim_device *dev)
{
	sim_fs_free(dev);
	sim_settings_free(dev);
	sim_img_close(&dev->img);
	free(dev->state_dir);
	memset(dev, 0, sizeof(*dev));
}

const struct sim_device_config *sim_device_config(const struct sim_device *dev)
{
	return &dev->cfg;
}

const struct sim_device_stats *sim_device_stats(const struct sim_device *dev)
{
	return &dev->stats;
}

static const struct sim_group *find_group(uint16_t id)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (groups[i]->id == id) {
			return groups[i];
		}
	}
	return NULL;
}

static sim_handler_fn find_handler(const struct sim_group *group, uint8_t id, uint8_t op)
{
	for (size_t i = 0; group && i < group->count; i++) {
		if (group->handlers[i].id == id) {
			return op == DFU_SMP_OP_READ    ? group->handlers[i].read
			       : op == DFU_SMP_OP_WRITE ? group->handlers[i].write
						    : NULL;
		}
	}
	return NULL;
}

/* True if every key of @p map is a definite-length text string. */
static bool text_keys(const cbor_item_t *map)
{
	const struct cbor_pair *pairs = cbor_map_handle(map);

	for (size_t i = 0; i < cbor_map_size(map); i++) {
		if (!cbor_isa_string(pairs[i].key) || !cbor_string_is_definite(pairs[i].key)) {
			return false;
		}
	}
	return true;
}

static void write_err_map(struct dfu_smp_mgmt_cbor_writer *w, uint16_t group, int rc)
{
	dfu_smp_mgmt_cbor_text(w, "err");
	dfu_smp_mgmt_cbor_map_indef(w);
	dfu_smp_mgmt_cbor_text(w, "group");
	dfu_smp_mgmt_cbor_uint(w, group);
	dfu_smp_mgmt_cbor_text(w, "rc");
	dfu_smp_mgmt_cbor_uint(w, (uint64_t)rc);
	dfu_smp_mgmt_cbor_break(w);
}

void sim_req_group_err(struct sim_req *req, int rc)
{
	req->group_err = rc;
	if (req->version >= DFU_SMP_PROTO_V2 && !req->dev->cfg.v1_only) {
		write_err_map(req->rsp, req->group, rc);
	}
}

/*
 * Decodes the payload and runs the command's handler; returns its result code. A group error
 * the handler wrote itself (sim_req_group_err()) is returned in @p kept_err when it stays in
 * the answer, or as SIM_GROUP_ERR() when a version 1 answer needs it folded.
 */
static int run_handler(struct sim_device *dev, const struct dfu_smp_hdr *hdr,
		       const uint8_t *payload, struct dfu_smp_mgmt_cbor_writer *w, uint64_t now_us,
		       int *kept_err)
{
	const struct sim_group *group = find_group(hdr->group);
	sim_handler_fn fn = find_handler(group, hdr->id, hdr->op);
	char why[120];
	cbor_item_t *root;
	size_t n;
	int rc;

	if (!fn) {
		return DFU_SMP_MGMT_ERR_ENOTSUP;
	}
	/* Zephyr's decoder reads the first item and ignores what follows it */
	root = hdr->len ? dfu_smp_mgmt_cbor_load_first(payload, hdr->len, &n, why, sizeof(why))
			: NULL;
	{
		struct sim_req req = {
			.dev = dev,
			.op = hdr->op,
			.version = hdr->version,
			.map = root,
			.keys_ok = root && cbor_isa_map(root) && text_keys(root),
			.rsp = w,
			.now_us = now_us,
			.group = hdr->group,
		};

		rc = fn(&req);
		if (rc == 0 && req.group_err) {
			if (req.version >= DFU_SMP_PROTO_V2 && !dev->cfg.v1_only) {
				*kept_err = req.group_err;
			} else {
				rc = SIM_GROUP_ERR(req.group_err);
			}
		}
	}
	if (root) {
		cbor_decref(&root);
	}
	return rc;
}

static void write_error(struct dfu_smp_mgmt_cbor_writer *w, uint16_t group, uint8_t version, int rc)
{
	if (!(rc & SIM_GROUP_ERR(0))) {
		dfu_smp_mgmt_cbor_text(w, "rc");
		dfu_smp_mgmt_cbor_int(w, rc);
		return;
	}
	rc &= 0xffff;
	if (version >= DFU_SMP_PROTO_V2) {
		write_err_map(w, group, rc);
	} else {
		const struct sim_group *g = find_group(group);

		dfu_smp_mgmt_cbor_text(w, "rc");
		dfu_smp_mgmt_cbor_int(w,
				      g && g->fold_v1 ? g->fold_v1(rc) : DFU_SMP_MGMT_ERR_EUNKNOWN);
	}
}

/*
 * Answers one message; @p corrupt when its header claims more bytes than arrived. Returns the
 * response's length in @p out; *stop when the answer is an error of the SMP layer (`rc`), after
 * which Zephyr handles no more messages of the same unit (a group error lets it go on).
 */
static size_t answer(struct sim_device *dev, const struct dfu_smp_hdr *hdr, const uint8_t *payload,
		     bool corrupt, uint8_t *out, size_t cap, uint64_t now_us, bool *stop)
{
	struct dfu_smp_hdr rsp = *hdr;
	struct dfu_smp_mgmt_cbor_writer w;
	int kept_err = 0;
	int rc;

	rsp.op = dfu_smp_hdr_rsp_op(hdr->op);
	rsp.flags = 0;
	if (dev->cfg.v1_only) {
		rsp.version = DFU_SMP_PROTO_V1;
	} else if (hdr->version > DFU_SMP_PROTO_V2) {
		rsp.version = DFU_SMP_PROTO_V2;
	}

	dfu_smp_mgmt_cbor_writer_init(&w, out + DFU_SMP_HDR_SIZE, cap - DFU_SMP_HDR_SIZE);
	dfu_smp_mgmt_cbor_map_indef(&w);
	if (corrupt) {
		rc = DFU_SMP_MGMT_ERR_ECORRUPT;
	} else if (!dev->cfg.v1_only && hdr->version > DFU_SMP_PROTO_V2) {
		rc = DFU_SMP_MGMT_ERR_UNSUPPORTED_TOO_NEW;
	} else if (hdr->op != DFU_SMP_OP_READ && hdr->op != DFU_SMP_OP_WRITE) {
		rc = DFU_SMP_MGMT_ERR_ENOTSUP;
	} else {
		rc = run_handler(dev, hdr, payload, &w, now_us, &kept_err);
	}
	if (rc == 0) {
		dfu_smp_mgmt_cbor_break(&w);
	}
	if (rc != 0 || w.overflow) {
		if (rc == 0) {
			rc = DFU_SMP_MGMT_ERR_EMSGSIZE;
		}
		dfu_smp_mgmt_cbor_writer_init(&w, out + DFU_SMP_HDR_SIZE, cap - DFU_SMP_HDR_SIZE);
		dfu_smp_mgmt_cbor_map_indef(&w);
		write_error(&w, hdr->group, rsp.version, rc);
		dfu_smp_mgmt_cbor_break(&w);
	}
	*stop = rc != 0 && !(rc & SIM_GROUP_ERR(0));
	rsp.len = (uint16_t)w.len;
	dfu_smp_hdr_encode(&rsp, out);
	dev->smp.tx_msgs++;
	dev->smp.tx_bytes += (uint32_t)(DFU_SMP_HDR_SIZE + w.len);
	if (rc != 0 || kept_err != 0) {
		dev->smp.errors++;
	}
	return DFU_SMP_HDR_SIZE + w.len;
}

void sim_device_receive(struct sim_device *dev, const uint8_t *unit, size_t len, uint64_t now_us,
			sim_device_emit_fn emit, void *ctx)
{
	size_t cap = dev->cfg.buf_size;
	uint8_t *out;

	if (dev->in_recovery) {
		sim_recovery_receive(dev, unit, len, now_us, emit, ctx);
		return;
	}
	dev->busy_us = 0;
	/* a device whose bootloader found nothing to run has no SMP server */
	if (len < DFU_SMP_HDR_SIZE || len > dev->cfg.buf_size || !dev->img.bootable) {
		dev->stats.dropped++;
		return;
	}
	out = malloc(cap);
	if (!out) {
		dev->stats.dropped++;
		return;
	}
	while (len >= DFU_SMP_HDR_SIZE) {
		struct dfu_smp_hdr hdr;
		bool corrupt, stop;
		size_t n;

		dfu_smp_hdr_decode(unit, len, &hdr);
		corrupt = DFU_SMP_HDR_SIZE + (size_t)hdr.len > len;
		dev->stats.requests++;
		dev->smp.rx_msgs++;
		n = corrupt ? len : DFU_SMP_HDR_SIZE + hdr.len;
		dev->smp.rx_bytes += (uint32_t)n;
		if (n > dev->smp.rx_max) {
			dev->smp.rx_max = (uint32_t)n;
		}
		n = answer(dev, &hdr, unit + DFU_SMP_HDR_SIZE, corrupt, out, cap, now_us, &stop);
		emit(ctx, out, n);
		if (stop) {
			break;
		}
		unit += DFU_SMP_HDR_SIZE + hdr.len;
		len -= DFU_SMP_HDR_SIZE + hdr.len;
	}
	free(out);
}
