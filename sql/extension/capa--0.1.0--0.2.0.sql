-- capa 0.1.0 -> 0.2.0: fitting into an existing GRC database (intake,
-- escalation, row-level security by org unit).  CREATE EXTENSION capa runs
-- capa--0.1.0.sql and then this script; ALTER EXTENSION capa UPDATE runs
-- this script on a database that has 0.1.0 and its data.
--
-- Rules for this file: every object schema-qualified (@extschema@ and
-- OPERATOR(pg_catalog.=) as in capa--0.1.0.sql), nothing granted to PUBLIC,
-- new tables registered with pg_extension_config_dump, and no statement
-- that rewrites or re-hashes existing rows: the audit chain of a 0.1.0
-- database must verify unchanged after the update.
\echo Use "ALTER EXTENSION capa UPDATE TO '0.2.0'" to load this file. \quit

-- [intake] capa_intake(), capa_intake_drop()
--
-- A new row of the user's findings or incidents table opens a record:
-- src/intake.c.  One C trigger function, attached by capa_intake() as
-- capa_intake AFTER INSERT ... EXECUTE FUNCTION capa.capa_intake_trigger('<id>'),
-- reads its configuration here by that id (an OID would change on
-- restore).  The condition and mapping are stored as given and evaluated
-- in C, never executed as SQL.  A replaced or dropped intake keeps its row
-- (dropped_at, dropped_by): the history stays.
CREATE TABLE @extschema@.intake_config (
    id          bigserial PRIMARY KEY,
    source      regclass NOT NULL,
    source_name text NOT NULL,
    condition   text,
    mapping     jsonb NOT NULL,
    on_error    text NOT NULL CHECK (on_error OPERATOR(pg_catalog.=) ANY (ARRAY['log', 'fail'])),
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    created_by  name NOT NULL,
    dropped_at  timestamptz,
    dropped_by  name
);
COMMENT ON TABLE @extschema@.intake_config IS
    'intakes made with capa_intake(): which new rows of a table open a record, mapped how; written only by capa_intake() and capa_intake_drop()';
CREATE UNIQUE INDEX intake_config_active_idx ON @extschema@.intake_config (source) WHERE dropped_at IS NULL;

-- on_error 'log': rows that matched but opened no record, with the error
CREATE TABLE @extschema@.intake_failure (
    id          bigserial PRIMARY KEY,
    intake_id   bigint NOT NULL REFERENCES @extschema@.intake_config (id),
    source      regclass NOT NULL,
    source_name text NOT NULL,
    key         text,
    sqlstate    text NOT NULL,
    message     text NOT NULL,
    detail      text,
    at          timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    actor       name NOT NULL
);
COMMENT ON TABLE @extschema@.intake_failure IS
    'new rows an intake (on_error = log) could not open a record for: the row''s primary key, the error, when and who inserted it';
CREATE INDEX intake_failure_intake_idx ON @extschema@.intake_failure (intake_id);

CREATE FUNCTION @extschema@.capa_intake_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_intake_trigger() IS
    'AFTER INSERT row trigger made by capa_intake(): opens a record for a new row that matches the intake''s condition and links it to the row';
CREATE FUNCTION @extschema@.capa_intake(source regclass, condition text, mapping jsonb,
                                        on_error text DEFAULT 'log') RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_intake(regclass, text, jsonb, text) IS
    'attaches an intake to a table: each new row matching condition opens a record mapped by mapping and linked to the row; replaces an earlier intake of the table; returns its id';
CREATE FUNCTION @extschema@.capa_intake_drop(source regclass) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_intake_drop(regclass) IS
    'removes a table''s intake (its trigger; the configuration row stays, marked dropped); false if there was none';

-- the active intakes, with the state of their trigger
CREATE VIEW @extschema@.intake WITH (security_invoker = true) AS
SELECT c.id, c.source, c.source_name, c.condition, c.mapping, c.on_error, c.created_at, c.created_by,
       CASE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_class r WHERE r.oid OPERATOR(pg_catalog.=) c.source::pg_catalog.oid)
                THEN 'table dropped'
            WHEN t.oid IS NULL THEN 'trigger missing'
            WHEN t.tgenabled OPERATOR(pg_catalog.=) 'D' THEN 'trigger disabled'
            ELSE 'active' END AS status,
       (SELECT pg_catalog.count(*) FROM @extschema@.intake_failure f
         WHERE f.intake_id OPERATOR(pg_catalog.=) c.id) AS failures
  FROM @extschema@.intake_config c
  LEFT JOIN pg_catalog.pg_trigger t
    ON t.tgrelid OPERATOR(pg_catalog.=) c.source::pg_catalog.oid
   AND t.tgname OPERATOR(pg_catalog.=) 'capa_intake'
   AND t.tgfoid OPERATOR(pg_catalog.=) '@extschema@.capa_intake_trigger()'::pg_catalog.regprocedure::pg_catalog.oid
   AND pg_catalog.encode(t.tgargs, 'escape') OPERATOR(pg_catalog.=) (c.id::pg_catalog.text OPERATOR(pg_catalog.||) '\000')
 WHERE c.dropped_at IS NULL;
COMMENT ON VIEW @extschema@.intake IS
    'the active intakes: table, condition, mapping, on_error, who made them, the state of their trigger (active, trigger disabled, trigger missing, table dropped) and the failures logged';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.intake_config', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.intake_config_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.intake_failure', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.intake_failure_id_seq', '');

-- capa_admin configures; readers see the configuration and the failures;
-- nobody may execute the trigger function (capa_intake attaches it as
-- capa's owner) or write the tables
REVOKE ALL ON @extschema@.intake_config, @extschema@.intake_failure, @extschema@.intake FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.capa_intake_trigger(), @extschema@.capa_intake(regclass, text, jsonb, text),
    @extschema@.capa_intake_drop(regclass) FROM PUBLIC;
GRANT SELECT ON @extschema@.intake_config, @extschema@.intake_failure, @extschema@.intake TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_intake(regclass, text, jsonb, text),
    @extschema@.capa_intake_drop(regclass) TO capa_admin;

-- [escalation] capa_escalate()
--
-- capa_escalate(at) records each escalation of an overdue record or action
-- item once, in capa.escalation, and announces it on capa_events (C code:
-- src/escalate.c).  An episode is the escalations of one due date of one
-- item while its due value and owner stay the same; level n is recorded
-- once the episode is n-1 whole days old, so a run every minute adds
-- nothing new within a day, and a moved due date or a new owner starts a
-- new episode at level 1.  Not part of the audit chain: an escalation is a
-- notice about a record, not a change of it.
CREATE TABLE @extschema@.escalation (
    id              bigserial PRIMARY KEY,
    record_id       @extschema@.capa_ref NOT NULL,
    action_id       bigint,
    due_kind        text NOT NULL CHECK (due_kind OPERATOR(pg_catalog.=) ANY (ARRAY['contain', 'close', 'effectiveness', 'action'])),
    due             timestamptz NOT NULL,
    owner           text NOT NULL,
    severity        @extschema@.capa_severity NOT NULL,
    episode         integer NOT NULL,
    since           timestamptz NOT NULL,
    level           integer NOT NULL CHECK (level OPERATOR(pg_catalog.>=) 1),
    days_overdue    integer NOT NULL,
    at              timestamptz NOT NULL,
    escalated_at    timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    escalated_by    name NOT NULL,
    CHECK ((action_id IS NULL) OPERATOR(pg_catalog.<>) (due_kind OPERATOR(pg_catalog.=) 'action'))
);
COMMENT ON TABLE @extschema@.escalation IS
    'append-only: one row per escalation capa_escalate() recorded (an overdue due date of a record or action item, once per level)';
COMMENT ON COLUMN @extschema@.escalation.due IS
    'the due moment missed: the record''s contain_due, close_due or effectiveness_due, or the end (midnight UTC) of the action item''s due date';
COMMENT ON COLUMN @extschema@.escalation.episode IS
    'escalations of one item''s due date with the same due value and owner; a moved due date or a new owner starts the next episode';
COMMENT ON COLUMN @extschema@.escalation.since IS 'the moment (at) of the episode''s first escalation';
COMMENT ON COLUMN @extschema@.escalation.level IS '1 + whole days from since to at: 1 on the first day, then once a day until resolved';
COMMENT ON COLUMN @extschema@.escalation.at IS 'the moment capa_escalate(at) evaluated';
COMMENT ON COLUMN @extschema@.escalation.escalated_by IS 'the role that ran capa_escalate()';
-- one row per (item, due date, episode, level), whoever runs concurrently;
-- read backwards, an item's latest escalation: a record's due dates, and
-- action items by their id
CREATE UNIQUE INDEX escalation_record_key ON @extschema@.escalation (record_id, due_kind, episode, level)
    WHERE action_id IS NULL;
CREATE UNIQUE INDEX escalation_action_key ON @extschema@.escalation (action_id, episode, level)
    WHERE action_id IS NOT NULL;
CREATE TRIGGER capa_append_only BEFORE UPDATE OR DELETE ON @extschema@.escalation
    FOR EACH ROW EXECUTE FUNCTION @extschema@.capa_audit_guard();
CREATE TRIGGER capa_no_truncate BEFORE TRUNCATE ON @extschema@.escalation
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_audit_guard();
ALTER TABLE @extschema@.escalation ENABLE ALWAYS TRIGGER capa_append_only;
ALTER TABLE @extschema@.escalation ENABLE ALWAYS TRIGGER capa_no_truncate;

-- what is overdue, by a range scan over the open records' due dates (the
-- pending action items have action_pending_idx): a run reads the overdue
-- items only, not the register
CREATE INDEX register_contain_due_idx ON @extschema@.register (contain_due)
    WHERE state OPERATOR(@extschema@.=) 'open'::@extschema@.capa_state;
CREATE INDEX register_close_due_idx ON @extschema@.register (close_due)
    WHERE state OPERATOR(@extschema@.<) 'closed'::@extschema@.capa_state;
CREATE INDEX register_effectiveness_due_idx ON @extschema@.register (effectiveness_due)
    WHERE state OPERATOR(@extschema@.=) 'implemented'::@extschema@.capa_state;

CREATE FUNCTION @extschema@.capa_escalate("at" timestamptz DEFAULT pg_catalog.now())
    RETURNS SETOF @extschema@.escalation
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp SET jit = off ROWS 10;
COMMENT ON FUNCTION @extschema@.capa_escalate(timestamptz) IS
    'records each escalation of an overdue record or action item due at this moment (once per item, due date, owner and day) and sends NOTIFY capa_events for each; returns the escalations it added';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.escalation', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.escalation_id_seq', '');
REVOKE ALL ON @extschema@.escalation FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.escalation_id_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.capa_escalate(timestamptz) FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON @extschema@.escalation FROM CURRENT_USER;
GRANT SELECT ON @extschema@.escalation TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_escalate(timestamptz) TO capa_admin;

-- [rls] row-level security by organisational unit
--
-- Optional and off by default: capa_rls_enable() switches it on.  A record
-- belongs to its org_unit; a role reads (policies below) and acts (the
-- triggers, src/org_unit.c) on the records of the units capa.org_unit_access
-- grants to a role it is a member of, and on records without a unit.
-- capa_admin members, superusers and BYPASSRLS roles see every unit.  The
-- KPI views run with the caller's privileges, so their rollup rows (kept
-- per org unit) follow the same policies.
-- Roles are kept by OID (regrole): a renamed role keeps its units, and a
-- dropped role's grants do not pass to a later role of the same name.
CREATE TABLE @extschema@.org_unit_access (
    role_name   pg_catalog.regrole NOT NULL,
    org_unit    text NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    granted_by  name NOT NULL DEFAULT CURRENT_USER,
    PRIMARY KEY (role_name, org_unit)
);
COMMENT ON TABLE @extschema@.org_unit_access IS
    'which roles (and their members) read and act on the records of an org unit, once capa_rls_enable() has switched row-level security on';
-- Only grants to roles that still exist are dumped: a dropped role's grant
-- holds a bare OID, which a restore into another cluster (pg_dumpall) would
-- read back as whichever role has that OID there.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.org_unit_access',
    'WHERE EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) role_name::pg_catalog.oid)');

-- Evaluated once per query (as a scalar subquery in the policies): the
-- caller's units, and whether it sees them all
CREATE FUNCTION @extschema@.capa_org_units_visible() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $units$
    SELECT COALESCE(pg_catalog.array_agg(DISTINCT a.org_unit), '{}')
    FROM @extschema@.org_unit_access a
    JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.role_name::pg_catalog.oid
    WHERE pg_catalog.pg_has_role(r.oid, 'MEMBER')
$units$;
COMMENT ON FUNCTION @extschema@.capa_org_units_visible() IS
    'the org units the current role reads and acts on (capa.org_unit_access, through role membership)';
CREATE FUNCTION @extschema@.capa_org_units_all() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $all$
    SELECT pg_catalog.pg_has_role('capa_admin', 'MEMBER')
        OR (SELECT r.rolbypassrls OR r.rolsuper FROM pg_catalog.pg_roles r
            WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
$all$;
COMMENT ON FUNCTION @extschema@.capa_org_units_all() IS
    'true if the current role sees every org unit: capa_admin members, superusers, BYPASSRLS roles';

CREATE POLICY capa_org_unit ON @extschema@.register FOR SELECT
    USING (org_unit IS NULL OR (SELECT @extschema@.capa_org_units_all())
           OR org_unit OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.capa_org_units_visible())::text[]));
-- the rows of a record follow its record
CREATE POLICY capa_org_unit ON @extschema@.action FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all())
           OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) capa_id));
CREATE POLICY capa_org_unit ON @extschema@.audit FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all())
           OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) record_id));
CREATE POLICY capa_org_unit ON @extschema@.link FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all())
           OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) capa_id));
CREATE POLICY capa_org_unit ON @extschema@.escalation FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all())
           OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) record_id));
-- the KPI rollup is kept per org unit
CREATE POLICY capa_org_unit ON @extschema@.kpi_rollup FOR SELECT
    USING (org_unit IS NULL OR (SELECT @extschema@.capa_org_units_all())
           OR org_unit OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.capa_org_units_visible())::text[]));
CREATE POLICY capa_org_unit ON @extschema@.kpi_close_days FOR SELECT
    USING (org_unit IS NULL OR (SELECT @extschema@.capa_org_units_all())
           OR org_unit OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.capa_org_units_visible())::text[]));
CREATE POLICY capa_org_unit ON @extschema@.kpi_action_due FOR SELECT
    USING (org_unit IS NULL OR (SELECT @extschema@.capa_org_units_all())
           OR org_unit OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.capa_org_units_visible())::text[]));
-- review snapshots hold the open items of every unit: for those who see all
CREATE POLICY capa_org_unit ON @extschema@.review_snapshot FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all()));

-- The tables the switch covers, in one place
CREATE FUNCTION @extschema@.capa_rls_tables() RETURNS regclass[]
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $tables$
    SELECT ARRAY['@extschema@.register', '@extschema@.action', '@extschema@.audit', '@extschema@.link',
                 '@extschema@.escalation',
                 '@extschema@.kpi_rollup', '@extschema@.kpi_close_days', '@extschema@.kpi_action_due',
                 '@extschema@.review_snapshot']::regclass[]
$tables$;

CREATE FUNCTION @extschema@.capa_rls_enable() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $enable$
DECLARE
    t regclass;
BEGIN
    FOREACH t IN ARRAY @extschema@.capa_rls_tables() LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$enable$;
COMMENT ON FUNCTION @extschema@.capa_rls_enable() IS
    'switches row-level security by org unit on: roles read and act only on the records of the units capa.org_unit_access grants them (and of no unit)';
CREATE FUNCTION @extschema@.capa_rls_disable() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $disable$
DECLARE
    t regclass;
BEGIN
    FOREACH t IN ARRAY @extschema@.capa_rls_tables() LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$disable$;
COMMENT ON FUNCTION @extschema@.capa_rls_disable() IS 'switches row-level security by org unit off again';

REVOKE ALL ON FUNCTION @extschema@.capa_rls_enable(), @extschema@.capa_rls_disable(),
    @extschema@.capa_rls_tables(), @extschema@.capa_org_units_visible(),
    @extschema@.capa_org_units_all() FROM PUBLIC;
GRANT SELECT ON @extschema@.org_unit_access TO capa_reader;
GRANT INSERT (role_name, org_unit), DELETE ON @extschema@.org_unit_access TO capa_admin;
GRANT EXECUTE ON FUNCTION @extschema@.capa_org_units_visible(), @extschema@.capa_org_units_all(),
    @extschema@.capa_rls_tables() TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_rls_enable(), @extschema@.capa_rls_disable() TO capa_admin;

-- [replication] the KPI rollup can be published for logical replication
-- (README: Replicas).  The triggers update capa.kpi_rollup,
-- capa.kpi_close_days and capa.kpi_action_due in place (and
-- capa_kpi_compact and capa_kpi_rebuild delete from them); a table in a
-- publication that publishes UPDATE or DELETE needs a replica identity, or
-- every such statement on the primary fails with 55000 ("cannot update
-- table ... does not have a replica identity and publishes updates"), and
-- with it every lifecycle step.  Their unique keys cannot be the identity
-- (org_unit is nullable, NULLS NOT DISTINCT), so the whole old row is.  A
-- catalog change only: no row is rewritten.
ALTER TABLE @extschema@.kpi_rollup REPLICA IDENTITY FULL;
ALTER TABLE @extschema@.kpi_close_days REPLICA IDENTITY FULL;
ALTER TABLE @extschema@.kpi_action_due REPLICA IDENTITY FULL;

-- [performance] the comparison and hash functions of capa_state,
-- capa_severity and capa_ref call core's int2/int8 functions through C
-- entry points of capa.so (src/compare.c) instead of LANGUAGE internal
-- aliases: fmgr looks an alias up by name, a linear search over every
-- built-in function, each time a plan, a scan key or an index predicate
-- sets up a call.  Same results bit for bit: indexes stay valid, no row
-- is touched.
CREATE OR REPLACE FUNCTION @extschema@.capa_state_eq(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_state_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_state_ne(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_state_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_state_lt(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_state_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_state_le(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_state_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_state_gt(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_state_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_state_ge(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_state_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_state_cmp(@extschema@.capa_state, @extschema@.capa_state) RETURNS integer
    AS 'MODULE_PATHNAME', 'capa_state_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_state_hash(@extschema@.capa_state) RETURNS integer
    AS 'MODULE_PATHNAME', 'capa_state_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_state_hash_extended(@extschema@.capa_state, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'capa_state_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_severity_eq(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_severity_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_severity_ne(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_severity_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_severity_lt(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_severity_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_severity_le(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_severity_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_severity_gt(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_severity_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_severity_ge(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_severity_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_severity_cmp(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS integer
    AS 'MODULE_PATHNAME', 'capa_severity_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_severity_hash(@extschema@.capa_severity) RETURNS integer
    AS 'MODULE_PATHNAME', 'capa_severity_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_severity_hash_extended(@extschema@.capa_severity, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'capa_severity_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_ref_eq(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_ref_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_ref_ne(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_ref_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_ref_lt(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_ref_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_ref_le(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_ref_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_ref_gt(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_ref_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_ref_ge(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_ref_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_ref_cmp(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS integer
    AS 'MODULE_PATHNAME', 'capa_ref_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_ref_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'capa_ref_sortsupport' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.capa_ref_hash(@extschema@.capa_ref) RETURNS integer
    AS 'MODULE_PATHNAME', 'capa_ref_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_ref_hash_extended(@extschema@.capa_ref, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'capa_ref_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.capa_ref_smaller(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS @extschema@.capa_ref
    AS 'MODULE_PATHNAME', 'capa_ref_smaller' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.capa_ref_larger(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS @extschema@.capa_ref
    AS 'MODULE_PATHNAME', 'capa_ref_larger' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- [privileges] revoke from PUBLIC whatever this version adds
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
