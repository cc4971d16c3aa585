/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Readers over libcbor items that accept what devices send (definite or indefinite maps and
 * strings, keys in any order, any integer width). Internal: libcbor's types appear here,
 * never in the public headers.
 */
#ifndef MGMT_CBOR_READER_H
#define MGMT_CBOR_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

#include <dfu-smp/mgmt/cbor.h>

/**
 * Load the one CBOR item that fills @p len bytes, through libcbor. Counts of definite-length
 * arrays and maps larger than the bytes left are refused first: libcbor allocates them before
 * reading any item, so a few bytes could ask for gigabytes. @return the item (the caller
 * releases it with cbor_decref()), or NULL with @p why completing "the payload ...".
 */
cbor_item_t *dfu_smp_mgmt_cbor_load(const uint8_t *data, size_t len, char *why, size_t why_cap);

/**
 * dfu_smp_mgmt_cbor_load() of the first CBOR item in @p len bytes, whatever follows it (as a device's
 * decoder reads a request): *@p used says how many bytes it took.
 */
cbor_item_t *dfu_smp_mgmt_cbor_load_first(const uint8_t *data, size_t len, size_t *used, char *why,
				  size_t why_cap);

/** The value of text key @p key in @p map, or NULL if @p map is not a map or lacks the key. */
const cbor_item_t *dfu_smp_mgmt_cbor_find(const cbor_item_t *map, const char *key);

/** True if @p item is a text string equal to the NUL-terminated @p s. */
bool dfu_smp_mgmt_cbor_text_equals(const cbor_item_t *item, const char *s);

/** Total bytes of a text or byte string, definite or in chunks. */
size_t dfu_smp_mgmt_cbor_string_size(const cbor_item_t *item);

/** Copy the bytes of a text or byte string (dfu_smp_mgmt_cbor_string_size() of them) to @p out. */
void dfu_smp_mgmt_cbor_string_copy(const cbor_item_t *item, uint8_t *out);

/** An unsigned integer's value. @return 0, or -EINVAL if @p item is not one. */
int dfu_smp_mgmt_cbor_get_uint(const cbor_item_t *item, uint64_t *out);

/** An integer's value (unsigned or negative). @return 0, or -EINVAL if not an integer or out of range. */
int dfu_smp_mgmt_cbor_get_int(const cbor_item_t *item, int64_t *out);

/** True if @p item is true or false (safe on floats, unlike libcbor's cbor_is_bool). */
bool dfu_smp_mgmt_cbor_is_bool(const cbor_item_t *item);

/** A short description of @p item's type ("a text string", "an array", ...) for messages. */
const char *dfu_smp_mgmt_cbor_type_name(const cbor_item_t *item);

#endif /* MGMT_CBOR_READER_H */
