# SPDX-License-Identifier: Apache-2.0
"""dfu-smp inspect on upgrade packages (dfu_application.zip, made by tests/package.py from the
images of testdata/mcuboot): a good two-image package in text and JSON (each image's inspection
as for the file alone), --key checking every image, image_index as a string or an integer,
files the manifest does not name ignored, and every refusal (a damaged zip, no or a bad
manifest, bad entries, a missing, oversized, damaged or mismatched file, an invalid image): exit
status 4, a message naming the package and what is wrong, the --json error."""
import json
import os
import shutil
import tempfile
import unittest
import zipfile

import package
import run_tool

DFU_SMP = os.environ["DFU_SMP"]
ECDSA = package.image_path("02-ecdsa-p256.bin")
HASH_ONLY = package.image_path("01-hash-only.bin")
KEY = package.image_path("keys/ecdsa-p256-public.pem")
GOOD = [(0, ECDSA), (1, HASH_ONLY)]


def inspect(*args):
    return run_tool.run(DFU_SMP, "inspect", *args)


class PackageTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dfu-smp-package-")
        self.addCleanup(shutil.rmtree, self.dir)

    def make(self, images=GOOD, **kwargs):
        return package.make_package(self.dir, images, **kwargs)

    def refused(self, path, *words, args=()):
        """inspect of @p path is refused: exit 4, one line on stderr naming the package and
        holding each of @p words, and with --json the same as an image error."""
        p = inspect(path, *args)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertEqual(p.stdout, "")
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn(path, lines[0])
        for word in words:
            self.assertIn(word, lines[0])
        self.assertTrue(lines[0].endswith("nothing was sent"), lines[0])
        p = inspect("--json", path, *args)
        self.assertEqual(p.returncode, 4, p.stderr)
        error = json.loads(p.stdout)["error"]
        self.assertEqual((error["kind"], error["code"]), ("image", 4))
        self.assertIn(error["message"], p.stderr)
        for word in words:
            self.assertIn(word, error["message"])
        return lines[0]


class GoodPackage(PackageTest):
    def test_text(self):
        p = inspect(self.make())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        out = p.stdout
        self.assertIn("name: dfu_application\n", out)
        self.assertIn("format-version: 1\n", out)
        self.assertIn("images: 2\n", out)
        self.assertIn("  image 0: 02-ecdsa-p256.bin, type application, board "
                      "nrf5340dk/nrf5340/cpuapp, soc nrf5340, version 2.0.0+0, 100663 bytes\n",
                      out)
        self.assertIn("  image 1: 01-hash-only.bin, type network, board "
                      "nrf5340dk/nrf5340/cpunet, soc nrf5340, version 1.2.3+4, 4648 bytes\n",
                      out)
        # then each image's own inspection, as for the file alone
        for index, path in GOOD:
            alone = inspect(path).stdout.replace(path, os.path.basename(path))
            self.assertIn(f"\nimage {index}:\n{alone}", out)
        self.assertEqual(out.count("verdict: valid\n"), 2)

    def test_json(self):
        p = inspect("--json", self.make())
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["package"]["name"], "dfu_application")
        self.assertEqual(doc["package"]["format_version"], 1)
        self.assertEqual(doc["package"]["count"], 2)
        self.assertEqual([i["image"] for i in doc["images"]], [0, 1])
        for got, (index, path) in zip(doc["images"], GOOD):
            want = package.entry(index, path)
            self.assertEqual(got["file"], os.path.basename(path))
            for key in ("type", "board", "soc", "size", "load_address"):
                self.assertEqual(got[key], want[key], key)
            self.assertEqual(got["version"], want["version_MCUBOOT"])
            alone = json.loads(inspect("--json", path).stdout)
            alone["file"] = os.path.basename(path)
            self.assertEqual(got["inspect"], alone)
            self.assertTrue(got["inspect"]["valid"])

    def test_in_image_number_order_integer_index_and_other_files_ignored(self):
        def edit(m):
            m["files"].reverse()
            m["files"][0]["image_index"] = 1  # an integer, as some tools write it
            del m["files"][0]["board"]
            m["files"][0]["unknown"] = {"x": 1}
        path = self.make(edit=edit, extra_files={"notes.txt": b"not an image",
                                                 "app.elf": b"\x7fELF"})
        p = inspect("--json", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual([(i["image"], i["file"]) for i in doc["images"]],
                         [(0, "02-ecdsa-p256.bin"), (1, "01-hash-only.bin")])
        self.assertIsNone(doc["images"][1]["board"])

    def test_optional_keys_absent(self):
        def edit(m):
            m.pop("name")
            m.pop("format-version")
            for f in m["files"]:
                for key in ("type", "board", "soc", "size", "version_MCUBOOT", "load_address"):
                    f.pop(key)
        p = inspect("--json", self.make(edit=edit))
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertIsNone(doc["package"]["name"])
        self.assertIsNone(doc["package"]["format_version"])
        self.assertEqual([(i["type"], i["version"], i["load_address"]) for i in doc["images"]],
                         [(None, None, None)] * 2)
        self.assertEqual(doc["images"][0]["size"], os.path.getsize(ECDSA))

    def test_version_without_build_means_build_0(self):
        def edit(m):
            m["files"][0]["version_MCUBOOT"] = "2.0.0"
        p = inspect(self.make(edit=edit))
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_stored_not_compressed(self):
        p = inspect(self.make(compression=zipfile.ZIP_STORED))
        self.assertEqual(p.returncode, 0, p.stderr)


class Key(PackageTest):
    def test_every_image_must_verify(self):
        line = self.refused(self.make(), "01-hash-only.bin", "does not verify", KEY,
                            args=("--key", KEY))
        self.assertNotIn("02-ecdsa-p256.bin", line)

    def test_signed_images_verify(self):
        p = inspect("--json", self.make([(0, ECDSA)]), "--key", KEY)
        self.assertEqual(p.returncode, 0, p.stderr)
        sig = json.loads(p.stdout)["images"][0]["inspect"]["signature"]
        self.assertEqual((sig["key"], sig["verified"], sig["code"]), (KEY, True, "OK"))
        p = inspect(self.make([(0, ECDSA)], name="one.zip"), "--key", KEY)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"signature (key {KEY}): OK", p.stdout)

    def test_unreadable_key_is_a_usage_error(self):
        p = inspect(self.make(), "--key", os.path.join(self.dir, "none.pem"))
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("cannot read the key", p.stderr)


class Refused(PackageTest):
    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_damaged_zip(self):
        with open(self.make(), "rb") as f:
            data = f.read()
        self.refused(self.write("cut.zip", data[:len(data) // 2]), "damaged zip")
        self.refused(self.write("magic.zip", b"PK\3\4"), "damaged zip")

    def test_damaged_member(self):
        path = self.make(compression=zipfile.ZIP_STORED)
        with open(path, "rb") as f:
            data = bytearray(f.read())
        with open(HASH_ONLY, "rb") as f:
            at = data.index(f.read()[:64]) + 1000
        data[at] ^= 0xff  # the CRC no longer matches
        self.refused(self.write("crc.zip", bytes(data)), "cannot read 01-hash-only.bin")

    def test_no_manifest(self):
        self.refused(self.make(leave_out=("manifest.json",)), "no manifest.json")

    def test_manifest_not_json(self):
        self.refused(self.make(manifest_text="{\"files\": ["), "manifest.json is not JSON")
        self.refused(self.make(manifest_text=b"\xff\xfe"), "manifest.json is not JSON")

    def test_manifest_not_an_object(self):
        self.refused(self.make(manifest_text="[]"), "manifest.json is not a JSON object")

    def test_files_missing_empty_or_no_list(self):
        def drop(m):
            del m["files"]
        self.refused(self.make(edit=drop), 'no "files" list')
        self.refused(self.make(edit=lambda m: m.update(files=[])), '"files" is empty')
        self.refused(self.make(edit=lambda m: m.update(files={"file": "a"})),
                     '"files" is not a list')

    def test_entry_not_an_object(self):
        self.refused(self.make(edit=lambda m: m["files"].append("x.bin")),
                     "files[2] is not an object")

    def test_entry_without_file_or_index(self):
        self.refused(self.make(edit=lambda m: m["files"][1].pop("file")),
                     'files[1] has no "file"')
        self.refused(self.make(edit=lambda m: m["files"][1].pop("image_index")),
                     'files[1] (01-hash-only.bin) has no "image_index"')

    def test_image_index_out_of_range(self):
        for bad, shown in (("256", '"256"'), ("-1", '"-1"'), ("x", '"x"'), ("", '""'),
                           (256, "256"), (-1, "-1"), (1.0, "no number"), (None, "no number")):
            with self.subTest(bad=bad):
                def edit(m):
                    m["files"][1]["image_index"] = bad
                self.refused(self.make(edit=edit), f"image_index {shown} is not an image "
                             "number 0..255", "01-hash-only.bin")

    def test_same_image_index_twice(self):
        def edit(m):
            m["files"][1]["image_index"] = "0"
        self.refused(self.make(edit=edit), "files[0] (02-ecdsa-p256.bin) and files[1] "
                     "(01-hash-only.bin) are both image 0")

    def test_named_file_missing(self):
        self.refused(self.make(leave_out=("01-hash-only.bin",)),
                     "01-hash-only.bin, named by manifest.json, is not in the zip")

    def test_entry_larger_than_64_mib(self):
        big = bytes(64 * 1024 * 1024 + 1)
        path = self.make([(0, ECDSA)], extra_files={"big.bin": big},
                         edit=lambda m: m["files"].append({"file": "big.bin",
                                                           "image_index": "1"}))
        self.refused(path, "big.bin is 67108865 bytes uncompressed, more than the 67108864")

    def test_more_than_8_images(self):
        images = []
        for i in range(9):
            images.append((i, os.path.join(self.dir, f"image{i}.bin")))
            shutil.copyfile(HASH_ONLY, images[-1][1])
        self.refused(self.make(images), "names 9 images, more than the 8")

    def test_size_mismatch(self):
        def edit(m):
            m["files"][1]["size"] = 4647
        self.refused(self.make(edit=edit), "01-hash-only.bin is 4648 bytes, manifest.json "
                     "says 4647")
        self.refused(self.make(edit=lambda m: m["files"][1].update(size="4648")),
                     'the "size" of 01-hash-only.bin is not a byte count')

    def test_version_mismatch(self):
        for bad in ("1.2.3", "1.2.3+5", "1.2.4+4", "2.2.3+4"):
            with self.subTest(version=bad):
                def edit(m):
                    m["files"][1]["version_MCUBOOT"] = bad
                self.refused(self.make(edit=edit), "01-hash-only.bin is version 1.2.3+4, "
                             f"manifest.json says {bad}")

    def test_version_not_a_version(self):
        for bad in ("v1.2.3", "1.2", "1.2.3+", "1.2.3.4", "256.0.0", "1.2.3+4x", 1):
            with self.subTest(version=bad):
                def edit(m):
                    m["files"][1]["version_MCUBOOT"] = bad
                self.refused(self.make(edit=edit), "the version_MCUBOOT of 01-hash-only.bin "
                             "is not a version")

    def test_invalid_image(self):
        corrupt = package.image_path("corrupt/flipped-payload-byte.bin")
        self.refused(self.make([(0, ECDSA), (1, corrupt)],
                               edit=lambda m: m["files"][1].pop("version_MCUBOOT")),
                     "flipped-payload-byte.bin in ", "is not a valid MCUboot image")


if __name__ == "__main__":
    unittest.main()
