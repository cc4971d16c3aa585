/* SPDX-License-Identifier: Apache-2.0 */
/* Statistics group (2): request builders and response decoders. */
#ifndef DFU_SMP_MGMT_STAT_H
#define DFU_SMP_MGMT_STAT_H

#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/smp/client.h>
#include <dfu-smp/mgmt/reply.h>

/** Command IDs of the statistics group. */
enum dfu_smp_mgmt_stat_id {
	DFU_SMP_MGMT_STAT_SHOW = 0,
	DFU_SMP_MGMT_STAT_LIST = 1,
};

/** The names of the device's statistics groups. */
struct dfu_smp_mgmt_stat_list {
	const char **names;
	size_t count;
};

/** List request (read, `{}`). @return 0 or -ENOBUFS. */
DFU_SMP_API int dfu_smp_mgmt_stat_list(struct dfu_smp_request *req);

/** Decode the list (`stat_list`, possibly empty). @return 0, -EREMOTEIO or -EBADMSG. */
DFU_SMP_API int dfu_smp_mgmt_stat_list_decode(const struct dfu_smp_client_rsp *rsp,
					      struct dfu_smp_mgmt_reply *reply,
					      struct dfu_smp_mgmt_stat_list *out);

/** One counter. */
struct dfu_smp_mgmt_stat_field {
	const char *name;
	uint64_t value;
};

/** One statistics group and its counters, in the order the device sent them. */
struct dfu_smp_mgmt_stat_group {
	const char *name;
	struct dfu_smp_mgmt_stat_field *fields;
	size_t count;
};

/** Show request (read, `{"name": name}`). @return 0 or -ENOBUFS. */
DFU_SMP_API int dfu_smp_mgmt_stat_show(struct dfu_smp_request *req, const char *name);

/** Decode a group (`name`, `fields` map name -> uint). @return 0, -EREMOTEIO or -EBADMSG. */
DFU_SMP_API int dfu_smp_mgmt_stat_show_decode(const struct dfu_smp_client_rsp *rsp,
					      struct dfu_smp_mgmt_reply *reply,
					      struct dfu_smp_mgmt_stat_group *out);

#endif /* DFU_SMP_MGMT_STAT_H */
