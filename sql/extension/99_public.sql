-- capa install script, part 99: nothing for PUBLIC.  PostgreSQL lets PUBLIC
-- execute a new function; the parts above grant what each role needs, and
-- this takes back whatever PUBLIC holds on anything made above.

REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
