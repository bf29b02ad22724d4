-- pgTAP: a hostile user plants look-alike functions, an aggregate and
-- operators in public, puts public before pg_catalog on the search_path,
-- and drives capa through a whole lifecycle, the management-review
-- report and an intake (an application role inserting into its findings
-- table with the same search_path): none of the look-alikes is ever called (capa's functions pin
-- search_path = pg_catalog, pg_temp and every statement capa runs, in the
-- functions and the triggers, is schema-qualified down to its operators).
-- In the style of PostgreSQL's contrib/seg/sql/security.sql.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SELECT plan(10);

CREATE ROLE tap_mallory;
GRANT capa_editor, capa_verifier TO tap_mallory;
GRANT USAGE, CREATE ON SCHEMA public TO tap_mallory;
CREATE TABLE public.trap_log (what text);
GRANT INSERT, SELECT ON public.trap_log TO tap_mallory;
-- what each hostile-path call did (pgTAP itself runs as the superuser, with
-- pg_catalog first: its own functions do not pin a search_path)
CREATE TEMP TABLE outcome (step text, result text);
GRANT INSERT, SELECT ON outcome TO tap_mallory;

-- an application's findings table with an intake; the application role
-- has no capa privilege and the same hostile search_path
CREATE ROLE tap_app;
CREATE SCHEMA tap_grc;
CREATE TABLE tap_grc.findings (id int PRIMARY KEY, summary text, level int);
GRANT USAGE ON SCHEMA tap_grc TO tap_app;
GRANT INSERT ON tap_grc.findings TO tap_app;
GRANT INSERT ON public.trap_log TO tap_app;
GRANT INSERT, SELECT ON outcome TO tap_app;

SET ROLE tap_mallory;
CREATE FUNCTION public.trap(what text) RETURNS boolean LANGUAGE sql
    AS $$ INSERT INTO public.trap_log VALUES (what) RETURNING true $$;
-- functions capa's statements call
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql
    AS $$ SELECT public.trap('now()'); SELECT '2000-01-01'::pg_catalog.timestamptz $$;
CREATE FUNCTION public.nextval(regclass) RETURNS bigint LANGUAGE sql
    AS $$ SELECT public.trap('nextval()'); SELECT 1::pg_catalog.int8 $$;
CREATE FUNCTION public.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE sql
    AS $$ SELECT public.trap('unnest()'); SELECT x FROM pg_catalog.unnest($1) x $$;
CREATE FUNCTION public.coalesce_trap(bigint, bigint) RETURNS bigint LANGUAGE sql
    AS $$ SELECT public.trap('max()'); SELECT pg_catalog.int8larger($1, $2) $$;
CREATE AGGREGATE public.max(bigint) (SFUNC = public.coalesce_trap, STYPE = bigint);
-- operators capa's statements use, on capa's own types and on built-ins
CREATE FUNCTION public.ref_eq(capa.capa_ref, capa.capa_ref) RETURNS boolean LANGUAGE sql
    AS $$ SELECT public.trap('capa_ref =') $$;
CREATE OPERATOR public.= (LEFTARG = capa.capa_ref, RIGHTARG = capa.capa_ref, FUNCTION = public.ref_eq);
CREATE FUNCTION public.int8_eq(bigint, bigint) RETURNS boolean LANGUAGE sql
    AS $$ SELECT public.trap('bigint =') $$;
CREATE OPERATOR public.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.int8_eq);
CREATE FUNCTION public.text_eq(text, text) RETURNS boolean LANGUAGE sql
    AS $$ SELECT public.trap('text =') $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.text_eq);
CREATE FUNCTION public.int8_gt(bigint, bigint) RETURNS boolean LANGUAGE sql
    AS $$ SELECT public.trap('bigint >') $$;
CREATE OPERATOR public.> (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.int8_gt);
-- what an intake's condition and link could be redirected to
CREATE FUNCTION public.int4_ge(integer, integer) RETURNS boolean LANGUAGE sql
    AS $$ SELECT public.trap('integer >=') $$;
CREATE OPERATOR public.>= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.int4_ge);
CREATE FUNCTION public.clock_timestamp() RETURNS timestamptz LANGUAGE sql
    AS $$ SELECT public.trap('clock_timestamp()'); SELECT '2000-01-01'::pg_catalog.timestamptz $$;
CREATE FUNCTION public.oid_eq(oid, oid) RETURNS boolean LANGUAGE sql
    AS $$ SELECT public.trap('oid =') $$;
CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = public.oid_eq);
SET search_path = public, capa, pg_catalog;

-- a digest by a superuser on the hostile path (before this transaction
-- writes audit rows, which a digest refuses)
RESET ROLE;
DO $d$
BEGIN
    PERFORM capa.capa_digest();
    INSERT INTO pg_temp.outcome VALUES ('digest', 'done');
EXCEPTION WHEN OTHERS THEN
    INSERT INTO pg_temp.outcome VALUES ('digest', SQLSTATE || ' ' || SQLERRM);
END $d$;
-- the intake is set up on the hostile path too (a superuser: capa_admin
-- with TRIGGER on the table would do the same)
DO $d$
BEGIN
    PERFORM capa.capa_intake('tap_grc.findings', 'level >= 3',
        '{"title": "summary", "description": "summary", "severity": {"column": "level", "map": {"3": "major"}},
          "source": {"const": "other"}, "owner": {"const": "someone_else"}}', on_error => 'fail');
    INSERT INTO pg_temp.outcome VALUES ('intake', 'done');
EXCEPTION WHEN OTHERS THEN
    INSERT INTO pg_temp.outcome VALUES ('intake', SQLSTATE || ' ' || SQLERRM);
END $d$;
SET ROLE tap_app;
SET search_path = public, capa, pg_catalog;
DO $d$
BEGIN
    INSERT INTO tap_grc.findings VALUES (1, 'Hijack intake', 3), (2, 'not matched', 1);
    INSERT INTO pg_temp.outcome VALUES ('intake insert', 'done');
EXCEPTION WHEN OTHERS THEN
    INSERT INTO pg_temp.outcome VALUES ('intake insert', SQLSTATE || ' ' || SQLERRM);
END $d$;
-- one role takes every step here (the point is the search_path): since
-- 0.3.0 segregation of duties also refuses the verifier who completed an
-- action item or implemented the record, so it is off for this lifecycle
RESET ROLE;
INSERT INTO capa.policy (segregation_of_duties) VALUES (false);
SET ROLE tap_mallory;

DO $d$
DECLARE
    r capa.capa_ref;
    a bigint;
BEGIN
    r := capa.capa_open('Hijack', 'd', 'major', 'other', owner => 'someone_else');
    PERFORM capa.capa_contain(r, 'c', 'c');
    PERFORM capa.capa_analyse(r, 'cause', '5whys', 'e', related => ARRAY[r]);
    a := capa.capa_add_action(r, 'fix', 'ops', CURRENT_DATE);
    PERFORM capa.capa_plan(r);
    PERFORM capa.capa_complete_action(a, 'done');
    PERFORM capa.capa_implement(r);
    PERFORM capa.capa_verify(r, false, 'came back');
    a := capa.capa_add_action(r, 'fix again', 'ops', CURRENT_DATE);
    PERFORM capa.capa_complete_action(a, 'done');
    PERFORM capa.capa_implement(r);
    PERFORM capa.capa_verify(r, true, 'works');
    PERFORM capa.capa_close(r, 'procedure v2');
    PERFORM capa.capa_reopen(r, 'again');
    PERFORM capa.capa_next_states(r);
    PERFORM capa.capa_report_html();        -- a reader's report, on the same path
    INSERT INTO pg_temp.outcome VALUES ('lifecycle', 'done');
    INSERT INTO pg_temp.outcome SELECT 'verify', pg_catalog.count(*)::text FROM capa.capa_audit_verify();
EXCEPTION WHEN OTHERS THEN
    INSERT INTO pg_temp.outcome VALUES ('lifecycle', SQLSTATE || ' ' || SQLERRM);
END $d$;
RESET ROLE;

SET search_path = pg_catalog, public;
SELECT is((SELECT result FROM outcome WHERE step = 'lifecycle'), 'done',
          'a whole lifecycle with look-alikes first on the search_path');
SELECT is((SELECT result FROM outcome WHERE step = 'verify'), '0', 'the trail verifies');
SELECT is((SELECT result FROM outcome WHERE step = 'digest'), 'done', 'capa_digest as a superuser with the same search_path');
SELECT is((SELECT string_agg(state::text, ',') FROM capa.register WHERE title = 'Hijack'), 'open',
          'the record went through its whole lifecycle and was reopened');
SELECT is((SELECT count(*) FROM capa.audit a JOIN capa.register r ON r.id OPERATOR(capa.=) a.capa_id
            WHERE a.action_id IS NULL AND r.title = 'Hijack'), 10::bigint,
          'one audit row per record step: open to closed with one ineffective verification (10), the reopen included');
SELECT is((SELECT count(*) FROM capa.audit WHERE actor::text = 'tap_mallory'),
          (SELECT count(*) FROM capa.audit WHERE actor::text <> 'tap_app'), 'every change recorded with the caller as actor');
SELECT is((SELECT string_agg(result, ',' ORDER BY step) FROM outcome WHERE step LIKE 'intake%'), 'done,done',
          'an intake set up, and an application inserting, with look-alikes first on the search_path');
SELECT is((SELECT string_agg(r.title || ' ' || r.severity || ' ' || a.actor || ' ' || l.key, ',')
             FROM capa.register r JOIN capa.audit a ON a.capa_id OPERATOR(capa.=) r.id
             JOIN capa.link l ON l.capa_id OPERATOR(capa.=) r.id
            WHERE r.source = 'other' AND r.title LIKE 'Hijack intake%'), 'Hijack intake major tap_app 1',
          'the matching row opened its record, linked to it, with the application role as actor');
SELECT is((SELECT count(*) FROM public.trap_log), 0::bigint, 'no look-alike was ever called');
-- the traps work: an unqualified call with public first does reach them
SET search_path = public, pg_catalog;
SELECT now() IS NOT NULL AS trapped;
SET search_path = pg_catalog, public;
SELECT is((SELECT count(*) FROM public.trap_log), 1::bigint, 'the trap records a call when one is made');

SELECT * FROM finish();
ROLLBACK;
