# SPDX-License-Identifier: Apache-2.0
"""The dfu-smp command line against a device: the simulated one in process (dfu-smp-sim --
COMMAND), whose output must say it is simulated, and dfu-smp itself against a dfu-smp-sim over
UDP, reached through --conn or DFU_SMP_CONN."""
import json
import os
import re
import unittest

import run_tool
from sim_device import DFU_SMP, DFU_SMP_SIM, SIMULATED_LINE, SimDevice, sim_command

run = sim_command


class Echo(unittest.TestCase):
    def test_echo_prints_the_text(self):
        p = run("echo", "hello world")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "hello world\n")

    def test_too_long_for_mtu_23_names_the_mtu(self):
        p = run("--mtu", "23", "echo", "x" * 100)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertIn("ATT MTU 23", p.stderr)
        self.assertIn("113 bytes", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1)

    def test_fits_at_mtu_247(self):
        p = run("--mtu", "247", "echo", "x" * 100)
        self.assertEqual((p.returncode, p.stdout), (0, "x" * 100 + "\n"))

    def test_verbose_logs_writes_and_notifications(self):
        p = run("--mtu", "23", "-vv", "echo", "abcdefgh")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "abcdefgh\n")
        writes = re.findall(r"write (\d+) bytes", p.stderr)
        notes = re.findall(r"notification (\d+) bytes", p.stderr)
        self.assertEqual(writes, ["20"])  # 8 header + a1 61 64 68 + 8 text
        self.assertEqual(notes, ["20", "1"])  # the answer is one byte longer

    def test_text_after_a_double_dash_goes_as_it_is(self):
        p = run("echo", "--", "--conn", "x", "--json")
        self.assertEqual((p.returncode, p.stdout), (0, "--conn x --json\n"), p.stderr)
        p = run("shell", "exec", "--", "echo", "-v")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("-v", p.stdout)


class Params(unittest.TestCase):
    def test_params_at_mtu_23(self):
        p = run("--mtu", "23", "-vv", "params")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "buf_size: 2475\nbuf_count: 4\n")
        self.assertGreaterEqual(len(re.findall(r"notification \d+ bytes", p.stderr)), 2)

    def test_params_takes_no_arguments(self):
        p = run("params", "extra")
        self.assertEqual(p.returncode, 2)


class Options(unittest.TestCase):
    def test_option_forms(self):
        p = run("--mtu=64", "--timeout=2.5", "echo", "ok")
        self.assertEqual((p.returncode, p.stdout), (0, "ok\n"))

    def test_json_may_come_last(self):
        p = run("params", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout), {"buf_size": 2475, "buf_count": 4})
        p = run("image", "list", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["images"][0]["slot"], 0)
        # text sent as it is takes a last --json too; "--" first makes it text
        p = run("echo", "hi", "--json")
        self.assertEqual((p.returncode, json.loads(p.stdout)), (0, {"r": "hi"}))
        p = run("echo", "--", "hi", "--json")
        self.assertEqual((p.returncode, p.stdout), (0, "hi --json\n"))

    def test_a_global_option_after_the_command_is_refused(self):
        for args in (("params", "--json", "extra"), ("echo", "hi", "-v"),
                     ("shell", "exec", "ls", "--mtu=23")):
            with self.subTest(args=args):
                p = run(*args)
                self.assertEqual(p.returncode, 2, p.stderr)
                if "--json" in args:
                    self.assertEqual(json.loads(p.stdout)["error"]["kind"], "usage")
                else:
                    self.assertEqual(p.stdout, "")
                self.assertIn("is a global option: give it before the command", p.stderr)

    def test_no_connection_option_on_the_simulated_device(self):
        p = run("--conn", "udp:127.0.0.1", "echo", "hi")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--conn is not taken here", p.stderr)


class Simulated(unittest.TestCase):
    """Every output of a command on the simulated device says so, errors included."""

    def raw(self, *args):
        return run_tool.run(DFU_SMP_SIM, "--", *args)

    def test_human_output_starts_with_the_line(self):
        p = self.raw("echo", "hi")
        self.assertEqual((p.returncode, p.stdout), (0, SIMULATED_LINE + "hi\n"))
        self.assertTrue(SIMULATED_LINE.startswith("simulated device"))
        p = self.raw("image", "test", "00" * 32)  # a device error
        self.assertEqual((p.returncode, p.stdout), (1, SIMULATED_LINE))
        self.assertTrue(p.stderr.startswith("dfu-smp-sim: image test: "), p.stderr)

    def test_every_json_document_has_simulated_true(self):
        p = self.raw("--json", "params")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout),
                         {"simulated": True, "buf_size": 2475, "buf_count": 4})
        self.assertTrue(p.stdout.startswith('{\n  "simulated": true,'), p.stdout)
        p = self.raw("--json", "image", "test", "00" * 32)
        self.assertEqual(p.returncode, 1)
        doc = json.loads(p.stdout)
        self.assertIs(doc["simulated"], True)
        self.assertEqual(doc["error"]["rc"], 8)

    def test_an_upgrade_on_a_profile_reports_its_efficiency(self):
        image = os.path.join(os.environ["SHARED_DIR"], "testdata", "mcuboot", "01-hash-only.bin")
        p = run("upgrade", image, device=("--profile", "phone-fast"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"efficiency \d\.\d\d: the best any client could do on "
                         r"phone-fast is \d+\.\d s")
        p = run("--json", "upgrade", image, device=("--profile", "phone-fast"))
        self.assertEqual(p.returncode, 0, p.stderr)
        upload = json.loads(p.stdout)["upload"]
        self.assertGreater(upload["efficiency"], 0)
        self.assertLessEqual(upload["efficiency"], 1.0)
        self.assertGreater(upload["bound_seconds"], 0)
        # without a profile there is no bound to measure against
        p = run("--json", "upgrade", image)
        self.assertNotIn("efficiency", json.loads(p.stdout)["upload"])

    def test_real_time_options_are_refused_with_a_command(self):
        for args in (("--busy-scale", "0"), ("--udp", "127.0.0.1:0"), ("--bluez",)):
            with self.subTest(args=args):
                p = run_tool.run(DFU_SMP_SIM, *args, "--", "echo", "hi")
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(p.stdout, "")


class Connection(unittest.TestCase):
    """dfu-smp reaches a device through --conn or DFU_SMP_CONN, --conn first."""

    def test_dfu_smp_conn_names_the_device(self):
        with SimDevice("--udp", "127.0.0.1:0") as sim:
            env = dict(os.environ, DFU_SMP_CONN="udp:" + sim.udp)
            p = run_tool.run(DFU_SMP, "echo", "from the environment", env=env)
            self.assertEqual((p.returncode, p.stdout), (0, "from the environment\n"), p.stderr)
            # --conn wins over the environment
            env["DFU_SMP_CONN"] = "serial:/nonexistent/tty"
            p = run_tool.run(DFU_SMP, "--conn", "udp:" + sim.udp, "echo", "given", env=env)
            self.assertEqual((p.returncode, p.stdout), (0, "given\n"), p.stderr)
            p = run_tool.run(DFU_SMP, "echo", "x", env=env)
            self.assertEqual(p.returncode, 3)  # the link could not be opened
            self.assertIn("/nonexistent/tty", p.stderr)

    def test_dfu_smp_says_nothing_of_a_simulator(self):
        # through a real transport, dfu-smp cannot know: its output is a real device's
        with SimDevice("--udp", "127.0.0.1:0") as sim:
            p = run_tool.run(DFU_SMP, "--conn", "udp:" + sim.udp, "--json", "params")
            self.assertEqual(json.loads(p.stdout), {"buf_size": 2475, "buf_count": 4})


if __name__ == "__main__":
    unittest.main()
