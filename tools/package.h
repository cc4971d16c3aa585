/* SPDX-License-Identifier: Apache-2.0 */
/* (placeholder until the package reader lands) */
#ifndef TOOLS_PACKAGE_H
#define TOOLS_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/dfu/image.h>
#include "cli.h"

#define PACKAGE_IMAGES_MAX 8
struct package_image {
	char *file;
	unsigned image;
	char *type, *board, *soc, *version;
	bool has_load_address;
	uint64_t load_address;
	uint8_t *data;
	size_t size;
	struct dfu_smp_image img;
};
struct package {
	int format_version;
	char *name;
	unsigned count;
	struct package_image images[PACKAGE_IMAGES_MAX];
};
bool package_is_zip(const uint8_t *data, size_t size);
int package_load(struct cli *cli, const char *path, const uint8_t *data, size_t size,
		 const char *key, struct package *pkg);
void package_free(struct package *pkg);
#endif
