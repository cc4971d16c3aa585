/* SPDX-License-Identifier: Apache-2.0 */
/* Zephyr basic group (63): request builder. */
#ifndef DFU_SMP_MGMT_BASIC_H
#define DFU_SMP_MGMT_BASIC_H

#include <dfu-smp/export.h>
#include <dfu-smp/smp/client.h>
#include <dfu-smp/mgmt/reply.h>

/** Command IDs of the Zephyr basic group. */
enum dfu_smp_mgmt_basic_id {
	DFU_SMP_MGMT_BASIC_ERASE_STORAGE = 0,
};

/**
 * Erase-storage request (write, `{}`): erases the device's whole storage partition (settings,
 * files). Decode with dfu_smp_mgmt_reply_status(). @return 0 or -ENOBUFS.
 */
DFU_SMP_API int dfu_smp_mgmt_basic_erase_storage(struct dfu_smp_request *req);

#endif /* DFU_SMP_MGMT_BASIC_H */
