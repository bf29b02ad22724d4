-- capa install script, part 85: the auditor's evidence pack -- the clause
-- 10.2 a-g checklist of a record (capa_conformance), its dossier, and the
-- records closed without an ISMS change.

--
-- Everything of this part is SECURITY INVOKER: readers see what they may
-- already SELECT; search_path is pinned and every reference is
-- schema-qualified (operators of capa's types too).  Required evidence is
-- judged blank by capa_blank, and what a step requires is read from the
-- rules (capa_step_requires, capa_kind_has_step).
--

-- 10.2 e: isms_changes is required text at close, so "no change to the
-- ISMS was necessary" is recorded as text.  The convention: the text
-- begins with "none", "no change(s)", "no ISMS change(s)", "n/a" or "not
-- applicable" (any case), followed by its end or by a character that is
-- not a letter or digit ("None: BK-01 already covers it").  A standard SQL
-- body: parsed once, here, so no search_path reaches it later.
CREATE FUNCTION @extschema@.capa_no_isms_change(isms_changes text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN isms_changes OPERATOR(pg_catalog.~*)
        '^[[:space:]]*(none|no (isms )?changes?|n/a|not applicable)([^[:alnum:]]|$)';
COMMENT ON FUNCTION @extschema@.capa_no_isms_change(text) IS
    '10.2 e: whether an isms_changes text records that no ISMS change was made (it begins with none, no change(s), no ISMS change(s), n/a or not applicable)';

-- The clause 10.2 a-g checklist of one record: one row per item
-- (item b needs, for a corrective record that acts, what the
-- extent-of-condition check found by its verification: not_yet before,
-- not_met after; item c lists a cancelled action item as cancelled, with its
-- reason, and does not count it; item d says which identities segregation
-- of duties compared)
CREATE FUNCTION @extschema@.capa_conformance(id @extschema@.capa_ref)
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
COMMENT ON FUNCTION @extschema@.capa_conformance(@extschema@.capa_ref) IS
    'the clause 10.2 a-g checklist of one record: for each item its status (met, not_yet, not_applicable; f: not_met when the trail does not verify), the evidence, the columns, action items and audit rows that hold it, who recorded it and when';

-- 10.2 e for the reviewer: closed records whose isms_changes says no change was made
CREATE VIEW @extschema@.closed_without_isms_change WITH (security_invoker = true) AS
SELECT g.id, g.kind, g.severity, g.title, g.owner, g.org_unit, g.source,
       g.closed_at, g.closed_by, g.isms_changes,
       g.action_required, g.no_action_justification, g.root_cause, g.cause_category,
       g.reopen_count,
       (SELECT pg_catalog.max(a.seq) FROM @extschema@.audit a
         WHERE a.capa_id OPERATOR(@extschema@.=) g.id AND a.action_id IS NULL
           AND a.to_state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state) AS close_seq
  FROM @extschema@.register g
 WHERE g.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state
   AND @extschema@.capa_no_isms_change(g.isms_changes);
COMMENT ON VIEW @extschema@.closed_without_isms_change IS
    '10.2 e: closed records whose isms_changes records that no ISMS change was made (capa_no_isms_change), for the reviewer; close_seq is the audit row of the close';

-- The auditor's evidence pack of one record
CREATE FUNCTION @extschema@.capa_dossier(id @extschema@.capa_ref) RETURNS jsonb
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

-- readers may use everything read-only here
GRANT EXECUTE ON FUNCTION
    @extschema@.capa_no_isms_change(text),
    @extschema@.capa_conformance(@extschema@.capa_ref),
    @extschema@.capa_dossier(@extschema@.capa_ref)
    TO capa_reader;
GRANT SELECT ON @extschema@.closed_without_isms_change TO capa_reader;
