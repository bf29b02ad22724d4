-- capa 0.1.0 -> 0.2.0: fitting into an existing GRC database (intake,
-- escalation, row-level security by org unit).  CREATE EXTENSION capa runs
-- capa--0.1.0.sql and then this script; ALTER EXTENSION capa UPDATE runs
-- this script on a database that has 0.1.0 and its data.
--
-- Rules for this file: every object schema-qualified (@extschema@ and
-- OPERATOR(pg_catalog.=) as in capa--0.1.0.sql), nothing granted to PUBLIC,
-- new tables registered with pg_extension_config_dump, and no statement
-- that rewrites or re-hashes existing rows: the audit chain of a 0.1.0
-- database must verify unchanged after the update.
\echo Use "ALTER EXTENSION capa UPDATE TO '0.2.0'" to load this file. \quit

-- [intake] capa_intake(), capa_intake_drop()

-- [escalation] capa_escalate()

-- [rls] row-level security by organisational unit
--
-- Optional and off by default: capa_rls_enable() switches it on.  A record
-- belongs to its org_unit; a role reads (policies below) and acts (the
-- triggers, src/org_unit.c) on the records of the units capa.org_unit_access
-- grants to a role it is a member of, and on records without a unit.
-- capa_admin members, superusers and BYPASSRLS roles see every unit.  The
-- KPI views run with the caller's privileges, so their rollup rows (kept
-- per org unit) follow the same policies.
CREATE TABLE @extschema@.org_unit_access (
    role_name   name NOT NULL,
    org_unit    text NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    granted_by  name NOT NULL DEFAULT CURRENT_USER,
    PRIMARY KEY (role_name, org_unit)
);
COMMENT ON TABLE @extschema@.org_unit_access IS
    'which roles (and their members) read and act on the records of an org unit, once capa_rls_enable() has switched row-level security on';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.org_unit_access', '');

-- Evaluated once per query (as a scalar subquery in the policies): the
-- caller's units, and whether it sees them all
CREATE FUNCTION @extschema@.capa_org_units_visible() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $units$
    SELECT COALESCE(pg_catalog.array_agg(DISTINCT a.org_unit), '{}')
    FROM @extschema@.org_unit_access a
    JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) a.role_name
    WHERE pg_catalog.pg_has_role(r.oid, 'MEMBER')
$units$;
COMMENT ON FUNCTION @extschema@.capa_org_units_visible() IS
    'the org units the current role reads and acts on (capa.org_unit_access, through role membership)';
CREATE FUNCTION @extschema@.capa_org_units_all() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $all$
    SELECT pg_catalog.pg_has_role('capa_admin', 'MEMBER')
        OR (SELECT r.rolbypassrls OR r.rolsuper FROM pg_catalog.pg_roles r
            WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
$all$;
COMMENT ON FUNCTION @extschema@.capa_org_units_all() IS
    'true if the current role sees every org unit: capa_admin members, superusers, BYPASSRLS roles';

CREATE POLICY capa_org_unit ON @extschema@.register FOR SELECT
    USING (org_unit IS NULL OR (SELECT @extschema@.capa_org_units_all())
           OR org_unit OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.capa_org_units_visible())::text[]));
-- the rows of a record follow its record
CREATE POLICY capa_org_unit ON @extschema@.action FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all())
           OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) capa_id));
CREATE POLICY capa_org_unit ON @extschema@.audit FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all())
           OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) record_id));
CREATE POLICY capa_org_unit ON @extschema@.link FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all())
           OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) capa_id));
-- the KPI rollup is kept per org unit
CREATE POLICY capa_org_unit ON @extschema@.kpi_rollup FOR SELECT
    USING (org_unit IS NULL OR (SELECT @extschema@.capa_org_units_all())
           OR org_unit OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.capa_org_units_visible())::text[]));
CREATE POLICY capa_org_unit ON @extschema@.kpi_close_days FOR SELECT
    USING (org_unit IS NULL OR (SELECT @extschema@.capa_org_units_all())
           OR org_unit OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.capa_org_units_visible())::text[]));
CREATE POLICY capa_org_unit ON @extschema@.kpi_action_due FOR SELECT
    USING (org_unit IS NULL OR (SELECT @extschema@.capa_org_units_all())
           OR org_unit OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.capa_org_units_visible())::text[]));
-- review snapshots hold the open items of every unit: for those who see all
CREATE POLICY capa_org_unit ON @extschema@.review_snapshot FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all()));

-- The tables the switch covers, in one place
CREATE FUNCTION @extschema@.capa_rls_tables() RETURNS regclass[]
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $tables$
    SELECT ARRAY['@extschema@.register', '@extschema@.action', '@extschema@.audit', '@extschema@.link',
                 '@extschema@.kpi_rollup', '@extschema@.kpi_close_days', '@extschema@.kpi_action_due',
                 '@extschema@.review_snapshot']::regclass[]
$tables$;

CREATE FUNCTION @extschema@.capa_rls_enable() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $enable$
DECLARE
    t regclass;
BEGIN
    FOREACH t IN ARRAY @extschema@.capa_rls_tables() LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$enable$;
COMMENT ON FUNCTION @extschema@.capa_rls_enable() IS
    'switches row-level security by org unit on: roles read and act only on the records of the units capa.org_unit_access grants them (and of no unit)';
CREATE FUNCTION @extschema@.capa_rls_disable() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $disable$
DECLARE
    t regclass;
BEGIN
    FOREACH t IN ARRAY @extschema@.capa_rls_tables() LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$disable$;
COMMENT ON FUNCTION @extschema@.capa_rls_disable() IS 'switches row-level security by org unit off again';

REVOKE ALL ON FUNCTION @extschema@.capa_rls_enable(), @extschema@.capa_rls_disable(),
    @extschema@.capa_rls_tables(), @extschema@.capa_org_units_visible(),
    @extschema@.capa_org_units_all() FROM PUBLIC;
GRANT SELECT ON @extschema@.org_unit_access TO capa_reader;
GRANT INSERT (role_name, org_unit), DELETE ON @extschema@.org_unit_access TO capa_admin;
GRANT EXECUTE ON FUNCTION @extschema@.capa_org_units_visible(), @extschema@.capa_org_units_all(),
    @extschema@.capa_rls_tables() TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_rls_enable(), @extschema@.capa_rls_disable() TO capa_admin;

-- [replication] the KPI rollup can be published for logical replication
-- (README: Replicas).  The triggers update capa.kpi_rollup,
-- capa.kpi_close_days and capa.kpi_action_due in place (and
-- capa_kpi_compact and capa_kpi_rebuild delete from them); a table in a
-- publication that publishes UPDATE or DELETE needs a replica identity, or
-- every such statement on the primary fails with 55000 ("cannot update
-- table ... does not have a replica identity and publishes updates"), and
-- with it every lifecycle step.  Their unique keys cannot be the identity
-- (org_unit is nullable, NULLS NOT DISTINCT), so the whole old row is.  A
-- catalog change only: no row is rewritten.
ALTER TABLE @extschema@.kpi_rollup REPLICA IDENTITY FULL;
ALTER TABLE @extschema@.kpi_close_days REPLICA IDENTITY FULL;
ALTER TABLE @extschema@.kpi_action_due REPLICA IDENTITY FULL;

-- [privileges] revoke from PUBLIC whatever this version adds
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
