-- capa install script, part 90: row-level security by organisational
-- unit: who sees which unit, the policies on every table that holds a
-- unit's rows, and the switch that turns them on.

--
-- Row-level security by org unit: optional and off by default;
-- capa_rls_enable() switches it on.  A record belongs to its org_unit; a
-- role reads (policies below) and acts (the triggers, src/integration/org_unit.c) on
-- the records of the units capa.org_unit_access grants to a role it is a
-- member of, and on records without a unit.  capa_admin members,
-- superusers and BYPASSRLS roles see every unit.  The KPI views run with
-- the caller's privileges, so their rollup rows (kept per org unit) follow
-- the same policies.
-- Roles are kept by OID (regrole): a renamed role keeps its units, and a
-- dropped role's grants do not pass to a later role of the same name.
CREATE TABLE @extschema@.org_unit_access (
    role_name   pg_catalog.regrole NOT NULL,
    org_unit    text NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    granted_by  name NOT NULL DEFAULT CURRENT_USER,
    PRIMARY KEY (role_name, org_unit)
);
COMMENT ON TABLE @extschema@.org_unit_access IS
    'which roles (and their members) read and act on the records of an org unit, once capa_rls_enable() has switched row-level security on';
-- Only grants to roles that still exist are dumped: a dropped role's grant
-- holds a bare OID, which a restore into another cluster (pg_dumpall) would
-- read back as whichever role has that OID there.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.org_unit_access',
    'WHERE EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) role_name::pg_catalog.oid)');

-- Evaluated once per query (as a scalar subquery in the policies): the
-- caller's units, and whether it sees them all
CREATE FUNCTION @extschema@.capa_org_units_visible() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $units$
    SELECT COALESCE(pg_catalog.array_agg(DISTINCT a.org_unit), '{}')
    FROM @extschema@.org_unit_access a
    JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.role_name::pg_catalog.oid
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
           OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) capa_id));
CREATE POLICY capa_org_unit ON @extschema@.link FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all())
           OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) capa_id));
CREATE POLICY capa_org_unit ON @extschema@.escalation FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all())
           OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) capa_id));
-- [attach] an attachment follows its record
CREATE POLICY capa_org_unit ON @extschema@.attachment FOR SELECT
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

-- Write policies: a DBA may grant UPDATE (or INSERT) on the register or the
-- action items to a role (the README's edits of title, owner, due dates);
-- under row-level security that role writes the records of its units, as
-- it reads them, and finds no row of another unit, as for a missing one.
-- The triggers still judge every change.
CREATE POLICY capa_org_unit_insert ON @extschema@.register FOR INSERT
    WITH CHECK (org_unit IS NULL OR (SELECT @extschema@.capa_org_units_all())
                OR org_unit OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.capa_org_units_visible())::text[]));
CREATE POLICY capa_org_unit_update ON @extschema@.register FOR UPDATE
    USING (org_unit IS NULL OR (SELECT @extschema@.capa_org_units_all())
           OR org_unit OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.capa_org_units_visible())::text[]));
CREATE POLICY capa_org_unit_insert ON @extschema@.action FOR INSERT
    WITH CHECK ((SELECT @extschema@.capa_org_units_all())
                OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) capa_id));
CREATE POLICY capa_org_unit_update ON @extschema@.action FOR UPDATE
    USING ((SELECT @extschema@.capa_org_units_all())
           OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) capa_id));
-- review snapshots: capa_admin (who sees every unit) inserts them
CREATE POLICY capa_org_unit_insert ON @extschema@.review_snapshot FOR INSERT
    WITH CHECK ((SELECT @extschema@.capa_org_units_all()));

-- The intakes' configuration and failures name other units' rows (a
-- failure keeps the row's key and the error, which quotes its values):
-- under row-level security, for those who see every unit only
CREATE POLICY capa_org_unit ON @extschema@.intake_failure FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all()));
CREATE POLICY capa_org_unit ON @extschema@.intake_config FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all()));

-- The tables the switch covers, in one place
CREATE FUNCTION @extschema@.capa_rls_tables() RETURNS regclass[]
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $tables$
    SELECT ARRAY['@extschema@.register', '@extschema@.action', '@extschema@.audit', '@extschema@.link',
                 '@extschema@.escalation',
                 '@extschema@.kpi_rollup', '@extschema@.kpi_close_days', '@extschema@.kpi_action_due',
                 '@extschema@.review_snapshot', '@extschema@.intake_config', '@extschema@.intake_failure',
                 '@extschema@.attachment']::regclass[]
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

GRANT SELECT ON @extschema@.org_unit_access TO capa_reader;
GRANT INSERT (role_name, org_unit), DELETE ON @extschema@.org_unit_access TO capa_admin;
GRANT EXECUTE ON FUNCTION @extschema@.capa_org_units_visible(), @extschema@.capa_org_units_all(),
    @extschema@.capa_rls_tables() TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_rls_enable(), @extschema@.capa_rls_disable() TO capa_admin;
