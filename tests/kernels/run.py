#!/usr/bin/env python3
"""`make check-kernels`: boots Debian kernels under qemu and runs the accuracy test inside.

For: each kernel listed in tests/kernels/kernels.txt: resolve the Debian
package (from the configured apt sources, or a `suite SUITE` line's Debian
suite through a private apt setup in the cache), download it once (apt-get
download) into a cache outside the clone, unpack its kernel, boot it under
qemu (TCG) with the initramfs of mkinitramfs.sh, and read the guest's
`PIDCAP-KERNEL-RESULT` line from the serial console. Prints the hooks pidcap
chose and the accuracy table of each kernel, and ends with `check-kernels: N
passed, N failed`; exit 1 on any failure. A kernel that cannot be resolved,
downloaded or booted is a failure.
Not for: the running kernel (make e2e tests it), nor the m-veth case (veth is
a module in Debian's kernels and the guest has no modules).

Usage: python3 tests/kernels/run.py [--pidcap build/pidcap] [--out build/kernels]
           [--kernels FILE] [--only TEXT] [--variant full|compat]
Environment: PIDCAP_KERNEL_CACHE (default /var/cache/pidcap-kernels),
PIDCAP_KERNEL_ACCEL (qemu accelerator, default tcg).
"""

import argparse
import glob
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
import workload  # noqa: E402

NAME = "check-kernels"
DEFAULT_LIST = os.path.join(HERE, "kernels.txt")
CACHE = os.environ.get("PIDCAP_KERNEL_CACHE", "/var/cache/pidcap-kernels")
ACCEL = os.environ.get("PIDCAP_KERNEL_ACCEL", "tcg")
EXCLUDED = {"m-veth": "veth is a module in Debian's kernels; the guest loads none"}
# Measured under TCG on 2 cores: boot 4-6 s, accuracy.py 10-11 s, 15 s a kernel.
TIMEOUT_SCALE = 4      # the workload's timeouts under emulation (PIDCAP_E2E_TIMEOUT_SCALE)
TEST_LIMIT = 180       # seconds the guest gives accuracy.py
BOOT_LIMIT = 180       # seconds more: booting, the diagnosis after a failure, power-off
APPEND = "console=ttyS0 panic=-1 quiet"
QEMU = ["qemu-system-x86_64", "-accel", ACCEL, "-nographic", "-m", "2048", "-smp", "2",
        "-no-reboot", "-nic", "none"]
RESULT_RE = re.compile(r"^PIDCAP-KERNEL-RESULT (\S+) (PASS|FAIL) ?(.*)$")
# Guest output kept in build/kernels/<release>-<name>.log after a failure
SAVED_BEGIN = {"PIDCAP-VERBOSE-BEGIN": "pidcap-vv", "PIDCAP-PROGRAMS-BEGIN": "bpf-programs"}
SAVED_END = {"PIDCAP-VERBOSE-END", "PIDCAP-PROGRAMS-END"}
SAVED_TITLE = {"pidcap-vv": "pidcap -vv -- true on this kernel",
               "bpf-programs": "every eBPF program loaded alone (bpf_programs.py)"}
MARKER_RE = re.compile(r"PIDCAP-(GUEST-UP|KERNEL-[A-Z]+|VERBOSE-[A-Z]+|PROGRAMS-[A-Z]+)\b")
ESCAPE_RE = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|.)")  # terminal control sequences


class KernelError(Exception):
    """This kernel cannot be tested: the message says why."""


def log(msg=""):
    print(msg, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def tail(text, n=5):
    return " / ".join(line.strip() for line in text.strip().splitlines()[-n:])


# ---- which kernels ----------------------------------------------------------

def read_list(path):
    """kernels.txt -> [(spec, line number)]: `[suite SUITE] PACKAGE` or
    `[suite SUITE] newest REGEX`."""
    specs = []
    with open(path) as f:
        for num, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if line:
                specs.append((line, num))
    return specs


def split_suite(spec):
    """`suite unstable linux-image-amd64` -> ("unstable", "linux-image-amd64");
    a line without `suite` -> (None, spec): the configured apt sources."""
    words = spec.split()
    if words[0] != "suite":
        return None, spec
    if len(words) < 3 or not re.fullmatch(r"[a-z][a-z0-9-]*", words[1]):
        raise KernelError(f"{spec}: expected `suite SUITE PACKAGE` or "
                          f"`suite SUITE newest REGEX`")
    return words[1], spec.split(None, 2)[2]


MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


class Apt:
    """apt-cache look-ups and apt-get download, from the configured apt sources
    (suite None: one `apt-get update` when a look-up finds nothing) or from one
    Debian suite through a private apt setup under CACHE/apt/SUITE (its own
    sources list, index and status: /etc/apt stays as it is), whose index is
    refreshed once per run, before its first look-up."""

    def __init__(self, suite=None):
        self.suite = suite
        self.updated = False
        self.opts = []
        if suite is None:
            return
        self.dir = os.path.join(CACHE, "apt", suite)
        sources = os.path.join(self.dir, "sources.list")
        status = os.path.join(self.dir, "status")
        for sub in ("lists/partial", "cache/archives/partial", "sources.list.d",
                    "preferences.d"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        with open(sources, "w") as f:
            f.write(f"deb [signed-by={KEYRING}] {MIRROR} {suite} main\n")
        if not os.path.exists(status):
            open(status, "w").close()   # nothing installed: the candidate is the suite's
        opts = {
            "Dir::Etc::SourceList": sources,
            "Dir::Etc::SourceParts": os.path.join(self.dir, "sources.list.d"),
            "Dir::Etc::Preferences": os.path.join(self.dir, "preferences"),
            "Dir::Etc::PreferencesParts": os.path.join(self.dir, "preferences.d"),
            "Dir::State::Lists": os.path.join(self.dir, "lists"),
            "Dir::State::status": status,
            "Dir::Cache": os.path.join(self.dir, "cache"),
            "Acquire::Check-Valid-Until": "false",  # unstable's Release may have expired
            "Acquire::Languages": "none",
        }
        for key, value in opts.items():
            self.opts += ["-o", f"{key}={value}"]

    def apt(self, tool, *args, **kw):
        return run([tool, *self.opts, *args], **kw)

    def update(self):
        """Runs apt-get update once; returns whether it ran now."""
        if self.updated:
            return False
        self.updated = True
        what = f"apt-get update ({self.suite}, index in {self.dir})" if self.suite else \
            "apt-get update"
        log(f"{NAME}: {what}")
        t0 = time.monotonic()
        res = self.apt("apt-get", "update", "-qq", timeout=600)
        errors = [line for line in res.stderr.splitlines() if not line.startswith("W:")]
        if res.returncode != 0 or (self.suite and errors):
            log(f"{NAME}: apt-get update failed: {tail(res.stderr)}")
            if self.suite and not glob.glob(os.path.join(self.dir, "lists", "*Packages*")):
                raise KernelError(f"cannot fetch the index of Debian {self.suite} "
                                  f"(apt-get update exited {res.returncode}; no network?): "
                                  f"{tail(res.stderr)}")
        elif self.suite:
            log(f"{NAME}: {self.suite} index refreshed in {time.monotonic() - t0:.1f} s")
        return True

    def newest(self, regex):
        pattern = re.compile(regex)
        while True:
            res = self.apt("apt-cache", "search", "--names-only", f"^{regex}$")
            names = [line.split()[0] for line in res.stdout.splitlines() if line.strip()]
            names = [n for n in names if pattern.fullmatch(n)]
            if names:
                return max(names, key=natural)
            if not self.update():
                raise KernelError(f"apt-cache search finds no package matching ^{regex}$"
                                  + (f" in {self.suite}" if self.suite else ""))

    def version(self, pkg):
        """The candidate version of pkg, or None when apt does not know it."""
        res = self.apt("apt-cache", "show", "--no-all-versions", pkg)
        m = re.search(r"^Version: (\S+)$", res.stdout, re.M)
        return m.group(1) if m else None

    def image(self, spec):
        """(package, version) of the kernel image a kernels.txt line names
        (without its `suite SUITE`)."""
        if self.suite:
            self.update()
        pkg = self.newest(spec.split(None, 1)[1]) if spec.startswith("newest ") else spec
        for _ in range(4):
            ver = self.version(pkg)
            if ver is None and self.update():
                ver = self.version(pkg)
            if ver is None:
                raise KernelError(f"apt does not know package {pkg} (apt-cache show"
                                  + (f", {self.suite})" if self.suite else ")"))
            deps = self.apt("apt-cache", "depends", pkg).stdout
            # a metapackage: follow it to the image; in Debian unstable (14)
            # linux-image-R holds no kernel and depends on linux-binary-R, whose
            # ./usr/lib/modules/R/vmlinuz fetch() unpacks
            images = re.findall(r"^\s*Depends: (linux-image-\S+)$", deps, re.M) or \
                re.findall(r"^\s*Depends: (linux-binary-\S+)$", deps, re.M)
            if not images:
                return pkg, ver
            pkg = images[0]
        raise KernelError(f"{spec}: no kernel image after following 4 metapackages")

    def download(self, pkg, ver, cwd):
        return self.apt("apt-get", "download", f"{pkg}={ver}", cwd=cwd, timeout=600)


def natural(name):
    """Sort key that puts linux-image-6.1.0-10 after linux-image-6.1.0-9."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


# ---- the kernel image, cached -------------------------------------------------

def cached_deb(pkg, ver):
    for deb in glob.glob(os.path.join(CACHE, "debs", f"{glob.escape(pkg)}_*.deb")):
        if run(["dpkg-deb", "-f", deb, "Version"]).stdout.strip() == ver:
            return deb
    return None


def fetch(apt, pkg, ver):
    """Path of the vmlinuz of pkg=ver, downloading and unpacking it once."""
    boot = os.path.join(CACHE, "boot", f"{pkg}_{ver}")
    found = glob.glob(os.path.join(boot, "vmlinuz-*"))
    if found:
        return found[0], "cached"
    os.makedirs(os.path.join(CACHE, "debs"), exist_ok=True)
    how = "cached .deb"
    deb = cached_deb(pkg, ver)
    if deb is None:
        how = "downloaded"
        tmp = tempfile.mkdtemp(prefix="download-", dir=CACHE)
        try:
            res = apt.download(pkg, ver, tmp)
            debs = glob.glob(os.path.join(tmp, "*.deb"))
            if res.returncode != 0 or len(debs) != 1:
                errors = "\n".join(line for line in res.stderr.splitlines()
                                   if not line.startswith("W:")) or res.stderr
                raise KernelError(f"cannot download {pkg}={ver} (apt-get download exited "
                                  f"{res.returncode}; no network?): {tail(errors)}")
            deb = os.path.join(CACHE, "debs", os.path.basename(debs[0]))
            os.replace(debs[0], deb)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix="unpack-", dir=CACHE)
    try:
        # Debian 12's images: ./boot/vmlinuz-R (with config-R); Debian 14's
        # linux-binary-R: ./usr/lib/modules/R/vmlinuz only, put in boot/vmlinuz-R
        res = subprocess.run(f"dpkg-deb --fsys-tarfile '{deb}' | tar -t",
                             shell=True, capture_output=True, text=True)
        members = res.stdout.splitlines()
        moved = [m for m in members if re.fullmatch(r"\./usr/lib/modules/[^/]+/vmlinuz", m)]
        member = "./boot" if "./boot/" in members or not moved else moved[0]
        res = subprocess.run(f"dpkg-deb --fsys-tarfile '{deb}' | tar -x -C '{tmp}' '{member}'",
                             shell=True, capture_output=True, text=True)
        if res.returncode == 0 and member != "./boot":
            os.mkdir(os.path.join(tmp, "boot"))
            release = member.split("/")[-2]
            os.replace(os.path.join(tmp, member), os.path.join(tmp, "boot", f"vmlinuz-{release}"))
        found = glob.glob(os.path.join(tmp, "boot", "vmlinuz-*"))
        if res.returncode != 0 or not found:
            raise KernelError(f"cannot unpack ./boot/vmlinuz-* or ./usr/lib/modules/*/vmlinuz "
                              f"from {deb}: {tail(res.stderr)}")
        os.makedirs(os.path.dirname(boot), exist_ok=True)
        shutil.rmtree(boot, ignore_errors=True)
        os.replace(os.path.join(tmp, "boot"), boot)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return glob.glob(os.path.join(boot, "vmlinuz-*"))[0], how


def prune(keep, suites):
    """Removes cached images and .debs of packages no longer listed or older,
    and the private apt setups of suites no longer listed."""
    for path in glob.glob(os.path.join(CACHE, "apt", "*")):
        if os.path.basename(path) not in suites:
            shutil.rmtree(path, ignore_errors=True)
    keep_boot = {f"{pkg}_{ver}" for pkg, ver in keep}
    for path in glob.glob(os.path.join(CACHE, "boot", "*")):
        if os.path.basename(path) not in keep_boot:
            shutil.rmtree(path, ignore_errors=True)
    keep_debs = {cached_deb(pkg, ver) for pkg, ver in keep}
    for path in glob.glob(os.path.join(CACHE, "debs", "*.deb")):
        if path not in keep_debs:
            os.unlink(path)


# ---- one boot -------------------------------------------------------------------

class Boot:
    """One qemu run: the serial console goes to a log file, line by line."""

    def __init__(self, vmlinuz, initrd, append, log_path, limit):
        self.lines, self.times = [], {}
        self.saved = {}   # guest section name -> its lines (pidcap -vv, bpf_programs.py)
        self.result = None
        self.timed_out = False
        self.start = time.monotonic()
        cmd = QEMU + ["-kernel", vmlinuz, "-initrd", initrd, "-append", append]
        with open(log_path, "wb") as logf:
            logf.write(("# " + " ".join(cmd) + "\n").encode())
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            try:
                self._read(proc, logf, limit)
            finally:
                if proc.poll() is None:  # still running: this boot's qemu, by its pid
                    proc.kill()
                proc.wait()
                proc.stdout.close()
        self.exit = proc.returncode
        self.total = time.monotonic() - self.start

    def _read(self, proc, logf, limit):
        fd, buf = proc.stdout.fileno(), b""
        deadline = self.start + limit
        section = None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.timed_out = True
                return
            if self.result and "end" not in self.times:
                self.times["end"] = time.monotonic()
                deadline = min(deadline, time.monotonic() + 30)  # time to power off
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            logf.write(chunk)
            logf.flush()
            buf += chunk
            *done, buf = buf.split(b"\n")
            for raw in done:
                line = ESCAPE_RE.sub("", raw.decode(errors="replace")).rstrip("\r")
                section = self._line(line, section)

    def _line(self, line, section):
        """Keeps the lines worth showing; returns the section they are in."""
        marker = MARKER_RE.search(line)  # may follow firmware output on one line
        if marker:
            line = line[marker.start():]
        word = line.split(" ", 1)[0]
        if word == "PIDCAP-GUEST-UP":
            self.times["up"] = time.monotonic()
        elif word == "PIDCAP-KERNEL-BEGIN":
            return "test"
        elif word == "PIDCAP-KERNEL-END":
            self.times["tested"] = time.monotonic()
            return None
        elif word in SAVED_BEGIN:
            self.saved[SAVED_BEGIN[word]] = []
            return SAVED_BEGIN[word]
        elif word in SAVED_END:
            return None
        elif RESULT_RE.match(line):
            self.result = RESULT_RE.match(line).groups()
        elif section == "test":
            log("  " + line)
        elif section in self.saved:
            self.saved[section].append(line)
        self.lines.append(line)
        return section

    def seconds(self, a, b):
        t0 = self.start if a == "start" else self.times.get(a)
        t1 = self.times.get(b)
        return f"{t1 - t0:.1f} s" if t0 is not None and t1 is not None else "?"


def program_failures(lines):
    """One line per program bpf_programs.py saw rejected, with the reason: the
    verifier's last word, or libbpf's (a missing kfunc fails before the
    verifier); an object whose every program fails for one reason is one line."""
    out, progs, obj, libbpf = [], [], None, ""

    def flush():
        failed = [(name, why) for name, why, _ in progs if why is not None]
        whys = {why for _, why in failed}
        if failed and len(failed) == len(progs) > 1 and len(whys) == 1:
            out.append(f"all {len(progs)} programs of {obj}: {whys.pop()}")
        else:
            out.extend(f"{name} in {obj}: {why}" for name, why in failed)
        progs.clear()

    for line in lines:
        if line.startswith("=== "):
            flush()
            obj = os.path.basename(line[4:])
        elif line.startswith("libbpf: "):
            if not re.search(r"failed to (load|prepare)|BPF program load failed", line):
                libbpf = line
        elif line.startswith("PROG "):
            name, _, verdict = line[5:].partition(": ")
            failed = verdict.startswith("FAIL")
            progs.append([name, (libbpf or "(no log)") if failed else None, False])
            libbpf = ""
        elif progs and progs[-1][1] is not None and line.startswith("    "):
            text, prog = line.strip(), progs[-1]
            if re.match(r"\d+: \(|;|processed \d+ insns|verification time|stack depth", text):
                prog[2] = False      # an instruction: the next message starts anew
            else:                    # the verifier's messages after the last instruction
                prog[1] = f"{prog[1]} / {text}" if prog[2] else text
                prog[2] = True
    flush()
    return out


def resolve(apts, spec):
    """(Apt, package, version) of the image a kernels.txt line names; apts
    holds one Apt per suite (None: the configured sources) for the whole run."""
    suite, rest = split_suite(spec)
    if suite not in apts:
        apts[suite] = Apt(suite)
    return (apts[suite],) + apts[suite].image(rest)


def test_kernel(apt, pkg, ver, args, initrd, cases):
    """Fetches and boots one kernel; returns (passed, summary)."""
    t0 = time.monotonic()
    vmlinuz, how = fetch(apt, pkg, ver)
    release = os.path.basename(vmlinuz)[len("vmlinuz-"):]
    origin = f" from {apt.suite}" if apt.suite else ""
    log(f"=== {NAME}: {release} ({pkg} {ver}{origin}, {how} in "
        f"{time.monotonic() - t0:.1f} s)")
    append = f"{APPEND} pidcap.cases={','.join(cases)} pidcap.scale={TIMEOUT_SCALE} " \
             f"pidcap.timeout={TEST_LIMIT}"
    if args.variant:
        append += f" pidcap.variant={args.variant}"
    log_path = os.path.join(args.out, f"{release}.log")
    boot = Boot(vmlinuz, initrd, append, log_path, TEST_LIMIT + BOOT_LIMIT)
    if boot.result is None and not boot.timed_out:
        # the guest ended without a verdict (seen once in 7 boots of 7.2 under
        # TCG): its console is kept, and it boots once more; a verdict of FAIL
        # is never retried
        first = log_path + ".first"
        os.replace(log_path, first)
        last = [line for line in boot.lines if line.strip()][-10:]
        log(f"  no result from the guest (qemu exited {boot.exit}); booting it once more; "
            f"its console is in {first}, last lines:")
        for line in last:
            log(f"    {line}")
        boot = Boot(vmlinuz, initrd, append, log_path, TEST_LIMIT + BOOT_LIMIT)
    log(f"  boot {boot.seconds('start', 'up')} (qemu start to /init), test "
        f"{boot.seconds('up', 'tested')}, total {boot.total:.1f} s; serial log {log_path}")
    for name, lines in boot.saved.items():
        path = os.path.join(args.out, f"{release}-{name}.log")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        log(f"  {SAVED_TITLE[name]} ({len(lines)} lines, saved in {path}):")
        for line in (program_failures(lines) if name == "bpf-programs" else
                     [line for line in lines if line.startswith("pidcap:")][-5:]):
            log(f"    {line}")
    if boot.result is None:
        why = f"timed out after {TEST_LIMIT + BOOT_LIMIT} s" if boot.timed_out else \
            f"qemu exited {boot.exit}"
        last = [line for line in boot.lines if line.strip()][-10:]
        log(f"  no PIDCAP-KERNEL-RESULT line: {why}; last console lines:")
        for line in last:
            log(f"    {line}")
        return False, f"{release} FAIL no result ({why})"
    uname, verdict, summary = boot.result
    return verdict == "PASS", f"{uname} {verdict} {summary}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pidcap", default=os.path.join(REPO, "build", "pidcap"))
    ap.add_argument("--out", default=os.path.join(REPO, "build", "kernels"),
                    help="initramfs and serial logs go here")
    ap.add_argument("--kernels", default=DEFAULT_LIST)
    ap.add_argument("--only", help="only the kernels.txt lines containing this text (if "
                    "none does: the kernels whose package or version contains it)")
    ap.add_argument("--variant", choices=("full", "compat"),
                    help="force this eBPF build in the guests (PIDCAP_BPF_VARIANT)")
    args = ap.parse_args()
    started = time.monotonic()
    specs = read_list(args.kernels)
    by_package = False   # --only matches no line: match the packages they resolve to
    if args.only:
        lines = [(s, n) for s, n in specs if args.only in s]
        by_package = not lines
        specs = specs if by_package else lines
    results = []

    def fail_all(why):
        for spec, num in specs:
            results.append((False, f"{spec} FAIL {why}"))

    os.makedirs(args.out, exist_ok=True)
    missing = [t for t in ("qemu-system-x86_64", "apt-get", "dpkg-deb") if not shutil.which(t)]
    if not specs:
        results.append((False, f"no kernels in {args.kernels}"))
    elif missing:
        fail_all(f"{', '.join(missing)} not found: install qemu-system-x86 (make test-deps)")
    else:
        t0 = time.monotonic()
        res = run([os.path.join(HERE, "mkinitramfs.sh"), args.pidcap, args.out])
        if res.returncode != 0:
            fail_all(f"cannot build the initramfs: {tail(res.stderr)}")
        else:
            initrd = os.path.join(args.out, "initrd.gz")
            log(f"{NAME}: initramfs {initrd} ({os.path.getsize(initrd) >> 20} MiB) built in "
                f"{time.monotonic() - t0:.1f} s; cache {CACHE}")
            cases = [c for c in workload.CASES if c not in EXCLUDED]
            for case, why in EXCLUDED.items():
                log(f"{NAME}: case {case} left out: {why}")
            apts, used = {}, []
            for spec, num in specs:
                try:
                    apt, pkg, ver = resolve(apts, spec)
                    if by_package and args.only not in f"{pkg} {ver}":
                        continue
                    used.append((pkg, ver))
                    passed, summary = test_kernel(apt, pkg, ver, args, initrd, cases)
                except KernelError as e:
                    log(f"=== {NAME}: {spec} (kernels.txt line {num})\n  FAIL: {e}")
                    passed, summary = False, f"{spec} FAIL {e}"
                results.append((passed, summary))
            if by_package and not results:
                results.append((False, f"no kernels.txt line, package or version contains "
                                       f"{args.only!r}"))
            if not args.only and args.kernels == DEFAULT_LIST and len(used) == len(specs):
                prune(used, {suite for suite in apts if suite})
    log(f"\n{NAME}: results (the running kernel, {os.uname().release}, is tested by make e2e)")
    for passed, summary in results:
        log(f"  {summary}")
    npassed = sum(1 for passed, _ in results if passed)
    log(f"{NAME}: total {time.monotonic() - started:.0f} s")
    log(f"{NAME}: {npassed} passed, {len(results) - npassed} failed")
    return 0 if npassed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
