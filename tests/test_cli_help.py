# SPDX-License-Identifier: Apache-2.0
"""dfu-smp's help, version, log levels, man page and bash completion: COMMAND --help for every
command touches no device; the man page (build/dfu-smp.1) and the completion script
(build/dfu-smp.bash) name the same commands and options as --help."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest

import run_tool

DFU_SMP = os.environ["DFU_SMP"]
BUILD = os.path.dirname(DFU_SMP)
MAN = os.path.join(BUILD, "dfu-smp.1")
COMPLETION = os.path.join(BUILD, "dfu-smp.bash")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])(?![\w-])")


def run(*args):
    return run_tool.run(DFU_SMP, *args, timeout=60)


def section(text, title):
    """The lines of --help's section that starts with @p title, to the next empty line."""
    return text.split("\n" + title, 1)[1].split("\n\n", 1)[0].split("\n")[1:]


def commands():
    """Every command --help lists: "echo", "image upload", ..."""
    names = []
    for line in section(run("--help").stdout, "commands"):
        if not line.startswith("  ") or line.startswith("   "):
            continue  # a wrapped line
        words = re.split(r"\s{2,}", line.strip())[0].split()
        two = len(words) > 1 and re.fullmatch(r"[a-z][a-z-]*", words[1])
        names.append(" ".join(words[:2]) if two else words[0])
    return names


class Device:
    """A UDP socket of the test's own that dfu-smp is pointed at: what it receives."""

    def __enter__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.conn = "udp:127.0.0.1:%d" % self.sock.getsockname()[1]
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def received(self):
        """The datagrams waiting (dfu-smp has ended: whatever it sent is here)."""
        got = []
        self.sock.setblocking(False)
        while True:
            try:
                got.append(self.sock.recv(65536))
            except BlockingIOError:
                return got


class CommandHelp(unittest.TestCase):
    def test_the_list(self):
        names = commands()
        for name in ("echo", "upgrade", "image upload", "fs upload", "inspect", "raw"):
            self.assertIn(name, names)
        self.assertEqual(len(names), len(set(names)), names)

    def test_every_command_prints_its_usage_and_sends_nothing(self):
        with Device() as dev:
            for name in commands():
                for flag in ("--help", "-h"):
                    p = run("--conn", dev.conn, "--tries", "1", *name.split(), flag)
                    self.assertEqual((p.returncode, p.stderr), (0, ""), name)
                    self.assertTrue(p.stdout.startswith(f"usage: dfu-smp [OPTIONS] {name}"),
                                    p.stdout)
                    self.assertIn("-h, --help", p.stdout)
            self.assertEqual(dev.received(), [])

    def test_arguments_and_options_are_described(self):
        p = run("upgrade", "--help")
        for text in ("arguments:", "FILE", "options:", "--key PEM", "--test-only",
                     "--confirm-now", "--no-reset", "--window N", "--chunk N"):
            self.assertIn(text, p.stdout)
        p = run("image", "upload", "FILE", "--help")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("--image N", p.stdout)

    def test_echo_text_after_double_dash_is_sent(self):
        with Device() as dev:
            p = run("--conn", dev.conn, "--tries", "1", "--timeout", "0.2", "echo", "--",
                    "--help")
            self.assertEqual(p.returncode, 3)  # no answer comes
            sent = dev.received()
        self.assertEqual(len(sent), 1, sent)
        self.assertIn(b"--help", sent[0])
        text = " ".join(run("echo", "--help").stdout.split())
        self.assertIn("'dfu-smp echo -- --help' sends", text)

    def test_group_help(self):
        p = run("image", "--help")
        self.assertEqual(p.returncode, 0, p.stderr)
        for sub in ("list", "upload", "erase"):
            self.assertIn(f"\n  {sub}", p.stdout)

    def test_no_line_is_cut_or_too_long(self):
        helps = [run("--help").stdout] + [run(*n.split(), "--help").stdout for n in commands()]
        for text in helps:
            for line in text.split("\n"):
                self.assertLessEqual(len(line), 80, line)
        top = run("--help").stdout
        self.assertIn("[--no-reset]", top)
        self.assertIn("[--window N] [--chunk N]", top)


class Version(unittest.TestCase):
    def test_version(self):
        with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
            version = re.search(r"project\(dfu-smp VERSION (\S+)", f.read()).group(1)
        for flag in ("--version", "-V"):
            p = run(flag)
            self.assertEqual((p.returncode, p.stdout, p.stderr), (0, f"dfu-smp {version}\n", ""))


@unittest.skipUnless("DFU_SMP_SIM" in os.environ, "needs dfu-smp-sim")
class LogLevels(unittest.TestCase):
    def sim(self, *args):
        from sim_device import sim_command
        return sim_command(*args)

    def test_quiet_upgrade_prints_no_progress(self):
        image = os.path.join(os.environ["SHARED_DIR"], "testdata", "mcuboot",
                             "02-ecdsa-p256.bin")
        with tempfile.TemporaryDirectory() as d:
            state = os.path.join(d, "state")
            from sim_device import sim_command
            p = sim_command("-q", "image", "upload", image, device=("--state", state))
            self.assertEqual((p.returncode, p.stderr), (0, ""))
            self.assertIn("sent ", p.stdout)
            p = sim_command("image", "upload", image, device=("--state", state + "2"))
            self.assertIn("uploading ", p.stderr)

    def test_verbose_logs_steps_and_twice_packets(self):
        p = self.sim("--mtu", "23", "-v", "echo", "abcdefgh")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotRegex(p.stderr, r"write \d+ bytes|notification \d+ bytes")
        self.assertIn("echo: exit status 0", p.stderr)
        self.assertRegex(p.stderr, r"write request \(group 0, command 0, \d+ bytes\): "
                         r"answered after [\d.]+ ms")
        for vv in (("-vv",), ("-v", "-v"), ("--verbose", "--verbose")):
            p = self.sim("--mtu", "23", *vv, "echo", "abcdefgh")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertRegex(p.stderr, r"write \d+ bytes")
            self.assertRegex(p.stderr, r"notification \d+ bytes")


def help_texts():
    return [run("--help").stdout] + [run(*n.split(), "--help").stdout for n in commands()]


class ManPage(unittest.TestCase):
    def setUp(self):
        with open(MAN) as f:
            self.roff = f.read()
        self.text = self.roff.replace("\\-", "-").replace("\\fB", "").replace("\\fI", "") \
            .replace("\\fR", "")

    def test_renders_without_warnings(self):
        p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", MAN], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual((p.returncode, p.stderr), (0, ""))

    def test_sections(self):
        for name in ("NAME", "SYNOPSIS", "OPTIONS", "COMMANDS", "CONNECTIONS", "ENVIRONMENT",
                     "EXIT STATUS", "EXAMPLES"):
            self.assertIn(f"\n.SH {name}\n", self.roff)
        for text in ("udp:HOST[:PORT]", "serial:PATH[@BAUD][?framing=F]", "ble:ADDRESS",
                     "DFU_SMP_CONN"):
            self.assertIn(text, self.text)
        with open(os.path.join(ROOT, "tools", "cli.h")) as f:
            codes = re.findall(r"CLI_EXIT_\w+ = (\d+)", f.read())
        exits = self.roff.split(".SH EXIT STATUS\n", 1)[1].split(".SH", 1)[0]
        self.assertEqual(re.findall(r"^\.B (\d+)$", exits, re.M), codes)

    def test_same_commands_as_help(self):
        body = self.text.split(".SH COMMANDS\n", 1)[1].split(".SH", 1)[0]
        listed = []
        for entry in re.findall(r"^\.TP\n(.*)$", self.roff.split(".SH COMMANDS\n", 1)[1]
                                .split(".SH", 1)[0], re.M):
            m = re.match(r"\\fB([a-z][a-z \\-]*)\\fR", entry)
            if m:
                listed.append(m.group(1).replace("\\-", "-"))
        self.assertTrue(body)
        self.assertEqual(sorted(listed), sorted(commands()))

    def test_same_options_as_help(self):
        in_help = set()
        for text in help_texts():
            in_help |= set(OPTION.findall(text))
        in_man = set(OPTION.findall(self.text))
        self.assertEqual(in_help, in_man)
        self.assertIn("--verbose", in_man)
        self.assertIn("--chunk", in_man)


class Completion(unittest.TestCase):
    def complete(self, line, cwd=None):
        script = (f'source "{COMPLETION}"\nCOMP_LINE=$1 COMP_POINT=${{#1}} _dfu_smp\n'
                  'printf "%s\\n" "${COMPREPLY[@]}"\n')
        p = subprocess.run(["bash", "-c", script, "bash", line], capture_output=True,
                           text=True, timeout=60, cwd=cwd)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        return [w for w in p.stdout.split("\n") if w]

    def test_every_command_completes(self):
        words = set(self.complete("dfu-smp "))
        for name in commands():
            first, *rest = name.split()
            self.assertIn(first, words)
            if rest:
                self.assertIn(rest[0], self.complete(f"dfu-smp --conn udp:h {first} "))

    def test_options(self):
        self.assertIn("--conn", self.complete("dfu-smp --co"))
        self.assertEqual(self.complete("dfu-smp --conn u"), ["udp:"])
        self.assertIn("--key", self.complete("dfu-smp upgrade --"))
        self.assertIn("--help", self.complete("dfu-smp image upload --"))
        self.assertEqual(self.complete("dfu-smp fs hash --t"), ["--type"])
        self.assertEqual(self.complete("dfu-smp --smp-version "), ["1", "2"])
        self.assertEqual(self.complete("dfu-smp raw --group 0 --op w"), ["write"])
        self.assertEqual(self.complete("dfu-smp echo -- --"), [])  # text, not options

    def test_file_names(self):
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "app.signed.bin"), "w").close()
            self.assertEqual(self.complete("dfu-smp upgrade ap", cwd=d), ["app.signed.bin"])
            self.assertEqual(self.complete("dfu-smp -v image upload ap", cwd=d),
                             ["app.signed.bin"])
            self.assertEqual(self.complete("dfu-smp upgrade --key ap", cwd=d),
                             ["app.signed.bin"])
            self.assertEqual(self.complete("dfu-smp image list ap", cwd=d), [])
            open(os.path.join(d, "with space.bin"), "w").close()
            self.assertEqual(self.complete("dfu-smp inspect wi", cwd=d), ["with space.bin"])

    @unittest.skipUnless(shutil.which("shellcheck"), "needs shellcheck")
    def test_shellcheck(self):
        p = subprocess.run(["shellcheck", "-s", "bash", COMPLETION], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))


if __name__ == "__main__":
    unittest.main()
