#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages dfu-smp needs, when they are missing. As root it runs apt-get;
# otherwise it says what to install and fails.
#   deps.sh [build]  to build and run the library, dfu-smp and dfu-smp-sim (`make`)
#   deps.sh test     also what the tests need (`make test`): cmocka, dbus, the Python modules,
#                    the Cortex-M toolchain, the 32-bit C library of the Zephyr servers
set -eu

packages="cmake make gcc pkg-config libcbor-dev libssl-dev libsystemd-dev libjansson-dev \
zlib1g-dev libzip-dev"
case "${1:-build}" in
build) ;;
test)
	packages="$packages libcmocka-dev dbus python3 python3-cbor2 python3-bleak \
gcc-arm-none-eabi libnewlib-arm-none-eabi libc6-i386 iproute2"
	;;
*)
	echo "usage: $0 [build|test]" >&2
	exit 2
	;;
esac

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "dfu-smp needs these Debian packages:$missing" >&2
	echo "install them with: sudo apt-get install$missing" >&2
	exit 1
fi

echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! apt-get install -y --no-install-recommends $missing; then
	apt-get update
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $missing
fi
