/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/dfu/image.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/decoder.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <dfu-smp/smp/bytes.h>

#define TLV_INFO_SIZE 4u
#define TLV_HDR_SIZE 4u
/* BOOT_MAX_ALIGN when the trailer carries the classic magic. */
#define TRAILER_DEFAULT_ALIGN 8u
/* The largest BOOT_MAX_ALIGN believed from an aligned magic. */
#define TRAILER_MAX_ALIGN 1024u
/* RSA-PSS salt length MCUboot expects. */
#define PSS_SALT_LEN 32
/* Hex digits of a hash shown in a message. */
#define MSG_HEX 16u

static const uint8_t boot_magic[DFU_SMP_IMAGE_BOOT_MAGIC_SIZE] = DFU_SMP_IMAGE_BOOT_MAGIC;

/* Its last 14 bytes otherwise, after BOOT_MAX_ALIGN as a u16. */
static const uint8_t boot_magic_aligned[DFU_SMP_IMAGE_BOOT_MAGIC_SIZE - 2] = {
	0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d, 0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a,
};

static const char *const status_names[] = {
	[DFU_SMP_IMAGE_OK] = "OK",
	[DFU_SMP_IMAGE_TOO_SHORT] = "TOO_SHORT",
	[DFU_SMP_IMAGE_BAD_MAGIC] = "BAD_MAGIC",
	[DFU_SMP_IMAGE_HDR_SIZE_TOO_SMALL] = "HDR_SIZE_TOO_SMALL",
	[DFU_SMP_IMAGE_HDR_SIZE_PAST_EOF] = "HDR_SIZE_PAST_EOF",
	[DFU_SMP_IMAGE_IMG_SIZE_ZERO] = "IMG_SIZE_ZERO",
	[DFU_SMP_IMAGE_PAYLOAD_PAST_EOF] = "PAYLOAD_PAST_EOF",
	[DFU_SMP_IMAGE_BAD_PROT_TLV_INFO_MAGIC] = "BAD_PROT_TLV_INFO_MAGIC",
	[DFU_SMP_IMAGE_PROT_SIZE_MISMATCH] = "PROT_SIZE_MISMATCH",
	[DFU_SMP_IMAGE_BAD_TLV_INFO_MAGIC] = "BAD_TLV_INFO_MAGIC",
	[DFU_SMP_IMAGE_BAD_TLV_TOT] = "BAD_TLV_TOT",
	[DFU_SMP_IMAGE_TRUNCATED] = "TRUNCATED",
	[DFU_SMP_IMAGE_TLV_AREA_PAST_EOF] = "TLV_AREA_PAST_EOF",
	[DFU_SMP_IMAGE_TLV_OVERRUN] = "TLV_OVERRUN",
	[DFU_SMP_IMAGE_ERASED_TLV] = "ERASED_TLV",
	[DFU_SMP_IMAGE_TOO_MANY_TLVS] = "TOO_MANY_TLVS",
	[DFU_SMP_IMAGE_NO_HASH_TLV] = "NO_HASH_TLV",
	[DFU_SMP_IMAGE_MULTIPLE_HASH_TLVS] = "MULTIPLE_HASH_TLVS",
	[DFU_SMP_IMAGE_BAD_HASH_LEN] = "BAD_HASH_LEN",
	[DFU_SMP_IMAGE_HASH_MISMATCH] = "HASH_MISMATCH",
	[DFU_SMP_IMAGE_IMAGE_INVALID] = "IMAGE_INVALID",
	[DFU_SMP_IMAGE_BAD_KEY] = "BAD_KEY",
	[DFU_SMP_IMAGE_NOT_SIGNED] = "NOT_SIGNED",
	[DFU_SMP_IMAGE_UNSUPPORTED_KEY] = "UNSUPPORTED_KEY",
	[DFU_SMP_IMAGE_UNSUPPORTED_SIGNATURE] = "UNSUPPORTED_SIGNATURE",
	[DFU_SMP_IMAGE_KEY_MISMATCH] = "KEY_MISMATCH",
	[DFU_SMP_IMAGE_NO_KEY_TLV] = "NO_KEY_TLV",
	[DFU_SMP_IMAGE_BAD_SIGNATURE] = "BAD_SIGNATURE",
};

struct name {
	uint32_t value;
	const char *name;
};

static const struct name tlv_names[] = {
	{ DFU_SMP_IMAGE_TLV_KEYHASH, "KEYHASH" },
	{ DFU_SMP_IMAGE_TLV_PUBKEY, "PUBKEY" },
	{ DFU_SMP_IMAGE_TLV_SHA256, "SHA256" },
	{ DFU_SMP_IMAGE_TLV_SHA384, "SHA384" },
	{ DFU_SMP_IMAGE_TLV_SHA512, "SHA512" },
	{ DFU_SMP_IMAGE_TLV_RSA2048_PSS, "RSA2048" },
	{ DFU_SMP_IMAGE_TLV_ECDSA224, "ECDSA224" },
	{ DFU_SMP_IMAGE_TLV_ECDSA_SIG, "ECDSASIG" },
	{ DFU_SMP_IMAGE_TLV_RSA3072_PSS, "RSA3072" },
	{ DFU_SMP_IMAGE_TLV_ED25519, "ED25519" },
	{ DFU_SMP_IMAGE_TLV_SIG_PURE, "SIG_PURE" },
	{ DFU_SMP_IMAGE_TLV_ENC_RSA2048, "ENCRSA2048" },
	{ DFU_SMP_IMAGE_TLV_ENC_KW, "ENCKW" },
	{ DFU_SMP_IMAGE_TLV_ENC_EC256, "ENCEC256" },
	{ DFU_SMP_IMAGE_TLV_ENC_X25519, "ENCX25519" },
	{ DFU_SMP_IMAGE_TLV_ENC_X25519_SHA512, "ENCX25519_SHA512" },
	{ DFU_SMP_IMAGE_TLV_DEPENDENCY, "DEPENDENCY" },
	{ DFU_SMP_IMAGE_TLV_SEC_CNT, "SEC_CNT" },
	{ DFU_SMP_IMAGE_TLV_BOOT_RECORD, "BOOT_RECORD" },
	{ DFU_SMP_IMAGE_TLV_DECOMP_SIZE, "DECOMP_SIZE" },
	{ DFU_SMP_IMAGE_TLV_DECOMP_SHA, "DECOMP_SHA" },
	{ DFU_SMP_IMAGE_TLV_DECOMP_SIGNATURE, "DECOMP_SIGNATURE" },
	{ DFU_SMP_IMAGE_TLV_COMP_DEC_SIZE, "COMP_DEC_SIZE" },
	{ DFU_SMP_IMAGE_TLV_UUID_VID, "UUID_VID" },
	{ DFU_SMP_IMAGE_TLV_UUID_CID, "UUID_CID" },
};

static const struct name flag_names[] = {
	{ DFU_SMP_IMAGE_F_PIC, "PIC" },
	{ DFU_SMP_IMAGE_F_ENCRYPTED_AES128, "ENCRYPTED_AES128" },
	{ DFU_SMP_IMAGE_F_ENCRYPTED_AES256, "ENCRYPTED_AES256" },
	{ DFU_SMP_IMAGE_F_NON_BOOTABLE, "NON_BOOTABLE" },
	{ DFU_SMP_IMAGE_F_RAM_LOAD, "RAM_LOAD" },
	{ DFU_SMP_IMAGE_F_ROM_FIXED, "ROM_FIXED" },
	{ DFU_SMP_IMAGE_F_COMPRESSED_LZMA1, "COMPRESSED_LZMA1" },
	{ DFU_SMP_IMAGE_F_COMPRESSED_LZMA2, "COMPRESSED_LZMA2" },
	{ DFU_SMP_IMAGE_F_COMPRESSED_ARM_THUMB_FLT, "COMPRESSED_ARM_THUMB_FLT" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The key kinds MCUboot verifies. */
enum key_kind {
	KEY_EC_P256,
	KEY_EC_P384,
	KEY_ED25519,
	KEY_RSA2048,
	KEY_RSA3072,
};

static const char *const key_kind_names[] = {
	[KEY_EC_P256] = "ECDSA P-256",
	[KEY_EC_P384] = "ECDSA P-384",
	[KEY_ED25519] = "Ed25519",
	[KEY_RSA2048] = "RSA-2048",
	[KEY_RSA3072] = "RSA-3072",
};

static const char *find_name(const struct name *names, size_t count, uint32_t value)
{
	for (size_t i = 0; i < count; i++) {
		if (names[i].value == value) {
			return names[i].name;
		}
	}
	return NULL;
}

const char *dfu_smp_image_status_name(enum dfu_smp_image_status status)
{
	if ((size_t)status >= ARRAY_SIZE(status_names) || !status_names[status]) {
		return "UNKNOWN";
	}
	return status_names[status];
}

const char *dfu_smp_image_hash_alg_name(enum dfu_smp_image_hash_alg alg)
{
	switch (alg) {
	case DFU_SMP_IMAGE_HASH_SHA256:
		return "SHA256";
	case DFU_SMP_IMAGE_HASH_SHA384:
		return "SHA384";
	case DFU_SMP_IMAGE_HASH_SHA512:
		return "SHA512";
	default:
		return NULL;
	}
}

const char *dfu_smp_image_tlv_name(uint16_t type)
{
	const char *name = find_name(tlv_names, ARRAY_SIZE(tlv_names), type);

	if (name) {
		return name;
	}
	if ((type & 0xff) >= 0xa0 && type != DFU_SMP_IMAGE_TLV_ERASED) {
		return "VENDOR";
	}
	return "UNKNOWN";
}

const char *dfu_smp_image_flag_name(uint32_t flag)
{
	return find_name(flag_names, ARRAY_SIZE(flag_names), flag);
}

void dfu_smp_image_version_str(const struct dfu_smp_image_version *v, char *out, size_t cap)
{
	snprintf(out, cap, "%u.%u.%u+%lu", v->major, v->minor, v->revision,
		 (unsigned long)v->build);
}

void dfu_smp_image_version_smp_str(const struct dfu_smp_image_version *v, char *out, size_t cap)
{
	if (v->build) {
		snprintf(out, cap, "%u.%u.%u.%lu", v->major, v->minor, v->revision,
			 (unsigned long)v->build);
	} else {
		snprintf(out, cap, "%u.%u.%u", v->major, v->minor, v->revision);
	}
}

/* One decimal field of at most @p max; *@p s moves past it. */
static bool version_field(const char **s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = *s;

	if (*p < '0' || *p > '9') {
		return false;
	}
	while (*p >= '0' && *p <= '9') {
		v = v * 10u + (uint64_t)(*p++ - '0');
		if (v > max) {
			return false;
		}
	}
	*s = p;
	*out = v;
	return true;
}

int dfu_smp_image_version_parse(const char *s, struct dfu_smp_image_version *out)
{
	uint64_t major, minor, revision, build = 0;

	if (!s || !version_field(&s, 255, &major) || *s++ != '.' ||
	    !version_field(&s, 255, &minor) || *s++ != '.' ||
	    !version_field(&s, 65535, &revision)) {
		return -EINVAL;
	}
	if ((*s == '.' || *s == '+') && (s++, !version_field(&s, UINT32_MAX, &build))) {
		return -EINVAL;
	}
	if (*s) {
		return -EINVAL;
	}
	out->major = (uint8_t)major;
	out->minor = (uint8_t)minor;
	out->revision = (uint16_t)revision;
	out->build = (uint32_t)build;
	return 0;
}

int dfu_smp_image_version_cmp(const struct dfu_smp_image_version *a,
			      const struct dfu_smp_image_version *b, bool with_build)
{
	if (a->major != b->major) {
		return a->major < b->major ? -1 : 1;
	}
	if (a->minor != b->minor) {
		return a->minor < b->minor ? -1 : 1;
	}
	if (a->revision != b->revision) {
		return a->revision < b->revision ? -1 : 1;
	}
	if (with_build && a->build != b->build) {
		return a->build < b->build ? -1 : 1;
	}
	return 0;
}

static const EVP_MD *hash_md(enum dfu_smp_image_hash_alg alg)
{
	switch (alg) {
	case DFU_SMP_IMAGE_HASH_SHA256:
		return EVP_sha256();
	case DFU_SMP_IMAGE_HASH_SHA384:
		return EVP_sha384();
	case DFU_SMP_IMAGE_HASH_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static size_t hash_size(enum dfu_smp_image_hash_alg alg)
{
	switch (alg) {
	case DFU_SMP_IMAGE_HASH_SHA256:
		return 32;
	case DFU_SMP_IMAGE_HASH_SHA384:
		return 48;
	case DFU_SMP_IMAGE_HASH_SHA512:
		return 64;
	default:
		return 0;
	}
}

static enum dfu_smp_image_hash_alg hash_alg_of(uint16_t type)
{
	switch (type) {
	case DFU_SMP_IMAGE_TLV_SHA256:
		return DFU_SMP_IMAGE_HASH_SHA256;
	case DFU_SMP_IMAGE_TLV_SHA384:
		return DFU_SMP_IMAGE_HASH_SHA384;
	case DFU_SMP_IMAGE_TLV_SHA512:
		return DFU_SMP_IMAGE_HASH_SHA512;
	default:
		return DFU_SMP_IMAGE_HASH_NONE;
	}
}

static int digest(enum dfu_smp_image_hash_alg alg, const uint8_t *data, size_t len, uint8_t *out)
{
	unsigned int n;

	/* EVP_Digest() wants a valid pointer even for no bytes. */
	return EVP_Digest(len ? data : out, len, out, &n, hash_md(alg), NULL) == 1 ? 0 : -EIO;
}

/* The first MSG_HEX hex digits of @p data, for messages. */
static const char *short_hex(const uint8_t *data, size_t n, char out[MSG_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n && 2 * i < MSG_HEX; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0xf];
	}
	out[2 * i] = '\0';
	return out;
}

/* Records a problem of the image; only the first one counts, the rest usually follow from it. */
static void problem(struct dfu_smp_image *img, enum dfu_smp_image_status status, const char *fmt,
		    ...)
{
	va_list ap;

	if (img->status != DFU_SMP_IMAGE_OK) {
		return;
	}
	img->status = status;
	va_start(ap, fmt);
	vsnprintf(img->message, sizeof(img->message), fmt, ap);
	va_end(ap);
}

void dfu_smp_image_header_read(const uint8_t *d, struct dfu_smp_image_header *out)
{
	out->magic = dfu_smp_get_le32(d);
	out->load_addr = dfu_smp_get_le32(d + 4);
	out->hdr_size = dfu_smp_get_le16(d + 8);
	out->protect_tlv_size = dfu_smp_get_le16(d + 10);
	out->img_size = dfu_smp_get_le32(d + 12);
	out->flags = dfu_smp_get_le32(d + 16);
	out->version.major = d[20];
	out->version.minor = d[21];
	out->version.revision = dfu_smp_get_le16(d + 22);
	out->version.build = dfu_smp_get_le32(d + 24);
	out->pad1 = dfu_smp_get_le32(d + 28);
}

static void read_header(struct dfu_smp_image *img)
{
	img->has_header = true;
	dfu_smp_image_header_read(img->data, &img->header);
}

/* Reads the info header of a TLV area at @p off. @return false when the file ends first. */
static bool read_area_info(struct dfu_smp_image *img, struct dfu_smp_image_tlv_area *area,
			   size_t off)
{
	if (img->size - off < TLV_INFO_SIZE) {
		return false;
	}
	area->present = true;
	area->offset = off;
	area->magic = dfu_smp_get_le16(img->data + off);
	area->tlv_tot = dfu_smp_get_le16(img->data + off + 2);
	area->end = off + area->tlv_tot;
	return true;
}

/*
 * Lists the TLVs of @p area. When the area goes on past the end of the file, a file that ends
 * inside a TLV was cut (TRUNCATED), while one whose last TLV ends with the file has an
 * it_tlv_tot that is too large (TLV_AREA_PAST_EOF).
 * @return true when the whole area was read.
 */
static bool walk_area(struct dfu_smp_image *img, const struct dfu_smp_image_tlv_area *area,
		      bool prot)
{
	const char *what = prot ? "protected TLV area" : "TLV area";
	size_t off = area->offset + TLV_INFO_SIZE;

	while (off < area->end) {
		struct dfu_smp_image_tlv *tlv;
		uint16_t type, len;

		if (area->end - off < TLV_HDR_SIZE) {
			problem(img, DFU_SMP_IMAGE_TLV_OVERRUN,
				"the TLV header at %zu runs past the end of the %s at %zu", off,
				what, area->end);
			return false;
		}
		if (img->size - off < TLV_HDR_SIZE) {
			break;
		}
		type = dfu_smp_get_le16(img->data + off);
		len = dfu_smp_get_le16(img->data + off + 2);
		if (type == DFU_SMP_IMAGE_TLV_ERASED && len == 0xffff) {
			problem(img, DFU_SMP_IMAGE_ERASED_TLV,
				"erased flash (FF FF FF FF) instead of a TLV at %zu in the %s", off,
				what);
			return false;
		}
		if (area->end - off - TLV_HDR_SIZE < len) {
			problem(img, DFU_SMP_IMAGE_TLV_OVERRUN,
				"the %s TLV at %zu (%u bytes) runs past the end of the %s at %zu",
				dfu_smp_image_tlv_name(type), off, len, what, area->end);
			return false;
		}
		if (img->size - off - TLV_HDR_SIZE < len) {
			break;
		}
		if (img->tlv_count == DFU_SMP_IMAGE_MAX_TLVS) {
			problem(img, DFU_SMP_IMAGE_TOO_MANY_TLVS, "the image has more than %u TLVs",
				DFU_SMP_IMAGE_MAX_TLVS);
			return false;
		}
		tlv = &img->tlvs[img->tlv_count++];
		tlv->type = type;
		tlv->len = len;
		tlv->protected_area = prot;
		tlv->offset = off;
		tlv->value = img->data + off + TLV_HDR_SIZE;
		off += TLV_HDR_SIZE + len;
	}
	if (area->end > img->size) {
		if (off < img->size) {
			problem(img, DFU_SMP_IMAGE_TRUNCATED,
				"file ends inside the %s: it ends at %zu but the file has %zu bytes",
				what, area->end, img->size);
		} else {
			problem(img, DFU_SMP_IMAGE_TLV_AREA_PAST_EOF,
				"the %s ends at %zu (it_tlv_tot %u), %zu bytes past the end of the "
				"%zu-byte file", what, area->end, area->tlv_tot,
				area->end - img->size, img->size);
		}
		return false;
	}
	return true;
}

/* Both TLV areas from @p off, the end of the payload. @return true when both were read. */
static bool read_tlv_areas(struct dfu_smp_image *img, size_t off)
{
	struct dfu_smp_image_tlv_area *prot = &img->prot_area, *area = &img->tlv_area;

	if (img->header.protect_tlv_size) {
		if (img->header.protect_tlv_size < TLV_INFO_SIZE) {
			problem(img, DFU_SMP_IMAGE_PROT_SIZE_MISMATCH,
				"ih_protect_tlv_size is %u, smaller than a TLV info header",
				img->header.protect_tlv_size);
			return false;
		}
		if (!read_area_info(img, prot, off)) {
			problem(img, DFU_SMP_IMAGE_TRUNCATED,
				"file ends before the protected TLV info at %zu: the file has %zu "
				"bytes", off, img->size);
			return false;
		}
		if (prot->magic != DFU_SMP_IMAGE_TLV_PROT_INFO_MAGIC) {
			problem(img, DFU_SMP_IMAGE_BAD_PROT_TLV_INFO_MAGIC,
				"protected TLV info magic is 0x%04x, not 0x%04x, although "
				"ih_protect_tlv_size is %u", prot->magic,
				DFU_SMP_IMAGE_TLV_PROT_INFO_MAGIC, img->header.protect_tlv_size);
		}
		if (prot->tlv_tot != img->header.protect_tlv_size) {
			problem(img, DFU_SMP_IMAGE_PROT_SIZE_MISMATCH,
				"the protected TLV area is %u bytes (it_tlv_tot) but "
				"ih_protect_tlv_size says %u",
				prot->tlv_tot, img->header.protect_tlv_size);
			return false;
		}
		if (!walk_area(img, prot, true)) {
			return false;
		}
		off = prot->end;
	} else if (img->size - off >= TLV_INFO_SIZE &&
		   dfu_smp_get_le16(img->data + off) == DFU_SMP_IMAGE_TLV_PROT_INFO_MAGIC) {
		problem(img, DFU_SMP_IMAGE_PROT_SIZE_MISMATCH,
			"a protected TLV area starts at %zu but ih_protect_tlv_size is 0", off);
		return false;
	}
	if (!read_area_info(img, area, off)) {
		problem(img, DFU_SMP_IMAGE_TRUNCATED,
			"file ends before the TLV info at %zu: the file has %zu bytes", off,
			img->size);
		return false;
	}
	if (area->magic != DFU_SMP_IMAGE_TLV_INFO_MAGIC) {
		problem(img, DFU_SMP_IMAGE_BAD_TLV_INFO_MAGIC,
			"TLV info magic is 0x%04x, not 0x%04x", area->magic,
			DFU_SMP_IMAGE_TLV_INFO_MAGIC);
	}
	if (area->tlv_tot < TLV_INFO_SIZE) {
		problem(img, DFU_SMP_IMAGE_BAD_TLV_TOT,
			"TLV info says the area is %u bytes, less than the info header itself",
			area->tlv_tot);
		return false;
	}
	return walk_area(img, area, false);
}

static bool is_encrypted(const struct dfu_smp_image *img)
{
	return img->header.flags &
	       (DFU_SMP_IMAGE_F_ENCRYPTED_AES128 | DFU_SMP_IMAGE_F_ENCRYPTED_AES256);
}

/* Finds the one hash TLV and compares it with the hash of the hashed region. */
static int check_hash(struct dfu_smp_image *img)
{
	const struct dfu_smp_image_tlv *found = NULL;
	enum dfu_smp_image_hash_alg alg;
	char a[MSG_HEX + 1], b[MSG_HEX + 1];
	size_t count = 0;

	for (size_t i = 0; i < img->tlv_count; i++) {
		if (hash_alg_of(img->tlvs[i].type) != DFU_SMP_IMAGE_HASH_NONE) {
			found = found ? found : &img->tlvs[i];
			count++;
		}
	}
	if (count == 0) {
		/* in a partly read area the hash TLV may just not have been reached */
		if (img->tlvs_complete) {
			problem(img, DFU_SMP_IMAGE_NO_HASH_TLV,
				"the image has no hash TLV (SHA256, SHA384 or SHA512)");
		}
		return 0;
	}
	if (count > 1) {
		problem(img, DFU_SMP_IMAGE_MULTIPLE_HASH_TLVS,
			"the image has %zu hash TLVs, MCUboot takes exactly one", count);
		return 0;
	}
	alg = hash_alg_of(found->type);
	if (found->len != hash_size(alg)) {
		problem(img, DFU_SMP_IMAGE_BAD_HASH_LEN, "the %s TLV is %u bytes, not %zu",
			dfu_smp_image_hash_alg_name(alg), found->len, hash_size(alg));
		return 0;
	}
	img->hash_alg = alg;
	img->hash_len = found->len;
	memcpy(img->hash, found->value, found->len);
	if (!img->hashed_len || is_encrypted(img)) {
		return 0;
	}
	if (digest(alg, img->data, img->hashed_len, img->computed_hash)) {
		return -EIO;
	}
	img->hash_checked = true;
	img->hash_ok = memcmp(img->computed_hash, img->hash, img->hash_len) == 0;
	if (!img->hash_ok) {
		problem(img, DFU_SMP_IMAGE_HASH_MISMATCH,
			"image hash does not match the %s TLV: [0, %zu) hashes to %s..., the TLV "
			"holds %s...", dfu_smp_image_hash_alg_name(alg), img->hashed_len,
			short_hex(img->computed_hash, img->hash_len, a),
			short_hex(img->hash, img->hash_len, b));
	}
	return 0;
}

static bool is_trailer_field(const struct dfu_smp_image_trailer *t, size_t off)
{
	return t->present && (off >= t->magic_offset || off == t->image_ok_offset ||
			      off == t->copy_done_offset || off == t->swap_info_offset ||
			      (off >= t->swap_size_offset && off < t->swap_size_offset + 4));
}

/* The padding after the TLV area and the trailer at the end of a slot-sized file. */
static void read_tail(struct dfu_smp_image *img)
{
	struct dfu_smp_image_trailer *t = &img->trailer;
	size_t start = img->tlv_area.end, size = img->size;
	unsigned align = 0;

	img->tail_offset = start;
	img->tail_size = size - start;
	if (img->tail_size >= DFU_SMP_IMAGE_BOOT_MAGIC_SIZE) {
		const uint8_t *m = img->data + size - DFU_SMP_IMAGE_BOOT_MAGIC_SIZE;
		unsigned said = dfu_smp_get_le16(m);

		if (memcmp(m, boot_magic, sizeof(boot_magic)) == 0) {
			align = TRAILER_DEFAULT_ALIGN;
		} else if (memcmp(m + 2, boot_magic_aligned, sizeof(boot_magic_aligned)) == 0 &&
			   said > TRAILER_DEFAULT_ALIGN && said <= TRAILER_MAX_ALIGN &&
			   (said & (said - 1)) == 0) {
			align = said;
		}
	}
	/* image_ok, copy_done, swap_info and swap_size must all lie after the TLV area */
	if (align && img->tail_size >= DFU_SMP_IMAGE_BOOT_MAGIC_SIZE + 4 * align) {
		size_t image_ok = (size - DFU_SMP_IMAGE_BOOT_MAGIC_SIZE - align) / align * align;

		if (image_ok >= start + 3 * align) {
			t->present = true;
			t->align = (uint16_t)align;
			t->magic_offset = size - DFU_SMP_IMAGE_BOOT_MAGIC_SIZE;
			t->image_ok_offset = image_ok;
			t->image_ok = img->data[image_ok];
			t->copy_done_offset = image_ok - align;
			t->copy_done = img->data[image_ok - align];
			t->swap_info_offset = image_ok - 2 * align;
			t->swap_info = img->data[image_ok - 2 * align];
			t->swap_size_offset = image_ok - 3 * align;
			t->swap_size = dfu_smp_get_le32(img->data + t->swap_size_offset);
		}
	}
	img->tail_erased = true;
	for (size_t off = start; off < size; off++) {
		if (img->data[off] != 0xff && !is_trailer_field(t, off)) {
			img->tail_erased = false;
			break;
		}
	}
}

static int finish(struct dfu_smp_image *img)
{
	if (img->status != DFU_SMP_IMAGE_OK) {
		return -EBADMSG;
	}
	if (img->hash_checked) {
		snprintf(img->message, sizeof(img->message), "valid image: the %s hash matches",
			 dfu_smp_image_hash_alg_name(img->hash_alg));
	} else {
		snprintf(img->message, sizeof(img->message),
			 "valid image layout; the payload is encrypted, so its hash (of the "
			 "plaintext) was not checked");
	}
	return 0;
}

int dfu_smp_image_parse(struct dfu_smp_image *img, const uint8_t *data, size_t size)
{
	uint64_t end;
	int err;

	memset(img, 0, sizeof(*img));
	img->data = data;
	img->size = size;
	if (digest(DFU_SMP_IMAGE_HASH_SHA256, data, size, img->file_sha256)) {
		return -EIO;
	}
	if (size < DFU_SMP_IMAGE_HEADER_SIZE) {
		problem(img, DFU_SMP_IMAGE_TOO_SHORT,
			"file has %zu bytes, fewer than the %u-byte image header", size,
			DFU_SMP_IMAGE_HEADER_SIZE);
		return finish(img);
	}
	read_header(img);
	if (img->header.magic != DFU_SMP_IMAGE_MAGIC) {
		problem(img, DFU_SMP_IMAGE_BAD_MAGIC,
			"image header magic is 0x%08lx, not 0x%08lx%s",
			(unsigned long)img->header.magic, (unsigned long)DFU_SMP_IMAGE_MAGIC,
			img->header.magic == DFU_SMP_IMAGE_MAGIC_V1
				? " (the old version 1 header magic)"
			: img->header.magic == 0xffffffffu ? " (erased flash)"
							   : "");
	}
	if (img->header.hdr_size < DFU_SMP_IMAGE_HEADER_SIZE) {
		problem(img, DFU_SMP_IMAGE_HDR_SIZE_TOO_SMALL,
			"ih_hdr_size is %u, smaller than the %u-byte header", img->header.hdr_size,
			DFU_SMP_IMAGE_HEADER_SIZE);
		return finish(img);
	}
	if (img->header.hdr_size > size) {
		problem(img, DFU_SMP_IMAGE_HDR_SIZE_PAST_EOF,
			"ih_hdr_size 0x%x is larger than the %zu-byte file", img->header.hdr_size,
			size);
		return finish(img);
	}
	if (img->header.img_size == 0) {
		problem(img, DFU_SMP_IMAGE_IMG_SIZE_ZERO,
			"ih_img_size is 0: the image has no payload");
		return finish(img);
	}
	end = (uint64_t)img->header.hdr_size + img->header.img_size;
	if (end > size) {
		problem(img, DFU_SMP_IMAGE_PAYLOAD_PAST_EOF,
			"file ends inside the payload: it ends at %llu (ih_hdr_size + ih_img_size) "
			"but the file has %zu bytes", (unsigned long long)end, size);
		return finish(img);
	}
	if (end + img->header.protect_tlv_size <= size) {
		img->hashed_len = (size_t)end + img->header.protect_tlv_size;
	}
	img->tlvs_complete = read_tlv_areas(img, (size_t)end);
	err = check_hash(img);
	if (err) {
		return err;
	}
	if (img->tlvs_complete) {
		read_tail(img);
	}
	return finish(img);
}

/* Records the outcome of a signature check. @return @p err. */
static int sig_result(struct dfu_smp_image *img, enum dfu_smp_image_status status, int err,
		      const char *fmt, ...)
{
	va_list ap;

	img->sig_status = status;
	va_start(ap, fmt);
	vsnprintf(img->sig_message, sizeof(img->sig_message), fmt, ap);
	va_end(ap);
	return err;
}

static EVP_PKEY *load_key(const uint8_t *pem, size_t len)
{
	const unsigned char *p = pem;
	OSSL_DECODER_CTX *ctx;
	EVP_PKEY *key = NULL;

	/* any structure: SubjectPublicKeyInfo, PKCS#1, or a private key's public half */
	ctx = OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", NULL, NULL, 0, NULL, NULL);
	if (ctx) {
		OSSL_DECODER_from_data(ctx, &p, &len);
	}
	OSSL_DECODER_CTX_free(ctx);
	return key;
}

/* @return 0 and the kind of @p key, or -ENOTSUP with a description in @p what. */
static int classify_key(EVP_PKEY *key, enum key_kind *kind, char *what, size_t cap)
{
	char group[64] = "";

	if (EVP_PKEY_is_a(key, "ED25519")) {
		*kind = KEY_ED25519;
		return 0;
	}
	if (EVP_PKEY_is_a(key, "EC")) {
		EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
					       sizeof(group), NULL);
		if (strcmp(group, "prime256v1") == 0) {
			*kind = KEY_EC_P256;
			return 0;
		}
		if (strcmp(group, "secp384r1") == 0) {
			*kind = KEY_EC_P384;
			return 0;
		}
		snprintf(what, cap, "EC keys on curve %s are not supported (P-256 and P-384 are)",
			 group[0] ? group : "(unnamed)");
		return -ENOTSUP;
	}
	if (EVP_PKEY_is_a(key, "RSA")) {
		int bits = EVP_PKEY_get_bits(key);

		if (bits == 2048 || bits == 3072) {
			*kind = bits == 2048 ? KEY_RSA2048 : KEY_RSA3072;
			return 0;
		}
		snprintf(what, cap, "RSA-%d keys are not supported (RSA-2048 and RSA-3072 are)",
			 bits);
		return -ENOTSUP;
	}
	snprintf(what, cap, "%s keys are not supported", EVP_PKEY_get0_type_name(key));
	return -ENOTSUP;
}

/* The signature TLV type a key of @p kind makes. */
static uint16_t sig_type_of(enum key_kind kind)
{
	switch (kind) {
	case KEY_RSA2048:
		return DFU_SMP_IMAGE_TLV_RSA2048_PSS;
	case KEY_RSA3072:
		return DFU_SMP_IMAGE_TLV_RSA3072_PSS;
	case KEY_ED25519:
		return DFU_SMP_IMAGE_TLV_ED25519;
	default:
		return DFU_SMP_IMAGE_TLV_ECDSA_SIG;
	}
}

static bool is_sig_type(uint16_t type)
{
	return type >= DFU_SMP_IMAGE_TLV_RSA2048_PSS && type <= DFU_SMP_IMAGE_TLV_ED25519;
}

/* The hash algorithm a key of @p kind signs with, NONE when any image hash will do. */
static enum dfu_smp_image_hash_alg sig_hash_of(enum key_kind kind)
{
	switch (kind) {
	case KEY_ED25519:
		return DFU_SMP_IMAGE_HASH_NONE;
	case KEY_EC_P384:
		return DFU_SMP_IMAGE_HASH_SHA384;
	default:
		return DFU_SMP_IMAGE_HASH_SHA256;
	}
}

/* The DER form MCUboot embeds: PKCS#1 RSAPublicKey for RSA, SubjectPublicKeyInfo otherwise. */
static int key_der(EVP_PKEY *key, enum key_kind kind, unsigned char **der)
{
	*der = NULL;
	if (kind == KEY_RSA2048 || kind == KEY_RSA3072) {
		return i2d_PublicKey(key, der);
	}
	return i2d_PUBKEY(key, der);
}

/* ECDSA and RSA-PSS sign the hash of the hashed region, as computed from the file. */
static bool verify_digest(EVP_PKEY *key, enum key_kind kind, const struct dfu_smp_image *img,
			  const uint8_t *sig, size_t sig_len)
{
	const EVP_MD *md = hash_md(img->hash_alg);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	bool ok = ctx && EVP_PKEY_verify_init(ctx) == 1;

	if (ok && (kind == KEY_RSA2048 || kind == KEY_RSA3072)) {
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(ctx, md) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, PSS_SALT_LEN) == 1;
	} else if (ok) {
		/* imgtool --pad-sig pads the DER signature: verify the DER part only */
		if (sig_len >= 2 && sig[0] == 0x30 && sig[1] < 0x80 && sig[1] + 2u <= sig_len) {
			sig_len = sig[1] + 2u;
		}
		ok = EVP_PKEY_CTX_set_signature_md(ctx, md) == 1;
	}
	ok = ok && EVP_PKEY_verify(ctx, sig, sig_len, img->computed_hash, img->hash_len) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static bool verify_ed25519(EVP_PKEY *key, const uint8_t *sig, size_t sig_len,
			   const uint8_t *msg, size_t msg_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
		  EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1;

	EVP_MD_CTX_free(ctx);
	return ok;
}

static bool verify_sig(EVP_PKEY *key, enum key_kind kind, const struct dfu_smp_image *img,
		       const struct dfu_smp_image_tlv *sig, bool pure)
{
	if (kind != KEY_ED25519) {
		return verify_digest(key, kind, img, sig->value, sig->len);
	}
	if (pure) {
		return verify_ed25519(key, sig->value, sig->len, img->data, img->hashed_len);
	}
	return verify_ed25519(key, sig->value, sig->len, img->computed_hash, img->hash_len);
}

/* The KEYHASH/PUBKEY check. @return 0, or the outcome when the image names another key. */
static int check_key_tlvs(struct dfu_smp_image *img, const unsigned char *der, size_t der_len)
{
	const struct dfu_smp_image_tlv *other = NULL;
	char a[MSG_HEX + 1], b[MSG_HEX + 1];

	for (size_t i = 0; i < img->tlv_count; i++) {
		const struct dfu_smp_image_tlv *t = &img->tlvs[i];
		bool match;

		if (t->type == DFU_SMP_IMAGE_TLV_KEYHASH) {
			match = t->len == img->key_hash_len &&
				memcmp(t->value, img->key_hash, t->len) == 0;
		} else if (t->type == DFU_SMP_IMAGE_TLV_PUBKEY) {
			match = t->len == der_len && memcmp(t->value, der, der_len) == 0;
		} else {
			continue;
		}
		if (match) {
			img->key_tlv_type = t->type;
			return 0;
		}
		other = other ? other : t;
	}
	if (!other) {
		return 0;
	}
	if (other->type == DFU_SMP_IMAGE_TLV_PUBKEY) {
		return sig_result(img, DFU_SMP_IMAGE_KEY_MISMATCH, -EKEYREJECTED,
				  "wrong key: the image's PUBKEY is another key than this %s key",
				  img->key_type);
	}
	return sig_result(
		img, DFU_SMP_IMAGE_KEY_MISMATCH, -EKEYREJECTED,
		"wrong key: the image's KEYHASH %s... is not the %s of this %s key (%s...)",
		short_hex(other->value, other->len, a), dfu_smp_image_hash_alg_name(img->hash_alg),
		img->key_type, short_hex(img->key_hash, img->key_hash_len, b));
}

static int check_signature(struct dfu_smp_image *img, EVP_PKEY *key)
{
	const struct dfu_smp_image_tlv *any_sig = NULL;
	enum dfu_smp_image_hash_alg want_hash;
	unsigned char *der = NULL;
	enum key_kind kind;
	char why[120];
	bool pure = false, tried = false, verified = false;
	uint16_t want;
	int der_len, err;

	/* a hash mismatch is checked on, to tell whether the signature fails too */
	if ((img->status != DFU_SMP_IMAGE_OK && img->status != DFU_SMP_IMAGE_HASH_MISMATCH) ||
	    !img->tlvs_complete || !img->hash_len) {
		return sig_result(img, DFU_SMP_IMAGE_IMAGE_INVALID, -EBADMSG,
				  "signature not checked, the image is invalid: %s", img->message);
	}
	for (size_t i = 0; i < img->tlv_count; i++) {
		/* a signature cannot sign the region it lies in */
		if (is_sig_type(img->tlvs[i].type) && !img->tlvs[i].protected_area && !any_sig) {
			any_sig = &img->tlvs[i];
		}
		pure = pure || img->tlvs[i].type == DFU_SMP_IMAGE_TLV_SIG_PURE;
	}
	if (!any_sig) {
		return sig_result(img, DFU_SMP_IMAGE_NOT_SIGNED, -ENOENT,
				  "the image is not signed: it has no signature TLV");
	}
	if (classify_key(key, &kind, why, sizeof(why))) {
		return sig_result(img, DFU_SMP_IMAGE_UNSUPPORTED_KEY, -ENOTSUP, "%s", why);
	}
	img->key_type = key_kind_names[kind];
	der_len = key_der(key, kind, &der);
	if (der_len <= 0 || digest(img->hash_alg, der, (size_t)der_len, img->key_hash)) {
		OPENSSL_free(der);
		return sig_result(img, DFU_SMP_IMAGE_BAD_KEY, -EINVAL,
				  "the %s key cannot be encoded as MCUboot embeds it",
				  img->key_type);
	}
	img->key_hash_len = hash_size(img->hash_alg);
	err = check_key_tlvs(img, der, (size_t)der_len);
	OPENSSL_free(der);
	if (err) {
		return err;
	}
	if (!img->hash_checked) {
		return sig_result(img, DFU_SMP_IMAGE_UNSUPPORTED_SIGNATURE, -ENOTSUP,
				  "the payload is encrypted: the signature covers the plaintext "
				  "image, which cannot be hashed without the decryption key");
	}
	want = sig_type_of(kind);
	want_hash = sig_hash_of(kind);
	for (size_t i = 0; i < img->tlv_count; i++) {
		const struct dfu_smp_image_tlv *t = &img->tlvs[i];

		if (t->type != want || t->protected_area) {
			continue;
		}
		if (want_hash != DFU_SMP_IMAGE_HASH_NONE && want_hash != img->hash_alg) {
			return sig_result(img, DFU_SMP_IMAGE_UNSUPPORTED_SIGNATURE, -ENOTSUP,
					  "an %s signature over a %s image hash is not supported",
					  img->key_type,
					  dfu_smp_image_hash_alg_name(img->hash_alg));
		}
		img->sig_tlv_type = t->type;
		tried = true;
		verified = verify_sig(key, kind, img, t, pure);
		if (verified) {
			break;
		}
	}
	if (tried && !img->key_tlv_type) {
		return sig_result(
			img, DFU_SMP_IMAGE_NO_KEY_TLV, -EBADMSG,
			"the image names no key (no KEYHASH or PUBKEY TLV), which MCUboot "
			"needs to pick its key; the %s signature itself %s with this key",
			dfu_smp_image_tlv_name(img->sig_tlv_type),
			verified ? "verifies" : "does not verify");
	}
	if (verified && img->status != DFU_SMP_IMAGE_OK) {
		return sig_result(
			img, DFU_SMP_IMAGE_IMAGE_INVALID, -EBADMSG,
			"the %s signature verifies over the file's content, but the image "
			"is invalid: %s",
			dfu_smp_image_tlv_name(img->sig_tlv_type), img->message);
	}
	if (verified) {
		return sig_result(img, DFU_SMP_IMAGE_OK, 0,
				  "signature verified: %s by this %s key (%s "
				  "matches)",
				  dfu_smp_image_tlv_name(img->sig_tlv_type), img->key_type,
				  dfu_smp_image_tlv_name(img->key_tlv_type));
	}
	if (tried) {
		return sig_result(img, DFU_SMP_IMAGE_BAD_SIGNATURE, -EBADMSG,
				  "the %s signature does not verify with this %s key%s",
				  dfu_smp_image_tlv_name(img->sig_tlv_type), img->key_type,
				  img->hash_ok ? ""
					       : " (the image does not match its hash either)");
	}
	if (any_sig->type == DFU_SMP_IMAGE_TLV_ECDSA224) {
		return sig_result(img, DFU_SMP_IMAGE_UNSUPPORTED_SIGNATURE, -ENOTSUP,
				  "the image's ECDSA224 signature is not supported");
	}
	return sig_result(img, DFU_SMP_IMAGE_KEY_MISMATCH, -EKEYREJECTED,
			  "wrong key: the image is signed with %s, which an %s key does not make",
			  dfu_smp_image_tlv_name(any_sig->type), img->key_type);
}

int dfu_smp_image_verify_key(struct dfu_smp_image *img, const uint8_t *pem, size_t pem_len)
{
	EVP_PKEY *key;
	int err;

	img->sig_checked = true;
	img->sig_message[0] = '\0';
	img->key_type = NULL;
	img->key_tlv_type = 0;
	img->sig_tlv_type = 0;
	img->key_hash_len = 0;
	key = load_key(pem, pem_len);
	if (!key) {
		err = sig_result(img, DFU_SMP_IMAGE_BAD_KEY, -EINVAL,
				 "no public key could be read from the PEM");
	} else {
		err = check_signature(img, key);
		EVP_PKEY_free(key);
	}
	/* failed decodes and verifications leave errors in the thread's queue */
	ERR_clear_error();
	return err;
}
