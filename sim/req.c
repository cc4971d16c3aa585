/* Request readers for the simulated device's handlers. */
#include "device.h"

#include <string.h>

#include "../mgmt/err.h"

static const cbor_item_t *find(const struct sim_req *req, const char *key, bool *found)
{
	const cbor_item_t *item = mgmt_cbor_find(req->map, key);

	if (found) {
		*found = item != NULL;
	}
	return item;
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
	const cbor_item_t *item = find(req, key, found);

	if (!item) {
		return 0;
	}
	if (!cbor_isa_string(item) || !cbor_string_is_definite(item)) {
		return MGMT_ERR_EINVAL;
	}
	*s = (const char *)handle(item);
	*n = cbor_string_length(item);
	return 0;
}

int sim_req_bytes(const struct sim_req *req, const char *key, const uint8_t **b, size_t *n,
		  bool *found)
{
	const cbor_item_t *item = find(req, key, found);

	if (!item) {
		return 0;
	}
	if (!cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item)) {
		return MGMT_ERR_EINVAL;
	}
	*b = handle(item);
	*n = cbor_bytestring_length(item);
	return 0;
}

int sim_req_uint(const struct sim_req *req, const char *key, uint64_t max, uint64_t *v,
		 bool *found)
{
	const cbor_item_t *item = find(req, key, found);
	uint64_t value;

	if (!item) {
		return 0;
	}
	if (mgmt_cbor_get_uint(item, &value) != 0 || value > max) {
		return MGMT_ERR_EINVAL;
	}
	*v = value;
	return 0;
}

int sim_req_bool(const struct sim_req *req, const char *key, bool *v, bool *found)
{
	const cbor_item_t *item = find(req, key, found);

	if (!item) {
		return 0;
	}
	if (!mgmt_cbor_is_bool(item)) {
		return MGMT_ERR_EINVAL;
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
