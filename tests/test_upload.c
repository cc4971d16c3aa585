/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The upload engine against a scripted device: every request exactly as large as allowed, the
 * device's offset winning forwards and backwards, resume, lost answers recovered from with a
 * smaller window, device errors and a reported mismatch; the client's window given back at the
 * end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/dfu/upload.h>
#include <dfu-smp/mgmt/cbor.h>
#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/img.h>
#include <dfu-smp/smp/header.h>

#include "../mgmt/cbor_reader.h"

#define MAX_PENDING 64

/* A device that takes upload requests and answers when the test says so. */
static struct device {
	uint8_t *flash;
	uint64_t len;       /* from the first request */
	uint64_t off;       /* what it has */
	uint8_t sha[32];
	bool has_sha;
	/* requests received, not answered yet */
	uint8_t *pending[MAX_PENDING];
	size_t pending_len[MAX_PENDING];
	int npending;
	/* script */
	int drop_request;       /* drop the n-th request (1-based) without answering; 0 never */
	int drop_answer;        /* take the n-th request but lose its answer; 0 never */
	int bad_off_request;    /* answer the n-th request with bad_off instead */
	uint64_t bad_off;
	int error_request;      /* answer the n-th request with {"rc": error_rc} */
	int error_rc;
	bool mismatch;          /* answer the last with match: false */
	uint64_t resume_at;     /* already has this much of the upload */
	int requests;
	size_t largest;         /* largest request message */
	size_t largest_data_after_error; /* most data bytes in a request after error_request */
	bool deaf;              /* answers nothing at all */
} D;

static struct dfu_smp_client client;
static struct dfu_smp_upload up;
static uint8_t buf[DFU_SMP_UPLOAD_WINDOW_MAX * 2475];
static struct {
	bool done;
	int err;
	struct dfu_smp_upload_result result;
	int progress_calls;
	uint64_t last_offset;
} R;

static int fake_send(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	D.requests++;
	if (len > D.largest) {
		D.largest = len;
	}
	if (D.requests == D.drop_request || D.deaf) {
		return 0;
	}
	assert_true(D.npending < MAX_PENDING);
	D.pending[D.npending] = malloc(len);
	memcpy(D.pending[D.npending], msg, len);
	D.pending_len[D.npending++] = len;
	return 0;
}

static size_t fake_max(void *ctx)
{
	(void)ctx;
	return 65535;
}

/* The event loop's turn: the client sends what is due now. */
static void flush(void)
{
	dfu_smp_client_process(&client, dfu_smp_client_now(&client));
}

/* Answers the oldest pending request as Zephyr's image manager would; the client goes on. */
static void answer_one(void)
{
	uint8_t *msg = D.pending[0];
	size_t len = D.pending_len[0];
	struct dfu_smp_hdr hdr;
	const cbor_item_t *off_i, *data_i, *len_i, *sha_i;
	cbor_item_t *map;
	uint64_t off, total;
	uint8_t out[128];
	struct dfu_smp_mgmt_cbor_writer w;
	char why[100];
	int n = D.requests - D.npending + 1; /* which request this is */

	memmove(&D.pending[0], &D.pending[1], (size_t)(D.npending - 1) * sizeof(D.pending[0]));
	memmove(&D.pending_len[0], &D.pending_len[1], (size_t)(D.npending - 1) * sizeof(size_t));
	D.npending--;
	assert_int_equal(dfu_smp_hdr_decode(msg, len, &hdr), 0);
	map = dfu_smp_mgmt_cbor_load(msg + DFU_SMP_HDR_SIZE, hdr.len, why, sizeof(why));
	assert_non_null(map);
	off_i = dfu_smp_mgmt_cbor_find(map, "off");
	data_i = dfu_smp_mgmt_cbor_find(map, "data");
	assert_int_equal(dfu_smp_mgmt_cbor_get_uint(off_i, &off), 0);
	assert_true(cbor_isa_bytestring(data_i));
	if (off == 0) {
		len_i = dfu_smp_mgmt_cbor_find(map, "len");
		sha_i = dfu_smp_mgmt_cbor_find(map, "sha");
		assert_int_equal(dfu_smp_mgmt_cbor_get_uint(len_i, &total), 0);
		assert_true(dfu_smp_mgmt_cbor_string_size(data_i) >= 32);
		/* the same upload again carries on; anything else starts afresh */
		if (!(sha_i && D.has_sha && D.len == total && D.off > 0)) {
			D.len = total;
			D.off = D.resume_at;
			D.resume_at = 0;
			D.has_sha = sha_i != NULL;
			if (sha_i) {
				dfu_smp_mgmt_cbor_string_copy(sha_i, D.sha);
			}
			free(D.flash);
			D.flash = calloc(1, (size_t)total);
		}
	}
	if (D.error_request && n > D.error_request &&
	    dfu_smp_mgmt_cbor_string_size(data_i) > D.largest_data_after_error) {
		D.largest_data_after_error = dfu_smp_mgmt_cbor_string_size(data_i);
	}
	if (off == D.off && D.flash) {
		size_t n_data = dfu_smp_mgmt_cbor_string_size(data_i);

		assert_true(off + n_data <= D.len);
		dfu_smp_mgmt_cbor_string_copy(data_i, D.flash + off);
		D.off += n_data;
	}
	dfu_smp_mgmt_cbor_writer_init(&w, out + DFU_SMP_HDR_SIZE, sizeof(out) - DFU_SMP_HDR_SIZE);
	dfu_smp_mgmt_cbor_map_indef(&w);
	if (n == D.error_request) {
		dfu_smp_mgmt_cbor_text(&w, "rc");
		dfu_smp_mgmt_cbor_uint(&w, (uint64_t)D.error_rc);
	} else {
		dfu_smp_mgmt_cbor_text(&w, "off");
		dfu_smp_mgmt_cbor_uint(&w, n == D.bad_off_request ? D.bad_off : D.off);
		if (D.off == D.len && n != D.bad_off_request) {
			dfu_smp_mgmt_cbor_text(&w, "match");
			dfu_smp_mgmt_cbor_bool(&w, !D.mismatch);
		}
	}
	dfu_smp_mgmt_cbor_break(&w);
	hdr.op = DFU_SMP_OP_WRITE_RSP;
	hdr.len = (uint16_t)w.len;
	dfu_smp_hdr_encode(&hdr, out);
	cbor_decref(&map);
	free(msg);
	if (n == D.drop_answer) {
		return;
	}
	dfu_smp_client_receive(&client, out, DFU_SMP_HDR_SIZE + w.len);
	flush();
}

/* Answers until nothing is pending or the upload ended; returns the requests answered. */
static int answer_all(void)
{
	int n = 0;

	while (D.npending > 0 && !R.done) {
		answer_one();
		n++;
	}
	return n;
}

static void on_progress(void *user, const struct dfu_smp_upload_progress *p)
{
	(void)user;
	assert_true(p->offset <= p->total);
	R.progress_calls++;
	R.last_offset = p->offset;
}

static void on_done(void *user, int err, const struct dfu_smp_upload_result *result)
{
	(void)user;
	R.done = true;
	R.err = err;
	R.result = *result;
}

static const struct dfu_smp_upload_ops ops = { on_progress, on_done };

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < D.npending; i++) {
		free(D.pending[i]);
	}
	D.npending = 0;
	free(D.flash);
	D.flash = NULL;
	return 0;
}

static int setup(void **state)
{
	const struct dfu_smp_transport t = { .send = fake_send, .max_size = fake_max };

	(void)state;
	for (int i = 0; i < D.npending; i++) {
		free(D.pending[i]);
	}
	free(D.flash);
	memset(&D, 0, sizeof(D));
	memset(&R, 0, sizeof(R));
	dfu_smp_client_init(&client, &t, NULL);
	return 0;
}

static uint8_t *image(size_t size)
{
	uint8_t *data = malloc(size);

	for (size_t i = 0; i < size; i++) {
		data[i] = (uint8_t)(i * 31 + 7);
	}
	data[0] = 0x3d; /* the header magic, as a device checks */
	data[1] = 0xb8;
	data[2] = 0xf3;
	data[3] = 0x96;
	return data;
}

static void start(const uint8_t *data, size_t size, size_t max_request, unsigned window)
{
	static const uint8_t sha[32] = { 1, 2, 3 };
	const struct dfu_smp_upload_config cfg = {
		.data = data, .size = size, .sha = sha, .max_request = max_request,
		.window = window, .timeout_ms = 100, .first_timeout_ms = 1000,
	};

	assert_int_equal(dfu_smp_upload_start(&up, &client, &cfg, buf, sizeof(buf), &ops, NULL), 0);
	flush();
}

/* Runs to the end: answers everything, lets timeouts fire. */
static void run(void)
{
	uint64_t now = 0;

	while (!R.done) {
		if (answer_all() == 0) {
			now = dfu_smp_client_deadline(&client);
			assert_true(now != UINT64_MAX);
			dfu_smp_client_process(&client, now);
		}
	}
}

static void uploads_whole_image_with_requests_as_large_as_allowed(void **state)
{
	/* below about 70 bytes a first request cannot carry the image header */
	static const size_t limits[] = { 100, 252, 495, 2475 };

	(void)state;
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		uint8_t *data = image(10007);

		setup(NULL);
		start(data, 10007, limits[i], 1);
		run();
		assert_int_equal(R.err, 0);
		assert_memory_equal(D.flash, data, 10007);
		assert_true(D.largest <= limits[i]);
		assert_true(D.largest >= limits[i] - 1); /* a head size step may cost one byte */
		assert_true(R.result.has_match && R.result.match);
		assert_int_equal(R.last_offset, 10007);
		assert_int_equal(R.result.data_sent, 10007);
		free(data);
	}
}

/* The chunk the n-th request carries at @p limit (first chunk has more keys). */
static size_t chunk_at(uint64_t off, size_t total, size_t limit)
{
	static const uint8_t sha[32];
	struct dfu_smp_mgmt_img_upload_args a = {
		.off = off, .total_len = total, .sha = sha, .sha_len = 32
	};

	return dfu_smp_mgmt_img_upload_max_data(&a, limit);
}

static void image_ending_on_and_past_a_chunk_boundary(void **state)
{
	size_t first, second, sizes[2];

	(void)state;
	/* on: exactly two full chunks; past: one byte more, a third request of 1 byte (any size
	 * from 256 to 65535 bytes encodes `len` alike, so the chunks do not depend on it) */
	first = chunk_at(0, 1000, 495);
	second = chunk_at(first, 1000, 495);
	sizes[0] = first + second;
	sizes[1] = first + second + 1;
	for (int i = 0; i < 2; i++) {
		uint8_t *data = image(sizes[i]);

		assert_int_equal(chunk_at(0, sizes[i], 495), first); /* same heads at this size */
		setup(NULL);
		start(data, sizes[i], 495, 1);
		run();
		assert_int_equal(R.err, 0);
		assert_int_equal(D.requests, 2 + i);
		assert_memory_equal(D.flash, data, sizes[i]);
		free(data);
	}
}

static void device_offset_behind_and_ahead_wins(void **state)
{
	uint8_t *data = image(20000);

	(void)state;
	/* behind: the 3rd answer says the device is back at 100 */
	D.bad_off_request = 3;
	D.bad_off = 100;
	start(data, 20000, 495, 1);
	run();
	assert_int_equal(R.err, 0);
	assert_memory_equal(D.flash, data, 20000);
	assert_true(R.result.data_sent > 20000); /* it resent from 100 */
	free(data);

	/* ahead: the device already had most of it (resume) */
	setup(NULL);
	data = image(20000);
	D.resume_at = 15000;
	start(data, 20000, 495, 1);
	run();
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.resumed_at, 15000);
	assert_true(R.result.data_sent < 6000); /* only what was missing, and the first chunk */
	free(data);
}

static void pipelined_upload_recovers_from_a_lost_answer(void **state)
{
	uint8_t *data = image(30000);

	(void)state;
	D.drop_request = 5;
	start(data, 30000, 495, 4);
	/* the window fills once the first answer is in; the 4th of those (request 5) is lost */
	assert_int_equal(D.npending, 1);
	answer_one();
	assert_int_equal(D.requests, 5);
	assert_int_equal(D.npending, 3);
	run();
	assert_int_equal(R.err, 0);
	assert_memory_equal(D.flash, data, 30000);
	/* request 5 was lost: request 6 got an answer naming the device's offset, and the
	 * engine went back there at once, without waiting for a timeout */
	assert_int_equal(R.result.recoveries, 0);
	free(data);
}

static void lost_last_answer_times_out_and_resends(void **state)
{
	uint8_t *data = image(2000);

	(void)state;
	D.drop_request = 2; /* the only request after the first */
	start(data, 2000, 2475 / 2, 1);
	run();
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.recoveries, 1);
	assert_memory_equal(D.flash, data, 2000);
	free(data);
}

static void lossy_link_resends_the_first_request_within_its_long_wait(void **state)
{
	static const uint8_t sha[32] = { 1, 2, 3 };
	uint8_t *data = image(2000);
	const struct dfu_smp_upload_config cfg = {
		.data = data, .size = 2000, .sha = sha, .max_request = 2475 / 2, .window = 1,
		.timeout_ms = 100, .first_timeout_ms = 1000, .retries = 3,
	};
	uint64_t resent_at;

	(void)state;
	D.drop_request = 1; /* the first request's answer is lost */
	assert_int_equal(dfu_smp_upload_start(&up, &client, &cfg, buf, sizeof(buf), &ops, NULL), 0);
	flush();
	assert_int_equal(D.npending, 0);
	/* sent again after a share of the ordinary wait (100 / 4), not the first's 1000 ms */
	resent_at = dfu_smp_client_deadline(&client);
	assert_int_equal(resent_at, 25);
	dfu_smp_client_process(&client, resent_at);
	assert_int_equal(D.requests, 2);
	assert_int_equal(D.npending, 1);
	run();
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.recoveries, 0);
	assert_memory_equal(D.flash, data, 2000);
	free(data);
}

static void lossy_link_without_sha_sends_the_first_request_once(void **state)
{
	uint8_t *data = image(2000);
	const struct dfu_smp_upload_config cfg = {
		.data = data, .size = 2000, .max_request = 2475 / 2, .window = 1,
		.timeout_ms = 100, .first_timeout_ms = 1000, .retries = 3,
	};

	(void)state;
	/* without a sha, a first request sent again would start the upload over: it waits */
	assert_int_equal(dfu_smp_upload_start(&up, &client, &cfg, buf, sizeof(buf), &ops, NULL), 0);
	flush();
	assert_int_equal(dfu_smp_client_deadline(&client), 1000);
	run();
	assert_int_equal(R.err, 0);
	assert_memory_equal(D.flash, data, 2000);
	free(data);
}

static void device_error_ends_the_upload(void **state)
{
	uint8_t *data = image(20000);

	(void)state;
	D.error_request = 2;
	D.error_rc = 6;
	start(data, 20000, 495, 1);
	run();
	assert_int_equal(R.err, -EREMOTEIO);
	assert_int_equal(R.result.reply.kind, DFU_SMP_MGMT_REPLY_RC);
	assert_int_equal(R.result.reply.rc, 6);
	free(data);
}

static void reported_mismatch_fails(void **state)
{
	uint8_t *data = image(3000);

	(void)state;
	D.mismatch = true;
	start(data, 3000, 2475, 1);
	run();
	assert_int_equal(R.err, -EBADMSG);
	assert_non_null(strstr(R.result.message, "does not match"));
	free(data);
}

static void impossible_offset_fails(void **state)
{
	uint8_t *data = image(3000);

	(void)state;
	D.bad_off_request = 1;
	D.bad_off = 5000;
	start(data, 3000, 2475, 1);
	run();
	assert_int_equal(R.err, -EPROTO);
	free(data);
}

static void link_too_small_for_the_header(void **state)
{
	uint8_t *data = image(3000);

	(void)state;
	start(data, 3000, 20, 1); /* an MTU-23 write */
	assert_true(R.done);
	assert_int_equal(R.err, -EMSGSIZE);
	assert_int_equal(D.requests, 0);
	free(data);
}

static void bad_configurations_are_refused(void **state)
{
	const struct dfu_smp_upload_config small = { .data = buf, .size = 10, .max_request = 100 };
	const struct dfu_smp_upload_config tiny_buf = {
		.data = buf, .size = 100, .max_request = 2475, .window = 16
	};

	(void)state;
	assert_int_equal(dfu_smp_upload_start(&up, &client, &small, buf, sizeof(buf), &ops, NULL),
			 -EINVAL);
	assert_int_equal(dfu_smp_upload_start(&up, &client, &tiny_buf, buf, 2475, &ops, NULL),
			 -EINVAL);
}

static void rc_3_to_a_chunk_over_512_sends_the_same_offset_at_512(void **state)
{
	uint8_t *data = image(20000);

	(void)state;
	D.error_request = 2; /* an older server: its data buffer holds 512 bytes */
	D.error_rc = DFU_SMP_MGMT_ERR_EINVAL;
	start(data, 20000, 2475, 1);
	run();
	assert_int_equal(R.err, 0);
	assert_int_equal(D.largest_data_after_error, DFU_SMP_UPLOAD_DATA_UNKNOWN);
	assert_memory_equal(D.flash, data, 20000);
	free(data);
}

static void rc_3_to_a_chunk_of_512_or_less_ends_the_upload(void **state)
{
	uint8_t *data = image(20000);

	(void)state;
	D.error_request = 2;
	D.error_rc = DFU_SMP_MGMT_ERR_EINVAL;
	start(data, 20000, 495, 1);
	run();
	assert_int_equal(R.err, -EREMOTEIO);
	assert_int_equal(R.result.reply.rc, DFU_SMP_MGMT_ERR_EINVAL);
	free(data);
}

static void a_first_request_never_answered_is_named_with_its_size(void **state)
{
	uint8_t *data = image(20000);

	(void)state;
	D.deaf = true;
	start(data, 20000, 380, 1);
	run();
	assert_int_equal(R.err, -ETIMEDOUT);
	assert_non_null(strstr(R.result.message, "never answered the first upload request (380 "
					     "bytes)"));
	free(data);
}

static void the_clients_window_is_given_back_at_the_end(void **state)
{
	uint8_t *data = image(30000);

	(void)state;
	/* ended: done, after a recovery that lowered the window on the way */
	dfu_smp_client_set_window(&client, 2);
	D.drop_request = 5;
	start(data, 30000, 495, 4);
	run();
	assert_int_equal(R.err, 0);
	assert_int_equal(dfu_smp_client_window(&client), 2);

	/* failed */
	setup(NULL);
	dfu_smp_client_set_window(&client, 3);
	D.error_request = 2;
	D.error_rc = 6;
	start(data, 30000, 495, 8);
	run();
	assert_int_equal(R.err, -EREMOTEIO);
	assert_int_equal(dfu_smp_client_window(&client), 3);

	/* aborted; a second abort changes nothing */
	setup(NULL);
	dfu_smp_client_set_window(&client, 2);
	start(data, 30000, 495, 4);
	answer_one();
	assert_int_equal(dfu_smp_client_window(&client), 4);
	dfu_smp_upload_abort(&up);
	assert_int_equal(dfu_smp_client_window(&client), 2);
	assert_true(dfu_smp_client_idle(&client));
	dfu_smp_client_set_window(&client, 5);
	dfu_smp_upload_abort(&up);
	assert_int_equal(dfu_smp_client_window(&client), 5);
	free(data);
}

static void tuning_follows_what_the_device_tells(void **state)
{
	const struct dfu_smp_upload_limits params = { .max_request = 2475, .have_params = true,
						  .buf_count = 4 };
	const struct dfu_smp_upload_limits none = { .max_request = 1500 };
	const struct dfu_smp_upload_limits serial = { .max_request = 380, .have_params = true,
						  .buf_count = 4, .window_max = 1 };
	struct dfu_smp_upload_config cfg = { 0 };

	(void)state;
	dfu_smp_upload_tune(&cfg, &params);
	assert_int_equal(cfg.max_request, 2475);
	assert_int_equal(cfg.max_chunk, 0);
	assert_int_equal(cfg.window, 3);
	memset(&cfg, 0, sizeof(cfg));
	dfu_smp_upload_tune(&cfg, &none); /* an older server: 512 data bytes, one at a time */
	assert_int_equal(cfg.max_request, 1500);
	assert_int_equal(cfg.max_chunk, DFU_SMP_UPLOAD_DATA_UNKNOWN);
	assert_int_equal(cfg.window, 1);
	memset(&cfg, 0, sizeof(cfg));
	dfu_smp_upload_tune(&cfg, &serial);
	assert_int_equal(cfg.window, 1);
	cfg = (struct dfu_smp_upload_config){ .max_chunk = 1000, .window = 2 }; /* overrides stay */
	dfu_smp_upload_tune(&cfg, &none);
	assert_int_equal(cfg.max_chunk, 1000);
	assert_int_equal(cfg.window, 2);
}

/*
 * Once chunks have been answered, one whose answer is lost is sent again after what their
 * round trips say (20 ms each here: the longest and DFU_SMP_UPLOAD_RTO_STALL_MS), then twice as
 * long, not after a share of the timeout (4000 / 4); and the upload still ends well.
 */
static void a_lost_chunk_is_sent_again_after_the_measured_round_trip(void **state)
{
	static const uint8_t sha[32] = { 1, 2, 3 };
	uint8_t *data = image(20000);
	const struct dfu_smp_upload_config cfg = {
		.data = data, .size = 20000, .sha = sha, .max_request = 1000, .window = 1,
		.timeout_ms = 4000, .first_timeout_ms = 8000, .retries = 3,
	};
	const uint32_t rto = 20u + DFU_SMP_UPLOAD_RTO_STALL_MS;
	uint64_t now = 0;

	(void)state;
	D.drop_request = 12;
	assert_int_equal(dfu_smp_upload_start(&up, &client, &cfg, buf, sizeof(buf), &ops, NULL), 0);
	flush();
	while (D.npending > 0) {
		now += 20;
		dfu_smp_client_process(&client, now);
		answer_one();
	}
	/* the 12th request went unanswered: its wait is the minimum, not 1000 ms */
	assert_int_equal(D.requests, 12);
	assert_int_equal(dfu_smp_client_deadline(&client), now + rto);
	D.drop_request = 13; /* its first resend is lost too: the next wait doubles */
	now += rto;
	dfu_smp_client_process(&client, now);
	assert_int_equal(D.requests, 13);
	assert_int_equal(dfu_smp_client_deadline(&client), now + 2u * rto);
	run();
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.recoveries, 0);
	assert_memory_equal(D.flash, data, 20000);
	free(data);
}

/*
 * A lost answer in a full window: the next answer names the device's offset past the chunk, so
 * that chunk is not sent again and its slot takes the next one at once, without a timeout (no
 * virtual time passes here); the window stays full all along.
 */
static void a_lost_answer_in_a_full_window_is_covered_by_the_next(void **state)
{
	static const uint8_t sha[32] = { 1, 2, 3 };
	uint8_t *data = image(30000);
	const struct dfu_smp_upload_config cfg = {
		.data = data, .size = 30000, .sha = sha, .max_request = 495, .window = 4,
		.timeout_ms = 4000, .first_timeout_ms = 8000, .retries = 3,
	};

	(void)state;
	D.drop_answer = 5;
	assert_int_equal(dfu_smp_upload_start(&up, &client, &cfg, buf, sizeof(buf), &ops, NULL), 0);
	flush();
	answer_one(); /* the first: the window fills with requests 2 to 5 */
	assert_int_equal(D.npending, 4);
	for (int i = 0; i < 4; i++) {
		answer_one(); /* 2, 3, 4 answered (each sends one more); 5 written, answer lost */
	}
	assert_int_equal(D.npending, 3);
	answer_one(); /* 6: its offset covers 5, both slots take new chunks */
	assert_int_equal(D.npending, 4);
	while (D.npending > 0 && !R.done) {
		assert_int_equal(dfu_smp_client_now(&client), 0); /* no timeout was waited for */
		if (D.off + 2000 < 30000) {
			assert_int_equal(D.npending, 4); /* the window stays open */
		}
		answer_one();
	}
	assert_true(R.done);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.recoveries, 0);
	assert_int_equal(R.result.covered, 1);
	assert_int_equal(R.result.data_sent, 30000); /* the lost answer's chunk was not resent */
	assert_memory_equal(D.flash, data, 30000);
	free(data);
}

/*
 * A lost request in a full window: the device writes nothing past the gap, and the first answer
 * that shows it (an offset behind its chunk) sends again from there at once, the window full:
 * no timeout, no smaller window, at most the window's chunks sent twice.
 */
static void a_lost_request_in_a_full_window_is_resent_at_the_first_answer_showing_it(void **state)
{
	uint8_t *data = image(30000);
	size_t chunk = chunk_at(1000, 30000, 495);

	(void)state;
	D.drop_request = 5;
	start(data, 30000, 495, 4);
	answer_one();
	for (int i = 0; i < 3; i++) {
		answer_one(); /* 2, 3, 4 */
	}
	assert_int_equal(D.npending, 3); /* 6, 7, 8: 5 never reached the device */
	answer_one(); /* 6 answers the offset of 5: 5 and on go again */
	assert_int_equal(D.npending, 2 + 4); /* 7, 8 still on the link, and a full window */
	run();
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.recoveries, 0);
	assert_int_equal(dfu_smp_client_now(&client), 0);
	assert_true(R.result.data_sent <= 30000 + 4 * chunk);
	assert_memory_equal(D.flash, data, 30000);
	free(data);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(uploads_whole_image_with_requests_as_large_as_allowed),
		T(image_ending_on_and_past_a_chunk_boundary),
		T(device_offset_behind_and_ahead_wins),
		T(pipelined_upload_recovers_from_a_lost_answer),
		T(lost_last_answer_times_out_and_resends),
		T(lossy_link_resends_the_first_request_within_its_long_wait),
		T(lossy_link_without_sha_sends_the_first_request_once),
		T(device_error_ends_the_upload),
		T(reported_mismatch_fails),
		T(impossible_offset_fails),
		T(link_too_small_for_the_header),
		T(bad_configurations_are_refused),
		T(rc_3_to_a_chunk_over_512_sends_the_same_offset_at_512),
		T(rc_3_to_a_chunk_of_512_or_less_ends_the_upload),
		T(a_first_request_never_answered_is_named_with_its_size),
		T(the_clients_window_is_given_back_at_the_end),
		T(tuning_follows_what_the_device_tells),
		T(a_lost_chunk_is_sent_again_after_the_measured_round_trip),
		T(a_lost_answer_in_a_full_window_is_covered_by_the_next),
		T(a_lost_request_in_a_full_window_is_resent_at_the_first_answer_showing_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
