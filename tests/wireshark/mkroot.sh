#!/bin/sh
# Makes (once) and prints the path of a minimal Debian unstable root with a
# Wireshark new enough to dissect pidcap's process blocks (tshark 4.6+).
# Not for running tshark: callers chroot into the printed directory.
#
# Usage: mkroot.sh [EXTRA_PACKAGE...]   (extra packages, e.g. wireshark
# for the screenshot, are installed into the same root once).
# The root lives in $PIDCAP_TSHARK_CACHE (default /var/cache/pidcap-tshark),
# outside the clone, like the kernel images; an unfinished root is never used.
# Any failure exits non-zero: a missing Wireshark is a failure, not a skip.
set -eu
CACHE=${PIDCAP_TSHARK_CACHE:-/var/cache/pidcap-tshark}
ROOT=$CACHE/sid
MIRROR=${PIDCAP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
APT="apt-get -o Acquire::Check-Valid-Until=false -y -q --no-install-recommends"

log() { echo "mkroot: $*" >&2; }

mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock 9

if [ ! -e "$ROOT/.complete" ]; then
	command -v debootstrap >/dev/null || {
		log "debootstrap is missing (scripts/install-deps.sh --test installs it)"
		exit 1
	}
	rm -rf "$ROOT.tmp"
	log "debootstrap of Debian unstable with tshark into $ROOT (once, a few minutes)"
	if ! debootstrap --variant=minbase --include=tshark sid "$ROOT.tmp" "$MIRROR" \
		>"$CACHE/debootstrap.log" 2>&1; then
		# a dependency that fails to configure: let apt finish the job
		log "debootstrap did not finish cleanly; apt-get -f install in the root"
		chroot "$ROOT.tmp" sh -c "DEBIAN_FRONTEND=noninteractive $APT -f install" \
			>>"$CACHE/debootstrap.log" 2>&1 || {
			tail -20 "$CACHE/debootstrap.log" >&2
			exit 1
		}
	fi
	chroot "$ROOT.tmp" tshark --version >/dev/null 2>&1 || {
		log "tshark does not run in the new root; see $CACHE/debootstrap.log"
		exit 1
	}
	touch "$ROOT.tmp/.complete"
	rm -rf "$ROOT"
	mv "$ROOT.tmp" "$ROOT"
fi

not_installed() {
	out=""
	for p in "$@"; do
		chroot "$ROOT" dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || out="$out $p"
	done
	echo "$out"
}

missing=$(not_installed "$@")
if [ -n "$missing" ]; then
	log "installing into the root:$missing"
	# shellcheck disable=SC2086
	chroot "$ROOT" sh -c "DEBIAN_FRONTEND=noninteractive; export DEBIAN_FRONTEND;
		$APT update && $APT install $missing || $APT -f install" \
		>>"$CACHE/apt.log" 2>&1 || {
		tail -20 "$CACHE/apt.log" >&2
		exit 1
	}
	missing=$(not_installed "$@")
	if [ -n "$missing" ]; then
		log "could not install into the root:$missing; see $CACHE/apt.log"
		exit 1
	fi
fi
echo "$ROOT"
