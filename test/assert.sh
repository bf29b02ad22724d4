#!/bin/bash
# The whole suite on PostgreSQL built from source with checks Debian's
# packages do not have (test/pg-source.sh, cached), through
# test/sanitize.sh: capa installed into a private copy, crash recovery
# included; fails on any test failure and on any assertion failure
# (TRAP), backend killed by a signal, leak warning or sanitizer report in
# the server logs.
#
#   test/assert.sh cassert   make test-assert: 15.18 and 18.6 with
#                            --enable-cassert
#   test/assert.sh asan      make sanitize-server: 18.6 built with
#                            -fsanitize=address,undefined (and cassert),
#                            capa built the same way (PGXS takes the
#                            server's flags)
#
# One line per version, then the total "N passed, N failed".
#   CAPA_ASSERT_VERSIONS  the versions (default above)
set -u
cd "$(dirname "$0")/.."
flavour=${1:-cassert}
case $flavour in
cassert) versions=${CAPA_ASSERT_VERSIONS:-15.18 18.6} ;;
asan) versions=${CAPA_ASSERT_VERSIONS:-18.6}
      # the instrumented client programs (pg_config, psql, initdb) leak at
      # exit as frontend programs do: no LeakSanitizer report for them
      # (test/sanitize.sh sets the server's options itself)
      export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" ;;
*) echo "assert.sh: cassert or asan" >&2; exit 2 ;;
esac
passed=0
failed=0
lines=()
for v in $versions; do
    start=$(date +%s)
    log=test/assert-$v-$flavour.log
    if pgc=$(./test/pg-source.sh "$v" "$flavour"); then
        # Debian's pg_cron for 18 needs a newer glibc than Debian 12's
        skip_cron=
        case $v in 15.*) ;; *) skip_cron=no-pg_cron-for-a-source-build-of-$v-on-Debian-12 ;; esac
        PG_CONFIG=$pgc CAPA_SANITIZERS=none CAPA_RUN_CRASH=1 CAPA_SKIP_CRON=$skip_cron \
            ./test/sanitize.sh 2>&1 | tee "$log"
    else
        echo "0 passed, 1 failed" | tee "$log"
    fi
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    [ -n "$line" ] || line="0 passed, 1 failed"
    p=${line%% passed*}
    f=${line#*, }
    f=${f%% failed*}
    passed=$((passed + p))
    failed=$((failed + f))
    s=$(($(date +%s) - start))
    lines+=("PostgreSQL $v ($flavour): $line ($((s / 60)) min $((s % 60)) s)")
done
echo
printf '%s\n' "${lines[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
