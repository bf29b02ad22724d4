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
\ir ../policy_0_2.sql
RESET client_min_messages;

CREATE TEMP TABLE backend AS SELECT pg_backend_pid() AS pid;

-- B's cases: every required text a caller gives, with text made only of
-- characters that show nothing; fixtures by name (built below)
CREATE TEMP TABLE fx (name text PRIMARY KEY, id capa.capa_ref NOT NULL, action_id bigint);
CREATE FUNCTION pg_temp.fx(n text) RETURNS capa.capa_ref LANGUAGE sql STABLE
    AS $$ SELECT f.id FROM pg_temp.fx f WHERE f.name = n $$;
CREATE FUNCTION pg_temp.fa(n text) RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT f.action_id FROM pg_temp.fx f WHERE f.name = n $$;
CREATE TEMP TABLE blank_value (label text, expr text);
INSERT INTO blank_value VALUES
  ('U+200B zero-width space', $v$E'\u200B'$v$),
  ('U+00A0 no-break space', $v$E'\u00A0'$v$),
  ('U+3000 ideographic space', $v$E'\u3000'$v$),
  ('U+2028 line separator', $v$E'\u2028'$v$),
  ('U+FEFF, U+2060, U+180E, U+200D', $v$E'\uFEFF\u2060\u180E\u200D'$v$),
  ('ASCII and Unicode blanks mixed', $v$E' \t\u200B\u2003\u202F\u205F\u1680\u0085\n'$v$),
  ('U+00AD soft hyphen, U+3164 Hangul filler, U+2800 braille blank', $v$E'\u00AD\u3164\u2800'$v$),
  ('U+202E and U+2066 bidirectional controls, U+FE0F, a tag U+E0041', $v$E'\u202E\u2066\uFE0F\U000E0041'$v$);
CREATE TEMP TABLE blank_slot (field text, tmpl text);
INSERT INTO blank_slot VALUES
  ('capa_open title', $t$SELECT capa.capa_open(%s, 'd', 'minor', 'other', owner => 'tap_owner')$t$),
  ('capa_open description', $t$SELECT capa.capa_open('t', %s, 'minor', 'other', owner => 'tap_owner')$t$),
  ('capa_open source', $t$SELECT capa.capa_open('t', 'd', 'minor', %s, owner => 'tap_owner')$t$),
  ('capa_open owner', $t$SELECT capa.capa_open('t', 'd', 'minor', 'other', owner => %s)$t$),
  ('capa_contain containment', $t$SELECT capa.capa_contain(pg_temp.fx('b_open'), %s, 'c')$t$),
  ('capa_contain consequences', $t$SELECT capa.capa_contain(pg_temp.fx('b_open'), 'c', %s)$t$),
  ('capa_analyse root_cause', $t$SELECT capa.capa_analyse(pg_temp.fx('b_contained'), %s, '5whys', 'e')$t$),
  ('capa_analyse method', $t$SELECT capa.capa_analyse(pg_temp.fx('b_contained'), 'r', %s, 'e')$t$),
  ('capa_analyse extent_of_condition', $t$SELECT capa.capa_analyse(pg_temp.fx('b_contained'), 'r', '5whys', %s)$t$),
  ('capa_analyse justification (required by the close)',
   $t$DO $d$ BEGIN
        PERFORM capa.capa_analyse(pg_temp.fx('b_contained'), 'r', '5whys', 'e', action_required => false, justification => %s);
        PERFORM capa.capa_close(pg_temp.fx('b_contained'), 'none');
      END $d$$t$),
  ('capa_add_action description', $t$SELECT capa.capa_add_action(pg_temp.fx('b_contained'), %s, 'tap_ops', current_date)$t$),
  ('capa_add_action owner', $t$SELECT capa.capa_add_action(pg_temp.fx('b_contained'), 'a', %s, current_date)$t$),
  ('capa_complete_action evidence', $t$SELECT capa.capa_complete_action(pg_temp.fa('b_planned'), %s)$t$),
  ('capa_verify evidence', $t$SELECT capa.capa_verify(pg_temp.fx('b_implemented'), true, %s)$t$),
  ('capa_close isms_changes', $t$SELECT capa.capa_close(pg_temp.fx('b_verified'), %s)$t$),
  ('capa_cancel reason', $t$SELECT capa.capa_cancel(pg_temp.fx('b_open'), %s)$t$),
  ('capa_reopen reason', $t$SELECT capa.capa_reopen(pg_temp.fx('b_closed'), %s)$t$),
  ('capa_review_snapshot label', $t$SELECT capa.capa_review_snapshot(%s)$t$);

SELECT plan(37 + (SELECT count(*)::int FROM blank_value, blank_slot));

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

----------------------------------------------------------------------------
-- Fixtures for D and B, built by the superuser for owners who are not it
----------------------------------------------------------------------------
CREATE ROLE tap_dx_reader IN ROLE capa_reader;
CREATE ROLE tap_dx_admin IN ROLE capa_admin;
GRANT INSERT, SELECT ON outcome TO tap_dx_reader, tap_dx_admin;
GRANT SELECT ON fx TO tap_dx_reader, tap_dx_admin;
-- run sql, and record "done" or its error under step
CREATE FUNCTION pg_temp.attempt(step text, sql text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    INSERT INTO pg_temp.outcome VALUES (step, 'done');
EXCEPTION WHEN OTHERS THEN
    INSERT INTO pg_temp.outcome VALUES (step, SQLSTATE || ' ' || SQLERRM);
END $$;
DO $d$
DECLARE
    r capa.capa_ref;
    a bigint;
    n text;
BEGIN
    FOREACH n IN ARRAY ARRAY['b_open', 'b_contained', 'b_planned', 'b_implemented', 'b_verified', 'b_closed',
                             'b_conf', 'd_minus', 'd_plus', 'd_action', 'd_implemented'] LOOP
        r := capa.capa_open('Fixture ' || n, 'd', 'major', 'other', owner => 'tap_owner');
        a := NULL;
        IF n NOT IN ('b_open', 'd_minus', 'd_plus') THEN
            PERFORM capa.capa_contain(r, 'c', 'c');
        END IF;
        IF n IN ('b_planned', 'b_implemented', 'b_verified', 'b_closed', 'd_action', 'd_implemented') THEN
            PERFORM capa.capa_analyse(r, 'cause', '5whys', 'extent');
            a := capa.capa_add_action(r, 'fix', 'tap_ops', current_date + 1);
            PERFORM capa.capa_plan(r);
        END IF;
        IF n IN ('b_implemented', 'b_verified', 'b_closed', 'd_implemented') THEN
            PERFORM capa.capa_complete_action(a, 'done');
            PERFORM capa.capa_implement(r);
        END IF;
        IF n IN ('b_verified', 'b_closed') THEN
            PERFORM capa.capa_verify(r, true, 'works');
        END IF;
        IF n = 'b_closed' THEN
            PERFORM capa.capa_close(r, 'procedure v2');
        END IF;
        INSERT INTO pg_temp.fx VALUES (n, r, a);
    END LOOP;
END $d$;

----------------------------------------------------------------------------
-- D. Non-finite dates and times
----------------------------------------------------------------------------
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'minor', 'other', owner => 'tap_owner', close_due => '-infinity')$$,
                 '22023', NULL, 'D capa_open(close_due => -infinity) is refused (0.2.0: stored, and the report failed for everyone)');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'minor', 'other', owner => 'tap_owner', contain_due => 'infinity')$$,
                 '22023', NULL, 'D capa_open(contain_due => infinity) is refused');
SELECT throws_ok($$SELECT capa.capa_add_action(pg_temp.fx('b_contained'), 'a', 'tap_ops', 'infinity')$$,
                 '22023', NULL, 'D capa_add_action(due => infinity) is refused');
SELECT throws_ok($$SELECT capa.capa_add_action(pg_temp.fx('b_contained'), 'a', 'tap_ops', '-infinity')$$,
                 '22023', NULL, 'D capa_add_action(due => -infinity) is refused');
-- capa_import: one open record, one column set to a value
CREATE TEMP TABLE dx_src (legacy_id text, kind text, state text, severity text, title text, description text,
                          source text, owner text, opened_at timestamptz, opened_by text, close_due timestamptz,
                          actions jsonb);
CREATE FUNCTION pg_temp.dx_import(col text, v text) RETURNS regclass LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM pg_temp.dx_src;
    INSERT INTO pg_temp.dx_src VALUES ('X-1', 'corrective', 'open', 'minor', 't', 'd', 'other', 'tap_owner',
                                       '2020-01-01 00:00+00', 'tap_owner', NULL, NULL);
    EXECUTE format('UPDATE pg_temp.dx_src SET %I = $1::%s', col,
                   CASE col WHEN 'actions' THEN 'jsonb' WHEN 'opened_at' THEN 'timestamptz'
                            WHEN 'close_due' THEN 'timestamptz' ELSE 'text' END) USING v;
    RETURN 'pg_temp.dx_src'::regclass;
END $$;
SELECT throws_ok($$SELECT capa.capa_import(pg_temp.dx_import('opened_at', '-infinity'))$$,
                 '22023', NULL, 'D capa_import of opened_at -infinity is refused with 22023 (0.2.0: XX000 "timestamp out of range")');
SELECT throws_ok($$SELECT capa.capa_import(pg_temp.dx_import('close_due', 'infinity'))$$,
                 '22023', NULL, 'D capa_import of a close_due of infinity is refused');
SELECT throws_ok($$SELECT capa.capa_import(pg_temp.dx_import('actions', '[{"description": "a", "owner": "o", "due": "infinity"}]'))$$,
                 '22023', NULL, 'D capa_import of an action item due infinity is refused');
-- capa_intake: a constant due date, and a row whose column gives one
CREATE SCHEMA tap_dx;
CREATE TABLE tap_dx.findings (id int PRIMARY KEY, summary text, due timestamptz);
SELECT throws_ok($$SELECT capa.capa_intake('tap_dx.findings', NULL,
                     '{"title": "summary", "description": "summary", "severity": {"const": "major"},
                       "source": {"const": "other"}, "owner": {"const": "tap_owner"}, "close_due": {"const": "-infinity"}}', 'fail')$$,
                 '22023', NULL, 'D capa_intake with a constant close_due of -infinity is refused');
SELECT lives_ok($$SELECT capa.capa_intake('tap_dx.findings', NULL,
                     '{"title": "summary", "description": "summary", "severity": {"const": "major"},
                       "source": {"const": "other"}, "owner": {"const": "tap_owner"}, "close_due": "due"}', 'fail')$$,
                'D capa_intake mapping close_due from a column');
SELECT throws_ok($$INSERT INTO tap_dx.findings VALUES (1, 'finding', 'infinity')$$,
                 '22023', NULL, 'D an intake row whose due date is infinity opens no record (22023)');

-- rows a 0.2.0 database may hold: infinite due dates, written here behind
-- the triggers' back (session_replication_role = replica)
SET session_replication_role = replica;
UPDATE capa.register SET close_due = '-infinity', contain_due = '-infinity' WHERE id OPERATOR(capa.=) pg_temp.fx('d_minus');
UPDATE capa.register SET close_due = 'infinity', contain_due = 'infinity' WHERE id OPERATOR(capa.=) pg_temp.fx('d_plus');
UPDATE capa.register SET effectiveness_due = '-infinity' WHERE id OPERATOR(capa.=) pg_temp.fx('d_implemented');
UPDATE capa.action SET due = 'infinity' WHERE id = pg_temp.fa('d_action');
UPDATE capa.action SET due = '-infinity' WHERE id = pg_temp.fa('d_implemented');
UPDATE capa.register SET containment = E'\u200B' WHERE id OPERATOR(capa.=) pg_temp.fx('b_conf');
RESET session_replication_role;
SET ROLE tap_dx_reader;
DO $d$
BEGIN
    PERFORM pg_temp.attempt('report', 'SELECT capa.capa_report_html()');
    BEGIN
        INSERT INTO pg_temp.outcome
        SELECT 'report row', CASE WHEN h LIKE '%<td>Fixture d_minus</td>%<td>-infinity</td><td class="num"></td></tr>%'
                                  THEN 'listed' ELSE 'not listed' END
          FROM (SELECT capa.capa_report_html() AS h) x;
    EXCEPTION WHEN OTHERS THEN
        INSERT INTO pg_temp.outcome VALUES ('report row', SQLSTATE || ' ' || SQLERRM);
    END;
    PERFORM pg_temp.attempt('kpis', 'SELECT (SELECT count(*) FROM capa.kpi_summary) + (SELECT count(*) FROM capa.kpi_record)
                                          + (SELECT count(*) FROM capa.kpi_monthly) + (SELECT count(*) FROM capa.kpi_by_owner)
                                          + (SELECT count(*) FROM capa.kpi_by_severity) + (SELECT count(*) FROM capa.kpi_by_control)');
    PERFORM pg_temp.attempt('dossier', format('SELECT capa.capa_dossier(%L), capa.capa_dossier(%L), capa.capa_dossier(%L)',
                                              pg_temp.fx('d_minus'), pg_temp.fx('d_plus'), pg_temp.fx('d_implemented')));
    PERFORM pg_temp.attempt('conformance', format('SELECT count(*) FROM capa.capa_conformance(%L)', pg_temp.fx('d_implemented')));
END $d$;
SET ROLE tap_dx_admin;
DO $d$
BEGIN
    PERFORM pg_temp.attempt('escalate', 'SELECT count(*) FROM capa.capa_escalate()');
END $d$;
RESET ROLE;
SELECT is((SELECT result FROM outcome WHERE step = 'report'), 'done',
          'D capa_report_html() works for a reader with infinite due dates stored (0.2.0: 22008 for everyone)');
SELECT is((SELECT result FROM outcome WHERE step = 'report row'), 'listed',
          'D ... and lists the record due -infinity as overdue, with its due date as stored and no number of days');
SELECT is((SELECT string_agg(step || ': ' || result, ', ' ORDER BY step) FROM outcome
            WHERE step IN ('kpis', 'dossier', 'conformance', 'escalate')),
          'conformance: done, dossier: done, escalate: done, kpis: done',
          'D the KPI views, the dossier, the conformance checklist and the escalation work with them too');
SELECT lives_ok(format($$SELECT capa.capa_contain(%L, 'c', 'c'), capa.capa_cancel(%L, 'duplicate'),
                               capa.capa_complete_action(%s, 'done'), capa.capa_verify(%L, true, 'works')$$,
                       pg_temp.fx('d_minus'), pg_temp.fx('d_plus'), pg_temp.fa('d_action'), pg_temp.fx('d_implemented')),
                'D records and items with infinite due dates stored go on through their steps (the stored value is not judged again)');

----------------------------------------------------------------------------
-- B. Unicode blanks
----------------------------------------------------------------------------
SELECT throws_ok(format(s.tmpl, v.expr), '22023', NULL, 'B ' || s.field || ': ' || v.label || ' is blank (22023)')
  FROM blank_slot s, blank_value v
 ORDER BY s.field, v.label;
SELECT lives_ok($$SELECT capa.capa_open(E'A\u200BB', E'\u00A0d\u3000', 'minor', 'other', owner => E'tap\u00A0owner')$$,
                'B text with something to show among the blanks is taken');
SELECT isnt((SELECT status FROM capa.capa_conformance(pg_temp.fx('b_conf')) WHERE item = 'a'), 'met',
            'B capa_conformance: a containment stored as U+200B does not meet 10.2 a (0.2.0: met)');
SET session_replication_role = replica;
UPDATE capa.action SET description = E'\u200B' WHERE id = pg_temp.fa('b_planned');
RESET session_replication_role;
SELECT lives_ok(format($$SELECT capa.capa_complete_action(%s, 'done')$$, pg_temp.fa('b_planned')),
                'B an action item whose description 0.2.0 took as given (U+200B) can still be completed');

----------------------------------------------------------------------------
-- X. Characters XML does not allow, in the report
----------------------------------------------------------------------------
SELECT is(capa.report_escape(E'A\uFFFF\u0001<script>'), E'A\uFFFD\uFFFD&lt;script&gt;',
          'X report_escape writes U+FFFF and U+0001 as U+FFFD and escapes <');
SELECT is(capa.report_escape(string_agg(chr(c), '' ORDER BY o)), repeat(E'\uFFFD', count(*)::int),
          'X report_escape replaces C0 controls, DEL, C1 controls, bidirectional controls, U+FDD0-U+FDEF and U+xFFFE/U+xFFFF of every plane')
  FROM unnest(ARRAY[1, 8, 11, 12, 14, 31, 127, 128, 159, x'202A'::int, x'202E'::int, x'2066'::int, x'2069'::int, x'FDD0'::int, x'FDEF'::int, x'FFFE'::int, x'FFFF'::int,
                    x'1FFFE'::int, x'1FFFF'::int, x'8FFFF'::int, x'10FFFE'::int, x'10FFFF'::int]) WITH ORDINALITY u(c, o);
SELECT is(capa.report_escape(E'\t\n\r\u00A0\u2029\u202F\u2065\u206A\uFDCF\uFDF0\uFFFD\U00010000\U0001FFFD\U0010FFFD'),
          E'\t\n\r\u00A0\u2029\u202F\u2065\u206A\uFDCF\uFDF0\uFFFD\U00010000\U0001FFFD\U0010FFFD',
          'X report_escape keeps tab, LF, CR and the characters next to the ranges it replaces');
DO $d$
BEGIN
    PERFORM capa.capa_open(E'Overdue \uFFFF\u0001\uFDD0\U0010FFFF <script>alert(1)</script>', 'd', 'minor', 'other',
                           owner => E'own\uFFFE', close_due => now() - interval '1 day');
END $d$;
SELECT is((SELECT count(*) FROM regexp_matches(capa.capa_report_html(title => E'Review \uFFFF\u0008'),
                                               '[\x01-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\uFDD0-\uFDEF\uFFFE\uFFFF\U0010FFFE\U0010FFFF]', 'g')),
          0::bigint, 'X the report of a register with such a title and owner, and such a report title, has none of those characters');
SELECT ok(position(E'Overdue \uFFFD\uFFFD\uFFFD\uFFFD &lt;script&gt;alert(1)&lt;/script&gt;' IN capa.capa_report_html()) > 0
          AND position('<script' IN capa.capa_report_html()) = 0,
          'X ... and shows the title as text, with U+FFFD for each');

SELECT is((SELECT pid FROM backend), pg_backend_pid(), 'the same backend served every case');

SELECT * FROM finish();
ROLLBACK;
