# SPDX-License-Identifier: Apache-2.0
"""dfu-smp's progress display (tools/progress.h) end to end, against a dfu-smp-sim served over
UDP: in an 80x24 terminal (a tmux pane) a 480 KiB upgrade, then an fs upload and download,
leave one line per phase in the scrollback and none wider than the pane; not on a terminal,
plain lines, a bounded number; stdout has the result only; --json nothing on stderr."""
import itertools
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import run_tool
from sim_device import DFU_SMP, IMAGES, SimDevice

TMUX = "/usr/bin/tmux"
BIG = os.path.join(IMAGES, "08-ecdsa-p256-480k.bin")  # made for a 0x80000 slot
BIG_SIZE = os.path.getsize(BIG)
# every phase a line of its own, in the order of the upgrade
UPGRADE_PHASES = ["connecting", "checking", "erasing", "uploading", "verifying", "marking",
                  "resetting", "rebooting", "confirming"]
PHASE_LINE = re.compile(r"^(%s) +\S" % "|".join(UPGRADE_PHASES + ["downloading"]))
UPLOADED = re.compile(r"^uploading {4}480\.6 KiB in (\d+\.\d) s \((\d+\.\d) kB/s\)$")
TENTH = re.compile(r"^uploading {4}(\d+) of (\d+) bytes \((\d+)%\), \S+ kB/s, ETA \S+$")
END = "progress-test-end"
WAIT = 240  # seconds a whole run in the pane may take
PANES = itertools.count()


class Pane:
    """An 80x24 tmux pane on a private server, running @p script (sh) once the test has started
    recording what is written to it; its end is signalled on a wait-for channel."""

    def __init__(self, tmp, script):
        # a server of its own each time: one just killed may still hold its socket
        self.sock = f"dfu-smp-progress-{os.getpid()}-{next(PANES)}"
        self.raw = os.path.join(tmp, "raw")
        path = os.path.join(tmp, "run.sh")
        with open(path, "w") as f:
            f.write(f"{TMUX} -L {self.sock} wait-for go\n{script}\n"
                    f"echo {END} $?\n{TMUX} -L {self.sock} wait-for -S done\n"
                    f"{TMUX} -L {self.sock} wait-for release\n")
        self.tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", "main", f"sh {path}")

    def tmux(self, *args, timeout=20):
        p = subprocess.run([TMUX, "-L", self.sock, "-f", "/dev/null", *args],
                           capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise AssertionError(f"tmux {args}: {p.returncode} {p.stderr}")
        return p.stdout

    def run(self):
        """Starts the script, waits for its end (bounded), returns the whole scrollback's
        lines (trailing blanks dropped) and the bytes written to the pane."""
        self.tmux("pipe-pane", "-t", "main", "-o", f"cat >> {self.raw}")
        self.tmux("wait-for", "-S", "go")
        self.tmux("wait-for", "done", timeout=WAIT)
        lines = self.tmux("capture-pane", "-p", "-S", "-", "-t", "main").split("\n")
        while lines and not lines[-1].strip():
            lines.pop()
        self.tmux("pipe-pane", "-t", "main")  # closes the recording
        with open(self.raw, "rb") as f:
            raw = f.read().decode(errors="replace")
        return lines, raw

    def kill(self):
        subprocess.run([TMUX, "-L", self.sock, "kill-server"], capture_output=True, timeout=20)


class InATerminal(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dfu-smp-progress-")
        self.sim = SimDevice("--udp", "127.0.0.1:0", "--slot-size", "0x80000")

    def tearDown(self):
        self.sim.stop()
        shutil.rmtree(self.tmp)

    def in_pane(self, script):
        pane = Pane(self.tmp, script)
        try:
            return pane.run()
        finally:
            pane.kill()

    def check_lines(self, lines, allowed):
        """No line wider than the pane less one column; each is a phase's or in @p allowed."""
        said = f"{len(lines)} lines, the last: " + "\n".join(lines[-15:])
        for line in lines:
            self.assertLessEqual(len(line.rstrip()), 79, f"{line!r}; {said}")
            if line.strip() and not PHASE_LINE.match(line):
                self.assertTrue(any(re.match(a, line) for a in allowed), f"{line!r}; {said}")

    def test_upgrade_leaves_one_line_per_phase(self):
        lines, raw = self.in_pane(f"{DFU_SMP} --conn udp:{self.sim.udp} upgrade {BIG}")
        self.assertIn(f"{END} 0", lines, "\n".join(lines))
        self.check_lines(lines, [r"^sent \d+ bytes in", r"^the device runs 3\.1\.4, confirmed$",
                                 f"^{END} 0$"])
        phases = [PHASE_LINE.match(l).group(1) for l in lines if PHASE_LINE.match(l)]
        self.assertEqual(phases, UPGRADE_PHASES, "\n".join(lines))
        self.assertEqual(len([l for l in lines if l.strip()]), len(UPGRADE_PHASES) + 3,
                         "\n".join(lines))
        uploaded = [UPLOADED.match(l) for l in lines if UPLOADED.match(l)]
        self.assertEqual(len(uploaded), 1, "\n".join(lines))
        # the bar was drawn in place, at most ten times a second of the upload (by the
        # program's own count of its time) and once more at 100%
        bars = raw.count("\ruploading    [")
        self.assertGreater(bars, 1, raw[-2000:])
        self.assertLessEqual(bars, int(float(uploaded[0].group(1)) * 10) + 2)
        self.assertIn("\033[K", raw)
        self.assertIn("100% 480.6/480.6 KiB", raw)

    def test_fs_transfers_leave_one_line_per_phase(self):
        src = os.path.join(self.tmp, "src.bin")
        back = os.path.join(self.tmp, "back.bin")
        with open(src, "wb") as f:
            f.write(os.urandom(200 * 1024))
        conn = f"--conn udp:{self.sim.udp}"
        lines, raw = self.in_pane(f"{DFU_SMP} {conn} fs upload {src} /lfs/p.bin && "
                                  f"{DFU_SMP} {conn} fs download /lfs/p.bin {back}")
        self.assertIn(f"{END} 0", lines, "\n".join(lines))
        self.check_lines(lines, [r"^uploaded 204800 bytes to /lfs/p\.bin",
                                 r"^downloaded 204800 bytes to ", f"^{END} 0$"])
        phases = [PHASE_LINE.match(l).group(1) for l in lines if PHASE_LINE.match(l)]
        self.assertEqual(phases, ["connecting", "uploading", "verifying", "connecting",
                                  "downloading"], "\n".join(lines))
        self.assertIn("\ruploading    [", raw)
        self.assertIn("\rdownloading  [", raw)
        with open(src, "rb") as a, open(back, "rb") as b:
            self.assertEqual(a.read(), b.read())


class NotATerminal(unittest.TestCase):
    """Output to pipes: plain lines on stderr, the result alone on stdout."""

    def setUp(self):
        self.sim = SimDevice("--udp", "127.0.0.1:0", "--slot-size", "0x80000",
                             "--busy-scale", "0")

    def tearDown(self):
        self.sim.stop()

    def dfu(self, *args):
        return run_tool.run(DFU_SMP, "--conn", f"udp:{self.sim.udp}", *args, timeout=WAIT)

    def test_upgrade_plain_lines(self):
        p = self.dfu("upgrade", BIG)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^sent \d+ bytes in \d+\.\d s, \d+\.\d kB/s\n"
                                   r"the device runs 3\.1\.4, confirmed\n$")
        self.assertNotIn("\r", p.stderr)
        self.assertNotIn("\033", p.stderr)
        lines = p.stderr.splitlines()
        tenths = [TENTH.match(l) for l in lines if TENTH.match(l)]
        self.assertGreaterEqual(len(tenths), 5, p.stderr)
        self.assertLessEqual(len(tenths), 9, p.stderr)
        self.assertEqual([int(t.group(2)) for t in tenths], [BIG_SIZE] * len(tenths))
        done = [int(t.group(1)) for t in tenths]
        self.assertEqual(done, sorted(done))
        self.assertEqual(len({int(t.group(1)) * 10 // BIG_SIZE for t in tenths}), len(tenths))
        others = [l for l in lines if not TENTH.match(l)]
        self.assertEqual([PHASE_LINE.match(l).group(1) for l in others], UPGRADE_PHASES,
                         p.stderr)
        self.assertEqual(len([l for l in others if UPLOADED.match(l)]), 1, p.stderr)

    def test_json_has_nothing_on_stderr(self):
        p = self.dfu("--json", "image", "upload", BIG)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        self.assertTrue(p.stdout.startswith("{"), p.stdout)

    def test_image_upload_plain_lines(self):
        p = self.dfu("image", "upload", BIG)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^sent \d+ bytes")
        self.assertNotIn("uploading", p.stdout)
        lines = p.stderr.splitlines()
        others = [l for l in lines if not TENTH.match(l)]
        self.assertEqual([PHASE_LINE.match(l).group(1) for l in others],
                         ["connecting", "erasing", "uploading"], p.stderr)
        self.assertLessEqual(len(lines), 3 + 9, p.stderr)


if __name__ == "__main__":
    unittest.main()
