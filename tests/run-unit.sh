#!/bin/sh
# Runs every unit-test binary given as argument and sums their
# "N passed, N failed" lines. Exits non-zero if any test failed.
pass=0; fail=0; rc=0
for t in "$@"; do
	out=$("$t" 2>&1); r=$?
	line=$(printf '%s\n' "$out" | tail -n 1)
	p=$(printf '%s' "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ] || [ $r -ne 0 ]; then
		printf '%s\n' "$out" >&2
		echo "unit: $(basename "$t") FAILED (exit $r)" >&2
		rc=1; fail=$((fail + ${f:-1}))
	else
		echo "unit: $(basename "$t"): $line"
	fi
	pass=$((pass + ${p:-0}))
done
echo "unit: $pass passed, $fail failed"
exit $rc
