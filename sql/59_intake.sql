-- Intake: a new row of the user's findings or incidents table opens a
-- record (capa_intake, capa_intake_drop, capa.intake, capa.intake_failure).
-- The tables belong to an application role with no capa privilege at all;
-- a capa_admin with TRIGGER on them sets the intakes up.
\set SHOW_CONTEXT never
CREATE ROLE regress_app;
CREATE ROLE regress_isms;
GRANT capa_admin TO regress_isms;
CREATE SCHEMA grc AUTHORIZATION regress_app;
GRANT USAGE ON SCHEMA grc TO regress_isms, regress_dave;

SET ROLE regress_app;
CREATE TABLE grc.findings (id serial PRIMARY KEY, summary text, details text, level integer,
                           area text, raised timestamptz);
CREATE TABLE grc.incidents (ref text PRIMARY KEY, headline text, impact text NOT NULL,
                            category text, team text);
CREATE TABLE grc.no_key (summary text);
CREATE TABLE grc.two_key (a int, b int, summary text, PRIMARY KEY (a, b));
CREATE TABLE grc.locked (id int PRIMARY KEY, summary text);
GRANT TRIGGER, SELECT ON grc.findings, grc.incidents, grc.no_key, grc.two_key TO regress_isms;
-- regress_dave is a capa_admin too, but has no TRIGGER on the tables
GRANT SELECT ON grc.findings TO regress_dave;
RESET ROLE;

-- the findings: level 3 and up opens a corrective record, the level
-- translated to a severity, owner and source constant.  (The register
-- already has the records of the earlier tests: the queries below look at
-- the intakes' records, and no critical record is opened, which would
-- change 60_dossier's figures.)
SET ROLE regress_isms;
SELECT capa.capa_intake('grc.findings', 'level >= 3 AND summary IS NOT NULL',
    '{"title": "summary", "description": "details",
      "severity": {"column": "level", "map": {"3": "observation", "4": "minor", "5": "major"}},
      "source": {"const": "internal_audit"}, "owner": {"const": "isms_team"},
      "org_unit": {"column": "area", "default": "group"}}') AS findings_intake \gset
-- the incidents: every incident of category security or privacy; a bad
-- value fails the application's INSERT
SELECT capa.capa_intake('grc.incidents', $$category IN ('security', 'privacy') OR impact = 'high'$$,
    '{"title": "headline", "description": {"column": "headline"},
      "severity": {"column": "impact", "map": {"high": "major", "low": "minor"}},
      "source": {"const": "incident"}, "owner": "team"}', on_error => 'fail') AS incidents_intake \gset
RESET ROLE;
SELECT source, condition, on_error, created_by, status, failures FROM capa.intake ORDER BY id;
SELECT tgname, tgrelid::regclass, tgfoid::regproc, tgtype FROM pg_trigger
 WHERE tgfoid = 'capa.capa_intake_trigger'::regproc ORDER BY tgrelid::regclass::text;

-- the application inserts as before, with no capa privilege; one INSERT
-- of several rows opens one record per matching row
SET ROLE regress_app;
SET capa.app_user = 'auditor@example.com';
INSERT INTO grc.findings (summary, details, level, area) VALUES
  ('Backups unchecked', 'No one reads the backup reports.', 4, 'it'),
  ('Typo in policy', 'Harmless.', 1, 'it'),
  ('Visitors unescorted', 'Seen twice in March.', 3, NULL),
  (NULL, 'No summary, not matched.', 5, 'hr'),
  ('Laptops unencrypted', 'Three of forty.', 5, 'sales');
INSERT INTO grc.incidents VALUES ('INC-1', 'Phishing wave', 'high', 'security', 'soc'),
                                 ('INC-2', 'Printer jam', 'low', 'facilities', 'it'),
                                 ('INC-3', 'Data sent to wrong customer', 'low', 'privacy', 'dpo');
RESET capa.app_user;
-- the application role still cannot read capa
SELECT try('SELECT count(*) FROM capa.register') AS app_reads_capa;
RESET ROLE;

CREATE VIEW pg_temp.intake_record AS
SELECT r.*, l.target, l.key, l.linked_by FROM capa.register r JOIN capa.link l ON l.capa_id = r.id
 WHERE l.target_name IN ('grc.findings', 'grc.incidents');
SELECT title, description, severity, source, kind, owner, org_unit, state, opened_by, target, key, linked_by
  FROM pg_temp.intake_record ORDER BY id;
SELECT a.step, a.actor, a.app_user, untimed(a.changed) ->> 'title' AS title
  FROM capa.audit a WHERE a.capa_id IN (SELECT id FROM pg_temp.intake_record) ORDER BY a.seq;
SELECT count(*) AS findings_rows, (SELECT count(*) FROM pg_temp.intake_record) AS records FROM grc.findings;

-- on_error 'log' (the default): a row capa refuses is inserted anyway, and
-- the failure is kept with the row's key and the error
SET ROLE regress_app;
INSERT INTO grc.findings (summary, details, level) VALUES ('Blank details', '   ', 4), ('Level 9', 'd', 9);
SELECT count(*) AS findings_rows FROM grc.findings;
RESET ROLE;
SELECT intake_id = :findings_intake AS findings_intake, source, key, sqlstate, message, actor
  FROM capa.intake_failure ORDER BY id;
SELECT source, failures FROM capa.intake ORDER BY id;

-- on_error 'fail': capa's error fails the application's INSERT, and
-- nothing of it stays
SET ROLE regress_app;
SELECT try($$INSERT INTO grc.incidents VALUES ('INC-4', '  ', 'high', 'security', 'soc')$$) AS blank_headline;
SELECT try($$INSERT INTO grc.incidents VALUES ('INC-5', 'Unknown impact', 'medium', 'security', 'soc')$$) AS unmapped_impact;
SELECT try($$INSERT INTO grc.incidents VALUES ('INC-6', 'No team', 'high', 'security', NULL)$$) AS no_owner;
SELECT count(*) AS incidents_rows FROM grc.incidents;
RESET ROLE;
SELECT count(*) AS records FROM pg_temp.intake_record;

-- the refusals, each with its SQLSTATE; nothing is configured by them
SET ROLE regress_isms;
CREATE TEMP TABLE m AS SELECT '{"title": "summary", "description": "details", "severity": {"const": "major"},
                                 "source": {"const": "internal_audit"}}'::jsonb AS ok;
-- the condition: a closed grammar, never SQL
SELECT try(format('SELECT capa.capa_intake(%L, %L, %L)', 'grc.findings', c, (SELECT ok FROM m))) AS refused, c AS condition
  FROM unnest(ARRAY[
    'level >= 3; DROP TABLE grc.findings',
    'level >= 3 --',
    'level >= (SELECT 1)',
    'pg_sleep(10) IS NULL',
    'level >= 3 OR pg_catalog.pg_sleep(10) IS NULL',
    'level = NULL',
    'level >= ''3''''; DROP TABLE grc.findings; --''',
    'level >= ''three''',
    'level >= 3 AND',
    '(level >= 3',
    'summary ~ ''x''',
    'summary = details',
    'nosuch = 1',
    '"Level" >= 3',
    'level IN ()',
    '',
    'level >= 3 E''x''',
    'summary = $1']) c;
-- the mapping: a few fixed forms; column names are names, never SQL
SELECT try(format('SELECT capa.capa_intake(%L, NULL, %L)', 'grc.findings', j)) AS refused, j AS mapping
  FROM unnest(ARRAY[
    '[1]', '"summary"', '{}',
    '{"title": "summary", "description": "details", "severity": {"const": "major"}}',
    '{"titel": "summary", "description": "details", "severity": {"const": "major"}, "source": {"const": "other"}}',
    '{"title": "x\"; DROP TABLE grc.findings; --", "description": "details", "severity": {"const": "major"}, "source": {"const": "other"}}',
    '{"title": "Summary", "description": "details", "severity": {"const": "major"}, "source": {"const": "other"}}',
    '{"title": {"sql": "summary || details"}, "description": "details", "severity": {"const": "major"}, "source": {"const": "other"}}',
    '{"title": {"column": "summary", "const": "x"}, "description": "details", "severity": {"const": "major"}, "source": {"const": "other"}}',
    '{"title": 42, "description": "details", "severity": {"const": "major"}, "source": {"const": "other"}}',
    '{"title": "summary", "description": "details", "severity": {"column": "level", "map": ["major"]}, "source": {"const": "other"}}',
    '{"title": "summary", "description": "details", "severity": {"const": "huge"}, "source": {"const": "other"}}',
    '{"title": "summary", "description": "details", "severity": {"column": "level", "map": {"1": "huge"}}, "source": {"const": "other"}}',
    '{"title": "summary", "description": "details", "severity": {"const": "major"}, "source": {"const": "x''); DROP TABLE grc.findings; --"}}',
    '{"title": "summary", "description": "details", "severity": {"const": "major"}, "source": {"const": "other"}, "kind": {"const": "nonconformity"}}',
    '{"title": "summary", "description": "details", "severity": {"const": "major"}, "source": {"const": "other"}, "priority": {"const": 9}}',
    '{"title": "summary", "description": "details", "severity": {"const": "major"}, "source": {"const": "other"}, "close_due": {"const": "soon"}}',
    '{"title": {"const": "  "}, "description": "details", "severity": {"const": "major"}, "source": {"const": "other"}}']) j;
-- the source table and the arguments
SELECT try($$SELECT capa.capa_intake('grc.no_key', NULL, '{"title": "summary", "description": "summary", "severity": {"const": "major"}, "source": {"const": "other"}}')$$) AS no_primary_key;
SELECT try($$SELECT capa.capa_intake('grc.two_key', NULL, '{"title": "summary", "description": "summary", "severity": {"const": "major"}, "source": {"const": "other"}}')$$) AS two_column_key;
SELECT try($$SELECT capa.capa_intake('grc.locked', NULL, '{"title": "summary", "description": "summary", "severity": {"const": "major"}, "source": {"const": "other"}}')$$) AS no_trigger_privilege;
SELECT try($$SELECT capa.capa_intake('capa.register', NULL, '{"title": "title", "description": "title", "severity": {"const": "major"}, "source": {"const": "other"}}')$$) AS capa_table;
SELECT try($$SELECT capa.capa_intake(NULL, NULL, '{}')$$) AS null_source;
SELECT try($$SELECT capa.capa_intake('grc.findings', NULL, NULL)$$) AS null_mapping;
SELECT try($$SELECT capa.capa_intake('grc.findings', NULL, (SELECT ok FROM m), on_error => 'skip')$$) AS bad_on_error;
SELECT try($$SELECT capa.capa_intake(12345678, NULL, (SELECT ok FROM m))$$) AS no_such_table;
RESET ROLE;
-- not even a superuser attaches an intake to capa's own tables
SELECT try($$SELECT capa.capa_intake('capa.link', NULL, '{"title": "key", "description": "key", "severity": {"const": "major"}, "source": {"const": "other"}}')$$) AS capa_table_as_superuser;
-- column privileges: the intake copies what it reads into the register
SET ROLE regress_app;
CREATE TABLE grc.partly (id int PRIMARY KEY, summary text, secret text);
GRANT TRIGGER ON grc.partly TO regress_isms;
GRANT SELECT (id, summary) ON grc.partly TO regress_isms;
RESET ROLE;
SET ROLE regress_isms;
SELECT try($$SELECT capa.capa_intake('grc.partly', NULL, '{"title": "summary", "description": "summary", "severity": {"const": "major"}, "source": {"const": "other"}}')$$) AS readable_columns;
SELECT capa.capa_intake_drop('grc.partly') AS dropped;
SELECT try($$SELECT capa.capa_intake('grc.partly', 'secret = ''x''', '{"title": "summary", "description": "summary", "severity": {"const": "major"}, "source": {"const": "other"}}')$$) AS secret_in_condition;
SELECT try($$SELECT capa.capa_intake('grc.partly', NULL, '{"title": "summary", "description": "secret", "severity": {"const": "major"}, "source": {"const": "other"}}')$$) AS secret_in_mapping;
RESET ROLE;
-- who may: a capa_admin without TRIGGER, an editor, a role without capa
SET ROLE regress_dave;
SELECT try($$SELECT capa.capa_intake('grc.findings', NULL, '{"title": "summary", "description": "details", "severity": {"const": "major"}, "source": {"const": "other"}}')$$) AS admin_without_trigger;
SELECT try($$SELECT capa.capa_intake_drop('grc.findings')$$) AS drop_without_trigger;
SET ROLE regress_alice;
SELECT try($$SELECT capa.capa_intake('grc.findings', NULL, '{}')$$) AS editor;
SET ROLE regress_app;
SELECT try($$SELECT capa.capa_intake('grc.findings', NULL, '{}')$$) AS table_owner_without_capa;
SELECT try($$SELECT capa.capa_intake_drop('grc.findings')$$) AS table_owner_drop;
RESET ROLE;
-- the refusals configured nothing and ran nothing
SELECT source, condition, status FROM capa.intake ORDER BY id;
SELECT count(*) AS findings_rows FROM grc.findings;

-- re-running capa_intake replaces the table's intake; the old
-- configuration stays as history
SET ROLE regress_isms;
SELECT capa.capa_intake('grc.findings', 'level = 5',
    '{"title": "summary", "description": "details", "severity": {"const": "major"},
      "source": {"const": "internal_audit"}, "kind": {"const": "preventive"}}') > :findings_intake AS replaced;
RESET ROLE;
SELECT source, condition, status FROM capa.intake ORDER BY id;
SELECT count(*) AS configurations, count(dropped_at) AS dropped FROM capa.intake_config;
SET ROLE regress_app;
INSERT INTO grc.findings (summary, details, level) VALUES ('Level 4 now ignored', 'd', 4), ('Fire exit blocked', 'd', 5);
RESET ROLE;
SELECT title, severity, kind, owner FROM pg_temp.intake_record ORDER BY id DESC LIMIT 1;

-- the trigger's state shows in capa.intake
ALTER TABLE grc.findings DISABLE TRIGGER capa_intake;
SELECT source, status FROM capa.intake ORDER BY id;
ALTER TABLE grc.findings ENABLE TRIGGER capa_intake;

-- capa_intake_drop: the trigger goes, the configuration is kept as dropped
SET ROLE regress_isms;
SELECT capa.capa_intake_drop('grc.findings') AS dropped, capa.capa_intake_drop('grc.findings') AS dropped_again;
RESET ROLE;
SELECT source, status FROM capa.intake ORDER BY id;
SELECT count(*) AS intake_triggers FROM pg_trigger WHERE tgfoid = 'capa.capa_intake_trigger'::regproc;
SET ROLE regress_app;
INSERT INTO grc.findings (summary, details, level) VALUES ('After the drop', 'd', 5);
RESET ROLE;
SELECT count(*) AS records FROM pg_temp.intake_record;

-- a dropped table leaves its configuration, shown as such, until dropped
DROP TABLE grc.incidents;
SELECT source_name, status FROM capa.intake ORDER BY id;
SELECT source::oid AS incidents_oid FROM capa.intake \gset
SET ROLE regress_isms;
SELECT capa.capa_intake_drop(:incidents_oid) AS dropped_after_table;
RESET ROLE;
SELECT count(*) AS active_intakes FROM capa.intake;

-- the trigger function is capa's alone: not callable, refused when misused
SELECT try('SELECT capa.capa_intake_trigger()') AS called_directly;
CREATE TABLE public.misuse (id int PRIMARY KEY);
CREATE TRIGGER t AFTER INSERT ON public.misuse FOR EACH ROW EXECUTE FUNCTION capa.capa_intake_trigger('999');
SELECT try('INSERT INTO public.misuse VALUES (1)') AS unknown_intake;
DROP TRIGGER t ON public.misuse;
CREATE TRIGGER t BEFORE INSERT ON public.misuse FOR EACH ROW EXECUTE FUNCTION capa.capa_intake_trigger('1');
SELECT try('INSERT INTO public.misuse VALUES (1)') AS before_trigger;
DROP TABLE public.misuse;

SELECT count(*) AS verify_findings FROM capa.capa_audit_verify();
DROP SCHEMA grc CASCADE;
DROP OWNED BY regress_app, regress_isms;
DROP ROLE regress_app, regress_isms;
