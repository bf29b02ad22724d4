-- capa 0.2.0 -> 0.3.0 (in development): closing the trust holes a hostile
-- holder of capa's roles found (docs/security.md states the threat model
-- and the rules each section below keeps).  CREATE EXTENSION capa runs
-- capa--0.1.0.sql, capa--0.1.0--0.2.0.sql and then this script; ALTER
-- EXTENSION capa UPDATE runs this script on a database that has 0.2.0 and
-- its data.
--
-- Rules for this file: as in capa--0.1.0--0.2.0.sql (every object
-- schema-qualified, nothing granted to PUBLIC, new tables registered with
-- pg_extension_config_dump, no statement that rewrites or re-hashes
-- existing rows).
\echo Use "ALTER EXTENSION capa UPDATE TO '0.3.0'" to load this file. \quit

-- [links] target rows looked up as the table's owner, restricted
--
-- (section kept for the links and report work; statements go between this
-- header and the next section's header)

-- end of [links]
--
--
--
-- [report] non-finite timestamps, Unicode blanks, XML non-characters
--
-- (section kept for the report and data-hardening work)

-- end of [report]
--
--
--
-- [intake] re-entrancy and bounded conditions
--
-- No SQL object changes: the fixes are in C.  src/intake_cache.c: no bound
-- intake is freed while a trigger call that may use it is on the stack.
-- src/intake_condition.c, src/intake_mapping.c: a condition has at most
-- 1,000 predicates, 1,000 constants and 100 levels of parentheses and NOT,
-- a map at most 1,000 entries (54000 beyond, when the intake is made).  A
-- condition a 0.2.0 database stores beyond those limits is left as it is:
-- the trigger refuses it at each insert with 54000, which on_error 'log'
-- keeps in capa.intake_failure (README, capa_intake); set such an intake up
-- again with a smaller condition.

-- end of [intake]
--
--
--
-- [units] row-level security, segregation of duties, events, digest locks
--
-- (section kept for the org-unit / identity work)

-- end of [units]
