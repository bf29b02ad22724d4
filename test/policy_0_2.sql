-- The policy of capa 0.2.0, for the tests and benchmarks that walk whole
-- lifecycles at machine speed with placeholder owners ('ops', 'owner_1'):
-- free-text owners allowed, and no effectiveness window (a verification
-- right after the implementation).  0.3.0's built-in policy refuses both;
-- test/pgtap/45_governed.sql tests that policy itself (docs/reference.md,
-- Versioned policy).  Rows of a policy are versioned: these are the latest.
INSERT INTO capa.policy (segregation_of_duties, free_text_owners) VALUES (true, true);
INSERT INTO capa.severity_policy (severity, contain_within, close_within, effectiveness_within) VALUES
    ('critical', '1 day', '30 days', '30 days'),
    ('major', '7 days', '60 days', '60 days'),
    ('minor', '30 days', '90 days', '90 days'),
    ('observation', NULL, '180 days', '90 days');
