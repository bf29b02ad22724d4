-- capa install script, part 00: the group roles and the schema's privileges.
-- The Makefile joins the parts NN_*.sql of this folder, in the order it
-- lists, into the install script capa--<default_version>.sql.
\echo Use "CREATE EXTENSION capa" to load this file. \quit

--
-- Group roles.  Roles are cluster-wide: another database may have made them.
-- Nothing is ever granted to PUBLIC (99_public.sql revokes what PostgreSQL
-- grants it by default).
--
DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['capa_reader', 'capa_editor', 'capa_verifier', 'capa_admin'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$roles$;
GRANT capa_reader TO capa_editor, capa_verifier;
GRANT capa_editor, capa_verifier TO capa_admin;

REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
GRANT USAGE ON SCHEMA @extschema@ TO capa_reader;
