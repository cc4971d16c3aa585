/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CBOR pieces shared by every group: a bounded writer that encodes straight into a caller's
 * buffer (no allocation; shortest integer forms, definite-length strings, as devices expect),
 * and readers over libcbor items that accept what devices send (definite or indefinite maps
 * and strings, keys in any order, any integer width).
 */
#ifndef DFU_SMP_MGMT_CBOR_H
#define DFU_SMP_MGMT_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

/** Encodes into buf; once something does not fit, `overflow` is set and nothing more is written. */
struct dfu_smp_mgmt_cbor_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

/** Start writing at @p buf (@p cap bytes). */
void dfu_smp_mgmt_cbor_writer_init(struct dfu_smp_mgmt_cbor_writer *w, uint8_t *buf, size_t cap);

/** A definite-length map of @p pairs key/value pairs follows. */
void dfu_smp_mgmt_cbor_map(struct dfu_smp_mgmt_cbor_writer *w, size_t pairs);
/** An indefinite-length map follows, ended by dfu_smp_mgmt_cbor_break(). */
void dfu_smp_mgmt_cbor_map_indef(struct dfu_smp_mgmt_cbor_writer *w);
/** A definite-length array of @p items follows. */
void dfu_smp_mgmt_cbor_array(struct dfu_smp_mgmt_cbor_writer *w, size_t items);
/** An indefinite-length array follows, ended by dfu_smp_mgmt_cbor_break(). */
void dfu_smp_mgmt_cbor_array_indef(struct dfu_smp_mgmt_cbor_writer *w);
/** End an indefinite-length map or array. */
void dfu_smp_mgmt_cbor_break(struct dfu_smp_mgmt_cbor_writer *w);
/** A text string from a NUL-terminated string. */
void dfu_smp_mgmt_cbor_text(struct dfu_smp_mgmt_cbor_writer *w, const char *s);
/** A text string of @p n bytes. */
void dfu_smp_mgmt_cbor_text_n(struct dfu_smp_mgmt_cbor_writer *w, const char *s, size_t n);
/** A byte string of @p n bytes. */
void dfu_smp_mgmt_cbor_bytes(struct dfu_smp_mgmt_cbor_writer *w, const uint8_t *b, size_t n);
/** An unsigned integer in its shortest form. */
void dfu_smp_mgmt_cbor_uint(struct dfu_smp_mgmt_cbor_writer *w, uint64_t v);
/** A signed integer in its shortest form. */
void dfu_smp_mgmt_cbor_int(struct dfu_smp_mgmt_cbor_writer *w, int64_t v);
/** true or false. */
void dfu_smp_mgmt_cbor_bool(struct dfu_smp_mgmt_cbor_writer *w, bool v);
/** Bytes already encoded as CBOR, copied as they are. */
void dfu_smp_mgmt_cbor_raw(struct dfu_smp_mgmt_cbor_writer *w, const uint8_t *cbor, size_t n);

/** Bytes an unsigned integer, or a string's length header, takes in its shortest form. */
size_t dfu_smp_mgmt_cbor_head_size(uint64_t v);

/** Bytes dfu_smp_mgmt_cbor_text() writes for @p s. */
size_t dfu_smp_mgmt_cbor_text_size(const char *s);

/**
 * The most bytes a byte string can hold when it, length header included, may take at most
 * @p room bytes; 0 when not even one byte fits.
 */
size_t dfu_smp_mgmt_cbor_bytes_fit(size_t room);

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

#endif /* DFU_SMP_MGMT_CBOR_H */
