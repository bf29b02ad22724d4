#!/bin/bash
# Upgrade, as TAP: a database is created at the previous version
# (CREATE EXTENSION capa VERSION '0.1.0'), filled through the API with
# records of every kind in several states, action items, a reopen, an
# ineffective verification, links, an import, a review snapshot and a
# digest; then ALTER EXTENSION capa UPDATE.  Checks: the version is the
# control file's default_version; no register, action, audit or digest row
# was rewritten (same content in the 0.1.0 columns, same xmin and ctid);
# the trail verifies against the digest taken before; the KPIs are the
# same; records continue their lifecycle and refused steps are still
# refused; what the update scripts create is a member of the extension;
# nothing is granted to PUBLIC; and the updated database has the same
# member objects, with the same definitions, as one created at the new
# version directly (from its install script, which the Makefile builds
# from sql/extension/NN_*.sql).
#
# Hijack: a hostile non-superuser who owns the database (and so schema
# public) plants look-alikes in public of the built-in functions,
# aggregates and operators an update script could call, and of every capa
# function and operator, and puts public first on the database's
# search_path; the superuser runs ALTER EXTENSION capa UPDATE with public
# first on its own search_path too.  No look-alike is called (each one
# raises a WARNING and writes to a trap table), and the update succeeds.
# Then the update path's scripts are run again outside the extension
# machinery, with public first on the search_path, in a transaction that
# is rolled back, and so is the new version's install script, on a
# database without capa: nothing is created in public, nothing capa's
# scripts create depends on an object in public, and no look-alike is
# called, so the scripts do not rely on the search_path PostgreSQL sets
# for them.
#
# Needs a running server (PG* variables, as pg_virtualenv sets them) and
# capa installed, with its 0.1.0 script, the update scripts and the
# install script of the new version.
set -u
cd "$(dirname "$0")/.."
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got: '$1'" | head -40; echo "#  want: '$2'"; fail=1; fi; }
q() { psql -XAtq -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
work=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "# work: $work"
chmod 777 "$work"
prev=0.1.0
target=$(sed -n "s/^default_version = '\(.*\)'/\1/p" capa.control)

# 0.1.0 is a released version: its install script never changes again, or a
# database installed from the old text would not match what the update
# scripts expect.  Changes go into the newest update script.
ok "$(sha256sum sql/extension/capa--0.1.0.sql | cut -c1-64)" \
   65a53628cda4f4f0cdf0743f298cb7a951911a55651ebb7ead134babd2fa74e5 \
   "capa--0.1.0.sql is frozen (changes belong in an update script)"
# so are the updates to 0.2.0, 0.3.0 and 0.4.0, released too: a change goes
# into a later update script (capa--0.4.0--<next>.sql, with default_version
# raised) and the topic sources sql/extension/NN_*.sql, from which the
# Makefile builds the install script (docs/layout.md, Changing the
# extension's SQL)
ok "$(sha256sum sql/extension/capa--0.1.0--0.2.0.sql | cut -c1-64)" \
   42cdc940b3ea1da026d141d2c86383189c7e8c104a41a4878706c4b07258a662 \
   "capa--0.1.0--0.2.0.sql is frozen (changes belong in a later update script)"
ok "$(sha256sum sql/extension/capa--0.2.0--0.3.0.sql | cut -c1-64)" \
   4ec2480e87dfe33728a039cbdceaa92084eb782e1337f3b6a018659a9b3c8931 \
   "capa--0.2.0--0.3.0.sql is frozen (changes belong in a later update script)"
ok "$(sha256sum sql/extension/capa--0.3.0--0.4.0.sql | cut -c1-64)" \
   7589d217ae5fb9df6edd8954d7716cc0bc838d6e30425bbf5ddc512742c775c8 \
   "capa--0.3.0--0.4.0.sql is frozen (changes belong in a later update script)"
dbs="capa_up_old capa_up_new capa_up_prev capa_up_hijack capa_up_fresh capa_up_restored capa_up_naive capa_up_schema capa_up_grant capa_up_old_schema capa_up_view capa_up_planted capa_up_defacl capa_up_roles"
cleanup() {
    for db in $dbs; do dropdb --if-exists "$db" 2>/dev/null; done
    psql -XAtq -d postgres -c "ALTER ROLE capa_admin NOLOGIN" >/dev/null 2>&1
    psql -XAtq -d postgres -c "DROP ROLE IF EXISTS capa_up_mallory" >/dev/null 2>&1
    psql -XAtq -d postgres -c "DROP ROLE IF EXISTS capa_up_reporter" >/dev/null 2>&1
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
for db in $dbs; do dropdb --if-exists "$db"; done
psql -XAtq -d postgres -c "DROP ROLE IF EXISTS capa_up_mallory" >/dev/null 2>&1

# the scripts the server runs, from its share directory: the update scripts
# of the path prev -> target, in order, and the install script of target
# (which the Makefile builds from sql/extension/NN_*.sql)
extdir=$(q postgres "SELECT setting FROM pg_config WHERE name = 'SHAREDIR'")/extension
update_path=
v=$prev
while [ "$v" != "$target" ]; do
    next=$(ls "$extdir"/capa--"$v"--*.sql 2>/dev/null | head -n 1)
    [ -n "$next" ] || break
    update_path="$update_path $next"
    v=${next##*--}
    v=${v%.sql}
done
install_script=$extdir/capa--$target.sql
ok "$v $([ -f "$install_script" ] && echo installed)" "$target installed" \
   "the server has update scripts from $prev to $target ($(basename -a $update_path | tr '\n' ' '| sed 's/ $//')) and $target's install script"

# --- a 0.1.0 database, filled through the API ---------------------------------
createdb capa_up_old
ok "$(q capa_up_old "SET client_min_messages = warning; CREATE EXTENSION capa VERSION '$prev'; SELECT extversion FROM pg_extension WHERE extname = 'capa'")" \
   "$prev" "CREATE EXTENSION capa VERSION '$prev' installs the previous version"
psql -Xq -v ON_ERROR_STOP=1 -d capa_up_old >"$work/fill.log" 2>&1 <<'SQL'
SET client_min_messages = warning;
INSERT INTO capa.source (code, label) VALUES ('pentest', 'Penetration test');
CREATE TABLE public.controls (code text PRIMARY KEY);
INSERT INTO public.controls VALUES ('A.5.24'), ('A.8.13'), ('A.8.15');
DO $$
DECLARE
    r capa.capa_ref;
    a bigint;
    i int;
BEGIN
    -- corrective records left in every state: open, contained, analysed,
    -- planned, implemented, verified, closed, closed without action, cancelled
    FOR i IN 1..9 LOOP
        r := capa.capa_open('Corrective ' || i, 'd', 'major', CASE WHEN i % 2 = 0 THEN 'pentest' ELSE 'incident' END,
                            owner => 'owner_' || i, priority => 1 + i % 5);
        CONTINUE WHEN i = 1;
        IF i = 9 THEN PERFORM capa.capa_cancel(r, 'duplicate'); CONTINUE; END IF;
        PERFORM capa.capa_contain(r, 'contained', 'none');
        CONTINUE WHEN i = 2;
        IF i = 8 THEN
            PERFORM capa.capa_analyse(r, 'one-off', '5whys', 'none elsewhere', action_required => false,
                                      justification => 'no recurrence possible');
            PERFORM capa.capa_close(r, 'none needed');
            CONTINUE;
        END IF;
        PERFORM capa.capa_analyse(r, 'cause', 'fishbone', 'extent', cause_category => 'process',
                                  why_chain => ARRAY['why 1', 'why 2']);
        CONTINUE WHEN i = 3;
        a := capa.capa_add_action(r, 'fix', 'ops_' || i, current_date + 7);
        PERFORM capa.capa_plan(r);
        CONTINUE WHEN i = 4;
        PERFORM capa.capa_complete_action(a, 'done');
        PERFORM capa.capa_implement(r);
        CONTINUE WHEN i = 5;
        PERFORM capa.capa_verify(r, true, 'works');
        CONTINUE WHEN i = 6;
        PERFORM capa.capa_close(r, 'procedure v2');
    END LOOP;
    -- preventive: open, then one through an ineffective verification to implemented
    PERFORM capa.capa_open('Preventive 1', 'd', 'minor', 'risk_assessment', kind => 'preventive', owner => 'owner_p');
    r := capa.capa_open('Preventive 2', 'd', 'minor', 'risk_assessment', kind => 'preventive', owner => 'owner_p');
    PERFORM capa.capa_analyse(r, 'cause', '5whys');
    a := capa.capa_add_action(r, 'harden', 'ops_p', current_date - 3);
    PERFORM capa.capa_add_action(r, 'document', 'ops_p', current_date - 1);
    PERFORM capa.capa_plan(r);
    PERFORM capa.capa_complete_action(a, 'hardened');
    PERFORM capa.capa_complete_action(a + 1, 'documented');
    PERFORM capa.capa_implement(r);
    PERFORM capa.capa_verify(r, false, 'came back');
    a := capa.capa_add_action(r, 'harden again', 'ops_p', current_date + 30);
    PERFORM capa.capa_complete_action(a, 'hardened again');
    PERFORM capa.capa_implement(r);
    -- improvement: closed, reopened, and planned again with a pending item
    r := capa.capa_open('Improvement 1', 'd', 'observation', 'management_review', kind => 'improvement', owner => 'owner_i');
    a := capa.capa_add_action(r, 'automate', 'ops_i', current_date + 10);
    PERFORM capa.capa_plan(r);
    PERFORM capa.capa_complete_action(a, 'automated');
    PERFORM capa.capa_implement(r);
    PERFORM capa.capa_verify(r, true, 'faster');
    PERFORM capa.capa_close(r, 'standard now');
    PERFORM capa.capa_reopen(r, 'regressed');
    PERFORM capa.capa_add_action(r, 'automate again', 'ops_i', current_date + 20);
    PERFORM capa.capa_plan(r);
    PERFORM capa.capa_open('Improvement 2', 'd', 'observation', 'management_review', kind => 'improvement',
                           owner => 'owner_i', org_unit => 'emea');
END $$;
-- links into a table of the database's own, one of them ended
SELECT capa.capa_link(id, 'public.controls', 'A.8.13') FROM capa.register WHERE title IN ('Corrective 7', 'Corrective 5');
SELECT capa.capa_link(id, 'public.controls', 'A.5.24') FROM capa.register WHERE title = 'Corrective 7';
SELECT capa.capa_unlink(id, 'public.controls', 'A.5.24') FROM capa.register WHERE title = 'Corrective 7';
-- records imported with their history
CREATE TABLE public.old_register (legacy_id text, kind text, state text, severity text,
    title text, description text, source text, owner text, opened_at timestamptz,
    opened_by text, cancel_reason text, cancelled_at timestamptz, cancelled_by text, actions jsonb);
INSERT INTO public.old_register VALUES
  ('OLD-1', 'corrective', 'open', 'minor', 'Imported 1', 'd', 'incident', 'owner_x',
   '2021-05-01', 'owner_x', NULL, NULL, NULL,
   '[{"description": "fix", "owner": "ops", "due": "2021-06-01"}]'),
  ('OLD-2', 'improvement', 'cancelled', 'major', 'Imported 2', 'd', 'pentest', 'owner_y',
   '2020-02-01', 'owner_y', 'duplicate', '2020-02-03', 'owner_y', NULL);
SELECT capa.capa_import('public.old_register');
SQL
ok "$?" 0 "the $prev database is filled through the API (every kind, several states, items, a reopen, an ineffective verification, links, an import)" 
[ -s "$work/fill.log" ] && grep -E 'ERROR|FATAL' "$work/fill.log" | sed 's/^/# /'
# a review snapshot (its own READ COMMITTED transaction), then a digest
q capa_up_old "SELECT capa.capa_review_snapshot('Review before the update')" >/dev/null
digest=$(q capa_up_old "SELECT capa.capa_digest()")
ok "$(q capa_up_old "SELECT count(*) FROM capa.capa_audit_verify(digest => '$digest')")" 0 "the $prev database verifies, against its digest too"
ok "$(q capa_up_old "SELECT string_agg(DISTINCT kind || ':' || state::text, ',' ORDER BY kind || ':' || state::text) FROM capa.register")" \
   "corrective:analysed,corrective:cancelled,corrective:closed,corrective:contained,corrective:implemented,corrective:open,corrective:planned,corrective:verified,improvement:cancelled,improvement:open,improvement:planned,preventive:implemented,preventive:open" \
   "the $prev register holds records of every kind in several states"

# Fingerprints, as queries built from the $prev catalogs, so that columns
# a later version adds do not count: the rows as the $prev columns show them
cols() {  # cols DB TABLE: row(col, col, ...) of the table's columns now
    q "$1" "SELECT 'row(' || string_agg('x.' || quote_ident(attname), ', ' ORDER BY attnum) || ')::text'
              FROM pg_attribute WHERE attrelid = 'capa.$2'::regclass AND attnum > 0 AND NOT attisdropped"
}
hashed="SELECT md5(string_agg(x, '|' ORDER BY x)) FROM ("
sep=
for t in register action audit digest; do
    hashed="$hashed $sep SELECT '$t ' || $(cols capa_up_old $t) AS x FROM capa.$t x"
    sep="UNION ALL"
done
hashed="$hashed) t"
other="SELECT md5(string_agg(x, '|' ORDER BY x)) FROM ("
sep=
for t in link review_snapshot kpi_rollup kpi_close_days kpi_action_due source cause_category rca_method; do
    other="$other $sep SELECT '$t ' || $(cols capa_up_old $t) AS x FROM capa.$t x"
    sep="UNION ALL"
done
other="$other) t"
# where the rows are and which transaction wrote them: an UPDATE that
# writes the same values still moves them.  Register and action rows whose
# owner names a role are written once by 0.3.0's update (owner_role bound,
# triggers off); the others stay where they are
written="SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
           SELECT 'u' || ctid::text || xmin::text AS x FROM capa.audit UNION ALL
           SELECT 'd' || ctid::text || xmin::text FROM capa.digest) t"
unbound="SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
           SELECT 'r' || ctid::text || xmin::text AS x FROM capa.register g
            WHERE NOT EXISTS (SELECT FROM pg_roles o WHERE o.rolname = g.owner) UNION ALL
           SELECT 'a' || ctid::text || xmin::text FROM capa.action g
            WHERE NOT EXISTS (SELECT FROM pg_roles o WHERE o.rolname = g.owner)) t"
# the policy in force per severity, and for owners
in_force="SELECT string_agg(format('%s %s %s %s', p.severity, p.contain_within, p.close_within, p.effectiveness_within), ', ' ORDER BY p.severity)
            FROM capa.severity_policy p
           WHERE p.id = (SELECT max(q.id) FROM capa.severity_policy q WHERE q.severity OPERATOR(capa.=) p.severity)"
# the KPI views' output (every kpi_ view of $prev, its $prev columns, as_of left out)
kpis="SELECT md5(string_agg(x, '|' ORDER BY x)) FROM ("
sep=
for v in $(q capa_up_old "SELECT relname FROM pg_class WHERE relnamespace = 'capa'::regnamespace AND relkind = 'v' AND relname LIKE 'kpi\_%' ORDER BY 1"); do
    c=$(q capa_up_old "SELECT string_agg('x.' || quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                        WHERE attrelid = 'capa.$v'::regclass AND attnum > 0 AND NOT attisdropped AND attname <> 'as_of'")
    kpis="$kpis $sep SELECT '$v ' || row($c)::text AS x FROM capa.$v x"
    sep="UNION ALL"
done
kpis="$kpis) t"
before_hashed=$(q capa_up_old "$hashed")
before_other=$(q capa_up_old "$other")
before_written=$(q capa_up_old "$written")
before_unbound=$(q capa_up_old "$unbound")
before_in_force=$(q capa_up_old "$in_force")
before_max_policy=$(q capa_up_old "SELECT max(id) FROM capa.severity_policy")
before_builtin_in_force=$(q capa_up_old "SELECT count(*) FROM capa.severity_policy p WHERE p.builtin
                                          AND p.id = (SELECT max(q.id) FROM capa.severity_policy q WHERE q.severity OPERATOR(capa.=) p.severity)")
before_kpis=$(q capa_up_old "$kpis")
before_kpi_summary=$(q capa_up_old "SELECT open_total || ' open, ' || closed_total || ' closed, ' || cancelled_total || ' cancelled, ' || reopened_total || ' reopened, ' || overdue_actions || ' overdue actions' FROM capa.kpi_summary")
before_audit=$(q capa_up_old "SELECT count(*) FROM capa.audit")
before_max_seq=$(q capa_up_old "SELECT coalesce(max(seq), 0) FROM capa.audit")
note_counts=$(q capa_up_old "SELECT (SELECT count(*) FROM capa.register) || ' records, ' || (SELECT count(*) FROM capa.action) || ' action items, ' || (SELECT count(*) FROM capa.audit) || ' audit rows, ' || (SELECT count(*) FROM capa.link) || ' links'")
echo "# $prev: $note_counts; KPIs: $before_kpi_summary"

# members of the extension at $prev, by identity
members="SELECT i.type || ' ' || i.identity FROM pg_depend d
           CROSS JOIN LATERAL pg_identify_object(d.classid, d.objid, d.objsubid) i
          WHERE d.refclassid = 'pg_extension'::regclass
            AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'capa') AND d.deptype = 'e'
          ORDER BY 1"
q capa_up_old "$members" > "$work/members_prev"

# a dump of the database as it is now, restored after the update below
pg_dump -Fc -f "$work/prev.dump" capa_up_old

# --- the update ----------------------------------------------------------------
psql -XAtq -v ON_ERROR_STOP=1 -d capa_up_old -c "ALTER EXTENSION capa UPDATE" >"$work/update.log" 2>&1
ok "$?" 0 "ALTER EXTENSION capa UPDATE succeeds $(grep -m1 ERROR "$work/update.log")"
ok "$(q capa_up_old "SELECT extversion FROM pg_extension WHERE extname = 'capa'")" "$target" \
   "the extension is at the control file's default_version ($target)"
ok "$(q capa_up_old "SELECT default_version FROM pg_available_extensions WHERE name = 'capa'")" "$target" \
   "the installed control file is this checkout's (default_version $target)"
# the same columns under their names now: 0.4.0 renamed capa.audit's
# record_id to capa_id (capa--0.3.0--0.4.0.sql), the values stay
ok "$(q capa_up_old "${hashed//x.record_id/x.capa_id}")" "$before_hashed" "the register, action, audit and digest rows are unchanged (their $prev columns)"
ok "$(q capa_up_old "$written")" "$before_written" "the update wrote no audit or digest row (same ctid and xmin)"
ok "$(q capa_up_old "$unbound")" "$before_unbound" "... nor a register or action row whose owner names no role"
ok "$(q capa_up_old "SELECT count(*) FILTER (WHERE owner_role IS DISTINCT FROM (SELECT oid FROM pg_roles WHERE rolname = owner)) || ' of ' || count(*) FROM (
                      SELECT owner, owner_role FROM capa.register UNION ALL SELECT owner, owner_role FROM capa.action) o")" \
   "0 of $(q capa_up_old "SELECT (SELECT count(*) FROM capa.register) + (SELECT count(*) FROM capa.action)")" \
   "every owner that names a role is bound to it (owner_role), the others are not"
ok "$(q capa_up_old "$other")" "$before_other" "links, review snapshots, the KPI rollup and the lookup tables are unchanged"
ok "$(q capa_up_old "$in_force") ($(echo "$before_in_force" | grep -c critical))" "$before_in_force (1)" \
   "the due dates in force per severity are the database's own, as before the update"
ok "$(q capa_up_old "SELECT count(*) FILTER (WHERE NOT builtin AND effectiveness_after IS NULL) || ' of ' || count(*)
                      FROM capa.severity_policy WHERE id > $before_max_policy")" \
   "$before_builtin_in_force of $before_builtin_in_force" \
   "... kept in rows of its own without a window, one per severity that was on the built-in row (docs/reference.md, Versioned policy)"
ok "$(q capa_up_old "SELECT free_text_owners || ' ' || builtin FROM capa.policy WHERE free_text_owners IS NOT NULL ORDER BY id DESC LIMIT 1")" \
   "true false" "... and a policy row of its own keeps free-text owners"
ok "$(q capa_up_old "SELECT count(*) FROM capa.capa_audit_verify(digest => '$digest')")" 0 \
   "the trail verifies after the update, against the digest taken before it"
ok "$(q capa_up_old "$kpis")" "$before_kpis" "the KPI views give the same figures"
ok "$(q capa_up_old "SELECT count(*) || ' ' || bool_and(hash_ok AND link_ok) FROM capa.review_comparison")" "1 true" \
   "the review snapshot taken before the update still gives its hash and link"

# the lifecycle goes on
ok "$(q capa_up_old "SELECT capa.capa_contain(id, 'contained after the update', 'none') FROM capa.register WHERE title = 'Corrective 1'")" \
   contained "an open record is contained after the update"
ok "$(q capa_up_old "SELECT capa.capa_verify(id, true, 'checked after the update') FROM capa.register WHERE title = 'Preventive 2'")" \
   verified "a record implemented before the update (after an ineffective verification) is verified"
ok "$(q capa_up_old "SELECT capa.capa_complete_action(a.id, 'done after the update')::text || capa.capa_implement(r.id)
                      FROM capa.register r JOIN capa.action a ON a.capa_id OPERATOR(capa.=) r.id AND NOT a.done WHERE r.title = 'Improvement 1'")" \
   implemented "the reopened improvement is implemented with the item it planned before the update"
ok "$(q capa_up_old "SELECT capa.capa_contain(id, 'c', 'c') FROM capa.register WHERE title = 'Imported 1'")" \
   contained "an imported record continues its lifecycle"
ok "$(q capa_up_old "SELECT capa.capa_open('After the update', 'd', 'minor', 'pentest')::text > max(id::text) FROM capa.register WHERE title <> 'After the update'")" \
   t "a record opened after the update gets the next reference"
ok "$(q capa_up_old "SELECT count(*) - $before_audit FROM capa.audit")" 6 \
   "each step after the update wrote its audit row (6)"
ok "$(q capa_up_old "SELECT count(*) FROM capa.capa_audit_verify(digest => '$digest')")" 0 \
   "the trail verifies after the new steps, against the old digest too"
ok "$(psql -XAtq -v VERBOSITY=sqlstate -d capa_up_old -c "SELECT capa.capa_contain(id, 'x', 'y') FROM capa.register WHERE title = 'Corrective 7'" 2>&1)" \
   "ERROR:  55000" "a step a closed record does not allow is still refused with 55000"
ok "$(psql -XAtq -v VERBOSITY=sqlstate -d capa_up_old -c "SELECT capa.capa_close(id, '') FROM capa.register WHERE title = 'Preventive 2'" 2>&1)" \
   "ERROR:  22023" "a close without ISMS changes is still refused with 22023"
ok "$(psql -XAtq -v VERBOSITY=sqlstate -d capa_up_old -c "UPDATE capa.audit SET step = 'x' WHERE seq = 1" 2>&1)" \
   "ERROR:  42501" "the audit trail still refuses an UPDATE with 42501"
ok "$(q capa_up_old "SELECT count(*) FROM capa.capa_audit_verify()")" 0 "the trail verifies after the refused steps"
# governed change (0.3.0) on records the previous version wrote: the first
# due date becomes known at the first reschedule, counters start from none
ok "$(q capa_up_old "SELECT capa.capa_reschedule(r.id, 'close', r.close_due + interval '30 days', 'moved after the update')
                      FROM capa.register r WHERE r.title = 'Corrective 4';
                    SELECT x.original_close_due + interval '30 days' = x.close_due AND x.reschedule_count = 1
                      FROM capa.register x WHERE x.title = 'Corrective 4'" | tail -n 1)" \
   t "a record of $prev is rescheduled: its first close due date is kept, the reschedule counted"
ok "$(q capa_up_old "SELECT capa.capa_reassign(id, 'owner_new', 'handed over after the update') FROM capa.register WHERE title = 'Corrective 3';
                    SELECT capa.capa_amend(id, 'root_cause', 'cause, corrected', 'typo') FROM capa.register WHERE title = 'Corrective 3';
                    SELECT owner || ' ' || root_cause || ' ' || reassign_count FROM capa.register WHERE title = 'Corrective 3'" | tail -n 1)" \
   "owner_new cause, corrected 1" "a record of $prev is reassigned and amended"
ok "$(q capa_up_old "SELECT capa.capa_cancel_action(a.id, 'not needed after the update')
                      FROM capa.register r JOIN capa.action a ON a.capa_id OPERATOR(capa.=) r.id WHERE r.title = 'Corrective 4';
                    SELECT count(*) FROM capa.action a JOIN capa.register r ON a.capa_id OPERATOR(capa.=) r.id
                     WHERE r.title = 'Corrective 4' AND a.cancelled_at IS NOT NULL" | tail -n 1)" \
   1 "an action item of $prev is cancelled"
ok "$(q capa_up_old "SELECT count(*) FROM capa.capa_audit_verify(digest => '$digest')")" 0 \
   "the trail verifies after the governed changes, against the old digest too"

# what the update scripts create is a member of the extension
created=$(sed -n 's/^[[:space:]]*CREATE[[:space:]]\+\(OR[[:space:]]\+REPLACE[[:space:]]\+\)\?\(FUNCTION\|PROCEDURE\|AGGREGATE\|TABLE\|VIEW\|MATERIALIZED[[:space:]]\+VIEW\|SEQUENCE\|TYPE\)[[:space:]]\+\(IF[[:space:]]\+NOT[[:space:]]\+EXISTS[[:space:]]\+\)\?@extschema@\.\([A-Za-z_0-9]*\).*/\4/p' \
          $update_path | sort -u)
missing=
for o in $created; do
    [ "$(q capa_up_old "SELECT count(*) FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
                         AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'capa')
                         AND ((d.classid = 'pg_class'::regclass AND d.objid IN (SELECT oid FROM pg_class WHERE relnamespace = 'capa'::regnamespace AND relname = '$o'))
                           OR (d.classid = 'pg_proc'::regclass AND d.objid IN (SELECT oid FROM pg_proc WHERE pronamespace = 'capa'::regnamespace AND proname = '$o'))
                           OR (d.classid = 'pg_type'::regclass AND d.objid IN (SELECT oid FROM pg_type WHERE typnamespace = 'capa'::regnamespace AND typname = '$o')))")" -gt 0 ] ||
        missing="$missing $o"
done
q capa_up_old "$members" > "$work/members_updated"
ok "${missing:-none}" none "every object the update scripts create ($(echo $created | wc -w): $(echo $created | tr '\n' ' ' | cut -c1-200)) is a member of the extension"
# a function an update script drops to create it with a new signature
# (0.5.0: capa_open with the finding's facts at its end) is a member under
# the new one: the comparison with a new database below checks that
replaced=$(sed -n 's/^DROP FUNCTION @extschema@\.\([A-Za-z_0-9]*\)(.*/\1/p' $update_path | sort -u | paste -sd'|')
ok "$(comm -23 "$work/members_prev" "$work/members_updated" | grep -Ev "^function capa\.(${replaced:-^})\(" | head -20)" "" \
   "every $prev member is still a member (but the functions the update replaces: ${replaced:-none})"
echo "# the update adds $(comm -13 "$work/members_prev" "$work/members_updated" | wc -l) members"

public_grants="SELECT coalesce(string_agg(what, ', ' ORDER BY what), 'none') FROM (
    SELECT 'relation ' || c.oid::regclass::text || ' ' || a.privilege_type AS what
      FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner))) a
     WHERE c.relnamespace = 'capa'::regnamespace AND a.grantee = 0
    UNION ALL
    SELECT 'column ' || t.attrelid::regclass::text || '.' || t.attname || ' ' || a.privilege_type
      FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid, aclexplode(t.attacl) a
     WHERE c.relnamespace = 'capa'::regnamespace AND t.attacl IS NOT NULL AND a.grantee = 0
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure::text || ' ' || a.privilege_type
      FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
     WHERE p.pronamespace = 'capa'::regnamespace AND a.grantee = 0
    UNION ALL
    SELECT 'schema capa ' || a.privilege_type
      FROM pg_namespace s, aclexplode(coalesce(s.nspacl, acldefault('n', s.nspowner))) a
     WHERE s.nspname = 'capa' AND a.grantee = 0) g"
ok "$(q capa_up_old "$public_grants")" none "after the update nothing in schema capa is granted to PUBLIC (tables, sequences, columns, functions, the schema)"

# --- a dump taken at $prev, restored at $target ------------------------------------
# A dump does not say which capa version wrote it, and its COPY names the
# columns of that version (0.4.0 renamed capa.audit's record_id): it goes
# into a database created at that version, which is then updated
# (docs/operations.md, Dump and restore)
createdb capa_up_restored
q capa_up_restored "SET client_min_messages = warning; CREATE EXTENSION capa VERSION '$prev'" >/dev/null
# (without the dump's CREATE SCHEMA capa, which CREATE EXTENSION made)
pg_restore -l "$work/prev.dump" | grep -vE '^[0-9]+; 2615 [0-9]+ SCHEMA - capa [^ ]+$' >"$work/prev.list"
pg_restore --single-transaction --exit-on-error -L "$work/prev.list" -d capa_up_restored "$work/prev.dump" >"$work/restore.log" 2>&1
ok "$?" 0 "a dump taken at $prev restores into a database created at $prev $(grep -m1 -i error "$work/restore.log")"
psql -XAtq -v ON_ERROR_STOP=1 -d capa_up_restored -c "ALTER EXTENSION capa UPDATE" >"$work/restore_update.log" 2>&1
ok "$?" 0 "... which updates to $target $(grep -m1 ERROR "$work/restore_update.log")"
ok "$(q capa_up_restored "SELECT count(*) || ' audit rows, ' || count(DISTINCT capa_id) || ' records' FROM capa.audit")" \
   "$(q capa_up_old "SELECT count(*) || ' audit rows, ' || count(DISTINCT capa_id) || ' records' FROM capa.audit WHERE seq <= $before_max_seq")" \
   "... with every audit row the dump held"
ok "$(q capa_up_restored "SELECT count(*) FROM capa.capa_audit_verify(digest => '$digest')")" 0 \
   "... and its trail verifies against the digest taken at $prev"
# restored into the current version straight away, the trail's COPY fails,
# loudly: nothing is taken for a trail that is not there
createdb capa_up_naive
pg_restore -d capa_up_naive "$work/prev.dump" >"$work/naive.log" 2>&1
naive=$?
ok "$naive $(grep -c 'column "record_id" of relation "audit" does not exist' "$work/naive.log")" "1 1" \
   "restored into $target directly, pg_restore fails and names the renamed column (the documented way is the one above)"

# --- the same as a database created at the new version directly -----------------
createdb capa_up_new
q capa_up_new "SET client_min_messages = warning; CREATE EXTENSION capa" >/dev/null
# The install script of $target is built from the topic sources
# (sql/extension/NN_*.sql), not from the update scripts: this is the check
# that the two give the same extension.  Every member with its definition:
# functions (pg_get_functiondef, or every part of an aggregate), tables and
# views (columns in attnum order with their types, defaults, storage,
# statistics targets and comments; constraints, indexes, triggers and
# whether they fire, policies, rules and extended statistics, with their
# comments; persistence, replica identity, options, row-level security;
# the view's query), sequences (and the column that owns them), types,
# operators, operator classes and families (their operators, functions and
# purposes), casts; privileges, owners and comments of all; the extension
# row, the tables and sequences pg_dump dumps with their conditions, the
# initial privileges pg_dump leaves out (pg_init_privs); and the builtin
# rows of the lookup and policy tables.  Each line of the output starts
# with its object, so a diff line names it.
definitions=$(cat <<'SQL'
WITH m AS (
    SELECT d.classid, d.objid, d.objsubid FROM pg_depend d
     WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
       AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'capa')
), defs AS (
SELECT i.type || ' ' || i.identity AS obj, coalesce(
    CASE m.classid
    WHEN 'pg_proc'::regclass THEN (
        SELECT CASE WHEN p.prokind = 'a'
               THEN (SELECT format('aggregate %s kind %s sfunc %s stype %s finalfunc %s extra %s modify %s combinefunc %s '
                                   'serialfunc %s deserialfunc %s msfunc %s minvfunc %s mfinalfunc %s initcond %s sortop %s parallel %s',
                                   pg_get_function_arguments(p.oid), g.aggkind, g.aggtransfn, format_type(g.aggtranstype, NULL),
                                   g.aggfinalfn, g.aggfinalextra, g.aggfinalmodify, g.aggcombinefn, g.aggserialfn, g.aggdeserialfn,
                                   g.aggmtransfn, g.aggminvtransfn, g.aggmfinalfn, g.agginitval, g.aggsortop::regoperator, p.proparallel)
                       FROM pg_aggregate g WHERE g.aggfnoid = p.oid)
               ELSE pg_get_functiondef(p.oid) END
               || E'\nowner ' || p.proowner::regrole || ' acl ' || coalesce(p.proacl::text, 'default')
          FROM pg_proc p WHERE p.oid = m.objid)
    WHEN 'pg_class'::regclass THEN (
        SELECT format('relkind %s persistence %s am %s tablespace %s owner %s acl %s options %s replident %s rls %s/%s',
                      c.relkind, c.relpersistence, (SELECT a.amname FROM pg_am a WHERE a.oid = c.relam), c.reltablespace,
                      c.relowner::regrole, coalesce(c.relacl::text, 'default'), c.reloptions, c.relreplident,
                      c.relrowsecurity, c.relforcerowsecurity)
               || E'\n' || CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) ELSE '' END
               -- the columns in attnum order, attnum too: the audit chain's
               -- row encoding and SELECT * follow it
               || E'\n' || coalesce((SELECT string_agg(format('column %s %s %s %s default %s acl %s stats %s storage %s compression %s identity %s generated %s collation %s comment %s',
                                                              a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
                                                              CASE WHEN a.attnotnull THEN 'not null' END,
                                                              pg_get_expr(ad.adbin, ad.adrelid), a.attacl, a.attstattarget, a.attstorage,
                                                              a.attcompression, a.attidentity, a.attgenerated,
                                                              (SELECT co.collname FROM pg_collation co WHERE co.oid = a.attcollation),
                                                              col_description(c.oid, a.attnum)),
                                                       E'\n' ORDER BY a.attnum)
                                     FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
               || E'\n' || coalesce((SELECT string_agg('constraint ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
                                                       || ' comment ' || coalesce(obj_description(co.oid, 'pg_constraint'), ''), E'\n' ORDER BY co.conname)
                                     FROM pg_constraint co WHERE co.conrelid = c.oid), '')
               || E'\n' || coalesce((SELECT string_agg(pg_get_indexdef(x.indexrelid) || ' comment '
                                                       || coalesce(obj_description(x.indexrelid, 'pg_class'), ''), E'\n' ORDER BY 1)
                                     FROM pg_index x WHERE x.indrelid = c.oid), '')
               || E'\n' || coalesce((SELECT string_agg(pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text
                                                       || ' comment ' || coalesce(obj_description(t.oid, 'pg_trigger'), ''), E'\n' ORDER BY t.tgname)
                                     FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), '')
               || E'\n' || coalesce((SELECT string_agg(format('policy %s %s %s %s using %s check %s comment %s', po.polname, po.polcmd, po.polpermissive,
                                                              po.polroles::regrole[], pg_get_expr(po.polqual, po.polrelid),
                                                              pg_get_expr(po.polwithcheck, po.polrelid),
                                                              obj_description(po.oid, 'pg_policy')), E'\n' ORDER BY po.polname)
                                     FROM pg_policy po WHERE po.polrelid = c.oid), '')
               || E'\n' || coalesce((SELECT string_agg(format('rule %s %s', r.rulename, pg_get_ruledef(r.oid)), E'\n' ORDER BY r.rulename)
                                     FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename <> '_RETURN'), '')
               || E'\n' || coalesce((SELECT string_agg(format('statistics %s target %s', pg_get_statisticsobjdef(s.oid), s.stxstattarget), E'\n' ORDER BY 1)
                                     FROM pg_statistic_ext s WHERE s.stxrelid = c.oid), '')
               || E'\n' || coalesce((SELECT format('sequence %s %s %s %s %s %s %s owned by %s', format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
                                                   s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
                                                   (SELECT d.refobjid::regclass || '.' || a.attname FROM pg_depend d
                                                      JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                                                     WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
                                                       AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
                                     FROM pg_sequence s WHERE s.seqrelid = c.oid), '')
          FROM pg_class c WHERE c.oid = m.objid)
    WHEN 'pg_type'::regclass THEN (
        SELECT format('type %s %s %s %s %s %s %s %s %s %s %s %s default %s elem %s array %s delim %s analyze %s modin %s modout %s collation %s notnull %s base %s subscript %s',
                      t.typtype, t.typlen, t.typbyval, t.typcategory, t.typalign,
                      t.typstorage, t.typinput::regproc, t.typoutput::regproc, t.typreceive::regproc, t.typsend::regproc,
                      t.typowner::regrole, t.typacl, t.typdefault, t.typelem::regtype, t.typarray::regtype, t.typdelim,
                      t.typanalyze::regproc, t.typmodin::regproc, t.typmodout::regproc, t.typcollation, t.typnotnull,
                      t.typbasetype::regtype, t.typsubscript::regproc)
          FROM pg_type t WHERE t.oid = m.objid)
    WHEN 'pg_operator'::regclass THEN (
        SELECT format('operator kind %s result %s %s com %s neg %s rest %s join %s hashes %s merges %s owner %s', o.oprkind,
                      o.oprresult::regtype, o.oprcode::regproc,
                      o.oprcom::regoperator, o.oprnegate::regoperator, o.oprrest::regproc, o.oprjoin::regproc,
                      o.oprcanhash, o.oprcanmerge, o.oprowner::regrole)
          FROM pg_operator o WHERE o.oid = m.objid)
    WHEN 'pg_opclass'::regclass THEN (
        SELECT format('opclass %s default %s type %s family %s keytype %s owner %s',
                      (SELECT a.amname FROM pg_am a WHERE a.oid = oc.opcmethod), oc.opcdefault, format_type(oc.opcintype, NULL),
                      (SELECT f.opfname FROM pg_opfamily f WHERE f.oid = oc.opcfamily), oc.opckeytype::regtype, oc.opcowner::regrole)
          FROM pg_opclass oc WHERE oc.oid = m.objid)
    WHEN 'pg_opfamily'::regclass THEN (
        SELECT coalesce((SELECT string_agg(format('op %s %s purpose %s sortfamily %s', ao.amopstrategy, ao.amopopr::regoperator,
                                                  ao.amoppurpose, ao.amopsortfamily), ' '
                                           ORDER BY ao.amopstrategy, ao.amopopr::regoperator::text)
                           FROM pg_amop ao WHERE ao.amopfamily = m.objid), '')
               || ' ' || coalesce((SELECT string_agg(format('proc %s %s %s %s', ap.amprocnum, ap.amproc::regprocedure,
                                                            ap.amproclefttype::regtype, ap.amprocrighttype::regtype), ' '
                                                     ORDER BY ap.amprocnum, ap.amproc::regprocedure::text)
                                   FROM pg_amproc ap WHERE ap.amprocfamily = m.objid), ''))
    WHEN 'pg_cast'::regclass THEN (
        SELECT format('cast %s %s %s', ca.castfunc::regprocedure, ca.castcontext, ca.castmethod)
          FROM pg_cast ca WHERE ca.oid = m.objid)
    WHEN 'pg_namespace'::regclass THEN (
        SELECT format('schema owner %s acl %s', s.nspowner::regrole, s.nspacl) FROM pg_namespace s WHERE s.oid = m.objid)
    WHEN 'pg_event_trigger'::regclass THEN (
        SELECT format('event trigger %s %s %s %s', e.evtevent, e.evtfoid::regproc, e.evtenabled, e.evttags)
          FROM pg_event_trigger e WHERE e.oid = m.objid)
    END, '(no definition read)')
    || E'\ncomment ' || coalesce(obj_description(m.objid, m.classid::regclass::name), '') AS def
  FROM m CROSS JOIN LATERAL pg_identify_object(m.classid, m.objid, m.objsubid) i
-- the extension itself, and the tables and sequences pg_dump dumps with
-- their conditions (pg_extension_config_dump), by name
UNION ALL SELECT 'extension capa', format('version %s relocatable %s schema %s owner %s comment %s', e.extversion,
                 e.extrelocatable, e.extnamespace::regnamespace, e.extowner::regrole, obj_description(e.oid, 'pg_extension'))
  FROM pg_extension e WHERE e.extname = 'capa'
UNION ALL SELECT 'config dump ' || x.tab::regclass::text, coalesce(x.cond, '(no condition)')
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(tab, cond) WHERE e.extname = 'capa'
-- the privileges pg_dump takes as the extension's own (pg_init_privs): a
-- GRANT the scripts make is not dumped, one a user makes later is
UNION ALL SELECT 'init privs ' || o.type || ' ' || o.identity, ip.privtype::text || ' ' || ip.initprivs::text
  FROM pg_init_privs ip CROSS JOIN LATERAL pg_identify_object(ip.classoid, ip.objoid, ip.objsubid) o
 WHERE o.schema = 'capa' OR (ip.classoid = 'pg_namespace'::regclass AND ip.objoid = 'capa'::regnamespace)
UNION ALL SELECT 'builtin row source', row(s.code, s.label)::text FROM capa.source s WHERE s.builtin
UNION ALL SELECT 'builtin row cause_category', (to_jsonb(s) - 'set_at' - 'set_by')::text FROM capa.cause_category s WHERE s.builtin
UNION ALL SELECT 'builtin row rca_method', (to_jsonb(s) - 'set_at' - 'set_by')::text FROM capa.rca_method s WHERE s.builtin
UNION ALL SELECT 'builtin row severity_policy', (to_jsonb(s) - 'set_at' - 'set_by')::text FROM capa.severity_policy s WHERE s.builtin
UNION ALL SELECT 'builtin row policy', (to_jsonb(s) - 'set_at' - 'set_by')::text FROM capa.policy s WHERE s.builtin
)
-- every line of a definition starts with its object, so that a line of a
-- diff says whose it is
SELECT regexp_replace(def, '^', obj || ' | ', 'gn') FROM defs ORDER BY obj, def
SQL
)
q capa_up_old "$definitions" > "$work/defs_updated" 2>&1; defs_status=$?
q capa_up_new "$definitions" > "$work/defs_new" 2>&1 || defs_status=1
ok "$defs_status" 0 "the definitions of the members are read $(grep -m1 ERROR "$work/defs_new")"
q capa_up_new "$members" > "$work/members_new"
ok "$(diff "$work/members_new" "$work/members_updated" | head -30)" "" \
   "the updated database has the same member objects as one created at $target ($(wc -l < "$work/members_new") members)"
ok "$(diff "$work/defs_new" "$work/defs_updated" | head -40)" "" \
   "and the same definitions (created at $target: <, updated: >; functions, tables, columns, views, triggers, types, operators, casts, privileges and initial privileges, comments, what pg_dump dumps, builtin rows)"
defined() {  # defined KIND FILE: how many objects of KIND FILE defines
    sed -n "s/^\($1 [^|]*\) | .*/\1/p" "$2" | sort -u | wc -l
}
ok "$(grep -c '(no definition read)' "$work/defs_new") $(defined function "$work/defs_new") $(defined table "$work/defs_new")" \
   "0 $(grep -c '^function ' "$work/members_new") $(grep -c '^table ' "$work/members_new")" \
   "the comparison read a definition of every member"
ok "$(q capa_up_new "$public_grants")" none "a database created at $target grants nothing in schema capa to PUBLIC"

# --- hijack: a hostile owner of schema public -----------------------------------
psql -XAtq -d postgres -c "CREATE ROLE capa_up_mallory LOGIN" >/dev/null
createdb -O capa_up_mallory capa_up_hijack
psql -Xq -v ON_ERROR_STOP=1 -d capa_up_hijack >"$work/hijack_setup.log" 2>&1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION capa VERSION '$prev';
GRANT capa_editor TO capa_up_mallory;
SELECT capa.capa_open('Before the update', 'd', 'major', 'incident', owner => 'someone');
SQL
ok "$?" 0 "a $prev database owned by a non-superuser (who owns schema public, a capa_editor)"
cat > "$work/plant.sql" <<'SQL'
SET client_min_messages = warning;
-- the session is the superuser's (the test's login), the role mallory's
SET ROLE capa_up_mallory;
CREATE TABLE public.trap_log (what text);
GRANT INSERT, SELECT ON public.trap_log TO PUBLIC;
-- every look-alike calls this: a row in the trap table, and a WARNING
-- that is seen even if the statement that called it rolls back
CREATE FUNCTION public.trap(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE WARNING 'TRAPPED: %', what;
    INSERT INTO public.trap_log VALUES (what);
    RETURN true;
END $$;
-- built-in functions an update script may call
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('now()'); RETURN '2000-01-01'; END $$;
CREATE FUNCTION public.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('clock_timestamp()'); RETURN '2000-01-01'; END $$;
CREATE FUNCTION public.nextval(regclass) RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('nextval()'); RETURN 1; END $$;
CREATE FUNCTION public.setval(regclass, bigint) RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('setval()'); RETURN 1; END $$;
CREATE FUNCTION public.current_setting(text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('current_setting()'); RETURN ''; END $$;
CREATE FUNCTION public.set_config(text, text, boolean) RETURNS text LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('set_config()'); RETURN ''; END $$;
CREATE FUNCTION public.pg_extension_config_dump(regclass, text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('pg_extension_config_dump()'); END $$;
CREATE FUNCTION public.format(text, text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('format()'); RETURN $1; END $$;
CREATE FUNCTION public.format(text, text, text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('format()'); RETURN $1; END $$;
CREATE FUNCTION public.quote_ident(text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('quote_ident()'); RETURN $1; END $$;
CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('lower()'); RETURN $1; END $$;
CREATE FUNCTION public.btrim(text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('btrim()'); RETURN $1; END $$;
CREATE FUNCTION public.length(text) RETURNS integer LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('length()'); RETURN 1; END $$;
CREATE FUNCTION public.has_table_privilege(oid, text) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('has_table_privilege()'); RETURN true; END $$;
CREATE FUNCTION public.jsonb_build_object(text, text) RETURNS jsonb LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('jsonb_build_object()'); RETURN '{}'; END $$;
CREATE FUNCTION public.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('unnest()'); END $$;
-- aggregates
CREATE FUNCTION public.agg_trap(bigint) RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('count(*)'); RETURN 0; END $$;
CREATE AGGREGATE public.count(*) (SFUNC = public.agg_trap, STYPE = bigint, INITCOND = '0');
CREATE FUNCTION public.agg_trap2(bigint, bigint) RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('aggregate(bigint)'); RETURN 0; END $$;
CREATE AGGREGATE public.max(bigint) (SFUNC = public.agg_trap2, STYPE = bigint);
CREATE AGGREGATE public.min(bigint) (SFUNC = public.agg_trap2, STYPE = bigint);
CREATE AGGREGATE public.sum(bigint) (SFUNC = public.agg_trap2, STYPE = bigint);
CREATE FUNCTION public.agg_trap3(bigint, anyelement) RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('count(x)'); RETURN 0; END $$;
CREATE AGGREGATE public.count(anyelement) (SFUNC = public.agg_trap3, STYPE = bigint, INITCOND = '0');
CREATE FUNCTION public.agg_trap4(text, text, text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('string_agg()'); RETURN ''; END $$;
CREATE AGGREGATE public.string_agg(text, text) (SFUNC = public.agg_trap4, STYPE = text);
-- operators on built-in types
DO $$
DECLARE
    t text;
    o text;
    i int := 0;
BEGIN
    FOREACH t IN ARRAY ARRAY['text', 'bigint', 'integer', 'smallint', 'oid', 'name', 'boolean', 'timestamptz', 'date', 'regclass', 'bytea', 'jsonb', 'xid8'] LOOP
        FOREACH o IN ARRAY ARRAY['=', '<>', '<', '>', '<=', '>='] LOOP
            i := i + 1;
            EXECUTE format('CREATE FUNCTION public.op_trap_%s(%s, %s) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN PERFORM public.trap(%L); RETURN true; END $f$',
                           i, t, t, t || ' ' || o || ' ' || t);
            EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.op_trap_%s)', o, t, t, i);
        END LOOP;
    END LOOP;
END $$;
CREATE FUNCTION public.text_match_trap(text, text) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('text ~ text'); RETURN true; END $$;
CREATE OPERATOR public.~ (LEFTARG = text, RIGHTARG = text, FUNCTION = public.text_match_trap);
CREATE FUNCTION public.text_cat_trap(text, text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('text || text'); RETURN $1; END $$;
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = public.text_cat_trap);
CREATE FUNCTION public.ts_minus_trap(timestamptz, interval) RETURNS timestamptz LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('timestamptz - interval'); RETURN $1; END $$;
CREATE OPERATOR public.- (LEFTARG = timestamptz, RIGHTARG = interval, FUNCTION = public.ts_minus_trap);
CREATE FUNCTION public.ts_plus_trap(timestamptz, interval) RETURNS timestamptz LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trap('timestamptz + interval'); RETURN $1; END $$;
CREATE OPERATOR public.+ (LEFTARG = timestamptz, RIGHTARG = interval, FUNCTION = public.ts_plus_trap);
-- look-alikes of every capa function (same name and argument types) and
-- of every capa operator (same symbol and operand types)
DO $$
DECLARE
    p record;
    i int := 0;
BEGIN
    FOR p IN SELECT f.proname, pg_get_function_identity_arguments(f.oid) AS args, pg_get_function_result(f.oid) AS result,
                    f.proretset, f.prorettype = 'void'::regtype AS is_void, f.prorettype = 'record'::regtype AS is_record
               FROM pg_proc f WHERE f.pronamespace = 'capa'::regnamespace AND f.prokind = 'f'
                AND f.prorettype <> 'cstring'::regtype AND f.prorettype <> 'internal'::regtype
                AND NOT EXISTS (SELECT FROM unnest(f.proargtypes) a WHERE a IN ('cstring'::regtype, 'internal'::regtype))
    LOOP
        BEGIN
            EXECUTE format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql AS $f$ BEGIN PERFORM public.trap(%L); RETURN%s; END $f$',
                           p.proname, p.args, p.result, 'capa look-alike ' || p.proname,
                           CASE WHEN p.proretset OR p.is_void OR p.result LIKE 'TABLE(%' THEN '' ELSE ' NULL' END);
            i := i + 1;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'not planted: %(%): %', p.proname, p.args, SQLERRM;
        END;
    END LOOP;
    RAISE NOTICE 'planted % capa function look-alikes', i;
    FOR p IN SELECT o.oprname, format_type(o.oprleft, NULL) AS l, format_type(o.oprright, NULL) AS r, o.oid
               FROM pg_operator o WHERE o.oprnamespace = 'capa'::regnamespace AND o.oprleft <> 0
    LOOP
        EXECUTE format('CREATE FUNCTION public.capa_op_trap_%s(%s, %s) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN PERFORM public.trap(%L); RETURN true; END $f$',
                       p.oid, p.l, p.r, 'capa look-alike ' || p.l || ' ' || p.oprname || ' ' || p.r);
        EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.capa_op_trap_%s)', p.oprname, p.l, p.r, p.oid);
    END LOOP;
END $$;
SQL
# public first, for every session in the database
echo "ALTER DATABASE capa_up_hijack SET search_path = public, pg_catalog, capa;" >> "$work/plant.sql"
psql -Xq -v ON_ERROR_STOP=1 -d capa_up_hijack -f "$work/plant.sql" >"$work/plant.log" 2>&1
ok "$?" 0 "the hostile role plants look-alike functions, aggregates and operators in public and puts public first on the database's search_path $(grep -m1 ERROR "$work/plant.log")"
# the harness's own queries in that database: pg_catalog first
qh() { PGOPTIONS='-c search_path=pg_catalog' q capa_up_hijack "$1"; }
planted=$(qh "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace")
planted_ops=$(qh "SELECT count(*) FROM pg_operator WHERE oprnamespace = 'public'::regnamespace")
echo "# planted $planted functions and aggregates and $planted_ops operators in public"
# the traps work: an unqualified call with public first reaches them
ok "$(psql -XAtq -d capa_up_hijack -c "SELECT count(*) FROM capa.register WHERE title = 'Before the update'" 2>&1 | grep -q 'TRAPPED: text = text' && echo yes)" yes \
   "the traps work: an unqualified = on text with public first calls the look-alike"
qh "TRUNCATE public.trap_log"
psql -Xq -d capa_up_hijack >"$work/hijack_update.log" 2>&1 <<'SQL'
\set ON_ERROR_STOP 1
SHOW search_path;
SET search_path = public, pg_catalog, capa;
ALTER EXTENSION capa UPDATE;
SQL
ok "$?" 0 "ALTER EXTENSION capa UPDATE by the superuser with public first on the search_path succeeds $(grep -m1 ERROR "$work/hijack_update.log")"
ok "$(grep -c TRAPPED "$work/hijack_update.log") $(qh "SELECT count(*) FROM public.trap_log")" "0 0" \
   "no look-alike was called during the update $(grep -m3 TRAPPED "$work/hijack_update.log" | tr '\n' ' ')"
ok "$(qh "SELECT extversion FROM pg_extension WHERE extname = 'capa'")" "$target" \
   "the hijack database is at $target"
# the new version's functions with the hostile path: a lifecycle step and a verification
psql -XAtq -d capa_up_hijack >"$work/hijack_after.log" 2>&1 <<'SQL'
SET ROLE capa_up_mallory;
SELECT capa.capa_contain(r.id, 'c', 'c') FROM capa.register r WHERE r.title OPERATOR(pg_catalog.=) 'Before the update';
SELECT pg_catalog.count(*) FROM capa.capa_audit_verify();
SQL
ok "$(grep -v '^$' "$work/hijack_after.log" | tr '\n' ' ')" "contained 0 " \
   "after the update, a step and the verification by the hostile role on its path call no look-alike"
qh "TRUNCATE public.trap_log" 2>/dev/null

# Scripts run outside the extension machinery (which sets search_path =
# capa for them), with public first, in a transaction that is rolled back:
# they must not need that search_path.  public_first DB LABEL SCRIPT...
public_first() {
    local db=$1 label=$2 log="$work/public_first_$1.log"
    shift 2
    {
        echo "SET client_min_messages = warning;"
        echo "BEGIN;"
        echo "CREATE FUNCTION pg_temp.config_dump(regclass, text) RETURNS void LANGUAGE sql AS 'SELECT NULL::void';"
        echo "CREATE TEMP TABLE before_public AS SELECT 'pg_class' AS cat, oid FROM pg_catalog.pg_class WHERE relnamespace OPERATOR(pg_catalog.=) 'public'::regnamespace
              UNION ALL SELECT 'pg_proc', oid FROM pg_catalog.pg_proc WHERE pronamespace OPERATOR(pg_catalog.=) 'public'::regnamespace
              UNION ALL SELECT 'pg_type', oid FROM pg_catalog.pg_type WHERE typnamespace OPERATOR(pg_catalog.=) 'public'::regnamespace
              UNION ALL SELECT 'pg_operator', oid FROM pg_catalog.pg_operator WHERE oprnamespace OPERATOR(pg_catalog.=) 'public'::regnamespace;"
        echo "SET LOCAL search_path = public, pg_catalog, capa;"
        echo "SET LOCAL client_min_messages = warning;"
        # each script as PostgreSQL would run it, but with public first; the
        # config-dump calls (refused outside CREATE/ALTER EXTENSION) go to a
        # no-op, a member a script drops (which only an extension's own
        # script may) leaves the extension first, and the check of what is
        # in schema capa (by extension membership, which only the machinery
        # gives) is left out
        for script in "$@"; do
            sed -e '/^\\echo/d' -e '/^DO \$schema\$$/,/^\$schema\$;$/d' \
                -e 's/@extschema@/capa/g' -e "s/MODULE_PATHNAME/\$libdir\/capa/g" \
                -e 's/pg_catalog\.pg_extension_config_dump(/pg_temp.config_dump(/g' \
                -e 's/^DROP FUNCTION \(capa\.[^;]*\);/ALTER EXTENSION capa DROP FUNCTION \1; DROP FUNCTION \1;/' "$script"
            echo ";"
        done
        echo "SET LOCAL search_path = pg_catalog;"
        echo "SELECT 'created in public: ' || pg_catalog.count(*) FROM (
                  SELECT 'pg_class' AS cat, oid FROM pg_catalog.pg_class WHERE relnamespace = 'public'::regnamespace
                  UNION ALL SELECT 'pg_proc', oid FROM pg_catalog.pg_proc WHERE pronamespace = 'public'::regnamespace
                  UNION ALL SELECT 'pg_type', oid FROM pg_catalog.pg_type WHERE typnamespace = 'public'::regnamespace
                  UNION ALL SELECT 'pg_operator', oid FROM pg_catalog.pg_operator WHERE oprnamespace = 'public'::regnamespace
                  EXCEPT SELECT cat, oid FROM pg_temp.before_public) x;"
        # what capa has, the scripts' objects among it, that depends on something in public
        echo "SELECT 'depends on public: ' || coalesce(pg_catalog.string_agg(DISTINCT o.identity || ' -> ' || r.identity, '; '), 'nothing')
                FROM pg_catalog.pg_depend d
                CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.classid, d.objid, d.objsubid) o
                CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.refclassid, d.refobjid, d.refobjsubid) r
               WHERE d.deptype IN ('n', 'a') AND r.schema = 'public'
                 AND (o.schema = 'capa' OR o.identity LIKE 'capa.%' OR o.identity LIKE '% on capa.%');"
        echo "ROLLBACK;"
    } > "$work/public_first_$db.sql"
    psql -XAtq -v ON_ERROR_STOP=1 -d "$db" -f "$work/public_first_$db.sql" >"$log" 2>&1
    ok "$?" 0 "$label's statements run with public first on the search_path $(grep -m1 ERROR "$log")"
    ok "$(grep -c TRAPPED "$log")" 0 "and call no look-alike $(grep -m3 TRAPPED "$log" | tr '\n' ' ')"
    ok "$(grep '^created in public: ' "$log")" "created in public: 0" "and create nothing in public (every object name qualified)"
    ok "$(grep '^depends on public: ' "$log")" "depends on public: nothing" \
       "and what they create depends on nothing in public (views, defaults, SQL bodies, operators qualified)"
}

# the update path's scripts, on a $prev database with the look-alikes
createdb -O capa_up_mallory capa_up_prev
q capa_up_prev "SET client_min_messages = warning; CREATE EXTENSION capa VERSION '$prev'" >/dev/null
sed -e 's/ALTER DATABASE capa_up_hijack/ALTER DATABASE capa_up_prev/' "$work/plant.sql" |
    psql -Xq -v ON_ERROR_STOP=1 -d capa_up_prev >"$work/plant_prev.log" 2>&1
ok "$?" 0 "the same look-alikes planted in a second $prev database $(grep -m1 ERROR "$work/plant_prev.log")"
public_first capa_up_prev "the update scripts ($(basename -a $update_path | tr '\n' ' '| sed 's/ $//'))" $update_path

# the install script of $target, on a database without capa: the same
# look-alikes of built-in functions and operators, and of every capa
# function whose argument types exist before the script runs (those of
# capa's own types cannot be made before it)
createdb -O capa_up_mallory capa_up_fresh
q capa_up_fresh "CREATE SCHEMA capa" >/dev/null
{
    sed -e 's/ALTER DATABASE capa_up_hijack/ALTER DATABASE capa_up_fresh/' "$work/plant.sql"
    qh "SELECT format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql AS \$f\$ BEGIN PERFORM public.trap(%L); RETURN%s; END \$f\$;',
                      f.proname, pg_get_function_identity_arguments(f.oid),
                      CASE WHEN r.capa_typed THEN CASE WHEN f.proretset THEN 'SETOF record' ELSE 'text' END
                           ELSE pg_get_function_result(f.oid) END,
                      'capa look-alike ' || f.proname,
                      CASE WHEN f.proretset OR f.prorettype = 'void'::regtype THEN '' ELSE ' NULL' END)
          FROM pg_proc f
         CROSS JOIN LATERAL (SELECT pg_get_function_result(f.oid) LIKE '%capa.%' AS capa_typed) r
         WHERE f.pronamespace = 'capa'::regnamespace AND f.prokind = 'f'
           AND NOT EXISTS (SELECT FROM unnest(f.proargtypes) a JOIN pg_type t ON t.oid = a
                            WHERE t.typnamespace = 'capa'::regnamespace OR a IN ('cstring'::regtype, 'internal'::regtype))
         ORDER BY 1"
} | psql -Xq -v ON_ERROR_STOP=1 -d capa_up_fresh >"$work/plant_fresh.log" 2>&1
ok "$?" 0 "the look-alikes planted in a database without capa, with capa's of built-in argument types $(grep -m1 ERROR "$work/plant_fresh.log")"
echo "# planted $(PGOPTIONS='-c search_path=pg_catalog' q capa_up_fresh "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND prosrc LIKE '%capa look-alike%'") capa look-alikes there"
public_first capa_up_fresh "$(basename "$install_script") (the install script)" "$install_script"

# every function capa has that is not C or internal pins its search_path or
# has a body parsed at creation (BEGIN ATOMIC)
ok "$(q capa_up_old "SELECT coalesce(string_agg(p.oid::regprocedure::text, ', '), 'none') FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                      WHERE p.pronamespace = 'capa'::regnamespace AND l.lanname NOT IN ('c', 'internal') AND p.prosqlbody IS NULL
                        AND NOT coalesce(p.proconfig @> '{\"search_path=pg_catalog, pg_temp\"}', false)")" none \
   "every SQL and PL/pgSQL function of capa $target pins search_path = pg_catalog, pg_temp or has a BEGIN ATOMIC body"

# --- the schema capa lives in ---------------------------------------------------------
# A schema capa made before CREATE EXTENSION is taken as it is: its owner
# could rename it, put look-alikes in its place and drop the extension
# with it.  The install script refuses one a role that is not a superuser
# owns or may create in; the update to $target refuses such an installation.
sqlstate() {  # sqlstate DB SQL: the SQLSTATE of the first error, or ok
    local out rc state
    out=$(psql -XAtq -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d "$1" -c "$2" 2>&1 >/dev/null)
    rc=$?
    state=$(printf '%s\n' "$out" | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p' | head -n 1)
    if [ -n "$state" ]; then echo "$state"; elif [ "$rc" -eq 0 ]; then echo ok; else echo "failed: $out"; fi
}
createdb -O capa_up_mallory capa_up_schema
ok "$(sqlstate capa_up_schema "SET SESSION AUTHORIZATION capa_up_mallory; CREATE SCHEMA capa")" ok "the database's owner makes a schema capa before capa is installed"
ok "$(sqlstate capa_up_schema "CREATE EXTENSION capa")" 42501 \
   "CREATE EXTENSION capa refuses a schema capa owned by a role that is not a superuser (42501)"
ok "$(q capa_up_schema "SELECT count(*) FROM pg_extension WHERE extname = 'capa'")" 0 "... and installs nothing"
createdb capa_up_grant
q capa_up_grant "CREATE SCHEMA capa; GRANT CREATE ON SCHEMA capa TO capa_up_mallory"
ok "$(psql -XAtq -d capa_up_grant -c "CREATE EXTENSION capa" 2>&1 | grep -c 'may create in schema capa: capa_up_mallory')" 1 \
   "... and one a superuser owns where another role may create, naming the role"
createdb -O capa_up_mallory capa_up_old_schema
ok "$(sqlstate capa_up_old_schema "SET SESSION AUTHORIZATION capa_up_mallory; CREATE SCHEMA capa")$(sqlstate capa_up_old_schema "SET client_min_messages = warning; CREATE EXTENSION capa VERSION '0.3.0'")" okok \
   "0.3.0 installed into such a schema (it did not check)"
ok "$(sqlstate capa_up_old_schema "ALTER EXTENSION capa UPDATE") $(q capa_up_old_schema "SELECT extversion FROM pg_extension WHERE extname = 'capa'")" 42501" "0.3.0 \
   "... so the update to $target refuses it (42501) and leaves it at 0.3.0"

# handed over to a superuser, a schema still holds what its owner put in it:
# a function of a capa name with other argument types would be called by
# capa's callers (capa_open('t', 'd', 'major', 'audit') picks the one of
# text arguments), so what is not capa's is refused too, at install and
# at the update
createdb -O capa_up_mallory capa_up_planted
ok "$(sqlstate capa_up_planted "SET SESSION AUTHORIZATION capa_up_mallory; CREATE SCHEMA capa;
      CREATE FUNCTION capa.capa_open(text, text, text, text) RETURNS text LANGUAGE sql AS \$\$SELECT 'planted'\$\$;
      RESET SESSION AUTHORIZATION; ALTER SCHEMA capa OWNER TO CURRENT_USER")" ok \
   "the database's owner plants capa.capa_open(text, text, text, text) in a schema capa, then handed to a superuser"
ok "$(psql -XAtq -d capa_up_planted -c "CREATE EXTENSION capa" 2>&1 | grep -cE "holds objects that are not capa's: function (capa\.)?capa_open\(text,text,text,text\)")" 1 \
   "CREATE EXTENSION capa refuses a schema that holds what is not capa's, naming it"
q capa_up_old_schema "SET SESSION AUTHORIZATION capa_up_mallory;
    CREATE FUNCTION capa.capa_escalate() RETURNS int LANGUAGE sql AS 'SELECT 0';
    RESET SESSION AUTHORIZATION; ALTER SCHEMA capa OWNER TO CURRENT_USER" >/dev/null
ok "$(psql -XAtq -d capa_up_old_schema -c "ALTER EXTENSION capa UPDATE" 2>&1 | grep -cE "holds objects that are not capa's: function (capa\.)?capa_escalate\(\)") $(q capa_up_old_schema "SELECT extversion FROM pg_extension WHERE extname = 'capa'")" "1 0.3.0" \
   "... and so does the update of an installation whose schema was handed over, naming what its owner added"
# the installing superuser's default privileges would grant on capa's objects
createdb capa_up_defacl
q capa_up_defacl "ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO capa_up_mallory"
ok "$(sqlstate capa_up_defacl "CREATE EXTENSION capa")" 42501 \
   "CREATE EXTENSION capa refuses to run under default privileges of the installing role (42501)"
q capa_up_defacl "ALTER DEFAULT PRIVILEGES REVOKE ALL ON TABLES FROM capa_up_mallory"
ok "$(sqlstate capa_up_defacl "SET client_min_messages = warning; CREATE EXTENSION capa") $(q capa_up_defacl "SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a WHERE c.relnamespace = 'capa'::regnamespace AND a.grantee = 'capa_up_mallory'::regrole")" "ok 0" \
   "... and installs once they are taken away, granting that role nothing"

# capa's group roles, when they exist before the install (roles are the
# cluster's): one that can log in, or that a role which is not a superuser
# may grant (16+ gives a CREATEROLE role ADMIN OPTION on what it creates),
# is refused, naming it
psql -XAtq -d postgres -c "ALTER ROLE capa_admin LOGIN" >/dev/null
createdb capa_up_roles
ok "$(psql -XAtq -d capa_up_roles -c "CREATE EXTENSION capa" 2>&1 | grep -c 'not fit for it: capa_admin can log in')" 1 \
   "CREATE EXTENSION capa refuses a capa_admin that exists already and can log in, naming it"
psql -XAtq -d postgres -c "ALTER ROLE capa_admin NOLOGIN; GRANT capa_admin TO capa_up_mallory WITH ADMIN OPTION" >/dev/null
ok "$(psql -XAtq -d capa_up_roles -c "CREATE EXTENSION capa" 2>&1 | grep -c 'not fit for it: capa_up_mallory may grant capa_admin')" 1 \
   "... and one a role that is not a superuser may grant"
psql -XAtq -d postgres -c "REVOKE capa_admin FROM capa_up_mallory" >/dev/null
ok "$(sqlstate capa_up_roles "SET client_min_messages = warning; CREATE EXTENSION capa")" ok "... and installs once they are groups again"

# --- capa_audit_verify()'s result column, renamed in place -----------------------------
# A reader's view over capa_audit_verify() and a privilege a DBA granted on
# it stay: the update renames the column without dropping the function
createdb capa_up_view
psql -XAtq -d postgres -c "CREATE ROLE capa_up_reporter" >/dev/null
q capa_up_view "SET client_min_messages = warning; CREATE EXTENSION capa VERSION '0.3.0';
                GRANT EXECUTE ON FUNCTION capa.capa_audit_verify(text, capa.capa_ref) TO capa_up_reporter;
                CREATE VIEW public.chain_problems AS SELECT * FROM capa.capa_audit_verify()" >/dev/null
ok "$(sqlstate capa_up_view "ALTER EXTENSION capa UPDATE")" ok "the update succeeds with a view over capa_audit_verify() in the database"
ok "$(q capa_up_view "SELECT count(*) FROM public.chain_problems")|$(q capa_up_view "SELECT has_function_privilege('capa_up_reporter', 'capa.capa_audit_verify(text, capa.capa_ref)', 'EXECUTE')")|$(q capa_up_view "SELECT array_to_string(proargnames, ',') FROM pg_proc WHERE oid = 'capa.capa_audit_verify(text, capa.capa_ref)'::regprocedure")" \
   "0|t|digest,record,problem,capa_id,action_id,seq,detail" \
   "... the view still answers, the privilege granted on the function is kept, and its column is capa_id"

echo "1..$n"
exit $fail
