/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A minimal bare-metal program for the Cortex-M4 size check: a port's GATT operations and one
 * echo through the SMP client over the GATT DFU SMP client. It is linked, never run.
 */
#include <stdint.h>
#include <string.h>

#include <dfu-smp/smp/client.h>
#include <dfu-smp/smp/gatt.h>

static struct dfu_smp_gatt transport;
static struct dfu_smp_client client;
static struct dfu_smp_request request;
static uint8_t request_buf[64];
static uint8_t response_buf[512];
static volatile int done;

static int write_without_rsp(struct bt_dfu_smp_gatt *gatt, uint16_t handle, const uint8_t *data,
			     uint16_t len)
{
	(void)gatt;
	(void)handle;
	(void)data;
	(void)len;
	return 0;
}

static int subscribe(struct bt_dfu_smp_gatt *gatt, uint16_t value, uint16_t ccc)
{
	(void)gatt;
	(void)value;
	(void)ccc;
	return 0;
}

static uint16_t get_mtu(struct bt_dfu_smp_gatt *gatt)
{
	(void)gatt;
	return 247;
}

static const struct bt_dfu_smp_gatt_ops ops = { write_without_rsp, subscribe, get_mtu };
static struct bt_dfu_smp_gatt port = { &ops, 0 };

static void on_response(struct dfu_smp_request *req, int err, const struct dfu_smp_client_rsp *rsp)
{
	(void)req;
	(void)rsp;
	done = err ? -1 : 1;
}

/* Called by the radio stack's notification handler. */
void firmware_notify(const uint8_t *data, size_t len)
{
	dfu_smp_gatt_notify(&transport, data, len);
}

void firmware_main(void)
{
	static const uint8_t echo[] = { 0xa1, 0x61, 'd', 0x62, 'h', 'i' };
	struct bt_dfu_smp_discovery_desc ccc = { BT_DFU_SMP_UUID_CCC, 12 };
	struct bt_dfu_smp_discovery_chrc chrc = { BT_DFU_SMP_UUID_CHAR, 11, 0x14, &ccc, 1 };
	struct bt_dfu_smp_discovery dm = { &port, BT_DFU_SMP_UUID_SERVICE, &chrc, 1 };
	struct dfu_smp_transport t;
	uint64_t now = 0;

	dfu_smp_gatt_init(&transport, &client, response_buf, sizeof(response_buf));
	t = dfu_smp_gatt_transport(&transport);
	dfu_smp_client_init(&client, &t, 0);
	dfu_smp_gatt_handles_assign(&transport, &dm);
	dfu_smp_request_init(&request, request_buf, sizeof(request_buf));
	request.op = DFU_SMP_OP_WRITE;
	memcpy(request_buf + DFU_SMP_HDR_SIZE, echo, sizeof(echo));
	request.len = sizeof(echo);
	request.cb = on_response;
	dfu_smp_client_submit(&client, &request);
	while (!done) {
		dfu_smp_client_process(&client, now++);
	}
	for (;;) {
	}
}
