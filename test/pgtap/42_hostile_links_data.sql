-- pgTAP: a hostile holder of capa's roles against the links and the data
-- every reader sees (0.3.0 review, areas [links] and [report]).
--
-- L. Links.  An editor with a schema of their own links records to rows
--    of tables whose key types, casts, domain checks, operators, policies,
--    index predicates and triggers are theirs, and whose code grants the
--    editor whatever the role running it may grant.  A superuser and a
--    non-superuser auditor with CREATEROLE then read capa.broken_link (and
--    the other link views): 0.2.0 ran the owner's cast (x.key::text), its
--    policies and its index predicates with the reader's privileges, and
--    the superuser made the editor a superuser.  Now the rows are looked
--    up as the table's owner, restricted: the editor stays what it was.
--    capa_unlink ran the key type's input function on tables the caller
--    cannot read (22P02 told an editor the key type of hr.salaries).
--    (A base type's I/O functions are C and only a superuser can create
--    one: the hostile types here are composites, domains and ranges.)
-- D. Non-finite dates: capa_open(close_due => '-infinity') made
--    capa_report_html() fail with 22008 for everyone; every date a user
--    gives is now refused unless finite (22023), and the readers cope with
--    such rows stored by 0.2.0.
-- B. Unicode blanks: required text made only of U+200B, U+00A0, U+3000,
--    U+2028 ... counted as given.
-- X. A title with U+FFFF or U+0001 made the report page ill-formed.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
RESET client_min_messages;
SELECT plan(36);

CREATE TEMP TABLE backend AS SELECT pg_backend_pid() AS pid;

----------------------------------------------------------------------------
-- L. Links into a hostile editor's tables
----------------------------------------------------------------------------
CREATE ROLE tap_lk_eve;
GRANT capa_editor TO tap_lk_eve;
CREATE SCHEMA tap_lk_evil AUTHORIZATION tap_lk_eve;
-- an auditor who is not a superuser but may grant roles
CREATE ROLE tap_lk_dba CREATEROLE;
GRANT capa_reader TO tap_lk_dba;
GRANT USAGE ON SCHEMA tap_lk_evil TO tap_lk_dba;
-- what the hostile role holds before
CREATE TEMP TABLE eve_before AS
SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolreplication,
       ARRAY(SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = r.oid ORDER BY 1) AS member_of
  FROM pg_roles r WHERE r.rolname = 'tap_lk_eve';
CREATE TEMP TABLE outcome (step text, result text);
GRANT INSERT, SELECT ON outcome TO tap_lk_dba, tap_lk_eve;

SET ROLE tap_lk_eve;
-- whoever runs this gets to make tap_lk_eve more: a superuser makes it a
-- superuser, a role with CREATEROLE grants it pg_read_all_data
CREATE FUNCTION tap_lk_evil.escalate() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'ALTER ROLE tap_lk_eve SUPERUSER';
    ELSIF (SELECT rolcreaterole FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'GRANT pg_read_all_data TO tap_lk_eve';
    END IF;
    -- and leave a setting behind for the rest of the session
    PERFORM pg_catalog.set_config('search_path', 'tap_lk_evil, pg_catalog', false);
    RETURN true;
END $$;
-- the same, without asking first: as tap_lk_eve itself it fails (42501)
CREATE FUNCTION tap_lk_evil.escalate_always() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'ALTER ROLE tap_lk_eve SUPERUSER';
    RETURN true;
END $$;

-- 1. the reported one: a cast of the key type to text
CREATE TYPE tap_lk_evil.k AS (v int);
CREATE FUNCTION tap_lk_evil.k_text(tap_lk_evil.k) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tap_lk_evil.escalate();
    RETURN ($1).v::text;
END $$;
CREATE CAST (tap_lk_evil.k AS text) WITH FUNCTION tap_lk_evil.k_text(tap_lk_evil.k);
CREATE TABLE tap_lk_evil.by_cast (id tap_lk_evil.k PRIMARY KEY);
INSERT INTO tap_lk_evil.by_cast VALUES (ROW(1)), (ROW(2));
-- 2. a domain over a composite whose CHECK calls the owner's function
CREATE TYPE tap_lk_evil.k2 AS (v int);
CREATE FUNCTION tap_lk_evil.k2_ok(tap_lk_evil.k2) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RETURN tap_lk_evil.escalate();
END $$;
CREATE DOMAIN tap_lk_evil.dk AS tap_lk_evil.k2 CHECK (tap_lk_evil.k2_ok(VALUE));
CREATE TABLE tap_lk_evil.by_domain (id tap_lk_evil.dk PRIMARY KEY);
INSERT INTO tap_lk_evil.by_domain VALUES (ROW(1)::tap_lk_evil.k2), (ROW(2)::tap_lk_evil.k2);
-- 3. an equality operator (and a text one) in the owner's schema
CREATE TYPE tap_lk_evil.k3 AS (v int);
CREATE FUNCTION tap_lk_evil.k3_eq(tap_lk_evil.k3, tap_lk_evil.k3) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RETURN tap_lk_evil.escalate() AND ($1).v = ($2).v;
END $$;
CREATE OPERATOR tap_lk_evil.= (LEFTARG = tap_lk_evil.k3, RIGHTARG = tap_lk_evil.k3, FUNCTION = tap_lk_evil.k3_eq);
CREATE FUNCTION tap_lk_evil.text_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RETURN tap_lk_evil.escalate() AND $1 OPERATOR(pg_catalog.=) $2;
END $$;
CREATE OPERATOR tap_lk_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = tap_lk_evil.text_eq);
CREATE TABLE tap_lk_evil.by_operator (id tap_lk_evil.k3 PRIMARY KEY);
INSERT INTO tap_lk_evil.by_operator VALUES (ROW(1));
-- 4. a trigger on the linked table (and a rule), for whatever writes to it
CREATE FUNCTION tap_lk_evil.trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tap_lk_evil.escalate();
    RETURN NEW;
END $$;
CREATE TABLE tap_lk_evil.by_trigger (code text PRIMARY KEY);
INSERT INTO tap_lk_evil.by_trigger VALUES ('T-1');
CREATE TRIGGER evil BEFORE INSERT OR UPDATE OR DELETE ON tap_lk_evil.by_trigger
    FOR EACH ROW EXECUTE FUNCTION tap_lk_evil.trg();
-- 5. a partial index whose predicate the planner folds (an immutable
--    function of a constant runs at plan time, as whoever plans)
CREATE FUNCTION tap_lk_evil.imm(int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN tap_lk_evil.escalate();
END $$;
CREATE TABLE tap_lk_evil.by_predicate (code text PRIMARY KEY);
CREATE INDEX by_predicate_evil ON tap_lk_evil.by_predicate (code) WHERE tap_lk_evil.imm(1);
INSERT INTO tap_lk_evil.by_predicate VALUES ('P-1');
-- 6. row-level security whose policy is the owner's function
CREATE FUNCTION tap_lk_evil.pol() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RETURN tap_lk_evil.escalate();
END $$;
CREATE TABLE tap_lk_evil.by_policy (code text PRIMARY KEY);
INSERT INTO tap_lk_evil.by_policy VALUES ('R-1');
CREATE POLICY evil ON tap_lk_evil.by_policy USING (tap_lk_evil.pol());
ALTER TABLE tap_lk_evil.by_policy ENABLE ROW LEVEL SECURITY;
-- 7. a range type whose subtype difference is the owner's function
CREATE FUNCTION tap_lk_evil.diff(float8, float8) RETURNS float8 LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM tap_lk_evil.escalate();
    RETURN $1 - $2;
END $$;
CREATE TYPE tap_lk_evil.span AS RANGE (subtype = float8, subtype_diff = tap_lk_evil.diff);
CREATE TABLE tap_lk_evil.by_range (id tap_lk_evil.span PRIMARY KEY);
INSERT INTO tap_lk_evil.by_range VALUES ('[1,2)');
-- 8. key domains whose checks, added later (NOT VALID), fail for a
--    linked key: one raises an error of its own, one tries to escalate
--    without asking (42501 as its owner); their errors must not fail the view
CREATE FUNCTION tap_lk_evil.only_one(int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF $1 <> 1 THEN
        RAISE EXCEPTION 'key % refused by its owner', $1 USING ERRCODE = '23514';
    END IF;
    RETURN true;
END $$;
CREATE DOMAIN tap_lk_evil.one AS int;
CREATE TABLE tap_lk_evil.by_failing (id tap_lk_evil.one PRIMARY KEY);
INSERT INTO tap_lk_evil.by_failing VALUES (1), (2);
CREATE DOMAIN tap_lk_evil.always AS int;
CREATE TABLE tap_lk_evil.by_always (id tap_lk_evil.always PRIMARY KEY);
INSERT INTO tap_lk_evil.by_always VALUES (1);
GRANT USAGE ON SCHEMA tap_lk_evil TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA tap_lk_evil TO tap_lk_dba;

-- the links, made by the editor itself (as the caller: its own code runs as itself)
DO $d$
DECLARE
    r capa.capa_ref := capa.capa_open('Hostile links', 'd', 'minor', 'other', owner => 'someone_else');
BEGIN
    PERFORM capa.capa_link(r, 'tap_lk_evil.by_cast', '(1)');
    PERFORM capa.capa_link(r, 'tap_lk_evil.by_cast', '(2)');
    PERFORM capa.capa_link(r, 'tap_lk_evil.by_domain', '(1)');
    PERFORM capa.capa_link(r, 'tap_lk_evil.by_domain', '(2)');
    PERFORM capa.capa_link(r, 'tap_lk_evil.by_operator', '(1)');
    PERFORM capa.capa_link(r, 'tap_lk_evil.by_trigger', 'T-1');
    PERFORM capa.capa_link(r, 'tap_lk_evil.by_predicate', 'P-1');
    PERFORM capa.capa_link(r, 'tap_lk_evil.by_policy', 'R-1');
    PERFORM capa.capa_link(r, 'tap_lk_evil.by_range', '[1,2)');
    PERFORM capa.capa_link(r, 'tap_lk_evil.by_failing', '1');
    PERFORM capa.capa_link(r, 'tap_lk_evil.by_failing', '2');
    PERFORM capa.capa_link(r, 'tap_lk_evil.by_always', '1');
    INSERT INTO pg_temp.outcome VALUES ('link', 'done');
EXCEPTION WHEN OTHERS THEN
    INSERT INTO pg_temp.outcome VALUES ('link', SQLSTATE || ' ' || SQLERRM);
END $d$;
-- then the tables change under the links: a row of by_cast goes, the key
-- domains get their checks, and the planner's copy of the index predicate
-- is thrown away (so the next query that plans on the table folds it again)
DELETE FROM tap_lk_evil.by_cast WHERE id = ROW(2)::tap_lk_evil.k;
ALTER DOMAIN tap_lk_evil.one ADD CONSTRAINT only_one CHECK (tap_lk_evil.only_one(VALUE)) NOT VALID;
ALTER DOMAIN tap_lk_evil.always ADD CONSTRAINT escalate CHECK (tap_lk_evil.escalate_always()) NOT VALID;
ALTER INDEX tap_lk_evil.by_predicate_evil SET (fillfactor = 90);
RESET ROLE;
RESET search_path;
SELECT is((SELECT result FROM outcome WHERE step = 'link'), 'done', 'L the hostile editor linked a record to rows of its tables');

-- the readers: a superuser, then the auditor with CREATEROLE
CREATE TEMP TABLE seen (reader text, link_id bigint, target_name text, key text, problem text);
GRANT INSERT ON seen TO tap_lk_dba;
CREATE TEMP TABLE settings_before AS SELECT current_setting('search_path') AS search_path;
DO $d$
BEGIN
    INSERT INTO pg_temp.seen SELECT 'superuser', b.link_id, b.target_name, b.key, b.problem FROM capa.broken_link b;
    PERFORM count(*) FROM capa.kpi_by_control;
    PERFORM count(*) FROM capa.link;
    INSERT INTO pg_temp.outcome VALUES ('superuser reads', 'done');
EXCEPTION WHEN OTHERS THEN
    INSERT INTO pg_temp.outcome VALUES ('superuser reads', SQLSTATE || ' ' || SQLERRM);
END $d$;
CREATE TEMP TABLE settings_after AS SELECT current_setting('search_path') AS search_path;
SET ROLE tap_lk_dba;
DO $d$
BEGIN
    INSERT INTO pg_temp.seen SELECT 'dba', b.link_id, b.target_name, b.key, b.problem FROM capa.broken_link b;
    PERFORM count(*) FROM capa.kpi_by_control;
    INSERT INTO pg_temp.outcome VALUES ('dba reads', 'done');
EXCEPTION WHEN OTHERS THEN
    INSERT INTO pg_temp.outcome VALUES ('dba reads', SQLSTATE || ' ' || SQLERRM);
END $d$;
RESET ROLE;
RESET search_path;

SELECT is((SELECT result FROM outcome WHERE step = 'superuser reads'), 'done',
          'L a superuser reads capa.broken_link, kpi_by_control and capa.link');
SELECT is((SELECT result FROM outcome WHERE step = 'dba reads'), 'done',
          'L an auditor with CREATEROLE reads capa.broken_link and kpi_by_control');
SELECT is((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = 'tap_lk_eve'), false,
          'L the hostile editor is not a superuser after a superuser read the link views (0.2.0: it was)');
SELECT is((SELECT ROW(r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolreplication,
                      ARRAY(SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = r.oid ORDER BY 1))::text
             FROM pg_roles r WHERE r.rolname = 'tap_lk_eve'),
          (SELECT ROW(b.rolsuper, b.rolcreaterole, b.rolcreatedb, b.rolbypassrls, b.rolreplication, b.member_of)::text
             FROM eve_before b),
          'L the hostile editor has no attribute and no role membership it did not have (0.2.0: pg_read_all_data from the auditor''s read)');
SELECT is((SELECT search_path FROM settings_after), (SELECT search_path FROM settings_before),
          'L the owner''s code left no setting behind in the reader''s session');
SELECT is((SELECT string_agg(s.target_name || ' ' || s.key || ': ' || s.problem, '; ' ORDER BY s.target_name, s.key)
             FROM seen s WHERE s.reader = 'superuser' AND s.problem NOT LIKE 'not checked: %'),
          'tap_lk_evil.by_cast (2): row gone',
          'L as the owner, the superuser''s view finds every linked row of the hostile tables but the deleted one');
SELECT is((SELECT string_agg(s.target_name || ' ' || s.key, '; ' ORDER BY s.target_name, s.key)
             FROM seen s WHERE s.reader = 'superuser' AND s.problem LIKE 'not checked: %'),
          'tap_lk_evil.by_always 1; tap_lk_evil.by_failing 2',
          'L the keys whose owner''s code failed are reported as not checked, and the view goes on');
SELECT ok((SELECT s.problem FROM seen s WHERE s.reader = 'superuser' AND s.target_name = 'tap_lk_evil.by_failing')
          LIKE 'not checked: key 2 refused by its owner%',
          'L the owner''s error message is the reason given');
SELECT is((SELECT string_agg(s.target_name || ' ' || s.key || ': ' || s.problem, '; ' ORDER BY s.target_name, s.key)
             FROM seen s WHERE s.reader = 'dba' AND s.target_name = 'tap_lk_evil.by_policy'),
          'tap_lk_evil.by_policy R-1: not checked: row-level security',
          'L a table whose row-level security applies to the reader is not checked (its policies would run as the reader)');

-- a transaction-level error raised by the owner's code is not swallowed
SET ROLE tap_lk_eve;
CREATE FUNCTION tap_lk_evil.conflict(int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'pretend' USING ERRCODE = '40001';
END $$;
CREATE DOMAIN tap_lk_evil.conflicting AS int;
CREATE TABLE tap_lk_evil.by_conflict (id tap_lk_evil.conflicting PRIMARY KEY);
INSERT INTO tap_lk_evil.by_conflict VALUES (1);
SELECT ok((SELECT capa.capa_link(l.capa_id, 'tap_lk_evil.by_conflict', '1') FROM capa.link l LIMIT 1) > 0,
          'L the editor links a row of a table whose key domain will raise a serialization failure');
ALTER DOMAIN tap_lk_evil.conflicting ADD CONSTRAINT conflict CHECK (tap_lk_evil.conflict(VALUE)) NOT VALID;
RESET ROLE;
RESET search_path;
SELECT throws_ok('SELECT * FROM capa.broken_link', '40001', NULL,
                 'L a serialization failure the owner''s code raises propagates (query cancels, deadlocks and lock timeouts too)');
SET ROLE tap_lk_eve;
DROP TABLE tap_lk_evil.by_conflict;
RESET ROLE;

-- capa_unlink on a table the caller cannot read: the key type's input
-- function does not run (0.2.0: 22P02 told the caller the key is an integer)
CREATE SCHEMA tap_lk_hr;
CREATE TABLE tap_lk_hr.salaries (id integer PRIMARY KEY, amount numeric);
INSERT INTO tap_lk_hr.salaries VALUES (7, 1);
CREATE ROLE tap_lk_mallory;
GRANT capa_editor TO tap_lk_mallory;
GRANT USAGE ON SCHEMA tap_lk_hr TO tap_lk_mallory;
SET ROLE tap_lk_mallory;
SELECT lives_ok($$SELECT capa.capa_unlink(l.capa_id, 'tap_lk_hr.salaries', 'not a number') FROM capa.link l LIMIT 1$$,
                'L capa_unlink on a table the caller cannot read takes the key as given: no 22P02 from its type (0.2.0: 22P02)');
SELECT is((SELECT capa.capa_unlink(l.capa_id, 'tap_lk_hr.salaries', '7') FROM capa.link l LIMIT 1), false,
          'L ... and ends nothing when no such link exists');
RESET ROLE;

SELECT is((SELECT pid FROM backend), pg_backend_pid(), 'L the same backend served every case');

SELECT * FROM finish();
ROLLBACK;
