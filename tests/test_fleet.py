#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""dfu-smp fleet: many simulated devices (dfu-smp-sim --count N) upgraded by one process, in
one event loop; devices that fail (a link that goes away, a rollback, no answer at all)
reported with their reason while the others succeed; a gateway killed in the middle, run again
with its journal, finishing without sending again what was done; fleet run's results."""
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import tempfile
import termios
import time
import unittest

import run_tool
from sim_device import DFU_SMP, IMAGES, SimDevice

IMAGE_01 = os.path.join(IMAGES, "01-hash-only.bin")  # 1.2.3+4, 4648 bytes
IMAGE_02 = os.path.join(IMAGES, "02-ecdsa-p256.bin")  # 2.0.0, 100663 bytes
RUN_TIMEOUT = 240


def image_hash(path):
    """The image's hash as dfu-smp inspect reads it."""
    p = run_tool.run(DFU_SMP, "inspect", "--json", path)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["hash"]["tlv"]


def devices_of(sim, prefix):
    """The lines of the devices file dfu-smp-sim --devices-out wrote, named PREFIX-I."""
    with open(sim.devices_out) as f:
        lines = [line.split() for line in f if line.strip()]
    return [f"{words[0]} {prefix}-{i}" for i, words in enumerate(lines)]


class Sims:
    """dfu-smp-sim processes, each serving --count devices; all stopped at the end."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.sims = []

    def start(self, name, count, *args):
        out = os.path.join(self.tmp, f"{name}.devices")
        sim = SimDevice("--count", str(count), "--devices-out", out,
                        "--state", os.path.join(self.tmp, name), *args)
        sim.devices_out = out
        self.sims.append(sim)
        return devices_of(sim, name)

    def stop(self):
        for sim in self.sims:
            sim.stop()


def events(stdout):
    """The JSON Lines of a fleet run, parsed; every line must be one."""
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def results(evs):
    return {e["device"]: e for e in evs if e["event"] == "result"}


class FleetTest(unittest.TestCase):
    def setUp(self):
        self.tmp_dir = tempfile.TemporaryDirectory(prefix="dfu-smp-fleet-")
        self.tmp = self.tmp_dir.name
        self.sims = Sims(self.tmp)

    def tearDown(self):
        try:
            self.sims.stop()
        finally:
            self.tmp_dir.cleanup()

    def devices_file(self, lines):
        path = os.path.join(self.tmp, "devices")
        with open(path, "w") as f:
            f.write("# the fleet of this test\n\n" + "\n".join(lines) + "\n")
        return path

    def fleet(self, *args, timeout=RUN_TIMEOUT):
        return run_tool.run(DFU_SMP, *args, timeout=timeout)

    def test_udp_and_serial_fleet_with_faults(self):
        """16 devices over UDP and 8 over serial, upgraded at once, all confirmed; three that
        fail each with its own reason, without stopping the others."""
        udp = self.sims.start("udp", 16, "--udp", "127.0.0.1:0", "--busy-scale", "0.2")
        serial = self.sims.start("ser", 8, "--serial", "--busy-scale", "0.2")
        # a device whose link goes away for good in the middle of the upload
        away = self.sims.start("away", 1, "--udp", "127.0.0.1:0", "--fault",
                               "outage@4:600000")
        rolls = self.sims.start("rolls", 1, "--udp", "127.0.0.1:0", "--rollback")
        # a device that takes every request and never answers one
        mute = self.sims.start("mute", 1, "--udp", "127.0.0.1:0", "--fault",
                               "drop@1x1000000")
        faulty = [away[0] + " --reboot-timeout 3 --timeout 1",
                  rolls[0],
                  mute[0] + " --timeout 1"]
        path = self.devices_file(udp + serial + faulty)
        p = self.fleet("--json", "fleet", "upgrade", IMAGE_01, "--devices", path)
        self.assertEqual(p.returncode, 1, p.stderr)
        evs = events(p.stdout)
        res = results(evs)
        self.assertEqual(len(res), 27)
        good = [line.split()[1] for line in udp + serial]
        for name in good:
            self.assertEqual(res[name]["status"], "ok", res[name])
            self.assertEqual(res[name]["result"]["outcome"], "confirmed", res[name])
        self.assertEqual(res["away-0"]["status"], "failed")
        self.assertEqual(res["away-0"]["error"]["kind"], "link", res["away-0"])
        self.assertEqual(res["rolls-0"]["status"], "failed")
        self.assertEqual(res["rolls-0"]["error"]["kind"], "rolled-back", res["rolls-0"])
        self.assertEqual(res["mute-0"]["status"], "failed")
        self.assertEqual(res["mute-0"]["error"]["kind"], "link", res["mute-0"])
        self.assertIn("answer", res["mute-0"]["error"]["message"])
        summary = evs[-1]
        self.assertEqual(summary["event"], "summary")
        self.assertEqual((summary["ok"], summary["failed"], summary["skipped"]), (24, 3, 0))
        # the devices ran at the same time: each started before the first one ended
        starts = [i for i, e in enumerate(evs) if e["event"] == "start"]
        first_end = min(i for i, e in enumerate(evs) if e["event"] == "result")
        self.assertEqual(len(starts), 27)
        self.assertLess(max(starts), first_end)
        # every good device runs the new image, confirmed: fleet run asks them all
        want = image_hash(IMAGE_01)
        p = self.fleet("--json", "fleet", "run", "--devices", self.devices_file(udp + serial),
                       "--", "image", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        listed = results(events(p.stdout))
        self.assertEqual(len(listed), 24)
        for name, r in listed.items():
            slot0 = r["result"]["images"][0]
            self.assertEqual((slot0["hash"], slot0["active"], slot0["confirmed"]),
                             (want, True, True), name)
        # run again: nothing to send, every device up to date
        p = self.fleet("--json", "fleet", "upgrade", IMAGE_01, "--devices",
                       self.devices_file(udp + serial))
        self.assertEqual(p.returncode, 0, p.stderr)
        again = results(events(p.stdout))
        self.assertEqual({r["status"] for r in again.values()}, {"skipped"})

    def test_killed_gateway_resumes_from_its_journal(self):
        """SIGKILL while some devices are done and others upload; the same command again
        skips the done ones after one image list each and resumes the others' uploads."""
        fast = self.sims.start("fast", 2, "--udp", "127.0.0.1:0", "--busy-scale", "0")
        # -v: the slow devices log each answer, so the test sees how far their uploads got
        slow = self.sims.start("slow", 2, "--udp", "127.0.0.1:0", "--busy-scale", "3", "-v")
        slow_log = self.sims.sims[-1].proc.stderr
        journal = os.path.join(self.tmp, "journal.json")
        path = self.devices_file(fast + slow)
        args = [DFU_SMP, "--json", "fleet", "upgrade", IMAGE_02, "--devices", path,
                "--journal", journal]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        seen, log, done = b"", b"", set()
        chunks = {}  # upload chunks each slow device answered

        def killed_at_the_right_time():
            return done >= {"fast-0", "fast-1"} and min(chunks.get(i, 0) for i in (0, 1)) >= 12

        deadline = time.monotonic() + RUN_TIMEOUT
        try:
            while not killed_at_the_right_time():
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, f"never both done and uploading: {seen!r}")
                ready = select.select([proc.stdout, slow_log], [], [], left)[0]
                self.assertTrue(ready, f"no event: {seen!r}")
                if slow_log in ready:
                    log += os.read(slow_log.fileno(), 65536)
                    chunks = {}
                    # an answer to an upload chunk: {"rc": 0, "off": N}, 17 to 19 bytes
                    for m in re.finditer(rb"sim (\d): udp \S+: answer \d+ of 1[7-9] bytes",
                                         log):
                        chunks[int(m.group(1))] = chunks.get(int(m.group(1)), 0) + 1
                if proc.stdout not in ready:
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                self.assertTrue(chunk, f"the fleet ended first: {seen!r}")
                seen += chunk
                for line in seen.decode().splitlines():
                    if line.endswith("}"):
                        e = json.loads(line)
                        if e["event"] == "result" and e["status"] == "ok":
                            done.add(e["device"])
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.communicate()
        with open(journal) as f:
            kept = json.load(f)
        self.assertEqual(kept["devices"]["fast-0"]["state"], "ok")
        self.assertEqual(kept["devices"]["slow-0"]["state"], "running")
        self.assertFalse(os.path.exists(journal + ".tmp"))
        p = self.fleet(*args[1:])
        self.assertEqual(p.returncode, 0, p.stderr)
        res = results(events(p.stdout))
        for name in ("fast-0", "fast-1"):
            self.assertEqual(res[name]["status"], "skipped", res[name])
            self.assertIn("journal", res[name]["reason"])
            # checked with an image list, not upgraded again
            self.assertIn("images", res[name]["result"])
            self.assertNotIn("upload", res[name]["result"])
        for name in ("slow-0", "slow-1"):
            self.assertEqual(res[name]["status"], "ok", res[name])
            self.assertEqual(res[name]["result"]["outcome"], "confirmed")
            upload = res[name]["result"]["upload"]
            self.assertGreater(upload["resumed_at"], 0, upload)
            self.assertLess(upload["data_sent"], upload["bytes"], upload)

    def test_terminal_lines(self):
        """On a terminal: a line per running device (phase, progress, rate) redrawn in place
        under the totals, each device's last line left in the scrollback."""
        udp = self.sims.start("udp", 2, "--udp", "127.0.0.1:0", "--busy-scale", "0.2")
        path = self.devices_file(udp)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        proc = subprocess.Popen([DFU_SMP, "fleet", "upgrade", IMAGE_02, "--devices", path],
                                stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        screen = b""
        try:
            while True:
                self.assertTrue(select.select([master], [], [], RUN_TIMEOUT)[0], screen)
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the program closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
            out = proc.communicate(timeout=RUN_TIMEOUT)[0].decode()
        finally:
            proc.kill()
            os.close(master)
        self.assertEqual(proc.returncode, 0, screen)
        text = screen.decode()
        for mark in run_tool.SANITIZER_MARKS:
            self.assertNotIn(mark, text)
        self.assertRegex(text, r"\x1b\[\d+A\r\x1b\[J")  # up over the block, erased
        self.assertRegex(text, r"udp-0  uploading +\d+%  [\d.]+/98\.3 KiB  [\d.]+ kB/s")
        self.assertIn("2 ok, 0 skipped, 0 failed, 0 running, 0 waiting", text)
        for name in ("udp-0", "udp-1"):
            self.assertRegex(text, name + r"  ok in [\d.]+ s")
            # stdout is no terminal: the summary has every device
            self.assertRegex(out, name + r"  ok in [\d.]+ s")
        self.assertIn("2 devices in ", out)

    def test_run_text_and_usage(self):
        """fleet run on a terminal-less stdout: each device's lines after its name, then the
        summary; bad devices files are usage errors before anything is sent."""
        udp = self.sims.start("udp", 3, "--udp", "127.0.0.1:0")
        path = self.devices_file(udp)
        p = self.fleet("fleet", "run", "--devices", path, "--", "echo", "hello", "fleet")
        self.assertEqual(p.returncode, 0, p.stderr)
        for i in range(3):
            self.assertIn(f"udp-{i}: hello fleet\n", p.stdout)
        self.assertIn("3 devices in ", p.stdout)
        self.assertIn(": 3 ok, 0 skipped, 0 failed", p.stdout)
        # the devices file from stdin, one at a time
        p = run_tool.run(DFU_SMP, "fleet", "run", "--devices", "-", "--parallel", "1", "--",
                         "echo", "x", stdin="\n".join(udp) + "\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        bad = {
            "tcp:1.2.3.4 x\n": "no connection",
            "udp:127.0.0.1:1 a\nudp:127.0.0.1:2 a\n": "two devices are named 'a'",
            "udp:127.0.0.1:1 a --json\n": "'--json' is not taken here",
            "udp:127.0.0.1:1 a --mtu\n": "'--mtu' needs a value",
            "# nothing\n": "lists no device",
        }
        for text, message in bad.items():
            p = run_tool.run(DFU_SMP, "fleet", "upgrade", IMAGE_01, "--devices", "-",
                             stdin=text)
            self.assertEqual(p.returncode, 2, text)
            self.assertIn(message, p.stderr, text)
        p = self.fleet("fleet", "upgrade", IMAGE_01)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--devices FILE", p.stderr)
        p = self.fleet("fleet", "upgrade", os.path.join(IMAGES, "corrupt", "bad-magic.bin"),
                       "--devices", path)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("nothing was sent", p.stderr)
        p = self.fleet("fleet", "run", "--devices", path)
        self.assertEqual(p.returncode, 2)
        self.assertIn("give the COMMAND", p.stderr)


if __name__ == "__main__":
    unittest.main()
