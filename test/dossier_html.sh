#!/bin/bash
# The evidence pack of one record, capa_dossier_html(), as TAP: a closed
# corrective record (two action items, a link to a control, a hostile title,
# owner and evidence) renders in headless Chromium; the page is well-formed
# and self-contained, shows every audit row, action item, link, checklist
# item and chain of the record's capa_dossier(), and shows hostile text as
# text; a record changed with the triggers bypassed makes the page say the
# trail is not intact and list what capa_audit_verify found; the refusals
# are capa_dossier's.
# Needs a running server (PG* variables, as pg_virtualenv sets them), capa
# installed, chromium and python3.
set -u
cd "$(dirname "$0")/.."    # test/policy_0_2.sql
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got: '$1'"; echo "#  want: '$2'"; fail=1; fi; }
q() { psql -XAtq -v ON_ERROR_STOP=1 -d capa_dossier_html -c "$1"; }
sqlstate() { psql -XAtq -d capa_dossier_html -v VERBOSITY=verbose -c "$1" 2>&1 | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p' | head -1; }
cleanup() {
    dropdb --if-exists capa_dossier_html >/dev/null 2>&1
    psql -Xq -d postgres -c 'DROP ROLE IF EXISTS dossier_reader, dossier_ops, dossier_checker, dossier_nobody, "dossier <b>owner</b>"' >/dev/null 2>&1
}
cleanup
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"; cleanup' EXIT

createdb capa_dossier_html
psql -Xq -v ON_ERROR_STOP=1 -d capa_dossier_html >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION capa;
\i test/policy_0_2.sql
CREATE ROLE dossier_reader IN ROLE capa_reader;
CREATE ROLE dossier_ops IN ROLE capa_editor;
CREATE ROLE dossier_checker IN ROLE capa_verifier;
CREATE ROLE "dossier <b>owner</b>" IN ROLE capa_editor;
CREATE TABLE public.controls (id text PRIMARY KEY);
INSERT INTO public.controls VALUES ('A.8.13');
GRANT SELECT ON public.controls TO capa_editor;
DO $$
DECLARE
    r capa.capa_ref;
    a bigint;
BEGIN
    r := capa.capa_open('Backups <b>failed</b> & "nobody" noticed <script>x()</script>',
                        repeat('d', 5000), 'major', 'internal_audit',
                        owner => 'dossier <b>owner</b>');
    PERFORM capa.capa_contain(r, 'restored by hand </td></tr></table><script>y()</script>', 'none lost');
    PERFORM capa.capa_analyse(r, 'retention job off', '5whys', 'all 15 jobs checked');
    a := capa.capa_add_action(r, 'turn the retention job on', 'dossier_ops', current_date + 7);
    PERFORM capa.capa_complete_action(a, 'CHG-1');
    a := capa.capa_add_action(r, 'page on-call on failure', 'dossier_ops', current_date + 14);
    PERFORM capa.capa_complete_action(a, 'CHG-2');
    PERFORM capa.capa_plan(r);
    PERFORM capa.capa_implement(r);
    PERFORM capa.capa_link(r, 'public.controls', 'A.8.13');
    -- evidence: a file capa stores, one kept elsewhere, and a withdrawn one
    PERFORM capa.capa_attach(r, 'restore test <report>', step => 'implement',
                             content => convert_to('restore ok', 'UTF8'), media_type => 'text/plain');
    PERFORM capa.capa_attach(r, 'change ticket', uri => 'javascript:alert(1)', sha256 => sha256('CHG-1'::bytea));
    PERFORM capa.capa_withdraw_attachment(capa.capa_attach(r, 'wrong file', uri => 'dms://42'), 'not this record''s');
END $$;
SET ROLE dossier_checker;
SELECT capa.capa_verify(id, true, '30 nightly reports succeeded') FROM capa.register;
RESET ROLE;
SELECT capa.capa_close(id, 'procedure BK-01 v2') FROM capa.register;
SQL
ok "$?" 0 "a closed corrective record with two action items and a link"
ref=$(q "SELECT id FROM capa.register")

page() {  # page FILE: the record's page, as a capa_reader, read-only
    psql -XAtq -v ON_ERROR_STOP=1 -d capa_dossier_html -c 'SET ROLE dossier_reader' \
         -c 'SET default_transaction_read_only = on' -c "SELECT capa.capa_dossier_html('$ref')" > "$1"
}
page "$work/intact.html"
ok "$?" 0 "capa_dossier_html() runs for a capa_reader, read-only"

# the same record changed with the triggers bypassed
psql -Xq -v ON_ERROR_STOP=1 -d capa_dossier_html >/dev/null <<'SQL'
SET session_replication_role = replica;
UPDATE capa.register SET title = 'a better title';
SQL
page "$work/broken.html"
ok "$?" 0 "and on the record after it was changed with the triggers bypassed"
findings=$(q "SELECT count(*) FROM capa.capa_audit_verify(record => '$ref')")

chrome() {
    timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$work/chromium" "$@" 2>/dev/null
}
if ! command -v chromium >/dev/null 2>&1; then
    ok "missing" "installed" "chromium is installed (test/install-deps.sh)"
fi
chrome --window-size=1280,2400 --screenshot="$work/intact.png" "file://$work/intact.html" >/dev/null
ok "$?" 0 "Chromium renders the page and takes a screenshot"
chrome --dump-dom "file://$work/intact.html" > "$work/intact.dom"
chrome --dump-dom "file://$work/broken.html" > "$work/broken.dom"
ok "$?" 0 "Chromium dumps the pages' DOMs"

# facts about the pages as Chromium parsed them, one "name value" a line
python3 - "$work" > "$work/facts" <<'PY'
import sys
from html.parser import HTMLParser
from xml.etree import ElementTree

work = sys.argv[1]

def fact(name, value):
    print(name, value)

class Dom(HTMLParser):
    """Rows of each table by class, elements by tag, texts, the proof box."""
    def __init__(self):
        super().__init__()
        self.table, self.body, self.rows, self.tags, self.texts = None, False, {}, {}, []
        self.proof = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == 'table':
            self.table = a.get('class')
            self.rows.setdefault(self.table, 0)
        elif tag == 'tbody':
            self.body = True
        elif tag == 'tr' and self.body:
            self.rows[self.table] += 1
        elif tag == 'div' and a.get('id') == 'proof':
            self.proof = a.get('class')
    def handle_endtag(self, tag):
        if tag == 'tbody':
            self.body = False
    def handle_data(self, data):
        self.texts.append(data)

def dom(name):
    d = Dom()
    d.feed(open(f'{work}/{name}', encoding='utf-8').read())
    return d

page = open(f'{work}/intact.html', encoding='utf-8').read()
try:
    ElementTree.fromstring(page[page.index('<html'):])
    fact('wellformed', 'yes')
except Exception as e:
    fact('wellformed', f'no:{e}')
# in the markup and the style sheet, not in the text shown (where a URI of
# an evidence item is text: test 'anchors' below)
import re
markup = re.sub(r'>[^<]*<', '><', page)
style = ''.join(re.findall(r'<style>(.*?)</style>', page, re.S))
fact('external', ','.join(p for p in ('http:', 'https:', '//', 'src=', 'href=', '@import', 'url(', '<script', '<link', '<img', '<iframe', '<object')
                         if p in markup.lower() or p in style.lower()) or 'none')
d = dom('intact.dom')
for t in ('facts', 'checklist', 'timeline', 'actions', 'evidence', 'links', 'chains', 'findings'):
    fact(f'rows_{t}', d.rows.get(t, 0))
fact('proof', d.proof)
fact('scripts', d.tags.get('script', 0))
fact('bold', d.tags.get('b', 0))
text = ''.join(d.texts)
fact('title_as_text', 'yes' if 'Backups <b>failed</b> & "nobody" noticed <script>x()</script>' in text else 'no')
fact('owner_as_text', 'yes' if 'dossier <b>owner</b>' in text else 'no')
fact('evidence_as_text', 'yes' if 'restored by hand </td></tr></table><script>y()</script>' in text else 'no')
fact('cut', 'yes' if '\u2026 (3000 characters more: see capa_dossier)' in text else 'no')
fact('control', 'yes' if 'public.controls' in text and 'A.8.13' in text else 'no')
fact('stored_sha', 'yes' if __import__('hashlib').sha256(b'restore ok').hexdigest() in text else 'no')
fact('withdrawn', 'yes' if "withdrawn" in text and "not this record's" in text else 'no')
fact('anchors', d.tags.get('a', 0))
b = dom('broken.dom')
fact('broken_proof', b.proof)
fact('broken_findings', b.rows.get('findings', 0))
fact('broken_row_changed', 'yes' if 'row_changed' in ''.join(b.texts) else 'no')
PY
ok "$?" 0 "the pages and DOMs could be read"
f() { sed -n "s/^$1 //p" "$work/facts"; }

ok "$(f wellformed)" yes "the page is well-formed (it parses as XML too)"
ok "$(f external)" none "the page is self-contained: no URL, src, href, @import, url(), script, link or img"
ok "$(f rows_timeline)" "$(q "SELECT count(*) FROM capa.audit WHERE capa_id::text = '$ref'")" \
   "the timeline has a row for each audit row of the record and its action items"
ok "$(f rows_actions)" 2 "the action items table has both items"
ok "$(f rows_checklist)" "$(q "SELECT count(*) FROM capa.capa_conformance('$ref')")" "the checklist has every 10.2 item"
ok "$(f rows_links) $(f control)" "1 yes" "the link to the control is shown, with its table and key"
ok "$(f rows_evidence) $(f stored_sha) $(f withdrawn) $(f anchors)" "3 yes yes 0" \
   "the evidence items: a stored file with its SHA-256, a withdrawn one with its reason; a URI is text, not a link"
ok "$(f rows_chains)" "$(q "SELECT count(DISTINCT action_id) + 1 FROM capa.audit WHERE capa_id::text = '$ref'")" \
   "the chain proof has the record's chain and one per action item"
ok "$(f proof) $(f rows_findings)" "proof 0" "an intact record: the proof box says so, no findings table"
ok "$(f scripts) $(f bold)" "0 0" "the DOM has no script element and no b element"
ok "$(f title_as_text) $(f owner_as_text) $(f evidence_as_text)" "yes yes yes" \
   "a title, an owner (a role's name) and evidence with markup are shown as text"
ok "$(f cut)" yes "a 5,000-character description is cut at 2,000 with the count left out"
ok "$(f broken_proof) $(f broken_findings) $(f broken_row_changed)" "proof broken $findings yes" \
   "changed with the triggers bypassed: the proof box says not intact and lists capa_audit_verify's findings"
ok "$(q "SELECT capa.capa_dossier_html('$ref') LIKE '%<tbody>%'") $(sqlstate "SELECT capa.capa_dossier_html(NULL)") $(sqlstate "SELECT capa.capa_dossier_html('CAPA-2000-000001')")" \
   "t 22004 42704" "a NULL reference is 22004, a missing record 42704"
ok "$(sqlstate "SET ROLE dossier_ops; SELECT capa.capa_dossier_html('$ref')")" "" "a capa_editor may read it (capa_reader's)"
psql -Xq -d capa_dossier_html -c "CREATE ROLE dossier_nobody" >/dev/null 2>&1
ok "$(sqlstate "SET ROLE dossier_nobody; SELECT capa.capa_dossier_html('$ref')")" 42501 "a role without capa's roles may not"

echo "1..$n"
exit $fail
