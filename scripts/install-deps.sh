#!/bin/sh
# Installs the Debian 12 packages pidcap needs to build, to test (--test) and
# to benchmark (--bench).
# Not for anything else: it only adds packages that are missing.
set -eu
PKGS="make gcc clang llvm libbpf-dev libpcap-dev bpftool libelf-dev zlib1g-dev pkg-config iproute2 python3 procps libncurses-dev libmicrohttpd-dev libcap-dev libjansson-dev"
if [ "${1:-}" = "--test" ]; then
	PKGS="$PKGS libclang-rt-14-dev tmux tshark tcpdump prometheus qemu-system-x86 busybox-static cpio groff-base liburing-dev systemd debootstrap podman runc"
fi
if [ "${1:-}" = "--bench" ]; then
	PKGS="$PKGS iperf3 tcpdump nethogs"
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "pidcap: missing Debian packages:$missing; run as root or: apt-get install$missing" >&2
	exit 1
fi
echo "pidcap: installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
