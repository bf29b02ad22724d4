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

-- [replication] the KPI rollup can be published for logical replication
-- (README: Replicas).  The triggers update capa.kpi_rollup and
-- capa.kpi_close_days in place (and capa_kpi_compact deletes from them); a
-- table in a publication that publishes UPDATE or DELETE needs a replica
-- identity, or every such statement on the primary fails with 55000
-- ("cannot update table ... does not have a replica identity and
-- publishes updates"), and with it every lifecycle step.  Their unique keys
-- cannot be the identity (org_unit is nullable, NULLS NOT DISTINCT), so the
-- whole old row is.  A catalog change only: no row is rewritten.
ALTER TABLE @extschema@.kpi_rollup REPLICA IDENTITY FULL;
ALTER TABLE @extschema@.kpi_close_days REPLICA IDENTITY FULL;

-- [privileges] revoke from PUBLIC whatever this version adds
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
