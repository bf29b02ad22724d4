-- capa 0.2.0 -> 0.3.0 (in development): closing the trust holes a hostile
-- holder of capa's roles found (docs/security.md states the threat model
-- and the rules each section below keeps).  CREATE EXTENSION capa runs
-- capa--0.1.0.sql, capa--0.1.0--0.2.0.sql and then this script; ALTER
-- EXTENSION capa UPDATE runs this script on a database that has 0.2.0 and
-- its data.
--
-- Rules for this file: as in capa--0.1.0--0.2.0.sql (every object
-- schema-qualified, nothing granted to PUBLIC, new tables registered with
-- pg_extension_config_dump, no statement that rewrites or re-hashes
-- existing rows).
\echo Use "ALTER EXTENSION capa UPDATE TO '0.3.0'" to load this file. \quit

-- [links] target rows looked up as the table's owner, restricted
--
-- capa.broken_link is read by whoever audits the links (a DBA, a
-- superuser) without naming the tables they point into: an editor chose
-- them.  0.2.0 compared x.<key>::text with the stored key with the
-- reader's privileges, so a cast, input function, domain check, policy or
-- index predicate the table's owner defined ran as the reader (a
-- superuser reading the view could be made to grant the owner anything).
-- Now each table is checked by capa_link_check() (src/link_check.c): the
-- reader's SELECT privilege and row-level security are judged first,
-- without running the owner's code; the rows are then looked up as the
-- table's owner under SECURITY_RESTRICTED_OPERATION (src/restricted.c),
-- the key read by its type's input function and compared with the primary
-- key index's equality, each key in a subtransaction that is rolled back;
-- an error the owner's code raises reports that key as "not checked:
-- <message>" instead of failing the view for everyone.
CREATE FUNCTION @extschema@.capa_link_check(target regclass)
    RETURNS TABLE (key text, problem text)
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_link_check(regclass) IS
    'the active links into target (as the caller sees capa.link) that are broken or not checked: row gone, table dropped, primary key changed, not checked: <why>; rows looked up as the table''s owner, restricted, after the caller''s SELECT privilege was checked';

CREATE OR REPLACE FUNCTION @extschema@.capa_broken_links()
    RETURNS TABLE (link_id bigint, capa_id @extschema@.capa_ref, target_name text, key text, problem text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $broken$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT DISTINCT l.target FROM @extschema@.link l WHERE l.unlinked_at IS NULL LOOP
        RETURN QUERY
            SELECT l.id, l.capa_id, l.target_name, l.key, c.problem
              FROM @extschema@.link l
              JOIN @extschema@.capa_link_check(t.target) c ON c.key OPERATOR(pg_catalog.=) l.key
             WHERE l.target OPERATOR(pg_catalog.=) t.target AND l.unlinked_at IS NULL;
    END LOOP;
END
$broken$;
COMMENT ON FUNCTION @extschema@.capa_broken_links() IS
    'active links whose target row or table has gone; tables the caller cannot read (or that row-level security restricts for the caller) are reported as not checked; rows are looked up as each table''s owner, restricted (capa_link_check)';

REVOKE ALL ON FUNCTION @extschema@.capa_link_check(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.capa_link_check(regclass) TO capa_reader;

-- end of [links]
--
--
--
-- [report] non-finite timestamps, Unicode blanks, XML non-characters
--
-- Data any editor may write must not make a reader's function fail or its
-- output ill-formed, for them or anyone else:
--   - dates and times: every one a user gives is refused with 22023 unless
--     finite (src/finite_time.c: capa_open's and the register's due dates,
--     action items' due, capa_import's stamps and dues, an intake's
--     constant due dates).  capa_open(close_due => '-infinity') was taken
--     by 0.2.0 and made capa_report_html() fail with 22008 for everyone: the
--     report lists such a record as overdue with its due date as stored
--     and no number of days (the other readers already coped).
--   - blank text: one rule, capa_text_blank() in C and capa_blank(text) in
--     SQL (src/text_blank.c): Unicode White_Space and the invisible format
--     characters (U+200B-U+200D, U+2060, U+FEFF, U+180E; since extended to every
--     Default_Ignorable_Code_Point and U+2800) in a UTF-8
--     database, ASCII whitespace in others.  capa_conformance and the
--     review snapshot's label judged with the regex class [:space:]; now
--     with capa_blank.  (The label's CHECK constraint keeps [:space:]: a
--     restored snapshot must load as it was taken.)
--   - report_escape, through which every text of capa_report_html passes,
--     writes the characters XML does not allow and Unicode's
--     non-characters as U+FFFD: C0 controls but tab, LF and CR, DEL and the
--     C1 controls, the bidirectional embeddings, overrides and isolates
--     (U+202A-U+202E, U+2066-U+2069), U+FDD0-U+FDEF, and U+xFFFE/U+xFFFF of
--     every plane.  The
--     text is stored as given (0.2.0 stored it too); the page is well-formed.
CREATE FUNCTION @extschema@.capa_blank(value text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.capa_blank(text) IS
    'whether text is empty or shows nothing (Unicode White_Space, every Default_Ignorable_Code_Point such as U+00AD, U+200B-U+200F, U+2060, U+3164, U+FEFF, U+180E, and U+2800; ASCII whitespace in a database that is not UTF-8): the rule capa applies to every required text';

-- One review snapshot at a time (the fill trigger below takes this turn):
-- an object lock no SQL command takes, for capa_admin only
CREATE FUNCTION @extschema@.capa_review_snapshot_turn() RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_review_snapshot_turn() IS
    'waits for, and holds to the end of the transaction, the turn to take a review snapshot (so each links to the one before); a lock no other role can take';
REVOKE ALL ON FUNCTION @extschema@.capa_review_snapshot_turn() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.capa_review_snapshot_turn() TO capa_admin;

CREATE OR REPLACE FUNCTION @extschema@.report_escape(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $escape$
-- & first, so the entities the other replacements make stay intact; the
-- characters XML 1.0 does not allow, and Unicode's non-characters, become
-- U+FFFD: C0 controls but tab, LF and CR; DEL and the C1 controls;
-- U+FDD0-U+FDEF; U+xFFFE and U+xFFFF of every plane; and the bidirectional
-- embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), with
-- which a title could reverse the text shown after it in the page
SELECT pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
           pg_catalog.regexp_replace(COALESCE(value, ''),
               '[\x01-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069\uFDD0-\uFDEF\uFFFE\uFFFF\U0001FFFE\U0001FFFF\U0002FFFE\U0002FFFF\U0003FFFE\U0003FFFF\U0004FFFE\U0004FFFF\U0005FFFE\U0005FFFF\U0006FFFE\U0006FFFF\U0007FFFE\U0007FFFF\U0008FFFE\U0008FFFF\U0009FFFE\U0009FFFF\U000AFFFE\U000AFFFF\U000BFFFE\U000BFFFF\U000CFFFE\U000CFFFF\U000DFFFE\U000DFFFF\U000EFFFE\U000EFFFF\U000FFFFE\U000FFFFF\U0010FFFE\U0010FFFF]',
               U&'\FFFD', 'g'),
           '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$escape$;
COMMENT ON FUNCTION @extschema@.report_escape(text) IS
    'text made safe for HTML and SVG content and attribute values (& < > " '' escaped; control characters, DEL, C1 controls, bidirectional embeddings, overrides and isolates, and Unicode non-characters replaced by U+FFFD); NULL gives the empty string';

-- the overdue list copes with a due date stored as -infinity
CREATE OR REPLACE FUNCTION @extschema@.capa_report_html(
        period_start date DEFAULT (pg_catalog.date_trunc('month', pg_catalog.timezone('UTC', pg_catalog.now()))
                                   OPERATOR(pg_catalog.-) '11 months'::interval)::date,
        period_end date DEFAULT pg_catalog.timezone('UTC', pg_catalog.now())::date,
        title text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $report$
DECLARE
    esc_title text := @extschema@.report_escape(COALESCE(title, 'Nonconformities, corrective actions and improvement'));
    today date := pg_catalog.timezone('UTC', pg_catalog.now())::date;
    first_month date;
    last_month date;
    s record;           -- capa.kpi_summary
    m record;           -- the period's months, as arrays
    c record;           -- the Pareto of causes, as arrays
    d record;           -- the latest digest
    overdue_rows text;
    overdue_shown integer;
    overdue_all bigint;
    tiles text;
    html text;
BEGIN
    IF period_start IS NULL OR period_end IS NULL THEN
        RAISE EXCEPTION 'period_start and period_end must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF NOT pg_catalog.isfinite(period_start) OR NOT pg_catalog.isfinite(period_end) THEN
        RAISE EXCEPTION 'the report period must be finite dates' USING ERRCODE = '22023';
    END IF;
    IF period_end < period_start THEN
        RAISE EXCEPTION 'the report period ends before it starts'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('period_start is %s, period_end is %s.',
                                             pg_catalog.to_char(period_start, 'YYYY-MM-DD'), pg_catalog.to_char(period_end, 'YYYY-MM-DD'));
    END IF;
    -- whole months (UTC) that overlap the period, up to this one: later
    -- months have no figures yet
    first_month := pg_catalog.date_trunc('month', period_start)::date;
    last_month := pg_catalog.date_trunc('month', LEAST(period_end, today))::date;
    IF (pg_catalog.date_part('year', period_end) - pg_catalog.date_part('year', period_start)) * 12
       + pg_catalog.date_part('month', period_end) - pg_catalog.date_part('month', period_start) >= 120 THEN
        RAISE EXCEPTION 'the report period is longer than 120 months'
            USING ERRCODE = '22023', HINT = 'Report on ten years or less; the monthly charts need room for their bars.';
    END IF;

    SELECT * INTO s FROM @extschema@.kpi_summary;

    SELECT pg_catalog.array_agg(pg_catalog.to_char(g.month, 'Mon YY') ORDER BY g.month) AS labels,
           pg_catalog.array_agg(k.backlog_end::numeric ORDER BY g.month) AS backlog,
           pg_catalog.array_agg(k.overdue_end::numeric ORDER BY g.month) AS overdue,
           pg_catalog.array_agg(COALESCE(k.opened, 0)::numeric ORDER BY g.month) AS opened,
           pg_catalog.array_agg(COALESCE(k.closed, 0)::numeric ORDER BY g.month) AS closed,
           pg_catalog.array_agg(k.on_time_rate ORDER BY g.month) AS on_time,
           COALESCE(pg_catalog.sum(k.opened), 0) AS opened_sum,
           COALESCE(pg_catalog.sum(k.closed), 0) AS closed_sum,
           COALESCE(pg_catalog.sum(k.cancelled), 0) AS cancelled_sum,
           COALESCE(pg_catalog.sum(k.reopened), 0) AS reopened_sum
      INTO m
      FROM pg_catalog.generate_series(first_month::timestamp, last_month::timestamp, '1 month'::interval) AS g(month)
      LEFT JOIN @extschema@.kpi_monthly k ON k.month OPERATOR(pg_catalog.=) g.month::date;

    -- causes of analysed records, largest first (at most 10 bars; the
    -- cumulative share counts them all), and the records without a cause
    SELECT pg_catalog.array_agg(p.cause_category ORDER BY p.rank) FILTER (WHERE p.shown) AS labels,
           pg_catalog.array_agg(p.records::numeric ORDER BY p.rank) FILTER (WHERE p.shown) AS records,
           pg_catalog.array_agg(p.cumulative ORDER BY p.rank) FILTER (WHERE p.shown) AS cumulative,
           pg_catalog.count(*) FILTER (WHERE p.cause_category IS NOT NULL) AS causes,
           COALESCE(pg_catalog.sum(p.records) FILTER (WHERE p.cause_category IS NULL), 0) AS unanalysed
      INTO c
      FROM (SELECT b.cause_category, b.records,
                   b.cause_category IS NOT NULL AND pg_catalog.row_number() OVER w OPERATOR(pg_catalog.<=) 10 AS shown,
                   pg_catalog.row_number() OVER w AS rank,
                   pg_catalog.sum(b.records) OVER w OPERATOR(pg_catalog./) pg_catalog.sum(b.records) OVER all_of AS cumulative
              FROM @extschema@.kpi_by_cause b
            WINDOW all_of AS (PARTITION BY b.cause_category IS NULL),
                   w AS (all_of ORDER BY b.records DESC, b.cause_category ROWS UNBOUNDED PRECEDING)) p;

    SELECT g.digest, g.issued_at, g.issued_by INTO d
      FROM @extschema@.digest g ORDER BY g.id DESC LIMIT 1;

    -- the overdue records, longest overdue first: open, with a due date
    -- missed, as kpi_record defines it (test/report.sh checks they agree);
    -- the due date shown is the earliest one missed
    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<tr><td>%s</td><td>%s</td><td class="sev-%s">%s</td><td>%s</td><td>%s</td><td>%s</td><td class="num">%s</td></tr>',
               @extschema@.report_escape(o.id), @extschema@.report_escape(o.title), @extschema@.report_escape(o.severity),
               @extschema@.report_escape(o.severity), @extschema@.report_escape(o.owner), @extschema@.report_escape(o.missed),
               CASE WHEN pg_catalog.isfinite(o.due) THEN pg_catalog.to_char(o.due, 'YYYY-MM-DD') ELSE o.due::text END,
               o.days), '' ORDER BY o.due, o.sev DESC, o.ref),
           pg_catalog.count(*), pg_catalog.max(o.total)
      INTO overdue_rows, overdue_shown, overdue_all
      FROM (SELECT r.id::text AS id, r.id AS ref, r.title, r.severity::text AS severity, r.severity AS sev, r.owner,
                   pg_catalog.concat_ws(', ', CASE WHEN x.contain IS NOT NULL THEN 'containment' END,
                                        CASE WHEN x.close IS NOT NULL THEN 'closure' END,
                                        CASE WHEN x.effectiveness IS NOT NULL THEN 'effectiveness check' END) AS missed,
                   pg_catalog.timezone('UTC', x.first)::date AS due,
                   -- a due date stored as -infinity (0.2.0 took one) is overdue by no number of days
                   CASE WHEN pg_catalog.isfinite(x.first)
                        THEN pg_catalog.floor(EXTRACT(epoch FROM pg_catalog.now() OPERATOR(pg_catalog.-) x.first) / 86400)::bigint
                   END AS days,
                   pg_catalog.count(*) OVER () AS total
              FROM @extschema@.register r
             -- the due dates missed, and the first of them
             CROSS JOIN LATERAL (SELECT y.contain, y.close, y.effectiveness,
                                        LEAST(y.contain, y.close, y.effectiveness) AS first
                                   FROM (SELECT
                       -- each due date in the states where it is due (src/rules.c, [facts])
                       CASE WHEN @extschema@.capa_due_applies('contain'::text, r.state)
                                 AND r.contain_due < pg_catalog.now() THEN r.contain_due END AS contain,
                       CASE WHEN @extschema@.capa_due_applies('close'::text, r.state)
                                 AND r.close_due < pg_catalog.now() THEN r.close_due END AS close,
                       CASE WHEN @extschema@.capa_due_applies('effectiveness'::text, r.state)
                                 AND r.effectiveness_due < pg_catalog.now() THEN r.effectiveness_due END AS effectiveness) y) x
             WHERE @extschema@.capa_state_open(r.state) AND x.first IS NOT NULL
             ORDER BY due, sev DESC, ref
             LIMIT 50) o;

    -- the headline figures: the register now, and rates over every closure
    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<div class="tile%s"><div class="value">%s</div><div class="name">%s</div><div class="note">%s</div></div>',
               CASE WHEN t.alert THEN ' alert' END, @extschema@.report_escape(t.value),
               @extschema@.report_escape(t.name), @extschema@.report_escape(t.note)), '' ORDER BY t.ord)
      INTO tiles
      FROM (VALUES
        (1, s.open_total::text, 'open records', pg_catalog.format('%s critical, %s major, %s minor, %s observation',
             s.open_critical, s.open_major, s.open_minor, s.open_observation), false),
        (2, s.overdue_total::text, 'overdue records', pg_catalog.format('%s containment, %s closure, %s effectiveness check; %s action items overdue',
             s.overdue_contain, s.overdue_close, s.overdue_effectiveness, s.overdue_actions), s.overdue_total > 0),
        (3, COALESCE(s.mean_days_to_close::text || ' d', U&'\2013'), 'mean time to close',
             CASE WHEN s.closed_total > 0 THEN pg_catalog.format('median %s days; closures to date: %s', s.median_days_to_close, s.closed_total)
                  ELSE 'no closure yet' END, false),
        (4, COALESCE(pg_catalog.round(s.on_time_closure_rate * 100) || '%', U&'\2013'), 'closed on time',
             'closures by their close due date', false),
        (5, COALESCE(pg_catalog.round(s.first_time_effective_rate * 100) || '%', U&'\2013'), 'effective first time',
             'closures whose first effectiveness check succeeded', false),
        (6, COALESCE(pg_catalog.round(s.reopen_rate * 100) || '%', U&'\2013'), 'reopen rate',
             pg_catalog.format('reopens per closure; reopens to date: %s', s.reopened_total), false),
        (7, COALESCE(pg_catalog.round(s.recurrence_rate * 100) || '%', U&'\2013'), 'recurrence rate',
             'analyses that found a similar earlier nonconformity', false),
        (8, s.improvements_open::text, 'improvements open',
             pg_catalog.format('%s closed in the last 12 months', s.improvements_closed_12m), false)
      ) AS t(ord, value, name, note, alert);

    html := pg_catalog.format($page$<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="generator" content="capa capa_report_html()"/>
<title>%1$s</title>
<style>
body{font-family:system-ui,"Segoe UI","DejaVu Sans",Helvetica,Arial,sans-serif;color:#1a202c;margin:24px auto;max-width:1240px;padding:0 16px;font-size:14px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 10px;border-bottom:2px solid #e2e8f0;padding-bottom:4px}
.meta{color:#4a5568;margin:2px 0}
.digest{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.tile{border:1px solid #e2e8f0;border-left:5px solid #2b6cb0;border-radius:6px;padding:10px 12px}
.tile.alert{border-left-color:#c53030}
.tile .value{font-size:28px;font-weight:600}
.tile.alert .value{color:#c53030}
.tile .name{font-weight:600}
.tile .note,.period{color:#4a5568;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(2,1fr);gap:16px}
figure{margin:0;border:1px solid #e2e8f0;border-radius:6px;padding:8px}
figcaption{color:#4a5568;font-size:12px;margin-top:4px}
svg.chart{width:100%%;height:auto}
table{border-collapse:collapse;width:100%%}
th,td{border-bottom:1px solid #e2e8f0;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f7fafc}
td.num{text-align:right}
td.sev-critical,td.sev-major{color:#c53030;font-weight:600}
dl{font-size:12px;color:#4a5568}
dt{font-weight:600;color:#1a202c}
dd{margin:0 0 6px 16px}
@media print{body{margin:0;max-width:none;font-size:11px}.tiles{grid-template-columns:repeat(4,1fr)}figure,.tile,tr{break-inside:avoid}h2{break-after:avoid}@page{size:A4;margin:12mm}}
</style>
</head>
<body>
<header>
<h1>%1$s</h1>
<p class="meta">Management review input (ISO/IEC 27001:2022 9.3.2 c): trends in nonconformities and corrective actions. Period: %2$s to %3$s (whole months, UTC).</p>
<p class="meta">Generated %4$s UTC by %5$s from database %6$s.</p>
<p class="meta">%7$s</p>
</header>
<h2>The register now</h2>
<div class="tiles">%8$s</div>
<p class="period">In the period: %9$s opened, %10$s closed, %11$s cancelled, %12$s reopened.</p>
<h2>Trends and causes</h2>
<div class="charts">
<figure>%13$s<figcaption>Records open at each month end (current month: if nothing changes), and of those, past their close due date.</figcaption></figure>
<figure>%14$s<figcaption>Records opened and closed in each month; closures count in the month they happened.</figcaption></figure>
<figure>%15$s<figcaption>Open records now, by whole days since they were opened.</figcaption></figure>
<figure>%16$s<figcaption>All analysed records by cause category, largest first, with the cumulative share%17$s.</figcaption></figure>
<figure>%18$s<figcaption>Over every closure to date: closed by the due date, effective at the first check, reopened, and analyses that found a similar earlier nonconformity.</figcaption></figure>
<figure>%19$s<figcaption>Closures by their due date, per month of closure; no point for a month without closures.</figcaption></figure>
</div>
<h2>Overdue records</h2>
%20$s
<h2>Definitions</h2>
<dl>
<dt>Open</dt><dd>Neither closed nor cancelled.</dd>
<dt>Overdue</dt><dd>Open and past the close due date; or not contained past the containment due date; or implemented past the effectiveness-check due date.</dd>
<dt>Closed on time</dt><dd>Closed at or before the close due date; closures without one are left out.</dd>
<dt>Effective first time</dt><dd>Closed after an effectiveness check, and no check ever found the action ineffective.</dd>
<dt>Recurrence</dt><dd>An analysis that names an earlier record with a similar nonconformity (10.2 b 3).</dd>
</dl>
<p class="meta">Figures from the capa.kpi_* views; the same definitions as every dashboard that reads them.</p>
</body>
</html>
$page$,
        esc_title,
        pg_catalog.to_char(first_month, 'YYYY-MM-DD'),
        pg_catalog.to_char(period_end, 'YYYY-MM-DD'),
        pg_catalog.to_char(pg_catalog.timezone('UTC', pg_catalog.now()), 'YYYY-MM-DD HH24:MI'),
        @extschema@.report_escape(CURRENT_USER),
        @extschema@.report_escape(pg_catalog.current_database()),
        CASE WHEN d.digest IS NULL
             THEN 'No audit-trail digest recorded yet: a verifier runs capa_digest() and keeps its value outside the database.'
             ELSE pg_catalog.format('Latest audit-trail digest, issued %s UTC by %s: <span class="digest">%s</span>',
                                    pg_catalog.to_char(pg_catalog.timezone('UTC', d.issued_at), 'YYYY-MM-DD HH24:MI'),
                                    @extschema@.report_escape(d.issued_by), @extschema@.report_escape(d.digest)) END,
        tiles,
        m.opened_sum, m.closed_sum, m.cancelled_sum, m.reopened_sum,
        @extschema@.report_chart('backlog', 'Backlog at month end', 'lines', m.labels,
                                 ARRAY['open', 'overdue'], ARRAY[m.backlog, m.overdue]),
        @extschema@.report_chart('opened-closed', 'Opened and closed per month', 'bars', m.labels,
                                 ARRAY['opened', 'closed'], ARRAY[m.opened, m.closed]),
        @extschema@.report_chart('aging', 'Age of open records', 'bars',
                                 ARRAY['0-30 days', '31-90 days', '91-180 days', 'over 180 days'], ARRAY['open records'],
                                 ARRAY[s.aging_0_30, s.aging_31_90, s.aging_91_180, s.aging_over_180]::numeric[]),
        @extschema@.report_chart('causes', 'Pareto of causes', 'bars', c.labels, ARRAY['records'], c.records,
                                 cumulative => c.cumulative),
        CASE WHEN c.unanalysed > 0 OR c.causes > 10
             THEN pg_catalog.format('; not shown: %s', pg_catalog.concat_ws(' and ',
                      CASE WHEN c.causes > 10 THEN pg_catalog.format('%s smaller categories', c.causes - 10) END,
                      CASE WHEN c.unanalysed > 0 THEN pg_catalog.format('%s records without a cause category (not analysed yet, analysed without one, or improvements)', c.unanalysed) END))
        END,
        @extschema@.report_chart('effectiveness', 'Effectiveness of corrective actions', 'bars',
                                 ARRAY['closed on time', 'effective first time', 'reopened', 'recurrence'], ARRAY['rate'],
                                 ARRAY[s.on_time_closure_rate, s.first_time_effective_rate, s.reopen_rate, s.recurrence_rate],
                                 percent => true),
        @extschema@.report_chart('on-time', 'Closed on time, per month', 'lines', m.labels,
                                 ARRAY['on-time closure rate'], m.on_time, percent => true),
        CASE WHEN overdue_shown = 0 THEN '<p>No record is overdue.</p>'
             ELSE '<table class="overdue"><thead><tr><th>Reference</th><th>Title</th><th>Severity</th><th>Owner</th>'
                  '<th>Missed</th><th>Due</th><th>Days overdue</th></tr></thead><tbody>' || overdue_rows || '</tbody></table>'
                  || CASE WHEN overdue_all > overdue_shown
                          THEN pg_catalog.format('<p class="meta">%s more overdue records are not listed (capa.kpi_record has them all).</p>',
                                                 overdue_all - overdue_shown) ELSE '' END
        END);
    RETURN html;
END
$report$;
COMMENT ON FUNCTION @extschema@.capa_report_html(date, date, text) IS
    'the management-review report: one self-contained HTML page (inline SVG charts, no external resources) of the KPIs now and per month of the period; read-only, with the caller''s privileges';


-- capa_conformance judges blank evidence with capa_blank: its one
-- definition is in [governed] below, which rewrote it again (this section
-- had a full copy, which the later one replaced)

-- a blank label judged by capa_blank
-- Fills a new snapshot: everything but the label is computed here, as the
-- inserting role (SECURITY INVOKER), so it reads only what that role may
CREATE OR REPLACE FUNCTION @extschema@.capa_review_snapshot_fill() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $fill$
BEGIN
    IF NEW.content_hash IS NOT NULL THEN
        -- a restored row (pg_restore; only the owner may write this column):
        -- taken as it is, if its content still gives its hash
        IF @extschema@.capa_review_snapshot_hash(NEW) OPERATOR(pg_catalog.<>) NEW.content_hash THEN
            RAISE EXCEPTION 'review snapshot % does not match its content_hash', NEW.id
                USING ERRCODE = 'data_corrupted';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.label IS NULL THEN
        RAISE EXCEPTION 'a review snapshot needs a label' USING ERRCODE = 'not_null_violation',
            COLUMN = 'label';
    END IF;
    IF @extschema@.capa_blank(NEW.label) THEN
        RAISE EXCEPTION 'the label of a review snapshot must not be blank' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- one snapshot at a time, so each links to the one before: a turn no
    -- other role can take (an advisory lock on a known key, as 0.2.0 used,
    -- any role could hold for as long as it liked; src/snapshot_turn.c)
    PERFORM @extschema@.capa_review_snapshot_turn();
    -- the digest first: it waits for the audit writers in flight and holds
    -- new ones back until this transaction ends, so the KPIs read below
    -- (each statement a new snapshot at READ COMMITTED) describe exactly the
    -- trail the digest covers
    NEW.digest := @extschema@.capa_digest();
    SELECT pg_catalog.max(d.id) INTO NEW.digest_id FROM @extschema@.digest d
     WHERE d.digest OPERATOR(pg_catalog.=) NEW.digest;
    NEW.taken_at := pg_catalog.now();
    NEW.taken_by := CURRENT_USER;
    NEW.app_user := NULLIF(pg_catalog.current_setting('capa.app_user', true), '');
    SELECT pg_catalog.to_jsonb(k) INTO NEW.kpis FROM @extschema@.kpi_summary k;
    SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(m) ORDER BY m.month), '[]'::jsonb)
      INTO NEW.monthly FROM @extschema@.kpi_monthly m;
    NEW.breakdowns := pg_catalog.jsonb_build_object(
        'by_severity', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(b) ORDER BY b.severity), '[]'::jsonb)
                          FROM @extschema@.kpi_by_severity b),
        'by_source', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(b) ORDER BY b.records DESC, b.source), '[]'::jsonb)
                        FROM @extschema@.kpi_by_source b),
        'by_cause', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(b) ORDER BY b.records DESC, b.cause_category), '[]'::jsonb)
                       FROM @extschema@.kpi_by_cause b));
    SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'id', r.id, 'kind', r.kind, 'severity', r.severity, 'state', r.state, 'title', r.title,
               'owner', r.owner, 'org_unit', r.org_unit, 'opened_at', r.opened_at,
               'contain_due', r.contain_due, 'close_due', r.close_due, 'effectiveness_due', r.effectiveness_due,
               'overdue', k.is_overdue,
               'days_open', pg_catalog.round(EXTRACT(epoch FROM NEW.taken_at OPERATOR(pg_catalog.-) r.opened_at)
                                             OPERATOR(pg_catalog./) 86400, 1),
               'actions_pending', (SELECT pg_catalog.count(*) FROM @extschema@.action a
                                    WHERE a.capa_id OPERATOR(@extschema@.=) r.id AND NOT a.done),
               'reopen_count', r.reopen_count, 'ineffective_count', r.ineffective_count)
               ORDER BY r.id), '[]'::jsonb)
      INTO NEW.open_items
      FROM @extschema@.register r
      JOIN @extschema@.kpi_record k ON k.id OPERATOR(@extschema@.=) r.id
     -- open by the rules (src/rules.c, [facts]), as kpi_record''s is_open
     WHERE @extschema@.capa_state_open(r.state);
    SELECT s.content_hash INTO NEW.prev_hash FROM @extschema@.review_snapshot s ORDER BY s.id DESC LIMIT 1;
    NEW.content_hash := @extschema@.capa_review_snapshot_hash(NEW);
    RETURN NEW;
END
$fill$;
COMMENT ON FUNCTION @extschema@.capa_review_snapshot_fill() IS
    'fills a new capa.review_snapshot row (digest, KPIs, open items, hash chain) as the inserting role; a restored row is checked against its hash';

REVOKE ALL ON FUNCTION @extschema@.capa_blank(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.capa_blank(text) TO capa_reader;

-- end of [report]
--
--
--
-- [intake] re-entrancy and bounded conditions
--
-- No SQL object changes: the fixes are in C.  src/intake_cache.c: no bound
-- intake is freed while a trigger call that may use it is on the stack.
-- src/intake_condition.c, src/intake_mapping.c: a condition has at most
-- 1,000 predicates, 1,000 constants and 100 levels of parentheses and NOT,
-- a map at most 1,000 entries (54000 beyond, when the intake is made).  A
-- condition a 0.2.0 database stores beyond those limits is left as it is:
-- the trigger refuses it at each insert with 54000, which on_error 'log'
-- keeps in capa.intake_failure (README, capa_intake); set such an intake up
-- again with a smaller condition.
--
-- A partition made or attached later gets a copy of the intake's trigger,
-- which PostgreSQL makes only for a role that may execute the trigger
-- function: capa_admin may (a role that maintains the table's partitions
-- otherwise needs the same grant, README capa_intake).  The function
-- refuses to run for any table but its intake's.  On PostgreSQL 18 and
-- later a condition or mapping that names a virtual generated column is
-- refused (0A000): a row trigger sees such a column as NULL.
GRANT EXECUTE ON FUNCTION @extschema@.capa_intake_trigger() TO capa_admin;

-- end of [intake]
--
--
--
-- [units] row-level security, segregation of duties, events, digest locks
--
-- Most of this section's work is in C (docs/security.md, classes c and e):
--  - segregation of duties judges the effective role, the session's login
--    role and the capa.app_user claim (src/segregation.c);
--  - under row-level security by org unit, every entry point answers
--    another unit's record or action item exactly as a missing one, before
--    any check that reads its content (src/register_trigger.c,
--    src/action_trigger.c, src/org_unit.c); capa_audit_verify(record =>)
--    checks one record's chains for whoever may see it, so capa_dossier()
--    and capa_conformance() work under row-level security (src/verify.c);
--  - capa.events is off | reference | full, reference by default: a
--    message names the record and the event only (src/events.c);
--  - capa_digest() waits for the audit writers in flight without holding
--    any back, and takes no lock a caller could keep (src/digest.c).
-- What the catalog needs: the digest of a review snapshot holds audit
-- writers back while the snapshot's KPIs are read, and gives them back at
-- the end of the INSERT, here.
CREATE FUNCTION @extschema@.capa_digest_release() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_digest_release() IS
    'AFTER INSERT statement trigger of capa.review_snapshot: gives back the SHARE lock on capa.audit that the snapshots'' digests took, so no writer waits for the snapshot''s transaction to end';
CREATE TRIGGER capa_digest_release AFTER INSERT ON @extschema@.review_snapshot
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_digest_release();
REVOKE ALL ON FUNCTION @extschema@.capa_digest_release() FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.capa_digest() IS
    'capa-digest:v1:<max seq>:<chains>:<sha256 over every chain head>: keep it outside the database; waits for the audit writers in flight (holding none back) and covers exactly the rows committed before it';
COMMENT ON FUNCTION @extschema@.capa_audit_verify(text, @extschema@.capa_ref) IS
    're-checks every audit chain (or one record''s: for whoever may see the record, also under row-level security by org unit) and every register and action row against it, and given an earlier capa_digest() that the rows it covered are unchanged; one row per problem, none when intact';

-- Write policies: a DBA may grant UPDATE (or INSERT) on the register or the
-- action items to a role (the README's edits of title, owner, due dates);
-- under row-level security that role writes the records of its units, as
-- it reads them, and finds no row of another unit, as for a missing one
-- (0.2.0 had read policies only, so such a write found no row at all, even
-- for capa_admin).  The triggers still judge every change.
CREATE POLICY capa_org_unit_insert ON @extschema@.register FOR INSERT
    WITH CHECK (org_unit IS NULL OR (SELECT @extschema@.capa_org_units_all())
                OR org_unit OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.capa_org_units_visible())::text[]));
CREATE POLICY capa_org_unit_update ON @extschema@.register FOR UPDATE
    USING (org_unit IS NULL OR (SELECT @extschema@.capa_org_units_all())
           OR org_unit OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.capa_org_units_visible())::text[]));
CREATE POLICY capa_org_unit_insert ON @extschema@.action FOR INSERT
    WITH CHECK ((SELECT @extschema@.capa_org_units_all())
                OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) capa_id));
CREATE POLICY capa_org_unit_update ON @extschema@.action FOR UPDATE
    USING ((SELECT @extschema@.capa_org_units_all())
           OR EXISTS (SELECT FROM @extschema@.register r WHERE r.id OPERATOR(@extschema@.=) capa_id));

-- Review snapshots under row-level security: capa_admin (who sees every
-- unit) inserts them; 0.2.0 had a read policy only, so the insert was
-- refused for everyone but a superuser
CREATE POLICY capa_org_unit_insert ON @extschema@.review_snapshot FOR INSERT
    WITH CHECK ((SELECT @extschema@.capa_org_units_all()));

-- The intakes' configuration and failures name other units' rows (a
-- failure keeps the row's key and the error, which quotes its values):
-- under row-level security, for those who see every unit only
CREATE POLICY capa_org_unit ON @extschema@.intake_failure FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all()));
CREATE POLICY capa_org_unit ON @extschema@.intake_config FOR SELECT
    USING ((SELECT @extschema@.capa_org_units_all()));
CREATE OR REPLACE FUNCTION @extschema@.capa_rls_tables() RETURNS regclass[]
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $tables$
    SELECT ARRAY['@extschema@.register', '@extschema@.action', '@extschema@.audit', '@extschema@.link',
                 '@extschema@.escalation',
                 '@extschema@.kpi_rollup', '@extschema@.kpi_close_days', '@extschema@.kpi_action_due',
                 '@extschema@.review_snapshot', '@extschema@.intake_config', '@extschema@.intake_failure']::regclass[]
$tables$;
-- a database updated with the switch on gets it on the new tables too
DO $switch$
BEGIN
    IF (SELECT c.relrowsecurity FROM pg_catalog.pg_class c
         WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.register'::regclass) THEN
        ALTER TABLE @extschema@.intake_config ENABLE ROW LEVEL SECURITY;
        ALTER TABLE @extschema@.intake_failure ENABLE ROW LEVEL SECURITY;
    END IF;
END
$switch$;

-- end of [units]


-- [governed] governed change: reassign, reschedule, amend, cancel an item
--
-- Issue 14, item 1.  A record or an action item changes without a step of
-- its path only as a governed change (src/rules.c, capa_changes): in the
-- states and by the roles rules.c names, one kind per statement, with a
-- non-blank reason (the function's argument; for a plain UPDATE by a role
-- a DBA granted UPDATE to, the setting capa.reason: SET LOCAL capa.reason
-- = '...'), audited as its own step whose "changed" holds the new values,
-- "previous" (the values replaced) and "reason".  Audit rows keep their
-- encoding: the reason is inside the hashed jsonb.  capa_cancel also takes
-- planned and implemented records (duplicates found late), capa_admin only.
--
-- The new columns come after chain_head: row encoding 1 encodes such a
-- column only when it is not NULL (src/chain.c), so every row 0.2.0 wrote
-- hashes as it did and its chain verifies unchanged.  None is filled here:
-- that would rewrite the rows.  The first due dates of a record 0.2.0
-- wrote become known at its first reschedule (the date it had then).
ALTER TABLE @extschema@.register
    ADD COLUMN original_contain_due timestamptz,
    ADD COLUMN original_close_due timestamptz,
    ADD COLUMN original_effectiveness_due timestamptz,
    ADD COLUMN reschedule_count integer,
    ADD COLUMN reassign_count integer,
    ADD COLUMN reanalyse_count integer,
    ADD COLUMN extent_found text,
    ADD COLUMN effectiveness_from timestamptz;
COMMENT ON COLUMN @extschema@.register.original_contain_due IS 'the first containment due date, set once by capa (NULL for a record of 0.2.0 never rescheduled: see contain_due)';
COMMENT ON COLUMN @extschema@.register.original_close_due IS 'the first close due date, set once by capa (NULL for a record of 0.2.0 never rescheduled: see close_due)';
COMMENT ON COLUMN @extschema@.register.original_effectiveness_due IS 'the first effectiveness due date, set once by capa';
COMMENT ON COLUMN @extschema@.register.reschedule_count IS 'capa_reschedule steps taken (NULL: none, for a record of 0.2.0)';
COMMENT ON COLUMN @extschema@.register.reassign_count IS 'capa_reassign steps taken (NULL: none, for a record of 0.2.0)';
COMMENT ON COLUMN @extschema@.register.extent_of_condition IS 'what the check of other places for the same condition covers, decided by the analysis (10.2 b); what it found: extent_found';
COMMENT ON COLUMN @extschema@.register.extent_found IS 'what the extent-of-condition check found (10.2 b), recorded by capa_extent_found once known, before the verification';
COMMENT ON COLUMN @extschema@.register.effectiveness_from IS 'the earliest effective verification: implementation + the severity policy''s effectiveness_after (NULL: no window); capa_waive_window moves it to now';
COMMENT ON COLUMN @extschema@.register.reanalyse_count IS 'times the analysis was sent back: capa_verify(reanalyse => true), capa_reanalyse (NULL: none, for a record of 0.2.0)';

ALTER TABLE @extschema@.action
    ADD COLUMN original_due date,
    ADD COLUMN cancelled_at timestamptz,
    ADD COLUMN cancelled_by name,
    ADD COLUMN cancel_reason text;
COMMENT ON COLUMN @extschema@.action.original_due IS 'the first due date, set once by capa';
COMMENT ON COLUMN @extschema@.action.cancelled_at IS 'when capa_cancel_action cancelled the item: it is not done any more, and not counted by capa_plan and capa_implement';
COMMENT ON COLUMN @extschema@.action.cancel_reason IS 'why the item was cancelled (setting it cancels the item)';

CREATE FUNCTION @extschema@.capa_reassign(id @extschema@.capa_ref, owner text, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_reassign(@extschema@.capa_ref, text, text) IS
    'a new owner for a record not closed or cancelled, with a reason; counted in reassign_count';

CREATE FUNCTION @extschema@.capa_reassign_action(action_id bigint, owner text, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_reassign_action(bigint, text, text) IS
    'a new owner for an action item not done or cancelled, of a record open through planned, with a reason';

CREATE FUNCTION @extschema@.capa_reschedule(id @extschema@.capa_ref, due_kind text, due timestamptz, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_reschedule(@extschema@.capa_ref, text, timestamptz, text) IS
    'moves the contain (open corrective record), close or effectiveness (implemented record) due date, with a reason; the first due date stays in original_<kind>_due; counted in reschedule_count';

CREATE FUNCTION @extschema@.capa_reschedule_action(action_id bigint, due date, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_reschedule_action(bigint, date, text) IS
    'moves an action item''s due date, with a reason; the first stays in original_due';

CREATE FUNCTION @extschema@.capa_amend(id @extschema@.capa_ref, field text, value text, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_amend(@extschema@.capa_ref, text, text, text) IS
    'corrects the title, the description or the text of a step already taken while the record is not closed or cancelled, with a reason; the old text stays in the trail';

CREATE FUNCTION @extschema@.capa_cancel_action(action_id bigint, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_cancel_action(bigint, text) IS
    'an action item not needed any more: stays visible as cancelled, with its reason, and is not counted by capa_plan and capa_implement';

-- Re-analysis (issue 14, item 3): an ineffective verification whose cause
-- was the analysis, or a plan found to rest on a wrong analysis, sends the
-- record back to analysed with its analysis cleared (the trail keeps it);
-- capa_analyse then records the new one.  capa_verify keeps its three
-- argument form; the four-argument one adds reanalyse.
CREATE FUNCTION @extschema@.capa_verify(id @extschema@.capa_ref, effective boolean, evidence text, reanalyse boolean)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME', 'capa_verify' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_verify(@extschema@.capa_ref, boolean, text, boolean) IS
    '10.2 d as capa_verify(id, effective, evidence); with effective => false and reanalyse => true the record goes back to analysed (corrective, preventive): the root cause was wrong, capa_analyse records the new one (counted in reanalyse_count)';
CREATE FUNCTION @extschema@.capa_reanalyse(id @extschema@.capa_ref, reason text)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_reanalyse(@extschema@.capa_ref, text) IS
    'planned -> analysed before implementation, with a reason, by the owner or capa_admin: the analysis is cleared for capa_analyse (counted in reanalyse_count)';
-- Owners bound to identities (issue 14, item 2).  An owner names an
-- existing role (exactly) or an application identity (user@domain, as
-- capa.app_user names the end user); anything else is refused (42704)
-- unless the latest policy row that says so allows free text
-- (free_text_owners; NULL in a row: as the row before it says).  A role
-- named as owner is bound to the row by its OID in owner_role, which the
-- triggers keep (whatever a statement writes there): a renamed role still
-- owns its records and still may not verify them; a dropped role is acted
-- for by nobody (capa_admin reassigns).  owner_role is not part of the
-- row hash (src/chain.c) and is bound anew from the owner's name when a
-- dump is restored into another cluster, where OIDs differ.
ALTER TABLE @extschema@.register ADD COLUMN owner_role oid;
ALTER TABLE @extschema@.action ADD COLUMN owner_role oid;
COMMENT ON COLUMN @extschema@.register.owner_role IS
    'the role owner named when it was written (kept by capa, not hashed): segregation of duties and acting for the owner follow the role under any later name; NULL: free text or an application identity';
COMMENT ON COLUMN @extschema@.action.owner_role IS
    'the role owner named when it was written (kept by capa, not hashed); NULL: free text or an application identity';
-- the owners already written that name a role are bound now (no step: the
-- triggers are off for this one statement, and the row hash leaves
-- owner_role out, so every chain verifies as before)
ALTER TABLE @extschema@.register DISABLE TRIGGER capa_lifecycle;
ALTER TABLE @extschema@.action DISABLE TRIGGER capa_lifecycle;
UPDATE @extschema@.register g SET owner_role = r.oid
  FROM pg_catalog.pg_roles r WHERE r.rolname::text OPERATOR(pg_catalog.=) g.owner;
UPDATE @extschema@.action g SET owner_role = r.oid
  FROM pg_catalog.pg_roles r WHERE r.rolname::text OPERATOR(pg_catalog.=) g.owner;
ALTER TABLE @extschema@.register ENABLE TRIGGER capa_lifecycle;
ALTER TABLE @extschema@.action ENABLE TRIGGER capa_lifecycle;

ALTER TABLE @extschema@.policy ADD COLUMN free_text_owners boolean;
COMMENT ON COLUMN @extschema@.policy.free_text_owners IS
    'false: owners must name a role or an application identity (user@domain); true: free text; NULL: as the row before (the built-in row: false)';
GRANT INSERT (free_text_owners) ON @extschema@.policy TO capa_admin;
-- (set_at: a built-in row says when its values were set, this update)
UPDATE @extschema@.policy SET free_text_owners = false, set_at = pg_catalog.now() WHERE builtin;
-- A database that already holds records keeps the rule it was written
-- under: a policy row of its own (dumped, unlike the built-in one) says
-- free text, as before; a capa_admin inserts one with false to end it.
INSERT INTO @extschema@.policy (segregation_of_duties, free_text_owners)
SELECT p.segregation_of_duties, true FROM @extschema@.policy p
 WHERE EXISTS (SELECT FROM @extschema@.register)
 ORDER BY p.id DESC LIMIT 1;

-- Effectiveness window (issue 14, item 5): the severity policy may give
-- the action time to show its effect (effectiveness_after: at most its
-- effectiveness_within, so the check is never due before the window ends);
-- capa_verify(effective => true) before implemented_at + effectiveness_after
-- is refused (55000); capa_admin may waive it for one record, with a reason.
ALTER TABLE @extschema@.severity_policy
    ADD COLUMN effectiveness_after interval,
    ADD CONSTRAINT severity_policy_window_check CHECK (
        effectiveness_after IS NULL
        OR (effectiveness_after OPERATOR(pg_catalog.>=) '0'::interval
            AND effectiveness_after OPERATOR(pg_catalog.<=) effectiveness_within));
COMMENT ON COLUMN @extschema@.severity_policy.effectiveness_after IS
    'the earliest effectiveness check after implementation (NULL: none); at most effectiveness_within, so no due date falls before it';
GRANT INSERT (effectiveness_after) ON @extschema@.severity_policy TO capa_admin;
-- A database that already holds records keeps its due dates and no window:
-- each severity whose policy is still the built-in one gets a row of its
-- own (dumped) with the 0.2.0 values.  Then the built-in rows become 0.3.0's:
-- a window per severity, and a close due date that leaves room for it (an
-- on-time path: implement within close_within - effectiveness_after).
INSERT INTO @extschema@.severity_policy (severity, contain_within, close_within, effectiveness_within)
SELECT l.severity, l.contain_within, l.close_within, l.effectiveness_within
  FROM @extschema@.severity_policy l
 WHERE l.builtin AND EXISTS (SELECT FROM @extschema@.register)
   AND NOT EXISTS (SELECT FROM @extschema@.severity_policy n
                    WHERE n.severity OPERATOR(@extschema@.=) l.severity
                      AND n.id OPERATOR(pg_catalog.>) l.id)
 ORDER BY l.id;
UPDATE @extschema@.severity_policy p
   SET close_within = v.close_within, effectiveness_after = v.effectiveness_after,
       set_at = pg_catalog.now()
  FROM (VALUES ('critical'::@extschema@.capa_severity, '45 days'::interval, '14 days'::interval),
               ('major', '90 days', '30 days'),
               ('minor', '120 days', '30 days'),
               ('observation', '180 days', '30 days')) v (severity, close_within, effectiveness_after)
 WHERE p.builtin AND p.severity OPERATOR(@extschema@.=) v.severity;
CREATE FUNCTION @extschema@.capa_waive_window(id @extschema@.capa_ref, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_waive_window(@extschema@.capa_ref, text) IS
    'capa_admin: the implemented record may be verified effective now, before its effectiveness window ends, with a reason (audited as waive_window)';
REVOKE ALL ON FUNCTION @extschema@.capa_waive_window(@extschema@.capa_ref, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.capa_waive_window(@extschema@.capa_ref, text) TO capa_admin;

-- Extent of condition in two parts (issue 14, item 4): what will be checked
-- (extent_of_condition, at analysis) and what was found (extent_found, once
-- known, before the verification); capa_conformance item b needs both by
-- then for a corrective record.
CREATE FUNCTION @extschema@.capa_extent_found(id @extschema@.capa_ref, found text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_extent_found(@extschema@.capa_ref, text) IS
    'what the extent-of-condition check found, recorded while the record is analysed, planned or implemented (corrective, preventive), by the owner or capa_admin; again to complete it (the trail keeps each)';
REVOKE ALL ON FUNCTION @extschema@.capa_extent_found(@extschema@.capa_ref, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.capa_extent_found(@extschema@.capa_ref, text) TO capa_editor;

REVOKE ALL ON FUNCTION
    @extschema@.capa_verify(@extschema@.capa_ref, boolean, text, boolean),
    @extschema@.capa_reanalyse(@extschema@.capa_ref, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.capa_verify(@extschema@.capa_ref, boolean, text, boolean) TO capa_verifier;
GRANT EXECUTE ON FUNCTION @extschema@.capa_reanalyse(@extschema@.capa_ref, text) TO capa_editor;

COMMENT ON FUNCTION @extschema@.capa_cancel(@extschema@.capa_ref, text) IS
    'open, contained or analysed -> cancelled, with a reason; planned or implemented -> cancelled (a duplicate found late) by capa_admin only';

REVOKE ALL ON FUNCTION
    @extschema@.capa_reassign(@extschema@.capa_ref, text, text),
    @extschema@.capa_reassign_action(bigint, text, text),
    @extschema@.capa_reschedule(@extschema@.capa_ref, text, timestamptz, text),
    @extschema@.capa_reschedule_action(bigint, date, text),
    @extschema@.capa_amend(@extschema@.capa_ref, text, text, text),
    @extschema@.capa_cancel_action(bigint, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    @extschema@.capa_reassign(@extschema@.capa_ref, text, text),
    @extschema@.capa_reassign_action(bigint, text, text),
    @extschema@.capa_reschedule(@extschema@.capa_ref, text, timestamptz, text),
    @extschema@.capa_reschedule_action(bigint, date, text),
    @extschema@.capa_amend(@extschema@.capa_ref, text, text, text),
    @extschema@.capa_cancel_action(bigint, text)
    TO capa_editor;
-- the verifier corrects their own verification evidence
GRANT EXECUTE ON FUNCTION @extschema@.capa_amend(@extschema@.capa_ref, text, text, text) TO capa_verifier;

-- The lifecycle facts for SQL (issue 14, item 6, in part), read from
-- src/rules.c's one table: the edges, the governed changes, and the facts
-- views and reports need.  IMMUTABLE: they change with the library, that
-- is with a new version of capa.
CREATE FUNCTION @extschema@.capa_lifecycle()
    RETURNS TABLE (kind text, from_state text, to_state text, step text, requires text[],
                   may_record text[], conditions text[], clears text[], roles text[], needs_reason boolean)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_lifecycle() IS
    'the lifecycle as capa enforces it (src/rules.c): one row per allowed step and kind, with what it requires, may record, checks, clears, and who may take it (empty roles: whoever may run its statement)';
CREATE FUNCTION @extschema@.capa_changes()
    RETURNS TABLE (change text, states text[], kinds text[], roles text[], needs_reason boolean)
    AS 'MODULE_PATHNAME', 'capa_governed_changes' LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_changes() IS
    'the governed changes (src/rules.c): in which states of the record, for which kinds, by whom (owner: a capa_editor acting for the owner), and whether they need a reason';
CREATE FUNCTION @extschema@.capa_state_ended(state @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_state_ended(@extschema@.capa_state) IS
    'closed or cancelled: the record has ended (src/rules.c)';
CREATE FUNCTION @extschema@.capa_state_actions_open(state @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_state_actions_open(@extschema@.capa_state) IS
    'action items may be added, changed and completed in this state (src/rules.c)';
CREATE VIEW @extschema@.lifecycle WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.capa_lifecycle();
COMMENT ON VIEW @extschema@.lifecycle IS 'capa_lifecycle(): the lifecycle as capa enforces it';
REVOKE ALL ON FUNCTION @extschema@.capa_lifecycle(), @extschema@.capa_changes(),
    @extschema@.capa_state_ended(@extschema@.capa_state),
    @extschema@.capa_state_actions_open(@extschema@.capa_state) FROM PUBLIC;
REVOKE ALL ON @extschema@.lifecycle FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.capa_lifecycle(), @extschema@.capa_changes(),
    @extschema@.capa_state_ended(@extschema@.capa_state),
    @extschema@.capa_state_actions_open(@extschema@.capa_state) TO capa_reader;
GRANT SELECT ON @extschema@.lifecycle TO capa_reader;

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
REVOKE ALL ON @extschema@.kpi_change, @extschema@.kpi_change_summary FROM PUBLIC;
GRANT SELECT ON @extschema@.kpi_change, @extschema@.kpi_change_summary TO capa_reader;

-- capa_conformance: item d says which identities segregation of duties
-- compared; item b needs, for a corrective record that acts, what
-- the extent-of-condition check found by its verification (not_yet before,
-- not_met after); item c lists a cancelled action item as cancelled, with
-- its reason, and does not count it (the rest of the function as [report]
-- left it)
CREATE OR REPLACE FUNCTION @extschema@.capa_conformance(id @extschema@.capa_ref)
    RETURNS TABLE (item text, requirement text, status text, evidence text, fields text[],
                   action_ids bigint[], audit_seq bigint[], recorded_by name,
                   recorded_at timestamptz, detail text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $conformance$
DECLARE
    r           @extschema@.register;
    src         jsonb;      -- field -> {seq, by, at} of the latest audit row that wrote it (not NULL)
    cancelled   boolean;
    why_cancel  text;
    no_action   boolean;
    n_actions   integer;
    n_done      integer;
    act_ids     bigint[];
    act_text    text;
    act_seqs    bigint[];
    verify_seqs bigint[];
    all_seqs    bigint[];
    n_chains    integer;
    first_by    name;
    first_at    timestamptz;
    problems    text;
    n_problems  integer;
    verifier_owns boolean;
    v_login     text;
    v_app       text;
    act_owners  text;
    act_done    text;
    f           text[];
    rj          jsonb;      -- the record as jsonb: its evidence by column name
    needs       text[];     -- the columns a step requires (src/rules.c)
    missing     text[];     -- those of them not recorded
BEGIN
    IF capa_conformance.id IS NULL THEN
        RAISE EXCEPTION 'capa record reference must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT g.* INTO r FROM @extschema@.register g
     WHERE g.id OPERATOR(@extschema@.=) capa_conformance.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'capa record % does not exist', capa_conformance.id USING ERRCODE = 'undefined_object';
    END IF;

    SELECT pg_catalog.jsonb_object_agg(x.key, pg_catalog.jsonb_build_object('seq', x.seq, 'by', x.actor, 'at', x.at))
      INTO src
      FROM (SELECT DISTINCT ON (e.key) e.key, a.seq, a.actor, a.at
              FROM @extschema@.audit a, pg_catalog.jsonb_each(a.changed) e
             WHERE a.record_id OPERATOR(@extschema@.=) r.id AND a.action_id IS NULL
               AND e.value OPERATOR(pg_catalog.<>) 'null'::jsonb
             ORDER BY e.key, a.seq DESC) x;
    src := COALESCE(src, '{}'::jsonb);

    rj := pg_catalog.to_jsonb(r);
    cancelled := r.state OPERATOR(@extschema@.=) 'cancelled'::@extschema@.capa_state;
    why_cancel := 'the record was cancelled before this step: ' OPERATOR(pg_catalog.||)
                  COALESCE(pg_catalog.left(r.cancel_reason, 200), '');
    no_action := r.action_required IS FALSE;

    -- a cancelled action item is listed as such and not counted
    SELECT pg_catalog.count(*) FILTER (WHERE a.cancelled_at IS NULL), pg_catalog.count(*) FILTER (WHERE a.done),
           pg_catalog.array_agg(a.id ORDER BY a.id),
           pg_catalog.string_agg(pg_catalog.format('#%s (%s): %s', a.id, a.owner,
                                 CASE WHEN a.cancelled_at IS NOT NULL
                                      THEN 'cancelled: ' OPERATOR(pg_catalog.||) COALESCE(pg_catalog.left(a.cancel_reason, 200), '')
                                      ELSE COALESCE(pg_catalog.left(a.evidence, 200), 'not done') END), '; ' ORDER BY a.id)
      INTO n_actions, n_done, act_ids, act_text
      FROM @extschema@.action a WHERE a.capa_id OPERATOR(@extschema@.=) r.id;
    -- each action item's completion (done is final: one row per item)
    SELECT pg_catalog.array_agg(a.seq ORDER BY a.seq) INTO act_seqs
      FROM @extschema@.audit a
     WHERE a.record_id OPERATOR(@extschema@.=) r.id AND a.action_id IS NOT NULL
       AND (a.changed OPERATOR(pg_catalog.->) 'done') OPERATOR(pg_catalog.=) 'true'::jsonb;
    -- every effectiveness review, ineffective ones included
    SELECT pg_catalog.array_agg(a.seq ORDER BY a.seq) INTO verify_seqs
      FROM @extschema@.audit a
     WHERE a.record_id OPERATOR(@extschema@.=) r.id AND a.action_id IS NULL
       AND (a.changed OPERATOR(pg_catalog.->) 'effective') OPERATOR(pg_catalog.<>) 'null'::jsonb;
    SELECT pg_catalog.array_agg(a.seq ORDER BY a.seq),
           pg_catalog.count(DISTINCT COALESCE(a.action_id, 0)),
           (pg_catalog.array_agg(a.actor ORDER BY a.seq))[1],
           (pg_catalog.array_agg(a.at ORDER BY a.seq))[1]
      INTO all_seqs, n_chains, first_by, first_at
      FROM @extschema@.audit a WHERE a.record_id OPERATOR(@extschema@.=) r.id;
    SELECT pg_catalog.count(*), pg_catalog.string_agg(DISTINCT v.problem, ', ')
      INTO n_problems, problems
      FROM @extschema@.capa_audit_verify(record => r.id) v;

    -- a) react: control and correct it, deal with the consequences
    item := 'a';
    requirement := 'react to the nonconformity: take action to control and correct it, and deal with the consequences';
    -- what capa_contain requires (src/rules.c, [facts]); only a
    -- corrective record is contained
    fields := @extschema@.capa_step_requires(r.kind, 'contain');
    missing := ARRAY(SELECT x FROM pg_catalog.unnest(fields) x
                      WHERE COALESCE(pg_catalog.jsonb_typeof(rj OPERATOR(pg_catalog.->) x), 'null') OPERATOR(pg_catalog.=) 'null'
                         OR (pg_catalog.jsonb_typeof(rj OPERATOR(pg_catalog.->) x) OPERATOR(pg_catalog.=) 'string'
                             AND @extschema@.capa_blank(rj OPERATOR(pg_catalog.->>) x)));
    action_ids := NULL;
    IF NOT @extschema@.capa_kind_has_step(r.kind, 'contain') THEN
        status := 'not_applicable';
        evidence := NULL; fields := NULL; audit_seq := NULL; recorded_by := NULL; recorded_at := NULL;
        detail := CASE r.kind WHEN 'preventive' THEN 'a preventive record: no nonconformity has occurred'
                  ELSE 'an improvement (10.1): no nonconformity has occurred' END;
    ELSIF missing OPERATOR(pg_catalog.=) '{}'::text[] THEN
        status := 'met';
        evidence := pg_catalog.format('containment: %s; consequences: %s',
                                      pg_catalog.left(r.containment, 200), pg_catalog.left(r.consequences, 200));
        detail := 'contained by ' OPERATOR(pg_catalog.||) r.contained_by::text;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL;
        detail := CASE WHEN cancelled THEN why_cancel ELSE 'awaiting capa_contain' END;
    END IF;
    IF status OPERATOR(pg_catalog.=) 'met' THEN
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x;
    ELSE
        audit_seq := NULL;
    END IF;
    recorded_by := (src OPERATOR(pg_catalog.->) 'contained_at' OPERATOR(pg_catalog.->>) 'by')::name;
    recorded_at := (src OPERATOR(pg_catalog.->) 'contained_at' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
    IF status OPERATOR(pg_catalog.<>) 'met' THEN recorded_by := NULL; recorded_at := NULL; END IF;
    RETURN NEXT;

    -- b) evaluate the need for action: review, causes, similar nonconformities
    item := 'b';
    requirement := 'evaluate the need for action to eliminate the causes: review the nonconformity, determine its causes, and whether similar nonconformities exist or could occur';
    action_ids := NULL;
    f := ARRAY['root_cause', 'rca_method', 'extent_of_condition', 'extent_found', 'cause_category', 'why_chain',
               'related', 'action_required', 'no_action_justification'];
    -- the columns that hold the analysis (once recorded), else those it needs
    fields := ARRAY(SELECT x FROM pg_catalog.unnest(f) WITH ORDINALITY u(x, n)
                     WHERE src OPERATOR(pg_catalog.?) x ORDER BY n);
    -- what capa_analyse requires of this kind (src/rules.c, [facts]):
    -- the extent of condition of a corrective record only; an improvement
    -- is not analysed
    needs := @extschema@.capa_step_requires(r.kind, 'analyse');
    IF fields OPERATOR(pg_catalog.=) '{}'::text[] THEN
        fields := needs;
    END IF;
    missing := ARRAY(SELECT x FROM pg_catalog.unnest(needs) x
                      WHERE COALESCE(pg_catalog.jsonb_typeof(rj OPERATOR(pg_catalog.->) x), 'null') OPERATOR(pg_catalog.=) 'null'
                         OR (pg_catalog.jsonb_typeof(rj OPERATOR(pg_catalog.->) x) OPERATOR(pg_catalog.=) 'string'
                             AND @extschema@.capa_blank(rj OPERATOR(pg_catalog.->>) x)));
    IF NOT @extschema@.capa_kind_has_step(r.kind, 'analyse') THEN
        status := 'not_applicable';
        evidence := NULL; fields := NULL;
        detail := 'an improvement (10.1): no nonconformity whose causes need evaluating';
    ELSIF missing OPERATOR(pg_catalog.=) '{}'::text[]
          AND (r.action_required OR NOT @extschema@.capa_blank(r.no_action_justification))
          -- a corrective record that acts: what the extent check found, by its verification
          AND NOT (r.kind OPERATOR(pg_catalog.=) 'corrective' AND r.action_required
                   AND @extschema@.capa_blank(r.extent_found)) THEN
        status := 'met';
        evidence := pg_catalog.concat_ws('; ',
            'root cause: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.root_cause, 200),
            'method: ' OPERATOR(pg_catalog.||) r.rca_method,
            'extent of condition: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.extent_of_condition, 200),
            'found: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.extent_found, 200),
            'related: ' OPERATOR(pg_catalog.||) pg_catalog.array_to_string(r.related::text[], ', '),
            CASE WHEN r.action_required THEN 'action required'
                 ELSE 'no action required: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.no_action_justification, 200) END);
        detail := 'analysed by ' OPERATOR(pg_catalog.||) r.analysed_by::text;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL;
        detail := CASE WHEN cancelled THEN why_cancel
                       WHEN no_action THEN 'no action required, but the justification is not recorded yet (capa_close records it)'
                       WHEN NOT @extschema@.capa_blank(r.root_cause) AND r.action_required
                            AND r.state OPERATOR(@extschema@.>=) 'verified'::@extschema@.capa_state
                            THEN 'verified without what the extent-of-condition check found (extent_found)'
                       WHEN NOT @extschema@.capa_blank(r.root_cause) AND r.action_required
                            THEN 'awaiting what the extent-of-condition check finds (capa_extent_found), due by the verification'
                       ELSE 'awaiting capa_analyse' END;
        -- past the verification without it: a gap, not something still to come
        IF NOT cancelled AND NOT @extschema@.capa_blank(r.root_cause) AND r.action_required
           AND r.state OPERATOR(@extschema@.>=) 'verified'::@extschema@.capa_state THEN
            status := 'not_met';
        END IF;
    END IF;
    IF status OPERATOR(pg_catalog.=) 'met' THEN
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x;
        SELECT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'by')::name,
               (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'at')::timestamptz
          INTO recorded_by, recorded_at
          FROM pg_catalog.unnest(fields) x
         ORDER BY (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint DESC LIMIT 1;
    ELSE
        audit_seq := NULL; recorded_by := NULL; recorded_at := NULL;
    END IF;
    RETURN NEXT;

    -- c) implement any action needed
    item := 'c';
    requirement := 'implement any action needed';
    IF no_action THEN
        status := 'not_applicable';
        evidence := pg_catalog.left(r.no_action_justification, 200);
        fields := ARRAY['action_required', 'no_action_justification'];
        action_ids := NULL;
        detail := 'the analysis decided that no action is required' OPERATOR(pg_catalog.||)
                  CASE WHEN r.no_action_justification IS NULL THEN ' (justification not recorded yet)' ELSE '' END;
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x WHERE src OPERATOR(pg_catalog.?) x;
        recorded_by := NULL; recorded_at := NULL;
    ELSIF r.state OPERATOR(@extschema@.=) ANY (ARRAY['implemented', 'verified', 'closed']::@extschema@.capa_state[])
          AND n_actions OPERATOR(pg_catalog.>) 0 AND n_done OPERATOR(pg_catalog.=) n_actions THEN
        status := 'met';
        evidence := pg_catalog.format('%s action item(s), all done: %s', n_actions, act_text);
        fields := ARRAY['action.description', 'action.owner', 'action.due', 'action.evidence', 'implemented_at'];
        action_ids := act_ids;
        audit_seq := act_seqs OPERATOR(pg_catalog.||) (src OPERATOR(pg_catalog.->) 'implemented_at' OPERATOR(pg_catalog.->>) 'seq')::bigint;
        recorded_by := (src OPERATOR(pg_catalog.->) 'implemented_at' OPERATOR(pg_catalog.->>) 'by')::name;
        recorded_at := (src OPERATOR(pg_catalog.->) 'implemented_at' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
        detail := 'implemented by ' OPERATOR(pg_catalog.||) r.implemented_by::text;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := CASE WHEN n_actions OPERATOR(pg_catalog.>) 0 THEN act_text END;
        fields := ARRAY['action.description', 'action.owner', 'action.due', 'action.evidence'];
        action_ids := act_ids; audit_seq := act_seqs; recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN cancelled THEN why_cancel
                       WHEN n_actions OPERATOR(pg_catalog.=) 0 THEN 'no action items yet: awaiting capa_add_action'
                       ELSE pg_catalog.format('%s of %s action item(s) done; awaiting capa_implement', n_done, n_actions) END;
    END IF;
    RETURN NEXT;

    -- d) review the effectiveness of any action taken
    item := 'd';
    requirement := 'review the effectiveness of any corrective action taken';
    action_ids := NULL;
    IF no_action THEN
        status := 'not_applicable';
        evidence := pg_catalog.left(r.no_action_justification, 200);
        fields := ARRAY['action_required', 'no_action_justification'];
        detail := 'no action was taken, so there is no effectiveness to review';
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x WHERE src OPERATOR(pg_catalog.?) x;
        recorded_by := NULL; recorded_at := NULL;
    ELSIF r.effective IS TRUE AND NOT @extschema@.capa_blank(r.verification_evidence) THEN
        status := 'met';
        evidence := 'effective: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.verification_evidence, 200);
        fields := @extschema@.capa_step_requires(r.kind, 'verify') OPERATOR(pg_catalog.||) 'verified_by'::text;
        audit_seq := verify_seqs;
        recorded_by := (src OPERATOR(pg_catalog.->) 'verified_at' OPERATOR(pg_catalog.->>) 'by')::name;
        recorded_at := (src OPERATOR(pg_catalog.->) 'verified_at' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
        verifier_owns := r.verified_by::text OPERATOR(pg_catalog.=) r.owner
            OR EXISTS (SELECT FROM @extschema@.action a
                        WHERE a.capa_id OPERATOR(@extschema@.=) r.id
                          AND a.owner OPERATOR(pg_catalog.=) r.verified_by::text);
        -- the identities segregation of duties compared (0.3.0): the
        -- verifier's role, login role and application claim, against the
        -- owners, who completed the action items and who implemented it
        SELECT a.session_actor::text, a.app_user INTO v_login, v_app
          FROM @extschema@.audit a
         WHERE a.record_id OPERATOR(@extschema@.=) r.id AND a.action_id IS NULL
           AND a.step OPERATOR(pg_catalog.=) 'verify'
         ORDER BY a.seq DESC LIMIT 1;
        SELECT pg_catalog.string_agg(DISTINCT a.owner, ', '), pg_catalog.string_agg(DISTINCT a.done_by::text, ', ')
          INTO act_owners, act_done
          FROM @extschema@.action a WHERE a.capa_id OPERATOR(@extschema@.=) r.id;
        detail := pg_catalog.format('verified by %s, who %s', r.verified_by,
                  CASE WHEN verifier_owns THEN 'owns the record or one of its action items (segregation of duties was off)'
                       ELSE 'owns neither the record nor its action items' END)
                  OPERATOR(pg_catalog.||)
                  CASE WHEN r.ineffective_count OPERATOR(pg_catalog.>) 0
                       THEN pg_catalog.format('; found ineffective %s time(s) before', r.ineffective_count) ELSE '' END
                  OPERATOR(pg_catalog.||)
                  pg_catalog.format('; compared: %s (login %s%s) with the owner %s, the action items'' owners %s, who completed them %s, who implemented it %s',
                                    r.verified_by, COALESCE(v_login, '-'),
                                    CASE WHEN v_app IS NOT NULL THEN ', application user ' OPERATOR(pg_catalog.||) pg_catalog.left(v_app, 200) ELSE '' END,
                                    pg_catalog.left(r.owner, 200), COALESCE(pg_catalog.left(act_owners, 400), '-'),
                                    COALESCE(act_done, '-'), COALESCE(r.implemented_by::text, '-'));
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL; fields := @extschema@.capa_step_requires(r.kind, 'verify') OPERATOR(pg_catalog.||) 'verified_by'::text;
        audit_seq := verify_seqs; recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN cancelled THEN why_cancel
                       WHEN r.ineffective_count OPERATOR(pg_catalog.>) 0 AND r.effective IS FALSE
                       THEN pg_catalog.format('the last review found the action ineffective (%s time(s)): new action, then capa_verify', r.ineffective_count)
                       ELSE 'awaiting capa_verify' END;
    END IF;
    RETURN NEXT;

    -- e) make changes to the ISMS, if necessary
    item := 'e';
    requirement := 'make changes to the information security management system, if necessary';
    action_ids := NULL;
    IF NOT @extschema@.capa_blank(r.isms_changes) THEN
        status := 'met';
        evidence := pg_catalog.left(r.isms_changes, 200);
        fields := @extschema@.capa_step_requires(r.kind, 'close');
        audit_seq := ARRAY[(src OPERATOR(pg_catalog.->) 'isms_changes' OPERATOR(pg_catalog.->>) 'seq')::bigint];
        recorded_by := (src OPERATOR(pg_catalog.->) 'isms_changes' OPERATOR(pg_catalog.->>) 'by')::name;
        recorded_at := (src OPERATOR(pg_catalog.->) 'isms_changes' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
        detail := CASE WHEN @extschema@.capa_no_isms_change(r.isms_changes)
                       THEN 'no ISMS change made (listed in capa.closed_without_isms_change)'
                       ELSE 'ISMS changes recorded' END;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL; fields := @extschema@.capa_step_requires(r.kind, 'close'); audit_seq := NULL; recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN cancelled THEN why_cancel ELSE 'awaiting capa_close' END;
    END IF;
    RETURN NEXT;

    -- f) documented information: the nature of the nonconformity and the actions taken
    item := 'f';
    requirement := 'retain documented information as evidence of the nature of the nonconformities and any subsequent actions taken';
    action_ids := act_ids;
    fields := ARRAY['title', 'description', 'source', 'severity', 'audit'];
    evidence := pg_catalog.format('%s audit row(s) in %s chain(s), seq %s to %s', pg_catalog.cardinality(all_seqs),
                                  n_chains, all_seqs[1], all_seqs[pg_catalog.cardinality(all_seqs)]);
    audit_seq := all_seqs;
    recorded_by := first_by;
    recorded_at := first_at;
    IF n_problems OPERATOR(pg_catalog.=) 0 THEN
        status := 'met';
        detail := 'capa_audit_verify finds the record''s chains intact';
    ELSE
        status := 'not_met';
        detail := pg_catalog.format('capa_audit_verify finds %s problem(s): %s', n_problems, problems);
    END IF;
    RETURN NEXT;

    -- g) documented information: the results of any corrective action
    item := 'g';
    requirement := 'retain documented information as evidence of the results of any corrective action';
    action_ids := NULL;
    IF no_action THEN
        status := CASE WHEN r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state OR cancelled
                       THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := pg_catalog.left(r.no_action_justification, 200);
        fields := ARRAY['action_required', 'no_action_justification', 'closed_at'];
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x WHERE src OPERATOR(pg_catalog.?) x;
        recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN status OPERATOR(pg_catalog.=) 'not_yet'
                       THEN 'no action required; awaiting capa_close with the justification'
                       ELSE 'no corrective action was taken: closed with the justification' END;
    ELSIF r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state AND r.effective IS TRUE THEN
        status := 'met';
        evidence := pg_catalog.format('closed; effective at the review%s: %s',
                    CASE WHEN r.ineffective_count OPERATOR(pg_catalog.>) 0
                         THEN pg_catalog.format(' after %s ineffective one(s)', r.ineffective_count) ELSE '' END,
                    pg_catalog.left(r.verification_evidence, 200));
        fields := ARRAY['effective', 'verification_evidence', 'ineffective_count', 'closed_at'];
        audit_seq := ARRAY[(src OPERATOR(pg_catalog.->) 'verification_evidence' OPERATOR(pg_catalog.->>) 'seq')::bigint,
                           (src OPERATOR(pg_catalog.->) 'closed_at' OPERATOR(pg_catalog.->>) 'seq')::bigint];
        recorded_by := (src OPERATOR(pg_catalog.->) 'closed_at' OPERATOR(pg_catalog.->>) 'by')::name;
        recorded_at := (src OPERATOR(pg_catalog.->) 'closed_at' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
        detail := 'closed by ' OPERATOR(pg_catalog.||) r.closed_by::text
                  OPERATOR(pg_catalog.||) CASE WHEN r.reopen_count OPERATOR(pg_catalog.>) 0
                       THEN pg_catalog.format('; reopened %s time(s) before', r.reopen_count) ELSE '' END;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL; fields := ARRAY['effective', 'verification_evidence', 'closed_at'];
        audit_seq := NULL; recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN cancelled THEN why_cancel
                       ELSE 'awaiting the effectiveness review and capa_close' END;
    END IF;
    RETURN NEXT;
END
$conformance$;
COMMENT ON FUNCTION @extschema@.capa_conformance(@extschema@.capa_ref) IS
    'the clause 10.2 a-g checklist of one record: for each item its status (met, not_yet, not_applicable; f: not_met when the trail does not verify), the evidence, the columns, action items and audit rows that hold it, who recorded it and when';

-- end of [governed]

--
--
-- [facts] the lifecycle facts in one place (issue 14, item 6)
--
-- Every lifecycle rule is in src/rules.c.  The views, reports, partial
-- indexes and escalation read the facts they need from it through the small
-- functions below instead of spelling states out: whether a record is open
-- (being worked), which due dates are due in which state (the overdue
-- rule), whether a kind's path has a step (containment for corrective
-- records only), what a step requires.  test/pgtap/46_facts.sql checks them
-- against capa_lifecycle() and capa_changes().
--
-- No SET search_path on these, unlike capa_lifecycle(): they look no name
-- up, and they run once per row in partial index predicates and the KPI
-- views, where a SET clause would cost a GUC save and restore per call.
-- NULL in, NULL out (not declared STRICT: no lifecycle function is).
-- capa_state_open is LEAKPROOF, as capa_state_lt, which it replaces in
-- the open records' predicates, is: it raises no error for any state, so
-- under row-level security the planner may still use it early.  The
-- others refuse an unknown name with an error that shows their argument.
-- The planner's estimate of how many rows capa_state_open and
-- capa_due_applies keep, from the statistics of the state column (without
-- it, a third of the register: src/lifecycle_sql.c says why that matters)
CREATE FUNCTION @extschema@.capa_facts_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.capa_facts_support(internal) IS
    'planner support of capa_state_open and capa_due_applies: their selectivity from the statistics of the state column';
REVOKE ALL ON FUNCTION @extschema@.capa_facts_support(internal) FROM PUBLIC;
CREATE FUNCTION @extschema@.capa_state_open(state @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE LEAKPROOF
    SUPPORT @extschema@.capa_facts_support;
COMMENT ON FUNCTION @extschema@.capa_state_open(@extschema@.capa_state) IS
    'the record is being worked: not closed or cancelled (src/rules.c); what the KPIs count as open';
CREATE FUNCTION @extschema@.capa_due_applies(due text, state @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE
    SUPPORT @extschema@.capa_facts_support;
COMMENT ON FUNCTION @extschema@.capa_due_applies(text, @extschema@.capa_state) IS
    'due date due (contain, close, effectiveness) is due in this state (src/rules.c, capa_dues): a record in it is overdue once past that date; its due date may be rescheduled';
CREATE FUNCTION @extschema@.capa_overdue(state @extschema@.capa_state, contain_due timestamptz,
                                        close_due timestamptz, effectiveness_due timestamptz,
                                        "at" timestamptz) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.capa_overdue(@extschema@.capa_state, timestamptz, timestamptz, timestamptz, timestamptz) IS
    'a record in this state with these due dates is overdue at "at": past one of the due dates that is due in its state (capa_due_applies); a NULL due date is never past';
CREATE FUNCTION @extschema@.capa_kind_has_step(kind text, step text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.capa_kind_has_step(text, text) IS
    'the path of this kind has this step (src/rules.c): contain for corrective records only, analyse for corrective and preventive ones';
CREATE FUNCTION @extschema@.capa_step_requires(kind text, step text) RETURNS text[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.capa_step_requires(text, text) IS
    'the evidence columns every such step of this kind''s path requires, whichever state it starts from (src/rules.c); NULL when the kind has no such step';
REVOKE ALL ON FUNCTION @extschema@.capa_state_open(@extschema@.capa_state),
    @extschema@.capa_due_applies(text, @extschema@.capa_state),
    @extschema@.capa_overdue(@extschema@.capa_state, timestamptz, timestamptz, timestamptz, timestamptz),
    @extschema@.capa_kind_has_step(text, text), @extschema@.capa_step_requires(text, text) FROM PUBLIC;
-- capa_reader holds EXECUTE on capa_state_lt, which the predicates below
-- replace: whoever could write the register (every writer is a reader) can
-- still evaluate the partial indexes' predicates
GRANT EXECUTE ON FUNCTION @extschema@.capa_state_open(@extschema@.capa_state),
    @extschema@.capa_due_applies(text, @extschema@.capa_state),
    @extschema@.capa_overdue(@extschema@.capa_state, timestamptz, timestamptz, timestamptz, timestamptz),
    @extschema@.capa_kind_has_step(text, text), @extschema@.capa_step_requires(text, text) TO capa_reader;

-- The partial indexes, with their predicates read from the rules.  The
-- planner uses a partial index only for a query whose WHERE clause
-- contains the predicate as written: kpi_summary and the report write
-- capa_state_open(r.state), src/escalate.c writes
-- capa_due_applies('<due>'::text, r.state), exactly so.
DROP INDEX @extschema@.register_open_kpi_idx;
CREATE INDEX register_open_kpi_idx ON @extschema@.register (state)
    INCLUDE (severity, kind, opened_at, contain_due, close_due, effectiveness_due)
    WHERE @extschema@.capa_state_open(state);
DROP INDEX @extschema@.register_contain_due_idx;
CREATE INDEX register_contain_due_idx ON @extschema@.register (contain_due)
    WHERE @extschema@.capa_due_applies('contain'::text, state);
DROP INDEX @extschema@.register_close_due_idx;
CREATE INDEX register_close_due_idx ON @extschema@.register (close_due)
    WHERE @extschema@.capa_due_applies('close'::text, state);
DROP INDEX @extschema@.register_effectiveness_due_idx;
CREATE INDEX register_effectiveness_due_idx ON @extschema@.register (effectiveness_due)
    WHERE @extschema@.capa_due_applies('effectiveness'::text, state);

-- kpi_record: open and overdue by the rules (closed and cancelled name
-- one state each, and stay comparisons with it)
CREATE OR REPLACE VIEW @extschema@.kpi_record WITH (security_invoker = true) AS
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

-- kpi_summary: the open records' figures by the rules (the rest as 0.1.0
-- wrote it)
CREATE OR REPLACE VIEW @extschema@.kpi_summary WITH (security_invoker = true) AS
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
           -- (src/rules.c, capa_dues: containment while a record is open,
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

-- end of [facts]
