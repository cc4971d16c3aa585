/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's OS group (0): echo, task and heap statistics of a small BLE firmware
 * (numbers that grow with SMP traffic), an RTC, reset, MCUmgr parameters, OS info
 * and MCUboot information, answered as Zephyr's os_mgmt does.
 */
#include "device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/os.h>

/* OS group error codes (enum os_mgmt_err_code_t). */
enum {
	OS_ERR_INVALID_FORMAT = 2,
	OS_ERR_QUERY_YIELDS_NO_ANSWER = 3,
	OS_ERR_RTC_NOT_SET = 4,
	OS_ERR_RTC_COMMAND_FAILED = 5,
};

/* Zephyr's CONFIG_MCUMGR_GRP_OS_RESET_MS: the answer goes out before the reboot. */
#define RESET_DELAY_US 250000u

/* What the RTC reads at virtual time 0 until it is set: 2026-01-01T00:00:00. */
#define RTC_START_S 1767225600
#define US_PER_S 1000000

/* Thread-state bits (kernel_structs.h). */
#define THREAD_PENDING 0x02u
#define THREAD_SLEEPING 0x04u

/* Zephyr takes only definite-length text strings; no `d` echoes "". */
static int echo(struct sim_req *req)
{
	const char *d = "";
	size_t n = 0;
	int rc = sim_req_text(req, "d", &d, &n, NULL);

	if (rc) {
		return rc;
	}
	dfu_smp_mgmt_cbor_text(req->rsp, "r");
	dfu_smp_mgmt_cbor_text_n(req->rsp, d, n);
	return 0;
}

static int params(struct sim_req *req)
{
	if (req->dev->cfg.legacy_mcumgr) {
		return DFU_SMP_MGMT_ERR_ENOTSUP;
	}
	dfu_smp_mgmt_cbor_text(req->rsp, "buf_size");
	dfu_smp_mgmt_cbor_uint(req->rsp, req->dev->cfg.buf_size);
	dfu_smp_mgmt_cbor_text(req->rsp, "buf_count");
	dfu_smp_mgmt_cbor_uint(req->rsp, req->dev->cfg.buf_count);
	return 0;
}

/*
 * The firmware's threads, newest first as k_thread_foreach() lists them, with their stack use:
 * the ones on the SMP path use more once they have handled a request.
 */
static const struct thread {
	const char *name;
	int prio;
	unsigned int state;
	uint32_t stack;         /* bytes */
	uint32_t stack_boot;    /* bytes used after boot */
	uint32_t stack_busy;    /* bytes used once it has handled SMP traffic */
	bool decodes;           /* decodes requests: a larger one takes more of its stack */
} threads[] = {
	/* The thread answering this very request is the running one (state 0). */
	{ "mcumgr smp", 3, 0, 2048, 232, 1304, true },
	{ "BT RX WQ", -8, THREAD_PENDING, 2048, 544, 812, true },
	{ "BT TX", -9, THREAD_PENDING, 1536, 416, 688, true },
	{ "logging", 14, THREAD_PENDING, 768, 196, 344, true },
	{ "sysworkq", -1, THREAD_PENDING, 1024, 312, 396, false },
	{ "main", 0, THREAD_SLEEPING, 4096, 1120, 1120, false },
	{ "idle", 15, 0, 320, 64, 64, false },
};

#define THREAD_COUNT (sizeof(threads) / sizeof(threads[0]))

/*
 * Each thread as Zephyr 4.4 reports it by default (CONFIG_MCUMGR_GRP_OS_TASKSTAT_ONLY_SUPPORTED_
 * STATS, observed): `prio`, `tid`, `state`, `stksiz` and `stkuse` (4-byte words) only. Run
 * times and context switches need CONFIG_SCHED_THREAD_USAGE, and the watchdog check-ins are
 * always 0, so they are left out: the device's 7 threads then fit a 384-byte buffer, as the
 * 4.4.0 serial build fits its 6.
 */
static int taskstat(struct sim_req *req)
{
	const struct sim_smp_counters *smp = &req->dev->smp;
	struct dfu_smp_mgmt_cbor_writer *w = req->rsp;

	dfu_smp_mgmt_cbor_text(w, "tasks");
	dfu_smp_mgmt_cbor_map_indef(w);
	for (size_t i = 0; i < THREAD_COUNT; i++) {
		const struct thread *t = &threads[i];
		uint64_t stkuse = smp->rx_msgs ? t->stack_busy : t->stack_boot;

		if (t->decodes && smp->rx_msgs) {
			stkuse += smp->rx_max / 16;
		}
		if (stkuse > t->stack) {
			stkuse = t->stack;
		}
		dfu_smp_mgmt_cbor_text(w, t->name);
		dfu_smp_mgmt_cbor_map_indef(w);
		dfu_smp_mgmt_cbor_text(w, "prio");
		dfu_smp_mgmt_cbor_int(w, t->prio);
		dfu_smp_mgmt_cbor_text(w, "tid");
		dfu_smp_mgmt_cbor_uint(w, i);
		dfu_smp_mgmt_cbor_text(w, "state");
		dfu_smp_mgmt_cbor_uint(w, t->state);
		dfu_smp_mgmt_cbor_text(w, "stksiz");
		dfu_smp_mgmt_cbor_uint(w, t->stack / 4);
		dfu_smp_mgmt_cbor_text(w, "stkuse");
		dfu_smp_mgmt_cbor_uint(w, stkuse / 4);
		dfu_smp_mgmt_cbor_break(w);
	}
	dfu_smp_mgmt_cbor_break(w);
	return 0;
}

static void write_heap(struct dfu_smp_mgmt_cbor_writer *w, const char *name, uint64_t size,
		       uint64_t free, uint64_t min)
{
	dfu_smp_mgmt_cbor_text(w, name);
	dfu_smp_mgmt_cbor_map_indef(w);
	dfu_smp_mgmt_cbor_text(w, "blksiz");
	dfu_smp_mgmt_cbor_uint(w, 1);
	dfu_smp_mgmt_cbor_text(w, "nblks");
	dfu_smp_mgmt_cbor_uint(w, size);
	dfu_smp_mgmt_cbor_text(w, "nfree");
	dfu_smp_mgmt_cbor_uint(w, free);
	dfu_smp_mgmt_cbor_text(w, "min");
	dfu_smp_mgmt_cbor_uint(w, min);
	dfu_smp_mgmt_cbor_break(w);
}

/*
 * Heaps by index, under `tasks` as Zephyr's own os_mgmt_mpstat test reads them: the system
 * heap, where each request's buffer copy lowers the low-water mark, and the file system's
 * cache heap, whose buffers are first taken by a write to storage.
 */
static int mpstat(struct sim_req *req)
{
	const struct sim_device *dev = req->dev;
	const uint64_t sys_size = 16384, sys_free = sys_size - 3136;
	const uint64_t fs_size = 4096, fs_free = fs_size - 1408;
	uint64_t sys_peak = dev->smp.rx_max ? dev->smp.rx_max + 256 : 0;
	uint64_t sys_min = sys_peak < sys_free ? sys_free - sys_peak : 0;
	uint64_t fs_min = dev->storage.writes ? fs_free - 512 : fs_free;

	dfu_smp_mgmt_cbor_text(req->rsp, "tasks");
	dfu_smp_mgmt_cbor_map_indef(req->rsp);
	write_heap(req->rsp, "0", sys_size, sys_free, sys_min);
	write_heap(req->rsp, "1", fs_size, fs_free, fs_min);
	dfu_smp_mgmt_cbor_break(req->rsp);
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned int *m, unsigned int *d)
{
	int64_t era;
	unsigned int doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned int)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t rtc_now_us(const struct sim_req *req)
{
	return (int64_t)RTC_START_S * US_PER_S + (int64_t)req->now_us + req->dev->os.rtc_offset_us;
}

static int datetime_get(struct sim_req *req)
{
	int64_t secs = floor_div(rtc_now_us(req), US_PER_S);
	int64_t days = floor_div(secs, 86400), sod = secs - days * 86400, year;
	unsigned int month, day;
	char text[40];

	civil_from_days(days, &year, &month, &day);
	snprintf(text, sizeof(text), "%4lld-%02u-%02uT%02u:%02u:%02u", (long long)year, month,
		 day, (unsigned int)(sod / 3600), (unsigned int)(sod / 60 % 60),
		 (unsigned int)(sod % 60));
	dfu_smp_mgmt_cbor_text(req->rsp, "datetime");
	dfu_smp_mgmt_cbor_text(req->rsp, text);
	return 0;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * Zephyr's parser: six decimal fields (strtol, so leading blanks and a sign pass) each
 * followed by any one character; what follows the seconds (milliseconds, a zone) is ignored
 * by a build without millisecond support. The RTC driver then refuses impossible dates.
 */
static int datetime_set(struct sim_req *req)
{
	static const struct {
		long min, max;
	} fields[6] = { { 1900, 11899 }, { 1, 12 }, { 1, 31 }, { 0, 23 }, { 0, 59 }, { 0, 59 } };
	static const unsigned char mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *s = NULL;
	size_t n = 0;
	char text[26];
	long v[6];
	char *pos = text, *end;
	int64_t secs;
	int rc;

	rc = sim_req_text(req, "datetime", &s, &n, NULL);
	if (rc) {
		return rc;
	}
	if (n < 19 || n > 25) {
		return DFU_SMP_MGMT_ERR_EINVAL;
	}
	sim_copy_text(text, sizeof(text), s, n);
	for (size_t i = 0; i < 6; i++) {
		if (pos >= text + n) {
			return DFU_SMP_MGMT_ERR_EINVAL;
		}
		v[i] = strtol(pos, &end, 10);
		if (end == pos || v[i] < fields[i].min || v[i] > fields[i].max) {
			return DFU_SMP_MGMT_ERR_EINVAL;
		}
		pos = end + 1;
	}
	if (v[2] > mdays[v[1] - 1] + (v[1] == 2 && is_leap(v[0]))) {
		return SIM_GROUP_ERR(OS_ERR_RTC_COMMAND_FAILED);
	}
	secs = days_from_civil(v[0], (unsigned int)v[1], (unsigned int)v[2]) * 86400 +
	       v[3] * 3600 + v[4] * 60 + v[5];
	/* the RTC keeps no sub-second part across a set */
	req->dev->os.rtc_offset_us = secs * US_PER_S - (int64_t)RTC_START_S * US_PER_S -
				     (int64_t)req->now_us;
	return 0;
}

/*
 * Both keys are decoded (a reset hook and boot modes are built in); the reply comes first.
 * boot_mode is cut to 8 bits, as Zephyr's retention boot mode keeps it.
 */
static int reset(struct sim_req *req)
{
	uint64_t boot_mode = 0;
	bool force;
	int rc;

	rc = sim_req_bool(req, "force", &force, NULL);
	if (!rc) {
		rc = sim_req_uint(req, "boot_mode", UINT32_MAX, &boot_mode, NULL);
	}
	if (rc) {
		return rc;
	}
	sim_device_request_reset_mode(req->dev, req->now_us + RESET_DELAY_US, (uint8_t)boot_mode);
	return 0;
}

/* OS/application info: the build's fixed strings, plus the node name from the BT name. */
#define INFO_KERNEL_RELEASE "v4.4.0"
#define INFO_KERNEL_VERSION "4.4.0"
#define INFO_BUILD_TIME "Tue Nov 24 06:12:53 2026"
#define INFO_MACHINE "arm"
#define INFO_PROCESSOR "cortex-m4"
#define INFO_PLATFORM "nrf52840dk/nrf52840"
/* CONFIG_MCUMGR_GRP_OS_INFO_MAX_RESPONSE_SIZE */
#define INFO_MAX 256

/* Appends one field, space separated. @return false when the output is full. */
static bool info_add(char *out, size_t *len, const char *field, size_t n)
{
	size_t need = (*len ? 1 : 0) + n;

	if (*len + need >= INFO_MAX) {
		return false;
	}
	if (*len) {
		out[(*len)++] = ' ';
	}
	memcpy(out + *len, field, n);
	*len += n;
	return true;
}

static int info(struct sim_req *req)
{
	/* The letters in output order; 'a' stands for all of them. */
	static const char letters[] = "snrvbmpio";
	const char *format = "", *node;
	size_t format_len = 0, node_len, len = 0;
	char out[INFO_MAX];
	bool want[sizeof(letters) - 1] = { false };
	bool any = false, ok = true;
	int rc;

	rc = sim_req_text(req, "format", &format, &format_len, NULL);
	if (rc) {
		return rc;
	}
	for (size_t i = 0; i < format_len; i++) {
		const char *p = format[i] ? strchr(letters, format[i]) : NULL;

		if (format[i] == 'a') {
			memset(want, true, sizeof(want));
		} else if (p) {
			want[p - letters] = true;
		} else {
			return SIM_GROUP_ERR(OS_ERR_INVALID_FORMAT);
		}
		any = true;
	}
	if (!any) {
		want[0] = true;
	}
	/* bt_get_name(): the device name setting, a C string */
	node = (const char *)sim_settings_value(req->dev, "bt/name", &node_len);
	if (node) {
		node_len = strnlen(node, node_len);
	} else {
		node = "unknown";
		node_len = strlen(node);
	}
	for (size_t i = 0; ok && i < sizeof(want); i++) {
		static const char *const fixed[] = { "Zephyr", NULL, INFO_KERNEL_RELEASE,
						     INFO_KERNEL_VERSION, INFO_BUILD_TIME,
						     INFO_MACHINE, INFO_PROCESSOR, INFO_PLATFORM,
						     "Zephyr" };

		if (want[i]) {
			ok = fixed[i] ? info_add(out, &len, fixed[i], strlen(fixed[i]))
				      : info_add(out, &len, node, node_len);
		}
	}
	if (!ok) {
		return DFU_SMP_MGMT_ERR_EMSGSIZE;
	}
	dfu_smp_mgmt_cbor_text(req->rsp, "output");
	dfu_smp_mgmt_cbor_text_n(req->rsp, out, len);
	return 0;
}

static int bootloader(struct sim_req *req)
{
	const char *query = NULL;
	size_t n = 0;
	bool found;
	int rc;

	rc = sim_req_text(req, "query", &query, &n, &found);
	if (rc) {
		return rc;
	}
	if (!found) {
		dfu_smp_mgmt_cbor_text(req->rsp, "bootloader");
		dfu_smp_mgmt_cbor_text(req->rsp, "MCUboot");
		return 0;
	}
	if (n != 4 || memcmp(query, "mode", 4) != 0) {
		return SIM_GROUP_ERR(OS_ERR_QUERY_YIELDS_NO_ANSWER);
	}
	dfu_smp_mgmt_cbor_text(req->rsp, "mode");
	dfu_smp_mgmt_cbor_int(req->rsp, sim_boot_mode_number(req->dev->img.cfg.mode));
	if (req->dev->img.cfg.no_downgrade) {
		dfu_smp_mgmt_cbor_text(req->rsp, "no-downgrade");
		dfu_smp_mgmt_cbor_bool(req->rsp, true);
	}
	return 0;
}

/* Zephyr's version 1 folding of OS group errors. */
static int fold_v1(int rc)
{
	switch (rc) {
	case OS_ERR_INVALID_FORMAT:
		return DFU_SMP_MGMT_ERR_EINVAL;
	case OS_ERR_QUERY_YIELDS_NO_ANSWER:
	case OS_ERR_RTC_NOT_SET:
		return DFU_SMP_MGMT_ERR_ENOENT;
	default:
		return DFU_SMP_MGMT_ERR_EUNKNOWN;
	}
}

static const struct sim_handler handlers[] = {
	{ DFU_SMP_MGMT_OS_ECHO, echo, echo },
	{ DFU_SMP_MGMT_OS_TASKSTAT, taskstat, NULL },
	{ DFU_SMP_MGMT_OS_MPSTAT, mpstat, NULL },
	{ DFU_SMP_MGMT_OS_DATETIME, datetime_get, datetime_set },
	{ DFU_SMP_MGMT_OS_RESET, NULL, reset },
	{ DFU_SMP_MGMT_OS_PARAMS, params, NULL },
	{ DFU_SMP_MGMT_OS_INFO, info, NULL },
	{ DFU_SMP_MGMT_OS_BOOTLOADER, bootloader, NULL },
};

const struct sim_group sim_group_os = {
	.id = DFU_SMP_MGMT_GROUP_OS,
	.name = "os mgmt",
	.handlers = handlers,
	.count = sizeof(handlers) / sizeof(handlers[0]),
	.fold_v1 = fold_v1,
};
