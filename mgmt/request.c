/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/mgmt/request.h>

#include <errno.h>

void dfu_smp_mgmt_request_begin(struct dfu_smp_request *req, uint8_t op, uint16_t group, uint8_t id,
			struct dfu_smp_mgmt_cbor_writer *w)
{
	req->op = op;
	req->group = group;
	req->id = id;
	req->len = 0;
	if (req->cap < DFU_SMP_HDR_SIZE) {
		dfu_smp_mgmt_cbor_writer_init(w, req->buf, 0);
		w->overflow = true;
		return;
	}
	dfu_smp_mgmt_cbor_writer_init(w, req->buf + DFU_SMP_HDR_SIZE, req->cap - DFU_SMP_HDR_SIZE);
}

int dfu_smp_mgmt_request_end(struct dfu_smp_request *req, const struct dfu_smp_mgmt_cbor_writer *w)
{
	if (w->overflow) {
		return -ENOBUFS;
	}
	req->len = w->len;
	return 0;
}
