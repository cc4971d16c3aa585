/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Driving the simulated device from the group tests: one request in as raw SMP bytes, its one
 * answer out, decoded with dfu_smp_mgmt_reply_open() and read with libcbor and the mgmt_cbor readers.
 * Include after <cmocka.h>. Functions are static inline so each test uses what it needs.
 */
#ifndef TESTS_SIM_HARNESS_H
#define TESTS_SIM_HARNESS_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/mgmt/cbor.h>
#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/fs.h>
#include <dfu-smp/mgmt/reply.h>
#include <dfu-smp/mgmt/settings.h>
#include "../mgmt/reply_decode.h"
#include "../sim/device.h"
#include <dfu-smp/smp/header.h>

/** An empty map: the payload of requests that take no arguments. */
static const uint8_t empty[] = { 0xa0 };

/** cmocka set-up: a fresh device with the default configuration, as *state. */
static inline int harness_setup(void **state)
{
	struct sim_device *dev = malloc(sizeof(*dev));

	assert_non_null(dev);
	assert_int_equal(sim_device_init(dev, NULL), 0);
	*state = dev;
	return 0;
}

/** cmocka tear-down of harness_setup(). */
static inline int harness_teardown(void **state)
{
	sim_device_free(*state);
	free(*state);
	return 0;
}

/** One answer of the device. */
struct answer {
	struct dfu_smp_hdr hdr;
	uint8_t *msg;            /* the whole message */
	size_t len;
	int status;              /* dfu_smp_mgmt_reply_open(): 0, -EREMOTEIO or -EBADMSG */
	struct dfu_smp_mgmt_reply reply;
	const cbor_item_t *map;  /* the payload map */
	int count;               /* messages the device emitted for the request */
};

/* Keeps the device's answer (a copy: the device reuses its buffer). */
static inline void harness_emit(void *ctx, const uint8_t *msg, size_t len)
{
	struct answer *a = ctx;

	a->count++;
	free(a->msg);
	a->msg = malloc(len);
	assert_non_null(a->msg);
	memcpy(a->msg, msg, len);
	a->len = len;
}

/**
 * Send one request (SMP @p version 1 or 2) with @p payload, at virtual time @p now_us, and
 * decode the single answer it must get.
 */
static inline void call_at(struct sim_device *dev, uint64_t now_us, uint8_t op, uint8_t version,
			   uint16_t group, uint8_t id, const uint8_t *payload, size_t len,
			   struct answer *a)
{
	struct dfu_smp_hdr hdr = { .op = op, .version = version, .len = (uint16_t)len,
			       .group = group, .seq = 0x42, .id = id };
	struct dfu_smp_client_rsp rsp;
	uint8_t *unit = malloc(DFU_SMP_HDR_SIZE + len);

	assert_non_null(unit);
	memset(a, 0, sizeof(*a));
	dfu_smp_hdr_encode(&hdr, unit);
	if (len) {
		memcpy(unit + DFU_SMP_HDR_SIZE, payload, len);
	}
	sim_device_receive(dev, unit, DFU_SMP_HDR_SIZE + len, now_us, harness_emit, a);
	free(unit);
	assert_int_equal(a->count, 1);
	assert_int_equal(dfu_smp_hdr_decode(a->msg, a->len, &a->hdr), 0);
	assert_int_equal(a->hdr.len, a->len - DFU_SMP_HDR_SIZE);
	assert_int_equal(a->hdr.group, group);
	assert_int_equal(a->hdr.id, id);
	assert_int_equal(a->hdr.seq, 0x42);
	assert_int_equal(a->hdr.op,
			 op == DFU_SMP_OP_READ ? DFU_SMP_OP_READ_RSP : DFU_SMP_OP_WRITE_RSP);
	rsp.hdr = a->hdr;
	rsp.payload = a->msg + DFU_SMP_HDR_SIZE;
	rsp.len = a->hdr.len;
	a->status = dfu_smp_mgmt_reply_open(&a->reply, &rsp, &a->map);
}

/** call_at() at virtual time 0. */
static inline void call(struct sim_device *dev, uint8_t op, uint8_t version, uint16_t group,
			uint8_t id, const uint8_t *payload, size_t len, struct answer *a)
{
	call_at(dev, 0, op, version, group, id, payload, len, a);
}

/** Release an answer. */
static inline void answer_close(struct answer *a)
{
	dfu_smp_mgmt_reply_close(&a->reply);
	free(a->msg);
	memset(a, 0, sizeof(*a));
}

/** The answer is a success. */
static inline void expect_ok(const struct answer *a)
{
	if (a->status != 0) {
		fail_msg("expected success, got kind %d rc %lld (%s)", (int)a->reply.kind,
			 (long long)a->reply.rc, a->reply.detail);
	}
}

/** The answer is exactly `{"rc": rc}` (nothing else in the map). */
static inline void expect_rc(const struct answer *a, int rc)
{
	assert_int_equal(a->status, -EREMOTEIO);
	assert_int_equal(a->reply.kind, DFU_SMP_MGMT_REPLY_RC);
	assert_int_equal(a->reply.rc, rc);
	assert_int_equal(cbor_map_size(a->map), 1);
}

/** The answer carries group error `{"err": {"group", "rc"}}` (other keys allowed). */
static inline void expect_group_err(const struct answer *a, uint16_t group, int rc)
{
	assert_int_equal(a->status, -EREMOTEIO);
	assert_int_equal(a->reply.kind, DFU_SMP_MGMT_REPLY_GROUP_ERR);
	assert_int_equal(a->reply.group, group);
	assert_int_equal(a->reply.rc, rc);
	assert_int_equal(a->hdr.version, DFU_SMP_PROTO_V2);
}

/**
 * Send the same request in both protocol versions: version 2 must answer group error
 * @p group_rc alone, version 1 the generic @p v1_rc (Zephyr's folding).
 */
static inline void expect_both_err(struct sim_device *dev, uint8_t op, uint16_t group, uint8_t id,
				   const uint8_t *payload, size_t len, int group_rc, int v1_rc)
{
	struct answer a;

	call(dev, op, DFU_SMP_PROTO_V2, group, id, payload, len, &a);
	expect_group_err(&a, group, group_rc);
	assert_int_equal(cbor_map_size(a.map), 1);
	answer_close(&a);
	call(dev, op, DFU_SMP_PROTO_V1, group, id, payload, len, &a);
	assert_int_equal(a.hdr.version, DFU_SMP_PROTO_V1);
	expect_rc(&a, v1_rc);
	answer_close(&a);
}

/** Send the same request in both protocol versions: both must answer generic error @p rc. */
static inline void expect_both_rc(struct sim_device *dev, uint8_t op, uint16_t group, uint8_t id,
				  const uint8_t *payload, size_t len, int rc)
{
	struct answer a;

	for (uint8_t version = DFU_SMP_PROTO_V1; version <= DFU_SMP_PROTO_V2; version++) {
		call(dev, op, version, group, id, payload, len, &a);
		assert_int_equal(a.hdr.version, version);
		expect_rc(&a, rc);
		answer_close(&a);
	}
}

/** The value of @p key in @p map; fails the test when absent. */
static inline const cbor_item_t *get(const cbor_item_t *map, const char *key)
{
	const cbor_item_t *item = dfu_smp_mgmt_cbor_find(map, key);

	if (!item) {
		fail_msg("key '%s' missing", key);
	}
	return item;
}

/** Unsigned integer value of @p key. */
static inline uint64_t get_uint(const cbor_item_t *map, const char *key)
{
	uint64_t v = 0;

	assert_int_equal(dfu_smp_mgmt_cbor_get_uint(get(map, key), &v), 0);
	return v;
}

/** Integer value of @p key, signed or not. */
static inline int64_t get_int(const cbor_item_t *map, const char *key)
{
	int64_t v = 0;

	assert_int_equal(dfu_smp_mgmt_cbor_get_int(get(map, key), &v), 0);
	return v;
}

/** Boolean value of @p key. */
static inline bool get_bool(const cbor_item_t *map, const char *key)
{
	const cbor_item_t *item = get(map, key);

	assert_true(dfu_smp_mgmt_cbor_is_bool(item));
	return cbor_get_bool(item);
}

/** Text value of @p key, NUL-terminated in @p out (@p cap bytes). */
static inline const char *get_text(const cbor_item_t *map, const char *key, char *out,
				   size_t cap)
{
	const cbor_item_t *item = get(map, key);
	size_t n;

	assert_true(cbor_isa_string(item));
	n = dfu_smp_mgmt_cbor_string_size(item);
	assert_true(n < cap);
	dfu_smp_mgmt_cbor_string_copy(item, (uint8_t *)out);
	out[n] = '\0';
	return out;
}

/** Byte string value of @p key: its length, and its bytes copied to @p out (@p cap bytes). */
static inline size_t get_bytes(const cbor_item_t *map, const char *key, uint8_t *out, size_t cap)
{
	const cbor_item_t *item = get(map, key);
	size_t n;

	assert_true(cbor_isa_bytestring(item));
	n = dfu_smp_mgmt_cbor_string_size(item);
	assert_true(n <= cap);
	dfu_smp_mgmt_cbor_string_copy(item, out);
	return n;
}

/** True if text item @p item equals @p s. */
static inline bool text_is(const cbor_item_t *item, const char *s)
{
	return dfu_smp_mgmt_cbor_text_equals(item, s);
}

/** A request payload being built: a writer over a buffer of its own. */
struct payload {
	uint8_t buf[1024];
	struct dfu_smp_mgmt_cbor_writer w;
};

/** Start a definite-length map of @p pairs. */
static inline struct dfu_smp_mgmt_cbor_writer *payload_map(struct payload *p, size_t pairs)
{
	dfu_smp_mgmt_cbor_writer_init(&p->w, p->buf, sizeof(p->buf));
	dfu_smp_mgmt_cbor_map(&p->w, pairs);
	return &p->w;
}

/** `{key: text}` */
static inline size_t payload_text(struct payload *p, const char *key, const char *value)
{
	struct dfu_smp_mgmt_cbor_writer *w = payload_map(p, 1);

	dfu_smp_mgmt_cbor_text(w, key);
	dfu_smp_mgmt_cbor_text(w, value);
	assert_false(w->overflow);
	return w->len;
}

/**
 * Encode an upload request's payload, as dfu_smp_mgmt_fs_upload() writes it, into @p buf (@p cap
 * bytes); @p total < 0 leaves `len` out.
 */
static inline size_t fs_upload_req(uint8_t *buf, size_t cap, const char *name, uint64_t off,
				   const uint8_t *data, size_t n, int64_t total)
{
	struct dfu_smp_request req = { .cap = DFU_SMP_HDR_SIZE + cap };

	req.buf = malloc(req.cap);
	assert_non_null(req.buf);
	assert_int_equal(dfu_smp_mgmt_fs_upload(&req, name, off, data, n, total), 0);
	memcpy(buf, req.buf + DFU_SMP_HDR_SIZE, req.len);
	free(req.buf);
	return req.len;
}

/**
 * The most data bytes (at most @p left) an upload chunk at @p off can carry in a message of
 * @p buf_size bytes, header included.
 */
static inline size_t fs_chunk_max(const char *name, uint64_t off, int64_t total, size_t left,
				  uint32_t buf_size)
{
	size_t fixed = 1 + 5 + dfu_smp_mgmt_cbor_head_size(strlen(name)) + strlen(name) + 4 +
		       dfu_smp_mgmt_cbor_head_size(off) + 5 +
		       (total >= 0 ? 4 + dfu_smp_mgmt_cbor_head_size((uint64_t)total) : 0);
	size_t n;

	assert_true(DFU_SMP_HDR_SIZE + fixed + 1 < buf_size);
	n = buf_size - DFU_SMP_HDR_SIZE - fixed;
	while (dfu_smp_mgmt_cbor_head_size(n) + n > buf_size - DFU_SMP_HDR_SIZE - fixed) {
		n--;
	}
	return n < left ? n : left;
}

/**
 * Upload @p len bytes to file @p name in chunks as large as the device's buffer takes,
 * stopping after @p chunks of them (0: all). @return the bytes uploaded.
 */
static inline size_t fs_upload(struct sim_device *dev, const char *name, const uint8_t *data,
			       size_t len, int chunks)
{
	uint32_t buf_size = sim_device_config(dev)->buf_size;
	uint8_t *buf = malloc(buf_size);
	size_t off = 0;

	assert_non_null(buf);
	do {
		int64_t total = off == 0 ? (int64_t)len : -1;
		size_t n = fs_chunk_max(name, off, total, len - off, buf_size);
		size_t req = fs_upload_req(buf, buf_size, name, off, n ? data + off : NULL, n,
					   total);
		struct answer a;

		assert_true(DFU_SMP_HDR_SIZE + req <= buf_size);
		call(dev, DFU_SMP_OP_WRITE, DFU_SMP_PROTO_V2, DFU_SMP_MGMT_GROUP_FS,
		     DFU_SMP_MGMT_FS_FILE, buf, req, &a);
		expect_ok(&a);
		assert_int_equal(get_uint(a.map, "off"), off + n);
		answer_close(&a);
		off += n;
	} while (off < len && --chunks != 0);
	free(buf);
	return off;
}

/**
 * Download file @p name chunk by chunk, checking that each answer fits the device's buffer and
 * that every chunk but the last is Zephyr's (buf_size - 44 bytes). @return its bytes (the
 * caller frees them), *len bytes.
 */
static inline uint8_t *fs_download(struct sim_device *dev, const char *name, size_t *len)
{
	uint32_t buf_size = sim_device_config(dev)->buf_size;
	uint8_t *data = NULL;
	uint64_t total = 0, off = 0;

	do {
		struct payload p;
		struct dfu_smp_mgmt_cbor_writer *w = payload_map(&p, 2);
		struct answer a;
		const cbor_item_t *chunk;
		size_t n;

		dfu_smp_mgmt_cbor_text(w, "name");
		dfu_smp_mgmt_cbor_text(w, name);
		dfu_smp_mgmt_cbor_text(w, "off");
		dfu_smp_mgmt_cbor_uint(w, off);
		call(dev, DFU_SMP_OP_READ, DFU_SMP_PROTO_V2, DFU_SMP_MGMT_GROUP_FS,
		     DFU_SMP_MGMT_FS_FILE, p.buf, w->len, &a);
		expect_ok(&a);
		assert_true(a.len <= buf_size);
		assert_int_equal(get_uint(a.map, "off"), off);
		if (off == 0) {
			total = get_uint(a.map, "len");
			data = malloc(total ? total : 1);
			assert_non_null(data);
		} else {
			assert_null(dfu_smp_mgmt_cbor_find(a.map, "len"));
		}
		chunk = get(a.map, "data");
		assert_true(cbor_isa_bytestring(chunk));
		n = cbor_bytestring_length(chunk);
		assert_true(off + n <= total);
		if (off + n < total) {
			/* Zephyr's fixed chunk: the buffer less 44 bytes for the header and keys */
			assert_int_equal(n, buf_size - 44);
		}
		if (n) {
			memcpy(data + off, cbor_bytestring_handle(chunk), n);
		}
		answer_close(&a);
		off += n;
		assert_true(n > 0 || off == total);
	} while (off < total);
	*len = total;
	return data;
}

/** Write setting @p name (into the device's RAM) and expect `{}`. */
static inline void settings_write(struct sim_device *dev, const char *name, const void *val,
				  size_t len)
{
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w = payload_map(&p, 2);
	struct answer a;

	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, name);
	dfu_smp_mgmt_cbor_text(w, "val");
	dfu_smp_mgmt_cbor_bytes(w, val, len);
	assert_false(w->overflow);
	call(dev, DFU_SMP_OP_WRITE, DFU_SMP_PROTO_V2, DFU_SMP_MGMT_GROUP_SETTINGS,
	     DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, w->len, &a);
	expect_ok(&a);
	assert_int_equal(cbor_map_size(a.map), 0);
	answer_close(&a);
}

/** Save every setting to storage and expect `{}`. */
static inline void settings_save(struct sim_device *dev)
{
	static const uint8_t empty_map[] = { 0xa0 };
	struct answer a;

	call(dev, DFU_SMP_OP_WRITE, DFU_SMP_PROTO_V2, DFU_SMP_MGMT_GROUP_SETTINGS,
	     DFU_SMP_MGMT_SETTINGS_LOAD_SAVE, empty_map, sizeof(empty_map), &a);
	expect_ok(&a);
	assert_int_equal(cbor_map_size(a.map), 0);
	answer_close(&a);
}

#endif /* TESTS_SIM_HARNESS_H */
