/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/smp/bytes.h>

uint16_t dfu_smp_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t dfu_smp_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

void dfu_smp_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void dfu_smp_put_le32(uint8_t *p, uint32_t v)
{
	dfu_smp_put_le16(p, (uint16_t)v);
	dfu_smp_put_le16(p + 2, (uint16_t)(v >> 16));
}
