-- capa install script, part 75: intake (a new row of the user's findings or
-- incidents table opens a record) and escalation of overdue records and
-- action items, announced on capa_events.

--
-- Intake: a new row of the user's findings or incidents table opens a
-- record (src/integration/intake.c).  One C trigger function, attached by capa_intake() as
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
-- nobody writes the tables.  A condition has at most 1,000 predicates,
-- 1,000 constants and 100 levels of parentheses and NOT, a map at most
-- 1,000 entries (54000 beyond; src/integration/intake_condition.c, intake_mapping.c).
-- A partition made or attached later gets a copy of the intake's trigger,
-- which PostgreSQL makes only for a role that may execute the trigger
-- function: capa_admin may (a role that maintains the table's partitions
-- otherwise needs the same grant, README capa_intake).  The function
-- refuses to run for any table but its intake's.
GRANT SELECT ON @extschema@.intake_config, @extschema@.intake_failure, @extschema@.intake TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_intake(regclass, text, jsonb, text),
    @extschema@.capa_intake_drop(regclass) TO capa_admin;
GRANT EXECUTE ON FUNCTION @extschema@.capa_intake_trigger() TO capa_admin;

--
-- Escalation: capa_escalate(at) records each escalation of an overdue
-- record or action item once, in capa.escalation, and announces it on
-- capa_events (C code: src/integration/escalate.c; capa.events says how much a message
-- tells: off, reference or full, src/integration/events.c).  An episode is the escalations of one due date of one
-- item while its due value and owner stay the same; level n is recorded
-- once the episode is n-1 whole days old, so a run every minute adds
-- nothing new within a day, and a moved due date or a new owner starts a
-- new episode at level 1.  Not part of the audit chain: an escalation is a
-- notice about a record, not a change of it.
--
CREATE TABLE @extschema@.escalation (
    id              bigserial PRIMARY KEY,
    capa_id         @extschema@.capa_ref NOT NULL,
    action_id       bigint,
    due_kind        text NOT NULL CHECK (due_kind OPERATOR(pg_catalog.=) ANY (ARRAY['contain', 'close', 'effectiveness', 'action'])),
    due             timestamptz NOT NULL,
    owner           text NOT NULL,
    severity        @extschema@.capa_severity,  -- NULL: an improvement without one (0.5.0)
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
CREATE UNIQUE INDEX escalation_record_key ON @extschema@.escalation (capa_id, due_kind, episode, level)
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
-- items only, not the register.  The predicates are read from the rules,
-- and src/integration/escalate.c writes capa_due_applies('<due>'::text, r.state)
-- exactly so: the planner uses a partial index only for a query whose
-- WHERE clause contains the predicate as written.
CREATE INDEX register_contain_due_idx ON @extschema@.register (contain_due)
    WHERE @extschema@.capa_due_applies('contain'::text, state);
CREATE INDEX register_close_due_idx ON @extschema@.register (close_due)
    WHERE @extschema@.capa_due_applies('close'::text, state);
CREATE INDEX register_effectiveness_due_idx ON @extschema@.register (effectiveness_due)
    WHERE @extschema@.capa_due_applies('effectiveness'::text, state);

CREATE FUNCTION @extschema@.capa_escalate("at" timestamptz DEFAULT pg_catalog.now())
    RETURNS SETOF @extschema@.escalation
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp SET jit = off ROWS 10;
COMMENT ON FUNCTION @extschema@.capa_escalate(timestamptz) IS
    'records each escalation of an overdue record or action item due at this moment (once per item, due date, owner and day) and sends NOTIFY capa_events for each; returns the escalations it added';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.escalation', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.escalation_id_seq', '');
-- its owner may not rewrite an escalation either
REVOKE UPDATE, DELETE, TRUNCATE ON @extschema@.escalation FROM CURRENT_USER;
GRANT SELECT ON @extschema@.escalation TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_escalate(timestamptz) TO capa_admin;
