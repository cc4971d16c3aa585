/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MCUboot image checks (dfu/image.c) on the real imgtool images of testdata/mcuboot: every image
 * and corrupt file of the manifest with its expected outcome, exact header, TLV and trailer
 * values, keys (right, other, none, private, garbage), variants of those images (TLV areas
 * rebuilt behind the same signed region; signatures made here for the key types the testdata
 * lacks), and bad input: every truncation of small images, random byte flips, random bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <dfu-smp/dfu/image.h>
#include <dfu-smp/dfu/upgrade.h>
#include "testdata.h"

#define KEY_P256 "keys/ecdsa-p256-public.pem"
#define KEY_OTHER "keys/ecdsa-p256-other-public.pem"
#define KEY_ED25519 "keys/ed25519-public.pem"
#define KEY_RSA "keys/rsa-2048-public.pem"

static void hex(const uint8_t *data, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		sprintf(out + 2 * i, "%02x", data[i]);
	}
	out[2 * n] = '\0';
}

static void assert_hex(const uint8_t *data, size_t n, const char *expected)
{
	char text[2 * 512 + 1];

	assert_true(n <= 512);
	hex(data, n, text);
	assert_string_equal(text, expected);
}

static int verify_with(struct dfu_smp_image *img, const char *key_name)
{
	struct file key = load(key_name);
	int err = dfu_smp_image_verify_key(img, key.data, key.len);

	free(key.data);
	return err;
}

static int errno_of(const char *sig_code)
{
	static const struct {
		const char *code;
		int err;
	} map[] = {
		{ "OK", 0 }, { "NOT_SIGNED", -ENOENT }, { "KEY_MISMATCH", -EKEYREJECTED },
		{ "BAD_SIGNATURE", -EBADMSG }, { "IMAGE_INVALID", -EBADMSG },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(map[i].code, sig_code) == 0) {
			return map[i].err;
		}
	}
	fail_msg("no errno for %s", sig_code);
	return 0;
}

/* The manifest's files: outcome code (its invalid_reason_code), hash TLV, key. */
static const struct manifest_file {
	const char *name;
	size_t size;
	const char *sha256;
	const char *code;
	const char *hash_alg;
	const char *hash;     /* the hash TLV; NULL where the header already stops the parser */
	const char *key;      /* the manifest's public_key */
	const char *with_key; /* the outcome with that key */
} manifest[] = {
	{ "01-hash-only.bin", 4648,
	  "5cd864620b19561a7bc40f53017868ef57f369294d0dfb1fd4dc11a63293f8e0", "OK", "SHA256",
	  "ddc836ce1f68c68f04a39cd733db5bf043040e30fffca8e5cf6d60634deb0a5d", NULL, NULL },
	{ "02-ecdsa-p256.bin", 100663,
	  "18b8e76d4459b947ce68ac253ce85af2e7750cc97a421e2765ab7b03e97f879b", "OK", "SHA256",
	  "6c5c28e48672e51478f073a81c8188bbf07b13c5b762042716b0d50e297b0fe6", KEY_P256, "OK" },
	{ "03-ed25519.bin", 66192,
	  "fc8db9d4a21e604f1c8bad0961c99993deee08e6efb55c5e5e084ca63f763d68", "OK", "SHA256",
	  "5e8d8d4d7c05208499ff27b55fc94bd86c7c69c9f15d152d91bd6828238fa09e", KEY_ED25519, "OK" },
	{ "04-rsa2048.bin", 33616,
	  "88ff9f9df3d760f1b54ab0aa8bf12c37ef8040f9f5cf1569bda266086cf96a30", "OK", "SHA256",
	  "b525f6742a9b9d62b6e4c5bfd75c771ca9dff89d78cd58a4dac0b6c115287057", KEY_RSA, "OK" },
	{ "05-padded-confirmed.bin", 65536,
	  "e748c4f7f7a473e4be48b7e0e8efac17359714ff171769a534949cf6f917eb6e", "OK", "SHA256",
	  "cdfc1174d458bde9af8163e120d10391d82c8720bfba8551468b8a7570799336", KEY_P256, "OK" },
	{ "06a-dependency.bin", 4780,
	  "3c7f150d2d06626b4711b4d518271d658a5bc17f0e67bdadcfc72a1ce6c04e6b", "OK", "SHA256",
	  "dbb7d82d371831ebf749f6d892de75b4b505e9b3f8b7c671324c109c57765879", KEY_P256, "OK" },
	{ "06b-security-counter.bin", 4772,
	  "eb812290cd2bcc43a14ef2804c7189e501c2048694b1be44f7fd89b4db318ce8", "OK", "SHA256",
	  "84a485c57f3c069d24000e02a22dc7cf353c84f4d2e5e92a3336eaa4c7600a28", KEY_P256, "OK" },
	{ "06c-seccnt-2deps.bin", 4802,
	  "9f646ea3d7e7ea0442ec9b67777ee2efd1da1925d407a0aa09f09c60f9dc6c3f", "OK", "SHA256",
	  "174b79648d7004ed979519a8fb33c93b065f47090eea8b8f4b3f9b50c930057e", KEY_P256, "OK" },
	{ "07a-sha384-hash-only.bin", 8760,
	  "e826962094a4df082de9ec01c5c3767098c8b2b5f9bb8907be70a0ce34647b58", "OK", "SHA384",
	  "d62b89588859783ac234e9db15aae72cb66fca64fe204c9269238c943056c176512202671d82bcb3f9e8bc2"
	  "0aeec643a",
	  NULL, NULL },
	{ "07b-ed25519-sha512.bin", 8912,
	  "3a7c2d149de11e45f7a12897807e63f1a201c95b506fd09e98f062e5a9eebd11", "OK", "SHA512",
	  "e892f8723d9f9753090403595e71ebc5895d93b1cd1fcd812cbce43d9c773577ee5585e5b709e2511f9d2"
	  "614ef3172a1e16538cb744a3d7984c4e2f5f448fa30",
	  KEY_ED25519, "OK" },
	{ "08-ecdsa-p256-480k.bin", 492183,
	  "7fccf65c985ba191e458641c87e248823ddced4ad69e86f7e19be99049c6ba41", "OK", "SHA256",
	  "7f49fb2c7facc0836ba75376acacd869f3545207c4fea6997d74856d19b3e690", KEY_P256, "OK" },
	{ "corrupt/bad-magic.bin", 4648,
	  "1757057e8588f853869037a270dbd9e42880a1ea649c016853ffe62a8d28a476", "BAD_MAGIC", "SHA256",
	  "ddc836ce1f68c68f04a39cd733db5bf043040e30fffca8e5cf6d60634deb0a5d", NULL, NULL },
	{ "corrupt/truncated-mid-tlv.bin", 100627,
	  "3e351c2910030edc8384c835e8ab8c5c84f353a67a1265da1deaaa3f8cc5808d", "TRUNCATED", "SHA256",
	  "6c5c28e48672e51478f073a81c8188bbf07b13c5b762042716b0d50e297b0fe6", KEY_P256,
	  "IMAGE_INVALID" },
	{ "corrupt/flipped-payload-byte.bin", 4648,
	  "08c031d975c75f65a7888359f7c208eddb7f78a3af6af400d82a8b29cc6f00d5", "HASH_MISMATCH",
	  "SHA256", "ddc836ce1f68c68f04a39cd733db5bf043040e30fffca8e5cf6d60634deb0a5d", NULL,
	  NULL },
	{ "corrupt/flipped-payload-byte-signed.bin", 100663,
	  "760025b15803de3dee548a54d2e6828239088fa1baf43b5bf4e317865c032863", "HASH_MISMATCH",
	  "SHA256", "6c5c28e48672e51478f073a81c8188bbf07b13c5b762042716b0d50e297b0fe6", KEY_P256,
	  "BAD_SIGNATURE" },
	{ "corrupt/tlv-tot-past-eof.bin", 4648,
	  "136f442b90ebf3f1e1b285695dcf219805179b6a8c06e47a66ee2940c323efd1", "TLV_AREA_PAST_EOF",
	  "SHA256", "ddc836ce1f68c68f04a39cd733db5bf043040e30fffca8e5cf6d60634deb0a5d", NULL,
	  NULL },
	{ "corrupt/hdr-size-past-eof.bin", 4648,
	  "a1ecac6239c8fa411e56b2c1d452b362b8f88351c916fc9439ffe1b13fc04128", "HDR_SIZE_PAST_EOF",
	  NULL, NULL, NULL, NULL },
	{ "corrupt/img-size-zero.bin", 4648,
	  "79342dabf8024a8164c9974daf67218efd54b285038140c4402bc642504d8290", "IMG_SIZE_ZERO", NULL,
	  NULL, NULL, NULL },
	{ "corrupt/bad-tlv-info-magic.bin", 4648,
	  "f18d5f20782e7b18ba1d29bf476ac79ae635dcd43db2c40df92cbc1a17cb852d", "BAD_TLV_INFO_MAGIC",
	  "SHA256", "ddc836ce1f68c68f04a39cd733db5bf043040e30fffca8e5cf6d60634deb0a5d", NULL,
	  NULL },
	{ "corrupt/bad-prot-tlv-info-magic.bin", 4772,
	  "f53fe6ae1ea2aa9a875ee7a6cd394eb109b73408fd10a077ae38b002b839ccae",
	  "BAD_PROT_TLV_INFO_MAGIC", "SHA256",
	  "84a485c57f3c069d24000e02a22dc7cf353c84f4d2e5e92a3336eaa4c7600a28", KEY_P256,
	  "IMAGE_INVALID" },
};

static void every_manifest_file(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(manifest) / sizeof(manifest[0]); i++) {
		const struct manifest_file *m = &manifest[i];
		struct file f = load(m->name);
		struct dfu_smp_image img;
		bool valid = strcmp(m->code, "OK") == 0;
		int err = dfu_smp_image_parse(&img, f.data, f.len);

		print_message("%s: %s: %s\n", m->name, dfu_smp_image_status_name(img.status),
			      img.message);
		assert_int_equal(err, valid ? 0 : -EBADMSG);
		assert_string_equal(dfu_smp_image_status_name(img.status), m->code);
		assert_true(img.message[0] != '\0');
		assert_int_equal(img.size, m->size);
		assert_hex(img.file_sha256, 32, m->sha256);
		assert_false(img.sig_checked);
		if (m->hash) {
			assert_string_equal(dfu_smp_image_hash_alg_name(img.hash_alg), m->hash_alg);
			assert_hex(img.hash, img.hash_len, m->hash);
		} else {
			assert_int_equal(img.hash_len, 0);
		}
		if (valid) {
			assert_true(img.hash_checked && img.hash_ok && img.tlvs_complete);
		}
		if (m->key) {
			err = verify_with(&img, m->key);
			print_message("  with %s: %s\n", m->key, img.sig_message);
			assert_true(img.sig_checked);
			assert_string_equal(dfu_smp_image_status_name(img.sig_status), m->with_key);
			assert_int_equal(err, errno_of(m->with_key));
			if (valid) {
				assert_int_equal(verify_with(&img, KEY_OTHER), -EKEYREJECTED);
				assert_int_equal(img.sig_status, DFU_SMP_IMAGE_KEY_MISMATCH);
			}
		} else if (valid) {
			assert_int_equal(verify_with(&img, KEY_P256), -ENOENT);
			assert_int_equal(img.sig_status, DFU_SMP_IMAGE_NOT_SIGNED);
		}
		free(f.data);
	}
}

static void header_and_tlvs_of_01(void **state)
{
	struct file f = load("01-hash-only.bin");
	struct dfu_smp_image img;
	char text[DFU_SMP_IMAGE_VERSION_STR_MAX];

	(void)state;
	assert_int_equal(dfu_smp_image_parse(&img, f.data, f.len), 0);
	assert_true(img.has_header);
	assert_int_equal(img.header.magic, DFU_SMP_IMAGE_MAGIC);
	assert_int_equal(img.header.load_addr, 0);
	assert_int_equal(img.header.hdr_size, 0x200);
	assert_int_equal(img.header.protect_tlv_size, 0);
	assert_int_equal(img.header.img_size, 4096);
	assert_int_equal(img.header.flags, 0);
	assert_int_equal(img.header.pad1, 0);
	assert_int_equal(img.header.version.major, 1);
	assert_int_equal(img.header.version.minor, 2);
	assert_int_equal(img.header.version.revision, 3);
	assert_int_equal(img.header.version.build, 4);
	dfu_smp_image_version_str(&img.header.version, text, sizeof(text));
	assert_string_equal(text, "1.2.3+4");
	dfu_smp_image_version_smp_str(&img.header.version, text, sizeof(text));
	assert_string_equal(text, "1.2.3.4");
	assert_false(img.prot_area.present);
	assert_true(img.tlv_area.present);
	assert_int_equal(img.tlv_area.offset, 4608);
	assert_int_equal(img.tlv_area.magic, DFU_SMP_IMAGE_TLV_INFO_MAGIC);
	assert_int_equal(img.tlv_area.tlv_tot, 40);
	assert_int_equal(img.tlv_area.end, 4648);
	assert_int_equal(img.tlv_count, 1);
	assert_int_equal(img.tlvs[0].type, DFU_SMP_IMAGE_TLV_SHA256);
	assert_int_equal(img.tlvs[0].len, 32);
	assert_int_equal(img.tlvs[0].offset + 4, 4616);
	assert_false(img.tlvs[0].protected_area);
	assert_ptr_equal(img.tlvs[0].value, f.data + 4616);
	assert_int_equal(img.hashed_len, 4608);
	assert_int_equal(img.hash_alg, DFU_SMP_IMAGE_HASH_SHA256);
	assert_memory_equal(img.computed_hash, img.hash, 32);
	assert_int_equal(img.tail_offset, 4648);
	assert_int_equal(img.tail_size, 0);
	assert_false(img.trailer.present);
	assert_string_equal(img.message, "valid image: the SHA256 hash matches");
	free(f.data);
}

static void protected_tlvs_of_06c(void **state)
{
	static const struct {
		uint16_t type, len;
		size_t value_offset;
		bool prot;
		const char *value;
	} want[] = {
		{ DFU_SMP_IMAGE_TLV_SEC_CNT, 4, 4616, true, "04000302" },
		{ DFU_SMP_IMAGE_TLV_DEPENDENCY, 12, 4624, true, "000000000100000000000000" },
		{ DFU_SMP_IMAGE_TLV_DEPENDENCY, 12, 4640, true, "010000000002000003000000" },
		{ DFU_SMP_IMAGE_TLV_SHA256, 32, 4660, false,
		  "174b79648d7004ed979519a8fb33c93b065f47090eea8b8f4b3f9b50c930057e" },
		{ DFU_SMP_IMAGE_TLV_KEYHASH, 32, 4696, false,
		  "0ef4eac7eee98c7c9519cfd988ddf42151364fc38f6de1516a63835bc22997f5" },
		{ DFU_SMP_IMAGE_TLV_ECDSA_SIG, 70, 4732, false,
		  "3044022004bbfedf21fe09babc5eaee0e16773a164530c308097d9c071ab98c24300fa9502205a7ec4"
		  "8ef893634f37a3c0d738035f7213593ea23c9f3dec5bfa95aded588c9e" },
	};
	struct file f = load("06c-seccnt-2deps.bin");
	struct dfu_smp_image img;
	char text[DFU_SMP_IMAGE_VERSION_STR_MAX];

	(void)state;
	assert_int_equal(dfu_smp_image_parse(&img, f.data, f.len), 0);
	assert_int_equal(img.header.protect_tlv_size, 44);
	assert_true(img.prot_area.present);
	assert_int_equal(img.prot_area.offset, 4608);
	assert_int_equal(img.prot_area.magic, DFU_SMP_IMAGE_TLV_PROT_INFO_MAGIC);
	assert_int_equal(img.prot_area.end, 4652);
	assert_int_equal(img.tlv_area.offset, 4652);
	assert_int_equal(img.tlv_area.tlv_tot, 150);
	assert_int_equal(img.hashed_len, 4652);
	assert_int_equal(img.tlv_count, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(img.tlvs[i].type, want[i].type);
		assert_int_equal(img.tlvs[i].len, want[i].len);
		assert_int_equal(img.tlvs[i].offset + 4, want[i].value_offset);
		assert_int_equal(img.tlvs[i].protected_area, want[i].prot);
		assert_hex(img.tlvs[i].value, img.tlvs[i].len, want[i].value);
	}
	dfu_smp_image_version_str(&img.header.version, text, sizeof(text));
	assert_string_equal(text, "2.3.4+5");
	free(f.data);
}

static void trailer_of_padded_05(void **state)
{
	struct file f = load("05-padded-confirmed.bin");
	struct dfu_smp_image img;

	(void)state;
	assert_int_equal(dfu_smp_image_parse(&img, f.data, f.len), 0);
	assert_int_equal(img.tlv_area.end, 8856);
	assert_int_equal(img.tail_offset, 8856);
	assert_int_equal(img.tail_size, 56680);
	assert_true(img.tail_erased);
	assert_true(img.trailer.present);
	assert_int_equal(img.trailer.align, 8);
	assert_int_equal(img.trailer.magic_offset, 65520);
	assert_int_equal(img.trailer.image_ok_offset, 65512);
	assert_int_equal(img.trailer.image_ok, 0x01);
	assert_int_equal(img.trailer.copy_done_offset, 65504);
	assert_int_equal(img.trailer.copy_done, 0xff);
	assert_int_equal(img.trailer.swap_info_offset, 65496);
	assert_int_equal(img.trailer.swap_info, 0xff);
	assert_int_equal(img.trailer.swap_size_offset, 65488);
	assert_int_equal(img.trailer.swap_size, 0xffffffffu);
	/* a byte of the padding that is not erased */
	f.data[30000] = 0x00;
	assert_int_equal(dfu_smp_image_parse(&img, f.data, f.len), 0);
	assert_false(img.tail_erased);
	assert_true(img.trailer.present);
	/* no magic, no trailer */
	f.data[f.len - 1] ^= 0x01;
	assert_int_equal(dfu_smp_image_parse(&img, f.data, f.len), 0);
	assert_false(img.trailer.present);
	free(f.data);
}

static void versions_and_other_hashes(void **state)
{
	struct file a = load("07a-sha384-hash-only.bin");
	struct file b = load("07b-ed25519-sha512.bin");
	struct dfu_smp_image img;
	char text[DFU_SMP_IMAGE_VERSION_STR_MAX];

	(void)state;
	assert_int_equal(dfu_smp_image_parse(&img, a.data, a.len), 0);
	assert_int_equal(img.hash_alg, DFU_SMP_IMAGE_HASH_SHA384);
	assert_int_equal(img.hash_len, 48);
	assert_int_equal(img.header.version.major, 255);
	assert_int_equal(img.header.version.minor, 255);
	assert_int_equal(img.header.version.revision, 65535);
	assert_int_equal(img.header.version.build, 4294967295u);
	dfu_smp_image_version_str(&img.header.version, text, sizeof(text));
	assert_string_equal(text, "255.255.65535+4294967295");
	dfu_smp_image_version_smp_str(&img.header.version, text, sizeof(text));
	assert_string_equal(text, "255.255.65535.4294967295");
	assert_int_equal(dfu_smp_image_parse(&img, b.data, b.len), 0);
	assert_int_equal(img.hash_alg, DFU_SMP_IMAGE_HASH_SHA512);
	assert_int_equal(img.tlvs[1].type, DFU_SMP_IMAGE_TLV_KEYHASH);
	assert_int_equal(img.tlvs[1].len, 64);
	assert_int_equal(verify_with(&img, KEY_ED25519), 0);
	assert_int_equal(img.key_hash_len, 64);
	assert_hex(img.key_hash, 64,
		   "204889b8f315cc933020db93e52a63bf4733558a09617430013f4a6d9a2829d38ab3c2bd0b64d0"
		   "9b3d8d0f307b8adee45b50a57a444ab2fbdc4a5e08225c30b9");
	dfu_smp_image_version_smp_str(&img.header.version, text, sizeof(text));
	assert_string_equal(text, "0.0.1");
	free(a.data);
	free(b.data);
}

/* The manifest's computed_hash_of_hashed_region of the corrupt files that have one. */
static void corrupt_files_hash_what_mcuboot_hashes(void **state)
{
	static const struct {
		const char *name, *computed;
	} want[] = {
		{ "corrupt/bad-magic.bin",
		  "8c1ba1ce6623d83ac098b2add9d38fe72603650775a565de7e442a384d2267cd" },
		{ "corrupt/truncated-mid-tlv.bin",
		  "6c5c28e48672e51478f073a81c8188bbf07b13c5b762042716b0d50e297b0fe6" },
		{ "corrupt/flipped-payload-byte.bin",
		  "e177a64166f365d7504a1f3093888f167ff0c1df81a0b6d5161c7ccd812ddb0d" },
		{ "corrupt/flipped-payload-byte-signed.bin",
		  "804149ecc1bb25bb5a311ca4b0b318a63264768d4efdb9aa727a889e9eb1a176" },
		{ "corrupt/tlv-tot-past-eof.bin",
		  "ddc836ce1f68c68f04a39cd733db5bf043040e30fffca8e5cf6d60634deb0a5d" },
		{ "corrupt/bad-prot-tlv-info-magic.bin",
		  "09f4ee3ca16fea34d3ecbd5cc48e0c83bb3c8301cf7aa2be8b23bb76f82bf2cc" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct file f = load(want[i].name);
		struct dfu_smp_image img;

		assert_int_equal(dfu_smp_image_parse(&img, f.data, f.len), -EBADMSG);
		assert_true(img.hash_checked);
		assert_hex(img.computed_hash, img.hash_len, want[i].computed);
		free(f.data);
	}
}

static void messages_name_the_problem(void **state)
{
	static const struct {
		const char *name, *message;
	} want[] = {
		{ "corrupt/bad-magic.bin", "image header magic is 0x96f3b83c, not 0x96f3b83d" },
		{ "corrupt/truncated-mid-tlv.bin",
		  "file ends inside the TLV area: it ends at 100663 but the file has 100627 bytes" },
		{ "corrupt/flipped-payload-byte.bin", "image hash does not match the SHA256 TLV" },
		{ "corrupt/tlv-tot-past-eof.bin",
		  "the TLV area ends at 4904 (it_tlv_tot 296), 256 bytes past the end of the "
		  "4648-byte file" },
		{ "corrupt/hdr-size-past-eof.bin",
		  "ih_hdr_size 0x2000 is larger than the 4648-byte file" },
		{ "corrupt/img-size-zero.bin", "ih_img_size is 0" },
		{ "corrupt/bad-tlv-info-magic.bin", "TLV info magic is 0x6909, not 0x6907" },
		{ "corrupt/bad-prot-tlv-info-magic.bin",
		  "protected TLV info magic is 0x6909, not 0x6908" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct file f = load(want[i].name);
		struct dfu_smp_image img;

		dfu_smp_image_parse(&img, f.data, f.len);
		assert_non_null(strstr(img.message, want[i].message));
		free(f.data);
	}
}

/* The tolerant reading after a problem: the TLVs behind a bad info magic are still listed. */
static void tlvs_are_listed_past_a_bad_magic(void **state)
{
	struct file f = load("corrupt/bad-prot-tlv-info-magic.bin");
	struct dfu_smp_image img;

	(void)state;
	dfu_smp_image_parse(&img, f.data, f.len);
	assert_true(img.tlvs_complete);
	assert_int_equal(img.prot_area.magic, 0x6909);
	assert_int_equal(img.tlv_count, 4);
	assert_int_equal(img.tlvs[0].type, DFU_SMP_IMAGE_TLV_SEC_CNT);
	assert_true(img.tlvs[0].protected_area);
	assert_int_equal(img.tlvs[3].type, DFU_SMP_IMAGE_TLV_ECDSA_SIG);
	free(f.data);
}

static void keys(void **state)
{
	struct file f = load("04-rsa2048.bin");
	struct dfu_smp_image img;
	static const char garbage[] =
		"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";

	(void)state;
	assert_int_equal(dfu_smp_image_parse(&img, f.data, f.len), 0);
	assert_int_equal(verify_with(&img, KEY_RSA), 0);
	assert_string_equal(img.key_type, "RSA-2048");
	assert_int_equal(img.key_tlv_type, DFU_SMP_IMAGE_TLV_KEYHASH);
	assert_int_equal(img.sig_tlv_type, DFU_SMP_IMAGE_TLV_RSA2048_PSS);
	assert_hex(img.key_hash, img.key_hash_len,
		   "bb67f7a02f233192f0b6f48e09faa03dac6322c3d6b027d77a7a0dac4f2ccdfd");
	assert_non_null(strstr(img.sig_message, "verified"));
	/* the private key's public half will do */
	assert_int_equal(verify_with(&img, "keys/rsa-2048-TEST-ONLY-private.pem"), 0);
	assert_int_equal(verify_with(&img, KEY_ED25519), -EKEYREJECTED);
	assert_string_equal(img.key_type, "Ed25519");
	assert_hex(img.key_hash, img.key_hash_len,
		   "0f9ba6149fca977b99c2e9d17c00704425d8c91298e45b8c8625031ea5f73a08");
	assert_int_equal(verify_with(&img, KEY_OTHER), -EKEYREJECTED);
	assert_string_equal(dfu_smp_image_status_name(img.sig_status), "KEY_MISMATCH");
	assert_hex(img.key_hash, img.key_hash_len,
		   "510fa7d67cf27f0436dd6fd7bcbdc91162f90042c85d3854ac096ea0b619aac6");
	assert_int_equal(dfu_smp_image_verify_key(&img, (const uint8_t *)garbage, strlen(garbage)),
			 -EINVAL);
	assert_int_equal(img.sig_status, DFU_SMP_IMAGE_BAD_KEY);
	assert_int_equal(dfu_smp_image_verify_key(&img, f.data, 100), -EINVAL);
	free(f.data);
}

/* An image file under construction: a base image's hashed region, then a new TLV area. */
struct build {
	uint8_t *data;
	size_t len;
	size_t info; /* offset of the TLV info being written */
};

static void build_begin(struct build *b, const struct file *base, size_t hashed_len)
{
	b->data = malloc(hashed_len + 8192);
	assert_non_null(b->data);
	memcpy(b->data, base->data, hashed_len);
	b->len = hashed_len;
	b->info = hashed_len;
	b->data[b->len++] = DFU_SMP_IMAGE_TLV_INFO_MAGIC & 0xff;
	b->data[b->len++] = DFU_SMP_IMAGE_TLV_INFO_MAGIC >> 8;
	b->len += 2;
}

static void build_tlv(struct build *b, uint16_t type, const void *value, size_t len)
{
	assert_true(b->len + 4 + len <= b->info + 8192);
	b->data[b->len++] = type & 0xff;
	b->data[b->len++] = type >> 8;
	b->data[b->len++] = len & 0xff;
	b->data[b->len++] = (uint8_t)(len >> 8);
	if (len) {
		memcpy(b->data + b->len, value, len);
	}
	b->len += len;
}

static void build_end(struct build *b)
{
	size_t tot = b->len - b->info;

	b->data[b->info + 2] = tot & 0xff;
	b->data[b->info + 3] = (uint8_t)(tot >> 8);
}

static const struct dfu_smp_image_tlv *find_tlv(const struct dfu_smp_image *img, uint16_t type)
{
	for (size_t i = 0; i < img->tlv_count; i++) {
		if (img->tlvs[i].type == type) {
			return &img->tlvs[i];
		}
	}
	return NULL;
}

/* Parses @p b and checks its outcome code (and the return value that goes with it). */
static void expect_parse(struct build *b, enum dfu_smp_image_status status)
{
	struct dfu_smp_image img;
	int err = dfu_smp_image_parse(&img, b->data, b->len);

	print_message("  %s: %s\n", dfu_smp_image_status_name(img.status), img.message);
	assert_string_equal(dfu_smp_image_status_name(img.status),
			    dfu_smp_image_status_name(status));
	assert_int_equal(err, status == DFU_SMP_IMAGE_OK ? 0 : -EBADMSG);
}

/* 02's signed region behind TLV areas of other shapes: the signature stays valid. */
static void rebuilt_tlv_areas_of_02(void **state)
{
	struct file f = load("02-ecdsa-p256.bin"), key = load(KEY_P256);
	struct dfu_smp_image base, img;
	const struct dfu_smp_image_tlv *hash, *keyhash, *sig;
	uint8_t der[128], padded[72];
	long der_len = 0;
	struct build b;

	(void)state;
	assert_int_equal(dfu_smp_image_parse(&base, f.data, f.len), 0);
	hash = find_tlv(&base, DFU_SMP_IMAGE_TLV_SHA256);
	keyhash = find_tlv(&base, DFU_SMP_IMAGE_TLV_KEYHASH);
	sig = find_tlv(&base, DFU_SMP_IMAGE_TLV_ECDSA_SIG);
	assert_int_equal(sig->len, 71);

	/* PUBKEY (the DER key itself) instead of KEYHASH */
	{
		const char *h = "3059301306072a8648ce3d020106082a8648ce3d03010703420004c46b6b742448"
				"654c0cfb15bfa449f496a8d9e52cd67ee38d42aaca98db6dce8995ef51267a392e"
				"f94b7d064e0d53f05712c0f202daeeb0e1040875d597288d19";

		for (; h[2 * der_len]; der_len++) {
			sscanf(h + 2 * der_len, "%2hhx", &der[der_len]);
		}
	}
	build_begin(&b, &f, base.hashed_len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_SHA256, hash->value, hash->len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_PUBKEY, der, (size_t)der_len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_ECDSA_SIG, sig->value, sig->len);
	build_end(&b);
	assert_int_equal(dfu_smp_image_parse(&img, b.data, b.len), 0);
	assert_int_equal(dfu_smp_image_verify_key(&img, key.data, key.len), 0);
	assert_int_equal(img.key_tlv_type, DFU_SMP_IMAGE_TLV_PUBKEY);
	assert_int_equal(verify_with(&img, KEY_OTHER), -EKEYREJECTED);
	assert_non_null(strstr(img.sig_message, "PUBKEY"));
	free(b.data);

	/* no key TLV at all: MCUboot could not pick a key, whatever the signature says */
	build_begin(&b, &f, base.hashed_len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_SHA256, hash->value, hash->len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_ECDSA_SIG, sig->value, sig->len);
	build_end(&b);
	assert_int_equal(dfu_smp_image_parse(&img, b.data, b.len), 0);
	assert_int_equal(dfu_smp_image_verify_key(&img, key.data, key.len), -EBADMSG);
	assert_int_equal(img.sig_status, DFU_SMP_IMAGE_NO_KEY_TLV);
	assert_int_equal(img.key_tlv_type, 0);
	assert_non_null(strstr(img.sig_message, "signature itself verifies"));
	assert_int_equal(verify_with(&img, KEY_OTHER), -EBADMSG);
	assert_int_equal(img.sig_status, DFU_SMP_IMAGE_NO_KEY_TLV);
	assert_non_null(strstr(img.sig_message, "does not verify"));
	assert_int_equal(verify_with(&img, KEY_ED25519), -EKEYREJECTED);
	assert_non_null(strstr(img.sig_message, "ECDSASIG"));
	assert_int_equal(verify_with(&img, KEY_RSA), -EKEYREJECTED);
	free(b.data);

	/* imgtool --pad-sig: the DER signature padded to 72 bytes */
	memset(padded, 0, sizeof(padded));
	memcpy(padded, sig->value, sig->len);
	build_begin(&b, &f, base.hashed_len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_SHA256, hash->value, hash->len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_KEYHASH, keyhash->value, keyhash->len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_ECDSA_SIG, padded, sizeof(padded));
	build_end(&b);
	assert_int_equal(dfu_smp_image_parse(&img, b.data, b.len), 0);
	assert_int_equal(dfu_smp_image_verify_key(&img, key.data, key.len), 0);
	/* a damaged signature */
	b.data[b.len - 10] ^= 0x40;
	assert_int_equal(dfu_smp_image_parse(&img, b.data, b.len), 0);
	assert_int_equal(dfu_smp_image_verify_key(&img, key.data, key.len), -EBADMSG);
	assert_int_equal(img.sig_status, DFU_SMP_IMAGE_BAD_SIGNATURE);
	free(b.data);

	/* an obsolete ECDSA224 signature only */
	build_begin(&b, &f, base.hashed_len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_SHA256, hash->value, hash->len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_ECDSA224, padded, 56);
	build_end(&b);
	assert_int_equal(dfu_smp_image_parse(&img, b.data, b.len), 0);
	assert_int_equal(dfu_smp_image_verify_key(&img, key.data, key.len), -ENOTSUP);
	assert_int_equal(img.sig_status, DFU_SMP_IMAGE_UNSUPPORTED_SIGNATURE);
	free(b.data);
	free(key.data);
	free(f.data);
}

/* 01 with TLV areas MCUboot refuses, each giving its own code. */
static void broken_tlv_areas(void **state)
{
	struct file f = load("01-hash-only.bin");
	struct dfu_smp_image base;
	const struct dfu_smp_image_tlv *hash;
	static const uint8_t erased[4] = { 0xff, 0xff, 0xff, 0xff };
	struct build b;

	(void)state;
	assert_int_equal(dfu_smp_image_parse(&base, f.data, f.len), 0);
	hash = find_tlv(&base, DFU_SMP_IMAGE_TLV_SHA256);

	print_message("two hash TLVs\n");
	build_begin(&b, &f, base.hashed_len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_SHA256, hash->value, hash->len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_SHA256, hash->value, hash->len);
	build_end(&b);
	expect_parse(&b, DFU_SMP_IMAGE_MULTIPLE_HASH_TLVS);
	free(b.data);

	print_message("no hash TLV\n");
	build_begin(&b, &f, base.hashed_len);
	build_tlv(&b, 0x13, hash->value, hash->len);
	build_end(&b);
	expect_parse(&b, DFU_SMP_IMAGE_NO_HASH_TLV);
	free(b.data);

	print_message("a SHA384 TLV of 32 bytes\n");
	build_begin(&b, &f, base.hashed_len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_SHA384, hash->value, hash->len);
	build_end(&b);
	expect_parse(&b, DFU_SMP_IMAGE_BAD_HASH_LEN);
	free(b.data);

	print_message("erased flash after the hash TLV\n");
	build_begin(&b, &f, base.hashed_len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_SHA256, hash->value, hash->len);
	memcpy(b.data + b.len, erased, 4);
	b.len += 4;
	build_end(&b);
	expect_parse(&b, DFU_SMP_IMAGE_ERASED_TLV);
	free(b.data);

	print_message("a TLV longer than its area\n");
	build_begin(&b, &f, base.hashed_len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_SHA256, hash->value, hash->len);
	build_end(&b);
	b.data[b.info + 2] -= 2;
	expect_parse(&b, DFU_SMP_IMAGE_TLV_OVERRUN);
	b.data[b.info + 2] -= 32;
	expect_parse(&b, DFU_SMP_IMAGE_TLV_OVERRUN);
	b.data[b.info + 2] = 2;
	expect_parse(&b, DFU_SMP_IMAGE_BAD_TLV_TOT);
	free(b.data);

	print_message("too many TLVs\n");
	build_begin(&b, &f, base.hashed_len);
	build_tlv(&b, DFU_SMP_IMAGE_TLV_SHA256, hash->value, hash->len);
	for (unsigned i = 0; i < DFU_SMP_IMAGE_MAX_TLVS; i++) {
		build_tlv(&b, 0x00a0, NULL, 0);
	}
	build_end(&b);
	expect_parse(&b, DFU_SMP_IMAGE_TOO_MANY_TLVS);
	b.len -= 4;
	build_end(&b);
	expect_parse(&b, DFU_SMP_IMAGE_OK);
	free(b.data);
	free(f.data);
}

static void broken_headers(void **state)
{
	struct file f = load("06b-security-counter.bin");
	struct build b = { malloc(f.len), f.len, 0 };

	(void)state;
	assert_non_null(b.data);
	memcpy(b.data, f.data, f.len);
	print_message("protected area size disagrees with the header\n");
	b.data[10] = 16;
	expect_parse(&b, DFU_SMP_IMAGE_PROT_SIZE_MISMATCH);
	b.data[10] = 2;
	expect_parse(&b, DFU_SMP_IMAGE_PROT_SIZE_MISMATCH);
	print_message("a protected area the header does not announce\n");
	b.data[10] = 0;
	expect_parse(&b, DFU_SMP_IMAGE_PROT_SIZE_MISMATCH);
	b.data[10] = 12;
	print_message("header sizes\n");
	b.data[8] = 16;
	b.data[9] = 0;
	expect_parse(&b, DFU_SMP_IMAGE_HDR_SIZE_TOO_SMALL);
	b.data[8] = 0;
	b.data[9] = 2;
	b.data[15] = 0x80; /* ih_img_size 0x80001000 */
	expect_parse(&b, DFU_SMP_IMAGE_PAYLOAD_PAST_EOF);
	b.data[15] = 0;
	print_message("erased header\n");
	memset(b.data, 0xff, 4);
	expect_parse(&b, DFU_SMP_IMAGE_BAD_MAGIC);
	memcpy(b.data, f.data, 4);
	expect_parse(&b, DFU_SMP_IMAGE_OK);
	b.len = 31;
	expect_parse(&b, DFU_SMP_IMAGE_TOO_SHORT);
	b.len = 0;
	expect_parse(&b, DFU_SMP_IMAGE_TOO_SHORT);
	free(b.data);
	free(f.data);
}

/* An encrypted image's hash covers its plaintext: not checked, and no signature verdict. */
static void encrypted_flag(void **state)
{
	struct file f = load("02-ecdsa-p256.bin"), key = load(KEY_P256);
	struct dfu_smp_image img;

	(void)state;
	f.data[16] |= DFU_SMP_IMAGE_F_ENCRYPTED_AES128;
	assert_int_equal(dfu_smp_image_parse(&img, f.data, f.len), 0);
	assert_false(img.hash_checked);
	assert_non_null(strstr(img.message, "encrypted"));
	assert_int_equal(dfu_smp_image_verify_key(&img, key.data, key.len), -ENOTSUP);
	assert_int_equal(img.sig_status, DFU_SMP_IMAGE_UNSUPPORTED_SIGNATURE);
	free(key.data);
	free(f.data);
}

/* A trailer written for BOOT_MAX_ALIGN 16: the magic starts with the alignment. */
static void trailer_with_another_alignment(void **state)
{
	static const uint8_t magic[16] = { 0x10, 0x00, 0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b,
					   0x8d, 0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a };
	struct file f = load("01-hash-only.bin");
	struct build b = { malloc(8192), 8192, 0 };
	struct dfu_smp_image img;

	(void)state;
	assert_non_null(b.data);
	memset(b.data, 0xff, b.len);
	memcpy(b.data, f.data, f.len);
	memcpy(b.data + 8192 - 16, magic, 16);
	b.data[8192 - 32] = 0x01;
	assert_int_equal(dfu_smp_image_parse(&img, b.data, b.len), 0);
	assert_true(img.trailer.present);
	assert_int_equal(img.trailer.align, 16);
	assert_int_equal(img.trailer.image_ok_offset, 8192 - 32);
	assert_int_equal(img.trailer.image_ok, 0x01);
	assert_int_equal(img.trailer.copy_done_offset, 8192 - 48);
	assert_int_equal(img.trailer.swap_info_offset, 8192 - 64);
	assert_int_equal(img.trailer.swap_size_offset, 8192 - 80);
	assert_true(img.tail_erased);
	/* an alignment that is no power of two is no trailer */
	b.data[8192 - 16] = 0x18;
	assert_int_equal(dfu_smp_image_parse(&img, b.data, b.len), 0);
	assert_false(img.trailer.present);
	assert_false(img.tail_erased);
	free(b.data);
	free(f.data);
}

static EVP_PKEY *private_key(const char *name)
{
	char path[512];
	EVP_PKEY *key;
	FILE *fp;

	snprintf(path, sizeof(path), TESTDATA "%s", name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(key);
	return key;
}

/* The public half of @p key as PEM, in @p pem. @return its length. */
static size_t public_pem(EVP_PKEY *key, char *pem, size_t cap)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, key), 1);
	n = BIO_get_mem_data(bio, &p);
	assert_true(n > 0 && (size_t)n < cap);
	memcpy(pem, p, (size_t)n);
	BIO_free(bio);
	return (size_t)n;
}

/* Signs @p msg: ECDSA and RSA-PSS hash it with @p md; Ed25519 (md NULL) signs it as it is. */
static size_t sign(EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t len,
		   uint8_t *sig, size_t cap)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx;
	size_t n = cap;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, &pctx, md, NULL, key), 1);
	if (EVP_PKEY_is_a(key, "RSA")) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32), 1);
	}
	assert_int_equal(EVP_DigestSign(ctx, sig, &n, msg, len), 1);
	EVP_MD_CTX_free(ctx);
	return n;
}

/* The key hash a KEYHASH holds: @p md over the DER key MCUboot embeds. */
static void key_hash(EVP_PKEY *key, const EVP_MD *md, uint8_t *out)
{
	unsigned char *der = NULL;
	int len = EVP_PKEY_is_a(key, "RSA") ? i2d_PublicKey(key, &der) : i2d_PUBKEY(key, &der);
	unsigned int n;

	assert_true(len > 0);
	assert_int_equal(EVP_Digest(der, (size_t)len, out, &n, md, NULL), 1);
	OPENSSL_free(der);
}

/* A base image's region signed here with @p key; @return the verify_key() result. */
static int sign_and_verify(const char *base_name, EVP_PKEY *key, uint16_t sig_type, bool pure,
			   EVP_PKEY *verify_key, struct dfu_smp_image *img, struct build *b)
{
	struct file f = load(base_name);
	struct dfu_smp_image base;
	const struct dfu_smp_image_tlv *hash;
	const EVP_MD *md;
	uint8_t sig[512], kh[64];
	char pem[4096];
	size_t n, pem_len;
	int err;

	assert_int_equal(dfu_smp_image_parse(&base, f.data, f.len), 0);
	md = base.hash_alg == DFU_SMP_IMAGE_HASH_SHA256 ? EVP_sha256() :
	     base.hash_alg == DFU_SMP_IMAGE_HASH_SHA384 ? EVP_sha384() : EVP_sha512();
	hash = &base.tlvs[0];
	if (sig_type != DFU_SMP_IMAGE_TLV_ED25519) {
		n = sign(key, md, f.data, base.hashed_len, sig, sizeof(sig));
	} else if (pure) {
		n = sign(key, NULL, f.data, base.hashed_len, sig, sizeof(sig));
	} else {
		n = sign(key, NULL, base.hash, base.hash_len, sig, sizeof(sig));
	}
	key_hash(key, md, kh);
	build_begin(b, &f, base.hashed_len);
	build_tlv(b, hash->type, hash->value, hash->len);
	build_tlv(b, DFU_SMP_IMAGE_TLV_KEYHASH, kh, base.hash_len);
	build_tlv(b, sig_type, sig, n);
	if (pure) {
		build_tlv(b, DFU_SMP_IMAGE_TLV_SIG_PURE, "\x01", 1);
	}
	build_end(b);
	assert_int_equal(dfu_smp_image_parse(img, b->data, b->len), 0);
	pem_len = public_pem(verify_key, pem, sizeof(pem));
	err = dfu_smp_image_verify_key(img, (const uint8_t *)pem, pem_len);
	print_message("  %s: %s\n", dfu_smp_image_status_name(img->sig_status), img->sig_message);
	free(f.data);
	return err;
}

/* The key types the testdata has no image for: images signed here, verified by dfu/. */
static void other_key_types(void **state)
{
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	EVP_PKEY *rsa3072 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	EVP_PKEY *p256 = private_key("keys/ecdsa-p256-TEST-ONLY-private.pem");
	EVP_PKEY *ed = private_key("keys/ed25519-TEST-ONLY-private.pem");
	EVP_PKEY *rsa2048 = private_key("keys/rsa-2048-TEST-ONLY-private.pem");
	struct dfu_smp_image img;
	struct build b;
	char pem[4096];
	size_t pem_len;

	(void)state;
	assert_non_null(p384);
	assert_non_null(p521);
	assert_non_null(rsa3072);

	print_message("ECDSA P-384 over a SHA384 image\n");
	assert_int_equal(sign_and_verify("07a-sha384-hash-only.bin", p384,
					 DFU_SMP_IMAGE_TLV_ECDSA_SIG, false, p384, &img, &b), 0);
	assert_string_equal(img.key_type, "ECDSA P-384");
	free(b.data);
	print_message("ECDSA P-256 over a SHA384 image\n");
	assert_int_equal(sign_and_verify("07a-sha384-hash-only.bin", p256,
					 DFU_SMP_IMAGE_TLV_ECDSA_SIG, false, p256, &img, &b),
			 -ENOTSUP);
	assert_int_equal(img.sig_status, DFU_SMP_IMAGE_UNSUPPORTED_SIGNATURE);
	free(b.data);
	print_message("RSA-3072\n");
	assert_int_equal(sign_and_verify("01-hash-only.bin", rsa3072, DFU_SMP_IMAGE_TLV_RSA3072_PSS,
					 false, rsa3072, &img, &b), 0);
	assert_string_equal(img.key_type, "RSA-3072");
	assert_int_equal(img.sig_tlv_type, DFU_SMP_IMAGE_TLV_RSA3072_PSS);
	b.data[b.len - 1] ^= 0x01;
	assert_int_equal(dfu_smp_image_parse(&img, b.data, b.len), 0);
	pem_len = public_pem(rsa3072, pem, sizeof(pem));
	assert_int_equal(dfu_smp_image_verify_key(&img, (const uint8_t *)pem, pem_len), -EBADMSG);
	assert_int_equal(img.sig_status, DFU_SMP_IMAGE_BAD_SIGNATURE);
	free(b.data);
	print_message("RSA-2048 key on an RSA-3072 image\n");
	assert_int_equal(sign_and_verify("01-hash-only.bin", rsa3072, DFU_SMP_IMAGE_TLV_RSA3072_PSS,
					 false, rsa2048, &img, &b), -EKEYREJECTED);
	free(b.data);
	print_message("Ed25519 over the hash TLV, and pure Ed25519 over the region\n");
	assert_int_equal(sign_and_verify("01-hash-only.bin", ed, DFU_SMP_IMAGE_TLV_ED25519, false,
					 ed, &img, &b),
			 0);
	free(b.data);
	assert_int_equal(sign_and_verify("07b-ed25519-sha512.bin", ed, DFU_SMP_IMAGE_TLV_ED25519,
					 true, ed, &img, &b),
			 0);
	/* without SIG_PURE the same signature is taken as one over the hash, and fails */
	b.len -= 5;
	build_end(&b);
	assert_int_equal(dfu_smp_image_parse(&img, b.data, b.len), 0);
	assert_int_equal(verify_with(&img, KEY_ED25519), -EBADMSG);
	free(b.data);
	print_message("a P-521 key\n");
	assert_int_equal(sign_and_verify("01-hash-only.bin", p521, DFU_SMP_IMAGE_TLV_ECDSA_SIG,
					 false, p521, &img, &b),
			 -ENOTSUP);
	assert_int_equal(img.sig_status, DFU_SMP_IMAGE_UNSUPPORTED_KEY);
	assert_non_null(strstr(img.sig_message, "secp521r1"));
	free(b.data);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(p521);
	EVP_PKEY_free(rsa3072);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(rsa2048);
}

/* Every cut of an image without a tail is refused with the code of where it was cut. */
static void every_truncation(void **state)
{
	static const char *const names[] = {
		"01-hash-only.bin", "06a-dependency.bin", "06c-seccnt-2deps.bin",
		"07a-sha384-hash-only.bin", "07b-ed25519-sha512.bin",
	};

	(void)state;
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		struct file f = load(names[n]);
		struct file key = load(n == 4 ? KEY_ED25519 : KEY_P256);
		struct dfu_smp_image full, img;
		size_t payload_end;
		bool boundary[16384] = { false };

		assert_int_equal(dfu_smp_image_parse(&full, f.data, f.len), 0);
		assert_int_equal(full.tail_size, 0);
		assert_true(f.len < sizeof(boundary));
		/* where a cut leaves whole TLVs: only it_tlv_tot then runs past the file */
		if (full.prot_area.present) {
			boundary[full.prot_area.offset + 4] = true;
		}
		boundary[full.tlv_area.offset + 4] = true;
		for (size_t i = 0; i < full.tlv_count; i++) {
			boundary[full.tlvs[i].offset + 4 + full.tlvs[i].len] = true;
		}
		boundary[full.tlv_area.offset] = false;
		payload_end = (size_t)full.header.hdr_size + full.header.img_size;
		for (size_t cut = 0; cut < f.len; cut++) {
			enum dfu_smp_image_status want;
			int err = dfu_smp_image_parse(&img, f.data, cut);

			if (cut < DFU_SMP_IMAGE_HEADER_SIZE) {
				want = DFU_SMP_IMAGE_TOO_SHORT;
			} else if (cut < full.header.hdr_size) {
				want = DFU_SMP_IMAGE_HDR_SIZE_PAST_EOF;
			} else if (cut < payload_end) {
				want = DFU_SMP_IMAGE_PAYLOAD_PAST_EOF;
			} else {
				want = boundary[cut] ? DFU_SMP_IMAGE_TLV_AREA_PAST_EOF :
						       DFU_SMP_IMAGE_TRUNCATED;
			}
			if (img.status != want) {
				fail_msg("%s cut at %zu: %s (%s), not %s", names[n], cut,
					 dfu_smp_image_status_name(img.status), img.message,
					 dfu_smp_image_status_name(want));
			}
			assert_int_equal(err, -EBADMSG);
			assert_false(img.tlvs_complete);
			assert_true(img.tlv_count <= full.tlv_count);
			if (cut >= full.hashed_len && img.hash_len) {
				assert_true(img.hash_ok);
			}
			if (cut >= payload_end) {
				assert_int_not_equal(
					dfu_smp_image_verify_key(&img, key.data, key.len), 0);
			}
		}
		free(key.data);
		free(f.data);
	}
}

/* xorshift64: the same flips on every run. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random bytes changed anywhere: never a crash, and a changed image never passes. */
static void random_byte_flips(void **state)
{
	static const struct {
		const char *name, *key;
		unsigned rounds;
	} images[] = {
		{ "01-hash-only.bin", KEY_P256, 1000 },
		{ "02-ecdsa-p256.bin", KEY_P256, 300 },
		{ "03-ed25519.bin", KEY_ED25519, 300 },
		{ "04-rsa2048.bin", KEY_RSA, 500 },
		{ "05-padded-confirmed.bin", KEY_P256, 300 },
		{ "06c-seccnt-2deps.bin", KEY_P256, 1000 },
		{ "07b-ed25519-sha512.bin", KEY_ED25519, 1000 },
	};
	uint64_t seed = 0x9e3779b97f4a7c15u;

	(void)state;
	for (size_t n = 0; n < sizeof(images) / sizeof(images[0]); n++) {
		struct file f = load(images[n].name), key = load(images[n].key);
		uint8_t *orig = malloc(f.len);
		struct dfu_smp_image full, img;
		unsigned passed = 0;

		assert_non_null(orig);
		memcpy(orig, f.data, f.len);
		assert_int_equal(dfu_smp_image_parse(&full, f.data, f.len), 0);
		for (unsigned round = 0; round < images[n].rounds; round++) {
			size_t offs[4];
			unsigned flips = 1 + (unsigned)(next_random(&seed) % 4);
			bool in_hashed = false, in_image = false;
			int err;

			/* most flips land near the end, where the TLVs are */
			for (unsigned i = 0; i < flips; i++) {
				uint64_t r = next_random(&seed);
				size_t span = r & 1 ? f.len : f.len - full.hashed_len + 64;

				offs[i] = f.len - 1 - (size_t)((r >> 1) % span);
				f.data[offs[i]] ^= (uint8_t)(1 + (r >> 40) % 255);
			}
			/* two flips of one byte may undo each other */
			for (unsigned i = 0; i < flips; i++) {
				bool changed = f.data[offs[i]] != orig[offs[i]];

				in_hashed = in_hashed || (changed && offs[i] < full.hashed_len);
				in_image = in_image || (changed && offs[i] < full.tlv_area.end);
			}
			err = dfu_smp_image_parse(&img, f.data, f.len);
			assert_int_equal(err == 0, img.status == DFU_SMP_IMAGE_OK);
			assert_true(err == 0 || err == -EBADMSG);
			assert_true(img.message[0] != '\0');
			if (err == 0 && in_hashed) {
				/* only the encrypted flag stops the hash from being checked */
				assert_false(img.hash_checked);
			}
			err = dfu_smp_image_verify_key(&img, key.data, key.len);
			assert_int_equal(err == 0, img.sig_status == DFU_SMP_IMAGE_OK);
			assert_true(img.sig_message[0] != '\0');
			/* only the padding and trailer of 05 may change and still pass */
			if (err == 0) {
				assert_false(in_image);
				assert_int_equal(img.status, DFU_SMP_IMAGE_OK);
				passed++;
			}
			for (unsigned i = 0; i < flips; i++) {
				f.data[offs[i]] = orig[offs[i]];
			}
		}
		print_message("%s: %u of %u changed files still verified\n", images[n].name,
			      passed, images[n].rounds);
		free(orig);
		free(key.data);
		free(f.data);
	}
}

/* Random bytes behind a good image header, of every small size. */
static void random_files(void **state)
{
	struct file f = load("01-hash-only.bin"), key = load(KEY_P256);
	uint8_t buf[1024];
	uint64_t seed = 42;

	(void)state;
	for (unsigned round = 0; round < 3000; round++) {
		size_t len = (size_t)(next_random(&seed) % sizeof(buf));
		struct dfu_smp_image img;

		for (size_t i = 0; i < len; i++) {
			buf[i] = (uint8_t)next_random(&seed);
		}
		if (round & 1 && len >= 32) {
			/* small sizes, so that the TLV areas land inside the buffer */
			memcpy(buf, f.data, 8);
			buf[8] = 32;
			buf[9] = 0;
			buf[10] = round & 2 ? (uint8_t)(next_random(&seed) % 64) : 0;
			buf[11] = 0;
			buf[12] = (uint8_t)(1 + next_random(&seed) % 200);
			memset(buf + 13, 0, 3);
		}
		assert_int_equal(dfu_smp_image_parse(&img, buf, len), -EBADMSG);
		if (round % 8 == 1) {
			assert_int_not_equal(dfu_smp_image_verify_key(&img, key.data, key.len), 0);
		}
	}
	free(key.data);
	free(f.data);
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(dfu_smp_image_tlv_name(0x10), "SHA256");
	assert_string_equal(dfu_smp_image_tlv_name(0x22), "ECDSASIG");
	assert_string_equal(dfu_smp_image_tlv_name(0x20), "RSA2048");
	assert_string_equal(dfu_smp_image_tlv_name(0x50), "SEC_CNT");
	assert_string_equal(dfu_smp_image_tlv_name(0x75), "UUID_CID");
	assert_string_equal(dfu_smp_image_tlv_name(0x00a5), "VENDOR");
	assert_string_equal(dfu_smp_image_tlv_name(0x12fe), "VENDOR");
	assert_string_equal(dfu_smp_image_tlv_name(0x0099), "UNKNOWN");
	assert_string_equal(dfu_smp_image_tlv_name(0xffff), "UNKNOWN");
	assert_string_equal(dfu_smp_image_flag_name(DFU_SMP_IMAGE_F_RAM_LOAD), "RAM_LOAD");
	assert_string_equal(dfu_smp_image_flag_name(0x10), "NON_BOOTABLE");
	assert_null(dfu_smp_image_flag_name(0x2));
	assert_null(dfu_smp_image_flag_name(0x30));
	assert_string_equal(dfu_smp_image_status_name(DFU_SMP_IMAGE_OK), "OK");
	assert_string_equal(dfu_smp_image_status_name(DFU_SMP_IMAGE_TLV_AREA_PAST_EOF),
			    "TLV_AREA_PAST_EOF");
	assert_string_equal(dfu_smp_image_status_name(DFU_SMP_IMAGE_BAD_SIGNATURE),
			    "BAD_SIGNATURE");
	assert_string_equal(dfu_smp_image_status_name(DFU_SMP_IMAGE_NO_KEY_TLV), "NO_KEY_TLV");
	assert_string_equal(dfu_smp_image_status_name((enum dfu_smp_image_status)999), "UNKNOWN");
	assert_null(dfu_smp_image_hash_alg_name(DFU_SMP_IMAGE_HASH_NONE));
}

/* What an upgrade takes of an image: its version and its DEPENDENCY TLVs, decoded. */
static void upgrade_images_of_06a_and_06c(void **state)
{
	struct file a = load("06a-dependency.bin"), c = load("06c-seccnt-2deps.bin");
	struct dfu_smp_image img;
	struct dfu_smp_upgrade_image up;

	(void)state;
	assert_int_equal(dfu_smp_image_parse(&img, c.data, c.len), 0);
	assert_int_equal(dfu_smp_upgrade_image_set(&up, &img, 3, "c.bin"), 0);
	assert_int_equal(up.image, 3);
	assert_string_equal(up.name, "c.bin");
	assert_int_equal(up.size, c.len);
	assert_ptr_equal(up.hash, img.hash);
	assert_int_equal(up.version.major, 2);
	assert_int_equal(up.version.build, 5);
	assert_int_equal(up.dep_count, 2);
	assert_int_equal(up.deps[0].image, 0);
	assert_int_equal(up.deps[0].min.major, 1);
	assert_int_equal(up.deps[0].min.minor, 0);
	assert_int_equal(up.deps[1].image, 1);
	assert_int_equal(up.deps[1].min.minor, 2);
	assert_int_equal(up.deps[1].min.build, 3);
	assert_int_equal(dfu_smp_image_parse(&img, a.data, a.len), 0);
	assert_int_equal(dfu_smp_upgrade_image_set(&up, &img, 0, NULL), 0);
	assert_int_equal(up.dep_count, 1);
	assert_int_equal(up.deps[0].image, 1);
	assert_int_equal(up.deps[0].min.major, 1);
	assert_int_equal(up.deps[0].min.minor, 2);
	assert_int_equal(up.deps[0].min.revision, 3);
	assert_int_equal(up.deps[0].min.build, 4);
	img.hash_len = 0;
	assert_int_equal(dfu_smp_upgrade_image_set(&up, &img, 0, NULL), -EINVAL);
	free(a.data);
	free(c.data);
}

/* Versions as imgtool, Zephyr's list and manifests write them, and MCUboot's comparison. */
static void versions_read_and_compared(void **state)
{
	struct dfu_smp_image_version v, w;

	(void)state;
	assert_int_equal(dfu_smp_image_version_parse("1.2.3+4", &v), 0);
	assert_int_equal(v.major, 1);
	assert_int_equal(v.minor, 2);
	assert_int_equal(v.revision, 3);
	assert_int_equal(v.build, 4);
	assert_int_equal(dfu_smp_image_version_parse("1.2.3.4", &w), 0);
	assert_int_equal(dfu_smp_image_version_cmp(&v, &w, true), 0);
	assert_int_equal(dfu_smp_image_version_parse("255.255.65535.4294967295", &v), 0);
	assert_int_equal(v.build, 4294967295u);
	assert_int_equal(dfu_smp_image_version_parse("1.2.3", &v), 0);
	assert_int_equal(v.build, 0);
	/* the build number counts only when asked */
	assert_int_equal(dfu_smp_image_version_cmp(&v, &w, true), -1);
	assert_int_equal(dfu_smp_image_version_cmp(&v, &w, false), 0);
	assert_int_equal(dfu_smp_image_version_parse("1.10.0", &w), 0);
	assert_int_equal(dfu_smp_image_version_cmp(&w, &v, false), 1); /* 10 > 2, not "1" < "2" */
	assert_int_equal(dfu_smp_image_version_parse("2.0.0", &w), 0);
	assert_int_equal(dfu_smp_image_version_cmp(&v, &w, false), -1);
	assert_int_equal(dfu_smp_image_version_parse("1.2.4", &w), 0);
	assert_int_equal(dfu_smp_image_version_cmp(&w, &v, false), 1);
	static const char *const bad[] = {
		"", "1", "1.2", "1.2.", "1.2.3.", "1.2.3+", "256.0.0", "0.256.0", "0.0.65536",
		"0.0.0+4294967296", "1.2.3x", "-1.2.3", "1..3", " 1.2.3", "1.2.3.4.5", "a.b.c",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dfu_smp_image_version_parse(bad[i], &v), -EINVAL);
	}
	assert_int_equal(dfu_smp_image_version_parse(NULL, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_manifest_file),
		cmocka_unit_test(header_and_tlvs_of_01),
		cmocka_unit_test(protected_tlvs_of_06c),
		cmocka_unit_test(trailer_of_padded_05),
		cmocka_unit_test(versions_and_other_hashes),
		cmocka_unit_test(corrupt_files_hash_what_mcuboot_hashes),
		cmocka_unit_test(messages_name_the_problem),
		cmocka_unit_test(tlvs_are_listed_past_a_bad_magic),
		cmocka_unit_test(keys),
		cmocka_unit_test(rebuilt_tlv_areas_of_02),
		cmocka_unit_test(broken_tlv_areas),
		cmocka_unit_test(broken_headers),
		cmocka_unit_test(encrypted_flag),
		cmocka_unit_test(trailer_with_another_alignment),
		cmocka_unit_test(other_key_types),
		cmocka_unit_test(every_truncation),
		cmocka_unit_test(random_byte_flips),
		cmocka_unit_test(random_files),
		cmocka_unit_test(names),
		cmocka_unit_test(versions_read_and_compared),
		cmocka_unit_test(upgrade_images_of_06a_and_06c),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
