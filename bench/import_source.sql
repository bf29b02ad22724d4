-- bench/import_source.sql: a source table of :rows records for
-- capa_import, typed as a staging table usually is (text and timestamptz),
-- with a typical history: a tenth each open, contained, analysed, planned
-- (one action item to do), implemented (one done), three tenths closed
-- (two done), and the rest preventive analysed or improvement closed.
-- Opened between 2019 and 2024, so the references span six years.
CREATE TABLE bench_source (
    legacy_id text, kind text, state text, severity text, title text,
    description text, source text, owner text, org_unit text,
    opened_at timestamptz, opened_by text,
    containment text, consequences text, contained_at timestamptz, contained_by text,
    root_cause text, rca_method text, extent_of_condition text, cause_category text,
    action_required boolean, analysed_at timestamptz, analysed_by text,
    planned_at timestamptz, planned_by text, implemented_at timestamptz, implemented_by text,
    effective boolean, verification_evidence text, verified_at timestamptz, verified_by text,
    isms_changes text, closed_at timestamptz, closed_by text,
    actions jsonb);

INSERT INTO bench_source
SELECT 'OLD-' || g,
       CASE WHEN b < 9 THEN 'corrective' WHEN (g / 10) % 2 = 0 THEN 'preventive' ELSE 'improvement' END,
       CASE WHEN b < 3 THEN 'open' WHEN b = 3 THEN 'contained' WHEN b = 4 THEN 'analysed'
            WHEN b = 5 THEN 'planned' WHEN b = 6 THEN 'implemented' WHEN b < 9 THEN 'closed'
            WHEN (g / 10) % 2 = 0 THEN 'analysed' ELSE 'closed' END,
       (ARRAY['observation', 'minor', 'major', 'critical'])[1 + g % 4],
       'Finding ' || g || ': backup job failed',
       'Imported from the old register; nightly job on host ' || (g % 97) || ' failed.',
       (ARRAY['internal_audit', 'incident', 'monitoring', 'external_audit'])[1 + g % 4],
       'owner_' || (g % 50), 'unit_' || (g % 7),
       t0, 'owner_' || (g % 50),
       -- contain (corrective, from contained on)
       CASE WHEN b BETWEEN 3 AND 8 THEN 'Job rerun by hand and checked' END,
       CASE WHEN b BETWEEN 3 AND 8 THEN 'No data lost' END,
       CASE WHEN b BETWEEN 3 AND 8 THEN t0 + interval '1 day' END,
       CASE WHEN b BETWEEN 3 AND 8 THEN 'owner_' || (g % 50) END,
       -- analyse (corrective from analysed on; preventive analysed)
       CASE WHEN b BETWEEN 4 AND 8 OR (b = 9 AND (g / 10) % 2 = 0) THEN 'Retention job disabled during migration' END,
       CASE WHEN b BETWEEN 4 AND 8 OR (b = 9 AND (g / 10) % 2 = 0) THEN '5whys' END,
       CASE WHEN b BETWEEN 4 AND 8 THEN 'All 15 jobs checked' END,
       CASE WHEN b BETWEEN 4 AND 8 OR (b = 9 AND (g / 10) % 2 = 0) THEN 'process' END,
       CASE WHEN b BETWEEN 4 AND 8 OR (b = 9 AND (g / 10) % 2 = 0) THEN true END,
       CASE WHEN b BETWEEN 4 AND 8 OR (b = 9 AND (g / 10) % 2 = 0) THEN t0 + interval '2 days' END,
       CASE WHEN b BETWEEN 4 AND 8 OR (b = 9 AND (g / 10) % 2 = 0) THEN 'owner_' || (g % 50) END,
       -- plan, implement
       CASE WHEN b BETWEEN 5 AND 8 OR (b = 9 AND (g / 10) % 2 = 1) THEN t0 + interval '3 days' END,
       CASE WHEN b BETWEEN 5 AND 8 OR (b = 9 AND (g / 10) % 2 = 1) THEN 'owner_' || (g % 50) END,
       CASE WHEN b BETWEEN 6 AND 8 OR (b = 9 AND (g / 10) % 2 = 1) THEN t0 + interval '10 days' END,
       CASE WHEN b BETWEEN 6 AND 8 OR (b = 9 AND (g / 10) % 2 = 1) THEN 'owner_' || (g % 50) END,
       -- verify, close
       CASE WHEN b IN (7, 8) OR (b = 9 AND (g / 10) % 2 = 1) THEN true END,
       CASE WHEN b IN (7, 8) OR (b = 9 AND (g / 10) % 2 = 1) THEN '30 nightly reports reviewed' END,
       CASE WHEN b IN (7, 8) OR (b = 9 AND (g / 10) % 2 = 1) THEN t0 + interval '40 days' END,
       CASE WHEN b IN (7, 8) OR (b = 9 AND (g / 10) % 2 = 1) THEN 'auditor_' || (g % 5) END,
       CASE WHEN b IN (7, 8) OR (b = 9 AND (g / 10) % 2 = 1) THEN 'Procedure BK-01 v2' END,
       CASE WHEN b IN (7, 8) OR (b = 9 AND (g / 10) % 2 = 1) THEN t0 + interval '41 days' END,
       CASE WHEN b IN (7, 8) OR (b = 9 AND (g / 10) % 2 = 1) THEN 'auditor_' || (g % 5) END,
       CASE WHEN b = 5 THEN jsonb_build_array(jsonb_build_object(
                'description', 'Route alerts to on-call', 'owner', 'ops_' || (g % 9),
                'due', (t0 + interval '20 days')::date, 'legacy_id', 'ACT-' || g || '-1'))
            WHEN b = 6 OR (b = 9 AND (g / 10) % 2 = 1) THEN jsonb_build_array(jsonb_build_object(
                'description', 'Route alerts to on-call', 'owner', 'ops_' || (g % 9),
                'due', (t0 + interval '20 days')::date, 'done', true, 'evidence', 'Change CHG-' || g,
                'done_at', t0 + interval '8 days', 'done_by', 'ops_' || (g % 9)))
            WHEN b IN (7, 8) THEN jsonb_build_array(
              jsonb_build_object(
                'description', 'Route alerts to on-call', 'owner', 'ops_' || (g % 9),
                'due', (t0 + interval '20 days')::date, 'done', true, 'evidence', 'Change CHG-' || g,
                'done_at', t0 + interval '8 days', 'done_by', 'ops_' || (g % 9)),
              jsonb_build_object(
                'description', 'Add a restore test', 'owner', 'ops_' || (g % 9),
                'due', (t0 + interval '25 days')::date, 'done', true, 'evidence', 'Restore test passed',
                'done_at', t0 + interval '9 days', 'done_by', 'ops_' || (g % 9)))
       END
  FROM (SELECT g, g % 10 AS b,
               timestamptz '2019-01-01 09:00+00' + (g % 2000) * interval '1 day'
                 + (g % 600) * interval '1 minute' AS t0
          FROM generate_series(1, :rows) AS g) AS s;
