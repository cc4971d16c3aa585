/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/mgmt/os.h>

#include <errno.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/request.h>

#include "reply_decode.h"

int dfu_smp_mgmt_os_echo(struct dfu_smp_request *req, const char *text)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_OS,
				   DFU_SMP_MGMT_OS_ECHO, &w);
	dfu_smp_mgmt_cbor_map(&w, 1);
	dfu_smp_mgmt_cbor_text(&w, "d");
	dfu_smp_mgmt_cbor_text(&w, text);
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_os_echo_decode(const struct dfu_smp_client_rsp *rsp,
				struct dfu_smp_mgmt_reply *reply, const char **text)
{
	const cbor_item_t *map;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	return dfu_smp_mgmt_reply_text(reply, map, "r", true, text);
}

int dfu_smp_mgmt_os_params(struct dfu_smp_request *req)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_OS,
				   DFU_SMP_MGMT_OS_PARAMS, &w);
	dfu_smp_mgmt_cbor_map(&w, 0);
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_os_params_decode(const struct dfu_smp_client_rsp *rsp,
				  struct dfu_smp_mgmt_reply *reply,
				  struct dfu_smp_mgmt_os_params *out)
{
	const cbor_item_t *map;
	uint64_t size, count;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	err = dfu_smp_mgmt_reply_uint(reply, map, "buf_size", true, UINT32_MAX, &size);
	if (!err) {
		err = dfu_smp_mgmt_reply_uint(reply, map, "buf_count", true, UINT32_MAX, &count);
	}
	if (err) {
		return err;
	}
	out->buf_size = (uint32_t)size;
	out->buf_count = (uint32_t)count;
	return 0;
}

/* The read commands of this group whose request is `{}`. */
static int empty_read(struct dfu_smp_request *req, uint8_t id)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_OS, id, &w);
	dfu_smp_mgmt_cbor_map(&w, 0);
	return dfu_smp_mgmt_request_end(req, &w);
}

/* A read with one optional text key, left out when @p value is NULL. */
static int optional_text_read(struct dfu_smp_request *req, uint8_t id, const char *key,
			      const char *value)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_READ, DFU_SMP_MGMT_GROUP_OS, id, &w);
	dfu_smp_mgmt_cbor_map(&w, value ? 1 : 0);
	if (value) {
		dfu_smp_mgmt_cbor_text(&w, key);
		dfu_smp_mgmt_cbor_text(&w, value);
	}
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_os_taskstat(struct dfu_smp_request *req)
{
	return empty_read(req, DFU_SMP_MGMT_OS_TASKSTAT);
}

/* One entry of `tasks`: a thread under its name. */
static int decode_task(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map, const char *name,
		       void *elem)
{
	struct dfu_smp_mgmt_os_task *task = elem;
	int err = dfu_smp_mgmt_reply_int(reply, map, "prio", true, &task->prio);

	task->name = name;
	if (!err) {
		err = dfu_smp_mgmt_reply_uint(reply, map, "tid", true, UINT64_MAX, &task->tid);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint(reply, map, "state", true, UINT64_MAX, &task->state);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "stksiz", &task->stksiz);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "stkuse", &task->stkuse);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "runtime", &task->runtime);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "cswcnt", &task->cswcnt);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "last_checkin", &task->last_checkin);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "next_checkin", &task->next_checkin);
	}
	return err;
}

int dfu_smp_mgmt_os_taskstat_decode(const struct dfu_smp_client_rsp *rsp,
				    struct dfu_smp_mgmt_reply *reply,
				    struct dfu_smp_mgmt_os_taskstat *out)
{
	const cbor_item_t *map;
	void *tasks = NULL;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = dfu_smp_mgmt_reply_named(reply, map, "tasks", true, sizeof(*out->tasks),
					       decode_task, &tasks, &out->count);
		out->tasks = tasks;
	}
	return err;
}

int dfu_smp_mgmt_os_mpstat(struct dfu_smp_request *req)
{
	return empty_read(req, DFU_SMP_MGMT_OS_MPSTAT);
}

static int decode_pool(struct dfu_smp_mgmt_reply *reply, const cbor_item_t *map,
		       struct dfu_smp_mgmt_os_mpool *pool)
{
	int err = dfu_smp_mgmt_reply_uint(reply, map, "nblks", true, UINT64_MAX, &pool->nblks);

	if (!err) {
		err = dfu_smp_mgmt_reply_uint(reply, map, "nfree", true, UINT64_MAX, &pool->nfree);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "blksiz", &pool->blksiz);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_uint_opt(reply, map, "min", &pool->min);
	}
	return err;
}

/* At the top level only maps with `nblks` are pools; the other keys are the answer's own. */
static bool is_top_level_pool(const struct cbor_pair *pair)
{
	return cbor_isa_string(pair->key) && cbor_isa_map(pair->value) &&
	       dfu_smp_mgmt_cbor_find(pair->value, "nblks");
}

int dfu_smp_mgmt_os_mpstat_decode(const struct dfu_smp_client_rsp *rsp,
				  struct dfu_smp_mgmt_reply *reply,
				  struct dfu_smp_mgmt_os_mpstat *out)
{
	const cbor_item_t *map, *pools = NULL;
	const char *container = "mpools";
	struct cbor_pair *pairs;
	size_t size;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = dfu_smp_mgmt_reply_item(reply, map, container, false, CBOR_TYPE_MAP, &pools);
	}
	if (!err && !pools) {
		container = "tasks";
		err = dfu_smp_mgmt_reply_item(reply, map, container, false, CBOR_TYPE_MAP, &pools);
	}
	if (err) {
		return err;
	}
	if (!pools) {
		/* neither wrapper: the pools are in the answer itself (Zephyr's documentation) */
		container = NULL;
		pools = map;
	}
	pairs = cbor_map_handle(pools);
	size = cbor_map_size(pools);
	out->pools = dfu_smp_mgmt_reply_alloc(reply, size * sizeof(*out->pools));
	if (!out->pools) {
		return -ENOMEM;
	}
	out->count = 0;
	for (size_t i = 0; i < size; i++) {
		struct dfu_smp_mgmt_os_mpool *pool = &out->pools[out->count];

		if (container) {
			err = dfu_smp_mgmt_reply_named_map(reply, container, &pairs[i],
							   &pool->name);
		} else if (is_top_level_pool(&pairs[i])) {
			err = dfu_smp_mgmt_reply_text_item(reply, pairs[i].key, "", &pool->name);
			if (!err) {
				dfu_smp_mgmt_reply_where(reply, "%s.", pool->name);
			}
		} else {
			continue;
		}
		if (!err) {
			err = decode_pool(reply, pairs[i].value, pool);
		}
		if (err) {
			return err;
		}
		out->count++;
	}
	return 0;
}

int dfu_smp_mgmt_os_datetime_get(struct dfu_smp_request *req)
{
	return empty_read(req, DFU_SMP_MGMT_OS_DATETIME);
}

int dfu_smp_mgmt_os_datetime_get_decode(const struct dfu_smp_client_rsp *rsp,
					struct dfu_smp_mgmt_reply *reply, const char **datetime)
{
	const cbor_item_t *map;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	return dfu_smp_mgmt_reply_text(reply, map, "datetime", true, datetime);
}

int dfu_smp_mgmt_os_datetime_set(struct dfu_smp_request *req, const char *datetime)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_OS,
				   DFU_SMP_MGMT_OS_DATETIME, &w);
	dfu_smp_mgmt_cbor_map(&w, 1);
	dfu_smp_mgmt_cbor_text(&w, "datetime");
	dfu_smp_mgmt_cbor_text(&w, datetime);
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_os_reset(struct dfu_smp_request *req, bool force, int boot_mode)
{
	struct dfu_smp_mgmt_cbor_writer w;

	dfu_smp_mgmt_request_begin(req, DFU_SMP_OP_WRITE, DFU_SMP_MGMT_GROUP_OS,
				   DFU_SMP_MGMT_OS_RESET, &w);
	dfu_smp_mgmt_cbor_map(&w, (force ? 1 : 0) + (boot_mode >= 0 ? 1 : 0));
	if (force) {
		dfu_smp_mgmt_cbor_text(&w, "force");
		dfu_smp_mgmt_cbor_bool(&w, true);
	}
	if (boot_mode >= 0) {
		dfu_smp_mgmt_cbor_text(&w, "boot_mode");
		dfu_smp_mgmt_cbor_uint(&w, (uint64_t)boot_mode);
	}
	return dfu_smp_mgmt_request_end(req, &w);
}

int dfu_smp_mgmt_os_info(struct dfu_smp_request *req, const char *format)
{
	return optional_text_read(req, DFU_SMP_MGMT_OS_INFO, "format", format);
}

int dfu_smp_mgmt_os_info_decode(const struct dfu_smp_client_rsp *rsp,
				struct dfu_smp_mgmt_reply *reply, const char **output)
{
	const cbor_item_t *map;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	return dfu_smp_mgmt_reply_text(reply, map, "output", true, output);
}

int dfu_smp_mgmt_os_bootloader(struct dfu_smp_request *req, const char *query)
{
	return optional_text_read(req, DFU_SMP_MGMT_OS_BOOTLOADER, "query", query);
}

int dfu_smp_mgmt_os_bootloader_decode(const struct dfu_smp_client_rsp *rsp,
				      struct dfu_smp_mgmt_reply *reply,
				      struct dfu_smp_mgmt_os_bootloader *out)
{
	const cbor_item_t *map;
	int err = dfu_smp_mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	/* Which keys come depends on the query, which the answer does not repeat. */
	out->name = NULL;
	out->has_mode = dfu_smp_mgmt_cbor_find(map, "mode") != NULL;
	out->mode = -1;
	out->no_downgrade = false;
	err = dfu_smp_mgmt_reply_text(reply, map, "bootloader", false, &out->name);
	if (!err) {
		err = dfu_smp_mgmt_reply_int(reply, map, "mode", false, &out->mode);
	}
	if (!err) {
		err = dfu_smp_mgmt_reply_bool(reply, map, "no-downgrade", false,
					      &out->no_downgrade);
	}
	return err;
}

const char *dfu_smp_mgmt_os_bootloader_mode_name(int64_t mode)
{
	/* MCUboot's enum mcuboot_mode, from -1 (unknown). */
	static const char *const names[] = {
		"unknown",
		"single application slot",
		"swap using scratch",
		"overwrite (upgrade) only",
		"swap without scratch (swap-using-move)",
		"direct-XIP",
		"direct-XIP with revert",
		"RAM load",
		"firmware loader (firmware updater)",
		"single slot RAM load",
		"swap using offset",
	};

	if (mode < -1 || mode >= (int64_t)(sizeof(names) / sizeof(names[0])) - 1) {
		return names[0];
	}
	return names[mode + 1];
}
