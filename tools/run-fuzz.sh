#!/usr/bin/env bash
# run-fuzz.sh [--merge | --merge-only] NAME... - runs libFuzzer targets
# (build/fuzz/NAME) for FUZZ_SECONDS seconds each, FUZZ_JOBS at a time (default:
# one per core), each from a fresh copy of its corpus in the repo
# (tests/fuzz/corpus/NAME) in build/fuzz/corpus-NAME; findings go to
# build/fuzz/NAME-crash-* (or -leak-, -timeout-, -oom-).  Fails when any
# target crashes, leaks, hangs (FUZZ_TIMEOUT seconds for one input) or runs
# out of memory.
#
# --merge: afterwards, what the runs learned goes back into the repo corpus,
# minimized: libFuzzer -merge=1 of the repo corpus and the run's into an
# empty directory keeps the smallest set of inputs that covers every feature
# either one reached.  Files named by their SHA-1 (libFuzzer's names) are
# replaced by that set; any other name is a hand-made or regression seed
# ("issue14-...") and stays as it is, whether or not it adds coverage.
# --merge-only: the merge alone, of whatever build/fuzz/corpus-NAME holds.
set -u
secs=${FUZZ_SECONDS:-5}
jobs=${FUZZ_JOBS:-$(nproc)}
timeout=${FUZZ_TIMEOUT:-10}
run=1 merge=0
case "${1:-}" in
--merge) merge=1; shift ;;
--merge-only) run=0 merge=1; shift ;;
esac

run_one() {
    local f=$1 corpus=build/fuzz/corpus-$1
    rm -rf "$corpus" && mkdir -p "$corpus"
    [ -d tests/fuzz/corpus/"$f" ] && cp -r tests/fuzz/corpus/"$f"/. "$corpus"/
    echo "  FUZZ    $f (${secs}s)"
    if ! build/fuzz/"$f" -max_total_time="$secs" -timeout="$timeout" -print_final_stats=1 \
         -artifact_prefix=build/fuzz/"$f"- "$corpus" >build/fuzz/"$f".log 2>&1; then
        echo "FUZZ FAILED: $f (see build/fuzz/$f.log)"; tail -30 build/fuzz/"$f".log
        return 1
    fi
    # libFuzzer's last status line: executions, coverage (cov) and features (ft).
    grep -E '^#[0-9]+[[:space:]]+DONE' build/fuzz/"$f".log | sed "s/^/  FUZZ    $f: /"
}

merge_one() {
    local f=$1 repo=tests/fuzz/corpus/$1 work=build/fuzz/corpus-$1 out=build/fuzz/merged-$1
    rm -rf "$out" && mkdir -p "$out" "$repo" "$work"
    if ! build/fuzz/"$f" -merge=1 -timeout="$timeout" "$out" "$repo" "$work" \
         >build/fuzz/"$f"-merge.log 2>&1; then
        echo "FUZZ MERGE FAILED: $f (see build/fuzz/$f-merge.log)"; return 1
    fi
    local named
    named=$(find "$repo" -type f ! -regex '.*/[0-9a-f]\{40\}' -exec sha1sum {} + | cut -c1-40)
    find "$repo" -type f -regex '.*/[0-9a-f]\{40\}' -delete
    for u in "$out"/*; do
        [ -e "$u" ] || continue
        grep -qx "$(basename "$u")" <<<"$named" || cp "$u" "$repo"/
    done
    echo "  MERGE   $f: $(ls "$repo" | wc -l) files, $(cat "$repo"/* | wc -c) bytes in $repo"
}
export -f run_one merge_one
export secs timeout

fail=0
if [ $run = 1 ]; then
    printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'run_one "$1"' _ {} || fail=1
fi
if [ $merge = 1 ]; then
    # A crashing run's corpus is merged too: the crash input itself is not
    # in it (it is the artifact), and what came before is still learned.
    for f in "$@"; do merge_one "$f" || fail=1; done
fi
exit $fail
