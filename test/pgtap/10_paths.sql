-- pgTAP: every edge of every kind's path, allowed or refused, by plain
-- UPDATE through the trigger.  The expected paths are written out here
-- from README.md (Lifecycle) and docs/reference.md (Steps), independently
-- of src/lifecycle/rules.c.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
CREATE EXTENSION capa;
\ir ../policy_0_2.sql
RESET client_min_messages;
SET search_path = public, capa;
-- planned -> analysed (a re-analysis) needs a reason, as a governed change
SET capa.reason = 'tap: every edge';

CREATE TEMP TABLE expected_edge (kind text, from_state capa_state, to_state capa_state);
INSERT INTO expected_edge VALUES
  ('corrective', 'open', 'contained'), ('corrective', 'contained', 'analysed'),
  ('corrective', 'analysed', 'planned'), ('corrective', 'planned', 'implemented'),
  ('corrective', 'implemented', 'verified'), ('corrective', 'implemented', 'planned'),
  ('corrective', 'verified', 'closed'), ('corrective', 'analysed', 'closed'),
  ('corrective', 'open', 'cancelled'), ('corrective', 'contained', 'cancelled'),
  ('corrective', 'analysed', 'cancelled'), ('corrective', 'closed', 'open'),
  ('preventive', 'open', 'analysed'), ('preventive', 'analysed', 'planned'),
  ('preventive', 'planned', 'implemented'), ('preventive', 'implemented', 'verified'),
  ('preventive', 'implemented', 'planned'), ('preventive', 'verified', 'closed'),
  ('preventive', 'open', 'cancelled'), ('preventive', 'analysed', 'cancelled'),
  ('preventive', 'closed', 'open'),
  ('improvement', 'open', 'planned'), ('improvement', 'planned', 'implemented'),
  ('improvement', 'implemented', 'verified'), ('improvement', 'implemented', 'planned'),
  ('improvement', 'verified', 'closed'), ('improvement', 'open', 'cancelled'),
  ('improvement', 'closed', 'open'),
  -- 0.3.0 (issue 14): a duplicate found late, by capa_admin only
  ('corrective', 'planned', 'cancelled'), ('corrective', 'implemented', 'cancelled'),
  ('preventive', 'planned', 'cancelled'), ('preventive', 'implemented', 'cancelled'),
  ('improvement', 'planned', 'cancelled'), ('improvement', 'implemented', 'cancelled'),
  -- 0.3.0 (issue 14): back to analysis, ineffective or before implementation
  ('corrective', 'implemented', 'analysed'), ('corrective', 'planned', 'analysed'),
  ('preventive', 'implemented', 'analysed'), ('preventive', 'planned', 'analysed');

-- the happy path of each kind, used to bring a record to a state
CREATE TEMP TABLE kind_path (kind text, path capa_state[]);
INSERT INTO kind_path VALUES
  ('corrective', '{open,contained,analysed,planned,implemented,verified,closed}'),
  ('preventive', '{open,analysed,planned,implemented,verified,closed}'),
  ('improvement', '{open,planned,implemented,verified,closed}');

-- a record of this kind brought to this state through the API
CREATE FUNCTION pg_temp.record_in(k text, target capa_state, no_action boolean DEFAULT false)
RETURNS capa_ref LANGUAGE plpgsql AS $$
DECLARE
    rec capa_ref;
    aid bigint;
    s capa_state;
    p capa_state[];
BEGIN
    rec := capa.capa_open('t', 'd', 'major', 'other', kind => k, owner => 'tap_owner');
    aid := capa.capa_add_action(rec, 'a', 'tap_ops', current_date);
    IF target = 'cancelled' THEN
        PERFORM capa.capa_cancel(rec, 'r');
        RETURN rec;
    END IF;
    SELECT path INTO p FROM kind_path WHERE kind = k;
    FOREACH s IN ARRAY p[2:] LOOP
        EXIT WHEN (SELECT r.state FROM capa.register r WHERE r.id = rec) = target;
        CASE s
            WHEN 'contained' THEN PERFORM capa.capa_contain(rec, 'c', 'c');
            WHEN 'analysed' THEN PERFORM capa.capa_analyse(rec, 'rc', '5whys', 'ext',
                                 action_required => NOT no_action,
                                 justification => CASE WHEN no_action THEN 'j' END);
            WHEN 'planned' THEN PERFORM capa.capa_plan(rec);
            WHEN 'implemented' THEN PERFORM capa.capa_complete_action(aid, 'done');
                                    PERFORM capa.capa_implement(rec);
            WHEN 'verified' THEN PERFORM capa.capa_verify(rec, true, 'v');
            WHEN 'closed' THEN PERFORM capa.capa_close(rec, 'i');
        END CASE;
    END LOOP;
    IF target = 'planned' THEN
        PERFORM capa.capa_complete_action(aid, 'done');
    END IF;
    RETURN rec;
END
$$;

-- the evidence a plain UPDATE brings for a step to this state
CREATE FUNCTION pg_temp.evidence_for(f capa_state, t capa_state) RETURNS text LANGUAGE sql AS $$
    SELECT CASE
        WHEN t = 'contained' THEN ', containment = ''c'', consequences = ''c'''
        WHEN t = 'analysed' AND f = 'implemented' THEN ', effective = false, verification_evidence = ''v'''
        WHEN t = 'analysed' AND f = 'planned' THEN ''
        WHEN t = 'analysed' THEN ', root_cause = ''r'', rca_method = ''5whys'', extent_of_condition = ''e'', action_required = true'
        WHEN t = 'verified' THEN ', effective = true, verification_evidence = ''v'''
        WHEN t = 'planned' AND f = 'implemented' THEN ', effective = false, verification_evidence = ''v'''
        WHEN t = 'closed' THEN ', isms_changes = ''i'''
        WHEN t = 'cancelled' THEN ', cancel_reason = ''r'''
        WHEN t = 'open' THEN ', reopen_reason = ''r'''
        ELSE '' END
$$;

-- try one edge on a fresh record: 'ok' if taken, else SQLSTATE (and the
-- message unless it is the refused-edge message)
CREATE FUNCTION pg_temp.try_edge(k text, f capa_state, t capa_state, allowed boolean)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    rec capa_ref := pg_temp.record_in(k, f, no_action => (f = 'analysed' AND t = 'closed'));
    now_state capa_state;
BEGIN
    BEGIN
        EXECUTE format('UPDATE capa.register SET state = %L %s WHERE id = %L',
                       t, CASE WHEN allowed THEN pg_temp.evidence_for(f, t) ELSE '' END, rec);
        SELECT r.state INTO now_state FROM capa.register r WHERE r.id = rec;
        RETURN CASE WHEN now_state = t THEN 'ok' ELSE 'state is ' || now_state END;
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE = '55000' AND SQLERRM LIKE format('%% cannot move from %s to %s', f, t) THEN
            RETURN '55000';
        END IF;
        RETURN SQLSTATE || ' ' || SQLERRM;
    END;
END
$$;

CREATE TEMP TABLE cases AS
SELECT kp.kind, f, t, e.kind IS NOT NULL AS allowed
  FROM kind_path kp
 CROSS JOIN LATERAL unnest(kp.path || '{cancelled}'::capa_state[]) f
 CROSS JOIN unnest('{open,contained,analysed,planned,implemented,verified,closed,cancelled}'::capa_state[]) t
  LEFT JOIN expected_edge e ON e.kind = kp.kind AND e.from_state = f AND e.to_state = t
 WHERE f <> t;

SELECT plan((SELECT count(*)::int FROM cases) + 4);

SELECT is(pg_temp.try_edge(kind, f, t, allowed),
          CASE WHEN allowed THEN 'ok' ELSE '55000' END,
          format('%s: %s -> %s is %s', kind, f, t, CASE WHEN allowed THEN 'allowed' ELSE 'refused (55000)' END))
  FROM cases ORDER BY kind, f, t;

-- the counts README.md's paths imply: 12 + 9 + 7 allowed edges, and since 0.3.0
-- planned and implemented -> cancelled for each kind, planned and
-- implemented -> analysed for the kinds that analyse
SELECT is((SELECT count(*)::int FROM cases WHERE allowed), 38, 'every expected edge was tried');
-- capa_next_states agrees with the expected paths in every reachable state
CREATE TEMP TABLE probes AS
SELECT kp.kind, f, pg_temp.record_in(kp.kind, f) AS rec
  FROM kind_path kp, unnest(kp.path || '{cancelled}'::capa_state[]) f;
SELECT is((SELECT count(*)::int FROM probes p
            WHERE (SELECT array_agg(x ORDER BY x) FROM unnest(capa.capa_next_states(p.rec)) x)
                  IS DISTINCT FROM
                  (SELECT array_agg(e.to_state ORDER BY e.to_state) FROM expected_edge e
                    WHERE e.kind = p.kind AND e.from_state = p.f)), 0,
          'capa_next_states lists exactly the allowed edges, for every kind and state');
-- an open record set to closed by plain UPDATE, as a superuser: 55000
SELECT throws_ok(format('UPDATE capa.register SET state = ''closed'' WHERE id = %L',
                        pg_temp.record_in('corrective', 'open')),
                 '55000', NULL, 'UPDATE ... SET state = ''closed'' on an open record fails with 55000');
SELECT is(current_setting('is_superuser'), 'on', 'those statements ran as a superuser');

SELECT * FROM finish();
ROLLBACK;
