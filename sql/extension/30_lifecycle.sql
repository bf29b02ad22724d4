-- capa install script, part 30: the lifecycle -- the triggers that enforce
-- it on the register and its action items and keep the audit trail
-- append-only, and the lifecycle facts src/lifecycle/rules.c exposes to SQL.

--
-- Triggers
--
CREATE FUNCTION @extschema@.capa_register_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.capa_register_trigger() IS 'enforces the lifecycle of capa.register and writes its audit rows';
CREATE TRIGGER capa_lifecycle BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.register
    FOR EACH ROW EXECUTE FUNCTION @extschema@.capa_register_trigger();

CREATE FUNCTION @extschema@.capa_action_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.capa_action_trigger() IS 'enforces the rules of capa.action and writes its audit rows';
CREATE TRIGGER capa_lifecycle BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.action
    FOR EACH ROW EXECUTE FUNCTION @extschema@.capa_action_trigger();

CREATE FUNCTION @extschema@.capa_audit_guard() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.capa_audit_guard() IS 'refuses UPDATE, DELETE and TRUNCATE of capa.audit';
CREATE TRIGGER capa_append_only BEFORE UPDATE OR DELETE ON @extschema@.audit
    FOR EACH ROW EXECUTE FUNCTION @extschema@.capa_audit_guard();
CREATE TRIGGER capa_no_truncate BEFORE TRUNCATE ON @extschema@.audit
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_audit_guard();
ALTER TABLE @extschema@.audit ENABLE ALWAYS TRIGGER capa_append_only;
ALTER TABLE @extschema@.audit ENABLE ALWAYS TRIGGER capa_no_truncate;

CREATE FUNCTION @extschema@.capa_truncate_guard() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.capa_truncate_guard() IS 'refuses TRUNCATE of capa.register and capa.action';
CREATE TRIGGER capa_no_truncate BEFORE TRUNCATE ON @extschema@.register
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_truncate_guard();
CREATE TRIGGER capa_no_truncate BEFORE TRUNCATE ON @extschema@.action
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_truncate_guard();
ALTER TABLE @extschema@.register ENABLE ALWAYS TRIGGER capa_no_truncate;
ALTER TABLE @extschema@.action ENABLE ALWAYS TRIGGER capa_no_truncate;

--
-- The lifecycle facts in one place.  Every lifecycle rule is in src/lifecycle/rules.c's
-- one table: capa_lifecycle() and capa_changes() show its edges and its
-- governed changes.  The views, reports, partial indexes and escalation
-- read the facts they need from it through the small functions below
-- instead of spelling states out: whether a record is open (being worked),
-- which due dates are due in which state (the overdue rule), whether a
-- kind's path has a step (containment for corrective records only), what a
-- step requires.  test/pgtap/46_facts.sql checks them against
-- capa_lifecycle() and capa_changes().  IMMUTABLE: they change with the
-- library, that is with a new version of capa.
--
CREATE FUNCTION @extschema@.capa_lifecycle()
    RETURNS TABLE (kind text, from_state text, to_state text, step text, requires text[],
                   may_record text[], conditions text[], clears text[], roles text[], needs_reason boolean)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_lifecycle() IS
    'the lifecycle as capa enforces it (src/lifecycle/rules.c): one row per allowed step and kind, with what it requires, may record, checks, clears, and who may take it (empty roles: whoever may run its statement)';
CREATE FUNCTION @extschema@.capa_changes()
    RETURNS TABLE (change text, states text[], kinds text[], roles text[], needs_reason boolean)
    AS 'MODULE_PATHNAME', 'capa_governed_changes' LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_changes() IS
    'the governed changes (src/lifecycle/rules.c): in which states of the record, for which kinds, by whom (owner: a capa_editor acting for the owner), and whether they need a reason';
CREATE FUNCTION @extschema@.capa_state_ended(state @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_state_ended(@extschema@.capa_state) IS
    'closed or cancelled: the record has ended (src/lifecycle/rules.c)';
CREATE FUNCTION @extschema@.capa_state_actions_open(state @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_state_actions_open(@extschema@.capa_state) IS
    'action items may be added, changed and completed in this state (src/lifecycle/rules.c)';
CREATE VIEW @extschema@.lifecycle WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.capa_lifecycle();
COMMENT ON VIEW @extschema@.lifecycle IS 'capa_lifecycle(): the lifecycle as capa enforces it';
GRANT EXECUTE ON FUNCTION @extschema@.capa_lifecycle(), @extschema@.capa_changes(),
    @extschema@.capa_state_ended(@extschema@.capa_state),
    @extschema@.capa_state_actions_open(@extschema@.capa_state) TO capa_reader;
GRANT SELECT ON @extschema@.lifecycle TO capa_reader;

-- No SET search_path on these, unlike capa_lifecycle(): they look no name
-- up, and they run once per row in partial index predicates and the KPI
-- views, where a SET clause would cost a GUC save and restore per call.
-- NULL in, NULL out (not declared STRICT: no lifecycle function is).
-- capa_state_open is LEAKPROOF, as capa_state_lt, which it replaces in
-- the open records' predicates, is: it raises no error for any state, so
-- under row-level security the planner may still use it early.  The
-- others refuse an unknown name with an error that shows their argument.
-- The planner's estimate of how many rows capa_state_open and
-- capa_due_applies keep, from the statistics of the state column (without
-- it, a third of the register: src/lifecycle/lifecycle_sql.c says why that matters)
CREATE FUNCTION @extschema@.capa_facts_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.capa_facts_support(internal) IS
    'planner support of capa_state_open and capa_due_applies: their selectivity from the statistics of the state column';
CREATE FUNCTION @extschema@.capa_state_open(state @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE LEAKPROOF
    SUPPORT @extschema@.capa_facts_support;
COMMENT ON FUNCTION @extschema@.capa_state_open(@extschema@.capa_state) IS
    'the record is being worked: not closed or cancelled (src/lifecycle/rules.c); what the KPIs count as open';
CREATE FUNCTION @extschema@.capa_due_applies(due text, state @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE
    SUPPORT @extschema@.capa_facts_support;
COMMENT ON FUNCTION @extschema@.capa_due_applies(text, @extschema@.capa_state) IS
    'due date due (contain, close, effectiveness) is due in this state (src/lifecycle/rules.c, capa_dues): a record in it is overdue once past that date; its due date may be rescheduled';
CREATE FUNCTION @extschema@.capa_overdue(state @extschema@.capa_state, contain_due timestamptz,
                                        close_due timestamptz, effectiveness_due timestamptz,
                                        "at" timestamptz) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.capa_overdue(@extschema@.capa_state, timestamptz, timestamptz, timestamptz, timestamptz) IS
    'a record in this state with these due dates is overdue at "at": past one of the due dates that is due in its state (capa_due_applies); a NULL due date is never past';
CREATE FUNCTION @extschema@.capa_kind_has_step(kind text, step text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.capa_kind_has_step(text, text) IS
    'the path of this kind has this step (src/lifecycle/rules.c): contain for corrective records only, analyse for corrective and preventive ones';
CREATE FUNCTION @extschema@.capa_step_requires(kind text, step text) RETURNS text[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.capa_step_requires(text, text) IS
    'the evidence columns every such step of this kind''s path requires, whichever state it starts from (src/lifecycle/rules.c); NULL when the kind has no such step';
-- every role that writes the register is a reader: it evaluates the
-- partial indexes' predicates (register_open_kpi_idx and the due dates')
GRANT EXECUTE ON FUNCTION @extschema@.capa_state_open(@extschema@.capa_state),
    @extschema@.capa_due_applies(text, @extschema@.capa_state),
    @extschema@.capa_overdue(@extschema@.capa_state, timestamptz, timestamptz, timestamptz, timestamptz),
    @extschema@.capa_kind_has_step(text, text), @extschema@.capa_step_requires(text, text) TO capa_reader;

-- Blank text, one rule (src/common/text_blank.c; capa_text_blank() in C): Unicode
-- White_Space and the invisible format characters in a UTF-8 database,
-- ASCII whitespace in others.  Every required text is judged by it.
CREATE FUNCTION @extschema@.capa_blank(value text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.capa_blank(text) IS
    'whether text is empty or shows nothing (Unicode White_Space, every Default_Ignorable_Code_Point such as U+00AD, U+200B-U+200F, U+2060, U+3164, U+FEFF, U+180E, and U+2800; ASCII whitespace in a database that is not UTF-8): the rule capa applies to every required text';
GRANT EXECUTE ON FUNCTION @extschema@.capa_blank(text) TO capa_reader;
