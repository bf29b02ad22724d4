-- capa_audit_verify: an untouched trail verifies with no rows; every way a
-- superuser can tamper is reported, one row per problem.
\set SHOW_CONTEXT never
SELECT count(*) AS problems FROM capa.capa_audit_verify();

-- six fresh records, each walked a few steps, labelled for the output
CREATE TEMP TABLE victim (label text, id capa.capa_ref);
INSERT INTO victim
SELECT l, capa.capa_open('Victim ' || l, 'd', 'minor', 'other', owner => 'regress_alice')
  FROM unnest(ARRAY['A', 'B', 'C', 'D', 'E', 'F']) l;
SELECT count(*) FROM (SELECT capa.capa_contain(id, 'c', 'c'), capa.capa_analyse(id, 'r', '5whys', 'e', why_chain => ARRAY['a', 'b', 'c', 'd'])
                        FROM victim) s;
SELECT capa.capa_add_action(id, 'a', 'o', current_date) AS f_action FROM victim WHERE label = 'F' \gset
SELECT count(*) AS problems FROM capa.capa_audit_verify();

-- a digest, to keep outside the database; recorded in capa.digest too
SELECT capa.capa_digest() AS digest \gset
SELECT :'digest' ~ '^capa-digest:v1:[0-9]+:[0-9]+:[0-9a-f]{64}$' AS well_formed,
       (SELECT digest FROM capa.digest ORDER BY id DESC LIMIT 1) = :'digest' AS recorded;
-- later, legitimate changes do not disturb it: it covers rows up to its seq
SELECT capa.capa_plan(id) IS NULL FROM victim WHERE label = 'F';
SELECT count(*) AS problems FROM capa.capa_audit_verify(digest => :'digest');
SELECT capa.capa_audit_verify(digest => 'capa-digest:v2:1:1:00');
\echo :LAST_ERROR_SQLSTATE
SELECT try(format('SELECT capa.capa_audit_verify(digest => %L)', d)) AS refused
  FROM unnest(ARRAY['capa-digest:v1: +5:1:' || repeat('0', 64),
                    'capa-digest:v1:99999999999999999999999:1:' || repeat('0', 64),
                    'capa-digest:v1:5:1:' || repeat('0', 63) || 'G']) d;
-- no digest over rows the same transaction wrote: they may roll back
BEGIN;
SELECT capa.capa_open('Uncommitted', 'd', 'minor', 'other') IS NOT NULL AS opened;
SELECT capa.capa_digest();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
UPDATE capa.digest SET digest = 'x';
\echo :LAST_ERROR_SQLSTATE

BEGIN;
ALTER TABLE capa.audit DISABLE TRIGGER capa_append_only;
-- A: an audit row's content edited
UPDATE capa.audit SET actor = 'mallory'
 WHERE capa_id = (SELECT id FROM victim WHERE label = 'A') AND chain_seq = 2;
-- B: an audit row in the middle of a chain removed
DELETE FROM capa.audit
 WHERE capa_id = (SELECT id FROM victim WHERE label = 'B') AND action_id IS NULL AND chain_seq = 2;
-- C: the last audit row removed (the trail cut short)
DELETE FROM capa.audit
 WHERE capa_id = (SELECT id FROM victim WHERE label = 'C') AND action_id IS NULL AND chain_seq = 3;
ALTER TABLE capa.audit ENABLE ALWAYS TRIGGER capa_append_only;
-- D: the register row changed with triggers off by session_replication_role
SET LOCAL session_replication_role = replica;
UPDATE capa.register SET root_cause = 'rewritten' WHERE id = (SELECT id FROM victim WHERE label = 'D');
-- B: an array reshaped, same elements: the row hash covers the shape
UPDATE capa.register SET why_chain = '{{a,b},{c,d}}' WHERE id = (SELECT id FROM victim WHERE label = 'B');
-- F: its action row deleted, and a register row inserted with no audit row
DELETE FROM capa.action WHERE id = :f_action;
INSERT INTO capa.register (id, title, description, severity, source, opened_at, opened_by,
                           updated_at, reopen_count, ineffective_count, chain_seq, chain_head)
VALUES (capa.capa_ref(2019, 1), 'forged', 'd', 'minor', 'other', now(), 'x', now(), 0, 0, 1, '\x00');
RESET session_replication_role;
-- E: the register row's state changed with its lifecycle trigger disabled
ALTER TABLE capa.register DISABLE TRIGGER capa_lifecycle;
UPDATE capa.register SET state = 'closed', chain_seq = chain_seq + 1 WHERE id = (SELECT id FROM victim WHERE label = 'E');
ALTER TABLE capa.register ENABLE TRIGGER capa_lifecycle;

SELECT coalesce(v.label, CASE WHEN f.capa_id IS NULL THEN '(all)' ELSE 'forged' END) AS record,
       f.problem, f.action_id IS NOT NULL AS on_action, f.detail
  FROM capa.capa_audit_verify(digest => :'digest') f LEFT JOIN victim v ON v.id = f.capa_id
 ORDER BY 1, 2;
-- limited to one record
SELECT problem FROM capa.capa_audit_verify(record => (SELECT id FROM victim WHERE label = 'B')) ORDER BY 1;
-- with a digest too: the digest is checked over the whole trail, the rows of that record only
SELECT problem FROM capa.capa_audit_verify(digest => :'digest', record => (SELECT id FROM victim WHERE label = 'B')) ORDER BY 1;
SELECT count(*) FROM capa.capa_audit_verify(digest => :'digest', record => capa.capa_ref(2001, 5));
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- all undone: intact again
SELECT count(*) AS problems FROM capa.capa_audit_verify();

-- a digest needs READ COMMITTED: an older snapshot would miss rows
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT capa.capa_digest();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- a record whose register row and whole trail are gone, its action item left:
-- the item is reported, also when verifying that record alone
SELECT capa.capa_open('Victim G', 'd', 'minor', 'other') AS g \gset
SELECT capa.capa_contain(:'g', 'c', 'c'), capa.capa_analyse(:'g', 'r', '5whys', 'e');
SELECT capa.capa_add_action(:'g', 'a', 'o', current_date) IS NOT NULL AS added;
BEGIN;
ALTER TABLE capa.audit DISABLE TRIGGER capa_append_only;
DELETE FROM capa.audit WHERE capa_id = :'g';
ALTER TABLE capa.audit ENABLE ALWAYS TRIGGER capa_append_only;
SET LOCAL session_replication_role = replica;
DELETE FROM capa.register WHERE id = :'g';
RESET session_replication_role;
SELECT problem, action_id IS NOT NULL AS on_action FROM capa.capa_audit_verify(record => :'g') ORDER BY 1;
ROLLBACK;

-- a column of the trail altered to another type: refused as corrupted, no crash
BEGIN;
ALTER TABLE capa.audit ALTER step TYPE int USING 0;
SELECT count(*) FROM capa.capa_audit_verify();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT count(*) AS problems FROM capa.capa_audit_verify();
