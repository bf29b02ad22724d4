#!/bin/sh
# Installs the Debian 12 packages capa's build, tests and demo need, when
# they are missing.  Runs apt-get as root, or through sudo.
#
#   test/install-deps.sh [WHAT...]     (default: 15)
#   15      the system's PostgreSQL 15 and every test tool (make test)
#   NN      17, 18, 19: when this machine has no PostgreSQL NN, the suite
#           runs in a chroot of Debian's packages for that major
#           (test/chroot.sh), made with mmdebstrap: all it needs from here
#   source  what building PostgreSQL from its source tarball needs
#           (make test-assert, make sanitize-server: test/pg-source.sh)
set -eu

# clang-14 and libclang-rt-14-dev (libFuzzer and the sanitizer runtimes, only
# recommended by clang-14): the fuzz harnesses (fuzz/fuzz.mk).  chromium and
# python3: test/report.sh renders the report headless and reads the result.
# postgresql-15-cron: test/escalation_cron.sh schedules capa_escalate() with it
PACKAGES=""
for what in ${*:-15}; do
    case $what in
    15) PACKAGES="$PACKAGES build-essential postgresql-15 postgresql-server-dev-15 postgresql-client-15
postgresql-common postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
clang-14 libclang-rt-14-dev chromium python3 postgresql-15-cron" ;;
    # bison and flex: from 17 on the tarballs no longer carry the parsers
    # and scanners they generate (18.6's configure stops: "bison not found")
    source) PACKAGES="$PACKAGES build-essential libreadline-dev zlib1g-dev libssl-dev
libicu-dev pkg-config bzip2 curl bison flex" ;;
    *) [ -x "/usr/lib/postgresql/$what/bin/pg_config" ] || PACKAGES="$PACKAGES mmdebstrap" ;;
    esac
done

missing=""
for p in $PACKAGES; do
    case " $missing " in *" $p "*) continue ;; esac
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "capa: installing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "capa: need root or sudo to install:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
