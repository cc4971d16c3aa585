"""Our CBOR against python3-cbor2's: requests byte for byte, and responses in every shape
cbor2 (and real devices) produce."""
import os
import unittest

import cbor2

import run_tool

TOOL = os.environ["CODEC_TOOL"]


def run(*args):
    return run_tool.run(TOOL, *args)


def encode(*args):
    p = run("encode", *args)
    assert p.returncode == 0, p.stderr
    return bytes.fromhex(p.stdout.strip())


def decode(command, payload):
    return run("decode", command, payload.hex())


def indefinite_map(pairs):
    """A map as Zephyr sends it: 0xbf, key/value items, 0xff."""
    return b"\xbf" + b"".join(cbor2.dumps(k) + v for k, v in pairs) + b"\xff"


def uint_width(value, width):
    """An unsigned integer in a chosen (possibly non-minimal) width: 0, 1, 2, 4 or 8 bytes."""
    if width == 0:
        assert value < 24
        return bytes([value])
    info = {1: 24, 2: 25, 4: 26, 8: 27}[width]
    return bytes([info]) + value.to_bytes(width, "big")


class Requests(unittest.TestCase):
    def test_echo_matches_cbor2(self):
        for text in ["", "h", "hi", "hello world", "x" * 23, "x" * 24, "x" * 255, "x" * 256,
                     "x" * 1000, "grüße ✓"]:
            with self.subTest(length=len(text)):
                self.assertEqual(encode("echo", text), cbor2.dumps({"d": text}))

    def test_params_matches_cbor2(self):
        self.assertEqual(encode("params"), cbor2.dumps({}))


class Responses(unittest.TestCase):
    def test_echo_in_every_shape(self):
        r = cbor2.dumps("hi")
        shapes = {
            "definite": cbor2.dumps({"r": "hi"}),
            "indefinite": indefinite_map([("r", r)]),
            "indefinite text": indefinite_map([("r", b"\x7f\x61h\x61i\xff")]),
            "extra keys": cbor2.dumps({"z": [1, {"a": b"x"}], "r": "hi", "rc": 0}),
            "extra keys after": indefinite_map([("r", r), ("extra", cbor2.dumps(-5))]),
        }
        for name, payload in shapes.items():
            with self.subTest(shape=name):
                p = decode("echo", payload)
                self.assertEqual(p.returncode, 0, p.stdout)
                self.assertEqual(p.stdout.strip(), "r=hi")

    def test_params_keys_reordered_and_any_width(self):
        for size_w in (2, 4, 8):
            for count_w in (0, 1, 2, 4, 8):
                size = uint_width(2475, size_w)
                count = uint_width(4, count_w)
                for pairs in ([("buf_size", size), ("buf_count", count)],
                              [("buf_count", count), ("buf_size", size)]):
                    with self.subTest(size_w=size_w, count_w=count_w, first=pairs[0][0]):
                        p = decode("params", indefinite_map(pairs))
                        self.assertEqual(p.stdout.strip(), "buf_size=2475 buf_count=4")
        largest = cbor2.dumps({"buf_size": 2**32 - 1, "buf_count": 0})
        self.assertEqual(decode("params", largest).stdout.strip(),
                         "buf_size=4294967295 buf_count=0")

    def test_wrong_shapes_name_the_problem(self):
        cases = {
            "missing key": (cbor2.dumps({"buf_size": 1}), "'buf_count' is missing"),
            "wrong type": (cbor2.dumps({"buf_size": "1", "buf_count": 1}),
                           "'buf_size' is a text string"),
            "negative": (cbor2.dumps({"buf_size": -1, "buf_count": 1}),
                         "'buf_size' is a negative integer"),
            "too large": (cbor2.dumps({"buf_size": 2**40, "buf_count": 1}),
                          "'buf_size' is 1099511627776, more than 4294967295"),
            "not a map": (cbor2.dumps([1, 2]), "an array, expected a map"),
            "float": (cbor2.dumps({"buf_size": 1.5, "buf_count": 1}), "'buf_size' is a float"),
            "truncated": (cbor2.dumps({"buf_size": 2475, "buf_count": 4})[:-1],
                          "not valid CBOR"),
        }
        for name, (payload, needle) in cases.items():
            with self.subTest(case=name):
                p = decode("params", payload)
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertIn(needle, p.stdout)

    def test_device_errors_in_both_versions(self):
        p = decode("params", cbor2.dumps({"rc": 8}))
        self.assertEqual(p.returncode, 1)
        self.assertIn("MGMT_ERR_ENOTSUP (rc 8)", p.stdout)
        p = decode("echo", cbor2.dumps({"err": {"group": 0, "rc": 2}}))
        self.assertEqual(p.returncode, 1)
        self.assertIn("OS_MGMT_ERR_INVALID_FORMAT (rc 2)", p.stdout)

    def test_garbage_never_crashes(self):
        import random
        rng = random.Random(1234)
        good = cbor2.dumps({"buf_size": 2475, "buf_count": 4})
        for i in range(300):
            data = bytearray(good)
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            p = decode("params", bytes(data[:rng.randint(0, len(data))]))
            self.assertIn(p.returncode, (0, 1), p.stderr)


if __name__ == "__main__":
    unittest.main()
