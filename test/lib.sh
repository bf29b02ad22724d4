# Shell helpers shared by the test scripts.  Source it:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The PostgreSQL installation under test: PG_CONFIG (the Makefile exports
# it: make test PG=NN), else the system's 15.  The one place the scripts
# name a major.
: "${PG_CONFIG:=/usr/lib/postgresql/15/bin/pg_config}"

# Its major: 15, 17, 18, 19
pg_major() {
    "$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/'
}

# A loopback port nothing answers on (the caller retries if it is taken
# before the server binds it), below the kernel's range of ephemeral ports:
# a busy machine's client connections hold ports in that range, which a
# probe cannot see and a server cannot bind
free_port() {
    local p i low=32768
    read -r low _ < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
    [ "$low" -gt 21000 ] 2>/dev/null || low=32768
    for i in $(seq 50); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % (low - 20000)))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
        echo "$p"
        return 0
    done
    return 1
}

# A private copy of the installation PG_CONFIG names, below ROOT at the
# same paths: a separate installation (PostgreSQL finds its share and lib
# directories relative to its binaries), so capa can be installed into it
# without touching the original.  Prints the copy's pg_config.
copy_installation() {  # copy_installation PG_CONFIG ROOT
    local bindir sharedir
    bindir=$("$1" --bindir) && sharedir=$("$1" --sharedir) || return 1
    mkdir -p "$2$(dirname "$bindir")" "$2$(dirname "$sharedir")" &&
    cp -a "$(dirname "$bindir")/." "$2$(dirname "$bindir")/" &&
    cp -a "$sharedir" "$2$(dirname "$sharedir")/" &&
    echo "$2$bindir/pg_config"
}

# Build this working copy against PG_CONFIG in BUILD (a fresh copy of the
# sources, with -Werror) and install it into the copy below ROOT.  Extra
# arguments go to make (PG_CFLAGS=..., SHLIB_LINK=...).
build_capa() {  # build_capa PG_CONFIG BUILD ROOT [MAKE ARGS...]
    local pgc=$1 build=$2 root=$3 src
    shift 3
    src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    rm -rf "$build" && mkdir -p "$build/fuzz" &&
    cp -a "$src/Makefile" "$src/capa.control" "$src/src" "$src/sql" "$build/" &&
    cp "$src/fuzz/fuzz.mk" "$build/fuzz/" &&    # the Makefile includes it
    rm -f "$build"/src/*.o "$build"/src/*/*.o "$build"/src/*/*.bc "$build"/*.so &&
    make -s -C "$build" PG_CONFIG="$pgc" "$@" all >"$build/build.log" 2>&1 &&
    make -s -C "$build" PG_CONFIG="$pgc" DESTDIR="$root" install >>"$build/build.log" 2>&1 ||
        { tail -20 "$build/build.log" >&2; return 1; }
}

# The server logs of a script's own clusters, kept for the run's checks
# (make test-assert, make sanitize: test/sanitize.sh reads them) when
# CAPA_LOG_DIR names a directory.  Call it from the cleanup, before the
# logs are removed.
keep_logs() {  # keep_logs NAME LOG...
    local name=$1 f
    shift
    [ -n "${CAPA_LOG_DIR:-}" ] && [ -d "$CAPA_LOG_DIR" ] || return 0
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$CAPA_LOG_DIR/$name.$(basename "$f")"
    done
    return 0
}

# One TAP result of a script's own: "ok N - DESCRIPTION", or "not ok"
# with what it got and wanted and DETAIL; counts in the caller's n and
# sets its fail
tap_ok() {  # tap_ok GOT WANT DESCRIPTION [DETAIL, shown on failure]
    n=$((n + 1))
    if [ "$1" = "$2" ]; then echo "ok $n - $3"; return; fi
    echo "not ok $n - $3"
    printf '%s\n' "got: '$1'" "want: '$2'" | head -30 | sed 's/^/#   /'
    [ -n "${4:-}" ] && printf '%s\n' "$4" | head -30 | sed 's/^/#   /'
    fail=1
}
