/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image the benchmark uploads (bench/README.md), read whole with its SHA-256, for the
 * tests that hold the simulated links against it: `img`, loaded by bench_image_setup() and
 * freed by bench_image_teardown(), the group's set-up and tear-down. Include after <cmocka.h>,
 * in one test program.
 */
#ifndef TESTS_BENCH_IMAGE_H
#define TESTS_BENCH_IMAGE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#define BENCH_IMAGE SHARED_DIR "/testdata/mcuboot/08-ecdsa-p256-480k.bin"

/** The image's bytes, size and SHA-256; free data when done. */
struct bench_image {
	uint8_t *data;
	size_t size;
	uint8_t sha[32];
};

/** Read BENCH_IMAGE into @p img; the test fails if it cannot. */
static inline void bench_image_load(struct bench_image *img)
{
	FILE *f = fopen(BENCH_IMAGE, "rb");
	unsigned int n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	img->size = (size_t)ftell(f);
	rewind(f);
	img->data = malloc(img->size);
	assert_non_null(img->data);
	assert_int_equal(fread(img->data, 1, img->size, f), img->size);
	fclose(f);
	EVP_Digest(img->data, img->size, img->sha, &n, EVP_sha256(), NULL);
}

/** The image of the test program, once bench_image_setup() has run. */
static struct bench_image img;

/** cmocka group set-up: loads img. */
static int bench_image_setup(void **state)
{
	(void)state;
	bench_image_load(&img);
	return 0;
}

/** cmocka group tear-down: frees img. */
static int bench_image_teardown(void **state)
{
	(void)state;
	free(img.data);
	return 0;
}

#endif /* TESTS_BENCH_IMAGE_H */
