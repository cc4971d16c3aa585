/* SPDX-License-Identifier: Apache-2.0 */
/* The simulated device as a connection in this process (see conn.h). */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/smp/bt_dfu_smp.h>
#include <dfu-smp/smp/bytes.h>
#include "../ports/conn_gatt.h"
#include <dfu-smp/smp/gatt.h>
#include <dfu-smp/smp/header.h>
#include "central.h"
#include "sched.h"

#define ATT_TIMEOUT_US (30u * 1000u * 1000u) /* ATT's own transaction timeout */
#define BOOT_US 300000u /* from reset to advertising, besides the bootloader's flash work */
#define MAX_CHRCS 8
#define MAX_DESCS 4

struct conn_sim {
	struct conn_gatt gatt; /* the central side's SMP client, MTU and link state */
	const struct sim_conn_config *cfg;

	/* the device side */
	struct sim_sched own_sched; /* the clock, unless the config gives a shared one */
	struct sim_sched *sched;
	struct sim_link link;
	struct sim_device dev;
	struct sim_gatt server;

	/* the central side */
	uint16_t smp_handle;
	bool dropped_once;     /* the injected link loss happened */
	unsigned answers;      /* whole answers that came in one notification */
	uint64_t device_up_us; /* when the device advertises again after a reset */
	bool subscribing;
	bool att_waiting;
	uint8_t att_rsp[SIM_ATT_MTU_MAX];
	size_t att_rsp_len;
	uint64_t timer_us; /* with a wait(): when the timer event is set for, or UINT64_MAX */
};

_Static_assert(offsetof(struct conn_sim, gatt) == 0, "conn_self() needs conn first");

/* A 16-bit UUID on the Bluetooth base UUID, as 128 bits. */
static struct bt_dfu_smp_uuid uuid16(uint16_t value)
{
	struct bt_dfu_smp_uuid uuid = { { 0xfb, 0x34, 0x9b, 0x5f, 0x80, 0x00, 0x00, 0x80, 0x00,
					  0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } };

	dfu_smp_put_le16(uuid.val + 12, value);
	return uuid;
}

/* ---- the event loop, in virtual time ---- */

static void arm(struct conn_sim *cs);

/* The device resets: the link drops and the bootloader runs. */
static void device_resets(struct conn_sim *cs, uint64_t now_us)
{
	uint64_t busy;

	sim_link_set_connected(&cs->link, false);
	sim_gatt_reset(&cs->server);
	sim_device_reboot(&cs->dev, now_us);
	busy = sim_device_last_boot(&cs->dev)->busy_us;
	if (cs->cfg->rollback && sim_device_last_boot(&cs->dev)->swaps[0] == SIM_SWAP_TEST) {
		/* the new firmware crashes before confirming itself: the watchdog resets it */
		dfu_smp_conn_logf(&cs->gatt.conn, "the new image crashes; the device resets again");
		sim_device_reboot(&cs->dev, now_us + BOOT_US + busy);
		busy += BOOT_US + sim_device_last_boot(&cs->dev)->busy_us;
	}
	cs->device_up_us = now_us + BOOT_US + busy;
	if (cs->gatt.connected) {
		cs->gatt.connected = false;
		dfu_smp_conn_logf(&cs->gatt.conn, "the device resets: link lost");
		dfu_smp_gatt_disconnected(&cs->gatt.transport);
	}
}

/*
 * With a wait() of the config, the shared clock runs on its own: what the loop below does at
 * the client's deadline and at the device's reset, a timer event on the clock does.
 */
static void timer(void *ctx, uint64_t now_us);

static void arm(struct conn_sim *cs)
{
	uint64_t client_ms = dfu_smp_client_deadline(&cs->gatt.client);
	uint64_t t = sim_device_reset_at(&cs->dev);

	if (client_ms < UINT64_MAX / 1000u && client_ms * 1000u < t) {
		t = client_ms * 1000u;
	}
	if (t == cs->timer_us) {
		return;
	}
	sim_sched_cancel(cs->sched, timer, cs);
	cs->timer_us = t;
	if (t != UINT64_MAX && sim_sched_at(cs->sched, t, timer, cs) != 0) {
		cs->timer_us = UINT64_MAX;
	}
}

static void timer(void *ctx, uint64_t now_us)
{
	struct conn_sim *cs = ctx;

	cs->timer_us = UINT64_MAX;
	dfu_smp_client_process(&cs->gatt.client, now_us / 1000u);
	if (sim_device_reset_at(&cs->dev) <= now_us) {
		device_resets(cs, now_us);
	}
	arm(cs);
}

/* What a wait() is given: the caller's condition, and the timer kept up to date meanwhile. */
struct waiting {
	struct conn_sim *cs;
	bool (*done)(void *arg);
	void *arg;
};

static bool waited(void *arg)
{
	struct waiting *w = arg;

	if (w->done(w->arg)) {
		return true;
	}
	arm(w->cs); /* what happened since may have moved the client's deadline or a reset */
	return false;
}

static int run_until(struct conn_sim *cs, bool (*done)(void *arg), void *arg, uint64_t limit_us)
{
	if (cs->cfg->wait) {
		struct waiting w = { cs, done, arg };

		if (done(arg)) {
			return 0;
		}
		arm(cs);
		return cs->cfg->wait(cs->cfg->wait_ctx, waited, &w, limit_us);
	}
	while (!done(arg)) {
		uint64_t client_ms = dfu_smp_client_deadline(&cs->gatt.client);
		uint64_t reset_us = sim_device_reset_at(&cs->dev);
		uint64_t t = sim_sched_next(cs->sched);

		if (client_ms != UINT64_MAX && client_ms * 1000u < t) {
			t = client_ms * 1000u;
		}
		if (reset_us < t) {
			t = reset_us;
		}
		if (t == UINT64_MAX || t > limit_us) {
			return -ETIMEDOUT; /* nothing more will happen in time */
		}
		if (t < sim_sched_now(cs->sched)) {
			t = sim_sched_now(cs->sched);
		}
		dfu_smp_client_process(&cs->gatt.client, t / 1000u);
		sim_sched_run_until(cs->sched, t);
		if (sim_device_reset_at(&cs->dev) <= t) {
			device_resets(cs, t);
		}
	}
	return 0;
}

static int sim_run(struct dfu_smp_conn *conn, bool (*done)(void *arg), void *arg)
{
	return run_until(dfu_smp_conn_self(conn), done, arg, UINT64_MAX);
}

static void limit_reached(void *ctx, uint64_t now_us)
{
	(void)ctx;
	(void)now_us;
}

static bool never(void *arg)
{
	(void)arg;
	return false;
}

/* Lets virtual time reach @p t_us (on a shared clock: waits until it has). */
static void pass_time(struct conn_sim *cs, uint64_t t_us)
{
	if (!cs->cfg->wait) {
		sim_sched_run_until(cs->sched, t_us);
		return;
	}
	if (t_us > sim_sched_now(cs->sched) && sim_sched_at(cs->sched, t_us, limit_reached, cs) == 0) {
		run_until(cs, never, NULL, t_us);
		sim_sched_cancel(cs->sched, limit_reached, cs);
	}
}

static int sim_run_until(struct dfu_smp_conn *conn, bool (*done)(void *arg), void *arg,
			 uint64_t limit_ms)
{
	struct conn_sim *cs = dfu_smp_conn_self(conn);
	uint64_t limit_us = limit_ms > UINT64_MAX / 1000u ? UINT64_MAX : limit_ms * 1000u;
	int err;

	/* virtual time goes on to the limit even when nothing else happens until then */
	if (limit_us != UINT64_MAX && sim_sched_at(cs->sched, limit_us, limit_reached, cs) != 0) {
		return -ENOMEM;
	}
	err = run_until(cs, done, arg, limit_us);
	sim_sched_cancel(cs->sched, limit_reached, cs);
	if (err == 0 || done(arg)) {
		return 0;
	}
	return -ETIMEDOUT;
}

static uint64_t sim_now_us(struct dfu_smp_conn *conn)
{
	struct conn_sim *cs = dfu_smp_conn_self(conn);

	return sim_sched_now(cs->sched);
}

/* ---- ATT client: one request at a time ---- */

static bool att_answered(void *arg)
{
	return !((struct conn_sim *)arg)->att_waiting;
}

/* Sends an ATT request and waits for its response; returns the response opcode or -errno. */
static int att_request(struct conn_sim *cs, const uint8_t *pdu, size_t len)
{
	int err;

	cs->att_waiting = true;
	err = sim_link_send(&cs->link, SIM_LINK_CENTRAL, pdu, len, NULL, NULL);
	if (err) {
		cs->att_waiting = false;
		return err;
	}
	err = run_until(cs, att_answered, cs, sim_sched_now(cs->sched) + ATT_TIMEOUT_US);
	if (err) {
		cs->att_waiting = false;
		return err;
	}
	return cs->att_rsp_len ? cs->att_rsp[0] : -EBADMSG;
}

static void central_receive(void *ctx, const uint8_t *pdu, size_t len, uint64_t now_us)
{
	struct conn_sim *cs = ctx;
	bool write_answer;

	(void)now_us;
	if (len == 0) {
		return;
	}
	if (pdu[0] == SIM_ATT_NOTIFY) {
		if (len >= 3 && dfu_smp_get_le16(pdu + 1) == cs->smp_handle) {
			struct dfu_smp_hdr hdr;

			if (cs->cfg->drop_every &&
			    dfu_smp_hdr_decode(pdu + 3, len - 3, &hdr) == 0 &&
			    DFU_SMP_HDR_SIZE + (size_t)hdr.len == len - 3 &&
			    ++cs->answers % cs->cfg->drop_every == 0) {
				dfu_smp_conn_packet_logf(&cs->gatt.conn, "notification %zu bytes "
							 "lost (drop_every)", len - 3);
				return;
			}
			dfu_smp_conn_packet_logf(&cs->gatt.conn, "notification %zu bytes", len - 3);
			cs->gatt.conn.stats.notifications++;
			cs->gatt.conn.stats.bytes_in += len - 3;
			dfu_smp_gatt_notify(&cs->gatt.transport, pdu + 3, len - 3);
			if (cs->cfg->wait) {
				arm(cs); /* the answer may have let the client send more */
			}
		}
		return;
	}
	write_answer = pdu[0] == SIM_ATT_WRITE_RSP ||
		       (pdu[0] == SIM_ATT_ERROR_RSP && len >= 2 && pdu[1] == SIM_ATT_WRITE_REQ);
	if (cs->subscribing && write_answer) {
		cs->subscribing = false;
		dfu_smp_gatt_subscribed(&cs->gatt.transport,
					pdu[0] == SIM_ATT_WRITE_RSP ? 0 : -EACCES);
		return;
	}
	if (cs->att_waiting) {
		cs->att_rsp_len = len < sizeof(cs->att_rsp) ? len : sizeof(cs->att_rsp);
		memcpy(cs->att_rsp, pdu, cs->att_rsp_len);
		cs->att_waiting = false;
	}
}

/* ---- the GATT operations the GATT DFU SMP client uses ---- */

/* Fault injection: the link drops (out of range, interference); the device keeps running. */
static void drop_link(void *ctx, uint64_t now_us)
{
	struct conn_sim *cs = ctx;

	(void)now_us;
	sim_link_set_connected(&cs->link, false);
	sim_gatt_reset(&cs->server);
	cs->device_up_us = sim_sched_now(cs->sched);
	if (cs->gatt.connected) {
		cs->gatt.connected = false;
		dfu_smp_conn_logf(&cs->gatt.conn, "link lost");
		dfu_smp_gatt_disconnected(&cs->gatt.transport);
	}
	if (cs->cfg->wait) {
		arm(cs);
	}
}

static int op_write_without_rsp(struct bt_dfu_smp_gatt *gatt, uint16_t handle, const uint8_t *data,
				uint16_t len)
{
	struct conn_sim *cs = gatt->ctx;
	uint8_t pdu[SIM_ATT_MTU_MAX];

	if ((size_t)len + 3 > cs->gatt.mtu) {
		return -EMSGSIZE;
	}
	pdu[0] = SIM_ATT_WRITE_CMD;
	dfu_smp_put_le16(pdu + 1, handle);
	memcpy(pdu + 3, data, len);
	dfu_smp_conn_packet_logf(&cs->gatt.conn, "write %u bytes", (unsigned)len);
	cs->gatt.conn.stats.writes++;
	cs->gatt.conn.stats.bytes_out += len;
	if (cs->cfg->drop_after && !cs->dropped_once &&
	    cs->gatt.conn.stats.bytes_out > cs->cfg->drop_after) {
		cs->dropped_once = true;
		sim_sched_at(cs->sched, sim_sched_now(cs->sched), drop_link, cs);
	}
	return sim_link_send(&cs->link, SIM_LINK_CENTRAL, pdu, (size_t)len + 3, NULL, NULL);
}

static int op_subscribe(struct bt_dfu_smp_gatt *gatt, uint16_t value_handle, uint16_t ccc_handle)
{
	struct conn_sim *cs = gatt->ctx;
	uint8_t pdu[5] = { SIM_ATT_WRITE_REQ };

	(void)value_handle;
	dfu_smp_put_le16(pdu + 1, ccc_handle);
	dfu_smp_put_le16(pdu + 3, 0x0001u);
	cs->subscribing = true;
	return sim_link_send(&cs->link, SIM_LINK_CENTRAL, pdu, sizeof(pdu), NULL, NULL);
}

static const struct bt_dfu_smp_gatt_ops gatt_ops = {
	.write_without_rsp = op_write_without_rsp,
	.subscribe = op_subscribe,
	.get_mtu = conn_gatt_get_mtu,
};

/* ---- connecting: MTU exchange and discovery ---- */

static int exchange_mtu(struct conn_sim *cs, uint16_t want)
{
	uint8_t pdu[3] = { SIM_ATT_MTU_REQ };
	int op;

	cs->gatt.mtu = BT_DFU_SMP_ATT_MTU_MIN;
	if (want <= BT_DFU_SMP_ATT_MTU_MIN) {
		return 0;
	}
	dfu_smp_put_le16(pdu + 1, want);
	op = att_request(cs, pdu, sizeof(pdu));
	if (op < 0) {
		return op;
	}
	if (op == SIM_ATT_MTU_RSP && cs->att_rsp_len == 3) {
		uint16_t server = dfu_smp_get_le16(cs->att_rsp + 1);
		uint16_t mtu = server < want ? server : want;

		cs->gatt.mtu = mtu < BT_DFU_SMP_ATT_MTU_MIN ? BT_DFU_SMP_ATT_MTU_MIN : mtu;
	}
	return 0;
}

struct found {
	struct bt_dfu_smp_discovery dm;
	struct bt_dfu_smp_discovery_chrc chrcs[MAX_CHRCS];
	struct bt_dfu_smp_discovery_desc descs[MAX_CHRCS][MAX_DESCS];
	uint16_t decl[MAX_CHRCS];
	uint16_t start, end;
};

static int find_service(struct conn_sim *cs, struct found *f)
{
	uint8_t pdu[7 + 16] = { SIM_ATT_FIND_BY_TYPE_REQ };

	dfu_smp_put_le16(pdu + 1, 0x0001u);
	dfu_smp_put_le16(pdu + 3, 0xffffu);
	dfu_smp_put_le16(pdu + 5, 0x2800u); /* primary service */
	memcpy(pdu + 7, BT_DFU_SMP_UUID_SERVICE.val, 16);
	if (att_request(cs, pdu, sizeof(pdu)) != SIM_ATT_FIND_BY_TYPE_RSP || cs->att_rsp_len < 5) {
		return -ENOENT;
	}
	f->start = dfu_smp_get_le16(cs->att_rsp + 1);
	f->end = dfu_smp_get_le16(cs->att_rsp + 3);
	f->dm.service_uuid = BT_DFU_SMP_UUID_SERVICE;
	return 0;
}

static void add_chrc(struct found *f, const uint8_t *entry, size_t len)
{
	struct bt_dfu_smp_discovery_chrc *c;
	size_t uuid_len = len - 5;
	size_t i = f->dm.chrc_count;

	if (i >= MAX_CHRCS || (uuid_len != 2 && uuid_len != 16)) {
		return;
	}
	c = &f->chrcs[i];
	memset(c, 0, sizeof(*c));
	f->decl[i] = dfu_smp_get_le16(entry);
	c->properties = entry[2];
	c->value_handle = dfu_smp_get_le16(entry + 3);
	if (uuid_len == 16) {
		memcpy(c->uuid.val, entry + 5, 16);
	} else {
		c->uuid = uuid16(dfu_smp_get_le16(entry + 5));
	}
	c->descs = f->descs[i];
	f->dm.chrc_count++;
}

static int find_chrcs(struct conn_sim *cs, struct found *f)
{
	uint16_t start = f->start;

	while (start <= f->end && f->dm.chrc_count < MAX_CHRCS) {
		uint8_t pdu[7] = { SIM_ATT_READ_BY_TYPE_REQ };
		size_t entry;
		uint16_t last = start;

		dfu_smp_put_le16(pdu + 1, start);
		dfu_smp_put_le16(pdu + 3, f->end);
		dfu_smp_put_le16(pdu + 5, 0x2803u); /* characteristic declaration */
		if (att_request(cs, pdu, sizeof(pdu)) != SIM_ATT_READ_BY_TYPE_RSP) {
			break; /* an error response ends the search */
		}
		entry = cs->att_rsp_len >= 2 ? cs->att_rsp[1] : 0;
		if (entry < 7) {
			return -EBADMSG;
		}
		for (size_t off = 2; off + entry <= cs->att_rsp_len; off += entry) {
			add_chrc(f, cs->att_rsp + off, entry);
			last = dfu_smp_get_le16(cs->att_rsp + off);
		}
		if (last == 0xffffu) {
			break;
		}
		start = (uint16_t)(last + 1);
	}
	return 0;
}

static int find_descs(struct conn_sim *cs, struct found *f)
{
	for (size_t i = 0; i < f->dm.chrc_count; i++) {
		struct bt_dfu_smp_discovery_chrc *c = &f->chrcs[i];
		uint16_t end = i + 1 < f->dm.chrc_count ? (uint16_t)(f->decl[i + 1] - 1) : f->end;
		uint8_t pdu[5] = { SIM_ATT_FIND_INFO_REQ };

		if (c->value_handle >= end) {
			continue;
		}
		dfu_smp_put_le16(pdu + 1, (uint16_t)(c->value_handle + 1));
		dfu_smp_put_le16(pdu + 3, end);
		if (att_request(cs, pdu, sizeof(pdu)) != SIM_ATT_FIND_INFO_RSP ||
		    cs->att_rsp_len < 2 || cs->att_rsp[1] != 1) {
			continue; /* no descriptors, or only 128-bit ones */
		}
		for (size_t off = 2; off + 4 <= cs->att_rsp_len && c->desc_count < MAX_DESCS;
		     off += 4) {
			struct bt_dfu_smp_discovery_desc *d = &f->descs[i][c->desc_count++];

			d->handle = dfu_smp_get_le16(cs->att_rsp + off);
			d->uuid = uuid16(dfu_smp_get_le16(cs->att_rsp + off + 2));
		}
	}
	return 0;
}

static int discover(struct conn_sim *cs, char *why, size_t why_cap)
{
	struct found f;
	int err;

	memset(&f, 0, sizeof(f));
	f.dm.chrcs = f.chrcs;
	f.dm.conn = &cs->gatt.port;
	err = find_service(cs, &f);
	if (!err) {
		err = find_chrcs(cs, &f);
	}
	if (!err) {
		err = find_descs(cs, &f);
	}
	if (err) {
		snprintf(why, why_cap, "the device has no SMP service (GATT discovery failed)");
		return err;
	}
	err = dfu_smp_gatt_handles_assign(&cs->gatt.transport, &f.dm);
	if (err) {
		snprintf(why, why_cap, "the device's SMP service lacks its characteristic or CCC "
			 "descriptor");
		return err;
	}
	cs->smp_handle = dfu_smp_gatt_handle(&cs->gatt.transport);
	return 0;
}

/* Link up, MTU exchange, discovery: what a central does on every connection. */
static int connect_link(struct conn_sim *cs, char *why, size_t why_cap)
{
	int err;

	sim_gatt_reset(&cs->server);
	sim_link_set_connected(&cs->link, true);
	err = exchange_mtu(cs, cs->gatt.conn.opt.mtu ? cs->gatt.conn.opt.mtu : SIM_ATT_MTU_MAX);
	if (err) {
		snprintf(why, why_cap, "ATT MTU exchange with the simulated device failed");
		return err;
	}
	err = discover(cs, why, why_cap);
	if (err) {
		return err;
	}
	cs->gatt.connected = true;
	dfu_smp_conn_logf(&cs->gatt.conn, "connected, ATT MTU %u", (unsigned)cs->gatt.mtu);
	return 0;
}

static void nothing(void *ctx, uint64_t now_us)
{
	(void)ctx;
	(void)now_us;
}

static bool device_up(void *arg)
{
	struct conn_sim *cs = arg;

	return sim_sched_now(cs->sched) >= cs->device_up_us;
}

static int sim_reconnect(struct dfu_smp_conn *conn, uint32_t timeout_ms, char *why, size_t why_cap)
{
	struct conn_sim *cs = dfu_smp_conn_self(conn);
	uint64_t limit = sim_sched_now(cs->sched) + (uint64_t)timeout_ms * 1000u;

	if (dfu_smp_conn_await_drop(conn, limit / 1000u, timeout_ms, why, why_cap) != 0) {
		return -ETIMEDOUT;
	}
	/* the device advertises again once booted; until then there is nothing to find */
	sim_sched_at(cs->sched, cs->device_up_us, nothing, cs);
	if (cs->device_up_us > limit || run_until(cs, device_up, cs, limit) != 0 ||
	    !sim_device_bootable(&cs->dev)) {
		sim_sched_cancel(cs->sched, nothing, cs);
		pass_time(cs, limit);
		snprintf(why, why_cap, "the device did not come back within %u s%s",
			 (unsigned)(timeout_ms / 1000u),
			 sim_device_bootable(&cs->dev) ? ""
						       : " (its bootloader found no valid image)");
		return -EHOSTUNREACH;
	}
	return connect_link(cs, why, why_cap);
}

/* ---- the connection ---- */

static void sim_explain(struct dfu_smp_conn *conn, int err, size_t request_len, char *out,
			size_t cap)
{
	if (err == -ENOTCONN) {
		snprintf(out, cap, "the device disconnected");
	} else if (err == -ENXIO) {
		snprintf(out, cap, "not connected: the device reset or the link dropped");
	} else {
		conn_gatt_explain(conn, err, request_len, "raise --mtu or send less", out, cap);
	}
}

static void sim_stats(struct dfu_smp_conn *conn, struct dfu_smp_conn_stats *out)
{
	struct conn_sim *cs = dfu_smp_conn_self(conn);

	conn_gatt_stats(conn, out);
	out->air_bytes = sim_link_stats(&cs->link)->air_bytes[SIM_LINK_CENTRAL] +
			 sim_link_stats(&cs->link)->air_bytes[SIM_LINK_PERIPHERAL];
	out->device_dropped = sim_gatt_stats(&cs->server)->dropped_requests;
}

static void sim_close(struct dfu_smp_conn *conn)
{
	struct conn_sim *cs = dfu_smp_conn_self(conn);
	uint64_t reset_us = sim_device_reset_at(&cs->dev);

	uint64_t now_us = sim_sched_now(cs->sched);

	dfu_smp_client_cancel_all(&cs->gatt.client, -ECANCELED);
	/*
	 * The device lives on after the client: a reset it was asked for happens. A shared clock
	 * is not this connection's to run: the reset is made at its time all the same.
	 */
	if (reset_us != UINT64_MAX) {
		if (cs->sched == &cs->own_sched) {
			sim_sched_run_until(cs->sched, reset_us);
		}
		device_resets(cs, reset_us);
		now_us = reset_us > now_us ? reset_us : now_us;
	}
	sim_device_suspend(&cs->dev, now_us);
	sim_gatt_free(&cs->server);
	sim_link_free(&cs->link);
	sim_device_free(&cs->dev);
	if (cs->sched == &cs->own_sched) {
		sim_sched_free(cs->sched);
	} else {
		/* nothing of this connection stays on the shared clock */
		sim_sched_cancel(cs->sched, timer, cs);
		sim_sched_cancel(cs->sched, limit_reached, cs);
		sim_sched_cancel(cs->sched, drop_link, cs);
		sim_sched_cancel(cs->sched, nothing, cs);
	}
	free(cs);
}

static const struct dfu_smp_conn_ops sim_ops = {
	.name = "sim",
	.run = sim_run,
	.run_until = sim_run_until,
	.explain = sim_explain,
	.stats = sim_stats,
	.set_reassembly = conn_gatt_set_reassembly,
	.reconnect = sim_reconnect,
	.connected = conn_gatt_connected,
	.now_us = sim_now_us,
	.close = sim_close,
};

int sim_conn_open(const struct sim_conn_config *cfg, const struct dfu_smp_conn_options *opt,
		  struct dfu_smp_conn **out, char *why, size_t why_cap)
{
	struct conn_sim *cs = calloc(1, sizeof(*cs));
	int err;

	if (!cs) {
		snprintf(why, why_cap, "out of memory");
		return -ENOMEM;
	}
	if (cfg->central && cfg->sched && cfg->sched != cfg->central->sched) {
		snprintf(why, why_cap, "the central runs on another clock than the one given");
		free(cs);
		return -EINVAL;
	}
	cs->cfg = cfg;
	err = sim_device_init(&cs->dev, &cfg->dev);
	if (err) {
		snprintf(why, why_cap, "cannot use the simulated device's state directory '%s': %s",
			 cfg->dev.state_dir ? cfg->dev.state_dir : "", strerror(-err));
		free(cs);
		return err;
	}
	cs->timer_us = UINT64_MAX;
	cs->sched = cfg->sched ? cfg->sched : cfg->central ? cfg->central->sched : &cs->own_sched;
	if (cs->sched == &cs->own_sched) {
		sim_sched_init(cs->sched);
	}
	sim_link_init(&cs->link, cs->sched, &cfg->link);
	if (cfg->central) {
		sim_central_attach(cfg->central, &cs->link);
	}
	conn_gatt_init(&cs->gatt, &sim_ops, &gatt_ops, opt);
	if (sim_gatt_init(&cs->server, &cs->dev, &cs->link, &cfg->gatt) != 0) {
		snprintf(why, why_cap, "out of memory");
		sim_close(&cs->gatt.conn);
		return -ENOMEM;
	}
	sim_link_attach(&cs->link, SIM_LINK_CENTRAL, central_receive, cs);

	err = connect_link(cs, why, why_cap);
	if (err) {
		sim_close(&cs->gatt.conn);
		return err;
	}
	*out = &cs->gatt.conn;
	return 0;
}
