-- pgTAP: FINDINGS of the hostile-input suite (40_hostile.sql), now fixed:
-- kept as regression tests.
--
-- Each assertion states the behaviour docs/reference.md documents (or,
-- where it was silent, the behaviour 40_hostile.sql demands of every other input: a
-- documented SQLSTATE, nothing accepted that makes capa fail later).  Each
-- failed against capa before its fix; the comments keep the reproducers.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SET search_path = public, capa;
SELECT plan(7);

-- F1. capa_open: a priority beyond smallint is refused with 22003
-- ("smallint out of range", from the assignment of the integer parameter
-- to the smallint column), not with docs/reference.md's 23514 for "priority outside
-- 1-5".  capa_open(priority => 6) gives 23514; 32768 gives 22003.
--   SELECT capa.capa_open('t', 'd', 'major', 'other', priority => 32768);   -- 22003, want 23514
-- Fixed at the schema: the column is an integer, so its CHECK sees every value.
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'major', 'other', priority => 32768)$$,
                 '23514', NULL, 'F1 capa_open(priority => 32768): 23514 as for any priority outside 1-5');
SELECT throws_ok($$SELECT capa.capa_open('t', 'd', 'major', 'other', priority => 2147483647)$$,
                 '23514', NULL, 'F1 capa_open(priority => 2147483647): 23514 as for any priority outside 1-5');

-- F2. capa_audit_verify(record => id) for a record that does not exist
-- returns no rows, which docs/audit-chain.md defines as "intact": a mistyped reference
-- reads as a verified trail.  Every other function refuses a reference
-- that names no record (42704); so should this one when there is neither
-- a register row nor an audit chain for it (a register row deleted behind
-- capa's back still gives row_missing, as now).
--   SELECT count(*) FROM capa.capa_audit_verify(record => 'CAPA-1000-000001');   -- 0 rows, want 42704
SELECT throws_ok($$SELECT * FROM capa.capa_audit_verify(record => 'CAPA-1000-000001')$$,
                 '42704', NULL, 'F2 capa_audit_verify(record => a reference that names no record): 42704, not "intact"');

-- F3. capa.severity_policy (writable by capa_admin) takes any interval.
-- A negative one gives records due dates before they were opened; one that
-- overflows makes every later capa_open (contain_within, close_within) or
-- capa_implement (effectiveness_within) of that severity fail with 22008
-- "timestamp out of range", a SQLSTATE docs/reference.md does not list, until a new
-- policy row is inserted.  The row should be refused (23514, as capa's
-- other table constraints are).
--   INSERT INTO capa.severity_policy (severity, contain_within, close_within, effectiveness_within) VALUES ('major', '-5 days', '-1 year', '-1 day');   -- accepted, want 23514
--   INSERT INTO capa.severity_policy (severity, close_within, effectiveness_within) VALUES ('major', '170000000 years', '1 day'); SELECT capa.capa_open('t', 'd', 'major', 'other');   -- 22008 from capa_open
SELECT throws_ok($$INSERT INTO capa.severity_policy (severity, contain_within, close_within, effectiveness_within)
                   VALUES ('major', '-5 days', '-1 year', '-1 day')$$,
                 '23514', NULL, 'F3 a severity policy with negative intervals is refused (23514)');
SELECT throws_ok($c$DO $d$ BEGIN
                     INSERT INTO capa.severity_policy (severity, close_within, effectiveness_within)
                     VALUES ('major', '170000000 years', '1 day');
                     PERFORM capa.capa_open('t', 'd', 'major', 'other');
                   END $d$$c$,
                 '23514', NULL, 'F3 a close_within that overflows is refused when inserted (23514), so capa_open does not fail with 22008');
SELECT throws_ok($c$DO $d$
                   DECLARE rec capa.capa_ref; aid bigint;
                   BEGIN
                     rec := capa.capa_open('t', 'd', 'minor', 'other', kind => 'improvement', owner => 'tap_owner');
                     aid := capa.capa_add_action(rec, 'a', 'tap_ops', current_date);
                     PERFORM capa.capa_plan(rec);
                     PERFORM capa.capa_complete_action(aid, 'e');
                     INSERT INTO capa.severity_policy (severity, close_within, effectiveness_within)
                     VALUES ('minor', '90 days', '170000000 years');
                     PERFORM capa.capa_implement(rec);
                   END $d$$c$,
                 '23514', NULL, 'F3 an effectiveness_within that overflows is refused when inserted (23514), so capa_implement does not fail with 22008');

-- F4 (found by fuzz_digest). capa_format_digest() can write any int64, but
-- the parser took at most 18 digits: once the audit sequence passed 10^18,
-- capa_audit_verify(digest => ...) refused capa_digest()'s own output (22023).
-- A 19-digit count up to int64's maximum is read; beyond it is refused.
--   SELECT * FROM capa.capa_audit_verify(digest => 'capa-digest:v1:9223372036854775807:1:' || repeat('0', 64));
SELECT is((SELECT problem FROM capa.capa_audit_verify(digest => 'capa-digest:v1:9223372036854775807:1:' || repeat('0', 64))),
          'digest_mismatch', 'F4 a digest with a 19-digit max seq (int64''s maximum) is read, and checked');

SELECT * FROM finish();
ROLLBACK;
