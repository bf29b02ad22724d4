-- Who may do what.  Nothing is granted to PUBLIC; tables are written only
-- through the functions.
\set SHOW_CONTEXT never
SET ROLE regress_alice;
SELECT capa.capa_open('Privilege probe', 'd', 'minor', 'other') AS id \gset
RESET ROLE;

-- a role with no capa role can do nothing, not even read
SET ROLE regress_eve;
SELECT try('SELECT count(*) FROM capa.register') AS eve_reads;
SELECT try($$SELECT capa.capa_open('x', 'd', 'minor', 'other')$$) AS eve_opens;
RESET ROLE;

-- a source any role may read, so the import's row is about EXECUTE alone
CREATE TABLE public.priv_import_src AS
SELECT 'Imported' AS title, 'd' AS description, 'minor' AS severity, 'other' AS source,
       'regress_alice' AS owner, timestamptz '2020-01-01 00:00+00' AS opened_at,
       'regress_alice' AS opened_by;
GRANT SELECT ON public.priv_import_src TO PUBLIC;
-- a table every role may attach a trigger to, so the intake's row is about EXECUTE alone
CREATE TABLE public.priv_intake_src (id int PRIMARY KEY, t text);
GRANT SELECT, TRIGGER ON public.priv_intake_src TO PUBLIC;

-- the matrix: each role against each kind of call
CREATE TEMP TABLE calls (call text, sql text);
INSERT INTO calls VALUES
  ('read register', 'SELECT count(*) FROM capa.register'),
  ('read audit', 'SELECT count(*) FROM capa.audit'),
  ('next_states', format('SELECT capa.capa_next_states(%L)', :'id')),
  ('open', $$SELECT capa.capa_open('m', 'd', 'minor', 'other')$$),
  ('add_action', format($$SELECT capa.capa_add_action(%L, 'a', 'regress_ops', current_date)$$, :'id')),
  ('verify', format($$SELECT capa.capa_verify(%L, true, 'e')$$, :'id')),
  ('cancel', format($$SELECT capa.capa_cancel(%L, 'r')$$, :'id')),
  ('import', $$SELECT capa.capa_import('public.priv_import_src')$$),
  ('intake', $$SELECT capa.capa_intake('public.priv_intake_src', NULL, '{"title": "t", "description": "t", "severity": {"const": "minor"}, "source": {"const": "other"}}')$$),
  ('read intake', 'SELECT count(*) FROM capa.intake'),
  ('insert register', $$INSERT INTO capa.register (title, description, severity, source) VALUES ('t','d','minor','other')$$),
  ('update register', format($$UPDATE capa.register SET title = 'x' WHERE id = %L$$, :'id')),
  ('insert source', $$INSERT INTO capa.source (code, label) VALUES ('pentest', 'Penetration test')$$),
  ('insert builtin source', $$INSERT INTO capa.source (code, label, builtin) VALUES ('fake', 'Fake', true)$$),
  ('set policy', 'INSERT INTO capa.policy (segregation_of_duties) VALUES (true)');

CREATE TEMP TABLE results (role text, call text, result text);
DO $$
DECLARE
    r text;
    c record;
    res text;
BEGIN
    FOREACH r IN ARRAY ARRAY['regress_carol', 'regress_alice', 'regress_bob', 'regress_dave'] LOOP
        FOR c IN SELECT * FROM calls LOOP
            -- each call as the role, in a subtransaction undone afterwards
            BEGIN
                EXECUTE format('SET LOCAL ROLE %I', r);
                res := public.try(c.sql);
                RAISE EXCEPTION 'undo' USING ERRCODE = 'P0004';
            EXCEPTION WHEN assert_failure THEN NULL;
            END;
            INSERT INTO results VALUES (r, c.call, res);
        END LOOP;
    END LOOP;
END
$$;
SELECT call,
       max(left(result, 5)) FILTER (WHERE role = 'regress_carol') AS reader,
       max(left(result, 5)) FILTER (WHERE role = 'regress_alice') AS editor,
       max(left(result, 5)) FILTER (WHERE role = 'regress_bob') AS verifier,
       max(left(result, 5)) FILTER (WHERE role = 'regress_dave') AS admin
  FROM results GROUP BY call ORDER BY min(ctid);

-- segregation of duties can be switched off by an administrator, and the
-- switch is a new, dated policy row
SET ROLE regress_dave;
INSERT INTO capa.policy (segregation_of_duties) VALUES (false);
RESET ROLE;
SELECT segregation_of_duties, set_by, builtin FROM capa.policy ORDER BY id;
RESET ROLE;
GRANT capa_verifier TO regress_alice;
SET ROLE regress_alice;
SELECT capa.capa_contain(:'id', 'c', 'c');
SELECT capa.capa_analyse(:'id', 'r', 'other', 'e');
SELECT capa.capa_add_action(:'id', 'Self-check', 'regress_alice', current_date) AS aid \gset
SELECT capa.capa_plan(:'id');
SELECT capa.capa_complete_action(:aid, 'done');
SELECT capa.capa_implement(:'id');
-- alice owns the record and its action, and may verify it now
SELECT capa.capa_verify(:'id', true, 'checked by the owner, as the policy allows');
RESET ROLE;
REVOKE capa_verifier FROM regress_alice;
INSERT INTO capa.policy (segregation_of_duties) VALUES (true);

-- the API pins search_path, and its statements are schema-qualified: a
-- hostile operator and function in public change nothing
CREATE FUNCTION public.hostile_eq(capa.capa_ref, capa.capa_ref) RETURNS boolean
    LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR public.= (LEFTARG = capa.capa_ref, RIGHTARG = capa.capa_ref, PROCEDURE = public.hostile_eq);
CREATE FUNCTION public.count(anyelement) RETURNS bigint LANGUAGE sql AS $$ SELECT 42::bigint $$;
SELECT max(seq) AS before FROM capa.audit \gset
SET search_path = public, capa;
SELECT capa.capa_open('Hostile probe', 'd', 'minor', 'other') AS hp \gset
SELECT capa.capa_contain(:'hp', 'c', 'c');
RESET search_path;
SELECT count(*) AS contained_records FROM capa.register WHERE state = 'contained' AND title = 'Hostile probe';
SELECT count(*) AS audit_rows_written FROM capa.audit WHERE seq > :before;
SELECT proname, prosecdef, proconfig FROM pg_proc
 WHERE pronamespace = 'capa'::regnamespace AND proname LIKE 'capa\_%' AND proconfig IS NOT NULL
 ORDER BY proname;
DROP OPERATOR public.= (capa.capa_ref, capa.capa_ref);
DROP FUNCTION public.hostile_eq(capa.capa_ref, capa.capa_ref);
DROP FUNCTION public.count(anyelement);
DROP TABLE public.priv_import_src, public.priv_intake_src;
