-- capa_escalate(at): overdue due dates of records and action items, each
-- escalation recorded once per item, due value, owner and day; levels,
-- resets, resolved items, refusals and privileges.  Every moment is in
-- 1999, before anything earlier tests opened is due.
\set SHOW_CONTEXT never
SET ROLE regress_alice;
SELECT capa.capa_open('Escalation: backups', 'd', 'major', 'other', owner => 'regress_alice',
                      contain_due => '1999-03-01 00:00+00', close_due => '1999-03-10 12:00+00') AS e1 \gset
SELECT capa.capa_open('Escalation: preventive', 'd', 'minor', 'other', kind => 'preventive',
                      owner => 'regress_alice', close_due => '1999-03-05 00:00+00') AS e2 \gset
SELECT capa.capa_open('Escalation: improvement', 'd', 'observation', 'other', kind => 'improvement',
                      owner => 'regress_alice', close_due => '2999-01-01 00:00+00') AS e3 \gset
SELECT capa.capa_add_action(:'e1', 'Fix the backup job', 'regress_ops', '1999-03-02') AS a1 \gset
SELECT capa.capa_add_action(:'e1', 'Restore test', 'regress_ops', '1999-03-20') AS a2 \gset
SELECT capa.capa_add_action(:'e3', 'Automate', 'regress_ops', '2999-01-01') AS a3 \gset
RESET ROLE;

-- names instead of references and ids, and no clock times
CREATE TEMP TABLE names (name text, id capa.capa_ref, action_id bigint);
INSERT INTO names VALUES ('e1', :'e1', NULL), ('e2', :'e2', NULL), ('e3', :'e3', NULL),
                         ('a1', :'e1', :a1), ('a2', :'e1', :a2), ('a3', :'e3', :a3);
GRANT SELECT ON names TO PUBLIC;
-- a run as regress_dave (capa_admin), as a scheduled job would run it
CREATE FUNCTION pg_temp.esc(at timestamptz) RETURNS TABLE (item text, due_kind text, due text,
        owner text, severity capa.capa_severity, episode int, level int, days_overdue int,
        since text, escalated_by name)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('role', 'regress_dave', true);
    RETURN QUERY
    SELECT n.name, e.due_kind, to_char(e.due AT TIME ZONE 'UTC', 'MM-DD HH24:MI'), e.owner,
           e.severity, e.episode, e.level, e.days_overdue,
           to_char(e.since AT TIME ZONE 'UTC', 'MM-DD HH24:MI'), e.escalated_by
      FROM capa.capa_escalate(at) e
      JOIN names n ON n.id OPERATOR(capa.=) e.capa_id AND n.action_id IS NOT DISTINCT FROM e.action_id
     ORDER BY e.id;
    PERFORM set_config('role', 'none', true);
END
$$;
SELECT max(seq) AS audit_before FROM capa.audit \gset

-- 12 hours past the containment due date: level 1, from the first run
SELECT * FROM pg_temp.esc('1999-03-01 12:00+00');
-- again, within the day: nothing new, however often it runs
SELECT * FROM pg_temp.esc('1999-03-01 12:00+00');
SELECT * FROM pg_temp.esc('1999-03-01 12:01+00');
SELECT * FROM pg_temp.esc('1999-03-02 11:59+00');
-- a day after the first escalation: level 2
SELECT * FROM pg_temp.esc('1999-03-02 12:00+00');
-- the action item is due on 03-02: overdue from 03-03 00:00 UTC
SELECT * FROM pg_temp.esc('1999-03-02 23:59+00');
SELECT * FROM pg_temp.esc('1999-03-03 00:00+00');
-- no run for two days: level 5 (3 and 4 are not made up); the preventive
-- record is past its close due date
SELECT * FROM pg_temp.esc('1999-03-05 13:00+00');
-- no audit row: an escalation is not a change of the record
SELECT count(*) AS audit_rows_written FROM capa.audit WHERE seq > :audit_before;

-- resolved items stop: the containment step taken, the action item done
SET ROLE regress_alice;
SELECT capa.capa_contain(:'e1', 'Manual backup taken', 'None lost');
SELECT capa.capa_complete_action(:a1, 'Job fixed');
RESET ROLE;
SELECT * FROM pg_temp.esc('1999-03-06 13:00+00');

-- a new owner starts a new episode at level 1, counted from its first run
-- (plain UPDATEs of the owner and due dates need a reason, 0.3.0)
SET capa.reason = 'regress: the ISMS manager moved it';
UPDATE capa.register SET owner = 'regress_ops' WHERE id = :'e2';
SELECT * FROM pg_temp.esc('1999-03-06 14:00+00');
SELECT * FROM pg_temp.esc('1999-03-07 13:59+00');
SELECT * FROM pg_temp.esc('1999-03-07 14:00+00');
-- a moved due date: not overdue until it passes, then level 1 again
UPDATE capa.register SET close_due = '1999-03-08 00:00+00' WHERE id = :'e2';
SELECT * FROM pg_temp.esc('1999-03-07 23:00+00');
SELECT * FROM pg_temp.esc('1999-03-08 01:00+00');
-- the owner back as it was is a change too: a new episode
UPDATE capa.register SET owner = 'regress_alice' WHERE id = :'e2';
SELECT * FROM pg_temp.esc('1999-03-08 02:00+00');
-- a cancelled record stops, with its action items
SET ROLE regress_dave;
SELECT capa.capa_cancel(:'e2', 'Duplicate of another finding');
RESET ROLE;
SELECT * FROM pg_temp.esc('1999-03-09 02:00+00');

-- the record's close due date, and an action item's due date and owner
SELECT * FROM pg_temp.esc('1999-03-21 00:00+00');
UPDATE capa.action SET owner = 'regress_alice' WHERE id = :a2;
SELECT * FROM pg_temp.esc('1999-03-21 00:30+00');
UPDATE capa.action SET due = '1999-03-25' WHERE id = :a2;
SELECT * FROM pg_temp.esc('1999-03-22 00:30+00');
SELECT * FROM pg_temp.esc('1999-03-26 00:30+00');

-- the effectiveness check: escalated while implemented, stopped by the
-- verification
SET ROLE regress_alice;
SELECT capa.capa_plan(:'e3');
SELECT capa.capa_complete_action(:a3, 'Automated');
SELECT capa.capa_implement(:'e3');
RESET ROLE;
UPDATE capa.register SET effectiveness_due = '1999-04-01 00:00+00' WHERE id = :'e3';
SELECT * FROM pg_temp.esc('1999-04-02 00:00+00');
SET ROLE regress_bob;
SELECT capa.capa_verify(:'e3', true, 'Runs nightly');
RESET ROLE;
SELECT * FROM pg_temp.esc('1999-04-03 00:00+00');

-- the whole register of escalations, as a reader sees it
SET ROLE regress_carol;
SELECT n.name, e.due_kind, e.episode, e.level, e.escalated_by,
       e.escalated_at >= e.at AS stamped_after_at
  FROM capa.escalation e JOIN names n ON n.id = e.capa_id AND n.action_id IS NOT DISTINCT FROM e.action_id
 ORDER BY e.id;
RESET ROLE;
-- with row-level security by org unit on, a reader sees the escalations
-- of the records it may read: none of unit north's without a grant
SET ROLE regress_alice;
SELECT capa.capa_open('Escalation: north', 'd', 'minor', 'other', org_unit => 'north',
                      close_due => '1999-05-01 00:00+00') AS e4 \gset
RESET ROLE;
INSERT INTO names VALUES ('e4', :'e4', NULL);
SELECT * FROM pg_temp.esc('1999-05-02 00:00+00');
SELECT capa.capa_rls_enable();
SET ROLE regress_carol;
SELECT count(*) FILTER (WHERE capa_id = :'e4') AS north_seen, count(*) > 0 AS others_seen
  FROM capa.escalation;
RESET ROLE;
INSERT INTO capa.org_unit_access (role_name, org_unit) VALUES ('regress_carol', 'north');
SET ROLE regress_carol;
SELECT count(*) FILTER (WHERE capa_id = :'e4') AS north_seen_with_grant FROM capa.escalation;
RESET ROLE;
DELETE FROM capa.org_unit_access WHERE role_name = 'regress_carol'::regrole;
SELECT capa.capa_rls_disable();

-- refusals
SELECT try('SELECT capa.capa_escalate(NULL)') AS null_at;
SELECT try($$SELECT capa.capa_escalate('infinity')$$) AS infinite_at;
SELECT try($$SELECT capa.capa_escalate('-infinity')$$) AS minus_infinite_at;
SELECT left(try($$SELECT capa.capa_escalate(now() + interval '1 hour')$$), 60) AS future_at;
SELECT try('SELECT count(*) FROM capa.capa_escalate()') AS now_is_fine;

-- append-only for everyone, its owner included
SELECT try('UPDATE capa.escalation SET level = 9') AS update_escalation;
SELECT try('DELETE FROM capa.escalation') AS delete_escalation;
SELECT try('TRUNCATE capa.escalation') AS truncate_escalation;

-- who may run it and read it
SELECT r AS role, has_function_privilege(r, 'capa.capa_escalate(timestamptz)', 'EXECUTE') AS escalate,
       has_table_privilege(r, 'capa.escalation', 'SELECT') AS read,
       has_table_privilege(r, 'capa.escalation', 'INSERT') AS insert
  FROM unnest(ARRAY['regress_carol', 'regress_alice', 'regress_bob', 'regress_dave', 'regress_eve']) r;
SET ROLE regress_alice;
SELECT try($$SELECT capa.capa_escalate('1999-01-01')$$) AS editor_escalates;
RESET ROLE;
SET ROLE regress_eve;
SELECT try('SELECT count(*) FROM capa.escalation') AS eve_reads;
RESET ROLE;
