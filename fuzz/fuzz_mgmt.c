/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for every reply decoder of mgmt/ (one or more per SMP group). Input: a byte
 * whose low bits pick the decoder and whose top bit the mode, then the payload. Mode 0: the
 * bytes are the payload as they are. Mode 1: the bytes drive the library's CBOR writer
 * (mgmt/cbor.h) to build the payload, a well-formed item of maps keyed by the names the
 * decoders look for, arrays, strings, integers and booleans nested in any shape, so that the
 * decoders meet deep structures with the wrong types where they expect others. Checks: the
 * return value agrees with the reply's kind, the reply's texts are terminated, and every
 * string and array of a decoded answer can be read to its end (ASan catches a short one).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/mgmt/cbor.h>
#include <dfu-smp/mgmt/enum.h>
#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/fs.h>
#include <dfu-smp/mgmt/img.h>
#include <dfu-smp/mgmt/os.h>
#include <dfu-smp/mgmt/reply.h>
#include <dfu-smp/mgmt/settings.h>
#include <dfu-smp/mgmt/shell.h>
#include <dfu-smp/mgmt/stat.h>

static volatile size_t sink;

static void touch_str(const char *s)
{
	if (s != NULL) {
		sink += strlen(s);
	}
}

static void touch_bytes(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sink += b[i];
	}
}

typedef int (*decode_fn)(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply);

static int d_status(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	return dfu_smp_mgmt_reply_status(rsp, reply);
}

static int d_img_state(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_img_state o;
	int rc = dfu_smp_mgmt_img_state_decode(rsp, reply, &o);

	if (rc == 0) {
		for (size_t i = 0; i < o.count; i++) {
			touch_str(o.slots[i].version);
			if (o.slots[i].hash_len > DFU_SMP_MGMT_IMG_HASH_MAX) {
				abort();
			}
			touch_bytes(o.slots[i].hash, o.slots[i].hash_len);
		}
	}
	return rc;
}

static int d_img_upload(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_img_upload_rsp o;

	return dfu_smp_mgmt_img_upload_decode(rsp, reply, &o);
}

static int d_img_slot_info(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_img_slot_info o;
	int rc = dfu_smp_mgmt_img_slot_info_decode(rsp, reply, &o);

	if (rc == 0) {
		for (size_t i = 0; i < o.count; i++) {
			for (size_t k = 0; k < o.images[i].count; k++) {
				sink += (size_t)o.images[i].slots[k].slot;
			}
		}
	}
	return rc;
}

static int d_os_echo(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	const char *s = NULL;
	int rc = dfu_smp_mgmt_os_echo_decode(rsp, reply, &s);

	if (rc == 0) {
		touch_str(s);
	}
	return rc;
}

static int d_os_params(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_os_params o;

	return dfu_smp_mgmt_os_params_decode(rsp, reply, &o);
}

static int d_os_taskstat(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_os_taskstat o;
	int rc = dfu_smp_mgmt_os_taskstat_decode(rsp, reply, &o);

	if (rc == 0) {
		for (size_t i = 0; i < o.count; i++) {
			touch_str(o.tasks[i].name);
		}
	}
	return rc;
}

static int d_os_mpstat(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_os_mpstat o;
	int rc = dfu_smp_mgmt_os_mpstat_decode(rsp, reply, &o);

	if (rc == 0) {
		for (size_t i = 0; i < o.count; i++) {
			touch_str(o.pools[i].name);
		}
	}
	return rc;
}

static int d_os_datetime(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	const char *s = NULL;
	int rc = dfu_smp_mgmt_os_datetime_get_decode(rsp, reply, &s);

	if (rc == 0) {
		touch_str(s);
	}
	return rc;
}

static int d_os_info(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	const char *s = NULL;
	int rc = dfu_smp_mgmt_os_info_decode(rsp, reply, &s);

	if (rc == 0) {
		touch_str(s);
	}
	return rc;
}

static int d_os_bootloader(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_os_bootloader o;
	int rc = dfu_smp_mgmt_os_bootloader_decode(rsp, reply, &o);

	if (rc == 0) {
		touch_str(o.name);
	}
	return rc;
}

static int d_stat_list(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_stat_list o;
	int rc = dfu_smp_mgmt_stat_list_decode(rsp, reply, &o);

	if (rc == 0) {
		for (size_t i = 0; i < o.count; i++) {
			touch_str(o.names[i]);
		}
	}
	return rc;
}

static int d_stat_show(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_stat_group o;
	int rc = dfu_smp_mgmt_stat_show_decode(rsp, reply, &o);

	if (rc == 0) {
		touch_str(o.name);
		for (size_t i = 0; i < o.count; i++) {
			touch_str(o.fields[i].name);
		}
	}
	return rc;
}

static int d_settings_read(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_settings_value o;
	int rc = dfu_smp_mgmt_settings_read_decode(rsp, reply, &o);

	if (rc == 0) {
		touch_bytes(o.val, o.len);
	}
	return rc;
}

static int d_fs_download(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_fs_download_rsp o;
	int rc = dfu_smp_mgmt_fs_download_decode(rsp, reply, &o);

	if (rc == 0) {
		touch_bytes(o.data, o.len);
	}
	return rc;
}

static int d_fs_upload(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	uint64_t off;

	return dfu_smp_mgmt_fs_upload_decode(rsp, reply, &off);
}

static int d_fs_status(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	uint64_t len;

	return dfu_smp_mgmt_fs_status_decode(rsp, reply, &len);
}

static int d_fs_hash(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_fs_hash_rsp o;
	int rc = dfu_smp_mgmt_fs_hash_decode(rsp, reply, &o);

	if (rc == 0) {
		touch_str(o.type);
		if (!o.output_is_number) {
			touch_bytes(o.bytes, o.bytes_len);
		}
	}
	return rc;
}

static int d_fs_hash_types(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_fs_hash_types o;
	int rc = dfu_smp_mgmt_fs_hash_types_decode(rsp, reply, &o);

	if (rc == 0) {
		for (size_t i = 0; i < o.count; i++) {
			touch_str(o.types[i].name);
		}
	}
	return rc;
}

static int d_shell(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_shell_rsp o;
	int rc = dfu_smp_mgmt_shell_exec_decode(rsp, reply, &o);

	if (rc == 0) {
		touch_str(o.output);
	}
	return rc;
}

static int d_enum_count(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	uint64_t count;

	return dfu_smp_mgmt_enum_count_decode(rsp, reply, &count);
}

static int d_enum_list(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_enum_list o;
	int rc = dfu_smp_mgmt_enum_list_decode(rsp, reply, &o);

	if (rc == 0) {
		for (size_t i = 0; i < o.count; i++) {
			sink += o.groups[i];
		}
	}
	return rc;
}

static int d_enum_single(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_enum_single_rsp o;

	return dfu_smp_mgmt_enum_single_decode(rsp, reply, &o);
}

static int d_enum_details(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_enum_details o;
	int rc = dfu_smp_mgmt_enum_details_decode(rsp, reply, &o);

	if (rc == 0) {
		for (size_t i = 0; i < o.count; i++) {
			touch_str(o.groups[i].name);
		}
	}
	return rc;
}

static const struct {
	decode_fn fn;
	uint16_t group;
} decoders[] = {
	{ d_status, DFU_SMP_MGMT_GROUP_ZEPHYR_BASIC },
	{ d_img_state, DFU_SMP_MGMT_GROUP_IMAGE },
	{ d_img_upload, DFU_SMP_MGMT_GROUP_IMAGE },
	{ d_img_slot_info, DFU_SMP_MGMT_GROUP_IMAGE },
	{ d_os_echo, DFU_SMP_MGMT_GROUP_OS },
	{ d_os_params, DFU_SMP_MGMT_GROUP_OS },
	{ d_os_taskstat, DFU_SMP_MGMT_GROUP_OS },
	{ d_os_mpstat, DFU_SMP_MGMT_GROUP_OS },
	{ d_os_datetime, DFU_SMP_MGMT_GROUP_OS },
	{ d_os_info, DFU_SMP_MGMT_GROUP_OS },
	{ d_os_bootloader, DFU_SMP_MGMT_GROUP_OS },
	{ d_stat_list, DFU_SMP_MGMT_GROUP_STAT },
	{ d_stat_show, DFU_SMP_MGMT_GROUP_STAT },
	{ d_settings_read, DFU_SMP_MGMT_GROUP_SETTINGS },
	{ d_fs_download, DFU_SMP_MGMT_GROUP_FS },
	{ d_fs_upload, DFU_SMP_MGMT_GROUP_FS },
	{ d_fs_status, DFU_SMP_MGMT_GROUP_FS },
	{ d_fs_hash, DFU_SMP_MGMT_GROUP_FS },
	{ d_fs_hash_types, DFU_SMP_MGMT_GROUP_FS },
	{ d_shell, DFU_SMP_MGMT_GROUP_SHELL },
	{ d_enum_count, DFU_SMP_MGMT_GROUP_ENUM },
	{ d_enum_list, DFU_SMP_MGMT_GROUP_ENUM },
	{ d_enum_single, DFU_SMP_MGMT_GROUP_ENUM },
	{ d_enum_details, DFU_SMP_MGMT_GROUP_ENUM },
};
#define NDECODERS (sizeof(decoders) / sizeof(decoders[0]))

/* The names the decoders look for, as map keys and as texts. */
static const char *const keys[] = {
	"rc", "rsn", "err", "group", "images", "image", "slot", "slots", "version", "hash",
	"bootable", "pending", "confirmed", "active", "permanent", "splitStatus", "off", "match",
	"data", "len", "output", "ret", "o", "r", "d", "name", "fields", "tasks", "prio", "tid",
	"state", "stksiz", "stkuse", "runtime", "cswcnt", "last_checkin", "next_checkin", "mpools",
	"blksiz", "nblks", "nfree", "min", "bootloader", "mode", "no-downgrade", "buf_size",
	"buf_count", "groups", "handlers", "end", "count", "type", "types", "format", "size", "val",
	"max_size", "stat_list", "max_image_size", "upload_image_id", "sha", "total", "datetime",
	"index", "MCUboot", "sha256", "crc32",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct gen {
	const uint8_t *p;
	size_t n;
	struct dfu_smp_mgmt_cbor_writer w;
};

static uint8_t next(struct gen *g)
{
	if (g->n == 0) {
		return 0;
	}
	g->n--;
	return *g->p++;
}

/* One item from the input; maps are keyed by the decoders' names (or, rarely, by anything). */
static void gen_item(struct gen *g, unsigned depth)
{
	uint8_t op = next(g);
	uint8_t arg = next(g);

	if (depth > 12u) {
		op = (uint8_t)(op % 6u + 4u);
	}
	switch (op % 12u) {
	case 0:
	case 1: {
		size_t pairs = arg % 6u;

		dfu_smp_mgmt_cbor_map(&g->w, pairs);
		for (size_t i = 0; i < pairs; i++) {
			uint8_t k = next(g);

			if (k == 0xffu) {
				gen_item(g, depth + 1u);
			} else {
				dfu_smp_mgmt_cbor_text(&g->w, keys[k % NKEYS]);
			}
			gen_item(g, depth + 1u);
		}
		break;
	}
	case 2: {
		size_t items = arg % 6u;

		dfu_smp_mgmt_cbor_array(&g->w, items);
		for (size_t i = 0; i < items; i++) {
			gen_item(g, depth + 1u);
		}
		break;
	}
	case 3: {
		size_t items = arg % 4u;
		bool map = arg & 0x80u;

		if (map) {
			dfu_smp_mgmt_cbor_map_indef(&g->w);
			items *= 2u;
		} else {
			dfu_smp_mgmt_cbor_array_indef(&g->w);
		}
		for (size_t i = 0; i < items; i++) {
			if (map && i % 2u == 0) {
				dfu_smp_mgmt_cbor_text(&g->w, keys[next(g) % NKEYS]);
			} else {
				gen_item(g, depth + 1u);
			}
		}
		dfu_smp_mgmt_cbor_break(&g->w);
		break;
	}
	case 4:
		dfu_smp_mgmt_cbor_text(&g->w, keys[arg % NKEYS]);
		break;
	case 5: {
		size_t n = arg % 40u < g->n ? arg % 40u : g->n;

		dfu_smp_mgmt_cbor_text_n(&g->w, (const char *)g->p, n);
		g->p += n;
		g->n -= n;
		break;
	}
	case 6: {
		size_t n = arg % 70u < g->n ? arg % 70u : g->n;

		dfu_smp_mgmt_cbor_bytes(&g->w, g->p, n);
		g->p += n;
		g->n -= n;
		break;
	}
	case 7:
		dfu_smp_mgmt_cbor_uint(&g->w, arg);
		break;
	case 8: {
		uint64_t v = 0;

		for (unsigned i = 0; i < 8u; i++) {
			v = v << 8 | next(g);
		}
		if (arg & 1u) {
			dfu_smp_mgmt_cbor_int(&g->w, (int64_t)v);
		} else {
			dfu_smp_mgmt_cbor_uint(&g->w, v);
		}
		break;
	}
	case 9:
		dfu_smp_mgmt_cbor_int(&g->w, -1 - (int64_t)arg);
		break;
	case 10:
		dfu_smp_mgmt_cbor_bool(&g->w, arg & 1u);
		break;
	default: {
		/* null, undefined, a float, a tag: what the writer has no call for */
		static const uint8_t odd[][3] = { { 0xf6 }, { 0xf7 }, { 0xf9, 0x3c, 0x00 },
						  { 0xc0 } };
		static const size_t odd_len[] = { 1, 1, 3, 1 };

		dfu_smp_mgmt_cbor_raw(&g->w, odd[arg % 4u], odd_len[arg % 4u]);
		if (arg % 4u == 3u) {
			gen_item(g, depth + 1u);
		}
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t built[4096];
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	uint8_t *payload;
	size_t len;
	int rc;

	if (size < 1) {
		return 0;
	}
	if (data[0] & 0x80u) {
		struct gen g = { .p = data + 1, .n = size - 1u };

		dfu_smp_mgmt_cbor_writer_init(&g.w, built, sizeof(built));
		gen_item(&g, 0);
		if (g.w.overflow) {
			return 0;
		}
		len = g.w.len;
		payload = malloc(len ? len : 1u);
		if (payload == NULL) {
			abort();
		}
		memcpy(payload, built, len);
	} else {
		len = size - 1u;
		payload = malloc(len ? len : 1u);
		if (payload == NULL) {
			abort();
		}
		memcpy(payload, data + 1, len);
	}
	memset(&rsp, 0, sizeof(rsp));
	memset(&reply, 0, sizeof(reply));
	rsp.hdr.op = DFU_SMP_OP_READ_RSP;
	rsp.hdr.version = 1;
	rsp.hdr.group = decoders[(data[0] & 0x7fu) % NDECODERS].group;
	rsp.hdr.len = (uint16_t)(len > 0xffffu ? 0xffffu : len);
	rsp.payload = payload;
	rsp.len = rsp.hdr.len;
	rc = decoders[(data[0] & 0x7fu) % NDECODERS].fn(&rsp, &reply);
	if ((rc == 0 && reply.kind != DFU_SMP_MGMT_REPLY_OK) ||
	    (rc == -EREMOTEIO && reply.kind != DFU_SMP_MGMT_REPLY_RC &&
	     reply.kind != DFU_SMP_MGMT_REPLY_GROUP_ERR) ||
	    (rc == -EBADMSG && reply.kind != DFU_SMP_MGMT_REPLY_MALFORMED) ||
	    (rc != 0 && rc != -EREMOTEIO && rc != -EBADMSG && rc != -ENOMEM) ||
	    memchr(reply.detail, 0, sizeof(reply.detail)) == NULL ||
	    memchr(reply.where, 0, sizeof(reply.where)) == NULL) {
		abort();
	}
	dfu_smp_mgmt_reply_close(&reply);
	free(payload);
	return 0;
}
