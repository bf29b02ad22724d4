#!/bin/bash
# capa_escalate() scheduled with pg_cron, for real, as TAP.  A cluster of
# its own (pg_cron needs shared_preload_libraries), capa and pg_cron in
# one database, overdue records and an overdue action item, and two cron
# jobs running SELECT capa.capa_escalate() every minute (so two runs
# overlap at every minute), scheduled by a login role that is a member of
# capa_admin.  A psql session LISTENs on capa_events meanwhile.  After the
# first minute: each overdue item escalated once (level 1) although two
# runs ran at once, one notification each (the record and the
# escalation's id: the default capa.events = reference), the runs succeeded in
# cron.job_run_details.  Then a due date moves, an owner changes, an
# action item is completed and a containment step is taken; after the
# next minute: the moved and reassigned items escalated again at level 1
# (a new episode), the resolved ones not, the others not again that day.
#
# pg_cron's finest schedule is a minute (Debian 12 has pg_cron 1.4;
# second schedules came with 1.5), so this takes about two minutes.
# Self-contained like test/crash.sh: a temporary directory, a free
# loopback port, the server run as postgres when this runs as root, all
# removed on exit.  PGBIN (default: PG_CONFIG's, see lib.sh) is the
# installation to use; capa and pg_cron must be installed in it
# (make check-private and make sanitize pass their private copy).
# KEEP=1 keeps the directory (server log, the listener's output).
set -u
cd "$(dirname "$0")/.."    # test/policy_0_2.sql

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"    # PG_CONFIG
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
for v in $(env | sed -n 's/^\(PG[A-Z_]*\)=.*/\1/p'); do [ "$v" != PGBIN ] && unset "$v"; done
export PGHOST=127.0.0.1 PGUSER=postgres PGDATABASE=capa_cron PGCONNECT_TIMEOUT=10
PATH=$PGBIN:$PATH

n=0
fail=0
ok() {  # ok GOT WANT DESCRIPTION
    n=$((n + 1))
    if [ "$1" = "$2" ]; then
        echo "ok $n - $3"
    else
        echo "not ok $n - $3"
        printf '#   got: %s\n#  want: %s\n' "$1" "$2"
        fail=1
    fi
}
note() { echo "# $*"; }

work=$(mktemp -d /tmp/capa_cron.XXXXXX)
chmod 755 "$work"
data=$work/data
listener=
if [ "$(id -u)" = 0 ]; then as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups); else as_pg=(); fi
cleanup() {
    [ -n "$listener" ] && kill "$listener" 2>/dev/null
    [ -f "$data/postmaster.pid" ] &&
        "${as_pg[@]}" "$PGBIN/pg_ctl" stop -D "$data" -m immediate -w -t 30 >/dev/null 2>&1
    keep_logs escalation_cron "$work/server.log"
    if [ "${KEEP:-}" = 1 ]; then echo "# kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

q() { psql -XAtq -v ON_ERROR_STOP=1 -p "$port" "$@"; }
bail() { echo "not ok $((n + 1)) - $1"; [ -f "$work/server.log" ] && tail -20 "$work/server.log" | sed 's/^/#   /'; echo "1..$((n + 1))"; exit 1; }

[ -f "$("$PGBIN/pg_config" --pkglibdir)/pg_cron.so" ] ||
    bail "pg_cron is installed in $PGBIN/.. (Debian: postgresql-NN-cron)"

[ "$(id -u)" = 0 ] && chown postgres "$work"
"${as_pg[@]}" "$PGBIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 ||
    bail "initdb"
cat >> "$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
fsync = off
shared_preload_libraries = 'pg_cron'
cron.database_name = 'capa_cron'
cron.host = '127.0.0.1'
EOF
# (make sanitize: CAPA_LD_PRELOAD is the sanitizer runtime capa.so needs first)
# on a free loopback port (test/lib.sh); another if a concurrent run's
# server takes it before this one binds it
for attempt in 1 2 3 4 5; do
    port=$(free_port) || bail "a free port"
    "${as_pg[@]}" env LD_PRELOAD="${CAPA_LD_PRELOAD:-}" "$PGBIN/pg_ctl" start -D "$data" -l "$work/server.log" -w -t 60 \
        -o "-p $port" >/dev/null && break
    { [ "$attempt" -lt 5 ] && tail -n 5 "$work/server.log" | grep -q "Address already in use"; } ||
        bail "the server starts"
done
q -d postgres -c "CREATE DATABASE capa_cron" || bail "CREATE DATABASE"

# capa, pg_cron, the scheduling role, and what is overdue: a record past
# its close due date (R1) with an action item past its due date (A1), a
# record past its containment due date (R2), another past its close due
# date (R3)
q <<'SQL' >/dev/null || bail "set-up"
SET client_min_messages = warning;
CREATE EXTENSION capa;
\i test/policy_0_2.sql
CREATE EXTENSION pg_cron;
CREATE ROLE cron_admin LOGIN;
GRANT capa_admin TO cron_admin;
GRANT USAGE ON SCHEMA cron TO cron_admin;
CREATE TABLE item (name text PRIMARY KEY, id capa.capa_ref, action_id bigint);
INSERT INTO item (name, id) VALUES
  ('R1', capa.capa_open('Backups failed', 'd', 'major', 'internal_audit', owner => 'owner_a',
                        close_due => now() - interval '2 days', contain_due => now() + interval '1 day')),
  ('R2', capa.capa_open('Badge reader down', 'd', 'critical', 'incident', owner => 'owner_b',
                        contain_due => now() - interval '1 hour', close_due => now() + interval '30 days')),
  ('R3', capa.capa_open('Patch backlog', 'd', 'minor', 'monitoring', owner => 'owner_c',
                        close_due => now() - interval '1 day'));
INSERT INTO item SELECT 'A1', id, capa.capa_add_action(id, 'Fix the backup job', 'ops', current_date - 3)
  FROM item WHERE name = 'R1';
GRANT SELECT ON item TO cron_admin;
SQL

# the listener: psql prints a notification after each command, so it
# sleeps in short commands (its input is generated ahead)
{ echo "LISTEN capa_events;"; for i in $(seq 1200); do echo "SELECT pg_sleep(0.25);"; done; } |
    psql -XAtq -p "$port" > "$work/listen.log" 2>&1 &
listener=$!
sleep 1
# escalation events (the containment step below sends a step event too)
notes() { grep '^Asynchronous notification "capa_events"' "$work/listen.log" | grep -c '"event": "escalation"'; }

# schedule away from a minute boundary, both jobs in one transaction, so
# both start at the same next minute
while s=$(date +%-S); [ "$s" -lt 3 ] || [ "$s" -gt 50 ]; do sleep 1; done
q -U cron_admin -c "BEGIN" \
  -c "SELECT cron.schedule('capa-escalate', '* * * * *', 'SELECT capa.capa_escalate()')" \
  -c "SELECT cron.schedule('capa-escalate-2', '* * * * *', 'SELECT capa.capa_escalate()')" \
  -c "COMMIT" >/dev/null || bail "cron.schedule as a member of capa_admin"
note "scheduled at $(date -u +%T); pg_cron runs jobs at the minute"

# wait for N finished runs (up to 150 s), then for the notifications
runs_done() { q -c "SELECT count(*) FROM cron.job_run_details WHERE status IN ('succeeded', 'failed')"; }
wait_runs() {
    local t
    for t in $(seq 300); do [ "$(runs_done)" -ge "$1" ] && break; sleep 0.5; done
    sleep 2
}
t0=$(date +%s)
wait_runs 2
note "first runs finished at $(date -u +%T), $(( $(date +%s) - t0 )) s after scheduling"
note "$(q -c "SELECT string_agg(j.jobname || ' ' || to_char(d.start_time AT TIME ZONE 'UTC', 'HH24:MI:SS.MS')
                                 || '-' || to_char(d.end_time AT TIME ZONE 'UTC', 'HH24:MI:SS.MS'), ', ' ORDER BY j.jobname)
                FROM cron.job_run_details d JOIN cron.job j USING (jobid)")"

esc="SELECT string_agg(i.name || ':' || e.due_kind || ':' || e.episode || ':' || e.level || ':' || e.escalated_by,
                       ' ' ORDER BY i.name, e.id)
       FROM capa.escalation e JOIN item i ON i.id OPERATOR(capa.=) e.capa_id AND i.action_id IS NOT DISTINCT FROM e.action_id"
ok "$(q -c "SELECT string_agg(j.jobname || ':' || d.status, ' ' ORDER BY j.jobname)
              FROM cron.job_run_details d JOIN cron.job j USING (jobid)")" \
   "capa-escalate:succeeded capa-escalate-2:succeeded" \
   "cron.job_run_details: both jobs ran once in the first minute and succeeded"
ok "$(q -c "SELECT string_agg(DISTINCT d.username, ',') FROM cron.job_run_details d JOIN cron.job j USING (jobid)")" \
   "cron_admin" "the jobs ran as the role that scheduled them"
ok "$(q -c "$esc")" "A1:action:1:1:cron_admin R1:close:1:1:cron_admin R2:contain:1:1:cron_admin R3:close:1:1:cron_admin" \
   "each overdue item escalated once, at level 1, although two runs overlapped"
ok "$(q -c "SELECT string_agg(return_message, ' ' ORDER BY return_message) FROM cron.job_run_details")" \
   "0 rows 4 rows" "one run added (returned) the 4 escalations, the other none (return_message)"
ok "$(grep -c '^Asynchronous notification "capa_events"' "$work/listen.log")" 4 "4 notifications on capa_events"
ok "$(notes)" 4 "each an escalation event"
# capa.events = reference (the default): a message names the record and
# the escalation's row, and the detail is one query away
ids=$(grep '^Asynchronous notification "capa_events"' "$work/listen.log" |
      grep -o '"escalation_id": [0-9]*' | grep -o '[0-9]*$' | paste -sd, -)
ok "$(q -c "SELECT string_agg(e.due_kind || ':' || e.level, ' ' ORDER BY e.due_kind) FROM capa.escalation e
             WHERE e.id = ANY ('{${ids:-0}}'::bigint[])")" \
   "action:1 close:1 close:1 contain:1" "their escalations, read by the ids they carry: the due kinds, level 1"
ok "$(grep '^Asynchronous notification "capa_events"' "$work/listen.log" | grep -c -E 'owner|severity|due_kind')" 0 \
   "the messages tell no owner, severity or due date (capa.events = reference)"
grep '^Asynchronous notification' "$work/listen.log" | head -1 | sed 's/^/# /'

# changes before the next minute: R1's close due date moves (still past),
# R3 gets a new owner, A1 is completed, R2 is contained
q <<'SQL' >/dev/null || bail "changes"
SET capa.reason = 'moved by the ISMS manager';
UPDATE capa.register SET close_due = close_due + interval '1 day'
 WHERE id OPERATOR(capa.=) (SELECT id FROM item WHERE name = 'R1');
UPDATE capa.register SET owner = 'owner_d' WHERE id OPERATOR(capa.=) (SELECT id FROM item WHERE name = 'R3');
SELECT capa.capa_complete_action((SELECT action_id FROM item WHERE name = 'A1'), 'Job fixed and tested');
SELECT capa.capa_contain((SELECT id FROM item WHERE name = 'R2'), 'Guard at the door', 'None');
SQL
note "changed at $(date -u +%T)"
wait_runs 4
note "second runs finished at $(date -u +%T), $(( $(date +%s) - t0 )) s after scheduling"

ok "$(q -c "SELECT count(*) FILTER (WHERE status = 'succeeded') || ' of ' || count(*) FROM cron.job_run_details")" \
   "4 of 4" "cron.job_run_details: 4 runs over two minutes, all succeeded"
ok "$(q -c "$esc")" \
   "A1:action:1:1:cron_admin R1:close:1:1:cron_admin R1:close:2:1:cron_admin R2:contain:1:1:cron_admin R3:close:1:1:cron_admin R3:close:2:1:cron_admin" \
   "the moved due date (R1) and the new owner (R3) start again at level 1; the completed action item and the contained record stop"
ok "$(q -c "SELECT string_agg(owner, ',' ORDER BY id) FROM capa.escalation WHERE capa_id OPERATOR(capa.=) (SELECT id FROM item WHERE name = 'R3')")" \
   "owner_c,owner_d" "R3's escalations name the owner of their time"
ok "$(notes)" 6 "6 escalation events in all: 2 more"
ok "$(q -c "SELECT count(*) FROM capa.capa_audit_verify()")" 0 "the audit trail verifies (escalations are not in it)"
ok "$(q -U cron_admin -c "SELECT cron.unschedule('capa-escalate') AND cron.unschedule('capa-escalate-2')")" t \
   "the jobs are unscheduled by their owner"

echo "1..$n"
exit $fail
