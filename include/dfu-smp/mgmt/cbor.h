/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CBOR pieces shared by every group: a bounded writer that encodes straight into a caller's
 * buffer (no allocation; shortest integer forms, definite-length strings, as devices expect).
 * The readers of what devices send are internal (mgmt/cbor_reader.h).
 */
#ifndef DFU_SMP_MGMT_CBOR_H
#define DFU_SMP_MGMT_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>

/** Encodes into buf; once something does not fit, `overflow` is set and nothing more is written. */
struct dfu_smp_mgmt_cbor_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

/** Start writing at @p buf (@p cap bytes). */
DFU_SMP_API void dfu_smp_mgmt_cbor_writer_init(struct dfu_smp_mgmt_cbor_writer *w, uint8_t *buf,
					       size_t cap);

/** A definite-length map of @p pairs key/value pairs follows. */
DFU_SMP_API void dfu_smp_mgmt_cbor_map(struct dfu_smp_mgmt_cbor_writer *w, size_t pairs);
/** An indefinite-length map follows, ended by dfu_smp_mgmt_cbor_break(). */
DFU_SMP_API void dfu_smp_mgmt_cbor_map_indef(struct dfu_smp_mgmt_cbor_writer *w);
/** A definite-length array of @p items follows. */
DFU_SMP_API void dfu_smp_mgmt_cbor_array(struct dfu_smp_mgmt_cbor_writer *w, size_t items);
/** An indefinite-length array follows, ended by dfu_smp_mgmt_cbor_break(). */
DFU_SMP_API void dfu_smp_mgmt_cbor_array_indef(struct dfu_smp_mgmt_cbor_writer *w);
/** End an indefinite-length map or array. */
DFU_SMP_API void dfu_smp_mgmt_cbor_break(struct dfu_smp_mgmt_cbor_writer *w);
/** A text string from a NUL-terminated string. */
DFU_SMP_API void dfu_smp_mgmt_cbor_text(struct dfu_smp_mgmt_cbor_writer *w, const char *s);
/** A text string of @p n bytes. */
DFU_SMP_API void dfu_smp_mgmt_cbor_text_n(struct dfu_smp_mgmt_cbor_writer *w, const char *s,
					  size_t n);
/** A byte string of @p n bytes. */
DFU_SMP_API void dfu_smp_mgmt_cbor_bytes(struct dfu_smp_mgmt_cbor_writer *w, const uint8_t *b,
					 size_t n);
/** An unsigned integer in its shortest form. */
DFU_SMP_API void dfu_smp_mgmt_cbor_uint(struct dfu_smp_mgmt_cbor_writer *w, uint64_t v);
/** A signed integer in its shortest form. */
DFU_SMP_API void dfu_smp_mgmt_cbor_int(struct dfu_smp_mgmt_cbor_writer *w, int64_t v);
/** true or false. */
DFU_SMP_API void dfu_smp_mgmt_cbor_bool(struct dfu_smp_mgmt_cbor_writer *w, bool v);
/** Bytes already encoded as CBOR, copied as they are. */
DFU_SMP_API void dfu_smp_mgmt_cbor_raw(struct dfu_smp_mgmt_cbor_writer *w, const uint8_t *cbor,
				       size_t n);

/** Bytes an unsigned integer, or a string's length header, takes in its shortest form. */
DFU_SMP_API size_t dfu_smp_mgmt_cbor_head_size(uint64_t v);

/** Bytes dfu_smp_mgmt_cbor_text() writes for @p s. */
DFU_SMP_API size_t dfu_smp_mgmt_cbor_text_size(const char *s);

/**
 * The most bytes a byte string can hold when it, length header included, may take at most
 * @p room bytes; 0 when not even one byte fits.
 */
DFU_SMP_API size_t dfu_smp_mgmt_cbor_bytes_fit(size_t room);

#endif /* DFU_SMP_MGMT_CBOR_H */
