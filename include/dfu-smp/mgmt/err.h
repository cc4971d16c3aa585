/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names and one-line explanations of every SMP error: the generic MGMT_ERR codes (`rc`) and
 * each group's own codes (`err.rc`), and the groups themselves.
 */
#ifndef DFU_SMP_MGMT_ERR_H
#define DFU_SMP_MGMT_ERR_H

#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/mgmt/reply.h>

/** Group IDs (enum mcumgr_group_t). */
enum dfu_smp_mgmt_group {
	DFU_SMP_MGMT_GROUP_OS = 0,
	DFU_SMP_MGMT_GROUP_IMAGE = 1,
	DFU_SMP_MGMT_GROUP_STAT = 2,
	DFU_SMP_MGMT_GROUP_SETTINGS = 3,
	DFU_SMP_MGMT_GROUP_LOG = 4,
	DFU_SMP_MGMT_GROUP_CRASH = 5,
	DFU_SMP_MGMT_GROUP_SPLIT = 6,
	DFU_SMP_MGMT_GROUP_RUN = 7,
	DFU_SMP_MGMT_GROUP_FS = 8,
	DFU_SMP_MGMT_GROUP_SHELL = 9,
	DFU_SMP_MGMT_GROUP_ENUM = 10,
	DFU_SMP_MGMT_GROUP_TRANSPORT = 11,
	DFU_SMP_MGMT_GROUP_ZEPHYR_BASIC = 63,
	DFU_SMP_MGMT_GROUP_PERUSER = 64,
};

/** Generic error codes (`rc`, enum mcumgr_err_t). */
enum dfu_smp_mgmt_err {
	DFU_SMP_MGMT_ERR_EOK = 0,
	DFU_SMP_MGMT_ERR_EUNKNOWN = 1,
	DFU_SMP_MGMT_ERR_ENOMEM = 2,
	DFU_SMP_MGMT_ERR_EINVAL = 3,
	DFU_SMP_MGMT_ERR_ETIMEOUT = 4,
	DFU_SMP_MGMT_ERR_ENOENT = 5,
	DFU_SMP_MGMT_ERR_EBADSTATE = 6,
	DFU_SMP_MGMT_ERR_EMSGSIZE = 7,
	DFU_SMP_MGMT_ERR_ENOTSUP = 8,
	DFU_SMP_MGMT_ERR_ECORRUPT = 9,
	DFU_SMP_MGMT_ERR_EBUSY = 10,
	DFU_SMP_MGMT_ERR_EACCESSDENIED = 11,
	DFU_SMP_MGMT_ERR_UNSUPPORTED_TOO_OLD = 12,
	DFU_SMP_MGMT_ERR_UNSUPPORTED_TOO_NEW = 13,
	DFU_SMP_MGMT_ERR_BRIDGED_CONNECTION_UNAVAILABLE = 14,
	DFU_SMP_MGMT_ERR_EPERUSER = 256,
};

/** Short lower-case name of a group ("os", "image", ...), or NULL if it has none. */
DFU_SMP_API const char *dfu_smp_mgmt_group_name(uint16_t group);

/** Name of a generic error code ("DFU_SMP_MGMT_ERR_EINVAL"), or NULL if unknown. */
DFU_SMP_API const char *dfu_smp_mgmt_err_name(int64_t rc);

/** One-line explanation of a generic error code (never NULL). */
DFU_SMP_API const char *dfu_smp_mgmt_err_text(int64_t rc);

/** Name of a group's error code ("IMG_MGMT_ERR_FLASH_WRITE_FAILED"), or NULL if unknown. */
DFU_SMP_API const char *dfu_smp_mgmt_err_group_name(uint16_t group, int64_t rc);

/** One-line explanation of a group's error code (never NULL). */
DFU_SMP_API const char *dfu_smp_mgmt_err_group_text(uint16_t group, int64_t rc);

/**
 * Describe a failed reply in one line, e.g.
 * "image: IMG_MGMT_ERR_FLASH_WRITE_FAILED (rc 12): writing to the device's flash failed".
 * Writes at most @p cap bytes (NUL included) to @p out and returns @p out.
 */
DFU_SMP_API char *dfu_smp_mgmt_err_describe(const struct dfu_smp_mgmt_reply *reply, char *out,
					    size_t cap);

#endif /* DFU_SMP_MGMT_ERR_H */
