/* SPDX-License-Identifier: Apache-2.0 */
/* The version of the library itself (include/dfu-smp/version.h, written by CMake). */
#include <dfu-smp/version.h>

const char *dfu_smp_version(void)
{
	return DFU_SMP_VERSION;
}
