# SPDX-License-Identifier: Apache-2.0
"""dfu-smp on its own, with no device and no simulator: a connection must be given (--conn or
DFU_SMP_CONN), `--conn sim` is no connection it knows, global options go before the command,
usage errors exit 2 with one line, and the binary holds nothing of the simulator."""
import json
import os
import shutil
import subprocess
import unittest

import run_tool

DFU_SMP = os.environ["DFU_SMP"]
IMAGES = os.path.join(os.environ["SHARED_DIR"], "testdata", "mcuboot")
# no device listens there: a command that got as far as sending would fail with exit 1
NOWHERE = "udp:127.0.0.1:9"


def env_without_conn(**extra):
    env = {k: v for k, v in os.environ.items() if k != "DFU_SMP_CONN"}
    env.update(extra)
    return env


def run(*args, env=None):
    return run_tool.run(DFU_SMP, *args, env=env or env_without_conn())


class Usage(unittest.TestCase):
    def assert_usage(self, p, *needles):
        self.assertEqual(p.returncode, 2, p.stderr)
        if "--json" in p.args[:p.args.index("--") if "--" in p.args else len(p.args)]:
            # with --json the usage error is a JSON document too, its message the line's
            error = json.loads(p.stdout)["error"]
            self.assertEqual((error["kind"], error["code"]), ("usage", 2))
            self.assertIn(error["message"], p.stderr)
        else:
            self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        for needle in needles:
            self.assertIn(needle, p.stderr)

    def test_no_connection_is_a_usage_error(self):
        for args in (("echo", "hi"), ("upgrade", os.path.join(IMAGES, "01-hash-only.bin")),
                     ("image", "list")):
            with self.subTest(args=args):
                self.assert_usage(run(*args), "no connection given", "--conn SPEC",
                                  "DFU_SMP_CONN", "udp:HOST[:PORT]", "dfu-smp-sim")
        # an empty variable is no connection either
        self.assert_usage(run("echo", "hi", env=env_without_conn(DFU_SMP_CONN="")),
                          "no connection given")

    def test_inspect_needs_no_connection(self):
        p = run("inspect", os.path.join(IMAGES, "01-hash-only.bin"))
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_the_simulator_is_no_connection(self):
        for args, env in ((("--conn", "sim"), None), (("--conn=sim",), None),
                          (("--conn", "sim:x"), None),
                          ((), env_without_conn(DFU_SMP_CONN="sim"))):
            with self.subTest(args=args, env=bool(env)):
                self.assert_usage(run(*args, "echo", "hi", env=env), "'sim'" if "sim:x" not in
                                  args else "'sim:x'", "udp:HOST[:PORT]", "serial:PATH[@BAUD]",
                                  "ble:ADDRESS", "dfu-smp-sim")

    def test_global_options_after_the_command_are_refused(self):
        image = os.path.join(IMAGES, "01-hash-only.bin")
        for option, args in (("--conn", ("echo", "hi", "--conn", NOWHERE)),
                             ("-v", ("--conn", NOWHERE, "image", "list", "-v")),
                             ("--json", ("--conn", NOWHERE, "params", "--json", "extra")),
                             ("--mtu=23", ("--conn", NOWHERE, "upgrade", image, "--mtu=23")),
                             ("--timeout", ("--conn", NOWHERE, "shell", "exec", "ls",
                                            "--timeout", "1"))):
            with self.subTest(args=args):
                self.assert_usage(run(*args), f"'{option}' is a global option",
                                  "give it before the command")
        # verbatim text is told how to go as it is
        self.assert_usage(run("--conn", NOWHERE, "echo", "--mtu"), "put '--' before it")

    def test_the_commands_own_options_are_theirs(self):
        # not refused as global options: each run gets as far as wanting a connection
        for args in (("upgrade", os.path.join(IMAGES, "01-hash-only.bin"), "--image", "0"),
                     ("image", "upload", os.path.join(IMAGES, "01-hash-only.bin"), "--window",
                      "2"), ("reset", "--force"), ("fs", "hash", "/lfs/x", "--type", "sha256")):
            with self.subTest(args=args):
                self.assert_usage(run(*args), "no connection given")
        key = os.path.join(IMAGES, "keys", "ecdsa-p256-public.pem")
        p = run("inspect", "--json", os.path.join(IMAGES, "02-ecdsa-p256.bin"), "--key", key)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith("{"))

    def test_bogus_connection(self):
        self.assert_usage(run("--conn", "bogus", "echo", "hi"), "bogus", "udp:HOST[:PORT]")

    def test_bad_options(self):
        self.assert_usage(run("--mtu", "22", "echo", "hi"), "--mtu")
        self.assert_usage(run("--mtu", "518", "echo", "hi"), "--mtu")
        self.assert_usage(run("--mtu", "abc", "echo", "hi"), "--mtu")
        self.assert_usage(run("--timeout", "0", "echo", "hi"), "--timeout")
        self.assert_usage(run("--timeout", "-1", "echo", "hi"), "--timeout")
        self.assert_usage(run("--frobnicate", "echo", "hi"), "--frobnicate")
        self.assert_usage(run("--conn"), "--conn")
        # the simulated device's options are dfu-smp-sim's now
        for option in ("--sim-state", "--sim-reassembly", "--sim-v1", "--sim-drop-after",
                       "--sim-rollback", "--sim-slot-size", "--sim-profile"):
            with self.subTest(option=option):
                self.assert_usage(run("--conn", NOWHERE, option, "1", "echo", "hi"), option)

    def test_missing_or_unknown_command(self):
        self.assert_usage(run(), "no command")
        self.assert_usage(run("frob"), "frob")
        self.assert_usage(run("--conn", NOWHERE, "echo"), "TEXT")

    def test_help(self):
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("usage: dfu-smp", p.stdout)
        for text in ("echo", "params", "DFU_SMP_CONN", "dfu-smp-sim", "before the command",
                     "echo -- --json is text"):
            self.assertIn(text, p.stdout)
        self.assertNotIn("--sim-", p.stdout)


class Binary(unittest.TestCase):
    def test_no_simulator_inside(self):
        nm = shutil.which("nm")
        if not nm:
            self.skipTest("nm is not installed")
        symbols = subprocess.run([nm, DFU_SMP], capture_output=True, text=True, check=True)
        defined = [line.split()[-1] for line in symbols.stdout.splitlines()
                   if len(line.split()) == 3 and line.split()[1] not in "Uuvw"]
        self.assertGreater(len(defined), 100)  # a binary with its symbols
        self.assertIn("cli_run", defined)
        self.assertEqual([s for s in defined if s.startswith("sim_")], [])


if __name__ == "__main__":
    unittest.main()
