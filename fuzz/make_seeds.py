#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/<target>/ (the seeds are committed;
rerun only to change them).  Each seed's file name says what it is; the
layouts follow the harnesses' input formats (see each fuzz_<target>.c)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def be16(v):
    return struct.pack(">h", v)


def be32(v):
    return struct.pack(">i", v)


def be64(v):
    return struct.pack(">q", v)


def ref(year, number):
    return year << 40 | number


# ---- labels: every label as text, every code (and its neighbours) in binary
STATES = ["open", "contained", "analysed", "planned", "implemented", "verified",
          "closed", "cancelled"]
SEVERITIES = ["observation", "minor", "major", "critical"]
for target, labels in (("state", STATES), ("severity", SEVERITIES)):
    for i, label in enumerate(labels, 1):
        write(target, "text-" + label, label)
        write(target, "bin-code-%d" % i, be16(i))
    write(target, "bin-code-0", be16(0))
    write(target, "bin-code-past-last", be16(len(labels) + 1))
    write(target, "bin-code-minus-1", be16(-1))
    write(target, "bin-short", b"\x00")
    write(target, "bin-trailing-byte", be16(1) + b"\x00")
    write(target, "text-upper-case", labels[0].upper())
    write(target, "text-trailing-space", labels[0] + " ")
    write(target, "text-prefix", labels[-1][:-1])
    write(target, "text-empty", "")

# ---- capa_ref: texts at the edges, packed values, (year, number) pairs
for name, text in (
        ("text-typical", "CAPA-2026-000042"),
        ("text-min", "CAPA-1000-000001"),
        ("text-max", "CAPA-9999-999999999999"),
        ("text-six-digits-max", "CAPA-2026-999999"),
        ("text-seven-digits", "CAPA-2026-1000000"),
        ("text-short-number", "CAPA-2026-42"),
        ("text-lower-case", "capa-2026-000042"),
        ("text-year-999", "CAPA-0999-000001"),
        ("text-padded-seven", "CAPA-2026-0000042"),
        ("text-number-zero", "CAPA-2026-000000"),
        ("text-thirteen-digits", "CAPA-2026-1000000000000"),
        ("text-sign", "CAPA-2026-+00042"),
        ("text-space", "CAPA-2026- 00042")):
    write("ref", name, text)
write("ref", "bin-typical", be64(ref(2026, 42)))
write("ref", "bin-min", be64(ref(1000, 1)))
write("ref", "bin-max", be64(ref(9999, 999999999999)))
write("ref", "bin-zero", be64(0))
write("ref", "bin-negative", be64(-1))
write("ref", "bin-year-999", be64(ref(999, 1)))
write("ref", "bin-number-zero", be64(ref(2026, 0)))
write("ref", "bin-number-2^40-1", be64(ref(2026, (1 << 40) - 1)))
write("ref", "bin-short", be64(ref(2026, 42))[:7])
# capa_ref(year, number) from 12 bytes; two pairs (24 bytes) for the order
write("ref", "make-typical", be32(2026) + be64(42))
write("ref", "make-year-10000", be32(10000) + be64(1))
write("ref", "make-number-too-big", be32(2026) + be64(10 ** 12))
write("ref", "order-same-year", be32(2026) + be64(41) + be32(2026) + be64(42))
write("ref", "order-year-wins", be32(2027) + be64(1) + be32(2026) + be64(999999))


# ---- audit rows, in fuzz_audit.c's input layout
def s(v):
    if v is None:
        return b"\xff"
    v = v.encode()
    assert len(v) < 255
    return bytes([len(v)]) + v


def audit_row(prefix, has_action, seq, record, action, chain_seq, step, frm, to,
              changed, actor, session_actor, app_user, appname, addr, xid, at,
              row_hash, prev_hash):
    flags = (1 if has_action else 0) | (2 if prev_hash is not None else 0)
    out = bytes([prefix, flags]) + be64(seq) + be64(record) + be64(action)
    out += be32(chain_seq) + s(step) + be16(frm) + be16(to)
    for v in (changed, actor, session_actor, app_user, appname, addr):
        out += s(v)
    out += be64(xid) + be64(at) + row_hash
    if prev_hash is not None:
        out += prev_hash
    return out


H1 = bytes(range(32))
H2 = bytes(range(32, 64))
write("audit", "first-row-of-record", audit_row(
    0, False, 1, ref(2026, 1), 0, 1, "open", 0, 1,
    '{"title": "Backup not tested", "severity": "major"}', "alice", "alice",
    None, "psql", None, 741, 820000000000000, H1, None))
write("audit", "action-row-with-prev", audit_row(
    3, True, 7, ref(2026, 1), 12, 2, "complete_action", 0, 0,
    '{"done_at": "2026-03-01T10:00:00+00:00"}', "bob", "app_backend",
    "carol@example.org", "erp", "192.0.2.7", 1 << 40, 820000000000001, H2, H1))
write("audit", "all-strings-null", audit_row(
    0, False, 2, ref(2026, 2), 0, 3, None, 3, 4, None, None, None, None,
    None, None, 0, 0, H1, H2))
write("audit", "at-minus-infinity", audit_row(
    1, False, 3, ref(2026, 3), 0, 1, "open", 0, 1, "{}", "a", "a", "", "", "::1",
    2 ** 64 - 1 - (1 << 63), -(1 << 63), H1, None))
write("audit", "at-min-timestamp", audit_row(
    1, False, 4, ref(1000, 1), 0, 1, "open", 0, 1, "{}", "a", "a", "", "", "",
    1, -211813488000000000, H1, None))

# ---- digest texts (first byte even) and values (first byte odd)
HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
for name, text in (
        ("text-typical", "capa-digest:v1:1234:56:" + HEX),
        ("text-empty-trail", "capa-digest:v1:0:0:" + "0" * 64),
        ("text-18-digits", "capa-digest:v1:999999999999999999:1:" + HEX),
        ("text-19-digits", "capa-digest:v1:1000000000000000000:1:" + HEX),
        ("text-leading-zeros", "capa-digest:v1:007:01:" + HEX),
        ("text-upper-hex", "capa-digest:v1:1:1:" + HEX.upper()),
        ("text-short-hex", "capa-digest:v1:1:1:" + HEX[:-1]),
        ("text-long-hex", "capa-digest:v1:1:1:" + HEX + "0"),
        ("text-v2", "capa-digest:v2:1:1:" + HEX),
        ("text-negative", "capa-digest:v1:-1:1:" + HEX)):
    write("digest", name, b"\x00" + text.encode())
write("digest", "values-zero", b"\x01" + be64(0) + be64(0) + bytes(32))
write("digest", "values-18-digits", b"\x01" + be64(10 ** 18 - 1) + be64(10 ** 18 - 1)
      + bytes.fromhex(HEX))

# ---- rules: kind, from (2), to (2), room|effective<<4, step name
KIND = {"corrective": 1, "preventive": 2, "improvement": 3}
for kind, frm, to, room, eff, step in (
        ("corrective", 1, 2, 8, 1, "contain"),
        ("corrective", 3, 7, 8, 1, "close"),
        ("preventive", 1, 3, 8, 1, "analyse"),
        ("improvement", 1, 4, 8, 1, "plan"),
        ("improvement", 4, 5, 8, 1, "implement"),
        ("corrective", 5, 6, 8, 1, "verify"),
        ("corrective", 5, 4, 1, 0, "verify"),
        ("preventive", 6, 7, 8, 1, "close"),
        ("corrective", 2, 8, 0, 1, "cancel"),
        ("improvement", 7, 1, 8, 1, "reopen"),
        ("improvement", 8, 1, 8, 1, "reopen"),
        ("preventive", 1, 2, 8, 1, "contain")):
    write("rules", "%s-%d-%d-%s" % (kind, frm, to, step),
          bytes([KIND[kind]]) + be16(frm) + be16(to) + bytes([room | eff << 4])
          + step.encode())
write("rules", "unknown-kind", bytes([0]) + be16(1) + be16(2) + bytes([8 | 16]) + b"contain")
write("rules", "negative-state", bytes([1]) + be16(-1) + be16(1) + bytes([8 | 16]) + b"x")
