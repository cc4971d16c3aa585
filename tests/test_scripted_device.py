# SPDX-License-Identifier: Apache-2.0
"""dfu-smp against a device scripted in Python over UDP, for answers neither the simulated
device nor the Zephyr servers here give: thread names that repeat (builds without thread names
use the priority), a device that goes away in the middle of an upload, and a device that stops
answering while Ctrl-C aborts the run."""
import json
import os
import signal
import subprocess
import threading
import unittest

import cbor2

import run_tool
from scripted_device import ScriptedDevice
from sim_device import DFU_SMP, IMAGES


def map_with_repeated_keys(pairs):
    """A CBOR map whose keys may repeat, which cbor2 cannot make from a dict."""
    out = bytes([0xa0 + len(pairs)]) if len(pairs) < 24 else bytes([0xb8, len(pairs)])
    for k, v in pairs:
        out += cbor2.dumps(k) + cbor2.dumps(v)
    return out


def dfu(conn, *args):
    return run_tool.run(DFU_SMP, "--conn", conn, *args)


class Scripted(unittest.TestCase):
    def test_taskstat_json_keeps_threads_whose_names_repeat(self):
        threads = [("5", {"prio": 5, "tid": 1, "state": 2, "stksiz": 512, "stkuse": 60}),
                   ("5", {"prio": 5, "tid": 2, "state": 2, "stksiz": 256, "stkuse": 30}),
                   ("15", {"prio": 15, "tid": 3, "state": 0, "stksiz": 64, "stkuse": 6})]

        def handler(op, group, cmd, body):
            if (group, cmd) == (0, 2):
                return b"\xa1" + cbor2.dumps("tasks") + map_with_repeated_keys(threads)
            return cbor2.dumps({"rc": 8})

        with ScriptedDevice(handler) as dev:
            p = dfu(dev.conn, "--json", "taskstat")
            self.assertEqual(p.returncode, 0, p.stderr)
            tasks = json.loads(p.stdout)["tasks"]
            self.assertEqual(len(tasks), 3, tasks)
            self.assertEqual(sorted(t["tid"] for t in tasks.values()), [1, 2, 3])
            self.assertEqual(tasks["5"]["tid"], 1)
            self.assertEqual(tasks["5#2"]["stksiz"], 256)

    def test_a_device_gone_during_the_upload_is_named_in_words(self):
        path = os.path.join(IMAGES, "04-rsa2048.bin")
        size = os.path.getsize(path)
        state = {"off": 0}
        dev = None

        def handler(op, group, cmd, body):
            if (group, cmd) == (0, 6):
                return cbor2.dumps({"buf_size": 1024, "buf_count": 1})
            if (group, cmd) == (1, 0):
                return cbor2.dumps({"images": [{"slot": 0, "version": "1.0.0",
                                                "hash": bytes(32), "bootable": True,
                                                "pending": False, "confirmed": True,
                                                "active": True, "permanent": False}]})
            if (group, cmd) == (1, 1):
                if body["off"] != state["off"]:
                    return cbor2.dumps({"off": state["off"]})
                state["off"] += len(body["data"])
                if state["off"] > size // 2:
                    dev.stop()
                    return None
                return cbor2.dumps({"off": state["off"]})
            return cbor2.dumps({"rc": 8})

        with ScriptedDevice(handler) as dev:
            p = dfu(dev.conn, "--timeout", "3", "upgrade", path)
            self.assertEqual(p.returncode, 3)  # the link failed
            self.assertIn("Connection refused", p.stderr)
            self.assertNotIn("-111", p.stderr)

    def test_ctrl_c_aborts_the_run_cleanly(self):
        """SIGINT while an upload request waits for its answer: the run stops at once, says
        where, exits 130, and nothing more reaches the device (no mark, no reset, no confirm)."""
        path = os.path.join(IMAGES, "04-rsa2048.bin")
        size = os.path.getsize(path)
        for command in (["upgrade"], ["image", "upload"]):
            with self.subTest(command=command):
                state = {"off": 0, "seen": []}
                waiting = threading.Event()

                def handler(op, group, cmd, body):
                    state["seen"].append((op, group, cmd, "hash" in body))
                    if (group, cmd) == (0, 6):
                        return cbor2.dumps({"buf_size": 1024, "buf_count": 2})
                    if (group, cmd) == (1, 0):
                        return cbor2.dumps({"images": [{"slot": 0, "version": "1.0.0",
                                                        "hash": bytes(32), "active": True,
                                                        "confirmed": True}]})
                    if (group, cmd) == (1, 1):
                        if state["off"] > size // 4:
                            waiting.set()  # silent from here on
                            return None
                        if body["off"] == state["off"]:
                            state["off"] += len(body["data"])
                        return cbor2.dumps({"off": state["off"]})
                    return cbor2.dumps({"rc": 8})

                with ScriptedDevice(handler) as dev:
                    proc = subprocess.Popen([DFU_SMP, "--conn", dev.conn, "--timeout", "30",
                                             "--tries", "1", *command, path],
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                            text=True)
                    try:
                        self.assertTrue(waiting.wait(30), "the upload never got going")
                        seen = len(state["seen"])
                        proc.send_signal(signal.SIGINT)
                        out, err = proc.communicate(timeout=20)
                    finally:
                        if proc.poll() is None:
                            proc.kill()
                            proc.communicate()
                    self.assertEqual(proc.returncode, 130, err)
                    self.assertIn("interrupted: aborted during upload", err)
                    if command == ["upgrade"]:
                        self.assertIn("nothing was confirmed", err)
                    self.assertEqual(out, "")
                    self.assertEqual(len(state["seen"]), seen)  # nothing sent after Ctrl-C
                    self.assertNotIn((2, 1, 0, True), state["seen"])  # no mark
                    self.assertNotIn((2, 1, 0, False), state["seen"])  # no confirm
                    self.assertFalse(any(g == 0 and c == 5 for _, g, c, _ in state["seen"]))


if __name__ == "__main__":
    unittest.main()
