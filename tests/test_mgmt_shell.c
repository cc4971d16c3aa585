/* SPDX-License-Identifier: Apache-2.0 */
/* Shell group codecs: the request, and answers old and new, including the legacy `rc`. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/shell.h>
#include "mgmt_test.h"

static uint8_t buf[256];

static void request_bytes(void **state)
{
	const char *const argv[] = { "kernel", "version" };
	const uint8_t two[] = { 0xa1, 0x64, 'a', 'r', 'g', 'v', 0x82, 0x66, 'k', 'e', 'r', 'n', 'e',
				'l', 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n' };
	const uint8_t none[] = { 0xa1, 0x64, 'a', 'r', 'g', 'v', 0x80 };
	struct dfu_smp_request req;

	(void)state;
	dfu_smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(dfu_smp_mgmt_shell_exec(&req, 2, argv), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_SHELL, DFU_SMP_MGMT_SHELL_EXEC,
		       two, sizeof(two));
	assert_int_equal(dfu_smp_mgmt_shell_exec(&req, 0, NULL), 0);
	assert_request(&req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_SHELL, DFU_SMP_MGMT_SHELL_EXEC,
		       none, sizeof(none));
	dfu_smp_request_init(&req, buf, DFU_SMP_HDR_SIZE + sizeof(two) - 1);
	assert_int_equal(dfu_smp_mgmt_shell_exec(&req, 2, argv), -ENOBUFS);
}

/* An answer with output @p o (NULL: none), `ret` and the legacy `rc` when asked for. */
static struct dfu_smp_client_rsp answer(struct payload *p, const char *o, bool has_ret, int64_t ret,
				    bool has_rc, int64_t rc)
{
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(p);

	dfu_smp_mgmt_cbor_map_indef(w);
	unknown_pairs(w);
	if (has_rc) {
		kv_int(w, "rc", rc);
	}
	if (o) {
		dfu_smp_mgmt_cbor_text(w, "o");
		chunked_text(w, o);
	}
	if (has_ret) {
		kv_int(w, "ret", ret);
	}
	dfu_smp_mgmt_cbor_break(w);
	return payload_rsp(p);
}

static void answers_old_and_new(void **state)
{
	static const struct {
		bool has_ret;
		int64_t ret;
		bool has_rc;
		int64_t rc;
		int64_t expected;
	} cases[] = {
		{ true, 0, false, 0, 0 },   /* Zephyr */
		{ true, -8, false, 0, -8 }, /* command not found */
		{ true, 3, true, 3, 3 },    /* CONFIG_MCUMGR_GRP_SHELL_LEGACY_RC_RETURN_CODE */
		{ false, 0, true, -8, -8 }, /* old Zephyr: the return code in rc */
		{ false, 0, true, 0, 0 },
		{ true, INT64_MIN, false, 0, INT64_MIN },
	};
	struct payload p;
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_shell_rsp s;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rsp = answer(&p, "uart:~$ \x1b[m\r\n", cases[i].has_ret, cases[i].ret,
			     cases[i].has_rc, cases[i].rc);
		assert_int_equal(dfu_smp_mgmt_shell_exec_decode(&rsp, &reply, &s), 0);
		assert_int_equal(reply.kind, DFU_SMP_MGMT_REPLY_OK);
		assert_string_equal(reply.detail, "");
		assert_string_equal(s.output, "uart:~$ \x1b[m\r\n");
		assert_true(s.ret == cases[i].expected);
		dfu_smp_mgmt_reply_close(&reply);
	}
}

static void errors_stay_errors(void **state)
{
	const uint8_t rc_only[] = { 0xa2, 0x62, 'r', 'c', 0x03, 0x63, 'r', 's', 'n', 0x61, 'x' };
	const uint8_t group_err[] = { 0xa2, 0x61, 'o', 0x60, 0x63, 'e', 'r', 'r', 0xa2, 0x65, 'g',
				      'r', 'o', 'u', 'p', 0x09, 0x62, 'r', 'c', 0x03 };
	struct payload p;
	struct dfu_smp_client_rsp rsp = bytes_rsp(rc_only, sizeof(rc_only));
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_shell_rsp s;

	(void)state;
	assert_device_error(dfu_smp_mgmt_shell_exec_decode(&rsp, &reply, &s), &reply,
			    DFU_SMP_MGMT_REPLY_RC, 3);
	rsp = bytes_rsp(group_err, sizeof(group_err));
	assert_device_error(dfu_smp_mgmt_shell_exec_decode(&rsp, &reply, &s), &reply,
			    DFU_SMP_MGMT_REPLY_GROUP_ERR, 3);

	rsp = answer(&p, "x", false, 0, false, 0);
	assert_malformed(dfu_smp_mgmt_shell_exec_decode(&rsp, &reply, &s), &reply,
			 "response key 'ret' is missing");
	rsp = answer(&p, NULL, true, 0, false, 0);
	assert_malformed(dfu_smp_mgmt_shell_exec_decode(&rsp, &reply, &s), &reply,
			 "response key 'o' is missing");
}

static void malformed_answers(void **state)
{
	const uint8_t o_number[] = { 0xa2, 0x61, 'o', 0x01, 0x62, 'r', 'c', 0x01 };
	const uint8_t ret_text[] = { 0xa2, 0x61, 'o', 0x60, 0x63, 'r', 'e', 't', 0x61, '1' };
	const uint8_t rc_text[] = { 0xa2, 0x61, 'o', 0x60, 0x62, 'r', 'c', 0x61, '1' };
	const uint8_t ret_huge[] = { 0xa2, 0x61, 'o', 0x60, 0x63, 'r', 'e', 't', 0x1b, 0x80, 0, 0,
				     0, 0, 0, 0, 0 };
	struct dfu_smp_client_rsp rsp = bytes_rsp(o_number, sizeof(o_number));
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_shell_rsp s;

	(void)state;
	assert_malformed(dfu_smp_mgmt_shell_exec_decode(&rsp, &reply, &s), &reply,
			 "response key 'o' is an unsigned integer, expected a text string");
	rsp = bytes_rsp(ret_text, sizeof(ret_text));
	assert_malformed(dfu_smp_mgmt_shell_exec_decode(&rsp, &reply, &s), &reply,
			 "response key 'ret' is a text string, expected an integer");
	rsp = bytes_rsp(rc_text, sizeof(rc_text));
	assert_malformed(dfu_smp_mgmt_shell_exec_decode(&rsp, &reply, &s), &reply,
			 "response key 'rc' is a text string, expected an integer");
	rsp = bytes_rsp(ret_huge, sizeof(ret_huge));
	assert_malformed(dfu_smp_mgmt_shell_exec_decode(&rsp, &reply, &s), &reply,
			 "response key 'ret' is out of the range of a 64-bit signed integer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_bytes),
		cmocka_unit_test(answers_old_and_new),
		cmocka_unit_test(errors_stay_errors),
		cmocka_unit_test(malformed_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
