-- Row-level security by org unit (optional, off by default): a role reads
-- and acts on the records of its units and of no unit; the KPIs follow;
-- capa_admin sees every unit; checks that read every row refuse others.
\set SHOW_CONTEXT never
-- a database of its own: the KPIs count only this test's records
\set regress_db :DBNAME
CREATE DATABASE regress_capa_rls;
\c regress_capa_rls
SET client_min_messages = warning;
CREATE EXTENSION capa;
\i test/policy_0_2.sql
RESET client_min_messages;
SET search_path = public, capa;
CREATE FUNCTION public.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
GRANT EXECUTE ON FUNCTION public.try(text) TO PUBLIC;
CREATE ROLE regress_north;
CREATE ROLE regress_south;
GRANT regress_north TO regress_alice;      -- an editor of the north
GRANT regress_south TO regress_carol;      -- a reader of the south
CREATE ROLE regress_south_editor;
GRANT capa_editor, regress_south TO regress_south_editor;

SELECT capa.capa_open('North finding', 'd', 'major', 'internal_audit', owner => 'regress_alice',
                      org_unit => 'north') AS n1 \gset
SELECT capa.capa_open('South finding', 'd', 'minor', 'internal_audit', owner => 'regress_alice',
                      org_unit => 'south') AS s1 \gset
SELECT capa.capa_open('Group-wide finding', 'd', 'minor', 'internal_audit',
                      owner => 'regress_alice') AS g1 \gset
SELECT capa.capa_add_action(:'s1', 'fix the south', 'regress_ops', current_date - 1) > 0 AS south_action;

-- off by default: everyone reads everything
SET ROLE regress_carol;
SELECT count(*) AS carol_sees FROM capa.register WHERE title LIKE '%finding';
RESET ROLE;

-- only capa_admin switches it on
SET ROLE regress_alice;
SELECT try('SELECT capa.capa_rls_enable()') AS editor_enables;
SET ROLE regress_dave;
SELECT capa.capa_rls_enable();
INSERT INTO capa.org_unit_access (role_name, org_unit) VALUES ('regress_north', 'north'), ('regress_south', 'south');
SET ROLE regress_alice;
SELECT try($$INSERT INTO capa.org_unit_access (role_name, org_unit) VALUES ('regress_alice', 'south')$$) AS editor_grants_itself;
RESET ROLE;

-- reading: each role its units and the records of no unit
SET ROLE regress_alice;
SELECT title, org_unit FROM capa.register WHERE title LIKE '%finding' ORDER BY title;
SET ROLE regress_carol;
SELECT title, org_unit FROM capa.register WHERE title LIKE '%finding' ORDER BY title;
SELECT count(*) AS carol_sees_south_action FROM capa.action WHERE capa_id = :'s1';
SELECT count(*) AS carol_sees_north_trail FROM capa.audit WHERE capa_id = :'n1';
SELECT count(*) > 0 AS carol_sees_south_trail FROM capa.audit WHERE capa_id = :'s1';
-- the dossier of a record of another unit is "not there"
SELECT try($$SELECT capa.capa_dossier('$$ || :'n1' || $$')$$) AS carol_north_dossier;
SET ROLE regress_eve;   -- no capa role at all: no access, as before
SELECT try('SELECT count(*) FROM capa.register') AS eve_reads;
RESET ROLE;

-- the KPIs follow: each role counts its own units' records
SET ROLE regress_alice;
SELECT open_total, open_major, open_minor, overdue_actions FROM capa.kpi_summary;
SELECT sum(opened) AS opened_this_month FROM capa.kpi_monthly;
SELECT org_unit, records FROM capa.kpi_by_org_unit ORDER BY org_unit NULLS LAST;
SET ROLE regress_carol;
SELECT open_total, open_major, open_minor, overdue_actions FROM capa.kpi_summary;
SELECT org_unit, records FROM capa.kpi_by_org_unit ORDER BY org_unit NULLS LAST;
SET ROLE regress_dave;
SELECT open_total, overdue_actions FROM capa.kpi_summary;
RESET ROLE;

-- acting: on its units only, through the API and by plain SQL alike
SET ROLE regress_alice;
SELECT capa.capa_contain(:'n1', 'isolated', 'none') AS north_contained;
SELECT try($$SELECT capa.capa_contain('$$ || :'s1' || $$', 'isolated', 'none')$$) AS south_by_north;
SELECT try($$SELECT capa.capa_add_action('$$ || :'s1' || $$', 'x', 'regress_ops', current_date)$$) AS south_action_by_north;
SELECT try($$SELECT capa.capa_open('t', 'd', 'minor', 'other', org_unit => 'south')$$) AS open_in_south;
SELECT capa.capa_contain(:'g1', 'isolated', 'none') AS group_wide_contained;
-- a record of another unit is "not there" for links either: no oracle
CREATE TEMP TABLE risk_probe (id int PRIMARY KEY);
INSERT INTO risk_probe VALUES (7);
SELECT try($$SELECT capa.capa_link('$$ || :'s1' || $$', 'risk_probe', '7')$$) AS link_south_by_north;
SELECT try($$SELECT capa.capa_link('CAPA-2000-999999', 'risk_probe', '7')$$) AS link_missing_record;
SELECT try($$SELECT capa.capa_unlink('$$ || :'s1' || $$', 'risk_probe', '7')$$) AS unlink_south_by_north;
SELECT capa.capa_link(:'n1', 'risk_probe', '7') > 0 AS link_north;
SET ROLE regress_south_editor;
SELECT capa.capa_contain(:'s1', 'isolated', 'none') AS south_contained;
-- a plain UPDATE needs a privilege no capa role has (and policies allow reading only)
SELECT try($$UPDATE capa.register SET org_unit = 'north' WHERE id = '$$ || :'s1' || $$'$$) AS south_to_north;
RESET ROLE;

-- grants are kept by role (OID): a renamed role keeps its units; a grant to
-- a dropped role is dead and does not pass to a new role of the same name
SET ROLE regress_dave;
SELECT try($$INSERT INTO capa.org_unit_access (role_name, org_unit) VALUES ('regress_nobody', 'south')$$) AS grant_to_no_role;
RESET ROLE;
ALTER ROLE regress_south RENAME TO regress_south_renamed;
SET ROLE regress_carol;
SELECT count(*) AS carol_sees_south_after_rename FROM capa.register WHERE id = :'s1';
RESET ROLE;
ALTER ROLE regress_south_renamed RENAME TO regress_south;
CREATE ROLE regress_east;
SET ROLE regress_dave;
INSERT INTO capa.org_unit_access (role_name, org_unit) VALUES ('regress_east', 'east');
SELECT capa.capa_open('East finding', 'd', 'minor', 'internal_audit', owner => 'regress_alice',
                      org_unit => 'east') AS e1 \gset
RESET ROLE;
DROP ROLE regress_east;
CREATE ROLE regress_east;
GRANT regress_east TO regress_alice;
SELECT count(*) AS dead_grants FROM capa.org_unit_access a
 WHERE a.org_unit = 'east' AND NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = a.role_name);
SET ROLE regress_alice;
SELECT count(*) AS alice_sees_east FROM capa.register WHERE org_unit = 'east';
SELECT title FROM capa.register WHERE title LIKE '%finding' ORDER BY title;
SELECT try($$SELECT capa.capa_contain('$$ || :'e1' || $$', 'isolated', 'none')$$) AS east_by_new_namesake;
RESET ROLE;
REVOKE regress_east FROM regress_alice;
DROP ROLE regress_east;

-- the whole-trail checks read every row: only for roles that see every unit
SET ROLE regress_carol;
SELECT try('SELECT count(*) FROM capa.capa_audit_verify()') AS carol_verifies;
SET ROLE regress_dave;
SELECT count(*) AS findings FROM capa.capa_audit_verify();
RESET ROLE;

-- off again: everyone reads everything
SET ROLE regress_dave;
SELECT capa.capa_rls_disable();
SET ROLE regress_carol;
SELECT count(*) AS carol_sees FROM capa.register WHERE title LIKE '%finding';
SELECT count(*) = 0 AS carol_verifies_again FROM capa.capa_audit_verify();
RESET ROLE;
REVOKE regress_north FROM regress_alice;
REVOKE regress_south FROM regress_carol;
\c :regress_db
DROP DATABASE regress_capa_rls;
DROP ROLE regress_north, regress_south_editor, regress_south;
