#!/bin/sh
# A session against the simulated device: talk to it, then upgrade its firmware with a real
# signed MCUboot image and check it runs the new image, confirmed.
set -eu
dfu_smp=${1:-build/dfu-smp}
images=${2:-../shared/testdata/mcuboot}
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT

step() {
	printf '\n$ dfu-smp %s\n' "$*"
	"$dfu_smp" --sim-state "$state" "$@"
}

step echo 'hello from dfu-smp'
step --mtu 23 -v params
printf '\n$ dfu-smp --mtu 23 echo <100 x>   (must fail: one write holds 20 bytes)\n'
if "$dfu_smp" --sim-state "$state" --mtu 23 echo "$(printf 'x%.0s' $(seq 100))"; then
	echo "demo: a request longer than one write was accepted" >&2
	exit 1
fi
step inspect "$images/02-ecdsa-p256.bin" --key "$images/keys/ecdsa-p256-public.pem"
step image list
step upgrade "$images/02-ecdsa-p256.bin" --key "$images/keys/ecdsa-p256-public.pem"
step image list
printf '\ndemo finished\n'
