#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""dfu-smp fleet over BLE: four devices behind the one adapter of the fake BlueZ
(dfu-smp-sim --bluez --count 4) upgraded by one fleet upgrade, in parallel, all confirmed."""
import json
import os
import shutil
import tempfile
import unittest

from bluez_env import FakeBluez

IMAGE = os.path.join(os.environ["SHARED_DIR"], "testdata", "mcuboot", "01-hash-only.bin")
RUN_TIMEOUT = 240


class FleetBle(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dfu-smp-fleet-ble-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_four_devices_in_parallel_on_one_adapter(self):
        devices = os.path.join(self.dir, "devices")
        with FakeBluez("--count", "4", "--state", os.path.join(self.dir, "state"),
                       "--devices-out", devices) as bz:
            self.assertEqual(len(bz.devices()), 4)
            with open(devices) as f:
                lines = [line.split() for line in f if line.strip()]
            self.assertEqual(len(lines), 4)
            self.assertTrue(all(words[0].startswith("ble:") for words in lines))
            p = bz.dfu_smp("--json", "fleet", "upgrade", IMAGE, "--devices", devices,
                           timeout=RUN_TIMEOUT)
            self.assertEqual(p.returncode, 0, p.stderr)
            evs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
            res = {e["device"]: e for e in evs if e["event"] == "result"}
            self.assertEqual(len(res), 4)
            for name, r in res.items():
                self.assertEqual(r["status"], "ok", r)
                self.assertEqual(r["result"]["outcome"], "confirmed", r)
            # in parallel: all four connected (started) before the first ended; the default
            # --ble-max is 4, so none waited for another
            first_end = min(i for i, e in enumerate(evs) if e["event"] == "result")
            uploading = {e["device"] for e in evs[:first_end]
                         if e["event"] == "phase" and e["phase"] == "uploading"}
            self.assertEqual(len(uploading), 4, evs[:first_end])
            # --ble-max 2: never more than two at once
            p = bz.dfu_smp("--json", "fleet", "run", "--devices", devices, "--ble-max", "2",
                           "--", "image", "list", timeout=RUN_TIMEOUT)
            self.assertEqual(p.returncode, 0, p.stderr)
            running = most = 0
            for line in p.stdout.splitlines():
                e = json.loads(line)
                running += {"start": 1, "result": -1}.get(e["event"], 0)
                most = max(most, running)
            self.assertEqual(most, 2)


if __name__ == "__main__":
    unittest.main()
