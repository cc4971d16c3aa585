#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The device loses power in the middle of one step of an upgrade (dfu-smp-sim --power-cut
PHASE:N: the flash keeps what was done before the cut, then the program dies as if killed)
and is powered on again on its state directory, on the same UDP port: its bootloader runs
(finishing a cut swap). The same `dfu-smp upgrade` run goes on and ends with the new image in
slot 0, confirmed; one cut in the upload, in the mark (image test: its trailer magic half
written) and in the reset's swap. A cut in the confirm loses it, so the power-on reverts, as
MCUboot does: the run, which saw the new image running, marks it and resets again, once. Also a kill with an image marked (no cut) is a power-on that swaps it in, where a
graceful stop keeps the device running, the image still marked."""
import json
import os
import select
import signal
import subprocess
import time
import unittest

import run_tool
from sim_device import DFU_SMP, EXPECTED_HASH, IMAGES, SimDevice, new_tmp

IMAGE = "08-ecdsa-p256-480k.bin"  # made for a 0x80000 slot
DEVICE = ("--slot-size", "0x80000", "--busy-scale", "0")
# a whole trial, cut and powered on once, is done well within this
RUN_TIMEOUT = 120


class PowerCut(unittest.TestCase):
    def trial(self, cut, again=None):
        state = os.path.join(new_tmp(self), "state")
        sim = SimDevice("--udp", "127.0.0.1:0", "--state", state, "--power-cut", cut, "-v",
                        *DEVICE)
        port = sim.udp.rsplit(":", 1)[1]
        client = subprocess.Popen([DFU_SMP, "--conn", "udp:" + sim.udp, "-v", "upgrade",
                                   os.path.join(IMAGES, IMAGE)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out, log, cut_done = b"", b"", False
        deadline = time.monotonic() + RUN_TIMEOUT
        try:
            while True:
                left = deadline - time.monotonic()
                watch = [client.stdout] + ([] if cut_done else [sim.proc.stderr])
                ready = select.select(watch, [], [], max(0, left))[0] if left > 0 else []
                if not ready:
                    raise AssertionError(f"{cut}: no end within {RUN_TIMEOUT} s:\n"
                                         f"{out.decode(errors='replace')}")
                if sim.proc.stderr in ready:
                    chunk = os.read(sim.proc.stderr.fileno(), 65536)
                    log += chunk
                    if not chunk:
                        # the power went: the program died as a killed one does
                        self.assertEqual(sim.proc.wait(timeout=10), -signal.SIGKILL)
                        self.assertIn(b"power cut at " + cut.encode(), log)
                        cut_done = True
                        sim.kill()
                        sim = SimDevice("--udp", f"127.0.0.1:{port}", "--state", state,
                                        *DEVICE)
                if client.stdout in ready:
                    chunk = os.read(client.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    out += chunk
            rc = client.wait(timeout=max(1, deadline - time.monotonic()))
            text = out.decode(errors="replace")
            for mark in run_tool.SANITIZER_MARKS:
                self.assertNotIn(mark, text)
            self.assertTrue(cut_done, f"{cut}: the power never went:\n{text}")
            conn = "udp:127.0.0.1:" + port
            if again:
                # the run saw the new image running, then the old one: it marks it again
                self.assertIn(again, text)
            self.assertEqual(rc, 0, f"{cut}:\n{text}")
            self.assertIn("confirmed", text)
            slot0 = self.images(conn)[0]
            self.assertEqual(slot0["hash"], EXPECTED_HASH[IMAGE])
            self.assertTrue(slot0["active"])
            self.assertTrue(slot0["confirmed"])
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
            client.stdout.close()
            sim.kill()

    def images(self, conn):
        """Slot 0's and slot 1's entries of the image list."""
        p = run_tool.run(DFU_SMP, "--conn", conn, "--json", "image", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        images = json.loads(p.stdout)["images"]
        return [[i for i in images if i["slot"] == s][0] for s in (0, 1)]

    def restart_after(self, stop):
        """An image marked for test without a reset, then the device stopped by @p stop and
        started again on its state: the image list then."""
        state = os.path.join(new_tmp(self), "state")
        sim = SimDevice("--udp", "127.0.0.1:0", "--state", state, *DEVICE)
        try:
            conn = "udp:" + sim.udp
            p = run_tool.run(DFU_SMP, "--conn", conn, "upgrade", "--no-reset",
                             os.path.join(IMAGES, IMAGE), timeout=RUN_TIMEOUT)
            self.assertEqual(p.returncode, 0, p.stderr)
            stop(sim)
            sim = SimDevice("--udp", "127.0.0.1:" + sim.udp.rsplit(":", 1)[1], "--state", state,
                            *DEVICE)
            return self.images(conn)
        finally:
            sim.kill()

    def test_kill_is_power_on(self):
        # killed: the next start is a power-on, and MCUboot swaps the marked image in
        slot0, slot1 = self.restart_after(SimDevice.kill)
        self.assertEqual(slot0["hash"], EXPECTED_HASH[IMAGE])
        self.assertTrue(slot0["active"])
        self.assertFalse(slot0["confirmed"])
        self.assertNotEqual(slot1["hash"], EXPECTED_HASH[IMAGE])

    def test_stop_keeps_running(self):
        # stopped gracefully: the device kept running, the image is still marked
        slot0, slot1 = self.restart_after(SimDevice.stop)
        self.assertNotEqual(slot0["hash"], EXPECTED_HASH[IMAGE])
        self.assertTrue(slot0["active"] and slot0["confirmed"])
        self.assertEqual(slot1["hash"], EXPECTED_HASH[IMAGE])
        self.assertTrue(slot1["pending"])

    # a 480 KiB upgrade takes about 123500 units of upload, 5 of mark (image test: the swap
    # type, then the 16-byte magic in 4 blocks), 372450 of boot (the test swap) and 1 of
    # confirm (dfu-smp-sim -v logs them)
    def test_upload(self):
        self.trial("upload:60000")

    def test_mark(self):
        self.trial("mark:2")

    def test_boot(self):
        self.trial("boot:150000")

    def test_confirm(self):
        self.trial("confirm:0", again="the device reverted the new image before its "
                                      "confirm was written")


if __name__ == "__main__":
    unittest.main()
