/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/smp/bt_dfu_smp.h>

#include <errno.h>
#include <string.h>

#include <dfu-smp/smp/header.h>

static void remove_cmd(struct bt_dfu_smp *dfu_smp, unsigned i)
{
	dfu_smp->ncmds--;
	memmove(&dfu_smp->cmds[i], &dfu_smp->cmds[i + 1],
		(dfu_smp->ncmds - i) * sizeof(dfu_smp->cmds[0]));
}

/* Commands waiting, or a response arriving (delivered or dropped). */
static bool busy(const struct bt_dfu_smp *dfu_smp)
{
	return dfu_smp->ncmds || dfu_smp_gatt_link_receiving(&dfu_smp->link);
}

/* Ends every waiting command and tells the owner why; the next notification starts afresh. */
static void fail_all(struct bt_dfu_smp *dfu_smp, int err)
{
	dfu_smp->ncmds = 0;
	dfu_smp->rsp_part = NULL;
	dfu_smp_gatt_link_restart(&dfu_smp->link);
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
	int err;

	if (!dfu_smp) {
		return -EINVAL;
	}
	err = dfu_smp_gatt_link_assign(&dfu_smp->link, dm);
	if (err == 0) {
		bt_dfu_smp_abort(dfu_smp);
	}
	return err;
}

size_t bt_dfu_smp_max_command(const struct bt_dfu_smp *dfu_smp)
{
	return dfu_smp_gatt_link_max_size(&dfu_smp->link);
}

/* Commands waiting, counting the one whose response is being delivered. */
static unsigned busy_count(const struct bt_dfu_smp *dfu_smp)
{
	return dfu_smp->ncmds + (dfu_smp->rsp_part ? 1u : 0u);
}

int bt_dfu_smp_command(struct bt_dfu_smp *dfu_smp, bt_dfu_smp_rsp_part_cb rsp_cb,
		       size_t cmd_size, const void *cmd_data)
{
	struct bt_dfu_smp_cmd *cmd;
	struct dfu_smp_hdr hdr;
	int err;

	if (!dfu_smp || !rsp_cb || !cmd_data || cmd_size == 0 ||
	    dfu_smp_hdr_decode(cmd_data, cmd_size, &hdr) != 0) {
		return -EINVAL;
	}
	if (!dfu_smp->link.conn) {
		return -ENXIO;
	}
	if (cmd_size > dfu_smp_gatt_link_max_size(&dfu_smp->link)) {
		return -EMSGSIZE;
	}
	if (busy_count(dfu_smp) >= dfu_smp->depth) {
		return -EBUSY;
	}
	err = dfu_smp_gatt_link_subscribe(&dfu_smp->link);
	if (err) {
		return err;
	}

	/* Waiting starts before the write: a port may deliver the response from inside it. */
	cmd = &dfu_smp->cmds[dfu_smp->ncmds++];
	cmd->rsp_cb = rsp_cb;
	cmd->deadline_ms = dfu_smp->now_ms + dfu_smp->timeout_ms;
	cmd->op = dfu_smp_hdr_rsp_op(hdr.op);
	cmd->group = hdr.group;
	cmd->seq = hdr.seq;
	cmd->id = hdr.id;
	err = dfu_smp_gatt_link_send(&dfu_smp->link, cmd_data, cmd_size);
	if (err) {
		bt_dfu_smp_cancel(dfu_smp, hdr.seq);
	}
	return err;
}

struct bt_dfu_smp_gatt *bt_dfu_smp_conn(const struct bt_dfu_smp *dfu_smp)
{
	return dfu_smp ? dfu_smp->link.conn : NULL;
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
static int find_cmd(const struct bt_dfu_smp *dfu_smp, const struct dfu_smp_hdr *hdr)
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

/* A response starts with @p first (its whole header): whose is it? */
static void start_response(struct bt_dfu_smp *dfu_smp, const uint8_t *first)
{
	struct dfu_smp_hdr hdr;
	int i;

	dfu_smp_hdr_decode(first, DFU_SMP_HDR_SIZE, &hdr);
	i = find_cmd(dfu_smp, &hdr);
	if (i < 0) {
		dfu_smp->rsp_part = NULL; /* dropped to its end */
		dfu_smp->error_cb(dfu_smp, -EBADMSG);
		return;
	}
	/* Off the waiting list now, so that its callbacks may send the next command. */
	dfu_smp->rsp_part = dfu_smp->cmds[i].rsp_cb;
	dfu_smp->rsp_deadline_ms = dfu_smp->cmds[i].deadline_ms;
	dfu_smp->rsp_seq = dfu_smp->cmds[i].seq;
	remove_cmd(dfu_smp, (unsigned)i);
}

/* Hands one part of the response to its command. */
static void deliver(struct bt_dfu_smp *dfu_smp, const struct dfu_smp_gatt_link_part *part)
{
	struct bt_dfu_smp_rsp_state *s = &dfu_smp->rsp_state;
	bt_dfu_smp_rsp_part_cb cb = dfu_smp->rsp_part;

	s->data = part->data;
	s->chunk_size = part->len;
	s->offset = part->offset;
	s->total_size = part->total;
	if (dfu_smp_gatt_link_part_is_last(part)) {
		/* Settled before the callback, so that it may send the next command. */
		dfu_smp->rsp_part = NULL;
	}
	cb(dfu_smp);
}

/*
 * While the rest of a response nobody waits for any more is dropped (its command was aborted,
 * cancelled or timed out, perhaps from inside its own callback): does the notification at
 * @p data start the response to a waiting command instead? Then the rest never comes, and
 * counting these bytes as that rest would drop the answer that did.
 */
static bool starts_a_waited_response(const struct bt_dfu_smp *dfu_smp, const uint8_t *data,
				     size_t len)
{
	struct dfu_smp_hdr hdr;

	return !dfu_smp->rsp_part && dfu_smp->ncmds && len >= DFU_SMP_HDR_SIZE &&
	       dfu_smp_hdr_decode(data, len, &hdr) == 0 && find_cmd(dfu_smp, &hdr) >= 0;
}

/*
 * The notification is read as a stream of responses: bytes after a complete response belong
 * to whatever comes next. Callbacks may send commands or abort, so the state is read again at
 * every step.
 */
void bt_dfu_smp_notify(struct bt_dfu_smp *dfu_smp, const uint8_t *data, size_t len)
{
	struct dfu_smp_gatt_link_part part;

	if (len == 0) {
		if (!dfu_smp_gatt_link_receiving(&dfu_smp->link)) {
			if (dfu_smp->ncmds) {
				fail_all(dfu_smp, -EINVAL);
			} else {
				dfu_smp->error_cb(dfu_smp, -EIO);
			}
		}
		return;
	}
	if (dfu_smp_gatt_link_receiving(&dfu_smp->link) &&
	    starts_a_waited_response(dfu_smp, data, len)) {
		dfu_smp_gatt_link_restart(&dfu_smp->link);
	}
	while (len > 0) {
		bool starts = !dfu_smp_gatt_link_receiving(&dfu_smp->link);

		if (starts && dfu_smp->ncmds == 0) {
			dfu_smp->error_cb(dfu_smp, -EIO);
			return;
		}
		if (dfu_smp_gatt_link_take(&dfu_smp->link, data, len, &part) != 0) {
			fail_all(dfu_smp, -EINVAL);
			return;
		}
		if (starts) {
			start_response(dfu_smp, part.data);
		}
		if (dfu_smp->rsp_part) {
			deliver(dfu_smp, &part);
		}
		data += part.len;
		len -= part.len;
	}
}

void bt_dfu_smp_subscribed(struct bt_dfu_smp *dfu_smp, int err)
{
	dfu_smp_gatt_link_subscribed(&dfu_smp->link, err);
	if (err != 0 && busy(dfu_smp)) {
		fail_all(dfu_smp, err);
	}
}

void bt_dfu_smp_written(struct bt_dfu_smp *dfu_smp, int err)
{
	if (err != 0 && busy(dfu_smp)) {
		fail_all(dfu_smp, err);
	}
}

void bt_dfu_smp_disconnected(struct bt_dfu_smp *dfu_smp)
{
	bool waiting = busy(dfu_smp);

	dfu_smp_gatt_link_lost(&dfu_smp->link);
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
	if (dfu_smp->rsp_part && now_ms >= dfu_smp->rsp_deadline_ms) {
		dfu_smp->rsp_part = NULL; /* whatever is left of it is dropped */
		dfu_smp->error_cb(dfu_smp, -ETIMEDOUT);
	}
	/* Oldest first; a callback may change the list, so look again each time. */
	while (dfu_smp->ncmds && now_ms >= dfu_smp->cmds[0].deadline_ms) {
		remove_cmd(dfu_smp, 0);
		dfu_smp->error_cb(dfu_smp, -ETIMEDOUT);
	}
}

uint64_t bt_dfu_smp_deadline(const struct bt_dfu_smp *dfu_smp)
{
	uint64_t deadline = UINT64_MAX;

	if (dfu_smp->timeout_ms == BT_DFU_SMP_TIMEOUT_NONE) {
		return deadline;
	}
	if (dfu_smp->rsp_part) {
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
	dfu_smp->rsp_part = NULL; /* the rest of a response arriving now is dropped */
}

int bt_dfu_smp_cancel(struct bt_dfu_smp *dfu_smp, uint8_t seq)
{
	if (dfu_smp->rsp_part && dfu_smp->rsp_seq == seq) {
		dfu_smp->rsp_part = NULL; /* the rest of the response arriving now is dropped */
		return 0;
	}
	for (unsigned i = 0; i < dfu_smp->ncmds; i++) {
		if (dfu_smp->cmds[i].seq == seq) {
			remove_cmd(dfu_smp, i);
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
	dfu_smp_gatt_link_set_reassembly(&dfu_smp->link, max_size);
}
