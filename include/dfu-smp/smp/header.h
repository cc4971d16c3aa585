/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMP message header: the 8 bytes in front of every SMP message on every transport.
 *
 * Layout (multi-byte fields big-endian):
 *   byte 0    Res:3 | Ver:2 | Op:3
 *   byte 1    flags (none defined; send 0)
 *   bytes 2-3 payload length (CBOR bytes after the header)
 *   bytes 4-5 group
 *   byte 6    sequence number
 *   byte 7    command id
 */
#ifndef DFU_SMP_HEADER_H
#define DFU_SMP_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>

/** Size of the SMP header in bytes. */
#define DFU_SMP_HDR_SIZE 8u

/** Largest SMP message: the header and the largest payload its length field can give. */
#define DFU_SMP_MSG_MAX (DFU_SMP_HDR_SIZE + 0xffffu)

/** SMP operation codes (the Op bits). */
enum dfu_smp_op {
	DFU_SMP_OP_READ = 0,
	DFU_SMP_OP_READ_RSP = 1,
	DFU_SMP_OP_WRITE = 2,
	DFU_SMP_OP_WRITE_RSP = 3,
};

/** Protocol versions as numbered by the documentation; on the wire Ver = version - 1. */
enum dfu_smp_proto_version {
	DFU_SMP_PROTO_V1 = 1, /**< original protocol: errors only as a generic `rc` */
	DFU_SMP_PROTO_V2 = 2, /**< adds group errors `err: {group, rc}` */
};

/** A decoded SMP header. */
struct dfu_smp_hdr {
	uint8_t op;      /**< enum dfu_smp_op; 4..7 are invalid but decoded as sent */
	uint8_t version; /**< 1 or 2 (Ver bits + 1); 3 and 4 for the reserved Ver values */
	uint8_t flags;
	uint16_t len;    /**< payload length in bytes, header excluded */
	uint16_t group;
	uint8_t seq;
	uint8_t id;
};

/**
 * Write @p hdr as 8 bytes at @p out. Reserved bits are sent as 0; op is cut to 3 bits and
 * version to the 2-bit Ver field.
 */
DFU_SMP_API void dfu_smp_hdr_encode(const struct dfu_smp_hdr *hdr, uint8_t out[DFU_SMP_HDR_SIZE]);

/**
 * Read a header from the first 8 of @p len bytes at @p in.
 *
 * Reserved bits are ignored, as real servers do.
 * @return 0, or -EINVAL when @p len is shorter than a header.
 */
DFU_SMP_API int dfu_smp_hdr_decode(const uint8_t *in, size_t len, struct dfu_smp_hdr *hdr);

/**
 * The op a server answers a request op with: read -> read response, anything else -> write
 * response (what Zephyr does, also for invalid request ops).
 */
DFU_SMP_API uint8_t dfu_smp_hdr_rsp_op(uint8_t request_op);

#endif /* DFU_SMP_HEADER_H */
