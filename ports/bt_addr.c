/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/ports/bt_addr.h>

#include <ctype.h>
#include <string.h>

bool dfu_smp_bt_addr_parse(const char *s, char out[DFU_SMP_BT_ADDR_STR_LEN])
{
	if (strlen(s) != DFU_SMP_BT_ADDR_STR_LEN - 1) {
		return false;
	}
	for (size_t i = 0; i < DFU_SMP_BT_ADDR_STR_LEN - 1; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i])) {
			return false;
		}
		out[i] = (char)toupper((unsigned char)s[i]);
	}
	out[DFU_SMP_BT_ADDR_STR_LEN - 1] = '\0';
	return true;
}
