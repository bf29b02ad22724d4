#!/bin/bash
# Median latency of SELECT * FROM capa.kpi_summary, of capa.kpi_monthly, and
# of the same summary figures computed by a plain aggregate over the
# register (bench/kpi_plain.sql), each run RUNS times by one pgbench client
# against the database libpq's environment names; prints a table with the
# ratios.  Used by bench/import.sh after loading a million records.
set -eu
cd "$(dirname "$0")/.."
RUNS=${KPI_RUNS:-51}
PLAIN_RUNS=${KPI_PLAIN_RUNS:-11}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 777 "$dir"

# median latency in ms of one script, from pgbench's per-transaction log
median_ms() {
    local script=$1 runs=$2
    (cd "$dir" && rm -f lat.* &&
     pgbench -n -c 1 -t "$runs" -f "$OLDPWD/$script" -l --log-prefix=lat >/dev/null 2>&1)
    cat "$dir"/lat.* | awk '{print $3}' | sort -n |
        awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f", m / 1000}'
}

psql -qX -c "VACUUM ANALYZE capa.register, capa.kpi_rollup, capa.kpi_close_days, capa.action" >/dev/null
records=$(psql -qXAt -c "SELECT count(*) FROM capa.register")
rollup=$(psql -qXAt -c "SELECT count(*) FROM capa.kpi_rollup")
summary=$(median_ms bench/kpi_summary.sql "$RUNS")
monthly=$(median_ms bench/kpi_monthly.sql "$RUNS")
plain=$(median_ms bench/kpi_plain.sql "$PLAIN_RUNS")
echo
echo "KPI reads on $records records ($rollup rollup rows), median of $RUNS runs ($PLAIN_RUNS for the plain aggregate):"
printf '%-34s %12s %14s\n' query "median (ms)" "plain / this"
printf '%-34s %12s %14s\n' "SELECT * FROM capa.kpi_summary" "$summary" "$(awk -v p="$plain" -v s="$summary" 'BEGIN {printf "%.0fx", p / s}')"
printf '%-34s %12s %14s\n' "SELECT * FROM capa.kpi_monthly" "$monthly" "$(awk -v p="$plain" -v s="$monthly" 'BEGIN {printf "%.0fx", p / s}')"
printf '%-34s %12s %14s\n' "plain aggregate (kpi_plain.sql)" "$plain" "1x"
