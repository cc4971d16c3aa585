# The two commands of the README: `make demo` and `make test`. Both install missing Debian
# packages first (as root; otherwise they say what to install).

JOBS ?= $(shell nproc)
SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
                UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99 \
                LSAN_OPTIONS=exitcode=99

.PHONY: all deps test test-build test-asan mcu-size demo clean

all: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build -j$(JOBS)

deps:
	@scripts/deps.sh

# Every test twice: a normal build, then one under AddressSanitizer and UndefinedBehavior-
# Sanitizer; then the portable core for a Cortex-M4.
test: test-build test-asan mcu-size

test-build: all
	cd build && ctest --output-on-failure -j$(JOBS)

test-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDFU_SMP_SANITIZE=ON
	cmake --build build-asan -j$(JOBS)
	cd build-asan && $(SANITIZER_ENV) ctest --output-on-failure -j$(JOBS)

mcu-size: deps
	scripts/mcu-size.sh build/mcu

demo: all
	scripts/demo.sh build/dfu-smp

clean:
	rm -rf build build-asan
