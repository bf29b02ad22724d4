-- pgTAP: the privilege matrix of every group role against every function
-- and table, nothing for PUBLIC, and segregation of duties.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SET search_path = public, capa;

-- which group role may execute which API function (docs/operations.md: Roles and privileges)
CREATE TEMP TABLE fn_matrix (fn text, reader bool, editor bool, verifier bool, admin bool);
INSERT INTO fn_matrix VALUES
  ('capa.capa_next_states(capa.capa_ref)', true, true, true, true),
  ('capa.capa_open(text,text,capa.capa_severity,text,text,text,integer,text,timestamptz,timestamptz,timestamptz,text,text,text)', false, true, false, true),
  ('capa.capa_contain(capa.capa_ref,text,text)', false, true, false, true),
  ('capa.capa_analyse(capa.capa_ref,text,text,text,text,boolean,text,text[],capa.capa_ref[])', false, true, false, true),
  ('capa.capa_add_action(capa.capa_ref,text,text,date)', false, true, false, true),
  ('capa.capa_complete_action(bigint,text)', false, true, false, true),
  ('capa.capa_plan(capa.capa_ref)', false, true, false, true),
  ('capa.capa_implement(capa.capa_ref)', false, true, false, true),
  ('capa.capa_verify(capa.capa_ref,boolean,text)', false, false, true, true),
  ('capa.capa_close(capa.capa_ref,text)', false, false, true, true),
  ('capa.capa_reopen(capa.capa_ref,text)', false, false, true, true),
  ('capa.capa_cancel(capa.capa_ref,text)', false, false, false, true),
  ('capa.capa_import(regclass)', false, false, false, true),
  ('capa.capa_escalate(timestamptz)', false, false, false, true),
  ('capa.capa_conformance(capa.capa_ref)', true, true, true, true),
  ('capa.capa_dossier(capa.capa_ref)', true, true, true, true),
  ('capa.capa_no_isms_change(text)', true, true, true, true),
  ('capa.capa_review_snapshot_hash(capa.review_snapshot)', true, true, true, true),
  ('capa.capa_review_snapshot(text)', false, false, false, true),
  ('capa.capa_review_snapshot_fill()', false, false, false, false),
  ('capa.capa_digest_release()', false, false, false, false),
  ('capa.capa_review_snapshot_turn()', false, false, false, true),
  ('capa.capa_kpi_compact()', false, false, false, true),
  ('capa.capa_kpi_rebuild()', false, false, false, true),
  ('capa.capa_link(capa.capa_ref,regclass,text)', false, true, false, true),
  ('capa.capa_unlink(capa.capa_ref,regclass,text)', false, true, false, true),
  ('capa.capa_broken_links()', true, true, true, true),
  ('capa.capa_link_check(regclass)', true, true, true, true),
  ('capa.capa_blank(text)', true, true, true, true),
  ('capa.capa_kpi_pending_rollup()', true, true, true, true),
  ('capa.capa_kpi_pending_close_days()', true, true, true, true),
  ('capa.capa_kpi_pending_action_due()', true, true, true, true),
  ('capa.capa_org_units_visible()', true, true, true, true),
  ('capa.capa_org_units_all()', true, true, true, true),
  ('capa.capa_rls_tables()', true, true, true, true),
  ('capa.capa_rls_enable()', false, false, false, true),
  ('capa.capa_rls_disable()', false, false, false, true),
  ('capa.capa_report_html(date,date,text)', true, true, true, true),
  ('capa.report_chart(text,text,text,text[],text[],numeric[],boolean,numeric[])', true, true, true, true),
  ('capa.report_escape(text)', true, true, true, true),
  ('capa.report_value(text,jsonb)', true, true, true, true),
  ('capa.capa_dossier_html(capa.capa_ref)', true, true, true, true),
  ('capa.capa_intake(regclass,text,jsonb,text)', false, false, false, true),
  ('capa.capa_intake_drop(regclass)', false, false, false, true),
  ('capa.capa_intake_trigger()', false, false, false, true),   -- partitions made later (0.3.0)
  ('capa.capa_register_trigger()', false, false, false, false),
  ('capa.capa_action_trigger()', false, false, false, false),
  -- governed change (0.3.0): the triggers judge who acts for whom
  -- (test/pgtap/45_governed.sql, G1)
  ('capa.capa_reassign(capa.capa_ref,text,text)', false, true, false, true),
  ('capa.capa_reassign_action(bigint,text,text)', false, true, false, true),
  ('capa.capa_reschedule(capa.capa_ref,text,timestamptz,text)', false, true, false, true),
  ('capa.capa_reschedule_action(bigint,date,text)', false, true, false, true),
  ('capa.capa_amend(capa.capa_ref,text,text,text)', false, true, true, true),
  ('capa.capa_cancel_action(bigint,text)', false, true, false, true),
  ('capa.capa_reanalyse(capa.capa_ref,text)', false, true, false, true),
  ('capa.capa_extent_found(capa.capa_ref,text)', false, true, false, true),
  ('capa.capa_waive_window(capa.capa_ref,text)', false, false, false, true),
  ('capa.capa_lifecycle()', true, true, true, true),
  ('capa.capa_changes()', true, true, true, true),
  ('capa.capa_state_ended(capa.capa_state)', true, true, true, true),
  ('capa.capa_state_actions_open(capa.capa_state)', true, true, true, true),
  ('capa.capa_state_open(capa.capa_state)', true, true, true, true),
  ('capa.capa_due_applies(text,capa.capa_state)', true, true, true, true),
  ('capa.capa_overdue(capa.capa_state,timestamptz,timestamptz,timestamptz,timestamptz)', true, true, true, true),
  ('capa.capa_kind_has_step(text,text)', true, true, true, true),
  ('capa.capa_facts_support(internal)', false, false, false, false),
  ('capa.capa_step_requires(text,text)', true, true, true, true),
  ('capa.capa_verify(capa.capa_ref,boolean,text,boolean)', false, false, true, true);

CREATE TEMP TABLE tbl_matrix (tbl text, priv text, reader bool, editor bool, verifier bool, admin bool);
INSERT INTO tbl_matrix
SELECT t, p, p = 'SELECT', p = 'SELECT', p = 'SELECT', p = 'SELECT'
  FROM unnest(ARRAY['capa.register', 'capa.action', 'capa.audit', 'capa.review_snapshot',
                    'capa.review_comparison', 'capa.closed_without_isms_change',
                    'capa.kpi_rollup', 'capa.kpi_close_days', 'capa.kpi_record', 'capa.kpi_summary',
                    'capa.kpi_rollup_now', 'capa.kpi_close_days_now', 'capa.kpi_action_due',
                    'capa.kpi_action_due_now',
                    'capa.kpi_monthly', 'capa.kpi_by_source', 'capa.kpi_by_severity', 'capa.kpi_by_cause',
                    'capa.kpi_by_owner', 'capa.kpi_by_org_unit', 'capa.kpi_by_control',
                    'capa.link', 'capa.broken_link', 'capa.digest',
                    'capa.intake_config', 'capa.intake_failure', 'capa.intake', 'capa.escalation',
                    'capa.kpi_change', 'capa.kpi_change_summary', 'capa.lifecycle']) t,
       unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p;

-- evidence items (0.5.0, [attach]; test/pgtap/51_attachments.sql)
INSERT INTO fn_matrix VALUES
  ('capa.capa_attach(capa.capa_ref,text,text,text,bytea,bytea,bigint,text)', false, true, true, true),
  ('capa.capa_withdraw_attachment(bigint,text)', false, true, false, true),
  ('capa.capa_evidence_check(bytea)', true, true, true, true),
  ('capa.capa_attachment_guard()', false, false, false, false);
INSERT INTO tbl_matrix
SELECT 'capa.attachment', p, p = 'SELECT', p = 'SELECT', p = 'SELECT', p = 'SELECT'
  FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p;

SELECT plan((SELECT count(*)::int * 5 FROM fn_matrix) + (SELECT count(*)::int * 5 FROM tbl_matrix) + 6 + 3 + 2 + 1);

-- the matrices are complete: a new function or relation must be added to them
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc p
            WHERE p.pronamespace = 'capa'::regnamespace AND p.prokind = 'f'
              AND p.proname !~ '^capa_(state|severity|ref)_'
              AND p.proname NOT IN ('capa_ref', 'min', 'max', 'capa_audit_bytes', 'capa_audit_verify',
                                    'capa_digest', 'capa_audit_guard', 'capa_truncate_guard')
              AND NOT EXISTS (SELECT FROM fn_matrix m WHERE m.fn::regprocedure = p.oid)),
          NULL, 'every capa function is in the privilege matrix (or is a type, chain or guard function tested elsewhere)');
SELECT is((SELECT array_agg(c.oid::regclass::text ORDER BY 1) FROM pg_class c
            WHERE c.relnamespace = 'capa'::regnamespace AND c.relkind IN ('r', 'v', 'p')
              AND c.relname NOT IN ('source', 'cause_category', 'rca_method', 'grade', 'severity_policy', 'policy',
                                    'org_unit_access')
              AND NOT EXISTS (SELECT FROM tbl_matrix m WHERE m.tbl::regclass = c.oid)),
          NULL, 'every capa table and view is in the privilege matrix (but the lookups and policies, with admin INSERT)');

-- a review snapshot's label is the only column anyone may give
-- org unit access: readers read it, capa_admin grants and withdraws units
SELECT is(ARRAY[has_table_privilege('capa_reader', 'capa.org_unit_access', 'SELECT'),
                has_any_column_privilege('capa_editor', 'capa.org_unit_access', 'INSERT'),
                has_any_column_privilege('capa_admin', 'capa.org_unit_access', 'INSERT'),
                has_table_privilege('capa_admin', 'capa.org_unit_access', 'DELETE'),
                has_table_privilege('capa_admin', 'capa.org_unit_access', 'UPDATE')],
          ARRAY[true, false, true, true, false],
          'capa.org_unit_access: read by readers, granted and withdrawn by capa_admin only, never updated');
SELECT is(has_column_privilege('capa_admin', 'capa.review_snapshot', 'label', 'INSERT'), true,
          'capa_admin may INSERT the label of a review snapshot');
SELECT is(has_column_privilege('capa_admin', 'capa.review_snapshot', 'kpis', 'INSERT'), false,
          'capa_admin may not INSERT its KPIs');
SELECT is(has_column_privilege('capa_verifier', 'capa.review_snapshot', 'label', 'INSERT'), false,
          'capa_verifier may not INSERT a review snapshot');

SELECT is(has_function_privilege(r.role, m.fn, 'EXECUTE'), r.expected,
          format('%s %s execute %s', r.role, CASE WHEN r.expected THEN 'may' ELSE 'may not' END, split_part(m.fn, '(', 1)))
  FROM fn_matrix m
 CROSS JOIN LATERAL (VALUES ('capa_reader', m.reader), ('capa_editor', m.editor),
                            ('capa_verifier', m.verifier), ('capa_admin', m.admin)) AS r(role, expected)
 ORDER BY m.fn, r.role;
SELECT is(EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a
                   WHERE p.oid = m.fn::regprocedure AND a.grantee = 0), false,
          format('PUBLIC may not execute %s', split_part(m.fn, '(', 1)))
  FROM fn_matrix m ORDER BY m.fn;

SELECT is(has_table_privilege(r.role, m.tbl, m.priv), r.expected,
          format('%s %s %s %s', r.role, CASE WHEN r.expected THEN 'has' ELSE 'has no' END, m.priv, m.tbl))
  FROM tbl_matrix m
 CROSS JOIN LATERAL (VALUES ('capa_reader', m.reader), ('capa_editor', m.editor),
                            ('capa_verifier', m.verifier), ('capa_admin', m.admin)) AS r(role, expected)
 ORDER BY m.tbl, m.priv, r.role;
SELECT is(EXISTS (SELECT 1 FROM pg_class c, aclexplode(c.relacl) a
                   WHERE c.oid = m.tbl::regclass AND a.grantee = 0 AND a.privilege_type = m.priv), false,
          format('PUBLIC has no %s on %s', m.priv, m.tbl))
  FROM tbl_matrix m ORDER BY m.tbl, m.priv;

-- segregation of duties, as the roles themselves
CREATE ROLE tap_alice; CREATE ROLE tap_bob; CREATE ROLE tap_ops;
GRANT capa_editor, capa_verifier TO tap_alice, tap_ops;
GRANT capa_verifier TO tap_bob;
SET ROLE tap_alice;
CREATE TEMP TABLE r AS SELECT capa.capa_open('t', 'd', 'minor', 'other', kind => 'improvement') AS id;
SELECT id AS rid FROM r \gset
SELECT capa.capa_add_action(id, 'a', 'tap_ops', current_date) AS aid FROM r \gset
SELECT capa.capa_plan(id) FROM r \gset ignored_
SELECT capa.capa_complete_action(:aid, 'e') \gset ignored_
SELECT capa.capa_implement(id) FROM r \gset ignored_
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, true, 'e')$$, :'rid'), '42501', NULL,
                 'the record''s owner may not verify it');
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, false, 'e')$$, :'rid'), '42501', NULL,
                 'nor find it ineffective');
SET ROLE tap_ops;
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, true, 'e')$$, :'rid'), '42501', NULL,
                 'an action''s owner may not verify the record');
SET ROLE tap_bob;
SET capa.app_user = 'tap_ops';
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, true, 'e')$$, :'rid'), '42501', NULL,
                 'a verifier acting for an action owner (capa.app_user) may not verify');
RESET capa.app_user;
SELECT is(capa.capa_verify(:'rid', true, 'e'), 'verified'::capa.capa_state, 'someone else may');
RESET ROLE;
SELECT is((SELECT verified_by::text FROM capa.register WHERE id = :'rid'), 'tap_bob', 'the verifier is recorded');

SELECT * FROM finish();
ROLLBACK;
