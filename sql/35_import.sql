-- capa_import: an existing register, with its history, judged against the
-- paths of its kinds and audited as imports; refusals name the source row,
-- and a refused import imports nothing.
\set SHOW_CONTEXT never

-- A database of its own: references start at 1 here, and the other tests'
-- references and counts do not move.
\set regress_db :DBNAME
CREATE DATABASE regress_capa_import;
\c regress_capa_import
SET client_min_messages = warning;
CREATE EXTENSION capa;
\i test/policy_0_2.sql
RESET client_min_messages;
SET search_path = public, capa;
CREATE FUNCTION public.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
CREATE FUNCTION public.untimed(doc jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(k, CASE WHEN k ~ '(_at|_due|^due)$' THEN '"*"'::jsonb ELSE v END), '{}')
      FROM jsonb_each(doc) AS e(k, v)
$$;

-- The old register, as a staging table typically types it: states and
-- severities as text (read by the types' input), title as varchar.
CREATE TABLE imp_src (
    legacy_id text, kind text, state text, severity text, priority integer,
    title varchar(200), description text, source text, owner text, org_unit text,
    opened_at timestamptz, opened_by text,
    containment text, consequences text, contained_at timestamptz, contained_by text,
    root_cause text, rca_method text, extent_of_condition text, cause_category text,
    why_chain text[], action_required boolean, no_action_justification text,
    analysed_at timestamptz, analysed_by text,
    planned_at timestamptz, planned_by text, implemented_at timestamptz, implemented_by text,
    effective boolean, verification_evidence text, verified_at timestamptz, verified_by text,
    isms_changes text, closed_at timestamptz, closed_by text,
    cancel_reason text, cancelled_at timestamptz, cancelled_by text,
    reopen_reason text, close_due timestamptz, actions jsonb);

-- Every state of every kind, each with the steps of its path (written out
-- here, independently of src/lifecycle/rules.c), a day or more apart.
CREATE TEMP TABLE paths (n int, kind text, state text, steps text[]);
INSERT INTO paths VALUES
  (1, 'corrective', 'open', '{}'),
  (2, 'corrective', 'contained', '{contain}'),
  (3, 'corrective', 'analysed', '{contain,analyse}'),
  (4, 'corrective', 'planned', '{contain,analyse,plan}'),
  (5, 'corrective', 'implemented', '{contain,analyse,plan,implement}'),
  (6, 'corrective', 'verified', '{contain,analyse,plan,implement,verify}'),
  (7, 'corrective', 'closed', '{contain,analyse,plan,implement,verify,close}'),
  (8, 'corrective', 'closed', '{contain,analyse,noaction,close}'),
  (9, 'corrective', 'cancelled', '{cancel}'),
  (10, 'corrective', 'cancelled', '{contain,cancel}'),
  (11, 'corrective', 'cancelled', '{contain,analyse,cancel}'),
  (12, 'preventive', 'open', '{}'),
  (13, 'preventive', 'analysed', '{analyse}'),
  (14, 'preventive', 'planned', '{analyse,plan}'),
  (15, 'preventive', 'implemented', '{analyse,plan,implement}'),
  (16, 'preventive', 'verified', '{analyse,plan,implement,verify}'),
  (17, 'preventive', 'closed', '{analyse,plan,implement,verify,close}'),
  (18, 'preventive', 'cancelled', '{analyse,cancel}'),
  (19, 'improvement', 'open', '{}'),
  (20, 'improvement', 'planned', '{plan}'),
  (21, 'improvement', 'implemented', '{plan,implement}'),
  (22, 'improvement', 'verified', '{plan,implement,verify}'),
  (23, 'improvement', 'closed', '{plan,implement,verify,close}'),
  (24, 'improvement', 'cancelled', '{cancel}');

INSERT INTO imp_src
SELECT 'OLD-' || n, kind, state, (ARRAY['minor', 'major', 'critical'])[1 + n % 3], 1 + n % 5,
       'Imported finding ' || n, 'From the old register', 'internal_audit', 'regress_alice', 'IT',
       t0, 'regress_alice',
       CASE WHEN 'contain' = ANY (steps) THEN 'Job rerun by hand' END,
       CASE WHEN 'contain' = ANY (steps) THEN 'No data lost' END,
       CASE WHEN 'contain' = ANY (steps) THEN t0 + interval '1 day' END,
       CASE WHEN 'contain' = ANY (steps) THEN 'regress_alice' END,
       CASE WHEN 'analyse' = ANY (steps) THEN 'No role checks the backups' END,
       CASE WHEN 'analyse' = ANY (steps) THEN '5whys' END,
       CASE WHEN 'analyse' = ANY (steps) THEN 'All backup jobs' END,
       CASE WHEN 'analyse' = ANY (steps) THEN 'governance' END,
       CASE WHEN 'analyse' = ANY (steps) THEN ARRAY['Disk full', 'Alerts unread'] END,
       CASE WHEN 'analyse' = ANY (steps) THEN NOT 'noaction' = ANY (steps) END,
       CASE WHEN 'noaction' = ANY (steps) THEN 'One-off operator error, already corrected' END,
       CASE WHEN 'analyse' = ANY (steps) THEN t0 + interval '2 days' END,
       CASE WHEN 'analyse' = ANY (steps) THEN 'regress_alice' END,
       CASE WHEN 'plan' = ANY (steps) THEN t0 + interval '3 days' END,
       CASE WHEN 'plan' = ANY (steps) THEN 'regress_alice' END,
       CASE WHEN 'implement' = ANY (steps) THEN t0 + interval '10 days' END,
       CASE WHEN 'implement' = ANY (steps) THEN 'regress_alice' END,
       CASE WHEN 'verify' = ANY (steps) THEN true END,
       CASE WHEN 'verify' = ANY (steps) THEN '30 reports reviewed' END,
       CASE WHEN 'verify' = ANY (steps) THEN t0 + interval '20 days' END,
       CASE WHEN 'verify' = ANY (steps) THEN 'regress_bob' END,
       CASE WHEN 'close' = ANY (steps) THEN 'Procedure BK-01 v2' END,
       CASE WHEN 'close' = ANY (steps) THEN t0 + interval '21 days' END,
       CASE WHEN 'close' = ANY (steps) THEN 'regress_bob' END,
       CASE WHEN 'cancel' = ANY (steps) THEN 'Duplicate' END,
       CASE WHEN 'cancel' = ANY (steps) THEN t0 + interval '5 days' END,
       CASE WHEN 'cancel' = ANY (steps) THEN 'regress_dave' END,
       NULL,
       CASE WHEN n = 1 THEN timestamptz '2019-08-01 00:00+00' END,
       CASE WHEN 'plan' = ANY (steps) THEN jsonb_build_array(jsonb_build_object(
           'description', 'Route alerts to on-call', 'owner', 'regress_ops', 'due', '2019-12-01',
           'legacy_id', 'ACT-' || n, 'done', done,
           'evidence', CASE WHEN done THEN 'Change CHG-' || n END,
           'done_at', CASE WHEN done THEN t0 + interval '8 days' END,
           'done_by', CASE WHEN done THEN 'regress_ops' END)) END
  -- action items are done from implement on, and for the planned
  -- improvement (20) already
  FROM (SELECT *, timestamptz '2019-03-01 09:00+00' + n * interval '40 days' AS t0,
               'implement' = ANY (steps) OR n = 20 AS done
          FROM paths) p
 ORDER BY n;
-- opened on New Year's Eve in Brazil, which is 2020 in UTC: the year of the
-- reference is the UTC year, as for capa_open
INSERT INTO imp_src (legacy_id, kind, state, severity, title, description, source, owner,
                     opened_at, opened_by)
VALUES ('OLD-NYE', 'corrective', 'open', 'observation', 'Late-night finding', 'd', 'monitoring',
        'regress_alice', '2019-12-31 23:30-03', 'regress_alice');
GRANT SELECT ON imp_src TO regress_dave;

SELECT count(*) AS records_before FROM capa.register \gset
SELECT count(*) AS actions_before FROM capa.action \gset
SELECT coalesce(max(seq), 0) AS audit_before FROM capa.audit \gset
SELECT now() AS t_before \gset

-- only capa_admin may import
SET ROLE regress_alice;
SELECT try($$SELECT capa.capa_import('imp_src')$$) AS editor_imports;
SET ROLE regress_dave;
SET capa.app_user = 'dave@example.com';
SELECT capa.capa_import('imp_src') AS imported;
RESET capa.app_user;
RESET ROLE;

-- the records, with their old identifiers (kept in the import audit row),
-- their history kept, and references of the year they were opened (UTC)
SELECT a.changed ->> 'legacy_id' AS legacy_id, r.id, r.kind, r.state, r.opened_at,
       coalesce(r.closed_at, r.cancelled_at) AS ended_at,
       (SELECT count(*) FROM capa.action x WHERE x.capa_id = r.id) AS actions
  FROM capa.register r
  JOIN capa.audit a ON a.capa_id = r.id AND a.action_id IS NULL AND a.step = 'import'
 ORDER BY r.id;

-- what capa maintains: counters, chain, updated_at; due dates the source
-- left empty come from the severity policy, from the step that sets them
SELECT a.changed ->> 'legacy_id' AS legacy_id, r.severity, r.contain_due, r.close_due,
       r.effectiveness_due, r.reopen_count, r.ineffective_count, r.chain_seq,
       r.updated_at >= :'t_before' AS updated_at_import
  FROM capa.register r
  JOIN capa.audit a ON a.capa_id = r.id AND a.action_id IS NULL AND a.step = 'import'
 WHERE a.changed ->> 'legacy_id' IN ('OLD-1', 'OLD-7', 'OLD-21')
 ORDER BY r.id;

-- one audit row per record and per action item, step import: the start of
-- each chain, the full row as written, the caller as actor
SELECT count(*) FILTER (WHERE action_id IS NULL) AS record_rows,
       count(*) FILTER (WHERE action_id IS NOT NULL) AS action_rows,
       bool_and(step = 'import') AS all_import,
       bool_and(chain_seq = 1 AND prev_hash IS NULL) AS chains_start_here,
       bool_and(from_state IS NULL) AS no_from_state,
       bool_and((to_state IS NULL) = (action_id IS NOT NULL)) AS to_state_for_records,
       bool_and(actor = 'regress_dave' AND app_user = 'dave@example.com') AS actor
  FROM capa.audit WHERE seq > :audit_before;
SELECT untimed(a.changed) AS changed
  FROM capa.audit a WHERE a.seq > :audit_before AND a.changed ->> 'legacy_id' IN ('OLD-8', 'ACT-7')
 ORDER BY a.seq;
SELECT a.changed ->> 'opened_at' AS opened_at, a.changed ->> 'closed_at' AS closed_at,
       a.changed ->> 'verified_by' AS verified_by
  FROM capa.audit a WHERE a.seq > :audit_before AND a.changed ->> 'legacy_id' = 'OLD-7';

-- the trail verifies, re-hashes, and digests
SELECT count(*) AS findings FROM capa.capa_audit_verify();
SELECT bool_and(sha256(capa.capa_audit_bytes(seq)) = hash) AS rehashed
  FROM capa.audit WHERE seq > :audit_before;
SELECT capa.capa_digest() LIKE 'capa-digest:v1:%' AS digest;

-- the KPI rollup the import wrote in one batch is what a rebuild from the
-- register gives
CREATE TEMP TABLE kpi_live AS
SELECT month, kind, org_unit, sum(opened) AS opened, sum(contained) AS contained,
       sum(contain_seconds) AS contain_seconds, sum(analysed) AS analysed,
       sum(analysed_related) AS analysed_related, sum(closed) AS closed,
       sum(close_seconds) AS close_seconds, sum(closed_with_due) AS closed_with_due,
       sum(closed_on_time) AS closed_on_time, sum(closed_verified) AS closed_verified,
       sum(closed_first_time) AS closed_first_time, sum(cancelled) AS cancelled,
       sum(reopened) AS reopened, sum(backlog_delta) AS backlog_delta,
       sum(overdue_delta) AS overdue_delta
  FROM capa.kpi_rollup GROUP BY month, kind, org_unit;
CREATE TEMP TABLE days_live AS
SELECT days, kind, org_unit, sum(closed) AS closed FROM capa.kpi_close_days GROUP BY 1, 2, 3;
SELECT count(*) AS rollup_rows, sum(opened) AS opened, sum(closed) AS closed,
       sum(cancelled) AS cancelled FROM kpi_live;
SELECT capa.capa_kpi_rebuild() AS rebuilt;
SELECT count(*) AS rollup_differences FROM (
  (SELECT * FROM kpi_live EXCEPT
   SELECT month, kind, org_unit, sum(opened), sum(contained), sum(contain_seconds), sum(analysed),
          sum(analysed_related), sum(closed), sum(close_seconds), sum(closed_with_due),
          sum(closed_on_time), sum(closed_verified), sum(closed_first_time), sum(cancelled),
          sum(reopened), sum(backlog_delta), sum(overdue_delta)
     FROM capa.kpi_rollup GROUP BY month, kind, org_unit)
  UNION ALL
  (SELECT month, kind, org_unit, sum(opened), sum(contained), sum(contain_seconds), sum(analysed),
          sum(analysed_related), sum(closed), sum(close_seconds), sum(closed_with_due),
          sum(closed_on_time), sum(closed_verified), sum(closed_first_time), sum(cancelled),
          sum(reopened), sum(backlog_delta), sum(overdue_delta)
     FROM capa.kpi_rollup GROUP BY month, kind, org_unit
   EXCEPT SELECT * FROM kpi_live)) d;
SELECT count(*) AS close_days_differences FROM (
  (SELECT * FROM days_live EXCEPT SELECT days, kind, org_unit, sum(closed) FROM capa.kpi_close_days GROUP BY 1, 2, 3)
  UNION ALL
  (SELECT days, kind, org_unit, sum(closed) FROM capa.kpi_close_days GROUP BY 1, 2, 3 EXCEPT SELECT * FROM days_live)) d;

-- imported records continue their lifecycle through the functions
SELECT r.id AS c_impl FROM capa.register r JOIN capa.audit a ON a.capa_id = r.id
 WHERE a.changed ->> 'legacy_id' = 'OLD-5' \gset
SELECT r.id AS i_planned FROM capa.register r JOIN capa.audit a ON a.capa_id = r.id
 WHERE a.changed ->> 'legacy_id' = 'OLD-20' \gset
SELECT r.id AS c_planned FROM capa.register r JOIN capa.audit a ON a.capa_id = r.id
 WHERE a.changed ->> 'legacy_id' = 'OLD-4' \gset
SELECT r.id AS p_closed FROM capa.register r JOIN capa.audit a ON a.capa_id = r.id
 WHERE a.changed ->> 'legacy_id' = 'OLD-17' \gset
SET ROLE regress_bob;
SELECT capa.capa_next_states(:'c_impl');
SELECT capa.capa_verify(:'c_impl', true, 'Checked after the import');
SELECT capa.capa_close(:'c_impl', 'Backup standard v3');
SELECT capa.capa_reopen(:'p_closed', 'Failed again');
RESET ROLE;
-- an improvement imported planned, its action item imported done: that
-- completion counts for implement, as a capa_complete_action would
SET ROLE regress_alice;
SELECT capa.capa_implement(:'i_planned');
SELECT capa.capa_implement(:'c_planned');
SELECT x.id AS c_planned_action FROM capa.action x WHERE x.capa_id = :'c_planned' \gset
RESET ROLE;
SET ROLE regress_ops;
SELECT capa.capa_complete_action(:c_planned_action, 'Done after the import');
RESET ROLE;
SET ROLE regress_alice;
SELECT capa.capa_implement(:'c_planned');
RESET ROLE;
SELECT step, from_state, to_state, chain_seq FROM capa.audit
 WHERE capa_id = :'c_impl' AND action_id IS NULL ORDER BY seq;
SELECT count(*) AS findings FROM capa.capa_audit_verify();

-- Refusals.  Each case is one good row of imp_src with one change, imported
-- by capa_admin; the error names the row (its position and legacy_id).
CREATE TABLE imp_one (LIKE imp_src);
GRANT SELECT, INSERT, UPDATE, DELETE ON imp_one TO regress_dave;
CREATE FUNCTION imp_case(legacy text, change text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM imp_one;
    INSERT INTO imp_one SELECT * FROM imp_src WHERE legacy_id = legacy;
    IF change IS NOT NULL THEN
        EXECUTE 'UPDATE imp_one SET ' || change;
    END IF;
    RETURN public.try($q$SELECT capa.capa_import('imp_one')$q$);
END
$$;
SET ROLE regress_dave;
-- the good row goes in; the changed ones do not
SELECT imp_case('OLD-7', NULL) AS good_row;
SELECT count(*) AS records_before FROM capa.register \gset
SELECT count(*) AS audit_rows_before FROM capa.audit \gset
-- a state the kind's path cannot reach
SELECT imp_case('OLD-13', $$state = 'contained'$$) AS preventive_contained;
SELECT imp_case('OLD-19', $$state = 'analysed'$$) AS improvement_analysed;
SELECT imp_case('OLD-1', $$kind = 'curative'$$) AS unknown_kind;
SELECT imp_case('OLD-1', $$state = 'closd'$$) AS bad_state_text;
SELECT imp_case('OLD-1', $$state = NULL$$) AS null_state;
-- missing evidence of a step taken, blank evidence, a wrong boolean
SELECT imp_case('OLD-7', $$isms_changes = NULL$$) AS closed_without_isms_changes;
SELECT imp_case('OLD-3', $$extent_of_condition = '  '$$) AS blank_extent;
SELECT imp_case('OLD-7', $$effective = false$$) AS closed_but_ineffective;
SELECT imp_case('OLD-8', $$action_required = true$$) AS closed_without_action_but_required;
SELECT imp_case('OLD-1', $$title = NULL$$) AS no_title;
SELECT imp_case('OLD-1', $$opened_at = NULL$$) AS no_opened_at;
-- stamps: missing, a step's stamp without its actor, out of order, future
SELECT imp_case('OLD-7', $$verified_at = NULL, verified_by = NULL$$) AS closed_not_verified;
SELECT imp_case('OLD-6', $$verified_by = NULL$$) AS verified_by_nobody;
SELECT imp_case('OLD-5', $$analysed_at = contained_at - interval '1 hour'$$) AS analysed_before_contained;
SELECT imp_case('OLD-2', $$contained_at = '2999-01-01'$$) AS contained_in_the_future;
SELECT imp_case('OLD-1', $$opened_at = '0999-01-01'$$) AS opened_before_year_1000;
-- evidence or a stamp of a step not taken
SELECT imp_case('OLD-1', $$root_cause = 'early'$$) AS open_with_root_cause;
SELECT imp_case('OLD-2', $$closed_at = now(), closed_by = 'x'$$) AS contained_with_closed_at;
SELECT imp_case('OLD-13', $$containment = 'c'$$) AS preventive_with_containment;
SELECT imp_case('OLD-9', $$reopen_reason = 'r'$$) AS reopen_reason;
-- action items
SELECT imp_case('OLD-4', $$actions = NULL$$) AS planned_without_actions;
SELECT imp_case('OLD-5', $$actions = jsonb_set(actions, '{0,done}', 'false') #- '{0,evidence}' #- '{0,done_at}' #- '{0,done_by}'$$) AS implemented_action_not_done;
SELECT imp_case('OLD-5', $$actions = jsonb_set(actions, '{0,done_at}', to_jsonb(implemented_at + interval '1 day'))$$) AS action_done_after_implement;
SELECT imp_case('OLD-5', $$actions = jsonb_set(actions, '{0,done_at}', '"2001-01-01"')$$) AS action_done_before_created;
SELECT imp_case('OLD-5', $$actions = actions #- '{0,evidence}'$$) AS done_without_evidence;
SELECT imp_case('OLD-4', $$actions = jsonb_set(actions, '{0,evidence}', '"e"')$$) AS evidence_not_done;
SELECT imp_case('OLD-4', $$actions = jsonb_set(actions, '{0,owner}', '" "')$$) AS blank_action_owner;
SELECT imp_case('OLD-4', $$actions = jsonb_set(actions, '{0,colour}', '"red"')$$) AS unknown_action_key;
SELECT imp_case('OLD-4', $$actions = '{"description": "x"}'$$) AS actions_not_an_array;
SELECT imp_case('OLD-4', $$actions = '[1]'$$) AS action_not_an_object;
SELECT imp_case('OLD-4', $$actions = jsonb_set(actions, '{0,due}', '"someday"')$$) AS bad_due;
-- lookups and the rules other steps check
SELECT imp_case('OLD-1', $$source = 'rumour'$$) AS unknown_source;
SELECT imp_case('OLD-3', $$rca_method = 'guess'$$) AS unknown_method;
SELECT imp_case('OLD-1', $$priority = 9$$) AS priority_out_of_range;
SELECT imp_case('OLD-6', $$verified_by = owner$$) AS verifier_owns_record;
SELECT imp_case('OLD-6', $$verified_by = 'regress_ops'$$) AS verifier_owns_action;
-- 0.3.0: nor who did the work (a live verification's rule, docs/reference.md, Steps)
SELECT imp_case('OLD-6', $$implemented_by = 'regress_worker', verified_by = ' Regress_Worker'$$) AS verifier_implemented;
SELECT imp_case('OLD-6', $$actions = jsonb_set(actions, '{0,done_by}', '"regress_worker"'), verified_by = 'regress_worker'$$) AS verifier_completed_action;
RESET ROLE;
-- the third row of a source (a view fixes the order) is bad: nothing of the
-- first two stays
CREATE VIEW imp_three AS
SELECT legacy_id, kind, state, severity, title, description, source, owner, opened_at, opened_by,
       containment, consequences,
       CASE WHEN legacy_id <> 'OLD-3' THEN contained_at END AS contained_at, contained_by,
       root_cause, rca_method, extent_of_condition, action_required, analysed_at, analysed_by
  FROM imp_src WHERE legacy_id IN ('OLD-1', 'OLD-2', 'OLD-3') ORDER BY legacy_id;
GRANT SELECT ON imp_three TO regress_dave;
SET ROLE regress_dave;
SELECT try($$SELECT capa.capa_import('imp_three')$$) AS third_row_bad;
RESET ROLE;
SELECT count(*) - :records_before AS records_added, (SELECT count(*) FROM capa.audit) - :audit_rows_before AS audit_rows_added
  FROM capa.register;

-- what the source may be
CREATE TABLE imp_extra (LIKE imp_src);
ALTER TABLE imp_extra ADD COLUMN colour text;
CREATE TABLE imp_id (id text, title text);
CREATE TABLE imp_counter (reopen_count integer);
CREATE TABLE imp_hidden (LIKE imp_src);
CREATE TABLE imp_empty (LIKE imp_src);
CREATE VIEW imp_view AS SELECT * FROM imp_src WHERE legacy_id = 'OLD-NYE';
GRANT SELECT ON imp_extra, imp_id, imp_counter, imp_empty, imp_view TO regress_dave;
SET ROLE regress_dave;
SELECT try($$SELECT capa.capa_import('imp_extra')$$) AS unknown_column;
SELECT try($$SELECT capa.capa_import('imp_id')$$) AS id_column;
SELECT try($$SELECT capa.capa_import('imp_counter')$$) AS counter_column;
SELECT try($$SELECT capa.capa_import('imp_hidden')$$) AS unreadable_source;
SELECT try($$SELECT capa.capa_import('capa.register_pkey')$$) AS an_index;
SELECT try($$SELECT capa.capa_import('capa.register_number_seq')$$) AS a_sequence;
SELECT try($$SELECT capa.capa_import(0::oid::regclass)$$) AS no_such_oid;
SELECT try($$SELECT capa.capa_import('no_such_table')$$) AS no_such_name;
SELECT try($$SELECT capa.capa_import(NULL)$$) AS null_source;
-- an empty source imports nothing; a view is a source
SELECT capa.capa_import('imp_empty') AS from_empty;
BEGIN;
SELECT capa.capa_import('imp_view') AS from_view;
-- the import checks the lookup codes itself, and holds them FOR KEY SHARE
-- to the end of its transaction as the foreign keys' checks would
SELECT (SELECT count(*) FROM capa.source WHERE xmax::text = pg_current_xact_id()::text) AS sources_held,
       (SELECT count(*) FROM capa.rca_method WHERE xmax::text = pg_current_xact_id()::text) AS methods_held,
       (SELECT count(*) FROM capa.cause_category WHERE xmax::text = pg_current_xact_id()::text) AS categories_held;
COMMIT;
RESET ROLE;
SELECT count(*) - :records_before AS records_added FROM capa.register;

-- a foreign key capa_import does not check itself keeps its trigger
CREATE TABLE org_units (code text PRIMARY KEY);
INSERT INTO org_units VALUES ('IT');
ALTER TABLE capa.register ADD CONSTRAINT register_org_unit_fkey
    FOREIGN KEY (org_unit) REFERENCES org_units (code);
GRANT SELECT ON org_units TO regress_dave;
SET ROLE regress_dave;
SELECT imp_case('OLD-1', $$org_unit = 'HR'$$) AS unknown_org_unit;
SELECT imp_case('OLD-1', NULL) AS known_org_unit;
RESET ROLE;
ALTER TABLE capa.register DROP CONSTRAINT register_org_unit_fkey;

-- the import mode is capa_import's alone: a plain INSERT of a record with
-- a history is still refused
INSERT INTO capa.register (title, description, severity, source, state)
VALUES ('t', 'd', 'minor', 'other', 'closed');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO capa.register (title, description, severity, source, opened_at)
VALUES ('t', 'd', 'minor', 'other', '2019-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS findings FROM capa.capa_audit_verify();

\c :regress_db
DROP DATABASE regress_capa_import;
