/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every connection over BLE GATT has in common, whatever carries the ATT PDUs (BlueZ in
 * conn_ble.c, or a modelled link of another layer): the SMP client on the GATT DFU SMP transport
 * (dfu-smp/smp/gatt.h), the ATT MTU in use, whether the link is up, and the operations of struct
 * conn_ops that follow from these alone. The kind's struct begins with its struct conn_gatt,
 * which begins with its struct dfu_smp_conn, so dfu_smp_conn_self() gives either.
 */
#ifndef PORTS_CONN_GATT_H
#define PORTS_CONN_GATT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/smp/bt_dfu_smp.h>
#include <dfu-smp/smp/gatt.h>
#include <dfu-smp/ports/conn.h>

/** A GATT connection, first in its kind's struct; set up by conn_gatt_init(). */
struct conn_gatt {
	struct dfu_smp_conn conn;
	struct bt_dfu_smp_gatt port; /**< the kind's GATT operations; ctx: the kind's struct */
	struct dfu_smp_gatt transport;
	struct dfu_smp_client client;
	uint16_t mtu;                /**< the ATT MTU in use; the kind sets it */
	bool connected;              /**< the link is up; the kind keeps it */
	uint8_t rx[DFU_SMP_MSG_MAX];
};

/**
 * Set up @p gatt, the first member of a kind's struct: its GATT operations @p gatt_ops (their
 * ctx is the kind's struct, which @p gatt begins), the transport and SMP client as @p opt asks,
 * ATT MTU 23, not connected; then dfu_smp_conn_init() with @p ops.
 */
void conn_gatt_init(struct conn_gatt *gatt, const struct dfu_smp_conn_ops *ops,
		    const struct bt_dfu_smp_gatt_ops *gatt_ops,
		    const struct dfu_smp_conn_options *opt);

/**
 * Explain @p err from a request of @p request_len bytes on the GATT connection @p conn in one
 * line (@p out, @p cap bytes), as struct dfu_smp_conn_ops.explain: a request too long for the device's
 * buffer or for one write at the MTU (ending with @p advice, what to do about it), no answer in
 * time, or the error's own text. The kind explains a lost link itself.
 */
void conn_gatt_explain(struct dfu_smp_conn *conn, int err, size_t request_len, const char *advice,
		       char *out, size_t cap);

/** struct dfu_smp_conn_ops.stats for a GATT connection: the ATT MTU in use. */
void conn_gatt_stats(struct dfu_smp_conn *conn, struct dfu_smp_conn_stats *out);

/** struct dfu_smp_conn_ops.connected for a GATT connection. */
bool conn_gatt_connected(struct dfu_smp_conn *conn);

/** struct dfu_smp_conn_ops.set_reassembly for a GATT connection (dfu_smp_gatt_set_reassembly()). */
void conn_gatt_set_reassembly(struct dfu_smp_conn *conn, size_t max);

/** struct bt_dfu_smp_gatt_ops.get_mtu for the port of a struct conn_gatt: its mtu. */
uint16_t conn_gatt_get_mtu(struct bt_dfu_smp_gatt *port);

#endif /* PORTS_CONN_GATT_H */
