#!/bin/bash
# Runs capa's regression, isolation and pgTAP tests on a throwaway cluster
# (pg_virtualenv) against the installed extension, and ends with one line:
#   N passed, N failed
set -u
cd "$(dirname "$0")/.."

summary=test/summary.txt
if [ "${CAPA_IN_VIRTUALENV:-}" != 1 ]; then
    # a throwaway cluster (the server runs as postgres); the summary line
    # is printed last, after pg_virtualenv has dropped the cluster
    rm -f "$summary"
    env CAPA_IN_VIRTUALENV=1 pg_virtualenv -t -v 15 "$0" "$@"
    status=$?
    if [ -s "$summary" ]; then
        cat "$summary"
    else
        echo "0 passed, 1 failed"
        status=1
    fi
    exit "$status"
fi

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
log=test/test.log
: > "$log"
passed=0
failed=0

# pg_regress, then isolation (run apart, so a regress failure does not
# skip the isolation specs): one "... ok" or "... FAILED" line per test
make --no-print-directory installcheck PG_CONFIG="$PG_CONFIG" ISOLATION= 2>&1 | tee -a "$log"
regress_status=${PIPESTATUS[0]}
make --no-print-directory installcheck PG_CONFIG="$PG_CONFIG" REGRESS= 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -ne 0 ] && regress_status=1
ok=$(grep -cE '\.\.\. ok' "$log")
bad=$(grep -cE '\.\.\. (FAILED|failed)' "$log")
passed=$((passed + ok))
failed=$((failed + bad))
if [ "$regress_status" -ne 0 ]; then
    [ "$bad" -eq 0 ] && failed=$((failed + 1))
    for d in regression.diffs output_iso/regression.diffs; do
        [ -f "$d" ] && { echo "=== $d"; cat "$d"; }
    done
fi

# pgTAP: one "ok N" or "not ok N" line per assertion
createdb capa_tap
tap_log=$(mktemp)
pg_prove --ext .sql -v -d capa_tap test/pgtap/ 2>&1 | tee "$tap_log"
tap_status=${PIPESTATUS[0]}
ok=$(grep -cE '^\s*ok [0-9]+' "$tap_log")
bad=$(grep -cE '^\s*not ok [0-9]+' "$tap_log")
passed=$((passed + ok))
failed=$((failed + bad))
if [ "$tap_status" -ne 0 ] && [ "$bad" -eq 0 ]; then
    failed=$((failed + 1))
fi
cat "$tap_log" >> "$log"
rm -f "$tap_log"

# dump and restore round trip (TAP lines)
restore_log=$(mktemp)
./test/restore.sh 2>&1 | tee "$restore_log"
restore_status=${PIPESTATUS[0]}
ok=$(grep -cE '^ok [0-9]+' "$restore_log")
bad=$(grep -cE '^not ok [0-9]+' "$restore_log")
passed=$((passed + ok))
failed=$((failed + bad))
if [ "$restore_status" -ne 0 ] && [ "$bad" -eq 0 ]; then
    failed=$((failed + 1))
fi
cat "$restore_log" >> "$log"
rm -f "$restore_log"

# kill -9 crash recovery, a short run (TAP lines); not under make sanitize,
# which tests the suite against its own server
if [ "${CAPA_SANITIZE:-}" != 1 ]; then
    crash_log=$(mktemp)
    ./test/crash.sh 2>&1 | tee "$crash_log"
    crash_status=${PIPESTATUS[0]}
    ok=$(grep -cE '^ok [0-9]+' "$crash_log")
    bad=$(grep -cE '^not ok [0-9]+' "$crash_log")
    passed=$((passed + ok))
    failed=$((failed + bad))
    if [ "$crash_status" -ne 0 ] && [ "$bad" -eq 0 ]; then
        failed=$((failed + 1))
    fi
    cat "$crash_log" >> "$log"
    rm -f "$crash_log"
fi

# libFuzzer harnesses, briefly (TAP lines; no cluster needed); not under
# make sanitize, which only swaps the server's capa.so
if [ "${CAPA_SANITIZE:-}" != 1 ]; then
    fuzz_log=$(mktemp)
    make --no-print-directory fuzz-smoke PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$fuzz_log"
    fuzz_status=${PIPESTATUS[0]}
    ok=$(grep -cE '^ok [0-9]+' "$fuzz_log")
    bad=$(grep -cE '^not ok [0-9]+' "$fuzz_log")
    passed=$((passed + ok))
    failed=$((failed + bad))
    if [ "$fuzz_status" -ne 0 ] && [ "$bad" -eq 0 ]; then
        failed=$((failed + 1))
    fi
    cat "$fuzz_log" >> "$log"
    rm -f "$fuzz_log"
fi

echo "$passed passed, $failed failed" > "$summary"
[ "$failed" -eq 0 ]
