/* SPDX-License-Identifier: Apache-2.0 */
/* Image management group (1): request builders and response decoders. */
#ifndef DFU_SMP_MGMT_IMG_H
#define DFU_SMP_MGMT_IMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/smp/client.h>
#include <dfu-smp/mgmt/reply.h>

/** Command IDs of the image group. */
enum dfu_smp_mgmt_img_id {
	DFU_SMP_MGMT_IMG_STATE = 0,
	DFU_SMP_MGMT_IMG_UPLOAD = 1,
	DFU_SMP_MGMT_IMG_ERASE = 5,
	DFU_SMP_MGMT_IMG_SLOT_INFO = 6,
};

/** Largest image hash (SHA-512). */
#define DFU_SMP_MGMT_IMG_HASH_MAX 64u

/** One slot as the state list reports it; a flag the device left out is false. */
struct dfu_smp_mgmt_img_slot {
	int64_t image;     /**< image number, or -1 when absent (single-image builds) */
	uint64_t slot;     /**< 0 primary, 1 secondary, within the image */
	const char *version; /**< "1.2.3" or "1.2.3.4"; NULL if absent */
	uint8_t hash[DFU_SMP_MGMT_IMG_HASH_MAX];
	size_t hash_len;   /**< 0 when absent */
	bool bootable;
	bool pending;
	bool confirmed;
	bool active;
	bool permanent;
};

/** The image state list. */
struct dfu_smp_mgmt_img_state {
	struct dfu_smp_mgmt_img_slot *slots;
	size_t count;
	int64_t split_status; /**< `splitStatus`, or -1 when absent */
};

/** State read request (read, `{}`). @return 0 or -ENOBUFS. */
DFU_SMP_API int dfu_smp_mgmt_img_state_read(struct dfu_smp_request *req);

/**
 * State write request (write): mark the image with @p hash (@p hash_len bytes) for a test boot
 * (@p confirm false) or for good (@p confirm true); with no hash (NULL) and @p confirm true,
 * confirm the running image. The answer is the new state list (dfu_smp_mgmt_img_state_decode()).
 * @return 0 or -ENOBUFS.
 */
DFU_SMP_API int dfu_smp_mgmt_img_state_write(struct dfu_smp_request *req, const uint8_t *hash,
					     size_t hash_len, bool confirm);

/**
 * Decode a state list (`images` array of slot maps; `splitStatus`). Each entry must be a map
 * with `slot`; a hash longer than DFU_SMP_MGMT_IMG_HASH_MAX is malformed.
 * @return 0, -EREMOTEIO or -EBADMSG.
 */
DFU_SMP_API int dfu_smp_mgmt_img_state_decode(const struct dfu_smp_client_rsp *rsp,
					      struct dfu_smp_mgmt_reply *reply,
					      struct dfu_smp_mgmt_img_state *out);

/** One image upload request. */
struct dfu_smp_mgmt_img_upload_args {
	uint32_t image;      /**< target image number; sent only in the first chunk, when not 0 */
	uint64_t off;        /**< offset of @p data in the image */
	const uint8_t *data;
	size_t len;          /**< bytes of @p data */
	/* first chunk (off == 0) only: */
	uint64_t total_len;  /**< `len`: the whole image's size */
	const uint8_t *sha;  /**< `sha`: SHA-256 of the whole file, or NULL */
	size_t sha_len;      /**< at most 32 */
	bool upgrade;        /**< `upgrade: true`: refuse unless newer than the running image */
};

/**
 * Image upload request (write): `off` and `data`, plus `len`, `image`, `sha` and `upgrade` when
 * off is 0. Integers in their shortest form.
 * @return 0, -ENOBUFS, or -EINVAL if sha_len is over 32.
 */
DFU_SMP_API int dfu_smp_mgmt_img_upload(struct dfu_smp_request *req,
					const struct dfu_smp_mgmt_img_upload_args *args);

/**
 * The largest number of data bytes an upload request with these arguments (args->data and
 * args->len ignored) can carry when the whole SMP message, header included, must be at most
 * @p msg_limit bytes. Computed from the real encoding. 0 if not even one byte fits.
 */
DFU_SMP_API size_t dfu_smp_mgmt_img_upload_max_data(const struct dfu_smp_mgmt_img_upload_args *args,
						    size_t msg_limit);

/** An upload response. */
struct dfu_smp_mgmt_img_upload_rsp {
	uint64_t off;    /**< the next offset the device wants */
	bool has_match;
	bool match;      /**< the written image's SHA-256 equals the `sha` sent */
};

/** Decode an upload response (`off` required; `match` optional). @return 0, -EREMOTEIO, -EBADMSG. */
DFU_SMP_API int dfu_smp_mgmt_img_upload_decode(const struct dfu_smp_client_rsp *rsp,
					       struct dfu_smp_mgmt_reply *reply,
					       struct dfu_smp_mgmt_img_upload_rsp *out);

/**
 * Erase request (write); @p slot < 0 lets the device pick (the non-running slot). Decode with
 * dfu_smp_mgmt_reply_status(). @return 0 or -ENOBUFS.
 */
DFU_SMP_API int dfu_smp_mgmt_img_erase(struct dfu_smp_request *req, int64_t slot);

/** One slot of slot info. */
struct dfu_smp_mgmt_img_slot_info_slot {
	uint64_t slot;
	int64_t size;            /**< partition bytes, or -1 when absent */
	int64_t rc;              /**< error opening the partition, 0 when absent */
	int64_t upload_image_id; /**< `image` value to upload into this slot, or -1 */
};

/** One image of slot info. */
struct dfu_smp_mgmt_img_slot_info_image {
	uint64_t image;
	struct dfu_smp_mgmt_img_slot_info_slot *slots;
	size_t count;
	int64_t max_image_size; /**< or -1 when absent */
};

/** Slot info: every image and its slots. */
struct dfu_smp_mgmt_img_slot_info {
	struct dfu_smp_mgmt_img_slot_info_image *images;
	size_t count;
};

/** Slot info request (read, `{}`). @return 0 or -ENOBUFS. */
DFU_SMP_API int dfu_smp_mgmt_img_slot_info(struct dfu_smp_request *req);

/** Decode slot info. @return 0, -EREMOTEIO or -EBADMSG. */
DFU_SMP_API int dfu_smp_mgmt_img_slot_info_decode(const struct dfu_smp_client_rsp *rsp,
						  struct dfu_smp_mgmt_reply *reply,
						  struct dfu_smp_mgmt_img_slot_info *out);

#endif /* DFU_SMP_MGMT_IMG_H */
