#!/bin/bash
# make bench (last part): capa_audit_verify() audit rows per second on one
# core, on a throwaway cluster.
#
# The trail: VERIFY_RECORDS (default 112000) corrective actions, each taken
# through its whole lifecycle (9 audit rows: open, contain, analyse, an
# action item added and completed, plan, implement, verify, close), step by
# step across all records, so each record's rows lie far apart in the
# table as they do when many records move at once (the harder case for a
# read in chain order).  The trail fits in shared_buffers: this measures
# verification, not the disk.
#
# Timed in one session after one warm-up run, VERIFY_RUNS (default 5)
# times, median.  For scale, the same hash check as a query
# (sha256(capa_audit_bytes(seq)) = hash for every row) once.
set -eu
cd "$(dirname "$0")/.."
RECORDS=${VERIFY_RECORDS:-112000}
RUNS=${VERIFY_RUNS:-5}

if [ "${CAPA_IN_VIRTUALENV:-}" != 1 ]; then
    exec env CAPA_IN_VIRTUALENV=1 VERIFY_RECORDS="$RECORDS" VERIFY_RUNS="$RUNS" \
        pg_virtualenv -t -v 15 -o synchronous_commit=off -o shared_buffers=1GB "$0" "$@"
fi

psql -qX -v ON_ERROR_STOP=1 >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION capa;
\\i test/policy_0_2.sql
CREATE TEMP TABLE ids (id capa.capa_ref PRIMARY KEY, aid bigint);
INSERT INTO ids (id)
SELECT capa.capa_open('Backups failed', 'Nightly ERP backup job failed three nights', 'major',
                      'internal_audit', owner => 'bench_owner')
  FROM generate_series(1, $RECORDS);
SELECT count(capa.capa_contain(id, 'Manual backup taken', 'none')) FROM ids;
SELECT count(capa.capa_analyse(id, 'No owner assigned for backup monitoring', '5whys', 'Checked other jobs')) FROM ids;
UPDATE ids SET aid = capa.capa_add_action(id, 'Assign owner and alerting', 'ops', current_date + 14);
SELECT count(capa.capa_plan(id)) FROM ids;
SELECT count(capa.capa_complete_action(aid, 'Ticket 42')) FROM ids;
SELECT count(capa.capa_implement(id)) FROM ids;
SELECT count(capa.capa_verify(id, true, '30 days of green backups')) FROM ids;
SELECT count(capa.capa_close(id, 'Backup procedure v2')) FROM ids;
VACUUM ANALYZE;
SQL

rows=$(psql -qXAt -c "SELECT count(*) FROM capa.audit")
# one session: a warm-up run (loads the trail into shared_buffers), then
# the timed runs; each must find nothing
times=$(
    {
        echo '\timing on'
        for ((i = 0; i <= RUNS; i++)); do
            echo "SELECT count(*) AS findings FROM capa.capa_audit_verify();"
        done
    } | psql -qXAt -v ON_ERROR_STOP=1 |
        awk '/^Time:/ { print $2; next } $1 != "0" { print "findings: " $0 > "/dev/stderr"; exit 1 }' |
        tail -n "$RUNS")
median=$(echo "$times" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
query_ms=$(
    printf '%s\n' '\timing on' \
        "SELECT count(*) FILTER (WHERE sha256(capa.capa_audit_bytes(seq)) <> hash) FROM capa.audit;" |
        psql -qXAt -v ON_ERROR_STOP=1 | awk '/^Time:/ { print $2 }')

echo
echo "capa_audit_verify(), $rows audit rows ($RECORDS lifecycles, interleaved), one backend,"
echo "median of $RUNS runs after a warm-up (times in ms: $(echo $times)):"
awk -v r="$rows" -v m="$median" -v q="$query_ms" 'BEGIN {
    printf "verify            %8.0f ms  %9.0f audit rows/s (budget 1,000,000)\n", m, r / (m / 1000)
    printf "hash check query  %8.0f ms  %9.0f audit rows/s (verify does more, %.1fx faster)\n", q, r / (q / 1000), q / m }'
