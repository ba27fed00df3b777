#!/usr/bin/env python3
"""Checks the layering rule of docs/ARCHITECTURE.md over the #include lines
of src/: each stage includes only the stages listed for it below.
Not for system headers (<...>) or tests, which may include anything.

Usage: tests/layering/check_layers.py [SRCDIR]   (default: src next to tests/)
Prints each violation as FILE:LINE and exits 1 when there is one."""
import os
import re
import sys

# Stage -> stages whose headers it may include (its own is always allowed).
ALLOWED = {
    "lib": set(),
    "proc": {"lib"},
    "packet": {"lib"},
    "fallback": {"lib", "proc", "packet"},
    # ebpf.c falls back to the libpcap backend (--backend auto/pcap)
    "capture": {"lib", "proc", "packet", "fallback"},
    "pcapfile": {"lib", "proc", "packet"},
    "cmd": {"lib", "proc", "packet", "capture", "fallback", "pcapfile"},
}
# Single headers a stage may include beyond ALLOWED: the fallback
# implements the backend interface that capture/ declares.
EXTRA = {
    "fallback": {"capture/capture.h"},
}
# Headers outside src/: records shared with the kernel (bpf/), and the
# generated skeletons, which only the eBPF backend loads.
OUTSIDE = {
    "records.h": set(ALLOWED),
    "pidcap.skel.h": {"capture"},
    "pidcap_compat.skel.h": {"capture"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "src")
    src = os.path.relpath(os.path.normpath(src))
    bad = 0
    nfiles = 0
    for root, _dirs, files in sorted(os.walk(src)):
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(root, name)
            stage = os.path.relpath(root, src).split(os.sep)[0]
            nfiles += 1
            if stage not in ALLOWED:
                print(f"{path}: not in a known stage ({', '.join(ALLOWED)})")
                bad += 1
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    inc = m.group(1)
                    why = verdict(stage, inc)
                    if why:
                        print(f"{path}:{lineno}: {stage}/ includes \"{inc}\": {why}")
                        bad += 1
    print(f"layering: {nfiles} files, {bad} violations")
    return 1 if bad else 0


def verdict(stage, inc):
    """None when stage may include inc, else the reason it may not."""
    if "/" not in inc:
        if stage in OUTSIDE.get(inc, ()):
            return None
        return "name the stage (\"lib/x.h\") or use a header from outside src/ that is allowed"
    target = inc.split("/")[0]
    if target not in ALLOWED:
        return f"{target}/ is not a stage"
    if target == stage or target in ALLOWED[stage] or inc in EXTRA.get(stage, ()):
        return None
    if not ALLOWED[stage]:
        return f"{stage}/ uses nothing else of src/"
    return f"{stage}/ may use only " + ", ".join(sorted(ALLOWED[stage]))


if __name__ == "__main__":
    sys.exit(main())
