/* SPDX-License-Identifier: Apache-2.0 */
#include "../mgmt/cbor_reader.h"
#include "cpu.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dfu-smp/mgmt/cbor.h>
#include <dfu-smp/smp/gatt.h>
#include <dfu-smp/smp/header.h>
#include "run.h"

#define IMAGE_SIZE (8u * 1024u * 1024u)
#define MTU 498u
#define BUF_SIZE 2475u
#define WINDOW 3u

/*
 * Every allocation of the process goes through here (glibc lets a program replace malloc),
 * so that the client's can be counted; the device's are not.
 */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);

static bool counting;
static unsigned long allocations;

void *malloc(size_t size)
{
	allocations += counting;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	allocations += counting;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	allocations += counting;
	return __libc_realloc(p, size);
}

void free(void *p)
{
	__libc_free(p);
}

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * The device: takes upload requests whole and queues each answer, which the loop notifies
 * next, as a link would (never from inside the write). Its time is not the client's.
 */
static struct {
	struct dfu_smp_gatt gatt;
	uint8_t msg[BUF_SIZE];
	size_t len;
	uint64_t off;
	double ms;
	uint8_t answers[WINDOW][64]; /* at most one per request on the link */
	size_t answer_len[WINDOW];
	unsigned head, count;
} dev;

static struct bt_dfu_smp_gatt port;

static void device_answer(void)
{
	struct dfu_smp_hdr hdr;
	const cbor_item_t *data;
	cbor_item_t *map;
	uint64_t off = 0;
	uint8_t *out = dev.answers[(dev.head + dev.count) % WINDOW];
	struct dfu_smp_mgmt_cbor_writer w;
	char why[100];

	dfu_smp_hdr_decode(dev.msg, dev.len, &hdr);
	if (dev.count == WINDOW) {
		dev.len = 0; /* more requests than the window: dropped */
		return;
	}
	map = dfu_smp_mgmt_cbor_load(dev.msg + DFU_SMP_HDR_SIZE, hdr.len, why, sizeof(why));
	if (map) {
		data = dfu_smp_mgmt_cbor_find(map, "data");
		if (dfu_smp_mgmt_cbor_get_uint(dfu_smp_mgmt_cbor_find(map, "off"), &off) == 0 &&
		    off == dev.off) {
			dev.off += dfu_smp_mgmt_cbor_string_size(data);
		}
		cbor_decref(&map);
	}
	dfu_smp_mgmt_cbor_writer_init(&w, out + DFU_SMP_HDR_SIZE,
				      sizeof(dev.answers[0]) - DFU_SMP_HDR_SIZE);
	dfu_smp_mgmt_cbor_map(&w, 1);
	dfu_smp_mgmt_cbor_text(&w, "off");
	dfu_smp_mgmt_cbor_uint(&w, dev.off);
	hdr.op = DFU_SMP_OP_WRITE_RSP;
	hdr.len = (uint16_t)w.len;
	dfu_smp_hdr_encode(&hdr, out);
	dev.answer_len[(dev.head + dev.count) % WINDOW] = DFU_SMP_HDR_SIZE + w.len;
	dev.count++;
	dev.len = 0;
}

static int write_without_rsp(struct bt_dfu_smp_gatt *gatt, uint16_t handle, const uint8_t *data,
			     uint16_t len)
{
	struct dfu_smp_hdr hdr;

	(void)gatt;
	(void)handle;
	counting = false;
	dev.ms -= thread_cpu_ms();
	memcpy(dev.msg + dev.len, data, len);
	dev.len += len;
	if (dfu_smp_hdr_decode(dev.msg, dev.len, &hdr) == 0 &&
	    dev.len == DFU_SMP_HDR_SIZE + hdr.len) {
		device_answer();
	}
	dev.ms += thread_cpu_ms();
	counting = true;
	return 0;
}

static int subscribe(struct bt_dfu_smp_gatt *gatt, uint16_t value, uint16_t ccc)
{
	(void)gatt;
	(void)value;
	(void)ccc;
	return 0;
}

static uint16_t get_mtu(struct bt_dfu_smp_gatt *gatt)
{
	(void)gatt;
	return MTU;
}

static const struct bt_dfu_smp_gatt_ops ops = { write_without_rsp, subscribe, get_mtu };

int cpu_benchmark(struct cpu_result *out)
{
	static uint8_t rx[DFU_SMP_MSG_MAX];
	static uint8_t bufs[WINDOW * BUF_SIZE];
	static const struct bt_dfu_smp_discovery_desc ccc = { { { 0 } }, 12 };
	struct bt_dfu_smp_discovery_chrc chrc = { BT_DFU_SMP_UUID_CHAR, 11, 0x14, &ccc, 1 };
	struct bt_dfu_smp_discovery dm = { &port, BT_DFU_SMP_UUID_SERVICE, &chrc, 1 };
	struct bt_dfu_smp_discovery_desc ccc_desc = { BT_DFU_SMP_UUID_CCC, 12 };
	struct dfu_smp_upload_config cfg = { 0 };
	struct dfu_smp_client client;
	struct dfu_smp_transport transport;
	struct dfu_smp_upload up;
	struct bench_upload_end w = { 0 };
	uint8_t *image = __libc_malloc(IMAGE_SIZE);
	double start;

	if (!image) {
		return -1;
	}
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < IMAGE_SIZE; i++) {
		image[i] = (uint8_t)(i * 131u + 7u);
	}
	chrc.descs = &ccc_desc;
	port.ops = &ops;
	dfu_smp_gatt_init(&dev.gatt, &client, rx, sizeof(rx));
	transport = dfu_smp_gatt_transport(&dev.gatt);
	dfu_smp_client_init(&client, &transport, NULL);
	dfu_smp_gatt_handles_assign(&dev.gatt, &dm);
	dfu_smp_gatt_set_reassembly(&dev.gatt, BUF_SIZE);
	cfg.data = image;
	cfg.size = IMAGE_SIZE;
	cfg.max_request = BUF_SIZE;
	cfg.window = WINDOW;
	dev.off = 0;
	dev.ms = 0;
	dev.head = dev.count = 0;
	allocations = 0;
	start = thread_cpu_ms();
	counting = true;
	dfu_smp_upload_start(&up, &client, &cfg, bufs, sizeof(bufs), &bench_upload_ops, &w);
	/* the event loop of a link with no delay: send what is due, then the next answer */
	while (!w.done) {
		dfu_smp_client_process(&client, 0);
		if (dev.count == 0) {
			break; /* nothing will answer: the upload is stuck */
		}
		dfu_smp_gatt_notify(&dev.gatt, dev.answers[dev.head], dev.answer_len[dev.head]);
		dev.head = (dev.head + 1u) % WINDOW;
		dev.count--;
	}
	counting = false;
	out->mib = (double)IMAGE_SIZE / (1024.0 * 1024.0);
	out->ms_per_mib = (thread_cpu_ms() - start - dev.ms) / out->mib;
	out->requests = w.result.requests;
	out->request_size = BUF_SIZE;
	out->allocs_per_request = w.result.requests ? (double)allocations / w.result.requests : 0;
	__libc_free(image);
	return w.done && w.err == 0 ? 0 : -1;
}
