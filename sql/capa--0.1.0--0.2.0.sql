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

-- [rls] row-level security by organisational unit

-- [privileges] revoke from PUBLIC whatever this version adds
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
