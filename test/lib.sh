# Shell helpers shared by the test scripts that start clusters of their own
# (crash.sh, replica.sh).  Source it: . "$(dirname "$0")/lib.sh"

# A loopback port nothing answers on (the caller retries if it is taken
# before the server binds it)
free_port() {
    local p i
    for i in $(seq 50); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
        echo "$p"
        return 0
    done
    return 1
}
