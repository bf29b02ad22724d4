#!/bin/bash
# Runs capa's libFuzzer harnesses (built by `make fuzz-build`):
#   fuzz/run.sh SECONDS TARGET...
# Each harness runs SECONDS on a fresh copy of fuzz/corpus/TARGET (the
# repository's corpus is never written), then prints one TAP line:
#   ok N - fuzz TARGET: RUNS runs, no findings
#   not ok N - fuzz TARGET: WHAT after RUNS runs (ARTIFACT)
# followed, on a finding, by the start of its report as TAP comments.  Exits
# non-zero if any harness found a crash, leak, undefined behaviour, broken
# property, timeout or memory blow-up.  Logs: $FUZZ_BUILD/logs/TARGET.log.
set -u
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
    echo "usage: $0 SECONDS TARGET..." >&2
    exit 2
fi
seconds=$1
shift
build=${FUZZ_BUILD:-fuzz/build}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

echo "1..$#"
n=0
status=0
for t in "$@"; do
    n=$((n + 1))
    bin=$build/fuzz_$t
    work=$build/work/$t
    artifacts=$build/artifacts/$t
    log=$build/logs/$t.log
    rm -rf "$work" "$artifacts"
    mkdir -p "$work" "$artifacts" "$build/logs"
    if [ -d "fuzz/corpus/$t" ]; then
        cp fuzz/corpus/"$t"/* "$work"/ 2>/dev/null
    fi
    if [ ! -x "$bin" ]; then
        echo "not ok $n - fuzz $t: $bin is not built (make fuzz-build)"
        status=1
        continue
    fi
    # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a blow-up
    # (in a child shell, so an abort's "Aborted" notice goes to the log too)
    bash -c '"$@"; exit $?' run "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        echo "ok $n - fuzz $t: ${runs:-0} runs, no findings"
    else
        what=$(grep -m 1 -oE 'PROPERTY BROKEN: .*|runtime error: .*|ERROR: [A-Za-z]+Sanitizer: [a-z-]+|ERROR: libFuzzer: [a-z -]+|capa fuzz: .*' "$log" |
            sed 's/^capa fuzz: //' | cut -c 1-200)
        artifact=$(find "$artifacts" -type f | head -n 1)
        echo "not ok $n - fuzz $t: ${what:-exit status $rc} after ${runs:-0} runs (${artifact:-no artifact}; log $log)"
        # the report from its first line (what, where, the stack), as comments
        first=$(grep -n -m 1 -E 'PROPERTY BROKEN|runtime error|ERROR: |capa fuzz: ' "$log" | cut -d: -f1)
        tail -n +"${first:-1}" "$log" | grep -vE '^#[0-9]+|^INFO:|^\s*$' | head -n 30 | sed 's/^/# /'
        status=1
    fi
done
exit "$status"
