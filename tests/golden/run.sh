#!/bin/sh
# Golden-output tests of `pidcap -r`: runs every line of TESTLIST (capture
# file + arguments) in this directory with TZ=UTC and diffs stdout, stderr
# and the exit status with the committed NAME.out and NAME.err.
# Not for making the captures (see TESTLIST) or live capture.
#
# Usage: tests/golden/run.sh [--update] PIDCAP
#   --update  rewrites NAME.out/NAME.err from this run (check them by hand).
update=0
if [ "${1:-}" = "--update" ]; then
	update=1
	shift
fi
[ $# -eq 1 ] || { echo "usage: $0 [--update] PIDCAP" >&2; exit 2; }
pidcap=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")" || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
while read -r name want_rc file args; do
	case $name in '' | '#'*) continue ;; esac
	# shellcheck disable=SC2086 # ARGS are words, as in TESTLIST
	TZ=UTC "$pidcap" -r "$file" $args >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $update = 1 ]; then
		cp "$tmp/out" "$name.out"
		cp "$tmp/err" "$name.err"
	fi
	why=""
	[ "$rc" = "$want_rc" ] || why="exit $rc, want $want_rc"
	cmp -s "$tmp/out" "$name.out" || why="$why${why:+; }stdout differs from $name.out"
	cmp -s "$tmp/err" "$name.err" || why="$why${why:+; }stderr differs from $name.err"
	if [ -z "$why" ]; then
		pass=$((pass + 1))
	else
		echo "golden: $name FAILED: $why"
		diff -u "$name.out" "$tmp/out" | head -n 20
		diff -u "$name.err" "$tmp/err" | head -n 10
		fail=$((fail + 1))
	fi
done <TESTLIST
echo "golden: $pass passed, $fail failed"
[ $fail -eq 0 ]
