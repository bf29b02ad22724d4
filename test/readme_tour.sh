#!/bin/bash
# README.md's tour of the lifecycle, as TAP: every SQL block of the section
# "A tour of the lifecycle" is run in order, on a new database with the
# built-in policy, as the role the README says takes that step; each must
# succeed, and where the README shows a result (a "--  value" line) the
# block must give exactly that.  So the README cannot drift from what capa
# does without this failing.  The year in the references is this year's.
#
# Needs a running server (PG* variables, as pg_virtualenv sets them) and
# capa installed.
set -u
cd "$(dirname "$0")/.."
. test/lib.sh
db=capa_readme_tour
roles="alice ops_lead bob isms_manager"
cleanup() {
    dropdb --if-exists "$db" 2>/dev/null
    for r in $roles; do psql -XAtq -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
}
trap cleanup EXIT
cleanup
createdb "$db"
psql -XAtq -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL' || exit 1
SET client_min_messages = warning;
CREATE EXTENSION capa;
CREATE ROLE alice;          -- the record's owner, a capa_editor
CREATE ROLE ops_lead;       -- the action item's owner
CREATE ROLE bob;            -- verifies and closes
CREATE ROLE isms_manager;   -- capa_admin
GRANT capa_editor TO alice, ops_lead;
GRANT capa_verifier TO bob;
GRANT capa_admin TO isms_manager;
SQL

# Who takes each block's step, in the README's order (its text says so)
who=(alice alice alice alice ops_lead alice alice alice isms_manager bob bob bob isms_manager)
year=$(date -u +%Y)
work=$(mktemp -d)
python3 - "$work" <<'PY'
import re, sys
s = open('README.md').read()
tour = s[s.index('## A tour of the lifecycle'):]
tour = tour[:tour.index('\n## ', 5)]
for i, block in enumerate(re.findall(r'```sql\n(.*?)```', tour, re.S)):
    open('%s/%02d.sql' % (sys.argv[1], i + 1), 'w').write(block)
PY
blocks=$(ls "$work"/*.sql | wc -l)
n=0
fail=0
tap_ok "$blocks" "${#who[@]}" "the tour has the blocks this test knows who takes (README.md, A tour of the lifecycle)"
i=0
for f in "$work"/*.sql; do
    role=${who[$i]:-postgres}
    i=$((i + 1))
    sed -i "s/CAPA-2026-/CAPA-$year-/g" "$f"
    want=$(sed -n 's/^--  //p' "$f" | sed "s/CAPA-2026-/CAPA-$year-/g")
    got=$(psql -XAtq -v ON_ERROR_STOP=1 -d "$db" \
               -c "SET SESSION AUTHORIZATION $role" -f "$f" 2>&1)
    status=$?
    first=$(head -c 70 "$f" | tr '\n' ' ')
    if [ -n "$want" ]; then
        tap_ok "$status $got" "0 $want" "block $i as $role gives what the README shows: $first"
    else
        tap_ok "$status" 0 "block $i as $role succeeds: $first" "$got"
    fi
done
rm -rf "$work"
echo "1..$n"
exit "$fail"
