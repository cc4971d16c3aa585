/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bluetooth device addresses as text, the way BlueZ writes them: "AA:BB:CC:DD:EE:FF".
 */
#ifndef DFU_SMP_PORTS_BT_ADDR_H
#define DFU_SMP_PORTS_BT_ADDR_H

#include <stdbool.h>

#include <dfu-smp/export.h>

/** Text of an address, with its terminating NUL. */
#define DFU_SMP_BT_ADDR_STR_LEN 18

/**
 * Read an address written with colons in either case ("aa:bb:cc:dd:ee:ff") into @p out, in
 * BlueZ's upper case. @return false when @p s is not an address (@p out is then undefined).
 */
DFU_SMP_API bool dfu_smp_bt_addr_parse(const char *s, char out[DFU_SMP_BT_ADDR_STR_LEN]);

#endif /* DFU_SMP_PORTS_BT_ADDR_H */
