/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fake BlueZ (see bluez.h). One poll() loop serves the bus, the acquired sockets and the
 * simulated device, whose virtual time is the wall time since start: the device takes as long
 * for its flash work and reboots as it does in virtual time (conn.h), only for real.
 */
#include "bluez.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include <dfu-smp/ports/bt_addr.h>
#include <dfu-smp/ports/log.h>
#include <dfu-smp/ports/loop.h>
#include <dfu-smp/smp/bt_dfu_smp.h>
#include <dfu-smp/smp/bytes.h>
#include "hostfs.h"
#include "link.h"
#include "sched.h"

#define BLUEZ_NAME "org.bluez"
#define IFACE_ADAPTER "org.bluez.Adapter1"
#define IFACE_DEVICE "org.bluez.Device1"
#define IFACE_SERVICE "org.bluez.GattService1"
#define IFACE_CHRC "org.bluez.GattCharacteristic1"
#define IFACE_DESC "org.bluez.GattDescriptor1"
#define ERR_PREFIX "org.bluez.Error."

#define ADAPTER_PATH "/org/bluez/hci0"
#define ADAPTER_ADDRESS "00:00:5E:00:53:00" /* from the documentation range */
#define ADAPTER_NAME "dfu-smp-sim-hci0"


#define BLUEZ_MTU 517u          /* what bluetoothd asks for (main.conf ExchangeMTU) */
#define BOOT_US 300000u         /* from reset to advertising, besides the bootloader's work */
#define ADV_FIRST_US 50000u     /* a scan sees the device this long after it starts */
#define ADV_INTERVAL_US 100000u /* then an advertisement (an RSSI update) this often */
#define CONNECT_DELAY_US 10000u /* from the connection request to the link */
#define RESOLVE_US 30000u       /* GATT discovery after the MTU exchange */
#define CONNECT_TIMEOUT_US 5000000u /* bluetoothd gives up on a silent device */
/* clients holding a session at once: one per device each of a fleet's connections scans */
#define MAX_SESSIONS 4096
#define MAX_CHANGES 16

enum att_pending {
	ATT_NONE,
	ATT_MTU,
	ATT_CCC,
};

/* Why the CCC is being written. */
enum ccc_kind {
	CCC_START,   /* StartNotify waits for it */
	CCC_ACQUIRE, /* AcquireNotify waits for it */
	CCC_AUTO,    /* notify sessions that outlived a disconnection are enabled again */
	CCC_OFF,     /* the last session ended */
};

/* A property whose PropertiesChanged is still to go out. */
struct change {
	sd_bus_slot **slot; /* its object; skipped if removed meanwhile */
	const char *path;
	const char *iface;
	const char *prop;
};

/* D-Bus clients (unique names) holding a session. */
struct sessions {
	char **names;
	size_t count, cap;
};

struct bluez;

/* One simulated device as BlueZ knows it: a peripheral behind the adapter, and its objects. */
struct fake {
	struct bluez *bz;
	const struct sim_bluez_config *cfg;
	/* -v, naming the device when there are several; its t0_us is the fake's */
	struct dfu_smp_port_log log;
	char who[16];

	/* the simulated device and the link to it */
	struct sim_link link;
	struct sim_device dev;
	struct sim_gatt server;
	bool dev_ready, link_ready, server_ready;
	uint64_t device_up_us; /* it advertises again from then */

	char addr[DFU_SMP_BT_ADDR_STR_LEN];
	char name[256];
	char dev_path[64];
	char svc_path[80];
	char chrc_path[96];
	char desc_path[112];

	/* the device object, exported once discovered */
	sd_bus_slot *dev_slot;
	sd_bus_slot *svc_slot, *chrc_slot, *desc_slot;
	int16_t rssi;
	bool paired, trusted;
	bool connected, resolved;
	sd_bus_message *connect_call; /* a Connect waiting for the link */
	uint16_t mtu;

	/* the SMP characteristic */
	enum att_pending att;
	enum ccc_kind ccc_kind;
	sd_bus_message *ccc_call;
	uint16_t ccc_value;
	bool notifying;
	struct sessions notify;
	int write_fd;  /* our end of an AcquireWrite socket, or -1 */
	int notify_fd; /* our end of an AcquireNotify socket, or -1 */
	uint8_t value[SIM_ATT_MTU_MAX];
	size_t value_len;
	uint64_t bytes_written;
	bool dropped_once; /* the injected link loss happened */
};

/* The fake bluetoothd: the bus, the adapter, the devices behind it, their virtual time. */
struct bluez {
	const struct sim_bluez_config *cfg;
	sd_bus *bus;
	/* -v; its t0_us is the monotonic time virtual time 0 stands for */
	struct dfu_smp_port_log log;
	struct sim_sched sched; /* every device's and link's events */

	/* the adapter */
	sd_bus_slot *adapter_slot;
	bool powered;
	struct sessions discovering;

	struct fake *devs;
	unsigned count;
	struct change changes[MAX_CHANGES];
	size_t nchanges;
};

static uint64_t vnow(const struct bluez *bz)
{
	return dfu_smp_port_now_us() - bz->log.t0_us;
}

static int bluez_error(sd_bus_error *e, const char *name, const char *msg)
{
	char full[64];

	snprintf(full, sizeof(full), ERR_PREFIX "%s", name);
	return sd_bus_error_set(e, full, msg);
}

/* Replies to a call that waited, and lets it go. */
static void reply_error(sd_bus_message **call, const char *name, const char *msg)
{
	char full[64];

	if (*call) {
		snprintf(full, sizeof(full), ERR_PREFIX "%s", name);
		sd_bus_reply_method_errorf(*call, full, "%s", msg);
		*call = sd_bus_message_unref(*call);
	}
}

/* ---- sessions by client ---- */

static bool sessions_has(const struct sessions *s, const char *name)
{
	for (size_t i = 0; i < s->count; i++) {
		if (strcmp(s->names[i], name) == 0) {
			return true;
		}
	}
	return false;
}

static int sessions_add(struct sessions *s, const char *name)
{
	char *copy;

	if (s->count == MAX_SESSIONS) {
		return -ENOSPC;
	}
	if (s->count == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		char **names = realloc(s->names, cap * sizeof(*names));

		if (!names) {
			return -ENOMEM;
		}
		s->names = names;
		s->cap = cap;
	}
	copy = strdup(name);
	if (!copy) {
		return -ENOMEM;
	}
	s->names[s->count++] = copy;
	return 0;
}

static bool sessions_remove(struct sessions *s, const char *name)
{
	for (size_t i = 0; i < s->count; i++) {
		if (strcmp(s->names[i], name) == 0) {
			free(s->names[i]);
			s->names[i] = s->names[--s->count];
			return true;
		}
	}
	return false;
}

static void sessions_clear(struct sessions *s)
{
	while (s->count) {
		free(s->names[--s->count]);
	}
	free(s->names);
	s->names = NULL;
	s->cap = 0;
}

/* ---- objects ---- */

static void flush_changes(struct bluez *bz)
{
	for (size_t i = 0; i < bz->nchanges; i++) {
		const struct change *c = &bz->changes[i];

		if (*c->slot) {
			sd_bus_emit_properties_changed(bz->bus, c->path, c->iface, c->prop, NULL);
		}
	}
	bz->nchanges = 0;
}

/*
 * Property changes go out after the reply of the call that made them, as bluetoothd's do (its
 * D-Bus layer queues them until the main loop is idle): flush_changes() sends them.
 */
static void emit(struct bluez *bz, sd_bus_slot **slot, const char *path, const char *iface,
		 const char *prop)
{
	for (size_t i = 0; i < bz->nchanges; i++) {
		const struct change *c = &bz->changes[i];

		if (strcmp(c->path, path) == 0 && strcmp(c->iface, iface) == 0 &&
		    strcmp(c->prop, prop) == 0) {
			return;
		}
	}
	if (bz->nchanges == MAX_CHANGES) {
		flush_changes(bz);
	}
	bz->changes[bz->nchanges++] = (struct change){ slot, path, iface, prop };
}

static int export(struct fake *f, sd_bus_slot **slot, const char *path, const char *iface,
		  const sd_bus_vtable *vtable)
{
	int r = sd_bus_add_object_vtable(f->bz->bus, slot, path, iface, vtable, f);

	if (r >= 0) {
		r = sd_bus_emit_object_added(f->bz->bus, path);
	}
	return r;
}

static void unexport(struct fake *f, sd_bus_slot **slot, const char *path)
{
	if (*slot) {
		sd_bus_emit_object_removed(f->bz->bus, path);
		*slot = sd_bus_slot_unref(*slot);
	}
}

/* ---- the link's central side ---- */

static int att_send(struct fake *f, const uint8_t *pdu, size_t len)
{
	return sim_link_send(&f->link, SIM_LINK_CENTRAL, pdu, len, NULL, NULL);
}

static int write_ccc(struct fake *f, enum ccc_kind kind, uint16_t value)
{
	uint8_t pdu[5] = { SIM_ATT_WRITE_REQ };
	int err;

	dfu_smp_put_le16(pdu + 1, SIM_GATT_HANDLE_SMP_CCC);
	dfu_smp_put_le16(pdu + 3, value);
	err = att_send(f, pdu, sizeof(pdu));
	if (!err) {
		f->att = ATT_CCC;
		f->ccc_kind = kind;
		f->ccc_value = value;
	}
	return err;
}

static void set_notifying(struct fake *f, bool on)
{
	if (f->notifying != on) {
		f->notifying = on;
		emit(f->bz, &f->chrc_slot, f->chrc_path, IFACE_CHRC, "Notifying");
	}
}

static void close_write(struct fake *f)
{
	if (f->write_fd >= 0) {
		close(f->write_fd);
		f->write_fd = -1;
		emit(f->bz, &f->chrc_slot, f->chrc_path, IFACE_CHRC, "WriteAcquired");
	}
}

/* The AcquireNotify socket closed; with no StartNotify session left, notifications go off. */
static void close_notify(struct fake *f)
{
	if (f->notify_fd < 0) {
		return;
	}
	close(f->notify_fd);
	f->notify_fd = -1;
	emit(f->bz, &f->chrc_slot, f->chrc_path, IFACE_CHRC, "NotifyAcquired");
	if (f->notify.count == 0) {
		if (f->connected && f->att == ATT_NONE) {
			write_ccc(f, CCC_OFF, 0);
		}
		set_notifying(f, false);
	}
}

static void services_resolved(void *ctx, uint64_t now_us);

/* The link goes down, whoever took it down: the device keeps running. */
static void drop_connection(struct fake *f)
{
	bool was_connected = f->connected;

	f->connected = false;
	sim_sched_cancel(&f->bz->sched, services_resolved, f);
	sim_link_set_connected(&f->link, false);
	sim_gatt_reset(&f->server);
	f->att = ATT_NONE;
	reply_error(&f->ccc_call, "Failed", "Not connected");
	close_write(f);
	close_notify(f);
	set_notifying(f, false);
	if (f->resolved) {
		f->resolved = false;
		emit(f->bz, &f->dev_slot, f->dev_path, IFACE_DEVICE, "ServicesResolved");
	}
	if (was_connected) {
		emit(f->bz, &f->dev_slot, f->dev_path, IFACE_DEVICE, "Connected");
		dfu_smp_port_logf(&f->log, "disconnected");
	}
}

static void deliver_notification(struct fake *f, const uint8_t *data, size_t len)
{
	if (f->notify_fd >= 0) {
		if (send(f->notify_fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			dfu_smp_port_logf(&f->log, "notification of %zu bytes lost: %s", len,
					  strerror(errno));
		}
		return;
	}
	if (f->notify.count && f->notifying) {
		/* one PropertiesChanged per notification, as BlueZ flushes them */
		memcpy(f->value, data, len);
		f->value_len = len;
		flush_changes(f->bz);
		sd_bus_emit_properties_changed(f->bz->bus, f->chrc_path, IFACE_CHRC, "Value", NULL);
	}
}

/* Fault injection: the link drops (out of range, interference); the device keeps running. */
static void drop_link(void *ctx, uint64_t now_us)
{
	struct fake *f = ctx;

	(void)now_us;
	dfu_smp_port_logf(&f->log, "the link drops (--drop-after)");
	drop_connection(f);
}

/* A Write Command to the SMP characteristic, from WriteValue or the AcquireWrite socket. */
static void write_command(struct fake *f, uint8_t *pdu, size_t len)
{
	dfu_smp_put_le16(pdu + 1, SIM_GATT_HANDLE_SMP_VALUE);
	att_send(f, pdu, len);
	f->bytes_written += len - 3;
	if (f->cfg->drop_after && !f->dropped_once && f->bytes_written > f->cfg->drop_after) {
		f->dropped_once = true;
		sim_sched_at(&f->bz->sched, sim_sched_now(&f->bz->sched), drop_link, f);
	}
}

static const sd_bus_vtable service_vtable[];
static const sd_bus_vtable chrc_vtable[];
static const sd_bus_vtable desc_vtable[];

static void services_resolved(void *ctx, uint64_t now_us)
{
	struct fake *f = ctx;

	(void)now_us;
	if (!f->connected || f->resolved) {
		return;
	}
	/* kept from then on, as BlueZ's attribute cache keeps them */
	if (!f->svc_slot) {
		export(f, &f->svc_slot, f->svc_path, IFACE_SERVICE, service_vtable);
		export(f, &f->chrc_slot, f->chrc_path, IFACE_CHRC, chrc_vtable);
		export(f, &f->desc_slot, f->desc_path, IFACE_DESC, desc_vtable);
	}
	emit(f->bz, &f->chrc_slot, f->chrc_path, IFACE_CHRC, "MTU");
	f->resolved = true;
	emit(f->bz, &f->dev_slot, f->dev_path, IFACE_DEVICE, "ServicesResolved");
	dfu_smp_port_logf(&f->log, "services resolved");
	if (f->notify.count && f->att == ATT_NONE) {
		write_ccc(f, CCC_AUTO, 0x0001u);
	}
}

static void connect_timeout(void *ctx, uint64_t now_us);
static void connect_attempt(void *ctx, uint64_t now_us);

static void mtu_exchanged(struct fake *f, uint16_t server_mtu)
{
	f->att = ATT_NONE;
	f->mtu = server_mtu < BLUEZ_MTU ? server_mtu : BLUEZ_MTU;
	if (f->mtu < BT_DFU_SMP_ATT_MTU_MIN) {
		f->mtu = BT_DFU_SMP_ATT_MTU_MIN;
	}
	f->connected = true;
	sim_sched_cancel(&f->bz->sched, connect_timeout, f);
	/* the property first, so that a client sees it once Connect returns */
	emit(f->bz, &f->dev_slot, f->dev_path, IFACE_DEVICE, "Connected");
	flush_changes(f->bz);
	if (f->connect_call) {
		sd_bus_reply_method_return(f->connect_call, "");
		f->connect_call = sd_bus_message_unref(f->connect_call);
	}
	dfu_smp_port_logf(&f->log, "connected, ATT MTU %u", (unsigned)f->mtu);
	sim_sched_at(&f->bz->sched, sim_sched_now(&f->bz->sched) + RESOLVE_US, services_resolved,
		     f);
}

static void ccc_written(struct fake *f, uint8_t att_err)
{
	sd_bus_message *call = f->ccc_call;
	int sv[2];

	f->att = ATT_NONE;
	f->ccc_call = NULL;
	if (att_err) {
		if (f->ccc_kind == CCC_START && call) {
			sessions_remove(&f->notify, sd_bus_message_get_sender(call));
		}
		if (call) {
			sd_bus_reply_method_errorf(call, ERR_PREFIX "Failed",
						   "Operation failed with ATT error: 0x%02x",
						   att_err);
		}
		sd_bus_message_unref(call);
		return;
	}
	set_notifying(f, f->ccc_value != 0);
	if (!call) {
		return;
	}
	if (f->ccc_kind == CCC_ACQUIRE) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
			sd_bus_reply_method_errorf(call, ERR_PREFIX "Failed", "%s",
						   strerror(errno));
		} else {
			fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
			f->notify_fd = sv[0];
			sd_bus_reply_method_return(call, "hq", sv[1], f->mtu);
			close(sv[1]);
			emit(f->bz, &f->chrc_slot, f->chrc_path, IFACE_CHRC, "NotifyAcquired");
			dfu_smp_port_logf(&f->log, "notify acquired");
		}
	} else {
		sd_bus_reply_method_return(call, "");
	}
	sd_bus_message_unref(call);
}

static void central_receive(void *ctx, const uint8_t *pdu, size_t len, uint64_t now_us)
{
	struct fake *f = ctx;

	(void)now_us;
	if (len == 0) {
		return;
	}
	switch (pdu[0]) {
	case SIM_ATT_NOTIFY:
		if (len >= 3 && dfu_smp_get_le16(pdu + 1) == SIM_GATT_HANDLE_SMP_VALUE) {
			deliver_notification(f, pdu + 3, len - 3);
		}
		break;
	case SIM_ATT_MTU_RSP:
		if (f->att == ATT_MTU && len == 3) {
			mtu_exchanged(f, dfu_smp_get_le16(pdu + 1));
		}
		break;
	case SIM_ATT_WRITE_RSP:
		if (f->att == ATT_CCC) {
			ccc_written(f, 0);
		}
		break;
	case SIM_ATT_ERROR_RSP:
		if (len < 5) {
			break;
		}
		if (f->att == ATT_MTU && pdu[1] == SIM_ATT_MTU_REQ) {
			mtu_exchanged(f, BT_DFU_SMP_ATT_MTU_MIN);
		} else if (f->att == ATT_CCC && pdu[1] == SIM_ATT_WRITE_REQ) {
			ccc_written(f, pdu[4]);
		}
		break;
	default:
		break;
	}
}

/* ---- the device's life ---- */

static bool advertising(const struct fake *f)
{
	return f->bz->powered && !f->connected && sim_device_bootable(&f->dev) &&
	       sim_sched_now(&f->bz->sched) >= f->device_up_us;
}

static void device_resets(struct fake *f, uint64_t now_us)
{
	uint64_t busy;

	drop_connection(f);
	sim_device_reboot(&f->dev, now_us);
	busy = sim_device_last_boot(&f->dev)->busy_us;
	if (f->cfg->rollback && sim_device_last_boot(&f->dev)->swaps[0] == SIM_SWAP_TEST) {
		/* the new firmware crashes before confirming itself: the watchdog resets it */
		dfu_smp_port_logf(&f->log, "the new image crashes; the device resets again");
		sim_device_reboot(&f->dev, now_us + BOOT_US + busy);
		busy += BOOT_US + sim_device_last_boot(&f->dev)->busy_us;
	}
	f->device_up_us = now_us + BOOT_US + busy;
	dfu_smp_port_logf(&f->log, "the device resets; it advertises again in %.3f s",
		  (double)(BOOT_US + busy) / 1e6);
	if (f->connect_call) {
		sim_sched_cancel(&f->bz->sched, connect_attempt, f);
		sim_sched_at(&f->bz->sched, f->device_up_us + CONNECT_DELAY_US, connect_attempt, f);
	}
}

static void connect_attempt(void *ctx, uint64_t now_us)
{
	struct fake *f = ctx;
	uint8_t pdu[3] = { SIM_ATT_MTU_REQ };

	(void)now_us;
	if (!f->connect_call || f->connected || !advertising(f)) {
		return; /* a silent device: the timeout answers the call */
	}
	sim_gatt_reset(&f->server);
	sim_link_set_connected(&f->link, true);
	dfu_smp_put_le16(pdu + 1, BLUEZ_MTU);
	if (att_send(f, pdu, sizeof(pdu)) == 0) {
		f->att = ATT_MTU;
	}
}

static void connect_timeout(void *ctx, uint64_t now_us)
{
	struct fake *f = ctx;

	(void)now_us;
	if (f->connect_call) {
		sim_sched_cancel(&f->bz->sched, connect_attempt, f);
		sim_link_set_connected(&f->link, false);
		f->att = ATT_NONE;
		dfu_smp_port_logf(&f->log, "connection attempt timed out");
		reply_error(&f->connect_call, "Failed", "le-connection-abort-by-local");
	}
}

static const sd_bus_vtable device_vtable[];

/* While discovering, the devices advertise: each appears, then its RSSI moves. */
static void advertise(void *ctx, uint64_t now_us)
{
	struct bluez *bz = ctx;

	if (!bz->powered || bz->discovering.count == 0) {
		return;
	}
	for (unsigned i = 0; i < bz->count; i++) {
		struct fake *f = &bz->devs[i];

		if (!advertising(f)) {
			continue;
		}
		if (!f->dev_slot) {
			f->rssi = -50;
			export(f, &f->dev_slot, f->dev_path, IFACE_DEVICE, device_vtable);
			dfu_smp_port_logf(&f->log, "device %s found", f->addr);
		} else {
			f->rssi = f->rssi == -50 ? -52 : -50;
			emit(bz, &f->dev_slot, f->dev_path, IFACE_DEVICE, "RSSI");
		}
	}
	sim_sched_at(&bz->sched, now_us + ADV_INTERVAL_US, advertise, bz);
}

static void remove_device(struct fake *f)
{
	sim_sched_cancel(&f->bz->sched, connect_attempt, f);
	sim_sched_cancel(&f->bz->sched, connect_timeout, f);
	reply_error(&f->connect_call, "Failed", "le-connection-abort-by-local");
	drop_connection(f);
	unexport(f, &f->desc_slot, f->desc_path);
	unexport(f, &f->chrc_slot, f->chrc_path);
	unexport(f, &f->svc_slot, f->svc_path);
	unexport(f, &f->dev_slot, f->dev_path);
	sessions_clear(&f->notify);
	f->paired = false;
	f->trusted = false;
}

/* ---- Adapter1 ---- */

static void set_discovering(struct bluez *bz, bool was)
{
	if (was != (bz->discovering.count > 0)) {
		emit(bz, &bz->adapter_slot, ADAPTER_PATH, IFACE_ADAPTER, "Discovering");
	}
}

/* Discovery sessions of several clients are one scan, as BlueZ merges them. */
static int adapter_start_discovery(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct bluez *bz = userdata;
	const char *sender = sd_bus_message_get_sender(m);
	bool was = bz->discovering.count > 0;

	if (!bz->powered) {
		return bluez_error(e, "NotReady", "Resource Not Ready");
	}
	if (sessions_has(&bz->discovering, sender)) {
		return bluez_error(e, "InProgress", "Operation already in progress");
	}
	if (sessions_add(&bz->discovering, sender) != 0) {
		return bluez_error(e, "Failed", "Too many discovery sessions");
	}
	dfu_smp_port_logf(&bz->log, "StartDiscovery from %s", sender);
	set_discovering(bz, was);
	if (!was) {
		sim_sched_at(&bz->sched, sim_sched_now(&bz->sched) + ADV_FIRST_US, advertise, bz);
	}
	return sd_bus_reply_method_return(m, "");
}

static int adapter_stop_discovery(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct bluez *bz = userdata;
	const char *sender = sd_bus_message_get_sender(m);
	bool was = bz->discovering.count > 0;

	if (!bz->powered) {
		return bluez_error(e, "NotReady", "Resource Not Ready");
	}
	if (!sessions_remove(&bz->discovering, sender)) {
		return bluez_error(e, "Failed", "No discovery started");
	}
	dfu_smp_port_logf(&bz->log, "StopDiscovery from %s", sender);
	set_discovering(bz, was);
	if (bz->discovering.count == 0) {
		sim_sched_cancel(&bz->sched, advertise, bz);
	}
	return sd_bus_reply_method_return(m, "");
}

static const char *const filter_keys[] = {
	"UUIDs", "RSSI", "Pathloss", "Transport", "DuplicateData", "Discoverable", "Pattern",
};

static int adapter_set_discovery_filter(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct bluez *bz = userdata;
	const char *key, *contents;
	char type;
	int r;

	if (!bz->powered) {
		return bluez_error(e, "NotReady", "Resource Not Ready");
	}
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		bool known = false;

		r = sd_bus_message_read(m, "s", &key);
		if (r < 0) {
			break;
		}
		for (size_t i = 0; i < sizeof(filter_keys) / sizeof(filter_keys[0]); i++) {
			known = known || strcmp(key, filter_keys[i]) == 0;
		}
		if (!known) {
			return bluez_error(e, "InvalidArguments",
					   "Invalid arguments in method call");
		}
		if (strcmp(key, "Transport") == 0) {
			const char *t = "";

			r = sd_bus_message_peek_type(m, &type, &contents);
			if (r < 0 || strcmp(contents, "s") != 0 ||
			    sd_bus_message_read(m, "v", "s", &t) < 0 ||
			    (strcmp(t, "auto") && strcmp(t, "bredr") && strcmp(t, "le"))) {
				return bluez_error(e, "InvalidArguments",
						   "Invalid arguments in method call");
			}
		} else {
			r = sd_bus_message_skip(m, "v");
		}
		if (r >= 0) {
			r = sd_bus_message_exit_container(m);
		}
	}
	if (r < 0) {
		return bluez_error(e, "InvalidArguments", "Invalid arguments in method call");
	}
	return sd_bus_reply_method_return(m, "");
}

static int adapter_get_discovery_filters(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	(void)userdata;
	(void)e;
	return sd_bus_reply_method_return(m, "as", 7, "UUIDs", "RSSI", "Pathloss", "Transport",
					  "DuplicateData", "Discoverable", "Pattern");
}

static int adapter_remove_device(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct bluez *bz = userdata;
	const char *path;
	int r = sd_bus_message_read(m, "o", &path);

	if (r < 0) {
		return bluez_error(e, "InvalidArguments", "Invalid arguments in method call");
	}
	for (unsigned i = 0; i < bz->count; i++) {
		struct fake *f = &bz->devs[i];

		if (f->dev_slot && strcmp(path, f->dev_path) == 0) {
			dfu_smp_port_logf(&f->log, "RemoveDevice %s", path);
			remove_device(f);
			return sd_bus_reply_method_return(m, "");
		}
	}
	return bluez_error(e, "DoesNotExist", "Does Not Exist");
}

static int adapter_get(sd_bus *bus, const char *path, const char *iface, const char *prop,
		       sd_bus_message *reply, void *userdata, sd_bus_error *e)
{
	struct bluez *bz = userdata;

	(void)bus;
	(void)path;
	(void)iface;
	(void)e;
	if (strcmp(prop, "Address") == 0) {
		return sd_bus_message_append(reply, "s", ADAPTER_ADDRESS);
	} else if (strcmp(prop, "AddressType") == 0) {
		return sd_bus_message_append(reply, "s", "public");
	} else if (strcmp(prop, "Name") == 0 || strcmp(prop, "Alias") == 0) {
		return sd_bus_message_append(reply, "s", ADAPTER_NAME);
	} else if (strcmp(prop, "Class") == 0) {
		return sd_bus_message_append(reply, "u", 0u);
	} else if (strcmp(prop, "Powered") == 0) {
		return sd_bus_message_append(reply, "b", bz->powered);
	} else if (strcmp(prop, "PowerState") == 0) {
		return sd_bus_message_append(reply, "s", bz->powered ? "on" : "off");
	} else if (strcmp(prop, "Discoverable") == 0 || strcmp(prop, "Pairable") == 0) {
		return sd_bus_message_append(reply, "b", 0);
	} else if (strcmp(prop, "Discovering") == 0) {
		return sd_bus_message_append(reply, "b", bz->discovering.count > 0);
	} else if (strcmp(prop, "UUIDs") == 0) {
		return sd_bus_message_append(reply, "as", 2, "00001800-0000-1000-8000-00805f9b34fb",
					     "00001801-0000-1000-8000-00805f9b34fb");
	}
	return sd_bus_message_append(reply, "as", 2, "central", "peripheral"); /* Roles */
}

static int adapter_set_powered(sd_bus *bus, const char *path, const char *iface,
			       const char *prop, sd_bus_message *value, void *userdata,
			       sd_bus_error *e)
{
	struct bluez *bz = userdata;
	int on;
	int r = sd_bus_message_read(value, "b", &on);

	(void)bus;
	(void)path;
	(void)iface;
	(void)prop;
	if (r < 0) {
		return bluez_error(e, "InvalidArguments", "Invalid arguments in method call");
	}
	if (bz->powered == (on != 0)) {
		return 0;
	}
	dfu_smp_port_logf(&bz->log, "adapter powered %s", on ? "on" : "off");
	if (!on) {
		bool was = bz->discovering.count > 0;

		for (unsigned i = 0; i < bz->count; i++) {
			struct fake *f = &bz->devs[i];

			sim_sched_cancel(&bz->sched, connect_attempt, f);
			sim_sched_cancel(&bz->sched, connect_timeout, f);
			reply_error(&f->connect_call, "Failed", "le-connection-abort-by-local");
			drop_connection(f);
		}
		sessions_clear(&bz->discovering);
		set_discovering(bz, was);
	}
	bz->powered = on != 0;
	emit(bz, &bz->adapter_slot, ADAPTER_PATH, IFACE_ADAPTER, "Powered");
	emit(bz, &bz->adapter_slot, ADAPTER_PATH, IFACE_ADAPTER, "PowerState");
	return 0;
}

static const sd_bus_vtable adapter_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("StartDiscovery", "", "", adapter_start_discovery, 0),
	SD_BUS_METHOD("StopDiscovery", "", "", adapter_stop_discovery, 0),
	SD_BUS_METHOD_WITH_ARGS("SetDiscoveryFilter", SD_BUS_ARGS("a{sv}", properties),
				SD_BUS_NO_RESULT, adapter_set_discovery_filter, 0),
	SD_BUS_METHOD_WITH_ARGS("GetDiscoveryFilters", SD_BUS_NO_ARGS,
				SD_BUS_RESULT("as", filters), adapter_get_discovery_filters, 0),
	SD_BUS_METHOD_WITH_ARGS("RemoveDevice", SD_BUS_ARGS("o", device), SD_BUS_NO_RESULT,
				adapter_remove_device, 0),
	SD_BUS_PROPERTY("Address", "s", adapter_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("AddressType", "s", adapter_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Name", "s", adapter_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Alias", "s", adapter_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Class", "u", adapter_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_WRITABLE_PROPERTY("Powered", "b", adapter_get, adapter_set_powered, 0,
				 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PowerState", "s", adapter_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Discoverable", "b", adapter_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Pairable", "b", adapter_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Discovering", "b", adapter_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("UUIDs", "as", adapter_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Roles", "as", adapter_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

/* ---- Device1 ---- */

static int device_connect(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct fake *f = userdata;
	uint64_t now = sim_sched_now(&f->bz->sched);
	uint64_t at = now > f->device_up_us ? now : f->device_up_us;

	dfu_smp_port_logf(&f->log, "Connect from %s", sd_bus_message_get_sender(m));
	if (!f->bz->powered) {
		return bluez_error(e, "NotReady", "Resource Not Ready");
	}
	if (f->connected) {
		return sd_bus_reply_method_return(m, "");
	}
	if (f->connect_call) {
		return bluez_error(e, "InProgress", "In Progress");
	}
	f->connect_call = sd_bus_message_ref(m);
	sim_sched_at(&f->bz->sched, at + CONNECT_DELAY_US, connect_attempt, f);
	sim_sched_at(&f->bz->sched, now + CONNECT_TIMEOUT_US, connect_timeout, f);
	return 1;
}

static int device_disconnect(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct fake *f = userdata;

	dfu_smp_port_logf(&f->log, "Disconnect from %s", sd_bus_message_get_sender(m));
	if (f->connect_call) {
		sim_sched_cancel(&f->bz->sched, connect_attempt, f);
		sim_sched_cancel(&f->bz->sched, connect_timeout, f);
		reply_error(&f->connect_call, "Failed", "le-connection-abort-by-local");
		drop_connection(f);
		return sd_bus_reply_method_return(m, "");
	}
	if (!f->connected) {
		return bluez_error(e, "NotConnected", "Not Connected");
	}
	drop_connection(f);
	return sd_bus_reply_method_return(m, "");
}

static int device_pair(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct fake *f = userdata;

	if (f->paired) {
		return bluez_error(e, "AlreadyExists", "Already Exists");
	}
	if (!f->connected) {
		return bluez_error(e, "ConnectionAttemptFailed", "Page Timeout");
	}
	/* Just Works: nothing to ask the user */
	f->paired = true;
	emit(f->bz, &f->dev_slot, f->dev_path, IFACE_DEVICE, "Paired");
	emit(f->bz, &f->dev_slot, f->dev_path, IFACE_DEVICE, "Bonded");
	return sd_bus_reply_method_return(m, "");
}

static int device_cancel_pairing(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	(void)m;
	(void)userdata;
	return bluez_error(e, "DoesNotExist", "Does Not Exist");
}

static int device_get(sd_bus *bus, const char *path, const char *iface, const char *prop,
		      sd_bus_message *reply, void *userdata, sd_bus_error *e)
{
	struct fake *f = userdata;

	(void)bus;
	(void)path;
	(void)iface;
	(void)e;
	if (strcmp(prop, "Address") == 0) {
		return sd_bus_message_append(reply, "s", f->addr);
	} else if (strcmp(prop, "AddressType") == 0) {
		return sd_bus_message_append(reply, "s", "random");
	} else if (strcmp(prop, "Name") == 0 || strcmp(prop, "Alias") == 0) {
		return sd_bus_message_append(reply, "s", f->name);
	} else if (strcmp(prop, "RSSI") == 0) {
		return sd_bus_message_append(reply, "n", f->rssi);
	} else if (strcmp(prop, "UUIDs") == 0) {
		return sd_bus_message_append(reply, "as", 1, BT_DFU_SMP_UUID_SERVICE_STR);
	} else if (strcmp(prop, "Paired") == 0 || strcmp(prop, "Bonded") == 0) {
		return sd_bus_message_append(reply, "b", f->paired);
	} else if (strcmp(prop, "Trusted") == 0) {
		return sd_bus_message_append(reply, "b", f->trusted);
	} else if (strcmp(prop, "Connected") == 0) {
		return sd_bus_message_append(reply, "b", f->connected);
	} else if (strcmp(prop, "ServicesResolved") == 0) {
		return sd_bus_message_append(reply, "b", f->resolved);
	} else if (strcmp(prop, "Adapter") == 0) {
		return sd_bus_message_append(reply, "o", ADAPTER_PATH);
	}
	return sd_bus_message_append(reply, "b", 0); /* Blocked, LegacyPairing */
}

static int device_set_trusted(sd_bus *bus, const char *path, const char *iface,
			      const char *prop, sd_bus_message *value, void *userdata,
			      sd_bus_error *e)
{
	struct fake *f = userdata;
	int on;

	(void)bus;
	(void)path;
	(void)iface;
	(void)prop;
	if (sd_bus_message_read(value, "b", &on) < 0) {
		return bluez_error(e, "InvalidArguments", "Invalid arguments in method call");
	}
	f->trusted = on != 0;
	emit(f->bz, &f->dev_slot, f->dev_path, IFACE_DEVICE, "Trusted");
	return 0;
}

static const sd_bus_vtable device_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Connect", "", "", device_connect, 0),
	SD_BUS_METHOD("Disconnect", "", "", device_disconnect, 0),
	SD_BUS_METHOD("Pair", "", "", device_pair, 0),
	SD_BUS_METHOD("CancelPairing", "", "", device_cancel_pairing, 0),
	SD_BUS_PROPERTY("Address", "s", device_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("AddressType", "s", device_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Name", "s", device_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Alias", "s", device_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("RSSI", "n", device_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("UUIDs", "as", device_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Paired", "b", device_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Bonded", "b", device_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_WRITABLE_PROPERTY("Trusted", "b", device_get, device_set_trusted, 0,
				 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Blocked", "b", device_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("LegacyPairing", "b", device_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Connected", "b", device_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("ServicesResolved", "b", device_get, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Adapter", "o", device_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

/* ---- GattService1 ---- */

static int service_get(sd_bus *bus, const char *path, const char *iface, const char *prop,
		       sd_bus_message *reply, void *userdata, sd_bus_error *e)
{
	struct fake *f = userdata;

	(void)bus;
	(void)path;
	(void)iface;
	(void)e;
	if (strcmp(prop, "UUID") == 0) {
		return sd_bus_message_append(reply, "s", BT_DFU_SMP_UUID_SERVICE_STR);
	} else if (strcmp(prop, "Primary") == 0) {
		return sd_bus_message_append(reply, "b", 1);
	} else if (strcmp(prop, "Device") == 0) {
		return sd_bus_message_append(reply, "o", f->dev_path);
	} else if (strcmp(prop, "Includes") == 0) {
		return sd_bus_message_append(reply, "ao", 0);
	}
	return sd_bus_message_append(reply, "q", (uint16_t)SIM_GATT_HANDLE_SMP_SERVICE);
}

static const sd_bus_vtable service_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("UUID", "s", service_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Primary", "b", service_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Device", "o", service_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Includes", "ao", service_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Handle", "q", service_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

/* ---- GattCharacteristic1 ---- */

/* Reads the a{sv} options of a GATT call: "type" and "offset"; the rest is ignored. */
static int read_options(sd_bus_message *m, const char **type, uint16_t *offset)
{
	const char *key, *contents;
	char t;
	int r = sd_bus_message_enter_container(m, 'a', "{sv}");

	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		r = sd_bus_message_read(m, "s", &key);
		if (r >= 0) {
			r = sd_bus_message_peek_type(m, &t, &contents);
		}
		if (r < 0) {
			break;
		}
		if (strcmp(key, "type") == 0 && strcmp(contents, "s") == 0) {
			r = sd_bus_message_read(m, "v", "s", type);
		} else if (strcmp(key, "offset") == 0 && strcmp(contents, "q") == 0) {
			r = sd_bus_message_read(m, "v", "q", offset);
		} else {
			r = sd_bus_message_skip(m, "v");
		}
		if (r >= 0) {
			r = sd_bus_message_exit_container(m);
		}
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int reply_bytes(sd_bus_message *m, const uint8_t *data, size_t len)
{
	sd_bus_message *reply = NULL;
	int r = sd_bus_message_new_method_return(m, &reply);

	if (r >= 0) {
		r = sd_bus_message_append_array(reply, 'y', data, len);
	}
	if (r >= 0) {
		r = sd_bus_send(NULL, reply, NULL);
	}
	sd_bus_message_unref(reply);
	return r;
}

static int chrc_read_value(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	(void)m;
	(void)userdata;
	return bluez_error(e, "NotPermitted", "Read not permitted");
}

static int chrc_write_value(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct fake *f = userdata;
	uint8_t pdu[3 + SIM_ATT_MTU_MAX] = { SIM_ATT_WRITE_CMD };
	const void *data;
	const char *type = "command";
	uint16_t offset = 0;
	size_t len;

	if (sd_bus_message_read_array(m, 'y', &data, &len) < 0 ||
	    read_options(m, &type, &offset) < 0) {
		return bluez_error(e, "InvalidArguments", "Invalid arguments in method call");
	}
	if (strcmp(type, "request") == 0 || strcmp(type, "reliable") == 0) {
		return bluez_error(e, "NotSupported", "Operation is not supported");
	}
	if (strcmp(type, "command") != 0 || offset != 0) {
		return bluez_error(e, "InvalidArguments", "Invalid arguments in method call");
	}
	if (!f->connected) {
		return bluez_error(e, "Failed", "Not connected");
	}
	if (f->write_fd >= 0) {
		return bluez_error(e, "NotPermitted", "Write acquired");
	}
	if (len + 3 > f->mtu) {
		return bluez_error(e, "Failed", "Failed to initiate write");
	}
	memcpy(pdu + 3, data, len);
	if (f->cfg->verbose > 1) {
		dfu_smp_port_logf(&f->log, "WriteValue %zu bytes", len);
	}
	write_command(f, pdu, len + 3);
	return sd_bus_reply_method_return(m, "");
}

static int chrc_start_notify(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct fake *f = userdata;
	const char *sender = sd_bus_message_get_sender(m);

	dfu_smp_port_logf(&f->log, "StartNotify from %s", sender);
	if (!f->connected) {
		return bluez_error(e, "Failed", "Not connected");
	}
	if (f->notify_fd >= 0) {
		return bluez_error(e, "NotPermitted", "Notify acquired");
	}
	if (sessions_has(&f->notify, sender)) {
		return bluez_error(e, "InProgress", "In Progress");
	}
	if (f->att != ATT_NONE && !f->notifying) {
		return bluez_error(e, "InProgress", "In Progress");
	}
	if (sessions_add(&f->notify, sender) != 0) {
		return bluez_error(e, "Failed", "Too many notify sessions");
	}
	if (f->notifying) {
		return sd_bus_reply_method_return(m, "");
	}
	if (write_ccc(f, CCC_START, 0x0001u) != 0) {
		sessions_remove(&f->notify, sender);
		return bluez_error(e, "Failed", "Not connected");
	}
	f->ccc_call = sd_bus_message_ref(m);
	return 1;
}

static int chrc_stop_notify(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct fake *f = userdata;

	dfu_smp_port_logf(&f->log, "StopNotify from %s", sd_bus_message_get_sender(m));
	if (!sessions_remove(&f->notify, sd_bus_message_get_sender(m))) {
		return bluez_error(e, "Failed", "No notify session started");
	}
	if (f->notify.count == 0 && f->notify_fd < 0) {
		if (f->connected && f->att == ATT_NONE) {
			write_ccc(f, CCC_OFF, 0);
		}
		set_notifying(f, false);
	}
	return sd_bus_reply_method_return(m, "");
}

static int chrc_acquire_write(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct fake *f = userdata;
	int sv[2];
	int r;

	dfu_smp_port_logf(&f->log, "AcquireWrite from %s", sd_bus_message_get_sender(m));
	if (f->cfg->refuse_acquire) {
		return bluez_error(e, "NotPermitted", "Acquiring is refused (--no-acquire)");
	}
	if (!f->connected) {
		return bluez_error(e, "Failed", "Not connected");
	}
	if (f->write_fd >= 0) {
		return bluez_error(e, "NotPermitted", "Write acquired");
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		return bluez_error(e, "Failed", strerror(errno));
	}
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	r = sd_bus_reply_method_return(m, "hq", sv[1], f->mtu);
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		return r;
	}
	f->write_fd = sv[0];
	emit(f->bz, &f->chrc_slot, f->chrc_path, IFACE_CHRC, "WriteAcquired");
	return r;
}

static int chrc_acquire_notify(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct fake *f = userdata;

	dfu_smp_port_logf(&f->log, "AcquireNotify from %s", sd_bus_message_get_sender(m));
	if (f->cfg->refuse_acquire) {
		return bluez_error(e, "NotPermitted", "Acquiring is refused (--no-acquire)");
	}
	if (!f->connected) {
		return bluez_error(e, "Failed", "Not connected");
	}
	if (f->notify_fd >= 0) {
		return bluez_error(e, "NotPermitted", "Notify acquired");
	}
	if (f->notify.count) {
		return bluez_error(e, "NotPermitted", "Notify already started");
	}
	if (f->att != ATT_NONE || write_ccc(f, CCC_ACQUIRE, 0x0001u) != 0) {
		return bluez_error(e, "InProgress", "In Progress");
	}
	f->ccc_call = sd_bus_message_ref(m);
	return 1;
}

static int chrc_get(sd_bus *bus, const char *path, const char *iface, const char *prop,
		    sd_bus_message *reply, void *userdata, sd_bus_error *e)
{
	struct fake *f = userdata;

	(void)bus;
	(void)path;
	(void)iface;
	(void)e;
	if (strcmp(prop, "UUID") == 0) {
		return sd_bus_message_append(reply, "s", BT_DFU_SMP_UUID_CHAR_STR);
	} else if (strcmp(prop, "Service") == 0) {
		return sd_bus_message_append(reply, "o", f->svc_path);
	} else if (strcmp(prop, "Value") == 0) {
		return sd_bus_message_append_array(reply, 'y', f->value, f->value_len);
	} else if (strcmp(prop, "Notifying") == 0) {
		return sd_bus_message_append(reply, "b", f->notifying);
	} else if (strcmp(prop, "Flags") == 0) {
		return sd_bus_message_append(reply, "as", 2, "write-without-response", "notify");
	} else if (strcmp(prop, "Handle") == 0) {
		return sd_bus_message_append(reply, "q", (uint16_t)SIM_GATT_HANDLE_SMP_VALUE);
	} else if (strcmp(prop, "MTU") == 0) {
		return sd_bus_message_append(reply, "q", f->mtu);
	} else if (strcmp(prop, "WriteAcquired") == 0) {
		return sd_bus_message_append(reply, "b", f->write_fd >= 0);
	}
	return sd_bus_message_append(reply, "b", f->notify_fd >= 0); /* NotifyAcquired */
}

static const sd_bus_vtable chrc_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_ARGS("ReadValue", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("ay", value), chrc_read_value, 0),
	SD_BUS_METHOD_WITH_ARGS("WriteValue", SD_BUS_ARGS("ay", value, "a{sv}", options),
				SD_BUS_NO_RESULT, chrc_write_value, 0),
	SD_BUS_METHOD_WITH_ARGS("AcquireWrite", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("h", fd, "q", mtu), chrc_acquire_write, 0),
	SD_BUS_METHOD_WITH_ARGS("AcquireNotify", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("h", fd, "q", mtu), chrc_acquire_notify, 0),
	SD_BUS_METHOD("StartNotify", "", "", chrc_start_notify, 0),
	SD_BUS_METHOD("StopNotify", "", "", chrc_stop_notify, 0),
	SD_BUS_PROPERTY("UUID", "s", chrc_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Service", "o", chrc_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Value", "ay", chrc_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Notifying", "b", chrc_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Flags", "as", chrc_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Handle", "q", chrc_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("MTU", "q", chrc_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("WriteAcquired", "b", chrc_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("NotifyAcquired", "b", chrc_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

/* ---- GattDescriptor1 (the CCC) ---- */

static int desc_read_value(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct fake *f = userdata;
	uint8_t v[2];

	if (!f->connected) {
		return bluez_error(e, "Failed", "Not connected");
	}
	dfu_smp_put_le16(v, f->notifying ? 0x0001u : 0u);
	return reply_bytes(m, v, sizeof(v));
}

static int desc_write_value(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	(void)m;
	(void)userdata;
	/* BlueZ keeps the CCC to itself: StartNotify and AcquireNotify write it */
	return bluez_error(e, "NotPermitted", "Write not permitted");
}

static int desc_get(sd_bus *bus, const char *path, const char *iface, const char *prop,
		    sd_bus_message *reply, void *userdata, sd_bus_error *e)
{
	struct fake *f = userdata;
	uint8_t v[2];

	(void)bus;
	(void)path;
	(void)iface;
	(void)e;
	if (strcmp(prop, "UUID") == 0) {
		return sd_bus_message_append(reply, "s", BT_DFU_SMP_UUID_CCC_STR);
	} else if (strcmp(prop, "Characteristic") == 0) {
		return sd_bus_message_append(reply, "o", f->chrc_path);
	} else if (strcmp(prop, "Value") == 0) {
		dfu_smp_put_le16(v, f->notifying ? 0x0001u : 0u);
		return sd_bus_message_append_array(reply, 'y', v, sizeof(v));
	} else if (strcmp(prop, "Flags") == 0) {
		return sd_bus_message_append(reply, "as", 2, "read", "write");
	}
	return sd_bus_message_append(reply, "q", (uint16_t)SIM_GATT_HANDLE_SMP_CCC);
}

static const sd_bus_vtable desc_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_ARGS("ReadValue", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("ay", value), desc_read_value, 0),
	SD_BUS_METHOD_WITH_ARGS("WriteValue", SD_BUS_ARGS("ay", value, "a{sv}", options),
				SD_BUS_NO_RESULT, desc_write_value, 0),
	SD_BUS_PROPERTY("UUID", "s", desc_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Characteristic", "o", desc_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Value", "ay", desc_get, 0, 0),
	SD_BUS_PROPERTY("Flags", "as", desc_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Handle", "q", desc_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

/* ---- clients leaving the bus lose their sessions, as with BlueZ ---- */

static int name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct bluez *bz = userdata;
	const char *name, *old_owner, *new_owner;
	bool was;

	(void)e;
	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || *new_owner ||
	    name[0] != ':') {
		return 0;
	}
	was = bz->discovering.count > 0;
	if (sessions_remove(&bz->discovering, name)) {
		set_discovering(bz, was);
	}
	for (unsigned i = 0; i < bz->count; i++) {
		struct fake *f = &bz->devs[i];

		if (sessions_remove(&f->notify, name) && f->notify.count == 0 &&
		    f->notify_fd < 0) {
			if (f->connected && f->att == ATT_NONE) {
				write_ccc(f, CCC_OFF, 0);
			}
			set_notifying(f, false);
		}
	}
	return 0;
}

/* ---- the loop ---- */

/* Runs the devices up to the wall clock's now, resetting each when it asked to. */
static void advance(struct bluez *bz)
{
	uint64_t t = vnow(bz);

	for (;;) {
		struct fake *first = NULL;
		uint64_t reset = UINT64_MAX;

		for (unsigned i = 0; i < bz->count; i++) {
			uint64_t at = sim_device_reset_at(&bz->devs[i].dev);

			if (at < reset) {
				reset = at;
				first = &bz->devs[i];
			}
		}
		if (!first || reset > t) {
			break;
		}
		if (reset < sim_sched_now(&bz->sched)) {
			reset = sim_sched_now(&bz->sched);
		}
		sim_sched_run_until(&bz->sched, reset);
		device_resets(first, reset);
	}
	sim_sched_run_until(&bz->sched, t);
}

/* Each datagram on the AcquireWrite socket is one Write Command. */
static void read_writes(struct fake *f)
{
	uint8_t pdu[3 + 1024] = { SIM_ATT_WRITE_CMD };

	while (f->write_fd >= 0) {
		ssize_t n = recv(f->write_fd, pdu + 3, sizeof(pdu) - 3, MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			return;
		}
		if (n <= 0) {
			dfu_smp_port_logf(&f->log, "write released");
			close_write(f);
			return;
		}
		if ((size_t)n + 3 > f->mtu || (size_t)n > sizeof(pdu) - 3) {
			/* bluetoothd drops what does not fit one PDU, silently */
			dfu_smp_port_logf(&f->log, "write of %zd bytes dropped: ATT MTU %u", n,
					  (unsigned)f->mtu);
			continue;
		}
		if (f->cfg->verbose > 1) {
			dfu_smp_port_logf(&f->log, "write %zd bytes", n);
		}
		write_command(f, pdu, (size_t)n + 3);
	}
}

static int run_loop(struct bluez *bz)
{
	size_t n = 2 + 2 * (size_t)bz->count;
	struct pollfd *p = calloc(n, sizeof(*p));
	int r = 0;

	if (!p) {
		return -ENOMEM;
	}
	for (;;) {
		uint64_t next, bus_timeout, now;
		int timeout;

		advance(bz);
		while ((r = sd_bus_process(bz->bus, NULL)) > 0) {
		}
		if (r < 0) {
			break;
		}
		advance(bz);
		flush_changes(bz);
		next = sim_sched_next(&bz->sched);
		for (unsigned i = 0; i < bz->count; i++) {
			uint64_t reset = sim_device_reset_at(&bz->devs[i].dev);

			next = reset < next ? reset : next;
		}
		next = next == UINT64_MAX ? UINT64_MAX : next + bz->log.t0_us;
		if (sd_bus_get_timeout(bz->bus, &bus_timeout) >= 0 && bus_timeout < next) {
			next = bus_timeout;
		}
		now = dfu_smp_port_now_us();
		timeout = next == UINT64_MAX ? -1
			  : next <= now	     ? 0
			  : next - now > 60000000u ? 60000
						   : (int)((next - now + 999u) / 1000u);
		p[0] = (struct pollfd){ .fd = sd_bus_get_fd(bz->bus),
					.events = (short)sd_bus_get_events(bz->bus) };
		p[1] = (struct pollfd){ .fd = bz->cfg->stop_fd, .events = POLLIN };
		for (unsigned i = 0; i < bz->count; i++) {
			p[2 + 2 * i] = (struct pollfd){ .fd = bz->devs[i].write_fd,
							.events = POLLIN };
			/* only its hang-up: the client let it go */
			p[3 + 2 * i] = (struct pollfd){ .fd = bz->devs[i].notify_fd, .events = 0 };
		}
		if (poll(p, n, timeout) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if (p[1].revents) {
			r = 0;
			break;
		}
		advance(bz);
		for (unsigned i = 0; i < bz->count; i++) {
			struct fake *f = &bz->devs[i];

			if (p[2 + 2 * i].revents && p[2 + 2 * i].fd == f->write_fd) {
				read_writes(f);
			}
			if (p[3 + 2 * i].revents && p[3 + 2 * i].fd == f->notify_fd) {
				dfu_smp_port_logf(&f->log, "notify released");
				close_notify(f);
			}
		}
	}
	free(p);
	return r;
}

static void cleanup_device(struct fake *f)
{
	if (!f->bz) {
		return; /* not set up */
	}
	if (f->bz->bus) {
		remove_device(f);
		reply_error(&f->connect_call, "Failed", "le-connection-abort-by-local");
	}
	sessions_clear(&f->notify);
	if (f->dev_ready) {
		sim_device_suspend(&f->dev, sim_sched_now(&f->bz->sched));
	}
	if (f->server_ready) {
		sim_gatt_free(&f->server);
	}
	if (f->link_ready) {
		sim_link_free(&f->link);
	}
	if (f->dev_ready) {
		sim_device_free(&f->dev);
	}
}

static void cleanup(struct bluez *bz)
{
	for (unsigned i = 0; i < bz->count; i++) {
		cleanup_device(&bz->devs[i]);
	}
	if (bz->bus) {
		bz->adapter_slot = sd_bus_slot_unref(bz->adapter_slot);
		sd_bus_flush_close_unref(bz->bus);
	}
	sessions_clear(&bz->discovering);
	/* the links' events go with the scheduler, after the links */
	sim_sched_free(&bz->sched);
	free(bz->devs);
	free(bz);
}

static int setup_bus(struct bluez *bz, char *why, size_t why_cap)
{
	const char *address = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	int r = sd_bus_open_system(&bz->bus);

	if (r < 0) {
		snprintf(why, why_cap, "cannot reach the bus at %s: %s",
			 address ? address : "the system bus's usual socket", strerror(-r));
		return r;
	}
	r = sd_bus_add_object_manager(bz->bus, NULL, "/");
	if (r >= 0) {
		r = sd_bus_add_object_vtable(bz->bus, &bz->adapter_slot, ADAPTER_PATH,
					     IFACE_ADAPTER, adapter_vtable, bz);
	}
	if (r >= 0) {
		r = sd_bus_match_signal(bz->bus, NULL, "org.freedesktop.DBus",
					"/org/freedesktop/DBus", "org.freedesktop.DBus",
					"NameOwnerChanged", name_owner_changed, bz);
	}
	if (r < 0) {
		snprintf(why, why_cap, "cannot export the adapter: %s", strerror(-r));
		return r;
	}
	r = sd_bus_request_name(bz->bus, BLUEZ_NAME, 0);
	if (r < 0) {
		snprintf(why, why_cap, "cannot own %s on the bus: %s%s", BLUEZ_NAME, strerror(-r),
			 r == -EEXIST ? " (bluetoothd, or another fake, runs there)" : "");
	}
	return r;
}

/*
 * Device @p i's address: the first one's plus @p i, as AA:BB:CC:DD:EE:FF. @return false when
 * @p base is no address or the count runs past the last one.
 */
static bool device_address(const char *base, unsigned i, char out[DFU_SMP_BT_ADDR_STR_LEN])
{
	char first[DFU_SMP_BT_ADDR_STR_LEN];
	uint64_t v = 0;

	if (!dfu_smp_bt_addr_parse(base, first)) {
		return false;
	}
	for (const char *c = first; *c; c++) {
		if (*c != ':') {
			v = v << 4 | (uint64_t)(*c <= '9' ? *c - '0' : *c - 'A' + 10);
		}
	}
	v += i;
	if (v >> 48) {
		return false;
	}
	snprintf(out, DFU_SMP_BT_ADDR_STR_LEN, "%02X:%02X:%02X:%02X:%02X:%02X",
		 (unsigned)(v >> 40 & 0xffu), (unsigned)(v >> 32 & 0xffu),
		 (unsigned)(v >> 24 & 0xffu), (unsigned)(v >> 16 & 0xffu),
		 (unsigned)(v >> 8 & 0xffu), (unsigned)(v & 0xffu));
	return true;
}

/* Device @p f->index of several (or the one): its names, its device, GATT server and link. */
static int setup_device(struct bluez *bz, struct fake *f, unsigned i, char *why, size_t why_cap)
{
	const struct sim_bluez_config *cfg = bz->cfg;
	const char *base = cfg->address ? cfg->address : SIM_BLUEZ_DEFAULT_ADDRESS;
	const char *name = cfg->name ? cfg->name : SIM_BLUEZ_DEFAULT_NAME;
	struct sim_device_config dev = cfg->dev;
	char sub[16], *state_dir = NULL;
	int err;

	f->bz = bz;
	f->cfg = cfg;
	f->write_fd = -1;
	f->notify_fd = -1;
	f->mtu = BT_DFU_SMP_ATT_MTU_MIN;
	snprintf(f->who, sizeof(f->who), bz->count == 1 ? "bluez" : "bluez %u", i);
	f->log = bz->log;
	f->log.who = f->who;
	if (bz->count == 1) {
		snprintf(f->name, sizeof(f->name), "%s", name);
	} else {
		snprintf(f->name, sizeof(f->name), "%s-%u", name, i);
	}
	if (!device_address(base, i, f->addr)) {
		snprintf(why, why_cap, bz->count == 1 || !dfu_smp_bt_addr_parse(base, f->addr)
			 ? "'%s' is not a Bluetooth address (AA:BB:CC:DD:EE:FF)"
			 : "'%s': the addresses of the devices run past FF:FF:FF:FF:FF:FF", base);
		return -EINVAL;
	}
	snprintf(f->dev_path, sizeof(f->dev_path), ADAPTER_PATH "/dev_%s", f->addr);
	for (char *c = f->dev_path; *c; c++) {
		*c = *c == ':' ? '_' : *c;
	}
	snprintf(f->svc_path, sizeof(f->svc_path), "%s/service%04x", f->dev_path,
		 SIM_GATT_HANDLE_SMP_SERVICE);
	snprintf(f->chrc_path, sizeof(f->chrc_path), "%s/char%04x", f->svc_path,
		 SIM_GATT_HANDLE_SMP_VALUE - 1);
	snprintf(f->desc_path, sizeof(f->desc_path), "%s/desc%04x", f->chrc_path,
		 SIM_GATT_HANDLE_SMP_CCC);

	/* several devices: device i keeps its state in DIR/i */
	if (dev.state_dir && bz->count > 1) {
		snprintf(sub, sizeof(sub), "%u", i);
		state_dir = sim_hostfs_join(dev.state_dir, sub);
		if (!state_dir) {
			snprintf(why, why_cap, "out of memory");
			return -ENOMEM;
		}
		dev.state_dir = state_dir;
	}
	err = sim_device_init(&f->dev, &dev);
	if (err) {
		snprintf(why, why_cap, "cannot use the simulated device's state directory '%s': %s",
			 dev.state_dir ? dev.state_dir : "", strerror(-err));
		free(state_dir);
		return err;
	}
	free(state_dir); /* the device keeps a copy */
	f->dev_ready = true;
	sim_link_init(&f->link, &bz->sched, &cfg->link);
	f->link_ready = true;
	sim_link_set_connected(&f->link, false);
	err = sim_gatt_init(&f->server, &f->dev, &f->link, &cfg->gatt);
	f->server_ready = true;
	if (err) {
		snprintf(why, why_cap, "out of memory");
		return err;
	}
	sim_link_attach(&f->link, SIM_LINK_CENTRAL, central_receive, f);
	return 0;
}

/* The line a test waits for: the adapter and the devices behind it. */
static void print_banner(const struct bluez *bz)
{
	const char *off = bz->powered ? "" : "; the adapter is powered off";
	const struct fake *first = &bz->devs[0], *last = &bz->devs[bz->count - 1];

	if (bz->count == 1) {
		printf("fake BlueZ: adapter hci0 (%s), device %s named '%s'%s\n", ADAPTER_ADDRESS,
		       first->addr, first->name, off);
	} else {
		printf("fake BlueZ: adapter hci0 (%s), %u devices %s to %s named '%s' to '%s'%s\n",
		       ADAPTER_ADDRESS, bz->count, first->addr, last->addr, first->name,
		       last->name, off);
	}
	fflush(stdout);
}

int sim_bluez_run(const struct sim_bluez_config *cfg, char *why, size_t why_cap)
{
	struct bluez *bz = calloc(1, sizeof(*bz));
	unsigned count = cfg->count ? cfg->count : 1u;
	int err = 0;

	if (!bz) {
		snprintf(why, why_cap, "out of memory");
		return -ENOMEM;
	}
	sim_sched_init(&bz->sched);
	if (count > SIM_BLUEZ_DEVICES_MAX) {
		snprintf(why, why_cap, "%u devices: at most %u", count, SIM_BLUEZ_DEVICES_MAX);
		cleanup(bz);
		return -EINVAL;
	}
	bz->devs = calloc(count, sizeof(*bz->devs));
	if (!bz->devs) {
		snprintf(why, why_cap, "out of memory");
		cleanup(bz);
		return -ENOMEM;
	}
	bz->cfg = cfg;
	bz->powered = !cfg->adapter_off;
	bz->log = (struct dfu_smp_port_log){ .verbose = cfg->verbose, .who = "bluez",
					     .t0_us = dfu_smp_port_now_us() };
	bz->count = count;
	for (unsigned i = 0; !err && i < count; i++) {
		err = setup_device(bz, &bz->devs[i], i, why, why_cap);
	}
	if (!err) {
		err = setup_bus(bz, why, why_cap);
	}
	if (err >= 0) {
		const char **addresses = calloc(count, sizeof(*addresses));

		for (unsigned i = 0; addresses && i < count; i++) {
			addresses[i] = bz->devs[i].addr;
		}
		print_banner(bz);
		err = !addresses ? -ENOMEM : 0;
		if (err) {
			snprintf(why, why_cap, "out of memory");
		}
		if (!err && cfg->ready) {
			err = cfg->ready(cfg->ready_ctx, addresses, count, why, why_cap);
		}
		free(addresses);
		if (!err) {
			err = run_loop(bz);
			if (err < 0) {
				snprintf(why, why_cap, "the bus failed: %s", strerror(-err));
			}
		}
	}
	cleanup(bz);
	return err < 0 ? err : 0;
}
