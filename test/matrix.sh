#!/bin/bash
# The suite on every supported major, then capa across a major upgrade:
#
#   15 (the system's)   the whole suite on capa installed into a private
#                       copy of the system's installation, as make
#                       check-private does (test/sanitize.sh), with crash
#                       recovery and the fuzzers as in make test: the
#                       system's capa is left alone, so a make test or
#                       check-private of another working copy is not
#                       clobbered half-way
#   17, 18, 19          make test PG=NN, in their cached chroots
#                       (test/chroot.sh: capa goes into the chroot's
#                       PostgreSQL, one run per chroot at a time)
#   test/major_upgrade.sh                  (15 -> 18: pg_upgrade, and
#                                           pg_dump and restore)
#
# One line per part with its time, then the total, last:
#   N passed, N failed
#
#   CAPA_MATRIX="15 17 18 19"   the majors
#   CAPA_MATRIX_QUICK=""        of those, the ones that run regress,
#                               isolation and pgTAP only (CAPA_SUITE=quick);
#                               .ci/run sets it when the whole matrix does
#                               not fit CI's time
#   CAPA_MATRIX_UPGRADE=1       0: no major upgrade test
# Each part's output goes to the terminal and to test/matrix-PART.log.
set -u
cd "$(dirname "$0")/.."
# each part names its installation itself: the PG_CONFIG make test-matrix
# exports (15's) must not reach make test PG=NN (the Makefile also lets
# PG=NN win over it)
unset PG_CONFIG
majors=${CAPA_MATRIX:-15 17 18 19}
quick=" ${CAPA_MATRIX_QUICK:-} "
passed=0
failed=0
lines=()

# the part's "N passed, N failed" (its last such line), added to the totals
count() {  # count NAME LOG SECONDS WHAT
    local line p f
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$2" | tail -n 1)
    if [ -z "$line" ]; then
        line="0 passed, 1 failed (no summary line)"
        p=0 f=1
    else
        p=${line%% passed*}
        f=${line#*, }
        f=${f%% failed*}
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    lines+=("$(printf '%-26s %s  (%s, %d min %02d s)' "$1:" "$line" "$4" $(($3 / 60)) $(($3 % 60)))")
}

for m in $majors; do
    log=test/matrix-$m.log
    start=$(date +%s)
    suite=
    what="whole suite"
    if [[ $quick == *" $m "* ]]; then
        suite=quick
        what="regress, isolation, pgTAP"
    fi
    if [ -x "/usr/lib/postgresql/$m/bin/pg_config" ]; then
        # a major this machine has (15): a private copy, not make test,
        # which would install capa into the system's directories
        what="$what, private copy"
        { make --no-print-directory deps PG="$m" &&
          PG_CONFIG=/usr/lib/postgresql/$m/bin/pg_config CAPA_SUITE=$suite CAPA_SANITIZERS=none \
              CAPA_RUN_CRASH=1 CAPA_FUZZ_SMOKE=1 ./test/sanitize.sh; } 2>&1 | tee "$log"
    else
        CAPA_SUITE=$suite make --no-print-directory test PG="$m" 2>&1 | tee "$log"
    fi
    count "PostgreSQL $m" "$log" $(($(date +%s) - start)) "$what"
done

if [ "${CAPA_MATRIX_UPGRADE:-1}" = 1 ]; then
    log=test/matrix-upgrade.log
    start=$(date +%s)
    ./test/major_upgrade.sh 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    ok=$(grep -cE '^ok [0-9]+' "$log")
    bad=$(grep -cE '^not ok [0-9]+' "$log")
    [ "$status" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
    echo "$ok passed, $bad failed" >> "$log"
    count "upgrade 15 -> 18" "$log" $(($(date +%s) - start)) "pg_upgrade, dump and restore"
fi

echo
printf '%s\n' "${lines[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
