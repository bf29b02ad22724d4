-- The management-review report: refusals with their SQLSTATE, escaping,
-- who may run it, and that it only reads.  (test/report.sh renders it in
-- Chromium and checks the charts.)
\set SHOW_CONTEXT never

-- the period
SELECT try($$SELECT capa.capa_report_html(NULL, '2026-01-31')$$) AS null_start;
SELECT try($$SELECT capa.capa_report_html('2026-01-01', NULL)$$) AS null_end;
SELECT try($$SELECT capa.capa_report_html('2026-03-01', '2026-02-28')$$) AS reversed;
SELECT try($$SELECT capa.capa_report_html('-infinity', '2026-02-28')$$) AS not_finite;
SELECT try($$SELECT capa.capa_report_html('2016-01-01', '2026-01-31')$$) AS months_121;
SELECT try($$SELECT capa.capa_report_html('2016-02-01', '2026-01-31')$$) AS months_120;
SELECT try($$SELECT capa.capa_report_html('2026-02-14', '2026-02-14')$$) AS one_day;
-- the refusal names both dates
SELECT capa.capa_report_html('2026-03-01', '2026-02-28');

-- the chart helper refuses what it cannot draw
SELECT try($$SELECT capa.report_chart('x', 'X', 'pie', '{a}', '{s}', '{1}')$$) AS bad_style;
SELECT try($$SELECT capa.report_chart('x', 'X', 'bars', '{a,b}', '{s}', '{1}')$$) AS bad_shape;
SELECT try($$SELECT capa.report_chart('x', 'X', 'bars', '{a,b}', '{s}', '{1,2}', cumulative => '{1}')$$) AS bad_cumulative;

-- escaping: the five characters, control characters, NULL
SELECT capa.report_escape($$<script>alert('x') & "y"</script>$$) AS escaped;
SELECT capa.report_escape(E'a\x01b\x1fc\td\ne') = E'a\uFFFDb\uFFFDc\td\ne' AS controls_replaced,
       capa.report_escape(NULL) = '' AS null_is_empty;
-- a chart escapes its id, caption, labels and series names
SELECT strpos(c, '<x>') = 0 AND strpos(c, '&lt;x&gt;') > 0 AS chart_escapes
  FROM capa.report_chart('<x>', '<x>', 'bars', '{<x>}', '{<x>}', '{1}') AS c;

-- a hostile owner and title on an overdue record, and a hostile heading
SET ROLE regress_alice;
SELECT capa.capa_open($$</td><img src=x onerror=alert(1)>$$, 'd', 'minor', 'other',
                      owner => '<script>alert(1)</script>',
                      close_due => now() - interval '2 days') AS hostile \gset
RESET ROLE;
SET ROLE regress_carol;    -- capa_reader only
SELECT capa.capa_report_html(title => '"><script>alert(2)</script>') AS page \gset
RESET ROLE;
SELECT strpos(:'page', '<script') AS raw_script,
       strpos(:'page', '<img') AS raw_img,
       strpos(:'page', '&lt;script&gt;alert(1)&lt;/script&gt;') > 0 AS owner_escaped,
       strpos(:'page', '&lt;/td&gt;&lt;img src=x onerror=alert(1)&gt;') > 0 AS title_escaped,
       strpos(:'page', '<h1>&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;</h1>') > 0 AS heading_escaped;

-- the page: one document, six charts, nothing fetched from elsewhere
SELECT left(:'page', 15) AS starts, rtrim(:'page', E'\n') LIKE '%</html>' AS ends_html,
       (length(:'page') - length(replace(:'page', '<svg ', ''))) / 5 AS charts,
       (length(:'page') - length(replace(:'page', '</svg>', ''))) / 6 AS charts_closed,
       :'page' ~* '(https?:|@import|url\()' AS urls,
       :'page' ~* '<[^>]*\m(src|href)=' AS src_or_href;
-- a period before any record: the monthly charts say No data
SELECT substring(t.part from '^class="chart" data-chart="([a-z-]+)"') AS chart,
       strpos(split_part(t.part, '</svg>', 1), '>No data<') > 0 AS no_data
  FROM capa.capa_report_html('2001-01-01', '2001-12-31') AS p,
       regexp_split_to_table(p, '<svg ') WITH ORDINALITY AS t(part, i)
 WHERE t.i > 1 AND t.part ~ '^class="chart" data-chart="(backlog|opened-closed|on-time)"'
 ORDER BY t.i;

-- it only reads: it runs in a read-only transaction and writes nothing
SELECT count(*) AS audit_before FROM capa.audit \gset
BEGIN TRANSACTION READ ONLY;
SELECT length(capa.capa_report_html()) > 0 AS read_only_ok;
COMMIT;
SELECT count(*) - :audit_before AS audit_rows_written FROM capa.audit;

-- who may run it: readers and up; nobody else, nothing for PUBLIC
SET ROLE regress_eve;
SELECT try('SELECT capa.capa_report_html()') AS eve;
RESET ROLE;
SELECT p.oid::regprocedure AS function, p.provolatile, p.prosecdef, p.proconfig,
       array(SELECT a.grantee::regrole::text FROM aclexplode(p.proacl) a
              WHERE a.grantee <> p.proowner ORDER BY 1) AS granted_to
  FROM pg_proc p
 WHERE p.pronamespace = 'capa'::regnamespace AND p.proname IN ('capa_report_html', 'report_chart', 'report_escape')
 ORDER BY p.proname;
