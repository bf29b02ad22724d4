-- Uninstall: the extension goes; its schema (created by CREATE EXTENSION
-- but not a member of it) and the group roles (cluster-wide) stay.
SET client_min_messages = warning;
DROP EXTENSION capa;
SELECT count(*) AS capa_objects_left FROM pg_class WHERE relnamespace = 'capa'::regnamespace;
DROP SCHEMA capa;
DROP FUNCTION public.try(text), public.untimed(jsonb);
DROP ROLE regress_alice, regress_ops, regress_bob, regress_carol, regress_dave, regress_eve;
