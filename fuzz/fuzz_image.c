/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the MCUboot image parser and verifier (dfu/image.c). Input: an image file.
 * It is parsed (header, TLV areas, hash checked against the hashed region), then checked
 * against a public key of FUZZ_KEYS_DIR (ECDSA P-256, Ed25519, RSA-2048): the one of its
 * signature TLV's type, or for an odd-sized input the next one (a key that does not match).
 * Checks: the return value agrees with the status, every TLV and the hashed region lie within
 * the file, the messages are terminated, and only a valid image can pass a signature check.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/dfu/image.h>

#ifndef FUZZ_KEYS_DIR
#define FUZZ_KEYS_DIR "."
#endif

#define NKEYS 3

static uint8_t *keys[NKEYS];
static size_t key_len[NKEYS];

static void load_keys(void)
{
	static const char *const names[NKEYS] = { "ecdsa-p256-public.pem", "ed25519-public.pem",
						  "rsa-2048-public.pem" };
	static bool loaded;

	if (loaded) {
		return;
	}
	loaded = true;
	for (size_t k = 0; k < NKEYS; k++) {
		char path[4096];
		FILE *f;
		long n;

		snprintf(path, sizeof(path), "%s/%s", FUZZ_KEYS_DIR, names[k]);
		f = fopen(path, "rb");
		if (f == NULL) {
			continue;
		}
		if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
			keys[k] = malloc((size_t)n);
			if (keys[k] != NULL && fread(keys[k], 1, (size_t)n, f) == (size_t)n) {
				key_len[k] = (size_t)n;
			}
		}
		fclose(f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dfu_smp_image img;
	uint8_t *copy;
	int rc;

	load_keys();
	copy = malloc(size ? size : 1u);
	if (copy == NULL) {
		abort();
	}
	memcpy(copy, data, size);
	rc = dfu_smp_image_parse(&img, copy, size);
	if (rc == -EIO) {
		abort(); /* libcrypto does not fail on any input */
	}
	if ((rc == 0) != (img.status == DFU_SMP_IMAGE_OK) || (rc != 0 && rc != -EBADMSG) ||
	    memchr(img.message, 0, sizeof(img.message)) == NULL ||
	    img.tlv_count > DFU_SMP_IMAGE_MAX_TLVS || img.hash_len > DFU_SMP_IMAGE_HASH_MAX ||
	    img.hashed_len > size || dfu_smp_image_status_name(img.status) == NULL) {
		abort();
	}
	for (size_t i = 0; i < img.tlv_count; i++) {
		const struct dfu_smp_image_tlv *t = &img.tlvs[i];

		if (t->offset + 4u + t->len > size || t->value != copy + t->offset + 4u) {
			abort();
		}
	}
	if (img.tlvs_complete && img.tail_offset + img.tail_size != size) {
		abort();
	}
	size_t k = 0;

	for (size_t i = 0; i < img.tlv_count; i++) {
		if (img.tlvs[i].type == DFU_SMP_IMAGE_TLV_ED25519) {
			k = 1;
		} else if (img.tlvs[i].type == DFU_SMP_IMAGE_TLV_RSA2048_PSS) {
			k = 2;
		}
	}
	k = (k + (size & 1u)) % NKEYS;
	if (key_len[k] != 0) {
		int v = dfu_smp_image_verify_key(&img, keys[k], key_len[k]);

		if (!img.sig_checked || memchr(img.sig_message, 0, sizeof(img.sig_message)) == NULL ||
		    (v == 0 && (rc != 0 || img.sig_status != DFU_SMP_IMAGE_OK)) ||
		    img.key_hash_len > DFU_SMP_IMAGE_HASH_MAX) {
			abort();
		}
	}
	free(copy);
	return 0;
}
