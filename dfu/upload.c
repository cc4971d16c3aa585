/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/dfu/upload.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/img.h>

#define DEFAULT_TIMEOUT_MS 5000u
#define DEFAULT_RECOVERIES 4u
/* Answers in a row that do not move the device's offset before the upload is given up. */
#define MAX_STALLS 8u
/*
 * Round trips are measured before they set when a chunk is sent again: as many as the window
 * holds (its first answers come while it fills, each later than the one before).
 */
/* The image header the device checks in the first request. */
#define IMAGE_HEADER_SIZE 32u

static void cancel_in_flight(struct dfu_smp_upload *up)
{
	for (unsigned i = 0; i < DFU_SMP_UPLOAD_WINDOW_MAX; i++) {
		if (up->slots[i].busy) {
			dfu_smp_client_cancel(up->client, &up->slots[i].req);
			up->slots[i].busy = false;
		}
	}
	up->first_waiting = false;
}

/* Frees the slots of the chunks the device has, below @p off: their answers are not needed. */
static void cancel_written(struct dfu_smp_upload *up, uint64_t off)
{
	for (unsigned i = 0; i < DFU_SMP_UPLOAD_WINDOW_MAX; i++) {
		struct dfu_smp_upload_slot *slot = &up->slots[i];

		if (slot->busy && slot->off != 0 && slot->off + slot->len <= off) {
			dfu_smp_client_cancel(up->client, &slot->req);
			slot->busy = false;
			up->result.covered++;
		}
	}
}

/* Ends the upload's use of the client: nothing on the link, the client's window as it was. */
static void stop(struct dfu_smp_upload *up)
{
	up->running = false;
	cancel_in_flight(up);
	dfu_smp_client_set_window(up->client, up->client_window);
}

static void finish(struct dfu_smp_upload *up, int err)
{
	if (!up->running) {
		return;
	}
	stop(up);
	up->result.elapsed_ms = dfu_smp_client_now(up->client) - up->start_ms;
	up->ops->done(up->user, err, &up->result);
}

/* Ends the upload with @p err and a one-line reason. */
static void fail(struct dfu_smp_upload *up, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(up->result.message, sizeof(up->result.message), fmt, ap);
	va_end(ap);
	finish(up, err);
}

static void on_response(struct dfu_smp_request *req, int err, const struct dfu_smp_client_rsp *rsp);

/* Sends the next chunk from slot @p slot. */
static int send_chunk(struct dfu_smp_upload *up, struct dfu_smp_upload_slot *slot)
{
	const struct dfu_smp_upload_config *cfg = &up->cfg;
	struct dfu_smp_mgmt_img_upload_args args = {
		.image = cfg->image,
		.off = up->next_off,
		.total_len = cfg->size,
		.sha = cfg->sha,
		.sha_len = cfg->sha ? 32u : 0u,
		.upgrade = cfg->upgrade,
	};
	size_t n = dfu_smp_mgmt_img_upload_max_data(&args, cfg->max_request);
	uint8_t *buf = slot->req.buf;
	size_t cap = slot->req.cap;
	int err;

	if (n == 0 || (up->next_off == 0 && n < IMAGE_HEADER_SIZE)) {
		return -EMSGSIZE;
	}
	if (cfg->max_chunk && n > cfg->max_chunk) {
		n = cfg->max_chunk;
	}
	if (n > cfg->size - up->next_off) {
		n = (size_t)(cfg->size - up->next_off);
	}
	args.data = cfg->data + up->next_off;
	args.len = n;
	dfu_smp_request_init(&slot->req, buf, cap);
	err = dfu_smp_mgmt_img_upload(&slot->req, &args);
	if (err) {
		return err;
	}
	slot->req.cb = on_response;
	slot->req.user = slot;
	slot->req.timeout_ms = up->next_off == 0 ? cfg->first_timeout_ms : cfg->timeout_ms;
	/*
	 * Lossy links: a chunk sent twice is not written twice, it carries its offset. A first
	 * chunk sent again with the same sha resumes the upload instead of starting it over, so
	 * it is resent at the ordinary pace all through its long wait; without a sha it waits once.
	 */
	if (cfg->retries && up->next_off != 0 && up->rtt_samples >= up->window) {
		uint32_t each = cfg->timeout_ms / (cfg->retries + 1u);
		uint32_t rto = up->srtt_ms + 4u * up->rttvar_ms + 1u;

		rto = rto < 2u * up->rtt_max_ms ? 2u * up->rtt_max_ms : rto;
		rto = rto < up->rtt_max_ms + DFU_SMP_UPLOAD_RTO_STALL_MS
			      ? up->rtt_max_ms + DFU_SMP_UPLOAD_RTO_STALL_MS : rto;
		dfu_smp_request_backoff(&slot->req, rto < each ? rto : each, each, cfg->timeout_ms);
	} else if (cfg->retries && up->next_off != 0) {
		dfu_smp_request_spread(&slot->req, cfg->timeout_ms, cfg->retries);
	} else if (cfg->retries && cfg->sha) {
		uint32_t each = cfg->timeout_ms / (cfg->retries + 1u);
		uint32_t tries = cfg->first_timeout_ms / (each ? each : 1u);

		dfu_smp_request_spread(&slot->req, cfg->first_timeout_ms,
				   tries > 256 ? 255 : tries > 1 ? (uint8_t)(tries - 1) : 0);
	}
	slot->off = up->next_off;
	slot->len = n;
	slot->sent_ms = dfu_smp_client_now(up->client);
	slot->busy = true;
	up->first_waiting = up->next_off == 0;
	if (up->first_waiting) {
		up->first_len = DFU_SMP_HDR_SIZE + slot->req.len;
	}
	up->next_off += n;
	up->result.requests++;
	up->result.data_sent += n;
	err = dfu_smp_client_submit(up->client, &slot->req);
	if (err) {
		slot->busy = false;
	}
	return err;
}

/* Keeps the window full. The first request waits alone: its answer says where to go on. */
static void fill(struct dfu_smp_upload *up)
{
	for (unsigned i = 0; i < up->window && up->running; i++) {
		int err;

		if (up->slots[i].busy) {
			continue;
		}
		if (up->first_waiting || up->next_off >= up->cfg.size) {
			return;
		}
		err = send_chunk(up, &up->slots[i]);
		if (err == -EMSGSIZE) {
			fail(up, err, "requests of at most %zu bytes cannot carry the image (the "
			     "first one must hold its %u-byte header)", up->cfg.max_request,
			     IMAGE_HEADER_SIZE);
		} else if (err) {
			fail(up, err, "cannot send an upload request: %s", strerror(-err));
		}
	}
}

static void report_progress(struct dfu_smp_upload *up)
{
	struct dfu_smp_upload_progress p = {
		.offset = up->acked,
		.total = up->cfg.size,
		.elapsed_ms = dfu_smp_client_now(up->client) - up->start_ms,
	};
	uint64_t moved = up->acked - up->result.resumed_at;

	if (p.elapsed_ms > 0 && moved > 0) {
		p.rate_bps = (double)moved * 1000.0 / (double)p.elapsed_ms;
		p.eta_ms = (uint64_t)((double)(up->cfg.size - up->acked) * 1000.0 / p.rate_bps);
	}
	if (up->ops->progress) {
		up->ops->progress(up->user, &p);
	}
}

/*
 * A chunk after the first was answered at its first try: its round trip goes into the
 * smoothed one and its variation (as TCP measures its own, RFC 6298) and the longest seen,
 * which set how soon the next chunks are sent again when their answers do not come: after
 * the smoothed time and four variations, twice the longest (a flash page erased now and
 * then), DFU_SMP_UPLOAD_RTO_STALL_MS past the longest at least; once as many were measured as the window holds, while the window
 * fills and the round trips grow with it.
 */
static void measure(struct dfu_smp_upload *up, const struct dfu_smp_upload_slot *slot)
{
	uint64_t now = dfu_smp_client_now(up->client);
	uint32_t rtt = now > slot->sent_ms ? (uint32_t)(now - slot->sent_ms) : 0u;

	if (slot->off == 0 || slot->req.tries != 0) {
		return; /* the first waits for the erase; a resent one's answer may be either try's */
	}
	if (rtt > up->rtt_max_ms) {
		up->rtt_max_ms = rtt;
	}
	if (up->rtt_samples < DFU_SMP_UPLOAD_WINDOW_MAX) {
		up->rtt_samples++;
	}
	if (!up->srtt_ms) {
		up->srtt_ms = rtt ? rtt : 1u;
		up->rttvar_ms = rtt / 2u;
		return;
	}
	up->rttvar_ms = (3u * up->rttvar_ms +
			 (up->srtt_ms > rtt ? up->srtt_ms - rtt : rtt - up->srtt_ms)) / 4u;
	up->srtt_ms = (7u * up->srtt_ms + rtt) / 8u;
	if (!up->srtt_ms) {
		up->srtt_ms = 1u;
	}
}

/* An answer went missing: resend from the last acknowledged offset, with a smaller window. */
static void recover(struct dfu_smp_upload *up)
{
	if (++up->recoveries > up->cfg.max_recoveries) {
		if (!up->started) {
			fail(up, -ETIMEDOUT, "the device never answered the first upload request "
			     "(%zu bytes): it may take no request that long", up->first_len);
		} else {
			fail(up, -ETIMEDOUT, "the device stopped answering at offset %llu of %llu",
			     (unsigned long long)up->acked, (unsigned long long)up->cfg.size);
		}
		return;
	}
	up->result.recoveries++;
	cancel_in_flight(up);
	up->window = up->window > 1 ? up->window / 2 : 1;
	dfu_smp_client_set_window(up->client, up->window);
	up->next_off = up->started ? up->acked : 0;
	fill(up);
}

/* The device's answer says @p off; the chunk sent was [slot->off, slot->off + slot->len). */
static void follow(struct dfu_smp_upload *up, const struct dfu_smp_upload_slot *slot, uint64_t off)
{
	bool moved = off > up->acked;

	if (!up->started) {
		up->started = true;
		if (off > slot->len) {
			up->result.resumed_at = off; /* it already had part of this upload */
		}
		moved = true;
	}
	if (off < slot->off + slot->len || off > up->next_off) {
		/*
		 * The device wants another offset: behind this chunk, it did not write it (a
		 * request before it was lost, and it writes nothing past a gap, so what is on the
		 * link after the gap is not written either: sent again from there at once, with
		 * the window full, no timeout waited for); past all that was sent, it had more.
		 */
		cancel_in_flight(up);
		up->next_off = off;
	} else {
		/* answers say how much the device has: chunks it has need no answer of their own
		 * (theirs were lost), their slots take the next chunks */
		cancel_written(up, off);
	}
	up->acked = off;
	if (moved) {
		up->stalls = 0;
		up->recoveries = 0;
		report_progress(up);
	} else if (++up->stalls > MAX_STALLS) {
		fail(up, -EPROTO, "the device keeps answering offset %llu of %llu: the upload does "
		     "not move", (unsigned long long)off, (unsigned long long)up->cfg.size);
	}
}

static void on_response(struct dfu_smp_request *req, int err, const struct dfu_smp_client_rsp *rsp)
{
	struct dfu_smp_upload_slot *slot = req->user;
	struct dfu_smp_upload *up = slot->up;
	struct dfu_smp_mgmt_img_upload_rsp answer;
	struct dfu_smp_mgmt_reply reply;

	slot->busy = false;
	if (slot->off == 0) {
		up->first_waiting = false;
	}
	if (!up->running) {
		return;
	}
	if (err == -ETIMEDOUT) {
		recover(up);
		return;
	}
	if (err) {
		fail(up, err, "the upload request at offset %llu failed: %s",
		     (unsigned long long)slot->off, strerror(-err));
		return;
	}
	measure(up, slot);
	err = dfu_smp_mgmt_img_upload_decode(rsp, &reply, &answer);
	dfu_smp_mgmt_reply_close(&reply);
	if (err == -EREMOTEIO && reply.kind == DFU_SMP_MGMT_REPLY_RC &&
	    reply.rc == DFU_SMP_MGMT_ERR_EINVAL && slot->len > DFU_SMP_UPLOAD_DATA_UNKNOWN) {
		/* it may hold no more data than older servers do: the same offset, shorter */
		up->cfg.max_chunk = DFU_SMP_UPLOAD_DATA_UNKNOWN;
		cancel_in_flight(up);
		up->next_off = slot->off;
		fill(up);
		return;
	}
	if (err) {
		up->result.reply = reply;
		finish(up, err);
		return;
	}
	if (answer.off > up->cfg.size) {
		fail(up, -EPROTO, "the device reports offset %llu, past the image's %llu bytes",
		     (unsigned long long)answer.off, (unsigned long long)up->cfg.size);
		return;
	}
	follow(up, slot, answer.off);
	if (!up->running) {
		return;
	}
	if (answer.off == up->cfg.size) {
		up->result.has_match = answer.has_match;
		up->result.match = answer.match;
		if (answer.has_match && !answer.match) {
			fail(up, -EBADMSG,
			     "the device reports that the image it wrote does not match "
			     "the file's SHA-256 (%llu bytes)",
			     (unsigned long long)up->cfg.size);
		} else {
			finish(up, 0);
		}
		return;
	}
	fill(up);
}

void dfu_smp_upload_tune(struct dfu_smp_upload_config *cfg,
			 const struct dfu_smp_upload_limits *limits)
{
	if (!cfg->max_request) {
		cfg->max_request = limits->max_request;
	}
	if (!cfg->max_chunk && !limits->have_params) {
		cfg->max_chunk = DFU_SMP_UPLOAD_DATA_UNKNOWN;
	}
	if (!cfg->window) {
		cfg->window = limits->have_params && limits->buf_count > 1 ? limits->buf_count - 1
									     : 1;
		if (limits->window_max && cfg->window > limits->window_max) {
			cfg->window = limits->window_max;
		}
	}
	if (cfg->window > DFU_SMP_UPLOAD_WINDOW_MAX) {
		cfg->window = DFU_SMP_UPLOAD_WINDOW_MAX;
	}
}

int dfu_smp_upload_start(struct dfu_smp_upload *up, struct dfu_smp_client *client,
		     const struct dfu_smp_upload_config *cfg, uint8_t *buf, size_t buf_len,
		     const struct dfu_smp_upload_ops *ops, void *user)
{
	unsigned window;

	if (!up || !client || !cfg || !cfg->data || cfg->size < IMAGE_HEADER_SIZE ||
	    cfg->max_request <= DFU_SMP_HDR_SIZE || !ops || !ops->done || !buf) {
		return -EINVAL;
	}
	window = cfg->window ? cfg->window : 1;
	if (window > DFU_SMP_UPLOAD_WINDOW_MAX) {
		window = DFU_SMP_UPLOAD_WINDOW_MAX;
	}
	if (buf_len / window < cfg->max_request) {
		return -EINVAL;
	}
	memset(up, 0, sizeof(*up));
	up->client = client;
	up->cfg = *cfg;
	up->cfg.timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
	up->cfg.first_timeout_ms = cfg->first_timeout_ms ? cfg->first_timeout_ms
							 : DFU_SMP_UPLOAD_FIRST_TIMEOUT_MS;
	up->cfg.max_recoveries = cfg->max_recoveries ? cfg->max_recoveries : DEFAULT_RECOVERIES;
	up->window = window;
	up->ops = ops;
	up->user = user;
	up->result.size = cfg->size;
	for (unsigned i = 0; i < window; i++) {
		up->slots[i].up = up;
		dfu_smp_request_init(&up->slots[i].req, buf + (size_t)i * cfg->max_request,
				 cfg->max_request);
	}
	up->start_ms = dfu_smp_client_now(client);
	up->running = true;
	up->client_window = dfu_smp_client_window(client);
	dfu_smp_client_set_window(client, window);
	fill(up);
	return 0;
}

void dfu_smp_upload_abort(struct dfu_smp_upload *up)
{
	if (up->running) {
		stop(up);
	}
}
