#!/bin/sh
# Builds the initramfs that `make check-kernels` boots every guest kernel with:
# busybox-static, build/pidcap and python3 with their shared libraries, a
# trimmed Python standard library, tests/e2e/*.py in /e2e, tests/kernels/init,
# and pidcap's eBPF objects with bpf_programs.py in /bpf (diagnosis).
# Not for: choosing or booting kernels (run.py), nor for a general-purpose rootfs.
#
# Usage: mkinitramfs.sh PIDCAP OUTDIR   -> OUTDIR/initrd.gz (staging in OUTDIR/initramfs)
# PIDCAP_GUEST_PYTHON picks the interpreter (default: Debian's /usr/bin/python3).
set -eu

PIDCAP=$1
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
E2E=$HERE/../e2e
ROOT=$OUT/initramfs

die() {
	echo "mkinitramfs: $*" >&2
	exit 1
}

BUSYBOX=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
"$BUSYBOX" --list-full >/dev/null 2>&1 || die "$BUSYBOX has no --list-full: install busybox-static"
ldd "$BUSYBOX" >/dev/null 2>&1 && die "$BUSYBOX is dynamically linked: install busybox-static"
command -v cpio >/dev/null || die "cpio not found (apt-get install cpio)"
[ -x "$PIDCAP" ] || die "no executable pidcap at $PIDCAP (run make)"

PY=${PIDCAP_GUEST_PYTHON:-}
if [ -z "$PY" ]; then
	if [ -x /usr/bin/python3 ]; then
		PY=/usr/bin/python3
	else
		PY=$(python3 -c 'import sys; print(sys.executable)') || die "no python3"
	fi
fi
# The interpreter, its standard library and extension modules, as it sees them.
PYINFO=$("$PY" -c 'import os, sys, sysconfig
print(os.path.realpath(sys.executable))
print(sysconfig.get_path("stdlib"))
print([p for p in sys.path if p.endswith("lib-dynload")][0])') || die "cannot query $PY"
PYBIN=$(echo "$PYINFO" | sed -n 1p)
PYLIB=$(echo "$PYINFO" | sed -n 2p)
PYDYN=$(echo "$PYINFO" | sed -n 3p)

rm -rf "$ROOT"
mkdir -p "$ROOT"
# Debian's merged /usr: /bin, /sbin, /lib, /lib64 are links into /usr.
for d in bin sbin lib lib64; do
	mkdir -p "$ROOT/usr/$d"
	ln -s "usr/$d" "$ROOT/$d"
done
for d in proc sys dev tmp run etc root e2e; do
	mkdir -p "$ROOT/$d"
done

# copy FILE [DEST]: FILE at its own path (or DEST) in the image, links followed.
copy() {
	dest=$ROOT${2:-$1}
	[ -e "$dest" ] && return 0
	mkdir -p "$(dirname "$dest")"
	cp -L "$1" "$dest"
}

# copy_libs ELF...: the shared libraries and the loader that ldd names.
copy_libs() {
	ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' |
		sort -u > "$OUT/libs.txt"
	while read -r lib; do
		copy "$lib"
	done < "$OUT/libs.txt"
}

# busybox and one link per applet, at the path busybox gives it
cp "$BUSYBOX" "$ROOT/usr/bin/busybox"
"$BUSYBOX" --list-full | while read -r applet; do
	[ -e "$ROOT/$applet" ] || [ -L "$ROOT/$applet" ] || ln -s /usr/bin/busybox "$ROOT/$applet"
done

cp "$PIDCAP" "$ROOT/pidcap"
copy_libs "$PIDCAP"

# python: the binary, the standard library without what no test imports, and
# the extension modules with their libraries (tk, test and demo modules left out)
copy "$PYBIN"
[ "$PYBIN" = /usr/bin/python3 ] || ln -sf "$PYBIN" "$ROOT/usr/bin/python3"
copy_libs "$PYBIN"
mkdir -p "$ROOT$PYLIB"
tar -C "$PYLIB" -c \
	--exclude=./test --exclude=./idlelib --exclude=./tkinter --exclude=./turtledemo \
	--exclude=./ensurepip --exclude=./pydoc_data --exclude=./lib2to3 --exclude=./distutils \
	--exclude='./config-*' --exclude=./site-packages --exclude=./dist-packages \
	--exclude=./unittest/test --exclude=./sqlite3/test --exclude=./ctypes/test \
	--exclude=./lib-dynload --exclude=__pycache__ . | tar -C "$ROOT$PYLIB" -x
mkdir -p "$ROOT$PYDYN"
for so in "$PYDYN"/*.so; do
	case ${so##*/} in
	_test* | _xxtest* | _ctypes_test* | xxlimited* | _tkinter* | _sqlite3* | _dbm* | \
	_gdbm* | nis* | ossaudiodev* | _curses* | readline*) continue ;;
	esac
	cp "$so" "$ROOT$PYDYN/"
done
copy_libs "$ROOT$PYDYN"/*.so

cp "$E2E"/*.py "$ROOT/e2e/"
# the hand-over client of the workload (make builds it beside pidcap)
HANDOVER=$(dirname "$PIDCAP")/tests/handover
[ -x "$HANDOVER" ] || die "no executable $HANDOVER (run make $HANDOVER)"
cp "$HANDOVER" "$ROOT/e2e/handover"
copy_libs "$HANDOVER"
# the eBPF objects beside pidcap, for bpf_programs.py after a failure
mkdir -p "$ROOT/bpf"
cp "$HERE/bpf_programs.py" "$ROOT/bpf/"
for obj in "$(dirname "$PIDCAP")"/*.bpf.o; do
	[ -e "$obj" ] && cp "$obj" "$ROOT/bpf/"
done
cp "$HERE/init" "$ROOT/init"
chmod 755 "$ROOT/init"
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOT/etc/passwd"
echo 'root:x:0:' > "$ROOT/etc/group"

(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$OUT/initrd.gz.tmp"
mv "$OUT/initrd.gz.tmp" "$OUT/initrd.gz"
