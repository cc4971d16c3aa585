/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the mgmt/ unit tests share: response payloads built with the project's CBOR writer
 * (plus the shapes it never writes: wide integers, strings in chunks), and checks of request
 * bytes and of the messages about malformed responses. Include after <cmocka.h>.
 */
#ifndef TESTS_MGMT_TEST_H
#define TESTS_MGMT_TEST_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <dfu-smp/mgmt/cbor.h>
#include <dfu-smp/mgmt/reply.h>
#include <dfu-smp/smp/client.h>

/** A response payload being built. */
struct payload {
	uint8_t buf[2048];
	struct dfu_smp_mgmt_cbor_writer w;
};

static inline struct dfu_smp_mgmt_cbor_writer *payload_start(struct payload *p)
{
	dfu_smp_mgmt_cbor_writer_init(&p->w, p->buf, sizeof(p->buf));
	return &p->w;
}

/** The response carrying what was built. */
static inline struct dfu_smp_client_rsp payload_rsp(const struct payload *p)
{
	struct dfu_smp_client_rsp rsp = { .payload = p->buf, .len = p->w.len };

	assert_false(p->w.overflow);
	rsp.hdr.op = DFU_SMP_OP_READ_RSP;
	rsp.hdr.len = (uint16_t)p->w.len;
	return rsp;
}

/** A response carrying @p len bytes at @p bytes. */
static inline struct dfu_smp_client_rsp bytes_rsp(const uint8_t *bytes, size_t len)
{
	struct dfu_smp_client_rsp rsp = { .payload = bytes, .len = len };

	rsp.hdr.op = DFU_SMP_OP_READ_RSP;
	rsp.hdr.len = (uint16_t)len;
	return rsp;
}

static inline void kv_text(struct dfu_smp_mgmt_cbor_writer *w, const char *key, const char *value)
{
	dfu_smp_mgmt_cbor_text(w, key);
	dfu_smp_mgmt_cbor_text(w, value);
}

static inline void kv_uint(struct dfu_smp_mgmt_cbor_writer *w, const char *key, uint64_t value)
{
	dfu_smp_mgmt_cbor_text(w, key);
	dfu_smp_mgmt_cbor_uint(w, value);
}

static inline void kv_int(struct dfu_smp_mgmt_cbor_writer *w, const char *key, int64_t value)
{
	dfu_smp_mgmt_cbor_text(w, key);
	dfu_smp_mgmt_cbor_int(w, value);
}

static inline void kv_bool(struct dfu_smp_mgmt_cbor_writer *w, const char *key, bool value)
{
	dfu_smp_mgmt_cbor_text(w, key);
	dfu_smp_mgmt_cbor_bool(w, value);
}

static inline void kv_bytes(struct dfu_smp_mgmt_cbor_writer *w, const char *key,
			    const uint8_t *value, size_t len)
{
	dfu_smp_mgmt_cbor_text(w, key);
	dfu_smp_mgmt_cbor_bytes(w, value, len);
}

/** An unsigned integer in 8 bytes whatever its value, as some encoders send. */
static inline void wide_uint(struct dfu_smp_mgmt_cbor_writer *w, uint64_t value)
{
	uint8_t raw[9] = { 0x1b };

	for (int i = 0; i < 8; i++) {
		raw[1 + i] = (uint8_t)(value >> (56 - 8 * i));
	}
	dfu_smp_mgmt_cbor_raw(w, raw, sizeof(raw));
}

/** A text string sent in two chunks (an indefinite-length string). */
static inline void chunked_text(struct dfu_smp_mgmt_cbor_writer *w, const char *s)
{
	size_t n = strlen(s);
	const uint8_t start = 0x7f;

	dfu_smp_mgmt_cbor_raw(w, &start, 1);
	dfu_smp_mgmt_cbor_text_n(w, s, n / 2);
	dfu_smp_mgmt_cbor_text_n(w, s + n / 2, n - n / 2);
	dfu_smp_mgmt_cbor_break(w);
}

/** A byte string sent in two chunks. */
static inline void chunked_bytes(struct dfu_smp_mgmt_cbor_writer *w, const uint8_t *b, size_t n)
{
	const uint8_t start = 0x5f;

	dfu_smp_mgmt_cbor_raw(w, &start, 1);
	dfu_smp_mgmt_cbor_bytes(w, b, n / 2);
	dfu_smp_mgmt_cbor_bytes(w, b + n / 2, n - n / 2);
	dfu_smp_mgmt_cbor_break(w);
}

/** Unknown keys of every kind, which decoders must skip: two pairs. */
static inline void unknown_pairs(struct dfu_smp_mgmt_cbor_writer *w)
{
	const uint8_t half_float[] = { 0xf9, 0x3e, 0x00 };

	dfu_smp_mgmt_cbor_text(w, "zz-extra");
	dfu_smp_mgmt_cbor_map_indef(w);
	kv_int(w, "n", -5);
	dfu_smp_mgmt_cbor_text(w, "f");
	dfu_smp_mgmt_cbor_raw(w, half_float, sizeof(half_float));
	dfu_smp_mgmt_cbor_text(w, "a");
	dfu_smp_mgmt_cbor_array(w, 1);
	dfu_smp_mgmt_cbor_bytes(w, (const uint8_t *)"x", 1);
	dfu_smp_mgmt_cbor_break(w);
	kv_text(w, "~", "");
}

/** @p req is a @p op request of @p group/@p id whose payload is exactly @p bytes. */
static inline void assert_request(const struct dfu_smp_request *req, uint8_t op, uint16_t group,
				  uint8_t id, const uint8_t *bytes, size_t len)
{
	assert_int_equal(req->op, op);
	assert_int_equal(req->group, group);
	assert_int_equal(req->id, id);
	assert_int_equal(req->len, len);
	assert_memory_equal(req->buf + DFU_SMP_HDR_SIZE, bytes, len);
}

/** A decoder said -EBADMSG and named what was wrong with @p needle. Closes the reply. */
static inline void assert_malformed(int err, struct dfu_smp_mgmt_reply *reply, const char *needle)
{
	assert_int_equal(err, -EBADMSG);
	assert_int_equal(reply->kind, DFU_SMP_MGMT_REPLY_MALFORMED);
	if (!strstr(reply->detail, needle)) {
		fail_msg("detail '%s' does not contain '%s'", reply->detail, needle);
	}
	dfu_smp_mgmt_reply_close(reply);
}

/** A decoder said -EREMOTEIO: the device reported @p kind with @p rc. Closes the reply. */
static inline void assert_device_error(int err, struct dfu_smp_mgmt_reply *reply,
				       enum dfu_smp_mgmt_reply_kind kind, int64_t rc)
{
	assert_int_equal(err, -EREMOTEIO);
	assert_int_equal(reply->kind, kind);
	assert_int_equal(reply->rc, rc);
	dfu_smp_mgmt_reply_close(reply);
}

#endif /* TESTS_MGMT_TEST_H */
