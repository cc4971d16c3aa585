/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OS group codecs and the reply classification every decoder shares: version 1 `rc`, version 2
 * `err`, malformed payloads named precisely, and the shapes real devices send.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/os.h>
#include "mgmt_test.h"

static uint8_t buf[256];

static struct dfu_smp_client_rsp rsp_of(const uint8_t *payload, size_t len)
{
	struct dfu_smp_client_rsp rsp = { .payload = payload, .len = len };

	rsp.hdr.op = DFU_SMP_OP_WRITE_RSP;
	rsp.hdr.version = 2;
	rsp.hdr.len = (uint16_t)len;
	return rsp;
}

static void echo_request_bytes(void **state)
{
	const uint8_t expected[] = { 0xa1, 0x61, 'd', 0x62, 'h', 'i' };
	struct dfu_smp_request req;

	(void)state;
	dfu_smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(dfu_smp_mgmt_os_echo(&req, "hi"), 0);
	assert_int_equal(req.op, DFU_SMP_OP_WRITE);
	assert_int_equal(req.group, 0);
	assert_int_equal(req.id, 0);
	assert_int_equal(req.len, sizeof(expected));
	assert_memory_equal(buf + DFU_SMP_HDR_SIZE, expected, sizeof(expected));
}

static void echo_request_that_does_not_fit_is_enobufs(void **state)
{
	struct dfu_smp_request req;

	(void)state;
	dfu_smp_request_init(&req, buf, DFU_SMP_HDR_SIZE + 5);
	assert_int_equal(dfu_smp_mgmt_os_echo(&req, "hi"), -ENOBUFS);
	dfu_smp_request_init(&req, buf, DFU_SMP_HDR_SIZE + 6);
	assert_int_equal(dfu_smp_mgmt_os_echo(&req, "hi"), 0);
}

static void params_request_bytes(void **state)
{
	struct dfu_smp_request req;

	(void)state;
	dfu_smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(dfu_smp_mgmt_os_params(&req), 0);
	assert_int_equal(req.op, DFU_SMP_OP_READ);
	assert_int_equal(req.id, 6);
	assert_int_equal(req.len, 1);
	assert_int_equal(buf[DFU_SMP_HDR_SIZE], 0xa0);
}

static void echo_decodes_definite_and_indefinite(void **state)
{
	const uint8_t definite[] = { 0xa1, 0x61, 'r', 0x62, 'h', 'i' };
	const uint8_t indefinite[] = { 0xbf, 0x61, 'r', 0x7f, 0x61, 'h', 0x61, 'i', 0xff, 0xff };
	const uint8_t with_extra[] = { 0xa3, 0x61, 'x', 0x01, 0x62, 'r', 'c', 0x00, 0x61, 'r',
				       0x62, 'h', 'i' };
	const uint8_t *shapes[] = { definite, indefinite, with_extra };
	const size_t lens[] = { sizeof(definite), sizeof(indefinite), sizeof(with_extra) };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct dfu_smp_client_rsp rsp = rsp_of(shapes[i], lens[i]);
		struct dfu_smp_mgmt_reply reply;
		const char *text = NULL;

		assert_int_equal(dfu_smp_mgmt_os_echo_decode(&rsp, &reply, &text), 0);
		assert_string_equal(text, "hi");
		dfu_smp_mgmt_reply_close(&reply);
	}
}

static void params_decode_any_integer_width(void **state)
{
	/* buf_size 2475 as uint16, uint32 and uint64; buf_count as uint8 and tiny */
	const uint8_t w16[] = { 0xa2, 0x68, 'b', 'u', 'f', '_', 's', 'i', 'z', 'e', 0x19, 0x09,
				0xab, 0x69, 'b', 'u', 'f', '_', 'c', 'o', 'u', 'n', 't', 0x04 };
	const uint8_t w32[] = { 0xa2, 0x69, 'b', 'u', 'f', '_', 'c', 'o', 'u', 'n', 't', 0x18,
				0x04, 0x68, 'b', 'u', 'f', '_', 's', 'i', 'z', 'e', 0x1a, 0x00,
				0x00, 0x09, 0xab };
	const uint8_t w64[] = { 0xa2, 0x68, 'b', 'u', 'f', '_', 's', 'i', 'z', 'e', 0x1b, 0, 0,
				0, 0, 0, 0, 0x09, 0xab, 0x69, 'b', 'u', 'f', '_', 'c', 'o', 'u',
				'n', 't', 0x04 };
	const uint8_t *shapes[] = { w16, w32, w64 };
	const size_t lens[] = { sizeof(w16), sizeof(w32), sizeof(w64) };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct dfu_smp_client_rsp rsp = rsp_of(shapes[i], lens[i]);
		struct dfu_smp_mgmt_reply reply;
		struct dfu_smp_mgmt_os_params p;

		assert_int_equal(dfu_smp_mgmt_os_params_decode(&rsp, &reply, &p), 0);
		assert_int_equal(p.buf_size, 2475);
		assert_int_equal(p.buf_count, 4);
		dfu_smp_mgmt_reply_close(&reply);
	}
}

/* Decodes an echo response expected to be malformed; returns the detail. */
static void expect_malformed(const uint8_t *payload, size_t len, const char *needle)
{
	struct dfu_smp_client_rsp rsp = rsp_of(payload, len);
	struct dfu_smp_mgmt_reply reply;
	const char *text;
	char line[300];

	assert_int_equal(dfu_smp_mgmt_os_echo_decode(&rsp, &reply, &text), -EBADMSG);
	assert_int_equal(reply.kind, DFU_SMP_MGMT_REPLY_MALFORMED);
	if (!strstr(reply.detail, needle)) {
		fail_msg("detail '%s' does not name '%s'", reply.detail, needle);
	}
	dfu_smp_mgmt_err_describe(&reply, line, sizeof(line));
	assert_non_null(strstr(line, "malformed response"));
	dfu_smp_mgmt_reply_close(&reply);
}

static void malformed_echo_responses_are_named(void **state)
{
	const uint8_t missing[] = { 0xa1, 0x61, 'x', 0x62, 'h', 'i' };
	const uint8_t wrong_type[] = { 0xa1, 0x61, 'r', 0x42, 'h', 'i' };
	const uint8_t not_map[] = { 0x82, 0x01, 0x02 };
	const uint8_t truncated[] = { 0xa1, 0x61, 'r', 0x65, 'h' };
	const uint8_t trailing[] = { 0xa0, 0x00 };
	const uint8_t bad_rc[] = { 0xa1, 0x62, 'r', 'c', 0x61, 'x' };
	const uint8_t bad_err[] = { 0xa1, 0x63, 'e', 'r', 'r', 0x01 };

	(void)state;
	expect_malformed(missing, sizeof(missing), "'r' is missing");
	expect_malformed(wrong_type, sizeof(wrong_type), "'r' is a byte string, expected a text");
	expect_malformed(not_map, sizeof(not_map), "an array, expected a map");
	expect_malformed(truncated, sizeof(truncated), "not valid CBOR");
	expect_malformed(trailing, sizeof(trailing), "after its CBOR item");
	expect_malformed(NULL, 0, "no payload");
	expect_malformed(bad_rc, sizeof(bad_rc), "'rc' is a text string");
	expect_malformed(bad_err, sizeof(bad_err), "'err' is an unsigned integer");
}

static void version_1_rc_is_a_device_error(void **state)
{
	const uint8_t rc_only[] = { 0xbf, 0x62, 'r', 'c', 0x08, 0xff };
	const uint8_t rc_rsn[] = { 0xa2, 0x62, 'r', 'c', 0x01, 0x63, 'r', 's', 'n', 0x6e, 'm', 'a',
				   'g', 'i', 'c', ' ', 'm', 'i', 's', 'm', 'a', 't', 'c', 'h' };
	struct dfu_smp_client_rsp rsp = rsp_of(rc_only, sizeof(rc_only));
	struct dfu_smp_mgmt_reply reply;
	const char *text;
	char line[300];

	(void)state;
	assert_int_equal(dfu_smp_mgmt_os_echo_decode(&rsp, &reply, &text), -EREMOTEIO);
	assert_int_equal(reply.kind, DFU_SMP_MGMT_REPLY_RC);
	assert_int_equal(reply.rc, DFU_SMP_MGMT_ERR_ENOTSUP);
	dfu_smp_mgmt_err_describe(&reply, line, sizeof(line));
	assert_non_null(strstr(line, "os: MGMT_ERR_ENOTSUP (rc 8): "));
	dfu_smp_mgmt_reply_close(&reply);

	rsp = rsp_of(rc_rsn, sizeof(rc_rsn));
	assert_int_equal(dfu_smp_mgmt_os_echo_decode(&rsp, &reply, &text), -EREMOTEIO);
	assert_string_equal(reply.detail, "magic mismatch");
	dfu_smp_mgmt_err_describe(&reply, line, sizeof(line));
	assert_non_null(strstr(line, "MGMT_ERR_EUNKNOWN (rc 1)"));
	assert_non_null(strstr(line, "magic mismatch"));
	dfu_smp_mgmt_reply_close(&reply);
}

static void version_2_err_is_a_group_error(void **state)
{
	const uint8_t err[] = { 0xbf, 0x63, 'e', 'r', 'r', 0xbf, 0x65, 'g', 'r', 'o', 'u', 'p',
				0x01, 0x62, 'r', 'c', 0x0c, 0xff, 0xff };
	const uint8_t err_ok[] = { 0xa2, 0x63, 'e', 'r', 'r', 0xa2, 0x65, 'g', 'r', 'o', 'u', 'p',
				   0x01, 0x62, 'r', 'c', 0x00, 0x61, 'r', 0x60 };
	struct dfu_smp_client_rsp rsp = rsp_of(err, sizeof(err));
	struct dfu_smp_mgmt_reply reply;
	const char *text;
	char line[300];

	(void)state;
	assert_int_equal(dfu_smp_mgmt_os_echo_decode(&rsp, &reply, &text), -EREMOTEIO);
	assert_int_equal(reply.kind, DFU_SMP_MGMT_REPLY_GROUP_ERR);
	assert_int_equal(reply.group, 1);
	assert_int_equal(reply.rc, 12);
	dfu_smp_mgmt_err_describe(&reply, line, sizeof(line));
	assert_string_equal(line, "image: IMG_MGMT_ERR_FLASH_WRITE_FAILED (rc 12): writing to the "
				  "device's flash failed");
	dfu_smp_mgmt_reply_close(&reply);

	/* err with rc 0 is success */
	rsp = rsp_of(err_ok, sizeof(err_ok));
	assert_int_equal(dfu_smp_mgmt_os_echo_decode(&rsp, &reply, &text), 0);
	assert_string_equal(text, "");
	dfu_smp_mgmt_reply_close(&reply);
}

static void every_error_code_has_a_name(void **state)
{
	static const struct {
		uint16_t group;
		int64_t last;
	} groups[] = { { 0, 7 }, { 1, 34 }, { 2, 5 }, { 3, 9 }, { 8, 17 }, { 9, 3 }, { 10, 4 },
		       { 11, 17 }, { 63, 4 } };

	(void)state;
	for (int64_t rc = 0; rc <= 14; rc++) {
		assert_non_null(dfu_smp_mgmt_err_name(rc));
	}
	assert_string_equal(dfu_smp_mgmt_err_name(300), "MGMT_ERR_EPERUSER");
	assert_null(dfu_smp_mgmt_err_name(200));
	assert_non_null(dfu_smp_mgmt_err_text(200));
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		for (int64_t rc = 0; rc <= groups[g].last; rc++) {
			assert_non_null(dfu_smp_mgmt_err_group_name(groups[g].group, rc));
		}
		assert_null(dfu_smp_mgmt_err_group_name(groups[g].group, groups[g].last + 1));
	}
}

static void counts_beyond_the_payload_are_refused(void **state)
{
	/* libcbor would allocate and clear 32 GiB, then 64 GiB, before finding the end */
	const uint8_t array[] = { 0xa1, 0x61, 'r', 0x9a, 0xff, 0xff, 0xff, 0xff };
	const uint8_t map[] = { 0xbb, 0, 0, 0, 0x01, 0, 0, 0, 0 };
	const uint8_t nested[] = { 0xbf, 0x61, 'r', 0x82, 0x00, 0x9a, 0x00, 0x00, 0x10, 0x00,
				   0xff };

	(void)state;
	expect_malformed(array, sizeof(array), "claims more items than there are bytes");
	expect_malformed(map, sizeof(map), "claims more items than there are bytes");
	expect_malformed(nested, sizeof(nested), "claims more items than there are bytes");
}

static void other_requests_bytes(void **state)
{
	const uint8_t empty[] = { 0xa0 };
	const uint8_t datetime[] = { 0xa1, 0x68, 'd', 'a', 't', 'e', 't', 'i', 'm', 'e', 0x73, '2',
				     '0', '2', '5', '-', '1', '1', '-', '2', '0', 'T', '1', '1',
				     ':', '5', '6', ':', '0', '5' };
	const uint8_t force[] = { 0xa1, 0x65, 'f', 'o', 'r', 'c', 'e', 0xf5 };
	const uint8_t boot_mode[] = { 0xa1, 0x69, 'b', 'o', 'o', 't', '_', 'm', 'o', 'd', 'e',
				      0x01 };
	const uint8_t both[] = { 0xa2, 0x65, 'f', 'o', 'r', 'c', 'e', 0xf5, 0x69, 'b', 'o', 'o',
				 't', '_', 'm', 'o', 'd', 'e', 0x18, 0xff };
	const uint8_t format[] = { 0xa1, 0x66, 'f', 'o', 'r', 'm', 'a', 't', 0x61, 'a' };
	const uint8_t query[] = { 0xa1, 0x65, 'q', 'u', 'e', 'r', 'y', 0x64, 'm', 'o', 'd', 'e' };
	struct dfu_smp_request req;

	(void)state;
	dfu_smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(dfu_smp_mgmt_os_taskstat(&req), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_TASKSTAT,
		       empty, 1);
	assert_int_equal(dfu_smp_mgmt_os_mpstat(&req), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_MPSTAT, empty,
		       1);
	assert_int_equal(dfu_smp_mgmt_os_datetime_get(&req), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_DATETIME,
		       empty, 1);
	assert_int_equal(dfu_smp_mgmt_os_datetime_set(&req, "2025-11-20T11:56:05"), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_DATETIME,
		       datetime, sizeof(datetime));
	assert_int_equal(dfu_smp_mgmt_os_reset(&req, false, -1), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_RESET, empty,
		       1);
	assert_int_equal(dfu_smp_mgmt_os_reset(&req, true, -1), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_RESET, force,
		       sizeof(force));
	assert_int_equal(dfu_smp_mgmt_os_reset(&req, false, 1), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_RESET,
		       boot_mode, sizeof(boot_mode));
	assert_int_equal(dfu_smp_mgmt_os_reset(&req, true, 255), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_RESET, both,
		       sizeof(both));
	assert_int_equal(dfu_smp_mgmt_os_info(&req, NULL), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_INFO, empty,
		       1);
	assert_int_equal(dfu_smp_mgmt_os_info(&req, "a"), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_INFO, format,
		       sizeof(format));
	assert_int_equal(dfu_smp_mgmt_os_bootloader(&req, NULL), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_BOOTLOADER,
		       empty, 1);
	assert_int_equal(dfu_smp_mgmt_os_bootloader(&req, "mode"), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_OS, DFU_SMP_MGMT_OS_BOOTLOADER,
		       query, sizeof(query));

	dfu_smp_request_init(&req, buf, DFU_SMP_HDR_SIZE + sizeof(both) - 1);
	assert_int_equal(dfu_smp_mgmt_os_reset(&req, true, 255), -ENOBUFS);
}

/* Task statistics as Zephyr sends them (indefinite maps), with what other builds change. */
static struct dfu_smp_client_rsp taskstat(struct payload *p, int bad)
{
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(p);

	dfu_smp_mgmt_cbor_map_indef(w);
	unknown_pairs(w);
	dfu_smp_mgmt_cbor_text(w, "tasks");
	dfu_smp_mgmt_cbor_map_indef(w);

	dfu_smp_mgmt_cbor_text(w, "main");
	dfu_smp_mgmt_cbor_map_indef(w);
	kv_int(w, "prio", -1);
	kv_uint(w, "tid", 1);
	kv_uint(w, "state", 8);
	kv_uint(w, "stksiz", 256);
	kv_uint(w, "stkuse", 100);
	kv_uint(w, "runtime", 1ull << 40);
	kv_uint(w, "cswcnt", 3);
	kv_uint(w, "last_checkin", 0);
	kv_uint(w, "next_checkin", 0);
	unknown_pairs(w);
	dfu_smp_mgmt_cbor_break(w);

	/* an older build: unsigned priority, wide integers, only the supported stats */
	chunked_text(w, "idle");
	dfu_smp_mgmt_cbor_map(w, bad == 1 ? 2 : 3);
	dfu_smp_mgmt_cbor_text(w, "prio");
	if (bad == 2) {
		dfu_smp_mgmt_cbor_text(w, "15");
	} else {
		wide_uint(w, 255);
	}
	kv_uint(w, "tid", 2);
	if (bad != 1) {
		dfu_smp_mgmt_cbor_text(w, "state");
		wide_uint(w, 0);
	}

	if (bad == 3) {
		dfu_smp_mgmt_cbor_uint(w, 7);
	} else {
		dfu_smp_mgmt_cbor_text(w, "");
	}
	if (bad == 4) {
		dfu_smp_mgmt_cbor_array(w, 0);
	} else {
		dfu_smp_mgmt_cbor_map(w, 4);
		kv_int(w, "prio", INT64_MIN);
		kv_uint(w, "tid", UINT64_MAX);
		kv_uint(w, "state", 0x80);
		kv_uint(w, "stksiz", bad == 5 ? (uint64_t)INT64_MAX + 1 : INT64_MAX);
	}
	dfu_smp_mgmt_cbor_break(w);
	dfu_smp_mgmt_cbor_break(w);
	return payload_rsp(p);
}

static void taskstat_decodes_every_build(void **state)
{
	struct payload p;
	struct dfu_smp_client_rsp rsp = taskstat(&p, 0);
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_os_taskstat t;

	(void)state;
	assert_int_equal(dfu_smp_mgmt_os_taskstat_decode(&rsp, &reply, &t), 0);
	assert_int_equal(t.count, 3);
	assert_string_equal(t.tasks[0].name, "main");
	assert_int_equal(t.tasks[0].prio, -1);
	assert_int_equal(t.tasks[0].tid, 1);
	assert_int_equal(t.tasks[0].state, 8);
	assert_int_equal(t.tasks[0].stksiz, 256);
	assert_int_equal(t.tasks[0].stkuse, 100);
	assert_int_equal(t.tasks[0].runtime, 1ll << 40);
	assert_int_equal(t.tasks[0].cswcnt, 3);
	assert_int_equal(t.tasks[0].last_checkin, 0);
	assert_int_equal(t.tasks[0].next_checkin, 0);
	assert_string_equal(t.tasks[1].name, "idle");
	assert_int_equal(t.tasks[1].prio, 255);
	assert_int_equal(t.tasks[1].stksiz, -1);
	assert_int_equal(t.tasks[1].stkuse, -1);
	assert_int_equal(t.tasks[1].runtime, -1);
	assert_int_equal(t.tasks[1].cswcnt, -1);
	assert_int_equal(t.tasks[1].last_checkin, -1);
	assert_int_equal(t.tasks[1].next_checkin, -1);
	assert_string_equal(t.tasks[2].name, "");
	assert_true(t.tasks[2].prio == INT64_MIN);
	assert_true(t.tasks[2].tid == UINT64_MAX);
	assert_true(t.tasks[2].stksiz == INT64_MAX);
	dfu_smp_mgmt_reply_close(&reply);
}

static void malformed_taskstat_names_the_thread(void **state)
{
	static const char *const needles[] = {
		"response key 'tasks.idle.state' is missing",
		"response key 'tasks.idle.prio' is a text string, expected an integer",
		"response key 'tasks' has a key that is an unsigned integer, expected a text "
		"string",
		"response key 'tasks.' is an array, expected a map",
		"response key 'tasks..stksiz' is 9223372036854775808, more than "
		"9223372036854775807",
	};
	const uint8_t no_tasks[] = { 0xa1, 0x65, 't', 'a', 's', 'k', 's', 0x80 };
	struct payload p;
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_os_taskstat t;

	(void)state;
	for (int bad = 1; bad <= 5; bad++) {
		rsp = taskstat(&p, bad);
		assert_malformed(dfu_smp_mgmt_os_taskstat_decode(&rsp, &reply, &t), &reply,
				 needles[bad - 1]);
	}
	rsp = bytes_rsp(no_tasks, sizeof(no_tasks));
	assert_malformed(dfu_smp_mgmt_os_taskstat_decode(&rsp, &reply, &t), &reply,
			 "response key 'tasks' is an array, expected a map");
	rsp = bytes_rsp((const uint8_t[]){ 0xa0 }, 1);
	assert_malformed(dfu_smp_mgmt_os_taskstat_decode(&rsp, &reply, &t), &reply,
			 "response key 'tasks' is missing");
}

/* Two pools under @p container, or at the top level when NULL. */
static struct dfu_smp_client_rsp mpstat(struct payload *p, const char *container, bool bad)
{
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(p);

	dfu_smp_mgmt_cbor_map_indef(w);
	kv_uint(w, "rc", 0);
	unknown_pairs(w);
	if (container) {
		dfu_smp_mgmt_cbor_text(w, container);
		dfu_smp_mgmt_cbor_map_indef(w);
	}
	dfu_smp_mgmt_cbor_text(w, "heap0");
	dfu_smp_mgmt_cbor_map(w, 4);
	kv_uint(w, "blksiz", 1);
	kv_uint(w, "nblks", 4096);
	kv_uint(w, "nfree", 1024);
	kv_uint(w, "min", 512);
	chunked_text(w, "1");
	dfu_smp_mgmt_cbor_map(w, 2);
	dfu_smp_mgmt_cbor_text(w, "nblks");
	wide_uint(w, 8);
	if (bad) {
		kv_text(w, "nfree", "8");
	} else {
		kv_uint(w, "nfree", 8);
	}
	if (container) {
		dfu_smp_mgmt_cbor_break(w);
	}
	/* at the top level, maps without nblks are not pools */
	dfu_smp_mgmt_cbor_text(w, "other");
	dfu_smp_mgmt_cbor_map(w, 1);
	kv_uint(w, "nfree", 1);
	dfu_smp_mgmt_cbor_break(w);
	return payload_rsp(p);
}

static void mpstat_pools_in_all_three_places(void **state)
{
	static const char *const containers[] = { "mpools", "tasks", NULL };
	static const char *const needles[] = {
		"response key 'mpools.1.nfree' is a text string, expected an unsigned integer",
		"response key 'tasks.1.nfree' is a text string, expected an unsigned integer",
		"response key '1.nfree' is a text string, expected an unsigned integer",
	};
	struct payload p;
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_os_mpstat m;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		rsp = mpstat(&p, containers[i], false);
		assert_int_equal(dfu_smp_mgmt_os_mpstat_decode(&rsp, &reply, &m), 0);
		assert_int_equal(m.count, 2);
		assert_string_equal(m.pools[0].name, "heap0");
		assert_int_equal(m.pools[0].blksiz, 1);
		assert_int_equal(m.pools[0].nblks, 4096);
		assert_int_equal(m.pools[0].nfree, 1024);
		assert_int_equal(m.pools[0].min, 512);
		assert_string_equal(m.pools[1].name, "1");
		assert_int_equal(m.pools[1].blksiz, -1);
		assert_int_equal(m.pools[1].nblks, 8);
		assert_int_equal(m.pools[1].min, -1);
		dfu_smp_mgmt_reply_close(&reply);

		rsp = mpstat(&p, containers[i], true);
		assert_malformed(dfu_smp_mgmt_os_mpstat_decode(&rsp, &reply, &m), &reply,
				 needles[i]);
	}
}

static void mpstat_empty_and_malformed(void **state)
{
	const uint8_t empty[] = { 0xa0 };
	const uint8_t no_pools[] = { 0xa1, 0x66, 'm', 'p', 'o', 'o', 'l', 's', 0xa0 };
	const uint8_t pools_array[] = { 0xa1, 0x66, 'm', 'p', 'o', 'o', 'l', 's', 0x80 };
	const uint8_t pool_number[] = { 0xa1, 0x65, 't', 'a', 's', 'k', 's', 0xa1, 0x61, 'h',
					0x01 };
	const uint8_t pool_key[] = { 0xa1, 0x66, 'm', 'p', 'o', 'o', 'l', 's', 0xa1, 0x41, 'h',
				     0xa0 };
	struct dfu_smp_client_rsp rsp = bytes_rsp(empty, sizeof(empty));
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_os_mpstat m;

	(void)state;
	assert_int_equal(dfu_smp_mgmt_os_mpstat_decode(&rsp, &reply, &m), 0);
	assert_int_equal(m.count, 0);
	dfu_smp_mgmt_reply_close(&reply);
	rsp = bytes_rsp(no_pools, sizeof(no_pools));
	assert_int_equal(dfu_smp_mgmt_os_mpstat_decode(&rsp, &reply, &m), 0);
	assert_int_equal(m.count, 0);
	dfu_smp_mgmt_reply_close(&reply);

	rsp = bytes_rsp(pools_array, sizeof(pools_array));
	assert_malformed(dfu_smp_mgmt_os_mpstat_decode(&rsp, &reply, &m), &reply,
			 "response key 'mpools' is an array, expected a map");
	rsp = bytes_rsp(pool_number, sizeof(pool_number));
	assert_malformed(dfu_smp_mgmt_os_mpstat_decode(&rsp, &reply, &m), &reply,
			 "response key 'tasks.h' is an unsigned integer, expected a map");
	rsp = bytes_rsp(pool_key, sizeof(pool_key));
	assert_malformed(dfu_smp_mgmt_os_mpstat_decode(&rsp, &reply, &m), &reply,
			 "response key 'mpools' has a key that is a byte string");
}

static void datetime_and_info_decode(void **state)
{
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(&p);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	const char *text;

	(void)state;
	dfu_smp_mgmt_cbor_map_indef(w);
	dfu_smp_mgmt_cbor_text(w, "datetime");
	chunked_text(w, "2025-11-20T11:56:05.123");
	dfu_smp_mgmt_cbor_text(w, "output");
	dfu_smp_mgmt_cbor_uint(w, 1);
	dfu_smp_mgmt_cbor_break(w);
	rsp = payload_rsp(&p);
	assert_int_equal(dfu_smp_mgmt_os_datetime_get_decode(&rsp, &reply, &text), 0);
	assert_string_equal(text, "2025-11-20T11:56:05.123");
	dfu_smp_mgmt_reply_close(&reply);
	assert_malformed(dfu_smp_mgmt_os_info_decode(&rsp, &reply, &text), &reply,
			 "response key 'output' is an unsigned integer, expected a text string");

	w = payload_start(&p);
	dfu_smp_mgmt_cbor_map(w, 1);
	kv_text(w, "output", "Zephyr unknown 684c9e8f32e4 4.4.0 posix x86 native_sim/native");
	rsp = payload_rsp(&p);
	assert_int_equal(dfu_smp_mgmt_os_info_decode(&rsp, &reply, &text), 0);
	assert_string_equal(text, "Zephyr unknown 684c9e8f32e4 4.4.0 posix x86 native_sim/native");
	dfu_smp_mgmt_reply_close(&reply);
	assert_malformed(dfu_smp_mgmt_os_datetime_get_decode(&rsp, &reply, &text), &reply,
			 "response key 'datetime' is missing");
}

static void bootloader_decode(void **state)
{
	const uint8_t name[] = { 0xbf, 0x6a, 'b', 'o', 'o', 't', 'l', 'o', 'a', 'd', 'e', 'r', 0x67,
				 'M', 'C', 'U', 'b', 'o', 'o', 't', 0xff };
	const uint8_t mode[] = { 0xa2, 0x64, 'm', 'o', 'd', 'e', 0x03, 0x6c, 'n', 'o', '-', 'd',
				 'o', 'w', 'n', 'g', 'r', 'a', 'd', 'e', 0xf5 };
	const uint8_t unknown[] = { 0xa1, 0x64, 'm', 'o', 'd', 'e', 0x20 };
	const uint8_t bad_mode[] = { 0xa1, 0x64, 'm', 'o', 'd', 'e', 0x61, '1' };
	const uint8_t bad_flag[] = { 0xa2, 0x64, 'm', 'o', 'd', 'e', 0x00, 0x6c, 'n', 'o', '-', 'd',
				     'o', 'w', 'n', 'g', 'r', 'a', 'd', 'e', 0xf6 };
	struct dfu_smp_client_rsp rsp = bytes_rsp(name, sizeof(name));
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_os_bootloader b;

	(void)state;
	assert_int_equal(dfu_smp_mgmt_os_bootloader_decode(&rsp, &reply, &b), 0);
	assert_string_equal(b.name, "MCUboot");
	assert_false(b.has_mode);
	assert_false(b.no_downgrade);
	dfu_smp_mgmt_reply_close(&reply);

	rsp = bytes_rsp(mode, sizeof(mode));
	assert_int_equal(dfu_smp_mgmt_os_bootloader_decode(&rsp, &reply, &b), 0);
	assert_null(b.name);
	assert_true(b.has_mode);
	assert_int_equal(b.mode, 3);
	assert_true(b.no_downgrade);
	dfu_smp_mgmt_reply_close(&reply);

	rsp = bytes_rsp(unknown, sizeof(unknown));
	assert_int_equal(dfu_smp_mgmt_os_bootloader_decode(&rsp, &reply, &b), 0);
	assert_true(b.has_mode);
	assert_int_equal(b.mode, -1);
	dfu_smp_mgmt_reply_close(&reply);

	rsp = bytes_rsp(bad_mode, sizeof(bad_mode));
	assert_malformed(dfu_smp_mgmt_os_bootloader_decode(&rsp, &reply, &b), &reply,
			 "response key 'mode' is a text string, expected an integer");
	rsp = bytes_rsp(bad_flag, sizeof(bad_flag));
	assert_malformed(dfu_smp_mgmt_os_bootloader_decode(&rsp, &reply, &b), &reply,
			 "response key 'no-downgrade' is null, expected a boolean");
}

static void bootloader_mode_names(void **state)
{
	(void)state;
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(-1), "unknown");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(0), "single application slot");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(1), "swap using scratch");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(2), "overwrite (upgrade) only");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(3),
			    "swap without scratch (swap-using-move)");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(4), "direct-XIP");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(5), "direct-XIP with revert");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(6), "RAM load");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(7),
			    "firmware loader (firmware updater)");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(8), "single slot RAM load");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(9), "swap using offset");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(10), "unknown");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(-2), "unknown");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(INT64_MIN), "unknown");
	assert_string_equal(dfu_smp_mgmt_os_bootloader_mode_name(INT64_MAX), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(echo_request_bytes),
		cmocka_unit_test(echo_request_that_does_not_fit_is_enobufs),
		cmocka_unit_test(params_request_bytes),
		cmocka_unit_test(echo_decodes_definite_and_indefinite),
		cmocka_unit_test(params_decode_any_integer_width),
		cmocka_unit_test(malformed_echo_responses_are_named),
		cmocka_unit_test(version_1_rc_is_a_device_error),
		cmocka_unit_test(version_2_err_is_a_group_error),
		cmocka_unit_test(every_error_code_has_a_name),
		cmocka_unit_test(counts_beyond_the_payload_are_refused),
		cmocka_unit_test(other_requests_bytes),
		cmocka_unit_test(taskstat_decodes_every_build),
		cmocka_unit_test(malformed_taskstat_names_the_thread),
		cmocka_unit_test(mpstat_pools_in_all_three_places),
		cmocka_unit_test(mpstat_empty_and_malformed),
		cmocka_unit_test(datetime_and_info_decode),
		cmocka_unit_test(bootloader_decode),
		cmocka_unit_test(bootloader_mode_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
