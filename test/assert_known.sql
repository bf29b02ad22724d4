-- A known assertion of PostgreSQL itself, without capa: a deferred
-- constraint trigger that catches an error in an exception block at COMMIT
-- rolls back a subtransaction while its parent is in the COMMIT state, and a
-- server built with --enable-cassert stops on the assertion in
-- RollbackAndReleaseCurrentSubTransaction (src/backend/access/transam/
-- xact.c); a server without assertions commits correctly.  Seen on 15.18
-- and 18.6.  test/pgtap/43_hostile_reentry.sql skips its case that reaches
-- the same path through capa's commit-time KPI write when debug_assertions
-- is on.  Run by hand:  psql -f test/assert_known.sql  (on a cassert server
-- the backend is terminated at the COMMIT).
CREATE TEMP TABLE assert_known_t (x int);
CREATE FUNCTION pg_temp.assert_known_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        PERFORM 1 / 0;
    EXCEPTION WHEN division_by_zero THEN
        NULL;
    END;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER assert_known AFTER INSERT ON assert_known_t
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pg_temp.assert_known_trg();
BEGIN;
INSERT INTO assert_known_t VALUES (1);
COMMIT;
SELECT count(*) AS committed FROM assert_known_t;
