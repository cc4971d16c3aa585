/* SPDX-License-Identifier: Apache-2.0 */
/* Zephyr basic group (63): request builder. */
#ifndef MGMT_BASIC_H
#define MGMT_BASIC_H

#include "../smp/client.h"
#include "reply.h"

/** Command IDs of the Zephyr basic group. */
enum mgmt_basic_id {
	MGMT_BASIC_ERASE_STORAGE = 0,
};

/**
 * Erase-storage request (write, `{}`): erases the device's whole storage partition (settings,
 * files). Decode with mgmt_reply_status(). @return 0 or -ENOBUFS.
 */
int mgmt_basic_erase_storage(struct smp_request *req);

#endif /* MGMT_BASIC_H */
