#!/bin/bash
# The management-review report, as TAP: capa_report_html() on a small
# register with seven months of history renders in headless Chromium with
# its six charts, each drawn; the page is well-formed, self-contained, and a
# hostile owner and title stay text; the screenshot has the requested size
# and the charts' colours; an empty register still gives six (empty) charts.
# Needs a running server (PG* variables, as pg_virtualenv sets them), capa
# installed, chromium and python3.
set -u
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got: '$1'"; echo "#  want: '$2'"; fail=1; fi; }
q() { psql -XAtq -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
    rm -rf "$work"
    for db in capa_report capa_report_empty; do dropdb --if-exists "$db" >/dev/null 2>&1; done
    psql -Xq -d postgres -c 'DROP ROLE IF EXISTS capa_report_reader' >/dev/null 2>&1
}
trap cleanup EXIT

for db in capa_report capa_report_empty; do dropdb --if-exists "$db" >/dev/null 2>&1; done
createdb capa_report
createdb capa_report_empty
psql -Xq -v ON_ERROR_STOP=1 -d capa_report_empty -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION capa' >/dev/null
psql -Xq -v ON_ERROR_STOP=1 -d capa_report >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION capa;
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'capa_report_reader') THEN
        CREATE ROLE capa_report_reader IN ROLE capa_reader;
    END IF;
END $$;
INSERT INTO capa.source (code, label) VALUES ('pentest', 'Penetration test');
-- 36 records through every path; record 4, open and overdue, has a hostile
-- owner and title
DO $$
DECLARE
    r capa.capa_ref;
    a bigint;
    i int;
    sev text[] := ARRAY['minor', 'major', 'observation', 'critical', 'minor', 'major'];
    cause text[] := ARRAY['process', 'technology', 'process', 'people', 'supplier', 'process', 'technology', 'governance'];
BEGIN
    FOR i IN 1..36 LOOP
        r := capa.capa_open(CASE WHEN i = 4 THEN 'Backups <b>failed</b> & "nobody" noticed' ELSE 'Finding ' || i END,
                            'd', sev[i % 6 + 1]::capa.capa_severity,
                            CASE WHEN i % 3 = 0 THEN 'pentest' ELSE 'internal_audit' END,
                            kind => CASE WHEN i % 9 = 0 THEN 'improvement' ELSE 'corrective' END,
                            owner => CASE WHEN i = 4 THEN '<script>alert(1)</script>' ELSE 'owner_' || (i % 5) END);
        CONTINUE WHEN i % 9 = 0 OR i % 4 = 0;       -- stays open
        PERFORM capa.capa_contain(r, 'contained', 'none');
        CONTINUE WHEN i % 10 = 1;                   -- stays contained
        IF i % 11 = 5 THEN
            PERFORM capa.capa_cancel(r, 'duplicate');
            CONTINUE;
        END IF;
        PERFORM capa.capa_analyse(r, 'cause', '5whys', 'extent', cause_category => cause[i % 8 + 1]);
        a := capa.capa_add_action(r, 'fix', 'ops', current_date + 7);
        PERFORM capa.capa_plan(r);
        PERFORM capa.capa_complete_action(a, 'done');
        PERFORM capa.capa_implement(r);
        CONTINUE WHEN i % 7 = 3;                    -- waits for its effectiveness check
        IF i % 6 = 1 THEN                           -- found ineffective first
            PERFORM capa.capa_verify(r, false, 'still failing');
            a := capa.capa_add_action(r, 'fix again', 'ops', current_date + 7);
            PERFORM capa.capa_complete_action(a, 'done');
            PERFORM capa.capa_implement(r);
        END IF;
        PERFORM capa.capa_verify(r, true, 'works');
        PERFORM capa.capa_close(r, 'procedure v2');
        IF i = 2 THEN
            PERFORM capa.capa_reopen(r, 'came back');
        END IF;
    END LOOP;
END $$;
-- History.  Each step above is stamped with this transaction's time, and
-- the API has no way to record the past, so spread the records over the
-- last seven months (opened 0 to 79 days before they were worked on) with
-- the register trigger off, then rebuild the KPI rollup from the rows.
-- (The audit trail no longer matches; this test does not verify it.)
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE capa.register r SET
    opened_at = r.opened_at - sh.early, contained_at = r.contained_at - sh.early,
    analysed_at = r.analysed_at - sh.early, planned_at = r.planned_at - sh.early,
    contain_due = r.contain_due - sh.early, close_due = r.close_due - sh.early,
    implemented_at = r.implemented_at - sh.late, verified_at = r.verified_at - sh.late,
    closed_at = r.closed_at - sh.late, cancelled_at = r.cancelled_at - sh.late,
    reopened_at = r.reopened_at - sh.late, effectiveness_due = r.effectiveness_due - sh.late
  FROM (SELECT x.id, make_interval(months => x.n % 7) AS late,
               make_interval(months => x.n % 7, days => (x.n * 13) % 80) AS early
          FROM (SELECT id, capa.capa_ref_number(id)::int AS n FROM capa.register) x) sh
 WHERE sh.id OPERATOR(capa.=) r.id;
COMMIT;
SELECT capa.capa_kpi_rebuild();
SQL
ok "$?" 0 "a register of 36 records with seven months of history"

# the report as a member of capa_reader, in a read-only transaction
report() {
    psql -XAtq -v ON_ERROR_STOP=1 -d "$1" -c 'SET ROLE capa_report_reader' \
         -c 'SET default_transaction_read_only = on' -c "SELECT capa.capa_report_html($2)" > "$3"
}
report capa_report '' "$work/report.html"
ok "$?" 0 "capa_report_html() runs for a capa_reader, read-only"
report capa_report "period_start => (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '2 months')::date" "$work/quarter.html"
report capa_report_empty '' "$work/empty.html"
ok "$?" 0 "and on an empty register"

# render: a screenshot and the DOM as Chromium parsed it (no JavaScript on
# the page; stderr has Chromium's dbus and GPU chatter)
chrome() {
    timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$work/chromium" "$@" 2>/dev/null
}
if ! command -v chromium >/dev/null 2>&1; then
    ok "missing" "installed" "chromium is installed (test/install-deps.sh)"
fi
chrome --window-size=1280,2400 --screenshot="$work/report.png" "file://$work/report.html" >/dev/null
ok "$?" 0 "Chromium renders the report and takes a screenshot"
chrome --dump-dom "file://$work/report.html" > "$work/report.dom"
ok "$?" 0 "Chromium dumps the report's DOM"
chrome --dump-dom "file://$work/quarter.html" > "$work/quarter.dom"
chrome --dump-dom "file://$work/empty.html" > "$work/empty.dom"
ok "$?" 0 "Chromium renders the empty register's report"

# facts about the pages, the DOMs and the screenshot, one "name value" a line
python3 - "$work" > "$work/facts" <<'PY'
import re, struct, sys, zlib
from html.parser import HTMLParser
from xml.etree import ElementTree

work = sys.argv[1]

def fact(name, value):
    print(name, value)

class Dom(HTMLParser):
    """The charts (svg.chart), their titles and marks, and every element."""
    def __init__(self):
        super().__init__()
        self.charts, self.chart, self.tags, self.in_title, self.texts = [], None, {}, False, []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == 'svg' and 'chart' in (a.get('class') or '').split():
            self.chart = {'id': a.get('data-chart'), 'title': '', 'bar': 0, 'point': 0,
                          'line': 0, 'label': 0, 'nodata': 0}
            self.charts.append(self.chart)
        elif self.chart is not None:
            cls = (a.get('class') or '').split()
            for k in ('bar', 'point', 'line', 'label', 'nodata'):
                if k in cls:
                    self.chart[k] += 1
            self.in_title = tag == 'title' and a.get('id', '').endswith('-title')
    def handle_endtag(self, tag):
        if tag == 'svg':
            self.chart = None
        self.in_title = False
    def handle_data(self, data):
        if self.in_title and self.chart is not None:
            self.chart['title'] += data
        self.texts.append(data)

def dom(name):
    d = Dom()
    d.feed(open(f'{work}/{name}', encoding='utf-8').read())
    return d

# the page as written: well-formed, nothing fetched from anywhere
page = open(f'{work}/report.html', encoding='utf-8').read()
try:
    ElementTree.fromstring(page[page.index('<html'):])
    fact('wellformed', 'yes')
except Exception as e:
    fact('wellformed', f'no:{e}')
fact('external', ','.join(p for p in ('http:', 'https:', '//', 'src=', 'href=', '@import', 'url(', '<script', '<link', '<img', '<iframe', '<object')
                         if p in page.lower()) or 'none')

d = dom('report.dom')
fact('charts', ' | '.join(f"{c['id']}: {c['title']}" for c in d.charts))
for c in d.charts:
    fact(f"marks-{c['id']}", f"bars={min(c['bar'], 1)} points={min(c['point'], 1)} lines={min(c['line'], 1)} nodata={c['nodata']}")
fact('scripts', d.tags.get('script', 0))
fact('owner_as_text', 'yes' if '<script>alert(1)</script>' in d.texts else 'no')
fact('title_as_text', 'yes' if 'Backups <b>failed</b> & "nobody" noticed' in d.texts else 'no')
fact('bold_elements', d.tags.get('b', 0))
fact('overdue_rows', d.tags.get('tr', 0) - 1)

q = dom('quarter.dom')
fact('quarter_labels', ' '.join(str(c['label']) for c in q.charts if c['id'] in ('backlog', 'opened-closed', 'on-time')))

e = dom('empty.dom')
fact('empty_charts', len(e.charts))
fact('empty_nodata', sum(c['nodata'] for c in e.charts))
fact('empty_marks', sum(c['bar'] + c['point'] + c['line'] for c in e.charts))

# the screenshot: size, and how much of it is the charts' colours
def png(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat = 8, []
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            w, h, depth, colour, _, _, interlace = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat.append(body)
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f'unexpected PNG format {depth} {colour} {interlace}')
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b''.join(idat)), w * bpp
    prev, rows = bytearray(stride), []
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows

try:
    w, h, bpp, rows = png(f'{work}/report.png')
    fact('png_size', f'{w}x{h}')
    counts = {}
    for row in rows[::2]:
        for i in range(0, len(row), bpp):
            px = row[i:i + 3]
            counts[px] = counts.get(px, 0) + 1
    total = sum(counts.values())
    fact('png_colours', 'many' if len(counts) >= 100 else len(counts))
    fact('png_ink', 'yes' if total - counts.get(b'\xff\xff\xff', 0) > total // 20 else 'no')
    # report_chart's colours as solid areas (every other row counted): the
    # bars are about 50,000 blue and 3,000 orange pixels, the lines, tile
    # borders and points without them about 2,000 and 300; red is the Pareto
    # curve and the overdue tile
    for name, rgb, least in (('blue', '2b6cb0', 10000), ('orange', 'dd6b20', 1000), ('red', 'c53030', 300)):
        fact(f'png_{name}', 'yes' if counts.get(bytes.fromhex(rgb), 0) >= least else counts.get(bytes.fromhex(rgb), 0))
except Exception as ex:
    fact('png_size', f'error:{ex}')
PY
ok "$?" 0 "the pages, DOMs and screenshot could be read"
f() { sed -n "s/^$1 //p" "$work/facts"; }

ok "$(f wellformed)" yes "the page is well-formed (it parses as XML too)"
ok "$(f external)" none "the page is self-contained: no URL, src, href, @import, url(), script, link or img"
ok "$(f charts)" "backlog: Backlog at month end | opened-closed: Opened and closed per month | aging: Age of open records | causes: Pareto of causes | effectiveness: Effectiveness of corrective actions | on-time: Closed on time, per month" \
   "Chromium's DOM has the six charts, as SVG, with their titles"
ok "$(f marks-backlog)" "bars=0 points=1 lines=1 nodata=0" "the backlog chart draws its lines and points"
ok "$(f marks-opened-closed)" "bars=1 points=0 lines=0 nodata=0" "the opened and closed chart draws its bars"
ok "$(f marks-aging)" "bars=1 points=0 lines=0 nodata=0" "the aging chart draws its bars"
ok "$(f marks-causes)" "bars=1 points=1 lines=1 nodata=0" "the Pareto chart draws its bars and the cumulative line"
ok "$(f marks-effectiveness)" "bars=1 points=0 lines=0 nodata=0" "the effectiveness chart draws its bars"
ok "$(f marks-on-time)" "bars=0 points=1 lines=1 nodata=0" "the on-time chart draws its line"
ok "$(f overdue_rows)" "$(q capa_report "SELECT count(*) FROM capa.kpi_record WHERE is_overdue")" \
   "the overdue table has a row for each overdue record"
ok "$(f scripts) $(f bold_elements)" "0 0" "the DOM has no script element and no b element"
ok "$(f owner_as_text) $(f title_as_text)" "yes yes" "an owner <script>alert(1)</script> and a title with <b> are shown as text"
ok "$(f quarter_labels)" "3 3 3" "period_start two months back: the monthly charts show three months"
ok "$(f png_size)" 1280x2400 "the screenshot is a PNG of the requested size"
ok "$(f png_colours) $(f png_ink)" "many yes" "the screenshot is not blank: many colours, more than 5% not white"
ok "$(f png_blue) $(f png_orange) $(f png_red)" "yes yes yes" "the screenshot shows the bars (solid blue and orange areas) and the red Pareto curve"
ok "$(f empty_charts) $(f empty_nodata) $(f empty_marks)" "6 6 0" "an empty register: six charts, each saying No data"

echo "1..$n"
exit $fail
