-- capa install script, part 80: the management-review report,
-- capa_report_html(), with its HTML escaping and its inline SVG charts.

--
-- Management-review report.  capa_report_html() writes one self-contained
-- HTML page (inline SVG charts; no scripts, fonts, images or links) from
-- the KPI views: the input on nonconformity and corrective-action trends
-- that ISO/IEC 27001 9.3.2 c) asks the management review for.  It only
-- reads, with the caller's privileges (the views are security_invoker).
-- Every text that reaches the page, stored or passed in, goes through
-- report_escape(); the chart helper escapes its labels itself.
--
CREATE FUNCTION @extschema@.report_escape(value text) RETURNS text
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

-- One chart as inline SVG: grouped bars or lines over labelled categories,
-- with a y axis from 0, an optional cumulative-share line on a right axis
-- from 0 to 100% (the Pareto curve), and a legend when there is more than
-- one series.  vals is series x categories (a 1-D array is one series);
-- NULL is "no value" (no bar, a gap in a line).  With no values at all (or
-- only zeros, for bars) it draws the empty frame with "No data".
CREATE FUNCTION @extschema@.report_chart(chart text, caption text, style text, labels text[],
                                         series text[], vals numeric[],
                                         percent boolean DEFAULT false,
                                         cumulative numeric[] DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $chart$
DECLARE
    -- the canvas, and the plot area inside it (pixels); turned x labels
    -- get 40 more below
    w CONSTANT integer := 600;
    h integer := 276;
    x0 CONSTANT integer := 52;
    x1 CONSTANT integer := 548;
    y0 CONSTANT integer := 236;     -- the zero line
    y1 CONSTANT integer := 56;      -- the top of the scale
    colors CONSTANT text[] := ARRAY['#2b6cb0', '#dd6b20', '#2f855a', '#805ad5'];
    cum_color CONSTANT text := '#c53030';
    id text := @extschema@.report_escape(chart);
    n integer := COALESCE(pg_catalog.array_length(labels, 1), 0);
    ns integer := COALESCE(pg_catalog.array_length(series, 1), 0);
    vmax numeric;
    ymax numeric;
    step numeric;
    slot numeric;       -- width of one category
    every integer;      -- label every n-th category
    rotate boolean;
    bar numeric;
    x numeric;
    y numeric;
    v numeric;
    shown text;     -- a value as written on the chart
    pts text;
    lx integer;
    i integer;
    s integer;
    svg text;
BEGIN
    IF style IS NULL OR style NOT IN ('bars', 'lines') THEN
        RAISE EXCEPTION 'report_chart: style must be bars or lines' USING ERRCODE = '22023';
    END IF;
    IF pg_catalog.array_ndims(vals) = 1 THEN
        vals := ARRAY[vals];
    END IF;
    IF n > 0 AND (pg_catalog.array_length(vals, 1) IS DISTINCT FROM ns
                  OR pg_catalog.array_length(vals, 2) IS DISTINCT FROM n
                  OR pg_catalog.array_length(cumulative, 1) IS DISTINCT FROM
                     CASE WHEN cumulative IS NOT NULL THEN n END) THEN
        RAISE EXCEPTION 'report_chart: vals must be series x labels, cumulative one value per label'
            USING ERRCODE = '22023';
    END IF;
    SELECT pg_catalog.max(u.v) INTO vmax FROM pg_catalog.unnest(vals) AS u(v);

    -- x labels: at most about 12, cut at 20 characters, turned when they
    -- would overlap
    IF n > 0 THEN
        slot := (x1 - x0)::numeric / n;
        every := pg_catalog.ceil(n / 12.0)::integer;
        rotate := (SELECT pg_catalog.max(LEAST(pg_catalog.length(u.l), 20)) FROM pg_catalog.unnest(labels) AS u(l))
                  * 6.2 > slot * every;
        h := h + CASE WHEN rotate THEN 40 ELSE 0 END;
    END IF;

    svg := pg_catalog.format(
        '<svg class="chart" data-chart="%s" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="chart-%s-title"'
        ' font-family="system-ui, &quot;Segoe UI&quot;, &quot;DejaVu Sans&quot;, Helvetica, Arial, sans-serif" font-size="11" fill="#4a5568">'
        '<title id="chart-%s-title">%s</title>'
        '<text class="caption" x="%s" y="22" font-size="15" font-weight="600" fill="#1a202c">%s</text>',
        id, w, h, w, h, id, id, @extschema@.report_escape(caption), x0 - 40, @extschema@.report_escape(caption));

    IF n = 0 OR vmax IS NULL OR (style = 'bars' AND vmax <= 0) THEN
        RETURN svg || pg_catalog.format(
            '<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#4a5568"/><line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#4a5568"/>'
            '<text class="nodata" x="%s" y="%s" text-anchor="middle" font-size="18" fill="#a0aec0">No data</text></svg>',
            x0, y0, x1, y0, x0, y1, x0, y0, (x0 + x1) / 2, (y0 + y1) / 2);
    END IF;

    -- the scale: 0 to a round maximum in at most 5 steps; counts step by
    -- whole numbers, rates run from 0 to 100%
    IF percent THEN
        ymax := 1;
        step := 0.2;
    ELSE
        step := GREATEST(vmax, 1) / 5;
        step := (SELECT pg_catalog.min(f * pg_catalog.power(10::numeric, pg_catalog.floor(pg_catalog.log(step))))
                   FROM pg_catalog.unnest(ARRAY[1, 2, 5, 10]) AS u(f)
                  WHERE f * pg_catalog.power(10::numeric, pg_catalog.floor(pg_catalog.log(step))) >= step);
        step := GREATEST(step, 1);
        ymax := GREATEST(pg_catalog.ceil(vmax / step), 1) * step;
    END IF;

    -- grid lines and y labels
    FOR i IN 0 .. (ymax / step)::integer LOOP
        y := y0 - (y0 - y1) * i * step / ymax;
        svg := svg || pg_catalog.format(
            '<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e2e8f0"/><text class="tick" x="%s" y="%s" text-anchor="end">%s</text>',
            x0, pg_catalog.round(y, 1), x1, pg_catalog.round(y, 1), x0 - 6, pg_catalog.round(y + 4, 1),
            CASE WHEN percent THEN pg_catalog.round(i * step * 100) || '%'
                 ELSE pg_catalog.trim_scale(i * step)::text END);
    END LOOP;
    IF cumulative IS NOT NULL THEN
        FOR i IN 0 .. 5 LOOP
            svg := svg || pg_catalog.format('<text class="tick" x="%s" y="%s" fill="%s">%s%%</text>',
                x1 + 6, pg_catalog.round(y0 - (y0 - y1) * i / 5.0 + 4, 1), cum_color, i * 20);
        END LOOP;
    END IF;

    FOR i IN 1 .. n LOOP
        CONTINUE WHEN (i - 1) % every <> 0;
        x := x0 + slot * (i - 0.5);
        svg := svg || pg_catalog.format('<text class="label" x="%s" y="%s" text-anchor="%s"%s>%s</text>',
            pg_catalog.round(x, 1), y0 + 16, CASE WHEN rotate THEN 'end' ELSE 'middle' END,
            CASE WHEN rotate THEN pg_catalog.format(' transform="rotate(-35 %s %s)"', pg_catalog.round(x, 1), y0 + 16) END,
            @extschema@.report_escape(CASE WHEN pg_catalog.length(labels[i]) > 20
                                           THEN pg_catalog.left(labels[i], 19) || U&'\2026' ELSE labels[i] END));
    END LOOP;
    svg := svg || pg_catalog.format('<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#4a5568"/><line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#4a5568"/>',
        x0, y0, x1, y0, x0, y1, x0, y0);

    -- the marks; each carries its exact value as a tooltip
    IF style = 'bars' THEN
        bar := LEAST(slot * 0.72 / ns, 64);     -- a lone bar stays a bar
        FOR s IN 1 .. ns LOOP
            FOR i IN 1 .. n LOOP
                v := vals[s][i];
                -- a zero rate is a figure worth showing; a zero count is an empty slot
                CONTINUE WHEN v IS NULL OR v < 0 OR (v = 0 AND NOT percent);
                x := x0 + slot * (i - 1) + (slot - bar * ns) / 2 + bar * (s - 1);
                y := y0 - (y0 - y1) * LEAST(v, ymax) / ymax;
                shown := CASE WHEN percent THEN pg_catalog.round(v * 100) || '%' ELSE pg_catalog.trim_scale(v)::text END;
                IF v > 0 THEN
                    svg := svg || pg_catalog.format(
                        '<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s, %s: %s</title></rect>',
                        pg_catalog.round(x, 1), pg_catalog.round(y, 1), pg_catalog.round(bar, 1), pg_catalog.round(y0 - y, 1),
                        colors[(s - 1) % 4 + 1], @extschema@.report_escape(labels[i]), @extschema@.report_escape(series[s]), shown);
                END IF;
                IF n * ns <= 24 THEN
                    svg := svg || pg_catalog.format('<text class="value" x="%s" y="%s" text-anchor="middle" font-size="10" fill="#1a202c">%s</text>',
                        pg_catalog.round(x + bar / 2, 1), pg_catalog.round(y - 4, 1), shown);
                END IF;
            END LOOP;
        END LOOP;
    ELSE
        FOR s IN 1 .. ns LOOP
            pts := '';
            FOR i IN 1 .. n + 1 LOOP
                v := CASE WHEN i <= n THEN vals[s][i] END;
                IF v IS NULL THEN
                    -- a gap or the end: draw the run of points so far
                    IF pg_catalog.strpos(pts, ' ') > 0 THEN
                        svg := svg || pg_catalog.format('<polyline class="line" points="%s" stroke="%s" stroke-width="2.5" fill="none"/>', pts, colors[(s - 1) % 4 + 1]);
                    END IF;
                    pts := '';
                    CONTINUE;
                END IF;
                x := x0 + slot * (i - 0.5);
                y := y0 - (y0 - y1) * LEAST(v, ymax) / ymax;
                pts := pts || CASE WHEN pts = '' THEN '' ELSE ' ' END || pg_catalog.round(x, 1) || ',' || pg_catalog.round(y, 1);
                shown := CASE WHEN percent THEN pg_catalog.round(v * 100) || '%' ELSE pg_catalog.trim_scale(v)::text END;
                svg := svg || pg_catalog.format('<circle class="point" cx="%s" cy="%s" r="%s" fill="%s"><title>%s, %s: %s</title></circle>',
                    pg_catalog.round(x, 1), pg_catalog.round(y, 1), CASE WHEN n <= 36 THEN 3 ELSE 2 END,
                    colors[(s - 1) % 4 + 1], @extschema@.report_escape(labels[i]), @extschema@.report_escape(series[s]), shown);
            END LOOP;
        END LOOP;
    END IF;

    -- the cumulative share (0 to 1) on the right axis
    IF cumulative IS NOT NULL THEN
        pts := '';
        FOR i IN 1 .. n LOOP
            CONTINUE WHEN cumulative[i] IS NULL;
            x := x0 + slot * (i - 0.5);
            y := y0 - (y0 - y1) * LEAST(cumulative[i], 1);
            pts := pts || CASE WHEN pts = '' THEN '' ELSE ' ' END || pg_catalog.round(x, 1) || ',' || pg_catalog.round(y, 1);
            svg := svg || pg_catalog.format('<circle class="point" cx="%s" cy="%s" r="3" fill="%s"><title>%s, cumulative share: %s%%</title></circle>',
                pg_catalog.round(x, 1), pg_catalog.round(y, 1), cum_color, @extschema@.report_escape(labels[i]),
                pg_catalog.round(cumulative[i] * 100));
        END LOOP;
        svg := svg || pg_catalog.format('<polyline class="line" points="%s" stroke="%s" stroke-width="2.5" fill="none"/>', pts, cum_color);
    END IF;

    -- the legend, left to right under the caption
    IF ns > 1 OR cumulative IS NOT NULL THEN
        lx := x0;
        FOR s IN 1 .. ns + CASE WHEN cumulative IS NOT NULL THEN 1 ELSE 0 END LOOP
            svg := svg || pg_catalog.format(
                '<rect class="key" x="%s" y="32" width="10" height="10" fill="%s"/><text class="legend" x="%s" y="41">%s</text>',
                lx, CASE WHEN s <= ns THEN colors[(s - 1) % 4 + 1] ELSE cum_color END, lx + 14,
                @extschema@.report_escape(CASE WHEN s <= ns THEN series[s] ELSE 'cumulative share (right axis)' END));
            lx := lx + 24 + 6 * pg_catalog.length(CASE WHEN s <= ns THEN series[s] ELSE 'cumulative share (right axis)' END);
        END LOOP;
    END IF;
    RETURN svg || '</svg>';
END
$chart$;
COMMENT ON FUNCTION @extschema@.report_chart(text, text, text, text[], text[], numeric[], boolean, numeric[]) IS
    'one chart of capa_report_html() as inline SVG: bars or lines of vals (series x labels), optional cumulative share on a right axis; labels and names escaped';

-- The page: the register now (kpi_summary's tiles), six charts over the
-- period's whole months (UTC), the overdue records and the definitions;
-- a NULL, infinite or reversed period, or one over 120 months, is refused
CREATE FUNCTION @extschema@.capa_report_html(
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

GRANT EXECUTE ON FUNCTION @extschema@.report_escape(text),
    @extschema@.report_chart(text, text, text, text[], text[], numeric[], boolean, numeric[]),
    @extschema@.capa_report_html(date, date, text) TO capa_reader;
