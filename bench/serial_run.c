/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One upload over the simulated serial link (sim/serial_link.h) in virtual time: the real SMP
 * client and upload engine on a host port that frames requests as the profile's framing says
 * and writes them to the link as the strategy says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/serial_link.h"
#include <dfu-smp/smp/header.h>
#include <dfu-smp/smp/serial_pace.h>
#include "run.h"

#define TRIES 3u            /* what a serial port sends a request in all (ports/conn_serial.c) */
#define PACE_LINES 2u       /* ports/conn_serial.c: lines before a pause, by default */
#define PACE_MS 3u          /* ports/conn_serial.c: the device's time past the bytes' own */
#define PACE_BAUD 115200u   /* ports/conn_serial.c's baud rate when none is given */
#define TX_REQUESTS 16u     /* requests the host's queue holds at once */

struct host {
	struct sim_sched sched;
	struct sim_device dev;
	struct sim_serial_link link;
	struct dfu_smp_client client;
	const struct sim_serial_profile *profile;
	bool paced;
	bool adaptive;           /* smp/serial_pace.c decides, as in ports/conn_serial.c */
	struct dfu_smp_serial_pace pace;
	uint32_t pace_baud;
	uint8_t *tx;
	size_t tx_cap, tx_head, tx_len;
	size_t tx_frame_left;    /* adaptive, raw and COBS: bytes left of the frame at tx_head */
	bool blocked;            /* a send said -EAGAIN */
	unsigned burst_lines;    /* the pacing of ports/conn_serial.c, in virtual time */
	size_t burst_bytes;
	uint64_t drained_ms;
	uint64_t resume_ms;
	uint32_t sent;           /* requests the client sent, resends included */
	uint32_t answers;        /* answers that came back whole */
	struct dfu_smp_serial_decoder dec;
	struct dfu_smp_raw_decoder raw;
	struct dfu_smp_cobs_decoder cobs;
	uint8_t msg[DFU_SMP_MSG_MAX + 2u];
};

static uint64_t now_ms(const struct host *h)
{
	return sim_sched_now(&h->sched) / 1000u;
}

/* ports/conn_serial.c's pause: the burst's bytes at the baud rate, and PACE_MS. */
static uint64_t pace_ms(const struct host *h, size_t bytes)
{
	return ((uint64_t)bytes * 10000u + h->pace_baud - 1u) / h->pace_baud + PACE_MS;
}

static void tx_write(struct host *h);

static void resume(void *ctx, uint64_t now_us)
{
	(void)now_us;
	tx_write(ctx);
}

/* Where the burst may go up to: the line that fills it, or the end of the queue. */
static size_t burst_end(const struct host *h)
{
	unsigned lines = h->burst_lines;

	if (!h->paced || h->profile->link.framing != SIM_SERIAL_CONSOLE) {
		return h->tx_len;
	}
	for (size_t i = h->tx_head; i < h->tx_len; i++) {
		if (h->tx[i] == '\n' && ++lines >= PACE_LINES) {
			return i + 1;
		}
	}
	return h->tx_len;
}

static void tx_drained(struct host *h)
{
	h->tx_head = h->tx_len = h->tx_frame_left = 0;
	if (h->blocked) {
		h->blocked = false;
		dfu_smp_client_transport_ready(&h->client);
	}
}

/* The raw message or COBS frame that starts the @p avail bytes at @p p: its length. */
static size_t frame_len(enum sim_serial_framing framing, const uint8_t *p, size_t avail)
{
	const uint8_t *z;

	if (framing == SIM_SERIAL_RAW) {
		size_t len = avail >= DFU_SMP_HDR_SIZE
				     ? DFU_SMP_HDR_SIZE + ((size_t)p[2] << 8 | p[3])
				     : avail;

		return len < avail ? len : avail;
	}
	z = memchr(p, 0x00, avail);
	return z ? (size_t)(z - p) + 1u : avail;
}

/*
 * Adaptive: one line (raw and COBS: one piece of a frame, dfu_smp_serial_pace_piece()) at a
 * time when the pacer lets it go, the port taking every write whole.
 */
static void tx_write_adaptive(struct host *h)
{
	uint64_t now = sim_sched_now(&h->sched);
	bool console = h->profile->link.framing == SIM_SERIAL_CONSOLE;

	while (h->tx_head < h->tx_len) {
		uint64_t next = dfu_smp_serial_pace_next_us(&h->pace, now);
		size_t end;

		if (next > now) {
			if (next != UINT64_MAX) {
				sim_sched_cancel(&h->sched, resume, h);
				sim_sched_at(&h->sched, next, resume, h);
			}
			return; /* an answer (on_answer()) or the time writes on */
		}
		if (console) {
			const uint8_t *nl =
				memchr(h->tx + h->tx_head, '\n', h->tx_len - h->tx_head);

			end = nl ? (size_t)(nl - h->tx) + 1u : h->tx_len;
		} else {
			if (!h->tx_frame_left) {
				h->tx_frame_left = frame_len(h->profile->link.framing,
							     h->tx + h->tx_head,
							     h->tx_len - h->tx_head);
			}
			end = h->tx_head + dfu_smp_serial_pace_piece(h->tx_frame_left);
			h->tx_frame_left -= end - h->tx_head;
		}
		if (sim_serial_link_write(&h->link, h->tx + h->tx_head, end - h->tx_head) != 0) {
			return;
		}
		dfu_smp_serial_pace_line_sent(&h->pace, end - h->tx_head, now);
		h->tx_head = end;
	}
	tx_drained(h);
}

/*
 * Writes what the strategy allows now. Unpaced: everything, as fast as the port takes it.
 * Paced: ports/conn_serial.c's rule (tx_write() there), the port taking every write whole.
 */
static void tx_write(struct host *h)
{
	uint64_t now = now_ms(h);

	if (h->adaptive) {
		tx_write_adaptive(h);
		return;
	}

	while (h->tx_head < h->tx_len) {
		size_t end;

		if (h->resume_ms && now < h->resume_ms) {
			break;
		}
		if (now >= h->drained_ms) {
			h->burst_lines = 0;
			h->burst_bytes = 0;
		}
		h->resume_ms = 0;
		end = burst_end(h);
		if (sim_serial_link_write(&h->link, h->tx + h->tx_head, end - h->tx_head) != 0) {
			break;
		}
		for (size_t i = h->tx_head; i < end; i++) {
			h->burst_lines += h->profile->link.framing == SIM_SERIAL_CONSOLE &&
					  h->tx[i] == '\n';
		}
		h->burst_bytes += end - h->tx_head;
		h->tx_head = end;
		if (!h->paced) {
			continue;
		}
		h->drained_ms = now + pace_ms(h, h->burst_bytes);
		if (h->burst_lines >= PACE_LINES) {
			h->resume_ms = h->drained_ms;
			h->burst_lines = 0;
			h->burst_bytes = 0;
		}
	}
	if (h->tx_head == h->tx_len) {
		tx_drained(h);
	} else if (h->resume_ms) {
		sim_sched_at(&h->sched, h->resume_ms * 1000u, resume, h);
	}
}

static int transport_send(void *ctx, const uint8_t *msg, size_t len)
{
	struct host *h = ctx;
	enum sim_serial_framing framing = h->profile->link.framing;
	size_t need = dfu_smp_serial_lines(len, DFU_SMP_SERIAL_LINE_MAX_DEFAULT) *
		      DFU_SMP_SERIAL_LINE_MAX_DEFAULT + DFU_SMP_COBS_FRAME_MAX(len);
	size_t before = h->tx_len;
	int n;

	if (len > sim_serial_profile_max_request(h->profile)) {
		return -EMSGSIZE;
	}
	if (h->tx_cap - h->tx_len < need) {
		h->blocked = true;
		return -EAGAIN;
	}
	if (framing == SIM_SERIAL_RAW) {
		memcpy(h->tx + h->tx_len, msg, len);
		h->tx_len += len;
	} else if (framing == SIM_SERIAL_COBS) {
		n = dfu_smp_cobs_frame(msg, len, h->tx + h->tx_len, h->tx_cap - h->tx_len);
		if (n < 0) {
			return n;
		}
		h->tx_len += (size_t)n;
	} else {
		struct dfu_smp_serial_encoder enc;

		dfu_smp_serial_encoder_init(&enc, msg, len, DFU_SMP_SERIAL_LINE_MAX_DEFAULT);
		while ((n = dfu_smp_serial_encoder_next(&enc, h->tx + h->tx_len,
						    h->tx_cap - h->tx_len)) > 0) {
			h->tx_len += (size_t)n;
		}
	}
	h->sent++;
	if (h->adaptive) {
		size_t framed = h->tx_len - before;

		dfu_smp_serial_pace_request(&h->pace, msg[6],
					    framing == SIM_SERIAL_CONSOLE
						    ? (unsigned)dfu_smp_serial_lines(
							      len, DFU_SMP_SERIAL_LINE_MAX_DEFAULT)
						    : dfu_smp_serial_pace_pieces(framed),
					    sim_sched_now(&h->sched));
	}
	tx_write(h);
	return 0;
}

static size_t transport_max_size(void *ctx)
{
	return sim_serial_profile_max_request(((struct host *)ctx)->profile);
}

static void on_answer(void *ctx, const uint8_t *msg, size_t len)
{
	struct host *h = ctx;

	h->answers++;
	if (h->adaptive && len >= DFU_SMP_HDR_SIZE) {
		dfu_smp_serial_pace_answer(&h->pace, msg[6], sim_sched_now(&h->sched));
	}
	dfu_smp_client_receive(&h->client, msg, len);
	if (h->adaptive) {
		tx_write(h); /* the answer may free the lines waiting */
	}
}

static void host_receive(void *ctx, const uint8_t *data, size_t len, uint64_t now_us)
{
	struct host *h = ctx;

	switch (h->profile->link.framing) {
	case SIM_SERIAL_RAW:
		dfu_smp_raw_decoder_feed(&h->raw, data, len, now_us / 1000u);
		break;
	case SIM_SERIAL_COBS:
		dfu_smp_cobs_decoder_feed(&h->cobs, data, len);
		break;
	default:
		dfu_smp_serial_decoder_feed(&h->dec, data, len);
		break;
	}
}

/* The client and the link in virtual time until @p end is done or nothing more can happen. */
static void run(struct host *h, const struct bench_upload_end *end)
{
	while (!end->done) {
		uint64_t client_ms = dfu_smp_client_deadline(&h->client);
		uint64_t t = sim_sched_next(&h->sched);

		if (client_ms != UINT64_MAX && client_ms * 1000u < t) {
			t = client_ms * 1000u;
		}
		if (t == UINT64_MAX) {
			return;
		}
		if (t < sim_sched_now(&h->sched)) {
			t = sim_sched_now(&h->sched);
		}
		dfu_smp_client_process(&h->client, t / 1000u);
		sim_sched_run_until(&h->sched, t);
	}
}

int bench_serial_run(const char *profile, const char *strategy, const uint8_t *image, size_t size,
		     const uint8_t sha[32], struct bench_serial_result *out)
{
	const struct sim_serial_profile *p = sim_serial_profile_find(profile);
	struct dfu_smp_transport transport = { transport_send, transport_max_size, NULL };
	struct dfu_smp_client_config client_cfg = { 0 };
	struct dfu_smp_upload_config cfg = { .data = image, .size = size, .sha = sha };
	struct sim_device_config dcfg = { 0 };
	struct bench_upload_end w = { 0 };
	const struct sim_serial_stats *st;
	struct dfu_smp_upload up;
	struct host *h;
	uint8_t *buf = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	if (!p || (strcmp(strategy, "unpaced") != 0 && strcmp(strategy, "baud-paced") != 0 &&
		   strcmp(strategy, "adaptive") != 0)) {
		fprintf(stderr, "dfu-smp-bench: no serial profile '%s' or strategy '%s'\n", profile,
			strategy);
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		return -ENOMEM;
	}
	h->profile = p;
	h->paced = strcmp(strategy, "baud-paced") == 0;
	h->adaptive = strcmp(strategy, "adaptive") == 0;
	h->pace_baud = p->link.baud ? p->link.baud : PACE_BAUD;
	sim_serial_profile_apply(p, &dcfg);
	err = sim_device_init(&h->dev, &dcfg);
	if (err) {
		free(h);
		return err;
	}
	sim_sched_init(&h->sched);
	err = sim_serial_link_init(&h->link, &h->sched, &h->dev, &p->link, host_receive, h);
	cfg.max_request = sim_serial_profile_max_request(p);
	h->tx_cap = TX_REQUESTS *
		    (dfu_smp_serial_lines(cfg.max_request, DFU_SMP_SERIAL_LINE_MAX_DEFAULT) *
			     DFU_SMP_SERIAL_LINE_MAX_DEFAULT +
		     DFU_SMP_COBS_FRAME_MAX(cfg.max_request));
	h->tx = malloc(h->tx_cap);
	dfu_smp_serial_decoder_init(&h->dec, h->msg, sizeof(h->msg), 0, on_answer, h);
	dfu_smp_raw_decoder_init(&h->raw, h->msg, DFU_SMP_MSG_MAX, DFU_SMP_RAW_TIMEOUT_DEFAULT_MS,
				 on_answer, h);
	dfu_smp_cobs_decoder_init(&h->cobs, h->msg, sizeof(h->msg), on_answer, h);
	transport.ctx = h;
	dfu_smp_client_init(&h->client, &transport, &client_cfg);
	dfu_smp_client_process(&h->client, 0);

	/* unpaced (and adaptive raw and COBS, as ports/conn_serial.c lets the upload engine tune
	 * itself): as many requests as leave a buffer for an answer; paced: one at a time;
	 * adaptive console lines: as many as the pacer says, one more written in part while the
	 * device handles the others */
	cfg.window = h->paced || p->buf_count < 2 ? 1u : p->buf_count - 1u;
	if (h->adaptive) {
		struct dfu_smp_serial_pace_config pc = {
			.baud = p->link.baud, .buf_count = (uint16_t)p->buf_count,
		};

		dfu_smp_serial_pace_init(&h->pace, &pc);
		dfu_smp_serial_pace_reset(&h->pace, 0);
		if (p->link.framing == SIM_SERIAL_CONSOLE) {
			cfg.window = dfu_smp_serial_pace_window(&h->pace);
		}
	}
	cfg.retries = TRIES - 1u;
	out->request_size = cfg.max_request;
	out->window = cfg.window;
	buf = malloc(cfg.window * cfg.max_request);
	if (!err && (!buf || !h->tx)) {
		err = -ENOMEM;
	}
	if (!err) {
		err = dfu_smp_upload_start(&up, &h->client, &cfg, buf, cfg.window * cfg.max_request,
				       &bench_upload_ops, &w);
	}
	if (!err) {
		run(h, &w);
		if (!w.done) {
			dfu_smp_upload_abort(&up);
		}
	}
	st = sim_serial_link_stats(&h->link);
	if (h->adaptive) {
		out->pace_lines = dfu_smp_serial_pace_lines(&h->pace);
		out->pace_line_us = dfu_smp_serial_pace_line_us(&h->pace);
		out->pace_losses = dfu_smp_serial_pace_stats(&h->pace)->losses;
	}
	out->moved = w.done && w.err == 0;
	out->err = w.done ? w.err : -ETIMEDOUT;
	out->seconds = (double)sim_sched_now(&h->sched) / 1e6;
	out->requests = w.result.requests;
	out->recoveries = w.result.recoveries;
	out->sent = h->sent;
	out->unanswered = h->sent > h->answers ? h->sent - h->answers : 0;
	out->units = st->units;
	out->units_lost = st->units_lost;
	out->dropped = st->dropped;
	out->bytes_to_device = st->bytes_to_device;
	snprintf(out->why, sizeof(out->why), "%s", w.done ? w.result.message : "stalled");
	dfu_smp_client_cancel_all(&h->client, -ECANCELED);
	sim_serial_link_free(&h->link);
	sim_sched_free(&h->sched);
	sim_device_free(&h->dev);
	free(h->tx);
	free(h);
	free(buf);
	return err;
}
