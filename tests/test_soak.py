#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The short fault-injection soak: soak.py (what `make soak` runs 500 times) for one trial of
each fault kind, over UDP and serial, with a fixed seed: every trial must end
with the device booting one of its images, no wrong confirm, and the upgrade run again ending
confirmed."""
import os
import re
import subprocess
import unittest

SOAK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "soak.py")
TRIALS = 16  # one of each fault kind
SEED = 1
TIMED = ("device-kill", "client-kill", "client-int")


class ShortSoak(unittest.TestCase):
    def test_every_fault_kind(self):
        p = subprocess.run(["/usr/bin/python3", SOAK, "--trials", str(TRIALS), "--seed",
                            str(SEED), "--jobs", "2", "--serial-share", "0.25"],
                           capture_output=True, text=True, timeout=280)
        out = p.stdout + p.stderr
        self.assertEqual(p.returncode, 0, out)
        self.assertIn(f"{TRIALS} trials in", out)
        table = out[out.index(f"{TRIALS} trials in"):]
        for kind in ("power-upload", "power-mark", "power-boot", "power-confirm",
                     "device-kill", "outage", "client-kill", "client-int", "drop", "delay",
                     "dup", "reorder", "corrupt", "stale", "error", "rollback"):
            row = re.search(rf"\n{kind} +(\d+) +(\d+) ", table)
            self.assertTrue(row and int(row.group(1)) >= 1, out)
            if kind not in TIMED:  # a kill at a time may come after the run's end
                self.assertEqual(row.group(2), row.group(1), f"{kind}: fault not made\n{out}")
        self.assertIn("devices left without a bootable image: 0; wrong confirms: 0; "
                      "trials that broke a promise: 0", out)


if __name__ == "__main__":
    unittest.main()
