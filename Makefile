# SPDX-License-Identifier: Apache-2.0
# The commands of the README: `make` (the library and the programs), `make install`, `make demo`
# and `make test`. Each installs the Debian packages it needs first when they are missing (as
# root; otherwise it says what to install): `make` only those to build and run, `make test` also
# those of the tests (cmocka, Python modules, the Cortex-M toolchain...).

JOBS ?= $(shell nproc)
SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
                UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99 \
                LSAN_OPTIONS=exitcode=99

# make install: PREFIX (default /usr/local) is where it runs from, DESTDIR where the files are
# put (a staging directory: DESTDIR/PREFIX/...); BUILD_DIR and CMAKE_ARGS configure its build.
PREFIX ?= /usr/local
DESTDIR ?=
BUILD_DIR ?= build
CMAKE_ARGS ?=

.PHONY: all deps deps-test install test test-build test-asan test-nosim test-fuzz fuzz fuzz-build mcu-size demo bench bench-ports load soak interop clean

# Also links the manual page the build writes here, for `man ./dfu-smp.1`.
all: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build -j$(JOBS)
	ln -sf build/dfu-smp.1 dfu-smp.1

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

# The library (shared and static), its headers and pkg-config file (dfu-smp.pc), and dfu-smp.
install: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)
	cmake --build $(BUILD_DIR) -j$(JOBS)
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD_DIR)

# Every test twice: a normal build, then one under AddressSanitizer and UndefinedBehavior-
# Sanitizer; then dfu-smp built without the simulator; then the fuzz targets a few seconds each
# (with clang); then the portable core for a Cortex-M4.
test: test-build test-asan test-nosim test-fuzz mcu-size

test-build: deps-test
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDFU_SMP_TESTS=ON
	cmake --build build -j$(JOBS)
	cd build && ctest --output-on-failure -j$(JOBS)

test-asan: deps-test
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDFU_SMP_SANITIZE=ON -DDFU_SMP_TESTS=ON
	cmake --build build-asan -j$(JOBS)
	cd build-asan && $(SANITIZER_ENV) ctest --output-on-failure -j$(JOBS)

# -DDFU_SMP_SIM=OFF: dfu-smp and the tests that need no simulated device (the real Zephyr
# servers' interop tests ran in the normal build already).
test-nosim: deps-test
	cmake -S . -B build/nosim -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDFU_SMP_SIM=OFF -DDFU_SMP_TESTS=ON
	cmake --build build/nosim -j$(JOBS)
	cd build/nosim && ctest --output-on-failure -j$(JOBS) -E '^interop_'

# The fuzz targets (fuzz/) as libFuzzer programs (clang, ASan, UBSan) in build-fuzz: each
# replays its corpus, then fuzzes FUZZ_RUN_SECONDS (3) seconds; skipped without clang.
FUZZ_RUN_SECONDS ?= 3
test-fuzz: deps-test
	@if command -v clang >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory fuzz-build && \
		cd build-fuzz && $(SANITIZER_ENV) ctest --output-on-failure -j$(JOBS); \
	else echo "test-fuzz: no clang, libFuzzer runs skipped (the replays ran in build/)"; fi

fuzz-build:
	@command -v clang >/dev/null 2>&1 || { echo "make fuzz needs clang (apt-get install clang)"; exit 1; }
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDFU_SMP_FUZZ=ON \
		-DDFU_SMP_TESTS=OFF -DDFU_SMP_SIM=OFF -DFUZZ_RUN_SECONDS=$(FUZZ_RUN_SECONDS)
	cmake --build build-fuzz --target fuzz-all -j$(JOBS)

# The fault-injection soak (tests/soak.py): SOAK_TRIALS (500) upgrades of the 480 KiB image to
# dfu-smp-sim, each with one fault (power cut, device killed, link away, client killed, answers
# lost, delayed, duplicated, reordered, corrupted or stale, device errors, rollback) drawn from
# SOAK_SEED; SOAK_MINUTES > 0 runs trials for that long instead. SOAK_JOBS trials at a time.
SOAK_TRIALS ?= 500
SOAK_SEED ?= 1
SOAK_MINUTES ?= 0
SOAK_JOBS ?= 2
soak: deps-test
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDFU_SMP_TESTS=ON
	cmake --build build -j$(JOBS)
	DFU_SMP=$(CURDIR)/build/dfu-smp SHARED_DIR=$(CURDIR)/../shared /usr/bin/python3 \
		tests/soak.py --trials $(SOAK_TRIALS) --seed $(SOAK_SEED) \
		--minutes $(SOAK_MINUTES) --jobs $(SOAK_JOBS)

# Every fuzz target FUZZ_SECONDS (60) seconds on its corpus: execs/s, coverage, crashes.
FUZZ_SECONDS ?= 60
fuzz: deps-test fuzz-build
	scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

mcu-size: deps-test
	scripts/mcu-size.sh build/mcu

# The demo starts a dfu-smp-sim of its own (UDP on 127.0.0.1) for dfu-smp to talk to; CONN=
# udp:HOST:PORT, serial:PTY or ble:ADDRESS runs it against a running dfu-smp-sim (or a real
# device) instead.
demo: all
	CONN="$(CONN)" scripts/demo.sh build/dfu-smp

# Upload throughput on the simulated BLE and serial links, every profile and strategy (virtual
# time), a fleet of 1 to 16 devices upgraded at once behind one central, and the client's own
# CPU cost; the tables are also written to build/bench.json.
bench: all
	build/dfu-smp-bench ../shared/testdata/mcuboot/08-ecdsa-p256-480k.bin build/bench.json
	/usr/bin/python3 bench/fleet_load.py --dfu-smp build/dfu-smp --sim build/dfu-smp-sim \
		--image ../shared/testdata/mcuboot/02-ecdsa-p256.bin --devices 100 \
		--json build/fleet_load.json

# The same upload over UDP and over a pseudo-terminal to dfu-smp-sim, side by side (wall
# clock, RUNS times each, medians): run it on an idle machine.
bench-ports: all
	/usr/bin/python3 bench/ports.py build/dfu-smp ../shared/testdata/mcuboot/08-ecdsa-p256-480k.bin $(RUNS)

# DEVICES (32) dfu-smp-sim on UDP upgraded at once by as many dfu-smp, round after round for
# SOAK_MINUTES (0: one round): completion, wall time, RSS and file descriptors per round.
DEVICES ?= 32
load: all
	/usr/bin/python3 bench/load.py --dfu-smp build/dfu-smp --sim build/dfu-smp-sim \
		--images ../shared/testdata/mcuboot --devices $(DEVICES) --soak-minutes $(SOAK_MINUTES) \
		--json build/load.json

# dfu-smp against every real Zephyr SMP server of ../shared/testdata/zephyr: one line per server
# and transport, the commands passed, failed and not in that build.
interop: all deps-test
	DFU_SMP=build/dfu-smp SHARED_DIR=../shared /usr/bin/python3 tests/interop.py

clean:
	rm -rf build build-asan build-fuzz dfu-smp.1
