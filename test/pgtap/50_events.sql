-- pgTAP: NOTIFY capa_events payloads stay within NOTIFY's 8000-byte limit
-- whatever the record holds: at capa.events = full the owner is cut at a
-- character boundary; at reference (the default) no owner is sent at all
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SELECT plan(4);

LISTEN capa_events;
SET capa.events = full;
SELECT lives_ok($$SELECT capa.capa_open('t', 'd', 'major', 'other', owner => repeat('é', 100000))$$,
                'full: a 200 kB owner does not make the notification fail');
SELECT lives_ok($$SELECT capa.capa_open('t', 'd', 'major', 'other', owner => repeat('x', 199) || '€€€')$$,
                'full: an owner cut inside a multi-byte character does not fail');
RESET capa.events;
SELECT lives_ok($$SELECT capa.capa_open('t', 'd', 'major', 'other', owner => repeat('é', 100000))$$,
                'reference: a 200 kB owner does not make the notification fail');
SELECT lives_ok($$SELECT capa.capa_escalate(now()) FROM (SELECT capa.capa_open('t', 'd', 'major', 'other',
                    owner => repeat('é', 100000), close_due => now() - interval '1 day')) o$$,
                'reference: nor its escalation');

SELECT * FROM finish();
ROLLBACK;
