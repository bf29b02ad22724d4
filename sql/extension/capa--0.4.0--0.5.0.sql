-- capa 0.4.0 -> 0.5.0: what the certification auditor samples.
--
-- The finding's facts (when it was found, the requirement not met, its
-- grade, what was seen), evidence items in the record's hash chain,
-- sign-offs with a meaning, recurrence found through links, and the
-- evidence pack and report that show them.  Each part is a section of its
-- own below, in the order of the topic files that define the same objects
-- (sql/extension/NN_*.sql; docs/layout.md, "Changing the extension's SQL").
-- Nothing hashed changes: new register columns come after chain_head and
-- are encoded only when not NULL (docs/audit-chain.md), so every row and
-- digest written before verifies as it did.

\echo Use "ALTER EXTENSION capa UPDATE TO '0.5.0'" to load this file. \quit

-- [facts] the finding's facts
--
-- Issue 17, item 3 (src/lifecycle/facts.c).  The finding's facts are four
-- register columns after owner_role, NULL on every row written before, so
-- those rows hash as they did: detected_at (the opening unless given,
-- never later), requirement, grade (a code of the new lookup capa.grade)
-- and objective_evidence, given to capa_open (four parameters at its end)
-- and corrected by capa_amend.  An improvement may have no severity
-- (register_severity_check; the trigger refuses first, 23502), and then no
-- due date from the severity policy; an escalation of it has none either.
-- capa_conformance item f names the facts and shows those recorded.
CREATE TABLE @extschema@.grade (
    code        text PRIMARY KEY CHECK (code OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*$'),
    label       text NOT NULL,
    builtin     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.grade IS 'grades of a finding as an audit states them (register.grade), apart from its severity; capa_admin may add rows';
INSERT INTO @extschema@.grade (code, label, builtin) VALUES
    ('major_nc', 'Major nonconformity', true),
    ('minor_nc', 'Minor nonconformity', true),
    ('observation', 'Observation', true),
    ('ofi', 'Opportunity for improvement', true);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.grade', 'WHERE NOT builtin');
GRANT SELECT ON @extschema@.grade TO capa_reader;
GRANT INSERT (code, label) ON @extschema@.grade TO capa_admin;

ALTER TABLE @extschema@.register
    ALTER COLUMN severity DROP NOT NULL,
    ADD COLUMN detected_at timestamptz,
    ADD COLUMN requirement text,
    ADD COLUMN grade text REFERENCES @extschema@.grade (code),
    ADD COLUMN objective_evidence text,
    ADD CONSTRAINT register_severity_check CHECK (
        severity IS NOT NULL OR kind OPERATOR(pg_catalog.=) 'improvement');
COMMENT ON COLUMN @extschema@.register.severity IS
    'how serious the nonconformity is; it sets the due dates by capa.severity_policy; NULL only for an improvement, which then has no due date from the policy';
COMMENT ON COLUMN @extschema@.register.detected_at IS
    'when the finding was detected: the opening unless given, never later (NULL: a record of 0.4.0 or earlier)';
COMMENT ON COLUMN @extschema@.register.requirement IS
    'the requirement not met: the clause, control or policy (e.g. ISO/IEC 27001:2022 A.8.13)';
COMMENT ON COLUMN @extschema@.register.grade IS
    'the finding''s grade as the audit states it (a code of capa.grade: major_nc, minor_nc, observation, ofi, ...), apart from the severity';
COMMENT ON COLUMN @extschema@.register.objective_evidence IS
    'what was seen: the objective evidence of the finding';
ALTER TABLE @extschema@.escalation ALTER COLUMN severity DROP NOT NULL;

-- capa_open with the facts at the end: a new signature, so the old one
-- goes, and its comment and grants are made again as an install makes them
DROP FUNCTION @extschema@.capa_open(text, text, @extschema@.capa_severity, text, text, text, integer, text, timestamptz, timestamptz);
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
REVOKE ALL ON FUNCTION @extschema@.capa_open(text, text, @extschema@.capa_severity, text, text, text, integer, text, timestamptz, timestamptz, timestamptz, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.capa_open(text, text, @extschema@.capa_severity, text, text, text, integer, text, timestamptz, timestamptz, timestamptz, text, text, text) TO capa_editor;

COMMENT ON FUNCTION @extschema@.capa_amend(@extschema@.capa_ref, text, text, text) IS
    'corrects the title, the description, the finding''s facts (detected_at, requirement, grade, objective_evidence) or the text of a step already taken while the record is not closed or cancelled, with a reason; the old value stays in the trail';

-- item f of the checklist names the facts and shows those recorded
CREATE OR REPLACE FUNCTION @extschema@.capa_conformance(id @extschema@.capa_ref)
    RETURNS TABLE (item text, requirement text, status text, evidence text, fields text[],
                   action_ids bigint[], audit_seq bigint[], recorded_by name,
                   recorded_at timestamptz, detail text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $conformance$
DECLARE
    r           @extschema@.register;
    src         jsonb;      -- field -> {seq, by, at} of the latest audit row that wrote it (not NULL)
    cancelled   boolean;
    why_cancel  text;
    no_action   boolean;
    n_actions   integer;
    n_done      integer;
    act_ids     bigint[];
    act_text    text;
    act_seqs    bigint[];
    verify_seqs bigint[];
    all_seqs    bigint[];
    n_chains    integer;
    first_by    name;
    first_at    timestamptz;
    problems    text;
    n_problems  integer;
    verifier_owns boolean;
    v_login     text;
    v_app       text;
    act_owners  text;
    act_done    text;
    f           text[];
    rj          jsonb;      -- the record as jsonb: its evidence by column name
    needs       text[];     -- the columns a step requires (src/lifecycle/rules.c)
    missing     text[];     -- those of them not recorded
BEGIN
    IF capa_conformance.id IS NULL THEN
        RAISE EXCEPTION 'capa record reference must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT g.* INTO r FROM @extschema@.register g
     WHERE g.id OPERATOR(@extschema@.=) capa_conformance.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'capa record % does not exist', capa_conformance.id USING ERRCODE = 'undefined_object';
    END IF;

    SELECT pg_catalog.jsonb_object_agg(x.key, pg_catalog.jsonb_build_object('seq', x.seq, 'by', x.actor, 'at', x.at))
      INTO src
      FROM (SELECT DISTINCT ON (e.key) e.key, a.seq, a.actor, a.at
              FROM @extschema@.audit a, pg_catalog.jsonb_each(a.changed) e
             WHERE a.capa_id OPERATOR(@extschema@.=) r.id AND a.action_id IS NULL
               AND e.value OPERATOR(pg_catalog.<>) 'null'::jsonb
             ORDER BY e.key, a.seq DESC) x;
    src := COALESCE(src, '{}'::jsonb);

    rj := pg_catalog.to_jsonb(r);
    cancelled := r.state OPERATOR(@extschema@.=) 'cancelled'::@extschema@.capa_state;
    why_cancel := 'the record was cancelled before this step: ' OPERATOR(pg_catalog.||)
                  COALESCE(pg_catalog.left(r.cancel_reason, 200), '');
    no_action := r.action_required IS FALSE;

    -- a cancelled action item is listed as such and not counted
    SELECT pg_catalog.count(*) FILTER (WHERE a.cancelled_at IS NULL), pg_catalog.count(*) FILTER (WHERE a.done),
           pg_catalog.array_agg(a.id ORDER BY a.id),
           pg_catalog.string_agg(pg_catalog.format('#%s (%s): %s', a.id, a.owner,
                                 CASE WHEN a.cancelled_at IS NOT NULL
                                      THEN 'cancelled: ' OPERATOR(pg_catalog.||) COALESCE(pg_catalog.left(a.cancel_reason, 200), '')
                                      ELSE COALESCE(pg_catalog.left(a.evidence, 200), 'not done') END), '; ' ORDER BY a.id)
      INTO n_actions, n_done, act_ids, act_text
      FROM @extschema@.action a WHERE a.capa_id OPERATOR(@extschema@.=) r.id;
    -- each action item's completion (done is final: one row per item)
    SELECT pg_catalog.array_agg(a.seq ORDER BY a.seq) INTO act_seqs
      FROM @extschema@.audit a
     WHERE a.capa_id OPERATOR(@extschema@.=) r.id AND a.action_id IS NOT NULL
       AND (a.changed OPERATOR(pg_catalog.->) 'done') OPERATOR(pg_catalog.=) 'true'::jsonb;
    -- every effectiveness review, ineffective ones included
    SELECT pg_catalog.array_agg(a.seq ORDER BY a.seq) INTO verify_seqs
      FROM @extschema@.audit a
     WHERE a.capa_id OPERATOR(@extschema@.=) r.id AND a.action_id IS NULL
       AND (a.changed OPERATOR(pg_catalog.->) 'effective') OPERATOR(pg_catalog.<>) 'null'::jsonb;
    SELECT pg_catalog.array_agg(a.seq ORDER BY a.seq),
           pg_catalog.count(DISTINCT COALESCE(a.action_id, 0)),
           (pg_catalog.array_agg(a.actor ORDER BY a.seq))[1],
           (pg_catalog.array_agg(a.at ORDER BY a.seq))[1]
      INTO all_seqs, n_chains, first_by, first_at
      FROM @extschema@.audit a WHERE a.capa_id OPERATOR(@extschema@.=) r.id;
    SELECT pg_catalog.count(*), pg_catalog.string_agg(DISTINCT v.problem, ', ')
      INTO n_problems, problems
      FROM @extschema@.capa_audit_verify(record => r.id) v;

    -- a) react: control and correct it, deal with the consequences
    item := 'a';
    requirement := 'react to the nonconformity: take action to control and correct it, and deal with the consequences';
    -- what capa_contain requires (src/lifecycle/rules.c, [facts]); only a
    -- corrective record is contained
    fields := @extschema@.capa_step_requires(r.kind, 'contain');
    missing := ARRAY(SELECT x FROM pg_catalog.unnest(fields) x
                      WHERE COALESCE(pg_catalog.jsonb_typeof(rj OPERATOR(pg_catalog.->) x), 'null') OPERATOR(pg_catalog.=) 'null'
                         OR (pg_catalog.jsonb_typeof(rj OPERATOR(pg_catalog.->) x) OPERATOR(pg_catalog.=) 'string'
                             AND @extschema@.capa_blank(rj OPERATOR(pg_catalog.->>) x)));
    action_ids := NULL;
    IF NOT @extschema@.capa_kind_has_step(r.kind, 'contain') THEN
        status := 'not_applicable';
        evidence := NULL; fields := NULL; audit_seq := NULL; recorded_by := NULL; recorded_at := NULL;
        detail := CASE r.kind WHEN 'preventive' THEN 'a preventive record: no nonconformity has occurred'
                  ELSE 'an improvement (10.1): no nonconformity has occurred' END;
    ELSIF missing OPERATOR(pg_catalog.=) '{}'::text[] THEN
        status := 'met';
        evidence := pg_catalog.format('containment: %s; consequences: %s',
                                      pg_catalog.left(r.containment, 200), pg_catalog.left(r.consequences, 200));
        detail := 'contained by ' OPERATOR(pg_catalog.||) r.contained_by::text;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL;
        detail := CASE WHEN cancelled THEN why_cancel ELSE 'awaiting capa_contain' END;
    END IF;
    IF status OPERATOR(pg_catalog.=) 'met' THEN
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x;
    ELSE
        audit_seq := NULL;
    END IF;
    recorded_by := (src OPERATOR(pg_catalog.->) 'contained_at' OPERATOR(pg_catalog.->>) 'by')::name;
    recorded_at := (src OPERATOR(pg_catalog.->) 'contained_at' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
    IF status OPERATOR(pg_catalog.<>) 'met' THEN recorded_by := NULL; recorded_at := NULL; END IF;
    RETURN NEXT;

    -- b) evaluate the need for action: review, causes, similar nonconformities
    item := 'b';
    requirement := 'evaluate the need for action to eliminate the causes: review the nonconformity, determine its causes, and whether similar nonconformities exist or could occur';
    action_ids := NULL;
    f := ARRAY['root_cause', 'rca_method', 'extent_of_condition', 'extent_found', 'cause_category', 'why_chain',
               'related', 'action_required', 'no_action_justification'];
    -- the columns that hold the analysis (once recorded), else those it needs
    fields := ARRAY(SELECT x FROM pg_catalog.unnest(f) WITH ORDINALITY u(x, n)
                     WHERE src OPERATOR(pg_catalog.?) x ORDER BY n);
    -- what capa_analyse requires of this kind (src/lifecycle/rules.c, [facts]):
    -- the extent of condition of a corrective record only; an improvement
    -- is not analysed
    needs := @extschema@.capa_step_requires(r.kind, 'analyse');
    IF fields OPERATOR(pg_catalog.=) '{}'::text[] THEN
        fields := needs;
    END IF;
    missing := ARRAY(SELECT x FROM pg_catalog.unnest(needs) x
                      WHERE COALESCE(pg_catalog.jsonb_typeof(rj OPERATOR(pg_catalog.->) x), 'null') OPERATOR(pg_catalog.=) 'null'
                         OR (pg_catalog.jsonb_typeof(rj OPERATOR(pg_catalog.->) x) OPERATOR(pg_catalog.=) 'string'
                             AND @extschema@.capa_blank(rj OPERATOR(pg_catalog.->>) x)));
    IF NOT @extschema@.capa_kind_has_step(r.kind, 'analyse') THEN
        status := 'not_applicable';
        evidence := NULL; fields := NULL;
        detail := 'an improvement (10.1): no nonconformity whose causes need evaluating';
    ELSIF missing OPERATOR(pg_catalog.=) '{}'::text[]
          AND (r.action_required OR NOT @extschema@.capa_blank(r.no_action_justification))
          -- a corrective record that acts: what the extent check found, by its verification
          AND NOT (r.kind OPERATOR(pg_catalog.=) 'corrective' AND r.action_required
                   AND @extschema@.capa_blank(r.extent_found)) THEN
        status := 'met';
        evidence := pg_catalog.concat_ws('; ',
            'root cause: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.root_cause, 200),
            'method: ' OPERATOR(pg_catalog.||) r.rca_method,
            'extent of condition: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.extent_of_condition, 200),
            'found: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.extent_found, 200),
            'related: ' OPERATOR(pg_catalog.||) pg_catalog.array_to_string(r.related::text[], ', '),
            CASE WHEN r.action_required THEN 'action required'
                 ELSE 'no action required: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.no_action_justification, 200) END);
        detail := 'analysed by ' OPERATOR(pg_catalog.||) r.analysed_by::text;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL;
        detail := CASE WHEN cancelled THEN why_cancel
                       WHEN no_action THEN 'no action required, but the justification is not recorded yet (capa_close records it)'
                       WHEN NOT @extschema@.capa_blank(r.root_cause) AND r.action_required
                            AND r.state OPERATOR(@extschema@.>=) 'verified'::@extschema@.capa_state
                            THEN 'verified without what the extent-of-condition check found (extent_found)'
                       WHEN NOT @extschema@.capa_blank(r.root_cause) AND r.action_required
                            THEN 'awaiting what the extent-of-condition check finds (capa_extent_found), due by the verification'
                       ELSE 'awaiting capa_analyse' END;
        -- past the verification without it: a gap, not something still to come
        IF NOT cancelled AND NOT @extschema@.capa_blank(r.root_cause) AND r.action_required
           AND r.state OPERATOR(@extschema@.>=) 'verified'::@extschema@.capa_state THEN
            status := 'not_met';
        END IF;
    END IF;
    IF status OPERATOR(pg_catalog.=) 'met' THEN
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x;
        SELECT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'by')::name,
               (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'at')::timestamptz
          INTO recorded_by, recorded_at
          FROM pg_catalog.unnest(fields) x
         ORDER BY (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint DESC LIMIT 1;
    ELSE
        audit_seq := NULL; recorded_by := NULL; recorded_at := NULL;
    END IF;
    RETURN NEXT;

    -- c) implement any action needed
    item := 'c';
    requirement := 'implement any action needed';
    IF no_action THEN
        status := 'not_applicable';
        evidence := pg_catalog.left(r.no_action_justification, 200);
        fields := ARRAY['action_required', 'no_action_justification'];
        action_ids := NULL;
        detail := 'the analysis decided that no action is required' OPERATOR(pg_catalog.||)
                  CASE WHEN r.no_action_justification IS NULL THEN ' (justification not recorded yet)' ELSE '' END;
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x WHERE src OPERATOR(pg_catalog.?) x;
        recorded_by := NULL; recorded_at := NULL;
    ELSIF r.state OPERATOR(@extschema@.=) ANY (ARRAY['implemented', 'verified', 'closed']::@extschema@.capa_state[])
          AND n_actions OPERATOR(pg_catalog.>) 0 AND n_done OPERATOR(pg_catalog.=) n_actions THEN
        status := 'met';
        evidence := pg_catalog.format('%s action item(s), all done: %s', n_actions, act_text);
        fields := ARRAY['action.description', 'action.owner', 'action.due', 'action.evidence', 'implemented_at'];
        action_ids := act_ids;
        audit_seq := act_seqs OPERATOR(pg_catalog.||) (src OPERATOR(pg_catalog.->) 'implemented_at' OPERATOR(pg_catalog.->>) 'seq')::bigint;
        recorded_by := (src OPERATOR(pg_catalog.->) 'implemented_at' OPERATOR(pg_catalog.->>) 'by')::name;
        recorded_at := (src OPERATOR(pg_catalog.->) 'implemented_at' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
        detail := 'implemented by ' OPERATOR(pg_catalog.||) r.implemented_by::text;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := CASE WHEN n_actions OPERATOR(pg_catalog.>) 0 THEN act_text END;
        fields := ARRAY['action.description', 'action.owner', 'action.due', 'action.evidence'];
        action_ids := act_ids; audit_seq := act_seqs; recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN cancelled THEN why_cancel
                       WHEN n_actions OPERATOR(pg_catalog.=) 0 THEN 'no action items yet: awaiting capa_add_action'
                       ELSE pg_catalog.format('%s of %s action item(s) done; awaiting capa_implement', n_done, n_actions) END;
    END IF;
    RETURN NEXT;

    -- d) review the effectiveness of any action taken
    item := 'd';
    requirement := 'review the effectiveness of any corrective action taken';
    action_ids := NULL;
    IF no_action THEN
        status := 'not_applicable';
        evidence := pg_catalog.left(r.no_action_justification, 200);
        fields := ARRAY['action_required', 'no_action_justification'];
        detail := 'no action was taken, so there is no effectiveness to review';
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x WHERE src OPERATOR(pg_catalog.?) x;
        recorded_by := NULL; recorded_at := NULL;
    ELSIF r.effective IS TRUE AND NOT @extschema@.capa_blank(r.verification_evidence) THEN
        status := 'met';
        evidence := 'effective: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.verification_evidence, 200);
        fields := @extschema@.capa_step_requires(r.kind, 'verify') OPERATOR(pg_catalog.||) 'verified_by'::text;
        audit_seq := verify_seqs;
        recorded_by := (src OPERATOR(pg_catalog.->) 'verified_at' OPERATOR(pg_catalog.->>) 'by')::name;
        recorded_at := (src OPERATOR(pg_catalog.->) 'verified_at' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
        verifier_owns := r.verified_by::text OPERATOR(pg_catalog.=) r.owner
            OR EXISTS (SELECT FROM @extschema@.action a
                        WHERE a.capa_id OPERATOR(@extschema@.=) r.id
                          AND a.owner OPERATOR(pg_catalog.=) r.verified_by::text);
        -- the identities segregation of duties compared (0.3.0): the
        -- verifier's role, login role and application claim, against the
        -- owners, who completed the action items and who implemented it
        SELECT a.session_actor::text, a.app_user INTO v_login, v_app
          FROM @extschema@.audit a
         WHERE a.capa_id OPERATOR(@extschema@.=) r.id AND a.action_id IS NULL
           AND a.step OPERATOR(pg_catalog.=) 'verify'
         ORDER BY a.seq DESC LIMIT 1;
        SELECT pg_catalog.string_agg(DISTINCT a.owner, ', '), pg_catalog.string_agg(DISTINCT a.done_by::text, ', ')
          INTO act_owners, act_done
          FROM @extschema@.action a WHERE a.capa_id OPERATOR(@extschema@.=) r.id;
        detail := pg_catalog.format('verified by %s, who %s', r.verified_by,
                  CASE WHEN verifier_owns THEN 'owns the record or one of its action items (segregation of duties was off)'
                       ELSE 'owns neither the record nor its action items' END)
                  OPERATOR(pg_catalog.||)
                  CASE WHEN r.ineffective_count OPERATOR(pg_catalog.>) 0
                       THEN pg_catalog.format('; found ineffective %s time(s) before', r.ineffective_count) ELSE '' END
                  OPERATOR(pg_catalog.||)
                  pg_catalog.format('; compared: %s (login %s%s) with the owner %s, the action items'' owners %s, who completed them %s, who implemented it %s',
                                    r.verified_by, COALESCE(v_login, '-'),
                                    CASE WHEN v_app IS NOT NULL THEN ', application user ' OPERATOR(pg_catalog.||) pg_catalog.left(v_app, 200) ELSE '' END,
                                    pg_catalog.left(r.owner, 200), COALESCE(pg_catalog.left(act_owners, 400), '-'),
                                    COALESCE(act_done, '-'), COALESCE(r.implemented_by::text, '-'));
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL; fields := @extschema@.capa_step_requires(r.kind, 'verify') OPERATOR(pg_catalog.||) 'verified_by'::text;
        audit_seq := verify_seqs; recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN cancelled THEN why_cancel
                       WHEN r.ineffective_count OPERATOR(pg_catalog.>) 0 AND r.effective IS FALSE
                       THEN pg_catalog.format('the last review found the action ineffective (%s time(s)): new action, then capa_verify', r.ineffective_count)
                       ELSE 'awaiting capa_verify' END;
    END IF;
    RETURN NEXT;

    -- e) make changes to the ISMS, if necessary
    item := 'e';
    requirement := 'make changes to the information security management system, if necessary';
    action_ids := NULL;
    IF NOT @extschema@.capa_blank(r.isms_changes) THEN
        status := 'met';
        evidence := pg_catalog.left(r.isms_changes, 200);
        fields := @extschema@.capa_step_requires(r.kind, 'close');
        audit_seq := ARRAY[(src OPERATOR(pg_catalog.->) 'isms_changes' OPERATOR(pg_catalog.->>) 'seq')::bigint];
        recorded_by := (src OPERATOR(pg_catalog.->) 'isms_changes' OPERATOR(pg_catalog.->>) 'by')::name;
        recorded_at := (src OPERATOR(pg_catalog.->) 'isms_changes' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
        detail := CASE WHEN @extschema@.capa_no_isms_change(r.isms_changes)
                       THEN 'no ISMS change made (listed in capa.closed_without_isms_change)'
                       ELSE 'ISMS changes recorded' END;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL; fields := @extschema@.capa_step_requires(r.kind, 'close'); audit_seq := NULL; recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN cancelled THEN why_cancel ELSE 'awaiting capa_close' END;
    END IF;
    RETURN NEXT;

    -- f) documented information: the nature of the nonconformity and the actions taken
    item := 'f';
    requirement := 'retain documented information as evidence of the nature of the nonconformities and any subsequent actions taken';
    action_ids := act_ids;
    fields := ARRAY['title', 'description', 'source', 'severity', 'detected_at', 'requirement', 'grade',
                    'objective_evidence', 'audit'];
    -- the finding's facts (0.5.0), those recorded, before the trail
    -- (detected_at, always there since, is in fields and the record)
    evidence := pg_catalog.concat_ws('; ',
        'requirement: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.requirement, 200),
        'grade: ' OPERATOR(pg_catalog.||) r.grade,
        'objective evidence: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.objective_evidence, 200),
        pg_catalog.format('%s audit row(s) in %s chain(s), seq %s to %s', pg_catalog.cardinality(all_seqs),
                          n_chains, all_seqs[1], all_seqs[pg_catalog.cardinality(all_seqs)]));
    audit_seq := all_seqs;
    recorded_by := first_by;
    recorded_at := first_at;
    IF n_problems OPERATOR(pg_catalog.=) 0 THEN
        status := 'met';
        detail := 'capa_audit_verify finds the record''s chains intact';
    ELSE
        status := 'not_met';
        detail := pg_catalog.format('capa_audit_verify finds %s problem(s): %s', n_problems, problems);
    END IF;
    RETURN NEXT;

    -- g) documented information: the results of any corrective action
    item := 'g';
    requirement := 'retain documented information as evidence of the results of any corrective action';
    action_ids := NULL;
    IF no_action THEN
        status := CASE WHEN r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state OR cancelled
                       THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := pg_catalog.left(r.no_action_justification, 200);
        fields := ARRAY['action_required', 'no_action_justification', 'closed_at'];
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x WHERE src OPERATOR(pg_catalog.?) x;
        recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN status OPERATOR(pg_catalog.=) 'not_yet'
                       THEN 'no action required; awaiting capa_close with the justification'
                       ELSE 'no corrective action was taken: closed with the justification' END;
    ELSIF r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state AND r.effective IS TRUE THEN
        status := 'met';
        evidence := pg_catalog.format('closed; effective at the review%s: %s',
                    CASE WHEN r.ineffective_count OPERATOR(pg_catalog.>) 0
                         THEN pg_catalog.format(' after %s ineffective one(s)', r.ineffective_count) ELSE '' END,
                    pg_catalog.left(r.verification_evidence, 200));
        fields := ARRAY['effective', 'verification_evidence', 'ineffective_count', 'closed_at'];
        audit_seq := ARRAY[(src OPERATOR(pg_catalog.->) 'verification_evidence' OPERATOR(pg_catalog.->>) 'seq')::bigint,
                           (src OPERATOR(pg_catalog.->) 'closed_at' OPERATOR(pg_catalog.->>) 'seq')::bigint];
        recorded_by := (src OPERATOR(pg_catalog.->) 'closed_at' OPERATOR(pg_catalog.->>) 'by')::name;
        recorded_at := (src OPERATOR(pg_catalog.->) 'closed_at' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
        detail := 'closed by ' OPERATOR(pg_catalog.||) r.closed_by::text
                  OPERATOR(pg_catalog.||) CASE WHEN r.reopen_count OPERATOR(pg_catalog.>) 0
                       THEN pg_catalog.format('; reopened %s time(s) before', r.reopen_count) ELSE '' END;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL; fields := ARRAY['effective', 'verification_evidence', 'closed_at'];
        audit_seq := NULL; recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN cancelled THEN why_cancel
                       ELSE 'awaiting the effectiveness review and capa_close' END;
    END IF;
    RETURN NEXT;
END
$conformance$;

-- [signoff] sign-offs with a meaning

-- [attach] evidence items in the chain
--
-- capa.attachment, capa_attach, capa_withdraw_attachment and
-- capa_evidence_check as 52_attachments.sql defines them, the policy's
-- attachment_max_bytes, and the attachments under row-level security by
-- org unit (90_rls.sql).  Attaching is an audit step of the record
-- (attach, withdraw_attachment) with the encoding every step has: no row
-- or digest written before changes.

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

-- nothing for PUBLIC, as 99_public.sql leaves a new database
REVOKE ALL ON TABLE @extschema@.attachment FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.attachment_id_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.capa_attachment_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.capa_attach(@extschema@.capa_ref, text, text, text, bytea, bytea, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.capa_withdraw_attachment(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.capa_evidence_check(bytea) FROM PUBLIC;

-- row-level security by org unit: an attachment follows its record
CREATE POLICY capa_org_unit ON @extschema@.attachment FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all())
           OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) capa_id));
CREATE OR REPLACE FUNCTION @extschema@.capa_rls_tables() RETURNS regclass[]
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $tables$
    SELECT ARRAY['@extschema@.register', '@extschema@.action', '@extschema@.audit', '@extschema@.link',
                 '@extschema@.escalation',
                 '@extschema@.kpi_rollup', '@extschema@.kpi_close_days', '@extschema@.kpi_action_due',
                 '@extschema@.review_snapshot', '@extschema@.intake_config', '@extschema@.intake_failure',
                 '@extschema@.attachment']::regclass[]
$tables$;
-- a database updated with the switch on gets it on the new table too
DO $switch$
BEGIN
    IF (SELECT c.relrowsecurity FROM pg_catalog.pg_class c
         WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.register'::regclass) THEN
        ALTER TABLE @extschema@.attachment ENABLE ROW LEVEL SECURITY;
    END IF;
END
$switch$;

-- end of [attach]

-- [recurrence] recurrence from links

-- [report] the evidence pack and the report

-- [dossier] the evidence pack: links in capa_dossier (dossier_version 3),
-- and the page capa_dossier_html (86_dossier_html.sql)

-- The auditor's evidence pack of one record
CREATE OR REPLACE FUNCTION @extschema@.capa_dossier(id @extschema@.capa_ref) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $dossier$
DECLARE
    r           @extschema@.register;
    last_seq    bigint;
    result      jsonb;
BEGIN
    IF capa_dossier.id IS NULL THEN
        RAISE EXCEPTION 'capa record reference must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT g.* INTO r FROM @extschema@.register g
     WHERE g.id OPERATOR(@extschema@.=) capa_dossier.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'capa record % does not exist', capa_dossier.id USING ERRCODE = 'undefined_object';
    END IF;
    SELECT pg_catalog.max(a.seq) INTO last_seq
      FROM @extschema@.audit a WHERE a.capa_id OPERATOR(@extschema@.=) r.id;

    SELECT pg_catalog.jsonb_build_object(
        'dossier_version', 3,
        'generated_at', pg_catalog.now(),
        'generated_by', CURRENT_USER,
        'record', pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.||)
                  pg_catalog.jsonb_build_object('chain_head', pg_catalog.encode(r.chain_head, 'hex')),
        'related', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                               'id', x.ref, 'exists', g.id IS NOT NULL, 'kind', g.kind,
                               'state', g.state, 'title', g.title) ORDER BY x.n), '[]'::jsonb)
                      FROM pg_catalog.unnest(r.related) WITH ORDINALITY x(ref, n)
                      LEFT JOIN @extschema@.register g ON g.id OPERATOR(@extschema@.=) x.ref),
        -- the rows of the user's own tables the record is linked to (the
        -- finding, the control, the risk, the asset), ended links too
        'links', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                             'id', l.id, 'target_name', l.target_name, 'key', l.key,
                             'linked_at', l.linked_at, 'linked_by', l.linked_by,
                             'unlinked_at', l.unlinked_at, 'unlinked_by', l.unlinked_by)
                             ORDER BY l.id), '[]'::jsonb)
                    FROM @extschema@.link l WHERE l.capa_id OPERATOR(@extschema@.=) r.id),
        -- the evidence items (their facts and SHA-256, not the files)
        'attachments', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                   'id', t.id, 'step', t.step, 'action_id', t.action_id, 'title', t.title,
                                   'uri', t.uri, 'media_type', t.media_type,
                                   'sha256', pg_catalog.encode(t.sha256, 'hex'), 'size', t.size,
                                   'stored', t.content IS NOT NULL,
                                   'attached_at', t.attached_at, 'attached_by', t.attached_by,
                                   'withdrawn_at', t.withdrawn_at, 'withdrawn_by', t.withdrawn_by,
                                   'withdraw_reason', t.withdraw_reason)
                                   ORDER BY t.id), '[]'::jsonb)
                          FROM @extschema@.attachment t WHERE t.capa_id OPERATOR(@extschema@.=) r.id),
        'actions', (SELECT COALESCE(pg_catalog.jsonb_agg(
                               pg_catalog.to_jsonb(a) OPERATOR(pg_catalog.||)
                               pg_catalog.jsonb_build_object('chain_head', pg_catalog.encode(a.chain_head, 'hex'))
                               ORDER BY a.id), '[]'::jsonb)
                      FROM @extschema@.action a WHERE a.capa_id OPERATOR(@extschema@.=) r.id),
        'audit', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                             'seq', a.seq, 'action_id', a.action_id, 'chain_seq', a.chain_seq,
                             'step', a.step, 'from_state', a.from_state, 'to_state', a.to_state,
                             'changed', a.changed, 'actor', a.actor, 'session_actor', a.session_actor,
                             'app_user', a.app_user, 'application_name', a.application_name,
                             'client_addr', a.client_addr, 'xid', a.xid::text, 'at', a.at)
                             ORDER BY a.seq), '[]'::jsonb)
                    FROM @extschema@.audit a WHERE a.capa_id OPERATOR(@extschema@.=) r.id),
        'chain_proof', pg_catalog.jsonb_build_object(
            'findings', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(v)
                                    ORDER BY v.seq, v.action_id, v.problem), '[]'::jsonb)
                           FROM @extschema@.capa_audit_verify(record => r.id) v),
            'chains', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                  'action_id', c.action_id,
                                  'head_chain_seq', c.head_seq,
                                  'head_hash', pg_catalog.encode(c.head, 'hex'),
                                  'head_matches', c.head_seq OPERATOR(pg_catalog.=) c.rows_n
                                      AND c.head OPERATOR(pg_catalog.=) c.last_hash,
                                  'rows', c.rows)
                                  ORDER BY c.action_id NULLS FIRST)
                         FROM (SELECT a.action_id,
                                      pg_catalog.count(*) AS rows_n,
                                      (pg_catalog.array_agg(a.hash ORDER BY a.chain_seq DESC))[1] AS last_hash,
                                      CASE WHEN a.action_id IS NULL THEN r.chain_seq
                                           ELSE (SELECT t.chain_seq FROM @extschema@.action t WHERE t.id OPERATOR(pg_catalog.=) a.action_id) END AS head_seq,
                                      CASE WHEN a.action_id IS NULL THEN r.chain_head
                                           ELSE (SELECT t.chain_head FROM @extschema@.action t WHERE t.id OPERATOR(pg_catalog.=) a.action_id) END AS head,
                                      pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                          'seq', a.seq, 'chain_seq', a.chain_seq, 'step', a.step,
                                          'prev_hash', pg_catalog.encode(a.prev_hash, 'hex'),
                                          'row_hash', pg_catalog.encode(a.row_hash, 'hex'),
                                          'hash', pg_catalog.encode(a.hash, 'hex'),
                                          'encoding', a.encoding) ORDER BY a.chain_seq) AS rows
                                 FROM @extschema@.audit a WHERE a.capa_id OPERATOR(@extschema@.=) r.id
                                GROUP BY a.action_id) c),
            'digest', (SELECT pg_catalog.jsonb_build_object('id', d.id, 'digest', d.digest, 'max_seq', d.max_seq,
                                                            'issued_at', d.issued_at, 'issued_by', d.issued_by)
                         FROM @extschema@.digest d WHERE d.max_seq OPERATOR(pg_catalog.>=) last_seq
                        ORDER BY d.id LIMIT 1),
            'how_to_check', pg_catalog.jsonb_build_array(
                'each row: SELECT seq, pg_catalog.sha256(capa.capa_audit_bytes(seq)) = hash FROM capa.audit WHERE seq = <seq>; or hash the bytes of capa_audit_bytes(seq) with any SHA-256 tool and compare with hash',
                'each link: prev_hash of a row is the hash of the row before it in its chain (chain_seq - 1); the first has none',
                'each head: head_hash is chain_head on the register or action row, the hash of its chain''s last row',
                'everything at once: SELECT * FROM capa.capa_audit_verify(record => ''' OPERATOR(pg_catalog.||) r.id::text OPERATOR(pg_catalog.||) ''') returns no rows when intact',
                'against a digest kept outside: SELECT * FROM capa.capa_audit_verify(digest => ''<digest>'', record => ''' OPERATOR(pg_catalog.||) r.id::text OPERATOR(pg_catalog.||) ''')')),
        'checklist', (SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) ORDER BY c.item)
                        FROM @extschema@.capa_conformance(r.id) c))
      INTO result;
    result := result OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
        'chain_proof', (result OPERATOR(pg_catalog.->) 'chain_proof') OPERATOR(pg_catalog.||)
            pg_catalog.jsonb_build_object('intact',
                pg_catalog.jsonb_array_length(result OPERATOR(pg_catalog.->) 'chain_proof' OPERATOR(pg_catalog.->) 'findings') OPERATOR(pg_catalog.=) 0),
        'summary', pg_catalog.jsonb_build_object(
            'id', r.id, 'kind', r.kind, 'state', r.state, 'severity', r.severity, 'title', r.title,
            'checklist', (SELECT pg_catalog.jsonb_object_agg(e OPERATOR(pg_catalog.->>) 'item', e OPERATOR(pg_catalog.->>) 'status')
                            FROM pg_catalog.jsonb_array_elements(result OPERATOR(pg_catalog.->) 'checklist') e)));
    RETURN result;
END
$dossier$;
COMMENT ON FUNCTION @extschema@.capa_dossier(@extschema@.capa_ref) IS
    'the auditor''s evidence pack of one record as jsonb: the record, related records, links, evidence items, action items, audit trail, chain proof (rows, heads, findings of capa_audit_verify, the first digest covering it, how to re-check) and the 10.2 a-g checklist of capa_conformance';

-- One value of the dossier as page text: times in UTC (a key naming a time:
-- *_at, *_due, *_from, at), arrays as lists, booleans as yes/no, long text
-- cut with the number of characters left out (the whole value is in
-- capa_dossier); escaped.
CREATE FUNCTION @extschema@.report_value(key text, value jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $value$
SELECT CASE
    WHEN value IS NULL OR pg_catalog.jsonb_typeof(value) OPERATOR(pg_catalog.=) 'null' THEN ''
    WHEN pg_catalog.jsonb_typeof(value) OPERATOR(pg_catalog.=) 'boolean'
        THEN CASE WHEN value::text OPERATOR(pg_catalog.=) 'true' THEN 'yes' ELSE 'no' END
    WHEN pg_catalog.jsonb_typeof(value) OPERATOR(pg_catalog.=) 'string'
         AND key OPERATOR(pg_catalog.~) '(^at|_at|_due|_from)$'
         AND (value OPERATOR(pg_catalog.#>>) '{}') OPERATOR(pg_catalog.~)
             '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d(:\d\d){0,2}|Z)$'
        THEN pg_catalog.to_char(pg_catalog.timezone('UTC', (value OPERATOR(pg_catalog.#>>) '{}')::timestamptz),
                                'YYYY-MM-DD HH24:MI:SS') OPERATOR(pg_catalog.||) ' UTC'
    ELSE (SELECT @extschema@.report_escape(pg_catalog.left(t.text, 2000))
                 OPERATOR(pg_catalog.||)
                 CASE WHEN pg_catalog.length(t.text) OPERATOR(pg_catalog.>) 2000
                      THEN pg_catalog.format(U&' \2026 (%s characters more: see capa_dossier)',
                                             pg_catalog.length(t.text) OPERATOR(pg_catalog.-) 2000)
                      ELSE '' END
            FROM (SELECT CASE pg_catalog.jsonb_typeof(value)
                             WHEN 'string' THEN value OPERATOR(pg_catalog.#>>) '{}'
                             WHEN 'array' THEN (SELECT pg_catalog.string_agg(
                                                          CASE pg_catalog.jsonb_typeof(e) WHEN 'string' THEN e OPERATOR(pg_catalog.#>>) '{}'
                                                               ELSE e::text END, '; ' ORDER BY n)
                                                  FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY AS x(e, n))
                             ELSE value::text END AS text) t)
END
$value$;
COMMENT ON FUNCTION @extschema@.report_value(text, jsonb) IS
    'one value of capa_dossier as escaped page text: times (keys *_at, *_due, *_from, at) in UTC, arrays as lists, booleans as yes/no, text beyond 2,000 characters cut with the count left out';

CREATE FUNCTION @extschema@.capa_dossier_html(id @extschema@.capa_ref) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $page$
DECLARE
    d           jsonb;      -- capa_dossier(id): the page shows it and nothing else
    r           jsonb;      -- its record
    -- the record's columns in the order an auditor reads them; any other
    -- column capa_dossier has (one added later, say) follows under its name
    facts       CONSTANT text[] := ARRAY[
        'id', 'Reference', 'kind', 'Kind', 'state', 'State', 'severity', 'Severity',
        'grade', 'Grade', 'priority', 'Priority', 'source', 'Source', 'title', 'Title',
        'description', 'Description', 'requirement', 'Requirement not met',
        'objective_evidence', 'Objective evidence', 'detected_at', 'Detected',
        'owner', 'Owner', 'org_unit', 'Org unit',
        'contain_due', 'Containment due', 'close_due', 'Close due', 'effectiveness_due', 'Effectiveness check due',
        'original_contain_due', 'First containment due', 'original_close_due', 'First close due',
        'original_effectiveness_due', 'First effectiveness check due',
        'containment', '10.2 a Containment or correction', 'consequences', '10.2 a Consequences',
        'root_cause', '10.2 b Root cause', 'rca_method', '10.2 b Method', 'why_chain', '10.2 b Why-chain',
        'cause_category', '10.2 b Cause category', 'extent_of_condition', '10.2 b Extent of condition',
        'extent_found', '10.2 b Extent of condition: what was found',
        'related', '10.2 b Similar nonconformities', 'action_required', '10.2 b Action required',
        'no_action_justification', '10.2 b Why no action', 'effective', '10.2 d Effective',
        'effectiveness_from', '10.2 d Effectiveness window from',
        'verification_evidence', '10.2 d Verification evidence', 'isms_changes', '10.2 e Changes to the ISMS',
        'cancel_reason', 'Why cancelled', 'reopen_reason', 'Why reopened',
        'opened_at', 'Opened', 'opened_by', 'Opened by', 'contained_at', 'Contained', 'contained_by', 'Contained by',
        'analysed_at', 'Analysed', 'analysed_by', 'Analysed by', 'planned_at', 'Planned', 'planned_by', 'Planned by',
        'implemented_at', 'Implemented', 'implemented_by', 'Implemented by',
        'verified_at', 'Verified', 'verified_by', 'Verified by', 'closed_at', 'Closed', 'closed_by', 'Closed by',
        'cancelled_at', 'Cancelled', 'cancelled_by', 'Cancelled by', 'reopened_at', 'Reopened', 'reopened_by', 'Reopened by',
        'ineffective_count', 'Times found ineffective', 'reanalyse_count', 'Times re-analysed',
        'reopen_count', 'Times reopened', 'reschedule_count', 'Times rescheduled', 'reassign_count', 'Times reassigned'];
    -- kept out of the facts: the chain (in its own section) and what capa
    -- derives for its own use
    internal    CONSTANT text[] := ARRAY['chain_head', 'chain_seq', 'owner_role', 'updated_at'];
    fact_rows   text;
    more_rows   text;
    check_rows  text;
    time_rows   text;
    action_rows text;
    link_rows   text;
    evidence_rows text;
    related_rows text;
    find_rows   text;
    chain_rows  text;
    how_rows    text;
    p           jsonb;      -- the chain proof
    intact      boolean;
BEGIN
    d := @extschema@.capa_dossier(capa_dossier_html.id);    -- 22004, 42704 there
    r := d OPERATOR(pg_catalog.->) 'record';
    p := d OPERATOR(pg_catalog.->) 'chain_proof';
    intact := (p OPERATOR(pg_catalog.->>) 'intact')::boolean;

    SELECT pg_catalog.string_agg(pg_catalog.format('<tr><th>%s</th><td>%s</td></tr>',
               @extschema@.report_escape(facts[2 * i]), @extschema@.report_value(facts[2 * i - 1], r OPERATOR(pg_catalog.->) facts[2 * i - 1])),
               '' ORDER BY i)
      INTO fact_rows
      FROM pg_catalog.generate_series(1, pg_catalog.array_length(facts, 1) OPERATOR(pg_catalog./) 2) AS i
     WHERE pg_catalog.jsonb_typeof(r OPERATOR(pg_catalog.->) facts[2 * i - 1]) OPERATOR(pg_catalog.<>) 'null';

    SELECT pg_catalog.string_agg(pg_catalog.format('<tr><th>%s</th><td>%s</td></tr>',
               @extschema@.report_escape(k.key), @extschema@.report_value(k.key, k.value)), '' ORDER BY k.key)
      INTO more_rows
      FROM pg_catalog.jsonb_each(r) k
     WHERE pg_catalog.jsonb_typeof(k.value) OPERATOR(pg_catalog.<>) 'null'
       AND NOT k.key OPERATOR(pg_catalog.=) ANY (facts) AND NOT k.key OPERATOR(pg_catalog.=) ANY (internal);

    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<tr><td>%s</td><td>%s</td><td class="status-%s">%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'item'),
               @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'requirement'),
               @extschema@.report_escape(pg_catalog.regexp_replace(c OPERATOR(pg_catalog.->>) 'status', '[^a-z_]', '', 'g')),
               @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'status'),
               @extschema@.report_value('evidence', c OPERATOR(pg_catalog.->) 'evidence'),
               pg_catalog.concat_ws('<br/>',
                   NULLIF(pg_catalog.concat_ws(', ',
                       CASE WHEN c OPERATOR(pg_catalog.->>) 'recorded_by' IS NOT NULL
                            THEN 'by ' OPERATOR(pg_catalog.||) @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'recorded_by') END,
                       NULLIF(@extschema@.report_value('recorded_at', c OPERATOR(pg_catalog.->) 'recorded_at'), ''),
                       CASE WHEN pg_catalog.jsonb_typeof(c OPERATOR(pg_catalog.->) 'audit_seq') OPERATOR(pg_catalog.=) 'array'
                            THEN 'audit rows ' OPERATOR(pg_catalog.||) @extschema@.report_value('audit_seq', c OPERATOR(pg_catalog.->) 'audit_seq') END), ''),
                   NULLIF(@extschema@.report_value('detail', c OPERATOR(pg_catalog.->) 'detail'), ''))),
               '' ORDER BY n)
      INTO check_rows
      FROM pg_catalog.jsonb_array_elements(d OPERATOR(pg_catalog.->) 'checklist') WITH ORDINALITY AS x(c, n);

    -- every audit row: when, what, who (the login and the end user when
    -- they differ from the acting role), why, and what it recorded
    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<tr><td class="num">%s</td><td class="when">%s</td><td>%s%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
               a OPERATOR(pg_catalog.->>) 'seq',
               @extschema@.report_value('at', a OPERATOR(pg_catalog.->) 'at'),
               @extschema@.report_escape(a OPERATOR(pg_catalog.->>) 'step'),
               CASE WHEN a OPERATOR(pg_catalog.->>) 'action_id' IS NOT NULL
                    THEN pg_catalog.format(' (item %s)', @extschema@.report_escape(a OPERATOR(pg_catalog.->>) 'action_id')) ELSE '' END,
               CASE WHEN a OPERATOR(pg_catalog.->>) 'to_state' IS NULL THEN ''
                    ELSE pg_catalog.format(U&'%s \2192 %s', @extschema@.report_escape(COALESCE(a OPERATOR(pg_catalog.->>) 'from_state', U&'\2013')),
                                           @extschema@.report_escape(a OPERATOR(pg_catalog.->>) 'to_state')) END,
               pg_catalog.concat_ws('<br/>', @extschema@.report_escape(a OPERATOR(pg_catalog.->>) 'actor'),
                   CASE WHEN a OPERATOR(pg_catalog.->>) 'session_actor' IS DISTINCT FROM a OPERATOR(pg_catalog.->>) 'actor'
                        THEN 'login ' OPERATOR(pg_catalog.||) @extschema@.report_escape(a OPERATOR(pg_catalog.->>) 'session_actor') END,
                   CASE WHEN a OPERATOR(pg_catalog.->>) 'app_user' IS NOT NULL
                        THEN 'for ' OPERATOR(pg_catalog.||) @extschema@.report_escape(a OPERATOR(pg_catalog.->>) 'app_user') END),
               @extschema@.report_value('reason', a OPERATOR(pg_catalog.->) 'changed' OPERATOR(pg_catalog.->) 'reason'),
               (SELECT pg_catalog.string_agg(pg_catalog.format('<span class="key">%s</span> %s',
                           @extschema@.report_escape(ch.key), @extschema@.report_value(ch.key, ch.value)), '<br/>' ORDER BY ch.key)
                  FROM pg_catalog.jsonb_each(a OPERATOR(pg_catalog.->) 'changed') ch
                 WHERE ch.key OPERATOR(pg_catalog.<>) ALL (ARRAY['reason', 'previous'])),
               (SELECT pg_catalog.string_agg(pg_catalog.format('<span class="key">%s</span> %s',
                           @extschema@.report_escape(pv.key), @extschema@.report_value(pv.key, pv.value)), '<br/>' ORDER BY pv.key)
                  FROM pg_catalog.jsonb_each(CASE WHEN pg_catalog.jsonb_typeof(a OPERATOR(pg_catalog.->) 'changed' OPERATOR(pg_catalog.->) 'previous') OPERATOR(pg_catalog.=) 'object'
                                                  THEN a OPERATOR(pg_catalog.->) 'changed' OPERATOR(pg_catalog.->) 'previous' END) pv)),
               '' ORDER BY (a OPERATOR(pg_catalog.->>) 'seq')::bigint)
      INTO time_rows
      FROM pg_catalog.jsonb_array_elements(d OPERATOR(pg_catalog.->) 'audit') a;

    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<tr><td class="num">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'id'),
               @extschema@.report_value('description', t OPERATOR(pg_catalog.->) 'description'),
               @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'owner'),
               @extschema@.report_value('due', t OPERATOR(pg_catalog.->) 'due'),
               CASE WHEN t OPERATOR(pg_catalog.->>) 'cancelled_at' IS NOT NULL
                    THEN pg_catalog.format('cancelled %s by %s: %s', @extschema@.report_value('cancelled_at', t OPERATOR(pg_catalog.->) 'cancelled_at'),
                                           @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'cancelled_by'),
                                           @extschema@.report_value('cancel_reason', t OPERATOR(pg_catalog.->) 'cancel_reason'))
                    WHEN t OPERATOR(pg_catalog.->>) 'done_at' IS NOT NULL
                    THEN pg_catalog.format('done %s by %s', @extschema@.report_value('done_at', t OPERATOR(pg_catalog.->) 'done_at'),
                                           @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'done_by'))
                    ELSE 'not done' END,
               @extschema@.report_value('evidence', t OPERATOR(pg_catalog.->) 'evidence')),
               '' ORDER BY (t OPERATOR(pg_catalog.->>) 'id')::bigint)
      INTO action_rows
      FROM pg_catalog.jsonb_array_elements(d OPERATOR(pg_catalog.->) 'actions') t;

    SELECT pg_catalog.string_agg(pg_catalog.format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@.report_escape(l OPERATOR(pg_catalog.->>) 'target_name'),
               @extschema@.report_escape(l OPERATOR(pg_catalog.->>) 'key'),
               pg_catalog.format('%s by %s', @extschema@.report_value('linked_at', l OPERATOR(pg_catalog.->) 'linked_at'),
                                 @extschema@.report_escape(l OPERATOR(pg_catalog.->>) 'linked_by')),
               CASE WHEN l OPERATOR(pg_catalog.->>) 'unlinked_at' IS NULL THEN 'active'
                    ELSE pg_catalog.format('ended %s by %s', @extschema@.report_value('unlinked_at', l OPERATOR(pg_catalog.->) 'unlinked_at'),
                                           @extschema@.report_escape(l OPERATOR(pg_catalog.->>) 'unlinked_by')) END),
               '' ORDER BY n)
      INTO link_rows
      FROM pg_catalog.jsonb_array_elements(d OPERATOR(pg_catalog.->) 'links') WITH ORDINALITY AS x(l, n);

    -- evidence items: what they are, where (a file capa stores, or a
    -- reference, shown as text and never as a link), their SHA-256
    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<tr><td class="num">%s</td><td>%s</td><td>%s</td><td>%s</td><td class="hash">%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'id'),
               @extschema@.report_value('title', t OPERATOR(pg_catalog.->) 'title'),
               pg_catalog.concat_ws(', ',
                   CASE WHEN t OPERATOR(pg_catalog.->>) 'step' IS NOT NULL
                        THEN 'step ' OPERATOR(pg_catalog.||) @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'step') END,
                   CASE WHEN t OPERATOR(pg_catalog.->>) 'action_id' IS NOT NULL
                        THEN 'item ' OPERATOR(pg_catalog.||) @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'action_id') END,
                   CASE WHEN t OPERATOR(pg_catalog.->>) 'step' IS NULL AND t OPERATOR(pg_catalog.->>) 'action_id' IS NULL THEN 'the record' END),
               pg_catalog.concat_ws('<br/>',
                   CASE WHEN (t OPERATOR(pg_catalog.->>) 'stored')::boolean
                        THEN pg_catalog.format('stored in capa, %s bytes', @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'size')) END,
                   NULLIF(@extschema@.report_value('uri', t OPERATOR(pg_catalog.->) 'uri'), ''),
                   NULLIF(@extschema@.report_value('media_type', t OPERATOR(pg_catalog.->) 'media_type'), '')),
               COALESCE(@extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'sha256'), 'none (a reference only)'),
               pg_catalog.format('%s by %s', @extschema@.report_value('attached_at', t OPERATOR(pg_catalog.->) 'attached_at'),
                                 @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'attached_by')),
               CASE WHEN t OPERATOR(pg_catalog.->>) 'withdrawn_at' IS NULL THEN 'current'
                    ELSE pg_catalog.format('withdrawn %s by %s: %s', @extschema@.report_value('withdrawn_at', t OPERATOR(pg_catalog.->) 'withdrawn_at'),
                                           @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'withdrawn_by'),
                                           @extschema@.report_value('withdraw_reason', t OPERATOR(pg_catalog.->) 'withdraw_reason')) END),
               '' ORDER BY (t OPERATOR(pg_catalog.->>) 'id')::bigint)
      INTO evidence_rows
      FROM pg_catalog.jsonb_array_elements(d OPERATOR(pg_catalog.->) 'attachments') t;

    SELECT pg_catalog.string_agg(pg_catalog.format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@.report_escape(g OPERATOR(pg_catalog.->>) 'id'),
               CASE WHEN (g OPERATOR(pg_catalog.->>) 'exists')::boolean
                    THEN @extschema@.report_escape(g OPERATOR(pg_catalog.->>) 'kind') ELSE 'not found' END,
               @extschema@.report_escape(g OPERATOR(pg_catalog.->>) 'state'),
               @extschema@.report_value('title', g OPERATOR(pg_catalog.->) 'title')),
               '' ORDER BY n)
      INTO related_rows
      FROM pg_catalog.jsonb_array_elements(d OPERATOR(pg_catalog.->) 'related') WITH ORDINALITY AS x(g, n);

    SELECT pg_catalog.string_agg(pg_catalog.format('<tr><td>%s</td><td class="num">%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@.report_escape(f OPERATOR(pg_catalog.->>) 'problem'),
               @extschema@.report_escape(f OPERATOR(pg_catalog.->>) 'seq'),
               @extschema@.report_escape(f OPERATOR(pg_catalog.->>) 'action_id'),
               @extschema@.report_value('detail', f OPERATOR(pg_catalog.->) 'detail')),
               '' ORDER BY n)
      INTO find_rows
      FROM pg_catalog.jsonb_array_elements(p OPERATOR(pg_catalog.->) 'findings') WITH ORDINALITY AS x(f, n);

    SELECT pg_catalog.string_agg(pg_catalog.format('<tr><td>%s</td><td class="num">%s</td><td class="num">%s</td><td class="hash">%s</td><td>%s</td></tr>',
               CASE WHEN c OPERATOR(pg_catalog.->>) 'action_id' IS NULL THEN 'the record'
                    ELSE 'action item ' OPERATOR(pg_catalog.||) @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'action_id') END,
               pg_catalog.jsonb_array_length(c OPERATOR(pg_catalog.->) 'rows'),
               @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'head_chain_seq'),
               @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'head_hash'),
               CASE WHEN (c OPERATOR(pg_catalog.->>) 'head_matches')::boolean THEN 'yes' ELSE 'NO' END),
               '' ORDER BY n)
      INTO chain_rows
      FROM pg_catalog.jsonb_array_elements(p OPERATOR(pg_catalog.->) 'chains') WITH ORDINALITY AS x(c, n);

    SELECT pg_catalog.string_agg(pg_catalog.format('<li>%s</li>', @extschema@.report_escape(h OPERATOR(pg_catalog.#>>) '{}')), '' ORDER BY n)
      INTO how_rows
      FROM pg_catalog.jsonb_array_elements(p OPERATOR(pg_catalog.->) 'how_to_check') WITH ORDINALITY AS x(h, n);

    RETURN pg_catalog.format($html$<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="generator" content="capa capa_dossier_html()"/>
<title>Evidence pack %1$s</title>
<style>
body{font-family:system-ui,"Segoe UI","DejaVu Sans",Helvetica,Arial,sans-serif;color:#1a202c;margin:24px auto;max-width:1240px;padding:0 16px;font-size:14px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 10px;border-bottom:2px solid #e2e8f0;padding-bottom:4px}
.meta{color:#4a5568;margin:2px 0}
.proof{border:1px solid #e2e8f0;border-left:5px solid #2f855a;border-radius:6px;padding:10px 12px;margin:12px 0}
.proof.broken{border-left-color:#c53030}
.proof.broken strong{color:#c53030}
table{border-collapse:collapse;width:100%%}
th,td{border-bottom:1px solid #e2e8f0;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f7fafc}
table.facts th{width:24%%}
td.num{text-align:right}
td.hash{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
td.status-met{color:#2f855a;font-weight:600}
td.status-not_met{color:#c53030;font-weight:600}
.key{font-weight:600}
td{white-space:pre-wrap}
td.when{white-space:nowrap}
@media print{body{margin:0;max-width:none;font-size:11px}tr{break-inside:avoid}h2{break-after:avoid}@page{size:A4;margin:12mm}}
</style>
</head>
<body>
<header>
<h1>Evidence pack %1$s: %2$s</h1>
<p class="meta">ISO/IEC 27001:2022 clause 10.2: a nonconformity, what was done about it, and the documented information kept as evidence (10.2 f, g). Generated %3$s UTC by %4$s from database %5$s; dossier format %6$s.</p>
<div class="proof%7$s" id="proof"><strong>%8$s</strong> %9$s</div>
</header>
<h2 id="facts">The record</h2>
<table class="facts"><tbody>%10$s</tbody></table>
%11$s
<h2 id="checklist">Clause 10.2 a%12$sg</h2>
<table class="checklist"><thead><tr><th>Item</th><th>Requirement</th><th>Status</th><th>Evidence</th><th>Recorded</th></tr></thead><tbody>%13$s</tbody></table>
<h2 id="timeline">Timeline</h2>
<p class="meta">Every row of the record's audit trail, oldest first: when (UTC), the step, the transition, who (the acting role; the login and the end user when they differ), the reason given, what the step recorded and, for a change, what it replaced.</p>
<table class="timeline"><thead><tr><th>Seq</th><th>When</th><th>Step</th><th>State</th><th>Who</th><th>Reason</th><th>Recorded</th><th>Before</th></tr></thead><tbody>%14$s</tbody></table>
<h2 id="actions">Action items</h2>
%15$s
<h2 id="evidence">Evidence items</h2>
%22$s
<h2 id="links">Links</h2>
%16$s
<h2 id="related">Similar nonconformities named in the analysis</h2>
%17$s
<h2 id="chain">Chain proof</h2>
<p class="meta">One SHA-256 chain for the record and one per action item; each head is kept on its row.</p>
<table class="chains"><thead><tr><th>Chain</th><th>Rows</th><th>Head position</th><th>Head hash</th><th>Head is the last row</th></tr></thead><tbody>%18$s</tbody></table>
%19$s
<p class="meta">%20$s</p>
<p class="meta">How to check:</p>
<ol class="meta">%21$s</ol>
</body>
</html>
$html$,
        @extschema@.report_escape(r OPERATOR(pg_catalog.->>) 'id'),
        @extschema@.report_value('title', r OPERATOR(pg_catalog.->) 'title'),
        @extschema@.report_value('generated_at', d OPERATOR(pg_catalog.->) 'generated_at'),
        @extschema@.report_escape(d OPERATOR(pg_catalog.->>) 'generated_by'),
        @extschema@.report_escape(pg_catalog.current_database()),
        @extschema@.report_escape(d OPERATOR(pg_catalog.->>) 'dossier_version'),
        CASE WHEN intact THEN '' ELSE ' broken' END,
        CASE WHEN intact THEN 'Audit trail intact.' ELSE 'Audit trail NOT intact.' END,
        CASE WHEN intact THEN 'capa_audit_verify finds nothing wrong with this record''s chains and rows.'
             ELSE pg_catalog.format('capa_audit_verify reports %s problems: see the chain proof below.',
                                    pg_catalog.jsonb_array_length(p OPERATOR(pg_catalog.->) 'findings')) END,
        fact_rows,
        CASE WHEN more_rows IS NULL THEN ''
             ELSE '<h2 id="more">Other recorded fields</h2><table class="facts"><tbody>' OPERATOR(pg_catalog.||) more_rows OPERATOR(pg_catalog.||) '</tbody></table>' END,
        U&'\2013',
        check_rows,
        time_rows,
        CASE WHEN action_rows IS NULL THEN '<p>No action items.</p>'
             ELSE '<table class="actions"><thead><tr><th>Item</th><th>Description</th><th>Owner</th><th>Due</th><th>Done</th><th>Evidence</th></tr></thead><tbody>'
                  OPERATOR(pg_catalog.||) action_rows OPERATOR(pg_catalog.||) '</tbody></table>' END,
        CASE WHEN link_rows IS NULL THEN '<p>No links to findings, controls, risks or assets.</p>'
             ELSE '<table class="links"><thead><tr><th>Table</th><th>Key</th><th>Linked</th><th>Status</th></tr></thead><tbody>'
                  OPERATOR(pg_catalog.||) link_rows OPERATOR(pg_catalog.||) '</tbody></table>' END,
        CASE WHEN related_rows IS NULL THEN '<p>None named.</p>'
             ELSE '<table class="related"><thead><tr><th>Reference</th><th>Kind</th><th>State</th><th>Title</th></tr></thead><tbody>'
                  OPERATOR(pg_catalog.||) related_rows OPERATOR(pg_catalog.||) '</tbody></table>' END,
        chain_rows,
        CASE WHEN find_rows IS NULL THEN '<p>Findings of capa_audit_verify: none.</p>'
             ELSE '<table class="findings"><thead><tr><th>Problem</th><th>Seq</th><th>Action item</th><th>Detail</th></tr></thead><tbody>'
                  OPERATOR(pg_catalog.||) find_rows OPERATOR(pg_catalog.||) '</tbody></table>' END,
        CASE WHEN p OPERATOR(pg_catalog.->) 'digest' IS NULL OR pg_catalog.jsonb_typeof(p OPERATOR(pg_catalog.->) 'digest') OPERATOR(pg_catalog.=) 'null'
             THEN 'No digest covers this record''s last audit row yet: a verifier runs capa_digest() and keeps its value outside the database.'
             ELSE pg_catalog.format('The first digest that covers this record''s trail: %s, issued %s by %s (digest %s, up to audit row %s).',
                                    @extschema@.report_escape(p OPERATOR(pg_catalog.->) 'digest' OPERATOR(pg_catalog.->>) 'digest'),
                                    @extschema@.report_value('issued_at', p OPERATOR(pg_catalog.->) 'digest' OPERATOR(pg_catalog.->) 'issued_at'),
                                    @extschema@.report_escape(p OPERATOR(pg_catalog.->) 'digest' OPERATOR(pg_catalog.->>) 'issued_by'),
                                    @extschema@.report_escape(p OPERATOR(pg_catalog.->) 'digest' OPERATOR(pg_catalog.->>) 'id'),
                                    @extschema@.report_escape(p OPERATOR(pg_catalog.->) 'digest' OPERATOR(pg_catalog.->>) 'max_seq')) END,
        how_rows,
        CASE WHEN evidence_rows IS NULL THEN '<p>No evidence items attached.</p>'
             ELSE '<table class="evidence"><thead><tr><th>Item</th><th>Title</th><th>Belongs to</th><th>Kept</th><th>SHA-256</th><th>Attached</th><th>Status</th></tr></thead><tbody>'
                  OPERATOR(pg_catalog.||) evidence_rows OPERATOR(pg_catalog.||) '</tbody></table>'
                  OPERATOR(pg_catalog.||) '<p class="meta">To check a file you were handed: compute its SHA-256 (sha256sum, Get-FileHash) and run SELECT * FROM capa.capa_evidence_check(''\x&lt;sha256&gt;''); capa_audit_verify recomputes the SHA-256 of every file stored in capa.</p>' END);
END
$page$;
COMMENT ON FUNCTION @extschema@.capa_dossier_html(@extschema@.capa_ref) IS
    'the evidence pack of one record as one self-contained HTML page: its facts, the 10.2 a-g checklist, a timeline of every audit row with who, when and why, the action items, evidence items with their SHA-256, links, similar records and the chain proof; exactly what capa_dossier(id) holds, escaped; read-only, with the caller''s privileges';

GRANT EXECUTE ON FUNCTION @extschema@.report_value(text, jsonb),
    @extschema@.capa_dossier_html(@extschema@.capa_ref) TO capa_reader;

-- [public] nothing for PUBLIC, as the install script's last part
-- (99_public.sql): PostgreSQL lets PUBLIC execute a new function
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
