/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Upgrade packages: the dfu_application.zip of a Zephyr sysbuild build, a zip holding
 * manifest.json and the signed MCUboot images it names (one per image number: the application
 * core's, the network core's...). Read from memory (libzip), the manifest parsed (jansson) and
 * every image checked offline as a single image file is.
 */
#ifndef TOOLS_PACKAGE_H
#define TOOLS_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/dfu/image.h>
#include "cli.h"

/** The most images a package may name. */
#define PACKAGE_IMAGES_MAX 8

/** The largest file (uncompressed) taken from a package: 64 MiB. */
#define PACKAGE_FILE_MAX (64u * 1024 * 1024)

/** One image of a package. Strings are NULL when the manifest lacks them. */
struct package_image {
	char *file;          /**< its name in the zip (manifest "file") */
	unsigned image;      /**< manifest "image_index": the image number on the device */
	char *type, *board, *soc, *version; /**< manifest "type", "board", "soc", "version_MCUBOOT" */
	bool has_load_address;
	uint64_t load_address;
	uint8_t *data;       /**< the image's bytes (owned) */
	size_t size;
	struct dfu_smp_image img; /**< parsed and checked (borrows data) */
};

/** A package read from a zip. Caller-allocated; package_free() frees what it holds. */
struct package {
	int format_version;  /**< -1 when absent */
	char *name;
	unsigned count;      /**< images, in image number order */
	struct package_image images[PACKAGE_IMAGES_MAX];
};

/**
 * True if @p data (@p size bytes) starts as a zip file does ("PK\3\4").
 * @param data the file's bytes (may be NULL when @p size is 0)
 * @param size their count
 */
bool package_is_zip(const uint8_t *data, size_t size);

/**
 * Read the package @p path whose bytes are @p data (@p size; borrowed during the call),
 * check its manifest and check each image it names offline exactly as a single image is
 * checked (cli_check_image() in tools/cli.h, with @p key: every image must verify with it),
 * and against the manifest: its size, its version_MCUBOOT against the image header's.
 * Files of the zip the manifest does not name are ignored.
 * @param cli the run, for messages
 * @param path the package's name in messages
 * @param data, size the zip file's bytes
 * @param key a PEM public key file's path every image must verify with, or NULL
 * @param pkg filled (caller-allocated; its previous content is overwritten, not freed)
 * @return 0, or an exit status after saying why (cli_fail_as with CLI_EXIT_IMAGE /
 *         CLI_KIND_IMAGE, ending with "nothing was sent", naming the package and the file);
 *         on failure @p pkg is left zeroed (what was allocated is freed).
 */
int package_load(struct cli *cli, const char *path, const uint8_t *data, size_t size,
		 const char *key, struct package *pkg);

/**
 * Read and check FILE @p path as upgrade takes it: a package (a zip), or one image, number 0,
 * offline (cli_check_image()), with @p key if not NULL.
 * @return 0 with @p pkg filled (package_free() frees it), or an exit status after saying why.
 */
int package_read(struct cli *cli, const char *path, const char *key, struct package *pkg);

/**
 * Free what package_load() allocated and zero @p pkg.
 * @param pkg zeroed or partly filled; may be freed twice
 */
void package_free(struct package *pkg);

#endif /* TOOLS_PACKAGE_H */
