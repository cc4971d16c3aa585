# SPDX-License-Identifier: Apache-2.0
"""Our CBOR against python3-cbor2's: requests byte for byte, and responses in every shape
cbor2 (and real devices) produce."""
import copy
import os
import random
import unittest
from concurrent.futures import ThreadPoolExecutor

import cbor2

import run_tool

TOOL = os.environ["CODEC_TOOL"]
SMP_HDR_SIZE = 8
SMP_MSG_MAX = SMP_HDR_SIZE + 0xFFFF


def run(*args):
    return run_tool.run(TOOL, *args)


def run_all(argument_lists):
    """Runs the tool once per argument list, several at a time; results in the same order."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda args: run(*args), argument_lists))


def encode(*args):
    p = run("encode", *args)
    assert p.returncode == 0, p.stderr
    return bytes.fromhex(p.stdout.strip())


def decode(command, payload):
    return run("decode", command, payload.hex())


def indefinite_map(pairs):
    """A map as Zephyr sends it: 0xbf, key/value items, 0xff."""
    return b"\xbf" + b"".join(cbor2.dumps(k) + v for k, v in pairs) + b"\xff"


def uint_width(value, width):
    """An unsigned integer in a chosen (possibly non-minimal) width: 0, 1, 2, 4 or 8 bytes."""
    if width == 0:
        assert value < 24
        return bytes([value])
    info = {1: 24, 2: 25, 4: 26, 8: 27}[width]
    return bytes([info]) + value.to_bytes(width, "big")


class Named(dict):
    """A map keyed by names (threads, pools, counters): its keys are entries, not fields, so
    the shapes below neither reorder it nor add keys to it."""


def head(major, n, wide):
    """A CBOR head: shortest form, or always 8 bytes wide."""
    if wide:
        return bytes([major << 5 | 27]) + n.to_bytes(8, "big")
    if n < 24:
        return bytes([major << 5 | n])
    for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * width):
            return bytes([major << 5 | info]) + n.to_bytes(width, "big")
    raise ValueError(n)


EXTRA_VALUE = cbor2.dumps({"n": [1, {"a": b"x"}], "f": 1.5, "t": cbor2.CBORTag(1, 0),
                           "z": None})


def shape(value, indefinite=False, reorder=False, extra=False, wide=False):
    """@p value encoded the ways devices may: indefinite-length maps, arrays and strings (in
    chunks), fields in reverse order, unknown keys around them, every head 8 bytes wide."""
    def enc(v):
        if isinstance(v, bool) or v is None or isinstance(v, (float, cbor2.CBORTag)):
            return cbor2.dumps(v)
        if isinstance(v, int):
            return head(0, v, wide) if v >= 0 else head(1, -1 - v, wide)
        if isinstance(v, (str, bytes)):
            major = 3 if isinstance(v, str) else 2
            raw = v.encode() if isinstance(v, str) else v
            if not indefinite:
                return head(major, len(raw), wide) + raw
            chunks = [v[:len(v) // 2], v[len(v) // 2:]] if v else []
            chunks = [c.encode() if isinstance(c, str) else c for c in chunks]
            return (bytes([major << 5 | 31]) +
                    b"".join(head(major, len(c), wide) + c for c in chunks) + b"\xff")
        if isinstance(v, list):
            items = b"".join(enc(x) for x in v)
            return b"\x9f" + items + b"\xff" if indefinite else head(4, len(v), wide) + items
        pairs = [enc(k) + enc(x) for k, x in v.items()]
        if not isinstance(v, Named):
            if reorder:
                pairs.reverse()
            if extra:
                pairs = [enc("zz-extra") + EXTRA_VALUE] + pairs + [enc("~") + enc(-5)]
        body = b"".join(pairs)
        return b"\xbf" + body + b"\xff" if indefinite else head(5, len(pairs), wide) + body
    return enc(value)


SHAPES = {
    "indefinite": dict(indefinite=True),
    "reordered, extra keys": dict(reorder=True, extra=True),
    "indefinite, reordered, extra keys": dict(indefinite=True, reorder=True, extra=True),
    "widest heads": dict(wide=True),
    "indefinite, widest heads, extra keys": dict(indefinite=True, wide=True, extra=True),
}


def esc(s):
    """Text as the tool prints it: control characters and backslashes as \\xNN."""
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 0x20 or c in "\\\x7f" else c for c in s)


def flag(v):
    return "true" if v else "false"


# How the tool prints each decoded response, from the value the device sent.

def show_taskstat(v):
    out = []
    for i, (name, t) in enumerate(v["tasks"].items()):
        p = f"tasks[{i}]."
        out += [f"{p}name={esc(name)}", f"{p}prio={t['prio']}", f"{p}tid={t['tid']}",
                f"{p}state={t['state']}"]
        out += [f"{p}{k}={t.get(k, -1)}" for k in ("stksiz", "stkuse", "runtime", "cswcnt",
                                                   "last_checkin", "next_checkin")]
    return out + [f"count={len(v['tasks'])}"]


def show_mpstat(v):
    if "mpools" in v:
        pools = list(v["mpools"].items())
    elif "tasks" in v:
        pools = list(v["tasks"].items())
    else:
        pools = [(k, p) for k, p in v.items()
                 if isinstance(k, str) and isinstance(p, dict) and "nblks" in p]
    out = []
    for i, (name, p) in enumerate(pools):
        out += [f"pools[{i}].name={esc(name)}", f"pools[{i}].blksiz={p.get('blksiz', -1)}",
                f"pools[{i}].nblks={p['nblks']}", f"pools[{i}].nfree={p['nfree']}",
                f"pools[{i}].min={p.get('min', -1)}"]
    return out + [f"count={len(pools)}"]


MODE_NAMES = {-1: "unknown", 0: "single application slot", 1: "swap using scratch",
              2: "overwrite (upgrade) only", 3: "swap without scratch (swap-using-move)",
              4: "direct-XIP", 5: "direct-XIP with revert", 6: "RAM load",
              7: "firmware loader (firmware updater)", 8: "single slot RAM load",
              9: "swap using offset"}


def show_bootloader(v):
    out = [f"bootloader={esc(v['bootloader'])}"] if "bootloader" in v else []
    if "mode" in v:
        out += [f"mode={v['mode']}", f"mode_name={MODE_NAMES.get(v['mode'], 'unknown')}"]
    return out + [f"no-downgrade={flag(v.get('no-downgrade', False))}"]


def show_img_state(v):
    out = []
    for i, s in enumerate(v["images"]):
        p = f"images[{i}]."
        out += [f"{p}image={s.get('image', -1)}", f"{p}slot={s['slot']}"]
        if "version" in s:
            out.append(f"{p}version={esc(s['version'])}")
        out.append(f"{p}hash={s.get('hash', b'').hex()}")
        out += [f"{p}{k}={flag(s.get(k, False))}"
                for k in ("bootable", "pending", "confirmed", "active", "permanent")]
    return out + [f"count={len(v['images'])}", f"splitStatus={v.get('splitStatus', -1)}"]


def show_img_upload(v):
    return [f"off={v['off']}"] + ([f"match={flag(v['match'])}"] if "match" in v else [])


def show_slot_info(v):
    out = []
    for i, image in enumerate(v["images"]):
        p = f"images[{i}]."
        out += [f"{p}image={image['image']}",
                f"{p}max_image_size={image.get('max_image_size', -1)}",
                f"{p}count={len(image['slots'])}"]
        for j, s in enumerate(image["slots"]):
            q = f"{p}slots[{j}]."
            out += [f"{q}slot={s['slot']}", f"{q}size={s.get('size', -1)}",
                    f"{q}rc={s.get('rc', 0)}",
                    f"{q}upload_image_id={s.get('upload_image_id', -1)}"]
    return out + [f"count={len(v['images'])}"]


def show_stat_list(v):
    return ([f"stat_list[{i}]={esc(n)}" for i, n in enumerate(v["stat_list"])] +
            [f"count={len(v['stat_list'])}"])


def show_stat_show(v):
    out = [f"name={esc(v['name'])}"]
    for i, (name, value) in enumerate(v["fields"].items()):
        out += [f"fields[{i}].name={esc(name)}", f"fields[{i}].value={value}"]
    return out + [f"count={len(v['fields'])}"]


def show_fs_hash(v):
    out = [f"type={esc(v['type'])}", f"off={v.get('off', 0)}", f"len={v['len']}"]
    if isinstance(v["output"], int):
        return out + [f"output={v['output']}"]
    return out + [f"output_bytes={v['output'].hex()}"]


def show_hash_types(v):
    out = []
    for i, (name, t) in enumerate(v["types"].items()):
        out += [f"types[{i}].name={esc(name)}", f"types[{i}].format={t['format']}",
                f"types[{i}].size={t['size']}"]
    return out + [f"count={len(v['types'])}"]


def show_enum_details(v):
    out = []
    for i, g in enumerate(v["groups"]):
        out.append(f"groups[{i}].group={g['group']}")
        if "name" in g:
            out.append(f"groups[{i}].name={esc(g['name'])}")
        out.append(f"groups[{i}].handlers={g.get('handlers', -1)}")
    return out + [f"count={len(v['groups'])}"]


# Per decoder: how the tool prints it, good responses, and the keys that must be present.
DECODERS = {
    "echo": (lambda v: [f"r={v['r']}"], [{"r": "hi"}, {"r": ""}], {"r"}),
    "params": (lambda v: [f"buf_size={v['buf_size']} buf_count={v['buf_count']}"],
               [{"buf_size": 2475, "buf_count": 4}, {"buf_size": 2**32 - 1, "buf_count": 0}],
               {"buf_size", "buf_count"}),
    "taskstat": (show_taskstat, [
        {"tasks": Named({
            "main": {"prio": -1, "tid": 1, "state": 8, "stksiz": 256, "stkuse": 100,
                     "runtime": 2**40, "cswcnt": 3, "last_checkin": 0, "next_checkin": 0},
            "idle": {"prio": 15, "tid": 2, "state": 0},
            "": {"prio": 255, "tid": 2**64 - 1, "state": 2**64 - 1, "stksiz": 2**63 - 1}})},
        {"tasks": Named({"sysworkq": {"prio": -2**63, "tid": 0, "state": 0x80, "stkuse": 0}})},
        {"tasks": Named()},
    ], {"tasks", "prio", "tid", "state"}),
    "mpstat": (show_mpstat, [
        {"mpools": Named({"heap0": {"blksiz": 1, "nblks": 100, "nfree": 50, "min": 10},
                          "sys": {"nblks": 2**64 - 1, "nfree": 0}})},
        {"tasks": Named({"0": {"blksiz": 1, "nblks": 4096, "nfree": 1024, "min": 512}})},
        {"mpools": Named()},
    ], {"nblks", "nfree"}),
    "datetime-get": (lambda v: [f"datetime={esc(v['datetime'])}"],
                     [{"datetime": "2025-11-20T11:56:05.123"}], {"datetime"}),
    "info": (lambda v: [f"output={esc(v['output'])}"],
             [{"output": "Zephyr unknown 684c9e8f32e4 4.4.0 Wed Jun  3 22:19:37 2026 posix "
                         "x86 native_sim/native Zephyr"}, {"output": "gr\u00fc\u00dfe\n\\"}],
             {"output"}),
    "bootloader": (show_bootloader, [
        {"bootloader": "MCUboot"}, {"mode": 1, "no-downgrade": True}, {"mode": -1},
        {"mode": 9, "no-downgrade": False}, {"mode": 10}, {},
    ], set()),
    "img-state": (show_img_state, [
        {"images": [
            {"image": 0, "slot": 0, "version": "1.0.0", "hash": bytes(range(32)),
             "bootable": True, "pending": False, "confirmed": True, "active": True,
             "permanent": False},
            {"image": 0, "slot": 1, "version": "2.0.0.7", "hash": b"\xff" * 32,
             "bootable": True, "pending": True, "confirmed": False, "active": False,
             "permanent": True}],
         "splitStatus": 0},
        # CONFIG_MCUMGR_GRP_IMG_FRUGAL_LIST and mynewt: only true flags, no splitStatus
        {"images": [{"slot": 0, "version": "1.0.0", "hash": b"\x01" * 32, "active": True,
                     "confirmed": True, "bootable": True}]},
        # MCUboot serial recovery: slot, version, maybe a hash of another size
        {"images": [{"slot": 0, "version": "0.0.0", "hash": bytes(48)},
                    {"image": 2**63 - 1, "slot": 1, "version": "1.2.3.4", "hash": bytes(64)},
                    {"slot": 2**64 - 1}]},
        {"images": [], "splitStatus": -2**63},
    ], {"images", "slot"}),
    "img-upload": (show_img_upload, [
        {"off": 4096}, {"rc": 0, "off": 0}, {"off": 2**64 - 1, "match": True},
        {"off": 23, "match": False},
    ], {"off"}),
    "img-slot-info": (show_slot_info, [
        {"images": [
            {"image": 0, "slots": [{"slot": 0, "size": 0x40000},
                                   {"slot": 1, "size": 0x40000, "upload_image_id": 0}],
             "max_image_size": 0x3F000},
            {"image": 1, "slots": [{"slot": 0, "rc": -5},
                                   {"slot": 1, "size": 2**63 - 1, "upload_image_id": 4}]}]},
        {"images": [{"image": 0, "slots": []}]},
        {"images": []},
    ], {"images", "image", "slots", "slot"}),
    "status": (lambda v: ["ok"], [{}, {"rc": 0}], set()),
    "stat-list": (show_stat_list, [{"stat_list": ["smp_svr_stats", "ble"]}, {"stat_list": []}],
                  {"stat_list"}),
    "stat-show": (show_stat_show, [
        {"name": "smp_svr_stats", "fields": Named({"ticks": 12, "big": 2**64 - 1, "z": 0})},
        {"name": "", "fields": Named()},
    ], {"name", "fields"}),
    "settings-read": (lambda v: [f"val={v['val'].hex()}", f"max_size={v.get('max_size', -1)}"],
                      [{"val": b"\x01\x02"}, {"val": b"", "max_size": 64},
                       {"val": bytes(300), "max_size": 2**63 - 1}], {"val"}),
    "fs-download": (lambda v: [f"off={v['off']}", f"data={v['data'].hex()}",
                               f"len={v.get('len', -1)}"],
                    [{"off": 0, "data": b"hello", "len": 5}, {"off": 5, "data": b""},
                     {"off": 2**64 - 1, "data": bytes(range(256)), "len": 0}],
                    {"off", "data"}),
    "fs-upload": (lambda v: [f"off={v['off']}"], [{"off": 100}, {"off": 0}], {"off"}),
    "fs-status": (lambda v: [f"len={v['len']}"], [{"len": 12345}, {"len": 2**64 - 1}],
                  {"len"}),
    "fs-hash": (show_fs_hash, [
        {"type": "crc32", "len": 5, "output": 0x3610A686},
        {"type": "sha256", "off": 4, "len": 1, "output": bytes(range(32))},
        {"type": "crc32", "len": 0, "output": 0},
    ], {"type", "len", "output"}),
    "fs-hash-types": (show_hash_types, [
        {"types": Named({"crc32": {"format": 0, "size": 4}, "sha256": {"format": 1,
                                                                      "size": 32}})},
        {"types": Named()},
    ], {"types", "format", "size"}),
    "shell": (lambda v: [f"o={esc(v['o'])}", f"ret={v['ret']}"], [
        {"o": "hello\r\n\x1b[1;32muart:~$ \x1b[m", "ret": 0},
        {"o": "command not found", "ret": -8},
        {"o": "", "ret": 2**63 - 1},
    ], {"o", "ret"}),
    "enum-count": (lambda v: [f"count={v['count']}"], [{"count": 6}], {"count"}),
    "enum-list": (lambda v: ([f"groups[{i}]={g}" for i, g in enumerate(v["groups"])] +
                             [f"count={len(v['groups'])}"]),
                  [{"groups": [0, 1, 2, 3, 8, 9, 10, 63, 65535]}, {"groups": []}], {"groups"}),
    "enum-single": (lambda v: [f"group={v['group']}", f"end={flag(v.get('end', False))}"],
                    [{"group": 63, "end": True}, {"group": 0}, {"group": 65535,
                                                                "end": False}],
                    {"group"}),
    "enum-details": (show_enum_details, [
        {"groups": [{"group": 0, "name": "os", "handlers": 9}, {"group": 65535}]},
        {"groups": []},
    ], {"groups", "group"}),
}


def check_decoded(test, command, payload, expected):
    p = decode(command, payload)
    test.assertEqual(p.returncode, 0, p.stdout + p.stderr)
    test.assertEqual(p.stdout.splitlines(), expected)


def path_name(path):
    """("images", 1, "hash") -> "images[1].hash", as the decoders name keys."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    return name


def walk(value, path=()):
    """Every (path, value) below @p value, and whether its parent is a map of fields."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        field = isinstance(value, dict) and not isinstance(value, Named)
        yield path + (key,), child, field
        if isinstance(child, (dict, list)):
            yield from walk(child, path + (key,))


def with_change(value, path, new=None, remove=False):
    out = copy.deepcopy(value)
    parent = out
    for key in path[:-1]:
        parent = parent[key]
    if remove:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return out


def wrong_values(v):
    """Values of another type than @p v, with the type the message names."""
    if isinstance(v, bool):
        return [(7, "an unsigned integer"), (None, "null")]
    if isinstance(v, int):
        return [("x", "a text string"), (1.5, "a float")]
    if isinstance(v, str):
        return [(7, "an unsigned integer"), (b"x", "a byte string")]
    if isinstance(v, bytes):
        return [("x", "a text string"), (True, "a boolean")]
    if isinstance(v, list):
        return [({"a": 1}, "a map"), (-7, "a negative integer")]
    return [([1], "an array"), ("x", "a text string")]


class Requests(unittest.TestCase):
    def test_echo_matches_cbor2(self):
        for text in ["", "h", "hi", "hello world", "x" * 23, "x" * 24, "x" * 255, "x" * 256,
                     "x" * 1000, "grüße ✓"]:
            with self.subTest(length=len(text)):
                self.assertEqual(encode("echo", text), cbor2.dumps({"d": text}))

    def test_params_matches_cbor2(self):
        self.assertEqual(encode("params"), cbor2.dumps({}))

    def test_every_request_matches_cbor2(self):
        h32, h48 = bytes(range(32)), bytes(range(48))
        cases = [
            (["taskstat"], {}), (["mpstat"], {}), (["datetime-get"], {}),
            (["datetime-set", "2025-11-20T11:56:05"], {"datetime": "2025-11-20T11:56:05"}),
            (["reset", "0", "-1"], {}), (["reset", "1", "-1"], {"force": True}),
            (["reset", "0", "1"], {"boot_mode": 1}),
            (["reset", "1", "0"], {"force": True, "boot_mode": 0}),
            (["reset", "0", "255"], {"boot_mode": 255}),
            (["info"], {}), (["info", "a"], {"format": "a"}), (["info", ""], {"format": ""}),
            (["bootloader"], {}), (["bootloader", "mode"], {"query": "mode"}),
            (["img-state-read"], {}),
            (["img-state-write", "1"], {"confirm": True}),
            (["img-state-write", "0", h32.hex()], {"hash": h32, "confirm": False}),
            (["img-state-write", "1", h48.hex()], {"hash": h48, "confirm": True}),
            (["img-erase"], {}), (["img-erase", "0"], {"slot": 0}),
            (["img-erase", "1"], {"slot": 1}), (["img-erase", "300"], {"slot": 300}),
            (["img-slot-info"], {}),
            (["stat-list"], {}), (["stat-show", "smp_svr_stats"], {"name": "smp_svr_stats"}),
            (["settings-read", "bt/name"], {"name": "bt/name"}),
            (["settings-read", "bt/name", "0"], {"name": "bt/name", "max_size": 0}),
            (["settings-read", "a" * 300, "65536"], {"name": "a" * 300, "max_size": 65536}),
            (["settings-write", "bt/name", "6869"], {"name": "bt/name", "val": b"hi"}),
            (["settings-write", "x", ""], {"name": "x", "val": b""}),
            (["settings-delete", "bt/name"], {"name": "bt/name"}),
            (["settings-commit"], {}), (["settings-load"], {}), (["settings-save"], {}),
            (["settings-save", "bt"], {"name": "bt"}),
            (["fs-download", "/lfs/a.txt", "0"], {"name": "/lfs/a.txt", "off": 0}),
            (["fs-download", "/lfs/a.txt", str(2**32)], {"name": "/lfs/a.txt", "off": 2**32}),
            (["fs-upload", "/lfs/a", "0", "0102", "2"],
             {"name": "/lfs/a", "off": 0, "data": b"\x01\x02", "len": 2}),
            (["fs-upload", "/lfs/a", "300", "ff" * 300],
             {"name": "/lfs/a", "off": 300, "data": b"\xff" * 300}),
            (["fs-upload", "/lfs/empty", "0", "", "0"],
             {"name": "/lfs/empty", "off": 0, "data": b"", "len": 0}),
            (["fs-status", "/lfs/a"], {"name": "/lfs/a"}),
            (["fs-hash", "/lfs/a"], {"name": "/lfs/a"}),
            (["fs-hash", "/lfs/a", "sha256"], {"name": "/lfs/a", "type": "sha256"}),
            (["fs-hash", "/lfs/a", "-", "5"], {"name": "/lfs/a", "off": 5}),
            (["fs-hash", "/lfs/a", "-", "0", "10"], {"name": "/lfs/a", "len": 10}),
            (["fs-hash", "/lfs/a", "crc32", "65536", "0"],
             {"name": "/lfs/a", "type": "crc32", "off": 65536, "len": 0}),
            (["fs-hash-types"], {}), (["fs-close"], {}),
            (["shell"], {"argv": []}),
            (["shell", "kernel", "version"], {"argv": ["kernel", "version"]}),
            (["shell", "echo", "", "y" * 300], {"argv": ["echo", "", "y" * 300]}),
            (["enum-count"], {}), (["enum-list"], {}),
            (["enum-single", "0"], {"index": 0}), (["enum-single", "70000"], {"index": 70000}),
            (["enum-details"], {}),
            (["enum-details", "0", "1", "65535"], {"groups": [0, 1, 65535]}),
            (["basic-erase-storage"], {}),
        ]
        results = run_all([["encode", *args] for args, _ in cases])
        for (args, expected), p in zip(cases, results):
            with self.subTest(args=args[:3]):
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(bytes.fromhex(p.stdout.strip()), cbor2.dumps(expected))

    def test_image_upload_matches_cbor2(self):
        sha = bytes(range(32))
        cases = []
        for off in (0, 1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1):
            for size in (0, 1, 23, 24, 255, 256, 1000):
                data = bytes(i & 0xFF for i in range(size))
                args = [str(off), data.hex(), "100000", "1", "1", sha.hex()]
                expected = {"off": off, "data": data}
                if off == 0:
                    expected.update({"len": 100000, "image": 1, "sha": sha, "upgrade": True})
                cases.append((args, expected))
        for total, image, upgrade, digest in ((0, 0, 0, None), (23, 0, 1, b""),
                                              (2**32, 2**32 - 1, 0, sha[:20]),
                                              (2**64 - 1, 24, 0, None)):
            args = ["0", "00" * 32, str(total), str(image), str(upgrade)]
            expected = {"off": 0, "data": bytes(32), "len": total}
            if image:
                expected["image"] = image
            if digest is not None:
                args.append(digest.hex())
                expected["sha"] = digest
            if upgrade:
                expected["upgrade"] = True
            cases.append((args, expected))
        results = run_all([["encode", "img-upload", *args] for args, _ in cases])
        for (args, expected), p in zip(cases, results):
            with self.subTest(off=args[0], size=len(args[1]) // 2, total=args[2]):
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(bytes.fromhex(p.stdout.strip()), cbor2.dumps(expected))
        big = bytes(range(256)) * 256
        self.assertEqual(encode("img-upload", "4096", big[:65000].hex(), "0", "0", "0"),
                         cbor2.dumps({"off": 4096, "data": big[:65000]}))

    def test_image_upload_refuses_a_long_sha(self):
        p = run("encode", "img-upload", "0", "00", "1", "0", "0", "00" * 33)
        self.assertEqual(p.returncode, 2)
        self.assertIn("(-22)", p.stderr)

    def check_max_data(self, tool_args, request, limits):
        """The tool's largest data length fits @p limit and one more byte does not."""
        def size(n):
            return SMP_HDR_SIZE + len(cbor2.dumps(request(bytes(n))))

        results = run_all([["max-data", tool_args[0], str(limit), *tool_args[1:]]
                           for limit in limits])
        for limit, p in zip(limits, results):
            with self.subTest(args=tool_args, limit=limit):
                self.assertEqual(p.returncode, 0, p.stderr)
                n = int(p.stdout)
                room = min(limit, SMP_MSG_MAX)
                if n:
                    self.assertLessEqual(size(n), room)
                self.assertGreater(size(n + 1), room)

    @staticmethod
    def limits_around(fixed):
        """Limits where the data's length header grows, around a message of @p fixed bytes
        without data, and a few others."""
        near = [fixed + d for base in (0, 24, 256, 65536) for d in range(base - 3, base + 5)]
        return sorted({x for x in near + list(range(0, 40)) + [SMP_MSG_MAX, SMP_MSG_MAX + 1,
                                                               10**6] if x >= 0})

    def test_image_upload_max_data_is_exact(self):
        sha = bytes(range(32))
        for off, total, image, upgrade, digest in ((0, 1000, 0, 0, None),
                                                   (0, 2**32, 3, 1, sha),
                                                   (0, 70000, 2**32 - 1, 1, b""),
                                                   (4096, 1000, 1, 1, sha),
                                                   (2**40, 0, 0, 0, None)):
            def request(data):
                r = {"off": off, "data": data}
                if off == 0:
                    r["len"] = total
                    if image:
                        r["image"] = image
                    if digest is not None:
                        r["sha"] = digest
                    if upgrade:
                        r["upgrade"] = True
                return r

            args = ["img", str(off), str(total), str(image), str(upgrade)]
            if digest is not None:
                args.append(digest.hex())
            fixed = SMP_HDR_SIZE + len(cbor2.dumps(request(b""))) - 1
            self.check_max_data(args, request, self.limits_around(fixed))

    def test_file_upload_max_data_is_exact(self):
        for name, off, total in (("/lfs/a", 0, 5), ("/" + "n" * 300, 70000, -1),
                                 ("", 2**33, 2**40)):
            def request(data):
                r = {"name": name, "off": off, "data": data}
                if total >= 0:
                    r["len"] = total
                return r

            fixed = SMP_HDR_SIZE + len(cbor2.dumps(request(b""))) - 1
            self.check_max_data(["fs", name, str(off), str(total)], request,
                                self.limits_around(fixed))


class Responses(unittest.TestCase):
    def test_echo_in_every_shape(self):
        r = cbor2.dumps("hi")
        shapes = {
            "definite": cbor2.dumps({"r": "hi"}),
            "indefinite": indefinite_map([("r", r)]),
            "indefinite text": indefinite_map([("r", b"\x7f\x61h\x61i\xff")]),
            "extra keys": cbor2.dumps({"z": [1, {"a": b"x"}], "r": "hi", "rc": 0}),
            "extra keys after": indefinite_map([("r", r), ("extra", cbor2.dumps(-5))]),
        }
        for name, payload in shapes.items():
            with self.subTest(shape=name):
                p = decode("echo", payload)
                self.assertEqual(p.returncode, 0, p.stdout)
                self.assertEqual(p.stdout.strip(), "r=hi")

    def test_params_keys_reordered_and_any_width(self):
        for size_w in (2, 4, 8):
            for count_w in (0, 1, 2, 4, 8):
                size = uint_width(2475, size_w)
                count = uint_width(4, count_w)
                for pairs in ([("buf_size", size), ("buf_count", count)],
                              [("buf_count", count), ("buf_size", size)]):
                    with self.subTest(size_w=size_w, count_w=count_w, first=pairs[0][0]):
                        p = decode("params", indefinite_map(pairs))
                        self.assertEqual(p.stdout.strip(), "buf_size=2475 buf_count=4")
        largest = cbor2.dumps({"buf_size": 2**32 - 1, "buf_count": 0})
        self.assertEqual(decode("params", largest).stdout.strip(),
                         "buf_size=4294967295 buf_count=0")

    def test_wrong_shapes_name_the_problem(self):
        cases = {
            "missing key": (cbor2.dumps({"buf_size": 1}), "'buf_count' is missing"),
            "wrong type": (cbor2.dumps({"buf_size": "1", "buf_count": 1}),
                           "'buf_size' is a text string"),
            "negative": (cbor2.dumps({"buf_size": -1, "buf_count": 1}),
                         "'buf_size' is a negative integer"),
            "too large": (cbor2.dumps({"buf_size": 2**40, "buf_count": 1}),
                          "'buf_size' is 1099511627776, more than 4294967295"),
            "not a map": (cbor2.dumps([1, 2]), "an array, expected a map"),
            "float": (cbor2.dumps({"buf_size": 1.5, "buf_count": 1}), "'buf_size' is a float"),
            "truncated": (cbor2.dumps({"buf_size": 2475, "buf_count": 4})[:-1],
                          "not valid CBOR"),
        }
        for name, (payload, needle) in cases.items():
            with self.subTest(case=name):
                p = decode("params", payload)
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertIn(needle, p.stdout)

    def test_device_errors_in_both_versions(self):
        p = decode("params", cbor2.dumps({"rc": 8}))
        self.assertEqual(p.returncode, 1)
        self.assertIn("MGMT_ERR_ENOTSUP (rc 8)", p.stdout)
        p = decode("echo", cbor2.dumps({"err": {"group": 0, "rc": 2}}))
        self.assertEqual(p.returncode, 1)
        self.assertIn("OS_MGMT_ERR_INVALID_FORMAT (rc 2)", p.stdout)

    def test_garbage_never_crashes(self):
        rng = random.Random(1234)
        good = cbor2.dumps({"buf_size": 2475, "buf_count": 4})
        for i in range(300):
            data = bytearray(good)
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            p = decode("params", bytes(data[:rng.randint(0, len(data))]))
            self.assertIn(p.returncode, (0, 1), p.stderr)


class EveryDecoder(unittest.TestCase):
    """Each decoder on responses cbor2 encodes, in every shape, and on every wrong one."""

    def test_good_responses_in_every_shape(self):
        jobs, expected = [], []
        for command, (show, values, _) in DECODERS.items():
            for value in values:
                payloads = [("cbor2", cbor2.dumps(value))]
                payloads += [(name, shape(value, **opts)) for name, opts in SHAPES.items()]
                for name, payload in payloads:
                    jobs.append(["decode", command, payload.hex()])
                    expected.append((command, value, name, show(value)))
        for (command, value, name, lines), p in zip(expected, run_all(jobs)):
            with self.subTest(command=command, value=value, shape=name):
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertEqual(p.stdout.splitlines(), lines)

    def test_each_wrong_type_and_missing_key_is_named(self):
        jobs, expected = [], []
        for command, (show, values, required) in DECODERS.items():
            for value in values:
                for path, child, field in walk(value):
                    name = path_name(path)
                    for new, type_name in wrong_values(child):
                        changed = with_change(value, path, new)
                        jobs.append(["decode", command, cbor2.dumps(changed).hex()])
                        expected.append((command, changed,
                                         f"response key '{name}' is {type_name}, expected"))
                    if not field:
                        continue
                    changed = with_change(value, path, remove=True)
                    jobs.append(["decode", command, shape(changed, indefinite=True).hex()])
                    if path[-1] in required:
                        expected.append((command, changed, f"response key '{name}' is missing"))
                    else:
                        expected.append((command, changed, show(changed)))
        for (command, changed, outcome), p in zip(expected, run_all(jobs)):
            with self.subTest(command=command, response=changed):
                if isinstance(outcome, list):
                    self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                    self.assertEqual(p.stdout.splitlines(), outcome)
                else:
                    self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                    self.assertIn(outcome, p.stdout)
                    self.assertIn("malformed response", p.stdout)

    def test_device_errors_from_every_decoder(self):
        jobs = []
        for command in DECODERS:
            jobs.append(["decode", command, cbor2.dumps({"rc": 8}).hex()])
            jobs.append(["decode", command, indefinite_map([
                ("err", cbor2.dumps({"group": 1, "rc": 12})), ("o", cbor2.dumps("x"))]).hex()])
            jobs.append(["decode", command, cbor2.dumps({"rc": 1, "rsn": "magic"}).hex()])
        for i, p in enumerate(run_all(jobs)):
            with self.subTest(command=jobs[i][1], response=jobs[i][2]):
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertIn(["os: MGMT_ERR_ENOTSUP (rc 8)",
                               "image: IMG_MGMT_ERR_FLASH_WRITE_FAILED (rc 12)",
                               "MGMT_ERR_EUNKNOWN (rc 1)"][i % 3], p.stdout)

    def test_payloads_that_are_not_a_map(self):
        jobs = [["decode", command, payload.hex()] for command in DECODERS
                for payload in (b"", cbor2.dumps([1]), cbor2.dumps("x"), b"\xbf\x61a",
                                cbor2.dumps({}) + b"\x00")]
        for args, p in zip(jobs, run_all(jobs)):
            with self.subTest(command=args[1], payload=args[2]):
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertIn("malformed response", p.stdout)

    def test_counts_larger_than_the_payload_are_refused_before_allocating(self):
        # libcbor would allocate and clear 32 GiB for the first, 64 GiB for the second
        for payload in (b"\xa1\x61a\x9a\xff\xff\xff\xff", b"\xbb" + b"\xff" * 8,
                        b"\x82\x00\x9a\x73\x74\x65\x61"):
            with self.subTest(payload=payload.hex()):
                p = decode("img-state", payload)
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertIn("claims more items than there are bytes", p.stdout)

    def test_garbage_never_crashes_any_decoder(self):
        rng = random.Random(4321)
        jobs = []
        for command, (_, values, _) in DECODERS.items():
            goods = [cbor2.dumps(v) for v in values]
            goods += [shape(v, indefinite=True, extra=True) for v in values]
            for _ in range(100):
                data = bytearray(rng.choice(goods))
                for _ in range(rng.randint(1, 4)):
                    if data and rng.random() < 0.8:
                        data[rng.randrange(len(data))] = rng.randrange(256)
                    else:
                        data.insert(rng.randint(0, len(data)), rng.randrange(256))
                jobs.append(["decode", command, bytes(data[:rng.randint(0, len(data))]).hex()])
        for args, p in zip(jobs, run_all(jobs)):
            with self.subTest(command=args[1], payload=args[2]):
                self.assertIn(p.returncode, (0, 1), p.stdout + p.stderr)


class Specifics(unittest.TestCase):
    """What the generic checks cannot say: limits, the shapes only some devices send."""

    def expect(self, command, payload, lines=None, error=None):
        p = decode(command, payload)
        if error is None:
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertEqual(p.stdout.splitlines(), lines)
        else:
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn(error, p.stdout)

    def test_image_hash_longer_than_64_bytes_is_malformed(self):
        self.expect("img-state", cbor2.dumps({"images": [{"slot": 0}, {"slot": 1,
                                                                       "hash": bytes(65)}]}),
                    error="response key 'images[1].hash' is 65 bytes, more than 64")

    def test_image_state_entry_that_is_not_a_map(self):
        self.expect("img-state", cbor2.dumps({"images": [{"slot": 0}, "x"]}),
                    error="response key 'images[1]' is a text string, expected a map")
        self.expect("img-slot-info", cbor2.dumps({"images": [{"image": 0, "slots": [7]}]}),
                    error="response key 'images[0].slots[0]' is an unsigned integer, "
                          "expected a map")

    def test_integers_beyond_the_fields_range(self):
        self.expect("img-state", cbor2.dumps({"images": [{"slot": 0, "image": 2**63}]}),
                    error="'images[0].image' is 9223372036854775808, more than "
                          "9223372036854775807")
        self.expect("taskstat", cbor2.dumps({"tasks": {"t": {"prio": 2**63, "tid": 0,
                                                             "state": 0}}}),
                    error="'tasks.t.prio' is out of the range of a 64-bit signed integer")
        self.expect("taskstat", cbor2.dumps({"tasks": {"t": {"prio": -2**64, "tid": 0,
                                                             "state": 0}}}),
                    error="'tasks.t.prio' is out of the range of a 64-bit signed integer")
        self.expect("settings-read", cbor2.dumps({"val": b"", "max_size": -1}),
                    error="'max_size' is a negative integer, expected an unsigned integer")
        self.expect("enum-list", cbor2.dumps({"groups": [1, 65536]}),
                    error="response key 'groups[1]' is 65536, more than 65535")
        self.expect("enum-list", cbor2.dumps({"groups": [-1]}),
                    error="response key 'groups[0]' is a negative integer")
        self.expect("enum-single", cbor2.dumps({"group": 70000}),
                    error="response key 'group' is 70000, more than 65535")
        self.expect("enum-details", cbor2.dumps({"groups": [{"group": 2**64 - 1}]}),
                    error="response key 'groups[0].group' is 18446744073709551615, more than "
                          "65535")

    def test_named_maps_need_text_keys(self):
        self.expect("taskstat", cbor2.dumps({"tasks": {1: {"prio": 0, "tid": 0, "state": 0}}}),
                    error="response key 'tasks' has a key that is an unsigned integer, "
                          "expected a text string")
        self.expect("stat-show", cbor2.dumps({"name": "s", "fields": {b"k": 1}}),
                    error="response key 'fields' has a key that is a byte string")
        self.expect("fs-hash-types", cbor2.dumps({"types": {"crc32": 0}}),
                    error="response key 'types.crc32' is an unsigned integer, expected a map")
        self.expect("mpstat", cbor2.dumps({"mpools": {"h": {"nblks": 1}}}),
                    error="response key 'mpools.h.nfree' is missing")
        self.expect("mpstat", cbor2.dumps({"tasks": []}),
                    error="response key 'tasks' is an array, expected a map")

    def test_memory_pools_at_the_top_level(self):
        heap = {"blksiz": 1, "nblks": 10, "nfree": 5, "min": 2}
        value = {"rc": 0, "heap0": heap, "sys": {"nblks": 3, "nfree": 3}, "other": {"a": 1},
                 "n": 5}
        for name, payload in (("definite", cbor2.dumps(value)),
                              ("indefinite reordered", shape(value, indefinite=True,
                                                             reorder=True, extra=True))):
            with self.subTest(shape=name):
                lines = show_mpstat(value if name == "definite" else
                                    dict(reversed(list(value.items()))))
                self.expect("mpstat", payload, lines)
        self.expect("mpstat", indefinite_map([(1, cbor2.dumps(heap))]), ["count=0"])
        self.expect("mpstat", cbor2.dumps({"heap0": {"nblks": 1, "nfree": "x"}}),
                    error="response key 'heap0.nfree' is a text string")

    def test_legacy_shell_answer_is_the_commands_result(self):
        self.expect("shell", cbor2.dumps({"o": "not found\r\n", "rc": -8}),
                    ["o=not found\\x0d\\x0a", "ret=-8"])
        self.expect("shell", indefinite_map([("rc", cbor2.dumps(0)), ("o", cbor2.dumps(""))]),
                    ["o=", "ret=0"])
        self.expect("shell", cbor2.dumps({"o": "x", "ret": 3, "rc": 3}), ["o=x", "ret=3"])
        self.expect("shell", cbor2.dumps({"o": "x", "rc": 5, "rsn": "why"}), ["o=x", "ret=5"])
        self.expect("shell", cbor2.dumps({"rc": 3}), error="MGMT_ERR_EINVAL (rc 3)")
        self.expect("shell", cbor2.dumps({"err": {"group": 9, "rc": 3}, "o": ""}),
                    error="SHELL_MGMT_ERR_EMPTY_COMMAND (rc 3)")
        self.expect("shell", cbor2.dumps({"o": 1, "rc": 2}),
                    error="response key 'o' is an unsigned integer, expected a text string")
        self.expect("shell", cbor2.dumps({"o": "x", "rc": "2"}),
                    error="response key 'rc' is a text string")
        self.expect("shell", cbor2.dumps({"o": "x"}), error="response key 'ret' is missing")

    def test_file_hash_output_of_another_type(self):
        self.expect("fs-hash", cbor2.dumps({"type": "crc32", "len": 1, "output": -1}),
                    error="response key 'output' is a negative integer, expected an unsigned "
                          "integer or a byte string")
        self.expect("fs-hash", cbor2.dumps({"type": "crc32", "len": 1}),
                    error="response key 'output' is missing")

    def test_error_keys_are_checked_like_the_others(self):
        self.expect("status", cbor2.dumps({"err": {"group": 1, "rc": 0}}), ["ok"])
        self.expect("status", indefinite_map([("err", cbor2.dumps({"rc": 1}))]),
                    error="response key 'err.group' is missing")
        self.expect("status", cbor2.dumps({"err": {"group": 70000, "rc": 1}}),
                    error="response key 'err.group' is 70000, more than 65535")
        self.expect("status", cbor2.dumps({"err": {"group": 1, "rc": -1}}),
                    error="response key 'err.rc' is a negative integer, expected an unsigned "
                          "integer")
        self.expect("status", cbor2.dumps({"err": {"group": 1}}),
                    error="response key 'err.rc' is missing")
        self.expect("status", cbor2.dumps({"rc": 2**64 - 1}),
                    error="response key 'rc' is out of the range of a 64-bit signed integer")

    def test_upload_rc_beside_off(self):
        self.expect("img-upload", cbor2.dumps({"rc": 0, "off": 512}), ["off=512"])
        self.expect("img-upload", cbor2.dumps({"rc": 3}), error="MGMT_ERR_EINVAL (rc 3)")
        self.expect("img-upload", cbor2.dumps({"rc": 3, "off": 512}),
                    error="MGMT_ERR_EINVAL (rc 3)")
        self.expect("fs-upload", cbor2.dumps({"err": {"group": 8, "rc": 11}, "len": 20}),
                    error="FS_MGMT_ERR_FILE_OFFSET_NOT_VALID (rc 11)")


if __name__ == "__main__":
    unittest.main()
