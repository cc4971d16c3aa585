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

#include "../mgmt/err.h"
#include "../mgmt/os.h"

static uint8_t buf[256];

static struct smp_client_rsp rsp_of(const uint8_t *payload, size_t len)
{
	struct smp_client_rsp rsp = { .payload = payload, .len = len };

	rsp.hdr.op = SMP_OP_WRITE_RSP;
	rsp.hdr.version = 2;
	rsp.hdr.len = (uint16_t)len;
	return rsp;
}

static void echo_request_bytes(void **state)
{
	const uint8_t expected[] = { 0xa1, 0x61, 'd', 0x62, 'h', 'i' };
	struct smp_request req;

	(void)state;
	smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(mgmt_os_echo(&req, "hi"), 0);
	assert_int_equal(req.op, SMP_OP_WRITE);
	assert_int_equal(req.group, 0);
	assert_int_equal(req.id, 0);
	assert_int_equal(req.len, sizeof(expected));
	assert_memory_equal(buf + SMP_HDR_SIZE, expected, sizeof(expected));
}

static void echo_request_that_does_not_fit_is_enobufs(void **state)
{
	struct smp_request req;

	(void)state;
	smp_request_init(&req, buf, SMP_HDR_SIZE + 5);
	assert_int_equal(mgmt_os_echo(&req, "hi"), -ENOBUFS);
	smp_request_init(&req, buf, SMP_HDR_SIZE + 6);
	assert_int_equal(mgmt_os_echo(&req, "hi"), 0);
}

static void params_request_bytes(void **state)
{
	struct smp_request req;

	(void)state;
	smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(mgmt_os_params(&req), 0);
	assert_int_equal(req.op, SMP_OP_READ);
	assert_int_equal(req.id, 6);
	assert_int_equal(req.len, 1);
	assert_int_equal(buf[SMP_HDR_SIZE], 0xa0);
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
		struct smp_client_rsp rsp = rsp_of(shapes[i], lens[i]);
		struct mgmt_reply reply;
		const char *text = NULL;

		assert_int_equal(mgmt_os_echo_decode(&rsp, &reply, &text), 0);
		assert_string_equal(text, "hi");
		mgmt_reply_close(&reply);
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
		struct smp_client_rsp rsp = rsp_of(shapes[i], lens[i]);
		struct mgmt_reply reply;
		struct mgmt_os_params p;

		assert_int_equal(mgmt_os_params_decode(&rsp, &reply, &p), 0);
		assert_int_equal(p.buf_size, 2475);
		assert_int_equal(p.buf_count, 4);
		mgmt_reply_close(&reply);
	}
}

/* Decodes an echo response expected to be malformed; returns the detail. */
static void expect_malformed(const uint8_t *payload, size_t len, const char *needle)
{
	struct smp_client_rsp rsp = rsp_of(payload, len);
	struct mgmt_reply reply;
	const char *text;
	char line[300];

	assert_int_equal(mgmt_os_echo_decode(&rsp, &reply, &text), -EBADMSG);
	assert_int_equal(reply.kind, MGMT_REPLY_MALFORMED);
	if (!strstr(reply.detail, needle)) {
		fail_msg("detail '%s' does not name '%s'", reply.detail, needle);
	}
	mgmt_err_describe(&reply, line, sizeof(line));
	assert_non_null(strstr(line, "malformed response"));
	mgmt_reply_close(&reply);
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
	struct smp_client_rsp rsp = rsp_of(rc_only, sizeof(rc_only));
	struct mgmt_reply reply;
	const char *text;
	char line[300];

	(void)state;
	assert_int_equal(mgmt_os_echo_decode(&rsp, &reply, &text), -EREMOTEIO);
	assert_int_equal(reply.kind, MGMT_REPLY_RC);
	assert_int_equal(reply.rc, MGMT_ERR_ENOTSUP);
	mgmt_err_describe(&reply, line, sizeof(line));
	assert_non_null(strstr(line, "os: MGMT_ERR_ENOTSUP (rc 8): "));
	mgmt_reply_close(&reply);

	rsp = rsp_of(rc_rsn, sizeof(rc_rsn));
	assert_int_equal(mgmt_os_echo_decode(&rsp, &reply, &text), -EREMOTEIO);
	assert_string_equal(reply.detail, "magic mismatch");
	mgmt_err_describe(&reply, line, sizeof(line));
	assert_non_null(strstr(line, "MGMT_ERR_EUNKNOWN (rc 1)"));
	assert_non_null(strstr(line, "magic mismatch"));
	mgmt_reply_close(&reply);
}

static void version_2_err_is_a_group_error(void **state)
{
	const uint8_t err[] = { 0xbf, 0x63, 'e', 'r', 'r', 0xbf, 0x65, 'g', 'r', 'o', 'u', 'p',
				0x01, 0x62, 'r', 'c', 0x0c, 0xff, 0xff };
	const uint8_t err_ok[] = { 0xa2, 0x63, 'e', 'r', 'r', 0xa2, 0x65, 'g', 'r', 'o', 'u', 'p',
				   0x01, 0x62, 'r', 'c', 0x00, 0x61, 'r', 0x60 };
	struct smp_client_rsp rsp = rsp_of(err, sizeof(err));
	struct mgmt_reply reply;
	const char *text;
	char line[300];

	(void)state;
	assert_int_equal(mgmt_os_echo_decode(&rsp, &reply, &text), -EREMOTEIO);
	assert_int_equal(reply.kind, MGMT_REPLY_GROUP_ERR);
	assert_int_equal(reply.group, 1);
	assert_int_equal(reply.rc, 12);
	mgmt_err_describe(&reply, line, sizeof(line));
	assert_string_equal(line, "image: IMG_MGMT_ERR_FLASH_WRITE_FAILED (rc 12): writing to the "
				  "device's flash failed");
	mgmt_reply_close(&reply);

	/* err with rc 0 is success */
	rsp = rsp_of(err_ok, sizeof(err_ok));
	assert_int_equal(mgmt_os_echo_decode(&rsp, &reply, &text), 0);
	assert_string_equal(text, "");
	mgmt_reply_close(&reply);
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
		assert_non_null(mgmt_err_name(rc));
	}
	assert_string_equal(mgmt_err_name(300), "MGMT_ERR_EPERUSER");
	assert_null(mgmt_err_name(200));
	assert_non_null(mgmt_err_text(200));
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		for (int64_t rc = 0; rc <= groups[g].last; rc++) {
			assert_non_null(mgmt_err_group_name(groups[g].group, rc));
		}
		assert_null(mgmt_err_group_name(groups[g].group, groups[g].last + 1));
	}
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
