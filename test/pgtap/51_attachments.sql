-- pgTAP: evidence items in the chain (issue 17, item 1; 0.5.0, [attach]).
--
-- A1 attach: stored content (capa computes its SHA-256), the SHA-256 of a
--    file kept elsewhere, a reference only; to the record, a step, an action
--    item; in any state, a closed record's included; each an audit row of
--    the record's chain holding the facts (never the content), verified.
-- A2 every refusal, with its SQLSTATE, and nothing changed.
-- A3 the size limit of capa.policy: 54000 beyond it (the default 25 MB, and
--    a lowered one).
-- A4 withdraw: with a reason, once; the row stays, marked.
-- A5 capa_evidence_check: found, not found, withdrawn.
-- A6 append-only: no role writes capa.attachment but capa's functions.
-- A7 capa_audit_verify: a stored file changed, a row's facts changed, a row
--    removed, a row added, with the triggers bypassed.
-- A8 row-level security by org unit: another unit's attachments are not
--    shown, and its record and attachments answer as missing ones.
-- Before 0.5.0 none of this existed (every test here fails on 0.4.0).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SET search_path = public, capa;
SELECT plan(104);

CREATE ROLE tap_a_reader;               -- capa_reader
CREATE ROLE tap_a_editor;               -- capa_editor
CREATE ROLE tap_a_verifier;             -- capa_verifier
CREATE ROLE tap_a_north;                -- capa_editor of the unit north
GRANT capa_reader TO tap_a_reader;
GRANT capa_editor TO tap_a_editor, tap_a_north;
GRANT capa_verifier TO tap_a_verifier;

-- this test's superuser owns and verifies its records
INSERT INTO capa.policy (segregation_of_duties) VALUES (false);

-- a closed record, with an action item
CREATE FUNCTION public.a_closed(title text) RETURNS capa.capa_ref LANGUAGE plpgsql AS $$
DECLARE
    r capa.capa_ref;
    a bigint;
BEGIN
    r := capa.capa_open(title, 'd', 'minor', 'other');
    PERFORM capa.capa_contain(r, 'c', 'c');
    PERFORM capa.capa_analyse(r, 'cause', '5whys', 'extent');
    a := capa.capa_add_action(r, 'fix', 'ops', current_date + 7);
    PERFORM capa.capa_plan(r);
    PERFORM capa.capa_complete_action(a, 'done');
    PERFORM capa.capa_implement(r);
    PERFORM capa.capa_verify(r, true, 'works');
    PERFORM capa.capa_close(r, 'none: procedure unchanged');
    RETURN r;
END
$$;

-- what a refusal must leave as it was
CREATE FUNCTION public.a_state() RETURNS text LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM capa.attachment) || ' attachments, '
        || (SELECT count(*) FROM capa.attachment WHERE withdrawn_at IS NOT NULL) || ' withdrawn, '
        || (SELECT count(*) FROM capa.audit) || ' audit rows, '
        || (SELECT sum(chain_seq) FROM capa.register) || ' chain positions'
$$;
GRANT EXECUTE ON FUNCTION public.a_state() TO PUBLIC;

SELECT capa.capa_open('Backups not tested', 'd', 'major', 'internal_audit') AS rec \gset
SELECT capa.capa_add_action(:'rec', 'Restore test monthly', 'ops', current_date + 30) AS act \gset
SELECT capa.capa_open('Other record', 'd', 'minor', 'other') AS other \gset
SELECT capa.capa_add_action(:'other', 'Other item', 'ops', current_date + 30) AS other_act \gset

-- A1 attach ----------------------------------------------------------------
SET ROLE tap_a_editor;
SELECT capa.capa_attach(:'rec', 'Backup report May', step => 'open',
                        content => convert_to('backup ok 2026-05-31', 'UTF8'),
                        media_type => 'text/plain') AS stored \gset
SELECT capa.capa_attach(:'rec', 'Restore procedure v2 (DMS)', sha256 => sha256('procedure v2'::bytea),
                        uri => 'dms://procedures/BK-01/v2', action_id => :act) AS external \gset
SELECT capa.capa_attach(:'rec', 'Change ticket', uri => 'https://tickets.example/CHG-5521') AS reference \gset
RESET ROLE;
SELECT is((SELECT string_agg(concat_ws(' ', title, step, action_id IS NOT NULL, uri IS NOT NULL,
                                      encode(sha256, 'hex'), size, content IS NOT NULL, attached_by), ' | ' ORDER BY id)
             FROM capa.attachment),
          'Backup report May open f f ' || encode(sha256(convert_to('backup ok 2026-05-31', 'UTF8')), 'hex') || ' 20 t tap_a_editor | '
          || 'Restore procedure v2 (DMS) t t ' || encode(sha256('procedure v2'::bytea), 'hex') || ' f tap_a_editor | '
          || 'Change ticket f t f tap_a_editor',
          'A1 stored content with the SHA-256 capa computed and its size, an external SHA-256 of an action item, a reference only');
SELECT is((SELECT sha256(content) = sha256 FROM capa.attachment WHERE id = :stored), true,
          'A1 an auditor recomputes a stored file''s SHA-256 with stock SQL: sha256(content)');
SELECT is((SELECT string_agg(step || ' ' || chain_seq || ' ' || (changed -> 'attachment' ->> 'id'), ', ' ORDER BY seq)
             FROM capa.audit WHERE capa_id = :'rec' AND action_id IS NULL AND seq > (SELECT min(seq) FROM capa.audit WHERE capa_id = :'rec')),
          format('attach 2 %s, attach 3 %s, attach 4 %s', :stored, :external, :reference),
          'A1 each attachment is a step of the record''s own chain');
SELECT is((SELECT chain_seq FROM capa.register WHERE id = :'rec'), 4, 'A1 the record''s chain head moved with each');
SELECT is((SELECT changed #- '{attachment,attached_at}' FROM capa.audit WHERE step = 'attach' AND (changed -> 'attachment' ->> 'id')::bigint = :stored),
          jsonb_build_object('attachment', jsonb_build_object('id', :stored, 'title', 'Backup report May', 'step', 'open',
                             'media_type', 'text/plain', 'stored', true, 'size', 20,
                             'sha256', encode(sha256(convert_to('backup ok 2026-05-31', 'UTF8')), 'hex'))),
          'A1 the audit row holds the facts, the SHA-256 as hex, never the content');
SELECT is((SELECT (changed -> 'attachment' ->> 'attached_at')::timestamptz FROM capa.audit WHERE step = 'attach' AND (changed -> 'attachment' ->> 'id')::bigint = :stored),
          (SELECT attached_at FROM capa.attachment WHERE id = :stored),
          'A1 with the time it was attached');
SELECT is((SELECT actor::text FROM capa.audit WHERE step = 'attach' AND (changed -> 'attachment' ->> 'id')::bigint = :external),
          'tap_a_editor', 'A1 and the caller as the actor');
SELECT is((SELECT count(*)::int FROM capa.audit WHERE step = 'attach'
             AND (changed::text LIKE '%backup ok%' OR changed::text LIKE '%' || encode(convert_to('backup ok', 'UTF8'), 'hex') || '%')),
          0, 'A1 no audit row carries the content');
SELECT is((SELECT count(*)::int FROM capa.audit a WHERE a.step = 'attach' AND capa.capa_audit_bytes(a.seq) IS NOT NULL
             AND sha256(capa.capa_audit_bytes(a.seq)) = a.hash), 3,
          'A1 capa_audit_bytes covers the attach rows: sha256(bytes) = hash');
SELECT is((SELECT count(*)::int FROM capa.audit WHERE step IN ('attach', 'withdraw_attachment')
              AND changed ?| (SELECT array_agg(attname::text) FROM pg_attribute
                               WHERE attrelid = 'capa.register'::regclass AND attnum > 0)), 0,
          'A1 no key of an attach row reads as a column of the record (its title is the attachment''s)');
SELECT is((SELECT count(*)::int FROM capa.capa_audit_verify()), 0, 'A1 the trail verifies');
SELECT is((SELECT count(*)::int FROM capa.capa_audit_verify(record => :'rec')), 0, 'A1 and the record''s alone');

-- a step of every name of the lifecycle, and evidence on a closed record
SELECT a_closed('Closed record') AS closed \gset
SET ROLE tap_a_editor;
SELECT lives_ok(format($$SELECT capa.capa_attach(%L, 'Backup reports June-August', step => 'verify',
                          content => '\x255044462d312e370a'::bytea, media_type => 'application/pdf')$$, :'closed'),
                'A1 a closed record accepts evidence (an auditor''s request after the close)');
RESET ROLE;
SELECT is((SELECT state::text || ' ' || (closed_at IS NOT NULL) FROM capa.register WHERE id = :'closed'), 'closed true',
          'A1 and stays closed, its facts unchanged');
SELECT is((SELECT string_agg(s, ',' ORDER BY s) FROM (
             SELECT s FROM unnest(ARRAY['open', 'contain', 'analyse', 'plan', 'implement', 'verify', 'close', 'cancel', 'reopen', 'reanalyse']) s
              WHERE capa.capa_attach(:'other', 'Step ' || s, step => s, uri => 'u:' || s) > 0) x),
          'analyse,cancel,close,contain,implement,open,plan,reanalyse,reopen,verify',
          'A1 every step of the lifecycle may be named');
SELECT is((SELECT capa.capa_attach(:'other', 'Same statement', uri => 'u:same',
                                   action_id => capa.capa_add_action(:'other', 'New item', 'ops', current_date + 1)) > 0), true,
          'A1 an action item added in the same statement is found');
SELECT lives_ok(format($$SELECT capa.capa_withdraw_attachment(capa.capa_attach(%L, 'Attached in error', uri => 'u:err'), 'wrong record')$$, :'other'),
                'A1 and an attachment withdrawn in the statement that attached it');
SELECT lives_ok(format($$SELECT capa.capa_attach(%L, 'As admin', uri => 'u:admin')$$, :'other'),
                'A1 capa_admin attaches too (here the superuser, a member of every role)');
SELECT is((SELECT count(*)::int FROM capa.capa_audit_verify()), 0, 'A1 the trail still verifies');

-- A2 refusals ----------------------------------------------------------------
SELECT a_state() AS st \gset
SET ROLE tap_a_editor;
SELECT throws_ok($$SELECT capa.capa_attach(NULL, 't', uri => 'u')$$, '22004',
                 'capa_attach: the record reference must not be NULL', 'A2 a NULL record: 22004');
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, NULL, uri => 'u')$$, :'rec'), '23502',
                 'an attachment requires "title"', 'A2 no title: 23502');
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, E' \t\u00a0', uri => 'u')$$, :'rec'), '22023',
                 'an attachment requires a non-empty "title"', 'A2 a blank title: 22023');
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 't')$$, :'rec'), '22023',
                 'capa_attach: an attachment needs content, a SHA-256 or a uri', 'A2 neither content nor SHA-256 nor uri: 22023');
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 't', sha256 => '\x0102'::bytea)$$, :'rec'), '22023',
                 'capa_attach: a SHA-256 has 32 bytes, not 2', 'A2 a SHA-256 of 2 bytes: 22023');
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 't', sha256 => convert_to(encode(sha256('x'), 'hex'), 'UTF8'))$$, :'rec'), '22023',
                 'capa_attach: a SHA-256 has 32 bytes, not 64', 'A2 the hex text of a SHA-256 as bytes: 22023');
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 't', content => 'abc'::bytea, sha256 => sha256('abd'::bytea))$$, :'rec'), '22023',
                 'capa_attach: the SHA-256 given is not the content''s', 'A2 content and another SHA-256: 22023');
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 't', step => 'approve', uri => 'u')$$, :'rec'), '22023',
                 'capa_attach: "approve" is not a step of the lifecycle', 'A2 an unknown step: 22023');
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 't', step => ' ', uri => 'u')$$, :'rec'), '22023',
                 'capa_attach: "step" must not be blank', 'A2 a blank step: 22023');
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 't', uri => '')$$, :'rec'), '22023',
                 'capa_attach: "uri" must not be blank', 'A2 a blank uri: 22023');
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 't', uri => 'u', media_type => ' ')$$, :'rec'), '22023',
                 'capa_attach: "media_type" must not be blank', 'A2 a blank media type: 22023');
SELECT throws_ok($$SELECT capa.capa_attach('CAPA-2020-999999', 't', uri => 'u')$$, '42704',
                 'capa record CAPA-2020-999999 does not exist', 'A2 a record that does not exist: 42704');
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 't', uri => 'u', action_id => %s)$$, :'rec', :other_act), '42704',
                 format('capa action item %s of record %s does not exist', :other_act, :'rec'),
                 'A2 an action item of another record: 42704');
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 't', uri => 'u', action_id => 987654321)$$, :'rec'), '42704',
                 format('capa action item 987654321 of record %s does not exist', :'rec'),
                 'A2 an action item that does not exist: 42704, the same message');
SELECT throws_ok($$SELECT capa.capa_withdraw_attachment(NULL, 'r')$$, '22004',
                 'capa_withdraw_attachment: the attachment id must not be NULL', 'A2 withdraw: a NULL id: 22004');
SELECT throws_ok(format($$SELECT capa.capa_withdraw_attachment(%s, NULL)$$, :stored), '22023',
                 'withdraw_attachment needs a non-blank reason', 'A2 withdraw without a reason: 22023');
SELECT throws_ok(format($$SELECT capa.capa_withdraw_attachment(%s, E'\n ')$$, :stored), '22023',
                 'withdraw_attachment needs a non-blank reason', 'A2 withdraw with a blank reason: 22023');
SELECT throws_ok($$SELECT capa.capa_withdraw_attachment(987654321, 'r')$$, '42704',
                 'capa attachment 987654321 does not exist', 'A2 withdraw an attachment that does not exist: 42704');
RESET ROLE;
SET ROLE tap_a_reader;
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 't', uri => 'u')$$, :'rec'), '42501', NULL,
                 'A2 a reader may not attach: 42501');
SELECT throws_ok(format($$SELECT capa.capa_withdraw_attachment(%s, 'r')$$, :stored), '42501', NULL,
                 'A2 nor withdraw: 42501');
RESET ROLE;
SELECT throws_ok($$SELECT * FROM capa.capa_evidence_check(NULL)$$, '22004',
                 'capa_evidence_check: the SHA-256 must not be NULL', 'A2 evidence_check of NULL: 22004');
SELECT throws_ok($$SELECT * FROM capa.capa_evidence_check(convert_to(encode(sha256('x'), 'hex'), 'UTF8'))$$, '22023',
                 'capa_evidence_check: a SHA-256 has 32 bytes, not 64', 'A2 evidence_check of 64 bytes: 22023');
-- a trigger of the user's own that changes the record during the step
CREATE FUNCTION public.a_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.description := NEW.description || '!'; RETURN NEW; END $$;
CREATE TRIGGER a_touch BEFORE UPDATE ON capa.register FOR EACH ROW EXECUTE FUNCTION public.a_touch();
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 't', uri => 'u')$$, :'rec'), '55000',
                 format('record %s changed during its attach step', :'rec'),
                 'A2 a trigger that changes the record during the step: 55000');
DROP TRIGGER a_touch ON capa.register;
SELECT is(a_state(), :'st', 'A2 no refusal changed anything');

-- A3 the size limit -----------------------------------------------------------
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 'Too big', content => decode(repeat('00', 26214401), 'hex'))$$, :'rec'),
                 '54000', 'capa_attach: the content has 26214401 bytes, more than the 26214400 the policy allows',
                 'A3 25 MB + 1 byte is refused by default: 54000');
INSERT INTO capa.policy (segregation_of_duties, attachment_max_bytes) VALUES (false, 1000);
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 'Too big', content => decode(repeat('ab', 1001), 'hex'))$$, :'rec'),
                 '54000', 'capa_attach: the content has 1001 bytes, more than the 1000 the policy allows',
                 'A3 a lowered limit: 1001 bytes refused');
SELECT is(a_state(), :'st', 'A3 nothing changed');
SELECT lives_ok(format($$SELECT capa.capa_attach(%L, 'Just fits', content => decode(repeat('ab', 1000), 'hex'))$$, :'rec'),
                'A3 1000 bytes are stored');
INSERT INTO capa.policy (segregation_of_duties) VALUES (false);
SELECT throws_ok(format($$SELECT capa.capa_attach(%L, 'Too big', content => decode(repeat('ab', 1001), 'hex'))$$, :'rec'),
                 '54000', NULL, 'A3 a later policy row without a limit keeps the one before');
SELECT throws_ok($$INSERT INTO capa.policy (segregation_of_duties, attachment_max_bytes) VALUES (false, 0)$$,
                 '23514', NULL, 'A3 a limit must be positive: 23514');
INSERT INTO capa.policy (segregation_of_duties, attachment_max_bytes) VALUES (false, 26214400);
-- 3 MB, stored out of line: verification reads it in slices
SELECT capa.capa_attach(:'rec', 'Backup log (3 MB)', content => decode(repeat('0123456789abcdef', 393216), 'hex'),
                        media_type => 'text/plain') AS big \gset
SELECT is((SELECT size FROM capa.attachment WHERE id = :big), 3145728::bigint, 'A3 a 3 MB file is stored');
SELECT is((SELECT pg_column_size(content) < 3145728 + 100 AND pg_column_size(content) >= 3145728 FROM capa.attachment WHERE id = :big), true,
          'A3 uncompressed (storage external)');
SELECT is((SELECT count(*)::int FROM capa.capa_audit_verify()), 0, 'A3 and verifies');

-- A4 withdraw -------------------------------------------------------------------
SET ROLE tap_a_editor;
SELECT lives_ok(format($$SELECT capa.capa_withdraw_attachment(%s, 'wrong ticket: CHG-5521 is another change')$$, :reference),
                'A4 an editor withdraws an attachment, with a reason');
SELECT a_state() AS st \gset
SELECT throws_ok(format($$SELECT capa.capa_withdraw_attachment(%s, 'again')$$, :reference), '55000',
                 format('capa attachment %s is withdrawn already', :reference), 'A4 twice: 55000');
SELECT is(a_state(), :'st', 'A4 nothing changed');
RESET ROLE;
SELECT is((SELECT concat_ws(' ', withdrawn_by, withdraw_reason, withdrawn_at IS NOT NULL, title, uri)
             FROM capa.attachment WHERE id = :reference),
          'tap_a_editor wrong ticket: CHG-5521 is another change t Change ticket https://tickets.example/CHG-5521',
          'A4 the attachment stays, marked withdrawn with who and why');
SELECT is((SELECT changed #- '{attachment,withdrawn_at}' FROM capa.audit WHERE step = 'withdraw_attachment'
              AND capa_id = :'rec'),
          jsonb_build_object('attachment', jsonb_build_object('id', :reference), 'reason', 'wrong ticket: CHG-5521 is another change'),
          'A4 the withdrawal is a step of the record''s chain, with its reason');
SELECT is((SELECT withdraw_seq FROM capa.attachment WHERE id = :reference),
          (SELECT seq FROM capa.audit WHERE step = 'withdraw_attachment' AND capa_id = :'rec'), 'A4 the row names that audit row');
SELECT is((SELECT count(*)::int FROM capa.capa_audit_verify()), 0, 'A4 the trail verifies');

-- A5 capa_evidence_check -----------------------------------------------------
SET ROLE tap_a_reader;
SELECT is((SELECT format('%s %s %s %s %s', record, attachment, step, attached_by, withdrawn)
             FROM capa.capa_evidence_check(sha256(convert_to('backup ok 2026-05-31', 'UTF8')))),
          format('%s %s open tap_a_editor f', :'rec', :stored),
          'A5 a reader checks the file handed over: it is the one on the record');
SELECT is((SELECT attached_at FROM capa.capa_evidence_check(sha256(convert_to('backup ok 2026-05-31', 'UTF8')))),
          (SELECT attached_at FROM capa.attachment WHERE id = :stored), 'A5 with when it was attached');
SELECT is((SELECT count(*)::int FROM capa.capa_evidence_check(sha256(convert_to('backup ok 2026-05-32', 'UTF8')))), 0,
          'A5 a file that differs by one character is on no record');
SELECT is((SELECT format('%s %s', attachment, action_id) FROM capa.capa_evidence_check(sha256('procedure v2'::bytea))),
          format('%s %s', :external, :act), 'A5 a file kept elsewhere is found by the SHA-256 given');
RESET ROLE;
SELECT capa.capa_attach(:'rec', 'Old procedure', sha256 => sha256('procedure v1'::bytea)) AS old \gset
SELECT capa.capa_withdraw_attachment(:old, 'superseded by v2');
SET ROLE tap_a_reader;
SELECT is((SELECT format('%s %s %s', attachment, withdrawn, withdraw_reason) FROM capa.capa_evidence_check(sha256('procedure v1'::bytea))),
          format('%s t superseded by v2', :old), 'A5 a withdrawn attachment is shown, marked withdrawn');
SELECT is((SELECT count(*)::int FROM capa.attachment), (SELECT count(*)::int FROM capa.attachment), 'A5 a reader reads capa.attachment');
RESET ROLE;

-- A6 append-only ----------------------------------------------------------------
SELECT a_state() AS st \gset
SET ROLE tap_a_editor;
SELECT throws_ok(format($$INSERT INTO capa.attachment (capa_id, title, uri, attached_at, attached_by, attach_seq)
                          VALUES (%L, 't', 'u', now(), 'x', 1)$$, :'rec'), '42501', NULL, 'A6 an editor may not INSERT: 42501');
SELECT throws_ok($$UPDATE capa.attachment SET title = 'x'$$, '42501', NULL, 'A6 nor UPDATE');
SELECT throws_ok($$DELETE FROM capa.attachment$$, '42501', NULL, 'A6 nor DELETE');
SELECT throws_ok($$TRUNCATE capa.attachment$$, '42501', NULL, 'A6 nor TRUNCATE');
RESET ROLE;
SET ROLE capa_admin;
SELECT throws_ok($$UPDATE capa.attachment SET title = 'x'$$, '42501', NULL, 'A6 capa_admin may not UPDATE: 42501');
RESET ROLE;
-- the superuser, with the triggers on
SELECT throws_ok(format($$INSERT INTO capa.attachment (capa_id, title, uri, attached_at, attached_by, attach_seq)
                          VALUES (%L, 't', 'u', now(), 'x', NULL)$$, :'rec'), '42501', 'capa.attachment is append-only',
                 'A6 the superuser may not INSERT a row of its own: 42501');
SELECT throws_ok($$UPDATE capa.attachment SET title = 'x'$$, '42501', 'capa.attachment is append-only', 'A6 nor UPDATE');
SELECT throws_ok($$UPDATE capa.attachment SET withdrawn_at = NULL, withdrawn_by = NULL, withdraw_reason = NULL, withdraw_seq = NULL$$,
                 '42501', 'capa.attachment is append-only', 'A6 nor take a withdrawal back');
SELECT throws_ok($$DELETE FROM capa.attachment$$, '42501', 'capa.attachment is append-only', 'A6 nor DELETE');
SELECT throws_ok($$TRUNCATE capa.attachment$$, '42501', 'capa.attachment is append-only', 'A6 nor TRUNCATE');
SET LOCAL session_replication_role = replica;
SELECT throws_ok($$TRUNCATE capa.attachment$$, '42501', 'capa.attachment is append-only', 'A6 TRUNCATE not even as a replica');
RESET session_replication_role;
SELECT is(a_state(), :'st', 'A6 nothing changed');
SELECT is((SELECT count(*)::int FROM information_schema.role_table_grants
            WHERE table_schema = 'capa' AND table_name = 'attachment' AND grantee = 'PUBLIC'), 0,
          'A6 nothing on capa.attachment is granted to PUBLIC');
SELECT is((SELECT string_agg(privilege_type, ',' ORDER BY privilege_type) FROM information_schema.role_table_grants
            WHERE table_schema = 'capa' AND table_name = 'attachment' AND grantee LIKE 'capa\_%'), 'SELECT',
          'A6 capa''s roles get SELECT only');
SELECT is((SELECT count(*)::int FROM pg_proc p, LATERAL aclexplode(p.proacl) a
            WHERE p.pronamespace = 'capa'::regnamespace AND a.grantee = 0
              AND p.proname IN ('capa_attach', 'capa_withdraw_attachment', 'capa_evidence_check')), 0,
          'A6 no function of attachments is executable by PUBLIC');
SELECT is((SELECT bool_and(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp']) FROM pg_proc p
            WHERE p.pronamespace = 'capa'::regnamespace
              AND p.proname IN ('capa_attach', 'capa_withdraw_attachment', 'capa_evidence_check', 'capa_attachment_guard')), true,
          'A6 each has its search_path pinned');

-- A7 capa_audit_verify finds a changed file, a changed row, a removed or added row
SELECT is((SELECT count(*)::int FROM capa.capa_audit_verify()), 0, 'A7 intact before');
SAVEPOINT tamper;
SET LOCAL session_replication_role = replica;
UPDATE capa.attachment SET content = convert_to('backup FAILED 2026-05-31', 'UTF8') WHERE id = :stored;
RESET session_replication_role;
SELECT is((SELECT format('%s %s %s', problem, capa_id, seq) FROM capa.capa_audit_verify()),
          format('attachment_changed %s %s', :'rec', (SELECT attach_seq FROM capa.attachment WHERE id = :stored)),
          'A7 a stored file replaced with the triggers bypassed: attachment_changed, at the audit row that attached it');
SELECT is((SELECT format('%s %s', problem, detail) FROM capa.capa_audit_verify(record => :'rec')),
          format('attachment_changed attachment %s: the stored content''s SHA-256 is not the one its attach audit row recorded: the file was changed', :stored),
          'A7 also for the record alone');
SET LOCAL session_replication_role = replica;
UPDATE capa.attachment SET sha256 = sha256(content) WHERE id = :stored;
RESET session_replication_role;
SELECT is((SELECT string_agg(problem, ',' ORDER BY problem) FROM capa.capa_audit_verify()),
          'attachment_changed,attachment_row_changed',
          'A7 the file and its SHA-256 both replaced: both found, against the trail');
ROLLBACK TO tamper;
SET LOCAL session_replication_role = replica;
UPDATE capa.attachment SET content = decode(repeat('0123456789abcdef', 393215) || '0123456789abcdee', 'hex') WHERE id = :big;
RESET session_replication_role;
SELECT is((SELECT string_agg(problem, ',') FROM capa.capa_audit_verify()), 'attachment_changed',
          'A7 the last byte of a 3 MB file changed: found');
ROLLBACK TO tamper;
SELECT is((SELECT count(*)::int FROM capa.capa_audit_verify()), 0, 'A7 intact again');
SAVEPOINT tamper;
ALTER TABLE capa.attachment DISABLE TRIGGER capa_append_only;
UPDATE capa.attachment SET title = 'Backup report June' WHERE id = :stored;
ALTER TABLE capa.attachment ENABLE TRIGGER capa_append_only;
SELECT is((SELECT string_agg(problem, ',') FROM capa.capa_audit_verify()), 'attachment_row_changed',
          'A7 a title changed: attachment_row_changed');
ROLLBACK TO tamper;
SET LOCAL session_replication_role = replica;
UPDATE capa.attachment SET withdrawn_at = NULL, withdrawn_by = NULL, withdraw_reason = NULL, withdraw_seq = NULL WHERE id = :reference;
RESET session_replication_role;
SELECT is((SELECT format('%s %s', problem, seq) FROM capa.capa_audit_verify()),
          format('attachment_row_changed %s', (SELECT seq FROM capa.audit WHERE step = 'withdraw_attachment' AND (changed -> 'attachment' ->> 'id')::bigint = :reference)),
          'A7 a withdrawal taken back: found, at the audit row that withdrew it');
ROLLBACK TO tamper;
SET LOCAL session_replication_role = replica;
UPDATE capa.attachment SET step = 'close' WHERE id = :stored;
UPDATE capa.attachment SET content = NULL, size = NULL WHERE id = :big;
RESET session_replication_role;
SELECT is((SELECT string_agg(problem, ',') FROM capa.capa_audit_verify()), 'attachment_row_changed,attachment_row_changed',
          'A7 a step moved, stored content removed: both found');
ROLLBACK TO tamper;
SET LOCAL session_replication_role = replica;
DELETE FROM capa.attachment WHERE id = :stored;
RESET session_replication_role;
SELECT is((SELECT format('%s %s', problem, detail) FROM capa.capa_audit_verify()),
          format('attachment_missing attachment %s: attached by the trail, its row is gone', :stored),
          'A7 a row deleted: attachment_missing');
ROLLBACK TO tamper;
SET LOCAL session_replication_role = replica;
INSERT INTO capa.attachment (capa_id, title, uri, attached_at, attached_by, attach_seq)
VALUES (:'other', 'Forged', 'u', now(), 'tap_a_editor', 1);
RESET session_replication_role;
SELECT is((SELECT format('%s %s', problem, capa_id) FROM capa.capa_audit_verify()),
          format('attachment_unrecorded %s', :'other'), 'A7 a row added: attachment_unrecorded');
ROLLBACK TO tamper;
SET LOCAL session_replication_role = replica;
UPDATE capa.attachment SET capa_id = :'other' WHERE id = :stored;
RESET session_replication_role;
SELECT is((SELECT string_agg(problem, ',' ORDER BY problem) FROM capa.capa_audit_verify()), 'attachment_missing,attachment_unrecorded',
          'A7 an attachment moved to another record: missing from its record, unrecorded on the other');
ROLLBACK TO tamper;
SELECT is((SELECT count(*)::int FROM capa.capa_audit_verify()), 0, 'A7 intact after the rollbacks');

-- A8 row-level security by org unit --------------------------------------------
SELECT capa.capa_open('North finding', 'd', 'minor', 'other', org_unit => 'north') AS north \gset
SELECT capa.capa_open('South finding', 'd', 'minor', 'other', org_unit => 'south') AS south \gset
SELECT capa.capa_attach(:'south', 'South evidence', content => 'south secret'::bytea) AS south_att \gset
SELECT capa.capa_rls_enable();
INSERT INTO capa.org_unit_access (role_name, org_unit) VALUES ('tap_a_north', 'north');
SET ROLE tap_a_north;
SELECT lives_ok(format($$SELECT capa.capa_attach(%L, 'North evidence', content => 'north file'::bytea)$$, :'north'),
                'A8 a role of the north attaches to a north record');
SELECT is((SELECT count(*)::int FROM capa.capa_evidence_check(sha256('south secret'::bytea))), 0,
          'A8 another unit''s file is not shown by capa_evidence_check');
SELECT is((SELECT count(*)::int FROM capa.attachment WHERE capa_id = :'south'), 0,
          'A8 nor in capa.attachment');
SELECT is((SELECT count(*)::int FROM capa.capa_evidence_check(sha256('north file'::bytea))), 1,
          'A8 its own unit''s is');
RESET ROLE;
-- a hidden record or attachment answers exactly as a missing one
CREATE FUNCTION public.a_answer(stmt text, ref text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    f1 text; f2 text; f3 text; f4 text; f5 text;
BEGIN
    EXECUTE stmt;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS f1 = RETURNED_SQLSTATE, f2 = MESSAGE_TEXT, f3 = PG_EXCEPTION_DETAIL,
        f4 = PG_EXCEPTION_HINT, f5 = PG_EXCEPTION_CONTEXT;
    RETURN replace(array_to_string(ARRAY[f1, f2, f3, f4, f5], E'\n', '<null>'), ref, '<ref>');
END
$$;
GRANT EXECUTE ON FUNCTION public.a_answer(text, text) TO PUBLIC;
SELECT a_state() AS st \gset
SET ROLE tap_a_north;
SELECT is(a_answer(format($$SELECT capa.capa_attach(%L, 't', uri => 'u')$$, :'south'), :'south'),
          a_answer($$SELECT capa.capa_attach('CAPA-2020-999999', 't', uri => 'u')$$, 'CAPA-2020-999999'),
          'A8 capa_attach on another unit''s record: as on a missing one');
SELECT is(a_answer(format($$SELECT capa.capa_attach(%L, 't', content => decode(repeat('00', 26214401), 'hex'))$$, :'south'), :'south'),
          a_answer($$SELECT capa.capa_attach('CAPA-2020-999999', 't', content => decode(repeat('00', 26214401), 'hex'))$$, 'CAPA-2020-999999'),
          'A8 also with content over the limit');
SELECT is(a_answer(format($$SELECT capa.capa_withdraw_attachment(%s, 'r')$$, :south_att), :south_att::text),
          a_answer($$SELECT capa.capa_withdraw_attachment(987654321, 'r')$$, '987654321'),
          'A8 capa_withdraw_attachment of another unit''s attachment: as of a missing one');
SELECT is(split_part(a_answer(format($$SELECT capa.capa_withdraw_attachment(%s, 'r')$$, :south_att), :south_att::text), E'\n', 2),
          'capa attachment <ref> does not exist',
          'A8 which is 42704');
RESET ROLE;
SELECT is(a_state(), :'st', 'A8 nothing changed');
SELECT is((SELECT count(*)::int FROM capa.capa_audit_verify()), 0, 'A8 the trail verifies');
SELECT capa.capa_rls_disable();

SELECT * FROM finish();
ROLLBACK;
