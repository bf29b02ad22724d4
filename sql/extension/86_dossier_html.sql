-- capa install script, part 86: the evidence pack of one record as a page
-- an auditor reads, capa_dossier_html().
--
-- The page shows what capa_dossier(id) holds and nothing else, so the JSON
-- and the page cannot disagree: a reader who trusts one can check the
-- other.  It is SECURITY INVOKER like the dossier (row-level security and
-- privileges are the caller's), one self-contained page like the
-- management-review report (no script, font, image or link), and every
-- text that reaches it goes through report_escape() (80_report.sql).

-- One value of the dossier as page text: times in UTC (a key naming a time:
-- *_at, *_due, *_from, at), arrays as lists, booleans as yes/no, long text
-- cut with the number of characters left out (the whole value is in
-- capa_dossier); escaped.
CREATE FUNCTION @extschema@.report_value(key text, value jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $value$
SELECT CASE
    WHEN value IS NULL OR pg_catalog.jsonb_typeof(value) OPERATOR(pg_catalog.=) 'null' THEN ''
    WHEN pg_catalog.jsonb_typeof(value) OPERATOR(pg_catalog.=) 'boolean'
        THEN CASE WHEN value::text OPERATOR(pg_catalog.=) 'true' THEN 'yes' ELSE 'no' END
    WHEN pg_catalog.jsonb_typeof(value) OPERATOR(pg_catalog.=) 'string'
         AND key OPERATOR(pg_catalog.~) '(^at|_at|_due|_from)$'
         AND (value OPERATOR(pg_catalog.#>>) '{}') OPERATOR(pg_catalog.~)
             '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d(:\d\d){0,2}|Z)$'
        THEN pg_catalog.to_char(pg_catalog.timezone('UTC', (value OPERATOR(pg_catalog.#>>) '{}')::timestamptz),
                                'YYYY-MM-DD HH24:MI:SS') OPERATOR(pg_catalog.||) ' UTC'
    ELSE (SELECT @extschema@.report_escape(pg_catalog.left(t.text, 2000))
                 OPERATOR(pg_catalog.||)
                 CASE WHEN pg_catalog.length(t.text) OPERATOR(pg_catalog.>) 2000
                      THEN pg_catalog.format(U&' \2026 (%s characters more: see capa_dossier)',
                                             pg_catalog.length(t.text) OPERATOR(pg_catalog.-) 2000)
                      ELSE '' END
            FROM (SELECT CASE pg_catalog.jsonb_typeof(value)
                             WHEN 'string' THEN value OPERATOR(pg_catalog.#>>) '{}'
                             WHEN 'array' THEN (SELECT pg_catalog.string_agg(
                                                          CASE pg_catalog.jsonb_typeof(e) WHEN 'string' THEN e OPERATOR(pg_catalog.#>>) '{}'
                                                               ELSE e::text END, '; ' ORDER BY n)
                                                  FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY AS x(e, n))
                             ELSE value::text END AS text) t)
END
$value$;
COMMENT ON FUNCTION @extschema@.report_value(text, jsonb) IS
    'one value of capa_dossier as escaped page text: times (keys *_at, *_due, *_from, at) in UTC, arrays as lists, booleans as yes/no, text beyond 2,000 characters cut with the count left out';

CREATE FUNCTION @extschema@.capa_dossier_html(id @extschema@.capa_ref) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $page$
DECLARE
    d           jsonb;      -- capa_dossier(id): the page shows it and nothing else
    r           jsonb;      -- its record
    -- the record's columns in the order an auditor reads them; any other
    -- column capa_dossier has (one added later, say) follows under its name
    facts       CONSTANT text[] := ARRAY[
        'id', 'Reference', 'kind', 'Kind', 'state', 'State', 'severity', 'Severity',
        'grade', 'Grade', 'priority', 'Priority', 'source', 'Source', 'title', 'Title',
        'description', 'Description', 'requirement', 'Requirement not met',
        'objective_evidence', 'Objective evidence', 'detected_at', 'Detected',
        'owner', 'Owner', 'org_unit', 'Org unit',
        'contain_due', 'Containment due', 'close_due', 'Close due', 'effectiveness_due', 'Effectiveness check due',
        'original_contain_due', 'First containment due', 'original_close_due', 'First close due',
        'original_effectiveness_due', 'First effectiveness check due',
        'containment', '10.2 a Containment or correction', 'consequences', '10.2 a Consequences',
        'root_cause', '10.2 b Root cause', 'rca_method', '10.2 b Method', 'why_chain', '10.2 b Why-chain',
        'cause_category', '10.2 b Cause category', 'extent_of_condition', '10.2 b Extent of condition',
        'extent_found', '10.2 b Extent of condition: what was found',
        'related', '10.2 b Similar nonconformities', 'action_required', '10.2 b Action required',
        'no_action_justification', '10.2 b Why no action', 'effective', '10.2 d Effective',
        'effectiveness_from', '10.2 d Effectiveness window from',
        'verification_evidence', '10.2 d Verification evidence', 'isms_changes', '10.2 e Changes to the ISMS',
        'cancel_reason', 'Why cancelled', 'reopen_reason', 'Why reopened',
        'opened_at', 'Opened', 'opened_by', 'Opened by', 'contained_at', 'Contained', 'contained_by', 'Contained by',
        'analysed_at', 'Analysed', 'analysed_by', 'Analysed by', 'planned_at', 'Planned', 'planned_by', 'Planned by',
        'implemented_at', 'Implemented', 'implemented_by', 'Implemented by',
        'verified_at', 'Verified', 'verified_by', 'Verified by', 'closed_at', 'Closed', 'closed_by', 'Closed by',
        'cancelled_at', 'Cancelled', 'cancelled_by', 'Cancelled by', 'reopened_at', 'Reopened', 'reopened_by', 'Reopened by',
        'ineffective_count', 'Times found ineffective', 'reanalyse_count', 'Times re-analysed',
        'reopen_count', 'Times reopened', 'reschedule_count', 'Times rescheduled', 'reassign_count', 'Times reassigned'];
    -- kept out of the facts: the chain (in its own section) and what capa
    -- derives for its own use
    internal    CONSTANT text[] := ARRAY['chain_head', 'chain_seq', 'owner_role', 'updated_at'];
    fact_rows   text;
    more_rows   text;
    check_rows  text;
    time_rows   text;
    action_rows text;
    link_rows   text;
    related_rows text;
    find_rows   text;
    chain_rows  text;
    how_rows    text;
    p           jsonb;      -- the chain proof
    intact      boolean;
BEGIN
    d := @extschema@.capa_dossier(capa_dossier_html.id);    -- 22004, 42704 there
    r := d OPERATOR(pg_catalog.->) 'record';
    p := d OPERATOR(pg_catalog.->) 'chain_proof';
    intact := (p OPERATOR(pg_catalog.->>) 'intact')::boolean;

    SELECT pg_catalog.string_agg(pg_catalog.format('<tr><th>%s</th><td>%s</td></tr>',
               @extschema@.report_escape(facts[2 * i]), @extschema@.report_value(facts[2 * i - 1], r OPERATOR(pg_catalog.->) facts[2 * i - 1])),
               '' ORDER BY i)
      INTO fact_rows
      FROM pg_catalog.generate_series(1, pg_catalog.array_length(facts, 1) OPERATOR(pg_catalog./) 2) AS i
     WHERE pg_catalog.jsonb_typeof(r OPERATOR(pg_catalog.->) facts[2 * i - 1]) OPERATOR(pg_catalog.<>) 'null';

    SELECT pg_catalog.string_agg(pg_catalog.format('<tr><th>%s</th><td>%s</td></tr>',
               @extschema@.report_escape(k.key), @extschema@.report_value(k.key, k.value)), '' ORDER BY k.key)
      INTO more_rows
      FROM pg_catalog.jsonb_each(r) k
     WHERE pg_catalog.jsonb_typeof(k.value) OPERATOR(pg_catalog.<>) 'null'
       AND NOT k.key OPERATOR(pg_catalog.=) ANY (facts) AND NOT k.key OPERATOR(pg_catalog.=) ANY (internal);

    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<tr><td>%s</td><td>%s</td><td class="status-%s">%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'item'),
               @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'requirement'),
               @extschema@.report_escape(pg_catalog.regexp_replace(c OPERATOR(pg_catalog.->>) 'status', '[^a-z_]', '', 'g')),
               @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'status'),
               @extschema@.report_value('evidence', c OPERATOR(pg_catalog.->) 'evidence'),
               pg_catalog.concat_ws('<br/>',
                   NULLIF(pg_catalog.concat_ws(', ',
                       CASE WHEN c OPERATOR(pg_catalog.->>) 'recorded_by' IS NOT NULL
                            THEN 'by ' OPERATOR(pg_catalog.||) @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'recorded_by') END,
                       NULLIF(@extschema@.report_value('recorded_at', c OPERATOR(pg_catalog.->) 'recorded_at'), ''),
                       CASE WHEN pg_catalog.jsonb_typeof(c OPERATOR(pg_catalog.->) 'audit_seq') OPERATOR(pg_catalog.=) 'array'
                            THEN 'audit rows ' OPERATOR(pg_catalog.||) @extschema@.report_value('audit_seq', c OPERATOR(pg_catalog.->) 'audit_seq') END), ''),
                   NULLIF(@extschema@.report_value('detail', c OPERATOR(pg_catalog.->) 'detail'), ''))),
               '' ORDER BY n)
      INTO check_rows
      FROM pg_catalog.jsonb_array_elements(d OPERATOR(pg_catalog.->) 'checklist') WITH ORDINALITY AS x(c, n);

    -- every audit row: when, what, who (the login and the end user when
    -- they differ from the acting role), why, and what it recorded
    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<tr><td class="num">%s</td><td class="when">%s</td><td>%s%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
               a OPERATOR(pg_catalog.->>) 'seq',
               @extschema@.report_value('at', a OPERATOR(pg_catalog.->) 'at'),
               @extschema@.report_escape(a OPERATOR(pg_catalog.->>) 'step'),
               CASE WHEN a OPERATOR(pg_catalog.->>) 'action_id' IS NOT NULL
                    THEN pg_catalog.format(' (item %s)', @extschema@.report_escape(a OPERATOR(pg_catalog.->>) 'action_id')) ELSE '' END,
               CASE WHEN a OPERATOR(pg_catalog.->>) 'to_state' IS NULL THEN ''
                    ELSE pg_catalog.format(U&'%s \2192 %s', @extschema@.report_escape(COALESCE(a OPERATOR(pg_catalog.->>) 'from_state', U&'\2013')),
                                           @extschema@.report_escape(a OPERATOR(pg_catalog.->>) 'to_state')) END,
               pg_catalog.concat_ws('<br/>', @extschema@.report_escape(a OPERATOR(pg_catalog.->>) 'actor'),
                   CASE WHEN a OPERATOR(pg_catalog.->>) 'session_actor' IS DISTINCT FROM a OPERATOR(pg_catalog.->>) 'actor'
                        THEN 'login ' OPERATOR(pg_catalog.||) @extschema@.report_escape(a OPERATOR(pg_catalog.->>) 'session_actor') END,
                   CASE WHEN a OPERATOR(pg_catalog.->>) 'app_user' IS NOT NULL
                        THEN 'for ' OPERATOR(pg_catalog.||) @extschema@.report_escape(a OPERATOR(pg_catalog.->>) 'app_user') END),
               @extschema@.report_value('reason', a OPERATOR(pg_catalog.->) 'changed' OPERATOR(pg_catalog.->) 'reason'),
               (SELECT pg_catalog.string_agg(pg_catalog.format('<span class="key">%s</span> %s',
                           @extschema@.report_escape(ch.key), @extschema@.report_value(ch.key, ch.value)), '<br/>' ORDER BY ch.key)
                  FROM pg_catalog.jsonb_each(a OPERATOR(pg_catalog.->) 'changed') ch
                 WHERE ch.key OPERATOR(pg_catalog.<>) ALL (ARRAY['reason', 'previous'])),
               (SELECT pg_catalog.string_agg(pg_catalog.format('<span class="key">%s</span> %s',
                           @extschema@.report_escape(pv.key), @extschema@.report_value(pv.key, pv.value)), '<br/>' ORDER BY pv.key)
                  FROM pg_catalog.jsonb_each(CASE WHEN pg_catalog.jsonb_typeof(a OPERATOR(pg_catalog.->) 'changed' OPERATOR(pg_catalog.->) 'previous') OPERATOR(pg_catalog.=) 'object'
                                                  THEN a OPERATOR(pg_catalog.->) 'changed' OPERATOR(pg_catalog.->) 'previous' END) pv)),
               '' ORDER BY (a OPERATOR(pg_catalog.->>) 'seq')::bigint)
      INTO time_rows
      FROM pg_catalog.jsonb_array_elements(d OPERATOR(pg_catalog.->) 'audit') a;

    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<tr><td class="num">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'id'),
               @extschema@.report_value('description', t OPERATOR(pg_catalog.->) 'description'),
               @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'owner'),
               @extschema@.report_value('due', t OPERATOR(pg_catalog.->) 'due'),
               CASE WHEN t OPERATOR(pg_catalog.->>) 'cancelled_at' IS NOT NULL
                    THEN pg_catalog.format('cancelled %s by %s: %s', @extschema@.report_value('cancelled_at', t OPERATOR(pg_catalog.->) 'cancelled_at'),
                                           @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'cancelled_by'),
                                           @extschema@.report_value('cancel_reason', t OPERATOR(pg_catalog.->) 'cancel_reason'))
                    WHEN t OPERATOR(pg_catalog.->>) 'done_at' IS NOT NULL
                    THEN pg_catalog.format('done %s by %s', @extschema@.report_value('done_at', t OPERATOR(pg_catalog.->) 'done_at'),
                                           @extschema@.report_escape(t OPERATOR(pg_catalog.->>) 'done_by'))
                    ELSE 'not done' END,
               @extschema@.report_value('evidence', t OPERATOR(pg_catalog.->) 'evidence')),
               '' ORDER BY (t OPERATOR(pg_catalog.->>) 'id')::bigint)
      INTO action_rows
      FROM pg_catalog.jsonb_array_elements(d OPERATOR(pg_catalog.->) 'actions') t;

    SELECT pg_catalog.string_agg(pg_catalog.format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@.report_escape(l OPERATOR(pg_catalog.->>) 'target_name'),
               @extschema@.report_escape(l OPERATOR(pg_catalog.->>) 'key'),
               pg_catalog.format('%s by %s', @extschema@.report_value('linked_at', l OPERATOR(pg_catalog.->) 'linked_at'),
                                 @extschema@.report_escape(l OPERATOR(pg_catalog.->>) 'linked_by')),
               CASE WHEN l OPERATOR(pg_catalog.->>) 'unlinked_at' IS NULL THEN 'active'
                    ELSE pg_catalog.format('ended %s by %s', @extschema@.report_value('unlinked_at', l OPERATOR(pg_catalog.->) 'unlinked_at'),
                                           @extschema@.report_escape(l OPERATOR(pg_catalog.->>) 'unlinked_by')) END),
               '' ORDER BY n)
      INTO link_rows
      FROM pg_catalog.jsonb_array_elements(d OPERATOR(pg_catalog.->) 'links') WITH ORDINALITY AS x(l, n);

    SELECT pg_catalog.string_agg(pg_catalog.format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@.report_escape(g OPERATOR(pg_catalog.->>) 'id'),
               CASE WHEN (g OPERATOR(pg_catalog.->>) 'exists')::boolean
                    THEN @extschema@.report_escape(g OPERATOR(pg_catalog.->>) 'kind') ELSE 'not found' END,
               @extschema@.report_escape(g OPERATOR(pg_catalog.->>) 'state'),
               @extschema@.report_value('title', g OPERATOR(pg_catalog.->) 'title')),
               '' ORDER BY n)
      INTO related_rows
      FROM pg_catalog.jsonb_array_elements(d OPERATOR(pg_catalog.->) 'related') WITH ORDINALITY AS x(g, n);

    SELECT pg_catalog.string_agg(pg_catalog.format('<tr><td>%s</td><td class="num">%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@.report_escape(f OPERATOR(pg_catalog.->>) 'problem'),
               @extschema@.report_escape(f OPERATOR(pg_catalog.->>) 'seq'),
               @extschema@.report_escape(f OPERATOR(pg_catalog.->>) 'action_id'),
               @extschema@.report_value('detail', f OPERATOR(pg_catalog.->) 'detail')),
               '' ORDER BY n)
      INTO find_rows
      FROM pg_catalog.jsonb_array_elements(p OPERATOR(pg_catalog.->) 'findings') WITH ORDINALITY AS x(f, n);

    SELECT pg_catalog.string_agg(pg_catalog.format('<tr><td>%s</td><td class="num">%s</td><td class="num">%s</td><td class="hash">%s</td><td>%s</td></tr>',
               CASE WHEN c OPERATOR(pg_catalog.->>) 'action_id' IS NULL THEN 'the record'
                    ELSE 'action item ' OPERATOR(pg_catalog.||) @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'action_id') END,
               pg_catalog.jsonb_array_length(c OPERATOR(pg_catalog.->) 'rows'),
               @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'head_chain_seq'),
               @extschema@.report_escape(c OPERATOR(pg_catalog.->>) 'head_hash'),
               CASE WHEN (c OPERATOR(pg_catalog.->>) 'head_matches')::boolean THEN 'yes' ELSE 'NO' END),
               '' ORDER BY n)
      INTO chain_rows
      FROM pg_catalog.jsonb_array_elements(p OPERATOR(pg_catalog.->) 'chains') WITH ORDINALITY AS x(c, n);

    SELECT pg_catalog.string_agg(pg_catalog.format('<li>%s</li>', @extschema@.report_escape(h OPERATOR(pg_catalog.#>>) '{}')), '' ORDER BY n)
      INTO how_rows
      FROM pg_catalog.jsonb_array_elements(p OPERATOR(pg_catalog.->) 'how_to_check') WITH ORDINALITY AS x(h, n);

    RETURN pg_catalog.format($html$<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="generator" content="capa capa_dossier_html()"/>
<title>Evidence pack %1$s</title>
<style>
body{font-family:system-ui,"Segoe UI","DejaVu Sans",Helvetica,Arial,sans-serif;color:#1a202c;margin:24px auto;max-width:1240px;padding:0 16px;font-size:14px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 10px;border-bottom:2px solid #e2e8f0;padding-bottom:4px}
.meta{color:#4a5568;margin:2px 0}
.proof{border:1px solid #e2e8f0;border-left:5px solid #2f855a;border-radius:6px;padding:10px 12px;margin:12px 0}
.proof.broken{border-left-color:#c53030}
.proof.broken strong{color:#c53030}
table{border-collapse:collapse;width:100%%}
th,td{border-bottom:1px solid #e2e8f0;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f7fafc}
table.facts th{width:24%%}
td.num{text-align:right}
td.hash{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
td.status-met{color:#2f855a;font-weight:600}
td.status-not_met{color:#c53030;font-weight:600}
.key{font-weight:600}
td{white-space:pre-wrap}
td.when{white-space:nowrap}
@media print{body{margin:0;max-width:none;font-size:11px}tr{break-inside:avoid}h2{break-after:avoid}@page{size:A4;margin:12mm}}
</style>
</head>
<body>
<header>
<h1>Evidence pack %1$s: %2$s</h1>
<p class="meta">ISO/IEC 27001:2022 clause 10.2: a nonconformity, what was done about it, and the documented information kept as evidence (10.2 f, g). Generated %3$s UTC by %4$s from database %5$s; dossier format %6$s.</p>
<div class="proof%7$s" id="proof"><strong>%8$s</strong> %9$s</div>
</header>
<h2 id="facts">The record</h2>
<table class="facts"><tbody>%10$s</tbody></table>
%11$s
<h2 id="checklist">Clause 10.2 a%12$sg</h2>
<table class="checklist"><thead><tr><th>Item</th><th>Requirement</th><th>Status</th><th>Evidence</th><th>Recorded</th></tr></thead><tbody>%13$s</tbody></table>
<h2 id="timeline">Timeline</h2>
<p class="meta">Every row of the record's audit trail, oldest first: when (UTC), the step, the transition, who (the acting role; the login and the end user when they differ), the reason given, what the step recorded and, for a change, what it replaced.</p>
<table class="timeline"><thead><tr><th>Seq</th><th>When</th><th>Step</th><th>State</th><th>Who</th><th>Reason</th><th>Recorded</th><th>Before</th></tr></thead><tbody>%14$s</tbody></table>
<h2 id="actions">Action items</h2>
%15$s
<h2 id="links">Links</h2>
%16$s
<h2 id="related">Similar nonconformities named in the analysis</h2>
%17$s
<h2 id="chain">Chain proof</h2>
<p class="meta">One SHA-256 chain for the record and one per action item; each head is kept on its row.</p>
<table class="chains"><thead><tr><th>Chain</th><th>Rows</th><th>Head position</th><th>Head hash</th><th>Head is the last row</th></tr></thead><tbody>%18$s</tbody></table>
%19$s
<p class="meta">%20$s</p>
<p class="meta">How to check:</p>
<ol class="meta">%21$s</ol>
</body>
</html>
$html$,
        @extschema@.report_escape(r OPERATOR(pg_catalog.->>) 'id'),
        @extschema@.report_value('title', r OPERATOR(pg_catalog.->) 'title'),
        @extschema@.report_value('generated_at', d OPERATOR(pg_catalog.->) 'generated_at'),
        @extschema@.report_escape(d OPERATOR(pg_catalog.->>) 'generated_by'),
        @extschema@.report_escape(pg_catalog.current_database()),
        @extschema@.report_escape(d OPERATOR(pg_catalog.->>) 'dossier_version'),
        CASE WHEN intact THEN '' ELSE ' broken' END,
        CASE WHEN intact THEN 'Audit trail intact.' ELSE 'Audit trail NOT intact.' END,
        CASE WHEN intact THEN 'capa_audit_verify finds nothing wrong with this record''s chains and rows.'
             ELSE pg_catalog.format('capa_audit_verify reports %s problems: see the chain proof below.',
                                    pg_catalog.jsonb_array_length(p OPERATOR(pg_catalog.->) 'findings')) END,
        fact_rows,
        CASE WHEN more_rows IS NULL THEN ''
             ELSE '<h2 id="more">Other recorded fields</h2><table class="facts"><tbody>' OPERATOR(pg_catalog.||) more_rows OPERATOR(pg_catalog.||) '</tbody></table>' END,
        U&'\2013',
        check_rows,
        time_rows,
        CASE WHEN action_rows IS NULL THEN '<p>No action items.</p>'
             ELSE '<table class="actions"><thead><tr><th>Item</th><th>Description</th><th>Owner</th><th>Due</th><th>Done</th><th>Evidence</th></tr></thead><tbody>'
                  OPERATOR(pg_catalog.||) action_rows OPERATOR(pg_catalog.||) '</tbody></table>' END,
        CASE WHEN link_rows IS NULL THEN '<p>No links to findings, controls, risks or assets.</p>'
             ELSE '<table class="links"><thead><tr><th>Table</th><th>Key</th><th>Linked</th><th>Status</th></tr></thead><tbody>'
                  OPERATOR(pg_catalog.||) link_rows OPERATOR(pg_catalog.||) '</tbody></table>' END,
        CASE WHEN related_rows IS NULL THEN '<p>None named.</p>'
             ELSE '<table class="related"><thead><tr><th>Reference</th><th>Kind</th><th>State</th><th>Title</th></tr></thead><tbody>'
                  OPERATOR(pg_catalog.||) related_rows OPERATOR(pg_catalog.||) '</tbody></table>' END,
        chain_rows,
        CASE WHEN find_rows IS NULL THEN '<p>Findings of capa_audit_verify: none.</p>'
             ELSE '<table class="findings"><thead><tr><th>Problem</th><th>Seq</th><th>Action item</th><th>Detail</th></tr></thead><tbody>'
                  OPERATOR(pg_catalog.||) find_rows OPERATOR(pg_catalog.||) '</tbody></table>' END,
        CASE WHEN p OPERATOR(pg_catalog.->) 'digest' IS NULL OR pg_catalog.jsonb_typeof(p OPERATOR(pg_catalog.->) 'digest') OPERATOR(pg_catalog.=) 'null'
             THEN 'No digest covers this record''s last audit row yet: a verifier runs capa_digest() and keeps its value outside the database.'
             ELSE pg_catalog.format('The first digest that covers this record''s trail: %s, issued %s by %s (digest %s, up to audit row %s).',
                                    @extschema@.report_escape(p OPERATOR(pg_catalog.->) 'digest' OPERATOR(pg_catalog.->>) 'digest'),
                                    @extschema@.report_value('issued_at', p OPERATOR(pg_catalog.->) 'digest' OPERATOR(pg_catalog.->) 'issued_at'),
                                    @extschema@.report_escape(p OPERATOR(pg_catalog.->) 'digest' OPERATOR(pg_catalog.->>) 'issued_by'),
                                    @extschema@.report_escape(p OPERATOR(pg_catalog.->) 'digest' OPERATOR(pg_catalog.->>) 'id'),
                                    @extschema@.report_escape(p OPERATOR(pg_catalog.->) 'digest' OPERATOR(pg_catalog.->>) 'max_seq')) END,
        how_rows);
END
$page$;
COMMENT ON FUNCTION @extschema@.capa_dossier_html(@extschema@.capa_ref) IS
    'the evidence pack of one record as one self-contained HTML page: its facts, the 10.2 a-g checklist, a timeline of every audit row with who, when and why, the action items, links, similar records and the chain proof; exactly what capa_dossier(id) holds, escaped; read-only, with the caller''s privileges';

GRANT EXECUTE ON FUNCTION @extschema@.report_value(text, jsonb),
    @extschema@.capa_dossier_html(@extschema@.capa_ref) TO capa_reader;
