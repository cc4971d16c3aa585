/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the JSON body of `dfu-smp raw` (tools/raw.c, cli_raw_to_cbor()). Input: the
 * text given on the command line (up to its first NUL, as an argument is). What JSON loads is
 * written as CBOR into a request-sized buffer; when that succeeds and fits, the CBOR must load
 * again as exactly one item of the bytes written.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <jansson.h>

#include <dfu-smp/mgmt/cbor.h>
#include "../mgmt/cbor_reader.h"
#include "../tools/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[2048];
	struct dfu_smp_mgmt_cbor_writer w;
	const char *why = NULL;
	json_error_t jerr;
	char *text = malloc(size + 1u);
	json_t *json;

	if (text == NULL) {
		abort();
	}
	memcpy(text, data, size);
	text[size] = '\0';
	json = json_loads(text, JSON_DECODE_ANY, &jerr);
	free(text);
	if (json == NULL) {
		return 0;
	}
	dfu_smp_mgmt_cbor_writer_init(&w, buf, sizeof(buf));
	if (cli_raw_to_cbor(&w, json, &why) != 0) {
		if (why == NULL) {
			abort();
		}
	} else if (!w.overflow) {
		char cwhy[120];
		size_t used = 0;
		cbor_item_t *item = dfu_smp_mgmt_cbor_load_first(w.buf, w.len, &used, cwhy,
								 sizeof(cwhy));

		if (w.len > sizeof(buf) || item == NULL || used != w.len) {
			abort();
		}
		cbor_decref(&item);
	}
	json_decref(json);
	return 0;
}
