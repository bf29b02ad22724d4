-- Install capa and the roles the tests act as.
SET client_min_messages = warning;
CREATE EXTENSION capa;
\i test/policy_0_2.sql
RESET client_min_messages;
SELECT extname, extversion, extrelocatable, n.nspname AS schema
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'capa';

-- people: alice owns records, ops owns actions, bob verifies,
-- carol only reads, dave administers, eve has no capa role at all
CREATE ROLE regress_alice;
CREATE ROLE regress_ops;
CREATE ROLE regress_bob;
CREATE ROLE regress_carol;
CREATE ROLE regress_dave;
CREATE ROLE regress_eve;
GRANT capa_editor TO regress_alice, regress_ops;
GRANT capa_verifier TO regress_bob;
GRANT capa_reader TO regress_carol;
GRANT capa_admin TO regress_dave;

-- a helper for the tests: run a statement, report its SQLSTATE and message
CREATE FUNCTION public.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
GRANT EXECUTE ON FUNCTION public.try(text) TO PUBLIC;

-- every object is in schema capa, and nothing is granted to PUBLIC
SELECT count(*) AS public_grants
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.relnamespace = 'capa'::regnamespace AND a.grantee = 0;
SELECT count(*) AS public_function_grants
  FROM pg_proc p, aclexplode(p.proacl) a
 WHERE p.pronamespace = 'capa'::regnamespace AND a.grantee = 0;
SELECT count(*) AS functions_without_acl
  FROM pg_proc p WHERE p.pronamespace = 'capa'::regnamespace AND p.proacl IS NULL;

-- capa's operators live in schema capa: a database that queries capa's
-- tables puts capa on its search_path (the functions pin their own)
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = public, capa', current_database()); END $$;

-- a helper for the tests: an audit "changed" document without the values
-- that depend on when the test runs
CREATE FUNCTION public.untimed(doc jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(k, CASE WHEN k ~ '(_at|_due|^due)$' THEN '"*"'::jsonb ELSE v END), '{}')
      FROM jsonb_each(doc) AS e(k, v)
$$;
GRANT EXECUTE ON FUNCTION public.untimed(jsonb) TO PUBLIC;
