# SPDX-License-Identifier: Apache-2.0
# The two commands of the README: `make demo` and `make test`. Both install missing Debian
# packages first (as root; otherwise they say what to install).

JOBS ?= $(shell nproc)
SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
                UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99 \
                LSAN_OPTIONS=exitcode=99

.PHONY: all deps test test-build test-asan test-nosim mcu-size demo bench bench-ports interop clean

all: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build -j$(JOBS)

deps:
	@scripts/deps.sh

# Every test twice: a normal build, then one under AddressSanitizer and UndefinedBehavior-
# Sanitizer; then dfu-smp built without the simulator; then the portable core for a Cortex-M4.
test: test-build test-asan test-nosim mcu-size

test-build: all
	cd build && ctest --output-on-failure -j$(JOBS)

test-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDFU_SMP_SANITIZE=ON
	cmake --build build-asan -j$(JOBS)
	cd build-asan && $(SANITIZER_ENV) ctest --output-on-failure -j$(JOBS)

# -DDFU_SMP_SIM=OFF: dfu-smp and the tests that need no simulated device (the real Zephyr
# servers' interop tests ran in the normal build already).
test-nosim: deps
	cmake -S . -B build/nosim -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDFU_SMP_SIM=OFF
	cmake --build build/nosim -j$(JOBS)
	cd build/nosim && ctest --output-on-failure -j$(JOBS) -E '^interop_'

mcu-size: deps
	scripts/mcu-size.sh build/mcu

# The demo starts a dfu-smp-sim of its own (UDP on 127.0.0.1) for dfu-smp to talk to; CONN=
# udp:HOST:PORT, serial:PTY or ble:ADDRESS runs it against a running dfu-smp-sim (or a real
# device) instead.
demo: all
	CONN="$(CONN)" scripts/demo.sh build/dfu-smp

# Upload throughput on the simulated BLE and serial links, every profile and strategy (virtual
# time), and the client's own CPU cost; the tables are also written to build/bench.json.
bench: all
	build/dfu-smp-bench ../shared/testdata/mcuboot/08-ecdsa-p256-480k.bin build/bench.json

# The same upload over UDP and over a pseudo-terminal to dfu-smp-sim, side by side (wall
# clock, RUNS times each, medians): run it on an idle machine.
bench-ports: all
	/usr/bin/python3 bench/ports.py build/dfu-smp ../shared/testdata/mcuboot/08-ecdsa-p256-480k.bin $(RUNS)

# dfu-smp against every real Zephyr SMP server of ../shared/testdata/zephyr: one line per server
# and transport, the commands passed, failed and not in that build.
interop: all
	DFU_SMP=build/dfu-smp SHARED_DIR=../shared /usr/bin/python3 tests/interop.py

clean:
	rm -rf build build-asan
