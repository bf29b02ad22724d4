#!/bin/bash
# A short run of capa under valgrind memcheck: a throwaway server started
# under valgrind (backends are forked, so every one is checked), the demo's
# whole lifecycle, a verification and a digest, then every valgrind error
# whose stack passes through capa.so fails the run.  Errors from PostgreSQL
# itself (it is not built for valgrind here, so it reports uninitialised
# padding written to WAL and the like) are counted but do not fail.
#
#   make valgrind      (or ./test/valgrind.sh as root; takes a few minutes)
set -u
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
bindir=$($PG_CONFIG --bindir)
work=$(mktemp -d /tmp/capa-valgrind.XXXXXX)
chmod 755 "$work"
chown postgres "$work"
cleanup() {
    su postgres -c "'$bindir/pg_ctl' -D '$work/data' -m immediate stop" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

# a free loopback port: nothing answers on it
port=$((20000 + RANDOM % 40000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((20000 + RANDOM % 40000)); done
su postgres -c "'$bindir/initdb' -D '$work/data' -A trust -E UTF8 --locale=C.UTF-8" >/dev/null || exit 1
su postgres -c "valgrind --quiet --trace-children=yes --track-origins=yes --num-callers=30 \
    --log-file='$work/vg.%p.log' '$bindir/postgres' -D '$work/data' -p $port -k '$work' \
    -c listen_addresses=127.0.0.1 -c fsync=off -c jit=off >'$work/server.log' 2>&1 &"
for _ in $(seq 1 120); do
    pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 1
done
pg_isready -q -h 127.0.0.1 -p "$port" || { echo "server did not start"; cat "$work/server.log"; exit 1; }

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
status=0
psql -X -q -v ON_ERROR_STOP=1 -f demo/demo.sql >/dev/null 2>"$work/demo.err" || { cat "$work/demo.err"; status=1; }
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || status=1
SELECT count(*) FROM capa.capa_audit_verify();
SELECT capa.capa_digest();
SELECT count(*) FROM capa.capa_audit_verify(digest => (SELECT digest FROM capa.digest ORDER BY id DESC LIMIT 1));
SELECT length(capa.capa_audit_bytes(seq)) FROM capa.audit;
SQL
su postgres -c "'$bindir/pg_ctl' -D '$work/data' -m fast -w -t 300 stop" >/dev/null 2>&1
sleep 2

# one block per error: "==pid== <message>" up to the blank "==pid== " line
capa_errors=$(cat "$work"/vg.*.log | awk '
    /^==[0-9]+== [A-Z]/ && !inblock { inblock = 1; block = $0 "\n"; next }
    inblock && /^==[0-9]+== *$/ { if (block ~ /capa\.so/) { print block; n++ } inblock = 0; next }
    inblock { block = block $0 "\n" }
    END { exit 0 }')
all_errors=$(grep -cE "^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination)" "$work"/vg.*.log | awk -F: '{s += $2} END {print s + 0}')
if [ -n "$capa_errors" ]; then
    echo "$capa_errors" | head -80
    echo "valgrind: errors in capa.so"
    status=1
fi
echo "valgrind: $(ls "$work"/vg.*.log | wc -l) processes checked, $all_errors errors in all, $(echo -n "$capa_errors" | grep -c 'capa\.so' ) stack lines through capa.so"
exit "$status"
