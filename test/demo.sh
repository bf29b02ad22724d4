#!/bin/bash
# make demo's scripts, as TAP: demo/demo.sql and demo/year.sql run to the end
# on a database of their own (as make demo runs them), and the year they
# leave is the one demo/year.sql describes: all three kinds, closed and
# overdue records, governed changes with reasons, a fix found ineffective
# and re-analysed, links to controls, an intact trail, and the report and
# the evidence pack written.
# Needs a running server (PG* variables, as pg_virtualenv sets them) with
# capa installed; the demo's roles (demo_*) must not exist (they are dropped
# at the end).
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got: '$1'"; echo "#  want: '$2'"; fail=1; fi; }
q() { psql -XAtq -v ON_ERROR_STOP=1 -d capa_demo -c "$1"; }
cleanup() {
    dropdb --if-exists capa_demo >/dev/null 2>&1
    psql -Xq -d postgres -c 'DROP ROLE IF EXISTS demo_alice, demo_ops, demo_bob, demo_carol, demo_dave' >/dev/null 2>&1
}
cleanup
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"; cleanup' EXIT
mkdir "$work/demo"
createdb capa_demo

# from a directory of its own: the scripts write demo/*.html where they run
(cd "$work" && psql -X -v ON_ERROR_STOP=1 -d capa_demo -f "$repo/demo/demo.sql" -f "$repo/demo/year.sql" > "$work/out" 2>&1)
ok "$?" 0 "demo/demo.sql and demo/year.sql run to the end"
[ "$fail" = 0 ] || sed 's/^/# /' "$work/out" | tail -20

ok "$(q "SELECT string_agg(kind || ' ' || (n >= 8), ', ' ORDER BY kind) FROM (SELECT kind, count(*) AS n FROM capa.register GROUP BY kind) k")" \
   "corrective true, improvement true, preventive true" "at least eight records of each kind"
ok "$(q "SELECT count(*) >= 60, count(DISTINCT date_trunc('month', opened_at)) >= 12 FROM capa.register")" "t|t" \
   "sixty records and more, opened over twelve months"
ok "$(q "SELECT closed_total >= 30, overdue_total > 0, open_total > 0 FROM capa.kpi_summary")" "t|t|t" \
   "closed records, and open ones, some overdue"
ok "$(q "SELECT count(*) FILTER (WHERE step = 'reschedule') >= 2, count(*) FILTER (WHERE step = 'reassign') >= 2,
                count(*) FILTER (WHERE step = 'reanalyse' OR (step = 'verify' AND to_state::text = 'analysed')) >= 1,
                bool_and(changed ->> 'reason' <> '') FILTER (WHERE step IN ('reschedule', 'reassign'))
           FROM capa.audit")" "t|t|t|t" \
   "due dates moved and owners changed, each with a reason, and a fix sent back to analysis"
ok "$(q "SELECT count(*) >= 60, count(DISTINCT key) >= 10 FROM capa.link")" "t|t" "records linked to the controls they failed"
ok "$(q "SELECT count(*) > 30, count(*) FILTER (WHERE content IS NOT NULL) FROM capa.attachment")" "t|1" \
   "evidence attached: a file capa keeps and many kept elsewhere"
ok "$(q "SELECT count(*) FROM capa.capa_evidence_check(sha256(convert_to('Restore test ERP 2026-W49: 15 of 15 jobs restored, checksums match.', 'UTF8')))")" 1 \
   "the restore test report is found on its record by its SHA-256"
ok "$(q "SELECT count(*) FROM capa.capa_audit_verify()")" 0 "the trail verifies"
ok "$(grep -c '<svg' "$work/demo/capa-report.html")" 6 "the report is written, with its charts"
ok "$(grep -c 'Audit trail intact' "$work/demo/capa-dossier.html") $(grep -c "<h1>Evidence pack $(q "SELECT min(id::text) FROM capa.register WHERE title LIKE 'Nightly ERP backups%'")" "$work/demo/capa-dossier.html")" \
   "1 1" "the evidence pack of the demo's record is written, its trail intact"

echo "1..$n"
exit $fail
