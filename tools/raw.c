/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dfu-smp raw: any request, for vendor groups and commands this tool has no name for. The
 * request is given as JSON and sent as CBOR; the answer is printed as JSON.
 *
 * Byte strings have no JSON type: a JSON string written "h'0a0b'" (CBOR's diagnostic notation)
 * is sent as a byte string, and byte strings in the answer are printed that way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include <dfu-smp/mgmt/cbor.h>
#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/request.h>
#include "../mgmt/cbor_reader.h"
#include "cli.h"

/* Nesting deeper than this is refused rather than recursed into. */
#define MAX_DEPTH 32

static bool is_bytes_notation(const char *s, size_t n)
{
	return n >= 3 && s[0] == 'h' && s[1] == '\'' && s[n - 1] == '\'';
}

/* Writes @p json as CBOR; returns 0 or -1 with @p why set. */
static int to_cbor(struct dfu_smp_mgmt_cbor_writer *w, const json_t *json, int depth,
		   const char **why)
{
	if (depth > MAX_DEPTH) {
		*why = "the JSON nests too deeply";
		return -1;
	}
	switch (json_typeof(json)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *value;

		dfu_smp_mgmt_cbor_map(w, json_object_size(json));
		json_object_foreach((json_t *)json, key, value) {
			dfu_smp_mgmt_cbor_text(w, key);
			if (to_cbor(w, value, depth + 1, why) != 0) {
				return -1;
			}
		}
		return 0;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *value;

		dfu_smp_mgmt_cbor_array(w, json_array_size(json));
		json_array_foreach(json, i, value) {
			if (to_cbor(w, value, depth + 1, why) != 0) {
				return -1;
			}
		}
		return 0;
	}
	case JSON_STRING: {
		const char *s = json_string_value(json);
		size_t n = json_string_length(json);

		if (is_bytes_notation(s, n)) {
			uint8_t *bytes = malloc(n / 2 + 1);
			long len;
			char *hex = malloc(n);

			if (!bytes || !hex) {
				free(bytes);
				free(hex);
				*why = "out of memory";
				return -1;
			}
			memcpy(hex, s + 2, n - 3);
			hex[n - 3] = '\0';
			len = cli_parse_hex(hex, bytes, n / 2 + 1);
			free(hex);
			if (len < 0) {
				free(bytes);
				*why = "a string h'...' must hold hex digits (a byte string)";
				return -1;
			}
			dfu_smp_mgmt_cbor_bytes(w, bytes, (size_t)len);
			free(bytes);
		} else {
			dfu_smp_mgmt_cbor_text_n(w, s, n);
		}
		return 0;
	}
	case JSON_INTEGER:
		dfu_smp_mgmt_cbor_int(w, json_integer_value(json));
		return 0;
	case JSON_REAL: {
		uint8_t buf[9];
		size_t n = cbor_encode_double(json_real_value(json), buf, sizeof(buf));

		dfu_smp_mgmt_cbor_raw(w, buf, n);
		return 0;
	}
	case JSON_TRUE:
	case JSON_FALSE:
		dfu_smp_mgmt_cbor_bool(w, json_is_true(json));
		return 0;
	case JSON_NULL: {
		uint8_t buf[1];

		dfu_smp_mgmt_cbor_raw(w, buf, cbor_encode_null(buf, sizeof(buf)));
		return 0;
	}
	}
	*why = "unsupported JSON value";
	return -1;
}

int cli_raw_to_cbor(struct dfu_smp_mgmt_cbor_writer *w, const json_t *json, const char **why)
{
	return to_cbor(w, json, 0, why);
}

static json_t *to_json(const cbor_item_t *item, int depth);

static json_t *string_json(const cbor_item_t *item)
{
	size_t n = dfu_smp_mgmt_cbor_string_size(item);
	uint8_t *buf = malloc(n + 1);
	json_t *out;

	if (!buf) {
		return json_null();
	}
	dfu_smp_mgmt_cbor_string_copy(item, buf);
	if (cbor_isa_string(item)) {
		out = json_stringn((const char *)buf, n);
		if (!out) {
			/* not UTF-8: show the bytes rather than lose them */
			out = cli_json_hex(buf, n);
		}
	} else {
		char *text = malloc(2 * n + 4);

		if (text) {
			text[0] = 'h';
			text[1] = '\'';
			cli_hex(buf, n, text + 2);
			strcat(text, "'");
		}
		out = text ? json_string(text) : json_null();
		free(text);
	}
	free(buf);
	return out;
}

static json_t *to_json(const cbor_item_t *item, int depth)
{
	if (depth > MAX_DEPTH) {
		return json_string("(nested too deeply)");
	}
	switch (cbor_typeof(item)) {
	case CBOR_TYPE_UINT:
	case CBOR_TYPE_NEGINT: {
		int64_t v;

		if (dfu_smp_mgmt_cbor_get_int(item, &v) == 0) {
			return json_integer(v);
		}
		/* beyond 64-bit signed: as a decimal string */
		{
			char buf[32];

			snprintf(buf, sizeof(buf), "%s%llu", cbor_isa_negint(item) ? "-1-" : "",
				 (unsigned long long)cbor_get_int(item));
			return json_string(buf);
		}
	}
	case CBOR_TYPE_BYTESTRING:
	case CBOR_TYPE_STRING:
		return string_json(item);
	case CBOR_TYPE_ARRAY: {
		json_t *array = json_array();
		cbor_item_t **items = cbor_array_handle(item);

		for (size_t i = 0; i < cbor_array_size(item); i++) {
			json_array_append_new(array, to_json(items[i], depth + 1));
		}
		return array;
	}
	case CBOR_TYPE_MAP: {
		json_t *object = json_object();
		struct cbor_pair *pairs = cbor_map_handle(item);

		for (size_t i = 0; i < cbor_map_size(item); i++) {
			json_t *key = cbor_isa_string(pairs[i].key)
					      ? string_json(pairs[i].key)
					      : to_json(pairs[i].key, depth + 1);
			char *text = json_is_string(key) ? NULL
							 : json_dumps(key, JSON_ENCODE_ANY);

			json_object_set_new(object, text ? text : json_string_value(key),
					    to_json(pairs[i].value, depth + 1));
			free(text);
			json_decref(key);
		}
		return object;
	}
	case CBOR_TYPE_TAG:
		return to_json(cbor_tag_item(item), depth + 1);
	case CBOR_TYPE_FLOAT_CTRL:
		if (dfu_smp_mgmt_cbor_is_bool(item)) {
			return json_boolean(cbor_get_bool(item));
		}
		if (cbor_float_get_width(item) != CBOR_FLOAT_0) {
			return json_real(cbor_float_get_float(item));
		}
		return json_null();
	}
	return json_null();
}

static int print_answer(struct cli *cli, const struct dfu_smp_client_rsp *rsp, json_t *doc);

static int cmd_raw(struct cli *cli, int argc, char **argv)
{
	const char *op = NULL, *body = "{}", *why = NULL;
	uint64_t group = UINT64_MAX, id = UINT64_MAX;
	struct dfu_smp_mgmt_cbor_writer w;
	struct dfu_smp_client_rsp rsp;
	char why_cbor[120];
	cbor_item_t *item;
	json_error_t jerr;
	json_t *json;
	int status;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--op") == 0 && i + 1 < argc) {
			op = argv[++i];
		} else if (strcmp(argv[i], "--group") == 0 && i + 1 < argc) {
			if (args_u64(argv[++i], UINT16_MAX, &group) != 0) {
				return cli_usage(cli, "--group takes 0..65535, got '%s'", argv[i]);
			}
		} else if (strcmp(argv[i], "--id") == 0 && i + 1 < argc) {
			if (args_u64(argv[++i], UINT8_MAX, &id) != 0) {
				return cli_usage(cli, "--id takes 0..255, got '%s'", argv[i]);
			}
		} else if (i == argc - 1 && argv[i][0] != '-') {
			body = argv[i];
		} else {
			return cli_usage(cli, "unexpected '%s'", argv[i]);
		}
	}
	if (!op || (strcmp(op, "read") != 0 && strcmp(op, "write") != 0)) {
		return cli_usage(cli, "--op must be read or write");
	}
	if (group == UINT64_MAX || id == UINT64_MAX) {
		return cli_usage(cli, "give --group G and --id ID");
	}
	json = json_loads(body, JSON_DECODE_ANY, &jerr);
	if (!json) {
		return cli_usage(cli, "the request is not JSON: %s", jerr.text);
	}
	dfu_smp_mgmt_request_begin(cli_request(cli),
				   strcmp(op, "read") == 0 ? DFU_SMP_OP_READ : DFU_SMP_OP_WRITE,
				   (uint16_t)group, (uint8_t)id, &w);
	status = cli_raw_to_cbor(&w, json, &why);
	json_decref(json);
	if (status != 0) {
		return cli_usage(cli, "%s", why);
	}
	if (dfu_smp_mgmt_request_end(&cli->req, &w) != 0) {
		return cli_too_large(cli);
	}
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return status;
	}
	item = rsp.len ? dfu_smp_mgmt_cbor_load(rsp.payload, rsp.len, why_cbor, sizeof(why_cbor))
		       : NULL;
	if (rsp.len && !item) {
		return cli_fail(cli, "the answer %s", why_cbor);
	}
	json = item ? to_json(item, 0) : json_null();
	cbor_decref(&item);
	return print_answer(cli, &rsp, json);
}

/* One value of an answer as text: a string as it is, anything else as compact JSON. */
static void print_value(const json_t *value)
{
	char *text;

	if (json_is_string(value)) {
		printf("%s\n", json_string_value(value));
		return;
	}
	text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
	printf("%s\n", text ? text : "?");
	free(text);
}

/*
 * Prints the answer @p doc (stolen): with --json as it is, an error in it under "error" too;
 * otherwise a line per member ("name: value"), nothing but the error line when it is one.
 * An error in the answer fails the run.
 */
static int print_answer(struct cli *cli, const struct dfu_smp_client_rsp *rsp, json_t *doc)
{
	struct dfu_smp_mgmt_reply reply;
	bool failed = rsp->len && dfu_smp_mgmt_reply_status(rsp, &reply) != 0;
	int status = CLI_EXIT_OK;

	if (failed) {
		bool json = cli->json;

		/* the error line on stderr; with --json its object goes into the answer's document */
		cli->json = false;
		status = cli_reply_failed(cli, &reply);
		cli->json = json;
		if (json && json_is_object(doc)) {
			json_object_set_new(doc, "error", cli_reply_error_json(&reply));
		}
	}
	if (cli->json) {
		cli_print_json(cli, doc);
	} else if (!failed && json_is_object(doc)) {
		const char *key;
		json_t *value;

		json_object_foreach(doc, key, value) {
			printf("%s: ", key);
			print_value(value);
		}
		json_decref(doc);
	} else if (!failed) {
		print_value(doc);
		json_decref(doc);
	} else {
		json_decref(doc);
	}
	if (rsp->len) {
		dfu_smp_mgmt_reply_close(&reply);
	}
	return status;
}

static const struct cli_arg raw_params[] = {
	{ "--op", "read|write", "the operation", false },
	{ "--group", "G", "the management group ID, 0..65535", false },
	{ "--id", "ID", "the command ID in the group, 0..255", false },
	{ "JSON", NULL, "the request's body as a JSON object (default: {}); a byte string is "
	  "written as \"h'0102'\"", false },
	{ NULL, NULL, NULL, false },
};

const struct cli_command cli_raw_commands[] = {
	{ NULL, "raw", "--op read|write --group G --id ID [JSON]",
	  "send any request; bytes as \"h'..'\"", cmd_raw, false, raw_params,
	  "Prints the answer's body, a line per member, byte strings as \"h'..'\"; with --json as "
	  "one JSON document (an error answer with an \"error\" object added)." },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL, NULL },
};
