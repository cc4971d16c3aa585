#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""`make bench` (its second part): what one `dfu-smp fleet upgrade` process costs per device.

Serves N simulated devices over UDP from one dfu-smp-sim (--count N, answering at once:
--busy-scale 0, so that the client's own work is what is measured) and upgrades them all with
one `dfu-smp fleet upgrade`, then one device alone the same way. Reports the process's peak
RSS (os.wait4's ru_maxrss) and its open file descriptors (the most seen in /proc/PID/fd,
sampled while it runs) for one device and for N, and from them the cost of each further
device; and the CPU time (user + system) the process took per MiB of image sent.

  fleet_load.py [--dfu-smp PATH] [--sim PATH] [--image FILE] [--devices N] [--json FILE]
"""
import argparse
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time

START_TIMEOUT = 30
RUN_TIMEOUT = 600


def start_sim(sim, count, tmp, name):
    """dfu-smp-sim --count @p count over UDP; @return (process, devices file)."""
    devices = os.path.join(tmp, f"{name}.devices")
    proc = subprocess.Popen([sim, "--count", str(count), "--udp", "127.0.0.1:0",
                             "--busy-scale", "0", "--state", os.path.join(tmp, name),
                             "--devices-out", devices],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = b""
    deadline = time.monotonic() + START_TIMEOUT
    while not out.endswith(b"ready\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            proc.kill()
            sys.exit(f"dfu-smp-sim --count {count} did not start: {out!r}")
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            sys.exit(f"dfu-smp-sim --count {count} exited: {out!r}")
        out += chunk
    return proc, devices


def count_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dfu-smp", default=os.environ.get("DFU_SMP", "build/dfu-smp"))
    ap.add_argument("--sim", default=os.environ.get("DFU_SMP_SIM", "build/dfu-smp-sim"))
    ap.add_argument("--image", default="../shared/testdata/mcuboot/02-ecdsa-p256.bin")
    ap.add_argument("--devices", type=int, default=100)
    ap.add_argument("--json")
    a = ap.parse_args()
    size = os.path.getsize(a.image)
    with tempfile.TemporaryDirectory(prefix="dfu-smp-fleet-load-") as tmp:
        one_sim, one = start_sim(a.sim, 1, tmp, "one")
        many_sim, many = start_sim(a.sim, a.devices, tmp, "many")
        try:
            r1 = fleet_upgrade_measured(a.dfu_smp, a.image, one)
            rn = fleet_upgrade_measured(a.dfu_smp, a.image, many)
        finally:
            for p in (one_sim, many_sim):
                p.terminate()
                p.wait()
    n = a.devices
    rss_per = (rn["rss_kib"] - r1["rss_kib"]) / (n - 1)
    fds_per = (rn["most_fds"] - r1["most_fds"]) / (n - 1)
    mib = n * size / (1024 * 1024)
    cpu_per_mib = rn["cpu_s"] / mib
    result = {"devices": n, "image_bytes": size, "one": r1, "many": rn,
              "rss_kib_per_device": round(rss_per, 1), "fds_per_device": round(fds_per, 2),
              "cpu_ms_per_mib": round(cpu_per_mib * 1000, 1)}
    print(f"fleet upgrade in one process, UDP, {n} simulated devices, "
          f"{size} bytes each ({mib:.1f} MiB in all):")
    print(f"  {'':14} {'peak RSS':>10} {'fds':>5} {'CPU':>7} {'wall':>7}")
    for label, r in (("1 device", r1), (f"{n} devices", rn)):
        print(f"  {label:14} {r['rss_kib']:>7} KiB {r['most_fds']:>5} {r['cpu_s']:>6.2f}s "
              f"{r['wall_s']:>6.2f}s")
    print(f"  per further device: {rss_per:.1f} KiB of RSS, {fds_per:.2f} descriptors; "
          f"event loop CPU {cpu_per_mib * 1000:.1f} ms per MiB sent")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


def fleet_upgrade_measured(dfu_smp, image, devices):
    """One fleet upgrade of @p devices: its peak RSS, most descriptors, CPU and wall time."""
    start = time.monotonic()
    most = [0]
    done = threading.Event()
    err_file = tempfile.TemporaryFile()
    proc = subprocess.Popen([dfu_smp, "--json", "fleet", "upgrade", image, "--devices",
                             devices], stdout=subprocess.PIPE, stderr=err_file)

    def sample():
        # a benchmark's sampling, not a test's wait: the most descriptors seen while it runs
        while not done.wait(0.02):
            most[0] = max(most[0], count_fds(proc.pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    wall = time.monotonic() - start
    events = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    summary = events[-1] if events else {}
    if os.waitstatus_to_exitcode(status) != 0 or summary.get("failed", 1) != 0:
        err_file.seek(0)
        sys.exit(f"fleet upgrade failed ({status}): {err_file.read().decode()[-2000:]}")
    return {"devices": summary["devices"], "ok": summary["ok"], "wall_s": round(wall, 2),
            "most_fds": most[0], "rss_kib": usage.ru_maxrss,
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 3)}


if __name__ == "__main__":
    main()
