#!/bin/sh
# A short scripted session against the simulated device.
set -eu
dfu_smp=${1:-build/dfu-smp}

step() {
	printf '\n$ dfu-smp %s\n' "$*"
	"$dfu_smp" "$@"
}

step --conn sim echo 'hello from dfu-smp'
step --conn sim --mtu 23 -v params
step --conn sim --mtu 247 -v echo 'one write, one notification'
printf '\n$ dfu-smp --conn sim --mtu 23 echo <100 x>   (must fail: one write holds 20 bytes)\n'
if "$dfu_smp" --conn sim --mtu 23 echo "$(printf 'x%.0s' $(seq 100))"; then
	echo "demo: a request longer than one write was accepted" >&2
	exit 1
fi
printf '\ndemo finished\n'
