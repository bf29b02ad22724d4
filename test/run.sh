#!/bin/bash
# Runs capa's regression, isolation and pgTAP tests on a throwaway cluster
# (pg_virtualenv) against the installed extension, and ends with one line:
#   N passed, N failed
# On the installation PG_CONFIG names (make exports it; default: the
# system's 15).  CAPA_SUITE=quick runs regress, isolation and pgTAP only
# (make test-matrix's shorter runs).
set -u
cd "$(dirname "$0")/.."
. test/lib.sh    # PG_CONFIG's default, pg_major

summary=test/summary.txt
if [ "${CAPA_IN_VIRTUALENV:-}" != 1 ]; then
    # a throwaway cluster (the server runs as postgres); the summary line
    # is printed last, after pg_virtualenv has dropped the cluster
    rm -f "$summary"
    env CAPA_IN_VIRTUALENV=1 pg_virtualenv -t -v "$(pg_major)" "$0" "$@"
    status=$?
    if [ -s "$summary" ]; then
        cat "$summary"
    else
        echo "0 passed, 1 failed"
        status=1
    fi
    exit "$status"
fi

# the installation the suite's own clusters come from: a private copy
# under make sanitize, check-private and test-assert
PRIVATE_PG_CONFIG=${CAPA_PRIVATE_PG_CONFIG:-$PG_CONFIG}
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
# pg_regress's lines: "test NAME ... ok" up to 15, TAP from 16 on
# ("ok 1 - NAME", "not ok 2 - NAME"; without the second pattern a run on
# 17-19 counted none of them)
ok=$(grep -cE '\.\.\. ok|^ok [0-9]+ +- ' "$log")
bad=$(grep -cE '\.\.\. (FAILED|failed)|^not ok [0-9]+ +- ' "$log")
passed=$((passed + ok))
failed=$((failed + bad))
if [ "$regress_status" -ne 0 ]; then
    [ "$bad" -eq 0 ] && failed=$((failed + 1))
    for d in regression.diffs output_iso/regression.diffs; do
        [ -f "$d" ] && { echo "=== $d"; cat "$d"; }
    done
fi

# Run a command that prints TAP ("ok N" / "not ok N" lines) and add its
# counts; a non-zero exit with no "not ok" line counts as one failure
run_tap() {
    local out status ok bad
    out=$(mktemp)
    "$@" 2>&1 | tee "$out"
    status=${PIPESTATUS[0]}
    ok=$(grep -cE '^\s*ok [0-9]+' "$out")
    bad=$(grep -cE '^\s*not ok [0-9]+' "$out")
    passed=$((passed + ok))
    failed=$((failed + bad))
    if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then
        failed=$((failed + 1))
    fi
    cat "$out" >> "$log"
    rm -f "$out"
}

# pgTAP: one line per assertion
createdb capa_tap
run_tap pg_prove --ext .sql -v -d capa_tap test/pgtap/

if [ "${CAPA_SUITE:-}" = quick ]; then
    echo "$passed passed, $failed failed" > "$summary"
    [ "$failed" -eq 0 ]
    exit
fi

# dump and restore round trip
run_tap ./test/restore.sh

# row-level security: a hidden record's error is a missing one's, location included
run_tap ./test/rls_errors.sh

# README.md's tour of the lifecycle, block by block, as its roles
run_tap ./test/readme_tour.sh

# ALTER EXTENSION capa UPDATE from the previous version, filled
run_tap ./test/upgrade.sh

# a hot standby and a logical-replication subscriber, on clusters of its
# own (under make sanitize, from the private installation it tests)
run_tap env PG_CONFIG="$PRIVATE_PG_CONFIG" ./test/replica.sh

# the management-review report, rendered in headless Chromium
run_tap ./test/report.sh

# a record's evidence pack page, rendered in headless Chromium
run_tap ./test/dossier_html.sh

# make demo's scripts, and the year they leave
run_tap ./test/demo.sh

# capa_escalate() scheduled with pg_cron, on a cluster of its own (about
# two minutes: pg_cron runs jobs at the minute); under make sanitize and
# check-private, in their private installation.  CAPA_SKIP_CRON: where
# there is no pg_cron for the major (19; a source build of 18 on Debian 12)
if [ -n "${CAPA_SKIP_CRON:-}" ]; then
    echo "# test/escalation_cron.sh skipped: ${CAPA_SKIP_CRON//-/ }" | tee -a "$log"
else
    run_tap env PGBIN="$("$PRIVATE_PG_CONFIG" --bindir)" ./test/escalation_cron.sh
fi

# kill -9 crash recovery, a short run; not under make sanitize, which
# tests the suite against its own server (it brings its own cluster)
if [ "${CAPA_SANITIZE:-}" != 1 ]; then
    run_tap env PGBIN="$("$PRIVATE_PG_CONFIG" --bindir)" ./test/crash.sh
fi
# the libFuzzer harnesses, briefly: on the system's 15 only (they are built
# with clang-14 against one major's headers, with stubs for the server;
# the code they drive is the same on every major), under make test, and
# in make test-matrix's private copy of it (CAPA_FUZZ_SMOKE=1); they
# install nothing
if [ "${CAPA_SANITIZE:-}" != 1 ] && [ "$(pg_major)" = 15 ] &&
   { [ "${CAPA_PRIVATE_PG_CONFIG:-}" = "" ] || [ "${CAPA_FUZZ_SMOKE:-}" = 1 ]; }; then
    run_tap make --no-print-directory fuzz-smoke PG_CONFIG="$PG_CONFIG"
fi

echo "$passed passed, $failed failed" > "$summary"
[ "$failed" -eq 0 ]
