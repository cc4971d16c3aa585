/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Driving the simulated device's image group from the tests: real MCUboot images uploaded in
 * chunks, the state list decoded with the mgmt/ decoder and checked slot by slot, state writes.
 * Include after <cmocka.h>, sim_harness.h and testdata.h.
 */
#ifndef TESTS_SIM_IMAGE_HARNESS_H
#define TESTS_SIM_IMAGE_HARNESS_H

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include <dfu-smp/mgmt/img.h>

/* The image hash as MCUboot computes it: SHA-256 over header, payload and protected TLVs. */
static inline void image_hash(const struct file *f, uint8_t out[32])
{
	uint16_t hdr = (uint16_t)(f->data[8] | f->data[9] << 8);
	uint16_t prot = (uint16_t)(f->data[10] | f->data[11] << 8);
	uint32_t img = (uint32_t)f->data[12] | (uint32_t)f->data[13] << 8 |
		       (uint32_t)f->data[14] << 16 | (uint32_t)f->data[15] << 24;
	unsigned int n;

	assert_true(EVP_Digest(f->data, (size_t)hdr + img + prot, out, &n, EVP_sha256(), NULL));
}

static inline void file_sha(const struct file *f, uint8_t out[32])
{
	unsigned int n;

	assert_true(EVP_Digest(f->data, f->len, out, &n, EVP_sha256(), NULL));
}

static uint8_t req_buf[DFU_SMP_MSG_MAX];

/* Sends a request built by a mgmt/ builder in @p req (version 2 unless said). */
static inline void send_req(struct sim_device *dev, const struct dfu_smp_request *req,
			    uint8_t version, struct answer *a)
{
	call(dev, req->op, version, req->group, req->id, req->buf + DFU_SMP_HDR_SIZE, req->len, a);
}

/* One upload request to @p image; returns the answer's `off` (or -1 on an error, left in @p a). */
static inline int64_t upload_chunk_to(struct sim_device *dev, const struct file *f,
				      uint32_t image, uint64_t off, size_t n, bool with_sha,
				      struct answer *a)
{
	struct dfu_smp_mgmt_img_upload_args args = {
		.image = image, .off = off, .data = f->data + off, .len = n, .total_len = f->len,
	};
	uint8_t sha[32];
	struct dfu_smp_request req;

	if (with_sha) {
		file_sha(f, sha);
		args.sha = sha;
		args.sha_len = 32;
	}
	dfu_smp_request_init(&req, req_buf, sizeof(req_buf));
	assert_int_equal(dfu_smp_mgmt_img_upload(&req, &args), 0);
	send_req(dev, &req, DFU_SMP_PROTO_V2, a);
	return a->status == 0 ? (int64_t)get_uint(a->map, "off") : -1;
}

/* One upload request to image 0. */
static inline int64_t upload_chunk(struct sim_device *dev, const struct file *f, uint64_t off,
				   size_t n, bool with_sha, struct answer *a)
{
	return upload_chunk_to(dev, f, 0, off, n, with_sha, a);
}

/* Uploads a whole file to @p image in chunks of @p chunk bytes; returns the last `match`. */
static inline bool upload_all_to(struct sim_device *dev, const struct file *f, uint32_t image,
				 size_t chunk)
{
	struct answer a;
	uint64_t off = 0;
	bool match = false;

	while (off < f->len) {
		size_t n = f->len - off < chunk ? f->len - off : chunk;
		int64_t next = upload_chunk_to(dev, f, image, off, n, true, &a);

		expect_ok(&a);
		assert_int_equal(next, off + n);
		off = (uint64_t)next;
		if (off == f->len) {
			match = get_bool(a.map, "match");
		} else {
			assert_null(dfu_smp_mgmt_cbor_find(a.map, "match"));
		}
		answer_close(&a);
	}
	return match;
}

/* Uploads a whole file to image 0. */
static inline bool upload_all(struct sim_device *dev, const struct file *f, size_t chunk)
{
	return upload_all_to(dev, f, 0, chunk);
}

/* The state list, decoded with the mgmt/ decoder. */
static inline void state(struct sim_device *dev, struct dfu_smp_mgmt_img_state *st,
		  struct dfu_smp_mgmt_reply *reply, struct answer *a)
{
	struct dfu_smp_request req;
	struct dfu_smp_client_rsp rsp;

	dfu_smp_request_init(&req, req_buf, sizeof(req_buf));
	dfu_smp_mgmt_img_state_read(&req);
	send_req(dev, &req, DFU_SMP_PROTO_V2, a);
	rsp.hdr = a->hdr;
	rsp.payload = a->msg + DFU_SMP_HDR_SIZE;
	rsp.len = a->len - DFU_SMP_HDR_SIZE;
	assert_int_equal(dfu_smp_mgmt_img_state_decode(&rsp, reply, st), 0);
}

/*
 * Expects slot @p slot of @p image (-1: a single-image list) with flags @p flags as "ACPXB"
 * letters (active, confirmed, pending, permanent, bootable), or not listed when NULL.
 */
static inline void expect_image_slot(struct sim_device *dev, int64_t image, uint64_t slot,
				     const uint8_t *hash, const char *flags)
{
	struct dfu_smp_mgmt_img_state st;
	struct dfu_smp_mgmt_reply reply;
	struct answer a;
	const struct dfu_smp_mgmt_img_slot *s = NULL;
	char got[6] = "";

	state(dev, &st, &reply, &a);
	for (size_t i = 0; i < st.count; i++) {
		if (st.slots[i].slot == slot && st.slots[i].image == image) {
			s = &st.slots[i];
		}
	}
	if (!flags) {
		assert_null(s);
	} else {
		assert_non_null(s);
		snprintf(got, sizeof(got), "%s%s%s%s%s", s->active ? "A" : "",
			 s->confirmed ? "C" : "", s->pending ? "P" : "", s->permanent ? "X" : "",
			 s->bootable ? "B" : "");
		assert_string_equal(got, flags);
		if (hash) {
			assert_int_equal(s->hash_len, 32);
			assert_memory_equal(s->hash, hash, 32);
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	answer_close(&a);
}

/* Expects slot @p slot of a single-image list with flags @p flags (expect_image_slot()). */
static inline void expect_slot(struct sim_device *dev, uint64_t slot, const uint8_t *hash,
			       const char *flags)
{
	expect_image_slot(dev, -1, slot, hash, flags);
}

static inline void state_write(struct sim_device *dev, const uint8_t *hash, size_t len,
			       bool confirm, struct answer *a)
{
	struct dfu_smp_request req;

	dfu_smp_request_init(&req, req_buf, sizeof(req_buf));
	dfu_smp_mgmt_img_state_write(&req, hash, len, confirm);
	send_req(dev, &req, DFU_SMP_PROTO_V2, a);
}

static inline void running_hash(struct sim_device *dev, uint8_t out[32])
{
	struct dfu_smp_mgmt_img_state st;
	struct dfu_smp_mgmt_reply reply;
	struct answer a;

	state(dev, &st, &reply, &a);
	assert_true(st.count >= 1);
	assert_int_equal(st.slots[0].slot, 0);
	memcpy(out, st.slots[0].hash, 32);
	dfu_smp_mgmt_reply_close(&reply);
	answer_close(&a);
}

#endif /* TESTS_SIM_IMAGE_HARNESS_H */
