-- Governed change (issue 14, item 1), as an ISMS team would use it for a
-- month: a record reassigned, rescheduled and amended, an action item
-- moved and one cancelled, a late duplicate cancelled; every change in the
-- trail with its reason and the values it replaced, and the trail verifies.
-- (Who may do what, cell by cell: test/pgtap/45_governed.sql.)

-- previous: the keys replaced (values that depend on the day are hidden)
CREATE FUNCTION pg_temp.change_of(doc jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(k, ',' ORDER BY k), '') FROM jsonb_object_keys(doc->'previous') k
$$;

SET ROLE regress_alice;
SELECT capa.capa_open('Backups of the HR share failed', 'Three nightly backups failed unnoticed',
                      'major', 'incident', owner => 'regress_alice') AS id \gset
SELECT capa.capa_contain(:'id', 'Manual backup taken', 'No data lost');
SELECT capa.capa_analyse(:'id', 'Monitoring checked the job, not the result', '5whys',
                         'HR share only', why_chain => ARRAY['Alerts off', 'Job green on failure']);
SELECT capa.capa_add_action(:'id', 'Alert on a failed restore test', 'regress_ops', DATE '2099-01-10') AS a1 \gset
SELECT capa.capa_add_action(:'id', 'Buy a second backup server', 'regress_ops', DATE '2099-01-20') AS a2 \gset
SELECT capa.capa_plan(:'id');

-- a typo in the root cause, corrected with a reason
SELECT capa.capa_amend(:'id', 'root_cause', 'Monitoring checked that the job ran, not its result',
                       'the first text left out what was checked');
-- the vendor is late: the action item moves, then the close due date
SELECT capa.capa_reschedule_action(:a1, DATE '2099-02-10', 'vendor delivers the agent in February');
SELECT capa.capa_reschedule(:'id', 'close', '2099-03-31 00:00+00', 'follows the moved action item');
-- the second server is not needed: the alerting covers it
SELECT capa.capa_cancel_action(:a2, 'a restore test alert covers the risk');
-- and the owner moves to another team: only capa_admin or the owner may
-- hand the record over; alice does
SELECT capa.capa_reassign(:'id', 'regress_ops', 'alice moves to the audit team');
-- alice is not the owner any more
SELECT replace(try(format($$SELECT capa.capa_reschedule(%L, 'close', '2099-04-30 00:00+00', 'x')$$, :'id')), :'id', '<id>')
       AS alice_after_handover;
RESET ROLE;

-- without a reason, nothing changes
SET ROLE regress_ops;
SELECT try(format($$SELECT capa.capa_reassign(%L, 'regress_alice', NULL)$$, :'id')) AS no_reason;
SELECT try(format($$SELECT capa.capa_amend(%L, 'title', 'x', ' ')$$, :'id')) AS blank_reason;
-- a cancelled action item is not counted: the remaining one is done, so
-- the record is implemented
SELECT capa.capa_complete_action(:a1, 'Alert fires on a failed restore test');
SELECT capa.capa_implement(:'id');
RESET ROLE;

-- the trail: one step per change, with its reason and what it replaced
SELECT a.step, CASE a.action_id WHEN :a1 THEN 'a1' WHEN :a2 THEN 'a2' ELSE '' END AS item, a.actor, a.changed->>'reason' AS reason,
       pg_temp.change_of(a.changed) AS replaced
  FROM capa.audit a WHERE a.capa_id = :'id' AND a.seq > (SELECT min(seq) FROM capa.audit WHERE capa_id = :'id' AND step = 'plan')
 ORDER BY a.seq;
SELECT root_cause, owner, close_due = '2099-03-31 00:00+00' AS moved, original_close_due < close_due AS first_due_known,
       reschedule_count, reassign_count
  FROM capa.register WHERE id = :'id';
SELECT CASE id WHEN :a1 THEN 'a1' ELSE 'a2' END AS item, due::text, original_due::text, cancelled_by, cancel_reason, done
  FROM capa.action WHERE capa_id = :'id' ORDER BY id;

-- "Fixing just the symptom is not enough": the verification finds the fix
-- ineffective because the root cause was wrong, and sends the record back
-- to analysis (issue 14, item 3); the first analysis stays in the trail
SET ROLE regress_bob;
SELECT capa.capa_verify(:'id', false, 'Two failed backups in the first week, and no alert', reanalyse => true);
RESET ROLE;
SET ROLE regress_ops;
SELECT capa.capa_analyse(:'id', 'The backup agent reports success when the share is locked', '5whys',
                         'Every share the agent backs up');
SELECT capa.capa_add_action(:'id', 'Fail the job on a locked share', 'regress_ops', DATE '2099-03-01') AS a3 \gset
SELECT capa.capa_plan(:'id');
SELECT capa.capa_complete_action(:a3, 'Agent patched, tested with a locked share');
SELECT capa.capa_implement(:'id');
RESET ROLE;
SELECT step, from_state, to_state, changed->>'root_cause' AS root_cause
  FROM capa.audit WHERE capa_id = :'id' AND action_id IS NULL AND step IN ('analyse', 'amend', 'verify')
 ORDER BY seq;

-- a duplicate found after planning: capa_admin cancels it
SET ROLE regress_alice;
SELECT capa.capa_open('Backups of the HR share failed (duplicate)', 'Same incident, reported twice',
                      'major', 'incident', owner => 'regress_alice') AS dup \gset
SELECT capa.capa_contain(:'dup', 'see the other record', 'none');
SELECT capa.capa_analyse(:'dup', 'see the other record', '5whys', 'none');
SELECT capa.capa_add_action(:'dup', 'see the other record', 'regress_ops', DATE '2099-01-10') IS NOT NULL AS added;
SELECT capa.capa_plan(:'dup');
RESET ROLE;
SET ROLE regress_dave;
SELECT capa.capa_cancel(:'dup', 'duplicate of ' || :'id');
RESET ROLE;

-- a plain UPDATE (by capa's owner, or a role a DBA granted UPDATE to)
-- passes the same trigger: a reason through capa.reason
UPDATE capa.register SET priority = 2 WHERE id = :'id';
BEGIN;
SET LOCAL capa.reason = 'raised after the management review';
UPDATE capa.register SET priority = 2 WHERE id = :'id';
COMMIT;
SELECT step, changed->>'reason' AS reason, changed->'previous' AS previous, changed->'priority' AS priority
  FROM capa.audit WHERE capa_id = :'id' ORDER BY seq DESC LIMIT 1;

SELECT id = :'id' AS first, state, reschedule_count, reassign_count, reanalyse_count, cancelled_actions
  FROM capa.kpi_change WHERE id IN (:'id', :'dup') ORDER BY id;
SELECT count(*) AS problems FROM capa.capa_audit_verify();
