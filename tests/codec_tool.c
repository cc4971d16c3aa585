/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs mgmt/ codecs from the command line so that tests can hold them against python3-cbor2:
 *   codec-tool encode COMMAND [ARGS...]   prints the request payload as hex
 *   codec-tool decode COMMAND HEX         prints the decoded response, or "error: ..." (exit 1)
 *   codec-tool max-data img LIMIT OFF LEN IMAGE UPGRADE [SHA]
 *   codec-tool max-data fs LIMIT NAME OFF TOTAL
 *                                         prints the most upload data bytes that fit LIMIT
 *
 * Byte strings are hex both ways. Decoded values come out one "key=value" per line, arrays as
 * "images[0].slot=1"; text with control characters or backslashes escapes them as \xNN.
 * An optional value the device left out is printed as the decoder reports it (-1, absent).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/mgmt/basic.h>
#include <dfu-smp/mgmt/enum.h>
#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/fs.h>
#include <dfu-smp/mgmt/img.h>
#include <dfu-smp/mgmt/os.h>
#include <dfu-smp/mgmt/settings.h>
#include <dfu-smp/mgmt/shell.h>
#include <dfu-smp/mgmt/stat.h>

static uint8_t buf[DFU_SMP_MSG_MAX];

/* Hex arguments of one encode: data, sha or hash, setting value. */
static uint8_t data[DFU_SMP_MSG_MAX];
static uint8_t sha[64];

static int print_hex(const struct dfu_smp_request *req)
{
	for (size_t i = 0; i < req->len; i++) {
		printf("%02x", req->buf[DFU_SMP_HDR_SIZE + i]);
	}
	printf("\n");
	return 0;
}

/* @return 0, or -EINVAL when @p hex is not an even number of hex digits fitting @p cap. */
static int from_hex(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 > cap) {
		return -EINVAL;
	}
	for (size_t i = 0; i < n / 2; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], '\0' };
		char *end;

		out[i] = (uint8_t)strtoul(byte, &end, 16);
		if (*end != '\0' || byte[0] == '-' || byte[0] == '+' || byte[0] == ' ') {
			return -EINVAL;
		}
	}
	*len = n / 2;
	return 0;
}

static int to_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return *s == '\0' || *s == '-' || *end != '\0' || errno ? -EINVAL : 0;
}

static int to_i64(const char *s, int64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return *s == '\0' || *end != '\0' || errno ? -EINVAL : 0;
}

static int encode_img_upload(struct dfu_smp_request *req, int argc, char **argv)
{
	struct dfu_smp_mgmt_img_upload_args args = { 0 };
	uint64_t image, upgrade;

	if (to_u64(argv[1], &args.off) || from_hex(argv[2], data, sizeof(data), &args.len) ||
	    to_u64(argv[3], &args.total_len) || to_u64(argv[4], &image) || image > UINT32_MAX ||
	    to_u64(argv[5], &upgrade) ||
	    (argc == 7 && from_hex(argv[6], sha, sizeof(sha), &args.sha_len))) {
		return -EINVAL;
	}
	args.data = data;
	args.image = (uint32_t)image;
	args.upgrade = upgrade != 0;
	args.sha = argc == 7 ? sha : NULL;
	return dfu_smp_mgmt_img_upload(req, &args);
}

static int encode(int argc, char **argv)
{
	struct dfu_smp_request req;
	const char *cmd = argv[0];
	uint64_t u;
	int64_t i;
	size_t n;
	int err = -EINVAL;

	dfu_smp_request_init(&req, buf, sizeof(buf));
	if (strcmp(cmd, "echo") == 0 && argc == 2) {
		err = dfu_smp_mgmt_os_echo(&req, argv[1]);
	} else if (strcmp(cmd, "params") == 0 && argc == 1) {
		err = dfu_smp_mgmt_os_params(&req);
	} else if (strcmp(cmd, "taskstat") == 0 && argc == 1) {
		err = dfu_smp_mgmt_os_taskstat(&req);
	} else if (strcmp(cmd, "mpstat") == 0 && argc == 1) {
		err = dfu_smp_mgmt_os_mpstat(&req);
	} else if (strcmp(cmd, "datetime-get") == 0 && argc == 1) {
		err = dfu_smp_mgmt_os_datetime_get(&req);
	} else if (strcmp(cmd, "datetime-set") == 0 && argc == 2) {
		err = dfu_smp_mgmt_os_datetime_set(&req, argv[1]);
	} else if (strcmp(cmd, "reset") == 0 && argc == 3) {
		if (!to_u64(argv[1], &u) && !to_i64(argv[2], &i) && i >= -1 && i <= 255) {
			err = dfu_smp_mgmt_os_reset(&req, u != 0, (int)i);
		}
	} else if (strcmp(cmd, "info") == 0 && argc <= 2) {
		err = dfu_smp_mgmt_os_info(&req, argc == 2 ? argv[1] : NULL);
	} else if (strcmp(cmd, "bootloader") == 0 && argc <= 2) {
		err = dfu_smp_mgmt_os_bootloader(&req, argc == 2 ? argv[1] : NULL);
	} else if (strcmp(cmd, "img-state-read") == 0 && argc == 1) {
		err = dfu_smp_mgmt_img_state_read(&req);
	} else if (strcmp(cmd, "img-state-write") == 0 && (argc == 2 || argc == 3)) {
		n = 0;
		if (!to_u64(argv[1], &u) &&
		    (argc == 2 || !from_hex(argv[2], sha, sizeof(sha), &n))) {
			err = dfu_smp_mgmt_img_state_write(&req, argc == 3 ? sha : NULL, n, u != 0);
		}
	} else if (strcmp(cmd, "img-upload") == 0 && (argc == 6 || argc == 7)) {
		err = encode_img_upload(&req, argc, argv);
	} else if (strcmp(cmd, "img-erase") == 0 && argc <= 2) {
		i = -1;
		if (argc == 1 || !to_i64(argv[1], &i)) {
			err = dfu_smp_mgmt_img_erase(&req, i);
		}
	} else if (strcmp(cmd, "img-slot-info") == 0 && argc == 1) {
		err = dfu_smp_mgmt_img_slot_info(&req);
	} else if (strcmp(cmd, "stat-list") == 0 && argc == 1) {
		err = dfu_smp_mgmt_stat_list(&req);
	} else if (strcmp(cmd, "stat-show") == 0 && argc == 2) {
		err = dfu_smp_mgmt_stat_show(&req, argv[1]);
	} else if (strcmp(cmd, "settings-read") == 0 && (argc == 2 || argc == 3)) {
		i = -1;
		if (argc == 2 || !to_i64(argv[2], &i)) {
			err = dfu_smp_mgmt_settings_read(&req, argv[1], i);
		}
	} else if (strcmp(cmd, "settings-write") == 0 && argc == 3) {
		if (!from_hex(argv[2], data, sizeof(data), &n)) {
			err = dfu_smp_mgmt_settings_write(&req, argv[1], data, n);
		}
	} else if (strcmp(cmd, "settings-delete") == 0 && argc == 2) {
		err = dfu_smp_mgmt_settings_delete(&req, argv[1]);
	} else if (strcmp(cmd, "settings-commit") == 0 && argc == 1) {
		err = dfu_smp_mgmt_settings_commit(&req);
	} else if (strcmp(cmd, "settings-load") == 0 && argc == 1) {
		err = dfu_smp_mgmt_settings_load(&req);
	} else if (strcmp(cmd, "settings-save") == 0 && argc <= 2) {
		err = dfu_smp_mgmt_settings_save(&req, argc == 2 ? argv[1] : NULL);
	} else if (strcmp(cmd, "fs-download") == 0 && argc == 3) {
		if (!to_u64(argv[2], &u)) {
			err = dfu_smp_mgmt_fs_download(&req, argv[1], u);
		}
	} else if (strcmp(cmd, "fs-upload") == 0 && (argc == 4 || argc == 5)) {
		i = -1;
		if (!to_u64(argv[2], &u) && !from_hex(argv[3], data, sizeof(data), &n) &&
		    (argc == 4 || !to_i64(argv[4], &i))) {
			err = dfu_smp_mgmt_fs_upload(&req, argv[1], u, data, n, i);
		}
	} else if (strcmp(cmd, "fs-status") == 0 && argc == 2) {
		err = dfu_smp_mgmt_fs_status(&req, argv[1]);
	} else if (strcmp(cmd, "fs-hash") == 0 && argc >= 2 && argc <= 5) {
		/* fs-hash NAME [TYPE|- [OFF [LEN]]] */
		const char *type = argc >= 3 && strcmp(argv[2], "-") != 0 ? argv[2] : NULL;

		u = 0;
		i = -1;
		if ((argc < 4 || !to_u64(argv[3], &u)) && (argc < 5 || !to_i64(argv[4], &i))) {
			err = dfu_smp_mgmt_fs_hash(&req, argv[1], type, u, i);
		}
	} else if (strcmp(cmd, "fs-hash-types") == 0 && argc == 1) {
		err = dfu_smp_mgmt_fs_hash_types(&req);
	} else if (strcmp(cmd, "fs-close") == 0 && argc == 1) {
		err = dfu_smp_mgmt_fs_close(&req);
	} else if (strcmp(cmd, "shell") == 0) {
		err = dfu_smp_mgmt_shell_exec(&req, (size_t)argc - 1,
					      (const char *const *)argv + 1);
	} else if (strcmp(cmd, "enum-count") == 0 && argc == 1) {
		err = dfu_smp_mgmt_enum_count(&req);
	} else if (strcmp(cmd, "enum-list") == 0 && argc == 1) {
		err = dfu_smp_mgmt_enum_list(&req);
	} else if (strcmp(cmd, "enum-single") == 0 && argc == 2) {
		if (!to_u64(argv[1], &u)) {
			err = dfu_smp_mgmt_enum_single(&req, u);
		}
	} else if (strcmp(cmd, "enum-details") == 0 && argc <= 256) {
		static uint16_t groups[255];

		err = 0;
		for (int g = 1; g < argc && !err; g++) {
			err = to_u64(argv[g], &u) || u > UINT16_MAX ? -EINVAL : 0;
			groups[g - 1] = (uint16_t)u;
		}
		if (!err) {
			err = dfu_smp_mgmt_enum_details(&req, groups, (size_t)argc - 1);
		}
	} else if (strcmp(cmd, "basic-erase-storage") == 0 && argc == 1) {
		err = dfu_smp_mgmt_basic_erase_storage(&req);
	}
	if (err) {
		fprintf(stderr, "codec-tool: cannot encode %s (%d)\n", cmd, err);
		return 2;
	}
	return print_hex(&req);
}

static int max_data(int argc, char **argv)
{
	uint64_t off, total, image, upgrade, limit;
	int64_t fs_total;

	if (strcmp(argv[0], "img") == 0 && (argc == 6 || argc == 7)) {
		struct dfu_smp_mgmt_img_upload_args args = { 0 };

		if (to_u64(argv[1], &limit) || to_u64(argv[2], &off) || to_u64(argv[3], &total) ||
		    to_u64(argv[4], &image) || image > UINT32_MAX || to_u64(argv[5], &upgrade) ||
		    (argc == 7 && from_hex(argv[6], sha, sizeof(sha), &args.sha_len))) {
			return 2;
		}
		args.off = off;
		args.total_len = total;
		args.image = (uint32_t)image;
		args.upgrade = upgrade != 0;
		args.sha = argc == 7 ? sha : NULL;
		printf("%zu\n", dfu_smp_mgmt_img_upload_max_data(&args, (size_t)limit));
		return 0;
	}
	if (strcmp(argv[0], "fs") == 0 && argc == 5) {
		if (to_u64(argv[1], &limit) || to_u64(argv[3], &off) ||
		    to_i64(argv[4], &fs_total)) {
			return 2;
		}
		printf("%zu\n",
		       dfu_smp_mgmt_fs_upload_max_data(argv[2], off, fs_total, (size_t)limit));
		return 0;
	}
	return 2;
}

static void put_text(const char *key, const char *s)
{
	printf("%s=", key);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == '\\') {
			printf("\\x%02x", c);
		} else {
			putchar(c);
		}
	}
	printf("\n");
}

static void put_bytes(const char *key, const uint8_t *b, size_t n)
{
	printf("%s=", key);
	for (size_t i = 0; i < n; i++) {
		printf("%02x", b[i]);
	}
	printf("\n");
}

static void put_int(const char *key, int64_t v)
{
	printf("%s=%lld\n", key, (long long)v);
}

static void put_uint(const char *key, uint64_t v)
{
	printf("%s=%llu\n", key, (unsigned long long)v);
}

static void put_bool(const char *key, bool v)
{
	printf("%s=%s\n", key, v ? "true" : "false");
}

/* A key of entry @p i of array @p name: "name[i].key". */
static const char *at(const char *name, size_t i, const char *key)
{
	static char out[128];

	snprintf(out, sizeof(out), "%s[%zu].%s", name, i, key);
	return out;
}

static int decode_echo(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	const char *text;
	int err = dfu_smp_mgmt_os_echo_decode(rsp, reply, &text);

	if (!err) {
		printf("r=%s\n", text);
	}
	return err;
}

static int decode_params(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_os_params p;
	int err = dfu_smp_mgmt_os_params_decode(rsp, reply, &p);

	if (!err) {
		printf("buf_size=%u buf_count=%u\n", (unsigned)p.buf_size, (unsigned)p.buf_count);
	}
	return err;
}

static int decode_taskstat(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_os_taskstat t;
	int err = dfu_smp_mgmt_os_taskstat_decode(rsp, reply, &t);

	for (size_t i = 0; !err && i < t.count; i++) {
		const struct dfu_smp_mgmt_os_task *task = &t.tasks[i];

		put_text(at("tasks", i, "name"), task->name);
		put_int(at("tasks", i, "prio"), task->prio);
		put_uint(at("tasks", i, "tid"), task->tid);
		put_uint(at("tasks", i, "state"), task->state);
		put_int(at("tasks", i, "stksiz"), task->stksiz);
		put_int(at("tasks", i, "stkuse"), task->stkuse);
		put_int(at("tasks", i, "runtime"), task->runtime);
		put_int(at("tasks", i, "cswcnt"), task->cswcnt);
		put_int(at("tasks", i, "last_checkin"), task->last_checkin);
		put_int(at("tasks", i, "next_checkin"), task->next_checkin);
	}
	if (!err) {
		put_uint("count", t.count);
	}
	return err;
}

static int decode_mpstat(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_os_mpstat m;
	int err = dfu_smp_mgmt_os_mpstat_decode(rsp, reply, &m);

	for (size_t i = 0; !err && i < m.count; i++) {
		const struct dfu_smp_mgmt_os_mpool *pool = &m.pools[i];

		put_text(at("pools", i, "name"), pool->name);
		put_int(at("pools", i, "blksiz"), pool->blksiz);
		put_uint(at("pools", i, "nblks"), pool->nblks);
		put_uint(at("pools", i, "nfree"), pool->nfree);
		put_int(at("pools", i, "min"), pool->min);
	}
	if (!err) {
		put_uint("count", m.count);
	}
	return err;
}

static int decode_datetime(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	const char *datetime;
	int err = dfu_smp_mgmt_os_datetime_get_decode(rsp, reply, &datetime);

	if (!err) {
		put_text("datetime", datetime);
	}
	return err;
}

static int decode_info(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	const char *output;
	int err = dfu_smp_mgmt_os_info_decode(rsp, reply, &output);

	if (!err) {
		put_text("output", output);
	}
	return err;
}

static int decode_bootloader(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_os_bootloader b;
	int err = dfu_smp_mgmt_os_bootloader_decode(rsp, reply, &b);

	if (err) {
		return err;
	}
	if (b.name) {
		put_text("bootloader", b.name);
	}
	if (b.has_mode) {
		put_int("mode", b.mode);
		put_text("mode_name", dfu_smp_mgmt_os_bootloader_mode_name(b.mode));
	}
	put_bool("no-downgrade", b.no_downgrade);
	return 0;
}

static int decode_img_state(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_img_state s;
	int err = dfu_smp_mgmt_img_state_decode(rsp, reply, &s);

	for (size_t i = 0; !err && i < s.count; i++) {
		const struct dfu_smp_mgmt_img_slot *slot = &s.slots[i];

		put_int(at("images", i, "image"), slot->image);
		put_uint(at("images", i, "slot"), slot->slot);
		if (slot->version) {
			put_text(at("images", i, "version"), slot->version);
		}
		put_bytes(at("images", i, "hash"), slot->hash, slot->hash_len);
		put_bool(at("images", i, "bootable"), slot->bootable);
		put_bool(at("images", i, "pending"), slot->pending);
		put_bool(at("images", i, "confirmed"), slot->confirmed);
		put_bool(at("images", i, "active"), slot->active);
		put_bool(at("images", i, "permanent"), slot->permanent);
	}
	if (!err) {
		put_uint("count", s.count);
		put_int("splitStatus", s.split_status);
	}
	return err;
}

static int decode_img_upload(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_img_upload_rsp u;
	int err = dfu_smp_mgmt_img_upload_decode(rsp, reply, &u);

	if (err) {
		return err;
	}
	put_uint("off", u.off);
	if (u.has_match) {
		put_bool("match", u.match);
	}
	return 0;
}

static int decode_img_slot_info(const struct dfu_smp_client_rsp *rsp,
				struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_img_slot_info info;
	int err = dfu_smp_mgmt_img_slot_info_decode(rsp, reply, &info);

	for (size_t i = 0; !err && i < info.count; i++) {
		const struct dfu_smp_mgmt_img_slot_info_image *image = &info.images[i];
		char slots[48];

		put_uint(at("images", i, "image"), image->image);
		put_int(at("images", i, "max_image_size"), image->max_image_size);
		put_uint(at("images", i, "count"), image->count);
		snprintf(slots, sizeof(slots), "images[%zu].slots", i);
		for (size_t j = 0; j < image->count; j++) {
			put_uint(at(slots, j, "slot"), image->slots[j].slot);
			put_int(at(slots, j, "size"), image->slots[j].size);
			put_int(at(slots, j, "rc"), image->slots[j].rc);
			put_int(at(slots, j, "upload_image_id"), image->slots[j].upload_image_id);
		}
	}
	if (!err) {
		put_uint("count", info.count);
	}
	return err;
}

static int decode_status(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	int err = dfu_smp_mgmt_reply_status(rsp, reply);

	if (!err) {
		printf("ok\n");
	}
	return err;
}

static int decode_stat_list(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_stat_list l;
	int err = dfu_smp_mgmt_stat_list_decode(rsp, reply, &l);

	for (size_t i = 0; !err && i < l.count; i++) {
		char key[32];

		snprintf(key, sizeof(key), "stat_list[%zu]", i);
		put_text(key, l.names[i]);
	}
	if (!err) {
		put_uint("count", l.count);
	}
	return err;
}

static int decode_stat_show(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_stat_group g;
	int err = dfu_smp_mgmt_stat_show_decode(rsp, reply, &g);

	if (err) {
		return err;
	}
	put_text("name", g.name);
	for (size_t i = 0; i < g.count; i++) {
		put_text(at("fields", i, "name"), g.fields[i].name);
		put_uint(at("fields", i, "value"), g.fields[i].value);
	}
	put_uint("count", g.count);
	return 0;
}

static int decode_settings_read(const struct dfu_smp_client_rsp *rsp,
				struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_settings_value v;
	int err = dfu_smp_mgmt_settings_read_decode(rsp, reply, &v);

	if (!err) {
		put_bytes("val", v.val, v.len);
		put_int("max_size", v.max_size);
	}
	return err;
}

static int decode_fs_download(const struct dfu_smp_client_rsp *rsp,
			      struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_fs_download_rsp d;
	int err = dfu_smp_mgmt_fs_download_decode(rsp, reply, &d);

	if (!err) {
		put_uint("off", d.off);
		put_bytes("data", d.data, d.len);
		put_int("len", d.total);
	}
	return err;
}

static int decode_fs_upload(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	uint64_t off;
	int err = dfu_smp_mgmt_fs_upload_decode(rsp, reply, &off);

	if (!err) {
		put_uint("off", off);
	}
	return err;
}

static int decode_fs_status(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	uint64_t len;
	int err = dfu_smp_mgmt_fs_status_decode(rsp, reply, &len);

	if (!err) {
		put_uint("len", len);
	}
	return err;
}

static int decode_fs_hash(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_fs_hash_rsp h;
	int err = dfu_smp_mgmt_fs_hash_decode(rsp, reply, &h);

	if (err) {
		return err;
	}
	put_text("type", h.type);
	put_uint("off", h.off);
	put_uint("len", h.len);
	if (h.output_is_number) {
		put_uint("output", h.number);
	} else {
		put_bytes("output_bytes", h.bytes, h.bytes_len);
	}
	return 0;
}

static int decode_fs_hash_types(const struct dfu_smp_client_rsp *rsp,
				struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_fs_hash_types t;
	int err = dfu_smp_mgmt_fs_hash_types_decode(rsp, reply, &t);

	for (size_t i = 0; !err && i < t.count; i++) {
		put_text(at("types", i, "name"), t.types[i].name);
		put_uint(at("types", i, "format"), t.types[i].format);
		put_uint(at("types", i, "size"), t.types[i].size);
	}
	if (!err) {
		put_uint("count", t.count);
	}
	return err;
}

static int decode_shell(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_shell_rsp s;
	int err = dfu_smp_mgmt_shell_exec_decode(rsp, reply, &s);

	if (!err) {
		put_text("o", s.output);
		put_int("ret", s.ret);
	}
	return err;
}

static int decode_enum_count(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	uint64_t count;
	int err = dfu_smp_mgmt_enum_count_decode(rsp, reply, &count);

	if (!err) {
		put_uint("count", count);
	}
	return err;
}

static int decode_enum_list(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_enum_list l;
	int err = dfu_smp_mgmt_enum_list_decode(rsp, reply, &l);

	for (size_t i = 0; !err && i < l.count; i++) {
		char key[32];

		snprintf(key, sizeof(key), "groups[%zu]", i);
		put_uint(key, l.groups[i]);
	}
	if (!err) {
		put_uint("count", l.count);
	}
	return err;
}

static int decode_enum_single(const struct dfu_smp_client_rsp *rsp,
			      struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_enum_single_rsp s;
	int err = dfu_smp_mgmt_enum_single_decode(rsp, reply, &s);

	if (!err) {
		put_uint("group", s.group);
		put_bool("end", s.end);
	}
	return err;
}

static int decode_enum_details(const struct dfu_smp_client_rsp *rsp,
			       struct dfu_smp_mgmt_reply *reply)
{
	struct dfu_smp_mgmt_enum_details d;
	int err = dfu_smp_mgmt_enum_details_decode(rsp, reply, &d);

	for (size_t i = 0; !err && i < d.count; i++) {
		put_uint(at("groups", i, "group"), d.groups[i].group);
		if (d.groups[i].name) {
			put_text(at("groups", i, "name"), d.groups[i].name);
		}
		put_int(at("groups", i, "handlers"), d.groups[i].handlers);
	}
	if (!err) {
		put_uint("count", d.count);
	}
	return err;
}

static const struct {
	const char *name;
	int (*decode)(const struct dfu_smp_client_rsp *rsp, struct dfu_smp_mgmt_reply *reply);
} decoders[] = {
	{ "echo", decode_echo },
	{ "params", decode_params },
	{ "taskstat", decode_taskstat },
	{ "mpstat", decode_mpstat },
	{ "datetime-get", decode_datetime },
	{ "info", decode_info },
	{ "bootloader", decode_bootloader },
	{ "img-state", decode_img_state },
	{ "img-upload", decode_img_upload },
	{ "img-slot-info", decode_img_slot_info },
	{ "status", decode_status },
	{ "stat-list", decode_stat_list },
	{ "stat-show", decode_stat_show },
	{ "settings-read", decode_settings_read },
	{ "fs-download", decode_fs_download },
	{ "fs-upload", decode_fs_upload },
	{ "fs-status", decode_fs_status },
	{ "fs-hash", decode_fs_hash },
	{ "fs-hash-types", decode_fs_hash_types },
	{ "shell", decode_shell },
	{ "enum-count", decode_enum_count },
	{ "enum-list", decode_enum_list },
	{ "enum-single", decode_enum_single },
	{ "enum-details", decode_enum_details },
};

static int decode(const char *command, const char *hex)
{
	static uint8_t payload[DFU_SMP_MSG_MAX];
	struct dfu_smp_client_rsp rsp = { .payload = payload };
	struct dfu_smp_mgmt_reply reply;
	char line[400];
	size_t i = 0;
	int err;

	while (i < sizeof(decoders) / sizeof(decoders[0]) && strcmp(decoders[i].name, command)) {
		i++;
	}
	if (i == sizeof(decoders) / sizeof(decoders[0])) {
		fprintf(stderr, "codec-tool: unknown command %s\n", command);
		return 2;
	}
	if (from_hex(hex, payload, sizeof(payload), &rsp.len)) {
		fprintf(stderr, "codec-tool: bad hex\n");
		return 2;
	}
	rsp.hdr.len = (uint16_t)rsp.len;
	err = decoders[i].decode(&rsp, &reply);
	if (err) {
		printf("error: %s\n", dfu_smp_mgmt_err_describe(&reply, line, sizeof(line)));
	}
	dfu_smp_mgmt_reply_close(&reply);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "encode") == 0) {
		return encode(argc - 2, argv + 2);
	}
	if (argc == 4 && strcmp(argv[1], "decode") == 0) {
		return decode(argv[2], argv[3]);
	}
	if (argc >= 3 && strcmp(argv[1], "max-data") == 0) {
		return max_data(argc - 2, argv + 2);
	}
	fprintf(stderr, "usage: codec-tool encode COMMAND [ARGS] | decode COMMAND HEX | "
			"max-data img|fs ARGS\n");
	return 2;
}
