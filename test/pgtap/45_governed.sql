-- pgTAP: governed change (issue 14, item 1; 0.3.0, [governed]).
--
-- G1 who may do what: every cell of docs/reference.md's table, each on a fresh
--    record, as the role itself (SET ROLE), with its SQLSTATE.
-- G2 where: the states each change is allowed in, and what is refused.
-- G3 the reason: required and non-blank, for the functions and for a plain
--    UPDATE (capa.reason); in the audit row with the values replaced.
-- G4 what changes: counters, the first due dates, a cancelled action item
--    not counted by capa_plan and capa_implement, escalation restarting at
--    level 1, capa_cancel from planned and implemented (capa_admin only),
--    the trail verifying.
-- Before 0.3.0 none of these functions existed; an UPDATE of the owner or a
-- due date by the table's owner went through without a reason (G3's plain
-- UPDATE cases fail on 0.2.0).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SET search_path = public, capa;
SELECT plan(294);

CREATE ROLE tap_g_reader;                -- capa_reader only
CREATE ROLE tap_g_owner;                 -- capa_editor, owns the records
CREATE ROLE tap_g_ops;                   -- capa_editor, owns the action items
CREATE ROLE tap_g_other;                 -- capa_editor, owns nothing
CREATE ROLE tap_g_team;                  -- a group role that owns records
CREATE ROLE tap_g_member;                -- capa_editor, member of tap_g_team
CREATE ROLE tap_g_verifier;              -- capa_verifier only
CREATE ROLE tap_g_admin;                 -- capa_admin
CREATE ROLE tap_g_dba_user;              -- no capa role; a DBA granted UPDATE
GRANT capa_reader TO tap_g_reader;
GRANT capa_editor TO tap_g_owner, tap_g_ops, tap_g_other, tap_g_member;
GRANT tap_g_team TO tap_g_member;
GRANT capa_verifier TO tap_g_verifier;
GRANT capa_admin TO tap_g_admin;
GRANT USAGE ON SCHEMA capa TO tap_g_dba_user;
GRANT SELECT, UPDATE ON capa.register, capa.action TO tap_g_dba_user;

-- A fresh record of kind in state, owned by owner, with one action item
-- owned by tap_g_ops (pending unless the record is past planned)
CREATE FUNCTION public.g_record(kind text, state text, owner text DEFAULT 'tap_g_owner')
RETURNS capa.capa_ref LANGUAGE plpgsql AS $$
DECLARE
    r capa.capa_ref;
    a bigint;
BEGIN
    r := capa.capa_open('Governed', 'd', 'major', 'other', kind => kind, owner => owner);
    IF state = 'open' THEN RETURN r; END IF;
    IF kind = 'corrective' THEN
        PERFORM capa.capa_contain(r, 'contained', 'none');
        IF state = 'contained' THEN RETURN r; END IF;
    END IF;
    IF kind <> 'improvement' THEN
        PERFORM capa.capa_analyse(r, 'cause', '5whys', 'extent');
        IF state = 'analysed' THEN RETURN r; END IF;
    END IF;
    a := capa.capa_add_action(r, 'fix', 'tap_g_ops', current_date + 7);
    PERFORM capa.capa_plan(r);
    IF state = 'planned' THEN RETURN r; END IF;
    PERFORM capa.capa_complete_action(a, 'fixed');
    PERFORM capa.capa_implement(r);
    IF state = 'implemented' THEN RETURN r; END IF;
    PERFORM capa.capa_verify(r, true, 'works');
    IF state = 'verified' THEN RETURN r; END IF;
    PERFORM capa.capa_close(r, 'none');
    IF state = 'closed' THEN RETURN r; END IF;
    RAISE EXCEPTION 'g_record: state %', state;
END
$$;

-- The record's first action item
CREATE FUNCTION public.g_item(r capa.capa_ref) RETURNS bigint LANGUAGE sql AS $$
    SELECT min(a.id) FROM capa.action a WHERE a.capa_id OPERATOR(capa.=) r
$$;

-- stmt as role: 'ok', or the SQLSTATE it failed with
CREATE FUNCTION public.g_try(role text, stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', role);
    EXECUTE stmt;
    RESET ROLE;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;

-- ===================================================================
-- G1. who may do what (docs/reference.md, "Governed change")
-- ===================================================================
-- %1$s: a fresh planned corrective record owned by tap_g_owner (or by the
-- group tap_g_team for the member's row), %2$s its pending action item
CREATE TEMP TABLE g_change (n int, label text, stmt text);
INSERT INTO g_change VALUES
  (1, 'capa_reassign', $$SELECT capa.capa_reassign(%1$L, 'tap_g_other', 'owner left')$$),
  (2, 'capa_reschedule', $$SELECT capa.capa_reschedule(%1$L, 'close', now() + interval '90 days', 'vendor late')$$),
  (3, 'capa_amend (root cause)', $$SELECT capa.capa_amend(%1$L, 'root_cause', 'the real cause', 'typo')$$),
  (4, 'capa_reassign_action', $$SELECT capa.capa_reassign_action(%2$s, 'tap_g_other', 'ops left')$$),
  (5, 'capa_reschedule_action', $$SELECT capa.capa_reschedule_action(%2$s, current_date + 30, 'parts late')$$),
  (6, 'capa_cancel_action', $$SELECT capa.capa_cancel_action(%2$s, 'not needed')$$),
  (7, 'capa_cancel (planned)', $$SELECT capa.capa_cancel(%1$L, 'duplicate of another record')$$);
CREATE TEMP TABLE g_who (role text, owner text, expect text[]);
-- expect: one answer per change above, in order
INSERT INTO g_who VALUES
  ('tap_g_reader', 'tap_g_owner', ARRAY['42501', '42501', '42501', '42501', '42501', '42501', '42501']),
  ('tap_g_other', 'tap_g_owner', ARRAY['42501', '42501', '42501', '42501', '42501', '42501', '42501']),
  ('tap_g_owner', 'tap_g_owner', ARRAY['ok', 'ok', 'ok', 'ok', 'ok', 'ok', '42501']),
  ('tap_g_ops', 'tap_g_owner', ARRAY['42501', '42501', '42501', 'ok', 'ok', 'ok', '42501']),
  ('tap_g_member', 'tap_g_team', ARRAY['ok', 'ok', 'ok', 'ok', 'ok', 'ok', '42501']),
  ('tap_g_verifier', 'tap_g_owner', ARRAY['42501', '42501', '42501', '42501', '42501', '42501', '42501']),
  ('tap_g_admin', 'tap_g_owner', ARRAY['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
SELECT is(public.g_try(w.role, format(c.stmt, x.r, public.g_item(x.r))), w.expect[c.n],
          format('G1 %s by %s on a planned record of %s: %s', c.label, w.role, w.owner, w.expect[c.n]))
  FROM g_who w CROSS JOIN g_change c
 -- (c.n in the call: a fresh record for every cell)
 CROSS JOIN LATERAL (SELECT public.g_record('corrective', 'planned', CASE WHEN c.n > 0 THEN w.owner END) AS r) x
 ORDER BY w.role, c.n;

-- the verifier's own words: capa_amend of verification_evidence
CREATE TEMP TABLE g_ineffective AS
SELECT public.g_record('corrective', 'implemented') AS r FROM generate_series(1, 4);
SELECT count(capa.capa_verify(r, false, 'came back')) AS n_ineffective FROM g_ineffective \gset
CREATE TEMP TABLE g_ev AS SELECT row_number() OVER (ORDER BY r) AS n, r FROM g_ineffective;
SELECT is(public.g_try('tap_g_verifier', format($$SELECT capa.capa_amend(%L, 'verification_evidence', 'came back twice', 'typo')$$,
                                                 (SELECT r FROM g_ev WHERE n = 1))),
          'ok', 'G1 capa_amend (verification_evidence) by a verifier who owns nothing: ok');
SELECT is(public.g_try('tap_g_owner', format($$SELECT capa.capa_amend(%L, 'verification_evidence', 'it worked', 'typo')$$,
                                              (SELECT r FROM g_ev WHERE n = 2))),
          '42501', 'G1 capa_amend (verification_evidence) by the record''s owner (an editor): 42501');
GRANT capa_verifier TO tap_g_ops;
SELECT is(public.g_try('tap_g_ops', format($$SELECT capa.capa_amend(%L, 'verification_evidence', 'it worked', 'typo')$$,
                                            (SELECT r FROM g_ev WHERE n = 3))),
          '42501', 'G1 capa_amend (verification_evidence) by a verifier who owns an action item: 42501 (segregation of duties)');
REVOKE capa_verifier FROM tap_g_ops;
SELECT is(public.g_try('tap_g_admin', format($$SELECT capa.capa_amend(%L, 'verification_evidence', 'came back, twice', 'typo')$$,
                                              (SELECT r FROM g_ev WHERE n = 4))),
          'ok', 'G1 capa_amend (verification_evidence) by capa_admin: ok');

-- capa_cancel from implemented: capa_admin only, also for a plain UPDATE
SELECT is(public.g_try('tap_g_admin', format($$SELECT capa.capa_cancel(%L, 'duplicate found late')$$,
                                              public.g_record('preventive', 'implemented'))),
          'ok', 'G1 capa_cancel (implemented) by capa_admin: ok');
GRANT EXECUTE ON FUNCTION capa.capa_cancel(capa.capa_ref, text) TO tap_g_owner;
SELECT is(public.g_try('tap_g_owner', format($$SELECT capa.capa_cancel(%L, 'duplicate found late')$$,
                                              public.g_record('improvement', 'implemented'))),
          '42501', 'G1 capa_cancel (implemented) by an editor granted EXECUTE: 42501');
SELECT is(public.g_try('tap_g_owner', format($$SELECT capa.capa_cancel(%L, 'withdrawn')$$,
                                              public.g_record('improvement', 'open'))),
          'ok', 'G1 ... while capa_cancel (open) by the same role is as before: ok');
REVOKE EXECUTE ON FUNCTION capa.capa_cancel(capa.capa_ref, text) FROM tap_g_owner;
SELECT is(public.g_try('tap_g_dba_user', format($$UPDATE capa.register SET state = 'cancelled', cancel_reason = 'dup' WHERE id::text = %L$$,
                                                 public.g_record('corrective', 'planned'))),
          '42501', 'G1 UPDATE to cancelled from planned by a role a DBA granted UPDATE: 42501');

-- plain UPDATE by a role a DBA granted UPDATE to: the same rules
SELECT is(public.g_try('tap_g_dba_user', format($$SET LOCAL capa.reason = 'left'; UPDATE capa.register SET owner = 'x' WHERE id::text = %L$$,
                                                 public.g_record('corrective', 'open'))),
          '42501', 'G1 UPDATE of the owner by a role with UPDATE and no capa role: 42501');
GRANT capa_admin TO tap_g_dba_user;
SELECT is(public.g_try('tap_g_dba_user', format($$UPDATE capa.register SET owner = 'x' WHERE id::text = %L$$,
                                                 public.g_record('corrective', 'open'))),
          '22023', 'G1 the same role, also capa_admin, without capa.reason: 22023');
SELECT is(public.g_try('tap_g_dba_user', format($$SET LOCAL capa.reason = 'owner left'; UPDATE capa.register SET owner = 'x' WHERE id::text = %L$$,
                                                 public.g_record('corrective', 'open'))),
          'ok', 'G1 ... and with SET LOCAL capa.reason: ok');
REVOKE capa_admin FROM tap_g_dba_user;
RESET capa.reason;

-- ===================================================================
-- G2. where: states and fields
-- ===================================================================
SELECT public.g_record('corrective', 'closed') AS closed \gset
SELECT throws_ok(format($$SELECT capa.capa_reassign(%L, 'x', 'r')$$, :'closed'), '55000', NULL,
                 'G2 capa_reassign of a closed record: 55000 (closed records change through capa_reopen)');
SELECT throws_ok(format($$SELECT capa.capa_amend(%L, 'title', 'x', 'r')$$, :'closed'), '55000', NULL,
                 'G2 capa_amend of a closed record: 55000');
SELECT throws_ok(format($$SELECT capa.capa_reschedule(%L, 'close', now() + interval '1 day', 'r')$$, :'closed'), '55000', NULL,
                 'G2 capa_reschedule of a closed record: 55000');
SELECT public.g_record('corrective', 'open') AS cancelled \gset
SELECT capa.capa_cancel(:'cancelled', 'dup') IS NULL AS ignored \gset
SELECT throws_ok(format($$SELECT capa.capa_reassign(%L, 'x', 'r')$$, :'cancelled'), '55000', NULL,
                 'G2 capa_reassign of a cancelled record: 55000');

SELECT public.g_record('corrective', 'contained') AS contained \gset
SELECT throws_ok(format($$SELECT capa.capa_amend(%L, 'root_cause', 'x', 'r')$$, :'contained'), '55000', NULL,
                 'G2 capa_amend of the root cause before the analysis: 55000 (no step recorded it)');
SELECT lives_ok(format($$SELECT capa.capa_amend(%L, 'consequences', 'two hours of downtime', 'detail')$$, :'contained'),
                'G2 capa_amend of the consequences of a contained record');
SELECT throws_ok(format($$SELECT capa.capa_amend(%L, 'consequences', ' ', 'r')$$, :'contained'), '22023', NULL,
                 'G2 capa_amend to a blank text: 22023');
SELECT throws_ok(format($$SELECT capa.capa_amend(%L, 'consequences', NULL, 'r')$$, :'contained'), '23502', NULL,
                 'G2 capa_amend to NULL: 23502');
SELECT throws_ok(format($$SELECT capa.capa_amend(%L, 'effective', 'true', 'r')$$, :'contained'), '22023', NULL,
                 'G2 capa_amend of a field it does not correct (effective): 22023');
SELECT throws_ok(format($$SELECT capa.capa_amend(%L, 'state', 'closed', 'r')$$, :'contained'), '22023', NULL,
                 'G2 capa_amend of the state: 22023');
SELECT throws_ok(format($$SELECT capa.capa_amend(%L, 'x; DROP TABLE capa.audit', 'x', 'r')$$, :'contained'), '22023', NULL,
                 'G2 capa_amend of no field at all: 22023');
SELECT capa.capa_open('Governed', 'd', 'major', 'other', kind => 'preventive', owner => 'tap_g_owner') AS prev \gset
SELECT capa.capa_analyse(:'prev', 'cause', '5whys', why_chain => ARRAY['why 1']) IS NULL AS ignored \gset
SELECT throws_ok(format($$SELECT capa.capa_amend(%L, 'containment', 'x', 'r')$$, :'prev'), '55000', NULL,
                 'G2 capa_amend of containment on a preventive record (never recorded): 55000');
SELECT lives_ok(format($$SELECT capa.capa_amend(%L, 'why_chain', '{"why 1","why 2"}', 'the chain was missing a step')$$, :'prev'),
                'G2 capa_amend of the why-chain (an array literal)');
SELECT is((SELECT why_chain FROM capa.register WHERE id OPERATOR(capa.=) :'prev'), ARRAY['why 1', 'why 2'],
          'G2 ... which is now the array');
SELECT throws_ok(format($$SELECT capa.capa_amend(%L, 'rca_method', 'no_such_method', 'r')$$, :'prev'), '23503', NULL,
                 'G2 capa_amend of the method to an unknown code: 23503');

SELECT throws_ok(format($$SELECT capa.capa_reschedule(%L, 'contain', now() + interval '1 day', 'r')$$, :'contained'), '55000', NULL,
                 'G2 capa_reschedule of containment once contained: 55000');
SELECT throws_ok(format($$SELECT capa.capa_reschedule(%L, 'contain', now() + interval '1 day', 'r')$$,
                        public.g_record('preventive', 'open')), '55000', NULL,
                 'G2 capa_reschedule of containment of a preventive record: 55000');
SELECT throws_ok(format($$SELECT capa.capa_reschedule(%L, 'effectiveness', now() + interval '1 day', 'r')$$, :'contained'), '55000', NULL,
                 'G2 capa_reschedule of the effectiveness check before implementation: 55000');
SELECT throws_ok(format($$SELECT capa.capa_reschedule(%L, 'close', NULL, 'r')$$, :'contained'), '23502', NULL,
                 'G2 capa_reschedule to no due date: 23502');
SELECT throws_ok(format($$SELECT capa.capa_reschedule(%L, 'close', 'infinity', 'r')$$, :'contained'), '22023', NULL,
                 'G2 capa_reschedule to infinity: 22023');
SELECT throws_ok(format($$SELECT capa.capa_reschedule(%L, 'soon', now(), 'r')$$, :'contained'), '22023', NULL,
                 'G2 capa_reschedule with an unknown due_kind: 22023');
SELECT throws_ok(format($$SELECT capa.capa_reschedule(%L, NULL, now(), 'r')$$, :'contained'), '22023', NULL,
                 'G2 capa_reschedule without a due_kind: 22023');
SELECT throws_ok(format($$SELECT capa.capa_reassign(%L, ' ', 'r')$$, :'contained'), '22023', NULL,
                 'G2 capa_reassign to a blank owner: 22023');
SELECT throws_ok(format($$SELECT capa.capa_reassign(%L, 'tap_g_owner', 'r')$$, :'contained'), '55000', NULL,
                 'G2 capa_reassign to the owner it has: 55000 (a change that changes nothing)');

SELECT public.g_record('corrective', 'implemented') AS impl \gset
SELECT lives_ok(format($$SELECT capa.capa_reschedule(%L, 'effectiveness', now() + interval '61 days', 'backups must run green for 61 days')$$, :'impl'),
                'G2 capa_reschedule of the effectiveness check of an implemented record');
SELECT throws_ok(format($$SELECT capa.capa_reschedule_action(%s, current_date + 1, 'r')$$, public.g_item(:'impl')), '55000', NULL,
                 'G2 capa_reschedule_action once the record is implemented: 55000');
SELECT throws_ok(format($$SELECT capa.capa_cancel_action(%s, 'r')$$, public.g_item(:'impl')), '55000', NULL,
                 'G2 capa_cancel_action once the record is implemented: 55000');

SELECT public.g_record('corrective', 'planned') AS pl \gset
SELECT public.g_item(:'pl') AS pl_item \gset
SELECT capa.capa_add_action(:'pl', 'second', 'tap_g_ops', current_date + 3) AS pl_item2 \gset
SELECT capa.capa_complete_action(:'pl_item2', 'done') IS NULL AS ignored \gset
SELECT throws_ok(format($$SELECT capa.capa_cancel_action(%s, 'r')$$, :'pl_item2'), '55000', NULL,
                 'G2 capa_cancel_action of a done item: 55000');
SELECT throws_ok(format($$SELECT capa.capa_reassign_action(%s, 'x', 'r')$$, :'pl_item2'), '55000', NULL,
                 'G2 capa_reassign_action of a done item: 55000');
SELECT throws_ok(format($$SELECT capa.capa_cancel_action(%s, ' ')$$, :'pl_item'), '22023', NULL,
                 'G2 capa_cancel_action with a blank reason: 22023');
SELECT throws_ok(format($$SELECT capa.capa_reschedule_action(%s, '-infinity', 'r')$$, :'pl_item'), '22023', NULL,
                 'G2 capa_reschedule_action to -infinity: 22023');
SELECT throws_ok(format($$SELECT capa.capa_reschedule_action(%s, NULL, 'r')$$, :'pl_item'), '23502', NULL,
                 'G2 capa_reschedule_action to no due date: 23502');
SELECT throws_ok('SELECT capa.capa_cancel_action(NULL, ''r'')', '22004', NULL, 'G2 capa_cancel_action(NULL): 22004');
SELECT throws_ok('SELECT capa.capa_reassign_action(NULL, ''x'', ''r'')', '22004', NULL, 'G2 capa_reassign_action(NULL): 22004');
SELECT throws_ok('SELECT capa.capa_reschedule_action(NULL, current_date, ''r'')', '22004', NULL, 'G2 capa_reschedule_action(NULL): 22004');
SELECT throws_ok('SELECT capa.capa_reassign(NULL, ''x'', ''r'')', '22004', NULL, 'G2 capa_reassign(NULL): 22004');
SELECT throws_ok('SELECT capa.capa_reschedule(NULL, ''close'', now(), ''r'')', '22004', NULL, 'G2 capa_reschedule(NULL): 22004');
SELECT throws_ok('SELECT capa.capa_amend(NULL, ''title'', ''x'', ''r'')', '22004', NULL, 'G2 capa_amend(NULL): 22004');
SELECT throws_ok('SELECT capa.capa_cancel_action(799999999, ''r'')', '42704', NULL, 'G2 capa_cancel_action of no item: 42704');
SELECT throws_ok(format('SELECT capa.capa_reassign(%L, ''x'', ''r'')', capa.capa_ref(2026, 999999)), '42704', NULL,
                 'G2 capa_reassign of no record: 42704');

-- one kind of change per statement (a plain UPDATE could mix them)
SELECT throws_ok(format($$SET LOCAL capa.reason = 'r'; UPDATE capa.register SET owner = 'y', close_due = close_due + interval '1 day' WHERE id = %L$$, :'pl'),
                 '55000', NULL, 'G2 an UPDATE that reassigns and reschedules at once: 55000');
SELECT throws_ok(format($$SET LOCAL capa.reason = 'r'; UPDATE capa.action SET owner = 'y', due = due + 1 WHERE id = %s$$, :'pl_item'),
                 '55000', NULL, 'G2 an UPDATE of an action item''s owner and due date at once: 55000');
SELECT throws_ok(format($$SET LOCAL capa.reason = 'r'; UPDATE capa.register SET reschedule_count = 5 WHERE id = %L$$, :'pl'),
                 '428C9', NULL, 'G2 reschedule_count is capa''s: 428C9');
SELECT throws_ok(format($$SET LOCAL capa.reason = 'r'; UPDATE capa.register SET original_close_due = now() WHERE id = %L$$, :'pl'),
                 '428C9', NULL, 'G2 original_close_due is capa''s: 428C9');
SELECT throws_ok(format($$SET LOCAL capa.reason = 'r'; UPDATE capa.action SET cancelled_at = now() WHERE id = %s$$, :'pl_item'),
                 '428C9', NULL, 'G2 an action item''s cancelled_at is capa''s: 428C9');
SELECT throws_ok(format($$INSERT INTO capa.action (capa_id, description, owner, due, cancel_reason) VALUES (%L, 'x', 'y', current_date, 'no')$$, :'pl'),
                 '55000', NULL, 'G2 a new action item is not cancelled: 55000');

RESET capa.reason;
-- ===================================================================
-- G3. the reason
-- ===================================================================
SELECT public.g_record('corrective', 'analysed') AS an \gset
SELECT throws_ok(format($$SELECT capa.capa_reassign(%L, 'x', NULL)$$, :'an'), '22023', NULL, 'G3 capa_reassign without a reason: 22023');
SELECT throws_ok(format($$SELECT capa.capa_reassign(%L, 'x', E'\u200B \u00A0')$$, :'an'), '22023', NULL,
                 'G3 capa_reassign with a reason of Unicode blanks: 22023');
SELECT throws_ok(format($$SELECT capa.capa_reschedule(%L, 'close', now(), '')$$, :'an'), '22023', NULL, 'G3 capa_reschedule with an empty reason: 22023');
SELECT throws_ok(format($$SELECT capa.capa_amend(%L, 'title', 'x', NULL)$$, :'an'), '22023', NULL, 'G3 capa_amend without a reason: 22023');
SELECT throws_ok(format($$SELECT capa.capa_reassign_action(%s, 'x', NULL)$$, public.g_item(:'pl')), '22023', NULL, 'G3 capa_reassign_action without a reason: 22023');
SELECT throws_ok(format($$SELECT capa.capa_reschedule_action(%s, current_date, ' ')$$, public.g_item(:'pl')), '22023', NULL, 'G3 capa_reschedule_action with a blank reason: 22023');
SELECT throws_ok(format($$SELECT capa.capa_cancel_action(%s, NULL)$$, public.g_item(:'pl')), '22023', NULL, 'G3 capa_cancel_action without a reason: 22023');
-- plain UPDATEs by the table's owner: the same reason, from capa.reason
SELECT throws_ok(format($$UPDATE capa.register SET owner = 'x' WHERE id = %L$$, :'an'), '22023', NULL,
                 'G3 UPDATE of the owner without capa.reason: 22023 (0.2.0 took it)');
SELECT throws_ok(format($$UPDATE capa.register SET close_due = now() + interval '1 year' WHERE id = %L$$, :'an'), '22023', NULL,
                 'G3 UPDATE of a due date without capa.reason: 22023 (0.2.0 took it)');
SELECT throws_ok(format($$UPDATE capa.register SET title = 'x' WHERE id = %L$$, :'an'), '22023', NULL,
                 'G3 UPDATE of the title without capa.reason: 22023');
SELECT throws_ok(format($$UPDATE capa.register SET severity = 'minor' WHERE id = %L$$, :'an'), '22023', NULL,
                 'G3 UPDATE of the severity without capa.reason: 22023');
SELECT throws_ok(format($$SET LOCAL capa.reason = ' '; UPDATE capa.register SET owner = 'x' WHERE id = %L$$, :'an'), '22023', NULL,
                 'G3 UPDATE with a blank capa.reason: 22023');
SELECT throws_ok(format($$UPDATE capa.action SET due = due + 1 WHERE id = %s$$, public.g_item(:'pl')), '22023', NULL,
                 'G3 UPDATE of an action item''s due date without capa.reason: 22023');
SELECT lives_ok(format($$SET LOCAL capa.reason = 'ISMS manager moved it'; UPDATE capa.register SET close_due = '2031-01-01 00:00+00' WHERE id = %L$$, :'an'),
                'G3 UPDATE of a due date with capa.reason');
SELECT results_eq(format($$SELECT step, changed->>'reason', changed->'previous' ? 'close_due', changed->>'close_due'
                            FROM capa.audit WHERE capa_id = %L ORDER BY seq DESC LIMIT 1$$, :'an'),
                  $$VALUES ('reschedule', 'ISMS manager moved it', true, '2031-01-01T00:00:00+00:00')$$,
                  'G3 ... audited as reschedule, with the reason, the old and the new value');
RESET capa.reason;
-- a function's reason is its argument, not a capa.reason the session set
SET capa.reason = 'from the session';
SELECT capa.capa_reassign(:'an', 'tap_g_other', 'from the argument') IS NULL AS ignored \gset
RESET capa.reason;
SELECT results_eq(format($$SELECT step, actor = current_user, changed->>'reason', changed->'previous'->>'owner', changed->>'owner',
                                  (changed->>'reassign_count')::int
                            FROM capa.audit WHERE capa_id = %L ORDER BY seq DESC LIMIT 1$$, :'an'),
                  $$VALUES ('reassign', true, 'from the argument', 'tap_g_owner', 'tap_g_other', 1)$$,
                  'G3 capa_reassign''s audit row: step, actor, its own reason, the old and the new owner, the count');
SELECT capa.capa_amend(:'an', 'root_cause', 'the real cause', 'the first analysis named a symptom') IS NULL AS ignored \gset
SELECT results_eq(format($$SELECT step, changed->>'reason', changed->'previous'->>'root_cause', changed->>'root_cause'
                            FROM capa.audit WHERE capa_id = %L ORDER BY seq DESC LIMIT 1$$, :'an'),
                  $$VALUES ('amend', 'the first analysis named a symptom', 'cause', 'the real cause')$$,
                  'G3 capa_amend''s audit row: the old root cause stays in the trail');
SELECT capa.capa_cancel_action(public.g_item(:'pl'), 'the vendor fixed it') IS NULL AS ignored \gset
SELECT results_eq(format($$SELECT step, changed->>'reason', changed->>'cancel_reason', changed ? 'cancelled_at'
                            FROM capa.audit WHERE action_id = %s ORDER BY seq DESC LIMIT 1$$, public.g_item(:'pl')),
                  $$VALUES ('cancel_action', 'the vendor fixed it', 'the vendor fixed it', true)$$,
                  'G3 capa_cancel_action''s audit row');

-- ===================================================================
-- G4. what changes
-- ===================================================================
SELECT public.g_record('corrective', 'open') AS g4 \gset
SELECT contain_due AS contain0, close_due AS close0 FROM capa.register WHERE id OPERATOR(capa.=) :'g4' \gset
SELECT capa.capa_reschedule(:'g4', 'close', :'close0'::timestamptz + interval '10 days', 'one') IS NULL AS ignored \gset
SELECT capa.capa_reschedule(:'g4', 'close', :'close0'::timestamptz + interval '20 days', 'two') IS NULL AS ignored \gset
SELECT capa.capa_reschedule(:'g4', 'contain', :'contain0'::timestamptz + interval '1 day', 'three') IS NULL AS ignored \gset
SELECT capa.capa_reassign(:'g4', 'tap_g_other', 'four') IS NULL AS ignored \gset
SELECT results_eq(format($$SELECT reschedule_count, reassign_count, original_close_due = %L::timestamptz,
                                  original_contain_due = %L::timestamptz, close_due = %L::timestamptz + interval '20 days'
                            FROM capa.register WHERE id = %L$$, :'close0', :'contain0', :'close0', :'g4'),
                  $$VALUES (3, 1, true, true, true)$$,
                  'G4 three reschedules and a reassignment counted; the first due dates stay known');
SELECT results_eq(format($$SELECT reschedule_count, reassign_count, first_close_due = %L::timestamptz
                            FROM capa.kpi_change WHERE id = %L$$, :'close0', :'g4'),
                  $$VALUES (3, 1, true)$$, 'G4 kpi_change shows them');
SELECT ok((SELECT records_rescheduled >= 2 AND max_reschedules >= 3 AND records_reassigned >= 1 AND cancelled_actions >= 1
             FROM capa.kpi_change_summary), 'G4 kpi_change_summary counts records rescheduled, the most reschedules, reassignments, cancelled items');

-- a cancelled action item is not counted by capa_plan and capa_implement
SELECT public.g_record('corrective', 'analysed') AS g4b \gset
SELECT capa.capa_add_action(:'g4b', 'not needed after all', 'tap_g_ops', current_date + 1) AS g4b_item \gset
SELECT capa.capa_cancel_action(:'g4b_item', 'superseded') IS NULL AS ignored \gset
SELECT throws_ok(format('SELECT capa.capa_plan(%L)', :'g4b'), '55000', NULL,
                 'G4 capa_plan with only a cancelled action item: 55000 (it is not counted)');
SELECT capa.capa_add_action(:'g4b', 'the real fix', 'tap_g_ops', current_date + 1) AS g4b_item2 \gset
SELECT capa.capa_add_action(:'g4b', 'turns out unnecessary', 'tap_g_ops', current_date + 1) AS g4b_item3 \gset
SELECT is(capa.capa_plan(:'g4b')::text, 'planned', 'G4 capa_plan with a live item');
SELECT capa.capa_complete_action(:'g4b_item2', 'done') IS NULL AS ignored \gset
SELECT throws_ok(format('SELECT capa.capa_implement(%L)', :'g4b'), '55000', NULL,
                 'G4 capa_implement with a pending item: 55000');
SELECT capa.capa_cancel_action(:'g4b_item3', 'not needed: the real fix covers it') IS NULL AS ignored \gset
SELECT is(capa.capa_implement(:'g4b')::text, 'implemented', 'G4 capa_implement once the pending item is cancelled');
SELECT results_eq(format($$SELECT status, evidence LIKE '%%cancelled: superseded%%', evidence LIKE '%%1 action item(s), all done%%'
                            FROM capa.capa_conformance(%L) WHERE item = 'c'$$, :'g4b'),
                  $$VALUES ('met', true, true)$$,
                  'G4 capa_conformance c: met, the cancelled items listed as cancelled with their reason and not counted');
SELECT results_eq(format($$SELECT count(*)::int, count(*) FILTER (WHERE cancelled_at IS NOT NULL)::int,
                                  count(*) FILTER (WHERE cancelled_by = current_user)::int
                            FROM capa.action WHERE capa_id = %L$$, :'g4b'),
                  $$VALUES (3, 2, 2)$$, 'G4 cancelled items stay visible, with who cancelled them');
SELECT is((SELECT COALESCE(sum(pending), 0)::int FROM capa.kpi_action_due_now WHERE due = current_date + 1),
          0, 'G4 cancelled items are not pending in the KPIs');
SELECT throws_ok(format($$SELECT capa.capa_complete_action(%s, 'did it anyway')$$, :'g4b_item'), '55000', NULL,
                 'G4 a cancelled item cannot be completed: 55000');

-- capa_cancel from planned and implemented, a late duplicate
SELECT public.g_record('preventive', 'planned') AS dup \gset
SELECT is(capa.capa_cancel(:'dup', 'duplicate of an earlier record')::text, 'cancelled',
          'G4 capa_cancel of a planned record (capa_admin, here the superuser)');
SELECT is((SELECT pending FROM capa.kpi_action_due_now WHERE due = current_date + 7 AND org_unit IS NULL),
          (SELECT count(*) FROM capa.action a JOIN capa.register r ON r.id OPERATOR(capa.=) a.capa_id
            WHERE a.due = current_date + 7 AND NOT a.done AND a.cancelled_at IS NULL AND r.state <> 'cancelled'),
          'G4 the KPI of pending items agrees with the register');

-- escalation restarts at level 1 for a moved due date and a new owner
SELECT capa.capa_open('Late', 'd', 'major', 'other', owner => 'tap_g_owner',
                      close_due => now() - interval '3 days') AS late \gset
SELECT is((SELECT level FROM capa.capa_escalate(now()) e WHERE e.capa_id OPERATOR(capa.=) :'late' AND e.due_kind = 'close'),
          1, 'G4 an overdue record escalates at level 1');
SELECT capa.capa_reschedule(:'late', 'close', now() - interval '1 day', 'moved, still late') IS NULL AS ignored \gset
SELECT results_eq(format($$SELECT level, episode FROM capa.capa_escalate(now()) e WHERE e.capa_id = %L AND e.due_kind = 'close'$$, :'late'),
                  $$VALUES (1, 2)$$, 'G4 a moved due date starts a new episode at level 1');
SELECT capa.capa_reassign(:'late', 'tap_g_other', 'new owner') IS NULL AS ignored \gset
SELECT results_eq(format($$SELECT level, episode FROM capa.capa_escalate(now()) e WHERE e.capa_id = %L AND e.due_kind = 'close'$$, :'late'),
                  $$VALUES (1, 3)$$, 'G4 a new owner starts a new episode at level 1');
SELECT capa.capa_add_action(:'late', 'x', 'tap_g_ops', current_date - 2) AS late_item \gset
SELECT is((SELECT count(*)::int FROM capa.capa_escalate(now()) e WHERE e.action_id = :'late_item'), 1,
          'G4 an overdue action item escalates');
SELECT capa.capa_cancel_action(:'late_item', 'not needed') IS NULL AS ignored \gset
SELECT capa.capa_add_action(:'late', 'y', 'tap_g_ops', current_date - 2) AS late_item2 \gset
SELECT capa.capa_cancel_action(:'late_item2', 'not needed') IS NULL AS ignored \gset
SELECT is((SELECT count(*)::int FROM capa.capa_escalate(now()) e WHERE e.action_id = :'late_item2'), 0,
          'G4 a cancelled action item does not escalate');

-- ===================================================================
-- G5. re-analysis (issue 14, item 3)
-- ===================================================================
-- an ineffective verification whose cause was the analysis: back to analysed
SELECT public.g_record('corrective', 'implemented') AS ra \gset
SELECT is(public.g_try('tap_g_verifier', format($$SELECT capa.capa_verify(%L, false, 'backups still fail', reanalyse => true)$$, :'ra')),
          'ok', 'G5 capa_verify(effective => false, reanalyse => true) by a verifier who owns nothing');
SELECT results_eq(format($$SELECT state::text, root_cause IS NULL, action_required IS NULL, ineffective_count, reanalyse_count, verified_by = 'tap_g_verifier'
                            FROM capa.register WHERE id = %L$$, :'ra'),
                  $$VALUES ('analysed', true, true, 1, 1, true)$$,
                  'G5 ... the record is analysed, its analysis cleared for the new one, counted as ineffective and as a re-analysis');
SELECT is(capa.capa_next_states(:'ra'), ARRAY['planned', 'closed', 'cancelled']::capa.capa_state[],
          'G5 capa_next_states lists the steps after an analysis');
SELECT throws_ok(format($$SELECT capa.capa_plan(%L)$$, :'ra'), '23502', NULL,
                 'G5 capa_plan before the new analysis: 23502 (action_required is not recorded)');
SELECT is(capa.capa_analyse(:'ra', 'the job reports success on failure', '5whys', 'every backup job')::text, 'analysed',
          'G5 capa_analyse records the new root cause');
SELECT throws_ok(format($$SELECT capa.capa_analyse(%L, 'x', '5whys', 'e')$$, :'ra'), '55000', NULL,
                 'G5 ... once: a second capa_analyse is refused (already analysed)');
SELECT throws_ok(format($$SELECT capa.capa_analyse(%L, 'x', '5whys', 'e')$$, public.g_record('corrective', 'analysed')), '55000', NULL,
                 'G5 capa_analyse of an analysed record that was not sent back: 55000');
SELECT is(capa.capa_plan(:'ra')::text, 'planned', 'G5 capa_plan with the old, done action item');
SELECT throws_ok(format($$SELECT capa.capa_implement(%L)$$, :'ra'), '55000', NULL,
                 'G5 capa_implement without a new action completed since the verification: 55000');
SELECT capa.capa_add_action(:'ra', 'report the job''s real exit code', 'tap_g_ops', current_date + 1) AS ra_item \gset
SELECT capa.capa_complete_action(:'ra_item', 'done') IS NULL AS ignored \gset
SELECT is(capa.capa_implement(:'ra')::text, 'implemented', 'G5 ... and with one');
SELECT results_eq(format($$SELECT string_agg(changed->>'root_cause', ' | ' ORDER BY seq) FROM capa.audit
                            WHERE capa_id = %L AND step = 'analyse'$$, :'ra'),
                  $$VALUES ('cause | the job reports success on failure')$$,
                  'G5 the old analysis stays in the trail, next to the new one');
SELECT ok(capa.capa_dossier(:'ra')::text LIKE '%"root_cause": "cause"%'
          AND capa.capa_dossier(:'ra')::text LIKE '%the job reports success on failure%',
          'G5 ... and in the dossier');
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, true, 'works', reanalyse => true)$$, :'ra'), '22023', NULL,
                 'G5 reanalyse => true with an effective verification: 22023');
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, false, 'x', reanalyse => true)$$, public.g_record('improvement', 'implemented')),
                 '55000', NULL, 'G5 an improvement has no analysis to go back to: 55000');
-- segregation of duties holds on the way back too
GRANT capa_verifier TO tap_g_owner;
SELECT is(public.g_try('tap_g_owner', format($$SELECT capa.capa_verify(%L, false, 'x', reanalyse => true)$$,
                                              public.g_record('preventive', 'implemented'))),
          '42501', 'G5 the owner may not find their own fix ineffective either: 42501');
REVOKE capa_verifier FROM tap_g_owner;
SELECT is(capa.capa_verify(public.g_record('preventive', 'implemented'), false, 'x')::text, 'planned',
          'G5 capa_verify in its three-argument form still sends an ineffective record back to planned');

-- capa_reanalyse: planned -> analysed, with a reason, by the owner or capa_admin
SELECT is(public.g_try(w.role, format($$SELECT capa.capa_reanalyse(%L, 'the plan rests on a wrong cause')$$,
                                      public.g_record('corrective', 'planned', CASE WHEN w.role <> '' THEN w.owner END))),
          w.expect, format('G5 capa_reanalyse by %s on a planned record of %s: %s', w.role, w.owner, w.expect))
  FROM (VALUES ('tap_g_reader', 'tap_g_owner', '42501'), ('tap_g_other', 'tap_g_owner', '42501'),
               ('tap_g_ops', 'tap_g_owner', '42501'), ('tap_g_owner', 'tap_g_owner', 'ok'),
               ('tap_g_member', 'tap_g_team', 'ok'), ('tap_g_verifier', 'tap_g_owner', '42501'),
               ('tap_g_admin', 'tap_g_owner', 'ok')) w(role, owner, expect)
 ORDER BY w.role;
SELECT public.g_record('preventive', 'planned') AS rp \gset
SELECT throws_ok(format($$SELECT capa.capa_reanalyse(%L, NULL)$$, :'rp'), '22023', NULL, 'G5 capa_reanalyse without a reason: 22023');
SELECT throws_ok(format($$SELECT capa.capa_reanalyse(%L, E'\u2060')$$, :'rp'), '22023', NULL, 'G5 capa_reanalyse with a blank reason: 22023');
SELECT throws_ok('SELECT capa.capa_reanalyse(NULL, ''r'')', '22004', NULL, 'G5 capa_reanalyse(NULL): 22004');
SELECT throws_ok(format($$SELECT capa.capa_reanalyse(%L, 'r')$$, public.g_record('corrective', 'implemented')), '55000', NULL,
                 'G5 capa_reanalyse of an implemented record: 55000 (its verification decides)');
SELECT throws_ok(format($$SELECT capa.capa_reanalyse(%L, 'r')$$, public.g_record('corrective', 'contained')), '55000', NULL,
                 'G5 capa_reanalyse of a contained record: 55000');
SELECT throws_ok(format($$SELECT capa.capa_reanalyse(%L, 'r')$$, public.g_record('improvement', 'planned')), '55000', NULL,
                 'G5 capa_reanalyse of an improvement: 55000');
SELECT is(capa.capa_reanalyse(:'rp', 'the risk assessment was redone')::text, 'analysed', 'G5 capa_reanalyse of a planned preventive record');
SELECT results_eq(format($$SELECT step, changed->>'reason', changed->'previous'->>'root_cause', reanalyse_count
                            FROM capa.audit a JOIN capa.register r ON r.id = a.capa_id
                           WHERE a.capa_id = %L ORDER BY a.seq DESC LIMIT 1$$, :'rp'),
                  $$VALUES ('reanalyse', 'the risk assessment was redone', 'cause', 1)$$,
                  'G5 ... audited with its reason and the analysis it cleared; counted');
-- by plain UPDATE: the same trigger, the reason from capa.reason
SELECT public.g_record('corrective', 'planned') AS ru \gset
SELECT throws_ok(format($$UPDATE capa.register SET state = 'analysed' WHERE id = %L$$, :'ru'), '22023', NULL,
                 'G5 UPDATE planned -> analysed without capa.reason: 22023');
SELECT lives_ok(format($$SET LOCAL capa.reason = 'wrong cause'; UPDATE capa.register SET state = 'analysed' WHERE id = %L$$, :'ru'),
                'G5 ... with capa.reason');
SELECT lives_ok(format($$UPDATE capa.register SET root_cause = 'r2', rca_method = '5whys', extent_of_condition = 'e2',
                                  action_required = true WHERE id = %L$$, :'ru'),
                'G5 an UPDATE that writes the new analysis is the analyse step');
SELECT results_eq(format($$SELECT step, from_state::text, to_state::text FROM capa.audit WHERE capa_id = %L ORDER BY seq DESC LIMIT 1$$, :'ru'),
                  $$VALUES ('analyse', 'analysed', 'analysed')$$, 'G5 ... audited as analyse');
RESET capa.reason;
SELECT ok((SELECT records_reanalysed >= 3 AND reanalyses >= 3 FROM capa.kpi_change_summary),
          'G5 kpi_change_summary counts the re-analyses');

-- ===================================================================
-- G6. extent of condition in two parts (issue 14, item 4)
-- ===================================================================
SELECT public.g_record('corrective', 'analysed') AS ex \gset
SELECT results_eq(format($$SELECT status, detail LIKE '%%capa_extent_found%%' FROM capa.capa_conformance(%L) WHERE item = 'b'$$, :'ex'),
                  $$VALUES ('not_yet', true)$$,
                  'G6 conformance b: what will be checked is recorded, what was found is awaited');
SELECT throws_ok(format($$SELECT capa.capa_extent_found(%L, NULL)$$, :'ex'), '23502', NULL, 'G6 capa_extent_found(NULL): 23502');
SELECT throws_ok(format($$SELECT capa.capa_extent_found(%L, E' \u200B')$$, :'ex'), '22023', NULL, 'G6 capa_extent_found with a blank text: 22023');
SELECT throws_ok(format($$SELECT capa.capa_extent_found(%L, 'x')$$, public.g_record('corrective', 'contained')), '55000', NULL,
                 'G6 capa_extent_found before the analysis: 55000');
SELECT throws_ok(format($$SELECT capa.capa_extent_found(%L, 'x')$$, public.g_record('corrective', 'verified')), '55000', NULL,
                 'G6 capa_extent_found after the verification: 55000');
SELECT throws_ok(format($$SELECT capa.capa_extent_found(%L, 'x')$$, public.g_record('improvement', 'planned')), '55000', NULL,
                 'G6 capa_extent_found of an improvement: 55000');
SELECT throws_ok(format($$INSERT INTO capa.register (title, description, severity, source, extent_found) VALUES ('t', 'd', 'minor', 'other', 'x')$$),
                 '55000', NULL, 'G6 a new record has no extent found: 55000');
SELECT is(public.g_try(w.role, format($$SELECT capa.capa_extent_found(%L, 'two other jobs failed once')$$,
                                      public.g_record('corrective', 'planned', CASE WHEN w.role <> '' THEN w.owner END))),
          w.expect, format('G6 capa_extent_found by %s on a planned record of %s: %s', w.role, w.owner, w.expect))
  FROM (VALUES ('tap_g_reader', 'tap_g_owner', '42501'), ('tap_g_other', 'tap_g_owner', '42501'),
               ('tap_g_owner', 'tap_g_owner', 'ok'), ('tap_g_verifier', 'tap_g_owner', '42501'),
               ('tap_g_admin', 'tap_g_owner', 'ok')) w(role, owner, expect)
 ORDER BY w.role;
SELECT is(public.g_try('tap_g_owner', format($$SELECT capa.capa_extent_found(%L, 'two other jobs failed once in 90 days')$$, :'ex')),
          'ok', 'G6 the owner records what the check found');
SELECT results_eq(format($$SELECT status, evidence LIKE '%%found: two other jobs%%' FROM capa.capa_conformance(%L) WHERE item = 'b'$$, :'ex'),
                  $$VALUES ('met', true)$$, 'G6 conformance b: met with both parts');
SELECT results_eq(format($$SELECT step, changed->>'extent_found', changed->'previous' ? 'extent_found', changed ? 'reason'
                            FROM capa.audit WHERE capa_id = %L ORDER BY seq DESC LIMIT 1$$, :'ex'),
                  $$VALUES ('extent_found', 'two other jobs failed once in 90 days', true, false)$$,
                  'G6 audited as extent_found with the value it replaced (no reason needed: the finding is its account)');
-- a plain UPDATE is the same change; a corrective record verified without it is not_met
SELECT public.g_record('corrective', 'implemented') AS ex2 \gset
SELECT lives_ok(format($$UPDATE capa.register SET extent_found = 'none elsewhere' WHERE id = %L$$, :'ex2'),
                'G6 UPDATE of extent_found (no reason needed)');
SELECT public.g_record('corrective', 'verified') AS exc, public.g_record('preventive', 'verified') AS exp \gset
SELECT is((SELECT status FROM capa.capa_conformance(:'exc') WHERE item = 'b'), 'not_met',
          'G6 conformance b of a corrective record verified without what the check found: not_met');
SELECT is((SELECT status FROM capa.capa_conformance(:'exp') WHERE item = 'b'), 'met',
          'G6 ... a preventive record needs no extent check');
-- a re-analysis clears what was found with the analysis that asked for it
SELECT capa.capa_verify(:'ex2', false, 'x', reanalyse => true) IS NULL AS ignored \gset
SELECT is((SELECT extent_found FROM capa.register WHERE id = :'ex2'), NULL, 'G6 a re-analysis clears extent_found with the analysis');

-- ===================================================================
-- G7. effectiveness window (issue 14, item 5)
-- ===================================================================
SELECT throws_ok($$INSERT INTO capa.severity_policy (severity, contain_within, close_within, effectiveness_within, effectiveness_after)
                   VALUES ('major', '7 days', '60 days', '60 days', '61 days')$$, '23514', NULL,
                 'G7 a window longer than the effectiveness period: 23514 (no due date before the window ends)');
SELECT is(public.g_try('tap_g_admin', $$INSERT INTO capa.severity_policy (severity, contain_within, close_within, effectiveness_within, effectiveness_after)
                                        VALUES ('major', '7 days', '60 days', '60 days', '30 days')$$),
          'ok', 'G7 capa_admin sets a 30-day window for major records');
SELECT public.g_record('corrective', 'implemented') AS win \gset
SELECT results_eq(format($$SELECT effectiveness_from - implemented_at, effectiveness_due >= effectiveness_from FROM capa.register WHERE id = %L$$, :'win'),
                  $$VALUES ('30 days'::interval, true)$$, 'G7 implementing starts the window: effectiveness_from = implemented_at + 30 days');
SELECT throws_like(format($$SELECT capa.capa_verify(%L, true, 'works')$$, :'win'),
                   '%cannot be verified before%', 'G7 capa_verify(effective) inside the window is refused');
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, true, 'works')$$, :'win'), '55000', NULL, 'G7 ... with 55000');
CREATE FUNCTION pg_temp.g_hint(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
    EXECUTE stmt;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN h;
END $$;
SELECT ok(pg_temp.g_hint(format($$SELECT capa.capa_verify(%L, true, 'works')$$, :'win'))
          LIKE '%' || (SELECT effectiveness_from::text FROM capa.register WHERE id = :'win') || '%capa_waive_window%',
          'G7 ... the hint names the date and the waiver');
SELECT throws_ok(format($$SELECT capa.capa_reschedule(%L, 'effectiveness', now() + interval '10 days', 'sooner')$$, :'win'), '22023', NULL,
                 'G7 the effectiveness check cannot be rescheduled to before the window ends: 22023');
SELECT throws_ok(format($$SELECT capa.capa_waive_window(%L, NULL)$$, :'win'), '22023', NULL, 'G7 capa_waive_window without a reason: 22023');
SELECT is(public.g_try(w.role, format($$SELECT capa.capa_waive_window(%L, 'restore test proves it')$$, :'win')), '42501',
          format('G7 capa_waive_window by %s: 42501', w.role))
  FROM (VALUES ('tap_g_reader'), ('tap_g_owner'), ('tap_g_verifier')) w(role) ORDER BY w.role;
GRANT EXECUTE ON FUNCTION capa.capa_waive_window(capa.capa_ref, text) TO tap_g_owner;
SELECT is(public.g_try('tap_g_owner', format($$SELECT capa.capa_waive_window(%L, 'restore test proves it')$$, :'win')), '42501',
          'G7 ... also by the owner granted EXECUTE: 42501 (capa_admin only, judged by the trigger)');
REVOKE EXECUTE ON FUNCTION capa.capa_waive_window(capa.capa_ref, text) FROM tap_g_owner;
SELECT is(public.g_try('tap_g_verifier', format($$SELECT capa.capa_verify(%L, false, 'failed again on night 3')$$,
                                                 public.g_record('corrective', 'implemented'))),
          'ok', 'G7 an ineffective finding may come inside the window');
SELECT is(public.g_try('tap_g_admin', format($$SELECT capa.capa_waive_window(%L, 'the restore test already proves it')$$, :'win')),
          'ok', 'G7 capa_admin waives the window for this record');
SELECT results_eq(format($$SELECT step, changed->>'reason', changed->'previous' ? 'effectiveness_from' FROM capa.audit
                            WHERE capa_id = %L ORDER BY seq DESC LIMIT 1$$, :'win'),
                  $$VALUES ('waive_window', 'the restore test already proves it', true)$$, 'G7 ... audited with its reason');
SELECT is(public.g_try('tap_g_verifier', format($$SELECT capa.capa_verify(%L, true, 'restore test passed')$$, :'win')),
          'ok', 'G7 ... and the record is verified');
SELECT throws_ok(format($$SELECT capa.capa_waive_window(%L, 'r')$$, public.g_record('corrective', 'planned')), '55000', NULL,
                 'G7 capa_waive_window of a planned record: 55000');
SELECT public.g_record('corrective', 'implemented') AS win2 \gset
SELECT throws_ok(format($$SET LOCAL capa.reason = 'r'; UPDATE capa.register SET effectiveness_from = effectiveness_from + interval '1 day' WHERE id = %L$$, :'win2'),
                 '22023', NULL, 'G7 an UPDATE that lengthens the window: 22023');
SELECT throws_ok(format($$SET LOCAL capa.reason = 'r'; UPDATE capa.register SET effectiveness_from = NULL WHERE id = %L$$, :'win2'),
                 '23502', NULL, 'G7 an UPDATE that removes the window: 23502');
SELECT throws_ok($$INSERT INTO capa.register (title, description, severity, source, effectiveness_from) VALUES ('t', 'd', 'minor', 'other', now())$$,
                 '428C9', NULL, 'G7 effectiveness_from of a new record is capa''s: 428C9');
INSERT INTO capa.severity_policy (severity, contain_within, close_within, effectiveness_within)
VALUES ('major', '7 days', '60 days', '60 days');
SELECT public.g_record('corrective', 'implemented') AS win3 \gset
SELECT is((SELECT effectiveness_from FROM capa.register WHERE id = :'win3'), NULL, 'G7 a policy without a window gives none');
SELECT throws_ok(format($$SELECT capa.capa_waive_window(%L, 'r')$$, :'win3'), '55000', NULL, 'G7 ... and nothing to waive: 55000');

-- ===================================================================
-- G8. segregation of duties bound to people, not spellings (issue 14, item 2, part)
-- ===================================================================
CREATE ROLE tap_g_ia;                    -- an auditor who also edits
CREATE ROLE tap_g_ia2;                   -- a colleague who verifies
GRANT capa_editor, capa_verifier TO tap_g_ia;
GRANT capa_verifier TO tap_g_ia2;
-- an implemented record the superuser walked, with the given owners
CREATE FUNCTION public.g_impl(owner text, item_owner text) RETURNS capa.capa_ref LANGUAGE plpgsql AS $$
DECLARE
    r capa.capa_ref;
    a bigint;
BEGIN
    r := capa.capa_open('SoD', 'd', 'minor', 'other', owner => owner);
    PERFORM capa.capa_contain(r, 'c', 'c');
    PERFORM capa.capa_analyse(r, 'cause', '5whys', 'e');
    a := capa.capa_add_action(r, 'fix', item_owner, current_date + 1);
    PERFORM capa.capa_plan(r);
    PERFORM capa.capa_complete_action(a, 'done');
    PERFORM capa.capa_implement(r);
    RETURN r;
END $$;
SELECT is(public.g_try('tap_g_ia', format($$SELECT capa.capa_verify(%L, true, 'fine')$$, public.g_impl('TAP_G_IA', 'tap_g_ops'))),
          '42501', 'G8 the owner spelled in capitals may not verify (0.2.0: verified)');
SELECT is(public.g_try('tap_g_ia', format($$SELECT capa.capa_verify(%L, true, 'fine')$$, public.g_impl('tap_g_ops', 'tap_g_ia '))),
          '42501', 'G8 the owner of an action item spelled with a trailing space may not verify (0.2.0: verified)');
SELECT is(public.g_try('tap_g_ia', format($$SELECT capa.capa_verify(%L, true, 'fine')$$, public.g_impl(E'\u00A0tap_g_ia\u200B', 'tap_g_ops'))),
          '42501', 'G8 ... nor with Unicode blanks around the name');
SELECT is(public.g_try('tap_g_ia2', format($$SET LOCAL capa.app_user = 'IA.Lead@Example.com '; SELECT capa.capa_verify(%L, true, 'fine')$$,
                                             public.g_impl('ia.lead@example.com', 'tap_g_ops'))),
          '42501', 'G8 an application identity is compared without case and blanks at either end');
SELECT is(public.g_try('tap_g_ia2', format($$SELECT capa.capa_verify(%L, true, 'fine')$$, public.g_impl('TAP_G_IA', 'tap_g_ops'))),
          'ok', 'G8 ... and someone else verifies it');
-- who completed another person's action item and implemented the record
SELECT capa.capa_open('SoD work', 'd', 'minor', 'other', owner => 'tap_g_owner') AS w \gset
SELECT capa.capa_contain(:'w', 'c', 'c') IS NULL AS ignored \gset
SELECT capa.capa_analyse(:'w', 'cause', '5whys', 'e') IS NULL AS ignored \gset
SELECT capa.capa_add_action(:'w', 'fix', 'tap_g_ops', current_date + 1) AS w_item \gset
SELECT capa.capa_plan(:'w') IS NULL AS ignored \gset
GRANT capa_admin TO tap_g_ia;            -- so that it may act on any record
SELECT is(public.g_try('tap_g_ia', format($$SELECT capa.capa_complete_action(%s, 'did it for ops')$$, :w_item)), 'ok',
          'G8 an admin-editor completes another person''s action item');
SELECT is(public.g_try('tap_g_ia', format($$SELECT capa.capa_implement(%L)$$, :'w')), 'ok', 'G8 ... and implements the record');
SELECT throws_ok(format($$SET LOCAL ROLE tap_g_ia; SELECT capa.capa_verify(%L, true, 'fine')$$, :'w'), '42501',
                 'segregation of duties: "tap_g_ia" may not verify record ' || :'w',
                 'G8 ... and may not verify it (0.2.0: verified)');
REVOKE capa_admin FROM tap_g_ia;
SELECT ok(pg_temp.g_hint(format($$SET LOCAL ROLE tap_g_ia; SELECT capa.capa_verify(%L, true, 'fine')$$, :'w')) IS NOT NULL,
          'G8 the refusal has its hint');
SELECT is(public.g_try('tap_g_ia2', format($$SELECT capa.capa_verify(%L, true, 'fine')$$, :'w')), 'ok',
          'G8 a colleague who did none of the work verifies');
SELECT ok((SELECT detail FROM capa.capa_conformance(:'w') WHERE item = 'd')
          LIKE '%compared: tap_g_ia2 (login %) with the owner tap_g_owner, the action items'' owners tap_g_ops, who completed them tap_g_ia, who implemented it tap_g_ia',
          'G8 conformance d names the identities compared');
-- owners bound to identities, when the policy says so
SELECT capa.capa_open('Free text', 'd', 'minor', 'other', owner => 'nobody_at_all') AS freetext \gset
SELECT ok(:'freetext' IS NOT NULL, 'G8 with free_text_owners = true (test/policy_0_2.sql) an owner is free text, as before 0.3.0');
INSERT INTO capa.policy (segregation_of_duties, free_text_owners) VALUES (true, false);
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'minor', 'other', owner => 'nobody_at_all')$$, '42704', NULL,
                 'G8 free_text_owners = false: an owner that names no role and no application identity: 42704');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'minor', 'other', owner => 'alice @example.com')$$, '42704', NULL,
                 'G8 ... an application identity with a blank inside: 42704');
SELECT lives_ok($$SELECT capa.capa_open('t', 'd', 'minor', 'other', owner => 'tap_g_owner')$$, 'G8 ... a role is an owner');
SELECT lives_ok($$SELECT capa.capa_open('t', 'd', 'minor', 'other', owner => 'Alice@Example.com')$$, 'G8 ... an application identity is an owner');
SELECT throws_ok(format($$SELECT capa.capa_add_action(%L, 'x', 'ops', current_date)$$, :'freetext'), '42704', NULL,
                 'G8 ... an action item owner that names nobody: 42704');
SELECT throws_ok(format($$SELECT capa.capa_reassign(%L, 'TAP_G_OWNER', 'r')$$, :'freetext'), '42704', NULL,
                 'G8 ... a role name in another case is no role: 42704');
SELECT is(capa.capa_contain(:'freetext', 'c', 'c')::text, 'contained',
          'G8 ... a record with a free-text owner written before keeps working');
INSERT INTO capa.policy (segregation_of_duties, free_text_owners) VALUES (false, NULL);
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'minor', 'other', owner => 'nobody_at_all')$$, '42704', NULL,
                 'G8 ... a later policy row that leaves free_text_owners NULL keeps the rule before it');
INSERT INTO capa.policy (segregation_of_duties, free_text_owners) VALUES (true, true);

-- a superuser may take every step itself (out of scope: it could turn the check off)
SELECT is(capa.capa_verify(public.g_impl('tap_g_owner', 'tap_g_ops'), true, 'fine')::text, 'verified',
          'G8 the superuser who implemented may verify (superusers are out of scope)');

-- ===================================================================
-- G10. owners bound to their roles, and 0.3.0's built-in policy (issue 14, items 2 and 5)
-- ===================================================================
-- the built-in policy: owners name someone, and every severity has a
-- window with an on-time path (implement, wait the window, verify, close)
SELECT is((SELECT free_text_owners FROM capa.policy WHERE builtin), false,
          'G10 the built-in policy refuses free-text owners');
SELECT results_eq($$SELECT severity::text, contain_within, close_within, effectiveness_within, effectiveness_after
                      FROM capa.severity_policy WHERE builtin ORDER BY severity$$,
                  $$VALUES ('critical', '1 day'::interval, '45 days'::interval, '30 days'::interval, '14 days'::interval),
                           ('major', '7 days', '90 days', '60 days', '30 days'),
                           ('minor', '30 days', '120 days', '90 days', '30 days'),
                           ('observation', NULL, '180 days', '90 days', '30 days')$$,
                  'G10 the built-in severity policy: a window per severity (docs/reference.md, Versioned policy)');
SELECT is((SELECT count(*)::int FROM capa.severity_policy WHERE builtin
            AND effectiveness_after <= effectiveness_within AND effectiveness_after < close_within
            AND (contain_within IS NULL OR contain_within < close_within OPERATOR(pg_catalog.-) effectiveness_after)), 4,
          'G10 ... no due date falls before its window ends, and each leaves time to implement');
CREATE FUNCTION pg_temp.g_message(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLERRM;
END $$;
-- the built-in rules in force (as a database of its own would have them)
INSERT INTO capa.policy (segregation_of_duties, free_text_owners) VALUES (true, false);
INSERT INTO capa.severity_policy (severity, contain_within, close_within, effectiveness_within, effectiveness_after)
SELECT severity, contain_within, close_within, effectiveness_within, effectiveness_after FROM capa.severity_policy WHERE builtin ORDER BY id;
SELECT public.g_record('corrective', 'implemented') AS dflt \gset
SELECT is(public.g_try('tap_g_verifier', format($$SELECT capa.capa_verify(%L, true, 'works')$$, :'dflt')), '55000',
          'G10 under the built-in policy a major record is not verified effective on the day it is implemented');
SELECT ok((SELECT effectiveness_from <= close_due AND effectiveness_from < effectiveness_due FROM capa.register WHERE id = :'dflt'),
          'G10 ... and its window ends before its close and effectiveness due dates');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'minor', 'other', owner => 'nobody_at_all')$$, '42704', NULL,
                 'G10 ... an owner that names nobody: 42704');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'minor', 'other', owner => 'IA_Auditor')$$, '42704', NULL,
                 'G10 ... nor a role spelled another way (the walk-around of issue 14): 42704');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'minor', 'other', owner => 'tap_g_ia ')$$, '42704', NULL,
                 'G10 ... nor with a trailing space: 42704');
SELECT is(pg_temp.g_message($$SELECT capa.capa_open('t', 'd', 'minor', 'other', owner => repeat('é', 100000))$$),
          'a capa record''s owner "' || repeat('é', 32) || '..." names no role and no application identity',
          'G10 ... a 200 kB owner: its message shows the first 64 bytes');
\ir ../policy_0_2.sql

-- the binding: a role owner keeps its OID, an application identity none
SELECT public.g_record('corrective', 'open', 'tap_g_owner') AS b1 \gset
SELECT is((SELECT owner_role FROM capa.register WHERE id = :'b1'), 'tap_g_owner'::regrole::oid,
          'G10 an owner that names a role is bound to its OID');
SELECT public.g_item(public.g_record('corrective', 'planned')) AS b_item \gset
SELECT is((SELECT owner_role FROM capa.action WHERE id = :b_item),
          'tap_g_ops'::regrole::oid, 'G10 ... an action item''s too');
SELECT is((SELECT owner_role FROM capa.register WHERE id = capa.capa_open('t', 'd', 'minor', 'other', owner => 'ann@example.com')),
          NULL, 'G10 ... an application identity is not bound');
SELECT throws_ok($$INSERT INTO capa.register (title, description, severity, source, owner, owner_role)
                   VALUES ('t', 'd', 'minor', 'other', 'tap_g_owner', 10)$$, '428C9', NULL,
                 'G10 owner_role is capa''s: an INSERT that writes it: 428C9');
SELECT throws_ok(format($$SET LOCAL capa.reason = 'r'; UPDATE capa.register SET owner_role = 10 WHERE id = %L$$, :'b1'), '428C9', NULL,
                 'G10 ... an UPDATE: 428C9');
SELECT throws_ok(format($$SET LOCAL capa.reason = 'r'; UPDATE capa.action SET owner_role = 10 WHERE id = %s$$,
                        :b_item), '428C9', NULL,
                 'G10 ... of an action item: 428C9');
SELECT lives_ok(format($$SELECT capa.capa_reassign(%L, 'tap_g_other', 'owner left')$$, :'b1'), 'G10 capa_reassign');
SELECT is((SELECT owner_role FROM capa.register WHERE id = :'b1'), 'tap_g_other'::regrole::oid, 'G10 ... binds the new owner');
SELECT is((SELECT count(*)::int FROM capa.audit WHERE changed ? 'owner_role' OR changed->'previous' ? 'owner_role'), 0,
          'G10 the binding is not in the trail (it follows owner, which is)');

-- a renamed role: still the owner, still not its own verifier
CREATE ROLE tap_g_ren;
GRANT capa_editor, capa_verifier TO tap_g_ren;
SELECT public.g_impl('tap_g_ren', 'tap_g_ops') AS ren \gset
SELECT public.g_record('corrective', 'open', 'tap_g_ren') AS ren_open \gset
ALTER ROLE tap_g_ren RENAME TO tap_g_ren_new;
SELECT is(public.g_try('tap_g_ren_new', format($$SELECT capa.capa_verify(%L, true, 'fine')$$, :'ren')), '42501',
          'G10 a renamed owner may not verify its record (0.3.0 before the binding: verified)');
SELECT ok(pg_temp.g_hint(format($$SET LOCAL ROLE tap_g_ren_new; SELECT capa.capa_verify(%L, true, 'fine')$$, :'ren')) IS NOT NULL,
          'G10 ... refused with its hint');
CREATE FUNCTION pg_temp.g_detail(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
    EXECUTE stmt;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN d;
END $$;
SELECT is(pg_temp.g_detail(format($$SET LOCAL ROLE tap_g_ren_new; SELECT capa.capa_verify(%L, true, 'fine')$$, :'ren')),
          '"tap_g_ren_new" owns the record (written "tap_g_ren": the same role, renamed since; an owner is bound to its role).',
          'G10 ... and the detail says why');
SELECT is(public.g_try('tap_g_ren_new', format($$SELECT capa.capa_reschedule(%L, 'close', now() + interval '80 days', 'more time')$$, :'ren_open')),
          'ok', 'G10 ... and still acts for its record as its owner');
SELECT is(public.g_try('tap_g_verifier', format($$SELECT capa.capa_verify(%L, true, 'fine')$$, :'ren')), 'ok',
          'G10 ... which someone else verifies');

-- a dropped role: a new role of the same name is not its successor
CREATE ROLE tap_g_gone;
SELECT public.g_impl('tap_g_gone', 'tap_g_ops') AS gone \gset
SELECT public.g_record('corrective', 'open', 'tap_g_gone') AS gone_open \gset
DROP ROLE tap_g_gone;
CREATE ROLE tap_g_gone;
GRANT capa_editor, capa_verifier TO tap_g_gone;
SELECT is(public.g_try('tap_g_gone', format($$SELECT capa.capa_reschedule(%L, 'close', now() + interval '80 days', 'mine now')$$, :'gone_open')),
          '42501', 'G10 a new role named as a dropped owner does not act for its records (0.3.0 before the binding: it did)');
SELECT is(public.g_try('tap_g_gone', format($$SELECT capa.capa_verify(%L, true, 'fine')$$, :'gone')), '42501',
          'G10 ... and may not verify them either (the name still counts)');
SELECT is(public.g_try('tap_g_admin', format($$SELECT capa.capa_reassign(%L, 'tap_g_gone', 'the new colleague takes it over')$$, :'gone_open')),
          'ok', 'G10 ... capa_admin reassigns the record to the new role: the same name, bound anew');
SELECT results_eq(format($$SELECT step, changed->>'reason' FROM capa.audit WHERE capa_id = %L ORDER BY seq DESC LIMIT 1$$, :'gone_open'),
                  $$VALUES ('reassign', 'the new colleague takes it over')$$, 'G10 ... a reassign step of the trail, with its reason');
SELECT throws_ok(format($$SELECT capa.capa_reassign(%L, 'tap_g_gone', 'again')$$, :'gone_open'), '55000', NULL,
                 'G10 ... once bound, the same reassignment changes nothing: 55000');
SELECT is(public.g_try('tap_g_gone', format($$SELECT capa.capa_reschedule(%L, 'close', now() + interval '80 days', 'mine now')$$, :'gone_open')),
          'ok', 'G10 ... which then acts for it');

-- ===================================================================
-- G11. walk-arounds a hostile role holder tried (issue 14's black-box attack)
-- ===================================================================
-- a step's UPDATE carries no governed change (by a role a DBA granted
-- UPDATE to; id compared as text: capa's = is for capa's roles)
GRANT capa_editor TO tap_g_dba_user;
SELECT public.g_record('corrective', 'open') AS st \gset
SELECT is(public.g_try('tap_g_dba_user', format($$UPDATE capa.register SET state = 'contained', containment = 'c', consequences = 'c',
                                                   owner = 'tap_g_dba_user' WHERE id::text = %L$$, :'st')), '55000',
          'G11 a step (contain) that also reassigns: 55000 (before: accepted, no reason, no owner check)');
SELECT is(public.g_try('tap_g_dba_user', format($$UPDATE capa.register SET state = 'contained', containment = 'c', consequences = 'c',
                                                   close_due = now() + interval '5 years' WHERE id::text = %L$$, :'st')), '55000',
          'G11 ... that also moves a due date: 55000');
SELECT is(public.g_try('tap_g_dba_user', format($$UPDATE capa.register SET state = 'contained', containment = 'c', consequences = 'c',
                                                   title = 'mine now' WHERE id::text = %L$$, :'st')), '55000',
          'G11 ... that also changes the title: 55000');
SELECT public.g_record('corrective', 'planned') AS st2 \gset
SELECT is(public.g_try('tap_g_dba_user', format($$UPDATE capa.register SET state = 'implemented', severity = 'critical' WHERE id::text = %L$$, :'st2')),
          '55000', 'G11 ... implement that also changes the severity (the window follows it): 55000');
SELECT is((SELECT state::text || ' ' || owner || ' ' || severity::text FROM capa.register WHERE id = :'st2'), 'planned tap_g_owner major',
          'G11 ... and the record is unchanged');
SELECT is(public.g_try('tap_g_dba_user', format($$UPDATE capa.register SET state = 'contained', containment = 'c', consequences = 'c' WHERE id::text = %L$$, :'st')),
          'ok', 'G11 ... the step alone is taken');
REVOKE capa_editor FROM tap_g_dba_user;

-- work done under SET ROLE is still the login's
CREATE ROLE tap_g_sr;
GRANT capa_editor, capa_verifier TO tap_g_sr;
SELECT public.g_record('corrective', 'planned') AS sr \gset
SET SESSION AUTHORIZATION tap_g_sr;
SET ROLE capa_editor;
SELECT capa.capa_complete_action(public.g_item(:'sr'), 'I did it') IS NULL AS ignored \gset
SELECT capa.capa_implement(:'sr') IS NOT NULL AS ignored \gset
RESET ROLE;
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, true, 'verified my own work')$$, :'sr'), '42501', NULL,
                 'G11 who completed and implemented under SET ROLE capa_editor may not verify as itself (before: verified)');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT implemented_by::text FROM capa.register WHERE id = :'sr'), 'capa_editor', 'G11 ... (the stamp names the role set)');

-- a member of the owning group is the owner
GRANT capa_verifier TO tap_g_member;
SELECT public.g_impl('tap_g_team', 'tap_g_ops') AS grp \gset
SELECT is(public.g_try('tap_g_member', format($$SELECT capa.capa_verify(%L, true, 'looks good')$$, :'grp')), '42501',
          'G11 a member of the owning group role may not verify (before: verified)');
SELECT ok(pg_temp.g_detail(format($$SET LOCAL ROLE tap_g_member; SELECT capa.capa_verify(%L, true, 'looks good')$$, :'grp'))
          LIKE '%a role "tap_g_member" is a member of%', 'G11 ... the detail says why');
-- ... also through a NOINHERIT grant (SET ROLE reaches the owner)
CREATE ROLE tap_g_mid NOINHERIT;
GRANT tap_g_team TO tap_g_mid;
CREATE ROLE tap_g_noinh;
GRANT capa_verifier, tap_g_mid TO tap_g_noinh;
SELECT public.g_impl('tap_g_team', 'tap_g_ops') AS grp2 \gset
SELECT ok(NOT pg_has_role('tap_g_noinh', 'tap_g_team', 'USAGE') AND pg_has_role('tap_g_noinh', 'tap_g_team', 'MEMBER'),
          'G11 ... (a member through a NOINHERIT grant: no privileges of the group, but SET ROLE reaches it)');
SELECT is(public.g_try('tap_g_noinh', format($$SELECT capa.capa_verify(%L, true, 'looks good')$$, :'grp2')), '42501',
          'G11 ... such a member may not verify either (before: verified)');
SELECT is(public.g_try('tap_g_verifier', format($$SELECT capa.capa_verify(%L, true, 'looks good')$$, :'grp')), 'ok',
          'G11 ... someone outside the group verifies');

-- an owner who reassigns just before verifying
SELECT public.g_impl('tap_g_ia', 'tap_g_ops') AS hand \gset
SELECT is(public.g_try('tap_g_ia', format($$SELECT capa.capa_reassign(%L, 'tap_g_other', 'handing over')$$, :'hand')), 'ok',
          'G11 the owner hands the record over');
SELECT is(public.g_try('tap_g_ia', format($$SELECT capa.capa_verify(%L, true, 'looks good')$$, :'hand')), '42501',
          'G11 ... and may not verify it then (before: verified)');
SELECT ok(pg_temp.g_detail(format($$SET LOCAL ROLE tap_g_ia; SELECT capa.capa_verify(%L, true, 'looks good')$$, :'hand'))
          LIKE '%owned the record or one of its action items (its trail says so)%', 'G11 ... the detail says why');
-- an item's owner who hands the item over before it is completed
SELECT public.g_record('corrective', 'planned', 'tap_g_owner') AS ih \gset
SELECT capa.capa_reassign_action(public.g_item(:'ih'), 'tap_g_ia', 'ia takes it') IS NULL AS ignored \gset
SELECT capa.capa_reassign_action(public.g_item(:'ih'), 'tap_g_ops', 'back to ops') IS NULL AS ignored \gset
SELECT capa.capa_complete_action(public.g_item(:'ih'), 'done') IS NULL AS ignored \gset
SELECT capa.capa_implement(:'ih') IS NOT NULL AS ignored \gset
SELECT is(public.g_try('tap_g_ia', format($$SELECT capa.capa_verify(%L, true, 'looks good')$$, :'ih')), '42501',
          'G11 a former owner of an action item may not verify (before: verified)');

-- ===================================================================
-- G9. the lifecycle facts for SQL (issue 14, item 6, in part)
-- ===================================================================
SELECT results_eq($$SELECT kind, count(*)::int FROM capa.lifecycle GROUP BY kind ORDER BY kind$$,
                  $$VALUES ('corrective', 17), ('improvement', 9), ('preventive', 14)$$,
                  'G9 capa.lifecycle: every step of every kind (the paths of 10_paths, and the analysis taken again)');
SELECT results_eq($$SELECT step, requires, conditions, roles, needs_reason FROM capa.lifecycle
                     WHERE kind = 'corrective' AND from_state = 'planned' AND to_state IN ('analysed', 'cancelled') ORDER BY to_state$$,
                  $$VALUES ('reanalyse', '{}'::text[], '{}'::text[], '{owner,capa_admin}'::text[], true),
                           ('cancel', '{cancel_reason}'::text[], '{}'::text[], '{capa_admin}'::text[], false)$$,
                  'G9 ... with what each step requires, checks and who may take it');
SELECT is((SELECT conditions FROM capa.lifecycle WHERE kind = 'preventive' AND from_state = 'implemented' AND to_state = 'verified'),
          '{segregation,window}'::text[], 'G9 ... the effective verification checks segregation and the window');
SELECT results_eq($$SELECT change, states, roles, needs_reason FROM capa.capa_changes() ORDER BY change$$,
                  $$VALUES ('amend', '{open,contained,analysed,planned,implemented,verified}'::text[], '{owner,capa_admin}'::text[], true),
                           ('cancel_action', '{open,contained,analysed,planned}', '{owner,capa_admin}', true),
                           ('edit', '{open,contained,analysed,planned,implemented,verified}', '{owner,capa_admin}', true),
                           ('edit_action', '{open,contained,analysed,planned}', '{owner,capa_admin}', true),
                           ('extent_found', '{analysed,planned,implemented}', '{owner,capa_admin}', false),
                           ('reassign', '{open,contained,analysed,planned,implemented,verified}', '{owner,capa_admin}', true),
                           ('reassign_action', '{open,contained,analysed,planned}', '{owner,capa_admin}', true),
                           ('reschedule', '{open,contained,analysed,planned,implemented,verified}', '{owner,capa_admin}', true),
                           ('reschedule_action', '{open,contained,analysed,planned}', '{owner,capa_admin}', true),
                           ('waive_window', '{implemented}', '{capa_admin}', true)$$,
                  'G9 capa_changes(): docs/reference.md''s who-may-do-what table, as the triggers enforce it');
SELECT results_eq($$SELECT s::text, capa.capa_state_ended(s), capa.capa_state_actions_open(s)
                      FROM unnest('{open,contained,analysed,planned,implemented,verified,closed,cancelled}'::capa.capa_state[]) WITH ORDINALITY u(s, n) ORDER BY n$$,
                  $$VALUES ('open', false, true), ('contained', false, true), ('analysed', false, true), ('planned', false, true),
                           ('implemented', false, false), ('verified', false, false), ('closed', true, false), ('cancelled', true, false)$$,
                  'G9 capa_state_ended and capa_state_actions_open, for every state');
SELECT is(capa.capa_state_ended(NULL), NULL, 'G9 ... NULL for NULL');

-- everything above is in the trail, and it verifies
SELECT is((SELECT count(*)::int FROM capa.capa_audit_verify()), 0, 'G4 the whole trail verifies');
SELECT ok((SELECT count(*) FROM capa.audit WHERE step IN ('reassign', 'reschedule', 'amend', 'edit', 'reassign_action',
                                                       'reschedule_action', 'cancel_action')
                                           AND NOT (changed ? 'reason' AND changed ? 'previous')) = 0,
          'G4 every governed change''s audit row has its reason and the values replaced');

SELECT * FROM finish();
ROLLBACK;
