# SPDX-License-Identifier: Apache-2.0
"""SMP on the wire, written for the tests alone and apart from the C client: the 8-byte header,
CBOR through python3-cbor2, the serial console framing (transports.md (b)) and UDP datagrams.
The conformance test and the real-server tests use it to see exactly what a device answers,
byte for byte, or that it answers nothing."""
import base64
import os
import select
import socket
import struct
import termios
import time
import tty

import cbor2

OP_READ, OP_WRITE = 0, 2


def crc16_xmodem(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def header(op, group, cmd, seq, length, version=2, flags=0):
    """@p version: the SMP version, 1 or 2 (header bits 0 and 1; 3 and 4 claim newer ones)."""
    return struct.pack(">BBHHBB", ((version - 1) & 3) << 3 | (op & 7), flags, length, group,
                       seq, cmd)


def message(op, group, cmd, seq, body, version=2):
    """A request: @p body is an object to encode with cbor2, or bytes sent as they are."""
    payload = body if isinstance(body, (bytes, bytearray)) else cbor2.dumps(body)
    return header(op, group, cmd, seq, len(payload), version) + payload


class Answer:
    """A decoded answer: header fields and the CBOR body (None when it is not CBOR)."""

    def __init__(self, raw):
        self.raw = raw
        first, self.flags, self.length, self.group, self.seq, self.cmd = \
            struct.unpack(">BBHHBB", raw[:8])
        self.op = first & 7
        self.version = (first >> 3 & 3) + 1
        try:
            self.body = cbor2.loads(raw[8:])
        except Exception:  # noqa: BLE001 - any undecodable body is "not CBOR"
            self.body = None


def serial_frames(msg, line_max=127):
    """The lines that carry @p msg: base64 of length | message | CRC, cut into whole quads."""
    stream = struct.pack(">H", len(msg) + 2) + msg + struct.pack(">H", crc16_xmodem(msg))
    text = base64.b64encode(stream)
    per_line = (line_max - 3) // 4 * 4
    lines = []
    for i in range(0, len(text), per_line):
        marker = b"\x06\x09" if i == 0 else b"\x04\x14"
        lines.append(marker + text[i:i + per_line] + b"\n")
    return lines


class SerialPort:
    """A pseudo-terminal (or any tty) in raw mode, speaking the console framing."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd)
        termios.tcflush(self.fd, termios.TCIOFLUSH)
        self.pending = b""
        self.text = b""  # what was read outside frames: logs, prompts

    def close(self):
        os.close(self.fd)

    def send(self, msg, pace=0.01, line_max=127):
        """Sends @p msg in lines, @p pace seconds after each (a device has few line buffers)."""
        for line in serial_frames(msg, line_max):
            self.send_raw(line)
            time.sleep(pace)  # pacing the wire, not waiting for an event

    def send_raw(self, data):
        while data:
            select.select([], [self.fd], [], 1)
            try:
                n = os.write(self.fd, data)
            except BlockingIOError:
                continue
            data = data[n:]

    def _lines(self, deadline):
        while True:
            nl = self.pending.find(b"\n")
            if nl >= 0:
                line, self.pending = self.pending[:nl + 1], self.pending[nl + 1:]
                yield line
                continue
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return
            try:
                self.pending += os.read(self.fd, 4096)
            except BlockingIOError:
                pass

    def receive(self, timeout):
        """The next whole packet with a good CRC, or None when none comes within @p timeout."""
        deadline = time.monotonic() + timeout
        stream, total = b"", None
        for line in self._lines(deadline):
            start, cont = line.find(b"\x06\x09"), line.find(b"\x04\x14")
            if start >= 0 and (cont < 0 or start < cont):
                self.text += line[:start]
                stream, total = base64.b64decode(line[start + 2:].strip()), None
            elif cont >= 0 and total is not None or cont >= 0 and stream:
                self.text += line[:cont]
                stream += base64.b64decode(line[cont + 2:].strip())
            else:
                self.text += line
                continue
            if total is None and len(stream) >= 2:
                total = struct.unpack(">H", stream[:2])[0]
            if total is not None and len(stream) - 2 >= total:
                packet = stream[2:2 + total]
                stream, total = b"", None
                if crc16_xmodem(packet) == 0:
                    return packet[:-2]
        return None


class UdpPort:
    def __init__(self, host, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect((host, port))

    def close(self):
        self.sock.close()

    def send(self, msg):
        self.sock.send(msg)

    def receive(self, timeout):
        if not select.select([self.sock], [], [], timeout)[0]:
            return None
        try:
            return self.sock.recv(65536)
        except ConnectionRefusedError:
            return None


class Client:
    """Request and answer over a port; answers whose sequence number is not the request's are
    skipped (an answer to an earlier, timed-out request)."""

    def __init__(self, port):
        self.port = port
        self.seq = 0

    def request(self, op, group, cmd, body, version=2, timeout=2.0, raw_msg=None):
        """@return the Answer, or None when the device stays silent for @p timeout seconds."""
        self.seq = (self.seq + 1) & 0xFF
        msg = raw_msg if raw_msg is not None else message(op, group, cmd, self.seq, body,
                                                          version)
        seq = msg[6]
        self.port.send(msg)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            raw = self.port.receive(left) if left > 0 else None
            if raw is None:
                return None
            if len(raw) >= 8 and raw[6] == seq:
                return Answer(raw)
