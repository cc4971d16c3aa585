# SPDX-License-Identifier: Apache-2.0
"""Upgrade packages for tests: a zip holding manifest.json and MCUboot images, laid out as the
dfu_application.zip of a Zephyr sysbuild build, made in a (temporary) directory from the real
images of testdata/mcuboot."""
import json
import os
import zipfile

TESTDATA = os.path.join(os.environ["SHARED_DIR"], "testdata", "mcuboot")
with open(os.path.join(TESTDATA, "manifest.json")) as _f:
    _VERSIONS = {f["name"]: f.get("version") for f in json.load(_f)["files"]}

TYPES = {0: "application", 1: "network"}
BOARDS = {0: "nrf5340dk/nrf5340/cpuapp", 1: "nrf5340dk/nrf5340/cpunet"}


def image_path(name):
    """The path of one image of testdata/mcuboot."""
    return os.path.join(TESTDATA, name)


def entry(index, path, file=None):
    """The manifest entry of image @p index from the file @p path, as a sysbuild writes it."""
    name = file or os.path.basename(path)
    return {"file": name, "image_index": str(index), "type": TYPES.get(index, "application"),
            "board": BOARDS.get(index, "nrf5340dk/nrf5340/cpuapp"), "soc": "nrf5340",
            "size": os.path.getsize(path),
            "version_MCUBOOT": _VERSIONS.get(os.path.basename(path)) or "0.0.0+0",
            "load_address": 0x10000 * (index + 1), "modtime": 1700000000,
            "slot_index_primary": str(2 * index + 1), "slot_index_secondary": str(2 * index + 2)}


def make_package(directory, images, name="dfu_application.zip", edit=None, extra_files=None,
                 manifest_text=None, leave_out=(), compression=zipfile.ZIP_DEFLATED):
    """Write a package into @p directory and return its path.

    images: [(index, path), ...], each image put in under its base name.
    edit: called with the manifest (a dict) before it is written, to change it in place (what
        it returns is not used).
    extra_files: {name in the zip: bytes} added as they are.
    manifest_text: written as manifest.json instead of the manifest (str or bytes).
    leave_out: names of the zip not written (the manifest's "manifest.json" too).
    """
    manifest = {"format-version": 1, "time": 1700000000, "name": "dfu_application",
                "files": [entry(index, path) for index, path in images]}
    if edit is not None:
        edit(manifest)
    out = os.path.join(directory, name)
    with zipfile.ZipFile(out, "w", compression) as z:
        if "manifest.json" not in leave_out:
            z.writestr("manifest.json", manifest_text if manifest_text is not None
                       else json.dumps(manifest, indent=2))
        for _, path in images:
            if os.path.basename(path) not in leave_out:
                z.write(path, os.path.basename(path))
        for member, data in (extra_files or {}).items():
            z.writestr(member, data)
    return out
