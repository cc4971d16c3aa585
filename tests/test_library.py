# SPDX-License-Identifier: Apache-2.0
"""libdfu-smp as a program embedding it sees it: the shared library exports the public API and
nothing else, every name of the public headers carries the library's prefix (so none clashes
with Zephyr MCUmgr's smp_*, mgmt_*, MGMT_ERR_*...), each public header compiles on its own as
strict C11 without any other library's headers, the umbrella header includes them all, and
the version macros are the build's project() VERSION."""
import glob
import os
import re
import subprocess
import tempfile
import unittest

LIB = os.environ["DFU_SMP_LIB"]
SOURCE_DIR = os.environ["SOURCE_DIR"]
BUILD_INCLUDE = os.environ["BUILD_INCLUDE"]
CC = os.environ.get("CC") or "cc"
INCLUDE = os.path.join(SOURCE_DIR, "include")

PREFIXES = ("dfu_smp_", "DFU_SMP_", "bt_dfu_smp", "BT_DFU_SMP_")
# What the library's own parts use among themselves, and must not export.
INTERNAL = ("conn_gatt_init", "port_dgram_send", "dfu_smp_mgmt_reply_open",
            "dfu_smp_mgmt_cbor_load")
# A few of the API, one per layer.
API = ("dfu_smp_version", "dfu_smp_client_init", "bt_dfu_smp_init", "BT_DFU_SMP_UUID_SERVICE",
       "dfu_smp_mgmt_img_upload", "dfu_smp_session_upgrade", "dfu_smp_image_parse",
       "dfu_smp_conn_open", "dfu_smp_port_loop_run")
STD_HEADERS = ("stdarg.h", "stdbool.h", "stddef.h", "stdint.h")
# Words before "(" that name no function: keywords, and the return types of function pointers.
C_WORDS = {"sizeof", "_Alignof", "_Static_assert", "__attribute__", "visibility", "void", "int",
           "char", "unsigned", "_Bool", "bool", "size_t", "va_list"}
C_WORDS |= {f"{s}int{n}_t" for s in ("", "u") for n in (8, 16, 32, 64)}


def read(path):
    with open(path) as f:
        return f.read()


def public_headers():
    found = sorted(glob.glob(os.path.join(INCLUDE, "dfu-smp", "**", "*.h"), recursive=True))
    found.append(os.path.join(BUILD_INCLUDE, "dfu-smp", "version.h"))
    return [os.path.relpath(h, INCLUDE if h.startswith(INCLUDE) else BUILD_INCLUDE)
            for h in found]


def compile_text(text, *flags):
    with tempfile.NamedTemporaryFile("w", suffix=".c") as src:
        src.write(text)
        src.flush()
        return subprocess.run([CC, "-std=c11", "-pedantic-errors", "-Wall", "-Wextra", "-Werror",
                               "-I", INCLUDE, "-I", BUILD_INCLUDE, *flags, src.name],
                              capture_output=True, text=True, timeout=60)


class Library(unittest.TestCase):
    def test_exports_the_api_and_nothing_else(self):
        p = subprocess.run(["nm", "-D", "--defined-only", LIB], capture_output=True, text=True,
                           check=True)
        names = [line.split()[-1] for line in p.stdout.splitlines() if line.strip()]
        # (a sanitizer build adds its own markers for the exported variables)
        stray = [n for n in names if not n.startswith(PREFIXES + ("__odr_asan.",))]
        self.assertEqual(stray, [], "exported without the library's prefix")
        for name in API:
            self.assertIn(name, names)
        for name in INTERNAL:
            self.assertNotIn(name, names)

    def test_soname_is_the_major_version(self):
        major = version_macros()["DFU_SMP_VERSION_MAJOR"]
        p = subprocess.run(["objdump", "-p", LIB], capture_output=True, text=True, check=True)
        self.assertRegex(p.stdout, r"SONAME\s+libdfu-smp\.so\.%s\n" % major)

    def test_each_public_header_stands_alone_in_strict_c11(self):
        for h in public_headers():
            with self.subTest(header=h):
                p = compile_text(f"#include <{h}>\n#include <{h}>\ntypedef int tu_not_empty;\n",
                                 "-fsyntax-only")
                self.assertEqual(p.returncode, 0, p.stderr)

    def test_public_headers_need_no_other_library(self):
        def deps(text):
            p = compile_text(text, "-M")
            self.assertEqual(p.returncode, 0, p.stderr)
            return set(p.stdout.replace("\\\n", " ").split()[2:])

        std = deps("".join(f"#include <{h}>\n" for h in STD_HEADERS))
        for h in public_headers():
            with self.subTest(header=h):
                others = sorted(d for d in deps(f"#include <{h}>\n") - std
                                if not d.startswith((INCLUDE, BUILD_INCLUDE)))
                self.assertEqual(others, [], "headers of other libraries")
                text = read(os.path.join(INCLUDE if h != "dfu-smp/version.h" else BUILD_INCLUDE,
                                         h))
                self.assertNotIn("cbor_item_t", text)

    def test_umbrella_header_includes_every_public_header(self):
        text = read(os.path.join(INCLUDE, "dfu-smp", "dfu-smp.h"))
        included = set(re.findall(r"#include <(dfu-smp/[^>]+)>", text))
        self.assertEqual(included, set(public_headers()) - {"dfu-smp/dfu-smp.h"})

    def test_every_public_name_has_the_prefix(self):
        base = compile_text("".join(f"#include <{h}>\n" for h in STD_HEADERS), "-E", "-dM")
        umbrella = compile_text("#include <dfu-smp/dfu-smp.h>\n", "-E", "-dM")
        self.assertEqual(umbrella.returncode, 0, umbrella.stderr)
        macros = {line.split()[1].split("(")[0] for line in umbrella.stdout.splitlines()}
        macros -= {line.split()[1].split("(")[0] for line in base.stdout.splitlines()}
        code = own_code(compile_text("#include <dfu-smp/dfu-smp.h>\n", "-E").stdout)
        names = set(macros)
        names |= set(re.findall(r"\b(?:struct|enum|union)\s+(\w+)", code))
        for body in re.findall(r"\benum\s*\w*\s*\{([^}]*)\}", code):
            names |= {m.group(1) for m in re.finditer(r"(?:^|,)\s*(\w+)", body)}
        names |= set(re.findall(r"typedef[^;]*?\(\s*\*\s*(\w+)\s*\)", code))
        names |= set(re.findall(r"typedef\s+[^;(]*?\b(\w+)\s*;", code))
        names |= set(re.findall(r"\b(\w+)\s*\(", code)) - C_WORDS  # functions
        self.assertGreater(len(names), 500)
        # struct pollfd is <poll.h>'s, declared (not defined) for dfu_smp_port_poll()
        stray = sorted(n for n in names if not n.startswith(PREFIXES) and
                       n not in ("DFU_SMP_API", "bt_dfu_smp", "pollfd"))
        self.assertEqual(stray, [])

    def test_version_macros_are_the_project_version(self):
        cmake = read(os.path.join(SOURCE_DIR, "CMakeLists.txt"))
        version = re.search(r"project\(dfu-smp VERSION (\d+)\.(\d+)\.(\d+)", cmake).groups()
        m = version_macros()
        self.assertEqual((m["DFU_SMP_VERSION_MAJOR"], m["DFU_SMP_VERSION_MINOR"],
                          m["DFU_SMP_VERSION_PATCH"]), version)
        self.assertEqual(m["DFU_SMP_VERSION"], '"%s"' % ".".join(version))


def own_code(preprocessed):
    """The lines of @p preprocessed (cc -E output) that came from the library's headers."""
    keep, out = False, []
    for line in preprocessed.splitlines():
        m = re.match(r'# \d+ "([^"]+)"', line)
        if m:
            keep = m.group(1).startswith((INCLUDE, BUILD_INCLUDE))
        elif keep:
            out.append(line)
    return "\n".join(out)


def version_macros():
    text = read(os.path.join(BUILD_INCLUDE, "dfu-smp", "version.h"))
    return dict(re.findall(r"#define (DFU_SMP_VERSION\w*) (\S+)", text))


if __name__ == "__main__":
    unittest.main()
