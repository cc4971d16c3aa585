/* SPDX-License-Identifier: Apache-2.0 */
/* dfu-smp commands of the file system group: fs upload, download, stat, hash, types. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/fs.h>
#include <dfu-smp/ports/loop.h>
#include "cli.h"
#include "progress.h"

/* Chunks in a row that move nothing before a transfer is given up. */
#define MAX_STALLS 3

/* Zephyr's FS_MGMT_ERR_FILE_OFFSET_NOT_VALID: the chunk is not where the device's file ends. */
#define FS_ERR_FILE_OFFSET_NOT_VALID 11

/* Ends the device's file context; old devices without the command are fine too. */
static void close_remote(struct cli *cli)
{
	struct dfu_smp_client_rsp rsp;

	dfu_smp_mgmt_fs_close(cli_request(cli));
	dfu_smp_conn_transact(cli->conn, &cli->req, cli->rsp_buf, DFU_SMP_MSG_MAX, &rsp);
}

/*
 * A chunk sent again after its answer was lost (UDP, serial) finds the device's file already
 * longer, and the device refuses its offset: the file's size says where to go on. @return 0
 * with *@p next set, or -1 when the refusal was something else (left in @p reply).
 */
static int offset_refused(struct cli *cli, const char *name, struct dfu_smp_mgmt_reply *reply,
			  uint64_t *next)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply st;
	int err;

	if (reply->kind != DFU_SMP_MGMT_REPLY_GROUP_ERR || reply->group != DFU_SMP_MGMT_GROUP_FS ||
	    reply->rc != FS_ERR_FILE_OFFSET_NOT_VALID ||
	    dfu_smp_mgmt_fs_status(cli_request(cli), name) ||
	    dfu_smp_conn_transact(cli->conn, &cli->req, cli->rsp_buf, DFU_SMP_MSG_MAX, &rsp) != 0) {
		return -1;
	}
	err = dfu_smp_mgmt_fs_status_decode(&rsp, &st, next);
	dfu_smp_mgmt_reply_close(&st);
	return err ? -1 : 0;
}

static int read_at(FILE *f, uint64_t off, uint8_t *buf, size_t n)
{
	return fseek(f, (long)off, SEEK_SET) == 0 && fread(buf, 1, n, f) == n ? 0 : -EIO;
}

/*
 * The first chunk. Zephyr keeps an uploaded file open and writes a first chunk that comes
 * again at the offset it has reached: on a lossy link, before it is sent again after a lost
 * answer, the file is closed on the device, so that it starts afresh. An answer to the try
 * before no longer counts then, so each try waits the whole timeout.
 */
static int send_first(struct cli *cli, const char *remote, const uint8_t *chunk, size_t n,
		      int64_t total, struct dfu_smp_client_rsp *rsp)
{
	unsigned tries = cli->conn->retries + 1u;
	char why[512];
	int err = 0;

	for (unsigned i = 0; i < tries; i++) {
		if (i > 0) {
			close_remote(cli);
		}
		dfu_smp_mgmt_fs_upload(cli_request(cli), remote, 0, chunk, n, total);
		cli->req.timeout_ms = dfu_smp_conn_timeout_ms(cli->conn);
		err = dfu_smp_conn_transact_once(cli->conn, &cli->req, cli->rsp_buf,
						 DFU_SMP_MSG_MAX, rsp);
		if (err != -ETIMEDOUT) {
			break;
		}
	}
	if (err) {
		const char *kind;
		int status = cli_link_status(err, &kind);

		dfu_smp_conn_explain(cli->conn, err, DFU_SMP_HDR_SIZE + cli->req.len, why,
				     sizeof(why));
		return cli_fail_as(cli, status, kind, "%s", why);
	}
	return 0;
}

/* send_file(): the device's offset ran past the file, as when it took a chunk twice. */
#define SEND_AGAIN (-1)

/*
 * Sends the whole file from offset 0, its progress shown on @p pr. @return 0, SEND_AGAIN, or an
 * exit status after saying why.
 */
static int send_file(struct cli *cli, struct progress *pr, FILE *f, uint64_t size,
		     const char *local, const char *remote)
{
	const struct dfu_smp_session_limits *limits;
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	uint8_t *chunk = NULL;
	uint64_t off = 0;
	int stalls = 0;
	int status = cli_limits(cli, &limits);

	if (!status) {
		chunk = malloc(limits->max_request);
		if (!chunk) {
			status = cli_fail(cli, "out of memory");
		}
	}
	while (!status) {
		int64_t total = off == 0 ? (int64_t)size : -1;
		size_t n = dfu_smp_mgmt_fs_upload_max_data(remote, off, total, limits->max_request);
		uint64_t next;

		if (n == 0) {
			char why[300];

			/* the smallest request: one byte of data */
			dfu_smp_mgmt_fs_upload(cli_request(cli), remote, off, chunk, 1, total);
			dfu_smp_conn_explain(cli->conn, -EMSGSIZE, DFU_SMP_HDR_SIZE + cli->req.len,
					     why, sizeof(why));
			status = cli_fail(cli, "%s", why);
			break;
		}
		if (n > size - off) {
			n = (size_t)(size - off);
		}
		if (read_at(f, off, chunk, n) != 0) {
			status = cli_fail(cli, "cannot read '%s' at %llu", local,
					  (unsigned long long)off);
			break;
		}
		if (off == 0) {
			status = send_first(cli, remote, chunk, n, total, &rsp);
		} else {
			dfu_smp_mgmt_fs_upload(cli_request(cli), remote, off, chunk, n, total);
			status = cli_exchange(cli, &cli->req, &rsp);
		}
		if (status) {
			break;
		}
		if (dfu_smp_mgmt_fs_upload_decode(&rsp, &reply, &next) != 0 &&
		    offset_refused(cli, remote, &reply, &next) != 0) {
			status = cli_reply_failed(cli, &reply);
		} else if (next > size) {
			status = SEND_AGAIN; /* it took a chunk twice: the file must start over */
		} else if (next <= off && n > 0 && ++stalls >= MAX_STALLS) {
			status = cli_fail(cli, "the device keeps answering offset %llu: the upload "
					  "does not move", (unsigned long long)next);
		} else {
			if (next > off) {
				stalls = 0;
			}
			off = next; /* the device's offset wins */
			progress_update(pr, off, size, dfu_smp_conn_now_ms(cli->conn));
		}
		dfu_smp_mgmt_reply_close(&reply);
		if (off >= size && !status) {
			break;
		}
	}
	free(chunk);
	return status;
}

/* SHA-256 of the whole of @p f. @return 0 or -EIO. */
static int file_sha256(FILE *f, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t buf[4096];
	unsigned int len = 0;
	size_t n;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) && fseek(f, 0, SEEK_SET) == 0;

	while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		ok = EVP_DigestUpdate(ctx, buf, n);
	}
	ok = ok && !ferror(f) && EVP_DigestFinal_ex(ctx, out, &len) && len == 32;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

/*
 * Whether the device's file is the local one, by its SHA-256. @return 1 it is, 0 it is not,
 * -1 when the device cannot tell (no hash command, no sha256: nothing to check with).
 */
static int remote_matches(struct cli *cli, const char *remote, const uint8_t sha[32])
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_fs_hash_rsp out;
	int match = -1;

	if (dfu_smp_mgmt_fs_hash(cli_request(cli), remote, "sha256", 0, -1) != 0 ||
	    dfu_smp_conn_transact(cli->conn, &cli->req, cli->rsp_buf, DFU_SMP_MSG_MAX, &rsp) != 0) {
		return -1;
	}
	if (dfu_smp_mgmt_fs_hash_decode(&rsp, &reply, &out) == 0 && !out.output_is_number &&
	    out.bytes_len == 32) {
		match = memcmp(out.bytes, sha, 32) == 0;
	}
	dfu_smp_mgmt_reply_close(&reply);
	return match;
}

/*
 * Uploads, then checks the device's SHA-256 of the file against the local one where the
 * device can tell it. A first chunk sent again after its answer was lost is written twice by
 * Zephyr (the file stays open, its offset counts on): a file that does not match is sent once
 * more from the start, after closing it on the device.
 */
static int cmd_upload(struct cli *cli, int argc, char **argv)
{
	const struct dfu_smp_session_limits *limits;
	struct progress pr;
	uint8_t sha[32];
	uint64_t size, t0;
	int status, match = -1;
	FILE *f;
	long end;

	if (argc != 2) {
		return cli_usage(cli, "give LOCAL (file to send) and REMOTE (path on the device)");
	}
	f = fopen(argv[0], "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0) {
		if (f) {
			fclose(f);
		}
		return cli_fail(cli, "cannot read '%s': %s", argv[0], strerror(errno));
	}
	size = (uint64_t)end;
	if (file_sha256(f, sha) != 0) {
		fclose(f);
		return cli_fail(cli, "cannot read '%s': %s", argv[0], strerror(EIO));
	}
	progress_init_stderr(&pr, cli->opt.verbose > 0, cli->json || cli->quiet);
	t0 = dfu_smp_port_now_ms();
	status = cli_limits(cli, &limits);
	if (status) {
		fclose(f);
		return status;
	}
	progress_phase(&pr, "connecting", t0);
	progress_end(&pr, dfu_smp_port_now_ms(), true);
	for (int attempt = 0; attempt < 2 && match != 1; attempt++) {
		if (attempt > 0) {
			progress_note(&pr, "%s: %s: the file on the device does not match '%s'; "
				      "sending it again from the start", cli->prog, cli->what,
				      argv[0]);
		}
		progress_transfer(&pr, "uploading", 0, size, dfu_smp_conn_now_ms(cli->conn));
		status = send_file(cli, &pr, f, size, argv[0], argv[1]);
		close_remote(cli);
		progress_end(&pr, dfu_smp_conn_now_ms(cli->conn), status == 0);
		if (status == SEND_AGAIN) {
			match = 0;
			continue;
		}
		if (status) {
			break;
		}
		progress_phase(&pr, "verifying", dfu_smp_conn_now_ms(cli->conn));
		match = remote_matches(cli, argv[1], sha);
		progress_end(&pr, dfu_smp_conn_now_ms(cli->conn), true);
		if (match == -1) {
			break; /* the device cannot tell: its offsets are all there is */
		}
	}
	fclose(f);
	if (status && status != SEND_AGAIN) {
		return status;
	}
	if (match == 0) {
		return cli_fail(cli,
				"the file on the device does not match '%s' (SHA-256) after two "
				"uploads: the link loses or damages data; run it again",
				argv[0]);
	}
	if (cli->json) {
		return cli_print_json(cli, json_pack("{s:s, s:I, s:o}", "name", argv[1], "len",
						     (json_int_t)size, "verified",
						     json_boolean(match == 1)));
	}
	printf("uploaded %llu bytes to %s%s\n", (unsigned long long)size, argv[1],
	       match == 1 ? ", SHA-256 checked on the device" : "");
	return 0;
}

static int cmd_download(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_fs_download_rsp chunk;
	struct progress pr;
	uint64_t off = 0, t0;
	int64_t total = -1;
	char *part;
	FILE *f;
	int status = 0;

	if (argc != 2) {
		return cli_usage(cli, "give REMOTE (path on the device) and LOCAL (file to write)");
	}
	/* written beside the target and renamed at the end: never a half file under its name */
	part = malloc(strlen(argv[1]) + 6);
	if (!part) {
		return cli_fail(cli, "out of memory");
	}
	sprintf(part, "%s.part", argv[1]);
	f = fopen(part, "wb");
	if (!f) {
		status = cli_fail(cli, "cannot write '%s': %s", part, strerror(errno));
		free(part);
		return status;
	}
	progress_init_stderr(&pr, cli->opt.verbose > 0, cli->json || cli->quiet);
	t0 = dfu_smp_port_now_ms();
	status = cli_connect(cli);
	if (!status) {
		progress_phase(&pr, "connecting", t0);
		progress_end(&pr, dfu_smp_port_now_ms(), true);
		progress_transfer(&pr, "downloading", 0, 0, dfu_smp_conn_now_ms(cli->conn));
	}
	while (!status) {
		if (dfu_smp_mgmt_fs_download(cli_request(cli), argv[0], off) != 0) {
			status = cli_too_large(cli);
			break;
		}
		status = cli_exchange(cli, &cli->req, &rsp);
		if (status) {
			break;
		}
		if (dfu_smp_mgmt_fs_download_decode(&rsp, &reply, &chunk) != 0) {
			status = cli_reply_failed(cli, &reply);
		} else if (chunk.off != off) {
			status = cli_fail(cli, "asked for offset %llu, got data for %llu",
					  (unsigned long long)off, (unsigned long long)chunk.off);
		} else {
			if (off == 0) {
				total = chunk.total;
			}
			if (chunk.len && fwrite(chunk.data, 1, chunk.len, f) != chunk.len) {
				status = cli_fail(cli, "cannot write '%s': %s", part,
						  strerror(errno));
			}
			off += chunk.len;
			progress_update(&pr, off, total > 0 ? (uint64_t)total : 0,
					dfu_smp_conn_now_ms(cli->conn));
			if (!status && chunk.len == 0 && total >= 0 && off < (uint64_t)total) {
				status = cli_fail(cli,
						  "the device sent no data at offset %llu of %lld",
						  (unsigned long long)off, (long long)total);
			}
		}
		dfu_smp_mgmt_reply_close(&reply);
		if (status || chunk.len == 0 || (total >= 0 && off >= (uint64_t)total)) {
			break;
		}
	}
	if (cli->conn) {
		progress_end(&pr, dfu_smp_conn_now_ms(cli->conn), !status);
	}
	if (fclose(f) != 0 && !status) {
		status = cli_fail(cli, "cannot write '%s': %s", part, strerror(errno));
	}
	if (!status && rename(part, argv[1]) != 0) {
		status = cli_fail(cli, "cannot rename '%s' to '%s': %s", part, argv[1],
				  strerror(errno));
	}
	if (status) {
		remove(part);
	}
	free(part);
	if (status) {
		return status;
	}
	close_remote(cli);
	if (cli->json) {
		return cli_print_json(cli, json_pack("{s:s, s:I}", "name", argv[0], "len",
						     (json_int_t)off));
	}
	printf("downloaded %llu bytes to %s\n", (unsigned long long)off, argv[1]);
	return 0;
}

static int cmd_stat(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	uint64_t len;
	int status;

	if (argc != 1) {
		return cli_usage(cli, "give the REMOTE path");
	}
	if (dfu_smp_mgmt_fs_status(cli_request(cli), argv[0]) != 0) {
		return cli_too_large(cli);
	}
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_fs_status_decode(&rsp, &reply, &len) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		status = cli_print_json(cli, json_pack("{s:s, s:I}", "name", argv[0], "len",
						       (json_int_t)len));
	} else {
		printf("%s: %llu bytes\n", argv[0], (unsigned long long)len);
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static int cmd_hash(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_fs_hash_rsp out;
	const char *name = NULL, *type = NULL;
	int status;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--type") == 0 && i + 1 < argc) {
			type = argv[++i];
		} else if (!name && argv[i][0] != '-') {
			name = argv[i];
		} else {
			return cli_usage(cli, "unexpected '%s' (takes REMOTE [--type T])", argv[i]);
		}
	}
	if (!name) {
		return cli_usage(cli, "give the REMOTE path");
	}
	if (dfu_smp_mgmt_fs_hash(cli_request(cli), name, type, 0, -1) != 0) {
		return cli_too_large(cli);
	}
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_fs_hash_decode(&rsp, &reply, &out) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		status = cli_print_json(cli, json_pack(
			"{s:s, s:s, s:I, s:o}", "name", name, "type", out.type, "len",
			(json_int_t)out.len, "output",
			out.output_is_number ? json_integer((json_int_t)out.number)
					     : cli_json_hex(out.bytes, out.bytes_len)));
	} else if (out.output_is_number) {
		printf("%s: 0x%08llx (%llu bytes)\n", out.type, (unsigned long long)out.number,
		       (unsigned long long)out.len);
	} else {
		char *hex = malloc(2 * out.bytes_len + 1);

		if (hex) {
			cli_hex(out.bytes, out.bytes_len, hex);
			printf("%s: %s (%llu bytes)\n", out.type, hex, (unsigned long long)out.len);
			free(hex);
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static int cmd_types(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_fs_hash_types types;
	int status;

	if (argc > 0) {
		return cli_usage(cli, "takes no arguments, got '%s'", argv[0]);
	}
	dfu_smp_mgmt_fs_hash_types(cli_request(cli));
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_fs_hash_types_decode(&rsp, &reply, &types) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		json_t *doc = json_object();

		for (size_t i = 0; i < types.count; i++) {
			json_object_set_new(doc, types.types[i].name,
					    json_pack("{s:I, s:I}", "format",
						      (json_int_t)types.types[i].format, "size",
						      (json_int_t)types.types[i].size));
		}
		status = cli_print_json(cli, json_pack("{s:o}", "types", doc));
	} else {
		for (size_t i = 0; i < types.count; i++) {
			printf("%s: %llu-byte %s\n", types.types[i].name,
			       (unsigned long long)types.types[i].size,
			       types.types[i].format == 0 ? "number" : "byte string");
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static const struct cli_arg upload_params[] = {
	{ "LOCAL", NULL, "the file to send", true },
	{ "REMOTE", NULL, "its path on the device, e.g. /lfs/data", false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg download_params[] = {
	{ "REMOTE", NULL, "the file's path on the device", false },
	{ "LOCAL", NULL, "the file to write", true },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg remote_params[] = {
	{ "REMOTE", NULL, "the file's path on the device", false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg hash_params[] = {
	{ "REMOTE", NULL, "the file's path on the device", false },
	{ "--type", "T", "crc32 or sha256, as 'fs types' lists them (default: the device's)",
	  false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg no_params[] = { { NULL, NULL, NULL, false } };

const struct cli_command cli_fs_commands[] = {
	{ "fs", "upload", "LOCAL REMOTE", "send a file to the device", cmd_upload, false,
	  upload_params, NULL },
	{ "fs", "download", "REMOTE LOCAL", "fetch a file from the device", cmd_download, false,
	  download_params, NULL },
	{ "fs", "stat", "REMOTE", "a file's size", cmd_stat, false, remote_params, NULL },
	{ "fs", "hash", "REMOTE [--type T]", "a file's hash or checksum (crc32, sha256)",
	  cmd_hash, false, hash_params, NULL },
	{ "fs", "types", "", "the hash and checksum types the device supports", cmd_types, false,
	  no_params, NULL },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL, NULL },
};
