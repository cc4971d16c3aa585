/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/smp/gatt_link.h>

#include <errno.h>
#include <string.h>

#include <dfu-smp/smp/bt_dfu_smp.h>
#include <dfu-smp/smp/header.h>

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

static bool uuid_equal(const struct bt_dfu_smp_uuid *a, const struct bt_dfu_smp_uuid *b)
{
	return memcmp(a->val, b->val, sizeof(a->val)) == 0;
}

int dfu_smp_gatt_link_assign(struct dfu_smp_gatt_link *link, const struct bt_dfu_smp_discovery *dm)
{
	const struct bt_dfu_smp_discovery_chrc *chrc = NULL;
	uint16_t ccc = 0;

	if (!dm || !dm->conn) {
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
	link->conn = dm->conn;
	link->smp_handle = chrc->value_handle;
	link->ccc_handle = ccc;
	link->subscribed = false;
	dfu_smp_gatt_link_restart(link);
	return 0;
}

void dfu_smp_gatt_link_lost(struct dfu_smp_gatt_link *link)
{
	link->conn = NULL;
	link->subscribed = false;
	dfu_smp_gatt_link_restart(link);
}

void dfu_smp_gatt_link_set_reassembly(struct dfu_smp_gatt_link *link, size_t max_size)
{
	link->reassembly_max = max_size;
}

static size_t write_limit(const struct dfu_smp_gatt_link *link)
{
	uint16_t mtu = link->conn->ops->get_mtu(link->conn);

	if (mtu < BT_DFU_SMP_ATT_MTU_MIN) {
		mtu = BT_DFU_SMP_ATT_MTU_MIN;
	}
	return (size_t)mtu - BT_DFU_SMP_ATT_OVERHEAD;
}

size_t dfu_smp_gatt_link_max_size(const struct dfu_smp_gatt_link *link)
{
	size_t one_write;

	if (!link->conn) {
		return 0;
	}
	one_write = write_limit(link);
	return link->reassembly_max > one_write ? link->reassembly_max : one_write;
}

int dfu_smp_gatt_link_subscribe(struct dfu_smp_gatt_link *link)
{
	int err;

	if (!link->conn) {
		return -ENXIO;
	}
	if (link->subscribed) {
		return 0;
	}
	err = link->conn->ops->subscribe(link->conn, link->smp_handle, link->ccc_handle);
	if (err == 0) {
		link->subscribed = true;
	}
	return err;
}

int dfu_smp_gatt_link_send(struct dfu_smp_gatt_link *link, const uint8_t *msg, size_t len)
{
	size_t chunk;
	int err;

	if (!link->conn) {
		return -ENXIO;
	}
	if (len > dfu_smp_gatt_link_max_size(link)) {
		return -EMSGSIZE;
	}
	chunk = write_limit(link);
	err = dfu_smp_gatt_link_subscribe(link);
	if (err) {
		return err;
	}
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		/* the port may lose the connection inside a write: ask for it every time */
		if (!link->conn) {
			return -ENOTCONN;
		}
		err = link->conn->ops->write_without_rsp(link->conn, link->smp_handle, msg + off,
							 (uint16_t)n);
		if (err) {
			return err;
		}
	}
	return 0;
}

void dfu_smp_gatt_link_subscribed(struct dfu_smp_gatt_link *link, int err)
{
	if (err) {
		link->subscribed = false;
	}
}

int dfu_smp_gatt_link_take(struct dfu_smp_gatt_link *link, const uint8_t *data, size_t len,
		       struct dfu_smp_gatt_link_part *part)
{
	size_t left;

	if (link->rx_total == 0) {
		struct dfu_smp_hdr hdr;

		if (dfu_smp_hdr_decode(data, len, &hdr) != 0) {
			return -EINVAL;
		}
		link->rx_total = DFU_SMP_HDR_SIZE + (size_t)hdr.len;
		link->rx_offset = 0;
	}
	left = link->rx_total - link->rx_offset;
	part->data = data;
	part->len = len < left ? len : left;
	part->offset = link->rx_offset;
	part->total = link->rx_total;
	link->rx_offset += part->len;
	if (link->rx_offset == link->rx_total) {
		dfu_smp_gatt_link_restart(link);
	}
	return 0;
}

bool dfu_smp_gatt_link_receiving(const struct dfu_smp_gatt_link *link)
{
	return link->rx_total != 0;
}

void dfu_smp_gatt_link_restart(struct dfu_smp_gatt_link *link)
{
	link->rx_total = 0;
	link->rx_offset = 0;
}

bool dfu_smp_gatt_link_part_is_last(const struct dfu_smp_gatt_link_part *part)
{
	return part->offset + part->len >= part->total;
}
