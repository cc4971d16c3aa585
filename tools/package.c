/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Upgrade packages (dfu_application.zip): the zip read from memory with libzip, its
 * manifest.json with jansson, then each image it names checked as cli_check_image() checks an
 * image file, and against what the manifest says of it (size, version_MCUBOOT).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zip.h>

#include "package.h"

/* manifest.json is a few hundred bytes; anything near this is no manifest */
#define MANIFEST_MAX (1024u * 1024)

#define MANIFEST "manifest.json"

bool package_is_zip(const uint8_t *data, size_t size)
{
	return size >= 4 && memcmp(data, "PK\3\4", 4) == 0;
}

void package_free(struct package *pkg)
{
	for (unsigned i = 0; i < PACKAGE_IMAGES_MAX; i++) {
		struct package_image *im = &pkg->images[i];

		free(im->file);
		free(im->type);
		free(im->board);
		free(im->soc);
		free(im->version);
		free(im->data);
	}
	free(pkg->name);
	memset(pkg, 0, sizeof(*pkg));
}

/* A refusal of the package @p path: "PATH: WHAT; nothing was sent". */
static int refuse(struct cli *cli, const char *path, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cli_fail_as(cli, CLI_EXIT_IMAGE, CLI_KIND_IMAGE, "%s: %s; nothing was sent", path,
			   what);
}

/* A copy of the string member @p key of @p obj into *@p out (NULL when it is absent or no
 * string). @return 0, or -ENOMEM. */
static int copy_string(const json_t *obj, const char *key, char **out)
{
	const char *s = json_string_value(json_object_get(obj, key));

	*out = NULL;
	if (!s) {
		return 0;
	}
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* The image number of "image_index" @p v: a string of a decimal number or an integer,
 * 0..255. @return it, or -1. */
static int image_number(const json_t *v)
{
	const char *s = json_string_value(v);
	unsigned n = 0;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		return i >= 0 && i <= 255 ? (int)i : -1;
	}
	if (!s || !*s || strlen(s) > 3) {
		return -1;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9') {
			return -1;
		}
		n = n * 10 + (unsigned)(*s - '0');
	}
	return n <= 255 ? (int)n : -1;
}

/* One decimal field of a version, up to @p max, ended by @p end (or the string's end when
 * @p end is 0). @return 0 with *@p out set and *@p s past it, or -1. */
static int version_field(const char **s, unsigned long max, char end, unsigned long *out)
{
	const char *p = *s;
	unsigned long n = 0;

	if (*p < '0' || *p > '9') {
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > max) {
			return -1;
		}
	}
	if (*p != end) {
		return -1;
	}
	*out = n;
	*s = end ? p + 1 : p;
	return 0;
}

/* Parse "MAJOR.MINOR.REVISION[+BUILD]" as dfu-smp prints versions. @return 0, or -1. */
static int parse_version(const char *s, struct dfu_smp_image_version *v)
{
	unsigned long major, minor, revision, build = 0;
	const char *plus = strchr(s, '+');

	if (version_field(&s, 255, '.', &major) || version_field(&s, 255, '.', &minor) ||
	    version_field(&s, 65535, plus ? '+' : 0, &revision) ||
	    (plus && version_field(&s, 0xffffffffu, 0, &build))) {
		return -1;
	}
	v->major = (uint8_t)major;
	v->minor = (uint8_t)minor;
	v->revision = (uint16_t)revision;
	v->build = (uint32_t)build;
	return 0;
}

/*
 * Read the member @p name of @p za into a buffer of its own (*@p data, the caller frees it),
 * at most @p max bytes: the size libzip reports is checked first, and the read is bounded by
 * it. @return 0, or an exit status after saying why.
 */
static int read_member(struct cli *cli, const char *path, zip_t *za, const char *name,
		       size_t max, uint8_t **data, size_t *size)
{
	zip_int64_t index = zip_name_locate(za, name, 0);
	zip_stat_t st;
	zip_file_t *zf;
	size_t got = 0;
	uint8_t extra;
	zip_int64_t n;

	*data = NULL;
	*size = 0;
	if (index < 0) {
		return refuse(cli, path, "%s, named by %s, is not in the zip", name, MANIFEST);
	}
	zip_stat_init(&st);
	if (zip_stat_index(za, (zip_uint64_t)index, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
		return refuse(cli, path, "the zip does not say how large %s is: %s", name,
			      zip_strerror(za));
	}
	if (st.size > max) {
		return refuse(cli, path, "%s is %" PRIu64 " bytes uncompressed, more than the %zu "
			      "bytes a file of a package may have", name, (uint64_t)st.size, max);
	}
	zf = zip_fopen_index(za, (zip_uint64_t)index, 0);
	if (!zf) {
		return refuse(cli, path, "cannot read %s: %s", name, zip_strerror(za));
	}
	*data = malloc(st.size ? (size_t)st.size : 1u);
	if (!*data) {
		zip_fclose(zf);
		return refuse(cli, path, "no memory for %s (%" PRIu64 " bytes)", name,
			      (uint64_t)st.size);
	}
	while (got < st.size) {
		n = zip_fread(zf, *data + got, st.size - got);
		if (n <= 0) {
			break;
		}
		got += (size_t)n;
	}
	/* the end: nothing more than the zip said, and libzip checks the CRC there */
	if (got == st.size) {
		n = zip_fread(zf, &extra, 1);
	}
	if (got != st.size || n != 0) {
		int status = refuse(cli, path, "cannot read %s: %s", name,
				    n < 0 ? zip_file_strerror(zf)
					  : got != st.size ? "shorter than the zip says"
							   : "longer than the zip says");

		zip_fclose(zf);
		free(*data);
		*data = NULL;
		return status;
	}
	zip_fclose(zf);
	*size = got;
	return 0;
}

/* The manifest's entry of one image, before its file is read. */
struct entry {
	unsigned at; /* its place in "files" */
	const json_t *obj;
	unsigned image;
};

static int by_image(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return (x->image > y->image) - (x->image < y->image);
}

/* Check the manifest @p doc and list its entries in image number order. */
static int read_entries(struct cli *cli, const char *path, const json_t *doc,
			struct entry entries[PACKAGE_IMAGES_MAX], unsigned *count)
{
	const json_t *files = json_object_get(doc, "files");
	size_t n;

	if (!files) {
		return refuse(cli, path, "%s has no \"files\" list", MANIFEST);
	}
	if (!json_is_array(files)) {
		return refuse(cli, path, "%s: \"files\" is not a list", MANIFEST);
	}
	n = json_array_size(files);
	if (n == 0) {
		return refuse(cli, path, "%s: \"files\" is empty: the package has no image",
			      MANIFEST);
	}
	if (n > PACKAGE_IMAGES_MAX) {
		return refuse(cli, path, "%s names %zu images, more than the %u a package may have",
			      MANIFEST, n, PACKAGE_IMAGES_MAX);
	}
	for (unsigned i = 0; i < n; i++) {
		const json_t *obj = json_array_get(files, i);
		const json_t *index;
		const char *file;
		char shown[32];
		int image;

		if (!json_is_object(obj)) {
			return refuse(cli, path, "%s: files[%u] is not an object", MANIFEST, i);
		}
		file = json_string_value(json_object_get(obj, "file"));
		if (!file || !*file) {
			return refuse(cli, path, "%s: files[%u] has no \"file\" (a file name)",
				      MANIFEST, i);
		}
		index = json_object_get(obj, "image_index");
		if (!index) {
			return refuse(cli, path, "%s: files[%u] (%s) has no \"image_index\"",
				      MANIFEST, i, file);
		}
		image = image_number(index);
		if (image < 0) {
			if (json_is_string(index)) {
				snprintf(shown, sizeof(shown), "\"%.20s\"", json_string_value(index));
			} else if (json_is_integer(index)) {
				snprintf(shown, sizeof(shown), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(index));
			} else {
				snprintf(shown, sizeof(shown), "no number");
			}
			return refuse(cli, path, "%s: files[%u] (%s): image_index %s is not an image "
				      "number 0..255", MANIFEST, i, file, shown);
		}
		for (unsigned j = 0; j < i; j++) {
			if (entries[j].image == (unsigned)image) {
				return refuse(cli, path, "%s: files[%u] (%s) and files[%u] (%s) are "
					      "both image %d", MANIFEST, entries[j].at,
					      json_string_value(json_object_get(entries[j].obj,
										"file")),
					      i, file, image);
			}
		}
		entries[i] = (struct entry){ i, obj, (unsigned)image };
	}
	qsort(entries, n, sizeof(entries[0]), by_image);
	*count = (unsigned)n;
	return 0;
}

/* Read the image of @p e into @p im and check it, offline and against the manifest. */
static int load_image(struct cli *cli, const char *path, zip_t *za, const struct entry *e,
		      const char *key, struct package_image *im)
{
	const json_t *obj = e->obj, *size = json_object_get(obj, "size");
	const json_t *version = json_object_get(obj, "version_MCUBOOT");
	const json_t *load = json_object_get(obj, "load_address");
	struct dfu_smp_image_version want = { 0, 0, 0, 0 };
	char name[600];
	int status;

	im->image = e->image;
	if (copy_string(obj, "file", &im->file) || copy_string(obj, "type", &im->type) ||
	    copy_string(obj, "board", &im->board) || copy_string(obj, "soc", &im->soc) ||
	    copy_string(obj, "version_MCUBOOT", &im->version)) {
		return refuse(cli, path, "no memory for the manifest");
	}
	if (json_is_integer(load) && json_integer_value(load) >= 0) {
		im->has_load_address = true;
		im->load_address = (uint64_t)json_integer_value(load);
	}
	if (size && (!json_is_integer(size) || json_integer_value(size) < 0)) {
		return refuse(cli, path, "%s: the \"size\" of %s is not a byte count", MANIFEST,
			      im->file);
	}
	if (version && (!im->version || parse_version(im->version, &want))) {
		return refuse(cli, path, "%s: the version_MCUBOOT of %s is not a version "
			      "(MAJOR.MINOR.REVISION[+BUILD])", MANIFEST, im->file);
	}
	status = read_member(cli, path, za, im->file, PACKAGE_FILE_MAX, &im->data, &im->size);
	if (status) {
		return status;
	}
	if (size && (uint64_t)json_integer_value(size) != im->size) {
		return refuse(cli, path, "%s is %zu bytes, %s says %" JSON_INTEGER_FORMAT, im->file,
			      im->size, MANIFEST, json_integer_value(size));
	}
	snprintf(name, sizeof(name), "%s in %s", im->file, path);
	status = cli_check_image(cli, name, im->data, im->size, key, &im->img);
	if (status) {
		return status;
	}
	if (version) {
		const struct dfu_smp_image_version *got = &im->img.header.version;

		if (got->major != want.major || got->minor != want.minor ||
		    got->revision != want.revision || got->build != want.build) {
			char have[DFU_SMP_IMAGE_VERSION_STR_MAX];

			dfu_smp_image_version_str(got, have, sizeof(have));
			return refuse(cli, path, "%s is version %s, %s says %s", im->file, have,
				      MANIFEST, im->version);
		}
	}
	return 0;
}

/* The manifest of the open zip @p za, checked to be a JSON object. */
static int read_manifest(struct cli *cli, const char *path, zip_t *za, json_t **doc)
{
	uint8_t *text;
	size_t len;
	json_error_t jerr;
	int status;

	*doc = NULL;
	if (zip_name_locate(za, MANIFEST, 0) < 0) {
		return refuse(cli, path, "no %s in the zip: it is no upgrade package (such as the "
			      "dfu_application.zip of a Zephyr build)", MANIFEST);
	}
	status = read_member(cli, path, za, MANIFEST, MANIFEST_MAX, &text, &len);
	if (status) {
		return status;
	}
	*doc = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!*doc) {
		return refuse(cli, path, "%s is not JSON: line %d: %s", MANIFEST, jerr.line,
			      jerr.text);
	}
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		*doc = NULL;
		return refuse(cli, path, "%s is not a JSON object", MANIFEST);
	}
	return 0;
}

int package_load(struct cli *cli, const char *path, const uint8_t *data, size_t size,
		 const char *key, struct package *pkg)
{
	struct entry entries[PACKAGE_IMAGES_MAX];
	zip_source_t *src;
	zip_error_t zerr;
	json_t *doc = NULL;
	const json_t *format;
	zip_t *za;
	int status;

	memset(pkg, 0, sizeof(*pkg));
	pkg->format_version = -1;
	if (!package_is_zip(data, size)) {
		return refuse(cli, path, "not a zip file (an upgrade package is one, such as the "
			      "dfu_application.zip of a Zephyr build)");
	}
	zip_error_init(&zerr);
	src = zip_source_buffer_create(data, size, 0, &zerr);
	if (!src) {
		status = refuse(cli, path, "cannot read the zip: %s", zip_error_strerror(&zerr));
		zip_error_fini(&zerr);
		return status;
	}
	za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	if (!za) {
		zip_source_free(src);
		status = refuse(cli, path, "a damaged zip file: %s", zip_error_strerror(&zerr));
		zip_error_fini(&zerr);
		return status;
	}
	zip_error_fini(&zerr);
	status = read_manifest(cli, path, za, &doc);
	if (status) {
		goto out;
	}
	format = json_object_get(doc, "format-version");
	if (json_is_integer(format) && json_integer_value(format) >= 0 &&
	    json_integer_value(format) <= 0x7fffffff) {
		pkg->format_version = (int)json_integer_value(format);
	}
	if (copy_string(doc, "name", &pkg->name)) {
		status = refuse(cli, path, "no memory for the manifest");
		goto out;
	}
	status = read_entries(cli, path, doc, entries, &pkg->count);
	for (unsigned i = 0; !status && i < pkg->count; i++) {
		status = load_image(cli, path, za, &entries[i], key, &pkg->images[i]);
	}
out:
	json_decref(doc);
	zip_discard(za);
	if (status) {
		package_free(pkg);
	}
	return status;
}
