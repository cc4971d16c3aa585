/* SPDX-License-Identifier: Apache-2.0 */
#include "gatt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/smp/bt_dfu_smp.h>
#include <dfu-smp/smp/bytes.h>
#include <dfu-smp/smp/header.h>

#define DEFAULT_MTU_MAX 498u

/* 16-bit attribute types. */
#define UUID_PRIMARY_SERVICE 0x2800u
#define UUID_CHARACTERISTIC 0x2803u
#define UUID_CCC 0x2902u
#define UUID_GAP 0x1800u
#define UUID_GATT 0x1801u
#define UUID_DEVICE_NAME 0x2a00u
#define UUID_SERVICE_CHANGED 0x2a05u

#define PROP_READ 0x02u
#define PROP_INDICATE 0x20u

static struct sim_gatt_attr *add(struct sim_gatt *gatt, uint16_t type16, const uint8_t *type128)
{
	struct sim_gatt_attr *a = &gatt->attrs[gatt->attr_count];

	memset(a, 0, sizeof(*a));
	a->handle = (uint16_t)(++gatt->attr_count);
	if (type128) {
		memcpy(a->type, type128, 16);
		a->type_len = 16;
	} else {
		dfu_smp_put_le16(a->type, type16);
		a->type_len = 2;
	}
	return a;
}

static void set_value(struct sim_gatt_attr *a, const uint8_t *v, size_t len)
{
	memcpy(a->value, v, len);
	a->value_len = (uint8_t)len;
}

static void add_service16(struct sim_gatt *gatt, uint16_t uuid)
{
	uint8_t v[2];

	dfu_smp_put_le16(v, uuid);
	set_value(add(gatt, UUID_PRIMARY_SERVICE, NULL), v, 2);
}

/* A characteristic declaration and its value attribute (16-bit UUID). */
static struct sim_gatt_attr *add_chrc16(struct sim_gatt *gatt, uint8_t props, uint16_t uuid)
{
	uint8_t v[5];

	v[0] = props;
	dfu_smp_put_le16(v + 1, (uint16_t)(gatt->attr_count + 2));
	dfu_smp_put_le16(v + 3, uuid);
	set_value(add(gatt, UUID_CHARACTERISTIC, NULL), v, 5);
	return add(gatt, uuid, NULL);
}

static void build_table(struct sim_gatt *gatt)
{
	static const char name[] = "dfu-smp-sim";
	uint8_t v[19];

	gatt->attr_count = 0;
	add_service16(gatt, UUID_GAP);
	set_value(add_chrc16(gatt, PROP_READ, UUID_DEVICE_NAME), (const uint8_t *)name,
		  sizeof(name) - 1);
	add_service16(gatt, UUID_GATT);
	add_chrc16(gatt, PROP_INDICATE, UUID_SERVICE_CHANGED);
	add(gatt, UUID_CCC, NULL);

	set_value(add(gatt, UUID_PRIMARY_SERVICE, NULL), BT_DFU_SMP_UUID_SERVICE.val, 16);
	v[0] = BT_DFU_SMP_CHRC_WRITE_WITHOUT_RESP | BT_DFU_SMP_CHRC_NOTIFY;
	dfu_smp_put_le16(v + 1, SIM_GATT_HANDLE_SMP_VALUE);
	memcpy(v + 3, BT_DFU_SMP_UUID_CHAR.val, 16);
	set_value(add(gatt, UUID_CHARACTERISTIC, NULL), v, 19);
	add(gatt, 0, BT_DFU_SMP_UUID_CHAR.val);
	add(gatt, UUID_CCC, NULL);
}

static bool type_is16(const struct sim_gatt_attr *a, uint16_t uuid)
{
	return a->type_len == 2 && dfu_smp_get_le16(a->type) == uuid;
}

static void send_pdu(struct sim_gatt *gatt, const uint8_t *pdu, size_t len)
{
	sim_link_send(gatt->link, SIM_LINK_PERIPHERAL, pdu, len, NULL, NULL);
}

static void send_error(struct sim_gatt *gatt, uint8_t req_op, uint16_t handle, uint8_t code)
{
	uint8_t pdu[5] = { SIM_ATT_ERROR_RSP, req_op, 0, 0, code };

	dfu_smp_put_le16(pdu + 2, handle);
	send_pdu(gatt, pdu, sizeof(pdu));
}

/* Last handle of the service whose declaration is attrs[i]. */
static uint16_t service_end(const struct sim_gatt *gatt, size_t i)
{
	for (size_t j = i + 1; j < gatt->attr_count; j++) {
		if (type_is16(&gatt->attrs[j], UUID_PRIMARY_SERVICE)) {
			return gatt->attrs[j - 1].handle;
		}
	}
	return 0xffffu;
}

static void mtu_req(struct sim_gatt *gatt, const uint8_t *pdu, size_t len)
{
	uint8_t rsp[3] = { SIM_ATT_MTU_RSP };
	uint16_t client;

	if (len != 3) {
		send_error(gatt, pdu[0], 0, SIM_ATT_ERR_INVALID_PDU);
		return;
	}
	client = dfu_smp_get_le16(pdu + 1);
	dfu_smp_put_le16(rsp + 1, gatt->cfg.mtu_max);
	send_pdu(gatt, rsp, sizeof(rsp));
	if (!gatt->mtu_exchanged) {
		uint16_t mtu = client < gatt->cfg.mtu_max ? client : gatt->cfg.mtu_max;

		gatt->mtu = mtu < BT_DFU_SMP_ATT_MTU_MIN ? BT_DFU_SMP_ATT_MTU_MIN : mtu;
		gatt->mtu_exchanged = true;
	}
}

static void find_by_type(struct sim_gatt *gatt, const uint8_t *pdu, size_t len)
{
	uint8_t rsp[SIM_ATT_MTU_MAX] = { SIM_ATT_FIND_BY_TYPE_RSP };
	size_t n = 1;
	uint16_t start, end;

	if (len < 7) {
		send_error(gatt, pdu[0], 0, SIM_ATT_ERR_INVALID_PDU);
		return;
	}
	start = dfu_smp_get_le16(pdu + 1);
	end = dfu_smp_get_le16(pdu + 3);
	for (size_t i = 0; i < gatt->attr_count && n + 4 <= gatt->mtu; i++) {
		const struct sim_gatt_attr *a = &gatt->attrs[i];

		if (a->handle >= start && a->handle <= end &&
		    type_is16(a, dfu_smp_get_le16(pdu + 5)) && a->value_len == len - 7 &&
		    memcmp(a->value, pdu + 7, len - 7) == 0) {
			dfu_smp_put_le16(rsp + n, a->handle);
			dfu_smp_put_le16(rsp + n + 2, service_end(gatt, i));
			n += 4;
		}
	}
	if (n == 1) {
		send_error(gatt, pdu[0], start, SIM_ATT_ERR_NOT_FOUND);
		return;
	}
	send_pdu(gatt, rsp, n);
}

static void read_by_type(struct sim_gatt *gatt, const uint8_t *pdu, size_t len)
{
	uint8_t rsp[SIM_ATT_MTU_MAX] = { SIM_ATT_READ_BY_TYPE_RSP, 0 };
	size_t n = 2;
	uint16_t start, end;

	if (len != 7 && len != 21) {
		send_error(gatt, pdu[0], 0, SIM_ATT_ERR_INVALID_PDU);
		return;
	}
	start = dfu_smp_get_le16(pdu + 1);
	end = dfu_smp_get_le16(pdu + 3);
	for (size_t i = 0; i < gatt->attr_count; i++) {
		const struct sim_gatt_attr *a = &gatt->attrs[i];
		size_t entry = 2u + a->value_len;

		if (a->handle < start || a->handle > end || a->type_len != len - 5 ||
		    memcmp(a->type, pdu + 5, a->type_len) != 0) {
			continue;
		}
		/* Every entry of one response has the same length. */
		if ((rsp[1] && rsp[1] != entry) || n + entry > gatt->mtu) {
			break;
		}
		rsp[1] = (uint8_t)entry;
		dfu_smp_put_le16(rsp + n, a->handle);
		memcpy(rsp + n + 2, a->value, a->value_len);
		n += entry;
	}
	if (n == 2) {
		send_error(gatt, pdu[0], start, SIM_ATT_ERR_NOT_FOUND);
		return;
	}
	send_pdu(gatt, rsp, n);
}

static void find_info(struct sim_gatt *gatt, const uint8_t *pdu, size_t len)
{
	uint8_t rsp[SIM_ATT_MTU_MAX] = { SIM_ATT_FIND_INFO_RSP, 0 };
	size_t n = 2;
	uint16_t start, end;

	if (len != 5) {
		send_error(gatt, pdu[0], 0, SIM_ATT_ERR_INVALID_PDU);
		return;
	}
	start = dfu_smp_get_le16(pdu + 1);
	end = dfu_smp_get_le16(pdu + 3);
	for (size_t i = 0; i < gatt->attr_count; i++) {
		const struct sim_gatt_attr *a = &gatt->attrs[i];
		uint8_t format = a->type_len == 2 ? 1 : 2;

		if (a->handle < start || a->handle > end) {
			continue;
		}
		/* One UUID size per response. */
		if ((rsp[1] && rsp[1] != format) || n + 2 + a->type_len > gatt->mtu) {
			break;
		}
		rsp[1] = format;
		dfu_smp_put_le16(rsp + n, a->handle);
		memcpy(rsp + n + 2, a->type, a->type_len);
		n += 2u + a->type_len;
	}
	if (n == 2) {
		send_error(gatt, pdu[0], start, SIM_ATT_ERR_NOT_FOUND);
		return;
	}
	send_pdu(gatt, rsp, n);
}

static void write_req(struct sim_gatt *gatt, const uint8_t *pdu, size_t len)
{
	uint8_t rsp[1] = { SIM_ATT_WRITE_RSP };
	uint16_t handle;
	uint16_t *ccc;

	if (len < 3) {
		send_error(gatt, pdu[0], 0, SIM_ATT_ERR_INVALID_PDU);
		return;
	}
	handle = dfu_smp_get_le16(pdu + 1);
	ccc = handle == SIM_GATT_HANDLE_SMP_CCC ? &gatt->smp_ccc_value
	      : handle == SIM_GATT_HANDLE_GATT_CCC ? &gatt->gatt_ccc_value
						 : NULL;
	if (!ccc) {
		send_error(gatt, pdu[0], handle,
			   handle && handle <= gatt->attr_count ? SIM_ATT_ERR_WRITE_NOT_PERMITTED
								: SIM_ATT_ERR_INVALID_HANDLE);
		return;
	}
	if (len != 5) {
		send_error(gatt, pdu[0], handle, SIM_ATT_ERR_VALUE_LENGTH);
		return;
	}
	*ccc = dfu_smp_get_le16(pdu + 3);
	if (ccc == &gatt->smp_ccc_value && !(*ccc & 0x0001u)) {
		gatt->reasm_expected = 0; /* turning notifications off drops a half message */
	}
	send_pdu(gatt, rsp, sizeof(rsp));
}

/* A request waiting for the device, or an answer waiting to leave. */
struct sim_gatt_msg {
	struct sim_gatt_msg *next;
	uint64_t at_us; /* answers: when the device has it ready */
	size_t len;
	uint8_t data[];
};

static struct sim_gatt_msg *msg_new(const uint8_t *data, size_t len, uint64_t at_us)
{
	struct sim_gatt_msg *m = malloc(sizeof(*m) + len);

	if (m) {
		m->next = NULL;
		m->at_us = at_us;
		m->len = len;
		memcpy(m->data, data, len);
	}
	return m;
}

static void msg_append(struct sim_gatt_msg **list, struct sim_gatt_msg *m)
{
	while (*list) {
		list = &(*list)->next;
	}
	*list = m;
}

static void msg_free_all(struct sim_gatt_msg **list)
{
	while (*list) {
		struct sim_gatt_msg *next = (*list)->next;

		free(*list);
		*list = next;
	}
}

/* The last notification of an answer went out: its SMP buffer is free again. */
static void answer_sent(void *ctx, uint64_t now_us)
{
	struct sim_gatt *gatt = ctx;

	(void)now_us;
	if (gatt->buffers > 0) {
		gatt->buffers--;
	}
}

/*
 * Sends one SMP response as notifications of at most MTU - 3 bytes each; its buffer is freed
 * once the last one has left. Returns false when it was not sent (its buffer is free then).
 */
static bool notify_response(struct sim_gatt *gatt, const uint8_t *msg, size_t len)
{
	size_t chunk = (size_t)gatt->mtu - BT_DFU_SMP_ATT_OVERHEAD;
	uint8_t pdu[SIM_ATT_MTU_MAX];

	if (!(gatt->smp_ccc_value & 0x0001u)) {
		gatt->stats.lost_responses++;
		return false;
	}
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		bool last = off + n >= len;

		pdu[0] = SIM_ATT_NOTIFY;
		dfu_smp_put_le16(pdu + 1, SIM_GATT_HANDLE_SMP_VALUE);
		memcpy(pdu + 3, msg + off, n);
		if (sim_link_send(gatt->link, SIM_LINK_PERIPHERAL, pdu, n + 3,
				  last ? answer_sent : NULL, gatt) != 0) {
			return false;
		}
		gatt->stats.notifications++;
	}
	return true;
}

/* Sends every answer that is ready, freeing its buffer. */
static void send_answers(void *ctx, uint64_t now_us)
{
	struct sim_gatt *gatt = ctx;

	while (gatt->answers && gatt->answers->at_us <= now_us) {
		struct sim_gatt_msg *m = gatt->answers;

		gatt->answers = m->next;
		if (!notify_response(gatt, m->data, m->len)) {
			gatt->buffers--;
		}
		free(m);
	}
}

/* The device's answers to the request being handled, held until its work is done. */
struct handling {
	struct sim_gatt *gatt;
	struct sim_gatt_msg *answers;
};

static void collect_answer(void *ctx, const uint8_t *msg, size_t len)
{
	struct handling *h = ctx;
	struct sim_gatt_msg *m = msg_new(msg, len, 0);

	if (m) {
		msg_append(&h->answers, m);
	}
}

static void schedule_processing(struct sim_gatt *gatt, uint64_t now_us);

/* The device takes the oldest request: it works on it, then its answers leave. */
static void process(void *ctx, uint64_t now_us)
{
	struct sim_gatt *gatt = ctx;
	struct sim_gatt_msg *req = gatt->requests;
	struct handling h = { gatt, NULL };
	uint64_t ready;

	gatt->processing = false;
	if (!req) {
		return;
	}
	gatt->requests = req->next;
	if (gatt->buffers >= sim_device_config(gatt->dev)->buf_count) {
		/* Zephyr takes a buffer for the answer before it starts: none, no request */
		gatt->stats.dropped_requests++;
		gatt->buffers--;
		free(req);
		schedule_processing(gatt, now_us);
		return;
	}
	sim_device_receive(gatt->dev, req->data, req->len, now_us, collect_answer, &h);
	ready = now_us + sim_device_busy_us(gatt->dev) + gatt->cfg.process_us;
	gatt->busy_until_us = ready;
	/* the request's buffer is freed; each answer holds one until it has gone out */
	gatt->buffers--;
	while (h.answers) {
		struct sim_gatt_msg *m = h.answers;

		h.answers = m->next;
		m->next = NULL;
		m->at_us = ready;
		msg_append(&gatt->answers, m);
		gatt->buffers++;
	}
	free(req);
	sim_sched_at(gatt->link->sched, ready, send_answers, gatt);
	schedule_processing(gatt, now_us);
}

static void schedule_processing(struct sim_gatt *gatt, uint64_t now_us)
{
	if (gatt->processing || !gatt->requests) {
		return;
	}
	gatt->processing = true;
	sim_sched_at(gatt->link->sched,
		     gatt->busy_until_us > now_us ? gatt->busy_until_us : now_us, process, gatt);
}

/* A whole SMP transport unit arrived: it takes a buffer, or is dropped when none is free. */
static void deliver(struct sim_gatt *gatt, const uint8_t *data, size_t len, uint64_t now_us)
{
	struct sim_gatt_msg *m;

	if (gatt->buffers >= sim_device_config(gatt->dev)->buf_count ||
	    !(m = msg_new(data, len, now_us))) {
		gatt->stats.dropped_requests++;
		return;
	}
	msg_append(&gatt->requests, m);
	gatt->buffers++;
	if (gatt->buffers > gatt->stats.most_buffers) {
		gatt->stats.most_buffers = gatt->buffers;
	}
	schedule_processing(gatt, now_us);
}

/* Puts a message together from writes; hands it to the device once whole. */
static void reassemble(struct sim_gatt *gatt, const uint8_t *data, size_t len, uint64_t now_us)
{
	size_t cap = sim_device_config(gatt->dev)->buf_size;

	if (gatt->reasm_expected == 0) {
		struct dfu_smp_hdr hdr;

		if (dfu_smp_hdr_decode(data, len, &hdr) != 0 ||
		    DFU_SMP_HDR_SIZE + (size_t)hdr.len > cap) {
			gatt->stats.dropped_fragments++;
			return;
		}
		gatt->reasm_expected = DFU_SMP_HDR_SIZE + (size_t)hdr.len;
		gatt->reasm_len = 0;
	}
	if (len > gatt->reasm_expected - gatt->reasm_len) {
		/* past the message's end: the write is refused and the message lost */
		gatt->reasm_expected = 0;
		gatt->stats.dropped_fragments++;
		return;
	}
	memcpy(gatt->reasm + gatt->reasm_len, data, len);
	gatt->reasm_len += len;
	if (gatt->reasm_len == gatt->reasm_expected) {
		gatt->reasm_expected = 0;
		deliver(gatt, gatt->reasm, gatt->reasm_len, now_us);
	}
}

static void write_cmd(struct sim_gatt *gatt, const uint8_t *pdu, size_t len, uint64_t now_us)
{
	if (len < 3 || dfu_smp_get_le16(pdu + 1) != SIM_GATT_HANDLE_SMP_VALUE ||
	    len - 3 > (size_t)gatt->mtu - BT_DFU_SMP_ATT_OVERHEAD) {
		return; /* commands get no error response */
	}
	gatt->stats.writes++;
	if (gatt->reasm) {
		reassemble(gatt, pdu + 3, len - 3, now_us);
	} else {
		deliver(gatt, pdu + 3, len - 3, now_us);
	}
}

static void receive(void *ctx, const uint8_t *pdu, size_t len, uint64_t now_us)
{
	struct sim_gatt *gatt = ctx;

	if (len == 0) {
		return;
	}
	switch (pdu[0]) {
	case SIM_ATT_MTU_REQ:
		mtu_req(gatt, pdu, len);
		break;
	case SIM_ATT_FIND_BY_TYPE_REQ:
		find_by_type(gatt, pdu, len);
		break;
	case SIM_ATT_READ_BY_TYPE_REQ:
		read_by_type(gatt, pdu, len);
		break;
	case SIM_ATT_FIND_INFO_REQ:
		find_info(gatt, pdu, len);
		break;
	case SIM_ATT_WRITE_REQ:
		write_req(gatt, pdu, len);
		break;
	case SIM_ATT_WRITE_CMD:
		write_cmd(gatt, pdu, len, now_us);
		break;
	default:
		/* Commands (bit 6) are ignored; other requests are not supported. */
		if (!(pdu[0] & 0x40u)) {
			send_error(gatt, pdu[0], 0, SIM_ATT_ERR_NOT_SUPPORTED);
		}
		break;
	}
}

int sim_gatt_init(struct sim_gatt *gatt, struct sim_device *dev, struct sim_link *link,
		  const struct sim_gatt_config *cfg)
{
	memset(gatt, 0, sizeof(*gatt));
	if (cfg) {
		gatt->cfg = *cfg;
	}
	if (gatt->cfg.mtu_max < BT_DFU_SMP_ATT_MTU_MIN || gatt->cfg.mtu_max > SIM_ATT_MTU_MAX) {
		gatt->cfg.mtu_max = DEFAULT_MTU_MAX;
	}
	gatt->dev = dev;
	gatt->link = link;
	if (gatt->cfg.reassembly) {
		gatt->reasm = malloc(sim_device_config(dev)->buf_size);
		if (!gatt->reasm) {
			return -ENOMEM;
		}
	}
	build_table(gatt);
	sim_gatt_reset(gatt);
	sim_link_attach(link, SIM_LINK_PERIPHERAL, receive, gatt);
	return 0;
}

void sim_gatt_free(struct sim_gatt *gatt)
{
	sim_gatt_reset(gatt);
	free(gatt->reasm);
	gatt->reasm = NULL;
}

void sim_gatt_reset(struct sim_gatt *gatt)
{
	if (gatt->link) {
		sim_sched_cancel(gatt->link->sched, process, gatt);
		sim_sched_cancel(gatt->link->sched, send_answers, gatt);
	}
	msg_free_all(&gatt->requests);
	msg_free_all(&gatt->answers);
	gatt->buffers = 0;
	gatt->busy_until_us = 0;
	gatt->processing = false;
	gatt->reasm_expected = 0;
	gatt->mtu = BT_DFU_SMP_ATT_MTU_MIN;
	gatt->mtu_exchanged = false;
	gatt->smp_ccc_value = 0;
	gatt->gatt_ccc_value = 0;
}

const struct sim_gatt_stats *sim_gatt_stats(const struct sim_gatt *gatt)
{
	return &gatt->stats;
}
