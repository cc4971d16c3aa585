/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/smp/gatt.h>

#include <errno.h>
#include <string.h>

/* The link failed: whatever was being gathered is no answer any more. */
static void link_failed(struct dfu_smp_gatt *gatt, int err)
{
	dfu_smp_gatt_link_restart(&gatt->link);
	dfu_smp_client_transport_error(gatt->client, err);
}

/* One part of a response: gathered, and handed on whole after its last part. */
static void gather(struct dfu_smp_gatt *gatt, const struct dfu_smp_gatt_link_part *part)
{
	if (part->offset == 0) {
		gatt->rx_overflow = part->total > gatt->rx_cap;
		memcpy(gatt->rx_hdr, part->data,
		       DFU_SMP_HDR_SIZE); /* the first part holds it whole */
	}
	if (!gatt->rx_overflow) {
		memcpy(gatt->rx + part->offset, part->data, part->len);
	}
	if (!dfu_smp_gatt_link_part_is_last(part)) {
		return;
	}
	if (gatt->rx_overflow) {
		dfu_smp_client_reject(gatt->client, gatt->rx_hdr, -EMSGSIZE); /* its request only */
		return;
	}
	dfu_smp_client_receive(gatt->client, gatt->rx, part->total);
}

void dfu_smp_gatt_notify(struct dfu_smp_gatt *gatt, const uint8_t *data, size_t len)
{
	struct dfu_smp_gatt_link_part part;

	if (len == 0 && !dfu_smp_gatt_link_receiving(&gatt->link)) {
		link_failed(gatt, -EINVAL); /* a response with no header */
		return;
	}
	while (len > 0) {
		if (dfu_smp_gatt_link_take(&gatt->link, data, len, &part) != 0) {
			link_failed(gatt, -EINVAL);
			return;
		}
		gather(gatt, &part);
		data += part.len;
		len -= part.len;
	}
}

void dfu_smp_gatt_subscribed(struct dfu_smp_gatt *gatt, int err)
{
	dfu_smp_gatt_link_subscribed(&gatt->link, err);
	if (err) {
		link_failed(gatt, err);
	}
}

void dfu_smp_gatt_written(struct dfu_smp_gatt *gatt, int err)
{
	if (err) {
		link_failed(gatt, err);
	}
}

void dfu_smp_gatt_disconnected(struct dfu_smp_gatt *gatt)
{
	dfu_smp_gatt_link_lost(&gatt->link);
	dfu_smp_client_transport_error(gatt->client, -ENOTCONN);
}

static int transport_send(void *ctx, const uint8_t *msg, size_t len)
{
	struct dfu_smp_gatt *gatt = ctx;

	return dfu_smp_gatt_link_send(&gatt->link, msg, len);
}

static size_t transport_max_size(void *ctx)
{
	struct dfu_smp_gatt *gatt = ctx;

	return dfu_smp_gatt_link_max_size(&gatt->link);
}

int dfu_smp_gatt_init(struct dfu_smp_gatt *gatt, struct dfu_smp_client *client, uint8_t *rx,
		      size_t rx_cap)
{
	if (!gatt || !client || !rx || rx_cap < DFU_SMP_HDR_SIZE) {
		return -EINVAL;
	}
	memset(gatt, 0, sizeof(*gatt));
	gatt->client = client;
	gatt->rx = rx;
	gatt->rx_cap = rx_cap;
	return 0;
}

struct dfu_smp_transport dfu_smp_gatt_transport(struct dfu_smp_gatt *gatt)
{
	struct dfu_smp_transport transport = {
		.send = transport_send,
		.max_size = transport_max_size,
		.ctx = gatt,
	};

	return transport;
}

int dfu_smp_gatt_handles_assign(struct dfu_smp_gatt *gatt, const struct bt_dfu_smp_discovery *dm)
{
	return dfu_smp_gatt_link_assign(&gatt->link, dm);
}

uint16_t dfu_smp_gatt_handle(const struct dfu_smp_gatt *gatt)
{
	return gatt->link.smp_handle;
}

void dfu_smp_gatt_set_reassembly(struct dfu_smp_gatt *gatt, size_t max_size)
{
	dfu_smp_gatt_link_set_reassembly(&gatt->link, max_size);
}
