-- capa install script, part 45: governed change -- reassign, reschedule,
-- amend, cancel an action item -- and re-analysis, the effectiveness
-- window's waiver and the extent-of-condition finding.

--
-- Governed change (issue 14, item 1).  A record or an action item changes
-- without a step of its path only as a governed change (src/lifecycle/rules.c,
-- capa_changes): in the states and by the roles rules.c names, one kind per
-- statement, with a non-blank reason (the function's argument; for a plain
-- UPDATE by a role a DBA granted UPDATE to, the setting capa.reason: SET
-- LOCAL capa.reason = '...'), audited as its own step whose "changed" holds
-- the new values, "previous" (the values replaced) and "reason".  Audit
-- rows keep their encoding: the reason is inside the hashed jsonb.
-- capa_cancel also takes planned and implemented records (duplicates found
-- late), capa_admin only.
--
CREATE FUNCTION @extschema@.capa_reassign(id @extschema@.capa_ref, owner text, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_reassign(@extschema@.capa_ref, text, text) IS
    'a new owner for a record not closed or cancelled, with a reason; counted in reassign_count';

CREATE FUNCTION @extschema@.capa_reassign_action(action_id bigint, owner text, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_reassign_action(bigint, text, text) IS
    'a new owner for an action item not done or cancelled, of a record open through planned, with a reason';

CREATE FUNCTION @extschema@.capa_reschedule(id @extschema@.capa_ref, due_kind text, due timestamptz, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_reschedule(@extschema@.capa_ref, text, timestamptz, text) IS
    'moves the contain (open corrective record), close or effectiveness (implemented record) due date, with a reason; the first due date stays in original_<kind>_due; counted in reschedule_count';

CREATE FUNCTION @extschema@.capa_reschedule_action(action_id bigint, due date, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_reschedule_action(bigint, date, text) IS
    'moves an action item''s due date, with a reason; the first stays in original_due';

CREATE FUNCTION @extschema@.capa_amend(id @extschema@.capa_ref, field text, value text, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_amend(@extschema@.capa_ref, text, text, text) IS
    'corrects the title, the description, the finding''s facts (detected_at, requirement, grade, objective_evidence) or the text of a step already taken while the record is not closed or cancelled, with a reason; the old value stays in the trail';

CREATE FUNCTION @extschema@.capa_cancel_action(action_id bigint, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_cancel_action(bigint, text) IS
    'an action item not needed any more: stays visible as cancelled, with its reason, and is not counted by capa_plan and capa_implement';

-- Re-analysis (issue 14, item 3): an ineffective verification whose cause
-- was the analysis, or a plan found to rest on a wrong analysis, sends the
-- record back to analysed with its analysis cleared (the trail keeps it);
-- capa_analyse then records the new one.  capa_verify keeps its three
-- argument form; the four-argument one adds reanalyse.
CREATE FUNCTION @extschema@.capa_verify(id @extschema@.capa_ref, effective boolean, evidence text, reanalyse boolean)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME', 'capa_verify' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_verify(@extschema@.capa_ref, boolean, text, boolean) IS
    '10.2 d as capa_verify(id, effective, evidence); with effective => false and reanalyse => true the record goes back to analysed (corrective, preventive): the root cause was wrong, capa_analyse records the new one (counted in reanalyse_count)';
CREATE FUNCTION @extschema@.capa_reanalyse(id @extschema@.capa_ref, reason text)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_reanalyse(@extschema@.capa_ref, text) IS
    'planned -> analysed before implementation, with a reason, by the owner or capa_admin: the analysis is cleared for capa_analyse (counted in reanalyse_count)';

-- Effectiveness window (issue 14, item 5): the severity policy may give
-- the action time to show its effect (effectiveness_after: at most its
-- effectiveness_within, so the check is never due before the window ends);
-- capa_verify(effective => true) before implemented_at + effectiveness_after
-- is refused (55000); capa_admin may waive it for one record, with a reason.
CREATE FUNCTION @extschema@.capa_waive_window(id @extschema@.capa_ref, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_waive_window(@extschema@.capa_ref, text) IS
    'capa_admin: the implemented record may be verified effective now, before its effectiveness window ends, with a reason (audited as waive_window)';
GRANT EXECUTE ON FUNCTION @extschema@.capa_waive_window(@extschema@.capa_ref, text) TO capa_admin;

-- Extent of condition in two parts (issue 14, item 4): what will be checked
-- (extent_of_condition, at analysis) and what was found (extent_found, once
-- known, before the verification); capa_conformance item b needs both by
-- then for a corrective record.
CREATE FUNCTION @extschema@.capa_extent_found(id @extschema@.capa_ref, found text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_extent_found(@extschema@.capa_ref, text) IS
    'what the extent-of-condition check found, recorded while the record is analysed, planned or implemented (corrective, preventive), by the owner or capa_admin; again to complete it (the trail keeps each)';

-- Editors make governed changes (rules.c decides which states and whose
-- records); the verifier may also correct their own verification evidence
GRANT EXECUTE ON FUNCTION
    @extschema@.capa_reassign(@extschema@.capa_ref, text, text),
    @extschema@.capa_reassign_action(bigint, text, text),
    @extschema@.capa_reschedule(@extschema@.capa_ref, text, timestamptz, text),
    @extschema@.capa_reschedule_action(bigint, date, text),
    @extschema@.capa_amend(@extschema@.capa_ref, text, text, text),
    @extschema@.capa_cancel_action(bigint, text)
    TO capa_editor;
GRANT EXECUTE ON FUNCTION @extschema@.capa_amend(@extschema@.capa_ref, text, text, text) TO capa_verifier;
GRANT EXECUTE ON FUNCTION @extschema@.capa_verify(@extschema@.capa_ref, boolean, text, boolean) TO capa_verifier;
GRANT EXECUTE ON FUNCTION @extschema@.capa_reanalyse(@extschema@.capa_ref, text) TO capa_editor;
GRANT EXECUTE ON FUNCTION @extschema@.capa_extent_found(@extschema@.capa_ref, text) TO capa_editor;
