# SPDX-License-Identifier: Apache-2.0
"""The dfu-smp command line, run as a subprocess against the simulated device."""
import json
import os
import re
import unittest

import run_tool

DFU_SMP = os.environ["DFU_SMP"]


def run(*args):
    return run_tool.run(DFU_SMP, *args)


class Echo(unittest.TestCase):
    def test_echo_prints_the_text(self):
        p = run("--conn", "sim", "echo", "hello world")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "hello world\n")

    def test_sim_is_the_default_connection(self):
        p = run("echo", "hi")
        self.assertEqual((p.returncode, p.stdout), (0, "hi\n"))

    def test_too_long_for_mtu_23_names_the_mtu(self):
        p = run("--conn", "sim", "--mtu", "23", "echo", "x" * 100)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertIn("ATT MTU 23", p.stderr)
        self.assertIn("113 bytes", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1)

    def test_fits_at_mtu_247(self):
        p = run("--conn", "sim", "--mtu", "247", "echo", "x" * 100)
        self.assertEqual((p.returncode, p.stdout), (0, "x" * 100 + "\n"))

    def test_verbose_logs_writes_and_notifications(self):
        p = run("--conn", "sim", "--mtu", "23", "-v", "echo", "abcdefgh")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "abcdefgh\n")
        writes = re.findall(r"write (\d+) bytes", p.stderr)
        notes = re.findall(r"notification (\d+) bytes", p.stderr)
        self.assertEqual(writes, ["20"])  # 8 header + a1 61 64 68 + 8 text
        self.assertEqual(notes, ["20", "1"])  # the answer is one byte longer


class Params(unittest.TestCase):
    def test_params_at_mtu_23(self):
        p = run("--conn", "sim", "--mtu", "23", "-v", "params")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "buf_size: 2475\nbuf_count: 4\n")
        self.assertGreaterEqual(len(re.findall(r"notification \d+ bytes", p.stderr)), 2)

    def test_params_takes_no_arguments(self):
        p = run("params", "extra")
        self.assertEqual(p.returncode, 2)


class Usage(unittest.TestCase):
    def assert_usage(self, p, needle):
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn(needle, p.stderr)

    def test_bogus_connection(self):
        self.assert_usage(run("--conn", "bogus", "echo", "hi"), "bogus")

    def test_bad_options(self):
        self.assert_usage(run("--mtu", "22", "echo", "hi"), "--mtu")
        self.assert_usage(run("--mtu", "518", "echo", "hi"), "--mtu")
        self.assert_usage(run("--mtu", "abc", "echo", "hi"), "--mtu")
        self.assert_usage(run("--timeout", "0", "echo", "hi"), "--timeout")
        self.assert_usage(run("--timeout", "-1", "echo", "hi"), "--timeout")
        self.assert_usage(run("--frobnicate", "echo", "hi"), "--frobnicate")
        self.assert_usage(run("--conn"), "--conn")

    def test_missing_or_unknown_command(self):
        self.assert_usage(run(), "no command")
        self.assert_usage(run("frob"), "frob")
        self.assert_usage(run("echo"), "TEXT")

    def test_option_forms(self):
        p = run("--conn=sim", "--mtu=64", "--timeout=2.5", "echo", "ok")
        self.assertEqual((p.returncode, p.stdout), (0, "ok\n"))

    def test_json_may_come_last(self):
        p = run("params", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout), {"buf_size": 2475, "buf_count": 4})
        p = run("image", "list", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["images"][0]["slot"], 0)
        # only last: elsewhere it is an argument like any other
        self.assert_usage(run("params", "--json", "extra"), "--json")
        # text sent as it is stays text
        p = run("echo", "hi", "--json")
        self.assertEqual((p.returncode, p.stdout), (0, "hi --json\n"))

    def test_help(self):
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("usage: dfu-smp", p.stdout)
        for command in ("echo", "params"):
            self.assertIn(command, p.stdout)


if __name__ == "__main__":
    unittest.main()
