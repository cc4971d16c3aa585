#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""dfu-smp against dfu-smp-sim --serial --recovery (MCUboot's serial recovery, the bootloader
answering on its UART) on a real pseudo-terminal: an upgrade writes slot 0 directly and ends
with the application running the new image; `image upload` says it wrote slot 0; a bootloader
that reports a larger buf_size than it holds still gets the image."""
import json
import os
import re
import unittest

import run_tool
from sim_device import DFU_SMP, EXPECTED_HASH, IMAGES, SimDevice

IMAGE = "02-ecdsa-p256.bin"
SMALL = "01-hash-only.bin"  # for uploads that need no key: quicker on the serial line


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
        # requests of its buf_size less the CRC (2044 bytes, 23 lines; on a pseudo-terminal
        # cut to whole 2-line batches: 2042 bytes in 22) go unanswered; half gets through
        self.upgrade("--recovery-buf-size", "2048",
                     said="no answer to a request of 2042 bytes: trying 1021")

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

    def test_image_upload_to_a_device_reporting_more_than_it_holds(self):
        with SimDevice("--serial", "--recovery", "--recovery-buf-size", "2048",
                       "--busy-scale", "0") as sim:
            conn = f"serial:{sim.serial}"
            p = dfu(conn, "image", "upload", os.path.join(IMAGES, SMALL))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("into slot 0 of image 0 directly", p.stdout)
            # progress only (phases, the upload's tenths): no error line after the upload
            self.assertEqual([l for l in p.stderr.splitlines()
                              if not re.match(r"(connecting|checking|erasing|uploading) ", l)],
                             [])
            p = dfu(conn, "--json", "image", "list")
            self.assertEqual(p.returncode, 0, p.stderr)
            images = json.loads(p.stdout)["images"]
            self.assertEqual([(i["slot"], i["hash"]) for i in images],
                             [(0, EXPECTED_HASH[SMALL])])

    def test_image_upload_json_says_recovery(self):
        with SimDevice("--serial", "--recovery", "--recovery-buf-size", "2048",
                       "--busy-scale", "0") as sim:
            p = dfu(f"serial:{sim.serial}", "--json", "image", "upload",
                    os.path.join(IMAGES, SMALL))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIs(json.loads(p.stdout)["recovery"], True)

    def test_image_upload_json_to_an_application_says_no_recovery(self):
        with SimDevice("--udp", "127.0.0.1:0", "--busy-scale", "0") as sim:
            p = dfu(f"udp:{sim.udp}", "--json", "image", "upload", os.path.join(IMAGES, SMALL))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIs(json.loads(p.stdout)["recovery"], False)

if __name__ == "__main__":
    unittest.main()
