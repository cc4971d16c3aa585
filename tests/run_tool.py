# SPDX-License-Identifier: Apache-2.0
"""Runs one of the project's programs for a test, and fails the test if a sanitizer spoke."""
import subprocess

SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer")


def run(program, *args, timeout=120, stdin=None, env=None):
    p = subprocess.run([program, *args], capture_output=True, text=True, timeout=timeout,
                       input=stdin, env=env)
    for mark in SANITIZER_MARKS:
        if mark in p.stderr:
            raise AssertionError(f"{program} {' '.join(args)}: sanitizer report:\n{p.stderr}")
    return p
