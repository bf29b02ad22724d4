-- pgTAP: a hostile user plants look-alike functions, an aggregate and
-- operators in public, puts public before pg_catalog on the search_path,
-- and drives capa through a whole lifecycle and the management-review
-- report: none of the look-alikes is ever called (capa's functions pin
-- search_path = pg_catalog, pg_temp and every statement capa runs, in the
-- functions and the triggers, is schema-qualified down to its operators).
-- In the style of PostgreSQL's contrib/seg/sql/security.sql.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
RESET client_min_messages;
SELECT plan(8);

CREATE ROLE tap_mallory;
GRANT capa_editor, capa_verifier TO tap_mallory;
GRANT USAGE, CREATE ON SCHEMA public TO tap_mallory;
CREATE TABLE public.trap_log (what text);
GRANT INSERT, SELECT ON public.trap_log TO tap_mallory;
-- what each hostile-path call did (pgTAP itself runs as the superuser, with
-- pg_catalog first: its own functions do not pin a search_path)
CREATE TEMP TABLE outcome (step text, result text);
GRANT INSERT, SELECT ON outcome TO tap_mallory;

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
SELECT is((SELECT string_agg(state::text, ',') FROM capa.register), 'open',
          'the record went through its whole lifecycle and was reopened');
SELECT is((SELECT count(*) FROM capa.audit WHERE action_id IS NULL), 10::bigint,
          'one audit row per record step: open to closed with one ineffective verification (10), the reopen included');
SELECT is((SELECT count(*) FROM capa.audit WHERE actor::text = 'tap_mallory'),
          (SELECT count(*) FROM capa.audit), 'every change recorded with the caller as actor');
SELECT is((SELECT count(*) FROM public.trap_log), 0::bigint, 'no look-alike was ever called');
-- the traps work: an unqualified call with public first does reach them
SET search_path = public, pg_catalog;
SELECT now() IS NOT NULL AS trapped;
SET search_path = pg_catalog, public;
SELECT is((SELECT count(*) FROM public.trap_log), 1::bigint, 'the trap records a call when one is made');

SELECT * FROM finish();
ROLLBACK;
