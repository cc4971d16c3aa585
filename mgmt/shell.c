/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/mgmt/shell.h>

#include <errno.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/request.h>

#include "reply_decode.h"

int dfu_smp_mgmt_shell_exec(struct dfu_smp_request *req, size_t argc, const char *const *argv)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_SHELL,
				   DFU_SMP_MGMT_SHELL_EXEC, &w);
	dfu_smp_mgmt_cbor_map(&w, 1);
	dfu_smp_mgmt_cbor_text(&w, "argv");
	dfu_smp_mgmt_cbor_array(&w, argc);
	for (size_t i = 0; i < argc; i++) {
		dfu_smp_mgmt_cbor_text(&w, argv[i]);
	}
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_shell_exec_decode(const struct dfu_smp_client_rsp *rsp,
				   struct dfu_smp_mgmt_reply *reply,
				   struct dfu_smp_mgmt_shell_rsp *out)
{
	const cbor_item_t *map;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	/*
	 * Old devices put the command's return code in `rc`, beside its output: with `o` there,
	 * a non-zero `rc` is the command failing, not the device. Error bodies never carry `o`.
	 */
	if (err == -EREMOTEIO && reply->kind == DFU_SMP_MGMT_REPLY_RC &&
	    dfu_smp_mgmt_cbor_find(map, "o")) {
		reply->kind = DFU_SMP_MGMT_REPLY_OK;
		reply->rc = 0;
		reply->detail[0] = '\0';
		err = 0;
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_text(reply, map, "o", true, &out->output);
	}
	if (!err) {
		/* Newer devices with the legacy option send both `ret` and `rc`, alike. */
		bool legacy =
			!dfu_smp_mgmt_cbor_find(map, "ret") && dfu_smp_mgmt_cbor_find(map, "rc");

		err = dfu_smp_mgmt_reply_int(reply, map, legacy ? "rc" : "ret", true, &out->ret);
	}
	return err;
}
