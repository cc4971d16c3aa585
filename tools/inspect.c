/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dfu-smp inspect: an MCUboot image file read and checked offline, as MCUboot would take it:
 * header, TLVs, image hash, signature (with --key) and what follows the TLV area; or an upgrade
 * package (dfu_application.zip, tools/package.c): its manifest, then each of its images so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/dfu/image.h>
#include <dfu-smp/smp/bytes.h>
#include "cli.h"
#include "package.h"

/* TLV values longer than this are shortened in text. */
#define TEXT_VALUE_MAX 32u
/* Bytes shown of a shortened value. */
#define TEXT_VALUE_HEAD 24u

static const char *trailer_flag(uint8_t value)
{
	return value == 0x01 ? "set" : value == 0xff ? "unset" : "bad";
}

/* The name of one flag bit, or the bit in hex when it has none. */
static const char *flag_label(uint32_t flag, char unknown[16])
{
	const char *name = dfu_smp_image_flag_name(flag);

	if (name) {
		return name;
	}
	snprintf(unknown, 16, "0x%08lx", (unsigned long)flag);
	return unknown;
}

static json_t *header_json(const struct dfu_smp_image *img)
{
	const struct dfu_smp_image_version *v = &img->header.version;
	json_t *names;
	char unknown[16];

	if (!img->has_header) {
		return json_null();
	}
	names = json_array();
	for (unsigned bit = 0; bit < 32; bit++) {
		if (img->header.flags & 1u << bit) {
			json_array_append_new(names, json_string(flag_label(1u << bit, unknown)));
		}
	}
	return json_pack("{s:I, s:I, s:i, s:i, s:I, s:I, s:o, s:{s:i, s:i, s:i, s:I}, s:I}",
			 "magic", (json_int_t)img->header.magic, "load_addr",
			 (json_int_t)img->header.load_addr, "hdr_size", img->header.hdr_size,
			 "protect_tlv_size", img->header.protect_tlv_size, "img_size",
			 (json_int_t)img->header.img_size, "flags", (json_int_t)img->header.flags,
			 "flag_names", names, "version", "major", v->major, "minor", v->minor,
			 "revision", v->revision, "build", (json_int_t)v->build, "pad1",
			 (json_int_t)img->header.pad1);
}

static json_t *area_json(const struct dfu_smp_image_tlv_area *area)
{
	if (!area->present) {
		return json_null();
	}
	return json_pack("{s:I, s:i, s:i, s:I}", "offset", (json_int_t)area->offset, "magic",
			 area->magic, "tlv_tot", area->tlv_tot, "end", (json_int_t)area->end);
}

static json_t *tlvs_json(const struct dfu_smp_image *img, bool prot)
{
	json_t *list = json_array();

	for (size_t i = 0; i < img->tlv_count; i++) {
		const struct dfu_smp_image_tlv *t = &img->tlvs[i];

		if (t->protected_area != prot) {
			continue;
		}
		json_array_append_new(list,
				      json_pack("{s:i, s:s, s:I, s:I, s:i, s:o}", "type", t->type,
						"name", dfu_smp_image_tlv_name(t->type), "offset",
						(json_int_t)t->offset, "value_offset",
						(json_int_t)(t->offset + 4), "len", t->len, "value",
						cli_json_hex(t->value, t->len)));
	}
	return list;
}

static json_t *hash_json(const struct dfu_smp_image *img)
{
	const char *alg = dfu_smp_image_hash_alg_name(img->hash_alg);

	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "algorithm",
			 alg ? json_string(alg) : json_null(), "tlv",
			 img->hash_len ? cli_json_hex(img->hash, img->hash_len) : json_null(),
			 "computed",
			 img->hash_checked ? cli_json_hex(img->computed_hash, img->hash_len)
					   : json_null(),
			 "hashed_region",
			 img->hashed_len ? json_pack("[i, I]", 0, (json_int_t)img->hashed_len)
					 : json_null(),
			 "ok", img->hash_checked ? json_boolean(img->hash_ok) : json_null());
}

static json_t *optional_tlv_name(uint16_t type)
{
	return type ? json_string(dfu_smp_image_tlv_name(type)) : json_null();
}

static json_t *signature_json(const struct dfu_smp_image *img, const char *key)
{
	if (!img->sig_checked) {
		return json_null();
	}
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:b, s:s, s:s}", "key", key, "key_type",
			 img->key_type ? json_string(img->key_type) : json_null(), "key_tlv",
			 optional_tlv_name(img->key_tlv_type), "key_hash",
			 img->key_hash_len ? cli_json_hex(img->key_hash, img->key_hash_len)
					   : json_null(),
			 "signature_tlv", optional_tlv_name(img->sig_tlv_type), "verified",
			 img->sig_status == DFU_SMP_IMAGE_OK, "code",
			 dfu_smp_image_status_name(img->sig_status), "message", img->sig_message);
}

static json_t *after_json(const struct dfu_smp_image *img)
{
	const struct dfu_smp_image_trailer *t = &img->trailer;
	json_t *trailer = json_null();

	if (!img->tlvs_complete) {
		return json_null();
	}
	if (t->present) {
		trailer = json_pack(
			"{s:i, s:I, s:o, s:I, s:i, s:s, s:I, s:i, s:s, s:I, s:i, s:I, s:I}",
			"align", t->align, "boot_magic_offset", (json_int_t)t->magic_offset,
			"boot_magic", cli_json_hex(img->data + t->magic_offset, 16),
			"image_ok_offset", (json_int_t)t->image_ok_offset, "image_ok", t->image_ok,
			"image_ok_state", trailer_flag(t->image_ok), "copy_done_offset",
			(json_int_t)t->copy_done_offset, "copy_done", t->copy_done,
			"copy_done_state", trailer_flag(t->copy_done), "swap_info_offset",
			(json_int_t)t->swap_info_offset, "swap_info", t->swap_info,
			"swap_size_offset", (json_int_t)t->swap_size_offset, "swap_size",
			(json_int_t)t->swap_size);
	}
	return json_pack("{s:I, s:I, s:b, s:o}", "offset", (json_int_t)img->tail_offset, "size",
			 (json_int_t)img->tail_size, "erased", img->tail_erased, "trailer",
			 trailer);
}

/* The verdict: the image's first problem, else the signature's; DFU_SMP_IMAGE_OK if none. */
static void verdict(const struct dfu_smp_image *img, enum dfu_smp_image_status *code,
		    const char **msg)
{
	*code = img->status;
	*msg = img->message;
	if (img->status == DFU_SMP_IMAGE_OK && img->sig_checked) {
		*code = img->sig_status;
		*msg = img->sig_message;
	}
}

static json_t *inspect_json(const struct dfu_smp_image *img, const char *file, const char *key)
{
	enum dfu_smp_image_status code;
	const char *msg;
	char sha[65], version[DFU_SMP_IMAGE_VERSION_STR_MAX];
	json_t *doc;

	verdict(img, &code, &msg);
	cli_hex(img->file_sha256, sizeof(img->file_sha256), sha);
	dfu_smp_image_version_str(&img->header.version, version, sizeof(version));
	doc = json_pack("{s:s, s:I, s:s, s:o, s:o}", "file", file, "size", (json_int_t)img->size,
			"sha256", sha, "header", header_json(img), "version",
			img->has_header ? json_string(version) : json_null());
	json_object_set_new(doc, "protected_tlv_area", area_json(&img->prot_area));
	json_object_set_new(doc, "protected_tlvs", tlvs_json(img, true));
	json_object_set_new(doc, "tlv_area", area_json(&img->tlv_area));
	json_object_set_new(doc, "tlvs", tlvs_json(img, false));
	json_object_set_new(doc, "hash", hash_json(img));
	json_object_set_new(doc, "signature", signature_json(img, key));
	json_object_set_new(doc, "after_tlv_area", after_json(img));
	json_object_set_new(doc, "valid", json_boolean(code == DFU_SMP_IMAGE_OK));
	json_object_set_new(doc, "problem",
			    code == DFU_SMP_IMAGE_OK
				    ? json_null()
				    : json_pack("{s:s, s:s}", "code",
						dfu_smp_image_status_name(code), "message", msg));
	return doc;
}

static void print_hex_line(const uint8_t *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		printf("%02x", data[i]);
	}
}

/* What a few common TLVs mean, after their value. */
static void print_meaning(const struct dfu_smp_image_tlv *t)
{
	const uint8_t *v = t->value;

	if ((t->type == DFU_SMP_IMAGE_TLV_SEC_CNT || t->type == DFU_SMP_IMAGE_TLV_DECOMP_SIZE) &&
	    t->len == 4) {
		printf(" (%lu)", (unsigned long)dfu_smp_get_le32(v));
	} else if (t->type == DFU_SMP_IMAGE_TLV_DEPENDENCY && t->len == 12) {
		struct dfu_smp_image_version min = {
			v[4], v[5], dfu_smp_get_le16(v + 6), dfu_smp_get_le32(v + 8),
		};
		char text[DFU_SMP_IMAGE_VERSION_STR_MAX];

		dfu_smp_image_version_str(&min, text, sizeof(text));
		printf(" (image %u >= %s)", v[0], text);
	}
}

static void print_tlvs(const struct dfu_smp_image *img, const struct dfu_smp_image_tlv_area *area,
		       bool prot)
{
	const char *what = prot ? "protected TLV area" : "TLV area";

	if (!area->present) {
		printf("%s: %s\n", what, prot ? "none" : "not found");
		return;
	}
	printf("%s: at %zu, %u bytes (it_tlv_tot), magic 0x%04x\n", what, area->offset,
	       area->tlv_tot, area->magic);
	for (size_t i = 0; i < img->tlv_count; i++) {
		const struct dfu_smp_image_tlv *t = &img->tlvs[i];

		if (t->protected_area != prot) {
			continue;
		}
		printf("  %s (0x%02x), %u bytes at %zu: ", dfu_smp_image_tlv_name(t->type), t->type,
		       t->len, t->offset + 4);
		if (t->len > TEXT_VALUE_MAX) {
			print_hex_line(t->value, TEXT_VALUE_HEAD);
			printf("...");
		} else {
			print_hex_line(t->value, t->len);
		}
		print_meaning(t);
		printf("\n");
	}
}

static void print_header(const struct dfu_smp_image *img)
{
	char version[DFU_SMP_IMAGE_VERSION_STR_MAX], unknown[16];
	bool any = false;

	if (!img->has_header) {
		printf("header: none (the file is shorter than an image header)\n");
		return;
	}
	dfu_smp_image_version_str(&img->header.version, version, sizeof(version));
	printf("header:\n");
	printf("  magic: 0x%08lx\n", (unsigned long)img->header.magic);
	printf("  load address: 0x%08lx\n", (unsigned long)img->header.load_addr);
	printf("  header size: %u (0x%x)\n", img->header.hdr_size, img->header.hdr_size);
	printf("  protected TLV size: %u\n", img->header.protect_tlv_size);
	printf("  image size: %lu (0x%lx)\n", (unsigned long)img->header.img_size,
	       (unsigned long)img->header.img_size);
	printf("  flags: 0x%08lx (", (unsigned long)img->header.flags);
	for (unsigned bit = 0; bit < 32; bit++) {
		if (img->header.flags & 1u << bit) {
			printf("%s%s", any ? " " : "", flag_label(1u << bit, unknown));
			any = true;
		}
	}
	printf("%s)\n", any ? "" : "none");
	printf("  version: %s\n", version);
}

static void print_hash(const struct dfu_smp_image *img)
{
	const char *alg = dfu_smp_image_hash_alg_name(img->hash_alg);

	if (!alg) {
		printf("hash: no usable hash TLV\n");
		return;
	}
	printf("hash: %s", alg);
	if (img->hashed_len) {
		printf(" over [0, %zu)", img->hashed_len);
	}
	printf("\n  TLV:      ");
	print_hex_line(img->hash, img->hash_len);
	printf("\n  computed: ");
	if (img->hash_checked) {
		print_hex_line(img->computed_hash, img->hash_len);
		printf(" (%s)\n", img->hash_ok ? "matches" : "DOES NOT MATCH");
	} else if (img->status == DFU_SMP_IMAGE_OK) {
		printf("not computed: the payload is encrypted\n");
	} else {
		printf("not computed\n");
	}
}

static void print_after(const struct dfu_smp_image *img)
{
	const struct dfu_smp_image_trailer *t = &img->trailer;

	if (!img->tlvs_complete) {
		return;
	}
	if (img->tail_size == 0) {
		printf("after the TLV area: nothing\n");
		return;
	}
	printf("after the TLV area: %zu bytes from %zu, %s\n", img->tail_size, img->tail_offset,
	       img->tail_erased ? "erased (0xff)" : "not erased");
	if (t->present) {
		printf("  trailer: boot magic at %zu (align %u)\n", t->magic_offset, t->align);
		printf("  image_ok: 0x%02x (%s) at %zu\n", t->image_ok, trailer_flag(t->image_ok),
		       t->image_ok_offset);
		printf("  copy_done: 0x%02x (%s) at %zu\n", t->copy_done,
		       trailer_flag(t->copy_done), t->copy_done_offset);
		printf("  swap_info: 0x%02x at %zu\n", t->swap_info, t->swap_info_offset);
		printf("  swap_size: 0x%08lx at %zu\n", (unsigned long)t->swap_size,
		       t->swap_size_offset);
	} else {
		printf("  trailer: none\n");
	}
}

static void print_text(const struct dfu_smp_image *img, const char *file, const char *key)
{
	enum dfu_smp_image_status code;
	const char *msg;

	printf("file: %s\n", file);
	printf("size: %zu bytes\n", img->size);
	printf("sha256: ");
	print_hex_line(img->file_sha256, sizeof(img->file_sha256));
	printf(" (of the whole file, as an upload sends it)\n");
	print_header(img);
	if (img->has_header) {
		print_tlvs(img, &img->prot_area, true);
		print_tlvs(img, &img->tlv_area, false);
		print_hash(img);
	}
	if (img->sig_checked) {
		printf("signature (key %s): %s: %s\n", key,
		       dfu_smp_image_status_name(img->sig_status), img->sig_message);
	}
	print_after(img);
	verdict(img, &code, &msg);
	if (code == DFU_SMP_IMAGE_OK) {
		printf("verdict: valid\n");
	} else {
		printf("verdict: invalid: %s: %s\n", dfu_smp_image_status_name(code), msg);
	}
}

/* A string of the manifest, or null. */
static json_t *json_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* What the manifest says of one image, as JSON (without its inspection). */
static json_t *package_image_json(const struct package_image *im)
{
	return json_pack("{s:i, s:s, s:o, s:o, s:o, s:o, s:I, s:o}", "image", (int)im->image,
			 "file", im->file, "type", json_string_or_null(im->type), "board",
			 json_string_or_null(im->board), "soc", json_string_or_null(im->soc),
			 "version", json_string_or_null(im->version), "size",
			 (json_int_t)im->size, "load_address",
			 im->has_load_address ? json_integer((json_int_t)im->load_address)
					      : json_null());
}

static void print_package(const struct package *pkg, const char *file, const char *key)
{
	printf("package: %s\n", file);
	printf("name: %s\n", pkg->name ? pkg->name : "(none)");
	if (pkg->format_version >= 0) {
		printf("format-version: %d\n", pkg->format_version);
	} else {
		printf("format-version: (none)\n");
	}
	printf("images: %u\n", pkg->count);
	for (unsigned i = 0; i < pkg->count; i++) {
		const struct package_image *im = &pkg->images[i];

		printf("  image %u: %s, type %s, board %s, soc %s, version %s, %zu bytes\n",
		       im->image, im->file, im->type ? im->type : "-", im->board ? im->board : "-",
		       im->soc ? im->soc : "-", im->version ? im->version : "-", im->size);
	}
	for (unsigned i = 0; i < pkg->count; i++) {
		printf("\nimage %u:\n", pkg->images[i].image);
		print_text(&pkg->images[i].img, pkg->images[i].file, key);
	}
}

/*
 * Inspect the package @p file (@p data, @p size): every image checked as package_load() does
 * (a refusal is said as it says it), then the manifest and each image's inspection shown.
 */
static int inspect_package(struct cli *cli, const char *file, const uint8_t *data, size_t size,
			   const char *key)
{
	struct package *pkg = malloc(sizeof(*pkg));
	int status;

	if (!pkg) {
		return cli_fail(cli, "no memory to read %s", file);
	}
	status = package_load(cli, file, data, size, key, pkg);
	if (status) {
		free(pkg);
		return status;
	}
	if (cli->json) {
		json_t *images = json_array();

		for (unsigned i = 0; i < pkg->count; i++) {
			const struct package_image *im = &pkg->images[i];
			json_t *entry = package_image_json(im);

			json_object_set_new(entry, "inspect", inspect_json(&im->img, im->file, key));
			json_array_append_new(images, entry);
		}
		cli_print_json(cli,
			       json_pack("{s:{s:s, s:o, s:o, s:i}, s:o}", "package", "file", file,
					 "name", json_string_or_null(pkg->name), "format_version",
					 pkg->format_version >= 0 ? json_integer(pkg->format_version)
								  : json_null(),
					 "count", (int)pkg->count, "images", images));
	} else {
		print_package(pkg, file, key);
	}
	package_free(pkg);
	free(pkg);
	return CLI_EXIT_OK;
}

static int inspect(struct cli *cli, const char *file, const char *key)
{
	struct dfu_smp_image img;
	enum dfu_smp_image_status code;
	uint8_t *data = NULL, *pem = NULL;
	size_t size, pem_len;
	const char *msg;
	char line[600];
	int err, status;

	status = cli_read_image(cli, file, &data, &size);
	if (status) {
		return status;
	}
	if (package_is_zip(data, size)) {
		status = inspect_package(cli, file, data, size, key);
		free(data);
		return status;
	}
	if (key) {
		err = cli_read_file(key, &pem, &pem_len);
		if (err) {
			free(data);
			return cli_usage(cli, "cannot read the key '%s': %s", key, strerror(-err));
		}
	}
	err = dfu_smp_image_parse(&img, data, size);
	if (err == -EIO) {
		status = cli_fail(cli, "%s: libcrypto failed to hash the file", file);
		goto out;
	}
	if (key && dfu_smp_image_verify_key(&img, pem, pem_len) == -EINVAL) {
		status = cli_usage(cli, "the key '%s' is not a PEM key: %s", key, img.sig_message);
		goto out;
	}
	verdict(&img, &code, &msg);
	status = CLI_EXIT_OK;
	if (code != DFU_SMP_IMAGE_OK) {
		const char *hint = cli_image_format_hint(data, size);

		snprintf(line, sizeof(line), "%s: %s: %s%s%s", file,
			 dfu_smp_image_status_name(code), msg, hint ? "; " : "", hint ? hint : "");
		status = CLI_EXIT_IMAGE;
	}
	if (cli->json) {
		json_t *doc = inspect_json(&img, file, key);

		if (status) {
			/* the inspection, and the failure as every command reports one */
			json_object_set_new(doc, "error", json_pack("{s:s, s:i, s:s}", "kind",
								    CLI_KIND_IMAGE, "code", status,
								    "message", line));
		}
		cli_print_json(cli, doc);
	} else {
		print_text(&img, file, key);
	}
	if (status) {
		fprintf(stderr, "%s: %s: %s\n", cli->prog, cli->what, line);
	}
out:
	free(pem);
	free(data);
	return status;
}

static int cmd_inspect(struct cli *cli, int argc, char **argv)
{
	const char *file = NULL, *key = NULL;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--json") == 0) {
			cli->json = true;
		} else if (strcmp(arg, "--key") == 0 || strncmp(arg, "--key=", 6) == 0) {
			key = arg[5] == '=' ? arg + 6 : i + 1 < argc ? argv[++i] : NULL;
			if (!key || !*key) {
				return cli_usage(cli, "--key needs a PEM public key file");
			}
		} else if (arg[0] == '-' && arg[1]) {
			return cli_usage(cli, "unknown option '%s'", arg);
		} else if (file) {
			return cli_usage(cli, "takes one FILE, got '%s' too", arg);
		} else {
			file = arg;
		}
	}
	if (!file) {
		return cli_usage(cli, "give the image FILE to inspect");
	}
	return inspect(cli, file, key);
}

static const struct cli_arg inspect_params[] = {
	{ "FILE", NULL,
	  "the MCUboot image file, or an upgrade package (a zip with manifest.json, such as "
	  "dfu_application.zip)",
	  true },
	{ "--key", "PEM", "also check the signature with this public key (a PEM file)", true },
	{ "--json", NULL, "print one JSON document, as the global option does", false },
	{ NULL, NULL, NULL, false },
};

const struct cli_command cli_inspect_commands[] = {
	{ NULL, "inspect", "FILE [--key PEM] [--json]",
	  "check an MCUboot image offline: header, TLVs, hash, signature", cmd_inspect, false,
	  inspect_params, "Needs no device and no --conn. A package (dfu_application.zip) is shown "
	  "with its manifest and then each of its images; every image must be valid (and verify "
	  "with --key), else the package is refused, saying which image and why." },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL, NULL },
};
