/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shared MCUboot test images (../shared/testdata/mcuboot), read whole for a test.
 * Include after <cmocka.h>.
 */
#ifndef TESTS_TESTDATA_H
#define TESTS_TESTDATA_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define TESTDATA SHARED_DIR "/testdata/mcuboot/"

/** A file's bytes; free data when done. */
struct file {
	uint8_t *data;
	size_t len;
};

/** Read TESTDATA/@p name whole; the test fails if it cannot. */
static inline struct file load(const char *name)
{
	char path[512];
	struct file f = { 0 };
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), TESTDATA "%s", name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n > 0);
	rewind(fp);
	f.data = malloc((size_t)n);
	assert_non_null(f.data);
	assert_int_equal(fread(f.data, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	f.len = (size_t)n;
	return f;
}

#endif /* TESTS_TESTDATA_H */
