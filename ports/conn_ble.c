/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `--conn ble:AA:BB:CC:DD:EE:FF` and `--conn ble:name=NAME`: a device over Bluetooth LE through
 * BlueZ, on the D-Bus system bus (sd-bus). It runs beside bluetoothd as any BlueZ client does:
 * no root, no raw HCI, the adapter stays bluetoothd's.
 *
 * The adapter is found through the object manager (and powered on if off); the device among
 * the objects BlueZ knows, else by a bounded scan; then Connect, ServicesResolved, the SMP
 * characteristic and its CCC by UUID. SMP messages go through AcquireWrite/AcquireNotify
 * sockets (one ATT value per datagram) when BlueZ grants them, else through WriteValue
 * (type "command") and StartNotify with one PropertiesChanged("Value") per notification.
 * A link loss shows at once: the acquired sockets hang up, or the device's Connected turns
 * false.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include <dfu-smp/smp/bt_dfu_smp.h>
#include <dfu-smp/smp/gatt.h>
#include <dfu-smp/ports/bt_addr.h>
#include <dfu-smp/ports/conn.h>
#include "conn_gatt.h"
#include "dgram.h"
#include <dfu-smp/ports/loop.h>

#define BLUEZ "org.bluez"
#define IFACE_OM "org.freedesktop.DBus.ObjectManager"
#define IFACE_ADAPTER "org.bluez.Adapter1"
#define IFACE_DEVICE "org.bluez.Device1"
#define IFACE_SERVICE "org.bluez.GattService1"
#define IFACE_CHRC "org.bluez.GattCharacteristic1"
#define IFACE_DESC "org.bluez.GattDescriptor1"

#define CALL_TIMEOUT_US (10u * 1000u * 1000u) /* any BlueZ call but Connect */
#define CONNECT_TIMEOUT_MS 20000u  /* Connect: bluetoothd's own attempt ends before */
#define RESOLVE_TIMEOUT_MS 15000u  /* from connected to ServicesResolved */
#define SCAN_DEFAULT_MS 10000u     /* without --timeout */
#define WRITE_STALL_MS 2000u       /* a full socket that does not drain is a dead link */
#define PAUSE_FIRST_MS 250u        /* reconnect: pauses between attempts grow from this */
#define PAUSE_MAX_MS 4000u
/* Handles when BlueZ shows none: any stable non-zero pair serves bt_dfu_smp. */
#define HANDLE_VALUE_DEFAULT 3u
#define HANDLE_CCC_DEFAULT 4u
#define MAX_GATT 32

enum { FD_BUS, FD_NOTIFY, FD_WRITE, FD_COUNT };

struct conn_ble {
	struct conn_gatt gatt;
	sd_bus *bus;

	/* what to reach */
	char adapter[64];  /* object path */
	char addr
		[DFU_SMP_BT_ADDR_STR_LEN]; /* upper-case; learned from the device when found by name */
	char name[249];    /* by name; empty when by address */

	/* the device */
	char dev_path[128];
	char chrc_path[256];
	bool scanning;
	bool discovery_ours;  /* our discovery session is running */
	bool dev_connected;   /* Device1.Connected as last seen */
	bool resolved;        /* Device1.ServicesResolved as last seen */
	bool we_connected;    /* our Connect brought the link up: Disconnect at the end */
	bool notify_session;  /* our StartNotify session, which BlueZ keeps across links */
	/*
	 * Device signals BlueZ sent before this serial of its (a reply that told us the state)
	 * are older than what we know: a link's Connected = false read after the next link
	 * came up must not take that one down.
	 */
	uint64_t dev_floor;
	char floor_sender[64];

	/* the link as SMP uses it (and gatt.connected, gatt.mtu) */
	int write_fd;  /* from AcquireWrite, or -1: WriteValue */
	int notify_fd; /* from AcquireNotify, or -1: PropertiesChanged */
	/*
	 * Writes the AcquireWrite socket had no room for yet: they go out as it drains (POLLOUT),
	 * and the link counts as lost once it takes none for WRITE_STALL_MS (the deadline of
	 * fds[FD_WRITE]).
	 */
	struct port_dgram_queue wq;
	struct dfu_smp_port_fd fds[FD_COUNT];
	char lost[160];    /* why the link went down */
	char failed[300];  /* the last BlueZ error of a write, with its advice */
};

_Static_assert(offsetof(struct conn_ble, gatt) == 0, "conn_self() needs conn first");

/* ---- BlueZ's errors, each with what to do ---- */

struct advice {
	const char *name;
	const char *message; /* a prefix of the error's message, or NULL for any */
	int err;
	const char *advice;
};

static const struct advice advices[] = {
	{ "org.freedesktop.DBus.Error.ServiceUnknown", NULL, -ECONNREFUSED,
	  "bluetoothd is not running: start it (systemctl start bluetooth)" },
	{ "org.freedesktop.DBus.Error.NameHasNoOwner", NULL, -ECONNREFUSED,
	  "bluetoothd is not running: start it (systemctl start bluetooth)" },
	{ "org.freedesktop.DBus.Error.AccessDenied", NULL, -EACCES,
	  "the D-Bus policy keeps this user away from BlueZ: run as a member of the "
	  "'bluetooth' group" },
	{ "org.freedesktop.DBus.Error.NoReply", NULL, -ETIMEDOUT,
	  "bluetoothd did not answer in time: it may be stuck, restart it" },
	{ "org.freedesktop.DBus.Error.Timeout", NULL, -ETIMEDOUT,
	  "bluetoothd did not answer in time: it may be stuck, restart it" },
	{ "org.freedesktop.DBus.Error.UnknownObject", NULL, -ENODEV,
	  "BlueZ dropped the object: the adapter or the device went away" },
	{ "org.freedesktop.DBus.Error.UnknownMethod", NULL, -ENOTSUP,
	  "this BlueZ is too old for it (5.46 or later is needed)" },
	{ "org.bluez.Error.NotReady", NULL, -ENETDOWN,
	  "the adapter is not ready: power it on (bluetoothctl power on)" },
	{ "org.bluez.Error.Failed", "le-connection-abort-by-local", -EHOSTUNREACH,
	  "the device did not answer: is it on, advertising and in range?" },
	{ "org.bluez.Error.Failed", "le-connection-", -ECONNREFUSED,
	  "the connection failed: move closer, or restart the device" },
	{ "org.bluez.Error.Failed", "Not connected", -ENOTCONN, "the link dropped" },
	{ "org.bluez.Error.Failed", "Failed to initiate write", -EIO,
	  "BlueZ could not queue the write: the link is busy or dropped" },
	{ "org.bluez.Error.Failed", "Operation failed with ATT error", -EACCES,
	  "the device refused the request; it may need pairing (bluetoothctl pair ADDRESS)" },
	{ "org.bluez.Error.InProgress", NULL, -EBUSY,
	  "another operation is under way, maybe from another program: try again" },
	{ "org.bluez.Error.NotPermitted", NULL, -EACCES,
	  "another program may hold the characteristic, or the device needs pairing" },
	{ "org.bluez.Error.NotAuthorized", NULL, -EACCES,
	  "pair with the device first (bluetoothctl pair ADDRESS)" },
	{ "org.bluez.Error.NotSupported", NULL, -ENOTSUP,
	  "the adapter or the device does not support it" },
	{ "org.bluez.Error.NotConnected", NULL, -ENOTCONN, "the device is not connected" },
	{ "org.bluez.Error.DoesNotExist", NULL, -ENODEV,
	  "BlueZ forgot the device: it is found again by scanning" },
	{ "org.bluez.Error.NotAvailable", NULL, -ENODEV, "the adapter cannot do it now" },
	{ "org.bluez.Error.InvalidArguments", NULL, -EPROTO,
	  "BlueZ refused the arguments: this BlueZ version may differ from 5.66" },
	{ "org.bluez.Error.AuthenticationFailed", NULL, -EACCES,
	  "pairing failed: remove the device (bluetoothctl remove ADDRESS) and try again" },
	{ "org.bluez.Error.AuthenticationRejected", NULL, -EACCES,
	  "the device rejected pairing: remove it (bluetoothctl remove ADDRESS), put it in "
	  "pairing mode and try again" },
	{ "org.bluez.Error.AuthenticationCanceled", NULL, -EACCES, "pairing was cancelled" },
	{ "org.bluez.Error.AuthenticationTimeout", NULL, -ETIMEDOUT,
	  "pairing timed out: is an agent running (bluetoothctl)?" },
	{ "org.bluez.Error.ConnectionAttemptFailed", NULL, -EHOSTUNREACH,
	  "the device did not answer: is it on and in range?" },
	{ "org.bluez.Error.BREDR.ProfileUnavailable", NULL, -ENOTSUP,
	  "BlueZ took the device for a classic (BR/EDR) one: remove it (bluetoothctl remove "
	  "ADDRESS) so that a scan finds it as an LE device" },
	{ "org.bluez.Error.AlreadyExists", NULL, -EEXIST, "it is already done" },
};

/*
 * Writes "WHAT: NAME: MESSAGE; ADVICE" to @p out and returns the errno that stands for the
 * error; never -EINVAL, which callers take for a usage error.
 */
static int bus_error(const sd_bus_error *e, int r, const char *what, char *out, size_t cap)
{
	const char *message = e && e->message ? e->message : "";

	if (!e || !sd_bus_error_is_set(e)) {
		snprintf(out, cap, "%s: %s", what, strerror(r < 0 ? -r : EIO));
		return r < 0 && r != -EINVAL ? r : -EIO;
	}
	for (size_t i = 0; i < sizeof(advices) / sizeof(advices[0]); i++) {
		const struct advice *a = &advices[i];

		if (strcmp(e->name, a->name) == 0 &&
		    (!a->message || strncmp(message, a->message, strlen(a->message)) == 0)) {
			snprintf(out, cap, "%s: %s: %s; %s", what, e->name, message, a->advice);
			return a->err;
		}
	}
	snprintf(out, cap, "%s: %s: %s", what, e->name, message);
	return -EIO;
}

/* ---- reading properties ---- */

#define FLAG_WRITE_WITHOUT_RSP 0x1u
#define FLAG_NOTIFY 0x2u

/* The properties this client reads, from any BlueZ interface. */
struct props {
	char address[18];
	char name[249];
	char alias[249];
	char uuid[40];
	char parent[256]; /* Adapter, Device, Service or Characteristic: whichever it has */
	char power_state[16];
	bool has_connected, connected;
	bool has_resolved, resolved;
	bool has_powered, powered;
	uint16_t handle;
	uint16_t mtu;
	unsigned flags;
	const uint8_t *value; /* into the message */
	size_t value_len;
	bool has_value;
};

static int read_flags(sd_bus_message *m, unsigned *flags)
{
	const char *s;
	int r = sd_bus_message_enter_container(m, 'v', "as");

	if (r >= 0) {
		r = sd_bus_message_enter_container(m, 'a', "s");
	}
	while (r >= 0 && (r = sd_bus_message_read(m, "s", &s)) > 0) {
		if (strcmp(s, "write-without-response") == 0) {
			*flags |= FLAG_WRITE_WITHOUT_RSP;
		} else if (strcmp(s, "notify") == 0) {
			*flags |= FLAG_NOTIFY;
		}
	}
	if (r >= 0) {
		r = sd_bus_message_exit_container(m);
	}
	return r >= 0 ? sd_bus_message_exit_container(m) : r;
}

static int read_value(sd_bus_message *m, struct props *p)
{
	const void *data;
	int r = sd_bus_message_enter_container(m, 'v', "ay");

	if (r >= 0) {
		r = sd_bus_message_read_array(m, 'y', &data, &p->value_len);
	}
	if (r >= 0) {
		p->value = data;
		p->has_value = true;
		r = sd_bus_message_exit_container(m);
	}
	return r;
}

/* Reads a string or object path property into @p out. */
static int read_string(sd_bus_message *m, const char *contents, char *out, size_t cap)
{
	const char *s;
	int r = sd_bus_message_read(m, "v", contents, &s);

	if (r >= 0) {
		snprintf(out, cap, "%s", s);
	}
	return r;
}

static int read_bool(sd_bus_message *m, bool *has, bool *out)
{
	int b;
	int r = sd_bus_message_read(m, "v", "b", &b);

	if (r >= 0) {
		*has = true;
		*out = b != 0;
	}
	return r;
}

/* Reads one property (the dict entry's key and variant); unknown ones are skipped. */
static int read_prop(sd_bus_message *m, struct props *p)
{
	const char *key, *contents;
	char type;
	int r = sd_bus_message_read(m, "s", &key);

	if (r >= 0) {
		r = sd_bus_message_peek_type(m, &type, &contents);
	}
	if (r < 0) {
		return r;
	}
	if (strcmp(contents, "s") == 0) {
		if (strcmp(key, "Address") == 0) {
			return read_string(m, contents, p->address, sizeof(p->address));
		} else if (strcmp(key, "Name") == 0) {
			return read_string(m, contents, p->name, sizeof(p->name));
		} else if (strcmp(key, "Alias") == 0) {
			return read_string(m, contents, p->alias, sizeof(p->alias));
		} else if (strcmp(key, "UUID") == 0) {
			return read_string(m, contents, p->uuid, sizeof(p->uuid));
		} else if (strcmp(key, "PowerState") == 0) {
			return read_string(m, contents, p->power_state, sizeof(p->power_state));
		}
	} else if (strcmp(contents, "o") == 0) {
		if (strcmp(key, "Adapter") == 0 || strcmp(key, "Device") == 0 ||
		    strcmp(key, "Service") == 0 || strcmp(key, "Characteristic") == 0) {
			return read_string(m, contents, p->parent, sizeof(p->parent));
		}
	} else if (strcmp(contents, "b") == 0) {
		if (strcmp(key, "Connected") == 0) {
			return read_bool(m, &p->has_connected, &p->connected);
		} else if (strcmp(key, "ServicesResolved") == 0) {
			return read_bool(m, &p->has_resolved, &p->resolved);
		} else if (strcmp(key, "Powered") == 0) {
			return read_bool(m, &p->has_powered, &p->powered);
		}
	} else if (strcmp(contents, "q") == 0) {
		if (strcmp(key, "Handle") == 0) {
			return sd_bus_message_read(m, "v", "q", &p->handle);
		} else if (strcmp(key, "MTU") == 0) {
			return sd_bus_message_read(m, "v", "q", &p->mtu);
		}
	} else if (strcmp(contents, "as") == 0 && strcmp(key, "Flags") == 0) {
		return read_flags(m, &p->flags);
	} else if (strcmp(contents, "ay") == 0 && strcmp(key, "Value") == 0) {
		return read_value(m, p);
	}
	return sd_bus_message_skip(m, "v");
}

/* Reads an a{sv} of properties into @p p (cleared first). */
static int read_props(sd_bus_message *m, struct props *p)
{
	int r = sd_bus_message_enter_container(m, 'a', "{sv}");

	memset(p, 0, sizeof(*p));
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		r = read_prop(m, p);
		if (r >= 0) {
			r = sd_bus_message_exit_container(m);
		}
	}
	return r >= 0 ? sd_bus_message_exit_container(m) : r;
}

/* Called for each BlueZ interface of each object. */
typedef void (*object_fn)(void *ctx, const char *path, const char *iface, const struct props *p);

/* Reads the a{sa{sv}} of one object's interfaces (GetManagedObjects, InterfacesAdded). */
static int read_interfaces(sd_bus_message *m, const char *path, object_fn fn, void *ctx)
{
	struct props p;
	const char *iface;
	int r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");

	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
		r = sd_bus_message_read(m, "s", &iface);
		if (r >= 0 && strncmp(iface, "org.bluez.", 10) == 0) {
			r = read_props(m, &p);
			if (r >= 0) {
				fn(ctx, path, iface, &p);
			}
		} else if (r >= 0) {
			r = sd_bus_message_skip(m, "a{sv}");
		}
		if (r >= 0) {
			r = sd_bus_message_exit_container(m);
		}
	}
	return r >= 0 ? sd_bus_message_exit_container(m) : r;
}

/* Calls @p fn for every BlueZ interface of every object BlueZ manages. */
static int managed_objects(struct conn_ble *cb, object_fn fn, void *ctx, char *why, size_t cap)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *path;
	int r = sd_bus_call_method(cb->bus, BLUEZ, "/", IFACE_OM, "GetManagedObjects", &e, &reply,
				   "");

	if (r < 0) {
		r = bus_error(&e, r, "asking BlueZ for its objects", why, cap);
		sd_bus_error_free(&e);
		return r;
	}
	r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
		r = sd_bus_message_read(reply, "o", &path);
		if (r >= 0) {
			r = read_interfaces(reply, path, fn, ctx);
		}
		if (r >= 0) {
			r = sd_bus_message_exit_container(reply);
		}
	}
	sd_bus_message_unref(reply);
	if (r < 0) {
		snprintf(why, cap, "cannot read BlueZ's objects: %s", strerror(-r));
		return -EPROTO;
	}
	return 0;
}

/* ---- the link: loss, input ---- */

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void release_fds(struct conn_ble *cb)
{
	close_fd(&cb->write_fd);
	close_fd(&cb->notify_fd);
	cb->fds[FD_WRITE].fd = -1;
	cb->fds[FD_WRITE].events = 0;
	cb->fds[FD_WRITE].deadline_us = 0;
	cb->fds[FD_NOTIFY].fd = -1;
	port_dgram_clear(&cb->wq);
}

static void link_lost(struct conn_ble *cb, const char *reason)
{
	release_fds(cb);
	if (!cb->gatt.connected) {
		return;
	}
	cb->gatt.connected = false;
	snprintf(cb->lost, sizeof(cb->lost), "%s", reason);
	dfu_smp_conn_logf(&cb->gatt.conn, "link lost: %s", reason);
	dfu_smp_gatt_disconnected(&cb->gatt.transport);
}

static void notification(struct conn_ble *cb, const uint8_t *data, size_t len)
{
	dfu_smp_conn_packet_logf(&cb->gatt.conn, "notification %zu bytes", len);
	cb->gatt.conn.stats.notifications++;
	cb->gatt.conn.stats.bytes_in += len;
	dfu_smp_gatt_notify(&cb->gatt.transport, data, len);
}

static void notify_ready(void *ctx, short revents)
{
	struct conn_ble *cb = ctx;
	uint8_t buf[1024];

	(void)revents;
	while (cb->notify_fd >= 0) {
		ssize_t n = recv(cb->notify_fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			notification(cb, buf, (size_t)n);
		} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			link_lost(cb, "the device disconnected (BlueZ closed the notification "
				  "socket)");
		} else {
			return;
		}
	}
}

/* Sends what waits while the socket takes it; each write taken restarts the clock. */
static void flush_writes(struct conn_ble *cb)
{
	int sent = port_dgram_flush(&cb->wq, cb->write_fd);

	if (sent < 0) {
		link_lost(cb, "the device disconnected (the write socket failed)");
	} else if (!port_dgram_waiting(&cb->wq)) {
		cb->fds[FD_WRITE].events = 0;
		cb->fds[FD_WRITE].deadline_us = 0;
	} else if (sent > 0) {
		cb->fds[FD_WRITE].deadline_us = dfu_smp_port_now_us() + WRITE_STALL_MS * 1000u;
	}
}

/*
 * The write socket: hung up; room again for what waits; or WRITE_STALL_MS without taking any
 * of it (revents 0, its deadline), which is a dead link.
 */
static void write_ready(void *ctx, short revents)
{
	struct conn_ble *cb = ctx;

	if (revents & (POLLHUP | POLLERR)) {
		link_lost(cb, "the device disconnected (BlueZ closed the write socket)");
	} else if (revents & POLLOUT) {
		flush_writes(cb);
	} else if (revents == 0) {
		link_lost(cb, "BlueZ took no write for 2 s");
	}
}

/* ---- signals ---- */

static bool matches_target(const struct conn_ble *cb, const struct props *p)
{
	if (cb->name[0]) {
		return strcmp(p->name, cb->name) == 0 || strcmp(p->alias, cb->name) == 0;
	}
	return strcasecmp(p->address, cb->addr) == 0;
}

static void take_device(struct conn_ble *cb, const char *path, const struct props *p)
{
	snprintf(cb->dev_path, sizeof(cb->dev_path), "%s", path);
	if (p->address[0]) {
		snprintf(cb->addr, sizeof(cb->addr), "%s", p->address);
	}
	cb->dev_connected = p->has_connected && p->connected;
	cb->resolved = p->has_resolved && p->resolved;
}

static void added_interface(void *ctx, const char *path, const char *iface, const struct props *p)
{
	struct conn_ble *cb = ctx;

	if (cb->scanning && !cb->dev_path[0] && strcmp(iface, IFACE_DEVICE) == 0 &&
	    strcmp(p->parent, cb->adapter) == 0 && matches_target(cb, p)) {
		dfu_smp_conn_logf(&cb->gatt.conn, "found %s", path);
		take_device(cb, path, p);
	}
}

static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct conn_ble *cb = userdata;
	const char *path;

	(void)e;
	if (sd_bus_message_read(m, "o", &path) >= 0) {
		read_interfaces(m, path, added_interface, cb);
	}
	return 0;
}

/* What @p reply tells is newer than any device signal its sender sent before it. */
static void raise_floor(struct conn_ble *cb, sd_bus_message *reply)
{
	const char *sender = sd_bus_message_get_sender(reply);
	uint64_t cookie;

	if (sender && sd_bus_message_get_cookie(reply, &cookie) >= 0) {
		snprintf(cb->floor_sender, sizeof(cb->floor_sender), "%s", sender);
		cb->dev_floor = cookie;
	}
}

static bool stale(const struct conn_ble *cb, sd_bus_message *m)
{
	const char *sender = sd_bus_message_get_sender(m);
	uint64_t cookie;

	return sender && strcmp(sender, cb->floor_sender) == 0 &&
	       sd_bus_message_get_cookie(m, &cookie) >= 0 && cookie < cb->dev_floor;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct conn_ble *cb = userdata;
	const char *path = sd_bus_message_get_path(m);
	const char *iface;
	struct props p;

	(void)e;
	if (!path || sd_bus_message_read(m, "s", &iface) < 0 || read_props(m, &p) < 0) {
		return 0;
	}
	if (strcmp(iface, IFACE_CHRC) == 0 && p.has_value && cb->gatt.connected &&
	    cb->notify_fd < 0 && strcmp(path, cb->chrc_path) == 0) {
		notification(cb, p.value, p.value_len);
	} else if (strcmp(iface, IFACE_DEVICE) == 0 && cb->dev_path[0] &&
		   strcmp(path, cb->dev_path) == 0) {
		if (stale(cb, m)) {
			return 0;
		}
		if (p.has_resolved) {
			cb->resolved = p.resolved;
		}
		if (p.has_connected) {
			cb->dev_connected = p.connected;
			if (!p.connected) {
				cb->resolved = false;
				link_lost(cb, "the device disconnected (BlueZ: Connected = false)");
			}
		}
	} else if (strcmp(iface, IFACE_DEVICE) == 0 && cb->scanning && !cb->dev_path[0] &&
		   cb->name[0] && strncmp(path, cb->adapter, strlen(cb->adapter)) == 0 &&
		   path[strlen(cb->adapter)] == '/' &&
		   (strcmp(p.name, cb->name) == 0 || strcmp(p.alias, cb->name) == 0)) {
		/* a device seen before may tell its name only now */
		dfu_smp_conn_logf(&cb->gatt.conn, "found %s", path);
		snprintf(cb->dev_path, sizeof(cb->dev_path), "%s", path);
	} else if (strcmp(iface, IFACE_ADAPTER) == 0 && strcmp(path, cb->adapter) == 0 &&
		   p.has_powered && !p.powered) {
		link_lost(cb, "the adapter was powered off");
	}
	return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct conn_ble *cb = userdata;
	const char *name, *old_owner, *new_owner;

	(void)e;
	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 && !*new_owner) {
		cb->dev_connected = false;
		cb->resolved = false;
		cb->notify_session = false;
		cb->floor_sender[0] = '\0';
		link_lost(cb, "bluetoothd left the bus");
	}
	return 0;
}

/* Dispatches what the bus has, and says what to wait for next. */
static void pump_bus(struct conn_ble *cb)
{
	int r;

	while ((r = sd_bus_process(cb->bus, NULL)) > 0) {
	}
	if (r < 0) {
		cb->fds[FD_BUS].fd = -1;
		link_lost(cb, "the D-Bus connection broke");
		return;
	}
	cb->fds[FD_BUS].events = (short)sd_bus_get_events(cb->bus);
}

static void bus_ready(void *ctx, short revents)
{
	(void)revents;
	pump_bus(ctx);
}

/* ---- the event loop ---- */

struct wait {
	struct conn_ble *cb;
	bool (*done)(void *arg);
	void *arg;
};

/* Checked before each wait: the bus may hold messages read along with a reply. */
static bool wait_check(void *arg)
{
	struct wait *w = arg;

	pump_bus(w->cb);
	return w->done(w->arg);
}

/* Runs the loop until @p done(@p arg) or @p limit_ms; 0 or -ETIMEDOUT. */
static int wait_until(struct conn_ble *cb, bool (*done)(void *arg), void *arg, uint64_t limit_ms)
{
	struct wait w = { .cb = cb, .done = done, .arg = arg };
	int err = dfu_smp_port_loop_run(&cb->gatt.client, cb->fds, FD_COUNT, wait_check, &w,
					limit_ms);

	return err ? err : done(arg) ? 0 : -ETIMEDOUT;
}

static int ble_run_until(struct dfu_smp_conn *conn, bool (*done)(void *arg), void *arg,
			 uint64_t limit_ms)
{
	return wait_until(dfu_smp_conn_self(conn), done, arg, limit_ms);
}

/* ---- the GATT operations the GATT DFU SMP client uses ---- */

static int on_written(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct conn_ble *cb = userdata;
	const sd_bus_error *err = sd_bus_message_get_error(m);

	(void)e;
	if (err) {
		bus_error(err, -EIO, "BlueZ refused a write", cb->failed, sizeof(cb->failed));
		dfu_smp_conn_logf(&cb->gatt.conn, "%s", cb->failed);
		dfu_smp_gatt_written(&cb->gatt.transport, -EIO);
	}
	return 0;
}

/* WriteValue(value, {"type": "command"}), answered later through on_written(). */
static int write_value(struct conn_ble *cb, const uint8_t *data, uint16_t len)
{
	sd_bus_message *m = NULL;
	int r = sd_bus_message_new_method_call(cb->bus, &m, BLUEZ, cb->chrc_path, IFACE_CHRC,
					       "WriteValue");

	if (r >= 0) {
		r = sd_bus_message_append_array(m, 'y', data, len);
	}
	if (r >= 0) {
		r = sd_bus_message_append(m, "a{sv}", 1, "type", "s", "command");
	}
	if (r >= 0) {
		r = sd_bus_call_async(cb->bus, NULL, m, on_written, cb, CALL_TIMEOUT_US);
	}
	sd_bus_message_unref(m);
	cb->fds[FD_BUS].events = (short)sd_bus_get_events(cb->bus);
	return r < 0 ? -EIO : 0;
}

/*
 * One datagram on the AcquireWrite socket. Nothing waits here: when the socket is full, the
 * write waits in order behind the others for it to drain, served by the event loop.
 */
static int write_socket(struct conn_ble *cb, const uint8_t *data, uint16_t len)
{
	int r = port_dgram_send(&cb->wq, cb->write_fd, data, len);

	if (r == -ENOMEM) {
		return r;
	}
	if (r < 0) {
		link_lost(cb, "the device disconnected (the write socket failed)");
		return -ENOTCONN;
	}
	if (port_dgram_waiting(&cb->wq) && !cb->fds[FD_WRITE].events) {
		dfu_smp_conn_logf(&cb->gatt.conn,
				  "the write socket is full: writes wait for it to drain");
		cb->fds[FD_WRITE].events = POLLOUT;
		cb->fds[FD_WRITE].deadline_us = dfu_smp_port_now_us() + WRITE_STALL_MS * 1000u;
	}
	return 0;
}

static int op_write_without_rsp(struct bt_dfu_smp_gatt *gatt, uint16_t handle, const uint8_t *data,
				uint16_t len)
{
	struct conn_ble *cb = gatt->ctx;

	(void)handle;
	if (!cb->gatt.connected) {
		return -ENOTCONN;
	}
	if ((size_t)len + BT_DFU_SMP_ATT_OVERHEAD > cb->gatt.mtu) {
		return -EMSGSIZE;
	}
	dfu_smp_conn_packet_logf(&cb->gatt.conn, "write %u bytes", (unsigned)len);
	cb->gatt.conn.stats.writes++;
	cb->gatt.conn.stats.bytes_out += len;
	return cb->write_fd >= 0 ? write_socket(cb, data, len) : write_value(cb, data, len);
}

/* Notifications were enabled while connecting, so that a refusal shows there, named. */
static int op_subscribe(struct bt_dfu_smp_gatt *gatt, uint16_t value_handle, uint16_t ccc_handle)
{
	struct conn_ble *cb = gatt->ctx;

	(void)value_handle;
	(void)ccc_handle;
	return cb->gatt.connected ? 0 : -ENOTCONN;
}

static const struct bt_dfu_smp_gatt_ops gatt_ops = {
	.write_without_rsp = op_write_without_rsp,
	.subscribe = op_subscribe,
	.get_mtu = conn_gatt_get_mtu,
};

/* ---- finding the adapter and the device ---- */

struct adapter_search {
	const char *want; /* hciN, or NULL for the first */
	char path[64];
	bool powered;
	bool blocked; /* rfkill: powering it on cannot work */
	char others[128]; /* the names of those BlueZ has, for the message */
};

static void adapter_found(void *ctx, const char *path, const char *iface, const struct props *p)
{
	struct adapter_search *s = ctx;
	const char *leaf = strrchr(path, '/');

	size_t n = strlen(s->others);

	if (strcmp(iface, IFACE_ADAPTER) != 0) {
		return;
	}
	snprintf(s->others + n, sizeof(s->others) - n, "%s%s", n ? ", " : "", leaf + 1);
	if (s->want ? strcmp(leaf + 1, s->want) == 0
		    : !s->path[0] || strcmp(path, s->path) < 0) {
		snprintf(s->path, sizeof(s->path), "%s", path);
		s->powered = p->has_powered && p->powered;
		s->blocked = strcmp(p->power_state, "off-blocked") == 0;
	}
}

static int find_adapter(struct conn_ble *cb, char *why, size_t cap)
{
	struct adapter_search s = { .want = cb->gatt.conn.opt.adapter };
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = managed_objects(cb, adapter_found, &s, why, cap);

	if (r) {
		return r;
	}
	if (!s.path[0]) {
		if (s.want) {
			snprintf(why, cap, "BlueZ has no adapter %s, only: %s", s.want,
				 s.others[0] ? s.others : "none");
		} else {
			snprintf(why, cap, "BlueZ has no Bluetooth adapter: plug one in, or check "
				 "that the kernel sees it (hciconfig, rfkill list)");
		}
		return -ENODEV;
	}
	snprintf(cb->adapter, sizeof(cb->adapter), "%s", s.path);
	if (s.powered) {
		return 0;
	}
	if (s.blocked) {
		snprintf(why, cap, "rfkill blocks the adapter %s: unblock it (rfkill unblock "
			 "bluetooth)", strrchr(s.path, '/') + 1);
		return -ENETDOWN;
	}
	dfu_smp_conn_logf(&cb->gatt.conn, "powering %s on", s.path);
	r = sd_bus_set_property(cb->bus, BLUEZ, s.path, IFACE_ADAPTER, "Powered", &e, "b", 1);
	if (r < 0) {
		char what[96];

		snprintf(what, sizeof(what), "the adapter %s is off and cannot be powered on",
			 strrchr(s.path, '/') + 1);
		r = bus_error(&e, r, what, why, cap);
	}
	sd_bus_error_free(&e);
	return r < 0 ? r : 0;
}

static void known_device(void *ctx, const char *path, const char *iface, const struct props *p)
{
	struct conn_ble *cb = ctx;

	if (!cb->dev_path[0] && strcmp(iface, IFACE_DEVICE) == 0 &&
	    strcmp(p->parent, cb->adapter) == 0 && matches_target(cb, p)) {
		take_device(cb, path, p);
	}
}

static bool device_found(void *arg)
{
	return ((struct conn_ble *)arg)->dev_path[0] != '\0';
}

static const char *target(const struct conn_ble *cb)
{
	return cb->name[0] ? cb->name : cb->addr;
}

static void stop_discovery(struct conn_ble *cb)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;

	cb->scanning = false;
	if (cb->discovery_ours) {
		cb->discovery_ours = false;
		sd_bus_call_method(cb->bus, BLUEZ, cb->adapter, IFACE_ADAPTER, "StopDiscovery", &e,
				   NULL, "");
		sd_bus_error_free(&e);
	}
}

/* SetDiscoveryFilter({"Transport": "le"}) and StartDiscovery. */
static int start_discovery(struct conn_ble *cb, char *why, size_t cap)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(cb->bus, BLUEZ, cb->adapter, IFACE_ADAPTER, "SetDiscoveryFilter",
				   &e, NULL, "a{sv}", 1, "Transport", "s", "le");

	if (r >= 0) {
		r = sd_bus_call_method(cb->bus, BLUEZ, cb->adapter, IFACE_ADAPTER,
				       "StartDiscovery", &e, NULL, "");
	}
	if (r >= 0 || sd_bus_error_has_name(&e, "org.bluez.Error.InProgress")) {
		cb->discovery_ours = true; /* InProgress: this client's session already runs */
		r = 0;
	} else {
		r = bus_error(&e, r, "cannot scan for devices", why, cap);
	}
	sd_bus_error_free(&e);
	return r;
}

static int find_device(struct conn_ble *cb, uint64_t limit_ms, char *why, size_t cap)
{
	uint32_t scan_ms =
		cb->gatt.conn.opt.timeout_ms ? cb->gatt.conn.opt.timeout_ms : SCAN_DEFAULT_MS;
	uint64_t start = dfu_smp_port_now_ms();
	uint64_t until = start + scan_ms < limit_ms ? start + scan_ms : limit_ms;
	int r;

	cb->dev_path[0] = '\0';
	cb->scanning = true; /* signals from now on count, besides what is known already */
	r = managed_objects(cb, known_device, cb, why, cap);
	if (r || device_found(cb)) {
		cb->scanning = false;
		return r;
	}
	dfu_smp_conn_logf(&cb->gatt.conn, "scanning for %s", target(cb));
	r = start_discovery(cb, why, cap);
	if (r) {
		cb->scanning = false;
		return r;
	}
	r = wait_until(cb, device_found, cb, until);
	stop_discovery(cb);
	if (r == -ETIMEDOUT) {
		snprintf(why, cap, "no device %s%s found: scanned %.1f s on %s; is it on, "
			 "advertising and in range?", cb->name[0] ? "named " : "", target(cb),
			 (double)(until - start) / 1000.0, strrchr(cb->adapter, '/') + 1);
		return -ENODEV;
	}
	return r;
}

/* ---- connecting ---- */

static bool resolved_or_gone(void *arg)
{
	struct conn_ble *cb = arg;

	return cb->resolved || !cb->dev_connected;
}

/* Reads the device's Connected, ServicesResolved and Address now. */
static int read_device_state(struct conn_ble *cb, char *why, size_t cap)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	struct props p;
	int r = sd_bus_call_method(cb->bus, BLUEZ, cb->dev_path, "org.freedesktop.DBus.Properties",
				   "GetAll", &e, &reply, "s", IFACE_DEVICE);

	if (r < 0) {
		r = bus_error(&e, r, "reading the device's state", why, cap);
		sd_bus_error_free(&e);
		return r;
	}
	r = read_props(reply, &p);
	if (r >= 0) {
		raise_floor(cb, reply);
		cb->dev_connected = p.has_connected && p.connected;
		cb->resolved = p.has_resolved && p.resolved;
		if (!cb->addr[0]) {
			snprintf(cb->addr, sizeof(cb->addr), "%s", p.address);
		}
	}
	sd_bus_message_unref(reply);
	if (r < 0) {
		snprintf(why, cap, "cannot read the device's state: %s", strerror(-r));
		return -EPROTO;
	}
	return 0;
}

/* Disconnect also ends a connection attempt BlueZ still makes after we stopped waiting. */
static void cancel_connect(struct conn_ble *cb)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;

	sd_bus_call_method(cb->bus, BLUEZ, cb->dev_path, IFACE_DEVICE, "Disconnect", &e, NULL, "");
	sd_bus_error_free(&e);
}

/* Device1.Connect, asked without waiting: its reply, once it came. */
struct connect_call {
	bool replied;
	sd_bus_error error;
};

static int on_connect_reply(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct connect_call *c = userdata;
	const sd_bus_error *err = sd_bus_message_get_error(m);

	(void)e;
	c->replied = true;
	if (err) {
		sd_bus_error_copy(&c->error, err);
	}
	return 0;
}

static bool connect_replied(void *arg)
{
	return ((struct connect_call *)arg)->replied;
}

/*
 * Calls Connect and serves the loop (the bus, the other descriptors, the client's time) until
 * its reply or @p timeout_ms: other devices on the same loop go on meanwhile. 0, or a negative
 * errno with @p why saying @p what failed.
 */
static int call_connect(struct conn_ble *cb, uint64_t timeout_ms, const char *what, char *why,
			size_t cap)
{
	struct connect_call c = { .error = SD_BUS_ERROR_NULL };
	sd_bus_message *m = NULL;
	sd_bus_slot *slot = NULL;
	int r = sd_bus_message_new_method_call(cb->bus, &m, BLUEZ, cb->dev_path, IFACE_DEVICE,
					       "Connect");

	/* sd-bus's own timeout a little later: the loop's limit below is the one that ends it */
	if (r >= 0) {
		r = sd_bus_call_async(cb->bus, &slot, m, on_connect_reply, &c,
				      (timeout_ms + 1000u) * 1000u);
	}
	sd_bus_message_unref(m);
	if (r < 0) {
		return bus_error(NULL, r, what, why, cap);
	}
	cb->fds[FD_BUS].events = (short)sd_bus_get_events(cb->bus);
	r = wait_until(cb, connect_replied, &c, dfu_smp_port_now_ms() + timeout_ms);
	sd_bus_slot_unref(slot); /* a reply still to come goes nowhere */
	if (r == -ETIMEDOUT) {
		sd_bus_error_set_errno(&c.error, r); /* as a blocking call's timeout says it */
	}
	if (r == 0 && !sd_bus_error_is_set(&c.error)) {
		return 0;
	}
	r = bus_error(sd_bus_error_is_set(&c.error) ? &c.error : NULL, r ? r : -EIO, what, why,
		      cap);
	if (r == -ETIMEDOUT) {
		cancel_connect(cb);
	}
	sd_bus_error_free(&c.error);
	return r;
}

static int connect_device(struct conn_ble *cb, uint64_t limit_ms, char *why, size_t cap)
{
	uint64_t now = dfu_smp_port_now_ms();
	uint64_t budget = limit_ms > now ? limit_ms - now : 1;
	char what[300];
	int r;

	pump_bus(cb); /* what was said about the last link, before this one is asked about */
	r = read_device_state(cb, why, cap);
	if (r) {
		return r;
	}
	snprintf(what, sizeof(what), "connecting to %s", cb->addr[0] ? cb->addr : target(cb));
	if (!cb->dev_connected) {
		dfu_smp_conn_logf(&cb->gatt.conn, "connecting to %s", cb->dev_path);
		r = call_connect(cb, budget < CONNECT_TIMEOUT_MS ? budget : CONNECT_TIMEOUT_MS,
				 what, why, cap);
		if (r) {
			return r;
		}
		cb->we_connected = true;
		/* ServicesResolved may have turned true before Connect's reply, or not yet */
		r = read_device_state(cb, why, cap);
		if (r) {
			return r;
		}
	}
	now = dfu_smp_port_now_ms();
	r = wait_until(cb, resolved_or_gone, cb,
		       now + RESOLVE_TIMEOUT_MS < limit_ms ? now + RESOLVE_TIMEOUT_MS : limit_ms);
	if (r == 0 && !cb->resolved) {
		snprintf(why, cap, "%s: the device disconnected before its services were "
			 "resolved", what);
		return -ENOTCONN;
	}
	if (r) {
		snprintf(why, cap, "%s: BlueZ did not resolve the device's services in time", what);
		return -ETIMEDOUT;
	}
	return 0;
}

struct gatt_object {
	char path[256];
	char parent[256];
	char uuid[40];
	uint16_t handle;
	uint16_t mtu;
	unsigned flags;
};

struct gatt_search {
	const char *dev_path;
	struct gatt_object services[MAX_GATT];
	struct gatt_object chrcs[MAX_GATT];
	struct gatt_object descs[MAX_GATT];
	size_t nservices, nchrcs, ndescs;
};

static void gatt_found(void *ctx, const char *path, const char *iface, const struct props *p)
{
	struct gatt_search *s = ctx;
	size_t n = strlen(s->dev_path);
	struct gatt_object *o;

	if (strncmp(path, s->dev_path, n) != 0 || path[n] != '/') {
		return;
	}
	if (strcmp(iface, IFACE_SERVICE) == 0 && s->nservices < MAX_GATT) {
		o = &s->services[s->nservices++];
	} else if (strcmp(iface, IFACE_CHRC) == 0 && s->nchrcs < MAX_GATT) {
		o = &s->chrcs[s->nchrcs++];
	} else if (strcmp(iface, IFACE_DESC) == 0 && s->ndescs < MAX_GATT) {
		o = &s->descs[s->ndescs++];
	} else {
		return;
	}
	snprintf(o->path, sizeof(o->path), "%s", path);
	snprintf(o->parent, sizeof(o->parent), "%s", p->parent);
	snprintf(o->uuid, sizeof(o->uuid), "%s", p->uuid);
	o->handle = p->handle;
	o->mtu = p->mtu;
	o->flags = p->flags;
}

/* The object of @p list with @p uuid whose parent is @p parent, or NULL. */
static const struct gatt_object *gatt_pick(const struct gatt_object *list, size_t n,
					   const char *uuid, const char *parent)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(list[i].uuid, uuid) == 0 && strcmp(list[i].parent, parent) == 0) {
			return &list[i];
		}
	}
	return NULL;
}

/* Finds the SMP characteristic and its CCC, and hands them to the GATT DFU SMP client. */
static int find_smp(struct conn_ble *cb, uint16_t *mtu, char *why, size_t cap)
{
	struct gatt_search *s = calloc(1, sizeof(*s));
	const struct gatt_object *svc = NULL, *chrc = NULL, *ccc = NULL;
	struct bt_dfu_smp_discovery_desc desc = { .uuid = BT_DFU_SMP_UUID_CCC };
	struct bt_dfu_smp_discovery_chrc c = {
		.uuid = BT_DFU_SMP_UUID_CHAR,
		.properties = BT_DFU_SMP_CHRC_WRITE_WITHOUT_RESP | BT_DFU_SMP_CHRC_NOTIFY,
		.descs = &desc,
		.desc_count = 1,
	};
	struct bt_dfu_smp_discovery dm = {
		.conn = &cb->gatt.port,
		.service_uuid = BT_DFU_SMP_UUID_SERVICE,
		.chrcs = &c,
		.chrc_count = 1,
	};
	int r;

	if (!s) {
		snprintf(why, cap, "out of memory");
		return -ENOMEM;
	}
	s->dev_path = cb->dev_path;
	r = managed_objects(cb, gatt_found, s, why, cap);
	if (!r) {
		svc = gatt_pick(s->services, s->nservices, BT_DFU_SMP_UUID_SERVICE_STR,
				cb->dev_path);
		chrc = svc ? gatt_pick(s->chrcs, s->nchrcs, BT_DFU_SMP_UUID_CHAR_STR, svc->path)
			   : NULL;
		ccc = chrc ? gatt_pick(s->descs, s->ndescs, BT_DFU_SMP_UUID_CCC_STR, chrc->path)
			   : NULL;
	}
	if (!r && !svc) {
		snprintf(why, cap, "the device has no SMP service (%s): is MCUmgr's Bluetooth "
			 "transport in its firmware?", BT_DFU_SMP_UUID_SERVICE_STR);
		r = -ENOENT;
	} else if (!r && !chrc) {
		snprintf(why, cap, "the device's SMP service lacks the SMP characteristic (%s)",
			 BT_DFU_SMP_UUID_CHAR_STR);
		r = -ENOENT;
	} else if (!r && (chrc->flags & (FLAG_WRITE_WITHOUT_RSP | FLAG_NOTIFY)) !=
				 (FLAG_WRITE_WITHOUT_RSP | FLAG_NOTIFY)) {
		snprintf(why, cap, "the SMP characteristic lacks write-without-response or notify");
		r = -ENOENT;
	}
	if (!r) {
		snprintf(cb->chrc_path, sizeof(cb->chrc_path), "%s", chrc->path);
		c.value_handle = chrc->handle ? chrc->handle : HANDLE_VALUE_DEFAULT;
		desc.handle = ccc && ccc->handle ? ccc->handle : HANDLE_CCC_DEFAULT;
		if (desc.handle == c.value_handle) {
			desc.handle = (uint16_t)(c.value_handle + 1u);
		}
		*mtu = chrc->mtu;
		r = dfu_smp_gatt_handles_assign(&cb->gatt.transport, &dm);
		if (r) {
			snprintf(why, cap, "the SMP characteristic cannot be used: %s",
				 strerror(-r));
			r = -ENOENT;
		}
	}
	free(s);
	return r;
}

/* Errors after which a plain client does what BlueZ refused to hand over. */
static bool acquire_refused(const sd_bus_error *e)
{
	return sd_bus_error_has_names(e, "org.bluez.Error.NotPermitted",
				      "org.bluez.Error.NotSupported",
				      "org.bluez.Error.NotAuthorized",
				      "org.freedesktop.DBus.Error.UnknownMethod");
}

/*
 * AcquireWrite or AcquireNotify: 1 with *fd (our own copy, non-blocking) and *mtu; 0 when
 * BlueZ refuses to hand the socket over; a negative errno with @p why set otherwise.
 */
static int acquire(struct conn_ble *cb, const char *method, int *fd, uint16_t *mtu, char *why,
		   size_t cap)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r = sd_bus_call_method(cb->bus, BLUEZ, cb->chrc_path, IFACE_CHRC, method, &e, &reply,
				   "a{sv}", 0);
	int msg_fd;

	if (r < 0) {
		if (acquire_refused(&e)) {
			dfu_smp_conn_logf(&cb->gatt.conn, "%s refused (%s: %s): falling back to %s",
					  method, e.name, e.message ? e.message : "",
					  strcmp(method, "AcquireWrite") == 0 ? "WriteValue"
									      : "StartNotify");
			r = 0;
		} else {
			char what[64];

			snprintf(what, sizeof(what), "%s on the SMP characteristic", method);
			r = bus_error(&e, r, what, why, cap);
		}
		sd_bus_error_free(&e);
		return r;
	}
	r = sd_bus_message_read(reply, "hq", &msg_fd, mtu);
	/* the descriptor belongs to the message: keep a copy of our own */
	*fd = r >= 0 ? fcntl(msg_fd, F_DUPFD_CLOEXEC, 3) : -1;
	sd_bus_message_unref(reply);
	if (*fd < 0) {
		snprintf(why, cap, "%s: BlueZ's answer holds no usable socket", method);
		return -EPROTO;
	}
	fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) | O_NONBLOCK);
	dfu_smp_conn_logf(&cb->gatt.conn, "%s: socket, ATT MTU %u", method, (unsigned)*mtu);
	return 1;
}

static int start_notify(struct conn_ble *cb, char *why, size_t cap)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(cb->bus, BLUEZ, cb->chrc_path, IFACE_CHRC, "StartNotify", &e,
				   NULL, "");

	/* InProgress: this client's session from an earlier link, which BlueZ keeps */
	if (r >= 0 || sd_bus_error_has_name(&e, "org.bluez.Error.InProgress")) {
		cb->notify_session = true;
		r = 0;
	} else {
		r = bus_error(&e, r, "StartNotify on the SMP characteristic", why, cap);
	}
	sd_bus_error_free(&e);
	return r;
}

/* Notifications on, a way to write, the MTU: the link is ready for SMP. */
static int open_channel(struct conn_ble *cb, char *why, size_t cap)
{
	uint16_t prop_mtu = 0, notify_mtu = 0, write_mtu = 0;
	int r = find_smp(cb, &prop_mtu, why, cap);

	if (!r) {
		r = acquire(cb, "AcquireNotify", &cb->notify_fd, &notify_mtu, why, cap);
	}
	if (r == 0) {
		r = start_notify(cb, why, cap);
	}
	if (r >= 0) {
		r = acquire(cb, "AcquireWrite", &cb->write_fd, &write_mtu, why, cap);
	}
	if (r < 0) {
		release_fds(cb);
		return r;
	}
	cb->gatt.mtu = write_mtu ? write_mtu : notify_mtu ? notify_mtu : prop_mtu;
	if (cb->gatt.mtu < BT_DFU_SMP_ATT_MTU_MIN) {
		cb->gatt.mtu = BT_DFU_SMP_ATT_MTU_MIN;
	}
	/* BlueZ alone negotiates the MTU: --mtu can only ask for less */
	if (cb->gatt.conn.opt.mtu && cb->gatt.conn.opt.mtu < cb->gatt.mtu) {
		cb->gatt.mtu = cb->gatt.conn.opt.mtu;
	}
	cb->fds[FD_NOTIFY].fd = cb->notify_fd;
	cb->fds[FD_WRITE].fd = cb->write_fd;
	cb->gatt.connected = true;
	cb->lost[0] = '\0';
	dfu_smp_conn_logf(
		&cb->gatt.conn, "connected, ATT MTU %u; writes by %s, notifications by %s",
		(unsigned)cb->gatt.mtu, cb->write_fd >= 0 ? "AcquireWrite socket" : "WriteValue",
		cb->notify_fd >= 0 ? "AcquireNotify socket" : "StartNotify signals");
	return 0;
}

/* Adapter, device, link, GATT, channel: everything a connection needs, within @p limit_ms. */
static int setup(struct conn_ble *cb, uint64_t limit_ms, char *why, size_t cap)
{
	int r = find_adapter(cb, why, cap);

	if (!r) {
		r = find_device(cb, limit_ms, why, cap);
	}
	if (!r) {
		r = connect_device(cb, limit_ms, why, cap);
	}
	if (!r) {
		r = open_channel(cb, why, cap);
	}
	return r;
}

static int ble_reconnect(struct dfu_smp_conn *conn, uint32_t timeout_ms, char *why, size_t why_cap)
{
	struct conn_ble *cb = dfu_smp_conn_self(conn);
	uint64_t limit = dfu_smp_port_now_ms() + timeout_ms;
	uint32_t pause = PAUSE_FIRST_MS;

	if (dfu_smp_conn_await_drop(conn, limit, timeout_ms, why, why_cap) != 0) {
		return -ETIMEDOUT;
	}
	/* found again by the address it had, even when it was first found by name */
	if (cb->addr[0]) {
		cb->name[0] = '\0';
	}
	for (;;) {
		uint64_t now;
		int err = setup(cb, limit, why, why_cap);

		if (!err) {
			return 0;
		}
		now = dfu_smp_port_now_ms();
		if (now + pause >= limit) {
			return err;
		}
		dfu_smp_conn_logf(&cb->gatt.conn, "%s; trying again in %u ms", why,
				  (unsigned)pause);
		wait_until(cb, dfu_smp_port_loop_never, NULL, now + pause);
		pause = pause * 2u < PAUSE_MAX_MS ? pause * 2u : PAUSE_MAX_MS;
	}
}

/* ---- the connection ---- */

static void ble_explain(struct dfu_smp_conn *conn, int err, size_t request_len, char *out,
			size_t cap)
{
	struct conn_ble *cb = dfu_smp_conn_self(conn);

	if (err == -ENOTCONN || err == -ENXIO) {
		snprintf(out, cap, "%s", cb->lost[0] ? cb->lost : "the device disconnected");
	} else if (err == -EIO && cb->failed[0]) {
		snprintf(out, cap, "%s", cb->failed);
	} else {
		/* BlueZ alone negotiates the MTU: --mtu can only ask for less */
		conn_gatt_explain(conn, err, request_len, "send less", out, cap);
	}
}

/* Leaves BlueZ as it was found: sockets released, sessions stopped, our link taken down. */
static void ble_close(struct dfu_smp_conn *conn)
{
	struct conn_ble *cb = dfu_smp_conn_self(conn);
	sd_bus_error e = SD_BUS_ERROR_NULL;

	dfu_smp_client_cancel_all(&cb->gatt.client, -ECANCELED);
	release_fds(cb);
	if (cb->bus) {
		stop_discovery(cb);
		if (cb->notify_session) {
			sd_bus_call_method(cb->bus, BLUEZ, cb->chrc_path, IFACE_CHRC, "StopNotify",
					   &e, NULL, "");
			sd_bus_error_free(&e);
		}
		if (cb->we_connected && cb->dev_path[0] &&
		    read_device_state(cb, cb->failed, sizeof(cb->failed)) == 0 &&
		    cb->dev_connected) {
			dfu_smp_conn_logf(&cb->gatt.conn, "disconnecting");
			sd_bus_call_method(cb->bus, BLUEZ, cb->dev_path, IFACE_DEVICE, "Disconnect",
					   &e, NULL, "");
			sd_bus_error_free(&e);
		}
		sd_bus_flush_close_unref(cb->bus);
	}
	port_dgram_free(&cb->wq);
	free(cb);
}

static const struct dfu_smp_conn_ops ble_ops = {
	.name = "ble",
	.run_until = ble_run_until,
	.explain = ble_explain,
	.stats = conn_gatt_stats,
	.set_reassembly = conn_gatt_set_reassembly,
	.reconnect = ble_reconnect,
	.connected = conn_gatt_connected,
	.close = ble_close,
};

static bool valid_adapter(const char *s)
{
	if (strncmp(s, "hci", 3) != 0 || !s[3] || strlen(s) > 8) {
		return false;
	}
	for (s += 3; *s; s++) {
		if (!isdigit((unsigned char)*s)) {
			return false;
		}
	}
	return true;
}

/* The signals that tell what BlueZ does: added devices, changed properties, bluetoothd gone. */
static int add_matches(struct conn_ble *cb)
{
	int r = sd_bus_add_match(cb->bus, NULL,
				 "type='signal',interface='" IFACE_OM "',member='InterfacesAdded',"
				 "arg0path='/org/bluez/'",
				 on_interfaces_added, cb);

	if (r >= 0) {
		r = sd_bus_add_match(cb->bus, NULL,
				     "type='signal',interface='org.freedesktop.DBus.Properties',"
				     "member='PropertiesChanged',path_namespace='/org/bluez'",
				     on_properties_changed, cb);
	}
	if (r >= 0) {
		r = sd_bus_add_match(cb->bus, NULL,
				     "type='signal',sender='org.freedesktop.DBus',"
				     "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
				     "arg0='" BLUEZ "'",
				     on_name_owner_changed, cb);
	}
	return r;
}

int dfu_smp_conn_ble_open(const char *arg, const struct dfu_smp_conn_options *opt,
			  struct dfu_smp_conn **out, char *why, size_t why_cap)
{
	struct conn_ble *cb;
	char addr[DFU_SMP_BT_ADDR_STR_LEN] = "";
	const char *name = strncmp(arg, "name=", 5) == 0 ? arg + 5 : NULL;
	int r;

	if (name ? !*name || strlen(name) > 248 : !dfu_smp_bt_addr_parse(arg, addr)) {
		snprintf(why, why_cap, "ble: takes a device address (ble:AA:BB:CC:DD:EE:FF) or an "
			 "advertised name (ble:name=NAME), got 'ble:%s'", arg);
		return -EINVAL;
	}
	if (opt->adapter && !valid_adapter(opt->adapter)) {
		snprintf(why, why_cap, "--adapter takes an adapter name such as hci0, got '%s'",
			 opt->adapter);
		return -EINVAL;
	}
	cb = calloc(1, sizeof(*cb));
	if (!cb) {
		snprintf(why, why_cap, "out of memory");
		return -ENOMEM;
	}
	snprintf(cb->addr, sizeof(cb->addr), "%s", addr);
	snprintf(cb->name, sizeof(cb->name), "%s", name ? name : "");
	cb->write_fd = -1;
	cb->notify_fd = -1;
	conn_gatt_init(&cb->gatt, &ble_ops, &gatt_ops, opt);
	for (size_t i = 0; i < FD_COUNT; i++) {
		cb->fds[i].fd = -1;
		cb->fds[i].ctx = cb;
	}
	cb->fds[FD_BUS].ready = bus_ready;
	cb->fds[FD_NOTIFY].events = POLLIN;
	cb->fds[FD_NOTIFY].ready = notify_ready;
	cb->fds[FD_WRITE].ready = write_ready; /* no events but while writes wait: its hang-up */

	r = sd_bus_open_system(&cb->bus);
	if (r < 0) {
		const char *address = getenv("DBUS_SYSTEM_BUS_ADDRESS");

		snprintf(why, why_cap, "cannot reach the D-Bus system bus (%s): %s; is dbus "
			 "running?", address ? address : "/run/dbus/system_bus_socket",
			 strerror(-r));
		cb->bus = NULL;
		ble_close(&cb->gatt.conn);
		return r == -EINVAL ? -EIO : r;
	}
	sd_bus_set_method_call_timeout(cb->bus, CALL_TIMEOUT_US);
	cb->fds[FD_BUS].fd = sd_bus_get_fd(cb->bus);
	cb->fds[FD_BUS].events = (short)sd_bus_get_events(cb->bus);
	r = add_matches(cb);
	if (r < 0) {
		snprintf(why, why_cap, "cannot watch BlueZ's signals on the system bus: %s",
			 strerror(-r));
		ble_close(&cb->gatt.conn);
		return r == -EINVAL ? -EIO : r;
	}
	r = setup(cb, dfu_smp_port_now_ms() + CONNECT_TIMEOUT_MS + RESOLVE_TIMEOUT_MS +
			      (opt->timeout_ms ? opt->timeout_ms : SCAN_DEFAULT_MS),
		  why, why_cap);
	if (r) {
		ble_close(&cb->gatt.conn);
		return r == -EINVAL ? -EIO : r;
	}
	*out = &cb->gatt.conn;
	return 0;
}
