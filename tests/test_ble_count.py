# SPDX-License-Identifier: Apache-2.0
"""`dfu-smp-sim --bluez --count 4`: four independent devices behind the one fake adapter hci0.
Four dfu-smp processes started together (each with its own D-Bus connection, each scanning:
BlueZ merges their discovery) reach their own device at the same time; four bleak clients hold
a connection each at once, each with its own GATT objects and acquired sockets, and a reset of
one device drops its connection alone."""
import asyncio
import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

import cbor2

import run_tool
from bluez_env import DFU_SMP, FakeBluez

SMP_CHAR = "da2e7828-fbce-4e01-ae9e-261174997c48"
ADDRESSES = ["C2:53:4D:50:00:0%d" % i for i in range(1, 5)]
RUN_TIMEOUT = 60


def smp_request(group, command, body, seq):
    payload = cbor2.dumps(body)
    # SMP v2, op write (2); length, group, sequence, command
    return struct.pack(">BBHHBB", (1 << 3) | 2, 0, len(payload), group, seq, command) + payload


class BleCount(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dfu-smp-ble-count-")
        self.state = os.path.join(self.dir, "state")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def all_at_once(self, bz, argv_of):
        """Starts one dfu-smp per device at once, `argv_of(index, address)` its arguments;
        waits for all. @return their (status, stdout, stderr) by index."""
        procs = [subprocess.Popen([DFU_SMP, *argv_of(i, a)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=bz.env)
                 for i, a in enumerate(ADDRESSES)]
        results = []
        for p in procs:
            try:
                out, err = p.communicate(timeout=RUN_TIMEOUT)
            except subprocess.TimeoutExpired:
                for q in procs:
                    q.kill()
                raise
            for mark in run_tool.SANITIZER_MARKS:
                self.assertNotIn(mark, err)
            results.append((p.returncode, out, err))
        return results

    def test_four_dfu_smp_processes_at_once(self):
        with FakeBluez("--count", "4", "--state", self.state, "--devices-out",
                       os.path.join(self.dir, "devices")) as bz:
            self.assertIn("4 devices C2:53:4D:50:00:01 to C2:53:4D:50:00:04 named "
                          "'dfu-smp-sim-0' to 'dfu-smp-sim-3'", bz.banner)
            self.assertEqual(bz.devices(), {i: "ble:" + a for i, a in enumerate(ADDRESSES)})
            with open(os.path.join(self.dir, "devices")) as f:
                self.assertEqual(f.read(), "".join(f"ble:{a} dev-{i}\n"
                                                   for i, a in enumerate(ADDRESSES)))
            # each scans (none is known yet), connects and writes its own device's setting
            for status, _, err in self.all_at_once(
                    bz, lambda i, a: ["--conn", "ble:" + a, "settings", "set", "app/who",
                                      f"device {i}"]):
                self.assertEqual(status, 0, err)
            got = self.all_at_once(bz, lambda i, a: ["--conn", "ble:" + a, "--json",
                                                     "settings", "get", "app/who"])
            for i, (status, out, err) in enumerate(got):
                self.assertEqual(status, 0, err)
                self.assertEqual(json.loads(out)["text"], f"device {i}")
            for status, out, err in self.all_at_once(
                    bz, lambda i, a: ["--conn", "ble:" + a, "--json", "image", "list"]):
                self.assertEqual(status, 0, err)
                self.assertEqual(json.loads(out)["images"][0]["slot"], 0)
            # found by name: NAME-I
            got = self.all_at_once(bz, lambda i, a: ["--conn", "ble:name=dfu-smp-sim-%d" % i,
                                                     "echo", f"to {i}"])
            for i, (status, out, err) in enumerate(got):
                self.assertEqual((status, out), (0, f"to {i}\n"), err)
        self.assertEqual(sorted(os.listdir(self.state)), ["0", "1", "2", "3"])

    def test_four_bleak_clients_connected_together(self):
        from bleak import BleakClient, BleakScanner

        async def echo(client, text, seq):
            got = asyncio.Queue()
            char = client.services.get_characteristic(SMP_CHAR)
            await client.start_notify(char, lambda _, data: got.put_nowait(bytes(data)))
            await client.write_gatt_char(char, smp_request(0, 0, {"d": text}, seq),
                                         response=False)
            rsp = await asyncio.wait_for(got.get(), 10)
            await client.stop_notify(char)
            return cbor2.loads(rsp[8:])["r"]

        async def scenario():
            found = {}
            for a in ADDRESSES:
                found[a] = await BleakScanner.find_device_by_address(a, timeout=5)
                self.assertIsNotNone(found[a], a)
            self.assertEqual([found[a].name for a in ADDRESSES],
                             ["dfu-smp-sim-%d" % i for i in range(4)])
            gone = asyncio.Event()
            clients = [BleakClient(found[a], disconnected_callback=(
                (lambda _: gone.set()) if i == 1 else None)) for i, a in enumerate(ADDRESSES)]
            await asyncio.gather(*(c.connect() for c in clients))
            try:
                self.assertTrue(all(bool(c.is_connected) for c in clients))
                # all four connected: each answers on its own notifications
                said = await asyncio.gather(*(echo(c, f"hello {i}", i)
                                              for i, c in enumerate(clients)))
                self.assertEqual(said, ["hello %d" % i for i in range(4)])
                # device 1 resets: its connection drops, the others stay
                char = clients[1].services.get_characteristic(SMP_CHAR)
                await clients[1].write_gatt_char(char, smp_request(0, 5, {}, 9),
                                                 response=False)
                await asyncio.wait_for(gone.wait(), 10)
                self.assertEqual([bool(c.is_connected) for c in clients],
                                 [True, False, True, True])
                said = await asyncio.gather(*(echo(clients[i], f"again {i}", 10 + i)
                                              for i in (0, 2, 3)))
                self.assertEqual(said, ["again 0", "again 2", "again 3"])
            finally:
                await asyncio.gather(*(c.disconnect() for c in clients if c.is_connected))

        with FakeBluez("--count", "4") as bz:
            self.assertEqual(len(bz.devices()), 4)
            bin_dir = os.path.join(self.dir, "bin")
            os.mkdir(bin_dir)
            # bleak asks `bluetoothctl --version` which BlueZ it talks to: the one the fake plays
            with open(os.path.join(bin_dir, "bluetoothctl"), "w") as f:
                f.write("#!/bin/sh\necho 'bluetoothctl: 5.66'\n")
            os.chmod(os.path.join(bin_dir, "bluetoothctl"), 0o755)
            saved = dict(os.environ)
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = bz.address
            os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
            try:
                asyncio.run(asyncio.wait_for(scenario(), 60))
            finally:
                os.environ.clear()
                os.environ.update(saved)

    def test_many_clients_discover_together(self):
        # a fleet's connections each scan, as the four dfu-smp above did: BlueZ merges them all
        from dbus_fast import Message, MessageType, Variant
        from dbus_fast.aio import MessageBus

        def adapter_call(member, *body, iface="org.bluez.Adapter1", signature=""):
            return Message(destination="org.bluez", path="/org/bluez/hci0", interface=iface,
                           member=member, signature=signature, body=list(body))

        async def discovering(bus):
            reply = await bus.call(adapter_call("Get", "org.bluez.Adapter1", "Discovering",
                                                iface="org.freedesktop.DBus.Properties",
                                                signature="ss"))
            self.assertEqual(reply.message_type, MessageType.METHOD_RETURN, reply.body)
            self.assertIsInstance(reply.body[0], Variant)
            return reply.body[0].value

        async def scenario(address):
            buses = [await MessageBus(bus_address=address).connect() for _ in range(12)]
            try:
                for bus in buses:
                    reply = await bus.call(adapter_call("StartDiscovery"))
                    self.assertEqual(reply.message_type, MessageType.METHOD_RETURN, reply.body)
                self.assertTrue(await discovering(buses[0]))
                for bus in buses[1:]:
                    reply = await bus.call(adapter_call("StopDiscovery"))
                    self.assertEqual(reply.message_type, MessageType.METHOD_RETURN, reply.body)
                self.assertTrue(await discovering(buses[0]))  # the first one still scans
                await buses[0].call(adapter_call("StopDiscovery"))
                self.assertFalse(await discovering(buses[0]))
            finally:
                for bus in buses:
                    bus.disconnect()

        with FakeBluez("--count", "2") as bz:
            asyncio.run(asyncio.wait_for(scenario(bz.address), 30))


if __name__ == "__main__":
    unittest.main()
