/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/mgmt/basic.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/request.h>

int dfu_smp_mgmt_basic_erase_storage(struct dfu_smp_request *req)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_ZEPHYR_BASIC,
				   DFU_SMP_MGMT_BASIC_ERASE_STORAGE, &w);
	dfu_smp_mgmt_cbor_map(&w, 0);
	return dfu_smp_mgmt_request_end(req, &w);
}
