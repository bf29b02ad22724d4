-- pgTAP: NOTIFY capa_events payloads stay within NOTIFY's 8000-byte limit
-- whatever the record holds (the owner is cut at a character boundary)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS capa;
RESET client_min_messages;
SELECT plan(2);

LISTEN capa_events;
SELECT lives_ok($$SELECT capa.capa_open('t', 'd', 'major', 'other', owner => repeat('é', 100000))$$,
                'a 200 kB owner does not make the notification fail');
SELECT lives_ok($$SELECT capa.capa_open('t', 'd', 'major', 'other', owner => repeat('x', 199) || '€€€')$$,
                'an owner cut inside a multi-byte character does not fail');

SELECT * FROM finish();
ROLLBACK;
