-- capa install script, part 50: the audit chain -- the bytes each audit
-- row's hash covers, the verification of every chain, and digests of the
-- trail to keep outside the database.

CREATE FUNCTION @extschema@.capa_audit_bytes(seq bigint) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_audit_bytes(bigint) IS
    'the exact bytes (canonical encoding, version in the first byte) that the hash of audit row seq covers: sha256(capa_audit_bytes(seq)) = hash';

CREATE FUNCTION @extschema@.capa_audit_verify(digest text DEFAULT NULL, record @extschema@.capa_ref DEFAULT NULL)
    RETURNS TABLE (problem text, capa_id @extschema@.capa_ref, action_id bigint, seq bigint, detail text)
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION @extschema@.capa_audit_verify(text, @extschema@.capa_ref) IS
    're-checks every audit chain (or one record''s: for whoever may see the record, also under row-level security by org unit) and every register and action row against it, and given an earlier capa_digest() that the rows it covered are unchanged; one row per problem, none when intact';

CREATE TABLE @extschema@.digest (
    id          bigserial PRIMARY KEY,
    max_seq     bigint NOT NULL,
    chains      bigint NOT NULL,
    digest      text NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    issued_by   name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE @extschema@.digest IS
    'every digest capa_digest() issued; keep a copy outside the database, where the database''s superuser cannot reach it';
CREATE TRIGGER capa_append_only BEFORE UPDATE OR DELETE ON @extschema@.digest
    FOR EACH ROW EXECUTE FUNCTION @extschema@.capa_audit_guard();
CREATE TRIGGER capa_no_truncate BEFORE TRUNCATE ON @extschema@.digest
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_audit_guard();
ALTER TABLE @extschema@.digest ENABLE ALWAYS TRIGGER capa_append_only;
ALTER TABLE @extschema@.digest ENABLE ALWAYS TRIGGER capa_no_truncate;

CREATE FUNCTION @extschema@.capa_digest() RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION @extschema@.capa_digest() IS
    'capa-digest:v1:<max seq>:<chains>:<sha256 over every chain head>: keep it outside the database; waits for the audit writers in flight (holding none back) and covers exactly the rows committed before it';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.digest', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.digest_id_seq', '');

-- its owner may not rewrite a digest either
REVOKE UPDATE, DELETE, TRUNCATE ON @extschema@.digest FROM CURRENT_USER;
GRANT EXECUTE ON FUNCTION @extschema@.capa_audit_bytes(bigint), @extschema@.capa_audit_verify(text, @extschema@.capa_ref) TO capa_reader;
GRANT SELECT ON @extschema@.digest TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_digest() TO capa_verifier;
