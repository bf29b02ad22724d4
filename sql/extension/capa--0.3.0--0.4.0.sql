-- capa 0.3.0 -> 0.4.0: one name for the record's reference.
--
-- The column that names a record is capa_id everywhere now: on capa.action
-- and capa.link it always was (the contract names capa.action.capa_id), and
-- capa.audit and capa.escalation said record_id.  Renamed here, with what
-- reads them by name: capa_audit_verify()'s result column (renamed in
-- pg_proc: the function keeps its privileges, comment and dependents), and
-- the PL/pgSQL of capa_conformance() and capa_dossier(), whose text names
-- the column (views, indexes and policies follow a renamed column by
-- themselves).  Nothing hashed changes: the audit
-- encoding covers the values, not the column names (docs/audit-chain.md),
-- and no row is rewritten.  Queries that name record_id must say capa_id
-- (CHANGELOG.md); a dump taken before goes into the version that wrote it,
-- then ALTER EXTENSION capa UPDATE (docs/operations.md, "Dump and restore").
-- The library works on both names until the update (REF_COLUMN,
-- src/audit/chain.h).

\echo Use "ALTER EXTENSION capa UPDATE TO '0.4.0'" to load this file. \quit
--
-- The schema, checked as the install script checks it: a schema capa made
-- before CREATE EXTENSION (by the database's owner, or any role with CREATE
-- on the database) was taken as it was, with whatever was in it; its owner
-- could rename it and put look-alikes in its place, or drop the extension
-- with it, and what it held would be called by whoever calls capa.  An
-- update of such an installation stops here and says what to do.
--
DO $schema$
DECLARE
    owner_name  name;
    creators    text;
    strangers   text;
BEGIN
    SELECT o.rolname INTO owner_name
      FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE n.oid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace AND NOT o.rolsuper;
    IF owner_name IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('schema %s is owned by %s, who is not a superuser', '@extschema@', owner_name),
            DETAIL = 'Its owner could replace or drop what capa puts in it, and what it holds would be called by capa''s callers.',
            HINT = 'As a superuser, hand it over (ALTER SCHEMA ... OWNER TO a superuser) and update again: the update then refuses whatever in it is not capa''s.';
    END IF;
    SELECT pg_catalog.string_agg(CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                      ELSE pg_catalog.quote_ident(r.rolname) END, ', ')
      INTO creators
      FROM pg_catalog.pg_namespace n
     CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
      LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
     WHERE n.oid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
       AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE' AND NOT coalesce(r.rolsuper, false);
    IF creators IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('roles that are not superusers may create in schema %s: %s', '@extschema@', creators),
            DETAIL = 'They could put look-alikes of capa''s objects beside them.',
            HINT = pg_catalog.format('As a superuser, REVOKE CREATE ON SCHEMA %s FROM %s; and update again: the update then refuses whatever in it is not capa''s.', '@extschema@', creators);
    END IF;
    -- what is in the schema and not capa's (the extension itself aside)
    SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', '
                                 ORDER BY d.classid, d.objid)
      INTO strangers
      FROM pg_catalog.pg_depend d
     WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
       AND d.refobjid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
       AND d.deptype OPERATOR(pg_catalog.=) 'n'
       AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_extension'::pg_catalog.regclass
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e JOIN pg_catalog.pg_extension x
                                ON x.oid OPERATOR(pg_catalog.=) e.refobjid
                        WHERE e.classid OPERATOR(pg_catalog.=) d.classid
                          AND e.objid OPERATOR(pg_catalog.=) d.objid
                          AND e.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                          AND e.deptype OPERATOR(pg_catalog.=) 'e'
                          AND x.extname OPERATOR(pg_catalog.=) 'capa');
    IF strangers IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('schema %s holds objects that are not capa''s: %s', '@extschema@', strangers),
            DETAIL = 'capa''s callers would find them beside capa''s own.',
            HINT = 'Look at who made them and why; drop them (or move them: ALTER ... SET SCHEMA) as a superuser, then update.';
    END IF;
END
$schema$;

ALTER TABLE @extschema@.audit RENAME COLUMN record_id TO capa_id;
ALTER TABLE @extschema@.escalation RENAME COLUMN record_id TO capa_id;
-- 18 and later name a column's NOT NULL constraint after the column, and a
-- renamed column keeps it: the name a new database gives it
DO $rename$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_constraint
                WHERE conrelid OPERATOR(pg_catalog.=) '@extschema@.audit'::pg_catalog.regclass
                  AND conname OPERATOR(pg_catalog.=) 'audit_record_id_not_null') THEN
        ALTER TABLE @extschema@.audit RENAME CONSTRAINT audit_record_id_not_null TO audit_capa_id_not_null;
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_constraint
                WHERE conrelid OPERATOR(pg_catalog.=) '@extschema@.escalation'::pg_catalog.regclass
                  AND conname OPERATOR(pg_catalog.=) 'escalation_record_id_not_null') THEN
        ALTER TABLE @extschema@.escalation RENAME CONSTRAINT escalation_record_id_not_null TO escalation_capa_id_not_null;
    END IF;
END
$rename$;

-- capa_audit_verify()'s result column: ALTER FUNCTION cannot rename a
-- result column, and dropping the function to make it again would fail for
-- any view a reader built on it and lose the privileges granted on it; a
-- function's parameter names are data of pg_proc, renamed in place
UPDATE pg_catalog.pg_proc
   SET proargnames = pg_catalog.array_replace(proargnames, 'record_id'::pg_catalog.text, 'capa_id'::pg_catalog.text)
 WHERE oid OPERATOR(pg_catalog.=) '@extschema@.capa_audit_verify(pg_catalog.text, @extschema@.capa_ref)'::pg_catalog.regprocedure;

-- the PL/pgSQL that reads the trail by that column
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
    fields := ARRAY['title', 'description', 'source', 'severity', 'audit'];
    evidence := pg_catalog.format('%s audit row(s) in %s chain(s), seq %s to %s', pg_catalog.cardinality(all_seqs),
                                  n_chains, all_seqs[1], all_seqs[pg_catalog.cardinality(all_seqs)]);
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
        'dossier_version', 2,
        'generated_at', pg_catalog.now(),
        'generated_by', CURRENT_USER,
        'record', pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.||)
                  pg_catalog.jsonb_build_object('chain_head', pg_catalog.encode(r.chain_head, 'hex')),
        'related', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                               'id', x.ref, 'exists', g.id IS NOT NULL, 'kind', g.kind,
                               'state', g.state, 'title', g.title) ORDER BY x.n), '[]'::jsonb)
                      FROM pg_catalog.unnest(r.related) WITH ORDINALITY x(ref, n)
                      LEFT JOIN @extschema@.register g ON g.id OPERATOR(@extschema@.=) x.ref),
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

-- the comments that name a C source say where it is now (src/<part>/, src/README.md)
COMMENT ON FUNCTION @extschema@.capa_lifecycle() IS
    'the lifecycle as capa enforces it (src/lifecycle/rules.c): one row per allowed step and kind, with what it requires, may record, checks, clears, and who may take it (empty roles: whoever may run its statement)';
COMMENT ON FUNCTION @extschema@.capa_changes() IS
    'the governed changes (src/lifecycle/rules.c): in which states of the record, for which kinds, by whom (owner: a capa_editor acting for the owner), and whether they need a reason';
COMMENT ON FUNCTION @extschema@.capa_state_ended(@extschema@.capa_state) IS
    'closed or cancelled: the record has ended (src/lifecycle/rules.c)';
COMMENT ON FUNCTION @extschema@.capa_state_actions_open(@extschema@.capa_state) IS
    'action items may be added, changed and completed in this state (src/lifecycle/rules.c)';
COMMENT ON FUNCTION @extschema@.capa_state_open(@extschema@.capa_state) IS
    'the record is being worked: not closed or cancelled (src/lifecycle/rules.c); what the KPIs count as open';
COMMENT ON FUNCTION @extschema@.capa_due_applies(text, @extschema@.capa_state) IS
    'due date due (contain, close, effectiveness) is due in this state (src/lifecycle/rules.c, capa_dues): a record in it is overdue once past that date; its due date may be rescheduled';
COMMENT ON FUNCTION @extschema@.capa_kind_has_step(text, text) IS
    'the path of this kind has this step (src/lifecycle/rules.c): contain for corrective records only, analyse for corrective and preventive ones';
COMMENT ON FUNCTION @extschema@.capa_step_requires(text, text) IS
    'the evidence columns every such step of this kind''s path requires, whichever state it starts from (src/lifecycle/rules.c); NULL when the kind has no such step';
