# SPDX-License-Identifier: Apache-2.0
"""Runs one of the real Zephyr 4.4 SMP servers of ../shared/testdata/zephyr/ for a test, as
sim_device.py runs dfu-smp-sim: in a temporary directory of its own, with -flash_in_ram where
the build has it, its pseudo-terminal read from its output, always stopped (SIGTERM, then
SIGKILL). A reset makes the server exit by itself (status 1); `restart()` starts it again,
as a device that boots once more.

The UDP build binds 0.0.0.0:1337: start it only inside a network namespace of the caller's own
(see interop.py), never on the machine's own network."""
import ctypes
import json
import os
import re
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

ZEPHYR_DIR = os.path.abspath(os.path.join(os.environ["SHARED_DIR"], "testdata", "zephyr"))
MANIFEST = {b["config"]: b for b in json.load(open(os.path.join(ZEPHYR_DIR, "manifest.json")))}
# the names interop.py takes, and the build each one runs
CONFIGS = {"serial": "serial", "udp": "udp", "shell": "shell", "noparams": "serial_noparams"}
START_TIMEOUT = 20
STOP_TIMEOUT = 5
PTY_RE = re.compile(rb"connected to pseudotty: (\S+)")
REBOOT_LINE = b"sys_arch_reboot called with type 0. Exiting"
PR_SET_PDEATHSIG = 1


_prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up now, not in the forked child


def die_with_parent():
    """In the child before exec: SIGKILL when the test process goes, however it goes."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _udp_echo(port, timeout):
    """True when an SMP echo to 127.0.0.1:@p port is answered within @p timeout seconds."""
    body = b"\xa1\x61d\x64ping"  # {"d": "ping"}
    msg = struct.pack(">BBHHBB", 0x0A, 0, len(body), 0, 0x5A, 0) + body
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("127.0.0.1", port))
        s.settimeout(timeout)
        s.send(msg)
        try:
            return s.recv(4096)[6] == 0x5A
        except (socket.timeout, ConnectionRefusedError):
            return False


class ZephyrServer:
    """One server process. `name` is serial, udp, shell or noparams; `build` its manifest
    entry; `pty` the pseudo-terminal's path (pty builds) and `conn` the --conn value."""

    def __init__(self, name):
        self.name = name
        self.build = MANIFEST[CONFIGS[name]]
        self.exe = os.path.join(ZEPHYR_DIR, self.build["artifact"])
        self._tmp = tempfile.TemporaryDirectory(prefix=f"zephyr-{name}-")
        self.dir = self._tmp.name
        self.args = [self.exe]
        helptext = subprocess.run([self.exe, "--help"], capture_output=True, cwd=self.dir,
                                  timeout=START_TIMEOUT).stdout
        if b"-flash_in_ram" in helptext:
            self.args.append("-flash_in_ram")
        self.proc = None
        try:
            self._start()
        except BaseException:
            self._tmp.cleanup()
            raise

    # --- output, read all the time so that the server never blocks on a full pipe ---

    def _reader(self, proc, out, cond):
        while True:
            chunk = os.read(proc.stdout.fileno(), 4096)
            with cond:
                if not chunk:
                    self._eof = True
                    cond.notify_all()
                    return
                out.extend(chunk)
                cond.notify_all()

    def output(self):
        """Everything the current process printed so far."""
        with self._cond:
            return bytes(self._out)

    def wait_output(self, pattern, timeout, start=0):
        """The first match of @p pattern (bytes regex) in the output from @p start, waiting up
        to @p timeout seconds for it; None when it does not come (or the process ended)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(bytes(self._out), start)
                if m or self._eof:
                    return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    # --- life ---

    def _start(self):
        self._out = bytearray()
        self._eof = False
        self._cond = threading.Condition()
        self.pty = None
        self.proc = subprocess.Popen(self.args, cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     preexec_fn=die_with_parent)
        self._thread = threading.Thread(target=self._reader, daemon=True,
                                        args=(self.proc, self._out, self._cond))
        self._thread.start()
        try:
            if self.build["transport"] == "udp":
                self._wait_udp()
            else:
                self._wait_pty()
        except BaseException:
            self.kill()
            raise

    def _wait_pty(self):
        m = self.wait_output(PTY_RE, START_TIMEOUT)
        if not m:
            raise AssertionError(f"{self.name}: no pseudo-terminal within {START_TIMEOUT} s: "
                                 f"{self.output()!r}")
        self.pty = m.group(1).decode()
        self.conn = "serial:" + self.pty
        # the boot banner comes once the kernel runs; the transport is up by the time main
        # logs (serial builds) or the shell prints its prompt (shell build)
        if not self.wait_output(rb"Booting Zephyr", START_TIMEOUT, m.end()):
            raise AssertionError(f"{self.name}: no boot banner: {self.output()!r}")

    def _wait_udp(self):
        self.conn = "udp:127.0.0.1"
        port = self.build["udp_port"]
        if not self.wait_output(rb"smp_udp: Started", START_TIMEOUT):
            raise AssertionError(f"{self.name}: the UDP transport did not start: "
                                 f"{self.output()!r}")
        deadline = time.monotonic() + START_TIMEOUT
        while not _udp_echo(port, 0.5):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"{self.name}: no answer on 127.0.0.1:{port}: "
                                     f"{self.output()!r}")

    def wait_exit(self, timeout):
        """The exit status once the process ends by itself (after a reset), None if it does
        not end within @p timeout seconds."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._thread.join(STOP_TIMEOUT)
        return rc

    def restart(self):
        """Starts the server again (after it exited on a reset, or stopping it first)."""
        self.stop()
        self._start()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()
            self._thread.join(STOP_TIMEOUT)

    def stop(self):
        """SIGTERM, then SIGKILL if it does not go within STOP_TIMEOUT seconds."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def close(self):
        try:
            self.stop()
        finally:
            self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
