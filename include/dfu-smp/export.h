/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DFU_SMP_API marks the functions and variables of the public API. libdfu-smp is compiled with
 * -fvisibility=hidden, so the shared library exports what is marked and nothing else: the
 * layers' internal helpers stay inside it. Where the compiler knows no visibility (or for a
 * build of the portable core on a microcontroller) the mark is empty.
 */
#ifndef DFU_SMP_EXPORT_H
#define DFU_SMP_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define DFU_SMP_API __attribute__((visibility("default")))
#else
#define DFU_SMP_API
#endif

#endif /* DFU_SMP_EXPORT_H */
