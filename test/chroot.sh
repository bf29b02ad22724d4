#!/bin/bash
# PostgreSQL majors other than the system's 15, from Debian's own binary
# packages, in a chroot per major that is made once and cached:
#
#   17  Debian 13 (trixie)       postgresql-17, pgTAP and pg_cron packages
#   18  Debian sid               postgresql-18, pgTAP and pg_cron packages
#   19  Debian sid + experimental  postgresql-19 (release candidate); no
#       pgTAP or pg_cron package for 19 yet: pgTAP is SQL only, so the
#       18 package's scripts are installed for 19; pg_cron is C, and its
#       source package is not on the mirror: test/escalation_cron.sh is
#       skipped on 19 (CAPA_SKIP_CRON)
#
# A chroot and not beside the system's 15: these binaries need a newer
# glibc than Debian 12's (2.38 and later).
#
#   test/chroot.sh setup NN        make (or complete) the chroot; prints its path
#   test/chroot.sh run NN CMD...   run CMD inside it as root, /dev, /dev/pts,
#                                  /dev/shm and /proc mounted in a private
#                                  mount namespace (gone when CMD ends)
#   test/chroot.sh test NN [TARGET] copy this working copy into the chroot
#                                  and run `make TARGET` there (default
#                                  test-here: build with -Werror, install,
#                                  the whole suite); ends with its
#                                  "N passed, N failed" line
#
# The cache is $CAPA_PG_CACHE (default /var/cache/capa-pg), one directory
# per major, about 1.7 GB each; a second run does not touch the network.
# Runs as root (mmdebstrap, chroot, mount).  One run at a time per chroot
# (a lock): the suite installs capa into the chroot's PostgreSQL.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${CAPA_PG_CACHE:-/var/cache/capa-pg}
mirror=${CAPA_DEBIAN_MIRROR:-http://deb.debian.org/debian}

usage() { sed -n '15,25p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 major=$2
shift 2
case $major in 17 | 18 | 19) ;; *) echo "chroot.sh: no chroot for PostgreSQL $major (17, 18 or 19)" >&2; exit 2 ;; esac
root=$cache/$major
[ "$(id -u)" = 0 ] || { echo "chroot.sh: needs root (mmdebstrap, chroot, mount)" >&2; exit 1; }

# What each major's chroot holds: the server, its headers, the test tools
# (pg_virtualenv comes with postgresql-common), chromium and python3 for
# test/report.sh, procps for test/crash.sh
common="build-essential libssl-dev postgresql-common libtap-parser-sourcehandler-pgtap-perl python3 chromium procps"
case $major in
17) suite=trixie sources="deb $mirror trixie main"
    packages="postgresql-17 postgresql-server-dev-17 postgresql-17-pgtap postgresql-17-cron $common" ;;
18) suite=sid sources="deb $mirror sid main
deb-src $mirror sid main"
    packages="postgresql-18 postgresql-server-dev-18 postgresql-18-pgtap postgresql-18-cron $common" ;;
19) suite=sid sources="deb $mirror sid main
deb $mirror experimental main
deb-src $mirror sid main"
    # from experimental: the packages named /experimental (libpq too:
    # apt does not take a dependency's newer version from there by itself)
    packages="postgresql-19/experimental postgresql-server-dev-19/experimental postgresql-client-19/experimental
              libpq5/experimental libpq-dev/experimental $common" ;;
esac
packages=$(echo $packages)
# what the chroot was made with (a change completes it)
wanted="$(printf '%s\n' "$packages" | tr ' ' '\n' | sort | tr '\n' ' ')
$sources"

in_root() {  # in_root CMD...: CMD in the chroot, filesystems mounted
    unshare --mount --propagation private /bin/bash -c '
        set -e
        r=$1; shift
        mount --rbind /dev "$r/dev"
        mount -t proc proc "$r/proc"
        mount --rbind /sys "$r/sys"
        exec chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive \
            "$@"' in_root "$root" "$@"
}

# 19: no pgTAP package yet.  pgTAP is SQL, made per major by its build from
# the same sources: the 18 package's extension scripts serve 19.
extras_19() {
    in_root /bin/bash -ec '
        cd /tmp && rm -rf capa-extras && mkdir capa-extras && cd capa-extras
        apt-get update -q >/dev/null
        apt-get download postgresql-18-pgtap >/dev/null
        dpkg-deb -x postgresql-18-pgtap_*.deb x
        cp x/usr/share/postgresql/18/extension/pgtap* /usr/share/postgresql/19/extension/
        cd /tmp && rm -rf capa-extras'
}

setup() {
    mkdir -p "$cache"
    exec 9>"$cache/.$major.lock"
    flock 9
    if [ -f "$root/.capa-packages" ] && [ "$(cat "$root/.capa-packages")" = "$wanted" ]; then
        echo "$root"
        return
    fi
    if [ ! -x "$root/usr/bin/apt-get" ]; then
        command -v mmdebstrap >/dev/null || { apt-get update -q && apt-get install -y -q mmdebstrap; } >&2
        rm -rf "$root" "$root.new"
        echo "chroot.sh: making $root (Debian $suite, PostgreSQL $major; a few minutes, about 1.7 GB)" >&2
        local include
        include=$(echo "$packages" | tr ' ' ',')
        # sid's and experimental's Release files can be past their
        # Valid-Until on a mirror snapshot
        printf '%s\n' "$sources" | mmdebstrap --variant=apt --include="$include" \
            --aptopt='Acquire::Check-Valid-Until "false"' --aptopt='APT::Install-Recommends "false"' \
            "$suite" "$root.new" - >&2
        mv "$root.new" "$root"
    else
        # a chroot made with fewer packages (an older list): add the rest
        echo "chroot.sh: completing $root" >&2
        printf '%s\n' "$sources" > "$root/etc/apt/sources.list"
        echo 'Acquire::Check-Valid-Until "false"; APT::Install-Recommends "false";' > "$root/etc/apt/apt.conf.d/90capa"
        # shellcheck disable=SC2086
        in_root /bin/sh -c "apt-get update -q && apt-get install -y -q $packages" >&2
    fi
    if [ "$major" = 19 ]; then extras_19 >&2; fi
    echo "$wanted" > "$root/.capa-packages"
    echo "$root"
}

case $cmd in
setup)
    setup ;;
run)
    setup >/dev/null
    # the set-up's lock is not the command's: a server started here would
    # keep it, and every later run of this chroot would wait for it
    exec 9>&-
    in_root "$@" ;;
test)
    setup >/dev/null
    target=${1:-test-here}
    # one suite at a time in a chroot: it installs capa into its PostgreSQL
    exec 9>"$cache/.$major.lock"
    flock 9
    # the working copy as it is (uncommitted changes too), without build
    # products, in a fresh directory of the chroot
    rm -rf "$root/capa" && mkdir "$root/capa"
    tar -C "$here" --exclude-vcs --exclude='*.o' --exclude='*.so' --exclude='*.bc' --exclude=results \
        --exclude=output_iso --exclude='regression.*' --exclude=test/test.log --exclude=test/summary.txt \
        --exclude=log --exclude=tmp_check -cf - . | tar -C "$root/capa" -xf -
    # CAPA_* settings and ROUNDS reach the suite; nothing else of this environment
    # (one argument each, given to env in the chroot: a value may hold
    # spaces, as make test-matrix's CAPA_MATRIX_QUICK="17 19" does, which
    # split unquoted made env run "19" and failed every part)
    mapfile -t pass < <(env | grep -E '^(CAPA_[A-Z_]+|ROUNDS|KEEP|WAIT)=' || true)
    [ "$major" = 19 ] && pass+=("CAPA_SKIP_CRON=no-pg_cron-for-19")
    status=0
    in_root /usr/bin/env "${pass[@]}" /usr/bin/make -C /capa --no-print-directory PG="$major" "$target" || status=$?
    # the suite printed its summary line last; if it never got there, one failure
    if [ "$target" = test-here ] && [ ! -s "$root/capa/test/summary.txt" ]; then
        echo "0 passed, 1 failed"
        status=1
    fi
    exit "$status" ;;
*)
    usage ;;
esac
