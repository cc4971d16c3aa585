/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the generated seed inputs of the fuzz targets: `make_seeds TARGET DIR` fills DIR
 * (which must exist) with typical inputs of fuzz_TARGET in that target's input format: whole
 * and cut answers to the commands the target sends, split the ways a link splits them. The
 * build runs it; nothing it writes is kept in the source tree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dfu-smp/smp/header.h>
#include <dfu-smp/smp/serial.h>

struct out {
	uint8_t b[8192];
	size_t n;
};

static const char *dir;

static void put(struct out *o, const void *p, size_t n)
{
	if (o->n + n > sizeof(o->b)) {
		fprintf(stderr, "make_seeds: seed too long\n");
		exit(1);
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void put1(struct out *o, uint8_t v)
{
	put(o, &v, 1);
}

static void save(const char *name, const struct out *o)
{
	char path[4096];
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		fprintf(stderr, "make_seeds: path too long\n");
		exit(1);
	}
	f = fopen(path, "wb");
	if (f == NULL || fwrite(o->b, 1, o->n, f) != o->n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* An answer: SMP header then a CBOR map {"rc": 0, "r": "<pad>"} padded to @p payload bytes. */
static size_t answer(uint8_t *msg, uint8_t op, uint16_t group, uint8_t seq, uint8_t id,
		     size_t payload)
{
	struct dfu_smp_hdr hdr = { .op = op, .version = 1, .len = (uint16_t)payload,
				   .group = group, .seq = seq, .id = id };
	static const uint8_t map[] = { 0xa2, 0x62, 'r', 'c', 0x00, 0x61, 'r' };

	dfu_smp_hdr_encode(&hdr, msg);
	memcpy(msg + DFU_SMP_HDR_SIZE, map, payload < sizeof(map) ? payload : sizeof(map));
	if (payload > sizeof(map)) {
		size_t text = payload - sizeof(map) - 1u;

		msg[DFU_SMP_HDR_SIZE + sizeof(map)] = (uint8_t)(0x60u + (text < 24u ? text : 0u));
		memset(msg + DFU_SMP_HDR_SIZE + sizeof(map) + 1u, 'x', text);
	}
	return DFU_SMP_HDR_SIZE + payload;
}

static void seeds_bt_dfu_smp(void)
{
	static const uint16_t mtus[4] = { 23, 27, 185, 498 };
	static const size_t sizes[] = { 0, 7, 12, 40, 200, 700 };
	uint8_t msg[1024];
	char name[64];

	for (unsigned m = 0; m < 4; m++) {
		for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			for (unsigned depth = 1; depth <= 3; depth += 2) {
				size_t chunk = mtus[m] - 3u;
				struct out o = { .n = 0 };

				/* MTU, depth, reassembly for the long ones; group 1; chain */
				put1(&o, (uint8_t)(m | (depth - 1u) << 2 | (sizes[s] > 400 ? 0x20u : 0u)));
				put1(&o, 1);
				put1(&o, (uint8_t)(s * 0x1bu));
				for (unsigned seq = 0; seq < depth; seq++) {
					size_t len = answer(msg, DFU_SMP_OP_READ_RSP, 1, (uint8_t)seq,
							    (uint8_t)(seq & 7u), sizes[s]);

					for (size_t at = 0; at < len; at += chunk) {
						size_t n = len - at < chunk ? len - at : chunk;

						put1(&o, (uint8_t)n);
						put(&o, msg + at, n);
					}
				}
				put1(&o, 0xf0);
				put1(&o, 20);
				snprintf(name, sizeof(name), "mtu%u_len%zu_depth%u", mtus[m], sizes[s],
					 depth);
				save(name, &o);
			}
		}
	}
}

static void seeds_serial(void)
{
	static const size_t sizes[] = { 0, 5, 60, 200, 1000 };
	static const uint8_t lines[] = { 0, 127, 30 };
	uint8_t msg[1100], line[4096];
	char name[64];

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (unsigned l = 0; l < sizeof(lines); l++) {
			struct dfu_smp_serial_encoder enc;
			struct out o = { .n = 0 };
			size_t len = answer(msg, DFU_SMP_OP_READ_RSP, 0, 3, 0, sizes[s]);
			int n;

			put1(&o, 255);
			put1(&o, lines[l]);
			put1(&o, 0);
			dfu_smp_serial_encoder_init(&enc, msg, len, lines[l] ? lines[l] : 127u);
			while ((n = dfu_smp_serial_encoder_next(&enc, line, sizeof(line))) > 0) {
				for (int at = 0; at < n; at += 200) {
					int k = n - at < 200 ? n - at : 200;

					put1(&o, (uint8_t)k);
					put(&o, line + at, (size_t)k);
				}
			}
			snprintf(name, sizeof(name), "len%zu_line%u", sizes[s], lines[l]);
			save(name, &o);
		}
	}
}

static void seeds_client(void)
{
	char name[64];

	for (unsigned window = 1; window <= 8; window *= 2) {
		for (unsigned order = 0; order < 2; order++) {
			struct out o = { .n = 0 };
			unsigned flight[8], nflight = 0, next = 0, last = 0;

			put1(&o, (uint8_t)((window - 1u) | 1u << 3));
			while (next < window) {
				flight[nflight++] = next;
				last = next++;
			}
			/* answers oldest first or newest first; the next requests then go out */
			while (nflight) {
				unsigned at = order ? nflight - 1u : 0u;
				unsigned sent = flight[at];

				memmove(&flight[at], &flight[at + 1u], (nflight - at - 1u) * sizeof(flight[0]));
				nflight--;
				put1(&o, 0);
				put1(&o, (uint8_t)(last - sent));
				put1(&o, (uint8_t)((sent & 1u) ? DFU_SMP_OP_WRITE_RSP : DFU_SMP_OP_READ_RSP));
				put1(&o, (uint8_t)(sent % 3u));
				put1(&o, (uint8_t)(sent % 4u));
				put1(&o, 5);
				put1(&o, 0);
				put1(&o, 5);
				put(&o, "\xa1\x62rc\x00", 5);
				if (next < 8u) {
					flight[nflight++] = next;
					last = next++;
				}
			}
			put1(&o, 2);
			put1(&o, 30);
			snprintf(name, sizeof(name), "window%u_order%u", window, order);
			save(name, &o);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: make_seeds TARGET DIR\n");
		return 2;
	}
	dir = argv[2];
	if (strcmp(argv[1], "bt_dfu_smp") == 0) {
		seeds_bt_dfu_smp();
	} else if (strcmp(argv[1], "serial") == 0) {
		seeds_serial();
	} else if (strcmp(argv[1], "client") == 0) {
		seeds_client();
	} else {
		fprintf(stderr, "make_seeds: no seeds for %s\n", argv[1]);
		return 2;
	}
	return 0;
}
