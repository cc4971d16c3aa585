# SPDX-License-Identifier: Apache-2.0
"""dfu-smp-sim's MCUboot modes over UDP, driven with plain dfu-smp commands (image list --json,
image upload, image test/confirm, reset, raw): what the list shows after each step of an update
in overwrite-only, direct-XIP, direct-XIP with revert and firmware loader mode, the bootloader
info each answers, several images with their log lines, and the options' usage errors."""
import json
import os
import select
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import run_tool  # noqa: E402
import sim_device  # noqa: E402

NEW = "01-hash-only.bin"  # 1.2.3+4
NEW_HASH = sim_device.EXPECTED_HASH[NEW]
BOOT_WAIT = 20


class Device(sim_device.SimDevice):
    """dfu-smp-sim on UDP with -v, whose log tells when it is up again after a reset."""

    def __init__(self, *args):
        super().__init__("--udp", "127.0.0.1:0", "-v", "--busy-scale", "0", *args)
        self.log = b""

    def read_log(self, wait):
        """Adds what the device logged to self.log, waiting up to @p wait s for something."""
        ready = select.select([self.proc.stderr], [], [], wait)[0]
        while ready:
            chunk = os.read(self.proc.stderr.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"dfu-smp-sim exited: {self.log.decode()}")
            self.log += chunk
            ready = select.select([self.proc.stderr], [], [], 0)[0]

    def wait_for(self, text, count):
        """Waits until @p text is logged more than @p count times (bounded)."""
        deadline = time.monotonic() + BOOT_WAIT
        while self.log.count(text.encode()) <= count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {text!r} in {BOOT_WAIT} s: {self.log.decode()}")
            self.read_log(left)

    def stop(self):
        super().stop()
        self.err = self.log.decode(errors="replace") + self.err

    def dfu(self, *args):
        return run_tool.run(sim_device.DFU_SMP, "--conn", "udp:" + self.udp, *args)

    def ok(self, *args):
        p = self.dfu(*args)
        if p.returncode != 0:
            raise AssertionError(f"{args}: exit {p.returncode}: {p.stdout} {p.stderr}")
        return p

    def json(self, *args):
        return json.loads(self.ok("--json", *args).stdout)

    def slots(self):
        """The list as {(image, slot): "ACPX" flags + ":" + hash}."""
        out = {}
        for s in self.json("image", "list")["images"]:
            flags = "".join(c for c, k in (("A", "active"), ("C", "confirmed"),
                                           ("P", "pending"), ("X", "permanent")) if s[k])
            out[(s.get("image", 0), s["slot"])] = flags + ":" + s["hash"]
        return out

    def reset(self, *args):
        """Resets the device and waits until it is up again."""
        self.read_log(0)
        ups = self.log.count(b"the device is up")
        self.ok("reset", *args)
        self.wait_for("the device is up", ups)


def image(name):
    return os.path.join(sim_device.IMAGES, name)


class BootModes(unittest.TestCase):
    def setUp(self):
        self.old = None

    def start(self, *args):
        dev = Device(*args)
        try:
            self.old = dev.slots()[(0, 0)].split(":")[1]
        except BaseException:
            dev.kill()
            raise
        return dev

    def bootloader_info(self, dev):
        return dev.json("raw", "--op", "read", "--group", "0", "--id", "8", '{"query":"mode"}')

    def test_overwrite_only(self):
        with self.start("--boot-mode", "overwrite-only") as dev:
            self.assertEqual(self.bootloader_info(dev)["mode"], 2)
            dev.ok("image", "upload", image(NEW))
            dev.ok("image", "test", NEW_HASH)
            self.assertEqual(dev.slots(), {(0, 0): "AC:" + self.old, (0, 1): "P:" + NEW_HASH})
            dev.reset()
            # copied over slot 0, confirmed; slot 1 erased
            self.assertEqual(dev.slots(), {(0, 0): "AC:" + NEW_HASH})
            dev.reset()
            self.assertEqual(dev.slots(), {(0, 0): "AC:" + NEW_HASH})

    def test_direct_xip(self):
        with self.start("--boot-mode", "direct-xip") as dev:
            self.assertEqual(self.bootloader_info(dev), {"mode": 4})
            dev.ok("image", "upload", image(NEW))
            # higher: it boots next, no state write needed (nor taken)
            self.assertEqual(dev.slots(), {(0, 0): "AC:" + self.old, (0, 1): "PX:" + NEW_HASH})
            p = dev.dfu("image", "test", NEW_HASH)
            self.assertNotEqual(p.returncode, 0)
            dev.reset()
            self.assertEqual(dev.slots(), {(0, 0): ":" + self.old, (0, 1): "AC:" + NEW_HASH})
            # slot 0 is the upload target now
            slots = dev.json("image", "slots")["images"][0]["slots"]
            self.assertEqual([s["slot"] for s in slots if "upload_image_id" in s], [0])

    def test_direct_xip_revert(self):
        with self.start("--boot-mode", "direct-xip-revert") as dev:
            self.assertEqual(self.bootloader_info(dev), {"mode": 5})
            dev.ok("image", "upload", image(NEW))
            self.assertEqual(dev.slots(), {(0, 0): "AC:" + self.old, (0, 1): ":" + NEW_HASH})
            dev.ok("image", "test", NEW_HASH)
            self.assertEqual(dev.slots(), {(0, 0): "AC:" + self.old, (0, 1): "P:" + NEW_HASH})
            dev.reset()
            self.assertEqual(dev.slots(), {(0, 0): "C:" + self.old, (0, 1): "A:" + NEW_HASH})
            dev.reset()  # never confirmed: the old image is back
            self.assertEqual(dev.slots(), {(0, 0): "AC:" + self.old, (0, 1): ":" + NEW_HASH})
            dev.ok("image", "test", NEW_HASH)
            dev.reset()
            dev.ok("image", "confirm")
            self.assertEqual(dev.slots(), {(0, 0): ":" + self.old, (0, 1): "AC:" + NEW_HASH})
            dev.reset()
            self.assertEqual(dev.slots(), {(0, 0): ":" + self.old, (0, 1): "AC:" + NEW_HASH})
        self.assertIn("image state: slot 1 marked for a test, hash " + NEW_HASH, dev.err)

    def test_firmware_loader(self):
        with self.start("--boot-mode", "firmware-loader") as dev:
            self.assertEqual(dev.dfu("image", "upload", image(NEW)).returncode, 1)
            dev.reset("--boot-mode", "1")
            self.assertIn(b"the firmware loader (0.1.0) runs", dev.log)
            self.assertEqual(self.bootloader_info(dev), {"mode": 7})
            self.assertEqual(dev.slots(), {(0, 0): ":" + self.old})
            dev.ok("image", "upload", image(NEW))
            self.assertEqual(dev.slots(), {(0, 0): ":" + NEW_HASH})
            dev.reset()
            self.assertEqual(dev.slots(), {(0, 0): "AC:" + NEW_HASH})

    def test_two_images_and_their_log_lines(self):
        with self.start("--images", "2", "--slot-size", "0x20000", "--no-downgrade") as dev:
            self.assertEqual(self.bootloader_info(dev), {"mode": 3, "no-downgrade": True})
            dev.ok("image", "upload", "--image", "1", image(NEW))
            dev.ok("image", "test", NEW_HASH)
            slots = dev.slots()
            self.assertEqual(slots[(1, 1)], "P:" + NEW_HASH)
            self.assertTrue(slots[(0, 0)].startswith("AC:"))
            dev.reset()
            self.assertEqual(dev.slots()[(1, 0)], "A:" + NEW_HASH)
            dev.ok("image", "confirm", NEW_HASH)
            self.assertEqual(dev.slots()[(1, 0)], "AC:" + NEW_HASH)
            # an image that needs image 0 >= 1.0.0 and image 1 >= 0.2.0: met
            dep = "06c-seccnt-2deps.bin"
            dev.ok("image", "upload", image(dep))
            dev.ok("image", "test", sim_device.EXPECTED_HASH[dep])
            dev.reset()
            self.assertEqual(dev.slots()[(0, 0)], "A:" + sim_device.EXPECTED_HASH[dep])
            # older than what runs: refused (--no-downgrade)
            dev.ok("image", "confirm")
            dev.ok("image", "upload", image("03-ed25519.bin"))
            dev.ok("image", "test", sim_device.EXPECTED_HASH["03-ed25519.bin"])
            dev.reset()
            self.assertEqual(dev.slots()[(0, 0)], "AC:" + sim_device.EXPECTED_HASH[dep])
        self.assertIn("image state: slot 1 marked for a test (image 1), hash " + NEW_HASH,
                      dev.err)
        self.assertIn("image state: the running image confirmed (image 1), hash " + NEW_HASH,
                      dev.err)
        self.assertIn("image 0: version 0.9.1.17 is older than 2.3.4.5 (--no-downgrade): "
                      "not swapped", dev.err)

    def test_unmet_dependency_is_logged(self):
        with self.start("--images", "2", "--slot-size", "0x20000") as dev:
            dep = "06a-dependency.bin"
            dev.ok("image", "upload", image(dep))
            dev.ok("image", "test", sim_device.EXPECTED_HASH[dep])
            dev.reset()
            self.assertEqual(dev.slots()[(0, 1)], "P:" + sim_device.EXPECTED_HASH[dep])
        self.assertIn("image 0: dependency on image 1 >= 1.2.3.4 not met (1.0.0): not swapped",
                      dev.err)

    def test_usage_errors(self):
        sim = sim_device.DFU_SMP_SIM
        for args, says in ((["--boot-mode", "swap"], "swap-move, swap-scratch"),
                           (["--images", "5"], "--images"),
                           (["--confirm-other", "primary"], "none, secondary or any"),
                           (["--boot-mode", "overwrite-only", "--rollback"], "--rollback")):
            p = run_tool.run(sim, *args, "--udp", "127.0.0.1:0")
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(says, p.stderr)


if __name__ == "__main__":
    unittest.main()
