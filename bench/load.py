#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""`make load`: many devices upgraded at once, over UDP on 127.0.0.1, round after round.

Starts N dfu-smp-sim devices (--udp 127.0.0.1:0, each with a state directory of its own) and,
each round, N `dfu-smp --conn udp:... upgrade IMAGE` at once, the image going round three of
../shared/testdata/mcuboot so that every round really uploads (with two, the third round's
image would still be in slot 1, swapped out by the second: nothing to upload). Per round it reports whether
every upgrade completed (exit 0, "confirmed", and slot 0's hash the manifest's), the wall time,
each client's peak RSS (os.wait4's ru_maxrss: min/median/max), each client's open file
descriptors (/proc/PID/fd) sampled early and just before it ends, and each device's open
descriptors before and after the round and its RSS. It fails (exit 1) when an upgrade did not
complete, a device holds more descriptors after a round than before, a client more at its end
than early on, or, over several rounds, when the figures grow: RSS past the first rounds' by
more than noise, descriptors at all.

  load.py [--dfu-smp PATH] [--sim PATH] [--images DIR] [--devices N] [--soak-minutes M]
          [--rounds R] [--busy-scale F] [--json FILE]

--soak-minutes M repeats rounds until M minutes have passed (0: one round, unless --rounds).
The programs default to $DFU_SMP and $DFU_SMP_SIM, the images to $SHARED_DIR's.
"""
import argparse
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# all fit a 0x80000 slot
IMAGES = ("08-ecdsa-p256-480k.bin", "02-ecdsa-p256.bin", "03-ed25519.bin")
SLOT_SIZE = "0x80000"
START_TIMEOUT = 30
ROUND_TIMEOUT = 600      # a whole round, every upgrade of it, ends well within this
SAMPLE_S = 0.05          # how often the clients' descriptors are sampled
RSS_NOISE_KIB = 1024     # RSS may differ this much, and 10 %, from the first rounds'


def fds(pid):
    """Open descriptors of @p pid, or None once it is gone."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def status_kib(pid, field):
    """A /proc/PID/status figure in KiB (VmRSS, VmHWM), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


class Device:
    def __init__(self, sim, tmp, index, busy_scale):
        self.state = os.path.join(tmp, f"device-{index}")
        self.proc = subprocess.Popen([sim, "--udp", "127.0.0.1:0", "--state", self.state,
                                      "--slot-size", SLOT_SIZE, "--busy-scale", busy_scale],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out = b""
        deadline = time.monotonic() + START_TIMEOUT
        while not out.endswith(b"ready\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                self.proc.kill()
                raise RuntimeError(f"dfu-smp-sim did not start: {out!r}")
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"dfu-smp-sim exited: {out!r}")
            out += chunk
        self.conn = None
        for line in out.decode().splitlines():
            if line.startswith("udp: "):
                self.conn = "udp:" + line[5:]
        if not self.conn:
            raise RuntimeError(f"dfu-smp-sim said no UDP address: {out!r}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


def slot0(dfu_smp, conn):
    p = subprocess.run([dfu_smp, "--conn", conn, "--json", "image", "list"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return None
    images = json.loads(p.stdout).get("images", [])
    return next((i for i in images if i.get("slot") == 0), None)


def run_round(args, devices, image, expected_hash, tmp, n):
    """One round: every device upgraded to @p image at once. @return its figures."""
    path = os.path.join(args.images, image)
    before = [fds(d.proc.pid) for d in devices]
    clients = []
    t0 = time.monotonic()
    for i, d in enumerate(devices):
        log = open(os.path.join(tmp, f"round-{n}-client-{i}.log"), "w+b")
        pid = subprocess.Popen([args.dfu_smp, "--conn", d.conn, "upgrade", path,
                                 "--allow-downgrade"],
                               stdout=log, stderr=subprocess.STDOUT).pid
        clients.append({"pid": pid, "log": log, "early": None, "late": None, "rc": None,
                        "rss": None, "started": time.monotonic()})
    running = list(clients)
    while running:
        if time.monotonic() - t0 > ROUND_TIMEOUT:
            for c in running:
                os.kill(c["pid"], 9)
        for c in list(running):
            pid, status, usage = os.wait4(c["pid"], os.WNOHANG)
            if pid:
                c["rc"] = os.waitstatus_to_exitcode(status)
                c["rss"] = usage.ru_maxrss  # KiB
                c["ended"] = time.monotonic()
                running.remove(c)
                continue
            k = fds(c["pid"])
            if k:  # none: it is exiting, its table already closed
                # early: once it has run a little (connected, its files open)
                if c["early"] is None and time.monotonic() - c["started"] > 0.5:
                    c["early"] = k
                c["late"] = k
        time.sleep(SAMPLE_S)
    wall = time.monotonic() - t0
    after = [fds(d.proc.pid) for d in devices]
    failures = []
    completed = 0
    for i, (c, d) in enumerate(zip(clients, devices)):
        c["log"].seek(0)
        out = c["log"].read().decode(errors="replace")
        c["log"].close()
        if c["rc"] != 0 or "confirmed" not in out or "sent " not in out:
            failures.append(f"device {i}: exit {c['rc']}: {out.strip()[-300:]}")
            continue
        s = slot0(args.dfu_smp, d.conn)
        if not s or s.get("hash") != expected_hash or not s.get("active") or \
                not s.get("confirmed"):
            failures.append(f"device {i}: slot 0 is not {image} confirmed: {s}")
        else:
            completed += 1
        if c["early"] is not None and c["late"] is not None and c["late"] > c["early"]:
            failures.append(f"client {i}: {c['early']} descriptors early, {c['late']} at "
                            f"its end")
    for i, (b, a) in enumerate(zip(before, after)):
        if b != a:
            failures.append(f"device {i}: {b} descriptors before the round, {a} after")
    return {
        "round": n,
        "image": image,
        "completed": completed,
        "devices": len(devices),
        "wall_s": round(wall, 2),
        "client_rss_kib": spread([c["rss"] for c in clients]),
        "client_fds_early": sorted(set(c["early"] for c in clients if c["early"] is not None)),
        "client_fds_late": sorted(set(c["late"] for c in clients if c["late"] is not None)),
        "client_wall_s": spread([round(c["ended"] - c["started"], 2) for c in clients]),
        "device_fds_before": sorted(set(before)),
        "device_fds_after": sorted(set(after)),
        "device_rss_kib": spread([status_kib(d.proc.pid, "VmRSS") for d in devices]),
        "device_peak_rss_kib": spread([status_kib(d.proc.pid, "VmHWM") for d in devices]),
        "failures": failures,
    }


def compare(rounds):
    """Figures that grew round over round."""
    problems = []
    if len(rounds) < 2:
        return problems
    # the first rounds (one of each image) set the baseline
    base = rounds[:len(IMAGES)]
    rss_client = max(r["client_rss_kib"]["max"] for r in base)
    rss_device = max(r["device_rss_kib"]["max"] for r in base)
    fd_client = max(max(r["client_fds_late"] or [0]) for r in base)
    fd_device = max(max(r["device_fds_after"] or [0]) for r in base)
    for r in rounds[len(IMAGES):]:
        if r["client_rss_kib"]["max"] > rss_client * 1.1 + RSS_NOISE_KIB:
            problems.append(f"round {r['round']}: client RSS up to {r['client_rss_kib']['max']} "
                            f"KiB, the first rounds' {rss_client}")
        if r["device_rss_kib"]["max"] > rss_device * 1.1 + RSS_NOISE_KIB:
            problems.append(f"round {r['round']}: device RSS up to {r['device_rss_kib']['max']} "
                            f"KiB, the first rounds' {rss_device}")
    for r in rounds[1:]:
        if max(r["client_fds_late"] or [0]) > fd_client:
            problems.append(f"round {r['round']}: clients end with {r['client_fds_late']} "
                            f"descriptors, the first rounds' {fd_client}")
        if max(r["device_fds_after"] or [0]) > fd_device:
            problems.append(f"round {r['round']}: devices hold {r['device_fds_after']} "
                            f"descriptors, the first rounds' {fd_device}")
    return problems


def line(r):
    c, d = r["client_rss_kib"], r["device_rss_kib"]
    return (f"round {r['round']:3}: {r['image']:24} {r['completed']}/{r['devices']} completed "
            f"in {r['wall_s']:6.1f} s; client RSS {c['min']}/{c['median']}/{c['max']} KiB "
            f"(min/median/max), fds early {r['client_fds_early']} late "
            f"{r['client_fds_late']}; devices fds {r['device_fds_before']} -> "
            f"{r['device_fds_after']}, RSS {d['min']}/{d['median']}/{d['max']} KiB, peak "
            f"{r['device_peak_rss_kib']['max']} KiB")


def main():
    shared = os.environ.get("SHARED_DIR", os.path.join(os.path.dirname(__file__), "..", "..",
                                                       "shared"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dfu-smp", default=os.environ.get("DFU_SMP", "build/dfu-smp"))
    ap.add_argument("--sim", default=os.environ.get("DFU_SMP_SIM", "build/dfu-smp-sim"))
    ap.add_argument("--images", default=os.path.join(shared, "testdata", "mcuboot"))
    ap.add_argument("--devices", type=int, default=32)
    ap.add_argument("--soak-minutes", type=float, default=0.0)
    ap.add_argument("--rounds", type=int, default=0, help="at least this many rounds")
    ap.add_argument("--busy-scale", default="0")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    if args.devices < 1:
        ap.error("--devices takes 1 or more")
    manifest = json.load(open(os.path.join(args.images, "manifest.json")))
    expected = {f["name"]: f.get("expected_image_hash") for f in manifest["files"]}

    tmp = tempfile.mkdtemp(prefix="dfu-smp-load-")
    devices = []
    rounds = []
    problems = []
    try:
        for i in range(args.devices):
            devices.append(Device(args.sim, tmp, i, args.busy_scale))
        print(f"{args.devices} dfu-smp-sim devices on 127.0.0.1 (busy scale "
              f"{args.busy_scale}); {os.cpu_count()} CPUs", flush=True)
        t0 = time.monotonic()
        n = 0
        while True:
            image = IMAGES[n % len(IMAGES)]
            r = run_round(args, devices, image, expected[image], tmp, n)
            rounds.append(r)
            print(line(r), flush=True)
            for f in r["failures"]:
                print(f"  {f}", flush=True)
            n += 1
            if n >= max(args.rounds, 1) and time.monotonic() - t0 >= args.soak_minutes * 60:
                break
        problems = [f for r in rounds for f in r["failures"]] + compare(rounds)
    finally:
        for d in devices:
            d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    summary = {"devices": args.devices, "rounds": rounds, "problems": problems}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
    if problems:
        print(f"FAILED: {len(problems)} problem(s)")
        for p in problems[:20]:
            print(f"  {p}")
        return 1
    print(f"ok: {len(rounds)} round(s), every upgrade completed, no descriptor or memory growth")
    return 0


if __name__ == "__main__":
    sys.exit(main())
