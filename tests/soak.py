#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The fault-injection soak (`make soak`; a short run is a test): many upgrades of the 480 KiB
image to dfu-smp-sim, each with one fault at a random point, every trial reproducible from the
seed and its number. The faults: the device loses power (at a chosen flash operation of a
phase, --power-cut, or killed with SIGKILL at a random time) and starts again on its state
directory; its link goes away for a while; the client is killed (SIGKILL or SIGINT); answers
are lost, delayed, duplicated, reordered, corrupted, or repeat an earlier one; the device
answers with an error; the new image crashes and MCUboot rolls it back.

After each trial's faulted run the device is powered off and on again, then checked: it must
boot the old image or the new one, never none; the new one is never marked for good and never
confirmed before it ran (the device logs every image state write); a run that said it
succeeded left the new image running, confirmed. Then the same command runs again, with no
fault, and must end with the new image running, confirmed. The faulted run itself must finish
after a power loss, a link away for less than a request's tries take (3 s), answers lost,
held back or repeated, with one exception that is MCUboot's rule: the power lost while the
new image runs for its test, not yet confirmed, makes the next power-on revert it, which that
run reports as rolled back (exit 5). A table of faults and outcomes ends the run; the exit
status is 1 when any trial broke a promise.

usage: soak.py [--trials N] [--minutes M] [--seed S] [--jobs J] [--only I] [--keep DIR]
"""
import argparse
import collections
import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time

# run by hand from the source tree: the programs of build/, the shared test data beside it
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DFU_SMP", os.path.join(ROOT, "build", "dfu-smp"))
os.environ.setdefault("SHARED_DIR", os.path.join(os.path.dirname(ROOT), "shared"))

import run_tool  # noqa: E402 (after the defaults it reads)
from sim_device import DFU_SMP, DFU_SMP_SIM, EXPECTED_HASH, IMAGES  # noqa: E402

IMAGE = "08-ecdsa-p256-480k.bin"  # made for a 0x80000 slot
NEW_HASH = EXPECTED_HASH[IMAGE]
# the simulated nRF52840's flash times a twentieth: the upload's answers spread over a second
DEVICE = ("--slot-size", "0x80000", "--busy-scale", "0.05", "-v")
CLIENT = ("--timeout", "5")
# a faulted run ends well within this (one reconnect, timeouts): past it, the run hung
RUN_BOUND_S = 150
START_BOUND_S = 20
# what a faulted run is allowed to end with: the same run finished, or a clear failure
FAILURE_CODES = {1, 3, 5, 130, -signal.SIGKILL}

# kind -> weight: trials take the kinds in turn, the power cuts more often
KINDS = {
    "power-upload": 2, "power-mark": 1, "power-boot": 2, "power-confirm": 1,
    "device-kill": 2, "outage": 2, "client-kill": 1, "client-int": 1, "drop": 1, "delay": 1,
    "dup": 1, "reorder": 1, "corrupt": 1, "stale": 1, "error": 1, "rollback": 1,
}
# faults the same run must ride out: the device comes back within --reboot-timeout, or the
# link only loses, holds back or repeats answers
SAME_RUN = {"power-upload", "power-mark", "power-boot", "power-confirm", "device-kill",
            "outage", "drop", "delay", "dup", "reorder", "stale"}
PROGRESS = re.compile(rb"uploading +(\d+) of (\d+) bytes")
# the longest outage every request rides out: its last try goes 2/3 into --timeout (3.3 s)
OUTAGE_RIDDEN_MS = 3000
ERRORS = (1, 2, 6, 10)  # EUNKNOWN, ENOMEM, EBADSTATE, EBUSY


class Device:
    """One dfu-smp-sim on a state directory; killed and started again as power comes and
    goes, on the same UDP port or serial link path. Its log (-v) goes to a file per start."""

    def __init__(self, trial, transport, extra=()):
        self.trial, self.transport = trial, transport
        self.state = os.path.join(trial.dir, "state")
        self.link = os.path.join(trial.dir, "tty")
        self.port = 0
        self.proc = None
        self.starts = 0
        self.start(extra)

    def start(self, extra=()):
        self.starts += 1
        log = open(os.path.join(self.trial.dir, f"device-{self.starts}.log"), "wb")
        where = (("--udp", f"127.0.0.1:{self.port}") if self.transport == "udp"
                 else ("--serial-link", self.link))
        self.proc = subprocess.Popen([DFU_SMP_SIM, *where, "--state", self.state, *DEVICE,
                                      *extra], stdout=subprocess.PIPE, stderr=log)
        log.close()
        out = b""
        deadline = time.monotonic() + START_BOUND_S
        while not out.endswith(b"ready\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise RuntimeError(f"dfu-smp-sim did not start: {out!r}")
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"dfu-smp-sim exited at start: {out!r}")
            out += chunk
        for line in out.decode().splitlines():
            if line.startswith("udp: "):
                self.port = int(line.rsplit(":", 1)[1])

    @property
    def conn(self):
        return f"udp:127.0.0.1:{self.port}" if self.transport == "udp" else \
            f"serial:{self.link}"

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        """Power off: SIGKILL; its port goes with it (a USB device's tty does)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        if self.transport == "serial" and os.path.lexists(self.link):
            os.unlink(self.link)

    def booting(self):
        """True between a reset and the confirm: the new image's test boot, which MCUboot
        reverts at the next power-on if the power goes before the image is confirmed."""
        with open(os.path.join(self.trial.dir, f"device-{self.starts}.log"), "rb") as f:
            log = f.read()
        return log.rfind(b"the device resets") > log.rfind(b"the running image confirmed")

    def logs(self):
        text = ""
        for i in range(1, self.starts + 1):
            with open(os.path.join(self.trial.dir, f"device-{i}.log"), "rb") as f:
                text += f.read().decode(errors="replace")
        return text


def dfu(conn, *args, timeout=60):
    return run_tool.run(DFU_SMP, "--conn", conn, *CLIENT, *args, timeout=timeout)


def slot0(conn):
    """Slot 0 as `image list` shows it, or None when the device does not answer."""
    try:
        p = dfu(conn, "--json", "image", "list", timeout=30)
    except subprocess.TimeoutExpired:
        return None
    if p.returncode != 0:
        return None
    images = json.loads(p.stdout)["images"]
    return next((i for i in images if i["slot"] == 0), None)


class Trial:
    """Trial @p number of the soak of @p seed: its fault drawn from both, so it is the same
    every time it is run."""

    def __init__(self, soak, number):
        self.soak, self.number = soak, number
        rng = random.Random(f"{soak.seed}/{number}")
        cycle = soak.cycle
        self.kind = cycle[number % len(cycle)]
        self.transport = "serial" if rng.random() < soak.serial_share else "udp"
        self.at = rng.random()  # where in the run, as a share of a clean run
        self.count = rng.randint(1, 3)
        self.ms = rng.randint(100, 5000)
        self.unit_share = rng.random()
        self.rc = rng.choice(ERRORS)
        self.dir = None
        self.outcome = None
        self.problems = []
        self.killed_in_boot = False
        self.struck = self.fired = False  # the fault was made: a trial without one proves little

    def describe(self):
        what = {
            "power": lambda: f"power cut in {self.kind[6:]} at flash unit "
                             f"{self.power_unit()}, down {self.ms} ms",
            "device-kill": lambda: f"device killed at {self.at:.3f}, down {self.ms} ms",
            "outage": lambda: f"link away {self.ms} ms from answer {self.answer()}",
            "client-kill": lambda: f"client killed at {self.at:.3f}",
            "client-int": lambda: f"client interrupted at {self.at:.3f}",
            "error": lambda: f"rc {self.rc} at answer {self.answer()}",
            "rollback": lambda: "the new image crashes",
        }.get(self.kind.split("-")[0] if self.kind.startswith("power-") else self.kind,
              lambda: f"{self.kind} answers {self.answer()}x{self.count}"
                                 + (f", {self.ms} ms" if self.kind == "delay" else ""))()
        return f"trial {self.number} ({self.transport}): {what}"

    def marker(self):
        """What the device logs (-v) when it makes the trial's fault."""
        if self.kind.startswith("power-"):
            return "power cut at"
        if self.kind == "rollback":
            return "the new image crashes"
        return f"--fault {self.kind}"

    def outlasts_tries(self):
        """An outage that may swallow every try of a request (sent --tries 3 times within
        --timeout 5 s: the last 3.3 s after the first, sent a little before the answer it
        lost was due) may fail the run, clearly."""
        return self.kind == "outage" and self.ms >= OUTAGE_RIDDEN_MS

    def power_unit(self):
        """The flash unit of the phase where power goes: drawn from those a run takes."""
        return int(self.unit_share * self.soak.units[self.transport].get(self.kind[6:], 1))

    def answer(self):
        return 1 + int(self.at * self.soak.answers[self.transport])

    def device_options(self):
        k = self.kind
        if k.startswith("power-"):
            return ("--power-cut", f"{k[6:]}:{self.power_unit()}")
        if k == "rollback":
            return ("--rollback",)
        if k == "outage":
            return ("--fault", f"outage@{self.answer()}:{self.ms}")
        if k == "error":
            return ("--fault", f"error@{self.answer()}:{self.rc}")
        if k == "delay":
            return ("--fault", f"delay@{self.answer()}x{self.count}:{self.ms}")
        if k in ("drop", "dup", "reorder", "corrupt", "stale"):
            return ("--fault", f"{k}@{self.answer()}x{self.count}")
        return ()

    def run(self, keep):
        self.dir = tempfile.mkdtemp(prefix=f"soak-{self.number}-", dir=keep)
        device = None
        try:
            device = Device(self, self.transport, self.device_options())
            self.check(device)
        except Exception as e:  # a broken harness step is a failed trial, not a lost one
            self.problems.append(f"{type(e).__name__}: {e}")
        finally:
            if device:
                device.kill()
        if not self.problems and not keep:
            subprocess.run(["rm", "-rf", self.dir])
        return self

    def check(self, device):
        before = slot0(device.conn)
        if not before or before["hash"] == NEW_HASH:
            self.problems.append(f"the fresh device shows {before}")
            return
        old_hash = before["hash"]
        rc, out = self.faulted_run(device)
        # power off and on again wherever the run left the device: it must boot either image
        device.kill()
        device.start()
        after = slot0(device.conn)
        logs = device.logs()
        if not self.fired:
            self.fired = self.kind in ("device-kill", "client-kill", "client-int") and \
                self.struck or self.marker() in logs
        if after is None:
            self.problems.append("no bootable image: the device does not answer after a "
                                 "power cycle" + (" (the bootloader found no valid image)"
                                                  if "found no valid image" in logs else ""))
            self.outcome = "left without an image"
            return
        if after["hash"] not in (old_hash, NEW_HASH):
            self.problems.append(f"slot 0 holds neither image: {after}")
        self.check_state_writes(logs, old_hash)
        if rc == 0 and not (after["hash"] == NEW_HASH and after["confirmed"]):
            self.problems.append(f"the run said it succeeded, but slot 0 is {after}")
        if self.kind == "device-kill" and self.killed_in_boot and rc == 5 and \
                after["hash"] == old_hash:
            pass  # the power went in the new image's test run: MCUboot reverted it
        elif self.kind == "rollback":
            if rc != 5:
                self.problems.append(f"a rolled-back upgrade exited {rc}, not 5:\n{out}")
            # the crash was the new build's; the run again is against one that runs
            device.kill()
            device.start()
        elif rc != 0 and self.kind in SAME_RUN and not self.outlasts_tries():
            self.problems.append(f"the same run did not ride out {self.kind} "
                                 f"(exit {rc}):\n{out[-2000:]}")
        elif rc not in FAILURE_CODES | {0}:
            self.problems.append(f"the faulted run exited {rc}:\n{out[-2000:]}")
        again = dfu(device.conn, "upgrade", os.path.join(IMAGES, IMAGE), timeout=RUN_BOUND_S)
        final = slot0(device.conn)
        if again.returncode != 0 or not final or final["hash"] != NEW_HASH or \
                not final["confirmed"] or not final["active"]:
            self.problems.append(f"the run again ended {again.returncode} with slot 0 "
                                 f"{final}:\n{again.stdout[-1500:]}{again.stderr[-1500:]}")
        logs = device.logs()
        self.check_state_writes(logs, old_hash)
        for mark in run_tool.SANITIZER_MARKS:
            if mark in logs:
                self.problems.append(f"dfu-smp-sim: sanitizer report (see {self.dir})")
                break
        self.outcome = ("same run finished" if rc == 0 else
                        "rolled back, then finished" if rc == 5 else
                        "failed, run again finished")

    def check_state_writes(self, logs, old_hash):
        """Every image state write the device saw: marks only for a test, only of the new
        image; a confirm only of an image that runs (the log names the running one)."""
        for line in logs.splitlines():
            if "image state:" not in line:
                continue
            h = line.rsplit("hash ", 1)[1].strip()
            if "marked for good" in line:
                self.problems.append(f"wrong confirm: {line.strip()}")
            elif "marked for a test" in line and h != NEW_HASH:
                self.problems.append(f"marked an image that is not the new one: {line}")
            elif "confirmed" in line and h not in (NEW_HASH, old_hash):
                self.problems.append(f"confirmed an unknown image: {line}")

    def faulted_run(self, device):
        """The upgrade with the fault: the client killed or interrupted, or the device killed
        and started again, at the trial's point. @return (exit status, output)."""
        client = subprocess.Popen([DFU_SMP, "--conn", device.conn, *CLIENT, "upgrade",
                                   os.path.join(IMAGES, IMAGE)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = b""
        start = time.monotonic()
        # half the strikes fall in the upload, at a share of its bytes (the client prints
        # every tenth); the others at a share of a clean run's time, mostly its reboot wait
        in_upload = self.at < 0.5
        strike = None if in_upload else \
            start + (self.at - 0.5) * 2 * self.soak.clean_s[self.transport]
        struck = self.kind not in ("device-kill", "client-kill", "client-int")
        down_until = None
        deadline = start + RUN_BOUND_S
        try:
            while True:
                now = time.monotonic()
                if now >= deadline:
                    raise RuntimeError(f"the faulted run did not end within {RUN_BOUND_S} s:"
                                       f"\n{out.decode(errors='replace')[-2000:]}")
                if not struck and in_upload:
                    sent = PROGRESS.findall(out)
                    if sent and int(sent[-1][0]) >= self.at * 1.8 * int(sent[-1][1]):
                        strike = now
                if not struck and strike is not None and now >= strike:
                    struck = True
                    self.struck = client.poll() is None  # not too late to make it
                    if self.kind == "device-kill":
                        self.killed_in_boot = device.booting()
                        device.kill()
                        down_until = now + self.ms / 1000
                    else:
                        client.send_signal(signal.SIGKILL if self.kind == "client-kill"
                                           else signal.SIGINT)
                if down_until is None and not device.alive():  # a power cut
                    device.kill()
                    down_until = now + self.ms / 1000
                if down_until is not None and now >= down_until:
                    down_until = None
                    device.start()
                waits = [t for t in (None if struck else strike, down_until, deadline,
                                     now + 0.05) if t]
                ready = select.select([client.stdout], [], [], max(0, min(waits) - now))[0]
                if ready:
                    chunk = os.read(client.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    out += chunk
            rc = client.wait(timeout=max(1, deadline - time.monotonic()))
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
            client.stdout.close()
        if down_until is not None or not device.alive():
            device.kill()
            device.start()
        text = out.decode(errors="replace")
        with open(os.path.join(self.dir, "client.log"), "w") as f:
            f.write(f"exit {rc}\n{text}")
        for mark in run_tool.SANITIZER_MARKS:
            if mark in text:
                self.problems.append(f"sanitizer report:\n{text}")
        return rc, text


class Soak:
    def __init__(self, args):
        self.seed = args.seed
        self.serial_share = args.serial_share
        self.power_cut = "--power-cut" in subprocess.run(
            [DFU_SMP_SIM, "--help"], capture_output=True, text=True).stdout
        self.clean_s, self.answers, self.units = {}, {}, {}
        # the kinds in turn, each once first, then again as often as its weight says: any
        # run of as many trials as there are kinds has them all
        kinds = [k for k in KINDS if not k.startswith("power-") or self.power_cut]
        self.cycle = kinds + [k for k in kinds for _ in range(KINDS[k] - 1)]

    def calibrate(self, transport, keep):
        """A run without fault: how long it takes, how many answers, how many flash units
        each phase takes, where the trials' points are drawn from."""
        trial = Trial.__new__(Trial)
        trial.dir = tempfile.mkdtemp(prefix="soak-clean-", dir=keep)
        device = Device(trial, transport)
        try:
            start = time.monotonic()
            p = dfu(device.conn, "upgrade", os.path.join(IMAGES, IMAGE), timeout=RUN_BOUND_S)
            self.clean_s[transport] = time.monotonic() - start
            if p.returncode != 0:
                raise RuntimeError(f"the run without fault failed: {p.stdout}{p.stderr}")
        finally:
            device.kill()
        logs = device.logs()
        self.answers[transport] = sum(1 for line in logs.splitlines() if ": answer " in line)
        units = {}
        for line in logs.splitlines():
            # "flash units: upload N mark N ... any N" (dfu-smp-sim -v, after each boot)
            if "flash units:" in line:
                words = line.split("flash units:", 1)[1].split()
                for name, n in zip(words[::2], words[1::2]):
                    if n.isdigit():
                        units[name] = max(units.get(name, 0), int(n))
        self.units[transport] = units
        if not keep:
            subprocess.run(["rm", "-rf", trial.dir])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=500)
    ap.add_argument("--minutes", type=float, default=0,
                    help="run trials for this long instead (SOAK_MINUTES)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--serial-share", type=float, default=0.2,
                    help="the share of trials over serial (a pseudo-terminal)")
    ap.add_argument("--only", type=int, action="append",
                    help="run only this trial (repeatable): to reproduce one")
    ap.add_argument("--keep", help="keep every trial's logs in this directory")
    args = ap.parse_args()
    soak = Soak(args)
    keep = args.keep
    if keep:
        os.makedirs(keep, exist_ok=True)
    for transport in ("udp", "serial"):
        if transport == "udp" or args.serial_share > 0:
            soak.calibrate(transport, keep)
    print(f"soak: seed {args.seed}; a run without fault takes "
          + ", ".join(f"{t} {s:.1f} s and {soak.answers[t]} answers"
                      for t, s in soak.clean_s.items())
          + ("" if soak.power_cut else "; dfu-smp-sim has no --power-cut: no power cuts"),
          flush=True)
    numbers = args.only or (range(args.trials) if not args.minutes else None)
    done = []
    lock = threading.Lock()
    counter = iter(numbers) if numbers is not None else iter(range(10 ** 9))
    stop_at = time.monotonic() + args.minutes * 60 if args.minutes else None
    start = time.monotonic()

    def worker():
        while True:
            with lock:
                if stop_at and time.monotonic() >= stop_at:
                    return
                n = next(counter, None)
            if n is None:
                return
            t = Trial(soak, n).run(keep)
            with lock:
                done.append(t)
                if t.problems:
                    print(f"FAILED {t.describe()}:\n  " + "\n  ".join(t.problems)
                          + f"\n  logs: {t.dir}", flush=True)
                elif len(done) % 25 == 0:
                    print(f"  {len(done)} trials, {time.monotonic() - start:.0f} s",
                          flush=True)

    threads = [threading.Thread(target=worker) for _ in range(max(1, args.jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report(done, time.monotonic() - start)
    return 1 if any(t.problems for t in done) or not done else 0


OUTCOMES = (("same run finished", "same run"), ("failed, run again finished", "run again"),
            ("rolled back, then finished", "rolled back"),
            ("left without an image", "no image"), ("BROKEN", "broken"))


def report(done, seconds):
    """The table: per fault, the trials and how they ended; then what was lost."""
    rows = collections.defaultdict(collections.Counter)
    for t in done:
        rows[t.kind][t.outcome if not t.problems else "BROKEN"] += 1
    print(f"\n{len(done)} trials in {seconds:.0f} s; made = trials whose fault happened "
          "(the device logged it, or the kill came while the client ran); outcomes: same run "
          "= the faulted run finished, confirmed; run again = it failed clearly and the same "
          "command run again finished")
    fired = collections.Counter(t.kind for t in done if t.fired)
    print(f"{'fault':<13} {'trials':>6} {'made':>5} " +
          " ".join(f"{short:>11}" for _, short in OUTCOMES))
    for kind in KINDS:
        if kind in rows:
            c = rows[kind]
            print(f"{kind:<13} {sum(c.values()):>6} {fired[kind]:>5} " +
                  " ".join(f"{c[o]:>11}" for o, _ in OUTCOMES))
    broken = sum(1 for t in done if t.problems)
    lost = sum(1 for t in done if t.outcome == "left without an image")
    wrong = sum(1 for t in done for p in t.problems if p.startswith("wrong confirm"))
    print(f"devices left without a bootable image: {lost}; wrong confirms: {wrong}; "
          f"trials that broke a promise: {broken}")


if __name__ == "__main__":
    sys.exit(main())
