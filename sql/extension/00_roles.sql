-- capa install script, part 00: the group roles and the schema's privileges.
-- The Makefile joins the parts NN_*.sql of this folder, in the order it
-- lists, into the install script capa--<default_version>.sql.
\echo Use "CREATE EXTENSION capa" to load this file. \quit
--
-- The schema.  CREATE EXTENSION makes schema capa, owned by the superuser
-- who installs; but a schema of that name made before (by the database's
-- owner, or any role with CREATE on the database) is taken as it is, with
-- whatever is in it: its owner could rename it and put look-alikes in its
-- place, or drop the extension with it, and what it holds (a function of a
-- capa name with other argument types, say) would be called by whoever
-- calls capa.  So the schema capa lives in must be a superuser's, only
-- superusers may create in it, and nothing but capa may be in it
-- (docs/security.md).
--
DO $schema$
DECLARE
    drop_it     CONSTANT text := 'Drop the schema as a superuser (DROP SCHEMA ... CASCADE, after looking at what is in it), then CREATE EXTENSION capa, which makes it anew.';
    owner_name  name;
    creators    text;
    strangers   text;
BEGIN
    SELECT o.rolname INTO owner_name
      FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE n.oid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace AND NOT o.rolsuper;
    IF owner_name IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('schema %s is owned by %s, who is not a superuser', '@extschema@', owner_name),
            DETAIL = 'Its owner could replace or drop what capa puts in it, and what it holds would be called by capa''s callers.',
            HINT = drop_it;
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
            HINT = drop_it;
    END IF;
    -- what is in the schema and not capa's (the extension itself aside)
    SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', '
                                 ORDER BY d.classid, d.objid)
      INTO strangers
      FROM pg_catalog.pg_depend d
     WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
       AND d.refobjid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
       AND d.deptype OPERATOR(pg_catalog.=) 'n'
       AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_extension'::pg_catalog.regclass
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e JOIN pg_catalog.pg_extension x
                                ON x.oid OPERATOR(pg_catalog.=) e.refobjid
                        WHERE e.classid OPERATOR(pg_catalog.=) d.classid
                          AND e.objid OPERATOR(pg_catalog.=) d.objid
                          AND e.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                          AND e.deptype OPERATOR(pg_catalog.=) 'e'
                          AND x.extname OPERATOR(pg_catalog.=) 'capa');
    IF strangers IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('schema %s holds objects that are not capa''s: %s', '@extschema@', strangers),
            DETAIL = 'capa''s callers would find them beside capa''s own.',
            HINT = drop_it;
    END IF;
END
$schema$;

--
-- The installing superuser's default privileges (ALTER DEFAULT PRIVILEGES)
-- would be given on every table, sequence, function and type this script
-- makes, beside the grants below: a role capa never named could write the
-- register or call capa_admin's functions.  The install refuses them.
--
DO $defaults$
DECLARE
    defaults text;
BEGIN
    SELECT pg_catalog.string_agg(pg_catalog.format('%s %s', CASE a.defaclobjtype
               WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
               WHEN 'T' THEN 'types' ELSE a.defaclobjtype::text END, a.defaclacl), ', ')
      INTO defaults
      FROM pg_catalog.pg_default_acl a
     WHERE a.defaclrole OPERATOR(pg_catalog.=)
           (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
       AND a.defaclnamespace IN (0, '@extschema@'::pg_catalog.regnamespace)
       AND a.defaclobjtype OPERATOR(pg_catalog.<>) 'n';
    IF defaults IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('%s has default privileges that would be granted on capa''s objects: %s', CURRENT_USER, defaults),
            DETAIL = 'capa grants each of its roles what it needs, and nothing to anyone else.',
            HINT = 'Install as a superuser without default privileges, or take them away for the install (ALTER DEFAULT PRIVILEGES ... REVOKE ...) and give them back after.';
    END IF;
END
$defaults$;

--
-- Group roles.  Roles are cluster-wide: another database may have made them.
-- Nothing is ever granted to PUBLIC (99_public.sql revokes what PostgreSQL
-- grants it by default).
--
DO $roles$
DECLARE
    r       text;
    unfit   text;
BEGIN
    -- A group role of capa's made before, by a role that may create roles,
    -- must be a group: no login, no attribute, and no role but a superuser
    -- may grant it (16 and later give a CREATEROLE role ADMIN OPTION on the
    -- roles it creates): otherwise its maker would hold what capa grants it
    SELECT pg_catalog.string_agg(x.what, ', ' ORDER BY x.what) INTO unfit
      FROM (SELECT pg_catalog.format('%s can log in or has an attribute', g.rolname) AS what
              FROM pg_catalog.pg_roles g
             WHERE g.rolname OPERATOR(pg_catalog.=) ANY (ARRAY['capa_reader', 'capa_editor', 'capa_verifier', 'capa_admin'])
               AND (g.rolcanlogin OR g.rolsuper OR g.rolcreaterole OR g.rolcreatedb
                    OR g.rolreplication OR g.rolbypassrls)
            UNION ALL
            SELECT pg_catalog.format('%s may grant %s', pg_catalog.quote_ident(u.rolname), g.rolname)
              FROM pg_catalog.pg_auth_members m
              JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) m.roleid
              JOIN pg_catalog.pg_roles u ON u.oid OPERATOR(pg_catalog.=) m.member
             WHERE g.rolname OPERATOR(pg_catalog.=) ANY (ARRAY['capa_reader', 'capa_editor', 'capa_verifier', 'capa_admin'])
               AND m.admin_option AND NOT u.rolsuper) x;
    IF unfit IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('capa''s group roles exist already and are not fit for it: %s', unfit),
            DETAIL = 'capa grants its privileges to these roles; whoever can log in as one, or grant it, would hold them.',
            HINT = 'As a superuser: ALTER ROLE ... NOLOGIN NOCREATEROLE ... and REVOKE ADMIN OPTION FOR ... FROM ..., or drop the roles, then CREATE EXTENSION capa.';
    END IF;
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
