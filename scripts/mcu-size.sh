#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds smp/ for a Cortex-M4 with arm-none-eabi-gcc (-Os, newlib, no OS), links it into a
# minimal firmware that uses the GATT DFU SMP client and the SMP client, and prints the code
# and RAM it takes. Fails if smp/ stops building there.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$top/build/mcu"}
mkdir -p "$out"

cc=arm-none-eabi-gcc
flags="-mcpu=cortex-m4 -mthumb -mfloat-abi=soft -Os -std=c11 -pedantic-errors -Wall -Wextra
-Werror -ffunction-sections -fdata-sections"

objs=""
for src in "$top"/smp/*.c; do
	obj="$out/$(basename "$src" .c).o"
	# shellcheck disable=SC2086
	$cc $flags -I"$top/include" -c "$src" -o "$obj"
	objs="$objs $obj"
done
# shellcheck disable=SC2086
$cc $flags -c "$top/tests/mcu/firmware.c" -I"$top/include" -o "$out/firmware.o"
# shellcheck disable=SC2086
$cc $flags --specs=nano.specs --specs=nosys.specs -nostartfiles -Wl,--gc-sections \
	-Wl,-e,firmware_main -o "$out/firmware.elf" "$out/firmware.o" $objs

echo "smp/ on Cortex-M4 (arm-none-eabi-gcc -Os, newlib-nano):"
# shellcheck disable=SC2086
arm-none-eabi-size -t $objs | sed 's|'"$out"'/||'
echo "linked into a minimal firmware using the GATT transport + smp_client (libc included):"
arm-none-eabi-size "$out/firmware.elf" | sed 's|'"$out"'/||'
text=$(arm-none-eabi-size "$out/firmware.elf" | awk 'NR==2 {print $1}')
data=$(arm-none-eabi-size "$out/firmware.elf" | awk 'NR==2 {print $2}')
bss=$(arm-none-eabi-size "$out/firmware.elf" | awk 'NR==2 {print $3}')
echo "code (flash): $((text + data)) bytes; RAM: $((data + bss)) bytes"
