# SPDX-License-Identifier: Apache-2.0
"""`make demo` pointed at a running dfu-smp-sim through each transport (CONN=...), and on its
own (a dfu-smp-sim it starts over UDP, and dfu-smp-sim's device in process for the smallest
MTU): the whole session runs, the signed upgrade ends with the device running the new image,
confirmed, and a second run finds it already done."""
import json
import os
import subprocess
import unittest

import run_tool
from bluez_env import DEFAULT_ADDRESS, FakeBluez
from sim_device import DFU_SMP, DFU_SMP_SIM, IMAGES, SIMULATED_LINE, SimDevice

DEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "demo.sh")
NEW_VERSION = "2.0.0"  # 02-ecdsa-p256.bin, the image the demo upgrades to


def demo(conn, env=None):
    env = dict(env or os.environ, DFU_SMP_SIM=DFU_SMP_SIM)
    env.pop("CONN", None)
    if conn:
        env["CONN"] = conn
    p = subprocess.run(["sh", DEMO, DFU_SMP, IMAGES], capture_output=True, text=True,
                       timeout=300, env=env)
    for mark in run_tool.SANITIZER_MARKS:
        if mark in p.stderr:
            raise AssertionError(f"demo over {conn}: sanitizer report:\n{p.stderr}")
    return p


class Demo(unittest.TestCase):
    def check_session(self, conn, p, outcome=f"the device runs {NEW_VERSION}, confirmed\n"):
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertTrue(p.stdout.endswith("demo finished\n"), p.stdout)
        self.assertIn("hello from dfu-smp\n", p.stdout)
        self.assertIn(outcome, p.stdout)
        self.assertIn(f"$ dfu-smp --conn {conn} upgrade", p.stdout)

    def check_running_new_image(self, conn, env=None):
        p = subprocess.run([DFU_SMP, "--conn", conn, "--json", "image", "list"],
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        slot0 = [i for i in json.loads(p.stdout)["images"] if i["slot"] == 0][0]
        self.assertEqual((slot0["version"], slot0["active"], slot0["confirmed"]),
                         (NEW_VERSION, True, True))

    def test_on_its_own(self):
        p = demo(None)
        self.assertIn("the device: a simulated one, dfu-smp-sim serving udp:127.0.0.1:",
                      p.stdout)
        conn = p.stdout.split("serving ", 1)[1].split("\n", 1)[0]
        self.check_session(conn, p)
        # the smallest MTU on the simulated BLE link, which says it is simulated
        self.assertIn("$ dfu-smp-sim -- --mtu 23 -vv params\n" + SIMULATED_LINE +
                      "buf_size: 2475\n", p.stdout)
        # at MTU 23 without reassembly, a long request is refused with the reason
        self.assertIn("does not fit one write at ATT MTU 23", p.stderr)
        self.assertNotIn("dfu-smp-sim ended badly", p.stderr)

    def test_udp(self):
        with SimDevice("--udp", "127.0.0.1:0", "--busy-scale", "0.1") as sim:
            conn = "udp:" + sim.udp
            self.check_session(conn, demo(conn))
            self.check_running_new_image(conn)
            # run again: the device already runs that image, confirmed
            self.check_session(conn, demo(conn), f"the device already runs {NEW_VERSION}, "
                               "confirmed: nothing to do\n")

    def test_serial(self):
        with SimDevice("--serial", "--console-noise", "--busy-scale", "0.1") as sim:
            conn = "serial:" + sim.serial
            self.check_session(conn, demo(conn))
            self.check_running_new_image(conn)

    def test_ble_through_the_fake_bluez(self):
        conn = "ble:" + DEFAULT_ADDRESS
        with FakeBluez() as bz:
            p = demo(conn, bz.env)
            self.check_session(conn, p)
            self.assertIn("does not fit one write at ATT MTU 23", p.stderr)
            self.check_running_new_image(conn, bz.env)


if __name__ == "__main__":
    unittest.main()
