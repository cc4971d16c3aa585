# SPDX-License-Identifier: Apache-2.0
"""dfu-smp against the real Zephyr 4.4 SMP servers of ../shared/testdata/zephyr/: every command
the CLI has, with --smp-version 1 and 2, through the CLI, each result checked (exit status and
the decoded output). Commands the build does not have (the device answers MGMT_ERR_ENOTSUP:
datetime, mpstat, bootloader, and every group the manifest does not list for it) count as "not
in this build", not as failures.

    interop.py [serial|udp|shell|noparams]

runs one server, or with no argument all of them, and prints one line per server and transport:
commands passed / failed / not in this build. The exit status is 1 if any check failed. Each
failure is described on stderr. DFU_SMP names the dfu-smp to run, SHARED_DIR the shared folder.

The UDP build binds port 1337 on every address, so `interop.py udp` runs only in a network
namespace of its own: it runs itself again under `unshare --net` (with --map-root-user when not
root), brings up the loopback there and talks to 127.0.0.1; it refuses to run where the network
has any interface but the loopback."""
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib

import cbor2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_tool  # noqa: E402
import zephyr_server  # noqa: E402

DFU_SMP = os.path.abspath(os.environ["DFU_SMP"])
SERVERS = ("serial", "udp", "shell", "noparams")
NETNS_MARK = "DFU_SMP_INTEROP_NETNS"
VERSIONS = (1, 2)
CMD_TIMEOUT = 3      # --timeout of one command (3 tries within it)
FS_TIMEOUT = 5       # --timeout of each request of an fs upload or download
PROC_TIMEOUT = 60    # the bound on one dfu-smp run
EXIT_TIMEOUT = 10    # the bound on a server going away after a reset
ABSENT = object()    # a check's result: the command is not in this build
# the first word of a two-word command (fs upload, stat list): commands are counted by name
COMMAND_GROUPS = {"image", "stat", "settings", "fs", "shell", "enum"}

# The littlefs of the fs builds (4 blocks of 4 KiB, 2 of them the directory pair) takes one
# file of at most 8188 bytes on a fresh server (found by bisection, the same over serial and
# UDP, with either SMP version); one byte more fails with FS_MGMT_ERR_FILE_WRITE_FAILED.
FS_LARGEST = 8188
FS_ROOT = "/lfs1"

# What the builds have, as Zephyr answers it (observed, fixed by SHA256SUMS).
GROUP_IDS = {"os": 0, "stat": 2, "settings": 3, "fs": 8, "shell": 9, "enum": 10, "zbasic": 63}
GROUP_NAMES = {0: "os mgmt", 2: "stat mgmt", 3: "settings mgmt", 8: "fs mgmt",
               9: "shell mgmt", 10: "enum mgmt", 63: "zephyr basic mgmt"}
GROUP_HANDLERS = {0: 8, 2: 2, 3: 4, 8: 5, 9: 1, 10: 4, 63: 1}
# thread name -> priority; the noparams build has no thread names: Zephyr names each by its
# priority
TASKS = {
    "serial": {"": -16, "mcumgr smp": 3, "sysworkq": -1, "shell_dummy": 14, "idle": 15,
               "main": 0},
    "udp": {"mcumgr smp": 3, "smp_udp4": 0, "conn_mgr_monitor": -1, "rx_q[0]": -1,
            "net_mgmt": -1, "sysworkq": -1, "shell_dummy": 14, "idle": 15, "main": 0},
    "shell": {"mcumgr smp": 3, "shell_uart": 14, "": -16, "sysworkq": -1, "idle": 15,
              "main": 0},
    "noparams": {"-16": -16, "3": 3, "-1": -1, "15": 15, "0": 0},
}
STATS = {"serial": ["flash_sim_stats", "flash_sim_thresholds", "smp_svr_stats"],
         "udp": ["flash_sim_stats", "flash_sim_thresholds", "smp_svr_stats"],
         "shell": ["smp_svr_stats"], "noparams": ["smp_svr_stats"]}
STAT_FIELDS = {"smp_svr_stats": {"ticks"},
               "flash_sim_thresholds": {"max_write_calls", "max_erase_calls", "max_len"}}
INFO = {"s": "Zephyr", "n": "unknown", "r": "684c9e8f32e4", "v": "4.4.0", "m": "posix",
        "p": "x86", "i": "native_sim/native", "o": "Zephyr"}
BUILD_DATE = re.compile(r"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$")
# Zephyr's UDP transport cuts datagrams at CONFIG_MCUMGR_TRANSPORT_UDP_MTU (1500) and answers
# the rest {"rc": 9}, below its 2048-byte buffer
UDP_DATAGRAM_MAX = 1500
# Zephyr's serial transport: length field and CRC must fit the buffer too
SERIAL_FRAMING = 4
ZEPHYR_DEFAULT_BUF = 384
REBOOT_LINE = zephyr_server.REBOOT_LINE
# native_sim ends with status 1 after sys_arch_reboot (testdata/zephyr/README.md says 0)
REBOOT_EXIT = 1

# device errors: (name, rc) for a version 1 request, and for a version 2 one
E_NOTSUP = {1: ("MGMT_ERR_ENOTSUP", 8), 2: ("MGMT_ERR_ENOTSUP", 8)}
E = {
    "settings_root": {1: ("MGMT_ERR_EUNKNOWN", 1), 2: ("SETTINGS_MGMT_ERR_ROOT_KEY_NOT_FOUND", 5)},
    "settings_key": {1: ("MGMT_ERR_ENOENT", 5), 2: ("SETTINGS_MGMT_ERR_KEY_NOT_FOUND", 3)},
    "settings_save": {1: ("MGMT_ERR_EUNKNOWN", 1),
                      2: ("SETTINGS_MGMT_ERR_SAVE_NOT_SUPPORTED", 8)},
    "stat_name": {1: ("MGMT_ERR_ENOENT", 5), 2: ("STAT_MGMT_ERR_INVALID_STAT_NAME", 3)},
    "stat_size": {1: ("MGMT_ERR_EMSGSIZE", 7), 2: ("MGMT_ERR_EMSGSIZE", 7)},
    "info_format": {1: ("MGMT_ERR_EINVAL", 3), 2: ("OS_MGMT_ERR_INVALID_FORMAT", 2)},
    "enum_index": {1: ("MGMT_ERR_EUNKNOWN", 1), 2: ("ENUM_MGMT_ERR_INDEX_TOO_LARGE", 4)},
    "fs_missing": {1: ("MGMT_ERR_ENOENT", 5), 2: ("FS_MGMT_ERR_FILE_NOT_FOUND", 3)},
    "fs_hash_type": {1: ("MGMT_ERR_EINVAL", 3), 2: ("FS_MGMT_ERR_CHECKSUM_HASH_NOT_FOUND", 13)},
    "fs_full": {1: ("MGMT_ERR_EUNKNOWN", 1), 2: ("FS_MGMT_ERR_FILE_WRITE_FAILED", 10)},
    # the littlefs erased under its mount by storage-erase
    "fs_erased": {1: ("MGMT_ERR_EUNKNOWN", 1), 2: ("FS_MGMT_ERR_UNKNOWN", 1)},
    "shell_long": {1: ("MGMT_ERR_EINVAL", 3), 2: ("SHELL_MGMT_ERR_COMMAND_TOO_LONG", 2)},
}


def short(args):
    """@p args for a label: long texts as their length."""
    return " ".join(a if len(a) <= 40 else f"<{len(a)} chars>" for a in args)


def request_size(body):
    """The size of an SMP request carrying @p body: the 8-byte header and the CBOR."""
    return 8 + len(cbor2.dumps(body))


def fit(total, make):
    """The length n for which make(n) makes a request of exactly @p total bytes."""
    n = total - request_size(make(0))
    while n > 0 and request_size(make(n)) > total:
        n -= 1
    if request_size(make(n)) != total:
        raise AssertionError(f"no body of {total} bytes")
    return n


class Failed(AssertionError):
    pass


def fail(message):
    raise Failed(message)


class Run:
    """One dfu-smp run's result, described for a failure message."""

    def __init__(self, args, p, elapsed):
        self.args, self.rc, self.out, self.err = args, p.returncode, p.stdout, p.stderr
        self.elapsed = elapsed

    def __str__(self):
        def cut(text):
            text = text.strip()
            return text if len(text) <= 600 else text[:600] + f"... ({len(text)} chars)"
        return (f"`dfu-smp {short(self.args)}` exit {self.rc} in {self.elapsed:.2f} s\n"
                f"      stdout: {cut(self.out)!r}\n      stderr: {cut(self.err)!r}")

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError:
            raise Failed(f"no JSON on stdout\n    {self}") from None


class Session:
    """The checks against one server: counts, and every failure on stderr."""

    def __init__(self, name):
        self.name = name
        self.build = zephyr_server.MANIFEST[zephyr_server.CONFIGS[name]]
        self.transport = self.build["transport"]
        self.groups = set(self.build["groups"])
        self.passed = self.failed = self.absent = 0
        self.commands = {}  # the CLI command a check ran -> "passed", "failed" or "absent"
        self.tmp = tempfile.TemporaryDirectory(prefix=f"interop-{name}-")
        self.server = None
        self.version = 2
        if self.transport == "udp":
            self.limit = min(UDP_DATAGRAM_MAX, self.build["buf_size"])
        else:
            # the noparams build does not say its size: the client assumes Zephyr's default
            self.limit = ZEPHYR_DEFAULT_BUF - SERIAL_FRAMING

    # --- running and counting ---

    def dfu(self, *args, timeout=CMD_TIMEOUT, opts=()):
        cmd = ("--conn", self.server.conn, "--timeout", str(timeout), "--smp-version",
               str(self.version), *opts, *args)
        start = time.monotonic()
        p = run_tool.run(DFU_SMP, *cmd, timeout=PROC_TIMEOUT)
        return Run(cmd[6:], p, time.monotonic() - start)

    def check(self, label, fn, *args, **kwargs):
        label = f"v{self.version} {label}"
        try:
            result = fn(*args, **kwargs)
        except (AssertionError, subprocess.TimeoutExpired, OSError) as e:
            self.failed += 1
            print(f"FAIL {self.name}: {label}: {e}", file=sys.stderr, flush=True)
            self.tally(label, "failed")
            return None
        if result is ABSENT:
            self.absent += 1
        else:
            self.passed += 1
        self.tally(label, "absent" if result is ABSENT else "passed")
        return result

    def tally(self, label, outcome):
        """A command failed if any of its checks failed, passed if any passed."""
        words = label.replace(":", " ").split()[1:]
        command = " ".join(words[:2] if words and words[0] in COMMAND_GROUPS else words[:1])
        rank = {"failed": 2, "passed": 1, "absent": 0}
        if rank[outcome] >= rank[self.commands.get(command, "absent")]:
            self.commands[command] = outcome

    def line(self):
        n = {k: sum(1 for v in self.commands.values() if v == k)
             for k in ("passed", "failed", "absent")}
        return (f"{self.name:<9} {self.transport:<7} commands: {n['passed']:2d} passed, "
                f"{n['failed']:2d} failed, {n['absent']:2d} not in this build "
                f"({self.passed + self.failed + self.absent} checks, {self.failed} failed)")

    # --- what a result must be ---

    def ok(self, *args, expect=None, timeout=CMD_TIMEOUT):
        """Exit 0 and the JSON document; equal to @p expect when given."""
        r = self.dfu("--json", *args, timeout=timeout)
        if r.rc != 0:
            raise Failed(f"expected exit 0\n    {r}")
        doc = r.json()
        if expect is not None and doc != expect:
            raise Failed(f"expected {expect!r}, got {doc!r}\n    {r}")
        return doc

    def text(self, *args, expect_out=None, rc=0):
        """Without --json: exit @p rc and stdout equal to @p expect_out when given."""
        r = self.dfu(*args)
        if r.rc != rc:
            raise Failed(f"expected exit {rc}\n    {r}")
        if expect_out is not None and r.out != expect_out:
            raise Failed(f"expected stdout {expect_out!r}\n    {r}")
        return r

    def device_error(self, errors, *args, timeout=CMD_TIMEOUT):
        """Exit 1 with the device's error of @p errors (per version) by name and number, in
        the JSON document and on stderr."""
        name, rc = errors[self.version]
        r = self.dfu("--json", *args, timeout=timeout)
        if r.rc != 1:
            raise Failed(f"expected exit 1 with {name}\n    {r}")
        err = r.json().get("error", {})
        if err.get("name") != name or err.get("rc") != rc:
            raise Failed(f"expected the device's {name} (rc {rc})\n    {r}")
        if name not in r.err:
            raise Failed(f"stderr does not name {name}\n    {r}")
        return r

    def not_built(self, *args):
        """A command the build lacks: the device answers MGMT_ERR_ENOTSUP."""
        self.device_error(E_NOTSUP, *args)
        return ABSENT

    def refused(self, *args, size):
        """A request of @p size bytes, more than the device takes: refused before it is sent
        (exit 1 at once, the device's limit named, nothing sent of that size)."""
        timeout = 6
        r = self.dfu(*args, timeout=timeout, opts=("--tries", "1", "-vv"))
        if r.rc != 1:
            raise Failed(f"a {size}-byte request must be refused (exit 1)\n    {r}")
        if "no answer" in r.err or r.elapsed >= timeout:
            raise Failed(f"the {size}-byte request was sent and got no answer, instead of "
                         f"being refused\n    {r}")
        if str(self.limit) not in r.err:
            raise Failed(f"the message does not name the device's limit ({self.limit} "
                         f"bytes)\n    {r}")
        sent = [int(n) for n in re.findall(r"\bsent (\d+) bytes", r.err)]
        if any(n > self.limit for n in sent):
            raise Failed(f"sent a request larger than {self.limit} bytes\n    {r}")
        return r

    def sent_exactly(self, r, size):
        if not re.search(rf"\bsent {size} bytes\b", r.err):
            raise Failed(f"-v does not show a request of {size} bytes sent\n    {r}")

    # --- the matrix ---

    def has(self, group):
        return group in self.groups

    def run(self):
        with zephyr_server.ZephyrServer(self.name) as self.server:
            for self.version in VERSIONS:
                self.os_group()
                self.limits()
                self.stat_group()
                self.settings_group()
                self.fs_group()
                self.shell_group()
                self.enum_group()
                self.image_group()
                self.raw()
                self.zbasic_group()  # erases the littlefs under its mount: last but reset
                self.reset()
        if self.has("fs"):
            for self.version in VERSIONS:
                self.fresh(f" of {FS_LARGEST} bytes (the largest), fresh server",
                           self.round_trip, os.urandom(FS_LARGEST), f"{FS_ROOT}/big")
                self.fresh(f" of {FS_LARGEST + 1} bytes (one more), fresh server",
                           self.too_large)
                if self.transport == "serial":
                    self.fresh(" of 6 KiB, fresh server", self.round_trip,
                               os.urandom(6 * 1024), f"{FS_ROOT}/6k")

    def os_group(self):
        c = self.check
        c("echo", self.ok, "echo", "hello zephyr", expect={"r": "hello zephyr"})
        c("echo (text)", self.text, "echo", "grüße, Zephyr", expect_out="grüße, Zephyr\n")
        if self.name == "noparams":
            c("params (ENOTSUP)", self.device_error, E_NOTSUP, "params")
        else:
            c("params", self.ok, "params", expect={"buf_size": self.build["buf_size"],
                                                  "buf_count": self.build["buf_count"]})
        c("info", self.ok, "info", expect={"output": "Zephyr"})
        parts = []
        for letter in "snrvbmpio":
            doc = c(f"info {letter}", self.info_letter, letter)
            parts.append(doc)
        if None not in parts:
            c("info a", self.ok, "info", "a", expect={"output": " ".join(parts)})
            c("info snrvbmpioa", self.ok, "info", "snrvbmpioa",
              expect={"output": " ".join(parts)})
            c("info vs", self.ok, "info", "vs", expect={"output": f"{parts[0]} {parts[3]}"})
        c("info q (no such format)", self.device_error, E["info_format"], "info", "q")
        c("taskstat", self.taskstat)
        c("taskstat (text)", self.taskstat_text)
        c("datetime", self.not_built, "datetime")
        c("datetime set", self.not_built, "datetime", "2030-01-02T03:04:05")
        c("mpstat", self.not_built, "mpstat")
        c("bootloader", self.not_built, "bootloader")
        c("bootloader mode", self.not_built, "bootloader", "mode")

    def info_letter(self, letter):
        out = self.ok("info", letter)["output"]
        if letter == "b":
            if not BUILD_DATE.match(out):
                raise Failed(f"info b: {out!r} is no build date")
        elif out != INFO[letter]:
            raise Failed(f"info {letter}: expected {INFO[letter]!r}, got {out!r}")
        return out

    def taskstat(self):
        expect = TASKS[self.name]
        tasks = self.ok("taskstat")["tasks"]
        if sorted(tasks) != sorted(expect):
            raise Failed(f"taskstat: expected the device's {len(expect)} threads "
                         f"{sorted(expect)}, got {len(tasks)}: {sorted(tasks)}")
        for name, prio in expect.items():
            if tasks[name]["prio"] != prio:
                raise Failed(f"taskstat: thread {name!r}: prio {tasks[name]['prio']}, "
                             f"expected {prio}")
        tids = sorted(t["tid"] for t in tasks.values())
        if tids != list(range(len(expect))):
            raise Failed(f"taskstat: thread ids {tids}")

    def taskstat_text(self):
        r = self.text("taskstat")
        rows = r.out.strip("\n").split("\n")[1:]
        if len(rows) != len(TASKS[self.name]):
            raise Failed(f"taskstat: {len(rows)} rows for {len(TASKS[self.name])} threads"
                         f"\n    {r}")

    def limits(self):
        """A request of exactly the largest size the device takes, and one byte more."""
        c, n = self.check, self.limit
        echo = fit(n, lambda k: {"d": "x" * k})
        c(f"echo of a {n}-byte request", self.exact_echo, "x" * echo, n)
        c(f"echo of a {n + 1}-byte request refused", self.refused, "echo", "x" * (echo + 1),
          size=n + 1)
        if self.transport == "udp":
            # its buffer, and one more: above the datagram limit, so refused as well
            for size in (self.build["buf_size"], self.build["buf_size"] + 1):
                k = fit(size, lambda k: {"d": "x" * k})
                c(f"echo of a {size}-byte request refused", self.refused, "echo", "x" * k,
                  size=size)
        c(f"raw echo of a {n}-byte request", self.exact_raw, "x" * echo, n)
        c(f"raw echo of a {n + 1}-byte request refused", self.refused, "raw", "--op", "write",
          "--group", "0", "--id", "0", json.dumps({"d": "x" * (echo + 1)}), size=n + 1)
        if self.has("settings"):
            k = fit(n, lambda k: {"name": "a/b", "val": b"v" * k})
            c(f"settings set of a {n}-byte request reaches the device", self.exact_error,
              E["settings_root"], n, "settings", "set", "a/b", "v" * k)
            c(f"settings set of a {n + 1}-byte request refused", self.refused, "settings",
              "set", "a/b", "v" * (k + 1), size=n + 1)
        if self.has("shell"):
            k = fit(n, lambda k: {"argv": ["nosuch", "y" * k]})
            c(f"shell exec of a {n}-byte request reaches the device", self.exact_error,
              E["shell_long"], n, "shell", "exec", "nosuch", "y" * k)
            c(f"shell exec of a {n + 1}-byte request refused", self.refused, "shell", "exec",
              "nosuch", "y" * (k + 1), size=n + 1)

    def exact_echo(self, text, size):
        r = self.dfu("echo", text, opts=("-vv",))
        if r.rc != 0 or r.out != text + "\n":
            raise Failed(f"the {size}-byte echo must be answered with its text\n    {r}")
        self.sent_exactly(r, size)

    def exact_raw(self, text, size):
        r = self.dfu("--json", "raw", "--op", "write", "--group", "0", "--id", "0",
                     json.dumps({"d": text}), opts=("-vv",))
        if r.rc != 0 or r.json() != {"r": text}:
            raise Failed(f"the {size}-byte raw echo must be answered\n    {r}")
        self.sent_exactly(r, size)

    def exact_error(self, errors, size, *args):
        """The request is as large as the device takes: it gets there, and the device answers
        its own error."""
        name = errors[self.version][0]
        r = self.dfu("--json", *args, opts=("-vv",))
        err = r.json().get("error", {}) if r.out.startswith("{") else {}
        if r.rc != 1 or err.get("name") != name:
            raise Failed(f"the {size}-byte request must reach the device, which answers "
                         f"{name}\n    {r}")
        self.sent_exactly(r, size)

    def stat_group(self):
        c = self.check
        if not self.has("stat"):
            c("stat list", self.not_built, "stat", "list")
            return
        names = STATS[self.name]
        c("stat list", self.ok, "stat", "list", expect={"stat_list": names})
        c("stat list (text)", self.text, "stat", "list", expect_out="".join(
            n + "\n" for n in names))
        for name in names:
            if name in STAT_FIELDS:
                c(f"stat show {name}", self.stat_show, name)
            else:
                # its answer is larger than the device's encoder takes, on UDP too
                c(f"stat show {name} (EMSGSIZE)", self.device_error, E["stat_size"], "stat",
                  "show", name)
        c("stat show nosuch", self.device_error, E["stat_name"], "stat", "show", "nosuch")

    def stat_show(self, name):
        doc = self.ok("stat", "show", name)
        fields = doc.get("fields", {})
        if doc.get("name") != name or set(fields) != STAT_FIELDS[name] or \
                not all(isinstance(v, int) for v in fields.values()):
            raise Failed(f"stat show {name}: {doc!r}")

    def settings_group(self):
        c = self.check
        cmds = [("get", ("a/b",), "settings_root"), ("set", ("a/b", "hi"), "settings_root"),
                ("set --hex", ("--hex", "a/b", "0102"), "settings_root"),
                ("delete", ("a/b",), "settings_key"), ("save", (), "settings_save"),
                ("save a/b", ("a/b",), "settings_save")]
        if not self.has("settings"):
            for label, args, _ in cmds:
                c(f"settings {label}", self.not_built, "settings", label.split()[0], *args)
            c("settings commit", self.not_built, "settings", "commit")
            c("settings load", self.not_built, "settings", "load")
            return
        # the sample registers no settings handler
        for label, args, err in cmds:
            c(f"settings {label}", self.device_error, E[err], "settings", label.split()[0],
              *args)
        c("settings commit", self.ok, "settings", "commit", expect={"committed": True})
        c("settings load", self.ok, "settings", "load", expect={"loaded": True})

    def fs_group(self):
        c = self.check
        remote = f"{FS_ROOT}/interop"
        if not self.has("fs"):
            c("fs types", self.not_built, "fs", "types")
            c("fs stat", self.not_built, "fs", "stat", remote)
            c("fs hash", self.not_built, "fs", "hash", remote)
            c("fs download", self.not_built, "fs", "download", remote,
              os.path.join(self.tmp.name, "absent"))
            c("fs upload", self.not_built, "fs", "upload", __file__, remote)
            return
        c("fs types", self.ok, "fs", "types", expect={"types": {
            "crc32": {"format": 0, "size": 4}, "sha256": {"format": 1, "size": 32}}})
        data = os.urandom(1500)
        self.round_trip(data, remote)
        c("fs hash --type md5 (no such type)", self.device_error, E["fs_hash_type"], "fs",
          "hash", remote, "--type", "md5")
        missing = f"{FS_ROOT}/missing"
        c("fs stat of a missing file", self.device_error, E["fs_missing"], "fs", "stat", missing)
        c("fs hash of a missing file", self.device_error, E["fs_missing"], "fs", "hash",
          missing)
        c("fs download of a missing file", self.device_error, E["fs_missing"], "fs",
          "download", missing, os.path.join(self.tmp.name, "missing"))

    def round_trip(self, data, remote, what=""):
        """fs upload, stat, hash (crc32, sha256, the default) and download of @p data, the
        bytes back the same."""
        c, n = self.check, len(data)
        local = os.path.join(self.tmp.name, f"up-{self.version}-{n}")
        back = local + ".back"
        with open(local, "wb") as f:
            f.write(data)
        if c(f"fs upload{what}", self.ok, "fs", "upload", local, remote,
             expect={"name": remote, "len": n, "verified": True},
             timeout=FS_TIMEOUT) is None:
            return False
        c(f"fs stat{what}", self.ok, "fs", "stat", remote, expect={"name": remote, "len": n})
        crc = {"name": remote, "type": "crc32", "len": n, "output": zlib.crc32(data)}
        c(f"fs hash{what} (crc32 by default)", self.ok, "fs", "hash", remote, expect=crc)
        c(f"fs hash --type crc32{what}", self.ok, "fs", "hash", remote, "--type", "crc32",
          expect=crc)
        c(f"fs hash --type sha256{what}", self.ok, "fs", "hash", remote, "--type", "sha256",
          expect={"name": remote, "type": "sha256", "len": n,
                  "output": hashlib.sha256(data).hexdigest()})
        return c(f"fs download{what}", self.download, remote, back, data) is not None

    def download(self, remote, back, data):
        self.ok("fs", "download", remote, back, expect={"name": remote, "len": len(data)},
                timeout=FS_TIMEOUT)
        with open(back, "rb") as f:
            got = f.read()
        if got != data:
            first = next((i for i, (a, b) in enumerate(zip(got, data)) if a != b),
                         min(len(got), len(data)))
            raise Failed(f"downloaded {len(got)} bytes, {len(data)} uploaded: differ from "
                         f"byte {first}")
        os.unlink(back)

    def fresh(self, what, checks, *args):
        """@p checks on a server of their own, started for them (a failure if it does not
        start)."""
        try:
            server = zephyr_server.ZephyrServer(self.name)
        except (AssertionError, OSError, subprocess.SubprocessError) as e:
            self.check(f"server start for the fs checks{what}", fail, str(e))
            return
        with server as self.server:
            checks(*args, what=what)

    def too_large(self, what):
        local = os.path.join(self.tmp.name, "too-large")
        with open(local, "wb") as f:
            f.write(os.urandom(FS_LARGEST + 1))
        self.check(f"fs upload{what} fails for space", self.device_error, E["fs_full"], "fs",
                   "upload", local, f"{FS_ROOT}/big", timeout=FS_TIMEOUT)

    def shell_group(self):
        c = self.check
        if not self.has("shell"):
            c("shell exec", self.not_built, "shell", "exec", "kernel", "version")
            return
        c("shell exec kernel version", self.ok, "shell", "exec", "kernel", "version",
          expect={"o": "\r\nZephyr version 4.4.0\r\n", "ret": 0})
        c("shell exec kernel version (text)", self.text, "shell", "exec", "kernel",
          "version", expect_out="\nZephyr version 4.4.0\n")
        c("shell exec nosuch", self.shell_nosuch)
        c("shell exec nosuch (text: exit 1)", self.shell_nosuch_text)

    def shell_nosuch(self):
        doc = self.ok("shell", "exec", "nosuch")
        if doc.get("ret") != -8 or "nosuch: command not found" not in doc.get("o", ""):
            raise Failed(f"shell exec nosuch: {doc!r}")

    def shell_nosuch_text(self):
        r = self.text("shell", "exec", "nosuch", rc=1)
        if "nosuch: command not found" not in r.out or "-8" not in r.err:
            raise Failed(f"shell exec nosuch: the output and the return value -8\n    {r}")

    def enum_group(self):
        c = self.check
        expect = {GROUP_IDS[g] for g in self.groups}
        listed = c("enum list", self.enum_list, expect)
        c("enum count", self.ok, "enum", "count", expect={"count": len(expect)})
        if listed is None:
            return
        for i, group in enumerate(listed):
            c(f"enum single {i}", self.ok, "enum", "single", str(i),
              expect={"group": group, "end": i == len(listed) - 1})
        c(f"enum single {len(listed)} (past the end)", self.device_error, E["enum_index"],
          "enum", "single", str(len(listed)))
        details = [{"group": g, "name": GROUP_NAMES[g], "handlers": GROUP_HANDLERS[g]}
                   for g in listed]
        c("enum details", self.ok, "enum", "details", expect={"groups": details})
        some = [d for d in details if d["group"] in (0, 2)]
        c("enum details 0 2", self.ok, "enum", "details", "0", "2", expect={"groups": some})

    def enum_list(self, expect):
        groups = self.ok("enum", "list")["groups"]
        if sorted(groups) != sorted(expect):
            raise Failed(f"enum list: {groups}, expected the groups {sorted(expect)}")
        return groups

    def image_group(self):
        # no build has the image group (native_sim has no MCUboot)
        self.check("image list", self.not_built, "image", "list")
        self.check("image slots", self.not_built, "image", "slots")

    def raw(self):
        c = self.check
        c("raw echo", self.ok, "raw", "--op", "write", "--group", "0", "--id", "0",
          '{"d":"raw"}', expect={"r": "raw"})
        if self.name == "noparams":
            c("raw params (ENOTSUP)", self.raw_error, "read", 0, 6)
        else:
            c("raw params", self.ok, "raw", "--op", "read", "--group", "0", "--id", "6",
              expect={"buf_size": self.build["buf_size"], "buf_count": self.build["buf_count"]})
        c("raw to group 64 (none)", self.raw_error, "read", 64, 0)
        if self.has("fs"):
            c("raw fs upload with a byte string", self.raw_bytes)

    def raw_error(self, op, group, cmd):
        r = self.dfu("--json", "raw", "--op", op, "--group", str(group), "--id", str(cmd))
        doc = r.json() if r.rc == 1 else {}
        error = doc.pop("error", {})
        if (r.rc != 1 or doc != {"rc": 8} or error.get("code") != "MGMT_ERR_ENOTSUP" or
                "MGMT_ERR_ENOTSUP" not in r.err):
            raise Failed(f"expected exit 1, the answer {{'rc': 8}} with its error and "
                         f"MGMT_ERR_ENOTSUP\n    {r}")

    def raw_bytes(self):
        remote = f"{FS_ROOT}/raw"
        self.ok("raw", "--op", "write", "--group", "8", "--id", "0", json.dumps(
            {"name": remote, "off": 0, "len": 3, "data": "h'616263'"}), expect={"off": 3})
        back = os.path.join(self.tmp.name, "raw.back")
        self.ok("fs", "download", remote, back, expect={"name": remote, "len": 3})
        with open(back, "rb") as f:
            if f.read() != b"abc":
                raise Failed("raw upload: the file is not 'abc'")

    def zbasic_group(self):
        if not self.has("zbasic"):
            self.check("storage-erase", self.not_built, "storage-erase")
            return
        if self.check("storage-erase", self.ok, "storage-erase",
                      expect={"erased": True}) is not None and self.has("fs"):
            self.check("fs stat after storage-erase", self.device_error, E["fs_erased"],
                       "fs", "stat", f"{FS_ROOT}/interop")

    def reset(self):
        """The device answers, then goes (the program exits); started again, it answers."""
        if self.check("reset", self.ok, "reset", expect={"reset": True}) is None:
            self.server.restart()
            return
        self.check("reset: the device goes", self.gone)
        self.server.restart()
        self.check("echo after the reset", self.ok, "echo", "back again",
                   expect={"r": "back again"})

    def gone(self):
        rc = self.server.wait_exit(EXIT_TIMEOUT)
        if rc is None:
            raise Failed(f"the server still runs {EXIT_TIMEOUT} s after the reset")
        if rc != REBOOT_EXIT or REBOOT_LINE not in self.server.output():
            raise Failed(f"the server exited {rc}, expected {REBOOT_EXIT} after printing "
                         f"{REBOOT_LINE!r}: {self.server.output()[-300:]!r}")


def enter_own_netns():
    """Runs this program again in a network namespace of its own, unless it already is."""
    if os.environ.get(NETNS_MARK) is None:
        cmd = ["unshare", "--net"]
        if os.geteuid() != 0:
            cmd.append("--map-root-user")
        cmd += [sys.executable, os.path.abspath(__file__), "udp"]
        env = dict(os.environ, **{NETNS_MARK: os.readlink("/proc/self/ns/net")})
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            os.execvpe(cmd[0], cmd, env)
        except OSError as e:
            raise SystemExit(f"interop.py udp: cannot run unshare: {e}")
    here = os.readlink("/proc/self/ns/net")
    names = [n for _, n in socket.if_nameindex()]
    if here == os.environ[NETNS_MARK] or names != ["lo"]:
        raise SystemExit(f"interop.py udp: not in a network namespace of its own ({here}, "
                         f"interfaces {names}); refusing to bind port 1337")
    ip = shutil.which("ip") or next((p for p in ("/usr/sbin/ip", "/sbin/ip")
                                     if os.path.exists(p)), "ip")
    subprocess.run([ip, "link", "set", "lo", "up"], check=True, timeout=10)


def run_one(name):
    if name == "udp":
        enter_own_netns()
    s = Session(name)
    try:
        s.run()
    except (AssertionError, OSError, subprocess.SubprocessError) as e:
        # the server did not start, or stopped answering at all
        s.failed += 1
        print(f"FAIL {name}: {e}", file=sys.stderr, flush=True)
    finally:
        s.tmp.cleanup()
    print(s.line(), flush=True)
    return 1 if s.failed else 0


def run_all():
    """Every server, each in a process of its own (the UDP one in its own namespace), two at
    a time; the table once all are done."""
    me = [sys.executable, os.path.abspath(__file__)]
    pending, running, lines, status = list(SERVERS), [], {}, 0
    while pending or running:
        while pending and len(running) < 2:
            name = pending.pop(0)
            running.append((name, subprocess.Popen(
                [*me, name], stdout=subprocess.PIPE, text=True,
                preexec_fn=zephyr_server.die_with_parent)))
        name, proc = running.pop(0)
        out, _ = proc.communicate()
        rows = [ln for ln in out.splitlines() if ln.startswith(name + " ")]
        lines[name] = rows[-1] if rows else f"{name:<9} did not finish (exit {proc.returncode})"
        status |= proc.returncode != 0
    for name in SERVERS:
        print(lines[name])
    return 1 if status else 0


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    if len(sys.argv) > 2 or len(sys.argv) == 2 and sys.argv[1] not in SERVERS:
        print(f"usage: interop.py [{'|'.join(SERVERS)}]", file=sys.stderr)
        return 2
    if len(sys.argv) == 2:
        return run_one(sys.argv[1])
    return run_all()


if __name__ == "__main__":
    sys.exit(main())
