-- The improvement path (10.1, PDCA): open -> planned (plan) -> implemented
-- (do) -> verified (check) -> closed (act: the change is made standard).
\set SHOW_CONTEXT never
SET ROLE regress_alice;
SELECT capa.capa_open('Automate access reviews', 'Quarterly access reviews are manual',
                      'observation', 'management_review', kind => 'improvement',
                      priority => 2) AS id \gset
SELECT kind, state, priority FROM capa.register WHERE id = :'id';
SELECT capa.capa_next_states(:'id');
-- no containment and no root-cause analysis on this path
SELECT capa.capa_contain(:'id', 'n/a', 'n/a');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_analyse(:'id', 'n/a', 'other');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_plan(:'id');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_add_action(:'id', 'Script the review export', 'regress_ops', current_date + 30) AS aid \gset
SELECT capa.capa_plan(:'id');
SELECT capa.capa_complete_action(:aid, 'Script in repo grc-tools');
SELECT capa.capa_implement(:'id');
RESET ROLE;
SET ROLE regress_bob;
SELECT capa.capa_verify(:'id', true, 'Q3 review took 2 hours instead of 2 days');
SELECT capa.capa_close(:'id', 'Access review procedure v3 uses the script');
SELECT capa.capa_reopen(:'id', 'Script broke with the new IdP');
SELECT state, reopen_count FROM capa.register WHERE id = :'id';
RESET ROLE;
-- after a reopen the path starts again: an improvement cannot be cancelled
-- once planned, but can be while open
SET ROLE regress_dave;
SELECT capa.capa_cancel(:'id', 'Superseded by the IdP project');
RESET ROLE;
SELECT step, from_state, to_state FROM capa.audit WHERE capa_id = :'id' AND action_id IS NULL ORDER BY seq;
