#!/bin/bash
# make soak: a bounded mixed workload on a throwaway cluster, then the
# register's invariants, as TAP.  All three kinds through their lifecycles
# (some found not effective, reopened, cancelled), steps capa must refuse,
# readers, verifications and digests, from many clients at once for a set
# time; pgbench stops by itself.
#
#   SOAK_MINUTES (default 5), SOAK_CLIENTS (default 16)
set -u
cd "$(dirname "$0")/.."
if [ "${CAPA_IN_VIRTUALENV:-}" != 1 ]; then
    exec env CAPA_IN_VIRTUALENV=1 pg_virtualenv -t -v 15 -o synchronous_commit=off "$0" "$@"
fi
minutes=${SOAK_MINUTES:-5}
clients=${SOAK_CLIENTS:-16}
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got: '$1'"; echo "#  want: '$2'"; fail=1; fi; }
q() { PGOPTIONS="-c search_path=public,capa" psql -XAtq -v ON_ERROR_STOP=1 -d capa_soak -c "$1"; }

createdb capa_soak
q "SET client_min_messages = warning; CREATE EXTENSION capa; CREATE EXTENSION amcheck;" && q "\\i test/policy_0_2.sql" || exit 1

echo "# soak: $clients clients for $minutes minutes"
log=$(mktemp)
pgbench -n -d capa_soak -c "$clients" -j 2 -T $((minutes * 60)) -P 60 \
    -f test/soak/corrective.pgbench@5 -f test/soak/preventive.pgbench@2 \
    -f test/soak/improvement.pgbench@2 -f test/soak/refusals.pgbench@2 \
    -f test/soak/reader.pgbench@3 -f test/soak/verifier.pgbench@1 >"$log" 2>&1
status=$?
sed 's/^/# /' "$log" | grep -E "transactions|tps|aborted|failed|ERROR|progress" | head -30
ok "$status" 0 "pgbench ran every client to the end (no refusal missed, no unexpected error)"
rm -f "$log"

records=$(q "SELECT count(*) FROM capa.register")
echo "# $records records, $(q "SELECT count(*) FROM capa.action") action items, $(q "SELECT count(*) FROM capa.audit") audit rows, $(q "SELECT count(*) FROM capa.digest") digests"
ok "$( [ "$records" -gt 0 ] && echo yes)" yes "the soak wrote records"
ok "$(q "SELECT count(*) FROM capa.capa_audit_verify()")" 0 "the whole trail verifies"
ok "$(q "SELECT count(*) FROM capa.digest d WHERE EXISTS (SELECT FROM capa.capa_audit_verify(digest => d.digest))")" 0 \
   "every digest taken during the soak still verifies"
ok "$(q "SELECT count(*) FROM capa.register r WHERE r.state IS DISTINCT FROM
          (SELECT a.to_state FROM capa.audit a WHERE a.capa_id OPERATOR(capa.=) r.id AND a.action_id IS NULL
            ORDER BY a.chain_seq DESC LIMIT 1)")" 0 "every record is in the state its last audit row recorded"
ok "$(q "SELECT count(*) FROM capa.register r WHERE r.state::text IN ('implemented', 'verified', 'closed')
          AND EXISTS (SELECT FROM capa.action x WHERE x.capa_id OPERATOR(capa.=) r.id AND NOT x.done)
          AND r.reopen_count = 0")" 0 "no record implemented, verified or closed with an action item not done"
ok "$(q "SELECT count(*) FROM capa.register WHERE (kind = 'preventive' AND state::text = 'contained')
          OR (kind = 'improvement' AND state::text IN ('contained', 'analysed'))")" 0 "no record in a state its kind does not have"
ok "$(q "SELECT (SELECT count(*) FROM capa.audit) = (SELECT coalesce(sum(chain_seq), 0) FROM capa.register)
                                                 + (SELECT coalesce(sum(chain_seq), 0) FROM capa.action)")" t \
   "one audit row per change: the trail holds exactly the rows the chains count"
ok "$(q "SELECT count(*) FROM capa.register WHERE kind = 'corrective' AND state::text = 'cancelled' AND reopen_count = 1")" \
   "$(q "SELECT count(*) FROM capa.audit WHERE step = 'reopen'")" "every reopened record was cancelled afterwards, as the script does"
ok "$(q "SELECT count(*) FROM (SELECT bt_index_check(i.indexrelid, true) FROM pg_index i
          JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace s ON s.oid = c.relnamespace
          JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
          WHERE s.nspname = 'capa' AND am.amname = 'btree') x")" \
   "$(q "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace s ON s.oid = c.relnamespace
          JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
          WHERE s.nspname = 'capa' AND am.amname = 'btree'")" "amcheck: every btree index of capa's tables is consistent with its heap"
echo "1..$n"
exit "$fail"
