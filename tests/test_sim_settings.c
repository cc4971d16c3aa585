/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's settings group: the handlers' RAM values (read, write), the storage
 * behind them (save, delete, load) and what a reboot keeps, with the errors in both versions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/settings.h>
#include "../mgmt/cbor_reader.h"
#include "sim_harness.h"

#define G DFU_SMP_MGMT_GROUP_SETTINGS
#define V1 DFU_SMP_PROTO_V1
#define V2 DFU_SMP_PROTO_V2
#define R DFU_SMP_OP_READ
#define W DFU_SMP_OP_WRITE

/*
 * Reads @p name (with max_size when >= 0) and expects @p val.
 * @return the answer's max_size, or -1 without one.
 */
static int64_t read_is(struct sim_device *dev, const char *name, int64_t max_size,
		       const void *val, size_t len)
{
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w = payload_map(&p, max_size >= 0 ? 2 : 1);
	struct answer a;
	uint8_t got[300];
	int64_t limit = -1;

	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, name);
	if (max_size >= 0) {
		dfu_smp_mgmt_cbor_text(w, "max_size");
		dfu_smp_mgmt_cbor_uint(w, (uint64_t)max_size);
	}
	call(dev, R, V2, G, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, w->len, &a);
	expect_ok(&a);
	assert_int_equal(get_bytes(a.map, "val", got, sizeof(got)), len);
	assert_memory_equal(got, val, len);
	if (dfu_smp_mgmt_cbor_find(a.map, "max_size")) {
		limit = (int64_t)get_uint(a.map, "max_size");
	}
	answer_close(&a);
	return limit;
}

/* A command whose payload is `{}` or `{"name": name}` and whose answer is `{}`. */
static void run(struct sim_device *dev, uint8_t op, uint8_t id, const char *name)
{
	struct payload p;
	size_t n = name ? payload_text(&p, "name", name) : 1;
	struct answer a;

	if (!name) {
		p.buf[0] = 0xa0;
	}
	call(dev, op, V2, G, id, p.buf, n, &a);
	expect_ok(&a);
	assert_int_equal(cbor_map_size(a.map), 0);
	answer_close(&a);
}

static void missing_setting(struct sim_device *dev, const char *name, int group_rc, int v1_rc)
{
	struct payload p;
	size_t n = payload_text(&p, "name", name);

	expect_both_err(dev, R, G, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, n, group_rc, v1_rc);
}

static void reads_the_firmware_defaults(void **state)
{
	struct sim_device *dev = *state;

	read_is(dev, "app/name", -1, "smp_svr", 7);
	read_is(dev, "bt/name", -1, "dfu-smp-sim", 11);
	read_is(dev, "app/led_ms", -1, "\xf4\x01\x00\x00", 4);
}

static void read_honours_max_size(void **state)
{
	struct sim_device *dev = *state;
	uint8_t big[100];

	for (size_t i = 0; i < sizeof(big); i++) {
		big[i] = (uint8_t)i;
	}
	assert_int_equal(read_is(dev, "bt/name", 3, "dfu", 3), -1);
	assert_int_equal(read_is(dev, "bt/name", 0, "", 0), -1);
	/* asking for more than the device's 64-byte buffer: it says so */
	assert_int_equal(read_is(dev, "bt/name", 1000, "dfu-smp-sim", 11), 64);
	settings_write(dev, "app/blob", big, sizeof(big));
	assert_int_equal(read_is(dev, "app/blob", -1, big, 64), -1);
	assert_int_equal(read_is(dev, "app/blob", 100, big, 64), 64);
	assert_int_equal(read_is(dev, "app/blob", 10, big, 10), -1);
}

static void missing_keys_and_roots(void **state)
{
	struct sim_device *dev = *state;

	/* a root with a handler that does not know the key */
	missing_setting(dev, "app/nope", 3, DFU_SMP_MGMT_ERR_ENOENT);
	missing_setting(dev, "bt", 3, DFU_SMP_MGMT_ERR_ENOENT);
	/* no handler for the root: what real devices answer for a missing setting */
	missing_setting(dev, "nosuch/key", 5, DFU_SMP_MGMT_ERR_EUNKNOWN);
	missing_setting(dev, "application/name", 5, DFU_SMP_MGMT_ERR_EUNKNOWN);
	/* names must be shorter than 32 bytes */
	missing_setting(dev, "app/0123456789012345678901234567", 2, DFU_SMP_MGMT_ERR_EINVAL);
	missing_setting(dev, "app/012345678901234567890123456", 3, DFU_SMP_MGMT_ERR_ENOENT);
}

static void malformed_requests_get_einval(void **state)
{
	struct sim_device *dev = *state;
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	size_t n;

	/* no name, an empty one, or one of the wrong type */
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_SETTINGS_VALUE, empty, sizeof(empty),
		       DFU_SMP_MGMT_ERR_EINVAL);
	n = payload_text(&p, "name", "");
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, n, DFU_SMP_MGMT_ERR_EINVAL);
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_SETTINGS_DELETE, p.buf, n, DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_bytes(w, (const uint8_t *)"bt/name", 7);
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, w->len,
		       DFU_SMP_MGMT_ERR_EINVAL);
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, w->len,
		       DFU_SMP_MGMT_ERR_EINVAL);
	/* max_size not an unsigned 32-bit integer */
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "bt/name");
	dfu_smp_mgmt_cbor_text(w, "max_size");
	dfu_smp_mgmt_cbor_int(w, -1);
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, w->len,
		       DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "bt/name");
	dfu_smp_mgmt_cbor_text(w, "max_size");
	dfu_smp_mgmt_cbor_uint(w, 0x100000000ull);
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, w->len,
		       DFU_SMP_MGMT_ERR_EINVAL);
	/* val as a text string */
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "bt/name");
	dfu_smp_mgmt_cbor_text(w, "val");
	dfu_smp_mgmt_cbor_text(w, "oops");
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, w->len,
		       DFU_SMP_MGMT_ERR_EINVAL);
	/* save's subtree as a number */
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_uint(w, 3);
	expect_both_rc(dev, W, G, DFU_SMP_MGMT_SETTINGS_LOAD_SAVE, p.buf, w->len,
		       DFU_SMP_MGMT_ERR_EINVAL);
	/* the default survived all of it */
	read_is(dev, "bt/name", -1, "dfu-smp-sim", 11);
}

static void write_errors(void **state)
{
	struct sim_device *dev = *state;
	static const uint8_t big[257];
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	struct answer a;

	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "wifi/ssid");
	dfu_smp_mgmt_cbor_text(w, "val");
	dfu_smp_mgmt_cbor_bytes(w, (const uint8_t *)"home", 4);
	expect_both_err(dev, W, G, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, w->len, 5,
			DFU_SMP_MGMT_ERR_EUNKNOWN);
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "app/01234567890123456789012345678");
	dfu_smp_mgmt_cbor_text(w, "val");
	dfu_smp_mgmt_cbor_bytes(w, (const uint8_t *)"x", 1);
	expect_both_err(dev, W, G, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, w->len, 2,
			DFU_SMP_MGMT_ERR_EINVAL);
	/* more than the handler keeps */
	w = payload_map(&p, 2);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "app/big");
	dfu_smp_mgmt_cbor_text(w, "val");
	dfu_smp_mgmt_cbor_bytes(w, big, sizeof(big));
	expect_both_err(dev, W, G, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, w->len, 1,
			DFU_SMP_MGMT_ERR_EUNKNOWN);
	missing_setting(dev, "app/big", 3, DFU_SMP_MGMT_ERR_ENOENT);
	/* no val: an empty value, as zcbor's optional keys leave it */
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_text(w, "app/name");
	call(dev, W, V1, G, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, w->len, &a);
	expect_ok(&a);
	answer_close(&a);
	read_is(dev, "app/name", -1, "", 0);
}

static void writes_live_in_ram_until_saved(void **state)
{
	struct sim_device *dev = *state;

	settings_write(dev, "bt/name", "sensor-7", 8);
	settings_write(dev, "app/color", "red", 3);
	read_is(dev, "bt/name", -1, "sensor-7", 8);
	read_is(dev, "app/color", -1, "red", 3);
	run(dev, W, DFU_SMP_MGMT_SETTINGS_COMMIT, NULL);

	/* nothing was saved: a reboot brings back the defaults */
	sim_device_reboot(dev, 1000);
	read_is(dev, "bt/name", -1, "dfu-smp-sim", 11);
	missing_setting(dev, "app/color", 3, DFU_SMP_MGMT_ERR_ENOENT);

	/* saved, they come back after a reboot */
	settings_write(dev, "bt/name", "sensor-7", 8);
	settings_write(dev, "app/color", "red", 3);
	run(dev, W, DFU_SMP_MGMT_SETTINGS_LOAD_SAVE, NULL);
	sim_device_reboot(dev, 2000);
	read_is(dev, "bt/name", -1, "sensor-7", 8);
	read_is(dev, "app/color", -1, "red", 3);
}

static void save_can_be_limited_to_a_subtree(void **state)
{
	struct sim_device *dev = *state;

	settings_write(dev, "bt/name", "only-bt", 7);
	settings_write(dev, "app/name", "not-saved", 9);
	/* "app" is a root of its own, not a prefix of "app2" */
	missing_setting(dev, "app2/x", 5, DFU_SMP_MGMT_ERR_EUNKNOWN);
	run(dev, W, DFU_SMP_MGMT_SETTINGS_LOAD_SAVE, "bt");
	sim_device_reboot(dev, 1000);
	read_is(dev, "bt/name", -1, "only-bt", 7);
	read_is(dev, "app/name", -1, "smp_svr", 7);
}

static void load_brings_back_stored_values(void **state)
{
	struct sim_device *dev = *state;

	settings_write(dev, "app/name", "stored", 6);
	run(dev, W, DFU_SMP_MGMT_SETTINGS_LOAD_SAVE, NULL);
	settings_write(dev, "app/name", "changed", 7);
	settings_write(dev, "app/other", "kept", 4);
	read_is(dev, "app/name", -1, "changed", 7);
	run(dev, R, DFU_SMP_MGMT_SETTINGS_LOAD_SAVE, NULL);
	read_is(dev, "app/name", -1, "stored", 6);
	/* load only sets what storage holds */
	read_is(dev, "app/other", -1, "kept", 4);
}

static void delete_removes_the_stored_value(void **state)
{
	struct sim_device *dev = *state;

	settings_write(dev, "app/name", "stored", 6);
	run(dev, W, DFU_SMP_MGMT_SETTINGS_LOAD_SAVE, NULL);
	run(dev, W, DFU_SMP_MGMT_SETTINGS_DELETE, "app/name");
	/* the handler keeps its value until the next boot */
	read_is(dev, "app/name", -1, "stored", 6);
	sim_device_reboot(dev, 1000);
	read_is(dev, "app/name", -1, "smp_svr", 7);
	/* deleting what is not stored is fine */
	run(dev, W, DFU_SMP_MGMT_SETTINGS_DELETE, "app/name");
	run(dev, W, DFU_SMP_MGMT_SETTINGS_DELETE, "nosuch/key");
}

static void wrong_ops_get_enotsup(void **state)
{
	struct sim_device *dev = *state;

	expect_both_rc(dev, R, G, DFU_SMP_MGMT_SETTINGS_DELETE, empty, sizeof(empty),
		       DFU_SMP_MGMT_ERR_ENOTSUP);
	expect_both_rc(dev, R, G, DFU_SMP_MGMT_SETTINGS_COMMIT, empty, sizeof(empty),
		       DFU_SMP_MGMT_ERR_ENOTSUP);
	expect_both_rc(dev, R, G, 4, empty, sizeof(empty), DFU_SMP_MGMT_ERR_ENOTSUP);
}

static void version_1_only_device(void **state)
{
	const struct sim_device_config cfg = { .v1_only = true };
	struct sim_device dev;
	struct payload p;
	struct answer a;
	size_t n;

	(void)state;
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	n = payload_text(&p, "name", "app/nope");
	call(&dev, R, V2, G, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, n, &a);
	assert_int_equal(a.hdr.version, V1);
	expect_rc(&a, DFU_SMP_MGMT_ERR_ENOENT);
	answer_close(&a);
	read_is(&dev, "app/name", -1, "smp_svr", 7);
	sim_device_free(&dev);
}

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(reads_the_firmware_defaults),
		T(read_honours_max_size),
		T(missing_keys_and_roots),
		T(malformed_requests_get_einval),
		T(write_errors),
		T(writes_live_in_ram_until_saved),
		T(save_can_be_limited_to_a_subtree),
		T(load_brings_back_stored_values),
		T(delete_removes_the_stored_value),
		T(wrong_ops_get_enotsup),
		cmocka_unit_test(version_1_only_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
