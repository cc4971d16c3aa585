/* SPDX-License-Identifier: Apache-2.0 */
#include "conn_gatt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

_Static_assert(offsetof(struct conn_gatt, conn) == 0, "conn_self() needs conn first");

void conn_gatt_init(struct conn_gatt *gatt, const struct dfu_smp_conn_ops *ops,
		    const struct bt_dfu_smp_gatt_ops *gatt_ops,
		    const struct dfu_smp_conn_options *opt)
{
	struct dfu_smp_client_config client_cfg = dfu_smp_conn_client_config(opt);
	struct dfu_smp_transport transport;

	gatt->port.ops = gatt_ops;
	gatt->port.ctx = gatt;
	gatt->mtu = BT_DFU_SMP_ATT_MTU_MIN;
	gatt->connected = false;
	dfu_smp_gatt_init(&gatt->transport, &gatt->client, gatt->rx, sizeof(gatt->rx));
	transport = dfu_smp_gatt_transport(&gatt->transport);
	dfu_smp_client_init(&gatt->client, &transport, &client_cfg);
	dfu_smp_conn_init(&gatt->conn, ops, &gatt->client, opt);
}

void conn_gatt_explain(struct dfu_smp_conn *conn, int err, size_t request_len, const char *advice,
		       char *out, size_t cap)
{
	struct conn_gatt *gatt = dfu_smp_conn_self(conn);
	size_t one_write = gatt->mtu - BT_DFU_SMP_ATT_OVERHEAD;

	switch (err) {
	case -EMSGSIZE:
		if (conn->limits_known && conn->limits.reassembly) {
			snprintf(out, cap, "request of %zu bytes is larger than the device's SMP "
				 "buffer (%u bytes)", request_len, (unsigned)conn->limits.buf_size);
		} else {
			snprintf(out, cap, "request of %zu bytes does not fit one write at ATT MTU "
				 "%u (%zu bytes)%s, so %s", request_len, (unsigned)gatt->mtu,
				 one_write,
				 conn->limits_known ? "; the device has no SMP reassembly" : "",
				 advice);
		}
		break;
	case -ETIMEDOUT:
		snprintf(out, cap, "the device did not answer in time (--timeout)");
		break;
	default:
		snprintf(out, cap, "%s", strerror(-err));
		break;
	}
}

void conn_gatt_stats(struct dfu_smp_conn *conn, struct dfu_smp_conn_stats *out)
{
	struct conn_gatt *gatt = dfu_smp_conn_self(conn);

	out->mtu = gatt->mtu;
}

bool conn_gatt_connected(struct dfu_smp_conn *conn)
{
	struct conn_gatt *gatt = dfu_smp_conn_self(conn);

	return gatt->connected;
}

void conn_gatt_set_reassembly(struct dfu_smp_conn *conn, size_t max)
{
	struct conn_gatt *gatt = dfu_smp_conn_self(conn);

	dfu_smp_gatt_set_reassembly(&gatt->transport, max);
}

uint16_t conn_gatt_get_mtu(struct bt_dfu_smp_gatt *port)
{
	const struct conn_gatt *gatt = port->ctx;

	return gatt->mtu;
}
