-- pgTAP: the finding's facts (issue 17, item 3; 0.5.0, [facts]).
--
-- A1 capa_open records the facts (positional and named), an INSERT too;
--    detected_at defaults to the opening; the open audit row holds them.
-- A2 refusals, each with its SQLSTATE and nothing changed: detected_at
--    later than the opening or not finite, a blank requirement or
--    objective_evidence, an unknown grade, no severity for a corrective or
--    preventive record (capa_open, INSERT, an edit).
-- A3 corrections: capa_amend with a reason (audited as amend, with the
--    value replaced), an UPDATE with capa.reason; refused without a reason,
--    to NULL, to a later detected_at, by a role that does not own the
--    record, on a closed record; a step's UPDATE may not change a fact.
-- A4 an improvement without a severity, opened to closed: no due date from
--    the severity policy (an explicit one stays), and the KPIs, escalation,
--    the report, a review snapshot, links, the conformance checklist and the
--    dossier answer without failing; the trail verifies.
-- A5 capa_import and capa_intake map the facts and refuse bad ones.
-- A6 capa.grade: the built-in grades, capa_admin adds one, readers read.
-- Before 0.5.0 none of the columns, the grade table or capa_open's new
-- parameters existed (A1, A3, A5, A6 fail), and a NULL severity was refused
-- for every kind (A4 fails at the first capa_open).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SET search_path = public, capa;
SELECT plan(114);

CREATE ROLE tap_f_owner;        -- capa_editor, owns the records
CREATE ROLE tap_f_other;        -- capa_editor, owns nothing
CREATE ROLE tap_f_verifier;     -- capa_verifier
CREATE ROLE tap_f_admin;        -- capa_admin
CREATE ROLE tap_f_reader;       -- capa_reader
GRANT capa_editor TO tap_f_owner, tap_f_other;
GRANT capa_verifier TO tap_f_verifier;
GRANT capa_admin TO tap_f_admin;
GRANT capa_reader TO tap_f_reader;

-- what "nothing changed" compares: every register and audit row
CREATE FUNCTION pg_temp.fp() RETURNS text LANGUAGE sql AS $$
    SELECT md5(coalesce((SELECT string_agg(r::text, '|' ORDER BY r.id::text) FROM capa.register r), '')
               || coalesce((SELECT string_agg(a::text, '|' ORDER BY a.seq) FROM capa.audit a), '')
               || coalesce((SELECT string_agg(g::text, '|' ORDER BY g.code) FROM capa.grade g), ''))
$$;
-- a refusal: its SQLSTATE, and the register, trail and grades as before
CREATE FUNCTION pg_temp.refused(stmt text, state text, what text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    before text := pg_temp.fp();
BEGIN
    RETURN NEXT throws_ok(stmt, state, NULL, what || ': ' || state);
    RETURN NEXT is(pg_temp.fp(), before, what || ': nothing changed');
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.fp(), pg_temp.refused(text, text, text) TO PUBLIC;

----------------------------------------------------------------------------
-- A1 the facts at opening
----------------------------------------------------------------------------
CREATE TEMP TABLE rec (name text PRIMARY KEY, id capa.capa_ref);
GRANT SELECT, INSERT ON rec TO PUBLIC;

INSERT INTO rec SELECT 'named', capa.capa_open(title => 'Backups not tested', description => 'No restore test in 2026',
    severity => 'major', source => 'internal_audit', owner => 'tap_f_owner',
    detected_at => now() - interval '3 days', requirement => 'ISO/IEC 27001:2022 A.8.13',
    grade => 'minor_nc', objective_evidence => 'the backup log shows no restore since 2025-11');
SELECT is((SELECT row(detected_at, requirement, grade, objective_evidence)::text FROM capa.register
            WHERE id = (SELECT id FROM rec WHERE name = 'named')),
          row(now() - interval '3 days', 'ISO/IEC 27001:2022 A.8.13', 'minor_nc',
              'the backup log shows no restore since 2025-11')::text,
          'A1 capa_open records the four facts given by name');
INSERT INTO rec SELECT 'positional', capa.capa_open('Positional', 'd', 'minor', 'incident', 'corrective', 'tap_f_owner',
    NULL, NULL, NULL, NULL, now() - interval '1 hour', 'A.5.24', 'major_nc', 'seen in the SIEM');
SELECT is((SELECT row(detected_at, requirement, grade, objective_evidence)::text FROM capa.register
            WHERE id = (SELECT id FROM rec WHERE name = 'positional')),
          row(now() - interval '1 hour', 'A.5.24', 'major_nc', 'seen in the SIEM')::text,
          'A1 capa_open records the four facts given by position, after the ten of 0.4.0');
INSERT INTO rec SELECT 'plain', capa.capa_open('Plain', 'd', 'minor', 'incident', owner => 'tap_f_owner');
SELECT is((SELECT row(detected_at = opened_at, requirement, grade, objective_evidence)::text FROM capa.register
            WHERE id = (SELECT id FROM rec WHERE name = 'plain')),
          row(true, NULL, NULL, NULL)::text,
          'A1 a call of 0.4.0''s form still works: detected_at is the opening, the other facts are NULL');
SELECT is((SELECT array[changed ->> 'detected_at' IS NOT NULL, changed ? 'requirement',
                        changed ->> 'grade' = 'minor_nc', changed ? 'objective_evidence']
             FROM capa.audit WHERE capa_id = (SELECT id FROM rec WHERE name = 'named') AND step = 'open'),
          array[true, true, true, true], 'A1 the open audit row holds the facts');
INSERT INTO capa.register (title, description, severity, source, owner, requirement, detected_at)
VALUES ('By INSERT', 'd', 'minor', 'incident', 'tap_f_owner', 'policy IS-07', now() - interval '1 day');
SELECT is((SELECT row(detected_at, requirement)::text FROM capa.register WHERE title = 'By INSERT'),
          row(now() - interval '1 day', 'policy IS-07')::text, 'A1 a plain INSERT records the facts as well');
INSERT INTO capa.register (title, description, severity, source, owner) VALUES ('By INSERT 2', 'd', 'minor', 'incident', 'tap_f_owner');
SELECT is((SELECT detected_at = opened_at FROM capa.register WHERE title = 'By INSERT 2'), true,
          'A1 ... and defaults detected_at to the opening');

----------------------------------------------------------------------------
-- A2 refusals at opening
----------------------------------------------------------------------------
SELECT pg_temp.refused($$SELECT capa.capa_open('t', 'd', 'major', 'incident', detected_at => now() + interval '1 minute')$$,
                       '22023', 'A2 detected_at later than the opening');
SELECT pg_temp.refused($$SELECT capa.capa_open('t', 'd', 'major', 'incident', detected_at => 'infinity')$$,
                       '22023', 'A2 detected_at infinity');
SELECT pg_temp.refused($$SELECT capa.capa_open('t', 'd', 'major', 'incident', detected_at => '-infinity')$$,
                       '22023', 'A2 detected_at -infinity');
SELECT pg_temp.refused($$SELECT capa.capa_open('t', 'd', 'major', 'incident', requirement => E' \t')$$,
                       '22023', 'A2 a blank requirement');
SELECT pg_temp.refused($$SELECT capa.capa_open('t', 'd', 'major', 'incident', objective_evidence => '')$$,
                       '22023', 'A2 a blank objective_evidence');
SELECT pg_temp.refused($$SELECT capa.capa_open('t', 'd', 'major', 'incident', grade => 'major')$$,
                       '23503', 'A2 a grade that is not a code of capa.grade');
SELECT pg_temp.refused($$SELECT capa.capa_open('t', 'd', NULL, 'incident')$$,
                       '23502', 'A2 a corrective record without a severity');
SELECT pg_temp.refused($$SELECT capa.capa_open('t', 'd', NULL, 'incident', 'preventive')$$,
                       '23502', 'A2 a preventive record without a severity');
SELECT pg_temp.refused($$INSERT INTO capa.register (title, description, source, kind) VALUES ('t', 'd', 'incident', 'corrective')$$,
                       '23502', 'A2 an INSERT of a corrective record without a severity');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', NULL, 'incident')$$, '23502',
                 'a capa record requires "severity"', 'A2 the message names the column, as before');
SELECT set_config('capa.reason', 'no severity after all', true);
SELECT pg_temp.refused($$UPDATE capa.register SET severity = NULL WHERE title = 'Plain'$$,
                       '23502', 'A2 an edit (with capa.reason) that removes the severity of a corrective record');
SELECT set_config('capa.reason', '', true);

----------------------------------------------------------------------------
-- A3 corrections: a governed change with a reason
----------------------------------------------------------------------------
SET ROLE tap_f_owner;
SELECT lives_ok($$SELECT capa.capa_amend((SELECT id FROM rec WHERE name = 'named'), 'requirement', 'ISO/IEC 27001:2022 A.8.13 and A.5.29', 'the auditor named both controls')$$,
                'A3 the owner corrects the requirement with capa_amend');
SELECT lives_ok($$SELECT capa.capa_amend((SELECT id FROM rec WHERE name = 'named'), 'detected_at', (now() - interval '4 days')::text, 'found on the Friday before')$$,
                'A3 ... and detected_at, earlier');
SELECT lives_ok($$SELECT capa.capa_amend((SELECT id FROM rec WHERE name = 'named'), 'grade', 'major_nc', 'regraded at the closing meeting')$$,
                'A3 ... and the grade');
SELECT lives_ok($$SELECT capa.capa_amend((SELECT id FROM rec WHERE name = 'named'), 'objective_evidence', 'no restore since 2025-11; backup job BK-3 failing', 'completed')$$,
                'A3 ... and the objective evidence');
RESET ROLE;
SELECT is((SELECT row(detected_at, requirement, grade, objective_evidence)::text FROM capa.register
            WHERE id = (SELECT id FROM rec WHERE name = 'named')),
          row(now() - interval '4 days', 'ISO/IEC 27001:2022 A.8.13 and A.5.29', 'major_nc',
              'no restore since 2025-11; backup job BK-3 failing')::text,
          'A3 the corrected facts are the record''s');
SELECT is((SELECT array_agg(row(step, changed -> 'previous' ->> 'grade', changed ->> 'reason')::text ORDER BY seq)
             FROM capa.audit WHERE capa_id = (SELECT id FROM rec WHERE name = 'named') AND changed ? 'grade' AND step = 'amend'),
          array[row('amend', 'minor_nc', 'regraded at the closing meeting')::text],
          'A3 each correction is an amend step with the value replaced and the reason');
SELECT is((SELECT count(*)::int FROM capa.audit WHERE capa_id = (SELECT id FROM rec WHERE name = 'named') AND step = 'amend'), 4,
          'A3 ... one audit row per correction');
SELECT set_config('capa.reason', 'typo in the clause', true);
SELECT lives_ok($$UPDATE capa.register SET requirement = 'A.5.24 (incident planning)' WHERE title = 'Positional'$$,
                'A3 an UPDATE of a fact with capa.reason is the same governed change');
SELECT set_config('capa.reason', '', true);
SELECT is((SELECT step || ' ' || (changed ->> 'reason') FROM capa.audit
            WHERE capa_id = (SELECT id FROM rec WHERE name = 'positional') ORDER BY seq DESC LIMIT 1),
          'amend typo in the clause', 'A3 ... audited as amend with its reason');
SELECT pg_temp.refused($$UPDATE capa.register SET requirement = 'A.1' WHERE title = 'Positional'$$,
                       '22023', 'A3 an UPDATE of a fact without capa.reason');
SELECT pg_temp.refused($$SELECT capa.capa_amend((SELECT id FROM rec WHERE name = 'named'), 'grade', 'ofi', ' ')$$,
                       '22023', 'A3 capa_amend of a fact with a blank reason');
SELECT pg_temp.refused($$SELECT capa.capa_amend((SELECT id FROM rec WHERE name = 'named'), 'detected_at', (now() + interval '1 day')::text, 'later')$$,
                       '22023', 'A3 capa_amend of detected_at to after the opening');
SELECT pg_temp.refused($$SELECT capa.capa_amend((SELECT id FROM rec WHERE name = 'named'), 'detected_at', 'infinity', 'never')$$,
                       '22023', 'A3 capa_amend of detected_at to infinity');
SELECT pg_temp.refused($$SELECT capa.capa_amend((SELECT id FROM rec WHERE name = 'named'), 'grade', NULL, 'no grade')$$,
                       '23502', 'A3 capa_amend of a fact to NULL (corrected, not removed)');
SELECT pg_temp.refused($$SELECT capa.capa_amend((SELECT id FROM rec WHERE name = 'named'), 'requirement', '  ', 'blank')$$,
                       '22023', 'A3 capa_amend of the requirement to blank');
SELECT pg_temp.refused($$SELECT capa.capa_amend((SELECT id FROM rec WHERE name = 'named'), 'grade', 'critical', 'unknown')$$,
                       '23503', 'A3 capa_amend of the grade to an unknown code');
SET ROLE tap_f_other;
SELECT pg_temp.refused($$SELECT capa.capa_amend((SELECT id FROM rec WHERE name = 'named'), 'grade', 'ofi', 'not mine')$$,
                       '42501', 'A3 capa_amend of a fact by an editor who does not own the record');
RESET ROLE;
SELECT pg_temp.refused($$UPDATE capa.register SET state = 'contained', containment = 'c', consequences = 'none', requirement = 'A.9'
                          WHERE id = (SELECT id FROM rec WHERE name = 'plain')$$,
                       '55000', 'A3 a step''s UPDATE that also changes a fact');
SELECT pg_temp.refused($$UPDATE capa.register SET state = 'contained', containment = 'c', consequences = 'none', detected_at = opened_at - interval '1 day'
                          WHERE id = (SELECT id FROM rec WHERE name = 'plain')$$,
                       '55000', 'A3 ... detected_at too');
SELECT pg_temp.refused($$SELECT capa.capa_amend((SELECT id FROM rec WHERE name = 'plain'), 'owner', 'x', 'not a fact')$$,
                       '22023', 'A3 capa_amend of a column that is neither a fact nor evidence');

----------------------------------------------------------------------------
-- A4 an improvement without a severity, opened to closed
----------------------------------------------------------------------------
INSERT INTO rec SELECT 'impr', capa.capa_open('Faster onboarding', 'an opportunity', NULL, 'management_review', 'improvement',
                                              'tap_f_owner', grade => 'ofi');
INSERT INTO rec SELECT 'late', capa.capa_open('Overdue improvement', 'd', NULL, 'self_identified', 'improvement',
                                              'tap_f_owner', close_due => now() - interval '2 days',
                                              requirement => 'ISO/IEC 27001:2022 10.1');
SELECT is((SELECT row(severity, contain_due, close_due, original_close_due)::text FROM capa.register
            WHERE id = (SELECT id FROM rec WHERE name = 'impr')),
          row(NULL, NULL, NULL, NULL)::text,
          'A4 an improvement without a severity gets no due date from the severity policy');
SELECT is((SELECT close_due FROM capa.register WHERE id = (SELECT id FROM rec WHERE name = 'late')),
          now() - interval '2 days', 'A4 ... and keeps the one it is given');
SET ROLE tap_f_owner;
SELECT capa.capa_add_action((SELECT id FROM rec WHERE name = 'impr'), 'new checklist', 'tap_f_owner', current_date + 7) AS act \gset
SELECT capa.capa_add_action((SELECT id FROM rec WHERE name = 'late'), 'late item', 'tap_f_owner', current_date - 3) AS late_act \gset
SELECT is(capa.capa_plan((SELECT id FROM rec WHERE name = 'impr'))::text, 'planned', 'A4 planned');
SELECT lives_ok(format('SELECT capa.capa_complete_action(%s, %L)', :act, 'checklist in use'), 'A4 its action item done');
SELECT is(capa.capa_implement((SELECT id FROM rec WHERE name = 'impr'))::text, 'implemented', 'A4 implemented');
RESET ROLE;
SELECT is((SELECT row(effectiveness_due, effectiveness_from)::text FROM capa.register WHERE id = (SELECT id FROM rec WHERE name = 'impr')),
          row(NULL, NULL)::text, 'A4 no effectiveness due date or window without a severity');
SET ROLE tap_f_verifier;
SELECT is(capa.capa_verify((SELECT id FROM rec WHERE name = 'impr'), true, 'onboarding takes 2 days instead of 5')::text,
          'verified', 'A4 verified by someone else (segregation of duties judged as ever)');
SELECT is(capa.capa_close((SELECT id FROM rec WHERE name = 'impr'), 'none: the checklist is the procedure')::text,
          'closed', 'A4 closed');
RESET ROLE;
SELECT is((SELECT row(open_total >= 1, overdue_total >= 1, improvements_closed_12m >= 1, closed_total >= 1,
                      open_critical + open_major + open_minor + open_observation < open_total)::text FROM capa.kpi_summary),
          row(true, true, true, true, true)::text,
          'A4 kpi_summary counts improvements without a severity in its totals, in no per-severity column');
SELECT is((SELECT row(records, open, overdue, closed)::text FROM capa.kpi_by_severity WHERE severity IS NULL),
          row(2, 1, 1, 1)::text, 'A4 kpi_by_severity shows them as the row whose severity is NULL');
SELECT is((SELECT count(*)::int FROM capa.kpi_record WHERE severity IS NULL AND is_overdue), 1,
          'A4 kpi_record: the overdue improvement');
SELECT is((SELECT array_agg(due_kind || ' ' || coalesce(severity::text, 'none') ORDER BY due_kind)
             FROM capa.capa_escalate() WHERE capa_id = (SELECT id FROM rec WHERE name = 'late')),
          array['action none', 'close none'], 'A4 capa_escalate escalates it, without a severity');
SELECT ok(position('Overdue improvement' IN capa.capa_report_html()) > 0,
          'A4 capa_report_html lists the overdue improvement');
-- (a review snapshot takes a digest, in a transaction of its own: not here)
CREATE TABLE public.tap_f_controls (code text PRIMARY KEY);
INSERT INTO public.tap_f_controls VALUES ('A.5.1');
SELECT ok(capa.capa_link((SELECT id FROM rec WHERE name = 'late'), 'public.tap_f_controls', 'A.5.1') > 0,
          'A4 it is linked to a control');
SELECT is((SELECT string_agg(item || status, ',' ORDER BY item) FROM capa.capa_conformance((SELECT id FROM rec WHERE name = 'impr'))),
          'anot_applicable,bnot_applicable,cmet,dmet,emet,fmet,gmet', 'A4 capa_conformance: every item that applies is met');
SELECT is((SELECT evidence LIKE 'grade: ofi; % audit row(s) in %' FROM capa.capa_conformance((SELECT id FROM rec WHERE name = 'impr')) WHERE item = 'f'),
          true, 'A4 item f shows the facts recorded, then the trail');
SELECT is((SELECT fields FROM capa.capa_conformance((SELECT id FROM rec WHERE name = 'impr')) WHERE item = 'f'),
          ARRAY['title', 'description', 'source', 'severity', 'detected_at', 'requirement', 'grade', 'objective_evidence', 'audit'],
          'A4 ... and names the facts among its fields');
SELECT is((SELECT array[d -> 'record' ->> 'grade', d -> 'record' ->> 'severity', (d -> 'record' ? 'detected_at')::text,
                        d -> 'summary' ->> 'state']
             FROM capa.capa_dossier((SELECT id FROM rec WHERE name = 'impr')) d),
          array['ofi', NULL, 'true', 'closed'], 'A4 capa_dossier: the record part has the facts and no severity');
SELECT ok(capa.capa_kpi_rebuild() > 0, 'A4 capa_kpi_rebuild counts it');
SELECT is((SELECT count(*)::int FROM capa.capa_audit_verify()), 0, 'A4 the trail verifies');

----------------------------------------------------------------------------
-- A5 import and intake
----------------------------------------------------------------------------
CREATE TABLE public.tap_f_legacy (legacy_id text, title text, description text, source text, kind text,
    state capa.capa_state, severity capa.capa_severity, owner text, opened_at timestamptz, opened_by name,
    detected_at timestamptz, requirement text, grade text, objective_evidence text);
INSERT INTO public.tap_f_legacy VALUES
    ('L-1', 'Imported improvement', 'd', 'other', 'improvement', 'open', NULL, 'tap_f_owner', '2025-01-10', 'auditor1',
     '2025-01-05', 'A.8.13', 'ofi', 'weekly restore tests would help'),
    ('L-2', 'Imported finding', 'd', 'other', 'corrective', 'open', 'minor', 'tap_f_owner', '2025-02-10', 'auditor1',
     NULL, NULL, NULL, NULL);
SELECT is(capa.capa_import('public.tap_f_legacy'), 2::bigint, 'A5 capa_import imports the facts');
SELECT is((SELECT array_agg(row(title, severity, detected_at, requirement, grade, objective_evidence)::text ORDER BY title)
             FROM capa.register WHERE title LIKE 'Imported %'),
          array[row('Imported finding', 'minor', '2025-02-10'::timestamptz, NULL, NULL, NULL)::text,
                row('Imported improvement', NULL, '2025-01-05'::timestamptz, 'A.8.13', 'ofi', 'weekly restore tests would help')::text],
          'A5 ... as given, detected_at defaulting to the imported opening, an improvement without a severity');
UPDATE public.tap_f_legacy SET title = title || ' again';
UPDATE public.tap_f_legacy SET detected_at = '2025-01-11' WHERE legacy_id = 'L-1';
SELECT pg_temp.refused($$SELECT capa.capa_import('public.tap_f_legacy')$$, '22023', 'A5 an imported detected_at after its opened_at');
UPDATE public.tap_f_legacy SET detected_at = NULL, grade = 'nc' WHERE legacy_id = 'L-1';
SELECT pg_temp.refused($$SELECT capa.capa_import('public.tap_f_legacy')$$, '23503', 'A5 an imported unknown grade');
UPDATE public.tap_f_legacy SET grade = NULL, requirement = ' ' WHERE legacy_id = 'L-1';
SELECT pg_temp.refused($$SELECT capa.capa_import('public.tap_f_legacy')$$, '22023', 'A5 an imported blank requirement');
UPDATE public.tap_f_legacy SET requirement = NULL WHERE legacy_id = 'L-1';
UPDATE public.tap_f_legacy SET severity = NULL WHERE legacy_id = 'L-2';
SELECT pg_temp.refused($$SELECT capa.capa_import('public.tap_f_legacy')$$, '23502', 'A5 an imported corrective record without a severity');

CREATE TABLE public.tap_f_findings (id serial PRIMARY KEY, summary text, clause text, seen text, found timestamptz, lvl text);
SELECT ok(capa.capa_intake('public.tap_f_findings', NULL,
    '{"title": "summary", "description": "summary", "source": {"const": "internal_audit"}, "severity": {"column": "lvl", "default": "minor"},
      "requirement": "clause", "objective_evidence": "seen", "detected_at": "found", "grade": {"const": "minor_nc"}}', 'fail') > 0,
    'A5 an intake maps the facts (capa_open''s parameters)');
INSERT INTO public.tap_f_findings (summary, clause, seen, found) VALUES ('Intake finding', 'A.8.15', 'no log review', now() - interval '5 days');
SELECT is((SELECT row(severity, detected_at, requirement, grade, objective_evidence)::text FROM capa.register WHERE title = 'Intake finding'),
          row('minor', now() - interval '5 days', 'A.8.15', 'minor_nc', 'no log review')::text,
          'A5 ... and the record a new row opens has them');
SELECT pg_temp.refused($$INSERT INTO public.tap_f_findings (summary, found) VALUES ('Later', now() + interval '1 day')$$,
                       '22023', 'A5 an intake row detected after now');
SELECT pg_temp.refused($$SELECT capa.capa_intake('public.tap_f_findings', NULL,
    '{"title": "summary", "description": "summary", "source": {"const": "internal_audit"}, "severity": {"const": "minor"}, "grade": {"const": "nc"}}', 'fail')$$,
                       '23503', 'A5 an intake mapping with an unknown grade');
SELECT pg_temp.refused($$SELECT capa.capa_intake('public.tap_f_findings', NULL,
    '{"title": "summary", "description": "summary", "source": {"const": "internal_audit"}, "severity": {"const": "minor"}, "requirement": {"const": " "}}', 'fail')$$,
                       '22023', 'A5 an intake mapping with a blank requirement');
SELECT pg_temp.refused($$SELECT capa.capa_intake('public.tap_f_findings', NULL,
    '{"title": "summary", "description": "summary", "source": {"const": "internal_audit"}, "severity": {"const": "minor"}, "detected_at": {"const": "2999-01-01"}}', 'fail')$$,
                       '22023', 'A5 an intake mapping with a detected_at still to come');
SELECT pg_temp.refused($$SELECT capa.capa_intake('public.tap_f_findings', NULL,
    '{"title": "summary", "description": "summary", "source": {"const": "internal_audit"}}', 'fail')$$,
                       '23502', 'A5 an intake mapping without a severity for corrective records');
SELECT ok(capa.capa_intake('public.tap_f_findings', NULL,
    '{"title": "summary", "description": "summary", "source": {"const": "internal_audit"}, "kind": {"const": "improvement"}}', 'fail') > 0,
    'A5 an intake of improvements may go without a severity');
INSERT INTO public.tap_f_findings (summary) VALUES ('Intake idea');
SELECT is((SELECT row(kind, severity, detected_at = opened_at)::text FROM capa.register WHERE title = 'Intake idea'),
          row('improvement', NULL, true)::text, 'A5 ... and opens them without one');

----------------------------------------------------------------------------
-- A6 the lookup capa.grade
----------------------------------------------------------------------------
SELECT is((SELECT array_agg(code || '=' || label ORDER BY code) FROM capa.grade WHERE builtin),
          array['major_nc=Major nonconformity', 'minor_nc=Minor nonconformity', 'observation=Observation',
                'ofi=Opportunity for improvement'], 'A6 the built-in grades');
SET ROLE tap_f_admin;
SELECT lives_ok($$INSERT INTO capa.grade (code, label) VALUES ('concern', 'Area of concern')$$, 'A6 capa_admin adds a grade');
RESET ROLE;
SELECT lives_ok($$SELECT capa.capa_open('Concern', 'd', 'minor', 'external_audit', grade => 'concern')$$,
                'A6 ... which a record may then have');
SET ROLE tap_f_owner;
SELECT pg_temp.refused($$INSERT INTO capa.grade (code, label) VALUES ('mine', 'Mine')$$, '42501', 'A6 an editor may not add a grade');
RESET ROLE;
SET ROLE tap_f_admin;
SELECT pg_temp.refused($$INSERT INTO capa.grade (code, label, builtin) VALUES ('b', 'B', true)$$, '42501', 'A6 capa_admin may not add a built-in grade');
SELECT pg_temp.refused($$INSERT INTO capa.grade (code, label) VALUES ('Bad Code', 'x')$$, '23514', 'A6 a grade code of other characters');
RESET ROLE;
SET ROLE tap_f_reader;
SELECT is((SELECT count(*)::int FROM capa.grade), 5, 'A6 readers read the grades');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_class c, aclexplode(c.relacl) a
            WHERE c.oid = 'capa.grade'::regclass AND a.grantee = 0), 0, 'A6 nothing on capa.grade for PUBLIC');
SELECT is((SELECT count(*)::int FROM capa.capa_audit_verify()), 0, 'the trail verifies at the end');

SELECT * FROM finish();
ROLLBACK;
