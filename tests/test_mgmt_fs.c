/* SPDX-License-Identifier: Apache-2.0 */
/* File system group codecs: request bytes, the largest upload chunk, and every answer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/fs.h>
#include "mgmt_test.h"

static uint8_t buf[256];
static uint8_t msg[DFU_SMP_MSG_MAX];
static uint8_t data[DFU_SMP_MSG_MAX];

static void requests_bytes(void **state)
{
	const uint8_t download[] = { 0xa2, 0x64, 'n', 'a', 'm', 'e', 0x62, '/', 'a', 0x63, 'o', 'f',
				     'f', 0x1a, 0x00, 0x01, 0x11, 0x70 };
	const uint8_t first[] = { 0xa4, 0x64, 'n', 'a', 'm', 'e', 0x62, '/', 'a', 0x63, 'o', 'f',
				  'f', 0x00, 0x64, 'd', 'a', 't', 'a', 0x42, 0x01, 0x02, 0x63, 'l',
				  'e', 'n', 0x02 };
	const uint8_t later[] = { 0xa3, 0x64, 'n', 'a', 'm', 'e', 0x62, '/', 'a', 0x63, 'o', 'f',
				  'f', 0x19, 0x01, 0x00, 0x64, 'd', 'a', 't', 'a', 0x41, 0xff };
	const uint8_t status[] = { 0xa1, 0x64, 'n', 'a', 'm', 'e', 0x62, '/', 'a' };
	const uint8_t hash_all[] = { 0xa4, 0x64, 'n', 'a', 'm', 'e', 0x62, '/', 'a', 0x64, 't', 'y',
				     'p', 'e', 0x66, 's', 'h', 'a', '2', '5', '6', 0x63, 'o', 'f',
				     'f', 0x05, 0x63, 'l', 'e', 'n', 0x00 };
	const uint8_t hash_len[] = { 0xa2, 0x64, 'n', 'a', 'm', 'e', 0x62, '/', 'a', 0x63, 'l',
				     'e', 'n', 0x18, 0x64 };
	const uint8_t empty[] = { 0xa0 };
	const uint8_t two[] = { 1, 2 }, ff[] = { 0xff };
	struct dfu_smp_request req;

	(void)state;
	dfu_smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(dfu_smp_mgmt_fs_download(&req, "/a", 70000), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_FILE, download,
		       sizeof(download));
	assert_int_equal(dfu_smp_mgmt_fs_upload(&req, "/a", 0, two, sizeof(two), 2), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_FILE, first,
		       sizeof(first));
	assert_int_equal(dfu_smp_mgmt_fs_upload(&req, "/a", 256, ff, sizeof(ff), -1), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_FILE, later,
		       sizeof(later));
	assert_int_equal(dfu_smp_mgmt_fs_status(&req, "/a"), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_STATUS, status,
		       sizeof(status));
	assert_int_equal(dfu_smp_mgmt_fs_hash(&req, "/a", NULL, 0, -1), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_HASH, status,
		       sizeof(status));
	assert_int_equal(dfu_smp_mgmt_fs_hash(&req, "/a", "sha256", 5, 0), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_HASH, hash_all,
		       sizeof(hash_all));
	assert_int_equal(dfu_smp_mgmt_fs_hash(&req, "/a", NULL, 0, 100), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_HASH, hash_len,
		       sizeof(hash_len));
	assert_int_equal(dfu_smp_mgmt_fs_hash_types(&req), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_HASH_TYPES,
		       empty, 1);
	assert_int_equal(dfu_smp_mgmt_fs_close(&req), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_CLOSE, empty,
		       1);

	dfu_smp_request_init(&req, buf, DFU_SMP_HDR_SIZE + sizeof(first) - 1);
	assert_int_equal(dfu_smp_mgmt_fs_upload(&req, "/a", 0, two, sizeof(two), 2), -ENOBUFS);
}

struct upload_case {
	const char *name;
	uint64_t off;
	int64_t total;
};

/* Whether an upload with @p n data bytes fits a message of @p limit bytes, by the builder. */
static bool upload_fits(const struct upload_case *c, size_t n, size_t limit)
{
	struct dfu_smp_request req;

	dfu_smp_request_init(&req, msg, limit);
	return dfu_smp_mgmt_fs_upload(&req, c->name, c->off, data, n, c->total) == 0;
}

static void check_max_data(const struct upload_case *c, size_t limit)
{
	size_t n = dfu_smp_mgmt_fs_upload_max_data(c->name, c->off, c->total, limit);

	if (n > 0 && !upload_fits(c, n, limit)) {
		fail_msg("limit %zu: %zu bytes said to fit but do not", limit, n);
	}
	if (upload_fits(c, n + 1, limit)) {
		fail_msg("limit %zu: %zu bytes fit, more than the %zu said", limit, n + 1, n);
	}
}

static void upload_max_data_is_exact(void **state)
{
	static char long_name[301];
	const struct upload_case cases[] = {
		{ "/lfs/a", 0, 5 },
		{ long_name, 70000, -1 },
		{ "", 1ull << 33, 1ll << 40 },
		{ "/x", UINT64_MAX, INT64_MAX },
	};

	(void)state;
	memset(long_name, 'n', sizeof(long_name) - 1);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct upload_case *u = &cases[c];

		for (size_t limit = 0; limit <= 1500; limit++) {
			check_max_data(u, limit);
		}
		for (size_t limit = DFU_SMP_MSG_MAX - 300; limit <= DFU_SMP_MSG_MAX; limit++) {
			check_max_data(u, limit);
		}
		/* no message is longer than an SMP header can say */
		assert_int_equal(
			dfu_smp_mgmt_fs_upload_max_data(u->name, u->off, u->total, SIZE_MAX),
			dfu_smp_mgmt_fs_upload_max_data(u->name, u->off, u->total,
							DFU_SMP_MSG_MAX));
	}
}

static void download_answers(void **state)
{
	const uint8_t hello[] = { 'h', 'e', 'l', 'l', 'o' };
	const uint8_t later[] = { 0xa2, 0x63, 'o', 'f', 'f', 0x05, 0x64, 'd', 'a', 't', 'a', 0x40 };
	const uint8_t text[] = { 0xa2, 0x63, 'o', 'f', 'f', 0x00, 0x64, 'd', 'a', 't', 'a', 0x61,
				 'x' };
	const uint8_t no_off[] = { 0xa1, 0x64, 'd', 'a', 't', 'a', 0x40 };
	const uint8_t missing[] = { 0xa1, 0x63, 'e', 'r', 'r', 0xa2, 0x65, 'g', 'r', 'o', 'u', 'p',
				    0x08, 0x62, 'r', 'c', 0x03 };
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(&p);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_fs_download_rsp d;

	(void)state;
	dfu_smp_mgmt_cbor_map_indef(w);
	dfu_smp_mgmt_cbor_text(w, "data");
	chunked_bytes(w, hello, sizeof(hello));
	unknown_pairs(w);
	dfu_smp_mgmt_cbor_text(w, "len");
	wide_uint(w, 5);
	kv_uint(w, "off", 0);
	dfu_smp_mgmt_cbor_break(w);
	rsp = payload_rsp(&p);
	assert_int_equal(dfu_smp_mgmt_fs_download_decode(&rsp, &reply, &d), 0);
	assert_int_equal(d.off, 0);
	assert_int_equal(d.len, sizeof(hello));
	assert_memory_equal(d.data, hello, sizeof(hello));
	assert_int_equal(d.total, 5);
	dfu_smp_mgmt_reply_close(&reply);

	rsp = bytes_rsp(later, sizeof(later));
	assert_int_equal(dfu_smp_mgmt_fs_download_decode(&rsp, &reply, &d), 0);
	assert_int_equal(d.off, 5);
	assert_int_equal(d.len, 0);
	assert_int_equal(d.total, -1);
	dfu_smp_mgmt_reply_close(&reply);

	rsp = bytes_rsp(text, sizeof(text));
	assert_malformed(dfu_smp_mgmt_fs_download_decode(&rsp, &reply, &d), &reply,
			 "response key 'data' is a text string, expected a byte string");
	rsp = bytes_rsp(no_off, sizeof(no_off));
	assert_malformed(dfu_smp_mgmt_fs_download_decode(&rsp, &reply, &d), &reply,
			 "response key 'off' is missing");
	rsp = bytes_rsp(missing, sizeof(missing));
	assert_device_error(dfu_smp_mgmt_fs_download_decode(&rsp, &reply, &d), &reply,
			    DFU_SMP_MGMT_REPLY_GROUP_ERR, 3);
}

static void upload_and_status_answers(void **state)
{
	const uint8_t off[] = { 0xbf, 0x63, 'o', 'f', 'f', 0x19, 0x01, 0x00, 0xff };
	const uint8_t wrong_off[] = { 0xa2, 0x63, 'e', 'r', 'r', 0xa2, 0x65, 'g', 'r', 'o', 'u',
				      'p', 0x08, 0x62, 'r', 'c', 0x0b, 0x63, 'l', 'e', 'n', 0x14 };
	const uint8_t len[] = { 0xa1, 0x63, 'l', 'e', 'n', 0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				0xff, 0xff };
	const uint8_t negative[] = { 0xa1, 0x63, 'l', 'e', 'n', 0x20 };
	struct dfu_smp_client_rsp rsp = bytes_rsp(off, sizeof(off));
	struct dfu_smp_mgmt_reply reply;
	uint64_t v;

	(void)state;
	assert_int_equal(dfu_smp_mgmt_fs_upload_decode(&rsp, &reply, &v), 0);
	assert_int_equal(v, 256);
	dfu_smp_mgmt_reply_close(&reply);
	assert_malformed(dfu_smp_mgmt_fs_status_decode(&rsp, &reply, &v), &reply,
			 "response key 'len' is missing");
	rsp = bytes_rsp(wrong_off, sizeof(wrong_off));
	assert_device_error(dfu_smp_mgmt_fs_upload_decode(&rsp, &reply, &v), &reply,
			    DFU_SMP_MGMT_REPLY_GROUP_ERR, 11);
	rsp = bytes_rsp(len, sizeof(len));
	assert_int_equal(dfu_smp_mgmt_fs_status_decode(&rsp, &reply, &v), 0);
	assert_true(v == UINT64_MAX);
	dfu_smp_mgmt_reply_close(&reply);
	assert_malformed(dfu_smp_mgmt_fs_upload_decode(&rsp, &reply, &v), &reply,
			 "response key 'off' is missing");
	rsp = bytes_rsp(negative, sizeof(negative));
	assert_malformed(dfu_smp_mgmt_fs_status_decode(&rsp, &reply, &v), &reply,
			 "response key 'len' is a negative integer, expected an unsigned integer");
}

/* A hash answer; @p output_kind 0 a number, 1 bytes, 2 text, 3 none; @p type_missing. */
static struct dfu_smp_client_rsp hash_answer(struct payload *p, int output_kind, bool type_missing)
{
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(p);
	uint8_t digest[32];

	for (size_t i = 0; i < sizeof(digest); i++) {
		digest[i] = (uint8_t)i;
	}
	dfu_smp_mgmt_cbor_map_indef(w);
	dfu_smp_mgmt_cbor_text(w, output_kind == 3 ? "out" : "output");
	if (output_kind == 0) {
		wide_uint(w, 0x3610a686);
	} else if (output_kind == 1) {
		chunked_bytes(w, digest, sizeof(digest));
	} else if (output_kind == 2) {
		dfu_smp_mgmt_cbor_text(w, "3610a686");
	} else {
		dfu_smp_mgmt_cbor_uint(w, 0);
	}
	unknown_pairs(w);
	if (!type_missing) {
		kv_text(w, "type", output_kind == 0 ? "crc32" : "sha256");
	}
	kv_uint(w, "len", 5);
	if (output_kind == 1) {
		kv_uint(w, "off", 4);
	}
	dfu_smp_mgmt_cbor_break(w);
	return payload_rsp(p);
}

static void hash_answers(void **state)
{
	struct payload p;
	struct dfu_smp_client_rsp rsp = hash_answer(&p, 0, false);
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_fs_hash_rsp h;

	(void)state;
	assert_int_equal(dfu_smp_mgmt_fs_hash_decode(&rsp, &reply, &h), 0);
	assert_string_equal(h.type, "crc32");
	assert_int_equal(h.off, 0);
	assert_int_equal(h.len, 5);
	assert_true(h.output_is_number);
	assert_int_equal(h.number, 0x3610a686);
	dfu_smp_mgmt_reply_close(&reply);

	rsp = hash_answer(&p, 1, false);
	assert_int_equal(dfu_smp_mgmt_fs_hash_decode(&rsp, &reply, &h), 0);
	assert_string_equal(h.type, "sha256");
	assert_int_equal(h.off, 4);
	assert_false(h.output_is_number);
	assert_int_equal(h.bytes_len, 32);
	assert_int_equal(h.bytes[31], 31);
	dfu_smp_mgmt_reply_close(&reply);

	rsp = hash_answer(&p, 2, false);
	assert_malformed(dfu_smp_mgmt_fs_hash_decode(&rsp, &reply, &h), &reply,
			 "response key 'output' is a text string, expected an unsigned integer or "
			 "a byte string");
	rsp = hash_answer(&p, 3, false);
	assert_malformed(dfu_smp_mgmt_fs_hash_decode(&rsp, &reply, &h), &reply,
			 "response key 'output' is missing");
	rsp = hash_answer(&p, 0, true);
	assert_malformed(dfu_smp_mgmt_fs_hash_decode(&rsp, &reply, &h), &reply,
			 "response key 'type' is missing");
}

/* Two hash types; @p bad (1..3) spoils one. */
static struct dfu_smp_client_rsp types_answer(struct payload *p, int bad)
{
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(p);

	dfu_smp_mgmt_cbor_map_indef(w);
	dfu_smp_mgmt_cbor_text(w, "types");
	dfu_smp_mgmt_cbor_map_indef(w);
	dfu_smp_mgmt_cbor_text(w, "crc32");
	dfu_smp_mgmt_cbor_map_indef(w);
	kv_uint(w, "format", 0);
	unknown_pairs(w);
	if (bad != 1) {
		kv_uint(w, "size", 4);
	}
	dfu_smp_mgmt_cbor_break(w);
	if (bad == 3) {
		dfu_smp_mgmt_cbor_int(w, -1);
	} else {
		chunked_text(w, "sha256");
	}
	if (bad == 2) {
		dfu_smp_mgmt_cbor_bool(w, true);
	} else {
		dfu_smp_mgmt_cbor_map(w, 2);
		kv_uint(w, "format", 1);
		kv_uint(w, "size", 32);
	}
	dfu_smp_mgmt_cbor_break(w);
	dfu_smp_mgmt_cbor_break(w);
	return payload_rsp(p);
}

static void hash_types_answers(void **state)
{
	static const char *const needles[] = {
		"response key 'types.crc32.size' is missing",
		"response key 'types.sha256' is a boolean, expected a map",
		"response key 'types' has a key that is a negative integer, expected a text string",
	};
	struct payload p;
	struct dfu_smp_client_rsp rsp = types_answer(&p, 0);
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_fs_hash_types t;

	(void)state;
	assert_int_equal(dfu_smp_mgmt_fs_hash_types_decode(&rsp, &reply, &t), 0);
	assert_int_equal(t.count, 2);
	assert_string_equal(t.types[0].name, "crc32");
	assert_int_equal(t.types[0].format, 0);
	assert_int_equal(t.types[0].size, 4);
	assert_string_equal(t.types[1].name, "sha256");
	assert_int_equal(t.types[1].format, 1);
	assert_int_equal(t.types[1].size, 32);
	dfu_smp_mgmt_reply_close(&reply);
	for (int bad = 1; bad <= 3; bad++) {
		rsp = types_answer(&p, bad);
		assert_malformed(dfu_smp_mgmt_fs_hash_types_decode(&rsp, &reply, &t), &reply,
				 needles[bad - 1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requests_bytes),
		cmocka_unit_test(upload_max_data_is_exact),
		cmocka_unit_test(download_answers),
		cmocka_unit_test(upload_and_status_answers),
		cmocka_unit_test(hash_answers),
		cmocka_unit_test(hash_types_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
