#!/bin/bash
# The management-review report, as TAP: capa_report_html() on a small
# register with seven months of history (imported) renders in headless
# Chromium with its six charts, each drawn; the page is well-formed and
# self-contained, and a hostile owner and title stay text (a title with
# U+FFFF, U+0001, U+FDD0, U+10FFFF and <script>: those characters, which XML
# does not allow, are written as U+FFFD); the screenshot
# has the requested size and the charts' colours; an empty register still
# gives six (empty) charts.
# Needs a running server (PG* variables, as pg_virtualenv sets them), capa
# installed, chromium and python3.
set -u
cd "$(dirname "$0")/.."    # test/policy_0_2.sql
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
psql -Xq -v ON_ERROR_STOP=1 -d capa_report_empty -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION capa' -f test/policy_0_2.sql >/dev/null
psql -Xq -v ON_ERROR_STOP=1 -d capa_report >/dev/null <<'SQL'
SET client_min_messages = warning;
SET search_path = public, capa;
CREATE EXTENSION capa;
\i test/policy_0_2.sql
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'capa_report_reader') THEN
        CREATE ROLE capa_report_reader IN ROLE capa_reader;
    END IF;
END $$;
INSERT INTO capa.source (code, label) VALUES ('pentest', 'Penetration test');
-- 36 records with up to seven months of history, through capa_import (the
-- API stamps each step with the transaction's time): i picks the kind, the
-- state, the severity and how long ago; record 4 (open, overdue) has a
-- hostile owner and title, record 8 (open, overdue) a title with characters
-- XML does not allow
CREATE TABLE staging AS
WITH base AS (
    SELECT i,
           CASE WHEN i % 9 = 0 THEN 'improvement' ELSE 'corrective' END AS kind,
           CASE WHEN i % 9 = 0 OR i % 4 = 0 THEN 'open'
                WHEN i % 10 = 1 THEN 'contained'
                WHEN i % 11 = 5 THEN 'cancelled'
                WHEN i % 7 = 3 OR i % 6 = 1 THEN 'implemented'
                ELSE 'closed' END AS state,
           (ARRAY['minor', 'major', 'observation', 'critical', 'minor', 'major'])[i % 6 + 1] AS severity,
           (ARRAY['process', 'technology', 'process', 'people', 'supplier', 'process', 'technology', 'governance'])[i % 8 + 1] AS cause,
           date_trunc('second', now()) - make_interval(months => i % 7, days => 5 + (i * 13) % 75, hours => 1) AS t0,
           date_trunc('second', now()) - make_interval(months => i % 7, hours => 1) AS t1
      FROM generate_series(1, 36) AS i
), steps AS (
    SELECT b.*,
           b.state IN ('contained', 'cancelled', 'implemented', 'closed') AS contained,
           b.state IN ('implemented', 'closed') AS worked,
           b.state = 'closed' AS closed
      FROM base b
)
SELECT s.i AS legacy_id, s.kind, s.state, s.severity,
       CASE WHEN s.i = 4 THEN 'Backups <b>failed</b> & "nobody" noticed'
            WHEN s.i = 8 THEN E'Log \uFFFF\u0001\uFDD0\U0010FFFF <script>x()</script> gap'
            ELSE 'Finding ' || s.i END AS title,
       'd' AS description, CASE WHEN s.i % 3 = 0 THEN 'pentest' ELSE 'internal_audit' END AS source,
       CASE WHEN s.i = 4 THEN '<script>alert(1)</script>' ELSE 'owner_' || (s.i % 5) END AS owner,
       s.t0 AS opened_at, 'importer' AS opened_by,
       CASE WHEN s.kind = 'corrective' THEN s.t0 + interval '7 days' END AS contain_due,
       s.t0 + CASE s.severity WHEN 'critical' THEN interval '30 days' WHEN 'major' THEN interval '60 days'
                              WHEN 'minor' THEN interval '90 days' ELSE interval '180 days' END AS close_due,
       CASE WHEN s.contained THEN 'contained' END AS containment,
       CASE WHEN s.contained THEN 'none' END AS consequences,
       CASE WHEN s.contained THEN s.t0 + interval '1 day' END AS contained_at,
       CASE WHEN s.contained THEN 'owner_' || (s.i % 5) END AS contained_by,
       CASE WHEN s.worked THEN 'cause' END AS root_cause,
       CASE WHEN s.worked THEN '5whys' END AS rca_method,
       CASE WHEN s.worked THEN 'extent' END AS extent_of_condition,
       CASE WHEN s.worked THEN s.cause END AS cause_category,
       CASE WHEN s.worked THEN true END AS action_required,
       CASE WHEN s.worked THEN s.t0 + interval '2 days' END AS analysed_at,
       CASE WHEN s.worked THEN 'owner_' || (s.i % 5) END AS analysed_by,
       CASE WHEN s.worked THEN s.t0 + interval '3 days' END AS planned_at,
       CASE WHEN s.worked THEN 'owner_' || (s.i % 5) END AS planned_by,
       CASE WHEN s.worked THEN s.t1 - interval '2 days' END AS implemented_at,
       CASE WHEN s.worked THEN 'ops' END AS implemented_by,
       CASE WHEN s.worked THEN s.t1 + interval '28 days' END AS effectiveness_due,
       CASE WHEN s.closed THEN true END AS effective,
       CASE WHEN s.closed THEN 'works' END AS verification_evidence,
       CASE WHEN s.closed THEN s.t1 - interval '1 day' END AS verified_at,
       CASE WHEN s.closed THEN 'auditor' END AS verified_by,
       CASE WHEN s.closed THEN 'procedure v2' END AS isms_changes,
       CASE WHEN s.closed THEN s.t1 END AS closed_at,
       CASE WHEN s.closed THEN 'isms_manager' END AS closed_by,
       CASE WHEN s.state = 'cancelled' THEN 'duplicate' END AS cancel_reason,
       CASE WHEN s.state = 'cancelled' THEN s.t0 + interval '2 days' END AS cancelled_at,
       CASE WHEN s.state = 'cancelled' THEN 'isms_manager' END AS cancelled_by,
       CASE WHEN s.worked THEN jsonb_build_array(jsonb_build_object(
           'description', 'fix', 'owner', 'ops', 'due', to_char(s.t0 + interval '20 days', 'YYYY-MM-DD'),
           'done', true, 'evidence', 'done', 'done_at', s.t1 - interval '3 days', 'done_by', 'ops')) END AS actions
  FROM steps s
 ORDER BY s.i;
SELECT capa.capa_import('staging');
DROP TABLE staging;
-- and steps taken now: a reopen, and verifications that found the first
-- action ineffective before a second one worked
DO $$
DECLARE
    r capa.capa_ref;
    a bigint;
BEGIN
    FOR r IN SELECT id FROM capa.register
              WHERE state = 'implemented' AND substring(title FROM '^Finding (\d+)$')::int % 6 = 1 LOOP
        PERFORM capa.capa_verify(r, false, 'still failing');
        a := capa.capa_add_action(r, 'fix again', 'ops', current_date);
        PERFORM capa.capa_complete_action(a, 'done');
        PERFORM capa.capa_implement(r);
        PERFORM capa.capa_verify(r, true, 'works now');
        PERFORM capa.capa_close(r, 'procedure v3');
    END LOOP;
    PERFORM capa.capa_reopen(id, 'came back') FROM capa.register WHERE title = 'Finding 2';
END $$;
SQL
ok "$?" 0 "a register of 36 records with seven months of history (capa_import, then steps now)"
ok "$(q capa_report "SELECT count(*) FROM capa.capa_audit_verify()")" 0 "its audit trail verifies"

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
fact('nonchar_title', 'yes' if 'Log \ufffd\ufffd\ufffd\ufffd <script>x()</script> gap' in d.texts else 'no')
# no character XML 1.0 does not allow, nor a Unicode non-character, in the page
fact('disallowed', ' '.join(f'U+{ord(c):04X}' for c in sorted(set(re.findall(
    '[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef]|[\ufffe\uffff]'
    + ''.join(f'|{chr(p * 0x10000 + 0xfffe)}|{chr(p * 0x10000 + 0xffff)}' for p in range(1, 17)), page)))) or 'none')
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
ok "$(f nonchar_title) $(f disallowed)" "yes none" "a title with U+FFFF, U+0001, U+FDD0, U+10FFFF and <script> is shown as text, those characters as U+FFFD; the page has no character XML does not allow"
ok "$(f quarter_labels)" "3 3 3" "period_start two months back: the monthly charts show three months"
ok "$(f png_size)" 1280x2400 "the screenshot is a PNG of the requested size"
ok "$(f png_colours) $(f png_ink)" "many yes" "the screenshot is not blank: many colours, more than 5% not white"
ok "$(f png_blue) $(f png_orange) $(f png_red)" "yes yes yes" "the screenshot shows the bars (solid blue and orange areas) and the red Pareto curve"
ok "$(f empty_charts) $(f empty_nodata) $(f empty_marks)" "6 6 0" "an empty register: six charts, each saying No data"

echo "1..$n"
exit $fail
