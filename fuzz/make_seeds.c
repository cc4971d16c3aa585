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

#include <jansson.h>

#include <dfu-smp/mgmt/cbor.h>
#include <dfu-smp/smp/header.h>
#include <dfu-smp/smp/serial.h>
#include "../tools/cli.h"

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

/*
 * Typical answers of each decoder of fuzz_mgmt, as `raw` bodies (JSON, h'..' for bytes),
 * in the order of its table; each also goes to every decoder after the device's errors.
 */
static const char *const mgmt_answers[] = {
	"{}",
	"{\"images\":[{\"slot\":0,\"version\":\"1.2.3\",\"hash\":\"h'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'\","
	"\"bootable\":true,\"pending\":false,\"confirmed\":true,\"active\":true,\"permanent\":false},"
	"{\"image\":0,\"slot\":1,\"version\":\"1.2.4\",\"pending\":true}],\"splitStatus\":0}",
	"{\"rc\":0,\"off\":4096,\"match\":true}",
	"{\"images\":[{\"image\":0,\"slots\":[{\"slot\":0,\"size\":65536},{\"slot\":1,\"size\":65536,"
	"\"upload_image_id\":1}],\"max_image_size\":65000}]}",
	"{\"r\":\"hello\"}",
	"{\"buf_size\":2475,\"buf_count\":4}",
	"{\"tasks\":{\"main\":{\"prio\":0,\"tid\":1,\"state\":1,\"stkuse\":100,\"stksiz\":512,"
	"\"cswcnt\":7,\"runtime\":0,\"last_checkin\":0,\"next_checkin\":0}}}",
	"{\"mpools\":{\"buf\":{\"blksiz\":32,\"nblks\":8,\"nfree\":5,\"min\":2}}}",
	"{\"datetime\":\"2025-01-01T12:00:00\"}",
	"{\"output\":\"Zephyr unknown 3.7.0 arm\"}",
	"{\"bootloader\":\"MCUboot\",\"mode\":0,\"no-downgrade\":false}",
	"{\"stat_list\":[\"smp_svr_stats\",\"other\"]}",
	"{\"name\":\"smp_svr_stats\",\"fields\":{\"ticks\":12,\"other\":0}}",
	"{\"val\":\"h'0102030405'\",\"max_size\":64}",
	"{\"off\":0,\"data\":\"h'68656c6c6f'\",\"len\":5}",
	"{\"off\":5}",
	"{\"len\":5}",
	"{\"type\":\"sha256\",\"off\":0,\"len\":5,\"output\":\"h'2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'\"}",
	"{\"types\":{\"crc32\":{\"format\":0,\"size\":4},\"sha256\":{\"format\":1,\"size\":32}}}",
	"{\"o\":\"uart:~$ \",\"ret\":0}",
	"{\"count\":4}",
	"{\"groups\":[0,1,8,63]}",
	"{\"group\":0,\"end\":false}",
	"{\"groups\":[{\"group\":0,\"name\":\"os\",\"handlers\":9},{\"group\":1,\"name\":\"img\"}]}",
};

static const char *const mgmt_errors[] = {
	"{\"rc\":8,\"rsn\":\"no such thing\"}",
	"{\"err\":{\"group\":1,\"rc\":5}}",
};

static size_t json_cbor(const char *text, uint8_t *out, size_t cap)
{
	struct dfu_smp_mgmt_cbor_writer w;
	const char *why = NULL;
	json_error_t jerr;
	json_t *json = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (json == NULL) {
		fprintf(stderr, "make_seeds: %s: %s\n", text, jerr.text);
		exit(1);
	}
	dfu_smp_mgmt_cbor_writer_init(&w, out, cap);
	if (cli_raw_to_cbor(&w, json, &why) != 0 || w.overflow) {
		fprintf(stderr, "make_seeds: %s: %s\n", text, why ? why : "too long");
		exit(1);
	}
	json_decref(json);
	return w.len;
}

static void seeds_mgmt(void)
{
	size_t count = sizeof(mgmt_answers) / sizeof(mgmt_answers[0]);
	uint8_t cbor[1024];
	char name[64];

	for (size_t d = 0; d < count; d++) {
		struct out o = { .n = 0 };

		put1(&o, (uint8_t)d);
		put(&o, cbor, json_cbor(mgmt_answers[d], cbor, sizeof(cbor)));
		snprintf(name, sizeof(name), "answer_%02zu", d);
		save(name, &o);
		for (size_t e = 0; e < sizeof(mgmt_errors) / sizeof(mgmt_errors[0]); e++) {
			o.n = 0;
			put1(&o, (uint8_t)d);
			put(&o, cbor, json_cbor(mgmt_errors[e], cbor, sizeof(cbor)));
			snprintf(name, sizeof(name), "error%zu_%02zu", e, d);
			save(name, &o);
		}
	}
	/* the built mode: a map of "images" holding an array of maps of texts and integers */
	for (size_t d = 0; d < count; d++) {
		static const uint8_t prog[] = { 0, 2, 4, 2, 3, 0, 3, 6, 7, 9, 4, 9, 1, 7, 5,
						10, 1, 4, 17, 8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2 };
		struct out o = { .n = 0 };

		put1(&o, (uint8_t)(0x80u | d));
		put(&o, prog, sizeof(prog));
		snprintf(name, sizeof(name), "built_%02zu", d);
		save(name, &o);
	}
}

static void seeds_raw_json(void)
{
	static const char *const bodies[] = {
		"{}",
		"{\"d\":\"hello\"}",
		"{\"name\":\"/lfs/a.txt\",\"off\":0,\"data\":\"h'68656c6c6f'\",\"len\":5}",
		"{\"argv\":[\"kernel\",\"version\"]}",
		"{\"a\":[1,-2,3.5,true,false,null,{\"b\":[]}],\"c\":18446744073709551615}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
		"\"h''\"",
		"\"h'0'\"",
	};
	char name[64];

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct out o = { .n = 0 };

		put(&o, bodies[i], strlen(bodies[i]));
		snprintf(name, sizeof(name), "body_%zu", i);
		save(name, &o);
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
	} else if (strcmp(argv[1], "mgmt") == 0) {
		seeds_mgmt();
	} else if (strcmp(argv[1], "raw_json") == 0) {
		seeds_raw_json();
	} else {
		fprintf(stderr, "make_seeds: no seeds for %s\n", argv[1]);
		return 2;
	}
	return 0;
}
