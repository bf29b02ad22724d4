-- pgTAP: a hostile holder of capa's roles against row-level security by
-- org unit, segregation of duties and the events setting (0.3.0, [units]).
--
-- U1 (high). SET ROLE walked around segregation of duties: an owner who is
--   a member of capa_verifier was refused capa_verify, but after
--   SET ROLE capa_verifier the same session verified its own record, with
--   verified_by = capa_verifier.  Now the session's login role and the
--   capa.app_user claim are judged with the effective role.
--     SET SESSION AUTHORIZATION owner; SET ROLE capa_verifier;
--     SELECT capa.capa_verify(rec, true, 'e');        -- verified, want 42501
-- U2 (medium). Under row-level security the register trigger judged the
--   step before the org unit: another unit's record answered 55000 with its
--   state and next steps, capa_complete_action said "already done", a blank
--   evidence gave 22023, related => accepted other units' references.
--     SELECT capa.capa_contain('<south, analysed>', 'c', 'c');   -- 55000 "record ... cannot move from analysed"
--   Now every entry point answers another unit's record (or action item,
--   or audit row) exactly as one that does not exist: same SQLSTATE,
--   message, detail, hint, context and fields, compared here with the
--   reference text replaced, for each function, on a record of every kind
--   in every state it can be in.
-- U3 (medium). With row-level security on, capa_dossier and
--   capa_conformance failed with 42501 for every reader (they verified the
--   whole trail); now they verify the record's own chains.
-- U4 (low). capa.events is off | reference | full, reference by default.
-- (U5, the digest's lock, is test/specs/digest_idle.spec: capa_digest()
-- needs a transaction of its own.)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SET search_path = public, capa;
SELECT plan(817);

-- Large sequence values, so that an id or seq in a message is a string that
-- occurs nowhere else in it (the comparison replaces it)
SELECT setval('capa.action_id_seq', 700000000) IS NOT NULL AS ids_set \gset
SELECT setval('capa.audit_seq_seq', 500000000) IS NOT NULL AS seqs_set \gset

CREATE ROLE tap_u_owner;             -- owns records; also a verifier
CREATE ROLE tap_u_ops;               -- owns action items; also a verifier
CREATE ROLE tap_u_bob;               -- a verifier who owns nothing
CREATE ROLE tap_u_app;               -- owns an application's SECURITY DEFINER wrapper
CREATE ROLE tap_u_north_group;       -- granted the unit north
CREATE ROLE tap_u_north;             -- edits and verifies in the north
GRANT capa_editor, capa_verifier TO tap_u_owner, tap_u_ops;
GRANT capa_verifier TO tap_u_bob, tap_u_app;
GRANT tap_u_bob TO tap_u_owner;      -- the owner may SET ROLE to a colleague
GRANT capa_editor, capa_verifier, tap_u_north_group TO tap_u_north;
GRANT USAGE, CREATE ON SCHEMA public TO tap_u_app;

-- ===================================================================
-- U1. segregation of duties: the identities judged
-- ===================================================================

-- an improvement, implemented, owned by tap_u_owner, its action item by tap_u_ops
CREATE FUNCTION public.u_implemented(title text) RETURNS capa.capa_ref LANGUAGE plpgsql AS $$
DECLARE
    rec capa.capa_ref;
    aid bigint;
BEGIN
    rec := capa.capa_open(title, 'd', 'minor', 'other', kind => 'improvement', owner => 'tap_u_owner');
    aid := capa.capa_add_action(rec, 'a', 'tap_u_ops', current_date);
    PERFORM capa.capa_plan(rec);
    PERFORM capa.capa_complete_action(aid, 'e');
    PERFORM capa.capa_implement(rec);
    RETURN rec;
END
$$;
-- one record per attempt: on 0.2.0 the first refused attempt succeeded
SELECT public.u_implemented('U1 setrole') AS u1_1, public.u_implemented('U1 ineffective') AS u1_2,
       public.u_implemented('U1 names') AS u1_3, public.u_implemented('U1 colleague') AS u1_4,
       public.u_implemented('U1 ops') AS u1_5, public.u_implemented('U1 wrapper') AS u1_6,
       public.u_implemented('U1 claim') AS u1_7, public.u_implemented('U1 allowed') AS u1 \gset

SET SESSION AUTHORIZATION tap_u_owner;
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, true, 'e')$$, :'u1_1'), '42501', NULL,
                 'U1 the owner, a verifier, may not verify her record');
SET ROLE capa_verifier;
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, true, 'e')$$, :'u1_1'), '42501', NULL,
                 'U1 nor after SET ROLE capa_verifier: the login role owns the record (42501)');
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, false, 'e')$$, :'u1_2'), '42501', NULL,
                 'U1 nor find it ineffective after SET ROLE capa_verifier (42501)');
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, true, 'e')$$, :'u1_3'), '42501',
                 format('segregation of duties: "tap_u_owner" may not verify record %s', :'u1_3'),
                 'U1 the refusal names the login role');
RESET ROLE;
SET ROLE tap_u_bob;
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, true, 'e')$$, :'u1_4'), '42501', NULL,
                 'U1 nor by SET ROLE to another verifier who owns nothing: the session is still the owner''s');
RESET ROLE;
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION tap_u_ops;
SET ROLE capa_verifier;
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, true, 'e')$$, :'u1_5'), '42501', NULL,
                 'U1 an action item''s owner may not verify after SET ROLE capa_verifier (42501)');
RESET ROLE;
RESET SESSION AUTHORIZATION;

-- through an application's SECURITY DEFINER wrapper: its owner acts, the
-- record's owner is the login that called it
SET ROLE tap_u_app;
CREATE FUNCTION public.u_app_verify(rec capa.capa_ref) RETURNS capa.capa_state
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT capa.capa_verify(rec, true, 'verified through the application') $$;
RESET ROLE;
SET SESSION AUTHORIZATION tap_u_owner;
SELECT throws_ok(format($$SELECT public.u_app_verify(%L)$$, :'u1_6'), '42501', NULL,
                 'U1 the owner may not verify through a definer''s wrapper either: the login is judged');
RESET SESSION AUTHORIZATION;

-- the claim still counts, on its own
SET SESSION AUTHORIZATION tap_u_bob;
SET capa.app_user = 'tap_u_owner';
SELECT throws_ok(format($$SELECT capa.capa_verify(%L, true, 'e')$$, :'u1_7'), '42501', NULL,
                 'U1 the capa.app_user claim is judged too');
RESET capa.app_user;

-- someone who owns nothing may, also under SET ROLE capa_verifier; the
-- step names the role set, the trail the login: who really verified
SET ROLE capa_verifier;
SELECT is(capa.capa_verify(:'u1', true, 'e'), 'verified'::capa.capa_state,
          'U1 a login who owns nothing verifies under SET ROLE capa_verifier');
RESET ROLE;
RESET SESSION AUTHORIZATION;
SELECT is((SELECT r.verified_by::text FROM capa.register r WHERE r.id OPERATOR(capa.=) :'u1'), 'capa_verifier',
          'U1 verified_by is the acting role, as for every step');
SELECT is((SELECT a.actor::text || ' / ' || a.session_actor::text FROM capa.audit a
            WHERE a.capa_id OPERATOR(capa.=) :'u1' AND a.step = 'verify'),
          'capa_verifier / tap_u_bob', 'U1 the verification''s audit row names the login role');
SELECT is((SELECT e ->> 'session_actor' FROM jsonb_array_elements(capa.capa_dossier(:'u1') -> 'audit') e
            WHERE e ->> 'step' = 'verify'),
          'tap_u_bob', 'U1 and so does the auditor''s dossier');

-- ===================================================================
-- U2. row-level security: another unit's record is a missing one
-- ===================================================================

-- Records of every kind in every state of its path, in the unit south, as
-- a superuser (who sees every unit): owner tap_u_owner, action items of
-- tap_u_ops; each has its first action item, and those that may still
-- take action items (open to planned, and the cancelled one, cancelled
-- from open) a second one not done.
CREATE FUNCTION public.u_record(k text, target text, unit text) RETURNS capa.capa_ref
LANGUAGE plpgsql AS $$
DECLARE
    rec capa.capa_ref;
    aid bigint;
    st capa.capa_state;
BEGIN
    rec := capa.capa_open(format('%s %s', k, target), 'd', 'minor', 'other', kind => k,
                          owner => 'tap_u_owner', org_unit => unit);
    aid := capa.capa_add_action(rec, 'first', 'tap_u_ops', current_date);
    IF target = 'cancelled' THEN
        PERFORM capa.capa_add_action(rec, 'second', 'tap_u_ops', current_date);
        RETURN rec;     -- cancelled below, once its audit rows are in
    END IF;
    LOOP
        SELECT r.state INTO st FROM capa.register r WHERE r.id OPERATOR(capa.=) rec;
        EXIT WHEN st::text = target;
        CASE st::text
            WHEN 'open' THEN
                IF k = 'corrective' THEN PERFORM capa.capa_contain(rec, 'c', 'c');
                ELSIF k = 'preventive' THEN PERFORM capa.capa_analyse(rec, 'r', '5whys');
                ELSE PERFORM capa.capa_plan(rec);
                END IF;
            WHEN 'contained' THEN PERFORM capa.capa_analyse(rec, 'r', '5whys', 'e');
            WHEN 'analysed' THEN PERFORM capa.capa_plan(rec);
            WHEN 'planned' THEN
                PERFORM capa.capa_complete_action(aid, 'done');
                PERFORM capa.capa_implement(rec);
            WHEN 'implemented' THEN PERFORM capa.capa_verify(rec, true, 'works');
            WHEN 'verified' THEN PERFORM capa.capa_close(rec, 'none: nothing to change');
        END CASE;
    END LOOP;
    IF target IN ('open', 'contained', 'analysed', 'planned') THEN
        PERFORM capa.capa_add_action(rec, 'second', 'tap_u_ops', current_date);
    END IF;
    RETURN rec;
END
$$;
CREATE TABLE public.u_south (kind text, state text, ref capa.capa_ref);
INSERT INTO public.u_south
SELECT k, s, public.u_record(k, s, 'south')
  FROM (VALUES ('corrective', ARRAY['open', 'contained', 'analysed', 'planned', 'implemented', 'verified', 'closed', 'cancelled']),
               ('preventive', ARRAY['open', 'analysed', 'planned', 'implemented', 'verified', 'closed', 'cancelled']),
               ('improvement', ARRAY['open', 'planned', 'implemented', 'verified', 'closed', 'cancelled'])) p(k, states),
       unnest(p.states) s;
SELECT count(capa.capa_cancel(ref, 'withdrawn')) AS cancelled FROM public.u_south WHERE state = 'cancelled' \gset

-- a north record and a group-wide one the north may act on, a digest, and
-- a table to link to
SELECT public.u_record('corrective', 'contained', 'north') AS north \gset
SELECT public.u_record('corrective', 'contained', NULL) AS nounit \gset
CREATE TABLE public.u_probe (id int PRIMARY KEY);
INSERT INTO public.u_probe VALUES (1);
GRANT SELECT ON public.u_probe TO tap_u_north;
-- capa_cancel is capa_admin's, and capa_admin sees every unit: granted here
-- to a role of the north, so that a cancel can meet another unit at all
GRANT EXECUTE ON FUNCTION capa.capa_cancel(capa.capa_ref, text) TO tap_u_north;
-- so is capa_waive_window (0.3.0)
GRANT EXECUTE ON FUNCTION capa.capa_waive_window(capa.capa_ref, text) TO tap_u_north;

SELECT capa.capa_rls_enable();
INSERT INTO capa.org_unit_access (role_name, org_unit) VALUES ('tap_u_north_group', 'north');

SELECT is((SELECT count(*)::int FROM public.u_south s JOIN capa.register r ON r.id OPERATOR(capa.=) s.ref
            WHERE r.state::text = s.state AND r.kind = s.kind), 21,
          'U2 21 records of the south: every kind in every state of its path');
SELECT is((SELECT count(*)::int FROM capa.action a JOIN public.u_south s ON a.capa_id OPERATOR(capa.=) s.ref), 33,
          'U2 and their 33 action items, done and not done');

-- The whole answer of a statement that fails: every field of the error,
-- with the reference (or id, or seq) it was given replaced
CREATE FUNCTION public.u_answer(stmt text, ref text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    f1 text; f2 text; f3 text; f4 text; f5 text; f6 text; f7 text; f8 text; f9 text; f10 text;
BEGIN
    EXECUTE stmt;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS
        f1 = RETURNED_SQLSTATE, f2 = MESSAGE_TEXT, f3 = PG_EXCEPTION_DETAIL,
        f4 = PG_EXCEPTION_HINT, f5 = PG_EXCEPTION_CONTEXT, f6 = SCHEMA_NAME,
        f7 = TABLE_NAME, f8 = COLUMN_NAME, f9 = CONSTRAINT_NAME, f10 = PG_DATATYPE_NAME;
    RETURN replace(array_to_string(ARRAY[f1, f2, f3, f4, f5, f6, f7, f8, f9, f10], E'\n', '<null>'),
                   ref, '<ref>');
END
$$;
GRANT EXECUTE ON FUNCTION public.u_answer(text, text) TO PUBLIC;

-- every entry point that takes a record reference; %1$s is the reference
-- (quoted), %2$s the north's own contained record, %3$s a digest
CREATE TABLE public.u_call (n int, label text, stmt text);
INSERT INTO public.u_call VALUES
  (1, 'capa_contain', $$SELECT capa.capa_contain(%1$s, 'c', 'c')$$),
  (2, 'capa_analyse', $$SELECT capa.capa_analyse(%1$s, 'r', '5whys', 'e')$$),
  (3, 'capa_add_action', $$SELECT capa.capa_add_action(%1$s, 'x', 'tap_u_ops', current_date)$$),
  (4, 'capa_plan', $$SELECT capa.capa_plan(%1$s)$$),
  (5, 'capa_implement', $$SELECT capa.capa_implement(%1$s)$$),
  (6, 'capa_verify (effective)', $$SELECT capa.capa_verify(%1$s, true, 'e')$$),
  (7, 'capa_verify (not effective)', $$SELECT capa.capa_verify(%1$s, false, 'e')$$),
  (8, 'capa_close', $$SELECT capa.capa_close(%1$s, 'none')$$),
  (9, 'capa_cancel', $$SELECT capa.capa_cancel(%1$s, 'why')$$),
  (10, 'capa_reopen', $$SELECT capa.capa_reopen(%1$s, 'why')$$),
  (11, 'capa_next_states', $$SELECT capa.capa_next_states(%1$s)$$),
  (12, 'capa_link', $$SELECT capa.capa_link(%1$s, 'public.u_probe', '1')$$),
  (13, 'capa_unlink', $$SELECT capa.capa_unlink(%1$s, 'public.u_probe', '1')$$),
  (14, 'capa_dossier', $$SELECT capa.capa_dossier(%1$s)$$),
  (15, 'capa_conformance', $$SELECT * FROM capa.capa_conformance(%1$s)$$),
  (16, 'capa_audit_verify(record =>)', $$SELECT * FROM capa.capa_audit_verify(record => %1$s)$$),
  (17, 'capa_audit_verify(digest =>, record =>)', $$SELECT * FROM capa.capa_audit_verify(digest => %3$L, record => %1$s)$$),
  (18, 'capa_analyse(related =>)', $$SELECT capa.capa_analyse(%2$L, 'r', '5whys', 'e', related => ARRAY[%1$s]::capa.capa_ref[])$$),
  (19, 'capa_analyse(related =>) among visible ones', $$SELECT capa.capa_analyse(%2$L, 'r', '5whys', 'e', related => ARRAY[%2$L, %1$s]::capa.capa_ref[])$$),
  -- governed change (0.3.0, [governed])
  (20, 'capa_reassign', $$SELECT capa.capa_reassign(%1$s, 'tap_u_north', 'why')$$),
  (21, 'capa_reschedule', $$SELECT capa.capa_reschedule(%1$s, 'close', now() + interval '9 days', 'why')$$),
  (22, 'capa_amend', $$SELECT capa.capa_amend(%1$s, 'title', 't2', 'why')$$),
  -- re-analysis (0.3.0, [governed])
  (23, 'capa_reanalyse', $$SELECT capa.capa_reanalyse(%1$s, 'why')$$),
  (24, 'capa_verify (reanalyse)', $$SELECT capa.capa_verify(%1$s, false, 'e', reanalyse => true)$$),
  (25, 'capa_extent_found', $$SELECT capa.capa_extent_found(%1$s, 'found')$$),
  (26, 'capa_waive_window', $$SELECT capa.capa_waive_window(%1$s, 'why')$$);
-- evidence items (0.5.0, [attach]; withdrawal: test/pgtap/51_attachments.sql)
INSERT INTO public.u_call VALUES
  (27, 'capa_attach', $$SELECT capa.capa_attach(%1$s, 't', uri => 'u')$$),
  (28, 'capa_attach(content =>, action_id =>)', $$SELECT capa.capa_attach(%1$s, 't', content => '\x01'::bytea, action_id => 1)$$);

-- what the north will be asked about, listed while the superuser sees the south
CREATE TABLE public.u_south_action AS
SELECT s.kind, s.state, a.id, a.done
  FROM public.u_south s JOIN capa.action a ON a.capa_id OPERATOR(capa.=) s.ref;
CREATE TABLE public.u_south_seq AS
SELECT s.kind, s.state, s.ref,
       (SELECT pg_catalog.max(x.seq) FROM capa.audit x WHERE x.capa_id OPERATOR(capa.=) s.ref) AS seq
  FROM public.u_south s;
GRANT SELECT ON public.u_call, public.u_south, public.u_south_action, public.u_south_seq TO tap_u_north;

-- a reference that names no record, written the same way (same year, six digits)
SELECT capa.capa_ref(capa.capa_ref_year(ref), 999999) AS missing FROM public.u_south LIMIT 1 \gset

SET ROLE tap_u_north;
SELECT is(public.u_answer(format(c.stmt, quote_literal(s.ref::text), :'nounit',
                                 'capa-digest:v1:1:1:' || repeat('0', 64)), s.ref::text),
          public.u_answer(format(c.stmt, quote_literal(:'missing'), :'nounit',
                                 'capa-digest:v1:1:1:' || repeat('0', 64)), :'missing'),
          format('U2 %s of a %s %s record of another unit answers as a missing one', c.label, s.state, s.kind))
  FROM public.u_call c CROSS JOIN public.u_south s
 ORDER BY c.n, s.kind, s.ref;

-- action items of another unit's records, done or not, in every state of
-- the record: capa_complete_action answers as for an id that names no item
SELECT is(public.u_answer(format($$SELECT capa.capa_complete_action(%s, %L)$$, a.id, e.evidence), a.id::text),
          public.u_answer(format($$SELECT capa.capa_complete_action(%s, %L)$$, 799999999, e.evidence), '799999999'),
          format('U2 capa_complete_action(evidence %s) of a%s action item of a %s %s record of another unit answers as a missing one',
                 e.label, CASE WHEN a.done THEN ' done' ELSE 'n open' END, a.state, a.kind))
  FROM public.u_south_action a
 CROSS JOIN (VALUES ('given', 'done'), ('blank', ' ')) e(label, evidence)
 ORDER BY e.label, a.kind, a.id;

-- the governed changes of an action item (0.3.0, [governed]): as for an
-- id that names no item, done or not, in every state of the record
SELECT is(public.u_answer(format(f.stmt, a.id), a.id::text),
          public.u_answer(format(f.stmt, 799999999), '799999999'),
          format('U2 %s of a%s action item of a %s %s record of another unit answers as a missing one',
                 f.label, CASE WHEN a.done THEN ' done' ELSE 'n open' END, a.state, a.kind))
  FROM public.u_south_action a
 CROSS JOIN (VALUES ('capa_reassign_action', $$SELECT capa.capa_reassign_action(%s, 'tap_u_north', 'why')$$),
                    ('capa_reschedule_action', $$SELECT capa.capa_reschedule_action(%s, current_date + 9, 'why')$$),
                    ('capa_cancel_action', $$SELECT capa.capa_cancel_action(%s, 'why')$$)) f(label, stmt)
 ORDER BY f.label, a.kind, a.id;

-- audit rows of another unit's records: capa_audit_bytes as for a seq that names no row
SELECT is(public.u_answer(format('SELECT capa.capa_audit_bytes(%s)', a.seq), a.seq::text),
          public.u_answer(format('SELECT capa.capa_audit_bytes(%s)', 599999999), '599999999'),
          format('U2 capa_audit_bytes of the last audit row of a %s %s record of another unit answers as a missing one',
                 a.state, a.kind))
  FROM public.u_south_seq a
 ORDER BY a.kind, a.ref;
RESET ROLE;

-- nothing of the south changed, and the answers were refusals
SELECT is((SELECT count(*)::int FROM public.u_south s JOIN capa.register r ON r.id OPERATOR(capa.=) s.ref
            WHERE r.state::text = s.state AND r.chain_seq = (SELECT count(*) FROM capa.audit a
                                                               WHERE a.capa_id OPERATOR(capa.=) s.ref
                                                                 AND a.action_id IS NULL)), 21,
          'U2 every record of the south is as it was, its trail too');
SELECT is((SELECT count(*)::int FROM capa.link), 0, 'U2 and no link was made');
SELECT is((SELECT state::text FROM capa.register WHERE id OPERATOR(capa.=) :'nounit'), 'contained',
          'U2 the analyses naming the south in related were refused');

-- the check is not a refusal of the step: the north acts on its own units
SET ROLE tap_u_north;
SELECT is(capa.capa_analyse(:'north', 'r', '5whys', 'e', related => ARRAY[:'nounit']::capa.capa_ref[]),
          'analysed'::capa.capa_state, 'U2 the north analyses its record, naming a group-wide one');
SELECT ok(capa.capa_link(:'north', 'public.u_probe', '1') > 0, 'U2 and links it');
RESET ROLE;

-- ===================================================================
-- U3. the dossier and the checklist under row-level security
-- ===================================================================
-- (u_value: the result, or the error, so that 0.2.0's 42501 fails these
-- assertions without ending the file)
CREATE FUNCTION public.u_value(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    EXECUTE stmt INTO result;
    RETURN result;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
GRANT EXECUTE ON FUNCTION public.u_value(text) TO PUBLIC;
SET ROLE tap_u_north;
SELECT is(public.u_value(format($$SELECT capa.capa_dossier(%L) #>> '{summary,checklist,f}'$$, :'north')), 'met',
          'U3 capa_dossier of the north''s own record works under row-level security');
SELECT is(public.u_value(format($$SELECT capa.capa_dossier(%L) #>> '{chain_proof,intact}'$$, :'north')), 'true',
          'U3 and its chain proof is intact');
SELECT is(public.u_value(format($$SELECT capa.capa_dossier(%L) #>> '{summary,checklist,a}'$$, :'nounit')), 'met',
          'U3 capa_dossier of a record without a unit works');
SELECT is(public.u_value(format($$SELECT status FROM capa.capa_conformance(%L) WHERE item = 'f'$$, :'north')), 'met',
          'U3 capa_conformance of the north''s record: f met');
SELECT is(public.u_value(format($$SELECT status FROM capa.capa_conformance(%L) WHERE item = 'f'$$, :'nounit')), 'met',
          'U3 capa_conformance of a record without a unit: f met');
SELECT is(public.u_value(format($$SELECT count(*) FROM capa.capa_audit_verify(record => %L)$$, :'north')), '0',
          'U3 capa_audit_verify(record =>) of the north''s record: intact');
SELECT throws_ok('SELECT * FROM capa.capa_audit_verify()', '42501', NULL,
                 'U3 the whole trail still needs every unit (42501)');
SELECT throws_ok(format($$SELECT capa.capa_dossier(%L)$$, (SELECT ref FROM public.u_south LIMIT 1)), '42704', NULL,
                 'U3 the dossier of a south record is not there (42704)');
RESET ROLE;

-- ===================================================================
-- U4. capa.events: off | reference | full, reference by default
-- ===================================================================
SELECT is(current_setting('capa.events'), 'reference', 'U4 capa.events is reference by default');
SET capa.events = on;
SELECT is(current_setting('capa.events'), 'reference', 'U4 on (0.2.0''s boolean) means reference');
SET capa.events = full;
SELECT is(current_setting('capa.events'), 'full', 'U4 full is an explicit opt-in');
SET capa.events = off;
SELECT is(current_setting('capa.events'), 'off', 'U4 off');
RESET capa.events;
SELECT throws_ok($$SET capa.events = 'everything'$$, '22023', NULL, 'U4 anything else is refused (22023)');
SET ROLE tap_u_north;
SELECT throws_ok($$SET capa.events = full$$, '42501', NULL, 'U4 only a superuser widens what listeners hear (42501)');
RESET ROLE;

-- ===================================================================
-- U5. a DBA's grant of UPDATE or INSERT on the tables works under row-level
-- security for the unit's own records (0.2.0 had read policies only: the
-- UPDATE found no row, even for capa_admin), and still not for another's
-- ===================================================================
GRANT UPDATE (title, close_due) ON capa.register TO tap_u_north, capa_admin;
GRANT UPDATE (description) ON capa.action TO tap_u_north;
GRANT INSERT (title, description, severity, source, owner, org_unit) ON capa.register TO tap_u_north;
CREATE FUNCTION pg_temp.u_rows(stmt text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE stmt;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
SELECT capa.capa_open('U5 north', 'd', 'minor', 'incident', owner => 'tap_u_north', org_unit => 'north') AS north_planned \gset
SELECT capa.capa_add_action(:'north_planned', 'fix', 'tap_u_north', current_date + 7) IS NOT NULL AS u5_action \gset
SET capa.reason = 'U5: a correction by a granted role';
SELECT (SELECT ref FROM public.u_south WHERE state = 'planned' LIMIT 1) AS south_planned \gset
SELECT count(*) AS north_planned_items FROM capa.action WHERE capa_id OPERATOR(capa.=) :'north_planned' \gset
SET ROLE tap_u_north;
SELECT is(pg_temp.u_rows(format($$UPDATE capa.register SET title = 'Retitled' WHERE id OPERATOR(capa.=) %L$$, :'north_planned')),
          1::bigint, 'U5 UPDATE of the own unit''s record under row-level security changes it');
SELECT is(pg_temp.u_rows(format($$UPDATE capa.register SET title = 'Retitled' WHERE id OPERATOR(capa.=) %L$$, :'south_planned')),
          0::bigint, 'U5 UPDATE of the south''s record finds no row, as for a missing one');
SELECT is(pg_temp.u_rows(format($$UPDATE capa.action SET description = 'Reworded' WHERE capa_id OPERATOR(capa.=) %L$$, :'north_planned')),
          :north_planned_items::bigint, 'U5 UPDATE of the own unit''s action items changes them');
SELECT is(pg_temp.u_rows(format($$UPDATE capa.action SET description = 'Reworded' WHERE capa_id OPERATOR(capa.=) %L$$, :'south_planned')),
          0::bigint, 'U5 UPDATE of the south''s action item finds no row');
SELECT is(pg_temp.u_rows($$INSERT INTO capa.register (title, description, severity, source, owner, org_unit)
                             VALUES ('Direct', 'd', 'minor', 'incident', 'tap_u_north', 'north')$$),
          1::bigint, 'U5 INSERT of a record of the own unit');
SELECT throws_ok($$INSERT INTO capa.register (title, description, severity, source, owner, org_unit)
                   VALUES ('Direct', 'd', 'minor', 'incident', 'tap_u_north', 'south')$$,
                 '42501', NULL, 'U5 INSERT of a record of another unit is refused (42501)');
RESET ROLE;
SET ROLE capa_admin;
SELECT is(pg_temp.u_rows(format($$UPDATE capa.register SET close_due = now() + interval '9 days' WHERE id OPERATOR(capa.=) %L$$, :'south_planned')),
          1::bigint, 'U5 capa_admin''s UPDATE of any unit''s record changes it');
RESET ROLE;
RESET capa.reason;

-- ===================================================================
-- U6. the intakes' configuration and failures name other units' rows
-- (a failure keeps the row's key and an error that quotes its values):
-- under row-level security, for those who see every unit only
-- ===================================================================
CREATE TABLE public.u_findings (id int PRIMARY KEY, summary text);
INSERT INTO capa.intake_config (source, source_name, condition, mapping, on_error, created_by)
VALUES ('public.u_findings', 'public.u_findings', NULL, '{"title": "summary"}', 'log', 'tap_u_owner')
RETURNING id AS u_intake \gset
INSERT INTO capa.intake_failure (intake_id, source, source_name, key, sqlstate, message, detail, actor)
VALUES (:u_intake, 'public.u_findings', 'public.u_findings', '7', '22P02',
        'invalid input syntax for type capa_severity: "CEO Jane Doe (on leave)"', NULL, 'tap_u_owner');
SET ROLE tap_u_north;
SELECT is((SELECT count(*) FROM capa.intake_failure), 0::bigint,
          'U6 a unit''s editor reads no intake failure (0.2.0: every failure, with its key and values)');
SELECT is((SELECT count(*) FROM capa.intake_config), 0::bigint,
          'U6 nor any intake''s configuration');
RESET ROLE;
SET ROLE capa_admin;
SELECT is((SELECT count(*) FROM capa.intake_failure WHERE intake_id = :u_intake), 1::bigint,
          'U6 capa_admin, who sees every unit, reads the failures');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
