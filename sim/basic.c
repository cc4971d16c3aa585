/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's Zephyr basic group (63): erasing the storage partition, which holds
 * the stored settings and the file system.
 */
#include "device.h"

#include <dfu-smp/mgmt/basic.h>
#include <dfu-smp/mgmt/err.h>

/* Zephyr basic group error codes (enum zephyr_basic_group_err_code_t). */
enum {
	BASIC_ERR_FLASH_OPEN_FAILED = 2,
	BASIC_ERR_FLASH_ERASE_FAILED = 4,
};

/* What runs from RAM keeps its values until the next boot, as after a real flash erase. */
static int erase_storage(struct sim_req *req)
{
	int settings_err = sim_settings_erase(req->dev);
	int fs_err = sim_fs_erase(req->dev);

	req->dev->storage.erases++;
	return settings_err || fs_err ? SIM_GROUP_ERR(BASIC_ERR_FLASH_ERASE_FAILED) : 0;
}

/*
 * Zephyr folds a failed open to "no such entry" and every other error to 1; its table turns
 * an erase failure into 0, which would read as success, so that one is 1 here too.
 */
static int fold_v1(int rc)
{
	return rc == BASIC_ERR_FLASH_OPEN_FAILED ? DFU_SMP_MGMT_ERR_ENOENT
						 : DFU_SMP_MGMT_ERR_EUNKNOWN;
}

static const struct sim_handler handlers[] = {
	{ DFU_SMP_MGMT_BASIC_ERASE_STORAGE, NULL, erase_storage },
};

const struct sim_group sim_group_basic = {
	.id = DFU_SMP_MGMT_GROUP_ZEPHYR_BASIC,
	.name = "zephyr basic mgmt",
	.handlers = handlers,
	.count = sizeof(handlers) / sizeof(handlers[0]),
	.fold_v1 = fold_v1,
};
