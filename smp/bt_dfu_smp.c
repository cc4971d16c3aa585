/* SPDX-License-Identifier: Apache-2.0 */
#include "bt_dfu_smp.h"

#include <errno.h>
#include <string.h>

#include "header.h"

const struct bt_dfu_smp_uuid BT_DFU_SMP_UUID_SERVICE = { {
	0x84, 0xaa, 0x60, 0x74, 0x52, 0x8a, 0x8b, 0x86,
	0xd3, 0x4c, 0xb7, 0x1d, 0x1d, 0xdc, 0x53, 0x8d,
} };

const struct bt_dfu_smp_uuid BT_DFU_SMP_UUID_CHAR = { {
	0x48, 0x7c, 0x99, 0x74, 0x11, 0x26, 0x9e, 0xae,
	0x01, 0x4e, 0xce, 0xfb, 0x28, 0x78, 0x2e, 0xda,
} };

const struct bt_dfu_smp_uuid BT_DFU_SMP_UUID_CCC = { {
	0xfb, 0x34, 0x9b, 0x5f, 0x80, 0x00, 0x00, 0x80,
	0x00, 0x10, 0x00, 0x00, 0x02, 0x29, 0x00, 0x00,
} };

/* Where the client is in the stream of notifications. */
enum {
	STATE_IDLE,    /* no command waiting */
	STATE_WAIT,    /* commands waiting; the next notification starts a response */
	STATE_RECEIVE, /* parts of a response are arriving */
	STATE_SKIP,    /* dropping the rest of a response that answers no command */
};

static bool uuid_equal(const struct bt_dfu_smp_uuid *a, const struct bt_dfu_smp_uuid *b)
{
	return memcmp(a->val, b->val, sizeof(a->val)) == 0;
}

/* The state once the response being read is over. */
static void settle(struct bt_dfu_smp *dfu_smp)
{
	dfu_smp->state = dfu_smp->ncmds ? STATE_WAIT : STATE_IDLE;
	dfu_smp->rsp_part = NULL;
	dfu_smp->skip = 0;
}

static void remove_cmd(struct bt_dfu_smp *dfu_smp, unsigned i)
{
	dfu_smp->ncmds--;
	memmove(&dfu_smp->cmds[i], &dfu_smp->cmds[i + 1],
		(dfu_smp->ncmds - i) * sizeof(dfu_smp->cmds[0]));
}

/* Ends every waiting command and tells the owner why. */
static void fail_all(struct bt_dfu_smp *dfu_smp, int err)
{
	dfu_smp->ncmds = 0;
	settle(dfu_smp);
	dfu_smp->error_cb(dfu_smp, err);
}

int bt_dfu_smp_init(struct bt_dfu_smp *dfu_smp, const struct bt_dfu_smp_init_params *params)
{
	if (!dfu_smp || !params || !params->error_cb) {
		return -EINVAL;
	}
	memset(dfu_smp, 0, sizeof(*dfu_smp));
	dfu_smp->error_cb = params->error_cb;
	dfu_smp->timeout_ms = params->timeout_ms ? params->timeout_ms
						 : BT_DFU_SMP_TIMEOUT_DEFAULT_MS;
	dfu_smp->depth = 1;
	return 0;
}

int bt_dfu_smp_handles_assign(const struct bt_dfu_smp_discovery *dm, struct bt_dfu_smp *dfu_smp)
{
	const struct bt_dfu_smp_discovery_chrc *chrc = NULL;
	uint16_t ccc = 0;

	if (!dm || !dfu_smp || !dm->conn) {
		return -EINVAL;
	}
	if (!uuid_equal(&dm->service_uuid, &BT_DFU_SMP_UUID_SERVICE)) {
		return -ENOTSUP;
	}
	for (size_t i = 0; i < dm->chrc_count && !chrc; i++) {
		if (uuid_equal(&dm->chrcs[i].uuid, &BT_DFU_SMP_UUID_CHAR)) {
			chrc = &dm->chrcs[i];
		}
	}
	if (!chrc || chrc->value_handle == 0) {
		return -EINVAL;
	}
	for (size_t i = 0; i < chrc->desc_count && !ccc; i++) {
		if (uuid_equal(&chrc->descs[i].uuid, &BT_DFU_SMP_UUID_CCC)) {
			ccc = chrc->descs[i].handle;
		}
	}
	if (ccc == 0) {
		return -EINVAL;
	}
	bt_dfu_smp_abort(dfu_smp);
	dfu_smp->conn = dm->conn;
	dfu_smp->handles.smp = chrc->value_handle;
	dfu_smp->handles.smp_ccc = ccc;
	dfu_smp->subscribed = false;
	return 0;
}

static size_t write_limit(const struct bt_dfu_smp *dfu_smp)
{
	uint16_t mtu = dfu_smp->conn->ops->get_mtu(dfu_smp->conn);

	if (mtu < BT_DFU_SMP_ATT_MTU_MIN) {
		mtu = BT_DFU_SMP_ATT_MTU_MIN;
	}
	return (size_t)mtu - BT_DFU_SMP_ATT_OVERHEAD;
}

size_t bt_dfu_smp_max_command(const struct bt_dfu_smp *dfu_smp)
{
	size_t one_write;

	if (!dfu_smp->conn) {
		return 0;
	}
	one_write = write_limit(dfu_smp);
	return dfu_smp->reassembly_max > one_write ? dfu_smp->reassembly_max : one_write;
}

/* Commands waiting, counting the one whose response is arriving. */
static unsigned busy_count(const struct bt_dfu_smp *dfu_smp)
{
	return dfu_smp->ncmds + (dfu_smp->state == STATE_RECEIVE ? 1u : 0u);
}

int bt_dfu_smp_command(struct bt_dfu_smp *dfu_smp, bt_dfu_smp_rsp_part_cb rsp_cb,
		       size_t cmd_size, const void *cmd_data)
{
	const uint8_t *data = cmd_data;
	struct bt_dfu_smp_cmd *cmd;
	struct smp_hdr hdr;
	size_t chunk;
	int err;

	if (!dfu_smp || !rsp_cb || !cmd_data || cmd_size == 0 ||
	    smp_hdr_decode(cmd_data, cmd_size, &hdr) != 0) {
		return -EINVAL;
	}
	if (!dfu_smp->conn) {
		return -ENXIO;
	}
	chunk = write_limit(dfu_smp);
	if (cmd_size > bt_dfu_smp_max_command(dfu_smp)) {
		return -EMSGSIZE;
	}
	if (busy_count(dfu_smp) >= dfu_smp->depth) {
		return -EBUSY;
	}
	if (!dfu_smp->subscribed) {
		err = dfu_smp->conn->ops->subscribe(dfu_smp->conn, dfu_smp->handles.smp,
						    dfu_smp->handles.smp_ccc);
		if (err) {
			return err;
		}
		dfu_smp->subscribed = true;
	}

	/* Waiting starts before the write: a port may deliver the response from inside it. */
	cmd = &dfu_smp->cmds[dfu_smp->ncmds++];
	cmd->rsp_cb = rsp_cb;
	cmd->deadline_ms = dfu_smp->now_ms + dfu_smp->timeout_ms;
	cmd->op = smp_hdr_rsp_op(hdr.op);
	cmd->group = hdr.group;
	cmd->seq = hdr.seq;
	cmd->id = hdr.id;
	if (dfu_smp->state == STATE_IDLE) {
		dfu_smp->state = STATE_WAIT;
	}

	for (size_t off = 0; off < cmd_size; off += chunk) {
		size_t n = cmd_size - off < chunk ? cmd_size - off : chunk;

		err = dfu_smp->conn->ops->write_without_rsp(dfu_smp->conn, dfu_smp->handles.smp,
							    data + off, (uint16_t)n);
		if (err) {
			/* Part of a split command may have left: the peer drops the rest. */
			bt_dfu_smp_cancel(dfu_smp, hdr.seq);
			return err;
		}
	}
	return 0;
}

struct bt_dfu_smp_gatt *bt_dfu_smp_conn(const struct bt_dfu_smp *dfu_smp)
{
	return dfu_smp ? dfu_smp->conn : NULL;
}

const struct bt_dfu_smp_rsp_state *bt_dfu_smp_rsp_state(const struct bt_dfu_smp *dfu_smp)
{
	return &dfu_smp->rsp_state;
}

bool bt_dfu_smp_rsp_total_check(const struct bt_dfu_smp *dfu_smp)
{
	const struct bt_dfu_smp_rsp_state *s = &dfu_smp->rsp_state;

	return s->offset + s->chunk_size >= s->total_size;
}

/* The waiting command @p hdr answers, or -1. */
static int find_cmd(const struct bt_dfu_smp *dfu_smp, const struct smp_hdr *hdr)
{
	for (unsigned i = 0; i < dfu_smp->ncmds; i++) {
		const struct bt_dfu_smp_cmd *c = &dfu_smp->cmds[i];

		if (hdr->op == c->op && hdr->group == c->group && hdr->seq == c->seq &&
		    hdr->id == c->id) {
			return (int)i;
		}
	}
	return -1;
}

/* Starts reading the response whose header is @p hdr. */
static void start_response(struct bt_dfu_smp *dfu_smp, const struct smp_hdr *hdr)
{
	int i = find_cmd(dfu_smp, hdr);

	if (i < 0) {
		dfu_smp->state = STATE_SKIP;
		dfu_smp->skip = SMP_HDR_SIZE + (size_t)hdr->len;
		dfu_smp->error_cb(dfu_smp, -EBADMSG);
		return;
	}
	/* Off the waiting list now, so that its callbacks may send the next command. */
	dfu_smp->rsp_part = dfu_smp->cmds[i].rsp_cb;
	dfu_smp->rsp_deadline_ms = dfu_smp->cmds[i].deadline_ms;
	remove_cmd(dfu_smp, (unsigned)i);
	dfu_smp->rsp_state.total_size = SMP_HDR_SIZE + (size_t)hdr->len;
	dfu_smp->rsp_state.offset = 0;
	dfu_smp->state = STATE_RECEIVE;
}

/* Hands one part of the response to its command; returns the bytes it used. */
static size_t deliver(struct bt_dfu_smp *dfu_smp, const uint8_t *data, size_t len)
{
	struct bt_dfu_smp_rsp_state *s = &dfu_smp->rsp_state;
	bt_dfu_smp_rsp_part_cb cb = dfu_smp->rsp_part;
	size_t left = s->total_size - s->offset;
	size_t n = len < left ? len : left;
	bool last = n == left;

	s->data = data;
	s->chunk_size = n;
	if (last) {
		/* Settled before the callback, so that it may send the next command. */
		settle(dfu_smp);
	}
	cb(dfu_smp);
	if (!last && dfu_smp->state == STATE_RECEIVE) {
		s->offset += n;
	}
	return n;
}

/*
 * The notification is read as a stream of responses: bytes after a complete response belong
 * to whatever comes next. Callbacks may send commands or abort, so the state is read again at
 * every step.
 */
void bt_dfu_smp_notify(struct bt_dfu_smp *dfu_smp, const uint8_t *data, size_t len)
{
	struct smp_hdr hdr;
	size_t n;

	if (len == 0) {
		if (dfu_smp->state == STATE_WAIT) {
			fail_all(dfu_smp, -EINVAL);
		} else if (dfu_smp->state == STATE_IDLE) {
			dfu_smp->error_cb(dfu_smp, -EIO);
		}
		return;
	}
	while (len > 0) {
		switch (dfu_smp->state) {
		case STATE_IDLE:
			dfu_smp->error_cb(dfu_smp, -EIO);
			return;
		case STATE_SKIP:
			n = len < dfu_smp->skip ? len : dfu_smp->skip;
			dfu_smp->skip -= n;
			if (dfu_smp->skip == 0) {
				settle(dfu_smp);
			}
			break;
		case STATE_WAIT:
			if (smp_hdr_decode(data, len, &hdr) != 0) {
				fail_all(dfu_smp, -EINVAL);
				return;
			}
			start_response(dfu_smp, &hdr);
			continue;
		default:
			n = deliver(dfu_smp, data, len);
			break;
		}
		data += n;
		len -= n;
	}
}

void bt_dfu_smp_subscribed(struct bt_dfu_smp *dfu_smp, int err)
{
	if (err == 0) {
		return;
	}
	dfu_smp->subscribed = false;
	if (dfu_smp->state != STATE_IDLE) {
		fail_all(dfu_smp, err);
	}
}

void bt_dfu_smp_written(struct bt_dfu_smp *dfu_smp, int err)
{
	if (err != 0 && dfu_smp->state != STATE_IDLE) {
		fail_all(dfu_smp, err);
	}
}

void bt_dfu_smp_disconnected(struct bt_dfu_smp *dfu_smp)
{
	bool waiting = dfu_smp->state != STATE_IDLE;

	dfu_smp->conn = NULL;
	dfu_smp->subscribed = false;
	if (waiting) {
		fail_all(dfu_smp, -ENOTCONN);
	}
}

void bt_dfu_smp_process(struct bt_dfu_smp *dfu_smp, uint64_t now_ms)
{
	dfu_smp->now_ms = now_ms;
	if (dfu_smp->timeout_ms == BT_DFU_SMP_TIMEOUT_NONE) {
		return;
	}
	if (dfu_smp->state == STATE_RECEIVE && now_ms >= dfu_smp->rsp_deadline_ms) {
		dfu_smp->state = STATE_SKIP; /* whatever is left of it is dropped */
		dfu_smp->skip = dfu_smp->rsp_state.total_size - dfu_smp->rsp_state.offset;
		dfu_smp->rsp_part = NULL;
		dfu_smp->error_cb(dfu_smp, -ETIMEDOUT);
	}
	/* Oldest first; a callback may change the list, so look again each time. */
	while (dfu_smp->ncmds && now_ms >= dfu_smp->cmds[0].deadline_ms) {
		remove_cmd(dfu_smp, 0);
		if (dfu_smp->state == STATE_WAIT && dfu_smp->ncmds == 0) {
			dfu_smp->state = STATE_IDLE;
		}
		dfu_smp->error_cb(dfu_smp, -ETIMEDOUT);
	}
}

uint64_t bt_dfu_smp_deadline(const struct bt_dfu_smp *dfu_smp)
{
	uint64_t deadline = UINT64_MAX;

	if (dfu_smp->timeout_ms == BT_DFU_SMP_TIMEOUT_NONE) {
		return deadline;
	}
	if (dfu_smp->state == STATE_RECEIVE) {
		deadline = dfu_smp->rsp_deadline_ms;
	}
	if (dfu_smp->ncmds && dfu_smp->cmds[0].deadline_ms < deadline) {
		deadline = dfu_smp->cmds[0].deadline_ms;
	}
	return deadline;
}

void bt_dfu_smp_abort(struct bt_dfu_smp *dfu_smp)
{
	dfu_smp->ncmds = 0;
	if (dfu_smp->state == STATE_RECEIVE) {
		dfu_smp->state = STATE_SKIP;
		dfu_smp->skip = dfu_smp->rsp_state.total_size - dfu_smp->rsp_state.offset;
		dfu_smp->rsp_part = NULL;
	} else if (dfu_smp->state == STATE_WAIT) {
		settle(dfu_smp);
	}
}

int bt_dfu_smp_cancel(struct bt_dfu_smp *dfu_smp, uint8_t seq)
{
	for (unsigned i = 0; i < dfu_smp->ncmds; i++) {
		if (dfu_smp->cmds[i].seq == seq) {
			remove_cmd(dfu_smp, i);
			if (dfu_smp->state == STATE_WAIT && dfu_smp->ncmds == 0) {
				dfu_smp->state = STATE_IDLE;
			}
			return 0;
		}
	}
	return -ENOENT;
}

int bt_dfu_smp_set_pipeline(struct bt_dfu_smp *dfu_smp, unsigned depth)
{
	if (depth == 0 || depth > BT_DFU_SMP_PIPELINE_MAX) {
		return -EINVAL;
	}
	dfu_smp->depth = depth;
	return 0;
}

void bt_dfu_smp_set_reassembly(struct bt_dfu_smp *dfu_smp, size_t max_size)
{
	dfu_smp->reassembly_max = max_size;
}
