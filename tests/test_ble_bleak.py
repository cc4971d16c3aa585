# SPDX-License-Identifier: Apache-2.0
"""The fake BlueZ of `dfu-smp-sim --bluez`, checked by a real BlueZ client library: bleak scans
for the device, connects, reads the MTU, subscribes to the SMP characteristic and sends an SMP
echo request built here by hand (8-byte header and CBOR from cbor2); the notified response must
be the echo. If bleak cannot work with the fake, the fake is wrong."""
import asyncio
import os
import struct
import tempfile
import shutil
import unittest

import cbor2

from bluez_env import DEFAULT_ADDRESS, DEFAULT_NAME, FakeBluez

SMP_CHAR = "da2e7828-fbce-4e01-ae9e-261174997c48"
SMP_OP_WRITE = 2
SMP_OP_WRITE_RSP = 3
SMP_VERSION_2 = 1


def echo_request(text, seq):
    payload = cbor2.dumps({"d": text})
    header = struct.pack(">BBHHBB", (SMP_VERSION_2 << 3) | SMP_OP_WRITE, 0, len(payload), 0,
                         seq, 0)
    return header + payload


class Bleak(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # bleak asks `bluetoothctl --version` which BlueZ it talks to: the one the fake plays
        cls.bin = tempfile.mkdtemp(prefix="dfu-smp-bleak-")
        tool = os.path.join(cls.bin, "bluetoothctl")
        with open(tool, "w") as f:
            f.write("#!/bin/sh\necho 'bluetoothctl: 5.66'\n")
        os.chmod(tool, 0o755)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.bin)

    def run_bleak(self, bz, scenario):
        saved = dict(os.environ)
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = bz.address
        os.environ["PATH"] = self.bin + os.pathsep + os.environ.get("PATH", "")
        try:
            return asyncio.run(asyncio.wait_for(scenario(), 30))
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def test_scan_connect_notify_echo(self):
        from bleak import BleakClient, BleakScanner

        async def scenario():
            device = await BleakScanner.find_device_by_address(DEFAULT_ADDRESS, timeout=5)
            self.assertIsNotNone(device, "bleak did not find the device")
            self.assertEqual(device.name, DEFAULT_NAME)
            async with BleakClient(device) as client:
                char = client.services.get_characteristic(SMP_CHAR)
                self.assertIsNotNone(char, "no SMP characteristic")
                self.assertIn("write-without-response", char.properties)
                self.assertIn("notify", char.properties)
                # BlueZ tells the MTU through the characteristic and through AcquireWrite
                self.assertEqual(char.max_write_without_response_size, 495)
                await client._backend._acquire_mtu()
                self.assertEqual(client.mtu_size, 498)

                got = asyncio.Queue()
                await client.start_notify(char, lambda _, data: got.put_nowait(bytes(data)))
                await client.write_gatt_char(char, echo_request("hello from bleak", 42),
                                             response=False)
                rsp = await asyncio.wait_for(got.get(), 10)
                await client.stop_notify(char)
            return rsp

        rsp = None
        with FakeBluez() as bz:
            rsp = self.run_bleak(bz, scenario)
        op, _, length, group, seq, cmd = struct.unpack(">BBHHBB", rsp[:8])
        self.assertEqual(op & 7, SMP_OP_WRITE_RSP)
        self.assertEqual((op >> 3) & 3, SMP_VERSION_2)
        self.assertEqual((group, seq, cmd), (0, 42, 0))
        self.assertEqual(length, len(rsp) - 8)
        self.assertEqual(cbor2.loads(rsp[8:]), {"r": "hello from bleak"})

    def test_scan_by_name(self):
        from bleak import BleakScanner

        async def scenario():
            return await BleakScanner.find_device_by_name("bleak target", timeout=5)

        with FakeBluez("--name", "bleak target") as bz:
            device = self.run_bleak(bz, scenario)
        self.assertIsNotNone(device)
        self.assertEqual(device.address, DEFAULT_ADDRESS)


if __name__ == "__main__":
    unittest.main()
