-- capa reference verifier: plain SQL, for a stock PostgreSQL (13 or later)
-- without capa's C code.  It rebuilds the canonical bytes of every audit
-- row (encoding 1, see docs/audit-chain.md), checks each hash with
-- sha256() and each link to the previous row of the same chain.  Slow on
-- purpose: it is a second, independent implementation of the encoding.
--
-- Input: a table or view with the columns of capa.audit as plain types,
-- for example exported from a capa database with psql (\copy writes the
-- file on the client; COPY ... TO a file needs the server's file privileges):
--   SET DateStyle = ISO; SET TimeZone = UTC;
--   \copy (SELECT seq, capa_id::text, action_id, chain_seq, step, from_state::text, to_state::text, changed, actor::text, session_actor::text, app_user, application_name, host(client_addr), xid::text::bigint, at, row_hash, prev_hash, hash, encoding FROM capa.audit) TO 'audit.csv' CSV
-- (from capa 0.3.0 or earlier, whose capa.audit names the column record_id:
-- SELECT seq, record_id::text, ...; the bytes are the same), and loaded,
-- in a session with the same DateStyle, with
--   \copy capa_check.audit_export FROM 'audit.csv' CSV
-- into the table this script creates, capa_check.audit_export.  Export as
-- a role that sees the whole trail (a superuser or the table's owner): with
-- row-level security by org unit on, another role's export leaves out the
-- rows of units it may not see and still verifies; check the row count and
-- the highest seq against a capa_digest() kept outside
-- (capa-digest:v1:<max seq>:<chains>:...).
-- Then: SELECT * FROM capa_check.verify('capa_check.audit_export');

CREATE SCHEMA IF NOT EXISTS capa_check;

CREATE TABLE IF NOT EXISTS capa_check.audit_export (
    seq bigint, capa_id text, action_id bigint, chain_seq integer, step text,
    from_state text, to_state text, changed jsonb, actor text, session_actor text,
    app_user text, application_name text, client_addr text, xid bigint,
    at timestamptz, row_hash bytea, prev_hash bytea, hash bytea, encoding smallint);

-- a length-prefixed UTF-8 string; NULL is the length 0xFFFFFFFF
CREATE OR REPLACE FUNCTION capa_check.str(s text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN s IS NULL THEN '\xffffffff'::bytea
                ELSE int4send(octet_length(convert_to(s, 'UTF8'))) || convert_to(s, 'UTF8') END
$$;

-- CAPA-YYYY-NNNNNN as the packed 64-bit value: year << 40 | number
CREATE OR REPLACE FUNCTION capa_check.ref(r text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT (substr(r, 6, 4)::bigint << 40) | substr(r, 11)::bigint
$$;

-- the stable code of a state: open 1 ... cancelled 8; NULL is 0
CREATE OR REPLACE FUNCTION capa_check.state(s text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT int2send(coalesce(array_position(ARRAY['open', 'contained', 'analysed', 'planned',
                    'implemented', 'verified', 'closed', 'cancelled'], s), 0)::int2)
$$;

-- the canonical bytes of one audit row, encoding 1
CREATE OR REPLACE FUNCTION capa_check.audit_bytes(a capa_check.audit_export) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT '\x01'::bytea
        || int8send(a.seq)
        || int8send(capa_check.ref(a.capa_id))
        || CASE WHEN a.action_id IS NULL THEN '\x00'::bytea ELSE '\x01'::bytea END
        || int8send(coalesce(a.action_id, 0))
        || int4send(a.chain_seq)
        || capa_check.str(a.step)
        || capa_check.state(a.from_state)
        || capa_check.state(a.to_state)
        || capa_check.str(a.changed::text)
        || capa_check.str(a.actor)
        || capa_check.str(a.session_actor)
        || capa_check.str(a.app_user)
        || capa_check.str(a.application_name)
        || capa_check.str(a.client_addr)
        || int8send(a.xid)
        || int8send((extract(epoch FROM a.at) * 1000000)::bigint)
        || a.row_hash
        || CASE WHEN a.prev_hash IS NULL THEN '\x00'::bytea ELSE '\x01'::bytea || a.prev_hash END
$$;

-- one row per problem: bad_hash, broken_link, gap; none when intact
CREATE OR REPLACE FUNCTION capa_check.verify(source regclass)
RETURNS TABLE (problem text, capa_id text, action_id bigint, seq bigint)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        WITH a AS (
            SELECT t.*, lag(t.hash) OVER w AS prev, lag(t.chain_seq) OVER w AS prev_seq
              FROM %s t
            WINDOW w AS (PARTITION BY t.capa_id, t.action_id ORDER BY t.chain_seq))
        SELECT 'bad_hash', a.capa_id, a.action_id, a.seq FROM a
         WHERE a.encoding <> 1
            OR sha256(capa_check.audit_bytes(ROW(a.seq, a.capa_id, a.action_id, a.chain_seq, a.step,
                 a.from_state, a.to_state, a.changed, a.actor, a.session_actor, a.app_user,
                 a.application_name, a.client_addr, a.xid, a.at, a.row_hash, a.prev_hash,
                 a.hash, a.encoding)::capa_check.audit_export)) <> a.hash
        UNION ALL
        SELECT 'broken_link', a.capa_id, a.action_id, a.seq FROM a
         WHERE a.prev_hash IS DISTINCT FROM a.prev
        UNION ALL
        SELECT 'gap', a.capa_id, a.action_id, a.seq FROM a
         WHERE a.chain_seq <> coalesce(a.prev_seq, 0) + 1
        ORDER BY 2, 3, 4, 1 $q$, source);
END
$$;

-- Evidence files (capa 0.5.0): each stored file against the SHA-256 its
-- attach audit row recorded (changed -> 'attachment' ->> 'sha256', lower-case hex).  Export
-- the stored files next to the trail:
--   \copy (SELECT id, content FROM capa.attachment WHERE content IS NOT NULL) TO 'files.csv' CSV
--   \copy capa_check.attachment_export FROM 'files.csv' CSV
-- (or load a file handed over with pg_read_binary_file()), then
--   SELECT * FROM capa_check.verify_attachments('capa_check.audit_export', 'capa_check.attachment_export');
-- attachment_changed: the file is not the one the trail recorded;
-- attachment_unrecorded: no attach row of the trail names the attachment.
CREATE TABLE IF NOT EXISTS capa_check.attachment_export (id bigint, content bytea);

CREATE OR REPLACE FUNCTION capa_check.verify_attachments(trail regclass, files regclass)
RETURNS TABLE (problem text, attachment bigint, seq bigint)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        SELECT CASE WHEN a.seq IS NULL THEN 'attachment_unrecorded' ELSE 'attachment_changed' END,
               f.id, a.seq
          FROM %s f
          LEFT JOIN %s a ON a.step = 'attach' AND a.action_id IS NULL
                        AND (a.changed -> 'attachment' ->> 'id')::bigint = f.id
         WHERE a.seq IS NULL
            OR encode(sha256(f.content), 'hex') IS DISTINCT FROM a.changed -> 'attachment' ->> 'sha256'
         ORDER BY 2 $q$, files, trail);
END
$$;
