#!/bin/bash
# make bench: capa against the unchecked floor (bench/floor_lifecycle.pgbench)
# and the hand-written PL/pgSQL peer (bench/peer_plpgsql.sql,
# bench/peer_lifecycle.pgbench), on a throwaway cluster, alternating in rounds;
# prints median throughput and the ratios.  Absolute figures vary from
# machine to machine; the ratios are the result.
# Then one transition by plain UPDATE through capa's trigger against the
# floor's UPDATE plus its audit INSERT, TRANSITIONS per client per round.
#   ROUNDS (default 5), RUN_SECONDS per run (default 10), CLIENTS (default 4),
#   TRANSITIONS (default 5000).  Last, the lifecycle with 1, 2, 4, 8 clients.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
# (not SECONDS: bash sets that itself, to the seconds since the shell started)
SECONDS_PER_RUN=${RUN_SECONDS:-10}
CLIENTS=${CLIENTS:-4}
TRANSITIONS=${TRANSITIONS:-5000}

if [ "${CAPA_IN_VIRTUALENV:-}" != 1 ]; then
    exec env CAPA_IN_VIRTUALENV=1 ROUNDS="$ROUNDS" RUN_SECONDS="$SECONDS_PER_RUN" CLIENTS="$CLIENTS" TRANSITIONS="$TRANSITIONS" \
        pg_virtualenv -t -v 15 -o synchronous_commit=off -o shared_buffers=512MB "$0" "$@"
fi

psql -qX -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "CREATE EXTENSION capa" -f test/policy_0_2.sql \
     -f bench/peer_plpgsql.sql >/dev/null

# pgbench with these options; prints its throughput (tps) only
tps() { pgbench -n "$@" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }

declare -A scripts=(
    [capa]=bench/capa_lifecycle.pgbench
    [floor]=bench/floor_lifecycle.pgbench
    [peer]=bench/peer_lifecycle.pgbench
)
order=(capa floor peer)
declare -A results
for ((r = 1; r <= ROUNDS; r++)); do
    for name in "${order[@]}"; do
        tps=$(tps -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" -f "${scripts[$name]}")
        results[$name]="${results[$name]:-} $tps"
        echo "round $r: $name $tps tps" >&2
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo
echo "whole corrective lifecycle, one transaction each; $CLIENTS clients, synchronous_commit = off,"
echo "$ROUNDS alternating rounds of ${SECONDS_PER_RUN} s, medians:"
printf '%-8s %12s %14s %14s\n' script "tps (median)" "vs floor" "vs peer"
m_floor=$(echo "${results[floor]}" | median)
m_peer=$(echo "${results[peer]}" | median)
for name in "${order[@]}"; do
    m=$(echo "${results[$name]}" | median)
    awk -v n="$name" -v m="$m" -v f="$m_floor" -v p="$m_peer" \
        'BEGIN { printf "%-8s %12.0f %13.2fx %13.2fx\n", n, m, m / f, m / p }'
done

# single transitions: a pool of open records for each side, taken in turn
pool=$((ROUNDS * CLIENTS * TRANSITIONS))
psql -qX -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE TABLE bench_pool (n bigint PRIMARY KEY, id capa.capa_ref NOT NULL);
CREATE SEQUENCE bench_pool_seq;
INSERT INTO capa.register (title, description, severity, source, owner)
SELECT 'Backups failed', 'Nightly ERP backup job failed three nights', 'major', 'internal_audit', 'bench_owner'
  FROM generate_series(1, $pool);
INSERT INTO bench_pool SELECT row_number() OVER (ORDER BY id), id FROM capa.register WHERE state::text = 'open';
CREATE SEQUENCE bare_pool_seq;
SELECT setval('bare_pool_seq', (SELECT coalesce(max(id), 0) + 1 FROM peer.bare_capa), false);
INSERT INTO peer.bare_capa (title, description, severity, source, close_due)
SELECT 'Backups failed', 'Nightly ERP backup job failed three nights', 'major', 'internal_audit', current_date + 30
  FROM generate_series(1, $pool);
VACUUM ANALYZE;
SQL
declare -A ttps
for ((r = 1; r <= ROUNDS; r++)); do
    for name in capa floor; do
        tps=$(tps -c "$CLIENTS" -j 2 -t "$TRANSITIONS" -f "bench/${name}_transition.pgbench")
        ttps[$name]="${ttps[$name]:-} $tps"
        echo "round $r: $name transition $tps tps" >&2
    done
done
t_capa=$(echo "${ttps[capa]}" | median)
t_floor=$(echo "${ttps[floor]}" | median)
echo
echo "one transition (open -> contained) per transaction, $CLIENTS clients, $TRANSITIONS each, medians:"
awk -v c="$t_capa" -v f="$t_floor" 'BEGIN {
    printf "capa  %8.0f tps (plain UPDATE through the trigger, audit row chained)\n", c
    printf "floor %8.0f tps (UPDATE plus its audit INSERT)\n", f
    printf "time per transition, capa / floor: %.2fx (budget 1.25x)\n", f / c }'

# scaling: the whole lifecycle with 1, 2, 4 and 8 clients (each its own
# records: throughput that grows with clients shows no global hot row)
echo
echo "scaling, whole lifecycle through capa, ${SECONDS_PER_RUN} s each:"
printf '%-8s %12s %12s\n' clients tps "vs 1 client"
one=""
for c in 1 2 4 8; do
    tps=$(tps -c "$c" -j "$(( c < 2 ? 1 : 2 ))" -T "$SECONDS_PER_RUN" -f bench/capa_lifecycle.pgbench)
    [ -z "$one" ] && one=$tps
    awk -v c="$c" -v t="$tps" -v o="$one" 'BEGIN { printf "%-8s %12.0f %11.2fx\n", c, t, t / o }'
done
