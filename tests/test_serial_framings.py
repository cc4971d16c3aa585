# SPDX-License-Identifier: Apache-2.0
"""dfu-smp over the raw UART and COBS serial framings (serial:PATH?framing=raw|cobs) against
dfu-smp-sim --serial --framing raw|cobs on a real pseudo-terminal: every group, a whole upgrade
with a real image, a COBS answer with a bad CRC dropped and asked again, a framing the port
does not speak, and framing names that do not exist."""
import json
import unittest

import run_tool
from sim_device import (DFU_SMP, DFU_SMP_SIM, SimDevice, GroupChecks, check_bad_crc_asked_again,
                        check_upgrade, new_tmp)


def dfu(conn, *args):
    return run_tool.run(DFU_SMP, "--conn", conn, *args)


class FramingGroups(GroupChecks):
    """Every group over dfu-smp-sim serving the framing `framing`, at the baud rate `baud`."""

    @classmethod
    def setUpClass(cls):
        cls.sim = SimDevice("--serial", "--framing", cls.framing, "--busy-scale", "0")
        cls.conn = f"serial:{cls.sim.serial}{cls.baud}?framing={cls.framing}"

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def setUp(self):
        self.tmp = new_tmp(self)


class RawGroups(FramingGroups, unittest.TestCase):
    framing, baud = "raw", ""


class CobsGroups(FramingGroups, unittest.TestCase):
    framing, baud = "cobs", "@1000000"


class Framings(unittest.TestCase):
    def test_echo_image_list_and_upgrade(self):
        for framing in ("raw", "cobs"):
            with self.subTest(framing=framing), \
                    SimDevice("--serial", "--framing", framing, "--busy-scale", "0.1") as sim:
                conn = f"serial:{sim.serial}@115200?framing={framing}"
                p = dfu(conn, "-vv", "echo", "hello")
                self.assertEqual((p.returncode, p.stdout), (0, "hello\n"), p.stderr)
                self.assertIn(f"framing={framing}", p.stderr)
                self.assertNotIn(" lines", p.stderr)  # no console lines were sent
                p = dfu(conn, "--json", "image", "list")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertTrue(any(i["slot"] == 0 and i["active"]
                                    for i in json.loads(p.stdout)["images"]), p.stdout)
                check_upgrade(self, conn, "01-hash-only.bin")

    def test_a_bad_cobs_crc_is_dropped_and_asked_again(self):
        with SimDevice("--serial", "--framing", "cobs", "--bad-crc-every", "2",
                       "--busy-scale", "0") as sim:
            check_bad_crc_asked_again(self, f"serial:{sim.serial}?framing=cobs")

    def test_a_framing_the_port_does_not_speak(self):
        with SimDevice("--serial", "--busy-scale", "0") as sim:  # the console framing
            for framing in ("raw", "cobs"):
                with self.subTest(framing=framing):
                    p = dfu(f"serial:{sim.serial}?framing={framing}", "--timeout", "0.6",
                            "echo", "hi")
                    self.assertEqual(p.returncode, 3, p.stderr)
                    self.assertIn(f"framing={framing}", p.stderr)
                    self.assertIn("nothing came back at all", p.stderr)
            p = dfu(f"serial:{sim.serial}?framing=console", "echo", "hi")
            self.assertEqual((p.returncode, p.stdout), (0, "hi\n"), p.stderr)

    def test_unknown_framings_are_refused(self):
        for spec in ("/dev/null?framing=slip", "/dev/null?framing=", "/dev/null?baud=9600",
                     "/dev/null?framing=raw@115200", "/dev/null@?framing=raw"):
            with self.subTest(spec=spec):
                p = dfu("serial:" + spec, "echo", "hi")
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("serial:PATH[@BAUD][?framing=console|raw|cobs]", p.stderr)
        for args in (("--serial", "--framing", "slip"), ("--udp", "127.0.0.1:0", "--framing",
                                                          "raw"),
                     ("--serial", "--framing", "raw", "--console-noise")):
            with self.subTest(args=args):
                p = run_tool.run(DFU_SMP_SIM, *args)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("--framing" if "slip" in args or "--udp" in args
                              else "--console-noise", p.stderr)


if __name__ == "__main__":
    unittest.main()
