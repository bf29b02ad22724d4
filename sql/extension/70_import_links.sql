-- capa install script, part 70: import of an existing register, and links
-- from records to rows of the user's own tables (controls, risks, assets),
-- with the broken links and the Pareto of linked rows.

-- Import of an existing register (src/integration/import_load.c): capa_admin only
CREATE FUNCTION @extschema@.capa_import(source regclass)
    RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_import(regclass) IS
    'imports the records (and their action items) of a table or view whose columns are named like the register''s, with their history; each is judged against its kind''s path and audited as step import; all or nothing; returns the number of records';
GRANT EXECUTE ON FUNCTION @extschema@.capa_import(regclass) TO capa_admin;

--
-- Links from a record to rows of the user's own tables (controls, risks,
-- assets, audits) by primary key: src/integration/link.c.  The target is kept by OID
-- (regclass), so a renamed table keeps its links, and by its qualified
-- name at link time, for display after it is dropped.  An unlink keeps
-- the row (unlinked_at, unlinked_by): the history stays.
--
CREATE TABLE @extschema@.link (
    id              bigserial PRIMARY KEY,
    capa_id         @extschema@.capa_ref NOT NULL REFERENCES @extschema@.register (id),
    target          regclass NOT NULL,
    target_name     text NOT NULL,
    key             text NOT NULL,
    linked_at       timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    linked_by       name NOT NULL,
    unlinked_at     timestamptz,
    unlinked_by     name
);
COMMENT ON TABLE @extschema@.link IS
    'links from records to rows of other tables by primary key, made with capa_link() (checked with the caller''s privileges) and ended with capa_unlink()';
CREATE UNIQUE INDEX link_active_idx ON @extschema@.link (capa_id, target, key) WHERE unlinked_at IS NULL;
CREATE INDEX link_target_idx ON @extschema@.link (target, key);

CREATE FUNCTION @extschema@.capa_link(id @extschema@.capa_ref, target regclass, key text) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_link(@extschema@.capa_ref, regclass, text) IS
    'links a record to the row of target whose one-column primary key is key; the row must exist and be visible to the caller; returns the link id (an existing link is kept)';
CREATE FUNCTION @extschema@.capa_unlink(id @extschema@.capa_ref, target regclass, key text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_unlink(@extschema@.capa_ref, regclass, text) IS
    'ends a link (the row stays, with who ended it and when); false if there was none';

-- Broken links: each target table is checked by capa_link_check()
-- (src/integration/link_check.c).  capa.broken_link is read by whoever audits the
-- links (a DBA, a superuser) without naming the tables they point into: an
-- editor chose them.  Comparing x.<key>::text with the stored key with the
-- reader's privileges would run a cast, input function, domain check,
-- policy or index predicate the table's owner defined as the reader (a
-- superuser reading the view could be made to grant the owner anything).
-- So the reader's SELECT privilege and row-level security are judged
-- first, without running the owner's code; the rows are then looked up as
-- the table's owner under SECURITY_RESTRICTED_OPERATION (src/common/restricted.c),
-- the key read by its type's input function and compared with the primary
-- key index's equality, each key in a subtransaction that is rolled back;
-- an error the owner's code raises reports that key as "not checked:
-- <message>" instead of failing the view for everyone.
CREATE FUNCTION @extschema@.capa_link_check(target regclass)
    RETURNS TABLE (key text, problem text)
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_link_check(regclass) IS
    'the active links into target (as the caller sees capa.link) that are broken or not checked: row gone, table dropped, primary key changed, not checked: <why>; rows looked up as the table''s owner, restricted, after the caller''s SELECT privilege was checked';

CREATE FUNCTION @extschema@.capa_broken_links()
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

CREATE VIEW @extschema@.broken_link WITH (security_invoker = true) AS
    SELECT b.link_id, b.capa_id, b.target_name, b.key, b.problem FROM @extschema@.capa_broken_links() b;
COMMENT ON VIEW @extschema@.broken_link IS 'active links whose target row or table has gone';

-- The Pareto of linked rows (controls, and whatever else records link to)
CREATE VIEW @extschema@.kpi_by_control WITH (security_invoker = true) AS
SELECT l.target_name AS control_table, l.key AS control_key,
       pg_catalog.count(*) AS records,
       pg_catalog.count(*) FILTER (WHERE k.is_open) AS open,
       pg_catalog.count(*) FILTER (WHERE k.is_overdue) AS overdue,
       pg_catalog.count(*) FILTER (WHERE k.is_closed) AS closed,
       pg_catalog.count(*) FILTER (WHERE k.is_cancelled) AS cancelled,
       pg_catalog.round(pg_catalog.avg(k.days_to_close), 1) AS mean_days_to_close,
       pg_catalog.round(pg_catalog.avg(CASE WHEN k.closed_on_time THEN 1 WHEN NOT k.closed_on_time THEN 0 END), 4) AS on_time_rate,
       pg_catalog.round(pg_catalog.count(*) OPERATOR(pg_catalog./) (pg_catalog.sum(pg_catalog.count(*)) OVER ()), 4) AS share,
       pg_catalog.round(pg_catalog.sum(pg_catalog.count(*)) OVER (ORDER BY pg_catalog.count(*) DESC, l.target_name, l.key ROWS UNBOUNDED PRECEDING)
                        OPERATOR(pg_catalog./) (pg_catalog.sum(pg_catalog.count(*)) OVER ()), 4) AS cumulative_share
FROM @extschema@.link l
JOIN @extschema@.kpi_record k ON k.id OPERATOR(@extschema@.=) l.capa_id
WHERE l.unlinked_at IS NULL
GROUP BY l.target_name, l.key
ORDER BY records DESC, l.target_name, l.key;
COMMENT ON VIEW @extschema@.kpi_by_control IS
    'records by linked row (capa_link): open, overdue, closed, cancelled, mean days to close, on-time rate, share and cumulative share (Pareto, largest first)';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.link', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.link_id_seq', '');

GRANT SELECT ON @extschema@.link, @extschema@.broken_link, @extschema@.kpi_by_control TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_broken_links(), @extschema@.capa_link_check(regclass) TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_link(@extschema@.capa_ref, regclass, text),
    @extschema@.capa_unlink(@extschema@.capa_ref, regclass, text) TO capa_editor;
