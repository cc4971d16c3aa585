# SPDX-License-Identifier: Apache-2.0
"""`dfu-smp-sim --count N`: N independent devices served by one process, over UDP (ports PORT+I)
and serial (a pseudo-terminal each, links PATH0...), listed as 'device I: CONN' before 'ready'
and in --devices-out. Every device answers on each of its transports; an image uploaded to one
shows on that one alone; each keeps its state in DIR/I across a restart; -v names the device;
bad counts are usage errors."""
import json
import os
import socket
import unittest

import run_tool
from sim_device import DFU_SMP, DFU_SMP_SIM, EXPECTED_HASH, IMAGES, SimDevice, new_tmp

IMAGE = "01-hash-only.bin"


def dfu(conn, *args):
    return run_tool.run(DFU_SMP, "--conn", conn, *args, timeout=60)


def devices(sim):
    """The 'device I: CONN' lines: {index: [CONN, ...]} in the order printed."""
    found = {}
    for line in sim.lines:
        if line.startswith("device ") and line[7].isdigit():
            index, conn = line[7:].split(": ", 1)
            found.setdefault(int(index), []).append(conn)
    return found


class SimCount(unittest.TestCase):
    def setUp(self):
        self.tmp = new_tmp(self)

    def images(self, conn):
        p = dfu(conn, "--json", "image", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        return {i["slot"]: i["hash"] for i in json.loads(p.stdout)["images"]}

    def test_four_devices_independent_and_kept(self):
        state = os.path.join(self.tmp, "state")
        listing = os.path.join(self.tmp, "devices")
        args = ("--count", "4", "--udp", "127.0.0.1:0", "--serial", "--busy-scale", "0",
                "--state", state)
        with SimDevice(*args, "--devices-out", listing) as sim:
            found = devices(sim)
            self.assertEqual(sorted(found), [0, 1, 2, 3])
            for conns in found.values():
                self.assertEqual([c.split(":")[0] for c in conns], ["serial", "udp"])
            self.assertEqual(len({c for conns in found.values() for c in conns}), 8)
            # the devices file names each device once, by its UDP address
            with open(listing) as f:
                self.assertEqual(f.read(), "".join(f"{found[i][1]} dev-{i}\n"
                                                   for i in range(4)))
            self.assertIn("ready", sim.lines[-1])
            factory = self.images(found[0][1])
            self.assertEqual(sorted(factory), [0])
            for i, conns in found.items():
                for conn in conns:
                    p = dfu(conn, "echo", f"hello {i} over {conn}")
                    self.assertEqual((p.returncode, p.stdout), (0, f"hello {i} over {conn}\n"),
                                     p.stderr)
                    self.assertEqual(self.images(conn), factory)
            # an image into device 2 (over UDP) is there on its serial port, nowhere else
            p = dfu(found[2][1], "image", "upload", os.path.join(IMAGES, IMAGE))
            self.assertEqual(p.returncode, 0, p.stderr)
            uploaded = {**factory, 1: EXPECTED_HASH[IMAGE]}
            self.assertEqual(self.images(found[2][0]), uploaded)
            for i in (0, 1, 3):
                self.assertEqual(self.images(found[i][1]), factory)
        self.assertEqual(sorted(os.listdir(state)), ["0", "1", "2", "3"])
        # the same state directory again: each device has what it had
        with SimDevice(*args) as sim:
            found = devices(sim)
            self.assertIn(f"state: {state}", sim.lines)
            for i in range(4):
                self.assertEqual(self.images(found[i][1]), uploaded if i == 2 else factory)

    def test_udp_ports_count_up(self):
        # a free port to start from; the next ones are most likely free too
        for attempt in range(3):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if port + 2 > 65535:
                continue
            try:
                sim = SimDevice("--count", "3", "--udp", f"127.0.0.1:{port}")
            except AssertionError:
                if attempt == 2:
                    raise
                continue
            with sim:
                self.assertEqual(devices(sim), {i: [f"udp:127.0.0.1:{port + i}"]
                                                for i in range(3)})
                p = dfu(f"udp:127.0.0.1:{port + 2}", "echo", "third")
                self.assertEqual((p.returncode, p.stdout), (0, "third\n"), p.stderr)
            return

    def test_serial_links_and_log_names(self):
        link = os.path.join(self.tmp, "tty")
        with SimDevice("-v", "--count", "2", "--serial-link", link) as sim:
            found = devices(sim)
            self.assertEqual(len(found), 2)
            for i in range(2):
                self.assertEqual("serial:" + os.path.realpath(f"{link}{i}"), found[i][0])
            p = dfu(f"serial:{link}1", "echo", "second")
            self.assertEqual((p.returncode, p.stdout), (0, "second\n"), p.stderr)
        self.assertFalse(os.path.lexists(f"{link}0"))
        self.assertFalse(os.path.lexists(f"{link}1"))
        self.assertIn("] sim 1: serial: request of ", sim.err)
        self.assertNotIn("] sim 0: serial: request", sim.err)

    def test_bad_counts(self):
        for value in ("0", "257", "-1", "two", ""):
            with self.subTest(value=value):
                p = run_tool.run(DFU_SMP_SIM, "--count", value, "--udp", "127.0.0.1:0")
                self.assertEqual(p.returncode, 2)
                self.assertIn("--count takes a number of devices from 1 to 256", p.stderr)
                self.assertEqual(p.stdout, "")
        for args, says in ((["--count", "2", "--", "echo", "hi"], "served in real time"),
                           (["--count", "2", "--udp", "127.0.0.1:0", "--power-cut", "upload:1"],
                            "--power-cut kills the program"),
                           (["--count", "2", "--udp", "127.0.0.1:65535"], "past 65535"),
                           (["--udp", "127.0.0.1:0", "--devices-out"], "--devices-out needs")):
            with self.subTest(args=args):
                p = run_tool.run(DFU_SMP_SIM, *args)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(says, p.stderr)


if __name__ == "__main__":
    unittest.main()
