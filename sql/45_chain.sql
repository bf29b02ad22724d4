-- The audit chain: one SHA-256 chain per register row and per action row,
-- its head kept on the row; every hash can be recomputed outside capa's C
-- code from capa_audit_bytes(seq).
\set SHOW_CONTEXT never

-- every audit row's hash is sha256 of its canonical bytes, recomputed here
-- with PostgreSQL's own sha256(), not capa's code
SELECT count(*) AS rows, count(*) FILTER (WHERE sha256(capa.capa_audit_bytes(seq)) = hash) AS hashes_match
  FROM capa.audit;
-- each row links to the previous row of its own chain; the first has none
SELECT count(*) FILTER (WHERE chain_seq = 1 AND prev_hash IS NULL) AS chain_starts,
       count(*) FILTER (WHERE chain_seq > 1 AND prev_hash = prev) AS linked,
       count(*) FILTER (WHERE chain_seq > 1 AND prev_hash IS DISTINCT FROM prev) AS broken
  FROM (SELECT a.*, lag(hash) OVER (PARTITION BY capa_id, action_id ORDER BY chain_seq) AS prev
          FROM capa.audit a) c;
-- the head on each register and action row is the hash of its last audit row
SELECT count(*) AS records,
       count(*) FILTER (WHERE r.chain_head = (SELECT a.hash FROM capa.audit a
                         WHERE a.capa_id = r.id AND a.action_id IS NULL
                         ORDER BY a.chain_seq DESC LIMIT 1)) AS heads_match
  FROM capa.register r;
SELECT count(*) AS actions,
       count(*) FILTER (WHERE x.chain_head = (SELECT a.hash FROM capa.audit a
                         WHERE a.action_id = x.id ORDER BY a.chain_seq DESC LIMIT 1)) AS heads_match
  FROM capa.action x;

-- the bytes: version 1 first, then seq (8 bytes, big-endian) ...
SELECT min(seq) AS first FROM capa.audit \gset
SELECT get_byte(b, 0) AS encoding, substr(b, 2, 8) = int8send(:first) AS seq_first
  FROM capa.capa_audit_bytes(:first) b;
-- ... and they do not depend on the session's settings
SELECT capa.capa_audit_bytes(:first) AS bytes_before \gset
SET TimeZone = 'Asia/Kathmandu';
SET DateStyle = 'German';
SET extra_float_digits = 0;
SELECT capa.capa_audit_bytes(:first) = :'bytes_before'::bytea AS same_bytes;
RESET TimeZone; RESET DateStyle; RESET extra_float_digits;
SELECT capa.capa_audit_bytes(-1);
\echo :LAST_ERROR_SQLSTATE

-- the head cannot be written by hand
SELECT id AS rid FROM capa.register ORDER BY id LIMIT 1 \gset
UPDATE capa.register SET chain_head = '\x00' WHERE id = :'rid';
\echo :LAST_ERROR_SQLSTATE

-- hashes take strings as stored: a client in another encoding changes nothing
SELECT capa.capa_open('Café backup €', 'Ünïcödé', 'minor', 'other') AS enc \gset
SET client_encoding = 'LATIN9';
SELECT count(*) AS problems FROM capa.capa_audit_verify(record => :'enc');
SELECT capa.capa_contain(:'enc', 'contained', 'none');
RESET client_encoding;
SELECT count(*) AS problems FROM capa.capa_audit_verify(record => :'enc');

-- "changed" enters the bytes as jsonb's own text output, whatever it holds:
-- escapes, control characters, quotes, backslashes, non-ASCII, numbers,
-- nested arrays (capa writes that text from the stored jsonb itself)
SELECT capa.capa_open(E'Tab\there "quoted" \\back\\ \b\f\r\n \x01\x1f end', E'emoji \U0001F600 rtl \u202E', 'minor', 'other',
                      priority => 5) AS awk \gset
SELECT capa.capa_contain(:'awk', E'line1\nline2', '{"not": "json"}');
SELECT capa.capa_analyse(:'awk', 'cause', '5whys', 'e',
                         why_chain => ARRAY[E'a\tb', 'c"d', NULL, '', E'\\'], related => ARRAY[:'enc']::capa.capa_ref[]);
SELECT count(*) AS rows,
       count(*) FILTER (WHERE position(convert_to(changed::text, 'UTF8') IN capa.capa_audit_bytes(seq)) = 43 + length(convert_to(step, 'UTF8')))
         AS changed_as_jsonb_text
  FROM capa.audit WHERE capa_id = :'awk';
SELECT count(*) AS problems FROM capa.capa_audit_verify(record => :'awk');

-- jsonb strings with each escaped character (and a few that are not
-- escaped) at every position around the eight-byte words capa scans for
-- escapes, after multibyte characters
SELECT capa.capa_open('Word boundaries', 'escapes at every position', 'minor', 'other') AS wb \gset
SELECT capa.capa_contain(:'wb', 'contained', 'none');
SELECT capa.capa_analyse(:'wb', 'cause', '5whys', 'e', why_chain => (
  SELECT array_agg(repeat('é', n % 3) || repeat('a', p) || c || repeat('b', n) ORDER BY p, c, n)
    FROM generate_series(0, 17) p,
         unnest(ARRAY[E'\t', '"', E'\\', E'\x01', E'\x1f', E'\n', E'\b', ' ', '!', E'\x7f', 'é', E'\U0001F600']) c,
         generate_series(0, 9) n));
SELECT count(*) AS rows,
       count(*) FILTER (WHERE position(convert_to(changed::text, 'UTF8') IN capa.capa_audit_bytes(seq)) = 43 + length(convert_to(step, 'UTF8')))
         AS changed_as_jsonb_text
  FROM capa.audit WHERE capa_id = :'wb';
SELECT count(*) AS problems FROM capa.capa_audit_verify(record => :'wb');
