/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's persistent state: settings and files kept in a host directory across
 * runs and kills, its layout, erasing it, and the errors of a directory that cannot be used.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <dfu-smp/mgmt/basic.h>
#include <dfu-smp/mgmt/fs.h>
#include <dfu-smp/mgmt/settings.h>
#include "../sim/hostfs.h"
#include "sim_harness.h"

#define V2 DFU_SMP_PROTO_V2
#define R DFU_SMP_OP_READ
#define W DFU_SMP_OP_WRITE

/* A fresh temporary directory per test, removed afterwards. */
static int setup(void **state)
{
	char *dir = strdup("/tmp/dfu-smp-state-XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(sim_hostfs_remove(*state), 0);
	free(*state);
	return 0;
}

static void open_device(struct sim_device *dev, const char *dir)
{
	const struct sim_device_config cfg = { .state_dir = dir, .buf_size = 512 };

	assert_int_equal(sim_device_init(dev, &cfg), 0);
}

static uint8_t *pattern(size_t len)
{
	uint8_t *data = malloc(len ? len : 1);

	assert_non_null(data);
	for (size_t i = 0; i < len; i++) {
		data[i] = (uint8_t)(i * 7 + i / 251);
	}
	return data;
}

static void upload(struct sim_device *dev, const char *name, const uint8_t *data, size_t len)
{
	assert_int_equal(fs_upload(dev, name, data, len, 0), len);
}

/* Expects file @p name to hold exactly @p data, read back through SMP. */
static void file_is(struct sim_device *dev, const char *name, const uint8_t *data, size_t len)
{
	size_t back_len;
	uint8_t *back = fs_download(dev, name, &back_len);

	assert_int_equal(back_len, len);
	if (len) {
		assert_memory_equal(back, data, len);
	}
	free(back);
}

static void missing_file(struct sim_device *dev, const char *name)
{
	struct payload p;
	size_t n = payload_text(&p, "name", name);

	expect_both_err(dev, R, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_STATUS, p.buf, n, 3,
			DFU_SMP_MGMT_ERR_ENOENT);
}

static void write_setting(struct sim_device *dev, const char *name, const char *val, bool save)
{
	settings_write(dev, name, val, strlen(val));
	if (save) {
		settings_save(dev);
	}
}

/* Expects setting @p name to read @p val, or to be missing (KEY_NOT_FOUND) when NULL. */
static void setting_is(struct sim_device *dev, const char *name, const char *val)
{
	struct payload p;
	size_t n = payload_text(&p, "name", name);
	struct answer a;
	uint8_t got[64];

	call(dev, R, V2, DFU_SMP_MGMT_GROUP_SETTINGS, DFU_SMP_MGMT_SETTINGS_VALUE, p.buf, n, &a);
	if (!val) {
		expect_group_err(&a, DFU_SMP_MGMT_GROUP_SETTINGS, 3);
	} else {
		expect_ok(&a);
		assert_int_equal(get_bytes(a.map, "val", got, sizeof(got)), strlen(val));
		assert_memory_equal(got, val, strlen(val));
	}
	answer_close(&a);
}

static char *path_in(const char *dir, const char *name)
{
	char *path = sim_hostfs_join(dir, name);

	assert_non_null(path);
	return path;
}

static bool exists(const char *dir, const char *name)
{
	char *path = path_in(dir, name);
	struct stat st;
	bool found = stat(path, &st) == 0;

	free(path);
	return found;
}

static void state_survives_a_new_run(void **state)
{
	const char *dir = *state;
	struct sim_device dev;
	size_t big = 100 * 1024;
	uint8_t *data = pattern(big);

	open_device(&dev, dir);
	upload(&dev, "/lfs/big.bin", data, big);
	upload(&dev, "/lfs/one", data, 1);
	upload(&dev, "/lfs/empty", NULL, 0);
	write_setting(&dev, "bt/name", "persisted", true);
	write_setting(&dev, "app/color", "blue", true);
	write_setting(&dev, "app/unsaved", "lost", false);
	sim_device_free(&dev);

	open_device(&dev, dir);
	file_is(&dev, "/lfs/big.bin", data, big);
	file_is(&dev, "/lfs/one", data, 1);
	file_is(&dev, "/lfs/empty", NULL, 0);
	setting_is(&dev, "bt/name", "persisted");
	setting_is(&dev, "app/color", "blue");
	setting_is(&dev, "app/unsaved", NULL);
	setting_is(&dev, "app/name", "smp_svr");

	/* a stored value deleted in this run is gone in the next */
	{
		struct payload p;
		size_t n = payload_text(&p, "name", "app/color");
		struct answer a;

		call(&dev, W, V2, DFU_SMP_MGMT_GROUP_SETTINGS, DFU_SMP_MGMT_SETTINGS_DELETE, p.buf,
		     n, &a);
		expect_ok(&a);
		answer_close(&a);
	}
	sim_device_free(&dev);
	open_device(&dev, dir);
	setting_is(&dev, "app/color", NULL);
	setting_is(&dev, "bt/name", "persisted");
	sim_device_free(&dev);
	free(data);
}

static void a_killed_device_keeps_what_it_closed(void **state)
{
	const char *dir = *state;
	struct sim_device dev, next;
	uint8_t *data = pattern(2000), buf[512];
	struct answer a;
	size_t sent, n;

	open_device(&dev, dir);
	upload(&dev, "/lfs/done", data, 1000);
	sent = fs_upload(&dev, "/lfs/partial", data, 2000, 2);
	assert_true(sent > 0 && sent < 2000);
	write_setting(&dev, "app/color", "green", true);
	/* no free, no close: the next run starts from what the host holds now: littlefs keeps a
	 * file as it was last closed, and the one being uploaded is still open (empty) */
	open_device(&next, dir);
	file_is(&next, "/lfs/done", data, 1000);
	file_is(&next, "/lfs/partial", NULL, 0);
	setting_is(&next, "app/color", "green");
	/* the upload cannot go on where it stopped: the device wants it from its length, 0 */
	n = fs_upload_req(buf, sizeof(buf), "/lfs/partial", sent, data + sent, 100, -1);
	call(&next, W, V2, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_FILE, buf, n, &a);
	expect_group_err(&a, DFU_SMP_MGMT_GROUP_FS, 11);
	assert_int_equal(get_uint(a.map, "len"), 0);
	answer_close(&a);
	upload(&next, "/lfs/partial", data, 2000);
	sim_device_free(&next);
	sim_device_free(&dev);
	open_device(&dev, dir);
	file_is(&dev, "/lfs/partial", data, 2000);
	sim_device_free(&dev);
	free(data);
}

static void layout_of_the_state_directory(void **state)
{
	const char *dir = *state;
	char *nested = path_in(dir, "a/b/c"), *host;
	struct sim_device dev;
	uint8_t *back;
	size_t len;
	DIR *d;
	struct dirent *ent;

	/* created with its parents */
	open_device(&dev, nested);
	upload(&dev, "/lfs/hello.txt", (const uint8_t *)"hello", 5);
	write_setting(&dev, "app/color", "red", true);
	host = path_in(nested, "fs/lfs/hello.txt");
	assert_int_equal(sim_hostfs_read(host, &back, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(back, "hello", 5);
	free(back);
	free(host);
	assert_true(exists(nested, "settings"));
	assert_false(exists(nested, "settings.new"));
	/* the settings, the files and the image group's flash; nothing else */
	d = opendir(nested);
	assert_non_null(d);
	while ((ent = readdir(d))) {
		static const char *const known[] = { ".",  "..",	"settings",
						     "fs", "flash.bin", "ram" };
		bool ok = false;

		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			ok = ok || strcmp(ent->d_name, known[i]) == 0;
		}
		if (!ok) {
			fail_msg("unexpected '%s' in the state directory", ent->d_name);
		}
	}
	closedir(d);
	sim_device_free(&dev);

	/* a file put there by hand is on the device */
	host = path_in(nested, "fs/lfs/by-hand");
	assert_int_equal(sim_hostfs_replace(host, (const uint8_t *)"xyz", 3), 0);
	free(host);
	open_device(&dev, nested);
	file_is(&dev, "/lfs/by-hand", (const uint8_t *)"xyz", 3);
	sim_device_free(&dev);
	free(nested);
}

static void erase_storage_empties_the_directory(void **state)
{
	const char *dir = *state;
	struct sim_device dev;
	struct payload p;
	struct answer a;
	size_t n;

	open_device(&dev, dir);
	upload(&dev, "/lfs/a", (const uint8_t *)"abc", 3);
	write_setting(&dev, "bt/name", "gone-soon", true);
	call(&dev, W, V2, DFU_SMP_MGMT_GROUP_ZEPHYR_BASIC, DFU_SMP_MGMT_BASIC_ERASE_STORAGE, empty,
	     sizeof(empty), &a);
	expect_ok(&a);
	answer_close(&a);
	assert_false(exists(dir, "fs/lfs/a"));
	assert_false(exists(dir, "settings"));
	assert_true(exists(dir, "fs/lfs"));
	/* the volume erased under littlefs fails until a reboot mounts it again (Zephyr) */
	n = payload_text(&p, "name", "/lfs/a");
	expect_both_err(&dev, R, DFU_SMP_MGMT_GROUP_FS, DFU_SMP_MGMT_FS_STATUS, p.buf, n, 1,
			DFU_SMP_MGMT_ERR_EUNKNOWN);
	sim_device_reboot(&dev, 1000);
	upload(&dev, "/lfs/b", (const uint8_t *)"b", 1);
	sim_device_free(&dev);

	open_device(&dev, dir);
	missing_file(&dev, "/lfs/a");
	file_is(&dev, "/lfs/b", (const uint8_t *)"b", 1);
	setting_is(&dev, "bt/name", "dfu-smp-sim");
	sim_device_free(&dev);
}

static void damaged_settings_lines_are_skipped(void **state)
{
	const char *dir = *state;
	static const char text[] = "# a comment\n"
				   "6170702f636f6c6f72 707572706c65\n" /* app/color purple */
				   "not hex at all\n"
				   "6170702f78 0\n"                    /* odd digits */
				   "\n"
				   "6e6f737563682f6b6579 01\n";         /* no handler: ignored */
	char *path = path_in(dir, "settings");
	struct sim_device dev;

	assert_int_equal(sim_hostfs_replace(path, (const uint8_t *)text, sizeof(text) - 1), 0);
	free(path);
	open_device(&dev, dir);
	setting_is(&dev, "app/color", "purple");
	setting_is(&dev, "app/x", NULL);
	sim_device_free(&dev);
}

static void unusable_directories_fail_init(void **state)
{
	const char *dir = *state;
	char *file = path_in(dir, "plain-file"), *below = path_in(dir, "plain-file/sub");
	char *home = path_in(dir, "home"), *fs = path_in(dir, "home/fs");
	const struct sim_device_config on_file = { .state_dir = file };
	const struct sim_device_config under_file = { .state_dir = below };
	const struct sim_device_config fs_is_file = { .state_dir = home };
	struct sim_device dev;

	assert_int_equal(sim_hostfs_replace(file, (const uint8_t *)"x", 1), 0);
	assert_int_equal(sim_device_init(&dev, &on_file), -ENOTDIR);
	assert_int_equal(sim_device_init(&dev, &under_file), -ENOTDIR);
	/* the file system's directory is taken by a file */
	assert_int_equal(sim_hostfs_mkdirs(home), 0);
	assert_int_equal(sim_hostfs_replace(fs, (const uint8_t *)"x", 1), 0);
	assert_int_equal(sim_device_init(&dev, &fs_is_file), -ENOTDIR);
	free(fs);
	free(home);
	free(below);
	free(file);
}

static void version_1_only_device_with_state(void **state)
{
	const struct sim_device_config cfg = { .state_dir = *state, .v1_only = true };
	struct sim_device dev;

	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	upload(&dev, "/lfs/v1", (const uint8_t *)"v1", 2);
	sim_device_free(&dev);
	assert_int_equal(sim_device_init(&dev, &cfg), 0);
	file_is(&dev, "/lfs/v1", (const uint8_t *)"v1", 2);
	sim_device_free(&dev);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(state_survives_a_new_run),
		T(a_killed_device_keeps_what_it_closed),
		T(layout_of_the_state_directory),
		T(erase_storage_empties_the_directory),
		T(damaged_settings_lines_are_skipped),
		T(unusable_directories_fail_init),
		T(version_1_only_device_with_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
