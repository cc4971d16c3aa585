#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The device dies in the middle of an upload (dfu-smp-sim killed with SIGKILL), stays away
for 2 s and starts again on its state directory: the same `dfu-smp upgrade` run waits for it
and finishes, the image confirmed. Over UDP (the same port: refusals while it is away) and
over a serial pseudo-terminal (the same link path: the port hangs up, then comes back), each
killed at three points of the upload (the UDP trials side by side, the serial ones one
after the other)."""
import json
import os
import re
import select
import subprocess
import threading
import time
import unittest

import run_tool
from sim_device import DFU_SMP, EXPECTED_HASH, IMAGES, SimDevice, new_tmp

IMAGE = "08-ecdsa-p256-480k.bin"  # made for a 0x80000 slot
SIZE = os.path.getsize(os.path.join(IMAGES, IMAGE))
DEVICE = ("--slot-size", "0x80000", "--busy-scale", "0.1")
# the device is killed once the upload has passed this many bytes
KILL_AT = (1, SIZE * 2 // 5, SIZE * 4 // 5)
AWAY_S = 2.0
# a whole trial, killed and restarted once, is done well within this
RUN_TIMEOUT = 150
PROGRESS = re.compile(rb"uploading +(\d+) of ")


class Trial:
    """One upgrade run against a device killed once the upload has passed @p kill_at bytes."""

    def __init__(self, test, transport, kill_at, away_s=AWAY_S, options=()):
        self.test, self.transport, self.kill_at = test, transport, kill_at
        self.away_s, self.options = away_s, options
        self.rc = None
        tmp = new_tmp(test)
        self.state = os.path.join(tmp, "state")
        self.link = os.path.join(tmp, "tty")
        self.killed_at = None
        self.out = b""
        self.error = None

    def start_device(self, port=0):
        if self.transport == "udp":
            return SimDevice("--udp", f"127.0.0.1:{port}", "--state", self.state, *DEVICE)
        return SimDevice("--serial-link", self.link, "--state", self.state, *DEVICE)

    def run(self):
        try:
            self._run()
        except BaseException as e:  # reported by the test's thread
            self.error = e

    def _run(self):
        sim = self.start_device()
        conn = "udp:" + sim.udp if self.transport == "udp" else "serial:" + self.link
        client = subprocess.Popen([DFU_SMP, "--conn", conn, *self.options, "-v", "upgrade",
                                   os.path.join(IMAGES, IMAGE)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + RUN_TIMEOUT
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([client.stdout], [], [], left)[0]:
                    raise AssertionError(f"{self}: no end within {RUN_TIMEOUT} s:\n"
                                         f"{self.out.decode(errors='replace')}")
                chunk = os.read(client.stdout.fileno(), 65536)
                if not chunk:
                    break
                self.out += chunk
                done = PROGRESS.findall(self.out)
                if self.killed_at is None and done and int(done[-1]) >= self.kill_at:
                    self.killed_at = int(done[-1])
                    sim.kill()  # SIGKILL
                    if self.transport == "serial":
                        # a device that loses power takes its port with it (as a USB
                        # device's /dev/ttyACM0 goes); the dead simulator's link would
                        # otherwise point at a pty number another program may get next
                        os.unlink(self.link)
                    # the device stays away: waiting on nothing is the point here
                    if self.away_s is None:
                        sim = None  # for good: the client must give up on its own
                        continue
                    threading.Event().wait(self.away_s)
                    sim = self.start_device(conn.rsplit(":", 1)[1]
                                            if self.transport == "udp" else 0)
            rc = client.wait(timeout=max(1, deadline - time.monotonic()))
            self.rc = rc
            if self.away_s is None:
                return
            out = self.out.decode(errors="replace")
            for mark in run_tool.SANITIZER_MARKS:
                self.test.assertNotIn(mark, out)
            self.test.assertIsNotNone(self.killed_at, f"{self}: never killed:\n{out}")
            self.test.assertLess(self.killed_at, SIZE, out)
            # the kill fell in the upload, not after it
            before = out[:out.index(f" {self.killed_at} of ")]
            self.test.assertNotRegex(before, r"uploading +[\d.]+ KiB in ", out)
            self.test.assertEqual(rc, 0, f"{self}:\n{out}")
            self.test.assertIn("confirmed", out)
            p = run_tool.run(DFU_SMP, "--conn", conn, "--json", "image", "list")
            self.test.assertEqual(p.returncode, 0, p.stderr)
            slot0 = [i for i in json.loads(p.stdout)["images"] if i["slot"] == 0][0]
            self.test.assertEqual(slot0["hash"], EXPECTED_HASH[IMAGE])
            self.test.assertTrue(slot0["active"])
            self.test.assertTrue(slot0["confirmed"])
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
            client.stdout.close()
            if sim:
                sim.kill()

    def __str__(self):
        return f"{self.transport}, killed past {self.kill_at} bytes"


class DeviceRestart(unittest.TestCase):
    def trials(self, transport, side_by_side):
        trials = [Trial(self, transport, at) for at in KILL_AT]
        threads = [threading.Thread(target=t.run) for t in trials]
        for t in threads:
            t.start()
            if not side_by_side:
                t.join()
        for t in threads:
            t.join()
        for t in trials:
            with self.subTest(trial=str(t)):
                if t.error:
                    raise t.error

    def test_udp(self):
        self.trials("udp", True)

    def test_serial(self):
        # one at a time: side by side on a loaded 2-core host, a pty upload can slow to 1 kB/s
        self.trials("serial", False)


if __name__ == "__main__":
    unittest.main()
