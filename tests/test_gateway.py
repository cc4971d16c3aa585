# SPDX-License-Identifier: Apache-2.0
"""examples/gateway, a program embedding libdfu-smp with its own UDP socket and poll() loop,
upgrades dfu-smp-sim's device over UDP end to end: the new image runs, confirmed. A file that
is not a valid image never reaches the device; bad arguments are refused."""
import json
import os
import shutil
import tempfile
import unittest

import run_tool
from sim_device import DFU_SMP, EXPECTED_HASH, IMAGES, SimDevice

GATEWAY = os.environ["GATEWAY"]


def run_gateway(gateway, device, image, env=None):
    """Runs @p gateway against the dfu-smp-sim @p device; returns the CompletedProcess."""
    return run_tool.run(gateway, device.udp, image, timeout=120, env=env)


def slot(conn, n, dfu_smp=DFU_SMP):
    """Slot @p n of image 0 as `dfu-smp --json image list` on @p conn reports it."""
    p = run_tool.run(dfu_smp, "--conn", "udp:" + conn, "--json", "image", "list")
    if p.returncode != 0:
        raise AssertionError(p.stderr)
    found = [i for i in json.loads(p.stdout)["images"] if i["slot"] == n]
    return found[0] if found else None


def assert_upgraded(test, p, device, name, dfu_smp=DFU_SMP):
    """@p p, a gateway run, upgraded @p device to the image @p name, confirmed."""
    test.assertEqual(p.returncode, 0, p.stderr)
    test.assertIn("upgraded: confirmed", p.stdout)
    s0 = slot(device.udp, 0, dfu_smp)
    test.assertEqual(s0["hash"], EXPECTED_HASH[name])
    test.assertTrue(s0["active"])
    test.assertTrue(s0["confirmed"])


class Gateway(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dfu-smp-gateway-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_upgrades_the_device_over_its_own_socket(self):
        name = "02-ecdsa-p256.bin"
        with SimDevice("--udp", "127.0.0.1:0", "--state", self.dir) as device:
            self.assertNotEqual(slot(device.udp, 0)["hash"], EXPECTED_HASH[name])
            p = run_gateway(GATEWAY, device, os.path.join(IMAGES, name))
            assert_upgraded(self, p, device, name)
            for step in ("upload", "reset", "confirm"):
                self.assertIn(step + ":", p.stdout)

    def test_an_invalid_image_never_reaches_the_device(self):
        bad = os.path.join(self.dir, "not-an-image.bin")
        with open(bad, "wb") as f:
            f.write(b"\0" * 4096)
        with SimDevice("--udp", "127.0.0.1:0", "--state", os.path.join(self.dir, "s")) as device:
            before = slot(device.udp, 1)
            p = run_gateway(GATEWAY, device, bad)
            self.assertEqual(p.returncode, 1)
            self.assertIn("gateway: " + bad + ": ", p.stderr)
            self.assertEqual(slot(device.udp, 1), before)

    def test_bad_arguments(self):
        p = run_tool.run(GATEWAY, "127.0.0.1:1")
        self.assertEqual(p.returncode, 2)
        self.assertIn("usage: gateway HOST:PORT IMAGE", p.stderr)
        p = run_tool.run(GATEWAY, "no-port", os.path.join(IMAGES, "02-ecdsa-p256.bin"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("is not HOST:PORT", p.stderr)


if __name__ == "__main__":
    unittest.main()
