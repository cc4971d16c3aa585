/* The simulated device's OS group (0). */
#include "device.h"

#include "../mgmt/err.h"
#include "../mgmt/os.h"

static int echo(struct sim_req *req)
{
	const cbor_item_t *d = mgmt_cbor_find(req->map, "d");

	/* Zephyr takes only definite-length text strings. */
	if (d && (!cbor_isa_string(d) || cbor_string_is_indefinite(d))) {
		return MGMT_ERR_EINVAL;
	}
	mgmt_cbor_text(req->rsp, "r");
	if (d) {
		mgmt_cbor_text_n(req->rsp, (const char *)cbor_string_handle(d),
				 cbor_string_length(d));
	} else {
		mgmt_cbor_text(req->rsp, "");
	}
	return 0;
}

static int params(struct sim_req *req)
{
	mgmt_cbor_text(req->rsp, "buf_size");
	mgmt_cbor_uint(req->rsp, req->dev->cfg.buf_size);
	mgmt_cbor_text(req->rsp, "buf_count");
	mgmt_cbor_uint(req->rsp, req->dev->cfg.buf_count);
	return 0;
}

/* Zephyr's version 1 folding of OS group errors. */
static int fold_v1(int rc)
{
	switch (rc) {
	case 2: /* INVALID_FORMAT */
		return MGMT_ERR_EINVAL;
	case 3: /* QUERY_YIELDS_NO_ANSWER */
	case 4: /* RTC_NOT_SET */
		return MGMT_ERR_ENOENT;
	default:
		return MGMT_ERR_EUNKNOWN;
	}
}

static const struct sim_handler handlers[] = {
	{ MGMT_OS_ECHO, echo, echo },
	{ MGMT_OS_PARAMS, params, NULL },
};

const struct sim_group sim_group_os = {
	.id = MGMT_GROUP_OS,
	.name = "os",
	.handlers = handlers,
	.count = sizeof(handlers) / sizeof(handlers[0]),
	.fold_v1 = fold_v1,
};
