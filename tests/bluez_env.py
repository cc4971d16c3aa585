# SPDX-License-Identifier: Apache-2.0
"""A private D-Bus bus with the fake BlueZ of `dfu-smp-sim --bluez` on it, for the BLE tests.

The bus is a dbus-daemon of our own (a config file in a temporary directory: anyone may own any
name), so nothing touches the machine's system bus or its bluetoothd; programs find it through
DBUS_SYSTEM_BUS_ADDRESS. Everything started here is stopped at the end, and the simulator's exit
status and stderr are checked (sanitizer reports included)."""
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

import run_tool

DFU_SMP = os.environ["DFU_SMP"]
DFU_SMP_SIM = os.environ.get("DFU_SMP_SIM") or os.path.join(os.path.dirname(DFU_SMP),
                                                            "dfu-smp-sim")
DEFAULT_ADDRESS = "C2:53:4D:50:00:01"
DEFAULT_NAME = "dfu-smp-sim"

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""

START_TIMEOUT = 10


def _first_line(proc, what):
    ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
    if not ready:
        raise AssertionError(f"{what} printed nothing within {START_TIMEOUT} s")
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"{what} ended at once (status {proc.wait()})")
    return line.strip()


class FakeBluez:
    """`with FakeBluez("--no-acquire") as bz:` a bus and a fake BlueZ with those options;
    FakeBluez(sim=None): the bus alone, as a machine without bluetoothd."""

    def __init__(self, *sim_args, sim=True):
        self.sim_args = sim_args
        self.with_sim = sim
        self.dir = None
        self.bus = None
        self.sim = None
        self.env = None
        self._out = b""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="dfu-smp-ble-")
        try:
            self._start()
        except BaseException:
            self._stop()
            raise
        return self

    def _start(self):
        config = os.path.join(self.dir, "bus.conf")
        with open(config, "w") as f:
            f.write(BUS_CONFIG.format(socket=os.path.join(self.dir, "bus")))
        self.bus = subprocess.Popen(["dbus-daemon", "--config-file=" + config, "--nofork",
                                     "--print-address"], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
        self.address = _first_line(self.bus, "dbus-daemon")
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        if not self.with_sim:
            return
        self.sim_err_path = os.path.join(self.dir, "sim.err")
        with open(self.sim_err_path, "w") as err:
            self.sim = subprocess.Popen([DFU_SMP_SIM, "--bluez", *self.sim_args],
                                        stdout=subprocess.PIPE, stderr=err, bufsize=0,
                                        env=self.env)
        self.banner = self.read_line()

    def read_line(self):
        """The simulator's next line of output, waited for (bounded)."""
        deadline = time.monotonic() + START_TIMEOUT
        while b"\n" not in self._out:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sim.stdout], [], [], left)[0]:
                raise AssertionError(f"dfu-smp-sim --bluez printed no line within "
                                     f"{START_TIMEOUT} s: {self._out!r}")
            chunk = os.read(self.sim.stdout.fileno(), 4096)
            if not chunk:
                raise AssertionError(f"dfu-smp-sim --bluez ended (status {self.sim.wait()}): "
                                     f"{self._out!r}")
            self._out += chunk
        line, self._out = self._out.split(b"\n", 1)
        return line.decode()

    def devices(self):
        """With --count: the lines up to 'ready', as {index: connection string}."""
        found = {}
        while (line := self.read_line()) != "ready":
            index, conn = line.split(": ", 1)
            found[int(index.split()[1])] = conn
        return found

    def _stop(self):
        problems = []
        if self.sim:
            if self.sim.poll() is None:
                self.sim.send_signal(signal.SIGTERM)
            try:
                status = self.sim.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.sim.kill()
                status = self.sim.wait()
            self.sim.stdout.close()
            with open(self.sim_err_path) as f:
                err = f.read()
            if status != 0:
                problems.append(f"dfu-smp-sim --bluez ended with status {status}:\n{err}")
            for mark in run_tool.SANITIZER_MARKS:
                if mark in err:
                    problems.append(f"dfu-smp-sim --bluez: sanitizer report:\n{err}")
                    break
        if self.bus:
            self.bus.terminate()
            try:
                self.bus.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.bus.kill()
                self.bus.wait()
            self.bus.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return problems

    def __exit__(self, exc_type, exc, tb):
        problems = self._stop()
        if problems and exc_type is None:
            raise AssertionError("\n".join(problems))
        return False

    def dfu_smp(self, *args, timeout=120):
        """Runs dfu-smp on this bus; fails the test if a sanitizer spoke."""
        p = subprocess.run([DFU_SMP, *args], capture_output=True, text=True, timeout=timeout,
                           env=self.env)
        for mark in run_tool.SANITIZER_MARKS:
            if mark in p.stderr:
                raise AssertionError(f"dfu-smp {' '.join(args)}: sanitizer report:\n{p.stderr}")
        return p
