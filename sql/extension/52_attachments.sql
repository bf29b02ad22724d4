-- capa install script, part 52: evidence items -- a document, ticket, URL
-- or file attached to a record, one of its steps or an action item, each
-- a step in the record's own hash chain.
--
-- capa_attach stores the file (content) and its SHA-256, or only the
-- SHA-256 of a file kept elsewhere (a DMS, a share), or only a reference
-- (uri).  Attaching is a step of the record (audit step "attach") whose
-- "changed" holds the attachment's facts, withdrawing one is another
-- ("withdraw_attachment", with its reason): the audit encoding is
-- unchanged, so capa_audit_bytes and the reference verifier cover them as
-- they are.  capa_audit_verify checks each attachment row against the
-- audit row that recorded it and recomputes the SHA-256 of stored content
-- (src/audit/attachment_verify.c).  Rows are never changed (but for their
-- withdrawal) or deleted: capa_attachment_guard refuses every other write.

-- The largest content capa_attach stores (latest non-NULL row wins; none:
-- 25 MB).  capa_admin sets it with a policy row, as the other switches.
ALTER TABLE @extschema@.policy ADD COLUMN attachment_max_bytes bigint
    CONSTRAINT policy_attachment_max_bytes_check CHECK (attachment_max_bytes OPERATOR(pg_catalog.>) 0);
COMMENT ON COLUMN @extschema@.policy.attachment_max_bytes IS
    'the largest content capa_attach stores, in bytes (larger: 54000); NULL: as the row before (none: 25 MB = 26214400)';
GRANT INSERT (attachment_max_bytes) ON @extschema@.policy TO capa_admin;

CREATE TABLE @extschema@.attachment (
    id              bigserial PRIMARY KEY,
    capa_id         @extschema@.capa_ref NOT NULL REFERENCES @extschema@.register (id),
    -- an item of the record (capa_attach checks it; action items are never
    -- deleted, and a foreign key would answer TRUNCATE capa.action first)
    action_id       bigint,
    step            text,
    title           text NOT NULL,
    uri             text,
    media_type      text,
    sha256          bytea,
    size            bigint,
    content         bytea,
    attached_at     timestamptz NOT NULL,
    attached_by     name NOT NULL,
    attach_seq      bigint NOT NULL,
    withdrawn_at    timestamptz,
    withdrawn_by    name,
    withdraw_reason text,
    withdraw_seq    bigint,
    CONSTRAINT attachment_sha256_check CHECK (sha256 IS NULL OR pg_catalog.octet_length(sha256) OPERATOR(pg_catalog.=) 32),
    -- stored content has its SHA-256 and size; evidence is a file, a digest or a reference
    CONSTRAINT attachment_content_check CHECK (content IS NULL OR (sha256 IS NOT NULL AND size IS NOT NULL)),
    CONSTRAINT attachment_evidence_check CHECK (sha256 IS NOT NULL OR uri IS NOT NULL)
);
COMMENT ON TABLE @extschema@.attachment IS
    'evidence items (capa_attach): a stored file, the SHA-256 of a file kept elsewhere, or a reference, of a record, a step or an action item; each recorded by an audit row of the record''s chain, never changed or deleted, withdrawn with a reason';
COMMENT ON COLUMN @extschema@.attachment.step IS 'the lifecycle step the evidence belongs to (open, contain, analyse, ...), NULL: the record as a whole';
COMMENT ON COLUMN @extschema@.attachment.sha256 IS 'SHA-256 of the file: computed by capa for stored content (sha256(content)), given by the caller for a file kept elsewhere, NULL for a reference only';
COMMENT ON COLUMN @extschema@.attachment.size IS 'bytes of the stored content (NULL: not stored)';
COMMENT ON COLUMN @extschema@.attachment.content IS 'the file, if capa stores it (at most capa.policy.attachment_max_bytes); stored out of line and uncompressed';
COMMENT ON COLUMN @extschema@.attachment.attach_seq IS 'the audit row (capa.audit.seq) of the attach step that recorded it';
COMMENT ON COLUMN @extschema@.attachment.withdraw_seq IS 'the audit row of its withdrawal (capa_withdraw_attachment)';
-- files are mostly compressed already (PDF, images, archives): stored out
-- of line without compression, so verification reads them slice by slice
ALTER TABLE @extschema@.attachment ALTER COLUMN content SET STORAGE EXTERNAL;
-- (capa_id, id): a record's attachments, the order capa_audit_verify() reads them in
CREATE INDEX attachment_record_idx ON @extschema@.attachment (capa_id, id);
CREATE INDEX attachment_sha256_idx ON @extschema@.attachment (sha256);

CREATE FUNCTION @extschema@.capa_attachment_guard() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_attachment_guard() IS
    'refuses every write of capa.attachment but capa_attach''s and capa_withdraw_attachment''s (and a superuser''s restore of dumped rows)';
CREATE TRIGGER capa_append_only BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.attachment
    FOR EACH ROW EXECUTE FUNCTION @extschema@.capa_attachment_guard();
CREATE TRIGGER capa_no_truncate BEFORE TRUNCATE ON @extschema@.attachment
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_attachment_guard();
ALTER TABLE @extschema@.attachment ENABLE ALWAYS TRIGGER capa_no_truncate;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.attachment', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.attachment_id_seq', '');

CREATE FUNCTION @extschema@.capa_attach(id @extschema@.capa_ref, title text, step text DEFAULT NULL,
    uri text DEFAULT NULL, content bytea DEFAULT NULL, sha256 bytea DEFAULT NULL,
    action_id bigint DEFAULT NULL, media_type text DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_attach(@extschema@.capa_ref, text, text, text, bytea, bytea, bigint, text) IS
    'attaches evidence to a record, one of its steps or an action item: stored content (capa computes its SHA-256), the SHA-256 of a file kept elsewhere, or a reference (uri); audited as the step attach; returns the attachment''s id';

CREATE FUNCTION @extschema@.capa_withdraw_attachment(attachment_id bigint, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_withdraw_attachment(bigint, text) IS
    'withdraws an attachment, with a reason (audited as withdraw_attachment): it stays, marked withdrawn';

-- Read as the caller: row-level security by org unit hides another unit's
-- attachments, and the answer is then as for a file nobody attached
CREATE FUNCTION @extschema@.capa_evidence_check(sha256 bytea)
    RETURNS TABLE (record @extschema@.capa_ref, attachment bigint, step text, attached_by name,
                   attached_at timestamptz, title text, action_id bigint, withdrawn boolean,
                   withdrawn_at timestamptz, withdraw_reason text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $check$
BEGIN
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'capa_evidence_check: the SHA-256 must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF pg_catalog.octet_length($1) OPERATOR(pg_catalog.<>) 32 THEN
        RAISE EXCEPTION 'capa_evidence_check: a SHA-256 has 32 bytes, not %', pg_catalog.octet_length($1)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give the digest as bytea: decode(''<64 hex digits>'', ''hex''), or sha256() of the file''s bytes.';
    END IF;
    RETURN QUERY
    SELECT a.capa_id, a.id, a.step, a.attached_by, a.attached_at, a.title, a.action_id,
           a.withdrawn_at IS NOT NULL, a.withdrawn_at, a.withdraw_reason
      FROM @extschema@.attachment a
     WHERE a.sha256 OPERATOR(pg_catalog.=) $1
     ORDER BY a.id;
END
$check$;
COMMENT ON FUNCTION @extschema@.capa_evidence_check(bytea) IS
    'the attachments whose SHA-256 is this one (of the file an auditor was handed), that the caller may see, withdrawn ones marked; no rows: the file is on no record the caller may see';

-- its owner may not delete an attachment either
REVOKE DELETE, TRUNCATE ON @extschema@.attachment FROM CURRENT_USER;
GRANT SELECT ON @extschema@.attachment TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_evidence_check(bytea) TO capa_reader;
GRANT EXECUTE ON FUNCTION
    @extschema@.capa_attach(@extschema@.capa_ref, text, text, text, bytea, bytea, bigint, text),
    @extschema@.capa_withdraw_attachment(bigint, text)
    TO capa_editor;
-- the verifier attaches the evidence of the verification
GRANT EXECUTE ON FUNCTION
    @extschema@.capa_attach(@extschema@.capa_ref, text, text, text, bytea, bytea, bigint, text)
    TO capa_verifier;
