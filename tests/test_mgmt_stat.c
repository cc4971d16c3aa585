/* SPDX-License-Identifier: Apache-2.0 */
/* Statistics group codecs: request bytes, group lists and counters in every shape. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/stat.h>
#include "mgmt_test.h"

static uint8_t buf[256];

static void requests_bytes(void **state)
{
	const uint8_t list[] = { 0xa0 };
	const uint8_t show[] = { 0xa1, 0x64, 'n', 'a', 'm', 'e', 0x6d, 's', 'm', 'p', '_', 's', 'v',
				 'r', '_', 's', 't', 'a', 't', 's' };
	struct dfu_smp_request req;

	(void)state;
	dfu_smp_request_init(&req, buf, sizeof(buf));
	assert_int_equal(dfu_smp_mgmt_stat_list(&req), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_STAT, DFU_SMP_MGMT_STAT_LIST, list,
		       sizeof(list));
	assert_int_equal(dfu_smp_mgmt_stat_show(&req, "smp_svr_stats"), 0);
	assert_request(&req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_STAT, DFU_SMP_MGMT_STAT_SHOW, show,
		       sizeof(show));
	dfu_smp_request_init(&req, buf, DFU_SMP_HDR_SIZE + sizeof(show) - 1);
	assert_int_equal(dfu_smp_mgmt_stat_show(&req, "smp_svr_stats"), -ENOBUFS);
}

static void list_in_every_shape(void **state)
{
	const uint8_t empty[] = { 0xa1, 0x69, 's', 't', 'a', 't', '_', 'l', 'i', 's', 't', 0x80 };
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(&p);
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_stat_list l;

	(void)state;
	dfu_smp_mgmt_cbor_map_indef(w);
	unknown_pairs(w);
	dfu_smp_mgmt_cbor_text(w, "stat_list");
	dfu_smp_mgmt_cbor_array_indef(w);
	dfu_smp_mgmt_cbor_text(w, "smp_svr_stats");
	chunked_text(w, "ble");
	dfu_smp_mgmt_cbor_text(w, "");
	dfu_smp_mgmt_cbor_break(w);
	dfu_smp_mgmt_cbor_break(w);
	rsp = payload_rsp(&p);
	assert_int_equal(dfu_smp_mgmt_stat_list_decode(&rsp, &reply, &l), 0);
	assert_int_equal(l.count, 3);
	assert_string_equal(l.names[0], "smp_svr_stats");
	assert_string_equal(l.names[1], "ble");
	assert_string_equal(l.names[2], "");
	dfu_smp_mgmt_reply_close(&reply);

	rsp = bytes_rsp(empty, sizeof(empty));
	assert_int_equal(dfu_smp_mgmt_stat_list_decode(&rsp, &reply, &l), 0);
	assert_int_equal(l.count, 0);
	dfu_smp_mgmt_reply_close(&reply);
}

static void malformed_lists(void **state)
{
	const uint8_t number[] = { 0xa1, 0x69, 's', 't', 'a', 't', '_', 'l', 'i', 's', 't', 0x82,
				   0x61, 'a', 0x07 };
	const uint8_t map[] = { 0xa1, 0x69, 's', 't', 'a', 't', '_', 'l', 'i', 's', 't', 0xa0 };
	const uint8_t missing[] = { 0xa1, 0x64, 'l', 'i', 's', 't', 0x80 };
	const uint8_t enoent[] = { 0xa1, 0x62, 'r', 'c', 0x05 };
	struct dfu_smp_client_rsp rsp = bytes_rsp(number, sizeof(number));
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_stat_list l;

	(void)state;
	assert_malformed(dfu_smp_mgmt_stat_list_decode(&rsp, &reply, &l), &reply,
			 "response key 'stat_list[1]' is an unsigned integer, expected a text "
			 "string");
	rsp = bytes_rsp(map, sizeof(map));
	assert_malformed(dfu_smp_mgmt_stat_list_decode(&rsp, &reply, &l), &reply,
			 "response key 'stat_list' is a map, expected an array");
	rsp = bytes_rsp(missing, sizeof(missing));
	assert_malformed(dfu_smp_mgmt_stat_list_decode(&rsp, &reply, &l), &reply,
			 "response key 'stat_list' is missing");
	rsp = bytes_rsp(enoent, sizeof(enoent));
	assert_device_error(dfu_smp_mgmt_stat_list_decode(&rsp, &reply, &l), &reply,
			    DFU_SMP_MGMT_REPLY_RC, 5);
}

/* A group of three counters; @p bad (1..4) spoils it. */
static struct dfu_smp_client_rsp group(struct payload *p, int bad)
{
	struct dfu_smp_mgmt_cbor_writer *w = payload_start(p);

	dfu_smp_mgmt_cbor_map_indef(w);
	dfu_smp_mgmt_cbor_text(w, "fields");
	if (bad == 4) {
		dfu_smp_mgmt_cbor_array(w, 0);
	} else {
		dfu_smp_mgmt_cbor_map_indef(w);
		kv_uint(w, "ticks", 12);
		chunked_text(w, "big");
		wide_uint(w, UINT64_MAX);
		if (bad == 1) {
			kv_int(w, "neg", -1);
		} else if (bad == 2) {
			dfu_smp_mgmt_cbor_bytes(w, (const uint8_t *)"k", 1);
			dfu_smp_mgmt_cbor_uint(w, 1);
		} else {
			kv_uint(w, "zero", 0);
		}
		dfu_smp_mgmt_cbor_break(w);
	}
	unknown_pairs(w);
	if (bad != 3) {
		kv_text(w, "name", "smp_svr_stats");
	}
	dfu_smp_mgmt_cbor_break(w);
	return payload_rsp(p);
}

static void show_in_every_shape(void **state)
{
	struct payload p;
	struct dfu_smp_client_rsp rsp = group(&p, 0);
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_stat_group g;

	(void)state;
	assert_int_equal(dfu_smp_mgmt_stat_show_decode(&rsp, &reply, &g), 0);
	assert_string_equal(g.name, "smp_svr_stats");
	assert_int_equal(g.count, 3);
	assert_string_equal(g.fields[0].name, "ticks");
	assert_int_equal(g.fields[0].value, 12);
	assert_string_equal(g.fields[1].name, "big");
	assert_true(g.fields[1].value == UINT64_MAX);
	assert_string_equal(g.fields[2].name, "zero");
	assert_int_equal(g.fields[2].value, 0);
	dfu_smp_mgmt_reply_close(&reply);
}

static void malformed_groups_name_the_counter(void **state)
{
	static const char *const needles[] = {
		"response key 'fields.neg' is a negative integer, expected an unsigned integer",
		"response key 'fields' has a key that is a byte string, expected a text string",
		"response key 'name' is missing",
		"response key 'fields' is an array, expected a map",
	};
	struct payload p;
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_stat_group g;

	(void)state;
	for (int bad = 1; bad <= 4; bad++) {
		rsp = group(&p, bad);
		assert_malformed(dfu_smp_mgmt_stat_show_decode(&rsp, &reply, &g), &reply,
				 needles[bad - 1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requests_bytes),
		cmocka_unit_test(list_in_every_shape),
		cmocka_unit_test(malformed_lists),
		cmocka_unit_test(show_in_every_shape),
		cmocka_unit_test(malformed_groups_name_the_counter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
