/* SPDX-License-Identifier: Apache-2.0 */
#include "shell.h"

#include <errno.h>

#include "err.h"
#include "request.h"

int mgmt_shell_exec(struct smp_request *req, size_t argc, const char *const *argv)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_WRITE, MGMT_GROUP_SHELL, MGMT_SHELL_EXEC, &w);
	mgmt_cbor_map(&w, 1);
	mgmt_cbor_text(&w, "argv");
	mgmt_cbor_array(&w, argc);
	for (size_t i = 0; i < argc; i++) {
		mgmt_cbor_text(&w, argv[i]);
	}
	return mgmt_request_end(req, &w);
}

int mgmt_shell_exec_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			   struct mgmt_shell_rsp *out)
{
	const cbor_item_t *map;
	int err = mgmt_reply_open(reply, rsp, &map);

	/*
	 * Old devices put the command's return code in `rc`, beside its output: with `o` there,
	 * a non-zero `rc` is the command failing, not the device. Error bodies never carry `o`.
	 */
	if (err == -EREMOTEIO && reply->kind == MGMT_REPLY_RC && mgmt_cbor_find(map, "o")) {
		reply->kind = MGMT_REPLY_OK;
		reply->rc = 0;
		reply->detail[0] = '\0';
		err = 0;
	}
	if (!err) {
		err = mgmt_reply_text(reply, map, "o", true, &out->output);
	}
	if (!err) {
		/* Newer devices with the legacy option send both `ret` and `rc`, alike. */
		bool legacy = !mgmt_cbor_find(map, "ret") && mgmt_cbor_find(map, "rc");

		err = mgmt_reply_int(reply, map, legacy ? "rc" : "ret", true, &out->ret);
	}
	return err;
}
