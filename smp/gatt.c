/* SPDX-License-Identifier: Apache-2.0 */
#include "gatt.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static struct smp_gatt *from_dfu(struct bt_dfu_smp *dfu)
{
	return (struct smp_gatt *)(void *)((char *)dfu - offsetof(struct smp_gatt, dfu));
}

static void on_part(struct bt_dfu_smp *dfu)
{
	struct smp_gatt *gatt = from_dfu(dfu);
	const struct bt_dfu_smp_rsp_state *part = bt_dfu_smp_rsp_state(dfu);

	if (part->offset == 0) {
		gatt->rx_overflow = part->total_size > gatt->rx_cap;
		memcpy(gatt->rx_hdr, part->data, SMP_HDR_SIZE); /* the first part holds it */
	}
	if (!gatt->rx_overflow) {
		memcpy(gatt->rx + part->offset, part->data, part->chunk_size);
	}
	if (!bt_dfu_smp_rsp_total_check(dfu)) {
		return;
	}
	if (gatt->rx_overflow) {
		gatt->stats.oversize_rsps++;
		smp_client_reject(gatt->client, gatt->rx_hdr, -EMSGSIZE); /* its request only */
		return;
	}
	smp_client_receive(gatt->client, gatt->rx, part->total_size);
}

static void on_error(struct bt_dfu_smp *dfu, int err)
{
	struct smp_gatt *gatt = from_dfu(dfu);

	switch (err) {
	case -EIO:
		gatt->stats.stray_bytes++;
		break;
	case -EBADMSG:
		gatt->stats.foreign_rsps++;
		break;
	default:
		smp_client_transport_error(gatt->client, err);
		break;
	}
}

static int transport_send(void *ctx, const uint8_t *msg, size_t len)
{
	struct smp_gatt *gatt = ctx;
	int err = bt_dfu_smp_command(&gatt->dfu, on_part, len, msg);

	return err == -EBUSY ? -EAGAIN : err;
}

static void transport_cancel(void *ctx, const uint8_t *msg, size_t len)
{
	struct smp_gatt *gatt = ctx;
	struct smp_hdr hdr;

	if (smp_hdr_decode(msg, len, &hdr) == 0) {
		bt_dfu_smp_cancel(&gatt->dfu, hdr.seq);
	}
}

static size_t transport_max_size(void *ctx)
{
	struct smp_gatt *gatt = ctx;

	return bt_dfu_smp_max_command(&gatt->dfu);
}

int smp_gatt_init(struct smp_gatt *gatt, struct smp_client *client, uint8_t *rx, size_t rx_cap)
{
	const struct bt_dfu_smp_init_params params = {
		.error_cb = on_error,
		.timeout_ms = BT_DFU_SMP_TIMEOUT_NONE,
	};
	int err;

	if (!gatt || !client || !rx || rx_cap < SMP_HDR_SIZE) {
		return -EINVAL;
	}
	memset(gatt, 0, sizeof(*gatt));
	gatt->client = client;
	gatt->rx = rx;
	gatt->rx_cap = rx_cap;
	err = bt_dfu_smp_init(&gatt->dfu, &params);
	if (!err) {
		err = bt_dfu_smp_set_pipeline(&gatt->dfu, BT_DFU_SMP_PIPELINE_MAX);
	}
	return err;
}

struct smp_transport smp_gatt_transport(struct smp_gatt *gatt)
{
	struct smp_transport transport = {
		.send = transport_send,
		.cancel = transport_cancel,
		.max_size = transport_max_size,
		.ctx = gatt,
	};

	return transport;
}

struct bt_dfu_smp *smp_gatt_dfu(struct smp_gatt *gatt)
{
	return &gatt->dfu;
}

const struct smp_gatt_stats *smp_gatt_stats(const struct smp_gatt *gatt)
{
	return &gatt->stats;
}
