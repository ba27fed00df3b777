#!/bin/sh
# Makes docs/wireshark-pidcap.png: Wireshark 4.6 (Debian unstable, in the root
# of tests/wireshark/mkroot.sh) under Xvfb, with the profile of dist/wireshark,
# showing a `pidcap -w` capture of a real loopback HTTP exchange.
# Not for tests: it only makes the README's picture (as root, after make).
#
# Usage: scripts/wireshark-screenshot.sh [PIDCAP] [OUT.png]
set -eu
cd "$(dirname "$0")/.."
PIDCAP=${1:-build/pidcap}
OUT=${2:-docs/wireshark-pidcap.png}
DISPLAY_NUM=${PIDCAP_XVFB_DISPLAY:-97}
ROOT=$(sh tests/wireshark/mkroot.sh wireshark xvfb xauth x11-apps netpbm fonts-dejavu-core)
work=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	umount "$ROOT/proc" 2>/dev/null || true
	umount "$ROOT/dev/shm" 2>/dev/null || true
	rm -rf "$work" "$ROOT/tmp/pidcap-demo.pcapng" "$ROOT/tmp/shot.png"
}
trap cleanup EXIT
[ -n "${PIDCAP_SCREENSHOT_DEBUG:-}" ] && set -x

# the capture: an HTTP server and two clients, each under its own name
py=/usr/bin/python3
[ -x "$py" ] || py=$(python3 -c 'import sys; print(sys.executable)')
cp "$py" "$work/webserver"
cp "$py" "$work/fetcher"
"$PIDCAP" -w "$work/demo.pcapng" 'tcp port 8765' 2>"$work/pidcap.err" &
pc=$!
pids="$pc"
for _ in $(seq 100); do grep -q "listening on" "$work/pidcap.err" && break; sleep 0.1; done
(cd "$work" && exec ./webserver -m http.server -b 127.0.0.1 8765 >/dev/null 2>&1) &
pids="$pids $!"
sleep 1
for _ in 1 2; do
	"$work/fetcher" -c 'import urllib.request as u; u.urlopen("http://127.0.0.1:8765/").read()'
	curl -s -o /dev/null http://127.0.0.1:8765/ 2>/dev/null ||
		"$work/fetcher" -c 'import urllib.request as u; u.urlopen("http://127.0.0.1:8765/").read()'
done
sleep 0.5
kill $pids
wait "$pc" || true
pids=""
cp "$work/demo.pcapng" "$ROOT/tmp/pidcap-demo.pcapng"

# the profile where Wireshark looks for global ones, as make install puts it
rm -rf "$ROOT/tmp/home"
install -D -m 0644 -t "$ROOT/usr/share/wireshark/profiles/pidcap" \
	dist/wireshark/profiles/pidcap/preferences dist/wireshark/profiles/pidcap/recent
# a window filling the virtual screen
mkdir -p "$ROOT/tmp/home/.config/wireshark"
printf '%s\n' "gui.geometry_main_x: 0" "gui.geometry_main_y: 0" \
	"gui.geometry_main_width: 1040" "gui.geometry_main_height: 600" \
	"gui.geometry_main_maximized: TRUE" >"$ROOT/tmp/home/.config/wireshark/recent_common"
mount -t proc proc "$ROOT/proc"
mount -t tmpfs shm "$ROOT/dev/shm"
chroot "$ROOT" sh -c "
	export DISPLAY=:$DISPLAY_NUM XDG_RUNTIME_DIR=/tmp/xdg HOME=/tmp/home
	mkdir -p /tmp/xdg /tmp/home && chmod 700 /tmp/xdg
	Xvfb :$DISPLAY_NUM -screen 0 1040x600x24 -nolisten tcp >/tmp/xvfb.log 2>&1 &
	x=\$!
	sleep 2
	wireshark -C pidcap -r /tmp/pidcap-demo.pcapng\
		>/tmp/wireshark.log 2>&1 &
	w=\$!
	sleep 12
	xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng > /tmp/shot.png
	kill \$w \$x
	wait
" || true
[ -s "$ROOT/tmp/shot.png" ] || {
	echo "wireshark-screenshot: no screenshot; see $ROOT/tmp/wireshark.log" >&2
	exit 1
}
cp "$ROOT/tmp/shot.png" "$OUT"
echo "wireshark-screenshot: wrote $OUT"
