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


# ---- jsonb values, in jsonb_build.h's grammar (JNULL is JSON null)
JNULL = object()


def jb(v, top=True):
    """A JSON value in jsonb_build.h's grammar; a scalar at the top gets its
    extra stride byte (0: PostgreSQL's offset placement)."""
    if v is JNULL:
        out = bytes([4])
    elif v is True:
        out = bytes([2])
    elif v is False:
        out = bytes([3])
    elif isinstance(v, int):
        mag = abs(v)
        n = (mag.bit_length() + 7) // 8
        assert n <= 8
        out = bytes([1, (0x80 if v < 0 else 0) | n]) + mag.to_bytes(n, "big")
    elif isinstance(v, (str, bytes)):
        b = v.encode() if isinstance(v, str) else v
        assert len(b) < 256
        out = bytes([0, len(b)]) + b
    elif isinstance(v, list):
        assert len(v) < 256
        return bytes([5, 0, len(v)]) + b"".join(jb(e, False) for e in v)
    elif isinstance(v, dict):
        assert len(v) < 256
        out = bytes([6, 0, len(v)])
        for k, e in v.items():
            k = k.encode()
            out += bytes([len(k)]) + k + jb(e, False)
        return out
    else:
        raise TypeError(v)
    return out + (b"\x00" if top else b"")


# ---- audit rows, in fuzz_audit.c's input layout
def s(v):
    if v is None:
        return b"\xff"
    v = v.encode() if isinstance(v, str) else v
    assert len(v) < 255
    return bytes([len(v)]) + v


def addr(a):
    """client_addr: None, or (family 4/6, bits, address bytes)"""
    if a is None:
        return b"\xff"
    family, bits, raw = a
    return bytes([0 if family == 4 else 1, bits]) + raw


F_VALUES, F_SHORT, F_FROM_NULL, F_TO_NULL, F_XID_NULL, F_AT_NULL = 4, 8, 16, 32, 64, 128
H_ROW_NULL, H_ROW_SIZE, H_PREV_SIZE = 1, 2, 4


def audit_row(prefix, has_action, seq, record, action, chain_seq, step, frm, to,
              changed, actor, session_actor, app_user, appname, client_addr, xid, at,
              row_hash, prev_hash, flags=0, hash_flags=0):
    flags |= (1 if has_action else 0) | (2 if prev_hash is not None else 0)
    out = bytes([prefix, flags]) + be64(seq) + be64(record) + be64(action)
    out += be32(chain_seq) + s(step) + be16(frm) + be16(to)
    out += b"\xff" if changed is None else jb(changed)
    for v in (actor, session_actor, app_user, appname):
        out += s(v)
    out += addr(client_addr) + be64(xid) + be64(at) + bytes([hash_flags]) + row_hash
    if prev_hash is not None:
        out += prev_hash
    return out


H1 = bytes(range(32))
H2 = bytes(range(32, 64))
V4 = (4, 32, bytes([192, 0, 2, 7]))
V6_LOOPBACK = (6, 128, bytes(15) + b"\x01")
write("audit", "first-row-of-record", audit_row(
    0, False, 1, ref(2026, 1), 0, 1, "open", 0, 1,
    {"title": "Backup not tested", "severity": "major"}, "alice", "alice",
    None, "psql", None, 741, 820000000000000, H1, None))
write("audit", "action-row-with-prev", audit_row(
    3, True, 7, ref(2026, 1), 12, 2, "complete_action", 0, 0,
    {"done_at": "2026-03-01T10:00:00+00:00"}, "bob", "app_backend",
    "carol@example.org", "erp", V4, 1 << 40, 820000000000001, H2, H1))
write("audit", "all-strings-null", audit_row(
    0, False, 2, ref(2026, 2), 0, 3, None, 3, 4, None, None, None, None,
    None, None, 0, 0, H1, H2))
write("audit", "at-minus-infinity", audit_row(
    1, False, 3, ref(2026, 3), 0, 1, "open", 0, 1, {}, "a", "a", "", "", V6_LOOPBACK,
    2 ** 64 - 1 - (1 << 63), -(1 << 63), H1, None))
write("audit", "at-min-timestamp", audit_row(
    1, False, 4, ref(1000, 1), 0, 1, "open", 0, 1, {}, "a", "a", "", "",
    (4, 8, bytes([10, 0, 0, 0])), 1, -211813488000000000, H1, None))
# F1 (fixed): 'infinity', whose shift to the Unix epoch overflowed int64
write("audit", "at-infinity", bytes.fromhex(
    "0000" + "00" * 28 + "ff" + "00000000" + "ff" * 6 + "00" * 8 + "7fffffffffffffff"))
write("audit", "changed-nested", audit_row(
    2, False, 5, ref(2026, 5), 0, 4, "update", 2, 2,
    {"severity": ["minor", "major"], "n": [0, -1, 10000, 2 ** 64 - 1],
     "flags": {"a": True, "b": False, "c": JNULL},
     "esc": "tab\tnl\nquote\"back\\ctl\x01\x1f"},
    "alice", "alice", "", "psql", (6, 64, bytes.fromhex("20010db8000000000000000000000001")),
    9, 820000000000002, H1, H2))
write("audit", "changed-40-members", audit_row(
    0, False, 6, ref(2026, 6), 0, 5, "update", 2, 2,
    {"k%02d" % i: "v%d" % i for i in range(40)}, "alice", "alice", "", "psql", V4,
    9, 820000000000003, H2, H1))
write("audit", "changed-raw-scalar", audit_row(
    0, False, 7, ref(2026, 7), 0, 6, "update", 2, 2, "just a string",
    "alice", "alice", "", "psql", None, 9, 820000000000004, H2, H1))
write("audit", "values-short-headers", audit_row(
    5, True, 8, ref(2026, 8), 3, 7, "close", 6, 7, {"closed": True},
    "al\x00ice", "x" * 70, "app\x00user", "psql", V4, 10, 820000000000005, H1, H2,
    flags=F_VALUES | F_SHORT))
write("audit", "values-nulls-mis-sized-hashes", audit_row(
    0, False, 9, ref(2026, 9), 0, 8, "open", 0, 1, None,
    "alice", None, None, None, None, 11, 820000000000006, H1, H2,
    flags=F_VALUES | F_FROM_NULL | F_TO_NULL | F_XID_NULL | F_AT_NULL,
    hash_flags=H_ROW_SIZE | H_PREV_SIZE | (31 << 3)))
write("audit", "values-row-hash-null", audit_row(
    0, True, 10, ref(2026, 10), 4, 9, "open", 0, 1, {"x": 1},
    "alice", "alice", "u", "a", V6_LOOPBACK, 12, 820000000000007, H1, None,
    flags=F_VALUES, hash_flags=H_ROW_NULL))

# ---- capa_jsonb_text: mode byte (1 valid, 2 corrupted, 3 truncated, 0 raw)
for name, value in (
        ("valid-object-of-strings", {"title": "Backup not tested", "severity": "major"}),
        ("valid-escapes", {"k\"\\": "\b\f\n\r\t\x01\x1f\x7f \xc3\xa9"}),
        ("valid-nested-arrays", [[], [[]], [1, [2, [3, "x"]]], {"a": [True, False, JNULL]}]),
        ("valid-numbers", [0, 1, -1, 9999, 10000, -10001, 100000000, 2 ** 63, -(2 ** 64 - 1)]),
        ("valid-40-elements", ["e%d" % i for i in range(40)]),
        ("valid-40-members", {"k%02d" % i: i for i in range(40)}),
        ("valid-empty-object", {}),
        ("valid-raw-string", "a\nb"),
        ("valid-raw-number", -42),
        ("valid-raw-true", True),
        ("valid-raw-null", JNULL)):
    write("json_text", name, b"\x01" + jb(value))
# duplicate keys: the later value stays (the builder's grammar allows them)
write("json_text", "valid-duplicate-keys",
      b"\x01" + bytes([6, 0, 3]) + b"\x01a" + jb(1, False) + b"\x02bb" + jb(2, False)
      + b"\x01a" + jb(3, False))
# offsets placed otherwise than PostgreSQL does (stride bytes 0x10: every
# other JEntry, phase 0; 0xf1: every 16th, phase 1)
write("json_text", "valid-odd-offsets",
      b"\x01" + bytes([5, 0x10, 3]) + jb("a", False) + bytes([6, 0xf1, 2])
      + b"\x01x" + jb(1, False) + b"\x01y" + jb("z", False) + jb(-5, False))
write("json_text", "corrupted-one-flip",
      b"\x02" + jb({"a": [1, "b"]}) + bytes([0, 5, 0x40]))
write("json_text", "truncated",
      b"\x03" + jb({"a": [1, "b"]}) + bytes([0, 9]))
write("json_text", "raw-array-of-string", b"\x00" + bytes.fromhex("01000040" "02000000") + b"hi")

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
# F2 (fixed): a max seq of 10^18 formatted into a digest parse() refused
write("digest", "values-10e18", bytes.fromhex("010de0b6b3a76400000000000000000000"))
write("digest", "values-int64-max", b"\x01" + be64(2 ** 63 - 1) + be64(2 ** 63 - 1))
write("digest", "text-int64-max", b"\x00" + ("capa-digest:v1:9223372036854775807:1:"
                                              + HEX).encode())
write("digest", "text-int64-max-plus-1", b"\x00" + ("capa-digest:v1:9223372036854775808:1:"
                                                     + HEX).encode())
write("digest", "text-20-digits", b"\x00" + ("capa-digest:v1:00000000000000000001:1:"
                                              + HEX).encode())

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
