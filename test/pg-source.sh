#!/bin/bash
# PostgreSQL built from the upstream source tarball (Debian's copy of it in
# the archive's pool), for the runs that need a server Debian does not
# ship: assertions on (make test-assert), AddressSanitizer and UBSan in
# the server itself (make sanitize-server).  Built once and cached; prints
# the installation's pg_config.
#
#   test/pg-source.sh VERSION FLAVOUR
#   VERSION  15.18 or 18.6
#   FLAVOUR  cassert  --enable-cassert --enable-debug
#            asan     -fsanitize=address,undefined (and --enable-cassert)
#
# Built on this machine (Debian 12), so the binaries run beside the
# system's 15 without a chroot; with OpenSSL, ICU, zlib and readline as
# Debian builds it, and contrib's amcheck (test/crash.sh).  pgTAP, which is
# SQL, comes from Debian's package for the major (15: this machine's; 18:
# the 18 chroot's, test/chroot.sh); pg_cron, which is C, from Debian's
# package for 15 (built for Debian 12, it loads here); for 18 there is none
# that runs on Debian 12 (sid's needs glibc 2.38) and its source package is
# not on the mirror, so test/escalation_cron.sh is skipped on 18.6.
# Cache: $CAPA_PG_CACHE (default /var/cache/capa-pg): src/ the tarballs,
# pg-VERSION-FLAVOUR/ the installation (about 60 MB each).  One build at a
# time on this machine (a lock); a build takes 5-10 minutes with 2 cores
# (CAPA_JOBS, default the number of cores).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${CAPA_PG_CACHE:-/var/cache/capa-pg}
mirror=${CAPA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
jobs=${CAPA_JOBS:-$(nproc)}

[ $# -eq 2 ] || { sed -n '7,11p' "$0" >&2; exit 2; }
version=$1 flavour=$2
# the tarballs' SHA-256, as the Debian archive has them
case $version in
15.18) major=15 sha256=11df0df97fe3ea4ba9a791faaf39cee1d2fe571e78885b5b55d8517d27c323b4 ;;
18.6) major=18 sha256=555610c24d53e4316da5b7d3fc25c279d96856d5e0e23ee308c328c5fa881d9f ;;
*) echo "pg-source.sh: no source for PostgreSQL $version (15.18, 18.6)" >&2; exit 2 ;;
esac
common="--enable-debug --enable-cassert --with-openssl --with-icu --with-system-tzdata=/usr/share/zoneinfo --without-llvm"
case $flavour in
cassert) cflags="-O2 -g" ldflags="" ;;
# the server instrumented: -O1 keeps the reports' stacks readable; errors
# are reported and the process goes on (the run's checks read the reports)
asan) san="-fsanitize=address,undefined -fno-omit-frame-pointer"
      # its own client programs (pg_config, below) leak at exit as every
      # frontend program does; LeakSanitizer's report would fail them
      export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
      cflags="-O1 -g $san" ldflags="$san" ;;
*) echo "pg-source.sh: FLAVOUR is cassert or asan" >&2; exit 2 ;;
esac
prefix=$cache/pg-$version-$flavour
stamp="$version $flavour $common $cflags"

if [ -f "$prefix/.capa-built" ] && [ "$(cat "$prefix/.capa-built")" = "$stamp" ]; then
    echo "$prefix/bin/pg_config"
    exit 0
fi
[ "$(id -u)" = 0 ] || { echo "pg-source.sh: run as root (it writes $cache)" >&2; exit 1; }
"$here/test/install-deps.sh" source "$major" >&2
mkdir -p "$cache/src"
exec 8>"$cache/.source-build.lock"
flock 8
log() { echo "pg-source.sh: $*" >&2; }

# 1. the tarball
tarball=$cache/src/postgresql-${major}_$version.orig.tar.bz2
if [ ! -f "$tarball" ] || ! echo "$sha256  $tarball" | sha256sum -c --quiet - 2>/dev/null; then
    log "downloading $(basename "$tarball")"
    curl -fsS -o "$tarball.part" "$mirror/pool/main/p/postgresql-$major/$(basename "$tarball")"
    echo "$sha256  $tarball.part" | sha256sum -c --quiet - || { log "checksum mismatch"; exit 1; }
    mv "$tarball.part" "$tarball"
fi

# 2. where pgTAP and pg_cron come from (Debian's packages for the major)
case $major in
15) ext_from= ;;
18) ext_from=$("$here/test/chroot.sh" setup 18) ;;
esac

# 3. configure, build, install
build=$cache/build-$version-$flavour
rm -rf "$build" "$prefix"
mkdir -p "$build"
log "building PostgreSQL $version ($flavour) in $build, about 5-10 minutes"
start=$(date +%s)
tar -C "$build" -xjf "$tarball" --strip-components=1
(
    cd "$build"
    # Not as a sub-make of whatever ran this (make test-matrix, make
    # test-assert): PostgreSQL's Makefile.global generates its headers
    # (utils/errcodes.h, ...) only when MAKELEVEL is 0, so under make
    # test-matrix the build failed at src/common for want of them
    unset MAKELEVEL MAKEFLAGS MFLAGS MAKEOVERRIDES
    # shellcheck disable=SC2086
    ./configure --prefix="$prefix" $common CFLAGS="$cflags" LDFLAGS="$ldflags" >configure.log 2>&1 ||
        { tail -30 configure.log; exit 1; }
    make -s -j"$jobs" >build.log 2>&1 || { grep -E 'error|Error' build.log | head -30; exit 1; }
    make -s install >install.log 2>&1
    make -s -C contrib/amcheck install >>install.log 2>&1
) >&2
# pgTAP (SQL), and pg_cron (C) where Debian's runs here
extdir=$("$prefix/bin/pg_config" --sharedir)/extension
cp "$ext_from"/usr/share/postgresql/$major/extension/pgtap* "$extdir/"
if [ "$major" = 15 ]; then
    cp "$ext_from"/usr/share/postgresql/$major/extension/pg_cron* "$extdir/"
    cp "$ext_from"/usr/lib/postgresql/$major/lib/pg_cron.so "$("$prefix/bin/pg_config" --pkglibdir)/"
fi
rm -rf "$build"
echo "$stamp" > "$prefix/.capa-built"
log "built in $(($(date +%s) - start)) s: $prefix"
echo "$prefix/bin/pg_config"
