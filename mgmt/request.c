/* SPDX-License-Identifier: Apache-2.0 */
#include "request.h"

#include <errno.h>

void mgmt_request_begin(struct smp_request *req, uint8_t op, uint16_t group, uint8_t id,
			struct mgmt_cbor_writer *w)
{
	req->op = op;
	req->group = group;
	req->id = id;
	req->len = 0;
	if (req->cap < SMP_HDR_SIZE) {
		mgmt_cbor_writer_init(w, req->buf, 0);
		w->overflow = true;
		return;
	}
	mgmt_cbor_writer_init(w, req->buf + SMP_HDR_SIZE, req->cap - SMP_HDR_SIZE);
}

int mgmt_request_end(struct smp_request *req, const struct mgmt_cbor_writer *w)
{
	if (w->overflow) {
		return -ENOBUFS;
	}
	req->len = w->len;
	return 0;
}
