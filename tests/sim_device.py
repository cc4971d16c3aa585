# SPDX-License-Identifier: Apache-2.0
"""Runs dfu-smp-sim for a test: started with its options, its UDP address and pseudo-terminal
read from its first lines, always stopped (SIGTERM, then SIGKILL) and checked for a clean exit
and no sanitizer report; or running one dfu-smp command against its device in process
(sim_command), its output checked for saying it is simulated. Also the checks every transport
must pass: a representative command of each SMP group, with --json parsed, and a whole upgrade
with a real MCUboot image."""
import hashlib
import json
import os
import select
import signal
import subprocess
import tempfile
import time
import zlib

import run_tool

DFU_SMP = os.environ["DFU_SMP"]
DFU_SMP_SIM = os.environ.get("DFU_SMP_SIM") or os.path.join(os.path.dirname(DFU_SMP),
                                                            "dfu-smp-sim")
IMAGES = os.path.join(os.environ["SHARED_DIR"], "testdata", "mcuboot")
MANIFEST = json.load(open(os.path.join(IMAGES, "manifest.json")))
EXPECTED_HASH = {f["name"]: f.get("expected_image_hash") for f in MANIFEST["files"]}
START_TIMEOUT = 20
# the first line of a command's human output on the simulated device (tools/cli.h)
SIMULATED_LINE = "simulated device (dfu-smp-sim, virtual time)\n"


def unmark(p):
    """Checks that the output of `dfu-smp-sim -- COMMAND` (@p p, a CompletedProcess) says the
    device is simulated, then takes that off, so that a test sees what dfu-smp prints: the
    first line of human output, "simulated": true in a JSON document. Output that says nothing
    fails the test; no output at all is fine (the command failed before connecting)."""
    out = p.stdout
    said = out.startswith(SIMULATED_LINE)
    if said:
        out = out[len(SIMULATED_LINE):]
    if out.startswith("{"):
        try:
            doc = json.loads(out)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and "simulated" in doc:
            if doc.pop("simulated") is not True:
                raise AssertionError(f"\"simulated\" is not true: {p.stdout!r}")
            out = json.dumps(doc, indent=2) + "\n"
            said = True
    if out and not said:
        raise AssertionError(f"{p.args}: output does not say the device is simulated: "
                             f"{p.stdout!r}")
    p.stdout = out
    return p


def sim_command(*args, device=(), timeout=120):
    """`dfu-smp-sim DEVICE -- ARGS`: one dfu-smp command line against the simulated device in
    this process, with the options @p device gives it; its output unmarked (unmark())."""
    return unmark(run_tool.run(DFU_SMP_SIM, *device, "--", *args, timeout=timeout))


class SimDevice:
    """One dfu-smp-sim process; `udp` is "HOST:PORT" and `serial` the terminal's path."""

    def __init__(self, *args):
        self.args = args
        self.proc = subprocess.Popen([DFU_SMP_SIM, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.lines = []
        self.udp = self.serial = None
        out = b""
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while not out.endswith(b"ready\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                    raise AssertionError(f"dfu-smp-sim {args} did not start: {out!r}")
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    raise AssertionError(f"dfu-smp-sim {args} exited: "
                                         f"{self.proc.wait()} {self.proc.stderr.read()!r}")
                out += chunk
        except BaseException:
            self.kill()
            raise
        self.lines = out.decode().splitlines()
        for line in self.lines:
            if line.startswith("udp: "):
                self.udp = line[5:]
            elif line.startswith("serial: "):
                self.serial = line[8:]

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()

    def stop(self):
        """SIGTERM, as a user stops it; it must exit 0 with nothing from a sanitizer."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"dfu-smp-sim {self.args} ignored SIGTERM")
        err = err.decode(errors="replace")
        self.err = err  # what it logged (-v: each request it got)
        for mark in run_tool.SANITIZER_MARKS:
            if mark in err:
                raise AssertionError(f"dfu-smp-sim {self.args}: sanitizer report:\n{err}")
        if self.proc.returncode != 0:
            raise AssertionError(f"dfu-smp-sim {self.args}: exit {self.proc.returncode}: {err}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.stop()
        else:
            self.kill()


class GroupChecks:
    """Mixed into a TestCase whose `conn` (the --conn value) reaches a dfu-smp-sim; `tmp` is a
    directory of its own."""

    def dfu(self, *args):
        return run_tool.run(DFU_SMP, "--conn", self.conn, *args)

    def dfu_json(self, *args):
        p = self.dfu("--json", *args)
        self.assertEqual(p.returncode, 0, f"{args}: {p.stderr}")
        return json.loads(p.stdout)

    def test_os(self):
        self.assertEqual(self.dfu_json("echo", "hello device"), {"r": "hello device"})
        self.assertEqual(self.dfu_json("params"), {"buf_size": 2475, "buf_count": 4})
        self.assertIn("Zephyr", self.dfu_json("info", "a")["output"])
        self.assertGreaterEqual(len(self.dfu_json("taskstat")["tasks"]), 3)
        self.assertEqual(self.dfu_json("datetime", "2030-01-02T03:04:05"),
                         {"datetime": "2030-01-02T03:04:05"})
        # a text longer than one serial line and one frame of the device's answer
        long = "x" * 600
        self.assertEqual(self.dfu_json("echo", long), {"r": long})

    def test_image(self):
        first = self.dfu_json("image", "list")["images"][0]
        self.assertEqual(first["slot"], 0)
        self.assertTrue(first["active"])
        slots = self.dfu_json("image", "slots")["images"][0]["slots"]
        self.assertEqual([s["slot"] for s in slots], [0, 1])
        p = self.dfu("image", "test", "00" * 32)
        self.assertEqual(p.returncode, 1)
        self.assertIn("IMG_MGMT_ERR_HASH_NOT_FOUND", p.stderr)

    def test_stat(self):
        names = self.dfu_json("stat", "list")["stat_list"]
        self.assertEqual(self.dfu_json("stat", "show", names[0])["name"], names[0])

    def test_settings(self):
        self.assertEqual(self.dfu("settings", "set", "app/greeting", "hi").returncode, 0)
        self.assertEqual(self.dfu_json("settings", "get", "app/greeting")["text"], "hi")

    def test_fs(self):
        data = os.urandom(5000)
        local, back = os.path.join(self.tmp, "in"), os.path.join(self.tmp, "out")
        with open(local, "wb") as f:
            f.write(data)
        p = self.dfu("fs", "upload", local, "/lfs/data")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.dfu("fs", "download", "/lfs/data", back)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(back, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertEqual(self.dfu_json("fs", "stat", "/lfs/data")["len"], len(data))
        self.assertEqual(self.dfu_json("fs", "hash", "/lfs/data", "--type", "sha256")["output"],
                         hashlib.sha256(data).hexdigest())
        self.assertEqual(self.dfu_json("fs", "hash", "/lfs/data", "--type", "crc32")["output"],
                         zlib.crc32(data))

    def test_shell(self):
        doc = self.dfu_json("shell", "exec", "echo", "over", "the", "wire")
        self.assertIn("over the wire", doc["o"])
        self.assertEqual(doc["ret"], 0)

    def test_enum(self):
        groups = self.dfu_json("enum", "list")["groups"]
        for g in (0, 1, 2, 3, 8, 9, 10, 63):
            self.assertIn(g, groups)

    def test_raw(self):
        self.assertEqual(self.dfu_json("raw", "--op", "write", "--group", "0", "--id", "0",
                                       '{"d":"raw"}'), {"r": "raw"})


def new_tmp(test):
    """A temporary directory removed when @p test ends."""
    tmp = tempfile.TemporaryDirectory(prefix="dfu-smp-sim-test-")
    test.addCleanup(tmp.cleanup)
    return tmp.name


def check_upgrade(test, conn, name):
    """A whole upgrade with the image @p name, then the device runs it, confirmed."""
    p = run_tool.run(DFU_SMP, "--conn", conn, "upgrade", os.path.join(IMAGES, name))
    test.assertEqual(p.returncode, 0, p.stderr)
    test.assertIn("confirmed", p.stdout)
    p = run_tool.run(DFU_SMP, "--conn", conn, "--json", "image", "list")
    test.assertEqual(p.returncode, 0, p.stderr)
    slot0 = [i for i in json.loads(p.stdout)["images"] if i["slot"] == 0][0]
    test.assertEqual(slot0["hash"], EXPECTED_HASH[name])
    test.assertTrue(slot0["active"])
    test.assertTrue(slot0["confirmed"])


def check_bad_crc_asked_again(test, conn):
    """On @p conn to a dfu-smp-sim with --bad-crc-every 2: the first echo is answered at once,
    the second's answer has a bad CRC, is dropped (and logged) and the request sent again."""
    p = run_tool.run(DFU_SMP, "--conn", conn, "--timeout", "2", "-vv", "echo", "one")
    test.assertEqual((p.returncode, p.stdout), (0, "one\n"), p.stderr)
    test.assertNotIn("bad CRC", p.stderr)
    p = run_tool.run(DFU_SMP, "--conn", conn, "--timeout", "2", "-vv", "echo", "two")
    test.assertEqual((p.returncode, p.stdout), (0, "two\n"), p.stderr)
    test.assertIn("1 bad CRC", p.stderr)
    test.assertEqual(p.stderr.count("] serial: sent "), 2, p.stderr)
