#!/bin/bash
# Replicas, as TAP, on clusters of its own on loopback:
#
#  a. Streaming standby: a primary (wal_level = logical, which includes
#     replica) with capa and a filled register; pg_basebackup -R to a hot
#     standby on another port.  On the standby: the KPI views, a record's
#     dossier, capa_audit_verify() (also against a digest taken on the
#     primary), the management-review report and capa_next_states() work
#     read-only and give what the primary gives; capa_open and capa_digest
#     are refused with 25006; steps taken on the primary after the base
#     backup show up once replayed.
#
#  b. Logical replication to a second cluster (the subscriber, capa
#     installed and empty), with the publications docs/operations.md recommends:
#     capa_register (register, action, audit, digest, link,
#     review_snapshot, the KPI rollup tables and org_unit_access; row-level
#     security by org unit is on at both ends) and capa_lookup (the
#     non-builtin rows of the lookup and policy tables, inserts only).
#     After the initial copy and after new steps on the primary: the
#     subscriber's rows are the primary's (register, action, audit,
#     digest, links, snapshots, rollup), its KPIs and dossiers are the
#     same, capa_audit_verify() finds nothing there, no capa trigger
#     function ran on the subscriber (its trigger statistics, and its audit
#     and reference sequences were never used), the apply workers logged
#     no error; the audit guard still refuses an UPDATE of the trail there.
#
# Self-contained, like crash.sh: initdb as user postgres under a temporary
# directory, free loopback ports, pg_ctl; the binaries of
# $(PG_CONFIG --bindir), so a private copy of the installation is used
# when PG_CONFIG points at its pg_config (the extension is the one
# installed there); ignores PG* variables; removes everything on exit, also
# on failure or interruption.  Every wait has a timeout (WAIT, seconds)
# and fails its test with a clear message when it expires.
set -u
cd "$(dirname "$0")/.."    # test/policy_0_2.sql
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"    # PG_CONFIG, free_port
PGBIN=$("$PG_CONFIG" --bindir)
WAIT=${WAIT:-60}
for v in $(env | sed -n 's/^\(PG[A-Z_]*\)=.*/\1/p'); do [ "$v" != PGBIN ] && [ "$v" != PG_CONFIG ] && unset "$v"; done
# (not in the servers' environment: start() leaves them out)
export PGHOST=127.0.0.1 PGUSER=postgres PGDATABASE=capa_repl PGCONNECT_TIMEOUT=10

n=0
fail=0    # the TAP counters of tap_ok (test/lib.sh)
ok() { tap_ok "$@"; }
note() { echo "# $*"; }

work=$(mktemp -d /tmp/capa_replica.XXXXXX)
chmod 755 "$work"
if [ "$(id -u)" = 0 ]; then as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups); else as_pg=(); fi
# a sanitized capa.so (make sanitize) needs its runtime first in the server
preload=${CAPA_LD_PRELOAD:-}
declare -A port
clusters=()

cleanup() {
    local c
    for c in "${clusters[@]}"; do
        [ -f "$work/$c/postmaster.pid" ] &&
            "${as_pg[@]}" env LD_PRELOAD= "$PGBIN/pg_ctl" stop -D "$work/$c" -m immediate -w -t 30 >/dev/null 2>&1
        keep_logs "replica.$c" "$work/$c.log"
    done
    if [ "${KEEP:-}" = 1 ]; then echo "# kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM


# start CLUSTER on a free port (another one if it is taken meanwhile)
start() {
    local c=$1 try
    for try in 1 2 3 4 5; do
        port[$c]=$(free_port) || return 1
        if "${as_pg[@]}" env -u PGHOST -u PGUSER -u PGDATABASE -u PGCONNECT_TIMEOUT LD_PRELOAD="$preload" "$PGBIN/pg_ctl" start -D "$work/$c" -l "$work/$c.log" -w -t "$WAIT" \
               -o "-p ${port[$c]} -k $work/sock -c listen_addresses=127.0.0.1" >/dev/null 2>&1; then
            return 0
        fi
        # not started: a port taken meanwhile is worth another try
        grep -q 'could not bind\|could not create any TCP/IP sockets' "$work/$c.log" || return 1
    done
    return 1
}
q() { local c=$1; shift; timeout "$WAIT" psql -XAtq -v ON_ERROR_STOP=1 -p "${port[$c]}" "$@"; }
# the error's SQLSTATE (psql's VERBOSITY sqlstate): "ERROR:  25006"
sqlstate() { local c=$1; shift; timeout "$WAIT" psql -XAtq -v VERBOSITY=sqlstate -p "${port[$c]}" -c "$1" 2>&1 | grep -m1 ERROR; }
# wait until a query on CLUSTER returns t; false after WAIT seconds
wait_for() {
    local c=$1 sql=$2 i
    for i in $(seq $((WAIT * 5))); do
        [ "$(q "$c" -c "$sql" 2>/dev/null)" = t ] && return 0
        sleep 0.2
    done
    return 1
}

initcluster() {
    local c=$1
    mkdir -p "$work/$c" "$work/sock"
    [ "$(id -u)" = 0 ] && chown postgres: "$work/$c" "$work/sock" "$work"
    "${as_pg[@]}" "$PGBIN/initdb" -D "$work/$c" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$work/$c.initdb.log" 2>&1 || return 1
    clusters+=("$c")
    cat >> "$work/$c/postgresql.conf" <<CONF
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
fsync = off
max_connections = 30
shared_buffers = 32MB
track_functions = all
log_line_prefix = '%m [%p] %b '
CONF
}

# --- the primary ----------------------------------------------------------------
setup=ok
initcluster primary && start primary || setup=failed
# The first session of a fresh cluster has the first free backend slot
# (ProcNumber 0 on 17 and later; on 15 the BackendIds from 1 of the
# launchers come first): the KPI shard it writes is above 0, since shard 0
# holds what capa_kpi_compact() folded
if [ "$setup" = ok ]; then
    first_shard=$(q primary -d postgres -c "SET client_min_messages = warning" -c "BEGIN" -c "CREATE EXTENSION capa" -f test/policy_0_2.sql \
        -c "SELECT capa.capa_open('First session', 'd', 'minor', 'incident') IS NOT NULL" \
        -c "SELECT CASE WHEN min(shard) > 0 THEN 'above 0' ELSE 'shard ' || min(shard) END FROM capa.capa_kpi_pending_rollup()" \
        -c "ROLLBACK" 2>&1 | tail -n 1)
fi
if [ "$setup" = ok ]; then
    q primary -d postgres -c "CREATE DATABASE capa_repl" >/dev/null &&
    q primary -f - >"$work/fill.log" 2>&1 <<'SQL' || setup=failed
SET client_min_messages = warning;
CREATE EXTENSION capa;
\i test/policy_0_2.sql
INSERT INTO capa.source (code, label) VALUES ('pentest', 'Penetration test');
CREATE TABLE public.controls (code text PRIMARY KEY);
INSERT INTO public.controls VALUES ('A.5.24'), ('A.8.13');
DO $$
DECLARE
    r capa.capa_ref;
    a bigint;
    i int;
BEGIN
    FOR i IN 1..12 LOOP
        r := capa.capa_open('Finding ' || i, 'd', CASE WHEN i % 3 = 0 THEN 'critical' ELSE 'major' END::capa.capa_severity,
                            CASE WHEN i % 2 = 0 THEN 'pentest' ELSE 'incident' END,
                            kind => CASE WHEN i % 4 = 1 THEN 'corrective' WHEN i % 4 = 2 THEN 'preventive' ELSE 'corrective' END,
                            owner => 'owner_' || i, org_unit => CASE WHEN i % 2 = 0 THEN 'emea' END);
        CONTINUE WHEN i = 12;
        IF i % 4 <> 2 THEN
            PERFORM capa.capa_contain(r, 'contained', 'none');
        END IF;
        CONTINUE WHEN i = 11;
        PERFORM capa.capa_analyse(r, 'cause', '5whys', 'extent', cause_category => 'process');
        a := capa.capa_add_action(r, 'fix', 'ops', current_date + i - 6);
        PERFORM capa.capa_plan(r);
        CONTINUE WHEN i = 10;
        PERFORM capa.capa_complete_action(a, 'done');
        PERFORM capa.capa_implement(r);
        IF i = 3 THEN
            PERFORM capa.capa_verify(r, false, 'came back');
            a := capa.capa_add_action(r, 'fix again', 'ops', current_date + 3);
            PERFORM capa.capa_complete_action(a, 'done again');
            PERFORM capa.capa_implement(r);
        END IF;
        CONTINUE WHEN i = 9;
        PERFORM capa.capa_verify(r, true, 'works');
        PERFORM capa.capa_close(r, 'procedure v2');
        IF i = 4 THEN PERFORM capa.capa_reopen(r, 'recurred'); END IF;
    END LOOP;
    r := capa.capa_open('Improvement', 'd', 'observation', 'management_review', kind => 'improvement', owner => 'owner_i');
    PERFORM capa.capa_cancel(r, 'superseded');
END $$;
SELECT capa.capa_link(id, 'public.controls', 'A.8.13') FROM capa.register WHERE title IN ('Finding 1', 'Finding 5');
-- row-level security by org unit, switched on
INSERT INTO capa.org_unit_access (role_name, org_unit) VALUES ('capa_editor', 'emea');
SELECT capa.capa_rls_enable();
-- a register to import, tried on the standby
CREATE TABLE public.to_import (title text, description text, severity text, source text, owner text);
INSERT INTO public.to_import VALUES ('To import', 'd', 'minor', 'incident', 'owner_z');
SQL
    if [ "$setup" = ok ]; then
        q primary -c "SELECT capa.capa_review_snapshot('Review 1')" >/dev/null &&
        digest=$(q primary -c "SELECT capa.capa_digest()") || setup=failed
    fi
fi
ok "$setup" ok "a primary on port ${port[primary]:-?} with capa, a filled register and row-level security by org unit on" \
   "$(tail -n 5 "$work/primary.initdb.log" "$work/primary.log" "$work/fill.log" 2>/dev/null)"
[ "$setup" = ok ] || { echo "1..$n"; exit 1; }
ok "${first_shard:-}" "above 0" "the first session of a fresh cluster writes its KPI rollup to a shard above 0 (0 is capa_kpi_compact's)"
note "$(q primary -c "SELECT (SELECT count(*) FROM capa.register) || ' records, ' || (SELECT count(*) FROM capa.action) || ' action items, ' || (SELECT count(*) FROM capa.audit) || ' audit rows'")"

# what is compared between the clusters: rows of the replicated tables,
# the KPI views (as_of left out), and a record's dossier (generated_at left out)
fingerprint="SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
  SELECT 'r' || r::text AS x FROM capa.register r UNION ALL SELECT 'a' || a::text FROM capa.action a
  UNION ALL SELECT 'u' || u::text FROM capa.audit u UNION ALL SELECT 'd' || d::text FROM capa.digest d) t"
others="SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
  SELECT 'l' || l::text AS x FROM capa.link l UNION ALL SELECT 's' || s::text FROM capa.review_snapshot s
  UNION ALL SELECT 'k' || k::text FROM capa.kpi_rollup k UNION ALL SELECT 'c' || c::text FROM capa.kpi_close_days c
  UNION ALL SELECT 'q' || q::text FROM capa.kpi_action_due q
  UNION ALL SELECT 'o' || o::text FROM capa.source o WHERE NOT builtin
  UNION ALL SELECT 'g' || g::text FROM capa.org_unit_access g) t"
kpis="SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
  SELECT 'summary ' || (to_jsonb(s) - 'as_of')::text AS x FROM capa.kpi_summary s
  UNION ALL SELECT 'monthly ' || m::text FROM capa.kpi_monthly m
  UNION ALL SELECT 'severity ' || v::text FROM capa.kpi_by_severity v
  UNION ALL SELECT 'source ' || v::text FROM capa.kpi_by_source v
  UNION ALL SELECT 'cause ' || v::text FROM capa.kpi_by_cause v
  UNION ALL SELECT 'owner ' || v::text FROM capa.kpi_by_owner v
  UNION ALL SELECT 'control ' || v::text FROM capa.kpi_by_control v) t"
kpi_line="SELECT open_total || ' open, ' || closed_total || ' closed, ' || overdue_total || ' overdue, ' || reopened_total || ' reopened' FROM capa.kpi_summary"
dossier="SELECT md5((capa.capa_dossier(id) - 'generated_at')::text) FROM capa.register WHERE title = 'Finding 3'"
audit_head="SELECT max(seq) || ' ' || count(*) FROM capa.audit"

# --- a. streaming standby -----------------------------------------------------
standby=ok
mkdir -m 700 "$work/standby" && [ "$(id -u)" = 0 ] && chown postgres: "$work/standby"
"${as_pg[@]}" "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "${port[primary]}" -U postgres -D "$work/standby" -R -X stream -c fast \
    >"$work/basebackup.log" 2>&1 || standby=failed
if [ "$standby" = ok ]; then
    clusters+=(standby)
    start standby || standby=failed
fi
ok "$standby" ok "pg_basebackup -R makes a standby, started on port ${port[standby]:-?}" \
   "$(tail -n 5 "$work/basebackup.log" "$work/standby.log" 2>/dev/null)"

# wait until the standby has replayed what the primary has written
caught_up() {
    local lsn
    lsn=$(q primary -d postgres -c "SELECT pg_current_wal_lsn()") || return 1
    wait_for standby "SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn"
}
if [ "$standby" = ok ]; then
    caught_up && replayed=yes || replayed="no: not replayed within $WAIT s"
    ok "$replayed" yes "the standby is in recovery and has replayed the primary's WAL"
    ok "$(q standby -c "SHOW transaction_read_only")" on "sessions on the standby are read-only"
    ok "$(q standby -c "$fingerprint")" "$(q primary -c "$fingerprint")" "standby: the same register, action items, audit trail and digests"
    ok "$(q standby -c "$kpis")" "$(q primary -c "$kpis")" "standby: capa.kpi_summary, kpi_monthly and the kpi_by_* views give what the primary gives ($(q standby -c "$kpi_line"))"
    ok "$(q standby -c "$dossier")" "$(q primary -c "$dossier")" "standby: capa_dossier(id) gives the primary's dossier"
    ok "$(q standby -c "SELECT capa.capa_dossier(id) -> 'chain_proof' ->> 'intact' FROM capa.register WHERE title = 'Finding 3'")" true \
       "standby: the dossier's chain proof is intact"
    ok "$(q standby -c "SELECT count(*) FROM capa.capa_audit_verify()")" 0 "standby: capa_audit_verify() runs read-only and finds nothing"
    ok "$(q standby -c "SELECT count(*) FROM capa.capa_audit_verify(digest => '$digest')")" 0 "standby: and nothing against the digest taken on the primary"
    ok "$(q standby -c "SELECT count(*) || ' ' || bool_and(hash_ok AND link_ok) FROM capa.review_comparison")" "1 true" \
       "standby: the review snapshot gives its hash"
    ok "$(q standby -c "SELECT capa.capa_next_states(id)::text FROM capa.register WHERE title = 'Finding 9'")" "{verified,planned,analysed,cancelled}" \
       "standby: capa_next_states() answers"
    ok "$(q standby -c "SELECT capa.capa_report_html() LIKE '%<svg%'")" t "standby: the management-review report renders"
    ok "$(q standby -c "SELECT count(*) > 0 FROM capa.capa_conformance((SELECT id FROM capa.register WHERE title = 'Finding 3'))") $(q standby -c "SELECT sha256(capa.capa_audit_bytes(7)) = hash FROM capa.audit WHERE seq = 7")" \
       "t t" "standby: capa_conformance() and capa_audit_bytes() answer"
    ok "$(sqlstate standby "SELECT capa.capa_open('On the standby', 'd', 'minor', 'incident')")" "ERROR:  25006" \
       "standby: capa_open is refused with 25006 (read_only_sql_transaction)"
    # every function that writes: refused as read-only, none with another error
    wrong=
    for call in "capa_contain(id, 'c', 'c')" "capa_analyse(id, 'c', '5whys', 'e')" "capa_add_action(id, 'x', 'ops', current_date)" \
                "capa_plan(id)" "capa_implement(id)" "capa_verify(id, true, 'e')" "capa_close(id, 'i')" "capa_cancel(id, 'r')" \
                "capa_reopen(id, 'r')" "capa_link(id, 'public.controls', 'A.5.24')" "capa_unlink(id, 'public.controls', 'A.8.13')" \
                "capa_complete_action((SELECT max(a.id) FROM capa.action a), 'e')" "capa_import('public.to_import')" \
                "capa_digest()" "capa_review_snapshot('r')" "capa_kpi_rebuild()" "capa_kpi_compact()"; do
        got=$(sqlstate standby "SELECT capa.$call FROM capa.register WHERE title = 'Finding 1'")
        [ "$got" = "ERROR:  25006" ] || wrong="$wrong
$call: ${got:-no error} $(timeout "$WAIT" psql -XAtq -p "${port[standby]}" -c "SELECT capa.$call FROM capa.register WHERE title = 'Finding 1'" 2>&1 | head -1)"
    done
    ok "${wrong:-none}" none "standby: every capa function that writes (the steps, links, import, digest, snapshot, KPI rebuild and compaction) is refused with 25006"
    ok "$(sqlstate standby "UPDATE capa.register SET title = 'x' WHERE title = 'Finding 1'")" "ERROR:  25006" \
       "standby: a plain UPDATE of the register is refused with 25006"
    # steps on the primary after the base backup
    q primary -c "SELECT capa.capa_verify(id, true, 'after the base backup') FROM capa.register WHERE title = 'Finding 9';
                  SELECT capa.capa_open('After the base backup', 'd', 'critical', 'pentest', owner => 'owner_x')" >/dev/null
    caught_up && replayed=yes || replayed="no: not replayed within $WAIT s"
    ok "$replayed" yes "the standby replays steps taken on the primary after the base backup"
    ok "$(q standby -c "SELECT state FROM capa.register WHERE title = 'Finding 9'") $(q standby -c "SELECT count(*) FROM capa.register WHERE title = 'After the base backup'")" \
       "verified 1" "standby: the new step and the new record are there"
    ok "$(q standby -c "$audit_head") $(q standby -c "$kpis")" "$(q primary -c "$audit_head") $(q primary -c "$kpis")" \
       "standby: with their audit rows, and the KPIs follow ($(q standby -c "$kpi_line"))"
    ok "$(q standby -c "SELECT count(*) FROM capa.capa_audit_verify(digest => '$digest')")" 0 "standby: the trail still verifies"
fi
[ -f "$work/standby/postmaster.pid" ] && "${as_pg[@]}" "$PGBIN/pg_ctl" stop -D "$work/standby" -m fast -w -t "$WAIT" >/dev/null 2>&1

# --- b. logical replication -----------------------------------------------------
sub=ok
{ initcluster subscriber && start subscriber; } || sub=failed
if [ "$sub" = ok ]; then
    q subscriber -d postgres -c "CREATE DATABASE capa_repl" >/dev/null &&
    q subscriber -c "SET client_min_messages = warning; CREATE EXTENSION capa; SELECT capa.capa_rls_enable();
                     CREATE TABLE public.controls (code text PRIMARY KEY)" >/dev/null || sub=failed
fi
ok "$sub" ok "a subscriber cluster on port ${port[subscriber]:-?}, capa installed and empty, row-level security on" \
   "$(tail -n 5 "$work/subscriber.initdb.log" "$work/subscriber.log" 2>/dev/null)"
# the publications docs/operations.md recommends
q primary -f - >"$work/publication.log" 2>&1 <<'SQL'
CREATE PUBLICATION capa_register FOR TABLE capa.register, capa.action, capa.audit, capa.digest,
    capa.link, capa.review_snapshot, capa.kpi_rollup, capa.kpi_close_days, capa.kpi_action_due,
    capa.org_unit_access;
CREATE PUBLICATION capa_lookup FOR TABLE capa.source WHERE (NOT builtin), capa.cause_category WHERE (NOT builtin),
    capa.rca_method WHERE (NOT builtin), capa.severity_policy WHERE (NOT builtin), capa.policy WHERE (NOT builtin)
    WITH (publish = 'insert');
SQL
ok "$?" 0 "the publications capa_register and capa_lookup on the primary $(grep -m1 ERROR "$work/publication.log")"
# a step on the primary with the publication in place: every table it
# writes can be published (UPDATE and DELETE need a replica identity)
ok "$(q primary -c "SELECT capa.capa_contain(id, 'contained', 'none') FROM capa.register WHERE title = 'Finding 12'" 2>&1)" contained \
   "steps on the primary go on with the register and the KPI rollup published"
q subscriber -c "CREATE SUBSCRIPTION capa_sub CONNECTION 'host=127.0.0.1 port=${port[primary]} dbname=capa_repl user=postgres application_name=capa_sub'
                 PUBLICATION capa_register, capa_lookup" >"$work/subscription.log" 2>&1
ok "$?" 0 "a subscription with copy_data on the subscriber $(grep -m1 ERROR "$work/subscription.log")"

# the subscription has copied every table and applied everything up to the primary's current WAL position
sub_caught_up() {
    local lsn
    wait_for subscriber "SELECT count(*) > 0 AND bool_and(srsubstate = 'r') FROM pg_subscription_rel" || return 1
    lsn=$(q primary -d postgres -c "SELECT pg_current_wal_lsn()") || return 1
    wait_for primary "SELECT coalesce(bool_and(replay_lsn >= '$lsn'::pg_lsn AND state = 'streaming'), false) FROM pg_stat_replication WHERE application_name = 'capa_sub'"
}
sub_caught_up && synced=yes || synced="no: the initial copy or the catch-up took more than $WAIT s
$(q subscriber -c "SELECT srrelid::regclass::text || ' ' || srsubstate::text FROM pg_subscription_rel" 2>&1; grep -m5 ERROR "$work/subscriber.log")"
ok "$synced" yes "the subscriber copied every published table and caught up"
check_subscriber() {  # check_subscriber WHEN
    ok "$(q subscriber -c "$fingerprint")" "$(q primary -c "$fingerprint")" "subscriber, $1: the same register, action items, audit trail and digests"
    ok "$(q subscriber -c "$others")" "$(q primary -c "$others")" "subscriber, $1: the same links, review snapshots, KPI rollup, org-unit grants and added sources"
    ok "$(q subscriber -c "$kpis")" "$(q primary -c "$kpis")" "subscriber, $1: the same KPIs ($(q subscriber -c "$kpi_line"))"
    ok "$(q subscriber -c "$dossier")" "$(q primary -c "$dossier")" "subscriber, $1: the same dossier"
    ok "$(q subscriber -c "SELECT count(*) FROM capa.capa_audit_verify(digest => '$digest')")" 0 \
       "subscriber, $1: capa_audit_verify() finds nothing, also against the primary's digest"
    ok "$(q subscriber -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE schemaname = 'capa' AND funcname IN ('capa_register_trigger', 'capa_action_trigger')")" 0 \
       "subscriber, $1: the lifecycle triggers never ran there (trigger function calls: 0)"
    ok "$(q subscriber -c "SELECT (SELECT is_called FROM capa.audit_seq_seq) || ' ' || (SELECT is_called FROM capa.register_number_seq)")" "false false" \
       "subscriber, $1: no audit row and no reference was numbered there"
}
check_subscriber "after the initial copy"

# new steps on the primary, of every sort: the lifecycle, action items, a
# reopen, links, an import, a digest, a snapshot, the rollup compacted
q primary -f - >"$work/steps.log" 2>&1 <<'SQL'
SET client_min_messages = warning;
INSERT INTO capa.source (code, label) VALUES ('bug_bounty', 'Bug bounty');
DO $$
DECLARE
    r capa.capa_ref;
    a bigint;
BEGIN
    r := capa.capa_open('After the subscription', 'd', 'minor', 'bug_bounty', owner => 'owner_s');
    PERFORM capa.capa_contain(r, 'contained', 'none');
    PERFORM capa.capa_analyse(r, 'cause', 'fishbone', 'extent');
    a := capa.capa_add_action(r, 'fix', 'ops', current_date + 1);
    PERFORM capa.capa_plan(r);
    PERFORM capa.capa_complete_action(a, 'done');
    PERFORM capa.capa_implement(r);
END $$;
SELECT capa.capa_analyse(id, 'cause', '5whys', 'extent') FROM capa.register WHERE title = 'Finding 12';
SELECT capa.capa_complete_action(a.id, 'done later') FROM capa.action a JOIN capa.register r ON r.id OPERATOR(capa.=) a.capa_id
 WHERE r.title = 'Finding 10';
SELECT capa.capa_reopen(id, 'came back') FROM capa.register WHERE title = 'Finding 5';
SELECT capa.capa_cancel(id, 'duplicate') FROM capa.register WHERE title = 'Finding 11';
SELECT capa.capa_link(id, 'public.controls', 'A.5.24') FROM capa.register WHERE title = 'After the subscription';
SELECT capa.capa_unlink(id, 'public.controls', 'A.8.13') FROM capa.register WHERE title = 'Finding 1';
CREATE TABLE public.old_register (legacy_id text, kind text, state text, severity text, title text, description text,
    source text, owner text, opened_at timestamptz, opened_by text);
INSERT INTO public.old_register VALUES ('OLD-1', 'corrective', 'open', 'minor', 'Imported', 'd', 'incident', 'owner_y', '2024-03-01', 'owner_y');
SELECT capa.capa_import('public.old_register');
SELECT capa.capa_kpi_compact();
SQL
ok "$?" 0 "new steps on the primary: lifecycle, action items, reopen, cancel, link, unlink, import, KPI compaction $(grep -m1 ERROR "$work/steps.log")"
q primary -c "SELECT capa.capa_review_snapshot('Review 2')" >/dev/null
digest2=$(q primary -c "SELECT capa.capa_digest()")
sub_caught_up && synced=yes || synced="no: not applied within $WAIT s $(grep -m5 ERROR "$work/subscriber.log")"
ok "$synced" yes "the subscriber applied them"
check_subscriber "after new steps"
ok "$(q subscriber -c "SELECT count(*) FROM capa.capa_audit_verify(digest => '$digest2')")" 0 \
   "subscriber: the trail verifies against the digest taken after the new steps"
ok "$(q subscriber -c "SELECT count(*) FROM capa.source WHERE NOT builtin") $(q subscriber -c "SELECT count(*) FROM capa.source")" \
   "$(q primary -c "SELECT count(*) FROM capa.source WHERE NOT builtin") $(q primary -c "SELECT count(*) FROM capa.source")" \
   "subscriber: the added sources came through capa_lookup, the builtin ones were not copied twice"
# every *_error_count column (19 split sync_error_count into sequences and
# tables), and there are such columns to add up
ok "$(q subscriber -c "SELECT coalesce(sum(e.value::bigint), 0) || ' ' || (count(DISTINCT e.key) >= 2)
                         FROM pg_stat_subscription_stats s, jsonb_each_text(to_jsonb(s)) e WHERE e.key LIKE '%error_count'")" "0 true" \
   "subscriber: no apply or table-sync error $(grep -m1 'ERROR' "$work/subscriber.log")"
ok "$(sqlstate subscriber "UPDATE capa.audit SET step = 'x' WHERE seq = 1")" "ERROR:  42501" \
   "subscriber: the audit trail refuses an UPDATE there too (its guard is ENABLE ALWAYS)"

echo "1..$n"
exit $fail
