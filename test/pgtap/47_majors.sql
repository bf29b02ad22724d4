-- pgTAP: what PostgreSQL's majors do differently around capa (issue 15's
-- black-box attack on 18 and 19).
--   M1 an intake on a partitioned table: its owner, a capa_admin who is no
--      superuser, adds and attaches partitions (PostgreSQL clones the
--      trigger only for a role that may execute its function; before:
--      42501 "permission denied for function").
--   M2 PostgreSQL 18 and later: a condition or a mapping that names a
--      virtual generated column is refused (0A000): a row trigger sees it
--      as NULL (before: the finding was dropped or opened with a default).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SELECT plan(7);

CREATE ROLE tap_m_admin;
GRANT capa_admin TO tap_m_admin;
CREATE SCHEMA m AUTHORIZATION tap_m_admin;
SET ROLE tap_m_admin;
CREATE TABLE m.pf (id int PRIMARY KEY, sev text, summary text) PARTITION BY RANGE (id);
CREATE TABLE m.pf1 PARTITION OF m.pf FOR VALUES FROM (0) TO (100);
SELECT capa.capa_intake('m.pf', 'sev = ''major''',
    '{"title": "summary", "description": "summary", "severity": "sev", "source": {"const": "internal_audit"}}') IS NOT NULL AS made \gset
SELECT lives_ok($$CREATE TABLE m.pf2 PARTITION OF m.pf FOR VALUES FROM (100) TO (200)$$,
                'M1 the table''s owner (capa_admin) adds a partition (before: 42501)');
CREATE TABLE m.pf3 (id int PRIMARY KEY, sev text, summary text);
SELECT lives_ok($$ALTER TABLE m.pf ATTACH PARTITION m.pf3 FOR VALUES FROM (200) TO (300)$$,
                '... and attaches one');
INSERT INTO m.pf VALUES (150, 'major', 'in the new partition'), (250, 'major', 'in the attached one'), (50, 'minor', 'not matched');
RESET ROLE;
SELECT results_eq($$SELECT title FROM capa.register ORDER BY title$$,
                  $$VALUES ('in the attached one'), ('in the new partition')$$,
                  '... and the intake opens records for rows of both');
SELECT throws_ok($$SELECT capa.capa_intake_trigger()$$, '39P01', NULL,
                 'M1 the trigger function still cannot be called directly');

-- M2: virtual generated columns exist from 18 on
SELECT current_setting('server_version_num')::int >= 180000 AS virtual_columns \gset
\if :virtual_columns
CREATE TABLE m.vg (id int PRIMARY KEY, sev int, summary text,
                   sevtxt text GENERATED ALWAYS AS (CASE WHEN sev >= 4 THEN 'major' ELSE 'minor' END) VIRTUAL,
                   hot boolean GENERATED ALWAYS AS (sev >= 3) VIRTUAL,
                   sevst text GENERATED ALWAYS AS (CASE WHEN sev >= 4 THEN 'major' ELSE 'minor' END) STORED);
SELECT throws_ok($$SELECT capa.capa_intake('m.vg', 'hot = true',
                   '{"title": "summary", "description": "summary", "severity": "sevst", "source": {"const": "internal_audit"}}')$$,
                 '0A000', 'capa_intake: column "hot" is a virtual generated column',
                 'M2 a condition on a virtual generated column: 0A000 (before: no record, nothing logged)');
SELECT throws_ok($$SELECT capa.capa_intake('m.vg', 'sev >= 3',
                   '{"title": "summary", "description": "summary", "severity": "sevtxt", "source": {"const": "internal_audit"}}')$$,
                 '0A000', 'capa_intake: column "sevtxt" is a virtual generated column',
                 'M2 a mapping from one: 0A000 (before: 23502 at each insert, or the default)');
SELECT lives_ok($$SELECT capa.capa_intake('m.vg', 'sev >= 3',
                   '{"title": "summary", "description": "summary", "severity": "sevst", "source": {"const": "internal_audit"}}')$$,
                'M2 a STORED generated column is taken');
\else
SELECT skip('virtual generated columns exist from PostgreSQL 18 on', 3);
\endif

SELECT * FROM finish();
ROLLBACK;
