#!/bin/bash
# Crash recovery, as TAP: a concurrent lifecycle load on a throwaway cluster
# (fsync and synchronous_commit on) is cut by kill -9 of the postmaster,
# several rounds; after each restart and crash recovery the register must
# hold every step a client saw committed, with its audit row, in order, and
# no step whose commit was never sent; capa_audit_verify() finds nothing,
# every record's state is its last audited state, and amcheck finds nothing
# on capa's tables and indexes.
#
# Self-contained: makes its own cluster in a temporary directory (the
# server runs as user postgres when this runs as root) on a free loopback
# port, against the installed extension; ignores PG* variables; removes
# everything on exit, also on failure or interruption.  Exits non-zero if
# a check fails.  Settings (environment):
#   ROUNDS=2     kill -9 rounds (odd rounds kill the postmaster and all its
#                children at once, even rounds the postmaster alone)
#   CLIENTS=4    concurrent clients, each one psql session walking its
#                records through their lifecycles (5 paths: corrective with
#                an ineffective verification, reopen and cancel; preventive;
#                improvement closed, reopened and closed again; corrective
#                closed without action; corrective cancelled), mostly one
#                step per transaction, sometimes 2-3 steps in one
#   SLEEPERS=2   of those, how many end their round in a transaction with
#                steps done whose COMMIT is never sent (they sleep in it)
#   DURATION=8   seconds of load before the kill, at most: the kill comes
#                at a random moment in the second half; a CHECKPOINT comes
#                at a random moment before it
#   SEED=        for $RANDOM (printed first, so a run can be repeated)
#   KEEP=1       keep the temporary directory (client logs, server log, cluster)
# Records carry on across rounds from where recovery left them.
#
# What a client can know, and what is checked against all rounds' logs:
#  - acknowledged: psql printed the step's result line, which it does once
#    the server reported the statement (or the COMMIT before it) complete,
#    after the commit was flushed.  Must be there, with its audit row, in
#    the order the client did the steps.
#  - in doubt: the connection broke after the statement or the COMMIT was
#    sent.  May be there or not, a transaction's steps all or none.
#  - uncommitted: done in a transaction whose COMMIT was never sent (the
#    sleepers, or a transaction cut before its COMMIT), or never sent.
#    Must not be there.
set -u
cd "$(dirname "$0")/.."    # test/policy_0_2.sql

# Become a child subreaper, so backends orphaned by the kill are reaped by
# this script (PID 1 of a container may not reap them); best effort.
if [ -z "${CAPA_CRASH_REAPER:-}" ]; then
    case $(uname -m) in x86_64) nr=157 ;; aarch64) nr=167 ;; *) nr= ;; esac
    export CAPA_CRASH_REAPER=1
    if [ -n "$nr" ] && command -v perl >/dev/null; then
        exec perl -e 'syscall('"$nr"', 36, 1, 0, 0, 0); exec @ARGV or die "exec: $!\n"' -- bash "$0" "$@"
    fi
fi

ROUNDS=${ROUNDS:-2}
CLIENTS=${CLIENTS:-4}
SLEEPERS=${SLEEPERS:-2}
DURATION=${DURATION:-8}
SEED=${SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$SEED
[ "$SLEEPERS" -gt "$CLIENTS" ] && SLEEPERS=$CLIENTS

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"    # PG_CONFIG, free_port
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
for v in $(env | sed -n 's/^\(PG[A-Z_]*\)=.*/\1/p'); do [ "$v" != PGBIN ] && unset "$v"; done
export PGHOST=127.0.0.1 PGUSER=postgres PGDATABASE=capa_crash PGCONNECT_TIMEOUT=10
export PGAPPNAME=capa_crash

n=0
fail=0
ok() {  # ok PASS(t/f) DESCRIPTION [DETAIL]
    n=$((n + 1))
    if [ "$1" = t ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
        fail=1
    fi
}
note() { echo "# $*"; }

work=$(mktemp -d /tmp/capa_crash.XXXXXX)
chmod 755 "$work"
data=$work/data
server_log=$work/server.log
server_job=
port=
client_pids=()

# server-side commands run as postgres; setpriv execs (no watching parent
# process, which runuser or su would leave between us and the postmaster)
if [ "$(id -u)" = 0 ]; then as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups); else as_pg=(); fi
alive() {  # a process that exists and is not a zombie
    [ -e "/proc/$1" ] || return 1
    local st
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$st" ] && [ "$st" != Z ]
}
postmaster_pid() { head -1 "$data/postmaster.pid" 2>/dev/null; }
q() { timeout 120 psql -XAtq -v ON_ERROR_STOP=1 -p "$port" "$@"; }

cleanup() {
    local p
    disown -a 2>/dev/null
    for p in "${client_pids[@]}"; do
        kill -9 $(ps -o pid= --ppid "$p" 2>/dev/null) "$p" 2>/dev/null
    done
    p=$(postmaster_pid)
    if [ -n "$p" ] && alive "$p"; then
        "${as_pg[@]}" "$PGBIN/pg_ctl" stop -D "$data" -m immediate -w -t 30 >/dev/null 2>&1 || kill -9 "$p" 2>/dev/null
    fi
    for t in $(seq 300); do { [ -n "$p" ] && alive "$p"; } || break; sleep 0.1; done
    keep_logs crash "$server_log"
    if [ "${KEEP:-}" = 1 ]; then echo "# kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM


# the postmaster PID has written "ready" into postmaster.pid (line 8,
# PM_STATUS_READY, as pg_ctl -w reads it): recovery is over and it
# accepts connections
server_ready() {
    local pidfile=$data/postmaster.pid
    [ -r "$pidfile" ] || return 1
    [ "$(sed -n 1p "$pidfile")" = "$1" ] || return 1
    [ "$(sed -n 8p "$pidfile" | tr -d ' ')" = ready ]
}

# start the server on a free port (another if the port is taken meanwhile);
# returns when it accepts connections, after crash recovery if any
start_server() {
    local try t
    for try in 1 2 3 4 5; do
        port=$(free_port) || return 1
        echo "=== start on port $port" >> "$server_log"
        "${as_pg[@]}" "$PGBIN/postgres" -D "$data" -p "$port" >> "$server_log" 2>&1 &
        server_job=$!
        disown "$server_job"    # reaped all the same, without "Killed" notices
        for t in $(seq 600); do     # up to 120 s: recovery on a busy machine
            # ready as pg_ctl -w judges it, from postmaster.pid's status line,
            # without connecting: a connection during recovery is refused
            # with a FATAL in the log, which the round's log check must not see
            if server_ready "$server_job" &&
               psql -XAtq -p "$port" -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
                return 0
            fi
            alive "$server_job" || break
            sleep 0.2
        done
        if alive "$server_job"; then return 1; fi   # up but not ready: give up
        server_job=
    done
    return 1
}

# --- the load ------------------------------------------------------------
# Each variant is a lifecycle: "label:audit step:to_state" ('-': no state,
# an action-item step).  Record k of a client follows variant k % 5.
V=(
 "open:open:open contain:contain:contained analyse:analyse:analysed add_action:add_action:- plan:plan:planned complete_action:complete_action:- implement:implement:implemented verify_no:verify:planned add_action:add_action:- complete_action:complete_action:- implement:implement:implemented verify:verify:verified close:close:closed reopen:reopen:open cancel:cancel:cancelled"
 "open:open:open analyse:analyse:analysed add_action:add_action:- plan:plan:planned complete_action:complete_action:- implement:implement:implemented verify:verify:verified close:close:closed"
 "open:open:open add_action:add_action:- plan:plan:planned complete_action:complete_action:- implement:implement:implemented verify:verify:verified close:close:closed reopen:reopen:open add_action:add_action:- plan:plan:planned complete_action:complete_action:- implement:implement:implemented verify:verify:verified close:close:closed"
 "open:open:open contain:contain:contained analyse_none:analyse:analysed close_none:close:closed"
 "open:open:open contain:contain:contained cancel:cancel:cancelled"
)
KIND=(corrective preventive improvement corrective corrective)
SEV=(major minor critical observation major)

# step_call VARIANT IDX TITLE REF: sets CALL to the function call of step IDX
# (no subshell: the client runs it for every step)
step_call() {
    local -a steps=(${V[$1]})
    local idx=$2 title=$3 ref=$4 label j i r
    label=${steps[$idx]%%:*}
    if [ -n "$ref" ]; then r="'$ref'::capa.capa_ref"
    else r="(SELECT id FROM capa.register WHERE title = '$title')"; fi
    case $label in
    open)         CALL="capa.capa_open('$title', 'crash test load', '${SEV[$1]}', 'incident', kind => '${KIND[$1]}', owner => 'owner_$title')" ;;
    contain)      CALL="capa.capa_contain($r, 'isolated the system', 'none')" ;;
    analyse)      CALL="capa.capa_analyse($r, 'a cause', '5whys', 'checked the others')" ;;
    analyse_none) CALL="capa.capa_analyse($r, 'a cause', '5whys', 'checked the others', action_required => false, justification => 'a one-off')" ;;
    add_action)   CALL="capa.capa_add_action($r, 'fix it', 'ops', current_date + 7)" ;;
    complete_action)
        j=0   # the how-manieth completion: it completes that action item
        for ((i = 0; i <= idx; i++)); do [ "${steps[$i]%%:*}" = complete_action ] && j=$((j + 1)); done
        CALL="capa.capa_complete_action((SELECT id FROM capa.action WHERE capa_id OPERATOR(capa.=) $r ORDER BY id OFFSET $((j - 1)) LIMIT 1), 'done')" ;;
    plan)         CALL="capa.capa_plan($r)" ;;
    implement)    CALL="capa.capa_implement($r)" ;;
    verify)       CALL="capa.capa_verify($r, true, 'works')" ;;
    verify_no)    CALL="capa.capa_verify($r, false, 'did not work')" ;;
    close|close_none) CALL="capa.capa_close($r, 'procedure v2')" ;;
    reopen)       CALL="capa.capa_reopen($r, 'it happened again')" ;;
    cancel)       CALL="capa.capa_cancel($r, 'duplicate')" ;;
    esac
}

# why psql ended: unsent (it never reached a session), doubt (the
# connection broke: what was sent may or may not have committed), refused
# (the server said ERROR)
classify() {
    if grep -qE 'Connection refused|could not connect|the database system is (starting up|shutting down|in recovery mode|not yet accepting)|timeout expired' "$1"; then
        echo unsent
    elif grep -qE 'server closed the connection|connection to server was lost|terminating connection|could not (receive|send) data|no connection to the server|SSL SYSCALL' "$1"; then
        echo doubt
    else
        echo refused
    fi
}

# client C ROUND SLEEP_AT: one psql session (through FIFOs) walking the
# client's records through their lifecycles, until the kill ends it.  A
# step is a statement printing a line, "ack ..." in autocommit: psql prints
# it only once the server has reported the statement complete, which it
# does after the commit (flushed: synchronous_commit on).  Now and then
# the next 2-3 steps go in one BEGIN ... COMMIT, acknowledged by a
# statement after the COMMIT.  With SLEEP_AT (microseconds after the
# start) the client then begins a transaction, does the next steps in it,
# and sleeps in it: its COMMIT is never sent.
# Log lines: round client line title idx step to_state status transaction
client() {
    local c=$1 round=$2 sleep_at=$3
    local logf=$work/log.r$round.c$c err=$work/err.c$c kfile=$work/k.c$c
    local line=0 txn=0 k title variant ref m len reply st i last tok mode pin pout ppid
    local -a steps_a batch
    local t0=${EPOCHREALTIME/./}
    RANDOM=$((SEED + 7919 * c + 104729 * round))
    trap '' PIPE
    logline() { line=$((line + 1)); printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$c" "$line" "$title" "$1" "$2" "$3" "$4" "$round.$c.$txn" >> "$logf"; }
    logbatch() { local i t; for i in "${batch[@]}"; do t=${steps_a[$i]#*:}; logline "$i" "${t%%:*}" "${t#*:}" "$1"; done; }
    send() { printf '%s\n' "$1" >&"$pin" 2>/dev/null; }
    recv() { IFS= read -r -t "$1" reply <&"$pout"; }
    # psql ended (or hung): why; the client stops
    finish() {   # STATUS-IF-CONNECTION-BROKE
        local st
        if [ "${1:-}" = timeout ]; then
            echo "client $c: no answer from the server in time ($title step $m)" >> "$work/client_errors"
            kill -9 "$ppid" 2>/dev/null; wait "$ppid" 2>/dev/null
            logbatch doubt; return
        fi
        wait "$ppid" 2>/dev/null
        st=$(classify "$err")
        if [ "$st" = refused ]; then
            echo "client $c $title step $m: $(head -3 "$err")" >> "$work/client_errors"
            logbatch uncommitted
        elif [ "$st" = unsent ]; then
            logbatch unsent
        else
            logbatch "$1"
        fi
    }
    rm -f "$work/in.c$c" "$work/out.c$c"
    mkfifo "$work/in.c$c" "$work/out.c$c"
    stdbuf -oL psql -XAtq -v ON_ERROR_STOP=1 -p "$port" < "$work/in.c$c" > "$work/out.c$c" 2> "$err" &
    ppid=$!
    exec {pin}> "$work/in.c$c" {pout}< "$work/out.c$c"

    k=$(cat "$kfile" 2>/dev/null || echo 1)
    title=c$c-k$k
    # continue the record left over from the last round, where it really is
    send "SELECT 'res ' || coalesce((SELECT r.id::text || ' ' || (SELECT count(*) FROM capa.audit a WHERE a.capa_id OPERATOR(capa.=) r.id) FROM capa.register r WHERE r.title = '$title'), '');"
    if ! recv 120 || [ "${reply:0:4}" != "res " ]; then
        wait "$ppid" 2>/dev/null
        echo "client $c: resume query failed: $(cat "$err")" >> "$work/client_errors"; return
    fi
    reply=${reply#res }
    if [ -n "$reply" ]; then ref=${reply% *}; m=${reply#* }; else ref=; m=0; fi
    while :; do
        variant=$((k % 5))
        steps_a=(${V[$variant]})
        len=${#steps_a[@]}
        if [ "$m" -ge "$len" ]; then
            k=$((k + 1)); echo "$k" > "$kfile"; title=c$c-k$k; ref=; m=0
            continue
        fi
        txn=$((txn + 1))
        mode=single
        if [ -n "$sleep_at" ] && [ $(( ${EPOCHREALTIME/./} - t0 )) -ge "$sleep_at" ]; then
            mode=sleep
        elif [ $((RANDOM % 4)) = 0 ] && [ $((m + 1)) -lt "$len" ]; then
            mode=batch
        fi
        if [ "$mode" = single ]; then
            batch=("$m")
            step_call "$variant" "$m" "$title" "$ref"
            send "SELECT 'ack ' || coalesce(x::text, '') FROM $CALL AS x;" || { finish unsent; return; }
            recv 120; st=$?
            if [ "$st" != 0 ] || [ "${reply:0:4}" != "ack " ]; then
                [ "$st" -gt 128 ] && { finish timeout; return; }
                finish doubt; return
            fi
            logbatch ack
            [ "$m" = 0 ] && ref=${reply#ack }
            m=$((m + 1))
            continue
        fi
        # several steps in one transaction
        last=$((m + 1 + RANDOM % 2)); [ "$last" -ge "$len" ] && last=$((len - 1))
        batch=()
        for ((i = m; i <= last; i++)); do batch+=("$i"); done
        send "BEGIN;" || { finish unsent; return; }
        for i in "${batch[@]}"; do
            step_call "$variant" "$i" "$title" "$ref"
            # before the COMMIT is sent, nothing of the transaction can be committed
            send "SELECT 'held ' || coalesce(x::text, '') FROM $CALL AS x;" || { finish uncommitted; return; }
            recv 120; st=$?
            if [ "$st" != 0 ] || [ "${reply:0:5}" != "held " ]; then
                [ "$st" -gt 128 ] && { finish timeout; return; }
                finish uncommitted; return
            fi
            [ "$i" = 0 ] && ref=${reply#held }
        done
        if [ "$mode" = sleep ]; then
            logbatch uncommitted           # and its COMMIT is never sent
            send "SELECT pg_sleep(3600);"
            recv 3600
            wait "$ppid" 2>/dev/null
            [ "$(classify "$err")" = refused ] && echo "client $c $title sleeping transaction: $(head -3 "$err")" >> "$work/client_errors"
            return
        fi
        send "COMMIT;" || { finish uncommitted; return; }
        send "SELECT 'committed';" || { finish doubt; return; }
        recv 120; st=$?
        if [ "$st" != 0 ] || [ "$reply" != committed ]; then
            [ "$st" -gt 128 ] && { finish timeout; return; }
            finish doubt; return
        fi
        logbatch ack
        m=$((last + 1))
    done
}

# --- the checks after recovery ---------------------------------------------
# prints lines "t|description|detail" or "f|description|detail"
check_sql() {
cat <<SQL
SET client_min_messages = warning;
CREATE TEMP TABLE log (round int, client int, line int, title text, idx int, step text, to_state text, status text, txn text);
\\copy log FROM '$work/log.all'
UPDATE log SET to_state = NULL WHERE to_state = '-';
-- per (record, step): acknowledged if it ever was, else the outcome of its last attempt
CREATE TEMP TABLE want AS
SELECT DISTINCT ON (title, idx) title, idx, step, to_state, status, txn
  FROM log ORDER BY title, idx, status = 'ack' DESC, round DESC, line DESC;
-- the audit rows of each record, numbered in order
CREATE TEMP TABLE got AS
SELECT r.title, (row_number() OVER (PARTITION BY a.capa_id ORDER BY a.seq) - 1)::int AS idx,
       a.step, a.to_state::text AS to_state
  FROM capa.audit a JOIN capa.register r ON r.id OPERATOR(capa.=) a.capa_id;
ANALYZE want; ANALYZE got;
CREATE TEMP TABLE problems (problem text);
CREATE FUNCTION pg_temp.j(a text[]) RETURNS text LANGUAGE sql AS
  \$\$ SELECT array_to_string(a[1:20], ' ;; ') || CASE WHEN cardinality(a) > 20 THEN ' ;; ... ' || cardinality(a) || ' in all' ELSE '' END \$\$;
DO \$\$
DECLARE ix regclass; t regclass; err text;
BEGIN
  FOR ix IN SELECT i.indexrelid::regclass FROM pg_index i
              JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
             WHERE am.amname = 'btree' AND i.indrelid IN (
                   SELECT c.oid FROM pg_class c WHERE c.relnamespace = 'capa'::regnamespace AND c.relkind = 'r'
                   UNION ALL
                   SELECT c.reltoastrelid FROM pg_class c WHERE c.relnamespace = 'capa'::regnamespace AND c.reltoastrelid <> 0)
  LOOP
    BEGIN
      PERFORM bt_index_check(ix, heapallindexed => true);
      PERFORM bt_index_parent_check(ix, heapallindexed => true, rootdescend => true);
      INSERT INTO problems VALUES ('index ok');
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS err = MESSAGE_TEXT;
      INSERT INTO problems VALUES (format('index %s: %s', ix, err));
    END;
  END LOOP;
  FOR t IN SELECT c.oid::regclass FROM pg_class c WHERE c.relnamespace = 'capa'::regnamespace AND c.relkind = 'r' LOOP
    BEGIN
      INSERT INTO problems SELECT format('table %s block %s offnum %s: %s', t, blkno, offnum, msg)
        FROM verify_heapam(t, check_toast => true);
      INSERT INTO problems VALUES ('table ok');
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS err = MESSAGE_TEXT;
      INSERT INTO problems VALUES (format('table %s: %s', t, err));
    END;
  END LOOP;
END \$\$;

SELECT (count(*) FILTER (WHERE g.idx IS NULL OR g.step IS DISTINCT FROM w.step OR g.to_state IS DISTINCT FROM w.to_state) = 0)::text
       || '|every acknowledged step is there, in order, with its audit row (' || count(*) || ' steps)|'
       || coalesce(pg_temp.j(array_agg(w.title || ' step ' || w.idx || ' ' || w.step || ' -> ' || coalesce(w.to_state, '-') || ': '
                   || coalesce('audit row ' || g.step || ' -> ' || coalesce(g.to_state, '-'), 'missing'))
                   FILTER (WHERE g.idx IS NULL OR g.step IS DISTINCT FROM w.step OR g.to_state IS DISTINCT FROM w.to_state)), '')
  FROM want w LEFT JOIN got g USING (title, idx) WHERE w.status = 'ack';
SELECT (count(g.idx) = 0)::text
       || '|no step that was never committed is there (' || count(*) || ' steps: '
       || count(*) FILTER (WHERE w.status = 'uncommitted') || ' in open transactions at the kill, '
       || count(*) FILTER (WHERE w.status = 'unsent') || ' not sent)|'
       || coalesce(pg_temp.j(array_agg(w.title || ' step ' || w.idx || ' ' || w.step || ' (' || w.status || ') is there')
                   FILTER (WHERE g.idx IS NOT NULL)), '')
  FROM want w LEFT JOIN got g USING (title, idx) WHERE w.status IN ('uncommitted', 'unsent');
SELECT (count(*) = 0)::text || '|no audit row beyond what the clients sent (acknowledged or in doubt)|'
       || coalesce(pg_temp.j(array_agg(g.title || ' audit row ' || g.idx || ' ' || g.step || ' -> ' || coalesce(g.to_state, '-')
                   || coalesce(' (client: ' || w.step || ', ' || w.status || ')', ' (client: none)'))), '')
  FROM got g LEFT JOIN want w USING (title, idx)
 WHERE w.title IS NULL OR w.status NOT IN ('ack', 'doubt') OR g.step IS DISTINCT FROM w.step OR g.to_state IS DISTINCT FROM w.to_state;
SELECT (count(*) = 0)::text || '|every register row is a record a client opened|' || coalesce(pg_temp.j(array_agg(r.id::text || ' ' || r.title)), '')
  FROM capa.register r WHERE r.title NOT IN (SELECT title FROM log);
SELECT (count(*) FILTER (WHERE present NOT IN (0, steps)) = 0)::text
       || '|in doubt (the connection broke after the commit was sent): ' || coalesce(sum(steps), 0) || ' steps in ' || count(*)
       || ' transactions, ' || count(*) FILTER (WHERE present > 0) || ' of them committed, each all or nothing|'
       || coalesce(pg_temp.j(array_agg(txn || ': ' || present || ' of ' || steps || ' steps there') FILTER (WHERE present NOT IN (0, steps))), '')
  FROM (SELECT w.txn, count(*) AS steps, count(g.idx) AS present
          FROM want w LEFT JOIN got g USING (title, idx) WHERE w.status = 'doubt' GROUP BY w.txn) t;
WITH c AS (
  SELECT (SELECT count(*) FROM want WHERE step = 'open' AND status = 'ack') AS ack_open,
         (SELECT count(*) FROM want WHERE step = 'open' AND status = 'doubt') AS doubt_open,
         (SELECT count(*) FROM capa.register) AS registers,
         (SELECT count(*) FROM want WHERE step = 'add_action' AND status = 'ack') AS ack_add,
         (SELECT count(*) FROM want WHERE step = 'add_action' AND status = 'doubt') AS doubt_add,
         (SELECT count(*) FROM capa.action) AS actions,
         (SELECT count(*) FROM want WHERE step = 'complete_action' AND status = 'ack') AS ack_done,
         (SELECT count(*) FROM want WHERE step = 'complete_action' AND status = 'doubt') AS doubt_done,
         (SELECT count(*) FROM capa.action WHERE done) AS done)
SELECT (registers BETWEEN ack_open AND ack_open + doubt_open AND actions BETWEEN ack_add AND ack_add + doubt_add
        AND done BETWEEN ack_done AND ack_done + doubt_done)::text
       || '|register, action and done counts match the acknowledged (and in-doubt) opens, additions, completions: '
       || registers || ' records, ' || actions || ' action items, ' || done || ' done|'
       || format('acknowledged opens %s (+%s in doubt), additions %s (+%s), completions %s (+%s)',
                 ack_open, doubt_open, ack_add, doubt_add, ack_done, doubt_done)
  FROM c;
SELECT (count(*) = 0)::text || '|capa_audit_verify() finds nothing|'
       || coalesce(pg_temp.j(array_agg(problem || ' ' || coalesce(capa_id::text, '') || ' ' || coalesce(action_id::text, '') || ' seq ' || coalesce(seq::text, '') || ': ' || coalesce(detail, ''))), '')
  FROM (SELECT * FROM capa.capa_audit_verify() LIMIT 50) v;
SELECT (count(*) = 0)::text || '|every record''s state is the to_state of its last audit row (' || (SELECT count(*) FROM capa.register) || ' records)|'
       || coalesce(pg_temp.j(array_agg(r.id::text || ' ' || r.state::text || ' but audited ' || coalesce(l.to_state::text, 'nothing'))), '')
  FROM capa.register r
  LEFT JOIN LATERAL (SELECT a.to_state FROM capa.audit a WHERE a.capa_id OPERATOR(capa.=) r.id AND a.action_id IS NULL
                      ORDER BY a.chain_seq DESC LIMIT 1) l ON true
 WHERE l.to_state IS NULL OR r.state OPERATOR(capa.<>) l.to_state;
SELECT (count(*) = 0)::text || '|every action item is done exactly when its completion is audited|'
       || coalesce(pg_temp.j(array_agg(x.id::text)), '')
  FROM capa.action x
 WHERE x.done <> EXISTS (SELECT 1 FROM capa.audit a WHERE a.action_id = x.id AND a.step = 'complete_action');
SELECT (count(*) FILTER (WHERE problem NOT IN ('index ok', 'table ok')) = 0)::text
       || '|amcheck: bt_index_check and bt_index_parent_check (heapallindexed) on ' || count(*) FILTER (WHERE problem = 'index ok')
       || ' indexes, verify_heapam on ' || count(*) FILTER (WHERE problem = 'table ok') || ' tables of capa: nothing found|'
       || coalesce(pg_temp.j(array_agg(problem) FILTER (WHERE problem NOT IN ('index ok', 'table ok'))), '')
  FROM problems;
SELECT 'stats|' || count(*) FILTER (WHERE status = 'ack') || '|' || count(DISTINCT title) FILTER (WHERE step = 'open' AND status = 'ack')
       || '|' || count(*) FILTER (WHERE status = 'doubt') || '|' || count(*) FILTER (WHERE status = 'uncommitted')
       || '|' || count(*) FILTER (WHERE status = 'unsent') || '|' || count(DISTINCT txn) FILTER (WHERE status = 'ack')
  FROM log WHERE round = :round;
SQL
}

# --- set up ------------------------------------------------------------------
note "crash recovery: ROUNDS=$ROUNDS CLIENTS=$CLIENTS SLEEPERS=$SLEEPERS DURATION=$DURATION SEED=$SEED"
mkdir "$data" "$work/sock"
[ "$(id -u)" = 0 ] && chown postgres: "$data" "$work/sock"
setup_ok=t
"${as_pg[@]}" "$PGBIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 > "$work/initdb.log" 2>&1 || setup_ok=f
cat >> "$data/postgresql.conf" 2>/dev/null <<CONF || setup_ok=f
# durability: this test is about it
fsync = on
synchronous_commit = on
full_page_writes = on
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work/sock'
max_connections = 40
shared_buffers = 32MB
max_wal_size = 256MB
log_line_prefix = '%m [%p] '
CONF
if [ "$setup_ok" = t ] && start_server; then
    psql -XAtq -v ON_ERROR_STOP=1 -p "$port" -d postgres -c 'CREATE DATABASE capa_crash' >/dev/null &&
    q -c 'SET client_min_messages = warning; CREATE EXTENSION capa; CREATE EXTENSION amcheck' -f test/policy_0_2.sql >/dev/null || setup_ok=f
else
    setup_ok=f
fi
ok "$setup_ok" "a cluster with fsync and synchronous_commit on, capa and amcheck" \
   "$(tail -20 "$work/initdb.log" "$server_log" 2>/dev/null)"
if [ "$setup_ok" != t ]; then echo "1..$n"; exit 1; fi
note "fsync=$(q -c 'SHOW fsync') synchronous_commit=$(q -c 'SHOW synchronous_commit') full_page_writes=$(q -c 'SHOW full_page_writes') wal_sync_method=$(q -c 'SHOW wal_sync_method')"

ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
sleep_until() { local d=$(( $1 - $(ms) )); [ "$d" -gt 0 ] && sleep "$((d / 1000)).$(printf '%03d' $((d % 1000)))"; }

# --- rounds ------------------------------------------------------------------
total_ack=0
for round in $(seq "$ROUNDS"); do
    half=$((DURATION * 500))
    kill_after=$((half + RANDOM % (half + 1)))                 # ms
    ckpt_after=$((kill_after / 4 + RANDOM % (kill_after / 2 + 1)))
    mode=$(( round % 2 ))    # 1: kill -9 postmaster and all its children at once; 0: postmaster only
    : > "$work/client_errors"
    t0=$(ms)
    client_pids=()
    for c in $(seq "$CLIENTS"); do
        sleep_at=
        if [ "$c" -le "$SLEEPERS" ]; then    # in microseconds, between 30% and 60% of the time to the kill
            sleep_at=$(( (kill_after * 3 / 10 + RANDOM % (kill_after * 3 / 10 + 1)) * 1000 ))
        fi
        client "$c" "$round" "$sleep_at" &
        client_pids+=($!)
    done
    sleep_until $((t0 + ckpt_after))
    q -c CHECKPOINT >/dev/null 2>&1 || note "round $round: CHECKPOINT failed"
    sleep_until $((t0 + kill_after))
    # the sleepers hold their uncommitted steps (wait up to 20 s for them)
    held=0
    for t in $(seq 100); do
        held=$(q -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query = 'SELECT pg_sleep(3600);' AND backend_xid IS NOT NULL" 2>/dev/null || echo 0)
        [ "$held" -ge "$SLEEPERS" ] && break
        sleep 0.2
    done
    killed_at=$(( $(ms) - t0 ))
    pm=$(postmaster_pid)
    if [ -z "$pm" ] || ! alive "$pm"; then
        ok f "round $round: the server was up at the kill" "$(tail -20 "$server_log")"; break
    fi
    kill -STOP "$pm"                       # no new children while we list them
    kids=$(ps -o pid= --ppid "$pm" | tr '\n' ' ')
    if [ "$mode" = 1 ]; then
        kill -KILL "$pm" $kids 2>/dev/null
        how="kill -9 of the postmaster and its $(echo $kids | wc -w) children at once"
    else
        kill -KILL "$pm"
        how="kill -9 of the postmaster only (its $(echo $kids | wc -w) children exit on their own)"
    fi
    # every old process gone before the restart (children: 10 s to exit on their own)
    for t in $(seq 300); do
        left=
        for p in $pm $kids; do alive "$p" && left="$left $p"; done
        [ -z "$left" ] && break
        [ "$t" = 50 ] && kill -KILL $left 2>/dev/null
        sleep 0.1
    done
    server_job=
    # the clients stop at their first failed step
    for t in $(seq 300); do
        left=
        for p in "${client_pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
        [ -z "$left" ] && break
        sleep 0.1
    done
    stuck=0
    for p in "${client_pids[@]}"; do
        if kill -0 "$p" 2>/dev/null; then
            stuck=$((stuck + 1)); kill -9 $(ps -o pid= --ppid "$p") "$p" 2>/dev/null
        fi
        wait "$p" 2>/dev/null
    done
    client_pids=()
    note "round $round: $how after $((killed_at / 1000)).$(printf '%03d' $((killed_at % 1000))) s (CHECKPOINT at $((ckpt_after / 1000)).$(printf '%03d' $((ckpt_after % 1000))) s)"

    recovered=f
    start_server && recovered=t
    # the log of this start: crash recovery, and nothing worse than LOG
    startlog=$(sed -n '/^=== start/h; /^=== start/!H; ${x;p}' "$server_log")
    grep -q 'automatic recovery in progress' <<< "$startlog" || recovered=f
    # A real problem is any PANIC, ERROR or WARNING, and any FATAL but the
    # refusal of a connection before recovery ends (SQLSTATE 57P03, "the
    # database system is starting up / not yet accepting connections"):
    # that one is the server working as designed (a late client of the
    # killed round may try to reconnect), not a fault of recovery.
    grep -E '(PANIC|FATAL|ERROR|WARNING):' <<< "$startlog" |
        grep -qvE 'FATAL:  the database system is (starting up|not yet accepting connections|in recovery mode)' && recovered=f
    ok "$recovered" "round $round: the server restarts after the kill, recovers, and logs no warning or error doing it" "$startlog"
    if [ "$recovered" != t ]; then fail=1; break; fi
    ok "$([ "$held" -ge "$SLEEPERS" ] && [ "$stuck" = 0 ] && echo t || echo f)" \
       "round $round: $held of $SLEEPERS sleepers held uncommitted steps at the kill; every client stopped by itself" \
       "$(cat "$work/client_errors")"
    ok "$([ -s "$work/client_errors" ] && echo f || echo t)" "round $round: no client error but the lost connection (no step refused, no timeout)" \
       "$(head -20 "$work/client_errors")"

    cat "$work"/log.r*.c* > "$work/log.all" 2>/dev/null || : > "$work/log.all"
    check_out=$(check_sql | q -v round="$round" -f - 2>&1)
    check_rc=$?
    stats=
    while IFS= read -r l; do
        case $l in
        stats\|*) stats=${l#stats|} ;;
        true\|*|false\|*)
            pass=${l%%|*}; pass=${pass:0:1}; rest=${l#*|}; desc=${rest%%|*}; detail=${rest#*|}
            ok "$pass" "round $round: $desc" "${detail// ;; /$'\n'}" ;;
        *) [ -n "$l" ] && echo "#   $l" ;;
        esac
    done <<< "$check_out"
    [ "$check_rc" = 0 ] || ok f "round $round: the checks ran" "$check_out"
    IFS='|' read -r s_ack s_open s_doubt s_unc s_unsent s_txn <<< "$stats"
    total_ack=$((total_ack + ${s_ack:-0}))
    note "round $round: clients saw ${s_ack:-?} steps committed in ${s_txn:-?} transactions (${s_open:-?} records opened); ${s_doubt:-?} steps in doubt, ${s_unc:-?} uncommitted, ${s_unsent:-?} not sent"
    ok "$([ "${s_ack:-0}" -gt 0 ] && echo t || echo f)" "round $round: the load committed steps before the kill"
done
note "$total_ack steps acknowledged over $ROUNDS rounds"
echo "1..$n"
exit $fail
