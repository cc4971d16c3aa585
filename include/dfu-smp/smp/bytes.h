/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Little-endian integers in byte buffers, as Bluetooth (ATT, GATT) and MCUboot images lay
 * them out, read and written a byte at a time: any alignment, any host byte order.
 */
#ifndef DFU_SMP_BYTES_H
#define DFU_SMP_BYTES_H

#include <stdint.h>

#include <dfu-smp/export.h>

/** The 16-bit little-endian integer at @p p (2 bytes, read only). */
DFU_SMP_API uint16_t dfu_smp_get_le16(const uint8_t *p);

/** The 32-bit little-endian integer at @p p (4 bytes, read only). */
DFU_SMP_API uint32_t dfu_smp_get_le32(const uint8_t *p);

/** Write @p v as 2 little-endian bytes at @p p. */
DFU_SMP_API void dfu_smp_put_le16(uint8_t *p, uint16_t v);

/** Write @p v as 4 little-endian bytes at @p p. */
DFU_SMP_API void dfu_smp_put_le32(uint8_t *p, uint32_t v);

#endif /* DFU_SMP_BYTES_H */
