-- Links from records to rows of the user's own tables (capa_link,
-- capa_unlink), the broken-link view and kpi_by_control.  The target row is
-- looked up as the caller: privileges and row-level security apply.
\set SHOW_CONTEXT never
CREATE TABLE public.controls (code text PRIMARY KEY, title text NOT NULL);
INSERT INTO public.controls VALUES ('A.5.1', 'Policies'), ('A.8.13', 'Backup'), ('A.8.15', 'Logging');
CREATE TABLE public.risks (id integer PRIMARY KEY, label text);
INSERT INTO public.risks VALUES (7, 'ransomware');
CREATE TABLE public.two_key (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE public.no_key (a int);
CREATE VIEW public.controls_view AS SELECT * FROM public.controls;
CREATE TABLE public.secret (id int PRIMARY KEY);
INSERT INTO public.secret VALUES (1);
GRANT SELECT ON public.controls, public.risks, public.two_key, public.no_key, public.controls_view
    TO regress_alice, regress_carol;

SELECT capa.capa_open('Backups failed', 'Nightly job failed', 'major', 'monitoring',
                      owner => 'regress_alice') AS r1 \gset
SELECT capa.capa_open('Logs missing', 'Gap in the logs', 'minor', 'internal_audit',
                      owner => 'regress_alice') AS r2 \gset

SET ROLE regress_alice;
SELECT capa.capa_link(:'r1', 'public.controls', 'A.8.13') AS l1 \gset
SELECT capa.capa_link(:'r2', 'public.controls', 'A.8.13') > :l1 AS second_link;
SELECT capa.capa_link(:'r2', 'public.controls', 'A.8.15') > :l1 AS third_link;
SELECT capa.capa_link(:'r1', 'risks', '7') > :l1 AS link_by_integer_key;
-- linking again keeps the existing link; keys are stored as their type writes them
SELECT capa.capa_link(:'r1', 'public.controls', 'A.8.13') = :l1 AS same_link;
SELECT capa.capa_link(:'r1', 'risks', '007') = capa.capa_link(:'r1', 'risks', ' 7') AS same_row_same_link;
SELECT key FROM capa.link WHERE target = 'public.risks'::regclass;
-- a varchar primary key (compared with text's equality) and an enum one
RESET ROLE;
CREATE TYPE public.tier AS ENUM ('gold', 'silver');
CREATE TABLE public.vendors (code varchar(10) PRIMARY KEY);
CREATE TABLE public.tiers (t public.tier PRIMARY KEY);
INSERT INTO public.vendors VALUES ('ACME');
INSERT INTO public.tiers VALUES ('gold');
GRANT SELECT ON public.vendors, public.tiers TO regress_alice;
SET ROLE regress_alice;
SELECT capa.capa_link(:'r2', 'public.vendors', 'ACME') > 0 AS varchar_key;
SELECT capa.capa_link(:'r2', 'public.tiers', 'gold') > 0 AS enum_key;
SELECT try($$SELECT capa.capa_link('$$ || :'r2' || $$', 'public.tiers', 'bronze')$$) AS bad_enum_key;
SELECT capa.capa_unlink(:'r2', 'public.vendors', 'ACME') AND capa.capa_unlink(:'r2', 'public.tiers', 'gold') AS unlinked_both;

-- refusals, each with its SQLSTATE; nothing is written
SELECT try($$SELECT capa.capa_link('$$ || :'r1' || $$', 'public.controls', 'A.9.9')$$);   -- no such row
SELECT try($$SELECT capa.capa_link('$$ || :'r1' || $$', 'public.risks', 'seven')$$);      -- not an integer
SELECT try($$SELECT capa.capa_link('$$ || :'r1' || $$', 'public.secret', '1')$$);         -- no SELECT
SELECT try($$SELECT capa.capa_link('$$ || :'r1' || $$', 'public.two_key', '1')$$);        -- composite key
SELECT try($$SELECT capa.capa_link('$$ || :'r1' || $$', 'public.no_key', '1')$$);         -- no key
SELECT try($$SELECT capa.capa_link('$$ || :'r1' || $$', 'public.controls_view', 'A.5.1')$$); -- a view
SELECT try($$SELECT capa.capa_link('CAPA-2000-999999', 'public.controls', 'A.5.1')$$);   -- no record
SELECT try($$SELECT capa.capa_link(NULL, 'public.controls', 'A.5.1')$$);
SELECT try($$SELECT capa.capa_link('$$ || :'r1' || $$', NULL, 'A.5.1')$$);
SELECT try($$SELECT capa.capa_link('$$ || :'r1' || $$', 'public.controls', NULL)$$);
SELECT try($$SELECT capa.capa_link('$$ || :'r1' || $$', 12345678, 'x')$$);               -- no such table
RESET ROLE;
SELECT count(*) AS links FROM capa.link;

-- row-level security on the target: a row the caller cannot see cannot be linked
ALTER TABLE public.controls ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_a5 ON public.controls FOR SELECT USING (code LIKE 'A.5%');
SET ROLE regress_alice;
SELECT try($$SELECT capa.capa_link('$$ || :'r2' || $$', 'public.controls', 'A.8.13')$$);
SELECT capa.capa_link(:'r2', 'public.controls', 'A.5.1') > 0 AS visible_row_linked;
RESET ROLE;
ALTER TABLE public.controls DISABLE ROW LEVEL SECURITY;

-- a reader may not link; nobody but the owner writes capa.link directly
SET ROLE regress_carol;
SELECT try($$SELECT capa.capa_link('$$ || :'r1' || $$', 'public.controls', 'A.5.1')$$);
SELECT try($$INSERT INTO capa.link (capa_id, target, target_name, key, linked_by) VALUES ('$$ || :'r1' || $$', 'public.controls', 'x', 'A.5.1', 'me')$$);
SELECT try($$UPDATE capa.link SET key = 'A.5.1'$$);
SELECT try($$DELETE FROM capa.link$$);
RESET ROLE;

-- the Pareto of controls
SELECT control_table, control_key, records, open, share, cumulative_share FROM capa.kpi_by_control;

-- a renamed table keeps its links
ALTER TABLE public.controls RENAME TO iso_controls;
SELECT target::text, target_name, key FROM capa.link WHERE capa_id = :'r1' ORDER BY id;
SELECT count(*) AS broken FROM capa.broken_link;

-- a deleted row and a dropped table show up as broken links
DELETE FROM public.iso_controls WHERE code = 'A.8.15';
DROP TABLE public.risks;
SELECT capa_id = :'r1' AS first_record, target_name, key, problem FROM capa.broken_link ORDER BY link_id;
-- a reader sees links into tables it cannot read as not checked
CREATE TABLE public.assets (tag text PRIMARY KEY);
INSERT INTO public.assets VALUES ('srv-01');
GRANT SELECT ON public.assets TO regress_alice;
SET ROLE regress_alice;
SELECT capa.capa_link(:'r1', 'public.assets', 'srv-01') > 0 AS asset_linked;
SET ROLE regress_carol;
SELECT target_name, key, problem FROM capa.broken_link ORDER BY link_id;
RESET ROLE;

-- unlink: the row stays, with who ended it
SET ROLE regress_alice;
SELECT capa.capa_unlink(:'r2', 'public.iso_controls', 'A.8.15') AS unlinked;
SELECT capa.capa_unlink(:'r2', 'public.iso_controls', 'A.8.15') AS unlinked_again;
RESET ROLE;
SELECT key, unlinked_by, unlinked_at IS NOT NULL AS ended FROM capa.link WHERE capa_id = :'r2' ORDER BY id;
SELECT control_key, records FROM capa.kpi_by_control;
SELECT target_name, key, problem FROM capa.broken_link ORDER BY link_id;

-- linking a row again after an unlink makes a new link
SET ROLE regress_alice;
SELECT capa.capa_link(:'r1', 'public.iso_controls', 'A.5.1') > 0 AS relinked;
RESET ROLE;
DROP TABLE public.iso_controls, public.two_key, public.no_key, public.secret, public.assets, public.vendors, public.tiers CASCADE;
DROP TYPE public.tier;
