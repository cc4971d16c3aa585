# SPDX-License-Identifier: Apache-2.0
"""Devices scripted in Python, for answers neither the simulated device nor the Zephyr servers
give: over UDP (a socket on 127.0.0.1) and over a serial console (a pseudo-terminal, the
console framing of transports.md (b)). Each request is handed to a function that says what goes
back, byte for byte: good answers, damaged ones, or nothing; a device may also send on its own
(a stream of datagrams or bytes that never ends) until it is stopped."""
import base64
import os
import select
import socket
import struct
import threading
import tty

import cbor2

from smp_wire import crc16_xmodem, serial_frames


class Request:
    """A request as the device got it: header fields, the CBOR body (None when it is none)."""

    def __init__(self, raw):
        self.raw = raw
        first, self.flags, self.length, self.group, self.seq, self.cmd = \
            struct.unpack(">BBHHBB", raw[:8])
        self.op = first & 7
        self.version_bits = first & 0x18
        try:
            self.body = cbor2.loads(raw[8:])
        except Exception:  # noqa: BLE001 - any undecodable body is "not CBOR"
            self.body = None

    def answer(self, payload, op=None, group=None, seq=None, cmd=None, length=None):
        """The SMP message that answers this request with @p payload (bytes, or an object for
        cbor2); any header field may be given otherwise, to lie."""
        if not isinstance(payload, (bytes, bytearray)):
            payload = cbor2.dumps(payload)
        return struct.pack(">BBHHBB", self.version_bits | (self.op + 1 if op is None else op),
                           0, len(payload) if length is None else length,
                           self.group if group is None else group,
                           self.seq if seq is None else seq,
                           self.cmd if cmd is None else cmd) + payload


def simple_handler(handler):
    """A respond() function from handler(op, group, cmd, body) -> CBOR bytes or None."""
    def respond(req):
        payload = handler(req.op, req.group, req.cmd, req.body)
        return None if payload is None else [req.answer(payload)]
    return respond


class _Device:
    """What both transports share: a thread that serves until stop()."""

    def __init__(self, respond, stream):
        self.respond = respond
        self.stream = stream  # a generator function: what is sent on its own, or None
        self.requests = []    # every Request got
        self.sent = 0         # bytes sent, answers and stream
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.thread.join(10)


class ScriptedDevice(_Device):
    """A UDP device: each request to respond(Request) -> datagrams to send back (or None). With
    @p stream, once the client has sent its first datagram the device sends it what stream()
    yields, as fast as the socket takes it, between requests. @p handler is the simpler form:
    handler(op, group, cmd, body) -> CBOR bytes or None; it may close the device (stop())."""

    def __init__(self, handler=None, respond=None, stream=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.conn = "udp:127.0.0.1:%d" % self.sock.getsockname()[1]
        super().__init__(respond or simple_handler(handler), stream)

    def serve(self):
        peer, flood = None, None
        while not self.stopping:
            sending = flood is not None
            r, w, _ = select.select([self.sock], [self.sock] if sending else [], [],
                                    0.1)
            if r:
                try:
                    data, peer = self.sock.recvfrom(65536)
                except ConnectionRefusedError:
                    continue  # the client went away: an ICMP error for the stream
                if len(data) < 8:
                    continue
                req = Request(data)
                self.requests.append(req)
                out = self.respond(req)
                if self.stopping:
                    break
                for datagram in out or ():
                    self.sent += self.sock.sendto(datagram, peer)
                if self.stream and flood is None:
                    flood = self.stream()
            elif w:
                try:
                    self.sent += self.sock.sendto(next(flood), peer)
                except StopIteration:
                    flood = None
                except (BlockingIOError, ConnectionRefusedError):
                    pass
        self.sock.close()

    def stop(self):
        """Gone: the port is closed, so the host answers with port unreachable."""
        self.stopping = True


def console_frames(msg, line_max=127):
    """@p msg in the console framing, as bytes."""
    return b"".join(serial_frames(msg, line_max))


def console_stream(stream_bytes):
    """The lines of the console framing's packet stream @p stream_bytes (length, message, CRC
    already in it), for frames that lie about their length or CRC."""
    text = base64.b64encode(stream_bytes)
    per_line = (127 - 3) // 4 * 4
    return b"".join((b"\x06\x09" if i == 0 else b"\x04\x14") + text[i:i + per_line] + b"\n"
                    for i in range(0, len(text), per_line))


def cobs_encode(data):
    """COBS (transports.md (b), "COBS framing"): blocks of a code byte N and N - 1 non-zero
    bytes, each but a full one (N = 255) and the last standing for a 0x00 after them."""
    out, block = bytearray(), bytearray()
    for b in data:
        if b == 0:
            out += bytes([len(block) + 1]) + block
            block = bytearray()
            continue
        block.append(b)
        if len(block) == 254:
            out += b"\xff" + block
            block = bytearray()
    return bytes(out + bytes([len(block) + 1]) + block)


def cobs_decode(enc):
    """The bytes cobs_encode() made @p enc of; ValueError when it is no COBS."""
    out, i = bytearray(), 0
    while i < len(enc):
        code = enc[i]
        if code == 0 or i + code > len(enc):
            raise ValueError("not COBS")
        out += enc[i + 1:i + code]
        i += code
        if code < 255 and i < len(enc):
            out.append(0)
    return bytes(out)


def frame(framing, msg):
    """The SMP message @p msg framed for the serial port: "console" (lines of base64 with a
    length and CRC), "raw" (as it is) or "cobs" (COBS of the message and its CRC, a 0x00)."""
    if framing == "raw":
        return msg
    if framing == "cobs":
        return cobs_encode(msg + struct.pack(">H", crc16_xmodem(msg))) + b"\x00"
    return console_frames(msg)


class SerialDevice(_Device):
    """A device on a pseudo-terminal speaking @p framing (see frame()); `conn` is its --conn
    value. Each whole request (good CRC) to respond(Request) -> bytes to write (framed
    already: see frame(), or anything else), or None. With @p stream, from the first request on
    the device writes what stream() yields whenever the port takes it."""

    def __init__(self, respond, stream=None, framing="console"):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo of what the device writes before the client opens
        os.set_blocking(self.master, False)
        self.framing = framing
        self.conn = "serial:" + os.ttyname(self.slave)
        if framing != "console":
            self.conn += "?framing=" + framing
        self.pending, self.packet = b"", None
        super().__init__(respond, stream)

    def _requests(self, data):
        """The whole requests in what was read."""
        if self.framing == "raw":
            return self._raw_requests(data)
        if self.framing == "cobs":
            return self._cobs_requests(data)
        return self._console_requests(data)

    def _raw_requests(self, data):
        self.pending += data
        out = []
        while len(self.pending) >= 8:
            end = 8 + struct.unpack(">H", self.pending[2:4])[0]
            if len(self.pending) < end:
                break
            out.append(Request(self.pending[:end]))
            self.pending = self.pending[end:]
        return out

    def _cobs_requests(self, data):
        self.pending += data
        out = []
        while b"\x00" in self.pending:
            enc, self.pending = self.pending.split(b"\x00", 1)
            try:
                packet = cobs_decode(enc)
            except ValueError:
                continue
            if len(packet) >= 10 and crc16_xmodem(packet) == 0:
                out.append(Request(packet[:-2]))
        return out

    def _console_requests(self, data):
        """Line by line."""
        self.pending += data
        out = []
        while b"\n" in self.pending:
            line, self.pending = self.pending.split(b"\n", 1)
            if line.startswith(b"\x06\x09"):
                self.packet = base64.b64decode(line[2:])
            elif line.startswith(b"\x04\x14") and self.packet is not None:
                self.packet += base64.b64decode(line[2:])
            else:
                continue
            if len(self.packet) >= 2 and \
                    len(self.packet) - 2 >= struct.unpack(">H", self.packet[:2])[0]:
                packet, self.packet = self.packet[2:], None
                if len(packet) >= 10 and crc16_xmodem(packet) == 0:
                    out.append(Request(packet[:-2]))
        return out

    def serve(self):
        out, flood = b"", None
        while not self.stopping:
            want = [self.master] if out or flood is not None else []
            r, w, _ = select.select([self.master], want, [], 0.1)
            if r:
                try:
                    data = os.read(self.master, 65536)
                except (BlockingIOError, OSError):
                    data = b""  # OSError: EIO while no one has the terminal open
                for req in self._requests(data):
                    self.requests.append(req)
                    out += self.respond(req) or b""
                    if self.stream and flood is None:
                        flood = self.stream()
            if w:
                if not out and flood is not None:
                    try:
                        out = next(flood)
                    except StopIteration:
                        flood = None
                try:
                    n = os.write(self.master, out)
                except (BlockingIOError, OSError):
                    continue
                self.sent += n
                out = out[n:]
        os.close(self.master)
        os.close(self.slave)
