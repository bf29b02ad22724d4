-- capa install script, part 00: the group roles and the schema's privileges.
-- The Makefile joins the parts NN_*.sql of this folder, in the order it
-- lists, into the install script capa--<default_version>.sql.
\echo Use "CREATE EXTENSION capa" to load this file. \quit
--
-- The schema.  CREATE EXTENSION makes schema capa, owned by the superuser
-- who installs; but a schema of that name made before (by the database's
-- owner, or any role with CREATE on the database) is taken as it is, and
-- its owner could rename it and put look-alikes in its place, or drop the
-- extension with it.  So the schema capa lives in must be a superuser's,
-- and only superusers may create in it (docs/security.md).
--
DO $schema$
DECLARE
    owner_name  name;
    creators    text;
BEGIN
    SELECT o.rolname INTO owner_name
      FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE n.oid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace AND NOT o.rolsuper;
    IF owner_name IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('schema %s is owned by %s, who is not a superuser', '@extschema@', owner_name),
            DETAIL = 'Its owner could replace or drop what capa puts in it.',
            HINT = 'Install capa into a schema it creates (drop this one), or have a superuser own it: ALTER SCHEMA ... OWNER TO a superuser.';
    END IF;
    SELECT pg_catalog.string_agg(CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                      ELSE pg_catalog.quote_ident(r.rolname) END, ', ')
      INTO creators
      FROM pg_catalog.pg_namespace n
     CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
      LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
     WHERE n.oid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
       AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE' AND NOT coalesce(r.rolsuper, false);
    IF creators IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('roles that are not superusers may create in schema %s: %s', '@extschema@', creators),
            DETAIL = 'They could put look-alikes of capa''s objects beside them.',
            HINT = pg_catalog.format('REVOKE CREATE ON SCHEMA %s FROM %s;', '@extschema@', creators);
    END IF;
END
$schema$;

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
