-- pgTAP: the evidence each step requires, through the API functions:
-- NULL -> 23502, blank -> 22023, a wrong yes/no -> 22023, missing action
-- items -> 55000; and every change writes exactly one audit row.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SET search_path = public, capa;
SELECT plan(42);

CREATE FUNCTION pg_temp.rec(k text DEFAULT 'corrective') RETURNS capa_ref LANGUAGE sql AS $$
    SELECT capa.capa_open('t', 'd', 'major', 'other', kind => k, owner => 'tap_owner')
$$;
CREATE FUNCTION pg_temp.audit_rows() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM capa.audit
$$;

-- opening
SELECT throws_ok($$SELECT capa.capa_open(NULL, 'd', 'major', 'other')$$, '23502', NULL, 'open: NULL title');
SELECT throws_ok($$SELECT capa.capa_open('  ', 'd', 'major', 'other')$$, '22023', NULL, 'open: blank title');
SELECT throws_ok($$SELECT capa.capa_open('t', NULL, 'major', 'other')$$, '23502', NULL, 'open: NULL description');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', NULL, 'other')$$, '23502', NULL, 'open: NULL severity');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'major', NULL)$$, '23502', NULL, 'open: NULL source');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'major', 'gossip')$$, '23503', NULL, 'open: unknown source');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'major', 'other', kind => 'curative')$$, '22023', NULL, 'open: unknown kind');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'major', 'other', kind => NULL)$$, '23502', NULL, 'open: NULL kind');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'major', 'other', owner => '')$$, '22023', NULL, 'open: blank owner');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'major', 'other', priority => 9)$$, '23514', NULL, 'open: priority out of 1..5');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'grave', 'other')$$, '22P02', NULL, 'open: bad severity text');

-- 10.2 a
SELECT throws_ok(format($$SELECT capa.capa_contain(%L, NULL, 'c')$$, pg_temp.rec()), '23502', NULL, 'contain: NULL containment');
SELECT throws_ok(format($$SELECT capa.capa_contain(%L, 'c', NULL)$$, pg_temp.rec()), '23502', NULL, 'contain: NULL consequences');
SELECT throws_ok(format($$SELECT capa.capa_contain(%L, E'\t ', 'c')$$, pg_temp.rec()), '22023', NULL, 'contain: blank containment');
SELECT throws_ok(format($$SELECT capa.capa_contain(%L, 'c', '')$$, pg_temp.rec()), '22023', NULL, 'contain: empty consequences');

-- 10.2 b
CREATE TEMP TABLE contained AS SELECT pg_temp.rec() AS id;
SELECT capa.capa_contain(id, 'c', 'c') FROM contained \gset ignored_
SELECT throws_ok(format($$SELECT capa.capa_analyse(%L, NULL, '5whys', 'e')$$, (SELECT id FROM contained)), '23502', NULL, 'analyse: NULL root cause');
SELECT throws_ok(format($$SELECT capa.capa_analyse(%L, ' ', '5whys', 'e')$$, (SELECT id FROM contained)), '22023', NULL, 'analyse: blank root cause');
SELECT throws_ok(format($$SELECT capa.capa_analyse(%L, 'r', NULL, 'e')$$, (SELECT id FROM contained)), '23502', NULL, 'analyse: NULL method');
SELECT throws_ok(format($$SELECT capa.capa_analyse(%L, 'r', 'guess', 'e')$$, (SELECT id FROM contained)), '23503', NULL, 'analyse: unknown method');
SELECT throws_ok(format($$SELECT capa.capa_analyse(%L, 'r', '5whys', NULL)$$, (SELECT id FROM contained)), '23502', NULL, 'analyse: corrective needs extent of condition');
SELECT throws_ok(format($$SELECT capa.capa_analyse(%L, 'r', '5whys', 'e', cause_category => 'bad_luck')$$, (SELECT id FROM contained)), '23503', NULL, 'analyse: unknown cause category');
SELECT throws_ok(format($$SELECT capa.capa_analyse(%L, 'r', '5whys', 'e', action_required => NULL)$$, (SELECT id FROM contained)), '23502', NULL, 'analyse: action_required NULL');
SELECT lives_ok(format($$SELECT capa.capa_analyse(%L, 'r', 'fishbone', NULL)$$, pg_temp.rec('preventive')), 'analyse: preventive needs no extent of condition');

-- 10.2 c
SELECT throws_ok(format($$SELECT capa.capa_add_action(%L, NULL, 'o', current_date)$$, pg_temp.rec()), '23502', NULL, 'add_action: NULL description');
SELECT throws_ok(format($$SELECT capa.capa_add_action(%L, 'a', ' ', current_date)$$, pg_temp.rec()), '22023', NULL, 'add_action: blank owner');
SELECT throws_ok(format($$SELECT capa.capa_add_action(%L, 'a', 'o', NULL)$$, pg_temp.rec()), '23502', NULL, 'add_action: NULL due date');
SELECT throws_ok($$SELECT capa.capa_add_action('CAPA-1999-000001', 'a', 'o', current_date)$$, '23503', NULL, 'add_action: record does not exist');
SELECT throws_ok(format($$SELECT capa.capa_plan(%L)$$, pg_temp.rec('improvement')), '55000', NULL, 'plan: no action items');
CREATE TEMP TABLE planned AS SELECT pg_temp.rec('improvement') AS id;
SELECT capa.capa_add_action(id, 'a', 'o', current_date) AS aid FROM planned \gset
SELECT capa.capa_plan(id) FROM planned \gset ignored_
SELECT throws_ok(format($$SELECT capa.capa_implement(%L)$$, (SELECT id FROM planned)), '55000', NULL, 'implement: an action item is not done');
SELECT throws_ok(format($$SELECT capa.capa_complete_action(%s, '')$$, :aid), '22023', NULL, 'complete_action: blank evidence');
SELECT throws_ok($$SELECT capa.capa_complete_action(NULL, 'e')$$, '22004', NULL, 'complete_action: NULL id');

-- 10.2 d and e
SELECT capa.capa_complete_action(:aid, 'e') \gset ignored_
SELECT capa.capa_implement(id) FROM planned \gset ignored_
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, NULL, 'e')$$, (SELECT id FROM planned)), '23502', NULL, 'verify: effective NULL');
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, true, '')$$, (SELECT id FROM planned)), '22023', NULL, 'verify: blank evidence');
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, false, NULL)$$, (SELECT id FROM planned)), '23502', NULL, 'verify (ineffective): NULL evidence');
SELECT capa.capa_verify(id, true, 'e') FROM planned \gset ignored_
SELECT throws_ok(format($$SELECT capa.capa_close(%L, NULL)$$, (SELECT id FROM planned)), '23502', NULL, 'close: NULL ISMS changes');
SELECT throws_ok(format($$SELECT capa.capa_cancel(%L, ' ')$$, pg_temp.rec()), '22023', NULL, 'cancel: blank reason');
SELECT throws_ok($$SELECT capa.capa_reopen(NULL, 'r')$$, '22004', NULL, 'reopen: NULL reference');

-- exactly one audit row per change, none for a refused one
SELECT pg_temp.audit_rows() AS n0 \gset
SELECT capa.capa_close(id, 'ISMS: procedure v2') FROM planned \gset ignored_
SELECT is(pg_temp.audit_rows(), :n0 + 1::bigint, 'a step writes one audit row');
SELECT pg_temp.audit_rows() AS n1 \gset
SELECT throws_ok(format($$SELECT capa.capa_close(%L, 'again')$$, (SELECT id FROM planned)), '55000', NULL, 'closing twice is refused');
SELECT is(pg_temp.audit_rows(), :n1::bigint, 'a refused step writes no audit row');
SELECT is((SELECT count(*) FROM capa.audit a JOIN planned p ON a.capa_id = p.id),
          (SELECT chain_seq::bigint FROM capa.register r JOIN planned p USING (id))
          + (SELECT coalesce(sum(chain_seq), 0) FROM capa.action a JOIN planned p ON a.capa_id = p.id),
          'the audit rows of a record are exactly its changes and its action items''');
SELECT is((SELECT array_agg(step ORDER BY seq) FROM capa.audit a JOIN planned p ON a.capa_id = p.id),
          ARRAY['open', 'add_action', 'plan', 'complete_action', 'implement', 'verify', 'close'],
          'the trail of the record, in order');

SELECT * FROM finish();
ROLLBACK;
