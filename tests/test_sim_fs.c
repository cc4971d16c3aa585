/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's file system group: files of every size uploaded and downloaded back
 * byte for byte through small and large buffers, status, hashes checked against values
 * computed here, and every error in both protocol versions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include <dfu-smp/mgmt/fs.h>
#include "../mgmt/cbor_reader.h"
#include "sim_harness.h"

#define G DFU_SMP_MGMT_GROUP_FS
#define V1 DFU_SMP_PROTO_V1
#define V2 DFU_SMP_PROTO_V2
#define R DFU_SMP_OP_READ
#define W DFU_SMP_OP_WRITE

static struct sim_device *new_device(uint32_t buf_size)
{
	const struct sim_device_config cfg = { .buf_size = buf_size };
	struct sim_device *dev = malloc(sizeof(*dev));

	assert_non_null(dev);
	assert_int_equal(sim_device_init(dev, &cfg), 0);
	return dev;
}

static void free_device(struct sim_device *dev)
{
	sim_device_free(dev);
	free(dev);
}

static int setup(void **state)
{
	*state = new_device(0);
	return 0;
}

static int teardown(void **state)
{
	free_device(*state);
	return 0;
}

/* Deterministic file contents. */
static uint8_t *pattern(size_t len, unsigned int seed)
{
	uint8_t *data = malloc(len ? len : 1);
	uint32_t x = 2463534242u ^ seed;

	assert_non_null(data);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (uint8_t)x;
	}
	return data;
}

static void upload(struct sim_device *dev, const char *name, const uint8_t *data, size_t len)
{
	assert_int_equal(fs_upload(dev, name, data, len, 0), len);
}

static void round_trip(uint32_t buf_size, size_t len)
{
	struct sim_device *dev = new_device(buf_size);
	uint8_t *data = pattern(len, (unsigned int)len), *back;
	char name[32];
	size_t back_len;

	snprintf(name, sizeof(name), "/lfs/f%zu.bin", len);
	upload(dev, name, data, len);
	back = fs_download(dev, name, &back_len);
	assert_int_equal(back_len, len);
	if (len) {
		assert_memory_equal(back, data, len);
	}
	free(back);
	free(data);
	free_device(dev);
}

static void files_round_trip_through_a_small_buffer(void **state)
{
	(void)state;
	round_trip(96, 0);
	round_trip(96, 1);
	round_trip(96, 1024);
	round_trip(96, 100 * 1024);
}

static void files_round_trip_through_a_large_buffer(void **state)
{
	(void)state;
	round_trip(2475, 0);
	round_trip(2475, 1);
	round_trip(2475, 1024);
	round_trip(2475, 100 * 1024);
	round_trip(65535, 300 * 1024);
}

static size_t name_req(struct payload *p, const char *name)
{
	return payload_text(p, "name", name);
}

static uint64_t status(struct sim_device *dev, const char *name)
{
	struct payload p;
	struct answer a;
	size_t n = name_req(&p, name);
	uint64_t len;

	call(dev, R, V2, G, DFU_SMP_MGMT_FS_STATUS, p.buf, n, &a);
	expect_ok(&a);
	len = get_uint(a.map, "len");
	answer_close(&a);
	return len;
}

static void upload_bytes(struct sim_device *dev, const char *name, const char *text)
{
	upload(dev, name, (const uint8_t *)text, strlen(text));
}

static void status_and_overwrite(void **state)
{
	struct sim_device *dev = *state;
	uint8_t *data = pattern(1024, 1);

	upload(dev, "/lfs/a", data, 1024);
	assert_int_equal(status(dev, "/lfs/a"), 1024);
	/* off 0 starts the file again */
	upload_bytes(dev, "/lfs/a", "short");
	assert_int_equal(status(dev, "/lfs/a"), 5);
	/* Zephyr empties the file only when data comes (observed): an empty upload leaves it */
	upload(dev, "/lfs/a", NULL, 0);
	assert_int_equal(status(dev, "/lfs/a"), 5);
	free(data);
}

static uint64_t status_at(struct sim_device *dev, uint64_t now_us, const char *name)
{
	struct payload p;
	struct answer a;
	size_t n = name_req(&p, name);
	uint64_t len;

	call_at(dev, now_us, R, V2, G, DFU_SMP_MGMT_FS_STATUS, p.buf, n, &a);
	expect_ok(&a);
	len = get_uint(a.map, "len");
	answer_close(&a);
	return len;
}

static uint64_t upload_at(struct sim_device *dev, uint64_t now_us, uint64_t off,
			  const char *data, int64_t total)
{
	uint8_t buf[128];
	size_t n = fs_upload_req(buf, sizeof(buf), "/lfs/open", off, (const uint8_t *)data,
				 strlen(data), total);
	struct answer a;
	uint64_t at;

	call_at(dev, now_us, W, V2, G, DFU_SMP_MGMT_FS_FILE, buf, n, &a);
	expect_ok(&a);
	at = get_uint(a.map, "off");
	answer_close(&a);
	return at;
}

/*
 * fs_mgmt keeps the file of an upload open until it reaches its length, is closed, or has been
 * idle for 4 s; littlefs shows the file as it was last closed meanwhile (observed).
 */
static void a_file_being_uploaded_shows_once_closed(void **state)
{
	struct sim_device *dev = *state;
	const uint64_t s = 1000000;
	struct answer a;

	assert_int_equal(upload_at(dev, 0, 0, "abcd", 8), 4);
	assert_int_equal(status_at(dev, 1 * s, "/lfs/open"), 0); /* created, empty */
	assert_int_equal(status_at(dev, 5 * s, "/lfs/open"), 4); /* closed when idle */
	/* a new transfer expects the length as closed */
	assert_int_equal(upload_at(dev, 6 * s, 4, "efgh", -1), 8);
	assert_int_equal(status_at(dev, 6 * s, "/lfs/open"), 4);
	call_at(dev, 6 * s, W, V2, G, DFU_SMP_MGMT_FS_CLOSE, empty, sizeof(empty), &a);
	expect_ok(&a);
	answer_close(&a);
	assert_int_equal(status_at(dev, 6 * s, "/lfs/open"), 8);
	/* off 0 again while open: the file starts again, but not the count (as Zephyr does), and
	 * the next chunk goes at the file's end */
	assert_int_equal(upload_at(dev, 7 * s, 0, "xy", 6), 2);
	assert_int_equal(upload_at(dev, 7 * s, 0, "xyz", 6), 5);
	assert_int_equal(upload_at(dev, 7 * s, 5, "w", -1), 6);
	assert_int_equal(status_at(dev, 7 * s, "/lfs/open"), 4); /* "xyzw", closed at 6 */
}

/* Paths and the errors stat-like commands (status, download, hash) give for them. */
static const struct {
	const char *path;
	int group_rc, v1_rc;
} bad_paths[] = {
	{ "/lfs/missing", 3, DFU_SMP_MGMT_ERR_ENOENT },
	{ "/lfs/dir/file", 3, DFU_SMP_MGMT_ERR_ENOENT },
	{ "/data/file", 3, DFU_SMP_MGMT_ERR_ENOENT },
	{ "/lfs", 4, DFU_SMP_MGMT_ERR_EUNKNOWN },
	{ "/lfs/", 4, DFU_SMP_MGMT_ERR_EUNKNOWN },
	{ "lfs/a", 2, DFU_SMP_MGMT_ERR_EINVAL },
	{ "/", 2, DFU_SMP_MGMT_ERR_EINVAL },
};

static void status_download_and_hash_errors(void **state)
{
	struct sim_device *dev = *state;
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	size_t n;

	upload_bytes(dev, "/lfs/a", "x");
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		n = name_req(&p, bad_paths[i].path);
		expect_both_err(dev, R, G, DFU_SMP_MGMT_FS_STATUS, p.buf, n, bad_paths[i].group_rc,
				bad_paths[i].v1_rc);
		expect_both_err(dev, R, G, DFU_SMP_MGMT_FS_HASH, p.buf, n, bad_paths[i].group_rc,
				bad_paths[i].v1_rc);
		w = payload_map(&p, 2);
		dfu_smp_mgmt_cbor_text(w, "name");
		dfu_smp_mgmt_cbor_text(w, bad_paths[i].path);
		dfu_smp_mgmt_cbor_text(w, "off");
		dfu_smp_mgmt_cbor_uint(w, 0);
		expect_both_err(dev, R, G, DFU_SMP_MGMT_FS_FILE, p.buf, w->len,
				bad_paths[i].group_rc, bad_paths[i].v1_rc);
	}
	/* malformed: no name, an empty or too long one, no off, off negative */
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_FS_STATUS, empty, sizeof(empty),
		       DFU_SMP_MGMT_ERR_EINVAL);
	n = name_req(&p, "");
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_FS_STATUS, p.buf, n, DFU_SMP_MGMT_ERR_EINVAL);
	n = name_req(&p, "/lfs/0123456789012345678901234567890123456789012345678901234567890");
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_FS_STATUS, p.buf, n, DFU_SMP_MGMT_ERR_EINVAL);
	n = name_req(&p, "/lfs/a");
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_FS_FILE, p.buf, n, DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "/lfs/a");
	dfu_smp_mgmt_cbor_text(w, "off");
	dfu_smp_mgmt_cbor_int(w, -1);
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_FS_FILE, p.buf, w->len, DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_bytes(w, (const uint8_t *)"/lfs/a", 6);
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_FS_STATUS, p.buf, w->len, DFU_SMP_MGMT_ERR_EINVAL);
}

static void download_past_the_end_is_empty(void **state)
{
	struct sim_device *dev = *state;
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	struct answer a;
	uint8_t data[8];

	upload_bytes(dev, "/lfs/a", "hello");
	for (uint64_t off = 5; off <= 1000; off += 995) {
		w = payload_map(&p, 2);
		dfu_smp_mgmt_cbor_text(w, "name");
		dfu_smp_mgmt_cbor_text(w, "/lfs/a");
		dfu_smp_mgmt_cbor_text(w, "off");
		dfu_smp_mgmt_cbor_uint(w, off);
		call(dev, R, V1, G, DFU_SMP_MGMT_FS_FILE, p.buf, w->len, &a);
		expect_ok(&a);
		assert_int_equal(get_uint(a.map, "off"), off);
		assert_int_equal(get_bytes(a.map, "data", data, sizeof(data)), 0);
		assert_null(dfu_smp_mgmt_cbor_find(a.map, "len"));
		answer_close(&a);
	}
	/* the middle of the file */
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "off");
	dfu_smp_mgmt_cbor_uint(w, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "/lfs/a");
	call(dev, R, V2, G, DFU_SMP_MGMT_FS_FILE, p.buf, w->len, &a);
	expect_ok(&a);
	assert_int_equal(get_bytes(a.map, "data", data, sizeof(data)), 3);
	assert_memory_equal(data, "llo", 3);
	answer_close(&a);
}

static void upload_at_the_wrong_offset_reports_the_length(void **state)
{
	struct sim_device *dev = *state;
	uint8_t buf[128];
	struct answer a;
	size_t n;

	upload_bytes(dev, "/lfs/a", "hello");
	n = fs_upload_req(buf, sizeof(buf), "/lfs/a", 3, (const uint8_t *)"xy", 2, -1);
	call(dev, W, V2, G, DFU_SMP_MGMT_FS_FILE, buf, n, &a);
	expect_group_err(&a, G, 11);
	assert_int_equal(get_uint(a.map, "len"), 5);
	assert_int_equal(cbor_map_size(a.map), 2);
	answer_close(&a);
	/* version 1: the folded code alone */
	call(dev, W, V1, G, DFU_SMP_MGMT_FS_FILE, buf, n, &a);
	expect_rc(&a, DFU_SMP_MGMT_ERR_EUNKNOWN);
	answer_close(&a);
	/* nothing was written; continuing at the end works */
	n = fs_upload_req(buf, sizeof(buf), "/lfs/a", 5, (const uint8_t *)"!", 1, -1);
	call(dev, W, V2, G, DFU_SMP_MGMT_FS_FILE, buf, n, &a);
	expect_ok(&a);
	assert_int_equal(get_uint(a.map, "off"), 6);
	answer_close(&a);
	/* a file that does not exist is 0 bytes long */
	n = fs_upload_req(buf, sizeof(buf), "/lfs/new", 10, (const uint8_t *)"z", 1, -1);
	call(dev, W, V2, G, DFU_SMP_MGMT_FS_FILE, buf, n, &a);
	expect_group_err(&a, G, 11);
	assert_int_equal(get_uint(a.map, "len"), 0);
	answer_close(&a);
}

static void upload_errors(void **state)
{
	static const struct {
		const char *path;
		int group_rc, v1_rc;
	} paths[] = {
		{ "lfs/a", 2, DFU_SMP_MGMT_ERR_EINVAL },
		{ "/", 2, DFU_SMP_MGMT_ERR_EINVAL },
		{ "/data/a", 14, DFU_SMP_MGMT_ERR_ENOENT },
		{ "/lfs/dir/a", 14, DFU_SMP_MGMT_ERR_ENOENT },
		{ "/lfs", 1, DFU_SMP_MGMT_ERR_EUNKNOWN },
	};
	struct sim_device *dev = *state;
	uint8_t buf[256];
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	size_t n;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		n = fs_upload_req(buf, sizeof(buf), paths[i].path, 0, (const uint8_t *)"x", 1, 1);
		expect_both_err(dev, W, G, DFU_SMP_MGMT_FS_FILE, buf, n, paths[i].group_rc,
				paths[i].v1_rc);
	}
	/* off 0 without len */
	n = fs_upload_req(buf, sizeof(buf), "/lfs/a", 0, (const uint8_t *)"x", 1, -1);
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_FS_FILE, buf, n, DFU_SMP_MGMT_ERR_EINVAL);
	/* data as a text string, as the documentation has it */
	w = payload_map(&p, 4);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "/lfs/a");
	dfu_smp_mgmt_cbor_text(w, "off");
	dfu_smp_mgmt_cbor_uint(w, 0);
	dfu_smp_mgmt_cbor_text(w, "data");
	dfu_smp_mgmt_cbor_text(w, "x");
	dfu_smp_mgmt_cbor_text(w, "len");
	dfu_smp_mgmt_cbor_uint(w, 1);
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_FS_FILE, p.buf, w->len, DFU_SMP_MGMT_ERR_EINVAL);
	/* no name; no off */
	w = payload_map(&p, 3);
	dfu_smp_mgmt_cbor_text(w, "off");
	dfu_smp_mgmt_cbor_uint(w, 0);
	dfu_smp_mgmt_cbor_text(w, "data");
	dfu_smp_mgmt_cbor_bytes(w, (const uint8_t *)"x", 1);
	dfu_smp_mgmt_cbor_text(w, "len");
	dfu_smp_mgmt_cbor_uint(w, 1);
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_FS_FILE, p.buf, w->len, DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "/lfs/a");
	dfu_smp_mgmt_cbor_text(w, "data");
	dfu_smp_mgmt_cbor_bytes(w, (const uint8_t *)"x", 1);
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_FS_FILE, p.buf, w->len, DFU_SMP_MGMT_ERR_EINVAL);
	/* none of it created a file */
	n = name_req(&p, "/lfs/a");
	expect_both_err(dev, R, G, DFU_SMP_MGMT_FS_STATUS, p.buf, n, 3, DFU_SMP_MGMT_ERR_ENOENT);
}

static void a_full_volume_refuses_writes(void **state)
{
	struct sim_device *dev = new_device(65535);
	uint8_t *data = pattern(4u << 20, 9), *buf = malloc(65535);
	struct answer a;
	size_t n;

	(void)state;
	assert_non_null(buf);
	upload(dev, "/lfs/big", data, (4u << 20) - 100);
	n = fs_upload_req(buf, 65535, "/lfs/more", 0, data, 200, 200);
	expect_both_err(dev, W, G, DFU_SMP_MGMT_FS_FILE, buf, n, 10, DFU_SMP_MGMT_ERR_EUNKNOWN);
	n = fs_upload_req(buf, 65535, "/lfs/more", 0, data, 100, 100);
	call(dev, W, V2, G, DFU_SMP_MGMT_FS_FILE, buf, n, &a);
	expect_ok(&a);
	answer_close(&a);
	free(buf);
	free(data);
	free_device(dev);
}

/* IEEE CRC-32, bit by bit, independent of zlib. */
static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++) {
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
		}
	}
	return ~crc;
}

/* Asks for a hash; @p type NULL, @p off 0 and @p len < 0 leave those keys out. */
static void hash_req(struct sim_device *dev, const char *name, const char *type, uint64_t off,
		     int64_t len, struct answer *a)
{
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w = payload_map(&p, 1 + !!type + !!off + (len >= 0));

	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, name);
	if (type) {
		dfu_smp_mgmt_cbor_text(w, "type");
		dfu_smp_mgmt_cbor_text(w, type);
	}
	if (off) {
		dfu_smp_mgmt_cbor_text(w, "off");
		dfu_smp_mgmt_cbor_uint(w, off);
	}
	if (len >= 0) {
		dfu_smp_mgmt_cbor_text(w, "len");
		dfu_smp_mgmt_cbor_uint(w, (uint64_t)len);
	}
	call(dev, R, V2, G, DFU_SMP_MGMT_FS_HASH, p.buf, w->len, a);
}

static void check_hashes(struct sim_device *dev, const char *name, const uint8_t *data,
			 size_t file_len, uint64_t off, int64_t len)
{
	size_t n = file_len - off;
	uint8_t sha[32], got[32];
	char type[16];
	struct answer a;

	if (len >= 0 && (size_t)len < n) {
		n = (size_t)len;
	}
	hash_req(dev, name, NULL, off, len, &a);
	expect_ok(&a);
	assert_string_equal(get_text(a.map, "type", type, sizeof(type)), "crc32");
	assert_int_equal(get_uint(a.map, "len"), n);
	assert_int_equal(get_uint(a.map, "output"), crc32_ieee(data + off, n));
	if (off) {
		assert_int_equal(get_uint(a.map, "off"), off);
	} else {
		assert_null(dfu_smp_mgmt_cbor_find(a.map, "off"));
	}
	answer_close(&a);

	SHA256(data + off, n, sha);
	hash_req(dev, name, "sha256", off, len, &a);
	expect_ok(&a);
	assert_string_equal(get_text(a.map, "type", type, sizeof(type)), "sha256");
	assert_int_equal(get_uint(a.map, "len"), n);
	assert_int_equal(get_bytes(a.map, "output", got, sizeof(got)), 32);
	assert_memory_equal(got, sha, 32);
	answer_close(&a);
}

static void hashes_match_independent_ones(void **state)
{
	static const uint8_t abc_sha[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
		0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
		0xf2, 0x00, 0x15, 0xad,
	};
	struct sim_device *dev = *state;
	uint8_t *data = pattern(100 * 1024, 7), got[32];
	struct answer a;

	/* the standard check values */
	upload_bytes(dev, "/lfs/check", "123456789");
	hash_req(dev, "/lfs/check", "crc32", 0, -1, &a);
	expect_ok(&a);
	assert_int_equal(get_uint(a.map, "output"), 0xcbf43926u);
	answer_close(&a);
	upload_bytes(dev, "/lfs/abc", "abc");
	hash_req(dev, "/lfs/abc", "sha256", 0, -1, &a);
	expect_ok(&a);
	assert_int_equal(get_bytes(a.map, "output", got, sizeof(got)), 32);
	assert_memory_equal(got, abc_sha, 32);
	answer_close(&a);
	/* an empty type is the default */
	hash_req(dev, "/lfs/abc", "", 0, -1, &a);
	expect_ok(&a);
	assert_int_equal(get_uint(a.map, "output"), crc32_ieee((const uint8_t *)"abc", 3));
	answer_close(&a);

	upload(dev, "/lfs/big", data, 100 * 1024);
	check_hashes(dev, "/lfs/big", data, 100 * 1024, 0, -1);
	check_hashes(dev, "/lfs/big", data, 100 * 1024, 10, 100);
	check_hashes(dev, "/lfs/big", data, 100 * 1024, 100 * 1024 - 1, -1);
	check_hashes(dev, "/lfs/big", data, 100 * 1024, 4096, 1000000);
	free(data);
}

static void hash_errors(void **state)
{
	struct sim_device *dev = *state;
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	size_t n;

	upload_bytes(dev, "/lfs/a", "hello");
	upload(dev, "/lfs/empty", NULL, 0);
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "/lfs/a");
	dfu_smp_mgmt_cbor_text(w, "type");
	dfu_smp_mgmt_cbor_text(w, "md5");
	expect_both_err(dev, R, G, DFU_SMP_MGMT_FS_HASH, p.buf, w->len, 13,
			DFU_SMP_MGMT_ERR_EINVAL);
	/* the type is looked up before the file */
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "/lfs/missing");
	dfu_smp_mgmt_cbor_text(w, "type");
	dfu_smp_mgmt_cbor_text(w, "sha1");
	expect_both_err(dev, R, G, DFU_SMP_MGMT_FS_HASH, p.buf, w->len, 13,
			DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "/lfs/a");
	dfu_smp_mgmt_cbor_text(w, "off");
	dfu_smp_mgmt_cbor_uint(w, 5);
	expect_both_err(dev, R, G, DFU_SMP_MGMT_FS_HASH, p.buf, w->len, 12,
			DFU_SMP_MGMT_ERR_EUNKNOWN);
	n = name_req(&p, "/lfs/empty");
	expect_both_err(dev, R, G, DFU_SMP_MGMT_FS_HASH, p.buf, n, 16, DFU_SMP_MGMT_ERR_EUNKNOWN);
	/* malformed: len 0, a type name longer than any, off as text */
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "/lfs/a");
	dfu_smp_mgmt_cbor_text(w, "len");
	dfu_smp_mgmt_cbor_uint(w, 0);
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_FS_HASH, p.buf, w->len, DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "/lfs/a");
	dfu_smp_mgmt_cbor_text(w, "type");
	dfu_smp_mgmt_cbor_text(w, "sha256sha256");
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_FS_HASH, p.buf, w->len, DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "/lfs/a");
	dfu_smp_mgmt_cbor_text(w, "off");
	dfu_smp_mgmt_cbor_text(w, "1");
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_FS_HASH, p.buf, w->len, DFU_SMP_MGMT_ERR_EINVAL);
}

static void supported_hash_types(void **state)
{
	struct sim_device *dev = *state;
	const cbor_item_t *types, *t;
	struct answer a;

	call(dev, R, V2, G, DFU_SMP_MGMT_FS_HASH_TYPES, empty, sizeof(empty), &a);
	expect_ok(&a);
	types = get(a.map, "types");
	assert_int_equal(cbor_map_size(types), 2);
	assert_true(text_is(cbor_map_handle(types)[0].key, "crc32"));
	t = get(types, "crc32");
	assert_int_equal(get_uint(t, "format"), 0);
	assert_int_equal(get_uint(t, "size"), 4);
	t = get(types, "sha256");
	assert_int_equal(get_uint(t, "format"), 1);
	assert_int_equal(get_uint(t, "size"), 32);
	answer_close(&a);
}

static void close_answers_empty(void **state)
{
	struct sim_device *dev = *state;
	struct answer a;

	call(dev, W, V2, G, DFU_SMP_MGMT_FS_CLOSE, empty, sizeof(empty), &a);
	expect_ok(&a);
	assert_int_equal(cbor_map_size(a.map), 0);
	answer_close(&a);
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_FS_CLOSE, empty, sizeof(empty),
		       DFU_SMP_MGMT_ERR_ENOTSUP);
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_FS_STATUS, empty, sizeof(empty),
		       DFU_SMP_MGMT_ERR_ENOTSUP);
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_FS_HASH_TYPES, empty, sizeof(empty),
		       DFU_SMP_MGMT_ERR_ENOTSUP);
}

static void version_1_only_device(void **state)
{
	const struct sim_device_config cfg = { .v1_only = true };
	struct sim_device dev;
	uint8_t buf[128];
	struct answer a;
	size_t n;

	(void)state;
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	upload_bytes(&dev, "/lfs/a", "abc");
	n = fs_upload_req(buf, sizeof(buf), "/lfs/a", 1, (const uint8_t *)"x", 1, -1);
	call(&dev, W, V2, G, DFU_SMP_MGMT_FS_FILE, buf, n, &a);
	assert_int_equal(a.hdr.version, V1);
	expect_rc(&a, DFU_SMP_MGMT_ERR_EUNKNOWN);
	answer_close(&a);
	n = fs_upload_req(buf, sizeof(buf), "/nope/a", 0, (const uint8_t *)"x", 1, 1);
	call(&dev, W, V2, G, DFU_SMP_MGMT_FS_FILE, buf, n, &a);
	expect_rc(&a, DFU_SMP_MGMT_ERR_ENOENT);
	answer_close(&a);
	sim_device_free(&dev);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(files_round_trip_through_a_small_buffer),
		cmocka_unit_test(files_round_trip_through_a_large_buffer),
		T(status_and_overwrite),
		T(a_file_being_uploaded_shows_once_closed),
		T(status_download_and_hash_errors),
		T(download_past_the_end_is_empty),
		T(upload_at_the_wrong_offset_reports_the_length),
		T(upload_errors),
		cmocka_unit_test(a_full_volume_refuses_writes),
		T(hashes_match_independent_ones),
		T(hash_errors),
		T(supported_hash_types),
		T(close_answers_empty),
		cmocka_unit_test(version_1_only_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
