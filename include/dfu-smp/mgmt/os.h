/* SPDX-License-Identifier: Apache-2.0 */
/* OS management group (0): request builders and response decoders. */
#ifndef DFU_SMP_MGMT_OS_H
#define DFU_SMP_MGMT_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/smp/client.h>
#include <dfu-smp/mgmt/reply.h>

/** Command IDs of the OS group. */
enum dfu_smp_mgmt_os_id {
	DFU_SMP_MGMT_OS_ECHO = 0,
	DFU_SMP_MGMT_OS_CONSOLE_ECHO = 1,
	DFU_SMP_MGMT_OS_TASKSTAT = 2,
	DFU_SMP_MGMT_OS_MPSTAT = 3,
	DFU_SMP_MGMT_OS_DATETIME = 4,
	DFU_SMP_MGMT_OS_RESET = 5,
	DFU_SMP_MGMT_OS_PARAMS = 6,
	DFU_SMP_MGMT_OS_INFO = 7,
	DFU_SMP_MGMT_OS_BOOTLOADER = 8,
};

/**
 * Echo: the device sends @p text back. Builds `{"d": text}` as a write.
 * @return 0, or -ENOBUFS if it does not fit the request's buffer.
 */
DFU_SMP_API int dfu_smp_mgmt_os_echo(struct dfu_smp_request *req, const char *text);

/**
 * Decode an echo response. @p text points into the reply's memory.
 * @return 0, -EREMOTEIO (device error) or -EBADMSG (malformed; see reply->detail).
 */
DFU_SMP_API int dfu_smp_mgmt_os_echo_decode(const struct dfu_smp_client_rsp *rsp,
					    struct dfu_smp_mgmt_reply *reply, const char **text);

/** MCUmgr parameters: the device's SMP buffer size and count. */
struct dfu_smp_mgmt_os_params {
	uint32_t buf_size;  /**< bytes of one SMP message the device can take, header included */
	uint32_t buf_count; /**< how many such buffers it has */
};

/** MCUmgr parameters request (read, empty map). @return 0 or -ENOBUFS. */
DFU_SMP_API int dfu_smp_mgmt_os_params(struct dfu_smp_request *req);

/** Decode an MCUmgr parameters response. @return 0, -EREMOTEIO or -EBADMSG. */
DFU_SMP_API int dfu_smp_mgmt_os_params_decode(const struct dfu_smp_client_rsp *rsp,
					      struct dfu_smp_mgmt_reply *reply,
					      struct dfu_smp_mgmt_os_params *out);

/** One thread of task statistics. Optional values are -1 when the device left them out. */
struct dfu_smp_mgmt_os_task {
	const char *name;  /**< the map key: thread name, priority or index as text */
	int64_t prio;      /**< signed; older builds send unsigned (255 for -1) */
	uint64_t tid;
	uint64_t state;    /**< Zephyr thread-state bits */
	int64_t stksiz;    /**< stack size in 4-byte words, or -1 */
	int64_t stkuse;    /**< stack used in 4-byte words, or -1 */
	int64_t runtime;   /**< or -1 */
	int64_t cswcnt;    /**< context switches, or -1 */
	int64_t last_checkin; /**< or -1 */
	int64_t next_checkin; /**< or -1 */
};

/** Task statistics: every thread, in the order the device sent them. */
struct dfu_smp_mgmt_os_taskstat {
	struct dfu_smp_mgmt_os_task *tasks;
	size_t count;
};

/** Task statistics request (read, `{}`). @return 0 or -ENOBUFS. */
DFU_SMP_API int dfu_smp_mgmt_os_taskstat(struct dfu_smp_request *req);

/** Decode task statistics (`tasks`: map name -> map). @return 0, -EREMOTEIO or -EBADMSG. */
DFU_SMP_API int dfu_smp_mgmt_os_taskstat_decode(const struct dfu_smp_client_rsp *rsp,
						struct dfu_smp_mgmt_reply *reply,
						struct dfu_smp_mgmt_os_taskstat *out);

/** One memory pool. Optional values are -1 when left out. */
struct dfu_smp_mgmt_os_mpool {
	const char *name;
	int64_t blksiz; /**< block size in bytes, or -1 */
	uint64_t nblks;
	uint64_t nfree;
	int64_t min;    /**< lowest free count seen, or -1 */
};

/** Memory pool statistics. */
struct dfu_smp_mgmt_os_mpstat {
	struct dfu_smp_mgmt_os_mpool *pools;
	size_t count;
};

/** Memory pool statistics request (read, `{}`). @return 0 or -ENOBUFS. */
DFU_SMP_API int dfu_smp_mgmt_os_mpstat(struct dfu_smp_request *req);

/**
 * Decode memory pool statistics. The pools may come under `mpools` (mynewt, Nordic), under
 * `tasks` (Zephyr's own test) or at the top level (Zephyr's documentation): all are accepted.
 * @return 0, -EREMOTEIO or -EBADMSG.
 */
DFU_SMP_API int dfu_smp_mgmt_os_mpstat_decode(const struct dfu_smp_client_rsp *rsp,
					      struct dfu_smp_mgmt_reply *reply,
					      struct dfu_smp_mgmt_os_mpstat *out);

/** Date-time get request (read, `{}`). @return 0 or -ENOBUFS. */
DFU_SMP_API int dfu_smp_mgmt_os_datetime_get(struct dfu_smp_request *req);

/** Decode the date-time (`datetime`, e.g. "2025-11-20T11:56:05"). @return 0, -EREMOTEIO, -EBADMSG. */
DFU_SMP_API int dfu_smp_mgmt_os_datetime_get_decode(const struct dfu_smp_client_rsp *rsp,
						    struct dfu_smp_mgmt_reply *reply,
						    const char **datetime);

/**
 * Date-time set request (write, `{"datetime": ...}`); @p datetime as the device takes it,
 * "YYYY-MM-DDTHH:MM:SS[.mmm]". Decode the answer with dfu_smp_mgmt_reply_status().
 * @return 0 or -ENOBUFS.
 */
DFU_SMP_API int dfu_smp_mgmt_os_datetime_set(struct dfu_smp_request *req, const char *datetime);

/**
 * Reset request (write). @p force adds `"force": true`; @p boot_mode >= 0 adds `boot_mode`
 * (0 normal, 1 bootloader). Without either the payload is `{}`. Decode with
 * dfu_smp_mgmt_reply_status(). @return 0 or -ENOBUFS.
 */
DFU_SMP_API int dfu_smp_mgmt_os_reset(struct dfu_smp_request *req, bool force, int boot_mode);

/** OS/application info request (read); @p format may be NULL (the device's default "s"). */
DFU_SMP_API int dfu_smp_mgmt_os_info(struct dfu_smp_request *req, const char *format);

/** Decode OS/application info (`output`). @return 0, -EREMOTEIO or -EBADMSG. */
DFU_SMP_API int dfu_smp_mgmt_os_info_decode(const struct dfu_smp_client_rsp *rsp,
					    struct dfu_smp_mgmt_reply *reply, const char **output);

/** MCUboot's modes, as bootloader info reports them (MCUboot's enum mcuboot_mode). */
enum dfu_smp_mgmt_os_boot_mode {
	DFU_SMP_MGMT_OS_BOOT_UNKNOWN = -1,
	DFU_SMP_MGMT_OS_BOOT_SINGLE_SLOT = 0,
	DFU_SMP_MGMT_OS_BOOT_SWAP_SCRATCH = 1,
	DFU_SMP_MGMT_OS_BOOT_OVERWRITE_ONLY = 2,
	DFU_SMP_MGMT_OS_BOOT_SWAP_MOVE = 3,
	DFU_SMP_MGMT_OS_BOOT_DIRECT_XIP = 4,
	DFU_SMP_MGMT_OS_BOOT_DIRECT_XIP_REVERT = 5,
	DFU_SMP_MGMT_OS_BOOT_RAM_LOAD = 6,
	DFU_SMP_MGMT_OS_BOOT_FIRMWARE_LOADER = 7,
	DFU_SMP_MGMT_OS_BOOT_SINGLE_SLOT_RAM_LOAD = 8,
	DFU_SMP_MGMT_OS_BOOT_SWAP_OFFSET = 9,
};

/** Bootloader information. Absent values: name NULL, has_mode false. */
struct dfu_smp_mgmt_os_bootloader {
	const char *name;  /**< `bootloader`, e.g. "MCUboot" */
	bool has_mode;
	int64_t mode; /**< MCUboot mode: enum dfu_smp_mgmt_os_boot_mode, or another number */
	bool no_downgrade; /**< `no-downgrade` */
};

/** Bootloader info request (read); @p query may be NULL or e.g. "mode". @return 0 or -ENOBUFS. */
DFU_SMP_API int dfu_smp_mgmt_os_bootloader(struct dfu_smp_request *req, const char *query);

/** Decode bootloader info. @return 0, -EREMOTEIO or -EBADMSG. */
DFU_SMP_API int dfu_smp_mgmt_os_bootloader_decode(const struct dfu_smp_client_rsp *rsp,
						  struct dfu_smp_mgmt_reply *reply,
						  struct dfu_smp_mgmt_os_bootloader *out);

/** Name of an MCUboot mode number ("swap using scratch", ...), or "unknown". */
DFU_SMP_API const char *dfu_smp_mgmt_os_bootloader_mode_name(int64_t mode);

#endif /* DFU_SMP_MGMT_OS_H */
