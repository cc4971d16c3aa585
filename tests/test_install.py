# SPDX-License-Identifier: Apache-2.0
"""`make install DESTDIR=... PREFIX=/usr` stages the library (shared and static), its headers,
dfu-smp.pc and the dfu-smp CLI; examples/gateway.c then builds with nothing but
`pkg-config --cflags --libs dfu-smp` against the staged tree, runs on the staged shared library
and upgrades dfu-smp-sim's device, which the staged dfu-smp lists as confirmed."""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

import run_tool
from sim_device import SimDevice
from test_gateway import assert_upgraded, run_gateway

SOURCE_DIR = os.environ["SOURCE_DIR"]
CC = os.environ.get("CC") or "cc"
IMAGE = "04-rsa2048.bin"
IMAGES = os.path.join(os.environ["SHARED_DIR"], "testdata", "mcuboot")


@unittest.skipIf(os.environ.get("DFU_SMP_SANITIZE") == "ON",
                 "the normal build runs it: make install builds without the sanitizers")
class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dfu-smp-install-")
        cls.stage = os.path.join(cls.dir, "stage")
        env = dict(os.environ, CC=CC)
        env.pop("MAKEFLAGS", None)
        cls.make = subprocess.run(
            ["make", "-C", SOURCE_DIR, "install", "DESTDIR=" + cls.stage, "PREFIX=/usr",
             "BUILD_DIR=" + os.path.join(cls.dir, "build"),
             "CMAKE_ARGS=-DDFU_SMP_SIM=OFF -DDFU_SMP_TESTS=OFF"],
            capture_output=True, text=True, env=env, timeout=240)
        libdirs = glob.glob(os.path.join(cls.stage, "usr", "lib*", "**", "libdfu-smp.so"),
                            recursive=True)
        cls.libdir = os.path.dirname(libdirs[0]) if libdirs else None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def pkg_config(self, *args):
        env = dict(os.environ, PKG_CONFIG_SYSROOT_DIR=self.stage,
                   PKG_CONFIG_PATH=os.path.join(self.libdir, "pkgconfig"))
        p = subprocess.run(["pkg-config", *args, "dfu-smp"], capture_output=True, text=True,
                           env=env, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout.split()

    def test_stages_the_library_headers_pc_and_cli(self):
        self.assertEqual(self.make.returncode, 0, self.make.stdout + self.make.stderr)
        self.assertIsNotNone(self.libdir)
        for name in ("libdfu-smp.a", "libdfu-smp.so.0", "pkgconfig/dfu-smp.pc"):
            self.assertTrue(os.path.exists(os.path.join(self.libdir, name)), name)
        inc = os.path.join(self.stage, "usr", "include", "dfu-smp")
        for name in ("dfu-smp.h", "version.h", "export.h", "dfu/session.h", "smp/client.h"):
            self.assertTrue(os.path.isfile(os.path.join(inc, name)), name)
        # the internal headers stay in the tree
        self.assertFalse(glob.glob(os.path.join(inc, "**", "*reader*"), recursive=True))
        cli = os.path.join(self.stage, "usr", "bin", "dfu-smp")
        self.assertEqual(run_tool.run(cli, "--help").returncode, 0)
        # the manual page and the bash completion, as the build wrote them
        share = os.path.join(self.stage, "usr", "share")
        with open(os.path.join(share, "man", "man1", "dfu-smp.1")) as f:
            self.assertIn(".TH DFU\\-SMP 1", f.read())
        with open(os.path.join(share, "bash-completion", "completions", "dfu-smp")) as f:
            self.assertIn("complete ", f.read())
        self.assertEqual(self.pkg_config("--modversion"), ["0.1.0"])
        self.assertIn("-I" + os.path.join(self.stage, "usr", "include"),
                      self.pkg_config("--cflags"))

    def test_gateway_built_against_the_installed_library_upgrades(self):
        self.assertEqual(self.make.returncode, 0, self.make.stdout + self.make.stderr)
        gateway = os.path.join(self.dir, "gateway")
        p = subprocess.run([CC, "-std=c11", "-Wall", "-Wextra", "-Werror",
                            os.path.join(SOURCE_DIR, "examples", "gateway.c"), "-o", gateway,
                            *self.pkg_config("--cflags", "--libs")],
                           capture_output=True, text=True, timeout=120, cwd=self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        env = dict(os.environ, LD_LIBRARY_PATH=self.libdir)
        ldd = subprocess.run(["ldd", gateway], capture_output=True, text=True, env=env)
        self.assertIn("libdfu-smp.so.0 => " + os.path.join(self.libdir, "libdfu-smp.so.0"),
                      ldd.stdout)
        cli = os.path.join(self.stage, "usr", "bin", "dfu-smp")
        with SimDevice("--udp", "127.0.0.1:0", "--state", os.path.join(self.dir, "dev")) as dev:
            p = run_gateway(gateway, dev, os.path.join(IMAGES, IMAGE), env=env)
            assert_upgraded(self, p, dev, IMAGE, dfu_smp=cli)


if __name__ == "__main__":
    unittest.main()
