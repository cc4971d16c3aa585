/* SPDX-License-Identifier: Apache-2.0 */
/* Shell group (9): request builder and response decoder. */
#ifndef DFU_SMP_MGMT_SHELL_H
#define DFU_SMP_MGMT_SHELL_H

#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/smp/client.h>
#include <dfu-smp/mgmt/reply.h>

/** Command IDs of the shell group. */
enum dfu_smp_mgmt_shell_id {
	DFU_SMP_MGMT_SHELL_EXEC = 0,
};

/** Execute request (write, `{"argv": [...]}`). @return 0 or -ENOBUFS. */
DFU_SMP_API int dfu_smp_mgmt_shell_exec(struct dfu_smp_request *req, size_t argc,
					const char *const *argv);

/** The command's output and return code. */
struct dfu_smp_mgmt_shell_rsp {
	const char *output; /**< `o`; may hold CR LF and ANSI colour codes */
	int64_t ret; /**< `ret`, or the legacy `rc` of old devices, which answer `o` + `rc` */
};

/**
 * Decode an execute answer. A legacy answer `{"o": ..., "rc": N}` is the command's result, not
 * a device error. @return 0, -EREMOTEIO or -EBADMSG.
 */
DFU_SMP_API int dfu_smp_mgmt_shell_exec_decode(const struct dfu_smp_client_rsp *rsp,
					       struct dfu_smp_mgmt_reply *reply,
					       struct dfu_smp_mgmt_shell_rsp *out);

#endif /* DFU_SMP_MGMT_SHELL_H */
