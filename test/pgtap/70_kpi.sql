-- pgTAP: the KPI rollup kept by the register trigger agrees with the same
-- figures computed another way, after a random workload of every kind and
-- path (containment, analyses naming similar records, ineffective
-- verifications, closures, cancels, reopens and re-closures, edits of due
-- dates and org units).  The other way: counting the audit trail's steps
-- (each step's stamp is in its audit row's "changed"), the register's rows,
-- and capa_kpi_rebuild().
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SET search_path = capa, public;
SELECT plan(35);

CREATE ROLE tap_kpi_owner;
SELECT setseed(0.4242);
-- the workload's edits are governed changes (0.3.0): their reason
SET capa.reason = 'KPI workload';

DO $workload$
DECLARE
    i integer;
    r capa.capa_ref;
    a bigint;
    kind text;
    path float8;
    sev capa.capa_severity;
    due timestamptz;
    org text;
    rounds integer;
BEGIN
    FOR i IN 1..400 LOOP
        kind := (ARRAY['corrective', 'corrective', 'preventive', 'improvement'])[1 + floor(random() * 4)::int];
        sev := (ARRAY['observation', 'minor', 'major', 'critical'])[1 + floor(random() * 4)::int]::capa.capa_severity;
        org := (ARRAY['ops', 'it', NULL])[1 + floor(random() * 3)::int];
        -- due dates in the past, the future, far future, or the policy's
        due := CASE floor(random() * 4)::int
                   WHEN 0 THEN now() - interval '45 days'
                   WHEN 1 THEN now() + interval '3 days'
                   WHEN 2 THEN now() + interval '400 days'
                   ELSE NULL END;
        r := capa.capa_open('kpi ' || i, 'workload', sev, 'internal_audit', kind, 'alice', NULL, org, NULL, due);
        path := random();

        -- edits of an open record: a later due date, another org unit
        IF random() < 0.2 THEN
            -- (one kind of change per statement since 0.3.0)
            UPDATE capa.register SET close_due = now() - interval '10 days' WHERE id = r;
            UPDATE capa.register SET org_unit = 'moved' WHERE id = r;
        END IF;

        IF path < 0.1 THEN
            PERFORM capa.capa_cancel(r, 'duplicate');
            CONTINUE;
        END IF;
        IF kind = 'corrective' THEN
            PERFORM capa.capa_contain(r, 'contained', 'none');
            IF path < 0.15 THEN
                PERFORM capa.capa_cancel(r, 'not a nonconformity');
                CONTINUE;
            END IF;
        END IF;
        IF kind <> 'improvement' THEN
            IF path < 0.25 AND kind = 'corrective' THEN
                PERFORM capa.capa_analyse(r, 'cause', '5whys', 'only here', action_required => false,
                                          justification => 'a one-off');
                PERFORM capa.capa_close(r, 'none');
                CONTINUE;
            END IF;
            PERFORM capa.capa_analyse(r, 'cause', 'fishbone', 'here and there', 'process',
                related => CASE WHEN random() < 0.3
                                THEN ARRAY[(SELECT capa.min(id) FROM capa.register)] END);
            IF path < 0.3 THEN
                CONTINUE;               -- stays analysed
            END IF;
        END IF;
        a := capa.capa_add_action(r, 'fix', 'bob', current_date + CASE WHEN random() < 0.5 THEN -3 ELSE 30 END);
        IF path < 0.4 THEN
            IF path > 0.37 AND kind <> 'improvement' THEN
                PERFORM capa.capa_cancel(r, 'overtaken');   -- its pending action stops counting
            ELSIF path > 0.34 THEN
                -- moved to another org unit with its pending action
                UPDATE capa.register SET org_unit = 'moved later' WHERE id = r;
            END IF;
            CONTINUE;                   -- stays with a pending (maybe overdue) action
        END IF;
        PERFORM capa.capa_complete_action(a, 'done');
        PERFORM capa.capa_plan(r);
        PERFORM capa.capa_implement(r);
        IF path < 0.5 THEN
            CONTINUE;                   -- waits for its verification
        END IF;
        rounds := 0;
        WHILE random() < 0.3 AND rounds < 2 LOOP   -- found ineffective
            PERFORM capa.capa_verify(r, false, 'still happens');
            PERFORM capa.capa_complete_action(capa.capa_add_action(r, 'fix again', 'bob', current_date + 10), 'done');
            PERFORM capa.capa_implement(r);
            rounds := rounds + 1;
        END LOOP;
        PERFORM capa.capa_verify(r, true, 'works');
        IF path < 0.55 THEN
            CONTINUE;                   -- verified, not closed
        END IF;
        PERFORM capa.capa_close(r, 'procedure updated');
        IF path > 0.9 THEN              -- it came back
            PERFORM capa.capa_reopen(r, 'recurred');
            IF path > 0.95 AND kind = 'improvement' THEN
                PERFORM capa.capa_plan(r);
                PERFORM capa.capa_complete_action(capa.capa_add_action(r, 'more', 'bob', current_date + 10), 'done');
                PERFORM capa.capa_implement(r);
                PERFORM capa.capa_verify(r, true, 'now it works');
                PERFORM capa.capa_close(r, 'second closure');
            END IF;
        END IF;
    END LOOP;
END
$workload$;

-- the steps, as the audit trail has them (record rows only)
CREATE TEMP TABLE steps AS
SELECT a.capa_id, a.step, a.seq,
       (a.changed OPERATOR(pg_catalog.->>) (a.step || 'ed_at')) AS stamp_text
FROM capa.audit a WHERE a.action_id IS NULL;

SELECT cmp_ok((SELECT count(DISTINCT step) FROM steps), '>=', 10::bigint,
              'the workload took every kind of step');
SELECT cmp_ok((SELECT count(*) FROM steps WHERE step = 'reopen'), '>', 0::bigint, 'the workload reopened records');
SELECT cmp_ok((SELECT count(*) FROM capa.register WHERE state = 'closed' AND reopen_count > 0), '>', 0::bigint,
              'the workload closed reopened records again');

-- the summary against the register and the trail
SELECT is((SELECT open_total FROM capa.kpi_summary),
          (SELECT count(*) FROM capa.register WHERE state < 'closed'), 'open_total: records neither closed nor cancelled');
SELECT is((SELECT ARRAY[open_critical, open_major, open_minor, open_observation] FROM capa.kpi_summary),
          (SELECT ARRAY[count(*) FILTER (WHERE severity = 'critical'), count(*) FILTER (WHERE severity = 'major'),
                        count(*) FILTER (WHERE severity = 'minor'), count(*) FILTER (WHERE severity = 'observation')]
           FROM capa.register WHERE state < 'closed'), 'open by severity');
SELECT is((SELECT overdue_close FROM capa.kpi_summary),
          (SELECT count(*) FROM capa.register WHERE state < 'closed' AND close_due < now()), 'overdue_close');
SELECT cmp_ok((SELECT overdue_close FROM capa.kpi_summary), '>', 0::bigint, 'some records are overdue');
SELECT is((SELECT overdue_actions FROM capa.kpi_summary),
          (SELECT count(*) FROM capa.action x JOIN capa.register r ON r.id = x.capa_id
           WHERE NOT x.done AND x.due < (now() AT TIME ZONE 'UTC')::date AND r.state < 'closed'), 'overdue_actions');
SELECT cmp_ok((SELECT overdue_actions FROM capa.kpi_summary), '>', 0::bigint, 'some actions are overdue');
SELECT cmp_ok((SELECT count(*) FROM capa.action x JOIN capa.register r ON r.id = x.capa_id
               WHERE NOT x.done AND x.due < (now() AT TIME ZONE 'UTC')::date AND r.state = 'cancelled'),
              '>', 0::bigint, 'some cancelled records have overdue pending actions (not counted)');
SELECT is((SELECT array_agg(o ORDER BY o) FROM (
             SELECT coalesce(org_unit, '-') || ':' || sum(pending) AS o FROM capa.kpi_action_due_now
             GROUP BY org_unit HAVING sum(pending) <> 0) x),
          (SELECT array_agg(o ORDER BY o) FROM (
             SELECT coalesce(r.org_unit, '-') || ':' || count(*) AS o
             FROM capa.action x JOIN capa.register r ON r.id = x.capa_id
             WHERE NOT x.done AND r.state <> 'cancelled' GROUP BY r.org_unit) y),
          'pending action items by org unit, after some records moved to another unit with theirs');
SELECT cmp_ok((SELECT sum(pending) FROM capa.kpi_action_due_now WHERE org_unit = 'moved later'), '>', 0::numeric,
              'the moved records took their pending items along');
SELECT is((SELECT closed_total FROM capa.kpi_summary),
          (SELECT count(*) FROM steps WHERE step = 'close'), 'closed_total: every closure in the trail, reopened or not');
SELECT is((SELECT cancelled_total FROM capa.kpi_summary),
          (SELECT count(*) FROM steps WHERE step = 'cancel'), 'cancelled_total');
SELECT is((SELECT reopened_total FROM capa.kpi_summary),
          (SELECT count(*) FROM steps WHERE step = 'reopen'), 'reopened_total');
SELECT is((SELECT reopen_rate FROM capa.kpi_summary),
          (SELECT round((count(*) FILTER (WHERE step = 'reopen'))::numeric / count(*) FILTER (WHERE step = 'close'), 4) FROM steps),
          'reopen_rate: reopens per closure');
SELECT is((SELECT recurrence_rate FROM capa.kpi_summary),
          (SELECT round((count(*) FILTER (WHERE a.changed ? 'related'))::numeric / count(*), 4)
           FROM capa.audit a WHERE a.action_id IS NULL AND a.step = 'analyse'),
          'recurrence_rate: analyses naming a similar record, per analysis');
SELECT cmp_ok((SELECT recurrence_rate FROM capa.kpi_summary), '>', 0::numeric, 'some analyses named a similar record');
SELECT is((SELECT first_time_effective_rate FROM capa.kpi_summary),
          -- a closure after a verification: was any verification of the record before it ineffective?
          (SELECT round((count(*) FILTER (WHERE NOT EXISTS (
                      SELECT FROM capa.audit v WHERE v.capa_id = c.capa_id AND v.action_id IS NULL
                        AND v.step = 'verify' AND v.to_state = 'planned' AND v.seq < c.seq)))::numeric / count(*), 4)
           FROM capa.audit c
           WHERE c.action_id IS NULL AND c.step = 'close' AND c.from_state = 'verified'),
          'first_time_effective_rate: closures after a verification never found ineffective before');
SELECT cmp_ok((SELECT first_time_effective_rate FROM capa.kpi_summary), '<', 1::numeric, 'some verifications found an action ineffective');
SELECT is((SELECT on_time_closure_rate FROM capa.kpi_summary),
          (SELECT round((count(*) FILTER (WHERE (c.changed->>'closed_at')::timestamptz <= r.close_due))::numeric
                        / count(*) FILTER (WHERE r.close_due IS NOT NULL), 4)
           FROM capa.audit c JOIN capa.register r ON r.id = c.capa_id
           WHERE c.action_id IS NULL AND c.step = 'close'),
          'on_time_closure_rate: closures by their close due date, of those with one');
SELECT cmp_ok((SELECT on_time_closure_rate FROM capa.kpi_summary), '<', 1::numeric, 'some closures were late');
SELECT is((SELECT ARRAY[improvements_open, improvements_closed_12m] FROM capa.kpi_summary),
          (SELECT ARRAY[(SELECT count(*) FROM capa.register WHERE kind = 'improvement' AND state < 'closed'),
                        (SELECT count(*) FROM steps s JOIN capa.register r ON r.id = s.capa_id
                         WHERE s.step = 'close' AND r.kind = 'improvement')]),
          'improvement throughput: open now, closures in the last 12 months');
SELECT is((SELECT ARRAY[aging_0_30, aging_31_90, aging_91_180, aging_over_180] FROM capa.kpi_summary),
          (SELECT ARRAY[count(*), 0, 0, 0] FROM capa.register WHERE state < 'closed'),
          'aging: every open record was opened today');

-- the month: every figure as the trail counts it
SELECT is((SELECT ARRAY[opened, contained, closed, cancelled, reopened] FROM capa.kpi_monthly
           WHERE month = date_trunc('month', now() AT TIME ZONE 'UTC')::date),
          (SELECT ARRAY[count(*) FILTER (WHERE step = 'open'), count(*) FILTER (WHERE step = 'contain'),
                        count(*) FILTER (WHERE step = 'close'), count(*) FILTER (WHERE step = 'cancel'),
                        count(*) FILTER (WHERE step = 'reopen')] FROM steps),
          'this month: opened, contained, closed, cancelled, reopened');
SELECT is((SELECT backlog_end FROM capa.kpi_monthly ORDER BY month DESC LIMIT 1),
          (SELECT open_total FROM capa.kpi_summary), 'backlog at the end of this month = open now');
SELECT is((SELECT overdue_end FROM capa.kpi_monthly ORDER BY month DESC LIMIT 1),
          (SELECT count(*) FROM capa.register WHERE state < 'closed'
             AND close_due < date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month'),
          'overdue at the end of this month: open records due before it ends');
SELECT is((SELECT count(*) FROM capa.kpi_monthly), 1::bigint, 'one month of data, no future months shown');

-- the breakdowns add up
SELECT is((SELECT sum(records) FROM capa.kpi_by_org_unit), (SELECT count(*) FROM capa.register)::numeric,
          'kpi_by_org_unit covers every record');
SELECT is((SELECT array_agg(org_unit ORDER BY records DESC, org_unit) FROM capa.kpi_by_org_unit),
          (SELECT array_agg(org_unit ORDER BY n DESC, org_unit) FROM
             (SELECT org_unit, count(*) n FROM capa.register GROUP BY org_unit) x),
          'kpi_by_org_unit: largest first');
SELECT is((SELECT max(cumulative_share) FROM capa.kpi_by_source), 1.0000, 'the Pareto ends at 1');
SELECT is((SELECT sum(open) FROM capa.kpi_by_severity), (SELECT open_total FROM capa.kpi_summary)::numeric,
          'kpi_by_severity: open adds up to open_total');

-- a rebuild from the register gives the same rollup, less the earlier
-- closures of reopened records (no longer on their rows)
CREATE TEMP TABLE live AS SELECT * FROM capa.kpi_summary;
SELECT cmp_ok(capa.capa_kpi_rebuild(), '=', (SELECT count(*) FROM capa.register), 'rebuild counts every record');
SELECT is((SELECT ARRAY[open_total, overdue_total, cancelled_total, overdue_actions] FROM capa.kpi_summary),
          (SELECT ARRAY[open_total, overdue_total, cancelled_total, overdue_actions] FROM live),
          'after a rebuild: the same open, overdue, cancelled and overdue-action figures');
SELECT is((SELECT closed_total FROM capa.kpi_summary),
          (SELECT closed_total FROM live) - (SELECT count(*) FROM steps s
                                             WHERE s.step = 'close' AND EXISTS (
                                                 SELECT FROM steps o WHERE o.capa_id = s.capa_id
                                                   AND o.step = 'reopen' AND o.seq > s.seq)),
          'after a rebuild: closures less those a reopen followed');

SELECT * FROM finish();
ROLLBACK;
