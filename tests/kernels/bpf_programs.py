#!/usr/bin/env python3
"""Loads each program of an eBPF object file alone and prints the verifier's verdict.

For: the guests of `make check-kernels`, after pidcap failed: pidcap stops at
the first program the kernel rejects, this names every one, each with the end
of its verifier log. Uses libbpf through ctypes (the library pidcap links).
The settings in .rodata keep their defaults, so a verdict can differ from
pidcap's own load where a setting prunes code. Not for: pidcap's loading.

Usage: python3 bpf_programs.py OBJECT.bpf.o...   prints `PROG name (section): OK|FAIL -errno`
"""

import ctypes
import sys

LOG_SIZE = 16 << 20
LOG_LINES = 200  # verifier lines shown per failing program (its last ones)

lib = ctypes.CDLL("libbpf.so.1")
P = ctypes.c_void_p
for name, res, args in (
        ("bpf_object__open_file", P, [ctypes.c_char_p, P]),
        ("bpf_object__next_program", P, [P, P]),
        ("bpf_object__load", ctypes.c_int, [P]),
        ("bpf_object__close", None, [P]),
        ("bpf_program__name", ctypes.c_char_p, [P]),
        ("bpf_program__section_name", ctypes.c_char_p, [P]),
        ("bpf_program__set_autoload", ctypes.c_int, [P, ctypes.c_bool]),
        ("bpf_program__set_log_buf", ctypes.c_int, [P, ctypes.c_char_p, ctypes.c_size_t]),
        ("bpf_program__set_log_level", ctypes.c_int, [P, ctypes.c_uint32])):
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = res, args


def programs(obj):
    prog = lib.bpf_object__next_program(obj, None)
    while prog:
        yield prog, lib.bpf_program__name(prog).decode()
        prog = lib.bpf_object__next_program(obj, prog)


def open_object(path):
    obj = lib.bpf_object__open_file(path.encode(), None)
    if not obj:
        raise OSError(f"cannot open {path}")
    return obj


def check(path):
    """Prints one verdict per program of path; returns how many failed."""
    obj = open_object(path)
    names = [name for _, name in programs(obj)]
    lib.bpf_object__close(obj)
    failed = 0
    log = ctypes.create_string_buffer(LOG_SIZE)
    for want in names:
        obj = open_object(path)
        section = ""
        for prog, name in programs(obj):
            lib.bpf_program__set_autoload(prog, name == want)
            if name == want:
                section = lib.bpf_program__section_name(prog).decode()
                lib.bpf_program__set_log_buf(prog, log, LOG_SIZE)
                lib.bpf_program__set_log_level(prog, 1)
        log.value = b""
        sys.stderr.flush()
        err = lib.bpf_object__load(obj)  # libbpf's own warnings go to stderr
        print(f"PROG {want} ({section}): {'OK' if err == 0 else f'FAIL {err}'}", flush=True)
        if err:
            failed += 1
            for line in log.value.decode(errors="replace").splitlines()[-LOG_LINES:]:
                print(f"    {line}", flush=True)
        lib.bpf_object__close(obj)
    return failed


def main():
    failed = 0
    for path in sys.argv[1:]:
        print(f"=== {path}", flush=True)
        failed += check(path)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
