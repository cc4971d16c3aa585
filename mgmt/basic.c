/* SPDX-License-Identifier: Apache-2.0 */
#include "basic.h"

#include "err.h"
#include "request.h"

int mgmt_basic_erase_storage(struct smp_request *req)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_WRITE, MGMT_GROUP_ZEPHYR_BASIC, MGMT_BASIC_ERASE_STORAGE,
			   &w);
	mgmt_cbor_map(&w, 0);
	return mgmt_request_end(req, &w);
}
