/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command-line reading shared by dfu-smp and dfu-smp-sim: options given as "--opt VALUE" or
 * "--opt=VALUE", and numbers in decimal or 0x hexadecimal.
 */
#ifndef TOOLS_ARGS_H
#define TOOLS_ARGS_H

#include <stdbool.h>
#include <stdint.h>

/** True when @p arg is the option @p name, alone or as "name=value". */
bool args_is(const char *arg, const char *name);

/**
 * The value of the option @p name at argv[*i]: after its '=', or the next argument (then *i
 * moves on to it). @return the value, or NULL when it is missing.
 */
const char *args_value(int argc, char **argv, int *i, const char *name);

/** Parse a decimal or 0x-prefixed number up to @p max. @return 0, or -1 for anything else. */
int args_u64(const char *s, uint64_t max, uint64_t *out);

#endif /* TOOLS_ARGS_H */
