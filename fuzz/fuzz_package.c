/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for upgrade packages (tools/package.c, package_load()). Input: the text of
 * manifest.json, put into a zip (written here with libzip) beside a.bin and b.bin (the real
 * image 01-hash-only.bin of the shared test data, next to FUZZ_KEYS_DIR) and c.bin (64 bytes
 * that are no image); or, when it starts as a zip does, the whole package. Checks: a package
 * loads with exit status 0 or CLI_EXIT_IMAGE only; a loaded one has 1..PACKAGE_IMAGES_MAX
 * images in strictly increasing image number order, each named, valid and holding its bytes;
 * a refused one is left zeroed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "../tools/cli.h"
#include "../tools/package.h"

#ifndef FUZZ_KEYS_DIR
#define FUZZ_KEYS_DIR "."
#endif

static uint8_t *image;
static size_t image_len;
static const uint8_t junk[64];

static void load_image(void)
{
	static bool loaded;
	FILE *f;
	long n;

	if (loaded) {
		return;
	}
	loaded = true;
	f = fopen(FUZZ_KEYS_DIR "/../01-hash-only.bin", "rb");
	if (f == NULL) {
		return;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		image = malloc((size_t)n);
		if (image != NULL && fread(image, 1, (size_t)n, f) == (size_t)n) {
			image_len = (size_t)n;
		}
	}
	fclose(f);
}

/* Add @p name holding @p data (borrowed until zip_close()) to @p za, stored. */
static void add(zip_t *za, const char *name, const void *data, size_t len)
{
	zip_source_t *src = zip_source_buffer(za, data, len, 0);
	zip_int64_t index;

	if (src == NULL) {
		abort();
	}
	index = zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8);
	if (index < 0) {
		zip_source_free(src);
		abort();
	}
	zip_set_file_compression(za, (zip_uint64_t)index, ZIP_CM_STORE, 0);
}

/* The package of the manifest @p manifest, in memory the caller frees. */
static uint8_t *make_zip(const uint8_t *manifest, size_t len, size_t *size)
{
	zip_error_t zerr;
	zip_source_t *src;
	zip_stat_t st;
	uint8_t *out;
	zip_t *za;

	zip_error_init(&zerr);
	src = zip_source_buffer_create(NULL, 0, 0, &zerr);
	if (src == NULL) {
		abort();
	}
	zip_source_keep(src);
	za = zip_open_from_source(src, ZIP_TRUNCATE, &zerr);
	if (za == NULL) {
		abort();
	}
	add(za, "manifest.json", manifest, len);
	if (image_len) {
		add(za, "a.bin", image, image_len);
		add(za, "b.bin", image, image_len);
	}
	add(za, "c.bin", junk, sizeof(junk));
	if (zip_close(za) != 0) {
		abort();
	}
	zip_stat_init(&st);
	if (zip_source_stat(src, &st) != 0 || zip_source_open(src) != 0) {
		abort();
	}
	out = malloc(st.size);
	if (out == NULL || zip_source_read(src, out, st.size) != (zip_int64_t)st.size) {
		abort();
	}
	zip_source_close(src);
	zip_source_free(src);
	zip_error_fini(&zerr);
	*size = st.size;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct package pkg;
	struct cli cli = { .prog = "fuzz-package", .what = "package" };
	uint8_t *zip = NULL;
	size_t zip_len = size;
	int rc;

	load_image();
	if (!package_is_zip(data, size)) {
		zip = make_zip(data, size, &zip_len);
		data = zip;
	}
	rc = package_load(&cli, "fuzz.zip", data, zip_len, NULL, &pkg);
	if (rc == 0) {
		if (pkg.count == 0 || pkg.count > PACKAGE_IMAGES_MAX) {
			abort();
		}
		for (unsigned i = 0; i < pkg.count; i++) {
			const struct package_image *im = &pkg.images[i];

			if (im->file == NULL || im->data == NULL || im->img.data != im->data ||
			    im->img.size != im->size || im->img.status != DFU_SMP_IMAGE_OK ||
			    im->image > 255 || (i && im->image <= pkg.images[i - 1].image)) {
				abort();
			}
		}
		package_free(&pkg);
	} else if (rc != CLI_EXIT_IMAGE || pkg.count != 0 || pkg.name != NULL ||
		   pkg.images[0].file != NULL || pkg.images[0].data != NULL) {
		abort();
	}
	free(zip);
	return 0;
}
