-- Audit rows: exactly one per change, in the same transaction; none for a
-- rolled-back change; append-only for everyone.
\set SHOW_CONTEXT never
SELECT count(*) AS audit_rows FROM capa.audit \gset

-- one row per change, with who, from where and when
BEGIN;
SET LOCAL ROLE regress_alice;
SET LOCAL capa.app_user = 'alice@example.com';
SET LOCAL application_name = 'grc-portal';
SELECT capa.capa_open('Audit probe', 'd', 'minor', 'other') AS id \gset
SELECT capa.capa_contain(:'id', 'c', 'c');
COMMIT;
SELECT count(*) - :audit_rows AS new_rows FROM capa.audit;
SELECT chain_seq, step, from_state, to_state, actor, session_actor, app_user, application_name,
       xid IS NOT NULL AS has_xid, at IS NOT NULL AS has_time
  FROM capa.audit WHERE capa_id = :'id' ORDER BY seq;
-- both steps were one transaction
SELECT count(DISTINCT xid) AS transactions FROM capa.audit WHERE capa_id = :'id';
SELECT untimed(changed) FROM capa.audit WHERE capa_id = :'id' AND step = 'contain';

-- the actor is the role at the time of the call: SET ROLE is honoured
SET ROLE regress_dave;
SELECT capa.capa_cancel(:'id', 'probe done');
RESET ROLE;
SELECT actor, session_actor FROM capa.audit WHERE capa_id = :'id' AND step = 'cancel';

-- a rolled-back change leaves no audit row (nor a record)
SELECT count(*) AS audit_rows FROM capa.audit \gset
BEGIN;
SELECT capa.capa_open('Rolled back', 'd', 'minor', 'other') AS rb \gset
ROLLBACK;
SELECT count(*) - :audit_rows AS new_rows,
       (SELECT count(*) FROM capa.register WHERE id = :'rb') AS records
  FROM capa.audit;
-- a failed step inside a transaction leaves nothing either
BEGIN;
SELECT capa.capa_open('Half done', 'd', 'minor', 'other') AS hd \gset
SAVEPOINT s;
SELECT capa.capa_close(:'hd', 'x');
ROLLBACK TO s;
COMMIT;
SELECT step FROM capa.audit WHERE capa_id = :'hd' ORDER BY seq;

-- an error from a capa function names no internal statement of capa's
\set SHOW_CONTEXT always
SELECT capa.capa_close(:'hd', 'x');
\set SHOW_CONTEXT never

-- values in "changed" do not depend on the session's settings
SET TimeZone = 'America/New_York';
SET DateStyle = 'SQL, DMY';
SELECT capa.capa_open('Settings probe', 'd', 'minor', 'other', close_due => '2030-06-01 12:00:00+00') AS sp \gset
SELECT changed->>'close_due' AS close_due FROM capa.audit WHERE capa_id = :'sp';
RESET TimeZone;
RESET DateStyle;

-- append-only: refused for the owner and superuser, with triggers replica
UPDATE capa.audit SET actor = 'nobody' WHERE capa_id = :'id';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM capa.audit WHERE capa_id = :'id';
\echo :LAST_ERROR_SQLSTATE
TRUNCATE capa.audit;
\echo :LAST_ERROR_SQLSTATE
SET session_replication_role = replica;
DELETE FROM capa.audit WHERE capa_id = :'id';
\echo :LAST_ERROR_SQLSTATE
TRUNCATE capa.audit;
RESET session_replication_role;
SELECT count(*) AS still_there FROM capa.audit WHERE capa_id = :'id';
-- privileges say the same: no role holds UPDATE, DELETE or TRUNCATE
SELECT count(*) AS writers
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.oid = 'capa.audit'::regclass AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE');
-- the refusing triggers fire always; the lifecycle trigger does not (a
-- logical-replication subscriber must not write audit rows of its own)
SELECT tgrelid::regclass, tgname, tgenabled FROM pg_trigger
 WHERE tgrelid IN ('capa.register'::regclass, 'capa.action'::regclass, 'capa.audit'::regclass)
   AND NOT tgisinternal ORDER BY 1, 2;
