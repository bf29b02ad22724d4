#!/bin/bash
# Dump and restore round trip, as TAP: pg_dump (plain and custom format)
# of a database with capa gives back the same register, action items and
# audit trail; the chain verifies, also against a digest taken before the
# dump; restored records continue their lifecycle.  Needs a running server
# (PG* variables, as pg_virtualenv sets them) and capa installed.
set -u
cd "$(dirname "$0")/.."    # test/policy_0_2.sql
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got: '$1'"; echo "#  want: '$2'"; fail=1; fi; }
q() { psql -XAtq -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
work=$(mktemp -d)
chmod 777 "$work"

for db in capa_src capa_plain capa_custom; do dropdb --if-exists "$db"; done
createdb capa_src
psql -Xq -v ON_ERROR_STOP=1 -d capa_src >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION capa;
\i test/policy_0_2.sql
INSERT INTO capa.source (code, label) VALUES ('pentest', 'Penetration test');
INSERT INTO capa.policy (segregation_of_duties) VALUES (true);
-- the finding's facts (0.5.0): a grade capa_admin added, a record with
-- every fact, and an improvement without a severity
INSERT INTO capa.grade (code, label) VALUES ('concern', 'Area of concern');
SELECT capa.capa_open('With facts', 'd', 'minor', 'pentest', detected_at => now() - interval '2 days',
                      requirement => 'ISO/IEC 27001:2022 A.8.13', grade => 'concern',
                      objective_evidence => 'no restore test this year');
SELECT capa.capa_open('Improvement without severity', 'd', NULL, 'pentest', 'improvement');
DO $$
DECLARE
    r capa.capa_ref;
    a bigint;
    i int;
BEGIN
    FOR i IN 1..20 LOOP
        r := capa.capa_open('Finding ' || i, 'd', 'major', CASE WHEN i % 2 = 0 THEN 'pentest' ELSE 'incident' END,
                            owner => 'owner_' || i);
        CONTINUE WHEN i % 5 = 0;
        PERFORM capa.capa_contain(r, 'contained', 'none');
        CONTINUE WHEN i % 4 = 0;
        PERFORM capa.capa_analyse(r, 'cause', '5whys', 'extent');
        a := capa.capa_add_action(r, 'fix', 'ops', current_date + 7);
        PERFORM capa.capa_plan(r);
        PERFORM capa.capa_complete_action(a, 'done');
        PERFORM capa.capa_implement(r);
        CONTINUE WHEN i % 3 = 0;
        PERFORM capa.capa_verify(r, true, 'works');
        PERFORM capa.capa_close(r, 'procedure v2');
    END LOOP;
END $$;
SQL
# records imported with their history (capa_import): restored as any other
q capa_src "CREATE TABLE public.old_register (legacy_id text, kind text, state text, severity text,
                title text, description text, source text, owner text, opened_at timestamptz,
                opened_by text, cancel_reason text, cancelled_at timestamptz, cancelled_by text,
                actions jsonb);
            INSERT INTO public.old_register VALUES
              ('OLD-1', 'corrective', 'open', 'minor', 'Imported 1', 'd', 'incident', 'owner_x',
               '2021-05-01', 'owner_x', NULL, NULL, NULL,
               '[{\"description\": \"fix\", \"owner\": \"ops\", \"due\": \"2021-06-01\"}]'),
              ('OLD-2', 'improvement', 'cancelled', 'major', 'Imported 2', 'd', 'pentest', 'owner_y',
               '2020-02-01', 'owner_y', 'duplicate', '2020-02-03', 'owner_y', NULL);
            SELECT capa.capa_import('public.old_register')" >/dev/null
# a link into a table of the database's own: restored by name, after that table
q capa_src "CREATE TABLE public.controls (code text PRIMARY KEY);
            INSERT INTO public.controls VALUES ('A.8.13');
            SELECT capa.capa_link(id, 'public.controls', 'A.8.13') FROM capa.register WHERE title = 'Finding 1'" >/dev/null
# an intake on a findings table of the database's own: its trigger is in
# the dump with the table, its configuration (keyed by intake id, not by
# trigger OID) with capa's data
q capa_src "CREATE TABLE public.findings (id serial PRIMARY KEY, summary text, level int);
            SELECT capa.capa_intake('public.findings', 'level >= 3',
                '{\"title\": \"summary\", \"description\": \"summary\", \"severity\": {\"column\": \"level\", \"map\": {\"3\": \"minor\", \"4\": \"major\"}},
                  \"source\": {\"const\": \"pentest\"}}');
            INSERT INTO public.findings (summary, level) VALUES ('Found before the dump', 4), ('not matched', 1)" >/dev/null
# org unit grants: a live one is restored; a dropped role's (a bare OID,
# which another cluster would read as whichever role has it there) is not dumped
q capa_src "CREATE ROLE capa_restore_live; CREATE ROLE capa_restore_gone;
            INSERT INTO capa.org_unit_access (role_name, org_unit)
            VALUES ('capa_restore_live', 'north'), ('capa_restore_gone', 'south');
            DROP ROLE capa_restore_gone" >/dev/null
# governed changes (0.3.0): a reassignment, a reschedule, an amendment, a
# cancelled action item, an ineffective verification sent back to analysis;
# restored with their audit rows
q capa_src "SELECT capa.capa_reassign(id, 'owner_new', 'owner left') FROM capa.register WHERE title = 'Finding 3';
            SELECT capa.capa_reschedule(id, 'close', now() + interval '100 days', 'waiting for a vendor') FROM capa.register WHERE title = 'Finding 3';
            SELECT capa.capa_amend(id, 'root_cause', 'the real cause', 'typo') FROM capa.register WHERE title = 'Finding 6';
            SELECT capa.capa_cancel_action(capa.capa_add_action(id, 'not needed', 'ops', current_date + 3), 'duplicate item')
              FROM capa.register WHERE title = 'Finding 4';
            SELECT capa.capa_verify(id, false, 'failed again', reanalyse => true) FROM capa.register WHERE title = 'Finding 9'" >/dev/null
ok "$(q capa_src "SELECT string_agg(step, ',' ORDER BY seq) FROM capa.audit
                   WHERE step IN ('reassign', 'reschedule', 'amend', 'cancel_action')")
    $(q capa_src "SELECT state || ' ' || reanalyse_count FROM capa.register WHERE title = 'Finding 9'")" \
   "reassign,reschedule,amend,cancel_action
    analysed 1" "the source has governed changes and a re-analysis in its trail"
# an owner bound to its role (0.3.0, owner_role): bound again by name when
# restored, since the role has another OID in another cluster (here: the
# role is dropped and made again between the dump and the restore)
q capa_src "DROP ROLE IF EXISTS capa_restore_owner; CREATE ROLE capa_restore_owner;
            SELECT capa.capa_open('Bound owner', 'd', 'minor', 'pentest', owner => 'capa_restore_owner')" >/dev/null
# [attach] evidence items (0.5.0): a stored file (2 MB, out of line), a
# file kept elsewhere, a withdrawn reference; restored with their audit rows
q capa_src "SELECT capa.capa_attach(id, 'Backup log', step => 'verify', content => decode(repeat('0123456789abcdef', 131072), 'hex'),
                                    media_type => 'text/plain') FROM capa.register WHERE title = 'Finding 1';
            SELECT capa.capa_attach(id, 'Procedure v2', sha256 => sha256('procedure v2'::bytea), uri => 'dms://BK-01/v2')
              FROM capa.register WHERE title = 'Finding 2';
            SELECT capa.capa_withdraw_attachment(capa.capa_attach(id, 'Wrong ticket', uri => 'https://tickets/1'), 'wrong ticket')
              FROM capa.register WHERE title = 'Finding 2'" >/dev/null
ok "$(q capa_src "SELECT count(*) || ' ' || count(content) || ' ' || count(withdrawn_at) FROM capa.attachment")" "3 1 1" \
   "the source has attachments: one stored, one withdrawn"
# escalations of the imported record's overdue action item: restored, and a
# run after the restore adds nothing new the same day
escalated=$(q capa_src "SELECT count(*) FROM capa.capa_escalate()")
digest=$(q capa_src "SELECT capa.capa_digest()")
q capa_src "SELECT capa.capa_review_snapshot('Review 1')" >/dev/null
q capa_src "SELECT capa.capa_review_snapshot('Review 2')" >/dev/null
fingerprint="SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
  SELECT (to_jsonb(r) - 'owner_role')::text AS x FROM capa.register r
  UNION ALL SELECT (to_jsonb(a) - 'owner_role')::text FROM capa.action a
  UNION ALL SELECT u::text FROM capa.audit u UNION ALL SELECT d::text FROM capa.digest d
  UNION ALL SELECT s::text FROM capa.source s WHERE NOT builtin
  UNION ALL SELECT g::text FROM capa.grade g WHERE NOT builtin
  UNION ALL SELECT p::text FROM capa.policy p WHERE NOT builtin
  UNION ALL SELECT v::text FROM capa.review_snapshot v
  UNION ALL SELECT e::text FROM capa.escalation e
  UNION ALL SELECT (to_jsonb(t) - 'content')::text || md5(t.content) FROM capa.attachment t) t"
src_print=$(q capa_src "$fingerprint")
# the KPIs (without as_of) and the links: derived data that must come back too
kpis="SELECT md5(row(s.*)::text || (SELECT string_agg(m::text, '|' ORDER BY m.month) FROM capa.kpi_monthly m)
                 || coalesce((SELECT string_agg(l::text, '|' ORDER BY l.id) FROM capa.link l), ''))
        FROM (SELECT open_total, overdue_total, closed_total, mean_days_to_close, median_days_to_close,
                     on_time_closure_rate, first_time_effective_rate FROM capa.kpi_summary) s"
src_kpis=$(q capa_src "$kpis")
ok "$(q capa_src "SELECT count(*) FROM capa.capa_audit_verify()")" 0 "the source database verifies"
ok "$([ "$escalated" -gt 0 ] && echo t)" t "the source database has escalations ($escalated)"

pg_dump -d capa_src -f "$work/capa.sql"
pg_dump -d capa_src -Fc -f "$work/capa.dump"
old_oid=$(q capa_src "SELECT owner_role FROM capa.register WHERE title = 'Bound owner'")
q capa_src "DROP ROLE capa_restore_owner; CREATE ROLE capa_restore_owner" >/dev/null
ok "$(q capa_src "SELECT '$old_oid' <> 'capa_restore_owner'::regrole::oid::text")" t \
   "the bound owner's role now has another OID ($old_oid before)"
createdb capa_plain
psql -Xq -v ON_ERROR_STOP=1 -d capa_plain -f "$work/capa.sql" >"$work/plain.log" 2>&1
ok "$?" 0 "a plain-format dump restores with psql, without errors"
createdb capa_custom
pg_restore --exit-on-error -d capa_custom "$work/capa.dump" >"$work/custom.log" 2>&1
ok "$?" 0 "a custom-format dump restores with pg_restore, without errors"

for db in capa_plain capa_custom; do
    ok "$(q $db "$fingerprint")" "$src_print" "$db: the same register, action items, audit trail, digests, review snapshots, escalations and added lookup rows"
    ok "$(q $db "SELECT string_agg(changed ->> 'legacy_id', ',' ORDER BY seq) FROM capa.audit WHERE step = 'import' AND action_id IS NULL")" \
       "OLD-1,OLD-2" "$db: the imported records, with their import audit rows"
    ok "$(q $db "$kpis")" "$src_kpis" "$db: the same KPIs (the rollup is restored, not recomputed) and links"
    ok "$(q $db "SELECT count(*) FROM capa.capa_audit_verify(digest => '$digest')")" 0 \
       "$db: the chains verify, also against the digest taken before the dump"
    ok "$(q $db "SELECT owner_role = 'capa_restore_owner'::regrole::oid FROM capa.register WHERE title = 'Bound owner'")" t \
       "$db: a restored owner is bound to the role of its name here, not to the dumped OID"
    ok "$(q $db "SELECT count(*) FROM (SELECT owner, owner_role FROM capa.register UNION ALL SELECT owner, owner_role FROM capa.action) o
                  WHERE owner_role IS DISTINCT FROM (SELECT oid FROM pg_roles WHERE rolname = o.owner)")" 0 \
       "$db: every restored owner that names a role is bound to it, the others are not"
    ok "$(q $db "SELECT count(*) || ' ' || bool_and(hash_ok AND link_ok) FROM capa.review_comparison")" "2 true" \
       "$db: the review snapshots still give their hashes and links"
    ok "$(q $db "SELECT last_value FROM capa.register_number_seq") $(q $db "SELECT last_value FROM capa.audit_seq_seq")" \
       "$(q capa_src "SELECT last_value FROM capa.register_number_seq") $(q capa_src "SELECT last_value FROM capa.audit_seq_seq")" \
       "$db: the sequences continue where they stopped"
    ok "$(q $db "SELECT count(*) FROM capa.capa_escalate()")" 0 \
       "$db: the escalations continue where they stopped (nothing new the same day)"
    # restored records continue their lifecycle, through the rules
    ok "$(q $db "SELECT capa.capa_verify(id, true, 'checked after restore') FROM capa.register WHERE title = 'Finding 3'")" \
       verified "$db: a restored record continues its lifecycle"
    ok "$(q $db "SELECT left(capa.capa_contain(id, 'x', 'y')::text, 0) FROM capa.register WHERE title = 'Finding 1'" 2>&1 | grep -c 'cannot move from closed')" \
       1 "$db: and the rules still hold for restored records"
    ok "$(q $db "SELECT capa.capa_open('After restore', 'd', 'minor', 'pentest')::text > max(id::text) FROM capa.register WHERE title <> 'After restore'")" \
       t "$db: new references follow the restored ones"
    ok "$(q $db "SELECT source_name || ' ' || status FROM capa.intake")" "public.findings active" \
       "$db: the intake comes back with its trigger"
    ok "$(q $db "INSERT INTO public.findings (summary, level) VALUES ('Found after the restore', 3), ('not matched', 2);
                 SELECT string_agg(r.title || ' ' || r.severity || ' ' || l.key, ',' ORDER BY r.id)
                   FROM capa.register r JOIN capa.link l ON l.capa_id OPERATOR(capa.=) r.id
                  WHERE l.target OPERATOR(pg_catalog.=) 'public.findings'::regclass")" \
       "Found before the dump major 1,Found after the restore minor 3" "$db: the restored intake still opens records, linked to their rows"
    ok "$(q $db "SELECT string_agg(role_name::text || ' ' || org_unit, ',') FROM capa.org_unit_access")" \
       "capa_restore_live north" "$db: org unit grants of existing roles come back, a dropped role's is left out"
    ok "$(q $db "SELECT count(*) FROM capa.capa_audit_verify()")" 0 "$db: the trail still verifies after new steps"
    # [attach] the stored file comes back whole, and is found by its SHA-256
    ok "$(q $db "SELECT count(*) FROM capa.capa_evidence_check(sha256(decode(repeat('0123456789abcdef', 131072), 'hex')))")" 1 \
       "$db: a restored file is found by the SHA-256 of the file handed over"
    ok "$(q $db "SELECT capa.capa_attach(id, 'After restore', uri => 'u') > (SELECT max(id) FROM capa.attachment WHERE title <> 'After restore')
                   FROM capa.register WHERE title = 'Finding 2'")" t "$db: new attachments follow the restored ones"
    ok "$(q $db "SELECT count(*) FROM capa.capa_audit_verify()")" 0 "$db: and the trail verifies with them"
done

# only a superuser restores: a row carrying a chain head from anyone else is refused
q capa_plain "CREATE ROLE capa_restore_probe; GRANT INSERT ON capa.register TO capa_restore_probe; GRANT USAGE ON SCHEMA capa TO capa_restore_probe" >/dev/null 2>&1
ok "$(psql -XAtq -d capa_plain -c "SET ROLE capa_restore_probe; INSERT INTO capa.register (title, description, severity, source, chain_seq, chain_head) VALUES ('t','d','minor','other', 1, '\\x00')" 2>&1 | grep -c 'only a superuser can restore')" \
   1 "a non-superuser cannot pass rows off as restored"
q capa_plain "REVOKE ALL ON capa.register FROM capa_restore_probe; REVOKE ALL ON SCHEMA capa FROM capa_restore_probe; DROP ROLE capa_restore_probe" >/dev/null 2>&1

for db in capa_src capa_plain capa_custom; do dropdb --if-exists "$db"; done
psql -Xq -c "DROP ROLE IF EXISTS capa_restore_live" -c "DROP ROLE IF EXISTS capa_restore_owner" >/dev/null 2>&1
rm -rf "$work"
echo "1..$n"
exit $fail
