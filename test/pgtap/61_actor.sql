-- pgTAP: who the trail records as acting, under SET ROLE and through a
-- SECURITY DEFINER function: actor is the effective role at the call (the
-- definer inside a SECURITY DEFINER function), session_actor the login
-- (session) role, app_user the application's claim.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SELECT plan(6);

CREATE ROLE tap_app;                   -- owns the application's wrapper
GRANT capa_editor TO tap_app;
CREATE ROLE tap_clerk;                 -- logs in; may only call the wrapper
CREATE ROLE tap_editor_login;          -- logs in; becomes an editor with SET ROLE
CREATE ROLE tap_editor;
GRANT capa_editor TO tap_editor;
GRANT tap_editor TO tap_editor_login;
GRANT USAGE, CREATE ON SCHEMA public TO tap_app;
CREATE TEMP TABLE opened (via text, id capa.capa_ref);
GRANT INSERT ON opened TO tap_clerk, tap_editor_login, tap_editor;

SET ROLE tap_app;
CREATE FUNCTION public.app_open(title text) RETURNS capa.capa_ref
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT capa.capa_open(title, 'reported through the app', 'minor', 'other') $$;
REVOKE ALL ON FUNCTION public.app_open(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.app_open(text) TO tap_clerk;
RESET ROLE;

-- a clerk's session calls the definer's wrapper
SET SESSION AUTHORIZATION tap_clerk;
SET capa.app_user = 'alice@example.org';
INSERT INTO opened SELECT 'definer', public.app_open('Through the wrapper');
RESET capa.app_user;
RESET SESSION AUTHORIZATION;

-- an editor's login session acting under SET ROLE
SET SESSION AUTHORIZATION tap_editor_login;
SET ROLE tap_editor;
INSERT INTO opened SELECT 'set role', capa.capa_open('Under SET ROLE', 'd', 'minor', 'other');
RESET ROLE;
RESET SESSION AUTHORIZATION;

SELECT is((SELECT a.actor::text FROM capa.audit a JOIN opened o ON a.capa_id OPERATOR(capa.=) o.id WHERE o.via = 'definer'),
          'tap_app', 'SECURITY DEFINER: the actor is the definer');
SELECT is((SELECT a.session_actor::text FROM capa.audit a JOIN opened o ON a.capa_id OPERATOR(capa.=) o.id WHERE o.via = 'definer'),
          'tap_clerk', 'SECURITY DEFINER: the session actor is the clerk who logged in');
SELECT is((SELECT a.app_user FROM capa.audit a JOIN opened o ON a.capa_id OPERATOR(capa.=) o.id WHERE o.via = 'definer'),
          'alice@example.org', 'the application''s claim is kept next to the roles');
SELECT is((SELECT r.opened_by::text FROM capa.register r JOIN opened o ON r.id OPERATOR(capa.=) o.id WHERE o.via = 'definer'),
          'tap_app', 'the record''s opened_by is the actor too');
SELECT is((SELECT a.actor::text FROM capa.audit a JOIN opened o ON a.capa_id OPERATOR(capa.=) o.id WHERE o.via = 'set role'),
          'tap_editor', 'SET ROLE: the actor is the role set');
SELECT is((SELECT a.session_actor::text FROM capa.audit a JOIN opened o ON a.capa_id OPERATOR(capa.=) o.id WHERE o.via = 'set role'),
          'tap_editor_login', 'SET ROLE: the session actor is the login role');

SELECT * FROM finish();
ROLLBACK;
