#!/bin/bash
# Checks that the harnesses can fail: plants one bug at a time in a copy of
# src/ (never in src/ itself), builds that harness against the copy, and
# expects it to report a finding within SECONDS (default 30).  One TAP
# line per plant; "ok" means the planted bug WAS caught.
#   fuzz/plant.sh [SECONDS]
set -u
cd "$(dirname "$0")/.."
seconds=${1:-30}
tmp=$(mktemp -d /tmp/capa-plant.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# target @ file @ sed script @ what it breaks
plants=(
    'state@types/labels.c@s/if (strlen(name) == len && memcmp(name, str, len) == 0)/if (len > 0 \&\& len <= strlen(name) \&\& memcmp(name, str, len) == 0)/@label prefixes accepted'
    'ref@types/ref_format.c@s/1 + CAPA_REF_NUMBER_DIGITS)/CAPA_REF_NUMBER_DIGITS)/@off by one: five-digit numbers accepted'
    'ref@types/ref_type.c@s/palloc(CAPA_REF_TEXT_MAX)/palloc(CAPA_REF_TEXT_MAX - 1)/@output buffer one byte short'
    'severity@types/label_types.c@s/pq_getmsgint(buf, sizeof(int16))/pq_getmsgint(buf, sizeof(int32))/@recv reads four bytes'
    'audit@audit/chain.c@s/put_bytes(buf, s, s ? (uint32) strlen(s) : 0)/put_bytes(buf, s, s ? (uint32) strlen(s) + 1 : 0)/@C strings (client_addr) encoded with their NUL'
    'audit@audit/chain.c@s/put_bytes(buf, s.data, (uint32) s.len)/put_bytes(buf, s.data, s.data ? (uint32) strlen(s.data) : 0)/@CapaStr strings measured with strlen'
    'audit@audit/chain.c@s/(const char \*) f->row_hash, CAPA_HASH_LEN)/(const char *) f->row_hash, CAPA_HASH_LEN + 1)/@reads a byte past row_hash'
    'audit@audit/chain.c@s/memcmp(last_bytes, a, len) != 0/memcmp(last_bytes, a, 4) != 0/@the client_addr text cache compares only the header'
    'audit@audit/chain.c@s/f->to_state = n\[6\] ? 0 : DatumGetInt16(v\[6\]);/f->to_state = DatumGetInt16(v[6]);/@a NULL to_state read from its Datum'
    'audit@audit/chain.c@s/put_u64(buf, (uint64) f->at + (uint64) UNIX_TO_POSTGRES_USECS);/put_u64(buf, (uint64) (f->at + UNIX_TO_POSTGRES_USECS));/@F1 back: the epoch shift in int64'
    'json_text@audit/json_text.c@s/if (c >= 0x20 \&\& c != /if (c >= 0x1f \&\& c != /@0x1f not escaped'
    'json_text@audit/json_text.c@s/JBE_ADVANCE_OFFSET(offset, jc->children\[i\]);/offset += JBE_OFFLENFLD(jc->children[i]);/@JENTRY_HAS_OFF ignored (every JEntry taken as a length)'
    'json_text@audit/json_text.c@s/(Numeric) (base + INTALIGN(start))/(Numeric) (base + start)/@numbers read without their alignment padding'
    'json_text@audit/json_text.c@s/if (base + end > limit || start > end)/if (start > end)/@a child not checked against the end of the value'
    'digest@audit/digest.c@s/if (c >= .a. && c <= .f.)/if (c >= '"'a'"' \&\& c <= '"'g'"')/@hex digit g accepted'
    'digest@audit/digest.c@s/++digits > 19/++digits > 18/@F2 back: 19-digit counts refused'
    'rules@lifecycle/rules.c@s/i < capa_edge_count && n < max/i < capa_edge_count \&\& n <= max/@next() writes one past its room'
    'rules@lifecycle/rules.c@s/.kinds = C | P, .from = CAPA_STATE_ANALYSED, .to = CAPA_STATE_CANCELLED/.kinds = ALL, .from = CAPA_STATE_ANALYSED, .to = CAPA_STATE_CANCELLED/@an edge for a kind README.md does not give it'
)

echo "1..${#plants[@]}"
n=0
status=0
for p in "${plants[@]}"; do
    IFS='@' read -r target file script what <<<"$p"
    n=$((n + 1))
    src=$tmp/src$n
    build=$tmp/build$n
    cp -r src "$src"
    sed -i "$script" "$src/$file"
    if cmp -s "src/$file" "$src/$file"; then
        echo "not ok $n - plant in $file ($what): the sed script no longer applies"
        status=1
        continue
    fi
    if ! make --no-print-directory -s -f fuzz/fuzz.mk FUZZ_SRC="$src" FUZZ_BUILD="$build" \
        "$build/fuzz_$target" >"$tmp/make$n.log" 2>&1; then
        echo "not ok $n - plant in $file ($what): does not build"
        sed 's/^/# /' "$tmp/make$n.log" | tail -n 20
        status=1
        continue
    fi
    out=$(FUZZ_BUILD=$build ./fuzz/run.sh "$seconds" "$target" | grep -E '^(not )?ok ')
    case "$out" in
        "not ok"*)
            echo "ok $n - plant in $file ($what) caught by fuzz_$target: ${out#*: }" ;;
        *)
            echo "not ok $n - plant in $file ($what) NOT caught by fuzz_$target in ${seconds}s"
            status=1 ;;
    esac
done
exit "$status"
