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
-- capa.broken_link is read by whoever audits the links (a DBA, a
-- superuser) without naming the tables they point into: an editor chose
-- them.  0.2.0 compared x.<key>::text with the stored key with the
-- reader's privileges, so a cast, input function, domain check, policy or
-- index predicate the table's owner defined ran as the reader (a
-- superuser reading the view could be made to grant the owner anything).
-- Now each table is checked by capa_link_check() (src/link_check.c): the
-- reader's SELECT privilege and row-level security are judged first,
-- without running the owner's code; the rows are then looked up as the
-- table's owner under SECURITY_RESTRICTED_OPERATION (src/restricted.c),
-- the key read by its type's input function and compared with the primary
-- key index's equality, each key in a subtransaction that is rolled back;
-- an error the owner's code raises reports that key as "not checked:
-- <message>" instead of failing the view for everyone.
CREATE FUNCTION @extschema@.capa_link_check(target regclass)
    RETURNS TABLE (key text, problem text)
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_link_check(regclass) IS
    'the active links into target (as the caller sees capa.link) that are broken or not checked: row gone, table dropped, primary key changed, not checked: <why>; rows looked up as the table''s owner, restricted, after the caller''s SELECT privilege was checked';

CREATE OR REPLACE FUNCTION @extschema@.capa_broken_links()
    RETURNS TABLE (link_id bigint, capa_id @extschema@.capa_ref, target_name text, key text, problem text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $broken$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT DISTINCT l.target FROM @extschema@.link l WHERE l.unlinked_at IS NULL LOOP
        RETURN QUERY
            SELECT l.id, l.capa_id, l.target_name, l.key, c.problem
              FROM @extschema@.link l
              JOIN @extschema@.capa_link_check(t.target) c ON c.key OPERATOR(pg_catalog.=) l.key
             WHERE l.target OPERATOR(pg_catalog.=) t.target AND l.unlinked_at IS NULL;
    END LOOP;
END
$broken$;
COMMENT ON FUNCTION @extschema@.capa_broken_links() IS
    'active links whose target row or table has gone; tables the caller cannot read (or that row-level security restricts for the caller) are reported as not checked; rows are looked up as each table''s owner, restricted (capa_link_check)';

REVOKE ALL ON FUNCTION @extschema@.capa_link_check(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.capa_link_check(regclass) TO capa_reader;

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
-- (section kept for the intake work)

-- end of [intake]
--
--
--
-- [units] row-level security, segregation of duties, events, digest locks
--
-- (section kept for the org-unit / identity work)

-- end of [units]
