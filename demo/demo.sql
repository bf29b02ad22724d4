-- capa demo: one nonconformity through the whole corrective lifecycle, then
-- an improvement opened and planned.
--
-- Run by `make demo` on a throwaway cluster, connected as superuser:
--   pg_virtualenv -t -v 15 psql -X -v ON_ERROR_STOP=1 -f demo/demo.sql
--
-- The story (from the ISO/IEC 27001 Clause 10 guidance): an internal audit
-- finds that the nightly ERP backups failed three nights in a row.  The
-- first fix treats a symptom (a full disk); the effectiveness check finds
-- it ineffective and sends the record back to analysis, where the real
-- root cause (nobody owns the backup results) is found and fixed.
--   demo_alice  capa_editor: the ISMS coordinator, owns the record
--   demo_ops    capa_editor and capa_verifier: the operations lead, owns
--               the action item (and verifies other teams' work)
--   demo_bob    capa_verifier: the internal auditor who checks the fix
-- Each acts through SET ROLE, as an application on a pooled login would.

\set QUIET 1
\pset footer off
\pset null '-'
\set SHOW_CONTEXT never

\echo
\echo '== Install capa and create the demo roles'
CREATE EXTENSION capa;
CREATE ROLE demo_alice NOLOGIN IN ROLE capa_editor;
CREATE ROLE demo_ops NOLOGIN IN ROLE capa_editor, capa_verifier;
CREATE ROLE demo_bob NOLOGIN IN ROLE capa_verifier;
SELECT r.rolname AS role,
       pg_catalog.array_agg(g.rolname ORDER BY g.rolname) AS member_of
  FROM pg_catalog.pg_roles r
  JOIN pg_catalog.pg_auth_members m ON m.member OPERATOR(pg_catalog.=) r.oid
  JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) m.roleid
 WHERE r.rolname LIKE 'demo\_%'
 GROUP BY r.rolname
 ORDER BY r.rolname;

-- ---------------------------------------------------------------------
\echo
\echo '== 1. Alice records the audit finding (capa_open)'
SET ROLE demo_alice;
SET capa.app_user = 'alice@example.com';   -- the application names its end user
SELECT capa.capa_open(
           title       => 'Nightly ERP backups failed three nights in a row',
           description => 'Internal audit IA-2026-04 found that the nightly backup job of the '
                          'ERP database failed on three consecutive nights and nobody noticed.',
           severity    => 'major',
           source      => 'internal_audit') AS ref
\gset
\echo 'opened' :ref

\echo
\echo '== 2. 10.2 a: control and correct, deal with the consequences (capa_contain)'
SELECT capa.capa_contain(:'ref',
           containment  => 'Ran a manual full backup of the ERP database and test-restored it; '
                           'freed space on the backup target and re-ran the nightly job.',
           consequences => 'No data was lost and no restore was needed in the gap. The ERP '
                           'service owner and the ISMS manager were told the recovery point '
                           'was 72 hours old for three days.') AS state;

\echo
\echo '== 3. 10.2 b: a first analysis (capa_analyse): the disk was full'
SELECT capa.capa_analyse(:'ref',
           root_cause          => 'The retention clean-up was switched off in the storage '
                                  'migration, so the backup target disk filled up.',
           method              => '5whys',
           extent_of_condition => 'The ERP backup target only.',
           cause_category      => 'technology',
           why_chain           => ARRAY[
               'Why did the backups fail? The backup target disk was full.',
               'Why was it full? The retention clean-up was switched off in the storage migration.']
       ) AS state;

\echo
\echo '== 4. 10.2 c: an action item with owner and due date (capa_add_action), then plan'
SELECT capa.capa_add_action(:'ref',
           description => 'Turn the retention clean-up back on and free the backup disk.',
           owner       => 'demo_ops',
           due         => CURRENT_DATE + 7) AS first_action_id
\gset
\echo 'action item' :first_action_id 'added, owned by demo_ops'
SELECT capa.capa_plan(:'ref') AS state;

\echo
\echo '== 5. Ops completes it, Alice marks the record implemented'
SET ROLE demo_ops;
SET capa.app_user = 'ops.lead@example.com';
-- capa_complete_action returns void: \gset swallows its empty result
SELECT capa.capa_complete_action(:first_action_id,
           evidence => 'Change CHG-5507: retention clean-up re-enabled, 2 TB freed.')
\gset
SET ROLE demo_alice;
SET capa.app_user = 'alice@example.com';
SELECT capa.capa_implement(:'ref') AS state;

\echo
\echo '== 6. 10.2 d: "fixing just the symptom is not enough": the check finds the fix'
\echo '   ineffective and the root cause wrong, and sends the record back to analysis'
\echo '   (capa_verify(..., effective => false, reanalyse => true))'
SET ROLE demo_bob;
SET capa.app_user = 'bob@example.com';
SELECT capa.capa_verify(:'ref',
           effective => false,
           evidence  => 'Night 5 after the fix: the CRM backup failed (a new job''s target filled) '
                        'and its failure alert again went unread in the shared mailbox for two '
                        'days. The disk was a symptom: nobody reads backup results.',
           reanalyse => true) AS state;
SELECT state, root_cause, ineffective_count, reanalyse_count
  FROM capa.register WHERE id OPERATOR(capa.=) :'ref';

\echo
\echo '== 7. 10.2 b again: the real root cause (5 Whys) and extent of condition (capa_analyse)'
SET ROLE demo_alice;
SET capa.app_user = 'alice@example.com';
SELECT capa.capa_analyse(:'ref',
           root_cause          => 'The backup procedure BK-01 names no role responsible for '
                                  'checking backup results, so failure alerts went unread.',
           method              => '5whys',
           extent_of_condition => 'Check all 15 backup jobs (ERP, CRM, HR, file servers): where '
                                  'their alerts go, and whether they failed in the last 90 days.',
           cause_category      => 'governance',
           why_chain           => ARRAY[
               'Why did the backups fail? The backup target disk was full.',
               'Why was it full? The retention clean-up was switched off in the storage migration.',
               'Why did nobody notice? Failure alerts go to a shared mailbox nobody reads.',
               'Why does nobody read it? Its reader left the team and no one took it over.',
               'Why was it not taken over? BK-01 names no role responsible for backup results.']
       ) AS state;

\echo
\echo '== 8. 10.2 c: a new action item, then plan'
SELECT capa.capa_add_action(:'ref',
           description => 'Route the alerts of all 15 backup jobs to the on-call queue and add a '
                          'daily backup-status check with a named owner.',
           owner       => 'demo_ops',
           due         => CURRENT_DATE + 14) AS action_id
\gset
\echo 'action item' :action_id 'added, owned by demo_ops'
SELECT capa.capa_plan(:'ref') AS state;
\echo '-- what the extent check found, once it is done (10.2 b: other places with the same condition):'
SELECT capa.capa_extent_found(:'ref',
           'All 15 jobs alerted to the same unread mailbox; the CRM and HR jobs failed once '
           'each in 90 days, unnoticed. All 15 are covered by the new action item.');

\echo
\echo '== 9. Ops completes the new action item, Alice marks the record implemented'
SET ROLE demo_ops;
SET capa.app_user = 'ops.lead@example.com';
SELECT capa.capa_complete_action(:action_id,
           evidence => 'Change CHG-5521: alerts of 15 jobs now page on-call (alert test '
                       'screenshots attached); daily check in runbook RB-07.')
\gset
SELECT id, owner, due, done, done_by
  FROM capa.action
 WHERE capa_id OPERATOR(capa.=) :'ref'
 ORDER BY id;
SET ROLE demo_alice;
SET capa.app_user = 'alice@example.com';
SELECT capa.capa_implement(:'ref') AS state;
SELECT capa.capa_next_states(:'ref') AS next_states;

\echo
\echo '== 10. Three refused steps, on purpose'
\set ON_ERROR_STOP 0
\echo '-- the auditor tries to close before anyone has verified effectiveness:'
SET ROLE demo_bob;
SET capa.app_user = 'bob@example.com';
SELECT capa.capa_close(:'ref', isms_changes => 'BK-01 revised') AS state;
\echo '=> refused with SQLSTATE' :LAST_ERROR_SQLSTATE
\echo '-- the ops lead, also a verifier, tries to verify the record whose action item they own:'
SET ROLE demo_ops;
SET capa.app_user = 'ops.lead@example.com';
SELECT capa.capa_verify(:'ref', effective => true, evidence => 'Looks fine to me.') AS state;
\echo '=> refused with SQLSTATE' :LAST_ERROR_SQLSTATE
\echo '-- Bob verifies the same day: the fix has had no time to show its effect (a major'
\echo '-- record''s effectiveness window is 30 days in the built-in policy):'
SET ROLE demo_bob;
SET capa.app_user = 'bob@example.com';
SELECT capa.capa_verify(:'ref', effective => true, evidence => 'The job ran tonight.') AS state;
\echo '=> refused with SQLSTATE' :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1

\echo
\echo '== 11. 10.2 d: Bob, who owns neither the record nor an action, verifies (capa_verify)'
\echo '   30 days later.  A demo cannot wait: the ISMS manager (capa_admin; here the'
\echo '   superuser) waives the window for this one record, with a reason the trail keeps'
\echo '   (capa_waive_window); a real deployment lets the window run.'
RESET ROLE;
RESET capa.app_user;
SELECT capa.capa_waive_window(:'ref', 'Demo: the 30 days of backup reports are simulated.');
SET ROLE demo_bob;
SET capa.app_user = 'bob@example.com';
SELECT capa.capa_verify(:'ref',
           effective => true,
           evidence  => 'Reviewed 30 consecutive nightly backup reports: all succeeded. An '
                        'induced failure on the test job paged on-call within 5 minutes. '
                        'ERP restore test of 2026-W48 passed.') AS state;

\echo
\echo '== 12. 10.2 e: the ISMS changes made, and close (capa_close)'
SELECT capa.capa_close(:'ref',
           isms_changes => 'Procedure BK-01 v2 names the backup operator role and the daily '
                           'check; evidence for control A.8.13 updated; risk R-017 (loss of '
                           'ERP data) re-assessed.') AS state;

RESET capa.app_user;
RESET ROLE;

\echo
\echo '== 13. What the certification auditor checks: 10.2 a-g for this record (capa_conformance)'
SELECT item, status FROM capa.capa_conformance(:'ref');

-- ---------------------------------------------------------------------
-- capa's = operator for capa_ref lives in schema capa: name it with
-- OPERATOR(capa.=), or put capa on the search_path.
\echo
\echo '== The register row'
\x on
SELECT id, kind, state, severity, title, source, owner,
       containment, consequences,
       rca_method, root_cause, cause_category,
       pg_catalog.array_to_string(why_chain, E'\n') AS why_chain, extent_of_condition,
       action_required, effective, verification_evidence, isms_changes,
       contain_due::date AS contain_due, close_due::date AS close_due,
       effectiveness_due::date AS effectiveness_due,
       opened_by, contained_by, analysed_by, planned_by, implemented_by,
       verified_by, closed_by,
       pg_catalog.date_trunc('second', opened_at) AS opened_at,
       pg_catalog.date_trunc('second', closed_at) AS closed_at,
       reopen_count, ineffective_count, reanalyse_count
  FROM capa.register
 WHERE id OPERATOR(capa.=) :'ref';

\echo '== Its action items'
SELECT id, capa_id, owner, due, done, done_by, evidence
  FROM capa.action
 WHERE capa_id OPERATOR(capa.=) :'ref'
 ORDER BY id;
\x off

\echo
\echo '== Both analyses stay in the trail: the first root cause and the one that held'
SELECT seq, step, from_state, to_state, actor, changed->>'root_cause' AS root_cause
  FROM capa.audit
 WHERE capa_id OPERATOR(capa.=) :'ref' AND step OPERATOR(pg_catalog.=) 'analyse'
 ORDER BY seq;

\echo
\echo '== The record''s audit trail: one row per change, append-only'
\echo '   (changed: the columns each change wrote; the full document follows for one row)'
SELECT seq, step, from_state, to_state, actor, app_user,
       pg_catalog.to_char(at, 'HH24:MI:SS.MS') AS at,
       (SELECT pg_catalog.string_agg(k, ', ' ORDER BY k)
          FROM pg_catalog.jsonb_object_keys(changed) AS k) AS changed
  FROM capa.audit
 WHERE capa_id OPERATOR(capa.=) :'ref'
 ORDER BY seq;

\echo '== The verifications'' audit rows in full (the ineffective one, then the effective one)'
\x on
SELECT seq, step, actor, session_actor, app_user,
       pg_catalog.jsonb_pretty(changed) AS changed
  FROM capa.audit
 WHERE capa_id OPERATOR(capa.=) :'ref'
   AND step OPERATOR(pg_catalog.=) 'verify';
\x off

\echo
\echo '== The audit trail check: each row''s SHA-256 recomputed from its bytes with sha256()'
SELECT seq, step, encode(hash, 'hex') AS hash,
       sha256(capa.capa_audit_bytes(seq)) = hash AS hash_ok,
       prev_hash IS NOT DISTINCT FROM lag(hash) OVER (ORDER BY chain_seq) AS linked
  FROM capa.audit
 WHERE capa_id OPERATOR(capa.=) :'ref' AND action_id IS NULL
 ORDER BY seq;

\echo
\echo '== capa_audit_verify(): every chain and every row re-checked (no rows = intact)'
SELECT * FROM capa.capa_audit_verify();

\echo
\echo '== capa_digest(): one value over every chain head, to keep outside the database'
SELECT capa.capa_digest() AS digest;

\echo
\echo '== What may happen next to the closed record (capa_next_states)'
SELECT capa.capa_next_states(:'ref') AS next_states;

-- ---------------------------------------------------------------------
\echo
\echo '== An improvement (10.1, PDCA): open -> planned'
SET ROLE demo_alice;
SET capa.app_user = 'alice@example.com';
SELECT capa.capa_open(
           title       => 'Automate monthly restore tests of every backup job',
           description => 'Management review: restore tests are manual and irregular; '
                          'automate them and report the results monthly.',
           severity    => 'observation',
           source      => 'management_review',
           kind        => 'improvement') AS iref
\gset
\echo 'opened' :iref
SELECT capa.capa_next_states(:'iref') AS next_states;
SELECT capa.capa_add_action(:'iref',
           description => 'Schedule an automated restore of each backup job into the test '
                           'environment, first Sunday of the month.',
           owner       => 'demo_ops',
           due         => CURRENT_DATE + 60) AS iaction_id
\gset
SELECT capa.capa_plan(:'iref') AS state;
SELECT capa.capa_next_states(:'iref') AS next_states;
RESET capa.app_user;
RESET ROLE;

\echo
\echo '== The register'
SELECT id, kind, state, severity, title, owner
  FROM capa.register
 ORDER BY id;

-- ---------------------------------------------------------------------
\echo
\echo '== KPIs for dashboards: capa.kpi_summary (one row: the register now)'
\x on
SELECT * FROM capa.kpi_summary;
\x off

\echo
\echo '== capa.kpi_monthly: one row per month (UTC); closures count in their own month'
SELECT * FROM capa.kpi_monthly;

\echo
\echo '== capa.kpi_by_cause: the Pareto of causes (NULL: not analysed, or an improvement)'
SELECT * FROM capa.kpi_by_cause;

\echo
\echo '== The management-review report: capa_report_html(), read by the auditor (a capa_reader)'
SET ROLE demo_bob;
\pset format unaligned
\pset tuples_only on
\o demo/capa-report.html
SELECT capa.capa_report_html(title => 'Demo Ltd: nonconformities, corrective actions and improvement');
\o
\pset tuples_only off
\pset format aligned
RESET ROLE;
\getenv pwd PWD
\echo 'Written to' :pwd'/demo/capa-report.html: one self-contained page (inline SVG charts),'
\echo 'to open in any browser or print for the management review.'
