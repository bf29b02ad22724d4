#!/bin/bash
# The whole suite against capa installed into a private copy of a
# PostgreSQL installation (so the system's capa is left alone), on a
# server started from that copy; fails on any test failure and on any
# sanitizer report, assertion failure, backend killed by a signal or
# leak warning in the server logs (its own and those of the clusters the
# suite's scripts make, test/lib.sh keep_logs).
#
#   make sanitize         capa built with UBSan (CAPA_SANITIZERS), on 15
#   make check-private    capa built plainly (CAPA_SANITIZERS=none), on 15
#   make test-assert      on PostgreSQL built with --enable-cassert
#                         (test/assert.sh: PG_CONFIG, CAPA_RUN_CRASH=1)
#   make sanitize-server  on PostgreSQL built with -fsanitize=address,undefined
#                         (test/assert.sh, asan)
#
# Why a copy: PostgreSQL finds its share and lib directories relative to
# its binary, so a copied tree with capa installed into it (make install
# DESTDIR=...) is a separate installation.  When capa alone is built with
# a sanitizer its runtime must come first in the server, hence LD_PRELOAD;
# a server built with the sanitizers links it itself.  Leak checking is
# off: PostgreSQL frees memory by resetting contexts and exits without
# freeing, which LeakSanitizer would report as leaks that are not capa's.
#
# Settings: PG_CONFIG (the installation, default the system's 15),
# CAPA_SANITIZERS (capa's extra flags, "none" for none), CAPA_RUN_CRASH=1
# (also test/crash.sh, which make sanitize leaves out), CAPA_SKIP_CRON.
set -u
cd "$(dirname "$0")/.."
. test/lib.sh    # PG_CONFIG, copy_installation, build_capa, free_port
bindir=$("$PG_CONFIG" --bindir)
libasan=$(gcc -print-file-name=libasan.so)

root=$(mktemp -d /tmp/capa-sanitize.XXXXXX)
chmod 755 "$root"
cleanup() {
    [ -f "$root/data/postmaster.pid" ] &&
        su postgres -c "'$root$bindir/pg_ctl' -D '$root/data' -m immediate stop" >/dev/null 2>&1
    rm -rf "$root"
}
trap cleanup EXIT

# 1. a private copy of the installation; 2. capa built (with the
# sanitizers) and installed into the copy only
san=${CAPA_SANITIZERS:-"-fsanitize=undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"}
# CAPA_SANITIZERS=none: a plain build, for testing a working copy without
# touching the system's capa (make check-private)
[ "$san" = none ] && san=""
private=$(copy_installation "$PG_CONFIG" "$root") &&
build_capa "$PG_CONFIG" "$root/build" "$root" \
    PG_CFLAGS="-Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers $san" \
    SHLIB_LINK="-lcrypto $san" || { echo "0 passed, 1 failed"; exit 1; }
pkglibdir=$("$private" --pkglibdir)
[ -z "$san" ] || ldd "$pkglibdir/capa.so" | grep -qE "libubsan|libasan" ||
    { echo "capa.so is not sanitized"; exit 1; }
preload=""
ldd "$pkglibdir/capa.so" | grep -q libasan && ! ldd "$root$bindir/postgres" | grep -q libasan && preload="$libasan"

# 3. a server from the copy, sanitizer runtime preloaded
mkdir "$root/logs"
chown -R postgres "$root"
su postgres -c "'$root$bindir/initdb' -D '$root/data' -A trust -E UTF8 --locale=C.UTF-8" >/dev/null || exit 1
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$root/asan:verify_asan_link_order=0"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$root/ubsan"
# a port another run's server takes between free_port and the bind: another
# port (the machine runs several suites at once)
for attempt in 1 2 3 4 5; do
    port=$(free_port) || exit 1
    su postgres -c "LD_PRELOAD='$preload' ASAN_OPTIONS='$ASAN_OPTIONS' UBSAN_OPTIONS='$UBSAN_OPTIONS' \
        '$root$bindir/pg_ctl' -D '$root/data' -l '$root/server.log' -w \
        -o '-p $port -k $root -c listen_addresses=127.0.0.1 -c max_prepared_transactions=10 -c fsync=off' start" >/dev/null &&
        break
    if [ "$attempt" -eq 5 ] || ! tail -n 5 "$root/server.log" | grep -q "Address already in use"; then
        cat "$root/server.log"
        exit 1
    fi
done

# 4. the whole suite against it (run.sh's inner part, as in pg_virtualenv),
# with the copy's client programs (pg_dump must be the server's major)
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres PATH="$root$bindir:$PATH"
# test/replica.sh, escalation_cron.sh and crash.sh make clusters of their
# own: from the copy, with the same preload; their logs kept for step 5
export CAPA_PRIVATE_PG_CONFIG="$private" CAPA_LD_PRELOAD="$preload" CAPA_LOG_DIR="$root/logs"
CAPA_IN_VIRTUALENV=1 CAPA_SANITIZE=$([ "${CAPA_RUN_CRASH:-}" = 1 ] && echo 0 || echo 1) ./test/run.sh
status=$?

# 5. any sanitizer report, assertion failure, backend killed by a signal
# or leak warning in a server log fails the run
logs=("$root/server.log" "$root"/logs/*)
# (each kind found counts as one more failure in the summary line)
passed=0 failed=1
if [ -s test/summary.txt ]; then
    read -r passed _ failed _ < test/summary.txt
fi
reports=$(cat "$root"/asan* "$root"/ubsan* 2>/dev/null; grep -hE "AddressSanitizer|runtime error:" "${logs[@]}" 2>/dev/null)
if [ -n "$reports" ]; then
    echo "$reports" | head -60
    echo "not ok - sanitizer reports found"
    status=1 failed=$((failed + 1))
fi
health=$(grep -HE 'TRAP:|terminated by signal|terminated by exception|WARNING: +.*(leak|not closed|still referenced|still active)' "${logs[@]}" 2>/dev/null)
if [ -n "$health" ]; then
    echo "$health" | sed "s|^$root/||" | head -40
    echo "not ok - assertion failures, backends killed by a signal or leak warnings in the server logs"
    status=1 failed=$((failed + 1))
fi
echo "$passed passed, $failed failed" | tee test/summary.txt
exit "$status"
