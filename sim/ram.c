/* SPDX-License-Identifier: Apache-2.0 */
#include "ram.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device.h"
#include "hostfs.h"

/* Appends formatted text to a growing buffer; false when out of memory. */
struct text {
	char *buf;
	size_t len;
	size_t cap;
};

static bool append(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *buf = realloc(t->buf, cap);

		if (!buf) {
			return false;
		}
		t->buf = buf;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n + 1);
	t->len += n;
	return true;
}

static bool append_hex(struct text *t, const uint8_t *b, size_t n)
{
	char pair[3];

	if (n == 0) {
		return append(t, "-");
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(pair, sizeof(pair), "%02x", b[i]);
		if (!append(t, pair)) {
			return false;
		}
	}
	return true;
}

int sim_ram_suspend(struct sim_device *dev, uint64_t now_us)
{
	const struct sim_img_upload *up = &dev->img.upload;
	struct text t = { 0 };
	char line[256];
	char *path;
	bool ok;
	int err;

	if (!dev->state_dir) {
		return 0;
	}
	/* the next run's clock starts at 0: carry what has passed into the offsets */
	snprintf(line, sizeof(line), "uptime %" PRIu64 "\nrtc %" PRId64 "\n",
		 sim_device_uptime_us(dev, now_us), dev->os.rtc_offset_us + (int64_t)now_us);
	ok = append(&t, line);
	snprintf(line, sizeof(line), "upload %d %u %" PRIu64 " %" PRIu64 " %zu ",
		 up->active ? 1 : 0, up->image, up->len, up->off, up->erased_to);
	ok = ok && append(&t, line) && append_hex(&t, up->sha, up->sha_len) && append(&t, "\n");
	/* what the bootloader chose at the last boot: the slots running, the firmware loader */
	ok = ok && append(&t, dev->img.boot.loader ? "boot loader" : "boot app");
	for (unsigned i = 0; ok && i < dev->img.boot.images; i++) {
		snprintf(line, sizeof(line), " %u", dev->img.boot.running[i]);
		ok = append(&t, line);
	}
	ok = ok && append(&t, "\n");
	/* the file system stays unusable after a storage erase until the device reboots */
	ok = ok && (!dev->fs.erased || append(&t, "fs erased\n"));
	for (size_t i = 0; ok && i < dev->settings.ram.count; i++) {
		const struct sim_setting *s = &dev->settings.ram.items[i];

		ok = append(&t, "setting ") && append(&t, s->name) && append(&t, " ") &&
		     append_hex(&t, s->val, s->len) && append(&t, "\n");
	}
	path = ok ? sim_hostfs_join(dev->state_dir, "ram") : NULL;
	err = path ? sim_hostfs_replace(path, (const uint8_t *)t.buf, t.len) : -ENOMEM;
	free(path);
	free(t.buf);
	return err;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	return -1;
}

/* Reads hex ("-" for nothing) into @p out; returns the byte count or -1. */
static long read_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);

	if (strcmp(s, "-") == 0) {
		return 0;
	}
	if (n % 2 || n / 2 > cap) {
		return -1;
	}
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_nibble(s[2 * i]), lo = hex_nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			return -1;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

static void resume_upload(struct sim_device *dev, const char *line)
{
	struct sim_img_upload up = { 0 };
	int active;
	char sha[80];
	long n;

	if (sscanf(line, "upload %d %u %" SCNu64 " %" SCNu64 " %zu %79s", &active, &up.image,
		   &up.len, &up.off, &up.erased_to, sha) != 6 || up.image >= dev->img.cfg.images ||
	    up.off > up.len || (n = read_hex(sha, up.sha, sizeof(up.sha))) < 0) {
		return;
	}
	up.active = active == 1;
	up.sha_len = (size_t)n;
	dev->img.upload = up;
}

static void resume_boot(struct sim_device *dev, const char *line)
{
	struct sim_boot *boot = &dev->img.boot;
	const char *p = line + strlen("boot ");
	char *end;

	boot->loader = strncmp(p, "loader", 6) == 0;
	p = strchr(p, ' ');
	for (unsigned i = 0; p && i < boot->images; i++) {
		unsigned long slot = strtoul(p, &end, 10);

		if (end == p || slot > 1) {
			return;
		}
		boot->running[i] = (unsigned)slot;
		p = end;
	}
}

static int resume_setting(struct sim_device *dev, char *line)
{
	char *name = line + strlen("setting ");
	char *hex = strchr(name, ' ');
	uint8_t *val;
	long n;
	int err;

	if (!hex) {
		return 0;
	}
	*hex++ = '\0';
	val = malloc(strlen(hex) / 2 + 1);
	if (!val) {
		return -ENOMEM;
	}
	n = read_hex(hex, val, strlen(hex) / 2 + 1);
	err = n < 0 ? 0 : sim_settings_restore(dev, name, val, (size_t)n);
	free(val);
	return err;
}

int sim_ram_resume(struct sim_device *dev)
{
	uint8_t *data;
	size_t len;
	char *path, *line, *save = NULL;
	int err;

	if (!dev->state_dir) {
		return 0;
	}
	path = sim_hostfs_join(dev->state_dir, "ram");
	if (!path) {
		return -ENOMEM;
	}
	err = sim_hostfs_read(path, &data, &len);
	free(path);
	if (err) {
		return err == -ENOMEM ? err : 0; /* none yet: a device just powered on */
	}
	/* as text, NUL-terminated */
	{
		uint8_t *text = realloc(data, len + 1);

		if (!text) {
			free(data);
			return -ENOMEM;
		}
		data = text;
	}
	data[len] = '\0';
	dev->ram_kept = true;
	for (line = strtok_r((char *)data, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		uint64_t u;
		int64_t i;

		if (sscanf(line, "uptime %" SCNu64, &u) == 1) {
			dev->uptime_base_us = u;
		} else if (sscanf(line, "rtc %" SCNd64, &i) == 1) {
			dev->os.rtc_offset_us = i;
		} else if (strncmp(line, "upload ", 7) == 0) {
			resume_upload(dev, line);
		} else if (strncmp(line, "boot ", 5) == 0) {
			resume_boot(dev, line);
		} else if (strncmp(line, "setting ", 8) == 0) {
			err = resume_setting(dev, line);
		} else if (strcmp(line, "fs erased") == 0) {
			dev->fs.erased = true;
		}
	}
	free(data);
	return err;
}

int sim_ram_forget(struct sim_device *dev)
{
	char *path;
	int err = 0;

	if (!dev->state_dir) {
		return 0;
	}
	path = sim_hostfs_join(dev->state_dir, "ram");
	if (!path) {
		return -ENOMEM;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		err = -errno;
	}
	free(path);
	return err;
}
