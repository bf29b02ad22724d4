#!/bin/bash
# capa under AddressSanitizer and UndefinedBehaviorSanitizer: builds the
# extension with -fsanitize=address,undefined into a private copy of the
# PostgreSQL 15 installation (so the system's capa is left alone), starts a
# server from that copy with the sanitizer runtime preloaded, runs the whole
# test suite (regress, isolation, pgTAP, dump/restore) against it, and fails
# on any test failure or any sanitizer report in the server's output.
#
#   make sanitize            (or ./test/sanitize.sh as root)
#
# Why a copy: PostgreSQL finds its share and lib directories relative to
# its binary, so a copied tree with the sanitized capa.so installed into it
# (make install DESTDIR=...) is a separate installation.  The server itself
# is not instrumented; capa.so is, and libasan must come first in the
# process, hence LD_PRELOAD.  Leak checking is off: PostgreSQL frees memory
# by resetting contexts and exits without freeing, which LeakSanitizer
# would report as leaks that are not capa's.
set -u
cd "$(dirname "$0")/.."
repo=$(pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
bindir=$($PG_CONFIG --bindir)
pkglibdir=$($PG_CONFIG --pkglibdir)
sharedir=$($PG_CONFIG --sharedir)
libasan=$(gcc -print-file-name=libasan.so)

root=$(mktemp -d /tmp/capa-sanitize.XXXXXX)
chmod 755 "$root"
cleanup() {
    [ -f "$root/data/postmaster.pid" ] &&
        su postgres -c "'$root$bindir/pg_ctl' -D '$root/data' -m immediate stop" >/dev/null 2>&1
    rm -rf "$root"
}
trap cleanup EXIT

# 1. a private copy of the installation
mkdir -p "$root$(dirname "$bindir")" "$root$(dirname "$sharedir")"
cp -a "$(dirname "$bindir")/." "$root$(dirname "$bindir")/"
cp -a "$sharedir" "$root$(dirname "$sharedir")/"

# 2. capa built with the sanitizers, installed into the copy only
mkdir "$root/build"
cp -a Makefile capa.control src sql "$root/build/"
mkdir "$root/build/fuzz" && cp fuzz/fuzz.mk "$root/build/fuzz/"   # the Makefile includes it
rm -f "$root"/build/src/*.o "$root"/build/src/*.bc "$root"/build/*.so
san=${CAPA_SANITIZERS:-"-fsanitize=undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"}
# CAPA_SANITIZERS=none: a plain build, for testing a working copy without
# touching the system's capa (make check-private)
[ "$san" = none ] && san=""
make -s -C "$root/build" PG_CONFIG="$PG_CONFIG" PG_CFLAGS="-Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers $san" \
     SHLIB_LINK="-lcrypto $san" all >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
make -s -C "$root/build" PG_CONFIG="$PG_CONFIG" DESTDIR="$root" install >/dev/null ||
    { echo "0 passed, 1 failed"; exit 1; }
[ -z "$san" ] || ldd "$root$pkglibdir/capa.so" | grep -qE "libubsan|libasan" ||
    { echo "capa.so is not sanitized"; exit 1; }
preload=""
ldd "$root$pkglibdir/capa.so" | grep -q libasan && preload="$libasan"

# 3. a server from the copy, sanitizer runtime preloaded
# a free loopback port: nothing answers on it
port=$((20000 + RANDOM % 40000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((20000 + RANDOM % 40000)); done
chown -R postgres "$root"
su postgres -c "'$root$bindir/initdb' -D '$root/data' -A trust -E UTF8 --locale=C.UTF-8" >/dev/null || exit 1
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$root/asan:verify_asan_link_order=0"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$root/ubsan"
su postgres -c "LD_PRELOAD='$preload' ASAN_OPTIONS='$ASAN_OPTIONS' UBSAN_OPTIONS='$UBSAN_OPTIONS' \
    '$root$bindir/pg_ctl' -D '$root/data' -l '$root/server.log' -w \
    -o '-p $port -k $root -c listen_addresses=127.0.0.1 -c max_prepared_transactions=10 -c fsync=off' start" >/dev/null ||
    { cat "$root/server.log"; exit 1; }

# 4. the whole suite against it (run.sh's inner part, as in pg_virtualenv)
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
# test/replica.sh and test/escalation_cron.sh build clusters of their own:
# from the copy, with the same preload
export CAPA_PRIVATE_PG_CONFIG="$root$bindir/pg_config" CAPA_LD_PRELOAD="$preload"
CAPA_IN_VIRTUALENV=1 CAPA_SANITIZE=1 ./test/run.sh
status=$?

# 5. any sanitizer report fails the run
reports=$(cat "$root"/asan* "$root"/ubsan* 2>/dev/null; grep -E "AddressSanitizer|runtime error:" "$root/server.log")
if [ -n "$reports" ]; then
    echo "$reports" | head -60
    echo "sanitizer reports found"
    status=1
fi
[ -s test/summary.txt ] && cat test/summary.txt
exit "$status"
