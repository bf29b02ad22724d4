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
-- (section kept for the intake work)

-- end of [intake]
--
--
--
-- [units] row-level security, segregation of duties, events, digest locks
--
-- Most of this section's work is in C (docs/security.md, classes c and e):
--  - segregation of duties judges the effective role, the session's login
--    role and the capa.app_user claim (src/segregation.c);
--  - under row-level security by org unit, every entry point answers
--    another unit's record or action item exactly as a missing one, before
--    any check that reads its content (src/register_trigger.c,
--    src/action_trigger.c, src/org_unit.c); capa_audit_verify(record =>)
--    checks one record's chains for whoever may see it, so capa_dossier()
--    and capa_conformance() work under row-level security (src/verify.c);
--  - capa.events is off | reference | full, reference by default: a
--    message names the record and the event only (src/events.c);
--  - capa_digest() waits for the audit writers in flight without holding
--    any back, and takes no lock a caller could keep (src/digest.c).
-- What the catalog needs: the digest of a review snapshot holds audit
-- writers back while the snapshot's KPIs are read, and gives them back at
-- the end of the INSERT, here.
CREATE FUNCTION @extschema@.capa_digest_release() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_digest_release() IS
    'AFTER INSERT statement trigger of capa.review_snapshot: gives back the SHARE lock on capa.audit that the snapshots'' digests took, so no writer waits for the snapshot''s transaction to end';
CREATE TRIGGER capa_digest_release AFTER INSERT ON @extschema@.review_snapshot
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_digest_release();
REVOKE ALL ON FUNCTION @extschema@.capa_digest_release() FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.capa_digest() IS
    'capa-digest:v1:<max seq>:<chains>:<sha256 over every chain head>: keep it outside the database; waits for the audit writers in flight (holding none back) and covers exactly the rows committed before it';
COMMENT ON FUNCTION @extschema@.capa_audit_verify(text, @extschema@.capa_ref) IS
    're-checks every audit chain (or one record''s: for whoever may see the record, also under row-level security by org unit) and every register and action row against it, and given an earlier capa_digest() that the rows it covered are unchanged; one row per problem, none when intact';

-- end of [units]
