#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A session with a device: talk to it, then upgrade its firmware with a real signed MCUboot
# image and check it runs the new image, confirmed.
#
# By default the device is the built-in simulated one (--conn sim, its state in a temporary
# directory). With CONN set, the same session runs against whatever CONN names, for example a
# dfu-smp-sim started in another terminal:
#   CONN=udp:127.0.0.1:1337   dfu-smp-sim --udp 127.0.0.1:1337
#   CONN=serial:/dev/pts/N    dfu-smp-sim --serial
#   CONN=ble:C2:53:4D:50:00:01  dfu-smp-sim --bluez (DBUS_SYSTEM_BUS_ADDRESS set for both)
set -eu
dfu_smp=${1:-build/dfu-smp}
images=${2:-../shared/testdata/mcuboot}
conn=${CONN:-sim}

if [ "$conn" = sim ]; then
	state=$(mktemp -d)
	trap 'rm -rf "$state"' EXIT
	set -- --sim-state "$state"
else
	set -- --conn "$conn"
fi
# the options that reach the device, kept in $@ for every step
step() {
	printf '\n$ dfu-smp %s\n' "$*"
	"$dfu_smp" "$@"
}

step "$@" echo 'hello from dfu-smp'
case "$conn" in
sim | ble:*)
	# on GATT links at the smallest MTU: an answer split over notifications, and a request
	# that one write cannot hold
	step "$@" --mtu 23 -v params
	printf '\n$ dfu-smp %s --mtu 23 echo <100 x>   (must fail: one write holds 20 bytes)\n' "$*"
	if "$dfu_smp" "$@" --mtu 23 echo "$(printf 'x%.0s' $(seq 100))"; then
		echo "demo: a request longer than one write was accepted" >&2
		exit 1
	fi
	;;
*)
	step "$@" -v params
	;;
esac
step "$@" inspect "$images/02-ecdsa-p256.bin" --key "$images/keys/ecdsa-p256-public.pem"
step "$@" image list
step "$@" upgrade "$images/02-ecdsa-p256.bin" --key "$images/keys/ecdsa-p256-public.pem"
step "$@" image list
printf '\ndemo finished\n'
