# SPDX-License-Identifier: Apache-2.0
"""dfu-smp inspect on every file of testdata/mcuboot: --json agrees with the manifest (size,
SHA-256, header, version, every TLV of both areas, hash, trailer, validity, reason codes), signed
images verify with their key and fail with the other one, exit statuses agree with imgtool verify,
the text output's main lines, and usage errors."""
import json
import os
import unittest

import run_tool

DFU_SMP = os.environ["DFU_SMP"]
TESTDATA = os.path.join(os.environ["SHARED_DIR"], "testdata", "mcuboot")
with open(os.path.join(TESTDATA, "manifest.json")) as f:
    MANIFEST = json.load(f)
FILES = [f for f in MANIFEST["files"] if f["category"] in ("image", "corrupt")]
KEYS = {f["name"]: f for f in MANIFEST["files"] if f["category"] == "key"}
BY_NAME = {f["name"]: f for f in MANIFEST["files"]}
OTHER_KEY = "keys/ecdsa-p256-other-public.pem"
KEY_TYPES = {"ecdsa-p256": "ECDSA P-256", "ed25519": "Ed25519", "rsa-2048": "RSA-2048"}


def path(name):
    return os.path.join(TESTDATA, name)


def inspect(*args):
    return run_tool.run(DFU_SMP, "inspect", *args)


def inspect_json(name, *args):
    p = inspect("--json", path(name), *args)
    return p, json.loads(p.stdout)


def expected_tlvs(entry):
    """The manifest's TLVs of both areas as (type, name, len, value, value_offset or None)."""
    if entry["category"] == "image":
        layout = entry["layout"]
        areas = [layout.get("protected_tlv_area", {"tlvs": []}), layout["tlv_area"]]
        return [[(t["type"], t["type_name"], t["len"], t["value"], t["value_offset"])
                 for t in area["tlvs"]] for area in areas]
    dump = entry["imgtool_dumpinfo"]
    if dump["exit_code"] != 0:
        return None
    areas = dump["output"]["tlv_area"]
    # dumpinfo also shows a TLV cut by the end of the file; dfu-smp lists whole TLVs only
    return [[(t["type"], t["type_name"], t["len"], t["data"], None) for t in areas[key]
             if len(t["data"]) == 2 * t["len"]] for key in ("tlvs_prot", "tlvs")]


def listed_tlvs(doc, key):
    return [(t["type"], t["name"], t["len"], t["value"], t["value_offset"]) for t in doc[key]]


class EveryFile(unittest.TestCase):
    def check_header(self, entry, doc):
        want = entry["header"]
        header = doc["header"]
        self.assertEqual(header["magic"], int(want["ih_magic"], 16))
        self.assertEqual(header["load_addr"], int(want["ih_load_addr"], 16))
        self.assertEqual(header["hdr_size"], want["ih_hdr_size"])
        self.assertEqual(header["protect_tlv_size"], want["ih_protect_tlv_size"])
        self.assertEqual(header["img_size"], want["ih_img_size"])
        self.assertEqual(header["flags"], int(want["ih_flags"], 16))
        self.assertEqual(header["flag_names"], [])
        self.assertEqual(header["pad1"], int(want["_pad1"], 16))
        ver = want["ih_ver"]
        self.assertEqual(header["version"], {"major": ver["major"], "minor": ver["minor"],
                                             "revision": ver["revision"],
                                             "build": ver["build_num"]})
        self.assertEqual(doc["version"], want["version_string"])
        if entry["category"] == "image":
            self.assertEqual(doc["version"], entry["version"])
        dump = entry["imgtool_dumpinfo"]
        if dump["exit_code"] == 0:
            dh = dump["output"]["header"]
            self.assertEqual((header["magic"], header["load_addr"], header["hdr_size"],
                              header["protect_tlv_size"], header["img_size"],
                              header["flags"], doc["version"]),
                             (dh["magic"], dh["load_addr"], dh["hdr_size"],
                              dh["protected_tlv_size"], dh["img_size"], dh["flags"],
                              dh["version"]))

    def check_tlvs(self, entry, doc):
        want = expected_tlvs(entry)
        if want is None:
            # imgtool crashed on it: what dfu-smp lists follows from the base image and change
            base = BY_NAME[entry["base"]]
            if entry["invalid_reason_code"] == "TLV_AREA_PAST_EOF":
                want = expected_tlvs(base)
            else:  # the header already stops the parser
                want = [[], []]
                self.assertIsNone(doc["tlv_area"])
        for got, expected in zip((listed_tlvs(doc, "protected_tlvs"), listed_tlvs(doc, "tlvs")),
                                 want):
            self.assertEqual(len(got), len(expected))
            for g, e in zip(got, expected):
                self.assertEqual(g[:4], e[:4])
                if e[4] is not None:
                    self.assertEqual(g[4], e[4])

    def check_layout(self, entry, doc):
        layout = entry["layout"]
        self.assertEqual(doc["hash"]["hashed_region"], layout["hashed_region"])
        for key in ("protected_tlv_area", "tlv_area"):
            if key not in layout:
                self.assertIsNone(doc[key])
                continue
            area = doc[key]
            self.assertEqual((area["offset"], area["magic"], area["tlv_tot"], area["end"]),
                             (layout[key]["offset"], int(layout[key]["magic"], 16),
                              layout[key]["it_tlv_tot"], layout[key]["end"]))
        after = doc["after_tlv_area"]
        self.assertEqual(after["offset"], layout["tlv_area"]["end"])
        self.assertEqual(after["size"], layout["bytes_after_tlv_area"])
        self.assertTrue(after["erased"])
        if "trailer" in layout:
            trailer = after["trailer"]
            self.assertEqual(trailer["boot_magic_offset"], layout["trailer"]["boot_magic_offset"])
            self.assertEqual(trailer["image_ok_offset"], layout["trailer"]["image_ok_offset"])
            self.assertEqual(trailer["image_ok"], int(layout["trailer"]["image_ok"], 16))
            self.assertEqual(trailer["image_ok_state"], "set")
            dumped = entry["imgtool_dumpinfo"]["output"]["trailer"]
            self.assertEqual((trailer["boot_magic"], trailer["image_ok"], trailer["copy_done"],
                              trailer["swap_info"], trailer["swap_size"]),
                             (dumped["magic"], dumped["image_ok"], dumped["copy_done"],
                              dumped["swap_info"], dumped["swap_size"]))
        else:
            self.assertIsNone(after["trailer"])

    def check_hash(self, entry, doc):
        got = doc["hash"]
        if entry["category"] == "image":
            self.assertEqual(got["algorithm"], entry["hash_algorithm"])
            self.assertEqual(got["tlv"], entry["expected_image_hash"])
            self.assertEqual(got["computed"], entry["expected_image_hash"])
            self.assertTrue(got["ok"])
            return
        if entry["hash_tlv_value_in_file"] is not None:
            self.assertEqual(got["tlv"], entry["hash_tlv_value_in_file"])
        else:
            self.assertIn(got["tlv"], (None, entry["expected_image_hash"]))
        if got["tlv"] is not None:
            self.assertEqual(got["algorithm"], entry["hash_algorithm"])
        if entry["computed_hash_of_hashed_region"] is not None:
            self.assertEqual(got["computed"], entry["computed_hash_of_hashed_region"])
            self.assertEqual(got["ok"], got["computed"] == got["tlv"])

    def test_json_agrees_with_the_manifest(self):
        for entry in FILES:
            with self.subTest(file=entry["name"]):
                p, doc = inspect_json(entry["name"])
                self.assertEqual(doc["file"], path(entry["name"]))
                self.assertEqual(doc["size"], entry["size"])
                self.assertEqual(doc["sha256"], entry["sha256"])
                self.check_header(entry, doc)
                self.check_tlvs(entry, doc)
                self.check_hash(entry, doc)
                self.assertIsNone(doc["signature"])
                if entry["category"] == "image":
                    self.check_layout(entry, doc)
                    self.assertEqual(entry["expected_validity"], "valid")
                    self.assertEqual(p.returncode, 0, p.stderr)
                    self.assertTrue(doc["valid"])
                    self.assertIsNone(doc["problem"])
                    self.assertEqual(p.stderr, "")
                else:
                    code = entry["invalid_reason_code"]
                    self.assertEqual(p.returncode, 4)  # image invalid
                    self.assertFalse(doc["valid"])
                    self.assertEqual(doc["problem"]["code"], code)
                    lines = p.stderr.splitlines()
                    self.assertEqual(len(lines), 1, p.stderr)
                    self.assertIn(path(entry["name"]), lines[0])
                    self.assertIn(f"{code}: {doc['problem']['message']}", lines[0])

    def test_signed_images_verify_with_their_key_only(self):
        for entry in FILES:
            if not entry["signed"]:
                continue
            with self.subTest(file=entry["name"]):
                key = KEYS[entry["public_key"]]
                alg = entry["hash_algorithm"].lower()
                p, doc = inspect_json(entry["name"], "--key", path(entry["public_key"]))
                sig = doc["signature"]
                self.assertEqual(sig["key"], path(entry["public_key"]))
                if entry["category"] == "corrupt":
                    self.assertEqual(p.returncode, 4)  # image invalid
                    self.assertFalse(sig["verified"])
                    self.assertEqual(doc["problem"]["code"], entry["invalid_reason_code"])
                    continue
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertTrue(doc["valid"])
                self.assertTrue(sig["verified"])
                self.assertEqual(sig["code"], "OK")
                self.assertEqual(sig["key_type"], KEY_TYPES[entry["key_type"]])
                self.assertEqual(sig["signature_tlv"], entry["signature_tlv"])
                self.assertEqual(sig["key_tlv"], "KEYHASH")
                self.assertEqual(sig["key_hash"], key[f"keyhash_{alg}"])
                self.assertIn(entry["name"], key["verifies"])

                p, doc = inspect_json(entry["name"], "--key", path(OTHER_KEY))
                sig = doc["signature"]
                self.assertEqual(p.returncode, 4)  # image invalid
                self.assertFalse(doc["valid"])
                self.assertFalse(sig["verified"])
                self.assertEqual(sig["code"], "KEY_MISMATCH")
                self.assertEqual(doc["problem"]["code"], "KEY_MISMATCH")
                self.assertEqual(sig["key_hash"], KEYS[OTHER_KEY][f"keyhash_{alg}"])
                self.assertIn(path(entry["name"]), p.stderr)
                self.assertIn("KEY_MISMATCH", p.stderr)

    def test_unsigned_images_are_not_signed(self):
        for entry in FILES:
            if entry["signed"] or entry["category"] != "image":
                continue
            with self.subTest(file=entry["name"]):
                p, doc = inspect_json(entry["name"], "--key", path("keys/ecdsa-p256-public.pem"))
                self.assertEqual(p.returncode, 4)  # image invalid
                self.assertEqual(doc["signature"]["code"], "NOT_SIGNED")
                self.assertEqual(doc["problem"]["code"], "NOT_SIGNED")

    def test_exit_status_agrees_with_imgtool_verify(self):
        disagreements = " ".join(MANIFEST["imgtool_disagrees_with_expected_validity"])
        for entry in FILES:
            for run in entry["imgtool_verify"]:
                if run["result"].startswith("imgtool crashed"):
                    continue
                if run["key"] is None and entry["name"] + ":" in disagreements:
                    continue
                with self.subTest(file=entry["name"], key=run["key"]):
                    args = [path(entry["name"])]
                    if run["key"]:
                        args += ["--key", path(run["key"])]
                    p = inspect(*args)
                    self.assertEqual(p.returncode == 0, run["exit_code"] == 0, p.stderr)
                    self.assertIn(p.returncode, (0, 4))  # valid, or the image is invalid

    def test_keys_verify_what_the_manifest_says(self):
        for name, key in KEYS.items():
            if key["key_part"] != "public":
                continue
            for entry in FILES:
                if entry["category"] != "image" or not entry["signed"]:
                    continue
                with self.subTest(key=name, file=entry["name"]):
                    p = inspect(path(entry["name"]), "--key", path(name))
                    self.assertEqual(p.returncode == 0, entry["name"] in key["verifies"])


class Text(unittest.TestCase):
    def test_hash_only_image(self):
        p = inspect(path("01-hash-only.bin"))
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        for line in ("size: 4648 bytes", "  magic: 0x96f3b83d", "  header size: 512 (0x200)",
                     "  image size: 4096 (0x1000)", "  flags: 0x00000000 (none)",
                     "  version: 1.2.3+4", "protected TLV area: none",
                     "TLV area: at 4608, 40 bytes (it_tlv_tot), magic 0x6907",
                     "  SHA256 (0x10), 32 bytes at 4616: "
                     "ddc836ce1f68c68f04a39cd733db5bf043040e30fffca8e5cf6d60634deb0a5d",
                     "hash: SHA256 over [0, 4608)",
                     "  computed: ddc836ce1f68c68f04a39cd733db5bf043040e30fffca8e5cf6d60634deb0a5d"
                     " (matches)", "after the TLV area: nothing", "verdict: valid"):
            self.assertIn(line, lines)
        self.assertIn("sha256: 5cd864620b19561a7bc40f53017868ef57f369294d0dfb1fd4dc11a63293f8e0",
                      p.stdout)
        self.assertEqual(p.stderr, "")

    def test_signed_padded_image_with_its_key(self):
        p = inspect(path("05-padded-confirmed.bin"), "--key", path("keys/ecdsa-p256-public.pem"))
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        for line in ("  version: 1.0.0+0",
                     "after the TLV area: 56680 bytes from 8856, erased (0xff)",
                     "  trailer: boot magic at 65520 (align 8)", "  image_ok: 0x01 (set) at 65512",
                     "verdict: valid"):
            self.assertIn(line, lines)
        self.assertRegex(p.stdout, r"signature \(key .*ecdsa-p256-public.pem\): OK: signature "
                                   r"verified: ECDSASIG by this ECDSA P-256 key")
        # a long value is shortened in text, not in JSON
        sig = next(t for t in json.loads(inspect("--json", path("05-padded-confirmed.bin")).stdout)
                   ["tlvs"] if t["name"] == "ECDSASIG")
        self.assertEqual(len(sig["value"]), 144)
        self.assertNotIn(sig["value"], p.stdout)
        self.assertIn(f"  ECDSASIG (0x22), 72 bytes at 8784: {sig['value'][:48]}...", lines)

    def test_protected_tlvs(self):
        p = inspect(path("06c-seccnt-2deps.bin"))
        lines = p.stdout.splitlines()
        for line in ("protected TLV area: at 4608, 44 bytes (it_tlv_tot), magic 0x6908",
                     "  SEC_CNT (0x50), 4 bytes at 4616: 04000302 (33751044)",
                     "  DEPENDENCY (0x40), 12 bytes at 4624: 000000000100000000000000 "
                     "(image 0 >= 1.0.0+0)",
                     "  DEPENDENCY (0x40), 12 bytes at 4640: 010000000002000003000000 "
                     "(image 1 >= 0.2.0+3)"):
            self.assertIn(line, lines)

    def test_corrupt_file(self):
        p = inspect(path("corrupt/bad-magic.bin"))
        self.assertEqual(p.returncode, 4)
        self.assertIn("verdict: invalid: BAD_MAGIC: image header magic is 0x96f3b83c, not "
                      "0x96f3b83d", p.stdout)
        self.assertEqual(p.stderr.count("\n"), 1)
        self.assertIn("corrupt/bad-magic.bin: BAD_MAGIC: image header magic is 0x96f3b83c",
                      p.stderr)
        p = inspect(path("corrupt/flipped-payload-byte.bin"))
        self.assertIn("(DOES NOT MATCH)", p.stdout)
        p = inspect(path("02-ecdsa-p256.bin"), "--key", path(OTHER_KEY))
        self.assertEqual(p.returncode, 4)
        self.assertIn("verdict: invalid: KEY_MISMATCH: wrong key", p.stdout)

    def test_option_forms(self):
        key = path("keys/ecdsa-p256-public.pem")
        a = inspect("--json", path("02-ecdsa-p256.bin"), "--key", key)
        b = run_tool.run(DFU_SMP, "--json", "inspect", f"--key={key}", path("02-ecdsa-p256.bin"))
        self.assertEqual((a.returncode, b.returncode), (0, 0))
        self.assertEqual(json.loads(a.stdout), json.loads(b.stdout))


class Usage(unittest.TestCase):
    def assert_usage(self, *args, says):
        p = inspect(*args)
        self.assertEqual(p.returncode, 2, p.stderr)
        if "--json" in args:
            error = json.loads(p.stdout)["error"]
            self.assertEqual((error["kind"], error["code"]), ("usage", 2))
        else:
            self.assertEqual(p.stdout, "")
        self.assertIn(says, p.stderr)

    def test_usage_errors(self):
        image = path("01-hash-only.bin")
        self.assert_usage(says="give the image FILE")
        self.assert_usage("--json", says="give the image FILE")
        self.assert_usage(image, image, says="takes one FILE")
        self.assert_usage(image, "--bogus", says="unknown option '--bogus'")
        self.assert_usage(image, "--key", says="--key needs")
        self.assert_usage(image, "--key", path("keys/no-such-key.pem"), says="cannot read the key")
        self.assert_usage(image, "--key", image, says="is not a PEM key")

    def test_a_file_that_cannot_be_read_is_an_invalid_image(self):
        # exit 4 (image invalid), as upgrade says of the same file
        p = inspect(path("no-such-file.bin"))
        self.assertEqual((p.returncode, p.stdout), (4, ""), p.stderr)
        self.assertIn("cannot read", p.stderr)
        p = inspect("--json", TESTDATA)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertEqual(json.loads(p.stdout)["error"]["kind"], "image")
        self.assertIn("is a directory, not an image file", p.stderr)

    def test_listed_in_help(self):
        p = run_tool.run(DFU_SMP, "--help")
        self.assertIn("inspect FILE [--key PEM] [--json]", p.stdout)


if __name__ == "__main__":
    unittest.main()
