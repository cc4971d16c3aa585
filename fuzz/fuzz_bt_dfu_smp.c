/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the GATT client's response reassembly (smp/bt_dfu_smp.c). Input: a byte of
 * settings (MTU, commands waiting at once, reassembly on or off), a byte of the group the
 * commands carry, then steps, each a length byte L: L < 0xf0 is a notification of the next L
 * bytes (an exact-size copy, so a read past it is caught); 0xf0 advances time by the next
 * byte times 100 ms; 0xf1 sends one more command; 0xf2 aborts; 0xf3 reports a disconnection
 * and reconnects; 0xf4 cancels the oldest command. The response callback reads every byte it
 * is given, checks that parts follow each other within the response's size and, as the byte
 * after the settings tells, sends a new command, cancels one or aborts from inside it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/smp/bt_dfu_smp.h>
#include <dfu-smp/smp/header.h>

static struct bt_dfu_smp dfu;
static struct bt_dfu_smp_gatt gatt;
static uint16_t mtu;
static uint8_t in_cb_action;
static uint8_t next_seq;
static uint16_t group;
static size_t expect_offset;
static size_t expect_total;
static unsigned cb_depth;

static int fake_write(struct bt_dfu_smp_gatt *g, uint16_t handle, const uint8_t *data,
		      uint16_t len)
{
	(void)g;
	(void)handle;
	if (len == 0 || len > mtu - BT_DFU_SMP_ATT_OVERHEAD || data == NULL) {
		abort();
	}
	return 0;
}

static int fake_subscribe(struct bt_dfu_smp_gatt *g, uint16_t value_handle, uint16_t ccc_handle)
{
	(void)g;
	(void)value_handle;
	(void)ccc_handle;
	return 0;
}

static uint16_t fake_mtu(struct bt_dfu_smp_gatt *g)
{
	(void)g;
	return mtu;
}

static const struct bt_dfu_smp_gatt_ops ops = {
	.write_without_rsp = fake_write,
	.subscribe = fake_subscribe,
	.get_mtu = fake_mtu,
};

static void on_error(struct bt_dfu_smp *d, int err)
{
	if (d != &dfu || err >= 0) {
		abort();
	}
}

static void on_part(struct bt_dfu_smp *d);

static void send_cmd(void)
{
	uint8_t cmd[DFU_SMP_HDR_SIZE + 4] = { 0 };
	struct dfu_smp_hdr hdr = { .op = DFU_SMP_OP_READ, .version = 1, .len = 4,
				   .group = group, .seq = next_seq, .id = (uint8_t)(next_seq & 7u) };

	dfu_smp_hdr_encode(&hdr, cmd);
	if (bt_dfu_smp_command(&dfu, on_part, sizeof(cmd), cmd) == 0) {
		next_seq++;
	}
}

static void on_part(struct bt_dfu_smp *d)
{
	const struct bt_dfu_smp_rsp_state *s = bt_dfu_smp_rsp_state(d);
	volatile uint8_t sum = 0;

	if (d != &dfu || s->data == NULL || s->chunk_size == 0 ||
	    s->offset + s->chunk_size > s->total_size || s->total_size < DFU_SMP_HDR_SIZE) {
		abort();
	}
	if (s->offset == 0) {
		struct dfu_smp_hdr hdr;

		if (dfu_smp_hdr_decode(s->data, s->chunk_size, &hdr) != 0 ||
		    (size_t)hdr.len + DFU_SMP_HDR_SIZE != s->total_size || hdr.group != group) {
			abort();
		}
	} else if (s->offset != expect_offset || s->total_size != expect_total) {
		abort();
	}
	for (size_t i = 0; i < s->chunk_size; i++) {
		sum = (uint8_t)(sum + s->data[i]);
	}
	expect_offset = s->offset + s->chunk_size;
	expect_total = s->total_size;
	if (!bt_dfu_smp_rsp_total_check(d) || cb_depth > 4) {
		return;
	}
	cb_depth++;
	switch (in_cb_action & 3u) {
	case 1:
		send_cmd();
		break;
	case 2:
		if (dfu.ncmds) {
			bt_dfu_smp_cancel(&dfu, dfu.cmds[0].seq);
		}
		break;
	case 3:
		bt_dfu_smp_abort(&dfu);
		send_cmd();
		break;
	default:
		break;
	}
	in_cb_action = (uint8_t)((in_cb_action >> 2) | (in_cb_action << 6));
	cb_depth--;
}

static void setup_link(void)
{
	static struct bt_dfu_smp_discovery_desc desc;
	static struct bt_dfu_smp_discovery_chrc chrc;
	static struct bt_dfu_smp_discovery dm;

	desc.uuid = BT_DFU_SMP_UUID_CCC;
	desc.handle = 12;
	chrc.uuid = BT_DFU_SMP_UUID_CHAR;
	chrc.value_handle = 11;
	chrc.properties = BT_DFU_SMP_CHRC_WRITE_WITHOUT_RESP | BT_DFU_SMP_CHRC_NOTIFY;
	chrc.descs = &desc;
	chrc.desc_count = 1;
	dm.conn = &gatt;
	dm.service_uuid = BT_DFU_SMP_UUID_SERVICE;
	dm.chrcs = &chrc;
	dm.chrc_count = 1;
	if (bt_dfu_smp_handles_assign(&dm, &dfu) != 0) {
		abort();
	}
	bt_dfu_smp_subscribed(&dfu, 0);
}

static void notify(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1u);

	if (copy == NULL) {
		abort();
	}
	memcpy(copy, data, len);
	bt_dfu_smp_notify(&dfu, copy, len);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t mtus[4] = { 23, 27, 185, 498 };
	const struct bt_dfu_smp_init_params params = { .error_cb = on_error, .timeout_ms = 1000 };
	uint64_t now = 0;
	unsigned depth;
	size_t i = 3;

	if (size < 3) {
		return 0;
	}
	mtu = mtus[data[0] & 3u];
	depth = 1u + ((data[0] >> 2) & 7u);
	group = data[1];
	in_cb_action = data[2];
	next_seq = 0;
	expect_offset = 0;
	expect_total = 0;
	cb_depth = 0;
	gatt.ops = &ops;
	gatt.ctx = NULL;
	if (bt_dfu_smp_init(&dfu, &params) != 0) {
		abort();
	}
	setup_link();
	if (data[0] & 0x20u) {
		bt_dfu_smp_set_reassembly(&dfu, (data[0] & 0x40u) ? 256u : 4096u);
	}
	bt_dfu_smp_set_pipeline(&dfu, depth);
	for (unsigned k = 0; k < depth; k++) {
		send_cmd();
	}
	while (i < size) {
		uint8_t op = data[i++];

		if (op < 0xf0u) {
			size_t n = op;

			if (n > size - i) {
				n = size - i;
			}
			notify(data + i, n);
			i += n;
			continue;
		}
		switch (op) {
		case 0xf0:
			if (i < size) {
				now += 100u * data[i++];
			}
			bt_dfu_smp_process(&dfu, now);
			if (bt_dfu_smp_deadline(&dfu) <= now) {
				abort();
			}
			break;
		case 0xf1:
			send_cmd();
			break;
		case 0xf2:
			bt_dfu_smp_abort(&dfu);
			break;
		case 0xf3:
			bt_dfu_smp_disconnected(&dfu);
			setup_link();
			break;
		case 0xf4:
			if (dfu.ncmds) {
				bt_dfu_smp_cancel(&dfu, dfu.cmds[0].seq);
			}
			break;
		default:
			break;
		}
	}
	return 0;
}
