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

-- [privileges] revoke from PUBLIC whatever this version adds
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
