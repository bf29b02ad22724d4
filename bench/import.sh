#!/bin/bash
# make bench-import: IMPORT_ROWS (default 1,000,000) records with a typical
# history (bench/import_source.sql: open, in progress and closed, 0.7
# action items per record) imported by one capa_import() call on a
# throwaway cluster (synchronous_commit = off); prints the import rate in
# records per second, checks the trail, then the KPI read latencies
# (bench/kpi_latency.sh) on the imported register.
#   CAPA_IN_VIRTUALENV=1 runs against the database libpq's environment
#   names instead (PGHOST, PGPORT, PGDATABASE), with capa installed there.
#   VERIFY=0 skips capa_audit_verify() over the imported trail.
set -eu
cd "$(dirname "$0")/.."
ROWS=${IMPORT_ROWS:-1000000}
VERIFY=${VERIFY:-1}

if [ "${CAPA_IN_VIRTUALENV:-}" != 1 ]; then
    exec env CAPA_IN_VIRTUALENV=1 IMPORT_ROWS="$ROWS" VERIFY="$VERIFY" \
        pg_virtualenv -t -v 15 -o synchronous_commit=off -o shared_buffers=512MB \
        -o max_wal_size=8GB -o checkpoint_timeout=30min "$0" "$@"
fi

q() { psql -qXAt -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }

q -c "SET client_min_messages = warning" -c "CREATE EXTENSION capa" -f test/policy_0_2.sql
t0=$(now)
q -v rows="$ROWS" -f bench/import_source.sql >/dev/null
q -c "VACUUM ANALYZE bench_source" -c "CHECKPOINT"
t1=$(now)
echo "source: $ROWS rows in bench_source ($(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s to generate)" >&2

# the import: one statement, timed from the client
t0=$(now)
imported=$(q -c "SELECT capa.capa_import('bench_source')")
t1=$(now)
read -r records actions audit <<<"$(q -F ' ' -c "SELECT (SELECT count(*) FROM capa.register),
    (SELECT count(*) FROM capa.action), (SELECT count(*) FROM capa.audit)")"
echo
echo "capa_import of $imported records ($actions action items, $audit audit rows), synchronous_commit = off:"
awk -v n="$imported" -v m="$actions" -v a="$t0" -v b="$t1" 'BEGIN {
    printf "  %.1f s: %.0f records/s, %.0f rows/s (records and action items); target 20000 rows/s\n",
           b - a, n / (b - a), (n + m) / (b - a) }'
q -F ' ' -c "SELECT state, count(*) FROM capa.register GROUP BY state ORDER BY state" |
    awk '{printf "    %-12s %8d\n", $1, $2}'

if [ "$VERIFY" = 1 ]; then
    t0=$(now)
    findings=$(q -c "SELECT count(*) FROM capa.capa_audit_verify()")
    t1=$(now)
    awk -v f="$findings" -v a="$t0" -v b="$t1" 'BEGIN {
        printf "  capa_audit_verify(): %d findings, %.1f s\n", f, b - a }'
    [ "$findings" = 0 ] || { echo "the imported trail does not verify" >&2; exit 1; }
fi

# ---- KPI read latencies on the imported register (bench/kpi_latency.sh) ----
./bench/kpi_latency.sh
