/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's settings group (3), answered as Zephyr's settings_mgmt does over
 * its settings subsystem: read and write go to the handlers registered for the name's root
 * ("app", "bt"), delete, save and load to the storage partition.
 */
#include "device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/settings.h>
#include "hostfs.h"

/* Settings group error codes (enum settings_mgmt_err_code_t). */
enum {
	SETTINGS_ERR_UNKNOWN = 1,
	SETTINGS_ERR_KEY_TOO_LONG = 2,
	SETTINGS_ERR_KEY_NOT_FOUND = 3,
	SETTINGS_ERR_READ_NOT_SUPPORTED = 4,
	SETTINGS_ERR_ROOT_KEY_NOT_FOUND = 5,
};

/* CONFIG_MCUMGR_GRP_SETTINGS_NAME_LEN: names must be shorter. */
#define NAME_LEN 32
/* CONFIG_MCUMGR_GRP_SETTINGS_VALUE_LEN: the most a read returns. */
#define VALUE_LEN 64
/* The most the handlers keep for one value. */
#define VALUE_MAX 256

#define STORE_FILE "settings"
#define STORE_HEADER "# dfu-smp simulated device: stored settings, \"<name> <value>\" in hex\n"

/* The roots that have a settings handler; anything else is not found. */
static const char *const roots[] = { "app", "bt" };

/* What the firmware's handlers hold before anything is loaded. */
static const struct {
	const char *name;
	const char *val;
	size_t len;
} defaults[] = {
	{ "app/name", "smp_svr", 7 },
	{ "app/led_ms", "\xf4\x01\x00\x00", 4 }, /* uint32 500, little-endian */
	{ "bt/name", "dfu-smp-sim", 11 },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct sim_setting *find(const struct sim_setting_list *list, const char *name)
{
	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->items[i].name, name) == 0) {
			return &list->items[i];
		}
	}
	return NULL;
}

/* Set @p name to @p val in @p list, kept sorted. @return 0 or -ENOMEM. */
static int set(struct sim_setting_list *list, const char *name, const uint8_t *val, size_t len)
{
	struct sim_setting *s = find(list, name);
	uint8_t *copy = malloc(len ? len : 1);
	size_t at = 0;

	if (!copy) {
		return -ENOMEM;
	}
	if (len) {
		memcpy(copy, val, len);
	}
	if (s) {
		free(s->val);
		s->val = copy;
		s->len = len;
		return 0;
	}
	s = realloc(list->items, (list->count + 1) * sizeof(*s));
	if (!s) {
		free(copy);
		return -ENOMEM;
	}
	list->items = s;
	while (at < list->count && strcmp(list->items[at].name, name) < 0) {
		at++;
	}
	memmove(&s[at + 1], &s[at], (list->count - at) * sizeof(*s));
	s[at].name = strdup(name);
	if (!s[at].name) {
		memmove(&s[at], &s[at + 1], (list->count - at) * sizeof(*s));
		free(copy);
		return -ENOMEM;
	}
	s[at].val = copy;
	s[at].len = len;
	list->count++;
	return 0;
}

static bool del(struct sim_setting_list *list, const char *name)
{
	struct sim_setting *s = find(list, name);
	size_t at;

	if (!s) {
		return false;
	}
	at = (size_t)(s - list->items);
	free(s->name);
	free(s->val);
	memmove(s, s + 1, (list->count - at - 1) * sizeof(*s));
	list->count--;
	return true;
}

static void clear(struct sim_setting_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].name);
		free(list->items[i].val);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

static bool has_root(const char *name)
{
	size_t n = strcspn(name, "/");

	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		if (strlen(roots[i]) == n && strncmp(roots[i], name, n) == 0) {
			return true;
		}
	}
	return false;
}

static bool same(const struct sim_setting *s, const uint8_t *val, size_t len)
{
	return s && s->len == len && (len == 0 || memcmp(s->val, val, len) == 0);
}

/* ---- storage in the state directory ---- */

static void put_hex(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	return -1;
}

/* Decodes @p n hex digits at @p s into @p out. @return false if they are not hex. */
static bool get_hex(const char *s, size_t n, uint8_t *out)
{
	if (n % 2) {
		return false;
	}
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);

		if (hi < 0 || lo < 0) {
			return false;
		}
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* Writes the whole store to the state directory, if the device has one. */
static int persist(struct sim_device *dev)
{
	const struct sim_setting_list *st = &dev->settings.storage;
	size_t size = sizeof(STORE_HEADER), used;
	char *text, *path;
	int err;

	if (!dev->state_dir) {
		return 0;
	}
	for (size_t i = 0; i < st->count; i++) {
		size = size + 2 * strlen(st->items[i].name) + 2 * st->items[i].len + 2;
	}
	text = malloc(size);
	path = sim_hostfs_join(dev->state_dir, STORE_FILE);
	if (!text || !path) {
		free(text);
		free(path);
		return -ENOMEM;
	}
	used = strlen(STORE_HEADER);
	memcpy(text, STORE_HEADER, used);
	for (size_t i = 0; i < st->count; i++) {
		const struct sim_setting *s = &st->items[i];
		size_t n = strlen(s->name);

		put_hex(text + used, (const uint8_t *)s->name, n);
		used += 2 * n;
		text[used++] = ' ';
		put_hex(text + used, s->val, s->len);
		used += 2 * s->len;
		text[used++] = '\n';
	}
	err = sim_hostfs_replace(path, (const uint8_t *)text, used);
	free(text);
	free(path);
	return err;
}

/* Parses one "<name> <value>" line into the store; a damaged line is skipped. */
static int load_line(struct sim_setting_list *st, const char *line, size_t n)
{
	const char *space = memchr(line, ' ', n);
	size_t name_hex, val_hex;
	uint8_t *buf;
	int err = 0;

	if (!space || line[0] == '#') {
		return 0;
	}
	name_hex = (size_t)(space - line);
	val_hex = n - name_hex - 1;
	buf = malloc(name_hex / 2 + val_hex / 2 + 2);
	if (!buf) {
		return -ENOMEM;
	}
	if (name_hex > 0 && get_hex(line, name_hex, buf) &&
	    get_hex(space + 1, val_hex, buf + name_hex / 2 + 1)) {
		buf[name_hex / 2] = '\0';
		if (strlen((char *)buf) == name_hex / 2) {
			err = set(st, (char *)buf, buf + name_hex / 2 + 1, val_hex / 2);
		}
	}
	free(buf);
	return err;
}

static int load_store(struct sim_device *dev)
{
	char *path = sim_hostfs_join(dev->state_dir, STORE_FILE);
	uint8_t *data;
	size_t len, start = 0;
	int err;

	if (!path) {
		return -ENOMEM;
	}
	err = sim_hostfs_read(path, &data, &len);
	free(path);
	if (err == -ENOENT) {
		return 0;
	}
	for (size_t i = 0; !err && i < len; i++) {
		if (data[i] == '\n') {
			err = load_line(&dev->settings.storage, (const char *)data + start,
					i - start);
			start = i + 1;
		}
	}
	free(data);
	return err;
}

/* settings_load(): every stored value that has a handler goes to it. */
static int load(struct sim_device *dev)
{
	const struct sim_setting_list *st = &dev->settings.storage;
	int err = 0;

	for (size_t i = 0; !err && i < st->count; i++) {
		if (has_root(st->items[i].name)) {
			err = set(&dev->settings.ram, st->items[i].name, st->items[i].val,
				  st->items[i].len);
			dev->storage.reads++;
			dev->storage.bytes_read += (uint32_t)st->items[i].len;
		}
	}
	return err;
}

/* The firmware starts: its defaults, then what storage holds. */
static int boot(struct sim_device *dev)
{
	int err = 0;

	clear(&dev->settings.ram);
	for (size_t i = 0; !err && i < ARRAY_SIZE(defaults); i++) {
		err = set(&dev->settings.ram, defaults[i].name, (const uint8_t *)defaults[i].val,
			  defaults[i].len);
	}
	return err ? err : load(dev);
}

int sim_settings_init(struct sim_device *dev)
{
	int err = 0;

	if (dev->state_dir) {
		err = load_store(dev);
	}
	if (!err) {
		err = boot(dev);
	}
	if (err) {
		sim_settings_free(dev);
	}
	return err;
}

void sim_settings_free(struct sim_device *dev)
{
	clear(&dev->settings.ram);
	clear(&dev->settings.storage);
}

void sim_settings_reboot(struct sim_device *dev)
{
	/* Out of memory leaves the device with fewer settings, as a failed load would. */
	(void)boot(dev);
}

int sim_settings_erase(struct sim_device *dev)
{
	char *path;
	int err;

	clear(&dev->settings.storage);
	if (!dev->state_dir) {
		return 0;
	}
	path = sim_hostfs_join(dev->state_dir, STORE_FILE);
	if (!path) {
		return -ENOMEM;
	}
	err = sim_hostfs_remove(path);
	free(path);
	return err;
}

int sim_settings_restore(struct sim_device *dev, const char *name, const uint8_t *val,
			 size_t len)
{
	return set(&dev->settings.ram, name, val, len);
}

const uint8_t *sim_settings_value(const struct sim_device *dev, const char *name, size_t *len)
{
	const struct sim_setting *s = find(&dev->settings.ram, name);

	*len = s ? s->len : 0;
	return s ? s->val : NULL;
}

/* ---- handlers ---- */

/*
 * Reads the `name` every command but commit and load takes: present, not empty, and shorter
 * than NAME_LEN (else a group error). Zephyr copies it as a C string, so it ends at a NUL.
 */
static int get_name(struct sim_req *req, char name[NAME_LEN])
{
	const char *s = NULL;
	size_t n = 0;
	int rc = sim_req_text(req, "name", &s, &n, NULL);

	if (rc) {
		return rc;
	}
	if (n == 0) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	if (!sim_copy_text(name, NAME_LEN, s, n)) {
		return SIM_GROUP_ERR(SETTINGS_ERR_KEY_TOO_LONG);
	}
	return 0;
}

static int value_read(struct sim_req *req)
{
	char name[NAME_LEN];
	uint64_t max_size = VALUE_LEN;
	const struct sim_setting *s;
	bool limited = false;
	size_t n;
	int rc;

	rc = sim_req_uint(req, "max_size", UINT32_MAX, &max_size, NULL);
	if (!rc) {
		rc = get_name(req, name);
	}
	if (rc) {
		return rc;
	}
	if (max_size > VALUE_LEN) {
		max_size = VALUE_LEN;
		limited = true;
	}
	if (!has_root(name)) {
		return SIM_GROUP_ERR(SETTINGS_ERR_ROOT_KEY_NOT_FOUND);
	}
	s = find(&req->dev->settings.ram, name);
	if (!s) {
		return SIM_GROUP_ERR(SETTINGS_ERR_KEY_NOT_FOUND);
	}
	n = s->len < max_size ? s->len : (size_t)max_size;
	dfu_smp_mgmt_cbor_text(req->rsp, "val");
	dfu_smp_mgmt_cbor_bytes(req->rsp, s->val, n);
	if (limited) {
		dfu_smp_mgmt_cbor_text(req->rsp, "max_size");
		dfu_smp_mgmt_cbor_uint(req->rsp, VALUE_LEN);
	}
	return 0;
}

/* settings_runtime_set(): the handler takes the value; nothing is stored until a save. */
static int value_write(struct sim_req *req)
{
	char name[NAME_LEN];
	const uint8_t *val = NULL;
	size_t len = 0;
	int rc;

	rc = sim_req_bytes(req, "val", &val, &len, NULL);
	if (!rc) {
		rc = get_name(req, name);
	}
	if (rc) {
		return rc;
	}
	if (!has_root(name)) {
		return SIM_GROUP_ERR(SETTINGS_ERR_ROOT_KEY_NOT_FOUND);
	}
	if (len > VALUE_MAX || set(&req->dev->settings.ram, name, val, len) != 0) {
		return SIM_GROUP_ERR(SETTINGS_ERR_UNKNOWN);
	}
	return 0;
}

/* Records a change to the store, persisting it when the device has a state directory. */
static int stored(struct sim_device *dev, size_t records, size_t bytes)
{
	dev->storage.writes += (uint32_t)records;
	dev->storage.bytes_written += (uint32_t)bytes;
	return persist(dev) ? SIM_GROUP_ERR(SETTINGS_ERR_UNKNOWN) : 0;
}

/* settings_delete(): removes the stored value only; deleting what is not stored succeeds. */
static int delete(struct sim_req *req)
{
	char name[NAME_LEN];
	int rc = get_name(req, name);

	if (rc) {
		return rc;
	}
	if (!del(&req->dev->settings.storage, name)) {
		return 0;
	}
	return stored(req->dev, 1, strlen(name));
}

static int commit(struct sim_req *req)
{
	(void)req;
	return 0;
}

static int load_handler(struct sim_req *req)
{
	return load(req->dev) ? SIM_GROUP_ERR(SETTINGS_ERR_UNKNOWN) : 0;
}

/* True if @p name is @p subtree or below it. */
static bool in_subtree(const char *name, const char *subtree, size_t n)
{
	return strncmp(name, subtree, n) == 0 && (name[n] == '\0' || name[n] == '/');
}

/* settings_save() (or settings_save_subtree()): every handler value that differs is stored. */
static int save(struct sim_req *req)
{
	struct sim_device *dev = req->dev;
	const struct sim_setting_list *ram = &dev->settings.ram;
	const char *subtree = NULL;
	size_t n = 0, records = 0, bytes = 0;
	int rc;

	rc = sim_req_text(req, "name", &subtree, &n, NULL);
	if (rc) {
		return rc;
	}
	for (size_t i = 0; i < ram->count; i++) {
		const struct sim_setting *s = &ram->items[i];

		if (subtree && n && !in_subtree(s->name, subtree, n)) {
			continue;
		}
		if (same(find(&dev->settings.storage, s->name), s->val, s->len)) {
			continue;
		}
		if (set(&dev->settings.storage, s->name, s->val, s->len) != 0) {
			return SIM_GROUP_ERR(SETTINGS_ERR_UNKNOWN);
		}
		records++;
		bytes += strlen(s->name) + s->len;
	}
	return records ? stored(dev, records, bytes) : 0;
}

/* Zephyr's version 1 folding of settings group errors. */
static int fold_v1(int rc)
{
	switch (rc) {
	case SETTINGS_ERR_KEY_TOO_LONG:
		return DFU_SMP_MGMT_ERR_EINVAL;
	case SETTINGS_ERR_KEY_NOT_FOUND:
	case SETTINGS_ERR_READ_NOT_SUPPORTED:
		return DFU_SMP_MGMT_ERR_ENOENT;
	default:
		return DFU_SMP_MGMT_ERR_EUNKNOWN;
	}
}

static const struct sim_handler handlers[] = {
	{ DFU_SMP_MGMT_SETTINGS_VALUE, value_read, value_write },
	{ DFU_SMP_MGMT_SETTINGS_DELETE, NULL, delete },
	{ DFU_SMP_MGMT_SETTINGS_COMMIT, NULL, commit },
	{ DFU_SMP_MGMT_SETTINGS_LOAD_SAVE, load_handler, save },
};

const struct sim_group sim_group_settings = {
	.id = DFU_SMP_MGMT_GROUP_SETTINGS,
	.name = "settings mgmt",
	.handlers = handlers,
	.count = sizeof(handlers) / sizeof(handlers[0]),
	.fold_v1 = fold_v1,
};
