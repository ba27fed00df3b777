#!/bin/sh
# Runs every test layer in order: the layering rule of src/
# (docs/ARCHITECTURE.md), unit tests (ASan/UBSan), golden -r
# output of committed capture files, a short fuzz run
# of every parser of untrusted input, the man page against --help (docs),
# end-to-end tests as root with
# real traffic, then the accuracy test on other kernels under qemu
# (tests/kernels). Prints one summary line per layer and a final
# "check: N passed, N failed". Any skip is a failure.
OUT=${1:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
failed_layers=0
passed_layers=0

layer() {
	name=$1; shift
	echo "=== $name"
	if "$@"; then
		passed_layers=$((passed_layers + 1))
	else
		echo "check: layer '$name' FAILED" >&2
		failed_layers=$((failed_layers + 1))
	fi
}

if [ "$(id -u)" != 0 ]; then
	echo "check: SKIP is not allowed: the end-to-end tests need root (eBPF); run make check as root" >&2
	exit 1
fi
layer layering python3 tests/layering/check_layers.py src
layer unit make --no-print-directory OUT="$OUT" unit
layer golden tests/golden/run.sh "$OUT/pidcap"
layer fuzz tests/fuzz/run.sh "$FUZZ_SECONDS" "$OUT/fuzz"
layer docs tests/docs/check_manpage.sh "$OUT/pidcap"
layer unit-file tests/docs/check_unit.sh "$OUT/pidcap"
layer e2e python3 tests/e2e/run.py --pidcap "$OUT/pidcap"
layer kernels python3 tests/kernels/run.py --pidcap "$OUT/pidcap" --out "$OUT/kernels"
echo "check: $passed_layers passed, $failed_layers failed"
[ "$failed_layers" = 0 ]
