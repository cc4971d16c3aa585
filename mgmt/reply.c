/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/mgmt/reply.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/mgmt/cbor.h>

#include "reply_decode.h"

struct dfu_smp_mgmt_reply_block {
	struct dfu_smp_mgmt_reply_block *next;
	/* the caller's bytes follow, aligned for any type */
	max_align_t data[];
};

void *dfu_smp_mgmt_reply_alloc(struct dfu_smp_mgmt_reply *reply, size_t size)
{
	struct dfu_smp_mgmt_reply_block *block;

	if (size > SIZE_MAX - sizeof(*block)) {
		return NULL;
	}
	block = calloc(1, sizeof(*block) + size);
	if (!block) {
		return NULL;
	}
	block->next = reply->mem;
	reply->mem = block;
	return block->data;
}

void dfu_smp_mgmt_reply_close(struct dfu_smp_mgmt_reply *reply)
{
	while (reply->mem) {
		struct dfu_smp_mgmt_reply_block *next = reply->mem->next;

		free(reply->mem);
		reply->mem = next;
	}
	if (reply->root) {
		cbor_item_t *root = reply->root;

		cbor_decref(&root);
		reply->root = NULL;
	}
}

int dfu_smp_mgmt_reply_malformed(struct dfu_smp_mgmt_reply *reply, const char *fmt, ...)
{
	va_list ap;

	reply->kind = DFU_SMP_MGMT_REPLY_MALFORMED;
	va_start(ap, fmt);
	vsnprintf(reply->detail, sizeof(reply->detail), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* Copies a text value into detail, as far as it fits, for `rsn`. */
static void copy_text(char *out, size_t cap, const cbor_item_t *item)
{
	size_t n = dfu_smp_mgmt_cbor_string_size(item);
	uint8_t *tmp = malloc(n + 1);

	out[0] = '\0';
	if (!tmp) {
		return;
	}
	dfu_smp_mgmt_cbor_string_copy(item, tmp);
	tmp[n] = '\0';
	snprintf(out, cap, "%s", (const char *)tmp);
	free(tmp);
}

/* Order from smp-protocol.md: a group error with rc != 0 first, then a generic rc != 0. */
static int classify(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map)
{
	const cbor_item_t *err = dfu_smp_mgmt_cbor_find(map, "err");
	const cbor_item_t *rsn = dfu_smp_mgmt_cbor_find(map, "rsn");
	uint64_t group = 0, code = 0;
	int64_t value = 0;
	int ret;

	if (err) {
		if (!cbor_isa_map(err)) {
			return dfu_smp_mgmt_reply_wrong_type(reply, "err", err, "a map");
		}
		dfu_smp_mgmt_reply_where(reply, "err.");
		ret = dfu_smp_mgmt_reply_uint(reply, err, "group", true, UINT16_MAX, &group);
		if (!ret) {
			ret = dfu_smp_mgmt_reply_uint(reply, err, "rc", true, INT64_MAX, &code);
		}
		dfu_smp_mgmt_reply_where(reply, "");
		if (ret) {
			return ret;
		}
		if (code != 0) {
			reply->kind = DFU_SMP_MGMT_REPLY_GROUP_ERR;
			reply->group = (uint16_t)group;
			reply->rc = (int64_t)code;
			return -EREMOTEIO;
		}
	}
	ret = dfu_smp_mgmt_reply_int(reply, map, "rc", false, &value);
	if (ret) {
		return ret;
	}
	if (value != 0) {
		reply->kind = DFU_SMP_MGMT_REPLY_RC;
		reply->rc = value;
		if (rsn && cbor_isa_string(rsn)) {
			copy_text(reply->detail, sizeof(reply->detail), rsn);
		}
		return -EREMOTEIO;
	}
	return 0;
}

int dfu_smp_mgmt_reply_open(struct dfu_smp_mgmt_reply *reply, const struct dfu_smp_client_rsp *rsp,
		    const cbor_item_t **map)
{
	char why[120];

	memset(reply, 0, sizeof(*reply));
	reply->group = rsp->hdr.group;
	if (rsp->len == 0) {
		return dfu_smp_mgmt_reply_malformed(reply,
						    "the response has no payload (expected a CBOR "
						    "map)");
	}
	reply->root = dfu_smp_mgmt_cbor_load(rsp->payload, rsp->len, why, sizeof(why));
	if (!reply->root) {
		return dfu_smp_mgmt_reply_malformed(reply, "the response payload %s", why);
	}
	if (!cbor_isa_map(reply->root)) {
		return dfu_smp_mgmt_reply_malformed(reply,
						    "the response payload is %s, expected a map",
						    dfu_smp_mgmt_cbor_type_name(reply->root));
	}
	*map = reply->root;
	return classify(reply, reply->root);
}

int dfu_smp_mgmt_reply_status(const struct dfu_smp_client_rsp *rsp,
			      struct dfu_smp_mgmt_reply *reply)
{
	const cbor_item_t *map;

	return dfu_smp_mgmt_reply_open(reply, rsp, &map);
}

void dfu_smp_mgmt_reply_where(struct dfu_smp_mgmt_reply *reply, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reply->where, sizeof(reply->where), fmt, ap);
	va_end(ap);
}

/* Finds a key, reporting a missing required one. Returns 1 found, 0 absent, <0 error. */
static int lookup(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map, const char *key,
		  bool required, const cbor_item_t **item)
{
	*item = dfu_smp_mgmt_cbor_find(map, key);
	if (*item) {
		return 1;
	}
	if (required) {
		return dfu_smp_mgmt_reply_malformed(reply, "response key '%s%s' is missing",
						    reply->where, key);
	}
	return 0;
}

int dfu_smp_mgmt_reply_wrong_type(struct dfu_smp_mgmt_reply *reply, const char *key,
				  const cbor_item_t *item, const char *expected)
{
	return dfu_smp_mgmt_reply_malformed(reply, "response key '%s%s' is %s, expected %s",
					    reply->where, key, dfu_smp_mgmt_cbor_type_name(item),
					    expected);
}

int dfu_smp_mgmt_reply_text_item(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *item,
				 const char *name, const char **out)
{
	size_t n;
	char *copy;

	if (!cbor_isa_string(item)) {
		return dfu_smp_mgmt_reply_wrong_type(reply, name, item, "a text string");
	}
	n = dfu_smp_mgmt_cbor_string_size(item);
	copy = dfu_smp_mgmt_reply_alloc(reply, n + 1);
	if (!copy) {
		return -ENOMEM;
	}
	dfu_smp_mgmt_cbor_string_copy(item, (uint8_t *)copy);
	*out = copy;
	return 0;
}

/*
 * A key of the map under @p map_key (prefixed by `where`), e.g. a thread name in `tasks`: a
 * text string, copied NUL-terminated into the reply's memory. 0, -EBADMSG or -ENOMEM.
 */
static int reply_key(struct dfu_smp_mgmt_reply *reply, const char *map_key, const cbor_item_t *key,
		     const char **out)
{
	if (!cbor_isa_string(key)) {
		return dfu_smp_mgmt_reply_malformed(reply,
						    "response key '%s%s' has a key that is %s, "
						    "expected a text string",
						    reply->where, map_key,
						    dfu_smp_mgmt_cbor_type_name(key));
	}
	return dfu_smp_mgmt_reply_text_item(reply, key, map_key, out);
}

int dfu_smp_mgmt_reply_named_map(struct dfu_smp_mgmt_reply *reply, const char *map_key,
			 const struct cbor_pair *pair, const char **name)
{
	int err;

	dfu_smp_mgmt_reply_where(reply, "");
	err = reply_key(reply, map_key, pair->key, name);
	if (err) {
		return err;
	}
	dfu_smp_mgmt_reply_where(reply, "%s.", map_key);
	if (!cbor_isa_map(pair->value)) {
		return dfu_smp_mgmt_reply_wrong_type(reply, *name, pair->value, "a map");
	}
	dfu_smp_mgmt_reply_where(reply, "%s.%s.", map_key, *name);
	return 0;
}

int dfu_smp_mgmt_reply_text(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			    const char *key, bool required, const char **out)
{
	const cbor_item_t *item;
	int found = lookup(reply, map, key, required, &item);

	if (found <= 0) {
		return found;
	}
	return dfu_smp_mgmt_reply_text_item(reply, item, key, out);
}

int dfu_smp_mgmt_reply_bytes(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			     const char *key, bool required, const uint8_t **out, size_t *len)
{
	const cbor_item_t *item;
	int found = lookup(reply, map, key, required, &item);
	size_t n;
	uint8_t *copy;

	if (found <= 0) {
		return found;
	}
	if (!cbor_isa_bytestring(item)) {
		return dfu_smp_mgmt_reply_wrong_type(reply, key, item, "a byte string");
	}
	n = dfu_smp_mgmt_cbor_string_size(item);
	copy = dfu_smp_mgmt_reply_alloc(reply, n ? n : 1);
	if (!copy) {
		return -ENOMEM;
	}
	dfu_smp_mgmt_cbor_string_copy(item, copy);
	*out = copy;
	*len = n;
	return 0;
}

int dfu_smp_mgmt_reply_uint(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			    const char *key, bool required, uint64_t max, uint64_t *out)
{
	const cbor_item_t *item;
	int found = lookup(reply, map, key, required, &item);
	uint64_t v;

	if (found <= 0) {
		return found;
	}
	if (dfu_smp_mgmt_cbor_get_uint(item, &v) != 0) {
		return dfu_smp_mgmt_reply_wrong_type(reply, key, item, "an unsigned integer");
	}
	if (v > max) {
		return dfu_smp_mgmt_reply_malformed(
			reply, "response key '%s%s' is %llu, more than %llu", reply->where, key,
			(unsigned long long)v, (unsigned long long)max);
	}
	*out = v;
	return 0;
}

int dfu_smp_mgmt_reply_uint_opt(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
				const char *key, int64_t *out)
{
	uint64_t v;
	int err;

	*out = -1;
	if (!dfu_smp_mgmt_cbor_find(map, key)) {
		return 0;
	}
	err = dfu_smp_mgmt_reply_uint(reply, map, key, true, INT64_MAX, &v);
	if (!err) {
		*out = (int64_t)v;
	}
	return err;
}

int dfu_smp_mgmt_reply_int(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			   const char *key, bool required, int64_t *out)
{
	const cbor_item_t *item;
	int found = lookup(reply, map, key, required, &item);

	if (found <= 0) {
		return found;
	}
	if (dfu_smp_mgmt_cbor_get_int(item, out) != 0) {
		if (cbor_isa_uint(item) || cbor_isa_negint(item)) {
			return dfu_smp_mgmt_reply_malformed(reply,
							    "response key '%s%s' is out of the "
							    "range of a 64-bit signed integer",
							    reply->where, key);
		}
		return dfu_smp_mgmt_reply_wrong_type(reply, key, item, "an integer");
	}
	return 0;
}

int dfu_smp_mgmt_reply_bool(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			    const char *key, bool required, bool *out)
{
	const cbor_item_t *item;
	int found = lookup(reply, map, key, required, &item);

	if (found <= 0) {
		return found;
	}
	if (!dfu_smp_mgmt_cbor_is_bool(item)) {
		return dfu_smp_mgmt_reply_wrong_type(reply, key, item, "a boolean");
	}
	*out = cbor_get_bool(item);
	return 0;
}

int dfu_smp_mgmt_reply_item(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			    const char *key, bool required, cbor_type type, const cbor_item_t **out)
{
	const cbor_item_t *item;
	int found = lookup(reply, map, key, required, &item);

	if (found <= 0) {
		return found;
	}
	if (cbor_typeof(item) != type) {
		return dfu_smp_mgmt_reply_wrong_type(reply, key, item,
					     type == CBOR_TYPE_MAP ? "a map" : "an array");
	}
	*out = item;
	return 0;
}

/*
 * The array or map under @p key, and a zeroed array of as many elements of @p elem_size bytes,
 * owned by the reply, for dfu_smp_mgmt_reply_array() and dfu_smp_mgmt_reply_named().
 */
static int alloc_elems(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map, const char *key,
		       cbor_type type, size_t elem_size, const cbor_item_t **item, void **elems,
		       size_t *count)
{
	int err = dfu_smp_mgmt_reply_item(reply, map, key, true, type, item);

	*elems = NULL;
	*count = 0;
	if (err) {
		return err;
	}
	*count = type == CBOR_TYPE_ARRAY ? cbor_array_size(*item) : cbor_map_size(*item);
	if (elem_size && *count > SIZE_MAX / elem_size) {
		return -ENOMEM;
	}
	*elems = dfu_smp_mgmt_reply_alloc(reply, *count * elem_size);
	return *elems ? 0 : -ENOMEM;
}

int dfu_smp_mgmt_reply_array(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			     const char *key, bool of_maps, size_t elem_size,
			     dfu_smp_mgmt_reply_elem_fn decode, void **elems, size_t *count)
{
	char prefix[sizeof(reply->where)];
	const cbor_item_t *array;
	cbor_item_t **items;
	int err = alloc_elems(reply, map, key, CBOR_TYPE_ARRAY, elem_size, &array, elems, count);

	if (err) {
		return err;
	}
	memcpy(prefix, reply->where, sizeof(prefix));
	items = cbor_array_handle(array);
	for (size_t i = 0; i < *count; i++) {
		dfu_smp_mgmt_reply_where(reply, "%s%s[%zu]", prefix, key, i);
		if (of_maps) {
			if (!cbor_isa_map(items[i])) {
				return dfu_smp_mgmt_reply_wrong_type(reply, "", items[i], "a map");
			}
			dfu_smp_mgmt_reply_where(reply, "%s%s[%zu].", prefix, key, i);
		}
		err = decode(reply, items[i], NULL, (uint8_t *)*elems + i * elem_size);
		if (err) {
			return err;
		}
	}
	return 0;
}

int dfu_smp_mgmt_reply_named(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			     const char *key, bool of_maps, size_t elem_size,
			     dfu_smp_mgmt_reply_elem_fn decode, void **elems, size_t *count)
{
	const cbor_item_t *named;
	const struct cbor_pair *pairs;
	int err = alloc_elems(reply, map, key, CBOR_TYPE_MAP, elem_size, &named, elems, count);

	if (err) {
		return err;
	}
	pairs = cbor_map_handle(named);
	for (size_t i = 0; i < *count; i++) {
		const char *name;

		if (of_maps) {
			err = dfu_smp_mgmt_reply_named_map(reply, key, &pairs[i], &name);
		} else {
			dfu_smp_mgmt_reply_where(reply, "");
			err = reply_key(reply, key, pairs[i].key, &name);
			dfu_smp_mgmt_reply_where(reply, "%s.", key);
		}
		if (!err) {
			err = decode(reply, pairs[i].value, name,
				     (uint8_t *)*elems + i * elem_size);
		}
		if (err) {
			return err;
		}
	}
	return 0;
}
