# SPDX-License-Identifier: Apache-2.0
"""Firmware upgrades of the simulated device (dfu-smp-sim -- upgrade ...) with real imgtool
images, end to end: the whole
flow, every link size with and without device reassembly, the checks that keep a device from
being bricked (invalid images never sent, rollbacks never confirmed), skipping what is done,
and recovering from a link lost mid-upload."""
import hashlib
import json
import os
import re
import shutil
import tempfile
import unittest

from sim_device import sim_command

IMAGES = os.path.join(os.environ["SHARED_DIR"], "testdata", "mcuboot")
MANIFEST = json.load(open(os.path.join(IMAGES, "manifest.json")))
BY_NAME = {f["name"]: f for f in MANIFEST["files"]}


def image(name):
    return os.path.join(IMAGES, name)


def expected_hash(name):
    return BY_NAME[name]["expected_image_hash"]


class Upgrade(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dfu-smp-upgrade-")
        self.state = os.path.join(self.dir, "state")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def sim(self, *args, device=()):
        return sim_command(*args, device=("--state", self.state, *device))

    def images(self):
        p = self.sim("--json", "image", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)["images"]

    def slot(self, n):
        found = [i for i in self.images() if i["slot"] == n]
        return found[0] if found else None

    def assert_runs(self, name, confirmed=True):
        s0 = self.slot(0)
        self.assertEqual(s0["hash"], expected_hash(name))
        self.assertTrue(s0["active"])
        self.assertEqual(s0["confirmed"], confirmed)

    def test_signed_image_upgrade_then_list(self):
        p = self.sim("upgrade", image("02-ecdsa-p256.bin"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("confirmed", p.stdout)
        self.assert_runs("02-ecdsa-p256.bin")
        self.assertEqual(self.slot(0)["version"], "2.0.0")
        # the old image stays in slot 1, no longer marked for anything
        s1 = self.slot(1)
        self.assertFalse(s1["pending"] or s1["confirmed"] or s1["active"])

    def test_every_valid_image_with_its_key(self):
        for f in MANIFEST["files"]:
            if f["category"] != "image" or f["size"] > 200000:
                continue
            with self.subTest(image=f["name"]):
                # one device takes them all in turn, older versions too
                args = ["upgrade", image(f["name"]), "--allow-downgrade"]
                if f.get("public_key"):
                    args += ["--key", image(f["public_key"])]
                p = self.sim(*args)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assert_runs(f["name"])

    def test_json_result_and_no_progress(self):
        p = self.sim("--json", "upgrade", image("04-rsa2048.bin"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        doc = json.loads(p.stdout)
        self.assertEqual(doc["outcome"], "confirmed")
        self.assertEqual(doc["image"]["hash"], expected_hash("04-rsa2048.bin"))
        self.assertEqual(doc["running"]["hash"], expected_hash("04-rsa2048.bin"))
        self.assertEqual(doc["upload"]["bytes"], BY_NAME["04-rsa2048.bin"]["size"])
        self.assertTrue(doc["upload"]["match"])
        self.assertGreater(doc["upload"]["rate_kBps"], 0)

    def test_progress_lines_when_not_a_terminal(self):
        p = self.sim("upgrade", image("02-ecdsa-p256.bin"))
        lines = re.findall(r"uploading +(\d+) of (\d+) bytes \((\d+)%\)", p.stderr)
        self.assertGreaterEqual(len(lines), 5)
        self.assertLessEqual(len(lines), 9)  # one per tenth passed, the end is the phase's line
        size = BY_NAME["02-ecdsa-p256.bin"]["size"]
        self.assertIn(f"uploading    {size / 1024:.1f} KiB in ", p.stderr)
        self.assertNotIn("\r", p.stderr)
        self.assertIn("kB/s", p.stdout)

    def test_skipped_when_the_image_already_runs(self):
        self.assertEqual(self.sim("upgrade", image("01-hash-only.bin")).returncode, 0)
        p = self.sim("--json", "-v", "upgrade", image("01-hash-only.bin"))
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["outcome"], "already running")
        self.assertIsNone(doc["upload"])
        self.assertNotIn("upload", re.sub(r"read state.*", "", p.stderr))

    def test_upload_skipped_when_already_in_the_secondary_slot(self):
        p = self.sim("image", "upload", image("01-hash-only.bin"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.slot(1)["hash"], expected_hash("01-hash-only.bin"))
        p = self.sim("--json", "upgrade", image("01-hash-only.bin"))
        doc = json.loads(p.stdout)
        self.assertEqual(doc["outcome"], "confirmed")
        self.assertIsNone(doc["upload"])
        self.assert_runs("01-hash-only.bin")

    def test_corrupt_image_never_reaches_the_device(self):
        before = self.images()
        for name in ("corrupt/flipped-payload-byte-signed.bin", "corrupt/bad-magic.bin",
                     "corrupt/truncated-mid-tlv.bin"):
            with self.subTest(image=name):
                p = self.sim("-vv", "upgrade", image(name))
                self.assertEqual(p.returncode, 4)  # image invalid
                self.assertIn("not a valid MCUboot image", p.stderr)
                self.assertIn(BY_NAME[name]["invalid_reason_code"], p.stderr)
                self.assertNotIn("write", p.stderr)  # nothing went on the link
        self.assertEqual(self.images(), before)

    def test_wrong_key_never_reaches_the_device(self):
        p = self.sim("-v", "upgrade", image("02-ecdsa-p256.bin"), "--key",
                     image("keys/ecdsa-p256-other-public.pem"))
        self.assertEqual(p.returncode, 4)
        self.assertIn("does not verify", p.stderr)
        self.assertNotIn("write", p.stderr)
        self.assertEqual(len(self.images()), 1)

    def test_rollback_is_reported_and_not_confirmed(self):
        p = self.sim("upgrade", image("04-rsa2048.bin"), device=("--rollback",))
        self.assertEqual(p.returncode, 5)  # rolled back
        self.assertIn("rolled back", p.stderr)
        s0 = self.slot(0)
        self.assertNotEqual(s0["hash"], expected_hash("04-rsa2048.bin"))
        self.assertEqual(s0["version"], "1.0.0")
        self.assertTrue(s0["active"] and s0["confirmed"])

    def test_test_only_leaves_it_unconfirmed_and_reset_reverts(self):
        p = self.sim("upgrade", "--test-only", image("02-ecdsa-p256.bin"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("not confirmed", p.stdout)
        self.assert_runs("02-ecdsa-p256.bin", confirmed=False)
        self.assertEqual(self.sim("reset").returncode, 0)
        self.assertEqual(self.slot(0)["version"], "1.0.0")

    def test_confirm_now_needs_no_confirm(self):
        p = self.sim("-v", "upgrade", "--confirm-now", image("02-ecdsa-p256.bin"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("mark: for good", p.stderr)
        self.assertNotIn("confirm\n", p.stderr)
        self.assert_runs("02-ecdsa-p256.bin")

    def test_no_reset_leaves_it_pending(self):
        p = self.sim("upgrade", "--no-reset", image("02-ecdsa-p256.bin"))
        self.assertEqual(p.returncode, 0, p.stderr)
        s1 = self.slot(1)
        self.assertTrue(s1["pending"])
        self.assertEqual(s1["hash"], expected_hash("02-ecdsa-p256.bin"))
        # a later run finishes the job: reset, check, confirm
        p = self.sim("upgrade", image("02-ecdsa-p256.bin"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_runs("02-ecdsa-p256.bin")

    def test_link_lost_mid_upload_resumes(self):
        p = self.sim("--json", "-v", "upgrade", image("02-ecdsa-p256.bin"),
                     device=("--drop-after", "40000"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("link lost", p.stderr)
        doc = json.loads(p.stdout)
        self.assertGreater(doc["upload"]["resumed_at"], 30000)
        self.assertLess(doc["upload"]["data_sent"], 75000)
        self.assert_runs("02-ecdsa-p256.bin")


class SlotSize(unittest.TestCase):
    def test_too_large_an_image_is_refused_before_the_upload(self):
        d = tempfile.mkdtemp(prefix="dfu-smp-slot-")
        try:
            big = image("08-ecdsa-p256-480k.bin")  # made for a 0x80000 slot
            p = sim_command("-v", "upgrade", big, device=("--state", d))
            self.assertEqual(p.returncode, 1)
            self.assertIn("larger than what slot 1 of image 0 takes", p.stderr)
            self.assertNotIn("upload", re.sub(r".*larger than.*", "", p.stderr))
            p = sim_command("--json", "image", "list", device=("--state", d))
            self.assertEqual(len(json.loads(p.stdout)["images"]), 1)  # nothing was written
            p = sim_command("--json", "upgrade", big,
                            device=("--state", d, "--slot-size", "0x80000"))
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(json.loads(p.stdout)["running"]["hash"],
                             expected_hash("08-ecdsa-p256-480k.bin"))
        finally:
            shutil.rmtree(d)


class LinkSizes(unittest.TestCase):
    """The same upgrade at every ATT MTU, with and without SMP reassembly on the device."""

    def upgrade(self, mtu, reassembly):
        d = tempfile.mkdtemp(prefix="dfu-smp-mtu-")
        try:
            return sim_command("--json", "--mtu", mtu, "upgrade", image("06c-seccnt-2deps.bin"),
                               device=("--state", d) + (("--reassembly",) if reassembly else ()))
        finally:
            shutil.rmtree(d)

    def test_every_mtu(self):
        for mtu in ("23", "247", "498"):
            for reassembly in (True, False):
                with self.subTest(mtu=mtu, reassembly=reassembly):
                    p = self.upgrade(mtu, reassembly)
                    if mtu == "23" and not reassembly:
                        # 20-byte writes cannot carry the first request's 32-byte header
                        self.assertEqual(p.returncode, 1)
                        self.assertIn("cannot carry the image", p.stderr)
                        continue
                    self.assertEqual(p.returncode, 0, p.stderr)
                    doc = json.loads(p.stdout)
                    self.assertEqual(doc["outcome"], "confirmed")
                    self.assertEqual(doc["running"]["hash"],
                                     expected_hash("06c-seccnt-2deps.bin"))


class ImageUpload(unittest.TestCase):
    def test_upload_only(self):
        d = tempfile.mkdtemp(prefix="dfu-smp-upload-")
        try:
            p = sim_command("image", "upload", image("07b-ed25519-sha512.bin"),
                            device=("--state", d))
            self.assertEqual(p.returncode, 0, p.stderr)
            p = sim_command("--json", "image", "list", device=("--state", d))
            slots = json.loads(p.stdout)["images"]
            self.assertEqual(len(slots), 2)
            self.assertEqual(slots[1]["hash"], expected_hash("07b-ed25519-sha512.bin"))
            self.assertFalse(slots[1]["pending"])
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main()
