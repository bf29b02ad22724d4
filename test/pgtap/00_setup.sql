-- pgTAP: the extension installs cleanly into a fresh database, with the
-- names of the public contract (docs/reference.md: SQL API, Types, Tables).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SELECT plan(26);

SELECT has_schema('capa');
SELECT has_type('capa', 'capa_state', 'type capa_state');
SELECT has_type('capa', 'capa_severity', 'type capa_severity');
SELECT has_type('capa', 'capa_ref', 'type capa_ref');
SELECT has_table('capa', 'register', 'table register');
SELECT has_table('capa', 'action', 'table action');
SELECT has_table('capa', 'audit', 'table audit');
SELECT has_function('capa', f, 'function ' || f)
  FROM unnest(ARRAY['capa_open', 'capa_contain', 'capa_analyse', 'capa_add_action',
                    'capa_complete_action', 'capa_plan', 'capa_implement', 'capa_verify',
                    'capa_close', 'capa_cancel', 'capa_reopen', 'capa_next_states']) f;
SELECT has_role(r) FROM unnest(ARRAY['capa_reader', 'capa_editor', 'capa_verifier', 'capa_admin']) r;
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'capa'), false, 'capa is not relocatable');
SELECT is((SELECT typlen FROM pg_type WHERE oid = 'capa.capa_ref'::regtype), 8::int2, 'capa_ref is 8 bytes');
SELECT ok(EXISTS (SELECT 1 FROM pg_opclass WHERE opcintype = 'capa.capa_ref'::regtype
                  AND opcmethod = (SELECT oid FROM pg_am WHERE amname = 'hash')), 'capa_ref has a hash opclass');
SELECT * FROM finish();
ROLLBACK;
