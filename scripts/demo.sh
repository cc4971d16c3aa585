#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A session with a device: talk to it, then upgrade its firmware with a real signed MCUboot
# image and check it runs the new image, confirmed.
#
# By default the device is a dfu-smp-sim started here, serving SMP over UDP on 127.0.0.1 in
# real time (its state in a temporary directory, stopped at the end), and dfu-smp talks to it
# as to any device. The steps at BLE's smallest MTU run through dfu-smp-sim's own device in
# process, over its simulated BLE link in virtual time (dfu-smp-sim -- COMMAND).
# With CONN set, the same session runs against whatever CONN names, for example a dfu-smp-sim
# started in another terminal, or a real device:
#   CONN=udp:127.0.0.1:1337   dfu-smp-sim --udp 127.0.0.1:1337
#   CONN=serial:/dev/pts/N    dfu-smp-sim --serial
#   CONN=ble:C2:53:4D:50:00:01  dfu-smp-sim --bluez (DBUS_SYSTEM_BUS_ADDRESS set for both)
# DFU_SMP_SIM names the dfu-smp-sim to run (default: the one beside dfu-smp).
set -eu
dfu_smp=${1:-build/dfu-smp}
images=${2:-../shared/testdata/mcuboot}
dfu_smp_sim=${DFU_SMP_SIM:-$(dirname "$dfu_smp")/dfu-smp-sim}
conn=${CONN:-}

step() {
	printf '\n$ dfu-smp %s\n' "$*"
	"$dfu_smp" "$@"
}

sim_step() {
	printf '\n$ dfu-smp-sim -- %s\n' "$*"
	"$dfu_smp_sim" -- "$@"
}

# SHOWN PROGRAM ARGS...: a request of 113 bytes at ATT MTU 23 must be refused
long_echo_refused() {
	printf '\n$ %s --mtu 23 echo <100 x>   (must fail: one write holds 20 bytes)\n' "$1"
	shift
	if "$@" --mtu 23 echo "$(printf 'x%.0s' $(seq 100))"; then
		echo "demo: a request longer than one write was accepted" >&2
		exit 1
	fi
}

if [ -z "$conn" ]; then
	tmp=$(mktemp -d)
	sim_pid=
	stop_sim() {
		if [ -n "$sim_pid" ]; then
			kill "$sim_pid" 2>/dev/null || true
			wait "$sim_pid" || echo "demo: dfu-smp-sim ended badly" >&2
		fi
		rm -rf "$tmp"
	}
	trap stop_sim EXIT
	# its first lines say where it serves, then "ready"
	mkfifo "$tmp/lines"
	"$dfu_smp_sim" --udp 127.0.0.1:0 --state "$tmp/state" >"$tmp/lines" &
	sim_pid=$!
	exec 3<"$tmp/lines"
	while IFS= read -r line <&3; do
		case $line in
		"udp: "*) conn="udp:${line#udp: }" ;;
		ready) break ;;
		esac
	done
	if [ -z "$conn" ]; then
		echo "demo: dfu-smp-sim did not start" >&2
		exit 1
	fi
	printf 'the device: a simulated one, dfu-smp-sim serving %s\n' "$conn"
fi
# the options that reach the device, kept in $@ for every step
set -- --conn "$conn"

step "$@" echo 'hello from dfu-smp'
case "$conn" in
ble:*)
	# on GATT links at the smallest MTU: an answer split over notifications, and a request
	# that one write cannot hold
	step "$@" --mtu 23 -vv params
	long_echo_refused "dfu-smp $*" "$dfu_smp" "$@"
	;;
*)
	step "$@" -vv params
	if [ -z "${CONN:-}" ]; then
		# the same at BLE's smallest MTU, on the simulated BLE link
		sim_step --mtu 23 -vv params
		long_echo_refused "dfu-smp-sim --" "$dfu_smp_sim" --
	fi
	;;
esac
step "$@" inspect "$images/02-ecdsa-p256.bin" --key "$images/keys/ecdsa-p256-public.pem"
step "$@" image list
step "$@" upgrade "$images/02-ecdsa-p256.bin" --key "$images/keys/ecdsa-p256-public.pem"
step "$@" image list
printf '\ndemo finished\n'
