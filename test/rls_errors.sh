#!/bin/bash
# Row-level security by org unit, as TAP: every entry point answers a record
# (action item, audit row) of a unit the caller may not see with the very
# error it gives for one that does not exist, down to the fields pgTAP
# cannot read: psql's verbose report (VERBOSITY verbose) carries the
# error's source location (file, line, function), which every client
# receives, so a hidden and a missing record must also fail at the same
# place in capa's code.  test/pgtap/44_hostile_units.sql compares the
# other fields (SQLSTATE, message, detail, hint, context) over every kind
# and state; this one adds the location, for one record per state that
# matters.  docs/security.md, rule (c).
#
# Needs a running server (PG* variables, as pg_virtualenv sets them) and
# capa installed.
set -u
cd "$(dirname "$0")/.."    # test/policy_0_2.sql
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got: '$1'" | head -20; echo "#  want: '$2'" | head -20; fail=1; fi; }
db=capa_rls_errors
roles="rlserr_north rlserr_ops"
cleanup() {
    dropdb --if-exists "$db" 2>/dev/null
    for r in $roles; do psql -XAtq -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
}
trap cleanup EXIT
cleanup
createdb "$db"
psql -Xq -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION capa;
\i test/policy_0_2.sql
CREATE ROLE rlserr_north;
CREATE ROLE rlserr_ops;
GRANT capa_editor, capa_verifier TO rlserr_north;
CREATE TABLE public.probe (id int PRIMARY KEY);
INSERT INTO public.probe VALUES (1);
GRANT SELECT ON public.probe TO rlserr_north;
SELECT capa.capa_rls_enable();
INSERT INTO capa.org_unit_access VALUES ('rlserr_north', 'north');
-- the south's records: one open, one implemented with a done item, one closed
CREATE TABLE public.south (state text, ref capa.capa_ref, action_id bigint, seq bigint);
DO $$
DECLARE
    r capa.capa_ref;
    a bigint;
BEGIN
    r := capa.capa_open('s-open', 'd', 'major', 'incident', owner => 'rlserr_ops', org_unit => 'south');
    INSERT INTO public.south VALUES ('open', r, NULL, NULL);
    r := capa.capa_open('s-impl', 'd', 'major', 'incident', owner => 'rlserr_ops', org_unit => 'south');
    PERFORM capa.capa_contain(r, 'c', 'c');
    PERFORM capa.capa_analyse(r, 'r', '5whys', 'e');
    a := capa.capa_add_action(r, 'fix', 'rlserr_ops', current_date + 7);
    PERFORM capa.capa_plan(r);
    PERFORM capa.capa_complete_action(a, 'done');
    PERFORM capa.capa_implement(r);
    INSERT INTO public.south VALUES ('implemented', r, a, NULL);
    r := capa.capa_open('s-closed', 'd', 'minor', 'incident', owner => 'rlserr_ops', org_unit => 'south');
    PERFORM capa.capa_contain(r, 'c', 'c');
    PERFORM capa.capa_analyse(r, 'r', '5whys', 'e', action_required => false, justification => 'one-off');
    PERFORM capa.capa_close(r, 'none');
    a := NULL;
    INSERT INTO public.south VALUES ('closed', r, NULL, NULL);
    r := capa.capa_open('s-planned', 'd', 'major', 'incident', owner => 'rlserr_ops', org_unit => 'south');
    PERFORM capa.capa_contain(r, 'c', 'c');
    PERFORM capa.capa_analyse(r, 'r', '5whys', 'e');
    a := capa.capa_add_action(r, 'fix', 'rlserr_ops', current_date + 7);
    PERFORM capa.capa_plan(r);
    INSERT INTO public.south VALUES ('planned', r, a, NULL);
END
$$;
UPDATE public.south s SET seq = (SELECT max(a.seq) FROM capa.audit a WHERE a.capa_id OPERATOR(capa.=) s.ref);
SQL

missing_ref='CAPA-2026-999999'
missing_action=999999999
missing_seq=999999999

# the verbose error of one statement as the north, with the reference,
# action id or audit seq replaced; LOCATION included
answer() {  # answer SQL TOKEN
    psql -X -d "$db" -v VERBOSITY=verbose -c "SET ROLE rlserr_north" -c "$1" 2>&1 >/dev/null |
        sed "s/\\b$2\\b/<id>/g"
}

# the two answers are equal, and are a refusal by capa (an error with its
# location), not two failures of something else that happen to match
same() {  # same HIDDEN MISSING DESCRIPTION
    local want=$2
    case $want in ERROR:*LOCATION:*) ;; *) want="(an error with a location) $want" ;; esac
    ok "$1" "$want" "$3"
}

calls=(
  "SELECT capa.capa_contain('%s', 'c', 'c')"
  "SELECT capa.capa_analyse('%s', 'r', '5whys', 'e')"
  "SELECT capa.capa_add_action('%s', 'x', 'rlserr_ops', current_date)"
  "SELECT capa.capa_plan('%s')"
  "SELECT capa.capa_implement('%s')"
  "SELECT capa.capa_verify('%s', true, 'e')"
  "SELECT capa.capa_verify('%s', false, 'e')"
  "SELECT capa.capa_close('%s', 'none')"
  "SELECT capa.capa_reopen('%s', 'why')"
  "SELECT capa.capa_next_states('%s')"
  "SELECT capa.capa_link('%s', 'public.probe', '1')"
  "SELECT capa.capa_unlink('%s', 'public.probe', '1')"
  "SELECT capa.capa_dossier('%s')"
  "SELECT capa.capa_dossier_html('%s')"
  "SELECT * FROM capa.capa_conformance('%s')"
  "SELECT * FROM capa.capa_audit_verify(record => '%s')"
)
states=$(psql -XAtq -d "$db" -c "SELECT state || ' ' || ref::text FROM public.south ORDER BY state")
while read -r state ref; do
    for c in "${calls[@]}"; do
        # shellcheck disable=SC2059
        hidden=$(answer "$(printf "$c" "$ref")" "$ref")
        # shellcheck disable=SC2059
        missing=$(answer "$(printf "$c" "$missing_ref")" "$missing_ref")
        same "$hidden" "$missing" "the south's $state record, $(printf "$c" '<id>'): the same error as a missing one, location included"
    done
done <<< "$states"

# action items and audit rows of the south
while IFS='|' read -r state action seq; do
    if [ -n "$action" ]; then
        for ev in "'done'" "NULL"; do
            same "$(answer "SELECT capa.capa_complete_action($action, $ev)" "$action")" \
               "$(answer "SELECT capa.capa_complete_action($missing_action, $ev)" "$missing_action")" \
               "the south's action item of a $state record, capa_complete_action(<id>, $ev): the same error as a missing one, location included"
        done
    fi
    same "$(answer "SELECT capa.capa_audit_bytes($seq)" "$seq")" \
       "$(answer "SELECT capa.capa_audit_bytes($missing_seq)" "$missing_seq")" \
       "the south's last audit row of a $state record, capa_audit_bytes(<id>): the same error as a missing one, location included"
done < <(psql -XAtq -F '|' -d "$db" -c "SELECT state, coalesce(action_id::text, ''), seq FROM public.south ORDER BY state")

# and the answers are refusals, not successes that happen to match
ok "$(answer "SELECT capa.capa_next_states('$missing_ref')" "$missing_ref" | head -1)" \
   'ERROR:  42704: capa record <id> does not exist' "a missing record is refused with 42704"

echo "1..$n"
exit "$fail"
