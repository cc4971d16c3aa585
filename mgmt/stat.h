/* SPDX-License-Identifier: Apache-2.0 */
/* Statistics group (2): request builders and response decoders. */
#ifndef MGMT_STAT_H
#define MGMT_STAT_H

#include <stddef.h>
#include <stdint.h>

#include "../smp/client.h"
#include "reply.h"

/** Command IDs of the statistics group. */
enum mgmt_stat_id {
	MGMT_STAT_SHOW = 0,
	MGMT_STAT_LIST = 1,
};

/** The names of the device's statistics groups. */
struct mgmt_stat_list {
	const char **names;
	size_t count;
};

/** List request (read, `{}`). @return 0 or -ENOBUFS. */
int mgmt_stat_list(struct smp_request *req);

/** Decode the list (`stat_list`, possibly empty). @return 0, -EREMOTEIO or -EBADMSG. */
int mgmt_stat_list_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  struct mgmt_stat_list *out);

/** One counter. */
struct mgmt_stat_field {
	const char *name;
	uint64_t value;
};

/** One statistics group and its counters, in the order the device sent them. */
struct mgmt_stat_group {
	const char *name;
	struct mgmt_stat_field *fields;
	size_t count;
};

/** Show request (read, `{"name": name}`). @return 0 or -ENOBUFS. */
int mgmt_stat_show(struct smp_request *req, const char *name);

/** Decode a group (`name`, `fields` map name -> uint). @return 0, -EREMOTEIO or -EBADMSG. */
int mgmt_stat_show_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  struct mgmt_stat_group *out);

#endif /* MGMT_STAT_H */
