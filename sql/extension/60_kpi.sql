-- capa install script, part 60: the KPIs -- the rollup tables the triggers
-- maintain, the kpi_* views over them and over the register, and the
-- rollup's rebuild and compaction.

--
-- KPIs for BI dashboards.  The views read a small rollup that the register
-- trigger maintains (src/kpi/kpi.c) and, for what is open now, the open records
-- through a partial index; so they answer in milliseconds on a register of
-- a million records.  Every definition is written down in README.md (KPIs).
-- Months and days are UTC.  The views run with the caller's privileges
-- (security_invoker), so row-level security on the register applies.
--
CREATE TABLE @extschema@.kpi_rollup (
    month               date NOT NULL,
    kind                text NOT NULL,
    org_unit            text,
    shard               integer NOT NULL,
    opened              bigint NOT NULL,
    contained           bigint NOT NULL,
    contain_seconds     bigint NOT NULL,
    analysed            bigint NOT NULL,
    analysed_related    bigint NOT NULL,
    closed              bigint NOT NULL,
    close_seconds       bigint NOT NULL,
    closed_with_due     bigint NOT NULL,
    closed_on_time      bigint NOT NULL,
    closed_verified     bigint NOT NULL,
    closed_first_time   bigint NOT NULL,
    cancelled           bigint NOT NULL,
    reopened            bigint NOT NULL,
    backlog_delta       bigint NOT NULL,
    overdue_delta       bigint NOT NULL
);
COMMENT ON TABLE @extschema@.kpi_rollup IS
    'KPI counters per month (UTC), kind and org unit, maintained by the register trigger; one shard per backend so writers never wait for each other; read it through the kpi_* views';
COMMENT ON COLUMN @extschema@.kpi_rollup.shard IS 'backend id of the writer (0: folded by capa_kpi_compact)';
COMMENT ON COLUMN @extschema@.kpi_rollup.backlog_delta IS 'records starting (+1) and ending (-1) their open interval this month: the running sum is the backlog at month end';
COMMENT ON COLUMN @extschema@.kpi_rollup.overdue_delta IS 'records becoming overdue at this month''s end (+1) and ending overdue (-1): the running sum is the overdue count at month end';
CREATE UNIQUE INDEX kpi_rollup_key ON @extschema@.kpi_rollup (month, kind, org_unit, shard) NULLS NOT DISTINCT;

CREATE TABLE @extschema@.kpi_close_days (
    days                integer NOT NULL,
    kind                text NOT NULL,
    org_unit            text,
    shard               integer NOT NULL,
    closed              bigint NOT NULL
);
COMMENT ON TABLE @extschema@.kpi_close_days IS
    'closures by whole days from opening to closure, for the median; maintained by the register trigger';
CREATE UNIQUE INDEX kpi_close_days_key ON @extschema@.kpi_close_days (days, kind, org_unit, shard) NULLS NOT DISTINCT;

CREATE TABLE @extschema@.kpi_action_due (
    due                 date NOT NULL,
    org_unit            text,
    shard               integer NOT NULL,
    pending             bigint NOT NULL
);
CREATE UNIQUE INDEX kpi_action_due_key ON @extschema@.kpi_action_due (due, org_unit, shard) NULLS NOT DISTINCT;
COMMENT ON TABLE @extschema@.kpi_action_due IS
    'action items not done, of records not cancelled, by due date and their record''s org unit: overdue_actions without reading the items; maintained by the triggers';

-- The rollup as this transaction sees it: the committed rows and the
-- transaction's own changes, which are written only when it commits
-- (src/kpi/kpi.c), so a transaction reads its own changes in the KPIs
CREATE FUNCTION @extschema@.capa_kpi_pending_rollup() RETURNS SETOF @extschema@.kpi_rollup
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_kpi_pending_rollup() IS
    'this transaction''s KPI rollup changes, written at its commit (rows of capa.kpi_rollup)';
CREATE FUNCTION @extschema@.capa_kpi_pending_close_days() RETURNS SETOF @extschema@.kpi_close_days
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_kpi_pending_close_days() IS
    'this transaction''s capa.kpi_close_days changes, written at its commit';
CREATE VIEW @extschema@.kpi_rollup_now WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.kpi_rollup
    UNION ALL SELECT * FROM @extschema@.capa_kpi_pending_rollup();
COMMENT ON VIEW @extschema@.kpi_rollup_now IS 'capa.kpi_rollup with this transaction''s own changes, not yet written';
CREATE FUNCTION @extschema@.capa_kpi_pending_action_due() RETURNS SETOF @extschema@.kpi_action_due
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_kpi_pending_action_due() IS
    'this transaction''s capa.kpi_action_due changes, written at its commit';
CREATE VIEW @extschema@.kpi_action_due_now WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.kpi_action_due
    UNION ALL SELECT * FROM @extschema@.capa_kpi_pending_action_due();
COMMENT ON VIEW @extschema@.kpi_action_due_now IS 'capa.kpi_action_due with this transaction''s own changes, not yet written';
CREATE VIEW @extschema@.kpi_close_days_now WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.kpi_close_days
    UNION ALL SELECT * FROM @extschema@.capa_kpi_pending_close_days();
COMMENT ON VIEW @extschema@.kpi_close_days_now IS 'capa.kpi_close_days with this transaction''s own changes, not yet written';

-- what is open now, read by index only: the summary's live part.  The
-- planner uses a partial index only for a query whose WHERE clause contains
-- the predicate as written: kpi_summary and the report write
-- capa_state_open(r.state), exactly so.
CREATE INDEX register_open_kpi_idx ON @extschema@.register (state)
    INCLUDE (severity, kind, opened_at, contain_due, close_due, effectiveness_due)
    WHERE @extschema@.capa_state_open(state);
-- pending action items, for overdue_actions
CREATE INDEX action_pending_idx ON @extschema@.action (due) WHERE NOT done;

-- One row per record with the measures the kpi_by_* views group
-- (open and overdue by the rules; closed and cancelled name one state each,
-- and stay comparisons with it)
CREATE VIEW @extschema@.kpi_record WITH (security_invoker = true) AS
SELECT r.id, r.kind, r.severity, r.source, r.cause_category, r.owner, r.org_unit, r.state,
       @extschema@.capa_state_open(r.state) AS is_open,
       @extschema@.capa_overdue(r.state, r.contain_due, r.close_due, r.effectiveness_due,
                                pg_catalog.now()) IS TRUE AS is_overdue,
       r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state AS is_closed,
       r.state OPERATOR(@extschema@.=) 'cancelled'::@extschema@.capa_state AS is_cancelled,
       CASE WHEN r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state
            THEN pg_catalog.round(EXTRACT(epoch FROM r.closed_at OPERATOR(pg_catalog.-) r.opened_at)
                                  OPERATOR(pg_catalog./) 86400, 1) END AS days_to_close,
       CASE WHEN r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state
            THEN r.closed_at OPERATOR(pg_catalog.<=) r.close_due END AS closed_on_time,
       r.reopen_count, r.ineffective_count
FROM @extschema@.register r;
COMMENT ON VIEW @extschema@.kpi_record IS
    'one row per record with its KPI measures (open, overdue, days to close, on time): the drill-down behind the kpi_by_* views';

CREATE VIEW @extschema@.kpi_summary WITH (security_invoker = true) AS
WITH now_marks AS MATERIALIZED (
    -- the moments the open records are compared with, computed once
    SELECT pg_catalog.now() AS now,
           pg_catalog.now() OPERATOR(pg_catalog.-) '31 days'::interval AS age_31,
           pg_catalog.now() OPERATOR(pg_catalog.-) '91 days'::interval AS age_91,
           pg_catalog.now() OPERATOR(pg_catalog.-) '181 days'::interval AS age_181
), open_groups AS (
    -- the open records by index only, grouped by severity and age bucket:
    -- each row is compared a few times only (this is most of the view's time)
    SELECT r.severity,
           CASE WHEN r.opened_at OPERATOR(pg_catalog.>) t.age_31 THEN 0
                WHEN r.opened_at OPERATOR(pg_catalog.>) t.age_91 THEN 1
                WHEN r.opened_at OPERATOR(pg_catalog.>) t.age_181 THEN 2
                ELSE 3 END AS age,
           pg_catalog.count(*) AS n,
           -- each due date counts only in the states where it is due
           -- (src/lifecycle/rules.c, capa_dues: containment while a record is open,
           -- the effectiveness check while it is implemented); the date
           -- is compared first, so a record not past it asks no rule
           pg_catalog.count(*) FILTER (WHERE r.contain_due OPERATOR(pg_catalog.<) t.now
                                         AND @extschema@.capa_due_applies('contain'::text, r.state)) AS overdue_contain,
           pg_catalog.count(*) FILTER (WHERE r.close_due OPERATOR(pg_catalog.<) t.now
                                         AND @extschema@.capa_due_applies('close'::text, r.state)) AS overdue_close,
           pg_catalog.count(*) FILTER (WHERE r.effectiveness_due OPERATOR(pg_catalog.<) t.now
                                         AND @extschema@.capa_due_applies('effectiveness'::text, r.state)) AS overdue_effectiveness,
           pg_catalog.count(*) FILTER (WHERE @extschema@.capa_overdue(r.state, r.contain_due, r.close_due,
                                                                      r.effectiveness_due, t.now)) AS overdue_total,
           pg_catalog.count(*) FILTER (WHERE r.kind OPERATOR(pg_catalog.=) 'improvement') AS improvements_open
    FROM now_marks t, @extschema@.register r
    -- as register_open_kpi_idx's predicate is written: read by index only
    WHERE @extschema@.capa_state_open(r.state)
    GROUP BY 1, 2
), open_now AS (
    SELECT COALESCE(pg_catalog.sum(g.n), 0)::bigint AS open_total,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.severity OPERATOR(@extschema@.=) 'critical'::@extschema@.capa_severity), 0)::bigint AS open_critical,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.severity OPERATOR(@extschema@.=) 'major'::@extschema@.capa_severity), 0)::bigint AS open_major,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.severity OPERATOR(@extschema@.=) 'minor'::@extschema@.capa_severity), 0)::bigint AS open_minor,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.severity OPERATOR(@extschema@.=) 'observation'::@extschema@.capa_severity), 0)::bigint AS open_observation,
           COALESCE(pg_catalog.sum(g.overdue_contain), 0)::bigint AS overdue_contain,
           COALESCE(pg_catalog.sum(g.overdue_close), 0)::bigint AS overdue_close,
           COALESCE(pg_catalog.sum(g.overdue_effectiveness), 0)::bigint AS overdue_effectiveness,
           COALESCE(pg_catalog.sum(g.overdue_total), 0)::bigint AS overdue_total,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.age OPERATOR(pg_catalog.=) 0), 0)::bigint AS aging_0_30,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.age OPERATOR(pg_catalog.=) 1), 0)::bigint AS aging_31_90,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.age OPERATOR(pg_catalog.=) 2), 0)::bigint AS aging_91_180,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.age OPERATOR(pg_catalog.=) 3), 0)::bigint AS aging_over_180,
           COALESCE(pg_catalog.sum(g.improvements_open), 0)::bigint AS improvements_open
    FROM open_groups g
), pending_actions AS (
    -- items of a closed record are all done; a cancelled record's do not count
    SELECT COALESCE(pg_catalog.sum(d.pending), 0)::bigint AS overdue_actions
    FROM @extschema@.kpi_action_due_now d
    WHERE d.due OPERATOR(pg_catalog.<) (pg_catalog.timezone('UTC', pg_catalog.now()))::date
), history AS (
    SELECT pg_catalog.sum(k.contained) AS contained, pg_catalog.sum(k.contain_seconds) AS contain_seconds,
           pg_catalog.sum(k.analysed) AS analysed, pg_catalog.sum(k.analysed_related) AS analysed_related,
           pg_catalog.sum(k.closed) AS closed, pg_catalog.sum(k.close_seconds) AS close_seconds,
           pg_catalog.sum(k.closed_with_due) AS closed_with_due, pg_catalog.sum(k.closed_on_time) AS closed_on_time,
           pg_catalog.sum(k.closed_verified) AS closed_verified, pg_catalog.sum(k.closed_first_time) AS closed_first_time,
           pg_catalog.sum(k.cancelled) AS cancelled, pg_catalog.sum(k.reopened) AS reopened,
           pg_catalog.sum(k.closed) FILTER (
               WHERE k.kind OPERATOR(pg_catalog.=) 'improvement'
                 AND k.month OPERATOR(pg_catalog.>=) (pg_catalog.date_trunc('month', pg_catalog.timezone('UTC', pg_catalog.now()))
                                                      OPERATOR(pg_catalog.-) '11 months'::interval)::date
                 AND k.month OPERATOR(pg_catalog.<=) pg_catalog.timezone('UTC', pg_catalog.now())::date) AS improvements_closed_12m
    FROM @extschema@.kpi_rollup_now k
), close_days AS (
    SELECT d.days, pg_catalog.sum(d.closed) AS closed
    FROM @extschema@.kpi_close_days_now d
    GROUP BY d.days
), median AS (
    -- the lower median: the first whole-day value reaching half the closures
    SELECT pg_catalog.min(c.days) AS median_days_to_close
    FROM (SELECT cd.days,
                 pg_catalog.sum(cd.closed) OVER (ORDER BY cd.days) AS running,
                 pg_catalog.sum(cd.closed) OVER () AS total
          FROM close_days cd) c
    WHERE c.running OPERATOR(pg_catalog.*) 2 OPERATOR(pg_catalog.>=) c.total
)
SELECT pg_catalog.now() AS as_of,
       o.open_total, o.open_critical, o.open_major, o.open_minor, o.open_observation,
       o.overdue_total, o.overdue_contain, o.overdue_close, o.overdue_effectiveness,
       p.overdue_actions,
       o.aging_0_30, o.aging_31_90, o.aging_91_180, o.aging_over_180,
       COALESCE(h.closed, 0)::bigint AS closed_total,
       COALESCE(h.cancelled, 0)::bigint AS cancelled_total,
       COALESCE(h.reopened, 0)::bigint AS reopened_total,
       pg_catalog.round(h.contain_seconds OPERATOR(pg_catalog./) NULLIF(h.contained, 0) OPERATOR(pg_catalog./) 86400, 1) AS mean_days_to_contain,
       pg_catalog.round(h.close_seconds OPERATOR(pg_catalog./) NULLIF(h.closed, 0) OPERATOR(pg_catalog./) 86400, 1) AS mean_days_to_close,
       m.median_days_to_close,
       pg_catalog.round(h.closed_on_time OPERATOR(pg_catalog./) NULLIF(h.closed_with_due, 0), 4) AS on_time_closure_rate,
       pg_catalog.round(h.closed_first_time OPERATOR(pg_catalog./) NULLIF(h.closed_verified, 0), 4) AS first_time_effective_rate,
       pg_catalog.round(h.reopened OPERATOR(pg_catalog./) NULLIF(h.closed, 0), 4) AS reopen_rate,
       pg_catalog.round(h.analysed_related OPERATOR(pg_catalog./) NULLIF(h.analysed, 0), 4) AS recurrence_rate,
       o.improvements_open,
       COALESCE(h.improvements_closed_12m, 0)::bigint AS improvements_closed_12m
FROM open_now o, pending_actions p, history h, median m;
COMMENT ON VIEW @extschema@.kpi_summary IS
    'one row: the register''s KPIs now (open, overdue, aging, time to contain and close, on-time, first-time effective, reopen and recurrence rates, improvement throughput); definitions in README.md';

CREATE VIEW @extschema@.kpi_monthly WITH (security_invoker = true) AS
WITH by_month AS (
    SELECT k.month,
           pg_catalog.sum(k.opened) AS opened, pg_catalog.sum(k.contained) AS contained,
           pg_catalog.sum(k.closed) AS closed, pg_catalog.sum(k.close_seconds) AS close_seconds,
           pg_catalog.sum(k.closed_with_due) AS closed_with_due, pg_catalog.sum(k.closed_on_time) AS closed_on_time,
           pg_catalog.sum(k.cancelled) AS cancelled, pg_catalog.sum(k.reopened) AS reopened,
           pg_catalog.sum(k.backlog_delta) AS backlog_delta, pg_catalog.sum(k.overdue_delta) AS overdue_delta,
           pg_catalog.sum(k.closed) FILTER (WHERE k.kind OPERATOR(pg_catalog.=) 'improvement') AS improvements_closed
    FROM @extschema@.kpi_rollup_now k
    GROUP BY k.month
), months AS (
    -- every month from the first with data to this one (UTC), gaps included
    SELECT pg_catalog.generate_series(pg_catalog.min(b.month)::timestamp,
                                      pg_catalog.date_trunc('month', pg_catalog.timezone('UTC', pg_catalog.now())),
                                      '1 month'::interval)::date AS month
    FROM by_month b
)
SELECT s.month,
       COALESCE(b.opened, 0)::bigint AS opened,
       COALESCE(b.contained, 0)::bigint AS contained,
       COALESCE(b.closed, 0)::bigint AS closed,
       COALESCE(b.cancelled, 0)::bigint AS cancelled,
       COALESCE(b.reopened, 0)::bigint AS reopened,
       (pg_catalog.sum(COALESCE(b.backlog_delta, 0)) OVER w)::bigint AS backlog_end,
       (pg_catalog.sum(COALESCE(b.overdue_delta, 0)) OVER w)::bigint AS overdue_end,
       pg_catalog.round(b.close_seconds OPERATOR(pg_catalog./) NULLIF(b.closed, 0) OPERATOR(pg_catalog./) 86400, 1) AS mean_days_to_close,
       pg_catalog.round(b.closed_on_time OPERATOR(pg_catalog./) NULLIF(b.closed_with_due, 0), 4) AS on_time_rate,
       COALESCE(b.improvements_closed, 0)::bigint AS improvements_closed
FROM months s
LEFT JOIN by_month b ON b.month OPERATOR(pg_catalog.=) s.month
WINDOW w AS (ORDER BY s.month)
ORDER BY s.month;
COMMENT ON VIEW @extschema@.kpi_monthly IS
    'one row per month (UTC) from the first with data to this one: opened, contained, closed (by close month), cancelled, reopened, backlog and overdue at month end, mean days to close and on-time rate of that month''s closures';

-- The breakdowns, one per dimension, all from kpi_record: counts, time to
-- close, on-time rate, and the Pareto share (cumulative, largest first)
DO $kpi_by$
DECLARE
    d record;
BEGIN
    FOR d IN SELECT * FROM (VALUES
        ('kpi_by_source', 'source', 'source'),
        ('kpi_by_severity', 'severity', 'severity'),
        ('kpi_by_cause', 'cause_category', 'cause category (NULL: not analysed yet)'),
        ('kpi_by_owner', 'owner', 'owner'),
        ('kpi_by_org_unit', 'org_unit', 'org unit')) AS v(view_name, col, label)
    LOOP
        EXECUTE pg_catalog.format($view$
            CREATE VIEW @extschema@.%1$I WITH (security_invoker = true) AS
            SELECT k.%2$I,
                   pg_catalog.count(*) AS records,
                   pg_catalog.count(*) FILTER (WHERE k.is_open) AS open,
                   pg_catalog.count(*) FILTER (WHERE k.is_overdue) AS overdue,
                   pg_catalog.count(*) FILTER (WHERE k.is_closed) AS closed,
                   pg_catalog.count(*) FILTER (WHERE k.is_cancelled) AS cancelled,
                   pg_catalog.round(pg_catalog.avg(k.days_to_close), 1) AS mean_days_to_close,
                   pg_catalog.round(pg_catalog.avg(CASE WHEN k.closed_on_time THEN 1 WHEN NOT k.closed_on_time THEN 0 END), 4) AS on_time_rate,
                   pg_catalog.round(pg_catalog.count(*) OPERATOR(pg_catalog./) (pg_catalog.sum(pg_catalog.count(*)) OVER ()), 4) AS share,
                   pg_catalog.round(pg_catalog.sum(pg_catalog.count(*)) OVER (ORDER BY pg_catalog.count(*) DESC, k.%2$I ROWS UNBOUNDED PRECEDING)
                                    OPERATOR(pg_catalog./) (pg_catalog.sum(pg_catalog.count(*)) OVER ()), 4) AS cumulative_share
            FROM @extschema@.kpi_record k
            GROUP BY k.%2$I
            ORDER BY records DESC, k.%2$I
        $view$, d.view_name, d.col);
        EXECUTE pg_catalog.format('COMMENT ON VIEW @extschema@.%I IS %L', d.view_name,
            'records by ' OPERATOR(pg_catalog.||) d.label OPERATOR(pg_catalog.||) ': open, overdue, closed, cancelled, mean days to close, on-time rate, share and cumulative share (Pareto, largest first)');
    END LOOP;
END
$kpi_by$;

CREATE FUNCTION @extschema@.capa_kpi_rebuild() RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_kpi_rebuild() IS
    'recomputes the KPI rollup from the register (after a restore from an older dump, an upgrade, or to check it); blocks register writers meanwhile; returns the records counted. A reopened record''s earlier closures are not on its row, so a rebuild does not count them';

-- Fold every backend's shard into shard 0 (fewer rows to add up); safe at
-- any time, writers only wait for it while it runs
CREATE FUNCTION @extschema@.capa_kpi_compact() RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $compact$
WITH gone AS (
    DELETE FROM @extschema@.kpi_rollup k WHERE k.shard OPERATOR(pg_catalog.<>) 0 RETURNING k.*
), folded AS (
    INSERT INTO @extschema@.kpi_rollup AS k (month, kind, org_unit, shard,
        opened, contained, contain_seconds, analysed, analysed_related, closed, close_seconds,
        closed_with_due, closed_on_time, closed_verified, closed_first_time, cancelled, reopened,
        backlog_delta, overdue_delta)
    SELECT g.month, g.kind, g.org_unit, 0,
        pg_catalog.sum(g.opened), pg_catalog.sum(g.contained), pg_catalog.sum(g.contain_seconds),
        pg_catalog.sum(g.analysed), pg_catalog.sum(g.analysed_related), pg_catalog.sum(g.closed),
        pg_catalog.sum(g.close_seconds), pg_catalog.sum(g.closed_with_due), pg_catalog.sum(g.closed_on_time),
        pg_catalog.sum(g.closed_verified), pg_catalog.sum(g.closed_first_time), pg_catalog.sum(g.cancelled),
        pg_catalog.sum(g.reopened), pg_catalog.sum(g.backlog_delta), pg_catalog.sum(g.overdue_delta)
    FROM gone g
    GROUP BY g.month, g.kind, g.org_unit
    ON CONFLICT (month, kind, org_unit, shard) DO UPDATE SET
        opened = k.opened OPERATOR(pg_catalog.+) EXCLUDED.opened,
        contained = k.contained OPERATOR(pg_catalog.+) EXCLUDED.contained,
        contain_seconds = k.contain_seconds OPERATOR(pg_catalog.+) EXCLUDED.contain_seconds,
        analysed = k.analysed OPERATOR(pg_catalog.+) EXCLUDED.analysed,
        analysed_related = k.analysed_related OPERATOR(pg_catalog.+) EXCLUDED.analysed_related,
        closed = k.closed OPERATOR(pg_catalog.+) EXCLUDED.closed,
        close_seconds = k.close_seconds OPERATOR(pg_catalog.+) EXCLUDED.close_seconds,
        closed_with_due = k.closed_with_due OPERATOR(pg_catalog.+) EXCLUDED.closed_with_due,
        closed_on_time = k.closed_on_time OPERATOR(pg_catalog.+) EXCLUDED.closed_on_time,
        closed_verified = k.closed_verified OPERATOR(pg_catalog.+) EXCLUDED.closed_verified,
        closed_first_time = k.closed_first_time OPERATOR(pg_catalog.+) EXCLUDED.closed_first_time,
        cancelled = k.cancelled OPERATOR(pg_catalog.+) EXCLUDED.cancelled,
        reopened = k.reopened OPERATOR(pg_catalog.+) EXCLUDED.reopened,
        backlog_delta = k.backlog_delta OPERATOR(pg_catalog.+) EXCLUDED.backlog_delta,
        overdue_delta = k.overdue_delta OPERATOR(pg_catalog.+) EXCLUDED.overdue_delta
    RETURNING 1
), gone_days AS (
    DELETE FROM @extschema@.kpi_close_days d WHERE d.shard OPERATOR(pg_catalog.<>) 0 RETURNING d.*
), folded_days AS (
    INSERT INTO @extschema@.kpi_close_days AS d (days, kind, org_unit, shard, closed)
    SELECT g.days, g.kind, g.org_unit, 0, pg_catalog.sum(g.closed)
    FROM gone_days g
    GROUP BY g.days, g.kind, g.org_unit
    ON CONFLICT (days, kind, org_unit, shard) DO UPDATE SET
        closed = d.closed OPERATOR(pg_catalog.+) EXCLUDED.closed
    RETURNING 1
), gone_due AS (
    DELETE FROM @extschema@.kpi_action_due a WHERE a.shard OPERATOR(pg_catalog.<>) 0 RETURNING a.*
), folded_due AS (
    INSERT INTO @extschema@.kpi_action_due AS a (due, org_unit, shard, pending)
    SELECT g.due, g.org_unit, 0, pg_catalog.sum(g.pending)
    FROM gone_due g
    GROUP BY g.due, g.org_unit
    ON CONFLICT (due, org_unit, shard) DO UPDATE SET
        pending = a.pending OPERATOR(pg_catalog.+) EXCLUDED.pending
    RETURNING 1
)
SELECT (SELECT pg_catalog.count(*) FROM gone) OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM gone_days)
       OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM gone_due)
$compact$;
COMMENT ON FUNCTION @extschema@.capa_kpi_compact() IS
    'folds the KPI rollup''s per-backend shards into one; returns the rows folded. Optional housekeeping (e.g. nightly with pg_cron): the KPIs are the same before and after';

-- Logical replication (README: Replicas): the triggers update the rollup
-- tables in place (and capa_kpi_compact and capa_kpi_rebuild delete from
-- them); a table in a publication that publishes UPDATE or DELETE needs a
-- replica identity, or every such statement on the primary fails with
-- 55000, and with it every lifecycle step.  Their unique keys cannot be the
-- identity (org_unit is nullable, NULLS NOT DISTINCT), so the whole old row
-- is.
ALTER TABLE @extschema@.kpi_rollup REPLICA IDENTITY FULL;
ALTER TABLE @extschema@.kpi_close_days REPLICA IDENTITY FULL;
ALTER TABLE @extschema@.kpi_action_due REPLICA IDENTITY FULL;

-- KPIs of governed change: per record, and the totals an auditor asks for
-- (records rescheduled, how often at most; on time against the current
-- and against the first close due date)
CREATE VIEW @extschema@.kpi_change WITH (security_invoker = true) AS
SELECT r.id, r.kind, r.severity, r.owner, r.org_unit, r.state,
       COALESCE(r.reschedule_count, 0) AS reschedule_count,
       COALESCE(r.reassign_count, 0) AS reassign_count,
       COALESCE(r.reanalyse_count, 0) AS reanalyse_count,
       COALESCE(r.original_close_due, r.close_due) AS first_close_due,
       r.close_due,
       CASE WHEN r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state
            THEN r.closed_at OPERATOR(pg_catalog.<=) r.close_due END AS closed_on_time,
       CASE WHEN r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state
            THEN r.closed_at OPERATOR(pg_catalog.<=) COALESCE(r.original_close_due, r.close_due) END
           AS closed_on_first_due,
       (SELECT pg_catalog.count(*) FROM @extschema@.action a
         WHERE a.capa_id OPERATOR(@extschema@.=) r.id AND a.cancelled_at IS NOT NULL) AS cancelled_actions
FROM @extschema@.register r;
COMMENT ON VIEW @extschema@.kpi_change IS
    'one row per record: how often it was rescheduled, reassigned and re-analysed, its first and current close due date, whether it closed on time against each, its cancelled action items';

CREATE VIEW @extschema@.kpi_change_summary WITH (security_invoker = true) AS
SELECT pg_catalog.count(*) FILTER (WHERE k.reschedule_count OPERATOR(pg_catalog.>) 0) AS records_rescheduled,
       COALESCE(pg_catalog.sum(k.reschedule_count), 0)::bigint AS reschedules,
       COALESCE(pg_catalog.max(k.reschedule_count), 0) AS max_reschedules,
       pg_catalog.count(*) FILTER (WHERE k.reassign_count OPERATOR(pg_catalog.>) 0) AS records_reassigned,
       COALESCE(pg_catalog.sum(k.reassign_count), 0)::bigint AS reassignments,
       pg_catalog.count(*) FILTER (WHERE k.reanalyse_count OPERATOR(pg_catalog.>) 0) AS records_reanalysed,
       COALESCE(pg_catalog.sum(k.reanalyse_count), 0)::bigint AS reanalyses,
       pg_catalog.count(*) FILTER (WHERE k.closed_on_time) AS closed_on_time,
       pg_catalog.count(*) FILTER (WHERE k.closed_on_first_due) AS closed_on_first_due,
       COALESCE(pg_catalog.sum(k.cancelled_actions), 0)::bigint AS cancelled_actions
FROM @extschema@.kpi_change k;
COMMENT ON VIEW @extschema@.kpi_change_summary IS
    'records rescheduled (and the most reschedules of one), records reassigned, records re-analysed, closed on time against the current and the first due date, action items cancelled';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.kpi_rollup', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.kpi_close_days', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.kpi_action_due', '');

GRANT SELECT ON @extschema@.kpi_rollup, @extschema@.kpi_close_days, @extschema@.kpi_record,
    @extschema@.kpi_rollup_now, @extschema@.kpi_close_days_now, @extschema@.kpi_action_due,
    @extschema@.kpi_action_due_now,
    @extschema@.kpi_summary, @extschema@.kpi_monthly, @extschema@.kpi_by_source,
    @extschema@.kpi_by_severity, @extschema@.kpi_by_cause, @extschema@.kpi_by_owner,
    @extschema@.kpi_by_org_unit, @extschema@.kpi_change, @extschema@.kpi_change_summary TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_kpi_pending_rollup(),
    @extschema@.capa_kpi_pending_close_days(), @extschema@.capa_kpi_pending_action_due() TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_kpi_compact(), @extschema@.capa_kpi_rebuild() TO capa_admin;
