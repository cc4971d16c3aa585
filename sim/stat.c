/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's statistics group (2): Zephyr stats groups whose counters are RAM
 * values, zero at each boot: the smp_svr sample's tick counter, the SMP traffic and the
 * storage partition's activity.
 */
#include "device.h"

#include <string.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/stat.h>

/* Statistics group error codes (enum stat_mgmt_err_code_t). */
enum {
	STAT_ERR_INVALID_GROUP = 2,
	STAT_ERR_INVALID_STAT_NAME = 3,
};

/* CONFIG_STAT_MGMT_MAX_NAME_LEN: names must be shorter. */
#define NAME_LEN 32

#define MAX_FIELDS 5

/* Fills in a group's counters; @return how many. */
typedef size_t (*fields_fn)(const struct sim_req *req, const char **names, uint32_t *values);

static size_t svr_fields(const struct sim_req *req, const char **names, uint32_t *values)
{
	/* the sample's main loop counts one tick a second */
	names[0] = "ticks";
	values[0] = (uint32_t)(sim_device_uptime_us(req->dev, req->now_us) / 1000000);
	return 1;
}

static size_t smp_fields(const struct sim_req *req, const char **names, uint32_t *values)
{
	const struct sim_smp_counters *c = &req->dev->smp;

	names[0] = "rx_msgs";
	values[0] = c->rx_msgs;
	names[1] = "tx_msgs";
	values[1] = c->tx_msgs;
	names[2] = "rx_bytes";
	values[2] = c->rx_bytes;
	names[3] = "tx_bytes";
	values[3] = c->tx_bytes;
	names[4] = "errors";
	values[4] = c->errors;
	return 5;
}

static size_t storage_fields(const struct sim_req *req, const char **names, uint32_t *values)
{
	const struct sim_storage_counters *c = &req->dev->storage;

	names[0] = "reads";
	values[0] = c->reads;
	names[1] = "bytes_read";
	values[1] = c->bytes_read;
	names[2] = "writes";
	values[2] = c->writes;
	names[3] = "bytes_written";
	values[3] = c->bytes_written;
	names[4] = "erases";
	values[4] = c->erases;
	return 5;
}

/* In the order they are registered. */
static const struct {
	const char *name;
	fields_fn fields;
} groups[] = {
	{ "smp_svr_stats", svr_fields },
	{ "smp", smp_fields },
	{ "storage", storage_fields },
};

#define GROUP_COUNT (sizeof(groups) / sizeof(groups[0]))

static int show(struct sim_req *req)
{
	const char *name = NULL, *names[MAX_FIELDS];
	uint32_t values[MAX_FIELDS];
	size_t n = 0, count;
	int rc;

	rc = sim_req_text(req, "name", &name, &n, NULL);
	if (rc) {
		return rc;
	}
	if (n == 0 || n >= NAME_LEN) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	for (size_t i = 0; i < GROUP_COUNT; i++) {
		if (strlen(groups[i].name) != n || memcmp(groups[i].name, name, n) != 0) {
			continue;
		}
		count = groups[i].fields(req, names, values);
		dfu_smp_mgmt_cbor_text(req->rsp, "name");
		dfu_smp_mgmt_cbor_text_n(req->rsp, name, n);
		dfu_smp_mgmt_cbor_text(req->rsp, "fields");
		dfu_smp_mgmt_cbor_map_indef(req->rsp);
		for (size_t j = 0; j < count; j++) {
			dfu_smp_mgmt_cbor_text(req->rsp, names[j]);
			dfu_smp_mgmt_cbor_uint(req->rsp, values[j]);
		}
		dfu_smp_mgmt_cbor_break(req->rsp);
		return 0;
	}
	return SIM_GROUP_ERR(STAT_ERR_INVALID_STAT_NAME);
}

static int list(struct sim_req *req)
{
	dfu_smp_mgmt_cbor_text(req->rsp, "stat_list");
	dfu_smp_mgmt_cbor_array_indef(req->rsp);
	for (size_t i = 0; i < GROUP_COUNT; i++) {
		dfu_smp_mgmt_cbor_text(req->rsp, groups[i].name);
	}
	dfu_smp_mgmt_cbor_break(req->rsp);
	return 0;
}

/* Version 1 folding: an unknown group or name is "no such entry" (observed). */
static int fold_v1(int rc)
{
	switch (rc) {
	case STAT_ERR_INVALID_GROUP:
	case STAT_ERR_INVALID_STAT_NAME:
		return DFU_SMP_MGMT_ERR_ENOENT;
	default:
		return DFU_SMP_MGMT_ERR_EUNKNOWN;
	}
}

static const struct sim_handler handlers[] = {
	{ DFU_SMP_MGMT_STAT_SHOW, show, NULL },
	{ DFU_SMP_MGMT_STAT_LIST, list, NULL },
};

const struct sim_group sim_group_stat = {
	.id = DFU_SMP_MGMT_GROUP_STAT,
	.name = "stat mgmt",
	.handlers = handlers,
	.count = sizeof(handlers) / sizeof(handlers[0]),
	.fold_v1 = fold_v1,
};
