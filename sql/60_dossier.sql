-- The auditor's evidence pack: capa_conformance (the 10.2 a-g checklist),
-- capa_dossier, and the 10.2 e view of records closed without an ISMS
-- change.  Volatile values (ids, seqs, hashes, times) are not printed:
-- audit rows are shown by their step, and hashes and times are asserted.
\set SHOW_CONTEXT never

-- the checklist as the tests print it: audit rows by step, action ids
-- replaced, recorded_at checked against the audit row it names
CREATE FUNCTION public.checklist(ref capa.capa_ref)
    RETURNS TABLE (item text, status text, evidence text, fields text[], actions integer,
                   steps text[], recorded_by name, at_ok boolean, detail text)
    LANGUAGE sql AS $$
    SELECT c.item, c.status,
           regexp_replace(regexp_replace(c.evidence, '#[0-9]+', '#N', 'g'), 'seq [0-9]+ to [0-9]+', 'seq N to M'),
           c.fields,
           cardinality(c.action_ids),
           ARRAY(SELECT a.step FROM unnest(c.audit_seq) s JOIN capa.audit a ON a.seq = s ORDER BY s),
           c.recorded_by,
           c.recorded_at IS NOT DISTINCT FROM
               (SELECT a.at FROM capa.audit a
                 WHERE a.seq = (SELECT max(s) FROM unnest(c.audit_seq) s)
                   AND c.recorded_at IS NOT NULL AND c.item <> 'f')
             OR (c.item = 'f' AND c.recorded_at = (SELECT a.at FROM capa.audit a WHERE a.seq = c.audit_seq[1])),
           c.detail
      FROM capa.capa_conformance(ref) c ORDER BY c.item
$$;
GRANT EXECUTE ON FUNCTION public.checklist(capa.capa_ref) TO PUBLIC;

--
-- A corrective record through its whole lifecycle, with an ineffective
-- review on the way; the checklist at each stage
--
SET ROLE regress_alice;
SELECT capa.capa_open('Firewall rule review missed', 'The quarterly firewall rule review of Q3 was not done',
                      'major', 'internal_audit') AS nc \gset
-- open: only f (the record and its trail) is met
SELECT * FROM checklist(:'nc');
SELECT capa.capa_contain(:'nc', containment => 'Rules reviewed on 3 October; 2 stale rules removed',
                         consequences => 'No exposure found; CISO informed') \gset ignored_
SELECT capa.capa_analyse(:'nc', root_cause => 'The review had no owner after a reorganisation',
                         method => '5whys', extent_of_condition => 'Checked all 12 periodic reviews: 1 other without owner',
                         cause_category => 'governance') \gset ignored_
SELECT capa.capa_add_action(:'nc', 'Assign owners to all periodic reviews', 'regress_ops', current_date + 14) AS a1 \gset
SELECT capa.capa_plan(:'nc') \gset ignored_
-- analysed and planned: a met; b waits for what the extent check finds
-- (0.3.0: the analysis said what will be checked), c for its action item
SELECT item, status, evidence, steps, detail FROM checklist(:'nc') WHERE item IN ('a', 'b', 'c');
SELECT capa.capa_extent_found(:'nc', '1 other review without owner: given one with the RACI') \gset ignored_
SELECT item, status, evidence, steps, detail FROM checklist(:'nc') WHERE item = 'b';
SELECT capa.capa_complete_action(:a1, 'RACI v3 approved') \gset ignored_
SELECT capa.capa_implement(:'nc') \gset ignored_
RESET ROLE;
SET ROLE regress_bob;
SELECT capa.capa_verify(:'nc', false, 'Q4 review also late') \gset ignored_
RESET ROLE;
-- found ineffective: c and d are not yet, and d names the earlier review
SELECT item, status, actions, steps, detail FROM checklist(:'nc') WHERE item IN ('c', 'd');
SET ROLE regress_alice;
SELECT capa.capa_add_action(:'nc', 'Calendar reminder and escalation for reviews', 'regress_ops', current_date + 7) AS a2 \gset
SELECT capa.capa_complete_action(:a2, 'Reminder set up, escalation to CISO after 5 days') \gset ignored_
SELECT capa.capa_implement(:'nc') \gset ignored_
RESET ROLE;
SET ROLE regress_bob;
SELECT capa.capa_verify(:'nc', true, 'Q1 review done on time, evidence in ticket SEC-77') \gset ignored_
SELECT capa.capa_close(:'nc', 'Procedure NET-04 v2: review owner and escalation; risk R-12 updated') \gset ignored_
RESET ROLE;
-- closed: every item met, each with the audit rows that recorded it
SELECT * FROM checklist(:'nc');
-- the reader may see it; recorded_by is the actor of those audit rows
SET ROLE regress_carol;
SELECT count(*) AS items, count(*) FILTER (WHERE status = 'met') AS met,
       bool_and(recorded_by IS NOT NULL AND recorded_at IS NOT NULL) AS all_recorded
  FROM capa.capa_conformance(:'nc');
RESET ROLE;

--
-- A corrective record whose analysis decided no action is required:
-- c and d are not applicable with the justification, and it closes
-- without an ISMS change (10.2 e view)
--
SET ROLE regress_alice;
SELECT capa.capa_open('Badge reader logged one door twice', 'Duplicate entries in the access log of door 3',
                      'observation', 'monitoring') AS na \gset
SELECT capa.capa_contain(:'na', 'Duplicates marked in the log', 'None: no access was granted wrongly') \gset ignored_
SELECT capa.capa_analyse(:'na', 'Known firmware quirk, vendor advisory V-9', 'other',
                         'All doors share the firmware; only door 3 shows it',
                         action_required => false,
                         justification => 'Cosmetic; fixed by the scheduled firmware update') \gset ignored_
RESET ROLE;
SELECT item, status, evidence, fields, steps, detail FROM checklist(:'na');
SET ROLE regress_bob;
SELECT capa.capa_close(:'na', 'None: the access control procedure already covers log review') \gset ignored_
RESET ROLE;
SELECT item, status, steps, detail FROM checklist(:'na');

--
-- A preventive and an improvement record: the items that need a
-- nonconformity are not applicable
--
SET ROLE regress_alice;
SELECT capa.capa_open('Certificate expiry could stop the VPN', 'No monitoring of the VPN certificate expiry',
                      'minor', 'risk_assessment', kind => 'preventive') AS pv \gset
SELECT capa.capa_open('Automate restore tests', 'From the management review', 'observation',
                      'management_review', kind => 'improvement') AS im \gset
RESET ROLE;
SELECT item, status, detail FROM checklist(:'pv');
SELECT item, status, detail FROM checklist(:'im');
SET ROLE regress_alice;
SELECT capa.capa_analyse(:'pv', 'Expiry dates tracked by hand', '5whys') \gset ignored_
RESET ROLE;
SELECT item, status, evidence, detail FROM checklist(:'pv') WHERE item IN ('a', 'b');

-- a cancelled record: what was not done is not applicable, with the reason
SET ROLE regress_alice;
SELECT capa.capa_open('Duplicate report', 'Same as the firewall finding', 'minor', 'internal_audit') AS cx \gset
RESET ROLE;
SET ROLE regress_dave;
SELECT capa.capa_cancel(:'cx', 'Duplicate of the firewall review finding') \gset ignored_
RESET ROLE;
SELECT item, status, detail FROM checklist(:'cx');

--
-- 10.2 e: the reviewer's view and the convention behind it
--
SELECT title, kind, severity, isms_changes, action_required,
       (SELECT step FROM capa.audit WHERE seq = close_seq) AS close_step
  FROM capa.closed_without_isms_change
 WHERE id IN (:'nc', :'na') ORDER BY id;
SELECT t AS isms_changes, capa.capa_no_isms_change(t) AS no_change
  FROM unnest(ARRAY['none', 'None: already covered by BK-01', 'NONE.', '  no change', 'No changes needed',
                    'No ISMS changes', 'n/a', 'Not applicable - see risk R-3',
                    'Nonetheless BK-01 was rewritten', 'Procedure BK-01 v2', 'Nothing', 'nonexistent control removed',
                    'no-changes']) t;
SELECT capa.capa_no_isms_change(NULL) IS NULL AS null_is_null;

--
-- The dossier
--
SELECT jsonb_object_keys(capa.capa_dossier(:'nc')) AS dossier_keys ORDER BY 1;
-- links (dossier_version 3): the rows of the user's tables the record is
-- linked to, an ended link with who ended it
CREATE TABLE public.dossier_controls (id text PRIMARY KEY);
INSERT INTO public.dossier_controls VALUES ('A.8.13'), ('A.5.1');
SELECT capa.capa_link(:'nc', 'public.dossier_controls', 'A.8.13') IS NOT NULL AS linked,
       capa.capa_link(:'nc', 'public.dossier_controls', 'A.5.1') IS NOT NULL AS linked_too,
       capa.capa_unlink(:'nc', 'public.dossier_controls', 'A.5.1') AS unlinked;
SELECT d->'dossier_version' AS version, l->>'target_name' AS target, l->>'key' AS key,
       l->>'linked_by' = current_user AS linked_by_me, (l->>'linked_at')::timestamptz <= now() AS linked_at_ok,
       l->>'unlinked_by' = current_user AS ended_by_me, l->'id' = to_jsonb(k.id) AS id_ok
  FROM capa.capa_dossier(:'nc') d, jsonb_array_elements(d->'links') l
  JOIN capa.link k ON k.id = (l->>'id')::bigint
 ORDER BY (l->>'id')::bigint;
SELECT (d->'summary') - 'id'::text AS summary, d->'summary'->'id' = to_jsonb(:'nc'::text) AS summary_id
  FROM capa.capa_dossier(:'nc') d;
SELECT d->'record'->>'state' AS state, d->'record'->>'chain_head' = encode(r.chain_head, 'hex') AS head_in_record,
       jsonb_array_length(d->'actions') AS actions,
       jsonb_array_length(d->'audit') AS audit_rows,
       (SELECT count(*) FROM capa.audit a WHERE a.capa_id = r.id) AS trail_rows,
       d->'chain_proof'->'intact' AS intact,
       jsonb_array_length(d->'chain_proof'->'findings') AS findings,
       jsonb_array_length(d->'chain_proof'->'chains') AS chains
  FROM capa.register r, capa.capa_dossier(r.id) d WHERE r.id = :'nc';
-- the steps of the trail, in order
SELECT string_agg(e->>'step', ', ' ORDER BY (e->>'seq')::bigint) AS trail
  FROM capa.capa_dossier(:'nc') d, jsonb_array_elements(d->'audit') e;
-- the chain proof re-checks outside the dossier: each row's hash is the
-- SHA-256 of its bytes and of the stored row, each link the previous hash,
-- each head the register's or action's chain_head
SELECT c->'action_id' IS NOT DISTINCT FROM 'null'::jsonb AS record_chain,
       jsonb_array_length(c->'rows') AS rows,
       bool_and(decode(w->>'hash', 'hex') = sha256(capa.capa_audit_bytes((w->>'seq')::bigint))) AS hashes_recompute,
       bool_and(decode(w->>'hash', 'hex') = a.hash AND decode(w->>'row_hash', 'hex') = a.row_hash) AS hashes_stored,
       bool_and((w->>'prev_hash') IS NOT DISTINCT FROM
                (SELECT c2->>'hash' FROM jsonb_array_elements(c->'rows') c2
                  WHERE (c2->>'chain_seq')::int = (w->>'chain_seq')::int - 1)) AS links,
       bool_and((c->>'head_matches')::boolean) AS head_matches,
       c->>'head_hash' = COALESCE(
           (SELECT encode(t.chain_head, 'hex') FROM capa.action t WHERE t.id = (c->>'action_id')::bigint),
           (SELECT encode(g.chain_head, 'hex') FROM capa.register g WHERE g.id = :'nc')) AS head_is_stored
  FROM capa.capa_dossier(:'nc') d, jsonb_array_elements(d->'chain_proof'->'chains') c,
       jsonb_array_elements(c->'rows') w JOIN capa.audit a ON a.seq = (w->>'seq')::bigint
 GROUP BY c ORDER BY record_chain DESC, c->>'action_id';
-- one source of truth: the dossier's checklist is capa_conformance's
SELECT d->'checklist' = (SELECT jsonb_agg(to_jsonb(c) ORDER BY c.item) FROM capa.capa_conformance(:'nc') c)
       AS same_checklist
  FROM capa.capa_dossier(:'nc') d;
-- related records are resolved; a digest that covers the record is named
SET ROLE regress_alice;
SELECT capa.capa_open('Second firewall finding', 'd', 'minor', 'internal_audit') AS rel \gset
SELECT capa.capa_contain(:'rel', 'c', 'c') \gset ignored_
SELECT capa.capa_analyse(:'rel', 'r', 'other', 'e', related => ARRAY[:'nc'::capa.capa_ref]) \gset ignored_
RESET ROLE;
SELECT jsonb_array_length(d->'related') AS related, d->'related'->0->>'title' AS related_title,
       d->'related'->0->>'state' AS related_state, d->'related'->0->'id' = to_jsonb(:'nc'::text) AS related_id
  FROM capa.capa_dossier(:'rel') d;
SELECT (capa.capa_dossier(:'rel')->'chain_proof'->'digest') = 'null' AS no_digest_yet;
SELECT capa.capa_digest() IS NOT NULL AS digest_taken;
SELECT d->'chain_proof'->'digest'->>'digest' = (SELECT digest FROM capa.digest ORDER BY id DESC LIMIT 1) AS covered
  FROM capa.capa_dossier(:'rel') d;

-- a trail edited behind capa's back (a superuser with the guards off):
-- the dossier and item f say so; undone by the rollback
BEGIN;
ALTER TABLE capa.audit DISABLE TRIGGER capa_append_only;
UPDATE capa.audit SET changed = changed || '{"containment": "nothing happened"}'
 WHERE capa_id = :'nc' AND step = 'contain';
SELECT d->'chain_proof'->'intact' AS intact,
       (SELECT string_agg(f->>'problem', ', ') FROM jsonb_array_elements(d->'chain_proof'->'findings') f) AS findings,
       d->'summary'->'checklist'->>'f' AS f
  FROM capa.capa_dossier(:'nc') d;
SELECT status, detail FROM capa.capa_conformance(:'nc') WHERE item = 'f';
ROLLBACK;

--
-- Refusals
--
SELECT capa.capa_dossier(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM capa.capa_conformance(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_dossier(capa.capa_ref(2020, 999999));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM capa.capa_conformance(capa.capa_ref(2020, 999999));
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_dossier('CAPA-2020-x');
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_eve;
SELECT try(format('SELECT capa.capa_dossier(%L)', :'nc')) AS eve_dossier;
SELECT try(format('SELECT * FROM capa.capa_conformance(%L)', :'nc')) AS eve_conformance;
SELECT try('SELECT count(*) FROM capa.closed_without_isms_change') AS eve_view;
RESET ROLE;
SET ROLE regress_carol;
SELECT (capa.capa_dossier(:'nc')->'summary'->>'state') AS reader_sees,
       (SELECT count(*) FROM capa.closed_without_isms_change WHERE id = :'na') AS reader_view_rows;
RESET ROLE;

--
-- capa_digest as a verifier (its grantee): recorded with the caller as
-- issued_by, though only capa's owner may write capa.digest
--
SET ROLE regress_bob;
SELECT capa.capa_digest() IS NOT NULL AS verifier_digest;
RESET ROLE;
SELECT issued_by FROM capa.digest ORDER BY id DESC LIMIT 1;

--
-- Management review snapshots
--
SET ROLE regress_dave;
SELECT capa.capa_review_snapshot('Management review 1') AS snap1 \gset
RESET ROLE;
-- between the reviews: two critical nonconformities open, one of them is
-- cancelled as a duplicate, and the preventive record is cancelled
SET ROLE regress_alice;
SELECT capa.capa_open('Ransomware on a file server', 'Contained by the EDR', 'critical', 'incident') AS crit \gset
SELECT capa.capa_open('Second critical', 'd', 'critical', 'incident') AS crit2 \gset
RESET ROLE;
SET ROLE regress_dave;
SELECT capa.capa_cancel(:'crit2', 'Same incident as the first') \gset ignored_
SELECT capa.capa_cancel(:'pv', 'Covered by the certificate monitoring project') \gset ignored_
-- a plain INSERT of the label does the same as the function
INSERT INTO capa.review_snapshot (label) VALUES ('Management review 2') RETURNING id AS snap2 \gset
RESET ROLE;
-- who, the digest of that moment (it verifies, and names its issuer), the
-- whole KPI rows, the open items
SELECT s.id = :snap1 AS first, s.label, s.taken_by, d.issued_by AS digest_by,
       (SELECT count(*) FROM capa.capa_audit_verify(digest => s.digest)) AS digest_findings,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(s.kpis) k)
         = (SELECT array_agg(k ORDER BY k) FROM capa.kpi_summary x, jsonb_object_keys(to_jsonb(x)) k) AS whole_kpi_row,
       jsonb_array_length(s.monthly) = (SELECT count(*) FROM capa.kpi_monthly) AS all_months,
       jsonb_array_length(s.open_items) = (s.kpis->>'open_total')::int AS open_items_all,
       s.prev_hash IS NULL AS chain_start, capa.capa_review_snapshot_hash(s) = s.content_hash AS hash_ok
  FROM capa.review_snapshot s JOIN capa.digest d ON d.id = s.digest_id
 WHERE s.id IN (:snap1, :snap2) ORDER BY s.id;
SELECT (SELECT count(*) FROM capa.register WHERE state < 'closed') =
       (SELECT jsonb_array_length(open_items) FROM capa.review_snapshot WHERE id = :snap2) AS open_items_now,
       (SELECT o->>'severity' || ' ' || (o->>'state') || ' ' || (o->>'overdue') || ' ' || (o->>'actions_pending')
          FROM capa.review_snapshot s, jsonb_array_elements(s.open_items) o
         WHERE s.id = :snap2 AND o->>'id' = :'crit') AS critical_item;
-- the comparison: each snapshot beside the one before, with deltas
SET ROLE regress_carol;
SELECT label, prev_label, open_total_delta, open_critical, open_critical_delta, open_major_delta,
       closed_between, open_items_new, open_items_gone,
       deltas->'open_total' = to_jsonb(open_total_delta) AS deltas_agree,
       deltas->'cancelled_total' AS cancelled_delta, hash_ok, link_ok
  FROM capa.review_comparison WHERE id IN (:snap1, :snap2) ORDER BY id;
RESET ROLE;

-- refusals: a blank or missing label, the wrong role, columns that are
-- not the caller's to give, any change to a snapshot (the owner included)
SET ROLE regress_dave;
SELECT capa.capa_review_snapshot('   ');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_review_snapshot('');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_review_snapshot(NULL);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO capa.review_snapshot (label, kpis) VALUES ('forged', '{}');
\echo :LAST_ERROR_SQLSTATE
UPDATE capa.review_snapshot SET label = 'rewritten';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE regress_bob;
SELECT capa.capa_review_snapshot('by a verifier');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE regress_carol;
SELECT capa.capa_review_snapshot('by a reader');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
UPDATE capa.review_snapshot SET label = 'rewritten' WHERE id = :snap1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM capa.review_snapshot WHERE id = :snap1;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE capa.review_snapshot;
\echo :LAST_ERROR_SQLSTATE
-- a snapshot needs READ COMMITTED (its digest does)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT capa.capa_review_snapshot('Under repeatable read');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- a row that arrives with a hash (a restore) must match it
INSERT INTO capa.review_snapshot (label, taken_at, taken_by, kpis, monthly, breakdowns, open_items, digest, digest_id, content_hash)
VALUES ('forged', now(), 'regress_dave', '{}', '[]', '{}', '[]', 'capa-digest:v1:0:0:00', 1, '\x00');
\echo :LAST_ERROR_SQLSTATE
-- edited behind capa's back (a superuser with the guards off): the
-- comparison shows it; undone by the rollback
BEGIN;
ALTER TABLE capa.review_snapshot DISABLE TRIGGER capa_append_only;
UPDATE capa.review_snapshot SET kpis = kpis || '{"open_total": 0}' WHERE id = :snap1;
SELECT label, hash_ok, link_ok FROM capa.review_comparison WHERE id IN (:snap1, :snap2) ORDER BY id;
ROLLBACK;
SELECT count(*) AS snapshots, bool_and(hash_ok AND link_ok) AS intact FROM capa.review_comparison;

DROP FUNCTION public.checklist(capa.capa_ref);
