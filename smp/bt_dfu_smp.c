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

/* Where the client is with the response to the command it sent. */
enum {
	STATE_IDLE,    /* no command waiting */
	STATE_WAIT,    /* command sent, waiting for the first part of its response */
	STATE_RECEIVE, /* parts of the response are arriving */
	STATE_SKIP,    /* dropping the rest of a response that does not answer the command */
};

static bool uuid_equal(const struct bt_dfu_smp_uuid *a, const struct bt_dfu_smp_uuid *b)
{
	return memcmp(a->val, b->val, sizeof(a->val)) == 0;
}

static void end_command(struct bt_dfu_smp *dfu_smp)
{
	dfu_smp->state = STATE_IDLE;
	dfu_smp->rsp_part = NULL;
	dfu_smp->skip = 0;
}

/* Ends the waiting command and tells the owner why. */
static void fail(struct bt_dfu_smp *dfu_smp, int err)
{
	end_command(dfu_smp);
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
	end_command(dfu_smp);
	dfu_smp->conn = dm->conn;
	dfu_smp->handles.smp = chrc->value_handle;
	dfu_smp->handles.smp_ccc = ccc;
	dfu_smp->subscribed = false;
	return 0;
}

int bt_dfu_smp_command(struct bt_dfu_smp *dfu_smp, bt_dfu_smp_rsp_part_cb rsp_cb,
		       size_t cmd_size, const void *cmd_data)
{
	struct smp_hdr hdr;
	uint16_t mtu;
	int err;

	if (!dfu_smp || !rsp_cb || !cmd_data || cmd_size == 0 ||
	    smp_hdr_decode(cmd_data, cmd_size, &hdr) != 0) {
		return -EINVAL;
	}
	if (!dfu_smp->conn) {
		return -ENXIO;
	}
	mtu = dfu_smp->conn->ops->get_mtu(dfu_smp->conn);
	if (mtu < BT_DFU_SMP_ATT_MTU_MIN) {
		mtu = BT_DFU_SMP_ATT_MTU_MIN;
	}
	if (cmd_size > (size_t)mtu - BT_DFU_SMP_ATT_OVERHEAD) {
		return -EMSGSIZE;
	}
	if (dfu_smp->rsp_part) {
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
	dfu_smp->expect_op = smp_hdr_rsp_op(hdr.op);
	dfu_smp->expect_group = hdr.group;
	dfu_smp->expect_seq = hdr.seq;
	dfu_smp->expect_id = hdr.id;
	dfu_smp->rsp_part = rsp_cb;
	dfu_smp->state = STATE_WAIT;
	dfu_smp->deadline_ms = dfu_smp->now_ms + dfu_smp->timeout_ms;

	err = dfu_smp->conn->ops->write_without_rsp(dfu_smp->conn, dfu_smp->handles.smp,
						    cmd_data, (uint16_t)cmd_size);
	if (err) {
		end_command(dfu_smp);
		return err;
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

static bool answers_command(const struct bt_dfu_smp *dfu_smp, const struct smp_hdr *hdr)
{
	return hdr->op == dfu_smp->expect_op && hdr->group == dfu_smp->expect_group &&
	       hdr->seq == dfu_smp->expect_seq && hdr->id == dfu_smp->expect_id;
}

/* Hands one part of the response to the owner; returns the bytes it used. */
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
		/* Done before the callback, so that it may send the next command. */
		end_command(dfu_smp);
	}
	cb(dfu_smp);
	if (!last && dfu_smp->state == STATE_RECEIVE) {
		s->offset += n;
	}
	return n;
}

/*
 * The notification is read as a stream of responses: bytes after a complete response belong
 * to whatever comes next. Callbacks may send the next command or abort, so the state is read
 * again at every step.
 */
void bt_dfu_smp_notify(struct bt_dfu_smp *dfu_smp, const uint8_t *data, size_t len)
{
	struct smp_hdr hdr;
	size_t n;

	if (len == 0) {
		if (dfu_smp->state == STATE_WAIT) {
			fail(dfu_smp, -EINVAL);
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
				dfu_smp->state = STATE_WAIT;
			}
			break;
		case STATE_WAIT:
			if (smp_hdr_decode(data, len, &hdr) != 0) {
				fail(dfu_smp, -EINVAL);
				return;
			}
			if (answers_command(dfu_smp, &hdr)) {
				dfu_smp->rsp_state.total_size = SMP_HDR_SIZE + (size_t)hdr.len;
				dfu_smp->rsp_state.offset = 0;
				dfu_smp->state = STATE_RECEIVE;
			} else {
				dfu_smp->state = STATE_SKIP;
				dfu_smp->skip = SMP_HDR_SIZE + (size_t)hdr.len;
				dfu_smp->error_cb(dfu_smp, -EBADMSG);
			}
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
		fail(dfu_smp, err);
	}
}

void bt_dfu_smp_written(struct bt_dfu_smp *dfu_smp, int err)
{
	if (err != 0 && dfu_smp->state != STATE_IDLE) {
		fail(dfu_smp, err);
	}
}

void bt_dfu_smp_disconnected(struct bt_dfu_smp *dfu_smp)
{
	bool waiting = dfu_smp->state != STATE_IDLE;

	dfu_smp->conn = NULL;
	dfu_smp->subscribed = false;
	if (waiting) {
		fail(dfu_smp, -ENOTCONN);
	}
}

void bt_dfu_smp_process(struct bt_dfu_smp *dfu_smp, uint64_t now_ms)
{
	dfu_smp->now_ms = now_ms;
	if (dfu_smp->state != STATE_IDLE && dfu_smp->timeout_ms != BT_DFU_SMP_TIMEOUT_NONE &&
	    now_ms >= dfu_smp->deadline_ms) {
		fail(dfu_smp, -ETIMEDOUT);
	}
}

uint64_t bt_dfu_smp_deadline(const struct bt_dfu_smp *dfu_smp)
{
	if (dfu_smp->state == STATE_IDLE || dfu_smp->timeout_ms == BT_DFU_SMP_TIMEOUT_NONE) {
		return UINT64_MAX;
	}
	return dfu_smp->deadline_ms;
}

void bt_dfu_smp_abort(struct bt_dfu_smp *dfu_smp)
{
	end_command(dfu_smp);
}
