#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""What dfu-smp says when something goes wrong, and with which exit status, in words and with
--json ({"error": {"kind", "code", "message"}}): a long erase waited for and never sent twice,
a silent or stalled device named with its address, Ctrl-C saying how to resume (and the next
run resuming), image files that are no image (a directory, Intel HEX, ELF, a missing file), bad
--conn specs, usage errors, the same image marked by an earlier run, erasing the running slot,
an image number the device has not, the hash image upload prints, a rollback."""
import json
import os
import signal
import socket
import subprocess
import unittest

import run_tool
from sim_device import DFU_SMP, EXPECTED_HASH, IMAGES, SimDevice, new_tmp, sim_command

SMALL = os.path.join(IMAGES, "01-hash-only.bin")
LARGE = os.path.join(IMAGES, "08-ecdsa-p256-480k.bin")
BUILD = os.path.dirname(DFU_SMP)
EXIT_TIMEOUT = 60  # the bound on waiting for dfu-smp to exit after a signal


def dfu(*args, timeout=120):
    return run_tool.run(DFU_SMP, *args, timeout=timeout)


def error_of(test, p, kind, code):
    """The --json error document of @p p, checked: its kind and code, its message the line on
    stderr."""
    error = json.loads(p.stdout)["error"]
    test.assertEqual((error["kind"], error["code"]), (kind, code), p.stdout)
    test.assertIn(error["message"], p.stderr)
    return error


class ExitTable(unittest.TestCase):
    def test_every_status_is_in_help_and_the_man_page(self):
        helptext = dfu("--help").stdout
        with open(os.path.join(BUILD, "dfu-smp.1")) as f:
            man = f.read().replace("\\-", "-")
        for status in ("0", "1", "2", "3", "4", "5", "130"):
            self.assertRegex(helptext, rf"\n  {status} +\S", status)
            self.assertIn(f".B {status}\n", man)
        for kind in ("usage", "link", "device", "image", "rolled-back", "interrupted",
                     "refused"):
            self.assertIn(f"\\fB{kind}\\fR\n", man)


class RebootTimeout(unittest.TestCase):
    def test_in_help_man_page_and_completion(self):
        self.assertIn("--reboot-timeout SECONDS", dfu("--help").stdout)
        with open(os.path.join(BUILD, "dfu-smp.1")) as f:
            self.assertIn("reboot\\-timeout", f.read())
        with open(os.path.join(BUILD, "dfu-smp.bash")) as f:
            self.assertIn("--reboot-timeout", f.read())

    def test_taken_and_checked(self):
        p = sim_command("--reboot-timeout", "5", "upgrade", SMALL)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("confirmed", p.stdout)
        for bad in ("0", "x", "3601"):
            p = dfu("--json", "--reboot-timeout", bad, "echo", "x")
            self.assertEqual(p.returncode, 2)
            self.assertIn("--reboot-timeout takes seconds", error_of(self, p, "usage", 2)["message"])


class LongErase(unittest.TestCase):
    def test_an_erase_longer_than_the_timeout_is_waited_for_and_sent_once(self):
        # the slot's erase takes about 2.8 s here, longer than --timeout 1 with 3 tries
        for json_out in (False, True):
            with self.subTest(json=json_out):
                with SimDevice("--udp", "127.0.0.1:0", "-v", "--busy-scale", "0.3") as sim:
                    p = dfu("--conn", "udp:" + sim.udp, "--timeout", "1", "--tries", "3",
                            *(("--json",) if json_out else ()), "image", "erase")
                    self.assertEqual(p.returncode, 0, p.stderr)
                    if json_out:
                        self.assertEqual(json.loads(p.stdout), {"erased": "default"})
                    else:
                        self.assertEqual(p.stdout, "erased the non-running slot\n")
                # slot info (for the slot's size), then the erase, once
                self.assertEqual(sim.err.count(": request of "), 2, sim.err)


class SilentDevice(unittest.TestCase):
    def test_upgrade_names_the_device_and_the_hint_as_echo_does(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))  # takes every datagram, answers none
            conn = "udp:127.0.0.1:%d" % s.getsockname()[1]
            echo = dfu("--conn", conn, "--timeout", "0.4", "echo", "x")
            self.assertEqual(echo.returncode, 3)
            said = echo.stderr.split("echo: ", 1)[1].strip()
            self.assertIn(conn, said)
            self.assertIn("see --timeout", said)
            for args in (("upgrade", SMALL), ("image", "upload", SMALL)):
                with self.subTest(args=args):
                    p = dfu("--conn", conn, "--timeout", "0.4", *args)
                    self.assertEqual((p.returncode, p.stdout), (3, ""))
                    self.assertIn(said, p.stderr)
                    p = dfu("--conn", conn, "--timeout", "0.4", "--json", *args)
                    self.assertIn(said, error_of(self, p, "link", 3)["message"])


def start_upload(sim, *args):
    """dfu-smp ARGS against @p sim, its stderr read line by line."""
    return subprocess.Popen([DFU_SMP, "--conn", "udp:" + sim.udp, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(p, needle):
    """Reads @p p's stderr until a line has @p needle; fails if it ends first."""
    for line in p.stderr:
        if needle in line:
            return line
    raise AssertionError(f"dfu-smp ended before saying {needle!r}: exit {p.wait()}")


def finish(p):
    """The exit status, stdout and the rest of stderr of @p p, waited for with a bound."""
    try:
        out, err = p.communicate(timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise AssertionError("dfu-smp did not exit")
    return p.returncode, out, err


def resumed_at(test, sim):
    """Runs the same upgrade again: it must resume from the device's offset, not 0."""
    p = dfu("--conn", "udp:" + sim.udp, "--json", "upgrade", LARGE)
    test.assertEqual(p.returncode, 0, p.stderr)
    doc = json.loads(p.stdout)
    test.assertEqual(doc["outcome"], "confirmed")
    test.assertGreater(doc["upload"]["resumed_at"], 0)
    return doc["upload"]["resumed_at"]


# a slot the 480 KiB image fits, its erase and writes quick enough to wait for
UPLOAD_SIM = ("--udp", "127.0.0.1:0", "--slot-size", "0x80000", "--busy-scale", "0.2")


class Interrupted(unittest.TestCase):
    def test_ctrl_c_mid_upload_says_how_to_resume_and_the_next_run_resumes(self):
        with SimDevice(*UPLOAD_SIM) as sim:
            p = start_upload(sim, "upgrade", LARGE)
            wait_for(p, "(20%)")
            p.send_signal(signal.SIGINT)
            rc, out, err = finish(p)
            self.assertEqual((rc, out), (130, ""), err)
            self.assertIn("upgrade: interrupted: aborted during upload", err)
            self.assertIn("run the same command again: it resumes at the offset the device has",
                          err)
            self.assertGreater(resumed_at(self, sim), 20 * 492183 // 100)

    def test_ctrl_c_with_json(self):
        with SimDevice(*UPLOAD_SIM) as sim:
            p = start_upload(sim, "-vv", "--json", "image", "upload", LARGE)
            for _ in range(30):  # the upload is under way: its requests go out
                wait_for(p, "] udp: sent ")
            p.send_signal(signal.SIGINT)
            rc, out, err = finish(p)
            self.assertEqual(rc, 130, err)
            p.stdout, p.stderr = out, err
            self.assertIn("resumes at the offset", error_of(self, p, "interrupted", 130)["message"])

    def test_ctrl_c_in_another_command_says_what_it_cut_short(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            for json_out in (False, True):
                p = subprocess.Popen([DFU_SMP, "--conn", "udp:127.0.0.1:%d" % s.getsockname()[1],
                                      "-v", *(("--json",) if json_out else ()), "echo", "x"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                s.recvfrom(4096)  # the request went out
                p.send_signal(signal.SIGINT)
                rc, out, err = finish(p)
                self.assertEqual(rc, 130)
                self.assertIn("echo: interrupted (SIGINT)", err)
                if json_out:
                    p.stdout, p.stderr = out, err
                    error_of(self, p, "interrupted", 130)


class Stalled(unittest.TestCase):
    def test_a_device_that_stops_answering_mid_upload(self):
        with SimDevice(*UPLOAD_SIM) as sim:
            p = start_upload(sim, "--timeout", "1", "upgrade", LARGE)
            wait_for(p, "(20%)")
            sim.proc.send_signal(signal.SIGSTOP)  # the device goes silent
            try:
                rc, out, err = finish(p)
            finally:
                sim.proc.send_signal(signal.SIGCONT)
            self.assertEqual((rc, out), (3, ""), err)
            self.assertIn("stopped answering at offset", err)
            self.assertIn("udp:" + sim.udp, err)  # where, as echo says it
            self.assertIn("run the same command again: it resumes at the offset the device has",
                          err)
            resumed_at(self, sim)

    def test_with_json(self):
        with SimDevice(*UPLOAD_SIM) as sim:
            p = start_upload(sim, "-vv", "--json", "--timeout", "1", "image", "upload", LARGE)
            for _ in range(30):
                wait_for(p, "] udp: sent ")
            sim.proc.send_signal(signal.SIGSTOP)
            try:
                rc, out, err = finish(p)
            finally:
                sim.proc.send_signal(signal.SIGCONT)
            self.assertEqual(rc, 3, err)
            p.stdout, p.stderr = out, err
            self.assertIn("it resumes", error_of(self, p, "link", 3)["message"])


class ImageFiles(unittest.TestCase):
    def setUp(self):
        self.tmp = new_tmp(self)

    def file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def both(self, path, *needles):
        """upgrade and inspect of @p path: exit 4, saying @p needles, in words and in JSON."""
        for args in (("upgrade", path), ("inspect", path)):
            with self.subTest(args=args):
                p = sim_command(*args) if args[0] == "upgrade" else dfu(*args)
                self.assertEqual(p.returncode, 4, p.stderr)
                for needle in needles:
                    self.assertIn(needle, p.stderr)
                p = sim_command("--json", *args) if args[0] == "upgrade" else dfu("--json", *args)
                self.assertEqual(p.returncode, 4, p.stderr)
                self.assertEqual(json.loads(p.stdout)["error"]["kind"], "image")

    def test_a_directory(self):
        self.both(self.tmp, "is a directory, not an image file", "zephyr.signed.bin")
        self.assertNotIn("Input/output error", sim_command("upgrade", self.tmp).stderr)

    def test_intel_hex(self):
        path = self.file("zephyr.signed.hex", b":100000003DB8F396000000000002000000000000C0\n")
        self.both(path, "Intel HEX file", "zephyr.signed.bin")

    def test_elf(self):
        self.both(self.file("zephyr.elf", b"\x7fELF\x02\x01\x01" + bytes(64)), "ELF file",
                  "zephyr.signed.bin")

    def test_a_missing_file(self):
        self.both(os.path.join(self.tmp, "missing.bin"), "cannot read", "No such file")


class BadConn(unittest.TestCase):
    def test_precise_words(self):
        for spec, says in (("udp:host:99999", "the port must be a number from 1 to 65535"),
                           ("udp:host:0", "the port must be a number from 1 to 65535"),
                           ("udp:", "the HOST is missing"),
                           ("serial:/dev/ttyS0@12345", "the baud rate is no standard one"),
                           ("serial:/dev/ttyS0@fast", "the baud rate after '@' must be a number"),
                           ("serial:/dev/ttyS0?framing=x", "the framing must be"),
                           ("serial:", "the PATH is missing")):
            with self.subTest(spec=spec):
                p = dfu("--conn", spec, "echo", "x")
                self.assertEqual((p.returncode, p.stdout), (2, ""))
                self.assertIn(says, p.stderr)
                self.assertNotIn("bad UDP address 'udp:host:99999': use", p.stderr)
                p = dfu("--json", "--conn", spec, "echo", "x")
                self.assertIn(says, error_of(self, p, "usage", 2)["message"])


class Usage(unittest.TestCase):
    def test_a_usage_error_with_json_is_a_json_error(self):
        for args in (("--json", "--bogus"), ("--json", "image", "erase", "x", "y"),
                     ("image", "list", "extra", "--json"), ("--json", "nosuch")):
            with self.subTest(args=args):
                p = dfu("--conn", "udp:127.0.0.1:9", *args)
                self.assertEqual(p.returncode, 2)
                error_of(self, p, "usage", 2)

    def test_raw_without_json_prints_text(self):
        p = sim_command("raw", "--op", "read", "--group", "0", "--id", "6")
        self.assertEqual((p.returncode, p.stdout), (0, "buf_size: 2475\nbuf_count: 4\n"))
        p = sim_command("raw", "--op", "read", "--group", "64", "--id", "0")
        self.assertEqual((p.returncode, p.stdout), (1, ""))
        self.assertIn("MGMT_ERR_ENOTSUP", p.stderr)
        p = sim_command("--json", "raw", "--op", "read", "--group", "64", "--id", "0")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(json.loads(p.stdout)["rc"], 8)
        error_of(self, p, "device", "MGMT_ERR_ENOTSUP")


class Device(unittest.TestCase):
    def setUp(self):
        self.state = ("--state", new_tmp(self))

    def test_the_same_image_marked_by_an_earlier_run_is_made_permanent(self):
        p = sim_command("upgrade", SMALL, "--no-reset", device=self.state)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("marked for the next boot", p.stdout)
        p = sim_command("upgrade", SMALL, "--confirm-now", device=self.state)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("already pending", p.stderr)
        self.assertEqual(p.stdout, "the device runs 1.2.3.4, confirmed\n")
        p = sim_command("upgrade", SMALL, "--no-reset", device=self.state)  # it runs already
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_the_same_image_with_json(self):
        self.assertEqual(sim_command("upgrade", SMALL, "--no-reset", device=self.state).returncode,
                         0)
        p = sim_command("--json", "upgrade", SMALL, "--confirm-now", device=self.state)
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["outcome"], "confirmed")
        self.assertIsNone(doc["upload"])  # not sent again

    def test_erasing_the_running_slot(self):
        p = sim_command("image", "erase", "0")
        self.assertEqual(p.returncode, 1)
        self.assertIn("slot 0 holds the image the device runs", p.stderr)
        self.assertIn("'image erase' without SLOT", p.stderr)
        self.assertNotIn("the other slot", p.stderr)
        p = sim_command("--json", "image", "erase", "0")
        self.assertEqual(p.returncode, 1)
        error = error_of(self, p, "device", "IMG_MGMT_ERR_NO_FREE_SLOT")
        self.assertIn("slot 0 holds the image the device runs", error["message"])

    def test_an_image_number_the_device_has_not_is_refused_before_the_upload(self):
        for device, source in (((), "its slot info"), (("--legacy-mcumgr",), "its image list")):
            with self.subTest(device=device):
                p = sim_command("-v", "upgrade", SMALL, "--image", "1", device=device)
                self.assertEqual((p.returncode, p.stdout), (1, ""), p.stderr)
                self.assertIn(f"the device has no image 1 ({source} lists image 0)", p.stderr)
                self.assertNotIn("upload:", p.stderr)  # the upload never began
                self.assertNotIn("uploaded", p.stderr)
                p = sim_command("--json", "upgrade", SMALL, "--image", "1", device=device)
                self.assertIn("no image 1", error_of(self, p, "refused", 1)["message"])

    def test_image_upload_prints_the_hash_and_the_next_command(self):
        expected = EXPECTED_HASH["01-hash-only.bin"]
        p = sim_command("-q", "image", "upload", SMALL)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"hash {expected}\n", p.stdout)
        self.assertIn(f"image test {expected}", p.stdout)
        p = sim_command("--json", "image", "upload", SMALL)
        self.assertEqual(json.loads(p.stdout)["hash"], expected)

    def test_rollback(self):
        p = sim_command("--json", "upgrade", SMALL, device=("--rollback",))
        self.assertEqual(p.returncode, 5)
        self.assertIn("rolled back", error_of(self, p, "rolled-back", 5)["message"])


if __name__ == "__main__":
    unittest.main()
