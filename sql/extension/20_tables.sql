-- capa install script, part 20: the tables -- lookups and versioned policies
-- with their built-in rows, the register, its action items and the audit
-- trail -- with what pg_dump keeps of them and who may read them.

--
-- Lookup tables.  Built-in rows are not dumped (the install script makes
-- them again); rows an administrator adds are.  Rows are only ever added:
-- records refer to them.
--
CREATE TABLE @extschema@.source (
    code        text PRIMARY KEY CHECK (code OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*$'),
    label       text NOT NULL,
    builtin     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.source IS 'where nonconformities and opportunities come from; capa_admin may add rows';
INSERT INTO @extschema@.source (code, label, builtin) VALUES
    ('internal_audit', 'Internal audit', true),
    ('external_audit', 'External or certification audit', true),
    ('incident', 'Information security incident', true),
    ('management_review', 'Management review', true),
    ('monitoring', 'Monitoring and measurement', true),
    ('complaint', 'Complaint from an interested party', true),
    ('risk_assessment', 'Risk assessment', true),
    ('self_identified', 'Self-identified', true),
    ('other', 'Other', true);

CREATE TABLE @extschema@.cause_category (
    code        text PRIMARY KEY CHECK (code OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*$'),
    label       text NOT NULL,
    builtin     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.cause_category IS 'root-cause taxonomy for Pareto analysis; capa_admin may add rows';
INSERT INTO @extschema@.cause_category (code, label, builtin) VALUES
    ('people', 'People: awareness, competence, workload', true),
    ('process', 'Process or procedure unclear, missing or not followed', true),
    ('technology', 'Technology: configuration, failure, capacity', true),
    ('supplier', 'Supplier or third party', true),
    ('governance', 'Governance: roles, responsibilities, resources', true),
    ('environment', 'Physical or environmental', true),
    ('other', 'Other', true);

CREATE TABLE @extschema@.rca_method (
    code        text PRIMARY KEY CHECK (code OPERATOR(pg_catalog.~) '^[a-z0-9][a-z0-9_]*$'),
    label       text NOT NULL,
    builtin     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.rca_method IS 'root-cause analysis methods; capa_admin may add rows';
INSERT INTO @extschema@.rca_method (code, label, builtin) VALUES
    ('5whys', '5 Whys', true),
    ('fishbone', 'Fishbone (Ishikawa) diagram', true),
    ('fault_tree', 'Fault tree analysis', true),
    ('other', 'Other', true);

-- The finding's grade as an audit states it (0.5.0), apart from the
-- severity, which drives the due dates
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

--
-- Policies are versioned: a change is a new row, the latest row wins, and
-- the history shows when the policy changed and who changed it.
--
CREATE TABLE @extschema@.severity_policy (
    id                      bigserial PRIMARY KEY,
    severity                @extschema@.capa_severity NOT NULL,
    contain_within          interval,
    close_within            interval NOT NULL,
    effectiveness_within    interval NOT NULL,
    set_at                  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    set_by                  name NOT NULL DEFAULT CURRENT_USER,
    builtin                 boolean NOT NULL DEFAULT false,
    -- time for the action to show its effect: capa_verify(effective => true)
    -- before implemented_at + effectiveness_after is refused (55000) unless
    -- capa_admin waived it for the record (capa_waive_window)
    effectiveness_after     interval,
    -- a due date is after the step that sets it, and within reach of a timestamp
    CONSTRAINT severity_policy_intervals_check CHECK (
        (contain_within IS NULL OR (contain_within OPERATOR(pg_catalog.>) '0'::interval
                                    AND contain_within OPERATOR(pg_catalog.<=) '100 years'::interval))
        AND close_within OPERATOR(pg_catalog.>) '0'::interval
        AND close_within OPERATOR(pg_catalog.<=) '100 years'::interval
        AND effectiveness_within OPERATOR(pg_catalog.>) '0'::interval
        AND effectiveness_within OPERATOR(pg_catalog.<=) '100 years'::interval),
    -- the window ends before the check falls due
    CONSTRAINT severity_policy_window_check CHECK (
        effectiveness_after IS NULL
        OR (effectiveness_after OPERATOR(pg_catalog.>=) '0'::interval
            AND effectiveness_after OPERATOR(pg_catalog.<=) effectiveness_within))
);
COMMENT ON TABLE @extschema@.severity_policy IS
    'due dates by severity (latest row per severity wins): time to contain and to close from opening, time to check effectiveness from implementation';
CREATE INDEX ON @extschema@.severity_policy (severity, id);
COMMENT ON COLUMN @extschema@.severity_policy.effectiveness_after IS
    'the earliest effectiveness check after implementation (NULL: none); at most effectiveness_within, so no due date falls before it';
-- a close due date that leaves room for the window (an on-time path:
-- implement within close_within - effectiveness_after)
INSERT INTO @extschema@.severity_policy (severity, contain_within, close_within, effectiveness_within,
                                         effectiveness_after, builtin) VALUES
    ('critical', '1 day', '45 days', '30 days', '14 days', true),
    ('major', '7 days', '90 days', '60 days', '30 days', true),
    ('minor', '30 days', '120 days', '90 days', '30 days', true),
    ('observation', NULL, '180 days', '90 days', '30 days', true);

CREATE TABLE @extschema@.policy (
    id                      bigserial PRIMARY KEY,
    segregation_of_duties   boolean NOT NULL,
    set_at                  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    set_by                  name NOT NULL DEFAULT CURRENT_USER,
    builtin                 boolean NOT NULL DEFAULT false,
    -- owners are bound to identities: see owner_role on the register
    free_text_owners        boolean
);
COMMENT ON TABLE @extschema@.policy IS
    'capa policy switches (latest row wins); segregation_of_duties: the verifier owns neither the record nor its actions';
COMMENT ON COLUMN @extschema@.policy.free_text_owners IS
    'false: owners must name a role or an application identity (user@domain); true: free text; NULL: as the row before (the built-in row: false)';
INSERT INTO @extschema@.policy (segregation_of_duties, free_text_owners, builtin) VALUES (true, false, true);

--
-- The register
--
CREATE SEQUENCE @extschema@.register_number_seq AS bigint MINVALUE 1 MAXVALUE 999999999999;
COMMENT ON SEQUENCE @extschema@.register_number_seq IS 'numbers of new references (CAPA-YYYY-<number>)';

CREATE TABLE @extschema@.register (
    id                      @extschema@.capa_ref PRIMARY KEY,
    kind                    text NOT NULL DEFAULT 'corrective',
    state                   @extschema@.capa_state NOT NULL DEFAULT 'open',
    -- NULL only for an improvement (0.5.0): register_severity_check, and
    -- the trigger first (23502, naming the column)
    severity                @extschema@.capa_severity,
    -- integer, as capa_open takes it: any value outside 1-5 fails this CHECK (23514),
    -- none the cast to a narrower type first (22003)
    priority                integer CHECK (priority OPERATOR(pg_catalog.>=) 1 AND priority OPERATOR(pg_catalog.<=) 5),
    title                   text NOT NULL,
    description             text NOT NULL,
    source                  text NOT NULL REFERENCES @extschema@.source (code),
    owner                   text NOT NULL DEFAULT CURRENT_USER,
    org_unit                text,
    -- 10.2 a: react
    containment             text,
    consequences            text,
    -- 10.2 b: analyse
    root_cause              text,
    rca_method              text REFERENCES @extschema@.rca_method (code),
    extent_of_condition     text,
    cause_category          text REFERENCES @extschema@.cause_category (code),
    why_chain               text[],
    related                 @extschema@.capa_ref[],
    action_required         boolean,
    no_action_justification text,
    -- 10.2 d: effectiveness
    effective               boolean,
    verification_evidence   text,
    -- 10.2 e: ISMS changes
    isms_changes            text,
    cancel_reason           text,
    reopen_reason           text,
    -- due dates
    contain_due             timestamptz,
    close_due               timestamptz,
    effectiveness_due       timestamptz,
    -- step stamps, set by capa
    opened_at               timestamptz NOT NULL,
    opened_by               name NOT NULL,
    contained_at            timestamptz,
    contained_by            name,
    analysed_at             timestamptz,
    analysed_by             name,
    planned_at              timestamptz,
    planned_by              name,
    implemented_at          timestamptz,
    implemented_by          name,
    verified_at             timestamptz,
    verified_by             name,
    closed_at               timestamptz,
    closed_by               name,
    cancelled_at            timestamptz,
    cancelled_by            name,
    reopened_at             timestamptz,
    reopened_by             name,
    updated_at              timestamptz NOT NULL,
    -- counters, set by capa
    reopen_count            integer NOT NULL,
    ineffective_count       integer NOT NULL,
    chain_seq               integer NOT NULL,
    chain_head              bytea NOT NULL,
    -- Columns after chain_head: row encoding 1 encodes such a column only
    -- when it is not NULL (src/audit/chain.c), so a row written before the column
    -- existed hashes as it did.  A new column goes at the end, NULL for the
    -- rows already written.
    -- governed change (45_governed.sql): first due dates and counters
    original_contain_due    timestamptz,
    original_close_due      timestamptz,
    original_effectiveness_due timestamptz,
    reschedule_count        integer,
    reassign_count          integer,
    reanalyse_count         integer,
    extent_found            text,
    effectiveness_from      timestamptz,
    -- Owners bound to identities (issue 14, item 2).  An owner names an
    -- existing role (exactly) or an application identity (user@domain, as
    -- capa.app_user names the end user); anything else is refused (42704)
    -- unless the latest policy row that says so allows free text
    -- (free_text_owners; NULL in a row: as the row before it says).  A role
    -- named as owner is bound to the row by its OID in owner_role, which the
    -- triggers keep (whatever a statement writes there): a renamed role still
    -- owns its records and still may not verify them; a dropped role is acted
    -- for by nobody (capa_admin reassigns).  owner_role is not part of the
    -- row hash (src/audit/chain.c) and is bound anew from the owner's name when a
    -- dump is restored into another cluster, where OIDs differ.
    owner_role              oid,
    -- The finding's facts (issue 17, item 3; src/lifecycle/facts.c): when it
    -- was found (the opening unless given, never later), the requirement
    -- not met, its grade, what was seen.  Given at opening, corrected only
    -- by capa_amend (a reason); a step does not change them.
    detected_at             timestamptz,
    requirement             text,
    grade                   text REFERENCES @extschema@.grade (code),
    objective_evidence      text,
    CONSTRAINT register_severity_check CHECK (
        severity IS NOT NULL OR kind OPERATOR(pg_catalog.=) 'improvement')
);
COMMENT ON TABLE @extschema@.register IS
    'one row per nonconformity (corrective), potential nonconformity (preventive) or opportunity (improvement); the lifecycle is enforced by capa_register_trigger';
COMMENT ON COLUMN @extschema@.register.chain_seq IS 'number of audit rows of this record (its position in its audit chain)';
COMMENT ON COLUMN @extschema@.register.chain_head IS 'hash of the record''s latest audit row: the head of its chain';
COMMENT ON COLUMN @extschema@.register.original_contain_due IS 'the first containment due date, set once by capa (NULL for a record of 0.2.0 never rescheduled: see contain_due)';
COMMENT ON COLUMN @extschema@.register.original_close_due IS 'the first close due date, set once by capa (NULL for a record of 0.2.0 never rescheduled: see close_due)';
COMMENT ON COLUMN @extschema@.register.original_effectiveness_due IS 'the first effectiveness due date, set once by capa';
COMMENT ON COLUMN @extschema@.register.reschedule_count IS 'capa_reschedule steps taken (NULL: none, for a record of 0.2.0)';
COMMENT ON COLUMN @extschema@.register.reassign_count IS 'capa_reassign steps taken (NULL: none, for a record of 0.2.0)';
COMMENT ON COLUMN @extschema@.register.extent_of_condition IS 'what the check of other places for the same condition covers, decided by the analysis (10.2 b); what it found: extent_found';
COMMENT ON COLUMN @extschema@.register.extent_found IS 'what the extent-of-condition check found (10.2 b), recorded by capa_extent_found once known, before the verification';
COMMENT ON COLUMN @extschema@.register.effectiveness_from IS 'the earliest effective verification: implementation + the severity policy''s effectiveness_after (NULL: no window); capa_waive_window moves it to now';
COMMENT ON COLUMN @extschema@.register.reanalyse_count IS 'times the analysis was sent back: capa_verify(reanalyse => true), capa_reanalyse (NULL: none, for a record of 0.2.0)';
COMMENT ON COLUMN @extschema@.register.owner_role IS
    'the role owner named when it was written (kept by capa, not hashed): segregation of duties and acting for the owner follow the role under any later name; NULL: free text or an application identity';
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

CREATE TABLE @extschema@.action (
    id              bigserial PRIMARY KEY,
    capa_id         @extschema@.capa_ref NOT NULL REFERENCES @extschema@.register (id),
    description     text NOT NULL,
    owner           text NOT NULL,
    due             date NOT NULL,
    done            boolean NOT NULL DEFAULT false,
    evidence        text,
    done_at         timestamptz,
    done_by         name,
    created_at      timestamptz NOT NULL,
    created_by      name NOT NULL,
    updated_at      timestamptz NOT NULL,
    chain_seq       integer NOT NULL,
    chain_head      bytea NOT NULL,
    -- after chain_head, as on the register
    original_due    date,
    cancelled_at    timestamptz,
    cancelled_by    name,
    cancel_reason   text,
    owner_role      oid
);
COMMENT ON TABLE @extschema@.action IS 'action items of a record (10.2 c), each with an owner, a due date and, once done, evidence';
COMMENT ON COLUMN @extschema@.action.original_due IS 'the first due date, set once by capa';
COMMENT ON COLUMN @extschema@.action.cancelled_at IS 'when capa_cancel_action cancelled the item: it is not done any more, and not counted by capa_plan and capa_implement';
COMMENT ON COLUMN @extschema@.action.cancel_reason IS 'why the item was cancelled (setting it cancels the item)';
COMMENT ON COLUMN @extschema@.action.owner_role IS
    'the role owner named when it was written (kept by capa, not hashed); NULL: free text or an application identity';
-- (capa_id, id): a record's items, and the order capa_audit_verify() reads them in
CREATE INDEX action_chain_idx ON @extschema@.action (capa_id, id);

CREATE TABLE @extschema@.audit (
    seq             bigserial PRIMARY KEY,
    capa_id         @extschema@.capa_ref NOT NULL,
    action_id       bigint,
    chain_seq       integer NOT NULL,
    step            text NOT NULL,
    from_state      @extschema@.capa_state,
    to_state        @extschema@.capa_state,
    changed         jsonb NOT NULL,
    actor           name NOT NULL,
    session_actor   name NOT NULL,
    app_user        text,
    application_name text,
    client_addr     inet,
    xid             xid8 NOT NULL,
    at              timestamptz NOT NULL,
    row_hash        bytea NOT NULL,
    prev_hash       bytea,
    hash            bytea NOT NULL,
    encoding        smallint NOT NULL
);
COMMENT ON TABLE @extschema@.audit IS
    'append-only trail: one row per change of a register or action row, written in the same transaction';
COMMENT ON COLUMN @extschema@.audit.actor IS 'effective role of the caller (honours SET ROLE)';
COMMENT ON COLUMN @extschema@.audit.session_actor IS 'session (login) role';
COMMENT ON COLUMN @extschema@.audit.app_user IS 'end user named by the application with SET capa.app_user: a claim, recorded next to the role';
COMMENT ON COLUMN @extschema@.audit.chain_seq IS 'position in the chain of the changed row (the record, or one action item)';
COMMENT ON COLUMN @extschema@.audit.row_hash IS 'SHA-256 of the changed row''s content after the change (row encoding 1)';
COMMENT ON COLUMN @extschema@.audit.prev_hash IS 'hash of the previous audit row of the same chain; NULL for the first';
COMMENT ON COLUMN @extschema@.audit.hash IS 'SHA-256 of capa_audit_bytes(seq), which covers prev_hash and row_hash';
COMMENT ON COLUMN @extschema@.audit.encoding IS 'version of the byte encoding the hash covers';
CREATE UNIQUE INDEX audit_chain_idx ON @extschema@.audit (capa_id, action_id, chain_seq) NULLS NOT DISTINCT;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.source', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.cause_category', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.rca_method', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.grade', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.severity_policy', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.severity_policy_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.policy', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.policy_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.register_number_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.register', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.action', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.action_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.audit', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.audit_seq_seq', '');

--
-- Privileges.  Tables are written only by the API (which runs as their
-- owner), so roles get SELECT at most; the audit trail refuses UPDATE,
-- DELETE and TRUNCATE even to its owner.  capa_admin adds lookup and policy
-- rows.
--
REVOKE UPDATE, DELETE, TRUNCATE ON @extschema@.audit FROM CURRENT_USER;
GRANT SELECT ON @extschema@.register, @extschema@.action, @extschema@.audit,
    @extschema@.source, @extschema@.cause_category, @extschema@.rca_method,
    @extschema@.severity_policy, @extschema@.policy TO capa_reader;
GRANT INSERT (code, label) ON @extschema@.source, @extschema@.cause_category, @extschema@.rca_method TO capa_admin;
GRANT SELECT ON @extschema@.grade TO capa_reader;
GRANT INSERT (code, label) ON @extschema@.grade TO capa_admin;
GRANT INSERT (severity, contain_within, close_within, effectiveness_within, effectiveness_after)
    ON @extschema@.severity_policy TO capa_admin;
GRANT INSERT (segregation_of_duties, free_text_owners) ON @extschema@.policy TO capa_admin;
GRANT USAGE ON SEQUENCE @extschema@.severity_policy_id_seq, @extschema@.policy_id_seq TO capa_admin;
