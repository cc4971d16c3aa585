# SPDX-License-Identifier: Apache-2.0
"""dfu-smp against hostile devices, scripted in Python over UDP and over a serial console on a
pseudo-terminal: answers of random bytes, good headers with bogus CBOR, answers to other
requests, lengths that lie, streams that never end, answers nobody asked for, duplicates, and
silence (from the start, or in the middle of an upload). Every command must end (it is killed
after a generous bound, which fails the test) with the exit status and a message that say what
went wrong, in words and in --json, without a crash or sanitizer report and within a bounded
peak memory; where the hostile part is harmless (a duplicate, an answer to nothing) and the
device also answers right, the command must succeed.

DFU_SMP_HOSTILE_TABLE=FILE writes one line per run (behaviour, transport, command, exit status,
seconds, peak RSS, message) to FILE."""
import base64
import concurrent.futures
import json
import os
import random
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import cbor2

import run_tool
from scripted_device import ScriptedDevice, SerialDevice, console_stream, frame
from sim_device import DFU_SMP, EXPECTED_HASH, IMAGES
from smp_wire import crc16_xmodem

# --timeout: a run that must end on a timeout waits this long per request (sent --tries times
# within it), so that it takes a few seconds; one that ends on an answer gets a timeout a
# loaded host never reaches.
TIMEOUT = 1.0
TIMEOUT_ANSWERED = 10.0
TRIES = "2"
# A run not over by then hangs: it is killed and the test fails. An upgrade asks a few things
# before it uploads; none of the runs here should take more than a few timeouts.
END_BOUND = 30.0
# Peak memory (ru_maxrss from wait4()): dfu-smp needs a few MiB (its buffers are one SMP
# message each), but what a child reports also counts the high-water mark of this Python at
# the fork, carried over the exec (some 20 MiB; `dfu-smp --version` measures it, and it must
# leave half the bound). A client that grew with what a device sends would pass 64 MiB within
# the second an endless stream here lasts (15 to 270 MB a second). Under AddressSanitizer the
# quarantine of freed blocks would come on top: it is cut to 16 MiB below.
SANITIZED = os.environ.get("DFU_SMP_SANITIZE", "").upper() in ("ON", "1", "TRUE", "YES")
RSS_LIMIT_MIB = 64
# An endless stream must have sent more than every buffer of the client holds (a message of
# 64 KiB, a read of 4 KiB) many times over, or it proved nothing.
STREAM_MIN = 1 << 20

IMAGE = "01-hash-only.bin"
IMAGE_PATH = os.path.join(IMAGES, IMAGE)
IMAGE_HASH = bytes.fromhex(EXPECTED_HASH[IMAGE])
OLD_HASH = bytes(range(32))

COMMANDS = {
    "echo": ["echo", "hi"],
    "image list": ["image", "list"],
    "image upload": ["image", "upload", IMAGE_PATH],
    "upgrade": ["upgrade", IMAGE_PATH],
}

TABLE = []


class Raw(bytes):
    """Bytes a serial device writes as they are (no framing); a UDP device sends them as one
    datagram."""


class GoodDevice:
    """What a correct device answers (payload objects for cbor2): echo, its parameters, the
    image list, uploads to slot 1, test, reset (the tested image swapped in) and confirm."""

    def __init__(self, buf_size=1024):
        self.buf_size = buf_size
        self.off = 0
        self.size = 0
        self.slots = [{"slot": 0, "version": "1.0.0", "hash": OLD_HASH, "bootable": True,
                       "pending": False, "confirmed": True, "active": True,
                       "permanent": False}]
        self.uploads = 0  # upload requests answered

    def images(self):
        return {"images": [dict(s) for s in self.slots], "splitStatus": 0}

    def payload(self, req):
        g, c, body = req.group, req.cmd, req.body if isinstance(req.body, dict) else {}
        if (g, c) == (0, 0):
            return {"r": body.get("d", "")}
        if (g, c) == (0, 6):
            return {"buf_size": self.buf_size, "buf_count": 1}
        if (g, c) == (0, 5):
            if len(self.slots) > 1 and self.slots[1]["pending"]:
                new = dict(self.slots[1], slot=0, pending=False, active=True,
                           confirmed=False)
                old = dict(self.slots[0], slot=1, active=False, confirmed=False)
                self.slots = [new, old]
            return {}
        if (g, c) == (1, 0) and req.op == 0:
            return self.images()
        if (g, c) == (1, 0):
            if body.get("confirm"):
                self.slots[0]["confirmed"] = True
            elif len(self.slots) > 1 and body.get("hash") == self.slots[1]["hash"]:
                self.slots[1]["pending"] = True
            else:
                return {"rc": 3}
            return self.images()
        if (g, c) == (1, 1):
            self.uploads += 1
            if body.get("off") == 0:
                self.size, self.off = body.get("len", 0), 0
            if body.get("off") != self.off:
                return {"off": self.off}
            self.off += len(body.get("data", b""))
            if self.off >= self.size:
                self.slots[1:] = [{"slot": 1, "version": "0.0.0", "hash": IMAGE_HASH,
                                   "bootable": True, "pending": False, "confirmed": False,
                                   "active": False, "permanent": False}]
                return {"off": self.off, "match": True}
            return {"off": self.off}
        return {"rc": 8}

    def answer(self, req):
        return req.answer(self.payload(req))


def deep_nesting(n):
    return b"\x81" * n + b"\x00"


def many_keys(n):
    return b"\xb9" + struct.pack(">H", n) + b"".join(cbor2.dumps(i) + b"\x00" for i in range(n))


# Payloads of good CBOR of the wrong shape, or no good CBOR, each for any request.
BOGUS_CBOR = {
    "truncated CBOR": lambda right: right[:len(right) // 2],
    "wrong types": lambda right: cbor2.dumps({"r": 5, "images": "x", "off": "far", "rc": "bad",
                                              "buf_size": -1}),
    "not a map": lambda right: cbor2.dumps([1, 2, 3]),
    "deep nesting": lambda right: deep_nesting(20000),
    "a map with 3000 keys": lambda right: many_keys(3000),
    "a 1 TiB byte string claimed": lambda right: b"\xa1\x61r\x5b" + struct.pack(">Q", 1 << 40)
    + b"abc",
    "an array of 2^60 items claimed": lambda right: b"\xa1\x66images\x9b"
    + struct.pack(">Q", 1 << 60),
    "offset NaN": lambda right: b"\xa1\x63off\xfb" + struct.pack(">d", float("nan")),
    "offset 2^64-1": lambda right: b"\xa1\x63off\x1b" + struct.pack(">Q", (1 << 64) - 1),
}


def behaviours(transport):
    """name -> (respond(req, good), stream or None, expected) where expected is None (the
    command succeeds) or (exit status, words the message has)."""
    rnd = random.Random(1234)
    b = {}
    no_answer = (3, "no answer")

    def random_datagrams(req, good):
        return [Raw(rnd.randbytes(rnd.choice((0, 1, 7, 8, 9, 100, 1500)))) for _ in range(3)]
    b["random bytes"] = (random_datagrams, None,
                         (3, "came back that") if transport == "udp" else no_answer)
    if transport == "serial":
        def random_b64_lines(req, good):
            lines = []
            for _ in range(5):
                text = base64.b64encode(rnd.randbytes(rnd.randrange(1, 90)))
                lines.append((rnd.choice((b"\x06\x09", b"\x04\x14", b"")) + text + b"\n"))
            return [Raw(b"".join(lines))]
        b["random base64 lines"] = (random_b64_lines, None, (3, "damaged frames"))

        def bad_crc(req, good):
            msg = good.answer(req)
            stream = struct.pack(">H", len(msg) + 2) + msg + \
                struct.pack(">H", crc16_xmodem(msg) ^ 0x5555)
            return [Raw(console_stream(stream))]
        b["frames with a bad CRC"] = (bad_crc, None, (3, "bad CRC"))

    # good headers, bogus CBOR
    for name, make in BOGUS_CBOR.items():
        def bogus(req, good, make=make):
            return [req.answer(make(cbor2.dumps(good.payload(req))))]
        b["bogus CBOR: " + name] = (bogus, None, (1, ("malformed response",
                                                      "past the image")))

    for name, field in (("wrong sequence number", "seq"), ("wrong group", "group"),
                        ("wrong command", "cmd"), ("wrong op", "op")):
        def wrong(req, good, field=field):
            right = good.payload(req)
            lie = {"seq": (req.seq + 1) & 0xff, "group": req.group ^ 1, "cmd": req.cmd ^ 1,
                   "op": req.op}[field]
            return [req.answer(right, **{field: lie})]
        b[name] = (wrong, None, (3, "answered no request sent"))

    def huge_length(req, good):
        return [req.answer(cbor2.dumps(good.payload(req))[:4], length=0xffff)]
    b["header length 65535, short body"] = (huge_length, None, (3, "no SMP message"))
    if transport == "serial":
        def huge_frame(req, good):
            msg = good.answer(req)
            stream = struct.pack(">H", 0xffff) + msg + struct.pack(">H", crc16_xmodem(msg))
            return [Raw(console_stream(stream))]
        b["frame length 65535, short frame"] = (huge_frame, None, (3, "damaged frames"))

    # endless streams, from the first request on; the requests themselves get no answer
    def ignore(req, good):
        return []
    if transport == "udp":
        def flood():
            r = random.Random(5)
            while True:
                yield r.randbytes(r.randrange(0, 1400))
        b["endless flood of datagrams"] = (ignore, flood, no_answer)

        def answer_flood():
            """read answers of group 0, command 0: no command here asks that"""
            seq = 0
            while True:
                seq = (seq + 1) & 0xff
                body = cbor2.dumps({"r": "x" * 1000})
                yield struct.pack(">BBHHBB", 0x09, 0, len(body), 0, seq, 0) + body
        b["endless flood of answers to nothing"] = (ignore, answer_flood, no_answer)
    else:
        def no_newline():
            while True:
                yield b"A" * 4096
        b["bytes without end of line"] = (ignore, no_newline, no_answer)

        def never_complete():
            yield b"\x06\x09//8=\n"  # a packet of 65535 bytes begins
            while True:
                yield b"\x04\x14" + b"QUFB" * 30 + b"\n"
        b["a frame that never completes"] = (ignore, never_complete, no_answer)

        def noise_frames():
            while True:
                yield b"\x06\x09" + b"QUFB" * 30  # start lines, never ended
        b["frame starts without end"] = (ignore, noise_frames, no_answer)

    # harmless: the right answer among answers to nothing (before it, and after it: those
    # come between requests), and the right answer three times
    def unsolicited(req, good):
        other = [req.answer({"r": "not yours"}, seq=(req.seq - 1) & 0xff),
                 req.answer({"r": "nor this"}, seq=(req.seq + 7) & 0xff),
                 req.answer({"off": 0}, seq=(req.seq + 1) & 0xff, group=63),
                 req.answer({"images": []}, group=9)]
        return other[:2] + [good.answer(req)] + other[2:]
    b["answers to requests never sent"] = (unsolicited, None, None)

    def duplicated(req, good):
        msg = good.answer(req)
        return [msg, msg, msg]
    b["duplicated answers"] = (duplicated, None, None)

    b["silence"] = (ignore, None, no_answer)

    return b


def silence_mid_upload(req, good):
    """Good answers until a few chunks are uploaded, then nothing."""
    if (req.group, req.cmd) == (1, 1) and good.uploads >= 3:
        return []
    return [good.answer(req)]


def mid_upload(respond):
    """@p respond for upload requests once two chunks went through; good answers before."""
    def wrapped(req, good):
        if (req.group, req.cmd) == (1, 1) and good.uploads >= 2:
            return respond(req, good)
        return [good.answer(req)]
    return wrapped


def upload_lies():
    """Upload answers that lie about the offset: name -> (respond, expected)."""
    def stuck(req, good):
        good.payload(req)
        return [req.answer({"off": 0})]

    def backwards(req, good):
        good.payload(req)
        return [req.answer({"off": max(0, req.body["off"] - 100)})]

    def past_the_end(req, good):
        good.payload(req)
        return [req.answer({"off": os.path.getsize(IMAGE_PATH) + 4096})]

    def unknown_rc(req, good):
        return [req.answer({"rc": 1000, "rsn": "x" * 300})]
    return {"upload offset stuck at 0": (stuck, (1, "offset")),
            "upload offset going back": (backwards, (1, "offset")),
            "upload offset past the image": (past_the_end, (1, "offset")),
            "upload answered an unknown rc": (unknown_rc, (1, "1000"))}


def framing_behaviours(framing):
    """The behaviours for the raw and COBS framings (framing=raw, cobs): those of the console
    that do not depend on its lines, and streams of their own."""
    console = behaviours("serial")
    b = {name: console[name] for name in (
        "random bytes", "bogus CBOR: truncated CBOR", "bogus CBOR: a map with 3000 keys",
        "wrong sequence number", "wrong op", "answers to requests never sent",
        "duplicated answers", "silence")}
    respond, _, _ = console["header length 65535, short body"]
    # raw: the decoder waits for the bytes the header promised, then drops the part message
    b["header length 65535, short body"] = (respond, None, (3, (
        "no SMP message", "damaged frames", "but no whole message")))

    def ignore(req, good):
        return []

    def endless():
        r = random.Random(9)
        while True:  # no 0x00: a COBS frame that never ends; raw: messages that never end
            yield bytes(b | 1 for b in r.randbytes(4096))
    b["endless bytes"] = (ignore, endless, (3, "no answer"))
    return b


def device(transport, respond, stream):
    """@p transport: "udp", "serial" (the console framing), "raw" or "cobs"."""
    good = GoodDevice()

    def udp_respond(req):
        return respond(req, good)

    def serial_respond(req):
        return b"".join(m if isinstance(m, Raw) else frame(framing, m)
                        for m in respond(req, good))
    framing = "console" if transport == "serial" else transport
    if transport == "udp":
        dev = ScriptedDevice(respond=udp_respond, stream=stream)
    else:
        dev = SerialDevice(serial_respond, stream=stream, framing=framing)
    dev.good = good
    return dev


class Run:
    """One dfu-smp run: exit status, output, seconds, peak RSS (KiB), whether it was killed."""


def run(conn, args, timeout):
    """dfu-smp --conn @p conn --timeout @p timeout --tries TRIES --json ARGS (run_plain())."""
    return run_plain(["--conn", conn, "--timeout", str(timeout), "--tries", TRIES, "--json",
                      *args])


def run_plain(args):
    """dfu-smp ARGS, waited for with wait4() for its peak memory; killed (and so marked) if
    still running after END_BOUND."""
    r = Run()
    env = dict(os.environ)
    if SANITIZED:
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16"
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        argv = [DFU_SMP, *args]
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        killed = threading.Event()

        def kill():
            killed.set()
            proc.kill()
        timer = threading.Timer(END_BOUND, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        r.seconds = time.monotonic() - start
        proc.returncode = r.returncode = os.waitstatus_to_exitcode(status)
        r.killed = killed.is_set()
        r.maxrss_kib = usage.ru_maxrss
        out.seek(0)
        err.seek(0)
        r.stdout = out.read().decode(errors="replace")
        r.stderr = err.read().decode(errors="replace")
    r.argv = argv
    return r


def execute(transport, command, respond, stream, expected):
    """One run of @p command against a device of @p transport: (run, device)."""
    with device(transport, respond, stream) as dev:
        r = run(dev.conn, COMMANDS[command],
                TIMEOUT if expected and expected[0] == 3 else TIMEOUT_ANSWERED)
    return r, dev


# runs at once: most wait out a timeout, so side by side they take a fraction of the time
PARALLEL = 6


def check_all(test, cases):
    """Runs every case (subtest keys, transport, name, command, respond, stream, expected),
    PARALLEL at a time, then checks each in a subtest of its own."""
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        runs = [pool.submit(execute, c[1], c[3], c[4], c[5], c[6]) for c in cases]
        for c, future in zip(cases, runs):
            with test.subTest(**c[0]):
                r, dev = future.result()
                HostileDevices.verify(test, c[1], c[2], c[3], c[5], c[6], r, dev)


class HostileDevices(unittest.TestCase):
    def verify(self, transport, name, command, stream, expected, r, dev):
        message = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        TABLE.append((name, transport, command, r.returncode, r.seconds, r.maxrss_kib,
                      dev.sent, message))
        where = f"{name} / {transport} / {command}: exit {r.returncode} after " \
                f"{r.seconds:.1f} s, {r.maxrss_kib} KiB, {dev.sent} bytes from the " \
                f"device\n{r.stderr}"
        self.assertFalse(r.killed, "did not end: " + where)
        self.assertGreaterEqual(r.returncode, 0, "killed by a signal: " + where)
        if stream:
            self.assertGreater(dev.sent, STREAM_MIN, where)
        for mark in run_tool.SANITIZER_MARKS:
            self.assertNotIn(mark, r.stderr, where)
        self.assertLess(r.maxrss_kib, RSS_LIMIT_MIB * 1024, where)
        if expected is None:
            self.assertEqual(r.returncode, 0, where)
            doc = json.loads(r.stdout)
            slots = dev.good.slots
            if command == "echo":
                self.assertEqual(doc, {"r": "hi"})
            elif command == "image list":
                self.assertEqual(doc["images"][0]["hash"], OLD_HASH.hex())
            elif command == "image upload":
                self.assertEqual(slots[1]["hash"], IMAGE_HASH, where)  # all of it arrived
            else:
                self.assertEqual((slots[0]["hash"], slots[0]["confirmed"]), (IMAGE_HASH, True),
                                 where)  # it runs the new image, confirmed
            self.assertNotIn("error", doc)
            return
        status, words = expected
        words = (words,) if isinstance(words, str) else words
        self.assertEqual(r.returncode, status, where)
        self.assertTrue(any(w in message for w in words), f"{words} not said: {where}")
        doc = json.loads(r.stdout)
        self.assertEqual(list(doc), ["error"], where)
        if doc["error"]["kind"] != "device":  # the device's own errors go by their names
            self.assertEqual(doc["error"]["code"], status, where)
        self.assertTrue(any(w in doc["error"]["message"] for w in words), where)

    def each(self, transport):
        check_all(self, [({"behaviour": name, "command": command}, transport, name, command,
                          respond, stream, expected)
                         for name, (respond, stream, expected) in behaviours(transport).items()
                         for command in COMMANDS])

    def test_udp(self):
        self.each("udp")

    def test_serial(self):
        self.each("serial")

    def test_serial_raw_and_cobs_framings(self):
        check_all(self, [({"framing": framing, "behaviour": name, "command": command},
                          framing, name, command, respond, stream, expected)
                         for framing in ("raw", "cobs")
                         for name, (respond, stream, expected)
                         in framing_behaviours(framing).items()
                         for command in COMMANDS])

    def test_good_device(self):
        """The scripted device itself is right: every command succeeds on it."""
        check_all(self, [({"transport": transport, "command": command}, transport,
                          "good device", command, lambda req, good: [good.answer(req)], None,
                          None)
                         for transport in ("udp", "serial", "raw", "cobs")
                         for command in COMMANDS])

    def test_silence_in_the_middle_of_an_upload(self):
        check_all(self, [({"transport": transport, "command": command}, transport,
                          "silence mid-upload", command, silence_mid_upload, None,
                          (3, "no answer"))
                         for transport in ("udp", "serial", "raw", "cobs")
                         for command in ("image upload", "upgrade")])


class HostileInTheMiddleOfAnUpload(unittest.TestCase):
    """Every behaviour that fails a run, from the third upload request on; and upload answers
    that lie about the offset."""

    def each(self, transport):
        cases = {name: (respond, expected)
                 for name, (respond, stream, expected) in behaviours(transport).items()
                 if expected and not stream}
        cases.update(upload_lies())
        # one that waits out its timeout costs a few recoveries of the upload: once
        check_all(self, [({"behaviour": name, "command": command}, transport,
                          name + " (mid-upload)", command, mid_upload(respond), None, expected)
                         for name, (respond, expected) in cases.items()
                         for command in ("image upload", "upgrade")[
                             :1 if expected[0] == 3 else 2]])

    def test_udp(self):
        self.each("udp")

    def test_serial(self):
        self.each("serial")


def setUpModule():
    r = run_plain(["--version"])
    assert r.returncode == 0, r.stderr
    assert r.maxrss_kib < RSS_LIMIT_MIB * 1024 // 2, f"baseline {r.maxrss_kib} KiB"


def tearDownModule():
    path = os.environ.get("DFU_SMP_HOSTILE_TABLE")
    if path:
        with open(path, "w") as f:
            for row in TABLE:
                f.write("%s\t%s\t%s\t%d\t%.1f\t%d\t%d\t%s\n" % row)


if __name__ == "__main__":
    unittest.main()
