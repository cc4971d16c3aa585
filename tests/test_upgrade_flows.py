# SPDX-License-Identifier: Apache-2.0
"""`dfu-smp upgrade` on every MCUboot mode of the simulated device, with packages and several
images: the flow each bootloader mode takes (swap, overwrite-only, direct-XIP with and without
revert, RAM load, firmware loader, single slot through serial recovery), what is refused before
anything is sent (a downgrade, a downgrade under no-downgrade, an image number the device lacks,
an unmet dependency, --test-only where nothing reverts), --only-newer, a two-image package
upgraded with one reset, and a package upgrade interrupted in its second image and run again.
Real imgtool images; packages are built in a temporary directory (tests/package.py)."""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import run_tool
from package import make_package
from sim_device import DFU_SMP, EXPECTED_HASH, IMAGES, SimDevice, sim_command

SMALL = "01-hash-only.bin"   # 1.2.3+4, 4.6 kB
APP = "02-ecdsa-p256.bin"    # 2.0.0, 100 kB
OLDER = "03-ed25519.bin"     # 0.9.1+17: older than the factory image, 1.0.0
MIDDLE = "04-rsa2048.bin"    # 1.4.0+2048
DEPENDS = "06a-dependency.bin"  # 1.1.0, needs image 1 >= 1.2.3+4
NEWEST = "06c-seccnt-2deps.bin"  # 2.3.4+5, needs image 0 >= 1.0.0 and image 1 >= 0.2.0+3


def image(name):
    return os.path.join(IMAGES, name)


class Flows(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dfu-smp-flows-")
        self.state = os.path.join(self.dir, "state")

    def tearDown(self):
        shutil.rmtree(self.dir)

    # ---- the device in process (virtual time) ----

    def sim(self, *args, device=()):
        return sim_command(*args, device=("--state", self.state, *device))

    def upgrade(self, *args, device=(), status=0):
        """`upgrade --json ARGS`; checks the exit status and returns the result document."""
        p = self.sim("--json", "upgrade", *args, device=device)
        self.assertEqual(p.returncode, status, p.stdout + p.stderr)
        return json.loads(p.stdout) if p.returncode == 0 else p

    def refused(self, *args, device=(), says=()):
        """An upgrade refused before anything was sent: exit 1, the reason, slots untouched."""
        before = self.images(device)
        p = self.sim("upgrade", *args, device=device)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("nothing was sent", p.stderr)
        for text in says:
            self.assertIn(text, p.stderr)
        self.assertEqual(self.images(device), before)
        return p

    def images(self, device=()):
        p = self.sim("--json", "image", "list", device=device)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)["images"]

    def running(self, number=0, device=()):
        found = [s for s in self.images(device) if s.get("image", 0) == number and s["active"]]
        self.assertEqual(len(found), 1, self.images(device))
        return found[0]

    def assert_runs(self, name, number=0, slot=None, confirmed=True, device=()):
        s = self.running(number, device)
        self.assertEqual(s["hash"], EXPECTED_HASH[name])
        self.assertEqual(s["confirmed"], confirmed)
        if slot is not None:
            self.assertEqual(s["slot"], slot)

    # ---- swap modes, downgrades, --only-newer ----

    def test_swap_modes_test_then_confirm(self):
        for mode, number in (("swap-scratch", 1), ("swap-move", 3), ("swap-offset", 9)):
            with self.subTest(mode=mode):
                shutil.rmtree(self.state, ignore_errors=True)
                dev = ("--boot-mode", mode)
                doc = self.upgrade(image(APP), device=dev)
                self.assertEqual(doc["outcome"], "confirmed")
                self.assertEqual(doc["boot_mode"]["mode"], number)
                self.assert_runs(APP, slot=0, device=dev)

    def test_a_downgrade_needs_allow_downgrade(self):
        self.refused(image(OLDER), says=("0.9.1.17 is older than the 1.0.0",
                                         "--allow-downgrade"))
        doc = self.upgrade(image(OLDER), "--allow-downgrade")
        self.assertEqual(doc["outcome"], "confirmed")
        self.assert_runs(OLDER)

    def test_no_downgrade_refuses_even_with_allow_downgrade(self):
        dev = ("--no-downgrade",)
        for extra in ((), ("--allow-downgrade",)):
            with self.subTest(extra=extra):
                self.refused(image(OLDER), *extra, device=dev,
                             says=("refuses downgrades (no-downgrade)", "0.9.1.17", "1.0.0"))
        self.assertEqual(self.upgrade(image(APP), device=dev)["boot_mode"]["no_downgrade"],
                         True)
        self.assert_runs(APP, device=dev)

    def test_only_newer_skips_what_runs_as_new(self):
        self.upgrade(image(APP))
        p = self.sim("upgrade", "--only-newer", image(MIDDLE))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("nothing to do (--only-newer)", p.stdout)
        self.assert_runs(APP)
        self.assertEqual(len(self.images()), 2)  # nothing uploaded: the old image in slot 1
        doc = self.upgrade("--only-newer", image(NEWEST))
        self.assertEqual(doc["outcome"], "confirmed")
        self.assert_runs(NEWEST)

    def test_run_again_does_nothing(self):
        self.upgrade(image(APP))
        doc = self.upgrade(image(APP))
        self.assertEqual(doc["outcome"], "already running")
        self.assertIsNone(doc["upload"])

    # ---- the other modes ----

    def test_overwrite_only_has_no_test_boot(self):
        dev = ("--boot-mode", "overwrite-only")
        self.refused("--test-only", image(APP), device=dev,
                     says=("--test-only needs a bootloader that can go back",))
        doc = self.upgrade(image(APP), device=dev)
        self.assertEqual(doc["outcome"], "confirmed")
        self.assert_runs(APP, slot=0, device=dev)
        self.assertEqual([s["slot"] for s in self.images(dev)], [0])  # the old image is gone

    def test_direct_xip_runs_the_other_slot_and_the_highest_version(self):
        dev = ("--boot-mode", "direct-xip")
        self.assertNotIn("mark", self.steps(image(APP), device=dev))  # nothing to mark
        self.assert_runs(APP, slot=1, device=dev)
        # the next image goes to slot 0, which does not run now
        self.upgrade(image(NEWEST), device=dev)
        self.assert_runs(NEWEST, slot=0, device=dev)
        # an older one would never boot: refused, even when downgrades are allowed
        self.refused(image(MIDDLE), "--allow-downgrade", device=dev,
                     says=("boots the highest version", "would never run"))
        self.refused("--test-only", image(SMALL), device=dev, says=("--test-only",))

    def test_direct_xip_with_revert_tests_and_confirms(self):
        dev = ("--boot-mode", "direct-xip-revert")
        doc = self.upgrade(image(APP), device=dev)
        self.assertEqual(doc["outcome"], "confirmed")
        self.assert_runs(APP, slot=1, device=dev)
        # a test boot is left unconfirmed; a reset brings the old one back
        doc = self.upgrade("--test-only", image(NEWEST), device=dev)
        self.assertEqual(doc["outcome"], "testing")
        self.assert_runs(NEWEST, slot=0, confirmed=False, device=dev)
        self.assertEqual(self.sim("reset", device=dev).returncode, 0)
        self.assert_runs(APP, slot=1, device=dev)

    def steps(self, *args, device=()):
        """The steps `-v upgrade ARGS` took (the lines naming them on stderr), which must end
        with exit 0."""
        p = self.sim("-v", "upgrade", *args, device=device)
        self.assertEqual(p.returncode, 0, p.stderr)
        names = ("boot mode", "read state", "check size", "upload", "check upload", "mark",
                 "reset", "reconnect", "check boot", "confirm", "check confirm")
        return [line.split(":")[0] for line in p.stderr.splitlines()
                if line.split(":")[0] in names]

    def test_ram_load_marks_nothing(self):
        dev = ("--boot-mode", "ram-load")
        self.assertEqual(self.steps(image(APP), device=dev),
                         ["boot mode", "read state", "check size", "upload", "check upload",
                          "reset", "reconnect", "check boot"])
        self.assertEqual(self.running(device=dev)["hash"], EXPECTED_HASH[APP])
        doc = self.upgrade(image(NEWEST), device=dev)
        self.assertEqual(doc["outcome"], "confirmed")
        self.assertEqual(doc["boot_mode"]["mode"], 6)

    def test_firmware_loader_is_entered_and_left(self):
        dev = ("--boot-mode", "firmware-loader")
        doc = self.upgrade(image(APP), device=dev)
        self.assertEqual(doc["outcome"], "confirmed")
        self.assertTrue(doc["loader"])
        self.assert_runs(APP, slot=0, device=dev)
        self.assertEqual(self.upgrade(image(APP), device=dev)["outcome"], "already running")

    def test_single_slot_needs_via_recovery(self):
        self.refused(image(APP), device=("--boot-mode", "single-slot"),
                     says=("single application slot", "--via-recovery"))

    # ---- serial: recovery through boot_mode 1 ----

    def serial_upgrade(self, sim_args, *args):
        with SimDevice("--serial", "--state", self.state, "--busy-scale", "0",
                       *sim_args) as sim:
            p = run_tool.run(DFU_SMP, "--conn", f"serial:{sim.serial}@1000000", "--json",
                             "upgrade", *args, timeout=300)
        return p

    def test_via_recovery_resets_into_the_bootloader(self):
        for mode in ("single-slot", "swap-move"):
            with self.subTest(mode=mode):
                shutil.rmtree(self.state, ignore_errors=True)
                p = self.serial_upgrade(("--boot-mode", mode), "--via-recovery", image(SMALL))
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                doc = json.loads(p.stdout)
                self.assertTrue(doc["recovery"])
                self.assertEqual(doc["outcome"], "confirmed")
                dev = ("--boot-mode", mode)
                self.assertEqual(self.running(device=dev)["hash"], EXPECTED_HASH[SMALL])

    def test_package_through_serial_recovery(self):
        """A two-image device held in serial recovery (also on a power-on of its state):
        each image written into its slot 0 by the bootloader, nothing marked or confirmed."""
        p = self.serial_upgrade(("--recovery", "--images", "2"),
                                self.package((0, APP), (1, SMALL)))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        doc = json.loads(p.stdout)
        self.assertTrue(doc["recovery"])
        self.assertEqual([(i["image"], i["runs"]) for i in doc["images"]],
                         [(0, True), (1, True)])
        self.assertNotIn("marking", p.stderr)
        dev = ("--images", "2")
        self.assertEqual(self.running(0, dev)["hash"], EXPECTED_HASH[APP])
        self.assertEqual(self.running(1, dev)["hash"], EXPECTED_HASH[SMALL])

    def test_via_recovery_where_the_device_cannot(self):
        # over UDP the device ignores boot_mode: its application comes back
        with SimDevice("--udp", "127.0.0.1:0", "--state", self.state, "--busy-scale",
                       "0") as sim:
            p = run_tool.run(DFU_SMP, "--conn", "udp:" + sim.udp, "upgrade", "--via-recovery",
                             image(SMALL))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("not MCUboot's serial recovery", p.stderr)
        self.assertIn("nothing was sent", p.stderr)

    # ---- several images, packages ----

    def package(self, *images, name="dfu_application.zip", **kw):
        return make_package(self.dir, [(n, image(f)) for n, f in images], name=name, **kw)

    def test_two_image_package_with_one_reset(self):
        pkg = self.package((0, APP), (1, SMALL))
        with SimDevice("--udp", "127.0.0.1:0", "--state", self.state, "--images", "2",
                       "--busy-scale", "0", "-v") as sim:
            p = run_tool.run(DFU_SMP, "--conn", "udp:" + sim.udp, "--json", "upgrade", pkg)
            sim.stop()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["outcome"], "confirmed")
        self.assertEqual([(i["image"], i["runs"], i["confirmed"]) for i in doc["images"]],
                         [(0, True, True), (1, True, True)])
        self.assertEqual(sim.err.count("the device resets"), 1, sim.err)
        dev = ("--images", "2")
        self.assert_runs(APP, 0, slot=0, device=dev)
        self.assert_runs(SMALL, 1, slot=0, device=dev)

    def test_package_naming_an_image_the_device_lacks(self):
        pkg = self.package((0, APP), (2, SMALL))
        self.refused(pkg, device=("--images", "2"), says=("no image 2",))

    def test_unmet_dependency_is_refused(self):
        dev = ("--images", "2")
        self.refused(image(DEPENDS), device=dev,
                     says=("needs image 1 >= 1.2.3.4", "will run 1.0.0"))
        # with the image it needs in the same package, it goes
        doc = self.upgrade(self.package((0, DEPENDS), (1, SMALL)), device=dev)
        self.assertEqual(doc["outcome"], "confirmed")
        self.assert_runs(DEPENDS, 0, device=dev)
        self.assert_runs(SMALL, 1, device=dev)

    def test_confirm_denied_for_the_other_image_is_reported(self):
        dev = ("--images", "2", "--confirm-other", "none")
        p = self.sim("upgrade", self.package((0, APP), (1, SMALL)), device=dev)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("does not let it be confirmed", p.stderr)
        self.assertIn("image 1", p.stderr)

    def stop_and_run_again(self, pkg, step, state):
        """One trial of test_stopped_at_every_step_and_run_again, on its own device."""
        with SimDevice("--udp", "127.0.0.1:0", "--state", state, "--images", "2",
                       "--busy-scale", "0.2") as sim:
            conn = "udp:" + sim.udp
            client = subprocess.Popen([DFU_SMP, "--conn", conn, "-v", "upgrade", pkg],
                                      stderr=subprocess.PIPE, text=True)
            seen = ""
            while True:
                line = client.stderr.readline()
                if not line or line.startswith(step):
                    break
                seen += line
            client.kill()
            client.communicate(timeout=60)
            self.assertTrue(line.startswith(step), seen)
            listed = {(s.get("image", 0), s["hash"]) for s in json.loads(run_tool.run(
                DFU_SMP, "--conn", conn, "--json", "image", "list").stdout)["images"]}
            p = run_tool.run(DFU_SMP, "--conn", conn, "--json", "upgrade", pkg)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            doc = json.loads(p.stdout)
            for n, name in ((0, APP), (1, SMALL)):
                entry = doc["images"][n]
                self.assertTrue(entry["runs"] and entry["confirmed"], doc)
                if (n, EXPECTED_HASH[name]) in listed:
                    self.assertIsNone(entry["upload"], f"image {n} sent again")
        dev = ("--state", state, "--images", "2")
        for n, name in ((0, APP), (1, SMALL)):
            p = sim_command("--json", "image", "list", device=dev)
            s = [s for s in json.loads(p.stdout)["images"]
                 if s.get("image", 0) == n and s["active"]]
            self.assertEqual([(x["hash"], x["confirmed"]) for x in s],
                             [(EXPECTED_HASH[name], True)])

    def test_stopped_at_every_step_and_run_again(self):
        """The client killed as each step of a package upgrade starts; the same command run
        again finishes, both images confirmed, and never sends again an image the device
        already listed. The trials run side by side, each on its own device."""
        pkg = self.package((0, APP), (1, SMALL))
        steps = ("upload: image 0", "check upload", "upload: image 1", "mark: image 0",
                 "mark: image 1", "reset", "check boot", "confirm: image 0",
                 "confirm: image 1", "check confirm")
        errors = {}

        def trial(n, step):
            try:
                self.stop_and_run_again(pkg, step, os.path.join(self.dir, f"state-{n}"))
            except BaseException as e:  # reported below, by step
                errors[step] = e

        threads = [threading.Thread(target=trial, args=(n, step))
                   for n, step in enumerate(steps)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for step in steps:
            with self.subTest(step=step):
                if step in errors:
                    raise errors[step]

    def test_interrupted_package_upgrade_run_again(self):
        """The device goes away in the middle of the second image and stays away longer than
        the client waits; run again, the package completes, the first image not sent again."""
        pkg = self.package((0, SMALL), (1, APP))
        dev = ("--udp", "127.0.0.1:0", "--state", self.state, "--images", "2",
               "--busy-scale", "0.3")
        sim = SimDevice(*dev)
        port = sim.udp.rsplit(":", 1)[1]
        conn = "udp:" + sim.udp
        try:
            client = subprocess.Popen([DFU_SMP, "--conn", conn, "-v", "--reboot-timeout", "2",
                                       "upgrade", pkg], stderr=subprocess.PIPE, text=True)
            seen = ""
            deadline = time.monotonic() + 120
            while "upload: image 1" not in seen and time.monotonic() < deadline:
                line = client.stderr.readline()
                if not line:
                    break
                seen += line
            self.assertIn("upload: image 1", seen)
            sim.kill()  # the link drops in the middle of image 1
            err = seen + client.communicate(timeout=120)[1]
            self.assertNotEqual(client.returncode, 0, err)
        finally:
            sim.kill()
        with SimDevice("--udp", f"127.0.0.1:{port}", *dev[2:]) as sim:
            p = run_tool.run(DFU_SMP, "--conn", conn, "--json", "upgrade", pkg)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["outcome"], "confirmed")
        self.assertIsNone(doc["images"][0]["upload"])  # image 0 was already there
        self.assertIsNotNone(doc["images"][1]["upload"])
        devl = ("--images", "2")
        self.assert_runs(SMALL, 0, device=devl)
        self.assert_runs(APP, 1, device=devl)


if __name__ == "__main__":
    unittest.main()
