# SPDX-License-Identifier: Apache-2.0
"""What real servers showed, against dfu-smp-sim set up as those servers: every command keeps
to the device's limit (refused here, with the limit named, never lost on the way); the serial
limit is the buffer less 4 bytes of framing; an unpaced serial client loses lines to the
device's 2 receive line buffers; and an older MCUmgr server without parameters (upload data of
at most 512 bytes, no slot info, upload state kept across an erase) is upgraded all the same."""
import hashlib
import json
import os
import re
import unittest

import run_tool
from sim_device import DFU_SMP, IMAGES, SimDevice, check_upgrade, new_tmp
from smp_wire import OP_WRITE, Client, SerialPort, UdpPort, message


def dfu(conn, *args):
    return run_tool.run(DFU_SMP, "--conn", conn, *args)


def echo_text(request_len):
    """A text whose echo request is exactly @p request_len bytes (header included)."""
    text = "e" * request_len
    while len(message(OP_WRITE, 0, 0, 0, {"d": text})) > request_len:
        text = text[:-1]
    assert len(message(OP_WRITE, 0, 0, 0, {"d": text})) == request_len, request_len
    return text


class SerialLimit(unittest.TestCase):
    """A 384-byte buffer takes messages of 380 bytes over serial: length field and CRC count."""

    @classmethod
    def setUpClass(cls):
        cls.sim = SimDevice("--serial", "--buf-size", "384", "--buf-count", "4",
                            "--busy-scale", "0")
        cls.conn = "serial:" + cls.sim.serial

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_the_largest_request_is_answered(self):
        text = echo_text(380)
        p = dfu(self.conn, "echo", text)
        self.assertEqual((p.returncode, p.stdout), (0, text + "\n"), p.stderr)

    def test_one_byte_more_is_refused_here_with_the_limit(self):
        p = dfu(self.conn, "--timeout", "2", "echo", echo_text(381))
        self.assertEqual(p.returncode, 1)
        self.assertIn("request of 381 bytes is larger than the device takes over serial "
                      "(380 bytes: its SMP buffer of 384 bytes", p.stderr)

    def test_the_device_drops_what_does_not_fit_its_buffer(self):
        """The simulated device itself, as Zephyr: 380 bytes answered, 381 and 382 silence."""
        client = Client(SerialPort(self.sim.serial))
        try:
            for length, answered in ((380, True), (381, False), (382, False)):
                a = client.request(OP_WRITE, 0, 0, {"d": echo_text(length)}, timeout=1)
                self.assertEqual(a is not None, answered, length)
        finally:
            client.port.close()

    def test_fs_upload_fills_requests_to_the_limit(self):
        tmp = new_tmp(self)
        local = os.path.join(tmp, "data")
        data = os.urandom(6 * 1024)
        with open(local, "wb") as f:
            f.write(data)
        p = dfu(self.conn, "-vv", "fs", "upload", local, "/lfs/data")
        self.assertEqual(p.returncode, 0, p.stderr)
        # the limit is 380 bytes (5 lines); on a pseudo-terminal the requests fill whole
        # batches of the device's 2 line buffers instead: 4 lines, 368 bytes
        sizes = [int(m) for m in re.findall(r"sent (\d+) bytes in \d+ lines", p.stderr)]
        self.assertEqual(max(sizes), 368, p.stderr)
        self.assertIn("sent 368 bytes in 4 lines", p.stderr)
        p = dfu(self.conn, "fs", "download", "/lfs/data", local + ".back")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(local + ".back", "rb") as f:
            self.assertEqual(f.read(), data)


class SerialLineBuffers(unittest.TestCase):
    """Zephyr keeps 2 receive line buffers: lines sent back to back past them are lost."""

    def test_an_unpaced_request_is_lost_and_a_paced_one_answered(self):
        with SimDevice("--serial", "--busy-scale", "0") as sim:
            conn = "serial:" + sim.serial
            text = "l" * 600  # 7 lines
            p = dfu(conn, "--timeout", "1", "--tries", "1", "--serial-lines", "100",
                    "echo", text)
            self.assertEqual(p.returncode, 3, p.stdout)  # no answer: the link's failure
            self.assertIn("no answer", p.stderr)
            p = dfu(conn, "echo", text)
            self.assertEqual((p.returncode, p.stdout), (0, text + "\n"), p.stderr)

    def test_more_line_buffers_take_the_burst(self):
        with SimDevice("--serial", "--serial-rx-lines", "8", "--busy-scale", "0") as sim:
            text = "l" * 600
            p = dfu("serial:" + sim.serial, "--timeout", "2", "--serial-lines", "100",
                    "echo", text)
            self.assertEqual((p.returncode, p.stdout), (0, text + "\n"), p.stderr)


class UdpLimit(unittest.TestCase):
    """A device whose buffer is smaller than a datagram drops a longer request silently."""

    def test_every_command_keeps_to_the_learnt_limit(self):
        with SimDevice("--udp", "127.0.0.1:0", "--buf-size", "384", "--busy-scale", "0") as sim:
            conn = "udp:" + sim.udp
            p = dfu(conn, "echo", echo_text(383))
            self.assertEqual(p.returncode, 0, p.stderr)
            # sent and answered: the echo, one byte longer (an indefinite map), does not fit
            p = dfu(conn, "echo", echo_text(384))
            self.assertEqual(p.returncode, 1)
            self.assertIn("MGMT_ERR_EMSGSIZE", p.stderr)
            p = dfu(conn, "--timeout", "2", "echo", echo_text(385))
            self.assertEqual(p.returncode, 1)
            self.assertIn("request of 385 bytes", p.stderr)
            self.assertIn("384", p.stderr)
            self.assertNotIn("no answer", p.stderr)
            p = dfu(conn, "--timeout", "2", "shell", "exec", "echo", "s" * 400)
            self.assertEqual(p.returncode, 1)
            self.assertIn("larger than", p.stderr)


class LegacyServer(unittest.TestCase):
    """The older MCUmgr library: no parameters, no slot info, 512 data bytes per upload."""

    def test_upgrade_without_parameters_keeps_upload_data_at_512(self):
        with SimDevice("--udp", "127.0.0.1:0", "--legacy-mcumgr", "--busy-scale", "0") as sim:
            conn = "udp:" + sim.udp
            p = dfu(conn, "params")
            self.assertEqual(p.returncode, 1)
            p = dfu(conn, "--json", "upgrade", os.path.join(IMAGES, "04-rsa2048.bin"))
            self.assertEqual(p.returncode, 0, p.stderr)
            # every byte sent once: no chunk was over 512 and refused (rc 3), then sent again
            self.assertEqual(json.loads(p.stdout)["upload"]["data_sent"], 33616)
            check_upgrade(self, conn, "04-rsa2048.bin")

    def test_a_large_chunk_answered_rc_3_is_sent_again_at_512(self):
        with SimDevice("--udp", "127.0.0.1:0", "--legacy-mcumgr", "--busy-scale", "0") as sim:
            conn = "udp:" + sim.udp
            p = dfu(conn, "--json", "image", "upload", os.path.join(IMAGES, "04-rsa2048.bin"),
                    "--chunk", "1200")
            self.assertEqual(p.returncode, 0, p.stderr)
            doc = json.loads(p.stdout)
            self.assertEqual(doc["bytes"], 33616)
            # the first request went out with 1200 bytes, every one after with 512 at most
            self.assertLessEqual(doc["data_sent"], 1200 + 33616)
            self.assertGreaterEqual(doc["requests"], 33616 // 512 + 1)

    def test_an_image_larger_than_the_unreported_slot_may_not_fit(self):
        with SimDevice("--udp", "127.0.0.1:0", "--legacy-mcumgr", "--slot-size", "0x4000",
                       "--busy-scale", "0") as sim:
            p = dfu("udp:" + sim.udp, "upgrade", os.path.join(IMAGES, "04-rsa2048.bin"))
            self.assertEqual(p.returncode, 1)
            self.assertIn("rc 1", p.stderr)
            self.assertIn("may not fit slot 1 of image 0, whose size the device does not "
                          "report", p.stderr)

    def test_a_resume_over_an_erased_slot_starts_once_more_from_zero(self):
        """The server keeps its upload state in RAM across an erase: after an interrupted
        upload and an erase, an upload of the same file "resumes" over the erased slot; the
        upgrade sees the slot does not list the image and sends it again from 0."""
        with SimDevice("--udp", "127.0.0.1:0", "--legacy-mcumgr", "--busy-scale", "0") as sim:
            conn = "udp:" + sim.udp
            path = os.path.join(IMAGES, "04-rsa2048.bin")
            with open(path, "rb") as f:
                image = f.read()
            host, port = sim.udp.rsplit(":", 1)
            client = Client(UdpPort(host, int(port)))
            try:  # an upload cut short after two chunks
                sha = hashlib.sha256(image).digest()
                a = client.request(OP_WRITE, 1, 1, {"off": 0, "len": len(image), "sha": sha,
                                                    "data": image[:512]})
                self.assertEqual(a.body, {"off": 512})
                a = client.request(OP_WRITE, 1, 1, {"off": 512, "data": image[512:1024]})
                self.assertEqual(a.body, {"off": 1024})
            finally:
                client.port.close()
            p = dfu(conn, "image", "erase")
            self.assertEqual(p.returncode, 0, p.stderr)
            p = dfu(conn, "-v", "upgrade", path)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("upload: again from the start", p.stderr)
            check_upgrade(self, conn, "04-rsa2048.bin")


class SlotSize(unittest.TestCase):
    def test_an_image_of_the_slots_size_leaves_no_room_for_the_trailer(self):
        """05-padded-confirmed.bin is 65536 bytes: exactly a 0x10000 slot, which the device
        reports (slot info) without a max_image_size, as Zephyr does by default."""
        with SimDevice("--udp", "127.0.0.1:0", "--slot-size", "0x10000",
                       "--busy-scale", "0") as sim:
            p = dfu("udp:" + sim.udp, "upgrade", os.path.join(IMAGES, "05-padded-confirmed.bin"))
            self.assertEqual(p.returncode, 1)
            self.assertIn("larger than what slot 1 of image 0 takes", p.stderr)
            self.assertIn("nothing was sent", p.stderr)


if __name__ == "__main__":
    unittest.main()
