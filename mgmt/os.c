#include "os.h"

#include "err.h"
#include "request.h"

int mgmt_os_echo(struct smp_request *req, const char *text)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_WRITE, MGMT_GROUP_OS, MGMT_OS_ECHO, &w);
	mgmt_cbor_map(&w, 1);
	mgmt_cbor_text(&w, "d");
	mgmt_cbor_text(&w, text);
	return mgmt_request_end(req, &w);
}

int mgmt_os_echo_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			const char **text)
{
	const cbor_item_t *map;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	return mgmt_reply_text(reply, map, "r", true, text);
}

int mgmt_os_params(struct smp_request *req)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_READ, MGMT_GROUP_OS, MGMT_OS_PARAMS, &w);
	mgmt_cbor_map(&w, 0);
	return mgmt_request_end(req, &w);
}

int mgmt_os_params_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  struct mgmt_os_params *out)
{
	const cbor_item_t *map;
	uint64_t size, count;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	err = mgmt_reply_uint(reply, map, "buf_size", true, UINT32_MAX, &size);
	if (!err) {
		err = mgmt_reply_uint(reply, map, "buf_count", true, UINT32_MAX, &count);
	}
	if (err) {
		return err;
	}
	out->buf_size = (uint32_t)size;
	out->buf_count = (uint32_t)count;
	return 0;
}
