/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a response's payload into a struct dfu_smp_mgmt_reply, for the group decoders of
 * mgmt/ (and the simulator and tests, which read payloads the same way): the payload loaded
 * through libcbor, typed getters for its keys, arrays and maps decoded into arrays of C
 * structs owned by the reply. Internal: libcbor's types appear here, never in the public
 * headers.
 */
#ifndef MGMT_REPLY_DECODE_H
#define MGMT_REPLY_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

#include <dfu-smp/mgmt/reply.h>
#include <dfu-smp/smp/client.h>

#include "cbor_reader.h"

/**
 * Load @p rsp's payload and classify it. @p map is set to the payload map whenever the payload
 * is one (also with -EREMOTEIO), to read with the getters below.
 * @return 0 on success; -EREMOTEIO when the device reported an error (kind RC or GROUP_ERR);
 *         -EBADMSG when the payload is not a CBOR map or its error keys are malformed.
 */
int dfu_smp_mgmt_reply_open(struct dfu_smp_mgmt_reply *reply, const struct dfu_smp_client_rsp *rsp,
		    const cbor_item_t **map);

/**
 * Set the prefix that names where the getters read, for messages about nested values
 * (printf-style, e.g. ("images[%zu].", i)); "" for the top level.
 */
void dfu_smp_mgmt_reply_where(struct dfu_smp_mgmt_reply *reply, const char *fmt, ...);

/**
 * Report that the value of @p key (prefixed by `where`) is not of the @p expected kind
 * ("a map", "an unsigned integer", ...). @return -EBADMSG.
 */
int dfu_smp_mgmt_reply_wrong_type(struct dfu_smp_mgmt_reply *reply, const char *key,
				  const cbor_item_t *item, const char *expected);

/**
 * Mark the reply malformed with a message naming what is wrong.
 * @return -EBADMSG, for `return dfu_smp_mgmt_reply_malformed(...)`.
 */
int dfu_smp_mgmt_reply_malformed(struct dfu_smp_mgmt_reply *reply, const char *fmt, ...);

/** @p size bytes (zeroed) owned by the reply, or NULL when out of memory. */
void *dfu_smp_mgmt_reply_alloc(struct dfu_smp_mgmt_reply *reply, size_t size);

/*
 * Typed getters for key @p key of @p map. Each returns 0 when the value was read, or when the
 * key is absent and not @p required (then *out is left as it was); and -EBADMSG, with the key
 * named in the reply's detail, when a required key is missing or the value has the wrong type.
 */

/** A text string, copied NUL-terminated into the reply's memory. */
int dfu_smp_mgmt_reply_text(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			    const char *key, bool required, const char **out);
/**
 * An unsigned integer no larger than INT64_MAX, optional: *out is -1 when the key is absent
 * (the decoded structs' "left out" value).
 */
int dfu_smp_mgmt_reply_uint_opt(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
				const char *key, int64_t *out);
/** A byte string, copied into the reply's memory. */
int dfu_smp_mgmt_reply_bytes(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			     const char *key, bool required, const uint8_t **out, size_t *len);
/** An unsigned integer no larger than @p max. */
int dfu_smp_mgmt_reply_uint(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			    const char *key, bool required, uint64_t max, uint64_t *out);
/** An integer, signed or not. */
int dfu_smp_mgmt_reply_int(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			   const char *key, bool required, int64_t *out);
/** A boolean. */
int dfu_smp_mgmt_reply_bool(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			    const char *key, bool required, bool *out);
/** A map or an array (@p type CBOR_TYPE_MAP or CBOR_TYPE_ARRAY), left as a libcbor item. */
int dfu_smp_mgmt_reply_item(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			    const char *key, bool required, cbor_type type,
			    const cbor_item_t **out);

/*
 * Values that are not under a key of their own: array elements and the keys of maps keyed by
 * name (`tasks`, `fields`, ...).
 */

/**
 * Text string @p item, named @p name (prefixed by `where`, e.g. "stat_list[2]") in messages,
 * copied NUL-terminated into the reply's memory.
 * @return 0, -EBADMSG when it is not a text string, or -ENOMEM.
 */
int dfu_smp_mgmt_reply_text_item(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *item,
				 const char *name, const char **out);

/**
 * Entry @p pair of the top-level map under @p map_key whose values are maps keyed by name
 * (`tasks`, `types`, ...): copies the name, checks the value is a map and sets `where` to
 * "<map_key>.<name>." for reading it.
 * @return 0, -EBADMSG when the key is not a text string or the value not a map, or -ENOMEM.
 */
int dfu_smp_mgmt_reply_named_map(struct dfu_smp_mgmt_reply *reply, const char *map_key,
			 const struct cbor_pair *pair, const char **name);

/*
 * Arrays and maps of values decoded one by one into an array of C structs owned by the reply.
 */

/**
 * Decodes one value for dfu_smp_mgmt_reply_array() or dfu_smp_mgmt_reply_named(): @p value into @p elem, a
 * zeroed element of the array being filled. @p name is the value's key, copied into the
 * reply's memory, in a map keyed by name (NULL for an array element). `where` names @p value
 * on entry ("images[2]." for a map, "groups[2]" for another value), for messages.
 * @return 0, or a negative errno (-EBADMSG with the reply's detail set, -ENOMEM).
 */
typedef int (*dfu_smp_mgmt_reply_elem_fn)(struct dfu_smp_mgmt_reply *reply,
					  const cbor_item_t *value, const char *name, void *elem);

/**
 * The required array under @p key of @p map, decoded element by element by @p decode into a
 * new array of @p elem_size-byte elements owned by the reply. With @p of_maps, each element
 * must be a map. Messages name each element after the current `where`
 * ("images[0].slots[1].version").
 * @param elems set to the new array (also when an element fails, with the elements before it
 *              decoded), or NULL when the key's value cannot be read
 * @param count set to the array's length
 * @return 0; -EBADMSG when the key is missing, not an array, an element is not a map
 *         (@p of_maps) or @p decode failed with it; -ENOMEM; or @p decode's error.
 */
int dfu_smp_mgmt_reply_array(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			     const char *key, bool of_maps, size_t elem_size,
			     dfu_smp_mgmt_reply_elem_fn decode, void **elems, size_t *count);

/**
 * The required map under top-level @p key of @p map whose keys are names (`tasks`, `types`,
 * `fields`...), decoded value by value by @p decode as dfu_smp_mgmt_reply_array() does elements,
 * with each name (a text string) handed to @p decode. With @p of_maps each value must be a
 * map, named "<key>.<name>." in messages; otherwise `where` is "<key>." and @p decode names
 * the value by its name.
 * @return as dfu_smp_mgmt_reply_array(); -EBADMSG also when a key of the map is not a text string.
 */
int dfu_smp_mgmt_reply_named(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
			     const char *key, bool of_maps, size_t elem_size,
			     dfu_smp_mgmt_reply_elem_fn decode, void **elems, size_t *count);

#endif /* MGMT_REPLY_DECODE_H */
