#!/usr/bin/env bash
# run-unit.sh - runs each host unit test binary and prints one closing line
# "unit: N passed, N failed" counting test binaries.
set -u
pass=0; fail=0
for t in "$@"; do
    if "$t"; then pass=$((pass+1)); else echo "FAILED: $t"; fail=$((fail+1)); fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
