-- The rules hold for plain SQL as for the functions: the trigger is the one
-- place that enforces.  These statements run as a superuser.
\set SHOW_CONTEXT never
SELECT capa.capa_open('Firewall rule outdated', 'Rule 17 allows a retired subnet',
                      'critical', 'incident', owner => 'regress_alice') AS id \gset

-- a jump by plain UPDATE is refused, for a superuser too
UPDATE capa.register SET state = 'closed' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.register SET state = 'contained' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.register SET state = NULL WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
-- a plain UPDATE may take a step when it brings the evidence
UPDATE capa.register SET state = 'contained', containment = 'Rule disabled',
       consequences = 'Logs checked: no traffic matched' WHERE id = :'id';
SELECT state, contained_by FROM capa.register WHERE id = :'id';

-- evidence of another step cannot be written early, nor rewritten later
UPDATE capa.register SET isms_changes = 'Firewall standard v4' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.register SET containment = 'Something else' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.register SET state = 'analysed', root_cause = 'No review', rca_method = '5whys',
       extent_of_condition = 'All rules reviewed', isms_changes = 'early' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE

-- columns capa maintains cannot be written: 428C9
UPDATE capa.register SET contained_at = now() - interval '1 year' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.register SET opened_by = 'someone' WHERE id = :'id';
UPDATE capa.register SET reopen_count = 5 WHERE id = :'id';
UPDATE capa.register SET chain_seq = 1 WHERE id = :'id';
UPDATE capa.register SET kind = 'improvement' WHERE id = :'id';
UPDATE capa.register SET id = 'CAPA-2026-999999' WHERE id = :'id';
UPDATE capa.register SET state = 'analysed', root_cause = 'No review', rca_method = '5whys',
       extent_of_condition = 'All rules reviewed', analysed_at = '2020-01-01' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE

-- descriptive columns may be edited while the record is worked, with a
-- reason (capa.reason for a plain UPDATE), one kind of change per
-- statement, audited with the reason and the values replaced
UPDATE capa.register SET title = 'Firewall rule 17 outdated', severity = 'major' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
SET capa.reason = 'regress: the title and the severity were wrong';
UPDATE capa.register SET title = 'Firewall rule 17 outdated', severity = 'major' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.register SET title = 'Firewall rule 17 outdated' WHERE id = :'id';
UPDATE capa.register SET severity = 'major' WHERE id = :'id';
SELECT step, from_state, to_state, changed FROM capa.audit
 WHERE capa_id = :'id' ORDER BY seq DESC LIMIT 2;
UPDATE capa.register SET title = ' ' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.register SET owner = '' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
-- an UPDATE that changes nothing writes nothing, also for a long value
-- stored compressed and written back uncompressed
UPDATE capa.register SET description = repeat('Rule 17. ', 1000) WHERE id = :'id';
SELECT chain_seq AS before FROM capa.register WHERE id = :'id' \gset
UPDATE capa.register SET title = title WHERE id = :'id';
UPDATE capa.register SET description = repeat('Rule 17. ', 1000) WHERE id = :'id';
SELECT chain_seq = :before AS unchanged FROM capa.register WHERE id = :'id';
RESET capa.reason;

-- booleans with the wrong value
UPDATE capa.register SET state = 'analysed', root_cause = 'No review', rca_method = '5whys',
       extent_of_condition = 'All rules reviewed', action_required = true WHERE id = :'id';
UPDATE capa.register SET state = 'planned' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO capa.action (capa_id, description, owner, due) VALUES (:'id', 'Remove rule 17', 'regress_ops', current_date);
UPDATE capa.register SET state = 'closed', isms_changes = 'x' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
-- a step checks the analysis' decision; it cannot rewrite it on the way
UPDATE capa.register SET state = 'closed', isms_changes = 'x', action_required = false,
       no_action_justification = 'rewritten at close' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE

-- INSERT opens a record: state open, no step evidence, nothing capa maintains
INSERT INTO capa.register (title, description, severity, source, state)
VALUES ('t', 'd', 'minor', 'other', 'closed');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO capa.register (title, description, severity, source, containment)
VALUES ('t', 'd', 'minor', 'other', 'early');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO capa.register (id, title, description, severity, source)
VALUES ('CAPA-2026-999999', 't', 'd', 'minor', 'other');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO capa.register (title, description, severity, source, opened_at)
VALUES ('t', 'd', 'minor', 'other', '2020-01-01');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO capa.register (title, description, severity, source, kind)
VALUES ('t', 'd', 'minor', 'other', 'curative');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO capa.register (title, description, severity, source)
VALUES (' ', 'd', 'minor', 'other');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO capa.register (title, description, source) VALUES ('t', 'd', 'other');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO capa.register (title, description, severity, source) VALUES ('t', 'd', 'minor', 'rumour');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO capa.register (title, description, severity, source, owner, close_due)
VALUES ('Direct insert', 'd', 'minor', 'other', 'regress_alice', '2030-01-01')
RETURNING state, kind, chain_seq, close_due = '2030-01-01' AS given_due_kept, opened_by;

-- related records must exist
SELECT capa.capa_open('Second firewall', 'Rule 18 too', 'minor', 'incident') AS id2 \gset
UPDATE capa.register SET state = 'contained', containment = 'c', consequences = 'c' WHERE id = :'id2';
SELECT capa.capa_analyse(:'id2', 'No review', '5whys', 'All rules', related => ARRAY['CAPA-1999-000001']::capa.capa_ref[]);
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_analyse(:'id2', 'No review', '5whys', 'All rules', related => ARRAY[:'id', :'id']::capa.capa_ref[]);
SELECT related FROM capa.register WHERE id = :'id2';

-- action items: completion needs evidence and is final; no deletes
SELECT id AS aid FROM capa.action WHERE capa_id = :'id' \gset
UPDATE capa.action SET done = true WHERE id = :aid;
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.action SET evidence = 'sneaky' WHERE id = :aid;
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.action SET done_at = now() WHERE id = :aid;
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.action SET capa_id = :'id2' WHERE id = :aid;
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.action SET due = due + 7 WHERE id = :aid;
\echo :LAST_ERROR_SQLSTATE
SET capa.reason = 'regress: the vendor is late';
UPDATE capa.action SET due = due + 7 WHERE id = :aid;
RESET capa.reason;
UPDATE capa.action SET done = true, evidence = 'Rule removed' WHERE id = :aid;
UPDATE capa.action SET done = false WHERE id = :aid;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM capa.action WHERE id = :aid;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO capa.action (capa_id, description, owner, due) VALUES ('CAPA-1999-000001', 'x', 'y', current_date);
\echo :LAST_ERROR_SQLSTATE
TRUNCATE capa.action;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE capa.register CASCADE;
\echo :LAST_ERROR_SQLSTATE
-- (the due date replaced is today's: only whether it is there)
SELECT step, chain_seq, untimed(changed - 'previous'), changed->'previous' ? 'due' AS previous_due
  FROM capa.audit WHERE action_id = :aid ORDER BY seq;
