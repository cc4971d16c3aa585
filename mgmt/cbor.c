/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/mgmt/cbor.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cbor_reader.h"

void dfu_smp_mgmt_cbor_writer_init(struct dfu_smp_mgmt_cbor_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
}

/* libcbor's encoders return 0 when the value does not fit. */
static void took(struct dfu_smp_mgmt_cbor_writer *w, size_t n)
{
	if (n == 0) {
		w->overflow = true;
	}
	w->len += n;
}

static unsigned char *at(struct dfu_smp_mgmt_cbor_writer *w)
{
	return w->buf + w->len;
}

static size_t room(const struct dfu_smp_mgmt_cbor_writer *w)
{
	return w->overflow ? 0 : w->cap - w->len;
}

void dfu_smp_mgmt_cbor_map(struct dfu_smp_mgmt_cbor_writer *w, size_t pairs)
{
	took(w, cbor_encode_map_start(pairs, at(w), room(w)));
}

void dfu_smp_mgmt_cbor_map_indef(struct dfu_smp_mgmt_cbor_writer *w)
{
	took(w, cbor_encode_indef_map_start(at(w), room(w)));
}

void dfu_smp_mgmt_cbor_array(struct dfu_smp_mgmt_cbor_writer *w, size_t items)
{
	took(w, cbor_encode_array_start(items, at(w), room(w)));
}

void dfu_smp_mgmt_cbor_array_indef(struct dfu_smp_mgmt_cbor_writer *w)
{
	took(w, cbor_encode_indef_array_start(at(w), room(w)));
}

void dfu_smp_mgmt_cbor_break(struct dfu_smp_mgmt_cbor_writer *w)
{
	took(w, cbor_encode_break(at(w), room(w)));
}

void dfu_smp_mgmt_cbor_raw(struct dfu_smp_mgmt_cbor_writer *w, const uint8_t *cbor, size_t n)
{
	if (n > room(w)) {
		w->overflow = true;
		return;
	}
	if (n) {
		memcpy(at(w), cbor, n);
	}
	w->len += n;
}

static void string(struct dfu_smp_mgmt_cbor_writer *w, bool text, const void *data, size_t n)
{
	size_t head = text ? cbor_encode_string_start(n, at(w), room(w))
			   : cbor_encode_bytestring_start(n, at(w), room(w));

	took(w, head);
	dfu_smp_mgmt_cbor_raw(w, data, n);
}

void dfu_smp_mgmt_cbor_text(struct dfu_smp_mgmt_cbor_writer *w, const char *s)
{
	string(w, true, s, strlen(s));
}

void dfu_smp_mgmt_cbor_text_n(struct dfu_smp_mgmt_cbor_writer *w, const char *s, size_t n)
{
	string(w, true, s, n);
}

void dfu_smp_mgmt_cbor_bytes(struct dfu_smp_mgmt_cbor_writer *w, const uint8_t *b, size_t n)
{
	string(w, false, b, n);
}

void dfu_smp_mgmt_cbor_uint(struct dfu_smp_mgmt_cbor_writer *w, uint64_t v)
{
	took(w, cbor_encode_uint(v, at(w), room(w)));
}

void dfu_smp_mgmt_cbor_int(struct dfu_smp_mgmt_cbor_writer *w, int64_t v)
{
	if (v >= 0) {
		dfu_smp_mgmt_cbor_uint(w, (uint64_t)v);
	} else {
		/* CBOR stores -1 - v; computed without overflow for INT64_MIN. */
		took(w, cbor_encode_negint((uint64_t)(-(v + 1)), at(w), room(w)));
	}
}

void dfu_smp_mgmt_cbor_bool(struct dfu_smp_mgmt_cbor_writer *w, bool v)
{
	took(w, cbor_encode_bool(v, at(w), room(w)));
}

size_t dfu_smp_mgmt_cbor_head_size(uint64_t v)
{
	if (v < 24) {
		return 1;
	}
	if (v <= 0xff) {
		return 2;
	}
	if (v <= 0xffff) {
		return 3;
	}
	if (v <= 0xffffffffu) {
		return 5;
	}
	return 9;
}

size_t dfu_smp_mgmt_cbor_text_size(const char *s)
{
	size_t n = strlen(s);

	return dfu_smp_mgmt_cbor_head_size(n) + n;
}

size_t dfu_smp_mgmt_cbor_bytes_fit(size_t room)
{
	/* For each length header size, the longest string that has it and fits with it. */
	static const struct {
		size_t head;
		uint64_t longest;
	} heads[] = {
		{ 1, 23 }, { 2, 0xff }, { 3, 0xffff }, { 5, 0xffffffffu }, { 9, UINT64_MAX },
	};
	size_t best = 0;

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		uint64_t n;

		if (room < heads[i].head) {
			break;
		}
		n = room - heads[i].head;
		if (n > heads[i].longest) {
			n = heads[i].longest;
		}
		if (n > best) {
			best = (size_t)n;
		}
	}
	return best;
}

size_t dfu_smp_mgmt_cbor_string_size(const cbor_item_t *item)
{
	bool text = cbor_isa_string(item);
	size_t total = 0;

	if (!text && !cbor_isa_bytestring(item)) {
		return 0;
	}
	if (text ? !cbor_string_is_indefinite(item) : !cbor_bytestring_is_indefinite(item)) {
		return text ? cbor_string_length(item) : cbor_bytestring_length(item);
	}
	{
		cbor_item_t **chunks = text ? cbor_string_chunks_handle(item)
					    : cbor_bytestring_chunks_handle(item);
		size_t count = text ? cbor_string_chunk_count(item)
				    : cbor_bytestring_chunk_count(item);

		for (size_t i = 0; i < count; i++) {
			total += dfu_smp_mgmt_cbor_string_size(chunks[i]);
		}
	}
	return total;
}

void dfu_smp_mgmt_cbor_string_copy(const cbor_item_t *item, uint8_t *out)
{
	bool text = cbor_isa_string(item);

	if (!text && !cbor_isa_bytestring(item)) {
		return;
	}
	if (text ? !cbor_string_is_indefinite(item) : !cbor_bytestring_is_indefinite(item)) {
		size_t n = dfu_smp_mgmt_cbor_string_size(item);

		if (n) {
			memcpy(out, text ? cbor_string_handle(item) : cbor_bytestring_handle(item),
			       n);
		}
		return;
	}
	{
		cbor_item_t **chunks = text ? cbor_string_chunks_handle(item)
					    : cbor_bytestring_chunks_handle(item);
		size_t count = text ? cbor_string_chunk_count(item)
				    : cbor_bytestring_chunk_count(item);

		for (size_t i = 0; i < count; i++) {
			dfu_smp_mgmt_cbor_string_copy(chunks[i], out);
			out += dfu_smp_mgmt_cbor_string_size(chunks[i]);
		}
	}
}

bool dfu_smp_mgmt_cbor_text_equals(const cbor_item_t *item, const char *s)
{
	size_t n = strlen(s);

	if (!cbor_isa_string(item) || dfu_smp_mgmt_cbor_string_size(item) != n) {
		return false;
	}
	if (!cbor_string_is_indefinite(item)) {
		return n == 0 || memcmp(cbor_string_handle(item), s, n) == 0;
	}
	{
		cbor_item_t **chunks = cbor_string_chunks_handle(item);
		size_t count = cbor_string_chunk_count(item);
		size_t off = 0;

		for (size_t i = 0; i < count; i++) {
			size_t len = cbor_string_length(chunks[i]);

			if (len && memcmp(cbor_string_handle(chunks[i]), s + off, len) != 0) {
				return false;
			}
			off += len;
		}
	}
	return true;
}

const cbor_item_t *dfu_smp_mgmt_cbor_find(const cbor_item_t *map, const char *key)
{
	struct cbor_pair *pairs;
	size_t count;

	if (!map || !cbor_isa_map(map)) {
		return NULL;
	}
	pairs = cbor_map_handle(map);
	count = cbor_map_size(map);
	for (size_t i = 0; i < count; i++) {
		if (dfu_smp_mgmt_cbor_text_equals(pairs[i].key, key)) {
			return pairs[i].value;
		}
	}
	return NULL;
}

int dfu_smp_mgmt_cbor_get_uint(const cbor_item_t *item, uint64_t *out)
{
	if (!item || !cbor_isa_uint(item)) {
		return -EINVAL;
	}
	*out = cbor_get_int(item);
	return 0;
}

int dfu_smp_mgmt_cbor_get_int(const cbor_item_t *item, int64_t *out)
{
	uint64_t v;

	if (!item || !(cbor_isa_uint(item) || cbor_isa_negint(item))) {
		return -EINVAL;
	}
	v = cbor_get_int(item);
	if (v > (uint64_t)INT64_MAX) {
		return -EINVAL;
	}
	/* A negative integer n is stored as -1 - n. */
	*out = cbor_isa_uint(item) ? (int64_t)v : -(int64_t)v - 1;
	return 0;
}

/* libcbor asserts when asked for the control value of a float: check the width first. */
static bool is_ctrl(const cbor_item_t *item)
{
	return cbor_isa_float_ctrl(item) && cbor_float_get_width(item) == CBOR_FLOAT_0;
}

bool dfu_smp_mgmt_cbor_is_bool(const cbor_item_t *item)
{
	return item && is_ctrl(item) && cbor_is_bool(item);
}

const char *dfu_smp_mgmt_cbor_type_name(const cbor_item_t *item)
{
	if (!item) {
		return "nothing";
	}
	switch (cbor_typeof(item)) {
	case CBOR_TYPE_UINT:
		return "an unsigned integer";
	case CBOR_TYPE_NEGINT:
		return "a negative integer";
	case CBOR_TYPE_BYTESTRING:
		return "a byte string";
	case CBOR_TYPE_STRING:
		return "a text string";
	case CBOR_TYPE_ARRAY:
		return "an array";
	case CBOR_TYPE_MAP:
		return "a map";
	case CBOR_TYPE_TAG:
		return "a tagged item";
	case CBOR_TYPE_FLOAT_CTRL:
		if (!is_ctrl(item)) {
			return "a float";
		}
		if (cbor_is_bool(item)) {
			return "a boolean";
		}
		return cbor_is_null(item) ? "null" : "a simple value";
	}
	return "an unknown item";
}

/* What is left of the payload, for the counts of arrays and maps in it. */
struct count_check {
	size_t left;
	bool too_many;
};

static void check_array(void *context, size_t items)
{
	struct count_check *check = context;

	if (items > check->left) {
		check->too_many = true;
	}
}

static void check_map(void *context, size_t pairs)
{
	struct count_check *check = context;

	if (pairs > check->left / 2) {
		check->too_many = true;
	}
}

/*
 * libcbor allocates, and clears, a definite-length array or map as large as its head says
 * before it reads a single item: five bytes could make it take gigabytes. Every item takes at
 * least one byte, so a count larger than the bytes left is never honest.
 */
static bool counts_fit(const uint8_t *payload, size_t len)
{
	struct cbor_callbacks callbacks = cbor_empty_callbacks;
	struct count_check check = { 0 };
	size_t pos = 0;

	callbacks.array_start = check_array;
	callbacks.map_start = check_map;
	while (pos < len && !check.too_many) {
		struct cbor_decoder_result result;

		check.left = len - pos;
		result = cbor_stream_decode(payload + pos, len - pos, &callbacks, &check);
		if (result.status != CBOR_DECODER_FINISHED) {
			/* cbor_load() says what is wrong */
			break;
		}
		pos += result.read;
	}
	return !check.too_many;
}

cbor_item_t *dfu_smp_mgmt_cbor_load_first(const uint8_t *data, size_t len, size_t *used, char *why,
				  size_t why_cap)
{
	struct cbor_load_result result;
	cbor_item_t *item;

	if (!counts_fit(data, len)) {
		snprintf(why, why_cap, "is not valid CBOR (an array or map claims more items than "
			 "there are bytes)");
		return NULL;
	}
	item = cbor_load(data, len, &result);
	if (!item || result.error.code != CBOR_ERR_NONE) {
		snprintf(why, why_cap, "is not valid CBOR (error %d at byte %zu of %zu)",
			 (int)result.error.code, result.error.position, len);
		if (item) {
			cbor_decref(&item);
		}
		return NULL;
	}
	*used = result.read;
	return item;
}

cbor_item_t *dfu_smp_mgmt_cbor_load(const uint8_t *data, size_t len, char *why, size_t why_cap)
{
	size_t used;
	cbor_item_t *item = dfu_smp_mgmt_cbor_load_first(data, len, &used, why, why_cap);

	if (item && used != len) {
		snprintf(why, why_cap, "has %zu bytes after its CBOR item", len - used);
		cbor_decref(&item);
	}
	return item;
}
