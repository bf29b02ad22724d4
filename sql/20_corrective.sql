-- The corrective path, step by step, as the people who do it, with the
-- refusals a client meets on the way.
\set SHOW_CONTEXT never

SET ROLE regress_alice;
SELECT capa.capa_open('Backups failed', 'Nightly ERP backup job failed three nights',
                      'major', 'internal_audit') AS id \gset
SELECT id = :'id' AS same, kind, state, severity, owner, opened_by,
       contain_due - opened_at AS contain_within, close_due - opened_at AS close_within,
       reopen_count, ineffective_count, chain_seq
  FROM capa.register WHERE id = :'id';
SELECT capa.capa_next_states(:'id');

-- steps out of order are refused with 55000, the state in the detail and
-- the allowed steps in the hint
SELECT capa.capa_analyse(:'id', 'No owner assigned', '5whys', 'Checked other jobs');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_plan(:'id');
-- an editor may not close at all
SELECT capa.capa_close(:'id', 'none');
\echo :LAST_ERROR_SQLSTATE

-- 10.2 a: containment needs both fields
SELECT capa.capa_contain(:'id', NULL, 'none');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_contain(:'id', 'Manual backup taken', '   ');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_contain(:'id', 'Manual backup taken', 'None: no data lost');
SELECT capa.capa_contain(:'id', 'Manual backup taken', 'None: no data lost');
\echo :LAST_ERROR_SQLSTATE

-- 10.2 b: a corrective analysis needs root cause, method, extent of condition
SELECT capa.capa_analyse(:'id', 'No owner assigned', '5whys', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_analyse(:'id', 'No owner assigned', 'tea_leaves', 'Checked other jobs');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_analyse(:'id', 'No owner assigned for backup monitoring', '5whys',
                         'Checked the other 14 scheduled jobs: 2 had no owner',
                         cause_category => 'governance',
                         why_chain => ARRAY['backup failed', 'alert unread', 'no owner']);
SELECT state, root_cause, rca_method, cause_category, why_chain, action_required
  FROM capa.register WHERE id = :'id';

-- 10.2 c: planning needs an action item, implementing needs them all done
SELECT capa.capa_plan(:'id');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_add_action(:'id', 'Assign an owner and alerting', 'regress_ops', current_date + 14) AS aid \gset
SELECT capa.capa_add_action(:'id', 'Review the other unowned jobs', 'regress_ops', current_date + 21) AS aid2 \gset
SELECT capa.capa_add_action(:'id', '', 'regress_ops', current_date);
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_plan(:'id');
SELECT capa.capa_complete_action(:aid, 'Ticket OPS-42: owner and alert configured');
SELECT capa.capa_implement(:'id');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_complete_action(:aid2, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_complete_action(:aid2, 'Ticket OPS-43: both jobs now owned');
SELECT capa.capa_complete_action(:aid2, 'again');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_implement(:'id');
SELECT implemented_by, effectiveness_due - implemented_at AS check_within
  FROM capa.register WHERE id = :'id';
-- no new action items once implemented
SELECT capa.capa_add_action(:'id', 'Too late', 'regress_ops', current_date);
\echo :LAST_ERROR_SQLSTATE

-- 10.2 d: the owner may not verify her own record, nor may an action
-- owner, even when they hold the verifier role
RESET ROLE;
GRANT capa_verifier TO regress_alice, regress_ops;
SET ROLE regress_alice;
SELECT capa.capa_verify(:'id', true, '30 days of green backups');
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_ops;
SELECT capa.capa_verify(:'id', true, '30 days of green backups');
\echo :LAST_ERROR_SQLSTATE
-- the end-user claim counts too: bob's role acting for alice is refused
SET ROLE regress_bob;
SET capa.app_user = 'regress_alice';
SELECT capa.capa_verify(:'id', true, '30 days of green backups');
\echo :LAST_ERROR_SQLSTATE
RESET capa.app_user;
RESET ROLE;
REVOKE capa_verifier FROM regress_alice, regress_ops;

-- the verifier finds it not effective: back to planned, counted
SET ROLE regress_bob;
SELECT capa.capa_verify(:'id', false, 'Backups failed again on day 12');
SELECT state, effective, verification_evidence, ineffective_count FROM capa.register WHERE id = :'id';
RESET ROLE;
SET ROLE regress_alice;
-- the same work cannot be implemented again: a new action item is needed
SELECT capa.capa_implement(:'id');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_add_action(:'id', 'Monitor the backup job itself', 'regress_ops', current_date + 7) AS aid3 \gset
SELECT capa.capa_implement(:'id');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_complete_action(:aid3, 'Ticket OPS-51: heartbeat check');
SELECT capa.capa_implement(:'id');
-- entering implemented again clears the earlier verification
SELECT state, effective, verification_evidence, verified_at FROM capa.register WHERE id = :'id';
RESET ROLE;
SET ROLE regress_bob;
SELECT capa.capa_verify(:'id', true, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_verify(:'id', true, '30 days of green backups and heartbeat');
-- 10.2 e: close with the ISMS changes made
SELECT capa.capa_close(:'id', '');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_close(:'id', 'Backup procedure v2; control A.8.13 owner assigned');
SELECT state, verified_by, closed_by, isms_changes FROM capa.register WHERE id = :'id';
SELECT capa.capa_next_states(:'id');
RESET ROLE;

-- a closed record is immutable, for a superuser too
UPDATE capa.register SET title = 'Something else' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.register SET state = 'verified' WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM capa.register WHERE id = :'id';
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.action SET description = 'rewritten' WHERE id = :aid;
\echo :LAST_ERROR_SQLSTATE

-- reopen: with a reason, counted, closure and verification cleared
SET ROLE regress_bob;
SELECT capa.capa_reopen(:'id', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_reopen(:'id', 'Backups failed again in March');
SELECT state, reopen_count, reopen_reason, reopened_by, closed_at, isms_changes, effective
  FROM capa.register WHERE id = :'id';
RESET ROLE;

-- analysed -> closed without action, only with a justification
SET ROLE regress_alice;
SELECT capa.capa_open('Visitor log page torn', 'One page of the visitor log was torn',
                      'observation', 'self_identified') AS id2 \gset
SELECT contain_due IS NULL AS no_contain_due_for_observation FROM capa.register WHERE id = :'id2';
SELECT capa.capa_contain(:'id2', 'Page taped back', 'None');
SELECT capa.capa_analyse(:'id2', 'Wear and tear', 'other', 'Other logs fine',
                         action_required => false);
RESET ROLE;
SET ROLE regress_bob;
SELECT capa.capa_close(:'id2', 'None needed');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE regress_dave;
SELECT capa.capa_cancel(:'id2', 'Opened by mistake');
RESET ROLE;
SELECT state, cancel_reason, cancelled_by FROM capa.register WHERE id = :'id2';

SET ROLE regress_alice;
SELECT capa.capa_open('Visitor log page torn', 'Second page torn',
                      'observation', 'self_identified') AS id3 \gset
SELECT capa.capa_contain(:'id3', 'Page taped back', 'None');
SELECT capa.capa_analyse(:'id3', 'Wear and tear', 'other', 'Other logs fine',
                         action_required => false,
                         justification => 'Cosmetic; the log is replaced yearly');
SELECT capa.capa_plan(:'id3');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_next_states(:'id3');
RESET ROLE;
SET ROLE regress_bob;
SELECT capa.capa_close(:'id3', 'None: no ISMS change needed');
SELECT state, no_action_justification, closed_by FROM capa.register WHERE id = :'id3';
RESET ROLE;

-- unknown records and NULL references
SELECT capa.capa_contain('CAPA-1999-999999', 'x', 'y');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_contain(NULL, 'x', 'y');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_complete_action(999999, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_next_states('CAPA-1999-999999');
\echo :LAST_ERROR_SQLSTATE
