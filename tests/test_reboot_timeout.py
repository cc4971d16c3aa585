#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""--reboot-timeout bounds the wait for a device gone in the middle of a command, over UDP (its
datagrams refused) and over a serial pseudo-terminal (the port gone): the device killed in the
upload and kept down, the run fails once that time has passed, saying how long it waited and
naming the option, with the link's exit status (3), while the device is still down; back
within it, the run finishes (test_device_restart's trials, with the option)."""
import re
import threading
import unittest

from test_device_restart import RUN_TIMEOUT, SIZE, Trial


class RebootTimeout(unittest.TestCase):
    """--reboot-timeout 3: the device killed in the upload and kept down fails the run once
    those 3 s have passed, saying so, long before the device would have come back (DOWN_S,
    the default bound's 60 s being longer still); with --reboot-timeout 20 and the device
    away 2 s, the run finishes."""
    BOUND_S = 3
    DOWN_S = 30  # the device stays down at least this long: the run must end meanwhile

    def kept_down(self, transport):
        t = Trial(self, transport, SIZE // 5, away_s=None,
                  options=("--reboot-timeout", str(self.BOUND_S)))
        done = threading.Event()

        def run():
            t.run()
            done.set()
        threading.Thread(target=run, daemon=True).start()
        self.assertTrue(done.wait(self.DOWN_S + RUN_TIMEOUT), str(t))
        if t.error:
            raise t.error
        out = t.out.decode(errors="replace")
        self.assertIsNotNone(t.killed_at, out)
        self.assertEqual(t.rc, 3, out)  # the link's
        self.assertIn(f"did not come back within {self.BOUND_S} s (waited ", out)
        self.assertIn("--reboot-timeout SECONDS gives the device longer", out)
        # it ended while the device was still down: within the bound, not the default 60 s
        waited = float(re.search(r"\(waited ([\d.]+) s\)", out).group(1))
        self.assertLessEqual(waited, self.BOUND_S + 0.5, out)
        lines = [line for line in out.splitlines() if "upgrade: exit status" in line]
        self.assertTrue(lines, out)
        ended_ms = float(re.search(r"\[ *([\d.]+) ms\]", lines[-1]).group(1))
        self.assertLess(ended_ms / 1000.0, self.DOWN_S, out)

    def back_in_time(self, transport):
        t = Trial(self, transport, SIZE // 5, options=("--reboot-timeout", "20"))
        t.run()
        if t.error:
            raise t.error

    def test_udp_kept_down(self):
        self.kept_down("udp")

    def test_serial_kept_down(self):
        self.kept_down("serial")

    def test_udp_back_in_time(self):
        self.back_in_time("udp")

    def test_serial_back_in_time(self):
        self.back_in_time("serial")


if __name__ == "__main__":
    unittest.main()
