# SPDX-License-Identifier: Apache-2.0
"""`dfu-smp --conn ble:...` through BlueZ's D-Bus API, end to end: a private dbus-daemon with
the fake BlueZ of `dfu-smp-sim --bluez` on it, and behind it the simulated device. Whole firmware
upgrades (with the reset and the reconnection) over the acquired sockets and over the fallback
(WriteValue and StartNotify signals), a device found by name, a link lost mid-upload noticed at
once, and the errors a user meets first: no such device, no bluetoothd."""
import json
import os
import tempfile
import shutil
import time
import unittest

from bluez_env import DEFAULT_ADDRESS, FakeBluez

IMAGES = os.path.join(os.environ["SHARED_DIR"], "testdata", "mcuboot")
MANIFEST = json.load(open(os.path.join(IMAGES, "manifest.json")))
IMAGE = "01-hash-only.bin"
IMAGE_HASH = {f["name"]: f for f in MANIFEST["files"]}[IMAGE]["expected_image_hash"]
CONN = "ble:" + DEFAULT_ADDRESS


class Ble(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dfu-smp-ble-state-")
        self.state = os.path.join(self.dir, "state")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def upgrade_then_list(self, bz):
        up = bz.dfu_smp("-v", "--conn", CONN, "upgrade", os.path.join(IMAGES, IMAGE))
        self.assertEqual(up.returncode, 0, up.stderr)
        self.assertIn("confirmed", up.stdout)
        p = bz.dfu_smp("--conn", CONN, "--json", "image", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        slot0 = [i for i in json.loads(p.stdout)["images"] if i["slot"] == 0][0]
        self.assertEqual(slot0["hash"], IMAGE_HASH)
        self.assertTrue(slot0["active"])
        self.assertTrue(slot0["confirmed"])
        return up.stderr

    def test_upgrade_over_acquired_sockets(self):
        with FakeBluez("--state", self.state) as bz:
            log = self.upgrade_then_list(bz)
        self.assertIn("writes by AcquireWrite socket, notifications by AcquireNotify socket",
                      log)

    def test_upgrade_over_write_value_and_signals(self):
        # BlueZ refuses to hand the sockets over, and its adapter starts off
        with FakeBluez("--state", self.state, "--no-acquire", "--adapter-off") as bz:
            log = self.upgrade_then_list(bz)
        self.assertIn("powering /org/bluez/hci0 on", log)
        self.assertIn("AcquireWrite refused (org.bluez.Error.NotPermitted", log)
        self.assertIn("writes by WriteValue, notifications by StartNotify signals", log)

    def test_echo_found_by_name(self):
        with FakeBluez("--name", "smp test device", "--address", "c2:11:22:33:44:55") as bz:
            p = bz.dfu_smp("--conn", "ble:name=smp test device", "echo", "hello over ble")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "hello over ble\n")

    def test_profile_sets_the_link_and_the_device_up(self):
        # legacy: ATT MTU 23 and 384-byte buffers with reassembly
        with FakeBluez("--profile", "legacy") as bz:
            p = bz.dfu_smp("-v", "--conn", CONN, "--json", "params")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("connected, ATT MTU 23;", p.stderr)
        self.assertEqual(json.loads(p.stdout), {"buf_size": 384, "buf_count": 4})

    def test_link_lost_mid_upload_is_noticed_at_once(self):
        # a 30 s response timeout: waiting for it would show in the time taken
        # the socket's hang-up, a write the socket refuses or the Connected signal, whichever
        # comes first; no socket in the fallback
        for mode, signs in (((), ("BlueZ closed the", "the write socket failed",
                                  "BlueZ: Connected = false")),
                            (("--no-acquire",), ("BlueZ: Connected = false",))):
            with self.subTest(mode=mode), FakeBluez("--drop-after", "2000", *mode) as bz:
                start = time.monotonic()
                p = bz.dfu_smp("-v", "--timeout", "30", "--conn", CONN, "image", "upload",
                               os.path.join(IMAGES, IMAGE))
                took = time.monotonic() - start
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertTrue(any("link lost: the device disconnected (" + sign in p.stderr
                                    for sign in signs), p.stderr)
                self.assertLess(took, 10)

    def test_no_such_device(self):
        with FakeBluez() as bz:
            start = time.monotonic()
            p = bz.dfu_smp("--timeout", "1", "--conn", "ble:C2:00:00:00:00:99", "echo", "hi")
            took = time.monotonic() - start
        self.assertEqual(p.returncode, 3)  # not found
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("no device C2:00:00:00:00:99 found: scanned 1.0 s on hci0", p.stderr)
        self.assertLess(took, 5)

    def test_no_bluetoothd(self):
        with FakeBluez(sim=False) as bz:
            p = bz.dfu_smp("--conn", CONN, "echo", "hi")
        self.assertEqual(p.returncode, 3)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("org.freedesktop.DBus.Error.ServiceUnknown", p.stderr)
        self.assertIn("bluetoothd is not running", p.stderr)

    def test_bad_connection_strings_are_usage_errors(self):
        with FakeBluez(sim=False) as bz:
            for args in (["--conn", "ble:C2:53:4D"], ["--conn", "ble:name="],
                         ["--adapter", "usb0", "--conn", CONN]):
                with self.subTest(args=args):
                    p = bz.dfu_smp(*args, "echo", "hi")
                    self.assertEqual(p.returncode, 2, p.stderr)


if __name__ == "__main__":
    unittest.main()
