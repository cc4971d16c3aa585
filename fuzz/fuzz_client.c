/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the transport-neutral SMP client (smp/client.c): matching answers to a
 * window of requests in flight, timeouts and retries. Input: a byte of settings (window 1..8,
 * retries 0..3), then steps, each an op byte: 0 an answer built from the next bytes (seq as
 * an offset from the newest sent, op, group, id, a length field, a count of payload bytes
 * given, that is a header with any seq/len/group); 1 raw bytes as a message (a length byte,
 * then them); 2 time advancing by the next byte times 50 ms; 3 a transport error; 4 a reject
 * of the header built as in 0; 5 a cancel; 6 a resubmit of an ended request; 7 send() says
 * -EAGAIN until the next 7, which makes the transport ready again. Checks: every callback runs
 * once per submit and never from inside send(); an answer given is the request's own (seq,
 * group, id, op) and its payload lies within the message; time never leaves the deadline in
 * the past for good; at the end, cancelling all ends every request.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/smp/client.h>
#include <dfu-smp/smp/header.h>

#define NREQ 8u

static struct dfu_smp_client client;
static struct dfu_smp_request reqs[NREQ];
static uint8_t bufs[NREQ][DFU_SMP_HDR_SIZE + 16u];
static bool pending[NREQ];
static bool in_send;
static bool eagain;
static uint8_t last_seq;
static const uint8_t *msg_lo, *msg_hi;

static int t_send(void *ctx, const uint8_t *msg, size_t len)
{
	struct dfu_smp_hdr hdr;

	(void)ctx;
	if (dfu_smp_hdr_decode(msg, len, &hdr) != 0 || hdr.len + DFU_SMP_HDR_SIZE != len) {
		abort();
	}
	if (eagain) {
		return -EAGAIN;
	}
	last_seq = hdr.seq;
	in_send = true;
	/* a transport may end the link from here; no callback may run now */
	if ((hdr.seq & 0x3fu) == 0x3fu) {
		dfu_smp_client_transport_error(&client, -EIO);
	}
	in_send = false;
	return 0;
}

static size_t t_max(void *ctx)
{
	(void)ctx;
	return 512;
}

static void on_done(struct dfu_smp_request *req, int err, const struct dfu_smp_client_rsp *rsp)
{
	size_t k = (size_t)(req - reqs);

	if (k >= NREQ || !pending[k] || in_send) {
		abort();
	}
	pending[k] = false;
	if (rsp == NULL) {
		if (err >= 0) {
			abort();
		}
		return;
	}
	if (err != 0 || rsp->hdr.seq != req->seq || rsp->hdr.group != req->group ||
	    rsp->hdr.id != req->id || rsp->hdr.op != dfu_smp_hdr_rsp_op(req->op) ||
	    rsp->len != rsp->hdr.len || rsp->payload < msg_lo || rsp->payload + rsp->len > msg_hi) {
		abort();
	}
}

static void submit(size_t k, uint8_t retries)
{
	struct dfu_smp_request *r = &reqs[k];

	dfu_smp_request_init(r, bufs[k], sizeof(bufs[k]));
	r->op = (k & 1u) ? DFU_SMP_OP_WRITE : DFU_SMP_OP_READ;
	r->group = (uint16_t)(k % 3u);
	r->id = (uint8_t)(k % 4u);
	r->len = k;
	r->timeout_ms = 200u + 100u * (uint32_t)k;
	r->retries = retries;
	r->cb = on_done;
	if (dfu_smp_client_submit(&client, r) != 0) {
		abort();
	}
	pending[k] = true;
}

static void deliver(const uint8_t *msg, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1u);

	if (copy == NULL) {
		abort();
	}
	memcpy(copy, msg, len);
	msg_lo = copy;
	msg_hi = copy + len;
	dfu_smp_client_receive(&client, copy, len);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[DFU_SMP_HDR_SIZE + 300u];
	const struct dfu_smp_transport tr = { .send = t_send, .max_size = t_max };
	struct dfu_smp_client_config cfg = { .timeout_ms = 500 };
	uint64_t now = 0;
	uint8_t retries;
	size_t i = 1;

	if (size < 1) {
		return 0;
	}
	cfg.window = 1u + (data[0] & 7u);
	retries = (uint8_t)((data[0] >> 3) & 3u);
	cfg.first_seq = data[0];
	eagain = false;
	in_send = false;
	last_seq = cfg.first_seq;
	dfu_smp_client_init(&client, &tr, &cfg);
	for (size_t k = 0; k < NREQ; k++) {
		submit(k, retries);
	}
	dfu_smp_client_process(&client, now);
	while (i < size) {
		uint8_t op = data[i++] & 7u;

		switch (op) {
		case 0:
		case 4: {
			struct dfu_smp_hdr hdr;
			size_t n;

			if (size - i < 7u) {
				i = size;
				break;
			}
			hdr.seq = (uint8_t)(last_seq - (data[i] & 0x0fu));
			hdr.op = data[i + 1u] & 3u;
			hdr.version = (data[i + 1u] >> 2) & 1u ? 1u : 2u;
			hdr.flags = 0;
			hdr.group = data[i + 2u] < 0xf0u ? data[i + 2u] % 3u : data[i + 2u];
			hdr.id = data[i + 3u] & 3u;
			hdr.len = (uint16_t)(data[i + 4u] | (data[i + 5u] & 1u) << 8);
			n = data[i + 6u];
			i += 7u;
			if (n > size - i) {
				n = size - i;
			}
			dfu_smp_hdr_encode(&hdr, msg);
			memcpy(msg + DFU_SMP_HDR_SIZE, data + i, n);
			i += n;
			if (op == 4) {
				dfu_smp_client_reject(&client, msg, -EMSGSIZE);
			} else {
				deliver(msg, DFU_SMP_HDR_SIZE + n);
			}
			break;
		}
		case 1: {
			size_t n = i < size ? data[i++] : 0u;

			if (n > size - i) {
				n = size - i;
			}
			deliver(data + i, n);
			i += n;
			break;
		}
		case 2:
			if (i < size) {
				now += 50u * data[i++];
			}
			break;
		case 3:
			dfu_smp_client_transport_error(&client, -ENOTCONN);
			break;
		case 5:
			if (i < size) {
				size_t k = data[i++] % NREQ;

				if (dfu_smp_client_cancel(&client, &reqs[k]) == 0) {
					pending[k] = false;
				}
			}
			break;
		case 6:
			if (i < size) {
				size_t k = data[i++] % NREQ;

				if (!pending[k]) {
					submit(k, retries);
				}
			}
			break;
		default:
			eagain = !eagain;
			if (!eagain) {
				dfu_smp_client_transport_ready(&client);
			}
			break;
		}
		dfu_smp_client_process(&client, now);
		/* what is due now is done after a few runs: no request left due forever */
		for (unsigned guard = 0; dfu_smp_client_deadline(&client) <= now; guard++) {
			if (guard == 16u) {
				abort();
			}
			dfu_smp_client_process(&client, now);
		}
	}
	dfu_smp_client_cancel_all(&client, -ECANCELED);
	dfu_smp_client_process(&client, now);
	for (size_t k = 0; k < NREQ; k++) {
		if (pending[k]) {
			abort();
		}
	}
	if (!dfu_smp_client_idle(&client)) {
		abort();
	}
	return 0;
}
