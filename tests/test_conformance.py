# SPDX-License-Identifier: Apache-2.0
"""Conformance: the simulated device (dfu-smp-sim) against the real Zephyr 4.4 SMP servers of
../shared/testdata/zephyr/, which are the reference. The same scripted session (every command of
the groups the Zephyr builds have, SMP version 1 and 2 headers, good and bad requests, oversize
ones) goes to both, over serial (the serial build against `dfu-smp-sim --serial`, 384 x 4) and
over UDP (the UDP build against `dfu-smp-sim --udp`, 2048 x 2), through smp_wire, a client
written apart from the C code. Their answers must be the same: header version bits, op, group
and command; the same keys with the same CBOR types; the same error forms and numbers; the same
silence. What may differ is listed in EXPLAINED below, key by key, with the reason; the test
prints one line per command (`same`, or `differs (explained): ...`) and fails on any other
difference.

The Zephyr UDP server binds 0.0.0.0:1337, so the whole test runs in a network namespace of its
own: it starts itself again under `unshare --net` (with --map-root-user when not root) and
brings up its loopback before any server starts; it never touches the machine's network."""
import os
import re
import subprocess
import sys
import time
import unittest

import cbor2

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import smp_wire  # noqa: E402
import zephyr_server  # noqa: E402
from sim_device import SimDevice  # noqa: E402

NETNS_MARK = "DFU_SMP_CONFORMANCE_NETNS"
BUILDS = zephyr_server.MANIFEST

START_TIMEOUT = 20   # a server prints its terminal, boots and answers within this
STOP_TIMEOUT = 5     # SIGTERM, then SIGKILL after this
ANSWER_TIMEOUT = 1.0  # one try of a request
TRIES = 3            # a request that should be answered is sent again on silence
QUIET = 0.6          # a unit of several messages: no further answer within this, it is done
REBOOT_RE = re.compile(rb"sys_arch_reboot called with type 0\. Exiting")

R, W = smp_wire.OP_READ, smp_wire.OP_WRITE
SUCCESS = "a success answer: a map without `rc` or `err`"
VALUE, NAMES = "value", "names"


# ---- what may differ, and why ----

class Explained:
    """Why the simulated device may answer a command otherwise than Zephyr's sample.

    @p paths: body path -> VALUE (the values there and below are the firmware's own: types and
    keys must still match; array lengths may differ) or NAMES (a map whose keys are names of
    the firmware's things: every entry, on both sides, must have the same keys and types).
    @p zephyr and @p sim: the whole body each one must answer, when the sample does not build
    the command or answers it from a part it lacks (the headers must still match); `sim` may
    be SUCCESS. @p adjust: what the simulator has more, taken out of its body before the
    comparison (which is then exact but for @p paths)."""

    def __init__(self, why, paths=None, zephyr=None, sim=None, adjust=None):
        self.why, self.paths, self.zephyr, self.sim = why, paths or {}, zephyr, sim
        self.adjust = adjust


def without_image_group(body):
    """The enumeration answers less the simulator's image group (1)."""
    body = dict(body)
    if "count" in body:
        body["count"] -= 1
    if "groups" in body:
        body["groups"] = [g for g in body["groups"]
                          if (g.get("group") if isinstance(g, dict) else g) != 1]
    return body


NOT_BUILT = "the 4.4.0 sample does not build it (MGMT_ERR_ENOTSUP); the simulator has it"
NO_BACKEND = ("the sample registers no settings handler and has no settings storage backend "
              "(settings_save_dst is NULL: -ENOENT); the simulator stores settings")

# Step name (without its " vN" suffix) -> Explained. Every step not listed here must be the same.
EXPLAINED = {
    # os
    "os taskstat": Explained(
        "the threads are the firmware's own: names, count, priorities, states and stack "
        "numbers differ; each thread has the same keys (prio, tid, state, stksiz, stkuse)",
        paths={"tasks": NAMES}),
    "os mpstat": Explained(NOT_BUILT + " (CONFIG_MCUMGR_GRP_OS_MPSTAT)",
                           zephyr={"rc": 8}, sim=SUCCESS),
    "os datetime get": Explained(NOT_BUILT + " (CONFIG_MCUMGR_GRP_OS_DATETIME: no RTC)",
                                 zephyr={"rc": 8}, sim=SUCCESS),
    "os datetime set": Explained(NOT_BUILT + " (CONFIG_MCUMGR_GRP_OS_DATETIME: no RTC)",
                                 zephyr={"rc": 8}, sim=SUCCESS),
    "os datetime set bad": Explained(NOT_BUILT + "; the simulator refuses the string (rc 3)",
                                     zephyr={"rc": 8}, sim={"rc": 3}),
    "os bootloader": Explained(NOT_BUILT + " (CONFIG_MCUMGR_GRP_OS_BOOTLOADER_INFO: no "
                               "MCUboot on native_sim)", zephyr={"rc": 8}, sim=SUCCESS),
    "os bootloader mode": Explained(NOT_BUILT + " (no MCUboot on native_sim)",
                                    zephyr={"rc": 8}, sim=SUCCESS),
    "os info n": Explained("node name: the sample has none ('unknown'), the simulator its BT "
                           "name", paths={"output": VALUE}),
    "os info r": Explained("kernel release: the build's git describe string",
                           paths={"output": VALUE}),
    "os info b": Explained("build date and time", paths={"output": VALUE}),
    "os info m": Explained("machine: posix (native_sim) vs arm (nRF52840)",
                           paths={"output": VALUE}),
    "os info p": Explained("processor: x86 vs cortex-m4", paths={"output": VALUE}),
    "os info i": Explained("hardware platform: native_sim/native vs nrf52840dk/nrf52840",
                           paths={"output": VALUE}),
    "os info a": Explained("all fields: node name, release, build time, machine, processor "
                           "and platform are the build's (see the letters above)",
                           paths={"output": VALUE}),
    "image state": Explained("the simulator has the image group (MCUboot slots); native_sim "
                             "has no MCUboot, the sample no image group",
                             zephyr={"rc": 8}, sim=SUCCESS),
    # stat
    "stat list": Explained("the stats groups are the firmware's (the sample: flash_sim_stats, "
                           "flash_sim_thresholds, smp_svr_stats; the simulator: smp_svr_stats, "
                           "smp, storage)", paths={"stat_list": VALUE}),
    "stat show smp_svr_stats": Explained("the tick counter follows uptime",
                                         paths={"fields": VALUE}),
    # settings
    "settings delete": Explained(NO_BACKEND + ": KEY_NOT_FOUND (v1: rc 5); the simulator "
                                 "deletes nothing, successfully",
                                 zephyr={"err": {"group": 3, "rc": 3}}, sim={}),
    "settings delete (v1)": Explained(NO_BACKEND, zephyr={"rc": 5}, sim={}),
    "settings save": Explained(NO_BACKEND + ": SETTINGS_MGMT_ERR 8 (v1: rc 1)",
                               zephyr={"err": {"group": 3, "rc": 8}}, sim={}),
    "settings save (v1)": Explained(NO_BACKEND, zephyr={"rc": 1}, sim={}),
    "settings save dup other key": Explained(NO_BACKEND, zephyr={"err": {"group": 3, "rc": 8}},
                                             sim={}),
    # shell: the commands built in differ
    "shell kernel": Explained("a command with subcommands prints its help (ret 1): the "
                              "sample's kernel has more subcommands", paths={"o": VALUE}),
    "shell kernel bad sub": Explained("the help lists the build's subcommands",
                                      paths={"o": VALUE}),
    "shell kernel uptime": Explained("uptime", paths={"o": VALUE}),
    "shell kernel uptime pretty": Explained("uptime", paths={"o": VALUE}),
    "shell device list": Explained("the devices are the board's", paths={"o": VALUE}),
    "shell echo": Explained("the sample builds no echo command (command not found, ret -8); "
                            "the simulator's shell has one",
                            paths={"o": VALUE, "ret": VALUE}),
    # enum: the simulator has the image group (1) too, and OS bootloader info (8)
    "enum count": Explained("the simulator also has the image group (1): one more",
                            adjust=without_image_group),
    "enum list": Explained("the simulator also has the image group (1), after fs as "
                           "img_mgmt sorts; the rest in the same order",
                           adjust=without_image_group),
    "enum single 2": Explained("index 2 is img (1) on the simulator, os (0) on the sample",
                               paths={"group": VALUE}),
    "enum single 5": Explained("one group further on the simulator", paths={"group": VALUE}),
    "enum single 6": Explained("the sample's last group; the simulator has one more",
                               zephyr={"group": 63, "end": True}, sim={"group": 2}),
    "enum single 7": Explained("past the sample's groups (ENUM err 4); the simulator's last",
                               zephyr={"err": {"group": 10, "rc": 4}},
                               sim={"group": 63, "end": True}),
    "enum details": Explained("the simulator also has the image group (1); its os table "
                              "has bootloader info (command 8): 9 handlers, the sample's 8",
                              adjust=without_image_group, paths={"groups.2.handlers": VALUE}),
    "enum details some": Explained("os has 9 handlers on the simulator (bootloader info), 8 in "
                                   "the sample", paths={"groups.1.handlers": VALUE}),
}
# The same answers to a payload those commands do not read (Zephyr decodes none for them).
EXPLAINED["os taskstat malformed"] = EXPLAINED["os taskstat"]
EXPLAINED["stat list malformed"] = EXPLAINED["stat list"]
EXPLAINED["enum count malformed"] = EXPLAINED["enum count"]

# Not an answer but the requests: the fs steps name files on each device's own volume.
MOUNT = {"zephyr": "/lfs1", "sim": "/lfs"}
MOUNT_WHY = ("the littlefs mount point is the application's choice: the sample's devicetree "
             "mounts /lfs1, the simulator's firmware /lfs (the CLI tests and README use it); "
             "the fs steps name files on each one's own volume")


# ---- the session ----

class Step:
    """One request (or a unit of several messages), sent alike to both devices."""

    def __init__(self, name, op=R, group=0, cmd=0, body=None, version=2, payload=None,
                 length=None, raw=None, unit=None, silent=False):
        self.name, self.op, self.group, self.cmd = name, op, group, cmd
        self.body, self.version, self.payload, self.length = body, version, payload, length
        self.raw, self.unit, self.silent = raw, unit, silent

    def message(self, seq, mount):
        """The request's bytes with sequence number @p seq; @p mount fills in "{M}"."""
        if self.raw is not None:
            return self.raw
        payload = self.payload
        if payload is None:
            payload = cbor2.dumps(fill(self.body, mount))
        length = len(payload) if self.length is None else self.length
        return smp_wire.header(self.op, self.group, self.cmd, seq, length,
                               self.version) + payload


def fill(value, mount):
    if isinstance(value, str):
        return value.replace("{M}", mount)
    if isinstance(value, dict):
        return {fill(k, mount): fill(v, mount) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, mount) for v in value]
    return value


def echo_of_size(total, seq=0):
    """An echo request of exactly @p total bytes."""
    for n in range(total, 0, -1):
        msg = smp_wire.message(R, 0, 0, seq, {"d": "e" * n})
        if len(msg) == total:
            return msg
    raise ValueError(total)


FILE = b"hello conformance\n" * 3           # 54 bytes
BIG = bytes(range(256)) * 2 + bytes(range(188))  # 700 bytes: more than one download chunk
MALFORMED = b"\xa1\x61d\x65ab"  # {"d": <5 text bytes, 2 there>}


def session(transport):
    """Every command of the groups both have, good and bad, in both versions."""
    s = []

    def both(name, *args, **kw):
        for v in (2, 1):
            s.append(Step(f"{name} v{v}", *args, version=v, **kw))

    # os
    both("os echo", R, 0, 0, {"d": "hello"})
    both("os echo write", W, 0, 0, {"d": "hello"})
    s += [Step("os echo empty map", R, 0, 0, {}),
          Step("os echo d bytes", R, 0, 0, {"d": b"x"}),
          Step("os echo d int", R, 0, 0, {"d": 5}),
          Step("os echo no payload", R, 0, 0, payload=b""),
          Step("os echo chunked text", R, 0, 0, payload=b"\xa1\x61d\x7f\x61a\xff"),
          Step("os echo duplicate key", R, 0, 0, payload=b"\xa2\x61d\x61a\x61d\x61b"),
          Step("os echo unknown keys", R, 0, 0, {"d": "k", "zz": {"a": [1]}}),
          Step("os echo indefinite map", R, 0, 0, payload=b"\xbf\x61d\x62ok\xff"),
          Step("os echo array", R, 0, 0, [1, 2]),
          Step("os echo malformed", R, 0, 0, payload=MALFORMED),
          Step("os echo breaks only", R, 0, 0, payload=b"\xff\xff"),
          Step("os echo trailing bytes", R, 0, 0, payload=b"\xa1\x61d\x61x\x00\x00"),
          Step("os echo two maps", R, 0, 0, payload=b"\xa1\x61d\x61x\xa1\x61d\x61y"),
          Step("os console echo", W, 0, 1, {"echo": 1})]
    both("os taskstat", R, 0, 2, {})
    s += [Step("os taskstat malformed", R, 0, 2, payload=MALFORMED),
          Step("os taskstat write", W, 0, 2, {})]
    both("os mpstat", R, 0, 3, {})
    both("os datetime get", R, 0, 4, {})
    both("os datetime set", W, 0, 4, {"datetime": "2030-01-02T03:04:05"})
    s.append(Step("os datetime set bad", W, 0, 4, {"datetime": "nope"}))
    both("os params", R, 0, 6, {})
    s += [Step("os params no payload", R, 0, 6, payload=b""),
          Step("os params malformed", R, 0, 6, payload=MALFORMED),
          Step("os params duplicate key", R, 0, 6, payload=b"\xa2\x61x\x01\x61x\x02"),
          Step("os params write", W, 0, 6, {})]
    both("os info", R, 0, 7, {})
    both("os info bad letter", R, 0, 7, {"format": "q"})
    for f in "snrvbmpioa":
        s.append(Step(f"os info {f}", R, 0, 7, {"format": f}))
    s += [Step("os info sv", R, 0, 7, {"format": "vs"}),
          Step("os info empty", R, 0, 7, {"format": ""}),
          Step("os info upper", R, 0, 7, {"format": "A"}),
          Step("os info int", R, 0, 7, {"format": 1}),
          Step("os info no payload", R, 0, 7, payload=b""),
          Step("os info dup other key", R, 0, 7, payload=b"\xa2\x61x\x01\x61x\x02")]
    both("os bootloader", R, 0, 8, {})
    both("os bootloader mode", R, 0, 8, {"query": "mode"})
    s += [Step("os unknown command", R, 0, 99, {}),
          Step("os command 9", R, 0, 9, {}),
          Step("os unknown command malformed", R, 0, 50, payload=MALFORMED),
          Step("image state", R, 1, 0, {}),
          Step("unknown group", R, 42, 0, {}),
          Step("header version 3", R, 0, 0, {"d": "v3"}, version=3),
          Step("header version 4", R, 0, 0, {"d": "v4"}, version=4),
          Step("header op 1", 1, 0, 0, {"d": "x"}),
          Step("header op 3", 3, 0, 0, {"d": "x"}),
          Step("header op 4", 4, 0, 0, {"d": "x"}),
          Step("header length longer", R, 0, 0, {"d": "x"}, length=20),
          Step("header only 6 bytes", raw=smp_wire.header(R, 0, 0, 0, 0)[:6], silent=True)]
    # stat
    both("stat list", R, 2, 1, {})
    both("stat show smp_svr_stats", R, 2, 0, {"name": "smp_svr_stats"})
    both("stat show missing", R, 2, 0, {"name": "nope"})
    s += [Step("stat show no name", R, 2, 0, {}),
          Step("stat show name int", R, 2, 0, {"name": 3}),
          Step("stat list malformed", R, 2, 1, payload=MALFORMED)]
    # settings (the sample has no handler: "foo" is no root key on either)
    both("settings read", R, 3, 0, {"name": "foo/bar"})
    both("settings write", W, 3, 0, {"name": "foo/bar", "val": b"x"})
    both("settings delete", W, 3, 1, {"name": "foo/bar"})
    both("settings commit", W, 3, 2, {})
    both("settings load", R, 3, 3, {})
    both("settings save", W, 3, 3, {})
    s += [Step("settings read no name", R, 3, 0, {}),
          Step("settings write val text", W, 3, 0, {"name": "foo/bar", "val": "x"}),
          Step("settings commit malformed", W, 3, 2, payload=MALFORMED),
          Step("settings save malformed", W, 3, 3, payload=MALFORMED),
          Step("settings save dup other key", W, 3, 3, payload=b"\xa2\x61x\x01\x61x\x02")]
    # fs, on each device's own volume ({M})
    for v in (2, 1):
        s += [Step(f"fs upload first v{v}", W, 8, 0,
                   {"name": "{M}/c.txt", "off": 0, "data": FILE[:20], "len": len(FILE)}, v),
              Step(f"fs upload last v{v}", W, 8, 0,
                   {"name": "{M}/c.txt", "off": 20, "data": FILE[20:]}, v),
              Step(f"fs upload bad offset v{v}", W, 8, 0,
                   {"name": "{M}/c.txt", "off": 5, "data": b"zz"}, v),
              Step(f"fs download v{v}", R, 8, 0, {"name": "{M}/c.txt", "off": 0}, v),
              Step(f"fs download offset v{v}", R, 8, 0, {"name": "{M}/c.txt", "off": 10}, v),
              Step(f"fs download past end v{v}", R, 8, 0, {"name": "{M}/c.txt", "off": 999}, v),
              Step(f"fs download missing v{v}", R, 8, 0, {"name": "{M}/none", "off": 0}, v),
              Step(f"fs status v{v}", R, 8, 1, {"name": "{M}/c.txt"}, v),
              Step(f"fs status missing v{v}", R, 8, 1, {"name": "{M}/none"}, v),
              Step(f"fs hash sha256 v{v}", R, 8, 2, {"name": "{M}/c.txt", "type": "sha256"}, v),
              Step(f"fs hash crc32 v{v}", R, 8, 2, {"name": "{M}/c.txt", "type": "crc32"}, v),
              Step(f"fs hash default v{v}", R, 8, 2, {"name": "{M}/c.txt"}, v),
              Step(f"fs hash part v{v}", R, 8, 2,
                   {"name": "{M}/c.txt", "type": "crc32", "off": 4, "len": 8}, v),
              Step(f"fs hash unknown type v{v}", R, 8, 2, {"name": "{M}/c.txt", "type": "md5"},
                   v),
              Step(f"fs hash missing v{v}", R, 8, 2, {"name": "{M}/none", "type": "sha256"}, v),
              Step(f"fs hash types v{v}", R, 8, 3, {}, v),
              Step(f"fs close v{v}", W, 8, 4, {}, v)]
    for off in range(0, len(BIG), 300):
        body = {"name": "{M}/big.bin", "off": off, "data": BIG[off:off + 300]}
        if off == 0:
            body["len"] = len(BIG)
        s.append(Step(f"fs upload big at {off}", W, 8, 0, body))
    for off in (0, 340, 680):  # the serial build's chunk is 340 bytes, the UDP build's 2004
        s.append(Step(f"fs download big at {off}", R, 8, 0, {"name": "{M}/big.bin", "off": off}))
    # the file fs_mgmt keeps open until the upload reaches `len`: littlefs shows the others the
    # file as last closed; `off` 0 again on the open file does not start the count again
    s += [Step("fs upload open first", W, 8, 0,
               {"name": "{M}/o.txt", "off": 0, "data": b"abcd", "len": 8}),
          Step("fs status while open", R, 8, 1, {"name": "{M}/o.txt"}),
          Step("fs hash while open", R, 8, 2, {"name": "{M}/o.txt"}),
          Step("fs upload first again", W, 8, 0,
               {"name": "{M}/o.txt", "off": 0, "data": b"abcd", "len": 8}),
          Step("fs download after first again", R, 8, 0, {"name": "{M}/o.txt", "off": 0}),
          Step("fs upload over a file", W, 8, 0,
               {"name": "{M}/o.txt", "off": 0, "data": b"AB", "len": 4}),
          Step("fs status while over a file", R, 8, 1, {"name": "{M}/o.txt"}),
          Step("fs close the open file", W, 8, 4, {}),
          Step("fs status after close", R, 8, 1, {"name": "{M}/o.txt"}),
          Step("fs upload nothing over a file", W, 8, 0,
               {"name": "{M}/o.txt", "off": 0, "data": b"", "len": 0}),
          Step("fs close after nothing", W, 8, 4, {}),
          Step("fs status after nothing", R, 8, 1, {"name": "{M}/o.txt"}),
          Step("fs upload on after close", W, 8, 0, {"name": "{M}/o.txt", "off": 2,
                                                     "data": b"CD"}),
          Step("fs upload another file", W, 8, 0,
               {"name": "{M}/p.txt", "off": 0, "data": b"1234", "len": 8}),
          Step("fs status of the one closed", R, 8, 1, {"name": "{M}/o.txt"}),
          Step("fs download closes the upload", R, 8, 0, {"name": "{M}/p.txt", "off": 0}),
          Step("fs upload on after download", W, 8, 0, {"name": "{M}/p.txt", "off": 4,
                                                        "data": b"5678"}),
          Step("fs status after the last chunk", R, 8, 1, {"name": "{M}/p.txt"})]
    s += [Step("fs hash big", R, 8, 2, {"name": "{M}/big.bin", "type": "sha256"}),
          Step("fs upload no len", W, 8, 0, {"name": "{M}/d.txt", "off": 0, "data": b"ab"}),
          Step("fs upload data text", W, 8, 0,
               {"name": "{M}/d.txt", "off": 0, "data": "ab", "len": 2}),
          Step("fs upload no mount", W, 8, 0,
               {"name": "/nomount/x", "off": 0, "data": b"ab", "len": 2}),
          Step("fs upload mount point", W, 8, 0, {"name": "{M}", "off": 0, "data": b"ab",
                                                  "len": 2}),
          Step("fs upload relative", W, 8, 0, {"name": "x", "off": 0, "data": b"ab", "len": 2}),
          Step("fs upload subdirectory", W, 8, 0,
               {"name": "{M}/d/x", "off": 0, "data": b"a", "len": 1}),
          Step("fs status mount point", R, 8, 1, {"name": "{M}"}),
          Step("fs status no mount", R, 8, 1, {"name": "/nomount/x"}),
          Step("fs status subdirectory", R, 8, 1, {"name": "{M}/d/x"}),
          Step("fs status name too long", R, 8, 1, {"name": "{M}/" + "n" * 70}),
          Step("fs status empty name", R, 8, 1, {"name": ""}),
          Step("fs status no name", R, 8, 1, {}),
          Step("fs download no off", R, 8, 0, {"name": "{M}/c.txt"}),
          Step("fs upload empty file", W, 8, 0,
               {"name": "{M}/e.txt", "off": 0, "data": b"", "len": 0}),
          Step("fs hash empty file", R, 8, 2, {"name": "{M}/e.txt", "type": "crc32"}),
          Step("fs hash past end", R, 8, 2, {"name": "{M}/c.txt", "type": "crc32", "off": 999}),
          Step("fs hash len 0", R, 8, 2, {"name": "{M}/c.txt", "len": 0}),
          Step("fs hash type too long", R, 8, 2, {"name": "{M}/c.txt", "type": "sha256sha256"}),
          Step("fs close malformed", W, 8, 4, payload=MALFORMED),
          Step("fs hash types no payload", R, 8, 3, payload=b"")]
    # shell (commands both have, and the shell's own answers)
    both("shell kernel version", W, 9, 0, {"argv": ["kernel", "version"]})
    both("shell not found", W, 9, 0, {"argv": ["nosuchcmd"]})
    both("shell empty argv", W, 9, 0, {"argv": []})
    s += [Step("shell kernel", W, 9, 0, {"argv": ["kernel"]}),
          Step("shell kernel bad sub", W, 9, 0, {"argv": ["kernel", "nosub"]}),
          Step("shell kernel version extra", W, 9, 0, {"argv": ["kernel", "version", "x"]}),
          Step("shell kernel uptime", W, 9, 0, {"argv": ["kernel", "uptime"]}),
          Step("shell kernel uptime pretty", W, 9, 0, {"argv": ["kernel", "uptime", "-p"]}),
          Step("shell device list", W, 9, 0, {"argv": ["device", "list"]}),
          Step("shell device list no match", W, 9, 0, {"argv": ["device", "list", "zzz"]}),
          Step("shell echo", W, 9, 0, {"argv": ["echo", "hi"]}),
          Step("shell one word", W, 9, 0, {"argv": ["kernel version"]}),
          Step("shell empty word", W, 9, 0, {"argv": [""]}),
          Step("shell int after name", W, 9, 0, {"argv": ["nosuchcmd", 1, "x"]}),
          Step("shell int first", W, 9, 0, {"argv": [1]}),
          Step("shell line 255", W, 9, 0, {"argv": ["y" * 255]}),
          Step("shell line 256", W, 9, 0, {"argv": ["y" * 256]}),
          Step("shell argv text", W, 9, 0, {"argv": "kernel"}),
          Step("shell argv map", W, 9, 0, {"argv": {"a": 1}}),
          Step("shell no argv", W, 9, 0, {}),
          Step("shell key before argv", W, 9, 0, {"zz": 1, "argv": ["kernel", "version"]}),
          Step("shell int key first", W, 9, 0,
               payload=b"\xa2\x01\x01\x64argv\x81\x66kernel"),
          Step("shell argv twice", W, 9, 0,
               payload=b"\xa2\x64argv\x82\x66kernel\x67version\x64argv\x81\x61x"),
          Step("shell read", R, 9, 0, {"argv": ["kernel", "version"]})]
    # enum
    both("enum count", R, 10, 0, {})
    both("enum list", R, 10, 1, {})
    both("enum single", R, 10, 2, {"index": 0})
    both("enum single past end", R, 10, 2, {"index": 100})
    both("enum details", R, 10, 3, {})
    for i in (1, 2, 5, 6, 7):
        s.append(Step(f"enum single {i}", R, 10, 2, {"index": i}))
    s += [Step("enum single no index", R, 10, 2, {}),
          Step("enum single text", R, 10, 2, {"index": "0"}),
          Step("enum details some", R, 10, 3, {"groups": [0, 8, 42]}),
          Step("enum count malformed", R, 10, 0, payload=MALFORMED),
          Step("enum details malformed", R, 10, 3, payload=MALFORMED)]
    # several messages in one transport unit (a datagram, a serial packet)
    one = smp_wire.message(R, 0, 0, 0xE0, {"d": "one"})
    s += [Step("unit two echoes", unit=[one, smp_wire.message(R, 0, 0, 0xE1, {"d": "two"})]),
          Step("unit echo and short bytes", unit=[one, b"\x01\x02\x03"]),
          Step("unit error stops the rest",
               unit=[one, smp_wire.message(R, 0, 99, 0xE2, {}),
                     smp_wire.message(R, 0, 0, 0xE3, {"d": "three"})]),
          Step("unit group error goes on",
               unit=[smp_wire.message(R, 2, 0, 0xE4, {"name": "nope"}),
                     smp_wire.message(R, 0, 0, 0xE5, {"d": "after"})])]
    # the largest requests the transport and the buffer take
    if transport == "serial":
        # the decoded stream (length, message, CRC) must fit the 384-byte buffer
        s += [Step(f"oversize echo of {n} bytes", raw=echo_of_size(n), silent=n > 380)
              for n in (379, 380, 381, 382, 384)]
    else:
        # UDP truncates a datagram to 1500 bytes (CONFIG_MCUMGR_TRANSPORT_UDP_MTU), below the
        # 2048-byte buffer: a 1500-byte echo is the largest (its answer, 1501 bytes, fits);
        # longer ones are cut short of their header's length: rc 9
        s += [Step(f"oversize echo of {n} bytes", raw=echo_of_size(n))
              for n in (1499, 1500, 1501, 2048, 2100)]
    s.append(Step("os echo after oversize", R, 0, 0, {"d": "still here"}))
    # Zephyr basic: erasing the storage partition under the mounted littlefs
    both("basic erase storage", W, 63, 0, {})
    s += [Step("basic erase storage read", R, 63, 0, {}),
          Step("basic erase storage malformed", W, 63, 0, payload=MALFORMED),
          Step("fs status after erase", R, 8, 1, {"name": "{M}/c.txt"}),
          Step("fs status missing after erase", R, 8, 1, {"name": "{M}/none"}),
          Step("fs status mount point after erase", R, 8, 1, {"name": "{M}"}),
          Step("fs download after erase", R, 8, 0, {"name": "{M}/c.txt", "off": 0}),
          Step("fs upload after erase", W, 8, 0,
               {"name": "{M}/n.txt", "off": 0, "data": b"abc", "len": 3}),
          Step("fs upload no mount after erase", W, 8, 0,
               {"name": "/nomount/x", "off": 0, "data": b"ab", "len": 2})]
    return s


# ---- comparing ----

def kind_of(v):
    for t, name in ((bool, "bool"), (int, "int"), (bytes, "bytes"), (str, "text"),
                    (dict, "map"), (list, "array"), (float, "float")):
        if isinstance(v, t):
            return name
    return "null" if v is None else type(v).__name__


def diff_body(z, s, paths, path="", loose=False, out=None):
    """The differences between Zephyr's body @p z and the simulator's @p s; below a path of
    @p paths (or when @p loose) only keys and types count."""
    out = [] if out is None else out
    kind = paths.get(path)
    loose = loose or kind is not None
    where = path or "body"
    if kind_of(z) != kind_of(s):
        out.append(f"{where}: {kind_of(z)} {z!r} vs {kind_of(s)} {s!r}")
    elif isinstance(z, dict):
        sub = (path + "." if path else "")
        if kind == NAMES:
            entries = list(z.values()) + list(s.values())
            for e in entries[1:]:
                diff_body(entries[0], e, paths, sub + "*", True, out)
        else:
            if set(z) != set(s):
                out.append(f"{where}: keys {sorted(z)} vs {sorted(s)}")
            for k in sorted(set(z) & set(s)):
                diff_body(z[k], s[k], paths, sub + k, loose, out)
    elif isinstance(z, list):
        if loose:
            items = z + s
            for e in items[1:]:
                diff_body(items[0], e, paths, path + ".*", True, out)
        elif len(z) != len(s):
            out.append(f"{where}: {len(z)} items {z!r} vs {len(s)} items {s!r}")
        else:
            for i, (a, b) in enumerate(zip(z, s)):
                diff_body(a, b, paths, f"{path}.{i}", False, out)
    elif not loose and z != s:
        out.append(f"{where}: {z!r} vs {s!r}")
    return out


def show(a):
    if a is None:
        return "silence"
    return f"v{a.version} op {a.op} group {a.group} cmd {a.cmd}: {a.body!r}"


def diff_answer(z, s, explained):
    """(differences, explanation used) for one answer of each."""
    if z is None or s is None:
        return ([] if z is None and s is None else [f"{show(z)} vs {show(s)}"]), None
    out = []
    for field in ("version", "op", "group", "cmd", "flags"):
        if getattr(z, field) != getattr(s, field):
            out.append(f"header {field}: {getattr(z, field)} vs {getattr(s, field)}")
    if z.body is None or s.body is None:
        if (z.body is None) != (s.body is None):
            out.append(f"body: {z.raw[8:]!r} vs {s.raw[8:]!r}")
        return out, None
    # Zephyr sends indefinite-length maps: the same form
    if z.raw[8:9] != s.raw[8:9]:
        out.append(f"map form: {z.raw[8:9].hex()} vs {s.raw[8:9].hex()}")
    if explained and explained.zephyr is not None:
        if z.body != explained.zephyr:
            out.append(f"Zephyr no longer answers as explained: {z.body!r}, "
                       f"not {explained.zephyr!r}")
        good = (isinstance(s.body, dict) and "rc" not in s.body and "err" not in s.body
                if explained.sim is SUCCESS else s.body == explained.sim)
        if not good:
            out.append(f"the simulator no longer answers as explained: {s.body!r}")
        return out, (explained if not out else None)
    plain = diff_body(z.body, s.body, {})
    if not plain:
        return out, None
    if explained:
        sim_body = explained.adjust(s.body) if explained.adjust else s.body
        loose = diff_body(z.body, sim_body, explained.paths)
        return out + loose, (explained if not loose else None)
    return out + plain, None


def explanation(name):
    base = re.sub(r" v[12]$", "", name)
    if name.endswith(" v1") and f"{base} (v1)" in EXPLAINED:
        return EXPLAINED[f"{base} (v1)"]
    return EXPLAINED.get(base)


# ---- the devices ----

def wait_ready(client):
    """Echo until the device answers (its transport may still be coming up), bounded."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if client.request(R, 0, 0, {"d": "ready?"}, timeout=0.5) is not None:
            return
    raise AssertionError("the device never answered an echo")


def collect(port, timeout):
    """Answers until none comes for QUIET seconds (the first is waited for @p timeout)."""
    answers, wait = [], timeout
    while True:
        raw = port.receive(wait)
        if raw is None:
            return answers
        answers.append(smp_wire.Answer(raw) if len(raw) >= 8 else raw)
        wait = QUIET


def run_step(client, step, mount):
    """The answer (a list of them for a unit) of one device; requests that should be
    answered are sent again on silence, as a line may be dropped on the way."""
    tries = 1 if step.silent else TRIES
    for _ in range(tries):
        if step.unit is not None:
            client.port.send(b"".join(step.unit))
            got = collect(client.port, ANSWER_TIMEOUT)
            if got:
                return got
            continue
        seq = (client.seq + 1) & 0xFF
        msg = step.message(seq, mount)
        if len(msg) < 8:
            client.seq = seq
            client.port.send(msg)
            raw = client.port.receive(ANSWER_TIMEOUT)
            got = smp_wire.Answer(raw) if raw and len(raw) >= 8 else None
        else:
            if step.raw is not None:  # its own sequence number: make it this request's
                msg = msg[:6] + bytes([seq]) + msg[7:]
            got = client.request(0, 0, 0, None, timeout=ANSWER_TIMEOUT, raw_msg=msg)
        if got is not None:
            return got
    return [] if step.unit is not None else None


def compare_step(step, z, s):
    """(line to print, unexplained difference or None)."""
    explained = explanation(step.name)
    if step.unit is not None:
        diffs = []
        if len(z) != len(s):
            diffs.append(f"{len(z)} answers vs {len(s)}: {[show(a) for a in z]} vs "
                         f"{[show(a) for a in s]}")
        for a, b in zip(z, s):
            d, _ = diff_answer(a, b, None)
            diffs += d
        used = None
    else:
        diffs, used = diff_answer(z, s, explained)
    if diffs:
        return f"{step.name}: DIFFERS: {'; '.join(diffs)}", f"{step.name}: {'; '.join(diffs)}"
    if used:
        return f"{step.name}: differs (explained): {used.why}", None
    return f"{step.name}: same", None


class Conformance(unittest.TestCase):
    maxDiff = None

    def run_session(self, transport, zephyr_config, sim_args, port_of):
        steps = session(transport)
        names = [st.name for st in steps]
        self.assertEqual(len(names), len(set(names)), "step names must be unique")
        answers, resets = {}, {}

        def play(who, port):
            """The session, then a reset, on one device."""
            try:
                client = smp_wire.Client(port)
                wait_ready(client)
                answers[who] = [run_step(client, st, MOUNT[who]) for st in steps]
                resets[who] = client.request(W, 0, 5, {}, timeout=ANSWER_TIMEOUT * TRIES)
            finally:
                port.close()

        zephyr = zephyr_server.ZephyrServer(zephyr_config)
        try:
            play("zephyr", port_of(zephyr, None))
            # the program exits once it has answered the reset (observed: status 1)
            self.assertIsNotNone(zephyr.wait_exit(STOP_TIMEOUT), "Zephyr ran on after reset")
            self.assertIsNotNone(zephyr.wait_output(REBOOT_RE, STOP_TIMEOUT), zephyr.output())
        finally:
            zephyr.close()
        with SimDevice(*sim_args) as sim:
            play("sim", port_of(None, sim))
        reset_z, reset_s = resets["zephyr"], resets["sim"]

        print(f"\n== {transport}: Zephyr {zephyr_config} build vs dfu-smp-sim "
              f"{' '.join(sim_args)}")
        print(f"{transport}: fs requests: differ (explained): {MOUNT_WHY}")
        failures = []
        for st, z, s in zip(steps, answers["zephyr"], answers["sim"]):
            line, failure = compare_step(st, z, s)
            print(f"{transport}: {line}")
            if failure:
                failures.append(failure)
        line, failure = compare_step(Step("os reset (last)", W, 0, 5, {}), reset_z, reset_s)
        print(f"{transport}: {line}")
        if failure:
            failures.append(failure)
        if reset_z is None or reset_z.body != {}:
            failures.append(f"os reset: Zephyr answered {show(reset_z)}, not {{}}")
        sys.stdout.flush()
        self.assertEqual(failures, [], "unexplained differences from Zephyr")

    def test_serial(self):
        def port_of(zephyr, sim):
            return smp_wire.SerialPort(zephyr.pty if zephyr else sim.serial)

        self.run_session("serial", "serial",
                         ("--serial", "--buf-size", "384", "--buf-count", "4", "--busy-scale",
                          "0"), port_of)

    def test_udp(self):
        if not os.environ.get(NETNS_MARK):
            self.skipTest("no network namespace of its own: the Zephyr UDP server is not run")

        def port_of(zephyr, sim):
            if zephyr:
                return smp_wire.UdpPort("127.0.0.1", BUILDS["udp"]["udp_port"])
            host, port = sim.udp.rsplit(":", 1)
            return smp_wire.UdpPort(host, int(port))

        self.run_session("udp", "udp",
                         ("--udp", "127.0.0.1:0", "--buf-size", "2048", "--buf-count", "2",
                          "--busy-scale", "0"), port_of)


def enter_namespace():
    """Runs this test again in a network namespace of its own, with its loopback up."""
    if os.environ.get(NETNS_MARK):
        p = subprocess.run(["ip", "link", "set", "lo", "up"], capture_output=True, text=True,
                           timeout=10)
        if p.returncode != 0:
            sys.exit(f"test_conformance: cannot bring up lo in the namespace: {p.stderr}")
        return
    unshare = ["unshare", "--net"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
    probe = subprocess.run(unshare + ["true"], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        print(f"test_conformance: no network namespace ({probe.stderr.strip()}): "
              "serial only", file=sys.stderr)
        return
    env = dict(os.environ, **{NETNS_MARK: "1"})
    os.execvpe(unshare[0], unshare + [sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
               env)


if __name__ == "__main__":
    enter_namespace()
    unittest.main(verbosity=2)
