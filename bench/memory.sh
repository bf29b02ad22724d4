#!/bin/bash
# A backend's memory over many lifecycles: one client, one connection, runs
# LIFECYCLES (100,000) whole lifecycles through capa's functions and samples
# the total of its memory contexts now and then.  Flat means no per-call
# growth in capa's long-lived caches (catalog, plans, send functions).
# Prints the samples after warm-up and the growth from the first to the last.
set -u
cd "$(dirname "$0")/.."
if [ "${CAPA_IN_VIRTUALENV:-}" != 1 ]; then
    exec env CAPA_IN_VIRTUALENV=1 pg_virtualenv -t -v 15 -o synchronous_commit=off "$0" "$@"
fi
lifecycles=${LIFECYCLES:-100000}
psql -XAtq -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning; CREATE EXTENSION capa;
    CREATE TABLE mem_sample (at timestamptz DEFAULT clock_timestamp(), lifecycles bigint, bytes bigint)" \
    -f test/policy_0_2.sql || exit 1
pgbench -n -c 1 -t "$lifecycles" -f bench/memory_lifecycle.pgbench >/dev/null || exit 1
psql -XAt -F ' ' -c "SELECT lifecycles, bytes FROM mem_sample ORDER BY lifecycles" | awk -v n="$lifecycles" '
    { l[NR] = $1; b[NR] = $2 }
    END {
        # the first tenth is warm-up: caches and plans are filled then
        first = 0
        for (i = 1; i <= NR; i++) if (l[i] >= n / 10) { first = i; break }
        if (!first) { print "too few samples"; exit 1 }
        min = b[first]; max = b[first]
        for (i = first; i <= NR; i++) { if (b[i] < min) min = b[i]; if (b[i] > max) max = b[i] }
        printf "samples after %d lifecycles: %d, memory contexts %d..%d bytes\n", l[first], NR - first + 1, min, max
        printf "growth from lifecycle %d to %d: %d bytes (%.3f bytes per lifecycle)\n", l[first], l[NR], b[NR] - b[first], (b[NR] - b[first]) / (l[NR] - l[first])
    }'
