#!/usr/bin/env python3
"""Checks docs/pidcap.8: groff renders it without warnings, and every option
that `pidcap --help`, `pidcap top --help` and `pidcap exporter --help` print
appears in it, so the page cannot silently fall behind src/options.c.
Usage: tests/docs/check_manpage.sh [PIDCAP]   (default build/pidcap)
Prints "manpage: N passed, N failed" last; exits 1 on any failure."""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGE = os.path.join(ROOT, "docs", "pidcap.8")
PIDCAP = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "pidcap")
MODES = [[], ["top"], ["exporter"]]
passed = failed = 0


def result(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


def help_options(mode):
    out = subprocess.run([PIDCAP] + mode + ["--help"], capture_output=True,
                         text=True, check=True).stdout
    # Option lines of the table: two spaces, then -x or --long.
    return re.findall(r"^\s{2,}(--?[A-Za-z][A-Za-z0-9-]*)", out, re.M)


def main():
    if not shutil.which("groff"):
        result(False, "groff is not installed (scripts/install-deps.sh --test installs groff-base)")
    else:
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", PAGE],
                           capture_output=True, text=True)
        warnings = (r.stdout + r.stderr).strip()
        result(r.returncode == 0 and not warnings,
               "groff -man -Tutf8 -ww -z docs/pidcap.8: exit %d: %s" % (r.returncode, warnings))
    with open(PAGE, encoding="utf-8") as f:
        src = f.read()
    # roff source -> plain words: \- is a minus, \fB..\fR are fonts.
    src = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", src).replace("\\-", "-")
    total = 0
    for mode in MODES:
        name = " ".join(["pidcap"] + mode)
        try:
            opts = help_options(mode)
        except (OSError, subprocess.CalledProcessError) as e:
            result(False, "%s --help: %s" % (name, e))
            continue
        result(len(opts) >= 3, "%s --help: found only %d options" % (name, len(opts)))
        for opt in opts:
            total += 1
            found = re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", src)
            result(bool(found), "%s option %s is not in docs/pidcap.8" % (name, opt))
    print("manpage: %d options of %d modes checked" % (total, len(MODES)))
    print("manpage: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
