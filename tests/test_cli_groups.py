# SPDX-License-Identifier: Apache-2.0
"""Every dfu-smp command against the simulated device (dfu-smp-sim -- COMMAND), as a user runs
it: text output, --json output parsed back and checked, device errors, files moved byte-exact,
state kept across runs."""
import hashlib
import json
import os
import shutil
import tempfile
import unittest
import zlib

from sim_device import sim_command


def run(*args, device=()):
    return sim_command(*args, device=device)


def run_json(*args, device=()):
    p = run("--json", *args, device=device)
    if p.returncode != 0:
        raise AssertionError(f"{args}: exit {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


class WithState(unittest.TestCase):
    """Each test gets its own simulated device state directory."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dfu-smp-test-")
        self.state = os.path.join(self.dir, "state")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def sim(self, *args, device=()):
        return run(*args, device=("--state", self.state, *device))

    def sim_json(self, *args, device=()):
        return run_json(*args, device=("--state", self.state, *device))


class Os(unittest.TestCase):
    def test_echo_json(self):
        self.assertEqual(run_json("echo", "hi there"), {"r": "hi there"})

    def test_params_json(self):
        self.assertEqual(run_json("params"), {"buf_size": 2475, "buf_count": 4})

    def test_info(self):
        doc = run_json("info", "a")
        self.assertIn("Zephyr", doc["output"])
        self.assertEqual(run_json("info")["output"], "Zephyr")
        p = run("info", "Q")  # unknown letter: OS error INVALID_FORMAT
        self.assertEqual(p.returncode, 1)
        self.assertIn("OS_MGMT_ERR_INVALID_FORMAT", p.stderr)

    def test_datetime_get_and_set(self):
        doc = run_json("datetime")
        self.assertRegex(doc["datetime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
        self.assertEqual(run_json("datetime", "2030-01-02T03:04:05"),
                         {"datetime": "2030-01-02T03:04:05"})
        p = run("datetime", "yesterday")
        self.assertEqual(p.returncode, 1)

    def test_taskstat_in_both_versions(self):
        for version in ("1", "2"):
            with self.subTest(version=version):
                p = run("--smp-version", version, "taskstat")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("main", p.stdout)
                doc = run_json("--smp-version", version, "taskstat")
                self.assertGreaterEqual(len(doc["tasks"]), 3)
                for task in doc["tasks"].values():
                    self.assertIn("prio", task)
                    self.assertIn("stkuse", task)

    def test_mpstat(self):
        doc = run_json("mpstat")
        self.assertGreaterEqual(len(doc["mpools"]), 1)
        for pool in doc["mpools"].values():
            self.assertLessEqual(pool["nfree"], pool["nblks"])

    def test_bootloader(self):
        self.assertEqual(run_json("bootloader")["bootloader"], "MCUboot")
        doc = run_json("bootloader", "mode")
        self.assertIsInstance(doc["mode"], int)
        self.assertIn("swap", doc["mode_name"])

    def test_reset(self):
        self.assertEqual(run_json("reset"), {"reset": True})
        self.assertEqual(run("reset", "--force").returncode, 0)
        self.assertEqual(run("reset", "--bogus").returncode, 2)


class Image(WithState):
    def test_list_json_has_the_running_image(self):
        doc = self.sim_json("image", "list")
        first = doc["images"][0]
        for key in ("slot", "version", "hash", "active", "confirmed"):
            self.assertIn(key, first)
        self.assertEqual(first["slot"], 0)
        self.assertTrue(first["active"])
        self.assertTrue(first["confirmed"])
        self.assertEqual(len(bytes.fromhex(first["hash"])), 32)

    def test_test_and_confirm_errors(self):
        running = self.sim_json("image", "list")["images"][0]["hash"]
        p = self.sim("image", "test", running)  # the running image cannot be tested
        self.assertEqual(p.returncode, 1)
        self.assertIn("IMG_MGMT_ERR_IMAGE_SETTING_TEST_TO_ACTIVE_DENIED", p.stderr)
        p = self.sim("image", "test", "00" * 32)
        self.assertEqual(p.returncode, 1)
        self.assertIn("IMG_MGMT_ERR_HASH_NOT_FOUND", p.stderr)
        p = self.sim("--json", "image", "test", "00" * 32)
        error = json.loads(p.stdout)["error"]
        self.assertEqual((error["kind"], error["code"], error["group"], error["rc"]),
                         ("device", "IMG_MGMT_ERR_HASH_NOT_FOUND", 1, 8))
        doc = self.sim_json("image", "confirm")  # confirming the running image is fine
        self.assertTrue(doc["images"][0]["confirmed"])
        self.assertEqual(self.sim("image", "test", "zz").returncode, 2)

    def test_erase_and_slots(self):
        self.assertEqual(self.sim_json("image", "erase"), {"erased": "default"})
        p = self.sim("image", "erase", "0")  # the running slot
        self.assertEqual(p.returncode, 1)
        self.assertIn("IMG_MGMT_ERR_NO_FREE_SLOT", p.stderr)
        doc = self.sim_json("image", "slots")
        slots = doc["images"][0]["slots"]
        self.assertEqual([s["slot"] for s in slots], [0, 1])
        self.assertEqual(slots[0]["size"], 0x70000)

    def test_version_1_errors_are_folded(self):
        p = self.sim("--smp-version", "1", "image", "test", "00" * 32)
        self.assertEqual(p.returncode, 1)
        self.assertIn("MGMT_ERR_", p.stderr)
        self.assertNotIn("IMG_MGMT_ERR", p.stderr)


class Stat(unittest.TestCase):
    def test_list_and_show(self):
        names = run_json("stat", "list")["stat_list"]
        self.assertGreaterEqual(len(names), 1)
        for name in names:
            doc = run_json("stat", "show", name)
            self.assertEqual(doc["name"], name)
            self.assertIsInstance(doc["fields"], dict)
        p = run("stat", "show", "no-such-group")
        self.assertEqual(p.returncode, 1)
        self.assertIn("STAT_MGMT_ERR_INVALID_STAT_NAME", p.stderr)


class Settings(WithState):
    def test_set_get_delete_kept_across_runs(self):
        # a write lives in RAM until saved, as on Zephyr: the device keeps running between
        # runs, and a reset loses what was not saved
        self.assertEqual(self.sim("settings", "set", "app/greeting", "hello").returncode, 0)
        self.assertEqual(self.sim("settings", "get", "app/greeting").stdout, "hello\n")
        self.assertEqual(self.sim("reset").returncode, 0)
        self.assertEqual(self.sim("settings", "get", "app/greeting").returncode, 1)
        self.assertEqual(self.sim("settings", "set", "app/greeting", "hello").returncode, 0)
        self.assertEqual(self.sim("settings", "save").returncode, 0)
        self.assertEqual(self.sim("reset").returncode, 0)
        self.assertEqual(self.sim("settings", "get", "app/greeting").stdout, "hello\n")
        doc = self.sim_json("settings", "get", "app/greeting")
        self.assertEqual(bytes.fromhex(doc["val"]), b"hello")
        self.assertEqual(doc["text"], "hello")
        self.assertEqual(self.sim("settings", "set", "--hex", "app/raw", "00ff10").returncode, 0)
        self.assertEqual(self.sim("settings", "save", "app").returncode, 0)
        self.assertEqual(self.sim_json("settings", "get", "app/raw")["val"], "00ff10")
        for command in ("commit", "load", "save"):
            self.assertEqual(self.sim("settings", command).returncode, 0, command)
        # delete removes the stored value; the RAM copy lasts until the next boot
        self.assertEqual(self.sim("settings", "delete", "app/greeting").returncode, 0)
        self.assertEqual(self.sim("reset").returncode, 0)
        p = self.sim("settings", "get", "app/greeting")
        self.assertEqual(p.returncode, 1)
        self.assertIn("SETTINGS_MGMT_ERR", p.stderr)


class Shell(unittest.TestCase):
    def test_exec(self):
        doc = run_json("shell", "exec", "echo", "hello", "shell")
        self.assertIn("hello shell", doc["o"])
        self.assertEqual(doc["ret"], 0)
        p = run("shell", "exec", "no-such-command")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(run_json("shell", "exec", "no-such-command")["ret"], -8)


class Enum(unittest.TestCase):
    def test_count_list_details(self):
        count = run_json("enum", "count")["count"]
        groups = run_json("enum", "list")["groups"]
        self.assertEqual(len(groups), count)
        for g in (0, 1, 2, 3, 8, 9, 10, 63):
            self.assertIn(g, groups)
        details = run_json("enum", "details")["groups"]
        self.assertEqual([d["group"] for d in details], groups)
        self.assertEqual(run_json("enum", "single", "0")["group"], groups[0])
        p = run("enum", "single", str(count))
        self.assertEqual(p.returncode, 1)
        self.assertIn("ENUM_MGMT_ERR_INDEX_TOO_LARGE", p.stderr)


class Raw(unittest.TestCase):
    def test_echo_through_raw(self):
        doc = run_json("raw", "--op", "write", "--group", "0", "--id", "0", '{"d":"hi"}')
        self.assertEqual(doc["r"], "hi")
        # without --json: a line per member, not JSON
        p = run("raw", "--op", "write", "--group", "0", "--id", "0", '{"d":"hi"}')
        self.assertEqual((p.returncode, p.stdout), (0, "r: hi\n"))

    def test_vendor_group_error_and_bytes(self):
        p = run("raw", "--op", "read", "--group", "64", "--id", "1", '{"x": "h\'00ff\'"}')
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")  # the error only, on stderr, in words
        self.assertIn("MGMT_ERR_ENOTSUP (rc 8)", p.stderr)
        p = run("--json", "raw", "--op", "read", "--group", "64", "--id", "1")
        self.assertEqual(p.returncode, 1)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["rc"], 8)  # the answer as it is, and the error as every command's
        self.assertEqual((doc["error"]["kind"], doc["error"]["code"]),
                         ("device", "MGMT_ERR_ENOTSUP"))

    def test_bad_raw_arguments(self):
        self.assertEqual(run("raw", "--op", "read", "--group", "0").returncode, 2)
        self.assertEqual(run("raw", "--op", "peek", "--group", "0", "--id", "0").returncode, 2)
        self.assertEqual(run("raw", "--op", "read", "--group", "0", "--id", "0", "{").returncode,
                         2)


class Storage(WithState):
    def test_storage_erase_wipes_settings_and_files(self):
        self.sim("settings", "set", "app/x", "1")
        self.sim("settings", "save")
        f = os.path.join(self.dir, "f")
        with open(f, "wb") as out:
            out.write(b"data")
        self.assertEqual(self.sim("fs", "upload", f, "/lfs/f").returncode, 0)
        self.assertEqual(self.sim_json("storage-erase"), {"erased": True})
        self.assertEqual(self.sim("fs", "stat", "/lfs/f").returncode, 1)
        # the value in RAM lasts until the next boot
        self.assertEqual(self.sim("settings", "get", "app/x").returncode, 0)
        self.assertEqual(self.sim("reset").returncode, 0)
        self.assertEqual(self.sim("settings", "get", "app/x").returncode, 1)
        self.assertEqual(self.sim("fs", "stat", "/lfs/f").returncode, 1)


class Fs(WithState):
    SIZES = (0, 1, 1024, 100 * 1024)

    def round_trip(self, size, mtu, reassembly=False):
        device = ("--reassembly",) if reassembly else ()

        def fs(*args):
            return self.sim("--mtu", mtu, "fs", *args, device=device)

        def fs_json(*args):
            return self.sim_json("--mtu", mtu, "fs", *args, device=device)

        data = os.urandom(size)
        local = os.path.join(self.dir, f"in-{size}")
        back = os.path.join(self.dir, f"out-{size}")
        remote = f"/lfs/file-{size}"
        with open(local, "wb") as f:
            f.write(data)
        p = fs("upload", local, remote)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = fs("download", remote, back)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(back, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertFalse(os.path.exists(back + ".part"))
        self.assertEqual(fs_json("stat", remote)["len"], size)
        if size == 0:
            # Zephyr refuses to hash an empty file
            p = fs("hash", remote)
            self.assertEqual(p.returncode, 1)
            self.assertIn("FS_MGMT_ERR_FILE_EMPTY", p.stderr)
            return
        doc = fs_json("hash", remote, "--type", "sha256")
        self.assertEqual(doc["output"], hashlib.sha256(data).hexdigest())
        doc = fs_json("hash", remote, "--type", "crc32")
        self.assertEqual(doc["output"], zlib.crc32(data))

    def test_round_trip_mtu_498(self):
        for size in self.SIZES:
            with self.subTest(size=size):
                self.round_trip(size, "498")

    def test_round_trip_mtu_23_with_reassembly(self):
        for size in self.SIZES:
            with self.subTest(size=size):
                self.round_trip(size, "23", reassembly=True)

    def test_upload_at_mtu_23_needs_reassembly(self):
        local = os.path.join(self.dir, "small")
        with open(local, "wb") as f:
            f.write(b"x")
        p = self.sim("--mtu", "23", "fs", "upload", local, "/lfs/small")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no SMP reassembly", p.stderr)

    def test_missing_file_errors(self):
        p = self.sim("fs", "download", "/lfs/none", os.path.join(self.dir, "x"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("FS_MGMT_ERR_FILE_NOT_FOUND", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "x")))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "x.part")))
        p = self.sim("--smp-version", "1", "fs", "stat", "/lfs/none")
        self.assertIn("MGMT_ERR_ENOENT", p.stderr)
        p = self.sim("fs", "upload", os.path.join(self.dir, "nope"), "/lfs/x")
        self.assertEqual(p.returncode, 1)

    def test_types(self):
        doc = self.sim_json("fs", "types")
        self.assertEqual(doc["types"]["sha256"], {"format": 1, "size": 32})
        self.assertEqual(doc["types"]["crc32"], {"format": 0, "size": 4})


class OlderFirmware(unittest.TestCase):
    def test_version_1_device(self):
        for args in (("taskstat",), ("echo", "v1"), ("image", "list"), ("params",)):
            with self.subTest(command=args):
                p = run(*args, device=("--v1",))
                self.assertEqual(p.returncode, 0, p.stderr)
        p = run("stat", "show", "none", device=("--v1",))
        self.assertIn("MGMT_ERR_ENOENT", p.stderr)


if __name__ == "__main__":
    unittest.main()
