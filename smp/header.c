/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/smp/header.h>

#include <errno.h>

void dfu_smp_hdr_encode(const struct dfu_smp_hdr *hdr, uint8_t out[DFU_SMP_HDR_SIZE])
{
	uint8_t ver = (uint8_t)((hdr->version - 1u) & 0x3u);

	out[0] = (uint8_t)((ver << 3) | (hdr->op & 0x7u));
	out[1] = hdr->flags;
	out[2] = (uint8_t)(hdr->len >> 8);
	out[3] = (uint8_t)(hdr->len & 0xffu);
	out[4] = (uint8_t)(hdr->group >> 8);
	out[5] = (uint8_t)(hdr->group & 0xffu);
	out[6] = hdr->seq;
	out[7] = hdr->id;
}

int dfu_smp_hdr_decode(const uint8_t *in, size_t len, struct dfu_smp_hdr *hdr)
{
	if (len < DFU_SMP_HDR_SIZE) {
		return -EINVAL;
	}
	hdr->op = in[0] & 0x7u;
	hdr->version = (uint8_t)(((in[0] >> 3) & 0x3u) + 1u);
	hdr->flags = in[1];
	hdr->len = (uint16_t)((in[2] << 8) | in[3]);
	hdr->group = (uint16_t)((in[4] << 8) | in[5]);
	hdr->seq = in[6];
	hdr->id = in[7];
	return 0;
}

uint8_t dfu_smp_hdr_rsp_op(uint8_t request_op)
{
	return request_op == DFU_SMP_OP_READ ? DFU_SMP_OP_READ_RSP : DFU_SMP_OP_WRITE_RSP;
}
