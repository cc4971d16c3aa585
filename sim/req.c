/* SPDX-License-Identifier: Apache-2.0 */
/* Request readers for the simulated device's handlers. */
#include "../mgmt/cbor_reader.h"
#include "device.h"

#include <string.h>

#include <dfu-smp/mgmt/err.h>

/* A key that is the definite text string @p key. */
static bool key_is(const cbor_item_t *item, const char *key)
{
	size_t n = strlen(key);

	return cbor_isa_string(item) && cbor_string_is_definite(item) &&
	       cbor_string_length(item) == n && memcmp(cbor_string_handle(item), key, n) == 0;
}

/*
 * zcbor_map_decode_bulk(): the payload must be a map with text keys, and a key the handler
 * reads may come once only (other keys may repeat).
 */
int sim_req_item(const struct sim_req *req, const char *key, const cbor_item_t **item)
{
	const struct cbor_pair *pairs;
	size_t count;

	*item = NULL;
	if (!req->keys_ok) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	pairs = cbor_map_handle(req->map);
	count = cbor_map_size(req->map);
	for (size_t i = 0; i < count; i++) {
		if (key_is(pairs[i].key, key)) {
			if (*item) {
				*item = NULL;
				return DFU_SMP_MGMT_ERR_EINVAL;
			}
			*item = pairs[i].value;
		}
	}
	return 0;
}

static int find(const struct sim_req *req, const char *key, const cbor_item_t **item,
		bool *found)
{
	int rc = sim_req_item(req, key, item);

	if (found) {
		*found = *item != NULL;
	}
	return rc;
}

/* libcbor has no storage for an empty string; callers get "" rather than NULL. */
static const unsigned char *handle(const cbor_item_t *item)
{
	static const unsigned char empty[1];
	const unsigned char *p = cbor_isa_string(item) ? cbor_string_handle(item)
						       : cbor_bytestring_handle(item);

	return p ? p : empty;
}

int sim_req_text(const struct sim_req *req, const char *key, const char **s, size_t *n,
		 bool *found)
{
	const cbor_item_t *item;
	int rc = find(req, key, &item, found);

	if (rc || !item) {
		return rc;
	}
	if (!cbor_isa_string(item) || !cbor_string_is_definite(item)) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	*s = (const char *)handle(item);
	*n = cbor_string_length(item);
	return 0;
}

int sim_req_bytes(const struct sim_req *req, const char *key, const uint8_t **b, size_t *n,
		  bool *found)
{
	const cbor_item_t *item;
	int rc = find(req, key, &item, found);

	if (rc || !item) {
		return rc;
	}
	if (!cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item)) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	*b = handle(item);
	*n = cbor_bytestring_length(item);
	return 0;
}

int sim_req_uint(const struct sim_req *req, const char *key, uint64_t max, uint64_t *v,
		 bool *found)
{
	const cbor_item_t *item;
	uint64_t value;
	int rc = find(req, key, &item, found);

	if (rc || !item) {
		return rc;
	}
	if (dfu_smp_mgmt_cbor_get_uint(item, &value) != 0 || value > max) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	*v = value;
	return 0;
}

int sim_req_bool(const struct sim_req *req, const char *key, bool *v, bool *found)
{
	const cbor_item_t *item;
	int rc = find(req, key, &item, found);

	if (rc || !item) {
		return rc;
	}
	if (!dfu_smp_mgmt_cbor_is_bool(item)) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	*v = cbor_get_bool(item);
	return 0;
}

bool sim_copy_text(char *out, size_t cap, const char *s, size_t n)
{
	if (n >= cap) {
		return false;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}
