/* SPDX-License-Identifier: Apache-2.0 */
#include "os.h"

#include <errno.h>

#include "err.h"
#include "request.h"

int mgmt_os_echo(struct smp_request *req, const char *text)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_WRITE, MGMT_GROUP_OS, MGMT_OS_ECHO, &w);
	mgmt_cbor_map(&w, 1);
	mgmt_cbor_text(&w, "d");
	mgmt_cbor_text(&w, text);
	return mgmt_request_end(req, &w);
}

int mgmt_os_echo_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			const char **text)
{
	const cbor_item_t *map;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	return mgmt_reply_text(reply, map, "r", true, text);
}

int mgmt_os_params(struct smp_request *req)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_READ, MGMT_GROUP_OS, MGMT_OS_PARAMS, &w);
	mgmt_cbor_map(&w, 0);
	return mgmt_request_end(req, &w);
}

int mgmt_os_params_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  struct mgmt_os_params *out)
{
	const cbor_item_t *map;
	uint64_t size, count;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	err = mgmt_reply_uint(reply, map, "buf_size", true, UINT32_MAX, &size);
	if (!err) {
		err = mgmt_reply_uint(reply, map, "buf_count", true, UINT32_MAX, &count);
	}
	if (err) {
		return err;
	}
	out->buf_size = (uint32_t)size;
	out->buf_count = (uint32_t)count;
	return 0;
}

/* The read commands of this group whose request is `{}`. */
static int empty_read(struct smp_request *req, uint8_t id)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_READ, MGMT_GROUP_OS, id, &w);
	mgmt_cbor_map(&w, 0);
	return mgmt_request_end(req, &w);
}

/* A read with one optional text key, left out when @p value is NULL. */
static int optional_text_read(struct smp_request *req, uint8_t id, const char *key,
			      const char *value)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_READ, MGMT_GROUP_OS, id, &w);
	mgmt_cbor_map(&w, value ? 1 : 0);
	if (value) {
		mgmt_cbor_text(&w, key);
		mgmt_cbor_text(&w, value);
	}
	return mgmt_request_end(req, &w);
}

int mgmt_os_taskstat(struct smp_request *req)
{
	return empty_read(req, MGMT_OS_TASKSTAT);
}

/* One entry of `tasks`: a thread under its name. */
static int decode_task(struct mgmt_reply *reply, const cbor_item_t *map, const char *name,
		       void *elem)
{
	struct mgmt_os_task *task = elem;
	int err = mgmt_reply_int(reply, map, "prio", true, &task->prio);

	task->name = name;
	if (!err) {
		err = mgmt_reply_uint(reply, map, "tid", true, UINT64_MAX, &task->tid);
	}
	if (!err) {
		err = mgmt_reply_uint(reply, map, "state", true, UINT64_MAX, &task->state);
	}
	if (!err) {
		err = mgmt_reply_uint_opt(reply, map, "stksiz", &task->stksiz);
	}
	if (!err) {
		err = mgmt_reply_uint_opt(reply, map, "stkuse", &task->stkuse);
	}
	if (!err) {
		err = mgmt_reply_uint_opt(reply, map, "runtime", &task->runtime);
	}
	if (!err) {
		err = mgmt_reply_uint_opt(reply, map, "cswcnt", &task->cswcnt);
	}
	if (!err) {
		err = mgmt_reply_uint_opt(reply, map, "last_checkin", &task->last_checkin);
	}
	if (!err) {
		err = mgmt_reply_uint_opt(reply, map, "next_checkin", &task->next_checkin);
	}
	return err;
}

int mgmt_os_taskstat_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			    struct mgmt_os_taskstat *out)
{
	const cbor_item_t *map;
	void *tasks = NULL;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = mgmt_reply_named(reply, map, "tasks", true, sizeof(*out->tasks), decode_task,
				       &tasks, &out->count);
		out->tasks = tasks;
	}
	return err;
}

int mgmt_os_mpstat(struct smp_request *req)
{
	return empty_read(req, MGMT_OS_MPSTAT);
}

static int decode_pool(struct mgmt_reply *reply, const cbor_item_t *map,
		       struct mgmt_os_mpool *pool)
{
	int err = mgmt_reply_uint(reply, map, "nblks", true, UINT64_MAX, &pool->nblks);

	if (!err) {
		err = mgmt_reply_uint(reply, map, "nfree", true, UINT64_MAX, &pool->nfree);
	}
	if (!err) {
		err = mgmt_reply_uint_opt(reply, map, "blksiz", &pool->blksiz);
	}
	if (!err) {
		err = mgmt_reply_uint_opt(reply, map, "min", &pool->min);
	}
	return err;
}

/* At the top level only maps with `nblks` are pools; the other keys are the answer's own. */
static bool is_top_level_pool(const struct cbor_pair *pair)
{
	return cbor_isa_string(pair->key) && cbor_isa_map(pair->value) &&
	       mgmt_cbor_find(pair->value, "nblks");
}

int mgmt_os_mpstat_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  struct mgmt_os_mpstat *out)
{
	const cbor_item_t *map, *pools = NULL;
	const char *container = "mpools";
	struct cbor_pair *pairs;
	size_t size;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (!err) {
		err = mgmt_reply_item(reply, map, container, false, CBOR_TYPE_MAP, &pools);
	}
	if (!err && !pools) {
		container = "tasks";
		err = mgmt_reply_item(reply, map, container, false, CBOR_TYPE_MAP, &pools);
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
	out->pools = mgmt_reply_alloc(reply, size * sizeof(*out->pools));
	if (!out->pools) {
		return -ENOMEM;
	}
	out->count = 0;
	for (size_t i = 0; i < size; i++) {
		struct mgmt_os_mpool *pool = &out->pools[out->count];

		if (container) {
			err = mgmt_reply_named_map(reply, container, &pairs[i], &pool->name);
		} else if (is_top_level_pool(&pairs[i])) {
			err = mgmt_reply_text_item(reply, pairs[i].key, "", &pool->name);
			if (!err) {
				mgmt_reply_where(reply, "%s.", pool->name);
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

int mgmt_os_datetime_get(struct smp_request *req)
{
	return empty_read(req, MGMT_OS_DATETIME);
}

int mgmt_os_datetime_get_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
				const char **datetime)
{
	const cbor_item_t *map;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	return mgmt_reply_text(reply, map, "datetime", true, datetime);
}

int mgmt_os_datetime_set(struct smp_request *req, const char *datetime)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_WRITE, MGMT_GROUP_OS, MGMT_OS_DATETIME, &w);
	mgmt_cbor_map(&w, 1);
	mgmt_cbor_text(&w, "datetime");
	mgmt_cbor_text(&w, datetime);
	return mgmt_request_end(req, &w);
}

int mgmt_os_reset(struct smp_request *req, bool force, int boot_mode)
{
	struct mgmt_cbor_writer w;

	mgmt_request_begin(req, SMP_OP_WRITE, MGMT_GROUP_OS, MGMT_OS_RESET, &w);
	mgmt_cbor_map(&w, (force ? 1 : 0) + (boot_mode >= 0 ? 1 : 0));
	if (force) {
		mgmt_cbor_text(&w, "force");
		mgmt_cbor_bool(&w, true);
	}
	if (boot_mode >= 0) {
		mgmt_cbor_text(&w, "boot_mode");
		mgmt_cbor_uint(&w, (uint64_t)boot_mode);
	}
	return mgmt_request_end(req, &w);
}

int mgmt_os_info(struct smp_request *req, const char *format)
{
	return optional_text_read(req, MGMT_OS_INFO, "format", format);
}

int mgmt_os_info_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			const char **output)
{
	const cbor_item_t *map;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	return mgmt_reply_text(reply, map, "output", true, output);
}

int mgmt_os_bootloader(struct smp_request *req, const char *query)
{
	return optional_text_read(req, MGMT_OS_BOOTLOADER, "query", query);
}

int mgmt_os_bootloader_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			      struct mgmt_os_bootloader *out)
{
	const cbor_item_t *map;
	int err = mgmt_reply_open(reply, rsp, &map);

	if (err) {
		return err;
	}
	/* Which keys come depends on the query, which the answer does not repeat. */
	out->name = NULL;
	out->has_mode = mgmt_cbor_find(map, "mode") != NULL;
	out->mode = -1;
	out->no_downgrade = false;
	err = mgmt_reply_text(reply, map, "bootloader", false, &out->name);
	if (!err) {
		err = mgmt_reply_int(reply, map, "mode", false, &out->mode);
	}
	if (!err) {
		err = mgmt_reply_bool(reply, map, "no-downgrade", false, &out->no_downgrade);
	}
	return err;
}

const char *mgmt_os_bootloader_mode_name(int64_t mode)
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
