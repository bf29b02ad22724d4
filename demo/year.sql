-- capa demo, part 2: a year of a register worth looking at.
--
-- Run by `make demo` after demo/demo.sql, on the same throwaway cluster.
-- Sixty records of all three kinds opened over the last twelve months come
-- in through capa_import with their history (the API stamps every step with
-- the transaction's time; an import keeps the dates the old register had):
-- most of the older ones closed, some late, some cancelled, the recent ones
-- in every state, some overdue.  Then what happens this week, through the
-- functions: due dates moved and owners changed with reasons, a fix found
-- ineffective and its root cause re-analysed, records linked to the
-- controls they failed.  At the end the management-review report and the
-- evidence pack of the demo's first record are written next to this file.
--   demo_carol  capa_editor: the IT operations manager, owns many records
--   demo_dave   capa_admin: the ISMS manager, imports the old register

\set QUIET 1
\pset footer off
\pset null '-'
\set SHOW_CONTEXT never

\echo
\echo '== A year of the register: roles, and the controls records are linked to'
CREATE ROLE demo_carol NOLOGIN IN ROLE capa_editor;
CREATE ROLE demo_dave NOLOGIN IN ROLE capa_admin, capa_editor;
CREATE SCHEMA grc;
-- the organisation's own table of Annex A controls, which records link to
CREATE TABLE grc.control (id text PRIMARY KEY, title text NOT NULL);
INSERT INTO grc.control VALUES
    ('A.5.15', 'Access control'), ('A.5.18', 'Access rights'), ('A.5.19', 'Supplier relationships'),
    ('A.5.24', 'Incident management planning'), ('A.6.3', 'Awareness, education and training'),
    ('A.7.2', 'Physical entry'), ('A.7.7', 'Clear desk and clear screen'), ('A.8.1', 'User end point devices'),
    ('A.8.5', 'Secure authentication'), ('A.8.8', 'Management of technical vulnerabilities'),
    ('A.8.13', 'Information backup'), ('A.8.15', 'Logging'), ('A.8.20', 'Networks security'),
    ('A.8.32', 'Change management');
GRANT USAGE ON SCHEMA grc TO capa_editor;
GRANT SELECT ON grc.control TO capa_editor;

-- What the old register held: title, control, source, cause (for the
-- Pareto), one row a finding type.  Kinds, severities, ages and states
-- follow from the row number below.
CREATE TEMPORARY TABLE finding_type (n int PRIMARY KEY, title text, control text, source text, cause text, fix text);
INSERT INTO finding_type VALUES
    (1, 'Nightly backups of a file server failed unnoticed', 'A.8.13', 'monitoring', 'process', 'Backup alerts routed to the on-call queue'),
    (2, 'Leaver''s VPN account still active three weeks after exit', 'A.5.18', 'internal_audit', 'process', 'HR leaver feed disables accounts on the last day'),
    (3, 'Firewall rule review not done this quarter', 'A.8.20', 'internal_audit', 'governance', 'Rule review owner named, quarterly ticket scheduled'),
    (4, 'Phishing simulation: 18% of staff clicked', 'A.6.3', 'monitoring', 'people', 'Targeted awareness module for the departments that clicked'),
    (5, 'Laptop without disk encryption lost in transit', 'A.8.1', 'incident', 'technology', 'Encryption enforced by device management, non-compliant devices blocked'),
    (6, 'Supplier''s SOC 2 report expired and not renewed', 'A.5.19', 'external_audit', 'supplier', 'Supplier review calendar with reminders 60 days ahead'),
    (7, 'Administrator accounts without MFA on the HR SaaS', 'A.8.5', 'risk_assessment', 'technology', 'MFA enforced for every administrator by the identity provider'),
    (8, 'Critical web server patch installed 40 days late', 'A.8.8', 'monitoring', 'process', 'Patch SLA per severity, tracked on the change board'),
    (9, 'Visitor log not kept at the data-centre entrance', 'A.7.2', 'internal_audit', 'people', 'Electronic visitor sign-in at reception'),
    (10, 'Change deployed to production without an approved ticket', 'A.8.32', 'incident', 'process', 'Deployment pipeline checks for an approved change'),
    (11, 'Application logs kept 30 days, policy says 90', 'A.8.15', 'external_audit', 'technology', 'Log retention raised to 90 days, checked monthly'),
    (12, 'Quarterly access review of the finance system not performed', 'A.5.15', 'internal_audit', 'governance', 'Access review assigned to the finance system owner'),
    (13, 'Confidential print-outs left in a meeting room', 'A.7.7', 'self_identified', 'people', 'Secure print release on every floor'),
    (14, 'Incident response contact list out of date', 'A.5.24', 'management_review', 'governance', 'Contact list reviewed at each on-call rotation');

-- sixty records, five a month over the last twelve months (UTC); row i:
-- every sixth an improvement, every sixth from the third a preventive
-- action, the rest corrective; records opened over four months ago are
-- closed (a few late, a few cancelled) unless a step overran, the recent
-- ones in every state
CREATE TEMPORARY TABLE old_register AS
WITH base AS (
    SELECT i, f.*,
           CASE WHEN i % 6 = 0 THEN 'improvement' WHEN i % 6 = 3 THEN 'preventive' ELSE 'corrective' END AS kind,
           (ARRAY['minor', 'major', 'minor', 'observation', 'major', 'critical', 'minor', 'major', 'minor', 'observation'])[i % 10 + 1] AS severity,
           date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
               - make_interval(days => ((60 - i) / 5) * 30 + (i * 7) % 25 + 3, hours => 9 + i % 8) AS t0,
           (60 - i) / 5 AS age_months,
           (ARRAY['demo_alice', 'demo_carol', 'demo_carol', 'demo_alice', 'demo_carol'])[i % 5 + 1] AS owner
      FROM generate_series(1, 60) AS i
      JOIN finding_type f ON f.n = (i * 5) % 14 + 1
), with_state AS (
    SELECT b.*,
           CASE WHEN b.i IN (7, 31) THEN 'cancelled'
                WHEN b.age_months >= 4 AND b.i IN (4, 17) THEN 'planned'           -- overdue for months
                WHEN b.age_months >= 4 AND b.i = 22 THEN 'implemented'           -- effectiveness check late
                WHEN b.age_months >= 4 THEN 'closed'
                WHEN b.age_months = 3 THEN (ARRAY['closed', 'verified', 'closed', 'implemented', 'closed'])[b.i % 5 + 1]
                WHEN b.age_months = 2 THEN (ARRAY['implemented', 'planned', 'closed', 'planned', 'implemented'])[b.i % 5 + 1]
                WHEN b.age_months = 1 THEN (ARRAY['planned', 'analysed', 'planned', 'contained', 'open'])[b.i % 5 + 1]
                ELSE (ARRAY['open', 'contained', 'analysed', 'open', 'contained'])[b.i % 5 + 1] END AS raw_state
      FROM base b
), shaped AS (
    -- the kinds' paths: a preventive record is never contained, an
    -- improvement is planned straight from open
    SELECT w.*,
           CASE WHEN w.kind = 'improvement' AND w.raw_state IN ('contained', 'analysed') THEN 'open'
                WHEN w.kind = 'preventive' AND w.raw_state = 'contained' THEN 'open'
                ELSE w.raw_state END AS state
      FROM with_state w
), steps AS (
    SELECT s.*,
           s.kind = 'corrective' AND s.state NOT IN ('open') AS contained,
           s.kind <> 'improvement' AND s.state IN ('analysed', 'planned', 'implemented', 'verified', 'closed') AS analysed,
           s.state IN ('planned', 'implemented', 'verified', 'closed') AS planned,
           s.state IN ('implemented', 'verified', 'closed') AS implemented,
           s.state IN ('verified', 'closed') AS verified,
           s.state = 'closed' AS closed,
           -- a late closure every seventh record: the work took twice as long
           CASE WHEN s.i % 7 = 2 AND s.age_months >= 5 THEN 2 ELSE 1 END AS slow
      FROM shaped s
)
SELECT s.i AS legacy_id, s.kind, s.state, s.severity,
       s.title || CASE WHEN s.i > 14 THEN ' (' || to_char(s.t0, 'Mon YYYY') || ')' ELSE '' END AS title,
       'Found by ' || replace(s.source, '_', ' ') || ': ' || lower(s.title) || '.' AS description,
       s.source, s.owner,
       s.t0 AS opened_at, 'demo_dave' AS opened_by,
       CASE WHEN s.contained THEN 'Immediate correction made; exposure checked and contained.' END AS containment,
       CASE WHEN s.contained THEN 'No information was disclosed; the owners were told.' END AS consequences,
       CASE WHEN s.contained THEN s.t0 + interval '1 day' END AS contained_at,
       CASE WHEN s.contained THEN s.owner END AS contained_by,
       CASE WHEN s.analysed THEN 'The control had no owner checking that it worked.' END AS root_cause,
       CASE WHEN s.analysed THEN (ARRAY['5whys', 'fishbone', '5whys'])[s.i % 3 + 1] END AS rca_method,
       CASE WHEN s.analysed THEN 'Same control checked in every business unit.' END AS extent_of_condition,
       CASE WHEN s.analysed THEN s.cause END AS cause_category,
       CASE WHEN s.analysed THEN true END AS action_required,
       CASE WHEN s.analysed THEN s.t0 + interval '5 days' END AS analysed_at,
       CASE WHEN s.analysed THEN s.owner END AS analysed_by,
       CASE WHEN s.planned THEN s.t0 + interval '8 days' END AS planned_at,
       CASE WHEN s.planned THEN s.owner END AS planned_by,
       CASE WHEN s.implemented THEN s.t0 + s.slow * interval '25 days' END AS implemented_at,
       CASE WHEN s.implemented THEN s.owner END AS implemented_by,
       CASE WHEN s.verified THEN true END AS effective,
       CASE WHEN s.verified THEN 'Checked 30 days of records after the change: the control worked every time.' END AS verification_evidence,
       CASE WHEN s.verified THEN s.t0 + s.slow * interval '25 days' + interval '31 days' END AS verified_at,
       CASE WHEN s.verified THEN 'demo_bob' END AS verified_by,
       CASE WHEN s.closed THEN 'Procedure updated: ' || s.fix || '.' END AS isms_changes,
       CASE WHEN s.closed THEN s.t0 + s.slow * interval '25 days' + interval '33 days' END AS closed_at,
       CASE WHEN s.closed THEN 'demo_alice' END AS closed_by,
       CASE WHEN s.state = 'cancelled' THEN 'Duplicate of an earlier record.' END AS cancel_reason,
       CASE WHEN s.state = 'cancelled' THEN s.t0 + interval '2 days' END AS cancelled_at,
       CASE WHEN s.state = 'cancelled' THEN 'demo_dave' END AS cancelled_by,
       CASE WHEN s.planned THEN jsonb_build_array(jsonb_build_object(
           'description', s.fix, 'owner', 'demo_ops',
           'due', to_char(s.t0 + interval '30 days', 'YYYY-MM-DD'),
           'done', s.implemented,
           'evidence', CASE WHEN s.implemented THEN 'Change CHG-' || (4000 + s.i) || ' closed.' END,
           'done_at', CASE WHEN s.implemented THEN (s.t0 + s.slow * interval '25 days' - interval '1 day')::text END,
           'done_by', CASE WHEN s.implemented THEN 'demo_ops' END)) END AS actions,
       s.control
  FROM steps s
 ORDER BY s.t0;
GRANT SELECT ON old_register TO demo_dave;

\echo
\echo '== The old register imported with its history (capa_import, by the ISMS manager)'
CREATE TEMPORARY VIEW for_capa AS
    SELECT legacy_id, kind, state, severity, title, description, source, owner, opened_at, opened_by,
           containment, consequences, contained_at, contained_by, root_cause, rca_method,
           extent_of_condition, cause_category, action_required, analysed_at, analysed_by,
           planned_at, planned_by, implemented_at, implemented_by, effective, verification_evidence,
           verified_at, verified_by, isms_changes, closed_at, closed_by, cancel_reason, cancelled_at,
           cancelled_by, actions
      FROM old_register ORDER BY opened_at;
GRANT SELECT ON for_capa TO demo_dave;
SET ROLE demo_dave;
SELECT capa.capa_import('for_capa') AS imported;
RESET ROLE;
-- the import keeps each record's old number in its audit row
CREATE TEMPORARY TABLE imported AS
    SELECT a.capa_id AS id, o.*
      FROM capa.audit a JOIN old_register o ON o.legacy_id::text = a.changed ->> 'legacy_id'
     WHERE a.step = 'import' AND a.action_id IS NULL;
GRANT SELECT ON imported TO demo_alice, demo_bob, demo_carol;

\echo
\echo '== Each record linked to the control it failed (capa_link)'
SET ROLE demo_carol;
SELECT count(capa.capa_link(i.id, 'grc.control', i.control)) AS links FROM imported i;
SELECT capa.capa_link(:'ref', 'grc.control', 'A.8.13') IS NOT NULL AS demo_record_linked;
RESET ROLE;

\echo
\echo '== This week: due dates moved and owners changed, each with its reason'
SET ROLE demo_carol;
WITH late AS MATERIALIZED (
    SELECT i.id FROM imported i WHERE i.state = 'planned' AND i.owner = 'demo_carol' ORDER BY i.opened_at LIMIT 2)
SELECT l.id AS rescheduled
  FROM late l CROSS JOIN LATERAL capa.capa_reschedule(l.id, 'close', now() + interval '60 days',
           reason => 'Waiting for the supplier''s new contract, signed next quarter.') x;
RESET ROLE;
SET ROLE demo_alice;
WITH moving AS MATERIALIZED (
    SELECT i.id FROM imported i WHERE i.state IN ('open', 'contained') AND i.owner = 'demo_alice' ORDER BY i.opened_at LIMIT 2)
SELECT m.id AS reassigned
  FROM moving m CROSS JOIN LATERAL capa.capa_reassign(m.id, 'demo_carol',
           reason => 'Alice moves to the risk team; Carol''s team does the work.') x;
RESET ROLE;

\echo
\echo '== A fix found ineffective, its root cause analysed again'
SET ROLE demo_bob;
SELECT i.id AS weak, capa.capa_verify(i.id, false,
           'Two of five servers still failed their check: the fix covered only the main site.',
           reanalyse => true) AS state
  FROM imported i WHERE i.state = 'implemented' AND i.kind = 'corrective' ORDER BY i.opened_at LIMIT 1
\gset
RESET ROLE;
SET ROLE demo_carol;
SELECT capa.capa_analyse(:'weak', 'Branch sites were never in the monitoring scope: scope list kept by hand.',
                         '5whys', 'All 12 branch sites checked: 9 outside the scope.',
                         cause_category => 'governance') AS state;
SELECT capa.capa_add_action(:'weak', 'Derive the monitoring scope from the asset register.', 'demo_ops', current_date + 30) AS weak_action
\gset
SELECT capa.capa_plan(:'weak') AS state;
RESET ROLE;

\echo
\echo '== Work done this week: records verified and closed'
SET ROLE demo_bob;
SELECT count(capa.capa_verify(i.id, true, 'Thirty days of evidence reviewed: no recurrence.')) AS verified
  FROM imported i JOIN capa.register r ON r.id::text = i.id::text
 WHERE r.state::text = 'implemented' AND i.implemented_at < now() - interval '31 days';
RESET ROLE;

\echo
\echo '== Evidence attached (capa_attach): a file capa keeps, files kept elsewhere by their SHA-256'
SET ROLE demo_carol;
SELECT capa.capa_attach(:'ref', 'Restore test report, week 49', step => 'verify',
           content => convert_to('Restore test ERP 2026-W49: 15 of 15 jobs restored, checksums match.', 'UTF8'),
           media_type => 'text/plain') AS attachment;
SELECT capa.capa_attach(:'ref', 'Procedure BK-01 v2', step => 'close', uri => 'dms://isms/procedures/BK-01/v2',
           sha256 => sha256(convert_to('Procedure BK-01 v2', 'UTF8'))) AS attachment;
SELECT count(capa.capa_attach(r.id, 'Change ticket CHG-' || (4000 + i.legacy_id), step => 'implement',
           uri => 'itsm://change/CHG-' || (4000 + i.legacy_id))) AS change_tickets_attached
  FROM imported i JOIN capa.register r ON r.id::text = i.id::text
 WHERE r.state::text IN ('implemented', 'verified', 'closed');
RESET ROLE;
\echo 'The auditor, handed the restore test report, checks it is the one on the record (capa_evidence_check):'
SET ROLE demo_bob;
SELECT record, attachment, step, attached_by
  FROM capa.capa_evidence_check(sha256(convert_to('Restore test ERP 2026-W49: 15 of 15 jobs restored, checksums match.', 'UTF8')));
RESET ROLE;

\echo
\echo '== The register after a year'
SELECT kind, state, count(*) AS records FROM capa.register GROUP BY 1, 2 ORDER BY 1, 2;
SELECT * FROM capa.capa_audit_verify();

\echo
\echo '== The management-review report and an evidence pack, read by the auditor (a capa_reader)'
SET ROLE demo_bob;
\pset format unaligned
\pset tuples_only on
\o demo/capa-report.html
SELECT capa.capa_report_html(title => 'Demo Ltd: nonconformities, corrective actions and improvement');
\o demo/capa-dossier.html
SELECT capa.capa_dossier_html(:'ref');
\o
\pset tuples_only off
\pset format aligned
RESET ROLE;
\getenv pwd PWD
\echo 'Written to' :pwd'/demo/capa-report.html (the year, for the management review) and'
\echo :pwd'/demo/capa-dossier.html (the evidence pack of' :ref'), one self-contained page each.'
