-- The preventive path: open -> analysed -> planned -> implemented ->
-- verified -> closed.  No containment: nothing has happened yet.
\set SHOW_CONTEXT never
SET ROLE regress_alice;
SELECT capa.capa_open('Single backup site', 'Both backup copies sit in one building',
                      'minor', 'risk_assessment', kind => 'preventive') AS id \gset
SELECT kind, state, contain_due IS NULL AS no_contain_due FROM capa.register WHERE id = :'id';
SELECT capa.capa_next_states(:'id');
SELECT capa.capa_contain(:'id', 'n/a', 'n/a');
\echo :LAST_ERROR_SQLSTATE
-- extent of condition is optional for a potential nonconformity
SELECT capa.capa_analyse(:'id', 'Offsite copy was never set up', 'fishbone');
SELECT capa.capa_add_action(:'id', 'Set up an offsite copy', 'regress_ops', current_date + 30) AS aid \gset
SELECT capa.capa_plan(:'id');
SELECT capa.capa_complete_action(:aid, 'Offsite bucket replicating since Monday');
SELECT capa.capa_implement(:'id');
RESET ROLE;
SET ROLE regress_bob;
SELECT capa.capa_verify(:'id', true, 'Restore test from the offsite copy succeeded');
SELECT capa.capa_close(:'id', 'Backup standard: offsite copy required');
RESET ROLE;
SELECT state, analysed_at IS NOT NULL AS analysed, contained_at IS NULL AS never_contained,
       chain_seq FROM capa.register WHERE id = :'id';
SELECT step, from_state, to_state FROM capa.audit WHERE capa_id = :'id' AND action_id IS NULL ORDER BY seq;

-- a preventive record cannot be closed from analysed, nor cancelled once planned
SET ROLE regress_alice;
SELECT capa.capa_open('Laptop theft risk', 'Laptops leave the office unencrypted',
                      'major', 'risk_assessment', kind => 'preventive') AS id2 \gset
SELECT capa.capa_analyse(:'id2', 'Encryption not enforced', '5whys', action_required => false,
                         justification => 'Accepted risk');
RESET ROLE;
SET ROLE regress_bob;
SELECT capa.capa_close(:'id2', 'none');
\echo :LAST_ERROR_SQLSTATE
SELECT capa.capa_next_states(:'id2');
RESET ROLE;
