/* SPDX-License-Identifier: Apache-2.0 */
#include "serial_link.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/mgmt/img.h>
#include <dfu-smp/smp/header.h>
#include "profile.h"

#define DEFAULT_RX_BUFS 2u
#define DEFAULT_RX_BUF_SIZE 128u
/* base64 decoding and the CRC of a line on a Cortex-M4/M33, and handing it on */
#define DEFAULT_LINE_US 20u
#define DEFAULT_LINE_BYTE_NS 250u
#define DEFAULT_HOST_WRITE 64u
#define DEFAULT_PROCESS_US 1000u
#define BITS_PER_BYTE 10u /* 8N1: a start bit, 8 data bits, a stop bit */

/* A unit the device receives in one buffer: a line, a COBS frame, a raw write. */
struct sim_serial_unit {
	struct sim_serial_unit *next;
	struct sim_serial_link *link;
	bool kept;     /* it found a receive buffer */
	size_t len;
	uint8_t *data; /* rx_buf_size bytes */
};

enum job_kind { JOB_UNIT, JOB_REQUEST };

/* Work for the device's SMP thread. */
struct sim_serial_job {
	struct sim_serial_job *next;
	enum job_kind kind;
	struct sim_serial_unit *unit; /* JOB_UNIT */
	uint8_t *data;                /* JOB_REQUEST: the request, then the framed answers */
	size_t len;
	size_t cap;
};

void sim_serial_config_defaults(struct sim_serial_config *cfg)
{
	if (!cfg->rx_bufs) {
		cfg->rx_bufs = DEFAULT_RX_BUFS;
	}
	if (!cfg->rx_buf_size) {
		cfg->rx_buf_size = DEFAULT_RX_BUF_SIZE;
	}
	if (!cfg->line_us) {
		cfg->line_us = DEFAULT_LINE_US;
	}
	if (!cfg->line_byte_ns) {
		cfg->line_byte_ns = DEFAULT_LINE_BYTE_NS;
	}
	if (!cfg->process_us) {
		cfg->process_us = DEFAULT_PROCESS_US;
	}
	if (!cfg->host_write) {
		cfg->host_write = DEFAULT_HOST_WRITE;
	}
	if (!cfg->line_max) {
		cfg->line_max = DFU_SMP_SERIAL_LINE_MAX_DEFAULT;
	}
}

uint64_t sim_serial_wire_us(uint32_t baud, uint64_t bytes)
{
	if (!baud) {
		return 0;
	}
	return (bytes * BITS_PER_BYTE * 1000000u + baud - 1u) / baud;
}

uint64_t sim_serial_link_time_us(const struct sim_serial_config *cfg, uint64_t bytes)
{
	if (cfg->baud) {
		return sim_serial_wire_us(cfg->baud, bytes);
	}
	return (bytes + cfg->host_write - 1u) / cfg->host_write * cfg->write_us;
}

static uint64_t unit_us(const struct sim_serial_config *cfg, size_t len)
{
	return cfg->line_us + ((uint64_t)len * cfg->line_byte_ns + 999u) / 1000u;
}

/* ---- the device's SMP thread ---- */

static void thread_next(struct sim_serial_link *link, uint64_t now_us);

static void job_append(struct sim_serial_link *link, struct sim_serial_job *job)
{
	struct sim_serial_job **p = &link->jobs;

	while (*p) {
		p = &(*p)->next;
	}
	*p = job;
	thread_next(link, sim_sched_now(link->sched));
}

static void unit_forget(struct sim_serial_link *link, struct sim_serial_unit *u)
{
	struct sim_serial_unit **p;

	for (p = &link->units; *p && *p != u; p = &(*p)->next) {
	}
	if (*p) {
		*p = u->next;
	}
	free(u->data);
	free(u);
}

/* A whole message from the framing's decoder: it takes an SMP buffer, or is dropped. */
static void on_request(void *ctx, const uint8_t *msg, size_t len)
{
	struct sim_serial_link *link = ctx;
	struct sim_serial_job *job;

	link->stats.requests++;
	job = link->smp_used < sim_device_config(link->dev)->buf_count ? calloc(1, sizeof(*job))
								      : NULL;
	if (job && !(job->data = malloc(len ? len : 1))) {
		free(job);
		job = NULL;
	}
	if (!job) {
		link->stats.dropped++;
		return;
	}
	job->kind = JOB_REQUEST;
	memcpy(job->data, msg, len);
	job->len = job->cap = len;
	link->smp_used++;
	job_append(link, job);
}

static void feed(struct sim_serial_link *link, const uint8_t *data, size_t len, uint64_t now_us)
{
	switch (link->cfg.framing) {
	case SIM_SERIAL_RAW:
		dfu_smp_raw_decoder_feed(&link->raw, data, len, now_us / 1000u);
		break;
	case SIM_SERIAL_COBS:
		dfu_smp_cobs_decoder_feed(&link->cobs, data, len);
		break;
	default:
		dfu_smp_serial_decoder_feed(&link->dec, data, len);
		break;
	}
}

/* The request being handled. */
struct handling {
	struct sim_serial_link *link;
	struct sim_serial_job *job;
};

/* The answers to the request being handled, framed, collected in its job. */
static void collect_answer(void *ctx, const uint8_t *msg, size_t len)
{
	struct sim_serial_job *job = ((struct handling *)ctx)->job;
	struct sim_serial_link *link = ((struct handling *)ctx)->link;
	size_t need = dfu_smp_serial_lines(len, link->cfg.line_max) * link->cfg.line_max +
		      DFU_SMP_COBS_FRAME_MAX(len) + len;
	uint8_t *grown;
	int n;

	if (job->cap - job->len < need) {
		grown = realloc(job->data, job->len + need);
		if (!grown) {
			return;
		}
		job->data = grown;
		job->cap = job->len + need;
	}
	link->stats.answers++;
	if (link->cfg.framing == SIM_SERIAL_RAW) {
		memcpy(job->data + job->len, msg, len);
		job->len += len;
	} else if (link->cfg.framing == SIM_SERIAL_COBS) {
		n = dfu_smp_cobs_frame(msg, len, job->data + job->len, job->cap - job->len);
		job->len += n > 0 ? (size_t)n : 0;
	} else {
		struct dfu_smp_serial_encoder enc;

		if (dfu_smp_serial_encoder_init(&enc, msg, len, link->cfg.line_max) == 0) {
			while ((n = dfu_smp_serial_encoder_next(&enc, job->data + job->len,
							    job->cap - job->len)) > 0) {
				job->len += (size_t)n;
			}
		}
	}
}

static void job_done(void *ctx, uint64_t now_us)
{
	struct sim_serial_link *link = ctx;
	struct sim_serial_job *job = link->jobs;

	link->jobs = job->next;
	link->busy = false;
	if (job->kind == JOB_UNIT) {
		link->rx_used--;
		feed(link, job->unit->data, job->unit->len, now_us);
		unit_forget(link, job->unit);
	} else {
		link->smp_used -= 2u; /* the request's buffer and its answer's */
		link->stats.bytes_to_host += job->len;
		if (job->len && link->rx) {
			link->rx(link->rx_ctx, job->data, job->len, now_us);
		}
		free(job->data);
	}
	free(job);
	thread_next(link, now_us);
}

/* The SMP thread takes its next job, if it is free. */
static void thread_next(struct sim_serial_link *link, uint64_t now_us)
{
	struct sim_serial_job *job = link->jobs;
	uint64_t took;

	if (link->busy || !job) {
		return;
	}
	link->busy = true;
	if (job->kind == JOB_UNIT) {
		took = unit_us(&link->cfg, job->unit->len);
	} else {
		struct handling h = { link, job };
		uint8_t *req = job->data;
		size_t req_len = job->len;

		job->data = NULL;
		job->len = job->cap = 0;
		link->smp_used++; /* the answer's buffer */
		sim_device_receive(link->dev, req, req_len, now_us, collect_answer, &h);
		free(req);
		took = link->cfg.process_us + sim_device_busy_us(link->dev) +
		       sim_serial_wire_us(link->cfg.baud, job->len);
	}
	sim_sched_at(link->sched, now_us + took, job_done, link);
}

/* ---- the wire and the receive buffers ---- */

/* The first byte of @p ctx arrived: the interrupt takes a receive buffer, or loses the unit. */
static void unit_starts(void *ctx, uint64_t now_us)
{
	struct sim_serial_unit *u = ctx;
	struct sim_serial_link *link = u->link;

	(void)now_us;
	link->stats.units++;
	if (link->rx_used >= link->cfg.rx_bufs) {
		link->stats.units_lost++;
		return;
	}
	u->kept = true;
	link->rx_used++;
	if (link->rx_used > link->stats.most_rx_bufs) {
		link->stats.most_rx_bufs = link->rx_used;
	}
}

/* The last byte of @p ctx arrived: a kept unit goes to the SMP thread. */
static void unit_ends(void *ctx, uint64_t now_us)
{
	struct sim_serial_unit *u = ctx;
	struct sim_serial_link *link = u->link;
	struct sim_serial_job *job;

	(void)now_us;
	if (!u->kept || !(job = calloc(1, sizeof(*job)))) {
		if (u->kept) {
			link->rx_used--;
		}
		unit_forget(link, u);
		return;
	}
	job->kind = JOB_UNIT;
	job->unit = u;
	job_append(link, job);
}

static bool unit_full(const struct sim_serial_link *link, const struct sim_serial_unit *u)
{
	uint8_t last = u->data[u->len - 1];

	return u->len >= link->cfg.rx_buf_size ||
	       (link->cfg.framing == SIM_SERIAL_CONSOLE && last == '\n') ||
	       (link->cfg.framing == SIM_SERIAL_COBS && last == 0x00);
}

int sim_serial_link_write(struct sim_serial_link *link, const uint8_t *data, size_t len)
{
	uint64_t now = sim_sched_now(link->sched);

	if (sim_serial_link_drained_us(link) <= now) {
		link->burst_us = now; /* the wire was idle: a new burst */
		link->burst_bytes = 0;
	}
	link->stats.bytes_to_device += len;
	for (size_t i = 0; i < len; i++) {
		struct sim_serial_unit *u = link->open;
		uint64_t at = link->burst_us + sim_serial_link_time_us(&link->cfg,
								       ++link->burst_bytes);

		if (!u) {
			u = calloc(1, sizeof(*u));
			if (!u || !(u->data = malloc(link->cfg.rx_buf_size))) {
				free(u);
				return -ENOMEM;
			}
			u->link = link;
			u->next = link->units;
			link->units = u;
			link->open = u;
			sim_sched_at(link->sched, at, unit_starts, u);
		}
		u->data[u->len++] = data[i];
		if (unit_full(link, u) || (link->cfg.framing == SIM_SERIAL_RAW && i + 1 == len)) {
			link->open = NULL;
			sim_sched_at(link->sched, at, unit_ends, u);
		}
	}
	return 0;
}

uint64_t sim_serial_link_drained_us(const struct sim_serial_link *link)
{
	uint64_t t = link->burst_us + sim_serial_link_time_us(&link->cfg, link->burst_bytes);
	uint64_t now = sim_sched_now(link->sched);

	return t > now ? t : now;
}

int sim_serial_link_init(struct sim_serial_link *link, struct sim_sched *sched,
			 struct sim_device *dev, const struct sim_serial_config *cfg,
			 sim_serial_rx_fn rx, void *ctx)
{
	size_t buf_size = sim_device_config(dev)->buf_size;

	memset(link, 0, sizeof(*link));
	link->sched = sched;
	link->dev = dev;
	if (cfg) {
		link->cfg = *cfg;
	}
	sim_serial_config_defaults(&link->cfg);
	link->rx = rx;
	link->rx_ctx = ctx;
	link->msg = malloc(buf_size + DFU_SMP_COBS_CRC_SIZE);
	if (!link->msg) {
		return -ENOMEM;
	}
	/* what a packet of the device's SMP buffer holds: the message and its CRC */
	dfu_smp_serial_decoder_init(&link->dec, link->msg, dfu_smp_serial_msg_max(buf_size) + 2u,
				link->cfg.rx_buf_size, on_request, link);
	dfu_smp_raw_decoder_init(&link->raw, link->msg, buf_size, DFU_SMP_RAW_TIMEOUT_DEFAULT_MS,
			     on_request, link);
	dfu_smp_cobs_decoder_init(&link->cobs, link->msg, buf_size + DFU_SMP_COBS_CRC_SIZE,
				  on_request, link);
	return 0;
}

void sim_serial_link_free(struct sim_serial_link *link)
{
	while (link->units) {
		struct sim_serial_unit *u = link->units;

		link->units = u->next;
		sim_sched_cancel(link->sched, unit_starts, u);
		sim_sched_cancel(link->sched, unit_ends, u);
		free(u->data);
		free(u);
	}
	sim_sched_cancel(link->sched, job_done, link);
	while (link->jobs) {
		struct sim_serial_job *job = link->jobs;

		link->jobs = job->next;
		free(job->data);
		free(job);
	}
	free(link->msg);
	link->msg = NULL;
}

const struct sim_serial_stats *sim_serial_link_stats(const struct sim_serial_link *link)
{
	return &link->stats;
}

size_t sim_serial_framed_size(enum sim_serial_framing framing, const uint8_t *msg, size_t len,
			      size_t line_max, size_t rx_buf_size, size_t *units)
{
	size_t bytes = 0, count = 0;

	if (framing == SIM_SERIAL_CONSOLE) {
		struct dfu_smp_serial_encoder enc;
		uint8_t line[DFU_SMP_SERIAL_LINE_MAX_DEFAULT * 8u];
		int n;

		if (line_max > sizeof(line) ||
		    dfu_smp_serial_encoder_init(&enc, msg, len, line_max) != 0) {
			return 0;
		}
		while ((n = dfu_smp_serial_encoder_next(&enc, line, sizeof(line))) > 0) {
			bytes += (size_t)n;
			count++;
		}
	} else {
		uint8_t *out = NULL;
		int n = (int)len;

		if (framing == SIM_SERIAL_COBS) {
			out = malloc(DFU_SMP_COBS_FRAME_MAX(len));
			n = out ? dfu_smp_cobs_frame(msg, len, out, DFU_SMP_COBS_FRAME_MAX(len))
				: -ENOMEM;
			free(out);
		} else if (dfu_smp_raw_msg_len(msg, len) < 0) {
			n = -EINVAL;
		}
		if (n <= 0) {
			return 0;
		}
		bytes = (size_t)n;
		count = rx_buf_size ? (bytes + rx_buf_size - 1u) / rx_buf_size : 1u;
	}
	if (units) {
		*units = count;
	}
	return bytes;
}

/* ---- profiles and the bound ---- */

/* USB full speed: at most 19 bulk packets of 64 bytes in a 1-ms frame */
#define USB_FS_PACKET_US 53u

static const struct sim_serial_profile profiles[] = {
	{
		.name = "uart-115200",
		.summary = "UART at 115200 baud, Zephyr's defaults: 2 x 128 receive lines, 4 x 384 "
			   "SMP buffers, nRF52840 erasing as it goes",
		.link = { .baud = 115200, .rx_bufs = 2, .rx_buf_size = 128 },
		.buf_size = 384,
		.buf_count = 4,
		.flash = &SIM_FLASH_NRF52840,
		.progressive_erase = true,
		.slot_size = 0x80000,
	},
	{
		.name = "uart-115200-raw",
		.summary = "uart-115200 with the raw framing (bare SMP messages)",
		.link = { .baud = 115200,
			  .rx_bufs = 2,
			  .rx_buf_size = 128,
			  .framing = SIM_SERIAL_RAW },
		.buf_size = 384,
		.buf_count = 4,
		.flash = &SIM_FLASH_NRF52840,
		.progressive_erase = true,
		.slot_size = 0x80000,
	},
	{
		.name = "uart-115200-cobs",
		.summary = "uart-115200 with the COBS framing",
		.link = { .baud = 115200,
			  .rx_bufs = 2,
			  .rx_buf_size = 128,
			  .framing = SIM_SERIAL_COBS },
		.buf_size = 384,
		.buf_count = 4,
		.flash = &SIM_FLASH_NRF52840,
		.progressive_erase = true,
		.slot_size = 0x80000,
	},
	{
		.name = "uart-1m-bigrx",
		.summary =
			"UART at 1 Mbaud, 32 x 512 receive lines, 4 x 2048 SMP buffers, nRF52840",
		.link = { .baud = 1000000, .rx_bufs = 32, .rx_buf_size = 512 },
		.buf_size = 2048,
		.buf_count = 4,
		.flash = &SIM_FLASH_NRF52840,
		.progressive_erase = true,
		.slot_size = 0x80000,
	},
	{
		.name = "usb-cdc",
		.summary =
			"USB CDC-ACM full speed (no baud rate), Zephyr's defaults: 2 x 128 receive lines, "
			"4 x 384 SMP buffers, nRF52840",
		.link = { .baud = 0,
			  .write_us = USB_FS_PACKET_US,
			  .rx_bufs = 2,
			  .rx_buf_size = 128 },
		.buf_size = 384,
		.buf_count = 4,
		.flash = &SIM_FLASH_NRF52840,
		.progressive_erase = true,
		.slot_size = 0x80000,
	},
	{
		.name = "usb-cdc-fast",
		.summary = "USB CDC-ACM, 16 x 512 receive lines, 4 x 4096 SMP buffers, nRF52840",
		.link = { .baud = 0,
			  .write_us = USB_FS_PACKET_US,
			  .rx_bufs = 16,
			  .rx_buf_size = 512 },
		.buf_size = 4096,
		.buf_count = 4,
		.flash = &SIM_FLASH_NRF52840,
		.progressive_erase = true,
		.slot_size = 0x80000,
	},
	{
		.name = "mcuboot-recovery",
		.summary = "MCUboot serial recovery at 115200 baud: 8 receive lines, 1024-byte "
			   "receive limit, one request at a time, nRF52840",
		.link = { .baud = 115200, .rx_bufs = 8, .rx_buf_size = 128 },
		.buf_size = 1024,
		.buf_count = 1,
		.flash = &SIM_FLASH_NRF52840,
		.progressive_erase = true,
		.slot_size = 0x80000,
	},
};

const struct sim_serial_profile *sim_serial_profile_find(const char *name)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		if (strcmp(profiles[i].name, name) == 0) {
			return &profiles[i];
		}
	}
	return NULL;
}

const struct sim_serial_profile *sim_serial_profiles(size_t *count)
{
	*count = sizeof(profiles) / sizeof(profiles[0]);
	return profiles;
}

void sim_serial_profile_apply(const struct sim_serial_profile *profile,
			      struct sim_device_config *dev)
{
	dev->buf_size = profile->buf_size;
	dev->buf_count = profile->buf_count;
	dev->img.flash = profile->flash;
	dev->img.progressive_erase = profile->progressive_erase;
	if (!dev->img.slot_size) {
		dev->img.slot_size = profile->slot_size;
	}
}

size_t sim_serial_profile_max_request(const struct sim_serial_profile *profile)
{
	/* what a client sizes requests by: the SMP buffer less the serial packet's own bytes */
	return dfu_smp_serial_msg_max(profile->buf_size);
}

/*
 * The wire time no client can use while the device erases: the SMP thread hands on no unit
 * while it handles a request, so while it erases a page no more than the receive buffers'
 * bytes (rx_bufs of rx_buf_size) can arrive and be kept; the rest of the erase and of the
 * request's handling the wire carries nothing that counts. With requests no larger than a
 * page, erasing as it goes, each page is erased in a request of its own; erasing the slot at
 * once, in one request.
 */
static uint64_t erase_stall_us(const struct sim_serial_profile *profile,
			       const struct sim_serial_config *cfg, size_t image_size,
			       size_t request)
{
	const struct sim_flash_timing *flash = profile->flash;
	uint64_t pages, covered, busy;

	if (!flash->erase_needed || flash->skip_blank || !flash->page_size) {
		return 0;
	}
	pages = (image_size + flash->page_size - 1u) / flash->page_size;
	covered = sim_serial_link_time_us(cfg, (uint64_t)cfg->rx_bufs * cfg->rx_buf_size);
	if (!profile->progressive_erase) {
		busy = pages * flash->erase_page_us + cfg->process_us;
		return busy > covered ? busy - covered : 0;
	}
	if (request > flash->page_size) {
		return 0; /* a request may erase more than one page: left out, to stay a bound */
	}
	busy = (uint64_t)flash->erase_page_us + cfg->process_us;
	return busy > covered ? pages * (busy - covered) : 0;
}

int sim_serial_bound(const struct sim_serial_profile *profile, size_t image_size,
		     struct sim_serial_bound *out)
{
	static const uint8_t sha[32];
	struct sim_serial_config cfg = profile->link;
	size_t request = sim_serial_profile_max_request(profile);
	uint8_t *buf = malloc(request);
	uint8_t *data = calloc(1, request); /* what the data is does not change its length */
	size_t off = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	sim_serial_config_defaults(&cfg);
	out->request_size = request;
	if (!buf || !data) {
		err = -ENOMEM;
	}
	while (!err && off < image_size) {
		struct dfu_smp_request req;
		size_t n =
			sim_profile_upload_request(&req, buf, request, data, off, image_size, sha);
		struct dfu_smp_hdr hdr = { .version = 2 };
		size_t units = 0, framed;

		if (n == 0) {
			err = -EMSGSIZE;
			break;
		}
		hdr.op = req.op;
		hdr.len = (uint16_t)req.len;
		hdr.group = req.group;
		hdr.id = req.id;
		dfu_smp_hdr_encode(&hdr, buf); /* the raw framing reads the length from it */
		framed = sim_serial_framed_size(cfg.framing, buf, DFU_SMP_HDR_SIZE + req.len,
						DFU_SMP_SERIAL_LINE_MAX_DEFAULT, cfg.rx_buf_size,
						&units);
		out->framed_bytes += framed;
		out->units += (uint32_t)units;
		out->device_us += units * (uint64_t)cfg.line_us +
				  (framed * (uint64_t)cfg.line_byte_ns + 999u) / 1000u +
				  cfg.process_us;
		out->requests++;
		off += n;
	}
	free(buf);
	free(data);
	out->flash_us = sim_profile_flash_us(profile->flash, image_size);
	out->device_us += out->flash_us;
	out->wire_us = sim_serial_link_time_us(&cfg, out->framed_bytes);
	out->stall_us = erase_stall_us(profile, &cfg, image_size, request);
	out->bound_us = out->wire_us + out->stall_us > out->device_us
				? out->wire_us + out->stall_us
				: out->device_us;
	return err;
}
