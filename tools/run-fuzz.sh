#!/usr/bin/env bash
# run-fuzz.sh NAME... - runs each libFuzzer target for FUZZ_SECONDS seconds
# from its seed corpus (tests/fuzz/corpus/NAME), findings to build/fuzz/NAME-crash-*.
set -u
secs=${FUZZ_SECONDS:-5}
fail=0
for f in "$@"; do
    corpus=build/fuzz/corpus-$f
    mkdir -p "$corpus"
    seeds=tests/fuzz/corpus/$f
    [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/ 2>/dev/null
    echo "  FUZZ    $f (${secs}s)"
    if ! build/fuzz/"$f" -max_total_time="$secs" -print_final_stats=0 \
         -artifact_prefix=build/fuzz/"$f"-crash- "$corpus" >build/fuzz/"$f".log 2>&1; then
        echo "FUZZ FAILED: $f (see build/fuzz/$f.log)"; tail -30 build/fuzz/"$f".log; fail=1
    fi
done
exit $fail
