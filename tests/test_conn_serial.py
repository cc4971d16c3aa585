# SPDX-License-Identifier: Apache-2.0
"""dfu-smp over a serial console against dfu-smp-sim on a real pseudo-terminal: every group
with console noise around the frames, a whole upgrade, a frame with a bad CRC dropped and the
request sent again, the line options, a symlinked port, and ports that are no ports."""
import os
import unittest

import run_tool
from sim_device import (DFU_SMP, SimDevice, GroupChecks, check_bad_crc_asked_again,
                        check_upgrade, new_tmp)


def dfu(conn, *args):
    return run_tool.run(DFU_SMP, "--conn", conn, *args)


class Groups(GroupChecks, unittest.TestCase):
    """Log lines before and between the device's frames, a shell prompt on a frame's line."""

    @classmethod
    def setUpClass(cls):
        cls.sim = SimDevice("--serial", "--console-noise", "--busy-scale", "0")
        cls.conn = "serial:" + cls.sim.serial

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def setUp(self):
        self.tmp = new_tmp(self)


class Serial(unittest.TestCase):
    def test_upgrade_with_a_real_image(self):
        with SimDevice("--serial", "--console-noise", "--busy-scale", "0.1") as sim:
            check_upgrade(self, f"serial:{sim.serial}@1000000", "01-hash-only.bin")

    def test_a_bad_crc_is_dropped_and_asked_again(self):
        with SimDevice("--serial", "--bad-crc-every", "2", "--busy-scale", "0") as sim:
            check_bad_crc_asked_again(self, "serial:" + sim.serial)

    def test_lost_answers_with_short_paced_lines(self):
        """Lines of 64 bytes, a pause after each; every third answer lost."""
        with SimDevice("--serial", "--drop-every", "3", "--busy-scale", "0") as sim:
            conn = "serial:" + sim.serial
            tmp = new_tmp(self)
            local = os.path.join(tmp, "data")
            with open(local, "wb") as f:
                f.write(os.urandom(2000))
            opts = ("--timeout", "3", "--serial-line-max", "64", "--serial-lines", "1")
            p = dfu(conn, *opts, "fs", "upload", local, "/lfs/data")
            self.assertEqual(p.returncode, 0, p.stderr)
            p = dfu(conn, *opts, "fs", "download", "/lfs/data", local + ".back")
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(local, "rb") as a, open(local + ".back", "rb") as b:
                self.assertEqual(a.read(), b.read())

    def test_lines_longer_than_the_device_takes_get_no_answer(self):
        with SimDevice("--serial", "--busy-scale", "0") as sim:
            p = dfu("serial:" + sim.serial, "--timeout", "0.5", "--serial-line-max", "200",
                    "echo", "y" * 150)
            self.assertEqual(p.returncode, 3)
            self.assertIn("no answer on", p.stderr)
            self.assertIn("--serial-line-max", p.stderr)

    def test_symlinked_port(self):
        tmp = new_tmp(self)
        link = os.path.join(tmp, "ttyACM-sim")
        with SimDevice("--serial-link", link, "--busy-scale", "0") as sim:
            self.assertEqual(os.path.realpath(link), os.path.realpath(sim.serial))
            p = dfu("serial:" + link + "@9600", "echo", "through a link")
            self.assertEqual((p.returncode, p.stdout), (0, "through a link\n"), p.stderr)
        self.assertFalse(os.path.lexists(link))

    def test_ports_that_are_no_ports(self):
        p = dfu("serial:/nonexistent/tty", "echo", "x")
        self.assertEqual(p.returncode, 3)  # the link cannot be opened
        self.assertIn("cannot open /nonexistent/tty", p.stderr)
        p = dfu("serial:/dev/null", "echo", "x")
        self.assertEqual(p.returncode, 3)
        self.assertIn("not a serial port", p.stderr)
        for spec in ("serial:", "serial:/dev/ttyS0@12345", "serial:/dev/ttyS0@fast"):
            with self.subTest(spec=spec):
                p = dfu(spec, "echo", "x")
                self.assertEqual(p.returncode, 2, p.stderr)
        for opt in (("--serial-line-max", "6"), ("--serial-lines", "0"), ("--tries", "0")):
            with self.subTest(opt=opt):
                p = run_tool.run(DFU_SMP, *opt, "echo", "x")
                self.assertEqual(p.returncode, 2, p.stderr)


if __name__ == "__main__":
    unittest.main()
