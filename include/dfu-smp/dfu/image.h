/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MCUboot images, checked on bytes in memory: the image header, the protected and unprotected
 * TLV areas, the image hash, the key and the signature, and what follows the TLV area (the
 * erased padding and the trailer of an image made with imgtool --pad).
 *
 * dfu_smp_image_parse() reads a whole image file and says whether MCUboot would take it; when it
 * would not, it names the first problem MCUboot would hit, with a stable code and a one-line
 * message. It goes on reading what can still be located after a problem, so that a tool can
 * show as much of a broken file as there is. dfu_smp_image_verify_key() then checks the image
 * against a public key. Hashes and signatures come from OpenSSL's libcrypto.
 */
#ifndef DFU_SMP_IMAGE_H
#define DFU_SMP_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>

/** Image header magic. */
#define DFU_SMP_IMAGE_MAGIC 0x96f3b83du
/** The old version 1 header magic, which current MCUboot does not boot. */
#define DFU_SMP_IMAGE_MAGIC_V1 0x96f3b83cu
/** Size of the image header. */
#define DFU_SMP_IMAGE_HEADER_SIZE 32u
/** Size of the boot magic at the end of a slot's trailer. */
#define DFU_SMP_IMAGE_BOOT_MAGIC_SIZE 16u
/** The boot magic when BOOT_MAX_ALIGN is 8, as an initializer of a uint8_t[16]. */
#define DFU_SMP_IMAGE_BOOT_MAGIC                                                 \
	{ 0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f,                    \
	  0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80 }
/** Magic of the unprotected TLV area's info header. */
#define DFU_SMP_IMAGE_TLV_INFO_MAGIC 0x6907u
/** Magic of the protected TLV area's info header. */
#define DFU_SMP_IMAGE_TLV_PROT_INFO_MAGIC 0x6908u
/** Largest image hash (SHA-512). */
#define DFU_SMP_IMAGE_HASH_MAX 64u
/** Most TLVs (both areas together) an image may have here. */
#define DFU_SMP_IMAGE_MAX_TLVS 64u
/** Room for any version string, NUL included: "255.255.65535+4294967295". */
#define DFU_SMP_IMAGE_VERSION_STR_MAX 25u
/** Size of the messages of struct dfu_smp_image, NUL included. */
#define DFU_SMP_IMAGE_MESSAGE_MAX 200u

/** Header flags (ih_flags). */
enum dfu_smp_image_flag {
	DFU_SMP_IMAGE_F_PIC = 0x00000001u,
	DFU_SMP_IMAGE_F_ENCRYPTED_AES128 = 0x00000004u,
	DFU_SMP_IMAGE_F_ENCRYPTED_AES256 = 0x00000008u,
	DFU_SMP_IMAGE_F_NON_BOOTABLE = 0x00000010u,
	DFU_SMP_IMAGE_F_RAM_LOAD = 0x00000020u,
	DFU_SMP_IMAGE_F_ROM_FIXED = 0x00000100u,
	DFU_SMP_IMAGE_F_COMPRESSED_LZMA1 = 0x00000200u,
	DFU_SMP_IMAGE_F_COMPRESSED_LZMA2 = 0x00000400u,
	DFU_SMP_IMAGE_F_COMPRESSED_ARM_THUMB_FLT = 0x00000800u,
};

/** TLV types. */
enum dfu_smp_image_tlv_type {
	DFU_SMP_IMAGE_TLV_KEYHASH = 0x01,
	DFU_SMP_IMAGE_TLV_PUBKEY = 0x02,
	DFU_SMP_IMAGE_TLV_SHA256 = 0x10,
	DFU_SMP_IMAGE_TLV_SHA384 = 0x11,
	DFU_SMP_IMAGE_TLV_SHA512 = 0x12,
	DFU_SMP_IMAGE_TLV_RSA2048_PSS = 0x20,
	DFU_SMP_IMAGE_TLV_ECDSA224 = 0x21,
	DFU_SMP_IMAGE_TLV_ECDSA_SIG = 0x22,
	DFU_SMP_IMAGE_TLV_RSA3072_PSS = 0x23,
	DFU_SMP_IMAGE_TLV_ED25519 = 0x24,
	DFU_SMP_IMAGE_TLV_SIG_PURE = 0x25,
	DFU_SMP_IMAGE_TLV_ENC_RSA2048 = 0x30,
	DFU_SMP_IMAGE_TLV_ENC_KW = 0x31,
	DFU_SMP_IMAGE_TLV_ENC_EC256 = 0x32,
	DFU_SMP_IMAGE_TLV_ENC_X25519 = 0x33,
	DFU_SMP_IMAGE_TLV_ENC_X25519_SHA512 = 0x34,
	DFU_SMP_IMAGE_TLV_DEPENDENCY = 0x40,
	DFU_SMP_IMAGE_TLV_SEC_CNT = 0x50,
	DFU_SMP_IMAGE_TLV_BOOT_RECORD = 0x60,
	DFU_SMP_IMAGE_TLV_DECOMP_SIZE = 0x70,
	DFU_SMP_IMAGE_TLV_DECOMP_SHA = 0x71,
	DFU_SMP_IMAGE_TLV_DECOMP_SIGNATURE = 0x72,
	DFU_SMP_IMAGE_TLV_COMP_DEC_SIZE = 0x73,
	DFU_SMP_IMAGE_TLV_UUID_VID = 0x74,
	DFU_SMP_IMAGE_TLV_UUID_CID = 0x75,
	DFU_SMP_IMAGE_TLV_ERASED = 0xffff, /**< with length 0xffff: erased flash, never valid */
};

/**
 * Outcome codes. The image codes come first in the order MCUboot meets the problems; the
 * signature codes are those of dfu_smp_image_verify_key(). dfu_smp_image_status_name() gives each
 * its name without the prefix ("BAD_MAGIC"), as the test manifest spells them.
 */
enum dfu_smp_image_status {
	DFU_SMP_IMAGE_OK = 0,
	DFU_SMP_IMAGE_TOO_SHORT, /**< shorter than the 32-byte header */
	DFU_SMP_IMAGE_BAD_MAGIC,
	DFU_SMP_IMAGE_HDR_SIZE_TOO_SMALL, /**< ih_hdr_size < 32 */
	DFU_SMP_IMAGE_HDR_SIZE_PAST_EOF,
	DFU_SMP_IMAGE_IMG_SIZE_ZERO,
	DFU_SMP_IMAGE_PAYLOAD_PAST_EOF, /**< the file ends inside the payload */
	DFU_SMP_IMAGE_BAD_PROT_TLV_INFO_MAGIC,
	DFU_SMP_IMAGE_PROT_SIZE_MISMATCH, /**< protected area and ih_protect_tlv_size disagree */
	DFU_SMP_IMAGE_BAD_TLV_INFO_MAGIC,
	DFU_SMP_IMAGE_BAD_TLV_TOT,       /**< it_tlv_tot smaller than the info header */
	DFU_SMP_IMAGE_TRUNCATED,         /**< the file ends inside a TLV or before a TLV info */
	DFU_SMP_IMAGE_TLV_AREA_PAST_EOF, /**< the TLVs end with the file, it_tlv_tot goes further */
	DFU_SMP_IMAGE_TLV_OVERRUN,       /**< a TLV runs past the end of its area */
	DFU_SMP_IMAGE_ERASED_TLV,        /**< a TLV FF FF FF FF */
	DFU_SMP_IMAGE_TOO_MANY_TLVS,     /**< more than DFU_SMP_IMAGE_MAX_TLVS */
	DFU_SMP_IMAGE_NO_HASH_TLV,
	DFU_SMP_IMAGE_MULTIPLE_HASH_TLVS,
	DFU_SMP_IMAGE_BAD_HASH_LEN, /**< the hash TLV's length is not its algorithm's */
	DFU_SMP_IMAGE_HASH_MISMATCH,
	/* dfu_smp_image_verify_key() */
	DFU_SMP_IMAGE_IMAGE_INVALID, /**< the image is invalid: its signature counts for nothing */
	DFU_SMP_IMAGE_BAD_KEY,       /**< the PEM holds no readable key */
	DFU_SMP_IMAGE_NOT_SIGNED,
	DFU_SMP_IMAGE_UNSUPPORTED_KEY,
	DFU_SMP_IMAGE_UNSUPPORTED_SIGNATURE,
	DFU_SMP_IMAGE_KEY_MISMATCH, /**< KEYHASH/PUBKEY or the signature type is another key's */
	DFU_SMP_IMAGE_NO_KEY_TLV,   /**< signed, but no KEYHASH or PUBKEY says by which key */
	DFU_SMP_IMAGE_BAD_SIGNATURE,
};

/** Image hash algorithms. */
enum dfu_smp_image_hash_alg {
	DFU_SMP_IMAGE_HASH_NONE = 0, /**< no usable hash TLV */
	DFU_SMP_IMAGE_HASH_SHA256,
	DFU_SMP_IMAGE_HASH_SHA384,
	DFU_SMP_IMAGE_HASH_SHA512,
};

/** An image version, written major.minor.revision+build. */
struct dfu_smp_image_version {
	uint8_t major;
	uint8_t minor;
	uint16_t revision;
	uint32_t build;
};

/** The 32-byte header an image starts with, field by field as MCUboot lays it out. */
struct dfu_smp_image_header {
	uint32_t magic;
	uint32_t load_addr;
	uint16_t hdr_size;
	uint16_t protect_tlv_size; /**< protected area size, info header included; 0 if none */
	uint32_t img_size;         /**< payload size */
	uint32_t flags;            /**< DFU_SMP_IMAGE_F_* */
	struct dfu_smp_image_version version;
	uint32_t pad1;
};

/** One TLV. */
struct dfu_smp_image_tlv {
	uint16_t type;
	uint16_t len;           /**< length of the value */
	bool protected_area;    /**< in the protected (hashed) area */
	size_t offset;          /**< of the TLV's 4-byte header in the file */
	const uint8_t *value;   /**< into the parsed bytes */
};

/** A TLV area's info header. */
struct dfu_smp_image_tlv_area {
	bool present;    /**< the info header lies in the file and was read */
	size_t offset;   /**< of the info header */
	uint16_t magic;
	uint16_t tlv_tot; /**< size of the area, info header included */
	size_t end;      /**< offset + tlv_tot (may lie past the end of the file) */
};

/** The image trailer at the end of a slot-sized file (imgtool --pad). */
struct dfu_smp_image_trailer {
	bool present;            /**< the file ends with a boot magic */
	uint16_t align;          /**< BOOT_MAX_ALIGN the magic implies: 8, or what it says */
	size_t magic_offset;     /**< size - 16 */
	size_t image_ok_offset;
	uint8_t image_ok;        /**< 0x01 set, 0xff unset, anything else bad */
	size_t copy_done_offset;
	uint8_t copy_done;       /**< 0x01 set, 0xff unset */
	size_t swap_info_offset;
	uint8_t swap_info;       /**< bits 0-3 swap type, 4-7 image number; 0xff unset */
	size_t swap_size_offset; /**< where the swap modes (but swap-using-offset) keep it */
	uint32_t swap_size;      /**< bytes to swap, for resuming; 0xffffffff unset */
};

/** A parsed image. Caller-allocated; filled by dfu_smp_image_parse(). */
struct dfu_smp_image {
	const uint8_t *data;     /**< the parsed bytes (borrowed: TLV values point into them) */
	size_t size;             /**< file size */
	uint8_t file_sha256[32]; /**< SHA-256 of the whole file: an upload's `sha` */

	bool has_header;
	struct dfu_smp_image_header header; /**< valid when has_header */

	/* The TLV areas and their TLVs, in file order (protected ones first). */
	struct dfu_smp_image_tlv_area prot_area;
	struct dfu_smp_image_tlv_area tlv_area;
	struct dfu_smp_image_tlv tlvs[DFU_SMP_IMAGE_MAX_TLVS];
	size_t tlv_count;
	bool tlvs_complete;      /**< both areas were read to their end */

	/* The image hash. */
	enum dfu_smp_image_hash_alg hash_alg;
	uint8_t hash[DFU_SMP_IMAGE_HASH_MAX]; /**< the hash TLV's value: what a device lists */
	size_t hash_len;                  /**< 0 without a usable hash TLV */
	size_t hashed_len;       /**< the hashed region is [0, hashed_len) */
	bool hash_checked;       /**< computed_hash holds the hash of the hashed region */
	uint8_t computed_hash[DFU_SMP_IMAGE_HASH_MAX];
	bool hash_ok;            /**< hash_checked and it equals the TLV */

	/* What follows the TLV area; valid when tlvs_complete. */
	size_t tail_offset;
	size_t tail_size;
	bool tail_erased;        /**< every byte is 0xff, the trailer's fields aside */
	struct dfu_smp_image_trailer trailer;

	/* The outcome of dfu_smp_image_parse(): the first problem found. */
	enum dfu_smp_image_status status;
	char message[DFU_SMP_IMAGE_MESSAGE_MAX];

	/* The outcome of dfu_smp_image_verify_key(); meaningless unless sig_checked. */
	bool sig_checked;
	enum dfu_smp_image_status sig_status;
	char sig_message[DFU_SMP_IMAGE_MESSAGE_MAX];
	const char *key_type;    /**< "ECDSA P-256", "Ed25519", "RSA-2048"...; NULL if unknown */
	uint16_t key_tlv_type;   /**< KEYHASH or PUBKEY when one matched the key, else 0 */
	uint16_t sig_tlv_type;   /**< the signature TLV checked, else 0 */
	uint8_t key_hash[DFU_SMP_IMAGE_HASH_MAX]; /**< the key's hash, as a KEYHASH holds it */
	size_t key_hash_len;     /**< 0 when not computed */
};

/**
 * Parse and check the image file @p data (@p size bytes): header, TLV areas, the one hash TLV
 * against the hash of the hashed region, the SHA-256 of the whole file, and what follows the
 * TLV area. @p data must stay valid while @p img is used. The hash of an encrypted image covers
 * its plaintext, so it is not checked (hash_checked stays false) and the image counts as valid.
 * @return 0 for an image MCUboot would take; -EBADMSG otherwise. Either way img->status and
 *         img->message say how it went, and every field that could be read is filled.
 *         -EIO if libcrypto fails.
 */
DFU_SMP_API int dfu_smp_image_parse(struct dfu_smp_image *img, const uint8_t *data, size_t size);

/**
 * Check a parsed image against the public key in @p pem (@p pem_len bytes of PEM: a
 * SubjectPublicKeyInfo or PKCS#1 RSA public key, or a private key whose public half is used).
 * The image's KEYHASH (its hash algorithm over the DER key: SubjectPublicKeyInfo for EC and
 * Ed25519, PKCS#1 RSAPublicKey for RSA) or PUBKEY must be this key's: MCUboot picks its key by
 * them, so a signed image with neither fails (NO_KEY_TLV, whose message says whether the
 * signature itself verifies). The signature TLV of the key's type must verify: ECDSA
 * P-256/P-384 over the hash of the hashed region, RSA-2048 and RSA-3072 PSS (SHA-256,
 * MGF1-SHA-256, salt 32) likewise, Ed25519 over the image hash, or over the hashed region itself
 * with SIG_PURE. The image hash used is the one computed from the file (so an image whose hash
 * does not match fails here too, with BAD_SIGNATURE when the signature does not verify and
 * IMAGE_INVALID when it does); any other problem of the image leaves the signature unchecked
 * (IMAGE_INVALID). Only a valid image can pass. Sets sig_checked, sig_status, sig_message,
 * key_type, key_tlv_type, sig_tlv_type and key_hash.
 * @return 0 when the signature is verified; -EINVAL (BAD_KEY), -ENOENT (NOT_SIGNED),
 *         -ENOTSUP (UNSUPPORTED_KEY, UNSUPPORTED_SIGNATURE, or an encrypted image),
 *         -EKEYREJECTED (KEY_MISMATCH), -EBADMSG (BAD_SIGNATURE, NO_KEY_TLV,
 *         IMAGE_INVALID).
 */
DFU_SMP_API int dfu_smp_image_verify_key(struct dfu_smp_image *img, const uint8_t *pem,
					 size_t pem_len);

/** Name of a status code: "OK", "BAD_MAGIC", "HASH_MISMATCH"... */
DFU_SMP_API const char *dfu_smp_image_status_name(enum dfu_smp_image_status status);

/** Name of a hash algorithm: "SHA256", "SHA384", "SHA512", or NULL for none. */
DFU_SMP_API const char *dfu_smp_image_hash_alg_name(enum dfu_smp_image_hash_alg alg);

/**
 * Name of a TLV type as imgtool prints it ("SHA256", "KEYHASH", "ECDSASIG", "RSA2048",
 * "SEC_CNT"...): "VENDOR" for the vendor ranges (low byte 0xa0-0xff), "UNKNOWN" otherwise.
 */
DFU_SMP_API const char *dfu_smp_image_tlv_name(uint16_t type);

/** Name of one IMAGE_F_* flag bit without the prefix ("RAM_LOAD"), or NULL if unknown. */
DFU_SMP_API const char *dfu_smp_image_flag_name(uint32_t flag);

/**
 * Read the header fields at @p data (DFU_SMP_IMAGE_HEADER_SIZE bytes) into @p out, checking
 * nothing: the one reading of the layout, for whoever looks at an image's first bytes.
 */
DFU_SMP_API void dfu_smp_image_header_read(const uint8_t *data, struct dfu_smp_image_header *out);

/** "1.2.3+4", as imgtool writes versions, in @p out (@p cap bytes). */
DFU_SMP_API void dfu_smp_image_version_str(const struct dfu_smp_image_version *v, char *out,
					   size_t cap);

/**
 * "1.2.3", or "1.2.3.4" when the build number is not 0: the form of a version in Zephyr's SMP
 * image list, in @p out (@p cap bytes).
 */
DFU_SMP_API void dfu_smp_image_version_smp_str(const struct dfu_smp_image_version *v, char *out,
					       size_t cap);

/**
 * Read a version as imgtool writes it ("1.2.3+4"), as Zephyr lists it ("1.2.3" or "1.2.3.4")
 * or as a manifest gives it, into @p out (a missing build number is 0).
 * @return 0, or -EINVAL when @p s is none of these or a field is out of range.
 */
DFU_SMP_API int dfu_smp_image_version_parse(const char *s, struct dfu_smp_image_version *out);

/**
 * Compare two versions field by field, major first; the build number counts only with
 * @p with_build (MCUboot's own checks, of dependencies and downgrades, leave it out).
 * @return -1, 0 or 1 as @p a is older than, the same as or newer than @p b.
 */
DFU_SMP_API int dfu_smp_image_version_cmp(const struct dfu_smp_image_version *a,
					  const struct dfu_smp_image_version *b, bool with_build);

#endif /* DFU_SMP_IMAGE_H */
