-- capa_state, capa_severity, capa_ref: I/O, order, casts, indexes, binary
SET search_path = capa, public;

-- text input and output
SELECT s::capa_state AS state, s::capa_state::text = s AS round_trip
  FROM unnest(ARRAY['open','contained','analysed','planned','implemented',
                    'verified','closed','cancelled']) AS s;
SELECT s::capa_severity AS severity FROM unnest(ARRAY['observation','minor','major','critical']) s;
SELECT 'CAPA-2088-000042'::capa_ref AS ref, 'CAPA-2088-1234567'::capa_ref AS long_ref,
       capa_ref(2088, 42) AS built, capa_ref_year('CAPA-2091-000007'), capa_ref_number('CAPA-2091-000007');

-- bad text input: 22P02 naming the accepted values
SELECT 'Open'::capa_state;
\echo :LAST_ERROR_SQLSTATE
SELECT ' open'::capa_state;
SELECT ''::capa_state;
SELECT 'severe'::capa_severity;
\echo :LAST_ERROR_SQLSTATE
SELECT 'CAPA-2088-42'::capa_ref;
\echo :LAST_ERROR_SQLSTATE
SELECT try(format('SELECT %L::capa.capa_ref', r)) AS result, r AS input
  FROM unnest(ARRAY['capa-2088-000042', 'CAPA-0999-000001', 'CAPA-2088-000000',
                    'CAPA-2088-0000042', 'CAPA-2088-00004x', 'CAPA-2088-000042 ',
                    'CAPA2088-000042', 'CAPA-2088-1234567890123', '', 'CAPA-20880-00001']) r;
SELECT capa_ref(999, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT capa_ref(2088, 0);

-- order: lifecycle order, severity order, year then number
SELECT array_agg(s ORDER BY s) FROM unnest('{closed,open,cancelled,verified,analysed}'::capa_state[]) s;
SELECT 'minor'::capa_severity < 'major', 'critical'::capa_severity > 'major',
       'observation'::capa_severity = 'observation', 'minor'::capa_severity <> 'minor';
SELECT array_agg(r ORDER BY r)
  FROM unnest('{CAPA-2089-000001,CAPA-2088-000100,CAPA-2088-000002,CAPA-2088-1000000}'::capa_ref[]) r;
SELECT 'open'::capa_state <= 'open', 'open'::capa_state >= 'closed';

-- casts to and from text
SELECT CAST('verified' AS capa_state), CAST('verified'::capa_state AS text),
       CAST('CAPA-2088-000001'::text AS capa_ref), CAST('CAPA-2088-000001'::capa_ref AS text);
SELECT 'nope'::text::capa_state;

-- btree and hash indexes are used and agree with a sequential scan
CREATE TABLE type_probe (s capa_state, v capa_severity, r capa_ref);
INSERT INTO type_probe
SELECT (ARRAY['open','contained','analysed','planned','implemented','verified','closed','cancelled'])[1 + i % 8]::capa_state,
       (ARRAY['observation','minor','major','critical'])[1 + i % 4]::capa_severity,
       capa_ref(2080 + i % 7, i)
  FROM generate_series(1, 2000) i;
CREATE INDEX type_probe_s ON type_probe (s);
CREATE INDEX type_probe_v ON type_probe USING hash (v);
CREATE UNIQUE INDEX type_probe_r ON type_probe (r);
CREATE INDEX type_probe_r_hash ON type_probe USING hash (r);
ANALYZE type_probe;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM type_probe WHERE s = 'planned';
EXPLAIN (COSTS OFF) SELECT count(*) FROM type_probe WHERE v = 'major';
EXPLAIN (COSTS OFF) SELECT * FROM type_probe WHERE r = 'CAPA-2081-000008';
SELECT count(*) FROM type_probe WHERE s = 'planned';
SELECT count(*) FROM type_probe WHERE v = 'major';
SELECT count(*) FROM type_probe WHERE s >= 'verified';
SELECT * FROM type_probe WHERE r = 'CAPA-2081-000008';
RESET enable_seqscan;
SET enable_indexscan = off; SET enable_bitmapscan = off;
SELECT count(*) FROM type_probe WHERE s = 'planned';
SELECT count(*) FROM type_probe WHERE s >= 'verified';
RESET enable_indexscan; RESET enable_bitmapscan;
-- hash joins and hash aggregation work
SET enable_sort = off;
SELECT v, count(*) FROM type_probe GROUP BY v ORDER BY v;
SELECT count(*) FROM type_probe a JOIN type_probe b USING (r);
RESET enable_sort;

-- binary COPY round trip gives back the same values (through a file in
-- the data directory, removed when read: nothing is left behind)
COPY type_probe TO PROGRAM 'cat > capa_type_probe.bin' (FORMAT binary);
CREATE TABLE type_probe_copy (LIKE type_probe);
COPY type_probe_copy FROM PROGRAM 'cat capa_type_probe.bin && rm capa_type_probe.bin' (FORMAT binary);
SELECT count(*) AS copied,
       count(*) FILTER (WHERE a.s = b.s AND a.v = b.v) AS identical
  FROM type_probe a JOIN type_probe_copy b USING (r);
-- the binary forms: int2 codes and the packed int64
SELECT capa_state_send('closed'), capa_severity_send('critical'),
       capa_ref_send('CAPA-2088-000001');
-- a binary value that is not a valid code is refused (22P03)
CREATE TABLE bad_bin (s int2);
INSERT INTO bad_bin VALUES (9);
COPY bad_bin TO PROGRAM 'cat > capa_bad.bin' (FORMAT binary);
CREATE TABLE bad_state (s capa_state);
COPY bad_state FROM PROGRAM 'cat capa_bad.bin; rm capa_bad.bin' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE type_probe, type_probe_copy, bad_bin, bad_state;
RESET search_path;
