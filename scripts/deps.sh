#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages dfu-smp needs, when they are missing. As root it runs apt-get;
# otherwise it says what to install and fails.
set -eu

packages="cmake make gcc pkg-config libcbor-dev libssl-dev libsystemd-dev libjansson-dev \
libcmocka-dev zlib1g-dev dbus python3 python3-cbor2 python3-bleak gcc-arm-none-eabi \
libnewlib-arm-none-eabi libc6-i386 iproute2"

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
