#!/bin/sh
# Builds every tests/fuzz/fuzz_*.c with clang + libFuzzer/ASan/UBSan and runs
# each for SECONDS on a copy of its seed corpus; exits non-zero on any crash.
# Not for building the tool or the unit tests (see the Makefile).
#
# Usage: tests/fuzz/run.sh SECONDS OUTDIR
#   OUTDIR/<target>        the fuzzer binary
#   OUTDIR/corpus/<X>/     working copy of tests/fuzz/corpus/<X>/ (grows)
#   OUTDIR/<target>.log    build and run output
#   OUTDIR/<target>-crash-* etc.   inputs that crashed
# A target links src/packet/decode.c src/lib/escape.c unless it has lines
#   // sources: src/a.c src/b.c
# at its top (all of them count, so long lists can wrap), and links the
# libraries of lines "// libs: -lx" there.
# Environment: CLANG (default clang), FUZZ_FLAGS (extra libFuzzer options).

usage() {
	echo "usage: $0 SECONDS OUTDIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
secs=$1
case $secs in
'' | *[!0-9]*) usage ;;
esac
mkdir -p "$2" || exit 2
out=$(cd "$2" && pwd) || exit 2
cd "$(dirname "$0")/../.." || exit 2

CLANG=${CLANG:-clang}
CFLAGS="-g -O1 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Isrc -Ibpf"
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
DEFAULT_SOURCES="src/packet/decode.c src/lib/escape.c"

pass=0
fail=0
for f in tests/fuzz/fuzz_*.c; do
	[ -e "$f" ] || continue
	target=$(basename "$f" .c)
	name=${target#fuzz_}
	log=$out/$target.log
	sources=$(sed -n '1,/^[^/]/s|^// *sources: *||p' "$f" | tr '\n' ' ')
	[ -n "$sources" ] || sources=$DEFAULT_SOURCES
	libs=$(sed -n '1,/^[^/]/s|^// *libs: *||p' "$f" | tr '\n' ' ')

	# shellcheck disable=SC2086 # word splitting of flag lists is intended
	if ! $CLANG $CFLAGS $SAN "$f" $sources -o "$out/$target" $libs >"$log" 2>&1; then
		echo "fuzz: $target FAILED (build, see $log)"
		fail=$((fail + 1))
		continue
	fi

	corpus=$out/corpus/$name
	mkdir -p "$corpus"
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -R "tests/fuzz/corpus/$name/." "$corpus/"
	fi

	# shellcheck disable=SC2086
	"$out/$target" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$out/$target-" $FUZZ_FLAGS "$corpus" \
		>>"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "fuzz: $target passed (${runs:-?} runs in ${secs}s)"
		pass=$((pass + 1))
	else
		echo "fuzz: $target FAILED (exit $rc, see $log)"
		fail=$((fail + 1))
	fi
done

echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
