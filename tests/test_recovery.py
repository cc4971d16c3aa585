#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""dfu-smp against dfu-smp-sim --serial --recovery (MCUboot's serial recovery, the bootloader
answering on its UART) on a real pseudo-terminal: an upgrade writes slot 0 directly and ends
with the application running the new image; `image upload` says it wrote slot 0; a bootloader
that reports a larger buf_size than it holds still gets the image."""
import json
import os
import unittest

import run_tool
from sim_device import DFU_SMP, EXPECTED_HASH, IMAGES, SimDevice

IMAGE = "02-ecdsa-p256.bin"


def dfu(conn, *args):
    return run_tool.run(DFU_SMP, "--conn", conn, *args)


class Recovery(unittest.TestCase):
    def upgrade(self, *device, said=None):
        with SimDevice("--serial", "--recovery", "--busy-scale", "0", *device) as sim:
            conn = f"serial:{sim.serial}"
            p = dfu(conn, "-v", "upgrade", os.path.join(IMAGES, IMAGE))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            if said:
                self.assertIn(said, p.stderr)
            self.assertNotIn("mark", p.stderr.replace("nothing to mark", ""))
            self.assertIn("the bootloader writes slot 0 directly", p.stdout)
            self.assertIn("the device runs 2.0.0 (written by the bootloader's serial recovery)",
                          p.stdout)
            p = dfu(conn, "--json", "image", "list")
            self.assertEqual(p.returncode, 0, p.stderr)
            slot0 = [i for i in json.loads(p.stdout)["images"] if i["slot"] == 0][0]
            self.assertEqual(slot0["hash"], EXPECTED_HASH[IMAGE])
            self.assertTrue(slot0["active"])  # the application answers now

    def test_upgrade(self):
        self.upgrade()

    def test_upgrade_device_reporting_more_than_it_holds(self):
        # requests of its buf_size less the CRC go unanswered; half that size gets through
        self.upgrade("--recovery-buf-size", "2048",
                     said="no answer to a request of 2044 bytes: trying 1022")

    def test_image_upload_says_slot_0(self):
        with SimDevice("--serial", "--recovery", "--busy-scale", "0") as sim:
            conn = f"serial:{sim.serial}"
            p = dfu(conn, "image", "upload", os.path.join(IMAGES, IMAGE))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("into slot 0 of image 0 directly", p.stdout)
            self.assertNotIn("slot 1", p.stdout)
            p = dfu(conn, "--json", "image", "list")
            self.assertEqual(p.returncode, 0, p.stderr)
            images = json.loads(p.stdout)["images"]
            self.assertEqual([(i["slot"], i["hash"]) for i in images],
                             [(0, EXPECTED_HASH[IMAGE])])
            self.assertFalse(any(i.get("active") for i in images))  # still the bootloader


if __name__ == "__main__":
    unittest.main()
