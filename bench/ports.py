#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Real ports, side by side, wall clock: the same image uploaded to one dfu-smp-sim over UDP
and over its pseudo-terminal (console framing, Zephyr's 2 receive line buffers), RUNS times
each, alternating; prints each run and the medians, and serial's median against UDP's. The
simulated flash sets the pace on UDP: serial within 10% of it is as fast as the device allows.
A measurement, not a test: run it on an idle machine (`make bench-ports`).

Usage: ports.py DFU_SMP IMAGE [RUNS]"""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
os.environ.setdefault("SHARED_DIR", os.path.join(HERE, "..", "..", "shared"))
os.environ["DFU_SMP"] = os.path.abspath(sys.argv[1])

import sim_device  # noqa: E402 (needs DFU_SMP first)

# the 480 KiB image needs a slot larger than the simulated device's default
SIM_ARGS = ("--udp", "127.0.0.1:0", "--serial", "--slot-size", "0x80000")
TIMEOUT = 600


def upload(conn, image):
    """One `image upload` of @p image on @p conn: seconds, or raises with dfu-smp's words."""
    start = time.monotonic()
    p = subprocess.run([os.environ["DFU_SMP"], "--conn", conn, "image", "upload", image],
                       capture_output=True, text=True, timeout=TIMEOUT)
    took = time.monotonic() - start
    if p.returncode != 0:
        raise SystemExit(f"{conn}: exit {p.returncode}: {p.stderr.strip()}")
    return took


def main():
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    image = sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) == 4 else 3
    times = {"udp": [], "serial": []}
    for i in range(runs):
        for kind in ("udp", "serial"):
            # a fresh device each time: every upload starts from an erased slot
            with sim_device.SimDevice(*SIM_ARGS) as sim:
                conn = f"udp:{sim.udp}" if kind == "udp" else f"serial:{sim.serial}"
                t = upload(conn, image)
            times[kind].append(t)
            print(f"run {i + 1} {kind:6} {t:6.2f} s", flush=True)
    udp = statistics.median(times["udp"])
    serial = statistics.median(times["serial"])
    size = os.path.getsize(image)
    print(f"median over {runs} runs of {size} bytes: udp {udp:.2f} s, serial (pty) "
          f"{serial:.2f} s: {serial / udp:.3f} of the UDP time")


if __name__ == "__main__":
    main()
