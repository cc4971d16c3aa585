/*
 * Runs mgmt/ codecs from the command line so that tests can hold them against python3-cbor2:
 *   codec-tool encode COMMAND [ARGS...]   prints the request payload as hex
 *   codec-tool decode COMMAND HEX         prints the decoded response, or "error: ..." (exit 1)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mgmt/err.h"
#include "../mgmt/os.h"

static uint8_t buf[SMP_MSG_MAX];

static int print_hex(const struct smp_request *req)
{
	for (size_t i = 0; i < req->len; i++) {
		printf("%02x", req->buf[SMP_HDR_SIZE + i]);
	}
	printf("\n");
	return 0;
}

static int encode(int argc, char **argv)
{
	struct smp_request req;
	int err = -EINVAL;

	smp_request_init(&req, buf, sizeof(buf));
	if (strcmp(argv[0], "echo") == 0 && argc == 2) {
		err = mgmt_os_echo(&req, argv[1]);
	} else if (strcmp(argv[0], "params") == 0 && argc == 1) {
		err = mgmt_os_params(&req);
	}
	if (err) {
		fprintf(stderr, "codec-tool: cannot encode %s (%d)\n", argv[0], err);
		return 2;
	}
	return print_hex(&req);
}

static size_t from_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	if (n > cap) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

static int decode(const char *command, const char *hex)
{
	static uint8_t payload[SMP_MSG_MAX];
	struct smp_client_rsp rsp = { .payload = payload };
	struct mgmt_reply reply;
	char line[400];
	int err = -EINVAL;

	rsp.len = from_hex(hex, payload, sizeof(payload));
	rsp.hdr.len = (uint16_t)rsp.len;
	if (strcmp(command, "echo") == 0) {
		const char *text;

		err = mgmt_os_echo_decode(&rsp, &reply, &text);
		if (!err) {
			printf("r=%s\n", text);
		}
	} else if (strcmp(command, "params") == 0) {
		struct mgmt_os_params p;

		err = mgmt_os_params_decode(&rsp, &reply, &p);
		if (!err) {
			printf("buf_size=%u buf_count=%u\n", (unsigned)p.buf_size,
			       (unsigned)p.buf_count);
		}
	} else {
		fprintf(stderr, "codec-tool: unknown command %s\n", command);
		return 2;
	}
	if (err) {
		printf("error: %s\n", mgmt_err_describe(&reply, line, sizeof(line)));
	}
	mgmt_reply_close(&reply);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "encode") == 0) {
		return encode(argc - 2, argv + 2);
	}
	if (argc == 4 && strcmp(argv[1], "decode") == 0) {
		return decode(argv[2], argv[3]);
	}
	fprintf(stderr, "usage: codec-tool encode COMMAND [ARGS] | decode COMMAND HEX\n");
	return 2;
}
