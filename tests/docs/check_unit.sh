#!/bin/sh
# Checks dist/pidcap-exporter.service: systemd-analyze verify accepts it
# (with ExecStart pointed at the pidcap under test), it lets the libpcap
# fallback work (CAP_NET_RAW, AF_PACKET) and a start that keeps failing
# stops instead of restarting forever. Ends with `unit-file: N passed, N failed`.
PIDCAP=$(realpath "${1:-build/pidcap}")
HERE=$(dirname "$0")
UNIT="$HERE/../../dist/pidcap-exporter.service"
passed=0
failed=0
check() {
	if [ "$1" = 0 ]; then
		passed=$((passed + 1))
		echo "ok $2"
	else
		failed=$((failed + 1))
		echo "FAIL $2"
	fi
}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/sbin/pidcap|$PIDCAP|" "$UNIT" > "$dir/pidcap-exporter.service"
# verify exits 0 on unknown keys, with a warning: any output is a failure
out=$(systemd-analyze verify "$dir/pidcap-exporter.service" 2>&1)
rc=$?
[ "$rc" = 0 ] && [ -z "$out" ]
check $? "systemd-analyze verify (exit $rc)${out:+: $out}"
for want in 'AmbientCapabilities=.*CAP_NET_RAW' 'RestrictAddressFamilies=.*AF_PACKET' \
	'StartLimitBurst=' 'StartLimitIntervalSec=' 'RestartPreventExitStatus=2' \
	'DynamicUser=yes' 'User=pidcap-exporter' 'ExecStart=.* -Z pidcap-exporter'; do
	grep -q "^$want" "$UNIT"
	check $? "unit has $want"
done
echo "unit-file: $passed passed, $failed failed"
[ "$failed" = 0 ]
