-- The KPIs against a small register computed by hand: seven records
-- imported with their history in 2025 (closures in later months than their
-- openings, a late closure, a cancel), then live steps: an ineffective
-- verification and a closure, a reopen, a new record whose analysis names
-- a similar one.  Every figure below was worked out from the dates here.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE regress_capa_kpi;
\c regress_capa_kpi
SET client_min_messages = warning;
CREATE EXTENSION capa;
\i test/policy_0_2.sql
RESET client_min_messages;
SET search_path = public, capa;

CREATE TABLE old_register (
    legacy_id text, kind text, state text, severity text, title text, description text,
    source text, owner text, org_unit text, cause_category text,
    opened_at timestamptz, opened_by text,
    containment text, consequences text, contained_at timestamptz, contained_by text,
    root_cause text, rca_method text, extent_of_condition text, action_required boolean,
    analysed_at timestamptz, analysed_by text, planned_at timestamptz, planned_by text,
    implemented_at timestamptz, implemented_by text,
    effective boolean, verification_evidence text, verified_at timestamptz, verified_by text,
    isms_changes text, closed_at timestamptz, closed_by text,
    cancel_reason text, cancelled_at timestamptz, cancelled_by text,
    close_due timestamptz, actions jsonb);

-- day n of 2025 at noon UTC
CREATE FUNCTION d(m int, dd int) RETURNS timestamptz LANGUAGE sql IMMUTABLE
    AS $$ SELECT make_timestamptz(2025, m, dd, 12, 0, 0, 'UTC') $$;
CREATE FUNCTION done_action(m int, dd int) RETURNS jsonb LANGUAGE sql IMMUTABLE
    AS $$ SELECT jsonb_build_array(jsonb_build_object('description', 'fix', 'owner', 'regress_ops',
            'due', '2025-12-31', 'done', true, 'evidence', 'done', 'done_at', d(m, dd), 'done_by', 'regress_ops')) $$;

-- K1 corrective, closed on time: opened 10 Jan, contained 11 Jan (1 day), closed 5 Mar (54 days), due 31 Mar
-- K2 corrective, closed late: opened 20 Jan, contained 22 Jan (2 days), closed 20 Apr (90 days), due 1 Mar
-- K3 corrective, cancelled 3 Feb from open
-- K4 improvement, closed 10 May (89 days), due 1 Jun
-- K5 corrective, open since 15 Mar, due 15 Apr: overdue since April
-- K6 corrective, implemented 1 May, contained 3 Apr (2 days), due 2099
-- K7 corrective, closed 15 Feb (41 days) on time (due 28 Feb), contained 6 Jan (1 day)
INSERT INTO old_register VALUES
 ('K1', 'corrective', 'closed', 'major', 'Backups unchecked', 'd', 'internal_audit', 'regress_alice', 'IT', 'process',
  d(1,10), 'regress_alice', 'rerun', 'none lost', d(1,11), 'regress_alice', 'no owner', '5whys', 'all jobs', true,
  d(1,15), 'regress_alice', d(1,20), 'regress_alice', d(2,10), 'regress_alice',
  true, 'reports', d(3,1), 'regress_bob', 'procedure v2', d(3,5), 'regress_bob', NULL, NULL, NULL, d(3,31), done_action(2,5)),
 ('K2', 'corrective', 'closed', 'critical', 'Firewall rule', 'd', 'internal_audit', 'regress_alice', 'IT', 'process',
  d(1,20), 'regress_alice', 'rule off', 'logs read', d(1,22), 'regress_alice', 'no review', '5whys', 'all rules', true,
  d(1,25), 'regress_alice', d(2,1), 'regress_alice', d(3,10), 'regress_alice',
  true, 'review', d(4,15), 'regress_bob', 'standard v4', d(4,20), 'regress_bob', NULL, NULL, NULL, d(3,1), done_action(3,5)),
 ('K3', 'corrective', 'cancelled', 'minor', 'Duplicate', 'd', 'incident', 'regress_alice', 'OPS', NULL,
  d(2,1), 'regress_alice', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'duplicate of K2', d(2,3), 'regress_dave', NULL, NULL),
 ('K4', 'improvement', 'closed', 'observation', 'Faster onboarding', 'd', 'management_review', 'regress_alice', 'OPS', NULL,
  d(2,10), 'regress_alice', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, d(2,20), 'regress_alice', d(4,1), 'regress_alice',
  true, 'survey', d(5,1), 'regress_bob', 'checklist', d(5,10), 'regress_bob', NULL, NULL, NULL, d(6,1), done_action(3,20)),
 ('K5', 'corrective', 'open', 'major', 'Laptop unencrypted', 'd', 'internal_audit', 'regress_alice', 'IT', NULL,
  d(3,15), 'regress_alice', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, d(4,15), NULL),
 ('K6', 'corrective', 'implemented', 'minor', 'Patch late', 'd', 'incident', 'regress_alice', NULL, 'technology',
  d(4,1), 'regress_alice', 'patched', 'none', d(4,3), 'regress_alice', 'no schedule', 'fishbone', 'all servers', true,
  d(4,5), 'regress_alice', d(4,10), 'regress_alice', d(5,1), 'regress_alice',
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2099-01-01', done_action(4,20)),
 ('K7', 'corrective', 'closed', 'critical', 'Access review missed', 'd', 'incident', 'regress_alice', 'IT', 'people',
  d(1,5), 'regress_alice', 'accounts locked', 'none', d(1,6), 'regress_alice', 'no reminder', '5whys', 'all reviews', true,
  d(1,7), 'regress_alice', d(1,8), 'regress_alice', d(1,20), 'regress_alice',
  true, 'review done', d(2,10), 'regress_bob', 'calendar', d(2,15), 'regress_bob', NULL, NULL, NULL, d(2,28), done_action(1,15));
SELECT capa.capa_import('old_register') AS imported;

-- the months of 2025 (those after May repeat May's backlog and overdue)
SELECT month, opened, contained, closed, cancelled, reopened, backlog_end, overdue_end,
       mean_days_to_close, on_time_rate, improvements_closed
  FROM capa.kpi_monthly WHERE month < '2025-08-01';
SELECT count(*) = (SELECT (date_part('year', age(date_trunc('month', now() AT TIME ZONE 'UTC'), '2025-01-01')) * 12
                          + date_part('month', age(date_trunc('month', now() AT TIME ZONE 'UTC'), '2025-01-01')) + 1)::int)
       AS every_month_to_this_one
  FROM capa.kpi_monthly;
SELECT count(*) FILTER (WHERE month >= '2025-06-01' AND (backlog_end, overdue_end) <> (2, 1)) AS months_off
  FROM capa.kpi_monthly;

\x on
SELECT open_total, open_critical, open_major, open_minor, open_observation, overdue_close,
       aging_0_30, aging_31_90, aging_91_180, aging_over_180,
       closed_total, cancelled_total, reopened_total,
       mean_days_to_contain, mean_days_to_close, median_days_to_close,
       on_time_closure_rate, first_time_effective_rate, reopen_rate, recurrence_rate,
       improvements_open, improvements_closed_12m
  FROM capa.kpi_summary;
\x off
SELECT cause_category, records, open, closed, mean_days_to_close, on_time_rate, share, cumulative_share
  FROM capa.kpi_by_cause;
SELECT org_unit, records, open, overdue, closed, cancelled FROM capa.kpi_by_org_unit;

-- live steps, now: K6 found ineffective, fixed and closed; K7 reopened;
-- a new record whose analysis names K1 as a similar nonconformity
SELECT id AS k1 FROM capa.register WHERE title = 'Backups unchecked' \gset
SELECT id AS k6 FROM capa.register WHERE title = 'Patch late' \gset
SELECT id AS k7 FROM capa.register WHERE title = 'Access review missed' \gset
SELECT capa.capa_verify(:'k6', false, 'patches still late');
SELECT capa.capa_complete_action(capa.capa_add_action(:'k6', 'automate', 'regress_ops', current_date + 30), 'cron job');
SELECT capa.capa_implement(:'k6');
SELECT capa.capa_verify(:'k6', true, 'on time for a month');
SELECT capa.capa_close(:'k6', 'patch standard v3');
SELECT capa.capa_reopen(:'k7', 'missed again');
SELECT capa.capa_open('Backups unchecked again', 'd', 'major', 'internal_audit', owner => 'regress_alice',
                      close_due => now() + interval '100 days') AS k8 \gset
SELECT capa.capa_contain(:'k8', 'rerun', 'none lost');
SELECT capa.capa_analyse(:'k8', 'owner left', '5whys', 'all jobs', 'process', related => ARRAY[:'k1'::capa.capa_ref]);

-- this month: one opening, containment, closure and reopen; K5, K7 and K8 open;
-- K5 (due April 2025) and K7 (reopened, due February 2025) overdue at its end
SELECT opened, contained, closed, cancelled, reopened, backlog_end, overdue_end, on_time_rate
  FROM capa.kpi_monthly ORDER BY month DESC LIMIT 1;
\x on
SELECT open_total, closed_total, reopened_total, first_time_effective_rate, on_time_closure_rate,
       reopen_rate, recurrence_rate
  FROM capa.kpi_summary;
\x off
-- the backlog at the end of this month is what is open now
SELECT (SELECT backlog_end FROM capa.kpi_monthly ORDER BY month DESC LIMIT 1)
     = (SELECT open_total FROM capa.kpi_summary) AS backlog_is_open_total;

-- a rebuild from the register: the same, but for K7's first closure, which
-- its reopen took off its row: February 2025 loses that closure, and the
-- months before the reopen lose K7 from their backlog (its interval now
-- starts at the reopen)
SELECT capa.capa_kpi_rebuild() AS records_counted;
SELECT month, opened, closed, backlog_end, overdue_end FROM capa.kpi_monthly WHERE month < '2025-04-01';
SELECT open_total, closed_total, cancelled_total FROM capa.kpi_summary;

-- A transaction's KPI changes are written once, at its commit; until then
-- the views add them from memory, and a rolled-back subtransaction takes
-- its own back.
CREATE FUNCTION try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
SELECT sum(opened) AS committed_before FROM capa.kpi_rollup \gset
BEGIN;
SELECT capa.capa_open('Kept', 'd', 'minor', 'other') IS NOT NULL AS opened;
SAVEPOINT s;
SELECT capa.capa_open('Rolled back', 'd', 'minor', 'other') IS NOT NULL AS opened;
SELECT (SELECT sum(opened) FROM capa.kpi_monthly) - :committed_before AS seen_in_the_views,
       (SELECT sum(opened) FROM capa.kpi_rollup) - :committed_before AS written_yet;
ROLLBACK TO s;
SELECT (SELECT sum(opened) FROM capa.kpi_monthly) - :committed_before AS seen_after_rollback_to;
DO $$ BEGIN
    PERFORM capa.capa_open('Undone by its block', 'd', 'minor', 'other');
    RAISE EXCEPTION 'undo';
EXCEPTION WHEN raise_exception THEN NULL;
END $$;
SELECT (SELECT sum(opened) FROM capa.kpi_monthly) - :committed_before AS seen_after_the_block;
-- a rebuild would drop the pending totals: not in a subtransaction
SELECT try('SELECT capa.capa_kpi_rebuild()') AS rebuild_in_a_block;
COMMIT;
SELECT (SELECT sum(opened) FROM capa.kpi_rollup) - :committed_before AS written_at_commit,
       (SELECT count(*) FROM capa.register WHERE title IN ('Rolled back', 'Undone by its block')) AS rolled_back_records;

\c :regress_db
DROP DATABASE regress_capa_kpi;
