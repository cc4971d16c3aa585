/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's statistics, shell, enumeration and Zephyr basic groups: counters that
 * follow time and traffic, a shell with a few commands, the group list, and erasing storage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/basic.h>
#include <dfu-smp/mgmt/enum.h>
#include <dfu-smp/mgmt/fs.h>
#include <dfu-smp/mgmt/os.h>
#include <dfu-smp/mgmt/settings.h>
#include <dfu-smp/mgmt/shell.h>
#include <dfu-smp/mgmt/stat.h>
#include "../mgmt/cbor_reader.h"
#include "sim_harness.h"

#define V1 DFU_SMP_PROTO_V1
#define V2 DFU_SMP_PROTO_V2
#define R DFU_SMP_OP_READ
#define W DFU_SMP_OP_WRITE
#define S 1000000ull

/* ---- statistics ---- */

/* Shows stats group @p name at @p now_us; the answer stays open for the caller. */
static const cbor_item_t *stat_show(struct sim_device *dev, uint64_t now_us, const char *name,
				    struct answer *a)
{
	struct payload p;
	size_t n = payload_text(&p, "name", name);
	const cbor_item_t *fields;
	char text[40];

	call_at(dev, now_us, R, V2, DFU_SMP_MGMT_GROUP_STAT, DFU_SMP_MGMT_STAT_SHOW, p.buf, n, a);
	expect_ok(a);
	assert_string_equal(get_text(a->map, "name", text, sizeof(text)), name);
	fields = get(a->map, "fields");
	assert_true(cbor_isa_map(fields) && cbor_map_is_indefinite(fields));
	return fields;
}

static void stat_list_names_every_group(void **state)
{
	static const char *const names[] = { "smp_svr_stats", "smp", "storage" };
	struct sim_device *dev = *state;
	const cbor_item_t *list;
	struct answer a, shown;

	call(dev, R, V2, DFU_SMP_MGMT_GROUP_STAT, DFU_SMP_MGMT_STAT_LIST, empty, sizeof(empty), &a);
	expect_ok(&a);
	list = get(a.map, "stat_list");
	assert_true(cbor_isa_array(list) && cbor_array_is_indefinite(list));
	assert_int_equal(cbor_array_size(list), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_true(text_is(cbor_array_handle(list)[i], names[i]));
		/* each listed group can be shown, its counters as unsigned integers */
		assert_true(cbor_map_size(stat_show(dev, 0, names[i], &shown)) > 0);
		answer_close(&shown);
	}
	answer_close(&a);
}

static void stat_counters_follow_time_and_traffic(void **state)
{
	struct sim_device *dev = *state;
	const cbor_item_t *f;
	struct answer a;

	f = stat_show(dev, 5 * S + 500000, "smp_svr_stats", &a);
	assert_int_equal(cbor_map_size(f), 1);
	assert_int_equal(get_uint(f, "ticks"), 5);
	answer_close(&a);

	/* this request and the one before; one response so far */
	f = stat_show(dev, 0, "smp", &a);
	assert_int_equal(get_uint(f, "rx_msgs"), 2);
	assert_int_equal(get_uint(f, "tx_msgs"), 1);
	assert_int_equal(get_uint(f, "errors"), 0);
	answer_close(&a);
	/* an error answer counts */
	call(dev, R, V2, DFU_SMP_MGMT_GROUP_STAT, DFU_SMP_MGMT_STAT_SHOW, empty, sizeof(empty), &a);
	answer_close(&a);
	f = stat_show(dev, 0, "smp", &a);
	assert_int_equal(get_uint(f, "rx_msgs"), 4);
	assert_int_equal(get_uint(f, "tx_msgs"), 3);
	assert_int_equal(get_uint(f, "errors"), 1);
	assert_true(get_uint(f, "rx_bytes") > 4 * DFU_SMP_HDR_SIZE);
	assert_true(get_uint(f, "tx_bytes") > 3 * DFU_SMP_HDR_SIZE);
	answer_close(&a);

	/* storage: a file upload and a settings save */
	f = stat_show(dev, 0, "storage", &a);
	assert_int_equal(get_uint(f, "writes"), 0);
	assert_int_equal(get_uint(f, "bytes_written"), 0);
	answer_close(&a);
	fs_upload(dev, "/lfs/a", (const uint8_t *)"0123456789", 10, 0);
	f = stat_show(dev, 0, "storage", &a);
	assert_int_equal(get_uint(f, "writes"), 1);
	assert_int_equal(get_uint(f, "bytes_written"), 10);
	answer_close(&a);
	settings_write(dev, "app/x", "y", 1);
	settings_save(dev);
	f = stat_show(dev, 0, "storage", &a);
	assert_true(get_uint(f, "writes") > 1);
	answer_close(&a);

	/* RAM counters: a reboot starts them again */
	sim_device_reboot(dev, 10 * S);
	f = stat_show(dev, 12 * S, "smp_svr_stats", &a);
	assert_int_equal(get_uint(f, "ticks"), 2);
	answer_close(&a);
	f = stat_show(dev, 12 * S, "smp", &a);
	assert_int_equal(get_uint(f, "rx_msgs"), 2);
	assert_int_equal(get_uint(f, "tx_msgs"), 1);
	assert_int_equal(get_uint(f, "errors"), 0);
	answer_close(&a);
	f = stat_show(dev, 12 * S, "storage", &a);
	assert_int_equal(get_uint(f, "writes"), 0);
	answer_close(&a);
}

static void stat_errors(void **state)
{
	struct sim_device *dev = *state;
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	size_t n;

	n = payload_text(&p, "name", "bt");
	expect_both_err(dev, R, DFU_SMP_MGMT_GROUP_STAT, DFU_SMP_MGMT_STAT_SHOW, p.buf, n, 3,
			DFU_SMP_MGMT_ERR_ENOENT);
	n = payload_text(&p, "name", "sm");
	expect_both_err(dev, R, DFU_SMP_MGMT_GROUP_STAT, DFU_SMP_MGMT_STAT_SHOW, p.buf, n, 3,
			DFU_SMP_MGMT_ERR_ENOENT);
	expect_both_rc(dev, R, DFU_SMP_MGMT_GROUP_STAT, DFU_SMP_MGMT_STAT_SHOW, empty,
		       sizeof(empty), DFU_SMP_MGMT_ERR_EINVAL);
	n = payload_text(&p, "name", "");
	expect_both_rc(dev, R, DFU_SMP_MGMT_GROUP_STAT, DFU_SMP_MGMT_STAT_SHOW, p.buf, n,
		       DFU_SMP_MGMT_ERR_EINVAL);
	n = payload_text(&p, "name", "0123456789012345678901234567890123");
	expect_both_rc(dev, R, DFU_SMP_MGMT_GROUP_STAT, DFU_SMP_MGMT_STAT_SHOW, p.buf, n,
		       DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "name");
	dfu_smp_mgmt_cbor_uint(w, 1);
	expect_both_rc(dev, R, DFU_SMP_MGMT_GROUP_STAT, DFU_SMP_MGMT_STAT_SHOW, p.buf, w->len,
		       DFU_SMP_MGMT_ERR_EINVAL);
	expect_both_rc(dev, W, DFU_SMP_MGMT_GROUP_STAT, DFU_SMP_MGMT_STAT_LIST, empty,
		       sizeof(empty), DFU_SMP_MGMT_ERR_ENOTSUP);
}

/* ---- shell ---- */

/* Runs @p argv (@p argc words) at @p now_us and expects output @p out and return code @p ret. */
static void shell_is(struct sim_device *dev, uint64_t now_us, size_t argc,
		     const char *const *argv, const char *out, int64_t ret)
{
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w = payload_map(&p, 1);
	struct answer a;
	char text[400];

	dfu_smp_mgmt_cbor_text(w, "argv");
	dfu_smp_mgmt_cbor_array(w, argc);
	for (size_t i = 0; i < argc; i++) {
		dfu_smp_mgmt_cbor_text(w, argv[i]);
	}
	call_at(dev, now_us, W, V2, DFU_SMP_MGMT_GROUP_SHELL, DFU_SMP_MGMT_SHELL_EXEC, p.buf,
		w->len, &a);
	expect_ok(&a);
	get_text(a.map, "o", text, sizeof(text));
	if (strstr(out, "*") == out) {
		assert_non_null(strstr(text, out + 1));
	} else {
		assert_string_equal(text, out);
	}
	assert_int_equal(get_int(a.map, "ret"), ret);
	assert_null(dfu_smp_mgmt_cbor_find(a.map, "rc"));
	answer_close(&a);
}

#define SHELL(dev, out, ret, ...)                                                               \
	do {                                                                                    \
		const char *const argv_[] = { __VA_ARGS__ };                                    \
		shell_is(dev, 1234567, sizeof(argv_) / sizeof(argv_[0]), argv_, out, ret);      \
	} while (0)

/* Zephyr's shell output starts on a new line; its own errors are in red (VT100 colours). */
#define NL "\r\n"
#define RED(text) "\x1b[1;31m" text "\x1b[m"

static void shell_runs_commands(void **state)
{
	struct sim_device *dev = *state;

	SHELL(dev, NL "hello world\r\n", 0, "echo", "hello", "world");
	/* the line is joined, then split again */
	SHELL(dev, NL "a b c\r\n", 0, "echo", "a  b", "c");
	SHELL(dev, NL "\r\n", 0, "echo");
	SHELL(dev, NL "Zephyr version 4.4.0\r\n", 0, "kernel", "version");
	SHELL(dev, NL "Zephyr version 4.4.0\r\n", 0, "kernel", "version", "extra");
	SHELL(dev, NL "Uptime: 1234 ms\r\n", 0, "kernel", "uptime");
	SHELL(dev, NL "uptime: 0 days, 0 hours, 0 minutes, 1 seconds, 234 milliseconds\r\n", 0,
	      "kernel", "uptime", "-p");
	SHELL(dev, NL RED("Unsupported option: -x\r\n"), -5, "kernel", "uptime", "-x");
	SHELL(dev, "*devices:\r\n- ", 0, "device", "list");
	SHELL(dev, NL "devices:\r\n- rtc@4000b000 (READY)\r\n", 0, "device", "list", "rtc");
	SHELL(dev, "*  kernel  : Kernel commands\r\n", 0, "help");
	/* a shell's own errors are a successful exec with the command's code */
	SHELL(dev, NL RED("reboot: command not found\r\n"), -8, "reboot");
	/* a command with subcommands and no handler prints its help (SHELL_CMD_HELP_PRINTED) */
	SHELL(dev, NL "kernel - Kernel commands\r\nSubcommands:\r\n"
		  "  uptime   : Kernel uptime. Can be called with the -p or --pretty options\r\n"
		  "  version  : Kernel version.\r\n", 1, "kernel");
	SHELL(dev, "*kernel - Kernel commands\r\n", 1, "kernel", "cycles");
	SHELL(dev, NL "device - Device commands\r\nSubcommands:\r\n"
		  "  list  : List configured devices, with an optional filter\r\n"
		  "\x1b[10CUsage: list [<device filter>]\r\n", 1, "device");
	SHELL(dev, NL RED("list: wrong parameter count\r\n"), -22, "device", "list", "a", "b");
	SHELL(dev, NL, -8, "");
	SHELL(dev, NL RED("Too many arguments in the command.\r\n"), -8, "echo", "1", "2", "3",
	      "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18",
	      "19", "20");

	/* uptime counts from the last boot */
	sim_device_reboot(dev, 1000000);
	SHELL(dev, NL "Uptime: 234 ms\r\n", 0, "kernel", "uptime");
}

static void shell_errors(void **state)
{
	struct sim_device *dev = *state;
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	char word[200];

	/* nothing to run */
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "argv");
	dfu_smp_mgmt_cbor_array(w, 0);
	expect_both_err(dev, W, DFU_SMP_MGMT_GROUP_SHELL, DFU_SMP_MGMT_SHELL_EXEC, p.buf, w->len, 3,
			DFU_SMP_MGMT_ERR_EINVAL);
	/* longer than the shell's 256-byte line */
	memset(word, 'x', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "argv");
	dfu_smp_mgmt_cbor_array(w, 3);
	dfu_smp_mgmt_cbor_text(w, "echo");
	dfu_smp_mgmt_cbor_text(w, word);
	dfu_smp_mgmt_cbor_text(w, word);
	expect_both_err(dev, W, DFU_SMP_MGMT_GROUP_SHELL, DFU_SMP_MGMT_SHELL_EXEC, p.buf, w->len, 2,
			DFU_SMP_MGMT_ERR_EINVAL);
	/* no argv, argv not an array, an argument not a text string */
	expect_both_rc(dev, W, DFU_SMP_MGMT_GROUP_SHELL, DFU_SMP_MGMT_SHELL_EXEC, empty,
		       sizeof(empty), DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "argv");
	dfu_smp_mgmt_cbor_text(w, "kernel uptime");
	expect_both_rc(dev, W, DFU_SMP_MGMT_GROUP_SHELL, DFU_SMP_MGMT_SHELL_EXEC, p.buf, w->len,
		       DFU_SMP_MGMT_ERR_EINVAL);
	/* the line ends at an argument that is not a text string (observed) */
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "argv");
	dfu_smp_mgmt_cbor_array(w, 1);
	dfu_smp_mgmt_cbor_uint(w, 5);
	expect_both_err(dev, W, DFU_SMP_MGMT_GROUP_SHELL, DFU_SMP_MGMT_SHELL_EXEC, p.buf, w->len, 3,
			DFU_SMP_MGMT_ERR_EINVAL);
	/* exec is a write */
	expect_both_rc(dev, R, DFU_SMP_MGMT_GROUP_SHELL, DFU_SMP_MGMT_SHELL_EXEC, empty,
		       sizeof(empty), DFU_SMP_MGMT_ERR_ENOTSUP);
}

/* ---- enumeration ---- */

static void enum_count_and_list_follow_the_device(void **state)
{
	struct sim_device *dev = *state;
	size_t count;
	const struct sim_group *const *groups = sim_device_groups(&count);
	const cbor_item_t *list;
	struct answer a;
	bool seen[64] = { false };

	call(dev, R, V2, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_COUNT, empty, sizeof(empty),
	     &a);
	expect_ok(&a);
	assert_int_equal(get_uint(a.map, "count"), count);
	answer_close(&a);

	call(dev, R, V1, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_LIST, empty, sizeof(empty), &a);
	expect_ok(&a);
	list = get(a.map, "groups");
	assert_true(cbor_array_is_indefinite(list));
	assert_int_equal(cbor_array_size(list), count);
	for (size_t i = 0; i < count; i++) {
		uint64_t id;

		assert_int_equal(dfu_smp_mgmt_cbor_get_uint(cbor_array_handle(list)[i], &id), 0);
		assert_int_equal(id, groups[i]->id);
		assert_true(id < 64);
		seen[id] = true;
	}
	answer_close(&a);
	assert_true(seen[0] && seen[2] && seen[3] && seen[8] && seen[9] && seen[10] && seen[63]);
	/* Zephyr's order: by handler name, enum_mgmt first (observed: 10, 8, 0, 3, 9, 2, 63) */
	assert_int_equal(groups[0]->id, DFU_SMP_MGMT_GROUP_ENUM);
	assert_int_equal(groups[1]->id, DFU_SMP_MGMT_GROUP_FS);
	assert_int_equal(groups[count - 1]->id, DFU_SMP_MGMT_GROUP_ZEPHYR_BASIC);
}

static void enum_single_walks_the_list(void **state)
{
	struct sim_device *dev = *state;
	size_t count;
	const struct sim_group *const *groups = sim_device_groups(&count);
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	struct answer a;

	for (size_t i = 0; i < count; i++) {
		w = payload_map(&p, 1);
		dfu_smp_mgmt_cbor_text(w, "index");
		dfu_smp_mgmt_cbor_uint(w, i);
		call(dev, R, V2, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_SINGLE, p.buf, w->len,
		     &a);
		expect_ok(&a);
		assert_int_equal(get_uint(a.map, "group"), groups[i]->id);
		if (i == count - 1) {
			assert_true(get_bool(a.map, "end"));
		} else {
			assert_null(dfu_smp_mgmt_cbor_find(a.map, "end"));
		}
		answer_close(&a);
	}
	/* no index: the first */
	call(dev, R, V2, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_SINGLE, empty, sizeof(empty),
	     &a);
	expect_ok(&a);
	assert_int_equal(get_uint(a.map, "group"), groups[0]->id);
	answer_close(&a);

	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "index");
	dfu_smp_mgmt_cbor_uint(w, count);
	expect_both_err(dev, R, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_SINGLE, p.buf, w->len, 4,
			DFU_SMP_MGMT_ERR_EUNKNOWN);
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "index");
	dfu_smp_mgmt_cbor_uint(w, 65536);
	expect_both_rc(dev, R, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_SINGLE, p.buf, w->len,
		       DFU_SMP_MGMT_ERR_EINVAL);
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "index");
	dfu_smp_mgmt_cbor_int(w, -1);
	expect_both_rc(dev, R, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_SINGLE, p.buf, w->len,
		       DFU_SMP_MGMT_ERR_EINVAL);
}

static uint64_t handlers_of(const cbor_item_t *list, uint16_t group, char *name, size_t cap)
{
	for (size_t i = 0; i < cbor_array_size(list); i++) {
		const cbor_item_t *d = cbor_array_handle(list)[i];

		if (get_uint(d, "group") == group) {
			get_text(d, "name", name, cap);
			return get_uint(d, "handlers");
		}
	}
	fail_msg("group %u not in details", group);
	return 0;
}

static void enum_details(void **state)
{
	struct sim_device *dev = *state;
	size_t count;
	const cbor_item_t *list;
	struct payload p;
	struct dfu_smp_mgmt_cbor_writer *w;
	struct answer a;
	char name[32];

	sim_device_groups(&count);
	call(dev, R, V2, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_DETAILS, empty, sizeof(empty),
	     &a);
	expect_ok(&a);
	list = get(a.map, "groups");
	assert_int_equal(cbor_array_size(list), count);
	/* the size of each command table: highest command ID + 1 */
	assert_int_equal(handlers_of(list, DFU_SMP_MGMT_GROUP_OS, name, sizeof(name)), 9);
	assert_string_equal(name, "os mgmt"); /* Zephyr's group names (observed) */
	assert_int_equal(handlers_of(list, DFU_SMP_MGMT_GROUP_STAT, name, sizeof(name)), 2);
	assert_int_equal(handlers_of(list, DFU_SMP_MGMT_GROUP_SETTINGS, name, sizeof(name)), 4);
	assert_int_equal(handlers_of(list, DFU_SMP_MGMT_GROUP_FS, name, sizeof(name)), 5);
	assert_int_equal(handlers_of(list, DFU_SMP_MGMT_GROUP_SHELL, name, sizeof(name)), 1);
	assert_int_equal(handlers_of(list, DFU_SMP_MGMT_GROUP_ENUM, name, sizeof(name)), 4);
	assert_int_equal(handlers_of(list, DFU_SMP_MGMT_GROUP_ZEPHYR_BASIC, name, sizeof(name)), 1);
	assert_string_equal(name, "zephyr basic mgmt");
	answer_close(&a);

	/* only those asked for, in the device's order; unknown IDs are skipped */
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "groups");
	dfu_smp_mgmt_cbor_array(w, 3);
	dfu_smp_mgmt_cbor_uint(w, 63);
	dfu_smp_mgmt_cbor_uint(w, 999);
	dfu_smp_mgmt_cbor_uint(w, 8);
	call(dev, R, V2, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_DETAILS, p.buf, w->len, &a);
	expect_ok(&a);
	list = get(a.map, "groups");
	assert_int_equal(cbor_array_size(list), 2);
	assert_int_equal(get_uint(cbor_array_handle(list)[0], "group"), 8);
	assert_int_equal(get_uint(cbor_array_handle(list)[1], "group"), 63);
	answer_close(&a);

	/* Zephyr takes an empty list, or something that is not a list, as "all" */
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "groups");
	dfu_smp_mgmt_cbor_array(w, 0);
	call(dev, R, V2, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_DETAILS, p.buf, w->len, &a);
	expect_ok(&a);
	assert_int_equal(cbor_array_size(get(a.map, "groups")), count);
	answer_close(&a);
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "groups");
	dfu_smp_mgmt_cbor_uint(w, 8);
	call(dev, R, V2, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_DETAILS, p.buf, w->len, &a);
	expect_ok(&a);
	assert_int_equal(cbor_array_size(get(a.map, "groups")), count);
	answer_close(&a);

	/* but not a list of something other than group IDs */
	w = payload_map(&p, 1);
	dfu_smp_mgmt_cbor_text(w, "groups");
	dfu_smp_mgmt_cbor_array(w, 1);
	dfu_smp_mgmt_cbor_text(w, "fs");
	expect_both_rc(dev, R, DFU_SMP_MGMT_GROUP_ENUM, DFU_SMP_MGMT_ENUM_DETAILS, p.buf, w->len,
		       DFU_SMP_MGMT_ERR_EINVAL);
}

/* ---- Zephyr basic ---- */

static void erase_storage_erases_settings_and_files(void **state)
{
	struct sim_device *dev = *state;
	uint8_t buf[128];
	struct payload p;
	struct answer a;
	size_t n;

	fs_upload(dev, "/lfs/a", (const uint8_t *)"abc", 3, 0);
	settings_write(dev, "bt/name", "erased-soon", 11);
	settings_save(dev);

	call(dev, W, V2, DFU_SMP_MGMT_GROUP_ZEPHYR_BASIC, DFU_SMP_MGMT_BASIC_ERASE_STORAGE, empty,
	     sizeof(empty), &a);
	expect_ok(&a);
	assert_int_equal(cbor_map_size(a.map), 0);
	answer_close(&a);

	/* littlefs, still mounted, finds no valid metadata: every file fails (FS err 1,
	 * observed) until a reboot mounts the volume again, formatted */
	n = payload_text(&p, "name", "/lfs/a");
	expect_both_err(dev, R, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_STATUS, p.buf, n, 1,
			DFU_SMP_MGMT_ERR_EUNKNOWN);
	/* the running firmware keeps its RAM copy until it reboots */
	n = payload_text(&p, "name", "bt/name");
	call(dev, R, V2, DFU_SMP_MGMT_GROUP_SETTINGS, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, n, &a);
	expect_ok(&a);
	assert_int_equal(get_bytes(a.map, "val", buf, sizeof(buf)), 11);
	answer_close(&a);
	sim_device_reboot(dev, 1000);
	n = payload_text(&p, "name", "/lfs/a");
	expect_both_err(dev, R, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_STATUS, p.buf, n, 3,
			DFU_SMP_MGMT_ERR_ENOENT);
	n = payload_text(&p, "name", "bt/name");
	call(dev, R, V2, DFU_SMP_MGMT_GROUP_SETTINGS, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, n, &a);
	expect_ok(&a);
	assert_int_equal(get_bytes(a.map, "val", buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "dfu-smp-sim", 11);
	answer_close(&a);

	expect_both_rc(dev, R, DFU_SMP_MGMT_GROUP_ZEPHYR_BASIC, DFU_SMP_MGMT_BASIC_ERASE_STORAGE,
		       empty, sizeof(empty), DFU_SMP_MGMT_ERR_ENOTSUP);
	expect_both_rc(dev, W, DFU_SMP_MGMT_GROUP_ZEPHYR_BASIC, 1, empty, sizeof(empty),
		       DFU_SMP_MGMT_ERR_ENOTSUP);
}

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(stat_list_names_every_group),
		T(stat_counters_follow_time_and_traffic),
		T(stat_errors),
		T(shell_runs_commands),
		T(shell_errors),
		T(enum_count_and_list_follow_the_device),
		T(enum_single_walks_the_list),
		T(enum_details),
		T(erase_storage_erases_settings_and_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
