-- capa install script, part 40: the API's lifecycle steps, one function per
-- step of a record's path (capa_open to capa_reopen), and who may take each.

--
-- The API.  LANGUAGE C functions that run their statement as the owner of
-- these tables and record the caller (see src/api/api.c); search_path pinned.
--
-- The finding's facts (0.5.0) are the last parameters, so every call
-- written for the ten of 0.4.0 means what it meant.
CREATE FUNCTION @extschema@.capa_open(
    title text, description text, severity @extschema@.capa_severity, source text,
    kind text DEFAULT 'corrective', owner text DEFAULT CURRENT_USER,
    priority integer DEFAULT NULL, org_unit text DEFAULT NULL,
    contain_due timestamptz DEFAULT NULL, close_due timestamptz DEFAULT NULL,
    detected_at timestamptz DEFAULT NULL, requirement text DEFAULT NULL,
    grade text DEFAULT NULL, objective_evidence text DEFAULT NULL)
    RETURNS @extschema@.capa_ref
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_open(text, text, @extschema@.capa_severity, text, text, text, integer, text, timestamptz, timestamptz, timestamptz, text, text, text) IS
    'records a nonconformity (corrective), a potential one (preventive) or an opportunity (improvement, severity optional), with the finding''s facts (detected_at, by default now; requirement; grade; objective_evidence); due dates default from the severity policy';

CREATE FUNCTION @extschema@.capa_contain(id @extschema@.capa_ref, containment text, consequences text)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_contain(@extschema@.capa_ref, text, text) IS
    '10.2 a: the containment or correction taken and how the consequences were dealt with; open -> contained';

CREATE FUNCTION @extschema@.capa_analyse(id @extschema@.capa_ref, root_cause text, method text,
    extent_of_condition text DEFAULT NULL, cause_category text DEFAULT NULL,
    action_required boolean DEFAULT true, justification text DEFAULT NULL,
    why_chain text[] DEFAULT NULL, related @extschema@.capa_ref[] DEFAULT NULL)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_analyse(@extschema@.capa_ref, text, text, text, text, boolean, text, text[], @extschema@.capa_ref[]) IS
    '10.2 b: root cause, method, extent of condition (required for corrective), cause category, why-chain, related records; and whether action is required (if not, the justification)';

CREATE FUNCTION @extschema@.capa_add_action(id @extschema@.capa_ref, description text, owner text, due date)
    RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_add_action(@extschema@.capa_ref, text, text, date) IS
    '10.2 c: adds an action item with its owner and due date; returns its id';

CREATE FUNCTION @extschema@.capa_complete_action(action_id bigint, evidence text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_complete_action(bigint, text) IS
    'marks an action item done, with the evidence; completion is final';

CREATE FUNCTION @extschema@.capa_plan(id @extschema@.capa_ref)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_plan(@extschema@.capa_ref) IS
    '-> planned: needs at least one action item (and, after an analysis, that action is required)';

CREATE FUNCTION @extschema@.capa_implement(id @extschema@.capa_ref)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_implement(@extschema@.capa_ref) IS
    'planned -> implemented: every action item done; the effectiveness check falls due per the severity policy';

CREATE FUNCTION @extschema@.capa_verify(id @extschema@.capa_ref, effective boolean, evidence text)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_verify(@extschema@.capa_ref, boolean, text) IS
    '10.2 d: effective -> verified; not effective -> planned (counted). The verifier owns neither the record nor its actions';

CREATE FUNCTION @extschema@.capa_close(id @extschema@.capa_ref, isms_changes text)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_close(@extschema@.capa_ref, text) IS
    '10.2 e: the ISMS changes made (or why none); verified -> closed, or analysed -> closed when the analysis justified no action';

CREATE FUNCTION @extschema@.capa_cancel(id @extschema@.capa_ref, reason text)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_cancel(@extschema@.capa_ref, text) IS
    'open, contained or analysed -> cancelled, with a reason; planned or implemented -> cancelled (a duplicate found late) by capa_admin only';

CREATE FUNCTION @extschema@.capa_reopen(id @extschema@.capa_ref, reason text)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_reopen(@extschema@.capa_ref, text) IS
    'closed -> open, with a reason; the history stays and the reopen is counted';

CREATE FUNCTION @extschema@.capa_next_states(id @extschema@.capa_ref)
    RETURNS @extschema@.capa_state[]
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_next_states(@extschema@.capa_ref) IS
    'the states the record''s path allows next, for a user interface';

-- Readers see the next steps; editors work a record through implementation;
-- verifiers check effectiveness, close and reopen; capa_admin cancels.
GRANT EXECUTE ON FUNCTION @extschema@.capa_next_states(@extschema@.capa_ref) TO capa_reader;

GRANT EXECUTE ON FUNCTION
    @extschema@.capa_open(text, text, @extschema@.capa_severity, text, text, text, integer, text, timestamptz, timestamptz, timestamptz, text, text, text),
    @extschema@.capa_contain(@extschema@.capa_ref, text, text),
    @extschema@.capa_analyse(@extschema@.capa_ref, text, text, text, text, boolean, text, text[], @extschema@.capa_ref[]),
    @extschema@.capa_add_action(@extschema@.capa_ref, text, text, date),
    @extschema@.capa_complete_action(bigint, text),
    @extschema@.capa_plan(@extschema@.capa_ref),
    @extschema@.capa_implement(@extschema@.capa_ref)
    TO capa_editor;

GRANT EXECUTE ON FUNCTION
    @extschema@.capa_verify(@extschema@.capa_ref, boolean, text),
    @extschema@.capa_close(@extschema@.capa_ref, text),
    @extschema@.capa_reopen(@extschema@.capa_ref, text)
    TO capa_verifier;

GRANT EXECUTE ON FUNCTION @extschema@.capa_cancel(@extschema@.capa_ref, text) TO capa_admin;
