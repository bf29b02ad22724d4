#!/bin/bash
# capa across a major upgrade of PostgreSQL, 15 -> 18, as TAP.
#
# Two 15 clusters, each with two databases: capa_mu_old at capa 0.2.0 (the
# released version, to be updated after the upgrade) and capa_mu_cur at
# the version of this checkout, filled through the API: records of every
# kind in every state, action items, a reopen, an ineffective
# verification, links into a table of their own, an intake on a findings
# table (rows matched, one failed), escalations, row-level security by org
# unit with a granted role, a review snapshot and two digests (one before
# the last steps).  Then:
#
#  a. pg_upgrade (copy mode) of the 15.18 cluster to 18.  On 18: every row
#     of every capa table and of the user tables is back, the KPI views give
#     the same; the trail verifies, also against each digest issued on 15;
#     a role limited to a unit sees what it saw; records continue their
#     lifecycle, a refused step is still refused with its SQLSTATE; the
#     intake opens a record for a new row; capa_escalate() escalates what
#     became overdue; ALTER EXTENSION capa UPDATE takes capa_mu_old to this
#     version, which still verifies and goes on.
#  b. pg_dump of the Debian 15 cluster's capa_mu_cur with its own pg_dump
#     (roles with pg_dumpall --globals-only), restored into a new 18
#     cluster: the same checks.
#
# Why two 15s: Debian 12's PostgreSQL 15.20 (like Debian 13's 17.12)
# stamps every column with an attribute option, pg_attver, that 18.6 does
# not know; 18.6's pg_dump copies it and pg_upgrade fails restoring the
# first table ('unrecognized parameter "pg_attver"'), whatever the
# extensions.  15.20's own pg_dump leaves it out, so b works from it; a
# is shown from 15.18, built from source (test/pg-source.sh), and what
# pg_upgrade from 15.20 does is printed as a note (docs/operations.md, Other PostgreSQL
# majors).
#
# 18 is PostgreSQL 18.6 built from source on this machine (assertions on;
# cached): Debian's 18 needs a newer glibc than Debian 12's, and pg_upgrade
# runs both majors' binaries side by side.  capa is built for each
# installation and installed into private copies of them (the system's is
# left alone).  Clusters of its own on loopback, as postgres, removed on
# exit (KEEP=1 keeps them).
#
#   DEB_PG_CONFIG  the 15 of b (default Debian's)
#   OLD_PG_CONFIG  the 15 of a (default: test/pg-source.sh 15.18 cassert)
#   NEW_PG_CONFIG  the 18 (default: test/pg-source.sh 18.6 cassert)
set -u
cd "$(dirname "$0")/.."
. test/lib.sh    # free_port, copy_installation, build_capa, keep_logs
DEB_PG_CONFIG=${DEB_PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
WAIT=${WAIT:-60}
for v in $(env | sed -n 's/^\(PG[A-Z_]*\)=.*/\1/p'); do
    case $v in DEB_PG_CONFIG | OLD_PG_CONFIG | NEW_PG_CONFIG) ;; *) unset "$v" ;; esac
done
export PGHOST=127.0.0.1 PGUSER=postgres PGCONNECT_TIMEOUT=10

n=0
fail=0    # the TAP counters of tap_ok (test/lib.sh)
ok() { tap_ok "$@"; }
bail() { ok "$1" ok "$2" "${3:-}"; echo "1..$n"; exit 1; }

work=$(mktemp -d /tmp/capa_major.XXXXXX)
chmod 755 "$work"
if [ "$(id -u)" = 0 ]; then as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups); else as_pg=(); fi
declare -A port bindir
clusters=()
cleanup() {
    local c
    for c in "${clusters[@]}"; do
        [ -f "$work/$c.data/postmaster.pid" ] &&
            "${as_pg[@]}" "${bindir[$c]}/pg_ctl" stop -D "$work/$c.data" -m immediate -w -t 30 >/dev/null 2>&1
        keep_logs "major_upgrade.$c" "$work/$c.log"
    done
    if [ "${KEEP:-}" = 1 ]; then echo "# kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# --- the installations: private copies with capa built for each ---------------
OLD_PG_CONFIG=${OLD_PG_CONFIG:-$(./test/pg-source.sh 15.18 cassert)} || bail "no 15.18" "PostgreSQL 15.18 is built (test/pg-source.sh)"
NEW_PG_CONFIG=${NEW_PG_CONFIG:-$(./test/pg-source.sh 18.6 cassert)} || bail "no 18.6" "PostgreSQL 18.6 is built (test/pg-source.sh)"
declare -A cfg
setup=ok
for i in deb old new; do
    case $i in deb) src=$DEB_PG_CONFIG ;; old) src=$OLD_PG_CONFIG ;; new) src=$NEW_PG_CONFIG ;; esac
    cfg[$i]=$(copy_installation "$src" "$work/$i") && build_capa "$src" "$work/build-$i" "$work/$i" || setup="capa for $src failed"
done
ok "$setup" ok "capa built with -Werror and installed into private copies of $("$DEB_PG_CONFIG" --version), $("$OLD_PG_CONFIG" --version) and $("$NEW_PG_CONFIG" --version)"
[ "$setup" = ok ] || { echo "1..$n"; exit 1; }
deb_bin=$("${cfg[deb]}" --bindir)
old_bin=$("${cfg[old]}" --bindir)
new_bin=$("${cfg[new]}" --bindir)
old_major=$("$OLD_PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
new_major=$("$NEW_PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
mkdir -p "$work/sock"
[ "$(id -u)" = 0 ] && chown -R postgres: "$work"

initcluster() {  # initcluster NAME BINDIR
    bindir[$1]=$2
    clusters+=("$1")
    # 18's initdb turns data checksums on by default, 15's off; pg_upgrade
    # needs the same on both sides
    "${as_pg[@]}" "$2/initdb" -D "$work/$1.data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        $([ "$2" = "$new_bin" ] && echo --no-data-checksums) >"$work/$1.initdb.log" 2>&1 || return 1
    cat >> "$work/$1.data/postgresql.conf" <<CONF
fsync = off
max_prepared_transactions = 10
log_line_prefix = '%m [%p] %b '
CONF
}
start() {  # start NAME
    local c=$1 try
    for try in 1 2 3 4 5; do
        port[$c]=$(free_port) || return 1
        "${as_pg[@]}" "${bindir[$c]}/pg_ctl" start -D "$work/$c.data" -l "$work/$c.log" -w -t "$WAIT" \
            -o "-p ${port[$c]} -k $work/sock -c listen_addresses=127.0.0.1" >/dev/null 2>&1 && return 0
        grep -q 'could not bind\|could not create any TCP/IP sockets' "$work/$c.log" || return 1
    done
    return 1
}
stop() { "${as_pg[@]}" "${bindir[$1]}/pg_ctl" stop -D "$work/$1.data" -m fast -w -t "$WAIT" >/dev/null 2>&1; }
# psql of the cluster's own major
q() { local c=$1 d=$2; shift 2; timeout "$WAIT" "${bindir[$c]}/psql" -XAtq -v ON_ERROR_STOP=1 -p "${port[$c]}" -d "$d" "$@"; }
sqlstate() {  # sqlstate CLUSTER DB SQL [ROLE]: "ERROR:  XXXXX"
    timeout "$WAIT" "${bindir[$1]}/psql" -XAtq -v VERBOSITY=sqlstate -p "${port[$1]}" -d "$2" ${4:+-U "$4"} -c "$3" 2>&1 | grep -m1 ERROR
}
upgrade() {  # upgrade OLD NEW LOG: pg_upgrade, copy mode, as postgres
    mkdir -p "$work/upgrade-$1" && [ "$(id -u)" = 0 ] && chown postgres: "$work/upgrade-$1"
    (cd "$work/upgrade-$1" && "${as_pg[@]}" "$new_bin/pg_upgrade" -b "${bindir[$1]}" -B "$new_bin" \
        -d "$work/$1.data" -D "$work/$2.data" -U postgres -p "$(free_port)" -P "$(free_port)" -s "$work/sock" >"$3" 2>&1)
}

fill() {  # fill CLUSTER DB
    q "$1" "$2" -f - >"$work/fill.$1.$2.log" 2>&1 <<'SQL'
SET client_min_messages = warning;
INSERT INTO capa.source (code, label) VALUES ('pentest', 'Penetration test');
CREATE TABLE public.controls (code text PRIMARY KEY);
INSERT INTO public.controls VALUES ('A.5.24'), ('A.8.13'), ('A.8.15');
-- the application's findings table, with an intake (one failed row: a
-- source capa does not know)
CREATE TABLE public.findings (id int PRIMARY KEY, summary text, details text, severity int, unit text, src text);
GRANT INSERT ON public.findings TO capa_mu_app;
SELECT capa.capa_intake('public.findings', 'severity >= 3',
    '{"title": "summary", "description": "details",
      "severity": {"column": "severity", "map": {"3": "minor", "4": "major", "5": "critical"}},
      "source": {"column": "src", "default": "internal_audit"}, "owner": {"const": "isms_team"},
      "org_unit": "unit"}');
DO $$
DECLARE
    r capa.capa_ref;
    a bigint;
    i int;
BEGIN
    -- corrective records in every state: open, contained, analysed, planned,
    -- implemented, verified, closed, closed without action, cancelled; two
    -- units and none
    FOR i IN 1..9 LOOP
        r := capa.capa_open('Corrective ' || i, 'd', 'major', CASE WHEN i % 2 = 0 THEN 'pentest' ELSE 'incident' END,
                            owner => 'owner_' || i, org_unit => (ARRAY['north', 'south', NULL])[i % 3 + 1]);
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
        a := capa.capa_add_action(r, 'fix', 'ops_' || i, current_date - 7 + i);
        PERFORM capa.capa_plan(r);
        CONTINUE WHEN i = 4;
        PERFORM capa.capa_complete_action(a, 'done');
        PERFORM capa.capa_implement(r);
        CONTINUE WHEN i = 5;
        PERFORM capa.capa_verify(r, true, 'works');
        CONTINUE WHEN i = 6;
        PERFORM capa.capa_close(r, 'procedure v2');
    END LOOP;
    -- preventive, through an ineffective verification
    r := capa.capa_open('Preventive 1', 'd', 'minor', 'risk_assessment', kind => 'preventive', owner => 'owner_p');
    PERFORM capa.capa_analyse(r, 'cause', '5whys');
    a := capa.capa_add_action(r, 'harden', 'ops_p', current_date - 3);
    PERFORM capa.capa_plan(r);
    PERFORM capa.capa_complete_action(a, 'hardened');
    PERFORM capa.capa_implement(r);
    PERFORM capa.capa_verify(r, false, 'came back');
    PERFORM capa.capa_add_action(r, 'harden again', 'ops_p', current_date + 30);
    -- improvement: closed, reopened, planned again
    r := capa.capa_open('Improvement 1', 'd', 'observation', 'management_review', kind => 'improvement',
                        owner => 'owner_i', org_unit => 'north');
    a := capa.capa_add_action(r, 'automate', 'ops_i', current_date + 10);
    PERFORM capa.capa_plan(r);
    PERFORM capa.capa_complete_action(a, 'automated');
    PERFORM capa.capa_implement(r);
    PERFORM capa.capa_verify(r, true, 'faster');
    PERFORM capa.capa_close(r, 'standard now');
    PERFORM capa.capa_reopen(r, 'regressed');
    PERFORM capa.capa_add_action(r, 'automate again', 'ops_i', current_date + 20);
    PERFORM capa.capa_plan(r);
END $$;
-- links, one of them ended
SELECT capa.capa_link(id, 'public.controls', 'A.8.13') FROM capa.register WHERE title IN ('Corrective 7', 'Corrective 5');
SELECT capa.capa_link(id, 'public.controls', 'A.5.24') FROM capa.register WHERE title = 'Corrective 7';
SELECT capa.capa_unlink(id, 'public.controls', 'A.5.24') FROM capa.register WHERE title = 'Corrective 7';
-- the application's rows: two open records, one is ignored, one fails
SET ROLE capa_mu_app;
INSERT INTO public.findings VALUES (1, 'Weak TLS', 'd', 4, 'north', NULL), (2, 'Typo', 'd', 1, NULL, NULL),
                                  (3, 'Open share', 'd', 5, 'south', NULL), (4, 'Unknown source', 'd', 3, NULL, 'no_such_source');
RESET ROLE;
-- escalations: what is overdue now (Corrective 4's action item, due 3 days ago)
SELECT count(*) FROM capa.capa_escalate();
-- row-level security by org unit, a role granted one unit
INSERT INTO capa.org_unit_access (role_name, org_unit) VALUES ('capa_mu_north', 'north');
GRANT capa_reader TO capa_mu_north;
SELECT capa.capa_rls_enable();
SQL
}

# What must come back: every row of every capa table and of the user
# tables (as text, in a stable order; the lookup and policy tables' builtin
# rows are CREATE EXTENSION's, stamped when a restore runs it), the KPI
# views (as_of left out), and what a role limited to a unit sees.  Built
# from the 15 catalogs.
fingerprint() {  # fingerprint CLUSTER DB
    local sql
    sql=$(q "$1" "$2" -c "SELECT string_agg(format('SELECT %L || row(x.*)::text AS x FROM %s x%s', c.oid::regclass::text || ' ', c.oid::regclass,
                                                  CASE WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'builtin')
                                                       THEN ' WHERE NOT x.builtin' ELSE '' END), ' UNION ALL ')
                           FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace IN ('capa'::regnamespace, 'public'::regnamespace)")
    q "$1" "$2" -c "SELECT md5(string_agg(x, '|' ORDER BY x)) FROM ($sql) t"
}
kpis() {
    local sql
    sql=$(q "$1" "$2" -c "SELECT string_agg(format('SELECT %L || (to_jsonb(x) - ''as_of'')::text AS x FROM capa.%I x', relname || ' ', relname), ' UNION ALL ')
                           FROM pg_class WHERE relnamespace = 'capa'::regnamespace AND relkind = 'v' AND relname LIKE 'kpi\_%'")
    q "$1" "$2" -c "SELECT md5(string_agg(x, '|' ORDER BY x)) FROM ($sql) t"
}
north="SET ROLE capa_mu_north; SELECT count(*) || ' ' || string_agg(DISTINCT coalesce(org_unit, '-'), ',' ORDER BY coalesce(org_unit, '-')) FROM capa.register"
declare -A before_rows before_kpis before_north

# --- 15: two clusters, two databases each, filled --------------------------------
target=$(sed -n "s/^default_version = '\(.*\)'/\1/p" capa.control)
for c in old deb; do
    { initcluster $c "$([ $c = old ] && echo "$old_bin" || echo "$deb_bin")" && start $c; } ||
        bail failed "a 15 cluster ($c)" "$(tail -5 "$work/$c.initdb.log" "$work/$c.log" 2>/dev/null)"
    version=$(q $c postgres -c "SELECT version()" | cut -d' ' -f1-2)
    q $c postgres -c "CREATE ROLE capa_mu_north LOGIN" -c "CREATE ROLE capa_mu_app LOGIN" \
        -c "CREATE DATABASE capa_mu_old" -c "CREATE DATABASE capa_mu_cur" >/dev/null || bail failed "roles and databases on $version"
    ok "$(q $c capa_mu_old -c "SET client_min_messages = warning; CREATE EXTENSION capa VERSION '0.2.0'; SELECT extversion FROM pg_extension WHERE extname = 'capa'") $(q $c capa_mu_cur -c "SET client_min_messages = warning; CREATE EXTENSION capa; SELECT extversion FROM pg_extension WHERE extname = 'capa'" -f test/policy_0_2.sql)" \
       "0.2.0 $target" "on $version: capa 0.2.0 in capa_mu_old, this version in capa_mu_cur"
    for db in capa_mu_old capa_mu_cur; do
        fill $c "$db"
        ok "$?" 0 "on $version: $db filled through the API (every state, items, links, an intake, escalations, row-level security)" \
           "$(grep -E 'ERROR|FATAL' "$work/fill.$c.$db.log")"
        q $c "$db" -c "SELECT capa.capa_review_snapshot('Review on 15')" >/dev/null
        q $c "$db" -c "SELECT capa.capa_digest()" > "$work/digest1.$c.$db"
        # steps after the first digest, then the second
        q $c "$db" -c "SELECT capa.capa_contain(id, 'contained later', 'none') FROM capa.register WHERE title = 'Corrective 1';
                       SELECT capa.capa_complete_action(a.id, 'done later') FROM capa.action a
                         JOIN capa.register r ON r.id OPERATOR(capa.=) a.capa_id WHERE r.title = 'Corrective 4'" >/dev/null
        q $c "$db" -c "SELECT capa.capa_digest()" > "$work/digest2.$c.$db"
        before_rows[$c.$db]=$(fingerprint $c "$db")
        before_kpis[$c.$db]=$(kpis $c "$db")
        before_north[$c.$db]=$(q $c "$db" -c "$north")
    done
    ok "$(q $c capa_mu_cur -c "SELECT string_agg(DISTINCT kind || ':' || state::text, ',' ORDER BY kind || ':' || state::text) FROM capa.register")" \
       "corrective:analysed,corrective:cancelled,corrective:closed,corrective:contained,corrective:implemented,corrective:open,corrective:planned,corrective:verified,improvement:planned,preventive:planned" \
       "on $version: records of every kind, in every state"
    ok "$(q $c capa_mu_cur -c "SELECT (SELECT count(*) FROM capa.link l JOIN capa.intake i ON i.source = l.target) || ' ' || (SELECT count(*) FROM capa.intake_failure) || ' ' || (SELECT count(*) > 0 FROM capa.escalation) || ' ' || (SELECT count(*) >= 2 FROM capa.digest)")" \
       "2 1 true true" "on $version: the intake opened two records and logged one failure, escalations were recorded, digests issued"
    ok "${before_north[$c.capa_mu_cur]#* }" "-,north" "on $version: a role granted the unit north sees north's records and those without a unit"
    stop $c
done

# The checks on an 18 cluster: rows, KPIs, digests, units, and the lifecycle
check() {  # check CLUSTER DB FROM WHEN: FROM the 15 cluster it came from
    local c=$1 db=$2 from=$3 when=$4 d
    ok "$(fingerprint "$c" "$db")" "${before_rows[$from.$db]}" "$when, $db: every row of every capa table and of the user tables is back"
    ok "$(kpis "$c" "$db")" "${before_kpis[$from.$db]}" "$when, $db: the KPI views give what they gave on $old_major"
    ok "$(q "$c" "$db" -c "SELECT count(*) FROM capa.capa_audit_verify()")" 0 "$when, $db: capa_audit_verify() finds nothing"
    for d in 1 2; do
        ok "$(q "$c" "$db" -c "SELECT count(*) FROM capa.capa_audit_verify(digest => '$(cat "$work/digest$d.$from.$db")')")" 0 \
           "$when, $db: and nothing against digest $d issued on $old_major"
    done
    ok "$(q "$c" "$db" -c "$north")" "${before_north[$from.$db]}" "$when, $db: the role granted north sees what it saw"
    ok "$(q "$c" "$db" -c "SELECT count(*) FROM capa.broken_link")" 0 "$when, $db: no link is broken"
    # the lifecycle goes on
    ok "$(q "$c" "$db" -c "SELECT capa.capa_analyse(id, 'cause', '5whys', 'extent') FROM capa.register WHERE title = 'Corrective 2';
                          SELECT capa.capa_close(id, 'after the upgrade') FROM capa.register WHERE title = 'Corrective 6'" 2>&1 | tr '\n' ' ')" \
       "analysed closed " "$when, $db: records take their next steps"
    ok "$(sqlstate "$c" "$db" "SELECT capa.capa_contain(id, 'again', 'none') FROM capa.register WHERE title = 'Corrective 5'")" "ERROR:  55000" \
       "$when, $db: a step the lifecycle does not allow is still refused (55000)"
    ok "$(q "$c" "$db" -c "SELECT capa.capa_open('After the upgrade', 'd', 'minor', 'pentest', owner => 'owner_n')::text ~ '^CAPA-'")" t \
       "$when, $db: a new record is opened"
    ok "$(q "$c" "$db" -U capa_mu_app -c "INSERT INTO public.findings VALUES (5, 'Found after the upgrade', 'd', 5, NULL, NULL)" 2>&1;
          q "$c" "$db" -c "SELECT count(*) FROM capa.register r JOIN capa.link l ON l.capa_id OPERATOR(capa.=) r.id WHERE l.target = 'public.findings'::regclass AND l.key = '5'")" \
       1 "$when, $db: the intake opens and links a record for a new row"
    ok "$(q "$c" "$db" -c "SELECT capa.capa_add_action(id, 'late fix', 'ops_late', current_date - 2) > 0 FROM capa.register WHERE title = 'Corrective 3'";
          q "$c" "$db" -c "SELECT string_agg(a.description, ',') FROM capa.capa_escalate() e JOIN capa.action a ON a.id = e.action_id")" \
       "t
late fix" "$when, $db: capa_escalate() escalates an action item overdue since, and only that"
    ok "$(q "$c" "$db" -c "SELECT count(*) FROM capa.capa_audit_verify()")" 0 "$when, $db: the trail still verifies after the new steps"
}

# --- a. pg_upgrade from 15.18 ------------------------------------------------------
initcluster new "$new_bin" || bail failed "a $new_major cluster" "$(tail -5 "$work/new.initdb.log")"
upgrade old new "$work/pg_upgrade.log"
ok "$?" 0 "pg_upgrade from $("$OLD_PG_CONFIG" --version) to $("$NEW_PG_CONFIG" --version)" \
   "$(tail -20 "$work/pg_upgrade.log"; cat "$work"/new.data/pg_upgrade_output.d/*/log/*.txt 2>/dev/null | tail -20)"
start new || bail failed "the upgraded cluster starts" "$(tail -5 "$work/new.log")"
ok "$(q new capa_mu_old -c "SELECT extversion FROM pg_extension WHERE extname = 'capa'") $(q new capa_mu_old -c "SHOW server_version_num" | cut -c1-2)" \
   "0.2.0 $new_major" "after pg_upgrade: capa_mu_old is at 0.2.0 on $new_major"
for db in capa_mu_cur capa_mu_old; do
    check new "$db" old "after pg_upgrade"
done
ok "$(q new capa_mu_old -c "SET client_min_messages = warning; ALTER EXTENSION capa UPDATE; SELECT extversion FROM pg_extension WHERE extname = 'capa'" 2>&1)" \
   "$target" "after pg_upgrade: ALTER EXTENSION capa UPDATE takes capa_mu_old from 0.2.0 to $target"
ok "$(q new capa_mu_old -c "SELECT count(*) FROM capa.capa_audit_verify(digest => '$(cat "$work/digest2.old.capa_mu_old")')") $(q new capa_mu_old -c "SELECT capa.capa_contain(id, 'contained', 'none') FROM capa.register WHERE title = 'After the upgrade'")" \
   "0 contained" "after the update: the trail verifies against the last digest from $old_major, and records go on"
stop new

# what pg_upgrade from Debian's 15 does (a note, not a test: see the header)
initcluster debnew "$new_bin" >/dev/null 2>&1 && upgrade deb debnew "$work/pg_upgrade.deb.log" &&
    echo "# note: pg_upgrade from $("$DEB_PG_CONFIG" --version) to $new_major succeeded" ||
    echo "# note: pg_upgrade from $("$DEB_PG_CONFIG" --version) to $new_major fails: $(grep -h -m1 'error: could not execute query' "$work"/debnew.data/pg_upgrade_output.d/*/log/*.log 2>/dev/null | sed 's/.*ERROR: *//')"
rm -rf "$work/debnew.data"

# --- b. pg_dump on Debian's 15, restored into a new 18 cluster -----------------------
start deb || bail failed "the Debian 15 cluster starts again" "$(tail -5 "$work/deb.log")"
"$deb_bin/pg_dumpall" -h 127.0.0.1 -p "${port[deb]}" -U postgres --globals-only >"$work/globals.sql" 2>"$work/dump.log" &&
"$deb_bin/pg_dump" -h 127.0.0.1 -p "${port[deb]}" -U postgres -Fc -f "$work/capa_mu_cur.dump" capa_mu_cur 2>>"$work/dump.log"
ok "$?" 0 "$("$DEB_PG_CONFIG" --version)'s pg_dumpall --globals-only and pg_dump -Fc of capa_mu_cur" "$(cat "$work/dump.log")"
stop deb
{ initcluster restored "$new_bin" && start restored; } || bail failed "a second $new_major cluster" "$(tail -5 "$work/restored.log")"
# the roles (every statement: the one for postgres fails, it exists), then the database
timeout "$WAIT" "$new_bin/psql" -Xq -p "${port[restored]}" -d postgres -f "$work/globals.sql" >/dev/null 2>"$work/globals.log"
q restored postgres -c "CREATE DATABASE capa_mu_cur" >/dev/null &&
"$new_bin/pg_restore" -h 127.0.0.1 -p "${port[restored]}" -U postgres -d capa_mu_cur --exit-on-error "$work/capa_mu_cur.dump" 2>"$work/restore.log"
ok "$? $(grep ERROR "$work/globals.log" | grep -vc 'role "postgres" already exists')" "0 0" \
   "the roles and capa_mu_cur restored into $new_major with its psql and pg_restore" "$(cat "$work/globals.log" "$work/restore.log")"
# pg_dump does not keep an extension's tables' row-level-security flag: the
# docs/operations.md's step after a restore
ok "$(q restored capa_mu_cur -c "SELECT capa.capa_rls_enable()" 2>&1)" "" "after the restore: capa_rls_enable() again, as docs/operations.md says"
check restored capa_mu_cur deb "after dump and restore"

echo "1..$n"
exit $fail
